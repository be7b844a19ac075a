//! `export-abi` only: the module's functions as typed `#[public]` methods, so that
//! stylus-sdk's ABI export lists exactly what the on-chain dispatcher ([`crate::dispatch`])
//! serves, with their Solidity types, and every error ([`Revert`]'s export description).
//! Each method forwards to the Rust method of [`LiquidationModule`]; this impl replaces the
//! `#[fallback]` one in `export-abi` builds (a type has one router).

// `#[public]` generates undocumented items.
#![allow(missing_docs)]

// `Vec`/`vec!` are used by the code `#[public]` generates.
#[allow(unused_imports)]
use alloc::{vec, vec::Vec};

use alloy_primitives::{I256, U256};
use stylus_sdk::prelude::*;

use crate::contract::LiquidationModule;
use keel_vault_state::abi::LiquidationParams;
use keel_vault_state::Revert;

type Res<T> = core::result::Result<T, Revert>;

#[public]
impl LiquidationModule {
    #[selector(name = "setLiquidationParams")]
    pub fn abi_set_liquidation_params(&mut self, params: LiquidationParams) -> Res<()> {
        self.set_liquidation_params(
            params.startDiscount,
            params.endDiscount,
            params.duration,
            params.buffer,
        )
    }

    #[selector(name = "liquidationParams")]
    pub fn abi_liquidation_params(&self) -> LiquidationParams {
        let p = self.params();
        LiquidationParams {
            startDiscount: U256::from(p.start),
            endDiscount: U256::from(p.end),
            duration: p.duration,
            buffer: U256::from(p.buffer),
        }
    }

    #[selector(name = "startAuction")]
    pub fn abi_start_auction(&mut self, id: U256) -> Res<()> {
        self.start_auction(id)
    }

    #[selector(name = "bid")]
    pub fn abi_bid(
        &mut self,
        id: U256,
        bidder: U256,
        fraction: U256,
        max_payment: I256,
    ) -> Res<(U256, I256)> {
        let (filled, payment) = self.bid(id, bidder, fraction, max_payment)?;
        Ok((U256::from(filled), I256::unchecked_from(payment)))
    }

    #[selector(name = "endAuction")]
    pub fn abi_end_auction(&mut self, id: U256) -> Res<()> {
        self.end_auction(id)
    }

    #[selector(name = "auction")]
    pub fn abi_auction(&self, id: U256) -> (bool, u64, U256) {
        let (active, started, discount) = self.auction(id);
        (active, started, U256::from(discount))
    }

    #[selector(name = "fundInsurance")]
    pub fn abi_fund_insurance(&mut self, amount: U256) -> Res<()> {
        self.fund_insurance(amount).map(|_| ())
    }

    #[selector(name = "insuranceFund")]
    pub fn abi_insurance_fund(&self) -> U256 {
        self.insurance_fund()
    }

    #[selector(name = "socialisedLoss")]
    pub fn abi_socialised_loss(&self) -> (U256, U256) {
        self.socialised_loss()
    }
}
