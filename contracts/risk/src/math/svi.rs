//! Raw-SVI implied vol as PM2 §4.2 evaluates it.
//!
//! `σ(K) = √(w(k)/τ^svi)` with `w(k) = a + b·(√((k−m)² + σ_svi²) + ρ·(k−m))` and
//! `k = ln(K/F^svi)`, with the vol feed's guards, in this order:
//! 1. `K = 0` → σ = 0. `F^svi ≤ 0` → [`RiskError::InvalidSvi`].
//! 2. `a + b·σ_svi < 0` → [`RiskError::InvalidSvi`]; else `B = K_SCALE·√(a + b·σ_svi)`.
//! 3. `k = ln(K/F^svi)` clamped to `[−B, B]`; if `K/F^svi < 10⁻¹⁸` then `k = −B`.
//! 4. `w < 0` → [`RiskError::InvalidSvi`]; then `w ← min(w, max_total_variance)`.
//! 5. `σ = √(w/τ^svi)`; `τ^svi = 0` → [`RiskError::DivisionByZero`].
//!
//! Negative `K` or `τ^svi` → [`RiskError::NegativeInput`].
//!
//! Rounding: `a + b·σ_svi` is exact; `k` is the correctly rounded logarithm of the exact ratio
//! (no intermediate `K ⊘ F`) or the floored bound `B`; the square roots are exact floors of
//! exact radicands (`16·(a + bσ)`, `(k−m)² + σ²` and `w·10³⁶/τ` are not rounded before the
//! root); the two remaining wad products (`ρ·(k−m)` and `b·(…)`) truncate toward zero like the
//! on-chain library. Hence `|ŵ − w| ≤ 1 + b·(3 + |ρ|)` wei against the exact-real smile, and
//! σ carries a relative error of about `|ŵ − w|/(2w)` plus one wei (`tests/math_svi.rs`).
use super::kernel::{
    add256, isqrt_u256, ln_q64, q64_to_wad_round_signed, sub256, wad_mul, widening_mul,
};
use super::sqrt::{hypot, sqrt};
use crate::fixed::mul_div_floor_u128;
use crate::{RiskError, Wad, WAD};

/// The on-chain cap on SVI total variance (`W_MAX` of PM2 §2).
pub const SVI_MAX_TOTAL_VARIANCE: Wad = Wad::from_int(144);
/// Log-moneyness clamp multiplier (`K_SCALE` of PM2 §2; the code uses `K_SCALE² = 2⁴`).
pub const SVI_K_SCALE: i128 = 4;
const _: () = assert!(SVI_K_SCALE * SVI_K_SCALE == 1 << 4);

/// Raw-SVI parameters with their own reference forward and time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SviParams {
    /// `a`.
    pub a: Wad,
    /// `b`.
    pub b: Wad,
    /// `ρ`.
    pub rho: Wad,
    /// `m`.
    pub m: Wad,
    /// `σ` (the SVI curvature parameter, not a vol).
    pub sigma: Wad,
    /// Reference forward `F^svi`.
    pub forward: Wad,
    /// Reference time `τ^svi` in years.
    pub tau: Wad,
}

/// Implied vol at `strike`, with total variance capped at `max_total_variance` (144 on-chain,
/// [`SVI_MAX_TOTAL_VARIANCE`]).
pub fn svi_vol(params: &SviParams, strike: Wad, max_total_variance: Wad) -> Result<Wad, RiskError> {
    let w = svi_total_variance(params, strike, max_total_variance)?;
    let Some(w) = w else {
        return Ok(Wad::ZERO);
    };
    if params.tau.is_negative() {
        return Err(RiskError::NegativeInput);
    }
    if params.tau.is_zero() {
        return Err(RiskError::DivisionByZero);
    }
    // ⌊√(w/τ)⌋ = ⌊√⌊w·10³⁶/τ⌋⌋ on raw integers: one rounding only.
    let w_raw = w.raw() as u128;
    let tau_raw = params.tau.raw() as u128;
    const E36: u128 = (WAD as u128) * (WAD as u128);
    match mul_div_floor_u128(w_raw, E36, tau_raw) {
        Ok(radicand) => {
            let s = isqrt_u256(0, radicand).ok_or(RiskError::Overflow)?;
            i128::try_from(s)
                .map(Wad::from_raw)
                .map_err(|_| RiskError::Overflow)
        }
        // w/τ ≥ 340: the wad quotient loses under 3·10⁻²¹ relative.
        Err(_) => sqrt(w.div(params.tau)?),
    }
}

/// The capped total variance `min(w(k), max_total_variance)` of PM2 §4.2 steps 1–4, or
/// `None` when `K = 0` (σ = 0 without evaluating the smile).
pub fn svi_total_variance(
    params: &SviParams,
    strike: Wad,
    max_total_variance: Wad,
) -> Result<Option<Wad>, RiskError> {
    if strike.is_negative() {
        return Err(RiskError::NegativeInput);
    }
    if strike.is_zero() {
        return Ok(None);
    }
    if !params.forward.is_positive() {
        return Err(RiskError::InvalidSvi);
    }
    // a + b·σ exactly, as a signed 256-bit multiple of 10⁻³⁶; B = ⌊K_SCALE·√(a + b·σ)⌋ with a
    // single rounding.
    let (a_hi, a_lo) = widening_mul(params.a.raw().unsigned_abs(), WAD as u128);
    let (p_hi, p_lo) = widening_mul(
        params.b.raw().unsigned_abs(),
        params.sigma.raw().unsigned_abs(),
    );
    let a_neg = params.a.is_negative();
    let p_neg = params.b.is_negative() != params.sigma.is_negative();
    let (q_hi, q_lo) = match (a_neg, p_neg) {
        (false, false) => add256(a_hi, a_lo, p_hi, p_lo).ok_or(RiskError::Overflow)?,
        (true, true) => return Err(RiskError::InvalidSvi),
        (false, true) => match sub256(a_hi, a_lo, p_hi, p_lo) {
            (false, hi, lo) => (hi, lo),
            (true, ..) => return Err(RiskError::InvalidSvi),
        },
        (true, false) => match sub256(p_hi, p_lo, a_hi, a_lo) {
            (false, hi, lo) => (hi, lo),
            (true, ..) => return Err(RiskError::InvalidSvi),
        },
    };
    if q_hi >> 120 != 0 {
        return Err(RiskError::Overflow);
    }
    // K_SCALE² = 16 = 2⁴.
    let bound = isqrt_u256((q_hi << 4) | (q_lo >> 124), q_lo << 4).ok_or(RiskError::Overflow)?;
    let bound = Wad::from_raw(i128::try_from(bound).map_err(|_| RiskError::Overflow)?);
    // K/F < 10⁻¹⁸ ⇔ K_raw·10¹⁸ < F_raw.
    let underflows = (strike.raw() as u128)
        .checked_mul(WAD as u128)
        .is_some_and(|scaled| scaled < params.forward.raw() as u128);
    let k = if underflows {
        bound.neg()?
    } else {
        let l = ln_q64(strike.raw() as u128) - ln_q64(params.forward.raw() as u128);
        let k = Wad::from_raw(q64_to_wad_round_signed(l).ok_or(RiskError::Overflow)?);
        k.max(bound.neg()?).min(bound)
    };
    let km = k.sub(params.m)?;
    let root = hypot(km, params.sigma)?;
    let inner = root.add(wad_mul(params.rho, km)?)?;
    let w = params.a.add(wad_mul(params.b, inner)?)?;
    if w.is_negative() {
        return Err(RiskError::InvalidSvi);
    }
    Ok(Some(w.min(max_total_variance)))
}
