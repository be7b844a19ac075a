//! Earlier states: what each block changed, kept as the values it overwrote.
//!
//! The chain holds one state, the latest. Each block (and the unsealed pending one) keeps the
//! account fields and storage slots its transactions and dev edits overwrote, as they were
//! before it; the state at block `n` is the latest state with the blocks after `n` undone,
//! newest first. A point query (a balance, a slot) walks the logs without copying anything;
//! a call at an earlier block undoes them on a copy.

use std::collections::BTreeMap;

use alloy_primitives::{Address, U256};
use revm::state::{AccountInfo, EvmState};
use serde::{Deserialize, Serialize};

use crate::executor::{ChainDb, StateAccess};

/// What one block overwrote.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct StateUndo {
    accounts: BTreeMap<Address, AccountUndo>,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct AccountUndo {
    /// Balance, nonce and code before the block (`Some(None)`: the account did not exist).
    info: Option<Option<AccountInfo>>,
    /// Slots before the block.
    storage: BTreeMap<U256, U256>,
}

impl StateUndo {
    /// Remembers `address`'s balance, nonce and code in `db` unless already remembered.
    pub fn note_account(&mut self, db: &ChainDb, address: Address) {
        let entry = self.accounts.entry(address).or_default();
        if entry.info.is_none() {
            entry.info = Some(db.account(address));
        }
    }

    /// Remembers `address`'s `slot` in `db` unless already remembered.
    pub fn note_slot(&mut self, db: &ChainDb, address: Address, slot: U256) {
        let entry = self.accounts.entry(address).or_default();
        entry
            .storage
            .entry(slot)
            .or_insert_with(|| db.storage(address, slot));
    }

    /// Remembers everything `changes` (a transaction's, about to be committed) overwrites.
    pub fn note_changes(&mut self, db: &ChainDb, changes: &EvmState) {
        for (address, account) in changes {
            if !account.is_touched() {
                continue;
            }
            self.note_account(db, *address);
            for (slot, value) in &account.storage {
                if value.is_changed() {
                    self.note_slot(db, *address, *slot);
                }
            }
        }
    }

    /// Puts back in `db` what the block overwrote.
    pub fn undo(&self, db: &mut ChainDb) {
        for (address, account) in &self.accounts {
            if let Some(info) = &account.info {
                db.put_account(*address, info.clone().unwrap_or_default());
            }
            for (slot, value) in &account.storage {
                db.set_storage(*address, *slot, *value);
            }
        }
    }

    /// `address`'s balance, nonce and code before the block, if the block changed them.
    pub fn account(&self, address: Address) -> Option<Option<AccountInfo>> {
        self.accounts.get(&address)?.info.clone()
    }

    /// `address`'s `slot` before the block, if the block changed it.
    pub fn slot(&self, address: Address, slot: U256) -> Option<U256> {
        self.accounts.get(&address)?.storage.get(&slot).copied()
    }
}
