//! Transaction execution: one chain, two runtimes.
//!
//! revm runs EVM bytecode and owns the one state and journal. Every call frame passes through
//! [`ArbPrecompiles`] before revm would interpret code: Arbitrum's precompiles are answered
//! there in Rust, Ethereum's by revm's own, and a callee whose code is Stylus (`0xEFF000…`)
//! runs in the embedded Stylus host ([`keel_stylus_host`]) with Nitro's metering. The Stylus
//! host reaches the state only through [`keel_stylus_host::api::EvmApi`], implemented here
//! over revm's journal ([`RevmApi`]); a program's calls and creations run as nested revm
//! executions on the same journal, so value, revert data, static and delegate rules and the
//! rollback of a reverted frame are revm's, whichever runtime each frame uses.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use alloy_primitives::{Address, Bytes, B256, U256};
use keel_stylus_host::api::EvmApi;
use keel_stylus_host::code::is_stylus;
use keel_stylus_host::exec::{run_program, CallKind, CreateResult, FrameResult, Msg, Status};
use keel_stylus_host::pricing::gas;
use keel_stylus_host::{BlockEnv as StylusBlock, GasTally, Log as StylusLog};
use revm::context::{BlockEnv, CfgEnv, Context, Evm, FrameStack, Journal, TxEnv};
use revm::context_interface::{Block, Cfg, ContextTr, JournalTr, LocalContextTr, Transaction};
use revm::database::{CacheDB, EmptyDB};
use revm::handler::instructions::EthInstructions;
use revm::handler::{
    EthFrame, EthPrecompiles, EvmTr, FrameResult as RevmFrame, ItemOrResult, PrecompileProvider,
};
use revm::interpreter::interpreter::EthInterpreter;
use revm::interpreter::interpreter_action::FrameInit;
use revm::interpreter::{
    CallInput, CallInputs, CallScheme, CallValue, CreateInputs, FrameInput, Gas, InstructionResult,
    InterpreterResult, SharedMemory,
};
use revm::primitives::hardfork::SpecId;
use revm::primitives::{AddressSet, Log, LogData};
use revm::state::{AccountInfo, Bytecode};

use crate::arbos::{self, ArbOs};

/// The chain's state database: accounts, code and storage in memory.
pub type ChainDb = CacheDB<EmptyDB>;
/// Reading and writing accounts and storage of a [`ChainDb`] directly, outside any
/// transaction (genesis, dev methods, tests).
pub trait StateAccess {
    /// The account's balance, nonce and code, if it exists.
    fn account(&self, address: Address) -> Option<AccountInfo>;
    /// Sets the account's balance, nonce and code (its storage stays).
    fn put_account(&mut self, address: Address, info: AccountInfo);
    /// A storage slot.
    fn storage(&self, address: Address, slot: U256) -> U256;
    /// Sets a storage slot.
    fn set_storage(&mut self, address: Address, slot: U256, value: U256);

    /// The account's balance.
    fn balance(&self, address: Address) -> U256 {
        self.account(address).map(|a| a.balance).unwrap_or_default()
    }
    /// The account's nonce.
    fn nonce(&self, address: Address) -> u64 {
        self.account(address).map(|a| a.nonce).unwrap_or_default()
    }
    /// The account's code.
    fn code(&self, address: Address) -> Bytes {
        self.account(address)
            .and_then(|a| a.code)
            .map(|c| c.original_bytes())
            .unwrap_or_default()
    }
    /// Sets the account's ETH balance.
    fn set_balance(&mut self, address: Address, balance: U256) {
        let mut info = self.account(address).unwrap_or_default();
        info.balance = balance;
        self.put_account(address, info);
    }
    /// Sets the account's nonce.
    fn set_nonce(&mut self, address: Address, nonce: u64) {
        let mut info = self.account(address).unwrap_or_default();
        info.nonce = nonce;
        self.put_account(address, info);
    }
    /// Replaces the account's code.
    fn set_code(&mut self, address: Address, code: Bytes) {
        let mut info = self.account(address).unwrap_or_default();
        let code = Bytecode::new_raw(code);
        info.code_hash = code.hash_slow();
        info.code = Some(code);
        self.put_account(address, info);
    }
}

impl StateAccess for ChainDb {
    fn account(&self, address: Address) -> Option<AccountInfo> {
        self.cache.accounts.get(&address).and_then(|a| a.info())
    }

    fn put_account(&mut self, address: Address, info: AccountInfo) {
        self.insert_account_info(address, info);
    }

    fn storage(&self, address: Address, slot: U256) -> U256 {
        self.cache
            .accounts
            .get(&address)
            .and_then(|a| a.storage.get(&slot).copied())
            .unwrap_or_default()
    }

    fn set_storage(&mut self, address: Address, slot: U256, value: U256) {
        if self.account(address).is_none() {
            self.insert_account_info(address, AccountInfo::default());
        }
        let _ = self.insert_account_storage(address, slot, value);
    }
}

/// revm's context with the per-transaction Arbitrum state in its `chain` slot.
pub type ArbContext = Context<BlockEnv, TxEnv, CfgEnv, ChainDb, Journal<ChainDb>, ArbChain>;
/// The EVM over a context `C` (owned at the top, borrowed in nested executions).
pub type ArbEvm<C> =
    Evm<C, (), EthInstructions<EthInterpreter, C>, ArbPrecompiles, EthFrame<EthInterpreter>>;

/// The Ethereum hard fork Arbitrum's EVM follows (ArbOS 40 and later: Prague).
pub const SPEC: SpecId = SpecId::PRAGUE;

/// What one transaction's Stylus frames share besides the state: Nitro keeps these per
/// transaction outside the EVM's journal.
#[derive(Default)]
pub struct StylusTx {
    /// Stylus pages open now and the most ever open.
    pub pages: (u16, u16),
    /// Programs entered (Nitro's recent-program cache, ArbOS 60 and later).
    pub recent: Vec<B256>,
    /// Open non-delegate frames per address (the reentrancy flag).
    pub frames: HashMap<Address, u32>,
    /// Where the gas went besides the programs' own ink.
    pub tally: GasTally,
    /// Lines printed through the debug `console` imports.
    pub console: Vec<String>,
    /// The deepest any program frame's stack went, in Nitro's words.
    pub deepest_stack: u32,
    /// How the transaction's top frame ended and the ink it used, when it was a Stylus
    /// program (revm sees only return or revert; a trap's reason is kept here).
    pub top_frame: Option<(Status, u64)>,
    /// Every program frame that failed — trapped, ran out of stack, or broke a rule of the
    /// host — as (its code's address, how), whether or not its caller recovered.
    pub failed_frames: Vec<(Address, Status)>,
}

/// The `chain` part of [`ArbContext`]: ArbOS settings, the compiled programs and the running
/// transaction's Stylus state.
#[derive(Clone)]
pub struct ArbChain {
    /// ArbOS settings and the compiled-module cache, shared by every context of the chain.
    pub arbos: Arc<ArbOs>,
    /// The running transaction's Stylus state.
    pub tx: Arc<Mutex<StylusTx>>,
    /// What every call frame passes first, when set (Foundry's cheatcodes in `keel forge-test`;
    /// never on a served chain).
    pub hook: Option<Arc<dyn CallHook>>,
}

/// A hook every call frame passes before anything runs for it — EVM, Stylus or precompile —
/// with revm's checkpoint for the frame taken and its value moved. It may answer the call
/// itself (`Some`), typically after running it changed through [`run_call`]; `None` lets it run.
pub trait CallHook: Send + Sync {
    /// The frame's result, or `None` to let the call run as it is.
    fn call(&self, ctx: &mut ArbContext, inputs: &CallInputs) -> Option<InterpreterResult>;
}

/// A call frame as a [`CallRecorder`] saw it, before it ran.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedCall {
    /// `msg.sender` as the callee sees it.
    pub caller: Address,
    /// Whose storage and balance the frame acts on.
    pub address: Address,
    /// Whose code runs (differs from `address` in a delegate call).
    pub code_address: Address,
    /// Whether it was a delegate call.
    pub delegate: bool,
    /// Whether nothing below it may change state.
    pub read_only: bool,
    /// The calldata.
    pub input: Vec<u8>,
}

/// A [`CallHook`] that records every call frame and lets it run: the calls a transaction
/// made, down to its deepest sub-call.
#[derive(Debug, Default)]
pub struct CallRecorder {
    calls: Mutex<Vec<RecordedCall>>,
}

impl CallRecorder {
    /// The calls recorded so far, clearing them.
    pub fn take(&self) -> Vec<RecordedCall> {
        std::mem::take(&mut *self.calls.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl CallHook for CallRecorder {
    fn call(&self, ctx: &mut ArbContext, inputs: &CallInputs) -> Option<InterpreterResult> {
        let call = RecordedCall {
            caller: inputs.caller,
            address: inputs.target_address,
            code_address: inputs.bytecode_address,
            delegate: matches!(inputs.scheme, CallScheme::DelegateCall),
            read_only: inputs.is_static,
            input: inputs.input.bytes(ctx).to_vec(),
        };
        self.calls
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(call);
        None
    }
}

/// Runs `inputs` as a nested frame of the running transaction (for a [`CallHook`] that runs the
/// call it intercepted with other inputs; pass the value as `CallValue::Apparent`, since revm
/// already moved it for the intercepted frame).
pub fn run_call(ctx: &mut ArbContext, inputs: CallInputs) -> InterpreterResult {
    let depth = ctx.journal().depth();
    run_frame(ctx, FrameInput::Call(Box::new(inputs)), depth)
        .interpreter_result()
        .clone()
}

impl ArbChain {
    /// A chain part with fresh transaction state.
    pub fn new(arbos: Arc<ArbOs>) -> Self {
        ArbChain {
            arbos,
            tx: Arc::new(Mutex::new(StylusTx::default())),
            hook: None,
        }
    }

    fn stylus_tx(&self) -> std::sync::MutexGuard<'_, StylusTx> {
        self.tx.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A context for `db` with the chain's settings.
pub fn context(db: ChainDb, arbos: Arc<ArbOs>) -> ArbContext {
    let chain_id = arbos.chain_id;
    Context::<BlockEnv, TxEnv, CfgEnv, ChainDb, Journal<ChainDb>, ()>::new(db, SPEC)
        .with_chain(ArbChain::new(arbos))
        .modify_cfg_chained(|cfg| {
            cfg.chain_id = chain_id;
            // Stylus code starts with 0xEF; Arbitrum accepts it (EIP-3541 does not apply).
            cfg.disable_eip3541 = true;
            // Nitro applies EIP-7623's calldata floor only when the chain owner turns on
            // ArbOS's calldata-price-increase feature, which is off by default.
            cfg.disable_eip7623 = true;
        })
}

/// The EVM over an owned context.
pub fn evm(ctx: ArbContext) -> ArbEvm<ArbContext> {
    let precompiles = ArbPrecompiles::new();
    Evm {
        ctx,
        inspector: (),
        instruction: EthInstructions::new_mainnet_with_spec(SPEC),
        precompiles,
        frame_stack: FrameStack::new_prealloc(8),
    }
}

/// Ethereum's precompiles, Arbitrum's, and the hand-off of Stylus frames to the WASM host.
#[derive(Clone)]
pub struct ArbPrecompiles {
    ethereum: EthPrecompiles,
    warm: AddressSet,
}

impl ArbPrecompiles {
    fn new() -> Self {
        let ethereum = EthPrecompiles::new(SPEC);
        let mut warm = ethereum.warm_addresses().clone();
        warm.extend(arbos::PRECOMPILES.iter().copied());
        ArbPrecompiles { ethereum, warm }
    }
}

impl<C> PrecompileProvider<C> for ArbPrecompiles
where
    C: ContextTr + std::borrow::BorrowMut<ArbContext>,
{
    type Output = InterpreterResult;

    fn set_spec(&mut self, _spec: <C::Cfg as Cfg>::Spec) -> bool {
        false
    }

    fn run(
        &mut self,
        context: &mut C,
        inputs: &CallInputs,
    ) -> Result<Option<Self::Output>, String> {
        let ctx: &mut ArbContext = context.borrow_mut();
        if let Some(hook) = ctx.chain.hook.clone() {
            if let Some(result) = hook.call(ctx, inputs) {
                return Ok(Some(result));
            }
        }
        let address = inputs.bytecode_address;
        if let Some(handler) = ctx.chain.arbos.precompile(address) {
            let msg = message(ctx, inputs);
            let (result, refund) = with_api(ctx, |api| {
                keel_stylus_host::native::run(api, &msg, &handler)
            });
            return Ok(Some(interpreter_result(result, refund, inputs.gas_limit)));
        }
        if self.ethereum.contains(&address) {
            return PrecompileProvider::<ArbContext>::run(&mut self.ethereum, ctx, inputs);
        }
        let code = inputs.known_bytecode.1.original_byte_slice();
        if !is_stylus(code) {
            return Ok(None);
        }
        let code_hash = inputs.known_bytecode.0;
        let msg = message(ctx, inputs);
        let (result, refund) = run_stylus(ctx, &msg, code_hash);
        Ok(Some(interpreter_result(result, refund, inputs.gas_limit)))
    }

    fn warm_addresses(&self) -> &AddressSet {
        &self.warm
    }
}

/// The host's message for revm's call inputs.
fn message(ctx: &ArbContext, inputs: &CallInputs) -> Msg {
    let kind = match inputs.scheme {
        CallScheme::DelegateCall | CallScheme::CallCode => CallKind::Delegate,
        CallScheme::StaticCall => CallKind::Static,
        CallScheme::Call => CallKind::Call,
    };
    Msg {
        kind,
        caller: inputs.caller,
        address: inputs.target_address,
        code_address: inputs.bytecode_address,
        value: inputs.value.get(),
        // revm moved the value before handing the frame over.
        transfer: false,
        input: inputs.input.bytes(ctx).to_vec(),
        gas: inputs.gas_limit,
        read_only: inputs.is_static,
        depth: ctx.journal().depth().saturating_sub(1),
    }
}

/// Runs the Stylus program with code hash `code_hash` for `msg`, as Nitro's `CallProgram`:
/// it must be active at the chain's Stylus version.
fn run_stylus(ctx: &mut ArbContext, msg: &Msg, code_hash: B256) -> (FrameResult, i64) {
    let arbos = ctx.chain.arbos.clone();
    let now = ctx.block.timestamp().saturating_to();
    let record = match arbos.active_program(&mut ctx.journaled_state, code_hash, now) {
        Ok(record) => record,
        Err(revert) => {
            let result = FrameResult {
                status: Status::Revert,
                output: revert,
                gas_left: msg.gas,
                ink_used: 0,
            };
            return (result, 0);
        }
    };
    let Some(program) = arbos.compiled(code_hash, || {
        ctx.journaled_state
            .code(msg.code_address)
            .map(|c| c.data)
            .unwrap_or_default()
    }) else {
        let failed = FrameResult::fail(Status::Failure("the program does not compile".into()), 0);
        return (failed, 0);
    };
    let (cached, reentrant) = {
        let mut tx = ctx.chain.stylus_tx();
        let recent = arbos.recent_discount() && enter_recent(&mut tx.recent, code_hash);
        let counted = msg.kind != CallKind::Delegate;
        let open = tx.frames.entry(msg.address).or_default();
        if counted {
            *open += 1;
        }
        (record.cached || recent, *open > 1)
    };
    let result = with_api(ctx, |_| {
        run_program(Box::new(RevmApi), msg, &program, cached, reentrant).0
    });
    if msg.depth == 0 {
        ctx.chain.stylus_tx().top_frame = Some((result.0.status.clone(), result.0.ink_used));
    }
    if matches!(result.0.status, Status::Failure(_)) {
        ctx.chain
            .stylus_tx()
            .failed_frames
            .push((msg.code_address, result.0.status.clone()));
    }
    if msg.kind != CallKind::Delegate {
        if let Some(open) = ctx.chain.stylus_tx().frames.get_mut(&msg.address) {
            *open = open.saturating_sub(1);
        }
    }
    result
}

fn enter_recent(recent: &mut Vec<B256>, hash: B256) -> bool {
    if recent.contains(&hash) {
        return true;
    }
    if recent.len() >= keel_stylus_host::pricing::RECENT_PROGRAMS {
        recent.remove(0);
    }
    recent.push(hash);
    false
}

/// revm's result for a finished host frame whose gas limit was `limit` and whose storage
/// writes earned `refund`.
fn interpreter_result(result: FrameResult, refund: i64, limit: u64) -> InterpreterResult {
    let mut gas = Gas::new(limit);
    let _ = gas.record_regular_cost(limit.saturating_sub(result.gas_left));
    gas.record_refund(refund);
    let (result_code, output) = match result.status {
        Status::Success => (InstructionResult::Return, result.output),
        Status::Revert => (InstructionResult::Revert, result.output),
        Status::OutOfGas => (InstructionResult::OutOfGas, Vec::new()),
        Status::Failure(_) => (InstructionResult::Revert, Vec::new()),
    };
    if result_code != InstructionResult::Return {
        gas.set_refund(0);
    }
    InterpreterResult {
        result: result_code,
        output: output.into(),
        gas,
    }
}

// ---- the context on loan to the Stylus host ------------------------------------------------

thread_local! {
    /// Contexts lent to running host frames, innermost last. wasmer keeps a frame's host
    /// state for the whole run and requires it to be `Send + 'static`; revm's context is
    /// neither (its memory buffer is an `Rc`), so the frame holds a handle ([`RevmApi`]) and
    /// the context waits here, on the thread the frame runs on.
    static LENT: RefCell<Vec<ArbContext>> = const { RefCell::new(Vec::new()) };
    /// SSTORE refunds of the innermost host frame, passed to revm with its result.
    static REFUND: RefCell<Vec<i64>> = const { RefCell::new(Vec::new()) };
}

/// Lends `ctx` to a host frame for the duration of `run`; returns what `run` returned and the
/// SSTORE refund the frame earned.
fn with_api<T>(ctx: &mut ArbContext, run: impl FnOnce(&mut RevmApi) -> T) -> (T, i64) {
    let placeholder = context(ChainDb::default(), ctx.chain.arbos.clone());
    let owned = std::mem::replace(ctx, placeholder);
    LENT.with_borrow_mut(|lent| lent.push(owned));
    REFUND.with_borrow_mut(|r| r.push(0));
    let out = run(&mut RevmApi);
    let refund = REFUND.with_borrow_mut(|r| r.pop().unwrap_or(0));
    if let Some(back) = LENT.with_borrow_mut(|lent| lent.pop()) {
        *ctx = back;
    }
    (out, refund)
}

/// The Stylus host's view of the chain: revm's journal, through the lent context.
pub struct RevmApi;

impl RevmApi {
    fn ctx<T>(&self, f: impl FnOnce(&mut ArbContext) -> T) -> T {
        LENT.with_borrow_mut(|lent| match lent.last_mut() {
            Some(ctx) => f(ctx),
            None => panic!("a Stylus frame ran without a lent context"),
        })
    }

    fn add_refund(&self, amount: i64) {
        REFUND.with_borrow_mut(|r| {
            if let Some(top) = r.last_mut() {
                *top += amount;
            }
        });
    }

    /// Runs a nested frame on the lent context (taken out of the slot while it runs, so a
    /// nested host frame can lend it again).
    fn nested(&mut self, frame_input: FrameInput, depth: usize) -> RevmFrame {
        let Some(mut ctx) = LENT.with_borrow_mut(|lent| lent.pop()) else {
            panic!("a Stylus frame ran without a lent context");
        };
        let result = run_frame(&mut ctx, frame_input, depth);
        LENT.with_borrow_mut(|lent| lent.push(ctx));
        result
    }
}

/// Runs a read-only call from the transaction's caller to `to` as the top frame, after the
/// warming revm's handler does before a transaction (precompiles, coinbase, caller, target);
/// nothing is committed. (revm's handler has no static transactions.)
pub fn static_frame(ctx: &mut ArbContext, to: Address, input: Bytes, gas: u64) -> RevmFrame {
    let precompiles = ArbPrecompiles::new();
    ctx.journaled_state.warm_precompiles(&precompiles.warm);
    let coinbase = ctx.block.beneficiary;
    ctx.journaled_state.warm_coinbase_account(coinbase);
    let caller = ctx.tx.caller;
    let _ = ctx.journaled_state.load_account(caller);
    let code = ctx
        .journaled_state
        .load_account_with_code(to)
        .ok()
        .and_then(|l| l.data.info.code.clone())
        .unwrap_or_default();
    let inputs = CallInputs {
        input: CallInput::Bytes(input),
        return_memory_offset: 0..0,
        gas_limit: gas,
        reservoir: 0,
        bytecode_address: to,
        known_bytecode: (code.hash_slow(), code),
        target_address: to,
        caller,
        value: CallValue::Transfer(U256::ZERO),
        scheme: CallScheme::StaticCall,
        is_static: true,
        charged_new_account_state_gas: false,
    };
    run_frame(ctx, FrameInput::Call(Box::new(inputs)), 0)
}

/// Runs one frame (and everything it calls) to completion on `ctx`.
fn run_frame(ctx: &mut ArbContext, frame_input: FrameInput, depth: usize) -> RevmFrame {
    let mut parent = SharedMemory::new_with_buffer(ctx.local().shared_memory_buffer().clone());
    let memory = parent.new_child_context();
    let mut evm: ArbEvm<&mut ArbContext> = Evm {
        ctx,
        inspector: (),
        instruction: EthInstructions::new_mainnet_with_spec(SPEC),
        precompiles: ArbPrecompiles::new(),
        frame_stack: FrameStack::new_prealloc(4),
    };
    let init = FrameInit {
        depth,
        memory,
        frame_input,
    };
    type Outcome =
        Result<RevmFrame, revm::context_interface::context::ContextError<std::convert::Infallible>>;
    let outcome: Outcome = (|| {
        let mut next = match evm.frame_init(init)? {
            ItemOrResult::Result(result) => return Ok(result),
            ItemOrResult::Item(_) => evm.frame_run()?,
        };
        loop {
            let result = match next {
                ItemOrResult::Item(init) => match evm.frame_init(init)? {
                    ItemOrResult::Item(_) => {
                        next = evm.frame_run()?;
                        continue;
                    }
                    ItemOrResult::Result(result) => result,
                },
                ItemOrResult::Result(result) => result,
            };
            if let Some(result) = evm.frame_return_result(result)? {
                return Ok(result);
            }
            next = evm.frame_run()?;
        }
    })();
    outcome.unwrap_or_else(|_| {
        RevmFrame::Call(revm::interpreter::CallOutcome::new(
            InterpreterResult::new(
                InstructionResult::FatalExternalError,
                Bytes::new(),
                Gas::new(0),
            ),
            0..0,
        ))
    })
}

impl EvmApi for RevmApi {
    fn origin(&self) -> Address {
        self.ctx(|c| c.tx.caller())
    }

    fn block(&self) -> StylusBlock {
        self.ctx(|c| StylusBlock {
            number: c.block.number().saturating_to(),
            timestamp: c.block.timestamp().saturating_to(),
            basefee: U256::from(c.block.basefee()),
            gas_price: U256::from(c.tx.effective_gas_price(u128::from(c.block.basefee()))),
            coinbase: c.block.beneficiary(),
            gas_limit: c.block.gas_limit(),
            chain_id: c.cfg.chain_id,
        })
    }

    fn sload(&mut self, contract: Address, key: B256) -> (B256, u64) {
        let (value, cold) = self.ctx(|c| {
            let _ = c.journaled_state.load_account(contract);
            match c.journaled_state.sload(contract, key.into()) {
                Ok(load) => (load.data, load.is_cold),
                Err(_) => (U256::ZERO, true),
            }
        });
        let cost = if cold {
            gas::COLD_SLOAD
        } else {
            gas::WARM_READ
        };
        self.ctx(|c| {
            let mut tx = c.chain.stylus_tx();
            tx.tally.sloads += 1;
            tx.tally.sload_gas += cost;
        });
        (value.into(), cost)
    }

    fn sstore_gas(&mut self, contract: Address, key: B256, value: B256) -> u64 {
        let value = U256::from_be_bytes(value.0);
        let (current, original, cold) = self.ctx(|c| {
            let _ = c.journaled_state.load_account(contract);
            let cold = c
                .journaled_state
                .sload(contract, key.into())
                .map(|l| l.is_cold)
                .unwrap_or(true);
            let slot = c
                .journaled_state
                .evm_state()
                .get(&contract)
                .and_then(|a| a.storage.get(&U256::from_be_bytes(key.0)));
            let (current, original) = slot.map_or((U256::ZERO, U256::ZERO), |s| {
                (s.present_value, s.original_value)
            });
            (current, original, cold)
        });
        let (cost, refund) = sstore_cost(original, current, value, cold);
        self.add_refund(refund);
        self.ctx(|c| {
            let mut tx = c.chain.stylus_tx();
            tx.tally.sstores += 1;
            tx.tally.sstore_gas += cost;
        });
        cost
    }

    fn sstore(&mut self, contract: Address, key: B256, value: B256) {
        self.ctx(|c| {
            let _ = c
                .journaled_state
                .sstore(contract, key.into(), U256::from_be_bytes(value.0));
        });
    }

    fn tload(&mut self, contract: Address, key: B256) -> B256 {
        self.ctx(|c| c.journaled_state.tload(contract, key.into()).into())
    }

    fn tstore(&mut self, contract: Address, key: B256, value: B256) {
        self.ctx(|c| {
            c.journaled_state
                .tstore(contract, key.into(), U256::from_be_bytes(value.0))
        });
    }

    fn warm_account(&mut self, account: Address) -> bool {
        self.ctx(|c| {
            c.journaled_state
                .load_account(account)
                .map(|l| l.is_cold)
                .unwrap_or(true)
        })
    }

    fn account_exists(&mut self, account: Address) -> bool {
        self.ctx(|c| {
            c.journaled_state
                .load_account(account)
                .map(|l| !l.data.is_empty())
                .unwrap_or(false)
        })
    }

    fn balance(&mut self, account: Address) -> U256 {
        self.ctx(|c| {
            c.journaled_state
                .load_account(account)
                .map(|l| l.data.info.balance)
                .unwrap_or_default()
        })
    }

    fn code(&mut self, account: Address) -> Bytes {
        self.ctx(|c| {
            c.journaled_state
                .code(account)
                .map(|l| l.data)
                .unwrap_or_default()
        })
    }

    fn code_hash(&mut self, account: Address) -> B256 {
        self.ctx(|c| {
            c.journaled_state
                .code_hash(account)
                .map(|l| l.data)
                .unwrap_or_default()
        })
    }

    fn transfer(&mut self, from: Address, to: Address, value: U256) -> bool {
        self.ctx(|c| {
            let _ = c.journaled_state.load_account(from);
            let _ = c.journaled_state.load_account(to);
            matches!(c.journaled_state.transfer(from, to, value), Ok(None))
        })
    }

    fn emit_log(&mut self, log: StylusLog) {
        self.ctx(|c| {
            c.journaled_state.log(Log {
                address: log.address,
                data: LogData::new_unchecked(log.topics, log.data.into()),
            })
        });
    }

    fn call(&mut self, msg: Msg) -> FrameResult {
        let known_bytecode = self.ctx(|c| {
            let code = c
                .journaled_state
                .load_account_with_code(msg.code_address)
                .ok()
                .and_then(|l| l.data.info.code.clone())
                .unwrap_or_default();
            (code.hash_slow(), code)
        });
        let (scheme, value) = match msg.kind {
            CallKind::Call => (CallScheme::Call, CallValue::Transfer(msg.value)),
            CallKind::Delegate => (CallScheme::DelegateCall, CallValue::Apparent(msg.value)),
            CallKind::Static => (CallScheme::StaticCall, CallValue::Transfer(U256::ZERO)),
        };
        let inputs = CallInputs {
            input: CallInput::Bytes(msg.input.into()),
            return_memory_offset: 0..0,
            gas_limit: msg.gas,
            reservoir: 0,
            bytecode_address: msg.code_address,
            known_bytecode,
            target_address: msg.address,
            caller: msg.caller,
            value,
            scheme,
            is_static: msg.read_only,
            charged_new_account_state_gas: false,
        };
        let outcome = self.nested(FrameInput::Call(Box::new(inputs)), msg.depth);
        let result = outcome.interpreter_result();
        if result.result.is_ok() {
            self.add_refund(result.gas.refunded());
        }
        frame_result(result)
    }

    fn create(
        &mut self,
        caller: Address,
        init_code: &[u8],
        value: U256,
        salt: Option<B256>,
        gas: u64,
        depth: usize,
    ) -> CreateResult {
        let scheme = match salt {
            Some(salt) => revm::context_interface::CreateScheme::Create2 {
                salt: U256::from_be_bytes(salt.0),
            },
            None => revm::context_interface::CreateScheme::Create,
        };
        let inputs = CreateInputs::new(
            caller,
            scheme,
            value,
            Bytes::copy_from_slice(init_code),
            gas,
            0,
        );
        let outcome = self.nested(FrameInput::Create(Box::new(inputs)), depth);
        let address = match &outcome {
            RevmFrame::Create(c) => c.address,
            RevmFrame::Call(_) => None,
        };
        let result = outcome.interpreter_result();
        if result.result.is_ok() {
            self.add_refund(result.gas.refunded());
        }
        let reverted = result.result == InstructionResult::Revert;
        CreateResult {
            address: address.filter(|_| result.result.is_ok()),
            output: if reverted {
                result.output.to_vec()
            } else {
                Vec::new()
            },
            gas_left: result.gas.remaining(),
        }
    }

    fn arbos_version(&self) -> u64 {
        self.ctx(|c| c.chain.arbos.arbos_version)
    }

    fn note_stack_depth(&mut self, words: u32) {
        self.ctx(|c| {
            let mut tx = c.chain.stylus_tx();
            tx.deepest_stack = tx.deepest_stack.max(words);
        });
    }

    fn pages(&self) -> (u16, u16) {
        self.ctx(|c| c.chain.stylus_tx().pages)
    }

    fn set_pages(&mut self, pages: (u16, u16)) {
        self.ctx(|c| c.chain.stylus_tx().pages = pages);
    }

    fn count(&mut self, gas: GasTally) {
        self.ctx(|c| c.chain.stylus_tx().tally += gas);
    }

    fn console(&mut self, line: String) {
        self.ctx(|c| c.chain.stylus_tx().console.push(line));
    }

    fn profiling(&self) -> bool {
        self.ctx(|c| c.chain.arbos.profile().is_some())
    }

    fn covering(&self) -> bool {
        self.ctx(|c| c.chain.arbos.coverage().is_some())
    }

    fn record_coverage(&mut self, program: B256, bitmap: &[u64]) {
        self.ctx(|c| {
            let Some(coverage) = c.chain.arbos.coverage() else {
                return;
            };
            let mut log = coverage.lock().unwrap_or_else(|p| p.into_inner());
            let hit = log.hit.entry(program).or_default();
            if hit.len() < bitmap.len() {
                hit.resize(bitmap.len(), 0);
            }
            for (word, bits) in hit.iter_mut().zip(bitmap) {
                *word |= bits;
            }
        })
    }

    fn record_profile(&mut self, program: B256, ink_by_function: &[(usize, u64)]) {
        self.ctx(|c| {
            let Some(profile) = c.chain.arbos.profile() else {
                return;
            };
            let mut profile = profile.lock().unwrap_or_else(|p| p.into_inner());
            let spent = profile.entry(program).or_default();
            for &(index, ink) in ink_by_function {
                if spent.len() <= index {
                    spent.resize(index + 1, 0);
                }
                spent[index] += ink;
            }
        });
    }
}

/// The host's view of a finished revm frame.
fn frame_result(result: &InterpreterResult) -> FrameResult {
    let status = if result.result.is_ok() {
        Status::Success
    } else if result.result == InstructionResult::Revert {
        Status::Revert
    } else if matches!(
        result.result,
        InstructionResult::OutOfGas
            | InstructionResult::MemoryOOG
            | InstructionResult::MemoryLimitOOG
            | InstructionResult::PrecompileOOG
            | InstructionResult::InvalidOperandOOG
    ) {
        Status::OutOfGas
    } else {
        Status::Failure(format!("{:?}", result.result))
    };
    FrameResult {
        status,
        output: result.output.to_vec(),
        gas_left: result.gas.remaining(),
        ink_used: 0,
    }
}

/// geth's `WasmStateStoreCost` (EIP-2200, EIP-2929, EIP-3529): the gas of storing `value`
/// over `current` (the slot held `original` when the transaction began), and the refund
/// counter's change.
fn sstore_cost(original: U256, current: U256, value: U256, cold: bool) -> (u64, i64) {
    let cold_cost = if cold { gas::COLD_SLOAD } else { 0 };
    if current == value {
        return (cold_cost + gas::WARM_READ, 0);
    }
    let clears = gas::SSTORE_CLEARS_REFUND as i64;
    if original == current {
        if original.is_zero() {
            return (cold_cost + gas::SSTORE_SET, 0);
        }
        let refund = if value.is_zero() { clears } else { 0 };
        return (cold_cost + (gas::SSTORE_RESET - gas::COLD_SLOAD), refund);
    }
    let mut refund = 0;
    if !original.is_zero() {
        if current.is_zero() {
            refund -= clears;
        } else if value.is_zero() {
            refund += clears;
        }
    }
    if original == value {
        refund += if original.is_zero() {
            (gas::SSTORE_SET - gas::WARM_READ) as i64
        } else {
            (gas::SSTORE_RESET - gas::COLD_SLOAD - gas::WARM_READ) as i64
        };
    }
    (cold_cost + gas::WARM_READ, refund)
}
