//! `marginAllModes(id)` of the trading module, through the core, with the margin module
//! replaced by a stub that answers `margin(id)` and `snapshot(id, mode)` with bytes the test
//! chooses (and records every call), and the **real engine contracts** answering the static
//! calls to the engines (`keel-cross-engine` at [`CROSS`], `keel-risk-engine` at
//! [`PORTFOLIO`], run on the exact calldata the test expects, registered as per-call mocks: a
//! call with other bytes is answered with nothing). Checked: the three states against keel-risk
//! natively, the calls made, and every failure — the margin module's revert data, answers that
//! do not decode, unset engines, engine reverts, malformed engine answers, overflowing
//! requirements.
mod common;

#[path = "../../risk-engine/tests/common/fixtures.rs"]
mod fixtures;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use alloy_primitives::{keccak256, Address, I256, U256};
use common::*;
use keel_cross_engine::CrossEngine;
use keel_risk::model::snapshot::{
    encode, evaluate_cross, evaluate_portfolio, isolated_what_if, MarginMode, MarginOutcome,
    MarginSnapshot,
};
use keel_risk_engine::RiskEngine;
use stylus_sdk::abi::router_entrypoint;
use stylus_sdk::host::VM;
use stylus_sdk::testing::TestVM;

/// Where the engines answer (code set, mocked per call).
const CROSS: Address = Address::repeat_byte(0x7c);
const PORTFOLIO: Address = Address::repeat_byte(0x7d);

/// What the stub margin module answers, and the calls it received.
#[derive(Default)]
struct Stub {
    margin: Option<Result<Vec<u8>, Vec<u8>>>,
    snapshots: HashMap<u8, Result<Vec<u8>, Vec<u8>>>,
    calls: Vec<Vec<u8>>,
}

struct Fixture {
    env: Env,
    stub: Rc<RefCell<Stub>>,
}

/// The account's shared fields as the stub's `margin(id)` reports them.
fn own_state(mode: u8) -> I::MarginState {
    I::MarginState {
        mode,
        initialMargin: swad(7),
        maintenanceMargin: swad(9),
        markToMarket: swad(11),
        initialRequirement: swad(4),
        maintenanceRequirement: swad(2),
        worstScenario: U256::MAX,
        cash: iw(-1_234 * ONE / 10),
        unrealisedPnl: iw(56 * ONE + 7),
        positionCount: U256::from(6),
    }
}

/// `abi.encode(bytes)`: a `bytes` return.
fn bytes_return(b: &[u8]) -> Vec<u8> {
    I::snapshotCall::abi_encode_returns(&b.to_vec().into())
}

/// The calldata of `margin(bytes)` (or, with its selector, `isolatedWhatIf(bytes)`).
fn engine_call(signature: &str, snapshot: &[u8]) -> Vec<u8> {
    let mut data = keccak256(signature)[..4].to_vec();
    data.extend_from_slice(&I::snapshotCall::abi_encode_returns(
        &snapshot.to_vec().into(),
    ));
    data
}

fn run_cross(calldata: &[u8]) -> Result<Vec<u8>, Vec<u8>> {
    router_entrypoint::<CrossEngine, CrossEngine>(
        calldata.to_vec(),
        VM {
            host: Box::new(TestVM::default()),
        },
    )
}

fn run_portfolio(calldata: &[u8]) -> Result<Vec<u8>, Vec<u8>> {
    router_entrypoint::<RiskEngine, RiskEngine>(
        calldata.to_vec(),
        VM {
            host: Box::new(TestVM::default()),
        },
    )
}

impl Fixture {
    /// [`Env::new`] with the stub at `MARGIN`, the engines at [`CROSS`] and [`PORTFOLIO`], and
    /// the stub answering for `account` (cross snapshot `cross`, portfolio snapshot
    /// `portfolio`), the engines mocked for them.
    fn new(cross: &MarginSnapshot, portfolio: &MarginSnapshot) -> Fixture {
        let env = Env::new();
        let stub: Rc<RefCell<Stub>> = Rc::default();
        let answers = Rc::clone(&stub);
        env.host.handler().install(
            MARGIN,
            Rc::new(move |_: &ChainHost, calldata: &[u8]| {
                let mut s = answers.borrow_mut();
                s.calls.push(calldata.to_vec());
                if calldata.starts_with(&I::marginCall::SELECTOR) {
                    return s.margin.clone().unwrap_or(Err(Vec::new()));
                }
                let c = I::snapshotCall::abi_decode(calldata).map_err(|_| Vec::new())?;
                s.snapshots.get(&c.mode).cloned().unwrap_or(Err(Vec::new()))
            }),
        );
        for (mode, engine) in [(1u8, CROSS), (2, PORTFOLIO)] {
            env.host.vm().set_code(engine, vec![0xfe]);
            env.exec(OWNER, I::setEngineCall { mode, engine }).unwrap();
        }
        let f = Fixture { env, stub };
        f.answer(cross, portfolio);
        f
    }

    /// The stub answers with `cross` and `portfolio`, which the engines answer.
    fn answer(&self, cross: &MarginSnapshot, portfolio: &MarginSnapshot) {
        let (c, p) = (encode(cross), encode(portfolio));
        {
            let mut s = self.stub.borrow_mut();
            s.margin = Some(Ok(I::marginCall::abi_encode_returns(&own_state(1))));
            s.snapshots.insert(1, Ok(bytes_return(&c)));
            s.snapshots.insert(2, Ok(bytes_return(&p)));
        }
        for signature in ["margin(bytes)", "isolatedWhatIf(bytes)"] {
            let call = engine_call(signature, &c);
            let answer = run_cross(&call);
            self.env.host.mock_static_call(CROSS, call, answer);
        }
        let call = engine_call("margin(bytes)", &p);
        let answer = run_portfolio(&call);
        self.env.host.mock_static_call(PORTFOLIO, call, answer);
    }

    fn all_modes(&self, id: u64) -> Result<[I::MarginState; 3], Vec<u8>> {
        self.env
            .call(ALICE, I::marginAllModesCall { id: U256::from(id) })
            .map(|r| [r.isolated, r.cross, r.portfolio])
    }

    fn set_margin(&self, answer: Result<Vec<u8>, Vec<u8>>) {
        self.stub.borrow_mut().margin = Some(answer);
    }

    fn set_snapshot(&self, mode: u8, answer: Result<Vec<u8>, Vec<u8>>) {
        self.stub.borrow_mut().snapshots.insert(mode, answer);
    }

    fn calls(&self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.stub.borrow_mut().calls)
    }
}

/// The state keel-risk's outcome gives in `mode`, with the stub's shared fields.
fn expected(mode: u8, o: &MarginOutcome) -> I::MarginState {
    margin_state(mode, o, &own_state(1))
}

fn multi() -> (MarginSnapshot, MarginSnapshot) {
    (
        fixtures::multi(MarginMode::Cross),
        fixtures::multi(MarginMode::Portfolio),
    )
}

#[test]
fn the_states_are_the_engines_answers_for_the_margin_modules_snapshots() {
    let mut indexed = false;
    for (cross, portfolio) in [
        multi(),
        (
            fixtures::straddle(MarginMode::Cross),
            fixtures::straddle(MarginMode::Portfolio),
        ),
        (
            fixtures::underwater(MarginMode::Cross),
            fixtures::underwater(MarginMode::Portfolio),
        ),
    ] {
        let f = Fixture::new(&cross, &portfolio);
        let states = f.all_modes(1).unwrap();
        indexed |= states[2].worstScenario != U256::MAX;
        assert_eq!(
            states,
            [
                expected(0, &isolated_what_if(&cross).unwrap()),
                expected(1, &evaluate_cross(&cross).unwrap()),
                expected(2, &evaluate_portfolio(&portfolio).unwrap()),
            ]
        );
        // margin(1), snapshot(1, 1), snapshot(1, 2), in that order.
        let id = U256::from(1);
        assert_eq!(
            f.calls(),
            vec![
                I::marginCall { id }.abi_encode(),
                I::snapshotCall { id, mode: 1 }.abi_encode(),
                I::snapshotCall { id, mode: 2 }.abi_encode(),
            ]
        );
    }
    // Some account's portfolio worst case is a scenario, reported as its index.
    assert!(indexed);
}

#[test]
fn the_margin_modules_errors_pass_through() {
    let (cross, portfolio) = multi();
    let f = Fixture::new(&cross, &portfolio);
    let unknown = err(I::UnknownAccount { id: U256::from(9) });
    f.set_margin(Err(unknown.clone()));
    assert_eq!(f.all_modes(9), Err(unknown));
    f.set_margin(Ok(I::marginCall::abi_encode_returns(&own_state(1))));
    let no_params = err(I::RiskParamsNotSet {});
    f.set_snapshot(2, Err(no_params.clone()));
    assert_eq!(f.all_modes(1), Err(no_params));
    // No margin module installed.
    f.env.state().modules.setter(0).set(Address::ZERO);
    assert_eq!(f.all_modes(1), Err(err(I::ModuleNotSet { kind: 0 })));
}

#[test]
fn margin_module_answers_that_do_not_decode_revert_with_empty_data() {
    let (cross, portfolio) = multi();
    let f = Fixture::new(&cross, &portfolio);
    f.all_modes(1).unwrap();
    let good = I::marginCall::abi_encode_returns(&own_state(1));
    // margin(id): fewer than ten words.
    f.set_margin(Ok(good[..319].to_vec()));
    assert_eq!(f.all_modes(1), Err(Vec::new()));
    // Cash beyond a wad: WadOverflow, as everywhere a wad is read.
    let mut wide = good.clone();
    wide[7 * 32] = 0x01;
    f.set_margin(Ok(wide));
    assert_eq!(f.all_modes(1), Err(err(I::WadOverflow {})));
    // A position count beyond 64 bits.
    let mut wide = good.clone();
    wide[9 * 32 + 23] = 0x01;
    f.set_margin(Ok(wide));
    assert_eq!(f.all_modes(1), Err(Vec::new()));
    f.set_margin(Ok(good));
    f.all_modes(1).unwrap();

    let bytes = bytes_return(&encode(&cross));
    let mut cases = Vec::new();
    // Offset other than 32.
    let mut bad = bytes.clone();
    bad[31] = 64;
    cases.push(bad);
    // Length beyond the answer.
    let mut bad = bytes.clone();
    bad[62] = bad[62].wrapping_add(1);
    cases.push(bad);
    // Length beyond four bytes.
    let mut bad = bytes.clone();
    bad[40] = 1;
    cases.push(bad);
    // Cut inside the head, or nothing.
    cases.push(bytes[..40].to_vec());
    cases.push(Vec::new());
    for bad in cases {
        f.set_snapshot(1, Ok(bad.clone()));
        assert_eq!(f.all_modes(1), Err(Vec::new()), "{bad:?}");
    }
    // A length that stops short of the data: other bytes, which the engine was not asked
    // about (no mock: it answers nothing).
    let mut short = bytes.clone();
    short[63] = short[63].wrapping_sub(1);
    f.set_snapshot(1, Ok(short));
    assert_eq!(f.all_modes(1), Err(err(I::EngineFailed { mode: 1 })));
}

#[test]
fn engine_failures() {
    let (cross, portfolio) = multi();
    let f = Fixture::new(&cross, &portfolio);
    // Unset engines.
    for (mode, engine) in [(1u8, CROSS), (2, PORTFOLIO)] {
        f.env.state().engines.setter(mode).set(Address::ZERO);
        assert_eq!(f.all_modes(1), Err(err(I::EngineNotSet { mode })));
        f.env.state().engines.setter(mode).set(engine);
        f.all_modes(1).unwrap();
    }
    // An engine's revert passes through: the cross engine refuses the portfolio snapshot.
    let wrong = run_cross(&engine_call("margin(bytes)", &encode(&portfolio))).unwrap_err();
    assert_eq!(wrong[..4], keccak256("WrongMode(uint8)")[..4]);
    f.env.host.mock_static_call(
        CROSS,
        engine_call("margin(bytes)", &encode(&portfolio)),
        Err(wrong.clone()),
    );
    f.env.state().engines.setter(2).set(CROSS);
    assert_eq!(f.all_modes(1), Err(wrong));
    // The portfolio engine asked about what it was not mocked for: nothing back.
    f.env.state().engines.setter(2).set(PORTFOLIO);
    f.env.state().engines.setter(1).set(PORTFOLIO);
    assert_eq!(f.all_modes(1), Err(err(I::EngineFailed { mode: 1 })));
    f.env.state().engines.setter(1).set(CROSS);
    // Answers that are not four wad words: short, or a word beyond int128.
    let what_if = engine_call("isolatedWhatIf(bytes)", &encode(&cross));
    let good = run_cross(&what_if).unwrap();
    f.env
        .host
        .mock_static_call(CROSS, what_if.clone(), Ok(good[..127].to_vec()));
    assert_eq!(f.all_modes(1), Err(err(I::EngineFailed { mode: 1 })));
    let mut wide = good.clone();
    wide[32] ^= 0x01;
    f.env
        .host
        .mock_static_call(CROSS, what_if.clone(), Ok(wide));
    assert_eq!(f.all_modes(1), Err(err(I::EngineFailed { mode: 1 })));
    let p = engine_call("margin(bytes)", &encode(&portfolio));
    f.env.host.mock_static_call(CROSS, what_if, Ok(good));
    f.all_modes(1).unwrap();
    f.env.host.mock_static_call(PORTFOLIO, p, Ok(Vec::new()));
    assert_eq!(f.all_modes(1), Err(err(I::EngineFailed { mode: 2 })));
}

#[test]
fn requirements_beyond_a_wad_revert_with_wad_overflow() {
    let (cross, portfolio) = multi();
    let f = Fixture::new(&cross, &portfolio);
    let word = |x: i128| I256::try_from(x).unwrap().to_be_bytes::<32>();
    let answer = |im: i128, mm: i128, mtm: i128| {
        let mut out = Vec::new();
        for x in [im, mm, mtm] {
            out.extend_from_slice(&word(x));
        }
        out.extend_from_slice(&U256::MAX.to_be_bytes::<32>());
        out
    };
    let p = engine_call("margin(bytes)", &encode(&portfolio));
    // mtm − im just inside int128; then each requirement one past its edge.
    f.env.host.mock_static_call(
        PORTFOLIO,
        p.clone(),
        Ok(answer(-5, i128::MAX - 5, i128::MAX - 10)),
    );
    let [_, _, s] = f.all_modes(1).unwrap();
    assert_eq!(s.initialRequirement, iw(i128::MAX - 5));
    assert_eq!(s.maintenanceRequirement, iw(-5));
    f.env
        .host
        .mock_static_call(PORTFOLIO, p.clone(), Ok(answer(-1, 0, i128::MAX)));
    assert_eq!(f.all_modes(1), Err(err(I::WadOverflow {})));
    f.env
        .host
        .mock_static_call(PORTFOLIO, p, Ok(answer(0, 1, i128::MIN)));
    assert_eq!(f.all_modes(1), Err(err(I::WadOverflow {})));
}
