//! The on-chain ABI layer: the contract's `#[fallback]` matches the selector of each function
//! of the `sol!` block, reads its arguments from the standard ABI encoding, calls the Rust
//! method of [`OracleAdapter`] and writes the standard ABI encoding of the result.
//!
//! Arguments are checked as Solidity's decoder checks them: an `address`, `uintN` or `bool`
//! word with bits beyond its type, or calldata too short, reverts with empty data, as does an
//! unknown selector. A `uint256`/`int256` argument that does not fit an 18-decimal wad
//! (`int128`) reverts with `WadOverflow()`. Trailing calldata is ignored.

use alloc::vec::Vec;

use alloy_primitives::Address;
use alloy_sol_types::SolCall;
use keel_risk::math::SviParams;
use keel_risk::oracle::{ExpiryBounds, ExpiryData, FeedParams};
use keel_risk::Wad;
use stylus_sdk::ArbResult;

use crate::abi::*;
use crate::contract::{expiry_words, FeedSettings, OracleAdapter, Reading};
use crate::error::Revert;
use crate::pack::{address_word, int_word, uint_word};

type Result<T> = core::result::Result<T, Revert>;

/// The arguments of a call (calldata after the selector).
pub struct Args<'a>(pub &'a [u8]);

impl Args<'_> {
    /// Word `i`.
    fn word(&self, i: usize) -> Result<&[u8; 32]> {
        i.checked_mul(32)
            .and_then(|at| self.0.get(at..at.checked_add(32)?))
            .and_then(|s| s.try_into().ok())
            .ok_or_else(Revert::empty)
    }

    /// Word `i`, which must hold a value of `bytes` bytes (the rest zero).
    fn narrow(&self, i: usize, bytes: usize) -> Result<&[u8; 32]> {
        let w = self.word(i)?;
        if w[..32 - bytes].iter().any(|&b| b != 0) {
            return Err(Revert::empty());
        }
        Ok(w)
    }

    fn address(&self, i: usize) -> Result<Address> {
        Ok(Address::from_slice(&self.narrow(i, 20)?[12..]))
    }

    fn uint(&self, i: usize, bytes: usize) -> Result<u128> {
        let w = self.narrow(i, bytes)?;
        let mut low = [0u8; 16];
        low.copy_from_slice(&w[16..]);
        Ok(u128::from_be_bytes(low))
    }

    fn u64(&self, i: usize) -> Result<u64> {
        Ok(self.uint(i, 8)? as u64)
    }

    fn boolean(&self, i: usize) -> Result<bool> {
        match self.uint(i, 1)? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(Revert::empty()),
        }
    }

    /// A `uint256` that must fit a non-negative wad.
    fn uwad(&self, i: usize) -> Result<Wad> {
        let w = self.word(i)?;
        let v = low_i128(w);
        if w[..16].iter().any(|&b| b != 0) || v < 0 {
            return Err(Revert::overflow());
        }
        Ok(Wad::from_raw(v))
    }

    /// An `int256` that must fit a wad.
    fn swad(&self, i: usize) -> Result<Wad> {
        let w = self.word(i)?;
        let v = low_i128(w);
        let extension = if v < 0 { 0xff } else { 0 };
        if w[..16].iter().any(|&b| b != extension) {
            return Err(Revert::overflow());
        }
        Ok(Wad::from_raw(v))
    }

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

    /// The `address[]` whose offset is word `i`.
    fn addresses(&self, i: usize) -> Result<Vec<Address>> {
        let offset = usize::try_from(self.uint(i, 8)?).map_err(|_| Revert::empty())?;
        if offset % 32 != 0 {
            return Err(Revert::empty());
        }
        let head = offset / 32;
        let len = usize::try_from(self.uint(head, 8)?).map_err(|_| Revert::empty())?;
        // Every element must be inside the calldata: no allocation beyond its size.
        if len > self.0.len() / 32 {
            return Err(Revert::empty());
        }
        let mut out = Vec::with_capacity(len);
        for k in 0..len {
            out.push(self.address(head + 1 + k)?);
        }
        Ok(out)
    }
}

fn low_i128(w: &[u8; 32]) -> i128 {
    let mut low = [0u8; 16];
    low.copy_from_slice(&w[16..]);
    i128::from_be_bytes(low)
}

/// An ABI encoding under construction.
struct Out(Vec<u8>);

impl Out {
    fn new(words: usize) -> Out {
        Out(Vec::with_capacity(32 * words))
    }
    fn word(mut self, w: [u8; 32]) -> Out {
        self.0.extend_from_slice(&w);
        self
    }
    fn words(mut self, ws: &[[u8; 32]]) -> Out {
        for w in ws {
            self.0.extend_from_slice(w);
        }
        self
    }
    fn address(self, a: Address) -> Out {
        self.word(address_word(a))
    }
    fn uint(self, x: u128) -> Out {
        self.word(uint_word(x))
    }
    fn wad(self, x: Wad) -> Out {
        self.word(int_word(x.raw()))
    }
    fn unit() -> Result<Out> {
        Ok(Out(Vec::new()))
    }
}

/// Serves one call: the calldata including the selector; the ABI-encoded return or the
/// revert data.
pub fn dispatch(c: &mut OracleAdapter, calldata: &[u8]) -> ArbResult {
    let Some((selector, args)) = calldata.split_first_chunk::<4>() else {
        return Err(Vec::new());
    };
    let a = Args(args);
    route(c, *selector, &a).map(|o| o.0).map_err(Into::into)
}

fn route(c: &mut OracleAdapter, selector: [u8; 4], a: &Args) -> Result<Out> {
    match selector {
        getPriceCall::SELECTOR => {
            let (r, status) = c.get_price(a.address(0)?)?;
            Ok(Out::new(4)
                .wad(r.price)
                .wad(r.confidence)
                .uint(u128::from(r.updated_at))
                .uint(status as u128))
        }
        getPricesCall::SELECTOR => {
            let (readings, status) = c.get_prices(&a.addresses(0)?)?;
            let mut out = Out::new(3 + 3 * readings.len())
                .uint(64)
                .uint(status as u128)
                .uint(readings.len() as u128);
            for Reading {
                price,
                confidence,
                updated_at,
            } in readings
            {
                out = out.wad(price).wad(confidence).uint(u128::from(updated_at));
            }
            Ok(out)
        }
        sequencerStatusCall::SELECTOR => {
            let (status, since) = c.sequencer_status();
            Ok(Out::new(2).uint(status as u128).uint(u128::from(since)))
        }
        getExpiryDataCall::SELECTOR => {
            let (data, confidence) = c.get_expiry_data(a.address(0)?, a.u64(1)?)?;
            Ok(Out::new(12).words(&expiry_words(&data)).wad(confidence))
        }
        settlementPriceCall::SELECTOR => {
            let (price, settled) = c.settlement_price(a.address(0)?, a.u64(1)?);
            Ok(Out::new(2).wad(price).uint(u128::from(settled)))
        }
        settleCall::SELECTOR => {
            let price = c.settle(a.address(0)?, a.u64(1)?, a.uint(2, 10)?)?;
            Ok(Out::new(1).wad(price))
        }
        pushExpiryDataCall::SELECTOR => {
            c.push_expiry_data(a.address(0)?, a.u64(1)?, a.expiry_data(2)?)?;
            Out::unit()
        }
        assetConfigCall::SELECTOR => {
            let info = c.asset_config(a.address(0)?);
            let s = info.settings;
            Ok(Out::new(8)
                .address(s.primary)
                .address(s.secondary)
                .uint(u128::from(s.params.staleness_limit))
                .uint(u128::from(s.params.secondary_staleness_limit))
                .wad(s.params.max_deviation)
                .wad(s.params.confidence_floor)
                .uint(u128::from(info.primary_decimals))
                .uint(u128::from(info.secondary_decimals)))
        }
        expiryBoundsCall::SELECTOR => {
            let b = c.expiry_bounds(a.address(0)?);
            Ok(Out::new(6)
                .wad(b.min_vol)
                .wad(b.max_vol)
                .wad(b.forward_band)
                .wad(b.max_rate)
                .uint(u128::from(b.heartbeat))
                .wad(b.confidence_floor))
        }
        isFeederCall::SELECTOR => Ok(Out::new(1).uint(u128::from(c.is_feeder(a.address(0)?)))),
        sequencerFeedCall::SELECTOR => Ok(Out::new(1).address(c.sequencer_feed())),
        gracePeriodCall::SELECTOR => Ok(Out::new(1).uint(u128::from(c.grace_period()))),
        ownerCall::SELECTOR => Ok(Out::new(1).address(c.owner())),
        pendingOwnerCall::SELECTOR => Ok(Out::new(1).address(c.pending_owner())),
        transferOwnershipCall::SELECTOR => {
            c.transfer_ownership(a.address(0)?)?;
            Out::unit()
        }
        acceptOwnershipCall::SELECTOR => {
            c.accept_ownership()?;
            Out::unit()
        }
        setAssetCall::SELECTOR => {
            c.set_asset(a.address(0)?, a.feed_config(1)?)?;
            Out::unit()
        }
        removeAssetCall::SELECTOR => {
            c.remove_asset(a.address(0)?)?;
            Out::unit()
        }
        setSequencerFeedCall::SELECTOR => {
            c.set_sequencer_feed(a.address(0)?)?;
            Out::unit()
        }
        setGracePeriodCall::SELECTOR => {
            c.set_grace_period(a.u64(0)?)?;
            Out::unit()
        }
        setFeederCall::SELECTOR => {
            c.set_feeder(a.address(0)?, a.boolean(1)?)?;
            Out::unit()
        }
        setExpiryBoundsCall::SELECTOR => {
            c.set_expiry_bounds(a.address(0)?, a.expiry_bounds(1)?)?;
            Out::unit()
        }
        _ => Err(Revert::empty()),
    }
}

// `#[public]` generates undocumented items.
#[allow(missing_docs)]
#[cfg(not(feature = "export-abi"))]
mod entry {
    use super::{dispatch, Address, OracleAdapter, Revert};
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
