//! `keel deploy`: programs, local stand-ins, then wiring and configuration — each step reads
//! the chain first and sends only what is missing or differs, writing the record after every
//! step, so a rerun sends nothing and an interrupted run finishes.

use std::path::PathBuf;
use std::time::Instant;

use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::{keccak256, Address, Bytes, B256, I256, U256};
use alloy::providers::{DynProvider, Provider, ProviderBuilder};
use alloy::rpc::types::state::{AccountOverride, StateOverride};
use alloy::rpc::types::{TransactionReceipt, TransactionRequest};
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::{SolCall, SolValue};
use anyhow::{anyhow, bail, Context, Result};
use serde::Serialize;

use crate::bindings::{
    ArbWasm, ArbWasmCache, CacheManager, ILstDepegGuard, IMarginVault, IOracleAdapter, TestFeed,
    ARB_WASM, ARB_WASM_CACHE, STYLUS_DEPLOYER,
};
use crate::config::{wad, DeployConfig, Source, Who};
use crate::errors::explain;
use crate::record::{Deployed, LocalAsset, Record};

/// Keel's programs: role in the record, artifact (crate file) name, whether the constructor
/// takes the owner.
pub const PROGRAMS: [(&str, &str, bool); 8] = [
    ("vault", "keel_vault", true),
    ("marginModule", "keel_vault_margin", false),
    ("tradingModule", "keel_vault_trading", false),
    ("liquidationModule", "keel_vault_liquidation", false),
    ("portfolioEngine", "keel_risk_engine", false),
    ("crossEngine", "keel_cross_engine", false),
    ("oracleAdapter", "keel_oracle_adapter", true),
    ("depegGuard", "keel_lst_depeg_guard", true),
];

/// The bytes to deploy, as the CLI validated them.
#[derive(Clone, Debug)]
pub struct Artifacts {
    /// Deployable code (`0xEFF000` ‖ dictionary ‖ Brotli) by crate file name.
    pub programs: std::collections::BTreeMap<String, Vec<u8>>,
    /// EVM init code that returns the deployable code, by crate file name.
    pub init_codes: std::collections::BTreeMap<String, Vec<u8>>,
    /// Creation code of `solidity/TestToken.sol` and `TestFeed.sol` (local deployments).
    pub test_token: Option<Vec<u8>>,
    /// See [`Artifacts::test_token`].
    pub test_feed: Option<Vec<u8>>,
    /// Creation code of `market/src/RfqMarket.sol` (when the file deploys it).
    pub rfq_market: Option<Vec<u8>>,
}

/// How to run.
pub struct Options {
    /// JSON-RPC endpoint.
    pub rpc_url: String,
    /// The deploying account.
    pub signer: PrivateKeySigner,
    /// The checked deployment file.
    pub config: DeployConfig,
    /// Where `<chainId>.json` is written.
    pub record_dir: PathBuf,
    /// Print the plan and its estimated cost; send nothing.
    pub dry_run: bool,
    /// Bid to cache every program in ArbOS's cache manager.
    pub cache: bool,
    /// Plan as this account instead of the signer's (a dry run only: `keel verify` plans as
    /// the recorded deployer).
    pub plan_as: Option<Address>,
}

/// One step that sent (or, in a dry run, would send) a transaction.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Step {
    /// What it does.
    pub what: String,
    /// Its transaction (none in a dry run).
    pub transaction_hash: Option<B256>,
    /// Gas used (estimated in a dry run, when the chain can estimate it yet).
    pub gas: Option<u64>,
}

/// What a run did.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Summary {
    /// The chain.
    pub chain_id: u64,
    /// Transactions sent (0 on a rerun of a finished deployment).
    pub sent: usize,
    /// Their steps, in order.
    pub steps: Vec<Step>,
    /// Gas used by them.
    pub gas_used: u64,
    /// Wei paid: fees and activation data fees (in a dry run, the estimate of what it would
    /// cost: data fees and the gas the chain can estimate now).
    pub cost_wei: U256,
    /// Wall time.
    pub seconds: f64,
    /// The record written.
    pub record_path: PathBuf,
    /// The record.
    pub record: Record,
}

/// A provider with the deployer's wallet, checked to be on `chain_id`.
pub async fn connect(
    rpc_url: &str,
    signer: &PrivateKeySigner,
    chain_id: u64,
) -> Result<DynProvider> {
    let url = rpc_url
        .parse()
        .with_context(|| format!("--rpc-url: `{rpc_url}` is not a URL"))?;
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(signer.clone()))
        .connect_http(url)
        .erased();
    let actual = provider
        .get_chain_id()
        .await
        .with_context(|| format!("connecting to {rpc_url}"))?;
    if actual != chain_id {
        bail!("{rpc_url} is chain {actual}, but the deployment file is for chain {chain_id} (chain_id)");
    }
    Ok(provider)
}

/// The deployment under way.
struct Run<'a> {
    provider: DynProvider,
    me: Address,
    config: &'a DeployConfig,
    record: Record,
    record_path: PathBuf,
    dry_run: bool,
    max_fee: u128,
    steps: Vec<Step>,
    gas_used: u64,
    cost: U256,
    say: &'a mut dyn FnMut(Progress<'_>),
}

/// What [`deploy`] reports as it goes, for a progress display.
#[derive(Clone, Copy, Debug)]
pub enum Progress<'a> {
    /// A phase begins (`programs`, `cache`, `local tokens and feeds`, `market`, `configuration`).
    Phase(&'a str),
    /// A transaction is being sent and its receipt awaited (or estimated, in a dry run).
    Sending(&'a str),
    /// A finished step or a remark, as a line.
    Line(&'a str),
}

/// Deploys and configures Keel as `options.config` says; `say` hears progress.
pub async fn deploy(
    options: Options,
    artifacts: &Artifacts,
    say: &mut dyn FnMut(Progress<'_>),
) -> Result<Summary> {
    let started = Instant::now();
    let config = &options.config;
    let me = match options.plan_as {
        Some(account) if options.dry_run => account,
        _ => options.signer.address(),
    };
    let provider = connect(&options.rpc_url, &options.signer, config.chain_id).await?;
    check_artifacts(artifacts, config)?;
    let balance = provider.get_balance(me).await?;
    if balance.is_zero() && !options.dry_run {
        bail!(
            "the deploying account {me} holds no ETH on chain {}: fund it first",
            config.chain_id
        );
    }
    let record_path = Record::path(&options.record_dir, config.chain_id);
    let record = Record::load_or_new(&record_path, config.chain_id, me)?;
    if record.deployer != me && !record.contracts.is_empty() {
        bail!(
            "{} was deployed by {}; deploying as {me} would make a second Keel (use that key or another salt)",
            record_path.display(),
            record.deployer
        );
    }
    let gas_price = provider.get_gas_price().await?;
    let mut run = Run {
        provider,
        me,
        config,
        record,
        record_path: record_path.clone(),
        dry_run: options.dry_run,
        max_fee: gas_price.saturating_mul(2).max(1),
        steps: Vec::new(),
        gas_used: 0,
        cost: U256::ZERO,
        say,
    };
    run.check_existing_sources().await?;
    (run.say)(Progress::Phase("programs"));
    run.programs(artifacts).await?;
    if options.cache {
        (run.say)(Progress::Phase("cache"));
        run.cache_programs().await?;
    }
    if config.has_local_sources() {
        (run.say)(Progress::Phase("local tokens and feeds"));
    }
    run.local_sources(artifacts).await?;
    if config.rfq_market {
        (run.say)(Progress::Phase("market"));
    }
    run.rfq_market(artifacts).await?;
    (run.say)(Progress::Phase("configuration"));
    if !run.dry_run || run.all_deployed() {
        run.configure().await?;
    } else {
        (run.say)(Progress::Line(
            "(the configuration steps are planned once the contracts exist)",
        ));
    }
    if !run.dry_run {
        run.record.save(&run.record_path)?;
    }
    Ok(Summary {
        chain_id: config.chain_id,
        sent: if run.dry_run { 0 } else { run.steps.len() },
        steps: run.steps,
        gas_used: run.gas_used,
        cost_wei: run.cost,
        seconds: started.elapsed().as_secs_f64(),
        record_path,
        record: run.record,
    })
}

fn check_artifacts(artifacts: &Artifacts, config: &DeployConfig) -> Result<()> {
    for (_, file, _) in PROGRAMS {
        if !artifacts.programs.contains_key(file) || !artifacts.init_codes.contains_key(file) {
            bail!("{file}.wasm is missing: build the contracts first");
        }
    }
    let local_tokens = config.assets.values().any(|a| a.token == Source::Local);
    let local_feeds = config.oracle.sequencer_feed == Some(Source::Local)
        || config.assets.values().any(|a| a.feed == Source::Local);
    if local_tokens && artifacts.test_token.is_none()
        || local_feeds && artifacts.test_feed.is_none()
    {
        bail!("the file deploys local tokens or feeds, but solidity/ was not compiled");
    }
    Ok(())
}

/// `tx` with a gas limit a fifth above the chain's estimate. An estimate is the least gas that
/// succeeds in the block the node simulates; a transaction mined a second later can cost more
/// (e.g. funding accrued since the last update is written), and would then run out of gas.
pub async fn with_gas_margin(
    provider: &DynProvider,
    tx: TransactionRequest,
) -> std::result::Result<TransactionRequest, alloy::transports::TransportError> {
    let estimate = provider.estimate_gas(tx.clone()).await?;
    Ok(tx.with_gas_limit(estimate.saturating_add(estimate / 5)))
}

/// The CREATE2 address the StylusDeployer gives `init_code` with `salt` and `init_data`.
pub fn program_address(salt: B256, init_data: &[u8], init_code: &[u8]) -> Address {
    let mut preimage = salt.to_vec();
    preimage.extend_from_slice(init_data);
    STYLUS_DEPLOYER.create2(keccak256(preimage), keccak256(init_code))
}

/// The salt of program `role` under the file's namespace.
pub fn program_salt(namespace: &str, role: &str) -> B256 {
    keccak256(format!("keel/{namespace}/{role}"))
}

/// `stylus_constructor(address owner)`'s calldata (stylus-sdk's constructor selector).
pub fn constructor_data(owner: Address) -> Vec<u8> {
    let mut data = keccak256(b"stylus_constructor()")[..4].to_vec();
    data.extend_from_slice(&owner.abi_encode());
    data
}

impl Run<'_> {
    fn all_deployed(&self) -> bool {
        PROGRAMS
            .iter()
            .all(|(role, _, _)| self.record.contracts.contains_key(*role))
    }

    fn contract(&self, role: &str) -> Result<Address> {
        self.record.address(role)
    }

    /// Sends `tx` (or, in a dry run, estimates it), failing with the decoded revert.
    async fn send(
        &mut self,
        what: String,
        tx: TransactionRequest,
    ) -> Result<Option<TransactionReceipt>> {
        let tx = tx
            .with_from(self.me)
            .with_max_priority_fee_per_gas(0)
            .with_max_fee_per_gas(self.max_fee);
        if self.dry_run {
            // The estimate: gas at the current price (half the fee cap) plus the value sent
            // (activation data fees, bids).
            self.cost += tx.value.unwrap_or_default();
            let gas = self.provider.estimate_gas(tx).await.ok();
            if let Some(gas) = gas {
                self.cost += U256::from(gas) * U256::from(self.max_fee / 2);
            }
            let shown = gas.map_or("gas not yet estimable".to_string(), |g| format!("~{g} gas"));
            (self.say)(Progress::Line(&format!("would send: {what} ({shown})")));
            self.steps.push(Step {
                what,
                transaction_hash: None,
                gas,
            });
            return Ok(None);
        }
        (self.say)(Progress::Sending(&what));
        let tx = with_gas_margin(&self.provider, tx)
            .await
            .map_err(|e| explain(&what, e))?;
        let pending = self
            .provider
            .send_transaction(tx.clone())
            .await
            .map_err(|e| explain(&what, e))?;
        let receipt = pending
            .get_receipt()
            .await
            .with_context(|| format!("{what}: waiting for the receipt"))?;
        if !receipt.status() {
            bail!("{what}: transaction {} reverted", receipt.transaction_hash);
        }
        if self.record.deploy_block == 0 {
            self.record.deploy_block = receipt.block_number.unwrap_or_default();
        }
        self.gas_used += receipt.gas_used;
        let value = tx.value.unwrap_or_default();
        self.cost += U256::from(receipt.gas_used) * U256::from(receipt.effective_gas_price) + value;
        (self.say)(Progress::Line(&format!(
            "[{}] {what}: gas {}, tx {}",
            self.steps.len() + 1,
            receipt.gas_used,
            receipt.transaction_hash
        )));
        self.steps.push(Step {
            what,
            transaction_hash: Some(receipt.transaction_hash),
            gas: Some(receipt.gas_used),
        });
        Ok(Some(receipt))
    }

    /// Sends a call of `call` to `to` ([`Run::send`]).
    async fn call<C: SolCall>(&mut self, what: String, to: Address, call: C) -> Result<()> {
        let tx = TransactionRequest::default()
            .with_to(to)
            .with_input(call.abi_encode());
        self.send(what, tx).await.map(|_| ())
    }

    fn save(&self) -> Result<()> {
        if self.dry_run {
            return Ok(());
        }
        self.record.save(&self.record_path)
    }

    // ---- programs -------------------------------------------------------------------------

    async fn programs(&mut self, artifacts: &Artifacts) -> Result<()> {
        let arb_wasm = ArbWasm::new(ARB_WASM, self.provider.clone());
        for (role, file, owned) in PROGRAMS {
            let deployable = &artifacts.programs[file];
            let init_code = &artifacts.init_codes[file];
            let init_data = if owned {
                constructor_data(self.me)
            } else {
                Vec::new()
            };
            let salt = program_salt(&self.config.salt, role);
            let address = program_address(salt, &init_data, init_code);
            let code_hash = keccak256(deployable);
            let code = self.provider.get_code_at(address).await?;
            if !code.is_empty() {
                if keccak256(&code) != code_hash {
                    bail!("{role} at {address} holds other code than {file}.wasm: rebuild the same artifact, or deploy under another salt");
                }
                if !self.record.contracts.contains_key(role) {
                    self.record.contracts.insert(
                        role.to_string(),
                        Deployed {
                            address,
                            code_hash,
                            transaction_hash: B256::ZERO,
                        },
                    );
                    self.save()?;
                }
                continue;
            }
            let active = arb_wasm.codehashVersion(code_hash).call().await.is_ok();
            let fee = if active {
                U256::ZERO
            } else {
                self.data_fee(deployable).await?
            };
            // The activation fee plus a fifth: the StylusDeployer refunds what is not used.
            let value = fee + fee / U256::from(5);
            let call = crate::bindings::StylusDeployer::deployCall {
                bytecode: init_code.clone().into(),
                initData: init_data.into(),
                initValue: U256::ZERO,
                salt,
            };
            let tx = TransactionRequest::default()
                .with_to(STYLUS_DEPLOYER)
                .with_input(call.abi_encode())
                .with_value(value);
            let what = format!(
                "deploy {role} ({file}, {} bytes{})",
                deployable.len(),
                if active {
                    ", code already active".to_string()
                } else {
                    format!(", data fee {fee} wei")
                }
            );
            if let Some(receipt) = self.send(what, tx).await? {
                self.record.contracts.insert(
                    role.to_string(),
                    Deployed {
                        address,
                        code_hash,
                        transaction_hash: receipt.transaction_hash,
                    },
                );
                self.save()?;
            }
        }
        Ok(())
    }

    /// The activation data fee of `deployable`, as cargo-stylus estimates it: `activateProgram`
    /// called on a probe address given the code by a state override.
    async fn data_fee(&self, deployable: &[u8]) -> Result<U256> {
        let probe = Address::from_slice(&keccak256(deployable)[12..]);
        let plenty = U256::from(10u128.pow(24));
        let mut overrides = StateOverride::default();
        overrides.insert(
            probe,
            AccountOverride::default().with_code(Bytes::copy_from_slice(deployable)),
        );
        overrides.insert(self.me, AccountOverride::default().with_balance(plenty));
        let tx = TransactionRequest::default()
            .with_from(self.me)
            .with_to(ARB_WASM)
            .with_value(U256::from(10u128.pow(21)))
            .with_input(ArbWasm::activateProgramCall { program: probe }.abi_encode());
        let out = self
            .provider
            .call(tx)
            .overrides(overrides)
            .await
            .map_err(|e| explain("estimating the activation data fee", e))?;
        let decoded = ArbWasm::activateProgramCall::abi_decode_returns(&out)
            .context("activateProgram returned undecodable data")?;
        Ok(decoded.dataFee)
    }

    async fn cache_programs(&mut self) -> Result<()> {
        let cache = ArbWasmCache::new(ARB_WASM_CACHE, self.provider.clone());
        let managers = cache
            .allCacheManagers()
            .call()
            .await
            .context("reading ArbOS's cache managers")?;
        let Some(manager) = managers.first().copied() else {
            bail!("--cache: this chain has no cache manager");
        };
        let manager = CacheManager::new(manager, self.provider.clone());
        for (role, _, _) in PROGRAMS {
            let Some(deployed) = self.record.contracts.get(role).cloned() else {
                continue; // a dry run: not deployed yet
            };
            if cache.codehashIsCached(deployed.code_hash).call().await? {
                continue;
            }
            let bid: U256 = U256::from(manager.getMinBid(deployed.address).call().await?);
            let call = CacheManager::placeBidCall {
                program: deployed.address,
            };
            let tx = TransactionRequest::default()
                .with_to(*manager.address())
                .with_input(call.abi_encode())
                .with_value(bid);
            self.send(format!("cache {role} (bid {bid} wei)"), tx)
                .await?;
        }
        Ok(())
    }

    // ---- local stand-ins ------------------------------------------------------------------

    async fn local_sources(&mut self, artifacts: &Artifacts) -> Result<()> {
        let now = U256::from(
            self.provider
                .get_block(alloy::eips::BlockNumberOrTag::Latest.into())
                .await?
                .map_or(0, |b| b.header.timestamp),
        );
        for (symbol, asset) in self.config.assets.clone() {
            let known = self.record.assets.get(&symbol).cloned().unwrap_or_default();
            if asset.token == Source::Local && !self.exists(known.token).await? {
                let args = (symbol.clone(), symbol.clone(), U256::from(asset.decimals))
                    .abi_encode_params();
                let code = artifacts
                    .test_token
                    .as_ref()
                    .ok_or_else(|| anyhow!("solidity/ not compiled"))?;
                if let Some(address) = self
                    .create(
                        format!("deploy {symbol} (TestToken, {} decimals)", asset.decimals),
                        code,
                        &args,
                    )
                    .await?
                {
                    self.record.assets.entry(symbol.clone()).or_default().token = Some(address);
                    self.save()?;
                }
            }
            if asset.feed == Source::Local && !self.exists(known.feed).await? {
                let code = artifacts
                    .test_feed
                    .as_ref()
                    .ok_or_else(|| anyhow!("solidity/ not compiled"))?;
                let args = U256::from(8u8).abi_encode();
                if let Some(feed) = self
                    .create(
                        format!("deploy the {symbol}/USD feed (TestFeed, 8 decimals)"),
                        code,
                        &args,
                    )
                    .await?
                {
                    let price = wad(
                        &format!("assets.{symbol}.price"),
                        asset.price.as_deref().unwrap_or("0"),
                    )?;
                    let answer = I256::from_raw(price / U256::from(10u64.pow(10)));
                    let round = TestFeed::setRoundCall {
                        answer,
                        startedAt: now,
                        updatedAt: now,
                    };
                    self.call(
                        format!(
                            "{symbol}/USD feed: first answer {}",
                            asset.price.as_deref().unwrap_or("0")
                        ),
                        feed,
                        round,
                    )
                    .await?;
                    self.record.assets.entry(symbol.clone()).or_default().feed = Some(feed);
                    self.save()?;
                }
            }
        }
        for (symbol, asset) in self.config.assets.clone() {
            let Some(depeg) = &asset.depeg else { continue };
            let known = self.record.assets.get(&symbol).cloned().unwrap_or_default();
            let field = |f: &str| format!("assets.{symbol}.depeg.{f}");
            let wanted = [
                (
                    "rate",
                    depeg.rate_feed == Source::Local,
                    known.rate_feed,
                    depeg.rate.clone(),
                ),
                (
                    "market",
                    depeg.market_feed == Some(Source::Local),
                    known.market_feed,
                    depeg.market_price.clone(),
                ),
            ];
            for (kind, local, existing, first) in wanted {
                if !local || self.exists(existing).await? {
                    continue;
                }
                let code = artifacts
                    .test_feed
                    .as_ref()
                    .ok_or_else(|| anyhow!("solidity/ not compiled"))?;
                let what = format!("deploy the {symbol} {kind} feed (TestFeed, 18 decimals)");
                if let Some(feed) = self
                    .create(what, code, &U256::from(18u8).abi_encode())
                    .await?
                {
                    let answer = wad(&field(kind), first.as_deref().unwrap_or("0"))?;
                    let round = TestFeed::setRoundCall {
                        answer: I256::from_raw(answer),
                        startedAt: now,
                        updatedAt: now,
                    };
                    self.call(
                        format!(
                            "{symbol} {kind} feed: first answer {}",
                            first.as_deref().unwrap_or("0")
                        ),
                        feed,
                        round,
                    )
                    .await?;
                    let entry = self.record.assets.entry(symbol.clone()).or_default();
                    if kind == "rate" {
                        entry.rate_feed = Some(feed);
                    } else {
                        entry.market_feed = Some(feed);
                    }
                    self.save()?;
                }
            }
        }
        if self.config.oracle.sequencer_feed == Some(Source::Local)
            && !self.exists(self.record.sequencer_feed).await?
        {
            let code = artifacts
                .test_feed
                .as_ref()
                .ok_or_else(|| anyhow!("solidity/ not compiled"))?;
            if let Some(feed) = self
                .create(
                    "deploy the sequencer uptime feed (TestFeed)".into(),
                    code,
                    &U256::ZERO.abi_encode(),
                )
                .await?
            {
                let since = now.saturating_sub(U256::from(86_400u64));
                let up = TestFeed::setRoundCall {
                    answer: I256::ZERO,
                    startedAt: since,
                    updatedAt: since,
                };
                self.call("sequencer uptime feed: up".into(), feed, up)
                    .await?;
                self.record.sequencer_feed = Some(feed);
                self.save()?;
            }
        }
        Ok(())
    }

    /// Keel's reference RFQ market, bound to the vault.
    async fn rfq_market(&mut self, artifacts: &Artifacts) -> Result<()> {
        if !self.config.rfq_market {
            return Ok(());
        }
        let known = self.record.contracts.get("rfqMarket").map(|d| d.address);
        if self.exists(known).await? {
            return Ok(());
        }
        let Ok(vault) = self.contract("vault") else {
            return Ok(()); // a dry run before the vault exists
        };
        let code = artifacts
            .rfq_market
            .as_ref()
            .ok_or_else(|| anyhow!("rfq_market: market/src/RfqMarket.sol was not compiled"))?;
        let what = "deploy the RFQ market (market/src/RfqMarket.sol)".to_string();
        let tx = TransactionRequest::default()
            .with_deploy_code([code.as_slice(), &vault.abi_encode()].concat());
        if let Some(receipt) = self.send(what, tx).await? {
            let address = receipt
                .contract_address
                .ok_or_else(|| anyhow!("a creation without a contract address"))?;
            let code_hash = keccak256(self.provider.get_code_at(address).await?);
            self.record.contracts.insert(
                "rfqMarket".into(),
                Deployed {
                    address,
                    code_hash,
                    transaction_hash: receipt.transaction_hash,
                },
            );
            self.save()?;
        }
        Ok(())
    }

    async fn exists(&self, address: Option<Address>) -> Result<bool> {
        Ok(match address {
            Some(a) => !self.provider.get_code_at(a).await?.is_empty(),
            None => false,
        })
    }

    async fn create(&mut self, what: String, code: &[u8], args: &[u8]) -> Result<Option<Address>> {
        let tx = TransactionRequest::default().with_deploy_code([code, args].concat());
        self.send(what, tx)
            .await?
            .map(|r| {
                r.contract_address
                    .ok_or_else(|| anyhow!("a creation without a contract address"))
            })
            .transpose()
    }

    /// An asset's token address.
    fn token(&self, symbol: &str) -> Result<Address> {
        match self.config.assets[symbol].token {
            Source::At(a) => Ok(a),
            Source::Local => self
                .record
                .assets
                .get(symbol)
                .and_then(|a| a.token)
                .ok_or_else(|| anyhow!("{symbol}'s local token is not deployed")),
        }
    }

    fn feed(&self, symbol: &str) -> Result<Address> {
        match self.config.assets[symbol].feed {
            Source::At(a) => Ok(a),
            Source::Local => self
                .record
                .assets
                .get(symbol)
                .and_then(|a| a.feed)
                .ok_or_else(|| anyhow!("{symbol}'s local feed is not deployed")),
        }
    }

    fn sequencer_feed(&self) -> Result<Option<Address>> {
        match self.config.oracle.sequencer_feed {
            None => Ok(None),
            Some(Source::At(a)) => Ok(Some(a)),
            Some(Source::Local) => self
                .record
                .sequencer_feed
                .map(Some)
                .ok_or_else(|| anyhow!("the local sequencer feed is not deployed")),
        }
    }

    // ---- configuration --------------------------------------------------------------------

    async fn configure(&mut self) -> Result<()> {
        // Every asset's token and feed in the record, local or not, for the commands that
        // drive Keel.
        for symbol in self.config.assets.keys() {
            let entry = LocalAsset {
                token: Some(self.token(symbol)?),
                feed: Some(self.feed(symbol)?),
                ..self.record.assets.get(symbol).cloned().unwrap_or_default()
            };
            if self.record.assets.get(symbol) != Some(&entry) {
                self.record.assets.insert(symbol.clone(), entry);
                self.save()?;
            }
        }
        self.configure_oracle().await?;
        self.configure_guard().await?;
        self.configure_vault().await?;
        self.hand_over().await
    }

    /// Every existing token and feed the file names has code, and each token the decimals the
    /// file says — checked before anything is sent.
    async fn check_existing_sources(&self) -> Result<()> {
        for (symbol, asset) in &self.config.assets {
            for (what, source) in [("token", asset.token), ("feed", asset.feed)] {
                let Source::At(address) = source else {
                    continue;
                };
                if self.provider.get_code_at(address).await?.is_empty() {
                    bail!(
                        "assets.{symbol}.{what}: {address} holds no code on chain {}",
                        self.config.chain_id
                    );
                }
            }
            if let Source::At(token) = asset.token {
                let token = crate::bindings::TestToken::new(token, self.provider.clone());
                let decimals = token
                    .decimals()
                    .call()
                    .await
                    .with_context(|| format!("assets.{symbol}.token: decimals()"))?;
                if decimals != asset.decimals {
                    bail!(
                        "assets.{symbol}.decimals: the token has {decimals}, the file says {}",
                        asset.decimals
                    );
                }
            }
        }
        if let Some(Source::At(feed)) = self.config.oracle.sequencer_feed {
            if self.provider.get_code_at(feed).await?.is_empty() {
                bail!(
                    "oracle.sequencer_feed: {feed} holds no code on chain {}",
                    self.config.chain_id
                );
            }
        }
        Ok(())
    }

    async fn configure_oracle(&mut self) -> Result<()> {
        let address = self.contract("oracleAdapter")?;
        let adapter = IOracleAdapter::new(address, self.provider.clone());
        for (symbol, asset) in self.config.assets.clone() {
            let field = |f: &str| format!("assets.{symbol}.{f}");
            let want = IOracleAdapter::FeedConfig {
                primary: self.feed(&symbol)?,
                secondary: Address::ZERO,
                stalenessLimit: asset.heartbeat,
                secondaryStalenessLimit: 0,
                maxDeviation: wad(&field("max_deviation"), &asset.max_deviation)?,
                confidenceFloor: wad(&field("confidence_floor"), &asset.confidence_floor)?,
            };
            let token = self.token(&symbol)?;
            let have = adapter.assetConfig(token).call().await.ok();
            if have.as_ref().map(|h| &h.config) != Some(&want) {
                self.call(
                    format!("oracle: {symbol} on feed {}", want.primary),
                    address,
                    IOracleAdapter::setAssetCall {
                        asset: token,
                        config: want,
                    },
                )
                .await?;
            }
        }
        if let Some(feed) = self.sequencer_feed()? {
            if adapter.sequencerFeed().call().await? != feed {
                self.call(
                    format!("oracle: sequencer uptime feed {feed}"),
                    address,
                    IOracleAdapter::setSequencerFeedCall { feed },
                )
                .await?;
            }
        }
        let grace = self.config.oracle.grace_period;
        if adapter.gracePeriod().call().await? != grace {
            self.call(
                format!("oracle: grace period {grace} s"),
                address,
                IOracleAdapter::setGracePeriodCall { gracePeriod: grace },
            )
            .await?;
        }
        for feeder in self.config.oracle.feeders.clone() {
            let feeder = feeder.resolve(self.me);
            if !adapter.isFeeder(feeder).call().await? {
                self.call(
                    format!("oracle: feeder {feeder}"),
                    address,
                    IOracleAdapter::setFeederCall {
                        feeder,
                        allowed: true,
                    },
                )
                .await?;
            }
        }
        for (name, u) in self.config.underlyings.clone() {
            let field = |f: &str| format!("underlyings.{name}.expiry.{f}");
            let e = &u.expiry;
            let want = IOracleAdapter::ExpiryBounds {
                minVol: wad(&field("min_vol"), &e.min_vol)?,
                maxVol: wad(&field("max_vol"), &e.max_vol)?,
                forwardBand: wad(&field("forward_band"), &e.forward_band)?,
                maxRate: wad(&field("max_rate"), &e.max_rate)?,
                heartbeat: e.heartbeat,
                confidenceFloor: wad(&field("confidence_floor"), &e.confidence_floor)?,
            };
            let underlying = self.token(&u.asset)?;
            let have = adapter.expiryBounds(underlying).call().await.ok();
            if have.as_ref() != Some(&want) {
                self.call(
                    format!("oracle: {name} expiry bounds"),
                    address,
                    IOracleAdapter::setExpiryBoundsCall {
                        underlying,
                        bounds: want,
                    },
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn configure_vault(&mut self) -> Result<()> {
        let address = self.contract("vault")?;
        let vault = IMarginVault::new(address, self.provider.clone());
        for (kind, role) in [
            (0u8, "marginModule"),
            (1, "tradingModule"),
            (2, "liquidationModule"),
        ] {
            let module = self.contract(role)?;
            if vault.module(kind).call().await? != module {
                self.call(
                    format!("vault: {role} {module}"),
                    address,
                    IMarginVault::setModuleCall { kind, module },
                )
                .await?;
            }
        }
        let oracle = self.contract("oracleAdapter")?;
        if vault.oracleAdapter().call().await? != oracle {
            self.call(
                format!("vault: oracle adapter {oracle}"),
                address,
                IMarginVault::setOracleAdapterCall {
                    oracleAdapter: oracle,
                },
            )
            .await?;
        }
        let guard = self.contract("depegGuard")?;
        if vault.depegGuard().call().await? != guard {
            self.call(
                format!("vault: depeg guard {guard}"),
                address,
                IMarginVault::setDepegGuardCall { depegGuard: guard },
            )
            .await?;
        }
        let cross = self.contract("crossEngine")?;
        let portfolio = self.contract("portfolioEngine")?;
        for (mode, engine) in [(0u8, cross), (1, cross), (2, portfolio)] {
            if vault.engine(mode).call().await? != engine {
                self.call(
                    format!("vault: engine of mode {mode} {engine}"),
                    address,
                    IMarginVault::setEngineCall { mode, engine },
                )
                .await?;
            }
        }
        let params = keel_risk::model::snapshot::encode_params(&self.config.risk_params());
        if vault.riskParams().call().await?.as_ref() != params.as_slice() {
            self.as_risk_admin(address).await?;
            self.call(
                "vault: risk parameters (keel-default)".into(),
                address,
                IMarginVault::setRiskParamsCall {
                    params: params.into(),
                },
            )
            .await?;
        }
        let (max_positions, max_expiries) = (
            self.config.risk.max_positions,
            self.config.risk.max_expiries,
        );
        let limits = vault.limits().call().await?;
        if (limits.maxPositions, limits.maxExpiries) != (max_positions, max_expiries) {
            self.as_risk_admin(address).await?;
            self.call(
                format!("vault: limits {max_positions} positions, {max_expiries} expiries"),
                address,
                IMarginVault::setLimitsCall {
                    maxPositions: max_positions,
                    maxExpiries: max_expiries,
                },
            )
            .await?;
        }
        let l = &self.config.liquidation;
        let want = IMarginVault::LiquidationParams {
            startDiscount: wad("liquidation.start_discount", &l.start_discount)?,
            endDiscount: wad("liquidation.end_discount", &l.end_discount)?,
            duration: l.duration,
            buffer: wad("liquidation.buffer", &l.buffer)?,
        };
        if vault.liquidationParams().call().await? != want {
            self.as_risk_admin(address).await?;
            self.call(
                "vault: liquidation parameters".into(),
                address,
                IMarginVault::setLiquidationParamsCall { params: want },
            )
            .await?;
        }
        if let Some(h) = self.config.haircut_add_ons.clone() {
            let want = IMarginVault::HaircutAddOns {
                volFloor: wad("haircut_add_ons.vol_floor", &h.vol_floor)?,
                volSlope: wad("haircut_add_ons.vol_slope", &h.vol_slope)?,
                confidenceSlope: wad("haircut_add_ons.confidence_slope", &h.confidence_slope)?,
            };
            if vault.haircutAddOns().call().await? != want {
                self.as_risk_admin(address).await?;
                self.call(
                    "vault: haircut add-ons".into(),
                    address,
                    IMarginVault::setHaircutAddOnsCall { addOns: want },
                )
                .await?;
            }
        }
        let listed = vault.underlyings().call().await?;
        for (name, u) in self.config.underlyings.clone() {
            let asset = self.token(&u.asset)?;
            if !listed.contains(&asset) {
                let stress_vol = wad(&format!("underlyings.{name}.stress_vol"), &u.stress_vol)?;
                self.as_risk_admin(address).await?;
                self.call(
                    format!("vault: underlying {name} ({asset})"),
                    address,
                    IMarginVault::listUnderlyingCall {
                        asset,
                        stressVol: stress_vol,
                    },
                )
                .await?;
            }
        }
        for (symbol, asset) in self.config.assets.clone() {
            let Some(c) = &asset.collateral else { continue };
            let field = |f: &str| format!("assets.{symbol}.collateral.{f}");
            let token = self.token(&symbol)?;
            let cancelling = match &c.risk_cancelling {
                Some(u) => self.token(&self.config.underlyings[u].asset)?,
                None => Address::ZERO,
            };
            let want = IMarginVault::CollateralParams {
                imHaircut: wad(&field("im_haircut"), &c.im_haircut)?,
                mmHaircut: wad(&field("mm_haircut"), &c.mm_haircut)?,
                assetCap: wad(&field("asset_cap"), &c.asset_cap)?,
                accountCap: wad(&field("account_cap"), &c.account_cap)?,
                riskCancellingUnderlying: cancelling,
                depegGuarded: c.depeg_guarded,
            };
            let have = vault.collateral(token).call().await?;
            if !have.listed || have.params != want {
                self.as_risk_admin(address).await?;
                self.call(
                    format!("vault: list {symbol} as collateral"),
                    address,
                    IMarginVault::listCollateralCall {
                        asset: token,
                        params: want,
                    },
                )
                .await?;
            }
        }
        let settlement = self.token(&self.config.settlement_asset)?;
        let current = vault.settlementAsset().call().await?;
        if current.is_zero() {
            self.call(
                format!("vault: settlement asset {}", self.config.settlement_asset),
                address,
                IMarginVault::setSettlementAssetCall { asset: settlement },
            )
            .await?;
        } else if current != settlement {
            bail!("settlement_asset: the vault settles in {current} already, which cannot change");
        }
        let mut markets = self.config.markets.clone();
        if self.config.rfq_market {
            markets.push(self.contract("rfqMarket")?);
        }
        for market in markets {
            if !vault.isMarket(market).call().await? {
                self.call(
                    format!("vault: authorise market {market}"),
                    address,
                    IMarginVault::setMarketCall {
                        market,
                        authorised: true,
                    },
                )
                .await?;
            }
        }
        Ok(())
    }

    /// The LST depeg guard's sources for every asset that has them.
    async fn configure_guard(&mut self) -> Result<()> {
        use crate::bindings::ILstDepegGuard::{self as G, FundamentalSource, MarketQuote};
        let address = self.contract("depegGuard")?;
        let guard = G::new(address, self.provider.clone());
        let now = self
            .provider
            .get_block(alloy::eips::BlockNumberOrTag::Latest.into())
            .await?
            .map_or(0, |b| b.header.timestamp);
        for (symbol, asset) in self.config.assets.clone() {
            let Some(d) = &asset.depeg else { continue };
            let field = |f: &str| format!("assets.{symbol}.depeg.{f}");
            let token = self.token(&symbol)?;
            let known = self.record.assets.get(&symbol).cloned().unwrap_or_default();
            let rate_feed = match d.rate_feed {
                Source::At(a) => a,
                Source::Local => known
                    .rate_feed
                    .ok_or_else(|| anyhow!("{}: not deployed", field("rate_feed")))?,
            };
            let market_feed = match d.market_feed {
                None => Address::ZERO,
                Some(Source::At(a)) => a,
                Some(Source::Local) => known
                    .market_feed
                    .ok_or_else(|| anyhow!("{}: not deployed", field("market_feed")))?,
            };
            let quote = if d.market_quote == "asset" {
                MarketQuote::Asset
            } else {
                MarketQuote::UnderlyingToken
            };
            let have = guard.assetConfig(token).call().await?;
            if have.sourceKind != FundamentalSource::RateFeed
                || have.source != rate_feed
                || have.sourceMaxAge != d.rate_max_age
            {
                self.call(
                    format!("depeg guard: {symbol} rate feed {rate_feed}"),
                    address,
                    G::setRateFeedCall {
                        asset: token,
                        feed: rate_feed,
                        maxAge: d.rate_max_age,
                    },
                )
                .await?;
            }
            let ratio = wad(&field("capo_ratio"), &d.capo_ratio)?;
            let growth = wad(&field("capo_max_yearly_growth"), &d.capo_max_yearly_growth)?;
            if have.snapshotRatio != ratio || have.maxYearlyGrowth != growth {
                let call = G::setCapoSnapshotCall {
                    asset: token,
                    ratio,
                    timestamp: now,
                    maxYearlyGrowth: growth,
                };
                self.call(
                    format!("depeg guard: {symbol} CAPO snapshot {}", d.capo_ratio),
                    address,
                    call,
                )
                .await?;
            }
            let market_matches = have.marketFeed == market_feed
                && (market_feed.is_zero()
                    || (have.marketMaxAge == d.market_max_age && have.marketQuote == quote));
            if !market_matches {
                let call = G::setMarketFeedCall {
                    asset: token,
                    feed: market_feed,
                    maxAge: d.market_max_age,
                    quote,
                };
                self.call(
                    format!("depeg guard: {symbol} market feed {market_feed}"),
                    address,
                    call,
                )
                .await?;
            }
            let slope = wad(&field("add_on_slope"), &d.add_on_slope)?;
            let defaults = d.warning_bps == 0 && d.depegged_bps == 0 && slope.is_zero();
            if !defaults
                && (have.warningBps, have.depeggedBps, have.addOnSlope)
                    != (d.warning_bps, d.depegged_bps, slope)
            {
                let call = G::setDepegParamsCall {
                    asset: token,
                    warningBps: d.warning_bps,
                    depeggedBps: d.depegged_bps,
                    addOnSlope: slope,
                };
                self.call(format!("depeg guard: {symbol} thresholds"), address, call)
                    .await?;
            }
        }
        Ok(())
    }

    /// Makes the deployer the vault's risk admin, if it is not, before a risk admin's setter
    /// (the role goes to whom the file names last, in [`Run::hand_over`]).
    async fn as_risk_admin(&mut self, vault: Address) -> Result<()> {
        let current = IMarginVault::new(vault, self.provider.clone())
            .riskAdmin()
            .call()
            .await?;
        if current != self.me {
            self.call(
                format!("vault: risk admin {} while configuring", self.me),
                vault,
                IMarginVault::setRiskAdminCall { riskAdmin: self.me },
            )
            .await?;
        }
        Ok(())
    }

    /// Roles last: risk admin and guardian as the file says, then ownership offered to the
    /// final owner.
    async fn hand_over(&mut self) -> Result<()> {
        let address = self.contract("vault")?;
        let vault = IMarginVault::new(address, self.provider.clone());
        let risk_admin = self.config.roles.risk_admin.resolve(self.me);
        if vault.riskAdmin().call().await? != risk_admin {
            self.call(
                format!("vault: risk admin {risk_admin}"),
                address,
                IMarginVault::setRiskAdminCall {
                    riskAdmin: risk_admin,
                },
            )
            .await?;
        }
        let guardian = self.config.roles.guardian.resolve(self.me);
        if vault.guardian().call().await? != guardian {
            self.call(
                format!("vault: guardian {guardian}"),
                address,
                IMarginVault::setGuardianCall { guardian },
            )
            .await?;
        }
        let Some(final_owner) = self.config.roles.final_owner.map(|w| w.resolve(self.me)) else {
            return Ok(());
        };
        if final_owner == self.me {
            return Ok(());
        }
        let oracle = self.contract("oracleAdapter")?;
        let guard = self.contract("depegGuard")?;
        let adapter = IOracleAdapter::new(oracle, self.provider.clone());
        let depeg = ILstDepegGuard::new(guard, self.provider.clone());
        let owners = [
            (
                "vault",
                address,
                vault.owner().call().await?,
                vault.pendingOwner().call().await?,
            ),
            (
                "oracle adapter",
                oracle,
                adapter.owner().call().await?,
                adapter.pendingOwner().call().await?,
            ),
            (
                "depeg guard",
                guard,
                depeg.owner().call().await?,
                depeg.pendingOwner().call().await?,
            ),
        ];
        for (name, at, owner, pending) in owners {
            if owner != final_owner && pending != final_owner {
                self.call(
                    format!("{name}: offer ownership to {final_owner}"),
                    at,
                    IMarginVault::transferOwnershipCall {
                        newOwner: final_owner,
                    },
                )
                .await?;
            }
        }
        Ok(())
    }
}

/// Who a [`Who`] is, given the deployer (for callers outside this module).
pub fn resolve(who: Who, deployer: Address) -> Address {
    who.resolve(deployer)
}
