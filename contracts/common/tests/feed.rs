//! The Chainlink feed reader on a TestVM host: decoding, named errors for failed and malformed
//! calls, selectors, and per-call mocks of several feeds.

use alloy_primitives::{keccak256, Address, I256, U256};
use alloy_sol_types::SolError;
use keel_stylus_common::feed::{
    decimals, decode_round, encode_round, get_round_data_calldata, latest_round, round_data,
    AggregatorV3Interface, FeedCallFailed, FeedMalformedReturn, DECIMALS_SELECTOR,
    GET_ROUND_DATA_SELECTOR, LATEST_ROUND_DATA_SELECTOR,
};
use keel_stylus_common::testing::{round, FeedHost};
use keel_stylus_common::{FeedError, Round};
use stylus_sdk::stylus_core::calls::Call;

const FEED: Address = Address::repeat_byte(0xfe);
const OTHER: Address = Address::repeat_byte(0xab);

fn call_failed(feed: Address) -> FeedError {
    FeedError::FeedCallFailed(FeedCallFailed { feed })
}
fn malformed(feed: Address) -> FeedError {
    FeedError::FeedMalformedReturn(FeedMalformedReturn { feed })
}

#[test]
fn selectors_are_chainlinks() {
    assert_eq!(DECIMALS_SELECTOR[..], keccak256("decimals()")[..4]);
    assert_eq!(
        LATEST_ROUND_DATA_SELECTOR[..],
        keccak256("latestRoundData()")[..4]
    );
    assert_eq!(
        GET_ROUND_DATA_SELECTOR[..],
        keccak256("getRoundData(uint80)")[..4]
    );
    assert_eq!(
        FeedCallFailed::SELECTOR[..],
        keccak256("FeedCallFailed(address)")[..4]
    );
    assert_eq!(
        FeedMalformedReturn::SELECTOR[..],
        keccak256("FeedMalformedReturn(address)")[..4]
    );
}

#[test]
fn latest_round_decodes_every_field() {
    let host = FeedHost::new();
    let r = Round {
        round_id: (2u128 << 64) | 77,
        answer: I256::try_from(-3_000_000_000_i64).unwrap(),
        started_at: 1_700_000_000,
        updated_at: 1_700_000_100,
        answered_in_round: (2u128 << 64) | 76,
    };
    host.mock_latest_round(FEED, &r);
    assert_eq!(latest_round(&host, FEED), Ok(r));
}

#[test]
fn a_revert_is_feed_call_failed_naming_the_feed() {
    let host = FeedHost::new();
    host.mock_latest_round_revert(FEED, b"no data".to_vec());
    assert_eq!(latest_round(&host, FEED), Err(call_failed(FEED)));
}

#[test]
fn short_or_out_of_range_returns_are_malformed() {
    let host = FeedHost::new();
    // An account without code answers a static call with empty data.
    assert_eq!(latest_round(&host, FEED), Err(malformed(FEED)));
    let good = encode_round(&round(5, 100, 10, 20));
    host.mock_static_call(
        FEED,
        LATEST_ROUND_DATA_SELECTOR.to_vec(),
        Ok(good[..159].to_vec()),
    );
    assert_eq!(latest_round(&host, FEED), Err(malformed(FEED)));
    // A round id word with a bit above bit 79 set is not a uint80.
    for word in [0usize, 4] {
        let mut bad = good.clone();
        bad[word * 32 + 21] = 1;
        host.mock_static_call(FEED, LATEST_ROUND_DATA_SELECTOR.to_vec(), Ok(bad));
        assert_eq!(latest_round(&host, FEED), Err(malformed(FEED)));
    }
    // The highest uint80 is fine, and trailing data is ignored.
    let mut edge = good.clone();
    edge[22..32].fill(0xff);
    edge.extend_from_slice(&[0u8; 32]);
    host.mock_static_call(FEED, LATEST_ROUND_DATA_SELECTOR.to_vec(), Ok(edge));
    assert_eq!(
        latest_round(&host, FEED).unwrap().round_id,
        (1u128 << 80) - 1
    );
}

#[test]
fn timestamps_beyond_u64_saturate_into_the_future() {
    let mut data = encode_round(&round(1, 1, 5, 6));
    data[2 * 32 + 3] = 1; // startedAt ≥ 2^224
    data[3 * 32 + 23] = 1; // updatedAt = 2^64 + 6
    let r = decode_round(&data).unwrap();
    assert_eq!((r.started_at, r.updated_at), (u64::MAX, u64::MAX));
}

#[test]
fn round_data_calls_get_round_data_with_the_id() {
    let host = FeedHost::new();
    let id = (3u128 << 64) | 9;
    let r = round(id, 4200, 1000, 1001);
    host.mock_round(FEED, &r);
    assert_eq!(round_data(&host, FEED, id), Ok(r));
    // Another id is not mocked: empty return, malformed.
    assert_eq!(round_data(&host, FEED, id + 1), Err(malformed(FEED)));
    // An id beyond uint80 is refused before calling.
    assert_eq!(round_data(&host, FEED, 1 << 80), Err(malformed(FEED)));
    // The calldata is the standard ABI encoding.
    let mut expected = GET_ROUND_DATA_SELECTOR.to_vec();
    expected.extend_from_slice(&U256::from(id).to_be_bytes::<32>());
    assert_eq!(get_round_data_calldata(id), expected);
}

#[test]
fn decimals_reads_a_uint8() {
    let host = FeedHost::new();
    host.mock_decimals(FEED, 8);
    host.mock_decimals(OTHER, 18);
    assert_eq!(decimals(&host, FEED), Ok(8));
    assert_eq!(decimals(&host, OTHER), Ok(18));
    host.mock_static_call(
        FEED,
        DECIMALS_SELECTOR.to_vec(),
        Ok(U256::from(256).to_be_bytes::<32>().to_vec()),
    );
    assert_eq!(decimals(&host, FEED), Err(malformed(FEED)));
    host.mock_static_call(FEED, DECIMALS_SELECTOR.to_vec(), Err(vec![]));
    assert_eq!(decimals(&host, FEED), Err(call_failed(FEED)));
    host.clear_static_calls();
    assert_eq!(decimals(&host, FEED), Err(malformed(FEED)));
}

#[test]
fn several_feeds_answer_their_own_mocks_in_one_host() {
    // stylus-test's TestVM would return the last-registered mock to every call.
    let host = FeedHost::new();
    host.mock_answer(FEED, 111, 10);
    host.mock_answer(OTHER, 222, 20);
    assert_eq!(
        latest_round(&host, FEED).unwrap().answer,
        I256::try_from(111).unwrap()
    );
    assert_eq!(
        latest_round(&host, OTHER).unwrap().answer,
        I256::try_from(222).unwrap()
    );
    assert_eq!(latest_round(&host, FEED).unwrap().updated_at, 10);
}

#[test]
fn the_sol_interface_binding_calls_the_same_feed() {
    let host = FeedHost::new();
    let r = round(7, 123_456, 50, 60);
    host.mock_latest_round(FEED, &r);
    host.mock_decimals(FEED, 8);
    let feed = AggregatorV3Interface::new(FEED);
    let (id, answer, started, updated, answered) =
        feed.latest_round_data(&host, Call::new()).unwrap();
    assert_eq!(u128::try_from(id).unwrap(), 7);
    assert_eq!(answer, r.answer);
    assert_eq!((started, updated), (U256::from(50), U256::from(60)));
    assert_eq!(u128::try_from(answered).unwrap(), 7);
    assert_eq!(feed.decimals(&host, Call::new()).unwrap(), 8);
}
