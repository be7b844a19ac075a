//! `export-abi` only: the interface as typed `#[public]` methods, so that stylus-sdk's ABI
//! export (`cargo stylus export-abi`, Keel's `keel abi`) lists exactly the functions the
//! on-chain dispatcher ([`crate::dispatch`]) serves, with their Solidity types, and every
//! error ([`Revert`]'s export description). Each method forwards to the Rust method of the
//! same name; this impl replaces the `#[fallback]` one in `export-abi` builds (a type has one
//! router).

// `#[public]` generates undocumented items.
#![allow(missing_docs)]

use alloc::vec::Vec;

use alloy_primitives::{Address, I256, U256};
use stylus_sdk::prelude::*;
// `vec!` is used by the code `#[public]` generates.
#[allow(unused_imports)]
use alloc::vec;

use crate::contract::MarginVault;
use keel_vault_state::Revert;

type Res<T> = core::result::Result<T, Revert>;

#[public]
impl MarginVault {
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

    #[selector(name = "riskAdmin")]
    pub fn abi_risk_admin(&self) -> Address {
        self.risk_admin()
    }

    #[selector(name = "guardian")]
    pub fn abi_guardian(&self) -> Address {
        self.guardian()
    }

    #[selector(name = "setRiskAdmin")]
    pub fn abi_set_risk_admin(&mut self, risk_admin: Address) -> Res<()> {
        self.set_risk_admin(risk_admin)
    }

    #[selector(name = "setGuardian")]
    pub fn abi_set_guardian(&mut self, guardian: Address) -> Res<()> {
        self.set_guardian(guardian)
    }

    #[selector(name = "paused")]
    pub fn abi_paused(&self) -> bool {
        self.paused()
    }

    #[selector(name = "pause")]
    pub fn abi_pause(&mut self) -> Res<()> {
        self.pause()
    }

    #[selector(name = "unpause")]
    pub fn abi_unpause(&mut self) -> Res<()> {
        self.unpause()
    }

    #[selector(name = "oracleAdapter")]
    pub fn abi_oracle_adapter(&self) -> Address {
        self.oracle_adapter()
    }

    #[selector(name = "depegGuard")]
    pub fn abi_depeg_guard(&self) -> Address {
        self.depeg_guard()
    }

    #[selector(name = "engine")]
    pub fn abi_engine(&self, mode: u8) -> Res<Address> {
        self.engine(mode)
    }

    #[selector(name = "setOracleAdapter")]
    pub fn abi_set_oracle_adapter(&mut self, oracle_adapter: Address) -> Res<()> {
        self.set_oracle_adapter(oracle_adapter)
    }

    #[selector(name = "setDepegGuard")]
    pub fn abi_set_depeg_guard(&mut self, depeg_guard: Address) -> Res<()> {
        self.set_depeg_guard(depeg_guard)
    }

    #[selector(name = "setEngine")]
    pub fn abi_set_engine(&mut self, mode: u8, engine: Address) -> Res<()> {
        self.set_engine(mode, engine)
    }

    #[selector(name = "openAccount")]
    pub fn abi_open_account(&mut self, mode: u8) -> Res<U256> {
        self.open_account(mode)
    }

    #[selector(name = "accountCount")]
    pub fn abi_account_count(&self) -> U256 {
        self.account_count()
    }

    #[selector(name = "account")]
    pub fn abi_account(&self, id: U256) -> (Address, u8) {
        self.account(id)
    }

    #[selector(name = "setOperator")]
    pub fn abi_set_operator(&mut self, id: U256, operator: Address, approved: bool) -> Res<()> {
        self.set_operator(id, operator, approved)
    }

    #[selector(name = "isOperator")]
    pub fn abi_is_operator(&self, id: U256, operator: Address) -> bool {
        self.is_operator(id, operator)
    }

    #[selector(name = "deposit")]
    pub fn abi_deposit(&mut self, id: U256, asset: Address, amount: U256) -> Res<()> {
        self.deposit(id, asset, amount).map(|_| ())
    }

    #[selector(name = "withdraw")]
    pub fn abi_withdraw(&mut self, id: U256, asset: Address, amount: U256, to: Address) -> Res<()> {
        self.withdraw(id, asset, amount, to).map(|_| ())
    }

    #[selector(name = "collateralBalance")]
    pub fn abi_collateral_balance(&self, id: U256, asset: Address) -> U256 {
        self.collateral_balance(id, asset)
    }

    #[selector(name = "accountAssets")]
    pub fn abi_account_assets(&self, id: U256) -> Vec<Address> {
        self.account_assets(id)
    }

    #[selector(name = "cash")]
    pub fn abi_cash(&self, id: U256) -> Res<I256> {
        Ok(keel_stylus_common::convert::wad_to_i256(self.cash_of(id)?))
    }

    #[selector(name = "module")]
    pub fn abi_module(&self, kind: u8) -> Res<Address> {
        self.module(kind)
    }

    #[selector(name = "setModule")]
    pub fn abi_set_module(&mut self, kind: u8, module: Address) -> Res<()> {
        self.set_module(kind, module)
    }

    #[selector(name = "settlementAsset")]
    pub fn abi_settlement_asset(&self) -> Address {
        self.settlement_asset.get()
    }

    #[selector(name = "setSettlementAsset")]
    pub fn abi_set_settlement_asset(&mut self, asset: Address) -> Res<()> {
        self.set_settlement_asset(asset)
    }
}
