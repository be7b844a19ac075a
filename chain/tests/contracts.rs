//! Keel's real contracts, built for wasm32 and deployed as cargo-stylus would, run in the
//! host. The artifacts are built when missing (`keel_cli::contracts::artifact_dir`; under
//! `CI=true` CI's own build made them), as by:
//!
//! ```text
//! cargo build --profile contract --target wasm32-unknown-unknown \
//!     -p keel-risk-engine -p keel-cross-engine -p keel-oracle-adapter
//! ```

mod common;

#[path = "../../contracts/risk-engine/tests/common/fixtures.rs"]
mod fixtures;

use alloy_sol_types::{sol, SolCall};
use common::*;
use keel_chain::TestChain;
use keel_risk::model::portfolio::WorstCase;
use keel_risk::model::snapshot::{encode, evaluate, MarginMode, MarginSnapshot};
use keel_stylus_host::alloy_primitives::{keccak256, Address, I256, U256};

sol!(
    #[sol(all_derives)]
    "../abi/IRiskEngine.sol"
);

use IRiskEngine::marginCall;

/// Calls `margin(bytes)` on `engine` and checks the answer against keel-risk run natively;
/// returns (execution gas, ink).
fn check_margin(host: &mut TestChain, engine: Address, s: &MarginSnapshot) -> (u64, u64) {
    let calldata = marginCall {
        snapshot: encode(s).into(),
    }
    .abi_encode();
    let out = host.static_call(ALICE, engine, &calldata, TestChain::GAS_LIMIT);
    assert!(out.success, "{:?} {:?}", out.status, out.return_data);
    let r = marginCall::abi_decode_returns(&out.return_data).expect("margin returns");
    let native = evaluate(s).expect("native margin");
    let wad = |x: keel_risk::Wad| I256::try_from(x.raw()).unwrap();
    assert_eq!(r.im, wad(native.im));
    assert_eq!(r.mm, wad(native.mm));
    assert_eq!(r.mtm, wad(native.mtm));
    let worst = match native.worst {
        Some(WorstCase::Scenario(i)) => U256::from(i),
        _ => U256::MAX,
    };
    assert_eq!(r.worstScenario, worst);
    (out.execution_gas, out.ink_used)
}

#[test]
fn portfolio_engine_margins_exactly_as_keel_risk() {
    let code = contract_code("keel_risk_engine");
    let mut host = TestChain::new();
    let engine = host.deploy(&code).expect("the risk engine activates");
    for (name, s) in [
        ("straddle", fixtures::straddle(MarginMode::Portfolio)),
        ("multi", fixtures::multi(MarginMode::Portfolio)),
        ("underwater", fixtures::underwater(MarginMode::Portfolio)),
    ] {
        let (gas, ink) = check_margin(&mut host, engine, &s);
        println!("keel-risk-engine margin({name}): {gas} gas, {ink} ink");
        // Deterministic: the same snapshot costs the same.
        assert_eq!(check_margin(&mut host, engine, &s), (gas, ink));
    }
}

#[test]
fn cross_engine_margins_exactly_as_keel_risk() {
    let code = contract_code("keel_cross_engine");
    let mut host = TestChain::new();
    let engine = host.deploy(&code).expect("the cross engine activates");
    let mut cases = vec![
        fixtures::straddle(MarginMode::Cross),
        fixtures::multi(MarginMode::Cross),
    ];
    cases.extend(fixtures::isolated_cases());
    for s in &cases {
        let (gas, ink) = check_margin(&mut host, engine, s);
        println!(
            "keel-cross-engine margin({:?}): {gas} gas, {ink} ink",
            s.mode
        );
    }
}

#[test]
fn oracle_adapter_constructor_runs_once() {
    let code = contract_code("keel_oracle_adapter");
    let mut host = TestChain::new();
    let owner = addr(0x0e);
    let mut args = [0u8; 32];
    args[12..].copy_from_slice(owner.as_slice());
    let (adapter, out) = host
        .deploy_and_construct(&code, ALICE, &args, U256::ZERO)
        .expect("the adapter activates");
    assert!(out.success, "{:?} {:?}", out.status, out.return_data);
    let owner_call = keccak256("owner()")[..4].to_vec();
    let got = host.static_call(ALICE, adapter, &owner_call, TestChain::GAS_LIMIT);
    assert!(got.success);
    assert_eq!(&got.return_data[12..32], owner.as_slice());
    // The SDK's constructor guard refuses a second run, and the owner stays.
    let again = host.construct(ALICE, adapter, &[0u8; 32], U256::ZERO, TestChain::GAS_LIMIT);
    assert!(!again.success);
    let got = host.static_call(ALICE, adapter, &owner_call, TestChain::GAS_LIMIT);
    assert_eq!(&got.return_data[12..32], owner.as_slice());
    println!(
        "keel-oracle-adapter constructor: {} gas ({} ink in the program)",
        out.execution_gas, out.ink_used
    );
}

#[test]
fn every_built_contract_activates() {
    for name in [
        "keel_risk_engine",
        "keel_cross_engine",
        "keel_oracle_adapter",
        "keel_lst_depeg_guard",
        "keel_vault",
        "keel_vault_margin",
        "keel_vault_trading",
        "keel_vault_liquidation",
    ] {
        let code = contract_code(name);
        let mut host = TestChain::new();
        let at = host.deploy(&code).unwrap_or_else(|e| panic!("{name}: {e}"));
        let costs = host.program_costs(at).unwrap();
        println!(
            "{name}: deployable {} bytes, init {} gas, cached {} gas, footprint {} pages",
            code.len(),
            costs.init_gas(),
            costs.cached_gas(),
            costs.footprint
        );
    }
}
