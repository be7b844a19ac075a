//! Settlement prices: fixed once, by anyone, from the first primary round at or after the
//! expiry (named or the latest), verified through its predecessor.

mod common;
use alloy_primitives::U256;
use common::*;

const X: u64 = NOW - 1000;
const PHASE: u128 = 1 << 64;

/// Rounds 10 (before X), 11 (first after X), 12 (later); 12 is the latest.
fn env() -> Env {
    let env = Env::configured();
    for (n, price, t) in [
        (10u128, "2990", X - 30),
        (11, "3001.5", X + 20),
        (12, "3050", X + 300),
    ] {
        env.mock_round(PRIMARY, &round(PHASE | n, answer(price, 8), t, t));
    }
    env.host.mock_latest_round(
        PRIMARY,
        &round(PHASE | 12, answer("3050", 8), X + 300, X + 300),
    );
    env.clear_logs();
    env
}

fn settle(env: &Env, expiry: u64, round_id: u128) -> Result<U256, Vec<u8>> {
    env.call(
        ALICE,
        I::settleCall {
            asset: WETH,
            expiry,
            roundId: alloy_primitives::aliases::U80::from(round_id),
        },
    )
}

fn stored(env: &Env, expiry: u64) -> (U256, bool) {
    let r = env
        .call(
            ALICE,
            I::settlementPriceCall {
                asset: WETH,
                expiry,
            },
        )
        .unwrap();
    (r.price, r.isSettled)
}

#[test]
fn the_named_first_round_after_expiry_fixes_the_price() {
    let env = env();
    assert_eq!(stored(&env, X), (U256::ZERO, false));
    assert_eq!(settle(&env, X, PHASE | 11), Ok(wad("3001.5")));
    let e = env.event::<I::SettlementPriceSet>();
    assert_eq!((e.asset, e.expiry, e.price), (WETH, X, wad("3001.5")));
    assert_eq!(u128::try_from(e.roundId).unwrap(), PHASE | 11);
    assert_eq!(e.updatedAt, X + 20);
    assert_eq!(stored(&env, X), (wad("3001.5"), true));
}

#[test]
fn the_price_is_fixed_once() {
    let env = env();
    settle(&env, X, PHASE | 11).unwrap();
    for id in [PHASE | 11, PHASE | 12, 0] {
        assert_eq!(
            settle(&env, X, id).unwrap_err(),
            err(I::AlreadySettled {
                asset: WETH,
                expiry: X
            })
        );
    }
    // Neither a feed change nor removing the asset moves it.
    env.mock_round(
        PRIMARY,
        &round(PHASE | 11, answer("9999", 8), X + 20, X + 20),
    );
    env.call(OWNER, I::removeAssetCall { asset: WETH }).unwrap();
    assert_eq!(stored(&env, X), (wad("3001.5"), true));
}

#[test]
fn a_later_or_earlier_round_is_refused() {
    let env = env();
    assert_eq!(
        settle(&env, X, PHASE | 12).unwrap_err(),
        err(I::NotFirstRoundAfterExpiry {})
    );
    assert_eq!(
        settle(&env, X, PHASE | 10).unwrap_err(),
        err(I::RoundBeforeExpiry {})
    );
    // A round exactly at the expiry is the first at or after it.
    env.mock_round(PRIMARY, &round(PHASE | 11, answer("3001.5", 8), X, X));
    assert_eq!(settle(&env, X, PHASE | 11), Ok(wad("3001.5")));
}

#[test]
fn the_latest_round_is_used_when_none_is_named() {
    let env = env();
    // The latest (12) is not the first after X.
    assert_eq!(
        settle(&env, X, 0).unwrap_err(),
        err(I::NotFirstRoundAfterExpiry {})
    );
    // For an expiry between rounds 11 and 12 it is.
    let x2 = X + 100;
    assert_eq!(settle(&env, x2, 0), Ok(wad("3050")));
    assert_eq!(stored(&env, x2), (wad("3050"), true));
}

#[test]
fn settling_before_the_expiry_is_refused() {
    let env = env();
    assert_eq!(
        settle(&env, NOW + 1, PHASE | 12).unwrap_err(),
        err(I::SettlementBeforeExpiry {})
    );
    assert_eq!(
        settle(&env, NOW + 1, 0).unwrap_err(),
        err(I::SettlementBeforeExpiry {})
    );
}

#[test]
fn a_round_opening_its_phase_cannot_be_proven_first() {
    let env = env();
    let first_of_phase_2 = (2u128 << 64) | 1;
    env.mock_round(
        PRIMARY,
        &round(first_of_phase_2, answer("3001", 8), X + 5, X + 5),
    );
    assert_eq!(
        settle(&env, X, first_of_phase_2).unwrap_err(),
        err(I::RoundOpensPhase {})
    );
}

#[test]
fn invalid_rounds_are_refused() {
    let env = env();
    // In the future.
    env.mock_round(
        PRIMARY,
        &round(PHASE | 11, answer("3001", 8), NOW + 5, NOW + 5),
    );
    assert_eq!(
        settle(&env, X, PHASE | 11).unwrap_err(),
        err(I::FutureTimestamp { asset: WETH })
    );
    // Non-positive.
    for a in [0i128, -5] {
        env.mock_round(PRIMARY, &round(PHASE | 11, a, X + 20, X + 20));
        assert_eq!(
            settle(&env, X, PHASE | 11).unwrap_err(),
            err(I::NonPositiveAnswer { asset: WETH })
        );
    }
    // A round the feed does not know (it reverts) or answers with nothing.
    env.host.mock_static_call(
        PRIMARY,
        keel_stylus_common::feed::get_round_data_calldata(PHASE | 40),
        Err(b"No data present".to_vec()),
    );
    assert_eq!(
        settle(&env, X, PHASE | 40).unwrap_err(),
        err(I::FeedCallFailed { feed: PRIMARY })
    );
    assert_eq!(
        settle(&env, X, PHASE | 41).unwrap_err(),
        err(I::FeedMalformedReturn { feed: PRIMARY })
    );
    assert_eq!(stored(&env, X), (U256::ZERO, false));
}

#[test]
fn unknown_assets_and_oversized_round_ids() {
    let env = env();
    assert_eq!(
        env.call(
            ALICE,
            I::settleCall {
                asset: WBTC,
                expiry: X,
                roundId: Default::default()
            }
        )
        .unwrap_err(),
        err(I::UnknownAsset { asset: WBTC })
    );
    // A round id word beyond uint80 is not valid calldata.
    let mut calldata = I::settleCall {
        asset: WETH,
        expiry: X,
        roundId: Default::default(),
    }
    .abi_encode();
    calldata[4 + 64 + 21] = 1;
    assert_eq!(env.raw(ALICE, calldata), Err(vec![]));
}

#[test]
fn an_18_decimal_feed_settles_exactly() {
    let env = env();
    env.call(
        OWNER,
        I::setAssetCall {
            asset: WBTC,
            config: I::FeedConfig {
                primary: BTC_FEED,
                secondary: alloy_primitives::Address::ZERO,
                stalenessLimit: 3600,
                secondaryStalenessLimit: 0,
                maxDeviation: wad("0.01"),
                confidenceFloor: wad("0.5"),
            },
        },
    )
    .unwrap();
    let a = answer("64123.456789012345678901", 18);
    env.mock_round(BTC_FEED, &round(PHASE | 3, a, X - 1, X - 1));
    env.mock_round(BTC_FEED, &round(PHASE | 4, a, X + 1, X + 1));
    assert_eq!(
        env.call(
            ALICE,
            I::settleCall {
                asset: WBTC,
                expiry: X,
                roundId: alloy_primitives::aliases::U80::from(PHASE | 4)
            }
        ),
        Ok(wad("64123.456789012345678901"))
    );
}
