//! `keel margin`: one account margined in isolated, cross and portfolio mode, side by side.
//!
//! The numbers come from [`keel_risk::model::account::compare_modes`], the same code the
//! contracts run; this module only lays them out, as a table for people or as JSON (every
//! number an exact decimal string) for machines.

use std::fmt::Write as _;

use anyhow::Result;
use keel_risk::model::account::{compare_modes, ModeComparison, ModeSummary, RiskParams};
use keel_risk::model::portfolio::{VolShock, WorstCase};
use keel_risk::Wad;
use serde_json::{json, Value};

use crate::account_file::{format_utc, ResolvedAccount};

/// Picks one figure of a mode's summary.
type ModeField = fn(&ModeSummary) -> Wad;

/// The report of one account file.
pub struct MarginReport {
    /// Where the account came from (shown in the header).
    pub source: String,
    /// The resolved account and market data.
    pub resolved: ResolvedAccount,
    /// The three modes.
    pub comparison: ModeComparison,
}

impl MarginReport {
    /// Margins `resolved` under Keel's default parameters.
    pub fn build(source: String, resolved: ResolvedAccount) -> Result<MarginReport> {
        let params = RiskParams::keel_default();
        let comparison = compare_modes(&resolved.account, &resolved.market, &params)
            .map_err(|e| anyhow::anyhow!("cannot margin the account: {e} ({})", e.name()))?;
        Ok(MarginReport {
            source,
            resolved,
            comparison,
        })
    }

    /// The human-readable table.
    pub fn to_text(&self) -> String {
        let c = &self.comparison;
        let r = &self.resolved;
        let mut out = String::new();
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let _ = writeln!(out, "Keel margin report: {}", self.source);
        let _ = writeln!(
            out,
            "as of {} · {} · {} · {}\n",
            format_utc(r.market.now),
            plural(r.underlying_names.len(), "underlying"),
            plural(r.account.positions.len(), "position"),
            plural(r.asset_names.len(), "collateral asset"),
        );
        let modes = [
            ("isolated", &c.isolated),
            ("cross", &c.cross),
            ("portfolio", &c.portfolio),
        ];
        let _ = writeln!(
            out,
            "{:<28}{:>16}{:>16}{:>16}",
            "USD", "isolated", "cross", "portfolio"
        );
        let rows: [(&str, ModeField); 5] = [
            ("account value (MtM)", |m| m.mtm),
            ("initial requirement", |m| m.im_requirement),
            ("maintenance requirement", |m| m.mm_requirement),
            ("initial margin surplus", |m| m.im),
            ("maintenance margin surplus", |m| m.mm),
        ];
        for (label, value) in rows {
            let _ = write!(out, "{label:<28}");
            for (_, m) in modes {
                let _ = write!(out, "{:>16}", usd(value(m)));
            }
            out.push('\n');
        }
        let _ = write!(out, "{:<28}", "status");
        for (name, m) in modes {
            let _ = write!(out, "{:>16}", status(name, m));
        }
        out.push('\n');
        out.push_str(
            "(cross and isolated value options undiscounted, as SRM does; portfolio discounts each \
             expiry at its rate, as PM2 does)\n\n",
        );

        if let (Ok(vs_cross), Ok(vs_isolated)) = (
            c.portfolio_frees_vs_cross(),
            c.portfolio_frees_vs_isolated(),
        ) {
            let _ = writeln!(
                out,
                "Portfolio margin {} {} USD of collateral versus cross{} and {} {} USD versus isolated{}.",
                frees_or_locks(vs_cross),
                usd(abs(vs_cross)),
                share(vs_cross, c.cross.im_requirement),
                frees_or_locks(vs_isolated),
                usd(abs(vs_isolated)),
                share(vs_isolated, c.isolated.im_requirement),
            );
        }

        out.push_str(
            "\nIsolated positions (each secured only by its assigned collateral; gross: a row's IM required\nincludes what its short options are worth, its collateral is valued after haircuts)\n",
        );
        let _ = writeln!(
            out,
            "  {:<36}{:>14}{:>14}{:>14}{:>14}",
            "position", "IM required", "collateral", "IM surplus", "MM surplus"
        );
        for (label, p) in r.position_labels.iter().zip(&c.isolated_detail.positions) {
            let _ = writeln!(
                out,
                "  {:<36}{:>14}{:>14}{:>14}{:>14}{}",
                label,
                usd(p.requirement_im),
                usd(p.collateral_im),
                usd(p.surplus_im),
                usd(p.surplus_mm),
                if p.liquidatable {
                    "  would be liquidated alone"
                } else {
                    ""
                }
            );
        }

        let rows = &c.isolated_detail.positions;
        let sum = |f: fn(&keel_risk::model::isolated::PositionMargin) -> Wad| {
            rows.iter()
                .try_fold(Wad::ZERO, |t, p| t.add(f(p)))
                .unwrap_or(Wad::ZERO)
        };
        let (required, collateral) = (sum(|p| p.requirement_im), sum(|p| p.collateral_im));
        let _ = writeln!(
            out,
            "  {:<36}{:>14}{:>14}{:>14}{:>14}",
            "total",
            usd(required),
            usd(collateral),
            usd(sum(|p| p.surplus_im)),
            usd(sum(|p| p.surplus_mm)),
        );
        if let Ok(gap) = required.sub(c.isolated.im_requirement) {
            if gap != Wad::ZERO {
                let _ = writeln!(
                    out,
                    "  The rows' {} USD exceed the headline's isolated initial requirement, {} USD, by {} USD: the\n  headline is measured against the account's value, where short options already count at their\n  marks as liabilities and collateral before haircuts; the surpluses are the same either way.",
                    usd(required),
                    usd(c.isolated.im_requirement),
                    usd(gap)
                );
            }
        }

        let pm = &c.portfolio_detail.breakdown;
        out.push_str("\nPortfolio: worst loss per underlying\n");
        for (book, &underlying) in pm.underlyings.iter().zip(&c.portfolio_underlyings) {
            let name = r
                .underlying_names
                .get(underlying as usize)
                .map_or("?", String::as_str);
            let _ = writeln!(
                out,
                "  {:<8} {:>14}  from {}",
                name,
                usd(book.worst_loss),
                self.describe_worst(book.worst)
            );
        }
        let _ = writeln!(
            out,
            "  loss factors IM {} / MM {}; contingencies MM {} (perp {}, options {}, collateral {}), IM extra {} (incl. oracle {})",
            pm.im_loss_factor,
            pm.mm_loss_factor,
            usd(pm.mm_contingency),
            usd(pm.perp_mm),
            usd(pm.option_mm),
            usd(pm.collateral_mm),
            usd(pm.im_contingency),
            usd(pm.oracle_im),
        );
        out
    }

    fn describe_worst(&self, worst: WorstCase) -> String {
        match worst {
            WorstCase::Basis => "the basis (forward) contingency".to_string(),
            WorstCase::Scenario(i) => {
                let params = RiskParams::keel_default();
                match params.portfolio.scenarios.get(i) {
                    Some(s) => {
                        let vol = match s.vol_shock {
                            VolShock::None => "vol unchanged",
                            VolShock::Up => "vol up",
                            VolShock::Down => "vol down",
                            VolShock::Linear => "linear skew shock",
                            VolShock::Abs => "smile (abs) shock",
                        };
                        format!(
                            "scenario {i}: spot ×{}, {vol}, weight {}",
                            s.spot_shock, s.dampening
                        )
                    }
                    None => format!("scenario {i}"),
                }
            }
        }
    }

    /// The machine-readable report: every number an exact decimal string.
    pub fn to_json(&self) -> Value {
        let c = &self.comparison;
        let r = &self.resolved;
        let mode = |m: &ModeSummary| {
            json!({
                "im": m.im.to_string(),
                "mm": m.mm.to_string(),
                "mtm": m.mtm.to_string(),
                "im_requirement": m.im_requirement.to_string(),
                "mm_requirement": m.mm_requirement.to_string(),
                "liquidatable": m.liquidatable,
            })
        };
        let positions: Vec<Value> = r
            .position_labels
            .iter()
            .zip(&c.isolated_detail.positions)
            .map(|(label, p)| {
                json!({
                    "position": label,
                    "requirement_im": p.requirement_im.to_string(),
                    "requirement_mm": p.requirement_mm.to_string(),
                    "collateral_im": p.collateral_im.to_string(),
                    "collateral_mm": p.collateral_mm.to_string(),
                    "surplus_im": p.surplus_im.to_string(),
                    "surplus_mm": p.surplus_mm.to_string(),
                    "liquidatable": p.liquidatable,
                })
            })
            .collect();
        let pm = &c.portfolio_detail.breakdown;
        let underlyings: Vec<Value> = pm
            .underlyings
            .iter()
            .zip(&c.portfolio_underlyings)
            .map(|(b, &u)| {
                json!({
                    "underlying": r.underlying_names.get(u as usize),
                    "worst_loss": b.worst_loss.to_string(),
                    "worst": match b.worst {
                        WorstCase::Basis => json!("basis"),
                        WorstCase::Scenario(i) => json!(i),
                    },
                    "basis_contingency": b.basis_contingency.to_string(),
                })
            })
            .collect();
        json!({
            "source": self.source,
            "now": r.market.now,
            "modes": {
                "isolated": mode(&c.isolated),
                "cross": mode(&c.cross),
                "portfolio": mode(&c.portfolio),
            },
            "portfolio_frees": {
                "vs_cross": c.portfolio_frees_vs_cross().ok().map(|w| w.to_string()),
                "vs_isolated": c.portfolio_frees_vs_isolated().ok().map(|w| w.to_string()),
            },
            "isolated_positions": positions,
            "portfolio_underlyings": underlyings,
            "portfolio_contingencies": {
                "im_loss_factor": pm.im_loss_factor.to_string(),
                "mm_loss_factor": pm.mm_loss_factor.to_string(),
                "mm": pm.mm_contingency.to_string(),
                "im_extra": pm.im_contingency.to_string(),
                "oracle": pm.oracle_im.to_string(),
            },
        })
    }
}

fn status(mode: &str, m: &ModeSummary) -> String {
    if mode == "isolated" && m.liquidatable > 0 {
        return format!("{} liquidatable", m.liquidatable);
    }
    if m.mm.is_negative() {
        "liquidatable".to_string()
    } else if m.im.is_negative() {
        "margin call".to_string()
    } else {
        "healthy".to_string()
    }
}

fn abs(w: Wad) -> Wad {
    w.abs().unwrap_or(Wad::MAX)
}

fn frees_or_locks(delta: Wad) -> &'static str {
    if delta.is_negative() {
        "needs"
    } else {
        "frees"
    }
}

fn share(delta: Wad, of: Wad) -> String {
    if !of.is_positive() {
        return String::new();
    }
    // Display only: a percentage to one decimal.
    let pct = delta.raw() as f64 / of.raw() as f64 * 100.0;
    format!(" ({:.1} % of its requirement)", pct.abs())
}

/// A wad as US dollars and cents, rounded half away from zero, with thousands separators.
pub fn usd(w: Wad) -> String {
    let raw = w.raw();
    let cents_unit: i128 = 10_000_000_000_000_000; // 10¹⁶ wei = 1 cent
    let magnitude = raw.unsigned_abs();
    let cents = (magnitude + cents_unit as u128 / 2) / cents_unit as u128;
    let dollars = (cents / 100).to_string();
    let mut grouped = String::new();
    for (i, ch) in dollars.chars().enumerate() {
        if i > 0 && (dollars.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(ch);
    }
    let sign = if raw < 0 && cents > 0 { "-" } else { "" };
    format!("{sign}{grouped}.{:02}", cents % 100)
}

/// The bundled account `keel margin` uses when no file is given.
pub const DEFAULT_ACCOUNT: (&str, &str) = (
    "examples/delta-hedged-short-straddle.toml (embedded default)",
    include_str!("../../examples/delta-hedged-short-straddle.toml"),
);

/// `keel margin [--json] [FILE]`: the report as text (or pretty JSON with `--json`).
pub fn run(args: &[&str]) -> Result<String> {
    let mut json_output = false;
    let mut file = None;
    for &arg in args {
        match arg {
            "--json" => json_output = true,
            flag if flag.starts_with('-') => {
                anyhow::bail!("unknown option `{flag}` (expected --json)")
            }
            path if file.is_none() => file = Some(path),
            extra => anyhow::bail!("unexpected argument `{extra}`: give one account file"),
        }
    }
    let (source, resolved) = match file {
        Some(path) => (
            path.to_string(),
            crate::account_file::AccountFile::load(std::path::Path::new(path))?,
        ),
        None => {
            let (name, text) = DEFAULT_ACCOUNT;
            let parsed = crate::account_file::AccountFile::from_toml(text)?;
            (name.to_string(), parsed.resolve()?)
        }
    };
    let report = MarginReport::build(source, resolved)?;
    Ok(if json_output {
        serde_json::to_string_pretty(&report.to_json())? + "\n"
    } else {
        report.to_text()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usd_rounds_to_cents_with_separators() {
        let w = |s: &str| Wad::parse_decimal(s).unwrap();
        assert_eq!(usd(w("1234567.891")), "1,234,567.89");
        assert_eq!(usd(w("-0.005")), "-0.01");
        assert_eq!(usd(w("-0.004")), "0.00");
        assert_eq!(usd(w("999.995")), "1,000.00");
        assert_eq!(usd(Wad::ZERO), "0.00");
    }
}
