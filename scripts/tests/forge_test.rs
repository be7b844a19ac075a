//! `keel forge-test`: the reference market's Solidity suite (market/test) passes against the
//! real WASM, and a project of deliberately wrong tests fails, each with its decoded reason.

use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// Runs `keel forge-test ARGS --json`: exit success and the JSON report.
fn forge_test(args: &[&str]) -> (bool, Value) {
    let out = Command::new(env!("CARGO_BIN_EXE_keel"))
        .current_dir(root())
        .env(
            "KEEL_WASM_DIR",
            keel_cli::contracts::artifact_dir().expect("the contracts build"),
        )
        .arg("forge-test")
        .args(args)
        .arg("--json")
        .output()
        .expect("keel runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("keel forge-test {args:?} printed no JSON ({e}): {stderr}"));
    (out.status.success(), report)
}

/// Each test's status and reason, by name.
fn by_name(report: &Value) -> Vec<(String, String, String)> {
    report["suites"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["tests"].as_array().unwrap().iter())
        .map(|t| {
            (
                t["name"].as_str().unwrap().to_string(),
                t["status"].as_str().unwrap().to_string(),
                t["reason"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

#[test]
#[cfg_attr(
    any(keel_no_solc, keel_no_forge),
    ignore = "solc-js, OpenZeppelin or forge is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn the_reference_market_suite_passes_on_the_real_wasm() {
    let library = root().join("market/test/KeelDeployment.sol");
    let committed = std::fs::read_to_string(&library).unwrap();
    let (ok, report) = forge_test(&[]);
    let tests = by_name(&report);
    let failing: Vec<_> = tests.iter().filter(|t| t.1 != "pass").collect();
    assert!(ok && failing.is_empty(), "failing: {failing:#?}");
    assert!(report["suites"].as_array().unwrap().len() >= 4, "{report}");
    assert_eq!(report["passed"].as_u64(), Some(tests.len() as u64));
    assert!(tests.len() >= 25, "{} tests", tests.len());
    // Gas is measured on the real programs: a trade through the market costs what it costs on
    // keel node, far more than an EVM call.
    let fill = report["suites"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["tests"].as_array().unwrap().iter())
        .find(|t| t["name"] == "test_FillMovesThePerpFromMakerToTaker()")
        .expect("the fill test ran");
    assert!(fill["gas"].as_u64().unwrap() > 300_000, "{fill}");
    // The generated library is deterministic: what is committed is what a run writes.
    assert_eq!(
        std::fs::read_to_string(&library).unwrap(),
        committed,
        "market/test/KeelDeployment.sol drifted: commit what keel forge-test wrote"
    );
}

#[test]
#[cfg_attr(
    any(keel_no_solc, keel_no_forge),
    ignore = "solc-js, OpenZeppelin or forge is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn wrong_tests_fail_with_their_decoded_reasons() {
    let (ok, report) = forge_test(&["--root", "scripts/tests/fixtures/forge-failing"]);
    assert!(!ok, "a failing suite exits non-zero");
    let tests = by_name(&report);
    let reason = |name: &str| -> (String, String) {
        let t = tests
            .iter()
            .find(|t| t.0 == name)
            .unwrap_or_else(|| panic!("{name} did not run: {tests:#?}"));
        (t.1.clone(), t.2.clone())
    };
    assert_eq!(reason("test_DepositIsCredited()").0, "pass");
    let (status, why) = reason("test_StrangerWithdraws()");
    assert_eq!(status, "fail");
    assert!(
        why.starts_with("NotAccountOperator(1, mallory: [0x"),
        "the vault's error, named, its address labelled: {why}"
    );
    assert_eq!(
        reason("test_WithdrawalReverts()").1,
        "call did not revert as expected"
    );
    assert_eq!(
        reason("test_CashIsTwoThousand()").1,
        "cash: 1000000000000000000000 != 2000000000000000000000"
    );
    let (_, why) = reason("test_OverdrawIsZeroAmount()");
    assert!(
        why.starts_with("Error != expected error: InsufficientCash(1, ")
            && why.ends_with(" != ZeroAmount()"),
        "{why}"
    );
    assert!(
        reason("test_DepositEmitsWithdrawn()").1
            == "log != expected log (Withdrawn(uint256,address,address,uint256,uint256))",
        "{tests:#?}"
    );
    assert_eq!(report["passed"].as_u64(), Some(1));
    assert_eq!(report["failed"].as_u64(), Some(5));
}
