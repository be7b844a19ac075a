//! `keel forge-test`: a forge project's Solidity tests run against Keel as deployed — the real
//! WASM programs on Keel's chain. forge's own EVM halts on Stylus code, so forge only compiles;
//! this command deploys Keel with `keel deploy` onto an in-process `keel node`, writes the
//! addresses into a Solidity library (`KeelDeployment`), builds the project with forge and runs
//! its tests with [`keel_forge_test`] on the node's state: `setUp` and each test in its own
//! snapshot, Foundry's cheatcodes answered, results reported as forge reports them.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use anyhow::{anyhow, bail, Context, Result};
use keel_deploy::Record;
use keel_forge_test::{BuildOutput, Filter, SuiteResult};

use crate::deployment;

/// `keel forge-test`'s arguments.
#[derive(Clone, Debug, clap::Args)]
pub struct ForgeTestArgs {
    /// The forge project: its foundry.toml, tests under test/, build output in out/.
    #[arg(long, env = "KEEL_FORGE_ROOT", default_value = "market")]
    pub root: PathBuf,
    /// The deployment file Keel is deployed from (a local one: it deploys the test tokens and
    /// feeds too).
    #[arg(long, env = "KEEL_DEPLOY_CONFIG", default_value = "deploy/local.toml")]
    pub config: PathBuf,
    /// Where the generated `KeelDeployment` library is written, relative to the project root.
    #[arg(long, default_value = "test/KeelDeployment.sol")]
    pub library: PathBuf,
    /// Only test contracts whose name contains this.
    #[arg(long)]
    pub match_contract: Option<String>,
    /// Only test functions whose name contains this.
    #[arg(long)]
    pub match_test: Option<String>,
    /// Where the built contracts are (default: target/wasm32-unknown-unknown/contract).
    #[arg(long, env = "KEEL_WASM_DIR", value_name = "DIR")]
    pub wasm_dir: Option<PathBuf>,
    /// Print the results as JSON.
    #[arg(long)]
    pub json: bool,
}

/// What a run found.
pub struct ForgeTestRun {
    /// Every suite's results.
    pub suites: Vec<SuiteResult>,
    /// Wall time of the tests alone.
    pub seconds: f64,
}

impl ForgeTestRun {
    /// Whether every test passed or was skipped.
    pub fn ok(&self) -> bool {
        self.suites.iter().all(|s| s.counts().1 == 0)
    }
}

/// Deploys Keel, builds the project and runs its tests; `say` gets progress lines and, unless
/// `args.json`, each suite's report as it finishes.
pub fn run(args: &ForgeTestArgs, say: &mut dyn FnMut(&str)) -> Result<ForgeTestRun> {
    let started = Instant::now();
    let foundry_toml = args.root.join("foundry.toml");
    if !foundry_toml.is_file() {
        bail!(
            "--root {}: no foundry.toml there (not a forge project)",
            args.root.display()
        );
    }
    let (chain, record) = deployment::local_test_chain(
        &args.config,
        args.wasm_dir.as_deref(),
        "keel forge-test",
        say,
    )?;
    say(&format!(
        "Keel deployed ({} contracts) in {:.1} s",
        record.contracts.len(),
        started.elapsed().as_secs_f64()
    ));

    let library = args.root.join(&args.library);
    write_library(&library, &record, &args.config)?;
    say(&format!(
        "wrote {}; compiling {} with forge…",
        library.display(),
        args.root.display()
    ));
    forge_build(&args.root)?;
    let build = BuildOutput::load(&args.root.join("out"))?;
    let filter = Filter {
        contract: args.match_contract.clone(),
        test: args.match_test.clone(),
    };
    if build.test_contracts(filter.contract.as_deref()).is_empty() {
        bail!(
            "{}: no test contract (a contract extending keel-test's Test, with IS_TEST()){}",
            args.root.display(),
            filter
                .contract
                .as_ref()
                .map_or(String::new(), |m| format!(" matching --match-contract {m}"))
        );
    }
    let tests_started = Instant::now();
    let json = args.json;
    let suites = keel_forge_test::run(&chain, &build, &filter, |suite| {
        if !json {
            say(&keel_forge_test::report::suite(suite));
        }
    });
    Ok(ForgeTestRun {
        suites,
        seconds: tests_started.elapsed().as_secs_f64(),
    })
}

/// Builds the project with the pinned forge over solc-js, as CI does; the compiler's output
/// on failure.
fn forge_build(root: &Path) -> Result<()> {
    let repo = crate::solidity::repo_root();
    let forge = crate::abi::foundry_tool(&repo, "forge")?;
    let output = Command::new(&forge)
        .arg("build")
        .arg("--root")
        .arg(root)
        .arg("--use")
        .arg(repo.join("abi/tools/solc"))
        .arg("--offline")
        .output()
        .with_context(|| format!("running {}", forge.display()))?;
    if !output.status.success() {
        return Err(anyhow!(
            "forge build --root {} failed:\n{}{}",
            root.display(),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(())
}

/// The `KeelDeployment` Solidity library of `record`'s addresses.
pub fn library_source(record: &Record, config: &Path) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.20;\n\n// Generated by `keel forge-test` from a deployment of {} on keel node: do not edit.\n// The addresses are deterministic (CREATE2 programs, then the dev key's nonces), so a rerun\n// writes the same file.\n\n/// @title Where `keel forge-test` deployed Keel\nlibrary KeelDeployment {{",
        config.display()
    );
    let _ = writeln!(
        out,
        "    uint256 internal constant CHAIN_ID = {};",
        record.chain_id
    );
    let _ = writeln!(
        out,
        "    /// @notice The account that deployed and configured Keel (the Nitro dev key): owner, and\n    /// whatever roles the deployment file gives \"deployer\".\n    address internal constant DEPLOYER = {};",
        record.deployer
    );
    for (role, deployed) in &record.contracts {
        let _ = writeln!(
            out,
            "    address internal constant {} = {};",
            constant_name(role),
            deployed.address
        );
    }
    for (symbol, asset) in &record.assets {
        let symbol = symbol.to_uppercase();
        let named = [
            ("", asset.token),
            ("_FEED", asset.feed),
            ("_RATE_FEED", asset.rate_feed),
            ("_MARKET_FEED", asset.market_feed),
        ];
        for (suffix, address) in named {
            if let Some(address) = address {
                let _ = writeln!(
                    out,
                    "    address internal constant {symbol}{suffix} = {address};"
                );
            }
        }
    }
    if let Some(feed) = record.sequencer_feed {
        let _ = writeln!(
            out,
            "    address internal constant SEQUENCER_FEED = {feed};"
        );
    }
    out.push_str("}\n");
    out
}

/// `marginModule` → `MARGIN_MODULE`.
fn constant_name(role: &str) -> String {
    let mut name = String::new();
    for c in role.chars() {
        if c.is_ascii_uppercase() && !name.is_empty() {
            name.push('_');
        }
        name.push(c.to_ascii_uppercase());
    }
    name
}

fn write_library(path: &Path, record: &Record, config: &Path) -> Result<()> {
    let source = library_source(record, config);
    if std::fs::read_to_string(path).ok().as_deref() == Some(source.as_str()) {
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    std::fs::write(path, source).with_context(|| format!("writing {}", path.display()))
}

/// The run as JSON: every suite with its tests, and the totals.
pub fn json(run: &ForgeTestRun) -> serde_json::Value {
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for suite in &run.suites {
        let (p, f, s) = suite.counts();
        passed += p;
        failed += f;
        skipped += s;
    }
    serde_json::json!({
        "suites": run.suites,
        "passed": passed,
        "failed": failed,
        "skipped": skipped,
        "seconds": run.seconds,
    })
}
