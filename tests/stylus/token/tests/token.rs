//! The test token on stylus-sdk's TestVM: minting, transfers and allowances, the fee on
//! transfer, the hook and its recorded result, and the events.

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::SolEvent;
use keel_test_token::{
    Approval, FeeTooHigh, InsufficientAllowance, InsufficientBalance, TestToken, TokenError,
    Transfer,
};
use stylus_sdk::testing::TestVM;

const ALICE: Address = Address::repeat_byte(0xa1);
const BOB: Address = Address::repeat_byte(0xb0);
const SPENDER: Address = Address::repeat_byte(0x5e);
const HOOK: Address = Address::repeat_byte(0x4c);

fn token(vm: &TestVM, decimals: u8) -> TestToken {
    let mut t = TestToken::from(vm);
    t.constructor(decimals);
    t
}

fn n(x: u64) -> U256 {
    U256::from(x)
}

/// The `Transfer` events logged since the last call, as (from, to, value).
fn transfers(vm: &TestVM) -> Vec<(Address, Address, U256)> {
    vm.get_emitted_logs()
        .into_iter()
        .filter(|(topics, _)| topics.first() == Some(&Transfer::SIGNATURE_HASH))
        .map(|(topics, data)| {
            let e = Transfer::decode_raw_log(topics.iter().copied(), &data).expect("Transfer");
            (e.from, e.to, e.value)
        })
        .collect()
}

#[test]
fn mint_transfer_and_balances() {
    let vm = TestVM::new();
    let mut t = token(&vm, 6);
    assert_eq!(t.decimals(), 6);
    vm.set_sender(BOB);
    t.mint(ALICE, n(1_000)).unwrap();
    assert_eq!(t.balance_of(ALICE), n(1_000));
    assert_eq!(t.total_supply(), n(1_000));
    assert_eq!(transfers(&vm), vec![(Address::ZERO, ALICE, n(1_000))]);

    vm.set_sender(ALICE);
    assert!(t.transfer(BOB, n(300)).unwrap());
    assert_eq!((t.balance_of(ALICE), t.balance_of(BOB)), (n(700), n(300)));
    assert_eq!(t.total_supply(), n(1_000));
    assert_eq!(
        t.transfer(BOB, n(701)),
        Err(TokenError::InsufficientBalance(InsufficientBalance {
            account: ALICE,
            balance: n(700),
            needed: n(701),
        }))
    );
    assert_eq!(
        t.balance_of(ALICE),
        n(700),
        "a failed transfer moves nothing"
    );
}

#[test]
fn allowances_are_spent_unless_infinite() {
    let vm = TestVM::new();
    let mut t = token(&vm, 18);
    t.mint(ALICE, n(1_000)).unwrap();
    vm.set_sender(ALICE);
    assert!(t.approve(SPENDER, n(400)));
    let approval = vm
        .get_emitted_logs()
        .into_iter()
        .find(|(topics, _)| topics.first() == Some(&Approval::SIGNATURE_HASH))
        .expect("Approval logged");
    let e = Approval::decode_raw_log(approval.0.iter().copied(), &approval.1).unwrap();
    assert_eq!((e.owner, e.spender, e.value), (ALICE, SPENDER, n(400)));

    vm.set_sender(SPENDER);
    assert!(t.transfer_from(ALICE, BOB, n(150)).unwrap());
    assert_eq!(t.allowance(ALICE, SPENDER), n(250));
    assert_eq!(
        t.transfer_from(ALICE, BOB, n(251)),
        Err(TokenError::InsufficientAllowance(InsufficientAllowance {
            spender: SPENDER,
            allowance: n(250),
            needed: n(251),
        }))
    );
    // Another spender has no allowance at all.
    vm.set_sender(BOB);
    assert!(t.transfer_from(ALICE, BOB, n(1)).is_err());

    vm.set_sender(ALICE);
    t.approve(SPENDER, U256::MAX);
    vm.set_sender(SPENDER);
    t.transfer_from(ALICE, BOB, n(500)).unwrap();
    assert_eq!(
        t.allowance(ALICE, SPENDER),
        U256::MAX,
        "infinite stays infinite"
    );
    assert_eq!((t.balance_of(ALICE), t.balance_of(BOB)), (n(350), n(650)));
    // An allowance does not let the spender move more than the balance.
    assert!(matches!(
        t.transfer_from(ALICE, BOB, n(351)),
        Err(TokenError::InsufficientBalance(_))
    ));
}

#[test]
fn fee_on_transfer_is_burned() {
    let vm = TestVM::new();
    let mut t = token(&vm, 6);
    t.mint(ALICE, n(1_000_000)).unwrap();
    t.set_fee(250).unwrap(); // 2.5 %
    assert_eq!(t.fee(), 250);
    vm.set_sender(ALICE);
    vm.clear_mocks();
    t.transfer(BOB, n(10_000)).unwrap();
    assert_eq!(
        t.balance_of(ALICE),
        n(990_000),
        "the sender pays the amount"
    );
    assert_eq!(
        t.balance_of(BOB),
        n(9_750),
        "the recipient gets amount − fee"
    );
    assert_eq!(t.total_supply(), n(999_750), "the fee is burned");
    assert_eq!(
        transfers(&vm),
        vec![(ALICE, BOB, n(9_750)), (ALICE, Address::ZERO, n(250))]
    );
    // The same on transferFrom; a fee that rounds to zero logs no burn.
    t.approve(SPENDER, n(1_000));
    vm.set_sender(SPENDER);
    vm.clear_mocks();
    t.transfer_from(ALICE, BOB, n(39)).unwrap();
    assert_eq!(t.balance_of(BOB), n(9_789));
    assert_eq!(transfers(&vm), vec![(ALICE, BOB, n(39))]);
    assert_eq!(
        t.set_fee(10_001),
        Err(TokenError::FeeTooHigh(FeeTooHigh { bps: 10_001 }))
    );
    t.set_fee(0).unwrap();
    t.transfer_from(ALICE, BOB, n(100)).unwrap();
    assert_eq!(t.balance_of(BOB), n(9_889));
}

#[test]
fn hook_runs_after_each_transfer_and_a_failure_does_not_revert_it() {
    let vm = TestVM::new();
    let mut t = token(&vm, 18);
    t.mint(ALICE, n(1_000)).unwrap();
    let calldata = Bytes::from(vec![0xde, 0xad, 0xbe, 0xef]);
    t.set_hook(HOOK, calldata.clone());
    assert_eq!(t.hook(), (HOOK, calldata.clone()));
    assert_eq!(t.last_hook_result(), (false, Bytes::new()));

    // A reverting hook: the transfer stands, the revert data is recorded.
    let refusal = B256::repeat_byte(0x37).to_vec();
    vm.mock_call(HOOK, calldata.to_vec(), U256::ZERO, Err(refusal.clone()));
    vm.set_sender(ALICE);
    assert!(t.transfer(BOB, n(10)).unwrap());
    assert_eq!(t.balance_of(BOB), n(10));
    assert_eq!(t.last_hook_result(), (false, Bytes::from(refusal)));
    assert_eq!(t.hook_calls(), n(1));

    // A succeeding hook on transferFrom: its return data is recorded.
    vm.mock_call(HOOK, calldata.to_vec(), U256::ZERO, Ok(vec![1, 2, 3]));
    t.approve(SPENDER, n(10));
    vm.set_sender(SPENDER);
    t.transfer_from(ALICE, BOB, n(5)).unwrap();
    assert_eq!(t.last_hook_result(), (true, Bytes::from(vec![1, 2, 3])));
    assert_eq!(t.hook_calls(), n(2));

    // Minting and approving do not run it; removing it stops it.
    t.mint(ALICE, n(1)).unwrap();
    t.approve(BOB, n(1));
    assert_eq!(t.hook_calls(), n(2));
    t.set_hook(Address::ZERO, Bytes::new());
    vm.set_sender(ALICE);
    t.transfer(BOB, n(1)).unwrap();
    assert_eq!(t.hook_calls(), n(2));
    assert_eq!(t.last_hook_result(), (false, Bytes::new()));
}
