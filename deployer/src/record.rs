//! The deployment record, `deployments/<chainId>.json`: where everything is. Written after
//! every step, so an interrupted run resumes from it; read by every command that drives Keel.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use alloy::primitives::{Address, B256};
use anyhow::{Context, Result};
use serde::{Deserialize, Serialize};

/// One deployed contract.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deployed {
    /// Its address.
    pub address: Address,
    /// keccak256 of its code as deployed.
    pub code_hash: B256,
    /// The transaction that deployed it.
    pub transaction_hash: B256,
}

/// An asset's token and price feed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalAsset {
    /// The ERC-20.
    pub token: Option<Address>,
    /// Its USD price feed.
    pub feed: Option<Address>,
    /// A local depeg guard rate feed.
    #[serde(default, rename = "rateFeed", skip_serializing_if = "Option::is_none")]
    pub rate_feed: Option<Address>,
    /// A local depeg guard market feed.
    #[serde(
        default,
        rename = "marketFeed",
        skip_serializing_if = "Option::is_none"
    )]
    pub market_feed: Option<Address>,
}

/// The record.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Record {
    /// The chain.
    pub chain_id: u64,
    /// The block of the first deployment transaction.
    pub deploy_block: u64,
    /// The account that deployed.
    pub deployer: Address,
    /// Keel's programs by role: `vault`, `marginModule`, `tradingModule`, `liquidationModule`,
    /// `portfolioEngine`, `crossEngine`, `oracleAdapter`, `depegGuard`.
    pub contracts: BTreeMap<String, Deployed>,
    /// Each asset's token and feed, by symbol (deployed here on a local chain).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub assets: BTreeMap<String, LocalAsset>,
    /// On a local deployment: the sequencer uptime feed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequencer_feed: Option<Address>,
}

impl Record {
    /// Where the record of `chain_id` lives under `dir`.
    pub fn path(dir: &Path, chain_id: u64) -> PathBuf {
        dir.join(format!("{chain_id}.json"))
    }

    /// The record at `path`, or a fresh one for `chain_id` when there is none.
    pub fn load_or_new(path: &Path, chain_id: u64, deployer: Address) -> Result<Self> {
        if !path.exists() {
            return Ok(Record {
                chain_id,
                deployer,
                ..Record::default()
            });
        }
        let record = Self::load(path)?;
        if record.chain_id != chain_id {
            anyhow::bail!(
                "{}: records chain {}, not {chain_id}",
                path.display(),
                record.chain_id
            );
        }
        Ok(record)
    }

    /// Reads the record at `path`.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the deployment record {}", path.display()))?;
        serde_json::from_str(&text)
            .with_context(|| format!("{}: not a Keel deployment record", path.display()))
    }

    /// Writes the record atomically.
    pub fn save(&self, path: &Path) -> Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let partial = path.with_extension("json.partial");
        std::fs::write(&partial, serde_json::to_string_pretty(self)? + "\n")?;
        std::fs::rename(&partial, path)?;
        Ok(())
    }

    /// The address of contract `role`.
    pub fn address(&self, role: &str) -> Result<Address> {
        self.contracts.get(role).map(|d| d.address).ok_or_else(|| {
            anyhow::anyhow!("the deployment record has no {role}: run `keel deploy`")
        })
    }
}
