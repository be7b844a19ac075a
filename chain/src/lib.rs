//! `keel-chain`: Keel's Arbitrum execution — one chain, two runtimes.
//!
//! * [`executor`]: revm executes EVM bytecode and owns the one state and journal; Stylus
//!   frames go to the embedded Stylus host ([`keel_stylus_host`]), which reaches the state
//!   through revm's journal.
//! * [`history`]: earlier states, as what each block overwrote.
//! * [`arbos`]: ArbOS settings, the Stylus program table and Arbitrum's precompiles.
//! * [`predeploys`]: the StylusDeployer, Multicall3 and the cache manager at their canonical
//!   addresses.
//! * [`chain`]: accounts, signed transactions and blocks on top of the executor (what
//!   `keel node` serves).
//! * [`test_chain`]: the same execution in-process for tests and benchmarks: state set
//!   directly, one transaction per call, gas broken down.

pub mod arbos;
pub mod chain;
pub mod executor;
pub mod history;
pub mod predeploys;
pub mod test_chain;

pub use chain::Chain;
pub use test_chain::{DeployError, Outcome, TestChain};

/// The Nitro dev node's chain id, so scripts run unchanged against either.
pub const DEFAULT_CHAIN_ID: u64 = 412_346;
/// The ArbOS version a chain runs unless told otherwise: what Arbitrum One runs (51), so local
/// gas figures match the chains Keel deploys to (below 60 there is no recent-program entry
/// discount).
pub const DEFAULT_ARBOS_VERSION: u64 = keel_stylus_host::pricing::DEFAULT_ARBOS_VERSION;

/// The Solidity errors the chain's own precompiles and predeploys revert with, as signatures
/// (`ProgramExpired(uint64)`…): ArbWasm's, the StylusDeployer's and the CacheManager's. Tools
/// name reverts with them.
pub fn error_signatures() -> Vec<&'static str> {
    [
        arbos::ArbWasm::ArbWasmErrors::SIGNATURES,
        predeploys::StylusDeployer::StylusDeployerErrors::SIGNATURES,
        predeploys::CacheManager::CacheManagerErrors::SIGNATURES,
    ]
    .concat()
}
