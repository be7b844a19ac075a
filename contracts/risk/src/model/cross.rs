//! Cross margin: Derive's "Standard Manager" (SRM) semantics over several underlyings.
//!
//! This module owns the cross-margin model of `shared/spec/cross-margin-srm.md` (§3–§8):
//! every position is margined essentially on its own (short options with spot add-ons, perps
//! with a notional requirement), option spreads inside one expiry of one market are netted by
//! a max-loss bound (§5), and cash, base-asset collateral and unsettled perp PnL are shared by
//! all markets. Initial margin (IM) adds oracle-confidence penalties (§7.2) and the stable
//! de-peg add-on (§7.3). Each result is a *surplus*: ≥ 0 is healthy.
//!
//! Arithmetic: every `⊗`/`⊘` of the spec is one [`Wad::mul`]/[`Wad::div`] (exact 256-bit
//! intermediate, truncation toward zero), applied in the order the spec writes them, so the
//! results are the reference model's to the wei (the whole-dollar `trunc_usd` conformance cases
//! depend on it). Additions are checked. Option prices are **undiscounted** Black-76
//! ([`math::black76`] with discount 1) at total vol `σ ⊗ √y`, `y = ⌊τ·10¹⁸ / Y⌋`.
//!
//! Inputs are SRM-native and pre-grouped (market → expiry → options), so the on-chain path
//! never sorts or searches; the vol of each option is resolved by the caller (the conformance
//! reader looks it up in its case, Keel's account layer evaluates the expiry's SVI surface).
//!
//! # Keel extension: generic collateral
//!
//! Besides SRM's one base asset per market, an account may hold any number of
//! [`CollateralHolding`]s (wstETH, a second stable…), each with a USD price, a confidence and
//! two haircuts. With value `v = amount ⊗ price`:
//!
//! * MM contribution `v ⊗ (1 − h_mm)`;
//! * IM contribution `v ⊗ (1 − h_mm − h_im)`, then, only if that is non-zero, minus the
//!   base-style oracle contingency `((1 − κ) ⊗ φ) ⊗ v` when `θ ≠ 0 ∧ κ < θ`, where `κ` is the
//!   asset's own confidence and `(θ, φ)` are the base threshold and factor of the market the
//!   asset is linked to ([`CollateralHolding::market`]), or [`SrmGlobals::collateral_oc_threshold`]
//!   and [`SrmGlobals::collateral_oc_factor`] for an unlinked asset;
//! * MtM contribution `v ⊘ s` (stable-coin units, like the base asset).
//!
//! An account without generic collateral gives exactly SRM's numbers.

use alloc::vec::Vec;

use crate::math;
use crate::{RiskError, Wad};

/// 1.2, the upper bound of the spot requirements.
const SPOT_REQ_MAX: Wad = Wad::ratio(6, 5);
/// 3, the upper bound of the unpaired and offset scales and of the de-peg factor.
const THREE: Wad = Wad::from_int(3);

/// Per-market SRM parameters (spec §3.3). [`SrmParams::validate`] enforces the ranges.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SrmParams {
    /// `q_max` (`maxSpotReq`), IM spot fraction of an at-the-money short option, in [0, 1.2].
    pub max_spot_req: Wad,
    /// `q_min` (`minSpotReq`), floor of the IM spot fraction, in [0, 1.2].
    pub min_spot_req: Wad,
    /// `q_mc` (`mmCallSpotReq`), MM spot fraction of a short call, in [0, 1].
    pub mm_call_spot_req: Wad,
    /// `q_mp` (`mmPutSpotReq`), MM spot fraction of a short put, in [0, 1].
    pub mm_put_spot_req: Wad,
    /// `q_mtm` (`MMPutMtMReq`), MM fraction of a short put's mark-to-market, in [0, 1].
    pub mm_put_mtm_req: Wad,
    /// `λ_IM` (`unpairedIMScale`), IM charge per unpaired short call per unit forward, in [1, 3].
    pub unpaired_im_scale: Wad,
    /// `λ_MM` (`unpairedMMScale`), MM charge per unpaired short call per unit forward, in [1, 3].
    pub unpaired_mm_scale: Wad,
    /// `μ` (`mmOffsetScale`): a short put's IM is at least `μ ×` its MM, in [1, 3].
    pub mm_offset_scale: Wad,
    /// `r_IM` (`imPerpReq`), IM fraction of perp notional, `r_MM ≤ r_IM < 1`.
    pub perp_im_req: Wad,
    /// `r_MM` (`mmPerpReq`), MM fraction of perp notional, in (0, 1).
    pub perp_mm_req: Wad,
    /// `β` (base `marginFactor`), collateral factor of the base asset, in [0, 1]; 0 ignores it.
    pub base_margin_factor: Wad,
    /// `β_IM` (base `IMScale`), extra IM factor of the base asset, in [0, 1].
    pub base_im_scale: Wad,
    /// `θ_P`, perp confidence threshold of the oracle contingency, in [0, 1]; 0 disables.
    pub oc_perp_threshold: Wad,
    /// `θ_O`, option confidence threshold of the oracle contingency, in [0, 1]; 0 disables.
    pub oc_option_threshold: Wad,
    /// `θ_B`, base confidence threshold of the oracle contingency, in [0, 1]; 0 disables.
    pub oc_base_threshold: Wad,
    /// `φ` (`OCFactor`), oracle contingency factor, in [0, 1].
    pub oc_factor: Wad,
}

fn within(x: Wad, low: Wad, high: Wad) -> bool {
    low <= x && x <= high
}

impl SrmParams {
    /// Checks the ranges of spec §3.3 ("valid range enforced by setter"), naming the group
    /// at fault: [`RiskError::InvalidOptionMarginParams`], [`RiskError::InvalidPerpMarginParams`],
    /// [`RiskError::InvalidBaseMarginParams`] or [`RiskError::InvalidOracleContingencyParams`].
    pub fn validate(&self) -> Result<(), RiskError> {
        let (zero, one) = (Wad::ZERO, Wad::ONE);
        let option_ok = within(self.max_spot_req, zero, SPOT_REQ_MAX)
            && within(self.min_spot_req, zero, SPOT_REQ_MAX)
            && within(self.mm_call_spot_req, zero, one)
            && within(self.mm_put_spot_req, zero, one)
            && within(self.mm_put_mtm_req, zero, one)
            && within(self.unpaired_im_scale, one, THREE)
            && within(self.unpaired_mm_scale, one, THREE)
            && within(self.mm_offset_scale, one, THREE);
        if !option_ok {
            return Err(RiskError::InvalidOptionMarginParams);
        }
        let perp_ok = self.perp_mm_req > zero
            && self.perp_mm_req < one
            && self.perp_im_req < one
            && self.perp_im_req >= self.perp_mm_req;
        if !perp_ok {
            return Err(RiskError::InvalidPerpMarginParams);
        }
        if !(within(self.base_margin_factor, zero, one) && within(self.base_im_scale, zero, one)) {
            return Err(RiskError::InvalidBaseMarginParams);
        }
        let oc_ok = [
            self.oc_perp_threshold,
            self.oc_option_threshold,
            self.oc_base_threshold,
            self.oc_factor,
        ]
        .iter()
        .all(|&x| within(x, zero, one));
        if !oc_ok {
            return Err(RiskError::InvalidOracleContingencyParams);
        }
        Ok(())
    }
}

/// Parameters and prices shared by all markets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SrmGlobals {
    /// `s`, USD price of the stable coin in which cash is held (≥ 0).
    pub stable_price: Wad,
    /// `d_θ`, the de-peg add-on applies when `s < d_θ`; in [0, 1].
    pub depeg_threshold: Wad,
    /// `d_φ`, de-peg multiplier factor, in [0, 3].
    pub depeg_factor: Wad,
    /// Keel extension: confidence threshold of the oracle contingency of generic collateral
    /// not linked to a market, in [0, 1]; 0 disables.
    pub collateral_oc_threshold: Wad,
    /// Keel extension: oracle contingency factor of unlinked generic collateral, in [0, 1].
    pub collateral_oc_factor: Wad,
}

impl SrmGlobals {
    /// Checks `s ≥ 0` ([`RiskError::NegativeInput`]), the de-peg ranges
    /// ([`RiskError::InvalidDepegParams`]) and the collateral contingency ranges
    /// ([`RiskError::InvalidOracleContingencyParams`]).
    pub fn validate(&self) -> Result<(), RiskError> {
        if self.stable_price.is_negative() {
            return Err(RiskError::NegativeInput);
        }
        if !(within(self.depeg_threshold, Wad::ZERO, Wad::ONE)
            && within(self.depeg_factor, Wad::ZERO, THREE))
        {
            return Err(RiskError::InvalidDepegParams);
        }
        if !(within(self.collateral_oc_threshold, Wad::ZERO, Wad::ONE)
            && within(self.collateral_oc_factor, Wad::ZERO, Wad::ONE))
        {
            return Err(RiskError::InvalidOracleContingencyParams);
        }
        Ok(())
    }
}

/// Market data and parameters of one underlying.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MarketData {
    /// `S`, spot (index) price.
    pub spot: Wad,
    /// `κ^S`, confidence of the spot price.
    pub spot_confidence: Wad,
    /// `Π`, perp mark price.
    pub perp_price: Wad,
    /// `κ^Π`, confidence of the perp mark.
    pub perp_confidence: Wad,
    /// The market's parameters.
    pub params: SrmParams,
}

/// Market data of one expiry of an underlying.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExpiryData {
    /// Expiry timestamp `T` (seconds, same clock as [`CrossAccount::time`]).
    pub expiry: u64,
    /// `F`, the forward; must be non-zero when the expiry holds options.
    pub forward: Wad,
    /// `κ^F`, confidence of the forward.
    pub forward_confidence: Wad,
    /// `κ^σ`, the vol feed's minimum confidence for this expiry.
    pub vol_confidence: Wad,
}

/// One option balance.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OptionHolding {
    /// Strike `K` (≥ 0).
    pub strike: Wad,
    /// Call (true) or put (false).
    pub is_call: bool,
    /// Signed amount `a` (long > 0, short < 0).
    pub amount: Wad,
    /// Implied vol `σ(K, T)` at this strike (≥ 0).
    pub vol: Wad,
}

/// The options of one expiry together with its market data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExpiryHoldings {
    /// Forward, confidences and expiry time.
    pub data: ExpiryData,
    /// Option balances; the same (strike, type) may appear twice (two separate positions).
    pub options: Vec<OptionHolding>,
}

/// Everything an account holds in one underlying, with that underlying's market data.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MarketHoldings {
    /// Prices, confidences and parameters.
    pub data: MarketData,
    /// `P`, signed perp size.
    pub perp_size: Wad,
    /// `U`, the perp's unsettled cash (unrealised PnL and funding); ignored when `P = 0`.
    pub perp_unsettled_cash: Wad,
    /// `B`, base-asset balance (≥ 0).
    pub base_balance: Wad,
    /// Options grouped by expiry, one entry per expiry.
    pub expiries: Vec<ExpiryHoldings>,
}

/// Keel extension: a collateral asset other than a market's base asset (module docs).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CollateralHolding {
    /// Balance (≥ 0).
    pub amount: Wad,
    /// USD price of one unit (≥ 0).
    pub price: Wad,
    /// Confidence of the price.
    pub confidence: Wad,
    /// MM haircut `h_mm` (≥ 0).
    pub mm_haircut: Wad,
    /// Extra IM haircut `h_im` (≥ 0, `h_mm + h_im ≤ 1`).
    pub im_haircut: Wad,
    /// Index into [`CrossAccount::markets`] whose base threshold `θ_B` and factor `φ` apply to
    /// this asset's oracle contingency; `None` uses the global collateral parameters.
    pub market: Option<u32>,
}

/// A cross-margin account with the market data it is valued against.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CrossAccount {
    /// Evaluation time `t` (seconds).
    pub time: u64,
    /// `c`, cash in stable units (negative = borrowed).
    pub cash: Wad,
    /// Stable price, de-peg and collateral parameters.
    pub globals: SrmGlobals,
    /// One entry per underlying.
    pub markets: Vec<MarketHoldings>,
    /// Keel extension: generic collateral (empty for pure SRM).
    pub collaterals: Vec<CollateralHolding>,
}

/// Margin of one option evaluated on its own (§4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OptionBreakdown {
    /// Undiscounted Black-76 price of one contract.
    pub price: Wad,
    /// `MtM_o = price ⊗ a` (negative for shorts).
    pub mtm: Wad,
    /// Isolated IM `m_o^IM` (0 for longs).
    pub im: Wad,
    /// Isolated MM `m_o^MM` (0 for longs).
    pub mm: Wad,
}

/// IM or MM of one expiry (§5.3, §7.2). Every field is a signed contribution (≤ 0).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExpiryMargin {
    /// `Σ m_o`, the options' isolated margins summed.
    pub isolated: Wad,
    /// The linear unpaired-call charge `(λ ⊗ F) ⊗ N` when `N < 0`, else 0.
    pub unpaired_charge: Wad,
    /// The max-loss bound `L`, including [`ExpiryMargin::unpaired_charge`].
    pub max_loss: Wad,
    /// `max(isolated, max_loss)`.
    pub chosen: Wad,
    /// Oracle contingency (IM only; 0 in MM), `−((((1 − κ) ⊗ φ) ⊗ S) ⊗ Z)` when active.
    pub oracle_contingency: Wad,
    /// `chosen + oracle_contingency`.
    pub total: Wad,
}

/// One expiry of one market.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExpiryBreakdown {
    /// Expiry timestamp.
    pub expiry: u64,
    /// `N`, net calls (signed).
    pub net_calls: Wad,
    /// `Z`, gross short contracts (calls and puts).
    pub total_shorts: Wad,
    /// `Σ MtM_o` over all options of the expiry.
    pub mtm: Wad,
    /// Per option, in input order.
    pub options: Vec<OptionBreakdown>,
    /// Initial margin of the expiry.
    pub im: ExpiryMargin,
    /// Maintenance margin of the expiry.
    pub mm: ExpiryMargin,
}

/// IM or MM of one market (§8.1). Every field is a signed contribution; `total` is their sum.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MarketMargin {
    /// Perp requirement `−(n ⊗ r)`, `n = |P| ⊗ Π`.
    pub perp: Wad,
    /// Perp oracle contingency (IM only).
    pub perp_oracle_contingency: Wad,
    /// `Σ_T` [`ExpiryMargin::total`] (option oracle contingencies included).
    pub options: Wad,
    /// Base-asset collateral value before its oracle contingency.
    pub base: Wad,
    /// Base oracle contingency (IM only).
    pub base_oracle_contingency: Wad,
    /// Stable de-peg add-on (IM only).
    pub depeg: Wad,
    /// The perp's unsettled cash `U` (0 when `P = 0`).
    pub unsettled: Wad,
    /// Sum of the fields above, `M_u`.
    pub total: Wad,
}

/// One market.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MarketBreakdown {
    /// `D = |P| + Σ_T Z_T`, the de-peg exposure.
    pub depeg_exposure: Wad,
    /// Base-asset notional `n_B = B ⊗ S` (USD, 0 when `B = 0`).
    pub base_notional: Wad,
    /// Market mark-to-market: options, unsettled perp cash, base `n_B ⊘ s`.
    pub mtm: Wad,
    /// Per expiry, in input order.
    pub expiries: Vec<ExpiryBreakdown>,
    /// Initial margin of the market.
    pub im: MarketMargin,
    /// Maintenance margin of the market.
    pub mm: MarketMargin,
}

/// One generic collateral asset (Keel extension).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CollateralBreakdown {
    /// `v = amount ⊗ price`.
    pub value: Wad,
    /// MM contribution `v ⊗ (1 − h_mm)`.
    pub mm: Wad,
    /// IM value before the contingency, `v ⊗ (1 − h_mm − h_im)`.
    pub im_before_contingency: Wad,
    /// Oracle contingency (≤ 0).
    pub oracle_contingency: Wad,
    /// IM contribution, `im_before_contingency + oracle_contingency`.
    pub im: Wad,
    /// MtM contribution `v ⊘ s`.
    pub mtm: Wad,
}

/// Result of [`cross_margin`]: the three numbers and the breakdown that explains them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CrossMargin {
    /// Initial margin surplus `c + Σ M_u^IM (+ collateral)`; ≥ 0 allows new risk.
    pub im: Wad,
    /// Maintenance margin surplus; < 0 makes the account liquidatable.
    pub mm: Wad,
    /// Mark-to-market value of the account (§8.3).
    pub mtm: Wad,
    /// The cash that entered all three at face value.
    pub cash: Wad,
    /// Per market, in input order.
    pub markets: Vec<MarketBreakdown>,
    /// Per generic collateral asset, in input order.
    pub collaterals: Vec<CollateralBreakdown>,
}

fn non_negative(x: Wad) -> Result<Wad, RiskError> {
    if x.is_negative() {
        Err(RiskError::NegativeInput)
    } else {
        Ok(x)
    }
}

/// `((1 − κ) ⊗ φ)` when the contingency is active (`θ ≠ 0 ∧ κ < θ`), else `None`.
fn contingency_rate(
    confidence: Wad,
    threshold: Wad,
    factor: Wad,
) -> Result<Option<Wad>, RiskError> {
    if threshold.is_zero() || confidence >= threshold {
        return Ok(None);
    }
    Wad::ONE.sub(confidence)?.mul(factor).map(Some)
}

/// `q(ω) = max(q_max − ω, q_min)`, computed without going negative (§4.3).
fn spot_fraction(params: &SrmParams, otm: Wad) -> Result<Wad, RiskError> {
    if params.max_spot_req > otm {
        let decayed = params.max_spot_req.sub(otm)?;
        if decayed > params.min_spot_req {
            return Ok(decayed);
        }
    }
    Ok(params.min_spot_req)
}

/// Isolated `(IM, MM)` of a short option (`amount < 0`) with mark-to-market `mtm` (§4.3–4.4).
fn short_option_margin(
    market: &MarketData,
    option: &OptionHolding,
    mtm: Wad,
) -> Result<(Wad, Wad), RiskError> {
    let params = &market.params;
    let spot = market.spot;
    let (strike, amount) = (option.strike, option.amount);
    if option.is_call {
        let otm = if strike > spot {
            strike.sub(spot)?.div(spot)?
        } else {
            Wad::ZERO
        };
        let q = spot_fraction(params, otm)?;
        let im = q.mul(spot)?.mul(amount)?.add(mtm)?;
        let mm = mtm.add(params.mm_call_spot_req.mul(spot)?.mul(amount)?)?;
        Ok((im, mm))
    } else {
        let spot_add_on = params.mm_put_spot_req.mul(spot)?.mul(amount)?;
        let mtm_add_on = params.mm_put_mtm_req.mul(mtm)?;
        let mm = spot_add_on.min(mtm_add_on).add(mtm)?;
        let otm = if spot > strike {
            spot.sub(strike)?.div(spot)?
        } else {
            Wad::ZERO
        };
        let q = spot_fraction(params, otm)?;
        let decayed = q.mul(spot)?.mul(amount)?.add(mtm)?;
        let im = decayed.min(mm.mul(params.mm_offset_scale)?);
        Ok((im, mm))
    }
}

/// `Φ(X)`, the expiry payoff at settlement price `x` (§5.1).
fn payoff(options: &[OptionHolding], x: Wad) -> Result<Wad, RiskError> {
    let mut total = Wad::ZERO;
    for option in options {
        let value = if option.is_call && x > option.strike {
            x.sub(option.strike)?.mul(option.amount)?
        } else if !option.is_call && x < option.strike {
            x.sub(option.strike)?.mul(option.amount)?.neg()?
        } else {
            Wad::ZERO
        };
        total = total.add(value)?;
    }
    Ok(total)
}

/// `min over X ∈ {0} ∪ strikes of min(Φ(X), 0)`, before the unpaired charge.
fn bounded_max_loss(options: &[OptionHolding]) -> Result<Wad, RiskError> {
    let mut worst = payoff(options, Wad::ZERO)?.min_zero();
    for option in options {
        worst = worst.min(payoff(options, option.strike)?);
    }
    Ok(worst)
}

/// One side (IM or MM) of an expiry from its isolated sum and bounded loss.
fn expiry_side(
    isolated: Wad,
    bounded: Wad,
    unpaired_scale: Wad,
    forward: Wad,
    net_calls: Wad,
    oracle_contingency: Wad,
) -> Result<ExpiryMargin, RiskError> {
    let unpaired_charge = if net_calls.is_negative() {
        unpaired_scale.mul(forward)?.mul(net_calls)?
    } else {
        Wad::ZERO
    };
    let max_loss = bounded.add(unpaired_charge)?;
    let chosen = isolated.max(max_loss);
    Ok(ExpiryMargin {
        isolated,
        unpaired_charge,
        max_loss,
        chosen,
        oracle_contingency,
        total: chosen.add(oracle_contingency)?,
    })
}

fn evaluate_expiry(
    market: &MarketData,
    holdings: &ExpiryHoldings,
    time: u64,
) -> Result<ExpiryBreakdown, RiskError> {
    let data = &holdings.data;
    let forward = non_negative(data.forward)?;
    non_negative(data.forward_confidence)?;
    non_negative(data.vol_confidence)?;
    let mut out = ExpiryBreakdown {
        expiry: data.expiry,
        options: Vec::with_capacity(holdings.options.len()),
        ..ExpiryBreakdown::default()
    };
    if holdings.options.is_empty() {
        return Ok(out);
    }
    if forward.is_zero() {
        // SRM §3.2: a zero forward means no margin can be computed for this expiry.
        return Err(RiskError::DivisionByZero);
    }
    for option in &holdings.options {
        non_negative(option.strike)?;
        non_negative(option.vol)?;
    }
    let seconds = data.expiry.saturating_sub(time);
    let sqrt_tau = math::sqrt(math::annualise(seconds))?;

    let (mut isolated_im, mut isolated_mm) = (Wad::ZERO, Wad::ZERO);
    for option in &holdings.options {
        let prices = math::black76(forward, option.strike, sqrt_tau, option.vol, Wad::ONE)?;
        let price = if option.is_call {
            prices.call
        } else {
            prices.put
        };
        let mtm = price.mul(option.amount)?;
        let (im, mm) = if option.amount.is_negative() {
            out.total_shorts = out.total_shorts.sub(option.amount)?;
            short_option_margin(market, option, mtm)?
        } else {
            (Wad::ZERO, Wad::ZERO)
        };
        if option.is_call {
            out.net_calls = out.net_calls.add(option.amount)?;
        }
        out.mtm = out.mtm.add(mtm)?;
        isolated_im = isolated_im.add(im)?;
        isolated_mm = isolated_mm.add(mm)?;
        out.options.push(OptionBreakdown { price, mtm, im, mm });
    }

    let params = &market.params;
    let bounded = bounded_max_loss(&holdings.options)?;
    let confidence = market
        .spot_confidence
        .min(data.forward_confidence)
        .min(data.vol_confidence);
    let oracle_contingency =
        match contingency_rate(confidence, params.oc_option_threshold, params.oc_factor)? {
            Some(rate) => rate.mul(market.spot)?.mul(out.total_shorts)?.neg()?,
            None => Wad::ZERO,
        };
    out.im = expiry_side(
        isolated_im,
        bounded,
        params.unpaired_im_scale,
        forward,
        out.net_calls,
        oracle_contingency,
    )?;
    out.mm = expiry_side(
        isolated_mm,
        bounded,
        params.unpaired_mm_scale,
        forward,
        out.net_calls,
        Wad::ZERO,
    )?;
    Ok(out)
}

fn evaluate_market(
    holdings: &MarketHoldings,
    globals: &SrmGlobals,
    depeg_multiplier: Option<Wad>,
    time: u64,
) -> Result<MarketBreakdown, RiskError> {
    let market = &holdings.data;
    market.params.validate()?;
    let spot = non_negative(market.spot)?;
    non_negative(market.spot_confidence)?;
    non_negative(market.perp_price)?;
    non_negative(market.perp_confidence)?;
    let base_balance = non_negative(holdings.base_balance)?;
    let params = &market.params;

    let mut out = MarketBreakdown {
        expiries: Vec::with_capacity(holdings.expiries.len()),
        ..MarketBreakdown::default()
    };
    let (mut im, mut mm) = (MarketMargin::default(), MarketMargin::default());

    for expiry in &holdings.expiries {
        let e = evaluate_expiry(market, expiry, time)?;
        im.options = im.options.add(e.im.total)?;
        mm.options = mm.options.add(e.mm.total)?;
        out.mtm = out.mtm.add(e.mtm)?;
        out.depeg_exposure = out.depeg_exposure.add(e.total_shorts)?;
        out.expiries.push(e);
    }

    let perp_size = holdings.perp_size;
    if !perp_size.is_zero() {
        let size = perp_size.abs()?;
        let notional = size.mul(market.perp_price)?;
        im.perp = notional.mul(params.perp_im_req)?.neg()?;
        mm.perp = notional.mul(params.perp_mm_req)?.neg()?;
        let confidence = market.perp_confidence.min(market.spot_confidence);
        if let Some(rate) =
            contingency_rate(confidence, params.oc_perp_threshold, params.oc_factor)?
        {
            im.perp_oracle_contingency = rate.mul(spot)?.mul(size)?.neg()?;
        }
        im.unsettled = holdings.perp_unsettled_cash;
        mm.unsettled = holdings.perp_unsettled_cash;
        out.mtm = out.mtm.add(holdings.perp_unsettled_cash)?;
        out.depeg_exposure = out.depeg_exposure.add(size)?;
    }

    if !base_balance.is_zero() {
        let notional = base_balance.mul(spot)?;
        out.base_notional = notional;
        mm.base = notional.mul(params.base_margin_factor)?;
        im.base = notional
            .mul(params.base_margin_factor)?
            .mul(params.base_im_scale)?;
        if !im.base.is_zero() {
            if let Some(rate) = contingency_rate(
                market.spot_confidence,
                params.oc_base_threshold,
                params.oc_factor,
            )? {
                im.base_oracle_contingency = rate.mul(notional)?.neg()?;
            }
        }
        out.mtm = out.mtm.add(notional.div(globals.stable_price)?)?;
    }

    if let Some(multiplier) = depeg_multiplier {
        im.depeg = out.depeg_exposure.mul(multiplier)?.mul(spot)?.neg()?;
    }

    for side in [&mut im, &mut mm] {
        side.total = [
            side.perp,
            side.perp_oracle_contingency,
            side.options,
            side.base,
            side.base_oracle_contingency,
            side.depeg,
            side.unsettled,
        ]
        .iter()
        .try_fold(Wad::ZERO, |acc, &x| acc.add(x))?;
    }
    out.im = im;
    out.mm = mm;
    Ok(out)
}

fn evaluate_collateral(
    holding: &CollateralHolding,
    account: &CrossAccount,
) -> Result<CollateralBreakdown, RiskError> {
    let amount = non_negative(holding.amount)?;
    let price = non_negative(holding.price)?;
    non_negative(holding.confidence)?;
    let (h_mm, h_im) = (holding.mm_haircut, holding.im_haircut);
    let im_keep = Wad::ONE.sub(h_mm)?.sub(h_im)?;
    if h_mm.is_negative() || h_im.is_negative() || im_keep.is_negative() {
        return Err(RiskError::InvalidCollateralParams);
    }
    let (threshold, factor) = match holding.market {
        Some(index) => {
            let market = usize::try_from(index)
                .ok()
                .and_then(|i| account.markets.get(i))
                .ok_or(RiskError::MissingMarketData)?;
            (
                market.data.params.oc_base_threshold,
                market.data.params.oc_factor,
            )
        }
        None => (
            account.globals.collateral_oc_threshold,
            account.globals.collateral_oc_factor,
        ),
    };
    if amount.is_zero() {
        return Ok(CollateralBreakdown::default());
    }
    let value = amount.mul(price)?;
    let mm = value.mul(Wad::ONE.sub(h_mm)?)?;
    let im_before_contingency = value.mul(im_keep)?;
    let mut oracle_contingency = Wad::ZERO;
    if !im_before_contingency.is_zero() {
        if let Some(rate) = contingency_rate(holding.confidence, threshold, factor)? {
            oracle_contingency = rate.mul(value)?.neg()?;
        }
    }
    Ok(CollateralBreakdown {
        value,
        mm,
        im_before_contingency,
        oracle_contingency,
        im: im_before_contingency.add(oracle_contingency)?,
        mtm: value.div(account.globals.stable_price)?,
    })
}

/// Evaluates IM, MM and MtM of a cross-margin account (spec §3–§8, plus the generic
/// collateral extension of the module docs), with a breakdown per market, expiry, option and
/// collateral asset.
///
/// Errors: out-of-range parameters (the `Invalid*Params` variants), negative prices, strikes,
/// vols, confidences or balances ([`RiskError::NegativeInput`]), a zero forward for an expiry
/// that holds options, a zero spot under a short call, or a zero stable price with
/// base/collateral to value ([`RiskError::DivisionByZero`]), a collateral link to a missing market
/// ([`RiskError::MissingMarketData`]), and [`RiskError::Overflow`].
pub fn cross_margin(account: &CrossAccount) -> Result<CrossMargin, RiskError> {
    let globals = &account.globals;
    globals.validate()?;
    let depeg_multiplier = if globals.stable_price < globals.depeg_threshold {
        Some(
            globals
                .depeg_threshold
                .sub(globals.stable_price)?
                .mul(globals.depeg_factor)?,
        )
    } else {
        None
    };

    let mut out = CrossMargin {
        im: account.cash,
        mm: account.cash,
        mtm: account.cash,
        cash: account.cash,
        markets: Vec::with_capacity(account.markets.len()),
        collaterals: Vec::with_capacity(account.collaterals.len()),
    };
    for market in &account.markets {
        let m = evaluate_market(market, globals, depeg_multiplier, account.time)?;
        out.im = out.im.add(m.im.total)?;
        out.mm = out.mm.add(m.mm.total)?;
        out.mtm = out.mtm.add(m.mtm)?;
        out.markets.push(m);
    }
    for holding in &account.collaterals {
        let c = evaluate_collateral(holding, account)?;
        out.im = out.im.add(c.im)?;
        out.mm = out.mm.add(c.mm)?;
        out.mtm = out.mtm.add(c.mtm)?;
        out.collaterals.push(c);
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
