//! `keel-node`: a local Arbitrum-compatible chain that runs Keel's real WASM and Solidity side
//! by side.
//!
//! * [`executor`]: revm executes EVM bytecode and owns the state and journal; Stylus frames are
//!   handed to the embedded Stylus host, which reaches the state through revm's journal.
//! * [`arbos`]: ArbOS settings, the Stylus program table and Arbitrum's precompiles.
//! * [`chain`]: accounts, transactions and blocks on top of the executor.

pub mod arbos;
pub mod chain;
pub mod executor;
