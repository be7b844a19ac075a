//! A deliberately small EVM interpreter, for the plain init code and data contracts Keel
//! deploys (e.g. "copy my tail into memory and return it"), not for general contracts.
//!
//! Supported: `STOP ADD SUB CALLVALUE CALLDATASIZE CODESIZE CODECOPY POP MLOAD MSTORE MSTORE8
//! PUSH0..PUSH32 DUP1..DUP16 SWAP1..SWAP16 RETURN REVERT INVALID`, at their geth gas costs with
//! memory expansion. Any other opcode fails the frame with a message naming it.

use alloy_primitives::U256;

use crate::exec::Status;
use crate::pricing::{evm_words, gas};

/// Largest memory the interpreter lets code touch.
const MAX_MEMORY: usize = 1 << 20;

/// The end of an EVM run.
pub(crate) struct EvmRun {
    pub status: Status,
    pub output: Vec<u8>,
    pub gas_left: u64,
}

fn memory_cost(bytes: usize) -> u64 {
    let words = evm_words(bytes as u64);
    words * gas::MEMORY + words * words / gas::QUAD_COEFF_DIV
}

struct Machine<'a> {
    code: &'a [u8],
    calldata_len: usize,
    value: U256,
    stack: Vec<U256>,
    memory: Vec<u8>,
    gas: u64,
}

enum Stop {
    Halt(Status, Vec<u8>),
}

impl Machine<'_> {
    fn charge(&mut self, amount: u64) -> Result<(), Stop> {
        if self.gas < amount {
            self.gas = 0;
            return Err(Stop::Halt(Status::OutOfGas, Vec::new()));
        }
        self.gas -= amount;
        Ok(())
    }

    fn pop(&mut self) -> Result<U256, Stop> {
        self.stack
            .pop()
            .ok_or_else(|| fail("EVM stack underflow".into()))
    }

    fn push(&mut self, v: U256) -> Result<(), Stop> {
        if self.stack.len() >= 1024 {
            return Err(fail("EVM stack overflow".into()));
        }
        self.stack.push(v);
        Ok(())
    }

    fn usize_arg(v: U256) -> Result<usize, Stop> {
        usize::try_from(v).map_err(|_| Stop::Halt(Status::OutOfGas, Vec::new()))
    }

    /// Grows memory to cover `offset..offset+len`, charging the expansion.
    fn expand(&mut self, offset: usize, len: usize) -> Result<(), Stop> {
        if len == 0 {
            return Ok(());
        }
        let end = offset
            .checked_add(len)
            .filter(|e| *e <= MAX_MEMORY)
            .ok_or(Stop::Halt(Status::OutOfGas, Vec::new()))?;
        let new_len = evm_words(end as u64) as usize * 32;
        if new_len > self.memory.len() {
            let cost = memory_cost(new_len) - memory_cost(self.memory.len());
            self.charge(cost)?;
            self.memory.resize(new_len, 0);
        }
        Ok(())
    }

    fn step(&mut self, pc: &mut usize) -> Result<(), Stop> {
        let Some(&op) = self.code.get(*pc) else {
            return Err(Stop::Halt(Status::Success, Vec::new()));
        };
        *pc += 1;
        match op {
            0x00 => return Err(Stop::Halt(Status::Success, Vec::new())),
            0x01 | 0x03 => {
                self.charge(3)?;
                let a = self.pop()?;
                let b = self.pop()?;
                self.push(if op == 0x01 {
                    a.wrapping_add(b)
                } else {
                    a.wrapping_sub(b)
                })?;
            }
            0x34 => {
                self.charge(2)?;
                self.push(self.value)?;
            }
            0x36 => {
                self.charge(2)?;
                self.push(U256::from(self.calldata_len))?;
            }
            0x38 => {
                self.charge(2)?;
                self.push(U256::from(self.code.len()))?;
            }
            0x39 => {
                let dest = self.pop()?;
                let src = self.pop()?;
                let len = Self::usize_arg(self.pop()?)?;
                self.charge(3 + evm_words(len as u64) * 3)?;
                if len > 0 {
                    let dest = Self::usize_arg(dest)?;
                    self.expand(dest, len)?;
                    let src = usize::try_from(src).unwrap_or(usize::MAX);
                    for i in 0..len {
                        let byte = src
                            .checked_add(i)
                            .and_then(|s| self.code.get(s))
                            .copied()
                            .unwrap_or(0);
                        self.memory[dest + i] = byte;
                    }
                }
            }
            0x50 => {
                self.charge(2)?;
                self.pop()?;
            }
            0x51 => {
                self.charge(3)?;
                let at = Self::usize_arg(self.pop()?)?;
                self.expand(at, 32)?;
                let word = U256::from_be_slice(&self.memory[at..at + 32]);
                self.push(word)?;
            }
            0x52 | 0x53 => {
                self.charge(3)?;
                let at = Self::usize_arg(self.pop()?)?;
                let v = self.pop()?;
                if op == 0x52 {
                    self.expand(at, 32)?;
                    self.memory[at..at + 32].copy_from_slice(&v.to_be_bytes::<32>());
                } else {
                    self.expand(at, 1)?;
                    self.memory[at] = v.to_be_bytes::<32>()[31];
                }
            }
            0x5f => {
                self.charge(2)?;
                self.push(U256::ZERO)?;
            }
            0x60..=0x7f => {
                self.charge(3)?;
                let n = usize::from(op - 0x5f);
                let mut word = [0u8; 32];
                for i in 0..n {
                    word[32 - n + i] = self.code.get(*pc + i).copied().unwrap_or(0);
                }
                *pc += n;
                self.push(U256::from_be_bytes(word))?;
            }
            0x80..=0x8f => {
                self.charge(3)?;
                let n = usize::from(op - 0x7f);
                let v = self
                    .stack
                    .len()
                    .checked_sub(n)
                    .map(|i| self.stack[i])
                    .ok_or_else(|| fail("EVM stack underflow".into()))?;
                self.push(v)?;
            }
            0x90..=0x9f => {
                self.charge(3)?;
                let n = usize::from(op - 0x8f);
                let top = self.stack.len().checked_sub(1);
                let other = self.stack.len().checked_sub(n + 1);
                match (top, other) {
                    (Some(t), Some(o)) => self.stack.swap(t, o),
                    _ => return Err(fail("EVM stack underflow".into())),
                }
            }
            0xf3 | 0xfd => {
                let at = self.pop()?;
                let len = Self::usize_arg(self.pop()?)?;
                let mut out = Vec::new();
                if len > 0 {
                    let at = Self::usize_arg(at)?;
                    self.expand(at, len)?;
                    out = self.memory[at..at + len].to_vec();
                }
                let status = if op == 0xf3 {
                    Status::Success
                } else {
                    Status::Revert
                };
                return Err(Stop::Halt(status, out));
            }
            0xfe => {
                self.gas = 0;
                return Err(fail("EVM INVALID opcode".into()));
            }
            other => {
                self.gas = 0;
                return Err(fail(format!(
                    "EVM opcode 0x{other:02x} at pc {} is not supported by keel-stylus-host's \
                     interpreter (it runs only simple init code and data contracts)",
                    *pc - 1
                )));
            }
        }
        Ok(())
    }
}

fn fail(reason: String) -> Stop {
    Stop::Halt(Status::Failure(reason), Vec::new())
}

/// Runs `code` with `gas`. In a static context nothing here can write state, so `_read_only`
/// changes nothing for the supported opcodes.
pub(crate) fn run(code: &[u8], calldata: &[u8], value: U256, gas: u64, _read_only: bool) -> EvmRun {
    let mut m = Machine {
        code,
        calldata_len: calldata.len(),
        value,
        stack: Vec::new(),
        memory: Vec::new(),
        gas,
    };
    let mut pc = 0usize;
    loop {
        if let Err(Stop::Halt(status, output)) = m.step(&mut pc) {
            let gas_left = match status {
                Status::Success | Status::Revert => m.gas,
                _ => 0,
            };
            return EvmRun {
                status,
                output,
                gas_left,
            };
        }
    }
}
