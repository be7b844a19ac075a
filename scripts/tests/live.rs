//! The opt-in suite against a live Arbitrum chain (Arbitrum Sepolia, a Nitro dev node, …):
//! `KEEL_LIVE_RPC_URL`, `KEEL_LIVE_PRIVATE_KEY` (a funded key there) and, optionally,
//! `KEEL_LIVE_CONFIG` (default `deploy/arbitrum-sepolia.toml`). It deploys and configures Keel
//! with `keel deploy`, checks it with `keel verify`, then runs one account's flow: open it and
//! read its margin in all three modes. Without the variables the test is ignored, saying so.

use std::path::Path;
use std::process::Command;

fn keel(args: &[&str]) -> serde_json::Value {
    let out = Command::new(env!("CARGO_BIN_EXE_keel"))
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .env(
            "KEEL_WASM_DIR",
            keel_cli::contracts::artifact_dir().expect("the contracts build"),
        )
        .args(args)
        .arg("--json")
        .output()
        .expect("keel runs");
    assert!(
        out.status.success(),
        "keel {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

#[test]
#[cfg_attr(
    keel_no_live,
    ignore = "opt-in: set KEEL_LIVE_RPC_URL and KEEL_LIVE_PRIVATE_KEY (a funded key on that chain) to deploy and drive Keel there"
)]
fn deploy_configure_and_open_an_account_on_a_live_chain() {
    let url = std::env::var("KEEL_LIVE_RPC_URL").expect("KEEL_LIVE_RPC_URL");
    let key = std::env::var("KEEL_LIVE_PRIVATE_KEY").expect("KEEL_LIVE_PRIVATE_KEY");
    let config =
        std::env::var("KEEL_LIVE_CONFIG").unwrap_or_else(|_| "deploy/arbitrum-sepolia.toml".into());
    let dir = std::env::temp_dir().join(format!("keel-live-{}", std::process::id()));
    let d = dir.to_str().unwrap();
    let chain = [
        "--rpc-url",
        url.as_str(),
        "--deployments",
        d,
        "--private-key",
        key.as_str(),
    ];
    let deployed = keel(&[&["deploy", "--config", config.as_str()][..], &chain[..]].concat());
    eprintln!(
        "deployed: {} transactions, {} gas",
        deployed["sent"], deployed["gasUsed"]
    );
    let verified = keel(&[&["verify", "--config", config.as_str()][..], &chain[..]].concat());
    assert_eq!(verified["differences"], serde_json::json!([]), "{verified}");
    let opened = keel(&[&["account", "open"][..], &chain[..]].concat());
    let id = opened["id"].as_str().unwrap().to_string();
    let margin = keel(&[&["account", "margin", id.as_str()][..], &chain[..]].concat());
    assert_eq!(margin.as_array().map(Vec::len), Some(3));
}
