//! The PM2 evaluation itself: arrange and precompute everything that does not depend on the
//! scenario (§5), run the scenario loop per underlying (§6), add the contingencies (§7) and
//! combine (§8).
//!
//! Cost model: the scenario loop is `scenarios × options` Black-76 evaluations and nothing
//! else of weight. Everything scenario-independent (σ per option and per vol map, √τ, D,
//! δ±, F^fix/F^var, the skew vols) is computed once; `V_e(1, None)` and the two basis
//! shocks are priced once and reused by the scenarios that coincide with them, the two skew
//! scenarios are priced once per expiry whatever their number, and the loop itself does no
//! division of its own.

use alloc::vec;
use alloc::vec::Vec;

use super::inputs::{ExpiryBook, PortfolioAccount, UnderlyingBook};
use super::params::{OtherContingencyParams, Pm2Params, SkewShockParams, VolShock};
use super::result::{
    ExpiryBreakdown, PortfolioBreakdown, PortfolioMargin, UnderlyingBreakdown, WorstCase,
};
use crate::math::{
    annualise, black76_prepared, exp, ln, sqrt, svi_vol, wad_product, PreparedForward,
    PreparedStrike, PreparedVol,
};
use crate::{RiskError, Wad};

/// Pivot of the vol-shock term structure, in seconds.
pub const THIRTY_DAYS: u64 = 2_592_000;

// Slots of `OptionPre::vols`, one per vol map of §6.2–§6.3.
const VOL_NONE: usize = 0;
const VOL_UP: usize = 1;
const VOL_DOWN: usize = 2;
const VOL_LINEAR: usize = 3;
const VOL_ABS: usize = 4;

/// A non-zero option with its vol under every map the scenario set needs, and both
/// prepared for pricing at every scenario forward.
struct OptionPre {
    strike: Wad,
    amount: Wad,
    is_call: bool,
    vols: [Wad; 5],
    prepared_strike: PreparedStrike,
    prepared_vols: [PreparedVol; 5],
}

/// The scenario-independent state of one held expiry.
struct ExpiryPre {
    first: usize,
    end: usize,
    forward_fixed: Wad,
    forward_variable: Wad,
    discount: Wad,
    delta_long: Wad,
    delta_short: Wad,
    mtm: Wad,
    value_basis_up: Wad,
    value_basis_down: Wad,
    value_linear: Wad,
    value_abs: Wad,
}

/// Which skew maps the scenario set uses (they are only priced, and only revert, if used).
#[derive(Clone, Copy)]
struct SkewNeeds {
    linear: bool,
    abs: bool,
}

/// Evaluates IM and MM of `account` under `params` (see the module docs of
/// [`crate::model::portfolio`]).
pub fn portfolio_margin(
    account: &PortfolioAccount,
    params: &Pm2Params,
) -> Result<PortfolioMargin, RiskError> {
    if params.scenarios.is_empty() {
        return Err(RiskError::InvalidScenarios);
    }
    let stable = non_negative(account.stable_price)?;
    let other = &params.other;

    // Collateral: counted once, whatever it is linked to (§5.4, §7.4, §7.5).
    let mut min_spot_confidence = Wad::ONE;
    for book in &account.underlyings {
        min_spot_confidence = min_spot_confidence.min(non_negative(book.spot_confidence)?);
    }
    let mut linked_value = vec![Wad::ZERO; account.underlyings.len()];
    let (mut collateral_mtm, mut collateral_mm, mut collateral_im, mut collateral_oracle) =
        (Wad::ZERO, Wad::ZERO, Wad::ZERO, Wad::ZERO);
    for c in &account.collaterals {
        if c.amount.is_zero() {
            continue;
        }
        non_negative(c.amount)?;
        non_negative(c.price)?;
        non_negative(c.confidence)?;
        let haircuts = c.mm_haircut.add(c.im_haircut)?;
        if c.mm_haircut.is_negative() || c.im_haircut.is_negative() || haircuts > Wad::ONE {
            return Err(RiskError::ParameterOutOfBounds);
        }
        let value = c.amount.mul_div(c.price, stable)?;
        let spot_confidence = match c.risk_cancelling {
            Some(u) => {
                let book = account.underlyings.get(u as usize);
                let slot = linked_value.get_mut(u as usize);
                let (Some(book), Some(slot)) = (book, slot) else {
                    return Err(RiskError::MissingMarketData);
                };
                *slot = slot.add(value)?;
                book.spot_confidence
            }
            None => min_spot_confidence,
        };
        collateral_mtm = collateral_mtm.add(value)?;
        collateral_mm = collateral_mm.add(value.mul(c.mm_haircut)?)?;
        collateral_im = collateral_im.add(value.mul(c.im_haircut)?)?;
        let confidence = c.confidence.min(spot_confidence);
        collateral_oracle = collateral_oracle.add(oracle_charge(other, confidence, value)?)?;
    }

    let skew = SkewNeeds {
        linear: params
            .scenarios
            .iter()
            .any(|s| s.vol_shock == VolShock::Linear),
        abs: params
            .scenarios
            .iter()
            .any(|s| s.vol_shock == VolShock::Abs),
    };
    let mut options = Vec::new();
    let mut expiries = Vec::new();
    let mut underlyings = Vec::with_capacity(account.underlyings.len());
    let (mut worst_loss, mut perp_mm, mut perp_im, mut option_mm, mut option_im) =
        (Wad::ZERO, Wad::ZERO, Wad::ZERO, Wad::ZERO, Wad::ZERO);
    let (mut perp_mtm, mut option_mtm) = (Wad::ZERO, Wad::ZERO);
    let mut oracle_im = collateral_oracle;
    for (book, linked) in account.underlyings.iter().zip(&linked_value) {
        let u = evaluate_underlying(
            book,
            *linked,
            account.now,
            params,
            skew,
            &mut options,
            &mut expiries,
        )?;
        worst_loss = worst_loss.add(u.worst_loss)?;
        perp_mm = perp_mm.add(u.perp_mm)?;
        perp_im = perp_im.add(u.perp_im)?;
        option_mm = option_mm.add(u.option_mm)?;
        option_im = option_im.add(u.option_im)?;
        oracle_im = oracle_im.add(u.oracle_im)?;
        perp_mtm = perp_mtm.add(u.perp_mtm)?;
        option_mtm = option_mtm.add(u.option_mtm)?;
        underlyings.push(u);
    }

    // §7.6: the de-peg raises only the IM loss factor.
    let mm_loss_factor = params.margin.mm_factor;
    let mut im_loss_factor = params.margin.im_factor;
    if stable < other.peg_loss_threshold {
        let depeg = other
            .peg_loss_threshold
            .sub(stable)?
            .mul(other.peg_loss_factor)?;
        im_loss_factor = im_loss_factor.add(depeg)?;
    }

    let mtm = account
        .cash
        .add(perp_mtm)?
        .add(option_mtm)?
        .add(collateral_mtm)?;
    let mm_contingency = perp_mm.add(option_mm)?.add(collateral_mm)?;
    let im_contingency = perp_im.add(option_im)?.add(collateral_im)?.add(oracle_im)?;
    let mm = mm_loss_factor
        .mul(worst_loss)?
        .sub(mm_contingency)?
        .add(mtm)?;
    let im = im_loss_factor
        .mul(worst_loss)?
        .sub(mm_contingency)?
        .sub(im_contingency)?
        .add(mtm)?;
    Ok(PortfolioMargin {
        im,
        mm,
        mtm,
        breakdown: PortfolioBreakdown {
            mm_loss_factor,
            im_loss_factor,
            worst_loss,
            underlyings,
            perp_mm,
            perp_im,
            option_mm,
            option_im,
            collateral_mm,
            collateral_im,
            oracle_im,
            mm_contingency,
            im_contingency,
            cash_mtm: account.cash,
            perp_mtm,
            option_mtm,
            collateral_mtm,
        },
    })
}

/// One underlying on its own grid: `L_u`, `B_u` and its contingencies. `linked` is the
/// stable value of the risk-cancelling collateral linked to it. `options` and `expiries`
/// are scratch buffers reused across underlyings.
fn evaluate_underlying(
    book: &UnderlyingBook,
    linked: Wad,
    now: u64,
    params: &Pm2Params,
    skew: SkewNeeds,
    options: &mut Vec<OptionPre>,
    expiries: &mut Vec<ExpiryPre>,
) -> Result<UnderlyingBreakdown, RiskError> {
    let other = &params.other;
    let spot = non_negative(book.spot)?;
    let spot_confidence = non_negative(book.spot_confidence)?;

    // Perp (§5.4, §6.1, §7.2): U, P and c_P are read only when N ≠ 0.
    let perp = &book.perp;
    let (mut portfolio_confidence, mut perp_mtm, mut exposure) =
        (spot_confidence, Wad::ZERO, linked);
    let (mut perp_mm, mut perp_im, mut oracle_im) = (Wad::ZERO, Wad::ZERO, Wad::ZERO);
    if !perp.amount.is_zero() {
        non_negative(perp.price)?;
        portfolio_confidence = portfolio_confidence.min(non_negative(perp.confidence)?);
        perp_mtm = perp.unrealised;
        exposure = exposure.add(perp.amount.mul(perp.price)?)?;
        let notional = perp.amount.abs()?.mul(spot)?;
        perp_mm = notional.mul(other.mm_perp_percent)?;
        perp_im = notional.mul(other.im_perp_percent)?;
        oracle_im = oracle_charge(other, portfolio_confidence, notional)?;
    }

    // Arrange and precompute every held expiry (§5).
    options.clear();
    expiries.clear();
    let mut breakdowns = Vec::new();
    let (mut option_mtm, mut basis, mut option_mm, mut option_im) =
        (Wad::ZERO, Wad::ZERO, Wad::ZERO, Wad::ZERO);
    for e in &book.expiries {
        if e.options.iter().all(|o| o.amount.is_zero()) {
            continue;
        }
        if expiries.len() >= params.max_expiries as usize {
            return Err(RiskError::TooManyExpiries);
        }
        let first = options.len();
        let (pre, mut bd, net_options) = precompute_expiry(e, now, params, skew, options, first)?;
        option_mtm = option_mtm.add(pre.mtm)?;
        basis = basis.add(bd.basis_contingency)?;

        let confidence = e
            .forward_confidence
            .min(e.rate_confidence)
            .min(e.vol_confidence)
            .min(portfolio_confidence);
        non_negative(confidence)?;
        bd.naked_shorts = naked_shorts(&options[first..])?;
        let naked_notional = bd.naked_shorts.mul(spot)?;
        option_mm = option_mm.add(naked_notional.mul(other.mm_option_percent)?)?;
        option_im = option_im.add(naked_notional.mul(other.im_option_percent)?)?;
        oracle_im = oracle_im.add(oracle_charge(other, confidence, net_options.mul(spot)?)?)?;
        expiries.push(pre);
        breakdowns.push(bd);
    }

    // The scenario loop (§6) and the worst loss (§8.1).
    let mut worst_loss = basis;
    let mut worst = WorstCase::Basis;
    let mut scenario_pnl = Vec::with_capacity(params.scenarios.len());
    let basis_up = params.basis.scenario_spot_up;
    let basis_down = params.basis.scenario_spot_down;
    for (i, s) in params.scenarios.iter().enumerate() {
        let lambda = s.dampening;
        let mut pnl = if exposure.is_zero() {
            Wad::ZERO
        } else {
            dampen(exposure.mul(s.spot_shock.sub(Wad::ONE)?)?, lambda)?
        };
        let forward_shock = s.spot_shock;
        for e in expiries.iter() {
            let opts = &options[e.first..e.end];
            let value = match s.vol_shock {
                VolShock::None if forward_shock == Wad::ONE => e.mtm,
                VolShock::None if forward_shock == basis_up => e.value_basis_up,
                VolShock::None if forward_shock == basis_down => e.value_basis_down,
                VolShock::None => e.value_at(opts, forward_shock, VOL_NONE)?,
                VolShock::Up => e.value_at(opts, forward_shock, VOL_UP)?,
                VolShock::Down => e.value_at(opts, forward_shock, VOL_DOWN)?,
                VolShock::Linear => e.value_linear,
                VolShock::Abs => e.value_abs,
            };
            let delta = if value.is_negative() {
                e.delta_short
            } else {
                e.delta_long
            };
            let change = dampen(value.mul(delta)?.sub(e.mtm)?, lambda)?;
            pnl = if s.vol_shock.is_skew() {
                pnl.sub(change.abs()?)?
            } else {
                pnl.add(change)?
            };
        }
        if pnl < worst_loss {
            worst_loss = pnl;
            worst = WorstCase::Scenario(i);
        }
        scenario_pnl.push(pnl);
    }

    Ok(UnderlyingBreakdown {
        worst_loss,
        worst,
        basis_contingency: basis,
        scenario_pnl,
        option_mtm,
        perp_mtm,
        perp_mm,
        perp_im,
        option_mm,
        option_im,
        oracle_im,
        expiries: breakdowns,
    })
}

impl ExpiryPre {
    /// `F_e(ξ) = ξ·F^var + F^fix`.
    fn forward(&self, spot_shock: Wad) -> Result<Wad, RiskError> {
        spot_shock
            .mul(self.forward_variable)?
            .add(self.forward_fixed)
    }

    /// `V_e(ξ, vol map)`: undiscounted by the static factors, discounted by `D_e`.
    fn value_at(&self, opts: &[OptionPre], spot_shock: Wad, vol: usize) -> Result<Wad, RiskError> {
        value(opts, self.forward(spot_shock)?, self.discount, vol)
    }
}

/// `x·λ`; most scenarios have `λ = 1`, where the product is exact, so skip its division.
#[inline]
fn dampen(x: Wad, lambda: Wad) -> Result<Wad, RiskError> {
    if lambda == Wad::ONE {
        Ok(x)
    } else {
        x.mul(lambda)
    }
}

/// `Σ n_o · B76(F, K_o, σ_o)` with the vol map `vol`; the options' strikes and vols are
/// prepared at this expiry's `D` and `√τ`, so only `F` is prepared here.
fn value(opts: &[OptionPre], forward: Wad, discount: Wad, vol: usize) -> Result<Wad, RiskError> {
    let forward = PreparedForward::new(forward, discount)?;
    let mut total = Wad::ZERO;
    for o in opts {
        let prices = black76_prepared(&forward, &o.prepared_strike, &o.prepared_vols[vol])?;
        let price = if o.is_call { prices.call } else { prices.put };
        total = total.add(wad_product(o.amount, price)?)?;
    }
    Ok(total)
}

/// Precomputes one held expiry, appending its non-zero options to `options` from index
/// `first`. Returns the state, its breakdown (naked shorts still 0) and `netOptions_e`.
fn precompute_expiry(
    e: &ExpiryBook,
    now: u64,
    params: &Pm2Params,
    skew: SkewNeeds,
    options: &mut Vec<OptionPre>,
    first: usize,
) -> Result<(ExpiryPre, ExpiryBreakdown, Wad), RiskError> {
    let vs = &params.vol_shock;
    let m = &params.margin;
    let forward_fixed = non_negative(e.forward_fixed)?;
    let forward_variable = non_negative(e.forward_variable)?;
    non_negative(e.forward_confidence)?;
    non_negative(e.rate_confidence)?;
    non_negative(e.vol_confidence)?;

    // §5.1, §5.3: time and discount.
    let seconds = e.expiry.saturating_sub(now);
    let tau = annualise(seconds);
    let sqrt_tau = sqrt(tau)?;
    let rate = e.rate.max_zero();
    let discount = exp(rate.mul(tau)?.neg()?)?;

    // §5.5: vol-shock multipliers; dteFloor = 0 at expiry divides by zero, as on-chain.
    let floored = seconds.max(vs.dte_floor);
    let x = Wad::from_int(THIRTY_DAYS as i64).div_int(floored as i128)?;
    let power = if seconds <= THIRTY_DAYS {
        vs.short_term_power
    } else {
        vs.long_term_power
    };
    // Beyond the wad range (`g > 1.7·10²⁰`, or `volRangeUp·g` so) see [`shocked_up_vol`]:
    // `up_e` is then `Err` and reported as `Wad::MAX`, and `down_e = 0` unless
    // `volRangeDown = 0` (the `Wad::MAX` stand-in for `g` gives `volRangeDown·g ≥ 170`).
    let arg = power.mul(ln(x)?)?;
    let g = exp(arg);
    let up = match g {
        Ok(g) => vs.vol_range_up.mul(g),
        Err(_) if vs.vol_range_up.is_zero() => Ok(Wad::ZERO),
        Err(e) => Err(e),
    }
    .and_then(|t| Wad::ONE.add(t));
    let g = g.unwrap_or(Wad::MAX);
    let down = Wad::ONE
        .sub(vs.vol_range_down.mul(g).unwrap_or(Wad::MAX))?
        .max_zero();

    // §5.6: static discounts. δ⁻ is `min(1/D, base / exp(−x))` as on-chain, except that a
    // division by an `exp` that underflowed to 0 is +∞ (`Wad::MAX`) instead of a revert, so
    // the `min` takes the other term: `δ⁻ = 1/D` once `x ≥ 42.14` (the spec reverts), and
    // `D = 0` (`r·τ ≥ 42.14`) gives `1/D = Wad::MAX`, never applied since every price, so
    // every expiry value, is then 0 (and 0 takes δ⁺).
    let long_rate = rate
        .mul(m.long_rate_mult_scale)?
        .add(m.long_rate_add_scale)?;
    let delta_long = m
        .long_base_static_discount
        .mul(exp(tau.mul(long_rate)?.neg()?)?)?;
    let short_rate = rate
        .mul(m.short_rate_mult_scale)?
        .add(m.short_rate_add_scale)?;
    let short_growth_inv = exp(tau.mul(short_rate)?.neg()?)?;
    let delta_short = Wad::ONE.div(discount).unwrap_or(Wad::MAX).min(
        m.short_base_static_discount
            .div(short_growth_inv)
            .unwrap_or(Wad::MAX),
    );

    // Per option: σ under every vol map needed, |n| for netOptions.
    let forward = forward_variable.add(forward_fixed)?;
    let mut net_options = Wad::ZERO;
    for o in &e.options {
        if o.amount.is_zero() {
            continue;
        }
        let strike = non_negative(o.strike)?;
        let vol = svi_vol(&e.svi, strike, params.svi_max_total_variance)?;
        let vol_up = vs
            .min_vol_up_shock
            .max(shocked_up_vol(vol, up, arg, vs.vol_range_up));
        let vol_down = vol.mul(down)?;
        net_options = net_options.add(o.amount.abs()?)?;
        options.push(OptionPre {
            strike,
            amount: o.amount,
            is_call: o.is_call,
            vols: [vol, vol_up, vol_down, Wad::ZERO, Wad::ZERO],
            prepared_strike: PreparedStrike::new(strike, discount)?,
            // Prepared below, once the skew vols are known.
            prepared_vols: [PreparedVol::default(); 5],
        });
    }
    let end = options.len();
    if skew.linear || skew.abs {
        skew_vols(
            &params.skew,
            skew,
            sqrt_tau,
            forward,
            &mut options[first..end],
        )?;
    }

    let maps = if skew.linear || skew.abs { 5 } else { 3 };
    for o in &mut options[first..end] {
        for map in 0..maps {
            o.prepared_vols[map] = PreparedVol::new(sqrt_tau, o.vols[map])?;
        }
    }

    let opts = &options[first..end];
    let mtm = value(opts, forward, discount, VOL_NONE)?;
    let mut pre = ExpiryPre {
        first,
        end,
        forward_fixed,
        forward_variable,
        discount,
        delta_long,
        delta_short,
        mtm,
        value_basis_up: Wad::ZERO,
        value_basis_down: Wad::ZERO,
        value_linear: Wad::ZERO,
        value_abs: Wad::ZERO,
    };
    pre.value_basis_up = pre.value_at(opts, params.basis.scenario_spot_up, VOL_NONE)?;
    pre.value_basis_down = pre.value_at(opts, params.basis.scenario_spot_down, VOL_NONE)?;
    if skew.linear {
        pre.value_linear = value(opts, forward, discount, VOL_LINEAR)?;
    }
    if skew.abs {
        pre.value_abs = value(opts, forward, discount, VOL_ABS)?;
    }

    // §7.1: this expiry's share of the basis contingency (undiscounted by δ±).
    let worst_move = pre
        .value_basis_up
        .sub(mtm)?
        .min(pre.value_basis_down.sub(mtm)?)
        .min_zero();
    let scale = params
        .basis
        .mult_factor
        .mul(tau)?
        .add(params.basis.add_factor)?;
    let basis_contingency = worst_move.mul(scale)?;

    let breakdown = ExpiryBreakdown {
        expiry: e.expiry,
        seconds_to_expiry: seconds,
        discount,
        mtm,
        basis_contingency,
        vol_up_multiplier: up.unwrap_or(Wad::MAX),
        vol_down_multiplier: down,
        static_discount_long: delta_long,
        static_discount_short: delta_short,
        naked_shorts: Wad::ZERO,
    };
    Ok((pre, breakdown, net_options))
}

/// `σ·up_e` of the Up scenarios (§6.2) before the `minVolUpShock` floor, for
/// `up_e = 1 + volRangeUp·e^arg`, **saturated** at `Wad::MAX` (the only value not computed
/// exactly as the spec does).
///
/// * `up_e` within the wad range (`Ok`, which covers every case that fitted before): `σ ⊗ up_e`,
///   as always; a product beyond the wad range is `Wad::MAX`.
/// * `up_e` beyond it (`Err`: `e^arg` or `volRangeUp·e^arg` above `1.7·10²⁰`; then
///   `volRangeUp > 0`): `σ + e^(arg + ln volRangeUp + ln σ)`, i.e. `σ + σ·volRangeUp·g`
///   without forming `g`, and `Wad::MAX` once that exceeds the wad range; `0` for `σ = 0`.
///   The spec's own `exp` reverts at `arg ≥ 135.306`; Keel continues the same formula there.
///
/// Why saturating is exact: a vol of `Wad::MAX` (or any vol above `1.7·10²⁰`) prices every
/// option at the Black-76 limit `(F·D, K·D)`, because the total vol `σ·√τ` is then at least
/// `1.7·10²⁰·√(1 s / Y) ≈ 3·10¹⁶ ≥ TV_MAX = 24` whenever `T ≥ 1 s` (and in the fixed point
/// `σ_raw·√τ_raw` overflows the `u128` test of [`PreparedVol`], which is the cap), while at
/// `T = 0` every vol gives intrinsic value. So the prices, and everything after them, are those
/// of the exact `σ·up_e`.
fn shocked_up_vol(vol: Wad, up: Result<Wad, RiskError>, arg: Wad, vol_range_up: Wad) -> Wad {
    match up {
        Ok(up) => vol.mul(up),
        Err(_) if vol.is_zero() => Ok(Wad::ZERO),
        Err(_) => ln(vol_range_up)
            .and_then(|l| arg.add(l)?.add(ln(vol)?))
            .and_then(exp)
            .and_then(|h| vol.add(h)),
    }
    .unwrap_or(Wad::MAX)
}

/// Fills the Linear and Abs vol slots of one expiry's options (§6.3). The forward is the
/// unshocked `F_e(1)`. Where the spec reverts, Keel takes the limit instead (see
/// [`skew_multiplier`]), and a moneyness `K/F` that rounds to 0 or exceeds the wad range
/// (the spec reverts on `ln 0`) is `ln K − ln F`.
fn skew_vols(
    p: &SkewShockParams,
    skew: SkewNeeds,
    sqrt_tau: Wad,
    forward: Wad,
    opts: &mut [OptionPre],
) -> Result<(), RiskError> {
    let q = sqrt_tau;
    let linear_cap = p.linear_c_base.mul(q)?.add(p.linear_base_cap)?;
    let abs_cap = p.abs_c_base.mul(q)?.add(p.abs_base_cap)?;
    let width = q
        .mul(p.width_scale)?
        .mul(p.vol_param_static.add(q.mul(p.vol_param_scale)?)?)?;
    let k_star = p.min_k_star.max(width);
    for o in opts {
        let k = match o.strike.div(forward) {
            Ok(ratio) if ratio.is_positive() => ln(ratio)?,
            _ => ln(o.strike)?.sub(ln(forward)?)?,
        };
        if skew.linear {
            let mult = skew_multiplier(k, linear_cap, k_star)?;
            o.vols[VOL_LINEAR] = o.vols[VOL_NONE].mul(mult.max_zero()).unwrap_or(Wad::MAX);
        }
        if skew.abs {
            let mult = skew_multiplier(k.abs()?, abs_cap, k_star)?;
            o.vols[VOL_ABS] = o.vols[VOL_NONE].mul(mult.max_zero()).unwrap_or(Wad::MAX);
        }
    }
    Ok(())
}

/// `M = 1 + min(cap, k·cap/k*)` for `k ≥ 0`, `1 + max(−cap, k·cap/k*)` otherwise.
///
/// `k* = max(minKStar, width) ≥ 0`; `k* = 0` (`minKStar = 0` with a width ≤ 0, e.g. at
/// `T = 0` or far expiries with a negative `volParamScale`) makes the spec revert: Keel uses
/// `k* = 10⁻¹⁸`, i.e. the `k* → 0⁺` limit (`±cap`, and 1 at `k = 0`). A slope beyond the wad
/// range (a tiny `k*`) is `±∞` with the sign of `k·cap`, so it is bounded to `±cap` exactly
/// as the exact slope would be.
fn skew_multiplier(k: Wad, cap: Wad, k_star: Wad) -> Result<Wad, RiskError> {
    let slope = k.mul_div(cap, k_star.max(Wad::from_raw(1))).unwrap_or(
        if k.is_negative() != cap.is_negative() {
            Wad::MIN
        } else {
            Wad::MAX
        },
    );
    let bounded = if k.is_negative() {
        slope.max(cap.neg()?)
    } else {
        slope.min(cap)
    };
    Ok(Wad::ONE.add(bounded).unwrap_or(Wad::MAX))
}

/// `naked_e = Σ_K max(0, −Σ_{o: K_o = K} n_o)`: calls and puts netted per strike (§7.3).
/// Quadratic in the options of one expiry, which is cheaper than sorting for the sizes held.
fn naked_shorts(opts: &[OptionPre]) -> Result<Wad, RiskError> {
    let mut naked = Wad::ZERO;
    for (i, o) in opts.iter().enumerate() {
        if opts[..i].iter().any(|earlier| earlier.strike == o.strike) {
            continue;
        }
        let mut net = Wad::ZERO;
        for later in opts[i..].iter().filter(|l| l.strike == o.strike) {
            net = net.add(later.amount)?;
        }
        naked = naked.add(net.neg()?.max_zero())?;
    }
    Ok(naked)
}

/// §7.5: `(1 − c)·confMargin·X` when `c < confThreshold` (strictly), else 0.
fn oracle_charge(
    p: &OtherContingencyParams,
    confidence: Wad,
    amount: Wad,
) -> Result<Wad, RiskError> {
    if confidence < p.conf_threshold {
        Wad::ONE.sub(confidence)?.mul(p.conf_margin)?.mul(amount)
    } else {
        Ok(Wad::ZERO)
    }
}

/// Refuses negative values of quantities that are unsigned on-chain.
fn non_negative(x: Wad) -> Result<Wad, RiskError> {
    if x.is_negative() {
        Err(RiskError::NegativeInput)
    } else {
        Ok(x)
    }
}
