//! The vault side of a margin engine (`abi/IRiskEngine.sol`, `abi/ICrossEngine.sol`):
//! `margin(bytes snapshot) view returns (int256 im, int256 mm, int256 mtm, uint256
//! worstScenario)`, static-called on the engine the owner configured for the account's mode.
//! The margin module builds the snapshot and maps an [`EngineFailure`] to its named error (or
//! passes the engine's revert data on).

use alloc::vec::Vec;

use alloy_primitives::{Address, U256};
use keel_risk::Wad;
use stylus_sdk::call::static_call;
use stylus_sdk::prelude::*;
use stylus_sdk::stylus_core::calls::Call;

use crate::pack::uint_word;

/// `margin(bytes)`.
pub const MARGIN_SELECTOR: [u8; 4] = [0x24, 0xc7, 0x57, 0x78];

/// An engine's answer, 18 decimals, signed as the engine returns them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Margin {
    /// Initial margin (surplus, ≥ 0 when the account meets it).
    pub im: Wad,
    /// Maintenance margin (same convention).
    pub mm: Wad,
    /// Mark-to-market value of the account.
    pub mtm: Wad,
    /// Portfolio mode: the worst scenario's index; `U256::MAX` when none applies.
    pub worst_scenario: U256,
}

/// Why an engine call did not produce a [`Margin`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EngineFailure {
    /// The engine reverted with this data (its own named error, or nothing).
    Reverted(Vec<u8>),
    /// The engine answered fewer than four words, or a value beyond an 18-decimal wad
    /// (`int128`) — including an account without code, which answers nothing.
    BadReturn,
}

/// The calldata of `margin(snapshot)`: selector, offset 32, length, the bytes padded to a
/// whole number of words.
pub fn margin_calldata(snapshot: &[u8]) -> Vec<u8> {
    let padded = snapshot.len().div_ceil(32) * 32;
    let mut out = Vec::with_capacity(4 + 64 + padded);
    out.extend_from_slice(&MARGIN_SELECTOR);
    out.extend_from_slice(&uint_word(32));
    out.extend_from_slice(&uint_word(snapshot.len() as u128));
    out.extend_from_slice(snapshot);
    out.resize(4 + 64 + padded, 0);
    out
}

/// Word `i` of `out` as a wad: a sign-extended `int128`.
fn wad_word(out: &[u8], i: usize) -> Option<Wad> {
    let w = out.get(32 * i..32 * (i + 1))?;
    let mut low = [0u8; 16];
    low.copy_from_slice(&w[16..]);
    let v = i128::from_be_bytes(low);
    let extension = if v < 0 { 0xff } else { 0 };
    w[..16]
        .iter()
        .all(|&b| b == extension)
        .then_some(Wad::from_raw(v))
}

/// Decodes the return of `margin(bytes)`.
pub fn decode_margin(out: &[u8]) -> Result<Margin, EngineFailure> {
    let word = |i| wad_word(out, i).ok_or(EngineFailure::BadReturn);
    Ok(Margin {
        im: word(0)?,
        mm: word(1)?,
        mtm: word(2)?,
        worst_scenario: out
            .get(96..128)
            .map(U256::from_be_slice)
            .ok_or(EngineFailure::BadReturn)?,
    })
}

/// Static-calls `engine.margin(snapshot)`.
pub fn margin(host: &dyn Host, engine: Address, snapshot: &[u8]) -> Result<Margin, EngineFailure> {
    let out = static_call(host, Call::new(), engine, &margin_calldata(snapshot)).map_err(|e| {
        EngineFailure::Reverted(match e {
            stylus_sdk::stylus_core::calls::errors::Error::Revert(data) => data,
            _ => Vec::new(),
        })
    })?;
    decode_margin(&out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use keel_stylus_common::convert::sign_extend;

    #[test]
    fn the_selector_is_margin_bytes() {
        let h = alloy_primitives::keccak256(b"margin(bytes)");
        assert_eq!(MARGIN_SELECTOR, [h[0], h[1], h[2], h[3]]);
    }

    #[test]
    fn calldata_is_the_standard_abi_encoding() {
        use alloy_sol_types::{sol, SolCall};
        sol! { function margin(bytes snapshot) external view returns (int256 im, int256 mm, int256 mtm, uint256 worstScenario); }
        for len in [0usize, 1, 31, 32, 33, 1000] {
            let snapshot: Vec<u8> = (0..len).map(|i| i as u8).collect();
            let expected = marginCall {
                snapshot: snapshot.clone().into(),
            }
            .abi_encode();
            assert_eq!(margin_calldata(&snapshot), expected, "len {len}");
        }
    }

    #[test]
    fn returns_decode_as_signed_wads() {
        let mut out = Vec::new();
        for v in [-5i128, 7, i128::MIN, -1] {
            out.extend_from_slice(&sign_extend(v));
        }
        assert_eq!(
            decode_margin(&out),
            Ok(Margin {
                im: Wad::from_raw(-5),
                mm: Wad::from_raw(7),
                mtm: Wad::from_raw(i128::MIN),
                worst_scenario: U256::MAX,
            })
        );
        // Too short (an account without code answers nothing).
        assert_eq!(decode_margin(&out[..127]), Err(EngineFailure::BadReturn));
        assert_eq!(decode_margin(&[]), Err(EngineFailure::BadReturn));
        // A value beyond int128.
        let mut wide = out.clone();
        wide[0] = 0x01;
        assert_eq!(decode_margin(&wide), Err(EngineFailure::BadReturn));
    }
}
