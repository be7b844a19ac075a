//! `keel node` as its users reach it: the real binary, driven over JSON-RPC by Foundry's
//! `cast` and by hand-written requests — EVM and Stylus deployments, activation through
//! `ArbWasm`, bad input, and a restart from the state file.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use alloy_sol_types::SolError;
use serde_json::Value;

/// The first test-mnemonic account (the node's dev account 1).
const KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const SENDER: &str = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266";

alloy_sol_types::sol! {
    error ProgramNotActivated();
    error ProgramInsufficientValue(uint256 have, uint256 want);
}

/// A `keel node` process, killed when dropped.
struct NodeProcess {
    child: Child,
    url: String,
    addr: String,
}

impl NodeProcess {
    fn start(extra: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_keel"))
            .args(["node", "--port", "0"])
            .args(extra)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("keel node starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let mut lines = BufReader::new(stdout).lines();
        let addr = loop {
            let line = lines
                .next()
                .expect("keel node printed its address before exiting")
                .expect("readable output");
            if let Some(rest) = line.strip_prefix("Listening on ") {
                break rest
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
            }
        };
        // Keep draining the banner and later lines so the node never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        NodeProcess {
            child,
            url: format!("http://{addr}"),
            addr,
        }
    }

    /// Sends SIGTERM and waits for a clean exit.
    fn terminate(mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let exit = self.child.wait().expect("the node exits");
        assert!(exit.success(), "keel node exited with {exit}");
    }

    /// One raw HTTP POST of `body`; the response body.
    fn post(&self, body: &str) -> String {
        let mut stream = TcpStream::connect(&self.addr).expect("the node accepts connections");
        let request = format!(
            "POST / HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        );
        // A server refusing an oversized body may answer and close before reading it all.
        let sent = stream.write_all(request.as_bytes());
        let mut response = String::new();
        let read = stream.read_to_string(&mut response);
        assert!(
            sent.is_ok() || !response.is_empty(),
            "the node neither read the request nor answered: {sent:?} {read:?}"
        );
        let (_, body) = response.split_once("\r\n\r\n").unwrap_or(("", &response));
        body.to_string()
    }

    fn rpc(&self, method: &str, params: Value) -> Value {
        let body =
            serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let text = self.post(&body.to_string());
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    }
}

impl Drop for NodeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Foundry tool (`cast`, `forge`) installed from npm in abi/.
fn foundry(tool: &str) -> PathBuf {
    keel_cli::abi::foundry_tool(&keel_cli::solidity::repo_root(), tool)
        .unwrap_or_else(|e| panic!("{e}"))
}

fn cast_path() -> PathBuf {
    foundry("cast")
}

/// Runs cast; (success, stdout, stderr).
fn cast(args: &[&str]) -> (bool, String, String) {
    let out = Command::new(cast_path())
        .args(args)
        .output()
        .expect("cast runs");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).trim().to_string(),
        String::from_utf8_lossy(&out.stderr).trim().to_string(),
    )
}

fn cast_ok(args: &[&str]) -> String {
    let (ok, stdout, stderr) = cast(args);
    assert!(ok, "cast {args:?} failed: {stderr}");
    stdout
}

fn hex(bytes: impl AsRef<[u8]>) -> String {
    bytes.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// EVM init code deploying `runtime`.
fn init_code(runtime: &[u8]) -> String {
    let code = keel_cli::artifact::init_code(runtime).expect("code fits PUSH2");
    format!("0x{}", hex(code))
}

/// EVM code that logs its calldata's first word as topic 1 of a LOG1, stores it in slot 0
/// and returns it.
fn logger() -> Vec<u8> {
    vec![
        0x5f, 0x35, // PUSH0 CALLDATALOAD
        0x80, 0x5f, 0x55, // DUP1 PUSH0 SSTORE
        0x80, 0x5f, 0x5f, 0xa1, // DUP1 PUSH0 PUSH0 LOG1
        0x5f, 0x52, // PUSH0 MSTORE
        0x60, 0x20, 0x5f, 0xf3, // PUSH1 32 PUSH0 RETURN
    ]
}

fn token_init_code() -> String {
    let dir = keel_cli::contracts::artifact_dir().expect("the test programs build");
    let wasm = std::fs::read(dir.join("keel_test_token.wasm")).expect("keel_test_token.wasm");
    let deployable =
        keel_cli::artifact::deployable_code(&keel_cli::artifact::deployed_module(&wasm));
    init_code(&deployable)
}

fn created(receipt_json: &str) -> String {
    let receipt: Value = serde_json::from_str(receipt_json).expect("a JSON receipt");
    assert_eq!(receipt["status"], "0x1", "{receipt}");
    receipt["contractAddress"]
        .as_str()
        .expect("a created contract")
        .to_string()
}

#[test]
#[cfg_attr(
    keel_no_cast,
    ignore = "Foundry's cast is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn cast_deploys_and_calls_evm_code_and_a_stylus_program_activated_through_arb_wasm() {
    let node = NodeProcess::start(&[]);
    let url = node.url.as_str();
    let rpc = ["--rpc-url", url];
    let with_key = ["--rpc-url", url, "--private-key", KEY];

    assert_eq!(cast_ok(&["chain-id", "--rpc-url", url]), "412346");
    assert_eq!(cast_ok(&["block-number", "--rpc-url", url]), "0");

    // EVM code: create, estimate, send, call, receipt, logs, block.
    let receipt = cast_ok(
        &[
            &["send"][..],
            &with_key,
            &["--json", "--create", &init_code(&logger())],
        ]
        .concat(),
    );
    let logger = created(&receipt);
    let word = format!("0x{:064x}", 0xbeef);
    let estimate: u64 = cast_ok(&[&["estimate"][..], &rpc, &[&logger, &word]].concat())
        .parse()
        .expect("a gas figure");
    assert!(
        estimate > 21_000 + 20_000 && estimate < 100_000,
        "{estimate}"
    );
    let sent = cast_ok(&[&["send"][..], &with_key, &["--json", &logger, &word]].concat());
    let sent: Value = serde_json::from_str(&sent).unwrap();
    assert_eq!(sent["status"], "0x1");
    let hash = sent["transactionHash"].as_str().unwrap();
    let raw = node.rpc("eth_getTransactionReceipt", serde_json::json!([hash]));
    assert_eq!(raw["result"]["l1BlockNumber"], raw["result"]["blockNumber"]);
    assert_eq!(raw["result"]["gasUsedForL1"], "0x0");
    let status = cast_ok(&[&["receipt"][..], &rpc, &[hash, "status"]].concat());
    assert!(status == "true" || status.starts_with('1'), "{status}");
    assert_eq!(
        cast_ok(&[&["call"][..], &rpc, &[&logger, &word]].concat()),
        word
    );
    let logs = cast_ok(
        &[
            &["logs"][..],
            &rpc,
            &["--json", "--address", &logger, "--from-block", "0"],
        ]
        .concat(),
    );
    let logs: Value = serde_json::from_str(&logs).unwrap();
    assert_eq!(logs[0]["topics"][0], word.as_str());
    let block = cast_ok(&[&["block"][..], &rpc, &["--json", "latest"]].concat());
    let block: Value = serde_json::from_str(&block).unwrap();
    assert_eq!(block["transactions"][0], hash);
    assert_ne!(block["baseFeePerGas"], "0x0");

    // The clock: evm_increaseTime moves the next block's timestamp.
    let before: u64 =
        cast_ok(&[&["block"][..], &rpc, &["latest", "--field", "timestamp"]].concat())
            .parse()
            .unwrap();
    cast_ok(&[&["rpc"][..], &rpc, &["evm_increaseTime", "3600"]].concat());
    cast_ok(&[&["rpc"][..], &rpc, &["evm_mine"]].concat());
    let after: u64 = cast_ok(&[&["block"][..], &rpc, &["latest", "--field", "timestamp"]].concat())
        .parse()
        .unwrap();
    assert!(after >= before + 3600, "{before} -> {after}");

    // A Stylus program: created by `cast send --create`, refused until activated.
    let receipt = cast_ok(
        &[
            &["send"][..],
            &with_key,
            &["--json", "--create", &token_init_code()],
        ]
        .concat(),
    );
    let token = created(&receipt);
    let balance_of = ["balanceOf(address)(uint256)", SENDER];
    let (ok, _, stderr) = cast(&[&["call"][..], &rpc, &[&token], &balance_of].concat());
    assert!(!ok);
    let not_activated = hex(ProgramNotActivated {}.abi_encode());
    assert!(stderr.contains(&not_activated), "{stderr}");

    let activate = [
        "0x0000000000000000000000000000000000000071",
        "activateProgram(address)",
        &token,
    ];
    let (ok, _, stderr) =
        cast(&[&["send"][..], &with_key, &activate, &["--value", "1wei"]].concat());
    assert!(!ok, "activation without its data fee must fail");
    let selector = hex(ProgramInsufficientValue::SELECTOR);
    assert!(stderr.contains(&selector), "{stderr}");

    let activated = cast_ok(
        &[
            &["send"][..],
            &with_key,
            &activate,
            &["--value", "1ether", "--json"],
        ]
        .concat(),
    );
    let activated: Value = serde_json::from_str(&activated).unwrap();
    assert_eq!(activated["status"], "0x1");
    cast_ok(
        &[
            &["send"][..],
            &with_key,
            &[&token, "mint(address,uint256)", SENDER, "1234"],
        ]
        .concat(),
    );
    let balance = cast_ok(&[&["call"][..], &rpc, &[&token], &balance_of].concat());
    assert_eq!(balance, "1234");
}

#[test]
fn bad_requests_get_json_rpc_errors_and_the_node_keeps_serving() {
    let node = NodeProcess::start(&[]);
    let code = |v: &Value| v["error"]["code"].as_i64();

    let malformed: Value = serde_json::from_str(&node.post("{\"jsonrpc\": \"2.0\", ")).unwrap();
    assert_eq!(code(&malformed), Some(-32700));
    let unknown = node.rpc("eth_frobnicate", serde_json::json!([]));
    assert_eq!(code(&unknown), Some(-32601));
    let wrong = node.rpc("eth_getBalance", serde_json::json!(["not an address"]));
    assert_eq!(code(&wrong), Some(-32602));
    assert!(wrong["error"]["message"]
        .as_str()
        .unwrap()
        .contains("parameter 1 (address)"));
    let garbage = node.rpc(
        "eth_sendRawTransaction",
        serde_json::json!(["0x02deadbeef"]),
    );
    assert_eq!(code(&garbage), Some(-32602));

    // A batch answers each call.
    let batch = node.post(
        r#"[{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]},{"jsonrpc":"2.0","id":2,"method":"nope","params":[]}]"#,
    );
    let batch: Value = serde_json::from_str(&batch).unwrap();
    assert_eq!(batch.as_array().map(Vec::len), Some(2));

    // Oversized: a batch of more calls than the limit, a body above the size limit.
    let calls: Vec<Value> = (0..=keel_node::rpc::MAX_BATCH)
        .map(|i| serde_json::json!({"jsonrpc": "2.0", "id": i, "method": "eth_chainId", "params": []}))
        .collect();
    let too_many: Value =
        serde_json::from_str(&node.post(&Value::Array(calls).to_string())).unwrap();
    assert_eq!(code(&too_many), Some(-32010), "{too_many}");
    assert!(
        too_many["error"]["message"]
            .as_str()
            .unwrap()
            .contains("batch"),
        "{too_many}"
    );
    let data = "00".repeat(keel_node::rpc::MAX_REQUEST_BYTES as usize / 2 + 1);
    let huge = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"eth_call","params":[{{"data":"0x{data}"}}]}}"#
    );
    let too_big: Value = serde_json::from_str(&node.post(&huge)).unwrap();
    assert_eq!(code(&too_big), Some(-32007), "{too_big}");

    // Nothing was committed and the node still answers.
    assert_eq!(
        node.rpc("eth_blockNumber", serde_json::json!([]))["result"],
        "0x0"
    );
}

#[test]
#[cfg_attr(
    keel_no_cast,
    ignore = "Foundry's cast is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn the_node_saves_its_state_on_sigterm_and_restarts_from_it() {
    let dir = std::env::temp_dir().join(format!("keel-node-state-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let state = dir.join("chain.json");
    let state_arg = state.to_str().unwrap();

    let node = NodeProcess::start(&["--state", state_arg]);
    let with_key = ["--rpc-url", node.url.as_str(), "--private-key", KEY];
    let receipt = cast_ok(
        &[
            &["send"][..],
            &with_key,
            &["--json", "--create", &init_code(&logger())],
        ]
        .concat(),
    );
    let logger = created(&receipt);
    let word = format!("0x{:064x}", 7);
    cast_ok(&[&["send"][..], &with_key, &[&logger, &word]].concat());
    let recipient = "0x000000000000000000000000000000000000dEaD";
    cast_ok(&[&["send"][..], &with_key, &[recipient, "--value", "3"]].concat());
    node.terminate();
    assert!(Path::new(&state).is_file());

    let node = NodeProcess::start(&["--state", state_arg]);
    let rpc = ["--rpc-url", node.url.as_str()];
    assert_eq!(cast_ok(&[&["block-number"][..], &rpc].concat()), "3");
    assert_eq!(
        cast_ok(&[&["balance"][..], &rpc, &[recipient]].concat()),
        "3"
    );
    assert_eq!(
        cast_ok(&[&["call"][..], &rpc, &[&logger, &word]].concat()),
        word
    );
    let logs = cast_ok(
        &[
            &["logs"][..],
            &rpc,
            &["--json", "--address", &logger, "--from-block", "0"],
        ]
        .concat(),
    );
    let logs: Value = serde_json::from_str(&logs).unwrap();
    assert_eq!(logs.as_array().map(Vec::len), Some(1));
    assert_eq!(logs[0]["topics"][0], word.as_str());
    let _ = std::fs::remove_dir_all(&dir);
}

/// Deploys a Stylus token with cast and activates it; its address.
fn activated_token(url: &str) -> String {
    let with_key = ["--rpc-url", url, "--private-key", KEY];
    let receipt = cast_ok(
        &[
            &["send"][..],
            &with_key,
            &["--json", "--create", &token_init_code()],
        ]
        .concat(),
    );
    let token = created(&receipt);
    let activate = [
        "0x0000000000000000000000000000000000000071",
        "activateProgram(address)",
        &token,
    ];
    cast_ok(&[&["send"][..], &with_key, &activate, &["--value", "1ether"]].concat());
    token
}

#[test]
#[cfg_attr(
    any(keel_no_cast, keel_no_solc),
    ignore = "Foundry or solc-js is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn forge_creates_solidity_that_calls_a_stylus_program_that_calls_back_and_a_revert_undoes_all() {
    let node = NodeProcess::start(&[]);
    let url = node.url.as_str();
    let rpc = ["--rpc-url", url];
    let with_key = ["--rpc-url", url, "--private-key", KEY];
    let token = activated_token(url);

    // forge create, compiling with the pinned solc-js, in a scratch project.
    let root = std::env::temp_dir().join(format!("keel-forge-{}", std::process::id()));
    std::fs::create_dir_all(root.join("src")).unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/solidity/Relay.sol");
    std::fs::copy(&fixture, root.join("src/Relay.sol")).unwrap();
    let solc = Path::new(env!("CARGO_MANIFEST_DIR")).join("../abi/tools/solc");
    let out = Command::new(foundry("forge"))
        .args(["create", "--root"])
        .arg(&root)
        .arg("--use")
        .arg(&solc)
        .args(["--offline", "--broadcast", "--json", "src/Relay.sol:Relay"])
        .args(with_key)
        .output()
        .expect("forge runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "forge create failed: {}{}",
        stdout,
        String::from_utf8_lossy(&out.stderr)
    );
    let json = stdout.find('{').map_or("", |at| &stdout[at..]);
    let deployed: Value = serde_json::from_str(json)
        .unwrap_or_else(|e| panic!("no deployment in forge's output ({e}): {stdout}"));
    let relay = deployed["deployedTo"].as_str().unwrap().to_string();
    let _ = std::fs::remove_dir_all(&root);

    let poke = cast_ok(&["calldata", "poke()"]);
    cast_ok(
        &[
            &["send"][..],
            &with_key,
            &[&token, "setHook(address,bytes)", &relay, &poke],
        ]
        .concat(),
    );
    cast_ok(
        &[
            &["send"][..],
            &with_key,
            &[&token, "mint(address,uint256)", &relay, "100"],
        ]
        .concat(),
    );
    let bob = "0x0000000000000000000000000000000000000B0b";
    let read = |contract: &str, sig: &str, args: &[&str]| {
        cast_ok(&[&["call"][..], &rpc, &[contract, sig], args].concat())
    };
    let relay_call = |revert_after: &str| {
        cast(
            &[
                &["send"][..],
                &with_key,
                &[
                    &relay,
                    "relay(address,address,uint256,bool)",
                    &token,
                    bob,
                    "10",
                    revert_after,
                ],
            ]
            .concat(),
        )
    };

    let (ok, _, stderr) = relay_call("false");
    assert!(ok, "{stderr}");
    assert_eq!(read(&token, "balanceOf(address)(uint256)", &[bob]), "10");
    assert_eq!(read(&relay, "poked()(uint256)", &[]), "1");
    assert_eq!(read(&relay, "relayed()(uint256)", &[]), "1");
    assert_eq!(read(&token, "hookCalls()(uint256)", &[]), "1");

    // The outermost Solidity frame reverts: the Stylus transfer, its hook's call back into
    // Solidity and every write in between are undone.
    let (ok, _, stderr) = relay_call("true");
    assert!(!ok);
    assert!(stderr.contains("Relay: asked to revert"), "{stderr}");
    assert_eq!(read(&token, "balanceOf(address)(uint256)", &[bob]), "10");
    assert_eq!(read(&token, "balanceOf(address)(uint256)", &[&relay]), "90");
    assert_eq!(read(&relay, "poked()(uint256)", &[]), "1");
    assert_eq!(read(&relay, "relayed()(uint256)", &[]), "1");
    assert_eq!(read(&token, "hookCalls()(uint256)", &[]), "1");
}

#[test]
fn dev_methods_snapshot_revert_impersonate_and_poll_filters() {
    let node = NodeProcess::start(&[]);
    let result = |v: Value| v["result"].clone();
    let whale = "0x00000000000000000000000000000000000f1a7e";
    let to = "0x0000000000000000000000000000000000000abc";
    let block_filter = result(node.rpc("eth_newBlockFilter", serde_json::json!([])));
    let snapshot = result(node.rpc("evm_snapshot", serde_json::json!([])));

    // An impersonated account with a balance set by anvil_setBalance sends without a key.
    node.rpc(
        "anvil_setBalance",
        serde_json::json!([whale, "0xde0b6b3a7640000"]),
    );
    let refused = node.rpc(
        "eth_sendTransaction",
        serde_json::json!([{"from": whale, "to": to, "value": "0x1"}]),
    );
    assert_eq!(refused["error"]["code"], -32000, "{refused}");
    node.rpc("anvil_impersonateAccount", serde_json::json!([whale]));
    let sent = node.rpc(
        "eth_sendTransaction",
        serde_json::json!([{"from": whale, "to": to, "value": "0x5"}]),
    );
    let hash = result(sent);
    let tx = result(node.rpc("eth_getTransactionByHash", serde_json::json!([hash])));
    assert_eq!(tx["from"], whale);
    assert_eq!(
        result(node.rpc("eth_getBalance", serde_json::json!([to, "latest"]))),
        "0x5"
    );
    let changes = result(node.rpc("eth_getFilterChanges", serde_json::json!([block_filter])));
    assert_eq!(changes.as_array().map(Vec::len), Some(1));

    // A transfer to an account needs exactly the intrinsic 21,000 gas.
    let estimate = result(node.rpc(
        "eth_estimateGas",
        serde_json::json!([{"from": whale, "to": to, "value": "0x1"}]),
    ));
    assert_eq!(estimate, "0x5208");

    // Back to the snapshot: the block, the balance and the transaction are gone.
    assert_eq!(
        result(node.rpc("evm_revert", serde_json::json!([snapshot]))),
        true
    );
    assert_eq!(
        result(node.rpc("eth_blockNumber", serde_json::json!([]))),
        "0x0"
    );
    assert_eq!(
        result(node.rpc("eth_getBalance", serde_json::json!([to, "latest"]))),
        "0x0"
    );
    assert_eq!(
        result(node.rpc("eth_getTransactionByHash", serde_json::json!([hash]))),
        Value::Null
    );
    assert_eq!(
        result(node.rpc("evm_revert", serde_json::json!([snapshot]))),
        false
    );

    // Earlier states answer by block number and hash: a counter deployed in block 1 and
    // incremented in blocks 2 and 3, a balance set between blocks 3 and 4.
    let dev = "0x3f1eae7d46d88f08fc2f8ed27fcb2ab183eb2d0e"; // the Nitro dev key's account
                                                            // PUSH0 SLOAD PUSH1 1 ADD DUP1 PUSH0 SSTORE PUSH0 MSTORE PUSH1 32 PUSH0 RETURN
    let counter = [
        0x5f, 0x54, 0x60, 0x01, 0x01, 0x80, 0x5f, 0x55, 0x5f, 0x52, 0x60, 0x20, 0x5f, 0xf3,
    ];
    let deploy = result(node.rpc(
        "eth_sendTransaction",
        serde_json::json!([{"from": dev, "data": init_code(&counter)}]),
    ));
    let receipt = result(node.rpc("eth_getTransactionReceipt", serde_json::json!([deploy])));
    let contract = receipt["contractAddress"]
        .as_str()
        .expect("created")
        .to_string();
    for _ in 0..2 {
        node.rpc(
            "eth_sendTransaction",
            serde_json::json!([{"from": dev, "to": contract}]),
        );
    }
    node.rpc("anvil_setBalance", serde_json::json!([to, "0x7"]));
    node.rpc("evm_mine", serde_json::json!([]));
    let word = |n: u64| format!("0x{n:064x}");
    let slot = |block: &str| {
        result(node.rpc(
            "eth_getStorageAt",
            serde_json::json!([contract, "0x0", block]),
        ))
    };
    assert_eq!(slot("0x1"), word(0), "deployed, not yet called");
    assert_eq!(slot("0x2"), word(1));
    assert_eq!(slot("latest"), word(2));
    let block_2 = result(node.rpc("eth_getBlockByNumber", serde_json::json!(["0x2", false])));
    let by_hash = serde_json::json!({"blockHash": block_2["hash"]});
    assert_eq!(slot_by(&node, &contract, by_hash), word(1));
    let call =
        |block: &str| result(node.rpc("eth_call", serde_json::json!([{"to": contract}, block])));
    assert_eq!(
        call("0x2"),
        word(2),
        "a call at block 2 sees that block's state"
    );
    assert_eq!(call("latest"), word(3));
    let code = |block: &str| result(node.rpc("eth_getCode", serde_json::json!([contract, block])));
    assert_eq!(code("0x0"), "0x");
    assert_eq!(code("0x1"), format!("0x{}", hex(counter)));
    let nonce =
        |block: &str| result(node.rpc("eth_getTransactionCount", serde_json::json!([dev, block])));
    assert_eq!(
        (nonce("0x0"), nonce("0x2"), nonce("latest")),
        ("0x0".into(), "0x2".into(), "0x3".into())
    );
    let balance = |block: &str| result(node.rpc("eth_getBalance", serde_json::json!([to, block])));
    assert_eq!(
        (balance("0x3"), balance("latest")),
        ("0x0".into(), "0x7".into())
    );
    let future = node.rpc("eth_getBalance", serde_json::json!([to, "0x99"]));
    assert_eq!(future["error"]["code"], -32602, "{future}");
}

fn slot_by(node: &NodeProcess, contract: &str, block: Value) -> Value {
    node.rpc(
        "eth_getStorageAt",
        serde_json::json!([contract, "0x0", block]),
    )["result"]
        .clone()
}

#[test]
#[cfg_attr(
    keel_no_cast,
    ignore = "Foundry's cast is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn invalid_transactions_are_refused_with_a_reason_and_a_reverting_one_is_mined_with_status_0() {
    let node = NodeProcess::start(&[]);
    let url = node.url.as_str();
    let to = "0x000000000000000000000000000000000000bEEF";
    let signed = |extra: &[&str], key: &str| {
        cast_ok(
            &[
                &[
                    "mktx",
                    "--rpc-url",
                    url,
                    "--private-key",
                    key,
                    to,
                    "--value",
                    "1",
                ][..],
                extra,
            ]
            .concat(),
        )
    };
    let refusal = |raw: String| {
        let answer = node.rpc("eth_sendRawTransaction", serde_json::json!([raw]));
        assert_eq!(answer["error"]["code"], -32000, "{answer}");
        answer["error"]["message"]
            .as_str()
            .unwrap_or_default()
            .to_lowercase()
    };
    let nonce_high = refusal(signed(&["--nonce", "7", "--gas-limit", "21000"], KEY));
    assert!(nonce_high.contains("nonce"), "{nonce_high}");
    let wrong_chain = refusal(signed(
        &["--chain", "1", "--nonce", "0", "--gas-limit", "21000"],
        KEY,
    ));
    assert!(wrong_chain.contains("chain id"), "{wrong_chain}");
    let low_gas = refusal(signed(&["--nonce", "0", "--gas-limit", "20000"], KEY));
    assert!(low_gas.contains("gas"), "{low_gas}");
    let unfunded = "0x0000000000000000000000000000000000000000000000000000000000000001";
    let broke = refusal(signed(&["--nonce", "0", "--gas-limit", "21000"], unfunded));
    assert!(broke.contains("funds"), "{broke}");
    // None of it was mined.
    assert_eq!(
        node.rpc("eth_blockNumber", serde_json::json!([]))["result"],
        "0x0"
    );

    // A transaction that reverts is mined, with status 0: code that always reverts.
    let receipt = cast_ok(&[
        "send",
        "--rpc-url",
        url,
        "--private-key",
        KEY,
        "--json",
        "--create",
        &init_code(&[0x5f, 0x5f, 0xfd]),
    ]);
    let reverter = created(&receipt);
    let (_, stdout, stderr) = cast(&[
        "send",
        "--rpc-url",
        url,
        "--private-key",
        KEY,
        "--gas-limit",
        "100000",
        "--json",
        &reverter,
    ]);
    let mined: Value = serde_json::from_str(&stdout).unwrap_or_else(|_| panic!("{stdout}{stderr}"));
    assert_eq!(mined["status"], "0x0");
    assert_eq!(
        node.rpc("eth_blockNumber", serde_json::json!([]))["result"],
        "0x2"
    );
}
