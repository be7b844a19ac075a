//! `keel margin`: the bundled strategies margin in all three modes with consistent numbers,
//! hedges are recognised by portfolio mode only, and bad account files are refused with a
//! message that names the field.

use std::path::{Path, PathBuf};

use keel_cli::account_file::AccountFile;
use keel_cli::margin_report::{self, MarginReport};
use keel_risk::model::account::{compare_modes, RiskParams};
use keel_risk::model::cross::cross_margin;
use keel_risk::model::portfolio::portfolio_margin;
use keel_risk::Wad;
use serde_json::Value;

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

fn report(name: &str) -> Value {
    let path = examples().join(name);
    let text = margin_report::run(&["--json", path.to_str().unwrap()]).unwrap();
    serde_json::from_str(&text).unwrap()
}

fn wad(v: &Value) -> Wad {
    Wad::parse_decimal(v.as_str().unwrap()).unwrap()
}

const EXAMPLES: [&str; 5] = [
    "delta-hedged-short-straddle.toml",
    "covered-call-wsteth.toml",
    "box-spread.toml",
    "calendar-spread.toml",
    "perp-basis-trade.toml",
];

#[test]
fn every_example_reports_three_consistent_modes() {
    for name in EXAMPLES {
        let r = report(name);
        for mode in ["isolated", "cross", "portfolio"] {
            let m = &r["modes"][mode];
            let (im, mm, mtm) = (wad(&m["im"]), wad(&m["mm"]), wad(&m["mtm"]));
            let (im_req, mm_req) = (wad(&m["im_requirement"]), wad(&m["mm_requirement"]));
            if mode != "isolated" {
                assert_eq!(mtm.sub(im).unwrap(), im_req, "{name} {mode}");
                assert_eq!(mtm.sub(mm).unwrap(), mm_req, "{name} {mode}");
            }
            assert!(
                im_req >= mm_req,
                "{name} {mode}: IM must be the stricter requirement"
            );
            assert!(
                im_req.is_positive(),
                "{name} {mode}: a risky account needs margin"
            );
        }
        let frees = wad(&r["portfolio_frees"]["vs_cross"]);
        let cross_req = wad(&r["modes"]["cross"]["im_requirement"]);
        let pm_req = wad(&r["modes"]["portfolio"]["im_requirement"]);
        assert_eq!(cross_req.sub(pm_req).unwrap(), frees, "{name}");
    }
}

#[test]
fn hedged_strategies_need_far_less_in_portfolio_mode() {
    // A long box has no market risk: portfolio margin should need a small fraction of cross.
    let r = report("box-spread.toml");
    let cross = wad(&r["modes"]["cross"]["im_requirement"]);
    let pm = wad(&r["modes"]["portfolio"]["im_requirement"]);
    assert!(
        pm.mul_int(5).unwrap() < cross,
        "box: portfolio {pm} vs cross {cross}"
    );
    // Cross nets only within an expiry, so a calendar spread gets no relief there.
    let r = report("calendar-spread.toml");
    let cross = wad(&r["modes"]["cross"]["im_requirement"]);
    let isolated = wad(&r["modes"]["isolated"]["im_requirement"]);
    let pm = wad(&r["modes"]["portfolio"]["im_requirement"]);
    assert_eq!(cross, isolated);
    assert!(pm < cross);
}

#[test]
fn isolated_mode_flags_the_positions_that_would_be_liquidated_alone() {
    // Each short leg of the box holds 30,000 USDC, far below what a naked short BTC option
    // needs alone; the long legs need nothing.
    let r = report("box-spread.toml");
    let flags: Vec<bool> = r["isolated_positions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["liquidatable"].as_bool().unwrap())
        .collect();
    assert_eq!(flags, [false, true, false, true]);
    assert_eq!(r["modes"]["isolated"]["liquidatable"], 2);
}

#[test]
fn the_account_layer_gives_the_models_own_numbers() {
    let resolved = AccountFile::load(&examples().join("delta-hedged-short-straddle.toml")).unwrap();
    let params = RiskParams::keel_default();
    let modes = compare_modes(&resolved.account, &resolved.market, &params).unwrap();
    let direct_pm = portfolio_margin(
        &resolved.account.to_portfolio(&resolved.market).unwrap(),
        &params.portfolio,
    )
    .unwrap();
    let direct_cross = cross_margin(
        &resolved
            .account
            .to_cross(&resolved.market, &params)
            .unwrap(),
    )
    .unwrap();
    assert_eq!(
        (modes.portfolio.im, modes.portfolio.mm),
        (direct_pm.im, direct_pm.mm)
    );
    assert_eq!(
        (modes.cross.im, modes.cross.mm),
        (direct_cross.im, direct_cross.mm)
    );
}

#[test]
fn without_a_file_the_embedded_default_is_margined() {
    let embedded = margin_report::run(&["--json"]).unwrap();
    let from_file = margin_report::run(&[
        "--json",
        examples()
            .join("delta-hedged-short-straddle.toml")
            .to_str()
            .unwrap(),
    ])
    .unwrap();
    let strip = |s: &str| {
        let mut v: Value = serde_json::from_str(s).unwrap();
        v["source"] = Value::Null;
        v
    };
    assert_eq!(strip(&embedded), strip(&from_file));
    let text = margin_report::run(&[]).unwrap();
    for needle in [
        "isolated",
        "cross",
        "portfolio",
        "initial requirement",
        "frees",
    ] {
        assert!(
            text.contains(needle),
            "text report lacks `{needle}`:\n{text}"
        );
    }
}

const BASE: &str = r#"
format = "keel-account v1"
now = "2026-11-24T08:00:00Z"

[underlyings.ETH]
spot = 3000

[[underlyings.ETH.expiries]]
expiry = "2026-12-25"
forward = 3010
vol = 0.6

[assets.USDC]
price = 1
mm_haircut = 0
im_haircut = 0.01

[account]
cash = 1000
collateral = { USDC = 5000 }

[[account.positions]]
underlying = "ETH"
type = "put"
expiry = "2026-12-25"
strike = 2800
size = -1
"#;

fn error_of(text: &str) -> String {
    let resolved = AccountFile::from_toml(text).and_then(AccountFile::resolve);
    match resolved {
        Ok(r) => match MarginReport::build("test".into(), r) {
            Ok(_) => panic!("accepted:\n{text}"),
            Err(e) => format!("{e:#}"),
        },
        Err(e) => format!("{e:#}"),
    }
}

#[test]
fn the_base_account_is_valid() {
    let resolved = AccountFile::from_toml(BASE).unwrap().resolve().unwrap();
    MarginReport::build("base".into(), resolved).unwrap();
}

#[test]
fn bad_input_names_the_field() {
    let cases: [(&str, &str, &[&str]); 9] = [
        ("spot = 3000", "", &["underlyings.ETH", "spot"]),
        (
            "vol = 0.6",
            "vol = -0.6",
            &["underlyings.ETH.expiries[0].vol", "positive"],
        ),
        (
            "expiry = \"2026-12-25\"\nforward",
            "expiry = \"2026-11-01\"\nforward",
            &["underlyings.ETH.expiries[0].expiry", "not after"],
        ),
        (
            "collateral = { USDC = 5000 }",
            "collateral = { DAI = 5000 }",
            &["account.collateral.DAI", "unknown asset"],
        ),
        (
            "underlying = \"ETH\"",
            "underlying = \"SOL\"",
            &["account.positions[0].underlying", "unknown underlying"],
        ),
        (
            "strike = 2800",
            "strike = 2800\ncolour = \"red\"",
            &["account.positions[0]", "colour"],
        ),
        (
            "type = \"put\"",
            "type = \"straddle\"",
            &["account.positions[0].type", "straddle"],
        ),
        (
            "expiry = \"2026-12-25\"\nstrike",
            "expiry = \"2027-01-29\"\nstrike",
            &["account.positions[0].expiry", "no market data"],
        ),
        (
            "format = \"keel-account v1\"",
            "format = \"keel-account v9\"",
            &["format", "keel-account v9"],
        ),
    ];
    for (from, to, needles) in cases {
        assert!(BASE.contains(from), "fixture lacks `{from}`");
        let message = error_of(&BASE.replacen(from, to, 1));
        for needle in needles {
            assert!(
                message.contains(needle),
                "`{from}` → `{to}`: message `{message}` lacks `{needle}`"
            );
        }
    }
}

#[test]
fn isolated_assignments_cannot_exceed_holdings() {
    let text = BASE.replace("size = -1", "size = -1\nisolated = { USDC = 6000 }");
    let message = error_of(&text);
    assert!(
        message.contains("isolated.USDC") && message.contains("holds 5000"),
        "{message}"
    );
}

#[test]
fn json_account_files_read_like_toml() {
    let toml_file = AccountFile::from_toml(BASE).unwrap().resolve().unwrap();
    let json = r#"{
      "format": "keel-account v1", "now": "2026-11-24T08:00:00Z",
      "underlyings": {"ETH": {"spot": 3000, "expiries": [{"expiry": "2026-12-25", "forward": "3010", "vol": 0.6}]}},
      "assets": {"USDC": {"price": 1, "mm_haircut": 0, "im_haircut": 0.01}},
      "account": {"cash": 1000, "collateral": {"USDC": 5000},
                  "positions": [{"underlying": "ETH", "type": "put", "expiry": "2026-12-25", "strike": 2800, "size": -1}]}
    }"#;
    let json_file = AccountFile::from_json(json).unwrap().resolve().unwrap();
    assert_eq!(toml_file.market, json_file.market);
    assert_eq!(toml_file.account, json_file.account);
}

#[test]
fn the_isolated_rows_reconcile_with_the_headline() {
    // The rows are gross (short options' marks inside each IM required, collateral after
    // haircuts); the headline is against account value. The report shows the rows' total and
    // names the gap, and the surpluses agree exactly.
    let path = examples().join("delta-hedged-short-straddle.toml");
    let text = margin_report::run(&[path.to_str().unwrap()]).unwrap();
    let total = text
        .lines()
        .find(|l| l.trim_start().starts_with("total "))
        .expect("a total row");
    let cells: Vec<&str> = total.split_whitespace().collect();
    assert_eq!(cells[1], "28,338.23", "{total}");
    let json = report("delta-hedged-short-straddle.toml");
    let isolated = &json["modes"]["isolated"];
    let headline = wad(&isolated["im"]);
    let rows: Wad = json["isolated_positions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| wad(&p["surplus_im"]))
        .try_fold(Wad::ZERO, |t, w| t.add(w))
        .unwrap();
    assert_eq!(rows, headline, "the surpluses add up");
    assert!(
        text.contains(
            "exceed the headline's isolated initial requirement, 23,134.12 USD, by 5,204.11 USD"
        ),
        "{text}"
    );
}
