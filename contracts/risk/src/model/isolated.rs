//! Isolated margin: each position secured only by the collateral assigned to it.
//!
//! An isolated account is a list of positions — one option or one perp each — every one with
//! its own collateral (cash, base assets of any market, generic collateral assets). A
//! position's IM, MM and MtM are those of the [cross model](super::cross) evaluated on the
//! one-position account made of that position and its collateral, so each position keeps the
//! full SRM treatment on its own (a short put still gets its max-loss bound, a naked short
//! call its unpaired charge, and the oracle and de-peg add-ons apply to it alone), while hedges
//! never offset across positions. The result lists, per position, the requirement, the value
//! of its collateral and the surplus, and flags the positions that would be liquidated alone.

use alloc::vec;
use alloc::vec::Vec;

use super::cross::{
    cross_margin, CollateralHolding, CrossAccount, CrossMargin, ExpiryData, ExpiryHoldings,
    MarketData, MarketHoldings, OptionHolding, SrmGlobals,
};
use crate::{RiskError, Wad};

/// What an isolated position holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IsolatedInstrument {
    /// A perpetual.
    Perp {
        /// Signed size `P`.
        size: Wad,
        /// Unsettled cash `U` (unrealised PnL and funding).
        unsettled_cash: Wad,
    },
    /// One option balance with its expiry's market data.
    Option {
        /// Expiry, forward and confidences.
        expiry: ExpiryData,
        /// Strike, type, signed amount and vol.
        option: OptionHolding,
    },
}

/// The collateral assigned to one position.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IsolatedCollateral {
    /// Cash in stable units.
    pub cash: Wad,
    /// `(market index, balance)` of base assets; repeated markets add up.
    pub base: Vec<(u32, Wad)>,
    /// Generic collateral assets (their market links index [`IsolatedAccount::markets`]).
    pub assets: Vec<CollateralHolding>,
}

/// One position and its collateral.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IsolatedPosition {
    /// Index of the position's market in [`IsolatedAccount::markets`].
    pub market: u32,
    /// The position.
    pub instrument: IsolatedInstrument,
    /// What secures it.
    pub collateral: IsolatedCollateral,
}

/// An isolated-margin account with the market data it is valued against.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IsolatedAccount {
    /// Evaluation time (seconds).
    pub time: u64,
    /// Stable price, de-peg and collateral parameters.
    pub globals: SrmGlobals,
    /// Market data and parameters, referenced by index.
    pub markets: Vec<MarketData>,
    /// The positions.
    pub positions: Vec<IsolatedPosition>,
}

/// Margin of one isolated position.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PositionMargin {
    /// IM the position needs, as a positive number: minus its option, perp, oracle and de-peg
    /// contributions.
    pub requirement_im: Wad,
    /// MM the position needs, as a positive number.
    pub requirement_mm: Wad,
    /// IM value of what secures it: cash, base assets after their contingency, generic
    /// collateral, plus the perp's unsettled cash `U` (cash owed to or by the position).
    pub collateral_im: Wad,
    /// MM value of what secures it.
    pub collateral_mm: Wad,
    /// `collateral_im − requirement_im`, the position's IM surplus.
    pub surplus_im: Wad,
    /// `collateral_mm − requirement_mm`, the position's MM surplus.
    pub surplus_mm: Wad,
    /// Mark-to-market of the position with its collateral.
    pub mtm: Wad,
    /// True when the position alone would be liquidated (`surplus_mm < 0`).
    pub liquidatable: bool,
    /// The cross-model breakdown of the one-position account.
    pub detail: CrossMargin,
}

/// Account totals: each is the sum over the positions.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IsolatedTotals {
    /// Σ [`PositionMargin::requirement_im`].
    pub requirement_im: Wad,
    /// Σ [`PositionMargin::requirement_mm`].
    pub requirement_mm: Wad,
    /// Σ [`PositionMargin::collateral_im`].
    pub collateral_im: Wad,
    /// Σ [`PositionMargin::collateral_mm`].
    pub collateral_mm: Wad,
    /// Σ [`PositionMargin::surplus_im`].
    pub surplus_im: Wad,
    /// Σ [`PositionMargin::surplus_mm`].
    pub surplus_mm: Wad,
    /// Σ [`PositionMargin::mtm`].
    pub mtm: Wad,
    /// How many positions would be liquidated alone.
    pub liquidatable_positions: u32,
}

/// Result of [`isolated_margin`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IsolatedMargin {
    /// Per position, in input order.
    pub positions: Vec<PositionMargin>,
    /// Sums over the positions.
    pub totals: IsolatedTotals,
}

fn market_index(markets: &[MarketData], index: u32) -> Result<usize, RiskError> {
    usize::try_from(index)
        .ok()
        .filter(|&i| i < markets.len())
        .ok_or(RiskError::MissingMarketData)
}

/// The cross-margin account made of one position and its collateral: every market of
/// `account` appears (those without a position contribute exactly 0), so collateral links
/// keep their indices.
pub fn position_account(
    account: &IsolatedAccount,
    position: &IsolatedPosition,
) -> Result<CrossAccount, RiskError> {
    let mut markets: Vec<MarketHoldings> = account
        .markets
        .iter()
        .map(|data| MarketHoldings {
            data: *data,
            ..MarketHoldings::default()
        })
        .collect();
    let home = market_index(&account.markets, position.market)?;
    match position.instrument {
        IsolatedInstrument::Perp {
            size,
            unsettled_cash,
        } => {
            markets[home].perp_size = size;
            markets[home].perp_unsettled_cash = unsettled_cash;
        }
        IsolatedInstrument::Option { expiry, option } => {
            markets[home].expiries = vec![ExpiryHoldings {
                data: expiry,
                options: vec![option],
            }];
        }
    }
    for &(index, amount) in &position.collateral.base {
        let i = market_index(&account.markets, index)?;
        markets[i].base_balance = markets[i].base_balance.add(amount)?;
    }
    Ok(CrossAccount {
        time: account.time,
        cash: position.collateral.cash,
        globals: account.globals,
        markets,
        collaterals: position.collateral.assets.clone(),
    })
}

fn evaluate_position(
    account: &IsolatedAccount,
    position: &IsolatedPosition,
) -> Result<PositionMargin, RiskError> {
    let detail = cross_margin(&position_account(account, position)?)?;
    let (mut requirement_im, mut requirement_mm) = (Wad::ZERO, Wad::ZERO);
    let (mut collateral_im, mut collateral_mm) = (detail.cash, detail.cash);
    for m in &detail.markets {
        requirement_im = requirement_im
            .sub(m.im.perp)?
            .sub(m.im.perp_oracle_contingency)?
            .sub(m.im.options)?
            .sub(m.im.depeg)?;
        requirement_mm = requirement_mm
            .sub(m.mm.perp)?
            .sub(m.mm.perp_oracle_contingency)?
            .sub(m.mm.options)?
            .sub(m.mm.depeg)?;
        collateral_im = collateral_im
            .add(m.im.base)?
            .add(m.im.base_oracle_contingency)?
            .add(m.im.unsettled)?;
        collateral_mm = collateral_mm
            .add(m.mm.base)?
            .add(m.mm.base_oracle_contingency)?
            .add(m.mm.unsettled)?;
    }
    for c in &detail.collaterals {
        collateral_im = collateral_im.add(c.im)?;
        collateral_mm = collateral_mm.add(c.mm)?;
    }
    Ok(PositionMargin {
        requirement_im,
        requirement_mm,
        collateral_im,
        collateral_mm,
        surplus_im: detail.im,
        surplus_mm: detail.mm,
        mtm: detail.mtm,
        liquidatable: detail.mm.is_negative(),
        detail,
    })
}

/// Evaluates every position of an isolated account on its own, with account totals.
///
/// Errors are those of [`cross_margin`], plus [`RiskError::MissingMarketData`] for a position
/// or a base assignment that names a market index outside [`IsolatedAccount::markets`].
pub fn isolated_margin(account: &IsolatedAccount) -> Result<IsolatedMargin, RiskError> {
    let mut totals = IsolatedTotals::default();
    let mut positions = Vec::with_capacity(account.positions.len());
    for position in &account.positions {
        let p = evaluate_position(account, position)?;
        totals.requirement_im = totals.requirement_im.add(p.requirement_im)?;
        totals.requirement_mm = totals.requirement_mm.add(p.requirement_mm)?;
        totals.collateral_im = totals.collateral_im.add(p.collateral_im)?;
        totals.collateral_mm = totals.collateral_mm.add(p.collateral_mm)?;
        totals.surplus_im = totals.surplus_im.add(p.surplus_im)?;
        totals.surplus_mm = totals.surplus_mm.add(p.surplus_mm)?;
        totals.mtm = totals.mtm.add(p.mtm)?;
        if p.liquidatable {
            totals.liquidatable_positions = totals
                .liquidatable_positions
                .checked_add(1)
                .ok_or(RiskError::Overflow)?;
        }
        positions.push(p);
    }
    Ok(IsolatedMargin { positions, totals })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::cross::SrmParams;

    fn w(s: &str) -> Wad {
        Wad::parse_decimal(s).unwrap()
    }

    fn eth() -> MarketData {
        MarketData {
            spot: w("2000"),
            spot_confidence: Wad::ONE,
            perp_price: w("2001"),
            perp_confidence: Wad::ONE,
            params: SrmParams {
                max_spot_req: w("0.15"),
                min_spot_req: w("0.1"),
                mm_call_spot_req: w("0.075"),
                mm_put_spot_req: w("0.075"),
                mm_put_mtm_req: w("0.075"),
                unpaired_im_scale: w("1.2"),
                unpaired_mm_scale: w("1.1"),
                mm_offset_scale: w("1.05"),
                perp_im_req: w("0.065"),
                perp_mm_req: w("0.05"),
                base_margin_factor: w("0.8"),
                base_im_scale: Wad::ONE,
                oc_perp_threshold: w("0.4"),
                oc_option_threshold: w("0.4"),
                oc_base_threshold: w("0.4"),
                oc_factor: w("0.4"),
            },
        }
    }

    fn account(stable: &str, positions: Vec<IsolatedPosition>) -> IsolatedAccount {
        IsolatedAccount {
            time: 0,
            globals: SrmGlobals {
                stable_price: w(stable),
                depeg_threshold: w("0.98"),
                depeg_factor: w("1.2"),
                ..SrmGlobals::default()
            },
            markets: vec![eth()],
            positions,
        }
    }

    fn perp(size: &str, unsettled: &str, cash: &str) -> IsolatedPosition {
        IsolatedPosition {
            market: 0,
            instrument: IsolatedInstrument::Perp {
                size: w(size),
                unsettled_cash: w(unsettled),
            },
            collateral: IsolatedCollateral {
                cash: w(cash),
                ..IsolatedCollateral::default()
            },
        }
    }

    fn call(strike: &str, amount: &str, cash: &str) -> IsolatedPosition {
        IsolatedPosition {
            market: 0,
            instrument: IsolatedInstrument::Option {
                expiry: ExpiryData {
                    expiry: 892_800,
                    forward: w("2002.83305"),
                    forward_confidence: Wad::ONE,
                    vol_confidence: Wad::ONE,
                },
                option: OptionHolding {
                    strike: w(strike),
                    is_call: true,
                    amount: w(amount),
                    vol: w("0.5"),
                },
            },
            collateral: IsolatedCollateral {
                cash: w(cash),
                ..IsolatedCollateral::default()
            },
        }
    }

    fn assert_totals_are_sums(r: &IsolatedMargin) {
        let sum = |f: fn(&PositionMargin) -> Wad| {
            r.positions
                .iter()
                .fold(Wad::ZERO, |a, p| a.add(f(p)).unwrap())
        };
        let t = r.totals;
        assert_eq!(t.requirement_im, sum(|p| p.requirement_im));
        assert_eq!(t.requirement_mm, sum(|p| p.requirement_mm));
        assert_eq!(t.collateral_im, sum(|p| p.collateral_im));
        assert_eq!(t.collateral_mm, sum(|p| p.collateral_mm));
        assert_eq!(t.surplus_im, sum(|p| p.surplus_im));
        assert_eq!(t.surplus_mm, sum(|p| p.surplus_mm));
        assert_eq!(t.mtm, sum(|p| p.mtm));
        let flagged = r.positions.iter().filter(|p| p.liquidatable).count();
        assert_eq!(t.liquidatable_positions as usize, flagged);
        for p in &r.positions {
            assert_eq!(p.surplus_im, p.collateral_im.sub(p.requirement_im).unwrap());
            assert_eq!(p.surplus_mm, p.collateral_mm.sub(p.requirement_mm).unwrap());
            assert!(!p.requirement_im.is_negative() && !p.requirement_mm.is_negative());
        }
    }

    /// Exact arithmetic, no pricing: a short perp on too little cash is flagged, a long perp
    /// on enough cash is not, although the account as a whole would be healthy.
    #[test]
    fn under_collateralised_perp_is_flagged_alone() {
        let short = perp("-10", "-3", "500");
        let long = perp("1", "-10", "5000");
        let r = isolated_margin(&account("1", vec![short, long])).unwrap();
        let (a, b) = (&r.positions[0], &r.positions[1]);
        assert_eq!(a.requirement_mm, w("1000.5")); // 10 · 2001 · 0.05
        assert_eq!(a.requirement_im, w("1300.65")); // 10 · 2001 · 0.065
        assert_eq!(a.collateral_mm, w("497")); // cash 500 + U −3
        assert_eq!(a.surplus_mm, w("-503.5"));
        assert!(a.liquidatable);
        assert_eq!(b.requirement_mm, w("100.05"));
        assert_eq!(b.collateral_im, w("4990"));
        assert_eq!(b.surplus_im, w("4859.935"));
        assert!(!b.liquidatable);
        assert_eq!(r.totals.liquidatable_positions, 1);
        assert_eq!(r.totals.surplus_mm, w("4386.45"));
        assert_totals_are_sums(&r);
    }

    /// De-peg and perp contingency apply to the position alone; base collateral assigned to
    /// it counts after its own contingency.
    #[test]
    fn add_ons_and_base_collateral_apply_per_position() {
        let mut p = perp("2", "0", "0");
        p.collateral.base = vec![(0, w("0.25")), (0, w("0.25"))];
        let mut a = account("0.1", vec![p]);
        a.markets[0].spot_confidence = w("0.3");
        let r = isolated_margin(&a).unwrap();
        let pm = &r.positions[0];
        // Perp 2 · 2001 · 0.065 = 260.13; contingency 0.7 · 0.4 · 2000 · 2 = 1120;
        // de-peg 2 · 1.056 · 2000 = 4224.
        assert_eq!(pm.requirement_im, w("5604.13"));
        assert_eq!(pm.requirement_mm, w("200.1"));
        // Base 0.5 · 2000 · 0.8 = 800, IM minus 0.7 · 0.4 · 1000 = 280.
        assert_eq!((pm.collateral_mm, pm.collateral_im), (w("800"), w("520")));
        assert_eq!(pm.mtm, w("10000")); // 1000 ⊘ 0.1
        assert_totals_are_sums(&r);
    }

    #[test]
    fn unknown_market_indices_are_refused() {
        let mut p = perp("1", "0", "0");
        p.market = 1;
        assert_eq!(
            isolated_margin(&account("1", vec![p])),
            Err(RiskError::MissingMarketData)
        );
        let mut p = perp("1", "0", "0");
        p.collateral.base = vec![(3, Wad::ONE)];
        assert_eq!(
            isolated_margin(&account("1", vec![p])),
            Err(RiskError::MissingMarketData)
        );
    }

    /// A call spread: in cross margin the long leg caps the short's loss; isolated, the
    /// short leg pays its full isolated requirement and the long leg frees nothing.
    #[test]
    fn isolated_requirement_of_a_spread_exceeds_cross() {
        let short = call("1100", "-1.01", "1300");
        let long = call("1200", "1", "0");
        let iso = isolated_margin(&account("1", vec![short.clone(), long.clone()])).unwrap();
        assert_totals_are_sums(&iso);

        let a = account("1", vec![]);
        let mut cross_account = position_account(&a, &short).unwrap();
        if let IsolatedInstrument::Option { option, .. } = long.instrument {
            cross_account.markets[0].expiries[0].options.push(option);
        }
        let cross = cross_margin(&cross_account).unwrap();
        let cross_requirement_im = w("1300").sub(cross.im).unwrap();
        let cross_requirement_mm = w("1300").sub(cross.mm).unwrap();
        assert_eq!(cross_requirement_im, w("125.0339966"));
        assert!(iso.totals.requirement_im > cross_requirement_im);
        assert!(iso.totals.requirement_mm > cross_requirement_mm);
        // The long leg alone needs nothing; the short leg keeps its isolated margin
        // 0.15 · 2000 · 1.01 + 1.01 · 902.833… ≈ 1214.86 (its lone max loss is worse).
        assert_eq!(iso.positions[1].requirement_im, Wad::ZERO);
        let short_req = iso.positions[0].requirement_im;
        assert!(
            short_req > w("1214.86") && short_req < w("1214.87"),
            "{short_req}"
        );
        // 1300 of cash covers the short leg alone but the long leg's zero collateral is fine.
        assert!(!iso.positions[0].liquidatable && !iso.positions[1].liquidatable);
    }

    /// A short put alone still gets its max-loss bound (strike · amount at price 0) when
    /// that is better than its isolated margin.
    #[test]
    fn a_lone_short_put_keeps_its_max_loss_bound() {
        let mut p = call("100", "-1", "0");
        if let IsolatedInstrument::Option { option, .. } = &mut p.instrument {
            option.is_call = false;
        }
        let r = isolated_margin(&account("1", vec![p])).unwrap();
        let e = &r.positions[0].detail.markets[0].expiries[0];
        assert_eq!(e.im.max_loss, w("-100"));
        // Isolated IM is at least 0.1 · 2000 = 200, so the bound of 100 wins.
        assert_eq!(e.im.chosen, w("-100"));
        assert_eq!(r.positions[0].requirement_im, w("100"));
        assert!(r.positions[0].liquidatable);
    }
}
