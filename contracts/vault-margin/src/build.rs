//! The snapshot builder: one account's `keel_risk::model::snapshot::MarginSnapshot` from the
//! vault's storage, the oracle adapter and the depeg guard, written straight into the wire
//! format (keel-risk's `Writer`) without building the model's structs (code size): the
//! market section and the account's parts ([`Built`]), which [`crate::margin`] assembles
//! behind a header and before the stored parameter bytes, appended verbatim.
//!
//! ## Rules
//!
//! * **Underlyings** keep the vault's indices (the `underlyings` list). Market data covers
//!   indices `0..=u_max`, `u_max` the largest index an unexpired position or a held asset's
//!   risk-cancelling underlying uses; an index below it that nothing uses is an all-zero
//!   entry (both models value an untouched underlying at exactly 0), so no oracle call is
//!   spent on it (one referenced only by expired options is read, for its spot, but not
//!   included). A used underlying: spot and confidence from `getPrice`; the perpetual marks
//!   to that spot (perp price = spot, perp confidence = spot confidence); one `ExpiryMarket`
//!   per distinct unexpired option expiry held, from `getExpiryData` (forward, fixed part 0,
//!   rate, SVI slice, every confidence = the answer's confidence).
//! * **Positions** are read as stored, in list order (the trading module writes only
//!   well-formed instrument ids); no isolated assignment is carried (isolated mode margins
//!   the one position against the whole account).
//! * **Perpetuals**: `unsettled = size·spot − size·index − basis`, `index` the funding index
//!   accrued to now (`UnderlyingInfo::accrued_index`, the rule the trading module realises
//!   with). The unrealised PnL is the position's `unsettled` (the models count it in the
//!   mark-to-market), not cash.
//! * **Expired options** (expiry ≤ now) are never positions: their payoff `size·max(0, S−K)`
//!   (call) or `size·max(0, K−S)` (put) is added to the snapshot's cash, with `S` the fixed
//!   settlement price when the adapter has one, else the current spot (intrinsic value).
//! * **Cash**: stored cash (`cash_of`) + expired-option values. `stable_price` = spot of the
//!   settlement asset.
//! * **Collateral**: the account's held assets in `held` order with their balances. Price =
//!   `getPrice(asset)`; a depeg-guarded asset is priced `spot(riskCancellingUnderlying) ×
//!   guard rate` with that spot's confidence, and is valued at **zero** when the guard's
//!   `assess` reverts or answers malformed data (a stale fundamental feed must not block
//!   liquidations). `risk_cancelling_underlying` is the index of the linked underlying when it
//!   is a listed one.
//! * **Haircuts**: `keel_risk::model::haircut` — listed haircuts plus `volSlope·max(0, vol −
//!   volFloor) + confidenceSlope·(1 − confidence) +` the guard's add-on, each capped at 1;
//!   `vol` the ATM vol of the nearest expiry of the linked underlying in this snapshot (a
//!   slice with no real ATM vol is the adapter's bad data: `OracleCallFailed(underlying)`),
//!   else its stress vol, else 0. An asset the guard marks Depegged gets an IM haircut of 1 in
//!   every snapshot: IM is the requirement for new risk, which such an asset cannot back
//!   (reduce-only); its MM value is unchanged.

use alloc::vec::Vec;

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolError;
use keel_risk::math::SviParams;
use keel_risk::model::haircut::{add_on, effective_haircuts, reference_vol, HaircutAddOns};
use keel_risk::model::snapshot::Writer;
use keel_risk::{RiskError, Wad};
use keel_vault_state::abi::{InvalidInstrument, OracleCallFailed};
use keel_vault_state::instrument::{Instrument, CALL, PERP};
use keel_vault_state::oracle::{Spot, DEPEGGED};
use keel_vault_state::pack::{to_u128, u256_word};
use keel_vault_state::{Revert, UnderlyingInfo};
use stylus_sdk::prelude::*;

use crate::{MarginModule, Result};

/// One account's snapshot, in parts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Built {
    /// The market section: `now`, stable price, underlyings, assets (wire format).
    pub market: Vec<u8>,
    /// The snapshot's cash: stored cash plus expired-option values.
    pub snapshot_cash: Wad,
    /// Collateral balances, in the order of the market's assets.
    pub collateral: Vec<Wad>,
    /// The unexpired positions' encodings, one after the other.
    pub positions: Vec<u8>,
    /// How many positions `positions` holds.
    pub open: usize,
    /// Stored cash.
    pub cash: Wad,
    /// Unrealised perpetual PnL plus expired-option values.
    pub unrealised: Wad,
    /// Stored positions (expired options included).
    pub count: usize,
    /// The sequencer status the oracle reported with the prices (0 Up).
    pub sequencer: u8,
}

/// A perpetual's unrealised PnL: `size·spot − size·index − basis`, `index` accrued to now
/// by the vault-wide rule (`UnderlyingInfo::accrued_index`, as the trading module realises).
fn perp_pnl(
    info: &UnderlyingInfo,
    spot: Wad,
    now: u64,
    size: Wad,
    basis: Wad,
) -> core::result::Result<Wad, RiskError> {
    let index = info.accrued_index(spot, now)?;
    size.mul(spot)?.sub(size.mul(index)?)?.sub(basis)
}

/// An option's value at `price`: `size·max(0, price − strike)` (call) or `size·max(0,
/// strike − price)` (put).
fn intrinsic(
    call: bool,
    price: Wad,
    strike: Wad,
    size: Wad,
) -> core::result::Result<Wad, RiskError> {
    let x = if call {
        price.sub(strike)?
    } else {
        strike.sub(price)?
    };
    size.mul(x.max_zero())
}

fn overflow(_: RiskError) -> Revert {
    Revert::overflow()
}

/// A listed underlying met while building.
struct Under {
    address: Address,
    info: UnderlyingInfo,
    spot: Spot,
    used: bool,
    /// Expiries fetched, in order; their encodings in `expiry_bytes`.
    expiries: Vec<u64>,
    expiry_bytes: Vec<u8>,
    /// The nearest expiry's SVI slice.
    nearest: Option<(u64, SviParams)>,
}

impl MarginModule {
    /// Underlying `index`'s slot, read on first use.
    fn under<'a>(
        &self,
        slots: &'a mut [Option<Under>],
        index: u8,
        instrument: U256,
    ) -> Result<&'a mut Under> {
        let bad = || Revert::with(InvalidInstrument::SELECTOR, &[u256_word(instrument)]);
        let slot = slots.get_mut(usize::from(index)).ok_or_else(bad)?;
        if slot.is_none() {
            let address = self.underlying_at(index).ok_or_else(bad)?;
            let info = self.underlying_info(address).ok_or_else(bad)?;
            let spot = self.spot(address)?;
            *slot = Some(Under {
                address,
                info,
                spot,
                used: false,
                expiries: Vec::new(),
                expiry_bytes: Vec::new(),
                nearest: None,
            });
        }
        slot.as_mut().ok_or_else(bad)
    }

    /// Fetches and encodes `u`'s data for `expiry` unless already there.
    fn add_expiry(&self, u: &mut Under, expiry: u64) -> Result<()> {
        if u.expiries.contains(&expiry) {
            return Ok(());
        }
        let mut w = Writer(core::mem::take(&mut u.expiry_bytes));
        let svi = self.expiry_data(&mut w, u.address, expiry);
        u.expiry_bytes = w.0;
        let svi = svi?;
        u.expiries.push(expiry);
        if u.nearest.is_none_or(|(at, _)| expiry < at) {
            u.nearest = Some((expiry, svi));
        }
        Ok(())
    }

    /// Account `id`'s snapshot parts now (rules in the module docs). The caller checks that
    /// the account exists and the isolated-mode position count.
    pub fn build(&self, id: U256) -> Result<Built> {
        let now = self.vm().block_timestamp();
        let stable = self.spot(self.settlement()?)?;
        let stored_cash = self.cash_of(id)?;
        let mut cash = stored_cash;
        let mut unrealised = Wad::ZERO;
        let n = self.underlying_count();
        let mut slots: Vec<Option<Under>> = (0..n).map(|_| None).collect();
        let records = self.positions_of(id);
        let mut w = Writer(Vec::with_capacity(64 * records.len()));
        let mut open = 0;

        for r in &records {
            // Stored ids are well formed: the trading module parses them before writing.
            let l = r.instrument.as_limbs();
            let i = Instrument {
                underlying: (l[3] >> 8) as u8,
                kind: l[3] as u8,
                expiry: l[2],
                strike: (u128::from(l[1]) << 64) | u128::from(l[0]),
            };
            let u = self.under(&mut slots, i.underlying, r.instrument)?;
            let strike = Wad::from_raw(i.strike as i128);
            if i.kind != PERP && i.expiry <= now {
                let price = match self.settlement_price(u.address, i.expiry)? {
                    Some(p) => p,
                    None => u.spot.price,
                };
                let value = intrinsic(i.kind == CALL, price, strike, r.size)
                    .and_then(|x| Ok((cash.add(x)?, unrealised.add(x)?)))
                    .map_err(overflow)?;
                (cash, unrealised) = value;
                continue;
            }
            u.used = true;
            w.uint(i.underlying.into());
            w.0.push(i.kind);
            if i.kind == PERP {
                let unsettled = perp_pnl(&u.info, u.spot.price, now, r.size, r.basis)
                    .and_then(|x| Ok((x, unrealised.add(x)?)))
                    .map_err(overflow)?;
                unrealised = unsettled.1;
                w.wad(unsettled.0);
            } else {
                self.add_expiry(u, i.expiry)?;
                w.uint(i.expiry.into());
                w.wad(strike);
            }
            w.wad(r.size);
            // No isolated assignment: cash 0, no assets.
            w.0.extend_from_slice(&[0, 0]);
            open += 1;
        }

        let a = self.haircut_add_ons();
        let add_ons = HaircutAddOns {
            vol_floor: Wad::from_raw(a.vol_floor as i128),
            vol_slope: Wad::from_raw(a.vol_slope as i128),
            confidence_slope: Wad::from_raw(a.confidence_slope as i128),
        };
        let held = self.held.getter(id);
        let mut assets = Writer(Vec::new());
        let mut collateral = Vec::with_capacity(held.len());
        for k in 0..held.len() {
            let Some(asset) = held.get(k) else {
                continue;
            };
            let c = self.collateral(asset);
            // A balance is at most its account cap (< 2¹²⁷).
            let amount = to_u128(self.balances.getter(id).get(asset))
                .filter(|v| *v <= i128::MAX as u128)
                .map(|v| Wad::from_raw(v as i128))
                .ok_or_else(Revert::overflow)?;
            let info = self
                .underlying_info(c.underlying)
                .filter(|info| usize::from(info.index) < n && !c.underlying.is_zero());
            let (link_spot, nearest, stress_vol) = match info {
                Some(info) => {
                    let u = self.under(&mut slots, info.index, U256::ZERO)?;
                    u.used = true;
                    let s = u.spot;
                    (Some(s), u.nearest.map(|(_, svi)| svi), info.stress_vol)
                }
                None => (None, None, Wad::ZERO),
            };
            let (price, confidence, guard_add_on, depegged) = if c.depeg_guarded {
                let base = match link_spot {
                    Some(s) => s,
                    None => self.spot(c.underlying)?,
                };
                match self.assess(asset) {
                    Some(g) => (
                        base.price.mul(g.rate).map_err(overflow)?,
                        base.confidence,
                        g.add_on,
                        g.status == DEPEGGED,
                    ),
                    None => (Wad::ZERO, base.confidence, Wad::ZERO, false),
                }
            } else {
                let s = self.spot(asset)?;
                (s.price, s.confidence, Wad::ZERO, false)
            };
            let vol = reference_vol(nearest.as_ref(), stress_vol)
                .map_err(|_| Revert::at(OracleCallFailed::SELECTOR, c.underlying))?;
            let h = effective_haircuts(
                Wad::from_raw(c.im_haircut as i128),
                Wad::from_raw(c.mm_haircut as i128),
                add_on(&add_ons, vol, confidence, guard_add_on),
                depegged,
            );
            assets.wads(&[price, confidence, h.mm, h.im]);
            assets.uint(info.map_or(0, |i| u128::from(i.index) + 1));
            collateral.push(amount);
        }

        let mut m = Writer(Vec::with_capacity(256 + assets.0.len()));
        m.uint(now.into());
        m.wad(stable.price);
        let used = slots
            .iter()
            .rposition(|s| s.as_ref().is_some_and(|u| u.used))
            .map_or(0, |i| i + 1);
        m.len(used);
        for slot in slots.iter().take(used) {
            match slot {
                Some(Under {
                    used: true,
                    spot: s,
                    expiries,
                    expiry_bytes,
                    ..
                }) => {
                    m.wads(&[s.price, s.confidence, s.price, s.confidence]);
                    m.len(expiries.len());
                    m.0.extend_from_slice(expiry_bytes);
                }
                // Not used: four zero wads, no expiry.
                _ => m.0.extend_from_slice(&[0; 5]),
            }
        }
        m.len(collateral.len());
        m.0.extend_from_slice(&assets.0);

        Ok(Built {
            market: m.0,
            snapshot_cash: cash,
            collateral,
            positions: w.0,
            open,
            cash: stored_cash,
            unrealised,
            count: records.len(),
            sequencer: stable.sequencer,
        })
    }
}
