//! Test support (feature `testing`, never in a wasm build): [`FeedHost`], a stylus-sdk
//! `TestVM` whose static-call mocks answer **per call**.
//!
//! stylus-test 0.10's `TestVM` keeps one global "return data" buffer that
//! `mock_static_call` overwrites when a mock is *registered*, so a contract that reads
//! several feeds in one call gets the last-registered answer from all of them. `FeedHost`
//! wraps a `TestVM` (everything else — storage, sender, timestamp, logs — is the `TestVM`'s)
//! and serves static calls from its own table, setting the return data of the call being
//! made. An unmocked static call succeeds with empty data, as a call to an account without
//! code does on chain. Build contracts on it with `Contract::from(&host)`, and reach the
//! `TestVM` setters through `Deref` (`host.set_sender(..)`, `host.get_emitted_logs()`).

// The host traits of stylus-core are `unsafe` (raw pointers); this test-only module
// implements them by delegating to `TestVM`.
#![allow(unsafe_code)]

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

type Mocks = HashMap<(Address, Vec<u8>), Result<Vec<u8>, Vec<u8>>>;

#[derive(Default)]
struct State {
    static_calls: Mocks,
    return_data: Vec<u8>,
}

/// A `TestVM` with per-call static-call mocks (see the module docs).
#[derive(Clone, Default)]
pub struct FeedHost {
    vm: TestVM,
    state: Rc<RefCell<State>>,
}

impl Deref for FeedHost {
    type Target = TestVM;
    fn deref(&self) -> &TestVM {
        &self.vm
    }
}

impl FeedHost {
    /// A fresh host (empty storage, timestamp 0, sender zero).
    pub fn new() -> Self {
        Self::default()
    }

    /// The wrapped `TestVM`.
    pub fn vm(&self) -> &TestVM {
        &self.vm
    }

    /// Answers a static call to `to` with exactly `data` by `result` (`Err` = revert data);
    /// replaces an earlier mock of the same call.
    pub fn mock_static_call(&self, to: Address, data: Vec<u8>, result: Result<Vec<u8>, Vec<u8>>) {
        self.state
            .borrow_mut()
            .static_calls
            .insert((to, data), result);
    }

    /// Removes every static-call mock.
    pub fn clear_static_calls(&self) {
        self.state.borrow_mut().static_calls.clear();
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

impl Host for FeedHost {}

impl CryptographyAccess for FeedHost {
    fn native_keccak256(&self, input: &[u8]) -> B256 {
        self.vm.native_keccak256(input)
    }
}

impl CalldataAccess for FeedHost {
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

unsafe impl UnsafeDeploymentAccess for FeedHost {
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

impl StorageAccess for FeedHost {
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

unsafe impl UnsafeCallAccess for FeedHost {
    unsafe fn call_contract(
        &self,
        to: *const u8,
        data: *const u8,
        data_len: usize,
        value: *const u8,
        gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        unsafe {
            self.vm
                .call_contract(to, data, data_len, value, gas, outs_len)
        }
    }
    unsafe fn static_call_contract(
        &self,
        to: *const u8,
        data: *const u8,
        data_len: usize,
        _gas: u64,
        outs_len: &mut usize,
    ) -> u8 {
        let (to, data) = unsafe {
            (
                Address::from_slice(slice::from_raw_parts(to, 20)),
                slice::from_raw_parts(data, data_len).to_vec(),
            )
        };
        let mut state = self.state.borrow_mut();
        let result = state
            .static_calls
            .get(&(to, data))
            .cloned()
            .unwrap_or(Ok(Vec::new()));
        let (status, out) = match result {
            Ok(out) => (0, out),
            Err(out) => (1, out),
        };
        *outs_len = out.len();
        state.return_data = out;
        status
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

impl BlockAccess for FeedHost {
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

impl ChainAccess for FeedHost {
    fn chain_id(&self) -> u64 {
        self.vm.chain_id()
    }
}

impl AccountAccess for FeedHost {
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
        self.vm.code_size(account)
    }
    fn code_hash(&self, account: Address) -> B256 {
        self.vm.code_hash(account)
    }
}

impl MemoryAccess for FeedHost {
    fn pay_for_memory_grow(&self, pages: u16) {
        self.vm.pay_for_memory_grow(pages)
    }
}

impl MessageAccess for FeedHost {
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

impl MeteringAccess for FeedHost {
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

impl RawLogAccess for FeedHost {
    fn emit_log(&self, input: &[u8], num_topics: usize) {
        self.vm.emit_log(input, num_topics)
    }
    fn raw_log(&self, topics: &[B256], data: &[u8]) -> Result<(), &'static str> {
        self.vm.raw_log(topics, data)
    }
}
