//! The LST depeg guard's rules: what a liquid-staking or yield-bearing token is worth in its
//! underlying (wstETH in ETH, rETH in ETH, an ERC-4626 share in its asset), and how far the
//! market has left that value.
//!
//! This module owns the pure logic of Keel's depeg guard — the Stylus contract
//! `keel-lst-depeg-guard` reads the feeds and calls [`assess`]; the vault, the keeper and the CLI
//! can replay it bit-for-bit. Everything is an 18-decimal [`Wad`] and every step is checked.
//!
//! ## 1. The fundamental rate, capped CAPO-style
//!
//! The *fundamental rate* is the token's redemption value reported by its issuer (a rate feed
//! such as wstETH's `stEthPerToken`, or `convertToAssets` of an ERC-4626 vault). It only ever
//! grows slowly, so a sudden jump is a manipulation or a bug, never information. As Aave's
//! CAPO adapters do, the owner records a [`CapoSnapshot`] — a ratio observed at a timestamp and
//! a maximum yearly growth — and the rate is capped by a line through it:
//!
//! ```text
//! cap(now) = ratio · (1 + maxYearlyGrowth · (now − snapshotTs) / YEAR)     YEAR = 365 days
//! capped   = min(reported, cap(now))                 (flagged when reported > cap)
//! ```
//!
//! The product is computed with a single truncation (`ratio · growth · Δt / (10¹⁸ · YEAR)`),
//! so the cap is rounded **down** (never more generous than the formula). A `now` before the
//! snapshot counts as `Δt = 0`. Bounds ([`CapoSnapshot::validate`]):
//!
//! * `MIN_RATIO ≤ ratio ≤ MAX_RATIO` — 10⁻⁶ … 10⁶ whole underlying per whole token: any LST or
//!   vault share, whatever its unit mismatch, while keeping ≥ 12 significant digits;
//! * `0 ≤ maxYearlyGrowth ≤ MAX_YEARLY_GROWTH` (50 %/year; 0 pins the cap at the ratio);
//! * `snapshotTs ≤ now` and `now − snapshotTs ≤ MAX_SNAPSHOT_AGE` (90 days) **when the snapshot
//!   is set**: a snapshot must be recent when recorded. It is not re-checked when reading — the
//!   cap then only loosens linearly, which is safe, whereas refusing to read would freeze
//!   liquidations.
//!
//! ## 2. The market rate, in one of two quote modes ([`MarketQuote`])
//!
//! * [`MarketQuote::Asset`] — the market feed prices the token itself in underlying units
//!   (rETH/ETH): `market = price`.
//! * [`MarketQuote::UnderlyingToken`] — the feed prices the *rebasing* token the wrapper is
//!   denominated in (stETH/ETH for wstETH, whose fundamental rate is stETH per wstETH):
//!   `market = price · capped` (truncated).
//!
//! A market feed that is not configured, stale or invalid is described by [`Market`]; the guard
//! then **degrades** to the capped fundamental and says so ([`MarketState`]) instead of failing:
//! a revert there would freeze liquidations exactly when they matter.
//!
//! ## 3. Depeg, status and haircut add-on
//!
//! ```text
//! rate      = min(market, capped)                       (capped alone without a live market)
//! depegBps  = ⌈ max(0, 1 − market / capped) · 10 000 ⌉  (rounded UP: never understates risk)
//! status    = Depegged if depegBps ≥ depeggedBps, else Warning if depegBps ≥ warningBps, else Normal
//! addOn     = 0 if depegBps < warningBps, else min(1, ⌈slope · depegBps / 10 000⌉)
//! ```
//!
//! Thresholds are inclusive (a depeg of exactly `warningBps` is a Warning). Defaults
//! ([`DepegParams::DEFAULT`]): warning 100 bps, depegged 300 bps, slope 1 (the add-on equals
//! the depeg once past the warning threshold: the rate in use already marks the token at the
//! market, the add-on charges for the depeg deepening further). Bounds
//! ([`DepegParams::validate`]): `0 < warningBps < depeggedBps ≤ 10 000`, `0 ≤ slope ≤ 100`.
//! The add-on is monotone non-decreasing in the depeg and lies in `[0, 1]`.
//!
//! ## 4. Validating a fundamental reading
//!
//! Unlike the market feed, the fundamental rate has no fallback: [`check_fundamental`] refuses
//! a non-positive rate, a timestamp in the future and a reading older than its staleness limit
//! (`now − updatedAt > maxAge`; a reading exactly `maxAge` old is still valid) with a named
//! [`LstError`]. Market readings are classified (never refused) by [`classify_market`] with
//! the same age rule. Staleness limits are bounded by [`validate_max_age`]:
//! `0 < maxAge ≤ MAX_FEED_AGE` (7 days).

use core::fmt;

use crate::error::RiskError;
use crate::fixed::{Wad, WAD};

/// One year for the cap's growth: 365 days, in seconds.
pub const YEAR: u64 = 365 * 86_400;
/// Basis points in 1.
pub const BPS: u32 = 10_000;
/// Smallest snapshot ratio accepted: 10⁻⁶.
pub const MIN_RATIO: Wad = Wad::from_raw(WAD / 1_000_000);
/// Largest snapshot ratio accepted: 10⁶.
pub const MAX_RATIO: Wad = Wad::from_raw(WAD * 1_000_000);
/// Largest maximum yearly growth accepted: 50 % per year.
pub const MAX_YEARLY_GROWTH: Wad = Wad::from_raw(WAD / 2);
/// Oldest a snapshot may be when it is set: 90 days.
pub const MAX_SNAPSHOT_AGE: u64 = 90 * 86_400;
/// Largest haircut add-on slope accepted: 100 (a 1 % depeg may cost the whole value).
pub const MAX_ADD_ON_SLOPE: Wad = Wad::from_int(100);
/// Largest staleness limit accepted for a fundamental or market feed: 7 days (Chainlink
/// heartbeats are at most a day; the margin leaves room for a slow rate feed).
pub const MAX_FEED_AGE: u64 = 7 * 86_400;

/// Checks a feed staleness limit: `0 < max_age ≤ MAX_FEED_AGE`.
pub fn validate_max_age(max_age: u64) -> Result<(), LstError> {
    if max_age == 0 || max_age > MAX_FEED_AGE {
        return Err(LstError::InvalidMaxAge);
    }
    Ok(())
}

/// Why a depeg-guard computation or parameter was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LstError {
    /// The snapshot ratio is outside `[MIN_RATIO, MAX_RATIO]`.
    InvalidRatio,
    /// The snapshot timestamp is in the future or older than [`MAX_SNAPSHOT_AGE`].
    InvalidSnapshotTimestamp,
    /// The maximum yearly growth is negative or above [`MAX_YEARLY_GROWTH`].
    InvalidGrowth,
    /// The thresholds break `0 < warningBps < depeggedBps ≤ 10 000`.
    InvalidThresholds,
    /// The add-on slope is negative or above [`MAX_ADD_ON_SLOPE`].
    InvalidAddOnSlope,
    /// A feed staleness limit is zero or above [`MAX_FEED_AGE`].
    InvalidMaxAge,
    /// The fundamental rate is zero or negative.
    FundamentalNotPositive,
    /// The fundamental rate's timestamp is after `now`.
    FundamentalFromFuture,
    /// The fundamental rate is older than its staleness limit.
    FundamentalStale,
    /// Fixed-point arithmetic failed (unreachable within the bounds above).
    Risk(RiskError),
}

impl From<RiskError> for LstError {
    fn from(e: RiskError) -> Self {
        LstError::Risk(e)
    }
}

impl fmt::Display for LstError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            LstError::InvalidRatio => "snapshot ratio outside [1e-6, 1e6]",
            LstError::InvalidSnapshotTimestamp => "snapshot timestamp in the future or too old",
            LstError::InvalidGrowth => "max yearly growth outside [0, 0.5]",
            LstError::InvalidThresholds => "thresholds break 0 < warning < depegged <= 10000 bps",
            LstError::InvalidAddOnSlope => "add-on slope outside [0, 100]",
            LstError::InvalidMaxAge => "feed staleness limit outside (0, 7 days]",
            LstError::FundamentalNotPositive => "fundamental rate is not positive",
            LstError::FundamentalFromFuture => "fundamental rate timestamp is in the future",
            LstError::FundamentalStale => "fundamental rate is stale",
            LstError::Risk(e) => return fmt::Display::fmt(e, f),
        };
        f.write_str(text)
    }
}

impl core::error::Error for LstError {}

/// The owner-set CAPO snapshot that bounds the fundamental rate's growth.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CapoSnapshot {
    /// The fundamental rate observed at `timestamp` (underlying per token).
    pub ratio: Wad,
    /// When `ratio` was observed (unix seconds).
    pub timestamp: u64,
    /// The most the rate may grow in a year, as a fraction of `ratio` (0.1 = 10 %/year).
    pub max_yearly_growth: Wad,
}

impl CapoSnapshot {
    /// Checks the bounds that hold at all times: the ratio range and the growth range.
    pub fn validate_shape(&self) -> Result<(), LstError> {
        if self.ratio < MIN_RATIO || self.ratio > MAX_RATIO {
            return Err(LstError::InvalidRatio);
        }
        if self.max_yearly_growth.is_negative() || self.max_yearly_growth > MAX_YEARLY_GROWTH {
            return Err(LstError::InvalidGrowth);
        }
        Ok(())
    }

    /// Checks every bound for a snapshot being set at `now`: [`CapoSnapshot::validate_shape`]
    /// plus `timestamp ≤ now` and `now − timestamp ≤ MAX_SNAPSHOT_AGE`.
    pub fn validate(&self, now: u64) -> Result<(), LstError> {
        self.validate_shape()?;
        if self.timestamp > now || now - self.timestamp > MAX_SNAPSHOT_AGE {
            return Err(LstError::InvalidSnapshotTimestamp);
        }
        Ok(())
    }

    /// `ratio · (1 + maxYearlyGrowth · (now − timestamp) / YEAR)`, truncated once; `Δt = 0`
    /// when `now` is before the snapshot. Refuses a snapshot outside its shape bounds.
    pub fn cap(&self, now: u64) -> Result<Wad, LstError> {
        self.validate_shape()?;
        let elapsed = i128::from(now.saturating_sub(self.timestamp));
        let growth_time = self
            .max_yearly_growth
            .raw()
            .checked_mul(elapsed)
            .ok_or(RiskError::Overflow)?;
        let year_wad = i128::from(YEAR)
            .checked_mul(WAD)
            .ok_or(RiskError::Overflow)?;
        let extra = crate::fixed::mul_div_trunc(self.ratio.raw(), growth_time, year_wad)?;
        Ok(self.ratio.add(Wad::from_raw(extra))?)
    }
}

/// Depeg thresholds and the haircut add-on rule of one asset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DepegParams {
    /// Depeg (bps) from which the status is Warning and the add-on applies.
    pub warning_bps: u32,
    /// Depeg (bps) from which the status is Depegged.
    pub depegged_bps: u32,
    /// Add-on per unit of depeg once past the warning threshold.
    pub add_on_slope: Wad,
}

impl DepegParams {
    /// Warning at 100 bps, Depegged at 300 bps, add-on slope 1.
    pub const DEFAULT: DepegParams = DepegParams {
        warning_bps: 100,
        depegged_bps: 300,
        add_on_slope: Wad::ONE,
    };

    /// Checks `0 < warningBps < depeggedBps ≤ 10 000` and `0 ≤ slope ≤ 100`.
    pub fn validate(&self) -> Result<(), LstError> {
        if self.warning_bps == 0 || self.warning_bps >= self.depegged_bps || self.depegged_bps > BPS
        {
            return Err(LstError::InvalidThresholds);
        }
        if self.add_on_slope.is_negative() || self.add_on_slope > MAX_ADD_ON_SLOPE {
            return Err(LstError::InvalidAddOnSlope);
        }
        Ok(())
    }

    /// The status of a depeg of `depeg_bps` (thresholds inclusive).
    pub fn status(&self, depeg_bps: u32) -> DepegStatus {
        if depeg_bps >= self.depegged_bps {
            DepegStatus::Depegged
        } else if depeg_bps >= self.warning_bps {
            DepegStatus::Warning
        } else {
            DepegStatus::Normal
        }
    }

    /// The haircut add-on for a depeg of `depeg_bps`: 0 below the warning threshold, then
    /// `min(1, ⌈slope · depegBps / 10 000⌉)`.
    pub fn add_on(&self, depeg_bps: u32) -> Result<Wad, LstError> {
        if depeg_bps < self.warning_bps {
            return Ok(Wad::ZERO);
        }
        let product = self
            .add_on_slope
            .raw()
            .checked_mul(i128::from(depeg_bps))
            .ok_or(RiskError::Overflow)?;
        Ok(Wad::from_raw(ceil_div(product, i128::from(BPS))?).min(Wad::ONE))
    }
}

/// The depeg status of an asset (the Solidity enum `DepegStatus`, same order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum DepegStatus {
    /// The depeg is below the warning threshold (or no live market to tell).
    Normal = 0,
    /// The depeg is at or above the warning threshold, below the depegged one.
    Warning = 1,
    /// The depeg is at or above the depegged threshold.
    Depegged = 2,
}

/// What the market feed prices (the Solidity enum `MarketQuote`, same order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum MarketQuote {
    /// The token itself, in underlying units (rETH/ETH): `market = price`.
    Asset = 0,
    /// The rebasing token the fundamental rate is denominated in (stETH/ETH for wstETH):
    /// `market = price · capped fundamental`.
    UnderlyingToken = 1,
}

/// The state of the market reading (the Solidity enum `MarketState`, same order).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum MarketState {
    /// A valid reading within its staleness limit was used.
    Live = 0,
    /// The asset has no market feed: the capped fundamental is used.
    NotConfigured = 1,
    /// The reading is older than its staleness limit: the capped fundamental is used.
    Stale = 2,
    /// The feed call failed, or its answer is not positive, or its timestamp is in the
    /// future: the capped fundamental is used.
    Invalid = 3,
}

/// A market reading as the guard sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Market {
    /// A valid, fresh price (18 decimals, > 0) in the feed's quote mode.
    Live(Wad),
    /// A reading that cannot be used, and why (never [`MarketState::Live`]).
    Unavailable(MarketState),
}

/// Classifies a market reading already normalised to 18 decimals: a price ≤ 0 or an
/// `updated_at` after `now` is [`MarketState::Invalid`], one older than `max_age` is
/// [`MarketState::Stale`]; otherwise it is live.
pub fn classify_market(price: Wad, updated_at: u64, now: u64, max_age: u64) -> Market {
    if !price.is_positive() || updated_at > now {
        Market::Unavailable(MarketState::Invalid)
    } else if now - updated_at > max_age {
        Market::Unavailable(MarketState::Stale)
    } else {
        Market::Live(price)
    }
}

/// Validates a fundamental reading already normalised to 18 decimals: it must be positive,
/// not from the future and at most `max_age` old. Returns the rate.
pub fn check_fundamental(
    rate: Wad,
    updated_at: u64,
    now: u64,
    max_age: u64,
) -> Result<Wad, LstError> {
    if !rate.is_positive() {
        return Err(LstError::FundamentalNotPositive);
    }
    if updated_at > now {
        return Err(LstError::FundamentalFromFuture);
    }
    if now - updated_at > max_age {
        return Err(LstError::FundamentalStale);
    }
    Ok(rate)
}

/// Everything the guard says about one asset.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Assessment {
    /// The rate to value the token at: `min(market, capped)`, or `capped` without a live market.
    pub rate: Wad,
    /// The fundamental rate as reported by its source.
    pub fundamental: Wad,
    /// The CAPO cap at `now`.
    pub cap: Wad,
    /// `min(fundamental, cap)`.
    pub capped_fundamental: Wad,
    /// The market rate in underlying units, 0 when the market is not live.
    pub market_rate: Wad,
    /// `⌈max(0, 1 − market / capped) · 10 000⌉`, 0 when the market is not live.
    pub depeg_bps: u32,
    /// The status for `depeg_bps`.
    pub status: DepegStatus,
    /// The haircut add-on for `depeg_bps`, in `[0, 1]`.
    pub haircut_add_on: Wad,
    /// True when the reported fundamental was above the cap (and was capped).
    pub fundamental_capped: bool,
    /// Whether the market reading was used, and if not why.
    pub market_state: MarketState,
}

/// Assesses one asset at `now` from its validated fundamental rate, its snapshot, its market
/// reading (with the feed's quote mode) and its parameters. Never fails for a market reason.
pub fn assess(
    fundamental: Wad,
    snapshot: &CapoSnapshot,
    market: Market,
    quote: MarketQuote,
    params: &DepegParams,
    now: u64,
) -> Result<Assessment, LstError> {
    if !fundamental.is_positive() {
        return Err(LstError::FundamentalNotPositive);
    }
    params.validate()?;
    let cap = snapshot.cap(now)?;
    let capped = fundamental.min(cap);
    let (market_rate, market_state) = match market {
        Market::Live(price) if price.is_positive() => match quote {
            MarketQuote::Asset => (price, MarketState::Live),
            // An absurd price whose product does not fit is an invalid reading, not a revert.
            MarketQuote::UnderlyingToken => match price.mul(capped) {
                Ok(rate) => (rate, MarketState::Live),
                Err(_) => (Wad::ZERO, MarketState::Invalid),
            },
        },
        Market::Live(_) => (Wad::ZERO, MarketState::Invalid),
        Market::Unavailable(MarketState::Live) => (Wad::ZERO, MarketState::Invalid),
        Market::Unavailable(state) => (Wad::ZERO, state),
    };
    let (rate, depeg_bps) = if market_state == MarketState::Live {
        (market_rate.min(capped), depeg_bps(market_rate, capped)?)
    } else {
        (capped, 0)
    };
    Ok(Assessment {
        rate,
        fundamental,
        cap,
        capped_fundamental: capped,
        market_rate,
        depeg_bps,
        status: params.status(depeg_bps),
        haircut_add_on: params.add_on(depeg_bps)?,
        fundamental_capped: fundamental > cap,
        market_state,
    })
}

/// `⌈max(0, 1 − market / reference) · 10 000⌉` for `reference > 0` and `market ≥ 0`
/// (at most 10 000).
pub fn depeg_bps(market: Wad, reference: Wad) -> Result<u32, LstError> {
    if !reference.is_positive() || market.is_negative() {
        return Err(RiskError::NegativeInput.into());
    }
    if market >= reference {
        return Ok(0);
    }
    let gap = reference.raw() - market.raw();
    let scaled = gap
        .checked_mul(i128::from(BPS))
        .ok_or(RiskError::Overflow)?;
    let bps = ceil_div(scaled, reference.raw())?;
    // `gap ≤ reference`, so `bps ≤ 10 000`.
    u32::try_from(bps).map_err(|_| RiskError::Overflow.into())
}

/// `⌈n / d⌉` for `n ≥ 0`, `d > 0`.
fn ceil_div(n: i128, d: i128) -> Result<i128, RiskError> {
    if d <= 0 || n < 0 {
        return Err(RiskError::DivisionByZero);
    }
    let q = n / d;
    Ok(if n % d == 0 { q } else { q + 1 })
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: u64 = 1_656_000_000; // 23 June 2022
    const DAY: u64 = 86_400;

    fn w(s: &str) -> Wad {
        Wad::parse_decimal(s).unwrap()
    }

    fn snapshot(ratio: &str, age: u64, growth: &str) -> CapoSnapshot {
        CapoSnapshot {
            ratio: w(ratio),
            timestamp: NOW - age,
            max_yearly_growth: w(growth),
        }
    }

    #[test]
    fn cap_grows_linearly_from_the_snapshot() {
        let s = snapshot("1.1", 0, "0.1");
        assert_eq!(s.cap(NOW).unwrap(), w("1.1"));
        // Half a year at 10 %/year: 1.1 · 1.05.
        assert_eq!(s.cap(NOW + YEAR / 2).unwrap(), w("1.155"));
        assert_eq!(s.cap(NOW + YEAR).unwrap(), w("1.21"));
        // Two years: linear, not compounded (1.1 · 1.2, not 1.1 · 1.21).
        assert_eq!(s.cap(NOW + 2 * YEAR).unwrap(), w("1.32"));
        // Before the snapshot the cap is the ratio.
        assert_eq!(s.cap(NOW - DAY).unwrap(), w("1.1"));
        // Zero growth pins the cap.
        let flat = snapshot("1.1", 0, "0");
        assert_eq!(flat.cap(NOW + 10 * YEAR).unwrap(), w("1.1"));
    }

    #[test]
    fn cap_truncates_once() {
        // 1 · 0.1 · 1 s / YEAR = 1e17 / 31 536 000 = 3 170 979 198.37… → 3 170 979 198 raw.
        let s = snapshot("1", 0, "0.1");
        assert_eq!(s.cap(NOW + 1).unwrap().raw(), WAD + 3_170_979_198);
        // Three units of ratio: 3e17 / 31 536 000 = 9 512 937 595.1… (three separately
        // truncated thirds would give 9 512 937 594).
        let s = snapshot("3", 0, "0.1");
        assert_eq!(s.cap(NOW + 1).unwrap().raw(), 3 * WAD + 9_512_937_595);
    }

    #[test]
    fn snapshot_bounds() {
        let ok = snapshot("1.05", 30 * DAY, "0.08");
        assert_eq!(ok.validate(NOW), Ok(()));
        for (ratio, expected) in [
            ("0", Err(LstError::InvalidRatio)),
            ("-1", Err(LstError::InvalidRatio)),
            ("0.000000999999999999", Err(LstError::InvalidRatio)),
            ("0.000001", Ok(())),
            ("1000000", Ok(())),
            ("1000000.000000000000000001", Err(LstError::InvalidRatio)),
        ] {
            let s = CapoSnapshot {
                ratio: w(ratio),
                ..ok
            };
            assert_eq!(s.validate(NOW), expected, "ratio {ratio}");
        }
        for (growth, expected) in [
            ("-0.000000000000000001", Err(LstError::InvalidGrowth)),
            ("0", Ok(())),
            ("0.5", Ok(())),
            ("0.500000000000000001", Err(LstError::InvalidGrowth)),
        ] {
            let s = CapoSnapshot {
                max_yearly_growth: w(growth),
                ..ok
            };
            assert_eq!(s.validate(NOW), expected, "growth {growth}");
        }
        for (timestamp, expected) in [
            (NOW + 1, Err(LstError::InvalidSnapshotTimestamp)),
            (NOW, Ok(())),
            (NOW - MAX_SNAPSHOT_AGE, Ok(())),
            (
                NOW - MAX_SNAPSHOT_AGE - 1,
                Err(LstError::InvalidSnapshotTimestamp),
            ),
        ] {
            let s = CapoSnapshot { timestamp, ..ok };
            assert_eq!(s.validate(NOW), expected, "timestamp {timestamp}");
        }
        // The age is only checked when set: an old snapshot still caps (loosely).
        let fresh = CapoSnapshot {
            timestamp: NOW,
            ..ok
        };
        assert_eq!(fresh.cap(NOW + 5 * YEAR).unwrap(), w("1.47"));
        // The shape is checked when capping.
        let bad = CapoSnapshot {
            ratio: Wad::ZERO,
            ..ok
        };
        assert_eq!(bad.cap(NOW), Err(LstError::InvalidRatio));
    }

    #[test]
    fn cap_cannot_overflow_within_bounds() {
        let s = CapoSnapshot {
            ratio: MAX_RATIO,
            timestamp: 0,
            max_yearly_growth: MAX_YEARLY_GROWTH,
        };
        // u64::MAX seconds ≈ 5.8·10¹¹ years at 50 %/year: 10⁶ · 2.9·10¹¹ ≈ 2.9·10¹⁷ — fits.
        let cap = s.cap(u64::MAX).unwrap();
        assert!(cap > Wad::from_int(290_000_000_000_000_000));
    }

    #[test]
    fn param_bounds() {
        assert_eq!(DepegParams::DEFAULT.validate(), Ok(()));
        let p = DepegParams::DEFAULT;
        for (warning, depegged, expected) in [
            (0, 300, Err(LstError::InvalidThresholds)),
            (1, 2, Ok(())),
            (300, 300, Err(LstError::InvalidThresholds)),
            (301, 300, Err(LstError::InvalidThresholds)),
            (9_999, 10_000, Ok(())),
            (100, 10_001, Err(LstError::InvalidThresholds)),
        ] {
            let q = DepegParams {
                warning_bps: warning,
                depegged_bps: depegged,
                ..p
            };
            assert_eq!(q.validate(), expected, "{warning}/{depegged}");
        }
        for (slope, expected) in [
            ("-0.000000000000000001", Err(LstError::InvalidAddOnSlope)),
            ("0", Ok(())),
            ("100", Ok(())),
            ("100.000000000000000001", Err(LstError::InvalidAddOnSlope)),
        ] {
            let q = DepegParams {
                add_on_slope: w(slope),
                ..p
            };
            assert_eq!(q.validate(), expected, "slope {slope}");
        }
    }

    #[test]
    fn status_thresholds_are_inclusive() {
        let p = DepegParams::DEFAULT;
        assert_eq!(p.status(0), DepegStatus::Normal);
        assert_eq!(p.status(99), DepegStatus::Normal);
        assert_eq!(p.status(100), DepegStatus::Warning);
        assert_eq!(p.status(299), DepegStatus::Warning);
        assert_eq!(p.status(300), DepegStatus::Depegged);
        assert_eq!(p.status(10_000), DepegStatus::Depegged);
    }

    #[test]
    fn add_on_rule() {
        let p = DepegParams::DEFAULT;
        assert_eq!(p.add_on(0).unwrap(), Wad::ZERO);
        assert_eq!(p.add_on(99).unwrap(), Wad::ZERO);
        assert_eq!(p.add_on(100).unwrap(), w("0.01"));
        assert_eq!(p.add_on(650).unwrap(), w("0.065"));
        let steep = DepegParams {
            add_on_slope: w("2.5"),
            ..p
        };
        assert_eq!(steep.add_on(650).unwrap(), w("0.1625"));
        assert_eq!(steep.add_on(4_000).unwrap(), Wad::ONE);
        assert_eq!(steep.add_on(10_000).unwrap(), Wad::ONE, "capped at 1");
        // Rounded up: slope 1e-18 · 1 bps = 1e-22 → 1e-18.
        let tiny = DepegParams {
            warning_bps: 1,
            depegged_bps: 2,
            add_on_slope: Wad::from_raw(1),
        };
        assert_eq!(tiny.add_on(1).unwrap(), Wad::from_raw(1));
        let off = DepegParams {
            add_on_slope: Wad::ZERO,
            ..p
        };
        assert_eq!(off.add_on(10_000).unwrap(), Wad::ZERO);
        // Monotone non-decreasing over the whole range.
        let mut last = Wad::ZERO;
        for bps in 0..=BPS {
            let a = steep.add_on(bps).unwrap();
            assert!(a >= last && a <= Wad::ONE, "bps {bps}");
            last = a;
        }
    }

    #[test]
    fn depeg_rounds_up() {
        assert_eq!(depeg_bps(w("0.935"), w("1")).unwrap(), 650);
        assert_eq!(depeg_bps(w("1"), w("1")).unwrap(), 0);
        assert_eq!(depeg_bps(w("1.2"), w("1")).unwrap(), 0);
        assert_eq!(depeg_bps(Wad::ZERO, w("1")).unwrap(), 10_000);
        // 1 − 0.99999999 = 1e-8 → 1e-4 bps → rounds up to 1.
        assert_eq!(depeg_bps(w("0.99999999"), w("1")).unwrap(), 1);
        // 1 − 2/3 = 3333.33… bps → 3334.
        assert_eq!(depeg_bps(w("2"), w("3")).unwrap(), 3_334);
        assert!(depeg_bps(w("1"), Wad::ZERO).is_err());
        assert!(depeg_bps(w("-1"), w("1")).is_err());
    }

    #[test]
    fn classify_market_rules() {
        let p = w("0.999");
        assert_eq!(classify_market(p, NOW, NOW, 3_600), Market::Live(p));
        assert_eq!(classify_market(p, NOW - 3_600, NOW, 3_600), Market::Live(p));
        assert_eq!(
            classify_market(p, NOW - 3_601, NOW, 3_600),
            Market::Unavailable(MarketState::Stale)
        );
        assert_eq!(
            classify_market(p, NOW + 1, NOW, 3_600),
            Market::Unavailable(MarketState::Invalid)
        );
        assert_eq!(
            classify_market(Wad::ZERO, NOW, NOW, 3_600),
            Market::Unavailable(MarketState::Invalid)
        );
        assert_eq!(
            classify_market(w("-1"), NOW, NOW, 3_600),
            Market::Unavailable(MarketState::Invalid)
        );
    }

    #[test]
    fn max_age_bounds() {
        assert_eq!(validate_max_age(0), Err(LstError::InvalidMaxAge));
        assert_eq!(validate_max_age(1), Ok(()));
        assert_eq!(validate_max_age(MAX_FEED_AGE), Ok(()));
        assert_eq!(
            validate_max_age(MAX_FEED_AGE + 1),
            Err(LstError::InvalidMaxAge)
        );
    }

    #[test]
    fn check_fundamental_rules() {
        let r = w("1.1");
        assert_eq!(check_fundamental(r, NOW - DAY, NOW, DAY), Ok(r));
        assert_eq!(
            check_fundamental(r, NOW - DAY - 1, NOW, DAY),
            Err(LstError::FundamentalStale)
        );
        assert_eq!(
            check_fundamental(r, NOW + 1, NOW, DAY),
            Err(LstError::FundamentalFromFuture)
        );
        assert_eq!(
            check_fundamental(Wad::ZERO, NOW, NOW, DAY),
            Err(LstError::FundamentalNotPositive)
        );
        assert_eq!(
            check_fundamental(w("-1.1"), NOW, NOW, DAY),
            Err(LstError::FundamentalNotPositive)
        );
    }

    fn run(fundamental: &str, s: &CapoSnapshot, market: Market, quote: MarketQuote) -> Assessment {
        assess(w(fundamental), s, market, quote, &DepegParams::DEFAULT, NOW).unwrap()
    }

    #[test]
    fn steth_june_2022_replay() {
        // stETH traded at 0.935 ETH while its fundamental rate (stETH redeems 1:1 for staked
        // ETH) was 1.0.
        let s = snapshot("1", 7 * DAY, "0.1");
        let a = run("1", &s, Market::Live(w("0.935")), MarketQuote::Asset);
        assert_eq!(a.status, DepegStatus::Depegged);
        assert_eq!(a.rate, w("0.935"), "the market rate is in use");
        assert_eq!(a.market_rate, w("0.935"));
        assert_eq!(a.capped_fundamental, w("1"));
        assert_eq!(a.depeg_bps, 650);
        assert_eq!(a.haircut_add_on, w("0.065"));
        assert_eq!(a.market_state, MarketState::Live);
        assert!(!a.fundamental_capped);
    }

    #[test]
    fn wsteth_composite_replay() {
        // wstETH: the fundamental is stETH per wstETH, the market feed is stETH/ETH.
        let s = snapshot("1.1", 7 * DAY, "0.1");
        let a = run(
            "1.1",
            &s,
            Market::Live(w("0.935")),
            MarketQuote::UnderlyingToken,
        );
        assert_eq!(a.market_rate, w("1.0285"));
        assert_eq!(a.rate, w("1.0285"));
        assert_eq!(a.depeg_bps, 650);
        assert_eq!(a.status, DepegStatus::Depegged);
        // A fundamental whose product with 0.935 truncates: the depeg rounds up to 651.
        let s = snapshot("1.0723", 7 * DAY, "0.1");
        let f = "1.072345678901234567";
        let a = run(
            f,
            &s,
            Market::Live(w("0.935")),
            MarketQuote::UnderlyingToken,
        );
        // 0.935 · 1.072345678901234567 = 1.002643209772654320145 → truncated.
        assert_eq!(a.market_rate, w("1.00264320977265432"));
        assert_eq!(a.depeg_bps, 651);
        assert_eq!(a.status, DepegStatus::Depegged);
        assert_eq!(a.rate, a.market_rate);
    }

    #[test]
    fn inflated_fundamental_is_capped() {
        // Snapshot 1.1 thirty days ago, 10 %/year: cap = 1.1 · (1 + 0.1 · 30/365).
        let s = snapshot("1.1", 30 * DAY, "0.1");
        let cap = w("1.1")
            .add(w("1.1").mul_div(w("3"), w("365")).unwrap())
            .unwrap();
        assert_eq!(s.cap(NOW).unwrap(), cap);
        // A reported 2.0 (a manipulated or buggy source) is not trusted.
        let a = run(
            "2",
            &s,
            Market::Unavailable(MarketState::NotConfigured),
            MarketQuote::Asset,
        );
        assert!(a.fundamental_capped);
        assert_eq!(a.fundamental, w("2"));
        assert_eq!(a.cap, cap);
        assert_eq!(a.capped_fundamental, cap);
        assert_eq!(a.rate, cap);
        // With a market quoting the underlying token, the market rate uses the capped value.
        let a = run("2", &s, Market::Live(w("1")), MarketQuote::UnderlyingToken);
        assert_eq!(a.market_rate, cap);
        assert_eq!(a.rate, cap);
        assert_eq!(a.depeg_bps, 0);
        // A market above the capped fundamental does not lift the rate.
        let a = run("2", &s, Market::Live(w("1.5")), MarketQuote::Asset);
        assert_eq!(a.rate, cap);
        assert_eq!(a.status, DepegStatus::Normal);
        // At or below the cap nothing is flagged.
        let a = run("1.1", &s, Market::Live(w("1.1")), MarketQuote::Asset);
        assert!(!a.fundamental_capped);
        assert_eq!(a.rate, w("1.1"));
    }

    #[test]
    fn unavailable_market_degrades_to_the_capped_fundamental() {
        let s = snapshot("1", DAY, "0.05");
        for state in [
            MarketState::NotConfigured,
            MarketState::Stale,
            MarketState::Invalid,
        ] {
            let a = run("1", &s, Market::Unavailable(state), MarketQuote::Asset);
            assert_eq!(a.market_state, state);
            assert_eq!(a.rate, w("1"));
            assert_eq!(a.market_rate, Wad::ZERO);
            assert_eq!(a.depeg_bps, 0);
            assert_eq!(a.status, DepegStatus::Normal);
            assert_eq!(a.haircut_add_on, Wad::ZERO);
        }
        // A "live" non-positive price (not classified by the caller) is treated as invalid.
        let a = run("1", &s, Market::Live(Wad::ZERO), MarketQuote::Asset);
        assert_eq!(a.market_state, MarketState::Invalid);
        assert_eq!(a.rate, w("1"));
        let a = run(
            "1",
            &s,
            Market::Unavailable(MarketState::Live),
            MarketQuote::Asset,
        );
        assert_eq!(a.market_state, MarketState::Invalid);
        // An absurd price whose composite overflows is an invalid reading, not an error.
        let two = snapshot("2", DAY, "0.05");
        let a = run(
            "2",
            &two,
            Market::Live(Wad::MAX),
            MarketQuote::UnderlyingToken,
        );
        assert_eq!(a.market_state, MarketState::Invalid);
        assert_eq!(a.market_rate, Wad::ZERO);
        assert_eq!(a.rate, w("2"));
        assert_eq!(a.status, DepegStatus::Normal);
    }

    #[test]
    fn status_boundaries_through_assess() {
        let s = snapshot("1", DAY, "0.05");
        for (market, bps, status) in [
            ("0.9901", 99, DepegStatus::Normal),
            ("0.99", 100, DepegStatus::Warning),
            ("0.98999", 101, DepegStatus::Warning),
            ("0.9701", 299, DepegStatus::Warning),
            ("0.97", 300, DepegStatus::Depegged),
        ] {
            let a = run("1", &s, Market::Live(w(market)), MarketQuote::Asset);
            assert_eq!((a.depeg_bps, a.status), (bps, status), "market {market}");
            assert_eq!(a.rate, w(market));
        }
    }

    #[test]
    fn assess_refuses_bad_inputs() {
        let s = snapshot("1", DAY, "0.05");
        let p = DepegParams::DEFAULT;
        let m = Market::Live(w("1"));
        assert_eq!(
            assess(Wad::ZERO, &s, m, MarketQuote::Asset, &p, NOW),
            Err(LstError::FundamentalNotPositive)
        );
        let bad = DepegParams {
            warning_bps: 300,
            ..p
        };
        assert_eq!(
            assess(w("1"), &s, m, MarketQuote::Asset, &bad, NOW),
            Err(LstError::InvalidThresholds)
        );
        let bad = CapoSnapshot {
            max_yearly_growth: w("0.6"),
            ..s
        };
        assert_eq!(
            assess(w("1"), &bad, m, MarketQuote::Asset, &p, NOW),
            Err(LstError::InvalidGrowth)
        );
    }
}
