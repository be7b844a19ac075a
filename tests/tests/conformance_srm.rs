//! SRM (cross margin) conformance: every `keel-srm-case v1` file of
//! `../shared/conformance/derive-srm` must pass at the rule it names, and malformed files must
//! be refused with a message that names the problem.

use std::path::{Path, PathBuf};

use keel_cli::conformance::{self, srm, Suite};

fn cases_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/conformance/derive-srm")
}

#[test]
#[cfg_attr(
    keel_no_conformance_data,
    ignore = "Derive's conformance cases are not at ../shared/conformance"
)]
fn every_derive_srm_case_passes() {
    let dir = cases_dir();
    assert!(
        dir.is_dir(),
        "SRM conformance cases not found at {}",
        dir.display()
    );
    let (summary, outcomes) = conformance::run_dir(Suite::Srm, &dir, |line| println!("{line}"))
        .expect("run the SRM folder");
    let failed: Vec<String> = outcomes
        .iter()
        .filter(|o| !o.passed())
        .map(|o| o.line())
        .collect();
    assert!(failed.is_empty(), "failing cases:\n{}", failed.join("\n"));
    assert!(summary.passed > 0, "no case in {}", dir.display());
    assert_eq!(summary.passed, outcomes.len());
    // Every case checks IM and MM; the test-cases.json files also MtM.
    for o in &outcomes {
        let labels: Vec<&str> = o.values.iter().map(|v| v.label).collect();
        assert!(labels.starts_with(&["IM", "MM"]), "{}: {labels:?}", o.name);
        if o.name.starts_with("test-cases__") {
            assert_eq!(labels, ["IM", "MM", "MtM"], "{}", o.name);
        }
    }
}

/// A minimal valid case (one short put), built here so the malformed variants below do not
/// depend on the shared folder. Expected values are the reference rule's whole dollars.
fn valid_case() -> serde_like::Json {
    serde_like::parse(
        r#"{
  "format": "keel-srm-case v1",
  "name": "handmade",
  "origin": { "repository": "keel", "file": "tests/tests/conformance_srm.rs" },
  "timestamp": 1,
  "globals": {
    "stable_price": "1000000000000000000",
    "stable_confidence": "1000000000000000000",
    "depeg_threshold": "980000000000000000",
    "depeg_factor": "1200000000000000000",
    "borrowing_enabled": false
  },
  "markets": {
    "ETH": {
      "spot": "2000000000000000000000",
      "spot_confidence": "1000000000000000000",
      "perp_price": "2001000000000000000000",
      "perp_confidence": "1000000000000000000",
      "params": {
        "option": {
          "max_spot_req": "150000000000000000",
          "min_spot_req": "100000000000000000",
          "mm_call_spot_req": "75000000000000000",
          "mm_put_spot_req": "75000000000000000",
          "mm_put_mtm_req": "75000000000000000",
          "unpaired_im_scale": "1200000000000000000",
          "unpaired_mm_scale": "1100000000000000000",
          "mm_offset_scale": "1050000000000000000"
        },
        "perp": { "im_req": "65000000000000000", "mm_req": "50000000000000000" },
        "base": { "margin_factor": "800000000000000000", "im_scale": "1000000000000000000" },
        "oracle_contingency": {
          "perp_threshold": "400000000000000000",
          "option_threshold": "400000000000000000",
          "base_threshold": "400000000000000000",
          "factor": "400000000000000000"
        }
      },
      "expiries": [
        { "expiry": 1000001, "forward": "2000000000000000000000",
          "forward_confidence": "1000000000000000000" }
      ],
      "vols": [
        { "expiry": 1000001, "strike": "1000000000000000000000",
          "vol": "500000000000000000", "confidence": "1000000000000000000" }
      ]
    }
  },
  "account": {
    "cash": "0",
    "markets": {
      "ETH": {
        "perp_size": "1000000000000000000",
        "perp_unsettled_cash": "0",
        "base_balance": "0",
        "options": [
          { "expiry": 1000001, "strike": "1000000000000000000000", "type": "put",
            "amount": "-1000000000000000000" }
        ]
      }
    }
  },
  "expected": { "rule": "trunc_usd", "im": "-330000000000000000000",
                "mm": "-250000000000000000000" }
}"#,
    )
}

/// Tiny text-level helpers: the tests edit the JSON as text so that the reader, not a
/// serializer, sees exactly what a malformed file would contain.
mod serde_like {
    pub struct Json(pub String);

    pub fn parse(text: &str) -> Json {
        Json(text.to_owned())
    }

    impl Json {
        /// Replaces the one occurrence of `from` by `to`.
        pub fn edit(&self, from: &str, to: &str) -> Json {
            assert_eq!(
                self.0.matches(from).count(),
                1,
                "`{from}` must occur exactly once"
            );
            Json(self.0.replacen(from, to, 1))
        }
    }
}

struct TempDir(PathBuf);

impl TempDir {
    fn new(tag: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("keel-srm-{tag}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }

    fn write(&self, name: &str, json: &serde_like::Json) -> PathBuf {
        let path = self.0.join(name);
        std::fs::write(&path, &json.0).expect("write case");
        path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The hand-made case evaluates: perp 2001·(0.065|0.05) plus a far OTM put
/// (IM max(−0.1·2000, max-loss −1000) = −200 less a tiny MtM, MM −150 less a tiny MtM).
#[test]
fn the_handmade_case_passes() {
    let dir = TempDir::new("valid");
    let path = dir.write("valid.json", &valid_case());
    let values = srm::evaluate_case(&path).expect("valid case");
    let labels: Vec<&str> = values.iter().map(|v| v.label).collect();
    assert_eq!(labels, ["IM", "MM"]);
    assert!(values.iter().all(|v| v.passed), "{values:?}");
    // The same file with a wrong expectation fails (the check can fail).
    let wrong = valid_case().edit("\"-250000000000000000000\"", "\"-251000000000000000000\"");
    let path = dir.write("wrong.json", &wrong);
    let values = srm::evaluate_case(&path).expect("still readable");
    assert!(!values[1].passed && values[0].passed);
}

fn refused_with(dir: &TempDir, name: &str, json: &serde_like::Json, needles: &[&str]) {
    let path = dir.write(name, json);
    let error = match srm::evaluate_case(&path) {
        Ok(values) => panic!("{name}: accepted a malformed case: {values:?}"),
        Err(e) => format!("{e:#}"),
    };
    for needle in needles {
        assert!(
            error.contains(needle),
            "{name}: error `{error}` does not mention `{needle}`"
        );
    }
    // The runner reports it as a failed case, not a crash.
    let outcome = conformance::evaluate(Suite::Srm, &path);
    assert!(!outcome.passed());
    assert!(outcome.line().starts_with("FAIL"), "{}", outcome.line());
}

#[test]
fn malformed_cases_are_refused_naming_the_problem() {
    let dir = TempDir::new("malformed");
    let valid = valid_case();
    refused_with(
        &dir,
        "unknown_key.json",
        &valid.edit(
            "\"base_balance\": \"0\",",
            "\"base_balance\": \"0\", \"leverage\": \"1\",",
        ),
        &["account.markets.ETH.leverage", "unknown key"],
    );
    refused_with(
        &dir,
        "missing_key.json",
        &valid.edit("\"perp_unsettled_cash\": \"0\",", ""),
        &["account.markets.ETH.perp_unsettled_cash", "missing key"],
    );
    refused_with(
        &dir,
        "negative_zero.json",
        &valid.edit("\"cash\": \"0\"", "\"cash\": \"-0\""),
        &["account.cash", "malformed wad", "-0"],
    );
    refused_with(
        &dir,
        "leading_zero.json",
        &valid.edit(
            "\"perp_size\": \"1000000000000000000\"",
            "\"perp_size\": \"01000000000000000000\"",
        ),
        &["account.markets.ETH.perp_size", "malformed wad"],
    );
    refused_with(
        &dir,
        "number_not_string.json",
        &valid.edit("\"cash\": \"0\"", "\"cash\": 0"),
        &["account.cash", "expected a wad", "number"],
    );
    refused_with(
        &dir,
        "format.json",
        &valid.edit("keel-srm-case v1", "keel-srm-case v2"),
        &["format", "keel-srm-case v2"],
    );
    refused_with(
        &dir,
        "missing_vol.json",
        &valid.edit(
            "\"strike\": \"1000000000000000000000\",\n          \"vol\"",
            "\"strike\": \"1100000000000000000000\",\n          \"vol\"",
        ),
        &[
            "account.markets.ETH.options[0]",
            "no vol point",
            "markets.ETH.vols",
        ],
    );
    refused_with(
        &dir,
        "missing_forward.json",
        &valid.edit(
            "{ \"expiry\": 1000001, \"forward\"",
            "{ \"expiry\": 1000002, \"forward\"",
        ),
        &[
            "account.markets.ETH.options[0]",
            "no forward",
            "markets.ETH.expiries",
        ],
    );
    refused_with(
        &dir,
        "negative_price.json",
        &valid.edit(
            "\"spot\": \"2000000000000000000000\"",
            "\"spot\": \"-2000000000000000000000\"",
        ),
        &["markets.ETH.spot", "negative"],
    );
    refused_with(
        &dir,
        "bad_type.json",
        &valid.edit("\"type\": \"put\"", "\"type\": \"PUT\""),
        &["account.markets.ETH.options[0].type", "PUT"],
    );
    refused_with(
        &dir,
        "fractional_timestamp.json",
        &valid.edit("\"timestamp\": 1,", "\"timestamp\": 1.5,"),
        &["timestamp", "1.5"],
    );
    refused_with(
        &dir,
        "unknown_market.json",
        &valid.edit(
            "\"markets\": {\n      \"ETH\": {\n        \"perp_size\"",
            "\"markets\": {\n      \"BTC\": {\n        \"perp_size\"",
        ),
        &["account.markets.BTC", "no entry in `markets`"],
    );
    refused_with(
        &dir,
        "trunc_not_whole.json",
        &valid.edit("\"-330000000000000000000\"", "\"-330000000000000000001\""),
        &["expected.im", "whole number of dollars"],
    );
    refused_with(
        &dir,
        "bad_rule.json",
        &valid.edit("\"trunc_usd\"", "\"rel_0.01\""),
        &["expected.rule", "rel_0.01"],
    );
    refused_with(
        &dir,
        "bad_params.json",
        &valid.edit(
            "\"mm_req\": \"50000000000000000\"",
            "\"mm_req\": \"70000000000000000\"",
        ),
        &["InvalidPerpMarginParams"],
    );
    refused_with(
        &dir,
        "not_json.json",
        &serde_like::parse("{ \"format\": "),
        &["not JSON"],
    );
}
