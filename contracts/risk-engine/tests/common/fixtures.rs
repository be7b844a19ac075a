//! Accounts and market data shared by the engines' tests (`keel-risk-engine` includes this
//! file as a module; `keel-cross-engine` includes it by path).

#![allow(dead_code)]

use keel_risk::math::SviParams;
use keel_risk::model::account::{
    compare_modes, Account, AssignedCollateral, CollateralAsset, ExpiryMarket, Instrument,
    MarketSnapshot, Position, RiskParams, UnderlyingMarket,
};
use keel_risk::model::snapshot::{MarginMode, MarginSnapshot};
use keel_risk::Wad;

pub const NOW: u64 = 1_795_507_200; // 2026-11-24T00:00:00Z
pub const DEC: u64 = NOW + 31 * 86_400;
pub const MAR: u64 = NOW + 115 * 86_400;
const YEAR: i64 = 31_536_000;

pub fn w(x: i64) -> Wad {
    Wad::from_int(x)
}

fn expiry(at: u64, forward: Wad, rate_milli: i64) -> ExpiryMarket {
    ExpiryMarket {
        expiry: at,
        forward,
        forward_fixed: Wad::ZERO,
        forward_confidence: Wad::ONE,
        rate: Wad::ratio(rate_milli, 1000),
        rate_confidence: Wad::ONE,
        svi: SviParams {
            a: Wad::ratio(42, 10_000),
            b: Wad::ratio(24, 1000),
            rho: Wad::ratio(-35, 100),
            m: Wad::ratio(2, 100),
            sigma: Wad::ratio(18, 100),
            forward,
            tau: Wad::ratio((at - NOW) as i64, YEAR),
        },
        vol_confidence: Wad::ratio(95, 100),
    }
}

/// ETH (two expiries) and BTC (one) markets; USDC and wstETH (cancels ETH risk) collateral.
pub fn market() -> MarketSnapshot {
    MarketSnapshot {
        now: NOW,
        stable_price: Wad::ONE,
        underlyings: vec![
            UnderlyingMarket {
                spot: w(3000),
                spot_confidence: Wad::ONE,
                perp_price: Wad::ratio(30015, 10),
                perp_confidence: Wad::ONE,
                expiries: vec![
                    expiry(DEC, Wad::ratio(30082, 10), 32),
                    expiry(MAR, w(3030), 35),
                ],
            },
            UnderlyingMarket {
                spot: w(90_000),
                spot_confidence: Wad::ratio(9, 10),
                perp_price: w(90_050),
                perp_confidence: Wad::ONE,
                expiries: vec![expiry(DEC, w(90_300), 30)],
            },
        ],
        assets: vec![
            CollateralAsset {
                price: Wad::ONE,
                confidence: Wad::ONE,
                mm_haircut: Wad::ZERO,
                im_haircut: Wad::ratio(1, 100),
                risk_cancelling_underlying: None,
            },
            CollateralAsset {
                price: w(3500),
                confidence: Wad::ONE,
                mm_haircut: Wad::ratio(2, 100),
                im_haircut: Wad::ratio(3, 100),
                risk_cancelling_underlying: Some(0),
            },
        ],
    }
}

pub fn option(underlying: u32, at: u64, strike: i64, is_call: bool, size: Wad) -> Position {
    Position {
        underlying,
        instrument: Instrument::Option {
            expiry: at,
            strike: w(strike),
            is_call,
        },
        size,
        isolated_collateral: AssignedCollateral::default(),
    }
}

pub fn perp(underlying: u32, size: Wad, unsettled: Wad) -> Position {
    Position {
        underlying,
        instrument: Instrument::Perp { unsettled },
        size,
        isolated_collateral: AssignedCollateral::default(),
    }
}

fn snapshot(
    mode: MarginMode,
    cash: i64,
    collateral: Vec<Wad>,
    positions: Vec<Position>,
) -> MarginSnapshot {
    MarginSnapshot {
        mode,
        account: Account {
            cash: w(cash),
            collateral,
            positions,
        },
        market: market(),
        params: RiskParams::keel_default(),
    }
}

/// Delta-hedged short straddle on ETH (options and a perp).
pub fn straddle(mode: MarginMode) -> MarginSnapshot {
    snapshot(
        mode,
        20_000,
        vec![w(40_000)],
        vec![
            option(0, DEC, 3000, true, w(-25)),
            option(0, DEC, 3000, false, w(-25)),
            perp(0, Wad::ratio(12, 10), w(138)),
        ],
    )
}

/// Two underlyings: an ETH calendar spread with a perp hedge, a BTC put spread and perp,
/// borrowed cash, USDC and wstETH collateral.
pub fn multi(mode: MarginMode) -> MarginSnapshot {
    snapshot(
        mode,
        -5_000,
        vec![w(60_000), w(4)],
        vec![
            option(0, DEC, 3100, true, w(-10)),
            option(0, MAR, 3100, true, w(10)),
            perp(0, w(-4), w(-12)),
            option(1, DEC, 88_000, false, w(2)),
            option(1, DEC, 85_000, false, w(-2)),
            perp(1, Wad::ratio(-1, 10), Wad::ZERO),
        ],
    )
}

/// An under-collateralised short call: negative maintenance surplus.
pub fn underwater(mode: MarginMode) -> MarginSnapshot {
    snapshot(
        mode,
        500,
        vec![],
        vec![option(0, DEC, 2800, true, w(-20)), perp(1, w(1), w(-4_000))],
    )
}

/// An isolated account: one position secured by the whole account (assigned in full, so
/// `compare_modes`' isolated headline is the same account).
pub fn isolated(position: Position) -> MarginSnapshot {
    let mut position = position;
    position.isolated_collateral = AssignedCollateral {
        cash: w(1_000),
        assets: vec![(0, w(15_000)), (1, w(2))],
    };
    snapshot(
        MarginMode::Isolated,
        1_000,
        vec![w(15_000), w(2)],
        vec![position],
    )
}

pub fn isolated_cases() -> Vec<MarginSnapshot> {
    vec![
        isolated(option(0, DEC, 3000, false, w(-5))),
        isolated(option(1, DEC, 88_000, true, w(1))),
        isolated(perp(0, w(-3), w(25))),
        isolated(option(0, MAR, 3300, true, w(-8))),
    ]
}

/// `compare_modes`' headline `(im, mm, mtm)` for the snapshot's mode: the native reference,
/// computed without the snapshot module.
pub fn native(s: &MarginSnapshot) -> (Wad, Wad, Wad) {
    let c = compare_modes(&s.account, &s.market, &s.params).expect("native margin");
    let m = match s.mode {
        MarginMode::Isolated => c.isolated,
        MarginMode::Cross => c.cross,
        MarginMode::Portfolio => c.portfolio,
    };
    (m.im, m.mm, m.mtm)
}
