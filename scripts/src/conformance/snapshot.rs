//! Conformance cases as account snapshots: the inverse of keel-risk's account layer, so a case
//! can be margined through [`keel_risk::model::snapshot`] (natively, or by the WASM engines
//! that decode the same bytes).
//!
//! * A PM2 case ([`Pm2Case`]) becomes a **portfolio**-mode snapshot: each book of the case is
//!   one underlying of the market data (spot, perp mark and confidences; the expiries that hold
//!   options, with `forward = F^fix + F^var`), the account holds one perp position per book
//!   first (of size 0 when the case has no perp, so every book exists, in order), then the
//!   options expiry by expiry, and every collateral is an asset of its own, risk-cancelling
//!   the underlying of its book. The parameters are the case's PM2 parameters; the SRM part is
//!   Keel's default (portfolio mode does not read it).
//! * An SRM case ([`SrmCase`]) becomes a **cross**-mode snapshot: each market is one
//!   underlying with its SRM parameter set, perps and options are positions, and the parameters
//!   carry the case's de-peg pair (the PM2 part is Keel's default; its SVI variance cap bounds
//!   the fitted surfaces). Two translations are needed because the snapshot has no such
//!   inputs:
//!   - the snapshot gives an option the vol of its expiry's SVI surface, where a case gives a
//!     vol per option: each expiry gets a raw-SVI surface fitted **exactly** (to the wei,
//!     checked with [`svi_vol`]) through the case's vols — flat for one vol, piecewise linear
//!     in log-moneyness with its kink at an anchor strike for up to three strikes. An expiry
//!     quoting more distinct strikes with differing vols cannot be carried;
//!   - SRM's base asset becomes a generic collateral asset linked to its market, priced at
//!     spot with the spot's confidence, `h_mm = 1 − β` and `h_im = β − β ⊗ β_IM` — the same
//!     MM, MtM and oracle contingency to the wei, and the same IM whenever `value ⊗ (β ⊗ β_IM)`
//!     rounds like SRM's `(value ⊗ β) ⊗ β_IM` (always when `β_IM = 1`, as in every published
//!     case); a case where it does not is refused.
//!
//! Every mapping is checked before it is returned: the snapshot's own translation
//! ([`Account::to_portfolio`], [`Account::to_cross`]) must give back the case's account
//! exactly (for SRM: with base balances moved to collateral), and every count must be within
//! the wire bounds. Anything else is an error naming the case's field at fault; nothing is
//! dropped silently.

use anyhow::{anyhow, bail, ensure, Context};
use keel_risk::math::svi::svi_total_variance;
use keel_risk::math::{svi_vol, SviParams};
use keel_risk::model::account::{
    Account, AssignedCollateral, CollateralAsset, ExpiryMarket, Instrument, MarketSnapshot,
    Position, RiskParams, UnderlyingMarket,
};
use keel_risk::model::cross::{CollateralHolding as CrossCollateral, CrossAccount, OptionHolding};
use keel_risk::model::portfolio::Pm2Params;
use keel_risk::model::snapshot::{
    MarginMode, MarginSnapshot, MAX_ASSETS, MAX_EXPIRIES, MAX_POSITIONS, MAX_SCENARIOS,
    MAX_UNDERLYINGS,
};
use keel_risk::Wad;

use super::pm2::Pm2Case;
use super::srm::SrmCase;

/// `τ^svi` of the fitted surfaces, in years: large enough that every vol from 0.05 up is
/// reachable to the wei (`⌊√⌊w·10³⁶/τ⌋⌋` then steps by less than one wei per wei of `w`),
/// small enough that vols up to 3.79 stay under the 144 total-variance cap.
const FITTED_TAU_YEARS: i64 = 10;

/// The portfolio-mode snapshot of a PM2 case.
pub fn pm2_snapshot(case: &Pm2Case) -> anyhow::Result<MarginSnapshot> {
    let account = &case.account;
    let mut underlyings = Vec::with_capacity(account.underlyings.len());
    let mut positions = Vec::new();
    for (u, book) in account.underlyings.iter().enumerate() {
        let index = u32::try_from(u)?;
        let mut expiries = Vec::with_capacity(book.expiries.len());
        // The perp first, even when empty: it creates the book, in case order.
        positions.push(position(
            index,
            Instrument::Perp {
                unsettled: book.perp.unrealised,
            },
            book.perp.amount,
        ));
        for e in &book.expiries {
            let forward = e.forward_fixed.add(e.forward_variable).map_err(|err| {
                anyhow!(
                    "book {u}, expiry {}: forward F^fix + F^var: {err}",
                    e.expiry
                )
            })?;
            expiries.push(ExpiryMarket {
                expiry: e.expiry,
                forward,
                forward_fixed: e.forward_fixed,
                forward_confidence: e.forward_confidence,
                rate: e.rate,
                rate_confidence: e.rate_confidence,
                svi: e.svi,
                vol_confidence: e.vol_confidence,
            });
            for o in &e.options {
                positions.push(position(
                    index,
                    Instrument::Option {
                        expiry: e.expiry,
                        strike: o.strike,
                        is_call: o.is_call,
                    },
                    o.amount,
                ));
            }
        }
        underlyings.push(UnderlyingMarket {
            spot: book.spot,
            spot_confidence: book.spot_confidence,
            perp_price: book.perp.price,
            perp_confidence: book.perp.confidence,
            expiries,
        });
    }
    let mut assets = Vec::with_capacity(account.collaterals.len());
    for (i, c) in account.collaterals.iter().enumerate() {
        if let Some(book) = c.risk_cancelling {
            ensure!(
                (book as usize) < account.underlyings.len(),
                "collateral {i} cancels the risk of book {book}, which the case does not have"
            );
        }
        assets.push(CollateralAsset {
            price: c.price,
            confidence: c.confidence,
            mm_haircut: c.mm_haircut,
            im_haircut: c.im_haircut,
            // Book `b` is snapshot underlying `b` (every book is referenced by its perp).
            risk_cancelling_underlying: c.risk_cancelling,
        });
    }
    let snapshot = MarginSnapshot {
        mode: MarginMode::Portfolio,
        account: Account {
            cash: account.cash,
            collateral: account.collaterals.iter().map(|c| c.amount).collect(),
            positions,
        },
        market: MarketSnapshot {
            now: account.now,
            stable_price: account.stable_price,
            underlyings,
            assets,
        },
        params: RiskParams {
            portfolio: case.params.clone(),
            ..RiskParams::keel_default()
        },
    };
    check_bounds(&snapshot)?;
    let back = snapshot
        .account
        .to_portfolio(&snapshot.market)
        .map_err(|e| anyhow!("the snapshot's portfolio translation fails: {}", e.name()))?;
    ensure!(
        back == *account,
        "the snapshot's portfolio translation differs from the case's account \
         (an expiry listed twice in one book?)"
    );
    Ok(snapshot)
}

/// The cross-mode snapshot of an SRM case.
pub fn srm_snapshot(case: &SrmCase) -> anyhow::Result<MarginSnapshot> {
    let account = &case.account;
    let name = |m: usize| {
        case.market_names
            .get(m)
            .cloned()
            .unwrap_or_else(|| format!("#{m}"))
    };
    let portfolio = Pm2Params::keel_default();
    let cap = portfolio.svi_max_total_variance;
    let mut underlyings = Vec::with_capacity(account.markets.len());
    let mut positions = Vec::new();
    let mut base_assets = Vec::new();
    let mut base_balances = Vec::new();
    for (m, holdings) in account.markets.iter().enumerate() {
        let index = u32::try_from(m)?;
        let data = &holdings.data;
        if !holdings.perp_size.is_zero() || !holdings.perp_unsettled_cash.is_zero() {
            positions.push(position(
                index,
                Instrument::Perp {
                    unsettled: holdings.perp_unsettled_cash,
                },
                holdings.perp_size,
            ));
        }
        let mut expiries = Vec::with_capacity(holdings.expiries.len());
        for e in &holdings.expiries {
            let svi = fit_svi(&e.options, cap).with_context(|| {
                format!("market {}, expiry {}: option vols", name(m), e.data.expiry)
            })?;
            expiries.push(ExpiryMarket {
                expiry: e.data.expiry,
                forward: e.data.forward,
                forward_fixed: Wad::ZERO,
                forward_confidence: e.data.forward_confidence,
                // Cross margin reads neither the rate nor its confidence.
                rate: Wad::ZERO,
                rate_confidence: Wad::ONE,
                svi,
                vol_confidence: e.data.vol_confidence,
            });
            for o in &e.options {
                positions.push(position(
                    index,
                    Instrument::Option {
                        expiry: e.data.expiry,
                        strike: o.strike,
                        is_call: o.is_call,
                    },
                    o.amount,
                ));
            }
        }
        underlyings.push(UnderlyingMarket {
            spot: data.spot,
            spot_confidence: data.spot_confidence,
            perp_price: data.perp_price,
            perp_confidence: data.perp_confidence,
            expiries,
        });
        if !holdings.base_balance.is_zero() {
            base_assets.push(base_as_collateral(case, m)?);
            base_balances.push(holdings.base_balance);
        }
    }

    let first = account
        .markets
        .first()
        .map(|m| m.data.params)
        .ok_or_else(|| anyhow!("the case has no market"))?;
    let mut assets = Vec::with_capacity(account.collaterals.len() + base_assets.len());
    for (i, c) in account.collaterals.iter().enumerate() {
        // The snapshot gives unlinked collateral the first market's base contingency.
        ensure!(
            c.market.is_some()
                || (account.globals.collateral_oc_threshold == first.oc_base_threshold
                    && account.globals.collateral_oc_factor == first.oc_factor),
            "collateral {i} is linked to no market and the case's collateral contingency \
             differs from the first market's base contingency the snapshot would apply"
        );
        assets.push(CollateralAsset {
            price: c.price,
            confidence: c.confidence,
            mm_haircut: c.mm_haircut,
            im_haircut: c.im_haircut,
            risk_cancelling_underlying: c.market,
        });
    }
    let mut collateral: Vec<Wad> = account.collaterals.iter().map(|c| c.amount).collect();
    assets.extend(base_assets);
    collateral.extend(base_balances);

    let snapshot = MarginSnapshot {
        mode: MarginMode::Cross,
        account: Account {
            cash: account.cash,
            collateral,
            positions,
        },
        market: MarketSnapshot {
            now: account.time,
            stable_price: account.globals.stable_price,
            underlyings,
            assets,
        },
        params: RiskParams {
            cross_markets: account.markets.iter().map(|m| m.data.params).collect(),
            cross_depeg_threshold: account.globals.depeg_threshold,
            cross_depeg_factor: account.globals.depeg_factor,
            portfolio,
        },
    };
    check_bounds(&snapshot)?;
    let back = snapshot
        .account
        .to_cross(&snapshot.market, &snapshot.params)
        .map_err(|e| anyhow!("the snapshot's cross translation fails: {}", e.name()))?;
    let expected = srm_account_as_carried(account, &snapshot);
    ensure!(
        back == expected,
        "the snapshot's cross translation differs from the case's account"
    );
    Ok(snapshot)
}

/// What [`Account::to_cross`] must give back for `case`: the case's account with every base
/// balance moved to the collateral asset [`srm_snapshot`] made of it, and the globals' collateral
/// contingency the snapshot applies (only read for unlinked collateral, checked equal).
fn srm_account_as_carried(case: &CrossAccount, snapshot: &MarginSnapshot) -> CrossAccount {
    let mut expected = case.clone();
    let first = snapshot.params.cross_markets[0];
    expected.globals.collateral_oc_threshold = first.oc_base_threshold;
    expected.globals.collateral_oc_factor = first.oc_factor;
    let carried = case.collaterals.len();
    for (asset, amount) in snapshot.market.assets[carried..]
        .iter()
        .zip(&snapshot.account.collateral[carried..])
    {
        expected.collaterals.push(CrossCollateral {
            amount: *amount,
            price: asset.price,
            confidence: asset.confidence,
            mm_haircut: asset.mm_haircut,
            im_haircut: asset.im_haircut,
            market: asset.risk_cancelling_underlying,
        });
    }
    for m in &mut expected.markets {
        m.base_balance = Wad::ZERO;
    }
    expected
}

/// Market `m`'s base asset as generic collateral: value `balance ⊗ spot`, MM `value ⊗ β`, IM
/// `value ⊗ β` (SRM: `(value ⊗ β) ⊗ β_IM`), the oracle contingency on the spot confidence
/// with the market's `θ_B` and `φ`, MtM `value ⊘ s` — as SRM's base asset.
fn base_as_collateral(case: &SrmCase, m: usize) -> anyhow::Result<CollateralAsset> {
    let holdings = &case.account.markets[m];
    let params = holdings.data.params;
    let market = case.market_names.get(m).map_or("?", String::as_str);
    let value = holdings
        .base_balance
        .mul(holdings.data.spot)
        .map_err(|e| anyhow!("market {market}: base notional: {e}"))?;
    let srm_im = value
        .mul(params.base_margin_factor)
        .and_then(|x| x.mul(params.base_im_scale))
        .map_err(|e| anyhow!("market {market}: base IM: {e}"))?;
    let keep = params
        .base_margin_factor
        .mul(params.base_im_scale)
        .map_err(|e| anyhow!("market {market}: base IM factor: {e}"))?;
    let mm_haircut = Wad::ONE
        .sub(params.base_margin_factor)
        .map_err(|e| anyhow!("market {market}: base margin factor: {e}"))?;
    let im_haircut = params
        .base_margin_factor
        .sub(keep)
        .map_err(|e| anyhow!("market {market}: base IM scale: {e}"))?;
    let collateral_im = value
        .mul(Wad::ONE.sub(mm_haircut)?.sub(im_haircut)?)
        .map_err(|e| anyhow!("market {market}: base IM as collateral: {e}"))?;
    if collateral_im != srm_im {
        bail!(
            "market {market}: the base asset's IM (β = {}, β_IM = {}) rounds differently as \
             collateral ({} vs {}); the snapshot has no base asset to carry it",
            params.base_margin_factor,
            params.base_im_scale,
            collateral_im,
            srm_im
        );
    }
    Ok(CollateralAsset {
        price: holdings.data.spot,
        confidence: holdings.data.spot_confidence,
        mm_haircut,
        im_haircut,
        risk_cancelling_underlying: Some(u32::try_from(m)?),
    })
}

/// A position with no isolated collateral.
fn position(underlying: u32, instrument: Instrument, size: Wad) -> Position {
    Position {
        underlying,
        instrument,
        size,
        isolated_collateral: AssignedCollateral::default(),
    }
}

/// Refuses a snapshot [`keel_risk::model::snapshot::decode`] would refuse for its size.
fn check_bounds(s: &MarginSnapshot) -> anyhow::Result<()> {
    let over = |what: &str, n: usize, max: usize| -> anyhow::Result<()> {
        ensure!(
            n <= max,
            "{n} {what}: the snapshot carries at most {max} (keel_risk::model::snapshot)"
        );
        Ok(())
    };
    over("underlyings", s.market.underlyings.len(), MAX_UNDERLYINGS)?;
    over(
        "SRM parameter sets",
        s.params.cross_markets.len(),
        MAX_UNDERLYINGS,
    )?;
    for (u, underlying) in s.market.underlyings.iter().enumerate() {
        over(
            &format!("expiries on underlying {u}"),
            underlying.expiries.len(),
            MAX_EXPIRIES,
        )?;
    }
    over("collateral assets", s.market.assets.len(), MAX_ASSETS)?;
    over(
        "collateral balances",
        s.account.collateral.len(),
        MAX_ASSETS,
    )?;
    over("positions", s.account.positions.len(), MAX_POSITIONS)?;
    over(
        "scenarios",
        s.params.portfolio.scenarios.len(),
        MAX_SCENARIOS,
    )?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Exact SVI surfaces through given vols

/// A raw-SVI surface whose [`svi_vol`] is each option's `vol` exactly (capped at `cap`).
///
/// The surface is `w(k) = a + b·(|k| + ρ·k)` (`m = σ_svi = 0`) with `F^svi` at an anchor
/// strike, so `k = 0` there and `w = a` exactly: one line on each side of the anchor. That
/// reaches one vol (flat), two strikes (anchor the lower) or three (anchor the middle).
fn fit_svi(options: &[OptionHolding], cap: Wad) -> anyhow::Result<SviParams> {
    // Distinct strikes, ascending, each with its one vol. A zero strike has vol 0 whatever
    // the surface (PM2 §4.2 step 1).
    let mut points: Vec<(Wad, Wad)> = Vec::new();
    for o in options {
        if o.strike.is_zero() {
            ensure!(
                o.vol.is_zero(),
                "strike 0 has vol {} but an SVI surface gives 0 there",
                o.vol
            );
            continue;
        }
        match points.iter().find(|(k, _)| *k == o.strike) {
            Some(&(_, vol)) => ensure!(
                vol == o.vol,
                "strike {} has two vols ({vol} and {})",
                o.strike,
                o.vol
            ),
            None => points.push((o.strike, o.vol)),
        }
    }
    points.sort();
    let tau = Wad::from_int(FITTED_TAU_YEARS);
    let Some(&(lowest, first_vol)) = points.first() else {
        return Ok(flat_svi(Wad::ZERO, Wad::ONE, tau));
    };
    if points.iter().all(|&(_, v)| v == first_vol) {
        let (low, high) = variance_window(first_vol, tau, cap)?;
        let svi = flat_svi(midpoint(low, high), lowest, tau);
        return verified(svi, &points, cap);
    }
    let anchor = match points.len() {
        2 => 0,
        3 => 1,
        n => bail!(
            "{n} strikes with different vols: one SVI surface per expiry is fitted exactly \
             through at most three"
        ),
    };
    let (anchor_strike, anchor_vol) = points[anchor];
    let (low, high) = variance_window(anchor_vol, tau, cap)?;
    let a = midpoint(low, high);
    let mut svi = flat_svi(a, anchor_strike, tau);
    // The slope `(w − a)/|k|` each side must have (`|k|` from the surface itself, clamp
    // included: with σ_svi = 0 the clamp bound depends on `a` only).
    let mut slopes = [None, None];
    for (i, &(strike, vol)) in points.iter().enumerate() {
        if i == anchor {
            continue;
        }
        let (low, high) = variance_window(vol, tau, cap)?;
        let distance = log_moneyness(&svi, strike)?;
        ensure!(
            !distance.is_zero(),
            "strike {strike} is too close to {anchor_strike} to give it another vol"
        );
        let slope = midpoint(low, high).sub(a)?.div(distance)?;
        slopes[usize::from(i > anchor)] = Some(slope);
    }
    (svi.b, svi.rho) = match slopes {
        [Some(left), Some(right)] => {
            let sum = left.add(right)?;
            ensure!(
                !sum.is_zero(),
                "the slopes either side of strike {anchor_strike} cancel"
            );
            (Wad::from_raw(sum.raw() / 2), right.sub(left)?.div(sum)?)
        }
        [Some(slope), None] | [None, Some(slope)] => (slope, Wad::ZERO),
        [None, None] => bail!("no strike besides the anchor"),
    };
    // The midpoint targets leave room for the roundings; nudge `b` if one still misses.
    let base = svi.b;
    for nudge in [0i128, 1, -1, 2, -2, 4, -4, 8, -8] {
        svi.b = Wad::from_raw(base.raw() + nudge);
        if verified(svi, &points, cap).is_ok() {
            return Ok(svi);
        }
    }
    svi.b = base;
    verified(svi, &points, cap)
}

/// `w = a` everywhere, with `F^svi` at `anchor`.
fn flat_svi(a: Wad, anchor: Wad, tau: Wad) -> SviParams {
    SviParams {
        a,
        b: Wad::ZERO,
        rho: Wad::ZERO,
        m: Wad::ZERO,
        sigma: Wad::ZERO,
        forward: anchor,
        tau,
    }
}

/// `|k|` of `strike` on `svi`'s log-moneyness axis (clamped as the surface clamps it).
fn log_moneyness(svi: &SviParams, strike: Wad) -> anyhow::Result<Wad> {
    let probe = SviParams {
        b: Wad::ONE,
        rho: Wad::ZERO,
        ..*svi
    };
    let w = svi_total_variance(&probe, strike, Wad::MAX)
        .map_err(|e| anyhow!("log-moneyness of strike {strike}: {}", e.name()))?
        .ok_or_else(|| anyhow!("strike {strike} is zero"))?;
    Ok(w.sub(svi.a)?)
}

/// The total variances `[low, high]` whose vol at `tau` is exactly `vol`, within `cap`.
fn variance_window(vol: Wad, tau: Wad, cap: Wad) -> anyhow::Result<(Wad, Wad)> {
    let vol_of = |w: i128| -> anyhow::Result<Wad> {
        svi_vol(&flat_svi(Wad::from_raw(w), Wad::ONE, tau), Wad::ONE, cap)
            .map_err(|e| anyhow!("vol of total variance {}: {}", Wad::from_raw(w), e.name()))
    };
    // The first total variance whose vol reaches `target`, by bisection (vol is monotone).
    let first_reaching = |target: Wad| -> anyhow::Result<i128> {
        let (mut low, mut high) = (0i128, cap.raw());
        if vol_of(high)? < target {
            return Ok(high + 1);
        }
        while low < high {
            let mid = low + (high - low) / 2;
            if vol_of(mid)? >= target {
                high = mid;
            } else {
                low = mid + 1;
            }
        }
        Ok(low)
    };
    let low = first_reaching(vol)?;
    let high = first_reaching(Wad::from_raw(vol.raw() + 1))? - 1;
    ensure!(
        low <= high && low <= cap.raw(),
        "no total variance gives vol {vol} exactly at τ = {tau} under the cap {cap}"
    );
    Ok((Wad::from_raw(low), Wad::from_raw(high.min(cap.raw()))))
}

fn midpoint(low: Wad, high: Wad) -> Wad {
    Wad::from_raw(low.raw() + (high.raw() - low.raw()) / 2)
}

/// `svi` if it gives every point's vol exactly.
fn verified(svi: SviParams, points: &[(Wad, Wad)], cap: Wad) -> anyhow::Result<SviParams> {
    for &(strike, vol) in points {
        let got = svi_vol(&svi, strike, cap)
            .map_err(|e| anyhow!("fitted surface at strike {strike}: {}", e.name()))?;
        ensure!(
            got == vol,
            "the fitted surface gives vol {got} at strike {strike}, not {vol}"
        );
    }
    Ok(svi)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn option(strike: i64, vol_raw: i128) -> OptionHolding {
        OptionHolding {
            strike: Wad::from_int(strike),
            is_call: true,
            amount: Wad::ONE,
            vol: Wad::from_raw(vol_raw),
        }
    }

    fn vols_of(svi: &SviParams, strikes: &[i64]) -> Vec<i128> {
        let cap = Pm2Params::keel_default().svi_max_total_variance;
        strikes
            .iter()
            .map(|&k| svi_vol(svi, Wad::from_int(k), cap).unwrap().raw())
            .collect()
    }

    #[test]
    fn fitted_surfaces_give_each_vol_to_the_wei() {
        let cap = Pm2Params::keel_default().svi_max_total_variance;
        let flat = fit_svi(
            &[
                option(1500, 1_047_884_494_084_986_300),
                option(2500, 1_047_884_494_084_986_300),
            ],
            cap,
        )
        .unwrap();
        assert_eq!(
            vols_of(&flat, &[1500, 2500]),
            [1_047_884_494_084_986_300; 2]
        );
        let two = fit_svi(
            &[
                option(2500, 1_326_538_658_030_860_000),
                option(1500, 1_047_884_494_084_986_300),
            ],
            cap,
        )
        .unwrap();
        assert_eq!(
            vols_of(&two, &[1500, 2500]),
            [1_047_884_494_084_986_300, 1_326_538_658_030_860_000]
        );
        let smile = [
            option(1000, 1_262_012_129_931_914_500),
            option(1200, 1_138_939_398_828_297_400),
            option(2500, 1_326_538_658_030_860_000),
        ];
        let three = fit_svi(&smile, cap).unwrap();
        assert_eq!(
            vols_of(&three, &[1000, 1200, 2500]),
            [
                1_262_012_129_931_914_500,
                1_138_939_398_828_297_400,
                1_326_538_658_030_860_000
            ]
        );
        let small = fit_svi(&[option(100, 50_000_000_000_000_001)], cap).unwrap();
        assert_eq!(vols_of(&small, &[100]), [50_000_000_000_000_001]);
    }

    #[test]
    fn surfaces_that_cannot_be_fitted_are_refused_with_a_reason() {
        let cap = Pm2Params::keel_default().svi_max_total_variance;
        let four: Vec<_> = (1..=4)
            .map(|i| option(1000 * i, 1_000_000_000_000_000_000 + i as i128))
            .collect();
        let err = fit_svi(&four, cap).unwrap_err().to_string();
        assert!(err.contains("4 strikes"), "{err}");
        let clash = [option(1000, 1), option(1000, 2)];
        assert!(fit_svi(&clash, cap)
            .unwrap_err()
            .to_string()
            .contains("two vols"));
        let zero = [option(0, 5)];
        assert!(fit_svi(&zero, cap)
            .unwrap_err()
            .to_string()
            .contains("strike 0"));
    }
}
