//! `ChainHost`: a stylus-sdk `TestVM` with simulated ERC20 tokens (balances, and the
//! misbehaviours the vault must survive: no return value, `false`, a transfer fee, a revert,
//! a callback into the vault during a transfer) and per-call static-call mocks. Storage,
//! sender, timestamp and logs are the wrapped `TestVM`'s.
#![allow(unsafe_code, dead_code)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Deref;
use std::rc::Rc;
use std::slice;

use alloy_primitives::{Address, B256, U256};
use stylus_sdk::stylus_core::host::*;
use stylus_sdk::testing::TestVM;

/// How a simulated token behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Returns `true` from transfers.
    Standard,
    /// Returns nothing from transfers (USDT-style).
    NoReturn,
    /// Moves nothing and returns `false`.
    ReturnsFalse,
    /// Takes `bps` of every transfer as a fee (burnt).
    Fee(u32),
    /// Reverts every transfer.
    Reverts,
    /// Answers `decimals()` with a word above 255.
    BadDecimals,
}

/// One simulated token.
pub struct Token {
    pub decimals: u8,
    pub kind: Kind,
    pub balances: HashMap<Address, U256>,
}

type Hook = Rc<dyn Fn()>;
type Mocks = HashMap<(Address, Vec<u8>), Result<Vec<u8>, Vec<u8>>>;

#[derive(Default)]
struct State {
    tokens: HashMap<Address, Token>,
    static_calls: Mocks,
    return_data: Vec<u8>,
    /// Run (once, then removed) inside the next transfer of the token.
    hooks: HashMap<Address, Hook>,
    /// Every token call made: (token, calldata).
    calls: Vec<(Address, Vec<u8>)>,
}

/// The host (cheap to clone: clones share state).
#[derive(Clone, Default)]
pub struct ChainHost {
    vm: TestVM,
    state: Rc<RefCell<State>>,
}

impl Deref for ChainHost {
    type Target = TestVM;
    fn deref(&self) -> &TestVM {
        &self.vm
    }
}

unsafe fn raw_args(to: *const u8, data: *const u8, len: usize) -> (Address, Vec<u8>) {
    unsafe {
        (
            Address::from_slice(slice::from_raw_parts(to, 20)),
            slice::from_raw_parts(data, len).to_vec(),
        )
    }
}

fn word(x: U256) -> Vec<u8> {
    x.to_be_bytes::<32>().to_vec()
}

fn arg_address(data: &[u8], i: usize) -> Address {
    Address::from_slice(&data[4 + 32 * i + 12..4 + 32 * (i + 1)])
}

fn arg_u256(data: &[u8], i: usize) -> U256 {
    U256::from_be_slice(&data[4 + 32 * i..4 + 32 * (i + 1)])
}

impl ChainHost {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn vm(&self) -> &TestVM {
        &self.vm
    }

    /// Creates token `address`.
    pub fn add_token(&self, address: Address, decimals: u8, kind: Kind) {
        self.state.borrow_mut().tokens.insert(
            address,
            Token {
                decimals,
                kind,
                balances: HashMap::new(),
            },
        );
    }

    pub fn set_kind(&self, token: Address, kind: Kind) {
        self.state.borrow_mut().tokens.get_mut(&token).unwrap().kind = kind;
    }

    pub fn mint(&self, token: Address, to: Address, amount: U256) {
        let mut s = self.state.borrow_mut();
        let t = s.tokens.get_mut(&token).unwrap();
        *t.balances.entry(to).or_default() += amount;
    }

    pub fn balance(&self, token: Address, of: Address) -> U256 {
        let s = self.state.borrow();
        s.tokens[&token]
            .balances
            .get(&of)
            .copied()
            .unwrap_or_default()
    }

    /// Runs `hook` inside the next transfer or transferFrom of `token` (once).
    pub fn on_next_transfer(&self, token: Address, hook: impl Fn() + 'static) {
        self.state.borrow_mut().hooks.insert(token, Rc::new(hook));
    }

    /// Every call made to a token, in order.
    pub fn token_calls(&self) -> Vec<(Address, Vec<u8>)> {
        self.state.borrow().calls.clone()
    }

    /// Answers a static call to `to` with exactly `data` by `result`.
    pub fn mock_static_call(&self, to: Address, data: Vec<u8>, result: Result<Vec<u8>, Vec<u8>>) {
        self.state
            .borrow_mut()
            .static_calls
            .insert((to, data), result);
    }

    fn finish(&self, result: Result<Vec<u8>, Vec<u8>>, outs_len: &mut usize) -> u8 {
        let (status, out) = match result {
            Ok(out) => (0, out),
            Err(out) => (1, out),
        };
        *outs_len = out.len();
        self.state.borrow_mut().return_data = out;
        status
    }

    fn static_call(&self, to: Address, data: &[u8]) -> Result<Vec<u8>, Vec<u8>> {
        let s = self.state.borrow();
        if let Some(t) = s.tokens.get(&to) {
            return match &data[..4] {
                [0x31, 0x3c, 0xe5, 0x67] if t.kind == Kind::BadDecimals => {
                    Ok(word(U256::from(256)))
                }
                [0x31, 0x3c, 0xe5, 0x67] => Ok(word(U256::from(t.decimals))),
                [0x70, 0xa0, 0x82, 0x31] => Ok(word(
                    t.balances
                        .get(&arg_address(data, 0))
                        .copied()
                        .unwrap_or_default(),
                )),
                _ => Err(Vec::new()),
            };
        }
        s.static_calls
            .get(&(to, data.to_vec()))
            .cloned()
            .unwrap_or(Ok(Vec::new()))
    }

    fn call(&self, to: Address, data: &[u8]) -> Result<Vec<u8>, Vec<u8>> {
        let caller = self.vm.contract_address();
        let (from, dest, amount) = match &data[..4] {
            [0xa9, 0x05, 0x9c, 0xbb] => (caller, arg_address(data, 0), arg_u256(data, 1)),
            [0x23, 0xb8, 0x72, 0xdd] => (
                arg_address(data, 0),
                arg_address(data, 1),
                arg_u256(data, 2),
            ),
            _ => return Err(Vec::new()),
        };
        let hook = {
            let mut s = self.state.borrow_mut();
            if !s.tokens.contains_key(&to) {
                return Ok(Vec::new());
            }
            s.calls.push((to, data.to_vec()));
            s.hooks.remove(&to)
        };
        // The callback runs while the vault is inside its call, as a reentrant token's would.
        if let Some(hook) = hook {
            hook();
        }
        let mut s = self.state.borrow_mut();
        let t = s.tokens.get_mut(&to).unwrap();
        let ok = word(U256::from(1));
        let (received, out) = match t.kind {
            Kind::Reverts => return Err(b"token: paused".to_vec()),
            Kind::ReturnsFalse => return Ok(word(U256::ZERO)),
            Kind::Standard | Kind::BadDecimals => (amount, ok),
            Kind::NoReturn => (amount, Vec::new()),
            Kind::Fee(bps) => (amount - amount * U256::from(bps) / U256::from(10_000), ok),
        };
        let balance = t.balances.get(&from).copied().unwrap_or_default();
        if balance < amount {
            return Err(b"token: insufficient balance".to_vec());
        }
        t.balances.insert(from, balance - amount);
        *t.balances.entry(dest).or_default() += received;
        Ok(out)
    }
}

impl Host for ChainHost {}

impl CryptographyAccess for ChainHost {
    fn native_keccak256(&self, input: &[u8]) -> B256 {
        self.vm.native_keccak256(input)
    }
}

impl CalldataAccess for ChainHost {
    fn read_args(&self, len: usize) -> Vec<u8> {
        self.vm.read_args(len)
    }
    fn read_return_data(&self, offset: usize, size: Option<usize>) -> Vec<u8> {
        let state = self.state.borrow();
        let data = &state.return_data;
        let start = offset.min(data.len());
        let end = size.map_or(data.len(), |s| start.saturating_add(s).min(data.len()));
        data[start..end].to_vec()
    }
    fn return_data_size(&self) -> usize {
        self.state.borrow().return_data.len()
    }
    fn write_result(&self, data: &[u8]) {
        self.vm.write_result(data)
    }
}

unsafe impl UnsafeDeploymentAccess for ChainHost {
    unsafe fn create1(
        &self,
        code: *const u8,
        code_len: usize,
        endowment: *const u8,
        contract: *mut u8,
        revert_data_len: *mut usize,
    ) {
        unsafe {
            self.vm
                .create1(code, code_len, endowment, contract, revert_data_len)
        }
    }
    unsafe fn create2(
        &self,
        code: *const u8,
        code_len: usize,
        endowment: *const u8,
        salt: *const u8,
        contract: *mut u8,
        revert_data_len: *mut usize,
    ) {
        unsafe {
            self.vm
                .create2(code, code_len, endowment, salt, contract, revert_data_len)
        }
    }
}

impl StorageAccess for ChainHost {
    fn storage_load_bytes32(&self, key: U256) -> B256 {
        self.vm.storage_load_bytes32(key)
    }
    unsafe fn storage_cache_bytes32(&self, key: U256, value: B256) {
        unsafe { self.vm.storage_cache_bytes32(key, value) }
    }
    fn flush_cache(&self, clear: bool) {
        self.vm.flush_cache(clear)
    }
}

unsafe impl UnsafeCallAccess for ChainHost {
    unsafe fn call_contract(
        &self,
        to: *const u8,
        data: *const u8,
        data_len: usize,
        _value: *const u8,
        _gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        let (to, data) = unsafe { raw_args(to, data, data_len) };
        let result = self.call(to, &data);
        self.finish(result, outs_len)
    }
    unsafe fn static_call_contract(
        &self,
        to: *const u8,
        data: *const u8,
        data_len: usize,
        _gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        let (to, data) = unsafe { raw_args(to, data, data_len) };
        let result = self.static_call(to, &data);
        self.finish(result, outs_len)
    }
    unsafe fn delegate_call_contract(
        &self,
        to: *const u8,
        data: *const u8,
        data_len: usize,
        gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        unsafe {
            self.vm
                .delegate_call_contract(to, data, data_len, gas, outs_len)
        }
    }
}

impl BlockAccess for ChainHost {
    fn block_basefee(&self) -> U256 {
        self.vm.block_basefee()
    }
    fn block_coinbase(&self) -> Address {
        self.vm.block_coinbase()
    }
    fn block_number(&self) -> u64 {
        self.vm.block_number()
    }
    fn block_timestamp(&self) -> u64 {
        self.vm.block_timestamp()
    }
    fn block_gas_limit(&self) -> u64 {
        self.vm.block_gas_limit()
    }
}

impl ChainAccess for ChainHost {
    fn chain_id(&self) -> u64 {
        self.vm.chain_id()
    }
}

impl AccountAccess for ChainHost {
    fn balance(&self, account: Address) -> U256 {
        self.vm.balance(account)
    }
    fn contract_address(&self) -> Address {
        self.vm.contract_address()
    }
    fn code(&self, account: Address) -> Vec<u8> {
        self.vm.code(account)
    }
    fn code_size(&self, account: Address) -> usize {
        if self.state.borrow().tokens.contains_key(&account) {
            return 1;
        }
        self.vm.code_size(account)
    }
    fn code_hash(&self, account: Address) -> B256 {
        self.vm.code_hash(account)
    }
}

impl MemoryAccess for ChainHost {
    fn pay_for_memory_grow(&self, pages: u16) {
        self.vm.pay_for_memory_grow(pages)
    }
}

impl MessageAccess for ChainHost {
    fn msg_sender(&self) -> Address {
        self.vm.msg_sender()
    }
    fn msg_reentrant(&self) -> bool {
        self.vm.msg_reentrant()
    }
    fn msg_value(&self) -> U256 {
        self.vm.msg_value()
    }
    fn tx_origin(&self) -> Address {
        self.vm.tx_origin()
    }
}

impl MeteringAccess for ChainHost {
    fn evm_gas_left(&self) -> u64 {
        self.vm.evm_gas_left()
    }
    fn evm_ink_left(&self) -> u64 {
        self.vm.evm_ink_left()
    }
    fn tx_gas_price(&self) -> U256 {
        self.vm.tx_gas_price()
    }
    fn tx_ink_price(&self) -> u32 {
        self.vm.tx_ink_price()
    }
}

impl RawLogAccess for ChainHost {
    fn emit_log(&self, input: &[u8], num_topics: usize) {
        self.vm.emit_log(input, num_topics)
    }
    fn raw_log(&self, topics: &[B256], data: &[u8]) -> Result<(), &'static str> {
        self.vm.raw_log(topics, data)
    }
}
