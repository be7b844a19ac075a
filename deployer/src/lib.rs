//! `keel-deploy`: Keel on any Arbitrum chain — `keel deploy`, `keel verify` and `keel faucet`
//! over alloy.
//!
//! * [`config`] — the deployment file (`deploy/*.toml`), checked before anything is sent.
//! * [`deploy`] — programs through the StylusDeployer (deploy, activate, construct in one
//!   transaction, at CREATE2 addresses), Solidity stand-ins on local chains, then wiring and
//!   configuration — each setting read first and sent only if it differs.
//! * [`verify`] — the chain against the artifacts and the file.
//! * [`record`] — `deployments/<chainId>.json`.
//! * [`bindings`], [`errors`] — the contracts' ABI (Keel's from `abi/*.sol`) and reverts decoded
//!   into their Solidity names.

pub mod bindings;
pub mod config;
pub mod deploy;
pub mod errors;
pub mod record;
pub mod verify;

pub use config::DeployConfig;
pub use deploy::{deploy, Artifacts, Options, Progress, Summary};
pub use record::Record;
