//! An alloy 2.x provider with a wallet driving keel node, as Keel's tools and users' scripts
//! do: deploying and activating a Stylus program, deploying Keel's oracle adapter through the
//! StylusDeployer and driving it with `#[sol(rpc)]` bindings generated from
//! `abi/IOracleAdapter.sol` (named errors decoded), reading logs, and following new blocks
//! over WebSocket (`eth_subscribe`).

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, U256};
use alloy::providers::{Provider, ProviderBuilder, WsConnect};
use alloy::rpc::types::{Filter, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol;
use alloy::sol_types::SolEvent;
use keel_node::launch::{launch, NodeConfig};

sol! {
    #[sol(rpc)]
    interface TestToken {
        function mint(address to, uint256 amount) external;
        function balanceOf(address account) external view returns (uint256);
        event Transfer(address indexed from, address indexed to, uint256 value);
    }

    #[sol(rpc)]
    interface ArbWasm {
        function activateProgram(address program) external payable returns (uint16 version, uint256 dataFee);
        function stylusVersion() external view returns (uint16 version);
    }
}

fn token_init_code() -> Vec<u8> {
    let dir = keel_cli::contracts::artifact_dir().expect("the test programs build");
    let wasm = std::fs::read(dir.join("keel_test_token.wasm")).expect("keel_test_token.wasm");
    let deployable =
        keel_cli::artifact::deployable_code(&keel_cli::artifact::deployed_module(&wasm));
    keel_cli::artifact::init_code(&deployable).expect("code fits PUSH2")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_alloy_wallet_deploys_activates_and_calls_a_stylus_program_and_follows_blocks() {
    let node = launch(NodeConfig {
        port: 0,
        ..NodeConfig::default()
    })
    .await
    .expect("the node starts");
    let signer: PrivateKeySigner = node.shared.node().signers()[1].clone();
    let me = signer.address();
    let http = format!("http://{}", node.addr);
    let provider = ProviderBuilder::new()
        .wallet(signer)
        .connect_http(http.parse().unwrap());
    assert_eq!(provider.get_chain_id().await.unwrap(), 412_346);

    let ws = ProviderBuilder::new()
        .connect_ws(WsConnect::new(format!("ws://{}", node.addr)))
        .await
        .expect("a WebSocket connection");
    let mut heads = ws.subscribe_blocks().await.expect("newHeads").into_stream();

    let deploy = TransactionRequest::default().with_deploy_code(token_init_code());
    let receipt = provider
        .send_transaction(deploy)
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let token: Address = receipt.contract_address.expect("a created program");

    use futures_util::StreamExt;
    let head = tokio::time::timeout(std::time::Duration::from_secs(10), heads.next())
        .await
        .expect("a new head within 10 s")
        .expect("a header");
    assert_eq!(Some(head.number), receipt.block_number);

    let arb_wasm = ArbWasm::new(keel_chain::arbos::ARB_WASM, &provider);
    assert_eq!(arb_wasm.stylusVersion().call().await.unwrap(), 2);
    let activated = arb_wasm
        .activateProgram(token)
        .value(U256::from(10u128.pow(18)))
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(activated.status());

    let token = TestToken::new(token, &provider);
    let minted = token
        .mint(me, U256::from(77))
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(minted.status());
    assert_eq!(token.balanceOf(me).call().await.unwrap(), U256::from(77));

    let filter = Filter::new()
        .address(*token.address())
        .event_signature(TestToken::Transfer::SIGNATURE_HASH)
        .from_block(0);
    let logs = provider.get_logs(&filter).await.unwrap();
    assert_eq!(logs.len(), 1);
    let transfer = logs[0].log_decode::<TestToken::Transfer>().unwrap();
    assert_eq!(
        (transfer.inner.to, transfer.inner.value),
        (me, U256::from(77))
    );
    let _ = node.handle.stop();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_block_time_transactions_wait_for_the_next_block_and_log_subscribers_hear_them() {
    use futures_util::StreamExt;
    let node = launch(NodeConfig {
        port: 0,
        block_time: Some(std::time::Duration::from_secs(2)),
        ..NodeConfig::default()
    })
    .await
    .expect("the node starts");
    let signer: PrivateKeySigner = node.shared.node().signers()[1].clone();
    let provider = ProviderBuilder::new()
        .wallet(signer)
        .connect_http(format!("http://{}", node.addr).parse().unwrap());
    let ws = ProviderBuilder::new()
        .connect_ws(WsConnect::new(format!("ws://{}", node.addr)))
        .await
        .expect("a WebSocket connection");
    let mut transfers = ws
        .subscribe_logs(&Filter::new().event_signature(TestToken::Transfer::SIGNATURE_HASH))
        .await
        .expect("a logs subscription")
        .into_stream();

    let pending = provider
        .send_transaction(TransactionRequest::default().with_deploy_code(token_init_code()))
        .await
        .unwrap();
    // Not mined until the block timer fires: the chain is still at genesis.
    assert_eq!(provider.get_block_number().await.unwrap(), 0);
    let receipt = pending.get_receipt().await.unwrap();
    assert!(receipt.block_number.unwrap() >= 1);
    let token = receipt.contract_address.unwrap();
    let activate = ArbWasm::new(keel_chain::arbos::ARB_WASM, &provider);
    activate
        .activateProgram(token)
        .value(U256::from(10u128.pow(18)))
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let to = Address::with_last_byte(9);
    TestToken::new(token, &provider)
        .mint(to, U256::from(5))
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let log = tokio::time::timeout(std::time::Duration::from_secs(10), transfers.next())
        .await
        .expect("a Transfer log within 10 s")
        .expect("a log");
    let transfer = log.log_decode::<TestToken::Transfer>().unwrap();
    assert_eq!((log.address(), transfer.inner.to), (token, to));
    let _ = node.handle.stop();
}

sol!(
    #[sol(rpc, all_derives)]
    "../abi/IOracleAdapter.sol"
);

sol! {
    /// Arbitrum's StylusDeployer, as cargo-stylus calls it.
    interface StylusDeployer {
        function deploy(bytes calldata bytecode, bytes calldata initData, uint256 initValue, bytes32 salt) external payable returns (address);
        event ContractDeployed(address deployedContract);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keels_own_bindings_drive_the_real_oracle_adapter_deployed_through_the_stylus_deployer() {
    let node = launch(NodeConfig {
        port: 0,
        ..NodeConfig::default()
    })
    .await
    .expect("the node starts");
    let owner: PrivateKeySigner = node.shared.node().signers()[2].clone();
    let stranger: PrivateKeySigner = node.shared.node().signers()[3].clone();
    let http: alloy::transports::http::reqwest::Url =
        format!("http://{}", node.addr).parse().unwrap();
    let provider = ProviderBuilder::new()
        .wallet(owner.clone())
        .connect_http(http.clone());

    // Deploy, activate and construct in one transaction, as `keel deploy` will.
    let dir = keel_cli::contracts::artifact_dir().expect("the contracts build");
    let wasm = std::fs::read(dir.join("keel_oracle_adapter.wasm")).expect("the adapter");
    let deployable =
        keel_cli::artifact::deployable_code(&keel_cli::artifact::deployed_module(&wasm));
    let init = keel_cli::artifact::init_code(&deployable).expect("code fits PUSH2");
    let mut constructor = keel_stylus_host::constructor_selector().to_vec();
    constructor.extend_from_slice(&alloy::sol_types::SolValue::abi_encode(&owner.address()));
    let deploy = StylusDeployer::deployCall {
        bytecode: init.into(),
        initData: constructor.into(),
        initValue: U256::ZERO,
        salt: Default::default(),
    };
    let request = TransactionRequest::default()
        .with_to(keel_chain::predeploys::STYLUS_DEPLOYER)
        .with_input(alloy::sol_types::SolCall::abi_encode(&deploy))
        .with_value(U256::from(10u128.pow(18)));
    let receipt = provider
        .send_transaction(request)
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status(), "{receipt:?}");
    let deployed = receipt
        .decoded_log::<StylusDeployer::ContractDeployed>()
        .expect("ContractDeployed")
        .deployedContract;

    // Calls and transactions through bindings generated from abi/IOracleAdapter.sol.
    let adapter = IOracleAdapter::new(deployed, &provider);
    assert_eq!(adapter.owner().call().await.unwrap(), owner.address());
    let feeder = Address::repeat_byte(0xfe);
    let set = adapter
        .setFeeder(feeder, true)
        .send()
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let event = set
        .decoded_log::<IOracleAdapter::FeederSet>()
        .expect("FeederSet");
    assert_eq!((event.feeder, event.allowed), (feeder, true));
    assert!(adapter.isFeeder(feeder).call().await.unwrap());
    let logs = provider
        .get_logs(
            &Filter::new()
                .address(deployed)
                .event_signature(IOracleAdapter::FeederSet::SIGNATURE_HASH)
                .from_block(0),
        )
        .await
        .unwrap();
    assert_eq!(logs.len(), 1);

    // A stranger's owner-only call: eth_estimateGas returns the revert data, which decodes
    // into the adapter's named error.
    let theirs = ProviderBuilder::new()
        .wallet(stranger.clone())
        .connect_http(http);
    let refused = IOracleAdapter::new(deployed, &theirs)
        .setFeeder(feeder, false)
        .send()
        .await
        .expect_err("only the owner sets feeders");
    let decoded = refused
        .as_decoded_interface_error::<IOracleAdapter::IOracleAdapterErrors>()
        .expect("a named IOracleAdapter error");
    assert!(
        matches!(decoded, IOracleAdapter::IOracleAdapterErrors::Unauthorized(ref e) if e.caller == stranger.address()),
        "{decoded:?}"
    );
    assert!(adapter.isFeeder(feeder).call().await.unwrap());
    let _ = node.handle.stop();
}
