//! The simulated depeg guard: answers `assess(asset)` from a table, or reverts as the guard
//! does when an asset's fundamental rate cannot be read.

use std::collections::HashMap;

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolError};
use keel_stylus_common::testing::CallResult;

use crate::iface::*;

/// The guard's table.
#[derive(Default)]
pub struct GuardSim {
    /// asset → assessment.
    pub assessments: HashMap<Address, Assessment>,
    /// Assets whose fundamental feed is stale: `assess` reverts.
    pub failing: Vec<Address>,
}

impl GuardSim {
    /// A Normal assessment at `rate` (wad) with no add-on.
    pub fn set_rate(&mut self, asset: Address, rate: U256) {
        self.assessments.insert(
            asset,
            Assessment {
                rate,
                fundamental: rate,
                cap: rate,
                cappedFundamental: rate,
                marketRate: rate,
                ..Assessment::default()
            },
        );
    }

    /// Answers one call (the calldata includes the selector).
    pub fn answer(&self, calldata: &[u8]) -> CallResult {
        let c = assessCall::abi_decode(calldata).map_err(|_| Vec::new())?;
        if self.failing.contains(&c.asset) {
            return Err(FundamentalStale {
                asset: c.asset,
                updatedAt: U256::ZERO,
            }
            .abi_encode());
        }
        let a = self
            .assessments
            .get(&c.asset)
            .cloned()
            .ok_or_else(Vec::new)?;
        Ok(assessCall::abi_encode_returns(&a))
    }
}
