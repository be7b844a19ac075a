//! The risk admin's settings: risk parameters stored in a data contract (round trip, every
//! bound, the SRM set count), the data contract's init code, haircut add-ons, limits and the
//! depeg-guard listing rule.
mod common;

use alloy_primitives::{Address, U256};
use common::*;
use keel_risk::model::portfolio::{Scenario, VolShock};
use keel_risk::model::snapshot::{encode_params, ParamsError};
use keel_risk::Wad;

fn invalid(code: ParamsError) -> Vec<u8> {
    err(I::InvalidRiskParams { code: code as u8 })
}

fn invalid_parameter(which: u8) -> Vec<u8> {
    err(I::InvalidParameter { which })
}

fn stored(env: &Env) -> Vec<u8> {
    env.call(ALICE, I::riskParamsCall {}).unwrap().to_vec()
}

#[test]
fn risk_parameters_round_trip_through_a_data_contract() {
    let env = Env::bare();
    assert!(stored(&env).is_empty(), "nothing until set");
    let p = params(3);
    let bytes = encode_params(&p);
    env.set_params(&p).unwrap();
    assert_eq!(stored(&env), bytes);
    // One data contract, whose code is 0x00 ‖ params, announced with its length.
    let deployed = env.host.handler().deployed();
    assert_eq!(deployed.len(), 1);
    let (data, code) = deployed.into_iter().next().unwrap();
    assert_eq!(code[0], 0x00, "the runtime starts with STOP");
    assert_eq!(code[1..], bytes[..]);
    assert_eq!(
        env.events::<I::RiskParamsSet>(),
        vec![I::RiskParamsSet {
            data,
            length: U256::from(bytes.len()),
        }]
    );
    assert_eq!(env.state().params_data.get(), data);
    assert_eq!(env.state().srm_sets(), 3);
    // A new set replaces it in a new data contract.
    let q = params(1);
    env.set_params(&q).unwrap();
    assert_eq!(stored(&env), encode_params(&q));
    assert_eq!(env.host.handler().deployed().len(), 2);
    assert_ne!(env.state().params_data.get(), data);
    assert_eq!(env.state().srm_sets(), 1);
}

#[test]
fn only_the_risk_admin_sets_anything() {
    let env = Env::bare();
    for caller in [ALICE, OWNER] {
        let unauthorized = err(I::Unauthorized { caller });
        let bytes = encode_params(&params(1));
        assert_eq!(
            env.fail(
                caller,
                I::setRiskParamsCall {
                    params: bytes.into()
                }
            ),
            unauthorized
        );
        assert_eq!(
            env.fail(
                caller,
                I::setHaircutAddOnsCall {
                    addOns: I::HaircutAddOns {
                        volFloor: U256::ZERO,
                        volSlope: U256::ZERO,
                        confidenceSlope: U256::ZERO,
                    }
                }
            ),
            unauthorized
        );
        assert_eq!(
            env.fail(
                caller,
                I::setLimitsCall {
                    maxPositions: 10,
                    maxExpiries: 5
                }
            ),
            unauthorized
        );
    }
    assert!(stored(&env).is_empty());
}

#[test]
fn every_parameter_bound_is_enforced() {
    let env = Env::bare();
    let refuse = |p: &keel_risk::model::account::RiskParams, code: ParamsError| {
        assert_eq!(env.set_params(p).unwrap_err(), invalid(code), "{code:?}");
    };
    let base = params(1);
    let with = |f: &dyn Fn(&mut keel_risk::model::account::RiskParams)| {
        let mut p = base.clone();
        f(&mut p);
        p
    };
    refuse(&with(&|p| p.cross_markets.clear()), ParamsError::NoSrmSets);
    refuse(
        &with(&|p| p.cross_markets[0].max_spot_req = pct(121)),
        ParamsError::SrmOption,
    );
    refuse(
        &with(&|p| p.cross_markets[0].unpaired_im_scale = pct(99)),
        ParamsError::SrmOption,
    );
    refuse(
        &with(&|p| p.cross_markets[0].perp_im_req = pct(4)),
        ParamsError::SrmPerp,
    );
    refuse(
        &with(&|p| p.cross_markets[0].perp_mm_req = Wad::ZERO),
        ParamsError::SrmPerp,
    );
    refuse(
        &with(&|p| p.cross_markets[0].base_margin_factor = pct(101)),
        ParamsError::SrmBase,
    );
    refuse(
        &with(&|p| p.cross_markets[0].oc_factor = pct(-1)),
        ParamsError::SrmOracle,
    );
    refuse(
        &with(&|p| p.cross_depeg_threshold = pct(101)),
        ParamsError::Depeg,
    );
    refuse(&with(&|p| p.cross_depeg_factor = w(4)), ParamsError::Depeg);
    refuse(
        &with(&|p| p.portfolio.margin.im_factor = pct(49)),
        ParamsError::Pm2Bounds,
    );
    refuse(
        &with(&|p| p.portfolio.vol_shock.short_term_power = w(-11)),
        ParamsError::Pm2Bounds,
    );
    refuse(
        &with(&|p| p.portfolio.basis.scenario_spot_up = Wad::ONE),
        ParamsError::Pm2Bounds,
    );
    refuse(
        &with(&|p| p.portfolio.max_expiries = 31),
        ParamsError::Pm2Bounds,
    );
    refuse(
        &with(&|p| p.portfolio.svi_max_total_variance = Wad::ZERO),
        ParamsError::Pm2Bounds,
    );
    refuse(
        &with(&|p| p.portfolio.vol_shock.dte_floor = 0),
        ParamsError::DteFloor,
    );
    refuse(
        &with(&|p| p.portfolio.svi_max_total_variance = w(145)),
        ParamsError::SviCap,
    );
    refuse(
        &with(&|p| p.portfolio.scenarios.clear()),
        ParamsError::Scenarios,
    );
    refuse(
        &with(&|p| p.portfolio.scenarios = vec![Scenario::new(w(11), VolShock::Up, Wad::ONE)]),
        ParamsError::Scenarios,
    );
    refuse(
        &with(&|p| p.portfolio.scenarios = vec![Scenario::new(Wad::ONE, VolShock::None, pct(101))]),
        ParamsError::Scenarios,
    );
    // Bytes that are not a parameters section: garbage, cut, extended, empty.
    let bytes = encode_params(&base);
    let set = |b: Vec<u8>| {
        env.call(ADMIN, I::setRiskParamsCall { params: b.into() })
            .map(|_| ())
    };
    for bad in [
        vec![0xff; 40],
        bytes[..bytes.len() - 1].to_vec(),
        [bytes.clone(), vec![0]].concat(),
        vec![],
    ] {
        assert_eq!(set(bad).unwrap_err(), invalid(ParamsError::Malformed));
    }
    // Nothing was stored by any refused set; the bounds themselves are accepted.
    assert!(stored(&env).is_empty());
    assert!(env.host.handler().deployed().is_empty());
    let edge = with(&|p| {
        p.cross_markets[0].max_spot_req = pct(120);
        p.cross_depeg_factor = w(3);
        p.portfolio.max_expiries = 30;
        p.portfolio.svi_max_total_variance = w(144);
        p.portfolio.vol_shock.dte_floor = 1;
    });
    env.set_params(&edge).unwrap();
    assert_eq!(stored(&env), encode_params(&edge));
}

#[test]
fn parameters_need_an_srm_set_per_listed_underlying() {
    let env = Env::bare();
    env.list_underlying(ETH, pct(90));
    env.list_underlying(BTC, pct(70));
    assert_eq!(
        env.set_params(&params(1)).unwrap_err(),
        invalid(ParamsError::TooFewSrmSets)
    );
    env.set_params(&params(2)).unwrap();
    assert_eq!(env.state().srm_sets(), 2);
}

/// Runs EVM init code with the handful of opcodes [`keel_vault_margin::DATA_INIT_PREFIX`]
/// uses; returns what it RETURNs.
fn run_init(code: &[u8]) -> Vec<u8> {
    let mut stack: Vec<usize> = Vec::new();
    let mut memory: Vec<u8> = Vec::new();
    let mut pc = 0;
    loop {
        let op = code[pc];
        pc += 1;
        match op {
            0x60 => {
                stack.push(code[pc] as usize);
                pc += 1;
            }
            0x80 => stack.push(*stack.last().unwrap()),
            0x91 => {
                let n = stack.len();
                stack.swap(n - 1, n - 3);
            }
            0x38 => stack.push(code.len()),
            0x03 => {
                let a = stack.pop().unwrap();
                let b = stack.pop().unwrap();
                stack.push(a - b);
            }
            0x39 => {
                let dest = stack.pop().unwrap();
                let offset = stack.pop().unwrap();
                let size = stack.pop().unwrap();
                if memory.len() < dest + size {
                    memory.resize(dest + size, 0);
                }
                memory[dest..dest + size].copy_from_slice(&code[offset..offset + size]);
            }
            0xf3 => {
                let offset = stack.pop().unwrap();
                let size = stack.pop().unwrap();
                return memory[offset..offset + size].to_vec();
            }
            other => panic!("unexpected opcode {other:#x} at {}", pc - 1),
        }
    }
}

#[test]
fn the_data_contract_init_code_returns_everything_after_itself() {
    let prefix = keel_vault_margin::DATA_INIT_PREFIX;
    for runtime in [
        vec![0x00],
        [vec![0x00], encode_params(&params(1))].concat(),
        [vec![0x00], vec![0xab; 5_000]].concat(),
    ] {
        let init = [prefix.to_vec(), runtime.clone()].concat();
        assert_eq!(run_init(&init), runtime);
    }
}

fn add_ons(floor: U256, slope: U256, confidence: U256) -> I::setHaircutAddOnsCall {
    I::setHaircutAddOnsCall {
        addOns: I::HaircutAddOns {
            volFloor: floor,
            volSlope: slope,
            confidenceSlope: confidence,
        },
    }
}

#[test]
fn haircut_add_ons_are_bounded_and_stored() {
    let env = Env::bare();
    let read = || env.call(ALICE, I::haircutAddOnsCall {}).unwrap();
    assert_eq!(read(), I::HaircutAddOns::default(), "zero until set");
    let (ten, one) = (u(w(10)), u(Wad::ONE));
    env.call(ADMIN, add_ons(ten, one, one)).unwrap();
    let expected = I::HaircutAddOns {
        volFloor: ten,
        volSlope: one,
        confidenceSlope: one,
    };
    assert_eq!(read(), expected);
    assert_eq!(
        env.events::<I::HaircutAddOnsSet>(),
        vec![I::HaircutAddOnsSet {
            addOns: expected.clone()
        }]
    );
    let above = |x: U256| x + U256::from(1);
    for (call, code) in [
        (add_ons(above(ten), one, one), 17),
        (add_ons(ten, above(one), one), 18),
        (add_ons(ten, one, above(one)), 19),
        (add_ons(U256::MAX, U256::ZERO, U256::ZERO), 17),
        (add_ons(U256::ZERO, U256::ZERO, U256::MAX), 19),
    ] {
        assert_eq!(env.fail(ADMIN, call), invalid_parameter(code));
    }
    assert_eq!(read(), expected, "unchanged by refused calls");
    let small = add_ons(u(pct(50)), u(pct(10)), u(pct(25)));
    env.call(ADMIN, small.clone()).unwrap();
    assert_eq!(read(), small.addOns);
}

#[test]
fn limits_are_bounded_and_stored() {
    let env = Env::bare();
    let read = || {
        let l = env.call(ALICE, I::limitsCall {}).unwrap();
        (l.maxPositions, l.maxExpiries)
    };
    assert_eq!(read(), (32, 8), "the defaults until set");
    let set = |p: u8, e: u8| {
        env.call(
            ADMIN,
            I::setLimitsCall {
                maxPositions: p,
                maxExpiries: e,
            },
        )
        .map(|_| ())
    };
    set(64, 30).unwrap();
    assert_eq!(read(), (64, 30));
    set(1, 1).unwrap();
    assert_eq!(read(), (1, 1));
    assert_eq!(
        env.events::<I::LimitsSet>(),
        vec![
            I::LimitsSet {
                maxPositions: 64,
                maxExpiries: 30
            },
            I::LimitsSet {
                maxPositions: 1,
                maxExpiries: 1
            }
        ]
    );
    for (p, e, code) in [(0, 8, 20), (161, 8, 20), (32, 0, 21), (32, 31, 21)] {
        assert_eq!(set(p, e).unwrap_err(), invalid_parameter(code), "{p} {e}");
    }
    assert_eq!(read(), (1, 1));
    // The SRM set count shares the word and survives.
    env.set_params(&params(2)).unwrap();
    set(10, 4).unwrap();
    assert_eq!((read(), env.state().srm_sets()), ((10, 4), 2));
}

#[test]
fn a_guarded_listing_needs_a_risk_cancelling_underlying() {
    let env = Env::bare();
    let asset = Address::repeat_byte(0x99);
    env.host.add_token(asset, 18, Kind::Standard);
    let params = listing(20, 10, Address::ZERO, true);
    assert_eq!(
        env.fail(ADMIN, I::listCollateralCall { asset, params }),
        invalid_parameter(16)
    );
    assert!(!env.call(ALICE, I::collateralCall { asset }).unwrap().listed);
    // Unguarded without an underlying, or guarded with one: listed.
    env.list(asset, listing(20, 10, Address::ZERO, false));
    env.list(asset, listing(20, 10, ETH, true));
    let c = env.call(ALICE, I::collateralCall { asset }).unwrap();
    assert!(c.listed && c.params.depegGuarded);
    assert_eq!(c.params.riskCancellingUnderlying, ETH);
}
