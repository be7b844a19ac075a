//! Keel's liquidation keeper (`keel keeper`).
//!
//! An account below maintenance margin must be auctioned promptly, or the insurance fund and
//! then every depositor pays. The keeper:
//!
//! - [`discovery`] reads the vault's logs, from the deployment block on, in adaptive
//!   `eth_getLogs` ranges, re-scanning the last blocks against reorgs: accounts opened and
//!   touched, and changes that reach every account;
//! - [`watch`] fingerprints the prices, depeg assessments and expiry data accounts read, so
//!   a round re-margins only the accounts whose inputs moved (and all of them periodically);
//! - [`evaluate`] margins each account natively with keel-risk from the vault's own snapshot
//!   (`snapshot(id, mode)`, batched through Multicall3) — the engines' code, bit for bit;
//! - [`bidding`] sizes a bid with the vault's auction arithmetic (`keel_risk::liquidation`);
//! - [`keeper`] runs rounds: start auctions, bid when the discount pays for gas plus a profit
//!   (simulated by the vault first, so the bidder never falls below initial margin), end the
//!   auctions of recovered accounts, flag margin calls, fix settlement prices and settle
//!   expired options, realise large perpetual PnL; dry run, caps, kill switch, retries
//!   ([`retry`]), JSON-line logs;
//! - [`store`] keeps the cursor and the accounts between runs, [`metrics`] serves Prometheus
//!   metrics, [`config`] reads `keeper.toml`.

pub mod bidding;
pub mod config;
pub mod discovery;
pub mod evaluate;
pub mod keeper;
pub mod metrics;
pub mod retry;
pub mod store;
pub mod watch;

pub use config::KeeperConfig;
pub use keeper::{Keeper, RoundReport};
