//! Natural exponential and logarithm of wads.
//!
//! Both evaluate in the binary kernel (`math/kernel.rs`): the argument is converted to Q64
//! once, reduced by powers of two and a small table, evaluated by a short polynomial, and
//! the result converted back to 18 decimals **rounded to nearest**. No division is used.
//!
//! # Accuracy (what `tests/math_exp_ln.rs` checks against mpmath)
//!
//! The kernel error is below 2⁻⁶⁰ relative (≈ 10⁻¹⁸), so the final rounding to a wad
//! dominates. Let `y` be the exact value and `ŷ` the returned one:
//! * [`exp`]: `|ŷ − y| ≤ 10⁻¹⁵·y + 10⁻¹⁸` (one wei); in particular the relative error is
//!   ≤ 10⁻¹⁵ wherever `y ≥ 10⁻³`, and below that the result is within one wei of `y`.
//! * [`ln`]: `|ŷ − y| ≤ 10⁻¹⁸` (one wei) everywhere, which gives a relative error
//!   ≤ 10⁻¹⁵ wherever `|y| ≥ 10⁻³` (i.e. `x ∉ (0.999, 1.001)`).
//!
//! Limits follow the on-chain library: `exp(x) = 0` exactly for `x ≤ EXP_MIN_ARG`
//! (`e^x < ½·10⁻¹⁸`), [`RiskError::ExpOverflow`] for `x ≥ EXP_MAX_ARG`, and
//! [`RiskError::Overflow`] for results beyond the i128 wad range (`x ≳ 46.58`).
use super::kernel::{
    exp_q64, full_product, ln_q64, ln_wad_scale_q64, q64_to_wad_round_signed, wad_to_q64,
};
use crate::{RiskError, Wad};

/// Arguments at or below this give exactly 0 (the result is below 10⁻¹⁸).
pub const EXP_MIN_ARG: Wad = Wad::from_raw(-42_139_678_854_452_767_551);
/// Arguments at or above this revert with [`RiskError::ExpOverflow`].
pub const EXP_MAX_ARG: Wad = Wad::from_raw(135_305_999_368_893_231_589);

/// `e^x`, rounded to the nearest wad (see the module docs for the error bound).
// Out of line: the portfolio engine calls it from five places (contract size).
#[inline(never)]
pub fn exp(x: Wad) -> Result<Wad, RiskError> {
    if x <= EXP_MIN_ARG {
        return Ok(Wad::ZERO);
    }
    if x >= EXP_MAX_ARG {
        return Err(RiskError::ExpOverflow);
    }
    let (m, n) = exp_q64(wad_to_q64(x.raw()));
    // e^x·10¹⁸ = m·10¹⁸·2^(n−63); m·10¹⁸ < 2¹²⁴.
    let p = full_product(m, 1_000_000_000_000_000_000);
    let raw = if n >= 63 {
        let shift = (n - 63) as u32;
        if shift >= 127 || p > (i128::MAX as u128) >> shift {
            return Err(RiskError::Overflow);
        }
        p << shift
    } else {
        let shift = (63 - n) as u32;
        if shift >= 128 {
            0
        } else {
            (p + (1u128 << (shift - 1))) >> shift
        }
    };
    i128::try_from(raw)
        .map(Wad::from_raw)
        .map_err(|_| RiskError::Overflow)
}

/// `ln x` for `x > 0`, rounded to the nearest wad; [`RiskError::LogOfNonPositive`] otherwise.
pub fn ln(x: Wad) -> Result<Wad, RiskError> {
    if x.raw() <= 0 {
        return Err(RiskError::LogOfNonPositive);
    }
    let l = ln_q64(x.raw() as u128) - ln_wad_scale_q64();
    q64_to_wad_round_signed(l)
        .map(Wad::from_raw)
        .ok_or(RiskError::Overflow)
}
