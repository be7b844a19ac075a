//! A program frame: the message a frame runs, how it ended, and the entry of an activated
//! Stylus program ([`run_program`]) — Nitro's `callProgram`: memory footprint and entry cost,
//! the run itself ([`crate::hostio`]) and the return-data floor. Which code a call reaches,
//! the journal and rollback belong to the chain behind [`EvmApi`].

use alloy_primitives::{keccak256, Address, B256, U256};

use crate::api::{EvmApi, GasTally};
use crate::code::Program;
use crate::pricing::{evm_memory_cost, evm_words, memory_gas, INK_PRICE};

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

/// Gas of the words of `len` bytes at `per_word` each.
pub(crate) fn word_gas(len: usize, per_word: u64) -> u64 {
    evm_words(len as u64).saturating_mul(per_word)
}
