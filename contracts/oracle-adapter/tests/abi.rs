//! The contract against `abi/IOracleAdapter.sol`: the same functions, errors, events and
//! structs; every function of the file is routed; calldata is decoded as Solidity does.

mod common;
use std::collections::BTreeSet;

use alloy_primitives::{keccak256, Address, U256};
use alloy_sol_types::SolStruct;
use common::*;
use keel_oracle_adapter as adapter;

fn set<T: Ord + Clone>(items: &[T]) -> BTreeSet<T> {
    items.iter().cloned().collect()
}

#[test]
fn functions_match_the_interface_file() {
    let ours = [
        adapter::ownerCall::SELECTOR,
        adapter::pendingOwnerCall::SELECTOR,
        adapter::transferOwnershipCall::SELECTOR,
        adapter::acceptOwnershipCall::SELECTOR,
        adapter::setAssetCall::SELECTOR,
        adapter::removeAssetCall::SELECTOR,
        adapter::setSequencerFeedCall::SELECTOR,
        adapter::setGracePeriodCall::SELECTOR,
        adapter::setFeederCall::SELECTOR,
        adapter::setExpiryBoundsCall::SELECTOR,
        adapter::assetConfigCall::SELECTOR,
        adapter::expiryBoundsCall::SELECTOR,
        adapter::isFeederCall::SELECTOR,
        adapter::sequencerFeedCall::SELECTOR,
        adapter::gracePeriodCall::SELECTOR,
        adapter::getPriceCall::SELECTOR,
        adapter::getPricesCall::SELECTOR,
        adapter::sequencerStatusCall::SELECTOR,
        adapter::pushExpiryDataCall::SELECTOR,
        adapter::getExpiryDataCall::SELECTOR,
        adapter::settleCall::SELECTOR,
        adapter::settlementPriceCall::SELECTOR,
    ];
    assert_eq!(set(&ours), set(I::IOracleAdapterCalls::SELECTORS));
    assert_eq!(ours.len(), I::IOracleAdapterCalls::SELECTORS.len());
}

#[test]
fn errors_match_the_interface_file() {
    let ours: Vec<[u8; 4]> = adapter::ERROR_SIGNATURES
        .iter()
        .map(|s| keccak256(s)[..4].try_into().unwrap())
        .collect();
    assert_eq!(set(&ours), set(I::IOracleAdapterErrors::SELECTORS));
    assert_eq!(ours.len(), I::IOracleAdapterErrors::SELECTORS.len());
}

#[test]
fn events_match_the_interface_file() {
    use keel_stylus_common::ownable::{OwnershipTransferStarted, OwnershipTransferred};
    let ours = [
        OwnershipTransferStarted::SIGNATURE_HASH,
        OwnershipTransferred::SIGNATURE_HASH,
        adapter::AssetConfigured::SIGNATURE_HASH,
        adapter::AssetRemoved::SIGNATURE_HASH,
        adapter::SequencerFeedSet::SIGNATURE_HASH,
        adapter::GracePeriodSet::SIGNATURE_HASH,
        adapter::FeederSet::SIGNATURE_HASH,
        adapter::ExpiryBoundsSet::SIGNATURE_HASH,
        adapter::ExpiryDataPushed::SIGNATURE_HASH,
        adapter::SettlementPriceSet::SIGNATURE_HASH,
    ];
    let file: Vec<alloy_primitives::B256> = I::IOracleAdapterEvents::SELECTORS
        .iter()
        .map(|s| (*s).into())
        .collect();
    assert_eq!(set(&ours), set(&file));
}

#[test]
fn structs_match_the_interface_file() {
    assert_eq!(
        adapter::FeedConfig::eip712_encode_type(),
        I::FeedConfig::eip712_encode_type()
    );
    assert_eq!(
        adapter::ExpiryBounds::eip712_encode_type(),
        I::ExpiryBounds::eip712_encode_type()
    );
    assert_eq!(
        adapter::ExpiryData::eip712_encode_type(),
        I::ExpiryData::eip712_encode_type()
    );
    assert_eq!(
        adapter::PriceData::eip712_encode_type(),
        I::PriceData::eip712_encode_type()
    );
}

#[test]
fn every_function_of_the_file_is_routed() {
    let env = Env::configured();
    // All-zero arguments are a valid encoding of every function here (an empty array for
    // getPrices): a routed call succeeds or reverts with a named error, never with the empty
    // data of an unknown selector.
    for selector in I::IOracleAdapterCalls::SELECTORS {
        let mut calldata = selector.to_vec();
        calldata.extend_from_slice(&[0u8; 32 * 16]);
        let result = env.raw(OWNER, calldata);
        assert_ne!(result, Err(vec![]), "{selector:?} is not routed");
    }
}

#[test]
fn undecodable_calldata_reverts_with_empty_data() {
    let env = Env::configured();
    assert_eq!(env.raw(ALICE, vec![]), Err(vec![]));
    assert_eq!(env.raw(ALICE, vec![1, 2, 3]), Err(vec![]));
    assert_eq!(env.raw(ALICE, vec![0xde, 0xad, 0xbe, 0xef]), Err(vec![]));
    // Too short.
    let call = I::getPriceCall { asset: WETH }.abi_encode();
    assert_eq!(env.raw(ALICE, call[..35].to_vec()), Err(vec![]));
    // An address with high bits.
    let mut bad = call.clone();
    bad[4] = 1;
    assert_eq!(env.raw(ALICE, bad), Err(vec![]));
    // A bool other than 0 or 1.
    let mut bad = I::setFeederCall {
        feeder: FEEDER,
        allowed: true,
    }
    .abi_encode();
    bad[4 + 63] = 2;
    assert_eq!(env.raw(OWNER, bad), Err(vec![]));
    // A uint64 with high bits.
    let mut bad = I::setGracePeriodCall { gracePeriod: 600 }.abi_encode();
    bad[4 + 23] = 1;
    assert_eq!(env.raw(OWNER, bad), Err(vec![]));
    // Trailing data is ignored, as Solidity does.
    let mut long = call;
    long.extend_from_slice(&[7u8; 40]);
    assert!(env.raw(ALICE, long).is_ok());
}

#[test]
fn a_dynamic_array_must_lie_inside_the_calldata() {
    let env = Env::configured();
    let good = I::getPricesCall {
        assets: vec![WETH, WETH],
    }
    .abi_encode();
    assert!(env.raw(ALICE, good.clone()).is_ok());
    // Length beyond the data.
    let mut bad = good.clone();
    bad[4 + 32 + 31] = 200;
    assert_eq!(env.raw(ALICE, bad), Err(vec![]));
    // Offset beyond the data, or not word-aligned.
    for offset in [0x1000u32, 0x21] {
        let mut bad = good.clone();
        bad[4 + 28..4 + 32].copy_from_slice(&offset.to_be_bytes());
        assert_eq!(env.raw(ALICE, bad), Err(vec![]));
    }
    // Truncated last element.
    assert_eq!(env.raw(ALICE, good[..good.len() - 1].to_vec()), Err(vec![]));
}

#[test]
fn numbers_beyond_a_wad_are_wad_overflow_and_values_are_refused() {
    let env = Env::configured();
    let mut config = weth_config();
    config.maxDeviation = U256::from(1u8) << 200;
    assert_eq!(
        env.fail(
            OWNER,
            I::setAssetCall {
                asset: WETH,
                config
            }
        ),
        err(I::WadOverflow {})
    );
    // The contract is not payable.
    env.host.set_value(U256::from(1));
    assert!(env.price(WETH).is_err());
    env.host.set_value(U256::ZERO);
    assert!(env.price(WETH).is_ok());
}

#[test]
fn the_rust_methods_give_the_same_answers() {
    let env = Env::configured();
    let c = adapter::OracleAdapter::from(&env.host);
    let (reading, status) = c.get_price(WETH).unwrap();
    let abi = env.price(WETH).unwrap();
    assert_eq!(U256::from(reading.price.raw() as u128), abi.price);
    assert_eq!(U256::from(reading.confidence.raw() as u128), abi.confidence);
    assert_eq!(status as u8, abi.sequencer);
    assert_eq!(c.owner(), OWNER);
    assert_eq!(c.asset_config(WETH).settings.primary, PRIMARY);
    assert!(!c.settlement_price(WETH, 1).1);
    assert_eq!(c.sequencer_feed(), SEQUENCER);
    assert_eq!(c.expiry_bounds(Address::ZERO).heartbeat, 0);
}
