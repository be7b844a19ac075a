//! The in-process chain of tests and benchmarks: the same execution as `keel node` (revm's
//! state and journal, ArbOS, the Stylus host), driven directly.
//!
//! State is set outside transactions (balances, code, storage, activated programs, native
//! stand-ins); [`TestChain::call`] runs one transaction in the block [`TestChain::block`]
//! describes and reports where its gas went ([`Outcome`]). Nothing is sealed into blocks and
//! senders need no ETH for gas: the gas price is reported to programs but not charged, and
//! nonces are not checked (any account, a contract too, may send). Everything else — intrinsic
//! gas, refunds, warmth, the 63/64 rule, rollback, activation and expiry, the ArbOS version's
//! entry discount and stack budget — is the chain's.

use std::collections::HashMap;
use std::sync::Arc;

use alloy_primitives::{keccak256, Address, Bytes, TxKind, B256, U256};
use keel_stylus_host::code::ProgramCosts;
use keel_stylus_host::{
    constructor_selector, create_address, pricing, BlockEnv, CodeError, GasTally, Log,
    NativeHandler, Status,
};
use revm::context::result::{ExecutionResult, HaltReason, OutOfGasError, Output};
use revm::context::{BlockEnv as RevmBlock, TxEnv};
use revm::database::{CacheDB, EmptyDB};
use revm::handler::FrameResult as RevmFrame;
use revm::interpreter::InstructionResult;
use revm::{ExecuteCommitEvm, ExecuteEvm};

use crate::arbos::{self, ArbOs, ProgramRecord, STYLUS_VERSION};
use crate::executor::{self, ArbContext, CallHook, ChainDb, StateAccess, StylusTx};
use crate::predeploys;

/// What a creation transaction pays on top of a call's intrinsic gas (EIP-2), and per word of
/// init code (EIP-3860).
const CREATE_TX_GAS: u64 = 32_000;
const INIT_CODE_WORD_GAS: u64 = 2;

/// The result of one transaction.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Whether the call succeeded (nothing was rolled back).
    pub success: bool,
    /// How the top frame ended (a Stylus trap keeps its reason).
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
    /// (each frame's budget is [`pricing::max_stack_depth`] of the chain's ArbOS version).
    pub deepest_stack: u32,
    /// Every program frame that failed (trapped, ran out of stack, broke a host rule), as
    /// (its code's address, how), including frames whose caller went on.
    pub failed_frames: Vec<(Address, Status)>,
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

    fn refused(why: String, intrinsic_gas: u64) -> Self {
        Outcome {
            success: false,
            status: Status::Failure(why),
            return_data: Vec::new(),
            execution_gas: 0,
            intrinsic_gas,
            refund: 0,
            gas_used: 0,
            ink_used: 0,
            logs: Vec::new(),
            tally: GasTally::default(),
            deepest_stack: 0,
            failed_frames: Vec::new(),
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

/// The in-process chain.
pub struct TestChain {
    db: ChainDb,
    arbos: Arc<ArbOs>,
    block: BlockEnv,
    max_code_size: usize,
    console: Vec<String>,
    deepest_stack: u32,
    hook: Option<Arc<dyn CallHook>>,
}

impl Default for TestChain {
    fn default() -> Self {
        Self::new()
    }
}

impl TestChain {
    /// The account [`TestChain::deploy`] deploys from (its nonce picks the addresses).
    pub const DEPLOYER: Address = Address::new([
        0xde, 0x91, 0x01, 0xe5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
    ]);
    /// A generous transaction gas limit (Arbitrum's per-transaction cap).
    pub const GAS_LIMIT: u64 = 32_000_000;

    /// A chain with the default block context ([`BlockEnv::default`]) at the default ArbOS
    /// version, holding only the predeploys.
    pub fn new() -> Self {
        let block = BlockEnv::default();
        Self::with_arbos(
            ArbOs::new(block.chain_id, crate::DEFAULT_ARBOS_VERSION),
            block,
        )
    }

    /// [`TestChain::new`], but every program also records the ink each of its functions
    /// spends (its own blocks, callees excluded): see [`TestChain::profile`]. Gas is unchanged.
    pub fn profiling() -> Self {
        let block = BlockEnv::default();
        Self::with_arbos(
            ArbOs::profiling(block.chain_id, crate::DEFAULT_ARBOS_VERSION),
            block,
        )
    }

    fn with_arbos(arbos: ArbOs, block: BlockEnv) -> Self {
        let mut db = CacheDB::new(EmptyDB::default());
        for predeploy in [predeploys::STYLUS_DEPLOYER, predeploys::MULTICALL3] {
            db.set_code(predeploy, Bytes::from_static(&predeploys::MARKER_CODE));
            db.set_nonce(predeploy, 1);
        }
        TestChain {
            db,
            arbos: Arc::new(arbos),
            block,
            max_code_size: 24_576,
            console: Vec::new(),
            deepest_stack: 0,
            hook: None,
        }
    }

    /// A chain holding `state` — e.g. a node's, after `keel deploy` — in the block context
    /// `block`, at ArbOS version `arbos_version` (programs are recompiled on first call).
    pub fn from_state(state: ChainDb, block: BlockEnv, arbos_version: u64) -> Self {
        let arbos = ArbOs::new(block.chain_id, arbos_version);
        let mut chain = Self::with_arbos(arbos, block);
        chain.db = state;
        chain
    }

    /// Passes every call frame of later transactions through `hook` first (`None`: none).
    pub fn set_call_hook(&mut self, hook: Option<Arc<dyn CallHook>>) {
        self.hook = hook;
    }

    /// Changes the ArbOS settings, keeping the compiled programs.
    fn edit_arbos(&mut self, edit: impl FnOnce(&mut ArbOs)) {
        let mut arbos = (*self.arbos).clone();
        edit(&mut arbos);
        self.arbos = Arc::new(arbos);
    }

    /// An independent copy of this chain (accounts, storage, code, native stand-ins, block
    /// context), sharing the compiled programs: run what-ifs or measurements from one state.
    pub fn fork(&self) -> TestChain {
        let mut arbos = (*self.arbos).clone();
        if arbos.profile.is_some() {
            arbos.profile = Some(Default::default());
        }
        TestChain {
            db: self.db.clone(),
            arbos: Arc::new(arbos),
            block: self.block.clone(),
            max_code_size: self.max_code_size,
            console: Vec::new(),
            deepest_stack: 0,
            hook: self.hook.clone(),
        }
    }

    /// With a [`TestChain::profiling`] chain: the ink each function of the program at
    /// `address` spent since the last [`TestChain::take_profile`], indexed like the module's
    /// functions (imports first, as in its name section); `None` otherwise or if it never ran.
    pub fn profile(&self, address: Address) -> Option<Vec<u64>> {
        let hash = keccak256(self.code(address));
        let profile = self.arbos.profile()?;
        let profile = profile.lock().unwrap_or_else(|p| p.into_inner());
        profile.get(&hash).cloned()
    }

    /// [`TestChain::profile`] of `address`, resetting every program's profile.
    pub fn take_profile(&mut self, address: Address) -> Option<Vec<u64>> {
        let found = self.profile(address);
        if let Some(profile) = self.arbos.profile() {
            profile.lock().unwrap_or_else(|p| p.into_inner()).clear();
        }
        found
    }

    /// A fork of this chain whose programs also record the basic blocks they run (recompiled
    /// on first call; gas is unchanged): see [`TestChain::take_coverage`].
    pub fn covering(&self) -> TestChain {
        let mut chain = self.fork();
        chain.arbos = Arc::new(self.arbos.covering());
        chain
    }

    /// A fork of this chain's state that runs on `other`'s ArbOS: its settings, compiled
    /// programs and coverage log (several states recording into one [`TestChain::covering`]
    /// log).
    pub fn fork_onto(&self, other: &TestChain) -> TestChain {
        let mut chain = self.fork();
        chain.arbos = other.arbos.clone();
        chain
    }

    /// With a [`TestChain::covering`] chain: the basic blocks each program ran since the last
    /// call (bitmaps by code hash, laid out as [`crate::arbos::CoverageLog::blocks`]), clearing
    /// them; empty otherwise.
    pub fn take_coverage(&mut self) -> HashMap<B256, Vec<u64>> {
        match self.arbos.coverage() {
            Some(log) => std::mem::take(&mut log.lock().unwrap_or_else(|p| p.into_inner()).hit),
            None => HashMap::new(),
        }
    }

    /// With a [`TestChain::covering`] chain: the basic blocks of each local function of every
    /// program compiled so far, by code hash.
    pub fn coverage_layout(&self) -> HashMap<B256, Vec<u32>> {
        self.arbos
            .coverage()
            .map(|log| log.lock().unwrap_or_else(|p| p.into_inner()).blocks.clone())
            .unwrap_or_default()
    }

    // ---- deployment -----------------------------------------------------------------------

    /// Deploys and activates Stylus deployable code at the next address of
    /// [`TestChain::DEPLOYER`].
    pub fn deploy(&mut self, deployable: &[u8]) -> Result<Address, DeployError> {
        let nonce = self.nonce(Self::DEPLOYER);
        let address = create_address(Self::DEPLOYER, nonce);
        self.deploy_at(address, deployable)?;
        self.db.set_nonce(Self::DEPLOYER, nonce + 1);
        Ok(address)
    }

    /// Deploys and activates Stylus deployable code at `address` (which must hold no code).
    pub fn deploy_at(&mut self, address: Address, deployable: &[u8]) -> Result<(), DeployError> {
        if deployable.len() > self.max_code_size {
            return Err(DeployError::CodeTooLarge(deployable.len()));
        }
        if !self.code(address).is_empty() {
            return Err(DeployError::Occupied(address));
        }
        self.activate_code(deployable)?;
        self.db
            .set_code(address, Bytes::copy_from_slice(deployable));
        if self.nonce(address) == 0 {
            self.db.set_nonce(address, 1);
        }
        Ok(())
    }

    /// Deploys, then runs the contract's `#[constructor]` with ABI-encoded `args` from `from`
    /// (as the StylusDeployer would, in the same step).
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

    /// Activates the Stylus code already at `address` (e.g. code a contract created), as
    /// `ArbWasm.activateProgram` records it, without the data fee.
    pub fn activate(&mut self, address: Address) -> Result<(), DeployError> {
        let code = self.code(address);
        if code.is_empty() {
            return Err(DeployError::NoCode(address));
        }
        self.activate_code(&code)
    }

    fn activate_code(&mut self, deployable: &[u8]) -> Result<(), DeployError> {
        let hash = keccak256(deployable);
        let program = self.arbos.compile(deployable)?;
        let wasm_size = keel_stylus_host::code::decompress(deployable)
            .map(|w| w.len() as u32)
            .unwrap_or_default();
        let cached = arbos::program_record(&self.db, hash).is_some_and(|r| r.cached);
        let record = ProgramRecord {
            version: STYLUS_VERSION,
            costs: program.costs,
            activated_at: self.block.timestamp,
            cached,
            wasm_size,
        };
        arbos::set_program_record(&mut self.db, hash, &record);
        Ok(())
    }

    /// The entry costs activation recorded for the program at `address`.
    pub fn program_costs(&self, address: Address) -> Option<ProgramCosts> {
        arbos::program_record(&self.db, keccak256(self.code(address))).map(|r| r.costs)
    }

    /// Puts the activated program at `address` in (or out of) ArbOS's init cache: cached
    /// programs pay only the cached entry cost.
    pub fn set_program_cached(&mut self, address: Address, cached: bool) {
        let hash = keccak256(self.code(address));
        if let Some(mut record) = arbos::program_record(&self.db, hash) {
            record.cached = cached;
            arbos::set_program_record(&mut self.db, hash, &record);
        }
    }

    /// Installs raw code (e.g. EVM bytecode or a data contract) at `address`, unactivated.
    pub fn set_code(&mut self, address: Address, code: Vec<u8>) {
        self.db.set_code(address, code.into());
    }

    /// Installs a native stand-in answering every call to `address` (its account gets a
    /// one-byte marker code, so EVM callers see a contract).
    pub fn install_native(&mut self, address: Address, handler: NativeHandler) {
        self.edit_arbos(|arbos| {
            arbos.natives.insert(address, handler);
        });
        if self.code(address).is_empty() {
            self.db
                .set_code(address, Bytes::from_static(&predeploys::MARKER_CODE));
        }
        if self.nonce(address) == 0 {
            self.db.set_nonce(address, 1);
        }
    }

    // ---- transactions ---------------------------------------------------------------------

    /// Sends a transaction from `from` to `to` with `calldata` and `value`, with
    /// `gas_limit` gas in all (intrinsic cost included); its changes are kept if it succeeds.
    pub fn call(
        &mut self,
        from: Address,
        to: Address,
        calldata: &[u8],
        value: U256,
        gas_limit: u64,
    ) -> Outcome {
        self.transact(from, to, calldata, value, gas_limit, true)
    }

    /// [`TestChain::call`] without keeping anything: the outcome of the transaction as if it
    /// were the next, on the state as it is (what `eth_call` answers, with a sender's rights).
    pub fn simulate(
        &mut self,
        from: Address,
        to: Address,
        calldata: &[u8],
        value: U256,
        gas_limit: u64,
    ) -> Outcome {
        self.transact(from, to, calldata, value, gas_limit, false)
    }

    /// A call transaction, its changes kept when `commit` and it succeeds.
    fn transact(
        &mut self,
        from: Address,
        to: Address,
        calldata: &[u8],
        value: U256,
        gas_limit: u64,
        commit: bool,
    ) -> Outcome {
        let intrinsic = pricing::intrinsic_gas(calldata);
        let tx = self.tx(from, TxKind::Call(to), calldata, value, gas_limit);
        let db = std::mem::take(&mut self.db);
        let mut evm = executor::evm(self.context(db, &tx));
        let result = if commit {
            evm.transact_commit(tx)
        } else {
            evm.transact(tx).map(|executed| executed.result)
        };
        let stylus = take_stylus(&mut evm.ctx);
        self.db = std::mem::take(&mut evm.ctx.journaled_state.database);
        match result {
            Ok(result) => self.outcome(result, intrinsic, stylus),
            Err(invalid) => Outcome::refused(invalid.to_string(), intrinsic),
        }
    }

    /// Sends a creation transaction of EVM `init_code`: the new contract's address (none when
    /// creation failed) and the outcome.
    pub fn create(
        &mut self,
        from: Address,
        init_code: &[u8],
        value: U256,
        gas_limit: u64,
    ) -> (Option<Address>, Outcome) {
        let words = (init_code.len() as u64).div_ceil(32);
        let intrinsic =
            pricing::intrinsic_gas(init_code) + CREATE_TX_GAS + INIT_CODE_WORD_GAS * words;
        let tx = self.tx(from, TxKind::Create, init_code, value, gas_limit);
        let db = std::mem::take(&mut self.db);
        let mut evm = executor::evm(self.context(db, &tx));
        let result = evm.transact_commit(tx);
        let stylus = take_stylus(&mut evm.ctx);
        self.db = std::mem::take(&mut evm.ctx.journaled_state.database);
        let created = match &result {
            Ok(ExecutionResult::Success {
                output: Output::Create(_, address),
                ..
            }) => *address,
            _ => None,
        };
        let outcome = match result {
            Ok(result) => self.outcome(result, intrinsic, stylus),
            Err(invalid) => Outcome::refused(invalid.to_string(), intrinsic),
        };
        (created, outcome)
    }

    /// Creates a contract from EVM `init_code` (a creation transaction from
    /// [`TestChain::DEPLOYER`]) and places it — code, balance and storage — at `at` instead of
    /// the address creation gave it, as a genesis allocation places a contract (the mainnet
    /// addresses of tokens and feeds a test stands in for). The creation's outcome (not a
    /// success when `at` already holds code).
    pub fn create_at(&mut self, at: Address, init_code: &[u8]) -> Outcome {
        if !self.code(at).is_empty() {
            return Outcome::refused(format!("{at} already holds code"), 0);
        }
        let (created, outcome) =
            self.create(Self::DEPLOYER, init_code, U256::ZERO, Self::GAS_LIMIT);
        if let Some(account) = created.and_then(|c| self.db.cache.accounts.remove(&c)) {
            self.db.cache.accounts.insert(at, account);
        }
        outcome
    }

    /// Runs a static call as a transaction: nothing may change state, nothing is kept.
    pub fn static_call(
        &mut self,
        from: Address,
        to: Address,
        calldata: &[u8],
        gas_limit: u64,
    ) -> Outcome {
        let intrinsic = pricing::intrinsic_gas(calldata);
        let Some(gas) = gas_limit.checked_sub(intrinsic) else {
            return Outcome::refused("intrinsic gas too low".into(), intrinsic);
        };
        let tx = self.tx(from, TxKind::Call(to), calldata, U256::ZERO, gas_limit);
        let mut ctx = self.context(self.db.clone(), &tx);
        ctx.tx = tx;
        let frame = executor::static_frame(&mut ctx, to, Bytes::copy_from_slice(calldata), gas);
        let stylus = take_stylus(&mut ctx);
        let result = frame_outcome(&frame);
        let execution_gas = gas.saturating_sub(result.gas.remaining());
        self.finish(
            result.result.is_ok(),
            result.result,
            result.output.to_vec(),
            execution_gas,
            0,
            intrinsic,
            Vec::new(),
            stylus,
        )
    }

    fn tx(&self, from: Address, kind: TxKind, data: &[u8], value: U256, gas: u64) -> TxEnv {
        TxEnv {
            caller: from,
            gas_limit: gas,
            gas_price: self.block.gas_price.saturating_to(),
            kind,
            value,
            data: Bytes::copy_from_slice(data),
            nonce: self.nonce(from),
            chain_id: Some(self.arbos.chain_id),
            ..TxEnv::default()
        }
    }

    fn context(&self, db: ChainDb, tx: &TxEnv) -> ArbContext {
        let mut ctx = executor::context(db, self.arbos.clone());
        ctx.chain.hook = self.hook.clone();
        ctx.block = RevmBlock {
            number: U256::from(self.block.number),
            timestamp: U256::from(self.block.timestamp),
            gas_limit: self.block.gas_limit,
            basefee: self.block.basefee.saturating_to(),
            beneficiary: self.block.coinbase,
            ..RevmBlock::default()
        };
        ctx.tx = tx.clone();
        ctx.cfg.limit_contract_code_size = Some(self.max_code_size);
        // Test senders need no ETH for gas and no nonce bookkeeping; a contract may send.
        ctx.cfg.disable_fee_charge = true;
        ctx.cfg.disable_base_fee = true;
        ctx.cfg.disable_nonce_check = true;
        ctx.cfg.disable_eip3607 = true;
        ctx
    }

    fn outcome(&mut self, result: ExecutionResult, intrinsic: u64, stylus: StylusTx) -> Outcome {
        let gas = *result.gas();
        let execution_gas = gas.total_gas_spent().saturating_sub(intrinsic);
        let refund = gas.inner_refunded();
        let (code, output, logs) = match result {
            ExecutionResult::Success { logs, output, .. } => {
                let out = match output {
                    Output::Call(out) => out,
                    Output::Create(out, _) => out,
                };
                (InstructionResult::Return, out.to_vec(), logs)
            }
            ExecutionResult::Revert { output, .. } => {
                (InstructionResult::Revert, output.to_vec(), Vec::new())
            }
            ExecutionResult::Halt { reason, .. } => (halt_code(&reason), Vec::new(), Vec::new()),
        };
        let logs = logs
            .into_iter()
            .map(|log| Log {
                address: log.address,
                topics: log.data.topics().to_vec(),
                data: log.data.data.to_vec(),
            })
            .collect();
        self.finish(
            code.is_ok(),
            code,
            output,
            execution_gas,
            refund,
            intrinsic,
            logs,
            stylus,
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn finish(
        &mut self,
        success: bool,
        code: InstructionResult,
        return_data: Vec<u8>,
        execution_gas: u64,
        refund: u64,
        intrinsic_gas: u64,
        logs: Vec<Log>,
        stylus: StylusTx,
    ) -> Outcome {
        self.console.extend(stylus.console);
        self.deepest_stack = self.deepest_stack.max(stylus.deepest_stack);
        let (status, ink_used) = match stylus.top_frame {
            Some((status, ink)) => (status, ink),
            None => (status_of(code), 0),
        };
        Outcome {
            success,
            status,
            return_data,
            execution_gas,
            intrinsic_gas,
            refund,
            gas_used: intrinsic_gas + execution_gas - refund,
            ink_used,
            logs,
            tally: stylus.tally,
            deepest_stack: stylus.deepest_stack,
            failed_frames: stylus.failed_frames,
        }
    }

    // ---- state ----------------------------------------------------------------------------

    /// The ETH balance of `account`.
    pub fn balance(&self, account: Address) -> U256 {
        self.db.balance(account)
    }

    /// Sets the ETH balance of `account` (an EOA springs into existence).
    pub fn set_balance(&mut self, account: Address, value: U256) {
        self.db.set_balance(account, value);
    }

    /// The nonce of `account`.
    pub fn nonce(&self, account: Address) -> u64 {
        self.db.nonce(account)
    }

    /// The code stored at `account`.
    pub fn code(&self, account: Address) -> Vec<u8> {
        self.db.code(account).to_vec()
    }

    /// A storage slot of `account`.
    pub fn storage(&self, account: Address, slot: U256) -> U256 {
        self.db.storage(account, slot)
    }

    /// Sets a storage slot of `account` directly (outside any transaction).
    pub fn set_storage(&mut self, account: Address, slot: U256, value: U256) {
        self.db.set_storage(account, slot, value);
    }

    /// Every non-zero storage slot of `account`, by slot.
    pub fn storage_slots(&self, account: Address) -> Vec<(U256, U256)> {
        let mut slots: Vec<(U256, U256)> = self
            .db
            .cache
            .accounts
            .get(&account)
            .map(|a| {
                a.storage
                    .iter()
                    .filter(|(_, v)| !v.is_zero())
                    .map(|(k, v)| (*k, *v))
                    .collect()
            })
            .unwrap_or_default();
        slots.sort();
        slots
    }

    /// Lines programs printed through the debug `console` imports, oldest first.
    pub fn console(&self) -> Vec<String> {
        self.console.clone()
    }

    // ---- block context --------------------------------------------------------------------

    /// The block context the next transactions see.
    pub fn block(&self) -> BlockEnv {
        self.block.clone()
    }

    /// Replaces the block context.
    pub fn set_block(&mut self, block: BlockEnv) {
        if block.chain_id != self.arbos.chain_id {
            self.edit_arbos(|arbos| arbos.chain_id = block.chain_id);
        }
        self.block = block;
    }

    /// The block timestamp.
    pub fn timestamp(&self) -> u64 {
        self.block.timestamp
    }

    /// Sets the block timestamp.
    pub fn set_timestamp(&mut self, timestamp: u64) {
        self.block.timestamp = timestamp;
    }

    /// Moves the clock forward by `seconds` and the block number by one.
    pub fn advance(&mut self, seconds: u64) {
        self.block.timestamp = self.block.timestamp.saturating_add(seconds);
        self.block.number = self.block.number.saturating_add(1);
    }

    /// Sets the block number programs see.
    pub fn set_block_number(&mut self, number: u64) {
        self.block.number = number;
    }

    /// The ArbOS version whose rules the chain follows.
    pub fn arbos_version(&self) -> u64 {
        self.arbos.arbos_version
    }

    /// Follows the rules of ArbOS `version` from the next transaction on: whether a program
    /// re-entered in a transaction skips its init cost (from ArbOS 60) and each frame's
    /// stack-depth budget (22,000 words from ArbOS 50). Versions below 32 are not modelled.
    pub fn set_arbos_version(&mut self, version: u64) {
        self.edit_arbos(|arbos| arbos.arbos_version = version);
    }

    /// The deepest stack, in Nitro's words, any program frame reached on this chain (a fork
    /// starts again from 0): compare with [`pricing::max_stack_depth`].
    pub fn deepest_stack(&self) -> u32 {
        self.deepest_stack
    }

    /// Sets the largest code a creation may deploy (default 24,576 bytes).
    pub fn set_max_code_size(&mut self, bytes: usize) {
        self.max_code_size = bytes;
    }

    /// The state, for a chain or a node to start from.
    pub fn state(&self) -> &ChainDb {
        &self.db
    }

    /// The code hash of `account`'s code (zero when it has none).
    pub fn code_hash(&self, account: Address) -> B256 {
        let code = self.code(account);
        if code.is_empty() {
            B256::ZERO
        } else {
            keccak256(code)
        }
    }
}

fn take_stylus(ctx: &mut ArbContext) -> StylusTx {
    std::mem::take(&mut *ctx.chain.tx.lock().unwrap_or_else(|p| p.into_inner()))
}

fn frame_outcome(frame: &RevmFrame) -> &revm::interpreter::InterpreterResult {
    frame.interpreter_result()
}

fn halt_code(reason: &HaltReason) -> InstructionResult {
    match reason {
        HaltReason::OutOfGas(OutOfGasError::Basic) => InstructionResult::OutOfGas,
        HaltReason::OutOfGas(_) => InstructionResult::MemoryOOG,
        HaltReason::OutOfFunds => InstructionResult::OutOfFunds,
        HaltReason::CallTooDeep => InstructionResult::CallTooDeep,
        HaltReason::StateChangeDuringStaticCall => InstructionResult::StateChangeDuringStaticCall,
        HaltReason::CreateContractSizeLimit => InstructionResult::CreateContractSizeLimit,
        HaltReason::CreateContractStartingWithEF => InstructionResult::CreateContractStartingWithEF,
        _ => InstructionResult::FatalExternalError,
    }
}

fn status_of(code: InstructionResult) -> Status {
    match code {
        c if c.is_ok() => Status::Success,
        InstructionResult::Revert => Status::Revert,
        InstructionResult::OutOfGas
        | InstructionResult::MemoryOOG
        | InstructionResult::MemoryLimitOOG
        | InstructionResult::PrecompileOOG
        | InstructionResult::InvalidOperandOOG => Status::OutOfGas,
        other => Status::Failure(format!("{other:?}")),
    }
}
