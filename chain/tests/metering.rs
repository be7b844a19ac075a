//! Ink and gas figures, checked against hand arithmetic from Nitro's tables: `pricing_v1` per
//! opcode plus 2,450 ink per basic block, entry costs from Nitro's activation formulas, the
//! memory model, and EIP-2200/2929 storage gas.

mod common;

use common::*;
use keel_chain::TestChain;
use keel_stylus_host::alloy_primitives::keccak256;
use keel_stylus_host::alloy_primitives::U256;
use keel_stylus_host::Status;

/// Ink of one WORK loop iteration: local.get 75 + i32.const 1 + i32.sub 70 + local.tee 75 +
/// br_if 765, plus the 2,450 block header.
const LOOP_INK: u64 = 75 + 1 + 70 + 75 + 765 + 2450;

#[test]
fn the_same_call_twice_uses_the_same_ink() {
    let mut host = TestChain::new();
    let work = host.deploy(&wat(WORK)).unwrap();
    let a = call(&mut host, work, &[50]);
    let b = call(&mut host, work, &[50]);
    assert!(a.success && b.success);
    assert_eq!(a.ink_used, b.ink_used);
    assert_eq!(a.execution_gas, b.execution_gas);
}

#[test]
fn ink_grows_by_the_block_cost_of_each_iteration() {
    let mut host = TestChain::new();
    let work = host.deploy(&wat(WORK)).unwrap();
    let ten = call(&mut host, work, &[10]);
    let hundred = call(&mut host, work, &[100]);
    assert_eq!(hundred.ink_used - ten.ink_used, 90 * LOOP_INK);
    assert!(hundred.execution_gas > ten.execution_gas);
}

/// Nitro's activation-time prediction for a module with one `(i32) -> i32` function, no
/// globals, data or tables, `pages` of memory, `len` bytes long: (init, cached) gas.
fn entry_gas(len: u64, pages: u64) -> (u64, u64) {
    let (funcs, type_len, globals) = (1u64, 2u64, 4u64);
    let cached = funcs * 13420 / 100_000
        + type_len * 89 / 100_000
        + len * 122 / 100_000
        + globals * 1628 / 1000
        + pages * 5;
    let init = funcs * 8252 / 1000 + type_len * 1059 / 1000 + len * 1286 / 10_000;
    (69 * 128 + init, 11 * 32 + cached)
}

#[test]
fn a_trivial_program_costs_one_block_and_its_entry() {
    let mut host = TestChain::new();
    let wasm = wat::parse_str(NOTHING).unwrap();
    let nothing = host.deploy(&deployable(&wasm)).unwrap();
    let out = call(&mut host, nothing, &[]);
    assert!(out.success);
    // i32.const 1 + end 1 + header 2450.
    assert_eq!(out.ink_used, 2452);
    let (init, cached) = entry_gas(wasm.len() as u64, 1);
    // One page is within the two free pages; the 2,452 ink round up to one gas.
    assert_eq!(out.execution_gas, init + cached + 1);
    assert_eq!(out.intrinsic_gas, 21_000);
    assert_eq!(out.gas_used, 21_000 + init + cached + 1);
}

#[test]
fn memory_beyond_the_free_pages_costs_the_memory_model() {
    let mut host = TestChain::new();
    let one = wat::parse_str(NOTHING).unwrap();
    let three = wat::parse_str(NOTHING.replace("1 1)", "3 3)")).unwrap();
    assert_eq!(one.len(), three.len());
    let a = host.deploy(&deployable(&one)).unwrap();
    let b = host.deploy(&deployable(&three)).unwrap();
    let small = call(&mut host, a, &[]);
    let large = call(&mut host, b, &[]);
    // Three pages: one beyond the two free ones (1,000 gas linear, exp(3) − exp(0) = 0), and
    // 5 gas per page of footprint in the cached entry cost.
    assert_eq!(large.execution_gas - small.execution_gas, 1000 + 2 * 5);
}

#[test]
fn first_write_costs_a_fresh_slot_later_ones_a_reset() {
    let mut host = TestChain::new();
    let counter = host.deploy(&wat(COUNTER)).unwrap();
    let first = call(&mut host, counter, &[]);
    let second = call(&mut host, counter, &[]);
    assert!(first.success && second.success);
    // Both load the slot cold. Writing 0 → 1 costs 20,000 (the slot is already warm); writing
    // 1 → 2 costs 5,000 − 2,100. Everything else is identical.
    assert_eq!(first.execution_gas - second.execution_gas, 20_000 - 2_900);
    assert_eq!(first.ink_used - second.ink_used, (20_000 - 2_900) * 10_000);
}

#[test]
fn floats_are_priced_out() {
    let mut host = TestChain::new();
    let float = r#"
    (module
      (memory (export "memory") 1 1)
      (func (export "user_entrypoint") (param i32) (result i32)
        f64.const 1
        f64.const 2
        f64.add
        drop
        i32.const 0))
    "#;
    let f = host.deploy(&wat(float)).unwrap();
    let out = call(&mut host, f, &[]);
    assert_eq!(out.status, Status::OutOfGas);
    assert!(!out.success);
}

#[test]
fn gas_left_and_ink_left_report_the_meter() {
    let mut host = TestChain::new();
    let probe = r#"
    (module
      (import "vm_hooks" "evm_ink_left" (func $ink (result i64)))
      (import "vm_hooks" "evm_gas_left" (func $gas (result i64)))
      (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
      (memory (export "memory") 1 1)
      (func (export "user_entrypoint") (param i32) (result i32)
        (i64.store (i32.const 0) (call $ink))
        (i64.store (i32.const 8) (call $gas))
        (call $write_result (i32.const 0) (i32.const 16))
        (i32.const 0)))
    "#;
    let p = host.deploy(&wat(probe)).unwrap();
    let out = call(&mut host, p, &[]);
    let ink = u64::from_le_bytes(out.return_data[0..8].try_into().unwrap());
    let gas = u64::from_le_bytes(out.return_data[8..16].try_into().unwrap());
    // Between the two reads the program paid the next block (i64.store 950, i32.const 1,
    // call 3,800, header 2,450) and evm_gas_left's 8,400 ink.
    assert_eq!(gas, (ink - (950 + 1 + 3800 + 2450) - 8400) / 10_000);
    assert!(ink < (GAS - out.intrinsic_gas) * 10_000);
}

#[test]
fn a_cached_program_skips_the_init_gas() {
    let mut host = TestChain::new();
    let wasm = wat::parse_str(NOTHING).unwrap();
    let nothing = host.deploy(&deployable(&wasm)).unwrap();
    host.set_program_cached(nothing, true);
    let out = call(&mut host, nothing, &[]);
    let (_, cached) = entry_gas(wasm.len() as u64, 1);
    assert_eq!(out.execution_gas, cached + 1);
}

#[test]
fn clearing_a_slot_set_in_the_same_transaction_is_refunded_up_to_a_fifth() {
    use keel_stylus_host::NativeCall;
    use std::sync::Arc;
    let mut host = TestChain::new();
    let token = common::addr(0x42);
    host.install_native(
        token,
        Arc::new(|c: &mut NativeCall<'_>| {
            c.sstore(U256::from(1), U256::from(1));
            c.sstore(U256::from(1), U256::ZERO);
            Ok(Vec::new())
        }),
    );
    let out = call(&mut host, token, &[]);
    assert!(out.success);
    // Cold fresh set 2,100 + 20,000, then the dirty reset to the original 100 with a refund of
    // 20,000 − 100, capped at a fifth of everything used (21,000 intrinsic included).
    assert_eq!(out.execution_gas, 22_200);
    let used = 21_000 + 22_200;
    assert_eq!(out.refund, used / 5);
    assert_eq!(out.gas_used, used - used / 5);
    assert_eq!(host.storage(token, U256::from(1)), U256::ZERO);
}

/// WORK with its loop in a second function: function 0 is the import, 1 the loop, 2 the
/// entry point.
const WORK_IN_A_CALLEE: &str = r#"
(module
  (import "vm_hooks" "read_args" (func $read_args (param i32)))
  (memory (export "memory") 1 1)
  (func $spin (param $i i32)
    (loop $l
      local.get $i
      i32.const 1
      i32.sub
      local.tee $i
      br_if $l))
  (func (export "user_entrypoint") (param $len i32) (result i32)
    (call $read_args (i32.const 0))
    (call $spin (i32.load8_u (i32.const 0)))
    i32.const 0))
"#;

#[test]
fn profiling_attributes_ink_to_functions_and_leaves_gas_unchanged() {
    let code = wat(WORK_IN_A_CALLEE);
    let mut plain = TestChain::new();
    let mut profiled = TestChain::profiling();
    let (a, b) = (
        plain.deploy(&code).unwrap(),
        profiled.deploy(&code).unwrap(),
    );
    assert_eq!(plain.profile(a), None);
    let ten = call(&mut profiled, b, &[10]);
    assert_eq!(ten.execution_gas, call(&mut plain, a, &[10]).execution_gas);
    assert_eq!(ten.ink_used, call(&mut plain, a, &[10]).ink_used);
    let first = profiled.take_profile(b).expect("profiled");
    assert_eq!(first.len(), 3);
    assert_eq!(first[0], 0, "the import runs no WASM");
    // Every block is attributed once; the rest of the ink is host I/O (read_args).
    let blocks: u64 = first.iter().sum();
    assert!(
        blocks > 0 && blocks < ten.ink_used,
        "{blocks} vs {}",
        ten.ink_used
    );
    let hundred = call(&mut profiled, b, &[100]);
    let second = profiled.take_profile(b).expect("profiled");
    // The 90 extra iterations are the callee's; the entry point's own ink is unchanged.
    assert_eq!(second[1] - first[1], 90 * LOOP_INK);
    assert_eq!(second[2], first[2]);
    assert_eq!(hundred.ink_used - ten.ink_used, 90 * LOOP_INK);
    assert_eq!(profiled.profile(b), None, "taken");
}

/// An entry point with a branch on its first argument byte: zero returns at once, anything
/// else runs the callee first.
const BRANCHES: &str = r#"
(module
  (import "vm_hooks" "read_args" (func $read_args (param i32)))
  (memory (export "memory") 1 1)
  (func $callee (param $x i32) (result i32)
    local.get $x
    i32.const 1
    i32.add)
  (func (export "user_entrypoint") (param $len i32) (result i32)
    (call $read_args (i32.const 0))
    (if (i32.eqz (i32.load8_u (i32.const 0)))
      (then (return (i32.const 0))))
    (drop (call $callee (i32.const 7)))
    i32.const 0))
"#;

#[test]
fn coverage_records_the_blocks_each_call_ran_and_leaves_gas_unchanged() {
    let code = wat(BRANCHES);
    let mut plain = TestChain::new();
    let a = plain.deploy(&code).unwrap();
    let mut covered = plain.covering();
    let hash = keccak256(&code);
    assert!(
        plain.take_coverage().is_empty(),
        "a plain chain records none"
    );

    let zero = call(&mut covered, a, &[0]);
    assert_eq!(zero.execution_gas, call(&mut plain, a, &[0]).execution_gas);
    let first = covered.take_coverage().remove(&hash).expect("covered");
    let layout = covered.coverage_layout().remove(&hash).expect("compiled");
    // The callee is one block (its `end`); the entry point's blocks end at the read_args call,
    // the `if`, the `return`, the `end` of the `if`, the callee call and the final `end`.
    assert_eq!(layout, vec![1, 6]);
    // One word per function: the callee's never ran.
    assert_eq!(first, vec![0, 0b000111]);

    let one = call(&mut covered, a, &[1]);
    assert_eq!(one.execution_gas, call(&mut plain, a, &[1]).execution_gas);
    let second = covered.take_coverage().remove(&hash).expect("covered");
    // The `if` skipped: not its `return` nor the (dead) block its `end` closes; then the call,
    // the rest and the callee.
    assert_eq!(second, vec![1, 0b110011]);
    assert!(covered.take_coverage().is_empty(), "taken");
}

#[test]
fn a_trapping_frame_is_listed_in_the_outcome() {
    let code = wat(r#"
(module
  (memory (export "memory") 1 1)
  (func (export "user_entrypoint") (param $len i32) (result i32)
    unreachable))
"#);
    let mut host = TestChain::new();
    let a = host.deploy(&code).unwrap();
    let out = call(&mut host, a, &[]);
    assert!(!out.success);
    assert_eq!(out.failed_frames.len(), 1, "{:?}", out.failed_frames);
    assert_eq!(out.failed_frames[0].0, a);
    assert!(matches!(&out.failed_frames[0].1, Status::Failure(why) if why.contains("unreachable")));
    // A program that returns normally lists none.
    let fine = host.deploy(&wat(BRANCHES)).unwrap();
    assert!(call(&mut host, fine, &[0]).failed_frames.is_empty());
}
