//! What the keeper remembers between runs: how far it has scanned and the accounts it
//! follows. Written whole (to a temporary file, then renamed) after every round, so a restart
//! resumes where the last round ended.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use alloy::primitives::U256;
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// The persisted state.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeeperState {
    /// The vault this state belongs to (a state of another vault is not reused).
    pub vault: String,
    /// The last block whose logs were scanned.
    pub scanned_to: u64,
    /// Every account id seen opened.
    pub accounts: BTreeSet<U256>,
    /// Accounts the keeper has put in margin call (below initial, at or above maintenance
    /// margin) and not yet cleared.
    #[serde(default)]
    pub margin_called: BTreeSet<U256>,
}

/// The state on disk.
pub struct Store {
    path: PathBuf,
}

impl Store {
    /// A store at `path`.
    pub fn new(path: &Path) -> Self {
        Store {
            path: path.to_path_buf(),
        }
    }

    /// The saved state for `vault`, or a fresh one from `deploy_block`.
    pub fn load(&self, vault: &str, deploy_block: u64) -> Result<KeeperState> {
        let fresh = KeeperState {
            vault: vault.to_string(),
            scanned_to: deploy_block.saturating_sub(1),
            accounts: BTreeSet::new(),
            margin_called: BTreeSet::new(),
        };
        let Ok(text) = std::fs::read_to_string(&self.path) else {
            return Ok(fresh);
        };
        let state: KeeperState = serde_json::from_str(&text)
            .with_context(|| format!("{}: not a keeper state file", self.path.display()))?;
        Ok(if state.vault == vault { state } else { fresh })
    }

    /// Saves `state` atomically.
    pub fn save(&self, state: &KeeperState) -> Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let partial = self.path.with_extension("json.partial");
        std::fs::write(&partial, serde_json::to_string_pretty(state)?)?;
        std::fs::rename(&partial, &self.path)
            .with_context(|| format!("saving {}", self.path.display()))
    }
}
