//! `keel deploy`, `keel verify`, `keel faucet`, `keel account`, `keel trade` and `keel status`
//! as a user runs them, against a `keel node` the test starts (in-process, on a free port): a
//! full local deployment from `deploy/local.toml`; a rerun that sends nothing; a deployment
//! killed half-way that a rerun finishes without redeploying what exists; `keel verify`; two
//! accounts' life (faucet, deposit, a perp traded through the RFQ market on a maker's EIP-712
//! quote, margin in each mode, a withdrawal refused below initial margin with the shortfall in
//! USD); and bad input refused with a message naming the problem before anything is sent.
//!
//! The local deployment compiles `solidity/` with solc-js: outside CI the tests are ignored,
//! saying why, when it is not installed.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

struct Node {
    url: String,
    _runtime: tokio::runtime::Runtime,
    running: keel_node::launch::Running,
}

impl Node {
    fn start() -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let running = runtime
            .block_on(keel_node::launch::launch(keel_node::launch::NodeConfig {
                port: 0,
                ..Default::default()
            }))
            .expect("the node starts");
        Node {
            url: format!("http://{}", running.addr),
            _runtime: runtime,
            running,
        }
    }

    fn block_number(&self) -> u64 {
        self.running.shared.node().latest_number()
    }
}

fn keel() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_keel"));
    command.current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."));
    command.env(
        "KEEL_WASM_DIR",
        keel_cli::contracts::artifact_dir().expect("the contracts build"),
    );
    command.env_remove("KEEL_PRIVATE_KEY");
    command
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("keel-deploy-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs `keel ARGS --json`; its JSON output, failing the test on a non-zero exit.
fn keel_json(args: &[&str]) -> Value {
    let out = keel().args(args).arg("--json").output().expect("keel runs");
    assert!(
        out.status.success(),
        "keel {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "keel {args:?}: not JSON ({e}): {}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn deploy_json(node: &Node, dir: &Path) -> Value {
    keel_json(&[
        "deploy",
        "--rpc-url",
        &node.url,
        "--deployments",
        dir.to_str().unwrap(),
    ])
}

fn record_now(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("412346.json")).unwrap()).unwrap()
}

fn sent(summary: &Value) -> u64 {
    summary["sent"].as_u64().expect("sent")
}

fn steps(summary: &Value) -> Vec<String> {
    summary["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["what"].as_str().unwrap().to_string())
        .collect()
}

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js or OpenZeppelin is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn a_local_deployment_is_complete_verified_and_a_rerun_sends_nothing() {
    let node = Node::start();
    let dir = scratch("full");
    let first = deploy_json(&node, &dir);
    let record: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("412346.json")).unwrap()).unwrap();
    for role in [
        "vault",
        "marginModule",
        "tradingModule",
        "liquidationModule",
        "portfolioEngine",
        "crossEngine",
        "oracleAdapter",
        "depegGuard",
    ] {
        let c = &record["contracts"][role];
        assert!(
            c["address"].is_string() && c["codeHash"].is_string(),
            "{role}: {record}"
        );
    }
    for symbol in ["USDC", "WETH", "wstETH", "WBTC"] {
        assert!(record["assets"][symbol]["token"].is_string(), "{symbol}");
        assert!(record["assets"][symbol]["feed"].is_string(), "{symbol}");
    }
    // wstETH is depeg-guarded: its rate and market feeds for the guard.
    for feed in ["rateFeed", "marketFeed"] {
        assert!(record["assets"]["wstETH"][feed].is_string(), "{record}");
    }
    assert_eq!(sent(&first), steps(&first).len() as u64);
    eprintln!(
        "a full local deployment: {} transactions, {} gas, {:.2} s",
        sent(&first),
        first["gasUsed"],
        first["seconds"].as_f64().unwrap()
    );

    let blocks = node.block_number();
    let again = deploy_json(&node, &dir);
    assert_eq!(
        sent(&again),
        0,
        "a rerun sends nothing: {:?}",
        steps(&again)
    );
    assert_eq!(node.block_number(), blocks);

    let report = keel_json(&[
        "verify",
        "--rpc-url",
        &node.url,
        "--deployments",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(report["differences"], serde_json::json!([]), "{report}");
    for p in report["programs"].as_array().unwrap() {
        assert_eq!(
            (
                p["codeMatches"].as_bool(),
                p["active"].as_bool(),
                p["cached"].as_bool()
            ),
            (Some(true), Some(true), Some(false)),
            "{p}"
        );
        assert!(p["timeLeft"].as_u64().unwrap() > 360 * 86_400, "{p}");
    }

    // `--cache` bids for each program at the cache manager's minimum, once.
    let d = dir.to_str().unwrap();
    let cached = keel_json(&[
        "deploy",
        "--cache",
        "--rpc-url",
        &node.url,
        "--deployments",
        d,
    ]);
    let bids: Vec<String> = steps(&cached)
        .into_iter()
        .filter(|s| s.starts_with("cache "))
        .collect();
    assert_eq!((sent(&cached), bids.len()), (8, 8), "{bids:?}");
    let again = keel_json(&[
        "deploy",
        "--cache",
        "--rpc-url",
        &node.url,
        "--deployments",
        d,
    ]);
    assert_eq!(sent(&again), 0, "cached programs are not bid for again");
    let report = keel_json(&["verify", "--rpc-url", &node.url, "--deployments", d]);
    for p in report["programs"].as_array().unwrap() {
        assert_eq!(p["cached"].as_bool(), Some(true), "{p}");
    }

    // An account's life through `keel account`: the dev key's account, funded by the faucet.
    let dev = "0x3f1Eae7D46d88F08fc2F8ed27FCb2AB183EB2d0E";
    let d = dir.to_str().unwrap();
    let chain = ["--rpc-url", node.url.as_str(), "--deployments", d];
    let with = |args: &[&str]| -> Vec<String> {
        args.iter()
            .chain(chain.iter())
            .map(|a| a.to_string())
            .collect()
    };
    let run = |args: Vec<String>| -> Value {
        let refs: Vec<&str> = args.iter().map(String::as_str).collect();
        keel_json(&refs)
    };
    run(with(&["faucet", "USDC", dev, "10000"]));
    run(with(&["faucet", "WETH", dev, "3"]));
    let opened = run(with(&["account", "open", "--mode", "portfolio"]));
    let id = opened["id"].as_str().unwrap().to_string();
    let deposits = run(with(&["account", "deposit", &id, "USDC", "5000"]));
    assert_eq!(
        deposits.as_array().unwrap().len(),
        2,
        "approve, then deposit: {deposits}"
    );
    run(with(&["account", "deposit", &id, "WETH", "2"]));
    let margin = run(with(&["account", "margin", &id]));
    let modes: Vec<&str> = margin
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["mode"].as_str().unwrap())
        .collect();
    assert_eq!(modes, ["isolated", "cross", "portfolio"]);
    // 5,000 USDC at 1 and 2 WETH at 2,000.
    assert_eq!(margin[2]["markToMarket"], "9,000.00", "{margin}");
    run(with(&["account", "withdraw", &id, "USDC", "100"]));
    let refused = keel()
        .args(with(&["account", "withdraw", &id, "USDC", "1000000"]))
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let why = String::from_utf8_lossy(&refused.stderr);
    assert!(why.contains("InsufficientCash"), "{why}");
    // A second account, of the test mnemonic's first key, makes a market through the RFQ
    // market; the dev key's account takes 2 ETH of perp.
    let maker_key = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
    let maker = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";
    run(with(&["faucet", "USDC", maker, "10000"]));
    let maker_id = run(with(&["account", "open", "--private-key", maker_key]))["id"]
        .as_str()
        .unwrap()
        .to_string();
    run(with(&[
        "account",
        "deposit",
        &maker_id,
        "USDC",
        "10000",
        "--private-key",
        maker_key,
    ]));
    let market = record_now(&dir)["contracts"]["rfqMarket"]["address"]
        .as_str()
        .unwrap()
        .to_string();
    let unapproved = keel()
        .args(with(&[
            "trade",
            "perp",
            "WETH",
            "--size",
            "2",
            "--price",
            "2000",
            "--maker",
            &maker_id,
            "--taker",
            &id,
            "--maker-key",
            maker_key,
        ]))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&unapproved.stderr).contains("has not approved the RFQ market"));
    run(with(&[
        "account",
        "operator",
        &maker_id,
        &market,
        "--private-key",
        maker_key,
    ]));
    let traded = run(with(&[
        "trade",
        "perp",
        "WETH",
        "--size",
        "2",
        "--price",
        "2000",
        "--maker",
        &maker_id,
        "--taker",
        &id,
        "--maker-key",
        maker_key,
    ]));
    assert_eq!(
        traded.as_array().unwrap().len(),
        2,
        "approve the market on the taker's account, then fill: {traded}"
    );
    let positions = run(with(&["account", "positions", &id]));
    assert_eq!(positions[0]["size"], "2000000000000000000", "{positions}");
    let maker_positions = run(with(&["account", "positions", &maker_id]));
    assert_eq!(
        maker_positions[0]["size"], "-2000000000000000000",
        "{maker_positions}"
    );
    let margin = run(with(&["account", "margin", &id]));
    assert_ne!(
        margin[2]["initialSurplus"], margin[2]["markToMarket"],
        "the perp needs margin: {margin}"
    );
    // All its cash may go; its WETH then backs the perp, and taking it is refused.
    run(with(&["account", "withdraw", &id, "USDC", "4900"]));
    let below = keel()
        .args(with(&["account", "withdraw", &id, "WETH", "2"]))
        .output()
        .unwrap();
    let why = String::from_utf8_lossy(&below.stderr);
    assert!(
        why.contains("BelowInitialMargin: account 1 would be")
            && why.contains("USD short of initial margin"),
        "{why}"
    );
    // `keel margin --account` is `keel account margin`.
    assert_eq!(
        run(with(&["margin", "--account", &id])),
        run(with(&["account", "margin", &id]))
    );
    // Expiry data as a feeder (the deployer is one), checked against the bounds.
    let expiry = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 30 * 86_400)
        .to_string();
    let svi = [
        "--rate",
        "0.03",
        "--svi-a",
        "0.04",
        "--svi-b",
        "0.1",
        "--svi-rho",
        "-0.3",
        "--svi-m",
        "0",
        "--svi-sigma",
        "0.2",
    ];
    let pushed = run(with(
        &[
            &["oracle", "push", "WETH", &expiry, "--forward", "2010"][..],
            &svi[..],
        ]
        .concat(),
    ));
    assert!(pushed["gasUsed"].as_u64().unwrap() > 0);
    let out_of_band = keel()
        .args(with(
            &[
                &["oracle", "push", "WETH", &expiry, "--forward", "9000"][..],
                &svi[..],
            ]
            .concat(),
        ))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out_of_band.stderr).contains("ForwardOutOfBand"));
    let status = run(with(&["status"]));
    assert_eq!(
        (status["paused"].as_bool(), status["accounts"].as_u64()),
        (Some(false), Some(2)),
        "{status}"
    );
    assert_eq!(status["sequencerUp"].as_bool(), Some(true));

    // The faucet mints whole units of a local token.
    let to = "0x00000000000000000000000000000000000000a1";
    let minted = keel_json(&[
        "faucet",
        "--rpc-url",
        &node.url,
        "--deployments",
        dir.to_str().unwrap(),
        "USDC",
        to,
        "1234.5",
    ]);
    assert_eq!(minted["units"], "1234500000");
    let unknown = keel()
        .args([
            "faucet",
            "--rpc-url",
            &node.url,
            "--deployments",
            dir.to_str().unwrap(),
            "EUR",
            to,
            "1",
        ])
        .output()
        .unwrap();
    assert!(!unknown.status.success());
    assert!(String::from_utf8_lossy(&unknown.stderr).contains("`EUR` is not a local token"));
}

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js or OpenZeppelin is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn a_deployment_killed_half_way_finishes_on_rerun_without_redeploying() {
    let node = Node::start();
    let dir = scratch("killed");
    let mut child = keel()
        .args([
            "deploy",
            "--rpc-url",
            &node.url,
            "--deployments",
            dir.to_str().unwrap(),
        ])
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("keel deploy starts");
    let stderr = BufReader::new(child.stderr.take().unwrap());
    let mut done = Vec::new();
    for line in stderr.lines() {
        let line = line.unwrap();
        done.push(line.clone());
        if line.starts_with("[10]") {
            child.kill().unwrap();
            break;
        }
    }
    let _ = child.wait();
    assert!(done.len() >= 10, "the deployment got under way: {done:?}");
    let partial: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("412346.json")).expect("a record after each step"),
    )
    .unwrap();
    assert_eq!(
        partial["contracts"].as_object().unwrap().len(),
        8,
        "{partial}"
    );

    let rest = deploy_json(&node, &dir);
    let what = steps(&rest);
    assert!(sent(&rest) > 0);
    assert!(
        what.iter()
            .all(|w| !w.starts_with("deploy vault") && !w.contains("(keel_")),
        "no program is deployed twice: {what:?}"
    );
    let report = keel_json(&[
        "verify",
        "--rpc-url",
        &node.url,
        "--deployments",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(report["differences"], serde_json::json!([]), "{report}");
    assert_eq!(sent(&deploy_json(&node, &dir)), 0);
}

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js or OpenZeppelin is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn bad_input_is_named_before_anything_is_sent() {
    let node = Node::start();
    let dir = scratch("bad");
    let local =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/local.toml"))
            .unwrap();
    let refused = |toml: &str, extra: &[&str]| -> String {
        let file = dir.join("bad.toml");
        std::fs::write(&file, toml).unwrap();
        let out = keel()
            .args([
                "deploy",
                "--rpc-url",
                &node.url,
                "--deployments",
                dir.to_str().unwrap(),
                "--config",
                file.to_str().unwrap(),
            ])
            .args(extra)
            .output()
            .unwrap();
        assert!(!out.status.success(), "refused");
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let unknown_key = refused(
        &local.replace(
            "grace_period = 3600",
            "grace_period = 3600\ngrace_perod = 1",
        ),
        &[],
    );
    assert!(unknown_key.contains("grace_perod"), "{unknown_key}");
    let haircut = refused(
        &local.replace("im_haircut = \"0.02\"", "im_haircut = \"1.2\""),
        &[],
    );
    assert!(
        haircut.contains("assets.USDC.collateral.im_haircut"),
        "{haircut}"
    );
    let other_chain = refused(
        &local.replace("chain_id = 412346", "chain_id = 421614"),
        &[],
    );
    assert!(
        other_chain.contains("local\" tokens and feeds are for local chains"),
        "{other_chain}"
    );
    let with_feed = local.replace("chain_id = 412346", "chain_id = 31337");
    let wrong_rpc = refused(&with_feed, &[]);
    assert!(
        wrong_rpc.contains("is chain 412346, but the deployment file is for chain 31337"),
        "{wrong_rpc}"
    );
    let no_funds = refused(
        &local,
        &[
            "--private-key",
            "0x1111111111111111111111111111111111111111111111111111111111111111",
        ],
    );
    assert!(no_funds.contains("holds no ETH"), "{no_funds}");
    let no_code = refused(
        &local.replace(
            "[assets.WBTC]\ntoken = \"local\"\ndecimals = 8\nfeed = \"local\"",
            "[assets.WBTC]\ntoken = \"local\"\ndecimals = 8\nfeed = \"0x00000000000000000000000000000000000bad00\"",
        ),
        &[],
    );
    assert!(
        no_code
            .to_lowercase()
            .contains("assets.wbtc.feed: 0x00000000000000000000000000000000000bad00 holds no code"),
        "{no_code}"
    );
    assert_eq!(node.block_number(), 0, "nothing was sent");
}

/// Runs cast; its trimmed stdout, failing the test on a non-zero exit.
fn cast(args: &[&str]) -> String {
    let cast = keel_cli::abi::foundry_tool(&keel_cli::solidity::repo_root(), "cast")
        .unwrap_or_else(|e| panic!("{e}"));
    let out = Command::new(cast).args(args).output().expect("cast runs");
    assert!(
        out.status.success(),
        "cast {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

#[test]
#[cfg_attr(
    any(keel_no_solc, keel_no_cast),
    ignore = "solc-js, OpenZeppelin or Foundry's cast is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn two_accounts_life_driven_by_cast_alone() {
    // Deployed by keel; from here on only cast, as the README shows it.
    let node = Node::start();
    let dir = scratch("cast");
    deploy_json(&node, &dir);
    let record = record_now(&dir);
    let at = |path: &str| {
        record
            .pointer(path)
            .and_then(Value::as_str)
            .unwrap()
            .to_string()
    };
    let (vault, usdc, weth, market) = (
        at("/contracts/vault/address"),
        at("/assets/USDC/token"),
        at("/assets/WETH/token"),
        at("/contracts/rfqMarket/address"),
    );
    let rpc = node.url.as_str();
    let taker_key = keel_cli::deployment::NITRO_DEV_KEY;
    let maker_key = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
    let send = |key: &str, to: &str, sig: &str, args: &[&str]| {
        cast(
            &[
                // A gas limit with headroom over the estimate, as on any chain: the fill
                // costs more if a second passes between the estimate and the block.
                &[
                    "send",
                    "--rpc-url",
                    rpc,
                    "--gas-limit",
                    "5000000",
                    "--private-key",
                    key,
                    to,
                    sig,
                ][..],
                args,
            ]
            .concat(),
        );
    };
    for key in [taker_key, maker_key] {
        let me = cast(&["wallet", "address", "--private-key", key]);
        send(key, &usdc, "mint(address,uint256)", &[&me, "10000000000"]);
        send(
            key,
            &usdc,
            "approve(address,uint256)",
            &[
                &vault,
                "115792089237316195423570985008687907853269984665640564039457584007913129639935",
            ],
        );
        send(key, &vault, "openAccount(uint8)", &["2"]);
    }
    assert_eq!(
        cast(&["call", "--rpc-url", rpc, &vault, "accountCount()(uint256)"]),
        "2"
    );
    for (key, id) in [(taker_key, "1"), (maker_key, "2")] {
        send(
            key,
            &vault,
            "deposit(uint256,address,uint256)",
            &[id, &usdc, "10000000000"],
        );
        send(
            key,
            &vault,
            "setOperator(uint256,address,bool)",
            &[id, &market, "true"],
        );
    }
    // The maker signs an EIP-712 quote: 2 ETH of perp to the taker at 2,000.
    let perp = cast(&[
        "call",
        "--rpc-url",
        rpc,
        &vault,
        "instrumentId(address,uint8,uint64,uint256)(uint256)",
        &weth,
        "0",
        "0",
        "0",
    ]);
    // cast glosses a large number (`1606…376 [1.606e60]`); the README keeps the first word.
    let perp = perp
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string();
    let now: u64 = cast(&["block", "--rpc-url", rpc, "latest", "--field", "timestamp"])
        .parse()
        .unwrap();
    let quote = format!(
        "({perp},2,2000000000000000000,2000000000000000000000,0,0,{},7)",
        now + 600
    );
    let quote_type = "(uint256,uint256,int256,uint256,uint256,uint256,uint256,uint256)";
    let digest = cast(&[
        "call",
        "--rpc-url",
        rpc,
        &market,
        &format!("quoteDigest({quote_type})(bytes32)"),
        &quote,
    ]);
    let signature = cast(&[
        "wallet",
        "sign",
        "--no-hash",
        "--private-key",
        maker_key,
        &digest,
    ]);
    send(
        taker_key,
        &market,
        &format!("fill({quote_type},bytes,uint256)"),
        &[&quote, &signature, "1"],
    );
    let positions = cast(&[
        "call",
        "--rpc-url",
        rpc,
        &vault,
        "positions(uint256)((uint256,int256,int256)[])",
        "1",
    ]);
    assert!(positions.contains("2000000000000000000"), "{positions}");
    // All its cash out would leave the perp unmargined: refused with BelowInitialMargin.
    let taker = cast(&["wallet", "address", "--private-key", taker_key]);
    let cast_bin = keel_cli::abi::foundry_tool(&keel_cli::solidity::repo_root(), "cast").unwrap();
    let refused = Command::new(cast_bin)
        .args([
            "send",
            "--rpc-url",
            rpc,
            "--private-key",
            taker_key,
            &vault,
            "withdraw(uint256,address,uint256,address)",
            "1",
            &usdc,
            "10000000000",
            &taker,
        ])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    let selector = cast(&["sig", "BelowInitialMargin(uint256,int256)"]);
    let why = String::from_utf8_lossy(&refused.stderr).to_lowercase();
    assert!(why.contains(&selector[2..]), "{why}");
}
