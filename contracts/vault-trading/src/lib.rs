//! # keel-vault-trading
//!
//! The trading module of Keel's margin vault (`Module::Trading`): the vault core forwards to it,
//! by `delegatecall`, every selector `keel_vault_state::Module::of` routes here, so it runs on
//! the vault's storage ([`keel_vault_state::VaultState`]) with the caller's `msg.sender`. It
//! owns:
//!
//! * **Underlyings** — `listUnderlying` (risk admin): at most 16, each at the next index, which
//!   the risk parameters must cover with an SRM set; `underlyings()`.
//! * **Markets** — `setMarket` (owner): the contracts (order books, RFQ, AMMs) allowed to settle
//!   trades; `isMarket`.
//! * **Instruments** — `instrumentId`, `instrument`: the id packing of
//!   [`keel_vault_state::instrument`] over listed underlyings.
//! * **Trades** — `settleTrade`, the one settlement call of authorised markets: perpetuals are
//!   realised against the oracle mark and funding index, options move premium, fees go to the
//!   insurance fund, position limits hold, and each side passes the margin module's check
//!   (maintenance for a risk-reducing change, initial otherwise). `positions(id)`.
//! * **Funding** — `setFundingRate` (a market or the risk admin), `funding`; the index accrues
//!   linearly ([`funding::accrued_index`]).
//! * **Realisation and option settlement** — `realise`, `settleOptions`: anyone, also while
//!   paused.
//! * **Capital efficiency** — `marginAllModes(id)`: the account as if in each margin mode
//!   (isolated what-if, cross, portfolio), from the margin module's snapshots and the engines
//!   ([`all_modes`]).
//!
//! The rules, errors and `InvalidParameter` codes are documented on the methods of
//! [`TradingModule`] ([`contract`]).
//!
//! ## Size
//! Calls arrive through `#[fallback]` and a hand-written dispatcher ([`dispatch`]); events go
//! through `raw_log`, errors are selector + words. With `export-abi` the module's functions are
//! typed `#[public]` methods (module `export`) so stylus-sdk's export lists them.

#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(target_arch = "wasm32", no_std)]
#![warn(missing_docs)]

extern crate alloc;

pub mod all_modes;
pub mod contract;
pub mod dispatch;
#[cfg(feature = "export-abi")]
pub mod export;
pub mod funding;

pub use contract::TradingModule;
