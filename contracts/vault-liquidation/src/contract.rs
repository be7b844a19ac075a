//! The module's storage and logic: every function it serves as a Rust method of
//! [`LiquidationModule`] over native types, which the ABI layer ([`crate::dispatch`], or
//! `crate::export` under `export-abi`) decodes into and encodes from. The rules are in the
//! crate docs.

use alloc::vec::Vec;

use alloy_primitives::{Address, I256, U256};
use alloy_sol_types::{SolError, SolEvent};
use keel_risk::Wad;
use keel_stylus_common::abi::Word;
use keel_stylus_common::convert::i256_to_i128;
use keel_vault_state::abi::*;
use keel_vault_state::instrument::Instrument;
use keel_vault_state::module::{margin_of, AccountMargin};
use keel_vault_state::pack::{address_word, to_u128, u256_word, uint_word};
use keel_vault_state::positions::PositionRecord;
use keel_vault_state::{amount, token};
use keel_vault_state::{Revert, VaultState, MAX_ASSETS_PER_ACCOUNT};
use stylus_sdk::prelude::*;

use keel_risk::liquidation::{self as math, Params, WAD};

/// Result of the module's methods: the error is ABI-encoded revert data.
pub type Result<T> = core::result::Result<T, Revert>;

// `#[storage]` generates undocumented items.
#[allow(missing_docs)]
mod layout {
    use keel_vault_state::VaultState;
    use stylus_sdk::prelude::*;
    // `vec!`/`Vec` are used by the code `#[storage]` generates.
    #[allow(unused_imports)]
    use alloc::{vec, vec::Vec};

    /// The liquidation module: the vault's [`VaultState`] as its only field, so that, run by
    /// `delegatecall` from the vault, it sees the vault's slots.
    #[storage]
    #[entrypoint]
    pub struct LiquidationModule {
        pub(crate) state: VaultState,
    }
}

pub use layout::LiquidationModule;

impl core::ops::Deref for LiquidationModule {
    type Target = VaultState;
    fn deref(&self) -> &VaultState {
        &self.state
    }
}

impl core::ops::DerefMut for LiquidationModule {
    fn deref_mut(&mut self) -> &mut VaultState {
        &mut self.state
    }
}

/// The maintenance requirement `R = V − MM` of a margin reading (so haircuts the margin
/// module applies count as requirement, and the fill cap uses the numbers the buffer is
/// defined on).
pub fn requirement(m: &AccountMargin) -> Result<i128> {
    m.mtm
        .raw()
        .checked_sub(m.mm.raw())
        .ok_or_else(Revert::overflow)
}

fn overflow<E>(_: E) -> Revert {
    Revert::overflow()
}

/// `None` → `WadOverflow()`.
fn checked<T>(x: Option<T>) -> Result<T> {
    x.ok_or_else(Revert::overflow)
}

fn id_error(selector: [u8; 4], id: U256) -> Revert {
    Revert::with(selector, &[u256_word(id)])
}

fn id_value_error(selector: [u8; 4], id: U256, value: i128) -> Revert {
    Revert::with(selector, &[u256_word(id), math_word(value)])
}

fn math_word(x: i128) -> [u8; 32] {
    x.word().0
}

fn wad_u256(x: u128) -> U256 {
    U256::from(x)
}

impl LiquidationModule {
    // ---- parameters -------------------------------------------------------------------------

    /// The auction parameters ([`Params::DEFAULT`] until the risk admin sets some).
    pub fn params(&self) -> Params {
        let s = &self.liquidation;
        let duration = s.w2.get();
        if duration.is_zero() {
            return Params::DEFAULT;
        }
        // Written only by `set_liquidation_params`, within bounds.
        let small = |x: U256| to_u128(x).unwrap_or_default();
        Params {
            start: small(s.w0.get()),
            end: small(s.w1.get()),
            duration: duration.as_limbs()[0],
            buffer: small(s.w3.get()),
        }
    }

    /// Risk admin only: sets the auction parameters (`InvalidParameter(code)` out of bounds,
    /// codes in [`keel_risk::liquidation`]).
    pub fn set_liquidation_params(
        &mut self,
        start: U256,
        end: U256,
        duration: u64,
        buffer: U256,
    ) -> Result<()> {
        self.only_risk_admin()?;
        // Anything beyond 128 bits is out of bounds anyway.
        let narrow = |x: U256| to_u128(x).unwrap_or(u128::MAX);
        let p = Params {
            start: narrow(start),
            end: narrow(end),
            duration,
            buffer: narrow(buffer),
        };
        if let Some(code) = p.check() {
            return Err(Revert::with(
                InvalidParameter::SELECTOR,
                &[uint_word(u128::from(code))],
            ));
        }
        let s = &mut self.liquidation;
        s.w0.set(start);
        s.w1.set(end);
        s.w2.set(U256::from(duration));
        s.w3.set(buffer);
        self.emit(
            &[LiquidationParamsSet::SIGNATURE_HASH],
            &[
                u256_word(start),
                u256_word(end),
                uint_word(u128::from(duration)),
                u256_word(buffer),
            ],
        );
        Ok(())
    }

    // ---- margin ---------------------------------------------------------------------------------

    /// Account `id`'s margin, read from the margin module ([`margin_of`]).
    pub fn margin_of(&mut self, id: U256) -> Result<AccountMargin> {
        margin_of(self, id)
    }

    // ---- auctions ---------------------------------------------------------------------------

    /// When account `id`'s auction started (0: none).
    fn started(&self, id: U256) -> u64 {
        self.auctions.get(id).as_limbs()[0]
    }

    /// The start of account `id`'s running auction, or `AuctionNotActive(id)`.
    fn active(&self, id: U256) -> Result<u64> {
        match self.started(id) {
            0 => Err(id_error(AuctionNotActive::SELECTOR, id)),
            t => Ok(t),
        }
    }

    /// Account `id`'s auction: whether one runs, when it started, and its discount now
    /// (0 when none runs).
    pub fn auction(&self, id: U256) -> (bool, u64, u128) {
        let started = self.started(id);
        if started == 0 {
            return (false, 0, 0);
        }
        let now = self.vm().block_timestamp();
        (
            true,
            started,
            self.params().discount(now.saturating_sub(started)),
        )
    }

    /// Anyone: starts an auction of account `id`, whose maintenance surplus must be negative.
    pub fn start_auction(&mut self, id: U256) -> Result<()> {
        self.existing(id)?;
        if self.started(id) != 0 {
            return Err(id_error(AuctionAlreadyActive::SELECTOR, id));
        }
        let m = self.margin_of(id)?;
        if !m.mm.is_negative() {
            return Err(id_value_error(
                AboveMaintenanceMargin::SELECTOR,
                id,
                m.mm.raw(),
            ));
        }
        // A chain's clock is never 0; a test chain's may be, and 0 means "no auction".
        let now = self.vm().block_timestamp().max(1);
        self.auctions.setter(id).set(U256::from(now));
        self.emit(
            &[AuctionStarted::SIGNATURE_HASH, u256_word(id).into()],
            &[math_word(m.mm.raw()), math_word(m.mtm.raw())],
        );
        Ok(())
    }

    /// Whether account `id` holds nothing: no position, no collateral, no cash.
    fn is_empty(&self, id: U256) -> Result<bool> {
        Ok(self.position_count(id) == 0
            && self.held.getter(id).is_empty()
            && self.cash_of(id)?.is_zero())
    }

    /// Ends account `id`'s auction when the account is at or above maintenance margin (cured,
    /// or brought there by bids) or holds nothing; returns whether it ended and the
    /// maintenance surplus.
    fn end_if_done(&mut self, id: U256) -> Result<(bool, i128)> {
        let mm = self.margin_of(id)?.mm.raw();
        let done = mm >= 0 || self.is_empty(id)?;
        if done {
            self.auctions.setter(id).set(U256::ZERO);
            self.emit(
                &[AuctionEnded::SIGNATURE_HASH, u256_word(id).into()],
                &[math_word(mm)],
            );
        }
        Ok((done, mm))
    }

    /// Anyone: ends account `id`'s auction once the account is at or above maintenance
    /// margin or empty (`BelowMaintenanceMargin(id, mm)` otherwise).
    pub fn end_auction(&mut self, id: U256) -> Result<()> {
        self.active(id)?;
        match self.end_if_done(id)? {
            (true, _) => Ok(()),
            (false, mm) => Err(id_value_error(BelowMaintenanceMargin::SELECTOR, id, mm)),
        }
    }

    /// Owner or operator of account `bidder`: buys up to `fraction` (wad) of account `id`
    /// at the auction's discount, paying at most `max_payment`. Returns the fraction filled
    /// and the payment (negative: paid to the bidder). See the crate docs.
    pub fn bid(
        &mut self,
        id: U256,
        bidder: U256,
        fraction: U256,
        max_payment: I256,
    ) -> Result<(u128, i128)> {
        let started = self.active(id)?;
        let (owner, _) = self.existing(id)?;
        let (bidder_owner, bidder_mode) = self.authorised(bidder)?;
        if bidder == id || bidder_owner == owner || self.vm().msg_sender() == owner {
            return Err(id_error(SelfLiquidation::SELECTOR, id));
        }
        let f = match to_u128(fraction) {
            Some(f) if f > 0 && f <= WAD => f,
            _ => {
                return Err(Revert::with(
                    InvalidFraction::SELECTOR,
                    &[u256_word(fraction)],
                ))
            }
        };
        let p = self.params();
        let m = self.margin_of(id)?;
        let (value, mm) = (m.mtm.raw(), m.mm.raw());
        if mm >= 0 {
            return Err(id_value_error(AboveMaintenanceMargin::SELECTOR, id, mm));
        }
        let r = requirement(&m)?;
        let discount = p.discount(self.vm().block_timestamp().saturating_sub(started));
        let cap = checked(math::fill_cap(value, r, p.buffer, discount))?;
        let filled = f.min(cap);
        let mut payment = checked(math::payment(filled, value, discount))?;

        self.take_share(id, bidder, bidder_mode, filled)?;
        if value > 0 {
            let amount = Wad::from_raw(payment);
            self.add_cash(bidder, amount.neg().map_err(overflow)?)?;
            self.add_cash(id, amount)?;
        } else if payment < 0 {
            // Only what the fund and the socialisation covered is paid.
            payment =
                -checked(i128::try_from(self.cover(id, bidder, payment.unsigned_abs())?).ok())?;
        }
        // A limit beyond the wad range is no limit (above) or refuses everything (below).
        let above = match i256_to_i128(max_payment) {
            Some(limit) => payment > limit,
            None => max_payment.is_negative(),
        };
        if above {
            return Err(Revert::with(
                PaymentAboveLimit::SELECTOR,
                &[math_word(payment), max_payment.word().0],
            ));
        }

        let im = self.margin_of(bidder)?.im.raw();
        if im < 0 {
            return Err(id_value_error(BelowInitialMargin::SELECTOR, bidder, im));
        }
        self.emit(
            &[
                Bid::SIGNATURE_HASH,
                u256_word(id).into(),
                u256_word(bidder).into(),
            ],
            &[uint_word(filled), math_word(payment), uint_word(discount)],
        );
        self.end_if_done(id)?;
        Ok((filled, payment))
    }

    /// Pays account `bidder` for taking over bad debt of account `id`, up to `owed`: from the
    /// insurance fund as far as it goes, the rest socialised over all positive cash as far as
    /// the socialisation index allows (before the bidder is credited). Returns what was
    /// credited — never more than the fund paid plus what positive cash actually gave up.
    fn cover(&mut self, id: U256, bidder: U256, owed: u128) -> Result<u128> {
        let fund = to_u128(self.insurance.get()).unwrap_or(u128::MAX);
        let from_fund = owed.min(fund);
        if from_fund > 0 {
            self.insurance.set(wad_u256(fund.wrapping_sub(from_fund)));
            self.emit(
                &[InsurancePaid::SIGNATURE_HASH, u256_word(id).into()],
                &[uint_word(from_fund)],
            );
        }
        // `from_fund ≤ owed`.
        let shortfall = owed.wrapping_sub(from_fund);
        let mut socialised = 0;
        if shortfall > 0 {
            let loss = Wad::from_raw(checked(i128::try_from(shortfall).ok())?);
            let (taken, index) = self.socialise(loss)?;
            socialised = taken.raw().unsigned_abs();
            if socialised > 0 {
                self.emit(
                    &[LossSocialised::SIGNATURE_HASH, u256_word(id).into()],
                    &[uint_word(socialised), math_word(index.raw())],
                );
            }
        }
        // Both parts fit a wad: the fund is at most i128::MAX, `socialised ≤ shortfall`.
        let credited = from_fund.wrapping_add(socialised);
        self.add_cash(
            bidder,
            Wad::from_raw(checked(i128::try_from(credited).ok())?),
        )?;
        Ok(credited)
    }

    /// Moves `f` (wad) of everything account `id` holds to account `bidder`: every position
    /// (size and basis truncated toward zero), every collateral balance (rounded down) but
    /// depeg-guarded collateral the guard cannot assess now, and the cash (rounded toward
    /// −∞), within the bidder's limits (positions, expiries, assets, per-account caps).
    fn take_share(&mut self, id: U256, bidder: U256, bidder_mode: u8, f: u128) -> Result<()> {
        let mut added = false;
        for p in self.positions_of(id) {
            let size = checked(math::scale_trunc(p.size.raw(), f))?;
            if size == 0 {
                continue;
            }
            let basis = checked(math::scale_trunc(p.basis.raw(), f))?;
            let sub = |a: Wad, b: i128| checked(a.raw().checked_sub(b));
            self.put(id, p.instrument, sub(p.size, size)?, sub(p.basis, basis)?)?;
            let (old_size, old_basis) = match self.position_of(bidder, p.instrument) {
                Some(q) => (q.size.raw(), q.basis.raw()),
                None => {
                    added = true;
                    (0, 0)
                }
            };
            self.put(
                bidder,
                p.instrument,
                checked(old_size.checked_add(size))?,
                checked(old_basis.checked_add(basis))?,
            )?;
        }
        if added {
            self.check_limits(bidder, bidder_mode)?;
        }

        for asset in self.held_assets(id) {
            let c = self.collateral(asset);
            // Collateral the depeg guard cannot assess is worth nothing in the margin the bid
            // was priced on: it is not sold for nothing, it stays with the account.
            if c.depeg_guarded && self.assess(asset).is_none() {
                continue;
            }
            let balance = self.balances.getter(id).get(asset);
            let moved = checked(math::mul_div_down(checked(to_u128(balance))?, f, WAD))?;
            if moved == 0 {
                continue;
            }
            // `moved = ⌊balance · f⌋ ≤ balance`.
            let rest = balance.wrapping_sub(wad_u256(moved));
            self.balances.setter(id).setter(asset).set(rest);
            if rest.is_zero() {
                self.forget(id, asset);
            }
            let held = self.balances.getter(bidder).get(asset);
            if held.is_zero() {
                if self.held.getter(bidder).len() >= MAX_ASSETS_PER_ACCOUNT {
                    return Err(id_error(TooManyAssets::SELECTOR, bidder));
                }
                self.held.setter(bidder).push(asset);
            }
            let total = checked(held.checked_add(wad_u256(moved)))?;
            if total > wad_u256(c.account_cap) {
                return Err(Revert::with(
                    AccountCapExceeded::SELECTOR,
                    &[
                        u256_word(bidder),
                        address_word(asset),
                        u256_word(total),
                        uint_word(c.account_cap),
                    ],
                ));
            }
            self.balances.setter(bidder).setter(asset).set(total);
        }

        let cash = self.cash_of(id)?;
        let moved = checked(math::scale_floor(cash.raw(), f))?;
        if moved != 0 {
            let rest = checked(cash.raw().checked_sub(moved))?;
            self.set_cash(id, Wad::from_raw(rest))?;
            self.add_cash(bidder, Wad::from_raw(moved))?;
        }
        Ok(())
    }

    /// Writes account `id`'s position in `instrument`. A position whose size reaches zero
    /// with a basis left realises it: its unrealised P&L is `size · (mark − funding index) −
    /// basis = −basis`, credited to cash.
    fn put(&mut self, id: U256, instrument: U256, size: i128, basis: i128) -> Result<()> {
        let basis = if size == 0 && basis != 0 {
            self.add_cash(id, Wad::from_raw(checked(0i128.checked_sub(basis))?))?;
            0
        } else {
            basis
        };
        self.write_position(
            id,
            PositionRecord {
                instrument,
                size: Wad::from_raw(size),
                basis: Wad::from_raw(basis),
            },
        );
        Ok(())
    }

    /// The position limits of account `bidder` after it took new instruments.
    fn check_limits(&self, bidder: U256, mode: u8) -> Result<()> {
        let list = self.positions_of(bidder);
        let (max_positions, max_expiries) = self.limits_of();
        if mode == 0 && list.len() > 1 {
            return Err(id_error(IsolatedNeedsOnePosition::SELECTOR, bidder));
        }
        if list.len() > usize::from(max_positions) {
            return Err(id_error(TooManyPositions::SELECTOR, bidder));
        }
        let mut expiries: Vec<u64> = Vec::new();
        for p in &list {
            if let Some(i) = Instrument::parse(p.instrument) {
                if i.is_option() && !expiries.contains(&i.expiry) {
                    expiries.push(i.expiry);
                }
            }
        }
        if expiries.len() > usize::from(max_expiries) {
            return Err(id_error(TooManyExpiries::SELECTOR, bidder));
        }
        Ok(())
    }

    /// The assets account `id` holds a balance of.
    fn held_assets(&self, id: U256) -> Vec<Address> {
        let list = self.held.getter(id);
        (0..list.len()).filter_map(|i| list.get(i)).collect()
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

    // ---- insurance -------------------------------------------------------------------------

    /// The insurance fund (wad of settlement asset).
    pub fn insurance_fund(&self) -> U256 {
        self.insurance.get()
    }

    /// The total loss socialised so far and the socialisation index (wad).
    pub fn socialised_loss(&self) -> (U256, U256) {
        (
            self.socialised.get(),
            wad_u256(self.cash_index().raw().unsigned_abs()),
        )
    }

    /// Anyone: moves `amount` token units of the settlement asset from the caller into the
    /// insurance fund, crediting what arrived (18 decimals). Returns the credit.
    pub fn fund_insurance(&mut self, amount: U256) -> Result<U256> {
        let asset = self.settlement()?;
        if amount.is_zero() {
            return Err(Revert::zero_amount());
        }
        let decimals = self.collateral(asset).decimals;
        self.lock()?;
        let result = self.fund_locked(asset, decimals, amount);
        self.unlock();
        result
    }

    fn fund_locked(&mut self, asset: Address, decimals: u8, amount: U256) -> Result<U256> {
        let me = self.vm().contract_address();
        let from = self.vm().msg_sender();
        let before = token::balance_of(self.vm(), asset, me)?;
        token::transfer_from(self, asset, from, me, amount)?;
        let after = token::balance_of(self.vm(), asset, me)?;
        // A balance that fell is a token misbehaving: it credits nothing.
        let received = after.checked_sub(before).unwrap_or_default();
        let credited = checked(amount::credit(received, decimals))?;
        if credited.is_zero() {
            return Err(Revert::zero_amount());
        }
        let fund = checked(self.insurance.get().checked_add(credited))?;
        // The fund pays out as wads.
        if fund > wad_u256(i128::MAX.unsigned_abs()) {
            return Err(Revert::overflow());
        }
        self.insurance.set(fund);
        self.emit(
            &[InsuranceFunded::SIGNATURE_HASH, address_word(from).into()],
            &[u256_word(credited)],
        );
        Ok(credited)
    }
}
