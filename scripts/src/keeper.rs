//! `keel keeper`: the liquidation keeper ([`keel_keeper`]) on a deployment — rounds every
//! `poll_ms`, a line per round (or its JSON report), metrics when configured.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use alloy::signers::local::PrivateKeySigner;
use anyhow::Result;
use keel_deploy::Record;
use keel_keeper::{Keeper, KeeperConfig, RoundReport};

/// `keel keeper`'s own arguments (the chain's are shared with the other commands).
#[derive(Clone, Debug, clap::Args)]
pub struct KeeperArgs {
    /// The keeper's settings (documented in keeper/keeper.toml).
    #[arg(long, env = "KEEL_KEEPER_CONFIG", default_value = "keeper/keeper.toml")]
    pub config: PathBuf,
    /// Read, decide and log, but send nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Run this many rounds, then stop (default: until interrupted).
    #[arg(long)]
    pub rounds: Option<u64>,
}

/// Runs the keeper with `signer` against the deployment recorded in `deployments` for the
/// chain at `rpc_url`; `report` gets each round's report.
pub fn run(
    args: &KeeperArgs,
    rpc_url: &str,
    deployments: &std::path::Path,
    key: &crate::deployment::KeyArgs,
    mut report: impl FnMut(&RoundReport),
) -> Result<()> {
    let config = KeeperConfig::load(&args.config)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let probe: alloy::providers::DynProvider = {
            use alloy::providers::{Provider, ProviderBuilder};
            let url = rpc_url
                .parse()
                .map_err(|_| anyhow::anyhow!("--rpc-url: `{rpc_url}` is not a URL"))?;
            ProviderBuilder::new().connect_http(url).erased()
        };
        let chain_id = patiently("eth_chainId", || async {
            Ok(alloy::providers::Provider::get_chain_id(&probe).await?)
        })
        .await?;
        let signer: PrivateKeySigner = key.signer(crate::deployment::is_local(chain_id))?;
        let record = Record::load(&Record::path(deployments, chain_id))?;
        let me = signer.address();
        let provider = patiently("connecting", || {
            keel_deploy::deploy::connect(rpc_url, &signer, chain_id)
        })
        .await?;
        let metrics = Arc::new(keel_keeper::metrics::Metrics::default());
        if let Some(address) = &config.metrics {
            let bound = keel_keeper::metrics::serve(metrics.clone(), address).await?;
            keel_keeper::keeper::log("metrics", &[("address", format!("http://{bound}/metrics"))]);
        }
        let poll = Duration::from_millis(config.poll_ms);
        let mut keeper = Keeper::new(provider, me, &record, config, args.dry_run, metrics)?;
        let mut done = 0;
        loop {
            // A failed round (the node unreachable past the retries) is logged and the next
            // one tried: the keeper keeps running.
            match keeper.round().await {
                Ok(round) => report(&round),
                Err(e) => keel_keeper::keeper::log("round_failed", &[("error", format!("{e:#}"))]),
            }
            done += 1;
            if args.rounds.is_some_and(|n| done >= n) {
                return Ok(());
            }
            tokio::time::sleep(poll).await;
        }
    })
}

/// `f`, tried up to five times: start-up rides out a flaky endpoint as the rounds do.
async fn patiently<T, F, Fut>(what: &str, f: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T>>,
{
    let log = |e: &anyhow::Error, _| {
        keel_keeper::keeper::log(
            "rpc_retry",
            &[("method", what.to_string()), ("error", format!("{e:#}"))],
        )
    };
    keel_keeper::retry::retry(what, 5, log, f).await
}

/// A round in one line.
pub fn line(r: &RoundReport) -> String {
    format!(
        "block {}: {} accounts ({} margined{}), {} below maintenance; {} auctions started, {} bids, {} auctions ended, {} options settled, {} sent{}",
        r.block,
        r.accounts,
        r.evaluated,
        if r.full { ", all" } else { "" },
        r.below_maintenance.len(),
        r.auctions_started.len(),
        r.bids.len(),
        r.auctions_ended.len(),
        r.options_settled.len(),
        r.sent,
        if r.skipped.is_empty() {
            String::new()
        } else {
            format!("; skipped: {}", r.skipped.join("; "))
        }
    )
}
