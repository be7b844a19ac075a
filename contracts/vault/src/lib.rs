//! # keel-vault
//!
//! The core of Keel's margin vault (issue 4) and the address every user calls. It serves
//! roles and pause, the module table, accounts with operators, multi-asset ERC20 collateral
//! and cash; every other function of `abi/IMarginVault.sol` it forwards with `delegatecall`
//! to the module that owns it (`keel_vault_state::Module::of`): margin (`keel-vault-margin`),
//! trading (`keel-vault-trading`) and liquidation (`keel-vault-liquidation`). The storage
//! layout, the `sol!` interface and the shared accessors live in `keel-vault-state`.
//!
//! * **Roles.** The owner (two-step, [`keel_stylus_common::Ownable2Step`]) sets the risk admin,
//!   the guardian, the oracle adapter, the LST depeg guard, one margin engine per mode, the
//!   three modules and (once) the settlement asset. The risk admin lists collateral. The
//!   guardian or the owner pauses; only the owner unpauses. Pause blocks withdrawals and
//!   trades, never deposits, liquidations or settlement.
//! * **Accounts.** `openAccount(mode)` gives the caller a new id (1, 2, …) in mode 0
//!   (isolated), 1 (cross) or 2 (portfolio); the owner approves operators per account.
//! * **Collateral.** Listed by the risk admin with decimals read from the token (≤ 36),
//!   haircuts (`mm ≤ im ≤ 0.95`), caps per asset and per account (`0 < account ≤ asset ≤
//!   10³⁸` in 18 decimals), a risk-cancelling underlying and a depeg-guard flag. See
//!   [`contract`] for deposits, withdrawals, cash and the rounding rules.
//!
//! ## Size
//! Calls arrive through `#[fallback]` and a hand-written dispatcher ([`dispatch`]) matching
//! the `sol!` selectors; events go through `raw_log`, errors are selector + words
//! ([`Revert`]). With `export-abi` the core's functions are typed `#[public]` methods (module
//! `export`) so stylus-sdk's export lists the interface.

#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(target_arch = "wasm32", no_std)]
#![warn(missing_docs)]

extern crate alloc;

pub mod contract;
pub mod dispatch;
#[cfg(feature = "export-abi")]
pub mod export;

pub use contract::MarginVault;
pub use keel_vault_state::abi::*;
pub use keel_vault_state::{
    amount, engine, pack, token, Collateral, Module, Revert, VaultState, ERROR_SIGNATURES,
    MAX_ASSETS_PER_ACCOUNT, MAX_CAP, MAX_HAIRCUT, MODES,
};
