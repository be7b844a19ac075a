//! `keel stress`: every scenario replayed on keel node with the keeper running.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn dollars(v: &Value) -> f64 {
    v.as_str()
        .unwrap_or_default()
        .replace(',', "")
        .parse()
        .unwrap_or(f64::NAN)
}

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js or OpenZeppelin is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn every_stress_scenario_runs_with_the_keeper_and_reports_its_losses() {
    let out = Command::new(env!("CARGO_BIN_EXE_keel"))
        .current_dir(root())
        .env(
            "KEEL_WASM_DIR",
            keel_cli::contracts::artifact_dir().expect("the contracts build"),
        )
        .args(["stress", "--json"])
        .output()
        .expect("keel runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "keel stress failed: {stderr}");
    let reports: Vec<Value> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("keel stress printed no JSON ({e}): {stderr}"));
    assert_eq!(reports.len(), 5, "{reports:#?}");
    let scenario = |name: &str| {
        reports
            .iter()
            .find(|r| r["name"].as_str().is_some_and(|n| n.contains(name)))
            .unwrap_or_else(|| panic!("no scenario {name}"))
    };
    for r in &reports {
        assert_eq!(
            r["hours"].as_u64(),
            r["path"].as_array().map(|p| p.len() as u64)
        );
        assert_eq!(r["accounts"], 8);
        let (bad, insurance, socialised) = (
            dollars(&r["badDebt"]),
            dollars(&r["insuranceUsed"]),
            dollars(&r["socialised"]),
        );
        assert!((bad - insurance - socialised).abs() < 0.011, "{r:#}");
    }
    // The falls liquidate the levered longs; the keeper acted on every hour it could.
    for name in ["2020-03-12", "2021-05-19", "sequencer outage", "vol spike"] {
        let r = scenario(name);
        assert!(
            r["liquidated"].as_array().is_some_and(|l| !l.is_empty()),
            "{r:#}"
        );
    }
    // No auction starts while the sequencer is down or in its grace period (the hour after).
    let outage = scenario("sequencer outage");
    let path = outage["path"].as_array().unwrap();
    for (n, hour) in path.iter().enumerate() {
        let waiting =
            hour["sequencerUp"] == false || (n > 0 && path[n - 1]["sequencerUp"] == false);
        if waiting {
            assert_eq!(hour["auctionsStarted"], 0, "hour {n}: {hour:#}");
        }
    }
    assert!(path.iter().any(|h| h["sequencerUp"] == false));
    // At the default parameters no account that met initial margin is insolvent before a
    // keeper can act, Black Thursday's −20.9 % hour included.
    for name in [
        "2020-03-12",
        "2021-05-19",
        "stETH",
        "sequencer outage",
        "vol spike",
    ] {
        let r = scenario(name);
        assert_eq!(r["insolventBeforeKeeper"], Value::Array(vec![]), "{r:#}");
    }
    // The stETH depeg alone liquidates nobody and costs nothing.
    assert_eq!(dollars(&scenario("stETH")["badDebt"]), 0.0);
}
