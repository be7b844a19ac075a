//! # keel-vault-testing
//!
//! Test support for Keel's margin vault, never deployed: [`ChainHost`], a stylus-sdk `TestVM`
//! chain on which the vault core and its modules run natively against simulated tokens, an
//! oracle adapter, a depeg guard and the margin engines (see [`chain`]), and the plumbing the
//! vault crates' harnesses share — the vault core deployed on it, modules installed, typed
//! calls, failures and events (see [`env`]).

pub mod chain;
pub mod engine;
pub mod env;
pub mod guard;
pub mod iface;
pub mod oracle;

use alloy_primitives::{address, Address};

pub use chain::{Chain, ChainHost, Kind, ModuleFn, TokenHost};
pub use guard::GuardSim;
pub use oracle::{ExpirySim, OracleSim};

/// Where the simulated oracle adapter answers.
pub const ORACLE: Address = address!("00000000000000000000000000000000000a0001");
/// Where the simulated depeg guard answers.
pub const GUARD: Address = address!("00000000000000000000000000000000000a0002");
/// Where the simulated isolated/cross engine answers (modes 0 and 1).
pub const CROSS_ENGINE: Address = address!("00000000000000000000000000000000000a0003");
/// Where the simulated portfolio engine answers (mode 2).
pub const PORTFOLIO_ENGINE: Address = address!("00000000000000000000000000000000000a0004");
