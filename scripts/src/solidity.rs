//! Keel's Solidity: compiling `.sol` sources with the pinned solc-js (`abi/tools/solc`, from
//! `abi/package-lock.json`) into ABI and EVM bytecode.
//!
//! The sources are the repository's `solidity/` (the test tokens and feeds a local chain
//! deploys where mainnet has real ones) and test fixtures. Imports resolve as a Solidity
//! protocol's would: `@openzeppelin/…` from `abi/node_modules` (OpenZeppelin from the npm
//! registry) and `@keel/…` to Keel's interfaces in `abi/`. The EVM target is Cancun, which
//! every Arbitrum chain runs (ArbOS 20 and later).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{anyhow, bail, Context, Result};
use serde_json::Value;

use crate::abi::INSTALL_HINT;

/// The Solidity sources a local chain deploys, relative to the repository root.
pub const LOCAL_SOURCES: &[&str] = &["solidity/TestToken.sol", "solidity/TestFeed.sol"];
/// Keel's reference RFQ market (deployed on any chain whose deployment file asks for it).
pub const RFQ_MARKET: &str = "market/src/RfqMarket.sol";

/// One compiled contract.
#[derive(Clone, Debug)]
pub struct SolArtifact {
    /// Its JSON ABI.
    pub abi: Value,
    /// Creation code (constructor arguments are appended ABI-encoded).
    pub bytecode: Vec<u8>,
    /// Runtime code.
    pub deployed_bytecode: Vec<u8>,
}

/// The repository root (this crate lives in `scripts/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// Compiles `files` (paths relative to `root`) in one solc-js run, optimised, for Cancun;
/// every contract they define, by contract name. Fails on any compiler error or warning.
pub fn compile(root: &Path, files: &[&str]) -> Result<BTreeMap<String, SolArtifact>> {
    ensure_packages(root)?;
    let mut sources = serde_json::Map::new();
    for file in files {
        let content = std::fs::read_to_string(root.join(file))
            .with_context(|| format!("reading {}", root.join(file).display()))?;
        sources.insert(file.to_string(), serde_json::json!({ "content": content }));
    }
    let input = serde_json::json!({
        "language": "Solidity",
        "sources": sources,
        "settings": {
            "optimizer": { "enabled": true, "runs": 200 },
            "evmVersion": "cancun",
            "remappings": [
                "@openzeppelin/=abi/node_modules/@openzeppelin/",
                "@keel/=abi/",
            ],
            "outputSelection": {
                "*": { "*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object"] }
            },
        },
    });
    let solc = root.join("abi/tools/solc");
    let (output, warnings) = standard_json(&solc, root, &[], &input)?;
    if !warnings.is_empty() {
        bail!(
            "solc: {} warning(s)\n{}",
            warnings.len(),
            warnings.join("\n")
        );
    }
    let mut compiled = BTreeMap::new();
    let units = output
        .get("contracts")
        .and_then(Value::as_object)
        .ok_or_else(|| anyhow!("solc produced no contracts"))?;
    for (unit, contracts) in units {
        if !files.contains(&unit.as_str()) {
            continue; // imported libraries and interfaces
        }
        for (name, contract) in contracts.as_object().into_iter().flatten() {
            let code = |field: &str| -> Result<Vec<u8>> {
                let text = contract
                    .pointer(&format!("/evm/{field}/object"))
                    .and_then(Value::as_str)
                    .ok_or_else(|| anyhow!("{unit}: {name} has no {field}"))?;
                keel_stylus_host::alloy_primitives::hex::decode(text)
                    .with_context(|| format!("{unit}: {name}'s {field} is not hex"))
            };
            compiled.insert(
                name.clone(),
                SolArtifact {
                    abi: contract.get("abi").cloned().unwrap_or(Value::Null),
                    bytecode: code("bytecode")?,
                    deployed_bytecode: code("deployedBytecode")?,
                },
            );
        }
    }
    Ok(compiled)
}

/// Runs solc's standard-JSON mode through the solc-js wrapper at `solc` with `base` as the
/// base path: solc's output and the texts of its warnings. Fails on any compiler error.
pub fn standard_json(
    solc: &Path,
    base: &Path,
    include: &[&Path],
    input: &Value,
) -> Result<(Value, Vec<String>)> {
    let mut command = Command::new("node");
    command
        .arg(solc)
        .arg("--standard-json")
        .arg("--base-path")
        .arg(base);
    for path in include {
        command.arg("--include-path").arg(path);
    }
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .with_context(|| format!("running node (20 or later) for solc-js; {INSTALL_HINT}"))?;
    child
        .stdin
        .take()
        .ok_or_else(|| anyhow!("no stdin"))?
        .write_all(input.to_string().as_bytes())?;
    let output = child.wait_with_output()?;
    if !output.status.success() {
        bail!(
            "{} failed ({}): {}\n({INSTALL_HINT})",
            solc.display(),
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let result: Value = serde_json::from_slice(&output.stdout).context("solc's output")?;
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    for e in result
        .get("errors")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let text = e
            .get("formattedMessage")
            .or_else(|| e.get("message"))
            .and_then(Value::as_str)
            .unwrap_or("?")
            .trim_end()
            .to_string();
        if e.get("severity").and_then(Value::as_str) == Some("error") {
            errors.push(text);
        } else {
            warnings.push(text);
        }
    }
    if !errors.is_empty() {
        bail!("solc: {} error(s)\n{}", errors.len(), errors.join("\n"));
    }
    Ok((result, warnings))
}

/// Installs what `abi/package-lock.json` pins (solc-js, OpenZeppelin, forge, cast) when
/// `abi/node_modules` lacks solc-js, so a fresh clone's first `keel demo` or `keel deploy`
/// needs only node and npm on the machine.
pub fn ensure_packages(root: &Path) -> Result<()> {
    let abi = root.join("abi");
    if abi.join("node_modules/solc/package.json").is_file()
        && abi
            .join("node_modules/@openzeppelin/contracts/package.json")
            .is_file()
    {
        return Ok(());
    }
    eprintln!("installing solc-js and OpenZeppelin from abi/package-lock.json (npm install)…");
    let status = std::process::Command::new("npm")
        .args(["install", "--no-save", "--ignore-scripts", "--no-audit", "--no-fund"])
        .current_dir(&abi)
        .stdout(std::process::Stdio::null())
        .status()
        .map_err(|e| {
            anyhow::anyhow!(
                "npm is needed to install solc-js (Keel's Solidity compiler): {e}; install node 20 or later"
            )
        })?;
    if !status.success() {
        bail!("npm install in {} failed", abi.display());
    }
    Ok(())
}
