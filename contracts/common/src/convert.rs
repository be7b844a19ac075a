//! Conversions between ABI integers (`uint256`/`int256`) and keel-risk's 18-decimal [`Wad`],
//! and feed answers of any decimals (≤ 36) to wads — each checked, with a named error.

use alloy_primitives::{I256, U256};
use alloy_sol_types::sol;
use keel_risk::oracle::{scale_to_wad, MAX_FEED_DECIMALS};
use keel_risk::Wad;
use stylus_sdk::prelude::*;

sol! {
    /// A number does not fit an 18-decimal wad (|x| ≥ 2¹²⁷ wei, about 1.7·10²⁰ units).
    #[derive(Debug, PartialEq, Eq)]
    error WadOverflow();
    /// A negative number where a `uint256` is required.
    #[derive(Debug, PartialEq, Eq)]
    error NegativeValue();
    /// A feed with more than 36 decimals.
    #[derive(Debug, PartialEq, Eq)]
    error UnsupportedDecimals(uint8 decimals);
}

/// Why a conversion failed; each variant is the Solidity error of its name.
#[derive(SolidityError, Debug, PartialEq, Eq)]
pub enum ConvertError {
    /// `WadOverflow()`.
    WadOverflow(WadOverflow),
    /// `NegativeValue()`.
    NegativeValue(NegativeValue),
    /// `UnsupportedDecimals(uint8 decimals)`.
    UnsupportedDecimals(UnsupportedDecimals),
}

/// A `uint256` of wei (10⁻¹⁸ units) as a wad.
pub fn u256_to_wad(x: U256) -> Result<Wad, ConvertError> {
    let b = x.to_be_bytes::<32>();
    match low_i128(&b) {
        Some(v) if b[..16].iter().all(|&x| x == 0) && v >= 0 => Ok(Wad::from_raw(v)),
        _ => Err(WadOverflow {}.into()),
    }
}

/// An `int256` of wei as a wad.
pub fn i256_to_wad(x: I256) -> Result<Wad, ConvertError> {
    i256_to_i128(x)
        .map(Wad::from_raw)
        .ok_or_else(|| WadOverflow {}.into())
}

/// A wad as a `uint256` of wei; a negative wad is `NegativeValue()`.
pub fn wad_to_u256(x: Wad) -> Result<U256, ConvertError> {
    if x.is_negative() {
        return Err(NegativeValue {}.into());
    }
    Ok(U256::from_be_bytes(sign_extend(x.raw())))
}

/// A wad as an `int256` of wei (always representable).
pub fn wad_to_i256(x: Wad) -> I256 {
    I256::from_raw(U256::from_be_bytes(sign_extend(x.raw())))
}

/// `x` as a big-endian two's-complement 256-bit word.
pub fn sign_extend(x: i128) -> [u8; 32] {
    let mut word = [if x < 0 { 0xff } else { 0 }; 32];
    word[16..].copy_from_slice(&x.to_be_bytes());
    word
}

/// The low 16 bytes of a word as an `i128`.
fn low_i128(word: &[u8; 32]) -> Option<i128> {
    let mut low = [0u8; 16];
    low.copy_from_slice(&word[16..]);
    Some(i128::from_be_bytes(low))
}

/// An `int256` that fits an `i128` (its top 16 bytes are the sign extension of the rest).
pub fn i256_to_i128(x: I256) -> Option<i128> {
    let b = x.into_raw().to_be_bytes::<32>();
    let v = low_i128(&b)?;
    let extension = if v < 0 { 0xff } else { 0 };
    b[..16].iter().all(|&x| x == extension).then_some(v)
}

/// `trunc(|x| / d)` for a 256-bit magnitude and `d < 2⁶⁴`, by long division over 64-bit
/// limbs (no general 256-bit division is linked into contracts).
fn div_small(x: U256, d: u64) -> U256 {
    let mut limbs = *x.as_limbs();
    let mut rem: u128 = 0;
    for limb in limbs.iter_mut().rev() {
        let cur = (rem << 64) | u128::from(*limb);
        *limb = (cur / u128::from(d)) as u64;
        rem = cur % u128::from(d);
    }
    U256::from_limbs(limbs)
}

/// A feed answer with `decimals` decimals (≤ 36) as a wad: scaled up exactly for fewer than
/// 18 decimals, truncated toward zero for more. `UnsupportedDecimals(decimals)` above 36,
/// `WadOverflow()` when the result does not fit.
pub fn answer_to_wad(answer: I256, decimals: u8) -> Result<Wad, ConvertError> {
    if decimals > MAX_FEED_DECIMALS {
        return Err(UnsupportedDecimals { decimals }.into());
    }
    let overflow = || ConvertError::from(WadOverflow {});
    if decimals <= 18 {
        let value = i256_to_i128(answer).ok_or_else(overflow)?;
        return scale_to_wad(value, decimals).map_err(|_| overflow());
    }
    // Above 18 decimals, divide the magnitude in 256 bits first: the answer may exceed
    // `i128` while its wad does not (a 36-decimal price of 1,000 is 10³⁹).
    let q = div_small(answer.unsigned_abs(), 10u64.pow(u32::from(decimals - 18)));
    let q = u128::try_from(q).map_err(|_| overflow())?;
    let raw = if answer.is_negative() {
        0i128.checked_sub_unsigned(q)
    } else {
        i128::try_from(q).ok()
    };
    raw.map(Wad::from_raw).ok_or_else(overflow)
}
