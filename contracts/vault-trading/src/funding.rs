//! Funding accrual and perpetual valuation: the arithmetic the trading module applies to
//! stored underlying and position state.
//!
//! * The funding index of an underlying grows linearly between accruals:
//!   `index(t) = index + (rate · (t − updated)) ⊗ spot` (rate per second as a fraction of spot,
//!   so the index is in settlement asset per unit of size; `⊗` rounds once, toward zero). A
//!   long pays `size · Δindex`: a positive rate moves value from longs to shorts.
//! * A perpetual of size `s` is worth `value(s) = s ⊗ spot − s ⊗ index` against the mark; its
//!   stored `basis` is its value at the last realisation, so realising pays `value(s) − basis`.

use keel_risk::{RiskError, Wad};
use keel_vault_state::UnderlyingInfo;

/// Largest |funding rate| per second: 1 % of spot per hour (`10¹⁶ / 3600` wad, truncated).
pub const MAX_FUNDING_RATE: i128 = 2_777_777_777_777;

/// `info`'s funding index accrued to `now` at `spot` (the vault-wide rule,
/// [`UnderlyingInfo::accrued_index`], which the margin module's snapshots use too).
pub fn accrued_index(info: &UnderlyingInfo, spot: Wad, now: u64) -> Result<Wad, RiskError> {
    info.accrued_index(spot, now)
}

/// `size ⊗ spot − size ⊗ index`: a perpetual's value against the mark and the funding index.
pub fn value(size: Wad, spot: Wad, index: Wad) -> Result<Wad, RiskError> {
    size.mul(spot)?.sub(size.mul(index)?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(x: i128) -> Wad {
        Wad::from_raw(x)
    }

    #[test]
    fn the_bound_is_one_percent_per_hour() {
        // 0.01 · 10¹⁸ / 3600 = 2_777_777_777_777.7…
        assert_eq!(MAX_FUNDING_RATE, 10i128.pow(16) / 3600);
        let hour = w(MAX_FUNDING_RATE).mul_int(3600).unwrap().raw();
        assert!((10i128.pow(16) - hour) < 3600);
    }

    #[test]
    fn index_accrues_rate_times_time_times_spot() {
        let info = UnderlyingInfo {
            funding_index: w(5 * 10i128.pow(18)),
            funding_rate: w(10i128.pow(12)), // 1e-6 per second
            funding_updated: 100,
            ..UnderlyingInfo::default()
        };
        let spot = w(2_000 * 10i128.pow(18));
        // 5 + 1e-6 · 1000 s · 2000 = 7.
        assert_eq!(
            accrued_index(&info, spot, 1_100).unwrap(),
            w(7 * 10i128.pow(18))
        );
        // No time, no change; a clock behind the record accrues nothing.
        assert_eq!(accrued_index(&info, spot, 100).unwrap(), info.funding_index);
        assert_eq!(accrued_index(&info, spot, 50).unwrap(), info.funding_index);
        let negative = UnderlyingInfo {
            funding_rate: w(-(10i128.pow(12))),
            ..info
        };
        assert_eq!(
            accrued_index(&negative, spot, 1_100).unwrap(),
            w(3 * 10i128.pow(18))
        );
    }

    #[test]
    fn value_is_size_times_mark_minus_index() {
        let one = 10i128.pow(18);
        assert_eq!(
            value(w(2 * one), w(100 * one), w(3 * one)).unwrap(),
            w(194 * one)
        );
        assert_eq!(
            value(w(-2 * one), w(100 * one), w(3 * one)).unwrap(),
            w(-194 * one)
        );
        assert_eq!(
            value(Wad::MAX, Wad::MAX, Wad::ZERO),
            Err(RiskError::Overflow)
        );
    }
}
