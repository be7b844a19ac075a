//! # keel-cross-engine — the isolated and cross margin engine
//!
//! A stateless Stylus contract the vault static-calls to margin an account in **cross** mode
//! (Derive SRM semantics) or **isolated** mode. The vault encodes the account, the market data
//! and its governed parameters as a [`keel_risk::model::snapshot`] and passes the bytes here;
//! portfolio mode is served by the sibling contract `keel-risk-engine`, with the same
//! interface. An isolated snapshot holds at most one position (the vault keeps one position
//! per isolated account, secured by all its collateral) and is margined as the cross margin
//! of that account ([`evaluate_cross`]; see the snapshot module docs).
//!
//! ## ABI (`abi/ICrossEngine.sol`: `IRiskEngine` plus `isolatedWhatIf`)
//!
//! ```solidity
//! function margin(bytes snapshot) external view
//!     returns (int256 im, int256 mm, int256 mtm, uint256 worstScenario);
//! function isolatedWhatIf(bytes snapshot) external view
//!     returns (int256 im, int256 mm, int256 mtm, uint256 worstScenario);
//! ```
//!
//! `im`, `mm` are the initial and maintenance **surpluses** (≥ 0 healthy; `mm < 0` is
//! liquidatable), `mtm` the account's mark-to-market, all 18-decimal wads in the stable
//! settlement unit. `margin` answers exactly what [`evaluate_cross`] computes natively for the
//! decoded snapshot (`compare_modes`' cross headline) and refuses portfolio snapshots
//! (`WrongMode(2)`). `isolatedWhatIf` answers [`isolated_what_if`] of the decoded snapshot, in
//! **any** mode: its cash and collateral margined with no position plus each position margined
//! alone, all in the cross model, summed (the vault's `marginAllModes` isolated column, built
//! from the account's cross snapshot). Both read their calldata and refuse hostile bytes the
//! same way, with the same named errors ([`keel_engine`]). `worstScenario` is always
//! `type(uint256).max` here (cross margin has no scenarios).
//!
//! Everything but the choice of model — the `sol!` interface, calldata reading, answers, revert
//! data and error list — lives in `keel-engine` and is re-exported here.

#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(target_arch = "wasm32", no_std)]
#![warn(missing_docs)]

extern crate alloc;

pub use keel_engine::*;
use keel_risk::model::snapshot::{
    evaluate_cross, isolated_what_if, MarginMode, MarginOutcome, MarginSnapshot,
};

/// Margins an isolated- or cross-mode snapshot; portfolio snapshots are `WrongMode`.
pub fn serve(s: &MarginSnapshot) -> Result<MarginOutcome, Failure> {
    require_mode(s, &[MarginMode::Isolated, MarginMode::Cross])?;
    Ok(evaluate_cross(s)?)
}

/// The isolated what-if of a snapshot in any mode ([`isolated_what_if`]).
pub fn what_if(s: &MarginSnapshot) -> Result<MarginOutcome, Failure> {
    Ok(isolated_what_if(s)?)
}

pub use contract::CrossEngine;

// `#[entrypoint]` generates an undocumented `user_entrypoint` export.
#[allow(missing_docs)]
mod contract {
    use super::*;
    // `vec!` and `Vec` are used by the code `#[storage]` and `#[public]` generate (on wasm32,
    // where there is no std prelude).
    #[allow(unused_imports)]
    use alloc::{vec, vec::Vec};
    use stylus_sdk::prelude::*;

    /// The contract. It keeps no state: every call margins the snapshot it is given.
    #[storage]
    #[entrypoint]
    pub struct CrossEngine;

    #[cfg(not(feature = "export-abi"))]
    #[public]
    impl CrossEngine {
        /// Serves `margin(bytes)` and `isolatedWhatIf(bytes)`; any other selector reverts
        /// with empty data.
        #[fallback]
        pub fn fallback(&self, calldata: &[u8]) -> stylus_sdk::ArbResult {
            match calldata.split_first_chunk::<4>() {
                Some((selector, args)) if *selector == MARGIN_SELECTOR => answer(args, serve),
                Some((selector, args)) if *selector == ISOLATED_WHAT_IF_SELECTOR => {
                    answer(args, what_if)
                }
                _ => Err(alloc::vec::Vec::new()),
            }
        }
    }

    #[cfg(feature = "export-abi")]
    #[public]
    impl CrossEngine {
        /// `margin(bytes)` as a typed method, for the ABI export only.
        pub fn margin(
            &self,
            snapshot: stylus_sdk::abi::Bytes,
        ) -> Result<
            (
                alloy_primitives::I256,
                alloy_primitives::I256,
                alloy_primitives::I256,
                alloy_primitives::U256,
            ),
            Revert,
        > {
            let o = margin_of_snapshot(&snapshot, serve).map_err(Revert::from)?;
            Ok(typed_answer(&o))
        }

        /// `isolatedWhatIf(bytes)` as a typed method, for the ABI export only.
        #[selector(name = "isolatedWhatIf")]
        pub fn isolated_what_if(
            &self,
            snapshot: stylus_sdk::abi::Bytes,
        ) -> Result<
            (
                alloy_primitives::I256,
                alloy_primitives::I256,
                alloy_primitives::I256,
                alloy_primitives::U256,
            ),
            Revert,
        > {
            let o = margin_of_snapshot(&snapshot, what_if).map_err(Revert::from)?;
            Ok(typed_answer(&o))
        }
    }
}
