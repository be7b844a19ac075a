//! Forward, rate and SVI data per (underlying, expiry): feeders only, every bound, events,
//! reads with the heartbeat check and ageing confidence.

mod common;
use alloy_primitives::{Address, U256};
use common::*;

const EXPIRY: u64 = NOW + 30 * 86_400;

fn bounds() -> I::ExpiryBounds {
    I::ExpiryBounds {
        minVol: wad("0.1"),
        maxVol: wad("3"),
        forwardBand: wad("0.1"),
        maxRate: wad("0.2"),
        heartbeat: 3600,
        confidenceFloor: wad("0.5"),
    }
}

/// ATM total variance a + b·σ = 0.04 over τ = 0.25: ATM vol 0.4.
fn data() -> I::ExpiryData {
    I::ExpiryData {
        forward: wad("3010"),
        rate: swad("0.05"),
        sviA: swad("0.01"),
        sviB: swad("0.1"),
        sviRho: swad("0"),
        sviM: swad("0"),
        sviSigma: swad("0.3"),
        sviForward: wad("3010"),
        sviTau: wad("0.25"),
        confidence: wad("0.9"),
        timestamp: NOW,
    }
}

fn env() -> Env {
    let env = Env::configured();
    env.call(
        OWNER,
        I::setExpiryBoundsCall {
            underlying: WETH,
            bounds: bounds(),
        },
    )
    .unwrap();
    env.clear_logs();
    env
}

fn push(env: &Env, d: I::ExpiryData) -> Result<(), Vec<u8>> {
    env.raw(
        FEEDER,
        I::pushExpiryDataCall {
            underlying: WETH,
            expiry: EXPIRY,
            data: d,
        }
        .abi_encode(),
    )
    .map(|_| ())
}

fn with(env: &Env, f: &dyn Fn(&mut I::ExpiryData)) -> Result<(), Vec<u8>> {
    let mut d = data();
    f(&mut d);
    push(env, d)
}

fn read(env: &Env) -> Result<I::getExpiryDataReturn, Vec<u8>> {
    env.call(
        ALICE,
        I::getExpiryDataCall {
            underlying: WETH,
            expiry: EXPIRY,
        },
    )
}

#[test]
fn a_feeder_pushes_and_anyone_reads_with_an_event() {
    let env = env();
    push(&env, data()).unwrap();
    let e = env.event::<I::ExpiryDataPushed>();
    assert_eq!((e.underlying, e.expiry, e.feeder), (WETH, EXPIRY, FEEDER));
    assert_eq!(e.data, data());
    let r = read(&env).unwrap();
    assert_eq!(r.data, data());
    assert_eq!(r.confidence, wad("0.9"));
}

#[test]
fn negative_svi_parameters_and_rates_round_trip() {
    let env = env();
    let d = I::ExpiryData {
        rate: swad("-0.03"),
        sviA: swad("-0.01"),
        sviRho: swad("-0.7"),
        sviM: swad("-0.05"),
        ..data()
    };
    push(&env, d.clone()).unwrap();
    assert_eq!(read(&env).unwrap().data, d);
}

#[test]
fn only_feeders_push() {
    let env = env();
    for caller in [ALICE, OWNER] {
        assert_eq!(
            env.fail(
                caller,
                I::pushExpiryDataCall {
                    underlying: WETH,
                    expiry: EXPIRY,
                    data: data()
                }
            ),
            err(I::NotFeeder { caller })
        );
    }
    env.call(
        OWNER,
        I::setFeederCall {
            feeder: FEEDER,
            allowed: false,
        },
    )
    .unwrap();
    assert_eq!(
        push(&env, data()).unwrap_err(),
        err(I::NotFeeder { caller: FEEDER })
    );
}

#[test]
fn pushing_needs_bounds_and_a_valid_spot() {
    let env = env();
    // No bounds for WBTC.
    assert_eq!(
        env.fail(
            FEEDER,
            I::pushExpiryDataCall {
                underlying: WBTC,
                expiry: EXPIRY,
                data: data()
            }
        ),
        err(I::NoExpiryBounds { underlying: WBTC })
    );
    // Bounds but no feed.
    env.call(
        OWNER,
        I::setExpiryBoundsCall {
            underlying: WBTC,
            bounds: bounds(),
        },
    )
    .unwrap();
    assert_eq!(
        env.fail(
            FEEDER,
            I::pushExpiryDataCall {
                underlying: WBTC,
                expiry: EXPIRY,
                data: data()
            }
        ),
        err(I::UnknownAsset { asset: WBTC })
    );
    // A stale spot blocks the push.
    env.primary("3000", NOW - 3601);
    assert_eq!(
        push(&env, data()).unwrap_err(),
        err(I::StaleData { asset: WETH })
    );
}

#[test]
fn timestamp_bounds() {
    let env = env();
    assert_eq!(
        with(&env, &|d| d.timestamp = NOW + 1).unwrap_err(),
        err(I::FutureTimestamp { asset: WETH })
    );
    assert_eq!(
        with(&env, &|d| d.timestamp = NOW - 3601).unwrap_err(),
        err(I::StaleData { asset: WETH })
    );
    with(&env, &|d| d.timestamp = NOW - 3600).unwrap();
    // Not older than what is stored; the same time is a correction.
    with(&env, &|d| d.timestamp = NOW - 100).unwrap();
    assert_eq!(
        with(&env, &|d| d.timestamp = NOW - 101).unwrap_err(),
        err(I::OutdatedData {})
    );
    with(&env, &|d| {
        d.timestamp = NOW - 100;
        d.confidence = wad("0.8")
    })
    .unwrap();
    assert_eq!(read(&env).unwrap().data.confidence, wad("0.8"));
}

#[test]
fn the_expiry_must_be_in_the_future() {
    let env = env();
    for expiry in [NOW, NOW - 1] {
        assert_eq!(
            env.fail(
                FEEDER,
                I::pushExpiryDataCall {
                    underlying: WETH,
                    expiry,
                    data: data()
                }
            ),
            err(I::ExpiryNotInFuture {})
        );
    }
}

#[test]
fn confidence_forward_and_rate_bounds() {
    let env = env();
    assert_eq!(
        with(&env, &|d| d.confidence = wad("1.000000000000000001")).unwrap_err(),
        err(I::ConfidenceOutOfRange {})
    );
    // Spot 3000, band 10 %: forward in [2700, 3300].
    for f in ["3300.000000000000000001", "2699.999999999999999999", "0"] {
        let forward = wad(f);
        assert_eq!(
            with(&env, &|d| d.forward = forward).unwrap_err(),
            err(I::ForwardOutOfBand {}),
            "{f}"
        );
    }
    with(&env, &|d| d.forward = wad("3300")).unwrap();
    with(&env, &|d| d.forward = wad("2700")).unwrap();
    for r in ["0.200000000000000001", "-0.21"] {
        let rate = swad(r);
        assert_eq!(
            with(&env, &|d| d.rate = rate).unwrap_err(),
            err(I::RateOutOfBounds {})
        );
    }
    with(&env, &|d| d.rate = swad("-0.2")).unwrap();
}

#[test]
fn svi_validity_and_vol_range() {
    let env = env();
    let invalid = err(I::InvalidSviParameters {});
    assert_eq!(with(&env, &|d| d.sviB = swad("-0.1")).unwrap_err(), invalid);
    assert_eq!(with(&env, &|d| d.sviRho = swad("1")).unwrap_err(), invalid);
    assert_eq!(with(&env, &|d| d.sviRho = swad("-1")).unwrap_err(), invalid);
    assert_eq!(
        with(&env, &|d| d.sviSigma = swad("0")).unwrap_err(),
        invalid
    );
    assert_eq!(
        with(&env, &|d| d.sviForward = U256::ZERO).unwrap_err(),
        invalid
    );
    assert_eq!(with(&env, &|d| d.sviTau = U256::ZERO).unwrap_err(), invalid);
    // Minimum total variance a + b·σ·√(1 − ρ²) = −0.05 + 0.03 < 0.
    assert_eq!(
        with(&env, &|d| d.sviA = swad("-0.05")).unwrap_err(),
        invalid
    );
    // ATM vol √(w/τ): a = 0.0025 − 0.03 gives w = 0.0025, vol 0.1 (the minimum).
    with(&env, &|d| d.sviA = swad("-0.0275")).unwrap();
    assert_eq!(
        with(&env, &|d| d.sviA = swad("-0.02751")).unwrap_err(),
        err(I::VolOutOfBounds {})
    );
    // Vol 3 (the maximum): w = 9·0.25 = 2.25, a = 2.22.
    with(&env, &|d| d.sviA = swad("2.22")).unwrap();
    assert_eq!(
        with(&env, &|d| d.sviA = swad("2.2201")).unwrap_err(),
        err(I::VolOutOfBounds {})
    );
}

#[test]
fn numbers_beyond_a_wad_are_wad_overflow() {
    let env = env();
    assert_eq!(
        with(&env, &|d| d.forward = U256::from(1u8) << 127).unwrap_err(),
        err(I::WadOverflow {})
    );
    assert_eq!(
        with(&env, &|d| d.sviA = alloy_primitives::I256::MIN).unwrap_err(),
        err(I::WadOverflow {})
    );
}

#[test]
fn reads_age_the_confidence_and_check_the_heartbeat() {
    let env = env();
    push(&env, data()).unwrap();
    env.at(NOW + 1800);
    env.primary("3000", NOW + 1800);
    assert_eq!(read(&env).unwrap().confidence, wad("0.675"));
    env.at(NOW + 3600);
    assert_eq!(read(&env).unwrap().confidence, wad("0.45"));
    env.at(NOW + 3601);
    assert_eq!(read(&env).unwrap_err(), err(I::StaleData { asset: WETH }));
    // Another expiry was never pushed.
    assert_eq!(
        env.call(
            ALICE,
            I::getExpiryDataCall {
                underlying: WETH,
                expiry: EXPIRY + 1
            }
        )
        .unwrap_err(),
        err(I::NoExpiryData {
            underlying: WETH,
            expiry: EXPIRY + 1
        })
    );
    assert_eq!(
        env.call(
            ALICE,
            I::getExpiryDataCall {
                underlying: Address::ZERO,
                expiry: EXPIRY
            }
        )
        .unwrap_err(),
        err(I::NoExpiryData {
            underlying: Address::ZERO,
            expiry: EXPIRY
        })
    );
}
