//! Deployment, two-step ownership, owner-only configuration with its bounds and events.

mod common;
use alloy_primitives::{Address, U256};
use common::*;

#[test]
fn deployment_sets_the_owner_once_with_the_default_grace_period() {
    let env = Env::bare();
    env.deploy(OWNER).unwrap();
    let e = env.event::<I::OwnershipTransferred>();
    assert_eq!((e.previousOwner, e.newOwner), (Address::ZERO, OWNER));
    assert_eq!(env.call(ALICE, I::ownerCall {}).unwrap(), OWNER);
    assert_eq!(env.call(ALICE, I::gracePeriodCall {}).unwrap(), 3600);
    // The SDK's constructor guard refuses a second run.
    assert!(env.deploy(ALICE).is_err());
    assert_eq!(env.call(ALICE, I::ownerCall {}).unwrap(), OWNER);
}

#[test]
fn deployment_refuses_the_zero_owner() {
    let env = Env::bare();
    assert_eq!(
        env.deploy(Address::ZERO).unwrap_err(),
        err(I::ZeroAddress {})
    );
}

#[test]
fn initialising_twice_is_already_initialized() {
    let env = Env::new();
    let mut c = keel_oracle_adapter::OracleAdapter::from(&env.host);
    assert_eq!(c.init(ALICE).unwrap_err().0, err(I::AlreadyInitialized {}));
}

#[test]
fn two_step_ownership_transfer() {
    let env = Env::new();
    env.clear_logs();
    assert_eq!(
        env.fail(ALICE, I::transferOwnershipCall { newOwner: ALICE }),
        err(I::Unauthorized { caller: ALICE })
    );
    env.call(OWNER, I::transferOwnershipCall { newOwner: ALICE })
        .unwrap();
    let e = env.event::<I::OwnershipTransferStarted>();
    assert_eq!((e.previousOwner, e.newOwner), (OWNER, ALICE));
    assert_eq!(env.call(ALICE, I::pendingOwnerCall {}).unwrap(), ALICE);
    assert_eq!(env.call(ALICE, I::ownerCall {}).unwrap(), OWNER);
    assert_eq!(
        env.fail(FEEDER, I::acceptOwnershipCall {}),
        err(I::NotPendingOwner { caller: FEEDER })
    );
    env.clear_logs();
    env.call(ALICE, I::acceptOwnershipCall {}).unwrap();
    let e = env.event::<I::OwnershipTransferred>();
    assert_eq!((e.previousOwner, e.newOwner), (OWNER, ALICE));
    assert_eq!(env.call(ALICE, I::ownerCall {}).unwrap(), ALICE);
    assert_eq!(
        env.call(ALICE, I::pendingOwnerCall {}).unwrap(),
        Address::ZERO
    );
    // The old owner lost every owner-only function.
    assert_eq!(
        env.fail(
            OWNER,
            I::setFeederCall {
                feeder: FEEDER,
                allowed: true
            }
        ),
        err(I::Unauthorized { caller: OWNER })
    );
    env.call(
        ALICE,
        I::setFeederCall {
            feeder: FEEDER,
            allowed: true,
        },
    )
    .unwrap();
}

#[test]
fn every_configuration_function_is_owner_only() {
    let env = Env::configured();
    let unauthorized = err(I::Unauthorized { caller: ALICE });
    let calls: Vec<Vec<u8>> = vec![
        I::setAssetCall {
            asset: WETH,
            config: weth_config(),
        }
        .abi_encode(),
        I::removeAssetCall { asset: WETH }.abi_encode(),
        I::setSequencerFeedCall { feed: SEQUENCER }.abi_encode(),
        I::setGracePeriodCall { gracePeriod: 600 }.abi_encode(),
        I::setFeederCall {
            feeder: ALICE,
            allowed: true,
        }
        .abi_encode(),
        I::setExpiryBoundsCall {
            underlying: WETH,
            bounds: bounds(),
        }
        .abi_encode(),
    ];
    for calldata in calls {
        assert_eq!(env.raw(ALICE, calldata.clone()).unwrap_err(), unauthorized);
        // The feeder is not the owner either.
        assert_eq!(
            env.raw(FEEDER, calldata).unwrap_err(),
            err(I::Unauthorized { caller: FEEDER })
        );
    }
    assert!(env.logs().is_empty());
}

fn bounds() -> I::ExpiryBounds {
    I::ExpiryBounds {
        minVol: wad("0.1"),
        maxVol: wad("3"),
        forwardBand: wad("0.1"),
        maxRate: wad("0.2"),
        heartbeat: 3600,
        confidenceFloor: wad("0.5"),
    }
}

#[test]
fn set_asset_reads_decimals_stores_and_emits() {
    let env = Env::new();
    env.host.mock_decimals(PRIMARY, 8);
    env.host.mock_decimals(SECONDARY, 18);
    env.clear_logs();
    env.call(
        OWNER,
        I::setAssetCall {
            asset: WETH,
            config: weth_config(),
        },
    )
    .unwrap();
    let e = env.event::<I::AssetConfigured>();
    assert_eq!(e.asset, WETH);
    assert_eq!(e.config, weth_config());
    assert_eq!((e.primaryDecimals, e.secondaryDecimals), (8, 18));
    let got = env.call(ALICE, I::assetConfigCall { asset: WETH }).unwrap();
    assert_eq!(got.config, weth_config());
    assert_eq!((got.primaryDecimals, got.secondaryDecimals), (8, 18));
}

#[test]
fn without_a_secondary_its_limit_is_stored_as_zero() {
    let env = Env::new();
    env.host.mock_decimals(PRIMARY, 6);
    let mut config = weth_config();
    config.secondary = Address::ZERO;
    config.secondaryStalenessLimit = 999;
    env.call(
        OWNER,
        I::setAssetCall {
            asset: WETH,
            config: config.clone(),
        },
    )
    .unwrap();
    let got = env.call(ALICE, I::assetConfigCall { asset: WETH }).unwrap();
    config.secondaryStalenessLimit = 0;
    assert_eq!(got.config, config);
    assert_eq!((got.primaryDecimals, got.secondaryDecimals), (6, 0));
}

#[test]
fn set_asset_bounds_and_feed_checks() {
    let env = Env::new();
    env.host.mock_decimals(PRIMARY, 8);
    env.host.mock_decimals(SECONDARY, 18);
    let invalid = err(I::InvalidOracleParameter {});
    let with = |f: &dyn Fn(&mut I::FeedConfig)| {
        let mut c = weth_config();
        f(&mut c);
        env.raw(
            OWNER,
            I::setAssetCall {
                asset: WETH,
                config: c,
            }
            .abi_encode(),
        )
    };
    assert_eq!(with(&|c| c.stalenessLimit = 0).unwrap_err(), invalid);
    assert_eq!(
        with(&|c| c.stalenessLimit = 7 * 86_400 + 1).unwrap_err(),
        invalid
    );
    assert_eq!(
        with(&|c| c.secondaryStalenessLimit = 0).unwrap_err(),
        invalid
    );
    assert_eq!(with(&|c| c.maxDeviation = U256::ZERO).unwrap_err(), invalid);
    assert_eq!(
        with(&|c| c.maxDeviation = wad("1.01")).unwrap_err(),
        invalid
    );
    assert_eq!(
        with(&|c| c.confidenceFloor = wad("1.01")).unwrap_err(),
        invalid
    );
    assert_eq!(
        with(&|c| c.confidenceFloor = U256::MAX).unwrap_err(),
        err(I::WadOverflow {})
    );
    assert_eq!(
        with(&|c| c.primary = Address::ZERO).unwrap_err(),
        err(I::ZeroAddress {})
    );
    assert!(with(&|c| c.stalenessLimit = 7 * 86_400).is_ok());
    assert_eq!(
        env.fail(
            OWNER,
            I::setAssetCall {
                asset: Address::ZERO,
                config: weth_config()
            }
        ),
        err(I::ZeroAddress {})
    );
    // A feed with 37 decimals, and feeds that do not answer decimals().
    env.host.mock_decimals(SECONDARY, 37);
    assert_eq!(
        with(&|_| ()).unwrap_err(),
        err(I::UnsupportedDecimals { decimals: 37 })
    );
    env.host.mock_decimals(SECONDARY, 36);
    assert!(with(&|_| ()).is_ok());
    assert_eq!(
        with(&|c| c.primary = ALICE).unwrap_err(),
        err(I::FeedMalformedReturn { feed: ALICE })
    );
    env.host.mock_static_call(
        FEEDER,
        keel_stylus_common::feed::DECIMALS_SELECTOR.to_vec(),
        Err(vec![]),
    );
    assert_eq!(
        with(&|c| c.secondary = FEEDER).unwrap_err(),
        err(I::FeedCallFailed { feed: FEEDER })
    );
}

#[test]
fn sequencer_feed_and_feeders_emit_and_read_back() {
    let env = Env::new();
    env.clear_logs();
    env.call(OWNER, I::setSequencerFeedCall { feed: SEQUENCER })
        .unwrap();
    assert_eq!(env.event::<I::SequencerFeedSet>().feed, SEQUENCER);
    assert_eq!(env.call(ALICE, I::sequencerFeedCall {}).unwrap(), SEQUENCER);
    env.clear_logs();
    env.call(
        OWNER,
        I::setFeederCall {
            feeder: FEEDER,
            allowed: true,
        },
    )
    .unwrap();
    let e = env.event::<I::FeederSet>();
    assert_eq!((e.feeder, e.allowed), (FEEDER, true));
    assert!(env
        .call(ALICE, I::isFeederCall { account: FEEDER })
        .unwrap());
    env.clear_logs();
    env.call(
        OWNER,
        I::setFeederCall {
            feeder: FEEDER,
            allowed: false,
        },
    )
    .unwrap();
    assert!(!env.event::<I::FeederSet>().allowed);
    assert!(!env
        .call(ALICE, I::isFeederCall { account: FEEDER })
        .unwrap());
    assert_eq!(
        env.fail(
            OWNER,
            I::setFeederCall {
                feeder: Address::ZERO,
                allowed: true
            }
        ),
        err(I::ZeroAddress {})
    );
}

#[test]
fn expiry_bounds_are_checked_stored_and_emitted() {
    let env = Env::new();
    env.clear_logs();
    env.call(
        OWNER,
        I::setExpiryBoundsCall {
            underlying: WETH,
            bounds: bounds(),
        },
    )
    .unwrap();
    let e = env.event::<I::ExpiryBoundsSet>();
    assert_eq!((e.underlying, e.bounds), (WETH, bounds()));
    assert_eq!(
        env.call(ALICE, I::expiryBoundsCall { underlying: WETH })
            .unwrap(),
        bounds()
    );
    let invalid = err(I::InvalidOracleParameter {});
    let with = |f: &dyn Fn(&mut I::ExpiryBounds)| {
        let mut b = bounds();
        f(&mut b);
        env.raw(
            OWNER,
            I::setExpiryBoundsCall {
                underlying: WETH,
                bounds: b,
            }
            .abi_encode(),
        )
    };
    assert_eq!(with(&|b| b.minVol = wad("3")).unwrap_err(), invalid);
    assert_eq!(with(&|b| b.maxVol = wad("10.5")).unwrap_err(), invalid);
    assert_eq!(with(&|b| b.forwardBand = U256::ZERO).unwrap_err(), invalid);
    assert_eq!(with(&|b| b.forwardBand = wad("1.5")).unwrap_err(), invalid);
    assert_eq!(with(&|b| b.maxRate = wad("1.5")).unwrap_err(), invalid);
    assert_eq!(with(&|b| b.heartbeat = 0).unwrap_err(), invalid);
    assert_eq!(with(&|b| b.heartbeat = 8 * 86_400).unwrap_err(), invalid);
    assert_eq!(
        with(&|b| b.confidenceFloor = wad("2")).unwrap_err(),
        invalid
    );
    assert_eq!(
        env.fail(
            OWNER,
            I::setExpiryBoundsCall {
                underlying: Address::ZERO,
                bounds: bounds()
            }
        ),
        err(I::ZeroAddress {})
    );
    // Unset bounds read as zero.
    assert_eq!(
        env.call(ALICE, I::expiryBoundsCall { underlying: WBTC })
            .unwrap()
            .heartbeat,
        0
    );
}
