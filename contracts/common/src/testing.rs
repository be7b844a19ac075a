//! Test support (feature `testing`, never in a wasm build): [`TestHost`], one programmable
//! stylus-sdk host for TestVM tests, and [`FeedHost`], the host with per-call Chainlink feed
//! mocks built on it.
//!
//! # `TestHost`: a `TestVM` whose outgoing calls a [`CallHandler`] answers
//!
//! stylus-test 0.10's `TestVM` answers calls only from its own mocks, and keeps one global
//! "return data" buffer that a mock overwrites when it is *registered*: a contract that makes
//! several calls in one transaction reads the last-registered answer from all of them, and a
//! call cannot run code (move a token balance, re-enter the contract). [`TestHost<H>`] wraps a
//! `TestVM` — storage, sender, timestamp, block, logs and deployment stay the `TestVM`'s — and
//! implements every stylus-core host trait once, routing:
//!
//! * every `call` and `staticcall` the contract makes to its handler `H`
//!   ([`CallHandler::call`], told whether the call is static). `Some(Ok(data))` succeeds
//!   with `data`, `Some(Err(data))` reverts with `data`; `None` falls through to the
//!   `TestVM`'s own mocks (`mock_call`, `mock_static_call`);
//! * `code_size` to [`CallHandler::code_size`] (`None` = the `TestVM`'s answer), so a handler
//!   can make its simulated contracts look deployed;
//! * `delegatecall` to [`CallHandler::delegate_call`], which may run another contract's code
//!   on the same host (a proxy and its modules), and `create1` to [`CallHandler::create`];
//!   `code` and `code_size` to [`CallHandler::code`] — each falling through to the `TestVM`
//!   when the handler answers `None`.
//!
//! The host keeps its **own** return-data buffer, set by every call from the answer of that
//! call, so each call the handler answers reads its own answer. A call that falls through
//! reads the `TestVM`'s single buffer (the answer of the last-registered `TestVM` mock), so
//! register such mocks one at a time, or answer the calls in the handler. A handler runs
//! *inside* the call: it may call back into the contract under test (a reentrancy test),
//! which routes its own calls through the same handler — so a handler must not hold a
//! `RefCell` borrow across such a callback.
//!
//! **Reverts roll back, as on a chain.** `TestVM` itself keeps every storage write, log and
//! handler-side effect of a call that then reverts, so a test that asserts a revert and keeps
//! using the state would see leftovers no chain has. `TestHost` journals instead: every call,
//! static call and delegatecall its handler answers, and every top-level call a harness runs
//! through [`TestHost::journaled`], is a frame; when the frame ends in `Err`, the `TestVM`'s
//! storage, the host's logs and the handler's state ([`CallHandler::save`] /
//! [`CallHandler::restore`]) are put back as they were when it began. Logs are therefore
//! the host's own ([`TestHost::get_emitted_logs`], [`TestHost::clear_logs`]), not the
//! `TestVM`'s.
//!
//! `()` is the handler that answers nothing (a plain `TestVM` with the per-call buffer);
//! [`StaticCallMocks`] answers static calls from a per-call table. A test crate simulates
//! richer chains (ERC20 tokens, engines) by implementing [`CallHandler`] on its own state and
//! using `TestHost<ItsHandler>`; methods on it come from an extension trait of that crate.
//!
//! Build contracts on a host with `Contract::from(&host)` or pass it to `router_entrypoint`
//! as `VM { host: Box::new(host.clone()) }` (clones share all state); reach the `TestVM`
//! setters through `Deref` (`host.set_sender(..)`, `host.get_emitted_logs()`) and the handler
//! with [`TestHost::handler`].
//!
//! # `FeedHost`: Chainlink feeds that answer per call
//!
//! [`FeedHost`] is `TestHost<StaticCallMocks>` with helpers mocking `decimals()`,
//! `latestRoundData()` and `getRoundData(id)` of any number of feeds. An unmocked static call
//! succeeds with empty data, as a call to an account without code does on chain; non-static
//! calls fall through to the `TestVM`.

// The host traits of stylus-core are `unsafe` (raw pointers); this test-only module
// implements them by delegating to `TestVM`.
#![allow(unsafe_code)]

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::ops::Deref;
use std::rc::Rc;
use std::slice;
use std::vec::Vec;

use alloy_primitives::{Address, B256, I256, U256};
use stylus_sdk::stylus_core::host::*;
use stylus_sdk::testing::TestVM;

use crate::feed::{
    encode_round, get_round_data_calldata, Round, DECIMALS_SELECTOR, LATEST_ROUND_DATA_SELECTOR,
};

/// The answer to a call: `Ok(return data)` or `Err(revert data)`.
pub type CallResult = Result<Vec<u8>, Vec<u8>>;

/// Answers the outgoing calls of the contract under test on a [`TestHost`] (see the module
/// docs).
pub trait CallHandler {
    /// Answers a call to `to` with `calldata` (`is_static` for a `staticcall`), made while
    /// `vm` is the chain state (`vm.contract_address()` is the caller); `None` leaves the call
    /// to the `TestVM`'s mocks.
    fn call(
        &self,
        vm: &TestVM,
        to: Address,
        calldata: &[u8],
        is_static: bool,
    ) -> Option<CallResult>;

    /// The code size of `account`, or `None` for the `TestVM`'s answer (the default).
    fn code_size(&self, account: Address) -> Option<usize> {
        self.code(account).map(|code| code.len())
    }

    /// The code of `account`, or `None` for the `TestVM`'s answer (the default).
    fn code(&self, account: Address) -> Option<Vec<u8>> {
        let _ = account;
        None
    }

    /// Answers a `delegatecall` to `to`: the handler may run that contract's code on `host`
    /// (same storage, same sender). `None` (the default) leaves it to the `TestVM`.
    fn delegate_call(host: &TestHost<Self>, to: Address, calldata: &[u8]) -> Option<CallResult>
    where
        Self: Sized,
    {
        let _ = (host, to, calldata);
        None
    }

    /// Answers a `create1` with `init_code`: the new contract's address, or revert data.
    /// `None` (the default) leaves it to the `TestVM`.
    fn create(host: &TestHost<Self>, init_code: &[u8]) -> Option<Result<Address, Vec<u8>>>
    where
        Self: Sized,
    {
        let _ = (host, init_code);
        None
    }

    /// A copy of whatever state of the handler a call can change (token balances, deployed
    /// code), taken when a journaled frame begins. The default handler has none.
    fn save(&self) -> Box<dyn Any> {
        Box::new(())
    }

    /// Puts back what [`CallHandler::save`] took, when the frame reverted.
    fn restore(&self, saved: Box<dyn Any>) {
        let _ = saved;
    }
}

/// Answers nothing: every call goes to the `TestVM`'s mocks.
impl CallHandler for () {
    fn call(&self, _: &TestVM, _: Address, _: &[u8], _: bool) -> Option<CallResult> {
        None
    }
}

/// Static calls answered per call from a table; an unmocked static call succeeds with empty
/// data. Non-static calls are not answered (`None`).
#[derive(Default)]
pub struct StaticCallMocks {
    mocks: RefCell<HashMap<(Address, Vec<u8>), CallResult>>,
}

impl StaticCallMocks {
    /// Answers a static call to `to` with exactly `data` by `result` (`Err` = revert data);
    /// replaces an earlier mock of the same call.
    pub fn mock(&self, to: Address, data: Vec<u8>, result: CallResult) {
        self.mocks.borrow_mut().insert((to, data), result);
    }

    /// Removes every mock.
    pub fn clear(&self) {
        self.mocks.borrow_mut().clear();
    }
}

impl CallHandler for StaticCallMocks {
    fn call(
        &self,
        _: &TestVM,
        to: Address,
        calldata: &[u8],
        is_static: bool,
    ) -> Option<CallResult> {
        if !is_static {
            return None;
        }
        let mocks = self.mocks.borrow();
        Some(
            mocks
                .get(&(to, calldata.to_vec()))
                .cloned()
                .unwrap_or(Ok(Vec::new())),
        )
    }
}

/// A `TestVM` whose outgoing calls handler `H` answers (see the module docs). Cheap to
/// clone: clones share the `TestVM`, the handler and the return-data buffer.
pub struct TestHost<H = ()> {
    vm: TestVM,
    handler: Rc<H>,
    return_data: Rc<RefCell<Vec<u8>>>,
    logs: Rc<RefCell<Vec<Log>>>,
}

/// One emitted log: its topics and data.
pub type Log = (Vec<B256>, Vec<u8>);

impl<H> Clone for TestHost<H> {
    fn clone(&self) -> Self {
        Self {
            vm: self.vm.clone(),
            handler: Rc::clone(&self.handler),
            return_data: Rc::clone(&self.return_data),
            logs: Rc::clone(&self.logs),
        }
    }
}

impl<H: Default> Default for TestHost<H> {
    fn default() -> Self {
        Self::with_handler(H::default())
    }
}

impl<H> Deref for TestHost<H> {
    type Target = TestVM;
    fn deref(&self) -> &TestVM {
        &self.vm
    }
}

impl<H: Default> TestHost<H> {
    /// A fresh host (empty storage, timestamp 0, sender zero) with a default handler.
    pub fn new() -> Self {
        Self::default()
    }
}

impl<H> TestHost<H> {
    /// A fresh host (empty storage, timestamp 0, sender zero) whose calls `handler` answers.
    pub fn with_handler(handler: H) -> Self {
        Self {
            vm: TestVM::default(),
            handler: Rc::new(handler),
            return_data: Rc::default(),
            logs: Rc::default(),
        }
    }

    /// The logs emitted so far (by frames that did not revert).
    pub fn get_emitted_logs(&self) -> Vec<Log> {
        self.logs.borrow().clone()
    }

    /// Forgets the logs emitted so far.
    pub fn clear_logs(&self) {
        self.logs.borrow_mut().clear();
    }
}

impl<H: CallHandler> TestHost<H> {
    /// Runs `frame` as one call frame: when it returns `Err`, the storage, the logs and the
    /// handler's state are put back as they were before it (see the module docs).
    pub fn journaled(&self, run: impl FnOnce() -> CallResult) -> CallResult {
        let storage = self.vm.snapshot().storage;
        let logs = self.logs.borrow().len();
        let handler = self.handler.save();
        let result = run();
        if result.is_err() {
            self.vm.clear_storage();
            for (key, value) in storage {
                self.vm.set_storage(key, value);
            }
            self.logs.borrow_mut().truncate(logs);
            self.handler.restore(handler);
        }
        result
    }

    /// The wrapped `TestVM`.
    pub fn vm(&self) -> &TestVM {
        &self.vm
    }

    /// The call handler.
    pub fn handler(&self) -> &H {
        &self.handler
    }

    /// Ends a call: keeps its answer as the return data, sets `outs_len`, returns the status.
    fn finish(&self, result: CallResult, outs_len: &mut usize) -> u8 {
        let (status, out) = match result {
            Ok(out) => (0, out),
            Err(out) => (1, out),
        };
        *outs_len = out.len();
        *self.return_data.borrow_mut() = out;
        status
    }

    /// Ends a call the `TestVM` answered (status `status`): copies its return data.
    fn finish_fallthrough(&self, status: u8) -> u8 {
        *self.return_data.borrow_mut() = self.vm.read_return_data(0, None);
        status
    }
}

/// `(to, calldata)` of a raw call.
///
/// # Safety
/// `to` points to 20 readable bytes and `data` to `data_len`.
unsafe fn raw_call(to: *const u8, data: *const u8, data_len: usize) -> (Address, Vec<u8>) {
    unsafe {
        (
            Address::from_slice(slice::from_raw_parts(to, 20)),
            slice::from_raw_parts(data, data_len).to_vec(),
        )
    }
}

/// [`TestHost`] with per-call static-call mocks and Chainlink feed helpers (see the module
/// docs).
pub type FeedHost = TestHost<StaticCallMocks>;

impl TestHost<StaticCallMocks> {
    /// Answers a static call to `to` with exactly `data` by `result` (`Err` = revert data);
    /// replaces an earlier mock of the same call.
    pub fn mock_static_call(&self, to: Address, data: Vec<u8>, result: Result<Vec<u8>, Vec<u8>>) {
        self.handler.mock(to, data, result);
    }

    /// Removes every static-call mock.
    pub fn clear_static_calls(&self) {
        self.handler.clear();
    }
    /// Mocks `feed.decimals()`.
    pub fn mock_decimals(&self, feed: Address, decimals: u8) {
        let word = U256::from(decimals).to_be_bytes::<32>().to_vec();
        self.mock_static_call(feed, DECIMALS_SELECTOR.to_vec(), Ok(word));
    }

    /// Mocks `feed.latestRoundData()`.
    pub fn mock_latest_round(&self, feed: Address, round: &Round) {
        let call = LATEST_ROUND_DATA_SELECTOR.to_vec();
        self.mock_static_call(feed, call, Ok(encode_round(round)));
    }

    /// Mocks `feed.getRoundData(round.round_id)`.
    pub fn mock_round(&self, feed: Address, round: &Round) {
        let call = get_round_data_calldata(round.round_id);
        self.mock_static_call(feed, call, Ok(encode_round(round)));
    }

    /// Mocks `feed.latestRoundData()` with a round of `answer` updated (and started) at
    /// `updated_at`, round id 1.
    pub fn mock_answer(&self, feed: Address, answer: i128, updated_at: u64) {
        self.mock_latest_round(feed, &round(1, answer, updated_at, updated_at));
    }

    /// Makes every call `feed.latestRoundData()` revert with `revert_data`.
    pub fn mock_latest_round_revert(&self, feed: Address, revert_data: Vec<u8>) {
        let call = LATEST_ROUND_DATA_SELECTOR.to_vec();
        self.mock_static_call(feed, call, Err(revert_data));
    }
}

/// A round with `answeredInRound = roundId`.
pub fn round(round_id: u128, answer: i128, started_at: u64, updated_at: u64) -> Round {
    Round {
        round_id,
        answer: I256::try_from(answer).unwrap_or(I256::ZERO),
        started_at,
        updated_at,
        answered_in_round: round_id,
    }
}

impl<H: CallHandler> Host for TestHost<H> {}

impl<H> CryptographyAccess for TestHost<H> {
    fn native_keccak256(&self, input: &[u8]) -> B256 {
        self.vm.native_keccak256(input)
    }
}

impl<H> CalldataAccess for TestHost<H> {
    fn read_args(&self, len: usize) -> Vec<u8> {
        self.vm.read_args(len)
    }
    fn read_return_data(&self, offset: usize, size: Option<usize>) -> Vec<u8> {
        let data = self.return_data.borrow();
        let start = offset.min(data.len());
        let end = size.map_or(data.len(), |s| start.saturating_add(s).min(data.len()));
        data[start..end].to_vec()
    }
    fn return_data_size(&self) -> usize {
        self.return_data.borrow().len()
    }
    fn write_result(&self, data: &[u8]) {
        self.vm.write_result(data)
    }
}

unsafe impl<H: CallHandler> UnsafeDeploymentAccess for TestHost<H> {
    unsafe fn create1(
        &self,
        code: *const u8,
        code_len: usize,
        endowment: *const u8,
        contract: *mut u8,
        revert_data_len: *mut usize,
    ) {
        let init_code = unsafe { slice::from_raw_parts(code, code_len) }.to_vec();
        match H::create(self, &init_code) {
            Some(Ok(address)) => unsafe {
                core::ptr::copy_nonoverlapping(address.as_ptr(), contract, 20);
                *revert_data_len = 0;
                self.return_data.borrow_mut().clear();
            },
            Some(Err(revert)) => unsafe {
                core::ptr::write_bytes(contract, 0, 20);
                *revert_data_len = revert.len();
                *self.return_data.borrow_mut() = revert;
            },
            None => unsafe {
                self.vm
                    .create1(code, code_len, endowment, contract, revert_data_len)
            },
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

impl<H> StorageAccess for TestHost<H> {
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

unsafe impl<H: CallHandler> UnsafeCallAccess for TestHost<H> {
    unsafe fn call_contract(
        &self,
        to: *const u8,
        data: *const u8,
        data_len: usize,
        value: *const u8,
        gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        let (address, calldata) = unsafe { raw_call(to, data, data_len) };
        match self.frame(|| self.handler.call(&self.vm, address, &calldata, false)) {
            Some(result) => self.finish(result, outs_len),
            None => self.finish_fallthrough(unsafe {
                self.vm
                    .call_contract(to, data, data_len, value, gas, outs_len)
            }),
        }
    }
    unsafe fn static_call_contract(
        &self,
        to: *const u8,
        data: *const u8,
        data_len: usize,
        gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        let (address, calldata) = unsafe { raw_call(to, data, data_len) };
        match self.frame(|| self.handler.call(&self.vm, address, &calldata, true)) {
            Some(result) => self.finish(result, outs_len),
            None => self.finish_fallthrough(unsafe {
                self.vm
                    .static_call_contract(to, data, data_len, gas, outs_len)
            }),
        }
    }
    unsafe fn delegate_call_contract(
        &self,
        to: *const u8,
        data: *const u8,
        data_len: usize,
        gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        let (address, calldata) = unsafe { raw_call(to, data, data_len) };
        match self.frame(|| H::delegate_call(self, address, &calldata)) {
            Some(result) => self.finish(result, outs_len),
            None => self.finish_fallthrough(unsafe {
                self.vm
                    .delegate_call_contract(to, data, data_len, gas, outs_len)
            }),
        }
    }
}

impl<H: CallHandler> TestHost<H> {
    /// The handler's answer to a call (`None`: not answered), run as a journaled frame.
    fn frame(&self, answer: impl FnOnce() -> Option<CallResult>) -> Option<CallResult> {
        let mut answered = true;
        let result = self.journaled(|| {
            answer().unwrap_or_else(|| {
                answered = false;
                Ok(Vec::new())
            })
        });
        answered.then_some(result)
    }
}

impl<H> BlockAccess for TestHost<H> {
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

impl<H> ChainAccess for TestHost<H> {
    fn chain_id(&self) -> u64 {
        self.vm.chain_id()
    }
}

impl<H: CallHandler> AccountAccess for TestHost<H> {
    fn balance(&self, account: Address) -> U256 {
        self.vm.balance(account)
    }
    fn contract_address(&self) -> Address {
        self.vm.contract_address()
    }
    fn code(&self, account: Address) -> Vec<u8> {
        self.handler
            .code(account)
            .unwrap_or_else(|| self.vm.code(account))
    }
    fn code_size(&self, account: Address) -> usize {
        self.handler
            .code_size(account)
            .unwrap_or_else(|| self.vm.code_size(account))
    }
    fn code_hash(&self, account: Address) -> B256 {
        self.vm.code_hash(account)
    }
}

impl<H> MemoryAccess for TestHost<H> {
    fn pay_for_memory_grow(&self, pages: u16) {
        self.vm.pay_for_memory_grow(pages)
    }
}

impl<H> MessageAccess for TestHost<H> {
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

impl<H> MeteringAccess for TestHost<H> {
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

impl<H> RawLogAccess for TestHost<H> {
    fn emit_log(&self, input: &[u8], num_topics: usize) {
        let (topics, data) = input.split_at((32 * num_topics).min(input.len()));
        let topics = topics.chunks_exact(32).map(B256::from_slice).collect();
        self.logs.borrow_mut().push((topics, data.to_vec()));
    }
    fn raw_log(&self, topics: &[B256], data: &[u8]) -> Result<(), &'static str> {
        self.logs
            .borrow_mut()
            .push((topics.to_vec(), data.to_vec()));
        Ok(())
    }
}
