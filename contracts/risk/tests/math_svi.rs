//! SVI implied vol against mpmath on random parameters (data/svi.txt) and every revert and
//! clamp rule of PM2 §4.2.
#[path = "data/refdata.rs"]
mod refdata;

use keel_risk::math::sqrt::hypot;
use keel_risk::math::svi::{svi_total_variance, SVI_K_SCALE};
use keel_risk::math::{ln, sqrt, svi_vol, SviParams, SVI_MAX_TOTAL_VARIANCE};
use keel_risk::{RiskError, Wad};
use refdata::{dec, rows, Max, Wei};

fn w(s: &str) -> Wad {
    Wad::parse_decimal(s).unwrap()
}

fn params(r: &[&str]) -> SviParams {
    SviParams {
        a: dec(r[0]),
        b: dec(r[1]),
        rho: dec(r[2]),
        m: dec(r[3]),
        sigma: dec(r[4]),
        forward: dec(r[5]),
        tau: dec(r[6]),
    }
}

#[test]
fn svi_matches_mpmath() {
    let mut max_w = Max::default(); // wei
    let mut max_rel = Max::default(); // vol relative error
    let (mut count, mut reverts) = (0, 0);
    for r in rows(include_str!("data/svi.txt")) {
        let p = params(&r);
        let (k, cap) = (dec(r[7]), dec(r[8]));
        if r[9] == "revert" {
            assert_eq!(svi_vol(&p, k, cap), Err(RiskError::InvalidSvi), "{r:?}");
            reverts += 1;
            continue;
        }
        let want_w = Wei::parse(r[9]);
        let want_vol = Wei::parse(r[10]);
        let got_w = svi_total_variance(&p, k, cap).unwrap().unwrap();
        let got_vol = svi_vol(&p, k, cap).unwrap();
        // w: k is rounded (≤ 1 wei, weighted b·(1+|ρ|)), the root floored (≤ 1 wei, × b) and
        // ρ·(k−m), b·(…) truncated (≤ 1 wei each): |ŵ − w| ≤ 1 + b·(3 + |ρ|) wei.
        let (b, rho): (f64, f64) = (r[1].parse().unwrap(), r[2].parse().unwrap());
        let bound_w = 1.0 + b * (3.0 + rho.abs());
        let err_w = want_w.error_of(got_w).abs();
        assert!(
            err_w <= bound_w,
            "{r:?}: w {got_w} vs {} ({err_w} wei)",
            r[9]
        );
        // σ = √(w/τ): relative error ≤ |ŵ − w|/(2w) plus the final floor (1 wei).
        let err_vol = want_vol.error_of(got_vol).abs();
        let allowed = want_vol.as_f64() * bound_w / (2.0 * want_w.as_f64()) + 1.0;
        assert!(
            err_vol <= allowed,
            "{r:?}: vol {got_vol} vs {} ({err_vol} wei)",
            r[10]
        );
        max_w.see(err_w, || r.join(" "));
        max_rel.see(err_vol / want_vol.as_f64(), || r.join(" "));
        count += 1;
    }
    println!(
        "svi: {count} random smiles ({reverts} reverting); max |w error| {:.3} wei [{}]; \
         max vol relative error {:.3e} [{}]",
        max_w.value, max_w.at, max_rel.value, max_rel.at
    );
    assert!(count > 1500 && reverts > 0);
    assert!(max_rel.value <= 1e-15);
}

fn base() -> SviParams {
    SviParams {
        a: w("0.04"),
        b: w("0.2"),
        rho: w("-0.3"),
        m: w("0.05"),
        sigma: w("0.3"),
        forward: w("2000"),
        tau: w("0.25"),
    }
}

#[test]
fn zero_strike_is_zero_vol_and_reverts_come_first_otherwise() {
    let p = base();
    assert_eq!(
        svi_vol(&p, Wad::ZERO, SVI_MAX_TOTAL_VARIANCE),
        Ok(Wad::ZERO)
    );
    // K = 0 wins over invalid parameters (the feed returns before evaluating them).
    let bad = SviParams {
        forward: Wad::ZERO,
        a: w("-1"),
        ..p
    };
    assert_eq!(
        svi_vol(&bad, Wad::ZERO, SVI_MAX_TOTAL_VARIANCE),
        Ok(Wad::ZERO)
    );
    assert_eq!(
        svi_vol(&p, w("-1"), SVI_MAX_TOTAL_VARIANCE),
        Err(RiskError::NegativeInput)
    );
}

#[test]
fn reverts() {
    let p = base();
    let k = w("2100");
    // F^svi = 0.
    let q = SviParams {
        forward: Wad::ZERO,
        ..p
    };
    assert_eq!(
        svi_vol(&q, k, SVI_MAX_TOTAL_VARIANCE),
        Err(RiskError::InvalidSvi)
    );
    // a + b·σ < 0.
    let q = SviParams { a: w("-0.07"), ..p }; // −0.07 + 0.2·0.3 = −0.01
    assert_eq!(
        svi_vol(&q, k, SVI_MAX_TOTAL_VARIANCE),
        Err(RiskError::InvalidSvi)
    );
    // a + b·σ = 0 exactly is allowed: B = 0 pins k to 0, so km = −m = −0.05 and
    // w = −0.06 + 0.2·(√(0.0025 + 0.09) + 0.015) = 0.00382762530298219689… ≥ 0 (mpmath).
    let q = SviParams { a: w("-0.06"), ..p };
    let got = svi_total_variance(&q, k, SVI_MAX_TOTAL_VARIANCE)
        .unwrap()
        .unwrap();
    assert!((got.raw() - 3_827_625_302_982_197).abs() <= 2, "{got}");
    // w < 0 with a + b·σ = 0.001 ≥ 0: a = −0.009, b = 1, σ = 0.01, ρ = 1 and K/F = 0.9, so
    // k = ln 0.9 = −0.10536 (inside B = 0.126) and w = −0.009 + √(k² + 10⁻⁴) + k ≈ −0.00852.
    let q = SviParams {
        a: w("-0.009"),
        b: w("1"),
        rho: w("1"),
        m: w("0"),
        sigma: w("0.01"),
        forward: w("100"),
        tau: w("1"),
    };
    assert_eq!(
        svi_vol(&q, w("90"), SVI_MAX_TOTAL_VARIANCE),
        Err(RiskError::InvalidSvi)
    );
    // τ^svi = 0 and negative.
    let q = SviParams {
        tau: Wad::ZERO,
        ..p
    };
    assert_eq!(
        svi_vol(&q, k, SVI_MAX_TOTAL_VARIANCE),
        Err(RiskError::DivisionByZero)
    );
    let q = SviParams { tau: w("-1"), ..p };
    assert_eq!(
        svi_vol(&q, k, SVI_MAX_TOTAL_VARIANCE),
        Err(RiskError::NegativeInput)
    );
}

#[test]
fn log_moneyness_clamp() {
    // B = 4·√(a + bσ) = 4·√0.1 ≈ 1.2649: strikes beyond F·e^{±B} give the same vol.
    let p = base();
    let bound = sqrt(w("0.1").mul_int(SVI_K_SCALE * SVI_K_SCALE).unwrap()).unwrap();
    let far_up = svi_vol(&p, w("2000000"), SVI_MAX_TOTAL_VARIANCE).unwrap();
    let farther_up = svi_vol(&p, w("200000000"), SVI_MAX_TOTAL_VARIANCE).unwrap();
    assert_eq!(far_up, farther_up);
    let far_down = svi_vol(&p, w("0.001"), SVI_MAX_TOTAL_VARIANCE).unwrap();
    assert_eq!(
        far_down,
        svi_vol(&p, w("0.0000001"), SVI_MAX_TOTAL_VARIANCE).unwrap()
    );
    // The clamped value is the smile at k = ±B exactly: check w(B) by hand in wad arithmetic.
    let km = bound.sub(p.m).unwrap();
    let root = sqrt(
        km.mul(km)
            .unwrap()
            .add(p.sigma.mul(p.sigma).unwrap())
            .unwrap(),
    )
    .unwrap();
    let w_b =
        p.a.add(p.b.mul(root.add(p.rho.mul(km).unwrap()).unwrap()).unwrap())
            .unwrap();
    let got = svi_total_variance(&p, w("2000000"), SVI_MAX_TOTAL_VARIANCE)
        .unwrap()
        .unwrap();
    assert!((got.raw() - w_b.raw()).abs() <= 3, "{got} vs {w_b}");
    // Inside the bound the smile is not clamped: ln(K/F) = 0.5.
    let k_in = w("2000")
        .mul(keel_risk::math::exp(w("0.5")).unwrap())
        .unwrap();
    let got = svi_total_variance(&p, k_in, SVI_MAX_TOTAL_VARIANCE)
        .unwrap()
        .unwrap();
    let km = ln(k_in.div(w("2000")).unwrap()).unwrap().sub(p.m).unwrap();
    let root = sqrt(
        km.mul(km)
            .unwrap()
            .add(p.sigma.mul(p.sigma).unwrap())
            .unwrap(),
    )
    .unwrap();
    let w_k =
        p.a.add(p.b.mul(root.add(p.rho.mul(km).unwrap()).unwrap()).unwrap())
            .unwrap();
    assert!((got.raw() - w_k.raw()).abs() <= 5, "{got} vs {w_k}");
}

#[test]
fn underflowing_moneyness_takes_the_lower_bound() {
    // K/F < 10⁻¹⁸ ⇒ k = −B, identical to any strike clamped at the lower bound.
    let p = SviParams {
        forward: w("1000000000"),
        ..base()
    };
    let tiny = Wad::from_raw(1); // K/F = 10⁻²⁷
    let clamped = svi_vol(&p, w("0.001"), SVI_MAX_TOTAL_VARIANCE).unwrap(); // k ≈ −27.6 < −B
    assert_eq!(svi_vol(&p, tiny, SVI_MAX_TOTAL_VARIANCE).unwrap(), clamped);
    // K/F exactly 10⁻¹⁸ does not underflow and is also clamped (ln = −41.4 < −B).
    let p = SviParams {
        forward: Wad::ONE,
        ..base()
    };
    assert_eq!(
        svi_vol(&p, Wad::from_raw(1), SVI_MAX_TOTAL_VARIANCE).unwrap(),
        clamped
    );
    // The rule is only visible when ln(K/F) > −B although K/F < 10⁻¹⁸, i.e. B > 41.45:
    // a + bσ = 200.1 gives B = ⌊4·√200.1⌋ ≈ 56.58, and K/F = 10⁻¹⁸/2 has ln = −42.14.
    let p = SviParams {
        a: w("200"),
        b: w("1"),
        rho: w("0"),
        m: w("0"),
        sigma: w("0.1"),
        forward: w("2"),
        tau: w("1"),
    };
    let bound = sqrt(w("3201.6")).unwrap(); // 16·200.1
    let at_bound = w("200").add(hypot(bound, w("0.1")).unwrap()).unwrap();
    let got = svi_total_variance(&p, tiny, Wad::from_int(1_000)).unwrap();
    assert_eq!(got, Some(at_bound));
    // Without the rule k would be ln(5·10⁻¹⁹) ≈ −42.14 and w ≈ 242.14, not ≈ 256.58.
    assert!(at_bound > w("256.5") && at_bound < w("256.6"), "{at_bound}");
}

#[test]
fn total_variance_cap() {
    // A huge smile: w far above 144 is capped, so σ = √(144/τ).
    let p = SviParams {
        a: w("500"),
        ..base()
    };
    assert_eq!(
        svi_total_variance(&p, w("2000"), SVI_MAX_TOTAL_VARIANCE).unwrap(),
        Some(SVI_MAX_TOTAL_VARIANCE)
    );
    assert_eq!(svi_vol(&p, w("2000"), SVI_MAX_TOTAL_VARIANCE), Ok(w("24"))); // √(144/0.25)
                                                                             // The cap is a parameter (the generator used 20).
    assert_eq!(svi_vol(&p, w("2000"), Wad::from_int(20)), sqrt(w("80")));
    // Below the cap nothing changes.
    let q = base();
    assert_eq!(
        svi_vol(&q, w("2100"), SVI_MAX_TOTAL_VARIANCE),
        svi_vol(&q, w("2100"), Wad::from_int(1_000))
    );
    // A tiny τ with a capped w: w/τ ≥ 340 takes the wad-division path.
    let p = SviParams {
        a: w("500"),
        tau: w("0.0001"),
        ..base()
    };
    assert_eq!(
        svi_vol(&p, w("2000"), SVI_MAX_TOTAL_VARIANCE),
        Ok(w("1200"))
    );
}
