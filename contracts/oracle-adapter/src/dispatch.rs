//! The on-chain ABI layer: the contract's `#[fallback]` matches the selector of each function
//! of the `sol!` block, reads its arguments from the standard ABI encoding, calls the Rust
//! method of [`OracleAdapter`] and writes the standard ABI encoding of the result.
//!
//! Arguments are checked as Solidity's decoder checks them: an `address`, `uintN` or `bool`
//! word with bits beyond its type, or calldata too short, reverts with empty data, as does an
//! unknown selector. A `uint256`/`int256` argument that does not fit an 18-decimal wad
//! (`int128`) reverts with `WadOverflow()`. Trailing calldata is ignored.

use alloc::vec::Vec;

use alloy_sol_types::SolCall;
use keel_risk::math::SviParams;
use keel_risk::oracle::{ExpiryBounds, ExpiryData, FeedParams};
use keel_stylus_common::abi::{Calldata, Encoder as Out};
use stylus_sdk::ArbResult;

use crate::abi::*;
use crate::contract::{expiry_words, FeedSettings, OracleAdapter, Reading};
use crate::error::Revert;

type Result<T> = core::result::Result<T, Revert>;

/// The arguments of a call (calldata after the selector), read by
/// [`keel_stylus_common::abi::Calldata`]; undecodable arguments revert as [`Revert`]'s
/// `From<DecodeError>` says.
pub type Args<'a> = Calldata<'a, Revert>;

/// The interface's structs, read from the calldata.
trait Structs {
    fn feed_config(&self, i: usize) -> Result<FeedSettings>;
    fn expiry_bounds(&self, i: usize) -> Result<ExpiryBounds>;
    fn expiry_data(&self, i: usize) -> Result<ExpiryData>;
}

impl Structs for Args<'_> {
    /// `FeedConfig` at word `i`.
    fn feed_config(&self, i: usize) -> Result<FeedSettings> {
        Ok(FeedSettings {
            primary: self.address(i)?,
            secondary: self.address(i + 1)?,
            params: FeedParams {
                staleness_limit: self.u64(i + 2)?,
                secondary_staleness_limit: self.u64(i + 3)?,
                max_deviation: self.uwad(i + 4)?,
                confidence_floor: self.uwad(i + 5)?,
            },
        })
    }

    /// `ExpiryBounds` at word `i`.
    fn expiry_bounds(&self, i: usize) -> Result<ExpiryBounds> {
        Ok(ExpiryBounds {
            min_vol: self.uwad(i)?,
            max_vol: self.uwad(i + 1)?,
            forward_band: self.uwad(i + 2)?,
            max_rate: self.uwad(i + 3)?,
            heartbeat: self.u64(i + 4)?,
            confidence_floor: self.uwad(i + 5)?,
        })
    }

    /// `ExpiryData` at word `i`.
    fn expiry_data(&self, i: usize) -> Result<ExpiryData> {
        Ok(ExpiryData {
            forward: self.uwad(i)?,
            rate: self.swad(i + 1)?,
            svi: SviParams {
                a: self.swad(i + 2)?,
                b: self.swad(i + 3)?,
                rho: self.swad(i + 4)?,
                m: self.swad(i + 5)?,
                sigma: self.swad(i + 6)?,
                forward: self.uwad(i + 7)?,
                tau: self.uwad(i + 8)?,
            },
            confidence: self.uwad(i + 9)?,
            timestamp: self.u64(i + 10)?,
        })
    }
}

/// Serves one call: the calldata including the selector; the ABI-encoded return or the
/// revert data.
pub fn dispatch(c: &mut OracleAdapter, calldata: &[u8]) -> ArbResult {
    let Some((selector, args)) = calldata.split_first_chunk::<4>() else {
        return Err(Vec::new());
    };
    let a = Args::new(args);
    route(c, *selector, &a)
        .map(Out::into_vec)
        .map_err(Into::into)
}

/// No return data.
fn unit() -> Result<Out> {
    Ok(Out::new(0))
}

fn route(c: &mut OracleAdapter, selector: [u8; 4], a: &Args) -> Result<Out> {
    match selector {
        getPriceCall::SELECTOR => {
            let (r, status) = c.get_price(a.address(0)?)?;
            Ok(Out::new(4)
                .word(r.price)
                .word(r.confidence)
                .word(u128::from(r.updated_at))
                .word(status as u128))
        }
        getPricesCall::SELECTOR => {
            let (readings, status) = c.get_prices(&a.addresses(0)?)?;
            let mut out = Out::new(3 + 3 * readings.len())
                .word(64u128)
                .word(status as u128)
                .word(readings.len() as u128);
            for Reading {
                price,
                confidence,
                updated_at,
            } in readings
            {
                out = out
                    .word(price)
                    .word(confidence)
                    .word(u128::from(updated_at));
            }
            Ok(out)
        }
        sequencerStatusCall::SELECTOR => {
            let (status, since) = c.sequencer_status();
            Ok(Out::new(2).word(status as u128).word(u128::from(since)))
        }
        getExpiryDataCall::SELECTOR => {
            let (data, confidence) = c.get_expiry_data(a.address(0)?, a.u64(1)?)?;
            Ok(Out::new(12).words(&expiry_words(&data)).word(confidence))
        }
        settlementPriceCall::SELECTOR => {
            let (price, settled) = c.settlement_price(a.address(0)?, a.u64(1)?);
            Ok(Out::new(2).word(price).word(u128::from(settled)))
        }
        settleCall::SELECTOR => {
            let price = c.settle(a.address(0)?, a.u64(1)?, a.uint(2, 10)?)?;
            Ok(Out::new(1).word(price))
        }
        pushExpiryDataCall::SELECTOR => {
            c.push_expiry_data(a.address(0)?, a.u64(1)?, a.expiry_data(2)?)?;
            unit()
        }
        assetConfigCall::SELECTOR => {
            let info = c.asset_config(a.address(0)?);
            let s = info.settings;
            Ok(Out::new(8)
                .word(s.primary)
                .word(s.secondary)
                .word(u128::from(s.params.staleness_limit))
                .word(u128::from(s.params.secondary_staleness_limit))
                .word(s.params.max_deviation)
                .word(s.params.confidence_floor)
                .word(u128::from(info.primary_decimals))
                .word(u128::from(info.secondary_decimals)))
        }
        expiryBoundsCall::SELECTOR => {
            let b = c.expiry_bounds(a.address(0)?);
            Ok(Out::new(6)
                .word(b.min_vol)
                .word(b.max_vol)
                .word(b.forward_band)
                .word(b.max_rate)
                .word(u128::from(b.heartbeat))
                .word(b.confidence_floor))
        }
        isFeederCall::SELECTOR => Ok(Out::new(1).word(u128::from(c.is_feeder(a.address(0)?)))),
        sequencerFeedCall::SELECTOR => Ok(Out::new(1).word(c.sequencer_feed())),
        gracePeriodCall::SELECTOR => Ok(Out::new(1).word(u128::from(c.grace_period()))),
        ownerCall::SELECTOR => Ok(Out::new(1).word(c.owner())),
        pendingOwnerCall::SELECTOR => Ok(Out::new(1).word(c.pending_owner())),
        transferOwnershipCall::SELECTOR => {
            c.transfer_ownership(a.address(0)?)?;
            unit()
        }
        acceptOwnershipCall::SELECTOR => {
            c.accept_ownership()?;
            unit()
        }
        setAssetCall::SELECTOR => {
            c.set_asset(a.address(0)?, a.feed_config(1)?)?;
            unit()
        }
        removeAssetCall::SELECTOR => {
            c.remove_asset(a.address(0)?)?;
            unit()
        }
        setSequencerFeedCall::SELECTOR => {
            c.set_sequencer_feed(a.address(0)?)?;
            unit()
        }
        setGracePeriodCall::SELECTOR => {
            c.set_grace_period(a.u64(0)?)?;
            unit()
        }
        setFeederCall::SELECTOR => {
            c.set_feeder(a.address(0)?, a.boolean(1)?)?;
            unit()
        }
        setExpiryBoundsCall::SELECTOR => {
            c.set_expiry_bounds(a.address(0)?, a.expiry_bounds(1)?)?;
            unit()
        }
        _ => Err(Revert::empty()),
    }
}

// `#[public]` generates undocumented items.
#[allow(missing_docs)]
#[cfg(not(feature = "export-abi"))]
mod entry {
    use super::{dispatch, OracleAdapter, Revert};
    use alloy_primitives::Address;
    use stylus_sdk::prelude::*;
    use stylus_sdk::ArbResult;
    // `vec!`/`Vec` are used by the code `#[public]` generates.
    #[allow(unused_imports)]
    use alloc::{vec, vec::Vec};

    #[public]
    impl OracleAdapter {
        /// `constructor(address owner)`: sets the owner and the default grace period.
        #[constructor]
        pub fn constructor(&mut self, owner: Address) -> core::result::Result<(), Revert> {
            self.init(owner)
        }

        /// Serves every function of the interface (see the module docs).
        #[fallback]
        pub fn fallback(&mut self, calldata: &[u8]) -> ArbResult {
            dispatch(self, calldata)
        }
    }
}
