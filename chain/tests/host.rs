//! The host's own behaviour on small WAT contracts: storage persistence, rollback on revert,
//! nested and delegate calls, reentrancy, logs, value, context, creation, out-of-gas.

mod common;

use common::*;
use keel_chain::TestChain;
use keel_stylus_host::alloy_primitives::{keccak256, Address, B256, U256};
use keel_stylus_host::{create2_address, create_address, Status};

fn deploy(host: &mut TestChain, text: &str) -> Address {
    host.deploy(&wat(text)).expect("test contract deploys")
}

/// Calldata for CALLER: target, mode, inner calldata.
fn via(target: Address, mode: u8, inner: &[u8]) -> Vec<u8> {
    let mut data = target.to_vec();
    data.push(mode);
    data.extend_from_slice(inner);
    data
}

#[test]
fn storage_persists_across_calls() {
    let mut host = TestChain::new();
    let counter = deploy(&mut host, COUNTER);
    for expected in 1..=3u8 {
        let out = call(&mut host, counter, &[]);
        assert!(out.success, "{:?}", out.status);
        assert_eq!(small(&out.return_data), expected);
        assert_eq!(host.storage(counter, U256::ZERO), U256::from(expected));
    }
}

#[test]
fn a_reverted_transaction_keeps_nothing() {
    let mut host = TestChain::new();
    let counter = deploy(&mut host, COUNTER);
    assert!(call(&mut host, counter, &[]).success);
    let out = call(&mut host, counter, &[0xff]);
    assert!(!out.success);
    assert_eq!(out.status, Status::Revert);
    assert_eq!(out.return_data, b"nope");
    assert!(out.logs.is_empty(), "a reverted transaction has no logs");
    // The counter wrote 2 and flushed it before reverting: rolled back to 1.
    assert_eq!(host.storage(counter, U256::ZERO), U256::from(1));
}

#[test]
fn a_reverted_inner_call_rolls_back_only_the_callee() {
    let mut host = TestChain::new();
    let counter = deploy(&mut host, COUNTER);
    let caller = deploy(&mut host, CALLER);
    let out = call(&mut host, caller, &via(counter, 0, &[0xff]));
    assert!(out.success, "{:?}", out.status);
    // status 2 (failure) then the callee's revert data
    assert_eq!(out.return_data[0], 2);
    assert_eq!(&out.return_data[1..], b"nope");
    assert_eq!(host.storage(counter, U256::ZERO), U256::ZERO);
    assert_eq!(host.storage(caller, U256::from(1)), U256::from(1));
    // Only the caller's log survives.
    assert_eq!(out.logs.len(), 1);
    assert_eq!(out.logs[0].address, caller);
    assert_eq!(out.logs[0].topics, vec![B256::from(U256::from(1))]);
}

#[test]
fn nested_calls_return_data_and_keep_both_writes() {
    let mut host = TestChain::new();
    let counter = deploy(&mut host, COUNTER);
    let caller = deploy(&mut host, CALLER);
    let out = call(&mut host, caller, &via(counter, 0, &[]));
    assert!(out.success);
    assert_eq!(out.return_data[0], 0);
    assert_eq!(small(&out.return_data[1..]), 1);
    assert_eq!(host.storage(counter, U256::ZERO), U256::from(1));
    assert_eq!(host.storage(caller, U256::from(1)), U256::from(1));
    // Logs in execution order: caller first, then counter.
    let emitters: Vec<Address> = out.logs.iter().map(|l| l.address).collect();
    assert_eq!(emitters, vec![caller, counter]);
}

#[test]
fn delegate_call_runs_callee_code_on_caller_storage() {
    let mut host = TestChain::new();
    let counter = deploy(&mut host, COUNTER);
    let caller = deploy(&mut host, CALLER);
    let out = call(&mut host, caller, &via(counter, 1, &[]));
    assert!(out.success);
    assert_eq!(out.return_data[0], 0);
    assert_eq!(small(&out.return_data[1..]), 1);
    // COUNTER's slot 0 incremented in the caller's storage; the counter's own is untouched.
    assert_eq!(host.storage(caller, U256::ZERO), U256::from(1));
    assert_eq!(host.storage(counter, U256::ZERO), U256::ZERO);
    // The delegated code's log is the caller's.
    assert!(out.logs.iter().all(|l| l.address == caller));
    assert_eq!(out.logs.len(), 2);
}

#[test]
fn static_call_refuses_writes() {
    let mut host = TestChain::new();
    let counter = deploy(&mut host, COUNTER);
    let caller = deploy(&mut host, CALLER);
    let out = call(&mut host, caller, &via(counter, 2, &[]));
    assert!(out.success);
    assert_eq!(out.return_data, vec![2], "the callee failed, with no data");
    assert_eq!(host.storage(counter, U256::ZERO), U256::ZERO);
    // A static transaction into a writer fails too.
    let out = host.static_call(ALICE, counter, &[], GAS);
    assert!(!out.success);
    assert!(matches!(out.status, Status::Failure(_)), "{:?}", out.status);
}

#[test]
fn reentrancy_flag_counts_open_frames_of_the_same_contract() {
    let mut host = TestChain::new();
    let x = deploy(&mut host, CALLER);
    let y = deploy(&mut host, CALLER);
    // Direct: not reentrant.
    let out = call(&mut host, x, &via(Address::ZERO, 3, &[]));
    assert_eq!(out.return_data, vec![0]);
    // x → y → x: the inner x frame is reentrant.
    let inner_x = via(Address::ZERO, 3, &[]);
    let y_calls_x = via(x, 0, &inner_x);
    let out = call(&mut host, x, &via(y, 0, &y_calls_x));
    assert!(out.success);
    assert_eq!(out.return_data, vec![0, 0, 1]);
    // x → y, y reporting: y has one frame, not reentrant.
    let out = call(&mut host, x, &via(y, 0, &via(Address::ZERO, 3, &[])));
    assert_eq!(out.return_data, vec![0, 0]);
    // x delegate-calls y's code, which reports: a delegate frame adds no frame of x.
    let out = call(&mut host, x, &via(y, 1, &via(Address::ZERO, 3, &[])));
    assert_eq!(out.return_data, vec![0, 0]);
}

#[test]
fn logs_carry_topics_in_order() {
    let mut host = TestChain::new();
    let counter = deploy(&mut host, COUNTER);
    let out = call(&mut host, counter, &[]);
    assert_eq!(out.logs.len(), 1);
    let log = &out.logs[0];
    assert_eq!(log.address, counter);
    assert_eq!(log.topics, vec![B256::from(U256::from(1))]);
    assert!(log.data.is_empty());
    let out = call(&mut host, counter, &[]);
    assert_eq!(out.logs[0].topics, vec![B256::from(U256::from(2))]);
}

#[test]
fn out_of_gas_reverts_and_charges_everything() {
    let mut host = TestChain::new();
    let burner = deploy(&mut host, BURNER);
    let out = call(&mut host, burner, &[]);
    assert!(!out.success);
    assert_eq!(out.status, Status::OutOfGas);
    assert_eq!(
        out.execution_gas + out.intrinsic_gas,
        GAS,
        "all gas is consumed"
    );
    assert_eq!(out.gas_used, GAS);
    // The flushed write before the loop is rolled back.
    assert_eq!(host.storage(burner, U256::ZERO), U256::ZERO);
}

#[test]
fn an_inner_out_of_gas_leaves_the_caller_its_sixty_fourth() {
    let mut host = TestChain::new();
    let burner = deploy(&mut host, BURNER);
    let caller = deploy(&mut host, CALLER);
    let out = call(&mut host, caller, &via(burner, 0, &[]));
    assert!(out.success, "{:?}", out.status);
    assert_eq!(out.return_data, vec![2]);
    assert_eq!(host.storage(burner, U256::ZERO), U256::ZERO);
    assert_eq!(host.storage(caller, U256::from(1)), U256::from(1));
    // The callee burnt its 63/64; the caller finished on the rest.
    let available = GAS - out.intrinsic_gas;
    assert!(out.execution_gas > available * 63 / 64 - 100_000);
    assert!(out.execution_gas < available);
}

#[test]
fn too_little_gas_for_the_intrinsic_cost_fails_cleanly() {
    let mut host = TestChain::new();
    let counter = deploy(&mut host, COUNTER);
    let out = host.call(ALICE, counter, &[], U256::ZERO, 20_000);
    assert!(!out.success);
    assert_eq!(out.intrinsic_gas, 21_000);
    // Enough for the intrinsic cost but not the program's entry: out of gas.
    let out = host.call(ALICE, counter, &[], U256::ZERO, 21_500);
    assert_eq!(out.status, Status::OutOfGas);
    assert_eq!(host.storage(counter, U256::ZERO), U256::ZERO);
}

#[test]
fn value_moves_between_accounts_and_returns_on_failure() {
    let mut host = TestChain::new();
    let counter = deploy(&mut host, COUNTER);
    let caller = deploy(&mut host, CALLER);
    host.set_balance(ALICE, U256::from(5_000));
    // EOA → contract with value.
    let out = host.call(ALICE, caller, &via(counter, 0, &[]), U256::from(2_000), GAS);
    assert!(out.success);
    assert_eq!(host.balance(ALICE), U256::from(3_000));
    assert_eq!(host.balance(caller), U256::from(2_000));
    // contract → contract with 1000 wei (mode 4).
    let out = call(&mut host, caller, &via(counter, 4, &[]));
    assert!(out.success);
    assert_eq!(out.return_data[0], 0);
    assert_eq!(host.balance(caller), U256::from(1_000));
    assert_eq!(host.balance(counter), U256::from(1_000));
    // A callee that reverts sends the value back.
    let out = call(&mut host, caller, &via(counter, 4, &[0xff]));
    assert_eq!(out.return_data[0], 2);
    assert_eq!(host.balance(caller), U256::from(1_000));
    // A transaction whose sender cannot pay fails and moves nothing.
    let out = host.call(ALICE, caller, &[], U256::from(10_000), GAS);
    assert!(!out.success);
    assert_eq!(host.balance(ALICE), U256::from(3_000));
}

#[test]
fn context_reports_the_block_clock_and_the_message() {
    let mut host = TestChain::new();
    let ctx = deploy(&mut host, CONTEXT);
    let caller = deploy(&mut host, CALLER);
    // Within a year of activation (programs expire after 365 days, as on Arbitrum).
    host.set_timestamp(1_710_000_123);
    host.set_block_number(77);
    host.set_balance(ALICE, U256::from(9));
    let out = host.call(ALICE, ctx, &[], U256::from(9), GAS);
    assert!(out.success, "{:?}", out.status);
    let r = &out.return_data;
    let le = |i: usize| u64::from_le_bytes(r[i..i + 8].try_into().unwrap());
    assert_eq!(le(0), 1_710_000_123);
    assert_eq!(le(8), 77);
    assert_eq!(le(16), 42_161);
    assert_eq!(&r[24..44], ALICE.as_slice());
    assert_eq!(&r[44..64], ALICE.as_slice());
    assert_eq!(U256::from_be_slice(&r[64..96]), U256::from(9));
    assert_eq!(&r[96..116], ctx.as_slice());
    host.advance(60);
    // Through the caller: sender is the caller, origin stays ALICE.
    let out = call(&mut host, caller, &via(ctx, 0, &[]));
    let r = &out.return_data[1..];
    assert_eq!(
        u64::from_le_bytes(r[0..8].try_into().unwrap()),
        1_710_000_183
    );
    assert_eq!(u64::from_le_bytes(r[8..16].try_into().unwrap()), 78);
    assert_eq!(&r[24..44], caller.as_slice());
    assert_eq!(&r[44..64], ALICE.as_slice());
    // Delegated: the acting address and sender are the caller's.
    let out = call(&mut host, caller, &via(ctx, 1, &[]));
    let r = &out.return_data[1..];
    assert_eq!(&r[24..44], ALICE.as_slice());
    assert_eq!(&r[96..116], caller.as_slice());
}

#[test]
fn create_addresses_match_known_vectors() {
    let sender: Address = "0x6ac7ea33f8831ea9dcc53393aaa88b25a785dbf0"
        .parse()
        .unwrap();
    let expected = [
        "0xcd234a471b72ba2f1ccf0a70fcaba648a5eecd8d",
        "0x343c43a37d37dff08ae8c4a11544c718abb4fcf8",
        "0xf778b86fa74e846c4f0a1fbd1335fe81c00a0c91",
        "0xfffd933a0bc612844eaf0c6fe3e5b8e9b6c1d19c",
    ];
    for (nonce, e) in expected.iter().enumerate() {
        assert_eq!(
            create_address(sender, nonce as u64),
            e.parse::<Address>().unwrap()
        );
    }
    // EIP-1014, example 1.
    let a = create2_address(Address::ZERO, B256::ZERO, &[0x00]);
    assert_eq!(
        a,
        "0x4D1A2e2bB4F88F0250f26Ffff098B0b30B26BF38"
            .parse::<Address>()
            .unwrap()
    );
}

/// Keel's data-contract init code (keel-vault-margin's `DATA_INIT_PREFIX`): copies its tail
/// and returns it as the new contract's code.
const DATA_INIT_PREFIX: [u8; 13] = [
    0x60, 0x0d, 0x80, 0x38, 0x03, 0x80, 0x91, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3,
];

#[test]
fn create1_deploys_a_data_contract_readable_by_account_code() {
    let mut host = TestChain::new();
    let creator = deploy(&mut host, CREATOR);
    let reader = deploy(&mut host, CODE_READER);
    let runtime: Vec<u8> = [vec![0x00], (1..=200u8).collect()].concat();
    let init = [DATA_INIT_PREFIX.to_vec(), runtime.clone()].concat();
    let creation = call(&mut host, creator, &init);
    assert!(creation.success, "{:?}", creation.status);
    let created = Address::from_slice(&creation.return_data[..20]);
    // A contract's first creation uses nonce 1 (EIP-161).
    assert_eq!(created, create_address(creator, 1));
    assert_eq!(host.code(created), runtime);
    assert_eq!(host.nonce(created), 1);
    assert_eq!(host.nonce(creator), 2);
    let out = call(&mut host, reader, created.as_slice());
    assert_eq!(out.return_data, runtime);
    // Calling the data contract runs its leading STOP.
    let out = call(&mut host, created, &[1, 2, 3]);
    assert!(out.success);
    assert!(out.return_data.is_empty());
    // Creation costs at least CREATE + 200 per deposited byte.
    assert!(creation.execution_gas > 32_000 + 200 * runtime.len() as u64);
}

#[test]
fn create1_runs_evm_init_code_and_hands_back_revert_data() {
    let mut host = TestChain::new();
    let creator = deploy(&mut host, CREATOR);
    // CALLER STOP: any EVM init code runs (revm's interpreter); it deploys empty code.
    let out = call(&mut host, creator, &[0x33, 0x00]);
    assert!(out.success);
    let created = Address::from_slice(&out.return_data[..20]);
    assert_eq!(created, create_address(creator, 1));
    assert!(host.code(created).is_empty());
    assert_eq!(host.nonce(created), 1);
    // Init code that reverts with 4 bytes: no address, the revert data's length reported.
    let revert = [0x60, 0x04, 0x60, 0x00, 0xfd]; // PUSH1 4 PUSH1 0 REVERT
    let out = call(&mut host, creator, &revert);
    assert_eq!(&out.return_data[..20], Address::ZERO.as_slice());
    assert_eq!(
        u32::from_le_bytes(out.return_data[20..24].try_into().unwrap()),
        4
    );
    assert_eq!(
        host.nonce(creator),
        3,
        "a failed creation still uses a nonce"
    );
}

#[test]
fn a_native_stand_in_answers_calls_and_rolls_back_with_its_caller() {
    use keel_stylus_host::NativeCall;
    use std::sync::Arc;
    let mut host = TestChain::new();
    let native = addr(0x77);
    // Stores the calldata's first byte in slot 5, logs, and echoes keccak(calldata);
    // reverts when the byte is 0xff.
    host.install_native(
        native,
        Arc::new(|c: &mut NativeCall<'_>| {
            let b = c.calldata().first().copied().unwrap_or(0);
            c.sstore(U256::from(5), U256::from(b));
            c.log(&[B256::repeat_byte(0xee)], &[b]);
            if b == 0xff {
                return Err(b"native says no".to_vec());
            }
            Ok(keccak256(c.calldata()).to_vec())
        }),
    );
    let caller = deploy(&mut host, CALLER);
    let out = call(&mut host, caller, &via(native, 0, &[9, 9]));
    assert!(out.success);
    assert_eq!(out.return_data[0], 0);
    assert_eq!(&out.return_data[1..], keccak256([9u8, 9]).as_slice());
    assert_eq!(host.storage(native, U256::from(5)), U256::from(9));
    assert_eq!(out.logs.len(), 2);
    assert_eq!(out.logs[1].address, native);
    let out = call(&mut host, caller, &via(native, 0, &[0xff]));
    assert_eq!(out.return_data[0], 2);
    assert_eq!(&out.return_data[1..], b"native says no");
    assert_eq!(host.storage(native, U256::from(5)), U256::from(9));
    // Native code pays EVM storage gas: a fresh SSTORE of a non-zero value costs 22,100.
    let fresh = addr(0x78);
    host.install_native(
        fresh,
        Arc::new(|c: &mut NativeCall<'_>| {
            c.sstore(U256::from(1), U256::from(1));
            Ok(Vec::new())
        }),
    );
    let out = call(&mut host, fresh, &[]);
    assert_eq!(out.execution_gas, 20_000 + 2_100);
}

#[test]
fn a_native_stand_in_can_call_back_reentrantly() {
    use keel_stylus_host::NativeCall;
    use std::sync::Arc;
    let mut host = TestChain::new();
    let x = deploy(&mut host, CALLER);
    let native = addr(0x79);
    // Calls back into x asking for its reentrancy flag, returns x's answer.
    host.install_native(
        native,
        Arc::new(move |c: &mut NativeCall<'_>| {
            let r = c.call(x, &via(Address::ZERO, 3, &[]), U256::ZERO);
            if r.success {
                Ok(r.data)
            } else {
                Err(r.data)
            }
        }),
    );
    let out = call(&mut host, x, &via(native, 0, &[]));
    assert!(out.success);
    assert_eq!(out.return_data, vec![0, 1]);
}

#[test]
fn a_fork_evolves_independently() {
    let mut host = TestChain::new();
    let counter = deploy(&mut host, COUNTER);
    assert!(call(&mut host, counter, &[]).success);
    let mut fork = host.fork();
    assert!(call(&mut fork, counter, &[]).success);
    assert!(call(&mut fork, counter, &[]).success);
    assert_eq!(fork.storage(counter, U256::ZERO), U256::from(3));
    assert_eq!(host.storage(counter, U256::ZERO), U256::from(1));
    fork.set_timestamp(5);
    assert_ne!(host.timestamp(), 5);
}

#[test]
fn the_gas_tally_counts_storage_calls_and_entries() {
    let mut host = TestChain::new();
    let counter = deploy(&mut host, COUNTER);
    let caller = deploy(&mut host, CALLER);
    let first = call(&mut host, caller, &via(counter, 0, &[]));
    assert!(first.success, "{:?}", first.status);
    let t = first.tally;
    // Each program reads its one slot (cold) and writes it from zero (EIP-2929/2200).
    assert_eq!((t.sloads, t.sload_gas), (2, 2 * 2_100));
    assert_eq!((t.sstores, t.sstore_gas), (2, 2 * 20_000));
    // One call to a cold account.
    assert_eq!((t.calls, t.access_gas), (1, 2_600));
    assert_eq!(t.entries, 2);
    // Second time the slots are non-zero: a reset write each (5,000 less the cold read).
    let second = call(&mut host, caller, &via(counter, 0, &[]));
    assert_eq!(
        (second.tally.sstores, second.tally.sstore_gas),
        (2, 2 * 2_900)
    );
    // Cached programs skip exactly their init cost on entry.
    let init: u64 = [counter, caller]
        .iter()
        .map(|a| host.program_costs(*a).expect("activated").init_gas())
        .sum();
    host.set_program_cached(counter, true);
    host.set_program_cached(caller, true);
    let cached = call(&mut host, caller, &via(counter, 0, &[]));
    assert_eq!(second.tally.entry_gas - cached.tally.entry_gas, init);
    // Everything the tally counts is part of the execution gas.
    let evm = t.sload_gas + t.sstore_gas + t.access_gas + t.entry_gas;
    assert!(evm < first.execution_gas);
}
