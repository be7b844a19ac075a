//! The chain's state and how a transaction is applied to it: revm's database, the ArbOS
//! settings and the block being built.

use std::sync::Arc;

use alloy_primitives::{Address, U256};
use revm::context::result::ExecutionResult;
use revm::context::{BlockEnv, TxEnv};
use revm::database::{CacheDB, EmptyDB};
use revm::state::AccountInfo;
use revm::{ExecuteCommitEvm, ExecuteEvm};

use crate::arbos::ArbOs;
use crate::executor::{self, ChainDb, StylusTx};

/// The chain: state, ArbOS and the next block's environment.
pub struct Chain {
    db: ChainDb,
    /// ArbOS settings and compiled programs.
    pub arbos: Arc<ArbOs>,
    /// The environment the next transactions execute in.
    pub block: BlockEnv,
}

/// A transaction's outcome with the Stylus accounting of its frames.
pub struct Applied {
    /// revm's result: success (gas, logs, output), revert or halt.
    pub result: ExecutionResult,
    /// The Stylus frames' gas tally and console lines.
    pub stylus: StylusTx,
}

impl Chain {
    /// An empty chain with id `chain_id` running `arbos_version`.
    pub fn new(chain_id: u64, arbos_version: u64) -> Self {
        let block = BlockEnv {
            number: U256::from(1),
            timestamp: U256::from(1_700_000_000u64),
            gas_limit: 1 << 50,
            basefee: 100_000_000,
            beneficiary: alloy_primitives::address!("A4B000000000000000000073657175656e636572"),
            ..BlockEnv::default()
        };
        Chain {
            db: CacheDB::new(EmptyDB::default()),
            arbos: Arc::new(ArbOs::new(chain_id, arbos_version)),
            block,
        }
    }

    /// The account's balance, nonce and code, if it exists.
    pub fn account(&self, address: Address) -> Option<AccountInfo> {
        self.db.cache.accounts.get(&address).and_then(|a| a.info())
    }

    /// Sets an account's ETH balance.
    pub fn set_balance(&mut self, address: Address, balance: U256) {
        let mut info = self.account(address).unwrap_or_default();
        info.balance = balance;
        self.db.insert_account_info(address, info);
    }

    /// A storage slot.
    pub fn storage(&self, address: Address, slot: U256) -> U256 {
        self.db
            .cache
            .accounts
            .get(&address)
            .and_then(|a| a.storage.get(&slot).copied())
            .unwrap_or_default()
    }

    /// Executes `tx` in the current block; commits its changes when `commit`. Errors are the
    /// transaction's invalidity (nonce, funds, gas), which changes nothing.
    pub fn apply(&mut self, tx: TxEnv, commit: bool) -> Result<Applied, String> {
        let db = std::mem::take(&mut self.db);
        let mut ctx = executor::context(db, self.arbos.clone());
        ctx.block = self.block.clone();
        let mut evm = executor::evm(ctx);
        let outcome = if commit {
            evm.transact_commit(tx)
        } else {
            evm.transact(tx).map(|r| r.result)
        };
        let stylus =
            std::mem::take(&mut *evm.ctx.chain.tx.lock().unwrap_or_else(|p| p.into_inner()));
        self.db = std::mem::take(&mut evm.ctx.journaled_state.database);
        outcome
            .map(|result| Applied { result, stylus })
            .map_err(|e| e.to_string())
    }
}
