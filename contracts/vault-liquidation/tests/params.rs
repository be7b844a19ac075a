//! Auction parameters (defaults, risk-admin only, bounds and their codes, event), the views
//! before anything happened, and the dispatcher's handling of malformed calldata.
mod common;

use alloy_primitives::U256;
use common::*;
use keel_vault_liquidation::LiquidationModule;

fn params(start: U256, end: U256, duration: u64, buffer: U256) -> I::LiquidationParams {
    I::LiquidationParams {
        startDiscount: start,
        endDiscount: end,
        duration,
        buffer,
    }
}

/// `x` hundredths as a wad.
fn pct(x: u128) -> U256 {
    U256::from(x * 10_000_000_000_000_000)
}

fn set(env: &Env, from: alloy_primitives::Address, p: I::LiquidationParams) -> Result<(), Vec<u8>> {
    env.call(from, I::setLiquidationParamsCall { params: p })
        .map(|_| ())
}

#[test]
fn defaults_apply_until_the_risk_admin_sets_parameters() {
    let env = Env::new();
    assert_eq!(
        env.call(ALICE, I::liquidationParamsCall {}).unwrap(),
        params(pct(2), pct(15), 1_800, pct(10))
    );
    for caller in [OWNER, ALICE, GUARDIAN] {
        assert_eq!(
            env.fail(
                caller,
                I::setLiquidationParamsCall {
                    params: params(pct(1), pct(20), 600, pct(5))
                }
            ),
            err(I::Unauthorized { caller })
        );
    }
    let p = params(pct(1), pct(20), 600, pct(5));
    set(&env, ADMIN, p.clone()).unwrap();
    assert_eq!(env.call(ALICE, I::liquidationParamsCall {}).unwrap(), p);
    assert_eq!(
        env.events::<I::LiquidationParamsSet>(),
        vec![I::LiquidationParamsSet { params: p }]
    );
}

#[test]
fn parameters_are_bounded_with_documented_codes() {
    let env = Env::new();
    let bad = |p: I::LiquidationParams, code: u8| {
        assert_eq!(
            env.fail(ADMIN, I::setLiquidationParamsCall { params: p.clone() }),
            err(I::InvalidParameter { which: code }),
            "{p:?}"
        );
    };
    let half = pct(50);
    let one = pct(100);
    // 26: end discount above 0.5 (also far beyond 128 bits).
    bad(params(pct(0), half + U256::from(1), 600, pct(10)), 26);
    bad(params(pct(0), U256::MAX, 600, pct(10)), 26);
    // 27: start above end.
    bad(params(pct(11), pct(10), 600, pct(10)), 27);
    bad(params(U256::MAX, pct(10), 600, pct(10)), 27);
    // 28: duration outside [60 s, 7 days].
    bad(params(pct(1), pct(10), 59, pct(10)), 28);
    bad(params(pct(1), pct(10), 0, pct(10)), 28);
    bad(params(pct(1), pct(10), 7 * 86_400 + 1, pct(10)), 28);
    // 29: buffer above 1.
    bad(params(pct(1), pct(10), 600, one + U256::from(1)), 29);
    bad(params(pct(1), pct(10), 600, U256::MAX), 29);
    assert!(env.events::<I::LiquidationParamsSet>().is_empty());
    // Every bound is inclusive.
    for p in [
        params(half, half, 7 * 86_400, one),
        params(U256::ZERO, U256::ZERO, 60, U256::ZERO),
    ] {
        set(&env, ADMIN, p.clone()).unwrap();
        assert_eq!(env.call(ALICE, I::liquidationParamsCall {}).unwrap(), p);
    }
}

#[test]
fn views_before_any_auction() {
    let env = Env::new();
    assert_eq!(env.insurance(), U256::ZERO);
    let s = env.call(ALICE, I::socialisedLossCall {}).unwrap();
    assert_eq!((s.total, s.cashIndex), (U256::ZERO, uw(1)));
    let a = env.auction(1);
    assert_eq!((a.active, a.startedAt, a.discount), (false, 0, U256::ZERO));
}

#[test]
fn malformed_calldata_reverts_with_empty_data() {
    let env = Env::new();
    // A `uint64` duration with bits above 64.
    let mut data = I::setLiquidationParamsCall {
        params: params(pct(1), pct(10), 600, pct(10)),
    }
    .abi_encode();
    data[4 + 32 * 2 + 23] = 1;
    assert_eq!(env.raw(ADMIN, data), Err(Vec::new()));
    // Too short.
    let data = I::bidCall {
        id: id(1),
        bidder: id(2),
        fraction: uw(1),
        maxPayment: alloy_primitives::I256::MAX,
    }
    .abi_encode();
    assert_eq!(env.raw(BOB, data[..4 + 32 * 3].to_vec()), Err(Vec::new()));
    // The module alone refuses a selector it does not serve.
    let mut module = LiquidationModule::from(&env.host);
    assert_eq!(
        keel_vault_liquidation::dispatch(&mut module, &I::openAccountCall { mode: 1 }.abi_encode()),
        Err(Vec::new())
    );
    assert_eq!(
        keel_vault_liquidation::dispatch(&mut module, &[1, 2]),
        Err(Vec::new())
    );
}
