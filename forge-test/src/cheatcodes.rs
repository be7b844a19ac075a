//! Foundry's cheatcodes on Keel's chain: a [`CallHook`] that answers calls to the cheatcode
//! address (`warp`, `roll`, `deal`, `store`, `load`, `prank`, `startPrank`, `stopPrank`,
//! `expectRevert`, `expectPartialRevert`, `expectEmit`, `addr`, `sign`, `label`, … as declared in
//! `sol/Vm.sol`) and applies pranks and expectations to the calls a test contract makes next.
//!
//! A prank or an expectation belongs to the contract that set it and to its frame depth, as in
//! Foundry: it applies to that contract's next call (every call, for `startPrank`) from the same
//! depth, whether the callee is EVM bytecode or a Stylus program. Such a call is run again with
//! the changed caller through [`run_call`], inside the frame revm opened for it, so a revert
//! unwinds exactly what the call did. What a pranked call sends is paid by the test contract.
//! Pranks do not apply to contract creation.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use alloy_primitives::{address, Address, Bytes, B256, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use alloy_sol_types::{SolCall, SolError, SolInterface};
use keel_chain::executor::{run_call, ArbContext, CallHook};
use revm::context_interface::journaled_state::account::JournaledAccountTr;
use revm::context_interface::{ContextTr, JournalTr};
use revm::interpreter::{CallInputs, CallValue, Gas, InstructionResult, InterpreterResult};
use revm::primitives::Log;

alloy_sol_types::sol!("sol/Vm.sol");

/// Foundry's cheatcode address (`address(uint160(uint256(keccak256("hevm cheat code"))))`).
pub const VM_ADDRESS: Address = address!("7109709ECfa91a80626fF3989D68f67F5b1DD12D");

/// How much zeroed output a call gets when it reverted as expected: enough for the caller to
/// decode whatever it expected the call to return.
const EXPECTED_REVERT_OUTPUT: usize = 8192;

/// Names for what the cheatcodes report: revert data and events as a person reads them.
pub trait Describe: Send + Sync {
    /// Revert data as a reason (a Solidity error by name with its arguments).
    fn revert(&self, data: &[u8]) -> String;
    /// The event whose topic 0 is `topic0`, by name and parameter types.
    fn event(&self, topic0: B256) -> String;
}

/// `prank` or `startPrank` in force.
#[derive(Clone, Debug)]
struct Prank {
    by: Address,
    depth: usize,
    sender: Address,
    origin: Option<Address>,
    once: bool,
}

/// What revert data an expected revert accepts.
#[derive(Clone, Debug)]
enum RevertMatch {
    Any,
    Exactly(Bytes),
    Selector([u8; 4]),
}

#[derive(Clone, Debug)]
struct ExpectedRevert {
    by: Address,
    depth: usize,
    expected: RevertMatch,
}

#[derive(Clone, Debug)]
struct ExpectedEmit {
    by: Address,
    depth: usize,
    /// Topics 1–3 and the data: whether each is compared.
    checks: [bool; 4],
    emitter: Option<Address>,
    /// The journal's log count when it was set: the test's own event comes after it.
    mark: usize,
}

/// The cheatcodes' state within one test (and what `setUp` hands each test).
#[derive(Clone, Debug, Default)]
pub struct CheatState {
    /// Labels set with `vm.label`.
    pub labels: BTreeMap<Address, String>,
    /// The last `vm.warp` and `vm.roll`, which outlive the transaction (from `setUp` into tests).
    pub warped: Option<u64>,
    pub rolled: Option<u64>,
    prank: Option<Prank>,
    expected_revert: Option<ExpectedRevert>,
    expected_emits: Vec<ExpectedEmit>,
}

impl CheatState {
    /// Expectations set but never met by a call (each a failure reason), cleared.
    pub fn take_unmet(&mut self) -> Vec<String> {
        let mut unmet = Vec::new();
        if self.expected_revert.take().is_some() {
            unmet.push("vm.expectRevert: no call followed it".to_string());
        }
        if !self.expected_emits.is_empty() {
            self.expected_emits.clear();
            unmet.push("vm.expectEmit: no call followed it".to_string());
        }
        unmet
    }
}

/// The hook: cheatcode calls answered, pranks and expectations applied.
pub struct Cheatcodes {
    state: Mutex<CheatState>,
    describe: Arc<dyn Describe>,
}

impl Cheatcodes {
    /// Cheatcodes starting from `state` (fresh, or what `setUp` left), naming unexpected
    /// reverts and missing events with `describe`.
    pub fn new(state: CheatState, describe: Arc<dyn Describe>) -> Arc<Self> {
        Arc::new(Cheatcodes {
            state: Mutex::new(state),
            describe,
        })
    }

    /// The state now.
    pub fn state(&self) -> MutexGuard<'_, CheatState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Answers a call to [`VM_ADDRESS`].
    fn cheat(&self, ctx: &mut ArbContext, inputs: &CallInputs) -> InterpreterResult {
        let input = inputs.input.bytes(ctx);
        let call = match Vm::VmCalls::abi_decode(&input) {
            Ok(call) => call,
            Err(_) => {
                let selector = input.get(..4).map(alloy_primitives::hex::encode);
                return revert(
                    inputs.gas_limit,
                    &format!(
                        "keel forge-test: cheatcode 0x{} is not supported",
                        selector.unwrap_or_default()
                    ),
                );
            }
        };
        let by = inputs.caller;
        let depth = ctx.journal().depth();
        let mut state = self.state();
        let output: Vec<u8> = match call {
            Vm::VmCalls::warp(c) => {
                let timestamp = c.newTimestamp.saturating_to::<u64>();
                ctx.block.timestamp = U256::from(timestamp);
                state.warped = Some(timestamp);
                Vec::new()
            }
            Vm::VmCalls::roll(c) => {
                let number = c.newHeight.saturating_to::<u64>();
                ctx.block.number = U256::from(number);
                state.rolled = Some(number);
                Vec::new()
            }
            Vm::VmCalls::deal(c) => {
                let Ok(mut account) = ctx.journaled_state.load_account_mut(c.account);
                account.data.set_balance(c.newBalance);
                Vec::new()
            }
            Vm::VmCalls::store(c) => {
                let _ = ctx.journaled_state.load_account(c.target);
                let _ = ctx
                    .journaled_state
                    .sstore(c.target, c.slot.into(), c.value.into());
                Vec::new()
            }
            Vm::VmCalls::load(c) => {
                let _ = ctx.journaled_state.load_account(c.target);
                let value = ctx
                    .journaled_state
                    .sload(c.target, c.slot.into())
                    .map(|v| v.data)
                    .unwrap_or_default();
                Vm::loadCall::abi_encode_returns(&B256::from(value))
            }
            Vm::VmCalls::getBlockTimestamp(_) => {
                Vm::getBlockTimestampCall::abi_encode_returns(&ctx.block.timestamp)
            }
            Vm::VmCalls::getBlockNumber(_) => {
                Vm::getBlockNumberCall::abi_encode_returns(&ctx.block.number)
            }
            Vm::VmCalls::prank_0(c) => {
                state.prank = Some(prank(by, depth, c.msgSender, None, true));
                Vec::new()
            }
            Vm::VmCalls::prank_1(c) => {
                state.prank = Some(prank(by, depth, c.msgSender, Some(c.txOrigin), true));
                Vec::new()
            }
            Vm::VmCalls::startPrank_0(c) => {
                state.prank = Some(prank(by, depth, c.msgSender, None, false));
                Vec::new()
            }
            Vm::VmCalls::startPrank_1(c) => {
                state.prank = Some(prank(by, depth, c.msgSender, Some(c.txOrigin), false));
                Vec::new()
            }
            Vm::VmCalls::stopPrank(_) => {
                state.prank = None;
                Vec::new()
            }
            Vm::VmCalls::expectRevert_0(_) => {
                state.expected_revert = Some(expected_revert(by, depth, RevertMatch::Any));
                Vec::new()
            }
            Vm::VmCalls::expectRevert_1(c) => {
                let data = Bytes::copy_from_slice(c.revertData.as_slice());
                state.expected_revert =
                    Some(expected_revert(by, depth, RevertMatch::Exactly(data)));
                Vec::new()
            }
            Vm::VmCalls::expectRevert_2(c) => {
                state.expected_revert = Some(expected_revert(
                    by,
                    depth,
                    RevertMatch::Exactly(c.revertData),
                ));
                Vec::new()
            }
            Vm::VmCalls::expectPartialRevert(c) => {
                state.expected_revert = Some(expected_revert(
                    by,
                    depth,
                    RevertMatch::Selector(c.revertData.0),
                ));
                Vec::new()
            }
            Vm::VmCalls::expectEmit_0(_) => {
                let mark = ctx.journal().logs().len();
                state
                    .expected_emits
                    .push(expected_emit(by, depth, [true; 4], None, mark));
                Vec::new()
            }
            Vm::VmCalls::expectEmit_1(c) => {
                let mark = ctx.journal().logs().len();
                let emit = expected_emit(by, depth, [true; 4], Some(c.emitter), mark);
                state.expected_emits.push(emit);
                Vec::new()
            }
            Vm::VmCalls::expectEmit_2(c) => {
                let mark = ctx.journal().logs().len();
                let checks = [c.checkTopic1, c.checkTopic2, c.checkTopic3, c.checkData];
                state
                    .expected_emits
                    .push(expected_emit(by, depth, checks, None, mark));
                Vec::new()
            }
            Vm::VmCalls::expectEmit_3(c) => {
                let mark = ctx.journal().logs().len();
                let checks = [c.checkTopic1, c.checkTopic2, c.checkTopic3, c.checkData];
                let emit = expected_emit(by, depth, checks, Some(c.emitter), mark);
                state.expected_emits.push(emit);
                Vec::new()
            }
            Vm::VmCalls::addr(c) => match signer(c.privateKey) {
                Some(key) => Vm::addrCall::abi_encode_returns(&key.address()),
                None => return revert(inputs.gas_limit, "vm.addr: not a valid private key"),
            },
            Vm::VmCalls::sign(c) => {
                let signed = signer(c.privateKey).and_then(|k| k.sign_hash_sync(&c.digest).ok());
                let Some(signature) = signed else {
                    return revert(inputs.gas_limit, "vm.sign: not a valid private key");
                };
                let v = 27 + u8::from(signature.v());
                let r = B256::from(signature.r());
                let s = B256::from(signature.s());
                Vm::signCall::abi_encode_returns(&Vm::signReturn { v, r, s })
            }
            Vm::VmCalls::label(c) => {
                state.labels.insert(c.account, c.newLabel);
                Vec::new()
            }
            Vm::VmCalls::getLabel(c) => {
                let label = state.labels.get(&c.account).cloned().unwrap_or_default();
                Vm::getLabelCall::abi_encode_returns(&label)
            }
        };
        InterpreterResult {
            result: InstructionResult::Return,
            output: output.into(),
            gas: Gas::new(inputs.gas_limit),
        }
    }

    /// What applies to this call: the prank, the expected revert, the expected events (with
    /// the events the test emitted for them); `Err` when an expected event was never emitted.
    #[allow(clippy::type_complexity)]
    fn applicable(
        &self,
        ctx: &ArbContext,
        inputs: &CallInputs,
    ) -> Result<
        (
            Option<Prank>,
            Option<ExpectedRevert>,
            Vec<(ExpectedEmit, Log)>,
        ),
        String,
    > {
        let depth = ctx.journal().depth();
        let by = inputs.caller;
        let mine = |b: Address, d: usize| b == by && d == depth;
        let mut state = self.state();
        let prank = state.prank.clone().filter(|p| mine(p.by, p.depth));
        if prank.as_ref().is_some_and(|p| p.once) {
            state.prank = None;
        }
        let expected_revert = if state
            .expected_revert
            .as_ref()
            .is_some_and(|e| mine(e.by, e.depth))
        {
            state.expected_revert.take()
        } else {
            None
        };
        let (emits, others): (Vec<_>, Vec<_>) = std::mem::take(&mut state.expected_emits)
            .into_iter()
            .partition(|e| mine(e.by, e.depth));
        state.expected_emits = others;
        drop(state);
        // Each expectation claims the next event its contract emitted after it was set.
        let logs = ctx.journal().logs();
        let mut next = 0;
        let mut armed = Vec::with_capacity(emits.len());
        for emit in emits {
            next = next.max(emit.mark);
            let Some(offset) = logs[next.min(logs.len())..]
                .iter()
                .position(|log| log.address == emit.by)
            else {
                return Err(
                    "vm.expectEmit: the test emitted no event to expect before its next call"
                        .to_string(),
                );
            };
            armed.push((emit, logs[next + offset].clone()));
            next += offset + 1;
        }
        Ok((prank, expected_revert, armed))
    }
}

impl CallHook for Cheatcodes {
    fn call(&self, ctx: &mut ArbContext, inputs: &CallInputs) -> Option<InterpreterResult> {
        if inputs.bytecode_address == VM_ADDRESS {
            return Some(self.cheat(ctx, inputs));
        }
        let (prank, expected_revert, emits) = match self.applicable(ctx, inputs) {
            Ok(applicable) => applicable,
            Err(reason) => return Some(revert(inputs.gas_limit, &reason)),
        };
        if prank.is_none() && expected_revert.is_none() && emits.is_empty() {
            return None;
        }
        let mut call = inputs.clone();
        // revm moved any value for the intercepted frame already.
        call.value = match inputs.value {
            CallValue::Transfer(v) | CallValue::Apparent(v) => CallValue::Apparent(v),
        };
        let origin = ctx.tx.caller;
        if let Some(p) = &prank {
            call.caller = p.sender;
            if let Some(o) = p.origin {
                ctx.tx.caller = o;
            }
        }
        let logs_before = ctx.journal().logs().len();
        let mut result = run_call(ctx, call);
        ctx.tx.caller = origin;
        if result.result.is_ok() && !emits.is_empty() {
            let emitted = &ctx.journal().logs()[logs_before..];
            if let Some(missing) = unmatched_emit(&emits, emitted) {
                let reason = format!("log != expected log ({})", self.describe.event(missing));
                result = revert_with(result.gas, &reason);
            }
        }
        if let Some(expected) = expected_revert {
            result = self.expect_revert(result, &expected.expected);
        }
        Some(result)
    }
}

impl Cheatcodes {
    /// A call's result under `vm.expectRevert`: a matching revert becomes a success.
    fn expect_revert(
        &self,
        result: InterpreterResult,
        expected: &RevertMatch,
    ) -> InterpreterResult {
        if result.result.is_ok() {
            return revert_with(result.gas, "call did not revert as expected");
        }
        let data = result.output.as_ref();
        let matches = match expected {
            RevertMatch::Any => true,
            RevertMatch::Exactly(bytes) => {
                data == bytes.as_ref()
                    || alloy_sol_types::Revert::abi_decode(data)
                        .is_ok_and(|r| r.reason.as_bytes() == bytes.as_ref())
            }
            RevertMatch::Selector(selector) => data.get(..4) == Some(selector.as_slice()),
        };
        if matches {
            return InterpreterResult {
                result: InstructionResult::Return,
                output: vec![0u8; EXPECTED_REVERT_OUTPUT].into(),
                gas: result.gas,
            };
        }
        let wanted = match expected {
            RevertMatch::Any => "any revert".to_string(),
            RevertMatch::Exactly(bytes) => self.describe.revert(bytes),
            RevertMatch::Selector(selector) => {
                format!("{} (any arguments)", self.describe.revert(selector))
            }
        };
        let got = self.describe.revert(data);
        revert_with(
            result.gas,
            &format!("Error != expected error: {got} != {wanted}"),
        )
    }
}

/// The topic 0 of the first expected event the call's events do not contain (in order).
fn unmatched_emit(expected: &[(ExpectedEmit, Log)], emitted: &[Log]) -> Option<B256> {
    let mut from = 0;
    for (emit, wanted) in expected {
        let found = emitted[from..].iter().position(|log| {
            let topics = (log.data.topics(), wanted.data.topics());
            emit.emitter.is_none_or(|e| e == log.address)
                && topics.0.len() == topics.1.len()
                && topics.0.first() == topics.1.first()
                && (1..topics.0.len()).all(|i| !emit.checks[i - 1] || topics.0[i] == topics.1[i])
                && (!emit.checks[3] || log.data.data == wanted.data.data)
        });
        match found {
            Some(offset) => from += offset + 1,
            None => return Some(wanted.data.topics().first().copied().unwrap_or_default()),
        }
    }
    None
}

fn prank(by: Address, depth: usize, sender: Address, origin: Option<Address>, once: bool) -> Prank {
    Prank {
        by,
        depth,
        sender,
        origin,
        once,
    }
}

fn expected_revert(by: Address, depth: usize, expected: RevertMatch) -> ExpectedRevert {
    ExpectedRevert {
        by,
        depth,
        expected,
    }
}

fn expected_emit(
    by: Address,
    depth: usize,
    checks: [bool; 4],
    emitter: Option<Address>,
    mark: usize,
) -> ExpectedEmit {
    ExpectedEmit {
        by,
        depth,
        checks,
        emitter,
        mark,
    }
}

fn signer(key: U256) -> Option<PrivateKeySigner> {
    PrivateKeySigner::from_bytes(&B256::from(key)).ok()
}

/// A revert with `Error(reason)`, all of `gas_limit` unused.
fn revert(gas_limit: u64, reason: &str) -> InterpreterResult {
    revert_with(Gas::new(gas_limit), reason)
}

fn revert_with(gas: Gas, reason: &str) -> InterpreterResult {
    let data = alloy_sol_types::Revert::from(reason.to_string()).abi_encode();
    InterpreterResult {
        result: InstructionResult::Revert,
        output: data.into(),
        gas,
    }
}
