//! `norm_cdf` against mpmath over [−38, 38] (data/norm_cdf.txt): absolute error ≤ 10⁻¹⁵
//! required, ≤ 1 wei (10⁻¹⁸) documented and asserted.
#[path = "data/refdata.rs"]
mod refdata;

use keel_risk::math::{norm_cdf, norm_pdf};
use keel_risk::Wad;
use refdata::{raw, rows, Max, Wei};

#[test]
fn norm_cdf_matches_mpmath() {
    let mut max_abs = Max::default();
    let mut count = 0;
    for r in rows(include_str!("data/norm_cdf.txt")) {
        let x = raw(r[0]);
        let want = Wei::parse(r[1]);
        let err = want.error_of(norm_cdf(x)).abs();
        assert!(err <= 1.0, "N({x}): error {err} wei");
        max_abs.see(err, || r[0].to_string());
        count += 1;
    }
    println!(
        "norm_cdf: {count} points in [-38, 38]; max absolute error {:.3} wei ({:.2e}) at x_raw {}",
        max_abs.value,
        max_abs.value * 1e-18,
        max_abs.at
    );
    assert!(count > 3000);
    assert!(max_abs.value * 1e-18 <= 1e-15);
}

#[test]
fn norm_cdf_symmetry_monotonicity_and_saturation() {
    let mut prev = Wad::ZERO;
    let mut x = -11_000_000_000_000_000_000i128;
    while x <= 11_000_000_000_000_000_000 {
        let p = norm_cdf(Wad::from_raw(x));
        let q = norm_cdf(Wad::from_raw(-x));
        assert!(p >= prev, "not monotone at {x}");
        assert!(
            (p.raw() + q.raw() - 1_000_000_000_000_000_000).abs() <= 1,
            "symmetry at {x}"
        );
        prev = p;
        x += 987_654_321_012_345;
    }
    assert_eq!(norm_cdf(Wad::ZERO).raw(), 500_000_000_000_000_000);
    for big in [Wad::from_int(10), Wad::from_int(38), Wad::MAX] {
        assert_eq!(norm_cdf(big), Wad::ONE);
        assert_eq!(norm_cdf(Wad::from_raw(-big.raw())), Wad::ZERO);
    }
    assert_eq!(norm_cdf(Wad::MIN), Wad::ZERO);
}

#[test]
fn norm_pdf_spot_values() {
    // mpmath: npdf(0) = 0.398942280401432677939946…, npdf(1.5) = 0.129517595665891727614…
    assert!((norm_pdf(Wad::ZERO).raw() - 398_942_280_401_432_678).abs() <= 1);
    assert!((norm_pdf(Wad::ratio(3, 2)).raw() - 129_517_595_665_891_728).abs() <= 1);
    assert!((norm_pdf(Wad::ratio(-3, 2)).raw() - 129_517_595_665_891_728).abs() <= 1);
    assert_eq!(norm_pdf(Wad::from_int(11)), Wad::ZERO);
}
