//! `keel-node`: a local Arbitrum-compatible chain that runs Keel's real WASM and Solidity side
//! by side.
//!
//! Execution, ArbOS and blocks are [`keel_chain`]'s; this crate serves them:
//!
//! * [`node`]: the dev node — dev accounts, impersonation, mining, clock, snapshots, filters,
//!   state file.
//! * [`rpc`]: the JSON-RPC server (HTTP and WebSocket) over the node.
//! * [`launch`]: `keel node` itself — start, banner, interval mining, state file, shutdown.

pub mod launch;
pub mod node;
pub mod rpc;

pub use keel_chain::{DEFAULT_ARBOS_VERSION, DEFAULT_CHAIN_ID};

/// The Nitro dev node's RPC port.
pub const DEFAULT_PORT: u16 = 8547;
