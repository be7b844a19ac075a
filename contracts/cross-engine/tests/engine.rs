//! The isolated and cross engine run natively on stylus-sdk's `TestVM`: it returns exactly
//! keel-risk's native numbers for the same snapshot, and hostile bytes revert with a named
//! error of the interface. Calldata and errors are built from the interface file itself:
//! `abi/ICrossEngine.sol` is `IRiskEngine` with no member of its own, and alloy's `sol!`
//! does not follow imports, so they come from `abi/IRiskEngine.sol` (`keel abi check` holds
//! `ICrossEngine` to the contract's export).

#[path = "../../risk-engine/tests/common/fixtures.rs"]
mod fixtures;

use alloy_primitives::{keccak256, I256, U256};
use alloy_sol_types::{sol, SolCall, SolInterface};
use fixtures::*;
use keel_cross_engine::{CrossEngine, MARGIN_SELECTOR};
use keel_risk::model::snapshot::{
    decode, encode, evaluate_cross, MarginMode, MarginSnapshot, MAX_ASSETS,
};
use keel_risk::Wad;
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
    router_entrypoint::<CrossEngine, CrossEngine>(calldata, VM { host: Box::new(vm) })
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

#[test]
fn selector_is_margin_bytes() {
    assert_eq!(MARGIN_SELECTOR, marginCall::SELECTOR);
    assert_eq!(MARGIN_SELECTOR[..], keccak256("margin(bytes)")[..4]);
}

#[test]
fn cross_snapshots_give_the_native_numbers() {
    for s in [
        straddle(MarginMode::Cross),
        multi(MarginMode::Cross),
        underwater(MarginMode::Cross),
    ] {
        let (im, mm, mtm, worst) = margin(&s).unwrap();
        assert_eq!((im, mm, mtm), native(&s));
        assert_eq!(worst, U256::MAX);
        let o = evaluate_cross(&s).unwrap();
        assert_eq!((im, mm, mtm), (o.im, o.mm, o.mtm));
    }
    assert!(margin(&multi(MarginMode::Cross)).unwrap().0.is_positive());
    assert!(margin(&underwater(MarginMode::Cross))
        .unwrap()
        .1
        .is_negative());
}

/// An isolated snapshot (one position, all the account's collateral) gives `compare_modes`'
/// isolated headline of the same account.
#[test]
fn isolated_snapshots_give_the_native_isolated_numbers() {
    for s in isolated_cases() {
        let (im, mm, mtm, worst) = margin(&s).unwrap();
        assert_eq!((im, mm, mtm), native(&s));
        assert_eq!(worst, U256::MAX);
    }
}

#[test]
fn portfolio_snapshots_revert_with_wrong_mode() {
    assert_eq!(
        margin(&multi(MarginMode::Portfolio)),
        Err(Error::WrongMode(IRiskEngine::WrongMode { mode: 2 }))
    );
}

#[test]
fn risk_errors_revert_with_their_names() {
    let mut s = multi(MarginMode::Cross);
    s.account.positions[1] = option(0, MAR + 1, 3100, true, fixtures::w(10));
    assert!(matches!(margin(&s), Err(Error::MissingExpiryData(_))));
    let mut s = multi(MarginMode::Cross);
    s.account.positions[2].underlying = 7;
    assert!(matches!(margin(&s), Err(Error::MissingMarketData(_))));
    // Cross margin with no SRM parameter set at all.
    let mut s = multi(MarginMode::Cross);
    s.params.cross_markets.clear();
    assert!(matches!(margin(&s), Err(Error::ParameterOutOfBounds(_))));
}

#[test]
fn every_truncation_reverts_with_snapshot_truncated() {
    let bytes = encode(&multi(MarginMode::Cross));
    for cut in 0..bytes.len() {
        assert!(
            matches!(call(&bytes[..cut]), Err(Error::SnapshotTruncated(_))),
            "prefix {cut}"
        );
    }
}

#[test]
fn malformed_snapshots_revert_with_named_errors() {
    let bytes = encode(&multi(MarginMode::Cross));
    let mut bad = bytes.clone();
    bad[0] = 0;
    assert!(matches!(call(&bad), Err(Error::SnapshotBadMagic(_))));
    let mut bad = bytes.clone();
    bad.push(7);
    assert!(matches!(call(&bad), Err(Error::SnapshotTrailingBytes(_))));
    let mut s = multi(MarginMode::Cross);
    s.account.collateral = vec![Wad::ONE; MAX_ASSETS + 1];
    assert!(matches!(margin(&s), Err(Error::SnapshotTooManyAssets(_))));
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
    let bytes = encode(&straddle(MarginMode::Cross));
    let mut answered = 0;
    for i in (0..bytes.len()).step_by(3) {
        let mut bad = bytes.clone();
        bad[i] ^= 0x41;
        match (call(&bad), decode(&bad)) {
            (Ok((im, mm, mtm, _)), Ok(s)) => {
                let o = evaluate_cross(&s).unwrap();
                assert_eq!((im, mm, mtm), (o.im, o.mm, o.mtm));
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
    let mut x: u64 = 0x9876_5432;
    for len in 0..300 {
        let bytes: Vec<u8> = (0..len)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x as u8
            })
            .collect();
        assert!(call(&bytes).is_err());
        let mut framed = vec![0x4B, 0x01, 0x01];
        framed.extend_from_slice(&bytes);
        let _ = call(&framed);
    }
}

#[test]
fn calldata_that_is_not_abi_bytes_reverts_with_bad_encoding() {
    let good = marginCall {
        snapshot: encode(&straddle(MarginMode::Cross)).into(),
    }
    .abi_encode();
    assert!(send(good.clone()).is_ok());
    let mut bad = good.clone();
    bad[4 + 31] = 64;
    let data = send(bad).unwrap_err();
    assert!(matches!(
        Error::abi_decode(&data),
        Ok(Error::BadEncoding(_))
    ));
    let data = send(good[..40].to_vec()).unwrap_err();
    assert!(matches!(
        Error::abi_decode(&data),
        Ok(Error::BadEncoding(_))
    ));
    let mut bad = good.clone();
    bad[0] ^= 1;
    assert_eq!(send(bad), Err(Vec::new()));
}
