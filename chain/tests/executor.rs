//! One chain, two runtimes: Stylus programs deployed by CREATE, activated through `ArbWasm`,
//! and called from and calling into EVM bytecode on revm's one journal.

use alloy_primitives::{address, keccak256, Address, Bytes, TxKind, U256};
use alloy_sol_types::{sol, SolCall, SolError, SolEvent};

use keel_chain::arbos::{ArbWasm, ARB_WASM, DATA_FEE_PER_BYTE};
use keel_chain::chain::Chain;
use revm::context::result::{ExecutionResult, Output};
use revm::context::TxEnv;

sol! {
    interface TestToken {
        function mint(address to, uint256 amount) external;
        function balanceOf(address account) external view returns (uint256);
        function transfer(address to, uint256 amount) external returns (bool);
        function setHook(address target, bytes data) external;
        function lastHookResult() external view returns (bool, bytes);
        function hookCalls() external view returns (uint256);
        event Transfer(address indexed from, address indexed to, uint256 value);
    }
}

const ALICE: Address = address!("00000000000000000000000000000000000a11ce");
const BOB: Address = address!("0000000000000000000000000000000000000b0b");

fn token_deployable() -> Vec<u8> {
    let dir = keel_cli::contracts::artifact_dir().expect("the test programs build");
    let wasm = std::fs::read(dir.join("keel_test_token.wasm")).expect("keel_test_token.wasm");
    keel_cli::artifact::deployable_code(&keel_cli::artifact::deployed_module(&wasm))
}

/// EVM init code that deploys `runtime` as the contract's code.
fn init_code(runtime: &[u8]) -> Vec<u8> {
    keel_cli::artifact::init_code(runtime).expect("code fits PUSH2")
}

/// EVM code that forwards its calldata to `target`, stores the call's success flag in slot 1,
/// then returns the call's return data, or reverts with it when `revert_after`.
fn forwarder(target: Address, revert_after: bool) -> Vec<u8> {
    // CALLDATASIZE PUSH0 PUSH0 CALLDATACOPY
    let mut code = vec![0x36, 0x5f, 0x5f, 0x37];
    // retSize retOffset argsSize argsOffset value
    code.extend_from_slice(&[0x5f, 0x5f, 0x36, 0x5f, 0x5f]);
    code.push(0x73); // PUSH20 target
    code.extend_from_slice(target.as_slice());
    code.extend_from_slice(&[0x5a, 0xf1]); // GAS CALL
    code.extend_from_slice(&[0x60, 0x01, 0x55]); // PUSH1 1 SSTORE
                                                 // RETURNDATASIZE PUSH0 PUSH0 RETURNDATACOPY RETURNDATASIZE PUSH0 RETURN|REVERT
    code.extend_from_slice(&[0x3d, 0x5f, 0x5f, 0x3e, 0x3d, 0x5f]);
    code.push(if revert_after { 0xfd } else { 0xf3 });
    code
}

/// EVM code that writes 1 to slot 0, then stops or reverts.
fn writer(revert: bool) -> Vec<u8> {
    let mut code = vec![0x60, 0x01, 0x5f, 0x55, 0x5f, 0x5f];
    code.push(if revert { 0xfd } else { 0xf3 });
    code
}

struct Harness {
    chain: Chain,
    nonces: std::collections::HashMap<Address, u64>,
}

impl Harness {
    fn new() -> Self {
        let mut chain = Chain::new(412_346, keel_chain::DEFAULT_ARBOS_VERSION);
        for who in [ALICE, BOB] {
            chain.set_balance(who, U256::from(10u128.pow(24)));
        }
        Harness {
            chain,
            nonces: Default::default(),
        }
    }

    fn send(&mut self, from: Address, to: TxKind, data: Vec<u8>, value: U256) -> ExecutionResult {
        let nonce = self.nonces.entry(from).or_default();
        let tx = TxEnv::builder()
            .caller(from)
            .kind(to)
            .data(Bytes::from(data))
            .value(value)
            .nonce(*nonce)
            .gas_limit(30_000_000)
            .gas_price(100_000_000)
            .chain_id(Some(412_346))
            .build()
            .expect("a well-formed transaction");
        let applied = self.chain.apply(tx, true).expect("a valid transaction");
        *nonce += 1;
        applied.result
    }

    fn create(&mut self, from: Address, init: Vec<u8>) -> Address {
        match self.send(from, TxKind::Create, init, U256::ZERO) {
            ExecutionResult::Success {
                output: Output::Create(_, Some(address)),
                ..
            } => address,
            other => panic!("creation failed: {other:?}"),
        }
    }

    fn call(&mut self, from: Address, to: Address, data: Vec<u8>) -> ExecutionResult {
        self.send(from, TxKind::Call(to), data, U256::ZERO)
    }

    fn view(&mut self, to: Address, data: Vec<u8>) -> Bytes {
        let tx = TxEnv::builder()
            .caller(BOB)
            .kind(TxKind::Call(to))
            .data(Bytes::from(data))
            .nonce(*self.nonces.entry(BOB).or_default())
            .gas_limit(30_000_000)
            .gas_price(100_000_000)
            .chain_id(Some(412_346))
            .build()
            .expect("a well-formed call");
        match self.chain.apply(tx, false).expect("a valid call").result {
            ExecutionResult::Success { output, .. } => output.into_data(),
            other => panic!("the view failed: {other:?}"),
        }
    }

    fn activate(&mut self, program: Address, value: U256) -> ExecutionResult {
        let data = ArbWasm::activateProgramCall { program }.abi_encode();
        self.send(ALICE, TxKind::Call(ARB_WASM), data, value)
    }

    fn balance_of(&mut self, token: Address, who: Address) -> U256 {
        let out = self.view(
            token,
            TestToken::balanceOfCall { account: who }.abi_encode(),
        );
        TestToken::balanceOfCall::abi_decode_returns(&out).expect("a balance")
    }
}

fn revert_data(result: &ExecutionResult) -> Bytes {
    match result {
        ExecutionResult::Revert { output, .. } => output.clone(),
        other => panic!("expected a revert, got {other:?}"),
    }
}

/// A token deployed by CREATE and activated with its data fee, `ALICE` holding 1,000.
fn deployed_token(h: &mut Harness) -> Address {
    let token = h.create(ALICE, init_code(&token_deployable()));
    let fee = U256::from(DATA_FEE_PER_BYTE) * U256::from(200_000u64);
    assert!(h.activate(token, fee).is_success());
    let mint = TestToken::mintCall {
        to: ALICE,
        amount: U256::from(1_000),
    };
    assert!(h.call(ALICE, token, mint.abi_encode()).is_success());
    token
}

#[test]
fn a_program_runs_only_once_activated_and_activation_charges_its_data_fee() {
    let mut h = Harness::new();
    let deployable = token_deployable();
    let token = h.create(ALICE, init_code(&deployable));
    let mint = TestToken::mintCall {
        to: ALICE,
        amount: U256::from(5),
    };

    let before = h.call(ALICE, token, mint.abi_encode());
    assert_eq!(
        revert_data(&before),
        Bytes::from(ArbWasm::ProgramNotActivated {}.abi_encode())
    );

    let wasm_size = keel_stylus_host::code::decompress(&deployable)
        .unwrap()
        .len();
    let want = U256::from(DATA_FEE_PER_BYTE) * U256::from(wasm_size);
    let short = h.activate(token, want - U256::from(1));
    let expected = ArbWasm::ProgramInsufficientValue {
        have: want - U256::from(1),
        want,
    };
    assert_eq!(revert_data(&short), Bytes::from(expected.abi_encode()));

    let paid = want * U256::from(2);
    let alice_before = h.chain.account(ALICE).unwrap().balance;
    let activated = h.activate(token, paid);
    let gas_used = activated.tx_gas_used();
    let ExecutionResult::Success { logs, output, .. } = &activated else {
        panic!("activation failed: {activated:?}");
    };
    let returned = ArbWasm::activateProgramCall::abi_decode_returns(output.data()).unwrap();
    assert_eq!((returned.version, returned.dataFee), (2, want));
    let event = ArbWasm::ProgramActivated::decode_log_data(&logs[0].data).unwrap();
    assert_eq!(event.codehash, keccak256(&deployable));
    assert_eq!(event.program, token);
    // Only the fee and the gas left Alice's balance: the excess came back.
    let gas_cost = U256::from(gas_used) * U256::from(100_000_000u64);
    let alice_after = h.chain.account(ALICE).unwrap().balance;
    assert_eq!(alice_before - alice_after, want + gas_cost);

    let again = h.activate(token, paid);
    assert_eq!(
        revert_data(&again),
        Bytes::from(ArbWasm::ProgramUpToDate {}.abi_encode())
    );

    assert!(h.call(ALICE, token, mint.abi_encode()).is_success());
    assert_eq!(h.balance_of(token, ALICE), U256::from(5));
}

#[test]
fn an_evm_caller_reverting_after_a_program_call_rolls_the_program_back() {
    let mut h = Harness::new();
    let token = deployed_token(&mut h);
    let keeps = h.create(ALICE, init_code(&forwarder(token, false)));
    let reverts = h.create(ALICE, init_code(&forwarder(token, true)));
    for forwarder in [keeps, reverts] {
        let fund = TestToken::transferCall {
            to: forwarder,
            amount: U256::from(100),
        };
        assert!(h.call(ALICE, token, fund.abi_encode()).is_success());
    }
    let pay_bob = TestToken::transferCall {
        to: BOB,
        amount: U256::from(30),
    }
    .abi_encode();

    let kept = h.call(ALICE, keeps, pay_bob.clone());
    let ExecutionResult::Success { logs, .. } = &kept else {
        panic!("the forwarded transfer failed: {kept:?}");
    };
    let transfer = TestToken::Transfer::decode_log_data(&logs[0].data).unwrap();
    assert_eq!(
        (logs[0].address, transfer.from, transfer.to),
        (token, keeps, BOB)
    );
    assert_eq!(h.balance_of(token, BOB), U256::from(30));
    assert_eq!(h.chain.storage(keeps, U256::from(1)), U256::from(1));

    let rolled_back = h.call(ALICE, reverts, pay_bob);
    assert!(matches!(rolled_back, ExecutionResult::Revert { .. }));
    assert_eq!(h.balance_of(token, BOB), U256::from(30));
    assert_eq!(h.balance_of(token, reverts), U256::from(100));
    assert_eq!(h.chain.storage(reverts, U256::from(1)), U256::ZERO);
}

#[test]
fn a_program_calling_back_into_evm_code_keeps_or_loses_the_callee_writes_with_its_outcome() {
    let mut h = Harness::new();
    let token = deployed_token(&mut h);
    let writes = h.create(ALICE, init_code(&writer(false)));
    let writes_then_reverts = h.create(ALICE, init_code(&writer(true)));
    let pay_bob = TestToken::transferCall {
        to: BOB,
        amount: U256::from(1),
    }
    .abi_encode();

    for (target, kept) in [(writes, true), (writes_then_reverts, false)] {
        let hook = TestToken::setHookCall {
            target,
            data: Bytes::new(),
        };
        assert!(h.call(ALICE, token, hook.abi_encode()).is_success());
        assert!(h.call(ALICE, token, pay_bob.clone()).is_success());
        let out = h.view(token, TestToken::lastHookResultCall {}.abi_encode());
        let (ok, _) = TestToken::lastHookResultCall::abi_decode_returns(&out)
            .map(|r| (r._0, r._1))
            .unwrap();
        assert_eq!(ok, kept);
        let written = h.chain.storage(target, U256::ZERO);
        assert_eq!(written, U256::from(u8::from(kept)));
    }
    assert_eq!(h.balance_of(token, BOB), U256::from(2));
    let calls = h.view(token, TestToken::hookCallsCall {}.abi_encode());
    assert_eq!(
        TestToken::hookCallsCall::abi_decode_returns(&calls).unwrap(),
        U256::from(2)
    );
}

#[test]
fn a_stylus_call_costs_the_same_gas_on_revm_as_on_the_embedded_host() {
    let mut node = Harness::new();
    let token = deployed_token(&mut node);
    let pay_bob = TestToken::transferCall {
        to: BOB,
        amount: U256::from(7),
    }
    .abi_encode();
    let on_node = node.call(ALICE, token, pay_bob.clone()).tx_gas_used();

    let mut host = keel_chain::TestChain::new();
    let address = host
        .deploy(&token_deployable())
        .expect("the token activates");
    let mint = TestToken::mintCall {
        to: ALICE,
        amount: U256::from(1_000),
    };
    assert!(
        host.call(ALICE, address, &mint.abi_encode(), U256::ZERO, 30_000_000)
            .success
    );
    let on_host = host.call(ALICE, address, &pay_bob, U256::ZERO, 30_000_000);
    assert!(on_host.success);
    assert_eq!(on_node, on_host.gas_used);
}

sol! {
    interface Token {
        function decimals() external view returns (uint8);
    }
}

fn constructor_data(decimals: u8) -> Vec<u8> {
    let mut data = keel_stylus_host::constructor_selector().to_vec();
    data.extend_from_slice(&U256::from(decimals).to_be_bytes::<32>());
    data
}

#[test]
fn the_stylus_deployer_deploys_activates_and_constructs_in_one_transaction_or_not_at_all() {
    use keel_chain::predeploys::{init_salt, StylusDeployer, STYLUS_DEPLOYER};
    let mut h = Harness::new();
    // The deployer takes init code, as cargo-stylus sends it.
    let program = token_deployable();
    let bytecode = init_code(&program);
    let salt = alloy_primitives::B256::repeat_byte(7);
    let init_data = constructor_data(6);
    let deploy = StylusDeployer::deployCall {
        bytecode: bytecode.clone().into(),
        initData: init_data.clone().into(),
        initValue: U256::ZERO,
        salt,
    };
    let paid = U256::from(10u128.pow(18));
    let alice_before = h.chain.balance(ALICE);
    let deployed = h.send(
        ALICE,
        TxKind::Call(STYLUS_DEPLOYER),
        deploy.abi_encode(),
        paid,
    );
    let gas = U256::from(deployed.tx_gas_used()) * U256::from(100_000_000u64);
    let ExecutionResult::Success { output, logs, .. } = &deployed else {
        panic!("deployment failed: {deployed:?}");
    };
    let token = StylusDeployer::deployCall::abi_decode_returns(output.data()).unwrap();
    let expected = STYLUS_DEPLOYER.create2(init_salt(salt, &init_data), keccak256(&bytecode));
    assert_eq!(token, expected);
    let announced = logs
        .iter()
        .find_map(|l| StylusDeployer::ContractDeployed::decode_log_data(&l.data).ok())
        .expect("ContractDeployed");
    assert_eq!(announced.deployedContract, token);
    // Constructed, active, and only the data fee kept.
    let decimals = h.view(token, Token::decimalsCall {}.abi_encode());
    assert_eq!(
        Token::decimalsCall::abi_decode_returns(&decimals).unwrap(),
        6
    );
    let wasm_size = keel_stylus_host::code::decompress(&program).unwrap().len();
    let fee = U256::from(DATA_FEE_PER_BYTE) * U256::from(wasm_size);
    assert_eq!(alice_before - h.chain.balance(ALICE), fee + gas);
    assert_eq!(h.chain.code(token), Bytes::from(program.clone()));

    // The same salt and data again: the address is taken; nothing happens, nothing is paid
    // but gas.
    let again = h.send(
        ALICE,
        TxKind::Call(STYLUS_DEPLOYER),
        deploy.abi_encode(),
        paid,
    );
    let error = StylusDeployer::ContractDeploymentError {
        bytecode: bytecode.clone().into(),
    };
    assert_eq!(revert_data(&again), Bytes::from(error.abi_encode()));

    // A constructor that reverts undoes the creation and the activation.
    let bad = StylusDeployer::deployCall {
        bytecode: bytecode.clone().into(),
        initData: keel_stylus_host::constructor_selector().to_vec().into(),
        initValue: U256::ZERO,
        salt: alloy_primitives::B256::repeat_byte(8),
    };
    let failed = h.send(ALICE, TxKind::Call(STYLUS_DEPLOYER), bad.abi_encode(), paid);
    let data = revert_data(&failed);
    assert_eq!(
        &data[..4],
        &StylusDeployer::ContractInitializationError::SELECTOR[..]
    );
    let would_be =
        STYLUS_DEPLOYER.create2(init_salt(bad.salt, &bad.initData), keccak256(&bytecode));
    assert!(h.chain.code(would_be).is_empty());
}

#[test]
fn multicall3_batches_calls_and_fails_only_where_not_allowed() {
    use keel_chain::predeploys::{Multicall3, MULTICALL3};
    let mut h = Harness::new();
    let token = deployed_token(&mut h);
    let balance_of = |who| Multicall3::Call3 {
        target: token,
        allowFailure: false,
        callData: TestToken::balanceOfCall { account: who }
            .abi_encode()
            .into(),
    };
    let bad = Multicall3::Call3 {
        target: token,
        allowFailure: true,
        callData: Bytes::from_static(&[1, 2, 3, 4]),
    };
    let batch = Multicall3::aggregate3Call {
        calls: vec![balance_of(ALICE), bad.clone(), balance_of(BOB)],
    };
    let out = h.view(MULTICALL3, batch.abi_encode());
    let results = Multicall3::aggregate3Call::abi_decode_returns(&out).unwrap();
    let balances: Vec<_> = results
        .iter()
        .map(|r| {
            (
                r.success,
                r.success.then(|| U256::from_be_slice(&r.returnData)),
            )
        })
        .collect();
    assert_eq!(
        balances,
        vec![
            (true, Some(U256::from(1_000))),
            (false, None),
            (true, Some(U256::ZERO))
        ]
    );
    let strict = Multicall3::aggregate3Call {
        calls: vec![Multicall3::Call3 {
            allowFailure: false,
            ..bad
        }],
    };
    let refused = h.send(
        BOB,
        TxKind::Call(MULTICALL3),
        strict.abi_encode(),
        U256::ZERO,
    );
    assert!(matches!(refused, ExecutionResult::Revert { .. }));
    assert!(!h.chain.code(MULTICALL3).is_empty());
}

#[test]
fn a_bid_at_the_cache_manager_caches_a_program_so_its_entry_costs_only_the_cached_gas() {
    use keel_chain::arbos::{ArbWasmCache, ARB_WASM_CACHE};
    use keel_chain::predeploys::{CacheManager, CACHE_MANAGER};
    let mut h = Harness::new();
    let token = deployed_token(&mut h);
    let costs = h.view(
        ARB_WASM,
        ArbWasm::programInitGasCall { program: token }.abi_encode(),
    );
    let costs = ArbWasm::programInitGasCall::abi_decode_returns(&costs).unwrap();
    let pay = |to: Address| {
        TestToken::transferCall {
            to,
            amount: U256::from(1),
        }
        .abi_encode()
    };
    let uncached = h.call(
        ALICE,
        token,
        pay(address!("00000000000000000000000000000000000c4401")),
    );
    assert!(uncached.is_success());

    let direct = h.call(
        ALICE,
        ARB_WASM_CACHE,
        ArbWasmCache::cacheProgramCall { addr: token }.abi_encode(),
    );
    assert!(
        matches!(direct, ExecutionResult::Revert { .. }),
        "only cache managers cache"
    );

    let bid = CacheManager::placeBidCall { program: token }.abi_encode();
    assert!(h
        .send(BOB, TxKind::Call(CACHE_MANAGER), bid.clone(), U256::from(1))
        .is_success());
    let is_cached = ArbWasmCache::codehashIsCachedCall {
        codehash: keccak256(h.chain.code(token)),
    };
    let answer = h.view(ARB_WASM_CACHE, is_cached.abi_encode());
    assert!(ArbWasmCache::codehashIsCachedCall::abi_decode_returns(&answer).unwrap());
    let again = h.send(BOB, TxKind::Call(CACHE_MANAGER), bid, U256::from(1));
    assert_eq!(
        &revert_data(&again)[..4],
        &CacheManager::AlreadyCached::SELECTOR[..]
    );

    let cached = h.call(
        ALICE,
        token,
        pay(address!("00000000000000000000000000000000000c4402")),
    );
    assert!(cached.is_success());
    assert_eq!(
        uncached.tx_gas_used() - cached.tx_gas_used(),
        costs.gas - costs.gasWhenCached
    );
}
