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
//! Rounding: `k` is the exactly rounded logarithm of the exact ratio (no intermediate `K ⊘ F`),
//! the square roots are exact floors of exact radicands (`(k−m)² + σ²` and `w·10³⁶/τ` are not
//! rounded before the root), and the three wad products (`b·σ_svi`, `ρ·(k−m)`, `b·(…)`)
//! truncate toward zero like the on-chain library. So `w` is within a few wei of the exact
//! value for the rounded `k`, and σ carries a relative error of order `10⁻¹⁸/w`.
use super::kernel::{ln_q64, q64_to_wad_round_signed};
use super::sqrt::{hypot, sqrt};
use crate::fixed::mul_div_floor_u128;
use crate::{RiskError, Wad, WAD};

/// The on-chain cap on SVI total variance (`W_MAX` of PM2 §2).
pub const SVI_MAX_TOTAL_VARIANCE: Wad = Wad::from_int(144);
/// Log-moneyness clamp multiplier (`K_SCALE` of PM2 §2).
pub const SVI_K_SCALE: i128 = 4;

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
            let (hi, lo) = (0u128, radicand);
            let s = super::kernel::isqrt_u256(hi, lo).ok_or(RiskError::Overflow)?;
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
    let floor_var = params.a.add(params.b.mul(params.sigma)?)?;
    if floor_var.is_negative() {
        return Err(RiskError::InvalidSvi);
    }
    let bound = sqrt(floor_var)?.mul_int(SVI_K_SCALE)?;
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
    let inner = root.add(params.rho.mul(km)?)?;
    let w = params.a.add(params.b.mul(inner)?)?;
    if w.is_negative() {
        return Err(RiskError::InvalidSvi);
    }
    Ok(Some(w.min(max_total_variance)))
}
