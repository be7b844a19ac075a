//! Spot reads: normalisation, validation errors, confidence (ageing, deviation, secondary
//! failures), sequencer status, batch reads.

mod common;
use alloy_primitives::{Address, U256};
use common::*;

#[test]
fn a_fresh_8_decimal_price_reads_at_18_decimals_with_full_confidence() {
    let env = Env::configured();
    let p = env.price(WETH).unwrap();
    assert_eq!(p.price, wad("3000"));
    assert_eq!(p.confidence, wad("1"));
    assert_eq!(p.updatedAt, NOW);
    assert_eq!(p.sequencer, 0);
}

#[test]
fn decimals_8_and_18_give_the_same_wad() {
    let env = Env::configured();
    env.call(
        OWNER,
        I::setAssetCall {
            asset: WBTC,
            config: I::FeedConfig {
                primary: BTC_FEED,
                secondary: Address::ZERO,
                stalenessLimit: 3600,
                secondaryStalenessLimit: 0,
                maxDeviation: wad("0.01"),
                confidenceFloor: wad("0.5"),
            },
        },
    )
    .unwrap();
    env.feed(BTC_FEED, answer("65432.123456789012345678", 18), NOW);
    env.primary("65432.12345678", NOW);
    let btc = env.price(WBTC).unwrap();
    assert_eq!(btc.price, wad("65432.123456789012345678"));
    assert_eq!(env.price(WETH).unwrap().price, wad("65432.12345678"));
    // 8 decimals carry 8 digits: the 18-decimal reading keeps all 18.
    assert_eq!(
        env.call(ALICE, I::assetConfigCall { asset: WBTC })
            .unwrap()
            .primaryDecimals,
        18
    );
    assert_eq!(
        env.call(ALICE, I::assetConfigCall { asset: WETH })
            .unwrap()
            .primaryDecimals,
        8
    );
}

#[test]
fn zero_and_negative_answers_revert() {
    let env = Env::configured();
    for a in [0i128, -1, -300_000_000_000] {
        env.feed(PRIMARY, a, NOW);
        assert_eq!(
            env.price(WETH).unwrap_err(),
            err(I::NonPositiveAnswer { asset: WETH })
        );
    }
}

#[test]
fn a_future_timestamp_reverts() {
    let env = Env::configured();
    env.primary("3000", NOW + 1);
    assert_eq!(
        env.price(WETH).unwrap_err(),
        err(I::FutureTimestamp { asset: WETH })
    );
}

#[test]
fn stale_beyond_the_limit_reverts_and_at_the_limit_reads() {
    let env = Env::configured();
    env.primary("3000", NOW - 3600);
    assert_eq!(env.price(WETH).unwrap().confidence, wad("0.5"));
    env.primary("3000", NOW - 3601);
    assert_eq!(
        env.price(WETH).unwrap_err(),
        err(I::StaleData { asset: WETH })
    );
}

#[test]
fn ageing_lowers_confidence_linearly_to_the_floor() {
    let env = Env::configured();
    // Floor 0.5 over a 3600 s limit: 1 − 0.5·age/3600.
    for (age, expected) in [
        (0, "1"),
        (900, "0.875"),
        (1800, "0.75"),
        (2700, "0.625"),
        (3600, "0.5"),
    ] {
        env.primary("3000", NOW - age);
        let p = env.price(WETH).unwrap();
        assert_eq!(p.confidence, wad(expected), "age {age}");
        assert_eq!(p.updatedAt, NOW - age);
        assert_eq!(p.price, wad("3000"));
    }
}

#[test]
fn deviation_beyond_the_maximum_lowers_confidence() {
    let env = Env::configured();
    // maxDeviation 2 %: full confidence up to 2 %, linear to 0 at 4 %, floored at 0.5.
    for (secondary, expected) in [
        ("3060", "1"),
        ("2940", "1"),
        ("3075", "0.75"),
        ("2925", "0.75"),
        ("3090", "0.5"),
        ("3500", "0.5"),
    ] {
        env.secondary(secondary, NOW);
        assert_eq!(
            env.price(WETH).unwrap().confidence,
            wad(expected),
            "{secondary}"
        );
    }
    // The price is always the primary's.
    assert_eq!(env.price(WETH).unwrap().price, wad("3000"));
}

#[test]
fn ageing_and_deviation_multiply() {
    let env = Env::configured();
    env.primary("3000", NOW - 1800);
    env.secondary("3075", NOW);
    assert_eq!(env.price(WETH).unwrap().confidence, wad("0.5625"));
}

#[test]
fn an_unusable_secondary_never_reverts_and_gives_the_floor() {
    let env = Env::configured();
    // Stale beyond its own limit (one day).
    env.secondary("3000", NOW - 86_401);
    assert_eq!(env.price(WETH).unwrap().confidence, wad("0.5"));
    // Within its own limit, even if older than the primary's.
    env.secondary("3000", NOW - 86_400);
    assert_eq!(env.price(WETH).unwrap().confidence, wad("1"));
    // Reverting, zero, future.
    env.host.mock_latest_round_revert(SECONDARY, vec![]);
    assert_eq!(env.price(WETH).unwrap().confidence, wad("0.5"));
    env.feed(SECONDARY, 0, NOW);
    assert_eq!(env.price(WETH).unwrap().confidence, wad("0.5"));
    env.secondary("3000", NOW + 5);
    assert_eq!(env.price(WETH).unwrap().confidence, wad("0.5"));
}

#[test]
fn a_failing_primary_reverts_with_the_feed_error() {
    let env = Env::configured();
    env.host.mock_latest_round_revert(PRIMARY, b"down".to_vec());
    assert_eq!(
        env.price(WETH).unwrap_err(),
        err(I::FeedCallFailed { feed: PRIMARY })
    );
    env.host.mock_static_call(
        PRIMARY,
        keel_stylus_common::feed::LATEST_ROUND_DATA_SELECTOR.to_vec(),
        Ok(vec![1; 64]),
    );
    assert_eq!(
        env.price(WETH).unwrap_err(),
        err(I::FeedMalformedReturn { feed: PRIMARY })
    );
}

#[test]
fn a_feed_that_changed_its_decimals_is_refused_until_configured_again() {
    let env = Env::configured();
    // The primary's new aggregator answers 18 decimals: read with the configured 8 it would
    // price ETH 10¹⁰ times too high.
    env.host.mock_decimals(PRIMARY, 18);
    env.feed(PRIMARY, answer("3000", 18), NOW);
    assert_eq!(
        env.price(WETH).unwrap_err(),
        err(I::FeedDecimalsChanged {
            feed: PRIMARY,
            configured: 8,
            reported: 18
        })
    );
    // A secondary that changed its decimals is unusable: the floor confidence, no revert.
    env.host.mock_decimals(PRIMARY, 8);
    env.primary("3000", NOW);
    env.host.mock_decimals(SECONDARY, 8);
    let read = env.price(WETH).unwrap();
    assert_eq!((read.price, read.confidence), (wad("3000"), wad("0.5")));
    // Configured again, the feed's answers are read at their new scale.
    env.host.mock_decimals(PRIMARY, 18);
    env.feed(PRIMARY, answer("3000", 18), NOW);
    env.host.mock_decimals(SECONDARY, 18);
    env.call(
        OWNER,
        I::setAssetCall {
            asset: WETH,
            config: weth_config(),
        },
    )
    .unwrap();
    assert_eq!(env.price(WETH).unwrap().price, wad("3000"));
}

#[test]
fn an_unknown_asset_reverts() {
    let env = Env::configured();
    assert_eq!(
        env.price(WBTC).unwrap_err(),
        err(I::UnknownAsset { asset: WBTC })
    );
}

#[test]
fn sequencer_down_grace_and_up_never_revert() {
    let env = Env::configured();
    let status = |env: &Env| {
        let s = env.call(ALICE, I::sequencerStatusCall {}).unwrap();
        assert_eq!(env.price(WETH).unwrap().sequencer, s.status);
        (s.status, s.since)
    };
    assert_eq!(status(&env), (0, NOW - 86_400));
    // Down (answer 1), whatever the time.
    env.sequencer(1, NOW - 10);
    assert_eq!(status(&env), (1, NOW - 10));
    // Back up 10 s ago: grace period (default 3600 s).
    env.sequencer(0, NOW - 10);
    assert_eq!(status(&env), (2, NOW - 10));
    // Exactly 3600 s: still grace; 3601 s: up.
    env.sequencer(0, NOW - 3600);
    assert_eq!(status(&env).0, 2);
    env.sequencer(0, NOW - 3601);
    assert_eq!(status(&env).0, 0);
    // Data keeps reading normally throughout.
    assert_eq!(env.price(WETH).unwrap().price, wad("3000"));
}

#[test]
fn an_unreadable_uptime_feed_is_down_and_no_feed_is_up() {
    let env = Env::configured();
    env.host.mock_latest_round_revert(SEQUENCER, vec![]);
    assert_eq!(env.price(WETH).unwrap().sequencer, 1);
    let s = env.call(ALICE, I::sequencerStatusCall {}).unwrap();
    assert_eq!((s.status, s.since), (1, 0));
    // A round never initialised (startedAt 0) is down too.
    env.sequencer(0, 0);
    assert_eq!(env.price(WETH).unwrap().sequencer, 1);
    env.call(
        OWNER,
        I::setSequencerFeedCall {
            feed: Address::ZERO,
        },
    )
    .unwrap();
    let s = env.call(ALICE, I::sequencerStatusCall {}).unwrap();
    assert_eq!((s.status, s.since), (0, 0));
}

#[test]
fn the_grace_period_is_settable_within_bounds() {
    let env = Env::configured();
    assert_eq!(env.call(ALICE, I::gracePeriodCall {}).unwrap(), 3600);
    env.call(OWNER, I::setGracePeriodCall { gracePeriod: 600 })
        .unwrap();
    assert_eq!(env.event::<I::GracePeriodSet>().gracePeriod, 600);
    env.sequencer(0, NOW - 601);
    assert_eq!(env.price(WETH).unwrap().sequencer, 0);
    env.sequencer(0, NOW - 600);
    assert_eq!(env.price(WETH).unwrap().sequencer, 2);
    for bad in [0u64, 299, 86_401] {
        assert_eq!(
            env.fail(OWNER, I::setGracePeriodCall { gracePeriod: bad }),
            err(I::InvalidOracleParameter {})
        );
    }
    for ok in [300u64, 86_400] {
        env.call(OWNER, I::setGracePeriodCall { gracePeriod: ok })
            .unwrap();
        assert_eq!(env.call(ALICE, I::gracePeriodCall {}).unwrap(), ok);
    }
    assert_eq!(
        env.fail(ALICE, I::setGracePeriodCall { gracePeriod: 900 }),
        err(I::Unauthorized { caller: ALICE })
    );
}

#[test]
fn a_batch_reads_every_asset_and_the_sequencer_once() {
    let env = Env::configured();
    env.call(
        OWNER,
        I::setAssetCall {
            asset: WBTC,
            config: I::FeedConfig {
                primary: BTC_FEED,
                secondary: Address::ZERO,
                stalenessLimit: 7200,
                secondaryStalenessLimit: 0,
                maxDeviation: wad("0.01"),
                confidenceFloor: wad("0.2"),
            },
        },
    )
    .unwrap();
    env.feed(BTC_FEED, answer("60000", 18), NOW - 3600);
    env.sequencer(0, NOW - 100);
    let out = env
        .call(
            ALICE,
            I::getPricesCall {
                assets: vec![WETH, WBTC, WETH],
            },
        )
        .unwrap();
    assert_eq!(out.sequencer, 2);
    let got: Vec<_> = out
        .prices
        .iter()
        .map(|p| (p.price, p.confidence, p.updatedAt))
        .collect();
    assert_eq!(
        got,
        vec![
            (wad("3000"), wad("1"), NOW),
            (wad("60000"), wad("0.6"), NOW - 3600),
            (wad("3000"), wad("1"), NOW),
        ]
    );
    assert_eq!(
        env.call(ALICE, I::getPricesCall { assets: vec![] })
            .unwrap()
            .prices
            .len(),
        0
    );
    // One bad asset reverts the batch with its error.
    assert_eq!(
        env.call(
            ALICE,
            I::getPricesCall {
                assets: vec![WETH, ALICE]
            }
        )
        .unwrap_err(),
        err(I::UnknownAsset { asset: ALICE })
    );
}

#[test]
fn a_removed_asset_is_unknown() {
    let env = Env::configured();
    env.call(OWNER, I::removeAssetCall { asset: WETH }).unwrap();
    assert_eq!(env.event::<I::AssetRemoved>().asset, WETH);
    assert_eq!(
        env.price(WETH).unwrap_err(),
        err(I::UnknownAsset { asset: WETH })
    );
    let cfg = env.call(ALICE, I::assetConfigCall { asset: WETH }).unwrap();
    assert_eq!(cfg.config.primary, Address::ZERO);
    assert_eq!(cfg.config.maxDeviation, U256::ZERO);
    assert_eq!(
        env.fail(OWNER, I::removeAssetCall { asset: WETH }),
        err(I::UnknownAsset { asset: WETH })
    );
}
