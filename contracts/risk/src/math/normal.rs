//! Standard normal distribution.
//!
//! `N(x)` is evaluated as `N(−t) = e^{−t²/2}·M(t)` for `t = |x|` (and `1 − N(−t)` for
//! `x > 0`), where `M(t) = N(−t)·e^{t²/2}` is smooth and bounded by ½; it is stored as ten
//! piecewise polynomials on `[0, 10)` fitted with mpmath (see the kernel docs in
//! [`super`]). The factor `e^{−t²/2}` reuses the exp kernel, so the normal CDF costs one exp,
//! one polynomial of degree ≤ 17 and no division. For `|x| ≥ 10` the tail (< 10⁻²³) is
//! dropped.
//!
//! # Accuracy
//! The kernel value has relative error below 2⁻⁵⁹; the result is rounded to the nearest wad,
//! so `|N̂(x) − N(x)| ≤ 10⁻¹⁸` (one wei) for every `x` — far inside the required 10⁻¹⁵ over
//! `[−38, 38]` (`tests/math_normal.rs` checks it against mpmath).
use super::consts::INV_SQRT_2PI_Q64;
use super::kernel::{mulhi, normal_tail, wad_to_q64, Scaled, TAIL_LIMIT_Q64};
use crate::{Wad, WAD};

/// |x| from which `N(x)` is exactly 0 or 1 and `φ(x)` exactly 0 (10).
const LIMIT_RAW: i128 = 10 * WAD;

/// `N(x)`, the standard normal CDF, rounded to the nearest wad (in `[0, 1]`).
pub fn norm_cdf(x: Wad) -> Wad {
    if x.raw() <= -LIMIT_RAW {
        return Wad::ZERO;
    }
    if x.raw() >= LIMIT_RAW {
        return Wad::ONE;
    }
    let tail = tail_of(x).0.to_wad_round() as i128;
    Wad::from_raw(if x.is_positive() { WAD - tail } else { tail })
}

/// `φ(x) = e^{−x²/2}/√(2π)`, the standard normal density, rounded to the nearest wad.
pub fn norm_pdf(x: Wad) -> Wad {
    if x.raw().unsigned_abs() >= LIMIT_RAW as u128 {
        // φ(10) < 10⁻²², below half a wei.
        return Wad::ZERO;
    }
    let gauss = tail_of(x).1;
    let density = Scaled {
        m: mulhi(gauss.m, INV_SQRT_2PI_Q64),
        e: gauss.e,
    };
    Wad::from_raw(density.to_wad_round() as i128)
}

/// `(N(−|x|), e^{−x²/2})` for `|x| < 10`.
fn tail_of(x: Wad) -> (Scaled, Scaled) {
    let t = wad_to_q64(x.raw()).unsigned_abs();
    if t >= TAIL_LIMIT_Q64 {
        (Scaled::ZERO, Scaled::ZERO)
    } else {
        normal_tail(((t + 8) >> 4) as u64)
    }
}
