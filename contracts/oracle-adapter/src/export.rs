//! `export-abi` only: the interface as typed `#[public]` methods, so that stylus-sdk's ABI
//! export (`cargo stylus export-abi`, Keel's `keel abi`) lists exactly the functions the
//! on-chain dispatcher ([`crate::dispatch`]) serves, with their Solidity types, and every
//! error ([`Revert`]'s export description). Each method forwards to the Rust method of the
//! same name; this impl replaces the `#[fallback]` one in `export-abi` builds (a type has one
//! router).

// `#[public]` generates undocumented items.
#![allow(missing_docs)]

use alloc::vec::Vec;

use alloy_primitives::aliases::U80;
use alloy_primitives::{Address, U256};
use keel_risk::math::SviParams;
use keel_risk::oracle::{ExpiryBounds as Bounds, ExpiryData as Data, FeedParams};
use keel_risk::Wad;
use keel_stylus_common::convert::{i256_to_wad, u256_to_wad, wad_to_i256};
use stylus_sdk::prelude::*;
// `vec!` is used by the code `#[public]` generates.
#[allow(unused_imports)]
use alloc::vec;

use crate::abi::{ExpiryBounds, ExpiryData, FeedConfig, PriceData};
use crate::contract::{FeedSettings, OracleAdapter};
use crate::error::Revert;

type Res<T> = core::result::Result<T, Revert>;

fn uw(x: U256) -> Res<Wad> {
    u256_to_wad(x).map_err(|_| Revert::overflow())
}
fn sw(x: alloy_primitives::I256) -> Res<Wad> {
    i256_to_wad(x).map_err(|_| Revert::overflow())
}
fn u(x: Wad) -> U256 {
    U256::from(x.raw().unsigned_abs())
}

#[public]
impl OracleAdapter {
    #[constructor]
    pub fn constructor(&mut self, owner: Address) -> Res<()> {
        self.init(owner)
    }

    #[selector(name = "owner")]
    pub fn abi_owner(&self) -> Address {
        self.owner()
    }

    #[selector(name = "pendingOwner")]
    pub fn abi_pending_owner(&self) -> Address {
        self.pending_owner()
    }

    #[selector(name = "transferOwnership")]
    pub fn abi_transfer_ownership(&mut self, new_owner: Address) -> Res<()> {
        self.transfer_ownership(new_owner)
    }

    #[selector(name = "acceptOwnership")]
    pub fn abi_accept_ownership(&mut self) -> Res<()> {
        self.accept_ownership()
    }

    #[selector(name = "setAsset")]
    pub fn abi_set_asset(&mut self, asset: Address, config: FeedConfig) -> Res<()> {
        let settings = FeedSettings {
            primary: config.primary,
            secondary: config.secondary,
            params: FeedParams {
                staleness_limit: config.stalenessLimit,
                secondary_staleness_limit: config.secondaryStalenessLimit,
                max_deviation: uw(config.maxDeviation)?,
                confidence_floor: uw(config.confidenceFloor)?,
            },
        };
        self.set_asset(asset, settings).map(|_| ())
    }

    #[selector(name = "removeAsset")]
    pub fn abi_remove_asset(&mut self, asset: Address) -> Res<()> {
        self.remove_asset(asset)
    }

    #[selector(name = "setSequencerFeed")]
    pub fn abi_set_sequencer_feed(&mut self, feed: Address) -> Res<()> {
        self.set_sequencer_feed(feed)
    }

    #[selector(name = "setGracePeriod")]
    pub fn abi_set_grace_period(&mut self, grace_period: u64) -> Res<()> {
        self.set_grace_period(grace_period)
    }

    #[selector(name = "setFeeder")]
    pub fn abi_set_feeder(&mut self, feeder: Address, allowed: bool) -> Res<()> {
        self.set_feeder(feeder, allowed)
    }

    #[selector(name = "setExpiryBounds")]
    pub fn abi_set_expiry_bounds(&mut self, underlying: Address, bounds: ExpiryBounds) -> Res<()> {
        let b = Bounds {
            min_vol: uw(bounds.minVol)?,
            max_vol: uw(bounds.maxVol)?,
            forward_band: uw(bounds.forwardBand)?,
            max_rate: uw(bounds.maxRate)?,
            heartbeat: bounds.heartbeat,
            confidence_floor: uw(bounds.confidenceFloor)?,
        };
        self.set_expiry_bounds(underlying, b)
    }

    #[selector(name = "assetConfig")]
    pub fn abi_asset_config(&self, asset: Address) -> (FeedConfig, u8, u8) {
        let info = self.asset_config(asset);
        let s = info.settings;
        let config = FeedConfig {
            primary: s.primary,
            secondary: s.secondary,
            stalenessLimit: s.params.staleness_limit,
            secondaryStalenessLimit: s.params.secondary_staleness_limit,
            maxDeviation: u(s.params.max_deviation),
            confidenceFloor: u(s.params.confidence_floor),
        };
        (config, info.primary_decimals, info.secondary_decimals)
    }

    #[selector(name = "expiryBounds")]
    pub fn abi_expiry_bounds(&self, underlying: Address) -> ExpiryBounds {
        let b = self.expiry_bounds(underlying);
        ExpiryBounds {
            minVol: u(b.min_vol),
            maxVol: u(b.max_vol),
            forwardBand: u(b.forward_band),
            maxRate: u(b.max_rate),
            heartbeat: b.heartbeat,
            confidenceFloor: u(b.confidence_floor),
        }
    }

    #[selector(name = "isFeeder")]
    pub fn abi_is_feeder(&self, account: Address) -> bool {
        self.is_feeder(account)
    }

    #[selector(name = "sequencerFeed")]
    pub fn abi_sequencer_feed(&self) -> Address {
        self.sequencer_feed()
    }

    #[selector(name = "gracePeriod")]
    pub fn abi_grace_period(&self) -> u64 {
        self.grace_period()
    }

    #[selector(name = "getPrice")]
    pub fn abi_get_price(&self, asset: Address) -> Res<(U256, U256, u64, u8)> {
        let (r, status) = self.get_price(asset)?;
        Ok((u(r.price), u(r.confidence), r.updated_at, status as u8))
    }

    #[selector(name = "getPrices")]
    pub fn abi_get_prices(&self, assets: Vec<Address>) -> Res<(Vec<PriceData>, u8)> {
        let (readings, status) = self.get_prices(&assets)?;
        let prices = readings
            .into_iter()
            .map(|r| PriceData {
                price: u(r.price),
                confidence: u(r.confidence),
                updatedAt: r.updated_at,
            })
            .collect();
        Ok((prices, status as u8))
    }

    #[selector(name = "sequencerStatus")]
    pub fn abi_sequencer_status(&self) -> (u8, u64) {
        let (status, since) = self.sequencer_status();
        (status as u8, since)
    }

    #[selector(name = "pushExpiryData")]
    pub fn abi_push_expiry_data(
        &mut self,
        underlying: Address,
        expiry: u64,
        data: ExpiryData,
    ) -> Res<()> {
        let d = Data {
            forward: uw(data.forward)?,
            rate: sw(data.rate)?,
            svi: SviParams {
                a: sw(data.sviA)?,
                b: sw(data.sviB)?,
                rho: sw(data.sviRho)?,
                m: sw(data.sviM)?,
                sigma: sw(data.sviSigma)?,
                forward: uw(data.sviForward)?,
                tau: uw(data.sviTau)?,
            },
            confidence: uw(data.confidence)?,
            timestamp: data.timestamp,
        };
        self.push_expiry_data(underlying, expiry, d)
    }

    #[selector(name = "getExpiryData")]
    pub fn abi_get_expiry_data(&self, underlying: Address, expiry: u64) -> Res<(ExpiryData, U256)> {
        let (d, confidence) = self.get_expiry_data(underlying, expiry)?;
        let s = d.svi;
        let data = ExpiryData {
            forward: u(d.forward),
            rate: wad_to_i256(d.rate),
            sviA: wad_to_i256(s.a),
            sviB: wad_to_i256(s.b),
            sviRho: wad_to_i256(s.rho),
            sviM: wad_to_i256(s.m),
            sviSigma: wad_to_i256(s.sigma),
            sviForward: u(s.forward),
            sviTau: u(s.tau),
            confidence: u(d.confidence),
            timestamp: d.timestamp,
        };
        Ok((data, u(confidence)))
    }

    #[selector(name = "settle")]
    pub fn abi_settle(&mut self, asset: Address, expiry: u64, round_id: U80) -> Res<U256> {
        let round = u128::try_from(round_id).map_err(|_| Revert::empty())?;
        Ok(u(self.settle(asset, expiry, round)?))
    }

    #[selector(name = "settlementPrice")]
    pub fn abi_settlement_price(&self, asset: Address, expiry: u64) -> (U256, bool) {
        let (price, settled) = self.settlement_price(asset, expiry);
        (u(price), settled)
    }
}
