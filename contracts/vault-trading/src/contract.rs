//! The module's entry type and logic: every function the module serves as a Rust method of
//! [`TradingModule`] over native types, which the ABI layer ([`crate::dispatch`], or
//! `crate::export` under `export-abi`) decodes into and encodes from.
//!
//! ## Settling a trade
//!
//! `settleTrade` gives the taker `+size` and the maker `−size` of one instrument at `price`.
//! For each side, with `s` its size before and `s' = s + d` after:
//!
//! * **perpetual** — both sides use the same spot and funding index (accrued to now and
//!   stored): the existing position is realised (`value(s) − basis` into cash, event
//!   `Realised` when non-zero), the trade realises against the mark (`d ⊗ (spot − price)`),
//!   and the new basis is `value(s')` ([`crate::funding`]);
//! * **option** — the premium `d ⊗ price` leaves the buyer's cash for the seller's;
//! * the side's fee leaves its cash for the insurance fund.
//!
//! The trade moves value between the two sides exactly (`⊗` rounds toward zero, so the two
//! products are each other's negation). A size of zero removes the position. An instrument new
//! to an account needs room: fewer than `maxPositions` positions, an isolated account (mode 0)
//! none at all, and for an option with an expiry the account does not hold yet fewer than
//! `maxExpiries` distinct option expiries (timestamps, over all underlyings).
//!
//! ## The margin rule
//!
//! After both sides are written each must pass the margin module's `requireMargin(id, true)`
//! (initial margin, sequencer up; its revert data passes through) — except a side whose change
//! reduces risk (`|s'| < |s|` without a sign flip, closing included). Such a side's margin is
//! read (`margin(id)`) before the trade, and when it fails initial margin after it, it still
//! settles if its initial-margin surplus did not fall and its mark-to-market did not fall by
//! more than its own fee. A reduction thus lowers risk without moving value out of an account
//! short of margin: at a price worse than the mark it is paid from initial-margin surplus, as
//! a withdrawal would be (the exploit it closes: buying back a short far above the mark from
//! one's own second account, passing only maintenance margin). No price band is needed on top
//! — any value moved beyond the rule is value the account could withdraw. A side that passes
//! ends its account's auction if it cured it (`end_auction_if_cured`). Gas: a reducing side
//! costs one more margin evaluation (before), and a third when it fails initial margin.
//!
//! ## `InvalidParameter` codes
//!
//! | code | function | what |
//! | --- | --- | --- |
//! | 24 | `listUnderlying` | `stressVol` not in (0, 10] (wad) |
//! | 25 | `setFundingRate` | `|ratePerSecond|` above [`MAX_FUNDING_RATE`] (1 % per hour) |
//!
//! An instrument id whose underlying index is beyond the listed underlyings reverts
//! `UnderlyingNotListed(address(0))`: no underlying is listed there.

use alloc::vec::Vec;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::{SolCall, SolError, SolEvent};
use stylus_sdk::prelude::*;

use keel_risk::{RiskError, Wad};
use keel_stylus_common::abi::int_word;
use keel_vault_state::abi::*;
use keel_vault_state::instrument::{Instrument, CALL};
use keel_vault_state::module::{delegate, end_auction_if_cured, margin_of, AccountMargin};
use keel_vault_state::pack::{address_word, to_u128, u256_word, uint_word};
use keel_vault_state::positions::PositionRecord;
use keel_vault_state::{Module, Revert, UnderlyingInfo, VaultState, MAX_UNDERLYINGS};

pub use crate::funding::MAX_FUNDING_RATE;
use crate::funding::{accrued_index, value};

/// Result of the module's methods.
pub type Result<T> = core::result::Result<T, Revert>;

/// Largest stress vol a listing may set (10, wad).
pub const MAX_STRESS_VOL: u128 = 10_000_000_000_000_000_000;
/// Length of `settleTrade` calldata (selector and seven words): a longer one is strict.
const STRICT_AT: usize = 4 + 7 * 32;
/// `InvalidParameter` code: stress vol out of (0, 10].
pub const PARAM_STRESS_VOL: u8 = 24;
/// `InvalidParameter` code: funding rate beyond [`MAX_FUNDING_RATE`].
pub const PARAM_FUNDING_RATE: u8 = 25;

// `#[storage]` generates undocumented items.
#[allow(missing_docs)]
mod layout {
    use keel_vault_state::VaultState;
    use stylus_sdk::prelude::*;
    // `vec!`/`Vec` are used by the code `#[storage]` generates.
    #[allow(unused_imports)]
    use alloc::{vec, vec::Vec};

    /// The trading module: the shared [`VaultState`] as its only field, so it works on the
    /// vault's slots when the core delegatecalls it.
    #[storage]
    #[entrypoint]
    pub struct TradingModule {
        pub(crate) state: VaultState,
    }
}

pub use layout::TradingModule;

impl core::ops::Deref for TradingModule {
    type Target = VaultState;
    fn deref(&self) -> &VaultState {
        &self.state
    }
}

impl core::ops::DerefMut for TradingModule {
    fn deref_mut(&mut self) -> &mut VaultState {
        &mut self.state
    }
}

/// One trade's arguments (the `Trade` struct), decoded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TradeArgs {
    /// Instrument id.
    pub instrument: U256,
    /// Account receiving `size`.
    pub taker: U256,
    /// Account receiving `−size`.
    pub maker: U256,
    /// Signed size (wad, non-zero).
    pub size: Wad,
    /// Perp trade price or option premium per unit (wad).
    pub price: Wad,
    /// Taker's fee (wad).
    pub taker_fee: Wad,
    /// Maker's fee (wad).
    pub maker_fee: Wad,
}

fn ov(_: RiskError) -> Revert {
    Revert::overflow()
}

fn invalid_instrument(id: U256) -> Revert {
    Revert::with(InvalidInstrument::SELECTOR, &[u256_word(id)])
}

fn invalid_parameter(code: u8) -> Revert {
    Revert::with(InvalidParameter::SELECTOR, &[uint_word(u128::from(code))])
}

fn id_error(selector: [u8; 4], id: U256) -> Revert {
    Revert::with(selector, &[u256_word(id)])
}

/// `w` as a topic or data word.
fn topic(w: [u8; 32]) -> B256 {
    B256::from(w)
}

impl TradingModule {
    fn now(&self) -> u64 {
        self.vm().block_timestamp()
    }

    // ---- underlyings -----------------------------------------------------------------------

    /// Risk admin only: lists `asset` at the next index with `stress_vol` (wad in (0, 10]);
    /// returns the index. Errors: `ZeroAddress`, `UnderlyingAlreadyListed(asset)`,
    /// `TooManyUnderlyings()` (16 listed, or the risk parameters hold no SRM set for the
    /// index), `InvalidParameter(24)`, `RiskParamsNotSet()` (no risk parameters yet).
    pub fn list_underlying(&mut self, asset: Address, stress_vol: U256) -> Result<u8> {
        self.only_risk_admin()?;
        if asset.is_zero() {
            return Err(Revert::zero_address());
        }
        if self.underlying_info(asset).is_some() {
            return Err(Revert::at(UnderlyingAlreadyListed::SELECTOR, asset));
        }
        let count = self.underlying_count();
        if count >= MAX_UNDERLYINGS {
            return Err(Revert::named(TooManyUnderlyings::SELECTOR));
        }
        let vol = to_u128(stress_vol)
            .filter(|v| *v > 0 && *v <= MAX_STRESS_VOL)
            .ok_or_else(|| invalid_parameter(PARAM_STRESS_VOL))?;
        let sets = usize::from(self.srm_sets());
        if sets == 0 {
            return Err(Revert::named(RiskParamsNotSet::SELECTOR));
        }
        if count >= sets {
            return Err(Revert::named(TooManyUnderlyings::SELECTOR));
        }
        // `count < 16`.
        let index = count as u8;
        self.underlyings.push(asset);
        let info = UnderlyingInfo {
            index,
            stress_vol: Wad::from_raw(vol as i128),
            funding_updated: self.now(),
            ..UnderlyingInfo::default()
        };
        self.set_underlying_info(asset, &info);
        self.emit(
            &[UnderlyingListed::SIGNATURE_HASH, topic(address_word(asset))],
            &[uint_word(u128::from(index)), uint_word(vol)],
        );
        Ok(index)
    }

    /// The listed underlyings, by index.
    pub fn underlyings(&self) -> Vec<Address> {
        let n = self.underlying_count();
        (0..n).filter_map(|i| self.underlyings.get(i)).collect()
    }

    /// The address of the underlying at `index`, or `UnderlyingNotListed(address(0))`.
    fn underlying_address(&self, index: u8) -> Result<Address> {
        self.underlying_at(index)
            .ok_or_else(|| Revert::at(UnderlyingNotListed::SELECTOR, Address::ZERO))
    }

    // ---- markets ---------------------------------------------------------------------------

    /// Owner only: authorises or revokes `market`; authorising needs code at it
    /// (`NotAContract(market)`).
    pub fn set_market(&mut self, market: Address, authorised: bool) -> Result<()> {
        self.ownable.only_owner()?;
        if authorised && self.vm().code_size(market) == 0 {
            return Err(Revert::at(NotAContract::SELECTOR, market));
        }
        self.markets.setter(market).set(authorised);
        self.emit(
            &[MarketSet::SIGNATURE_HASH, topic(address_word(market))],
            &[uint_word(u128::from(authorised))],
        );
        Ok(())
    }

    /// Whether `market` is authorised.
    pub fn is_market(&self, market: Address) -> bool {
        self.markets.get(market)
    }

    // ---- instruments -----------------------------------------------------------------------

    /// The id of an instrument on listed `underlying` (`UnderlyingNotListed(underlying)`);
    /// a malformed one is `InvalidInstrument(id)` (id 0 when the strike exceeds 128 bits).
    pub fn instrument_id(
        &self,
        underlying: Address,
        kind: u8,
        expiry: u64,
        strike: U256,
    ) -> Result<U256> {
        let info = self.listed_underlying(underlying)?;
        let strike = to_u128(strike).ok_or_else(|| invalid_instrument(U256::ZERO))?;
        let id = Instrument {
            underlying: info.index,
            kind,
            expiry,
            strike,
        }
        .id();
        Instrument::parse(id).ok_or_else(|| invalid_instrument(id))?;
        Ok(id)
    }

    /// The fields of well-formed `id` (`InvalidInstrument(id)`) on a listed underlying, with
    /// the underlying's address.
    pub fn instrument(&self, id: U256) -> Result<(Address, Instrument)> {
        let i = Instrument::parse(id).ok_or_else(|| invalid_instrument(id))?;
        Ok((self.underlying_address(i.underlying)?, i))
    }

    // ---- funding ---------------------------------------------------------------------------

    /// `asset`'s spot and its underlying state with the funding index accrued to now (not
    /// stored).
    fn accrue(&self, asset: Address, mut info: UnderlyingInfo) -> Result<(Wad, UnderlyingInfo)> {
        let spot = self.spot(asset)?.price;
        let now = self.now();
        info.funding_index = accrued_index(&info, spot, now).map_err(ov)?;
        info.funding_updated = now;
        Ok((spot, info))
    }

    /// `asset`'s spot and funding index, accrued to now and stored.
    fn mark(&mut self, asset: Address) -> Result<(Wad, Wad)> {
        let info = self.listed_underlying(asset)?;
        let (spot, info) = self.accrue(asset, info)?;
        self.set_underlying_info(asset, &info);
        Ok((spot, info.funding_index))
    }

    /// An authorised market or the risk admin (`Unauthorized(caller)`): accrues listed
    /// `underlying`'s index to now at the current spot, then sets its funding rate per second
    /// (`|rate| ≤` [`MAX_FUNDING_RATE`], else `InvalidParameter(25)`).
    pub fn set_funding_rate(&mut self, underlying: Address, rate: Wad) -> Result<()> {
        let caller = self.vm().msg_sender();
        let admin = !caller.is_zero() && caller == self.risk_admin.get();
        if !admin && !self.markets.get(caller) {
            return Err(Revert::unauthorized(caller));
        }
        let info = self.listed_underlying(underlying)?;
        if rate.raw().unsigned_abs() > MAX_FUNDING_RATE as u128 {
            return Err(invalid_parameter(PARAM_FUNDING_RATE));
        }
        let (_, mut info) = self.accrue(underlying, info)?;
        info.funding_rate = rate;
        self.set_underlying_info(underlying, &info);
        self.emit(
            &[
                FundingRateSet::SIGNATURE_HASH,
                topic(address_word(underlying)),
            ],
            &[int_word(rate.raw()), int_word(info.funding_index.raw())],
        );
        Ok(())
    }

    /// Listed `underlying`'s stored funding state: index, rate per second, last accrual.
    pub fn funding(&self, underlying: Address) -> Result<(Wad, Wad, u64)> {
        let i = self.listed_underlying(underlying)?;
        Ok((i.funding_index, i.funding_rate, i.funding_updated))
    }

    // ---- trades ----------------------------------------------------------------------------

    /// An authorised market (`NotAuthorisedMarket(caller)`), owner or operator of both accounts
    /// (`NotAccountOperator(id, caller)`), not while paused (`EnforcedPause`) nor inside a token
    /// call of the core (`Reentrant`): settles `t` (see the module docs). `InvalidTrade()` for
    /// taker = maker, size 0, or a perpetual at price 0; `InvalidInstrument`,
    /// `UnderlyingNotListed`, `OptionExpired(instrument)` when `expiry ≤ now`;
    /// `TooManyPositions`, `TooManyExpiries`, `IsolatedNeedsOnePosition`; the margin module's
    /// errors.
    ///
    /// `calldata` is the call's own (selector included). A word after the trade makes it
    /// **strict**: every side must meet initial margin, reductions included — a stricter rule
    /// anyone may ask for, and the one a trade with a reducing side is first tried under
    /// (see the module docs).
    pub fn settle_trade(&mut self, t: &TradeArgs, calldata: &[u8]) -> Result<()> {
        let strict = calldata.len() > STRICT_AT;
        self.when_not_paused()?;
        if self.locked.get() {
            return Err(Revert::named(Reentrant::SELECTOR));
        }
        let caller = self.vm().msg_sender();
        if !self.markets.get(caller) {
            return Err(Revert::at(NotAuthorisedMarket::SELECTOR, caller));
        }
        if t.taker == t.maker || t.size.is_zero() {
            return Err(Revert::named(InvalidTrade::SELECTOR));
        }
        let (_, taker_mode) = self.authorised(t.taker)?;
        let (_, maker_mode) = self.authorised(t.maker)?;
        let (asset, inst) = self.instrument(t.instrument)?;
        let mark = if inst.is_option() {
            if inst.expiry <= self.now() {
                return Err(Revert::with(
                    OptionExpired::SELECTOR,
                    &[u256_word(t.instrument)],
                ));
            }
            None
        } else {
            if !t.price.is_positive() {
                return Err(Revert::named(InvalidTrade::SELECTOR));
            }
            Some(self.mark(asset)?)
        };
        let maker_size = t.size.neg().map_err(ov)?;
        let reducing = [
            !strict && self.reduces(t.taker, t.instrument, t.size),
            !strict && self.reduces(t.maker, t.instrument, maker_size),
        ];
        if reducing.contains(&true) && self.settle_strictly(calldata).is_ok() {
            return Ok(());
        }
        // A reducing side may settle below initial margin only if the trade moves no value
        // out of it: its margin before the trade is the reference.
        let taker_before = self.margin_if(reducing[0], t.taker)?;
        let maker_before = self.margin_if(reducing[1], t.maker)?;
        let leg = |id, mode, size, fee| Leg {
            id,
            mode,
            size,
            fee,
        };
        self.apply(
            &leg(t.taker, taker_mode, t.size, t.taker_fee),
            &inst,
            t,
            mark,
        )?;
        self.apply(
            &leg(t.maker, maker_mode, maker_size, t.maker_fee),
            &inst,
            t,
            mark,
        )?;
        let fees = t.taker_fee.add(t.maker_fee).map_err(ov)?;
        let insurance = self
            .insurance
            .get()
            .checked_add(U256::from(fees.raw() as u128))
            .ok_or_else(Revert::overflow)?;
        self.insurance.set(insurance);
        self.check_side(t.taker, taker_before, t.taker_fee)?;
        self.check_side(t.maker, maker_before, t.maker_fee)?;
        self.emit(
            &[
                TradeSettled::SIGNATURE_HASH,
                topic(u256_word(t.instrument)),
                topic(u256_word(t.taker)),
                topic(u256_word(t.maker)),
            ],
            &[
                int_word(t.size.raw()),
                int_word(t.price.raw()),
                int_word(t.taker_fee.raw()),
                int_word(t.maker_fee.raw()),
            ],
        );
        Ok(())
    }

    /// Applies one side of trade `t`.
    fn apply(
        &mut self,
        leg: &Leg,
        inst: &Instrument,
        t: &TradeArgs,
        mark: Option<(Wad, Wad)>,
    ) -> Result<()> {
        let id = leg.id;
        let d = leg.size;
        let (s, basis) = self
            .position_of(id, t.instrument)
            .map_or((Wad::ZERO, Wad::ZERO), |p| (p.size, p.basis));
        if s.is_zero() {
            self.check_room(id, leg.mode, inst)?;
        }
        let s2 = s.add(d).map_err(ov)?;
        let (cash, basis2) = match mark {
            Some((spot, index)) => {
                let pnl = self.realised(id, s, basis, spot, index)?;
                let trade = d.mul(spot.sub(t.price).map_err(ov)?).map_err(ov)?;
                (
                    pnl.add(trade).map_err(ov)?,
                    value(s2, spot, index).map_err(ov)?,
                )
            }
            None => (d.mul(t.price).map_err(ov)?.neg().map_err(ov)?, Wad::ZERO),
        };
        self.add_cash(id, cash.sub(leg.fee).map_err(ov)?)?;
        self.write_position(
            id,
            PositionRecord {
                instrument: t.instrument,
                size: s2,
                basis: basis2,
            },
        );
        Ok(())
    }

    /// Whether a change `d` of account `id`'s position in `instrument` reduces risk
    /// (`|s + d| < |s|` without a sign flip, closing included).
    fn reduces(&self, id: U256, instrument: U256, d: Wad) -> bool {
        let s = self
            .position_of(id, instrument)
            .map_or(Wad::ZERO, |p| p.size);
        // `d ≠ 0`: opposite signs and |d| ≤ |s|.
        !s.is_zero()
            && s.is_negative() != d.is_negative()
            && d.raw().unsigned_abs() <= s.raw().unsigned_abs()
    }

    /// Account `id`'s margin now, when `wanted`.
    fn margin_if(&mut self, wanted: bool, id: U256) -> Result<Option<AccountMargin>> {
        if !wanted {
            return Ok(None);
        }
        margin_of(self, id).map(Some)
    }

    /// Settles the trade of `calldata` under the strict rule in a nested frame (this module,
    /// by `delegatecall`): an account that meets initial margin after a reduction pays one
    /// margin evaluation, as for any trade; a refusal leaves nothing behind.
    fn settle_strictly(&mut self, calldata: &[u8]) -> Result<()> {
        let to = self.module_address(Module::Trading)?;
        let mut strict = calldata.to_vec();
        strict.resize(STRICT_AT + 32, 0);
        delegate(self, to, &strict).map(|_| ())
    }

    /// The margin rule of one settled side (see the module docs): initial margin met, or —
    /// for a reducing side whose margin `before` the trade is known — neither its
    /// initial-margin surplus nor its mark-to-market plus its `fee` lower than before. Then
    /// ends the account's auction if the trade cured it.
    fn check_side(&mut self, id: U256, before: Option<AccountMargin>, fee: Wad) -> Result<()> {
        if let Err(refused) = self.require_margin(id, true) {
            let Some(before) = before else {
                return Err(refused);
            };
            let after = margin_of(self, id)?;
            // Saturating: a value at the wad bound only compares higher.
            let value = after.mtm.raw().saturating_add(fee.raw());
            if after.im < before.im || value < before.mtm.raw() {
                return Err(refused);
            }
        }
        end_auction_if_cured(self, id);
        Ok(())
    }

    /// Checks that account `id` (in `mode`) may open a position in `inst`.
    fn check_room(&self, id: U256, mode: u8, inst: &Instrument) -> Result<()> {
        let count = self.position_count(id);
        if mode == 0 && count > 0 {
            return Err(id_error(IsolatedNeedsOnePosition::SELECTOR, id));
        }
        let (max_positions, max_expiries) = self.limits_of();
        if count >= usize::from(max_positions) {
            return Err(id_error(TooManyPositions::SELECTOR, id));
        }
        if inst.is_option() {
            let mut expiries: Vec<u64> = Vec::new();
            for p in self.positions_of(id) {
                if let Some(i) = Instrument::parse(p.instrument) {
                    if i.is_option() && !expiries.contains(&i.expiry) {
                        expiries.push(i.expiry);
                    }
                }
            }
            if !expiries.contains(&inst.expiry) && expiries.len() >= usize::from(max_expiries) {
                return Err(id_error(TooManyExpiries::SELECTOR, id));
            }
        }
        Ok(())
    }

    /// The PnL of a perpetual of `size` and `basis` against `spot` and `index`
    /// (`value(size) − basis`), with its `Realised` event when non-zero. Not written.
    fn realised(&self, id: U256, size: Wad, basis: Wad, spot: Wad, index: Wad) -> Result<Wad> {
        let pnl = value(size, spot, index)
            .and_then(|v| v.sub(basis))
            .map_err(ov)?;
        if !pnl.is_zero() {
            self.emit(
                &[Realised::SIGNATURE_HASH, topic(u256_word(id))],
                &[int_word(pnl.raw())],
            );
        }
        Ok(pnl)
    }

    /// The margin module's `requireMargin(id, initial)`, by delegatecall.
    fn require_margin(&mut self, id: U256, initial: bool) -> Result<()> {
        let to = self.module_address(Module::Margin)?;
        let mut data = Vec::with_capacity(68);
        data.extend_from_slice(&requireMarginCall::SELECTOR);
        data.extend_from_slice(&u256_word(id));
        data.extend_from_slice(&uint_word(u128::from(initial)));
        delegate(self, to, &data).map(|_| ())
    }

    /// Account `id`'s open positions.
    pub fn positions(&self, id: U256) -> Vec<PositionRecord> {
        self.positions_of(id)
    }

    // ---- realisation and option settlement ---------------------------------------------------

    /// Anyone, also while paused: realises every perpetual of existing account `id` into cash
    /// (size unchanged, basis reset to its value now), then settles its expired options whose
    /// settlement price is fixed (others stay).
    pub fn realise(&mut self, id: U256) -> Result<()> {
        self.existing(id)?;
        for p in self.positions_of(id) {
            let Some(inst) = Instrument::parse(p.instrument) else {
                continue;
            };
            if inst.is_option() {
                continue;
            }
            let asset = self.underlying_address(inst.underlying)?;
            let (spot, index) = self.mark(asset)?;
            let pnl = self.realised(id, p.size, p.basis, spot, index)?;
            self.add_cash(id, pnl)?;
            let basis = value(p.size, spot, index).map_err(ov)?;
            self.write_position(id, PositionRecord { basis, ..p });
        }
        self.settle_expired(id, false)
    }

    /// Anyone, also while paused: settles each expired option (`expiry ≤ now`) of existing
    /// account `id` whose settlement price `S` the oracle adapter has fixed: cash += `size ⊗
    /// max(0, S − K)` (call) or `size ⊗ max(0, K − S)` (put), position removed, event
    /// `OptionSettled`. `SettlementPriceNotFixed(underlying, expiry)` (the first one) when the
    /// account has expired options and none could be settled.
    pub fn settle_options(&mut self, id: U256) -> Result<()> {
        self.existing(id)?;
        self.settle_expired(id, true)
    }

    fn settle_expired(&mut self, id: U256, strict: bool) -> Result<()> {
        let now = self.now();
        let mut pending: Option<(Address, u64)> = None;
        let mut settled = false;
        for p in self.positions_of(id) {
            let Some(inst) = Instrument::parse(p.instrument) else {
                continue;
            };
            if !inst.is_option() || inst.expiry > now {
                continue;
            }
            let asset = self.underlying_address(inst.underlying)?;
            let Some(price) = self.settlement_price(asset, inst.expiry)? else {
                pending.get_or_insert((asset, inst.expiry));
                continue;
            };
            // A well-formed strike is below 2¹²⁷.
            let strike = Wad::from_raw(inst.strike as i128);
            let intrinsic = if inst.kind == CALL {
                price.sub(strike)
            } else {
                strike.sub(price)
            }
            .map_err(ov)?
            .max_zero();
            let payoff = p.size.mul(intrinsic).map_err(ov)?;
            self.add_cash(id, payoff)?;
            self.write_position(
                id,
                PositionRecord {
                    size: Wad::ZERO,
                    ..p
                },
            );
            self.emit(
                &[
                    OptionSettled::SIGNATURE_HASH,
                    topic(u256_word(id)),
                    topic(u256_word(p.instrument)),
                ],
                &[
                    int_word(p.size.raw()),
                    int_word(price.raw()),
                    int_word(payoff.raw()),
                ],
            );
            settled = true;
        }
        match pending {
            Some((asset, expiry)) if strict && !settled => Err(Revert::with(
                SettlementPriceNotFixed::SELECTOR,
                &[address_word(asset), uint_word(u128::from(expiry))],
            )),
            _ => Ok(()),
        }
    }
}

/// One side of a trade.
struct Leg {
    id: U256,
    mode: u8,
    size: Wad,
    fee: Wad,
}
