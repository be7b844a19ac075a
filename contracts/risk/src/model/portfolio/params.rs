//! PM2 parameters (spec §3.3), the scenario list (§3.4), their admission rules and Keel's
//! defaults.
//!
//! Evaluation never re-validates parameters (that costs gas on every margin call); governance
//! calls [`Pm2Params::validate`] once when it stores a set, exactly as the contract's setters
//! do.

use alloc::vec::Vec;

use crate::{RiskError, Wad};

/// Seconds in a day, for the `dteFloor` conversion.
pub const SECONDS_PER_DAY: u64 = 86_400;
/// Most scenarios a set may hold (§3.4).
pub const MAX_SCENARIOS: usize = 40;
/// Bounds of `maxExpiries` (§3.3, manager level).
pub const MAX_EXPIRIES_BOUND: u32 = 30;
/// Upper bound of `dteFloor`: 400 days, in seconds.
pub const MAX_DTE_FLOOR: u64 = 400 * SECONDS_PER_DAY;
/// The on-chain SVI total-variance cap `W_MAX` (§2, §13 D2).
pub const DEFAULT_SVI_MAX_TOTAL_VARIANCE: Wad = crate::math::SVI_MAX_TOTAL_VARIANCE;

/// How a scenario moves implied vols (§3.4, §6.2, §6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VolShock {
    /// Vols unchanged.
    None,
    /// Vols scaled by the expiry's up multiplier, floored at `minVolUpShock`.
    Up,
    /// Vols scaled by the expiry's down multiplier (floored at 0).
    Down,
    /// Linear skew tilt; the forward is not shocked and each expiry is forced to a loss.
    Linear,
    /// Smile lift (|log-moneyness|); the forward is not shocked and each expiry is forced to
    /// a loss.
    Abs,
}

impl VolShock {
    /// True for the two skew directions ([`VolShock::Linear`], [`VolShock::Abs`]).
    pub const fn is_skew(self) -> bool {
        matches!(self, VolShock::Linear | VolShock::Abs)
    }
}

/// One scenario `(ξ, dir, λ)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scenario {
    /// `ξ ≥ 0`: spot multiplier (1.2 = +20 %).
    pub spot_shock: Wad,
    /// Vol move.
    pub vol_shock: VolShock,
    /// `λ ≥ 0`: multiplier of the scenario's PnL.
    pub dampening: Wad,
}

impl Scenario {
    /// A scenario from its three parts.
    pub const fn new(spot_shock: Wad, vol_shock: VolShock, dampening: Wad) -> Scenario {
        Scenario {
            spot_shock,
            vol_shock,
            dampening,
        }
    }
}

/// Size of the ATM vol shock as a function of time to expiry (§5.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VolShockParams {
    /// `volRangeUp`: up-shock size at 30 days, in [0, 10].
    pub vol_range_up: Wad,
    /// `volRangeDown`: down-shock size at 30 days, in [0, 10].
    pub vol_range_down: Wad,
    /// `shortTermPower`: exponent when `T ≤ 30 days` (signed, ≤ 10).
    pub short_term_power: Wad,
    /// `longTermPower`: exponent when `T > 30 days` (signed, ≤ 10).
    pub long_term_power: Wad,
    /// `dteFloor` in **seconds** (≤ 400 days).
    pub dte_floor: u64,
    /// `minVolUpShock`: floor on the vol in Up scenarios, in [0, 20].
    pub min_vol_up_shock: Wad,
}

/// Loss factors and static discounting (§5.6, §8.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarginParams {
    /// `imFactor`: IM multiplier of the worst loss, in [0.5, 10].
    pub im_factor: Wad,
    /// `mmFactor`: MM multiplier of the worst loss, in [0.1, 10].
    pub mm_factor: Wad,
    /// `longRateMultScale`, in [0, 10].
    pub long_rate_mult_scale: Wad,
    /// `longRateAddScale`, in [0, 10].
    pub long_rate_add_scale: Wad,
    /// `longBaseStaticDiscount` (e.g. 0.95), in [0, 4].
    pub long_base_static_discount: Wad,
    /// `shortRateMultScale`, in [0, 10].
    pub short_rate_mult_scale: Wad,
    /// `shortRateAddScale`, in [0, 10].
    pub short_rate_add_scale: Wad,
    /// `shortBaseStaticDiscount` (e.g. 1.04), in [0, 4].
    pub short_base_static_discount: Wad,
}

/// Basis (forward) contingency (§7.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BasisParams {
    /// `scenarioSpotUp`: forward multiplier of the up move, in (1, 3).
    pub scenario_spot_up: Wad,
    /// `scenarioSpotDown`: forward multiplier of the down move, in [0, 1).
    pub scenario_spot_down: Wad,
    /// `basisContAddFactor`, in [0, 20].
    pub add_factor: Wad,
    /// `basisContMultFactor` (per year to expiry), in [0, 20].
    pub mult_factor: Wad,
}

/// Peg, confidence, perp and option contingencies (§7.2–§7.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OtherContingencyParams {
    /// `pegLossThreshold`: stable price below which the IM loss factor rises, in [0, 100].
    pub peg_loss_threshold: Wad,
    /// `pegLossFactor`: slope of that rise, in [0, 10].
    pub peg_loss_factor: Wad,
    /// `confThreshold`: confidences strictly below it are charged, in [0, 1].
    pub conf_threshold: Wad,
    /// `confMargin`: scale of the oracle contingency, in [0, 20].
    pub conf_margin: Wad,
    /// `MMPerpPercent`: MM charge per unit of perp notional, in [0, 3].
    pub mm_perp_percent: Wad,
    /// `IMPerpPercent`: extra IM charge per unit of perp notional, in [0, 3].
    pub im_perp_percent: Wad,
    /// `MMOptionPercent`: MM charge per unit of naked-short notional, in [0, 2].
    pub mm_option_percent: Wad,
    /// `IMOptionPercent`: extra IM charge per unit of naked-short notional, in [0, 2].
    pub im_option_percent: Wad,
}

/// Skew scenarios (§6.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SkewShockParams {
    /// `linearBaseCap`, in [0, 10].
    pub linear_base_cap: Wad,
    /// `linearCBase` (per √year), in [−10, 10].
    pub linear_c_base: Wad,
    /// `absBaseCap`, in [0, 10].
    pub abs_base_cap: Wad,
    /// `absCBase` (per √year), in [−10, 10].
    pub abs_c_base: Wad,
    /// `minKStar`: floor of the width k*, in [0, 10].
    pub min_k_star: Wad,
    /// `widthScale`, in [0, 10].
    pub width_scale: Wad,
    /// `volParamStatic`, in [0, 10].
    pub vol_param_static: Wad,
    /// `volParamScale`, in [−20, 20].
    pub vol_param_scale: Wad,
}

/// Every parameter of one PM2 evaluation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pm2Params {
    /// §5.5.
    pub vol_shock: VolShockParams,
    /// §5.6 and §8.2.
    pub margin: MarginParams,
    /// §7.1.
    pub basis: BasisParams,
    /// §7.2–§7.6.
    pub other: OtherContingencyParams,
    /// §6.3.
    pub skew: SkewShockParams,
    /// The scenario list (§3.4); order only matters for the reported worst index.
    pub scenarios: Vec<Scenario>,
    /// Most distinct expiries one underlying may hold, in [1, 30].
    pub max_expiries: u32,
    /// Cap on SVI total variance (`W_MAX`, 144 on-chain); must be positive.
    pub svi_max_total_variance: Wad,
}

const fn w(raw_millionths: i64) -> Wad {
    Wad::ratio(raw_millionths, 1_000_000)
}

impl Pm2Params {
    /// Keel's defaults: the parameter values and the 31-scenario grid that most of Derive's
    /// PM2 reference cases use (spec §14), written as the decimals the generator meant
    /// (its float artefacts such as `0.8200000000000001` removed; the tail dampening is
    /// `0.036/|ξ−1|`, truncated to 18 decimals). `maxExpiries = 11`, `W_MAX = 144`.
    pub fn keel_default() -> Pm2Params {
        Pm2Params {
            vol_shock: VolShockParams {
                vol_range_up: w(500_000),
                vol_range_down: w(275_000),
                short_term_power: w(300_000),
                long_term_power: w(130_000),
                dte_floor: SECONDS_PER_DAY,
                min_vol_up_shock: w(450_000),
            },
            margin: MarginParams {
                im_factor: Wad::ONE,
                mm_factor: w(800_000),
                long_rate_mult_scale: Wad::ONE,
                long_rate_add_scale: w(80_000),
                long_base_static_discount: w(950_000),
                short_rate_mult_scale: w(500_000),
                short_rate_add_scale: w(80_000),
                short_base_static_discount: w(1_040_000),
            },
            basis: BasisParams {
                scenario_spot_up: w(1_045_000),
                scenario_spot_down: w(955_000),
                add_factor: w(500_000),
                mult_factor: Wad::from_int(2),
            },
            other: OtherContingencyParams {
                peg_loss_threshold: w(980_000),
                peg_loss_factor: Wad::from_int(2),
                conf_threshold: w(550_000),
                conf_margin: Wad::ONE,
                mm_perp_percent: w(15_000),
                im_perp_percent: w(5_000),
                mm_option_percent: w(3_000),
                im_option_percent: w(2_000),
            },
            skew: SkewShockParams {
                linear_base_cap: w(150_000),
                linear_c_base: w(-50_000),
                abs_base_cap: w(150_000),
                abs_c_base: w(-50_000),
                min_k_star: w(10_000),
                width_scale: Wad::from_int(4),
                vol_param_static: w(600_000),
                vol_param_scale: w(-100_000),
            },
            scenarios: default_scenarios(),
            max_expiries: 11,
            svi_max_total_variance: DEFAULT_SVI_MAX_TOTAL_VARIANCE,
        }
    }

    /// The three basis scenarios `[(spotUp, None, 1), (spotDown, None, 1), (1, None, 1)]`
    /// that a trusted risk assessor's MM check uses (§3.4, §8.3).
    pub fn basis_scenarios(&self) -> [Scenario; 3] {
        [
            Scenario::new(self.basis.scenario_spot_up, VolShock::None, Wad::ONE),
            Scenario::new(self.basis.scenario_spot_down, VolShock::None, Wad::ONE),
            Scenario::new(Wad::ONE, VolShock::None, Wad::ONE),
        ]
    }

    /// Checks the §3.3 bounds and the §3.4 admission rules.
    ///
    /// Errors: [`RiskError::ParameterOutOfBounds`] for a value outside its bounds
    /// (including `maxExpiries` outside [1, 30] and a non-positive SVI cap),
    /// [`RiskError::InvalidScenarios`] for a scenario set that cannot be stored.
    pub fn validate(&self) -> Result<(), RiskError> {
        self.validate_bounds()?;
        validate_scenarios(&self.scenarios)
    }

    /// The §3.3 bounds only (every group, `maxExpiries` and the SVI cap).
    pub fn validate_bounds(&self) -> Result<(), RiskError> {
        let ten = Wad::from_int(10);
        let v = &self.vol_shock;
        within(v.vol_range_up, Wad::ZERO, ten)?;
        within(v.vol_range_down, Wad::ZERO, ten)?;
        at_most(v.short_term_power, ten)?;
        at_most(v.long_term_power, ten)?;
        if v.dte_floor > MAX_DTE_FLOOR {
            return Err(RiskError::ParameterOutOfBounds);
        }
        within(v.min_vol_up_shock, Wad::ZERO, Wad::from_int(20))?;

        let m = &self.margin;
        within(m.im_factor, w(500_000), ten)?;
        within(m.mm_factor, w(100_000), ten)?;
        for x in [
            m.long_rate_mult_scale,
            m.long_rate_add_scale,
            m.short_rate_mult_scale,
            m.short_rate_add_scale,
        ] {
            within(x, Wad::ZERO, ten)?;
        }
        within(m.long_base_static_discount, Wad::ZERO, Wad::from_int(4))?;
        within(m.short_base_static_discount, Wad::ZERO, Wad::from_int(4))?;

        let b = &self.basis;
        if b.scenario_spot_up <= Wad::ONE || b.scenario_spot_up >= Wad::from_int(3) {
            return Err(RiskError::ParameterOutOfBounds);
        }
        if b.scenario_spot_down.is_negative() || b.scenario_spot_down >= Wad::ONE {
            return Err(RiskError::ParameterOutOfBounds);
        }
        within(b.add_factor, Wad::ZERO, Wad::from_int(20))?;
        within(b.mult_factor, Wad::ZERO, Wad::from_int(20))?;

        let o = &self.other;
        within(o.peg_loss_threshold, Wad::ZERO, Wad::from_int(100))?;
        within(o.peg_loss_factor, Wad::ZERO, ten)?;
        within(o.conf_threshold, Wad::ZERO, Wad::ONE)?;
        within(o.conf_margin, Wad::ZERO, Wad::from_int(20))?;
        within(o.mm_perp_percent, Wad::ZERO, Wad::from_int(3))?;
        within(o.im_perp_percent, Wad::ZERO, Wad::from_int(3))?;
        within(o.mm_option_percent, Wad::ZERO, Wad::from_int(2))?;
        within(o.im_option_percent, Wad::ZERO, Wad::from_int(2))?;

        let s = &self.skew;
        let minus_ten = Wad::from_int(-10);
        within(s.linear_base_cap, Wad::ZERO, ten)?;
        within(s.linear_c_base, minus_ten, ten)?;
        within(s.abs_base_cap, Wad::ZERO, ten)?;
        within(s.abs_c_base, minus_ten, ten)?;
        within(s.min_k_star, Wad::ZERO, ten)?;
        within(s.width_scale, Wad::ZERO, ten)?;
        within(s.vol_param_static, Wad::ZERO, ten)?;
        within(s.vol_param_scale, Wad::from_int(-20), Wad::from_int(20))?;

        if self.max_expiries == 0 || self.max_expiries > MAX_EXPIRIES_BOUND {
            return Err(RiskError::ParameterOutOfBounds);
        }
        if !self.svi_max_total_variance.is_positive() {
            return Err(RiskError::ParameterOutOfBounds);
        }
        Ok(())
    }
}

/// The §3.4 admission rules: 1 to 40 scenarios, `ξ ≥ 0` and `λ ≥ 0`, at most one Linear and
/// one Abs scenario, each with `ξ = 1` exactly. Breaking any gives
/// [`RiskError::InvalidScenarios`].
pub fn validate_scenarios(scenarios: &[Scenario]) -> Result<(), RiskError> {
    if scenarios.is_empty() || scenarios.len() > MAX_SCENARIOS {
        return Err(RiskError::InvalidScenarios);
    }
    let (mut linear, mut abs) = (0u32, 0u32);
    for s in scenarios {
        if s.spot_shock.is_negative() || s.dampening.is_negative() {
            return Err(RiskError::InvalidScenarios);
        }
        match s.vol_shock {
            VolShock::Linear => linear += 1,
            VolShock::Abs => abs += 1,
            _ => continue,
        }
        if s.spot_shock != Wad::ONE {
            return Err(RiskError::InvalidScenarios);
        }
    }
    if linear > 1 || abs > 1 {
        return Err(RiskError::InvalidScenarios);
    }
    Ok(())
}

/// The 31-scenario grid of Keel's defaults: 7 spot levels × {Down, None, Up} between the
/// ±18 % Up scenarios, six dampened tail scenarios, then Linear and Abs.
pub fn default_scenarios() -> Vec<Scenario> {
    let mut grid = Vec::with_capacity(31);
    grid.push(Scenario::new(w(1_180_000), VolShock::Up, Wad::ONE));
    for xi in [
        1_135_000, 1_090_000, 1_045_000, 1_000_000, 955_000, 910_000, 865_000,
    ] {
        for dir in [VolShock::Down, VolShock::None, VolShock::Up] {
            grid.push(Scenario::new(w(xi), dir, Wad::ONE));
        }
    }
    grid.push(Scenario::new(w(820_000), VolShock::Up, Wad::ONE));
    // Tails: λ = 0.036 / |ξ − 1|, so each is worth at most a 3.6 % move at full weight.
    for (xi, lambda) in [
        (w(340_000), Wad::ratio(36, 660)),
        (w(670_000), Wad::ratio(36, 330)),
        (w(1_500_000), w(72_000)),
        (Wad::from_int(2), w(36_000)),
        (Wad::from_int(3), w(18_000)),
        (Wad::from_int(4), w(12_000)),
    ] {
        grid.push(Scenario::new(xi, VolShock::Up, lambda));
    }
    grid.push(Scenario::new(Wad::ONE, VolShock::Linear, Wad::ONE));
    grid.push(Scenario::new(Wad::ONE, VolShock::Abs, Wad::ONE));
    grid
}

fn within(x: Wad, lo: Wad, hi: Wad) -> Result<(), RiskError> {
    if x < lo || x > hi {
        Err(RiskError::ParameterOutOfBounds)
    } else {
        Ok(())
    }
}

fn at_most(x: Wad, hi: Wad) -> Result<(), RiskError> {
    if x > hi {
        Err(RiskError::ParameterOutOfBounds)
    } else {
        Ok(())
    }
}
