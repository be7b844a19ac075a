//! # keel-risk-engine — the portfolio margin engine
//!
//! A stateless Stylus contract the vault static-calls to margin an account in **portfolio**
//! mode (Derive PM2 semantics over several underlyings). The vault cannot link the PM2 model
//! and stay under the 24,576-byte deployable limit, so it encodes what the computation needs
//! — account, market data and its governed parameters — as a
//! [`keel_risk::model::snapshot`] and passes the bytes here. Isolated and cross mode are
//! served by the sibling contract `keel-cross-engine`, with the same interface.
//!
//! ## ABI (`abi/IRiskEngine.sol`)
//!
//! ```solidity
//! function margin(bytes snapshot) external view
//!     returns (int256 im, int256 mm, int256 mtm, uint256 worstScenario);
//! ```
//!
//! `im`, `mm` are the initial and maintenance **surpluses** (≥ 0 healthy; `mm < 0` is
//! liquidatable), `mtm` the account's mark-to-market, all 18-decimal wads in the stable
//! settlement unit; exactly what [`evaluate_portfolio`] computes natively for the decoded
//! snapshot (which is what `compare_modes` reports as the portfolio headline).
//! `worstScenario` is the index, in the snapshot's scenario list, of the worst scenario of the
//! underlying with the largest worst loss, or `type(uint256).max` when that worst case is the
//! basis contingency or the account has no underlying exposure.
//!
//!
//! Everything but the choice of model — the `sol!` interface, calldata reading, answers, revert
//! data and error list — lives in `keel-engine` and is re-exported here.

#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(target_arch = "wasm32", no_std)]
#![warn(missing_docs)]

extern crate alloc;

pub use keel_engine::*;
use keel_risk::model::snapshot::{MarginMode, MarginOutcome, MarginSnapshot};

/// Margins a portfolio-mode snapshot; other modes are `WrongMode`.
pub fn serve(s: &MarginSnapshot) -> Result<MarginOutcome, Failure> {
    require_mode(s, &[MarginMode::Portfolio])?;
    Ok(keel_risk::model::snapshot::evaluate_portfolio(s)?)
}

pub use contract::RiskEngine;

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
    pub struct RiskEngine;

    #[cfg(not(feature = "export-abi"))]
    #[public]
    impl RiskEngine {
        /// Serves `margin(bytes)`; any other selector reverts with empty data.
        #[fallback]
        pub fn fallback(&self, calldata: &[u8]) -> stylus_sdk::ArbResult {
            match calldata.split_first_chunk::<4>() {
                Some((selector, args)) if *selector == MARGIN_SELECTOR => answer(args, serve),
                _ => Err(alloc::vec::Vec::new()),
            }
        }
    }

    #[cfg(feature = "export-abi")]
    #[public]
    impl RiskEngine {
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
    }
}
