//! `keel fuzz invariants`: generated sequences of vault calls on the real WASM programs, the
//! vault's invariants checked after every step ([`keel_fuzz`]); a failure shrunk to a minimal
//! sequence with the seed that replays it.

use std::path::PathBuf;

use anyhow::Result;
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
