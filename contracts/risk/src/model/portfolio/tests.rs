//! Unit tests of the PM2 model: the spec's edge rules (§5, §8.1, §10), parameter admission,
//! the multi-underlying generalisation and the §14 worked example.

use alloc::vec;
use alloc::vec::Vec;

use super::*;
use crate::math::SviParams;
use crate::{RiskError, Wad};

const NOW: u64 = 1_700_000_000;
const DAY: u64 = 86_400;

fn w(s: &str) -> Wad {
    Wad::parse_decimal(s).unwrap()
}

fn f(x: Wad) -> f64 {
    x.raw() as f64 / 1e18
}

fn wf(x: f64) -> Wad {
    Wad::from_raw((x * 1e18).round() as i128)
}

fn assert_close(label: &str, got: Wad, want: f64, rel: f64) {
    let g = f(got);
    let err = (g - want).abs() / want.abs().max(1e-12);
    assert!(
        err <= rel,
        "{label}: got {g}, want {want} (rel err {err:e} > {rel:e})"
    );
}

/// A flat SVI surface: `w = a = σ²·τ^svi` with `b = 0`.
fn flat_svi(vol: f64, forward: Wad) -> SviParams {
    SviParams {
        a: wf(vol * vol),
        b: Wad::ZERO,
        rho: Wad::ZERO,
        m: Wad::ZERO,
        sigma: Wad::ZERO,
        forward,
        tau: Wad::ONE,
    }
}

fn expiry(
    seconds: u64,
    forward: &str,
    rate: &str,
    vol: f64,
    options: Vec<OptionHolding>,
) -> ExpiryBook {
    ExpiryBook {
        expiry: NOW + seconds,
        forward_fixed: Wad::ZERO,
        forward_variable: w(forward),
        forward_confidence: Wad::ONE,
        rate: w(rate),
        rate_confidence: Wad::ONE,
        svi: flat_svi(vol, w(forward)),
        vol_confidence: Wad::ONE,
        options,
    }
}

fn call(strike: &str, amount: &str) -> OptionHolding {
    OptionHolding {
        strike: w(strike),
        is_call: true,
        amount: w(amount),
    }
}

fn put(strike: &str, amount: &str) -> OptionHolding {
    OptionHolding {
        strike: w(strike),
        is_call: false,
        amount: w(amount),
    }
}

fn book(spot: &str, expiries: Vec<ExpiryBook>) -> UnderlyingBook {
    UnderlyingBook {
        spot: w(spot),
        spot_confidence: Wad::ONE,
        perp: PerpHolding::default(),
        expiries,
    }
}

fn account(underlyings: Vec<UnderlyingBook>) -> PortfolioAccount {
    PortfolioAccount {
        now: NOW,
        cash: Wad::ZERO,
        stable_price: Wad::ONE,
        underlyings,
        collaterals: Vec::new(),
    }
}

fn perp(amount: &str, price: &str) -> PerpHolding {
    PerpHolding {
        amount: w(amount),
        unrealised: Wad::ZERO,
        price: w(price),
        confidence: Wad::ONE,
    }
}

fn eval(a: &PortfolioAccount, p: &Pm2Params) -> PortfolioMargin {
    portfolio_margin(a, p).unwrap()
}

#[test]
fn defaults_validate_and_hold_the_31_scenario_grid() {
    let p = Pm2Params::keel_default();
    p.validate().unwrap();
    assert_eq!(p.scenarios.len(), 31);
    let count = |d: VolShock| p.scenarios.iter().filter(|s| s.vol_shock == d).count();
    assert_eq!(
        [
            VolShock::Up,
            VolShock::Down,
            VolShock::None,
            VolShock::Linear,
            VolShock::Abs
        ]
        .map(count),
        [15, 7, 7, 1, 1]
    );
    assert_eq!(
        p.scenarios[0],
        Scenario::new(w("1.18"), VolShock::Up, Wad::ONE)
    );
    assert_eq!(p.scenarios[23].dampening, w("0.054545454545454545"));
    assert_eq!(p.vol_shock.dte_floor, DAY);
    assert_eq!(p.svi_max_total_variance, Wad::from_int(144));
    for s in p.basis_scenarios() {
        assert_eq!((s.vol_shock, s.dampening), (VolShock::None, Wad::ONE));
    }
}

#[test]
fn parameter_bounds_are_enforced() {
    let ok = Pm2Params::keel_default();
    let cases: Vec<fn(&mut Pm2Params)> = vec![
        |p| p.margin.im_factor = w("0.49"),
        |p| p.margin.mm_factor = w("0.09"),
        |p| p.margin.mm_factor = w("10.01"),
        |p| p.vol_shock.vol_range_up = w("10.5"),
        |p| p.vol_shock.vol_range_down = w("-0.1"),
        |p| p.vol_shock.short_term_power = w("10.1"),
        |p| p.vol_shock.dte_floor = 400 * DAY + 1,
        |p| p.vol_shock.min_vol_up_shock = w("20.1"),
        |p| p.margin.long_base_static_discount = w("4.01"),
        |p| p.basis.scenario_spot_up = Wad::ONE,
        |p| p.basis.scenario_spot_up = Wad::from_int(3),
        |p| p.basis.scenario_spot_down = Wad::ONE,
        |p| p.basis.add_factor = w("20.1"),
        |p| p.other.conf_threshold = w("1.01"),
        |p| p.other.mm_perp_percent = w("3.01"),
        |p| p.other.im_option_percent = w("2.01"),
        |p| p.skew.linear_c_base = w("-10.01"),
        |p| p.skew.vol_param_scale = w("20.01"),
        |p| p.skew.min_k_star = w("-0.01"),
        |p| p.max_expiries = 0,
        |p| p.max_expiries = 31,
        |p| p.svi_max_total_variance = Wad::ZERO,
    ];
    for (i, change) in cases.iter().enumerate() {
        let mut p = ok.clone();
        change(&mut p);
        assert_eq!(
            p.validate(),
            Err(RiskError::ParameterOutOfBounds),
            "case {i}"
        );
    }
    // Signed powers and the inclusive edges are admitted.
    let mut p = ok.clone();
    p.vol_shock.long_term_power = w("-3");
    p.margin.mm_factor = w("0.1");
    p.vol_shock.dte_floor = 400 * DAY;
    p.max_expiries = 30;
    p.validate().unwrap();
}

#[test]
fn scenario_admission_rules() {
    let base = default_scenarios();
    validate_scenarios(&base).unwrap();
    let bad: Vec<Vec<Scenario>> = vec![
        Vec::new(),
        (0..41).map(|_| base[0]).collect(),
        [
            base.clone(),
            vec![Scenario::new(Wad::ONE, VolShock::Linear, Wad::ONE)],
        ]
        .concat(),
        [
            base.clone(),
            vec![Scenario::new(Wad::ONE, VolShock::Abs, Wad::ONE)],
        ]
        .concat(),
        vec![Scenario::new(w("1.18"), VolShock::Linear, Wad::ONE)],
        vec![Scenario::new(w("0.99"), VolShock::Abs, Wad::ONE)],
        vec![Scenario::new(w("-0.1"), VolShock::Up, Wad::ONE)],
        vec![Scenario::new(Wad::ONE, VolShock::Up, w("-1"))],
    ];
    for (i, s) in bad.iter().enumerate() {
        assert_eq!(
            validate_scenarios(s),
            Err(RiskError::InvalidScenarios),
            "case {i}"
        );
    }
    validate_scenarios(&(0..40).map(|_| base[0]).collect::<Vec<_>>()).unwrap();
    // An evaluation with no scenarios at all reverts too.
    let mut p = Pm2Params::keel_default();
    p.scenarios.clear();
    let a = account(vec![book("100", Vec::new())]);
    assert_eq!(portfolio_margin(&a, &p), Err(RiskError::InvalidScenarios));
}

/// §5.5: `T = 30 days` uses the short-term power, one second more the long-term one. With a
/// 60-day floor `x = 0.5` on both sides, so only the power differs.
#[test]
fn thirty_day_boundary_is_short_term() {
    let mut p = Pm2Params::keel_default();
    p.vol_shock.dte_floor = 60 * DAY;
    let at = |seconds: u64| {
        let a = account(vec![book(
            "2000",
            vec![expiry(seconds, "2000", "0", 0.6, vec![call("2100", "-1")])],
        )]);
        eval(&a, &p).breakdown.underlyings[0].expiries[0]
    };
    let short = at(THIRTY_DAYS);
    let long = at(THIRTY_DAYS + 1);
    let g_short = 0.5f64.powf(0.3);
    let g_long = 0.5f64.powf(0.13);
    assert_close(
        "up at 30d",
        short.vol_up_multiplier,
        1.0 + 0.5 * g_short,
        1e-15,
    );
    assert_close(
        "down at 30d",
        short.vol_down_multiplier,
        1.0 - 0.275 * g_short,
        1e-15,
    );
    assert_close(
        "up at 30d+1s",
        long.vol_up_multiplier,
        1.0 + 0.5 * g_long,
        1e-15,
    );
    assert_close(
        "down at 30d+1s",
        long.vol_down_multiplier,
        1.0 - 0.275 * g_long,
        1e-15,
    );
}

/// §5.6: `δ⁻ = min(1/D, base·e^{τ(r·mult+add)})`; with the defaults the cap binds at
/// r = 15 %, 20 days and does not at r = 30 %, 300 days.
#[test]
fn short_static_discount_is_capped_at_one_over_d() {
    let p = Pm2Params::keel_default();
    for (rate, days, capped) in [("0.15", 20, true), ("0.3", 300, false)] {
        let a = account(vec![book(
            "2000",
            vec![expiry(
                days * DAY,
                "2000",
                rate,
                0.6,
                vec![call("2100", "-1")],
            )],
        )]);
        let e = eval(&a, &p).breakdown.underlyings[0].expiries[0];
        let tau = (days * DAY) as f64 / 31_536_000.0;
        let r: f64 = rate.parse().unwrap();
        assert_close("D", e.discount, (-r * tau).exp(), 1e-15);
        assert_close(
            "delta+",
            e.static_discount_long,
            0.95 * (-tau * (r + 0.08)).exp(),
            1e-15,
        );
        let uncapped = 1.04 * (tau * (r * 0.5 + 0.08)).exp();
        assert_eq!(uncapped > 1.0 / (-r * tau).exp(), capped);
        if capped {
            assert_eq!(e.static_discount_short, Wad::ONE.div(e.discount).unwrap());
        } else {
            assert_close("delta-", e.static_discount_short, uncapped, 1e-15);
        }
    }
}

/// §5.3: a negative rate is floored at 0, so it margins exactly like a zero rate.
#[test]
fn negative_rate_is_floored() {
    let p = Pm2Params::keel_default();
    let at = |rate: &str| {
        eval(
            &account(vec![book(
                "2000",
                vec![expiry(
                    40 * DAY,
                    "2000",
                    rate,
                    0.7,
                    vec![call("2200", "-2"), put("1800", "1")],
                )],
            )]),
            &p,
        )
    };
    let negative = at("-0.05");
    assert_eq!(
        negative.breakdown.underlyings[0].expiries[0].discount,
        Wad::ONE
    );
    assert_eq!(negative, at("0"));
    assert_ne!(negative.im, at("0.05").im);
}

/// §10: an expired option is worth intrinsic on the forward, `D = 1`, `δ⁺ = base`,
/// `δ⁻ = min(1, base)`; with `dteFloor = 0` it reverts (division by zero).
#[test]
fn expired_option_and_zero_dte_floor() {
    let mut p = Pm2Params::keel_default();
    let mut a = account(vec![book(
        "2000",
        vec![expiry(
            0,
            "2050",
            "0.1",
            0.6,
            vec![call("2000", "1"), put("2100", "-1")],
        )],
    )]);
    a.underlyings[0].expiries[0].expiry = NOW - 3_600;
    let r = eval(&a, &p);
    let e = r.breakdown.underlyings[0].expiries[0];
    assert_eq!(e.seconds_to_expiry, 0);
    assert_eq!(e.discount, Wad::ONE);
    assert_eq!(e.static_discount_long, w("0.95"));
    assert_eq!(e.static_discount_short, Wad::ONE);
    // Long call 50 in the money, short put 50 in the money: 50 − 50 = 0 (up to the last
    // digits of Black-76's v → 0 limit).
    assert!(e.mtm.abs().unwrap() < w("0.000000000001"), "{}", e.mtm);
    p.vol_shock.dte_floor = 0;
    assert_eq!(portfolio_margin(&a, &p), Err(RiskError::DivisionByZero));
    // The same floor is harmless while nothing has expired.
    a.underlyings[0].expiries[0].expiry = NOW + DAY;
    portfolio_margin(&a, &p).unwrap();
}

/// §8.1: strict `<`: the earliest of equal scenarios wins, and B wins a tie with a scenario.
#[test]
fn worst_index_tie_breaking() {
    let mut p = Pm2Params::keel_default();
    let mut a = account(vec![book("100", Vec::new())]);
    a.underlyings[0].perp = perp("1", "100");
    p.scenarios = vec![
        Scenario::new(w("1.1"), VolShock::Up, Wad::ONE),
        Scenario::new(w("0.9"), VolShock::None, Wad::ONE),
        Scenario::new(w("0.9"), VolShock::Up, Wad::ONE),
    ];
    let u = &eval(&a, &p).breakdown.underlyings[0];
    assert_eq!(u.worst, WorstCase::Scenario(1));
    assert_eq!(u.worst_loss, w("-10"));
    assert_eq!(u.scenario_pnl, vec![w("10"), w("-10"), w("-10")]);
    // Only gains and a zero: B = 0 (no options) is reported.
    p.scenarios = vec![
        Scenario::new(w("1.1"), VolShock::Up, Wad::ONE),
        Scenario::new(Wad::ONE, VolShock::None, Wad::ONE),
    ];
    let u = &eval(&a, &p).breakdown.underlyings[0];
    assert_eq!((u.worst, u.worst_loss), (WorstCase::Basis, Wad::ZERO));
}

/// §6.1: the perp is shocked with the perp price P; its notional charges use spot S;
/// U counts only with N ≠ 0.
#[test]
fn perp_uses_p_for_pnl_and_s_for_notional() {
    let mut p = Pm2Params::keel_default();
    p.scenarios = vec![Scenario::new(w("0.8"), VolShock::None, w("0.5"))];
    let mut a = account(vec![book("100", Vec::new())]);
    a.underlyings[0].perp = PerpHolding {
        unrealised: w("7"),
        ..perp("-3", "110")
    };
    let r = eval(&a, &p);
    assert_eq!(r.breakdown.underlyings[0].scenario_pnl, vec![w("33")]);
    assert_eq!(r.breakdown.perp_mm, w("4.5"));
    assert_eq!(r.breakdown.perp_im, w("1.5"));
    assert_eq!(r.mtm, w("7"));
    a.underlyings[0].perp.amount = Wad::ZERO;
    a.underlyings[0].perp.price = w("-1");
    let r = eval(&a, &p);
    assert_eq!((r.mtm, r.im, r.mm), (Wad::ZERO, Wad::ZERO, Wad::ZERO));
}

/// §6.3: each expiry's skew PnL is forced to a loss. With no static haircut and r = 0, a long
/// and the mirrored short of the same expiry give the same (negative) skew PnL, and two
/// expiries add their losses.
#[test]
fn skew_pnl_is_minus_abs_per_expiry() {
    let mut p = Pm2Params::keel_default();
    p.margin.long_base_static_discount = Wad::ONE;
    p.margin.long_rate_add_scale = Wad::ZERO;
    p.margin.short_base_static_discount = Wad::ONE;
    p.margin.short_rate_add_scale = Wad::ZERO;
    p.scenarios = vec![
        Scenario::new(Wad::ONE, VolShock::Linear, w("1.5")),
        Scenario::new(Wad::ONE, VolShock::Abs, Wad::ONE),
    ];
    let near = |amount: &str| expiry(10 * DAY, "2000", "0", 0.6, vec![call("2300", amount)]);
    let far = |amount: &str| expiry(90 * DAY, "2000", "0", 0.5, vec![put("1700", amount)]);
    let pnl = |expiries: Vec<ExpiryBook>| {
        eval(&account(vec![book("2000", expiries)]), &p)
            .breakdown
            .underlyings[0]
            .scenario_pnl
            .clone()
    };
    let long_near = pnl(vec![near("1")]);
    let short_near = pnl(vec![near("-1")]);
    let short_far = pnl(vec![far("-2")]);
    let long_far = pnl(vec![far("2")]);
    assert_eq!(long_near, short_near);
    assert_eq!(long_far, short_far);
    for s in long_near.iter().chain(&long_far) {
        assert!(s.is_negative(), "{s}");
    }
    let both = pnl(vec![near("1"), far("-2")]);
    for i in 0..2 {
        assert_eq!(both[i], long_near[i].add(short_far[i]).unwrap());
    }
}

/// §7.3: naked shorts are netted per strike across calls and puts (short 10 calls, long 4
/// puts at one strike is 6 naked).
#[test]
fn naked_shorts_net_per_strike() {
    let p = Pm2Params::keel_default();
    let a = account(vec![book(
        "2000",
        vec![expiry(
            20 * DAY,
            "2000",
            "0",
            0.6,
            vec![
                call("2000", "-10"),
                put("2200", "-1"),
                put("2000", "4"),
                call("1800", "3"),
            ],
        )],
    )]);
    let r = eval(&a, &p);
    assert_eq!(r.breakdown.underlyings[0].expiries[0].naked_shorts, w("7"));
    assert_eq!(r.breakdown.option_mm, w("42"));
    assert_eq!(r.breakdown.option_im, w("28"));
}

#[test]
fn negative_collateral_balance_reverts() {
    let p = Pm2Params::keel_default();
    let mut a = account(vec![book("2000", Vec::new())]);
    a.collaterals.push(CollateralHolding {
        amount: w("-1"),
        price: w("2000"),
        confidence: Wad::ONE,
        mm_haircut: w("0.02"),
        im_haircut: w("0.01"),
        risk_cancelling: Some(0),
    });
    assert_eq!(portfolio_margin(&a, &p), Err(RiskError::NegativeInput));
    a.collaterals[0].amount = w("1");
    a.collaterals[0].risk_cancelling = Some(1);
    assert_eq!(portfolio_margin(&a, &p), Err(RiskError::MissingMarketData));
    a.collaterals[0].risk_cancelling = Some(0);
    a.collaterals[0].im_haircut = w("0.99");
    assert_eq!(
        portfolio_margin(&a, &p),
        Err(RiskError::ParameterOutOfBounds)
    );
}

#[test]
fn too_many_expiries_and_zero_amounts() {
    let mut p = Pm2Params::keel_default();
    p.max_expiries = 2;
    let mut expiries: Vec<ExpiryBook> = (1..=3)
        .map(|i| expiry(i * 7 * DAY, "2000", "0", 0.6, vec![call("2100", "-1")]))
        .collect();
    let a = account(vec![book("2000", expiries.clone())]);
    assert_eq!(portfolio_margin(&a, &p), Err(RiskError::TooManyExpiries));
    // A zero amount is dropped: its expiry is not held, and its (broken) surface is not read.
    expiries[2].options[0].amount = Wad::ZERO;
    expiries[2].svi.forward = Wad::ZERO;
    let r = eval(&account(vec![book("2000", expiries)]), &p);
    assert_eq!(r.breakdown.underlyings[0].expiries.len(), 2);
}

/// The generalisation: two underlyings give the sum of their own worst losses, each on its
/// own grid with its linked collateral, while collateral is counted once.
#[test]
fn two_underlyings_sum_their_worst_losses() {
    let p = Pm2Params::keel_default();
    let eth = || {
        let mut b = book(
            "2000",
            vec![expiry(
                20 * DAY,
                "2010",
                "0.05",
                0.7,
                vec![call("2200", "-3"), put("1800", "1")],
            )],
        );
        b.perp = perp("2", "2001");
        b
    };
    let btc = || {
        let mut b = book(
            "60000",
            vec![
                expiry(5 * DAY, "60050", "0.04", 0.5, vec![put("55000", "-1")]),
                expiry(
                    60 * DAY,
                    "60500",
                    "0.04",
                    0.55,
                    vec![call("70000", "1"), call("80000", "-1")],
                ),
            ],
        );
        b.spot_confidence = w("0.5");
        b
    };
    let coll = |link: Option<u32>, amount: &str, price: &str| CollateralHolding {
        amount: w(amount),
        price: w(price),
        confidence: w("0.9"),
        mm_haircut: w("0.05"),
        im_haircut: w("0.02"),
        risk_cancelling: link,
    };
    let mut both = account(vec![eth(), btc()]);
    both.cash = w("-1000");
    both.stable_price = w("0.97");
    both.collaterals = vec![
        coll(Some(0), "1.5", "2000"),
        coll(Some(1), "0.1", "60000"),
        coll(None, "500", "1"),
    ];
    let mut eth_only = account(vec![eth()]);
    eth_only.stable_price = both.stable_price;
    eth_only.collaterals = vec![coll(Some(0), "1.5", "2000")];
    let mut btc_only = account(vec![btc()]);
    btc_only.stable_price = both.stable_price;
    btc_only.collaterals = vec![coll(Some(0), "0.1", "60000")];

    let r = eval(&both, &p);
    let (e, b) = (eval(&eth_only, &p), eval(&btc_only, &p));
    let (ue, ub) = (&e.breakdown.underlyings[0], &b.breakdown.underlyings[0]);
    assert_eq!(r.breakdown.underlyings[0], *ue);
    assert_eq!(r.breakdown.underlyings[1], *ub);
    assert_eq!(
        r.breakdown.worst_loss,
        ue.worst_loss.add(ub.worst_loss).unwrap()
    );
    assert!(ue.worst_loss.is_negative() && ub.worst_loss.is_negative());

    // Collateral once: value, haircuts and MtM are those of the three tokens.
    let value = |q: &str, px: &str| w(q).mul_div(w(px), w("0.97")).unwrap();
    let coll_mtm = value("1.5", "2000")
        .add(value("0.1", "60000"))
        .unwrap()
        .add(value("500", "1"))
        .unwrap();
    assert_eq!(r.breakdown.collateral_mtm, coll_mtm);
    let mtm = [
        w("-1000"),
        ue.perp_mtm,
        ue.option_mtm,
        ub.option_mtm,
        coll_mtm,
    ]
    .into_iter()
    .fold(Wad::ZERO, |s, x| s.add(x).unwrap());
    assert_eq!(r.mtm, mtm);
    let coll_mm = e
        .breakdown
        .collateral_mm
        .add(b.breakdown.collateral_mm)
        .unwrap();
    let coll_mm = coll_mm
        .add(value("500", "1").mul(w("0.05")).unwrap())
        .unwrap();
    assert_eq!(r.breakdown.collateral_mm, coll_mm);
    let mm_cont = [ue.perp_mm, ue.option_mm, ub.perp_mm, ub.option_mm, coll_mm]
        .into_iter()
        .fold(Wad::ZERO, |s, x| s.add(x).unwrap());
    let mm = w("0.8")
        .mul(r.breakdown.worst_loss)
        .unwrap()
        .sub(mm_cont)
        .unwrap()
        .add(mtm)
        .unwrap();
    assert_eq!(r.mm, mm);
    // The de-peg raises f_IM: 1 + (0.98 − 0.97)·2.
    assert_eq!(r.breakdown.im_loss_factor, w("1.02"));

    // The unlinked token takes the lowest spot confidence (BTC's 0.5 < 0.55): charged
    // (1 − 0.5)·v; linked to ETH (confidence 1) it would not be.
    let oracle_unlinked = r.breakdown.oracle_im;
    let mut relinked = both.clone();
    relinked.collaterals[2].risk_cancelling = Some(0);
    let r2 = eval(&relinked, &p);
    let charge = value("500", "1").mul(w("0.5")).unwrap();
    assert_eq!(oracle_unlinked, r2.breakdown.oracle_im.add(charge).unwrap());
}

/// Spec §14 (golden 12, naked short call), from the inputs as the spec rounds them, with a
/// flat surface at the stated σ; agreement is to the precision of those rounded inputs.
#[test]
fn worked_example_golden_12() {
    let p = Pm2Params::keel_default();
    let mut a = account(vec![book(
        "95663.506",
        vec![expiry(
            794_852,
            "95776.674",
            "0.15",
            0.4538038,
            vec![call("100000", "-1")],
        )],
    )]);
    a.stable_price = w("1.00019088635");
    a.underlyings[0].expiries[0].vol_confidence = w("0.95");
    let r = eval(&a, &p);
    let u = &r.breakdown.underlyings[0];
    let e = u.expiries[0];
    // The spec prints ~9 significant digits; σ is given to 7, which moves the mark by ~5e-7.
    let digits = 1e-8;
    let rounded_inputs = 2e-7;
    assert_close("D", e.discount, 0.99622645, digits);
    assert_close("MtM_e", e.mtm, -1186.41857, 1e-6);
    assert_close("B", u.basis_contingency, -947.20980, rounded_inputs);
    assert_close("up", e.vol_up_multiplier, 1.712811, 1e-6);
    assert_close("down", e.vol_down_multiplier, 0.607954, 1e-6);
    assert_close("delta+", e.static_discount_long, 0.94450873, digits);
    assert_close("delta-", e.static_discount_short, 1.00378784, digits);
    assert_eq!(u.worst, WorstCase::Scenario(0));
    assert_close("worst PnL", u.worst_loss, -12939.31202, rounded_inputs);
    assert_close(
        "MMcont",
        r.breakdown.mm_contingency,
        286.99052,
        2.0 * digits,
    );
    assert_close(
        "IMcont",
        r.breakdown.im_contingency,
        191.32701,
        2.0 * digits,
    );
    assert_close("MM", r.mm, -11824.85870, rounded_inputs);
    assert_close("IM", r.im, -14604.04812, rounded_inputs);
}

/// §10, §11.2: a static-discount exponent past −42.1397 underflows: `δ⁺` becomes exactly 0,
/// and `δ⁻ = min(1/D, base / exp(−x))` is `1/D` (the spec reverts on the division by 0; Keel
/// takes it as +∞, issue 10 item 8). `D = 0` gives `1/D = Wad::MAX`, never applied: every
/// price, so every expiry value, is 0.
#[test]
fn static_discount_exp_underflow() {
    let mut p = Pm2Params::keel_default();
    let five_years = 5 * 365 * DAY;
    let a = account(vec![book(
        "2000",
        vec![expiry(
            five_years,
            "2000",
            "0",
            0.6,
            vec![call("2100", "1")],
        )],
    )]);
    p.margin.long_rate_add_scale = Wad::from_int(10);
    p.margin.short_rate_add_scale = Wad::ZERO;
    let e = eval(&a, &p).breakdown.underlyings[0].expiries[0];
    assert_eq!(e.static_discount_long, Wad::ZERO);
    assert_eq!(e.static_discount_short, Wad::ONE);
    p.margin.short_rate_add_scale = Wad::from_int(10);
    p.validate().unwrap();
    let r = eval(&a, &p);
    let e = r.breakdown.underlyings[0].expiries[0];
    assert_eq!(e.static_discount_short, Wad::ONE);
    let mut short = a.clone();
    short.underlyings[0].expiries[0].options[0].amount = w("-1");
    let s = eval(&short, &p);
    // A short call: its shocked values are negative, so δ⁻ = 1 applies and the worst loss
    // is the undiscounted move against the mark.
    assert!(s.breakdown.worst_loss.is_negative());

    // r·τ = 10·5 ≥ 42.14: D = 0, so every price and value is 0 and nothing is charged but
    // the naked-short contingency.
    short.underlyings[0].expiries[0].rate = Wad::from_int(10);
    let s = eval(&short, &p);
    let e = s.breakdown.underlyings[0].expiries[0];
    assert_eq!((e.discount, e.static_discount_short), (Wad::ZERO, Wad::MAX));
    assert_eq!((e.mtm, s.breakdown.worst_loss), (Wad::ZERO, Wad::ZERO));
}

/// §5.2, §6.2: a spot shock moves only `F^var`; an averaged-in forward does not react. The
/// down multiplier floors at 0 and `minVolUpShock` lifts only Up vols.
#[test]
fn fixed_forward_and_vol_floors() {
    let mut p = Pm2Params::keel_default();
    p.vol_shock.vol_range_down = Wad::from_int(10);
    p.scenarios = vec![
        Scenario::new(Wad::ONE, VolShock::None, Wad::ONE),
        Scenario::new(w("1.18"), VolShock::None, Wad::ONE),
        Scenario::new(w("0.82"), VolShock::None, Wad::ONE),
    ];
    let mut e = expiry(600, "2000", "0", 0.1, vec![call("1990", "-1")]);
    e.forward_fixed = e.forward_variable;
    e.forward_variable = Wad::ZERO;
    let r = eval(&account(vec![book("2000", vec![e.clone()])]), &p);
    let u = &r.breakdown.underlyings[0];
    assert_eq!(u.scenario_pnl[0], u.scenario_pnl[1]);
    assert_eq!(u.scenario_pnl[0], u.scenario_pnl[2]);
    assert_eq!(u.basis_contingency, Wad::ZERO);
    assert_eq!(u.expiries[0].vol_down_multiplier, Wad::ZERO);

    // Down at zero vol is intrinsic (10 for the short call); Up (0.1·2.39) is floored at 0.45.
    e.forward_variable = e.forward_fixed;
    e.forward_fixed = Wad::ZERO;
    p.scenarios = vec![
        Scenario::new(Wad::ONE, VolShock::Down, Wad::ONE),
        Scenario::new(Wad::ONE, VolShock::Up, Wad::ONE),
    ];
    p.margin.long_base_static_discount = Wad::ONE;
    p.margin.long_rate_add_scale = Wad::ZERO;
    p.margin.short_base_static_discount = Wad::ONE;
    p.margin.short_rate_add_scale = Wad::ZERO;
    let r = eval(&account(vec![book("2000", vec![e])]), &p);
    let u = &r.breakdown.underlyings[0];
    let mtm = u.option_mtm;
    let down_value = u.scenario_pnl[0].add(mtm).unwrap();
    assert!(
        (down_value.raw() + Wad::from_int(10).raw()).abs() < 1_000_000,
        "{down_value}"
    );
    let up_value = u.scenario_pnl[1].add(mtm).unwrap();
    let floored = crate::math::black76(
        w("2000"),
        w("1990"),
        crate::math::sqrt(crate::math::annualise(600)).unwrap(),
        w("0.45"),
        Wad::ONE,
    )
    .unwrap();
    assert_eq!(up_value, floored.call.neg().unwrap());
}

/// Issue 10 item 8: two small short puts 1.5 h from expiry with `shortTermPower = 9.4` and
/// `dteFloor = 1 h`. The vol-shock term `g = exp(9.4·ln(30 d / 1.5 h)) = e^58.0` is beyond the
/// i128 wad range (e^46.6), where the spec still computes it (it reverts only at e^135.3).
/// There `up = 1 + volRangeUp·g` makes every Up vol price at the Black-76 limit (put = K·D)
/// and `down = 0`: the result must be exactly that of a power whose `g` still fits and
/// already saturates Black-76 (power 5: g = e^30.9).
#[test]
fn huge_vol_shock_term_saturates_instead_of_overflowing() {
    let mut p = Pm2Params::keel_default();
    p.vol_shock.short_term_power = w("9.4");
    p.vol_shock.dte_floor = 3_600;
    p.validate().unwrap();
    let a = account(vec![book(
        "2000",
        vec![expiry(
            5_400,
            "2000",
            "0.05",
            0.6,
            vec![put("1900", "-0.1"), put("1800", "-0.2")],
        )],
    )]);
    let r = portfolio_margin(&a, &p).expect("a valid portfolio must not overflow");
    let e = r.breakdown.underlyings[0].expiries[0];
    assert_eq!(e.vol_down_multiplier, Wad::ZERO);
    assert!(
        e.vol_up_multiplier > w("1000000"),
        "{}",
        e.vol_up_multiplier
    );

    let mut fits = p.clone();
    fits.vol_shock.short_term_power = Wad::from_int(5);
    let reference = eval(&a, &fits);
    assert_eq!(r.im, reference.im);
    assert_eq!(r.mm, reference.mm);
    assert_eq!(
        r.breakdown.underlyings[0].scenario_pnl,
        reference.breakdown.underlyings[0].scenario_pnl
    );
    // The worst Up scenario prices both puts at K·D, which δ⁻ = 1/D undoes: a loss of
    // 0.1·1900 + 0.2·1800 = 550 less the (tiny) value already marked.
    let worst = r.breakdown.worst_loss;
    assert!(worst <= w("-549.99999") && worst >= w("-550"), "{worst}");
}

/// Issue 10 item 8, §6.3: `k* = 0` (`minKStar = 0`, `widthScale = 0`; the spec reverts) is the
/// `k* → 0⁺` limit, the same as any `k*` small enough to bound every slope to `±cap`; a
/// 1-wei strike, whose `K/F` rounds to 0, takes `k = ln K − ln F`.
#[test]
fn skew_width_zero_is_the_limit_and_tiny_strikes_price() {
    let mut p = Pm2Params::keel_default();
    p.skew.width_scale = Wad::ZERO;
    p.skew.min_k_star = Wad::from_raw(1_000_000_000); // 10⁻⁹
    let a = account(vec![book(
        "2000",
        vec![expiry(
            30 * DAY,
            "2000",
            "0.05",
            0.6,
            vec![
                call("2200", "-1"),
                put("1800", "-1"),
                put("0.000000000000000001", "-1"),
            ],
        )],
    )]);
    let tiny = eval(&a, &p);
    p.skew.min_k_star = Wad::ZERO;
    p.validate().unwrap();
    assert_eq!(eval(&a, &p), tiny);
}
