//! The chain state the host keeps: accounts (balance, nonce, code, storage), activated
//! programs, native stand-ins, the block and transaction context, and everything a revert
//! must undo, through one journal.
//!
//! Every state change made while a transaction runs goes through a method here that records
//! how to undo it; [`World::checkpoint`] marks the journal and [`World::revert_to`] rolls back
//! storage, balances, nonces, code, logs, transient storage, access-list warmth and refunds.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};

use crate::api::EvmApi;
use crate::code::Program;
use crate::exec::{lock, CreateResult, FrameResult, Msg, Shared};
use crate::native::NativeHandler;

/// One EVM log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Log {
    /// The contract that emitted it (for a delegate call, the caller's address).
    pub address: Address,
    /// Up to four topics.
    pub topics: Vec<B256>,
    /// Unindexed data.
    pub data: Vec<u8>,
}

/// An account.
#[derive(Clone, Default)]
pub(crate) struct Account {
    pub balance: U256,
    pub nonce: u64,
    pub code: Arc<Vec<u8>>,
    pub code_hash: Option<B256>,
    pub storage: BTreeMap<B256, B256>,
    pub native: Option<NativeHandler>,
}

impl Account {
    pub fn is_empty(&self) -> bool {
        self.balance.is_zero() && self.nonce == 0 && self.code.is_empty() && self.native.is_none()
    }
}

/// Block and transaction context, as the host I/Os report it.
#[derive(Clone, Debug)]
pub struct BlockEnv {
    /// `block_number` (on Arbitrum: an estimate of the L1 block number).
    pub number: u64,
    /// `block_timestamp`, Unix seconds.
    pub timestamp: u64,
    /// `block_basefee`, wei.
    pub basefee: U256,
    /// `tx_gas_price`, wei (equals the basefee on Arbitrum).
    pub gas_price: U256,
    /// `block_coinbase`.
    pub coinbase: Address,
    /// `block_gas_limit`.
    pub gas_limit: u64,
    /// `chainid`.
    pub chain_id: u64,
}

impl Default for BlockEnv {
    fn default() -> Self {
        BlockEnv {
            number: 1,
            timestamp: 1_700_000_000,
            basefee: U256::from(10_000_000u64),
            gas_price: U256::from(10_000_000u64),
            coinbase: Address::new([
                0xA4, 0xB0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x73, 0x65, 0x71, 0x75, 0x65, 0x6e, 0x63,
                0x65,
            ]),
            gas_limit: 1 << 50,
            chain_id: 42_161,
        }
    }
}

enum Undo {
    Storage(Address, B256, B256),
    Balance(Address, U256),
    Nonce(Address, u64),
    Code(Address, Arc<Vec<u8>>, Option<B256>),
    Log,
    WarmAddress(Address),
    WarmSlot(Address, B256),
    Refund(u64),
    Transient(Address, B256, B256),
}

/// Where one transaction's gas went besides the programs' own ink, as charged (EVM costs
/// and program entry), summed over every frame. Gas spent in frames that later reverted
/// counts too, as it is spent.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct GasTally {
    /// Storage reads that went to the state (SLOAD gas paid; cache hits are not counted).
    pub sloads: u64,
    /// Gas of those reads (cold 2,100 / warm 100 each).
    pub sload_gas: u64,
    /// Storage writes flushed (SSTORE gas paid).
    pub sstores: u64,
    /// Gas of those writes (before refunds).
    pub sstore_gas: u64,
    /// Calls made by programs and stand-ins (call, delegate call, static call).
    pub calls: u64,
    /// Account-access gas of calls and account reads (cold 2,600 / warm 100, value transfer).
    pub access_gas: u64,
    /// Program entries (every call into a Stylus program, the top one included).
    pub entries: u64,
    /// Gas of entering programs: init or cached cost plus memory footprint.
    pub entry_gas: u64,
}

impl std::ops::AddAssign for GasTally {
    fn add_assign(&mut self, more: GasTally) {
        self.sloads += more.sloads;
        self.sload_gas += more.sload_gas;
        self.sstores += more.sstores;
        self.sstore_gas += more.sstore_gas;
        self.calls += more.calls;
        self.access_gas += more.access_gas;
        self.entries += more.entries;
        self.entry_gas += more.entry_gas;
    }
}

/// The whole state.
pub(crate) struct World {
    pub accounts: HashMap<Address, Account>,
    pub programs: HashMap<B256, Arc<Program>>,
    /// Programs in ArbOS's init cache (`ArbWasmCache`): never pay the init gas.
    pub cached_programs: HashSet<B256>,
    pub engine: wasmer::Engine,
    pub block: BlockEnv,
    pub max_code_size: usize,
    /// The ArbOS version whose rules apply (see `crate::pricing::DEFAULT_ARBOS_VERSION`).
    pub arbos_version: u64,
    /// The deepest stack, in Nitro's words, any program frame reached since the host began.
    pub deepest_stack: u32,
    // Per transaction:
    pub origin: Address,
    pub logs: Vec<Log>,
    pub refund: u64,
    warm_addresses: HashSet<Address>,
    warm_slots: HashSet<(Address, B256)>,
    transient: HashMap<(Address, B256), B256>,
    original: HashMap<(Address, B256), B256>,
    /// Open non-delegate frames per address (Nitro's reentrancy count).
    pub frames: HashMap<Address, u32>,
    /// Stylus pages open now and the most ever open in this transaction.
    pub pages: (u16, u16),
    /// Programs entered in this transaction (Nitro's recent-program cache).
    pub recent: Vec<B256>,
    /// The deepest stack, in Nitro's words, any program frame reached in this transaction.
    pub deepest_stack_tx: u32,
    pub console: Vec<String>,
    /// With a profiling host: ink per function index, by program code hash, summed over
    /// every entry since the host was made (or the profile taken).
    pub profile: Option<HashMap<B256, Vec<u64>>>,
    /// Where this transaction's gas went (see [`GasTally`]).
    pub tally: GasTally,
    journal: Vec<Undo>,
}

impl World {
    pub fn new(engine: wasmer::Engine) -> Self {
        World {
            accounts: HashMap::new(),
            programs: HashMap::new(),
            cached_programs: HashSet::new(),
            engine,
            block: BlockEnv::default(),
            max_code_size: crate::pricing::gas::MAX_CODE_SIZE,
            arbos_version: crate::pricing::DEFAULT_ARBOS_VERSION,
            deepest_stack: 0,
            origin: Address::ZERO,
            logs: Vec::new(),
            refund: 0,
            warm_addresses: HashSet::new(),
            warm_slots: HashSet::new(),
            transient: HashMap::new(),
            original: HashMap::new(),
            frames: HashMap::new(),
            pages: (0, 0),
            recent: Vec::new(),
            deepest_stack_tx: 0,
            console: Vec::new(),
            profile: None,
            tally: GasTally::default(),
            journal: Vec::new(),
        }
    }

    /// Starts a transaction from `origin` to `to`: fresh access list, transient storage,
    /// refunds, logs, page counts and recent-program cache.
    pub fn begin_tx(&mut self, origin: Address, to: Address) {
        self.origin = origin;
        self.logs.clear();
        self.refund = 0;
        self.warm_addresses.clear();
        self.warm_slots.clear();
        self.transient.clear();
        self.original.clear();
        self.frames.clear();
        self.pages = (0, 0);
        self.recent.clear();
        self.deepest_stack_tx = 0;
        self.journal.clear();
        self.tally = GasTally::default();
        self.warm_addresses.insert(origin);
        self.warm_addresses.insert(to);
        self.warm_addresses.insert(self.block.coinbase);
    }

    /// Ends the transaction; nothing can be reverted after this.
    pub fn end_tx(&mut self) {
        self.journal.clear();
    }

    pub fn checkpoint(&self) -> usize {
        self.journal.len()
    }

    pub fn revert_to(&mut self, mark: usize) {
        while self.journal.len() > mark {
            let Some(undo) = self.journal.pop() else {
                break;
            };
            match undo {
                Undo::Storage(a, k, v) => {
                    let acc = self.accounts.entry(a).or_default();
                    if v.is_zero() {
                        acc.storage.remove(&k);
                    } else {
                        acc.storage.insert(k, v);
                    }
                }
                Undo::Balance(a, v) => self.accounts.entry(a).or_default().balance = v,
                Undo::Nonce(a, n) => self.accounts.entry(a).or_default().nonce = n,
                Undo::Code(a, c, h) => {
                    let acc = self.accounts.entry(a).or_default();
                    acc.code = c;
                    acc.code_hash = h;
                }
                Undo::Log => {
                    self.logs.pop();
                }
                Undo::WarmAddress(a) => {
                    self.warm_addresses.remove(&a);
                }
                Undo::WarmSlot(a, k) => {
                    self.warm_slots.remove(&(a, k));
                }
                Undo::Refund(r) => self.refund = r,
                Undo::Transient(a, k, v) => {
                    self.transient.insert((a, k), v);
                }
            }
        }
    }

    // ---- accounts -------------------------------------------------------------------------

    pub fn account(&self, a: &Address) -> Option<&Account> {
        self.accounts.get(a)
    }

    pub fn balance(&self, a: &Address) -> U256 {
        self.account(a).map_or(U256::ZERO, |acc| acc.balance)
    }

    pub fn nonce(&self, a: &Address) -> u64 {
        self.account(a).map_or(0, |acc| acc.nonce)
    }

    pub fn code(&self, a: &Address) -> Arc<Vec<u8>> {
        self.account(a)
            .map_or_else(|| Arc::new(Vec::new()), |acc| acc.code.clone())
    }

    pub fn native(&self, a: &Address) -> Option<NativeHandler> {
        self.account(a).and_then(|acc| acc.native.clone())
    }

    /// EXTCODEHASH: zero for an empty account, else the keccak of its code.
    pub fn code_hash(&mut self, a: &Address) -> B256 {
        match self.accounts.get_mut(a) {
            None => B256::ZERO,
            Some(acc) if acc.is_empty() => B256::ZERO,
            Some(acc) => *acc.code_hash.get_or_insert_with(|| keccak256(&*acc.code)),
        }
    }

    pub fn exists(&self, a: &Address) -> bool {
        self.account(a).is_some_and(|acc| !acc.is_empty())
    }

    pub fn set_balance(&mut self, a: Address, v: U256) {
        let acc = self.accounts.entry(a).or_default();
        self.journal.push(Undo::Balance(a, acc.balance));
        acc.balance = v;
    }

    pub fn set_nonce(&mut self, a: Address, n: u64) {
        let acc = self.accounts.entry(a).or_default();
        self.journal.push(Undo::Nonce(a, acc.nonce));
        acc.nonce = n;
    }

    pub fn set_code(&mut self, a: Address, code: Vec<u8>) {
        let acc = self.accounts.entry(a).or_default();
        let old = std::mem::replace(&mut acc.code, Arc::new(code));
        let old_hash = acc.code_hash.take();
        self.journal.push(Undo::Code(a, old, old_hash));
    }

    /// Moves `value` from `from` to `to`; false (and no change) when `from` is short.
    pub fn transfer(&mut self, from: Address, to: Address, value: U256) -> bool {
        if value.is_zero() {
            return true;
        }
        let have = self.balance(&from);
        if have < value {
            return false;
        }
        self.set_balance(from, have - value);
        let to_balance = self.balance(&to);
        self.set_balance(to, to_balance.saturating_add(value));
        true
    }

    // ---- storage --------------------------------------------------------------------------

    pub fn sload(&self, a: &Address, key: &B256) -> B256 {
        self.account(a)
            .and_then(|acc| acc.storage.get(key).copied())
            .unwrap_or_default()
    }

    /// The slot's value when the transaction started (geth's committed state).
    pub fn original(&self, a: &Address, key: &B256) -> B256 {
        self.original
            .get(&(*a, *key))
            .copied()
            .unwrap_or_else(|| self.sload(a, key))
    }

    pub fn sstore(&mut self, a: Address, key: B256, value: B256) {
        let prev = self.sload(&a, &key);
        self.original.entry((a, key)).or_insert(prev);
        self.journal.push(Undo::Storage(a, key, prev));
        let acc = self.accounts.entry(a).or_default();
        if value.is_zero() {
            acc.storage.remove(&key);
        } else {
            acc.storage.insert(key, value);
        }
    }

    /// Gas of an SLOAD (EIP-2929): cold 2100 (and warms the slot), else warm 100.
    pub fn sload_gas(&mut self, a: Address, key: B256) -> u64 {
        use crate::pricing::gas;
        let cost = if self.warm_slots.insert((a, key)) {
            self.journal.push(Undo::WarmSlot(a, key));
            gas::COLD_SLOAD
        } else {
            gas::WARM_READ
        };
        self.tally.sloads += 1;
        self.tally.sload_gas += cost;
        cost
    }

    /// Gas of an SSTORE (EIP-2200/2929/3529, as geth's `WasmStateStoreCost`), adjusting the
    /// refund counter. The sentry check is the caller's.
    pub fn sstore_gas(&mut self, a: Address, key: B256, value: B256) -> u64 {
        let cost = self.sstore_cost(a, key, value);
        self.tally.sstores += 1;
        self.tally.sstore_gas += cost;
        cost
    }

    fn sstore_cost(&mut self, a: Address, key: B256, value: B256) -> u64 {
        use crate::pricing::gas;
        let mut cost = 0;
        if self.warm_slots.insert((a, key)) {
            self.journal.push(Undo::WarmSlot(a, key));
            cost = gas::COLD_SLOAD;
        }
        let current = self.sload(&a, &key);
        if current == value {
            return cost + gas::WARM_READ;
        }
        let original = self.original(&a, &key);
        if original == current {
            if original.is_zero() {
                return cost + gas::SSTORE_SET;
            }
            if value.is_zero() {
                self.add_refund(gas::SSTORE_CLEARS_REFUND);
            }
            return cost + (gas::SSTORE_RESET - gas::COLD_SLOAD);
        }
        if !original.is_zero() {
            if current.is_zero() {
                self.sub_refund(gas::SSTORE_CLEARS_REFUND);
            } else if value.is_zero() {
                self.add_refund(gas::SSTORE_CLEARS_REFUND);
            }
        }
        if original == value {
            if original.is_zero() {
                self.add_refund(gas::SSTORE_SET - gas::WARM_READ);
            } else {
                self.add_refund(gas::SSTORE_RESET - gas::COLD_SLOAD - gas::WARM_READ);
            }
        }
        cost + gas::WARM_READ
    }

    fn add_refund(&mut self, r: u64) {
        self.journal.push(Undo::Refund(self.refund));
        self.refund = self.refund.saturating_add(r);
    }

    fn sub_refund(&mut self, r: u64) {
        self.journal.push(Undo::Refund(self.refund));
        self.refund = self.refund.saturating_sub(r);
    }

    /// Warms `a`; true if it was cold.
    pub fn warm(&mut self, a: Address) -> bool {
        if self.warm_addresses.insert(a) {
            self.journal.push(Undo::WarmAddress(a));
            true
        } else {
            false
        }
    }

    pub fn tload(&self, a: &Address, key: &B256) -> B256 {
        self.transient.get(&(*a, *key)).copied().unwrap_or_default()
    }

    pub fn tstore(&mut self, a: Address, key: B256, value: B256) {
        let prev = self.tload(&a, &key);
        self.journal.push(Undo::Transient(a, key, prev));
        self.transient.insert((a, key), value);
    }

    pub fn push_log(&mut self, log: Log) {
        self.journal.push(Undo::Log);
        self.logs.push(log);
    }

    /// Records how deep a program frame's stack went (Nitro's words).
    pub fn note_stack_depth(&mut self, words: u32) {
        self.deepest_stack_tx = self.deepest_stack_tx.max(words);
        self.deepest_stack = self.deepest_stack.max(words);
    }

    /// Records that a program was entered; true if it was already in the recent cache.
    pub fn enter_recent(&mut self, hash: B256) -> bool {
        if self.recent.contains(&hash) {
            return true;
        }
        if self.recent.len() >= crate::pricing::RECENT_PROGRAMS {
            self.recent.remove(0);
        }
        self.recent.push(hash);
        false
    }
}

/// [`World`] as the state side of Stylus frames run by [`crate::Host`].
pub(crate) struct WorldApi(pub Shared);

impl WorldApi {
    fn world(&self) -> std::sync::MutexGuard<'_, World> {
        lock(&self.0)
    }
}

impl EvmApi for WorldApi {
    fn origin(&self) -> Address {
        self.world().origin
    }

    fn block(&self) -> BlockEnv {
        self.world().block.clone()
    }

    fn sload(&mut self, contract: Address, key: B256) -> (B256, u64) {
        let mut w = self.world();
        let gas = w.sload_gas(contract, key);
        (w.sload(&contract, &key), gas)
    }

    fn sstore_gas(&mut self, contract: Address, key: B256, value: B256) -> u64 {
        self.world().sstore_gas(contract, key, value)
    }

    fn sstore(&mut self, contract: Address, key: B256, value: B256) {
        self.world().sstore(contract, key, value)
    }

    fn tload(&mut self, contract: Address, key: B256) -> B256 {
        self.world().tload(&contract, &key)
    }

    fn tstore(&mut self, contract: Address, key: B256, value: B256) {
        self.world().tstore(contract, key, value)
    }

    fn warm_account(&mut self, account: Address) -> bool {
        self.world().warm(account)
    }

    fn account_exists(&mut self, account: Address) -> bool {
        self.world().exists(&account)
    }

    fn balance(&mut self, account: Address) -> U256 {
        self.world().balance(&account)
    }

    fn code(&mut self, account: Address) -> Bytes {
        Bytes::copy_from_slice(&self.world().code(&account))
    }

    fn code_hash(&mut self, account: Address) -> B256 {
        self.world().code_hash(&account)
    }

    fn transfer(&mut self, from: Address, to: Address, value: U256) -> bool {
        self.world().transfer(from, to, value)
    }

    fn emit_log(&mut self, log: Log) {
        self.world().push_log(log)
    }

    fn call(&mut self, msg: Msg) -> FrameResult {
        crate::exec::call(&self.0, msg)
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
        crate::exec::create(&self.0, caller, init_code, value, salt, gas, depth)
    }

    fn arbos_version(&self) -> u64 {
        self.world().arbos_version
    }

    fn note_stack_depth(&mut self, words: u32) {
        self.world().note_stack_depth(words)
    }

    fn pages(&self) -> (u16, u16) {
        self.world().pages
    }

    fn set_pages(&mut self, pages: (u16, u16)) {
        self.world().pages = pages;
    }

    fn count(&mut self, gas: GasTally) {
        self.world().tally += gas;
    }

    fn console(&mut self, line: String) {
        self.world().console.push(line)
    }

    fn profiling(&self) -> bool {
        self.world().profile.is_some()
    }

    fn record_profile(&mut self, program: B256, ink_by_function: &[(usize, u64)]) {
        let mut w = self.world();
        let Some(profile) = w.profile.as_mut() else {
            return;
        };
        let totals = profile.entry(program).or_default();
        for &(index, ink) in ink_by_function {
            if totals.len() <= index {
                totals.resize(index + 1, 0);
            }
            totals[index] += ink;
        }
    }
}
