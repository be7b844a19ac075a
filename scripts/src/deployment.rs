//! `keel deploy`, `keel verify` and `keel faucet`: the artifacts checked as `keel artifact`
//! checks them and handed, byte for byte, to `keel-deploy`; keys from the command line, the
//! environment or an encrypted keystore.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, U256};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use anyhow::{anyhow, bail, Context, Result};
use keel_deploy::deploy::PROGRAMS;
use keel_deploy::{Artifacts, DeployConfig};

use crate::artifact::{check, deployable_code, deployed_module, init_code};

/// The Nitro dev node's funded key (also keel node's): the default on local chains.
pub const NITRO_DEV_KEY: &str =
    "0xb6b15c8cb491557369f3c7d2c287b053eb229daa9c22138887752191c9520659";

/// Where the deploying key comes from.
#[derive(Clone, Debug, Default, clap::Args)]
pub struct KeyArgs {
    /// The deploying account's private key (hex). Prefer KEEL_PRIVATE_KEY or --keystore: a
    /// key on the command line shows in process listings.
    #[arg(long, global = true, env = "KEEL_PRIVATE_KEY", hide_env_values = true)]
    pub private_key: Option<String>,
    /// An encrypted JSON keystore (its password from KEEL_KEYSTORE_PASSWORD, or asked for).
    #[arg(long, global = true, env = "KEEL_KEYSTORE", value_name = "FILE")]
    pub keystore: Option<PathBuf>,
}

impl KeyArgs {
    /// The signer; on a local chain (`local`) with no key given, the Nitro dev key.
    pub fn signer(&self, local: bool) -> Result<PrivateKeySigner> {
        if let Some(key) = &self.private_key {
            return key.trim().parse().map_err(|_| {
                anyhow!("--private-key / KEEL_PRIVATE_KEY: not a 32-byte hex private key")
            });
        }
        if let Some(path) = &self.keystore {
            let password = std::env::var("KEEL_KEYSTORE_PASSWORD")
                .map_err(|_| anyhow!("--keystore: set KEEL_KEYSTORE_PASSWORD to its password"))?;
            return PrivateKeySigner::decrypt_keystore(path, password)
                .map_err(|e| anyhow!("--keystore {}: {e}", path.display()));
        }
        if local {
            return Ok(NITRO_DEV_KEY.parse()?);
        }
        bail!("no key: give --private-key, KEEL_PRIVATE_KEY or --keystore")
    }
}

/// Keel's built programs, checked as `keel artifact` checks them (Nitro's rules, size), with
/// the Solidity stand-ins compiled when `solidity` is set.
pub fn artifacts(wasm_dir: &Path, solidity: bool, rfq_market: bool) -> Result<Artifacts> {
    let mut programs = BTreeMap::new();
    let mut init_codes = BTreeMap::new();
    for (_, file, _) in PROGRAMS {
        let path = wasm_dir.join(format!("{file}.wasm"));
        let wasm = std::fs::read(&path).with_context(|| {
            format!(
                "{}: build the contracts with `{}`",
                path.display(),
                crate::bench::BUILD_COMMAND
            )
        })?;
        let report = check(&format!("{file}.wasm"), &wasm);
        if !report.ok() {
            bail!("{}", report.line());
        }
        let deployable = deployable_code(&deployed_module(&wasm));
        let init = init_code(&deployable)
            .ok_or_else(|| anyhow!("{file}: code too large for init code"))?;
        programs.insert(file.to_string(), deployable);
        init_codes.insert(file.to_string(), init);
    }
    let mut sources: Vec<&str> = Vec::new();
    if solidity {
        sources.extend(crate::solidity::LOCAL_SOURCES);
    }
    if rfq_market {
        sources.push(crate::solidity::RFQ_MARKET);
    }
    let compiled = if sources.is_empty() {
        Default::default()
    } else {
        crate::solidity::compile(&crate::solidity::repo_root(), &sources)?
    };
    let code = |name: &str| compiled.get(name).map(|a| a.bytecode.clone());
    Ok(Artifacts {
        programs,
        init_codes,
        test_token: code("TestToken"),
        test_feed: code("TestFeed"),
        rfq_market: code("RfqMarket"),
    })
}

/// Whether `chain_id` is a local chain (keel node or a Nitro dev node).
pub fn is_local(chain_id: u64) -> bool {
    chain_id == keel_node::DEFAULT_CHAIN_ID || chain_id == 31337
}

/// Mints `amount` whole units of the local token `symbol` to `to`.
pub async fn faucet(
    rpc_url: &str,
    signer: &PrivateKeySigner,
    record: &keel_deploy::Record,
    symbol: &str,
    to: Address,
    amount: &str,
) -> Result<(U256, alloy::primitives::B256)> {
    let token = record
        .assets
        .get(symbol)
        .and_then(|a| a.token)
        .ok_or_else(|| {
            let known: Vec<&String> = record.assets.keys().collect();
            anyhow!("SYMBOL: `{symbol}` is not a local token of this deployment (known: {known:?})")
        })?;
    let provider = keel_deploy::deploy::connect(rpc_url, signer, record.chain_id).await?;
    let token_contract = keel_deploy::bindings::TestToken::new(token, provider.clone());
    let decimals = token_contract.decimals().call().await?;
    let units = keel_deploy::config::wad("AMOUNT", amount)?
        / U256::from(10u64).pow(U256::from(18 - decimals.min(18)));
    let call = keel_deploy::bindings::TestToken::mintCall { to, amount: units };
    let tx = TransactionRequest::default()
        .with_from(signer.address())
        .with_to(token)
        .with_input(call.abi_encode())
        .with_max_priority_fee_per_gas(0)
        .with_max_fee_per_gas(provider.get_gas_price().await?.saturating_mul(2));
    let tx = keel_deploy::deploy::with_gas_margin(&provider, tx)
        .await
        .map_err(|e| keel_deploy::errors::explain("mint", e))?;
    let receipt = provider
        .send_transaction(tx)
        .await
        .map_err(|e| keel_deploy::errors::explain("mint", e))?
        .get_receipt()
        .await?;
    if !receipt.status() {
        bail!("mint reverted: {}", receipt.transaction_hash);
    }
    Ok((units, receipt.transaction_hash))
}

/// Loads and checks a deployment file.
pub fn load_config(path: &Path) -> Result<DeployConfig> {
    DeployConfig::load(path)
}

/// Deploys Keel from `config` (a local deployment file) onto the local chain at `rpc_url` as
/// the Nitro dev key, quietly, recording into `record_dir`: what `keel forge-test`, `keel demo`
/// and the keeper's benchmark start from.
pub async fn deploy_local(
    rpc_url: &str,
    config: &DeployConfig,
    artifacts: &Artifacts,
    record_dir: &Path,
) -> Result<keel_deploy::Summary> {
    let options = keel_deploy::Options {
        rpc_url: rpc_url.to_string(),
        signer: NITRO_DEV_KEY.parse()?,
        config: config.clone(),
        record_dir: record_dir.to_path_buf(),
        dry_run: false,
        cache: false,
        plan_as: None,
    };
    let mut quiet = |_: keel_deploy::Progress<'_>| {};
    keel_deploy::deploy(options, artifacts, &mut quiet).await
}

/// Keel deployed from `config` (a local deployment file) on an in-process keel node, handed
/// back as a [`keel_chain::TestChain`] holding the node's state at its latest block, with the
/// deployment's record: where `keel forge-test` and `keel fuzz` run.
pub fn deployed_test_chain(
    config: &DeployConfig,
    artifacts: &Artifacts,
) -> Result<(keel_chain::TestChain, keel_deploy::Record)> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let scratch = std::env::temp_dir().join(format!(
        "keel-test-chain-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    let deployed = runtime.block_on(async {
        let node = keel_node::launch::launch(keel_node::launch::NodeConfig {
            port: 0,
            chain_id: config.chain_id,
            ..keel_node::launch::NodeConfig::default()
        })
        .await?;
        let url = format!("http://{}", node.addr);
        let summary = deploy_local(&url, config, artifacts, &scratch).await?;
        let chain = {
            let node = node.shared.node();
            let latest = node.chain.latest().header.clone();
            let block = keel_stylus_host::BlockEnv {
                number: latest.number,
                timestamp: latest.timestamp,
                chain_id: config.chain_id,
                ..keel_stylus_host::BlockEnv::default()
            };
            keel_chain::TestChain::from_state(
                node.chain.state(),
                block,
                keel_node::DEFAULT_ARBOS_VERSION,
            )
        };
        node.handle.stop().ok();
        anyhow::Ok((chain, summary.record))
    });
    let _ = std::fs::remove_dir_all(&scratch);
    deployed
}

/// [`deployed_test_chain`] from the local deployment file at `config_path` and the programs in
/// `wasm_dir` (default: the contract build's folder), for the harness `command` (named in the
/// error when the file is not a local one); `say` gets the progress line.
pub fn local_test_chain(
    config_path: &Path,
    wasm_dir: Option<&Path>,
    command: &str,
    say: &mut dyn FnMut(&str),
) -> Result<(keel_chain::TestChain, keel_deploy::Record)> {
    let config = load_config(config_path)?;
    if !config.has_local_sources() {
        bail!(
            "{}: {command} deploys Keel on its own chain and needs a local deployment file (\"local\" tokens and feeds), such as deploy/local.toml",
            config_path.display()
        );
    }
    let wasm_dir = wasm_dir.map_or_else(crate::contracts::default_artifact_dir, Path::to_path_buf);
    let artifacts = artifacts(&wasm_dir, true, config.rfq_market)?;
    say(&format!(
        "deploying Keel from {} on an in-process keel node…",
        config_path.display()
    ));
    deployed_test_chain(&config, &artifacts)
}
