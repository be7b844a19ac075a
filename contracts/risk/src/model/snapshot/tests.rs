use super::*;
use crate::model::account::compare_modes;
use crate::model::portfolio::MAX_DTE_FLOOR;
use alloc::vec;

/// SplitMix64: a deterministic generator for property-style tests.
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn bool(&mut self) -> bool {
        self.next() & 1 == 1
    }
    /// Wads of every magnitude, extremes included.
    fn wad(&mut self) -> Wad {
        let raw = match self.below(6) {
            0 => 0,
            1 => i128::MAX,
            2 => i128::MIN,
            3 => (self.next() as i128) << 64 | self.next() as i128,
            4 => -((self.below(1 << 40)) as i128) * 1_000_000,
            _ => self.below(1 << 62) as i128,
        };
        Wad::from_raw(raw)
    }
    fn u64(&mut self) -> u64 {
        match self.below(3) {
            0 => u64::MAX,
            1 => self.below(1 << 35),
            _ => self.next(),
        }
    }
    fn u32(&mut self) -> u32 {
        match self.below(3) {
            0 => u32::MAX,
            1 => self.below(20) as u32,
            _ => self.next() as u32,
        }
    }
    fn len(&mut self, max: usize) -> usize {
        // Bias towards small lists but reach the bound.
        if self.below(8) == 0 {
            max
        } else {
            self.below(4.min(max as u64 + 1)) as usize
        }
    }
}

fn gen_snapshot(g: &mut Gen) -> MarginSnapshot {
    let underlyings = (0..g.len(MAX_UNDERLYINGS))
        .map(|_| UnderlyingMarket {
            spot: g.wad(),
            spot_confidence: g.wad(),
            perp_price: g.wad(),
            perp_confidence: g.wad(),
            expiries: (0..g.len(MAX_EXPIRIES))
                .map(|_| ExpiryMarket {
                    expiry: g.u64(),
                    forward: g.wad(),
                    forward_fixed: g.wad(),
                    forward_confidence: g.wad(),
                    rate: g.wad(),
                    rate_confidence: g.wad(),
                    svi: SviParams {
                        a: g.wad(),
                        b: g.wad(),
                        rho: g.wad(),
                        m: g.wad(),
                        sigma: g.wad(),
                        forward: g.wad(),
                        tau: g.wad(),
                    },
                    vol_confidence: g.wad(),
                })
                .collect(),
        })
        .collect();
    let assets = (0..g.len(MAX_ASSETS))
        .map(|_| CollateralAsset {
            price: g.wad(),
            confidence: g.wad(),
            mm_haircut: g.wad(),
            im_haircut: g.wad(),
            risk_cancelling_underlying: g.bool().then(|| g.u32()),
        })
        .collect();
    let mode = MarginMode::from_u8(g.below(3) as u8).unwrap();
    let max_positions = if mode == MarginMode::Isolated {
        1
    } else {
        MAX_POSITIONS
    };
    let positions = (0..g.len(max_positions))
        .map(|_| Position {
            underlying: g.u32(),
            instrument: if g.bool() {
                Instrument::Perp { unsettled: g.wad() }
            } else {
                Instrument::Option {
                    expiry: g.u64(),
                    strike: g.wad(),
                    is_call: g.bool(),
                }
            },
            size: g.wad(),
            isolated_collateral: AssignedCollateral {
                cash: g.wad(),
                assets: (0..g.len(MAX_ASSETS)).map(|_| (g.u32(), g.wad())).collect(),
            },
        })
        .collect();
    let mut params = RiskParams::keel_default();
    params.cross_markets = (0..g.len(MAX_UNDERLYINGS))
        .map(|_| {
            let mut p = params.cross_markets[0];
            p.max_spot_req = g.wad();
            p.oc_factor = g.wad();
            p.perp_mm_req = g.wad();
            p
        })
        .collect();
    params.cross_depeg_factor = g.wad();
    params.portfolio.vol_shock.dte_floor = g.u64();
    params.portfolio.skew.vol_param_scale = g.wad();
    params.portfolio.margin.short_base_static_discount = g.wad();
    params.portfolio.scenarios = (0..g.len(MAX_SCENARIOS))
        .map(|_| {
            let vol = [
                VolShock::None,
                VolShock::Up,
                VolShock::Down,
                VolShock::Linear,
                VolShock::Abs,
            ][g.below(5) as usize];
            Scenario::new(g.wad(), vol, g.wad())
        })
        .collect();
    params.portfolio.max_expiries = g.u32();
    params.portfolio.svi_max_total_variance = g.wad();
    MarginSnapshot {
        mode,
        account: Account {
            cash: g.wad(),
            collateral: (0..g.len(MAX_ASSETS)).map(|_| g.wad()).collect(),
            positions,
        },
        market: MarketSnapshot {
            now: g.u64(),
            stable_price: g.wad(),
            underlyings,
            assets,
        },
        params,
    }
}

#[test]
fn generated_snapshots_round_trip() {
    let mut g = Gen(7);
    for _ in 0..400 {
        let s = gen_snapshot(&mut g);
        let bytes = encode(&s);
        assert_eq!(decode(&bytes), Ok(s));
    }
}

#[test]
fn default_params_round_trip_and_size() {
    let s = straddle(MarginMode::Portfolio);
    let bytes = encode(&s);
    assert_eq!(decode(&bytes).as_ref(), Ok(&s));
    // Compactness: a 3-position account with Keel's default 31-scenario parameters.
    assert!(bytes.len() < 1800, "{} bytes", bytes.len());
}

#[test]
fn every_truncation_is_rejected() {
    let mut g = Gen(11);
    for _ in 0..40 {
        let bytes = encode(&gen_snapshot(&mut g));
        for cut in 0..bytes.len() {
            assert_eq!(
                decode(&bytes[..cut]),
                Err(SnapshotError::Truncated),
                "prefix {cut} of {}",
                bytes.len()
            );
        }
    }
}

#[test]
fn trailing_bytes_are_rejected() {
    let mut bytes = encode(&straddle(MarginMode::Cross));
    bytes.push(0);
    assert_eq!(decode(&bytes), Err(SnapshotError::TrailingBytes));
}

/// Every single-byte corruption is either refused or decodes to the unique snapshot whose
/// encoding is exactly the corrupted bytes (decoding is injective and canonical), and never
/// panics.
#[test]
fn every_byte_corruption_is_rejected_or_canonical() {
    let mut g = Gen(23);
    let mut refused = 0usize;
    let mut total = 0usize;
    for round in 0..12 {
        let bytes = if round == 0 {
            encode(&straddle(MarginMode::Portfolio))
        } else {
            encode(&gen_snapshot(&mut g))
        };
        for i in 0..bytes.len() {
            for flip in [0x01u8, 0x80, 0xff, 0x7f] {
                let mut bad = bytes.clone();
                bad[i] ^= flip;
                total += 1;
                match decode(&bad) {
                    Err(_) => refused += 1,
                    Ok(s) => assert_eq!(encode(&s), bad, "byte {i} ^ {flip:#x}"),
                }
            }
        }
    }
    // Most corruptions break the structure (continuation bits, counts, tags, lengths).
    assert!(refused * 2 > total, "{refused} of {total}");
}

#[test]
fn header_corruptions_are_named() {
    let bytes = encode(&straddle(MarginMode::Cross));
    let mut bad = bytes.clone();
    bad[0] = b'L';
    assert_eq!(decode(&bad), Err(SnapshotError::BadMagic));
    let mut bad = bytes.clone();
    bad[1] = 2;
    assert_eq!(decode(&bad), Err(SnapshotError::UnsupportedVersion));
    let mut bad = bytes.clone();
    bad[2] = 3;
    assert_eq!(decode(&bad), Err(SnapshotError::BadTag));
    assert_eq!(decode(&[]), Err(SnapshotError::Truncated));
}

#[test]
fn non_canonical_and_oversized_varints_are_rejected() {
    let decode_uint = |bytes: &[u8]| {
        let mut r = Reader { bytes, error: None };
        let x = r.uint();
        r.error.map_or(Ok(x), Err)
    };
    assert_eq!(decode_uint(&[0x05]), Ok(5));
    assert_eq!(decode_uint(&[0x85, 0x00]), Err(SnapshotError::BadVarint));
    assert_eq!(
        decode_uint(&[0x80, 0x80, 0x00]),
        Err(SnapshotError::BadVarint)
    );
    let mut max = vec![0xffu8; 18];
    max.push(0x03);
    assert_eq!(decode_uint(&max), Ok(u128::MAX));
    let mut over = vec![0xffu8; 18];
    over.push(0x04);
    assert_eq!(decode_uint(&over), Err(SnapshotError::BadVarint));
    let mut long = vec![0xffu8; 19];
    long.push(0x01);
    assert_eq!(decode_uint(&long), Err(SnapshotError::BadVarint));
    // A u64 field holding 2^64 and a u32 field holding 2^32.
    let mut w = Writer(Vec::new());
    w.uint(1 << 64);
    let mut r = Reader {
        bytes: &w.0,
        error: None,
    };
    r.u64();
    assert_eq!(r.error, Some(SnapshotError::BadVarint));
    let mut w = Writer(Vec::new());
    w.uint(1 << 32);
    let mut r = Reader {
        bytes: &w.0,
        error: None,
    };
    r.u32();
    assert_eq!(r.error, Some(SnapshotError::BadVarint));
    // Zigzag covers both ends of i128.
    for x in [0, 1, -1, i128::MAX, i128::MIN, 12_345 * WAD_I, -7 * WAD_I] {
        let mut w = Writer(Vec::new());
        w.int(x);
        let mut r = Reader {
            bytes: &w.0,
            error: None,
        };
        assert_eq!(r.wad(), Wad::from_raw(x));
        assert_eq!((r.error, r.bytes.len()), (None, 0));
    }
}

const WAD_I: i128 = crate::WAD;

#[test]
fn bounds_are_enforced() {
    let base = straddle(MarginMode::Cross);
    let check = |mutate: &dyn Fn(&mut MarginSnapshot), error: SnapshotError| {
        let mut s = base.clone();
        mutate(&mut s);
        assert_eq!(decode(&encode(&s)), Err(error));
    };
    let u0 = base.market.underlyings[0].clone();
    let e0 = u0.expiries[0].clone();
    let a0 = base.market.assets[0].clone();
    let p0 = base.account.positions[0].clone();
    let sc = base.params.portfolio.scenarios[0];
    let srm = base.params.cross_markets[0];
    check(
        &|s| s.market.underlyings = vec![u0.clone(); MAX_UNDERLYINGS + 1],
        SnapshotError::TooManyUnderlyings,
    );
    check(
        &|s| s.params.cross_markets = vec![srm; MAX_UNDERLYINGS + 1],
        SnapshotError::TooManyUnderlyings,
    );
    check(
        &|s| s.market.underlyings[0].expiries = vec![e0.clone(); MAX_EXPIRIES + 1],
        SnapshotError::TooManyExpiries,
    );
    check(
        &|s| s.market.assets = vec![a0.clone(); MAX_ASSETS + 1],
        SnapshotError::TooManyAssets,
    );
    check(
        &|s| s.account.collateral = vec![Wad::ONE; MAX_ASSETS + 1],
        SnapshotError::TooManyAssets,
    );
    check(
        &|s| {
            s.account.positions[0].isolated_collateral.assets = vec![(0, Wad::ONE); MAX_ASSETS + 1]
        },
        SnapshotError::TooManyAssets,
    );
    check(
        &|s| s.account.positions = vec![p0.clone(); MAX_POSITIONS + 1],
        SnapshotError::TooManyPositions,
    );
    check(
        &|s| s.params.portfolio.scenarios = vec![sc; MAX_SCENARIOS + 1],
        SnapshotError::TooManyScenarios,
    );
    check(
        &|s| s.mode = MarginMode::Isolated,
        SnapshotError::IsolatedNeedsOnePosition,
    );
    // Exactly at the bounds decodes.
    let mut s = base.clone();
    s.market.underlyings = vec![u0.clone(); MAX_UNDERLYINGS];
    s.market.underlyings[0].expiries = vec![e0.clone(); MAX_EXPIRIES];
    s.market.assets = vec![a0.clone(); MAX_ASSETS];
    s.account.collateral = vec![Wad::ONE; MAX_ASSETS];
    s.account.positions = vec![p0.clone(); MAX_POSITIONS];
    s.params.portfolio.scenarios = vec![sc; MAX_SCENARIOS];
    s.params.cross_markets = vec![srm; MAX_UNDERLYINGS];
    assert_eq!(decode(&encode(&s)).as_ref(), Ok(&s));
}

#[test]
fn a_huge_count_is_refused_before_allocating() {
    // Header, now, stable price, then an underlying count of u64::MAX.
    let mut w = Writer(vec![MAGIC, VERSION, 1]);
    w.uint(0);
    w.wad(Wad::ONE);
    w.uint(u64::MAX.into());
    assert_eq!(decode(&w.0), Err(SnapshotError::TooManyUnderlyings));
}

// ---------------------------------------------------------------------------------------------
// Evaluation: the same numbers as `compare_modes`.

const NOW: u64 = 1_795_507_200; // 2026-11-24T00:00:00Z
const DEC: u64 = NOW + 31 * 86_400;
const MAR: u64 = NOW + 115 * 86_400;
const YEAR: i64 = 31_536_000;

fn w(x: i64) -> Wad {
    Wad::from_int(x)
}

fn expiry(at: u64, forward: Wad) -> ExpiryMarket {
    ExpiryMarket {
        expiry: at,
        forward,
        forward_fixed: Wad::ZERO,
        forward_confidence: Wad::ONE,
        rate: Wad::ratio(32, 1000),
        rate_confidence: Wad::ONE,
        svi: SviParams {
            a: Wad::ratio(42, 10_000),
            b: Wad::ratio(24, 1000),
            rho: Wad::ratio(-35, 100),
            m: Wad::ratio(2, 100),
            sigma: Wad::ratio(18, 100),
            forward,
            tau: Wad::ratio((at - NOW) as i64, YEAR),
        },
        vol_confidence: Wad::ONE,
    }
}

/// ETH and BTC markets, USDC and wstETH collateral.
fn market() -> MarketSnapshot {
    MarketSnapshot {
        now: NOW,
        stable_price: Wad::ONE,
        underlyings: vec![
            UnderlyingMarket {
                spot: w(3000),
                spot_confidence: Wad::ONE,
                perp_price: Wad::ratio(30015, 10),
                perp_confidence: Wad::ONE,
                expiries: vec![expiry(DEC, Wad::ratio(30082, 10)), expiry(MAR, w(3030))],
            },
            UnderlyingMarket {
                spot: w(90_000),
                spot_confidence: Wad::ratio(9, 10),
                perp_price: w(90_050),
                perp_confidence: Wad::ONE,
                expiries: vec![expiry(DEC, w(90_300))],
            },
        ],
        assets: vec![
            CollateralAsset {
                price: Wad::ONE,
                confidence: Wad::ONE,
                mm_haircut: Wad::ZERO,
                im_haircut: Wad::ratio(1, 100),
                risk_cancelling_underlying: None,
            },
            CollateralAsset {
                price: w(3500),
                confidence: Wad::ONE,
                mm_haircut: Wad::ratio(2, 100),
                im_haircut: Wad::ratio(3, 100),
                risk_cancelling_underlying: Some(0),
            },
        ],
    }
}

fn option(underlying: u32, at: u64, strike: i64, is_call: bool, size: Wad) -> Position {
    Position {
        underlying,
        instrument: Instrument::Option {
            expiry: at,
            strike: w(strike),
            is_call,
        },
        size,
        isolated_collateral: AssignedCollateral::default(),
    }
}

fn perp(underlying: u32, size: Wad, unsettled: Wad) -> Position {
    Position {
        underlying,
        instrument: Instrument::Perp { unsettled },
        size,
        isolated_collateral: AssignedCollateral::default(),
    }
}

fn straddle(mode: MarginMode) -> MarginSnapshot {
    MarginSnapshot {
        mode,
        account: Account {
            cash: w(20_000),
            collateral: vec![w(40_000)],
            positions: vec![
                option(0, DEC, 3000, true, w(-25)),
                option(0, DEC, 3000, false, w(-25)),
                perp(0, Wad::ratio(12, 10), w(138)),
            ],
        },
        market: market(),
        params: RiskParams::keel_default(),
    }
}

/// Multi-underlying portfolio: ETH calendar spread and perp hedge, BTC put spread, wstETH.
fn multi(mode: MarginMode) -> MarginSnapshot {
    MarginSnapshot {
        mode,
        account: Account {
            cash: w(-5_000),
            collateral: vec![w(60_000), w(4)],
            positions: vec![
                option(0, DEC, 3100, true, w(-10)),
                option(0, MAR, 3100, true, w(10)),
                perp(0, w(-4), w(-12)),
                option(1, DEC, 88_000, false, w(2)),
                option(1, DEC, 85_000, false, w(-2)),
                perp(1, Wad::ratio(-1, 10), Wad::ZERO),
            ],
        },
        market: market(),
        params: RiskParams::keel_default(),
    }
}

fn summary(s: &MarginSnapshot) -> (Wad, Wad, Wad) {
    let c = compare_modes(&s.account, &s.market, &s.params).unwrap();
    let m = match s.mode {
        MarginMode::Isolated => c.isolated,
        MarginMode::Cross => c.cross,
        MarginMode::Portfolio => c.portfolio,
    };
    (m.im, m.mm, m.mtm)
}

fn outcome(s: &MarginSnapshot) -> (Wad, Wad, Wad) {
    let decoded = decode(&encode(s)).unwrap();
    let o = evaluate(&decoded).unwrap();
    (o.im, o.mm, o.mtm)
}

#[test]
fn evaluation_matches_compare_modes_for_cross_and_portfolio() {
    for s in [
        straddle(MarginMode::Cross),
        straddle(MarginMode::Portfolio),
        multi(MarginMode::Cross),
        multi(MarginMode::Portfolio),
    ] {
        let (im, mm, mtm) = outcome(&s);
        assert_eq!((im, mm, mtm), summary(&s), "{:?}", s.mode);
        assert!(im < mm, "IM below MM for {:?}", s.mode);
    }
    // Hedges offset in portfolio mode.
    assert!(outcome(&multi(MarginMode::Portfolio)).0 > outcome(&multi(MarginMode::Cross)).0);
}

#[test]
fn portfolio_reports_the_worst_case_of_the_biggest_loss() {
    let s = multi(MarginMode::Portfolio);
    let o = evaluate(&s).unwrap();
    let c = compare_modes(&s.account, &s.market, &s.params).unwrap();
    let books = &c.portfolio_detail.breakdown.underlyings;
    assert_eq!(books.len(), 2);
    let biggest = if books[1].worst_loss > books[0].worst_loss {
        &books[1]
    } else {
        &books[0]
    };
    assert_eq!(o.worst, Some(biggest.worst));
    assert_eq!(evaluate(&multi(MarginMode::Cross)).unwrap().worst, None);
}

/// Isolated = cross margin of a one-position account, which is compare_modes' isolated
/// headline when the position is assigned the whole account.
#[test]
fn isolated_is_the_one_position_account_with_all_its_collateral() {
    for position in [
        option(0, DEC, 3000, false, w(-5)),
        option(1, DEC, 88_000, true, w(1)),
        perp(0, w(-3), w(25)),
    ] {
        let mut s = straddle(MarginMode::Isolated);
        s.account.collateral = vec![w(15_000), w(2)];
        s.account.cash = w(1_000);
        let mut position = position;
        position.isolated_collateral = AssignedCollateral {
            cash: w(1_000),
            assets: vec![(0, w(15_000)), (1, w(2))],
        };
        s.account.positions = vec![position];
        assert_eq!(outcome(&s), summary(&s));
    }
    // An isolated account with only collateral: cross margin applies the IM haircut, where
    // compare_modes counts unassigned collateral at face value (documented difference).
    let mut s = straddle(MarginMode::Isolated);
    s.account.positions.clear();
    let mut as_cross = s.clone();
    as_cross.mode = MarginMode::Cross;
    assert_eq!(outcome(&s), summary(&as_cross));
    let (im, mm, mtm) = summary(&s);
    assert_eq!((mm, mtm), (outcome(&s).1, outcome(&s).2));
    assert_eq!(outcome(&s).0, im.sub(w(400)).unwrap()); // 1 % of 40,000 USDC
}

#[test]
fn risk_errors_pass_through() {
    let mut s = straddle(MarginMode::Portfolio);
    s.account.positions[0] = option(0, DEC + 1, 3000, true, w(-1));
    assert_eq!(evaluate(&s), Err(RiskError::MissingExpiryData));
    let mut s = straddle(MarginMode::Cross);
    s.account.positions[2].underlying = 9;
    assert_eq!(evaluate(&s), Err(RiskError::MissingMarketData));
}

#[test]
#[ignore = "prints encoded sizes"]
fn print_sizes() {
    let s = straddle(MarginMode::Portfolio);
    let mut p = s.clone();
    p.account = Account::default();
    p.market = MarketSnapshot::default();
    std::println!(
        "straddle {} params-only {}",
        encode(&s).len(),
        encode(&p).len()
    );
}

/// The sticky reader reports the first error met, front to back, and later garbage does not
/// replace it.
#[test]
fn the_first_error_is_reported() {
    let s = straddle(MarginMode::Cross);
    let bytes = encode(&s);
    // Find the first position's kind byte: encode the snapshot without positions and compare.
    let mut none = s.clone();
    none.account.positions.clear();
    let prefix = encode(&none);
    let at = prefix.iter().zip(&bytes).position(|(a, b)| a != b).unwrap();
    // `at` is the position count (0 → 3); the first position is underlying 0 (one byte),
    // then its kind byte.
    assert_eq!(
        (prefix[at], bytes[at], bytes[at + 1], bytes[at + 2]),
        (0, 3, 0, 1)
    );
    let mut bad = bytes.clone();
    bad[at + 2] = 7;
    assert_eq!(decode(&bad), Err(SnapshotError::BadTag));
    // A bad tag followed by a cut: still the tag.
    assert_eq!(decode(&bad[..at + 10]), Err(SnapshotError::BadTag));
    // A bad magic wins over everything after it.
    bad[0] = 0;
    assert_eq!(decode(&bad[..at + 10]), Err(SnapshotError::BadMagic));
}

// ---------------------------------------------------------------------------------------------
// Parameters: the section on its own, validation.

#[test]
fn the_params_section_ends_every_snapshot() {
    let mut g = Gen(31);
    for _ in 0..200 {
        let s = gen_snapshot(&mut g);
        let params = encode_params(&s.params);
        let mut expected = encode_prefix(s.mode, &s.market, &s.account);
        expected.extend_from_slice(&params);
        assert_eq!(encode(&s), expected);
        assert_eq!(decode_params(&params), Ok(s.params.clone()));
        // The section alone, cut or extended, is refused.
        assert_eq!(
            decode_params(&params[..params.len() - 1]),
            Err(SnapshotError::Truncated)
        );
        let mut longer = params.clone();
        longer.push(0);
        assert_eq!(decode_params(&longer), Err(SnapshotError::TrailingBytes));
    }
}

#[test]
fn unencodable_sets_are_malformed() {
    let mut p = RiskParams::keel_default();
    p.cross_markets = vec![p.cross_markets[0]; MAX_UNDERLYINGS + 1];
    assert_eq!(p.validate(), Err(ParamsError::Malformed));
    let mut p = RiskParams::keel_default();
    p.portfolio.scenarios = vec![p.portfolio.scenarios[0]; MAX_SCENARIOS + 1];
    assert_eq!(p.validate(), Err(ParamsError::Malformed));
}

#[test]
fn keel_default_params_are_valid() {
    let p = RiskParams::keel_default();
    assert_eq!(p.validate(), Ok(()));
    assert_eq!(validate_params(&encode_params(&p)), Ok(1));
}

/// Every wad of a parameter set in wire order (the first SRM set, then PM2), so a test can
/// move any one of them.
fn wad_fields(p: &mut RiskParams) -> Vec<&mut Wad> {
    let s = &mut p.cross_markets[0];
    let mut out: Vec<&mut Wad> = vec![
        &mut s.max_spot_req,
        &mut s.min_spot_req,
        &mut s.mm_call_spot_req,
        &mut s.mm_put_spot_req,
        &mut s.mm_put_mtm_req,
        &mut s.unpaired_im_scale,
        &mut s.unpaired_mm_scale,
        &mut s.mm_offset_scale,
        &mut s.perp_im_req,
        &mut s.perp_mm_req,
        &mut s.base_margin_factor,
        &mut s.base_im_scale,
        &mut s.oc_perp_threshold,
        &mut s.oc_option_threshold,
        &mut s.oc_base_threshold,
        &mut s.oc_factor,
        &mut p.cross_depeg_threshold,
        &mut p.cross_depeg_factor,
    ];
    let pm = &mut p.portfolio;
    let v = &mut pm.vol_shock;
    out.extend([
        &mut v.vol_range_up,
        &mut v.vol_range_down,
        &mut v.short_term_power,
        &mut v.long_term_power,
        &mut v.min_vol_up_shock,
    ]);
    let m = &mut pm.margin;
    out.extend([
        &mut m.im_factor,
        &mut m.mm_factor,
        &mut m.long_rate_mult_scale,
        &mut m.long_rate_add_scale,
        &mut m.long_base_static_discount,
        &mut m.short_rate_mult_scale,
        &mut m.short_rate_add_scale,
        &mut m.short_base_static_discount,
    ]);
    let b = &mut pm.basis;
    out.extend([
        &mut b.scenario_spot_up,
        &mut b.scenario_spot_down,
        &mut b.add_factor,
        &mut b.mult_factor,
    ]);
    let o = &mut pm.other;
    out.extend([
        &mut o.peg_loss_threshold,
        &mut o.peg_loss_factor,
        &mut o.conf_threshold,
        &mut o.conf_margin,
        &mut o.mm_perp_percent,
        &mut o.im_perp_percent,
        &mut o.mm_option_percent,
        &mut o.im_option_percent,
    ]);
    let k = &mut pm.skew;
    out.extend([
        &mut k.linear_base_cap,
        &mut k.linear_c_base,
        &mut k.abs_base_cap,
        &mut k.abs_c_base,
        &mut k.min_k_star,
        &mut k.width_scale,
        &mut k.vol_param_static,
        &mut k.vol_param_scale,
    ]);
    out.push(&mut pm.svi_max_total_variance);
    out
}

/// An independent reference: decode, then the struct validators of the cross and portfolio
/// models plus the extra bounds `validate_params` documents, in their own order.
fn reference(bytes: &[u8]) -> Result<usize, ParamsError> {
    let p = decode_params(bytes).map_err(|_| ParamsError::Malformed)?;
    let Some(first) = p.cross_markets.first() else {
        return Err(ParamsError::NoSrmSets);
    };
    for s in &p.cross_markets {
        s.validate().map_err(|e| match e {
            RiskError::InvalidOptionMarginParams => ParamsError::SrmOption,
            RiskError::InvalidPerpMarginParams => ParamsError::SrmPerp,
            RiskError::InvalidBaseMarginParams => ParamsError::SrmBase,
            _ => ParamsError::SrmOracle,
        })?;
    }
    crate::model::cross::SrmGlobals {
        stable_price: Wad::ZERO,
        depeg_threshold: p.cross_depeg_threshold,
        depeg_factor: p.cross_depeg_factor,
        collateral_oc_threshold: first.oc_base_threshold,
        collateral_oc_factor: first.oc_factor,
    }
    .validate()
    .map_err(|_| ParamsError::Depeg)?;
    let pm = &p.portfolio;
    let v = &pm.vol_shock;
    let minus_ten = Wad::from_int(-10);
    if pm.validate_bounds().is_err()
        || v.short_term_power < minus_ten
        || v.long_term_power < minus_ten
    {
        return Err(ParamsError::Pm2Bounds);
    }
    if v.dte_floor == 0 {
        return Err(ParamsError::DteFloor);
    }
    if pm.svi_max_total_variance > crate::math::SVI_MAX_TOTAL_VARIANCE {
        return Err(ParamsError::SviCap);
    }
    let shocks_ok = pm
        .scenarios
        .iter()
        .all(|s| s.spot_shock <= Wad::from_int(10) && s.dampening <= Wad::ONE);
    if crate::model::portfolio::validate_scenarios(&pm.scenarios).is_err() || !shocks_ok {
        return Err(ParamsError::Scenarios);
    }
    Ok(p.cross_markets.len())
}

/// Values around every bound the validators use.
fn probes() -> Vec<Wad> {
    let mut out = vec![Wad::MIN, Wad::MAX];
    for tenths in [
        -2000i64, -200, -100, -1, 0, 1, 5, 10, 12, 30, 40, 100, 200, 1000, 1440,
    ] {
        let x = Wad::ratio(tenths, 10);
        for d in [-1i128, 0, 1] {
            out.push(Wad::from_raw(x.raw() + d));
        }
    }
    out
}

#[test]
fn table_validation_agrees_with_the_struct_validators_on_every_bound() {
    let base = RiskParams::keel_default();
    let n = wad_fields(&mut base.clone()).len();
    let mut refused = 0;
    for field in 0..n {
        for x in probes() {
            let mut p = base.clone();
            *wad_fields(&mut p)[field] = x;
            let bytes = encode_params(&p);
            let expected = reference(&bytes);
            assert_eq!(validate_params(&bytes), expected, "field {field} = {x:?}");
            refused += usize::from(expected.is_err());
        }
    }
    // Most probes leave a bound; every field refuses some.
    assert!(refused > n * 10, "{refused}");
}

#[test]
fn table_validation_agrees_on_integers_scenarios_and_several_faults() {
    let base = RiskParams::keel_default();
    // One fault: the same error; several: both refuse (each reports its own first).
    let check = |p: &RiskParams| {
        let bytes = encode_params(p);
        assert_eq!(validate_params(&bytes), reference(&bytes), "{p:?}");
        assert_eq!(p.validate(), reference(&bytes).map(|_| ()));
        reference(&bytes)
    };
    let check_faults = |p: &RiskParams| {
        let bytes = encode_params(p);
        assert_eq!(
            validate_params(&bytes).is_ok(),
            reference(&bytes).is_ok(),
            "{p:?}"
        );
    };
    // dteFloor, maxExpiries.
    for dte in [0u64, 1, MAX_DTE_FLOOR, MAX_DTE_FLOOR + 1, u64::MAX] {
        let mut p = base.clone();
        p.portfolio.vol_shock.dte_floor = dte;
        let _ = check(&p);
    }
    let mut p = base.clone();
    p.portfolio.vol_shock.dte_floor = 0;
    assert_eq!(check(&p), Err(ParamsError::DteFloor));
    for m in [0u32, 1, 30, 31, u32::MAX] {
        let mut p = base.clone();
        p.portfolio.max_expiries = m;
        let _ = check(&p);
    }
    // SRM set counts, and a perp pair out of order in a later set.
    let srm = base.cross_markets[0];
    for sets in [0usize, 1, 2, 16] {
        let mut p = base.clone();
        p.cross_markets = vec![srm; sets];
        let _ = check(&p);
    }
    let mut p = base.clone();
    p.cross_markets = vec![srm; 3];
    p.cross_markets[2].perp_im_req = Wad::ratio(1, 100);
    assert_eq!(check(&p), Err(ParamsError::SrmPerp));
    // Scenarios: counts, shocks, dampening, the skew scenarios.
    let sc = |xi: Wad, vol: VolShock, lambda: Wad| Scenario::new(xi, vol, lambda);
    let lists = [
        vec![],
        vec![sc(Wad::ONE, VolShock::None, Wad::ONE)],
        vec![sc(Wad::from_int(10), VolShock::Up, Wad::ONE)],
        vec![sc(Wad::from_raw(10 * WAD_I + 1), VolShock::Up, Wad::ONE)],
        vec![sc(Wad::ONE, VolShock::Up, Wad::from_raw(WAD_I + 1))],
        vec![sc(Wad::from_raw(-1), VolShock::Down, Wad::ONE)],
        vec![sc(Wad::ONE, VolShock::Down, Wad::from_raw(-1))],
        vec![sc(Wad::ratio(9, 10), VolShock::Linear, Wad::ONE)],
        vec![
            sc(Wad::ONE, VolShock::Abs, Wad::ONE),
            sc(Wad::ONE, VolShock::Abs, Wad::ONE),
        ],
        vec![
            sc(Wad::ONE, VolShock::Linear, Wad::ONE),
            sc(Wad::ONE, VolShock::Abs, Wad::ONE),
        ],
        vec![sc(Wad::ONE, VolShock::None, Wad::ONE); MAX_SCENARIOS],
    ];
    for list in lists {
        let mut p = base.clone();
        p.portfolio.scenarios = list;
        let _ = check(&p);
    }
    // Several faults at once: refused alike.
    let mut g = Gen(41);
    let n = wad_fields(&mut base.clone()).len();
    let probes = probes();
    for _ in 0..3000 {
        let mut p = base.clone();
        for _ in 0..1 + g.below(4) {
            let field = g.below(n as u64) as usize;
            *wad_fields(&mut p)[field] = probes[g.below(probes.len() as u64) as usize];
        }
        if g.below(4) == 0 {
            p.portfolio.vol_shock.dte_floor = [0, MAX_DTE_FLOOR + 1][g.below(2) as usize];
        }
        if g.below(4) == 0 {
            p.portfolio.scenarios.clear();
        }
        if g.below(4) == 0 {
            p.cross_markets.push(p.cross_markets[0]);
            p.cross_markets[1].oc_factor = Wad::from_int(2);
        }
        check_faults(&p);
    }
}

#[test]
fn table_validation_refuses_what_does_not_decode() {
    let bytes = encode_params(&RiskParams::keel_default());
    let mut g = Gen(43);
    for i in 0..bytes.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut bad = bytes.clone();
            bad[i] ^= flip;
            assert_eq!(
                validate_params(&bad),
                reference(&bad),
                "byte {i} ^ {flip:#x}"
            );
        }
        assert_eq!(validate_params(&bytes[..i]), Err(ParamsError::Malformed));
    }
    for _ in 0..2000 {
        let len = g.below(64) as usize;
        let junk: Vec<u8> = (0..len).map(|_| g.next() as u8).collect();
        assert_eq!(validate_params(&junk).is_ok(), reference(&junk).is_ok());
        assert_eq!(
            validate_params(&junk) == Err(ParamsError::Malformed),
            reference(&junk) == Err(ParamsError::Malformed)
        );
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert_eq!(validate_params(&longer), Err(ParamsError::Malformed));
}

// ---------------------------------------------------------------------------------------------
// The isolated what-if.

#[test]
fn the_isolated_what_if_margins_each_position_alone() {
    // One position: the cross margin of the account.
    let mut one = straddle(MarginMode::Cross);
    one.account.positions.truncate(1);
    assert_eq!(
        isolated_what_if(&one).unwrap(),
        evaluate_cross(&one).unwrap()
    );
    // No position: the same.
    let mut none = one.clone();
    none.account.positions.clear();
    assert_eq!(
        isolated_what_if(&none).unwrap(),
        evaluate_cross(&none).unwrap()
    );
    // A put spread on one underlying nets in cross margin, not in the what-if: the long put
    // alone needs nothing, the short put alone its full requirement.
    let mut spread = straddle(MarginMode::Cross);
    spread.account.positions = vec![
        option(0, DEC, 2800, false, w(10)),
        option(0, DEC, 2700, false, w(-10)),
    ];
    let what_if = isolated_what_if(&spread).unwrap();
    let cross = evaluate_cross(&spread).unwrap();
    assert_eq!(what_if.mtm, cross.mtm);
    assert!(what_if.im < cross.im, "{what_if:?} {cross:?}");
    // The sum, by hand: base + each leg alone.
    let mut base = spread.clone();
    base.account.positions.clear();
    let mut by_hand = evaluate_cross(&base).unwrap();
    for p in &spread.account.positions {
        let mut alone = spread.clone();
        alone.account = Account {
            cash: Wad::ZERO,
            collateral: vec![],
            positions: vec![p.clone()],
        };
        let m = evaluate_cross(&alone).unwrap();
        by_hand.im = by_hand.im.add(m.im).unwrap();
        by_hand.mm = by_hand.mm.add(m.mm).unwrap();
        by_hand.mtm = by_hand.mtm.add(m.mtm).unwrap();
    }
    assert_eq!(what_if, by_hand);
    let [iso, cr, pf] = all_modes(&spread).unwrap();
    assert_eq!((iso, cr), (what_if, cross));
    assert_eq!(pf, evaluate_portfolio(&spread).unwrap());
}

#[test]
fn varints_round_trip_at_every_bit_length() {
    // Single bits, all-ones prefixes and pseudo-random values across the whole u128 range:
    // the decoder gathers the groups in two u64 halves, with the group at bit 63 straddling.
    let mut values: Vec<u128> = (0..128).map(|b| 1u128 << b).collect();
    values.extend((1..=128).map(|b| u128::MAX >> (128 - b)));
    let mut x: u128 = 0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C834;
    for i in 0..20_000u32 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        values.push(x >> (i % 128));
    }
    for v in values {
        let mut w = Writer(Vec::new());
        w.uint(v);
        let mut r = Reader {
            bytes: &w.0,
            error: None,
        };
        assert_eq!((r.uint(), r.error, r.bytes.len()), (v, None, 0), "{v:#x}");
    }
}
