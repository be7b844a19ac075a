//! Unit tests of the cross model: the §12 pitfalls, the §13 worked examples and the Keel
//! collateral extension. Expected values are hand-derived (exact wad arithmetic) or, for
//! option prices, computed independently with mpmath at 40 digits from the inputs used here.

use alloc::vec;
use alloc::vec::Vec;

use super::*;

fn w(s: &str) -> Wad {
    Wad::parse_decimal(s).unwrap()
}

/// The golden parameter set of SRM §3.3 with base factor `beta`.
fn params(beta: &str) -> SrmParams {
    SrmParams {
        max_spot_req: w("0.15"),
        min_spot_req: w("0.1"),
        mm_call_spot_req: w("0.075"),
        mm_put_spot_req: w("0.075"),
        mm_put_mtm_req: w("0.075"),
        unpaired_im_scale: w("1.2"),
        unpaired_mm_scale: w("1.1"),
        mm_offset_scale: w("1.05"),
        perp_im_req: w("0.065"),
        perp_mm_req: w("0.05"),
        base_margin_factor: w(beta),
        base_im_scale: Wad::ONE,
        oc_perp_threshold: w("0.4"),
        oc_option_threshold: w("0.4"),
        oc_base_threshold: w("0.4"),
        oc_factor: w("0.4"),
    }
}

fn globals(stable: &str) -> SrmGlobals {
    SrmGlobals {
        stable_price: w(stable),
        depeg_threshold: w("0.98"),
        depeg_factor: w("1.2"),
        ..SrmGlobals::default()
    }
}

fn market(spot: &str, perp: &str) -> MarketData {
    MarketData {
        spot: w(spot),
        spot_confidence: Wad::ONE,
        perp_price: w(perp),
        perp_confidence: Wad::ONE,
        params: params("0.8"),
    }
}

fn holdings(data: MarketData) -> MarketHoldings {
    MarketHoldings {
        data,
        ..MarketHoldings::default()
    }
}

fn option(strike: &str, is_call: bool, amount: &str, vol: &str) -> OptionHolding {
    OptionHolding {
        strike: w(strike),
        is_call,
        amount: w(amount),
        vol: w(vol),
    }
}

fn expiry(seconds: u64, forward: &str, options: Vec<OptionHolding>) -> ExpiryHoldings {
    ExpiryHoldings {
        data: ExpiryData {
            expiry: seconds,
            forward: w(forward),
            forward_confidence: Wad::ONE,
            vol_confidence: Wad::ONE,
        },
        options,
    }
}

fn account(cash: &str, stable: &str, markets: Vec<MarketHoldings>) -> CrossAccount {
    CrossAccount {
        time: 0,
        cash: w(cash),
        globals: globals(stable),
        markets,
        collaterals: Vec::new(),
    }
}

fn assert_close(actual: Wad, expected: &str, tolerance: &str, what: &str) {
    let diff = actual.sub(w(expected)).unwrap().abs().unwrap();
    assert!(
        diff <= w(tolerance),
        "{what}: {actual} vs {expected} (± {tolerance})"
    );
}

/// The breakdown must add up to the totals it explains.
fn assert_breakdown_sums(r: &CrossMargin) {
    let mut im = r.cash;
    let mut mm = r.cash;
    let mut mtm = r.cash;
    for m in &r.markets {
        let mut options_im = Wad::ZERO;
        let mut options_mm = Wad::ZERO;
        for e in &m.expiries {
            options_im = options_im.add(e.im.total).unwrap();
            options_mm = options_mm.add(e.mm.total).unwrap();
            assert_eq!(e.im.chosen, e.im.isolated.max(e.im.max_loss));
            assert_eq!(e.mm.oracle_contingency, Wad::ZERO);
        }
        assert_eq!(m.im.options, options_im);
        assert_eq!(m.mm.options, options_mm);
        for side in [&m.im, &m.mm] {
            let sum = [
                side.perp,
                side.perp_oracle_contingency,
                side.options,
                side.base,
                side.base_oracle_contingency,
                side.depeg,
                side.unsettled,
            ]
            .iter()
            .fold(Wad::ZERO, |a, &b| a.add(b).unwrap());
            assert_eq!(side.total, sum);
        }
        assert_eq!(m.mm.depeg, Wad::ZERO);
        assert_eq!(m.mm.perp_oracle_contingency, Wad::ZERO);
        assert_eq!(m.mm.base_oracle_contingency, Wad::ZERO);
        im = im.add(m.im.total).unwrap();
        mm = mm.add(m.mm.total).unwrap();
        mtm = mtm.add(m.mtm).unwrap();
    }
    for c in &r.collaterals {
        im = im.add(c.im).unwrap();
        mm = mm.add(c.mm).unwrap();
        mtm = mtm.add(c.mtm).unwrap();
    }
    assert_eq!((r.im, r.mm, r.mtm), (im, mm, mtm));
}

// ---------------------------------------------------------------- parameter validation

#[test]
fn validation_enforces_the_setter_ranges() {
    let ok = params("0.1");
    assert_eq!(ok.validate(), Ok(()));
    // Inclusive bounds are accepted.
    let mut edge = ok;
    edge.max_spot_req = w("1.2");
    edge.min_spot_req = Wad::ZERO;
    edge.unpaired_im_scale = w("3");
    edge.mm_offset_scale = Wad::ONE;
    edge.perp_im_req = edge.perp_mm_req;
    edge.base_margin_factor = Wad::ONE;
    edge.oc_factor = Wad::ONE;
    assert_eq!(edge.validate(), Ok(()));

    type Mutation = fn(&mut SrmParams);
    let cases: [(Mutation, RiskError); 12] = [
        (
            |p| p.max_spot_req = w("1.200000000000000001"),
            RiskError::InvalidOptionMarginParams,
        ),
        (
            |p| p.min_spot_req = w("-0.1"),
            RiskError::InvalidOptionMarginParams,
        ),
        (
            |p| p.mm_call_spot_req = w("1.1"),
            RiskError::InvalidOptionMarginParams,
        ),
        (
            |p| p.mm_put_mtm_req = w("-0.01"),
            RiskError::InvalidOptionMarginParams,
        ),
        (
            |p| p.unpaired_mm_scale = w("0.99"),
            RiskError::InvalidOptionMarginParams,
        ),
        (
            |p| p.mm_offset_scale = w("3.01"),
            RiskError::InvalidOptionMarginParams,
        ),
        (
            |p| p.perp_mm_req = Wad::ZERO,
            RiskError::InvalidPerpMarginParams,
        ),
        (
            |p| p.perp_im_req = w("0.04"),
            RiskError::InvalidPerpMarginParams,
        ),
        (
            |p| p.perp_im_req = Wad::ONE,
            RiskError::InvalidPerpMarginParams,
        ),
        (
            |p| p.base_im_scale = w("1.5"),
            RiskError::InvalidBaseMarginParams,
        ),
        (
            |p| p.oc_base_threshold = w("-0.1"),
            RiskError::InvalidOracleContingencyParams,
        ),
        (
            |p| p.oc_factor = w("1.01"),
            RiskError::InvalidOracleContingencyParams,
        ),
    ];
    for (i, (mutate, error)) in cases.iter().enumerate() {
        let mut p = ok;
        mutate(&mut p);
        assert_eq!(p.validate(), Err(*error), "case {i}");
        // The margin function refuses the same parameters.
        let mut data = market("2000", "2001");
        data.params = p;
        assert_eq!(
            cross_margin(&account("0", "1", vec![holdings(data)])),
            Err(*error)
        );
    }

    let mut g = globals("1");
    assert_eq!(g.validate(), Ok(()));
    g.depeg_factor = w("3.000000000000000001");
    assert_eq!(g.validate(), Err(RiskError::InvalidDepegParams));
    g = globals("1");
    g.depeg_threshold = w("1.01");
    assert_eq!(g.validate(), Err(RiskError::InvalidDepegParams));
    g = globals("-1");
    assert_eq!(g.validate(), Err(RiskError::NegativeInput));
    g = globals("1");
    g.collateral_oc_factor = w("2");
    assert_eq!(g.validate(), Err(RiskError::InvalidOracleContingencyParams));
}

#[test]
fn negative_inputs_are_refused() {
    let mut m = holdings(market("2000", "2001"));
    m.base_balance = w("-1");
    assert_eq!(
        cross_margin(&account("0", "1", vec![m])),
        Err(RiskError::NegativeInput)
    );
    let m = holdings(market("-2000", "2001"));
    assert_eq!(
        cross_margin(&account("0", "1", vec![m])),
        Err(RiskError::NegativeInput)
    );
    let mut m = holdings(market("2000", "2001"));
    m.expiries
        .push(expiry(100, "2000", vec![option("2000", true, "1", "-0.5")]));
    assert_eq!(
        cross_margin(&account("0", "1", vec![m])),
        Err(RiskError::NegativeInput)
    );
}

#[test]
fn a_zero_forward_is_an_error_only_when_the_expiry_holds_options() {
    let mut m = holdings(market("2000", "2001"));
    m.expiries.push(expiry(100, "0", vec![]));
    let r = cross_margin(&account("5", "1", vec![m.clone()])).unwrap();
    assert_eq!((r.im, r.mm, r.mtm), (w("5"), w("5"), w("5")));
    m.expiries[0]
        .options
        .push(option("2000", false, "1", "0.5"));
    assert_eq!(
        cross_margin(&account("5", "1", vec![m])),
        Err(RiskError::DivisionByZero)
    );
}

// ---------------------------------------------------------------- §12 pitfalls, exact arithmetic

/// Pitfall 2 and 6: perp notional uses the perp mark, its contingency the spot and the
/// confidence `min(κ^Π, κ^S)`; comparisons are strict and a zero threshold disables.
#[test]
fn perp_uses_the_mark_for_notional_and_spot_for_its_contingency() {
    let mut m = holdings(market("2000", "2001"));
    m.perp_size = w("-2");
    m.perp_unsettled_cash = w("-2");
    m.data.perp_confidence = w("0.1");
    let r = cross_margin(&account("10000", "1", vec![m.clone()])).unwrap();
    let b = &r.markets[0];
    assert_eq!(b.im.perp, w("-260.13")); // 2 · 2001 · 0.065
    assert_eq!(b.mm.perp, w("-200.1")); // 2 · 2001 · 0.05
    assert_eq!(b.im.perp_oracle_contingency, w("-1440")); // 0.9 · 0.4 · 2000 · 2
    assert_eq!(b.im.unsettled, w("-2"));
    assert_eq!(r.im, w("8297.87"));
    assert_eq!(r.mm, w("9797.9"));
    assert_eq!(r.mtm, w("9998"));
    assert_breakdown_sums(&r);

    // The spot confidence counts too (min of both).
    m.data.perp_confidence = Wad::ONE;
    m.data.spot_confidence = w("0.3");
    let r = cross_margin(&account("0", "1", vec![m.clone()])).unwrap();
    assert_eq!(r.markets[0].im.perp_oracle_contingency, w("-1120")); // 0.7 · 0.4 · 2000 · 2
                                                                     // Strict comparison: κ = θ pays nothing.
    m.data.spot_confidence = w("0.4");
    let r = cross_margin(&account("0", "1", vec![m.clone()])).unwrap();
    assert_eq!(r.markets[0].im.perp_oracle_contingency, Wad::ZERO);
    // A zero threshold disables the contingency.
    m.data.spot_confidence = w("0.1");
    m.data.params.oc_perp_threshold = Wad::ZERO;
    let r = cross_margin(&account("0", "1", vec![m.clone()])).unwrap();
    assert_eq!(r.markets[0].im.perp_oracle_contingency, Wad::ZERO);
    // With P = 0 the unsettled cash is ignored.
    m.perp_size = Wad::ZERO;
    m.perp_unsettled_cash = w("1000");
    let r = cross_margin(&account("0", "1", vec![m])).unwrap();
    assert_eq!((r.im, r.mm, r.mtm), (Wad::ZERO, Wad::ZERO, Wad::ZERO));
}

/// §13 Test20 and pitfalls 6–7: base collateral, its contingency on the full notional, the
/// margin not divided by the stable price but the MtM divided by it.
#[test]
fn base_asset_test20_and_stable_division() {
    let mut data = market("1500", "1500");
    data.params = params("0.1");
    data.spot_confidence = w("0.15");
    let mut m = holdings(data);
    m.base_balance = Wad::ONE;
    let r = cross_margin(&account("0", "1", vec![m.clone()])).unwrap();
    assert_eq!(r.mm, w("150"));
    assert_eq!(r.im, w("-360")); // 150 − 0.85 · 0.4 · 1500
    assert_eq!(r.markets[0].im.base_oracle_contingency, w("-510"));
    assert_eq!(r.mtm, w("1500"));
    assert_breakdown_sums(&r);

    // Stable at 0.99 (above the de-peg threshold): margins unchanged, MtM = 1500 ⊘ 0.99.
    let r2 = cross_margin(&account("0", "0.99", vec![m.clone()])).unwrap();
    assert_eq!((r2.im, r2.mm), (r.im, r.mm));
    assert_eq!(r2.mtm, Wad::from_raw(1_515_151_515_151_515_151_515));

    // β = 0: base ignored for margin, and its contingency skipped (IM base value 0).
    m.data.params.base_margin_factor = Wad::ZERO;
    let r = cross_margin(&account("0", "1", vec![m])).unwrap();
    assert_eq!((r.im, r.mm, r.mtm), (Wad::ZERO, Wad::ZERO, w("1500")));
}

/// §4.3: the short call's spot fraction decays with OTM-ness down to `q_min`; the rounding
/// happens once per ⊗/⊘ in the written order.
#[test]
fn short_call_isolated_margin() {
    let data = market("1500", "1500");
    let mtm = w("-79.3716");
    let atm = option("1500", true, "-1", "0");
    assert_eq!(
        short_option_margin(&data, &atm, mtm).unwrap(),
        (w("-304.3716"), w("-191.8716"))
    );
    // ω = 50 ⊘ 1500 = 0.033333333333333333, q = 0.116666666666666667, q ⊗ 1500 keeps the 5e-16.
    let otm = option("1550", true, "-1", "0");
    let (im, mm) = short_option_margin(&data, &otm, mtm).unwrap();
    assert_eq!(im, w("-254.3716000000000005"));
    assert_eq!(mm, w("-191.8716"));
    // ω = 0.2 > q_max: floor q_min.
    let far = option("1800", true, "-2", "0");
    let (im, _) = short_option_margin(&data, &far, w("-1")).unwrap();
    assert_eq!(im, w("-301")); // 0.1 · 1500 · 2 + 1
                               // Calls have no μ·MM floor, unlike puts (pitfall 5).
    let data = market("2000", "2000");
    let itm_call = option("100", true, "-1", "0");
    let (im, mm) = short_option_margin(&data, &itm_call, w("-3000")).unwrap();
    assert_eq!((im, mm), (w("-3300"), w("-3150")));
    let itm_put = option("5000", false, "-1", "0");
    let (im, _) = short_option_margin(&data, &itm_put, w("-3000")).unwrap();
    assert_eq!(im, w("-3386.25")); // capped by 1.05 · MM, MM = −3000 − 225
}

/// Pitfall 5 and §13 ITM put: the MM add-on is the larger of spot- and MtM-based, IM is
/// capped by μ·MM.
#[test]
fn short_put_isolated_margin() {
    let data = market("2000", "2001");
    let put = option("7400", false, "-1", "0");
    let (im, mm) = short_option_margin(&data, &put, w("-5399.08655")).unwrap();
    assert_eq!(mm, w("-5804.01804125")); // −5399.08655 + min(−150, −404.93149125)
    assert_eq!(im, w("-6094.2189433125")); // min(−5699.08655, 1.05 · MM)
                                           // OTM: spot add-on dominates MM; IM with ω = 0.25 → q_min.
    let otm = option("1500", false, "-1", "0");
    let (im, mm) = short_option_margin(&data, &otm, w("-1")).unwrap();
    assert_eq!((im, mm), (w("-201"), w("-151")));
}

/// Pitfall 3: scenario 0 and every strike, each floored at 0, then the minimum.
#[test]
fn max_loss_scenarios() {
    // Short put spread 2000/1800: worst −200 at 0 and at 1800.
    let spread = [
        option("2000", false, "-1", "0"),
        option("1800", false, "1", "0"),
    ];
    assert_eq!(bounded_max_loss(&spread).unwrap(), w("-200"));
    // A naked short put is bounded by the scenario at price 0.
    assert_eq!(
        bounded_max_loss(&[option("1000", false, "-2", "0")]).unwrap(),
        w("-2000")
    );
    // Long-only payoffs are floored at 0.
    let longs = [
        option("1000", true, "1", "0"),
        option("900", false, "3", "0"),
    ];
    assert_eq!(bounded_max_loss(&longs).unwrap(), Wad::ZERO);
    // Short butterfly wings: the worst scenario is the middle strike.
    let fly = [
        option("1800", true, "-1", "0"),
        option("2000", true, "2", "0"),
        option("2200", true, "-1", "0"),
    ];
    assert_eq!(bounded_max_loss(&fly).unwrap(), w("-200"));
    // Same strike as a call and a put: a short straddle loses nothing at its strike but
    // everything at price 0.
    let straddle = [
        option("2000", true, "-1", "0"),
        option("2000", false, "-1", "0"),
    ];
    assert_eq!(bounded_max_loss(&straddle).unwrap(), w("-2000"));
}

/// §13 short call spread with offset: the unpaired charge `(λ ⊗ F) ⊗ N` (forward, signed net
/// calls) is added to the worst scenario, then the better of isolated and max loss wins.
#[test]
fn unpaired_charge_uses_the_forward_and_net_calls() {
    let spread = [
        option("1100", true, "-1.01", "0"),
        option("1200", true, "1", "0"),
    ];
    let bounded = bounded_max_loss(&spread).unwrap();
    assert_eq!(bounded, w("-101"));
    let f = w("2002.83305");
    let n = w("-0.01");
    let im = expiry_side(w("-1214.8613805"), bounded, w("1.2"), f, n, Wad::ZERO).unwrap();
    assert_eq!(im.unpaired_charge, w("-24.0339966"));
    assert_eq!(im.max_loss, w("-125.0339966"));
    assert_eq!(im.chosen, w("-125.0339966"));
    assert_eq!(im.chosen.trunc_int(), -125);
    let mm = expiry_side(w("-1100"), bounded, w("1.1"), f, n, Wad::ZERO).unwrap();
    assert_eq!(mm.max_loss, w("-123.03116355"));
    assert_eq!(mm.chosen.trunc_int(), -123);
    // Isolated better than the bound: isolated wins; a contingency is added after the choice.
    let side = expiry_side(w("-50"), bounded, w("1.2"), f, n, w("-7")).unwrap();
    assert_eq!((side.chosen, side.total), (w("-50"), w("-57")));
    // No charge when net calls are ≥ 0.
    let side = expiry_side(w("-500"), bounded, w("1.2"), f, w("0"), Wad::ZERO).unwrap();
    assert_eq!((side.unpaired_charge, side.chosen), (Wad::ZERO, w("-101")));
}

/// Pitfall 8: de-peg only in IM, `δ = (d_θ − s) ⊗ d_φ` applied with spot to `|P|`.
#[test]
fn depeg_applies_to_im_only() {
    let mut m = holdings(market("2000", "2001"));
    m.perp_size = w("1");
    let r = cross_margin(&account("0", "0.1", vec![m.clone()])).unwrap();
    assert_eq!(r.markets[0].im.depeg, w("-2112")); // 1 · (0.88 · 1.2) · 2000
    assert_eq!(r.markets[0].depeg_exposure, w("1"));
    assert_eq!(r.im, w("-2242.065")); // −130.065 − 2112
    assert_eq!(r.mm, w("-100.05"));
    assert_breakdown_sums(&r);
    // At the threshold: no add-on (strict).
    let r = cross_margin(&account("0", "0.98", vec![m.clone()])).unwrap();
    assert_eq!(r.markets[0].im.depeg, Wad::ZERO);
    // Base balances do not count in the exposure.
    m.perp_size = Wad::ZERO;
    m.base_balance = w("3");
    let r = cross_margin(&account("0", "0.1", vec![m])).unwrap();
    assert_eq!(r.markets[0].im.depeg, Wad::ZERO);
}

/// Pitfall 9: products beyond i128 before the division still give the exact result.
#[test]
fn large_notionals_use_the_wide_intermediate() {
    let mut m = holdings(market("28000", "28020"));
    m.perp_size = w("-1000000");
    let r = cross_margin(&account("0", "1", vec![m])).unwrap();
    // Raw product 10²⁴ · 2.802·10²² ≈ 2.8·10⁴⁶ overflows i128 inside the first ⊗.
    assert_eq!(r.markets[0].mm.perp, w("-1401000000"));
    assert_eq!(r.markets[0].im.perp, w("-1821300000"));
}

// ---------------------------------------------------------------- Keel collateral extension

fn wsteth(confidence: &str, link: Option<u32>) -> CollateralHolding {
    CollateralHolding {
        amount: w("10"),
        price: w("2300"),
        confidence: w(confidence),
        mm_haircut: w("0.1"),
        im_haircut: w("0.05"),
        market: link,
    }
}

#[test]
fn generic_collateral_haircuts_contingency_and_mtm() {
    let eth = holdings(market("2000", "2001"));
    let mut a = account("0", "1", vec![eth]);
    a.collaterals.push(wsteth("1", Some(0)));
    let r = cross_margin(&a).unwrap();
    let c = r.collaterals[0];
    assert_eq!(c.value, w("23000"));
    assert_eq!((r.mm, r.im, r.mtm), (w("20700"), w("19550"), w("23000")));
    assert_breakdown_sums(&r);

    // Linked: the market's θ_B = 0.4 and φ = 0.4 with the asset's own confidence.
    a.collaterals[0] = wsteth("0.2", Some(0));
    let r = cross_margin(&a).unwrap();
    assert_eq!(r.collaterals[0].oracle_contingency, w("-7360")); // 0.8 · 0.4 · 23000
    assert_eq!(r.im, w("12190"));
    assert_eq!(r.mm, w("20700"));
    // Unlinked: the global parameters, 0 by default = disabled.
    a.collaterals[0] = wsteth("0.2", None);
    assert_eq!(cross_margin(&a).unwrap().im, w("19550"));
    a.globals.collateral_oc_threshold = w("0.5");
    a.globals.collateral_oc_factor = w("0.5");
    assert_eq!(cross_margin(&a).unwrap().im, w("10350")); // 19550 − 0.8 · 0.5 · 23000
                                                          // MtM in stable units.
    a.globals.stable_price = w("0.99");
    let r = cross_margin(&a).unwrap();
    assert_eq!(r.mtm, w("23000").div(w("0.99")).unwrap());
    assert_eq!(r.mm, w("20700"));

    // Haircuts summing to 1: IM value 0 and no contingency.
    a.collaterals[0].im_haircut = w("0.9");
    let r = cross_margin(&a).unwrap();
    assert_eq!(
        (r.collaterals[0].im, r.collaterals[0].oracle_contingency),
        (Wad::ZERO, Wad::ZERO)
    );
    a.collaterals[0].im_haircut = w("0.900000000000000001");
    assert_eq!(cross_margin(&a), Err(RiskError::InvalidCollateralParams));
    a.collaterals[0] = wsteth("1", Some(1));
    assert_eq!(cross_margin(&a), Err(RiskError::MissingMarketData));
    a.collaterals[0] = wsteth("1", None);
    a.collaterals[0].mm_haircut = w("-0.1");
    assert_eq!(cross_margin(&a), Err(RiskError::InvalidCollateralParams));
}

#[test]
fn zero_collateral_leaves_the_srm_result_unchanged() {
    let mut m = holdings(market("2000", "2001"));
    m.perp_size = w("3");
    m.base_balance = w("1");
    m.data.spot_confidence = w("0.3");
    let plain = account("-100", "0.9", vec![m]);
    let mut extended = plain.clone();
    let mut empty = wsteth("0.1", Some(0));
    empty.amount = Wad::ZERO;
    extended.collaterals.push(empty);
    let (a, b) = (
        cross_margin(&plain).unwrap(),
        cross_margin(&extended).unwrap(),
    );
    assert_eq!((a.im, a.mm, a.mtm), (b.im, b.mm, b.mtm));
    assert_eq!(a.markets, b.markets);
}

// ---------------------------------------------------------------- priced (Black-76) cases

/// §13 Test1: short 1 ATM call. Reference call price for these inputs (mpmath):
/// 79.371257994125298730.
#[test]
fn worked_example_test1() {
    let mut m = holdings(market("1500", "1505"));
    m.data.params = params("0.1");
    m.expiries.push(expiry(
        500_400,
        "1500.8333",
        vec![option("1500", true, "-1", "1.04788")],
    ));
    let r = cross_margin(&account("0", "1", vec![m])).unwrap();
    let e = &r.markets[0].expiries[0];
    assert_close(
        e.options[0].price,
        "79.371257994125298730",
        "0.000000001",
        "call price",
    );
    assert_close(
        e.options[0].price,
        "79.3716",
        "0.001",
        "spec's stated price",
    );
    assert_eq!(e.im.max_loss, w("-1800.99996")); // 1.2 · 1500.8333 · (−1)
    assert_eq!(e.mm.max_loss, w("-1650.91663"));
    assert_close(r.im, "-304.371257994125298730", "0.000000001", "IM");
    assert_close(r.mm, "-191.871257994125298730", "0.000000001", "MM");
    assert_close(r.mtm, "-79.371257994125298730", "0.000000001", "MtM");
    assert_eq!(e.im.chosen, e.im.isolated);
    assert_breakdown_sums(&r);
}

/// §13 short call spread with offset: isolated is worse, so the result is the exact bound.
#[test]
fn worked_example_short_call_spread_with_offset() {
    let mut m = holdings(market("2000", "2001"));
    m.expiries.push(expiry(
        892_800,
        "2002.83305",
        vec![
            option("1100", true, "-1.01", "0.5"),
            option("1200", true, "1", "0.5"),
        ],
    ));
    let r = cross_margin(&account("0", "1", vec![m])).unwrap();
    assert_eq!(r.im, w("-125.0339966"));
    assert_eq!(r.mm, w("-123.03116355"));
    assert_eq!((r.im.trunc_int(), r.mm.trunc_int()), (-125, -123));
    // MtM: −1.01 · 902.83305000000891210 + 802.83305001159233091 (mpmath).
    assert_close(r.mtm, "-109.02833048841667031", "0.000000001", "MtM");
    let e = &r.markets[0].expiries[0];
    assert_eq!(e.net_calls, w("-0.01"));
    assert_eq!(e.total_shorts, w("1.01"));
    assert_breakdown_sums(&r);
}

/// §13 ITM put with IM a multiple of MM. Reference put price 5399.08655 (deep ITM: K − F).
#[test]
fn worked_example_itm_put_im_multiple_of_mm() {
    let mut m = holdings(market("2000", "2001"));
    m.expiries.push(expiry(
        288_000,
        "2000.91345",
        vec![option("7400", false, "-1", "0.5")],
    ));
    let r = cross_margin(&account("0", "1", vec![m])).unwrap();
    assert_close(r.mm, "-5804.01804125", "0.000000001", "MM");
    assert_close(r.im, "-6094.2189433125", "0.000000001", "IM");
    assert_eq!((r.im.trunc_int(), r.mm.trunc_int()), (-6094, -5804));
}

/// §13 USDC depeg: short 2000 put at s = 0.1. Reference put price 84.640689501995359748.
#[test]
fn worked_example_usdc_depeg() {
    let mut m = holdings(market("2000", "2001"));
    m.expiries.push(expiry(
        1_497_600,
        "2004.7545",
        vec![option("2000", false, "-1", "0.5")],
    ));
    let r = cross_margin(&account("0", "0.1", vec![m])).unwrap();
    assert_eq!(r.markets[0].im.depeg, w("-2112"));
    assert_close(r.im, "-2496.640689501995359748", "0.000000001", "IM");
    assert_close(r.mm, "-234.640689501995359748", "0.000000001", "MM");
    assert_eq!((r.im.trunc_int(), r.mm.trunc_int()), (-2496, -234));
    assert_breakdown_sums(&r);
}

/// Pitfall 4 and 6: the option contingency uses `min(κ^S, κ^F, κ^σ)` (not the perp's) and the
/// gross short count; the de-peg exposure counts |P| plus all short options of all expiries.
#[test]
fn option_contingency_and_depeg_exposure_use_gross_shorts() {
    let mut m = holdings(market("2000", "2001"));
    m.perp_size = w("-0.5");
    m.expiries.push(expiry(
        892_800,
        "2002.83305",
        vec![
            option("2100", true, "-2", "0.5"),
            option("2200", true, "2", "0.5"),
        ],
    ));
    m.expiries.push(expiry(
        1_497_600,
        "2004.7545",
        vec![option("1800", false, "-1", "0.5")],
    ));
    m.expiries.push(expiry(
        1_497_700,
        "2004.7545",
        vec![option("1800", false, "4", "0.5")],
    ));
    let r = cross_margin(&account("0", "0.5", vec![m.clone()])).unwrap();
    let b = &r.markets[0];
    assert_eq!(b.expiries[0].net_calls, Wad::ZERO);
    assert_eq!(b.expiries[0].total_shorts, w("2"));
    assert_eq!(b.expiries[0].im.unpaired_charge, Wad::ZERO);
    assert_eq!(b.depeg_exposure, w("3.5")); // 0.5 + 2 + 1 (longs do not offset)
                                            // δ = 0.48 · 1.2 = 0.576; 3.5 · 0.576 · 2000
    assert_eq!(b.im.depeg, w("-4032"));
    for e in &b.expiries {
        assert_eq!(e.im.oracle_contingency, Wad::ZERO);
    }
    assert_breakdown_sums(&r);

    // Low perp confidence does not touch options.
    m.data.perp_confidence = w("0.1");
    let r = cross_margin(&account("0", "1", vec![m.clone()])).unwrap();
    assert!(r.markets[0]
        .expiries
        .iter()
        .all(|e| e.im.oracle_contingency.is_zero()));
    assert_eq!(r.markets[0].im.perp_oracle_contingency, w("-360")); // 0.9·0.4·2000·0.5
    m.data.perp_confidence = Wad::ONE;

    // Low vol confidence on the second expiry only: 0.7 · 0.4 · 2000 · 1.
    m.expiries[1].data.vol_confidence = w("0.3");
    // …and on the long-only expiry: pays nothing (Z = 0).
    m.expiries[2].data.vol_confidence = w("0.1");
    let r = cross_margin(&account("0", "1", vec![m.clone()])).unwrap();
    let oc: Vec<Wad> = r.markets[0]
        .expiries
        .iter()
        .map(|e| e.im.oracle_contingency)
        .collect();
    assert_eq!(oc, vec![Wad::ZERO, w("-560"), Wad::ZERO]);
    // A low forward confidence on the first expiry uses its gross shorts: 0.8 · 0.4 · 2000 · 2.
    m.expiries[1].data.vol_confidence = Wad::ONE;
    m.expiries[0].data.forward_confidence = w("0.2");
    let r = cross_margin(&account("0", "1", vec![m.clone()])).unwrap();
    assert_eq!(r.markets[0].expiries[0].im.oracle_contingency, w("-1280"));
    assert_eq!(r.markets[0].expiries[0].mm.oracle_contingency, Wad::ZERO);
    // Low spot confidence hits every expiry with shorts, and the perp.
    m.expiries[0].data.forward_confidence = Wad::ONE;
    m.data.spot_confidence = w("0.35");
    let r = cross_margin(&account("0", "1", vec![m])).unwrap();
    let oc: Vec<Wad> = r.markets[0]
        .expiries
        .iter()
        .map(|e| e.im.oracle_contingency)
        .collect();
    assert_eq!(oc, vec![w("-1040"), w("-520"), Wad::ZERO]); // 0.65·0.4·2000·{2,1,0}
    assert_breakdown_sums(&r);
}

/// τ = 0 (expired, unsettled): intrinsic value against the forward; long options have zero
/// isolated margin but their MtM counts.
#[test]
fn expired_options_are_worth_intrinsic_value() {
    let mut m = holdings(market("2000", "2001"));
    m.expiries.push(expiry(
        100,
        "2050",
        vec![
            option("2000", true, "1", "0.8"),
            option("2100", false, "1", "0.8"),
        ],
    ));
    let mut a = account("0", "1", vec![m]);
    a.time = 200;
    let r = cross_margin(&a).unwrap();
    let e = &r.markets[0].expiries[0];
    assert_close(e.options[0].price, "50", "0.000000001", "call");
    assert_close(e.options[1].price, "50", "0.000000001", "put");
    assert_eq!((r.im, r.mm), (Wad::ZERO, Wad::ZERO));
    assert_close(r.mtm, "100", "0.000000002", "MtM");
}

/// Several markets never offset each other: the result is the sum of the markets alone.
#[test]
fn markets_add_up_without_offsets() {
    let mut eth = holdings(market("2000", "2001"));
    eth.expiries.push(expiry(
        892_800,
        "2002.83305",
        vec![option("2100", true, "-1", "0.5")],
    ));
    let mut btc = holdings(market("28000", "28020"));
    btc.perp_size = w("0.1");
    btc.perp_unsettled_cash = w("2");
    btc.expiries.push(expiry(
        892_800,
        "28039.66276",
        vec![option("26000", false, "-0.3", "0.6")],
    ));
    let both = cross_margin(&account("1000", "0.97", vec![eth.clone(), btc.clone()])).unwrap();
    let e = cross_margin(&account("0", "0.97", vec![eth])).unwrap();
    let b = cross_margin(&account("0", "0.97", vec![btc])).unwrap();
    assert_eq!(both.im, w("1000").add(e.im).unwrap().add(b.im).unwrap());
    assert_eq!(both.mm, w("1000").add(e.mm).unwrap().add(b.mm).unwrap());
    assert_eq!(both.mtm, w("1000").add(e.mtm).unwrap().add(b.mtm).unwrap());
    assert!(both.markets[1].im.depeg.is_negative());
    assert_breakdown_sums(&both);
}
