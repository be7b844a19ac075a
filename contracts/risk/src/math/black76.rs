//! Black-76 prices and greeks with the on-chain limit rules of PM2 §4.1.
//!
//! # Rules (PM2 §4.1, applied in this order)
//! 1. `K = 0` → `(call, put) = (F·D, 0)`; otherwise `F = 0` → `(0, K·D)`.
//! 2. Total vol `v = σ·√τ` (exact product of the two wads). `v ≥ 24` → `c* = 1`, `p* = μ`,
//!    i.e. `(F·D, K·D)`. A `v` below 10⁻¹⁸ (in particular `v = 0`) is replaced by 10⁻¹⁸.
//! 3. Otherwise `d1 = (v²/2 − ln μ)/v`, `d2 = d1 − v` with `μ = K/F`, and
//!    `call = min(max(F·N(d1) − K·N(d2), 0)·D, F·D)`, `put = min(max(call + (K − F)·D, 0), K·D)`
//!    (put–call parity, as the spec's `p* = max(c* + μ − 1, 0)`).
//!
//! # How it is evaluated
//! Everything happens in the binary kernel (`math/kernel.rs`) without a single division:
//! `ln μ = ln K_raw − ln F_raw` (two table-reduced logarithms), `1/v` by a Newton reciprocal,
//! and both `N(d1)` and `N(d2)` as `e^{−d²/2}·M(|d|)`. The **out-of-the-money** option is
//! priced directly from the two small tail probabilities and the other one by exact parity,
//! so deep in- or out-of-the-money prices do not lose digits to `1 − N(·)` cancellation.
//! `F·D` and `K·D` are exact wad products (truncated, computed division-free); each tail term
//! carries a relative error below 2⁻⁵⁹, so tiny out-of-the-money prices keep their digits.
//!
//! # Accuracy (checked by `tests/math_black76.rs` against mpmath on 10 000 random inputs)
//! Asserted: `|price − exact| ≤ max(10⁻¹²·price, 10⁻¹⁵·F·D) + 2 wei` (the issue asks for
//! 10⁻¹² relative, or 10⁻¹²·F absolute for tiny prices). Measured: at most ≈ 2·10⁻¹⁸·F·D,
//! i.e. a few wei on prices in the thousands; deltas within 2·10⁻¹⁸·D, vega within
//! 3·10⁻¹⁶·F·D·√τ.
//!
//! # Greeks ([`black76_greeks`])
//! Discounted, per unit of forward and per unit (1.0 = 100 %) of vol:
//! * `call_delta = ∂call/∂F = D·N(d1)` ∈ `[0, D]`;
//! * `put_delta = ∂put/∂F = −D·N(−d1)` ∈ `[−D, 0]` (negative);
//! * `vega = ∂call/∂σ = ∂put/∂σ = F·D·φ(d1)·√τ` ≥ 0.
//!
//! They follow the same regimes: `K = 0` → `(D, 0, 0)`; `F = 0` → `(0, −D, 0)`; `v ≥ 24`
//! (prices pinned to `F·D` and `K·D`) → `(D, 0, 0)`; a zero vol uses `v = 10⁻¹⁸` like the
//! price, giving the step-function delta (`D`, `D/2` at the money, or 0) and `vega =
//! F·D·φ(d1)·√τ` (`≈ 0.3989·F·D·√τ` at the money, 0 away from it).
use super::consts::{E36_OVER_2_120_Q64, INV_E36_Q183, INV_SQRT_2PI_Q64};
use super::kernel::{
    ln_q64, mul_shr, mulhi, normal_tail, recip_q63, wad_mul, Scaled, TAIL_LIMIT_Q64,
};
use crate::{RiskError, Wad};

/// Discounted call and put prices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionPrices {
    /// Call price.
    pub call: Wad,
    /// Put price.
    pub put: Wad,
}

/// Delta and vega of one option pair (discounted; see the module docs for signs and units).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Black76Greeks {
    /// ∂call/∂F (discounted), in `[0, D]`.
    pub call_delta: Wad,
    /// ∂put/∂F (discounted), in `[−D, 0]`.
    pub put_delta: Wad,
    /// ∂price/∂σ per 1.0 (100 %) of vol (same for call and put), ≥ 0.
    pub vega: Wad,
}

/// Total vol at or above which prices are pinned (`TV_MAX` of PM2 §2).
pub const TOTAL_VOL_MAX: Wad = Wad::from_int(24);

/// `10³⁶`: the scale of a product of two raw wads.
const E36: u128 = 1_000_000_000_000_000_000_000_000_000_000_000_000;

/// What the normal CDF part of Black-76 produced.
enum Core {
    /// `K = 0`.
    ZeroStrike,
    /// `F = 0`.
    ZeroForward,
    /// `v ≥ 24`.
    TotalVolCap,
    /// The regular case.
    Regular(Tails),
}

/// `N(−|d1|)`, `N(−|d2|)`, the signs of `d1`, `d2` and `e^{−d1²/2}`.
struct Tails {
    d1_pos: bool,
    d2_pos: bool,
    n1: Scaled,
    n2: Scaled,
    gauss1: Scaled,
}

fn check_inputs(values: &[Wad]) -> Result<(), RiskError> {
    if values.iter().any(|v| v.is_negative()) {
        return Err(RiskError::NegativeInput);
    }
    Ok(())
}

/// `N(−|d|)` and `e^{−d²/2}` for `d` in Q64.
fn tail(d: i128) -> (Scaled, Scaled) {
    let t = d.unsigned_abs();
    if t >= TAIL_LIMIT_Q64 {
        (Scaled::ZERO, Scaled::ZERO)
    } else {
        normal_tail(((t + 8) >> 4) as u64)
    }
}

/// The total vol `v = σ·√τ` of one (vol, √τ) pair in the forms the core needs: `v` in Q64
/// and `1/v` as `z·2^(120−e−63)` (see [`tails`]); `e = 0` (the default) marks `v ≥ 24`
/// (prices pinned).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct TotalVol {
    v: i128,
    z: u64,
    e: u32,
}

fn total_vol(sqrt_tau: Wad, vol: Wad) -> Result<TotalVol, RiskError> {
    // P = σ·√τ·10³⁶ exactly.
    let p = match (vol.raw() as u128).checked_mul(sqrt_tau.raw() as u128) {
        Some(p) if p < 24 * E36 => p,
        _ => return Ok(TotalVol::default()),
    };
    let p = p.max(1_000_000_000_000_000_000); // v ≥ 10⁻¹⁸
    let v = mul_shr(p, INV_E36_Q183, 119).ok_or(RiskError::Overflow)? as i128; // Q64
                                                                               // 1/v = 10³⁶/P = (1/m)·(10³⁶/2¹²⁰)·2^(120−e) with P = m·2^(e−63), e ≥ 59.
    let e = 127 - p.leading_zeros();
    let m = if e >= 63 {
        (p >> (e - 63)) as u64
    } else {
        (p << (63 - e)) as u64
    };
    let z = mulhi(recip_q63(m), E36_OVER_2_120_Q64); // Q63
    Ok(TotalVol { v, z, e })
}

/// The regular case from `ln μ = ln K − ln F` (Q64) and the total vol.
fn tails(ln_mu: i128, total: TotalVol) -> Result<Tails, RiskError> {
    let TotalVol { v, z, e } = total;
    let (d1, d2) = if ln_mu.unsigned_abs() >= 40 * v as u128 {
        // |ln μ / v| ≥ 40: both |d| ≥ 16, so both tails vanish; signs are −sign(ln μ).
        let d = if ln_mu > 0 {
            -(TAIL_LIMIT_Q64 as i128)
        } else {
            TAIL_LIMIT_Q64 as i128
        };
        (d, d)
    } else {
        // ln μ / v in Q64 = ln_mu·z·2^(120−e−63); e ∈ [59, 124] so the shift is ≥ 2.
        let q = mul_shr(ln_mu.unsigned_abs(), z, e - 57).ok_or(RiskError::Overflow)? as i128;
        let q = if ln_mu < 0 { -q } else { q };
        let d1 = (v >> 1) - q; // v > 0, so v >> 1 = v / 2 (without a 128-bit division)
        (d1, d1 - v)
    };
    let (n1, gauss1) = tail(d1);
    let (n2, _) = tail(d2);
    Ok(Tails {
        d1_pos: d1 > 0,
        d2_pos: d2 > 0,
        n1,
        n2,
        gauss1,
    })
}

fn core(forward: Wad, strike: Wad, sqrt_tau: Wad, vol: Wad) -> Result<Core, RiskError> {
    if strike.is_zero() {
        return Ok(Core::ZeroStrike);
    }
    if forward.is_zero() {
        return Ok(Core::ZeroForward);
    }
    let total = total_vol(sqrt_tau, vol)?;
    if total.e == 0 {
        return Ok(Core::TotalVolCap);
    }
    let ln_mu = ln_q64(strike.raw() as u128) - ln_q64(forward.raw() as u128); // Q64
    Ok(Core::Regular(tails(ln_mu, total)?))
}

/// `⌊w · q⌋` for a non-negative wad `w` and a probability-sized `q`.
fn scale(w: Wad, q: Scaled) -> Result<i128, RiskError> {
    let r = q.mul_int(w.raw() as u128).ok_or(RiskError::Overflow)?;
    i128::try_from(r).map_err(|_| RiskError::Overflow)
}

fn prices_from(core: &Core, fd: Wad, kd: Wad) -> Result<OptionPrices, RiskError> {
    let (call, put) = match core {
        Core::ZeroStrike => (fd.raw(), 0),
        Core::ZeroForward => (0, kd.raw()),
        Core::TotalVolCap => (fd.raw(), kd.raw()),
        Core::Regular(t) => {
            let f1 = scale(fd, t.n1)?; // F·D·N(−|d1|)
            let k2 = scale(kd, t.n2)?; // K·D·N(−|d2|)
            let parity = kd.raw().checked_sub(fd.raw()).ok_or(RiskError::Overflow)?; // (K−F)·D
            if !t.d1_pos {
                // Out-of-the-money call: F·N(d1) − K·N(d2) with both tails small.
                let call = f1 - k2;
                (call, call.checked_add(parity).ok_or(RiskError::Overflow)?)
            } else if t.d2_pos {
                // Out-of-the-money put: K·N(−d2) − F·N(−d1).
                let put = k2 - f1;
                (put.checked_sub(parity).ok_or(RiskError::Overflow)?, put)
            } else {
                // d2 ≤ 0 < d1: call = F(1 − N(−d1)) − K·N(d2), put = K(1 − N(d2)) − F·N(−d1).
                let both = f1.checked_add(k2).ok_or(RiskError::Overflow)?;
                (fd.raw() - both, kd.raw() - both)
            }
        }
    };
    Ok(OptionPrices {
        // `clamp(0, ·)` with `F·D, K·D ≥ 0`, written without `clamp`'s panic path.
        call: Wad::from_raw(call.max(0).min(fd.raw())),
        put: Wad::from_raw(put.max(0).min(kd.raw())),
    })
}

fn greeks_from(
    core: &Core,
    fd: Wad,
    discount: Wad,
    sqrt_tau: Wad,
) -> Result<Black76Greeks, RiskError> {
    let (call_delta, put_delta, vega) = match core {
        Core::ZeroStrike | Core::TotalVolCap => (discount.raw(), 0, 0),
        Core::ZeroForward => (0, -discount.raw(), 0),
        Core::Regular(t) => {
            // D·N(−|d1|), and D·N(|d1|) = D − D·N(−|d1|).
            let small = scale(discount, t.n1)?;
            let large = discount.raw() - small;
            let (call_delta, put_delta) = if t.d1_pos {
                (large, -small)
            } else {
                (small, -large)
            };
            let density = Scaled {
                m: mulhi(t.gauss1.m, INV_SQRT_2PI_Q64),
                e: t.gauss1.e,
            }; // φ(d1)
            let vega = scale(wad_mul(fd, sqrt_tau)?, density)?;
            (call_delta, put_delta, vega)
        }
    };
    Ok(Black76Greeks {
        call_delta: Wad::from_raw(call_delta),
        put_delta: Wad::from_raw(put_delta),
        vega: Wad::from_raw(vega),
    })
}

/// Black-76 `(call, put)` for forward `forward`, strike `strike`, `sqrt_tau = √(T/Y)`,
/// vol `vol` and discount factor `discount`, with the limit rules of PM2 §4.1.
/// Any negative input → [`RiskError::NegativeInput`].
pub fn black76(
    forward: Wad,
    strike: Wad,
    sqrt_tau: Wad,
    vol: Wad,
    discount: Wad,
) -> Result<OptionPrices, RiskError> {
    check_inputs(&[forward, strike, sqrt_tau, vol, discount])?;
    let c = core(forward, strike, sqrt_tau, vol)?;
    prices_from(&c, wad_mul(forward, discount)?, wad_mul(strike, discount)?)
}

/// Black-76 delta and vega (see the module docs for signs, units and limit regimes).
/// Same arguments and errors as [`black76`].
pub fn black76_greeks(
    forward: Wad,
    strike: Wad,
    sqrt_tau: Wad,
    vol: Wad,
    discount: Wad,
) -> Result<Black76Greeks, RiskError> {
    check_inputs(&[forward, strike, sqrt_tau, vol, discount])?;
    let c = core(forward, strike, sqrt_tau, vol)?;
    greeks_from(&c, wad_mul(forward, discount)?, discount, sqrt_tau)
}

/// Prices and greeks in one pass (one logarithm pair, one reciprocal, two normal tails).
pub fn black76_with_greeks(
    forward: Wad,
    strike: Wad,
    sqrt_tau: Wad,
    vol: Wad,
    discount: Wad,
) -> Result<(OptionPrices, Black76Greeks), RiskError> {
    check_inputs(&[forward, strike, sqrt_tau, vol, discount])?;
    let c = core(forward, strike, sqrt_tau, vol)?;
    let fd = wad_mul(forward, discount)?;
    let prices = prices_from(&c, fd, wad_mul(strike, discount)?)?;
    Ok((prices, greeks_from(&c, fd, discount, sqrt_tau)?))
}

/// A price level (forward or strike) prepared once: the value, `ln` of it in Q64 (0 for
/// zero, never read: zero has its own pricing rule) and its discounted value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Level {
    value: Wad,
    ln: i128,
    discounted: Wad,
}

#[inline(never)]
fn level(value: Wad, discount: Wad) -> Result<Level, RiskError> {
    check_inputs(&[value, discount])?;
    Ok(Level {
        value,
        ln: if value.is_positive() {
            ln_q64(value.raw() as u128)
        } else {
            0
        },
        discounted: wad_mul(value, discount)?,
    })
}

/// A forward prepared for pricing many options: `F`, `ln F` and `F·D` computed once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PreparedForward(Level);

impl PreparedForward {
    /// Prepares `forward` under the discount factor `discount`; a negative input →
    /// [`RiskError::NegativeInput`].
    pub fn new(forward: Wad, discount: Wad) -> Result<PreparedForward, RiskError> {
        level(forward, discount).map(PreparedForward)
    }
}

/// A strike prepared for pricing at many forwards: `ln K` and `K·D` computed once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PreparedStrike(Level);

impl PreparedStrike {
    /// Prepares `strike` under the discount factor `discount` (the same as the forwards it
    /// is priced against); a negative input → [`RiskError::NegativeInput`].
    pub fn new(strike: Wad, discount: Wad) -> Result<PreparedStrike, RiskError> {
        level(strike, discount).map(PreparedStrike)
    }
}

/// A vol prepared for pricing at many forwards: `v = σ·√τ` and `1/v` computed once. (The
/// default is a placeholder that prices as the total-vol cap.)
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PreparedVol(TotalVol);

impl PreparedVol {
    /// Prepares `vol` at `sqrt_tau = √(T/Y)`; a negative input →
    /// [`RiskError::NegativeInput`].
    pub fn new(sqrt_tau: Wad, vol: Wad) -> Result<PreparedVol, RiskError> {
        check_inputs(&[sqrt_tau, vol])?;
        total_vol(sqrt_tau, vol).map(PreparedVol)
    }
}

/// [`black76`] from prepared inputs, **bit-identical** to `black76(F, K, √τ, σ, D)` when the
/// forward and strike were prepared with the same `D` and the vol at the same `√τ`. The
/// portfolio engine prices every option at every scenario forward: preparing each strike and
/// vol once per expiry, and each forward once per scenario, leaves the two normal tails as
/// the whole per-option work.
pub fn black76_prepared(
    forward: &PreparedForward,
    strike: &PreparedStrike,
    vol: &PreparedVol,
) -> Result<OptionPrices, RiskError> {
    let (forward, strike) = (&forward.0, &strike.0);
    let core = if strike.value.is_zero() {
        Core::ZeroStrike
    } else if forward.value.is_zero() {
        Core::ZeroForward
    } else if vol.0.e == 0 {
        Core::TotalVolCap
    } else {
        Core::Regular(tails(strike.ln - forward.ln, vol.0)?)
    };
    prices_from(&core, forward.discounted, strike.discounted)
}
