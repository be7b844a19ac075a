//! Reader of Derive's native PMRM_2 case files (spec §9) and their comparison with keel-risk's
//! portfolio margin.
//!
//! Every number is read as its decimal **text** (serde_json's `arbitrary_precision` keeps it)
//! and converted to a wad by truncation after 18 decimals, as Derive's harness does (H1);
//! the harness mappings H2–H9 are applied exactly:
//!
//! * H2: `now = 1,630,000,000`; an option's expiry is `now + Options[].Expiry`, matched to the
//!   `OptionFeeds[]` entry with the same `FeedExpiry` (`ExiryTs` is ignored);
//! * H3: `FeedExpiry < 1800` splits the forward `F^fix = F·(1800−T)/1800`,
//!   `F^var = F·T/1800` with integer division on the wad; otherwise `F^var = F`;
//! * H4: `dteFloor = ⌊DTE_FLOOR·86400⌋` seconds; H5: `SVIparam` is `[a, b, ρ, m, σ, F, τ]`;
//! * H6: the perp (and `U = UnrealisedPerpPNL + UnrealisedFunding`, `PerpPrice`,
//!   `PerpConfidence`) only when `NumPerps ≠ 0`; H7: each collateral is its own token,
//!   risk-cancelling ones linked to the case's single underlying; H8: `OptionVolConfidences`
//!   is the expiry's vol confidence; H9: `maxExpiries = 11`.
//!
//! The parameter groups are checked against the §3.3 bounds; the §3.4 scenario admission
//! rules are **not** enforced, because one published case (golden 67, spec §13 D1) holds a
//! Linear scenario with `ξ ≠ 1` that the contract would refuse; the model evaluates it with
//! contract semantics.
//!
//! Pass rule for IM and MM: relative error ≤ 1e-9, decided in integer arithmetic on the wads,
//! or absolute error ≤ 1e-2 when `|expected| < 1`.

use std::path::Path;

use anyhow::{anyhow, bail, Context};
use keel_risk::math::SviParams;
use keel_risk::model::portfolio::{
    portfolio_margin, BasisParams, CollateralHolding, ExpiryBook, MarginParams, OptionHolding,
    OtherContingencyParams, PerpHolding, Pm2Params, PortfolioAccount, Scenario, SkewShockParams,
    UnderlyingBook, VolShock, VolShockParams, DEFAULT_SVI_MAX_TOTAL_VARIANCE, SECONDS_PER_DAY,
};
use keel_risk::Wad;
use serde_json::Value;

use super::CheckedValue;

/// `REF_TIME` of Derive's harness: the evaluation time of every case (H2).
pub const REF_TIME: u64 = 1_630_000_000;
/// The forward feed's settlement-averaging window (H3).
pub const TWAP_WINDOW: u64 = 1_800;
/// `maxExpiries` of Derive's harness (H9).
pub const HARNESS_MAX_EXPIRIES: u32 = 11;

/// A case file turned into keel-risk inputs, with the expected results it states.
#[derive(Clone, Debug)]
pub struct Pm2Case {
    /// The account (one underlying).
    pub account: PortfolioAccount,
    /// Parameters and scenario list.
    pub params: Pm2Params,
    /// What Derive's model computed.
    pub expected: Pm2Expected,
}

/// The expected values of a case: the asserted IM and MM, and debug values where present.
#[derive(Clone, Debug)]
pub struct Pm2Expected {
    /// `Result.IM`.
    pub im: Wad,
    /// `Result.MM`.
    pub mm: Wad,
    /// Scenario PnLs in scenario order, from `reg_losses`, `tail_losses`, `skew_losses`
    /// (positional, spec §9.2); `None` where the lists are shorter than the scenario set.
    pub scenario_pnl: Vec<Option<Wad>>,
    /// `Result.ForwardContingency` (B).
    pub basis_contingency: Option<Wad>,
    /// `Result.OptionMTM`.
    pub option_mtm: Option<Wad>,
    /// `Result.CollateralMTM`.
    pub collateral_mtm: Option<Wad>,
    /// `Result.PortfolioMTM` (cash, perp value with funding, options, collateral).
    pub portfolio_mtm: Option<Wad>,
    /// Lengths of `reg_losses`, `tail_losses` and `skew_losses`.
    pub group_sizes: [usize; 3],
    /// `Result.worst_all_scenarios`: `regular`, `tail`, `skew` or `fwd_contingency`.
    pub worst_group: Option<String>,
}

/// Reads one case file and compares Keel's IM and MM with the expected ones.
pub fn evaluate_case(path: &Path) -> anyhow::Result<Vec<CheckedValue>> {
    let case = load_case(path)?;
    let result = portfolio_margin(&case.account, &case.params)
        .map_err(|e| anyhow!("keel-risk refused the case: {} ({e})", e.name()))?;
    Ok(vec![
        checked("IM", case.expected.im, result.im),
        checked("MM", case.expected.mm, result.mm),
    ])
}

fn checked(label: &'static str, expected: Wad, computed: Wad) -> CheckedValue {
    CheckedValue {
        label,
        expected,
        computed,
        passed: within_tolerance(expected, computed),
    }
}

/// The pass rule: `|c − e| ≤ 1e-9·|e|`, or `|c − e| ≤ 1e-2` when `|e| < 1`; integers only.
pub fn within_tolerance(expected: Wad, computed: Wad) -> bool {
    let Some(diff) = computed.raw().checked_sub(expected.raw()) else {
        return false;
    };
    let diff = diff.unsigned_abs();
    let magnitude = expected.raw().unsigned_abs();
    let relative_ok = diff
        .checked_mul(1_000_000_000)
        .is_some_and(|scaled| scaled <= magnitude);
    let absolute_ok = magnitude < 1_000_000_000_000_000_000 && diff <= 10_000_000_000_000_000;
    relative_ok || absolute_ok
}

/// Reads and maps one case file.
pub fn load_case(path: &Path) -> anyhow::Result<Pm2Case> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse_case(&text).with_context(|| format!("case {}", path.display()))
}

/// Maps the text of one case file (spec §9).
pub fn parse_case(text: &str) -> anyhow::Result<Pm2Case> {
    let root: Value = serde_json::from_str(text).context("not valid JSON")?;
    let root = Node {
        value: &root,
        path: String::new(),
    };
    let scenario = root.get("Scenario")?;
    let params = read_params(&root.get("Parameters")?)?;
    let account = read_account(&scenario)?;
    let expected = read_expected(&root.get("Result")?)?;
    Ok(Pm2Case {
        account,
        params,
        expected,
    })
}

fn read_account(s: &Node) -> anyhow::Result<PortfolioAccount> {
    // H6: the perp only when NumPerps ≠ 0.
    let amount = s.get("NumPerps")?.wad()?;
    let perp = if amount.is_zero() {
        PerpHolding::default()
    } else {
        let pnl = s.get("UnrealisedPerpPNL")?.wad()?;
        let funding = s.get("UnrealisedFunding")?.wad()?;
        PerpHolding {
            amount,
            unrealised: pnl
                .add(funding)
                .map_err(|e| anyhow!("{}: {e}", s.at("UnrealisedFunding")))?,
            price: s.get("PerpPrice")?.wad()?,
            confidence: s.get("PerpConfidence")?.wad()?,
        }
    };

    // H2, H3, H5, H8: one expiry per feed that has options, in feed order.
    let feeds = s.get("OptionFeeds")?.array()?;
    let mut feed_expiries = Vec::with_capacity(feeds.len());
    let mut books: Vec<ExpiryBook> = Vec::with_capacity(feeds.len());
    for feed in &feeds {
        let seconds = feed.get("FeedExpiry")?.seconds()?;
        if feed_expiries.contains(&seconds) {
            bail!(
                "{}: a second feed with FeedExpiry {seconds}",
                feed.at("FeedExpiry")
            );
        }
        feed_expiries.push(seconds);
        books.push(read_feed(feed, seconds)?);
    }
    for option in s.get("Options")?.array()? {
        let expiry = option.get("Expiry")?;
        let seconds = expiry.seconds()?;
        let j = feed_expiries
            .iter()
            .position(|&t| t == seconds)
            .ok_or_else(|| {
                anyhow!(
                    "{}: no OptionFeeds entry has FeedExpiry {seconds}",
                    expiry.path
                )
            })?;
        let holding = OptionHolding {
            strike: option.get("Strike")?.wad()?,
            is_call: option.get("IsCall")?.flag()?,
            amount: option.get("Amount")?.wad()?,
        };
        books[j].options.push(holding);
    }
    books.retain(|b| !b.options.is_empty());

    let underlying = UnderlyingBook {
        spot: s.get("SpotPrice")?.wad()?,
        spot_confidence: s.get("SpotConfidence")?.wad()?,
        perp,
        expiries: books,
    };

    // H7: every collateral is its own token; risk-cancelling ones cancel the one underlying.
    let mut collaterals = Vec::new();
    for c in s.get("Collaterals")?.array()? {
        collaterals.push(CollateralHolding {
            amount: c.get("Amount")?.wad()?,
            price: c.get("Price")?.wad()?,
            confidence: c.get("Confidence")?.wad()?,
            mm_haircut: c.get("MMHaircut")?.wad()?,
            im_haircut: c.get("IMHaircut")?.wad()?,
            risk_cancelling: c.get("IsRiskCancelling")?.flag()?.then_some(0),
        });
    }

    Ok(PortfolioAccount {
        now: REF_TIME,
        cash: s.get("Cash")?.wad()?,
        stable_price: s.get("StablePrice")?.wad()?,
        underlyings: vec![underlying],
        collaterals,
    })
}

fn read_feed(feed: &Node, seconds: u64) -> anyhow::Result<ExpiryBook> {
    let forward_node = feed.get("Forward")?;
    let forward = forward_node.wad()?;
    let (forward_fixed, forward_variable) = if seconds < TWAP_WINDOW {
        let split = |part: u64| {
            forward
                .mul_int(part as i128)
                .and_then(|x| x.div_int(TWAP_WINDOW as i128))
                .map_err(|e| anyhow!("{}: {e}", forward_node.path))
        };
        (split(TWAP_WINDOW - seconds)?, split(seconds)?)
    } else {
        (Wad::ZERO, forward)
    };
    let svi = feed.get("SVIparam")?.array()?;
    if svi.len() != 7 {
        bail!(
            "{}: expected 7 values [a, b, rho, m, sigma, F, tau], found {}",
            feed.at("SVIparam"),
            svi.len()
        );
    }
    Ok(ExpiryBook {
        expiry: REF_TIME + seconds,
        forward_fixed,
        forward_variable,
        forward_confidence: feed.get("ForwardConfidence")?.wad()?,
        rate: feed.get("Rate")?.wad()?,
        rate_confidence: feed.get("RateConfidence")?.wad()?,
        svi: SviParams {
            a: svi[0].wad()?,
            b: svi[1].wad()?,
            rho: svi[2].wad()?,
            m: svi[3].wad()?,
            sigma: svi[4].wad()?,
            forward: svi[5].wad()?,
            tau: svi[6].wad()?,
        },
        vol_confidence: feed.get("OptionVolConfidences")?.wad()?,
        options: Vec::new(),
    })
}

fn read_params(p: &Node) -> anyhow::Result<Pm2Params> {
    let vs = p.get("VolShock")?;
    let dte_node = vs.get("DTE_FLOOR")?;
    let dte_days = dte_node.wad()?;
    if dte_days.is_negative() {
        bail!("{}: negative", dte_node.path);
    }
    let dte_floor = u64::try_from(
        dte_days
            .mul_int(SECONDS_PER_DAY as i128)
            .map_err(|e| anyhow!("{}: {e}", dte_node.path))?
            .trunc_int(),
    )
    .map_err(|_| anyhow!("{}: out of range", dte_node.path))?;
    let m = p.get("Margin")?;
    let b = p.get("BasisContingency")?;
    let o = p.get("OtherContingency")?;
    let k = p.get("SkewShock")?;
    let mut scenarios = Vec::new();
    for s in p.get("Scenarios")?.array()? {
        let dir_node = s.get("VolShockDirection")?;
        let vol_shock = match dir_node.text()? {
            "None" => VolShock::None,
            "Up" => VolShock::Up,
            "Down" => VolShock::Down,
            "LINEAR" => VolShock::Linear,
            "ABS" => VolShock::Abs,
            other => bail!(
                "{}: unknown direction {other:?} (expected Up, Down, None, LINEAR or ABS)",
                dir_node.path
            ),
        };
        scenarios.push(Scenario {
            spot_shock: s.get("SpotShock")?.wad()?,
            vol_shock,
            dampening: s.get("DampeningFactor")?.wad()?,
        });
    }
    let params = Pm2Params {
        vol_shock: VolShockParams {
            vol_range_up: vs.get("VOLRANGEUP")?.wad()?,
            vol_range_down: vs.get("VOLRANGEDOWN")?.wad()?,
            short_term_power: vs.get("SHORTTERMPOWER")?.wad()?,
            long_term_power: vs.get("LONGTERMPOWER")?.wad()?,
            dte_floor,
            min_vol_up_shock: vs.get("MIN_VOL_EVAL_SHOCKED")?.wad()?,
        },
        margin: MarginParams {
            im_factor: m.get("IM_LOSS_FACTOR")?.wad()?,
            mm_factor: m.get("MM_LOSS_FACTOR")?.wad()?,
            long_rate_mult_scale: m.get("LONG_RATE_MULTSCALE")?.wad()?,
            long_rate_add_scale: m.get("LONG_RATE_ADDSCALE")?.wad()?,
            long_base_static_discount: m.get("BASE_STATIC_DISCOUNT")?.wad()?,
            short_rate_mult_scale: m.get("SHORT_RATE_MULTSCALE")?.wad()?,
            short_rate_add_scale: m.get("SHORT_RATE_ADDSCALE")?.wad()?,
            short_base_static_discount: m.get("BASE_STATIC_DISCOUNT_NEG")?.wad()?,
        },
        basis: BasisParams {
            scenario_spot_up: b.get("SCENARIO_SPOT_UP")?.wad()?,
            scenario_spot_down: b.get("SCENARIO_SPOT_DOWN")?.wad()?,
            add_factor: b.get("BASIS_CONT_ADD_FACTOR")?.wad()?,
            mult_factor: b.get("BASIS_CONT_MULT_FACTOR")?.wad()?,
        },
        other: OtherContingencyParams {
            peg_loss_threshold: o.get("PEG_LOSS_THRESHOLD")?.wad()?,
            peg_loss_factor: o.get("PEG_LOSS_FACTOR")?.wad()?,
            conf_threshold: o.get("CONF_THRESHOLD")?.wad()?,
            conf_margin: o.get("CONF_MARGIN")?.wad()?,
            mm_perp_percent: o.get("MM_PERP_PERCENT")?.wad()?,
            im_perp_percent: o.get("IM_PERP_PERCENT")?.wad()?,
            mm_option_percent: o.get("MM_OPTION_PERCENT")?.wad()?,
            im_option_percent: o.get("IM_OPTION_PERCENT")?.wad()?,
        },
        skew: SkewShockParams {
            linear_base_cap: k.get("LINEAR_SCALE_CAP")?.wad()?,
            linear_c_base: k.get("LINEAR_CBASE")?.wad()?,
            abs_base_cap: k.get("ABS_SCALE_CAP")?.wad()?,
            abs_c_base: k.get("ABS_CBASE")?.wad()?,
            min_k_star: k.get("MIN_K_STAR")?.wad()?,
            width_scale: k.get("MIN_WIDTH_SCALE")?.wad()?,
            vol_param_static: k.get("VOL_PARAM_STATIC")?.wad()?,
            vol_param_scale: k.get("VOL_PARAM_SCALE")?.wad()?,
        },
        scenarios,
        max_expiries: HARNESS_MAX_EXPIRIES,
        svi_max_total_variance: DEFAULT_SVI_MAX_TOTAL_VARIANCE,
    };
    params.validate_bounds().map_err(|e| {
        anyhow!(
            "{}: parameters outside the PM2 bounds (spec §3.3): {e}",
            p.path
        )
    })?;
    Ok(params)
}

fn read_expected(r: &Node) -> anyhow::Result<Pm2Expected> {
    let mut scenario_pnl = Vec::new();
    let mut group_sizes = [0; 3];
    for (size, list) in group_sizes
        .iter_mut()
        .zip(["reg_losses", "tail_losses", "skew_losses"])
    {
        let Some(entries) = r.opt(list) else { continue };
        let entries = entries.array()?;
        *size = entries.len();
        for entry in entries {
            let parts = entry.array()?;
            let last = parts
                .last()
                .ok_or_else(|| anyhow!("{}: empty entry", entry.path))?;
            scenario_pnl.push(Some(last.wad()?));
        }
    }
    let optional = |key: &str| r.opt(key).map(|n| n.wad()).transpose();
    Ok(Pm2Expected {
        im: r.get("IM")?.wad()?,
        mm: r.get("MM")?.wad()?,
        scenario_pnl,
        basis_contingency: optional("ForwardContingency")?,
        option_mtm: optional("OptionMTM")?,
        collateral_mtm: optional("CollateralMTM")?,
        portfolio_mtm: optional("PortfolioMTM")?,
        group_sizes,
        worst_group: r
            .opt("worst_all_scenarios")
            .map(|n| n.text().map(str::to_owned))
            .transpose()?,
    })
}

/// A JSON value with the path that reached it, so every error names its field.
struct Node<'a> {
    value: &'a Value,
    path: String,
}

impl<'a> Node<'a> {
    fn at(&self, key: &str) -> String {
        if self.path.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.path)
        }
    }

    fn get(&self, key: &str) -> anyhow::Result<Node<'a>> {
        self.opt(key)
            .ok_or_else(|| anyhow!("field `{}` is missing", self.at(key)))
    }

    fn opt(&self, key: &str) -> Option<Node<'a>> {
        self.value.get(key).map(|value| Node {
            value,
            path: self.at(key),
        })
    }

    fn array(&self) -> anyhow::Result<Vec<Node<'a>>> {
        let items = self
            .value
            .as_array()
            .ok_or_else(|| anyhow!("field `{}` must be an array", self.path))?;
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, value)| Node {
                value,
                path: format!("{}[{i}]", self.path),
            })
            .collect())
    }

    fn text(&self) -> anyhow::Result<&'a str> {
        self.value
            .as_str()
            .ok_or_else(|| anyhow!("field `{}` must be a string", self.path))
    }

    /// A decimal number, given as a JSON number or a string, truncated to 18 decimals (H1).
    fn wad(&self) -> anyhow::Result<Wad> {
        let text = match self.value {
            Value::Number(n) => n.to_string(),
            Value::String(s) => s.clone(),
            _ => bail!(
                "field `{}` must be a number, found {}",
                self.path,
                kind(self.value)
            ),
        };
        parse_number(&text).map_err(|e| anyhow!("field `{}`: {e} ({text:?})", self.path))
    }

    /// Whole seconds.
    fn seconds(&self) -> anyhow::Result<u64> {
        let x = self.wad()?;
        if x.is_negative() || x.raw() % keel_risk::WAD != 0 {
            bail!(
                "field `{}` must be a whole, non-negative number of seconds, found {x}",
                self.path
            );
        }
        u64::try_from(x.trunc_int()).map_err(|_| anyhow!("field `{}` is out of range", self.path))
    }

    /// `true`/`false` or `1`/`0`.
    fn flag(&self) -> anyhow::Result<bool> {
        match self.value {
            Value::Bool(b) => Ok(*b),
            _ => match self.wad() {
                Ok(x) if x == Wad::ONE => Ok(true),
                Ok(x) if x.is_zero() => Ok(false),
                _ => bail!("field `{}` must be true/false or 1/0", self.path),
            },
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Decimal text to a wad, truncating past 18 decimals; a missing integer zero (`.5`) is
/// accepted, as some of Derive's SVI strings have it. An exponent (`-6.1e-12`, which only
/// Derive's debug outputs use) is applied exactly by moving the decimal point.
pub fn parse_number(text: &str) -> anyhow::Result<Wad> {
    // Some SVI strings omit the integer zero (".0028…", "-.5").
    let padded;
    let text = if let Some(rest) = text.strip_prefix("-.") {
        padded = format!("-0.{rest}");
        padded.as_str()
    } else if let Some(rest) = text.strip_prefix('.') {
        padded = format!("0.{rest}");
        padded.as_str()
    } else {
        text
    };
    let Some(split) = text.find(['e', 'E']) else {
        return Wad::parse_decimal(text).map_err(|e| anyhow!("{e}"));
    };
    let (mantissa, exponent) = (&text[..split], &text[split + 1..]);
    let exponent: i32 = exponent
        .strip_prefix('+')
        .unwrap_or(exponent)
        .parse()
        .map_err(|_| anyhow!("bad exponent"))?;
    let (negative, body) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa),
    };
    let (int_part, frac_part) = body.split_once('.').unwrap_or((body, ""));
    if int_part.is_empty()
        || !int_part
            .bytes()
            .chain(frac_part.bytes())
            .all(|b| b.is_ascii_digit())
    {
        bail!("not a decimal number");
    }
    if !(-100..=100).contains(&exponent) {
        bail!("exponent out of range");
    }
    let digits = format!("{int_part}{frac_part}");
    let point = int_part.len() as i32 + exponent;
    let shifted = if point <= 0 {
        format!("0.{}{digits}", "0".repeat((-point) as usize))
    } else if point as usize >= digits.len() {
        format!("{digits}{}", "0".repeat(point as usize - digits.len()))
    } else {
        format!(
            "{}.{}",
            &digits[..point as usize],
            &digits[point as usize..]
        )
    };
    let signed = if negative {
        format!("-{shifted}")
    } else {
        shifted
    };
    Wad::parse_decimal(&signed).map_err(|e| anyhow!("{e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Wad {
        Wad::parse_decimal(s).unwrap()
    }

    #[test]
    fn numbers_with_exponents_shift_exactly() {
        assert_eq!(
            parse_number("-6.188544e-12").unwrap(),
            w("-0.000000000006188544")
        );
        assert_eq!(parse_number("1.5E+3").unwrap(), w("1500"));
        assert_eq!(parse_number("12e-20").unwrap(), Wad::ZERO);
        assert_eq!(
            parse_number("0.8200000000000001").unwrap(),
            w("0.8200000000000001")
        );
        assert_eq!(
            parse_number(".0028139170210715658249").unwrap(),
            w("0.002813917021071565")
        );
        assert_eq!(parse_number("-.5").unwrap(), w("-0.5"));
        assert!(parse_number(".").is_err());
        assert!(parse_number("1e").is_err());
        assert!(parse_number("x1e3").is_err());
    }

    #[test]
    fn tolerance_is_relative_or_absolute_below_one() {
        let e = w("-14604.048120144837");
        let ok = Wad::from_raw(e.raw() + e.raw().abs() / 1_000_000_000);
        let bad = Wad::from_raw(ok.raw() + 1_000_000_000);
        assert!(within_tolerance(e, ok));
        assert!(!within_tolerance(e, bad));
        assert!(within_tolerance(w("0.5"), w("0.509")));
        assert!(!within_tolerance(w("0.5"), w("0.511")));
        assert!(within_tolerance(Wad::ZERO, w("0.01")));
        assert!(!within_tolerance(w("1"), w("1.01")));
        assert!(!within_tolerance(Wad::MAX, Wad::MIN));
    }
}
