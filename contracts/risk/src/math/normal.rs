//! Standard normal distribution.
//!
//! `N(x)` is evaluated as `N(−t) = e^{−t²/2}·M(t)` for `t = |x|` (and `1 − N(−t)` for
//! `x > 0`), where `M(t) = N(−t)·e^{t²/2}` is smooth and bounded by ½; it is stored as ten
//! piecewise polynomials on `[0, 10)` fitted with mpmath (see [`super::kernel`]). The factor
//! `e^{−t²/2}` reuses the exp kernel, so the normal CDF costs one exp, one short polynomial
//! and no division. For `|x| ≥ 10` the tail (< 10⁻²³) is dropped.
//!
//! # Accuracy
//! The kernel value has absolute error below 2⁻⁶²; the result is rounded to the nearest wad,
//! so `|N̂(x) − N(x)| ≤ 10⁻¹⁸` (one wei) for every `x` — far inside the required 10⁻¹⁵ over
//! `[−38, 38]` (`tests/math_normal.rs` checks it against mpmath).
use super::kernel::{normal_tail_q64, q64_to_wad_round, wad_to_q64, ONE_Q64, TAIL_LIMIT_Q64};
use crate::Wad;

/// `N(x)`, the standard normal CDF, rounded to the nearest wad (in `[0, 1]`).
pub fn norm_cdf(x: Wad) -> Wad {
    const LIMIT_RAW: i128 = 10_000_000_000_000_000_000;
    if x.raw() <= -LIMIT_RAW {
        return Wad::ZERO;
    }
    if x.raw() >= LIMIT_RAW {
        return Wad::ONE;
    }
    let t = wad_to_q64(x.raw()).unsigned_abs();
    let tail = if t >= TAIL_LIMIT_Q64 {
        0
    } else {
        normal_tail_q64(((t + 8) >> 4) as u64).0
    };
    let value = if x.is_positive() {
        ONE_Q64 - tail
    } else {
        tail
    };
    // value ≤ 2⁶⁴, so the conversion cannot overflow.
    Wad::from_raw(q64_to_wad_round(value).unwrap_or(0) as i128)
}

/// `φ(x) = e^{−x²/2}/√(2π)`, the standard normal density, rounded to the nearest wad.
pub fn norm_pdf(x: Wad) -> Wad {
    const LIMIT_RAW: i128 = 10_000_000_000_000_000_000;
    if x.raw().unsigned_abs() >= LIMIT_RAW as u128 {
        // φ(10) < 10⁻²², below half a wei.
        return Wad::ZERO;
    }
    let t = wad_to_q64(x.raw()).unsigned_abs();
    let gauss = normal_tail_q64(((t + 8) >> 4) as u64).1;
    let density = (gauss * super::consts::INV_SQRT_2PI_Q64 as u128) >> 64;
    Wad::from_raw(q64_to_wad_round(density).unwrap_or(0) as i128)
}
