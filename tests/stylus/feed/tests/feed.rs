//! The test feed on stylus-sdk's TestVM: rounds appended from 1, `latestRoundData` and
//! `getRoundData`, unknown rounds, phases, and the feed through its ABI router (the
//! selectors the oracle adapter and the depeg guard call).

use alloy_primitives::{aliases::U80, Address, I256, U256};
use alloy_sol_types::{sol, SolCall, SolError};
use keel_test_feed::{round_id, FeedError, NoDataPresent, PhaseNotIncreasing, TestFeed};
use stylus_sdk::abi::router_entrypoint;
use stylus_sdk::host::VM;
use stylus_sdk::testing::TestVM;

sol! {
    function decimals() external view returns (uint8);
    function latestRoundData() external view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
    function getRoundData(uint80 roundId) external view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
    function setRound(int256 answer, uint256 startedAt, uint256 updatedAt) external returns (uint80);
}

fn feed(vm: &TestVM, decimals: u8) -> TestFeed {
    let mut f = TestFeed::from(vm);
    f.constructor(decimals);
    f
}

fn i(x: i64) -> I256 {
    I256::try_from(x).unwrap()
}

fn n(x: u64) -> U256 {
    U256::from(x)
}

#[test]
fn rounds_count_from_one_and_answer_in_their_own_round() {
    let vm = TestVM::new();
    let mut f = feed(&vm, 8);
    assert_eq!(f.decimals(), 8);
    assert_eq!(
        f.latest_round_data(),
        Err(FeedError::NoDataPresent(NoDataPresent {})),
        "no round yet"
    );
    assert_eq!(
        f.set_round(i(200_000_000_000), n(100), n(110)),
        U80::from(1)
    );
    assert_eq!(f.set_round(i(-5), n(200), n(210)), U80::from(2));
    let latest = f.latest_round_data().unwrap();
    assert_eq!(latest, (U80::from(2), i(-5), n(200), n(210), U80::from(2)));
    assert_eq!(
        f.get_round_data(U80::from(1)).unwrap(),
        (
            U80::from(1),
            i(200_000_000_000),
            n(100),
            n(110),
            U80::from(1)
        )
    );
    for unknown in [0u64, 3, 1 << 40] {
        assert_eq!(
            f.get_round_data(U80::from(unknown)),
            Err(FeedError::NoDataPresent(NoDataPresent {})),
            "round {unknown}"
        );
    }
    assert_eq!(f.version(), n(4));
    assert_eq!(f.description(), "keel test feed");
}

#[test]
fn a_new_phase_restarts_the_aggregator_round() {
    let vm = TestVM::new();
    let mut f = feed(&vm, 18);
    f.set_round(i(1), n(1), n(1));
    f.set_round(i(2), n(2), n(2));
    f.start_phase(2).unwrap();
    assert_eq!(f.phase_id(), 2);
    assert!(
        f.latest_round_data().is_err(),
        "the new phase has no round yet"
    );
    let first = f.set_round(i(3), n(3), n(3));
    assert_eq!(first, U80::from(round_id(2, 1)));
    assert_eq!(round_id(2, 1), (2u128 << 64) | 1);
    assert_eq!(f.latest_round_data().unwrap().1, i(3));
    // Earlier phases stay readable, as through Chainlink's proxies.
    assert_eq!(f.get_round_data(U80::from(2)).unwrap().1, i(2));
    assert_eq!(
        f.start_phase(2),
        Err(FeedError::PhaseNotIncreasing(PhaseNotIncreasing {
            current: 2,
            requested: 2,
        }))
    );
}

#[test]
fn sequencer_uptime_rounds() {
    // Answer 0 = up, 1 = down, startedAt = since when.
    let vm = TestVM::new();
    let mut f = feed(&vm, 0);
    f.set_round(i(0), n(1_000), n(1_000));
    f.set_round(i(1), n(5_000), n(5_000));
    let (_, answer, since, _, _) = f.latest_round_data().unwrap();
    assert_eq!((answer, since), (i(1), n(5_000)));
}

/// One call through the contract's ABI router, as a caller's calldata reaches it.
fn route(vm: &TestVM, calldata: Vec<u8>) -> Result<Vec<u8>, Vec<u8>> {
    vm.set_value(U256::ZERO);
    router_entrypoint::<TestFeed, TestFeed>(
        calldata,
        VM {
            host: Box::new(vm.clone()),
        },
    )
    .map(|out| out.to_vec())
}

#[test]
fn the_router_serves_the_aggregator_interface() {
    let vm = TestVM::new();
    vm.set_sender(Address::repeat_byte(1));
    feed(&vm, 8);
    let out = route(
        &vm,
        setRoundCall {
            answer: i(123),
            startedAt: n(7),
            updatedAt: n(8),
        }
        .abi_encode(),
    )
    .unwrap();
    assert_eq!(
        setRoundCall::abi_decode_returns(&out).unwrap(),
        U80::from(1)
    );
    let out = route(&vm, decimalsCall {}.abi_encode()).unwrap();
    assert_eq!(decimalsCall::abi_decode_returns(&out).unwrap(), 8);
    let out = route(&vm, latestRoundDataCall {}.abi_encode()).unwrap();
    let r = latestRoundDataCall::abi_decode_returns(&out).unwrap();
    assert_eq!(
        (
            r.roundId,
            r.answer,
            r.startedAt,
            r.updatedAt,
            r.answeredInRound
        ),
        (U80::from(1), i(123), n(7), n(8), U80::from(1))
    );
    let err = route(
        &vm,
        getRoundDataCall {
            roundId: U80::from(9),
        }
        .abi_encode(),
    )
    .unwrap_err();
    assert_eq!(err, NoDataPresent {}.abi_encode());
}
