//! The vault's storage and logic: every entry point of the interface as a Rust method of
//! [`MarginVault`] over native types, which the ABI layer ([`crate::dispatch`], or
//! `crate::export` under `export-abi`) decodes into and encodes from.
//!
//! ## Deposits and withdrawals
//!
//! * `deposit(id, asset, amount)` — anyone, into any existing account, **also while paused**.
//!   The vault measures its own `balanceOf` before and after `transferFrom(caller, vault,
//!   amount)` and credits what arrived (a fee-on-transfer token is credited the net amount),
//!   converted to 18 decimals as [`crate::amount`] documents. Caps are checked on the credit:
//!   total deposits of the asset ≤ asset cap, the account's balance ≤ account cap.
//! * `withdraw(id, asset, amount, to)` — the account's owner or an operator, **not while
//!   paused**. Checks, then effects (balance and total debited), then the `transfer`.
//!   **No margin check**: no account can hold a position in this version, so an account's
//!   requirement is zero; the IM check through the engine comes with positions.
//! * Both hold a reentrancy lock (`locked`) around their token calls: a token that calls back
//!   into `deposit` or `withdraw` gets `Reentrant()`. Token calls go through [`crate::token`]
//!   (reverts, `false` and missing return values handled).

use alloc::vec::Vec;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolError, SolEvent};
use keel_stylus_common::Ownable2Step;
use stylus_sdk::prelude::*;
use stylus_sdk::storage::{StorageAddress, StorageBool, StorageMap, StorageU256, StorageVec};

use crate::abi::*;
use crate::amount;
use crate::error::Revert;
use crate::pack::{
    account_word, address_word, asset_word, pair, u256_word, uint_word, unpack_account,
    unpack_asset, unpair, DEPEG_GUARDED, LISTED,
};
use crate::token;
use crate::{MAX_ASSETS_PER_ACCOUNT, MAX_CAP, MAX_HAIRCUT, MODES};

/// Result of the vault's methods.
pub type Result<T> = core::result::Result<T, Revert>;

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

// `#[storage]` generates undocumented items.
#[allow(missing_docs)]
mod layout {
    use super::{
        Address, Ownable2Step, StorageAddress, StorageBool, StorageMap, StorageU256, StorageVec,
        U256,
    };
    use stylus_sdk::prelude::*;
    // `vec!`/`Vec` are used by the code `#[storage]` generates.
    #[allow(unused_imports)]
    use alloc::{vec, vec::Vec};

    /// Four storage words.
    #[storage]
    pub struct Words4 {
        pub w0: StorageU256,
        pub w1: StorageU256,
        pub w2: StorageU256,
        pub w3: StorageU256,
    }

    /// The vault's storage (layout in the crate docs).
    #[storage]
    #[entrypoint]
    pub struct MarginVault {
        pub(crate) ownable: Ownable2Step,
        pub(crate) risk_admin: StorageAddress,
        pub(crate) guardian: StorageAddress,
        pub(crate) paused: StorageBool,
        pub(crate) locked: StorageBool,
        pub(crate) oracle: StorageAddress,
        pub(crate) depeg_guard: StorageAddress,
        pub(crate) engines: StorageMap<u8, StorageAddress>,
        pub(crate) account_count: StorageU256,
        pub(crate) accounts: StorageMap<U256, StorageU256>,
        pub(crate) operators: StorageMap<U256, StorageMap<Address, StorageBool>>,
        pub(crate) balances: StorageMap<U256, StorageMap<Address, StorageU256>>,
        pub(crate) held: StorageMap<U256, StorageVec<StorageAddress>>,
        pub(crate) assets: StorageMap<Address, Words4>,
    }
}

pub use layout::{MarginVault, Words4};

fn u(x: u128) -> U256 {
    U256::from(x)
}

impl MarginVault {
    // ---- events ------------------------------------------------------------------------

    fn emit(&self, topics: &[B256], data: &[[u8; 32]]) {
        let mut bytes = Vec::with_capacity(32 * data.len());
        for word in data {
            bytes.extend_from_slice(word);
        }
        // At most four topics, so this cannot fail.
        let _ = self.vm().raw_log(topics, &bytes);
    }

    /// An event whose only field is one indexed address.
    fn emit_address(&self, signature: B256, a: Address) {
        self.emit(&[signature, address_word(a).into()], &[]);
    }

    // ---- ownership and roles -------------------------------------------------------------

    /// Sets the first owner (the constructor).
    pub fn init(&mut self, owner: Address) -> Result<()> {
        Ok(self.ownable.initialize(owner)?)
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

    /// The risk admin.
    pub fn risk_admin(&self) -> Address {
        self.risk_admin.get()
    }

    /// The guardian.
    pub fn guardian(&self) -> Address {
        self.guardian.get()
    }

    /// Owner only: sets the risk admin (zero revokes).
    pub fn set_risk_admin(&mut self, admin: Address) -> Result<()> {
        self.ownable.only_owner()?;
        self.risk_admin.set(admin);
        self.emit_address(RiskAdminSet::SIGNATURE_HASH, admin);
        Ok(())
    }

    /// Owner only: sets the guardian (zero revokes).
    pub fn set_guardian(&mut self, guardian: Address) -> Result<()> {
        self.ownable.only_owner()?;
        self.guardian.set(guardian);
        self.emit_address(GuardianSet::SIGNATURE_HASH, guardian);
        Ok(())
    }

    /// Whether the vault is paused.
    pub fn paused(&self) -> bool {
        self.paused.get()
    }

    /// Guardian or owner: pauses (`EnforcedPause` when already paused).
    pub fn pause(&mut self) -> Result<()> {
        let caller = self.vm().msg_sender();
        if caller.is_zero() || (caller != self.guardian.get() && caller != self.owner()) {
            return Err(Revert::unauthorized(caller));
        }
        self.when_not_paused()?;
        self.paused.set(true);
        self.emit(&[Paused::SIGNATURE_HASH], &[address_word(caller)]);
        Ok(())
    }

    /// Owner only: unpauses (`ExpectedPause` when not paused).
    pub fn unpause(&mut self) -> Result<()> {
        self.ownable.only_owner()?;
        if !self.paused.get() {
            return Err(Revert::named(ExpectedPause::SELECTOR));
        }
        self.paused.set(false);
        let caller = self.vm().msg_sender();
        self.emit(&[Unpaused::SIGNATURE_HASH], &[address_word(caller)]);
        Ok(())
    }

    fn when_not_paused(&self) -> Result<()> {
        if self.paused.get() {
            return Err(Revert::named(EnforcedPause::SELECTOR));
        }
        Ok(())
    }

    // ---- external contracts ----------------------------------------------------------------

    /// `Ok` when `a` is non-zero and has code.
    fn contract_at(&self, a: Address) -> Result<()> {
        if a.is_zero() {
            return Err(Revert::zero_address());
        }
        if self.vm().code_size(a) == 0 {
            return Err(Revert::at(NotAContract::SELECTOR, a));
        }
        Ok(())
    }

    fn mode(mode: u8) -> Result<u8> {
        if mode >= MODES {
            return Err(Revert::invalid_mode(mode));
        }
        Ok(mode)
    }

    /// The oracle adapter.
    pub fn oracle_adapter(&self) -> Address {
        self.oracle.get()
    }

    /// The depeg guard.
    pub fn depeg_guard(&self) -> Address {
        self.depeg_guard.get()
    }

    /// The engine of `mode`.
    pub fn engine(&self, mode: u8) -> Result<Address> {
        Ok(self.engines.get(Self::mode(mode)?))
    }

    /// Owner only: sets the oracle adapter.
    pub fn set_oracle_adapter(&mut self, adapter: Address) -> Result<()> {
        self.ownable.only_owner()?;
        self.contract_at(adapter)?;
        self.oracle.set(adapter);
        self.emit_address(OracleAdapterSet::SIGNATURE_HASH, adapter);
        Ok(())
    }

    /// Owner only: sets the depeg guard.
    pub fn set_depeg_guard(&mut self, guard: Address) -> Result<()> {
        self.ownable.only_owner()?;
        self.contract_at(guard)?;
        self.depeg_guard.set(guard);
        self.emit_address(DepegGuardSet::SIGNATURE_HASH, guard);
        Ok(())
    }

    /// Owner only: sets the engine of `mode`.
    pub fn set_engine(&mut self, mode: u8, engine: Address) -> Result<()> {
        self.ownable.only_owner()?;
        Self::mode(mode)?;
        self.contract_at(engine)?;
        self.engines.setter(mode).set(engine);
        self.emit(
            &[
                EngineSet::SIGNATURE_HASH,
                uint_word(u128::from(mode)).into(),
                address_word(engine).into(),
            ],
            &[],
        );
        Ok(())
    }

    // ---- accounts ----------------------------------------------------------------------------

    /// Opens an account for the caller in `mode`; returns its id.
    pub fn open_account(&mut self, mode: u8) -> Result<U256> {
        Self::mode(mode)?;
        let owner = self.vm().msg_sender();
        // Ids count up from 1; 2²⁵⁶ − 1 accounts cannot be opened, so this never wraps.
        let id = self.account_count.get().wrapping_add(U256::from(1u8));
        self.account_count.set(id);
        self.accounts.setter(id).set(account_word(owner, mode));
        self.emit(
            &[
                AccountOpened::SIGNATURE_HASH,
                u256_word(id).into(),
                address_word(owner).into(),
            ],
            &[uint_word(u128::from(mode))],
        );
        Ok(id)
    }

    /// The number of accounts opened.
    pub fn account_count(&self) -> U256 {
        self.account_count.get()
    }

    /// Account `id`'s owner and mode (zero owner: none).
    pub fn account(&self, id: U256) -> (Address, u8) {
        unpack_account(self.accounts.get(id))
    }

    /// Account `id`'s owner, or `UnknownAccount(id)`.
    fn existing(&self, id: U256) -> Result<Address> {
        let (owner, _) = self.account(id);
        if owner.is_zero() {
            return Err(Revert::with(UnknownAccount::SELECTOR, &[u256_word(id)]));
        }
        Ok(owner)
    }

    /// Account owner only: approves or revokes `operator`.
    pub fn set_operator(&mut self, id: U256, operator: Address, approved: bool) -> Result<()> {
        let owner = self.existing(id)?;
        let caller = self.vm().msg_sender();
        if caller != owner {
            return Err(Revert::id_at(NotAccountOwner::SELECTOR, id, caller));
        }
        if operator.is_zero() {
            return Err(Revert::zero_address());
        }
        self.operators.setter(id).setter(operator).set(approved);
        self.emit(
            &[
                OperatorSet::SIGNATURE_HASH,
                u256_word(id).into(),
                address_word(operator).into(),
            ],
            &[uint_word(u128::from(approved))],
        );
        Ok(())
    }

    /// Whether `operator` is approved on account `id`.
    pub fn is_operator(&self, id: U256, operator: Address) -> bool {
        self.operators.getter(id).get(operator)
    }

    // ---- collateral listing ------------------------------------------------------------------

    /// Risk admin only: lists `asset` or changes its parameters (decimals are read at the
    /// first listing only). A cap lowered below current balances only blocks new deposits.
    pub fn list_collateral(&mut self, asset: Address, c: Collateral) -> Result<u8> {
        let caller = self.vm().msg_sender();
        if caller.is_zero() || caller != self.risk_admin.get() {
            return Err(Revert::unauthorized(caller));
        }
        self.contract_at(asset)?;
        if c.mm_haircut > c.im_haircut || c.im_haircut > MAX_HAIRCUT {
            return Err(Revert::with(
                InvalidHaircuts::SELECTOR,
                &[uint_word(c.im_haircut), uint_word(c.mm_haircut)],
            ));
        }
        if c.account_cap == 0 || c.account_cap > c.asset_cap || c.asset_cap > MAX_CAP {
            return Err(Revert::with(
                InvalidCaps::SELECTOR,
                &[uint_word(c.asset_cap), uint_word(c.account_cap)],
            ));
        }
        // Decimals are read once, at the first listing: balances are stored in 18 decimals
        // and converted with them, so they never change afterwards.
        let current = self.collateral(asset);
        let decimals = if current.listed {
            current.decimals
        } else {
            token::decimals(self.vm(), asset)?
        };
        if decimals > keel_risk::oracle::MAX_FEED_DECIMALS {
            return Err(Revert::unsupported_decimals(decimals));
        }
        let flags = LISTED | if c.depeg_guarded { DEPEG_GUARDED } else { 0 };
        let mut slot = self.assets.setter(asset);
        slot.w0.set(asset_word(c.underlying, decimals, flags));
        slot.w1.set(pair(c.im_haircut, c.mm_haircut));
        slot.w2.set(pair(c.asset_cap, c.account_cap));
        self.emit(
            &[CollateralListed::SIGNATURE_HASH, address_word(asset).into()],
            &[
                uint_word(u128::from(decimals)),
                uint_word(c.im_haircut),
                uint_word(c.mm_haircut),
                uint_word(c.asset_cap),
                uint_word(c.account_cap),
                address_word(c.underlying),
                uint_word(u128::from(c.depeg_guarded)),
            ],
        );
        Ok(decimals)
    }

    /// `asset`'s listing (all zero when never listed).
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

    fn listed(&self, asset: Address) -> Result<Collateral> {
        let c = self.collateral(asset);
        if !c.listed {
            return Err(Revert::at(AssetNotListed::SELECTOR, asset));
        }
        Ok(c)
    }

    // ---- balances ------------------------------------------------------------------------------

    /// Account `id`'s balance of `asset` (18 decimals).
    pub fn collateral_balance(&self, id: U256, asset: Address) -> U256 {
        self.balances.getter(id).get(asset)
    }

    /// The assets account `id` holds a non-zero balance of.
    pub fn account_assets(&self, id: U256) -> Vec<Address> {
        let list = self.held.getter(id);
        (0..list.len()).filter_map(|i| list.get(i)).collect()
    }

    fn lock(&mut self) -> Result<()> {
        if self.locked.get() {
            return Err(Revert::named(Reentrant::SELECTOR));
        }
        self.locked.set(true);
        Ok(())
    }

    /// Deposits `amount` token units of `asset` from the caller into account `id`.
    /// Returns `(received, credited)`.
    pub fn deposit(&mut self, id: U256, asset: Address, amount: U256) -> Result<(U256, U256)> {
        self.existing(id)?;
        let c = self.listed(asset)?;
        if amount.is_zero() {
            return Err(Revert::zero_amount());
        }
        // A new asset needs room in the account's list: checked before any token call.
        let is_new = self.collateral_balance(id, asset).is_zero();
        if is_new && self.held.getter(id).len() >= MAX_ASSETS_PER_ACCOUNT {
            return Err(Revert::with(TooManyAssets::SELECTOR, &[u256_word(id)]));
        }
        self.lock()?;
        let result = self.deposit_locked(id, asset, amount, &c);
        self.locked.set(false);
        result
    }

    fn deposit_locked(
        &mut self,
        id: U256,
        asset: Address,
        amount: U256,
        c: &Collateral,
    ) -> Result<(U256, U256)> {
        let me = self.vm().contract_address();
        let from = self.vm().msg_sender();
        let before = token::balance_of(self.vm(), asset, me)?;
        token::transfer_from(self, asset, from, me, amount)?;
        let after = token::balance_of(self.vm(), asset, me)?;
        // A balance that fell is a token misbehaving: it credits nothing.
        let received = after.checked_sub(before).unwrap_or_default();
        let credited = amount::credit(received, c.decimals).ok_or_else(Revert::overflow)?;
        if credited.is_zero() {
            return Err(Revert::zero_amount());
        }
        let total = c.total.checked_add(credited).ok_or_else(Revert::overflow)?;
        if total > u(c.asset_cap) {
            return Err(Revert::with(
                AssetCapExceeded::SELECTOR,
                &[
                    address_word(asset),
                    u256_word(total),
                    uint_word(c.asset_cap),
                ],
            ));
        }
        let previous = self.collateral_balance(id, asset);
        // `previous ≤ total` of the asset, so this cannot overflow once `total` did not.
        let balance = previous.wrapping_add(credited);
        if balance > u(c.account_cap) {
            return Err(Revert::with(
                AccountCapExceeded::SELECTOR,
                &[
                    u256_word(id),
                    address_word(asset),
                    u256_word(balance),
                    uint_word(c.account_cap),
                ],
            ));
        }
        if previous.is_zero() {
            // Room was checked before the token calls (the lock keeps the list unchanged).
            self.held.setter(id).push(asset);
        }
        self.balances.setter(id).setter(asset).set(balance);
        self.assets.setter(asset).w3.set(total);
        self.emit(
            &[
                Deposited::SIGNATURE_HASH,
                u256_word(id).into(),
                address_word(asset).into(),
                address_word(from).into(),
            ],
            &[u256_word(received), u256_word(credited)],
        );
        Ok((received, credited))
    }

    /// Owner or operator of account `id`: sends `amount` token units of `asset` to `to`.
    /// Returns the debit (18 decimals).
    pub fn withdraw(
        &mut self,
        id: U256,
        asset: Address,
        amount: U256,
        to: Address,
    ) -> Result<U256> {
        self.when_not_paused()?;
        let owner = self.existing(id)?;
        let caller = self.vm().msg_sender();
        if caller != owner && !self.is_operator(id, caller) {
            return Err(Revert::id_at(NotAccountOperator::SELECTOR, id, caller));
        }
        if to.is_zero() {
            return Err(Revert::zero_address());
        }
        if amount.is_zero() {
            return Err(Revert::zero_amount());
        }
        let c = self.listed(asset)?;
        let debited = amount::debit(amount, c.decimals).ok_or_else(Revert::overflow)?;
        let balance = self.collateral_balance(id, asset);
        if debited > balance {
            return Err(Revert::with(
                InsufficientBalance::SELECTOR,
                &[
                    u256_word(id),
                    address_word(asset),
                    u256_word(balance),
                    u256_word(debited),
                ],
            ));
        }
        self.lock()?;
        // Effects: `debited ≤ balance ≤ total`, so neither subtraction wraps.
        let remaining = balance.wrapping_sub(debited);
        self.balances.setter(id).setter(asset).set(remaining);
        self.assets
            .setter(asset)
            .w3
            .set(c.total.wrapping_sub(debited));
        if remaining.is_zero() {
            self.forget(id, asset);
        }
        // Interaction.
        let result = token::transfer(self, asset, to, amount);
        self.locked.set(false);
        result?;
        self.emit(
            &[
                Withdrawn::SIGNATURE_HASH,
                u256_word(id).into(),
                address_word(asset).into(),
                address_word(to).into(),
            ],
            &[u256_word(amount), u256_word(debited)],
        );
        Ok(debited)
    }

    /// Removes `asset` from account `id`'s list of held assets (swap with the last).
    fn forget(&mut self, id: U256, asset: Address) {
        let mut list = self.held.setter(id);
        let len = list.len();
        for i in 0..len {
            if list.get(i) == Some(asset) {
                let last = list.get(len - 1).unwrap_or_default();
                if let Some(mut slot) = list.setter(i) {
                    slot.set(last);
                }
                list.erase_last();
                return;
            }
        }
    }
}
