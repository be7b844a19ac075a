//! Marks what the tests need from outside the repository and may not find, so that a test
//! lacking it is reported `ignored` with the reason instead of passing without its
//! assertions. Under `CI=true` nothing is marked: there a missing input fails the test.
//!
//! * `keel_no_conformance_data` — Derive's cases are not at `../shared/conformance`;
//! * `keel_no_cast` — Foundry's `cast` is not installed in `abi/node_modules`;
//! * `keel_no_forge` — Foundry's `forge` is not installed there (`keel forge-test` compiles with it);
//! * `keel_no_solc` — solc-js (or node to run it) or OpenZeppelin's contracts are not installed
//!   for `abi/`;
//! * `keel_no_live` — `KEEL_LIVE_RPC_URL` / `KEEL_LIVE_PRIVATE_KEY` are unset: the opt-in suite
//!   against a live chain is skipped, in CI too (it needs a funded key on that chain).
//!
//! The script reruns when what it looked at changes: each input when present, else the
//! folder it would appear in (`../shared`, `abi`), else on every build.

use std::path::{Path, PathBuf};

/// Reruns the script when `path` changes; while it is missing, when `fallback` (the folder it
/// would appear in) changes, or on every build when that is missing too.
fn watch(path: &Path, fallback: &Path) {
    let watched = if path.exists() || !fallback.exists() {
        path
    } else {
        fallback
    };
    println!("cargo::rerun-if-changed={}", watched.display());
}

fn main() {
    for cfg in [
        "keel_no_conformance_data",
        "keel_no_cast",
        "keel_no_forge",
        "keel_no_solc",
        "keel_no_live",
    ] {
        println!("cargo::rustc-check-cfg=cfg({cfg})");
    }
    println!("cargo::rerun-if-env-changed=CI");
    for var in ["KEEL_LIVE_RPC_URL", "KEEL_LIVE_PRIVATE_KEY"] {
        println!("cargo::rerun-if-env-changed={var}");
    }
    if std::env::var_os("KEEL_LIVE_RPC_URL").is_none()
        || std::env::var_os("KEEL_LIVE_PRIVATE_KEY").is_none()
    {
        println!("cargo::rustc-cfg=keel_no_live");
    }
    let root: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let cases = root.join("../shared/conformance");
    let foundry = root.join("abi/node_modules/@foundry-rs");
    let solc = root.join("abi/node_modules/solc/package.json");
    let openzeppelin = root.join("abi/node_modules/@openzeppelin/contracts/package.json");
    watch(&cases, &root.join("../shared"));
    watch(&foundry, &root.join("abi"));
    watch(&solc, &root.join("abi"));
    watch(&openzeppelin, &root.join("abi"));
    if std::env::var("CI").as_deref() == Ok("true") {
        return;
    }
    if !cases.is_dir() {
        println!("cargo::rustc-cfg=keel_no_conformance_data");
    }
    for tool in ["cast", "forge"] {
        let installed = std::fs::read_dir(&foundry).is_ok_and(|entries| {
            entries.flatten().any(|e| {
                e.file_name()
                    .to_string_lossy()
                    .starts_with(&format!("{tool}-"))
                    && e.path().join("bin").join(tool).is_file()
            })
        });
        if !installed {
            println!("cargo::rustc-cfg=keel_no_{tool}");
        }
    }
    let node = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !node || !solc.is_file() || !openzeppelin.is_file() {
        println!("cargo::rustc-cfg=keel_no_solc");
    }
}
