//! Administration on TestVM: two-step ownership, access control on every setter, every
//! parameter bound, the stored configuration, events, and the interface's selectors.

mod common;

use alloy_primitives::{keccak256, Address, U256};
use alloy_sol_types::{SolCall, SolError};
use common::*;
use keel_lst_depeg_guard::{GuardError, LstDepegGuard};

#[test]
fn deployment_sets_the_owner_once() {
    let host = keel_stylus_common::testing::FeedHost::new();
    let mut guard = LstDepegGuard::from(&host);
    assert_eq!(
        guard.constructor(Address::ZERO),
        Err(GuardError::ZeroAddress(
            keel_stylus_common::ownable::ZeroAddress {}
        ))
    );
    guard.constructor(OWNER).unwrap();
    assert_eq!(guard.owner(), OWNER);
    assert_eq!(
        guard.constructor(STRANGER),
        Err(GuardError::AlreadyInitialized(
            keel_stylus_common::ownable::AlreadyInitialized {}
        ))
    );
    let env = Env { host };
    assert_eq!(
        env.events(),
        vec![Event::OwnershipTransferred(I::OwnershipTransferred {
            previousOwner: Address::ZERO,
            newOwner: OWNER,
        })]
    );
    assert_eq!(env.send(STRANGER, I::ownerCall {}).unwrap(), OWNER);
}

#[test]
fn ownership_moves_in_two_steps() {
    let env = Env::new();
    assert_eq!(
        env.exec(STRANGER, I::transferOwnershipCall { newOwner: NEXT }),
        Err(unauthorized(STRANGER))
    );
    env.exec(OWNER, I::transferOwnershipCall { newOwner: NEXT })
        .unwrap();
    assert_eq!(env.send(STRANGER, I::pendingOwnerCall {}).unwrap(), NEXT);
    assert_eq!(
        env.exec(STRANGER, I::acceptOwnershipCall {}),
        Err(Error::NotPendingOwner(I::NotPendingOwner {
            caller: STRANGER
        }))
    );
    env.exec(NEXT, I::acceptOwnershipCall {}).unwrap();
    assert_eq!(env.send(STRANGER, I::ownerCall {}).unwrap(), NEXT);
    assert_eq!(
        env.send(STRANGER, I::pendingOwnerCall {}).unwrap(),
        Address::ZERO
    );
    assert_eq!(
        env.events(),
        vec![
            Event::OwnershipTransferStarted(I::OwnershipTransferStarted {
                previousOwner: OWNER,
                newOwner: NEXT,
            }),
            Event::OwnershipTransferred(I::OwnershipTransferred {
                previousOwner: OWNER,
                newOwner: NEXT,
            }),
        ]
    );
    // The old owner can no longer configure; the new one can.
    assert_eq!(
        env.exec(OWNER, I::removeAssetCall { asset: STETH }),
        Err(unauthorized(OWNER))
    );
    env.exec(NEXT, I::removeAssetCall { asset: STETH }).unwrap();
}

#[test]
fn every_setter_is_owner_only() {
    let env = Env::new();
    env.host.mock_decimals(RATE_FEED, 18);
    env.mock_vault(18, 18, wad("1"));
    let calls: Vec<Vec<u8>> = vec![
        I::setRateFeedCall {
            asset: STETH,
            feed: RATE_FEED,
            maxAge: DAY,
        }
        .abi_encode(),
        I::setErc4626VaultCall {
            asset: SHARE,
            vault: VAULT,
        }
        .abi_encode(),
        I::setCapoSnapshotCall {
            asset: STETH,
            ratio: wad("1"),
            timestamp: NOW,
            maxYearlyGrowth: wad("0.1"),
        }
        .abi_encode(),
        I::setMarketFeedCall {
            asset: STETH,
            feed: RATE_FEED,
            maxAge: DAY,
            quote: I::MarketQuote::Asset,
        }
        .abi_encode(),
        I::setDepegParamsCall {
            asset: STETH,
            warningBps: 100,
            depeggedBps: 300,
            addOnSlope: wad("1"),
        }
        .abi_encode(),
        I::removeAssetCall { asset: STETH }.abi_encode(),
        I::transferOwnershipCall { newOwner: NEXT }.abi_encode(),
    ];
    for call in &calls {
        assert_eq!(
            env.send_raw(STRANGER, call.clone()),
            Err(unauthorized(STRANGER))
        );
    }
    assert!(env.events().is_empty());
    let config = env
        .send(STRANGER, I::assetConfigCall { asset: STETH })
        .unwrap();
    assert_eq!(config, zero_config());
    // The owner succeeds with the very same calls.
    for call in calls {
        env.send_raw(OWNER, call).unwrap();
    }
}

fn zero_config() -> I::AssetConfig {
    I::AssetConfig {
        sourceKind: I::FundamentalSource::None,
        source: Address::ZERO,
        sourceMaxAge: 0,
        sourceDecimals: 0,
        shareDecimals: 0,
        snapshotRatio: U256::ZERO,
        snapshotTimestamp: 0,
        maxYearlyGrowth: U256::ZERO,
        marketFeed: Address::ZERO,
        marketMaxAge: 0,
        marketQuote: I::MarketQuote::Asset,
        marketDecimals: 0,
        warningBps: 0,
        depeggedBps: 0,
        addOnSlope: U256::ZERO,
    }
}

#[test]
fn each_setter_stores_its_fields_and_emits_its_event() {
    let env = Env::new();
    env.set_rate_feed(WSTETH, RATE_FEED, 8, 3 * DAY);
    env.set_snapshot(WSTETH, "1.1", 5 * DAY, "0.08");
    env.set_market(
        WSTETH,
        MARKET_FEED,
        18,
        DAY,
        I::MarketQuote::UnderlyingToken,
    );
    env.exec(
        OWNER,
        I::setDepegParamsCall {
            asset: WSTETH,
            warningBps: 150,
            depeggedBps: 400,
            addOnSlope: wad("1.5"),
        },
    )
    .unwrap();
    assert_eq!(
        env.events(),
        vec![
            Event::RateFeedSet(I::RateFeedSet {
                asset: WSTETH,
                feed: RATE_FEED,
                maxAge: 3 * DAY,
                decimals: 8,
            }),
            Event::CapoSnapshotSet(I::CapoSnapshotSet {
                asset: WSTETH,
                ratio: wad("1.1"),
                timestamp: NOW - 5 * DAY,
                maxYearlyGrowth: wad("0.08"),
            }),
            Event::MarketFeedSet(I::MarketFeedSet {
                asset: WSTETH,
                feed: MARKET_FEED,
                maxAge: DAY,
                quote: I::MarketQuote::UnderlyingToken,
                decimals: 18,
            }),
            Event::DepegParamsSet(I::DepegParamsSet {
                asset: WSTETH,
                warningBps: 150,
                depeggedBps: 400,
                addOnSlope: wad("1.5"),
            }),
        ]
    );
    let c = env
        .send(STRANGER, I::assetConfigCall { asset: WSTETH })
        .unwrap();
    assert_eq!(
        c,
        I::AssetConfig {
            sourceKind: I::FundamentalSource::RateFeed,
            source: RATE_FEED,
            sourceMaxAge: 3 * DAY,
            sourceDecimals: 8,
            shareDecimals: 0,
            snapshotRatio: wad("1.1"),
            snapshotTimestamp: NOW - 5 * DAY,
            maxYearlyGrowth: wad("0.08"),
            marketFeed: MARKET_FEED,
            marketMaxAge: DAY,
            marketQuote: I::MarketQuote::UnderlyingToken,
            marketDecimals: 18,
            warningBps: 150,
            depeggedBps: 400,
            addOnSlope: wad("1.5"),
        }
    );
    // The parameters are used: 1.5 % depeg is a Warning with add-on 1.5 · 1.5 %.
    env.price(RATE_FEED, "1.1", 8, NOW);
    env.price(MARKET_FEED, "0.985", 18, NOW);
    let a = env.assess(WSTETH).unwrap();
    assert_eq!(a.depegBps, U256::from(150));
    assert_eq!(a.status, I::DepegStatus::Warning);
    assert_eq!(a.haircutAddOn, wad("0.0225"));
    // Other assets are untouched.
    assert_eq!(
        env.send(STRANGER, I::assetConfigCall { asset: STETH })
            .unwrap(),
        zero_config()
    );
    // Switching the source to a vault replaces the rate feed's fields only.
    env.mock_vault(18, 6, U256::from(1_100_000u64));
    env.exec(
        OWNER,
        I::setErc4626VaultCall {
            asset: WSTETH,
            vault: VAULT,
        },
    )
    .unwrap();
    let c2 = env
        .send(STRANGER, I::assetConfigCall { asset: WSTETH })
        .unwrap();
    assert_eq!(c2.sourceKind, I::FundamentalSource::Erc4626);
    assert_eq!((c2.source, c2.sourceMaxAge), (VAULT, 0));
    assert_eq!((c2.sourceDecimals, c2.shareDecimals), (6, 18));
    assert_eq!(c2.snapshotRatio, c.snapshotRatio);
    assert_eq!(c2.marketFeed, c.marketFeed);
    assert_eq!(c2.addOnSlope, c.addOnSlope);
    // Removal forgets everything.
    env.events();
    env.exec(OWNER, I::removeAssetCall { asset: WSTETH })
        .unwrap();
    assert_eq!(
        env.events(),
        vec![Event::AssetRemoved(I::AssetRemoved { asset: WSTETH })]
    );
    assert_eq!(
        env.send(STRANGER, I::assetConfigCall { asset: WSTETH })
            .unwrap(),
        zero_config()
    );
    assert_eq!(
        env.assess(WSTETH),
        Err(Error::AssetNotListed(I::AssetNotListed { asset: WSTETH }))
    );
}

fn snapshot(ratio: U256, timestamp: u64, growth: U256) -> Result<(), Error> {
    let env = Env::new();
    env.exec(
        OWNER,
        I::setCapoSnapshotCall {
            asset: STETH,
            ratio,
            timestamp,
            maxYearlyGrowth: growth,
        },
    )
}

#[test]
fn snapshot_bounds() {
    let g = wad("0.1");
    let bad_ratio = |ratio: U256| Err(Error::InvalidRatio(I::InvalidRatio { ratio }));
    for ratio in [
        U256::ZERO,
        wad("0.000000999999999999"),
        wad("1000000.000000000000000001"),
        U256::MAX,
    ] {
        assert_eq!(snapshot(ratio, NOW, g), bad_ratio(ratio), "{ratio}");
    }
    for ratio in [wad("0.000001"), wad("1"), wad("1000000")] {
        assert_eq!(snapshot(ratio, NOW, g), Ok(()), "{ratio}");
    }
    let bad_growth = |growth: U256| {
        Err(Error::InvalidGrowth(I::InvalidGrowth {
            maxYearlyGrowth: growth,
        }))
    };
    for growth in [wad("0.500000000000000001"), U256::MAX] {
        assert_eq!(snapshot(wad("1"), NOW, growth), bad_growth(growth));
    }
    for growth in [U256::ZERO, wad("0.5")] {
        assert_eq!(snapshot(wad("1"), NOW, growth), Ok(()));
    }
    let bad_time = |timestamp: u64| {
        Err(Error::InvalidSnapshotTimestamp(
            I::InvalidSnapshotTimestamp { timestamp },
        ))
    };
    for timestamp in [NOW + 1, NOW - 90 * DAY - 1, 0, u64::MAX] {
        assert_eq!(snapshot(wad("1"), timestamp, g), bad_time(timestamp));
    }
    for timestamp in [NOW, NOW - 90 * DAY] {
        assert_eq!(snapshot(wad("1"), timestamp, g), Ok(()));
    }
    let env = Env::new();
    assert_eq!(
        env.exec(
            OWNER,
            I::setCapoSnapshotCall {
                asset: Address::ZERO,
                ratio: wad("1"),
                timestamp: NOW,
                maxYearlyGrowth: g,
            },
        ),
        Err(Error::ZeroAddress(I::ZeroAddress {}))
    );
}

#[test]
fn depeg_param_bounds() {
    let env = Env::new();
    let set = |warning: u16, depegged: u16, slope: U256| {
        env.exec(
            OWNER,
            I::setDepegParamsCall {
                asset: STETH,
                warningBps: warning,
                depeggedBps: depegged,
                addOnSlope: slope,
            },
        )
    };
    let one = wad("1");
    for (warning, depegged) in [(0, 300), (300, 300), (301, 300), (100, 10_001), (0, 0)] {
        assert_eq!(
            set(warning, depegged, one),
            Err(Error::InvalidThresholds(I::InvalidThresholds {
                warningBps: warning,
                depeggedBps: depegged,
            })),
            "{warning}/{depegged}"
        );
    }
    for (warning, depegged) in [(1, 2), (9_999, 10_000), (100, 300)] {
        assert_eq!(set(warning, depegged, one), Ok(()));
    }
    for slope in [wad("100.000000000000000001"), U256::MAX] {
        assert_eq!(
            set(100, 300, slope),
            Err(Error::InvalidAddOnSlope(I::InvalidAddOnSlope {
                addOnSlope: slope,
            }))
        );
    }
    for slope in [U256::ZERO, wad("100")] {
        assert_eq!(set(100, 300, slope), Ok(()));
    }
}

#[test]
fn feed_bounds_and_zero_addresses() {
    let env = Env::new();
    env.host.mock_decimals(RATE_FEED, 18);
    let rate = |asset: Address, feed: Address, max_age: u64| {
        env.exec(
            OWNER,
            I::setRateFeedCall {
                asset,
                feed,
                maxAge: max_age,
            },
        )
    };
    let market = |feed: Address, max_age: u64| {
        env.exec(
            OWNER,
            I::setMarketFeedCall {
                asset: STETH,
                feed,
                maxAge: max_age,
                quote: I::MarketQuote::Asset,
            },
        )
    };
    let bad_age = |max_age: u64| Err(Error::InvalidMaxAge(I::InvalidMaxAge { maxAge: max_age }));
    for max_age in [0, 7 * DAY + 1] {
        assert_eq!(rate(STETH, RATE_FEED, max_age), bad_age(max_age));
        assert_eq!(market(RATE_FEED, max_age), bad_age(max_age));
    }
    for max_age in [1, 7 * DAY] {
        assert_eq!(rate(STETH, RATE_FEED, max_age), Ok(()));
        assert_eq!(market(RATE_FEED, max_age), Ok(()));
    }
    let zero = Err(Error::ZeroAddress(I::ZeroAddress {}));
    assert_eq!(rate(Address::ZERO, RATE_FEED, DAY), zero);
    assert_eq!(rate(STETH, Address::ZERO, DAY), zero);
    assert_eq!(
        env.exec(
            OWNER,
            I::setErc4626VaultCall {
                asset: SHARE,
                vault: Address::ZERO,
            },
        ),
        zero
    );
    assert_eq!(
        env.exec(
            OWNER,
            I::setErc4626VaultCall {
                asset: Address::ZERO,
                vault: VAULT,
            },
        ),
        zero
    );
    assert_eq!(
        env.exec(
            OWNER,
            I::setMarketFeedCall {
                asset: Address::ZERO,
                feed: MARKET_FEED,
                maxAge: DAY,
                quote: I::MarketQuote::Asset,
            },
        ),
        zero
    );
    assert_eq!(
        env.exec(
            OWNER,
            I::setDepegParamsCall {
                asset: Address::ZERO,
                warningBps: 100,
                depeggedBps: 300,
                addOnSlope: wad("1"),
            },
        ),
        zero
    );
}

#[test]
fn decimals_above_36_and_unreadable_decimals_are_refused() {
    let env = Env::new();
    let unsupported = |d: u8| {
        Err(Error::UnsupportedDecimals(I::UnsupportedDecimals {
            decimals: d,
        }))
    };
    env.host.mock_decimals(RATE_FEED, 37);
    assert_eq!(
        env.exec(
            OWNER,
            I::setRateFeedCall {
                asset: STETH,
                feed: RATE_FEED,
                maxAge: DAY,
            },
        ),
        unsupported(37)
    );
    assert_eq!(
        env.exec(
            OWNER,
            I::setMarketFeedCall {
                asset: STETH,
                feed: RATE_FEED,
                maxAge: DAY,
                quote: I::MarketQuote::Asset,
            },
        ),
        unsupported(37)
    );
    env.host.mock_decimals(RATE_FEED, 36);
    env.exec(
        OWNER,
        I::setRateFeedCall {
            asset: STETH,
            feed: RATE_FEED,
            maxAge: DAY,
        },
    )
    .unwrap();
    env.mock_vault(37, 18, wad("1"));
    assert_eq!(
        env.exec(
            OWNER,
            I::setErc4626VaultCall {
                asset: SHARE,
                vault: VAULT
            }
        ),
        unsupported(37)
    );
    env.mock_vault(18, 40, wad("1"));
    assert_eq!(
        env.exec(
            OWNER,
            I::setErc4626VaultCall {
                asset: SHARE,
                vault: VAULT
            }
        ),
        unsupported(40)
    );
    // A feed whose decimals() reverts or has no code.
    let silent = Address::repeat_byte(0x99);
    assert_eq!(
        env.exec(
            OWNER,
            I::setRateFeedCall {
                asset: STETH,
                feed: silent,
                maxAge: DAY,
            },
        ),
        Err(Error::FeedMalformedReturn(I::FeedMalformedReturn {
            feed: silent
        }))
    );
    env.host.mock_static_call(
        silent,
        keel_stylus_common::feed::DECIMALS_SELECTOR.to_vec(),
        Err(vec![]),
    );
    assert_eq!(
        env.exec(
            OWNER,
            I::setMarketFeedCall {
                asset: STETH,
                feed: silent,
                maxAge: DAY,
                quote: I::MarketQuote::Asset,
            },
        ),
        Err(Error::FeedCallFailed(I::FeedCallFailed { feed: silent }))
    );
    assert!(
        env.events().len() == 1,
        "only the accepted setRateFeed emitted"
    );
}

#[test]
fn an_out_of_range_quote_is_refused() {
    let env = Env::new();
    env.host.mock_decimals(MARKET_FEED, 18);
    // A Solidity caller cannot encode quote = 2; a hand-encoded call gets a named error.
    let mut calldata = I::setMarketFeedCall {
        asset: STETH,
        feed: MARKET_FEED,
        maxAge: DAY,
        quote: I::MarketQuote::UnderlyingToken,
    }
    .abi_encode();
    let last = calldata.len() - 1;
    calldata[last] = 2;
    assert_eq!(
        env.send_raw(OWNER, calldata),
        Err(Error::InvalidMarketQuote(I::InvalidMarketQuote {
            quote: 2
        }))
    );
}

#[test]
fn selectors_and_errors_match_the_interface_file() {
    // Spot-check that the interface file's selectors are the canonical signatures the
    // contract's router dispatches on (every other test already calls through them).
    for (selector, signature) in [
        (
            I::setRateFeedCall::SELECTOR,
            "setRateFeed(address,address,uint64)",
        ),
        (
            I::setErc4626VaultCall::SELECTOR,
            "setErc4626Vault(address,address)",
        ),
        (
            I::setCapoSnapshotCall::SELECTOR,
            "setCapoSnapshot(address,uint256,uint64,uint256)",
        ),
        (
            I::setMarketFeedCall::SELECTOR,
            "setMarketFeed(address,address,uint64,uint8)",
        ),
        (
            I::setDepegParamsCall::SELECTOR,
            "setDepegParams(address,uint16,uint16,uint256)",
        ),
        (I::assessCall::SELECTOR, "assess(address)"),
        (I::assessManyCall::SELECTOR, "assessMany(address[])"),
        (I::assetConfigCall::SELECTOR, "assetConfig(address)"),
    ] {
        assert_eq!(selector[..], keccak256(signature)[..4], "{signature}");
    }
    // The contract's own `sol!` errors are the interface's.
    assert_eq!(
        keel_lst_depeg_guard::FundamentalStale::SELECTOR,
        I::FundamentalStale::SELECTOR
    );
    assert_eq!(
        keel_lst_depeg_guard::InvalidThresholds::SELECTOR,
        I::InvalidThresholds::SELECTOR
    );
    // Revert data written by hand decodes as the interface's error, fields included.
    let data: Vec<u8> = GuardError::from(keel_lst_depeg_guard::InvalidThresholds {
        warningBps: 7,
        depeggedBps: 9,
    })
    .into();
    assert_eq!(
        I::InvalidThresholds::abi_decode(&data).unwrap(),
        I::InvalidThresholds {
            warningBps: 7,
            depeggedBps: 9
        }
    );
    let data: Vec<u8> = GuardError::from(keel_lst_depeg_guard::MathOverflow {}).into();
    assert_eq!(data, I::MathOverflow::SELECTOR.to_vec());
    // An unknown selector reverts with empty data; value is refused by the SDK.
    let env = Env::new();
    env.host.set_sender(STRANGER);
    let vm = stylus_sdk::host::VM {
        host: Box::new(env.host.clone()),
    };
    assert_eq!(
        stylus_sdk::abi::router_entrypoint::<LstDepegGuard, LstDepegGuard>(vec![1, 2, 3, 4], vm),
        Err(vec![])
    );
}
