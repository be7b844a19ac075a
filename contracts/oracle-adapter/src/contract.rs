//! The adapter's storage and logic: every entry point of the interface as a Rust method of
//! [`OracleAdapter`] over native types (wads, `u64` times), which the ABI layer
//! ([`crate::dispatch`], or [`crate::export`] under `export-abi`) decodes into and encodes from.
//! The data rules themselves are keel-risk's ([`keel_risk::oracle`]).

use alloc::vec::Vec;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolEvent;
use keel_risk::math::SviParams;
use keel_risk::oracle::{
    check_settlement_round, previous_round_id, sequencer_status, spot_confidence,
    validate_expiry_data, validate_feed, validate_grace_period, verify_settlement_round,
    ExpiryBounds, ExpiryData, FeedParams, Secondary, SequencerStatus, DEFAULT_GRACE_PERIOD,
    MAX_FEED_DECIMALS,
};
use keel_risk::Wad;
use keel_stylus_common::abi::{emit, Word};
use keel_stylus_common::convert::{answer_to_wad, UnsupportedDecimals};
use keel_stylus_common::feed;
use keel_stylus_common::Ownable2Step;
use stylus_sdk::prelude::*;
use stylus_sdk::storage::{StorageAddress, StorageBool, StorageMap, StorageU256, StorageU64};

use crate::abi::{
    AlreadySettled, AssetConfigured, AssetRemoved, ExpiryBoundsSet, ExpiryDataPushed, FeederSet,
    GracePeriodSet, NoExpiryBounds, NoExpiryData, NotFeeder, SequencerFeedSet, SettlementPriceSet,
    UnknownAsset,
};
use crate::error::Revert;
use crate::pack::{feed_word, pair, unpack_feed, unpair};

/// Result of the adapter's methods.
pub type Result<T> = core::result::Result<T, Revert>;

/// An asset's feeds and limits as the owner sets them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeedSettings {
    /// Primary feed (required).
    pub primary: Address,
    /// Secondary feed (zero: none).
    pub secondary: Address,
    /// Staleness limits, deviation and confidence floor.
    pub params: FeedParams,
}

/// An asset's stored configuration with its feeds' decimals.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AssetInfo {
    /// The configuration (zero everywhere for an unknown asset).
    pub settings: FeedSettings,
    /// The primary's decimals.
    pub primary_decimals: u8,
    /// The secondary's decimals (0 without a secondary).
    pub secondary_decimals: u8,
}

/// One validated spot reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reading {
    /// Price, 18 decimals.
    pub price: Wad,
    /// Confidence in `[0, 1]`.
    pub confidence: Wad,
    /// The primary answer's `updatedAt`.
    pub updated_at: u64,
}

// `#[storage]` generates undocumented items.
#[allow(missing_docs)]
mod layout {
    use super::{
        Address, Ownable2Step, StorageAddress, StorageBool, StorageMap, StorageU256, StorageU64,
    };
    use stylus_sdk::prelude::*;
    // `vec!`/`Vec` are used by the code `#[storage]` generates.
    #[allow(unused_imports)]
    use alloc::{vec, vec::Vec};

    /// Three storage words.
    #[storage]
    pub struct Words3 {
        pub w0: StorageU256,
        pub w1: StorageU256,
        pub w2: StorageU256,
    }

    /// Six storage words.
    #[storage]
    pub struct Words6 {
        pub w0: StorageU256,
        pub w1: StorageU256,
        pub w2: StorageU256,
        pub w3: StorageU256,
        pub w4: StorageU256,
        pub w5: StorageU256,
    }

    /// The adapter's storage.
    ///
    /// * `assets[asset]`: `w0` primary feed word, `w1` secondary feed word
    ///   ([`crate::pack::feed_word`]), `w2` = (max deviation, confidence floor);
    /// * `bounds[underlying]`: (min vol, max vol), (forward band, max rate),
    ///   (heartbeat, confidence floor) — heartbeat 0 means unset;
    /// * `expiries[underlying][expiry]`: (forward, rate), (a, b), (ρ, m), (σ, reference
    ///   forward), (reference τ, confidence), timestamp — timestamp 0 means none pushed;
    /// * `settlements[asset][expiry]`: the price, 0 while unsettled.
    #[storage]
    #[entrypoint]
    pub struct OracleAdapter {
        pub(crate) ownable: Ownable2Step,
        pub(crate) sequencer: StorageAddress,
        pub(crate) grace: StorageU64,
        pub(crate) feeders: StorageMap<Address, StorageBool>,
        pub(crate) assets: StorageMap<Address, Words3>,
        pub(crate) bounds: StorageMap<Address, Words3>,
        pub(crate) expiries: StorageMap<Address, StorageMap<u64, Words6>>,
        pub(crate) settlements: StorageMap<Address, StorageMap<u64, StorageU256>>,
    }
}

pub use layout::{OracleAdapter, Words3, Words6};

/// A stored non-negative wad (below 2¹²⁷ by construction).
fn w(raw: i128) -> Wad {
    Wad::from_raw(raw)
}

impl OracleAdapter {
    // ---- ownership -----------------------------------------------------------------------

    /// Sets the first owner and the default grace period (the constructor).
    pub fn init(&mut self, owner: Address) -> Result<()> {
        self.ownable.initialize(owner)?;
        self.grace
            .set(alloy_primitives::U64::from(DEFAULT_GRACE_PERIOD));
        Ok(())
    }

    /// The owner.
    pub fn owner(&self) -> Address {
        self.ownable.owner()
    }

    /// The pending owner.
    pub fn pending_owner(&self) -> Address {
        self.ownable.pending_owner()
    }

    /// Owner only: starts a two-step transfer (zero cancels).
    pub fn transfer_ownership(&mut self, new_owner: Address) -> Result<()> {
        Ok(self.ownable.transfer_ownership(new_owner)?)
    }

    /// Pending owner only: completes the transfer.
    pub fn accept_ownership(&mut self) -> Result<()> {
        Ok(self.ownable.accept_ownership()?)
    }

    // ---- configuration ---------------------------------------------------------------------

    /// A feed's `decimals()`, at most 36.
    fn feed_decimals(&self, feed_address: Address) -> Result<u8> {
        let decimals = feed::decimals(self.vm(), feed_address)?;
        if decimals > MAX_FEED_DECIMALS {
            return Err(UnsupportedDecimals { decimals }.into_revert());
        }
        Ok(decimals)
    }

    /// Owner only: configures `asset` (see `setAsset`); returns the feeds' decimals.
    pub fn set_asset(&mut self, asset: Address, settings: FeedSettings) -> Result<(u8, u8)> {
        self.ownable.only_owner()?;
        if asset.is_zero() || settings.primary.is_zero() {
            return Err(zero_address());
        }
        let has_secondary = !settings.secondary.is_zero();
        let mut p = settings.params;
        if !has_secondary {
            p.secondary_staleness_limit = 0;
        }
        p.validate(has_secondary)
            .map_err(|e| Revert::oracle(e, asset))?;
        let primary_decimals = self.feed_decimals(settings.primary)?;
        let secondary_decimals = if has_secondary {
            self.feed_decimals(settings.secondary)?
        } else {
            0
        };
        let mut slot = self.assets.setter(asset);
        slot.w0.set(feed_word(
            settings.primary,
            primary_decimals,
            p.staleness_limit,
        ));
        slot.w1.set(feed_word(
            settings.secondary,
            secondary_decimals,
            p.secondary_staleness_limit,
        ));
        slot.w2
            .set(pair(p.max_deviation.raw(), p.confidence_floor.raw()));
        emit(
            self.vm(),
            &[AssetConfigured::SIGNATURE_HASH, asset.word()],
            &[
                settings.primary.word(),
                settings.secondary.word(),
                p.staleness_limit.word(),
                p.secondary_staleness_limit.word(),
                p.max_deviation.word(),
                p.confidence_floor.word(),
                primary_decimals.word(),
                secondary_decimals.word(),
            ],
        );
        Ok((primary_decimals, secondary_decimals))
    }

    /// Owner only: removes `asset` (settled prices remain).
    pub fn remove_asset(&mut self, asset: Address) -> Result<()> {
        self.ownable.only_owner()?;
        self.primary_of(asset)?;
        let mut slot = self.assets.setter(asset);
        slot.w0.set(U256::ZERO);
        slot.w1.set(U256::ZERO);
        slot.w2.set(U256::ZERO);
        emit(
            self.vm(),
            &[AssetRemoved::SIGNATURE_HASH, asset.word()],
            &[],
        );
        Ok(())
    }

    /// Owner only: sets the sequencer uptime feed (zero: none).
    pub fn set_sequencer_feed(&mut self, feed_address: Address) -> Result<()> {
        self.ownable.only_owner()?;
        self.sequencer.set(feed_address);
        emit(
            self.vm(),
            &[SequencerFeedSet::SIGNATURE_HASH, feed_address.word()],
            &[],
        );
        Ok(())
    }

    /// Owner only: sets the grace period, within `[300, 86400]` seconds.
    pub fn set_grace_period(&mut self, grace_period: u64) -> Result<()> {
        self.ownable.only_owner()?;
        validate_grace_period(grace_period).map_err(|e| Revert::oracle(e, Address::ZERO))?;
        self.grace.set(alloy_primitives::U64::from(grace_period));
        emit(
            self.vm(),
            &[GracePeriodSet::SIGNATURE_HASH],
            &[grace_period.word()],
        );
        Ok(())
    }

    /// Owner only: allows or disallows a feeder.
    pub fn set_feeder(&mut self, feeder: Address, allowed: bool) -> Result<()> {
        self.ownable.only_owner()?;
        if feeder.is_zero() {
            return Err(zero_address());
        }
        self.feeders.setter(feeder).set(allowed);
        emit(
            self.vm(),
            &[FeederSet::SIGNATURE_HASH, feeder.word()],
            &[allowed.word()],
        );
        Ok(())
    }

    /// Owner only: sets `underlying`'s expiry-data bounds.
    pub fn set_expiry_bounds(&mut self, underlying: Address, b: ExpiryBounds) -> Result<()> {
        self.ownable.only_owner()?;
        if underlying.is_zero() {
            return Err(zero_address());
        }
        b.validate().map_err(|e| Revert::oracle(e, underlying))?;
        let mut slot = self.bounds.setter(underlying);
        slot.w0.set(pair(b.min_vol.raw(), b.max_vol.raw()));
        slot.w1.set(pair(b.forward_band.raw(), b.max_rate.raw()));
        slot.w2
            .set(pair(i128::from(b.heartbeat), b.confidence_floor.raw()));
        emit(
            self.vm(),
            &[ExpiryBoundsSet::SIGNATURE_HASH, underlying.word()],
            &[
                b.min_vol.word(),
                b.max_vol.word(),
                b.forward_band.word(),
                b.max_rate.word(),
                b.heartbeat.word(),
                b.confidence_floor.word(),
            ],
        );
        Ok(())
    }

    // ---- configuration views ---------------------------------------------------------------

    /// `asset`'s configuration (zero when unknown).
    pub fn asset_config(&self, asset: Address) -> AssetInfo {
        let slot = self.assets.getter(asset);
        let (primary, primary_decimals, staleness_limit) = unpack_feed(slot.w0.get());
        let (secondary, secondary_decimals, secondary_staleness_limit) = unpack_feed(slot.w1.get());
        let (max_deviation, confidence_floor) = unpair(slot.w2.get());
        AssetInfo {
            settings: FeedSettings {
                primary,
                secondary,
                params: FeedParams {
                    staleness_limit,
                    secondary_staleness_limit,
                    max_deviation: w(max_deviation),
                    confidence_floor: w(confidence_floor),
                },
            },
            primary_decimals,
            secondary_decimals,
        }
    }

    /// `underlying`'s bounds (zero when unset).
    pub fn expiry_bounds(&self, underlying: Address) -> ExpiryBounds {
        let slot = self.bounds.getter(underlying);
        let (min_vol, max_vol) = unpair(slot.w0.get());
        let (forward_band, max_rate) = unpair(slot.w1.get());
        let (heartbeat, confidence_floor) = unpair(slot.w2.get());
        ExpiryBounds {
            min_vol: w(min_vol),
            max_vol: w(max_vol),
            forward_band: w(forward_band),
            max_rate: w(max_rate),
            heartbeat: heartbeat as u64,
            confidence_floor: w(confidence_floor),
        }
    }

    /// Whether `account` may push expiry data.
    pub fn is_feeder(&self, account: Address) -> bool {
        self.feeders.get(account)
    }

    /// The sequencer uptime feed.
    pub fn sequencer_feed(&self) -> Address {
        self.sequencer.get()
    }

    /// The effective grace period (the default before the constructor ran).
    pub fn grace_period(&self) -> u64 {
        let g = self.grace.get().as_limbs()[0];
        if g == 0 {
            DEFAULT_GRACE_PERIOD
        } else {
            g
        }
    }

    // ---- reads ---------------------------------------------------------------------------------

    /// `asset`'s primary feed and its decimals, or `UnknownAsset(asset)`.
    fn primary_of(&self, asset: Address) -> Result<(Address, u8)> {
        let (primary, decimals, _) = unpack_feed(self.assets.getter(asset).w0.get());
        if primary.is_zero() {
            return Err(Revert::at(
                <UnknownAsset as alloy_sol_types::SolError>::SELECTOR,
                asset,
            ));
        }
        Ok((primary, decimals))
    }

    /// A feed's latest answer as a validated wad with its age and `updatedAt`.
    fn read_feed(
        &self,
        asset: Address,
        feed_address: Address,
        decimals: u8,
        limit: u64,
        now: u64,
    ) -> Result<(Wad, u64, u64)> {
        let round = feed::latest_round_in(self.vm(), feed_address, decimals)?;
        let positive = !(round.answer.is_negative() || round.answer.is_zero());
        let price = if positive {
            answer_to_wad(round.answer, decimals)?
        } else {
            Wad::ZERO
        };
        let age = validate_feed(price, round.updated_at, now, limit)
            .map_err(|e| Revert::oracle(e, asset))?;
        Ok((price, age, round.updated_at))
    }

    /// `asset`'s validated reading at `now`.
    pub fn spot(&self, asset: Address, now: u64) -> Result<Reading> {
        let info = self.asset_config(asset);
        let s = info.settings;
        if s.primary.is_zero() {
            return Err(Revert::at(
                <UnknownAsset as alloy_sol_types::SolError>::SELECTOR,
                asset,
            ));
        }
        let (price, age, updated_at) = self.read_feed(
            asset,
            s.primary,
            info.primary_decimals,
            s.params.staleness_limit,
            now,
        )?;
        let secondary = if s.secondary.is_zero() {
            Secondary::None
        } else {
            match self.read_feed(
                asset,
                s.secondary,
                info.secondary_decimals,
                s.params.secondary_staleness_limit,
                now,
            ) {
                Ok((p, _, _)) => Secondary::Price(p),
                Err(_) => Secondary::Unavailable,
            }
        };
        let confidence = spot_confidence(price, age, secondary, &s.params)
            .map_err(|e| Revert::oracle(e, asset))?;
        Ok(Reading {
            price,
            confidence,
            updated_at,
        })
    }

    /// The sequencer status at `now` and the time of its last change (0 without a feed or
    /// when the feed cannot be read).
    pub fn sequencer_at(&self, now: u64) -> (SequencerStatus, u64) {
        let feed_address = self.sequencer.get();
        if feed_address.is_zero() {
            return (SequencerStatus::Up, 0);
        }
        match feed::latest_round(self.vm(), feed_address) {
            Ok(r) => {
                let answer = keel_stylus_common::convert::i256_to_i128(r.answer).unwrap_or(-1);
                let status = sequencer_status(answer, r.started_at, now, self.grace_period());
                (status, r.started_at)
            }
            Err(_) => (SequencerStatus::Down, 0),
        }
    }

    /// `asset`'s reading and the sequencer status, now.
    pub fn get_price(&self, asset: Address) -> Result<(Reading, SequencerStatus)> {
        let now = self.vm().block_timestamp();
        let reading = self.spot(asset, now)?;
        Ok((reading, self.sequencer_at(now).0))
    }

    /// Several assets' readings and the sequencer status (read once), now.
    pub fn get_prices(&self, assets: &[Address]) -> Result<(Vec<Reading>, SequencerStatus)> {
        let now = self.vm().block_timestamp();
        let mut out = Vec::with_capacity(assets.len());
        for &asset in assets {
            out.push(self.spot(asset, now)?);
        }
        Ok((out, self.sequencer_at(now).0))
    }

    /// The sequencer status now and the time of its last change.
    pub fn sequencer_status(&self) -> (SequencerStatus, u64) {
        self.sequencer_at(self.vm().block_timestamp())
    }

    // ---- expiry data ---------------------------------------------------------------------------

    /// `underlying`'s bounds, or `NoExpiryBounds(underlying)`.
    fn stored_bounds(&self, underlying: Address) -> Result<ExpiryBounds> {
        let b = self.expiry_bounds(underlying);
        if b.heartbeat == 0 {
            return Err(Revert::at(
                <NoExpiryBounds as alloy_sol_types::SolError>::SELECTOR,
                underlying,
            ));
        }
        Ok(b)
    }

    /// Feeders only: pushes `underlying`'s data for `expiry` (see `pushExpiryData`).
    pub fn push_expiry_data(
        &mut self,
        underlying: Address,
        expiry: u64,
        d: ExpiryData,
    ) -> Result<()> {
        let feeder = self.vm().msg_sender();
        if !self.feeders.get(feeder) {
            return Err(Revert::at(
                <NotFeeder as alloy_sol_types::SolError>::SELECTOR,
                feeder,
            ));
        }
        let now = self.vm().block_timestamp();
        let bounds = self.stored_bounds(underlying)?;
        let spot = self.spot(underlying, now)?.price;
        let previous = unpair(self.expiries.getter(underlying).getter(expiry).w5.get()).1 as u64;
        validate_expiry_data(&d, expiry, spot, now, previous, &bounds)
            .map_err(|e| Revert::oracle(e, underlying))?;
        let s = &d.svi;
        let mut outer = self.expiries.setter(underlying);
        let mut slot = outer.setter(expiry);
        slot.w0.set(pair(d.forward.raw(), d.rate.raw()));
        slot.w1.set(pair(s.a.raw(), s.b.raw()));
        slot.w2.set(pair(s.rho.raw(), s.m.raw()));
        slot.w3.set(pair(s.sigma.raw(), s.forward.raw()));
        slot.w4.set(pair(s.tau.raw(), d.confidence.raw()));
        slot.w5.set(pair(0, i128::from(d.timestamp)));
        emit(
            self.vm(),
            &[
                ExpiryDataPushed::SIGNATURE_HASH,
                underlying.word(),
                expiry.word(),
                feeder.word(),
            ],
            &expiry_words(&d),
        );
        Ok(())
    }

    /// `underlying`'s data for `expiry` as pushed and its confidence now.
    pub fn get_expiry_data(&self, underlying: Address, expiry: u64) -> Result<(ExpiryData, Wad)> {
        let outer = self.expiries.getter(underlying);
        let slot = outer.getter(expiry);
        let timestamp = unpair(slot.w5.get()).1 as u64;
        if timestamp == 0 {
            return Err(Revert::at_expiry(
                <NoExpiryData as alloy_sol_types::SolError>::SELECTOR,
                underlying,
                expiry,
            ));
        }
        let bounds = self.stored_bounds(underlying)?;
        let (forward, rate) = unpair(slot.w0.get());
        let (a, b) = unpair(slot.w1.get());
        let (rho, m) = unpair(slot.w2.get());
        let (sigma, svi_forward) = unpair(slot.w3.get());
        let (tau, pushed) = unpair(slot.w4.get());
        let data = ExpiryData {
            forward: w(forward),
            rate: w(rate),
            svi: SviParams {
                a: w(a),
                b: w(b),
                rho: w(rho),
                m: w(m),
                sigma: w(sigma),
                forward: w(svi_forward),
                tau: w(tau),
            },
            confidence: w(pushed),
            timestamp,
        };
        let confidence = keel_risk::oracle::expiry_data_confidence(
            data.confidence,
            timestamp,
            self.vm().block_timestamp(),
            bounds.heartbeat,
            bounds.confidence_floor,
        )
        .map_err(|e| Revert::oracle(e, underlying))?;
        Ok((data, confidence))
    }

    // ---- settlement ------------------------------------------------------------------------------

    /// Fixes `asset`'s settlement price for `expiry` from primary round `round_id` (0: latest).
    pub fn settle(&mut self, asset: Address, expiry: u64, round_id: u128) -> Result<Wad> {
        if !self.settlements.getter(asset).get(expiry).is_zero() {
            return Err(Revert::at_expiry(
                <AlreadySettled as alloy_sol_types::SolError>::SELECTOR,
                asset,
                expiry,
            ));
        }
        let (feed_address, decimals) = self.primary_of(asset)?;
        let vm = self.vm();
        let round = if round_id == 0 {
            feed::latest_round(vm, feed_address)?
        } else {
            feed::round_data(vm, feed_address, round_id)?
        };
        // A price fixed for ever is read with the decimals the feed reports now.
        feed::check_decimals(vm, feed_address, decimals)?;
        let now = vm.block_timestamp();
        // The round's own checks first: no predecessor is read for a round that cannot be it.
        check_settlement_round(expiry, now, round.updated_at)
            .map_err(|e| Revert::oracle(e, asset))?;
        let previous = match previous_round_id(round.round_id) {
            Some(id) => Some(feed::round_data(vm, feed_address, id)?.updated_at),
            None => None,
        };
        verify_settlement_round(expiry, now, round.updated_at, previous)
            .map_err(|e| Revert::oracle(e, asset))?;
        let positive = !(round.answer.is_negative() || round.answer.is_zero());
        let price = if positive {
            answer_to_wad(round.answer, decimals)?
        } else {
            Wad::ZERO
        };
        if !price.is_positive() {
            return Err(Revert::oracle(
                keel_risk::oracle::OracleError::NonPositiveAnswer,
                asset,
            ));
        }
        self.settlements
            .setter(asset)
            .setter(expiry)
            .set(U256::from(price.raw().unsigned_abs()));
        emit(
            self.vm(),
            &[
                SettlementPriceSet::SIGNATURE_HASH,
                asset.word(),
                expiry.word(),
            ],
            &[price.word(), round.round_id.word(), round.updated_at.word()],
        );
        Ok(price)
    }

    /// `asset`'s settlement price for `expiry` and whether it is fixed.
    pub fn settlement_price(&self, asset: Address, expiry: u64) -> (Wad, bool) {
        let raw = self.settlements.getter(asset).get(expiry);
        let (_, price) = unpair(raw);
        (w(price), price != 0)
    }
}

/// The eleven ABI words of an `ExpiryData`.
pub(crate) fn expiry_words(d: &ExpiryData) -> [B256; 11] {
    let s = &d.svi;
    [
        d.forward.word(),
        d.rate.word(),
        s.a.word(),
        s.b.word(),
        s.rho.word(),
        s.m.word(),
        s.sigma.word(),
        s.forward.word(),
        s.tau.word(),
        d.confidence.word(),
        d.timestamp.word(),
    ]
}

fn zero_address() -> Revert {
    Revert::named(<keel_stylus_common::ownable::ZeroAddress as alloy_sol_types::SolError>::SELECTOR)
}

/// A common-crate error as revert data.
trait IntoRevert {
    fn into_revert(self) -> Revert;
}

impl IntoRevert for UnsupportedDecimals {
    fn into_revert(self) -> Revert {
        Revert::with(
            <UnsupportedDecimals as alloy_sol_types::SolError>::SELECTOR,
            &[self.decimals.word()],
        )
    }
}
