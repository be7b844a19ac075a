//! Accessors of [`VaultState`] that several parts of the vault use: events, accounts and
//! their authorisation, pause, the reentrancy lock, roles, limits and underlyings.

use alloc::vec::Vec;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolError;
use keel_risk::Wad;
use stylus_sdk::prelude::*;

use crate::abi::*;
use crate::layout::VaultState;
use crate::pack::{pair, u256_word, unpack_account, unpack_asset, unpair, DEPEG_GUARDED, LISTED};
use crate::{Result, Revert, DEFAULT_MAX_EXPIRIES, DEFAULT_MAX_POSITIONS};

/// One collateral asset's listing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Collateral {
    /// Listed by the risk admin.
    pub listed: bool,
    /// The token's decimals, read at listing.
    pub decimals: u8,
    /// Initial-margin haircut (wad).
    pub im_haircut: u128,
    /// Maintenance-margin haircut (wad).
    pub mm_haircut: u128,
    /// Cap on total deposits (18 decimals).
    pub asset_cap: u128,
    /// Cap on one account's balance (18 decimals).
    pub account_cap: u128,
    /// Risk-cancelling underlying (zero: none).
    pub underlying: Address,
    /// Valued through the depeg guard.
    pub depeg_guarded: bool,
    /// Total deposits (18 decimals).
    pub total: U256,
}

/// One listed underlying's stored state.
///
/// Funding accrues linearly: at time `t`, `index(t) = funding_index + funding_rate · spot ·
/// (t − funding_updated)` ([`UnderlyingInfo::accrued_index`]), in settlement asset per unit
/// of size; a long perpetual pays `size · Δindex` (a negative rate pays shorts).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UnderlyingInfo {
    /// Index in the vault's list.
    pub index: u8,
    /// Volatility used for haircut add-ons when no live vol is at hand (wad).
    pub stress_vol: Wad,
    /// Cumulative funding per unit of size (wad of settlement asset).
    pub funding_index: Wad,
    /// Funding rate per second, as a fraction of spot (wad).
    pub funding_rate: Wad,
    /// When the funding index was last accrued.
    pub funding_updated: u64,
}

impl UnderlyingInfo {
    /// The funding index accrued to `now` at `spot` (see the type docs): `(rate · Δt) · spot`,
    /// rounded once; a clock behind the record accrues nothing.
    pub fn accrued_index(
        &self,
        spot: Wad,
        now: u64,
    ) -> core::result::Result<Wad, keel_risk::RiskError> {
        // Timestamps are far below 2⁶³; `mul` by a whole number of seconds is exact.
        let elapsed = now
            .saturating_sub(self.funding_updated)
            .min(i64::MAX as u64) as i64;
        self.funding_rate
            .mul(Wad::from_int(elapsed))?
            .mul(spot)?
            .add(self.funding_index)
    }
}

impl VaultState {
    /// Emits an event: `topics` (signature hash first) and static `data` words.
    pub fn emit(&self, topics: &[B256], data: &[[u8; 32]]) {
        let mut bytes = Vec::with_capacity(32 * data.len());
        for word in data {
            bytes.extend_from_slice(word);
        }
        // At most four topics, so this cannot fail.
        let _ = self.vm().raw_log(topics, &bytes);
    }

    /// `asset`'s collateral listing (all zero when never listed).
    pub fn collateral(&self, asset: Address) -> Collateral {
        let slot = self.assets.getter(asset);
        let (underlying, decimals, flags) = unpack_asset(slot.w0.get());
        let (im_haircut, mm_haircut) = unpair(slot.w1.get());
        let (asset_cap, account_cap) = unpair(slot.w2.get());
        Collateral {
            listed: flags & LISTED != 0,
            decimals,
            im_haircut,
            mm_haircut,
            asset_cap,
            account_cap,
            underlying,
            depeg_guarded: flags & DEPEG_GUARDED != 0,
            total: slot.w3.get(),
        }
    }

    /// `asset`'s listing, or `AssetNotListed(asset)`.
    pub fn listed(&self, asset: Address) -> Result<Collateral> {
        let c = self.collateral(asset);
        if !c.listed {
            return Err(Revert::at(AssetNotListed::SELECTOR, asset));
        }
        Ok(c)
    }

    /// Account `id`'s owner and mode (zero owner: none).
    pub fn account_of(&self, id: U256) -> (Address, u8) {
        unpack_account(self.accounts.get(id))
    }

    /// Account `id`'s owner and mode, or `UnknownAccount(id)`.
    pub fn existing(&self, id: U256) -> Result<(Address, u8)> {
        let (owner, mode) = self.account_of(id);
        if owner.is_zero() {
            return Err(Revert::with(UnknownAccount::SELECTOR, &[u256_word(id)]));
        }
        Ok((owner, mode))
    }

    /// Checks that the caller is account `id`'s owner or one of its operators; returns the
    /// account's owner and mode (`NotAccountOperator(id, caller)` otherwise).
    pub fn authorised(&self, id: U256) -> Result<(Address, u8)> {
        let (owner, mode) = self.existing(id)?;
        let caller = self.vm().msg_sender();
        if caller != owner && !self.operators.getter(id).get(caller) {
            return Err(Revert::id_at(NotAccountOperator::SELECTOR, id, caller));
        }
        Ok((owner, mode))
    }

    /// `EnforcedPause()` while paused.
    pub fn when_not_paused(&self) -> Result<()> {
        if self.paused.get() {
            return Err(Revert::named(EnforcedPause::SELECTOR));
        }
        Ok(())
    }

    /// Takes the reentrancy lock (`Reentrant()` when held).
    pub fn lock(&mut self) -> Result<()> {
        if self.locked.get() {
            return Err(Revert::named(Reentrant::SELECTOR));
        }
        self.locked.set(true);
        Ok(())
    }

    /// Releases the reentrancy lock.
    pub fn unlock(&mut self) {
        self.locked.set(false);
    }

    /// `Unauthorized(caller)` unless the caller is the risk admin.
    pub fn only_risk_admin(&self) -> Result<()> {
        let caller = self.vm().msg_sender();
        if caller.is_zero() || caller != self.risk_admin.get() {
            return Err(Revert::unauthorized(caller));
        }
        Ok(())
    }

    /// `(max positions, max expiries)` per account.
    pub fn limits_of(&self) -> (u8, u8) {
        let w = self.limits.get().to_be_bytes::<32>();
        let or = |v: u8, d: u8| if v == 0 { d } else { v };
        (
            or(w[31], DEFAULT_MAX_POSITIONS),
            or(w[30], DEFAULT_MAX_EXPIRIES),
        )
    }

    /// Stores the per-account limits (keeps the SRM set count).
    pub fn set_limits_word(&mut self, max_positions: u8, max_expiries: u8) {
        let mut w = self.limits.get().to_be_bytes::<32>();
        w[31] = max_positions;
        w[30] = max_expiries;
        self.limits.set(U256::from_be_bytes(w));
    }

    /// How many per-underlying SRM parameter sets the current risk parameters hold (0: no
    /// parameters yet). An underlying's index must be below it.
    pub fn srm_sets(&self) -> u8 {
        self.limits.get().to_be_bytes::<32>()[29]
    }

    /// Records the SRM set count of newly set risk parameters.
    pub fn set_srm_sets(&mut self, sets: u8) {
        let mut w = self.limits.get().to_be_bytes::<32>();
        w[29] = sets;
        self.limits.set(U256::from_be_bytes(w));
    }

    /// The settlement asset, or `SettlementAssetNotSet()`.
    pub fn settlement(&self) -> Result<Address> {
        let a = self.settlement_asset.get();
        if a.is_zero() {
            return Err(Revert::named(SettlementAssetNotSet::SELECTOR));
        }
        Ok(a)
    }

    /// How many underlyings are listed.
    pub fn underlying_count(&self) -> usize {
        self.underlyings.len()
    }

    /// The underlying at `index`.
    pub fn underlying_at(&self, index: u8) -> Option<Address> {
        self.underlyings.get(index)
    }

    /// `asset`'s underlying state, if listed.
    pub fn underlying_info(&self, asset: Address) -> Option<UnderlyingInfo> {
        let slot = self.underlying_info.getter(asset);
        let (stress_vol, index_plus_one) = unpair(slot.w0.get());
        let index = u8::try_from(index_plus_one.checked_sub(1)?).ok()?;
        let (funding_index, funding_rate) = unpair(slot.w1.get());
        Some(UnderlyingInfo {
            index,
            stress_vol: Wad::from_raw(stress_vol as i128),
            funding_index: Wad::from_raw(funding_index as i128),
            funding_rate: Wad::from_raw(funding_rate as i128),
            funding_updated: slot.w2.get().as_limbs()[0],
        })
    }

    /// `asset`'s underlying state, or `UnderlyingNotListed(asset)`.
    pub fn listed_underlying(&self, asset: Address) -> Result<UnderlyingInfo> {
        self.underlying_info(asset)
            .ok_or_else(|| Revert::at(UnderlyingNotListed::SELECTOR, asset))
    }

    /// Stores `asset`'s underlying state (the index is written as given).
    pub fn set_underlying_info(&mut self, asset: Address, info: &UnderlyingInfo) {
        let mut slot = self.underlying_info.setter(asset);
        slot.w0.set(pair(
            info.stress_vol.raw() as u128,
            u128::from(info.index) + 1,
        ));
        slot.w1.set(pair(
            info.funding_index.raw() as u128,
            info.funding_rate.raw() as u128,
        ));
        slot.w2.set(U256::from(info.funding_updated));
    }
}
