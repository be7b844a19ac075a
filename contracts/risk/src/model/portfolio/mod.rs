//! Portfolio margin: Derive's PMRM_2 ("PM2", `shared/spec/portfolio-margin-pm2.md`),
//! generalised to several underlyings.
//!
//! This module owns the PM2-native inputs ([`PortfolioAccount`]), the parameters and scenario
//! grid ([`Pm2Params`]), the evaluation ([`portfolio_margin`]) and its result
//! ([`PortfolioMargin`] with a [`PortfolioBreakdown`]). Everything is integer fixed point on
//! [`Wad`](crate::Wad) with checked arithmetic; every failure is a [`RiskError`](crate::RiskError).
//!
//! # The model in one paragraph
//! For each scenario `(ξ, dir, λ)` the options of every expiry are repriced with the forward
//! `ξ·F^var + F^fix` and the vols of `dir`, haircut by the static discount (`δ⁺` on a
//! non-negative shocked value, `δ⁻` on a negative one) and compared with the undiscounted
//! mark; the perp and risk-cancelling collateral add `(ξ−1)·λ` of their delta-one value. The
//! worst loss `L` is the minimum of the basis contingency `B` and every scenario PnL, and
//!
//! ```text
//! MM = f_MM·L − MMcont + MtM        IM = f_IM·L − MMcont − IMcont + MtM
//! ```
//!
//! where `MMcont`/`IMcont` are the perp, naked-option, collateral-haircut and oracle-confidence
//! contingencies (§7) and `f_IM` rises when the stable de-pegs (§7.6). The spec's §10 revert
//! rules are reproduced as errors, except the two saturations below (e.g. `dteFloor = 0` with
//! an expired option is
//! [`RiskError::DivisionByZero`](crate::RiskError::DivisionByZero), a negative collateral balance
//! is [`RiskError::NegativeInput`](crate::RiskError::NegativeInput)), and so are the §11
//! behaviours that change results (Black-76 limits, exp underflow to 0, the rate, down-shock
//! and skew floors, the `δ⁻ ≤ 1/D` cap, the SVI clamps, integer seconds with the 30-day
//! boundary counted as short-term).
//!
//! # Where the fixed point would overflow: saturation (issue 10 item 8)
//! Keel computes in i128 wads (up to `1.7·10²⁰`), the spec in 256-bit words, and no stored
//! parameter set and no option may make an evaluation revert where the spec computes. Two
//! places go beyond the wad range for valid inputs, and both are computed exactly as the
//! spec's formula (bit-identical to the plain computation wherever that fits):
//!
//! * **The vol-shock term** `g_e = e^(pow·ln x)` (§5.5) exceeds the wad range from
//!   `pow·ln x ≈ 46.6` (e.g. `shortTermPower = 9.4`, `dteFloor ≤ 1.5 h`, 1.5 h to expiry; or a
//!   negative `longTermPower` with a far expiry). Then `down_e = 0` (or 1 when
//!   `volRangeDown = 0`), as `volRangeDown·g_e ≥ 10⁻¹⁸·1.7·10²⁰ > 1`, and each Up vol
//!   `σ·up_e = σ + e^(pow·ln x + ln volRangeUp + ln σ)` is computed without forming `g_e`. An
//!   Up vol beyond the wad range is saturated at `Wad::MAX`, which is exact: any vol above
//!   `1.7·10²⁰` puts the total vol `σ·√τ` above `TV_MAX = 24` for every `T ≥ 1 s` (and `T = 0`
//!   is intrinsic whatever the vol), so Black-76 returns its limit `(F·D, K·D)` for the
//!   exact vol and for `Wad::MAX` alike. The spec's `exp` reverts at `pow·ln x ≥ 135.306`
//!   (reachable with `pow = 10`, `dteFloor < 3.5 s` and `T < 3.5 s`, or `longTermPower = −10`
//!   and `T > 61 000 years`); Keel continues the same formula there, which is the limit of
//!   the spec's values as `g → ∞` (every Up vol saturated).
//! * **The short static discount** `δ⁻ = min(1/D, base/exp(−x))` (§5.6): an `exp(−x)` that
//!   underflowed to 0 (`x ≥ 42.14`, e.g. `shortRateAddScale = 10` and `T > 4.2 years`) makes
//!   the second term +∞, so `δ⁻ = 1/D` (the spec reverts on the division); `D = 0`
//!   (`r·τ ≥ 42.14`) makes `1/D` +∞ (`Wad::MAX`), which is never applied since every price,
//!   so every expiry value, is then 0.
//! * **The skew slope** `k·cap/k*` (§6.3): `k* = 0` (`minKStar = 0` with a width ≤ 0, where
//!   the spec reverts) is taken as `10⁻¹⁸`, the `k* → 0⁺` limit; a slope beyond the wad range
//!   (tiny `k*`) is `±∞` and bounded to `±cap` as the exact one is; an unbounded multiplier
//!   (`cap < 0`) and a skewed vol beyond the wad range saturate at `Wad::MAX` like the Up
//!   vols (exact for every vol ≥ 10⁻¹⁵). A moneyness `K/F` that rounds to 0 (the spec's
//!   `ln 0`) or exceeds the wad range is `ln K − ln F`.
//!
//! What remains is the wad range itself: amounts, values and losses must fit in `±1.7·10²⁰`
//! after the loss factor (up to ≈ 1,000 with `pegLossThreshold = 100`) and the basis scale
//! (`add + mult·τ`, 20 per year of expiry at most), i.e. about `10¹⁵` USD of notional on a
//! one-year book. `tests/pm2_no_overflow.rs` checks every stored parameter set on books of up
//! to `10¹²` USD per position (scaled down by `1 + τ` for far expiries).
//!
//! # Generalisation to several underlyings
//! PM2 margins one underlying. Keel's account holds a book per underlying
//! ([`UnderlyingBook`]): its spot, at most one perp, and its expiries. The rules are:
//!
//! * **Own grid per underlying.** Every underlying `u` is run through the whole scenario list
//!   on its own: `ξ` shocks that underlying's forwards, its perp and the collateral linked to
//!   it, and nothing else. `L_u = min(B_u, min_i PnL_{u,i})` with PM2's tie rules, where `B_u`
//!   is the basis contingency of `u`'s expiries.
//! * **Summed, no offsets.** `L = Σ_u L_u`. A gain on one underlying never offsets a loss on
//!   another (each `L_u ≤ 0` is taken separately), and the worst scenarios of different
//!   underlyings need not be the same scenario: a conservative "all move at once" reading.
//! * **Per-underlying contingencies.** Perp and naked-option charges use that underlying's
//!   spot; its portfolio confidence is `min(c_S, c_P)` (perp held) or `c_S`; each expiry's
//!   confidence is `min(c^F, c^r, c^σ, c_port)` of its own underlying; `maxExpiries` applies to
//!   each underlying separately.
//! * **Collateral counted once.** Its stable value `v_c = q·p/s` enters the mark-to-market,
//!   the haircuts and the confidence contingency exactly once, whatever it is linked to. A
//!   risk-cancelling token names the underlying it cancels
//!   ([`CollateralHolding::risk_cancelling`]) and is shocked on that underlying's grid only.
//! * **Which spot confidence a collateral uses.** Linked: `min(c_c, c_S of the linked
//!   underlying)`. Unlinked: `min(c_c, min_u c_S,u)` over every underlying of the account (1
//!   when it has none): the token's value is only as reliable as the least reliable spot feed
//!   the account depends on. With one underlying both are PM2's `min(c_c, c_S)`.
//! * **Global terms.** Cash, the stable price and its de-peg factor are account-wide:
//!   `MtM = C + Σ_u (U_u + Σ_e MtM_e) + Σ_c v_c` and `f_IM` multiplies the summed `L`.
//!
//! With exactly one underlying every step above is PM2's, in the same order of operations, so
//! the result is PM2's bit for bit.
//!
//! # Cost
//! The scenario loop dominates: one Black-76 evaluation per option per scenario, except that
//! the scenarios `(1, None)`, `(scenarioSpotUp, None)` and `(scenarioSpotDown, None)` reuse the
//! values priced for the mark and the basis contingency, and the skew scenarios are priced once
//! per expiry. See `benches/portfolio.rs` for measured figures.

mod engine;
mod inputs;
mod params;
mod result;

#[cfg(test)]
mod tests;

pub use engine::{portfolio_margin, THIRTY_DAYS};
pub use inputs::{
    CollateralHolding, ExpiryBook, OptionHolding, PerpHolding, PortfolioAccount, UnderlyingBook,
};
pub use params::{
    default_scenarios, validate_scenarios, BasisParams, MarginParams, OtherContingencyParams,
    Pm2Params, Scenario, SkewShockParams, VolShock, VolShockParams, DEFAULT_SVI_MAX_TOTAL_VARIANCE,
    MAX_DTE_FLOOR, MAX_EXPIRIES_BOUND, MAX_SCENARIOS, SECONDS_PER_DAY,
};
pub use result::{
    ExpiryBreakdown, PortfolioBreakdown, PortfolioMargin, UnderlyingBreakdown, WorstCase,
};
