//! The portfolio engine run natively on stylus-sdk's `TestVM`, called with calldata built from
//! `abi/IRiskEngine.sol` itself: it returns exactly keel-risk's native numbers for the same
//! snapshot, and hostile bytes revert with a named error of the interface.

#[path = "common/fixtures.rs"]
mod fixtures;

use alloy_primitives::{keccak256, I256, U256};
use alloy_sol_types::{sol, SolCall, SolInterface};
use fixtures::*;
use keel_risk::model::account::compare_modes;
use keel_risk::model::portfolio::WorstCase;
use keel_risk::model::snapshot::{
    decode, encode, evaluate_portfolio, MarginMode, MarginSnapshot, MAX_POSITIONS,
};
use keel_risk::Wad;
use keel_risk_engine::{RiskEngine, MARGIN_SELECTOR};
use stylus_sdk::abi::router_entrypoint;
use stylus_sdk::host::VM;
use stylus_sdk::testing::TestVM;

sol!(
    #[sol(all_derives)]
    "../../abi/IRiskEngine.sol"
);

use IRiskEngine::{marginCall, IRiskEngineErrors as Error};

fn send(calldata: Vec<u8>) -> Result<Vec<u8>, Vec<u8>> {
    let vm = TestVM::default();
    router_entrypoint::<RiskEngine, RiskEngine>(calldata, VM { host: Box::new(vm) })
}

type Answer = (Wad, Wad, Wad, U256);

fn wad(x: I256) -> Wad {
    Wad::from_raw(i128::try_from(x).unwrap())
}

/// Calls `margin(bytes)`; a revert must decode as one of the interface's errors.
fn call(bytes: &[u8]) -> Result<Answer, Error> {
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

fn margin(s: &MarginSnapshot) -> Result<Answer, Error> {
    call(&encode(s))
}

/// The worst case of the underlying with the largest worst loss, from `compare_modes`.
fn native_worst(s: &MarginSnapshot) -> U256 {
    let c = compare_modes(&s.account, &s.market, &s.params).unwrap();
    let mut best: Option<(Wad, WorstCase)> = None;
    for u in &c.portfolio_detail.breakdown.underlyings {
        if best.is_none_or(|(loss, _)| u.worst_loss > loss) {
            best = Some((u.worst_loss, u.worst));
        }
    }
    match best {
        Some((_, WorstCase::Scenario(i))) => U256::from(i),
        _ => U256::MAX,
    }
}

#[test]
fn selector_is_margin_bytes() {
    assert_eq!(MARGIN_SELECTOR, marginCall::SELECTOR);
    assert_eq!(MARGIN_SELECTOR[..], keccak256("margin(bytes)")[..4]);
}

#[test]
fn portfolio_snapshots_give_the_native_numbers() {
    for s in [
        straddle(MarginMode::Portfolio),
        multi(MarginMode::Portfolio),
        underwater(MarginMode::Portfolio),
    ] {
        let (im, mm, mtm, worst) = margin(&s).unwrap();
        assert_eq!((im, mm, mtm), native(&s));
        assert_eq!(worst, native_worst(&s));
        let o = evaluate_portfolio(&s).unwrap();
        assert_eq!((im, mm, mtm), (o.im, o.mm, o.mtm));
    }
    // The fixtures cover a healthy and a liquidatable account, and a reported scenario.
    assert!(margin(&multi(MarginMode::Portfolio))
        .unwrap()
        .0
        .is_positive());
    assert!(margin(&underwater(MarginMode::Portfolio))
        .unwrap()
        .1
        .is_negative());
    let worst: Vec<U256> = [straddle, multi, underwater]
        .iter()
        .map(|f| margin(&f(MarginMode::Portfolio)).unwrap().3)
        .collect();
    assert!(worst.iter().any(|&i| i < U256::from(31)), "{worst:?}");
}

#[test]
fn an_account_without_exposure_reports_no_scenario() {
    let mut s = straddle(MarginMode::Portfolio);
    s.account.positions.clear();
    let (im, mm, mtm, worst) = margin(&s).unwrap();
    assert_eq!((im, mm, mtm), native(&s));
    assert_eq!(worst, U256::MAX);
}

#[test]
fn other_modes_revert_with_wrong_mode() {
    assert_eq!(
        margin(&straddle(MarginMode::Cross)),
        Err(Error::WrongMode(IRiskEngine::WrongMode { mode: 1 }))
    );
    let mut s = straddle(MarginMode::Isolated);
    s.account.positions.truncate(1);
    assert_eq!(
        margin(&s),
        Err(Error::WrongMode(IRiskEngine::WrongMode { mode: 0 }))
    );
}

#[test]
fn risk_errors_revert_with_their_names() {
    let mut s = multi(MarginMode::Portfolio);
    s.account.positions[1] = option(0, MAR + 1, 3100, true, fixtures::w(10));
    assert!(matches!(margin(&s), Err(Error::MissingExpiryData(_))));
    let mut s = multi(MarginMode::Portfolio);
    s.account.positions[2].underlying = 7;
    assert!(matches!(margin(&s), Err(Error::MissingMarketData(_))));
    let mut s = multi(MarginMode::Portfolio);
    s.account.positions[0].size = Wad::MAX;
    assert!(matches!(margin(&s), Err(Error::Overflow(_))));
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
fn malformed_snapshots_revert_with_named_errors() {
    let bytes = encode(&multi(MarginMode::Portfolio));
    let mut bad = bytes.clone();
    bad[0] = 0;
    assert!(matches!(call(&bad), Err(Error::SnapshotBadMagic(_))));
    let mut bad = bytes.clone();
    bad[1] = 2;
    assert!(matches!(
        call(&bad),
        Err(Error::SnapshotUnsupportedVersion(_))
    ));
    let mut bad = bytes.clone();
    bad[2] = 9;
    assert!(matches!(call(&bad), Err(Error::SnapshotBadTag(_))));
    let mut bad = bytes.clone();
    bad.push(0);
    assert!(matches!(call(&bad), Err(Error::SnapshotTrailingBytes(_))));

    let mut s = multi(MarginMode::Portfolio);
    s.account.positions = vec![perp(0, fixtures::w(1), Wad::ZERO); MAX_POSITIONS + 1];
    assert!(matches!(
        margin(&s),
        Err(Error::SnapshotTooManyPositions(_))
    ));
    let mut s = multi(MarginMode::Isolated);
    s.account.positions.truncate(2);
    assert!(matches!(
        margin(&s),
        Err(Error::SnapshotIsolatedNeedsOnePosition(_))
    ));
}

/// Every single-byte corruption reverts with a declared error or margins the snapshot the
/// corrupted bytes decode to — exactly as keel-risk does natively.
#[test]
fn corrupted_bytes_revert_or_match_native() {
    let bytes = encode(&straddle(MarginMode::Portfolio));
    let mut answered = 0;
    for i in (0..bytes.len()).step_by(3) {
        let mut bad = bytes.clone();
        bad[i] ^= 0x41;
        match (call(&bad), decode(&bad)) {
            (Ok((im, mm, mtm, _)), Ok(s)) => {
                let o = evaluate_portfolio(&s).unwrap();
                assert_eq!((im, mm, mtm), (o.im, o.mm, o.mtm));
                answered += 1;
            }
            (Err(_), Err(_)) => {}
            (Err(_), Ok(s)) => {
                assert!(evaluate_portfolio(&s).is_err() || s.mode != MarginMode::Portfolio)
            }
            (Ok(_), Err(e)) => panic!("byte {i}: engine answered, decode says {e:?}"),
        }
    }
    assert!(answered > 0);
}

#[test]
fn random_bytes_revert_with_declared_errors() {
    let mut x: u64 = 0x1234_5678;
    for len in 0..300 {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        // `call` panics on revert data that is not an interface error.
        assert!(call(&bytes).is_err());
        let mut framed = vec![0x4B, 0x01, 0x02];
        framed.extend_from_slice(&bytes);
        let _ = call(&framed);
    }
}

#[test]
fn calldata_that_is_not_abi_bytes_reverts_with_bad_encoding() {
    let good = marginCall {
        snapshot: encode(&straddle(MarginMode::Portfolio)).into(),
    }
    .abi_encode();
    assert!(send(good.clone()).is_ok());
    let bad_encoding = |calldata: Vec<u8>| {
        let data = send(calldata).unwrap_err();
        assert!(matches!(
            Error::abi_decode(&data),
            Ok(Error::BadEncoding(_))
        ));
    };
    // Offset other than 32.
    let mut bad = good.clone();
    bad[4 + 31] = 64;
    bad_encoding(bad);
    // Length beyond the calldata.
    let mut bad = good.clone();
    bad[4 + 63] = bad[4 + 63].wrapping_add(200);
    bad[4 + 62] = 0xff;
    bad_encoding(bad);
    // A length word above 2^32.
    let mut bad = good.clone();
    bad[4 + 59] = 1;
    bad_encoding(bad);
    // Too short for the two head words.
    bad_encoding(good[..40].to_vec());
    // Unknown selector: empty revert data, as Solidity.
    let mut bad = good.clone();
    bad[0] ^= 1;
    assert_eq!(send(bad), Err(Vec::new()));
}
