//! Cash: each account's signed balance of the settlement asset (wad), and the socialisation
//! index that spreads an uncovered loss over every positive balance.
//!
//! A negative balance is stored as is. A positive balance `a` is stored **scaled**:
//! `s = ⌊a · 1e18 / I⌋`, read back as `⌊s · I / 1e18⌋`, where `I` is `cash_index` (a wad, 1
//! until the first socialisation; storage 0 reads as 1). `positive_cash` keeps `Σ s` over
//! positive balances, so the positive cash of all accounts is `Σ s · I / 1e18` without
//! visiting them. Socialising a loss `L` lowers the index to `I · (T − L) / T` (`T` that
//! total): every positive balance loses the same fraction at once. Rounding is always
//! against the holder (floors), so the vault never owes more than it holds.
//!
//! The index never falls below [`MIN_CASH_INDEX`] (10⁻⁹): a loss that would take it lower is
//! socialised only down to that floor, and with no positive cash nothing is socialised.
//! `socialised` records what positive cash actually gave up; the caller learns it and pays
//! out no more (the liquidation module credits a bidder only what the insurance fund and the
//! socialisation covered).

use alloy_primitives::I256;
use keel_risk::{RiskError, Wad};
use keel_stylus_common::convert::{i256_to_i128, wad_to_i256};

use crate::layout::VaultState;
use crate::{Result, Revert};
use alloy_primitives::U256;

/// The lowest socialisation index (10⁻⁹, wad).
pub const MIN_CASH_INDEX: i128 = 1_000_000_000;

fn overflow(_: RiskError) -> Revert {
    Revert::overflow()
}

/// The socialisation index as a wad (storage 0 reads as 1).
fn index_of(raw: U256) -> Wad {
    if raw.is_zero() {
        Wad::ONE
    } else {
        // Stored only by `socialise`, always in [MIN_CASH_INDEX, 1e18].
        Wad::from_raw(raw.as_limbs()[0] as i128 | ((raw.as_limbs()[1] as i128) << 64))
    }
}

/// `max(0, s)` as a `U256` (for `positive_cash`).
fn positive_part(s: i128) -> U256 {
    if s > 0 {
        U256::from(s as u128)
    } else {
        U256::ZERO
    }
}

impl VaultState {
    /// The socialisation index (wad).
    pub fn cash_index(&self) -> Wad {
        index_of(self.cash_index.get())
    }

    fn stored_cash(&self, id: U256) -> i128 {
        // Written only by `set_cash`, always an i128.
        i256_to_i128(self.cash.get(id)).unwrap_or_default()
    }

    /// Account `id`'s cash (wad, signed).
    pub fn cash_of(&self, id: U256) -> Result<Wad> {
        let s = self.stored_cash(id);
        if s <= 0 {
            return Ok(Wad::from_raw(s));
        }
        Wad::from_raw(s).mul(self.cash_index()).map_err(overflow)
    }

    /// Sets account `id`'s cash to `amount` (wad, signed).
    pub fn set_cash(&mut self, id: U256, amount: Wad) -> Result<()> {
        let old = self.stored_cash(id);
        let new = if amount.is_positive() {
            amount.div(self.cash_index()).map_err(overflow)?.raw()
        } else {
            amount.raw()
        };
        // Σ positive scaled balances ≤ n · 2¹²⁷: no U256 overflow.
        let total = self.positive_cash.get() - positive_part(old) + positive_part(new);
        self.positive_cash.set(total);
        self.cash.setter(id).set(wad_to_i256(Wad::from_raw(new)));
        Ok(())
    }

    /// Adds `delta` to account `id`'s cash; returns the new cash.
    pub fn add_cash(&mut self, id: U256, delta: Wad) -> Result<Wad> {
        let cash = self.cash_of(id)?.add(delta).map_err(overflow)?;
        self.set_cash(id, cash)?;
        Ok(cash)
    }

    /// The positive cash of all accounts (wad).
    pub fn total_positive_cash(&self) -> Result<Wad> {
        let scaled =
            i256_to_i128(I256::from_raw(self.positive_cash.get())).ok_or_else(Revert::overflow)?;
        Wad::from_raw(scaled)
            .mul(self.cash_index())
            .map_err(overflow)
    }

    /// Spreads `loss` (wad, ≥ 0) over every positive cash balance by lowering the index, as
    /// far as it can: not below [`MIN_CASH_INDEX`], and not at all when no cash is positive.
    /// Returns what positive cash gave up (`≤ loss`, the drop of the positive total; each
    /// balance's own floor may differ from it by a wei) and the new index; adds the former to
    /// `socialised`.
    pub fn socialise(&mut self, loss: Wad) -> Result<(Wad, Wad)> {
        let index = self.cash_index();
        let total = self.total_positive_cash()?;
        if !loss.is_positive() || !total.is_positive() {
            return Ok((Wad::ZERO, index));
        }
        let kept = total.sub(loss).map_err(overflow)?.max_zero();
        let new_index = index
            .mul_div(kept, total)
            .map_err(overflow)?
            .max(Wad::from_raw(MIN_CASH_INDEX));
        if new_index >= index {
            return Ok((Wad::ZERO, index));
        }
        self.cash_index.set(U256::from(new_index.raw() as u128));
        let taken = total
            .sub(self.total_positive_cash()?)
            .map_err(overflow)?
            .min(loss)
            .max_zero();
        let recorded = self
            .socialised
            .get()
            .checked_add(U256::from(taken.raw() as u128))
            .ok_or_else(Revert::overflow)?;
        self.socialised.set(recorded);
        Ok((taken, new_index))
    }
}
