//! Running test contracts as forge does: each deployed by forge's default sender on a copy of
//! the base chain, `setUp()` run once, then every `test…()` function in its own copy of the
//! chain after `setUp`, with the cheatcodes on. A test passes when its call returns and every
//! expectation it set was met.

use std::sync::Arc;
use std::time::Instant;

use alloy_dyn_abi::{DynSolValue, ErrorExt};
use alloy_json_abi::{Error as AbiError, Event};
use alloy_primitives::{address, Address, B256, U256};
use alloy_sol_types::SolError;
use keel_chain::{Outcome, TestChain};
use serde::Serialize;

use crate::artifacts::{BuildOutput, Compiled};
use crate::cheatcodes::{CheatState, Cheatcodes, Describe, VM_ADDRESS};

/// forge's default sender: deploys the test contracts and calls `setUp` and the tests.
pub const DEFAULT_SENDER: Address = address!("1804c8AB1F12E6bbf3894d4083f33e07309d1f38");
/// The gas every test call (and `setUp`, and the deployment) may use.
pub const TEST_GAS_LIMIT: u64 = 1_000_000_000;
/// The ETH a test contract holds, as under forge (2^96 − 1 wei).
const TEST_CONTRACT_BALANCE: u128 = (1u128 << 96) - 1;

/// Which tests to run.
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// Only test contracts whose name contains this.
    pub contract: Option<String>,
    /// Only test functions whose name contains this.
    pub test: Option<String>,
}

/// How a test ended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "status", content = "reason", rename_all = "lowercase")]
pub enum TestStatus {
    Pass,
    Fail(String),
    Skip(String),
}

/// One test's result.
#[derive(Clone, Debug, Serialize)]
pub struct TestResult {
    /// Its signature, e.g. `test_deposit()`.
    pub name: String,
    #[serde(flatten)]
    pub status: TestStatus,
    /// Gas its call used (after the intrinsic cost, before refunds).
    pub gas: u64,
}

/// One test contract's results.
#[derive(Clone, Debug, Serialize)]
pub struct SuiteResult {
    /// Its source file.
    pub source: String,
    /// Its name.
    pub contract: String,
    /// Its tests, in the order run.
    pub tests: Vec<TestResult>,
    /// Wall time.
    pub seconds: f64,
}

impl SuiteResult {
    /// How many tests passed, failed and were skipped.
    pub fn counts(&self) -> (usize, usize, usize) {
        let mut counts = (0, 0, 0);
        for test in &self.tests {
            match test.status {
                TestStatus::Pass => counts.0 += 1,
                TestStatus::Fail(_) => counts.1 += 1,
                TestStatus::Skip(_) => counts.2 += 1,
            }
        }
        counts
    }
}

/// Runs every test contract of `build` that `filter` selects on copies of `base`, reporting
/// each suite as it finishes.
pub fn run(
    base: &TestChain,
    build: &BuildOutput,
    filter: &Filter,
    mut on_suite: impl FnMut(&SuiteResult),
) -> Vec<SuiteResult> {
    let names = Arc::new(Names {
        errors: build.errors(),
        events: build.events(),
    });
    let mut base = base.fork();
    // Solidity checks a callee has code before calls without return values.
    base.set_code(VM_ADDRESS, vec![0x00]);
    base.set_balance(DEFAULT_SENDER, U256::from(u128::MAX));
    let mut block = base.block();
    block.gas_limit = block.gas_limit.max(TEST_GAS_LIMIT);
    base.set_block(block);
    let mut suites = Vec::new();
    for contract in build.test_contracts(filter.contract.as_deref()) {
        let suite = run_suite(&base, contract, filter, &names);
        on_suite(&suite);
        suites.push(suite);
    }
    suites
}

fn run_suite(
    base: &TestChain,
    contract: &Compiled,
    filter: &Filter,
    names: &Arc<Names>,
) -> SuiteResult {
    let errors = &names.errors;
    let describe: Arc<dyn Describe> = names.clone();
    let started = Instant::now();
    let tests: Vec<_> = contract
        .tests()
        .into_iter()
        .filter(|t| filter.test.as_deref().is_none_or(|m| t.name.contains(m)))
        .collect();
    let mut chain = base.fork();
    let cheats = Cheatcodes::new(CheatState::default(), describe.clone());
    chain.set_call_hook(Some(cheats.clone()));
    let setup = set_up(&mut chain, contract, &cheats, errors);
    let results = match setup {
        Err(reason) => tests
            .iter()
            .map(|t| TestResult {
                name: t.signature(),
                status: TestStatus::Fail(reason.clone()),
                gas: 0,
            })
            .collect(),
        Ok(address) => {
            let after_setup = cheats.state().clone();
            tests
                .iter()
                .map(|test| {
                    if !test.inputs.is_empty() {
                        return TestResult {
                            name: test.signature(),
                            status: TestStatus::Skip(
                                "takes arguments (fuzz tests are not run)".into(),
                            ),
                            gas: 0,
                        };
                    }
                    let mut fork = chain.fork();
                    let cheats = Cheatcodes::new(after_setup.clone(), describe.clone());
                    fork.set_call_hook(Some(cheats.clone()));
                    let outcome = fork.call(
                        DEFAULT_SENDER,
                        address,
                        test.selector().as_slice(),
                        U256::ZERO,
                        TEST_GAS_LIMIT,
                    );
                    let mut state = cheats.state();
                    let unmet = state.take_unmet();
                    let status = if !outcome.success {
                        TestStatus::Fail(failure(errors, &outcome, &state))
                    } else if !unmet.is_empty() {
                        TestStatus::Fail(unmet.join("; "))
                    } else {
                        TestStatus::Pass
                    };
                    TestResult {
                        name: test.signature(),
                        status,
                        gas: outcome.execution_gas,
                    }
                })
                .collect()
        }
    };
    SuiteResult {
        source: contract.source.clone(),
        contract: contract.name.clone(),
        tests: results,
        seconds: started.elapsed().as_secs_f64(),
    }
}

/// Deploys the test contract and runs its `setUp()`; the warp and roll it made carry over.
fn set_up(
    chain: &mut TestChain,
    contract: &Compiled,
    cheats: &Cheatcodes,
    errors: &[AbiError],
) -> Result<Address, String> {
    let (address, outcome) = chain.create(
        DEFAULT_SENDER,
        &contract.bytecode,
        U256::ZERO,
        TEST_GAS_LIMIT,
    );
    let Some(address) = address else {
        let reason = failure(errors, &outcome, &cheats.state());
        return Err(format!("the constructor failed: {reason}"));
    };
    chain.set_balance(address, U256::from(TEST_CONTRACT_BALANCE));
    if let Some(set_up) = contract.abi.function("setUp").and_then(|f| f.first()) {
        let outcome = chain.call(
            DEFAULT_SENDER,
            address,
            set_up.selector().as_slice(),
            U256::ZERO,
            TEST_GAS_LIMIT,
        );
        let mut state = cheats.state();
        let unmet = state.take_unmet();
        if !outcome.success {
            return Err(format!(
                "setUp() failed: {}",
                failure(errors, &outcome, &state)
            ));
        }
        if !unmet.is_empty() {
            return Err(format!("setUp() failed: {}", unmet.join("; ")));
        }
    }
    let state = cheats.state().clone();
    let mut block = chain.block();
    if let Some(timestamp) = state.warped {
        block.timestamp = timestamp;
    }
    if let Some(number) = state.rolled {
        block.number = number;
    }
    chain.set_block(block);
    Ok(address)
}

/// The project's errors and events, to name reverts and logs.
struct Names {
    errors: Vec<AbiError>,
    events: Vec<Event>,
}

impl Describe for Names {
    fn revert(&self, data: &[u8]) -> String {
        describe_revert(&self.errors, data, &CheatState::default())
    }

    fn event(&self, topic0: B256) -> String {
        match self.events.iter().find(|e| e.selector() == topic0) {
            Some(event) => event.signature(),
            None => format!("event {topic0}"),
        }
    }
}

/// Why a call failed, in words.
fn failure(errors: &[AbiError], outcome: &Outcome, state: &CheatState) -> String {
    if outcome.return_data.is_empty() {
        return match &outcome.status {
            keel_stylus_host::Status::Failure(reason) => format!("Stylus trap: {reason}"),
            keel_stylus_host::Status::OutOfGas => "EvmError: OutOfGas".to_string(),
            _ => "EvmError: Revert".to_string(),
        };
    }
    describe_revert(errors, &outcome.return_data, state)
}

/// Revert data as forge shows it: `Error(string)` as its message, `Panic(uint256)` by meaning,
/// a custom error by name with its arguments (labelled addresses by label).
pub fn describe_revert(errors: &[AbiError], data: &[u8], state: &CheatState) -> String {
    if data.is_empty() {
        return "EvmError: Revert".to_string();
    }
    if let Ok(revert) = alloy_sol_types::Revert::abi_decode(data) {
        return revert.reason;
    }
    if let Ok(panic) = alloy_sol_types::Panic::abi_decode(data) {
        let code = panic.code.saturating_to::<u64>();
        let meaning = match code {
            0x01 => "assertion failed",
            0x11 => "arithmetic underflow or overflow",
            0x12 => "division or modulo by zero",
            0x21 => "enum overflow",
            0x22 => "invalid storage byte array encoding",
            0x31 => "pop on an empty array",
            0x32 => "array out-of-bounds access",
            0x41 => "out of memory",
            0x51 => "call to a zero-initialised internal function",
            _ => "unknown panic",
        };
        return format!("panic: {meaning} (0x{code:02x})");
    }
    let selector = &data[..data.len().min(4)];
    for error in errors
        .iter()
        .filter(|e| e.selector().as_slice() == selector)
    {
        if let Ok(decoded) = error.decode_error(data) {
            let args: Vec<String> = decoded.body.iter().map(|v| value(v, state)).collect();
            return format!("{}({})", error.name, args.join(", "));
        }
    }
    if data.len() == 4 {
        return format!("custom error 0x{}", alloy_primitives::hex::encode(data));
    }
    format!(
        "custom error 0x{}: 0x{}",
        alloy_primitives::hex::encode(selector),
        alloy_primitives::hex::encode(&data[4..])
    )
}

fn value(v: &DynSolValue, state: &CheatState) -> String {
    match v {
        DynSolValue::Address(a) => match state.labels.get(a) {
            Some(label) => format!("{label}: [{a}]"),
            None => a.to_string(),
        },
        DynSolValue::Bool(b) => b.to_string(),
        DynSolValue::Int(i, _) => i.to_string(),
        DynSolValue::Uint(u, _) => u.to_string(),
        DynSolValue::FixedBytes(word, size) => {
            format!("0x{}", alloy_primitives::hex::encode(&word[..*size]))
        }
        DynSolValue::Bytes(b) => format!("0x{}", alloy_primitives::hex::encode(b)),
        DynSolValue::String(s) => format!("{s:?}"),
        DynSolValue::Array(items) | DynSolValue::FixedArray(items) => {
            let items: Vec<String> = items.iter().map(|i| value(i, state)).collect();
            format!("[{}]", items.join(", "))
        }
        DynSolValue::Tuple(items) => {
            let items: Vec<String> = items.iter().map(|i| value(i, state)).collect();
            format!("({})", items.join(", "))
        }
        other => format!("{other:?}"),
    }
}
