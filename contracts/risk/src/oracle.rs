//! Oracle data rules: what a price, a sequencer status, an expiry's market data and a
//! settlement round must satisfy, and how much confidence a reading deserves.
//!
//! Pure functions over plain integers (`no_std`, no floats), shared bit-for-bit by the oracle
//! adapter contract, the vault, the keeper and the CLI. Times are unix seconds; prices,
//! deviations, vols, rates and confidences are [`Wad`]s.
//!
//! ## Spot feeds
//! [`scale_to_wad`] normalises a feed answer to 18 decimals; [`validate_feed`] requires
//! `answer > 0`, `updatedAt ≤ now` and `now − updatedAt ≤ stalenessLimit`, in that order.
//!
//! ## Confidence model
//! A reading's confidence `c ∈ [0, 1]` is the product of two factors, each in `[floor, 1]`
//! for the asset's configured `floor ∈ [0, 1]` (so `c ≥ floor²`):
//!
//! * **age** — linear in the age `t = now − updatedAt` over the staleness limit `L`:
//!   `c_age = floor + (1 − floor)·(L − t)/L`, i.e. 1 for fresh data and `floor` at the limit
//!   ([`age_confidence`]);
//! * **deviation** — with the primary price `p`, the secondary `s` and the relative
//!   deviation `d = |p − s|/p`, for the configured maximum deviation `D > 0`:
//!   `c_dev = 1` while `d ≤ D`, then `max(floor, 1 − (d − D)/D)`, i.e. linear from 1 at `D`
//!   down to 0 at `2D`, never below `floor` ([`deviation_confidence`]). Without a secondary,
//!   `c_dev = 1`.
//!
//! Both factors are monotone (non-increasing in `t` and in `d`), every step truncates toward
//! zero (a factor is never rounded up, except `d`, which may be 1 wei low), and no input
//! within the configured bounds can make them fail.
//!
//! ## Sequencer
//! [`sequencer_status`] follows Chainlink's L2 uptime feed: answer 0 = up, 1 = down,
//! `startedAt` = time of the last status change. Up but changed at most `gracePeriod` seconds
//! ago is [`SequencerStatus::GracePeriod`] (default [`DEFAULT_GRACE_PERIOD`] = 3600 s).
//!
//! ## Expiry data
//! Forward, rate and a raw-SVI surface per (underlying, expiry), pushed by feeders and checked
//! by [`validate_expiry_data`] against [`ExpiryBounds`]; reads check the heartbeat with
//! [`expiry_data_confidence`].
//!
//! ## Settlement
//! [`verify_settlement_round`]: the settlement price of an expiry comes from the first feed
//! round updated at or after the expiry, proven by its predecessor being before it.

use crate::math::sqrt::{hypot, sqrt};
use crate::math::SviParams;
use crate::{RiskError, Wad, WAD};

/// Why oracle data or an oracle parameter was refused. Each variant maps to the Solidity
/// custom error of the same name ([`OracleError::name`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OracleError {
    /// The value does not fit an 18-decimal wad (`i128`).
    WadOverflow,
    /// A feed with more than [`MAX_FEED_DECIMALS`] decimals.
    UnsupportedDecimals,
    /// A feed answered zero or a negative price.
    NonPositiveAnswer,
    /// A timestamp after the current block's.
    FutureTimestamp,
    /// Data older than its staleness limit (spot) or heartbeat (expiry data).
    StaleData,
    /// Pushed data older than the data already stored.
    OutdatedData,
    /// Expiry data pushed for an expiry that is not in the future.
    ExpiryNotInFuture,
    /// A confidence outside `[0, 1]`.
    ConfidenceOutOfRange,
    /// A forward that is not positive or lies outside the band around spot.
    ForwardOutOfBand,
    /// A rate whose magnitude exceeds the bound.
    RateOutOfBounds,
    /// SVI parameters that are not a valid raw-SVI slice (`b < 0`, `|ρ| ≥ 1`, `σ ≤ 0`,
    /// reference forward or time ≤ 0, or negative minimum total variance).
    InvalidSviParameters,
    /// The at-the-money SVI vol lies outside the vol range.
    VolOutOfBounds,
    /// Settlement asked for before the expiry.
    SettlementBeforeExpiry,
    /// The named round was updated before the expiry.
    RoundBeforeExpiry,
    /// The named round's predecessor was already at or after the expiry.
    NotFirstRoundAfterExpiry,
    /// The named round opens its feed phase, so its predecessor cannot be identified.
    RoundOpensPhase,
    /// A configuration parameter outside its documented bounds.
    InvalidOracleParameter,
}

impl OracleError {
    /// The variant's name, identical to the Solidity custom error it maps to.
    pub const fn name(self) -> &'static str {
        match self {
            OracleError::WadOverflow => "WadOverflow",
            OracleError::UnsupportedDecimals => "UnsupportedDecimals",
            OracleError::NonPositiveAnswer => "NonPositiveAnswer",
            OracleError::FutureTimestamp => "FutureTimestamp",
            OracleError::StaleData => "StaleData",
            OracleError::OutdatedData => "OutdatedData",
            OracleError::ExpiryNotInFuture => "ExpiryNotInFuture",
            OracleError::ConfidenceOutOfRange => "ConfidenceOutOfRange",
            OracleError::ForwardOutOfBand => "ForwardOutOfBand",
            OracleError::RateOutOfBounds => "RateOutOfBounds",
            OracleError::InvalidSviParameters => "InvalidSviParameters",
            OracleError::VolOutOfBounds => "VolOutOfBounds",
            OracleError::SettlementBeforeExpiry => "SettlementBeforeExpiry",
            OracleError::RoundBeforeExpiry => "RoundBeforeExpiry",
            OracleError::NotFirstRoundAfterExpiry => "NotFirstRoundAfterExpiry",
            OracleError::RoundOpensPhase => "RoundOpensPhase",
            OracleError::InvalidOracleParameter => "InvalidOracleParameter",
        }
    }
}

/// Fixed-point overflow inside an oracle rule (only reachable with inputs beyond the bounds).
impl From<RiskError> for OracleError {
    fn from(_: RiskError) -> Self {
        OracleError::WadOverflow
    }
}

/// The most decimals a feed may have (`10³⁶` still fits an `i128`).
pub const MAX_FEED_DECIMALS: u8 = 36;
/// The default L2 sequencer grace period: one hour.
pub const DEFAULT_GRACE_PERIOD: u64 = 3600;
/// The shortest grace period the owner may set (5 minutes).
pub const MIN_GRACE_PERIOD: u64 = 300;
/// The longest grace period the owner may set (1 day).
pub const MAX_GRACE_PERIOD: u64 = 86_400;
/// The longest staleness limit or heartbeat (7 days).
pub const MAX_STALENESS: u64 = 7 * 86_400;
/// The highest vol bound (1000 %).
pub const MAX_VOL_BOUND: Wad = Wad::from_int(10);
/// The highest rate bound (100 %).
pub const MAX_RATE_BOUND: Wad = Wad::ONE;

/// `10^n` for `n ≤ 38`.
const fn pow10(n: u8) -> i128 {
    let mut x: i128 = 1;
    let mut i = 0;
    while i < n {
        x *= 10;
        i += 1;
    }
    x
}
const _: () = assert!(pow10(18) == WAD);

/// A feed value with `decimals` decimals as a wad: multiplied by `10^(18−decimals)` (checked)
/// or divided by `10^(decimals−18)` (truncating toward zero, like the EVM).
pub fn scale_to_wad(value: i128, decimals: u8) -> Result<Wad, OracleError> {
    if decimals > MAX_FEED_DECIMALS {
        return Err(OracleError::UnsupportedDecimals);
    }
    let raw = if decimals <= 18 {
        value
            .checked_mul(pow10(18 - decimals))
            .ok_or(OracleError::WadOverflow)?
    } else {
        value / pow10(decimals - 18)
    };
    Ok(Wad::from_raw(raw))
}

/// Checks a normalised feed reading and returns its age `now − updated_at`:
/// [`OracleError::NonPositiveAnswer`] for `price ≤ 0`, then
/// [`OracleError::FutureTimestamp`] for `updated_at > now`, then [`OracleError::StaleData`]
/// for an age above `staleness_limit` (an age equal to the limit is valid).
pub fn validate_feed(
    price: Wad,
    updated_at: u64,
    now: u64,
    staleness_limit: u64,
) -> Result<u64, OracleError> {
    if !price.is_positive() {
        return Err(OracleError::NonPositiveAnswer);
    }
    let age = now
        .checked_sub(updated_at)
        .ok_or(OracleError::FutureTimestamp)?;
    if age > staleness_limit {
        return Err(OracleError::StaleData);
    }
    Ok(age)
}

/// Checks a confidence floor or any other value that must lie in `[0, 1]`.
fn unit(x: Wad) -> bool {
    !x.is_negative() && x <= Wad::ONE
}

/// The age factor `floor + (1 − floor)·(limit − age)/limit`, clamped to `[floor, 1]`
/// (`age ≥ limit` gives `floor`; `limit = 0` gives `floor` too). Requires `floor ∈ [0, 1]`.
pub fn age_confidence(age: u64, limit: u64, floor: Wad) -> Wad {
    let remaining = limit.saturating_sub(age);
    if remaining == 0 {
        return floor;
    }
    // (1 − floor)·remaining/limit ≤ 1 − floor: no overflow for floor ∈ [0, 1].
    let span = Wad::ONE.sub(floor).unwrap_or(Wad::ZERO);
    let share = span
        .mul_div(
            Wad::from_raw(i128::from(remaining)),
            Wad::from_raw(i128::from(limit)),
        )
        .unwrap_or(Wad::ZERO);
    floor.add(share).unwrap_or(floor)
}

/// The deviation factor for primary `p > 0`, secondary `s`, maximum deviation `max_dev > 0`:
/// 1 while `|p − s|/p ≤ max_dev`, then `max(floor, (2·max_dev − d)/max_dev)`.
pub fn deviation_confidence(
    primary: Wad,
    secondary: Wad,
    max_dev: Wad,
    floor: Wad,
) -> Result<Wad, OracleError> {
    let d = relative_deviation(primary, secondary)?;
    if d <= max_dev {
        return Ok(Wad::ONE);
    }
    // 2·max_dev − d ≤ max_dev: the quotient is below 1.
    let left = max_dev.mul_int(2)?.sub(d)?;
    if !left.is_positive() {
        return Ok(floor);
    }
    Ok(left.div(max_dev)?.max(floor))
}

/// `|p − s| / p` for `p > 0`.
pub fn relative_deviation(primary: Wad, secondary: Wad) -> Result<Wad, OracleError> {
    if !primary.is_positive() {
        return Err(OracleError::NonPositiveAnswer);
    }
    Ok(primary.sub(secondary)?.abs()?.div(primary)?)
}

/// Per-asset spot-feed parameters (the owner's configuration, minus the feed addresses).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FeedParams {
    /// Largest accepted age of the primary's answer, seconds (from the feed's heartbeat).
    pub staleness_limit: u64,
    /// Largest accepted age of the secondary's answer, seconds (unused without secondary).
    pub secondary_staleness_limit: u64,
    /// Relative primary/secondary deviation that still gives full confidence (`D`).
    pub max_deviation: Wad,
    /// The lowest value of each confidence factor.
    pub confidence_floor: Wad,
}

impl FeedParams {
    /// Bounds: both staleness limits in `(0, 7 days]` (the secondary's only when `has_secondary`),
    /// `0 < D ≤ 1`, `floor ∈ [0, 1]`; otherwise [`OracleError::InvalidOracleParameter`].
    pub fn validate(&self, has_secondary: bool) -> Result<(), OracleError> {
        let limit_ok = |l: u64| l > 0 && l <= MAX_STALENESS;
        let ok = limit_ok(self.staleness_limit)
            && (!has_secondary || limit_ok(self.secondary_staleness_limit))
            && self.max_deviation.is_positive()
            && self.max_deviation <= Wad::ONE
            && unit(self.confidence_floor);
        ok.then_some(()).ok_or(OracleError::InvalidOracleParameter)
    }
}

/// What a secondary feed contributed to a reading.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Secondary {
    /// No secondary feed is configured.
    None,
    /// The secondary answered a valid, fresh price.
    Price(Wad),
    /// A secondary is configured but its answer is unusable (reverted, malformed, not
    /// positive, future or stale): the cross-check is impossible, so the deviation factor
    /// is the floor.
    Unavailable,
}

/// The confidence of a primary reading of age `age` (already validated), cross-checked
/// against `secondary`: `age_confidence × deviation factor` (see the module docs).
pub fn spot_confidence(
    primary: Wad,
    age: u64,
    secondary: Secondary,
    params: &FeedParams,
) -> Result<Wad, OracleError> {
    let floor = params.confidence_floor;
    let by_age = age_confidence(age, params.staleness_limit, floor);
    let by_deviation = match secondary {
        Secondary::None => Wad::ONE,
        Secondary::Price(s) => deviation_confidence(primary, s, params.max_deviation, floor)?,
        Secondary::Unavailable => floor,
    };
    Ok(by_age.mul(by_deviation)?)
}

/// The L2 sequencer's state as the vault needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum SequencerStatus {
    /// Up for longer than the grace period (or no uptime feed is configured).
    Up = 0,
    /// Down (or its uptime feed cannot vouch that it is up).
    Down = 1,
    /// Up again, but for at most the grace period: risk-increasing actions wait.
    GracePeriod = 2,
}

/// The status from a Chainlink L2 uptime-feed round: `answer` 0 = up, 1 = down (any other
/// answer, and `started_at = 0` — a round not yet initialised — count as down); up with
/// `now − started_at ≤ grace_period` (or `started_at` in the future) is the grace period.
pub fn sequencer_status(
    answer: i128,
    started_at: u64,
    now: u64,
    grace_period: u64,
) -> SequencerStatus {
    if answer != 0 || started_at == 0 {
        return SequencerStatus::Down;
    }
    match now.checked_sub(started_at) {
        Some(up_for) if up_for > grace_period => SequencerStatus::Up,
        _ => SequencerStatus::GracePeriod,
    }
}

/// Checks a grace period against `[MIN_GRACE_PERIOD, MAX_GRACE_PERIOD]`.
pub fn validate_grace_period(grace_period: u64) -> Result<(), OracleError> {
    (MIN_GRACE_PERIOD..=MAX_GRACE_PERIOD)
        .contains(&grace_period)
        .then_some(())
        .ok_or(OracleError::InvalidOracleParameter)
}

/// Bounds on the expiry data feeders push for one underlying.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExpiryBounds {
    /// Lowest accepted at-the-money vol.
    pub min_vol: Wad,
    /// Highest accepted at-the-money vol.
    pub max_vol: Wad,
    /// Accepted relative distance of the forward from spot: `|F − S| ≤ band·S`.
    pub forward_band: Wad,
    /// Largest accepted `|rate|`.
    pub max_rate: Wad,
    /// Largest age of pushed data, at push and at read, seconds.
    pub heartbeat: u64,
    /// The lowest value of the age factor applied to the pushed confidence at read.
    pub confidence_floor: Wad,
}

impl ExpiryBounds {
    /// Bounds on the bounds: `0 ≤ min_vol < max_vol ≤ 10`, `0 < band ≤ 1`,
    /// `0 ≤ max_rate ≤ 1`, `0 < heartbeat ≤ 7 days`, `confidence_floor ∈ [0, 1]`; otherwise
    /// [`OracleError::InvalidOracleParameter`].
    pub fn validate(&self) -> Result<(), OracleError> {
        let ok = !self.min_vol.is_negative()
            && self.min_vol < self.max_vol
            && self.max_vol <= MAX_VOL_BOUND
            && self.forward_band.is_positive()
            && self.forward_band <= Wad::ONE
            && !self.max_rate.is_negative()
            && self.max_rate <= MAX_RATE_BOUND
            && self.heartbeat > 0
            && self.heartbeat <= MAX_STALENESS
            && unit(self.confidence_floor);
        ok.then_some(()).ok_or(OracleError::InvalidOracleParameter)
    }
}

/// One (underlying, expiry)'s market data as a feeder pushes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct ExpiryData {
    /// Forward price of the underlying for the expiry.
    pub forward: Wad,
    /// Continuously compounded annual rate to the expiry.
    pub rate: Wad,
    /// Raw-SVI slice (with its own reference forward and time to expiry).
    pub svi: SviParams,
    /// The feeder's confidence in `[0, 1]`.
    pub confidence: Wad,
    /// Observation time of the data.
    pub timestamp: u64,
}

/// Checks pushed expiry data, in this order: timestamp not in the future
/// ([`OracleError::FutureTimestamp`]), not older than the heartbeat ([`OracleError::StaleData`])
/// nor than the stored data's `previous_timestamp` ([`OracleError::OutdatedData`]); the expiry
/// after `now` ([`OracleError::ExpiryNotInFuture`]); confidence in `[0, 1]`; `F > 0` and
/// `|F − spot| ≤ band·spot` ([`OracleError::ForwardOutOfBand`]); `|rate| ≤ max_rate`; a valid
/// raw-SVI slice ([`OracleError::InvalidSviParameters`]: `b ≥ 0`, `|ρ| < 1`, `σ > 0`,
/// reference forward and time > 0, `a + b·σ·√(1 − ρ²) ≥ 0`, the minimum total variance); and
/// the at-the-money vol `√(w(0)/τ)`, `w(0) = a + b·(√(m² + σ²) − ρ·m)`, within
/// `[min_vol, max_vol]` ([`OracleError::VolOutOfBounds`]).
pub fn validate_expiry_data(
    data: &ExpiryData,
    expiry: u64,
    spot: Wad,
    now: u64,
    previous_timestamp: u64,
    bounds: &ExpiryBounds,
) -> Result<(), OracleError> {
    let age = now
        .checked_sub(data.timestamp)
        .ok_or(OracleError::FutureTimestamp)?;
    if age > bounds.heartbeat {
        return Err(OracleError::StaleData);
    }
    if data.timestamp < previous_timestamp {
        return Err(OracleError::OutdatedData);
    }
    if expiry <= now {
        return Err(OracleError::ExpiryNotInFuture);
    }
    if !unit(data.confidence) {
        return Err(OracleError::ConfidenceOutOfRange);
    }
    if !spot.is_positive() {
        return Err(OracleError::NonPositiveAnswer);
    }
    let band = bounds.forward_band.mul(spot)?;
    if !data.forward.is_positive() || data.forward.sub(spot)?.abs()? > band {
        return Err(OracleError::ForwardOutOfBand);
    }
    if data.rate.abs()? > bounds.max_rate {
        return Err(OracleError::RateOutOfBounds);
    }
    let w0 = svi_atm_total_variance(&data.svi)?;
    // min_vol² · τ ≤ w(0) ≤ max_vol² · τ, compared without a square root.
    let tau = data.svi.tau;
    let low = bounds.min_vol.mul(bounds.min_vol)?.mul(tau)?;
    let high = bounds.max_vol.mul(bounds.max_vol)?.mul(tau)?;
    if w0 < low || w0 > high {
        return Err(OracleError::VolOutOfBounds);
    }
    Ok(())
}

/// The at-the-money (`k = 0`) total variance `w(0) = a + b·(√(m² + σ²) − ρ·m)` of a raw-SVI
/// slice, after checking that the slice is valid (see [`validate_expiry_data`]).
pub fn svi_atm_total_variance(svi: &SviParams) -> Result<Wad, OracleError> {
    let invalid = OracleError::InvalidSviParameters;
    if svi.b.is_negative()
        || svi.rho.abs()? >= Wad::ONE
        || !svi.sigma.is_positive()
        || !svi.forward.is_positive()
        || !svi.tau.is_positive()
    {
        return Err(invalid);
    }
    // Minimum of w over k: a + b·σ·√(1 − ρ²).
    let root = sqrt(Wad::ONE.sub(svi.rho.mul(svi.rho)?)?)?;
    if svi.a.add(svi.b.mul(svi.sigma)?.mul(root)?)?.is_negative() {
        return Err(invalid);
    }
    let wing = hypot(svi.m, svi.sigma)?.sub(svi.rho.mul(svi.m)?)?;
    Ok(svi.a.add(svi.b.mul(wing)?)?)
}

/// The confidence of stored expiry data read at `now`: the pushed confidence times the age
/// factor over the heartbeat ([`age_confidence`] with `floor`); [`OracleError::StaleData`]
/// when older than the heartbeat, [`OracleError::FutureTimestamp`] when in the future.
pub fn expiry_data_confidence(
    pushed: Wad,
    timestamp: u64,
    now: u64,
    heartbeat: u64,
    floor: Wad,
) -> Result<Wad, OracleError> {
    let age = now
        .checked_sub(timestamp)
        .ok_or(OracleError::FutureTimestamp)?;
    if age > heartbeat {
        return Err(OracleError::StaleData);
    }
    Ok(pushed.mul(age_confidence(age, heartbeat, floor))?)
}

/// The checks on a candidate settlement round alone, before its predecessor is known: the
/// expiry has passed ([`OracleError::SettlementBeforeExpiry`]); the round is not in the
/// future ([`OracleError::FutureTimestamp`]) and was updated at or after the expiry
/// ([`OracleError::RoundBeforeExpiry`]).
pub fn check_settlement_round(
    expiry: u64,
    now: u64,
    round_updated_at: u64,
) -> Result<(), OracleError> {
    if now < expiry {
        return Err(OracleError::SettlementBeforeExpiry);
    }
    if round_updated_at > now {
        return Err(OracleError::FutureTimestamp);
    }
    if round_updated_at < expiry {
        return Err(OracleError::RoundBeforeExpiry);
    }
    Ok(())
}

/// Checks that a feed round fixes the settlement of `expiry`: [`check_settlement_round`],
/// then its predecessor's `updatedAt` (`None` when the round opens its feed phase:
/// [`OracleError::RoundOpensPhase`]) is before the expiry
/// ([`OracleError::NotFirstRoundAfterExpiry`]).
pub fn verify_settlement_round(
    expiry: u64,
    now: u64,
    round_updated_at: u64,
    previous_updated_at: Option<u64>,
) -> Result<(), OracleError> {
    check_settlement_round(expiry, now, round_updated_at)?;
    match previous_updated_at {
        None => Err(OracleError::RoundOpensPhase),
        Some(t) if t >= expiry => Err(OracleError::NotFirstRoundAfterExpiry),
        Some(_) => Ok(()),
    }
}

/// The round id before `round_id` in the same Chainlink phase (`phaseId << 64 | aggregator
/// round`), or `None` when `round_id` is the first round of its phase (aggregator round ≤ 1).
pub fn previous_round_id(round_id: u128) -> Option<u128> {
    let aggregator_round = round_id & u128::from(u64::MAX);
    (aggregator_round > 1).then(|| round_id - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(text: &str) -> Wad {
        Wad::parse_decimal(text).unwrap()
    }

    const NOW: u64 = 1_750_000_000;

    #[test]
    fn scaling_feed_answers() {
        assert_eq!(scale_to_wad(301_234_567_891, 8), Ok(w("3012.3456789100")));
        assert_eq!(scale_to_wad(WAD, 18), Ok(Wad::ONE));
        assert_eq!(scale_to_wad(5, 0), Ok(Wad::from_int(5)));
        assert_eq!(scale_to_wad(pow10(36), 36), Ok(Wad::ONE));
        assert_eq!(scale_to_wad(-1_999_999, 24), Ok(Wad::from_raw(-1)));
        assert_eq!(scale_to_wad(1_999_999, 24), Ok(Wad::from_raw(1)));
        assert_eq!(scale_to_wad(1, 37), Err(OracleError::UnsupportedDecimals));
        assert_eq!(
            scale_to_wad(i128::MAX / 10 + 1, 17),
            Err(OracleError::WadOverflow)
        );
        assert_eq!(scale_to_wad(i128::MIN, 0), Err(OracleError::WadOverflow));
    }

    #[test]
    fn feed_validation_order_and_edges() {
        let p = w("2000");
        assert_eq!(validate_feed(p, NOW - 100, NOW, 3600), Ok(100));
        assert_eq!(validate_feed(p, NOW - 3600, NOW, 3600), Ok(3600));
        assert_eq!(validate_feed(p, NOW, NOW, 3600), Ok(0));
        assert_eq!(
            validate_feed(p, NOW - 3601, NOW, 3600),
            Err(OracleError::StaleData)
        );
        assert_eq!(
            validate_feed(p, NOW + 1, NOW, 3600),
            Err(OracleError::FutureTimestamp)
        );
        assert_eq!(
            validate_feed(Wad::ZERO, NOW, NOW, 3600),
            Err(OracleError::NonPositiveAnswer)
        );
        // The answer is checked before the timestamps.
        assert_eq!(
            validate_feed(w("-1"), NOW + 1, NOW, 3600),
            Err(OracleError::NonPositiveAnswer)
        );
    }

    #[test]
    fn age_confidence_is_linear_from_one_to_the_floor() {
        let floor = w("0.5");
        assert_eq!(age_confidence(0, 3600, floor), Wad::ONE);
        assert_eq!(age_confidence(1800, 3600, floor), w("0.75"));
        assert_eq!(age_confidence(900, 3600, Wad::ZERO), w("0.75"));
        assert_eq!(age_confidence(3600, 3600, floor), floor);
        assert_eq!(age_confidence(99_999, 3600, floor), floor);
        assert_eq!(age_confidence(0, 0, floor), floor);
        assert_eq!(age_confidence(1800, 3600, Wad::ONE), Wad::ONE);
        // 1/3 of the way: 1 − (1/3)·0.5 = 0.8333…, truncated.
        assert_eq!(age_confidence(1200, 3600, floor), w("0.833333333333333333"));
        let mut last = Wad::MAX;
        for age in (0..=4000).step_by(37) {
            let c = age_confidence(age, 3600, floor);
            assert!(c <= last && c >= floor && c <= Wad::ONE);
            last = c;
        }
    }

    #[test]
    fn deviation_confidence_falls_beyond_the_set_deviation() {
        let d = w("0.02");
        let p = w("100");
        let f = Wad::ZERO;
        assert_eq!(deviation_confidence(p, p, d, f), Ok(Wad::ONE));
        assert_eq!(deviation_confidence(p, w("102"), d, f), Ok(Wad::ONE));
        assert_eq!(deviation_confidence(p, w("98"), d, f), Ok(Wad::ONE));
        assert_eq!(deviation_confidence(p, w("103"), d, f), Ok(w("0.5")));
        assert_eq!(deviation_confidence(p, w("97"), d, f), Ok(w("0.5")));
        assert_eq!(deviation_confidence(p, w("104"), d, f), Ok(Wad::ZERO));
        assert_eq!(deviation_confidence(p, w("150"), d, w("0.3")), Ok(w("0.3")));
        assert_eq!(deviation_confidence(p, w("103"), d, w("0.8")), Ok(w("0.8")));
        assert_eq!(
            deviation_confidence(p, w("102.5"), d, w("0.1")),
            Ok(w("0.75"))
        );
        assert_eq!(
            deviation_confidence(Wad::ZERO, p, d, f),
            Err(OracleError::NonPositiveAnswer)
        );
        let mut last = Wad::MAX;
        for cents in (10_000..10_600).step_by(7) {
            let s = Wad::from_raw(cents * WAD / 100);
            let c = deviation_confidence(p, s, d, w("0.2")).unwrap();
            assert!(c <= last && c >= w("0.2"));
            last = c;
        }
    }

    fn params() -> FeedParams {
        FeedParams {
            staleness_limit: 3600,
            secondary_staleness_limit: 86_400,
            max_deviation: w("0.02"),
            confidence_floor: w("0.5"),
        }
    }

    #[test]
    fn feed_parameter_bounds() {
        assert_eq!(params().validate(true), Ok(()));
        let bad = |f: fn(&mut FeedParams), secondary: bool| {
            let mut p = params();
            f(&mut p);
            p.validate(secondary)
        };
        let e = Err(OracleError::InvalidOracleParameter);
        assert_eq!(bad(|p| p.staleness_limit = 0, false), e);
        assert_eq!(bad(|p| p.staleness_limit = MAX_STALENESS + 1, false), e);
        assert_eq!(bad(|p| p.staleness_limit = MAX_STALENESS, false), Ok(()));
        assert_eq!(bad(|p| p.secondary_staleness_limit = 0, true), e);
        assert_eq!(bad(|p| p.secondary_staleness_limit = 0, false), Ok(()));
        assert_eq!(bad(|p| p.max_deviation = Wad::ZERO, false), e);
        assert_eq!(
            bad(|p| p.max_deviation = w("1.000000000000000001"), false),
            e
        );
        assert_eq!(bad(|p| p.max_deviation = Wad::ONE, false), Ok(()));
        assert_eq!(bad(|p| p.confidence_floor = w("-0.1"), false), e);
        assert_eq!(bad(|p| p.confidence_floor = w("1.1"), false), e);
        assert_eq!(bad(|p| p.confidence_floor = Wad::ONE, false), Ok(()));
    }

    #[test]
    fn spot_confidence_multiplies_the_factors() {
        let p = w("100");
        let fp = params();
        assert_eq!(spot_confidence(p, 0, Secondary::None, &fp), Ok(Wad::ONE));
        assert_eq!(
            spot_confidence(p, 1800, Secondary::None, &fp),
            Ok(w("0.75"))
        );
        assert_eq!(
            spot_confidence(p, 1800, Secondary::Price(w("103")), &fp),
            Ok(w("0.5").mul(w("0.75")).unwrap())
        );
        assert_eq!(
            spot_confidence(p, 0, Secondary::Price(w("101")), &fp),
            Ok(Wad::ONE)
        );
        assert_eq!(
            spot_confidence(p, 1800, Secondary::Unavailable, &fp),
            Ok(w("0.375"))
        );
    }

    #[test]
    fn sequencer_status_follows_the_uptime_feed() {
        let g = DEFAULT_GRACE_PERIOD;
        assert_eq!(
            sequencer_status(0, NOW - g - 1, NOW, g),
            SequencerStatus::Up
        );
        assert_eq!(
            sequencer_status(0, NOW - g, NOW, g),
            SequencerStatus::GracePeriod
        );
        assert_eq!(
            sequencer_status(0, NOW - 10, NOW, g),
            SequencerStatus::GracePeriod
        );
        assert_eq!(
            sequencer_status(0, NOW + 10, NOW, g),
            SequencerStatus::GracePeriod
        );
        assert_eq!(
            sequencer_status(1, NOW - 10 * g, NOW, g),
            SequencerStatus::Down
        );
        assert_eq!(sequencer_status(1, NOW - 10, NOW, g), SequencerStatus::Down);
        assert_eq!(
            sequencer_status(2, NOW - 10 * g, NOW, g),
            SequencerStatus::Down
        );
        assert_eq!(
            sequencer_status(-1, NOW - 10 * g, NOW, g),
            SequencerStatus::Down
        );
        assert_eq!(sequencer_status(0, 0, NOW, g), SequencerStatus::Down);
        assert_eq!(
            sequencer_status(0, NOW - 400, NOW, 300),
            SequencerStatus::Up
        );
    }

    #[test]
    fn grace_period_bounds() {
        let e = Err(OracleError::InvalidOracleParameter);
        assert_eq!(validate_grace_period(DEFAULT_GRACE_PERIOD), Ok(()));
        assert_eq!(validate_grace_period(MIN_GRACE_PERIOD), Ok(()));
        assert_eq!(validate_grace_period(MAX_GRACE_PERIOD), Ok(()));
        assert_eq!(validate_grace_period(MIN_GRACE_PERIOD - 1), e);
        assert_eq!(validate_grace_period(MAX_GRACE_PERIOD + 1), e);
    }

    fn bounds() -> ExpiryBounds {
        ExpiryBounds {
            min_vol: w("0.2"),
            max_vol: w("2"),
            forward_band: w("0.1"),
            max_rate: w("0.2"),
            heartbeat: 3600,
            confidence_floor: w("0.5"),
        }
    }

    #[test]
    fn expiry_bound_bounds() {
        assert_eq!(bounds().validate(), Ok(()));
        let e = Err(OracleError::InvalidOracleParameter);
        let with = |f: fn(&mut ExpiryBounds)| {
            let mut b = bounds();
            f(&mut b);
            b.validate()
        };
        assert_eq!(with(|b| b.min_vol = w("-0.01")), e);
        assert_eq!(with(|b| b.min_vol = w("2")), e);
        assert_eq!(with(|b| b.min_vol = Wad::ZERO), Ok(()));
        assert_eq!(with(|b| b.max_vol = w("10.000000000000000001")), e);
        assert_eq!(with(|b| b.max_vol = w("10")), Ok(()));
        assert_eq!(with(|b| b.forward_band = Wad::ZERO), e);
        assert_eq!(with(|b| b.forward_band = w("1.01")), e);
        assert_eq!(with(|b| b.max_rate = w("-0.01")), e);
        assert_eq!(with(|b| b.max_rate = w("1.01")), e);
        assert_eq!(with(|b| b.max_rate = Wad::ZERO), Ok(()));
        assert_eq!(with(|b| b.heartbeat = 0), e);
        assert_eq!(with(|b| b.heartbeat = MAX_STALENESS + 1), e);
        assert_eq!(with(|b| b.heartbeat = MAX_STALENESS), Ok(()));
        assert_eq!(with(|b| b.confidence_floor = w("1.01")), e);
        assert_eq!(with(|b| b.confidence_floor = w("-0.01")), e);
        assert_eq!(with(|b| b.confidence_floor = Wad::ONE), Ok(()));
    }

    const EXPIRY: u64 = NOW + 30 * 86_400;

    /// ATM total variance 0.04 at τ = 0.25 → ATM vol 0.4.
    fn data() -> ExpiryData {
        ExpiryData {
            forward: w("2010"),
            rate: w("0.05"),
            svi: SviParams {
                a: w("0.01"),
                b: w("0.1"),
                rho: Wad::ZERO,
                m: Wad::ZERO,
                sigma: w("0.3"),
                forward: w("2010"),
                tau: w("0.25"),
            },
            confidence: w("0.9"),
            timestamp: NOW - 60,
        }
    }

    fn check(d: &ExpiryData) -> Result<(), OracleError> {
        validate_expiry_data(d, EXPIRY, w("2000"), NOW, NOW - 120, &bounds())
    }

    #[test]
    fn valid_expiry_data_passes() {
        assert_eq!(check(&data()), Ok(()));
        assert_eq!(svi_atm_total_variance(&data().svi), Ok(w("0.04")));
    }

    #[test]
    fn expiry_data_timestamps() {
        let mut d = data();
        d.timestamp = NOW + 1;
        assert_eq!(check(&d), Err(OracleError::FutureTimestamp));
        d.timestamp = NOW;
        assert_eq!(check(&d), Ok(()));
        d.timestamp = NOW - 3601;
        assert_eq!(check(&d), Err(OracleError::StaleData));
        d.timestamp = NOW - 3600;
        assert_eq!(
            validate_expiry_data(&d, EXPIRY, w("2000"), NOW, NOW - 3600, &bounds()),
            Ok(())
        );
        assert_eq!(
            validate_expiry_data(&d, EXPIRY, w("2000"), NOW, NOW - 3599, &bounds()),
            Err(OracleError::OutdatedData)
        );
        let d = data();
        for expiry in [NOW, NOW - 1] {
            assert_eq!(
                validate_expiry_data(&d, expiry, w("2000"), NOW, 0, &bounds()),
                Err(OracleError::ExpiryNotInFuture)
            );
        }
    }

    #[test]
    fn expiry_data_confidence_forward_and_rate_bounds() {
        let e = |f: fn(&mut ExpiryData)| {
            let mut d = data();
            f(&mut d);
            check(&d)
        };
        assert_eq!(
            e(|d| d.confidence = w("1.01")),
            Err(OracleError::ConfidenceOutOfRange)
        );
        assert_eq!(
            e(|d| d.confidence = w("-0.01")),
            Err(OracleError::ConfidenceOutOfRange)
        );
        assert_eq!(e(|d| d.confidence = Wad::ZERO), Ok(()));
        assert_eq!(e(|d| d.confidence = Wad::ONE), Ok(()));
        // Band 10 % around spot 2000: [1800, 2200].
        assert_eq!(e(|d| d.forward = w("2200")), Ok(()));
        assert_eq!(e(|d| d.forward = w("1800")), Ok(()));
        assert_eq!(
            e(|d| d.forward = w("2200.000000000000000001")),
            Err(OracleError::ForwardOutOfBand)
        );
        assert_eq!(
            e(|d| d.forward = w("1799.99")),
            Err(OracleError::ForwardOutOfBand)
        );
        assert_eq!(
            e(|d| d.forward = Wad::ZERO),
            Err(OracleError::ForwardOutOfBand)
        );
        assert_eq!(e(|d| d.rate = w("0.2")), Ok(()));
        assert_eq!(e(|d| d.rate = w("-0.2")), Ok(()));
        assert_eq!(e(|d| d.rate = w("0.21")), Err(OracleError::RateOutOfBounds));
        assert_eq!(
            e(|d| d.rate = w("-0.21")),
            Err(OracleError::RateOutOfBounds)
        );
        assert_eq!(
            validate_expiry_data(&data(), EXPIRY, Wad::ZERO, NOW, 0, &bounds()),
            Err(OracleError::NonPositiveAnswer)
        );
    }

    #[test]
    fn invalid_svi_slices() {
        let e = |f: fn(&mut ExpiryData)| {
            let mut d = data();
            f(&mut d);
            check(&d)
        };
        let invalid = Err(OracleError::InvalidSviParameters);
        assert_eq!(e(|d| d.svi.b = w("-0.01")), invalid);
        assert_eq!(e(|d| d.svi.rho = Wad::ONE), invalid);
        assert_eq!(e(|d| d.svi.rho = w("-1")), invalid);
        assert_eq!(e(|d| d.svi.sigma = Wad::ZERO), invalid);
        assert_eq!(e(|d| d.svi.forward = Wad::ZERO), invalid);
        assert_eq!(e(|d| d.svi.tau = Wad::ZERO), invalid);
        // Minimum variance a + bσ√(1−ρ²) = −0.1 + 0.03 < 0.
        assert_eq!(e(|d| d.svi.a = w("-0.1")), invalid);
        // ρ = 0.6: √(1−ρ²) = 0.8, minimum = a + 0.024; a = −0.025 is invalid, −0.024 is not.
        assert_eq!(
            e(|d| {
                d.svi.rho = w("0.6");
                d.svi.a = w("-0.025")
            }),
            invalid
        );
        let mut d = data();
        d.svi.rho = w("0.6");
        d.svi.a = w("-0.024");
        assert!(svi_atm_total_variance(&d.svi).is_ok());
    }

    #[test]
    fn atm_vol_range() {
        // With ρ = −0.5, m = 0.1: w(0) = 0.01 + 0.1·(√0.1 + 0.05) = 0.046622776601683793…
        let mut d = data();
        d.svi.rho = w("-0.5");
        d.svi.m = w("0.1");
        assert_eq!(
            svi_atm_total_variance(&d.svi),
            Ok(w("0.046622776601683793"))
        );
        // Vol = √(w/τ): 0.4 for the base slice; the range [0.4, 0.4] is hit exactly.
        let exact = ExpiryBounds {
            min_vol: w("0.4"),
            max_vol: w("0.400000000000000001"),
            ..bounds()
        };
        let base = data();
        assert_eq!(
            validate_expiry_data(&base, EXPIRY, w("2000"), NOW, 0, &exact),
            Ok(())
        );
        let above = ExpiryBounds {
            min_vol: w("0.41"),
            max_vol: w("1"),
            ..bounds()
        };
        assert_eq!(
            validate_expiry_data(&base, EXPIRY, w("2000"), NOW, 0, &above),
            Err(OracleError::VolOutOfBounds)
        );
        let below = ExpiryBounds {
            min_vol: w("0.1"),
            max_vol: w("0.39"),
            ..bounds()
        };
        assert_eq!(
            validate_expiry_data(&base, EXPIRY, w("2000"), NOW, 0, &below),
            Err(OracleError::VolOutOfBounds)
        );
    }

    #[test]
    fn stored_expiry_data_confidence_ages() {
        let f = w("0.5");
        assert_eq!(
            expiry_data_confidence(w("0.9"), NOW, NOW, 3600, f),
            Ok(w("0.9"))
        );
        assert_eq!(
            expiry_data_confidence(w("0.9"), NOW - 1800, NOW, 3600, f),
            Ok(w("0.675"))
        );
        assert_eq!(
            expiry_data_confidence(w("0.9"), NOW - 3600, NOW, 3600, f),
            Ok(w("0.45"))
        );
        assert_eq!(
            expiry_data_confidence(w("0.9"), NOW - 3601, NOW, 3600, f),
            Err(OracleError::StaleData)
        );
        assert_eq!(
            expiry_data_confidence(w("0.9"), NOW + 1, NOW, 3600, f),
            Err(OracleError::FutureTimestamp)
        );
    }

    #[test]
    fn settlement_round_rules() {
        let x = NOW - 1000;
        assert_eq!(verify_settlement_round(x, NOW, x + 5, Some(x - 5)), Ok(()));
        assert_eq!(verify_settlement_round(x, NOW, x, Some(x - 1)), Ok(()));
        assert_eq!(verify_settlement_round(x, x, x, Some(x - 1)), Ok(()));
        assert_eq!(
            verify_settlement_round(NOW + 1, NOW, NOW, Some(NOW - 1)),
            Err(OracleError::SettlementBeforeExpiry)
        );
        assert_eq!(
            verify_settlement_round(x, NOW, NOW + 1, Some(x - 1)),
            Err(OracleError::FutureTimestamp)
        );
        assert_eq!(
            verify_settlement_round(x, NOW, x - 1, Some(x - 2)),
            Err(OracleError::RoundBeforeExpiry)
        );
        assert_eq!(
            verify_settlement_round(x, NOW, x + 5, Some(x)),
            Err(OracleError::NotFirstRoundAfterExpiry)
        );
        assert_eq!(
            verify_settlement_round(x, NOW, x + 5, None),
            Err(OracleError::RoundOpensPhase)
        );
        // The candidate alone: the same first three rules.
        assert_eq!(check_settlement_round(x, NOW, x), Ok(()));
        assert_eq!(
            check_settlement_round(NOW + 1, NOW, NOW),
            Err(OracleError::SettlementBeforeExpiry)
        );
        assert_eq!(
            check_settlement_round(x, NOW, NOW + 1),
            Err(OracleError::FutureTimestamp)
        );
        assert_eq!(
            check_settlement_round(x, NOW, x - 1),
            Err(OracleError::RoundBeforeExpiry)
        );
    }

    #[test]
    fn previous_round_within_a_phase() {
        let phase = 3u128 << 64;
        assert_eq!(previous_round_id(phase | 5), Some(phase | 4));
        assert_eq!(previous_round_id(phase | 2), Some(phase | 1));
        assert_eq!(previous_round_id(phase | 1), None);
        assert_eq!(previous_round_id(phase), None);
        assert_eq!(previous_round_id(7), Some(6));
    }

    #[test]
    fn error_names_are_distinct() {
        use OracleError::*;
        let all = [
            WadOverflow,
            UnsupportedDecimals,
            NonPositiveAnswer,
            FutureTimestamp,
            StaleData,
            OutdatedData,
            ExpiryNotInFuture,
            ConfidenceOutOfRange,
            ForwardOutOfBand,
            RateOutOfBounds,
            InvalidSviParameters,
            VolOutOfBounds,
            SettlementBeforeExpiry,
            RoundBeforeExpiry,
            NotFirstRoundAfterExpiry,
            RoundOpensPhase,
            InvalidOracleParameter,
        ];
        for (i, a) in all.iter().enumerate() {
            assert_eq!(alloc::format!("{a:?}"), a.name());
            for b in &all[i + 1..] {
                assert_ne!(a.name(), b.name());
            }
        }
    }
}
