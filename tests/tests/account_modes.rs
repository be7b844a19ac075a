//! The account layer: one account description feeds all three models, and only the
//! underlyings an account is exposed to take part in its portfolio margin.

use keel_risk::math::SviParams;
use keel_risk::model::account::{
    compare_modes, Account, AssignedCollateral, CollateralAsset, ExpiryMarket, Instrument,
    MarketSnapshot, Position, RiskParams, UnderlyingMarket,
};
use keel_risk::model::portfolio::portfolio_margin;
use keel_risk::{RiskError, Wad};

fn w(s: &str) -> Wad {
    Wad::parse_decimal(s).unwrap()
}

const NOW: u64 = 1_800_000_000;
const EXPIRY: u64 = NOW + 30 * 86_400;

fn underlying(spot: &str, confidence: &str) -> UnderlyingMarket {
    let tau = keel_risk::math::annualise(EXPIRY - NOW);
    let forward = w(spot);
    UnderlyingMarket {
        spot: w(spot),
        spot_confidence: w(confidence),
        perp_price: w(spot),
        perp_confidence: Wad::ONE,
        expiries: vec![ExpiryMarket {
            expiry: EXPIRY,
            forward,
            forward_fixed: Wad::ZERO,
            forward_confidence: Wad::ONE,
            rate: w("0.03"),
            rate_confidence: Wad::ONE,
            svi: SviParams {
                a: w("0.36").mul(tau).unwrap(),
                forward,
                tau,
                ..SviParams::default()
            },
            vol_confidence: Wad::ONE,
        }],
    }
}

fn market(eth_confidence: &str) -> MarketSnapshot {
    MarketSnapshot {
        now: NOW,
        stable_price: Wad::ONE,
        underlyings: vec![underlying("3000", eth_confidence), underlying("90000", "1")],
        assets: vec![
            CollateralAsset {
                price: Wad::ONE,
                confidence: Wad::ONE,
                mm_haircut: Wad::ZERO,
                im_haircut: w("0.01"),
                risk_cancelling_underlying: None,
            },
            CollateralAsset {
                price: w("90000"),
                confidence: Wad::ONE,
                mm_haircut: w("0.05"),
                im_haircut: w("0.02"),
                risk_cancelling_underlying: Some(1),
            },
        ],
    }
}

fn btc_call(size: &str) -> Position {
    Position {
        underlying: 1,
        instrument: Instrument::Option {
            expiry: EXPIRY,
            strike: w("100000"),
            is_call: true,
        },
        size: w(size),
        isolated_collateral: AssignedCollateral::default(),
    }
}

#[test]
fn portfolio_books_cover_only_exposed_underlyings_and_keep_collateral_links() {
    let account = Account {
        cash: w("1000"),
        collateral: vec![w("50000"), w("1")],
        positions: vec![btc_call("-1")],
    };
    let (pm, books) = account.to_portfolio_with_map(&market("1")).unwrap();
    assert_eq!(books, vec![1], "only BTC is held");
    assert_eq!(pm.underlyings.len(), 1);
    assert_eq!(pm.underlyings[0].spot, w("90000"));
    assert_eq!(
        pm.collaterals[1].risk_cancelling,
        Some(0),
        "wBTC now points at book 0"
    );
    assert_eq!(pm.collaterals[0].risk_cancelling, None);
}

#[test]
fn an_unrelated_underlyings_confidence_does_not_move_the_margin() {
    let account = Account {
        cash: w("1000"),
        collateral: vec![w("50000"), w("1")],
        positions: vec![btc_call("-1")],
    };
    let params = RiskParams::keel_default();
    let calm = compare_modes(&account, &market("1"), &params).unwrap();
    let shaky_eth = compare_modes(&account, &market("0.1"), &params).unwrap();
    assert_eq!(calm.portfolio, shaky_eth.portfolio);
    assert_eq!(calm.cross, shaky_eth.cross);
}

#[test]
fn delta_hedging_collateral_offsets_a_short_call_in_portfolio_mode_only() {
    let naked = Account {
        cash: w("1000"),
        collateral: vec![w("50000"), Wad::ZERO],
        positions: vec![btc_call("-1")],
    };
    // About the call's delta in wBTC: a full unit would add more downside than it hedges.
    let covered = Account {
        collateral: vec![w("50000"), w("0.3")],
        ..naked.clone()
    };
    let params = RiskParams::keel_default();
    let pm = |a: &Account| {
        portfolio_margin(&a.to_portfolio(&market("1")).unwrap(), &params.portfolio).unwrap()
    };
    let (naked_pm, covered_pm) = (pm(&naked), pm(&covered));
    // The hedged account's worst loss is smaller: the wBTC gains when the call loses.
    assert!(covered_pm.breakdown.worst_loss > naked_pm.breakdown.worst_loss);
    let modes = compare_modes(&covered, &market("1"), &params).unwrap();
    assert!(modes.portfolio.im_requirement < modes.cross.im_requirement);
}

#[test]
fn positions_on_unlisted_markets_or_expiries_are_named_errors() {
    let params = RiskParams::keel_default();
    let mut account = Account {
        cash: w("1000"),
        collateral: vec![],
        positions: vec![btc_call("-1")],
    };
    account.positions[0].underlying = 7;
    assert_eq!(
        compare_modes(&account, &market("1"), &params).unwrap_err(),
        RiskError::MissingMarketData
    );
    account.positions[0] = Position {
        instrument: Instrument::Option {
            expiry: EXPIRY + 1,
            strike: w("100000"),
            is_call: true,
        },
        ..btc_call("-1")
    };
    assert_eq!(
        compare_modes(&account, &market("1"), &params).unwrap_err(),
        RiskError::MissingExpiryData
    );
}
