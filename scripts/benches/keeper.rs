//! The keeper's two figures (`cargo bench -p keel-cli --bench keeper`), printed, not asserted:
//!
//! 1. native margin evaluations per second of a 16-option portfolio account — decoding the
//!    vault's snapshot bytes and running PM2, as the keeper does for every account — on every
//!    core of this machine;
//! 2. end to end on `keel node`: 1,000 levered accounts, ETH falls 40 %, and the time until
//!    every account below maintenance margin has an auction started by the keeper.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, I256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::SignerSync;
use alloy::sol_types::SolCall;
use keel_deploy::bindings::{IMarginVault, RfqMarket, TestFeed, TestToken};
use keel_risk::model::account::RiskParams;
use keel_risk::model::snapshot::{encode, MarginMode, MarginSnapshot};

const ACCOUNTS: usize = 1_000;
const WAD: u128 = 1_000_000_000_000_000_000;

fn main() -> anyhow::Result<()> {
    evaluations_per_second()?;
    crash_to_auctions()
}

/// A portfolio account of 16 ETH options over two expiries, as the vault would snapshot it.
fn sixteen_option_snapshot() -> anyhow::Result<Vec<u8>> {
    let mut text = String::from(
        "format = \"keel-account v1\"\nnow = \"2026-11-24T08:00:00Z\"\n[underlyings.ETH]\nspot = 3000\nperp_price = 3001\n",
    );
    for (expiry, forward, a) in [
        ("2026-12-25", 3008, "0.0042"),
        ("2027-03-26", 3041, "0.012"),
    ] {
        let _ = write!(
            text,
            "[[underlyings.ETH.expiries]]\nexpiry = \"{expiry}\"\nforward = {forward}\nrate = 0.03\nsvi = {{ a = {a}, b = 0.024, rho = -0.35, m = 0.02, sigma = 0.18 }}\n"
        );
    }
    text += "[assets.USDC]\nprice = 1\nmm_haircut = 0\nim_haircut = 0.01\n[account]\ncash = 0\ncollateral = { USDC = 1000000 }\n";
    for (i, strike) in (2_400..=3_800).step_by(200).enumerate() {
        for (expiry, kind) in [("2026-12-25", "call"), ("2027-03-26", "put")] {
            let size = if i % 2 == 0 { 5 } else { -5 };
            let _ = write!(
                text,
                "[[account.positions]]\nunderlying = \"ETH\"\ntype = \"{kind}\"\nexpiry = \"{expiry}\"\nstrike = {strike}\nsize = {size}\n"
            );
        }
    }
    let resolved = keel_cli::account_file::AccountFile::from_toml(&text)?.resolve()?;
    let snapshot = MarginSnapshot {
        mode: MarginMode::Portfolio,
        account: resolved.account,
        market: resolved.market,
        params: RiskParams::keel_default(),
    };
    Ok(encode(&snapshot))
}

fn evaluations_per_second() -> anyhow::Result<()> {
    let bytes = sixteen_option_snapshot()?;
    let health = keel_keeper::evaluate::evaluate(U256::from(1), &bytes)?;
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let done = AtomicU64::new(0);
    let run_for = Duration::from_secs(3);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let mut n = 0u64;
                while started.elapsed() < run_for {
                    for _ in 0..50 {
                        let h = keel_keeper::evaluate::evaluate(U256::from(1), &bytes);
                        assert_eq!(h.as_ref().ok(), Some(&health));
                    }
                    n += 50;
                }
                done.fetch_add(n, Ordering::Relaxed);
            });
        }
    });
    let seconds = started.elapsed().as_secs_f64();
    let total = done.load(Ordering::Relaxed);
    println!(
        "native evaluations, 16-option portfolio account ({} bytes of snapshot): {:.0} per second on {threads} threads ({:.1} µs each per thread)",
        bytes.len(),
        total as f64 / seconds,
        seconds * 1e6 * threads as f64 / total as f64
    );
    Ok(())
}

fn crash_to_auctions() -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let node = keel_node::launch::launch(keel_node::launch::NodeConfig {
            port: 0,
            ..Default::default()
        })
        .await?;
        let url = format!("http://{}", node.addr);
        let signers = keel_node::node::dev_signers();
        let root = keel_cli::solidity::repo_root();
        let config = keel_cli::deployment::load_config(&root.join("deploy/local.toml"))?;
        let artifacts = keel_cli::deployment::artifacts(
            &keel_cli::contracts::artifact_dir()?,
            true,
            true,
        )?;
        let dir = std::env::temp_dir().join(format!("keel-bench-keeper-{}", std::process::id()));
        let summary = keel_cli::deployment::deploy_local(&url, &config, &artifacts, &dir).await?;
        let record = summary.record;
        let vault = record.address("vault")?;
        let market = record.address("rfqMarket")?;
        let usdc = record.assets["USDC"].token.unwrap_or_default();
        let weth = record.assets["WETH"].token.unwrap_or_default();
        let dev = keel_deploy::deploy::connect(&url, &signers[0], 412_346).await?;
        let maker = keel_deploy::deploy::connect(&url, &signers[1], 412_346).await?;
        let keeper = keel_deploy::deploy::connect(&url, &signers[2], 412_346).await?;
        let open = |p: DynProvider, owner: Address, usd: u128, first: bool| async move {
            let id = IMarginVault::new(vault, p.clone()).accountCount().call().await? + U256::from(1);
            let amount = U256::from(usd * 1_000_000);
            let mut calls: Vec<(Address, Vec<u8>)> = Vec::new();
            if first {
                calls.push((usdc, TestToken::mintCall { to: owner, amount: U256::from(u128::MAX / 4) }.abi_encode()));
                calls.push((usdc, TestToken::approveCall { spender: vault, amount: U256::MAX }.abi_encode()));
            }
            calls.push((vault, IMarginVault::openAccountCall { mode: 2 }.abi_encode()));
            calls.push((vault, IMarginVault::depositCall { id, asset: usdc, amount }.abi_encode()));
            calls.push((vault, IMarginVault::setOperatorCall { id, operator: market, approved: true }.abi_encode()));
            for (to, data) in calls {
                send(&p, to, data).await?;
            }
            anyhow::Ok(id)
        };
        let maker_id = open(maker.clone(), signers[1].address(), 100_000_000, true).await?;
        let keeper_id = open(keeper.clone(), signers[2].address(), 50_000_000, true).await?;
        let instrument = IMarginVault::new(vault, dev.clone())
            .instrumentId(weth, 0, 0, U256::ZERO)
            .call()
            .await?;
        let rfq = RfqMarket::new(market, dev.clone());
        let setup = Instant::now();
        for i in 0..ACCOUNTS {
            let id = open(dev.clone(), signers[0].address(), 3_000, i == 0).await?;
            let quote = RfqMarket::Quote {
                instrument,
                maker: maker_id,
                size: I256::try_from((1 + (i % 5) as u128) * WAD)?,
                price: U256::from(2_000 * WAD),
                makerFee: U256::ZERO,
                takerFee: U256::ZERO,
                deadline: U256::from(u64::MAX),
                nonce: U256::from(i),
            };
            let digest = rfq.quoteDigest(quote.clone()).call().await?;
            let signature = signers[1].sign_hash_sync(&digest)?;
            let fill = RfqMarket::fillCall {
                quote,
                signature: signature.as_bytes().to_vec().into(),
                takerAccount: id,
            };
            send(&dev, market, fill.abi_encode()).await?;
        }
        eprintln!(
            "set-up: {ACCOUNTS} levered accounts opened, funded and traded in {:.1} s",
            setup.elapsed().as_secs_f64()
        );
        // Catch the keeper up with the accounts before the crash, as a running keeper would be.
        let keeper_config: keel_keeper::KeeperConfig = toml::from_str(&format!(
            "bidder_account = {keeper_id}\nstate_file = {:?}\nkill_switch = {:?}\nbatch = 200\n",
            dir.join("state.json"),
            dir.join("stop")
        ))?;
        let metrics = std::sync::Arc::new(keel_keeper::metrics::Metrics::default());
        let mut bot = keel_keeper::Keeper::new(keeper, signers[2].address(), &record, keeper_config, false, metrics)?.quiet();
        bot.round().await?;

        let feed = record.assets["WETH"].feed.unwrap_or_default();
        let now = dev
            .get_block(alloy::eips::BlockNumberOrTag::Latest.into())
            .await?
            .map_or(0, |b| b.header.timestamp);
        let crash = TestFeed::setRoundCall {
            answer: I256::try_from(1_200i64 * 100_000_000)?,
            startedAt: U256::from(now),
            updatedAt: U256::from(now),
        };
        send(&dev, feed, crash.abi_encode()).await?;
        let crashed = Instant::now();
        // When the last auction reached the chain: the keeper's round goes on after its
        // auctions (margin calls), so the round's end is not the figure.
        let last_auction = std::sync::Arc::new(std::sync::Mutex::new(crashed));
        let watcher = {
            let (dev, last_auction) = (dev.clone(), last_auction.clone());
            tokio::spawn(async move {
                use alloy::sol_types::SolEvent;
                let filter = alloy::rpc::types::Filter::new()
                    .address(vault)
                    .event_signature(IMarginVault::AuctionStarted::SIGNATURE_HASH)
                    .from_block(0);
                let mut seen = 0;
                loop {
                    if let Ok(logs) = dev.get_logs(&filter).await {
                        if logs.len() > seen {
                            seen = logs.len();
                            *last_auction.lock().unwrap() = Instant::now();
                        }
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            })
        };
        let mut rounds = 0;
        let mut started = 0;
        let vault_ro = IMarginVault::new(vault, dev.clone());
        loop {
            let r = bot.round().await?;
            let round_ended = crashed.elapsed().as_secs_f64();
            rounds += 1;
            started += r.auctions_started.len();
            let mut waiting = 0;
            for id in &r.below_maintenance {
                if !vault_ro.auction(*id).call().await?.active
                    && vault_ro.margin(*id).call().await?.maintenanceMargin < I256::ZERO
                {
                    waiting += 1;
                }
            }
            if started > 0 && waiting == 0 {
                // One more poll so the watcher has seen every auction.
                tokio::time::sleep(Duration::from_millis(120)).await;
                watcher.abort();
                let auctions = last_auction.lock().unwrap().duration_since(crashed);
                println!(
                    "crash to auctions on keel node: {ACCOUNTS} accounts, ETH 2,000 → 1,200; {started} below maintenance, each auctioned by the keeper {:.2} s after the crash ({rounds} round{}; the round, with its {} margin calls, ended at {round_ended:.2} s)",
                    auctions.as_secs_f64(),
                    if rounds == 1 { "" } else { "s" },
                    r.margin_calls.len(),
                );
                break;
            }
            anyhow::ensure!(rounds < 20, "the keeper did not auction every account in 20 rounds");
        }
        let _ = node.handle.stop();
        let _ = std::fs::remove_dir_all(&dir);
        Ok(())
    })
}

async fn send(provider: &DynProvider, to: Address, data: Vec<u8>) -> anyhow::Result<()> {
    let tx = TransactionRequest::default()
        .with_to(to)
        .with_input(data)
        .with_gas_limit(5_000_000);
    let receipt = provider.send_transaction(tx).await?.get_receipt().await?;
    anyhow::ensure!(receipt.status(), "a set-up transaction reverted");
    Ok(())
}
