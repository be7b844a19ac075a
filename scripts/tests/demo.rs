//! `keel demo --json` (the README's main job): the strategies are opened and margined, the
//! crash liquidates exactly the over-levered accounts, the keeper buys them, and the bad debt
//! is paid by the insurance fund.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js or OpenZeppelin is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn the_demo_liquidates_the_over_levered_accounts_and_the_hedged_ones_survive() {
    let out = Command::new(env!("CARGO_BIN_EXE_keel"))
        .current_dir(Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/..")))
        .env(
            "KEEL_WASM_DIR",
            keel_cli::contracts::artifact_dir().expect("the contracts build"),
        )
        .args(["demo", "--json"])
        .output()
        .expect("keel runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "keel demo failed: {stderr}");
    let report: Value = serde_json::from_slice(&out.stdout).expect("a JSON report");
    let accounts = report["accounts"].as_array().unwrap();
    let names: Vec<&str> = accounts
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    for example in [
        "box-spread",
        "calendar-spread",
        "covered-call-wsteth",
        "delta-hedged-short-straddle",
        "perp-basis-trade",
    ] {
        let a = accounts
            .iter()
            .find(|a| a["name"] == example)
            .unwrap_or_else(|| panic!("{example} was not opened: {names:?}"));
        assert_eq!(a["outcome"], "survived", "{a}");
        assert!(a["positions"].as_u64().unwrap() >= 1, "{a}");
    }
    // Hedges offset: portfolio margin asks less than isolated margin for the straddle, the
    // calendar, the box and the basis trade.
    let number = |v: &Value| -> f64 { v.as_str().unwrap().replace(',', "").parse().unwrap() };
    for hedged in [
        "box-spread",
        "calendar-spread",
        "delta-hedged-short-straddle",
        "perp-basis-trade",
    ] {
        let a = accounts.iter().find(|a| a["name"] == hedged).unwrap();
        assert!(number(&a["portfolioFrees"]) > 0.0, "{a}");
    }
    let levered: Vec<&Value> = accounts
        .iter()
        .filter(|a| a["name"].as_str().unwrap().starts_with("levered"))
        .collect();
    assert_eq!(levered.len(), 3);
    for a in &levered {
        assert_eq!(a["outcome"], "liquidated", "{a}");
        assert!(
            a["auctioned"].as_bool().unwrap() && a["bids"].as_u64().unwrap() >= 1,
            "{a}"
        );
    }
    assert_eq!(report["liquidated"], 3);
    assert_eq!(report["survived"], 5);
    assert_eq!(report["auctionsStarted"], 3);
    // The levered accounts were worth less than nothing: the insurance fund paid, and it was
    // deep enough that no loss was socialised.
    assert!(number(&report["insurancePaid"]) > 0.0, "{report}");
    assert_eq!(report["lossesSocialised"], "0.00", "{report}");
    assert!(report["seconds"].as_f64().unwrap() < 120.0, "{report}");
    // The pictures: a PNG and a self-contained HTML report that embeds it.
    let png = std::fs::read(report["picture"].as_str().unwrap()).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    let html = std::fs::read_to_string(report["htmlReport"].as_str().unwrap()).unwrap();
    assert!(html.contains("data:image/png;base64,") && html.contains("<svg"));
    for name in &names {
        assert!(html.contains(name), "{name} is in the report");
    }
}
