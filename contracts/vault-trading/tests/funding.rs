//! Funding: who may set the rate, its bound, accrual of the index over time at spot, and the
//! payments between longs and shorts it drives.
mod common;

use alloy_primitives::{Address, I256, U256};
use common::*;

/// 1 % of spot per hour, per second, as a raw wad: 0.01 · 10¹⁸ / 3600, truncated.
const BOUND: i128 = 10_000_000_000_000_000 / 3_600;

fn set_rate(env: &Env, from: Address, underlying: Address, rate: I256) -> Result<(), Vec<u8>> {
    env.exec(
        from,
        I::setFundingRateCall {
            underlying,
            ratePerSecond: rate,
        },
    )
}

fn funding(env: &Env, underlying: Address) -> (I256, I256, u64) {
    let f = env.call(ALICE, I::fundingCall { underlying }).unwrap();
    (f.index, f.ratePerSecond, f.updatedAt)
}

#[test]
fn markets_and_the_risk_admin_set_rates() {
    let env = Env::new();
    for who in [EOA, OWNER, GUARDIAN, ALICE, OTHER_MARKET] {
        assert_eq!(
            set_rate(&env, who, ETH, iw(1)),
            Err(err(I::Unauthorized { caller: who }))
        );
    }
    set_rate(&env, ADMIN, ETH, iw(1)).unwrap();
    set_rate(&env, MARKET, ETH, iw(-1)).unwrap();
    assert_eq!(funding(&env, ETH), (iw(0), iw(-1), T0));
    assert_eq!(
        set_rate(&env, ADMIN, SOL, iw(1)),
        Err(err(I::UnderlyingNotListed { asset: SOL }))
    );
}

#[test]
fn the_rate_is_bounded() {
    let env = Env::new();
    let refused = Err(err(I::InvalidParameter { which: 25 }));
    assert_eq!(BOUND, 2_777_777_777_777);
    set_rate(&env, ADMIN, ETH, iw(BOUND)).unwrap();
    set_rate(&env, ADMIN, ETH, iw(-BOUND)).unwrap();
    for rate in [
        iw(BOUND + 1),
        iw(-BOUND - 1),
        iw(i128::MAX),
        iw(i128::MIN),
        I256::MAX,
        I256::MIN,
        I256::try_from(1u128 << 127).unwrap(),
    ] {
        assert_eq!(set_rate(&env, ADMIN, ETH, rate), refused, "{rate}");
    }
    assert_eq!(funding(&env, ETH).1, iw(-BOUND));
}

#[test]
fn the_index_accrues_at_spot_before_a_new_rate() {
    let env = Env::new();
    env.warp(T0 + 100);
    // Rate 0 so far: nothing accrues; the accrual time moves.
    set_rate(&env, ADMIN, ETH, iw(1_000_000_000_000)).unwrap();
    assert_eq!(funding(&env, ETH), (iw(0), iw(1_000_000_000_000), T0 + 100));
    // 1000 s at 1e-6 per second, spot 2500: 1e-6 · 1000 · 2500 = 2.5.
    env.warp(T0 + 1_100);
    env.set_spot(ETH, 2_500);
    set_rate(&env, MARKET, ETH, iw(-500_000_000_000)).unwrap();
    let index = 25 * ONE / 10;
    assert_eq!(
        funding(&env, ETH),
        (iw(index), iw(-500_000_000_000), T0 + 1_100)
    );
    assert_eq!(
        env.events::<I::FundingRateSet>(),
        vec![
            I::FundingRateSet {
                underlying: ETH,
                ratePerSecond: iw(1_000_000_000_000),
                index: iw(0),
            },
            I::FundingRateSet {
                underlying: ETH,
                ratePerSecond: iw(-500_000_000_000),
                index: iw(index),
            },
        ]
    );
    // The view shows the stored index: no accrual without a write.
    env.warp(T0 + 5_000);
    assert_eq!(funding(&env, ETH).0, iw(index));
    // A perp trade accrues and stores: −5e-7 · 3900 · 2500 = −4.875.
    env.settle(env.trade(env.perp(ETH), 1, 2, ONE, 2_500 * ONE))
        .unwrap();
    let index = index - 4_875 * ONE / 1_000;
    assert_eq!(
        funding(&env, ETH),
        (iw(index), iw(-500_000_000_000), T0 + 5_000)
    );
    // BTC was not touched.
    assert_eq!(funding(&env, BTC), (iw(0), iw(0), T0));
    // Opened at that index: basis = 1 · 2500 − 1 · index.
    assert_eq!(
        env.position(1, env.perp(ETH)),
        Some((ONE, 2_500 * ONE - index))
    );
}

#[test]
fn longs_pay_a_positive_rate_and_receive_a_negative_one() {
    let env = Env::new();
    let perp = env.perp(ETH);
    env.settle(env.trade(perp, 1, 2, 2 * ONE, 2_000 * ONE))
        .unwrap();
    set_rate(&env, ADMIN, ETH, iw(1_000_000_000_000)).unwrap();
    // One hour at 1e-6 per second, spot 2000: Δindex = 7.2; the long pays 2 · 7.2.
    env.warp(T0 + 3_600);
    env.exec(EOA, I::realiseCall { id: U256::from(1) }).unwrap();
    env.exec(EOA, I::realiseCall { id: U256::from(2) }).unwrap();
    assert_eq!(env.cash(1), -144 * ONE / 10);
    assert_eq!(env.cash(2), 144 * ONE / 10);
    assert_eq!(funding(&env, ETH).0, iw(72 * ONE / 10));

    // Negative rate for half an hour while spot moves to 2500:
    // Δindex = −2e-6 · 1800 · 2500 = −9; the long gains 2 · 500 + 2 · 9 = 1018.
    set_rate(&env, MARKET, ETH, iw(-2_000_000_000_000)).unwrap();
    env.warp(T0 + 5_400);
    env.set_spot(ETH, 2_500);
    env.clear_logs();
    env.exec(EOA, I::realiseCall { id: U256::from(2) }).unwrap();
    env.exec(EOA, I::realiseCall { id: U256::from(1) }).unwrap();
    assert_eq!(env.cash(1), -144 * ONE / 10 + 1_018 * ONE);
    assert_eq!(env.cash(2), 144 * ONE / 10 - 1_018 * ONE);
    assert_eq!(
        funding(&env, ETH),
        (iw(-18 * ONE / 10), iw(-2_000_000_000_000), T0 + 5_400)
    );
    assert_eq!(
        env.events::<I::Realised>(),
        vec![
            I::Realised {
                id: U256::from(2),
                amount: swad(-1_018)
            },
            I::Realised {
                id: U256::from(1),
                amount: swad(1_018)
            },
        ]
    );
    // Basis: 2 · 2500 − 2 · (−1.8) = 5003.6.
    assert_eq!(env.position(1, perp), Some((2 * ONE, 50_036 * ONE / 10)));
}

#[test]
fn a_trade_settles_funding_owed_before_it() {
    let env = Env::new();
    let perp = env.perp(ETH);
    env.settle(env.trade(perp, 1, 2, 3 * ONE, 2_000 * ONE))
        .unwrap();
    set_rate(&env, ADMIN, ETH, iw(-BOUND)).unwrap();
    // 3600 s at −BOUND, spot 2000: Δindex = −BOUND · 3600 · 2000 / 1e18 (truncated once).
    env.warp(T0 + 3_600);
    let delta = mul(-BOUND * 3_600, 2_000 * ONE);
    // ≈ −20 (1 % of 2000): −9_999_999_999_997_200 · 2000.
    assert_eq!(delta, -19_999_999_999_994_400_000);
    // The short closes 1 at the mark: it pays 3 · |Δindex| of funding first.
    env.settle(env.trade(perp, 2, 1, ONE, 2_000 * ONE)).unwrap();
    assert_eq!(env.cash(2), mul(-3 * ONE, -delta));
    assert_eq!(env.cash(1), mul(3 * ONE, -delta));
    assert_eq!(env.cash(1) + env.cash(2), 0);
}
