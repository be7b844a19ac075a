//! `keel-stylus-host`: the Arbitrum Stylus runtime Keel embeds. It runs a contract's real
//! deployable code and meters it as Nitro does; the chain it runs on (`keel-chain`: revm's
//! state and journal, ArbOS) reaches it through one boundary, [`api::EvmApi`].
//!
//! * **Code** ([`code`]): takes code as the chain stores it (`0xEFF000` ‖ dictionary byte ‖
//!   Brotli), decompresses and validates it as Nitro's activation does, and compiles it with
//!   wasmer 7.4 singlepass.
//! * **Metering** ([`meter`], [`pricing`]): Nitro's `pricing_v1` per-opcode ink plus the
//!   per-basic-block header cost, charged at compile time, and Nitro's stack-depth budget
//!   (22,000 words from ArbOS 50); host I/Os cost Nitro's ink and the EVM gas geth charges
//!   (cold/warm SLOAD/SSTORE with refunds, account access, calls with the 63/64 rule and
//!   stipend, logs, creation); memory pages cost Nitro's memory model and each program entry
//!   its init/cached cost. Gas = ink / 10,000; running out of gas reverts.
//! * **Frames** ([`exec`]): a program's entry ([`exec::run_program`]) and the host I/Os it
//!   makes, answered by an [`api::EvmApi`].
//! * **Natives** ([`native`]): Rust stand-ins for contracts (ArbOS's precompiles and
//!   predeploys, test doubles) written against the same boundary.

pub mod api;
pub mod code;
pub mod exec;
mod hostio;
pub mod meter;
pub mod native;
pub mod pricing;

use alloy_primitives::keccak256;

pub use alloy_primitives;
pub use api::{BlockEnv, EvmApi, GasTally, Log};
pub use code::CodeError;
pub use exec::{create2_address, create_address, CallKind, FrameResult, Msg, Status};
pub use native::{NativeCall, NativeHandler, SubCall};

/// The selector stylus-sdk routes to a `#[constructor]`: `keccak("stylus_constructor()")[..4]`.
pub fn constructor_selector() -> [u8; 4] {
    let mut s = [0u8; 4];
    s.copy_from_slice(&keccak256(b"stylus_constructor()")[..4]);
    s
}

/// Every import the host provides, as (module, name).
pub const IMPORTS: &[(&str, &str)] = &[
    ("vm_hooks", "read_args"),
    ("vm_hooks", "write_result"),
    ("vm_hooks", "exit_early"),
    ("vm_hooks", "storage_load_bytes32"),
    ("vm_hooks", "storage_cache_bytes32"),
    ("vm_hooks", "storage_flush_cache"),
    ("vm_hooks", "transient_load_bytes32"),
    ("vm_hooks", "transient_store_bytes32"),
    ("vm_hooks", "call_contract"),
    ("vm_hooks", "delegate_call_contract"),
    ("vm_hooks", "static_call_contract"),
    ("vm_hooks", "create1"),
    ("vm_hooks", "create2"),
    ("vm_hooks", "read_return_data"),
    ("vm_hooks", "return_data_size"),
    ("vm_hooks", "emit_log"),
    ("vm_hooks", "account_balance"),
    ("vm_hooks", "account_code"),
    ("vm_hooks", "account_code_size"),
    ("vm_hooks", "account_codehash"),
    ("vm_hooks", "block_basefee"),
    ("vm_hooks", "block_coinbase"),
    ("vm_hooks", "block_gas_limit"),
    ("vm_hooks", "block_number"),
    ("vm_hooks", "block_timestamp"),
    ("vm_hooks", "chainid"),
    ("vm_hooks", "contract_address"),
    ("vm_hooks", "evm_gas_left"),
    ("vm_hooks", "evm_ink_left"),
    ("vm_hooks", "math_div"),
    ("vm_hooks", "math_mod"),
    ("vm_hooks", "math_pow"),
    ("vm_hooks", "math_add_mod"),
    ("vm_hooks", "math_mul_mod"),
    ("vm_hooks", "msg_reentrant"),
    ("vm_hooks", "msg_sender"),
    ("vm_hooks", "msg_value"),
    ("vm_hooks", "native_keccak256"),
    ("vm_hooks", "pay_for_memory_grow"),
    ("vm_hooks", "tx_gas_price"),
    ("vm_hooks", "tx_ink_price"),
    ("vm_hooks", "tx_origin"),
    ("console", "log_txt"),
    ("console", "log_i32"),
    ("console", "log_i64"),
    ("console", "tee_i32"),
    ("console", "tee_i64"),
];
