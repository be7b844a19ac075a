//! Library half of the `keel` command: everything the binary does, callable from tests.
//!
//! * [`abi`] — `keel abi`: the Solidity interfaces in `abi/` against the contracts' exports.
//! * [`artifact`] — checks built contract `.wasm` files against Stylus's rules and sizes.
//! * [`bench`] — `keel bench`: gas figures of the real contracts on `keel-chain`'s execution.
//! * [`conformance`] — runs folders of external reference cases against keel-risk.
//! * [`demo`] — `keel demo`: deploy, strategies, a crash and the keeper, in one command.
//! * [`deployment`] — `keel deploy`, `keel verify`, `keel faucet` (over `keel-deploy`).
//! * [`drive`] — `keel account …` and `keel status` on a deployment.
//! * [`keeper`] — `keel keeper`: the liquidation keeper's rounds on a deployment.
//! * [`forge_test`] — `keel forge-test`: a forge project's Solidity tests on Keel's real WASM.
//! * [`progress`] — `keel deploy`'s progress display.
//! * [`stress`] — `keel stress`: historical and synthetic market paths against the strategies,
//!   with the keeper running; liquidations, bad debt and insolvency before a keeper.
//! * [`fuzz`] — `keel fuzz`: invariant sequences and the fault table on the real WASM.
//! * [`solidity`] — compiles Keel's Solidity (test tokens and feeds, fixtures) with solc-js.
//! * [`account_file`], [`margin_report`] — `keel margin`: the `keel-account v1` format and the
//!   side-by-side report of isolated, cross and portfolio margin.

pub mod abi;
pub mod account_file;
pub mod artifact;
pub mod bench;
pub mod conformance;
pub mod contracts;
pub mod demo;
pub mod deployment;
pub mod drive;
pub mod forge_test;
pub mod fuzz;
pub mod keeper;
pub mod margin_report;
pub mod progress;
pub mod solidity;
pub mod stress;
