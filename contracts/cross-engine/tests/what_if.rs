//! `isolatedWhatIf(bytes)` of the cross engine, run natively on stylus-sdk's `TestVM`: it
//! returns keel-risk's `isolated_what_if` of the decoded snapshot in any mode — checked on
//! fixtures and on random accounts, and against its definition (cash and collateral alone
//! plus each position alone, cross model, summed) — and refuses hostile bytes with the same
//! named errors as `margin`. Errors come from `abi/IRiskEngine.sol` (`ICrossEngine` inherits
//! them; alloy's `sol!` does not follow imports), the function from its declaration in
//! `abi/ICrossEngine.sol`, which the last test holds to the one used here.

#[path = "../../risk-engine/tests/common/fixtures.rs"]
mod fixtures;

use alloy_primitives::{keccak256, I256, U256};
use alloy_sol_types::{sol, SolCall, SolInterface};
use fixtures::*;
use keel_cross_engine::{CrossEngine, ISOLATED_WHAT_IF_SELECTOR, MARGIN_SELECTOR};
use keel_risk::model::account::{Account, Position};
use keel_risk::model::snapshot::{
    decode, encode, evaluate_cross, isolated_what_if, MarginMode, MarginSnapshot, MAX_ASSETS,
};
use keel_risk::Wad;
use stylus_sdk::abi::router_entrypoint;
use stylus_sdk::host::VM;
use stylus_sdk::testing::TestVM;

sol!(
    #[sol(all_derives)]
    "../../abi/IRiskEngine.sol"
);

sol! {
    /// As declared in `abi/ICrossEngine.sol`.
    function isolatedWhatIf(bytes snapshot) external view
        returns (int256 im, int256 mm, int256 mtm, uint256 worstScenario);
}

use IRiskEngine::{marginCall, IRiskEngineErrors as Error};

type Answer = (Wad, Wad, Wad, U256);

fn send(calldata: Vec<u8>) -> Result<Vec<u8>, Vec<u8>> {
    let vm = TestVM::default();
    router_entrypoint::<CrossEngine, CrossEngine>(calldata, VM { host: Box::new(vm) })
}

fn wad(x: I256) -> Wad {
    Wad::from_raw(i128::try_from(x).unwrap())
}

/// Calls `isolatedWhatIf(bytes)`; a revert must decode as one of the interface's errors.
fn call(bytes: &[u8]) -> Result<Answer, Error> {
    let calldata = isolatedWhatIfCall {
        snapshot: bytes.to_vec().into(),
    }
    .abi_encode();
    match send(calldata) {
        Ok(out) => {
            let r = isolatedWhatIfCall::abi_decode_returns(&out).unwrap();
            Ok((wad(r.im), wad(r.mm), wad(r.mtm), r.worstScenario))
        }
        Err(data) => Err(Error::abi_decode(&data).expect("revert data is a declared error")),
    }
}

/// Calls `margin(bytes)` (for comparisons).
fn margin(bytes: &[u8]) -> Result<Answer, Error> {
    let calldata = marginCall {
        snapshot: bytes.to_vec().into(),
    }
    .abi_encode();
    match send(calldata) {
        Ok(out) => {
            let r = marginCall::abi_decode_returns(&out).unwrap();
            Ok((wad(r.im), wad(r.mm), wad(r.mtm), r.worstScenario))
        }
        Err(data) => Err(Error::abi_decode(&data).expect("revert data is a declared error")),
    }
}

fn what_if(s: &MarginSnapshot) -> Result<Answer, Error> {
    call(&encode(s))
}

fn native(s: &MarginSnapshot) -> (Wad, Wad, Wad) {
    let o = isolated_what_if(s).unwrap();
    assert_eq!(o.worst, None);
    (o.im, o.mm, o.mtm)
}

/// The definition, summed by hand: the account's cash and collateral with no position, plus
/// each position alone with no cash and no collateral, each margined in the cross model.
fn by_definition(s: &MarginSnapshot) -> (Wad, Wad, Wad) {
    let alone = |account: Account| {
        let o = evaluate_cross(&MarginSnapshot {
            mode: MarginMode::Cross,
            account,
            ..s.clone()
        })
        .unwrap();
        (o.im.raw(), o.mm.raw(), o.mtm.raw())
    };
    let mut total = alone(Account {
        positions: vec![],
        ..s.account.clone()
    });
    for p in &s.account.positions {
        let (im, mm, mtm) = alone(Account {
            cash: Wad::ZERO,
            collateral: vec![],
            positions: vec![p.clone()],
        });
        total = (total.0 + im, total.1 + mm, total.2 + mtm);
    }
    (
        Wad::from_raw(total.0),
        Wad::from_raw(total.1),
        Wad::from_raw(total.2),
    )
}

fn fixtures() -> Vec<MarginSnapshot> {
    let mut all = Vec::new();
    for mode in [MarginMode::Cross, MarginMode::Portfolio] {
        all.extend([straddle(mode), multi(mode), underwater(mode)]);
    }
    all.extend(isolated_cases());
    all
}

#[test]
fn selector_is_isolated_what_if_bytes() {
    assert_eq!(ISOLATED_WHAT_IF_SELECTOR, isolatedWhatIfCall::SELECTOR);
    assert_eq!(
        ISOLATED_WHAT_IF_SELECTOR[..],
        keccak256("isolatedWhatIf(bytes)")[..4]
    );
    assert_ne!(ISOLATED_WHAT_IF_SELECTOR, MARGIN_SELECTOR);
}

#[test]
fn fixtures_give_the_native_what_if_in_every_mode() {
    for s in fixtures() {
        let (im, mm, mtm, worst) = what_if(&s).unwrap();
        assert_eq!((im, mm, mtm), native(&s), "{:?}", s.mode);
        assert_eq!((im, mm, mtm), by_definition(&s));
        assert_eq!(worst, U256::MAX);
        // The mode byte does not matter.
        for mode in [MarginMode::Cross, MarginMode::Portfolio] {
            let other = MarginSnapshot { mode, ..s.clone() };
            assert_eq!(what_if(&other).unwrap(), (im, mm, mtm, worst));
        }
    }
}

/// Margining positions separately never nets them: the cross model (SRM) margins each
/// position on its own except option spreads inside one expiry, which a max-loss bound nets.
/// So the what-if surplus is never above cross's, equal for a book with no such spread (the
/// delta-hedged short straddle: two short options and a perp), strictly below for a spread;
/// the mark-to-market is the account's own either way.
#[test]
fn the_what_if_surplus_is_at_most_cross() {
    let spread = MarginSnapshot {
        account: Account {
            positions: vec![
                option(1, DEC, 88_000, false, w(2)),
                option(1, DEC, 85_000, false, w(-2)),
            ],
            ..straddle(MarginMode::Cross).account
        },
        ..straddle(MarginMode::Cross)
    };
    for (s, netted) in [
        (straddle(MarginMode::Cross), false),
        (underwater(MarginMode::Cross), false),
        (multi(MarginMode::Cross), true),
        (spread, true),
    ] {
        let (im, mm, mtm, _) = what_if(&s).unwrap();
        let (cim, cmm, cmtm, _) = margin(&encode(&s)).unwrap();
        assert_eq!(mtm, cmtm);
        if netted {
            assert!(im < cim, "im {im:?} vs cross {cim:?}");
            assert!(mm < cmm, "mm {mm:?} vs cross {cmm:?}");
        } else {
            assert_eq!((im, mm), (cim, cmm));
        }
    }
}

/// With at most one position the what-if is the cross margin of the account (the isolated
/// model the vault runs).
#[test]
fn one_position_gives_the_cross_margin() {
    for s in isolated_cases() {
        let bytes = encode(&s);
        let cross = margin(&bytes).unwrap();
        assert_eq!(call(&bytes).unwrap(), cross);
        let no_position = MarginSnapshot {
            account: Account {
                positions: vec![],
                ..s.account.clone()
            },
            ..s.clone()
        };
        assert_eq!(
            what_if(&no_position).unwrap(),
            margin(&encode(&no_position)).unwrap()
        );
    }
}

/// A small xorshift generator (deterministic).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    /// A signed size in (−20, 20) with two decimals, never zero.
    fn size(&mut self) -> Wad {
        let hundredths = self.below(2_000) as i64 + 1;
        let sign = if self.below(2) == 0 { -1 } else { 1 };
        Wad::ratio(sign * hundredths, 100)
    }
}

fn random_position(r: &mut Rng) -> Position {
    let size = r.size();
    match r.below(4) {
        0 => {
            let u = r.below(2) as u32;
            perp(u, size, Wad::from_int(r.below(400) as i64 - 200))
        }
        1 | 2 => {
            let (at, strike) = match r.below(2) {
                0 => (DEC, 2_500 + 100 * r.below(11) as i64),
                _ => (MAR, 2_500 + 100 * r.below(11) as i64),
            };
            option(0, at, strike, r.below(2) == 0, size)
        }
        _ => option(
            1,
            DEC,
            80_000 + 2_000 * r.below(11) as i64,
            r.below(2) == 0,
            size,
        ),
    }
}

#[test]
fn random_accounts_give_the_native_what_if() {
    let mut r = Rng(0x5eed_1234_abcd);
    let mut answered = 0;
    for case in 0..60 {
        let n = r.below(7) as usize;
        let positions: Vec<Position> = (0..n).map(|_| random_position(&mut r)).collect();
        let mode = if n <= 1 && r.below(2) == 0 {
            MarginMode::Isolated
        } else if r.below(2) == 0 {
            MarginMode::Cross
        } else {
            MarginMode::Portfolio
        };
        let s = MarginSnapshot {
            mode,
            account: Account {
                cash: Wad::from_int(r.below(40_000) as i64 - 10_000),
                collateral: vec![
                    Wad::from_int(r.below(50_000) as i64),
                    Wad::ratio(r.below(1_000) as i64, 100),
                ],
                positions,
            },
            market: market(),
            params: keel_risk::model::account::RiskParams::keel_default(),
        };
        match isolated_what_if(&s) {
            Ok(o) => {
                let got = what_if(&s).unwrap();
                assert_eq!(got, (o.im, o.mm, o.mtm, U256::MAX), "case {case}");
                assert_eq!((o.im, o.mm, o.mtm), by_definition(&s), "case {case}");
                answered += 1;
            }
            Err(e) => {
                let got = what_if(&s).unwrap_err();
                assert_eq!(format!("{got:?}").split('(').next(), Some(e.name()));
            }
        }
    }
    assert!(answered >= 50, "only {answered} of 60 accounts margined");
}

#[test]
fn risk_errors_revert_with_their_names() {
    let mut s = multi(MarginMode::Cross);
    s.account.positions[1] = option(0, MAR + 1, 3100, true, w(10));
    assert!(matches!(what_if(&s), Err(Error::MissingExpiryData(_))));
    let mut s = multi(MarginMode::Portfolio);
    s.account.positions[2].underlying = 7;
    assert!(matches!(what_if(&s), Err(Error::MissingMarketData(_))));
    // The cross model needs an SRM parameter set, even for an account with no position.
    let mut s = straddle(MarginMode::Cross);
    s.params.cross_markets.clear();
    assert!(matches!(what_if(&s), Err(Error::ParameterOutOfBounds(_))));
    s.account.positions.clear();
    assert!(matches!(what_if(&s), Err(Error::ParameterOutOfBounds(_))));
}

#[test]
fn every_truncation_reverts_with_snapshot_truncated() {
    let bytes = encode(&multi(MarginMode::Portfolio));
    for cut in 0..bytes.len() {
        assert!(
            matches!(call(&bytes[..cut]), Err(Error::SnapshotTruncated(_))),
            "prefix {cut}"
        );
    }
}

#[test]
fn malformed_snapshots_revert_with_the_same_errors_as_margin() {
    let bytes = encode(&multi(MarginMode::Cross));
    let mut cases = Vec::new();
    let mut bad = bytes.clone();
    bad[0] = 0;
    cases.push(bad);
    let mut bad = bytes.clone();
    bad[1] = 2;
    cases.push(bad);
    let mut bad = bytes.clone();
    bad[2] = 3;
    cases.push(bad);
    let mut bad = bytes.clone();
    bad.push(7);
    cases.push(bad);
    let mut s = multi(MarginMode::Cross);
    s.account.collateral = vec![Wad::ONE; MAX_ASSETS + 1];
    cases.push(encode(&s));
    let mut s = multi(MarginMode::Isolated);
    s.account.positions.truncate(2);
    cases.push(encode(&s));
    let expected = [
        "SnapshotBadMagic",
        "SnapshotUnsupportedVersion",
        "SnapshotBadTag",
        "SnapshotTrailingBytes",
        "SnapshotTooManyAssets",
        "SnapshotIsolatedNeedsOnePosition",
    ];
    for (bytes, name) in cases.iter().zip(expected) {
        let e = call(bytes).unwrap_err();
        assert_eq!(format!("{e:?}").split('(').next(), Some(name));
        assert_eq!(margin(bytes).unwrap_err(), e);
    }
}

/// Every single-byte corruption reverts with a declared error or answers the what-if of the
/// snapshot the corrupted bytes decode to — exactly as keel-risk does natively.
#[test]
fn corrupted_bytes_revert_or_match_native() {
    let bytes = encode(&straddle(MarginMode::Cross));
    let mut answered = 0;
    for i in (0..bytes.len()).step_by(3) {
        let mut bad = bytes.clone();
        bad[i] ^= 0x41;
        match (call(&bad), decode(&bad)) {
            (Ok((im, mm, mtm, worst)), Ok(s)) => {
                assert_eq!((im, mm, mtm), native(&s), "byte {i}");
                assert_eq!(worst, U256::MAX);
                answered += 1;
            }
            (Err(_), _) => {}
            (Ok(_), Err(e)) => panic!("byte {i}: engine answered, decode says {e:?}"),
        }
    }
    assert!(answered > 0);
}

#[test]
fn random_bytes_revert_with_declared_errors() {
    let mut r = Rng(0x1357_9bdf);
    for len in 0..300 {
        let bytes: Vec<u8> = (0..len).map(|_| r.next() as u8).collect();
        assert!(call(&bytes).is_err());
        // Past the header, the decoder meets random fields.
        let mut framed = vec![0x4B, 0x01, (len % 3) as u8];
        framed.extend_from_slice(&bytes);
        let _ = call(&framed);
    }
}

#[test]
fn calldata_that_is_not_abi_bytes_reverts_with_bad_encoding() {
    let good = isolatedWhatIfCall {
        snapshot: encode(&straddle(MarginMode::Cross)).into(),
    }
    .abi_encode();
    assert!(send(good.clone()).is_ok());
    let bad_encoding = |data: Vec<u8>| {
        matches!(
            Error::abi_decode(&send(data).unwrap_err()),
            Ok(Error::BadEncoding(_))
        )
    };
    // Offset other than 32.
    let mut bad = good.clone();
    bad[4 + 31] = 64;
    assert!(bad_encoding(bad));
    // A length beyond the calldata, or beyond four bytes.
    let mut bad = good.clone();
    bad[4 + 63] = bad[4 + 63].wrapping_add(0x40);
    bad[4 + 62] = 0x7f;
    assert!(bad_encoding(bad));
    let mut bad = good.clone();
    bad[4 + 40] = 1;
    assert!(bad_encoding(bad));
    // Cut inside the head.
    assert!(bad_encoding(good[..40].to_vec()));
    assert!(bad_encoding(ISOLATED_WHAT_IF_SELECTOR.to_vec()));
    // Another selector.
    let mut bad = good.clone();
    bad[0] ^= 1;
    assert_eq!(send(bad), Err(Vec::new()));
}

/// The declaration used here is the interface file's.
#[test]
fn the_interface_file_declares_the_function() {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../abi/ICrossEngine.sol"
    ))
    .unwrap();
    let flat: String = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("///"))
        .collect::<Vec<_>>()
        .join(" ");
    let flat = flat.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(
        "function isolatedWhatIf(bytes calldata snapshot) external view returns \
         (int256 im, int256 mm, int256 mtm, uint256 worstScenario);"
    ));
    assert!(flat.contains("interface ICrossEngine is IRiskEngine"));
}
