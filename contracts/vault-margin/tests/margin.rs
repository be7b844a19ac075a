//! Snapshots and margin through the real core and module: the snapshot an account's storage
//! and the simulated oracle produce is compared field by field with one the test builds by
//! hand, and the margins with keel-risk's evaluation of that hand-built snapshot.
mod common;

use alloy_primitives::{Address, U256};
use common::*;
use keel_risk::model::account::{
    compare_modes, Account, AssignedCollateral, CollateralAsset, Instrument as Kind,
    MarketSnapshot, Position, UnderlyingMarket,
};
use keel_risk::model::portfolio::WorstCase;
use keel_risk::model::snapshot::{
    decode, encode, evaluate, evaluate_cross, evaluate_portfolio, MarginMode, MarginOutcome,
    MarginSnapshot,
};
use keel_risk::Wad;

const ID: u64 = 1;

/// ETH's NEAR data: a flat 80 % smile (the slice's own time 0.25 keeps its ATM vol exact).
fn eth_near() -> keel_risk::model::account::ExpiryMarket {
    let f = w(2_010);
    expiry_market(NEAR, f, pct(3), flat(80, f, pct(25)), pct(98))
}

fn btc_far() -> keel_risk::model::account::ExpiryMarket {
    let f = w(60_300);
    expiry_market(FAR, f, pct(4), flat(60, f, pct(50)), pct(97))
}

fn position(underlying: u32, instrument: Kind, size: Wad) -> Position {
    Position {
        underlying,
        instrument,
        size,
        isolated_collateral: AssignedCollateral::default(),
    }
}

fn opt(underlying: u32, expiry: u64, strike: i64, is_call: bool, size: Wad) -> Position {
    position(
        underlying,
        Kind::Option {
            expiry,
            strike: w(strike),
            is_call,
        },
        size,
    )
}

/// Account 1 (cross): 10,000 USDC and 5 WETH; short 2 ETH 2200 calls (NEAR), long 1 ETH
/// perpetual (basis 1990, funding index 5 accruing 10⁻⁶/s for 1000 s: index 7), long 0.1
/// BTC 55000 put (FAR); BTC spot confidence 0.95.
fn scenario(mode: u8) -> Env {
    let env = Env::new(mode);
    env.deposit(ALICE, ID, USDC, U256::from(10_000u128 * 10u128.pow(6)));
    env.deposit(ALICE, ID, WETH, u(w(5)));
    env.set_spot_confidence(BTC, w(60_000), pct(95));
    env.set_expiry(ETH, &eth_near());
    env.set_expiry(BTC, &btc_far());
    env.put_position(ID, option(0, CALL, NEAR, w(2_200)), w(-2), Wad::ZERO);
    env.put_position(ID, perp(0), Wad::ONE, w(1_990));
    env.set_funding(ETH, w(5), Wad::from_raw(10i128.pow(12)), T0 - 1_000);
    env.put_position(ID, option(1, PUT, FAR, w(55_000)), pct(10), Wad::ZERO);
    env.clear_logs();
    env
}

/// The snapshot [`scenario`] must produce, built by hand.
fn expected(mode: MarginMode) -> MarginSnapshot {
    MarginSnapshot {
        mode,
        market: MarketSnapshot {
            now: T0,
            stable_price: Wad::ONE,
            underlyings: vec![
                UnderlyingMarket {
                    spot: w(2_000),
                    spot_confidence: Wad::ONE,
                    perp_price: w(2_000),
                    perp_confidence: Wad::ONE,
                    expiries: vec![eth_near()],
                },
                UnderlyingMarket {
                    spot: w(60_000),
                    spot_confidence: pct(95),
                    perp_price: w(60_000),
                    perp_confidence: pct(95),
                    expiries: vec![btc_far()],
                },
            ],
            // WETH: listed 10 % IM (total), 5 % MM; no add-ons.
            assets: vec![CollateralAsset {
                price: w(2_000),
                confidence: Wad::ONE,
                mm_haircut: pct(5),
                im_haircut: pct(5),
                risk_cancelling_underlying: Some(0),
            }],
        },
        account: Account {
            cash: w(10_000),
            collateral: vec![w(5)],
            positions: vec![
                opt(0, NEAR, 2_200, true, w(-2)),
                // 1·2000 − 1·7 − 1990.
                position(0, Kind::Perp { unsettled: w(3) }, Wad::ONE),
                opt(1, FAR, 55_000, false, pct(10)),
            ],
        },
        params: params(2),
    }
}

fn worst(o: &MarginOutcome) -> U256 {
    match o.worst {
        Some(WorstCase::Scenario(i)) => U256::from(i),
        _ => U256::MAX,
    }
}

/// `margin(id)` must be `o` in `mode` with the given cash, unrealised PnL and count.
fn assert_margin(env: &Env, id: u64, mode: u8, o: &MarginOutcome, cash: Wad, pnl: Wad, n: u64) {
    let m = env.margin(id).unwrap();
    assert_eq!(m.mode, mode);
    assert_eq!(wad_of(m.initialMargin), o.im, "im");
    assert_eq!(wad_of(m.maintenanceMargin), o.mm, "mm");
    assert_eq!(wad_of(m.markToMarket), o.mtm, "mtm");
    assert_eq!(wad_of(m.initialRequirement), o.mtm.sub(o.im).unwrap());
    assert_eq!(wad_of(m.maintenanceRequirement), o.mtm.sub(o.mm).unwrap());
    assert_eq!(m.worstScenario, worst(o));
    assert_eq!(wad_of(m.cash), cash);
    assert_eq!(wad_of(m.unrealisedPnl), pnl);
    assert_eq!(m.positionCount, U256::from(n));
}

#[test]
fn the_snapshot_is_the_account_keel_risk_describes() {
    let env = scenario(1);
    for (mode, m) in [(1, MarginMode::Cross), (2, MarginMode::Portfolio)] {
        let bytes = env.snapshot(ID, mode).unwrap();
        let want = expected(m);
        assert_eq!(decode(&bytes).unwrap(), want, "mode {mode}");
        // Canonical: exactly keel-risk's encoding of it.
        assert_eq!(bytes, encode(&want));
    }
    // Isolated: refused with more than one position.
    assert_eq!(
        env.snapshot(ID, 0).unwrap_err(),
        err(I::IsolatedNeedsOnePosition { id: U256::from(ID) })
    );
    assert_eq!(
        env.snapshot(ID, 3).unwrap_err(),
        err(I::InvalidMode { mode: 3 })
    );
    assert_eq!(
        env.snapshot(9, 1).unwrap_err(),
        err(I::UnknownAccount { id: U256::from(9) })
    );
}

#[test]
fn margin_is_keel_risks_evaluation_of_that_snapshot() {
    let env = scenario(1);
    let s = expected(MarginMode::Cross);
    let cross = evaluate_cross(&s).unwrap();
    assert_margin(&env, ID, 1, &cross, w(10_000), w(3), 3);
    // The same numbers as compare_modes on the same account.
    let c = compare_modes(&s.account, &s.market, &s.params).unwrap();
    assert_eq!(
        (c.cross.im, c.cross.mm, c.cross.mtm),
        (cross.im, cross.mm, cross.mtm)
    );
    // In portfolio mode (after switching), the portfolio engine's numbers.
    env.call(
        ALICE,
        I::setModeCall {
            id: U256::from(ID),
            mode: 2,
        },
    )
    .unwrap();
    let portfolio = evaluate_portfolio(&expected(MarginMode::Portfolio)).unwrap();
    assert_margin(&env, ID, 2, &portfolio, w(10_000), w(3), 3);
    assert_eq!(
        (c.portfolio.im, c.portfolio.mm, c.portfolio.mtm),
        (portfolio.im, portfolio.mm, portfolio.mtm)
    );
    assert_ne!(portfolio.im, cross.im);
}

#[test]
fn an_isolated_account_is_its_one_position_with_all_its_collateral() {
    let env = Env::new(0);
    env.deposit(ALICE, ID, USDC, U256::from(3_000u128 * 10u128.pow(6)));
    env.deposit(ALICE, ID, WETH, u(w(2)));
    env.set_expiry(ETH, &eth_near());
    env.put_position(ID, option(0, PUT, NEAR, w(1_900)), w(-3), Wad::ZERO);
    let bytes = env.snapshot(ID, 0).unwrap();
    let s = decode(&bytes).unwrap();
    assert_eq!(s.mode, MarginMode::Isolated);
    assert_eq!(s.account.positions, vec![opt(0, NEAR, 1_900, false, w(-3))]);
    let o = evaluate(&s).unwrap();
    assert_margin(&env, ID, 0, &o, w(3_000), Wad::ZERO, 1);
    // compare_modes' isolated summary when the position is assigned the whole account.
    let mut account = s.account.clone();
    account.positions[0].isolated_collateral = AssignedCollateral {
        cash: w(3_000),
        assets: vec![(0, w(2))],
    };
    let c = compare_modes(&account, &s.market, &s.params).unwrap();
    assert_eq!((c.isolated.im, c.isolated.mm), (o.im, o.mm));
    // A second position is refused in isolated mode.
    env.put_position(ID, perp(0), Wad::ONE, w(2_000));
    assert_eq!(
        env.margin(ID).unwrap_err(),
        err(I::IsolatedNeedsOnePosition { id: U256::from(ID) })
    );
}

#[test]
fn expired_options_are_cash_at_their_settlement_or_intrinsic_value() {
    let env = Env::new(1);
    env.set_cash(ID, w(1_000));
    // Long 1 ETH 1800 call expired at T0 − 10, settled at 1900: +100.
    env.put_position(ID, option(0, CALL, T0 - 10, w(1_800)), Wad::ONE, Wad::ZERO);
    // Short 2 ETH 2100 puts expiring now, not settled yet: intrinsic at spot 2000, −200.
    env.put_position(ID, option(0, PUT, T0, w(2_100)), w(-2), Wad::ZERO);
    // Long 3 BTC 70000 calls expired out of the money: nothing.
    env.put_position(ID, option(1, CALL, T0 - 1, w(70_000)), w(3), Wad::ZERO);
    env.fix(ETH, T0 - 10, w(1_900));
    env.fix(BTC, T0 - 1, w(65_000));
    let s = decode(&env.snapshot(ID, 1).unwrap()).unwrap();
    assert_eq!(s.account.cash, w(900));
    assert!(s.account.positions.is_empty());
    // No live position or linked collateral: no underlying's market data.
    assert!(s.market.underlyings.is_empty());
    assert_margin(&env, ID, 1, &evaluate(&s).unwrap(), w(1_000), w(-100), 3);
    // Once the put's price is fixed at 2150 it is worth nothing.
    env.fix(ETH, T0, w(2_150));
    assert_eq!(
        decode(&env.snapshot(ID, 1).unwrap()).unwrap().account.cash,
        w(1_100)
    );
}

#[test]
fn an_unused_underlying_below_a_used_one_is_all_zeros() {
    let env = Env::new(2);
    env.set_cash(ID, w(50_000));
    env.put_position(ID, perp(1), pct(-50), w(-30_000));
    let s = decode(&env.snapshot(ID, 2).unwrap()).unwrap();
    assert_eq!(s.market.underlyings.len(), 2);
    assert_eq!(s.market.underlyings[0], UnderlyingMarket::default());
    assert_eq!(s.market.underlyings[1].spot, w(60_000));
    // −0.5·60000 − (−0.5·0) − (−30000) = 0: no funding accrued yet.
    assert_eq!(
        s.account.positions,
        vec![position(
            1,
            Kind::Perp {
                unsettled: Wad::ZERO
            },
            pct(-50)
        )]
    );
    assert_margin(&env, ID, 2, &evaluate(&s).unwrap(), w(50_000), Wad::ZERO, 1);
}

#[test]
fn haircuts_carry_the_vol_confidence_and_guard_add_ons() {
    let env = Env::new(1);
    env.call(
        ADMIN,
        I::setHaircutAddOnsCall {
            addOns: I::HaircutAddOns {
                volFloor: u(pct(50)),
                volSlope: u(pct(10)),
                confidenceSlope: u(pct(50)),
            },
        },
    )
    .unwrap();
    env.deposit(ALICE, ID, WETH, u(w(4)));
    env.deposit(ALICE, ID, WSTETH, u(w(3)));
    env.set_spot_confidence(WETH, w(2_000), pct(90));
    env.assess(WSTETH, pct(115), 1, pct(2));
    let assets = |env: &Env| decode(&env.snapshot(ID, 1).unwrap()).unwrap().market.assets;
    // No ETH expiry in the snapshot: the stress vol 0.9 → 0.1·(0.9 − 0.5) = 0.04.
    // WETH: + 0.5·(1 − 0.9) = 0.05 → MM 5 + 9 = 14 %, IM 10 + 9 = 19 % (5 % on top).
    // WSTETH: price 2000·1.15, confidence of ETH's spot (1), + guard 0.02 → MM 10 + 6,
    // IM 20 + 6 (10 % on top).
    let weth = |mm: i64, im: i64| CollateralAsset {
        price: w(2_000),
        confidence: pct(90),
        mm_haircut: pct(mm),
        im_haircut: pct(im),
        risk_cancelling_underlying: Some(0),
    };
    let wsteth = |mm: i64, im: i64| CollateralAsset {
        price: w(2_300),
        confidence: Wad::ONE,
        mm_haircut: pct(mm),
        im_haircut: pct(im),
        risk_cancelling_underlying: Some(0),
    };
    assert_eq!(assets(&env), vec![weth(14, 5), wsteth(16, 10)]);
    // A held ETH option brings the nearest expiry's ATM vol: 0.8 (flat smile) → 0.03.
    env.set_expiry(ETH, &eth_near());
    let far = expiry_market(
        FAR,
        w(2_050),
        pct(3),
        flat(200, w(2_050), pct(50)),
        Wad::ONE,
    );
    env.set_expiry(ETH, &far);
    env.put_position(ID, option(0, CALL, FAR, w(2_500)), Wad::ONE, Wad::ZERO);
    env.put_position(ID, option(0, CALL, NEAR, w(2_500)), Wad::ONE, Wad::ZERO);
    assert_eq!(assets(&env), vec![weth(13, 5), wsteth(15, 10)]);
    // Capped at 1: a huge confidence gap on WETH.
    env.set_spot_confidence(WETH, w(2_000), Wad::ZERO);
    env.call(
        ADMIN,
        I::setHaircutAddOnsCall {
            addOns: I::HaircutAddOns {
                volFloor: U256::ZERO,
                volSlope: u(Wad::ONE),
                confidenceSlope: u(Wad::ONE),
            },
        },
    )
    .unwrap();
    let a = assets(&env);
    assert_eq!((a[0].mm_haircut, a[0].im_haircut), (Wad::ONE, Wad::ZERO));
    // 0.8 vol + 0.02 guard on WSTETH: MM 0.1 + 0.82, IM total capped at 1.
    assert_eq!((a[1].mm_haircut, a[1].im_haircut), (pct(92), pct(8)));
}

/// An stETH-style depeg during an open portfolio: the guard marks the collateral Depegged.
#[test]
fn a_depeg_drops_the_value_and_blocks_new_risk_but_not_maintenance() {
    let env = Env::new(2);
    env.deposit(ALICE, ID, WSTETH, u(w(10)));
    env.set_expiry(ETH, &eth_near());
    env.put_position(ID, option(0, PUT, NEAR, w(1_900)), w(-8), Wad::ZERO);
    env.put_position(ID, perp(0), w(-2), w(-4_000));
    let before = env.margin(ID).unwrap();
    assert!(wad_of(before.initialMargin).is_positive(), "{before:?}");
    env.require(ID, true).unwrap();
    // 10 % below the fundamental: rate 1.08, Depegged, add-on 0.3.
    env.assess(WSTETH, pct(108), 2, pct(30));
    let s = decode(&env.snapshot(ID, 2).unwrap()).unwrap();
    let a = &s.market.assets[0];
    assert_eq!(a.price, w(2_160));
    // MM 10 % + 30 %; IM: nothing left for new risk.
    assert_eq!((a.mm_haircut, a.im_haircut), (pct(40), pct(60)));
    let after = env.margin(ID).unwrap();
    let o = evaluate(&s).unwrap();
    assert_eq!(wad_of(after.markToMarket), o.mtm);
    assert!(after.markToMarket < before.markToMarket);
    assert!(wad_of(after.initialMargin).is_negative());
    assert_eq!(
        env.require(ID, true).unwrap_err(),
        err(I::BelowInitialMargin {
            id: U256::from(ID),
            initialMargin: after.initialMargin,
        })
    );
    // Maintenance is still computed, and met.
    assert_eq!(wad_of(after.maintenanceMargin), o.mm);
    assert!(!o.mm.is_negative());
    env.require(ID, false).unwrap();
}

#[test]
fn a_reverting_guard_values_the_asset_at_zero_without_reverting() {
    let env = Env::new(1);
    env.deposit(ALICE, ID, WSTETH, u(w(10)));
    env.deposit(ALICE, ID, WETH, u(w(1)));
    env.put_position(ID, perp(0), Wad::ONE, w(2_000));
    env.host.handler().guard.borrow_mut().failing.push(WSTETH);
    let s = decode(&env.snapshot(ID, 1).unwrap()).unwrap();
    assert_eq!(s.market.assets[0].price, Wad::ZERO);
    assert_eq!(s.market.assets[1].price, w(2_000));
    let m = env.margin(ID).unwrap();
    let o = evaluate(&s).unwrap();
    assert_eq!(
        (wad_of(m.markToMarket), wad_of(m.maintenanceMargin)),
        (o.mtm, o.mm)
    );
    // Maintenance checks (liquidations) still run: 1 WETH covers the perpetual.
    assert!(!o.mm.is_negative());
    env.require(ID, false).unwrap();
}

#[test]
fn the_sequencer_gates_initial_checks_only() {
    let env = scenario(1);
    env.require(ID, true).unwrap();
    for status in [1u8, 2] {
        env.set_sequencer(status);
        assert_eq!(
            env.require(ID, true).unwrap_err(),
            err(I::SequencerUnavailable { status })
        );
        env.require(ID, false).unwrap();
        env.margin(ID).unwrap();
    }
    // A free account (no position, no debt) needs nothing, whatever the sequencer.
    let bob = env.open(BOB, 1).to::<u64>();
    env.require(bob, true).unwrap();
}

#[test]
fn margin_checks_compare_the_surplus_with_zero() {
    let env = scenario(1);
    let cross = evaluate_cross(&expected(MarginMode::Cross)).unwrap();
    // Cash moves IM and MM one for one: put IM just below zero, then MM.
    let set = |cash: Wad| env.set_cash(ID, cash);
    set(w(10_000)
        .sub(cross.im)
        .unwrap()
        .sub(Wad::from_raw(1))
        .unwrap());
    assert_eq!(
        env.require(ID, true).unwrap_err(),
        err(I::BelowInitialMargin {
            id: U256::from(ID),
            initialMargin: i(Wad::from_raw(-1)),
        })
    );
    env.require(ID, false).unwrap();
    set(w(10_000)
        .sub(cross.mm)
        .unwrap()
        .sub(Wad::from_raw(1))
        .unwrap());
    assert_eq!(
        env.require(ID, false).unwrap_err(),
        err(I::BelowMaintenanceMargin {
            id: U256::from(ID),
            maintenanceMargin: i(Wad::from_raw(-1)),
        })
    );
    set(w(10_000).sub(cross.im).unwrap());
    env.require(ID, true).unwrap();
}

#[test]
fn the_owner_switches_modes_that_meet_initial_margin() {
    let env = scenario(1);
    let id = U256::from(ID);
    let set_mode = |from, mode| env.call(from, I::setModeCall { id, mode }).map(|_| ());
    assert_eq!(
        set_mode(BOB, 2).unwrap_err(),
        err(I::NotAccountOwner { id, caller: BOB })
    );
    assert_eq!(
        set_mode(ALICE, 3).unwrap_err(),
        err(I::InvalidMode { mode: 3 })
    );
    assert_eq!(
        set_mode(ALICE, 0).unwrap_err(),
        err(I::IsolatedNeedsOnePosition { id })
    );
    // With cash between the two modes' requirements, the looser mode is allowed and the
    // stricter refused.
    let cross = evaluate_cross(&expected(MarginMode::Cross)).unwrap();
    let portfolio = evaluate_portfolio(&expected(MarginMode::Portfolio)).unwrap();
    assert_ne!(portfolio.im, cross.im);
    let ((loose, loose_im), (strict, strict_im)) = if portfolio.im > cross.im {
        ((2, portfolio.im), (1, cross.im))
    } else {
        ((1, cross.im), (2, portfolio.im))
    };
    let between = w(10_000)
        .sub(Wad::from_raw((loose_im.raw() + strict_im.raw()) / 2))
        .unwrap();
    env.set_cash(ID, between);
    let refused = set_mode(ALICE, strict).unwrap_err();
    let im = I::BelowInitialMargin::abi_decode(&refused).unwrap();
    assert!(im.initialMargin.is_negative());
    assert_eq!(env.call(ALICE, I::accountCall { id }).unwrap().mode, 1);
    set_mode(ALICE, loose).unwrap();
    assert_eq!(env.call(ALICE, I::accountCall { id }).unwrap().mode, loose);
    assert_eq!(
        env.events::<I::ModeChanged>(),
        vec![I::ModeChanged { id, mode: loose }]
    );
    // The sequencer must be up to switch an account with positions.
    env.set_sequencer(1);
    assert_eq!(
        set_mode(ALICE, 2).unwrap_err(),
        err(I::SequencerUnavailable { status: 1 })
    );
    // A free account switches freely.
    let bob = env.open(BOB, 1);
    env.call(BOB, I::setModeCall { id: bob, mode: 0 }).unwrap();
    assert_eq!(env.call(BOB, I::accountCall { id: bob }).unwrap().mode, 0);
}

#[test]
fn margin_calls_are_flagged_in_the_band_and_cleared_above_it() {
    let env = scenario(1);
    let id = U256::from(ID);
    let cross = evaluate_cross(&expected(MarginMode::Cross)).unwrap();
    let update = || env.call(BOB, I::updateMarginCallCall { id }).unwrap();
    assert!(!update());
    assert!(env.events::<I::MarginCall>().is_empty());
    // Halfway between the IM and MM requirements.
    let mid = Wad::from_raw((cross.im.raw() + cross.mm.raw()) / 2);
    env.set_cash(ID, w(10_000).sub(mid).unwrap());
    let m = env.margin(ID).unwrap();
    assert!(m.initialMargin.is_negative() && !m.maintenanceMargin.is_negative());
    assert!(update());
    assert!(env.state().margin_call.get(id));
    assert_eq!(
        env.events::<I::MarginCall>(),
        vec![I::MarginCall {
            id,
            initialMargin: m.initialMargin,
            maintenanceMargin: m.maintenanceMargin,
        }]
    );
    // Still in the band: no second event.
    assert!(update());
    assert_eq!(env.events::<I::MarginCall>().len(), 1);
    // Below maintenance: out of the band, the flag stays (liquidation's business).
    env.set_cash(ID, w(10_000).sub(cross.mm).unwrap().sub(Wad::ONE).unwrap());
    assert!(!update());
    assert!(env.state().margin_call.get(id));
    assert!(env.events::<I::MarginCallCleared>().is_empty());
    // Back above IM: cleared once.
    env.set_cash(ID, w(20_000));
    assert!(!update());
    assert!(!env.state().margin_call.get(id));
    assert_eq!(
        env.events::<I::MarginCallCleared>(),
        vec![I::MarginCallCleared { id }]
    );
    assert!(!update());
    assert_eq!(env.events::<I::MarginCallCleared>().len(), 1);
}

mod engine_errors {
    alloy_sol_types::sol! {
        error InvalidSvi();
    }
}

#[test]
fn failures_name_their_cause() {
    let env = scenario(1);
    // No engine for the mode.
    env.state().engines.setter(1).set(Address::ZERO);
    assert_eq!(
        env.margin(ID).unwrap_err(),
        err(I::EngineNotSet { mode: 1 })
    );
    // An engine that answers nothing.
    let mute = Address::repeat_byte(0x77);
    env.host.vm().set_code(mute, vec![0xfe]);
    env.call(
        OWNER,
        I::setEngineCall {
            mode: 1,
            engine: mute,
        },
    )
    .unwrap();
    assert_eq!(
        env.margin(ID).unwrap_err(),
        err(I::EngineFailed { mode: 1 })
    );
    env.call(
        OWNER,
        I::setEngineCall {
            mode: 1,
            engine: CROSS_ENGINE,
        },
    )
    .unwrap();
    env.margin(ID).unwrap();
    // The engine's own revert passes through: a BTC slice with no real vol.
    let mut bad = btc_far();
    bad.svi.a = w(-1);
    env.set_expiry(BTC, &bad);
    assert_eq!(
        env.margin(ID).unwrap_err(),
        err(engine_errors::InvalidSvi {})
    );
    env.set_expiry(BTC, &btc_far());
    // The same on ETH, whose nearest slice sets WETH's haircut vol: refused before the
    // engine, as the adapter's bad data.
    let mut bad = eth_near();
    bad.svi.a = w(-1);
    env.set_expiry(ETH, &bad);
    assert_eq!(
        env.margin(ID).unwrap_err(),
        err(I::OracleCallFailed { asset: ETH })
    );
    // Missing expiry data: the adapter's failure, named after the underlying.
    env.host
        .handler()
        .oracle
        .borrow_mut()
        .expiries
        .remove(&(ETH, NEAR));
    assert_eq!(
        env.margin(ID).unwrap_err(),
        err(I::OracleCallFailed { asset: ETH })
    );
    // No risk parameters.
    let bare = Env::bare();
    let id = bare.open(ALICE, 1).to::<u64>();
    bare.list_underlying(ETH, pct(90));
    bare.put_position(id, perp(0), Wad::ONE, w(2_000));
    assert_eq!(bare.margin(id).unwrap_err(), err(I::RiskParamsNotSet {}));
    assert_eq!(
        bare.require(id, false).unwrap_err(),
        err(I::RiskParamsNotSet {})
    );
}
