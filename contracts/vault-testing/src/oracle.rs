//! The simulated oracle adapter: answers `getPrice`, `sequencerStatus`, `getExpiryData` and
//! `settlementPrice` from tables the test sets, with the adapter's revert data for unknown
//! assets, missing expiry data and stale prices.

use std::collections::HashMap;

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolError};
use keel_stylus_common::testing::CallResult;

use crate::iface::*;

/// One (underlying, expiry)'s pushed data and its confidence now.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExpirySim {
    /// The data as pushed.
    pub data: ExpiryData,
    /// The confidence now.
    pub confidence: U256,
}

/// The oracle adapter's tables.
#[derive(Default)]
pub struct OracleSim {
    /// asset → (price, confidence, updatedAt), wads.
    pub prices: HashMap<Address, (U256, U256, u64)>,
    /// Assets whose reads revert with `StaleData(asset)`.
    pub stale: Vec<Address>,
    /// Sequencer: 0 Up, 1 Down, 2 GracePeriod.
    pub sequencer: u8,
    /// (underlying, expiry) → data.
    pub expiries: HashMap<(Address, u64), ExpirySim>,
    /// (asset, expiry) → fixed settlement price.
    pub settlements: HashMap<(Address, u64), U256>,
    /// How many calls each selector received.
    pub calls: HashMap<[u8; 4], usize>,
}

impl OracleSim {
    /// Sets `asset`'s price (wad) with confidence 1, updated now-ish (timestamp 1).
    pub fn set_price(&mut self, asset: Address, price: U256) {
        self.prices
            .insert(asset, (price, U256::from(10u128.pow(18)), 1));
    }

    /// Answers one call (the calldata includes the selector).
    pub fn answer(&self, calldata: &[u8]) -> CallResult {
        let Some(selector) = calldata.get(..4) else {
            return Err(Vec::new());
        };
        let selector: [u8; 4] = selector.try_into().unwrap_or_default();
        match selector {
            getPriceCall::SELECTOR => {
                let c = getPriceCall::abi_decode(calldata).map_err(|_| Vec::new())?;
                if self.stale.contains(&c.asset) {
                    return Err(StaleData { asset: c.asset }.abi_encode());
                }
                let (price, confidence, updated_at) = self
                    .prices
                    .get(&c.asset)
                    .copied()
                    .ok_or_else(|| UnknownAsset { asset: c.asset }.abi_encode())?;
                Ok(getPriceCall::abi_encode_returns(&getPriceReturn {
                    price,
                    confidence,
                    updatedAt: updated_at,
                    sequencer: self.sequencer,
                }))
            }
            sequencerStatusCall::SELECTOR => Ok(sequencerStatusCall::abi_encode_returns(
                &sequencerStatusReturn {
                    status: self.sequencer,
                    since: 0,
                },
            )),
            getExpiryDataCall::SELECTOR => {
                let c = getExpiryDataCall::abi_decode(calldata).map_err(|_| Vec::new())?;
                let e = self
                    .expiries
                    .get(&(c.underlying, c.expiry))
                    .ok_or_else(|| {
                        NoExpiryData {
                            underlying: c.underlying,
                            expiry: c.expiry,
                        }
                        .abi_encode()
                    })?;
                Ok(getExpiryDataCall::abi_encode_returns(
                    &getExpiryDataReturn {
                        data: e.data.clone(),
                        confidence: e.confidence,
                    },
                ))
            }
            settlementPriceCall::SELECTOR => {
                let c = settlementPriceCall::abi_decode(calldata).map_err(|_| Vec::new())?;
                let price = self.settlements.get(&(c.asset, c.expiry)).copied();
                Ok(settlementPriceCall::abi_encode_returns(
                    &settlementPriceReturn {
                        price: price.unwrap_or_default(),
                        isSettled: price.is_some(),
                    },
                ))
            }
            _ => Err(Vec::new()),
        }
    }
}
