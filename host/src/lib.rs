//! `keel-stylus-host`: an embedded Arbitrum Stylus host that runs contracts' real deployable
//! code offline and meters it as Nitro does.
//!
//! * **Code** ([`code`]): takes code as the chain stores it (`0xEFF000` ‖ dictionary byte ‖
//!   Brotli), decompresses and validates it as Nitro's activation does, and compiles it with
//!   wasmer 7.4 singlepass.
//! * **Metering** ([`meter`], [`pricing`]): Nitro's `pricing_v1` per-opcode ink plus the
//!   per-basic-block header cost, charged at compile time; host I/Os cost Nitro's ink and the
//!   EVM gas geth charges (cold/warm SLOAD/SSTORE with refunds, account access, calls with the
//!   63/64 rule and stipend, logs, creation); memory pages cost Nitro's memory model and each
//!   program entry its init/cached cost. Gas = ink / 10,000; running out of gas reverts.
//! * **State** ([`world`]): EOAs and contracts with ETH balances, storage behind Nitro's
//!   per-frame storage cache, a journal that rolls back storage, balances, logs and the rest
//!   on revert, and a settable block clock and number.
//! * **Calls** ([`exec`]): `call` / `delegate_call` / `static_call` between contracts in the
//!   host, with value, revert data, Nitro's reentrancy flag, and `create1` / `create2` of
//!   plain EVM init code ([`evm`]); [`native`] stand-ins answer calls to non-Stylus contracts.
//!
//! Every [`Host::call`] is one transaction in its own block: fresh access list, transient
//! storage, refunds, page counts and recent-program cache. The rules are those of one ArbOS
//! version ([`Host::set_arbos_version`], default [`pricing::DEFAULT_ARBOS_VERSION`]): it sets
//! whether a program re-entered in a block skips its init cost (from ArbOS 60) and each
//! frame's stack-depth budget for Nitro's depth checker (22,000 words from ArbOS 50; see
//! [`meter`]). Not modelled: L1 data (poster) gas, the EIP-7623 calldata floor, precompiles,
//! and general EVM bytecode (only the interpreter's few opcodes run).

pub mod api;
pub mod code;
pub mod evm;
pub mod exec;
mod hostio;
pub mod meter;
pub mod native;
pub mod pricing;
pub mod world;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use alloy_primitives::{keccak256, Address, B256, U256};

pub use alloy_primitives;
pub use code::CodeError;
pub use exec::{create2_address, create_address, CallKind, Status};
pub use native::{NativeCall, NativeHandler, SubCall};
pub use world::{BlockEnv, GasTally, Log};

use code::Program;
use exec::{lock, Msg, Shared};
use world::World;

/// The selector stylus-sdk routes to a `#[constructor]`: `keccak("stylus_constructor()")[..4]`.
pub fn constructor_selector() -> [u8; 4] {
    let mut s = [0u8; 4];
    s.copy_from_slice(&keccak256(b"stylus_constructor()")[..4]);
    s
}

/// The result of one transaction.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Whether the call succeeded (nothing was rolled back).
    pub success: bool,
    /// How the top frame ended.
    pub status: Status,
    /// The output, or the revert data when the call reverted.
    pub return_data: Vec<u8>,
    /// Gas the execution used (everything after the intrinsic cost, before refunds): the
    /// figure a contract's cost is measured by.
    pub execution_gas: u64,
    /// The transaction's intrinsic gas (21,000 plus calldata).
    pub intrinsic_gas: u64,
    /// Refund applied (at most a fifth of the gas used, EIP-3529).
    pub refund: u64,
    /// Gas the transaction is charged: intrinsic + execution − refund (no L1 data gas).
    pub gas_used: u64,
    /// Ink the called program used itself, including the ink it bought for host I/O, EVM
    /// costs and sub-calls (0 when the callee is not a Stylus program).
    pub ink_used: u64,
    /// Logs emitted (empty when the call failed).
    pub logs: Vec<Log>,
    /// Where the gas went besides the programs' own computation: storage, calls, entries.
    pub tally: GasTally,
    /// The deepest stack, in Nitro's words, any program frame of the transaction reached
    /// (each frame's budget is [`pricing::max_stack_depth`] of the host's ArbOS version).
    pub deepest_stack: u32,
}

impl Outcome {
    /// The output if the call succeeded, else `Err(revert data)`.
    pub fn result(&self) -> Result<&[u8], &[u8]> {
        if self.success {
            Ok(&self.return_data)
        } else {
            Err(&self.return_data)
        }
    }
}

/// Why a deployment failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DeployError {
    /// The code could not be activated.
    Code(CodeError),
    /// The deployable code exceeds the chain's code-size limit.
    CodeTooLarge(usize),
    /// The address already holds code.
    Occupied(Address),
    /// No code at the address to activate.
    NoCode(Address),
}

impl std::fmt::Display for DeployError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DeployError::Code(e) => e.fmt(f),
            DeployError::CodeTooLarge(n) => {
                write!(f, "deployable code {n} bytes exceeds the code-size limit")
            }
            DeployError::Occupied(a) => write!(f, "{a} already holds code"),
            DeployError::NoCode(a) => write!(f, "{a} holds no code"),
        }
    }
}

impl std::error::Error for DeployError {}

impl From<CodeError> for DeployError {
    fn from(e: CodeError) -> Self {
        DeployError::Code(e)
    }
}

/// The embedded chain.
pub struct Host {
    world: Shared,
}

impl Default for Host {
    fn default() -> Self {
        Self::new()
    }
}

impl Host {
    /// The account [`Host::deploy`] deploys from (its nonce picks the addresses).
    pub const DEPLOYER: Address = Address::new([
        0xde, 0x91, 0x01, 0xe5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
    ]);
    /// A generous transaction gas limit (Arbitrum's per-transaction cap).
    pub const GAS_LIMIT: u64 = 32_000_000;

    /// An empty chain with the default block context ([`BlockEnv::default`]).
    pub fn new() -> Self {
        Self::with_meter(meter::StylusMeter::new())
    }

    /// [`Host::new`], but every program also records the ink each of its functions spends
    /// (its own blocks, callees excluded): see [`Host::profile`]. Gas is unchanged.
    pub fn profiling() -> Self {
        let host = Self::with_meter(meter::StylusMeter::profiling());
        host.world().profile = Some(HashMap::new());
        host
    }

    fn with_meter(meter: meter::StylusMeter) -> Self {
        let engine = code::engine(meter);
        Host {
            world: Arc::new(Mutex::new(World::new(engine))),
        }
    }

    /// With a [`Host::profiling`] host: the ink each function of the program at `address`
    /// spent since the last [`Host::take_profile`], indexed like the module's functions
    /// (imports first, as in its name section); `None` otherwise or if it never ran.
    pub fn profile(&self, address: Address) -> Option<Vec<u64>> {
        let w = self.world();
        let hash = keccak256(&*w.code(&address));
        w.profile.as_ref()?.get(&hash).cloned()
    }

    /// [`Host::profile`] of `address`, resetting every program's profile.
    pub fn take_profile(&mut self, address: Address) -> Option<Vec<u64>> {
        let found = self.profile(address);
        if let Some(profile) = self.world().profile.as_mut() {
            profile.clear();
        }
        found
    }

    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        lock(&self.world)
    }

    /// An independent copy of this chain (accounts, storage, code, native stand-ins, block
    /// context), sharing the compiled programs: run what-ifs or measurements from one state.
    pub fn fork(&self) -> Host {
        let w = self.world();
        let mut copy = World::new(w.engine.clone());
        copy.accounts = w.accounts.clone();
        copy.programs = w.programs.clone();
        copy.cached_programs = w.cached_programs.clone();
        copy.block = w.block.clone();
        copy.max_code_size = w.max_code_size;
        copy.arbos_version = w.arbos_version;
        copy.profile = w.profile.as_ref().map(|_| HashMap::new());
        Host {
            world: Arc::new(Mutex::new(copy)),
        }
    }

    // ---- deployment -----------------------------------------------------------------------

    /// Deploys and activates Stylus deployable code at the next address of [`Host::DEPLOYER`].
    pub fn deploy(&mut self, deployable: &[u8]) -> Result<Address, DeployError> {
        let address = {
            let w = self.world();
            create_address(Self::DEPLOYER, w.nonce(&Self::DEPLOYER))
        };
        self.deploy_at(address, deployable)?;
        let mut w = self.world();
        let nonce = w.nonce(&Self::DEPLOYER);
        w.set_nonce(Self::DEPLOYER, nonce + 1);
        w.end_tx();
        Ok(address)
    }

    /// Deploys and activates Stylus deployable code at `address` (which must hold no code).
    pub fn deploy_at(&mut self, address: Address, deployable: &[u8]) -> Result<(), DeployError> {
        if deployable.len() > self.world().max_code_size {
            return Err(DeployError::CodeTooLarge(deployable.len()));
        }
        if !self.world().code(&address).is_empty() {
            return Err(DeployError::Occupied(address));
        }
        self.activate_code(deployable)?;
        let mut w = self.world();
        w.set_code(address, deployable.to_vec());
        if w.nonce(&address) == 0 {
            w.set_nonce(address, 1);
        }
        w.end_tx();
        Ok(())
    }

    /// Deploys, then runs the contract's `#[constructor]` with ABI-encoded `args` from `from`
    /// (as a deployer contract would, in the same step).
    pub fn deploy_and_construct(
        &mut self,
        deployable: &[u8],
        from: Address,
        args: &[u8],
        value: U256,
    ) -> Result<(Address, Outcome), DeployError> {
        let address = self.deploy(deployable)?;
        let outcome = self.construct(from, address, args, value, Self::GAS_LIMIT);
        Ok((address, outcome))
    }

    /// Calls the constructor selector of the contract at `to` with ABI-encoded `args`.
    pub fn construct(
        &mut self,
        from: Address,
        to: Address,
        args: &[u8],
        value: U256,
        gas_limit: u64,
    ) -> Outcome {
        let mut calldata = constructor_selector().to_vec();
        calldata.extend_from_slice(args);
        self.call(from, to, &calldata, value, gas_limit)
    }

    /// Activates the Stylus code already at `address` (e.g. code a contract `create`d), as
    /// `ArbWasm.activateProgram` does.
    pub fn activate(&mut self, address: Address) -> Result<(), DeployError> {
        let code = self.world().code(&address);
        if code.is_empty() {
            return Err(DeployError::NoCode(address));
        }
        self.activate_code(&code)
    }

    fn activate_code(&mut self, deployable: &[u8]) -> Result<(), DeployError> {
        let hash = keccak256(deployable);
        if self.world().programs.contains_key(&hash) {
            return Ok(());
        }
        let engine = self.world().engine.clone();
        let program = Program::activate(&engine, deployable)?;
        self.world().programs.insert(hash, Arc::new(program));
        Ok(())
    }

    /// The entry costs activation recorded for the program at `address`.
    pub fn program_costs(&self, address: Address) -> Option<code::ProgramCosts> {
        let w = self.world();
        let hash = keccak256(&*w.code(&address));
        w.programs.get(&hash).map(|p| p.costs)
    }

    /// Puts the program at `address` in (or out of) ArbOS's init cache: cached programs pay
    /// only the cached entry cost.
    pub fn set_program_cached(&mut self, address: Address, cached: bool) {
        let mut w = self.world();
        let hash = keccak256(&*w.code(&address));
        if cached {
            w.cached_programs.insert(hash);
        } else {
            w.cached_programs.remove(&hash);
        }
    }

    /// Installs raw code (e.g. EVM bytecode or a data contract) at `address`, unactivated.
    pub fn set_code(&mut self, address: Address, code: Vec<u8>) {
        let mut w = self.world();
        w.set_code(address, code);
        w.end_tx();
    }

    /// Installs a native stand-in answering every call to `address`.
    pub fn install_native(&mut self, address: Address, handler: NativeHandler) {
        let mut w = self.world();
        let acc = w.accounts.entry(address).or_default();
        acc.native = Some(handler);
        if acc.nonce == 0 {
            acc.nonce = 1;
        }
    }

    // ---- transactions ---------------------------------------------------------------------

    /// Sends a transaction from `from` to `to` with `calldata` and `value`, with
    /// `gas_limit` gas in all (intrinsic cost included).
    pub fn call(
        &mut self,
        from: Address,
        to: Address,
        calldata: &[u8],
        value: U256,
        gas_limit: u64,
    ) -> Outcome {
        self.transact(CallKind::Call, from, to, calldata, value, gas_limit)
    }

    /// Runs a static call (nothing may change state; nothing is kept either way).
    pub fn static_call(
        &mut self,
        from: Address,
        to: Address,
        calldata: &[u8],
        gas_limit: u64,
    ) -> Outcome {
        self.transact(CallKind::Static, from, to, calldata, U256::ZERO, gas_limit)
    }

    fn transact(
        &mut self,
        kind: CallKind,
        from: Address,
        to: Address,
        calldata: &[u8],
        value: U256,
        gas_limit: u64,
    ) -> Outcome {
        let intrinsic = pricing::intrinsic_gas(calldata);
        let failed = |status: Status| Outcome {
            success: false,
            status,
            return_data: Vec::new(),
            execution_gas: 0,
            intrinsic_gas: intrinsic,
            refund: 0,
            gas_used: 0,
            ink_used: 0,
            logs: Vec::new(),
            tally: GasTally::default(),
            deepest_stack: 0,
        };
        if gas_limit < intrinsic {
            return failed(Status::Failure("intrinsic gas too low".into()));
        }
        let gas = gas_limit - intrinsic;
        {
            let mut w = self.world();
            w.begin_tx(from, to);
            if kind == CallKind::Call {
                let nonce = w.nonce(&from);
                w.set_nonce(from, nonce.saturating_add(1));
            }
        }
        let msg = Msg {
            kind,
            caller: from,
            address: to,
            code_address: to,
            value,
            transfer: kind == CallKind::Call,
            input: calldata.to_vec(),
            gas,
            read_only: kind == CallKind::Static,
            depth: 0,
        };
        let result = exec::call(&self.world, msg);
        let mut w = self.world();
        let execution_gas = gas.saturating_sub(result.gas_left);
        let used = intrinsic + execution_gas;
        let success = result.success();
        let refund = if success { w.refund.min(used / 5) } else { 0 };
        let logs = if success {
            std::mem::take(&mut w.logs)
        } else {
            Vec::new()
        };
        let tally = w.tally;
        let deepest_stack = w.deepest_stack_tx;
        w.end_tx();
        Outcome {
            success,
            status: result.status,
            return_data: result.output,
            execution_gas,
            intrinsic_gas: intrinsic,
            refund,
            gas_used: used - refund,
            ink_used: result.ink_used,
            logs,
            tally,
            deepest_stack,
        }
    }

    // ---- state ----------------------------------------------------------------------------

    /// The ETH balance of `account`.
    pub fn balance(&self, account: Address) -> U256 {
        self.world().balance(&account)
    }

    /// Sets the ETH balance of `account` (an EOA springs into existence).
    pub fn set_balance(&mut self, account: Address, value: U256) {
        let mut w = self.world();
        w.set_balance(account, value);
        w.end_tx();
    }

    /// The nonce of `account`.
    pub fn nonce(&self, account: Address) -> u64 {
        self.world().nonce(&account)
    }

    /// The code stored at `account`.
    pub fn code(&self, account: Address) -> Vec<u8> {
        self.world().code(&account).to_vec()
    }

    /// A storage slot of `account`.
    pub fn storage(&self, account: Address, slot: U256) -> U256 {
        self.world().sload(&account, &B256::from(slot)).into()
    }

    /// Sets a storage slot of `account` directly (outside any transaction).
    pub fn set_storage(&mut self, account: Address, slot: U256, value: U256) {
        let mut w = self.world();
        w.sstore(account, B256::from(slot), B256::from(value));
        w.end_tx();
    }

    /// Every non-zero storage slot of `account`, by slot.
    pub fn storage_slots(&self, account: Address) -> Vec<(U256, U256)> {
        self.world()
            .account(&account)
            .map(|a| {
                a.storage
                    .iter()
                    .map(|(k, v)| (U256::from_be_bytes(k.0), U256::from_be_bytes(v.0)))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Lines programs printed through the debug `console` imports, oldest first.
    pub fn console(&self) -> Vec<String> {
        self.world().console.clone()
    }

    // ---- block context --------------------------------------------------------------------

    /// The block context the next transactions see.
    pub fn block(&self) -> BlockEnv {
        self.world().block.clone()
    }

    /// Replaces the block context.
    pub fn set_block(&mut self, block: BlockEnv) {
        self.world().block = block;
    }

    /// The block timestamp.
    pub fn timestamp(&self) -> u64 {
        self.world().block.timestamp
    }

    /// Sets the block timestamp.
    pub fn set_timestamp(&mut self, timestamp: u64) {
        self.world().block.timestamp = timestamp;
    }

    /// Moves the clock forward by `seconds` and the block number by one.
    pub fn advance(&mut self, seconds: u64) {
        let mut w = self.world();
        w.block.timestamp = w.block.timestamp.saturating_add(seconds);
        w.block.number = w.block.number.saturating_add(1);
    }

    /// Sets the block number programs see.
    pub fn set_block_number(&mut self, number: u64) {
        self.world().block.number = number;
    }

    /// The ArbOS version whose rules the host follows.
    pub fn arbos_version(&self) -> u64 {
        self.world().arbos_version
    }

    /// Follows the rules of ArbOS `version` from the next transaction on (see the crate docs
    /// for what it changes; versions below 32 are not modelled).
    pub fn set_arbos_version(&mut self, version: u64) {
        self.world().arbos_version = version;
    }

    /// The deepest stack, in Nitro's words, any program frame reached on this host (a fork
    /// starts again from 0): compare with [`pricing::max_stack_depth`].
    pub fn deepest_stack(&self) -> u32 {
        self.world().deepest_stack
    }

    /// Sets the largest code a creation may deploy (default 24,576 bytes).
    pub fn set_max_code_size(&mut self, bytes: usize) {
        self.world().max_code_size = bytes;
    }
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
