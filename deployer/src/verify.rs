//! `keel verify`: the chain against the artifacts and the deployment file — every program's
//! code hash equals the local artifact's, it is active at the chain's Stylus version, how long
//! until it expires, and the configuration equals the file (a dry run of `keel deploy` that
//! would send nothing).

use alloy::primitives::keccak256;
use alloy::providers::Provider;
use alloy::signers::local::PrivateKeySigner;
use anyhow::Result;
use serde::Serialize;

use crate::bindings::{ArbWasm, ArbWasmCache, ARB_WASM, ARB_WASM_CACHE};
use crate::deploy::{connect, deploy, Artifacts, Options, PROGRAMS};
use crate::record::Record;
use crate::DeployConfig;

/// One program's state.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ProgramCheck {
    /// Its role.
    pub role: String,
    /// Whether the code on chain is the local artifact's.
    pub code_matches: bool,
    /// Whether it is active at the chain's Stylus version.
    pub active: bool,
    /// Seconds until it expires (when active).
    pub time_left: Option<u64>,
    /// Whether it is in ArbOS's program cache (`keel deploy --cache`): calls skip its init cost.
    pub cached: bool,
}

/// What `keel verify` found.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// Every program.
    pub programs: Vec<ProgramCheck>,
    /// Settings that differ from the file: what `keel deploy` would send.
    pub differences: Vec<String>,
}

impl Report {
    /// Whether everything matches.
    pub fn ok(&self) -> bool {
        self.differences.is_empty() && self.programs.iter().all(|p| p.code_matches && p.active)
    }
}

/// Checks the deployment of `record` on `rpc_url` against `artifacts` and `config`.
pub async fn verify(
    rpc_url: &str,
    config: DeployConfig,
    record: &Record,
    record_dir: std::path::PathBuf,
    artifacts: &Artifacts,
) -> Result<Report> {
    let reader = PrivateKeySigner::random();
    let provider = connect(rpc_url, &reader, config.chain_id).await?;
    let arb_wasm = ArbWasm::new(ARB_WASM, provider.clone());
    let cache = ArbWasmCache::new(ARB_WASM_CACHE, provider.clone());
    let stylus_version = arb_wasm.stylusVersion().call().await?;
    let mut programs = Vec::new();
    for (role, file, _) in PROGRAMS {
        let address = record.address(role)?;
        let code = provider.get_code_at(address).await?;
        let local = keccak256(&artifacts.programs[file]);
        let code_matches = !code.is_empty() && keccak256(&code) == local;
        let version = arb_wasm.codehashVersion(local).call().await.ok();
        let active = version == Some(stylus_version);
        let time_left = if active {
            arb_wasm.programTimeLeft(address).call().await.ok()
        } else {
            None
        };
        let cached = cache.codehashIsCached(local).call().await.unwrap_or(false);
        programs.push(ProgramCheck {
            role: role.to_string(),
            code_matches,
            active,
            time_left,
            cached,
        });
    }
    let options = Options {
        rpc_url: rpc_url.to_string(),
        signer: reader,
        config,
        record_dir,
        dry_run: true,
        cache: false,
        plan_as: Some(record.deployer),
    };
    let mut quiet = |_: crate::deploy::Progress<'_>| {};
    let plan = deploy(options, artifacts, &mut quiet).await?;
    Ok(Report {
        programs,
        differences: plan.steps.into_iter().map(|s| s.what).collect(),
    })
}
