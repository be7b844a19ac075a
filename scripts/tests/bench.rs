//! `keel bench` end to end: the real binary on the built artifacts, built when missing
//! (`keel_cli::contracts::artifact_dir`; under `CI=true` CI's own build made them):
//!
//! ```text
//! cargo build --profile contract --target wasm32-unknown-unknown -p keel-vault \
//!     -p keel-vault-margin -p keel-vault-trading -p keel-vault-liquidation \
//!     -p keel-oracle-adapter -p keel-lst-depeg-guard -p keel-risk-engine -p keel-cross-engine
//! ```

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use keel_cli::artifact;
use keel_cli::bench::{self, CONTRACTS, LARGE_OPTIONS};

/// The artifact directory with every contract (built if needed:
/// `keel_cli::contracts::artifact_dir`); a missing contract fails the test.
fn built() -> PathBuf {
    let dir = keel_cli::contracts::artifact_dir().expect("the contract artifacts");
    let missing: Vec<&str> = CONTRACTS
        .iter()
        .copied()
        .filter(|c| !dir.join(format!("{c}.wasm")).is_file())
        .collect();
    assert!(
        missing.is_empty(),
        "{} lacks {missing:?}; build them with `{}`",
        dir.display(),
        bench::BUILD_COMMAND
    );
    dir
}

fn keel(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_keel"))
        .args(args)
        .output()
        .expect("keel runs")
}

fn bench_json(dir: &std::path::Path) -> BTreeMap<String, u64> {
    let dir = dir.to_str().expect("a UTF-8 path");
    let out = keel(&["bench", "--json", "--wasm-dir", dir]);
    assert!(
        out.status.success(),
        "keel bench failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("one JSON object of numbers")
}

#[test]
fn bench_json_reports_every_figure_and_sizes_match_keel_artifact() {
    let dir = built();
    let figures = bench_json(&dir);
    assert_eq!(figures.get("oracle_adapter_real"), Some(&1));
    let large = format!("portfolio_margin_{LARGE_OPTIONS}");
    let mut required: Vec<String> = [
        "deposit",
        "withdraw",
        "settle_trade",
        "start_auction",
        "bid",
        "portfolio_margin_16",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    required.push(large.clone());
    required.extend(CONTRACTS.iter().map(|c| format!("size_{c}")));
    for key in &required {
        let v = figures.get(key).copied();
        assert!(v.is_some_and(|v| v > 0), "{key}: {v:?}");
    }
    // Sizes are exactly what `keel artifact` reports.
    for c in CONTRACTS {
        let report = artifact::check_file(&dir.join(format!("{c}.wasm"))).expect("readable");
        assert_eq!(
            figures[&format!("size_{c}")],
            report.deployable_bytes as u64,
            "{c}"
        );
    }
    // A bigger portfolio costs more to margin, in total and in the engine.
    for part in ["", "_engine", "_sload_gas"] {
        let small = figures[&format!("portfolio_margin_16{part}")];
        let big = figures[&format!("{large}{part}")];
        assert!(small < big, "{part}: {small} !< {big}");
    }
    // With the test-only Black-76 program built: one price is positive and cheaper than the
    // engine's 16 options × 31 scenarios by at least the option count.
    // CI builds it with the contracts, so there the figure must be present.
    let under_ci = std::env::var("CI").as_deref() == Ok("true");
    if dir.join(format!("{}.wasm", bench::BLACK76)).is_file() || under_ci {
        let one = figures.get("black76").copied().unwrap_or(0);
        assert!(one > 0);
        assert!(16 * one < figures["portfolio_margin_16_engine"], "{one}");
    }
    // The parts of a margin check are parts: each below the whole, their sum the whole.
    for key in ["portfolio_margin_16", large.as_str()] {
        let total = figures[key];
        let parts: u64 = ["sload_gas", "call_gas", "entry_gas", "compute_gas"]
            .iter()
            .map(|p| figures[&format!("{key}_{p}")])
            .sum();
        assert_eq!(parts, total, "{key}");
        assert!(figures[&format!("{key}_engine")] < total, "{key}");
        // Cached programs pay less on entry and nothing else changes.
        assert!(figures[&format!("{key}_cached")] < total, "{key}");
    }
}

#[test]
fn bench_reports_both_arbos_versions_and_the_deepest_stack() {
    let dir = built();
    let figures = bench_json(&dir);
    assert_eq!(figures.get("arbos_version"), Some(&51));
    assert_eq!(figures.get("arbos_version_later"), Some(&60));
    // Sizes do not depend on the version and are reported once.
    assert!(!figures
        .keys()
        .any(|k| k.starts_with("size_") && k.ends_with("_arbos60")));
    let large = format!("portfolio_margin_{LARGE_OPTIONS}");
    for key in [
        "deposit",
        "settle_trade",
        "bid",
        "portfolio_margin_16",
        large.as_str(),
    ] {
        let (now, later) = (figures[key], figures[&format!("{key}_arbos60")]);
        // From ArbOS 60 a program re-entered in the block skips its init cost; before, it
        // pays it again. Nothing else differs.
        assert!(later <= now, "{key}: {later} > {now}");
        let compute = format!("{key}_compute_gas");
        if let Some(c) = figures.get(&compute) {
            assert_eq!(*c, figures[&format!("{compute}_arbos60")], "{key}");
        }
    }
    // A margin check enters the oracle adapter more than once.
    assert!(figures[&format!("{large}_arbos60")] < figures[&large]);
    // Programs in the init cache pay the cached cost on every entry under both versions.
    assert_eq!(
        figures[&format!("{large}_cached")],
        figures[&format!("{large}_cached_arbos60")]
    );
    // The deepest stack: reached, and within Nitro's 22,000-word budget per frame.
    let budget = figures["stack_depth_budget"];
    assert_eq!(budget, 22_000);
    let deepest = figures["stack_depth_max"];
    assert!(deepest > 0 && deepest < budget, "{deepest}");
    assert!(figures[&format!("{large}_stack_depth")] <= deepest);
}

#[test]
fn the_table_names_every_figure_and_the_oracle() {
    let dir = built();
    let out = keel(&["bench", "--wasm-dir", dir.to_str().expect("UTF-8")]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    for key in ["deposit", "withdraw", "settle_trade", "portfolio_margin_16"] {
        assert!(
            text.lines()
                .any(|l| l.split_whitespace().next() == Some(key)),
            "{key} missing from:\n{text}"
        );
    }
    assert!(
        text.contains("oracle: the real keel_oracle_adapter"),
        "{text}"
    );
}

#[test]
fn without_the_adapter_artifact_a_stand_in_answers_and_says_so() {
    let dir = built();
    let copy = std::env::temp_dir().join(format!("keel-bench-no-adapter-{}", std::process::id()));
    std::fs::create_dir_all(&copy).expect("a temporary directory");
    for c in CONTRACTS.iter().filter(|c| **c != "keel_oracle_adapter") {
        let name = format!("{c}.wasm");
        std::fs::copy(dir.join(&name), copy.join(&name)).expect("copied");
    }
    let figures = bench_json(&copy);
    let table = keel(&["bench", "--wasm-dir", copy.to_str().expect("UTF-8")]);
    let _ = std::fs::remove_dir_all(&copy);
    assert_eq!(figures.get("oracle_adapter_real"), Some(&0));
    assert!(!figures.contains_key("size_keel_oracle_adapter"));
    for key in ["deposit", "settle_trade", "bid", "portfolio_margin_16"] {
        assert!(figures.get(key).is_some_and(|v| *v > 0), "{key}");
    }
    let text = String::from_utf8(table.stdout).expect("UTF-8");
    assert!(text.contains("oracle: native stand-in"), "{text}");
    // The Black-76 program was not copied: said, not measured.
    assert!(text.contains("skipped black76"), "{text}");
    assert!(!figures.contains_key("black76"));
}

#[test]
fn missing_artifacts_name_the_build_command() {
    let empty = std::env::temp_dir().join(format!("keel-bench-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).expect("a temporary directory");
    let out = keel(&[
        "bench",
        "--json",
        "--wasm-dir",
        empty.to_str().expect("UTF-8"),
    ]);
    let _ = std::fs::remove_dir(&empty);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("keel_vault.wasm not found"), "{err}");
    assert!(
        err.contains("cargo build --profile contract --target wasm32-unknown-unknown"),
        "{err}"
    );
}

#[test]
fn unknown_arguments_are_refused() {
    let out = keel(&["bench", "--fast"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--fast"));
}

#[test]
fn profile_lists_the_engines_functions_by_ink() {
    let dir = built();
    let dir = dir.to_str().expect("a UTF-8 path");
    let out = keel(&["bench", "--profile", "--wasm-dir", dir, "--names", dir]);
    assert!(
        out.status.success(),
        "keel bench --profile failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.starts_with("portfolio engine, margin(bytes)"),
        "{text}"
    );
    // Rows: ink, share, gas, function; largest first, each a real share of the whole.
    let rows: Vec<(u64, f64)> = text
        .lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace();
            let ink = parts.next()?.parse().ok()?;
            let share = parts.next()?.strip_suffix('%')?.parse().ok()?;
            Some((ink, share))
        })
        .collect();
    assert!(rows.len() >= 10, "{text}");
    assert!(rows.windows(2).all(|w| w[0].0 >= w[1].0), "{text}");
    let shares: f64 = rows.iter().map(|r| r.1).sum();
    assert!(shares > 50.0 && shares <= 100.01, "{shares}");
}
