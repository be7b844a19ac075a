//! Nitro's stack-depth checker and the ArbOS-version rules: a frame's budget of
//! `MaxStackDepth` words, each function entry taking its worst-case frame, the out-of-stack
//! failure consuming all gas, and the recent-program entry discount only from ArbOS 60.

mod common;

use common::*;
use keel_chain::{DeployError, TestChain};
use keel_stylus_host::alloy_primitives::U256;
use keel_stylus_host::meter::OUT_OF_STACK;
use keel_stylus_host::pricing::{max_stack_depth, DEFAULT_ARBOS_VERSION};
use keel_stylus_host::{CodeError, Status};

/// Recurses as deep as the calldata is long: `rec(n)` calls `rec(n − 1)` down to `rec(0)`,
/// so calldata of `n` bytes makes `n + 1` frames of `rec` under the entry point's.
///
/// Frames as Nitro's depth checker sizes them (the *metered* code: every basic block starts
/// with the ink header, whose `global.get; i64.const` puts 2 values on an empty stack):
/// * `user_entrypoint`: blocks `[local.get, call]`, `[i32.const, end]`; deepest operand
///   stack 2 (the headers), no declared locals: 2 + 0 + 4 = 6 words;
/// * `rec`: blocks `[local.get, if]`, `[local.get, i32.const, i32.sub, call]`, `[end]`,
///   `[end]`; deepest 2 (the headers, and `local.get; i32.const`), three declared locals (its
///   parameter is not counted): 2 + 3 + 4 = 9 words.
const RECURSE: &str = r#"
(module
  (memory (export "memory") 1 1)
  (func $rec (param $n i32) (local i64 i64 i64)
    local.get $n
    if
      local.get $n
      i32.const 1
      i32.sub
      call $rec
    end)
  (func (export "user_entrypoint") (param $len i32) (result i32)
    local.get $len
    call $rec
    i32.const 0))
"#;
const ENTRY_FRAME: u32 = 6;
const REC_FRAME: u32 = 9;

/// The deepest recursion that fits the ArbOS 50+ budget of 22,000 words. An entry needs
/// *more* than its frame left: after the entry point 21,994 remain, and the k-th `rec`
/// frame (k from 0) enters while 21,994 − 9k > 9, i.e. for k ≤ 2,442: 2,443 frames, so
/// `n` = 2,442 fits and 2,443 runs out of stack.
const DEEPEST_FITTING: usize = 2_442;

fn recurse(
    host: &mut TestChain,
    program: keel_stylus_host::alloy_primitives::Address,
    n: usize,
) -> keel_chain::Outcome {
    host.call(ALICE, program, &vec![0u8; n], U256::ZERO, GAS)
}

#[test]
fn the_budget_is_22000_words_from_arbos_50() {
    assert_eq!(DEFAULT_ARBOS_VERSION, 51);
    assert_eq!(max_stack_depth(51), 22_000);
    assert_eq!(max_stack_depth(50), 22_000);
    assert_eq!(max_stack_depth(49), 4 * 65_536);
    assert_eq!(
        ENTRY_FRAME + REC_FRAME * (DEEPEST_FITTING as u32 + 1) + 7,
        22_000,
        "7 words are left after the deepest fitting recursion, fewer than a tenth frame needs"
    );
}

#[test]
fn recursion_within_the_budget_succeeds_and_reports_its_depth() {
    let mut host = TestChain::new();
    let program = host.deploy(&wat(RECURSE)).expect("deploys");
    let out = recurse(&mut host, program, DEEPEST_FITTING);
    assert!(out.success, "{:?}", out.status);
    let frames = DEEPEST_FITTING as u32 + 1;
    assert_eq!(out.deepest_stack, ENTRY_FRAME + REC_FRAME * frames);
    assert_eq!(host.deepest_stack(), 21_993);
    // Shallow calls report their own depth; the host keeps its high-water mark.
    let shallow = recurse(&mut host, program, 2);
    assert!(shallow.success);
    assert_eq!(shallow.deepest_stack, ENTRY_FRAME + REC_FRAME * 3);
    assert_eq!(host.deepest_stack(), 21_993);
}

#[test]
fn one_frame_more_runs_out_of_stack_and_consumes_all_gas() {
    let mut host = TestChain::new();
    let program = host.deploy(&wat(RECURSE)).expect("deploys");
    let out = recurse(&mut host, program, DEEPEST_FITTING + 1);
    assert_eq!(out.status, Status::Failure(OUT_OF_STACK.into()));
    assert!(!out.success);
    // Nitro: ink 0 and geth's ErrDepth, which is no revert: the whole gas limit is used.
    assert_eq!(out.execution_gas, GAS - out.intrinsic_gas);
    assert_eq!(out.gas_used, GAS);
    // The budget was used up to the last frame that fitted.
    assert_eq!(out.deepest_stack, 21_993);
}

#[test]
fn before_arbos_50_the_budget_is_larger() {
    let mut host = TestChain::new();
    host.set_arbos_version(49);
    assert_eq!(host.arbos_version(), 49);
    let program = host.deploy(&wat(RECURSE)).expect("deploys");
    let out = recurse(&mut host, program, DEEPEST_FITTING + 1);
    assert!(out.success, "{:?}", out.status);
    // A fork keeps the version.
    let mut fork = host.fork();
    assert_eq!(fork.arbos_version(), 49);
    assert!(recurse(&mut fork, program, DEEPEST_FITTING + 1).success);
}

#[test]
fn profiling_does_not_change_the_frames() {
    let mut host = TestChain::profiling();
    let program = host.deploy(&wat(RECURSE)).expect("deploys");
    assert!(recurse(&mut host, program, DEEPEST_FITTING).success);
    let out = recurse(&mut host, program, DEEPEST_FITTING + 1);
    assert_eq!(out.status, Status::Failure(OUT_OF_STACK.into()));
}

/// A function whose one basic block pushes `n` constants and drops them: its operand stack
/// holds `n` values at once (the ink header's 2 come first, on an empty stack).
fn pushes(n: usize) -> String {
    format!(
        r#"(module
             (memory (export "memory") 1 1)
             (func (export "user_entrypoint") (param i32) (result i32)
               {} {} i32.const 0))"#,
        "i32.const 1 ".repeat(n),
        "drop ".repeat(n)
    )
}

#[test]
fn more_than_4096_values_at_once_fail_activation() {
    let mut host = TestChain::new();
    assert!(host.deploy(&wat(&pushes(4096))).is_ok());
    match host.deploy(&wat(&pushes(4097))) {
        Err(DeployError::Code(CodeError::Compile(why))) => {
            assert!(
                why.contains("too many values on the stack at once: 4097 > 4096"),
                "{why}"
            )
        }
        other => panic!("expected a compile error, got {other:?}"),
    }
}

#[test]
fn a_reentered_program_skips_its_init_cost_only_from_arbos_60() {
    let measure = |version: u64| {
        let mut host = TestChain::new();
        host.set_arbos_version(version);
        let counter = host.deploy(&wat(COUNTER)).expect("deploys");
        let caller = host.deploy(&wat(CALLER)).expect("deploys");
        // caller → caller → counter: the caller is entered twice.
        let mut inner = counter.to_vec();
        inner.push(0);
        let mut data = caller.to_vec();
        data.push(0);
        data.extend_from_slice(&inner);
        let out = call(&mut host, caller, &data);
        assert!(out.success, "{:?}", out.status);
        assert_eq!(out.tally.entries, 3);
        let init = host.program_costs(caller).expect("activated").init_gas();
        (out, init)
    };
    let (before, init) = measure(51);
    let (after, _) = measure(60);
    // The second entry of the caller: its init cost under ArbOS 51, not under 60.
    assert_eq!(before.tally.entry_gas - after.tally.entry_gas, init);
    assert_eq!(before.execution_gas - after.execution_gas, init);
}
