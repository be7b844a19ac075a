//! Positions: each account's open positions as a list of two-word records (`positions`) with
//! an index (`position_slot`: instrument → list index + 1), so a trade finds its position
//! with one read and a margin check reads the whole list in order.
//!
//! Record: `w0` the instrument id ([`crate::instrument`]), `w1` = `pair(size, basis)` as two
//! `i128`s (see `Position` in the interface). A size of zero is never stored: writing it
//! removes the record (the last record moves into its place).

use alloc::vec::Vec;

use alloy_primitives::U256;
use keel_risk::Wad;

use crate::layout::VaultState;
use crate::pack::{pair, unpair};

/// One open position.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PositionRecord {
    /// The instrument id.
    pub instrument: U256,
    /// Signed size (wad).
    pub size: Wad,
    /// Perpetuals: cash value already realised against; 0 for options.
    pub basis: Wad,
}

fn size_basis(word: U256) -> (Wad, Wad) {
    let (size, basis) = unpair(word);
    (Wad::from_raw(size as i128), Wad::from_raw(basis as i128))
}

impl VaultState {
    /// How many positions account `id` holds.
    pub fn position_count(&self, id: U256) -> usize {
        self.positions.getter(id).len()
    }

    /// Account `id`'s positions, in list order.
    pub fn positions_of(&self, id: U256) -> Vec<PositionRecord> {
        let list = self.positions.getter(id);
        let n = list.len();
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            if let Some(r) = list.getter(i) {
                let (size, basis) = size_basis(r.w1.get());
                out.push(PositionRecord {
                    instrument: r.w0.get(),
                    size,
                    basis,
                });
            }
        }
        out
    }

    /// Account `id`'s position in `instrument`, if any.
    pub fn position_of(&self, id: U256, instrument: U256) -> Option<PositionRecord> {
        let slot = self.position_slot.getter(id).get(instrument);
        let index = usize::try_from(slot).ok()?.checked_sub(1)?;
        let list = self.positions.getter(id);
        let (size, basis) = size_basis(list.getter(index)?.w1.get());
        Some(PositionRecord {
            instrument,
            size,
            basis,
        })
    }

    /// Writes account `id`'s position `p`: updates it, appends it (a new instrument), or
    /// removes it (size zero). Returns whether the instrument was new to the account. The
    /// caller enforces the position limits before writing.
    pub fn write_position(&mut self, id: U256, p: PositionRecord) -> bool {
        let slot = self.position_slot.getter(id).get(p.instrument);
        let word = pair(p.size.raw() as u128, p.basis.raw() as u128);
        match usize::try_from(slot).ok().and_then(|s| s.checked_sub(1)) {
            None => {
                if p.size.is_zero() {
                    return false;
                }
                let mut list = self.positions.setter(id);
                let len = list.len();
                let mut r = list.grow();
                r.w0.set(p.instrument);
                r.w1.set(word);
                self.position_slot
                    .setter(id)
                    .setter(p.instrument)
                    .set(U256::from(len + 1));
                true
            }
            Some(index) if p.size.is_zero() => {
                let mut list = self.positions.setter(id);
                let last = list.len() - 1;
                if index != last {
                    let (moved, moved_word) = match list.getter(last) {
                        Some(r) => (r.w0.get(), r.w1.get()),
                        None => return false,
                    };
                    if let Some(mut r) = list.setter(index) {
                        r.w0.set(moved);
                        r.w1.set(moved_word);
                    }
                    self.position_slot
                        .setter(id)
                        .setter(moved)
                        .set(U256::from(index + 1));
                }
                self.positions.setter(id).erase_last();
                self.position_slot
                    .setter(id)
                    .setter(p.instrument)
                    .set(U256::ZERO);
                false
            }
            Some(index) => {
                if let Some(mut r) = self.positions.setter(id).setter(index) {
                    r.w1.set(word);
                }
                false
            }
        }
    }
}
