//! `keel fuzz invariants`: generated sequences of vault calls on the real WASM programs, the
//! vault's invariants checked after every step ([`keel_fuzz`]); a failure shrunk to a minimal
//! sequence with the seed that replays it.

use std::path::PathBuf;

use anyhow::Result;
use keel_fuzz::calldata;
use keel_fuzz::faults::{self, Row};
use keel_fuzz::world::World;
use keel_fuzz::{Report, Settings};

use crate::deployment;

/// `keel fuzz`'s harnesses.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum FuzzCommand {
    /// Stateful invariant testing: N generated sequences of every state-changing vault call
    /// by owners, operators, makers, a keeper, the guardian and strangers, interleaved with
    /// market, clock and sequencer moves, each on a fork of Keel deployed from the local
    /// deployment file; every invariant checked after every step.
    Invariants(InvariantArgs),
    /// Faults and hostile counterparts, each with its defined outcome: oracle faults (stale,
    /// zero, negative, future, jumping, re-decimalled, reverting, gas-burning and short-data
    /// feeds; the sequencer down and in grace), hostile Solidity tokens (fee on transfer,
    /// rebasing, re-entrant, returning false or nothing, blacklisting, paused, 0 and 24
    /// decimals, huge revert reasons) and the depeg guard's (stale or reverting fundamental,
    /// a rate above the CAPO cap, an ERC-4626 donation in the reading transaction), and the
    /// largest account the limits allow (its margin check, settlement, auction and a bid
    /// within one block's gas and Nitro's stack). Prints the outcome table; fails when any
    /// outcome differs from its definition.
    Faults(FaultArgs),
    /// Coverage-guided calldata fuzzing of every program (vault, its three modules, both
    /// engines, the oracle adapter, the depeg guard): seeds from recorded calls and the ABIs,
    /// mutated, kept when they reach a new basic block; fails when a program traps anywhere
    /// in the call tree or reverts with data no Keel ABI declares (or empty, on a well-formed
    /// call). Failing inputs are written to the crash folder, which the tests replay.
    Calldata(CalldataArgs),
}

/// `keel fuzz calldata`'s arguments.
#[derive(Clone, Debug, clap::Args)]
pub struct CalldataArgs {
    /// Executions per program (seeds included).
    #[arg(long, env = "KEEL_FUZZ_EXECS", default_value_t = 20_000)]
    pub execs: u64,
    /// The programs to fuzz, by role (vault, marginModule, tradingModule, liquidationModule,
    /// portfolioEngine, crossEngine, oracleAdapter, depegGuard); all when none is given.
    #[arg(long = "contract", value_name = "ROLE")]
    pub contracts: Vec<String>,
    /// The seed (the same seed runs the same campaign on the same build).
    #[arg(long, env = "KEEL_FUZZ_SEED", default_value_t = 1)]
    pub seed: u64,
    /// Programs fuzzed at once, one per thread.
    #[arg(long, default_value_t = 2)]
    pub jobs: usize,
    /// Invariant sequences whose calls are recorded as seeds.
    #[arg(long, default_value_t = 4)]
    pub seed_sequences: u32,
    /// Where failing inputs are written (one JSON file each) and replayed from.
    #[arg(long, value_name = "DIR", default_value = "fuzz/regressions")]
    pub crashes: PathBuf,
    /// Only replay the failing inputs stored in the crash folder.
    #[arg(long)]
    pub replay: bool,
    /// The ABIs (`<interface>.json`).
    #[arg(long, value_name = "DIR", default_value = "abi")]
    pub abi_dir: PathBuf,
    /// The deployment file Keel is deployed from (a local one).
    #[arg(long, env = "KEEL_DEPLOY_CONFIG", default_value = "deploy/local.toml")]
    pub config: PathBuf,
    /// Where the built contracts are (default: target/wasm32-unknown-unknown/contract).
    #[arg(long, env = "KEEL_WASM_DIR", value_name = "DIR")]
    pub wasm_dir: Option<PathBuf>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// What `keel fuzz calldata` did: a campaign, or the replay of the stored crashes.
#[derive(Clone, Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CalldataRun {
    /// The campaign (none when only replaying).
    pub report: Option<calldata::Report>,
    /// Stored crashes replayed: file, and the finding if it still fails.
    pub replayed: Vec<(String, Option<String>)>,
}

impl CalldataRun {
    /// Whether nothing failed.
    pub fn clean(&self) -> bool {
        self.report.as_ref().is_none_or(calldata::Report::clean)
            && self.replayed.iter().all(|(_, f)| f.is_none())
    }
}

/// The stored crashes in `dir` (none when it does not exist).
pub fn stored_crashes(dir: &std::path::Path) -> Result<Vec<(String, calldata::Crash)>> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Ok(Vec::new());
    };
    let mut crashes = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path)?;
            let crash: calldata::Crash = serde_json::from_str(&text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            crashes.push((path.display().to_string(), crash));
        }
    }
    crashes.sort_by(|a, b| a.0.cmp(&b.0));
    Ok(crashes)
}

/// Deploys Keel, prepares the fuzzing states, replays the stored crashes and (unless
/// `--replay`) runs the campaign, writing what fails to the crash folder.
pub fn calldata(args: &CalldataArgs, say: &(dyn Fn(&str) + Sync)) -> Result<CalldataRun> {
    let mut said = |line: &str| say(line);
    let (chain, record) = deployment::local_test_chain(
        &args.config,
        args.wasm_dir.as_deref(),
        "keel fuzz",
        &mut said,
    )?;
    let world = World::prepare(chain, &record)?;
    say("preparing the states and recording seed calls…");
    let fuzz = calldata::Fuzz::prepare(&world, &record, &args.abi_dir, args.seed_sequences)?;
    let mut replayed = Vec::new();
    for (file, crash) in stored_crashes(&args.crashes)? {
        let outcome = fuzz.replay(&crash)?;
        replayed.push((file, outcome.err()));
    }
    if args.replay {
        return Ok(CalldataRun {
            report: None,
            replayed,
        });
    }
    let all = fuzz.contracts();
    let contracts: Vec<&str> = if args.contracts.is_empty() {
        all
    } else {
        args.contracts.iter().map(String::as_str).collect()
    };
    say(&format!(
        "fuzzing {} program(s), {} executions each, {} at a time, seed {}…",
        contracts.len(),
        args.execs,
        args.jobs,
        args.seed
    ));
    let report = fuzz.run(&contracts, args.execs, args.seed, args.jobs, say)?;
    for c in &report.contracts {
        for crash in &c.crashes {
            std::fs::create_dir_all(&args.crashes)?;
            let name = format!(
                "{}-{}.json",
                crash.contract,
                &alloy::primitives::hex::encode(alloy::primitives::keccak256(&crash.calldata))
                    [..12]
            );
            std::fs::write(
                args.crashes.join(name),
                serde_json::to_string_pretty(crash)? + "\n",
            )?;
        }
    }
    Ok(CalldataRun {
        report: Some(report),
        replayed,
    })
}

/// A calldata run as text.
pub fn calldata_text(run: &CalldataRun) -> String {
    let mut out = String::new();
    if let Some(report) = &run.report {
        out += &format!(
            "{:<18} {:>10} {:>8} {:>8} {:>7} {:>16} {:>14}  findings\n",
            "program", "execs", "execs/s", "corpus", "seeds", "blocks reached", "by seeds"
        );
        for c in &report.contracts {
            let percent = |n: u64| 100.0 * n as f64 / c.blocks.max(1) as f64;
            out += &format!(
                "{:<18} {:>10} {:>8.0} {:>8} {:>7} {:>8}/{:<5} {:>3.0}% {:>8} {:>3.0}%  {}\n",
                c.contract,
                c.execs,
                c.execs_per_second,
                c.corpus,
                c.seeds,
                c.blocks_reached,
                c.blocks,
                percent(c.blocks_reached),
                c.blocks_seeds,
                percent(c.blocks_seeds),
                c.crashes.len()
            );
        }
        out += "\nendings:\n";
        for c in &report.contracts {
            let endings: Vec<String> = c
                .endings
                .iter()
                .map(|(e, n)| format!("{e:?} {n}"))
                .collect();
            out += &format!("  {:<18} {}\n", c.contract, endings.join(", "));
        }
        for c in &report.contracts {
            for crash in &c.crashes {
                out += &format!(
                    "\nFINDING {}: {}\n  {} calls {} on the {} state with {}\n",
                    crash.contract,
                    crash.finding,
                    crash.caller,
                    crash.to,
                    crash.state,
                    crash.calldata
                );
            }
        }
    }
    if !run.replayed.is_empty() {
        out += &format!("\nstored crashes replayed: {}\n", run.replayed.len());
        for (file, finding) in &run.replayed {
            match finding {
                None => out += &format!("  ok    {file}\n"),
                Some(f) => out += &format!("  FAIL  {file}: {f}\n"),
            }
        }
    }
    out += if run.clean() {
        "\nno findings\n"
    } else {
        "\nFINDINGS (see above)\n"
    };
    out
}

/// `keel fuzz faults`' arguments.
#[derive(Clone, Debug, clap::Args)]
pub struct FaultArgs {
    /// The deployment file Keel is deployed from (a local one).
    #[arg(long, env = "KEEL_DEPLOY_CONFIG", default_value = "deploy/local.toml")]
    pub config: PathBuf,
    /// Where the built contracts are (default: target/wasm32-unknown-unknown/contract).
    #[arg(long, env = "KEEL_WASM_DIR", value_name = "DIR")]
    pub wasm_dir: Option<PathBuf>,
    /// Print the table as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Deploys Keel, compiles the hostile contracts (`fuzz/sol/`) and runs every fault scenario.
pub fn faults(args: &FaultArgs, say: &mut dyn FnMut(&str)) -> Result<Vec<Row>> {
    let (chain, record) =
        deployment::local_test_chain(&args.config, args.wasm_dir.as_deref(), "keel fuzz", say)?;
    let world = World::prepare(chain, &record)?;
    say("compiling the hostile tokens, feeds and vault (fuzz/sol)…");
    let compiled = crate::solidity::compile(&crate::solidity::repo_root(), faults::SOURCES)?;
    let creation = |name: &str| -> Result<Vec<u8>> {
        compiled
            .get(name)
            .map(|a| a.bytecode.clone())
            .ok_or_else(|| anyhow::anyhow!("fuzz/sol defines no {name}"))
    };
    let code = faults::HostileCode {
        token: creation("HostileToken")?,
        feed: creation("HostileFeed")?,
        share_vault: creation("DonatableVault")?,
    };
    say("running the fault scenarios…");
    faults::run(&world, &code)
}

/// The outcome table as text.
pub fn fault_table(rows: &[Row]) -> String {
    let mut out = String::new();
    let mut last = "";
    for r in rows {
        if r.fault != last {
            out += &format!("\n[{}] {}\n", r.group, r.fault);
            last = r.fault;
        }
        let gas = r.gas.map(|g| format!(" (gas {g})")).unwrap_or_default();
        out += &format!(
            "  {} {}: expected {}; got {}{gas}\n",
            if r.held { "ok  " } else { "FAIL" },
            r.action,
            r.expected,
            r.observed
        );
    }
    let failed = rows.iter().filter(|r| !r.held).count();
    out += &format!(
        "\n{} outcomes, {} as defined, {failed} not\n",
        rows.len(),
        rows.len() - failed
    );
    out
}

/// `keel fuzz invariants`' arguments.
#[derive(Clone, Debug, clap::Args)]
pub struct InvariantArgs {
    /// Sequences to run.
    #[arg(long, env = "KEEL_FUZZ_RUNS", default_value_t = 256)]
    pub runs: u32,
    /// The seed (the same seed runs the same sequences).
    #[arg(long, env = "KEEL_FUZZ_SEED", default_value_t = 1)]
    pub seed: u64,
    /// Most steps per sequence.
    #[arg(long, default_value_t = 48)]
    pub steps: usize,
    /// The deployment file Keel is deployed from (a local one).
    #[arg(long, env = "KEEL_DEPLOY_CONFIG", default_value = "deploy/local.toml")]
    pub config: PathBuf,
    /// Where the built contracts are (default: target/wasm32-unknown-unknown/contract).
    #[arg(long, env = "KEEL_WASM_DIR", value_name = "DIR")]
    pub wasm_dir: Option<PathBuf>,
    /// Print every step, its outcome and the accounts' maintenance surpluses (for replaying
    /// a seed).
    #[arg(long)]
    pub trace: bool,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// Deploys Keel, prepares the actors and runs the sequences; `say` gets progress lines.
pub fn invariants(args: &InvariantArgs, say: &mut dyn FnMut(&str)) -> Result<Report> {
    let (chain, record) =
        deployment::local_test_chain(&args.config, args.wasm_dir.as_deref(), "keel fuzz", say)?;
    let world = World::prepare(chain, &record)?;
    say(&format!(
        "running {} sequences of up to {} steps from seed {}…",
        args.runs, args.steps, args.seed
    ));
    let settings = Settings {
        runs: args.runs,
        seed: args.seed,
        max_steps: args.steps,
        trace: args.trace,
    };
    let every = (args.runs / 10).max(1) as u64;
    Ok(keel_fuzz::invariants(&world, settings, |done| {
        if done % every == 0 {
            eprintln!("  {done} sequences");
        }
    }))
}

/// A report as text.
pub fn text(report: &Report) -> String {
    let mut out = format!(
        "{} sequences, {} steps in {:.1} s (seed {})\n\ninvariants checked:\n",
        report.sequences, report.steps, report.seconds, report.seed
    );
    for (name, count) in &report.tally.checks {
        out += &format!("  {name:<24} {count:>10}\n");
    }
    out += "\nsteps (succeeded / reverted):\n";
    for (name, [ok, reverted]) in &report.tally.steps {
        out += &format!("  {name:<24} {ok:>10} / {reverted}\n");
    }
    out += "\nreverts (step: error):\n";
    for (name, count) in &report.tally.reverts {
        out += &format!("  {name:<48} {count:>8}\n");
    }
    out += &format!(
        "\nlargest gap between the settlement asset held and the books: {} wei\n",
        report.tally.largest_cash_gap
    );
    match &report.failure {
        None => out += "\nevery invariant held\n",
        Some(f) => {
            out += &format!(
                "\nFAILED: {}\nminimal sequence (replay with --seed {}):\n",
                f.reason, report.seed
            );
            for step in &f.sequence {
                out += &format!("  {step}\n");
            }
        }
    }
    out
}
