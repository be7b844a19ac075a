//! Native stand-ins: a Rust closure installed at an address answers every call to it, for
//! contracts that are not Stylus programs (ERC-20 tokens, price feeds…).
//!
//! The closure gets a [`NativeCall`]: the call's sender, value and data, and its own storage,
//! logs, balance and outgoing calls through the host, so it is journaled and rolled back like
//! any contract. Its storage accesses and logs pay EVM gas (cold/warm SLOAD, SSTORE with
//! refunds, log gas); other work costs what the closure charges with [`NativeCall::charge`].

use std::sync::Arc;

use alloy_primitives::{Address, B256, U256};

use crate::api::{account_gas, EvmApi};
use crate::api::{GasTally, Log};
use crate::exec::{CallKind, FrameResult, Msg, Status};
use crate::pricing::gas;

/// A native contract: returns its output, or `Err(revert data)`.
pub type NativeHandler = Arc<dyn Fn(&mut NativeCall<'_>) -> Result<Vec<u8>, Vec<u8>> + Send + Sync>;

/// What a call a native contract made returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SubCall {
    /// Whether the callee succeeded.
    pub success: bool,
    /// Its output or revert data.
    pub data: Vec<u8>,
}

/// One call into a native contract.
pub struct NativeCall<'a> {
    api: &'a mut dyn EvmApi,
    msg: &'a Msg,
    gas: u64,
    out_of_gas: bool,
    static_violation: bool,
}

impl NativeCall<'_> {
    /// The contract's own (acting) address.
    pub fn address(&self) -> Address {
        self.msg.address
    }

    /// `msg.sender`.
    pub fn caller(&self) -> Address {
        self.msg.caller
    }

    /// `msg.value`.
    pub fn value(&self) -> U256 {
        self.msg.value
    }

    /// The call data.
    pub fn calldata(&self) -> &[u8] {
        &self.msg.input
    }

    /// The 4-byte selector, if the call data has one.
    pub fn selector(&self) -> Option<[u8; 4]> {
        self.msg.input.get(..4).and_then(|s| s.try_into().ok())
    }

    /// Whether the call is (under) a static call: writes will fail.
    pub fn is_static(&self) -> bool {
        self.msg.read_only
    }

    /// `tx.origin`.
    pub fn origin(&self) -> Address {
        self.api.origin()
    }

    /// The block timestamp.
    pub fn timestamp(&self) -> u64 {
        self.api.block().timestamp
    }

    /// The block number.
    pub fn block_number(&self) -> u64 {
        self.api.block().number
    }

    /// Gas left to this call.
    pub fn gas_left(&self) -> u64 {
        self.gas
    }

    /// Whether the call has run out of gas (its result will be an out-of-gas failure).
    pub fn out_of_gas(&self) -> bool {
        self.out_of_gas
    }

    /// Charges `amount` gas; false (and the call is out of gas) when short.
    pub fn charge(&mut self, amount: u64) -> bool {
        if self.out_of_gas || self.gas < amount {
            self.gas = 0;
            self.out_of_gas = true;
            return false;
        }
        self.gas -= amount;
        true
    }

    /// Reads one of the contract's storage slots (SLOAD gas).
    pub fn sload(&mut self, key: U256) -> U256 {
        let (value, cost) = self.api.sload(self.msg.address, B256::from(key));
        self.charge(cost);
        value.into()
    }

    /// Writes one of the contract's storage slots (SSTORE gas and refunds); false when the
    /// call is static or out of gas.
    pub fn sstore(&mut self, key: U256, value: U256) -> bool {
        if self.msg.read_only {
            self.static_violation = true;
            return false;
        }
        if self.gas <= gas::SSTORE_SENTRY {
            return self.charge(u64::MAX);
        }
        let (key, value) = (B256::from(key), B256::from(value));
        let cost = self.api.sstore_gas(self.msg.address, key, value);
        if !self.charge(cost) {
            return false;
        }
        self.api.sstore(self.msg.address, key, value);
        true
    }

    /// Emits a log from the contract (log gas); false when static or out of gas.
    pub fn log(&mut self, topics: &[B256], data: &[u8]) -> bool {
        if self.msg.read_only {
            self.static_violation = true;
            return false;
        }
        let cost = gas::LOG_TOPIC * (1 + topics.len() as u64) + gas::LOG_DATA * data.len() as u64;
        if !self.charge(cost) {
            return false;
        }
        self.api.emit_log(Log {
            address: self.msg.address,
            topics: topics.to_vec(),
            data: data.to_vec(),
        });
        true
    }

    /// The ETH balance of `account` (account-access gas).
    pub fn balance(&mut self, account: Address) -> U256 {
        let cost = account_gas(self.api, account, false);
        let balance = self.api.balance(account);
        self.charge(cost);
        balance
    }

    /// The code at `account` (account-access gas and the EXTCODESIZE charge).
    pub fn code(&mut self, account: Address) -> alloy_primitives::Bytes {
        let cost = account_gas(self.api, account, true);
        self.charge(cost);
        self.api.code(account)
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.api.block().chain_id
    }

    /// The block's base fee, wei.
    pub fn basefee(&self) -> U256 {
        self.api.block().basefee
    }

    /// The block's coinbase.
    pub fn coinbase(&self) -> Address {
        self.api.block().coinbase
    }

    /// Calls `to` with `data` and `value`, passing all but 1/64 of the gas left (EVM rules).
    pub fn call(&mut self, to: Address, data: &[u8], value: U256) -> SubCall {
        self.sub_call(CallKind::Call, to, data, value)
    }

    /// Static-calls `to` with `data`.
    pub fn static_call(&mut self, to: Address, data: &[u8]) -> SubCall {
        self.sub_call(CallKind::Static, to, data, U256::ZERO)
    }

    /// Moves `value` wei from the contract to `to` without running `to`'s code (as ArbOS's
    /// precompiles pay); false when the contract is short or the call is static.
    pub fn transfer(&mut self, to: Address, value: U256) -> bool {
        if self.msg.read_only {
            self.static_violation = true;
            return false;
        }
        self.api.transfer(self.msg.address, to, value)
    }

    /// Creates a contract from `init_code` with `value` (CREATE, or CREATE2 with `salt`),
    /// charging the EVM's creation base cost and passing all but 1/64 of the gas left: the new
    /// address, or `Err(revert data)` (empty when creation failed without reverting).
    pub fn create(
        &mut self,
        init_code: &[u8],
        value: U256,
        salt: Option<B256>,
    ) -> Result<Address, Vec<u8>> {
        if self.msg.read_only {
            self.static_violation = true;
            return Err(Vec::new());
        }
        let mut base = gas::CREATE;
        if salt.is_some() {
            base += crate::exec::word_gas(init_code.len(), gas::KECCAK_WORD);
        }
        if !self.charge(base) {
            return Err(Vec::new());
        }
        let child_gas = self.gas - self.gas / 64;
        self.gas -= child_gas;
        let depth = self.msg.depth + 1;
        let result = self
            .api
            .create(self.msg.address, init_code, value, salt, child_gas, depth);
        self.gas = self.gas.saturating_add(result.gas_left);
        result.address.ok_or(result.output)
    }

    fn sub_call(&mut self, kind: CallKind, to: Address, data: &[u8], value: U256) -> SubCall {
        let failed = SubCall {
            success: false,
            data: Vec::new(),
        };
        if self.msg.read_only && !value.is_zero() {
            self.static_violation = true;
            return failed;
        }
        let base = {
            let mut base = account_gas(self.api, to, false);
            if !value.is_zero() {
                base += gas::CALL_VALUE_TRANSFER;
                if !self.api.account_exists(to) {
                    base += gas::CALL_NEW_ACCOUNT;
                }
            }
            self.api.count(GasTally {
                calls: 1,
                ..GasTally::default()
            });
            base
        };
        if !self.charge(base) {
            return failed;
        }
        let mut child_gas = self.gas - self.gas / 64;
        self.gas -= child_gas;
        if !value.is_zero() {
            child_gas += gas::CALL_STIPEND;
        }
        let msg = Msg {
            kind,
            caller: self.msg.address,
            address: to,
            code_address: to,
            value,
            transfer: kind == CallKind::Call,
            input: data.to_vec(),
            gas: child_gas,
            read_only: self.msg.read_only || kind == CallKind::Static,
            depth: self.msg.depth + 1,
        };
        let result = self.api.call(msg);
        self.gas = self.gas.saturating_add(result.gas_left);
        SubCall {
            success: result.success(),
            data: result.output,
        }
    }
}

/// Runs a native handler for `msg` against `api`.
pub fn run(api: &mut dyn EvmApi, msg: &Msg, handler: &NativeHandler) -> FrameResult {
    let mut ctx = NativeCall {
        api,
        msg,
        gas: msg.gas,
        out_of_gas: false,
        static_violation: false,
    };
    let answer = handler(&mut ctx);
    if ctx.out_of_gas {
        return FrameResult::fail(Status::OutOfGas, 0);
    }
    if ctx.static_violation {
        return FrameResult::fail(Status::Failure("state change in a static call".into()), 0);
    }
    let (status, output) = match answer {
        Ok(out) => (Status::Success, out),
        Err(data) => (Status::Revert, data),
    };
    FrameResult {
        status,
        output,
        gas_left: ctx.gas,
        ink_used: 0,
    }
}
