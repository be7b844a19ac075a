//! `assess` on TestVM: the stETH June-2022 replay, the wstETH composite, status boundaries,
//! the CAPO cap, ERC-4626 sources, a degrading market feed and invalid fundamental data.

mod common;

use alloy_primitives::{Address, U256};
use common::*;
use keel_risk::lst::{self, CapoSnapshot, DepegParams, Market, MarketQuote};
use keel_risk::Wad;

/// stETH: fundamental 1.0 (18-decimal rate feed, 1-day limit), CAPO snapshot 1.0 a week ago at
/// 10 %/year, market feed stETH/ETH (18 decimals, 1-day limit) quoting the token itself.
fn steth(env: &Env, market: &str) {
    env.set_rate_feed(STETH, RATE_FEED, 18, DAY);
    env.price(RATE_FEED, "1", 18, NOW - 3_600);
    env.set_snapshot(STETH, "1", 7 * DAY, "0.1");
    env.set_market(STETH, MARKET_FEED, 18, DAY, I::MarketQuote::Asset);
    env.price(MARKET_FEED, market, 18, NOW - 600);
}

#[test]
fn steth_june_2022_replay_is_depegged_with_the_market_rate_in_use() {
    let env = Env::new();
    steth(&env, "0.935");
    let a = env.assess(STETH).unwrap();
    assert_eq!(a.status, I::DepegStatus::Depegged);
    assert_eq!(a.rate, wad("0.935"), "the market rate is in use");
    assert_eq!(a.marketRate, wad("0.935"));
    assert_eq!(a.fundamental, wad("1"));
    assert_eq!(a.cappedFundamental, wad("1"));
    assert_eq!(a.depegBps, U256::from(650));
    // Default slope 1: the add-on is the depeg, 6.5 %.
    assert_eq!(a.haircutAddOn, wad("0.065"));
    assert!(!a.fundamentalCapped);
    assert_eq!(a.marketState, I::MarketState::Live);
    // cap = 1 · (1 + 0.1 · 7/365), rounded down.
    let cap = w("1")
        .add(w("0.1").mul_div(w("7"), w("365")).unwrap())
        .unwrap();
    assert_eq!(a.cap, wad(&cap.to_string()));
}

#[test]
fn wsteth_composite_gives_the_same_status() {
    let env = Env::new();
    // wstETH: fundamental = stETH per wstETH from a rate feed; market feed = stETH/ETH.
    env.set_rate_feed(WSTETH, RATE_FEED, 18, DAY);
    env.price(RATE_FEED, "1.1", 18, NOW - 3_600);
    env.set_snapshot(WSTETH, "1.1", 7 * DAY, "0.1");
    env.set_market(
        WSTETH,
        MARKET_FEED,
        18,
        DAY,
        I::MarketQuote::UnderlyingToken,
    );
    env.price(MARKET_FEED, "0.935", 18, NOW - 600);
    let a = env.assess(WSTETH).unwrap();
    assert_eq!(
        a.marketRate,
        wad("1.0285"),
        "0.935 stETH/ETH · 1.1 stETH/wstETH"
    );
    assert_eq!(a.rate, wad("1.0285"));
    assert_eq!(a.depegBps, U256::from(650));
    assert_eq!(a.status, I::DepegStatus::Depegged);
    assert_eq!(a.marketState, I::MarketState::Live);

    // An 8-decimal rate feed and a real-looking rate give the same status.
    env.set_rate_feed(WSTETH, RATE_FEED, 8, DAY);
    env.price(RATE_FEED, "1.07234567", 8, NOW - 3_600);
    env.set_snapshot(WSTETH, "1.072", 7 * DAY, "0.1");
    let a = env.assess(WSTETH).unwrap();
    assert_eq!(a.fundamental, wad("1.07234567"));
    assert!(!a.fundamentalCapped);
    assert_eq!(a.marketRate, wad("1.00264320145"));
    assert_eq!(a.depegBps, U256::from(650));
    assert_eq!(a.status, I::DepegStatus::Depegged);
    // A fundamental whose composite truncates: the depeg rounds up, never down.
    env.set_rate_feed(WSTETH, RATE_FEED, 18, DAY);
    env.price(RATE_FEED, "1.072345678901234567", 18, NOW - 3_600);
    let a = env.assess(WSTETH).unwrap();
    // 0.935 · 1.072345678901234567 = 1.002643209772654320145 → truncated to 18 decimals.
    assert_eq!(a.marketRate, wad("1.00264320977265432"));
    assert_eq!(a.depegBps, U256::from(651));
    assert_eq!(a.status, I::DepegStatus::Depegged);
}

#[test]
fn status_boundaries_with_default_and_custom_thresholds() {
    let env = Env::new();
    steth(&env, "1");
    for (market, bps, status) in [
        ("1", 0, I::DepegStatus::Normal),
        ("0.9901", 99, I::DepegStatus::Normal),
        ("0.99", 100, I::DepegStatus::Warning),
        ("0.9701", 299, I::DepegStatus::Warning),
        ("0.97", 300, I::DepegStatus::Depegged),
    ] {
        env.price(MARKET_FEED, market, 18, NOW);
        let a = env.assess(STETH).unwrap();
        assert_eq!(
            (a.depegBps, a.status),
            (U256::from(bps), status),
            "{market}"
        );
        assert_eq!(a.rate, wad(market));
        let add_on = if bps < 100 {
            Wad::ZERO
        } else {
            w(market).neg().unwrap().add(w("1")).unwrap()
        };
        assert_eq!(a.haircutAddOn, wad(&add_on.to_string()), "{market}");
    }
    // Thresholds 50 / 150 bps and slope 2.5.
    env.exec(
        OWNER,
        I::setDepegParamsCall {
            asset: STETH,
            warningBps: 50,
            depeggedBps: 150,
            addOnSlope: wad("2.5"),
        },
    )
    .unwrap();
    for (market, bps, status, add_on) in [
        ("0.9951", 49, I::DepegStatus::Normal, "0"),
        ("0.995", 50, I::DepegStatus::Warning, "0.0125"),
        ("0.985", 150, I::DepegStatus::Depegged, "0.0375"),
        ("0.5", 5_000, I::DepegStatus::Depegged, "1"),
    ] {
        env.price(MARKET_FEED, market, 18, NOW);
        let a = env.assess(STETH).unwrap();
        assert_eq!(
            (a.depegBps, a.status),
            (U256::from(bps), status),
            "{market}"
        );
        assert_eq!(a.haircutAddOn, wad(add_on), "{market}");
    }
}

#[test]
fn a_market_above_the_fundamental_does_not_lift_the_rate() {
    let env = Env::new();
    steth(&env, "1.02");
    let a = env.assess(STETH).unwrap();
    assert_eq!(a.rate, wad("1"));
    assert_eq!(a.marketRate, wad("1.02"));
    assert_eq!(a.depegBps, U256::ZERO);
    assert_eq!(a.status, I::DepegStatus::Normal);
}

#[test]
fn an_inflated_fundamental_is_capped_and_flagged() {
    let env = Env::new();
    env.set_rate_feed(RETH, RATE_FEED, 18, DAY);
    env.set_snapshot(RETH, "1.1", 30 * DAY, "0.1");
    // rETH's rate feed reports 2.0 (a manipulated or buggy source).
    env.price(RATE_FEED, "2", 18, NOW);
    let cap = w("1.1")
        .add(w("1.1").mul_div(w("3"), w("365")).unwrap())
        .unwrap();
    let a = env.assess(RETH).unwrap();
    assert!(a.fundamentalCapped);
    assert_eq!(a.fundamental, wad("2"));
    assert_eq!(a.cap, wad(&cap.to_string()));
    assert_eq!(a.cappedFundamental, a.cap);
    assert_eq!(
        a.rate, a.cap,
        "the reported rate is never trusted above the cap"
    );
    assert_eq!(a.marketState, I::MarketState::NotConfigured);
    // The cap keeps growing linearly: a year later it is 1.1 · (1 + 0.1 · 395/365).
    env.host.set_block_timestamp(NOW + YEAR);
    env.price(RATE_FEED, "2", 18, NOW + YEAR);
    let a = env.assess(RETH).unwrap();
    let later = w("1.1")
        .add(w("1.1").mul_div(w("39.5"), w("365")).unwrap())
        .unwrap();
    assert_eq!(a.cap, wad(&later.to_string()));
    assert_eq!(a.rate, a.cap);
    // A reading under the cap is used as is.
    env.price(RATE_FEED, "1.15", 18, NOW + YEAR);
    let a = env.assess(RETH).unwrap();
    assert!(!a.fundamentalCapped);
    assert_eq!(a.rate, wad("1.15"));
}

#[test]
fn the_contract_matches_keel_risk_bit_for_bit() {
    let env = Env::new();
    env.set_rate_feed(WSTETH, RATE_FEED, 18, DAY);
    env.set_snapshot(WSTETH, "1.1234", 45 * DAY, "0.07");
    env.set_market(
        WSTETH,
        MARKET_FEED,
        18,
        DAY,
        I::MarketQuote::UnderlyingToken,
    );
    for (fundamental, market) in [
        ("1.12500000000000001", "0.999999999999999999"),
        ("1.2", "0.98765"),
        ("1.13", "0.333333333333333333"),
    ] {
        env.price(RATE_FEED, fundamental, 18, NOW);
        env.price(MARKET_FEED, market, 18, NOW);
        let a = env.assess(WSTETH).unwrap();
        let snapshot = CapoSnapshot {
            ratio: w("1.1234"),
            timestamp: NOW - 45 * DAY,
            max_yearly_growth: w("0.07"),
        };
        let r = lst::assess(
            w(fundamental),
            &snapshot,
            Market::Live(w(market)),
            MarketQuote::UnderlyingToken,
            &DepegParams::DEFAULT,
            NOW,
        )
        .unwrap();
        assert_eq!(a.rate, wad(&r.rate.to_string()));
        assert_eq!(a.cap, wad(&r.cap.to_string()));
        assert_eq!(a.marketRate, wad(&r.market_rate.to_string()));
        assert_eq!(a.depegBps, U256::from(r.depeg_bps));
        assert_eq!(a.haircutAddOn, wad(&r.haircut_add_on.to_string()));
        assert_eq!(a.fundamentalCapped, r.fundamental_capped);
        assert_eq!(a.status as u8, r.status as u8);
    }
}

#[test]
fn erc4626_source_normalises_share_and_asset_decimals() {
    let env = Env::new();
    // A USDC-style vault: 18-decimal shares over a 6-decimal asset; one share = 1.05 USDC.
    env.mock_vault(18, 6, U256::from(1_050_000u64));
    env.exec(
        OWNER,
        I::setErc4626VaultCall {
            asset: SHARE,
            vault: VAULT,
        },
    )
    .unwrap();
    assert_eq!(
        env.events(),
        vec![Event::Erc4626VaultSet(I::Erc4626VaultSet {
            asset: SHARE,
            vault: VAULT,
            shareDecimals: 18,
            assetDecimals: 6,
        })]
    );
    let c = env
        .send(STRANGER, I::assetConfigCall { asset: SHARE })
        .unwrap();
    assert_eq!(c.sourceKind, I::FundamentalSource::Erc4626);
    assert_eq!(
        (c.source, c.sourceDecimals, c.shareDecimals),
        (VAULT, 6, 18)
    );
    env.set_snapshot(SHARE, "1.05", 10 * DAY, "0.2");
    let a = env.assess(SHARE).unwrap();
    assert_eq!(a.fundamental, wad("1.05"));
    assert!(!a.fundamentalCapped);
    assert_eq!(a.rate, wad("1.05"));
    assert_eq!(a.marketState, I::MarketState::NotConfigured);
    assert_eq!(a.status, I::DepegStatus::Normal);

    // 8-decimal shares over an 18-decimal asset: convertToAssets(1e8) = 1.2e18.
    env.mock_vault(8, 18, wad("1.2"));
    env.exec(
        OWNER,
        I::setErc4626VaultCall {
            asset: SHARE,
            vault: VAULT,
        },
    )
    .unwrap();
    env.set_snapshot(SHARE, "1.2", 0, "0.05");
    assert_eq!(env.assess(SHARE).unwrap().rate, wad("1.2"));

    // A donation-inflated share price is capped like any fundamental.
    env.mock_convert(8, Ok(word(wad("5"))));
    let a = env.assess(SHARE).unwrap();
    assert!(a.fundamentalCapped);
    assert_eq!(a.rate, wad("1.2"));
    // Beyond int256: saturates, then capped.
    env.mock_convert(8, Ok(word(U256::MAX)));
    let a = env.assess(SHARE).unwrap();
    assert!(a.fundamentalCapped);
    assert_eq!(a.rate, wad("1.2"));
}

#[test]
fn erc4626_failures_are_named() {
    let env = Env::new();
    env.mock_vault(18, 18, wad("1.01"));
    env.exec(
        OWNER,
        I::setErc4626VaultCall {
            asset: SHARE,
            vault: VAULT,
        },
    )
    .unwrap();
    env.set_snapshot(SHARE, "1", DAY, "0.1");
    env.mock_convert(18, Err(b"paused".to_vec()));
    assert_eq!(
        env.assess(SHARE),
        Err(Error::VaultCallFailed(I::VaultCallFailed { target: VAULT }))
    );
    env.mock_convert(18, Ok(vec![0u8; 31]));
    assert_eq!(
        env.assess(SHARE),
        Err(Error::VaultMalformedReturn(I::VaultMalformedReturn {
            target: VAULT
        }))
    );
    env.mock_convert(18, Ok(word(U256::ZERO)));
    assert_eq!(
        env.assess(SHARE),
        Err(Error::FundamentalNotPositive(I::FundamentalNotPositive {
            asset: SHARE,
            answer: int(0),
        }))
    );
    // Configuring: a reverting `asset()`, a non-address `asset()`, an unreadable asset token.
    env.host.mock_static_call(
        VAULT,
        keel_lst_depeg_guard::vault::ASSET_SELECTOR.to_vec(),
        Err(vec![]),
    );
    assert_eq!(
        env.exec(
            OWNER,
            I::setErc4626VaultCall {
                asset: SHARE,
                vault: VAULT
            }
        ),
        Err(Error::VaultCallFailed(I::VaultCallFailed { target: VAULT }))
    );
    env.host.mock_static_call(
        VAULT,
        keel_lst_depeg_guard::vault::ASSET_SELECTOR.to_vec(),
        Ok(word(U256::MAX)),
    );
    assert_eq!(
        env.exec(
            OWNER,
            I::setErc4626VaultCall {
                asset: SHARE,
                vault: VAULT
            }
        ),
        Err(Error::VaultMalformedReturn(I::VaultMalformedReturn {
            target: VAULT
        }))
    );
    let env = Env::new();
    env.mock_vault(18, 18, wad("1"));
    env.host.mock_static_call(
        VAULT_ASSET,
        keel_lst_depeg_guard::vault::DECIMALS_SELECTOR.to_vec(),
        Ok(word(U256::from(256))),
    );
    assert_eq!(
        env.exec(
            OWNER,
            I::setErc4626VaultCall {
                asset: SHARE,
                vault: VAULT
            }
        ),
        Err(Error::VaultMalformedReturn(I::VaultMalformedReturn {
            target: VAULT_ASSET
        }))
    );
}

#[test]
fn a_stale_missing_or_broken_market_feed_degrades_with_its_flag() {
    let env = Env::new();
    steth(&env, "0.935");
    let degraded = |state: I::MarketState| {
        let a = env.assess(STETH).unwrap();
        assert_eq!(a.marketState, state);
        assert_eq!(a.rate, wad("1"), "{state:?}: capped fundamental");
        assert_eq!(a.marketRate, U256::ZERO);
        assert_eq!(a.depegBps, U256::ZERO);
        assert_eq!(a.status, I::DepegStatus::Normal);
        assert_eq!(a.haircutAddOn, U256::ZERO);
    };
    // Exactly at its limit the reading is still live; one second more and it is stale.
    env.price(MARKET_FEED, "0.935", 18, NOW - DAY);
    assert_eq!(env.assess(STETH).unwrap().marketState, I::MarketState::Live);
    env.price(MARKET_FEED, "0.935", 18, NOW - DAY - 1);
    degraded(I::MarketState::Stale);
    env.price(MARKET_FEED, "0.935", 18, NOW + 1);
    degraded(I::MarketState::Invalid);
    env.price(MARKET_FEED, "0", 18, NOW);
    degraded(I::MarketState::Invalid);
    env.price(MARKET_FEED, "-0.935", 18, NOW);
    degraded(I::MarketState::Invalid);
    env.host
        .mock_latest_round_revert(MARKET_FEED, b"down".to_vec());
    degraded(I::MarketState::Invalid);
    env.host.mock_static_call(
        MARKET_FEED,
        keel_stylus_common::feed::LATEST_ROUND_DATA_SELECTOR.to_vec(),
        Ok(vec![]),
    );
    degraded(I::MarketState::Invalid);
    // Removing the feed.
    env.events();
    env.exec(
        OWNER,
        I::setMarketFeedCall {
            asset: STETH,
            feed: Address::ZERO,
            maxAge: 123,
            quote: I::MarketQuote::UnderlyingToken,
        },
    )
    .unwrap();
    assert_eq!(
        env.events(),
        vec![Event::MarketFeedSet(I::MarketFeedSet {
            asset: STETH,
            feed: Address::ZERO,
            maxAge: 0,
            quote: I::MarketQuote::Asset,
            decimals: 0,
        })]
    );
    degraded(I::MarketState::NotConfigured);
}

#[test]
fn invalid_fundamental_data_reverts_with_named_errors() {
    let env = Env::new();
    steth(&env, "1");
    let not_positive = |answer: i128| {
        Err(Error::FundamentalNotPositive(I::FundamentalNotPositive {
            asset: STETH,
            answer: int(answer),
        }))
    };
    env.host.mock_answer(RATE_FEED, 0, NOW);
    assert_eq!(env.assess(STETH), not_positive(0));
    env.host.mock_answer(RATE_FEED, -1, NOW);
    assert_eq!(env.assess(STETH), not_positive(-1));
    env.price(RATE_FEED, "1", 18, NOW + 1);
    assert_eq!(
        env.assess(STETH),
        Err(Error::FundamentalFromFuture(I::FundamentalFromFuture {
            asset: STETH,
            updatedAt: U256::from(NOW + 1),
        }))
    );
    env.price(RATE_FEED, "1", 18, NOW - DAY - 1);
    assert_eq!(
        env.assess(STETH),
        Err(Error::FundamentalStale(I::FundamentalStale {
            asset: STETH,
            updatedAt: U256::from(NOW - DAY - 1),
        }))
    );
    // Exactly at the limit: valid.
    env.price(RATE_FEED, "1", 18, NOW - DAY);
    assert_eq!(env.assess(STETH).unwrap().rate, wad("1"));
    env.host.mock_latest_round_revert(RATE_FEED, b"x".to_vec());
    assert_eq!(
        env.assess(STETH),
        Err(Error::FeedCallFailed(I::FeedCallFailed { feed: RATE_FEED }))
    );
    env.host.mock_static_call(
        RATE_FEED,
        keel_stylus_common::feed::LATEST_ROUND_DATA_SELECTOR.to_vec(),
        Ok(vec![1, 2, 3]),
    );
    assert_eq!(
        env.assess(STETH),
        Err(Error::FeedMalformedReturn(I::FeedMalformedReturn {
            feed: RATE_FEED
        }))
    );
    // A rate feed that now reports other decimals than it was set with is refused.
    env.price(RATE_FEED, "1", 18, NOW);
    env.host.mock_decimals(RATE_FEED, 8);
    assert_eq!(
        env.assess(STETH),
        Err(Error::FeedDecimalsChanged(I::FeedDecimalsChanged {
            feed: RATE_FEED,
            configured: 18,
            reported: 8
        }))
    );
    // A 36-decimal answer that rounds to zero at 18 decimals is not positive either.
    env.set_rate_feed(STETH, RATE_FEED, 36, DAY);
    env.host
        .mock_answer(RATE_FEED, 999_999_999_999_999_999, NOW);
    assert_eq!(env.assess(STETH), not_positive(999_999_999_999_999_999));
}

#[test]
fn unlisted_assets_and_missing_snapshots_are_named() {
    let env = Env::new();
    assert_eq!(
        env.assess(RETH),
        Err(Error::AssetNotListed(I::AssetNotListed { asset: RETH }))
    );
    env.set_rate_feed(RETH, RATE_FEED, 18, DAY);
    env.price(RATE_FEED, "1.1", 18, NOW);
    assert_eq!(
        env.assess(RETH),
        Err(Error::SnapshotNotSet(I::SnapshotNotSet { asset: RETH }))
    );
    // A snapshot alone does not list an asset.
    env.set_snapshot(STETH, "1", 0, "0");
    assert_eq!(
        env.assess(STETH),
        Err(Error::AssetNotListed(I::AssetNotListed { asset: STETH }))
    );
}

#[test]
fn assess_many_answers_in_order_and_reverts_with_any_one() {
    let env = Env::new();
    steth(&env, "0.935");
    env.set_rate_feed(RETH, Address::repeat_byte(0xe1), 8, DAY);
    env.price(Address::repeat_byte(0xe1), "1.08", 8, NOW);
    env.set_snapshot(RETH, "1.08", DAY, "0.1");
    let all = env
        .send(
            STRANGER,
            I::assessManyCall {
                assets: vec![RETH, STETH, RETH],
            },
        )
        .unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0], env.assess(RETH).unwrap());
    assert_eq!(all[1], env.assess(STETH).unwrap());
    assert_eq!(all[2], all[0]);
    assert_eq!(all[0].rate, wad("1.08"));
    assert_eq!(all[1].status, I::DepegStatus::Depegged);
    assert_eq!(
        env.send(STRANGER, I::assessManyCall { assets: vec![] })
            .unwrap(),
        vec![]
    );
    assert_eq!(
        env.send(
            STRANGER,
            I::assessManyCall {
                assets: vec![STETH, SHARE],
            },
        ),
        Err(Error::AssetNotListed(I::AssetNotListed { asset: SHARE }))
    );
}

#[test]
fn assess_many_with_an_array_outside_the_calldata_reverts_empty() {
    use alloy_sol_types::SolCall;
    let env = Env::new();
    steth(&env, "0.935");
    let word = |n: u64| U256::from(n).to_be_bytes::<32>();
    let call = |words: &[[u8; 32]]| {
        let mut data = I::assessManyCall::SELECTOR.to_vec();
        words.iter().for_each(|w| data.extend_from_slice(w));
        data
    };
    let steth_word = {
        let mut w = [0u8; 32];
        w[12..].copy_from_slice(STETH.as_slice());
        w
    };
    // Well formed: one asset.
    let one = env.send_bytes(STRANGER, call(&[word(32), word(1), steth_word]));
    let decoded = I::assessManyCall::abi_decode_returns(&one.expect("answers")).unwrap();
    assert_eq!(decoded, vec![env.assess(STETH).unwrap()]);
    // A length of 2^40 in 96 bytes of arguments (the fuzzer's case: stylus-sdk's decoder
    // reserved it first and ran out of gas), an offset off the word grid, an offset past the
    // end, one element short, a dirty address: empty reverts.
    for words in [
        vec![word(32), word(1 << 40), steth_word],
        vec![word(3), word(1), steth_word],
        vec![word(96), word(1), steth_word],
        vec![word(32), word(2), steth_word],
        vec![word(32), word(1), [0xff; 32]],
    ] {
        assert_eq!(env.send_bytes(STRANGER, call(&words)), Err(vec![]));
    }
    assert_eq!(
        keel_lst_depeg_guard::ASSESS_MANY_SELECTOR,
        I::assessManyCall::SELECTOR,
        "the fallback's selector"
    );
    // Another unknown selector still reverts empty.
    assert_eq!(env.send_bytes(STRANGER, vec![1, 2, 3, 4]), Err(vec![]));
}
