//! The oracle-adapter reads several parts of the vault make (`abi/IOracleAdapter.sol`):
//! `getPrice`, `sequencerStatus` and `settlementPrice`, with their returns checked as
//! Solidity's decoder would and every failure reported as `OracleCallFailed(asset)` (the
//! adapter's own revert data is not passed on: the vault's callers see one named error).
//! And the LST depeg guard's `assess(address)` (`abi/ILstDepegGuard.sol`), which the margin
//! module prices guarded collateral with and the liquidation module asks before a bid takes
//! such collateral: any failure of it is `None`.

use alloc::vec::Vec;

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolError;
use keel_risk::Wad;
use stylus_sdk::call::static_call;
use stylus_sdk::prelude::*;
use stylus_sdk::stylus_core::calls::Call;

use crate::abi::{OracleCallFailed, OracleNotSet};
use crate::layout::VaultState;
use crate::pack::{address_word, uint_word};
use crate::{Result, Revert};

mod calls {
    alloy_sol_types::sol! {
        function getPrice(address asset) external view returns (uint256 price, uint256 confidence, uint64 updatedAt, uint8 sequencer);
        function sequencerStatus() external view returns (uint8 status, uint64 since);
        function settlementPrice(address asset, uint64 expiry) external view returns (uint256 price, bool isSettled);
        function assess(address asset) external view;
    }
}

use alloy_sol_types::SolCall;

/// `getPrice(address)`.
pub const GET_PRICE: [u8; 4] = calls::getPriceCall::SELECTOR;
/// `sequencerStatus()`.
pub const SEQUENCER_STATUS: [u8; 4] = calls::sequencerStatusCall::SELECTOR;
/// `settlementPrice(address,uint64)`.
pub const SETTLEMENT_PRICE: [u8; 4] = calls::settlementPriceCall::SELECTOR;

/// `assess(address)` of the depeg guard.
pub const ASSESS: [u8; 4] = calls::assessCall::SELECTOR;

/// Depeg status Depegged (`DepegStatus.Depegged`).
pub const DEPEGGED: u8 = 2;

/// What the vault uses of the guard's `Assessment`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Assessment {
    /// Underlying per token (wad).
    pub rate: Wad,
    /// 0 Normal, 1 Warning, 2 Depegged.
    pub status: u8,
    /// Extra haircut (wad).
    pub add_on: Wad,
}

/// The checked fields of an `assess` answer: the ten static words of `Assessment` (the rate
/// and the add-on non-negative wads, `status` ≤ 2, `fundamentalCapped` a bool,
/// `marketState` ≤ 3).
pub fn decode_assessment(out: &[u8]) -> Option<Assessment> {
    small(out, 8, 1)?;
    small(out, 9, 3)?;
    Some(Assessment {
        rate: uwad(out, 0)?,
        status: small(out, 6, 2)? as u8,
        add_on: uwad(out, 7)?,
    })
}

/// Sequencer status: up.
pub const SEQUENCER_UP: u8 = 0;

/// One spot reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Spot {
    /// Price (wad, > 0).
    pub price: Wad,
    /// Confidence (wad in [0, 1]).
    pub confidence: Wad,
    /// 0 Up, 1 Down, 2 GracePeriod.
    pub sequencer: u8,
}

fn failed(asset: Address) -> Revert {
    Revert::at(OracleCallFailed::SELECTOR, asset)
}

/// Word `i` of `out` as a wad in `[0, 2¹²⁷)`.
fn uwad(out: &[u8], i: usize) -> Option<Wad> {
    let w = U256::from_be_slice(out.get(32 * i..32 * (i + 1))?);
    let l = w.as_limbs();
    (l[2] == 0 && l[3] == 0 && l[1] >> 63 == 0)
        .then(|| Wad::from_raw((i128::from(l[1] as i64) << 64) | i128::from(l[0])))
}

/// Word `i` of `out` as a small unsigned integer (at most `max`).
fn small(out: &[u8], i: usize, max: u64) -> Option<u64> {
    let w = U256::from_be_slice(out.get(32 * i..32 * (i + 1))?);
    u64::try_from(w).ok().filter(|&v| v <= max)
}

impl VaultState {
    /// The oracle adapter, or `OracleNotSet()`.
    pub fn oracle_address(&self) -> Result<Address> {
        let a = self.oracle.get();
        if a.is_zero() {
            return Err(Revert::named(OracleNotSet::SELECTOR));
        }
        Ok(a)
    }

    fn oracle_call(&self, asset: Address, calldata: &[u8]) -> Result<Vec<u8>> {
        let oracle = self.oracle_address()?;
        static_call(self.vm(), Call::new(), oracle, calldata).map_err(|_| failed(asset))
    }

    /// `getPrice(asset)`: a positive price, its confidence and the sequencer status.
    pub fn spot(&self, asset: Address) -> Result<Spot> {
        let mut data = Vec::with_capacity(36);
        data.extend_from_slice(&GET_PRICE);
        data.extend_from_slice(&address_word(asset));
        let out = self.oracle_call(asset, &data)?;
        let price = uwad(&out, 0).filter(|p| p.is_positive());
        let confidence = uwad(&out, 1).filter(|c| *c <= Wad::ONE);
        let sequencer = small(&out, 3, 2);
        match (price, confidence, small(&out, 2, u64::MAX), sequencer) {
            (Some(price), Some(confidence), Some(_), Some(sequencer)) => Ok(Spot {
                price,
                confidence,
                sequencer: sequencer as u8,
            }),
            _ => Err(failed(asset)),
        }
    }

    /// `sequencerStatus()`: 0 Up, 1 Down, 2 GracePeriod.
    pub fn sequencer(&self) -> Result<u8> {
        let out = self.oracle_call(Address::ZERO, &SEQUENCER_STATUS)?;
        small(&out, 0, 2)
            .map(|s| s as u8)
            .ok_or_else(|| failed(Address::ZERO))
    }

    /// The depeg guard's assessment of `asset`, or `None` when the guard is unset, reverts or
    /// answers malformed data.
    pub fn assess(&self, asset: Address) -> Option<Assessment> {
        let mut data = Vec::with_capacity(36);
        data.extend_from_slice(&ASSESS);
        data.extend_from_slice(&address_word(asset));
        let out = static_call(self.vm(), Call::new(), self.depeg_guard.get(), &data).ok()?;
        decode_assessment(&out)
    }

    /// `settlementPrice(asset, expiry)`: the fixed price, or `None` when not fixed yet.
    pub fn settlement_price(&self, asset: Address, expiry: u64) -> Result<Option<Wad>> {
        let mut data = Vec::with_capacity(68);
        data.extend_from_slice(&SETTLEMENT_PRICE);
        data.extend_from_slice(&address_word(asset));
        data.extend_from_slice(&uint_word(u128::from(expiry)));
        let out = self.oracle_call(asset, &data)?;
        match (uwad(&out, 0), small(&out, 1, 1)) {
            (Some(price), Some(1)) if price.is_positive() => Ok(Some(price)),
            (Some(_), Some(0)) => Ok(None),
            _ => Err(failed(asset)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_are_the_adapters() {
        let sel = |s: &str| {
            let h = alloy_primitives::keccak256(s.as_bytes());
            [h[0], h[1], h[2], h[3]]
        };
        assert_eq!(GET_PRICE, sel("getPrice(address)"));
        assert_eq!(SEQUENCER_STATUS, sel("sequencerStatus()"));
        assert_eq!(SETTLEMENT_PRICE, sel("settlementPrice(address,uint64)"));
        assert_eq!(ASSESS, sel("assess(address)"));
    }
}
