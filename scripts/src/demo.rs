//! `keel demo`: the whole system in one command. It starts `keel node` in-process (or uses
//! `--rpc-url`), deploys Keel with `deploy/local.toml`, opens an account per `examples/`
//! strategy plus a few over-levered ones and trades them through the RFQ market against a
//! market maker, prints each account's margin in the three modes — what portfolio margin
//! frees — then crashes ETH 40 % and depegs stETH to 0.935 through the feeds, runs the keeper
//! and reports what happened: auctions, bids, insurance paid, losses socialised, who survived.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use alloy::primitives::{Address, I256, U256};
use alloy::providers::Provider;
use anyhow::{anyhow, Context, Result};
use keel_deploy::bindings::{IMarginVault, TestFeed};
use keel_risk::fixed::Wad;
use serde::Serialize;

use crate::account_file::{AccountFile, ExpiryEntry};

pub mod picture;

use crate::deployment;
use crate::drive::{ExpiryPush, Session, TradeRequest};
use picture::{Heatmap, Moment};

/// `keel demo`'s arguments.
#[derive(Clone, Debug, clap::Args)]
pub struct DemoArgs {
    /// Run on this local chain (keel node or a Nitro dev node) instead of an in-process keel
    /// node; the demo mints test tokens and moves its feeds.
    #[arg(long, env = "KEEL_DEMO_RPC_URL")]
    pub rpc_url: Option<String>,
    /// The strategies to open (keel-account v1 files).
    #[arg(long, default_value = "examples")]
    pub examples: PathBuf,
    /// Where the built contracts are (default: target/wasm32-unknown-unknown/contract).
    #[arg(long, env = "KEEL_WASM_DIR", value_name = "DIR")]
    pub wasm_dir: Option<PathBuf>,
    /// Where the pictures go: keel-demo.png and the self-contained keel-demo.html.
    #[arg(long, default_value = "target/keel-demo", value_name = "DIR")]
    pub out: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// ETH before and after the crash, USD.
pub(crate) const ETH_BEFORE: i64 = 3_000;
const ETH_AFTER: i64 = 1_800;
/// wstETH per ETH by the rate feed (the deployment's), and stETH's market price after the
/// depeg.
pub(crate) const WSTETH_RATE: &str = "1.15";
const STETH_DEPEG: &str = "0.935";
pub(crate) const BTC: i64 = 90_000;

/// What the demo found.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DemoReport {
    pub chain_id: u64,
    pub deploy_transactions: usize,
    pub deploy_gas: u64,
    pub accounts: Vec<AccountReport>,
    pub eth_before: String,
    pub eth_after: String,
    pub steth_after: String,
    pub keeper_rounds: usize,
    pub auctions_started: usize,
    pub bids: usize,
    pub liquidated: usize,
    pub survived: usize,
    pub insurance_before: String,
    pub insurance_after: String,
    pub insurance_paid: String,
    pub losses_socialised: String,
    /// The PNG and the HTML report written.
    pub picture: String,
    pub html_report: String,
    pub seconds: f64,
}

/// One account's story.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AccountReport {
    pub name: String,
    pub id: String,
    pub positions: usize,
    /// Initial requirement in each mode before the crash, USD.
    pub isolated_requirement: String,
    pub cross_requirement: String,
    pub portfolio_requirement: String,
    /// What portfolio margin frees against isolated margin, USD.
    pub portfolio_frees: String,
    /// Portfolio mark-to-market and maintenance surplus before and after the crash.
    pub value_before: String,
    pub value_after_crash: String,
    pub maintenance_surplus_after_crash: String,
    pub auctioned: bool,
    pub bids: usize,
    pub positions_left: usize,
    pub value_at_end: String,
    pub outcome: String,
    pub why: String,
}

/// The demo's progress, a line at a time.
pub type Say<'a> = &'a mut dyn FnMut(&str);

/// Runs the demo.
pub fn run(args: &DemoArgs, say: Say<'_>) -> Result<DemoReport> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(demo(args, say))
}

/// Keel deployed on a chain with the examples' strategies and the levered longs opened, a
/// market maker, a keeper's account and a funded insurance fund: where the demo's crash and
/// the stress replays start.
pub(crate) struct Staged {
    /// The in-process node (none with `--rpc-url`).
    pub node: Option<keel_node::launch::Running>,
    pub rpc_url: String,
    pub config: keel_deploy::config::DeployConfig,
    pub record: keel_deploy::Record,
    /// The deployer's session (mints, feeds, expiry data).
    pub dev: Session,
    pub signers: Vec<alloy::signers::local::PrivateKeySigner>,
    /// Scratch folder (deployment record, keeper state).
    pub dir: PathBuf,
    pub vault: Address,
    /// Every expiry slice pushed, by underlying name.
    pub slices: Vec<(String, ExpiryEntry)>,
    /// The strategies' accounts, by name.
    pub accounts: Vec<(String, U256)>,
    /// Each account's owner (in the order of `accounts`).
    pub owners: Vec<alloy::signers::local::PrivateKeySigner>,
    pub keeper_id: U256,
    pub insurance_before: U256,
    pub deploy_transactions: usize,
    pub deploy_gas: u64,
}

impl Staged {
    /// The asset listed for underlying `name`.
    pub fn underlying_asset(&self, name: &str) -> Result<String> {
        self.config
            .underlyings
            .get(name)
            .map(|u| u.asset.clone())
            .ok_or_else(|| anyhow!("underlying {name}: not listed by deploy/local.toml"))
    }

    /// A keeper bidding from the keeper's account, its state in the scratch folder.
    pub async fn keeper(&self) -> Result<keel_keeper::Keeper> {
        let state = self.dir.join("keeper");
        let keeper_config: keel_keeper::KeeperConfig = toml::from_str(&format!(
            "bidder_account = {}\nmin_profit_usd = \"0.01\"\nstate_file = {:?}\nkill_switch = {:?}\n",
            self.keeper_id,
            state.join("state.json"),
            state.join("stop")
        ))?;
        let provider =
            keel_deploy::deploy::connect(&self.rpc_url, &self.signers[2], self.config.chain_id)
                .await?;
        let metrics = Arc::new(keel_keeper::metrics::Metrics::default());
        Ok(keel_keeper::Keeper::new(
            provider,
            self.signers[2].address(),
            &self.record,
            keeper_config,
            false,
            metrics,
        )?
        .quiet())
    }

    /// Stops the node and removes the scratch folder.
    pub fn finish(self) {
        if let Some(node) = self.node {
            let _ = node.handle.stop();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Starts (or connects to) the chain, deploys Keel and opens the strategies of `examples`.
pub(crate) async fn stage(
    rpc_url: Option<&str>,
    wasm_dir: Option<&Path>,
    examples: &Path,
    config_file: &Path,
    say: Say<'_>,
) -> Result<Staged> {
    let node = match rpc_url {
        Some(_) => None,
        None => Some(
            keel_node::launch::launch(keel_node::launch::NodeConfig {
                port: 0,
                ..keel_node::launch::NodeConfig::default()
            })
            .await?,
        ),
    };
    let rpc_url = match (rpc_url, &node) {
        (Some(url), _) => url.to_string(),
        (None, Some(node)) => format!("http://{}", node.addr),
        (None, None) => unreachable!("a node was started"),
    };
    say(&format!("chain: {rpc_url}"));

    // ---- deploy ------------------------------------------------------------------------------
    let root = crate::solidity::repo_root();
    let config = deployment::load_config(&root.join(config_file))?;
    let wasm_dir = match wasm_dir {
        Some(dir) => dir.to_path_buf(),
        None if crate::contracts::default_artifact_dir()
            .join("keel_vault.wasm")
            .is_file() =>
        {
            crate::contracts::default_artifact_dir()
        }
        None => {
            say("building the contracts (first run)…");
            crate::contracts::artifact_dir()?
        }
    };
    let artifacts = deployment::artifacts(&wasm_dir, true, true)?;
    let signers = keel_node::node::dev_signers();
    let dir = std::env::temp_dir().join(format!("keel-demo-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    say(&format!("deploying Keel ({})…", config_file.display()));
    let summary = deployment::deploy_local(&rpc_url, &config, &artifacts, &dir).await?;
    say(&format!(
        "deployed: {} transactions, {} gas",
        summary.sent, summary.gas_used
    ));
    let record = summary.record;
    let dev = Session::connect(&rpc_url, &dir, &signers[0]).await?;
    let vault_address = record.address("vault")?;
    let market = record.address("rfqMarket")?;
    let vault = IMarginVault::new(vault_address, dev.provider().clone());
    let underlying_asset = |name: &str| -> Result<String> {
        config
            .underlyings
            .get(name)
            .map(|u| u.asset.clone())
            .ok_or_else(|| anyhow!("underlying {name}: not listed by deploy/local.toml"))
    };

    // ---- market data at the examples' prices ------------------------------------------------
    let rate = Wad::parse_decimal(WSTETH_RATE).map_err(|e| anyhow!("{e:?}"))?;
    set_price(&dev, "WETH", Wad::from_int(ETH_BEFORE)).await?;
    set_price(&dev, "WBTC", Wad::from_int(BTC)).await?;
    set_price(&dev, "wstETH", Wad::from_int(ETH_BEFORE).mul(rate)?).await?;

    let mut examples = load_examples(examples)?;
    let now = latest_timestamp(&dev).await?;
    // The examples' expiries are dates; keep them at least a week ahead of the chain's clock.
    let earliest = examples
        .iter()
        .flat_map(|(_, f)| f.underlyings.values().flat_map(|u| u.expiries.iter()))
        .map(|e| e.expiry.0)
        .min()
        .unwrap_or(u64::MAX);
    let week = 7 * 86_400;
    let shift = if earliest < now + week {
        (now + week - earliest).div_ceil(86_400) * 86_400
    } else {
        0
    };
    if shift > 0 {
        say(&format!(
            "the examples' expiries move {} days later, to stay ahead of the chain's clock",
            shift / 86_400
        ));
    }
    for (_, file) in examples.iter_mut() {
        for u in file.underlyings.values_mut() {
            for e in &mut u.expiries {
                e.expiry.0 += shift;
            }
        }
        for p in &mut file.account.positions {
            if let Some(t) = &mut p.expiry {
                t.0 += shift;
            }
        }
    }
    let mut slices: Vec<(String, ExpiryEntry)> = Vec::new();
    for (_, file) in &examples {
        for (name, u) in &file.underlyings {
            for e in &u.expiries {
                if !slices
                    .iter()
                    .any(|(n, s)| n == name && s.expiry == e.expiry)
                {
                    slices.push((name.clone(), e.clone()));
                }
            }
        }
    }
    for (name, slice) in &slices {
        let push = expiry_push(&underlying_asset(name)?, slice, now, Wad::ONE, Wad::ONE)?;
        dev.push_expiry(&push).await?;
    }
    say(&format!(
        "oracle: ETH {ETH_BEFORE}, BTC {BTC}, wstETH at {WSTETH_RATE} ETH; {} expiry slices pushed",
        slices.len()
    ));

    // ---- the market maker, the keeper, the insurance fund -----------------------------------
    let maker_signer = signers[1].clone();
    let maker = Session::connect(&rpc_url, &dir, &maker_signer).await?;
    let maker_id = funded_account(&dev, &maker, &[("USDC", "50000000")], market).await?;
    let keeper = Session::connect(&rpc_url, &dir, &signers[2]).await?;
    let keeper_id = funded_account(&dev, &keeper, &[("USDC", "5000000")], market).await?;
    fund_insurance(&dev, "100000").await?;
    let insurance_before = vault.insuranceFund().call().await?;
    say(&format!(
        "market maker: account {maker_id}; keeper: account {keeper_id}; insurance fund 100,000 USDC"
    ));

    // ---- the strategies -----------------------------------------------------------------------
    let mut accounts: Vec<(String, U256)> = Vec::new();
    let mut account_owners = Vec::new();
    let mut owners = signers.iter().skip(3).cycle();
    for (name, file) in &examples {
        let owner = owners.next().ok_or_else(|| anyhow!("no dev key left"))?;
        let session = Session::connect(&rpc_url, &dir, owner).await?;
        let mut deposits: Vec<(String, String)> = Vec::new();
        let cash = file.account.cash.map_or(Wad::ZERO, |c| c.0);
        for (symbol, amount) in &file.account.collateral {
            let amount = if symbol == "USDC" {
                amount.0.add(cash)?
            } else {
                amount.0
            };
            deposits.push((symbol.clone(), amount.to_string()));
        }
        if cash > Wad::ZERO && !file.account.collateral.contains_key("USDC") {
            deposits.push(("USDC".into(), cash.to_string()));
        }
        let refs: Vec<(&str, &str)> = deposits
            .iter()
            .map(|(s, a)| (s.as_str(), a.as_str()))
            .collect();
        let id = funded_account(&dev, &session, &refs, market).await?;
        for p in &file.account.positions {
            let asset = underlying_asset(&p.underlying)?;
            let spot = file.underlyings[&p.underlying].spot.0;
            let price = match p.kind.as_str() {
                "perp" => p.entry_price.map_or(spot, |e| e.0),
                _ => {
                    let expiry = p.expiry.map(|t| t.0).unwrap_or_default();
                    let slice = slices
                        .iter()
                        .find(|(n, s)| n == &p.underlying && s.expiry.0 == expiry)
                        .map(|(_, s)| s)
                        .ok_or_else(|| anyhow!("{name}: no market data for its expiry"))?;
                    option_price(slice, p.strike.map_or(spot, |k| k.0), &p.kind, now)?
                }
            };
            let request = TradeRequest {
                kind: p.kind.clone(),
                underlying: asset,
                expiry: p.expiry.map(|t| t.0).unwrap_or_default(),
                strike: p.strike.map_or("0".into(), |k| k.0.to_string()),
                size: p.size.0.to_string(),
                price: price.to_string(),
                maker_account: maker_id,
                taker_account: id,
            };
            session
                .trade(&maker_signer, &request)
                .await
                .with_context(|| format!("{name}: {} {}", p.kind, p.size.0))?;
        }
        say(&format!(
            "{name}: account {id}, {} positions",
            file.account.positions.len()
        ));
        accounts.push((name.clone(), id));
        account_owners.push(owner.clone());
    }
    // Over-levered ETH longs, sized down until the vault accepts them at initial margin.
    for (name, usdc, eth) in [
        ("levered long 1", "20000", 40i128),
        ("levered long 2", "12000", 30),
        ("levered long 3", "8000", 20),
    ] {
        let owner = owners.next().ok_or_else(|| anyhow!("no dev key left"))?;
        let session = Session::connect(&rpc_url, &dir, owner).await?;
        let id = funded_account(&dev, &session, &[("USDC", usdc)], market).await?;
        let mut size = eth;
        loop {
            let request = TradeRequest {
                kind: "perp".into(),
                underlying: "WETH".into(),
                expiry: 0,
                strike: "0".into(),
                size: size.to_string(),
                price: ETH_BEFORE.to_string(),
                maker_account: maker_id,
                taker_account: id,
            };
            match session.trade(&maker_signer, &request).await {
                Ok(_) => break,
                Err(e) if size > 1 && format!("{e:#}").contains("BelowInitialMargin") => {
                    size = size * 3 / 4;
                }
                Err(e) => return Err(e.context(format!("{name}: {size} ETH perp"))),
            }
        }
        say(&format!(
            "{name}: account {id}, {size} ETH perp long on {usdc} USDC"
        ));
        accounts.push((name.to_string(), id));
        account_owners.push(owner.clone());
    }
    Ok(Staged {
        node,
        rpc_url,
        config,
        record,
        dev,
        signers,
        dir,
        vault: vault_address,
        slices,
        accounts,
        owners: account_owners,
        keeper_id,
        insurance_before,
        deploy_transactions: summary.sent,
        deploy_gas: summary.gas_used,
    })
}

async fn demo(args: &DemoArgs, say: Say<'_>) -> Result<DemoReport> {
    let started = Instant::now();
    let root = crate::solidity::repo_root();
    let staged = stage(
        args.rpc_url.as_deref(),
        args.wasm_dir.as_deref(),
        &args.examples,
        Path::new("deploy/local.toml"),
        say,
    )
    .await?;
    let mut report = DemoReport {
        chain_id: staged.config.chain_id,
        deploy_transactions: staged.deploy_transactions,
        deploy_gas: staged.deploy_gas,
        insurance_before: usd(staged.insurance_before),
        ..DemoReport::default()
    };
    let vault = IMarginVault::new(staged.vault, staged.dev.provider().clone());
    let (dev, record) = (&staged.dev, &staged.record);
    let (accounts, slices) = (staged.accounts.clone(), staged.slices.clone());
    let insurance_before = staged.insurance_before;
    let rate = Wad::parse_decimal(WSTETH_RATE).map_err(|e| anyhow!("{e:?}"))?;

    // ---- capital efficiency -------------------------------------------------------------------
    let mut rows = Vec::new();
    for (name, id) in &accounts {
        let all = vault.marginAllModes(*id).call().await?;
        let frees = all.isolated.initialRequirement - all.portfolio.initialRequirement;
        rows.push(AccountReport {
            name: name.clone(),
            id: id.to_string(),
            positions: vault.positions(*id).call().await?.len(),
            isolated_requirement: usd_signed(all.isolated.initialRequirement),
            cross_requirement: usd_signed(all.cross.initialRequirement),
            portfolio_requirement: usd_signed(all.portfolio.initialRequirement),
            portfolio_frees: usd_signed(frees),
            value_before: usd_signed(all.portfolio.markToMarket),
            ..AccountReport::default()
        });
    }
    say("");
    say(&efficiency_table(&rows));
    let mut heatmaps = Vec::new();
    for (name, id) in &accounts {
        let bytes = vault.snapshot(*id, 2).call().await?;
        heatmaps.push(heatmap(name, &bytes)?);
    }
    let mut timeline = vec![moment("opened", ETH_BEFORE as f64, &vault, &accounts).await?];

    // ---- the crash ----------------------------------------------------------------------------
    let depeg = Wad::parse_decimal(STETH_DEPEG).map_err(|e| anyhow!("{e:?}"))?;
    let eth_after = Wad::from_int(ETH_AFTER);
    set_price(dev, "WETH", eth_after).await?;
    set_price(dev, "wstETH", eth_after.mul(rate)?.mul(depeg)?).await?;
    set_feed(dev, record, "wstETH", "marketFeed", rate.mul(depeg)?).await?;
    let now = latest_timestamp(dev).await?;
    let drop = Wad::from_int(ETH_AFTER).div(Wad::from_int(ETH_BEFORE))?;
    let vol_up = Wad::parse_decimal("1.3").map_err(|e| anyhow!("{e:?}"))?;
    for (name, slice) in &slices {
        if name == "ETH" {
            let push = expiry_push(&staged.underlying_asset(name)?, slice, now, drop, vol_up)?;
            dev.push_expiry(&push).await?;
        }
    }
    report.eth_before = ETH_BEFORE.to_string();
    report.eth_after = ETH_AFTER.to_string();
    report.steth_after = STETH_DEPEG.to_string();
    say(&format!(
        "\ncrash: ETH {ETH_BEFORE} → {ETH_AFTER} (−40 %), stETH depegs to {STETH_DEPEG} ETH, ETH vols ×1.3"
    ));
    timeline.push(moment("crash", ETH_AFTER as f64, &vault, &accounts).await?);
    for (row, (_, id)) in rows.iter_mut().zip(&accounts) {
        let m = vault.margin(*id).call().await?;
        row.value_after_crash = usd_signed(m.markToMarket);
        row.maintenance_surplus_after_crash = usd_signed(m.maintenanceMargin);
        row.auctioned = m.maintenanceMargin < I256::ZERO;
    }

    // ---- the keeper ---------------------------------------------------------------------------
    let mut bot = staged.keeper().await?;
    let mut bids_by_account: std::collections::BTreeMap<U256, usize> = Default::default();
    for round in 0..6 {
        let r = bot.round().await?;
        report.keeper_rounds += 1;
        report.auctions_started += r.auctions_started.len();
        report.bids += r.bids.len();
        for b in &r.bids {
            *bids_by_account.entry(b.account).or_default() += 1;
        }
        say(&format!(
            "keeper round {}: {}",
            round + 1,
            crate::keeper::line(&r)
        ));
        let label = format!("keeper {}", round + 1);
        timeline.push(moment(&label, ETH_AFTER as f64, &vault, &accounts).await?);
        // Let the auctions' discounts grow, with the feeds kept fresh.
        let _: serde_json::Value = dev
            .provider()
            .raw_request("evm_increaseTime".into(), (300,))
            .await
            .context("evm_increaseTime: --rpc-url must be a dev node (keel node, anvil)")?;
        set_price(dev, "WETH", eth_after).await?;
        set_price(dev, "wstETH", eth_after.mul(rate)?.mul(depeg)?).await?;
        set_price(dev, "USDC", Wad::ONE).await?;
        set_price(dev, "WBTC", Wad::from_int(BTC)).await?;
        if r.below_maintenance.is_empty() && r.auctions_ended.is_empty() && round > 0 {
            break;
        }
    }

    // ---- the outcome --------------------------------------------------------------------------
    for (row, (_, id)) in rows.iter_mut().zip(&accounts) {
        let m = vault.margin(*id).call().await?;
        row.bids = bids_by_account.get(id).copied().unwrap_or(0);
        row.positions_left = vault.positions(*id).call().await?.len();
        row.value_at_end = usd_signed(m.markToMarket);
        let (outcome, why) = if !row.auctioned {
            (
                "survived",
                "its portfolio margin held through the crash: hedges offset, or its surplus covered the loss",
            )
        } else if row.positions_left == 0 {
            (
                "liquidated",
                "below maintenance margin after the crash; the keeper bought all of it",
            )
        } else {
            (
                "liquidated",
                "below maintenance margin after the crash; the keeper bought part of it, back above the buffer",
            )
        };
        row.outcome = outcome.into();
        row.why = why.into();
    }
    report.liquidated = rows.iter().filter(|r| r.auctioned).count();
    report.survived = rows.len() - report.liquidated;
    let insurance_after = vault.insuranceFund().call().await?;
    report.insurance_after = usd(insurance_after);
    report.insurance_paid = usd(insurance_before.saturating_sub(insurance_after));
    report.losses_socialised = usd(vault.socialisedLoss().call().await?.total);
    report.accounts = rows;
    report.seconds = started.elapsed().as_secs_f64();
    let out = if args.out.is_absolute() {
        args.out.clone()
    } else {
        root.join(&args.out)
    };
    let (png, html) = picture::write(&out, &report, &heatmaps, &timeline)?;
    report.picture = png.display().to_string();
    report.html_report = html.display().to_string();
    staged.finish();
    Ok(report)
}

/// Account `name`'s portfolio scenario P&L on its worst underlying, from the vault's own
/// snapshot of it (portfolio mode), evaluated with keel-risk.
fn heatmap(name: &str, snapshot: &[u8]) -> Result<Heatmap> {
    use keel_risk::model::snapshot;
    let e = |x: keel_risk::RiskError| anyhow!("{name}: {x:?}");
    let s = snapshot::decode(snapshot).map_err(|x| anyhow!("{name}: snapshot: {x:?}"))?;
    let (account, _) = s.account.to_portfolio_with_map(&s.market).map_err(e)?;
    let margin =
        keel_risk::model::portfolio::portfolio_margin(&account, &s.params.portfolio).map_err(e)?;
    let (index, worst) = margin
        .breakdown
        .underlyings
        .iter()
        .enumerate()
        .min_by_key(|(_, u)| u.worst_loss.raw())
        .ok_or_else(|| anyhow!("{name}: no underlying"))?;
    let pnl: Vec<f64> = worst
        .scenario_pnl
        .iter()
        .map(|p| picture::wad(p.raw()))
        .collect();
    Ok(Heatmap::new(
        name,
        index,
        &s.params.portfolio.scenarios,
        &pnl,
    ))
}

/// Every account's value (portfolio mode) and the insurance fund now.
async fn moment(
    label: &str,
    eth: f64,
    vault: &IMarginVault::IMarginVaultInstance<alloy::providers::DynProvider>,
    accounts: &[(String, U256)],
) -> Result<Moment> {
    let mut values = Vec::with_capacity(accounts.len());
    for (_, id) in accounts {
        let m = vault.margin(*id).call().await?;
        values.push(picture::wad(i128::try_from(m.markToMarket).unwrap_or(0)));
    }
    let insurance = vault.insuranceFund().call().await?;
    Ok(Moment {
        label: label.to_string(),
        eth,
        insurance: picture::wad(i128::try_from(insurance).unwrap_or(0)),
        values,
    })
}

/// The capital-efficiency table.
pub fn efficiency_table(rows: &[AccountReport]) -> String {
    let mut out = format!(
        "{:<28} {:>5} {:>16} {:>16} {:>16} {:>16}\n",
        "account (initial requirement, USD)",
        "",
        "isolated",
        "cross",
        "portfolio",
        "portfolio frees"
    );
    for r in rows {
        out += &format!(
            "{:<28} {:>5} {:>16} {:>16} {:>16} {:>16}\n",
            r.name,
            r.id,
            r.isolated_requirement,
            r.cross_requirement,
            r.portfolio_requirement,
            r.portfolio_frees
        );
    }
    out
}

/// The closing table: what the crash did to each account.
pub fn outcome_table(report: &DemoReport) -> String {
    let mut out = format!(
        "{:<28} {:>16} {:>16} {:>9} {:>5} {:>16}  outcome\n",
        "account", "value before", "MM surplus after", "auctioned", "bids", "value at end"
    );
    for r in &report.accounts {
        out += &format!(
            "{:<28} {:>16} {:>16} {:>9} {:>5} {:>16}  {}: {}\n",
            r.name,
            r.value_before,
            r.maintenance_surplus_after_crash,
            if r.auctioned { "yes" } else { "no" },
            r.bids,
            r.value_at_end,
            r.outcome,
            r.why
        );
    }
    out += &format!(
        "\n{} accounts: {} survived, {} liquidated; {} auctions started, {} bids in {} keeper rounds.\nInsurance fund {} → {} USD ({} paid); losses socialised {} USD. {:.1} s.\nPictures: {} and {}.\n",
        report.accounts.len(),
        report.survived,
        report.liquidated,
        report.auctions_started,
        report.bids,
        report.keeper_rounds,
        report.insurance_before,
        report.insurance_after,
        report.insurance_paid,
        report.losses_socialised,
        report.seconds,
        report.picture,
        report.html_report
    );
    out
}

fn load_examples(dir: &Path) -> Result<Vec<(String, AccountFile)>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("--examples {}", dir.display()))?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|path| {
            let text = std::fs::read_to_string(&path)?;
            let file =
                AccountFile::from_toml(&text).with_context(|| format!("{}", path.display()))?;
            let name = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok((name, file))
        })
        .collect()
}

/// Mints `deposits` to the session's owner (as the deployer), opens a portfolio account,
/// deposits them and lets the market trade it.
async fn funded_account(
    dev: &Session,
    session: &Session,
    deposits: &[(&str, &str)],
    market: Address,
) -> Result<U256> {
    let (id, _) = session.open(2).await?;
    for (symbol, amount) in deposits {
        mint(dev, symbol, session.address(), amount).await?;
        session.deposit(id, symbol, amount).await?;
    }
    session.set_operator(id, market, true).await?;
    Ok(id)
}

async fn mint(dev: &Session, symbol: &str, to: Address, amount: &str) -> Result<()> {
    let token = dev.token(symbol)?;
    let decimals = keel_deploy::bindings::TestToken::new(token, dev.provider().clone())
        .decimals()
        .call()
        .await?;
    let units = units(amount, decimals)?;
    dev.call(
        format!("mint {amount} {symbol}"),
        token,
        keel_deploy::bindings::TestToken::mintCall { to, amount: units },
    )
    .await?;
    Ok(())
}

fn units(amount: &str, decimals: u8) -> Result<U256> {
    let wad = keel_deploy::config::wad("amount", amount)?;
    Ok(if decimals <= 18 {
        wad / U256::from(10u64).pow(U256::from(18 - decimals))
    } else {
        wad * U256::from(10u64).pow(U256::from(decimals - 18))
    })
}

async fn fund_insurance(dev: &Session, amount: &str) -> Result<()> {
    let vault = dev.record().address("vault")?;
    mint(dev, "USDC", dev.address(), amount).await?;
    let token = dev.token("USDC")?;
    let units = units(amount, 6)?;
    dev.call(
        "approve the vault".into(),
        token,
        keel_deploy::bindings::TestToken::approveCall {
            spender: vault,
            amount: units,
        },
    )
    .await?;
    dev.call(
        format!("fund the insurance fund with {amount} USDC"),
        vault,
        IMarginVault::fundInsuranceCall { amount: units },
    )
    .await?;
    Ok(())
}

pub(crate) async fn latest_timestamp(dev: &Session) -> Result<u64> {
    Ok(dev
        .provider()
        .get_block(alloy::eips::BlockNumberOrTag::Latest.into())
        .await?
        .map_or(0, |b| b.header.timestamp))
}

/// Sets `symbol`'s USD feed (8 decimals) to `price`, as of the chain's latest block.
pub(crate) async fn set_price(dev: &Session, symbol: &str, price: Wad) -> Result<()> {
    set_feed(dev, dev.record(), symbol, "feed", price).await
}

pub(crate) async fn set_feed(
    dev: &Session,
    record: &keel_deploy::Record,
    symbol: &str,
    which: &str,
    value: Wad,
) -> Result<()> {
    let asset = record
        .assets
        .get(symbol)
        .ok_or_else(|| anyhow!("{symbol}: not a local asset"))?;
    let feed = match which {
        "feed" => asset.feed,
        "rateFeed" => asset.rate_feed,
        _ => asset.market_feed,
    }
    .ok_or_else(|| anyhow!("{symbol}: no local {which}"))?;
    let decimals = TestFeed::new(feed, dev.provider().clone())
        .decimals()
        .call()
        .await?;
    let answer = value.raw() / 10i128.pow(18 - u32::from(decimals.min(18)));
    let now = latest_timestamp(dev).await?;
    dev.call(
        format!("{symbol} {which} → {value}"),
        feed,
        TestFeed::setRoundCall {
            answer: I256::try_from(answer)?,
            startedAt: U256::from(now),
            updatedAt: U256::from(now),
        },
    )
    .await?;
    Ok(())
}

/// One slice's expiry data, its forward scaled by `forward_scale` and its vol by `vol_scale`;
/// a flat vol becomes a flat SVI slice (total variance `vol²·τ`).
pub(crate) fn expiry_push(
    asset: &str,
    slice: &ExpiryEntry,
    now: u64,
    forward_scale: Wad,
    vol_scale: Wad,
) -> Result<ExpiryPush> {
    let forward = slice.forward.0.mul(forward_scale)?;
    let tau = keel_risk::math::annualise(slice.expiry.0.saturating_sub(now));
    let variance_scale = vol_scale.mul(vol_scale)?;
    let svi = match (&slice.svi, &slice.vol) {
        (Some(s), _) => [
            s.a.0.mul(variance_scale)?,
            s.b.0.mul(variance_scale)?,
            s.rho.0,
            s.m.0,
            s.sigma.0,
        ],
        (None, Some(vol)) => {
            let v = vol.0.mul(vol_scale)?;
            [
                v.mul(v)?.mul(tau)?,
                Wad::ZERO,
                Wad::ZERO,
                Wad::ZERO,
                Wad::parse_decimal("0.1").map_err(|e| anyhow!("{e:?}"))?,
            ]
        }
        (None, None) => return Err(anyhow!("an expiry without vol or svi")),
    };
    Ok(ExpiryPush {
        underlying: asset.to_string(),
        expiry: slice.expiry.0,
        forward: forward.to_string(),
        rate: slice.rate.map_or(Wad::ZERO, |r| r.0).to_string(),
        svi: svi.map(|w| w.to_string()),
        confidence: "1".into(),
    })
}

/// Black-76 premium of a call or put on `slice` at `strike`, with keel-risk.
fn option_price(slice: &ExpiryEntry, strike: Wad, kind: &str, now: u64) -> Result<Wad> {
    use keel_risk::math::{black76, exp, sqrt, svi_vol, SviParams, SVI_MAX_TOTAL_VARIANCE};
    let e = |x: keel_risk::RiskError| anyhow!("pricing: {x:?}");
    let tau = keel_risk::math::annualise(slice.expiry.0.saturating_sub(now));
    let vol = match (&slice.svi, &slice.vol) {
        (Some(s), _) => svi_vol(
            &SviParams {
                a: s.a.0,
                b: s.b.0,
                rho: s.rho.0,
                m: s.m.0,
                sigma: s.sigma.0,
                forward: slice.forward.0,
                tau,
            },
            strike,
            SVI_MAX_TOTAL_VARIANCE,
        )
        .map_err(e)?,
        (None, Some(v)) => v.0,
        (None, None) => return Err(anyhow!("an expiry without vol or svi")),
    };
    let rate = slice.rate.map_or(Wad::ZERO, |r| r.0);
    let discount = exp(Wad::ZERO.sub(rate.mul(tau).map_err(e)?).map_err(e)?).map_err(e)?;
    let prices = black76(
        slice.forward.0,
        strike,
        sqrt(tau).map_err(e)?,
        vol,
        discount,
    )
    .map_err(e)?;
    Ok(if kind == "call" {
        prices.call
    } else {
        prices.put
    })
}

fn usd(x: U256) -> String {
    keel_deploy::errors::usd(I256::try_from(x).unwrap_or(I256::MAX))
}

fn usd_signed(x: I256) -> String {
    keel_deploy::errors::usd(x)
}
