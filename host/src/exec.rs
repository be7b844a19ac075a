//! Message calls and contract creation, as geth's `evm.Call` / `DelegateCall` / `StaticCall`
//! / `Create` do them, dispatching on the callee's code: an activated Stylus program (run by
//! [`crate::hostio`]), a native stand-in ([`crate::native`]), EVM code (the small interpreter
//! in [`crate::evm`]), or nothing.
//!
//! Each frame takes a journal checkpoint; any failure rolls the state back to it, and every
//! failure other than a revert consumes all the frame's gas.

use std::sync::{Arc, Mutex, MutexGuard};

use alloy_primitives::{keccak256, Address, B256, U256};

use crate::api::EvmApi;
use crate::code::{is_stylus, Program};
use crate::pricing::{evm_memory_cost, evm_words, gas, memory_gas, INK_PRICE};
use crate::world::{GasTally, World, WorldApi};

/// The shared state handle every frame holds.
pub(crate) type Shared = Arc<Mutex<World>>;

pub(crate) fn lock(world: &Shared) -> MutexGuard<'_, World> {
    // A panic while the lock was held (a bug in a native handler) poisons it; the state is
    // still usable for inspection, so keep going.
    world.lock().unwrap_or_else(|p| p.into_inner())
}

/// How a frame was entered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallKind {
    /// `CALL`: runs the callee's code on its own storage, may transfer value.
    Call,
    /// `DELEGATECALL`: runs the callee's code on the caller's storage, with the caller's
    /// sender and value.
    Delegate,
    /// `STATICCALL`: like `Call`, without value, and nothing below it may change state.
    Static,
}

/// A message to run.
#[derive(Clone, Debug)]
pub struct Msg {
    pub kind: CallKind,
    /// `msg.sender` as the callee sees it.
    pub caller: Address,
    /// Acting address: whose storage, balance and logs.
    pub address: Address,
    /// Whose code runs.
    pub code_address: Address,
    /// `msg.value` as the callee sees it.
    pub value: U256,
    /// Whether `value` moves from `caller` to `address`.
    pub transfer: bool,
    pub input: Vec<u8>,
    pub gas: u64,
    pub read_only: bool,
    pub depth: usize,
}

/// How a frame ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// Returned normally.
    Success,
    /// Reverted (revert data in the output); unused gas returns to the caller.
    Revert,
    /// Ran out of gas or ink; all gas is consumed.
    OutOfGas,
    /// Any other failure (a trap, an unsupported operation, a write in a static context…),
    /// with its reason. A Stylus trap keeps its unused gas (Nitro reports it as a revert with
    /// no data); the others consume all gas.
    Failure(String),
}

/// A finished frame.
#[derive(Clone, Debug)]
pub struct FrameResult {
    pub status: Status,
    pub output: Vec<u8>,
    pub gas_left: u64,
    /// Ink the program itself used (0 when the code was not Stylus).
    pub ink_used: u64,
}

impl FrameResult {
    /// A frame that ended with `status` and no output.
    pub fn fail(status: Status, gas_left: u64) -> Self {
        FrameResult {
            status,
            output: Vec::new(),
            gas_left,
            ink_used: 0,
        }
    }

    /// Whether the frame returned normally.
    pub fn success(&self) -> bool {
        self.status == Status::Success
    }
}

/// Runs a message call (geth's `Call`, `DelegateCall`, `StaticCall`).
pub(crate) fn call(world: &Shared, msg: Msg) -> FrameResult {
    let gas = msg.gas;
    if msg.depth > gas::CALL_DEPTH {
        return FrameResult::fail(Status::Failure("max call depth exceeded".into()), gas);
    }
    let (mark, code, native) = {
        let mut w = lock(world);
        if msg.transfer && w.balance(&msg.caller) < msg.value {
            return FrameResult::fail(Status::Failure("insufficient balance".into()), gas);
        }
        let mark = w.checkpoint();
        if msg.transfer {
            w.transfer(msg.caller, msg.address, msg.value);
        }
        (mark, w.code(&msg.code_address), w.native(&msg.code_address))
    };
    let counted = msg.kind != CallKind::Delegate;
    if counted {
        *lock(world).frames.entry(msg.address).or_default() += 1;
    }
    let mut result = if let Some(handler) = native {
        crate::native::run(&mut WorldApi(world.clone()), &msg, &handler)
    } else if code.is_empty() {
        FrameResult {
            status: Status::Success,
            output: Vec::new(),
            gas_left: gas,
            ink_used: 0,
        }
    } else if is_stylus(&code) {
        run_world_program(world, &msg, &code)
    } else {
        let run = crate::evm::run(&code, &msg.input, msg.value, gas, msg.read_only);
        FrameResult {
            status: run.status,
            output: run.output,
            gas_left: run.gas_left,
            ink_used: 0,
        }
    };
    let mut w = lock(world);
    if counted {
        if let Some(n) = w.frames.get_mut(&msg.address) {
            *n = n.saturating_sub(1);
        }
    }
    finish(&mut w, mark, &mut result);
    result
}

/// Rolls back a failed frame and applies geth's gas rule for its kind of failure.
fn finish(w: &mut World, mark: usize, result: &mut FrameResult) {
    match &result.status {
        Status::Success => {}
        Status::Revert => w.revert_to(mark),
        Status::OutOfGas => {
            w.revert_to(mark);
            result.gas_left = 0;
            result.output.clear();
        }
        Status::Failure(_) => {
            w.revert_to(mark);
            result.output.clear();
        }
    }
}

/// Enters a Stylus program of [`World`]: finds its activation, whether the init cache or the
/// transaction's recent programs spare it the init cost, and whether it is reentered.
fn run_world_program(world: &Shared, msg: &Msg, code: &[u8]) -> FrameResult {
    let hash = keccak256(code);
    let (program, cached, reentrant) = {
        let mut w = lock(world);
        let Some(program) = w.programs.get(&hash).cloned() else {
            return FrameResult::fail(Status::Failure("program not activated".into()), 0);
        };
        // Before ArbOS 60 Nitro never finds a program in its recent-program cache.
        let recent =
            crate::pricing::recent_programs_discounted(w.arbos_version) && w.enter_recent(hash);
        let cached = w.cached_programs.contains(&hash) | recent;
        let reentrant = w.frames.get(&msg.address).copied().unwrap_or(0) > 1;
        (program, cached, reentrant)
    };
    let api = Box::new(WorldApi(world.clone()));
    run_program(api, msg, &program, cached, reentrant).0
}

/// Enters an activated Stylus program for `msg`: charges its memory footprint and entry cost
/// (the cached cost alone when `cached`), runs it against `api` and applies Nitro's
/// return-data floor. Hands `api` back with the result.
pub fn run_program(
    mut api: Box<dyn EvmApi>,
    msg: &Msg,
    program: &Program,
    cached: bool,
    reentrant: bool,
) -> (FrameResult, Box<dyn EvmApi>) {
    let starting_gas = msg.gas;
    let (open, ever) = api.pages();
    let costs = program.costs;
    let mut call_cost = memory_gas(costs.footprint, open, ever);
    call_cost = call_cost.saturating_add(costs.cached_gas());
    if !cached {
        call_cost = call_cost.saturating_add(costs.init_gas());
    }
    if starting_gas < call_cost {
        return (FrameResult::fail(Status::OutOfGas, 0), api);
    }
    api.count(GasTally {
        entries: 1,
        entry_gas: call_cost,
        ..GasTally::default()
    });
    let new_open = open.saturating_add(costs.footprint);
    api.set_pages((new_open, ever.max(new_open)));
    let ink = (starting_gas - call_cost).saturating_mul(INK_PRICE);
    let (mut result, mut api) = crate::hostio::run(api, msg, program, ink, reentrant);
    let (_, ever) = api.pages();
    api.set_pages((open, ever));
    if !result.output.is_empty() && result.status != Status::OutOfGas {
        let floor = evm_memory_cost(result.output.len() as u64);
        if starting_gas < floor {
            return (FrameResult::fail(Status::OutOfGas, 0), api);
        }
        result.gas_left = result.gas_left.min(starting_gas - floor);
    }
    (result, api)
}

/// The address `CREATE` gives a contract made by `sender` at `nonce`.
pub fn create_address(sender: Address, nonce: u64) -> Address {
    // RLP of [sender, nonce].
    let mut nonce_rlp = Vec::new();
    if nonce == 0 {
        nonce_rlp.push(0x80);
    } else if nonce < 0x80 {
        nonce_rlp.push(nonce as u8);
    } else {
        let bytes = nonce.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        nonce_rlp.push(0x80 + (8 - skip) as u8);
        nonce_rlp.extend_from_slice(&bytes[skip..]);
    }
    let mut rlp = vec![0xc0 + (21 + nonce_rlp.len()) as u8, 0x94];
    rlp.extend_from_slice(sender.as_slice());
    rlp.extend_from_slice(&nonce_rlp);
    Address::from_slice(&keccak256(&rlp)[12..])
}

/// The address `CREATE2` gives a contract made by `sender` with `salt` and `init_code`.
pub fn create2_address(sender: Address, salt: B256, init_code: &[u8]) -> Address {
    let mut buf = Vec::with_capacity(85);
    buf.push(0xff);
    buf.extend_from_slice(sender.as_slice());
    buf.extend_from_slice(salt.as_slice());
    buf.extend_from_slice(keccak256(init_code).as_slice());
    Address::from_slice(&keccak256(&buf)[12..])
}

/// The result of a creation.
pub struct CreateResult {
    /// The new contract, or `None` when creation failed.
    pub address: Option<Address>,
    /// Revert data (only when the init code reverted).
    pub output: Vec<u8>,
    pub gas_left: u64,
}

/// Runs geth's `Create`/`Create2` for a Stylus program's `create1`/`create2` with `gas`
/// already net of the base cost and the retained 1/64.
pub(crate) fn create(
    world: &Shared,
    caller: Address,
    init_code: &[u8],
    value: U256,
    salt: Option<B256>,
    gas: u64,
    depth: usize,
) -> CreateResult {
    let failed = |gas_left| CreateResult {
        address: None,
        output: Vec::new(),
        gas_left,
    };
    let mut w = lock(world);
    if depth > gas::CALL_DEPTH || w.balance(&caller) < value {
        return failed(gas);
    }
    let nonce = w.nonce(&caller);
    if nonce == u64::MAX {
        return failed(gas);
    }
    w.set_nonce(caller, nonce + 1);
    let address = match salt {
        None => create_address(caller, nonce),
        Some(salt) => create2_address(caller, salt, init_code),
    };
    w.warm(address);
    let collides = w
        .account(&address)
        .is_some_and(|a| a.nonce != 0 || !a.code.is_empty() || !a.storage.is_empty());
    if collides {
        return failed(0);
    }
    let mark = w.checkpoint();
    w.set_nonce(address, 1);
    w.transfer(caller, address, value);
    drop(w);

    let run = crate::evm::run(init_code, &[], value, gas, false);
    let mut w = lock(world);
    match run.status {
        Status::Success => {
            let code = run.output;
            let deposit = gas::CREATE_DATA.saturating_mul(code.len() as u64);
            let bad_prefix = code.first() == Some(&0xEF) && !is_stylus(&code);
            if code.len() > w.max_code_size || bad_prefix || run.gas_left < deposit {
                w.revert_to(mark);
                return failed(0);
            }
            w.set_code(address, code);
            CreateResult {
                address: Some(address),
                output: Vec::new(),
                gas_left: run.gas_left - deposit,
            }
        }
        Status::Revert => {
            w.revert_to(mark);
            CreateResult {
                address: None,
                output: run.output,
                gas_left: run.gas_left,
            }
        }
        Status::OutOfGas | Status::Failure(_) => {
            w.revert_to(mark);
            failed(0)
        }
    }
}

/// Gas of the words of `len` bytes at `per_word` each.
pub(crate) fn word_gas(len: usize, per_word: u64) -> u64 {
    evm_words(len as u64).saturating_mul(per_word)
}
