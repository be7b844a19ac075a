//! The chain: revm's state, ArbOS, and the blocks of executed transactions with their
//! receipts. Transactions arrive signed (or from an impersonated sender), are checked and
//! executed against the state, and are sealed into blocks; nothing an invalid transaction
//! touched is kept.

use std::collections::HashMap;
use std::sync::Arc;

use alloy_consensus::transaction::SignerRecoverable;
use alloy_consensus::Typed2718;
use alloy_consensus::{
    proofs, Eip658Value, Header, Receipt, ReceiptEnvelope, ReceiptWithBloom, Transaction,
    TxEnvelope, TxReceipt, TxType,
};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bloom, Bytes, Log, TxKind, B256, U256};
use revm::context::result::ResultAndState;
use revm::context::result::{ExecutionResult, Output};
use revm::context::{BlockEnv, TxEnv};
use revm::database::{CacheDB, EmptyDB};
use revm::state::AccountInfo;
use revm::{DatabaseCommit, ExecuteEvm};
use serde::{Deserialize, Serialize};

use crate::arbos::ArbOs;
use crate::executor::{self, ChainDb, StateAccess, StylusTx};
use crate::history::StateUndo;

/// Arbitrum's per-block gas limit as a local chain reports it.
pub const BLOCK_GAS_LIMIT: u64 = 1_125_899_906_842_624;
/// The L2 base fee: Nitro's dev-node minimum (0.1 gwei). Arbitrum keeps it at the minimum
/// without congestion and ignores priority fees.
pub const BASE_FEE: u64 = 100_000_000;
/// The block's coinbase on Arbitrum (the sequencer's address).
pub const COINBASE: Address =
    alloy_primitives::address!("A4B000000000000000000073657175656e636572");

/// A transaction in a block, with its sender and outcome.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MinedTx {
    /// The transaction as sent (impersonated ones carry a placeholder signature).
    pub envelope: TxEnvelope,
    /// Its sender.
    pub from: Address,
    /// Its hash.
    pub hash: B256,
    /// Whether it succeeded.
    pub success: bool,
    /// Gas it was charged.
    pub gas_used: u64,
    /// Gas used by it and every earlier transaction of the block.
    pub cumulative_gas_used: u64,
    /// Price per gas it paid (the base fee).
    pub effective_gas_price: u128,
    /// The contract it created.
    pub contract_address: Option<Address>,
    /// Its logs.
    pub logs: Vec<Log>,
    /// Revert data or output.
    pub output: Bytes,
}

impl MinedTx {
    /// The consensus receipt.
    pub fn receipt(&self) -> ReceiptEnvelope<Log> {
        let receipt = Receipt {
            status: Eip658Value::Eip658(self.success),
            cumulative_gas_used: self.cumulative_gas_used,
            logs: self.logs.clone(),
        };
        let with_bloom = ReceiptWithBloom::new(receipt.clone(), receipt.bloom_slow());
        match self.envelope.tx_type() {
            TxType::Legacy => ReceiptEnvelope::Legacy(with_bloom),
            TxType::Eip2930 => ReceiptEnvelope::Eip2930(with_bloom),
            TxType::Eip4844 => ReceiptEnvelope::Eip4844(with_bloom),
            TxType::Eip7702 => ReceiptEnvelope::Eip7702(with_bloom),
            TxType::Eip1559 => ReceiptEnvelope::Eip1559(with_bloom),
        }
    }
}

/// A sealed block.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct MinedBlock {
    /// Its header.
    pub header: Header,
    /// The header's hash.
    pub hash: B256,
    /// Its transactions, in order.
    pub transactions: Vec<MinedTx>,
}

/// Why a transaction was refused (nothing it would have touched changed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Invalid(pub String);

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Invalid {}

/// A transaction's outcome with the Stylus accounting of its frames.
pub struct Applied {
    /// revm's result: success (gas, logs, output), revert or halt.
    pub result: ExecutionResult,
    /// The Stylus frames' gas tally and console lines.
    pub stylus: StylusTx,
}

/// The chain: state, ArbOS, blocks and the environment of the next block.
#[derive(Serialize, Deserialize)]
pub struct Chain {
    db: ChainDb,
    /// ArbOS settings and compiled programs.
    #[serde(skip, default = "default_arbos")]
    pub arbos: Arc<ArbOs>,
    /// Every sealed block, genesis first.
    pub blocks: Vec<MinedBlock>,
    /// Where each transaction is: (block number, index).
    tx_index: HashMap<B256, (u64, usize)>,
    /// Transactions executed since the last block was sealed.
    pending: Vec<MinedTx>,
    /// What each sealed block overwrote, by block number (see [`crate::history`]).
    #[serde(default)]
    history: Vec<StateUndo>,
    /// What the pending transactions and dev edits since the last block overwrote.
    #[serde(default)]
    pending_undo: StateUndo,
    /// Seconds added to the wall clock (`evm_increaseTime`).
    pub time_offset: i64,
    /// The next block's timestamp, once (`evm_setNextBlockTimestamp`).
    pub next_timestamp: Option<u64>,
}

fn default_arbos() -> Arc<ArbOs> {
    Arc::new(ArbOs::new(
        crate::DEFAULT_CHAIN_ID,
        crate::DEFAULT_ARBOS_VERSION,
    ))
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

impl Chain {
    /// A chain with id `chain_id` running `arbos_version`, holding only its genesis block.
    pub fn new(chain_id: u64, arbos_version: u64) -> Self {
        Self::with_genesis(chain_id, arbos_version, CacheDB::new(EmptyDB::default()))
    }

    /// A chain whose genesis block holds `state` (accounts, code, storage, ArbOS's program
    /// table — e.g. a [`crate::TestChain`]'s) and the predeploys.
    pub fn with_genesis(chain_id: u64, arbos_version: u64, state: ChainDb) -> Self {
        let mut chain = Chain {
            db: state,
            arbos: Arc::new(ArbOs::new(chain_id, arbos_version)),
            blocks: Vec::new(),
            tx_index: HashMap::new(),
            pending: Vec::new(),
            history: Vec::new(),
            pending_undo: StateUndo::default(),
            time_offset: 0,
            next_timestamp: None,
        };
        for predeploy in [
            crate::predeploys::STYLUS_DEPLOYER,
            crate::predeploys::MULTICALL3,
        ] {
            chain.set_code(
                predeploy,
                Bytes::from_static(&crate::predeploys::MARKER_CODE),
            );
            chain.set_nonce(predeploy, 1);
        }
        chain.seal_block();
        chain
    }

    /// Replaces the ArbOS settings (after loading a saved chain).
    pub fn set_arbos(&mut self, arbos: Arc<ArbOs>) {
        self.arbos = arbos;
    }

    /// The chain id.
    pub fn chain_id(&self) -> u64 {
        self.arbos.chain_id
    }

    /// The latest sealed block.
    pub fn latest(&self) -> &MinedBlock {
        &self.blocks[self.blocks.len() - 1]
    }

    /// The number of the latest sealed block.
    pub fn block_number(&self) -> u64 {
        self.latest().header.number
    }

    /// The environment the next block's transactions run in.
    pub fn next_block_env(&self) -> BlockEnv {
        let parent = self.blocks.last();
        let number = parent.map_or(0, |b| b.header.number + 1);
        let parent_time = parent.map_or(0, |b| b.header.timestamp);
        let clock = (now() as i64).saturating_add(self.time_offset).max(0) as u64;
        let timestamp = self.next_timestamp.unwrap_or(clock).max(parent_time);
        BlockEnv {
            number: U256::from(number),
            timestamp: U256::from(timestamp),
            gas_limit: BLOCK_GAS_LIMIT,
            basefee: BASE_FEE,
            beneficiary: COINBASE,
            ..BlockEnv::default()
        }
    }

    // ---- state ----------------------------------------------------------------------------

    /// The account's balance, nonce and code, if it exists.
    pub fn account(&self, address: Address) -> Option<AccountInfo> {
        self.db.account(address)
    }

    /// The account's balance.
    pub fn balance(&self, address: Address) -> U256 {
        self.db.balance(address)
    }

    /// The account's nonce.
    pub fn nonce(&self, address: Address) -> u64 {
        self.db.nonce(address)
    }

    /// The account's code.
    pub fn code(&self, address: Address) -> Bytes {
        self.db.code(address)
    }

    /// A storage slot.
    pub fn storage(&self, address: Address, slot: U256) -> U256 {
        self.db.storage(address, slot)
    }

    /// Sets an account's ETH balance.
    pub fn set_balance(&mut self, address: Address, balance: U256) {
        self.pending_undo.note_account(&self.db, address);
        self.db.set_balance(address, balance);
    }

    /// Sets an account's nonce.
    pub fn set_nonce(&mut self, address: Address, nonce: u64) {
        self.pending_undo.note_account(&self.db, address);
        self.db.set_nonce(address, nonce);
    }

    /// Replaces an account's code.
    pub fn set_code(&mut self, address: Address, code: Bytes) {
        self.pending_undo.note_account(&self.db, address);
        self.db.set_code(address, code);
    }

    /// Sets a storage slot.
    pub fn set_storage(&mut self, address: Address, slot: U256, value: U256) {
        self.pending_undo.note_slot(&self.db, address, slot);
        self.db.set_storage(address, slot, value);
    }

    /// A copy of the state (`evm_snapshot`).
    pub fn state(&self) -> ChainDb {
        self.db.clone()
    }

    /// Puts back a copy of the state and forgets blocks after `block` (`evm_revert`).
    pub fn restore(&mut self, db: ChainDb, block: u64) {
        self.db = db;
        self.pending.clear();
        self.pending_undo = StateUndo::default();
        self.blocks.truncate(block as usize + 1);
        self.history.truncate(block as usize + 1);
        self.tx_index.retain(|_, (b, _)| *b <= block);
    }

    // ---- execution ------------------------------------------------------------------------

    /// Runs `tx` on the current state in the next block's environment; commits its changes
    /// when `commit` (else the state is left as it was, without being copied). An `Err` is the transaction's invalidity (nonce, funds, gas), which
    /// changes nothing.
    pub fn apply(&mut self, tx: TxEnv, commit: bool) -> Result<Applied, Invalid> {
        let block = self.next_block_env();
        let db = std::mem::take(&mut self.db);
        let undo = commit.then_some(&mut self.pending_undo);
        let (db, outcome) = run(db, self.arbos.clone(), block, tx, undo);
        self.db = db;
        outcome
    }

    /// Runs `tx` against a copy of the state at block `at` (the latest when `None`, pending
    /// changes included) changed by `edit` (state overrides), in that block's environment
    /// (the next block's for the latest); nothing is kept.
    pub fn apply_with(
        &self,
        at: Option<u64>,
        tx: TxEnv,
        edit: impl FnOnce(&mut ChainDb),
    ) -> Result<Applied, Invalid> {
        let (mut db, block) = match at.filter(|n| *n < self.block_number()) {
            None => (self.db.clone(), self.next_block_env()),
            Some(number) => {
                let header = &self.blocks[number as usize].header;
                let env = BlockEnv {
                    number: U256::from(header.number),
                    timestamp: U256::from(header.timestamp),
                    ..self.next_block_env()
                };
                (self.state_at(number), env)
            }
        };
        edit(&mut db);
        run(db, self.arbos.clone(), block, tx, None).1
    }

    /// The undo logs that lead from the latest state back to block `number`, newest first.
    fn undo_to(&self, number: u64) -> impl Iterator<Item = &StateUndo> {
        let after = (number as usize + 1).min(self.history.len());
        std::iter::once(&self.pending_undo).chain(self.history[after..].iter().rev())
    }

    /// A copy of the state as block `number` left it.
    pub fn state_at(&self, number: u64) -> ChainDb {
        let mut db = self.db.clone();
        for undo in self.undo_to(number) {
            undo.undo(&mut db);
        }
        db
    }

    /// The account as block `number` left it.
    pub fn account_at(&self, address: Address, number: u64) -> Option<AccountInfo> {
        let mut found = self.db.account(address);
        for undo in self.undo_to(number) {
            if let Some(before) = undo.account(address) {
                found = before;
            }
        }
        found
    }

    /// A storage slot as block `number` left it.
    pub fn storage_at(&self, address: Address, slot: U256, number: u64) -> U256 {
        let mut found = self.db.storage(address, slot);
        for undo in self.undo_to(number) {
            if let Some(before) = undo.slot(address, slot) {
                found = before;
            }
        }
        found
    }

    /// Executes a transaction from `from` and adds it to the pending block.
    pub fn execute(&mut self, envelope: TxEnvelope, from: Address) -> Result<B256, Invalid> {
        let hash = *envelope.hash();
        if self.tx_index.contains_key(&hash) || self.pending.iter().any(|t| t.hash == hash) {
            return Err(Invalid(format!("transaction {hash} is already known")));
        }
        if let Some(id) = envelope.chain_id() {
            if id != self.chain_id() {
                return Err(Invalid(format!(
                    "wrong chain id {id}: this chain is {}",
                    self.chain_id()
                )));
            }
        }
        let tx = tx_env(&envelope, from, self.chain_id());
        let applied = self.apply(tx, true)?;
        let cumulative = self.pending.last().map_or(0, |t| t.cumulative_gas_used);
        let gas_used = applied.result.tx_gas_used();
        let (success, logs, output, contract_address) = match applied.result {
            ExecutionResult::Success { logs, output, .. } => match output {
                Output::Create(out, address) => (true, logs, out, address),
                Output::Call(out) => (true, logs, out, None),
            },
            ExecutionResult::Revert { output, .. } => (false, Vec::new(), output, None),
            ExecutionResult::Halt { .. } => (false, Vec::new(), Bytes::new(), None),
        };
        self.pending.push(MinedTx {
            envelope,
            from,
            hash,
            success,
            gas_used,
            cumulative_gas_used: cumulative + gas_used,
            effective_gas_price: u128::from(BASE_FEE),
            contract_address,
            logs,
            output,
        });
        Ok(hash)
    }

    /// Seals the pending transactions into a new block.
    pub fn seal_block(&mut self) -> &MinedBlock {
        let env = self.next_block_env();
        self.next_timestamp = None;
        let transactions = std::mem::take(&mut self.pending);
        let undo = std::mem::take(&mut self.pending_undo);
        let receipts: Vec<_> = transactions.iter().map(MinedTx::receipt).collect();
        let envelopes: Vec<_> = transactions.iter().map(|t| t.envelope.clone()).collect();
        let logs_bloom = receipts
            .iter()
            .fold(Bloom::ZERO, |bloom, r| bloom | r.bloom());
        let number: u64 = env.number.saturating_to();
        let parent_hash = self.blocks.last().map_or(B256::ZERO, |b| b.hash);
        let header = Header {
            parent_hash,
            ommers_hash: alloy_consensus::constants::EMPTY_OMMER_ROOT_HASH,
            beneficiary: COINBASE,
            state_root: B256::ZERO,
            transactions_root: proofs::calculate_transaction_root(&envelopes),
            receipts_root: proofs::calculate_receipt_root(&receipts),
            logs_bloom,
            difficulty: U256::from(1),
            number,
            gas_limit: BLOCK_GAS_LIMIT,
            gas_used: transactions.last().map_or(0, |t| t.cumulative_gas_used),
            timestamp: env.timestamp.saturating_to(),
            // Arbitrum's mixHash carries the L1 block number (bytes 8..16) and the ArbOS
            // version (bytes 16..24); locally the L1 block number is the L2 one.
            mix_hash: arbitrum_mix_hash(number, self.arbos.arbos_version),
            base_fee_per_gas: Some(BASE_FEE),
            extra_data: Bytes::new(),
            ..Header::default()
        };
        let hash = header.hash_slow();
        for (index, tx) in transactions.iter().enumerate() {
            self.tx_index.insert(tx.hash, (number, index));
        }
        self.blocks.push(MinedBlock {
            header,
            hash,
            transactions,
        });
        // A chain saved before undo logs were kept has none for its older blocks: their
        // states are then the earliest one known.
        self.history
            .resize_with(self.blocks.len() - 1, StateUndo::default);
        self.history.push(undo);
        self.latest()
    }

    /// Drops the pending transactions and their effects.
    pub fn revert_pending(&mut self) {
        std::mem::take(&mut self.pending_undo).undo(&mut self.db);
        self.pending.clear();
    }

    /// Whether transactions wait to be sealed.
    pub fn has_pending(&self) -> bool {
        !self.pending.is_empty()
    }

    /// A block by number.
    pub fn block(&self, number: u64) -> Option<&MinedBlock> {
        self.blocks.get(usize::try_from(number).ok()?)
    }

    /// A block by hash.
    pub fn block_by_hash(&self, hash: B256) -> Option<&MinedBlock> {
        self.blocks.iter().rev().find(|b| b.hash == hash)
    }

    /// A mined transaction by hash, with its block.
    pub fn transaction(&self, hash: B256) -> Option<(&MinedBlock, usize)> {
        let (number, index) = *self.tx_index.get(&hash)?;
        Some((self.block(number)?, index))
    }
}

/// Arbitrum's mixHash layout: send count, L1 block number, ArbOS version.
fn arbitrum_mix_hash(l1_block: u64, arbos_version: u64) -> B256 {
    let mut word = [0u8; 32];
    word[8..16].copy_from_slice(&l1_block.to_be_bytes());
    word[16..24].copy_from_slice(&arbos_version.to_be_bytes());
    B256::from(word)
}

/// Runs `tx` on `db` in `block`; with an undo log, commits its changes after noting there what
/// they overwrite, else keeps nothing.
fn run(
    db: ChainDb,
    arbos: Arc<ArbOs>,
    block: BlockEnv,
    tx: TxEnv,
    undo: Option<&mut StateUndo>,
) -> (ChainDb, Result<Applied, Invalid>) {
    let mut ctx = executor::context(db, arbos);
    ctx.block = block;
    if undo.is_none() {
        // Calls and estimates run without funds, base fee or nonce checks, as geth's do.
        ctx.cfg.disable_balance_check = true;
        ctx.cfg.disable_base_fee = true;
        ctx.cfg.disable_nonce_check = true;
    }
    let mut evm = executor::evm(ctx);
    let outcome = evm.transact(tx);
    let stylus = std::mem::take(&mut *evm.ctx.chain.tx.lock().unwrap_or_else(|p| p.into_inner()));
    let mut db = std::mem::take(&mut evm.ctx.journaled_state.database);
    let outcome = outcome
        .map(|ResultAndState { result, state }| {
            if let Some(undo) = undo {
                undo.note_changes(&db, &state);
                db.commit(state);
            }
            Applied { result, stylus }
        })
        .map_err(|e| Invalid(e.to_string()));
    (db, outcome)
}

/// revm's transaction for a consensus one from `from`: Arbitrum charges the base fee only, so
/// the priority fee is dropped and a legacy gas price above the base fee is paid at the base fee.
pub fn tx_env(envelope: &TxEnvelope, from: Address, chain_id: u64) -> TxEnv {
    let base_fee = u128::from(BASE_FEE);
    let gas_price = match envelope.gas_price() {
        Some(price) if price >= base_fee => base_fee,
        Some(price) => price,
        None => envelope.max_fee_per_gas(),
    };
    TxEnv {
        tx_type: envelope.ty(),
        caller: from,
        gas_limit: envelope.gas_limit(),
        gas_price,
        kind: envelope.kind(),
        value: envelope.value(),
        data: envelope.input().clone(),
        nonce: envelope.nonce(),
        chain_id: Some(envelope.chain_id().unwrap_or(chain_id)),
        access_list: envelope.access_list().cloned().unwrap_or_default(),
        gas_priority_fee: envelope.is_dynamic_fee().then_some(0),
        ..TxEnv::default()
    }
}

/// The sender of a signed transaction.
pub fn recover(envelope: &TxEnvelope) -> Result<Address, Invalid> {
    envelope
        .recover_signer()
        .map_err(|e| Invalid(format!("bad signature: {e}")))
}

/// The kind of a transaction request's destination.
pub fn kind(to: Option<Address>) -> TxKind {
    to.map_or(TxKind::Create, TxKind::Call)
}

/// The encoded size of a transaction (for block sizes).
pub fn encoded_len(envelope: &TxEnvelope) -> usize {
    envelope.encode_2718_len()
}
