//! The chain side of a Stylus frame: everything a program's host I/Os ask of the state.
//!
//! Nitro splits a Stylus call the same way: the Rust runtime meters and runs the WASM and
//! asks the node's EVM (geth) for storage, accounts, calls, creation and logs through an
//! `EvmApi`, which answers with the value and the EVM gas it cost. Here [`EvmApi`] is that
//! boundary; `keel-chain` implements it over revm's journal, which holds the one state of both
//! runtimes. Also the values that cross it: [`Log`], [`BlockEnv`], [`GasTally`].

use alloy_primitives::{Address, Bytes, B256, U256};

use crate::exec::{CreateResult, FrameResult, Msg};

/// One EVM log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Log {
    /// The contract that emitted it (for a delegate call, the caller's address).
    pub address: Address,
    /// Up to four topics.
    pub topics: Vec<B256>,
    /// Unindexed data.
    pub data: Vec<u8>,
}

/// Block and transaction context, as the host I/Os report it.
#[derive(Clone, Debug)]
pub struct BlockEnv {
    /// `block_number` (on Arbitrum: an estimate of the L1 block number).
    pub number: u64,
    /// `block_timestamp`, Unix seconds.
    pub timestamp: u64,
    /// `block_basefee`, wei.
    pub basefee: U256,
    /// `tx_gas_price`, wei (equals the basefee on Arbitrum).
    pub gas_price: U256,
    /// `block_coinbase`.
    pub coinbase: Address,
    /// `block_gas_limit`.
    pub gas_limit: u64,
    /// `chainid`.
    pub chain_id: u64,
}

impl Default for BlockEnv {
    fn default() -> Self {
        BlockEnv {
            number: 1,
            timestamp: 1_700_000_000,
            basefee: U256::from(10_000_000u64),
            gas_price: U256::from(10_000_000u64),
            coinbase: Address::new([
                0xA4, 0xB0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x73, 0x65, 0x71, 0x75, 0x65, 0x6e, 0x63,
                0x65,
            ]),
            gas_limit: 1 << 50,
            chain_id: 42_161,
        }
    }
}

/// Where one transaction's gas went besides the programs' own ink, as charged (EVM costs
/// and program entry), summed over every frame. Gas spent in frames that later reverted
/// counts too, as it is spent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GasTally {
    /// Storage reads that went to the state (SLOAD gas paid; cache hits are not counted).
    pub sloads: u64,
    /// Gas of those reads (cold 2,100 / warm 100 each).
    pub sload_gas: u64,
    /// Storage writes flushed (SSTORE gas paid).
    pub sstores: u64,
    /// Gas of those writes (before refunds).
    pub sstore_gas: u64,
    /// Calls made by programs and stand-ins (call, delegate call, static call).
    pub calls: u64,
    /// Account-access gas of calls and account reads (cold 2,600 / warm 100, value transfer).
    pub access_gas: u64,
    /// Program entries (every call into a Stylus program, the top one included).
    pub entries: u64,
    /// Gas of entering programs: init or cached cost plus memory footprint.
    pub entry_gas: u64,
}

impl std::ops::AddAssign for GasTally {
    fn add_assign(&mut self, more: GasTally) {
        self.sloads += more.sloads;
        self.sload_gas += more.sload_gas;
        self.sstores += more.sstores;
        self.sstore_gas += more.sstore_gas;
        self.calls += more.calls;
        self.access_gas += more.access_gas;
        self.entries += more.entries;
        self.entry_gas += more.entry_gas;
    }
}

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
    /// Whether the chain records the basic blocks programs run ([`EvmApi::record_coverage`]).
    fn covering(&self) -> bool {
        false
    }
    /// Adds (bitwise or) one entry's basic-block bitmap (see
    /// [`crate::meter::COVERAGE_GLOBAL_PREFIX`]) to the program's coverage.
    fn record_coverage(&mut self, _program: B256, _bitmap: &[u64]) {}
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
