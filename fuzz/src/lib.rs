//! Keel's reliability harnesses on the real artifacts.
//!
//! **Stateful invariant testing** (`keel fuzz invariants`): proptest generates sequences of
//! [`steps::Step`] — every state-changing vault call by the actor whose role it is (owners,
//! an operator, the RFQ market's makers and takers, a keeper, the guardian and owner) or by a
//! stranger, interleaved with price, vol, depeg, clock and sequencer moves, pauses, expiry
//! and settlement — and runs each on a fork of a chain where `deploy/local.toml` deployed
//! Keel's WASM programs with Solidity tokens and feeds ([`world::World`]). After every step
//! [`checks`] verifies the vault's invariants: conservation of every token, zero-sum
//! positions, the trade and maintenance rules, the bid rules, refused privileged calls that
//! change nothing, the pause's scope, named reverts, and the vault's margin equal to
//! keel-risk's natively on the same snapshot. A failure is shrunk to a minimal sequence and
//! reported with the seed that replays it.
//!
//! **Faults and hostile counterparts** (`keel fuzz faults`): [`faults`] runs each oracle, token,
//! depeg-guard and gas-griefing scenario on a fork of the same world, against Solidity fixtures
//! that misbehave on demand (`fuzz/sol/`), and checks the outcome its contract documents.
//!
//! **Coverage-guided calldata fuzzing** (`keel fuzz calldata`): [`calldata`] mutates ABI calls
//! of every program, kept when they reach a basic block no input reached before, and checks
//! that nothing traps and every revert is a declared error or a documented empty one.

pub mod calldata;
pub mod checks;
pub mod faults;
pub mod steps;
pub mod world;

use std::cell::{Cell, RefCell};
use std::time::Instant;

use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use serde::Serialize;

use crate::checks::Tally;
use crate::world::World;

const WAD_I: i128 = world::WAD as i128;

/// How many sequences, how long, from which seed.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    /// Sequences to generate (shrinking a failure runs more).
    pub runs: u32,
    /// The seed: the same seed generates the same sequences.
    pub seed: u64,
    /// Most steps in one sequence.
    pub max_steps: usize,
    /// Print every step, its outcome and the accounts' maintenance surpluses (stderr).
    pub trace: bool,
}

/// A failing sequence, shrunk.
#[derive(Clone, Debug, Serialize)]
pub struct Failure {
    /// The violated invariant, at which step.
    pub reason: String,
    /// The minimal sequence, one step per line.
    pub sequence: Vec<String>,
}

/// What a run did.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    /// The seed.
    pub seed: u64,
    /// Sequences run (shrinking included).
    pub sequences: u64,
    /// Steps run.
    pub steps: u64,
    /// Wall time.
    pub seconds: f64,
    /// Invariants checked and steps run, by name.
    pub tally: Tally,
    /// The first failure, shrunk; none when every sequence held.
    pub failure: Option<Failure>,
}

/// Runs `settings.runs` generated sequences, each on a fork of `base`; `progress` sees the
/// count of sequences done.
pub fn invariants(base: &World, settings: Settings, progress: impl Fn(u64)) -> Report {
    let started = Instant::now();
    let mut seed = [0u8; 32];
    seed[..8].copy_from_slice(&settings.seed.to_le_bytes());
    let config = Config {
        cases: settings.runs,
        failure_persistence: None,
        max_shrink_iters: 512,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::from_seed(RngAlgorithm::ChaCha, &seed));
    let tally = RefCell::new(Tally::default());
    let sequences = Cell::new(0u64);
    let steps = Cell::new(0u64);
    let strategy = prop::collection::vec(steps::step(), 1..=settings.max_steps.max(1));
    let result = runner.run(&strategy, |sequence| {
        let mut world = base.fork();
        let mut local = Tally::default();
        let outcome = (|| {
            for (i, step) in sequence.iter().enumerate() {
                let before = world.before();
                let applied = world.apply(step);
                steps.set(steps.get() + 1);
                if settings.trace {
                    let surpluses: Vec<String> = world
                        .margins()
                        .iter()
                        .map(|m| {
                            m.map_or("-".into(), |m| {
                                format!("{:.0}", i128::try_from(m.mm).unwrap_or_default() / WAD_I)
                            })
                        })
                        .collect();
                    eprintln!(
                        "{:>3} {step:?}: {} | maintenance surplus {}",
                        i + 1,
                        match &applied.revert {
                            None if applied.succeeded => "ok".to_string(),
                            None => "refused".to_string(),
                            Some(r) => world::describe(r),
                        },
                        surpluses.join(" ")
                    );
                }
                world.check(&applied, &before, &mut local).map_err(|why| {
                    TestCaseError::fail(format!("step {}, {step:?}: {why}", i + 1))
                })?;
            }
            Ok(())
        })();
        tally.borrow_mut().merge(&local);
        sequences.set(sequences.get() + 1);
        progress(sequences.get());
        outcome
    });
    let failure = match result {
        Ok(()) => None,
        Err(TestError::Fail(reason, sequence)) => Some(Failure {
            reason: reason.to_string(),
            sequence: sequence.iter().map(|s| format!("{s:?}")).collect(),
        }),
        Err(TestError::Abort(reason)) => Some(Failure {
            reason: format!("aborted: {reason}"),
            sequence: Vec::new(),
        }),
    };
    Report {
        seed: settings.seed,
        sequences: sequences.get(),
        steps: steps.get(),
        seconds: started.elapsed().as_secs_f64(),
        tally: tally.into_inner(),
        failure,
    }
}
