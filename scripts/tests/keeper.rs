//! `keel keeper` on `keel node`: 50 accounts, an ETH crash; the keeper's native margins equal
//! the vault's, a dry run sends nothing, every account below maintenance margin gets an
//! auction and is bought back above its buffer (or emptied), the bidder stays above initial
//! margin, and a restarted keeper — between rounds or killed in the middle of one — resumes
//! without repeating an action. Between full rounds it margins only the accounts whose inputs
//! moved; it fixes settlement prices, settles expired options and realises perpetual PnL.

use std::path::{Path, PathBuf};
use std::process::Command;

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, I256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::signers::SignerSync;
use keel_deploy::bindings::{IMarginVault, RfqMarket, TestFeed, TestToken};
use keel_deploy::Record;
use serde_json::Value;

const DEV_KEY: &str = "0xb6b15c8cb491557369f3c7d2c287b053eb229daa9c22138887752191c9520659";
const MAKER_KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const KEEPER_KEY: &str = "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d";
const TRADERS: usize = 50;
const WAD: u128 = 1_000_000_000_000_000_000;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn keel(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_keel"))
        .current_dir(root())
        .env(
            "KEEL_WASM_DIR",
            keel_cli::contracts::artifact_dir().expect("the contracts build"),
        )
        .env_remove("KEEL_PRIVATE_KEY")
        .args(args)
        .output()
        .expect("keel runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

struct World {
    maker: U256,
    url: String,
    dir: PathBuf,
    vault: Address,
    record: Record,
    dev: DynProvider,
    runtime: tokio::runtime::Runtime,
    _node: keel_node::launch::Running,
}

impl World {
    fn provider(&self, key: &str) -> DynProvider {
        let signer: PrivateKeySigner = key.parse().unwrap();
        self.runtime
            .block_on(keel_deploy::deploy::connect(&self.url, &signer, 412_346))
            .unwrap()
    }

    fn send(&self, provider: &DynProvider, to: Address, data: Vec<u8>) {
        self.runtime.block_on(async {
            let tx = TransactionRequest::default()
                .with_to(to)
                .with_input(data)
                .with_gas_limit(5_000_000);
            let receipt = provider
                .send_transaction(tx)
                .await
                .unwrap()
                .get_receipt()
                .await
                .unwrap();
            assert!(receipt.status(), "a set-up transaction reverted");
        })
    }

    fn block(&self) -> u64 {
        self.runtime
            .block_on(async { self.dev.get_block_number().await })
            .unwrap()
    }

    fn margin(&self, id: U256) -> IMarginVault::MarginState {
        let vault = IMarginVault::new(self.vault, self.dev.clone());
        self.runtime
            .block_on(async { vault.margin(id).call().await })
            .unwrap()
    }

    fn auction_active(&self, id: U256) -> bool {
        let vault = IMarginVault::new(self.vault, self.dev.clone());
        self.runtime
            .block_on(async { vault.auction(id).call().await })
            .unwrap()
            .active
    }

    fn positions(&self, id: U256) -> usize {
        let vault = IMarginVault::new(self.vault, self.dev.clone());
        self.runtime
            .block_on(async { vault.positions(id).call().await })
            .unwrap()
            .len()
    }

    fn set_eth_price(&self, usd: i64) {
        let feed = self.record.assets["WETH"].feed.unwrap();
        let now = self.now();
        let call = TestFeed::setRoundCall {
            answer: I256::try_from(usd * 100_000_000).unwrap(),
            startedAt: U256::from(now),
            updatedAt: U256::from(now),
        };
        self.send(
            &self.dev,
            feed,
            alloy::sol_types::SolCall::abi_encode(&call),
        );
    }

    /// Mints `amount` USDC units to `owner` and deposits them into account `id` (sent by
    /// `provider`, `owner`'s).
    fn deposit_usdc(&self, provider: &DynProvider, owner: Address, id: U256, amount: U256) {
        use alloy::sol_types::SolCall;
        let usdc = self.record.assets["USDC"].token.unwrap();
        let mint = TestToken::mintCall { to: owner, amount };
        let approve = TestToken::approveCall {
            spender: self.vault,
            amount,
        };
        let deposit = IMarginVault::depositCall {
            id,
            asset: usdc,
            amount,
        };
        self.send(provider, usdc, mint.abi_encode());
        self.send(provider, usdc, approve.abi_encode());
        self.send(provider, self.vault, deposit.abi_encode());
    }

    /// Accounts of `ids` below maintenance margin.
    fn below_maintenance(&self, ids: &[U256]) -> Vec<U256> {
        ids.iter()
            .copied()
            .filter(|&id| self.margin(id).maintenanceMargin < I256::ZERO)
            .collect()
    }

    fn warp(&self, seconds: u64) {
        self.runtime
            .block_on(
                self.dev
                    .raw_request::<_, Value>("evm_increaseTime".into(), (seconds,)),
            )
            .unwrap();
    }

    /// The latest block's timestamp.
    fn now(&self) -> u64 {
        self.runtime
            .block_on(async {
                self.dev
                    .get_block(alloy::eips::BlockNumberOrTag::Latest.into())
                    .await
            })
            .unwrap()
            .unwrap()
            .header
            .timestamp
    }

    /// How many `event` logs of the vault name account `id` first.
    fn events(&self, event: alloy::primitives::B256, id: U256) -> usize {
        self.runtime
            .block_on(async {
                let filter = alloy::rpc::types::Filter::new()
                    .address(self.vault)
                    .event_signature(event)
                    .topic1(alloy::primitives::B256::from(id))
                    .from_block(0);
                self.dev.get_logs(&filter).await
            })
            .unwrap()
            .len()
    }

    /// A keeper in this process bidding from `bidder`, its state in its own folder, margining
    /// every account only in its first round (`full_scan_secs` far away).
    fn keeper_in_process(&self, bidder: U256, name: &str) -> keel_keeper::Keeper {
        let scratch = self.dir.join(name);
        std::fs::create_dir_all(&scratch).unwrap();
        let config = keel_keeper::KeeperConfig {
            bidder_account: Some(bidder.to::<u64>()),
            min_profit_usd: "0.01".into(),
            state_file: scratch.join("keeper-state.json"),
            kill_switch: scratch.join("keeper.stop"),
            full_scan_secs: 1_000_000_000,
            ..Default::default()
        };
        self.keeper_with(config)
    }

    fn keeper_with(&self, config: keel_keeper::KeeperConfig) -> keel_keeper::Keeper {
        let me = KEEPER_KEY.parse::<PrivateKeySigner>().unwrap().address();
        let metrics = std::sync::Arc::new(keel_keeper::metrics::Metrics::default());
        keel_keeper::Keeper::new(
            self.provider(KEEPER_KEY),
            me,
            &self.record,
            config,
            false,
            metrics,
        )
        .unwrap()
        .quiet()
    }

    fn round(&self, keeper: &mut keel_keeper::Keeper) -> keel_keeper::RoundReport {
        self.runtime.block_on(keeper.round()).unwrap()
    }

    fn keeper(&self, config: &Path, extra: &[&str]) -> Vec<Value> {
        let d = self.dir.to_str().unwrap();
        let mut args = vec![
            "keeper",
            "--config",
            config.to_str().unwrap(),
            "--rpc-url",
            &self.url,
            "--deployments",
            d,
            "--private-key",
            KEEPER_KEY,
            "--json",
        ];
        args.extend_from_slice(extra);
        let (ok, out, err) = keel(&args);
        assert!(ok, "keel keeper failed: {err}");
        out.lines()
            .map(|l| serde_json::from_str(l).expect("a JSON round report"))
            .collect()
    }
}

/// A node with Keel deployed, a maker, a keeper account and `traders` levered ETH-perp
/// accounts of the dev key (1 to 5 ETH long each on 3,000 USD).
fn world(name: &str, traders: usize) -> (World, U256, Vec<U256>) {
    let count = traders;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let node = runtime
        .block_on(keel_node::launch::launch(keel_node::launch::NodeConfig {
            port: 0,
            ..Default::default()
        }))
        .expect("the node starts");
    let url = format!("http://{}", node.addr);
    let dir = std::env::temp_dir().join(format!("keel-keeper-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let (ok, _, err) = keel(&[
        "deploy",
        "--rpc-url",
        &url,
        "--deployments",
        dir.to_str().unwrap(),
    ]);
    assert!(ok, "keel deploy failed: {err}");
    let record = Record::load(&Record::path(&dir, 412_346)).unwrap();
    let vault = record.address("vault").unwrap();
    let signer: PrivateKeySigner = DEV_KEY.parse().unwrap();
    let dev = runtime
        .block_on(keel_deploy::deploy::connect(&url, &signer, 412_346))
        .unwrap();
    let world = World {
        maker: U256::ZERO,
        url,
        dir,
        vault,
        record,
        dev,
        runtime,
        _node: node,
    };
    let weth = world.record.assets["WETH"].token.unwrap();
    let market = world.record.address("rfqMarket").unwrap();
    let providers: std::collections::HashMap<&str, DynProvider> = [
        (DEV_KEY, world.dev.clone()),
        (MAKER_KEY, world.provider(MAKER_KEY)),
        (KEEPER_KEY, world.provider(KEEPER_KEY)),
    ]
    .into_iter()
    .collect();
    let open = |key: &str, usd: u128| -> U256 {
        let provider = providers[key].clone();
        let owner: PrivateKeySigner = key.parse().unwrap();
        let vault = IMarginVault::new(vault, provider.clone());
        let id = world
            .runtime
            .block_on(async { vault.accountCount().call().await })
            .unwrap()
            + U256::from(1);
        let amount = U256::from(usd * 1_000_000);
        use alloy::sol_types::SolCall;
        let open = IMarginVault::openAccountCall { mode: 2 };
        world.send(&provider, world.vault, open.abi_encode());
        world.deposit_usdc(&provider, owner.address(), id, amount);
        let operator = IMarginVault::setOperatorCall {
            id,
            operator: market,
            approved: true,
        };
        world.send(&provider, world.vault, operator.abi_encode());
        id
    };
    let maker = open(MAKER_KEY, 10_000_000);
    let keeper = open(KEEPER_KEY, 2_000_000);
    let instrument = world
        .runtime
        .block_on(async {
            IMarginVault::new(vault, world.dev.clone())
                .instrumentId(weth, 0, 0, U256::ZERO)
                .call()
                .await
        })
        .unwrap();
    let maker_signer: PrivateKeySigner = MAKER_KEY.parse().unwrap();
    let rfq = RfqMarket::new(market, world.dev.clone());
    let mut traders = Vec::new();
    for i in 0..count {
        let id = open(DEV_KEY, 3_000);
        let quote = RfqMarket::Quote {
            instrument,
            maker,
            size: I256::try_from((1 + (i % 5) as u128) * WAD).unwrap(),
            price: U256::from(2_000 * WAD),
            makerFee: U256::ZERO,
            takerFee: U256::ZERO,
            deadline: U256::from(u64::MAX),
            nonce: U256::from(i),
        };
        let digest = world
            .runtime
            .block_on(async { rfq.quoteDigest(quote.clone()).call().await })
            .unwrap();
        let signature = maker_signer.sign_hash_sync(&digest).unwrap();
        use alloy::sol_types::SolCall;
        let fill = RfqMarket::fillCall {
            quote,
            signature: signature.as_bytes().to_vec().into(),
            takerAccount: id,
        };
        world.send(&world.dev, market, fill.abi_encode());
        traders.push(id);
    }
    let mut world = world;
    world.maker = maker;
    (world, keeper, traders)
}

/// The keeper's folder in the world's scratch space and a `keeper.toml` bidding from `bidder`.
fn keeper_config(world: &World, bidder: U256) -> (PathBuf, PathBuf) {
    let scratch = world.dir.join("keeper");
    std::fs::create_dir_all(&scratch).unwrap();
    let config = scratch.join("keeper.toml");
    let text = format!(
        "bidder_account = {bidder}\nmin_profit_usd = \"0.01\"\npoll_ms = 10\nlog_chunk = 16\n"
    );
    std::fs::write(&config, text).unwrap();
    (scratch, config)
}

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js or OpenZeppelin is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn the_keeper_auctions_and_buys_every_account_a_crash_puts_below_maintenance() {
    let (world, bidder, traders) = world("crash", TRADERS);
    let (scratch, config) = keeper_config(&world, bidder);

    // Natively, from the vault's snapshots, the keeper's margins are the vault's, bit for bit.
    let ids: Vec<U256> = (1..=traders.len() as u64 + 2).map(U256::from).collect();
    let readings = world
        .runtime
        .block_on(keel_keeper::evaluate::read_accounts(
            &world.dev,
            world.vault,
            &ids,
            17,
        ))
        .unwrap();
    for r in &readings {
        let h = r.health.as_ref().unwrap();
        let m = world.margin(r.id);
        assert_eq!(
            (
                I256::try_from(h.im).unwrap(),
                I256::try_from(h.mm).unwrap(),
                I256::try_from(h.mtm).unwrap()
            ),
            (m.initialMargin, m.maintenanceMargin, m.markToMarket),
            "account {}",
            r.id
        );
    }

    world.set_eth_price(1_500);
    let below = world.below_maintenance(&traders);
    assert!(
        below.len() >= TRADERS / 5 && below.len() < TRADERS,
        "the crash leaves some accounts above maintenance: {} of {TRADERS} below",
        below.len()
    );

    // A dry run decides but sends nothing.
    let before = world.block();
    let dry = world.keeper(&config, &["--rounds", "1", "--dry-run"]);
    assert_eq!(world.block(), before, "a dry run sends nothing");
    let planned: Vec<U256> = serde_json::from_value(dry[0]["auctionsStarted"].clone()).unwrap();
    let mut sorted = planned.clone();
    sorted.sort();
    assert_eq!(
        sorted, below,
        "the dry run plans an auction for each account below maintenance"
    );
    assert_eq!(dry[0]["sent"], 0);

    // Round one starts every auction; the discount then grows for ten minutes; round two bids.
    let between: Vec<U256> = traders
        .iter()
        .copied()
        .filter(|&id| {
            let m = world.margin(id);
            m.initialMargin < I256::ZERO && m.maintenanceMargin >= I256::ZERO
        })
        .collect();
    let first = world.keeper(&config, &["--rounds", "1"]);
    assert_eq!(first[0]["accounts"].as_u64(), Some(TRADERS as u64 + 2));
    // Accounts below initial but above maintenance margin are put in margin call, once.
    let mut called: Vec<U256> = serde_json::from_value(first[0]["marginCalls"].clone()).unwrap();
    called.sort();
    assert!(!between.is_empty());
    assert_eq!(
        called, between,
        "each account in the band gets its margin call"
    );
    let logs = world
        .runtime
        .block_on(async {
            use alloy::sol_types::SolEvent;
            let filter = alloy::rpc::types::Filter::new()
                .address(world.vault)
                .event_signature(IMarginVault::MarginCall::SIGNATURE_HASH)
                .from_block(0);
            world.dev.get_logs(&filter).await
        })
        .unwrap();
    assert_eq!(
        logs.len(),
        between.len(),
        "the vault recorded each margin call"
    );
    for &id in &below {
        assert!(world.auction_active(id), "account {id} has an auction");
    }
    world.warp(600);
    world.set_eth_price(1_500);
    let second = world.keeper(&config, &["--rounds", "2"]);
    let bids: usize = second
        .iter()
        .map(|r| r["bids"].as_array().unwrap().len())
        .sum();
    assert!(bids >= below.len(), "every auction got a bid: {second:?}");
    assert!(
        second
            .iter()
            .all(|r| r["auctionsStarted"].as_array().unwrap().is_empty()),
        "a restarted keeper starts no auction twice: {second:?}"
    );
    // Nor calls a margin twice: those it calls now are the accounts its bids just brought back
    // into the band, none of them called before.
    for r in &second {
        let again: Vec<U256> = serde_json::from_value(r["marginCalls"].clone()).unwrap();
        assert!(
            again
                .iter()
                .all(|id| !called.contains(id) && below.contains(id)),
            "{r}"
        );
    }
    for &id in &below {
        let m = world.margin(id);
        let buffer = (m.maintenanceRequirement * I256::try_from(WAD / 20).unwrap())
            / I256::try_from(WAD).unwrap();
        assert!(
            m.maintenanceMargin >= buffer - I256::try_from(WAD).unwrap()
                || world.positions(id) == 0,
            "account {id} is back above its buffer or empty: {m:?}"
        );
        assert!(!world.auction_active(id), "account {id}'s auction ended");
    }
    let keeper_margin = world.margin(bidder);
    assert!(
        keeper_margin.initialMargin >= I256::ZERO,
        "the bidder stays above initial margin"
    );
    // Bids were never at a loss: each gained at least its gas plus the profit floor.
    for round in &second {
        for bid in round["bids"].as_array().unwrap() {
            let gain: I256 = bid["gain"].as_str().unwrap().parse().unwrap();
            let gas: I256 = bid["gasUsd"].as_str().unwrap().parse().unwrap();
            assert!(gain > gas, "{bid}");
        }
    }
    // The state file holds the cursor and every account.
    let state: Value =
        serde_json::from_str(&std::fs::read_to_string(scratch.join("keeper-state.json")).unwrap())
            .unwrap();
    assert_eq!(state["accounts"].as_array().unwrap().len(), TRADERS + 2);
}

/// An HTTP proxy to `upstream` that answers a fifth of the requests (a fixed pseudo-random
/// choice) with 503 and delays another seventh by 300 ms; how many it failed.
fn flaky_proxy(upstream: String) -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    let upstream = upstream.trim_start_matches("http://").to_string();
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let failed = std::sync::Arc::new(AtomicUsize::new(0));
    let (count2, failed2) = (count.clone(), failed.clone());
    // One HTTP message: head and body (by content-length).
    fn message(reader: &mut BufReader<std::net::TcpStream>) -> Option<Vec<u8>> {
        let mut head = Vec::new();
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).ok()? == 0 {
                return None;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                length = v.trim().parse().ok()?;
            }
            head.extend_from_slice(line.as_bytes());
            if line == "\r\n" {
                break;
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).ok()?;
        head.extend_from_slice(&body);
        Some(head)
    }
    std::thread::spawn(move || {
        for client in listener.incoming().flatten() {
            let (count, failed, upstream) = (count2.clone(), failed2.clone(), upstream.clone());
            std::thread::spawn(move || {
                let mut writer = client.try_clone().unwrap();
                let mut reader = BufReader::new(client);
                while let Some(request) = message(&mut reader) {
                    let n = count.fetch_add(1, Ordering::SeqCst) as u64;
                    let roll = n.wrapping_mul(2_654_435_761).wrapping_add(12_345) % 100;
                    if roll < 20 {
                        failed.fetch_add(1, Ordering::SeqCst);
                        let _ = writer.write_all(
                            b"HTTP/1.1 503 Service Unavailable\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                        );
                        return;
                    }
                    if roll >= 85 {
                        std::thread::sleep(std::time::Duration::from_millis(300));
                    }
                    let Ok(node) = std::net::TcpStream::connect(&upstream) else {
                        return;
                    };
                    let mut node_writer = node.try_clone().unwrap();
                    let _ = node_writer.write_all(&request);
                    let Some(response) = message(&mut BufReader::new(node)) else {
                        return;
                    };
                    if writer.write_all(&response).is_err() {
                        return;
                    }
                }
            });
        }
    });
    (address, failed)
}

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js or OpenZeppelin is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn the_keeper_survives_an_rpc_that_drops_and_delays_responses() {
    use alloy::sol_types::SolEvent;
    let (world, bidder, traders) = world("flaky", TRADERS);
    let (_, config) = keeper_config(&world, bidder);
    world.set_eth_price(1_500);
    let below = world.below_maintenance(&traders);
    assert!(!below.is_empty());
    let (proxy, failed) = flaky_proxy(world.url.clone());
    let d = world.dir.to_str().unwrap();
    let (ok, rounds, err) = keel(&[
        "keeper",
        "--config",
        config.to_str().unwrap(),
        "--rpc-url",
        &proxy,
        "--deployments",
        d,
        "--private-key",
        KEEPER_KEY,
        "--rounds",
        "12",
        "--json",
    ]);
    assert!(ok, "the keeper exits cleanly after its rounds: {err}");
    assert_eq!(rounds.lines().count(), 12, "every round reported: {rounds}");
    assert!(
        failed.load(std::sync::atomic::Ordering::SeqCst) > 0,
        "the proxy failed requests"
    );
    // Each account below maintenance was auctioned despite the faults, and is still in its
    // auction, or the keeper bought it back above maintenance (its auction ended: a socialised
    // loss or the feed's ageing may since have pulled it under again, after the last round).
    for &id in &below {
        let surplus = world.margin(id).maintenanceMargin;
        let started = world.events(IMarginVault::AuctionStarted::SIGNATURE_HASH, id);
        let ended = world.events(IMarginVault::AuctionEnded::SIGNATURE_HASH, id);
        let active = world.auction_active(id);
        assert!(
            started >= 1 && (active || surplus >= I256::ZERO || ended >= 1),
            "account {id} was left below maintenance (surplus {surplus}, auctions started \
             {started}, ended {ended}, active {active}); the keeper said of it:\n{}",
            err.lines()
                .filter(|l| l.contains(&format!("\"{id}\"")))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js or OpenZeppelin is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn a_keeper_killed_in_the_middle_of_a_round_resumes_without_double_actions() {
    use alloy::sol_types::SolEvent;
    let (world, bidder, traders) = world("midround", 20);
    world.set_eth_price(1_500);
    let below = world.below_maintenance(&traders);
    assert!(
        below.len() >= 3,
        "{} accounts below maintenance",
        below.len()
    );
    let started = IMarginVault::AuctionStarted::SIGNATURE_HASH;

    // The keeper is killed as soon as its first auction is on chain: the round is dropped in
    // flight (receipts not awaited, the rest of the round not run, its state not saved).
    let mut keeper = world.keeper_in_process(bidder, "midround");
    let interrupted = world.runtime.block_on(async {
        let on_chain = async {
            loop {
                let filter = alloy::rpc::types::Filter::new()
                    .address(world.vault)
                    .event_signature(started)
                    .from_block(0);
                if !world.dev.get_logs(&filter).await.unwrap().is_empty() {
                    return;
                }
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
        };
        tokio::select! {
            _ = keeper.round() => false,
            _ = on_chain => true,
        }
    });
    assert!(interrupted, "the round was stopped before it finished");
    drop(keeper);
    let before: Vec<U256> = below
        .iter()
        .copied()
        .filter(|&id| world.auction_active(id))
        .collect();
    assert!(!before.is_empty());

    // A new keeper on the same state starts only the auctions that were not started…
    let mut keeper = world.keeper_in_process(bidder, "midround");
    let resumed = world.round(&mut keeper);
    let mut now_started = resumed.auctions_started.clone();
    now_started.sort();
    let rest: Vec<U256> = below
        .iter()
        .copied()
        .filter(|id| !before.contains(id))
        .collect();
    assert_eq!(now_started, rest, "{resumed:?}");
    // …and bids (at once on the auctions started before, and on the rest once their discount
    // has grown); no account is auctioned twice.
    world.warp(600);
    world.set_eth_price(1_500);
    for _ in 0..2 {
        world.round(&mut keeper);
    }
    for &id in &below {
        assert_eq!(world.events(started, id), 1, "account {id}: one auction");
        assert!(
            world.events(IMarginVault::Bid::SIGNATURE_HASH, id) >= 1,
            "account {id} got a bid"
        );
    }
}

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js or OpenZeppelin is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn between_full_rounds_the_keeper_margins_what_moved_and_housekeeps() {
    use alloy::sol_types::{SolCall, SolEvent};
    use keel_cli::drive::{ExpiryPush, Session, TradeRequest};
    let (mut world, bidder, traders) = world("events", 4);
    let all: Vec<U256> = (1..=traders.len() as u64 + 2).map(U256::from).collect();
    let hot = |extra: &[U256]| -> usize {
        let mut ids: std::collections::BTreeSet<U256> = all
            .iter()
            .copied()
            .filter(|&id| world.margin(id).initialMargin < I256::ZERO || world.auction_active(id))
            .collect();
        ids.extend(extra);
        ids.len()
    };
    let mut keeper = world.keeper_in_process(bidder, "events");
    let first = world.round(&mut keeper);
    assert!(first.full);
    assert_eq!(first.evaluated, all.len());

    // Nothing moved: only accounts in or near trouble are margined again.
    let expected = hot(&[]);
    let quiet = world.round(&mut keeper);
    assert!(!quiet.full);
    assert_eq!(quiet.evaluated, expected, "{quiet:?}");

    // A deposit touches one account: it is margined again.
    let usdc = world.record.assets["USDC"].token.unwrap();
    let dev_address = DEV_KEY.parse::<PrivateKeySigner>().unwrap().address();
    let amount = U256::from(1_000_000_000u64);
    world.deposit_usdc(&world.dev, dev_address, traders[0], amount);
    let expected = hot(&[traders[0]]);
    let touched = world.round(&mut keeper);
    assert_eq!(touched.evaluated, expected, "{touched:?}");

    // A new ETH price moves every account exposed to ETH: all but the bidder's (cash only).
    world.set_eth_price(2_010);
    let moved = world.round(&mut keeper);
    assert_eq!(moved.evaluated, all.len() - 1, "{moved:?}");

    // An option that expires: the keeper fixes its settlement price from the feed's first
    // round after the expiry and settles both sides.
    let dev = world
        .runtime
        .block_on(Session::connect(
            &world.url,
            &world.dir,
            &DEV_KEY.parse().unwrap(),
        ))
        .unwrap();
    let expiry = world.now() + 7_200;
    world.send(
        &world.dev,
        usdc,
        TestToken::mintCall {
            to: dev_address,
            amount: U256::from(20_000_000_000u64),
        }
        .abi_encode(),
    );
    let buyer = world.runtime.block_on(async {
        dev.push_expiry(&ExpiryPush {
            underlying: "WETH".into(),
            expiry,
            forward: "2000".into(),
            rate: "0".into(),
            svi: ["0.0001", "0.0005", "0", "0", "0.1"].map(String::from),
            confidence: "1".into(),
        })
        .await
        .unwrap();
        let (id, _) = dev.open(2).await.unwrap();
        dev.deposit(id, "USDC", "10000").await.unwrap();
        let maker: PrivateKeySigner = MAKER_KEY.parse().unwrap();
        let request = TradeRequest {
            kind: "call".into(),
            underlying: "WETH".into(),
            expiry,
            strike: "2000".into(),
            size: "1".into(),
            price: "30".into(),
            maker_account: world.maker,
            taker_account: id,
        };
        dev.trade(&maker, &request).await.unwrap();
        id
    });
    // The session sent from the dev key: the world's provider re-reads its nonce.
    world.dev = world.provider(DEV_KEY);
    assert_eq!(world.positions(buyer), 1);
    let before_expiry = world.round(&mut keeper);
    assert!(before_expiry.options_settled.is_empty());
    world.warp(7_201);
    world
        .runtime
        .block_on(world.dev.raw_request::<_, Value>("evm_mine".into(), ()))
        .unwrap();
    world.set_eth_price(2_100);
    let settled = world.round(&mut keeper);
    assert_eq!(settled.settlement_prices.len(), 1, "{settled:?}");
    let mut expected = vec![world.maker, buyer];
    expected.sort();
    let mut got = settled.options_settled.clone();
    got.sort();
    assert_eq!(got, expected, "{settled:?}");
    assert_eq!(world.positions(buyer), 0, "the expired call is settled");
    assert_eq!(
        world.events(IMarginVault::OptionSettled::SIGNATURE_HASH, buyer),
        1
    );

    // Realising: the traders' perpetuals gained from 2,000 to 2,100; above the threshold the
    // keeper realises them, once.
    let scratch = world.dir.join("realise");
    std::fs::create_dir_all(&scratch).unwrap();
    let mut realiser = world.keeper_with(keel_keeper::KeeperConfig {
        realise_above_usd: Some("50".into()),
        state_file: scratch.join("keeper-state.json"),
        kill_switch: scratch.join("keeper.stop"),
        ..Default::default()
    });
    let realised = world.round(&mut realiser);
    for &id in &traders {
        assert!(realised.realised.contains(&id), "{realised:?}");
        assert_eq!(world.events(IMarginVault::Realised::SIGNATURE_HASH, id), 1);
    }
    let again = world.round(&mut realiser);
    assert!(
        again.realised.iter().all(|id| !traders.contains(id)),
        "{again:?}"
    );
}
