//! `exp` and `ln` against mpmath (data/exp.txt, data/ln.txt) and their limit rules.
//!
//! Metric (as documented in `math::exp_ln`): exp within `10⁻¹⁵·y + 1 wei` (so relative
//! ≤ 10⁻¹⁵ wherever `y ≥ 10⁻³`), ln within 1 wei everywhere.
#[path = "data/refdata.rs"]
mod refdata;

use keel_risk::math::exp_ln::{EXP_MAX_ARG, EXP_MIN_ARG};
use keel_risk::math::{exp, ln};
use keel_risk::{RiskError, Wad};
use refdata::{raw, rows, Max, Wei};

#[test]
fn exp_matches_mpmath() {
    let mut max_rel = Max::default(); // where y ≥ 1e-3
    let mut max_abs_small = Max::default(); // wei, where y < 1e-3
    let mut count = 0;
    for r in rows(include_str!("data/exp.txt")) {
        let x = raw(r[0]);
        let want = Wei::parse(r[1]);
        let got = exp(x).unwrap_or_else(|e| panic!("exp({x}) failed: {e}"));
        let err = want.error_of(got).abs();
        let y = want.as_f64();
        assert!(
            err <= 1e-15 * y + 1.0,
            "exp({x}) = {got}, want {} wei (error {err} wei)",
            r[1]
        );
        if y >= 1e15 {
            max_rel.see(err / y, || r[0].to_string());
        } else {
            max_abs_small.see(err, || r[0].to_string());
        }
        count += 1;
    }
    println!(
        "exp: {count} points; max relative error (y ≥ 1e-3) {:.3e} at x_raw {}; \
         max absolute error (y < 1e-3) {:.3} wei at x_raw {}",
        max_rel.value, max_rel.at, max_abs_small.value, max_abs_small.at
    );
    assert!(count > 2000);
    assert!(max_rel.value <= 1e-15);
}

#[test]
fn ln_matches_mpmath() {
    let mut max_abs = Max::default();
    let mut max_rel = Max::default(); // where |y| ≥ 1e-3
    let mut count = 0;
    for r in rows(include_str!("data/ln.txt")) {
        let x = raw(r[0]);
        let want = Wei::parse(r[1]);
        let got = ln(x).unwrap_or_else(|e| panic!("ln({x}) failed: {e}"));
        let err = want.error_of(got).abs();
        assert!(
            err <= 1.0,
            "ln({x}) = {got}, want {} wei (error {err} wei)",
            r[1]
        );
        max_abs.see(err, || r[0].to_string());
        let y = want.as_f64().abs();
        if y >= 1e15 {
            max_rel.see(err / y, || r[0].to_string());
        }
        count += 1;
    }
    println!(
        "ln: {count} points; max absolute error {:.3} wei at x_raw {}; \
         max relative error (|y| ≥ 1e-3) {:.3e} at x_raw {}",
        max_abs.value, max_abs.at, max_rel.value, max_rel.at
    );
    assert!(count > 2000);
    assert!(max_rel.value <= 1e-15);
}

#[test]
fn exp_limits() {
    assert_eq!(exp(EXP_MIN_ARG), Ok(Wad::ZERO));
    assert_eq!(exp(Wad::from_raw(EXP_MIN_ARG.raw() - 1)), Ok(Wad::ZERO));
    assert_eq!(exp(Wad::MIN), Ok(Wad::ZERO));
    // Just above the threshold e^x·10¹⁸ ≈ 0.5: the nearest wad is 0 or 1.
    let just_above = exp(Wad::from_raw(EXP_MIN_ARG.raw() + 1)).unwrap();
    assert!(just_above.raw() <= 1);
    // e^(−41.4465…) = 10⁻¹⁸.
    assert_eq!(
        exp(Wad::from_raw(-41_446_531_673_892_822_312))
            .unwrap()
            .raw(),
        1
    );
    assert_eq!(exp(EXP_MAX_ARG), Err(RiskError::ExpOverflow));
    assert_eq!(exp(Wad::MAX), Err(RiskError::ExpOverflow));
    assert_eq!(
        exp(Wad::from_raw(EXP_MAX_ARG.raw() - 1)),
        Err(RiskError::Overflow)
    );
    // ln(i128::MAX wei) ≈ 46.5832: just below fits, just above does not.
    assert!(exp(Wad::from_raw(46_583_160_000_000_000_000)).is_ok());
    assert_eq!(
        exp(Wad::from_raw(46_583_170_000_000_000_000)),
        Err(RiskError::Overflow)
    );
    assert_eq!(exp(Wad::ZERO), Ok(Wad::ONE));
}

#[test]
fn ln_limits() {
    assert_eq!(ln(Wad::ZERO), Err(RiskError::LogOfNonPositive));
    assert_eq!(ln(Wad::from_raw(-1)), Err(RiskError::LogOfNonPositive));
    assert_eq!(ln(Wad::MIN), Err(RiskError::LogOfNonPositive));
    assert_eq!(ln(Wad::ONE), Ok(Wad::ZERO));
    assert!(ln(Wad::MAX).is_ok());
}

#[test]
fn exp_and_ln_are_monotone() {
    // Dense sweeps through table and range-reduction boundaries: rounding to nearest of an
    // accurate kernel must never step backwards.
    let mut prev = Wad::ZERO;
    let mut x = -42_000_000_000_000_000_000i128;
    while x < 46_000_000_000_000_000_000 {
        let y = exp(Wad::from_raw(x)).unwrap();
        assert!(y >= prev, "exp not monotone at {x}");
        prev = y;
        x += 1_234_567_890_123_457;
    }
    let mut prev = Wad::MIN;
    let mut x = 1i128;
    while x < i128::MAX / 2 {
        let y = ln(Wad::from_raw(x)).unwrap();
        assert!(y >= prev, "ln not monotone at {x}");
        prev = y;
        x += x / 997 + 1;
    }
}
