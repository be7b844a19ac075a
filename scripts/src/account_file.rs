//! The `keel-account v1` file format read by `keel margin`.
//!
//! An account file describes market data, collateral assets, and one account's cash,
//! collateral and positions, in TOML (`.toml`) or JSON (`.json`, same structure). Every
//! number may be written as a number or as a decimal string; strings are exact to 18
//! decimals, numbers are exact up to 15 significant digits. Times are unix seconds or
//! ISO-8601 UTC strings: `"2026-12-25"` (08:00 UTC, the usual option expiry time) or
//! `"2026-12-25T08:00:00Z"`. See `examples/README.md` for the full reference.
//!
//! Reading goes in two steps: serde checks the shape (a missing or unknown key is reported
//! with its path), then [`AccountFile::resolve`] checks the meaning (negative vol, expiry in
//! the past, unknown asset…) and builds the [`keel_risk::model::account`] types, naming the
//! offending field in every error.

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;

use anyhow::{anyhow, bail, Context, Result};
use keel_risk::math::{annualise, SviParams};
use keel_risk::model::account::{
    Account, AssignedCollateral, CollateralAsset, ExpiryMarket, Instrument, MarketSnapshot,
    Position, UnderlyingMarket,
};
use keel_risk::Wad;
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer};

/// The only format string this reader accepts.
pub const FORMAT: &str = "keel-account v1";

/// A decimal number read exactly from a string or a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Dec(pub Wad);

impl<'de> Deserialize<'de> for Dec {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Dec, D::Error> {
        deserializer.deserialize_any(DecVisitor)
    }
}

struct DecVisitor;

impl DecVisitor {
    fn parse<E: de::Error>(text: &str) -> Result<Dec, E> {
        Wad::parse_decimal(text.trim())
            .map(Dec)
            .map_err(|e| E::custom(format!("`{text}` is {e}")))
    }
}

impl<'de> Visitor<'de> for DecVisitor {
    type Value = Dec;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal number (number or string)")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Dec, E> {
        Self::parse(&v.to_string())
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Dec, E> {
        Self::parse(&v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Dec, E> {
        if !v.is_finite() {
            return Err(E::custom("not a finite number"));
        }
        // `Display` prints the shortest text that reads back as the same double, which is
        // the literal the user wrote whenever it has at most 15 significant digits.
        Self::parse(&v.to_string())
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Dec, E> {
        Self::parse(v)
    }

    // serde_json with `arbitrary_precision` (enabled in this workspace so that case files
    // keep every digit) hands numbers over as a one-entry map holding the literal text.
    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Dec, A::Error> {
        let entry: Option<(String, String)> = map.next_entry()?;
        match entry {
            Some((_, text)) => Self::parse(&text),
            None => Err(de::Error::custom("expected a number")),
        }
    }
}

/// A time: unix seconds or an ISO-8601 UTC date / date-time.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Time(pub u64);

impl<'de> Deserialize<'de> for Time {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Time, D::Error> {
        deserializer.deserialize_any(TimeVisitor)
    }
}

struct TimeVisitor;

impl<'de> Visitor<'de> for TimeVisitor {
    type Value = Time;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("unix seconds or a date such as \"2026-12-25\" / \"2026-12-25T08:00:00Z\"")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Time, E> {
        u64::try_from(v)
            .map(Time)
            .map_err(|_| E::custom("a time cannot be negative"))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Time, E> {
        Ok(Time(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Time, E> {
        parse_utc(v).map(Time).map_err(E::custom)
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Time, A::Error> {
        let entry: Option<(String, String)> = map.next_entry()?;
        match entry {
            Some((_, text)) => text
                .parse::<u64>()
                .map(Time)
                .map_err(|_| de::Error::custom(format!("`{text}` is not whole unix seconds"))),
            None => Err(de::Error::custom("expected a time")),
        }
    }
}

/// Parses `YYYY-MM-DD` (taken at 08:00 UTC) or `YYYY-MM-DDTHH:MM:SSZ` into unix seconds.
pub fn parse_utc(text: &str) -> std::result::Result<u64, String> {
    let bad = || format!("`{text}` is not a date (YYYY-MM-DD) or UTC time (YYYY-MM-DDTHH:MM:SSZ)");
    let (date, clock) = match text.split_once('T') {
        Some((d, t)) => (d, Some(t.strip_suffix('Z').ok_or_else(bad)?)),
        None => (text, None),
    };
    let numbers = |s: &str, n: usize| -> std::result::Result<Vec<u64>, String> {
        let parts: Vec<&str> = s.split(['-', ':']).collect();
        if parts.len() != n
            || parts
                .iter()
                .any(|p| p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(bad());
        }
        parts
            .iter()
            .map(|p| p.parse::<u64>().map_err(|_| bad()))
            .collect()
    };
    let ymd = numbers(date, 3)?;
    let (year, month, day) = (ymd[0], ymd[1], ymd[2]);
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if year < 1970 || day == 0 || day > days_in_month {
        return Err(bad());
    }
    let (hour, minute, second) = match clock {
        None => (8, 0, 0),
        Some(c) => {
            let hms = numbers(c, 3)?;
            if hms[0] > 23 || hms[1] > 59 || hms[2] > 59 {
                return Err(bad());
            }
            (hms[0], hms[1], hms[2])
        }
    };
    Ok(days_from_civil(year, month, day) * 86_400 + hour * 3600 + minute * 60 + second)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (year ≥ 1970).
fn days_from_civil(year: u64, month: u64, day: u64) -> u64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y / 400;
    let year_of_era = y - era * 400;
    let shifted_month = (month + 9) % 12; // March = 0
    let day_of_year = (153 * shifted_month + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// The whole file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountFile {
    /// Must be [`FORMAT`].
    pub format: String,
    /// Evaluation time.
    pub now: Time,
    /// USD price of the cash asset (default 1).
    #[serde(default)]
    pub stable_price: Option<Dec>,
    /// Underlyings by name.
    pub underlyings: BTreeMap<String, UnderlyingEntry>,
    /// Collateral assets by name.
    #[serde(default)]
    pub assets: BTreeMap<String, AssetEntry>,
    /// The account to margin.
    pub account: AccountEntry,
}

/// `[underlyings.NAME]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnderlyingEntry {
    /// Spot price.
    pub spot: Dec,
    /// Spot confidence (default 1).
    #[serde(default)]
    pub spot_confidence: Option<Dec>,
    /// Perp mark price (default: spot).
    #[serde(default)]
    pub perp_price: Option<Dec>,
    /// Perp confidence (default 1).
    #[serde(default)]
    pub perp_confidence: Option<Dec>,
    /// Listed expiries.
    #[serde(default)]
    pub expiries: Vec<ExpiryEntry>,
}

/// `[[underlyings.NAME.expiries]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpiryEntry {
    /// Expiry time.
    pub expiry: Time,
    /// Forward price.
    pub forward: Dec,
    /// Annual continuously-compounded rate (default 0).
    #[serde(default)]
    pub rate: Option<Dec>,
    /// A flat implied vol for every strike (give this or `svi`).
    #[serde(default)]
    pub vol: Option<Dec>,
    /// A raw-SVI surface (give this or `vol`).
    #[serde(default)]
    pub svi: Option<SviEntry>,
    /// Confidence of forward, rate and vol (default 1).
    #[serde(default)]
    pub confidence: Option<Dec>,
}

/// Raw-SVI parameters; `forward` and `tau` default to the expiry's own.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SviEntry {
    /// `a`.
    pub a: Dec,
    /// `b`.
    pub b: Dec,
    /// `ρ`.
    pub rho: Dec,
    /// `m`.
    pub m: Dec,
    /// `σ`.
    pub sigma: Dec,
    /// Reference forward (default: the expiry's forward).
    #[serde(default)]
    pub forward: Option<Dec>,
    /// Reference time in years (default: the expiry's time to expiry).
    #[serde(default)]
    pub tau: Option<Dec>,
}

/// `[assets.NAME]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetEntry {
    /// USD price.
    pub price: Dec,
    /// Price confidence (default 1).
    #[serde(default)]
    pub confidence: Option<Dec>,
    /// Maintenance haircut.
    pub mm_haircut: Dec,
    /// Extra initial haircut.
    pub im_haircut: Dec,
    /// Name of the underlying this asset tracks, if it cancels that underlying's risk.
    #[serde(default)]
    pub risk_cancelling: Option<String>,
}

/// `[account]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountEntry {
    /// Cash (default 0).
    #[serde(default)]
    pub cash: Option<Dec>,
    /// Collateral balances by asset name.
    #[serde(default)]
    pub collateral: BTreeMap<String, Dec>,
    /// Positions.
    #[serde(default)]
    pub positions: Vec<PositionEntry>,
}

/// `[[account.positions]]`.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PositionEntry {
    /// Underlying name.
    pub underlying: String,
    /// `call`, `put` or `perp`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Signed size (long > 0).
    pub size: Dec,
    /// Option expiry.
    #[serde(default)]
    pub expiry: Option<Time>,
    /// Option strike.
    #[serde(default)]
    pub strike: Option<Dec>,
    /// Perp entry price: unsettled PnL = (perp price − entry) · size.
    #[serde(default)]
    pub entry_price: Option<Dec>,
    /// Perp unsettled funding (signed USD, default 0).
    #[serde(default)]
    pub funding: Option<Dec>,
    /// Collateral assigned to this position in isolated mode: `cash` and/or asset names.
    #[serde(default)]
    pub isolated: BTreeMap<String, Dec>,
}

/// A resolved file: the model types plus the names behind their indices.
#[derive(Clone, Debug)]
pub struct ResolvedAccount {
    /// Market data.
    pub market: MarketSnapshot,
    /// The account.
    pub account: Account,
    /// Underlying names by index.
    pub underlying_names: Vec<String>,
    /// Asset names by index.
    pub asset_names: Vec<String>,
    /// A short label per position (`ETH 2026-12-25 3000 call ×-10`).
    pub position_labels: Vec<String>,
}

impl AccountFile {
    /// Reads and resolves a `.toml` or `.json` account file.
    pub fn load(path: &Path) -> Result<ResolvedAccount> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let is_json = path.extension().is_some_and(|e| e == "json");
        let file = if is_json {
            Self::from_json(&text)
        } else {
            Self::from_toml(&text)
        }
        .with_context(|| format!("{}", path.display()))?;
        file.resolve()
            .with_context(|| format!("{}", path.display()))
    }

    /// Parses TOML text; shape errors name the key path.
    pub fn from_toml(text: &str) -> Result<AccountFile> {
        let deserializer = toml::Deserializer::parse(text).map_err(|e| anyhow!("{e}"))?;
        serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let path = e.path().to_string();
            anyhow!("at `{path}`: {}", e.into_inner().message().trim())
        })
    }

    /// Parses JSON text; shape errors name the key path.
    pub fn from_json(text: &str) -> Result<AccountFile> {
        let mut deserializer = serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(&mut deserializer).map_err(|e| {
            let path = e.path().to_string();
            anyhow!("at `{path}`: {}", e.into_inner())
        })
    }

    /// Checks the meaning of every field and builds the model types.
    pub fn resolve(self) -> Result<ResolvedAccount> {
        if self.format != FORMAT {
            bail!(
                "`format` is `{}`, this reader understands only `{FORMAT}`",
                self.format
            );
        }
        let now = self.now.0;
        let stable_price = positive("stable_price", self.stable_price, Wad::ONE)?;

        let underlying_names: Vec<String> = self.underlyings.keys().cloned().collect();
        let asset_names: Vec<String> = self.assets.keys().cloned().collect();
        let underlying_index = |field: &str, name: &str| -> Result<u32> {
            underlying_names
                .iter()
                .position(|n| n == name)
                .map(|i| i as u32)
                .ok_or_else(|| {
                    anyhow!(
                        "`{field}`: unknown underlying `{name}` (listed: {})",
                        underlying_names.join(", ")
                    )
                })
        };
        let asset_index = |field: &str, name: &str| -> Result<u32> {
            asset_names
                .iter()
                .position(|n| n == name)
                .map(|i| i as u32)
                .ok_or_else(|| {
                    anyhow!(
                        "`{field}`: unknown asset `{name}` (listed: {})",
                        asset_names.join(", ")
                    )
                })
        };

        let mut underlyings = Vec::new();
        for (name, entry) in &self.underlyings {
            let at = format!("underlyings.{name}");
            let spot = positive(&format!("{at}.spot"), Some(entry.spot), Wad::ZERO)?;
            let mut expiries: Vec<ExpiryMarket> = Vec::new();
            for (i, e) in entry.expiries.iter().enumerate() {
                let at = format!("{at}.expiries[{i}]");
                expiries.push(resolve_expiry(&at, e, now)?);
                let expiry = e.expiry.0;
                if expiries[..expiries.len() - 1]
                    .iter()
                    .any(|x| x.expiry == expiry)
                {
                    bail!("`{at}.expiry`: expiry {expiry} is listed twice for `{name}`");
                }
            }
            underlyings.push(UnderlyingMarket {
                spot,
                spot_confidence: confidence(
                    &format!("{at}.spot_confidence"),
                    entry.spot_confidence,
                )?,
                perp_price: positive(&format!("{at}.perp_price"), entry.perp_price, spot)?,
                perp_confidence: confidence(
                    &format!("{at}.perp_confidence"),
                    entry.perp_confidence,
                )?,
                expiries,
            });
        }

        let mut assets = Vec::new();
        for (name, entry) in &self.assets {
            let at = format!("assets.{name}");
            let mm_haircut = fraction(&format!("{at}.mm_haircut"), entry.mm_haircut)?;
            let im_haircut = fraction(&format!("{at}.im_haircut"), entry.im_haircut)?;
            if mm_haircut.add(im_haircut)? > Wad::ONE {
                bail!("`{at}`: mm_haircut + im_haircut must not exceed 1");
            }
            let risk_cancelling_underlying = match &entry.risk_cancelling {
                Some(u) => Some(underlying_index(&format!("{at}.risk_cancelling"), u)?),
                None => None,
            };
            assets.push(CollateralAsset {
                price: positive(&format!("{at}.price"), Some(entry.price), Wad::ZERO)?,
                confidence: confidence(&format!("{at}.confidence"), entry.confidence)?,
                mm_haircut,
                im_haircut,
                risk_cancelling_underlying,
            });
        }

        let cash = self.account.cash.map_or(Wad::ZERO, |d| d.0);
        let mut collateral = vec![Wad::ZERO; assets.len()];
        for (name, amount) in &self.account.collateral {
            let field = format!("account.collateral.{name}");
            let index = asset_index(&field, name)? as usize;
            collateral[index] = non_negative(&field, amount.0)?;
        }

        let mut positions = Vec::new();
        let mut position_labels = Vec::new();
        let mut assigned_cash = Wad::ZERO;
        let mut assigned_assets = vec![Wad::ZERO; assets.len()];
        for (i, p) in self.account.positions.iter().enumerate() {
            let at = format!("account.positions[{i}]");
            let underlying = underlying_index(&format!("{at}.underlying"), &p.underlying)?;
            let market = &underlyings[underlying as usize];
            if p.size.0.is_zero() {
                bail!("`{at}.size`: a position cannot have size 0");
            }
            let (instrument, label) = match p.kind.as_str() {
                "perp" => {
                    for (present, key) in [
                        (p.expiry.is_some(), "expiry"),
                        (p.strike.is_some(), "strike"),
                    ] {
                        if present {
                            bail!("`{at}.{key}`: a perp has no {key}");
                        }
                    }
                    let pnl = match p.entry_price {
                        Some(entry) => {
                            let entry =
                                positive(&format!("{at}.entry_price"), Some(entry), Wad::ZERO)?;
                            market.perp_price.sub(entry)?.mul(p.size.0)?
                        }
                        None => Wad::ZERO,
                    };
                    let unsettled = pnl.add(p.funding.map_or(Wad::ZERO, |d| d.0))?;
                    (
                        Instrument::Perp { unsettled },
                        format!("{} perp ×{}", p.underlying, p.size.0),
                    )
                }
                "call" | "put" => {
                    if p.entry_price.is_some() || p.funding.is_some() {
                        bail!("`{at}`: entry_price and funding apply to perps only");
                    }
                    let expiry = p
                        .expiry
                        .ok_or_else(|| anyhow!("`{at}.expiry` is missing"))?
                        .0;
                    let strike = p
                        .strike
                        .ok_or_else(|| anyhow!("`{at}.strike` is missing"))?
                        .0;
                    if !strike.is_positive() {
                        bail!("`{at}.strike` must be positive, got {strike}");
                    }
                    if !market.expiries.iter().any(|e| e.expiry == expiry) {
                        bail!(
                            "`{at}.expiry`: {} has no market data for expiry {expiry} ({}); add it under `underlyings.{}.expiries`",
                            p.underlying,
                            format_utc(expiry),
                            p.underlying
                        );
                    }
                    let is_call = p.kind == "call";
                    let label = format!(
                        "{} {} {} {} ×{}",
                        p.underlying,
                        format_utc(expiry).get(..10).unwrap_or_default(),
                        strike,
                        p.kind,
                        p.size.0
                    );
                    (
                        Instrument::Option {
                            expiry,
                            strike,
                            is_call,
                        },
                        label,
                    )
                }
                other => bail!("`{at}.type` is `{other}`; expected `call`, `put` or `perp`"),
            };
            let mut isolated = AssignedCollateral::default();
            for (name, amount) in &p.isolated {
                let field = format!("{at}.isolated.{name}");
                let amount = non_negative(&field, amount.0)?;
                if name == "cash" {
                    isolated.cash = amount;
                    assigned_cash = assigned_cash.add(amount)?;
                } else {
                    let index = asset_index(&field, name)?;
                    isolated.assets.push((index, amount));
                    let total = &mut assigned_assets[index as usize];
                    *total = total.add(amount)?;
                }
            }
            positions.push(Position {
                underlying,
                instrument,
                size: p.size.0,
                isolated_collateral: isolated,
            });
            position_labels.push(label);
        }
        if assigned_cash > cash.max_zero() {
            bail!("`account.positions[*].isolated.cash`: {assigned_cash} assigned but the account holds {cash}");
        }
        for (index, assigned) in assigned_assets.iter().enumerate() {
            if *assigned > collateral[index] {
                bail!(
                    "`account.positions[*].isolated.{}`: {assigned} assigned but the account holds {}",
                    asset_names[index],
                    collateral[index]
                );
            }
        }

        Ok(ResolvedAccount {
            market: MarketSnapshot {
                now,
                stable_price,
                underlyings,
                assets,
            },
            account: Account {
                cash,
                collateral,
                positions,
            },
            underlying_names,
            asset_names,
            position_labels,
        })
    }
}

fn resolve_expiry(at: &str, e: &ExpiryEntry, now: u64) -> Result<ExpiryMarket> {
    let expiry = e.expiry.0;
    if expiry <= now {
        bail!(
            "`{at}.expiry`: {} is not after `now` ({}); expired options must be settled, not margined",
            format_utc(expiry),
            format_utc(now)
        );
    }
    let forward = positive(&format!("{at}.forward"), Some(e.forward), Wad::ZERO)?;
    let tau = annualise(expiry - now);
    let svi = match (&e.vol, &e.svi) {
        (Some(vol), None) => {
            let vol = vol.0;
            if !vol.is_positive() {
                bail!("`{at}.vol` must be positive, got {vol}");
            }
            if vol > Wad::from_int(10) {
                bail!("`{at}.vol` is {vol}; vols are fractions (0.6 = 60 %), at most 10");
            }
            // A flat smile: raw SVI with b = 0 gives total variance a = σ²·τ at every strike.
            SviParams {
                a: vol.mul(vol)?.mul(tau)?,
                forward,
                tau,
                ..SviParams::default()
            }
        }
        (None, Some(s)) => {
            let svi = SviParams {
                a: s.a.0,
                b: s.b.0,
                rho: s.rho.0,
                m: s.m.0,
                sigma: s.sigma.0,
                forward: s.forward.map_or(forward, |d| d.0),
                tau: s.tau.map_or(tau, |d| d.0),
            };
            if svi.b.is_negative() || svi.sigma.is_negative() {
                bail!("`{at}.svi`: b and sigma must not be negative");
            }
            if svi.rho.abs()? >= Wad::ONE {
                bail!("`{at}.svi.rho` must lie strictly between -1 and 1");
            }
            if !svi.forward.is_positive() || !svi.tau.is_positive() {
                bail!("`{at}.svi`: forward and tau must be positive");
            }
            svi
        }
        (Some(_), Some(_)) => bail!("`{at}`: give either `vol` or `svi`, not both"),
        (None, None) => bail!("`{at}`: a vol is missing; give `vol` (flat) or `svi`"),
    };
    let conf = confidence(&format!("{at}.confidence"), e.confidence)?;
    Ok(ExpiryMarket {
        expiry,
        forward,
        forward_fixed: Wad::ZERO,
        forward_confidence: conf,
        rate: e.rate.map_or(Wad::ZERO, |d| d.0),
        rate_confidence: conf,
        svi,
        vol_confidence: conf,
    })
}

fn positive(field: &str, value: Option<Dec>, default: Wad) -> Result<Wad> {
    let v = value.map_or(default, |d| d.0);
    if !v.is_positive() {
        bail!("`{field}` must be positive, got {v}");
    }
    Ok(v)
}

fn non_negative(field: &str, v: Wad) -> Result<Wad> {
    if v.is_negative() {
        bail!("`{field}` must not be negative, got {v}");
    }
    Ok(v)
}

fn fraction(field: &str, value: Dec) -> Result<Wad> {
    let v = value.0;
    if v.is_negative() || v > Wad::ONE {
        bail!("`{field}` must lie in [0, 1], got {v}");
    }
    Ok(v)
}

fn confidence(field: &str, value: Option<Dec>) -> Result<Wad> {
    fraction(field, value.unwrap_or(Dec(Wad::ONE)))
}

/// `YYYY-MM-DDTHH:MM:SSZ` of unix seconds.
pub fn format_utc(seconds: u64) -> String {
    let days = seconds / 86_400;
    let rem = seconds % 86_400;
    // Inverse of `days_from_civil`.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_and_match_known_timestamps() {
        assert_eq!(parse_utc("1970-01-01T00:00:00Z").unwrap(), 0);
        assert_eq!(parse_utc("2021-08-26T17:46:40Z").unwrap(), 1_630_000_000);
        assert_eq!(parse_utc("2024-02-29").unwrap(), 1_709_193_600);
        for t in [0u64, 1_630_000_000, 1_709_222_400, 4_102_444_800] {
            assert_eq!(parse_utc(&format_utc(t)).unwrap(), t);
        }
        for bad in [
            "2023-02-29",
            "2026-13-01",
            "2026-1-1x",
            "2026-12-25T25:00:00Z",
            "2026-12-25T08:00:00",
        ] {
            assert!(parse_utc(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn decimals_are_exact_from_strings_and_short_numbers() {
        #[derive(Deserialize)]
        struct T {
            a: Dec,
            b: Dec,
            c: Dec,
        }
        let t: T = toml::from_str("a = 0.1\nb = \"123456789.123456789123456789\"\nc = -7").unwrap();
        assert_eq!(t.a.0, Wad::parse_decimal("0.1").unwrap());
        assert_eq!(
            t.b.0,
            Wad::parse_decimal("123456789.123456789123456789").unwrap()
        );
        assert_eq!(t.c.0, Wad::from_int(-7));
        let j: T = serde_json::from_str(r#"{"a": 0.1, "b": "2.5", "c": 100}"#).unwrap();
        assert_eq!(j.a.0, Wad::parse_decimal("0.1").unwrap());
        assert_eq!(j.c.0, Wad::from_int(100));
        // JSON numbers keep their literal text, so an exponent reaches the decimal reader and
        // is refused rather than rounded through a double.
        assert!(serde_json::from_str::<T>(r#"{"a": 1e2, "b": 1, "c": 1}"#).is_err());
    }
}
