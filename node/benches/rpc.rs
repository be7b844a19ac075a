//! `cargo bench -p keel-node --bench rpc`: keel node's throughput over HTTP JSON-RPC on this
//! machine — start time; `eth_call` requests per second of a Stylus view (the test token's
//! `balanceOf`) and transactions per second of its transfers; then, on a node whose genesis
//! is Keel's whole vault wired on a `TestChain` (real WASM, Solidity USDC and feeds),
//! `eth_call` requests per second of the vault's `margin(id)` view and transactions per second
//! of USDC deposits (Stylus vault pulling the Solidity token). Every transaction is sent with
//! `eth_sendTransaction` and sealed in its own block. Prints figures; asserts nothing.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Instant;

use alloy_primitives::{Address, U256};
use alloy_sol_types::{sol, SolCall};
use keel_node::launch::{launch, NodeConfig};
use serde_json::{json, Value};

sol! {
    function balanceOf(address account) external view returns (uint256);
    function transfer(address to, uint256 amount) external returns (bool);
    function mint(address to, uint256 amount) external;
    function activateProgram(address program) external payable returns (uint16, uint256);
}

/// One HTTP connection, kept alive.
struct Client {
    stream: TcpStream,
}

impl Client {
    fn connect(addr: SocketAddr) -> Self {
        Client {
            stream: TcpStream::connect(addr).expect("the node accepts connections"),
        }
    }

    fn rpc(&mut self, method: &str, params: Value) -> Value {
        let body =
            json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).to_string();
        let request = format!(
            "POST / HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        );
        self.stream.write_all(request.as_bytes()).expect("sent");
        let mut buf = Vec::new();
        let mut chunk = [0u8; 8192];
        loop {
            let n = self.stream.read(&mut chunk).expect("read");
            buf.extend_from_slice(&chunk[..n]);
            let text = String::from_utf8_lossy(&buf);
            if let Some((head, rest)) = text.split_once("\r\n\r\n") {
                let length = head
                    .lines()
                    .find_map(|l| {
                        l.to_ascii_lowercase()
                            .strip_prefix("content-length:")
                            .map(|v| v.trim().parse::<usize>().unwrap_or(0))
                    })
                    .unwrap_or(0);
                if rest.len() >= length {
                    let value: Value = serde_json::from_str(&rest[..length]).expect("JSON");
                    if let Some(error) = value.get("error") {
                        panic!("{method}: {error}");
                    }
                    return value["result"].clone();
                }
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    format!(
        "0x{}",
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()
    )
}

fn main() {
    let dir = keel_cli::contracts::artifact_dir().expect("the test programs build");
    let wasm = std::fs::read(dir.join("keel_test_token.wasm")).expect("keel_test_token.wasm");
    let deployable =
        keel_cli::artifact::deployable_code(&keel_cli::artifact::deployed_module(&wasm));
    let init = keel_cli::artifact::init_code(&deployable).expect("code fits PUSH2");

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let started = Instant::now();
    let running = runtime
        .block_on(launch(NodeConfig {
            port: 0,
            ..NodeConfig::default()
        }))
        .expect("the node starts");
    let start_ms = started.elapsed().as_secs_f64() * 1e3;
    let mut client = Client::connect(running.addr);
    let from: Address = running.shared.node().accounts()[1];

    let created = client.rpc(
        "eth_sendTransaction",
        json!([{"from": from, "data": hex(&init)}]),
    );
    let receipt = client.rpc("eth_getTransactionReceipt", json!([created]));
    let token: Address = serde_json::from_value(receipt["contractAddress"].clone()).unwrap();
    let activate = activateProgramCall { program: token }.abi_encode();
    client.rpc("eth_sendTransaction", json!([{"from": from, "to": "0x0000000000000000000000000000000000000071", "data": hex(&activate), "value": "0xde0b6b3a7640000"}]));
    let mint = mintCall {
        to: from,
        amount: U256::from(10u64.pow(12)),
    }
    .abi_encode();
    client.rpc(
        "eth_sendTransaction",
        json!([{"from": from, "to": token, "data": hex(&mint)}]),
    );

    let view = hex(&balanceOfCall { account: from }.abi_encode());
    let calls = 2_000;
    let t = Instant::now();
    for _ in 0..calls {
        client.rpc("eth_call", json!([{"to": token, "data": view}, "latest"]));
    }
    let calls_per_s = f64::from(calls) / t.elapsed().as_secs_f64();

    let sends = 300;
    let t = Instant::now();
    for i in 0..sends {
        let to = Address::with_last_byte((i % 200) as u8 + 1);
        let transfer = hex(&transferCall {
            to,
            amount: U256::from(1),
        }
        .abi_encode());
        client.rpc(
            "eth_sendTransaction",
            json!([{"from": from, "to": token, "data": transfer, "gas": "0x100000"}]),
        );
    }
    let sends_per_s = f64::from(sends) / t.elapsed().as_secs_f64();

    let _ = running.handle.stop();
    let vault = runtime.block_on(vault_figures());

    println!("keel node (HTTP JSON-RPC, one keep-alive connection, this machine)");
    println!("  start (fresh chain, bind):                 {start_ms:>10.1} ms");
    println!("  eth_call balanceOf (Stylus view):          {calls_per_s:>10.0} requests/s  ({calls} calls)");
    println!("  eth_sendTransaction transfer (Stylus):     {sends_per_s:>10.0} transactions/s  ({sends} txs, automine)");
    println!(
        "  start (genesis: the wired vault):          {:>10.1} ms",
        vault.start_ms
    );
    println!(
        "  eth_call margin(id) (vault view):          {:>10.0} requests/s  ({} calls)",
        vault.calls_per_s, vault.calls
    );
    println!(
        "  eth_sendTransaction deposit (vault):       {:>10.0} transactions/s  ({} txs, automine)",
        vault.sends_per_s, vault.sends
    );
}

struct VaultFigures {
    start_ms: f64,
    calls: u32,
    calls_per_s: f64,
    sends: u32,
    sends_per_s: f64,
}

/// The vault's figures: wired on a `TestChain` at the present time (every program kept alive
/// then), handed to a node as its genesis, then driven over JSON-RPC by dev account 0.
async fn vault_figures() -> VaultFigures {
    use keel_cli::bench::{self, test_token, Counterparts, IMarginVault as I, USDC};

    let dir = keel_cli::contracts::artifact_dir().expect("the contracts build");
    let codes = bench::load(&dir).expect("the artifacts load");
    let mut v = bench::set_up_with(&codes, Counterparts::Solidity).expect("the vault wires");
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("a clock after 1970")
        .as_secs();
    v.warp(now).expect("the feeds move to now");
    for (_, program) in v.programs.clone() {
        v.host.activate(program).expect("kept alive");
    }
    let dev: Address = keel_node::node::dev_signers()[0].address();
    let amount = U256::from(10u64.pow(18));
    v.send_to(dev, USDC, test_token::mintCall { to: dev, amount })
        .expect("mint");
    v.send_to(
        dev,
        USDC,
        test_token::approveCall {
            spender: v.vault,
            amount: U256::MAX,
        },
    )
    .expect("approve");
    let id = v.open(dev, 2).expect("a portfolio account");
    v.deposit(dev, id, USDC, U256::from(1_000_000_000u64))
        .expect("a first deposit");

    let started = Instant::now();
    let running = launch(NodeConfig {
        port: 0,
        genesis: Some(v.host.state().clone()),
        ..NodeConfig::default()
    })
    .await
    .expect("the node starts");
    let start_ms = started.elapsed().as_secs_f64() * 1e3;
    let addr = running.addr;
    let vault = v.vault;
    let figures = tokio::task::spawn_blocking(move || {
        let mut client = Client::connect(addr);
        let view = hex(&I::marginCall { id: U256::from(id) }.abi_encode());
        let calls = 1_000;
        let t = Instant::now();
        for _ in 0..calls {
            client.rpc("eth_call", json!([{"to": vault, "data": view}, "latest"]));
        }
        let calls_per_s = f64::from(calls) / t.elapsed().as_secs_f64();
        let deposit = hex(&I::depositCall {
            id: U256::from(id),
            asset: USDC,
            amount: U256::from(1_000_000u64),
        }
        .abi_encode());
        let sends = 300;
        let t = Instant::now();
        for _ in 0..sends {
            let hash = client.rpc(
                "eth_sendTransaction",
                json!([{"from": dev, "to": vault, "data": deposit, "gas": "0x200000"}]),
            );
            let receipt = client.rpc("eth_getTransactionReceipt", json!([hash]));
            assert_eq!(receipt["status"], "0x1", "a deposit failed: {receipt}");
        }
        let sends_per_s = f64::from(sends) / t.elapsed().as_secs_f64();
        (calls, calls_per_s, sends, sends_per_s)
    })
    .await
    .expect("the client runs");
    let _ = running.handle.stop();
    VaultFigures {
        start_ms,
        calls: figures.0,
        calls_per_s: figures.1,
        sends: figures.2,
        sends_per_s: figures.3,
    }
}
