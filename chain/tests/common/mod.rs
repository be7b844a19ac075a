//! Test contracts written in WAT, and helpers to turn modules into deployable code.

#![allow(dead_code)]

use keel_chain::{Outcome, TestChain};
use keel_stylus_host::alloy_primitives::{Address, U256};

/// Deployable code for a module: `0xEFF000`, dictionary `0x00`, Brotli quality 11 (the
/// same pipeline `keel artifact` measures).
pub fn deployable(wasm: &[u8]) -> Vec<u8> {
    keel_cli::artifact::deployable_code(wasm)
}

/// Deployable code for a WAT module.
pub fn wat(text: &str) -> Vec<u8> {
    deployable(&wat::parse_str(text).expect("test WAT parses"))
}

pub fn addr(n: u8) -> Address {
    Address::with_last_byte(n)
}

pub const ALICE: Address = Address::new([0xa1; 20]);
pub const GAS: u64 = 10_000_000;

pub fn call(host: &mut TestChain, to: Address, data: &[u8]) -> Outcome {
    host.call(ALICE, to, data, U256::ZERO, GAS)
}

/// The value of a 32-byte big-endian word's last byte, asserting the rest is zero.
pub fn small(word: &[u8]) -> u8 {
    assert_eq!(word.len(), 32, "a word");
    assert!(word[..31].iter().all(|b| *b == 0), "small value");
    word[31]
}

/// A built contract artifact (built if needed: `keel_cli::contracts::artifact_dir`; under
/// `CI=true` CI's own build made it); a missing one fails the test.
pub fn artifact(crate_file: &str) -> Vec<u8> {
    let dir = keel_cli::contracts::artifact_dir().expect("the contract artifacts");
    let path = dir.join(format!("{crate_file}.wasm"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; build it with `cargo build --profile contract --target \
             wasm32-unknown-unknown -p {}`",
            path.display(),
            crate_file.replace('_', "-")
        )
    })
}

/// The deployable code of a built contract, as cargo-stylus would deploy it.
pub fn contract_code(crate_file: &str) -> Vec<u8> {
    let wasm = artifact(crate_file);
    deployable(&keel_cli::artifact::deployed_module(&wasm))
}

/// Increments storage slot 0 (its last byte), logs the new value as a topic, returns it;
/// reverts with "nope" after doing all that when the first calldata byte is 0xff.
pub const COUNTER: &str = r#"
(module
  (import "vm_hooks" "read_args" (func $read_args (param i32)))
  (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
  (import "vm_hooks" "storage_load_bytes32" (func $load (param i32 i32)))
  (import "vm_hooks" "storage_cache_bytes32" (func $cache (param i32 i32)))
  (import "vm_hooks" "storage_flush_cache" (func $flush (param i32)))
  (import "vm_hooks" "emit_log" (func $log (param i32 i32 i32)))
  (memory (export "memory") 1 1)
  (data (i32.const 128) "nope")
  (func (export "user_entrypoint") (param $len i32) (result i32)
    (call $read_args (i32.const 256))
    (call $load (i32.const 0) (i32.const 32))
    (i32.store8 (i32.const 63) (i32.add (i32.load8_u (i32.const 63)) (i32.const 1)))
    (call $cache (i32.const 0) (i32.const 32))
    (call $flush (i32.const 1))
    (call $log (i32.const 32) (i32.const 32) (i32.const 1))
    (if (result i32)
      (i32.and (i32.gt_u (local.get $len) (i32.const 0))
               (i32.eq (i32.load8_u (i32.const 256)) (i32.const 255)))
      (then (call $write_result (i32.const 128) (i32.const 4)) (i32.const 1))
      (else (call $write_result (i32.const 32) (i32.const 32)) (i32.const 0)))))
"#;

/// Calldata `target(20) ‖ mode(1) ‖ inner`. Modes 0 call, 1 delegate call, 2 static call,
/// 4 call with 1000 wei: first increments its own slot 1 and logs it, then makes the call
/// with all gas and returns `status(1) ‖ callee's return data`. Mode 3 returns only
/// `msg_reentrant` as one byte, touching nothing.
pub const CALLER: &str = r#"
(module
  (import "vm_hooks" "read_args" (func $read_args (param i32)))
  (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
  (import "vm_hooks" "storage_load_bytes32" (func $load (param i32 i32)))
  (import "vm_hooks" "storage_cache_bytes32" (func $cache (param i32 i32)))
  (import "vm_hooks" "storage_flush_cache" (func $flush (param i32)))
  (import "vm_hooks" "emit_log" (func $log (param i32 i32 i32)))
  (import "vm_hooks" "msg_reentrant" (func $reentrant (result i32)))
  (import "vm_hooks" "call_contract" (func $call (param i32 i32 i32 i32 i64 i32) (result i32)))
  (import "vm_hooks" "delegate_call_contract" (func $dcall (param i32 i32 i32 i64 i32) (result i32)))
  (import "vm_hooks" "static_call_contract" (func $scall (param i32 i32 i32 i64 i32) (result i32)))
  (import "vm_hooks" "read_return_data" (func $rrd (param i32 i32 i32) (result i32)))
  (memory (export "memory") 1 1)
  (func (export "user_entrypoint") (param $len i32) (result i32)
    (local $mode i32) (local $status i32) (local $rlen i32) (local $inner i32)
    (call $read_args (i32.const 1024))
    (local.set $mode (i32.load8_u (i32.const 1044)))
    (if (i32.eq (local.get $mode) (i32.const 3))
      (then
        (i32.store8 (i32.const 200) (call $reentrant))
        (call $write_result (i32.const 200) (i32.const 1))
        (return (i32.const 0))))
    (i32.store8 (i32.const 31) (i32.const 1))
    (call $load (i32.const 0) (i32.const 32))
    (i32.store8 (i32.const 63) (i32.add (i32.load8_u (i32.const 63)) (i32.const 1)))
    (call $cache (i32.const 0) (i32.const 32))
    (call $flush (i32.const 1))
    (call $log (i32.const 32) (i32.const 32) (i32.const 1))
    (local.set $inner (i32.sub (local.get $len) (i32.const 21)))
    (if (i32.eq (local.get $mode) (i32.const 4))
      (then (i32.store16 (i32.const 94) (i32.const 0xe803))))
    (local.set $status
      (if (result i32) (i32.eq (local.get $mode) (i32.const 1))
        (then (call $dcall (i32.const 1024) (i32.const 1045) (local.get $inner)
                           (i64.const -1) (i32.const 96)))
        (else (if (result i32) (i32.eq (local.get $mode) (i32.const 2))
          (then (call $scall (i32.const 1024) (i32.const 1045) (local.get $inner)
                             (i64.const -1) (i32.const 96)))
          (else (call $call (i32.const 1024) (i32.const 1045) (local.get $inner)
                            (i32.const 64) (i64.const -1) (i32.const 96)))))))
    (i32.store8 (i32.const 200) (local.get $status))
    (local.set $rlen (call $rrd (i32.const 201) (i32.const 0) (i32.load (i32.const 96))))
    (call $write_result (i32.const 200) (i32.add (local.get $rlen) (i32.const 1)))
    (i32.const 0)))
"#;

/// Writes slot 0 = 7 and flushes, then loops forever.
pub const BURNER: &str = r#"
(module
  (import "vm_hooks" "storage_cache_bytes32" (func $cache (param i32 i32)))
  (import "vm_hooks" "storage_flush_cache" (func $flush (param i32)))
  (memory (export "memory") 1 1)
  (func (export "user_entrypoint") (param i32) (result i32)
    (i32.store8 (i32.const 63) (i32.const 7))
    (call $cache (i32.const 0) (i32.const 32))
    (call $flush (i32.const 0))
    (loop $l (br $l))
    (i32.const 0)))
"#;

/// Loops N times, N being the first calldata byte (≥ 1). Each iteration is one basic block of
/// `local.get i32.const i32.sub local.tee br_if`.
pub const WORK: &str = r#"
(module
  (import "vm_hooks" "read_args" (func $read_args (param i32)))
  (memory (export "memory") 1 1)
  (func (export "user_entrypoint") (param $len i32) (result i32)
    (local $i i32)
    (call $read_args (i32.const 0))
    (local.set $i (i32.load8_u (i32.const 0)))
    (loop $l
      local.get $i
      i32.const 1
      i32.sub
      local.tee $i
      br_if $l)
    i32.const 0))
"#;

/// Returns 0 at once: one basic block, `i32.const 0; end`.
pub const NOTHING: &str = r#"
(module
  (memory (export "memory") 1 1)
  (func (export "user_entrypoint") (param i32) (result i32)
    i32.const 0))
"#;

/// Returns `block_timestamp ‖ block_number ‖ chainid` (8 bytes each, little-endian),
/// `msg_sender ‖ tx_origin` (20 each), `msg_value` (32) and `contract_address` (20).
pub const CONTEXT: &str = r#"
(module
  (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
  (import "vm_hooks" "block_timestamp" (func $ts (result i64)))
  (import "vm_hooks" "block_number" (func $num (result i64)))
  (import "vm_hooks" "chainid" (func $chain (result i64)))
  (import "vm_hooks" "msg_sender" (func $sender (param i32)))
  (import "vm_hooks" "tx_origin" (func $origin (param i32)))
  (import "vm_hooks" "msg_value" (func $value (param i32)))
  (import "vm_hooks" "contract_address" (func $this (param i32)))
  (memory (export "memory") 1 1)
  (func (export "user_entrypoint") (param i32) (result i32)
    (i64.store (i32.const 0) (call $ts))
    (i64.store (i32.const 8) (call $num))
    (i64.store (i32.const 16) (call $chain))
    (call $sender (i32.const 24))
    (call $origin (i32.const 44))
    (call $value (i32.const 64))
    (call $this (i32.const 96))
    (call $write_result (i32.const 0) (i32.const 116))
    (i32.const 0)))
"#;

/// `create1` of the calldata as init code with no endowment; returns the new address (20
/// bytes) ‖ revert-data length (4 bytes, little-endian).
pub const CREATOR: &str = r#"
(module
  (import "vm_hooks" "read_args" (func $read_args (param i32)))
  (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
  (import "vm_hooks" "create1" (func $create1 (param i32 i32 i32 i32 i32)))
  (memory (export "memory") 1 1)
  (func (export "user_entrypoint") (param $len i32) (result i32)
    (call $read_args (i32.const 1024))
    (call $create1 (i32.const 1024) (local.get $len) (i32.const 64) (i32.const 0) (i32.const 20))
    (call $write_result (i32.const 0) (i32.const 24))
    (i32.const 0)))
"#;

/// Reads `account_code` of the 20-byte address in the calldata, returns it (up to 512 bytes).
pub const CODE_READER: &str = r#"
(module
  (import "vm_hooks" "read_args" (func $read_args (param i32)))
  (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
  (import "vm_hooks" "account_code" (func $code (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1 1)
  (func (export "user_entrypoint") (param $len i32) (result i32)
    (call $read_args (i32.const 0))
    (call $write_result (i32.const 64)
      (call $code (i32.const 0) (i32.const 0) (i32.const 512) (i32.const 64)))
    (i32.const 0)))
"#;
