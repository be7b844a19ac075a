//! Black-76 prices and greeks against mpmath and the limit rules of PM2 §4.1.
//!
//! Accuracy criterion (issue 2): relative error ≤ 10⁻¹², or absolute ≤ 10⁻¹²·F for tiny
//! prices. Asserted here in the stricter form `|err| ≤ max(10⁻¹²·price, 10⁻¹⁵·F·D) + 2 wei`
//! (the 2 wei are the wad truncation of `F·D`, `K·D` and of the result).
#[path = "data/refdata.rs"]
mod refdata;

use keel_risk::math::{
    annualise, black76, black76_greeks, black76_prepared, black76_with_greeks, sqrt, Black76Greeks,
    OptionPrices, PreparedForward, PreparedStrike, PreparedVol,
};
use keel_risk::{RiskError, Wad};
use refdata::{dec, rows, Max, Wei};

struct Case {
    f: Wad,
    k: Wad,
    st: Wad,
    vol: Wad,
    d: Wad,
}

fn case(r: &[&str]) -> Case {
    let secs: u64 = r[2].parse().unwrap();
    Case {
        f: dec(r[0]),
        k: dec(r[1]),
        st: sqrt(annualise(secs)).unwrap(),
        vol: dec(r[3]),
        d: dec(r[4]),
    }
}

fn within(err_wei: f64, want_wei: f64, fd_wei: f64) -> bool {
    err_wei.abs() <= (1e-12 * want_wei.abs()).max(1e-15 * fd_wei) + 2.0
}

#[test]
fn prices_match_mpmath_on_10000_random_inputs() {
    let mut max_rel = Max::default(); // over prices ≥ 1e-6·F·D
    let mut max_abs_fd = Max::default(); // |err| / (F·D), all prices
    let mut max_wei = Max::default();
    let mut count = 0;
    for r in rows(include_str!("data/black76_prices.txt")) {
        let c = case(&r);
        let p = black76(c.f, c.k, c.st, c.vol, c.d).unwrap();
        let fd = c.f.raw() as f64 * c.d.raw() as f64 / 1e18;
        for (got, want) in [(p.call, Wei::parse(r[5])), (p.put, Wei::parse(r[6]))] {
            let err = want.error_of(got);
            let w = want.as_f64();
            assert!(
                within(err, w, fd),
                "{r:?}: got {got}, want {} wei, error {err} wei",
                w
            );
            let label = || r.join(" ");
            max_abs_fd.see(err.abs() / fd, label);
            max_wei.see(err.abs(), label);
            if w >= 1e-6 * fd {
                max_rel.see(err.abs() / w, label);
            }
        }
        count += 1;
    }
    println!("black76 prices: {count} random cases (call and put each)");
    println!(
        "  max relative error (price ≥ 1e-6·F·D): {:.3e}  [{}]",
        max_rel.value, max_rel.at
    );
    println!(
        "  max |error| / (F·D):                   {:.3e}  [{}]",
        max_abs_fd.value, max_abs_fd.at
    );
    println!(
        "  max |error|:                           {:.3} wei  [{}]",
        max_wei.value, max_wei.at
    );
    assert!(count >= 10_000);
    assert!(max_rel.value <= 1e-12);
    assert!(max_abs_fd.value <= 1e-15);
}

#[test]
fn greeks_match_mpmath() {
    let mut max_delta = Max::default(); // absolute, in units of D
    let mut max_vega_rel = Max::default(); // where vega ≥ 1e-6·F·D·√τ
    let mut max_vega_abs = Max::default(); // |err| / (F·D·√τ)
    let mut count = 0;
    for r in rows(include_str!("data/black76_greeks.txt")) {
        let c = case(&r);
        let g = black76_greeks(c.f, c.k, c.st, c.vol, c.d).unwrap();
        let (p2, g2) = black76_with_greeks(c.f, c.k, c.st, c.vol, c.d).unwrap();
        assert_eq!(g, g2, "black76_with_greeks agrees with black76_greeks");
        assert_eq!(p2, black76(c.f, c.k, c.st, c.vol, c.d).unwrap());
        let d = c.d.raw() as f64;
        for (got, want) in [(g.call_delta, r[5]), (g.put_delta, r[6])] {
            let want = Wei::parse(want);
            let err = want.error_of(got).abs();
            assert!(
                err <= 1e-12 * want.as_f64().abs() + 2.0,
                "{r:?}: delta {got} vs {want:?}"
            );
            max_delta.see(err / d, || r.join(" "));
        }
        let want = Wei::parse(r[7]);
        let err = want.error_of(g.vega).abs();
        let scale = c.f.raw() as f64 * c.d.raw() as f64 * c.st.raw() as f64 / 1e36;
        assert!(
            err <= (1e-12 * want.as_f64()).max(1e-15 * scale) + 2.0,
            "{r:?}: vega {} vs {want:?}",
            g.vega
        );
        max_vega_abs.see(err / scale, || r.join(" "));
        if want.as_f64() >= 1e-6 * scale {
            max_vega_rel.see(err / want.as_f64(), || r.join(" "));
        }
        count += 1;
    }
    println!("black76 greeks: {count} random cases");
    println!(
        "  max |delta error| / D:                   {:.3e}  [{}]",
        max_delta.value, max_delta.at
    );
    println!(
        "  max vega relative error (≥1e-6·F·D·√τ):  {:.3e}  [{}]",
        max_vega_rel.value, max_vega_rel.at
    );
    println!(
        "  max |vega error| / (F·D·√τ):             {:.3e}  [{}]",
        max_vega_abs.value, max_vega_abs.at
    );
    assert!(count >= 1000);
    assert!(max_vega_rel.value <= 1e-12);
}

#[test]
fn hull_15_6() {
    // Hull, Options, Futures and Other Derivatives, example 15.6: S = 42, K = 40, r = 10 %,
    // σ = 20 %, T = 0.5 → call 4.759422, put 0.808599. Black-76 with F = S·e^{rT}, D = e^{−rT}.
    let r: Vec<&str> = rows(include_str!("data/black76_hull.txt")).next().unwrap();
    let c = case(&r);
    let (p, g) = black76_with_greeks(c.f, c.k, c.st, c.vol, c.d).unwrap();
    println!("Hull 15.6: {p:?} {g:?}");
    assert!(
        (p.call.raw() - 4_759_422_000_000_000_000).abs() < 500_000_000_000,
        "{p:?}"
    );
    assert!(
        (p.put.raw() - 808_599_000_000_000_000).abs() < 500_000_000_000,
        "{p:?}"
    );
    // And against the exact value on the same wad inputs: within 10⁻¹⁶·F·D + 2 wei
    // (the kernel's 2⁻⁵⁹ relative error on each tail term, plus wad truncations).
    let fd = c.f.raw() as f64 * c.d.raw() as f64 / 1e18;
    for (got, want) in [
        (p.call, r[5]),
        (p.put, r[6]),
        (g.call_delta, r[7]),
        (g.put_delta, r[8]),
        (g.vega, r[9]),
    ] {
        let err = Wei::parse(want).error_of(got).abs();
        assert!(err <= 1e-16 * fd + 2.0, "{got} vs {want}: {err} wei");
    }
}

fn w(s: &str) -> Wad {
    Wad::parse_decimal(s).unwrap()
}

fn prices(call: &str, put: &str) -> OptionPrices {
    OptionPrices {
        call: w(call),
        put: w(put),
    }
}

#[test]
fn zero_strike_and_zero_forward() {
    let (f, k, st, vol, d) = (w("2000"), w("1800"), w("0.3"), w("0.8"), w("0.99"));
    // K = 0 → (F·D, 0), whatever F.
    assert_eq!(black76(f, Wad::ZERO, st, vol, d), Ok(prices("1980", "0")));
    assert_eq!(
        black76(Wad::ZERO, Wad::ZERO, st, vol, d),
        Ok(prices("0", "0"))
    );
    // F = 0 → (0, K·D).
    assert_eq!(black76(Wad::ZERO, k, st, vol, d), Ok(prices("0", "1782")));
    let g = black76_greeks(f, Wad::ZERO, st, vol, d).unwrap();
    assert_eq!(
        g,
        Black76Greeks {
            call_delta: d,
            put_delta: Wad::ZERO,
            vega: Wad::ZERO
        }
    );
    let g = black76_greeks(Wad::ZERO, k, st, vol, d).unwrap();
    assert_eq!(
        g,
        Black76Greeks {
            call_delta: Wad::ZERO,
            put_delta: w("-0.99"),
            vega: Wad::ZERO
        }
    );
}

#[test]
fn total_vol_cap_at_24() {
    let (f, k, d) = (w("2000"), w("2500"), w("0.9"));
    // v = σ·√τ = 24 exactly (and above) → (F·D, K·D).
    for (st, vol) in [("4", "6"), ("1", "24"), ("2", "100"), ("3", "1000000000")] {
        assert_eq!(
            black76(f, k, w(st), w(vol), d),
            Ok(prices("1800", "2250")),
            "{st} {vol}"
        );
        assert_eq!(
            black76_greeks(f, k, w(st), w(vol), d),
            Ok(Black76Greeks {
                call_delta: d,
                put_delta: Wad::ZERO,
                vega: Wad::ZERO
            })
        );
    }
    // Products overflowing u128 are also ≥ 24.
    assert_eq!(
        black76(f, k, Wad::MAX, Wad::MAX, d),
        Ok(prices("1800", "2250"))
    );
    // Just below 24 the formula applies: the call is then below F·D (c* < 1 by ≈ N(−12)).
    let just_below = black76(
        f,
        k,
        Wad::ONE,
        Wad::from_raw(24_000_000_000_000_000_000 - 1),
        d,
    )
    .unwrap();
    assert!(just_below.call <= w("1800") && just_below.call > w("1799.99"));
    assert!(just_below.put <= w("2250") && just_below.put > w("2249.99"));
}

#[test]
fn zero_vol_or_time_gives_discounted_intrinsic() {
    let d = w("0.95");
    for (st, vol) in [
        ("0", "0.8"),
        ("0.5", "0"),
        ("0", "0"),
        ("0.000000001", "0.000000001"),
    ] {
        let (st, vol) = (w(st), w(vol));
        // In the money call / out of the money put, and the reverse.
        assert_eq!(
            black76(w("110"), w("100"), st, vol, d),
            Ok(prices("9.5", "0"))
        );
        assert_eq!(
            black76(w("90"), w("100"), st, vol, d),
            Ok(prices("0", "9.5"))
        );
        let g = black76_greeks(w("110"), w("100"), st, vol, d).unwrap();
        assert_eq!((g.call_delta, g.put_delta), (d, Wad::ZERO));
        let g = black76_greeks(w("90"), w("100"), st, vol, d).unwrap();
        assert_eq!((g.call_delta, g.put_delta), (Wad::ZERO, w("-0.95")));
        // At the money v = 10⁻¹⁸ leaves c* ≈ φ(0)·10⁻¹⁸: prices round to (almost) zero and
        // the delta is D/2.
        let atm = black76(w("100"), w("100"), st, vol, d).unwrap();
        assert!(atm.call.raw() <= 100 && atm.put.raw() <= 100, "{atm:?}");
        let g = black76_greeks(w("100"), w("100"), st, vol, d).unwrap();
        assert!(
            (g.call_delta.raw() - 475_000_000_000_000_000).abs() <= 1,
            "{g:?}"
        );
        assert!(
            (g.put_delta.raw() + 475_000_000_000_000_000).abs() <= 1,
            "{g:?}"
        );
    }
    // Vega at zero vol and positive time: F·D·φ(0)·√τ at the money, 0 away from it.
    let g = black76_greeks(w("100"), w("100"), w("0.5"), Wad::ZERO, d).unwrap();
    // 100·0.95·0.3989422804014327·0.5 = 18.94975831906805…
    assert!(
        (g.vega.raw() - 18_949_758_319_068_052_000).abs() < 1_000,
        "{g:?}"
    );
    let g = black76_greeks(w("101"), w("100"), w("0.5"), Wad::ZERO, d).unwrap();
    assert_eq!(g.vega, Wad::ZERO);
}

#[test]
fn caps_and_floors_hold_everywhere() {
    // Sweep moneyness and total vol: 0 ≤ call ≤ F·D, 0 ≤ put ≤ K·D, parity within 3 wei.
    let f = w("3000");
    let d = w("0.97");
    let fd = f.mul(d).unwrap();
    for i in 0..200 {
        let k = Wad::from_raw(f.raw() / 50 * (i + 1) / 2 + 1);
        let kd = k.mul(d).unwrap();
        for vol in ["0.0001", "0.01", "0.3", "1", "5", "23.9"] {
            let p = black76(f, k, Wad::ONE, w(vol), d).unwrap();
            assert!(p.call >= Wad::ZERO && p.call <= fd && p.put >= Wad::ZERO && p.put <= kd);
            let parity = p.call.raw() - p.put.raw() - (fd.raw() - kd.raw());
            assert!(
                parity.abs() <= 3 || p.put == kd || p.call == fd,
                "parity {parity} at {k} {vol}"
            );
            let g = black76_greeks(f, k, Wad::ONE, w(vol), d).unwrap();
            assert!(g.call_delta >= Wad::ZERO && g.call_delta <= d);
            assert!(g.put_delta <= Wad::ZERO && g.put_delta.raw() >= -d.raw());
            assert!((g.call_delta.raw() - g.put_delta.raw() - d.raw()).abs() <= 2);
            assert!(g.vega >= Wad::ZERO);
        }
    }
}

#[test]
fn extreme_moneyness_is_intrinsic() {
    let d = Wad::ONE;
    // μ = 10⁻³⁰ / 10³⁰ with moderate vol: tails vanish, exact intrinsic values.
    let tiny = Wad::from_raw(1_000);
    let huge = Wad::from_int(1_000_000_000_000);
    assert_eq!(
        black76(huge, tiny, Wad::ONE, Wad::ONE, d),
        Ok(OptionPrices {
            call: huge.sub(tiny).unwrap(),
            put: Wad::ZERO
        })
    );
    assert_eq!(
        black76(tiny, huge, Wad::ONE, Wad::ONE, d),
        Ok(OptionPrices {
            call: Wad::ZERO,
            put: huge.sub(tiny).unwrap()
        })
    );
}

#[test]
fn negative_inputs_are_refused() {
    let ok = [w("100"), w("90"), w("0.5"), w("0.6"), w("0.99")];
    for i in 0..5 {
        let mut a = ok;
        a[i] = Wad::from_raw(-1);
        assert_eq!(
            black76(a[0], a[1], a[2], a[3], a[4]),
            Err(RiskError::NegativeInput)
        );
        assert_eq!(
            black76_greeks(a[0], a[1], a[2], a[3], a[4]),
            Err(RiskError::NegativeInput)
        );
    }
    assert!(black76(ok[0], ok[1], ok[2], ok[3], ok[4]).is_ok());
}

#[test]
fn greeks_agree_with_finite_differences() {
    // Independent of mpmath: central differences of the priced call.
    let (f, k, st, vol, d) = (w("2500"), w("2700"), w("0.4"), w("0.65"), w("0.98"));
    let g = black76_greeks(f, k, st, vol, d).unwrap();
    let h = w("0.001");
    let up = black76(f.add(h).unwrap(), k, st, vol, d).unwrap();
    let dn = black76(f.sub(h).unwrap(), k, st, vol, d).unwrap();
    let fd_delta = (up.call.raw() - dn.call.raw()) as f64 / (2.0 * h.raw() as f64);
    assert!(
        (fd_delta - g.call_delta.raw() as f64 / 1e18).abs() < 1e-9,
        "{fd_delta} {g:?}"
    );
    let fd_put = (up.put.raw() - dn.put.raw()) as f64 / (2.0 * h.raw() as f64);
    assert!(
        (fd_put - g.put_delta.raw() as f64 / 1e18).abs() < 1e-9,
        "{fd_put} {g:?}"
    );
    let hv = w("0.000001");
    let up = black76(f, k, st, vol.add(hv).unwrap(), d).unwrap();
    let dn = black76(f, k, st, vol.sub(hv).unwrap(), d).unwrap();
    let fd_vega = (up.call.raw() - dn.call.raw()) as f64 / (2.0 * hv.raw() as f64);
    assert!(
        (fd_vega / (g.vega.raw() as f64 / 1e18) - 1.0).abs() < 1e-8,
        "{fd_vega} {g:?}"
    );
}

fn prepared(f: Wad, k: Wad, st: Wad, vol: Wad, d: Wad) -> Result<OptionPrices, RiskError> {
    black76_prepared(
        &PreparedForward::new(f, d)?,
        &PreparedStrike::new(k, d)?,
        &PreparedVol::new(st, vol)?,
    )
}

#[test]
fn prepared_pricing_is_bit_identical() {
    // The mpmath sample, then every limit regime: zero strike or forward, zero vol or time,
    // the total-vol cap, extreme moneyness, and one forward against many strikes and vols.
    let mut count = 0;
    for r in rows(include_str!("data/black76_prices.txt")) {
        let c = case(&r);
        assert_eq!(
            prepared(c.f, c.k, c.st, c.vol, c.d),
            black76(c.f, c.k, c.st, c.vol, c.d),
            "{r:?}"
        );
        count += 1;
    }
    assert!(count >= 10_000);
    let d = w("0.97");
    let f = w("3000");
    let forward = PreparedForward::new(f, d).unwrap();
    for (k, st, vol) in [
        (Wad::ZERO, Wad::ONE, w("0.5")),
        (w("100"), Wad::ZERO, w("0.5")),
        (w("100"), Wad::ONE, Wad::ZERO),
        (w("100"), Wad::ONE, w("24")),
        (w("100"), w("2"), w("12")),
        (Wad::from_raw(1_000), Wad::ONE, Wad::ONE),
        (Wad::from_int(1_000_000_000_000), Wad::ONE, Wad::ONE),
    ] {
        assert_eq!(prepared(f, k, st, vol, d), black76(f, k, st, vol, d));
        assert_eq!(
            prepared(Wad::ZERO, k, st, vol, d),
            black76(Wad::ZERO, k, st, vol, d)
        );
    }
    for i in 0..400 {
        let k = Wad::from_raw(f.raw() / 100 * (i + 1) / 2 + 7);
        let strike = PreparedStrike::new(k, d).unwrap();
        for vol in ["0.0001", "0.01", "0.3", "1", "5", "23.9"].map(w) {
            let want = black76(f, k, w("0.4"), vol, d);
            let vol = PreparedVol::new(w("0.4"), vol).unwrap();
            assert_eq!(black76_prepared(&forward, &strike, &vol), want);
        }
    }
    for i in 0..5 {
        let mut a = [w("100"), w("90"), w("0.5"), w("0.6"), w("0.99")];
        a[i] = Wad::from_raw(-1);
        assert_eq!(
            prepared(a[0], a[1], a[2], a[3], a[4]),
            Err(RiskError::NegativeInput)
        );
    }
}
