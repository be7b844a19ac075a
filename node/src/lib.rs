//! `keel-node`: a local Arbitrum-compatible chain that runs Keel's real WASM and Solidity side
//! by side.
//!
//! * [`executor`]: revm executes EVM bytecode and owns the state and journal; Stylus frames are
//!   handed to the embedded Stylus host, which reaches the state through revm's journal.
//! * [`arbos`]: ArbOS settings, the Stylus program table and Arbitrum's precompiles.
//! * [`predeploys`]: the StylusDeployer and Multicall3 at their canonical addresses.
//! * [`chain`]: accounts, transactions and blocks on top of the executor.
//! * [`node`]: the dev node — dev accounts, impersonation, mining, clock, snapshots, filters,
//!   state file.
//! * [`rpc`]: the JSON-RPC server (HTTP and WebSocket) over the node.
//! * [`launch`]: `keel node` itself — start, banner, interval mining, state file, shutdown.

pub mod arbos;
pub mod chain;
pub mod executor;
pub mod launch;
pub mod node;
pub mod predeploys;
pub mod rpc;

/// The Nitro dev node's chain id, so scripts run unchanged against either.
pub const DEFAULT_CHAIN_ID: u64 = 412_346;
/// The Nitro dev node's RPC port.
pub const DEFAULT_PORT: u16 = 8547;
/// The ArbOS version the node runs unless told otherwise: the host's default, what Arbitrum
/// One runs, so local gas figures match the chains Keel deploys to (below 60 there is no
/// recent-program entry discount).
pub const DEFAULT_ARBOS_VERSION: u64 = keel_stylus_host::pricing::DEFAULT_ARBOS_VERSION;
