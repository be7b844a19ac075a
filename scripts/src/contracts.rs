//! Where the built contract artifacts are, building them when a test needs them.
//!
//! Tests and checks that run the real WASM (the end-to-end flows, `keel bench`'s test, the
//! host's contract tests, conformance through WASM) call [`artifact_dir`]:
//!
//! 1. `KEEL_WASM_DIR` set: that folder, as given.
//! 2. `CI=true`: the folder CI's single contract build wrote
//!    (`$CARGO_TARGET_DIR` or the workspace `target`, then `wasm32-unknown-unknown/contract`);
//!    nothing is built, so a missing artifact fails the test that needs it.
//! 3. Otherwise every contract and test program is built once per process by a nested
//!    `cargo build --profile contract --target wasm32-unknown-unknown`, into its own target
//!    folder (`target/test-contracts`) so it never waits on the lock of the outer build that
//!    is running the tests. A build that fails is an error naming the command.
//!
//! The packages are found as `.ci/run` finds them: every crate under `contracts/` and
//! `tests/stylus/` whose `[lib]` builds a `cdylib`.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use anyhow::{bail, Context};

/// The workspace root (this crate lives in `scripts/`).
pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

const CONTRACT_SUBDIR: &str = "wasm32-unknown-unknown/contract";

/// The folder CI's contract build writes: `$CARGO_TARGET_DIR` or the workspace `target`.
pub fn default_artifact_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace_root().join("target"))
        .join(CONTRACT_SUBDIR)
}

/// The folder holding every built contract and test program (see the module docs).
pub fn artifact_dir() -> anyhow::Result<PathBuf> {
    if let Some(dir) = std::env::var_os("KEEL_WASM_DIR") {
        return Ok(PathBuf::from(dir));
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        return Ok(default_artifact_dir());
    }
    static BUILT: OnceLock<Result<PathBuf, String>> = OnceLock::new();
    BUILT
        .get_or_init(|| build_all().map_err(|e| format!("{e:#}")))
        .clone()
        .map_err(anyhow::Error::msg)
}

/// The package names of every contract and test-only Stylus program.
pub fn contract_packages() -> anyhow::Result<Vec<String>> {
    let root = workspace_root();
    let mut names = Vec::new();
    for parent in ["contracts", "tests/stylus"] {
        let dir = root.join(parent);
        let entries =
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?;
        let mut manifests: Vec<PathBuf> = entries
            .flatten()
            .map(|e| e.path().join("Cargo.toml"))
            .filter(|p| p.is_file())
            .collect();
        manifests.sort();
        for manifest in manifests {
            let text = std::fs::read_to_string(&manifest)
                .with_context(|| format!("reading {}", manifest.display()))?;
            let value: toml::Table = text
                .parse()
                .with_context(|| format!("parsing {}", manifest.display()))?;
            let cdylib = value
                .get("lib")
                .and_then(|lib| lib.get("crate-type"))
                .and_then(|t| t.as_array())
                .is_some_and(|types| types.iter().any(|t| t.as_str() == Some("cdylib")));
            let name = value
                .get("package")
                .and_then(|p| p.get("name"))
                .and_then(|n| n.as_str());
            if let (true, Some(name)) = (cdylib, name) {
                names.push(name.to_string());
            }
        }
    }
    if names.is_empty() {
        bail!("no contract crate found under {}", root.display());
    }
    Ok(names)
}

/// Builds every contract into `target/test-contracts`; its contract folder.
fn build_all() -> anyhow::Result<PathBuf> {
    let root = workspace_root();
    let target = root.join("target/test-contracts");
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(&root)
        .args(["build", "--profile", "contract", "--target"])
        .arg("wasm32-unknown-unknown")
        .arg("--target-dir")
        .arg(&target);
    for name in contract_packages()? {
        cmd.arg("-p").arg(name);
    }
    // The outer cargo's settings for the test binary are not the nested build's.
    for var in [
        "CARGO_TARGET_DIR",
        "RUSTFLAGS",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_MAKEFLAGS",
    ] {
        cmd.env_remove(var);
    }
    eprintln!("building the contracts for this test: {cmd:?}");
    let out = cmd.output().with_context(|| format!("running {cmd:?}"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(30).collect();
        bail!(
            "the contract build failed ({cmd:?}):\n{}",
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        );
    }
    Ok(target.join(CONTRACT_SUBDIR))
}
