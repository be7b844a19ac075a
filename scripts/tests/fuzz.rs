//! `keel fuzz invariants`: generated sequences on the real WASM hold every invariant, the same
//! seed replays the same sequences, and the checks do catch a broken invariant.

use std::path::Path;
use std::process::Command;

use alloy::primitives::U256;
use keel_deploy::bindings::{IMarginVault, TestToken};
use keel_fuzz::checks::Tally;
use keel_fuzz::world::World;
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn world() -> World {
    let config = keel_cli::deployment::load_config(&root().join("deploy/local.toml")).unwrap();
    let artifacts = keel_cli::deployment::artifacts(
        &keel_cli::contracts::artifact_dir().expect("the contracts build"),
        true,
        true,
    )
    .unwrap();
    let (chain, record) = keel_cli::deployment::deployed_test_chain(&config, &artifacts).unwrap();
    World::prepare(chain, &record).unwrap()
}

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js or OpenZeppelin is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn generated_sequences_hold_every_invariant() {
    // CI's fixed budget; the closing note reports a long run.
    let runs = std::env::var("KEEL_FUZZ_RUNS").unwrap_or_else(|_| "48".into());
    let out = Command::new(env!("CARGO_BIN_EXE_keel"))
        .current_dir(root())
        .env(
            "KEEL_WASM_DIR",
            keel_cli::contracts::artifact_dir().expect("the contracts build"),
        )
        .args([
            "fuzz",
            "invariants",
            "--runs",
            &runs,
            "--seed",
            "7",
            "--json",
        ])
        .output()
        .expect("keel runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("keel fuzz printed no JSON ({e}): {stderr}"));
    assert!(
        out.status.success() && report["failure"].is_null(),
        "an invariant broke: {:#}",
        report["failure"]
    );
    assert!(report["sequences"].as_u64().unwrap() >= runs.parse::<u64>().unwrap());
    let checks = &report["tally"]["checks"];
    for invariant in [
        "conservation-cash",
        "conservation-collateral",
        "zero-sum-positions",
        "native-margin",
        "trade-initial-margin",
        "user-maintenance",
        "privileged-refused",
        "pause",
        "named-revert",
    ] {
        assert!(
            checks[invariant].as_u64().unwrap_or(0) > 0,
            "{invariant} was never checked: {checks}"
        );
    }
    // The sequences do things: trades, deposits and withdrawals succeed, not only revert.
    for kind in ["trade", "deposit", "withdraw", "startAuction"] {
        assert!(
            report["tally"]["steps"][kind][0].as_u64().unwrap_or(0) > 0,
            "no {kind} succeeded: {}",
            report["tally"]["steps"]
        );
    }
}

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js or OpenZeppelin is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn a_seed_replays_its_sequences_and_the_checks_catch_broken_books() {
    let base = world();
    let settings = keel_fuzz::Settings {
        runs: 4,
        seed: 99,
        max_steps: 12,
        trace: false,
    };
    let first = keel_fuzz::invariants(&base, settings, |_| {});
    let second = keel_fuzz::invariants(&base, settings, |_| {});
    assert!(first.failure.is_none(), "{:?}", first.failure);
    assert_eq!(first.steps, second.steps);
    assert_eq!(first.tally.steps, second.tally.steps);
    assert_eq!(first.tally.checks, second.tally.checks);

    // USDC given to the vault behind the harness's back: the books no longer add up.
    let mut world = base.fork();
    let before = world.before();
    let stranger = world.stranger;
    let (usdc, vault) = (world.usdc, world.vault);
    world
        .send(
            stranger,
            usdc,
            TestToken::mintCall {
                to: vault,
                amount: U256::from(5_000_000u64),
            },
        )
        .unwrap();
    let applied = keel_fuzz::steps::Applied {
        kind: "donate",
        succeeded: true,
        ..Default::default()
    };
    let why = world
        .check(&applied, &before, &mut Tally::default())
        .unwrap_err();
    assert!(why.contains("the vault holds"), "{why}");

    // A privileged call that succeeds (the owner's own, reported as a stranger's) is caught.
    let mut world = base.fork();
    let before = world.before();
    let admin = world.admin;
    world
        .send(admin, vault, IMarginVault::pauseCall {})
        .unwrap();
    let applied = keel_fuzz::steps::Applied {
        kind: "privileged",
        succeeded: true,
        privileged: true,
        ..Default::default()
    };
    let why = world
        .check(&applied, &before, &mut Tally::default())
        .unwrap_err();
    assert!(why.contains("privileged call succeeded"), "{why}");
}

/// The faults the issue names, each with the outcome its contract documents.
#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js or OpenZeppelin is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn every_fault_and_hostile_counterpart_has_its_defined_outcome() {
    let out = Command::new(env!("CARGO_BIN_EXE_keel"))
        .current_dir(root())
        .env(
            "KEEL_WASM_DIR",
            keel_cli::contracts::artifact_dir().expect("the contracts build"),
        )
        .args(["fuzz", "faults", "--json"])
        .output()
        .expect("keel runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let rows: Vec<Value> = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("keel fuzz faults printed no JSON ({e}): {stderr}"));
    let differing: Vec<String> = rows
        .iter()
        .filter(|r| r["held"] != Value::Bool(true))
        .map(|r| {
            format!(
                "{} / {}: expected {}, got {}",
                r["fault"], r["action"], r["expected"], r["observed"]
            )
        })
        .collect();
    assert!(
        differing.is_empty() && out.status.success(),
        "outcomes differ from their definitions:\n{}",
        differing.join("\n")
    );
    let faults = |group: &str| {
        let mut names: Vec<&str> = rows
            .iter()
            .filter(|r| r["group"] == group)
            .filter_map(|r| r["fault"].as_str())
            .collect();
        names.dedup();
        names.len()
    };
    // Every fault the issue lists is a scenario: 11 of the oracle, 12 of tokens, 4 of the guard
    // and the largest account's gas (margin check, settlement, auction, bid).
    assert_eq!(
        (
            faults("oracle"),
            faults("token"),
            faults("guard"),
            faults("gas")
        ),
        (11, 12, 4, 1),
        "{rows:#?}"
    );
    let gas_rows = rows.iter().filter(|r| r["group"] == "gas").count();
    assert_eq!(
        gas_rows, 5,
        "slots filled, margin check, settlement, auction, bid"
    );
}

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js or OpenZeppelin is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn calldata_fuzzing_reaches_new_blocks_finds_nothing_and_stored_crashes_stay_fixed() {
    // CI's budget per program; the closing note reports a long run.
    let execs = std::env::var("KEEL_FUZZ_EXECS").unwrap_or_else(|_| "4000".into());
    // The stored crashes are replayed from a copy: a new finding is written there, not into
    // the repository.
    let stored = root().join("fuzz/regressions");
    let crashes = std::env::temp_dir().join(format!("keel-fuzz-crashes-{}", std::process::id()));
    std::fs::create_dir_all(&crashes).unwrap();
    let mut files = 0;
    for entry in std::fs::read_dir(&stored).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, crashes.join(path.file_name().unwrap())).unwrap();
        files += 1;
    }
    assert!(files > 0, "fuzz/regressions keeps the crashes found so far");
    let out = Command::new(env!("CARGO_BIN_EXE_keel"))
        .current_dir(root())
        .env(
            "KEEL_WASM_DIR",
            keel_cli::contracts::artifact_dir().expect("the contracts build"),
        )
        .args([
            "fuzz", "calldata", "--execs", &execs, "--seed", "11", "--json",
        ])
        .arg("--crashes")
        .arg(&crashes)
        .output()
        .expect("keel runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let run: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("keel fuzz printed no JSON ({e}): {stderr}"));
    let _ = std::fs::remove_dir_all(&crashes);
    // Every stored crash replays without its finding.
    let replayed = run["replayed"].as_array().unwrap();
    assert_eq!(replayed.len(), files, "{run:#}");
    for r in replayed {
        assert!(r[1].is_null(), "a stored crash fails again: {r}");
    }
    let contracts = run["report"]["contracts"].as_array().unwrap();
    assert_eq!(contracts.len(), 8, "every program is fuzzed");
    let (mut seeds, mut reached) = (0, 0);
    for c in contracts {
        let name = c["contract"].as_str().unwrap();
        assert!(
            c["crashes"].as_array().unwrap().is_empty(),
            "{name}: {:#}",
            c["crashes"]
        );
        assert_eq!(c["execs"].as_u64(), execs.parse::<u64>().ok(), "{name}");
        let blocks = c["blocks"].as_u64().unwrap();
        assert!(blocks > 1_000, "{name}: {blocks} basic blocks");
        // Executions reached branches: successes, named reverts and the decoder's refusals.
        for ending in ["success", "namedRevert", "documentedEmptyRevert"] {
            assert!(
                c["endings"][ending].as_u64().unwrap_or(0) > 0,
                "{name}: no {ending}: {}",
                c["endings"]
            );
        }
        seeds += c["blocksSeeds"].as_u64().unwrap();
        reached += c["blocksReached"].as_u64().unwrap();
        assert!(reached >= seeds);
    }
    // Coverage guidance finds blocks the seeds did not reach.
    assert!(
        reached > seeds,
        "{seeds} blocks by the seeds, {reached} in all"
    );
}
