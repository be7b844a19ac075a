//! `keel stress`: market paths replayed hour by hour against the examples' strategies (and
//! the demo's levered longs), each account first brought down to its initial margin, with
//! the keeper running after every hour: ETH's largest one-day falls (2020-03-12 and
//! 2021-05-19, Binance ETH/USDT hourly closes in `scripts/stress/`, sources in
//! `scripts/stress/SOURCES.md`), stETH at 0.935 ETH (June 2022), a four-hour sequencer
//! outage in the middle of the 2021 fall, and a vol spike.
//!
//! Per scenario it reports the accounts liquidated, the bad debt (what the insurance fund
//! paid and what was socialised) and every account that met initial margin but was
//! insolvent (negative mark-to-market) before a keeper could act on it.

use std::path::{Path, PathBuf};

use alloy::primitives::{I256, U256};
use alloy::providers::Provider;
use anyhow::{anyhow, Context, Result};
use keel_deploy::bindings::{IMarginVault, TestFeed};
use keel_risk::fixed::Wad;
use serde::Serialize;

use crate::demo::{self, Say, Staged, BTC, ETH_BEFORE, WSTETH_RATE};
use crate::drive::Session;

/// `keel stress`' arguments.
#[derive(Clone, Debug, clap::Args)]
pub struct StressArgs {
    /// Only the scenario whose name contains this.
    #[arg(long)]
    pub only: Option<String>,
    /// The strategies to open (keel-account v1 files).
    #[arg(long, default_value = "examples")]
    pub examples: PathBuf,
    /// Where the built contracts are (default: target/wasm32-unknown-unknown/contract).
    #[arg(long, env = "KEEL_WASM_DIR", value_name = "DIR")]
    pub wasm_dir: Option<PathBuf>,
    /// The deployment file Keel is deployed from (a local one): try other parameters here.
    #[arg(long, env = "KEEL_DEPLOY_CONFIG", default_value = "deploy/local.toml")]
    pub config: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// One hour of a path.
#[derive(Clone, Copy, Debug)]
struct Hour {
    /// ETH against its price at the start.
    eth: Wad,
    /// The multiplier of every ETH implied vol.
    vol: Wad,
    /// stETH's market price in ETH.
    steth: Wad,
    /// Whether the sequencer is up.
    sequencer_up: bool,
}

/// A named path and where it comes from.
struct Scenario {
    name: &'static str,
    source: &'static str,
    hours: Vec<Hour>,
}

/// What one scenario did.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ScenarioReport {
    pub name: String,
    pub source: String,
    pub hours: usize,
    /// ETH's lowest price on the path, USD.
    pub eth_low: String,
    pub accounts: usize,
    /// Accounts auctioned, by name.
    pub liquidated: Vec<String>,
    /// Accounts that met initial margin and were insolvent before the keeper could act.
    pub insolvent_before_keeper: Vec<String>,
    pub insurance_used: String,
    pub socialised: String,
    /// Insurance used plus losses socialised, USD.
    pub bad_debt: String,
    pub keeper_rounds: usize,
    pub bids: usize,
    /// Hour by hour.
    pub path: Vec<HourReport>,
    /// When each account of `insolvent_before_keeper` was first seen insolvent.
    pub insolvencies: Vec<Insolvency>,
}

/// An account seen with a negative value before the keeper had auctioned it.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Insolvency {
    pub account: String,
    /// The hour of the path (1 = the first).
    pub hour: usize,
    /// ETH then, USD.
    pub eth: String,
    /// Its mark-to-market value then, USD.
    pub mark_to_market: String,
}

/// One hour of a replay.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct HourReport {
    pub eth: String,
    pub sequencer_up: bool,
    /// Accounts below maintenance margin when the keeper's first round of the hour read them.
    pub below_maintenance: usize,
    pub auctions_started: usize,
    pub bids: usize,
}

fn wad(text: &str) -> Result<Wad> {
    Wad::parse_decimal(text).map_err(|e| anyhow!("{text}: {e:?}"))
}

/// Hourly closes from a `unix_time,utc,close_usd` file, as ratios to `base` (the price at
/// the path's start).
fn closes(file: &Path, base: &str) -> Result<Vec<Wad>> {
    let text =
        std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
    let base = wad(base)?;
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|line| {
            let close = line
                .split(',')
                .nth(2)
                .ok_or_else(|| anyhow!("{}: a row without a close: {line}", file.display()))?;
            wad(close.trim())?.div(base).map_err(|e| anyhow!("{e:?}"))
        })
        .collect()
}

fn scenarios(root: &Path) -> Result<Vec<Scenario>> {
    let one = Wad::ONE;
    let priced = |ratios: Vec<Wad>| -> Vec<Hour> {
        ratios
            .into_iter()
            .map(|eth| Hour {
                eth,
                vol: one,
                steth: one,
                sequencer_up: true,
            })
            .collect()
    };
    let march = closes(&root.join("scripts/stress/eth-2020-03-12.csv"), "194.61")?;
    let may = closes(&root.join("scripts/stress/eth-2021-05-19.csv"), "3375.07")?;
    let mut outage = priced(may.clone());
    // Down for the four hours of the 2021 fall's steepest leg (08:00 to 12:00 UTC), then
    // within the adapter's grace period for the next hour.
    for hour in outage.iter_mut().skip(8).take(4) {
        hour.sequencer_up = false;
    }
    let depeg = (0..12)
        .map(|h| -> Result<Hour> {
            // 1.0 to 0.935 in six hourly steps, then held.
            let step = wad(&format!("0.{:04}", 65 * h.min(6) / 6 * 10))?;
            Ok(Hour {
                eth: one,
                vol: one,
                steth: one.sub(step).map_err(|e| anyhow!("{e:?}"))?,
                sequencer_up: true,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let spike = (0..9)
        .map(|h| -> Result<Hour> {
            // Vols ×1 → ×3 over three hours while ETH falls 10 %, then held.
            let vol = wad(["1.67", "2.33", "3"][h.min(2)])?;
            let eth = wad(["0.97", "0.93", "0.9"][h.min(2)])?;
            Ok(Hour {
                eth,
                vol,
                steth: one,
                sequencer_up: true,
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(vec![
        Scenario {
            name: "ETH 2020-03-12 (Black Thursday)",
            source: "Binance ETH/USDT hourly closes, 2020-03-12 00:00 to 2020-03-13 09:00 UTC (scripts/stress/SOURCES.md)",
            hours: priced(march),
        },
        Scenario {
            name: "ETH 2021-05-19",
            source: "Binance ETH/USDT hourly closes, 2021-05-19 00:00 to 2021-05-20 01:00 UTC (scripts/stress/SOURCES.md)",
            hours: priced(may),
        },
        Scenario {
            name: "stETH at 0.935 ETH (June 2022)",
            source: "stETH/ETH fell to about 0.93-0.94 on Curve, 13-18 June 2022 (scripts/stress/SOURCES.md); 1.0 to 0.935 over six hours",
            hours: depeg,
        },
        Scenario {
            name: "4-hour sequencer outage during the 2021-05-19 fall",
            source: "the 2021-05-19 path; the sequencer down 08:00-12:00 UTC, then an hour of grace",
            hours: outage,
        },
        Scenario {
            name: "vol spike (×3 in three hours, ETH −10 %)",
            source: "synthetic",
            hours: spike,
        },
    ])
}

/// Runs every scenario (or those `--only` names), each on a fresh deployment.
pub fn run(args: &StressArgs, say: Say<'_>) -> Result<Vec<ScenarioReport>> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let root = crate::solidity::repo_root();
    let mut reports = Vec::new();
    for scenario in scenarios(&root)? {
        if args
            .only
            .as_deref()
            .is_some_and(|only| !scenario.name.contains(only))
        {
            continue;
        }
        say(&format!(
            "\n{}: {} hours",
            scenario.name,
            scenario.hours.len()
        ));
        reports.push(runtime.block_on(replay(args, &scenario, say))?);
    }
    Ok(reports)
}

async fn replay(args: &StressArgs, scenario: &Scenario, say: Say<'_>) -> Result<ScenarioReport> {
    let staged = {
        let mut quiet = |_: &str| {};
        demo::stage(
            None,
            args.wasm_dir.as_deref(),
            &args.examples,
            &args.config,
            &mut quiet,
        )
        .await?
    };
    let vault = IMarginVault::new(staged.vault, staged.dev.provider().clone());
    at_initial_margin(&staged).await?;
    let socialised_before = vault.socialisedLoss().call().await?.total;
    let mut bot = staged.keeper().await?;
    let mut report = ScenarioReport {
        name: scenario.name.into(),
        source: scenario.source.into(),
        hours: scenario.hours.len(),
        accounts: staged.accounts.len(),
        ..ScenarioReport::default()
    };
    let mut low = Wad::from_int(ETH_BEFORE);
    let mut auctioned = std::collections::BTreeSet::new();
    let mut down_since = None;
    // Up for a day before the path starts (a zero `startedAt` would read as no status).
    let mut up_since = demo::latest_timestamp(&staged.dev)
        .await?
        .saturating_sub(86_400);
    for (n, hour) in scenario.hours.iter().enumerate() {
        increase_time(&staged.dev, 2_400).await?;
        let now = demo::latest_timestamp(&staged.dev).await?;
        match (hour.sequencer_up, down_since) {
            (false, None) => down_since = Some(now),
            (true, Some(_)) => {
                down_since = None;
                up_since = now;
            }
            _ => {}
        }
        let eth = Wad::from_int(ETH_BEFORE).mul(hour.eth)?;
        if eth < low {
            low = eth;
        }
        publish(&staged, hour, eth, down_since.unwrap_or(up_since), say).await?;
        // Insolvent before the keeper could act: negative value, not yet in an auction.
        for (name, id) in &staged.accounts {
            if auctioned.contains(id) {
                continue;
            }
            let m = vault.margin(*id).call().await?;
            if m.markToMarket < I256::ZERO && !report.insolvent_before_keeper.contains(name) {
                report.insolvent_before_keeper.push(name.clone());
                report.insolvencies.push(Insolvency {
                    account: name.clone(),
                    hour: n + 1,
                    eth: usd_wad(eth),
                    mark_to_market: keel_deploy::errors::usd(m.markToMarket),
                });
            }
        }
        let mut line = String::new();
        let mut this_hour = HourReport {
            eth: usd_wad(eth),
            sequencer_up: hour.sequencer_up,
            ..HourReport::default()
        };
        for round in 0..4 {
            let r = bot.round().await?;
            report.keeper_rounds += 1;
            report.bids += r.bids.len();
            this_hour.bids += r.bids.len();
            this_hour.auctions_started += r.auctions_started.len();
            auctioned.extend(r.auctions_started.iter().copied());
            if round == 0 {
                line = crate::keeper::line(&r);
                this_hour.below_maintenance = r.below_maintenance.len();
            }
            increase_time(&staged.dev, 300).await?;
            if r.below_maintenance.is_empty() && r.auctions_ended.is_empty() {
                break;
            }
        }
        say(&format!("  hour {n:>2}: ETH {}, {line}", usd_wad(eth)));
        report.path.push(this_hour);
    }
    for (name, id) in &staged.accounts {
        let started = vault
            .provider()
            .get_logs(
                &alloy::rpc::types::Filter::new()
                    .address(staged.vault)
                    .event_signature(
                        <IMarginVault::AuctionStarted as alloy::sol_types::SolEvent>::SIGNATURE_HASH,
                    )
                    .topic1(alloy::primitives::B256::from(*id))
                    .from_block(0),
            )
            .await?;
        if !started.is_empty() {
            report.liquidated.push(name.clone());
        }
    }
    let insurance_after = vault.insuranceFund().call().await?;
    let used = staged.insurance_before.saturating_sub(insurance_after);
    let socialised = vault
        .socialisedLoss()
        .call()
        .await?
        .total
        .saturating_sub(socialised_before);
    report.eth_low = usd_wad(low);
    report.insurance_used = usd(used);
    report.socialised = usd(socialised);
    report.bad_debt = usd(used + socialised);
    staged.finish();
    Ok(report)
}

fn usd_wad(x: Wad) -> String {
    keel_deploy::errors::usd(I256::try_from(x.raw()).unwrap_or(I256::MAX))
}

fn usd(x: U256) -> String {
    keel_deploy::errors::usd(I256::try_from(x).unwrap_or(I256::MAX))
}

async fn increase_time(dev: &Session, seconds: u64) -> Result<()> {
    let _: serde_json::Value = dev
        .provider()
        .raw_request("evm_increaseTime".into(), (seconds,))
        .await
        .context("evm_increaseTime")?;
    Ok(())
}

/// Withdraws each account's initial-margin surplus in cash, as far as its cash goes, so it
/// starts the path at (or just above) its initial margin.
async fn at_initial_margin(staged: &Staged) -> Result<()> {
    let vault = IMarginVault::new(staged.vault, staged.dev.provider().clone());
    for ((name, id), owner) in staged.accounts.iter().zip(&staged.owners) {
        let session = Session::connect(&staged.rpc_url, &staged.dir, owner).await?;
        let surplus = vault.margin(*id).call().await?.initialMargin;
        let cash = vault.cash(*id).call().await?;
        let room = surplus.min(cash);
        if room <= I256::ZERO {
            continue;
        }
        // Whole cents, 0.5 % short of the surplus.
        let cents = room / I256::try_from(10_000_000_000_000_000i64)? * I256::try_from(995)?
            / I256::try_from(1_000)?;
        let amount = format!(
            "{}.{:02}",
            cents / I256::try_from(100)?,
            cents % I256::try_from(100)?
        );
        session
            .withdraw(*id, "USDC", &amount, None)
            .await
            .with_context(|| format!("{name}: withdrawing its surplus {amount} USDC"))?;
    }
    Ok(())
}

/// Publishes one hour: ETH, wstETH (ETH × rate × stETH), the depeg guard's rate feed (the
/// fundamental, which keeps its value: Lido's rate does not fall in a crash) and market feed,
/// USDC and WBTC at the chain's time; every expiry slice with ETH's forward and vol moved; the
/// sequencer's status since `since`.
async fn publish(staged: &Staged, hour: &Hour, eth: Wad, since: u64, say: Say<'_>) -> Result<()> {
    let dev = &staged.dev;
    let rate = wad(WSTETH_RATE)?;
    demo::set_price(dev, "WETH", eth).await?;
    demo::set_price(dev, "wstETH", eth.mul(rate)?.mul(hour.steth)?).await?;
    // Without the rate feed's heartbeat the fundamental goes stale within the replay, and the
    // guard's `FundamentalStale` leaves the wstETH collateral without a value.
    demo::set_feed(dev, &staged.record, "wstETH", "rateFeed", rate).await?;
    demo::set_feed(
        dev,
        &staged.record,
        "wstETH",
        "marketFeed",
        rate.mul(hour.steth)?,
    )
    .await?;
    demo::set_price(dev, "USDC", Wad::ONE).await?;
    demo::set_price(dev, "WBTC", Wad::from_int(BTC)).await?;
    let now = demo::latest_timestamp(dev).await?;
    for (name, slice) in &staged.slices {
        let (forward, vol) = if name == "ETH" {
            (hour.eth, hour.vol)
        } else {
            (Wad::ONE, Wad::ONE)
        };
        if slice.expiry.0 <= now {
            continue;
        }
        let push = demo::expiry_push(&staged.underlying_asset(name)?, slice, now, forward, vol)?;
        // A push is estimated in one block and mined in the next: once, under load, one was
        // mined reverted. It is said (with the reason the node gives now) and sent again.
        if let Err(first) = dev.push_expiry(&push).await {
            say(&format!("  warning: {first:#}; pushing again"));
            dev.push_expiry(&push)
                .await
                .with_context(|| format!("after a first failure: {first:#}"))?;
        }
    }
    let sequencer = staged
        .record
        .sequencer_feed
        .ok_or_else(|| anyhow!("the deployment has no local sequencer feed"))?;
    dev.call(
        format!(
            "sequencer {}",
            if hour.sequencer_up { "up" } else { "down" }
        ),
        sequencer,
        TestFeed::setRoundCall {
            answer: I256::try_from(u8::from(!hour.sequencer_up))?,
            startedAt: U256::from(since),
            updatedAt: U256::from(now),
        },
    )
    .await?;
    Ok(())
}

/// The stress table as text.
pub fn table(reports: &[ScenarioReport]) -> String {
    let mut out = String::from(
        "\nscenario                                            ETH low   liquidated  bad debt (insurance + socialised)  insolvent before a keeper\n",
    );
    for r in reports {
        out += &format!(
            "{:<50} {:>9} {:>5} of {:<3} {:>14} ({} + {})  {}\n",
            r.name,
            r.eth_low,
            r.liquidated.len(),
            r.accounts,
            r.bad_debt,
            r.insurance_used,
            r.socialised,
            if r.insolvencies.is_empty() {
                "none".to_string()
            } else {
                r.insolvencies
                    .iter()
                    .map(|i| {
                        format!(
                            "{} (hour {}, ETH {}, value {} USD)",
                            i.account, i.hour, i.eth, i.mark_to_market
                        )
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            }
        );
    }
    out
}
