//! `export-abi` only: the module's functions as typed `#[public]` methods, so that
//! stylus-sdk's ABI export lists exactly the functions the on-chain dispatcher
//! ([`crate::dispatch`]) serves, with their Solidity types, and every error ([`Revert`]'s export
//! description). Each method forwards to the Rust method of the same name (but
//! `marginAllModes`, see there); this impl replaces the `#[fallback]` one in `export-abi`
//! builds (a type has one router).

// `#[public]` generates undocumented items.
#![allow(missing_docs)]

use alloc::vec::Vec;

use alloy_primitives::{Address, I256, U256};
use keel_risk::Wad;
use keel_stylus_common::convert::{i256_to_i128, wad_to_i256};
use stylus_sdk::prelude::*;
// `vec!` is used by the code `#[public]` generates.
#[allow(unused_imports)]
use alloc::vec;

use keel_vault_state::abi::{MarginState, Position, Trade};
use keel_vault_state::pack::to_u128;
use keel_vault_state::Revert;

use crate::contract::{TradeArgs, TradingModule};

type Res<T> = core::result::Result<T, Revert>;

fn swad(x: I256) -> Res<Wad> {
    i256_to_i128(x)
        .map(Wad::from_raw)
        .ok_or_else(Revert::overflow)
}

fn uwad(x: U256) -> Res<Wad> {
    to_u128(x)
        .and_then(|v| i128::try_from(v).ok())
        .map(Wad::from_raw)
        .ok_or_else(Revert::overflow)
}

#[public]
impl TradingModule {
    #[selector(name = "listUnderlying")]
    pub fn abi_list_underlying(&mut self, asset: Address, stress_vol: U256) -> Res<u8> {
        self.list_underlying(asset, stress_vol)
    }

    #[selector(name = "underlyings")]
    pub fn abi_underlyings(&self) -> Vec<Address> {
        self.underlyings()
    }

    #[selector(name = "setMarket")]
    pub fn abi_set_market(&mut self, market: Address, authorised: bool) -> Res<()> {
        self.set_market(market, authorised)
    }

    #[selector(name = "isMarket")]
    pub fn abi_is_market(&self, market: Address) -> bool {
        self.is_market(market)
    }

    #[selector(name = "instrumentId")]
    pub fn abi_instrument_id(
        &self,
        underlying: Address,
        kind: u8,
        expiry: u64,
        strike: U256,
    ) -> Res<U256> {
        self.instrument_id(underlying, kind, expiry, strike)
    }

    #[selector(name = "instrument")]
    pub fn abi_instrument(&self, id: U256) -> Res<(Address, u8, u64, U256)> {
        let (underlying, i) = self.instrument(id)?;
        Ok((underlying, i.kind, i.expiry, U256::from(i.strike)))
    }

    #[selector(name = "settleTrade")]
    pub fn abi_settle_trade(&mut self, trade: Trade) -> Res<()> {
        let t = TradeArgs {
            instrument: trade.instrument,
            taker: trade.taker,
            maker: trade.maker,
            size: swad(trade.size)?,
            price: uwad(trade.price)?,
            taker_fee: uwad(trade.takerFee)?,
            maker_fee: uwad(trade.makerFee)?,
        };
        self.settle_trade(&t, &[])
    }

    #[selector(name = "positions")]
    pub fn abi_positions(&self, id: U256) -> Vec<Position> {
        self.positions(id)
            .into_iter()
            .map(|p| Position {
                instrument: p.instrument,
                size: wad_to_i256(p.size),
                basis: wad_to_i256(p.basis),
            })
            .collect()
    }

    #[selector(name = "setFundingRate")]
    pub fn abi_set_funding_rate(&mut self, underlying: Address, rate_per_second: I256) -> Res<()> {
        let rate = i256_to_i128(rate_per_second).map_or(Wad::MAX, Wad::from_raw);
        self.set_funding_rate(underlying, rate)
    }

    #[selector(name = "funding")]
    pub fn abi_funding(&self, underlying: Address) -> Res<(I256, I256, u64)> {
        let (index, rate, updated) = self.funding(underlying)?;
        Ok((wad_to_i256(index), wad_to_i256(rate), updated))
    }

    #[selector(name = "realise")]
    pub fn abi_realise(&mut self, id: U256) -> Res<()> {
        self.realise(id)
    }

    #[selector(name = "settleOptions")]
    pub fn abi_settle_options(&mut self, id: U256) -> Res<()> {
        self.settle_options(id)
    }

    /// `view` in the interface, so `&self` here (stylus-sdk infers the mutability from the
    /// receiver). The dispatcher serves it with [`TradingModule::margin_all_modes`], which
    /// borrows the module mutably for its delegatecalls into the margin module (they write
    /// nothing, but stylus-sdk's delegatecall needs the storage exclusively), so this twin —
    /// built only to describe the interface, never deployed — cannot forward to it and
    /// reverts with empty data.
    #[selector(name = "marginAllModes")]
    pub fn abi_margin_all_modes(&self, id: U256) -> Res<(MarginState, MarginState, MarginState)> {
        let _ = id;
        Err(Revert::empty())
    }
}
