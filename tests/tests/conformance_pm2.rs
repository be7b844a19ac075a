//! Conformance of keel-risk's portfolio margin with Derive's PMRM_2 reference cases
//! (`../shared/conformance/derive-pm2`, read in place, never copied).
//!
//! Every case must pass at the runner's rule (IM and MM within 1e-9 relative, or 1e-2 absolute
//! below 1). Beyond the asserted IM/MM, the breakdown is checked against the cases' debug
//! values (scenario PnLs, basis contingency, marks, worst group) at Derive's own 1e-8.
//! Without the folder the tests that read it fail when `CI=true` and are ignored, saying why,
//! otherwise (the build script's `keel_no_conformance_data`).

use std::path::{Path, PathBuf};

use keel_cli::conformance::pm2::{evaluate_case, load_case, within_tolerance};
use keel_cli::conformance::{relative_error, run_dir, Suite};
use keel_risk::model::portfolio::{portfolio_margin, Pm2Params, WorstCase};
use keel_risk::Wad;

/// The case folder (the build script marks the tests that read it ignored when it is absent
/// outside CI).
fn case_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/derive-pm2");
    assert!(
        dir.is_dir(),
        "conformance cases not found at {}",
        dir.display()
    );
    dir
}

#[test]
#[cfg_attr(
    keel_no_conformance_data,
    ignore = "Derive's conformance cases are not at ../shared/conformance"
)]
fn every_derive_pm2_case_passes() {
    let dir = case_dir();
    let mut lines = Vec::new();
    let (summary, outcomes) = run_dir(Suite::Pm2, &dir, |l| lines.push(l.to_owned())).unwrap();
    let failures: Vec<&String> = lines.iter().filter(|l| l.starts_with("FAIL")).collect();
    assert!(
        failures.is_empty(),
        "failing cases:\n{}",
        failures
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(summary.passed > 0 && summary.failed == 0, "{summary:?}");

    let (mut worst_im, mut worst_mm) = ((0.0f64, String::new()), (0.0f64, String::new()));
    for o in &outcomes {
        for v in &o.values {
            let e = relative_error(v.expected, v.computed);
            let slot = if v.label == "IM" {
                &mut worst_im
            } else {
                &mut worst_mm
            };
            if e > slot.0 {
                *slot = (e, o.name.clone());
            }
        }
    }
    println!(
        "{} passed, {} failed; largest relative error IM {:.3e} ({}), MM {:.3e} ({})",
        summary.passed, summary.failed, worst_im.0, worst_im.1, worst_mm.0, worst_mm.1
    );
}

/// Derive's debug tolerance: relative 1e-8, or absolute 1e-8 near zero.
fn debug_close(expected: Wad, computed: Wad) -> bool {
    let diff = (computed.raw() - expected.raw()).unsigned_abs();
    diff <= 10_000_000_000 || diff.saturating_mul(100_000_000) <= expected.raw().unsigned_abs()
}

#[test]
#[cfg_attr(
    keel_no_conformance_data,
    ignore = "Derive's conformance cases are not at ../shared/conformance"
)]
fn breakdown_matches_the_debug_values() {
    let dir = case_dir();
    let mut checked = 0usize;
    let mut problems = Vec::new();
    for path in keel_cli::conformance::case_files(&dir).unwrap() {
        let name = path.file_stem().unwrap().to_string_lossy().into_owned();
        let case = load_case(&path).unwrap();
        let r = portfolio_margin(&case.account, &case.params).unwrap();
        let u = &r.breakdown.underlyings[0];
        let ex = &case.expected;
        let mut check = |what: String, expected: Option<Wad>, computed: Wad| {
            if let Some(expected) = expected {
                checked += 1;
                if !debug_close(expected, computed) {
                    problems.push(format!(
                        "{name} {what}: expected {expected} computed {computed}"
                    ));
                }
            }
        };
        assert_eq!(ex.scenario_pnl.len(), case.params.scenarios.len(), "{name}");
        for (i, (want, got)) in ex.scenario_pnl.iter().zip(&u.scenario_pnl).enumerate() {
            // Spec §13 D1: the generator's number for this inadmissible skew-with-spot-move
            // scenario follows no known rule; Keel (like the reference) uses contract semantics.
            if name.starts_with("test_67_") && i == 30 {
                continue;
            }
            check(format!("scenario {i} PnL"), *want, *got);
        }
        check(
            "ForwardContingency".into(),
            ex.basis_contingency,
            u.basis_contingency,
        );
        check("OptionMTM".into(), ex.option_mtm, r.breakdown.option_mtm);
        check(
            "CollateralMTM".into(),
            ex.collateral_mtm,
            r.breakdown.collateral_mtm,
        );
        check("PortfolioMTM".into(), ex.portfolio_mtm, r.mtm);
        // Where every candidate is 0 up to the generator's float noise (cash-only books, a
        // fully hedged box, a settled expiry), its group name reflects its own tie order, not
        // the contract's (B wins ties); compare only when some loss is clearly below 0.
        let deepest = ex
            .scenario_pnl
            .iter()
            .flatten()
            .chain(&ex.basis_contingency)
            .min()
            .copied();
        let clear_loss = deepest.is_some_and(|l| l.raw() < -10_000_000_000);
        if let (Some(group), true) = (&ex.worst_group, clear_loss) {
            let [reg, tail, _] = ex.group_sizes;
            let ours = match u.worst {
                WorstCase::Basis => "fwd_contingency",
                WorstCase::Scenario(i) if i < reg => "regular",
                WorstCase::Scenario(i) if i < reg + tail => "tail",
                WorstCase::Scenario(_) => "skew",
            };
            checked += 1;
            if ours != group {
                problems.push(format!(
                    "{name} worst group: expected {group} computed {ours}"
                ));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "{} mismatches:\n{}",
        problems.len(),
        problems.join("\n")
    );
    println!("{checked} debug values agree");
}

/// Keel's defaults are the parameter set and 31-scenario grid most cases use (golden 12 is
/// one of them), up to the float artefacts the generator wrote (≤ 1e-15 apart).
#[test]
#[cfg_attr(
    keel_no_conformance_data,
    ignore = "Derive's conformance cases are not at ../shared/conformance"
)]
fn keel_defaults_are_the_common_case_parameters() {
    let dir = case_dir();
    let case = load_case(&dir.join("test_12_risk_cancelling_naked_short_call.json")).unwrap();
    let (ours, theirs) = (Pm2Params::keel_default(), case.params);
    let near = |a: Wad, b: Wad| (a.raw() - b.raw()).abs() <= 1_000;
    assert_eq!(ours.scenarios.len(), theirs.scenarios.len());
    for (a, b) in ours.scenarios.iter().zip(&theirs.scenarios) {
        assert!(
            a.vol_shock == b.vol_shock
                && near(a.spot_shock, b.spot_shock)
                && near(a.dampening, b.dampening),
            "{a:?} vs {b:?}"
        );
    }
    let groups = |p: &Pm2Params| {
        let (v, m, b, o, s) = (&p.vol_shock, &p.margin, &p.basis, &p.other, &p.skew);
        vec![
            v.vol_range_up,
            v.vol_range_down,
            v.short_term_power,
            v.long_term_power,
            v.min_vol_up_shock,
            m.im_factor,
            m.mm_factor,
            m.long_rate_mult_scale,
            m.long_rate_add_scale,
            m.long_base_static_discount,
            m.short_rate_mult_scale,
            m.short_rate_add_scale,
            m.short_base_static_discount,
            b.scenario_spot_up,
            b.scenario_spot_down,
            b.add_factor,
            b.mult_factor,
            o.peg_loss_threshold,
            o.peg_loss_factor,
            o.conf_threshold,
            o.conf_margin,
            o.mm_perp_percent,
            o.im_perp_percent,
            o.mm_option_percent,
            o.im_option_percent,
            s.linear_base_cap,
            s.linear_c_base,
            s.abs_base_cap,
            s.abs_c_base,
            s.min_k_star,
            s.width_scale,
            s.vol_param_static,
            s.vol_param_scale,
        ]
    };
    for (i, (a, b)) in groups(&ours).into_iter().zip(groups(&theirs)).enumerate() {
        assert!(near(a, b), "parameter {i}: {a} vs {b}");
    }
    assert_eq!(ours.vol_shock.dte_floor, theirs.vol_shock.dte_floor);
    assert_eq!(ours.max_expiries, theirs.max_expiries);
}

/// A small, hand-written case in Derive's format (not taken from the published files).
fn minimal_case(spot: &str, strike: &str, direction: &str, im_factor: &str) -> String {
    format!(
        r#"{{
  "Scenario": {{
    "Cash": 1000.0, "Collaterals": [], "SpotPrice": {spot}, "SpotConfidence": 1.0,
    "NumPerps": 0, "PerpPrice": 0, "PerpConfidence": 0, "UnrealisedPerpPNL": 0.0,
    "UnrealisedFunding": 0.0, "StablePrice": 1.0, "StableConfidence": 1.0,
    "Options": [{{"Expiry": 864000, "Strike": {strike}, "IsCall": 1, "Amount": 0}}],
    "OptionFeeds": [{{"FeedExpiry": 864000, "Forward": 2000.0, "ForwardConfidence": 1.0,
      "Rate": 0.0, "RateConfidence": 1.0,
      "SVIparam": ["0.01", "0", "0", "0", "0", 2000.0, "0.1"], "OptionVolConfidences": 1.0}}]
  }},
  "Parameters": {{
    "Scenarios": [{{"SpotShock": 1.1, "VolShockDirection": {direction}, "DampeningFactor": 1}}],
    "VolShock": {{"VOLRANGEUP": 0.5, "MIN_VOL_EVAL_SHOCKED": 0.45, "VOLRANGEDOWN": 0.275,
      "SHORTTERMPOWER": 0.3, "LONGTERMPOWER": 0.13, "DTE_FLOOR": 1.0}},
    "Margin": {{"MM_LOSS_FACTOR": 0.8, "IM_LOSS_FACTOR": {im_factor}, "SHORT_RATE_MULTSCALE": 0.5,
      "LONG_RATE_MULTSCALE": 1, "SHORT_RATE_ADDSCALE": 0.08, "LONG_RATE_ADDSCALE": 0.08,
      "BASE_STATIC_DISCOUNT": 0.95, "BASE_STATIC_DISCOUNT_NEG": 1.04}},
    "BasisContingency": {{"SCENARIO_SPOT_UP": 1.045, "SCENARIO_SPOT_DOWN": 0.955,
      "BASIS_CONT_ADD_FACTOR": 0.5, "BASIS_CONT_MULT_FACTOR": 2.0}},
    "OtherContingency": {{"PEG_LOSS_THRESHOLD": 0.98, "PEG_LOSS_FACTOR": 2.0, "CONF_THRESHOLD": 0.55,
      "CONF_MARGIN": 1.0, "MM_PERP_PERCENT": 0.015, "IM_PERP_PERCENT": 0.005,
      "MM_OPTION_PERCENT": 0.003, "IM_OPTION_PERCENT": 0.002}},
    "SkewShock": {{"LINEAR_SCALE_CAP": 0.15, "LINEAR_CBASE": -0.05, "ABS_SCALE_CAP": 0.15,
      "ABS_CBASE": -0.05, "MIN_K_STAR": 0.01, "MIN_WIDTH_SCALE": 4.0, "VOL_PARAM_STATIC": 0.6,
      "VOL_PARAM_SCALE": -0.1}}
  }},
  "Result": {{"IM": 1000.0, "MM": 1000.0}}
}}"#
    )
}

#[test]
fn malformed_case_files_name_the_field() {
    let dir = std::env::temp_dir().join(format!("keel-pm2-malformed-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let write = |name: &str, text: &str| {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    };

    // The well-formed version evaluates: cash only (the option has amount 0), IM = MM = 1000.
    let good = write(
        "good.json",
        &minimal_case("2000.0", "2100.0", "\"Up\"", "1.0"),
    );
    let values = evaluate_case(&good).unwrap();
    assert!(
        values
            .iter()
            .all(|v| v.passed && v.computed == Wad::from_int(1000)),
        "{values:?}"
    );

    let bad = [
        (
            "spot.json",
            minimal_case("\"20x0\"", "2100.0", "\"Up\"", "1.0"),
            "Scenario.SpotPrice",
        ),
        (
            "strike.json",
            minimal_case("2000.0", "true", "\"Up\"", "1.0"),
            "Scenario.Options[0].Strike",
        ),
        (
            "direction.json",
            minimal_case("2000.0", "2100.0", "\"Sideways\"", "1.0"),
            "Parameters.Scenarios[0].VolShockDirection",
        ),
        (
            "bounds.json",
            minimal_case("2000.0", "2100.0", "\"Up\"", "0.2"),
            "Parameters",
        ),
        (
            "missing.json",
            minimal_case("2000.0", "2100.0", "\"Up\"", "1.0")
                .replace("\"SpotConfidence\": 1.0,", ""),
            "Scenario.SpotConfidence",
        ),
    ];
    for (file, text, field) in bad {
        let err = format!("{:#}", evaluate_case(&write(file, &text)).unwrap_err());
        assert!(
            err.contains(field),
            "{file}: error does not name `{field}`: {err}"
        );
        assert!(
            err.contains(file),
            "{file}: error does not name the file: {err}"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    // The pass rule itself, on values whose verdict is known by construction.
    assert!(within_tolerance(Wad::from_int(1000), Wad::from_int(1000)));
    assert!(!within_tolerance(
        Wad::from_int(1000),
        Wad::from_raw(1000 * 1_000_000_000_000_000_000 + 2_000_000_000_000)
    ));
}
