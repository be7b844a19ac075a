//! The chain side of a Stylus frame: everything a program's host I/Os ask of the state.
//!
//! Nitro splits a Stylus call the same way: the Rust runtime meters and runs the WASM and
//! asks the node's EVM (geth) for storage, accounts, calls, creation and logs through an
//! `EvmApi`, which answers with the value and the EVM gas it cost. Here [`EvmApi`] is that
//! boundary: [`crate::Host`]'s own world implements it for the offline host, and `keel node`
//! implements it over revm's journal, so one runtime ([`crate::hostio`], [`crate::meter`])
//! serves both.

use alloy_primitives::{Address, Bytes, B256, U256};

use crate::exec::{CreateResult, FrameResult, Msg};
use crate::world::{BlockEnv, GasTally, Log};

/// The state a Stylus frame runs against. Every method that touches an account or a slot
/// also warms it (EIP-2929) and reports the warmth or the gas the way geth's Stylus API does.
pub trait EvmApi: Send {
    /// `tx.origin` of the transaction under way.
    fn origin(&self) -> Address;
    /// The block the transaction runs in.
    fn block(&self) -> BlockEnv;

    /// SLOAD of `key` in `contract`'s storage: the value and its gas (cold 2,100 / warm 100).
    fn sload(&mut self, contract: Address, key: B256) -> (B256, u64);
    /// The gas of storing `value` at `key` (geth's `WasmStateStoreCost`: EIP-2200/2929/3529),
    /// adjusting the refund counter; the store itself is [`EvmApi::sstore`].
    fn sstore_gas(&mut self, contract: Address, key: B256, value: B256) -> u64;
    /// Stores `value` at `key` in `contract`'s storage.
    fn sstore(&mut self, contract: Address, key: B256, value: B256);
    /// TLOAD.
    fn tload(&mut self, contract: Address, key: B256) -> B256;
    /// TSTORE.
    fn tstore(&mut self, contract: Address, key: B256, value: B256);

    /// Warms `account`; true if it was cold.
    fn warm_account(&mut self, account: Address) -> bool;
    /// Whether `account` exists (EIP-161: not empty).
    fn account_exists(&mut self, account: Address) -> bool;
    /// The ETH balance of `account`.
    fn balance(&mut self, account: Address) -> U256;
    /// The code at `account`.
    fn code(&mut self, account: Address) -> Bytes;
    /// EXTCODEHASH: zero for an empty account, else the keccak of its code.
    fn code_hash(&mut self, account: Address) -> B256;

    /// Moves `value` wei from `from` to `to` without running code (ArbOS's balance transfers);
    /// false, changing nothing, when `from` is short.
    fn transfer(&mut self, from: Address, to: Address, value: U256) -> bool;
    /// Appends a log to the transaction's (rolled back with its frame).
    fn emit_log(&mut self, log: Log);
    /// Runs a message call from inside the frame; gas is already net of the caller's costs.
    fn call(&mut self, msg: Msg) -> FrameResult;
    /// Runs `CREATE`/`CREATE2` of `init_code` for `caller`, with `gas` already net of the base
    /// cost and the retained 1/64.
    fn create(
        &mut self,
        caller: Address,
        init_code: &[u8],
        value: U256,
        salt: Option<B256>,
        gas: u64,
        depth: usize,
    ) -> CreateResult;

    /// The ArbOS version the chain runs (decides the stack budget).
    fn arbos_version(&self) -> u64;
    /// Records how deep a program frame's stack went, in Nitro's words.
    fn note_stack_depth(&mut self, words: u32);

    /// Stylus pages open now and the most ever open in this transaction.
    fn pages(&self) -> (u16, u16);
    /// Replaces [`EvmApi::pages`].
    fn set_pages(&mut self, pages: (u16, u16));
    /// Adds to where this transaction's gas went besides the programs' own ink.
    fn count(&mut self, gas: GasTally);
    /// A line a program printed through the debug `console` imports.
    fn console(&mut self, line: String);
    /// Whether the chain records ink per function ([`EvmApi::record_profile`]).
    fn profiling(&self) -> bool;
    /// Adds one entry's ink per function index (imports first) to the program's profile.
    fn record_profile(&mut self, program: B256, ink_by_function: &[(usize, u64)]);
}

/// Gas of touching `account` (EIP-2929): cold 2,600 (and warms it), else warm 100; plus the
/// EXTCODESIZE charge when its code is loaded. Counted in the tally's access gas.
pub fn account_gas(api: &mut dyn EvmApi, account: Address, with_code: bool) -> u64 {
    use crate::pricing::gas;
    let code = if with_code { gas::EXTCODE_SIZE } else { 0 };
    let cost = if api.warm_account(account) {
        code + gas::COLD_ACCOUNT
    } else {
        code + gas::WARM_READ
    };
    api.count(GasTally {
        access_gas: cost,
        ..GasTally::default()
    });
    cost
}
