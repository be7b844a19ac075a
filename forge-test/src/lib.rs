//! Solidity tests in forge-std style on Keel's chain, where Keel's programs are the real WASM
//! (forge's own EVM halts on Stylus code). `keel forge-test` builds a project with forge, deploys
//! Keel, and hands the chain and the build output to [`runner::run`].
//!
//! - [`cheatcodes`]: Foundry's cheatcodes (`sol/Vm.sol`) as a call hook of the chain's executor;
//! - [`artifacts`]: what `forge build` wrote (test contracts, errors to name reverts);
//! - [`runner`]: `setUp` and each test in its own copy of the chain, results and reasons;
//! - [`report`]: forge's report format.
//!
//! `sol/Test.sol` is the base a test contract extends (`vm`, assertions, `makeAddr`).

pub mod artifacts;
pub mod cheatcodes;
pub mod report;
pub mod runner;

pub use artifacts::BuildOutput;
pub use runner::{run, Filter, SuiteResult, TestStatus};
