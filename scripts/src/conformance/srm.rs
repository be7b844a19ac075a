//! Reader and checker of `keel-srm-case v1` files (cross-margin spec §9.6).
//!
//! The reader is strict, as §9.6.1 asks of a v1 reader: every object must hold exactly its
//! listed keys (the only optional key is `expected.mtm`), every value its type, wads are raw
//! 18-decimal integer strings ([`Wad::parse_raw`]: no `-0`, no leading zeros), quantities
//! marked ≥ 0 must not be negative, and a position whose forward or vol point is missing is an
//! error, never a default. Errors name the JSON path at fault.
//!
//! The case is evaluated by [`keel_risk::model::cross::cross_margin`] and each expected value
//! is compared with the case's rule (§9.6.6), in integer arithmetic.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{anyhow, bail, Context};
use keel_risk::fixed::mul_div_floor_u128;
use keel_risk::model::cross::{
    cross_margin, CrossAccount, ExpiryData, ExpiryHoldings, MarketData, MarketHoldings,
    OptionHolding, SrmGlobals, SrmParams,
};
use keel_risk::{Wad, WAD};
use serde_json::{Map, Value};

use super::CheckedValue;

/// The only `format` this reader accepts.
pub const FORMAT: &str = "keel-srm-case v1";

/// How a case compares computed and expected values (§9.6.6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rule {
    /// `|c − e|·10¹⁸ / |e| ≤ 10¹⁵` (integer division), and exactly 0 when `e = 0`.
    Rel0001,
    /// `trunc(c / 10¹⁸)·10¹⁸ = e`, truncating toward zero; `e` is a whole number of dollars.
    TruncUsd,
}

impl Rule {
    /// Whether `computed` passes against `expected` under this rule.
    pub fn passes(self, expected: Wad, computed: Wad) -> bool {
        match self {
            Rule::Rel0001 => {
                if expected.is_zero() {
                    return computed.is_zero();
                }
                let diff = computed.raw().abs_diff(expected.raw());
                match mul_div_floor_u128(diff, WAD as u128, expected.raw().unsigned_abs()) {
                    Ok(scaled) => scaled <= 1_000_000_000_000_000,
                    Err(_) => false,
                }
            }
            Rule::TruncUsd => computed.trunc_int().checked_mul(WAD) == Some(expected.raw()),
        }
    }
}

/// The expected results of a case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Expected {
    /// Comparison rule.
    pub rule: Rule,
    /// Expected IM.
    pub im: Wad,
    /// Expected MM.
    pub mm: Wad,
    /// Expected MtM, when the case asserts it.
    pub mtm: Option<Wad>,
}

/// A case read from a file: the account ready for the cross model and what it should give.
#[derive(Clone, Debug)]
pub struct SrmCase {
    /// `name` of the case.
    pub name: String,
    /// Market names, in the order of [`CrossAccount::markets`].
    pub market_names: Vec<String>,
    /// The account with its market data.
    pub account: CrossAccount,
    /// Expected results.
    pub expected: Expected,
}

/// Reads one case file and compares Keel's result with the expected one.
pub fn evaluate_case(path: &Path) -> anyhow::Result<Vec<CheckedValue>> {
    let case = read_case(path)?;
    check_case(&case)
}

/// Evaluates a parsed case and compares IM, MM (and MtM when present) with its rule.
pub fn check_case(case: &SrmCase) -> anyhow::Result<Vec<CheckedValue>> {
    let result = cross_margin(&case.account).map_err(|e| {
        anyhow!(
            "cross margin of case `{}` failed: {} ({e})",
            case.name,
            e.name()
        )
    })?;
    let rule = case.expected.rule;
    let check = |label, expected: Wad, computed: Wad| CheckedValue {
        label,
        expected,
        computed,
        passed: rule.passes(expected, computed),
    };
    let mut values = vec![
        check("IM", case.expected.im, result.im),
        check("MM", case.expected.mm, result.mm),
    ];
    if let Some(mtm) = case.expected.mtm {
        values.push(check("MtM", mtm, result.mtm));
    }
    Ok(values)
}

/// Reads and validates a case file.
pub fn read_case(path: &Path) -> anyhow::Result<SrmCase> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    parse_case(&text).with_context(|| format!("{}: not a valid {FORMAT} case", path.display()))
}

/// Parses and validates the text of a case.
pub fn parse_case(text: &str) -> anyhow::Result<SrmCase> {
    let root: Value = serde_json::from_str(text).context("not JSON")?;
    let top = object(
        &root,
        "",
        &[
            "format",
            "name",
            "origin",
            "timestamp",
            "globals",
            "markets",
            "account",
            "expected",
        ],
        &[],
    )?;
    let format = string(&top["format"], "format")?;
    if format != FORMAT {
        bail!("`format`: expected \"{FORMAT}\", found \"{format}\"");
    }
    let name = string(&top["name"], "name")?.to_owned();
    let origin = object(&top["origin"], "origin", &["repository", "file"], &[])?;
    string(&origin["repository"], "origin.repository")?;
    string(&origin["file"], "origin.file")?;
    let time = timestamp(&top["timestamp"], "timestamp")?;
    let globals = read_globals(&top["globals"])?;

    let market_values = object_any(&top["markets"], "markets")?;
    let mut markets = Vec::with_capacity(market_values.len());
    let mut market_names = Vec::with_capacity(market_values.len());
    for (market_name, value) in market_values {
        markets.push(read_market(value, &format!("markets.{market_name}"))?);
        market_names.push(market_name.clone());
    }

    let account_obj = object(&top["account"], "account", &["cash", "markets"], &[])?;
    let cash = wad(&account_obj["cash"], "account.cash")?;
    let mut holdings: Vec<MarketHoldings> = markets
        .iter()
        .map(|m| MarketHoldings {
            data: m.data,
            ..MarketHoldings::default()
        })
        .collect();
    for (market_name, value) in object_any(&account_obj["markets"], "account.markets")? {
        let path = format!("account.markets.{market_name}");
        let index = market_names
            .iter()
            .position(|n| n == market_name)
            .ok_or_else(|| anyhow!("`{path}`: market `{market_name}` has no entry in `markets`"))?;
        read_positions(value, &path, &markets[index], &mut holdings[index])?;
    }

    let expected = read_expected(&top["expected"])?;
    Ok(SrmCase {
        name,
        market_names,
        account: CrossAccount {
            time,
            cash,
            globals,
            markets: holdings,
            collaterals: Vec::new(),
        },
        expected,
    })
}

/// A market's data as read, with its forward and vol tables for the option lookups.
struct MarketFile {
    data: MarketData,
    forwards: BTreeMap<u64, (Wad, Wad)>,
    vols: BTreeMap<(u64, Wad), Wad>,
    vol_confidence: BTreeMap<u64, Wad>,
}

fn read_globals(value: &Value) -> anyhow::Result<SrmGlobals> {
    let g = object(
        value,
        "globals",
        &[
            "stable_price",
            "stable_confidence",
            "depeg_threshold",
            "depeg_factor",
            "borrowing_enabled",
        ],
        &[],
    )?;
    wad_non_negative(&g["stable_confidence"], "globals.stable_confidence")?;
    boolean(&g["borrowing_enabled"], "globals.borrowing_enabled")?;
    Ok(SrmGlobals {
        stable_price: wad_non_negative(&g["stable_price"], "globals.stable_price")?,
        depeg_threshold: wad_non_negative(&g["depeg_threshold"], "globals.depeg_threshold")?,
        depeg_factor: wad_non_negative(&g["depeg_factor"], "globals.depeg_factor")?,
        ..SrmGlobals::default()
    })
}

fn read_market(value: &Value, path: &str) -> anyhow::Result<MarketFile> {
    let m = object(
        value,
        path,
        &[
            "spot",
            "spot_confidence",
            "perp_price",
            "perp_confidence",
            "params",
            "expiries",
            "vols",
        ],
        &[],
    )?;
    let field = |key: &str| wad_non_negative(&m[key], &format!("{path}.{key}"));
    let params_path = format!("{path}.params");
    let p = object(
        &m["params"],
        &params_path,
        &["option", "perp", "base", "oracle_contingency"],
        &[],
    )?;
    let option_path = format!("{params_path}.option");
    let option = object(
        &p["option"],
        &option_path,
        &[
            "max_spot_req",
            "min_spot_req",
            "mm_call_spot_req",
            "mm_put_spot_req",
            "mm_put_mtm_req",
            "unpaired_im_scale",
            "unpaired_mm_scale",
            "mm_offset_scale",
        ],
        &[],
    )?;
    let perp_path = format!("{params_path}.perp");
    let perp = object(&p["perp"], &perp_path, &["im_req", "mm_req"], &[])?;
    let base_path = format!("{params_path}.base");
    let base = object(&p["base"], &base_path, &["margin_factor", "im_scale"], &[])?;
    let oc_path = format!("{params_path}.oracle_contingency");
    let oc = object(
        &p["oracle_contingency"],
        &oc_path,
        &[
            "perp_threshold",
            "option_threshold",
            "base_threshold",
            "factor",
        ],
        &[],
    )?;
    let get = |obj: &Map<String, Value>, obj_path: &str, key: &str| {
        wad_non_negative(&obj[key], &format!("{obj_path}.{key}"))
    };
    let params = SrmParams {
        max_spot_req: get(option, &option_path, "max_spot_req")?,
        min_spot_req: get(option, &option_path, "min_spot_req")?,
        mm_call_spot_req: get(option, &option_path, "mm_call_spot_req")?,
        mm_put_spot_req: get(option, &option_path, "mm_put_spot_req")?,
        mm_put_mtm_req: get(option, &option_path, "mm_put_mtm_req")?,
        unpaired_im_scale: get(option, &option_path, "unpaired_im_scale")?,
        unpaired_mm_scale: get(option, &option_path, "unpaired_mm_scale")?,
        mm_offset_scale: get(option, &option_path, "mm_offset_scale")?,
        perp_im_req: get(perp, &perp_path, "im_req")?,
        perp_mm_req: get(perp, &perp_path, "mm_req")?,
        base_margin_factor: get(base, &base_path, "margin_factor")?,
        base_im_scale: get(base, &base_path, "im_scale")?,
        oc_perp_threshold: get(oc, &oc_path, "perp_threshold")?,
        oc_option_threshold: get(oc, &oc_path, "option_threshold")?,
        oc_base_threshold: get(oc, &oc_path, "base_threshold")?,
        oc_factor: get(oc, &oc_path, "factor")?,
    };
    let data = MarketData {
        spot: field("spot")?,
        spot_confidence: field("spot_confidence")?,
        perp_price: field("perp_price")?,
        perp_confidence: field("perp_confidence")?,
        params,
    };

    let mut forwards = BTreeMap::new();
    for (i, entry) in array(&m["expiries"], &format!("{path}.expiries"))?
        .iter()
        .enumerate()
    {
        let ep = format!("{path}.expiries[{i}]");
        let e = object(
            entry,
            &ep,
            &["expiry", "forward", "forward_confidence"],
            &[],
        )?;
        let expiry = timestamp(&e["expiry"], &format!("{ep}.expiry"))?;
        let forward = wad_non_negative(&e["forward"], &format!("{ep}.forward"))?;
        let confidence = wad_non_negative(
            &e["forward_confidence"],
            &format!("{ep}.forward_confidence"),
        )?;
        if forwards.insert(expiry, (forward, confidence)).is_some() {
            bail!("`{ep}.expiry`: a second entry for expiry {expiry}");
        }
    }
    let mut vols = BTreeMap::new();
    let mut vol_confidence: BTreeMap<u64, Wad> = BTreeMap::new();
    for (i, entry) in array(&m["vols"], &format!("{path}.vols"))?
        .iter()
        .enumerate()
    {
        let vp = format!("{path}.vols[{i}]");
        let v = object(entry, &vp, &["expiry", "strike", "vol", "confidence"], &[])?;
        let expiry = timestamp(&v["expiry"], &format!("{vp}.expiry"))?;
        let strike = wad_non_negative(&v["strike"], &format!("{vp}.strike"))?;
        let vol = wad_non_negative(&v["vol"], &format!("{vp}.vol"))?;
        let confidence = wad_non_negative(&v["confidence"], &format!("{vp}.confidence"))?;
        if vols.insert((expiry, strike), vol).is_some() {
            bail!(
                "`{vp}`: a second vol point for expiry {expiry}, strike {}",
                strike.raw()
            );
        }
        // κ^σ of an expiry is the minimum confidence over its points (§9.6.4).
        vol_confidence
            .entry(expiry)
            .and_modify(|c| *c = (*c).min(confidence))
            .or_insert(confidence);
    }
    Ok(MarketFile {
        data,
        forwards,
        vols,
        vol_confidence,
    })
}

fn read_positions(
    value: &Value,
    path: &str,
    market: &MarketFile,
    out: &mut MarketHoldings,
) -> anyhow::Result<()> {
    let a = object(
        value,
        path,
        &[
            "perp_size",
            "perp_unsettled_cash",
            "base_balance",
            "options",
        ],
        &[],
    )?;
    out.perp_size = wad(&a["perp_size"], &format!("{path}.perp_size"))?;
    out.perp_unsettled_cash = wad(
        &a["perp_unsettled_cash"],
        &format!("{path}.perp_unsettled_cash"),
    )?;
    out.base_balance = wad_non_negative(&a["base_balance"], &format!("{path}.base_balance"))?;
    let market_path = path.replacen("account.markets", "markets", 1);
    for (i, entry) in array(&a["options"], &format!("{path}.options"))?
        .iter()
        .enumerate()
    {
        let op = format!("{path}.options[{i}]");
        let o = object(entry, &op, &["expiry", "strike", "type", "amount"], &[])?;
        let expiry = timestamp(&o["expiry"], &format!("{op}.expiry"))?;
        let strike = wad_non_negative(&o["strike"], &format!("{op}.strike"))?;
        let is_call = match string(&o["type"], &format!("{op}.type"))? {
            "call" => true,
            "put" => false,
            other => bail!("`{op}.type`: expected \"call\" or \"put\", found \"{other}\""),
        };
        let amount = wad(&o["amount"], &format!("{op}.amount"))?;
        let &(forward, forward_confidence) = market.forwards.get(&expiry).ok_or_else(|| {
            anyhow!("`{op}`: no forward for expiry {expiry} in `{market_path}.expiries`")
        })?;
        let &vol = market.vols.get(&(expiry, strike)).ok_or_else(|| {
            anyhow!(
                "`{op}`: no vol point for expiry {expiry}, strike {} in `{market_path}.vols`",
                strike.raw()
            )
        })?;
        let vol_confidence = market
            .vol_confidence
            .get(&expiry)
            .copied()
            .ok_or_else(|| anyhow!("`{op}`: no vol confidence for expiry {expiry}"))?;
        let holding = OptionHolding {
            strike,
            is_call,
            amount,
            vol,
        };
        match out.expiries.iter_mut().find(|e| e.data.expiry == expiry) {
            Some(group) => group.options.push(holding),
            None => out.expiries.push(ExpiryHoldings {
                data: ExpiryData {
                    expiry,
                    forward,
                    forward_confidence,
                    vol_confidence,
                },
                options: vec![holding],
            }),
        }
    }
    Ok(())
}

fn read_expected(value: &Value) -> anyhow::Result<Expected> {
    let e = object(value, "expected", &["rule", "im", "mm"], &["mtm"])?;
    let rule = match string(&e["rule"], "expected.rule")? {
        "rel_0.001" => Rule::Rel0001,
        "trunc_usd" => Rule::TruncUsd,
        other => {
            bail!("`expected.rule`: expected \"rel_0.001\" or \"trunc_usd\", found \"{other}\"")
        }
    };
    let im = wad(&e["im"], "expected.im")?;
    let mm = wad(&e["mm"], "expected.mm")?;
    let mtm = e.get("mtm").map(|v| wad(v, "expected.mtm")).transpose()?;
    if rule == Rule::TruncUsd {
        for (key, value) in [("im", Some(im)), ("mm", Some(mm)), ("mtm", mtm)] {
            if let Some(v) = value {
                if v.raw() % WAD != 0 {
                    bail!("`expected.{key}`: a trunc_usd value must be a whole number of dollars");
                }
            }
        }
    }
    Ok(Expected { rule, im, mm, mtm })
}

// ---------------------------------------------------------------- typed accessors

fn display_path(path: &str) -> &str {
    if path.is_empty() {
        "(top level)"
    } else {
        path
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

/// An object with exactly the `required` keys plus any of the `optional` ones.
fn object<'a>(
    value: &'a Value,
    path: &str,
    required: &[&str],
    optional: &[&str],
) -> anyhow::Result<&'a Map<String, Value>> {
    let map = object_any(value, path)?;
    for key in map.keys() {
        if !required.contains(&key.as_str()) && !optional.contains(&key.as_str()) {
            bail!("`{}`: unknown key", join(path, key));
        }
    }
    for key in required {
        if !map.contains_key(*key) {
            bail!("`{}`: missing key", join(path, key));
        }
    }
    Ok(map)
}

fn object_any<'a>(value: &'a Value, path: &str) -> anyhow::Result<&'a Map<String, Value>> {
    value.as_object().ok_or_else(|| {
        anyhow!(
            "`{}`: expected an object, found {}",
            display_path(path),
            type_name(value)
        )
    })
}

fn array<'a>(value: &'a Value, path: &str) -> anyhow::Result<&'a Vec<Value>> {
    value
        .as_array()
        .ok_or_else(|| anyhow!("`{path}`: expected an array, found {}", type_name(value)))
}

fn string<'a>(value: &'a Value, path: &str) -> anyhow::Result<&'a str> {
    value
        .as_str()
        .ok_or_else(|| anyhow!("`{path}`: expected a string, found {}", type_name(value)))
}

fn boolean(value: &Value, path: &str) -> anyhow::Result<bool> {
    value.as_bool().ok_or_else(|| {
        anyhow!(
            "`{path}`: expected true or false, found {}",
            type_name(value)
        )
    })
}

/// A JSON integer in `[0, 2⁶⁴)`: no sign, fraction or exponent.
fn timestamp(value: &Value, path: &str) -> anyhow::Result<u64> {
    let Value::Number(number) = value else {
        bail!(
            "`{path}`: expected an integer timestamp, found {}",
            type_name(value)
        );
    };
    let text = number.to_string();
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        bail!("`{path}`: expected a non-negative integer timestamp, found {text}");
    }
    text.parse::<u64>()
        .map_err(|_| anyhow!("`{path}`: timestamp {text} does not fit in 64 bits"))
}

/// A wad: a raw 10⁻¹⁸ integer string.
fn wad(value: &Value, path: &str) -> anyhow::Result<Wad> {
    let text = value.as_str().ok_or_else(|| {
        anyhow!(
            "`{path}`: expected a wad (integer string), found {}",
            type_name(value)
        )
    })?;
    Wad::parse_raw(text).map_err(|e| anyhow!("`{path}`: malformed wad \"{text}\": {e}"))
}

fn wad_non_negative(value: &Value, path: &str) -> anyhow::Result<Wad> {
    let x = wad(value, path)?;
    if x.is_negative() {
        bail!("`{path}`: must not be negative, found {x}");
    }
    Ok(x)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Wad {
        Wad::parse_decimal(s).unwrap()
    }

    #[test]
    fn rel_rule_is_integer_and_exact_at_zero() {
        let r = Rule::Rel0001;
        assert!(r.passes(Wad::ZERO, Wad::ZERO));
        assert!(!r.passes(Wad::ZERO, Wad::from_raw(1)));
        assert!(r.passes(w("1000"), w("1001")));
        assert!(r.passes(w("-1000"), w("-999")));
        // The integer division rounds down: 10¹⁵ + 0.999 passes, 10¹⁵ + 1 does not.
        assert!(r.passes(w("1000"), w("1001.000000000000000999")));
        assert!(!r.passes(w("1000"), w("1001.000000000000001")));
        assert!(!r.passes(w("-1000"), w("1000")));
        // |c − e|·10¹⁸ would overflow i128 here; the 256-bit path still decides.
        assert!(!r.passes(w("1"), w("100000000000")));
        assert!(!r.passes(Wad::MAX, Wad::MIN));
    }

    /// §12 pitfall 1: whole dollars by truncation toward zero, not floor.
    #[test]
    fn trunc_usd_truncates_toward_zero() {
        let r = Rule::TruncUsd;
        assert!(r.passes(w("-200"), w("-200.0000000000089")));
        assert!(!r.passes(w("-201"), w("-200.0000000000089")));
        assert!(r.passes(w("879"), w("879.9999999999")));
        assert!(!r.passes(w("880"), w("879.9999999999")));
        assert!(r.passes(Wad::ZERO, w("-0.5")));
        assert!(r.passes(Wad::ZERO, w("0.5")));
    }
}
