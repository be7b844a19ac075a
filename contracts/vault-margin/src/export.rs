//! `export-abi` only: the module's functions as typed `#[public]` methods, so that
//! stylus-sdk's ABI export lists exactly what the on-chain dispatcher ([`crate::dispatch`])
//! serves, with their Solidity types. Each method forwards to the Rust method of the same
//! name; this impl replaces the `#[fallback]` one in `export-abi` builds.

// `#[public]` generates undocumented items.
#![allow(missing_docs)]

use alloy_primitives::{Address, U256};
use keel_risk::Wad;
use keel_stylus_common::convert::wad_to_i256;
use keel_vault_state::abi::{CollateralParams, HaircutAddOns, MarginState};
use keel_vault_state::pack::to_u128;
use keel_vault_state::{Collateral, Revert};
use stylus_sdk::abi::Bytes;
use stylus_sdk::prelude::*;
// `vec!`/`Vec` are used by the code `#[public]` generates.
#[allow(unused_imports)]
use alloc::{vec, vec::Vec};

use crate::admin::AddOns;
use crate::margin::MarginView;
use crate::MarginModule;

type Res<T> = core::result::Result<T, Revert>;

fn sat(x: U256) -> u128 {
    to_u128(x).unwrap_or(u128::MAX)
}

fn state(v: &MarginView) -> MarginState {
    let i = |w: Wad| wad_to_i256(w);
    MarginState {
        mode: v.mode,
        initialMargin: i(v.im),
        maintenanceMargin: i(v.mm),
        markToMarket: i(v.mtm),
        initialRequirement: i(v.im_requirement),
        maintenanceRequirement: i(v.mm_requirement),
        worstScenario: v.worst,
        cash: i(v.cash),
        unrealisedPnl: i(v.unrealised),
        positionCount: U256::from(v.positions),
    }
}

#[public]
impl MarginModule {
    #[selector(name = "listCollateral")]
    pub fn abi_list_collateral(&mut self, asset: Address, params: CollateralParams) -> Res<()> {
        let c = Collateral {
            im_haircut: sat(params.imHaircut),
            mm_haircut: sat(params.mmHaircut),
            asset_cap: sat(params.assetCap),
            account_cap: sat(params.accountCap),
            underlying: params.riskCancellingUnderlying,
            depeg_guarded: params.depegGuarded,
            ..Collateral::default()
        };
        self.list_collateral(asset, c).map(|_| ())
    }

    #[selector(name = "collateral")]
    pub fn abi_collateral(&self, asset: Address) -> (bool, u8, CollateralParams, U256) {
        let c = self.state.collateral(asset);
        let params = CollateralParams {
            imHaircut: U256::from(c.im_haircut),
            mmHaircut: U256::from(c.mm_haircut),
            assetCap: U256::from(c.asset_cap),
            accountCap: U256::from(c.account_cap),
            riskCancellingUnderlying: c.underlying,
            depegGuarded: c.depeg_guarded,
        };
        (c.listed, c.decimals, params, c.total)
    }

    #[selector(name = "setRiskParams")]
    pub fn abi_set_risk_params(&mut self, params: Bytes) -> Res<()> {
        self.set_risk_params(&params).map(|_| ())
    }

    #[selector(name = "riskParams")]
    pub fn abi_risk_params(&self) -> Bytes {
        Bytes::from(self.risk_params())
    }

    #[selector(name = "setHaircutAddOns")]
    pub fn abi_set_haircut_add_ons(&mut self, add_ons: HaircutAddOns) -> Res<()> {
        self.set_haircut_add_ons(AddOns {
            vol_floor: sat(add_ons.volFloor),
            vol_slope: sat(add_ons.volSlope),
            confidence_slope: sat(add_ons.confidenceSlope),
        })
    }

    #[selector(name = "haircutAddOns")]
    pub fn abi_haircut_add_ons(&self) -> HaircutAddOns {
        let a = self.haircut_add_ons();
        HaircutAddOns {
            volFloor: U256::from(a.vol_floor),
            volSlope: U256::from(a.vol_slope),
            confidenceSlope: U256::from(a.confidence_slope),
        }
    }

    #[selector(name = "setLimits")]
    pub fn abi_set_limits(&mut self, max_positions: u8, max_expiries: u8) -> Res<()> {
        self.set_limits(max_positions, max_expiries)
    }

    #[selector(name = "limits")]
    pub fn abi_limits(&self) -> (u8, u8) {
        self.limits_of()
    }

    #[selector(name = "margin")]
    pub fn abi_margin(&self, id: U256) -> Res<MarginState> {
        Ok(state(&self.margin_view(id)?))
    }

    #[selector(name = "snapshot")]
    pub fn abi_snapshot(&self, id: U256, mode: u8) -> Res<Bytes> {
        Ok(Bytes::from(self.snapshot_bytes(id, mode)?))
    }

    #[selector(name = "requireMargin")]
    pub fn abi_require_margin(&self, id: U256, initial: bool) -> Res<()> {
        self.require_margin(id, initial)
    }

    #[selector(name = "setMode")]
    pub fn abi_set_mode(&mut self, id: U256, mode: u8) -> Res<()> {
        self.set_mode(id, mode)
    }

    #[selector(name = "updateMarginCall")]
    pub fn abi_update_margin_call(&mut self, id: U256) -> Res<bool> {
        self.update_margin_call(id)
    }
}
