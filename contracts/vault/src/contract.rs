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
use alloy_sol_types::{SolCall, SolError, SolEvent};
use stylus_sdk::prelude::*;

use keel_risk::Wad;
use keel_stylus_common::abi::Word;
use keel_vault_state::abi::*;
use keel_vault_state::amount;
use keel_vault_state::module::{delegate, end_auction_if_cured};
use keel_vault_state::pack::{account_word, address_word, u256_word, uint_word, unpack_account};
use keel_vault_state::token;
use keel_vault_state::{Collateral, Module, Revert, VaultState, MAX_ASSETS_PER_ACCOUNT, MODES};

/// Result of the vault's methods.
pub type Result<T> = core::result::Result<T, Revert>;

// `#[storage]` generates undocumented items.
#[allow(missing_docs)]
mod layout {
    use keel_vault_state::VaultState;
    use stylus_sdk::prelude::*;
    // `vec!`/`Vec` are used by the code `#[storage]` generates.
    #[allow(unused_imports)]
    use alloc::{vec, vec::Vec};

    /// The vault core: the shared [`VaultState`] as its only field, so its slots are the
    /// layout every module sees.
    #[storage]
    #[entrypoint]
    pub struct MarginVault {
        pub(crate) state: VaultState,
    }
}

pub use layout::MarginVault;

impl core::ops::Deref for MarginVault {
    type Target = VaultState;
    fn deref(&self) -> &VaultState {
        &self.state
    }
}

impl core::ops::DerefMut for MarginVault {
    fn deref_mut(&mut self) -> &mut VaultState {
        &mut self.state
    }
}

fn u(x: u128) -> U256 {
    U256::from(x)
}

impl MarginVault {
    // ---- events ------------------------------------------------------------------------

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

    /// The module of `kind` (zero when unset).
    pub fn module(&self, kind: u8) -> Result<Address> {
        let m = Module::from_u8(kind).ok_or_else(|| {
            Revert::with(InvalidParameter::SELECTOR, &[uint_word(u128::from(kind))])
        })?;
        Ok(self.modules.get(m as u8))
    }

    /// Owner only: installs the module of `kind` (a contract built for this storage layout).
    pub fn set_module(&mut self, kind: u8, module: Address) -> Result<()> {
        self.ownable.only_owner()?;
        self.module(kind)?;
        self.contract_at(module)?;
        self.modules.setter(kind).set(module);
        self.emit(
            &[
                ModuleSet::SIGNATURE_HASH,
                uint_word(u128::from(kind)).into(),
                address_word(module).into(),
            ],
            &[],
        );
        Ok(())
    }

    /// Owner only, once: makes listed `asset` the settlement asset (cash). Its deposits and
    /// withdrawals then move cash; it must have no deposits yet.
    pub fn set_settlement_asset(&mut self, asset: Address) -> Result<()> {
        self.ownable.only_owner()?;
        let current = self.settlement_asset.get();
        if !current.is_zero() {
            return Err(Revert::at(SettlementAssetAlreadySet::SELECTOR, current));
        }
        let c = self.state.listed(asset)?;
        if !c.total.is_zero() {
            return Err(Revert::with(InvalidParameter::SELECTOR, &[uint_word(0)]));
        }
        self.settlement_asset.set(asset);
        self.emit_address(SettlementAssetSet::SIGNATURE_HASH, asset);
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

    /// Account owner only: approves or revokes `operator`.
    pub fn set_operator(&mut self, id: U256, operator: Address, approved: bool) -> Result<()> {
        let (owner, _) = self.state.existing(id)?;
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

    /// Deposits `amount` token units of `asset` from the caller into account `id`.
    /// Returns `(received, credited)`.
    pub fn deposit(&mut self, id: U256, asset: Address, amount: U256) -> Result<(U256, U256)> {
        self.state.existing(id)?;
        let c = self.state.listed(asset)?;
        if amount.is_zero() {
            return Err(Revert::zero_amount());
        }
        // A new asset needs room in the account's list: checked before any token call.
        let is_cash = asset == self.settlement_asset.get();
        let is_new = !is_cash && self.collateral_balance(id, asset).is_zero();
        if is_new && self.held.getter(id).len() >= MAX_ASSETS_PER_ACCOUNT {
            return Err(Revert::with(TooManyAssets::SELECTOR, &[u256_word(id)]));
        }
        self.lock()?;
        let result = self.deposit_locked(id, asset, amount, &c);
        self.state.unlock();
        if result.is_ok() {
            // A deposit that cures an account in auction ends the auction.
            end_auction_if_cured(self, id);
        }
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
        if asset == self.settlement_asset.get() {
            let credit = keel_stylus_common::convert::u256_to_wad(credited)
                .map_err(|_| Revert::overflow())?;
            let cash = self
                .cash_of(id)?
                .add(credit)
                .map_err(|_| Revert::overflow())?;
            if cash > Wad::from_raw(c.account_cap as i128) {
                return Err(Revert::with(
                    AccountCapExceeded::SELECTOR,
                    &[
                        u256_word(id),
                        address_word(asset),
                        cash.word().0,
                        uint_word(c.account_cap),
                    ],
                ));
            }
            self.set_cash(id, cash)?;
        } else {
            self.credit_balance(id, asset, credited, c)?;
        }
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

    /// Adds `credited` to account `id`'s balance of (non-cash) `asset`, within its cap.
    fn credit_balance(
        &mut self,
        id: U256,
        asset: Address,
        credited: U256,
        c: &Collateral,
    ) -> Result<()> {
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
        Ok(())
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
        let (owner, _) = self.state.existing(id)?;
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
        let c = self.state.listed(asset)?;
        let debited = amount::debit(amount, c.decimals).ok_or_else(Revert::overflow)?;
        if asset == self.settlement_asset.get() {
            return self.withdraw_cash(id, asset, amount, debited, to, &c);
        }
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
        self.finish_withdrawal(id, asset, amount, debited, to)
    }

    /// Withdraws from account `id`'s cash (the settlement asset).
    fn withdraw_cash(
        &mut self,
        id: U256,
        asset: Address,
        amount: U256,
        debited: U256,
        to: Address,
        c: &Collateral,
    ) -> Result<U256> {
        let cash = self.cash_of(id)?;
        let debit =
            keel_stylus_common::convert::u256_to_wad(debited).map_err(|_| Revert::overflow())?;
        if debit > cash {
            return Err(Revert::with(
                InsufficientCash::SELECTOR,
                &[u256_word(id), cash.word().0, u256_word(debited)],
            ));
        }
        self.lock()?;
        // `debit ≤ cash`, and `debited ≤ total` (cash came from deposits of at least it).
        self.set_cash(id, Wad::from_raw(cash.raw() - debit.raw()))?;
        self.assets
            .setter(asset)
            .w3
            .set(c.total.saturating_sub(debited));
        self.finish_withdrawal(id, asset, amount, debited, to)
    }

    /// The end of a withdrawal, its effects done and the lock held: the margin check (IM,
    /// through the margin module) unless the account holds no position and no debt, the
    /// transfer, the lock released, the event.
    fn finish_withdrawal(
        &mut self,
        id: U256,
        asset: Address,
        amount: U256,
        debited: U256,
        to: Address,
    ) -> Result<U256> {
        let result = self
            .check_after_withdrawal(id)
            .and_then(|()| token::transfer(self, asset, to, amount));
        self.state.unlock();
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

    fn check_after_withdrawal(&mut self, id: U256) -> Result<()> {
        if self.position_count(id) == 0 && !self.cash_of(id)?.is_negative() {
            return Ok(());
        }
        let to = self.module_address(Module::Margin)?;
        let call = requireMarginCall { id, initial: true }.abi_encode();
        delegate(self, to, &call).map(|_| ())
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
