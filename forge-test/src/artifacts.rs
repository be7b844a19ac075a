//! What `forge build` wrote: every contract's ABI and creation code from a project's `out/`
//! directory, the test contracts among them, and every error and event declared anywhere in
//! the project (to name reverts).

use std::path::{Path, PathBuf};

use alloy_json_abi::{Error as AbiError, Event, JsonAbi};
use anyhow::{anyhow, Context, Result};
use serde_json::Value;

/// One compiled contract.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// Its source file, relative to the project root (e.g. `test/Vault.t.sol`).
    pub source: String,
    /// Its name.
    pub name: String,
    /// Its ABI.
    pub abi: JsonAbi,
    /// Its creation code (empty for interfaces and abstract contracts).
    pub bytecode: Vec<u8>,
}

impl Compiled {
    /// A test contract: deployable, with forge-std's `IS_TEST()` marker.
    pub fn is_test(&self) -> bool {
        !self.bytecode.is_empty() && self.abi.function("IS_TEST").is_some()
    }

    /// Its test functions (`test…`, without parameters first; sorted by name, as forge runs
    /// them).
    pub fn tests(&self) -> Vec<&alloy_json_abi::Function> {
        let mut tests: Vec<_> = self
            .abi
            .functions()
            .filter(|f| f.name.starts_with("test"))
            .collect();
        tests.sort_by(|a, b| a.name.cmp(&b.name));
        tests
    }
}

/// A project's build output.
#[derive(Clone, Debug, Default)]
pub struct BuildOutput {
    /// Every contract, in file order.
    pub contracts: Vec<Compiled>,
}

impl BuildOutput {
    /// Reads every artifact under `out` (forge's `out/<File>.sol/<Contract>.json`).
    pub fn load(out: &Path) -> Result<BuildOutput> {
        let mut files = Vec::new();
        collect_json(out, &mut files)
            .with_context(|| format!("{}: run `forge build` first", out.display()))?;
        files.sort();
        let mut contracts = Vec::new();
        for file in files {
            let text = std::fs::read_to_string(&file)?;
            let json: Value = serde_json::from_str(&text)
                .with_context(|| format!("{}: not a forge artifact", file.display()))?;
            let Some(abi) = json.get("abi") else {
                continue;
            };
            let abi: JsonAbi = serde_json::from_value(abi.clone())
                .with_context(|| format!("{}: its ABI does not parse", file.display()))?;
            let bytecode = json["bytecode"]["object"]
                .as_str()
                .map(|hex| alloy_primitives::hex::decode(hex.trim_start_matches("0x")))
                .transpose()
                .map_err(|e| anyhow!("{}: bytecode: {e}", file.display()))?
                .unwrap_or_default();
            let (source, name) = compilation_target(&json).unwrap_or_else(|| {
                let name = file.file_stem().map(|s| s.to_string_lossy().into_owned());
                let dir = file.parent().and_then(|d| d.file_name());
                (
                    dir.map(|d| d.to_string_lossy().into_owned())
                        .unwrap_or_default(),
                    name.unwrap_or_default(),
                )
            });
            contracts.push(Compiled {
                source,
                name,
                abi,
                bytecode,
            });
        }
        Ok(BuildOutput { contracts })
    }

    /// The test contracts whose name contains `contract` (all when `None`).
    pub fn test_contracts(&self, contract: Option<&str>) -> Vec<&Compiled> {
        self.contracts
            .iter()
            .filter(|c| c.is_test())
            .filter(|c| contract.is_none_or(|m| c.name.contains(m)))
            .collect()
    }

    /// Every custom error declared in the project (interfaces included) and the chain's own
    /// (ArbWasm's `ProgramExpired`…), once each.
    pub fn errors(&self) -> Vec<AbiError> {
        let mut errors: Vec<AbiError> = Vec::new();
        let chain = keel_chain::error_signatures()
            .into_iter()
            .filter_map(|signature| AbiError::parse(signature).ok())
            .collect::<Vec<_>>();
        let declared = self.contracts.iter().flat_map(|c| c.abi.errors());
        for error in declared.chain(chain.iter()) {
            {
                if !errors.iter().any(|e| e.selector() == error.selector()) {
                    errors.push(error.clone());
                }
            }
        }
        errors
    }
}

impl BuildOutput {
    /// Every event declared in the project, once each.
    pub fn events(&self) -> Vec<Event> {
        let mut events: Vec<Event> = Vec::new();
        for event in self.contracts.iter().flat_map(|c| c.abi.events()) {
            if !events.iter().any(|e| e.selector() == event.selector()) {
                events.push(event.clone());
            }
        }
        events
    }
}

/// The source path and contract name solc compiled the artifact for.
fn compilation_target(json: &Value) -> Option<(String, String)> {
    let metadata = match &json["metadata"] {
        Value::String(raw) => serde_json::from_str(raw).ok()?,
        other => other.clone(),
    };
    let targets = metadata["settings"]["compilationTarget"].as_object()?;
    let (source, name) = targets.iter().next()?;
    Some((source.clone(), name.as_str()?.to_string()))
}

fn collect_json(dir: &Path, files: &mut Vec<PathBuf>) -> Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            // forge's `build-info` holds whole compiler runs, not artifacts.
            if path.file_name().is_some_and(|n| n != "build-info") {
                collect_json(&path, files)?;
            }
        } else if path.extension().is_some_and(|e| e == "json") {
            files.push(path);
        }
    }
    Ok(())
}
