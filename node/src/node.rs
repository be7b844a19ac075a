//! The local development node behind the JSON-RPC server: the chain plus what a dev node adds —
//! unlocked dev accounts, impersonation, automine or interval mining, the clock controls,
//! snapshots, polling filters and saving to a state file. Answers in alloy's RPC types;
//! [`crate::rpc`] only moves them over the wire.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use alloy_consensus::{SignableTransaction, Transaction as _, TxEnvelope, TypedTransaction};
use alloy_eips::eip2718::Decodable2718;
use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, Bytes, Signature, B256, U256};
use alloy_rpc_types_eth::state::StateOverride;
use alloy_rpc_types_eth::{
    Block, BlockTransactions, FeeHistory, Filter, FilterChanges, Header as RpcHeader, Log,
    Transaction, TransactionReceipt, TransactionRequest,
};
use alloy_signer::SignerSync;
use alloy_signer_local::{coins_bip39::English, MnemonicBuilder, PrivateKeySigner};
use revm::context::result::{ExecutionResult, HaltReason};
use revm::context::TxEnv;
use revm::state::Bytecode;
use serde::{Deserialize, Serialize};

use keel_chain::chain::{self, Chain, Invalid, MinedBlock, MinedTx, BASE_FEE};
use keel_chain::executor::ChainDb;

/// The Nitro dev node's funded key (public: it exists only on dev chains).
pub const NITRO_DEV_KEY: &str = "b6b15c8cb491557369f3c7d2c287b053eb229daa9c22138887752191c9520659";
/// The standard test mnemonic of Foundry and Hardhat.
pub const TEST_MNEMONIC: &str = "test test test test test test test test test test test junk";
/// What each dev account starts with: 10,000 ETH.
pub const DEV_BALANCE: u128 = 10_000 * 10u128.pow(18);
/// The most gas an `eth_call` or estimate may use (Arbitrum's RPC gas cap).
pub const RPC_GAS_CAP: u64 = 50_000_000;
/// The widest block range one `eth_getLogs` may ask for.
pub const MAX_LOG_RANGE: u64 = 10_000;

/// Why a request failed, as JSON-RPC reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeError {
    /// A transaction or call the chain refuses (`-32000`).
    Invalid(String),
    /// A parameter that is well-typed but wrong (`-32602`).
    Params(String),
    /// Execution reverted (`3`, with the revert data).
    Reverted(Bytes),
    /// Execution halted (out of gas, invalid opcode…) (`-32000`).
    Halted(String),
}

impl std::fmt::Display for NodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NodeError::Invalid(m) | NodeError::Params(m) | NodeError::Halted(m) => f.write_str(m),
            NodeError::Reverted(data) => write!(f, "execution reverted ({data})"),
        }
    }
}

impl From<Invalid> for NodeError {
    fn from(e: Invalid) -> Self {
        NodeError::Invalid(e.0)
    }
}

type Answer<T> = Result<T, NodeError>;

/// A polling filter (`eth_newFilter`, `eth_newBlockFilter`).
enum PollFilter {
    Logs {
        filter: Box<Filter>,
        next_block: u64,
    },
    Blocks {
        next_block: u64,
    },
}

/// A saved copy of the chain (`evm_snapshot`).
struct Snapshot {
    state: ChainDb,
    block: u64,
    time_offset: i64,
}

/// The node.
pub struct Node {
    /// The chain.
    pub chain: Chain,
    signers: Vec<PrivateKeySigner>,
    impersonated: HashSet<Address>,
    snapshots: HashMap<U256, Snapshot>,
    next_snapshot: U256,
    filters: HashMap<U256, PollFilter>,
    next_filter: U256,
    /// Seal a block after every transaction (else [`Node::mine`] seals on a timer).
    pub automine: bool,
}

/// The dev accounts: the Nitro dev node's key, then the test mnemonic's first ten.
pub fn dev_signers() -> Vec<PrivateKeySigner> {
    let mut signers = Vec::with_capacity(11);
    if let Ok(key) = NITRO_DEV_KEY.parse::<PrivateKeySigner>() {
        signers.push(key);
    }
    for index in 0..10 {
        if let Ok(signer) = MnemonicBuilder::<English>::default()
            .phrase(TEST_MNEMONIC)
            .index(index)
            .and_then(|b| b.build())
        {
            signers.push(signer);
        }
    }
    signers
}

/// What `--state` saves.
#[derive(Serialize, Deserialize)]
struct SavedNode {
    chain: Chain,
}

impl Node {
    /// A node on a fresh chain with every dev account funded.
    pub fn new(chain_id: u64, arbos_version: u64) -> Self {
        Self::with_genesis(chain_id, arbos_version, ChainDb::default())
    }

    /// A node whose genesis holds `state` (see [`Chain::with_genesis`]), dev accounts funded.
    pub fn with_genesis(chain_id: u64, arbos_version: u64, state: ChainDb) -> Self {
        let mut chain = Chain::with_genesis(chain_id, arbos_version, state);
        let signers = dev_signers();
        for signer in &signers {
            chain.set_balance(signer.address(), U256::from(DEV_BALANCE));
        }
        Self::with_chain(chain, signers)
    }

    fn with_chain(chain: Chain, signers: Vec<PrivateKeySigner>) -> Self {
        Node {
            chain,
            signers,
            impersonated: HashSet::new(),
            snapshots: HashMap::new(),
            next_snapshot: U256::from(1),
            filters: HashMap::new(),
            next_filter: U256::from(1),
            automine: true,
        }
    }

    /// A node from a state file written by [`Node::save`].
    pub fn load(path: &Path, chain_id: u64, arbos_version: u64) -> anyhow::Result<Self> {
        let text = std::fs::read(path)?;
        let saved: SavedNode = serde_json::from_slice(&text)
            .map_err(|e| anyhow::anyhow!("{}: not a keel node state file: {e}", path.display()))?;
        let mut chain = saved.chain;
        chain.set_arbos(std::sync::Arc::new(keel_chain::arbos::ArbOs::new(
            chain_id,
            arbos_version,
        )));
        Ok(Self::with_chain(chain, dev_signers()))
    }

    /// Writes the chain (state, blocks, receipts) to `path`, atomically.
    pub fn save(&self, path: &Path) -> anyhow::Result<()> {
        #[derive(Serialize)]
        struct Saving<'a> {
            chain: &'a Chain,
        }
        let bytes = serde_json::to_vec(&Saving { chain: &self.chain })?;
        let partial = path.with_extension("partial");
        std::fs::write(&partial, bytes)?;
        std::fs::rename(&partial, path)?;
        Ok(())
    }

    /// The dev accounts' addresses.
    pub fn accounts(&self) -> Vec<Address> {
        self.signers.iter().map(|s| s.address()).collect()
    }

    /// The dev accounts with their keys (printed at start).
    pub fn signers(&self) -> &[PrivateKeySigner] {
        &self.signers
    }

    // ---- blocks ---------------------------------------------------------------------------

    fn block_number(&self, tag: BlockNumberOrTag) -> Answer<u64> {
        let latest = self.chain.block_number();
        let number = match tag {
            BlockNumberOrTag::Earliest => 0,
            BlockNumberOrTag::Number(n) => n,
            _ => latest,
        };
        if number > latest {
            return Err(NodeError::Params(format!(
                "block {number} is beyond the latest block {latest}"
            )));
        }
        Ok(number)
    }

    /// The block a state query asks for: `None` for the latest state (the pending block's
    /// changes included, as `latest` and `pending` both read it), else an earlier block.
    fn state_at(&self, block: Option<BlockId>) -> Answer<Option<u64>> {
        let latest = self.chain.block_number();
        let number = match block {
            None => return Ok(None),
            Some(BlockId::Hash(h)) => self
                .chain
                .block_by_hash(h.block_hash)
                .map(|b| b.header.number)
                .ok_or_else(|| NodeError::Params(format!("unknown block {}", h.block_hash)))?,
            Some(BlockId::Number(tag)) => match tag {
                BlockNumberOrTag::Number(n) => n,
                BlockNumberOrTag::Earliest => 0,
                _ => return Ok(None),
            },
        };
        if number > latest {
            return Err(NodeError::Params(format!(
                "block {number} is beyond the latest block {latest}"
            )));
        }
        Ok((number < latest).then_some(number))
    }

    /// `eth_blockNumber`.
    pub fn latest_number(&self) -> u64 {
        self.chain.block_number()
    }

    /// `eth_getBlockByNumber`.
    pub fn block_by_number(&self, tag: BlockNumberOrTag, full: bool) -> Answer<Option<Block>> {
        let number = match self.block_number(tag) {
            Ok(n) => n,
            Err(NodeError::Params(_)) => return Ok(None),
            Err(e) => return Err(e),
        };
        Ok(self.chain.block(number).map(|b| rpc_block(b, full)))
    }

    /// `eth_getBlockByHash`.
    pub fn block_by_hash(&self, hash: B256, full: bool) -> Option<Block> {
        self.chain.block_by_hash(hash).map(|b| rpc_block(b, full))
    }

    /// `eth_getTransactionByHash`.
    pub fn transaction(&self, hash: B256) -> Option<Transaction> {
        let (block, index) = self.chain.transaction(hash)?;
        Some(rpc_transaction(block, index))
    }

    /// `eth_getTransactionReceipt`.
    pub fn receipt(&self, hash: B256) -> Option<TransactionReceipt> {
        let (block, index) = self.chain.transaction(hash)?;
        Some(rpc_receipt(block, index))
    }

    // ---- state ----------------------------------------------------------------------------

    /// `eth_getBalance`.
    pub fn balance(&self, address: Address, block: Option<BlockId>) -> Answer<U256> {
        Ok(self
            .account_at(address, block)?
            .map(|a| a.balance)
            .unwrap_or_default())
    }

    /// `eth_getTransactionCount` (pending counts the unsealed block).
    pub fn nonce(&self, address: Address, block: Option<BlockId>) -> Answer<u64> {
        Ok(self
            .account_at(address, block)?
            .map(|a| a.nonce)
            .unwrap_or_default())
    }

    /// `eth_getCode`.
    pub fn code(&self, address: Address, block: Option<BlockId>) -> Answer<Bytes> {
        Ok(self
            .account_at(address, block)?
            .and_then(|a| a.code)
            .map(|c| c.original_bytes())
            .unwrap_or_default())
    }

    /// `eth_getStorageAt`.
    pub fn storage(&self, address: Address, slot: U256, block: Option<BlockId>) -> Answer<B256> {
        Ok(match self.state_at(block)? {
            None => self.chain.storage(address, slot),
            Some(number) => self.chain.storage_at(address, slot, number),
        }
        .into())
    }

    fn account_at(
        &self,
        address: Address,
        block: Option<BlockId>,
    ) -> Answer<Option<revm::state::AccountInfo>> {
        Ok(match self.state_at(block)? {
            None => self.chain.account(address),
            Some(number) => self.chain.account_at(address, number),
        })
    }

    // ---- calls ----------------------------------------------------------------------------

    fn call_env(&self, request: &TransactionRequest, gas: u64) -> TxEnv {
        let from = request.from.unwrap_or_default();
        TxEnv {
            tx_type: 2,
            caller: from,
            gas_limit: gas,
            gas_price: u128::from(BASE_FEE),
            gas_priority_fee: Some(0),
            kind: request.to.unwrap_or_default(),
            value: request.value.unwrap_or_default(),
            data: request.input.input().cloned().unwrap_or_default(),
            nonce: self.chain.nonce(from),
            chain_id: Some(self.chain.chain_id()),
            access_list: request.access_list.clone().unwrap_or_default(),
            ..TxEnv::default()
        }
    }

    fn simulate(
        &mut self,
        request: &TransactionRequest,
        at: Option<u64>,
        gas: u64,
        overrides: Option<&StateOverride>,
    ) -> Answer<ExecutionResult> {
        let tx = self.call_env(request, gas);
        let applied = match (at, overrides) {
            (None, None) => self.chain.apply(tx, false),
            (at, overrides) => {
                let mut failure = None;
                let applied = self.chain.apply_with(at, tx, |db| {
                    if let Some(overrides) = overrides {
                        failure = apply_overrides(db, overrides).err();
                    }
                });
                if let Some(why) = failure {
                    return Err(NodeError::Params(why));
                }
                applied
            }
        }?;
        Ok(applied.result)
    }

    /// `eth_call`: the output, or the revert data as geth and Nitro report it.
    pub fn call(
        &mut self,
        request: &TransactionRequest,
        block: Option<BlockId>,
        overrides: Option<&StateOverride>,
    ) -> Answer<Bytes> {
        let at = self.state_at(block)?;
        let gas = request.gas.unwrap_or(RPC_GAS_CAP).min(RPC_GAS_CAP);
        match self.simulate(request, at, gas, overrides)? {
            ExecutionResult::Success { output, .. } => Ok(output.into_data()),
            ExecutionResult::Revert { output, .. } => Err(NodeError::Reverted(output)),
            ExecutionResult::Halt { reason, .. } => Err(NodeError::Halted(halt_message(&reason))),
        }
    }

    /// `eth_estimateGas`: the least gas limit with which the transaction succeeds, found by
    /// bisection as anvil does (not the gas it uses: refunds and the 63/64 rule need more).
    pub fn estimate_gas(
        &mut self,
        request: &TransactionRequest,
        block: Option<BlockId>,
        overrides: Option<&StateOverride>,
    ) -> Answer<u64> {
        let at = self.state_at(block)?;
        let cap = request.gas.unwrap_or(RPC_GAS_CAP).min(RPC_GAS_CAP);
        match self.simulate(request, at, cap, overrides)? {
            ExecutionResult::Success { .. } => {}
            ExecutionResult::Revert { output, .. } => return Err(NodeError::Reverted(output)),
            ExecutionResult::Halt { reason, .. } => {
                return Err(NodeError::Halted(halt_message(&reason)))
            }
        }
        let (mut low, mut high) = (20_999u64, cap);
        while high - low > 1 {
            let mid = low + (high - low) / 2;
            let ok = matches!(
                self.simulate(request, at, mid, overrides),
                Ok(ExecutionResult::Success { .. })
            );
            if ok {
                high = mid;
            } else {
                low = mid;
            }
        }
        Ok(high)
    }

    /// `eth_feeHistory`: the constant base fee and no priority fee.
    pub fn fee_history(
        &self,
        count: u64,
        newest: BlockNumberOrTag,
        percentiles: &[f64],
    ) -> Answer<FeeHistory> {
        let newest = self.block_number(newest)?;
        let count = count.min(1024).min(newest + 1);
        let oldest = newest + 1 - count;
        let ratios = (oldest..=newest)
            .map(|n| {
                self.chain.block(n).map_or(0.0, |b| {
                    b.header.gas_used as f64 / b.header.gas_limit as f64
                })
            })
            .collect();
        Ok(FeeHistory {
            base_fee_per_gas: vec![u128::from(BASE_FEE); count as usize + 1],
            gas_used_ratio: ratios,
            base_fee_per_blob_gas: Vec::new(),
            blob_gas_used_ratio: Vec::new(),
            oldest_block: oldest,
            reward: (!percentiles.is_empty())
                .then(|| vec![vec![0u128; percentiles.len()]; count as usize]),
        })
    }

    // ---- transactions ---------------------------------------------------------------------

    /// `eth_sendRawTransaction`.
    pub fn send_raw(&mut self, raw: &[u8]) -> Answer<B256> {
        let envelope = TxEnvelope::decode_2718(&mut &raw[..])
            .map_err(|e| NodeError::Params(format!("not a transaction: {e}")))?;
        let from = chain::recover(&envelope)?;
        self.submit(envelope, from)
    }

    /// `eth_sendTransaction` from a dev account or an impersonated one.
    pub fn send(&mut self, mut request: TransactionRequest) -> Answer<B256> {
        let from = request
            .from
            .ok_or_else(|| NodeError::Params("`from` is required".into()))?;
        let signer = self.signers.iter().find(|s| s.address() == from).cloned();
        if signer.is_none() && !self.impersonated.contains(&from) {
            return Err(NodeError::Invalid(format!(
                "{from} is not an unlocked dev account or an impersonated one"
            )));
        }
        if request.to.is_none() {
            request.to = Some(alloy_primitives::TxKind::Create);
        }
        request.nonce = Some(request.nonce.unwrap_or(self.chain.nonce(from)));
        request.chain_id = Some(self.chain.chain_id());
        if request.gas.is_none() {
            request.gas = Some(self.estimate_gas(&request, None, None)?);
        }
        if request.gas_price.is_none() && request.max_fee_per_gas.is_none() {
            request.max_fee_per_gas = Some(2 * u128::from(BASE_FEE));
            request.max_priority_fee_per_gas = Some(0);
        }
        let typed: TypedTransaction = request
            .build_typed_tx()
            .map_err(|_| NodeError::Params("incomplete transaction request".into()))?;
        let envelope = match signer {
            Some(signer) => {
                let signature = signer
                    .sign_hash_sync(&typed.signature_hash())
                    .map_err(|e| NodeError::Invalid(format!("signing failed: {e}")))?;
                TxEnvelope::from(typed.into_signed(signature))
            }
            // An impersonated sender has no key: a placeholder signature carrying the sender's
            // address gives the transaction its hash, distinct from any other sender's.
            None => TxEnvelope::from(typed.into_signed(Signature::new(
                U256::from_be_slice(from.as_slice()) + U256::from(1),
                U256::from(1),
                false,
            ))),
        };
        self.submit(envelope, from)
    }

    fn submit(&mut self, envelope: TxEnvelope, from: Address) -> Answer<B256> {
        let hash = self.chain.execute(envelope, from)?;
        if self.automine {
            self.chain.seal_block();
        }
        Ok(hash)
    }

    /// Seals the pending block (interval mining, `evm_mine`).
    pub fn mine(&mut self) -> u64 {
        self.chain.seal_block().header.number
    }

    // ---- dev methods ----------------------------------------------------------------------

    /// `evm_increaseTime`: moves the clock; returns the total offset in seconds.
    pub fn increase_time(&mut self, seconds: u64) -> i64 {
        self.chain.time_offset = self.chain.time_offset.saturating_add(seconds as i64);
        self.chain.time_offset
    }

    /// `evm_setNextBlockTimestamp`.
    pub fn set_next_timestamp(&mut self, timestamp: u64) -> Answer<()> {
        let latest = self.chain.latest().header.timestamp;
        if timestamp < latest {
            return Err(NodeError::Params(format!(
                "timestamp {timestamp} is before the latest block's {latest}"
            )));
        }
        self.chain.next_timestamp = Some(timestamp);
        Ok(())
    }

    /// `evm_snapshot`.
    pub fn snapshot(&mut self) -> U256 {
        let id = self.next_snapshot;
        self.next_snapshot += U256::from(1);
        self.snapshots.insert(
            id,
            Snapshot {
                state: self.chain.state(),
                block: self.chain.block_number(),
                time_offset: self.chain.time_offset,
            },
        );
        id
    }

    /// `evm_revert`: back to snapshot `id` (which, as in anvil, is then gone); false when
    /// there is no such snapshot.
    pub fn revert(&mut self, id: U256) -> bool {
        let Some(snapshot) = self.snapshots.remove(&id) else {
            return false;
        };
        self.snapshots.retain(|other, _| *other < id);
        self.chain.restore(snapshot.state, snapshot.block);
        self.chain.time_offset = snapshot.time_offset;
        true
    }

    /// `anvil_setBalance`.
    pub fn set_balance(&mut self, address: Address, balance: U256) {
        self.chain.set_balance(address, balance);
    }

    /// `anvil_setCode`.
    pub fn set_code(&mut self, address: Address, code: Bytes) {
        self.chain.set_code(address, code);
    }

    /// `anvil_setStorageAt`.
    pub fn set_storage(&mut self, address: Address, slot: U256, value: B256) {
        self.chain.set_storage(address, slot, value.into());
    }

    /// `anvil_setNonce`.
    pub fn set_nonce(&mut self, address: Address, nonce: u64) {
        self.chain.set_nonce(address, nonce);
    }

    /// `anvil_impersonateAccount` / `anvil_stopImpersonatingAccount`.
    pub fn impersonate(&mut self, address: Address, on: bool) {
        if on {
            self.impersonated.insert(address);
        } else {
            self.impersonated.remove(&address);
        }
    }

    // ---- logs and filters -----------------------------------------------------------------

    /// `eth_getLogs`.
    pub fn logs(&self, filter: &Filter) -> Answer<Vec<Log>> {
        let latest = self.chain.block_number();
        let (from, to) = match filter.get_block_hash() {
            Some(hash) => {
                let block = self
                    .chain
                    .block_by_hash(hash)
                    .ok_or_else(|| NodeError::Params(format!("unknown block {hash}")))?;
                (block.header.number, block.header.number)
            }
            None => {
                let from = filter.get_from_block().unwrap_or(latest).min(latest);
                let to = filter.get_to_block().unwrap_or(latest).min(latest);
                (from, to)
            }
        };
        if to >= from && to - from >= MAX_LOG_RANGE {
            return Err(NodeError::Invalid(format!(
                "query exceeds max block range {MAX_LOG_RANGE} (asked {from}..={to})"
            )));
        }
        Ok(self.logs_in(filter, from, to))
    }

    fn logs_in(&self, filter: &Filter, from: u64, to: u64) -> Vec<Log> {
        let mut found = Vec::new();
        for number in from..=to {
            let Some(block) = self.chain.block(number) else {
                break;
            };
            if !filter.matches_bloom(block.header.logs_bloom) {
                continue;
            }
            for log in block_logs(block) {
                if filter.matches_address(log.address()) && filter.matches_topics(log.topics()) {
                    found.push(log);
                }
            }
        }
        found
    }

    /// `eth_newFilter`.
    pub fn new_filter(&mut self, filter: Filter) -> U256 {
        let next_block = filter
            .get_from_block()
            .unwrap_or(self.chain.block_number() + 1);
        self.add_filter(PollFilter::Logs {
            filter: Box::new(filter),
            next_block,
        })
    }

    /// `eth_newBlockFilter`.
    pub fn new_block_filter(&mut self) -> U256 {
        let next_block = self.chain.block_number() + 1;
        self.add_filter(PollFilter::Blocks { next_block })
    }

    fn add_filter(&mut self, filter: PollFilter) -> U256 {
        let id = self.next_filter;
        self.next_filter += U256::from(1);
        self.filters.insert(id, filter);
        id
    }

    /// `eth_uninstallFilter`.
    pub fn uninstall_filter(&mut self, id: U256) -> bool {
        self.filters.remove(&id).is_some()
    }

    /// `eth_getFilterChanges`.
    pub fn filter_changes(&mut self, id: U256) -> Answer<FilterChanges> {
        let latest = self.chain.block_number();
        let Some(poll) = self.filters.get(&id) else {
            return Err(NodeError::Invalid(format!("filter {id} not found")));
        };
        let (changes, next) = match poll {
            PollFilter::Blocks { next_block } => {
                let hashes = (*next_block..=latest)
                    .filter_map(|n| self.chain.block(n).map(|b| b.hash))
                    .collect();
                (FilterChanges::Hashes(hashes), latest + 1)
            }
            PollFilter::Logs { filter, next_block } => {
                let to = filter.get_to_block().unwrap_or(latest).min(latest);
                let logs = if *next_block <= to {
                    self.logs_in(filter, *next_block, to)
                } else {
                    Vec::new()
                };
                (FilterChanges::Logs(logs), latest + 1)
            }
        };
        if let Some(PollFilter::Blocks { next_block } | PollFilter::Logs { next_block, .. }) =
            self.filters.get_mut(&id)
        {
            *next_block = next;
        }
        Ok(changes)
    }
}

fn halt_message(reason: &HaltReason) -> String {
    match reason {
        HaltReason::OutOfGas(_) => "out of gas".into(),
        other => format!("execution halted: {other:?}"),
    }
}

fn apply_overrides(db: &mut ChainDb, overrides: &StateOverride) -> Result<(), String> {
    for (address, account) in overrides.iter() {
        let mut info = db
            .cache
            .accounts
            .get(address)
            .and_then(|a| a.info())
            .unwrap_or_default();
        if let Some(balance) = account.balance {
            info.balance = balance;
        }
        if let Some(nonce) = account.nonce {
            info.nonce = nonce;
        }
        if let Some(code) = &account.code {
            let code = Bytecode::new_raw(code.clone());
            info.code_hash = code.hash_slow();
            info.code = Some(code);
        }
        db.insert_account_info(*address, info);
        if account.state.is_some() && account.state_diff.is_some() {
            return Err(format!("{address}: both `state` and `stateDiff` given"));
        }
        if let Some(state) = &account.state {
            let slots = state.iter().map(|(k, v)| ((*k).into(), (*v).into()));
            db.replace_account_storage(*address, slots.collect())
                .map_err(|e| e.to_string())?;
        }
        if let Some(diff) = &account.state_diff {
            for (k, v) in diff {
                db.insert_account_storage(*address, (*k).into(), (*v).into())
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(())
}

// ---- RPC shapes -----------------------------------------------------------------------------

fn rpc_transaction(block: &MinedBlock, index: usize) -> Transaction {
    let tx = &block.transactions[index];
    Transaction {
        inner: alloy_consensus::transaction::Recovered::new_unchecked(tx.envelope.clone(), tx.from),
        block_hash: Some(block.hash),
        block_number: Some(block.header.number),
        transaction_index: Some(index as u64),
        effective_gas_price: Some(tx.effective_gas_price),
        block_timestamp: Some(block.header.timestamp),
    }
}

fn block_logs(block: &MinedBlock) -> Vec<Log> {
    let mut logs = Vec::new();
    let mut log_index = 0u64;
    for (index, tx) in block.transactions.iter().enumerate() {
        for log in &tx.logs {
            logs.push(rpc_log(block, index, tx, log.clone(), log_index));
            log_index += 1;
        }
    }
    logs
}

fn rpc_log(
    block: &MinedBlock,
    index: usize,
    tx: &MinedTx,
    log: alloy_primitives::Log,
    log_index: u64,
) -> Log {
    Log {
        inner: log,
        block_hash: Some(block.hash),
        block_number: Some(block.header.number),
        block_timestamp: Some(block.header.timestamp),
        transaction_hash: Some(tx.hash),
        transaction_index: Some(index as u64),
        log_index: Some(log_index),
        removed: false,
    }
}

fn rpc_receipt(block: &MinedBlock, index: usize) -> TransactionReceipt {
    let tx = &block.transactions[index];
    let first_log: u64 = block.transactions[..index]
        .iter()
        .map(|t| t.logs.len() as u64)
        .sum();
    let logs: Vec<Log> = tx
        .logs
        .iter()
        .enumerate()
        .map(|(i, log)| rpc_log(block, index, tx, log.clone(), first_log + i as u64))
        .collect();
    let inner = envelope_with_logs(tx.receipt(), &mut logs.into_iter());
    TransactionReceipt {
        inner,
        transaction_hash: tx.hash,
        transaction_index: Some(index as u64),
        block_hash: Some(block.hash),
        block_number: Some(block.header.number),
        gas_used: tx.gas_used,
        effective_gas_price: tx.effective_gas_price,
        blob_gas_used: None,
        blob_gas_price: None,
        from: tx.from,
        to: tx.envelope.to(),
        contract_address: tx.contract_address,
    }
}

fn envelope_with_logs(
    receipt: alloy_consensus::ReceiptEnvelope<alloy_primitives::Log>,
    logs: &mut impl Iterator<Item = Log>,
) -> alloy_consensus::ReceiptEnvelope<Log> {
    receipt.map_logs(|_| logs.next().unwrap_or_default())
}

fn rpc_block(block: &MinedBlock, full: bool) -> Block {
    let transactions = if full {
        BlockTransactions::Full(
            (0..block.transactions.len())
                .map(|i| rpc_transaction(block, i))
                .collect(),
        )
    } else {
        BlockTransactions::Hashes(block.transactions.iter().map(|t| t.hash).collect())
    };
    let size: usize = 540
        + block
            .transactions
            .iter()
            .map(|t| chain::encoded_len(&t.envelope))
            .sum::<usize>();
    Block {
        header: RpcHeader {
            hash: block.hash,
            inner: block.header.clone(),
            total_difficulty: Some(U256::from(block.header.number + 1)),
            size: Some(U256::from(size)),
        },
        uncles: Vec::new(),
        transactions,
        withdrawals: None,
    }
}
