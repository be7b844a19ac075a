//! Square root of wads, exactly rounded down.
//!
//! `sqrt(x)` returns `⌊√(x_raw · 10¹⁸)⌋` as the raw result: the largest wad whose square does
//! not exceed `x`. The 256-bit radicand is handled by the kernel's `isqrt_u256`: a
//! table-seeded Newton iteration for `1/√m` (no division), one correction step, then an exact
//! integer check that fixes the last unit, so the result is the true floor for every input.
use super::kernel::{isqrt_u256, widening_mul};
use crate::{RiskError, Wad, WAD};

/// `√x` for `x ≥ 0`, rounded down to the wad below; [`RiskError::SqrtOfNegative`] for `x < 0`.
pub fn sqrt(x: Wad) -> Result<Wad, RiskError> {
    if x.is_negative() {
        return Err(RiskError::SqrtOfNegative);
    }
    let (hi, lo) = widening_mul(x.raw() as u128, WAD as u128);
    let s = isqrt_u256(hi, lo).ok_or(RiskError::Overflow)?;
    i128::try_from(s)
        .map(Wad::from_raw)
        .map_err(|_| RiskError::Overflow)
}

/// `⌊√(a² + b²)⌋` on raw wads: `√((a/10¹⁸)² + (b/10¹⁸)²)` rounded down to a wad, with no
/// intermediate rounding. [`RiskError::Overflow`] if `a² + b² ≥ 2¹⁸⁸` (|a|, |b| ≳ 1.4·10¹⁰).
pub fn hypot(a: Wad, b: Wad) -> Result<Wad, RiskError> {
    let (ah, al) = widening_mul(a.raw().unsigned_abs(), a.raw().unsigned_abs());
    let (bh, bl) = widening_mul(b.raw().unsigned_abs(), b.raw().unsigned_abs());
    let (lo, carry) = al.overflowing_add(bl);
    let hi = ah
        .checked_add(bh)
        .and_then(|h| h.checked_add(carry as u128))
        .ok_or(RiskError::Overflow)?;
    let s = isqrt_u256(hi, lo).ok_or(RiskError::Overflow)?;
    i128::try_from(s)
        .map(Wad::from_raw)
        .map_err(|_| RiskError::Overflow)
}
