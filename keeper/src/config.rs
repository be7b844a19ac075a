//! The keeper's settings (`keeper/keeper.toml` documents each): which account bids, what a
//! bid must earn, how much it may spend, how it scans the chain and where it keeps its state.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use serde::Deserialize;

/// `keel keeper`'s configuration file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeeperConfig {
    /// The vault account bids are made from (owned or operated by the keeper's key); without
    /// one the keeper only starts auctions and housekeeps.
    #[serde(default)]
    pub bidder_account: Option<u64>,
    /// What a bid must earn beyond its gas, in USD (decimal string).
    #[serde(default = "default_min_profit")]
    pub min_profit_usd: String,
    /// The most one bid may pay, in USD.
    #[serde(default = "default_max_bid")]
    pub max_bid_usd: String,
    /// The most all bids of one run may pay together, in USD.
    #[serde(default = "default_max_session")]
    pub max_session_usd: String,
    /// How far above the simulated payment `maxPayment` is set (fraction, e.g. "0.01").
    #[serde(default = "default_slippage")]
    pub payment_slippage: String,
    /// The asset whose oracle price converts gas (ETH) into USD.
    #[serde(default = "default_gas_asset")]
    pub gas_asset: String,
    /// Milliseconds between rounds.
    #[serde(default = "default_poll")]
    pub poll_ms: u64,
    /// The first `eth_getLogs` range in blocks; halved on range errors, doubled back on success.
    #[serde(default = "default_log_chunk")]
    pub log_chunk: u64,
    /// Blocks re-scanned every round, so a reorg cannot hide an account.
    #[serde(default = "default_reorg_depth")]
    pub reorg_depth: u64,
    /// Seconds of chain time between rounds that margin every account, whatever moved (time
    /// alone moves option values, funding and staleness); other rounds margin the accounts
    /// the vault's logs touched, those whose prices or vol data moved, and those near or in
    /// trouble.
    #[serde(default = "default_full_scan")]
    pub full_scan_secs: u64,
    /// Realise an account's perpetual PnL into cash (`realise`) once its size exceeds this,
    /// in USD; never when absent.
    #[serde(default)]
    pub realise_above_usd: Option<String>,
    /// Accounts per Multicall3 batch.
    #[serde(default = "default_batch")]
    pub batch: usize,
    /// Where the cursor and the accounts are kept between runs (relative to the file).
    #[serde(default = "default_state")]
    pub state_file: PathBuf,
    /// While this file exists the keeper sends nothing (relative to the file).
    #[serde(default = "default_kill_switch")]
    pub kill_switch: PathBuf,
    /// Where Prometheus metrics are served (`host:port`); none when absent.
    #[serde(default)]
    pub metrics: Option<String>,
}

fn default_min_profit() -> String {
    "1".into()
}
fn default_max_bid() -> String {
    "1000000".into()
}
fn default_max_session() -> String {
    "10000000".into()
}
fn default_slippage() -> String {
    "0.01".into()
}
fn default_gas_asset() -> String {
    "WETH".into()
}
fn default_poll() -> u64 {
    1000
}
fn default_log_chunk() -> u64 {
    10_000
}
fn default_reorg_depth() -> u64 {
    12
}
fn default_full_scan() -> u64 {
    300
}
fn default_batch() -> usize {
    100
}
fn default_state() -> PathBuf {
    "keeper-state.json".into()
}
fn default_kill_switch() -> PathBuf {
    "keeper.stop".into()
}

impl Default for KeeperConfig {
    fn default() -> Self {
        toml::from_str("").expect("every field has a default")
    }
}

/// Limits and thresholds as raw wads, checked.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    pub min_profit: i128,
    pub max_bid: i128,
    pub max_session: i128,
    pub slippage: i128,
    pub realise_above: Option<i128>,
}

impl KeeperConfig {
    /// Reads `path`; relative paths in it are taken from its folder.
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading the keeper file {}", path.display()))?;
        let mut config: KeeperConfig =
            toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        let dir = path.parent().unwrap_or(Path::new("."));
        config.state_file = dir.join(&config.state_file);
        config.kill_switch = dir.join(&config.kill_switch);
        config.limits()?;
        Ok(config)
    }

    /// The limits as wads; an error names the field.
    pub fn limits(&self) -> Result<Limits> {
        let field = |name: &str, value: &str| -> Result<i128> {
            let wad = keel_deploy::config::wad(name, value)?;
            i128::try_from(wad).with_context(|| format!("{name}: too large"))
        };
        let limits = Limits {
            min_profit: field("min_profit_usd", &self.min_profit_usd)?,
            max_bid: field("max_bid_usd", &self.max_bid_usd)?,
            max_session: field("max_session_usd", &self.max_session_usd)?,
            slippage: field("payment_slippage", &self.payment_slippage)?,
            realise_above: self
                .realise_above_usd
                .as_deref()
                .map(|v| field("realise_above_usd", v))
                .transpose()?,
        };
        if limits.slippage > keel_risk::liquidation::WAD as i128 {
            bail!("payment_slippage: at most 1, not {}", self.payment_slippage);
        }
        if self.batch == 0 || self.log_chunk == 0 {
            bail!("batch and log_chunk: at least 1");
        }
        Ok(limits)
    }
}
