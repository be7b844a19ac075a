//! One keeper round: scan for new accounts, margin every tracked account natively, start the
//! auction of each one below maintenance margin, bid where the discount pays for the gas and
//! the configured profit, and end the auctions of accounts that recovered. Nothing is sent in a
//! dry run or while the kill-switch file exists; every action is logged as a JSON line.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, I256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolCall;
use anyhow::{anyhow, Context, Result};
use keel_deploy::bindings::{IMarginVault, IOracleAdapter};
use keel_deploy::errors::explain;
use keel_deploy::Record;
use keel_risk::liquidation::{Params, WAD};
use serde::Serialize;

use crate::bidding::{plan, BidPlan};
use crate::config::{KeeperConfig, Limits};
use crate::evaluate::{read_accounts, Reading};
use crate::metrics::Metrics;
use crate::store::{KeeperState, Store};

/// What a round did.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoundReport {
    /// The block the round read.
    pub block: u64,
    /// Accounts tracked.
    pub accounts: usize,
    /// Accounts below maintenance margin, most negative surplus first.
    pub below_maintenance: Vec<U256>,
    /// Auctions started (or, in a dry run, that would be).
    pub auctions_started: Vec<U256>,
    /// Bids sent (or planned, in a dry run).
    pub bids: Vec<BidReport>,
    /// Auctions ended because the account recovered.
    pub auctions_ended: Vec<U256>,
    /// Accounts put in margin call (below initial, at or above maintenance margin).
    pub margin_calls: Vec<U256>,
    /// Accounts whose margin call was cleared (back at initial margin).
    pub margin_calls_cleared: Vec<U256>,
    /// Why an account was left alone this round.
    pub skipped: Vec<String>,
    /// Whether anything was sent.
    pub sent: usize,
}

/// One bid.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct BidReport {
    pub account: U256,
    /// Fraction taken (wad).
    pub fraction: U256,
    /// Paid (wad USD; negative: received).
    pub payment: I256,
    /// Gain before gas (wad USD).
    pub gain: I256,
    /// Gas cost (wad USD).
    pub gas_usd: I256,
    /// The transaction (none in a dry run).
    pub transaction: Option<alloy::primitives::B256>,
}

/// The keeper.
pub struct Keeper {
    provider: DynProvider,
    me: Address,
    vault: Address,
    oracle: Address,
    gas_asset: Address,
    deploy_block: u64,
    config: KeeperConfig,
    limits: Limits,
    dry_run: bool,
    store: Store,
    state: KeeperState,
    chunk: u64,
    spent: i128,
    metrics: Arc<Metrics>,
    logging: bool,
    /// The next nonce to send with: taken from the chain when unknown, advanced only by a
    /// transaction the node accepted, forgotten after any failed send. The lock also orders
    /// concurrent sends.
    nonce: tokio::sync::Mutex<Option<u64>>,
}

impl Keeper {
    /// A keeper for the deployment in `record`, sending from `me` through `provider` (a
    /// provider with the keeper's wallet).
    pub fn new(
        provider: DynProvider,
        me: Address,
        record: &Record,
        config: KeeperConfig,
        dry_run: bool,
        metrics: Arc<Metrics>,
    ) -> Result<Self> {
        let vault = record.address("vault")?;
        let oracle = record.address("oracleAdapter")?;
        let gas_asset = match record.assets.get(&config.gas_asset).and_then(|a| a.token) {
            Some(token) => token,
            None => config.gas_asset.parse().map_err(|_| {
                anyhow!(
                    "gas_asset: `{}` is neither a local asset of the deployment nor an address",
                    config.gas_asset
                )
            })?,
        };
        let limits = config.limits()?;
        let store = Store::new(&config.state_file);
        let state = store.load(&vault.to_string(), record.deploy_block)?;
        Ok(Keeper {
            provider,
            me,
            vault,
            oracle,
            gas_asset,
            deploy_block: record.deploy_block,
            chunk: config.log_chunk,
            limits,
            dry_run,
            store,
            state,
            spent: 0,
            metrics,
            config,
            logging: true,
            nonce: tokio::sync::Mutex::new(None),
        })
    }

    /// Without the JSON-line log (a caller that reports the rounds itself).
    pub fn quiet(mut self) -> Self {
        self.logging = false;
        self
    }

    fn log(&self, event: &str, fields: &[(&str, String)]) {
        if self.logging {
            log(event, fields);
        }
    }

    /// The accounts followed.
    pub fn accounts(&self) -> Vec<U256> {
        self.state.accounts.iter().copied().collect()
    }

    /// Runs one round.
    pub async fn round(&mut self) -> Result<RoundReport> {
        let block = self.rpc("eth_getBlockByNumber", || async {
            self.provider
                .get_block(alloy::eips::BlockNumberOrTag::Latest.into())
                .await?
                .ok_or_else(|| anyhow!("the node has no latest block"))
        });
        let block = block.await?;
        let (number, now) = (block.header.number, block.header.timestamp);
        self.discover(number).await?;
        let mut report = RoundReport {
            block: number,
            accounts: self.state.accounts.len(),
            ..RoundReport::default()
        };
        let ids = self.accounts();
        let vault = self.vault;
        let batch = self.config.batch;
        let provider = self.provider.clone();
        let mut readings = self
            .rpc("eth_call (Multicall3)", || {
                read_accounts(&provider, vault, &ids, batch)
            })
            .await?;
        readings.sort_by_key(|r| r.health.as_ref().map_or(i128::MAX, |h| h.mm));
        let below: Vec<&Reading> = readings
            .iter()
            .filter(|r| r.health.as_ref().is_ok_and(|h| h.mm < 0))
            .collect();
        report.below_maintenance = below.iter().map(|r| r.id).collect();
        self.metrics.set(
            "keel_keeper_accounts_tracked",
            "Accounts the keeper follows",
            report.accounts as f64,
        );
        self.metrics.set(
            "keel_keeper_accounts_below_maintenance",
            "Tracked accounts below maintenance margin",
            below.len() as f64,
        );
        self.metrics.set(
            "keel_keeper_scan_lag_blocks",
            "Blocks between the chain head and the last scanned block",
            number.saturating_sub(self.state.scanned_to) as f64,
        );
        for reading in &readings {
            if let Err(why) = &reading.health {
                report.skipped.push(why.clone());
            }
        }
        let halted = self.config.kill_switch.exists();
        if halted {
            self.log(
                "halted",
                &[("killSwitch", self.config.kill_switch.display().to_string())],
            );
        }
        let sequencer = self.sequencer_up().await?;
        if !sequencer {
            self.log("sequencer_not_up", &[]);
            report.skipped.push(
                "the sequencer is down or in its grace period: no auction or bid".to_string(),
            );
        }
        let send = !self.dry_run && !halted;
        let params = self.params().await?;
        let mut starting = Vec::new();
        for reading in readings {
            let Ok(health) = reading.health else { continue };
            if health.mm >= 0 {
                // Margin calls: recorded by the vault (`updateMarginCall`, MarginCall /
                // MarginCallCleared events) when an account enters or leaves the band below
                // initial margin; the keeper remembers what it flagged, so it flags once.
                let flagged = self.state.margin_called.contains(&health.id);
                if (health.im < 0) != flagged {
                    let call = IMarginVault::updateMarginCallCall { id: health.id };
                    if send {
                        if let Err(why) = self.send("updateMarginCall", call).await {
                            report
                                .skipped
                                .push(format!("account {}: {why:#}", health.id));
                        } else {
                            report.sent += 1;
                            if flagged {
                                self.state.margin_called.remove(&health.id);
                                report.margin_calls_cleared.push(health.id);
                            } else {
                                self.state.margin_called.insert(health.id);
                                report.margin_calls.push(health.id);
                            }
                        }
                    }
                    self.log(
                        if flagged {
                            "margin_call_cleared"
                        } else {
                            "margin_call"
                        },
                        &[
                            ("account", health.id.to_string()),
                            ("initialSurplus", wad_text(health.im)),
                        ],
                    );
                }
                if reading.auction.active {
                    if send {
                        let call = IMarginVault::endAuctionCall { id: health.id };
                        if let Err(why) = self.send("endAuction", call).await {
                            report
                                .skipped
                                .push(format!("account {}: {why:#}", health.id));
                            continue;
                        }
                        report.sent += 1;
                    }
                    self.log("auction_ended", &[("account", health.id.to_string())]);
                    report.auctions_ended.push(health.id);
                }
                continue;
            }
            if !sequencer {
                continue;
            }
            if !reading.auction.active {
                // Auctions are submitted one after another and confirmed together below: a
                // crash puts many accounts under at once, and each waits on none of the others.
                if send {
                    let call = IMarginVault::startAuctionCall { id: health.id };
                    match self.submit("startAuction", call).await {
                        Ok(pending) => starting.push((health, pending)),
                        Err(why) => report
                            .skipped
                            .push(format!("account {}: {why:#}", health.id)),
                    }
                } else {
                    self.log(
                        "would_start_auction",
                        &[
                            ("account", health.id.to_string()),
                            ("maintenanceSurplus", wad_text(health.mm)),
                        ],
                    );
                    report.auctions_started.push(health.id);
                }
                continue;
            }
            let Some(bidder) = self.config.bidder_account.map(U256::from) else {
                continue;
            };
            let elapsed = now.saturating_sub(reading.auction.started_at);
            let Some(planned) = plan(&health, &params, elapsed) else {
                report
                    .skipped
                    .push(format!("account {}: no bid sizes (overflow)", health.id));
                continue;
            };
            match self.bid(health.id, health.mtm, bidder, planned, send).await {
                Ok(Some(done)) => {
                    if done.transaction.is_some() {
                        report.sent += 1;
                    }
                    report.bids.push(done);
                }
                Ok(None) => {}
                Err(why) => report
                    .skipped
                    .push(format!("account {}: {why:#}", health.id)),
            }
        }
        for (health, pending) in starting {
            match self.confirm("startAuction", pending).await {
                Ok(_) => {
                    report.sent += 1;
                    self.metrics.add(
                        "keel_keeper_auctions_started_total",
                        "Auctions the keeper started",
                        1.0,
                    );
                    self.log(
                        "auction_started",
                        &[
                            ("account", health.id.to_string()),
                            ("maintenanceSurplus", wad_text(health.mm)),
                        ],
                    );
                    report.auctions_started.push(health.id);
                }
                Err(why) => report
                    .skipped
                    .push(format!("account {}: {why:#}", health.id)),
            }
        }
        self.store.save(&self.state)?;
        Ok(report)
    }

    /// Scans new blocks (and the last `reorg_depth` again) for opened accounts.
    async fn discover(&mut self, head: u64) -> Result<()> {
        let from = self
            .state
            .scanned_to
            .saturating_add(1)
            .saturating_sub(self.config.reorg_depth)
            .max(self.deploy_block);
        if from > head {
            return Ok(());
        }
        let metrics = self.metrics.clone();
        let found = crate::discovery::opened_accounts(
            &self.provider,
            self.vault,
            from,
            head,
            &mut self.chunk,
            self.config.log_chunk,
            || rpc_error(&metrics, "eth_getLogs"),
        )
        .await?;
        for id in found {
            if self.state.accounts.insert(id) {
                self.log("account_found", &[("account", id.to_string())]);
            }
        }
        self.state.scanned_to = head;
        Ok(())
    }

    /// Whether the oracle adapter reports the sequencer up (past its grace period); always
    /// when the deployment has no sequencer feed.
    async fn sequencer_up(&self) -> Result<bool> {
        let oracle = IOracleAdapter::new(self.oracle, self.provider.clone());
        let status = self
            .rpc("eth_call (sequencerStatus)", || async {
                Ok(oracle.sequencerStatus().call().await?)
            })
            .await?;
        Ok(status.status == 0)
    }

    /// The auction parameters in force.
    async fn params(&self) -> Result<Params> {
        let vault = IMarginVault::new(self.vault, self.provider.clone());
        let p = self
            .rpc("eth_call (liquidationParams)", || async {
                Ok(vault.liquidationParams().call().await?)
            })
            .await?;
        Ok(Params {
            start: p.startDiscount.saturating_to(),
            end: p.endDiscount.saturating_to(),
            duration: p.duration,
            buffer: p.buffer.saturating_to(),
        })
    }

    /// Bids on `id` from `bidder` if, simulated by the vault itself, the gain beats gas plus
    /// the configured profit and the limits allow it.
    async fn bid(
        &mut self,
        id: U256,
        value_of_account: i128,
        bidder: U256,
        planned: BidPlan,
        send: bool,
    ) -> Result<Option<BidReport>> {
        let call = IMarginVault::bidCall {
            id,
            bidder,
            fraction: U256::from(planned.fraction),
            maxPayment: I256::MAX,
        };
        let tx = TransactionRequest::default()
            .with_from(self.me)
            .with_to(self.vault)
            .with_input(call.abi_encode());
        // The vault's own answer: what it would fill and charge now, and whether the bidder
        // account stays above initial margin (it reverts otherwise).
        let simulated = self
            .provider
            .call(tx.clone())
            .await
            .map_err(|e| explain("simulating the bid", e))?;
        let result = IMarginVault::bidCall::abi_decode_returns(&simulated)?;
        let filled = result.filled.saturating_to::<u128>();
        let payment = i128::try_from(result.payment).context("payment out of range")?;
        let value =
            keel_risk::liquidation::scale_trunc(value_of_account, filled).unwrap_or(planned.value);
        let gain = value.saturating_sub(payment);
        let gas = self.provider.estimate_gas(tx).await.unwrap_or(3_000_000);
        let gas_price = self.provider.get_gas_price().await?;
        let gas_usd = self
            .gas_usd(u128::from(gas).saturating_mul(gas_price))
            .await?;
        let needed = gas_usd.saturating_add(self.limits.min_profit);
        let mut report = BidReport {
            account: id,
            fraction: U256::from(filled),
            payment: I256::try_from(payment).unwrap_or_default(),
            gain: I256::try_from(gain).unwrap_or_default(),
            gas_usd: I256::try_from(gas_usd).unwrap_or_default(),
            transaction: None,
        };
        if gain < needed {
            self.log(
                "bid_not_yet_profitable",
                &[
                    ("account", id.to_string()),
                    ("gain", wad_text(gain)),
                    ("needed", wad_text(needed)),
                ],
            );
            return Ok(None);
        }
        if payment > self.limits.max_bid {
            return Err(anyhow!(
                "the bid would pay {} USD, above max_bid_usd",
                wad_text(payment)
            ));
        }
        if self.spent.saturating_add(payment.max(0)) > self.limits.max_session {
            return Err(anyhow!("max_session_usd is spent"));
        }
        if !send {
            self.log(
                "would_bid",
                &[
                    ("account", id.to_string()),
                    ("fraction", wad_text(filled as i128)),
                    ("payment", wad_text(payment)),
                    ("gain", wad_text(gain)),
                    ("gasUsd", wad_text(gas_usd)),
                ],
            );
            return Ok(Some(report));
        }
        let slack =
            keel_risk::liquidation::scale_trunc(payment.abs(), self.limits.slippage as u128)
                .unwrap_or(0);
        let max_payment = payment.saturating_add(slack);
        let call = IMarginVault::bidCall {
            id,
            bidder,
            fraction: U256::from(filled),
            maxPayment: I256::try_from(max_payment).unwrap_or(I256::MAX),
        };
        match self.send("bid", call).await {
            Ok(hash) => {
                self.spent = self.spent.saturating_add(payment.max(0));
                self.metrics
                    .add("keel_keeper_bids_won_total", "Bids the vault filled", 1.0);
                self.metrics.add(
                    "keel_keeper_profit_usd_total",
                    "Gain of filled bids before gas, USD",
                    gain as f64 / WAD as f64,
                );
                self.log(
                    "bid",
                    &[
                        ("account", id.to_string()),
                        ("fraction", wad_text(filled as i128)),
                        ("payment", wad_text(payment)),
                        ("gain", wad_text(gain)),
                        ("tx", hash.to_string()),
                    ],
                );
                report.transaction = Some(hash);
                Ok(Some(report))
            }
            Err(e) => {
                self.metrics
                    .add("keel_keeper_bids_failed_total", "Bids that reverted", 1.0);
                Err(e)
            }
        }
    }

    /// `wei` of gas in USD (wad), at the oracle's price of the gas asset.
    async fn gas_usd(&self, wei: u128) -> Result<i128> {
        let oracle = IOracleAdapter::new(self.oracle, self.provider.clone());
        let price = oracle.getPrice(self.gas_asset).call().await?.price;
        let usd = keel_risk::liquidation::mul_div_up(wei, price.saturating_to(), WAD)
            .ok_or_else(|| anyhow!("gas cost overflows"))?;
        Ok(i128::try_from(usd).unwrap_or(i128::MAX))
    }

    /// Sends `call` to the vault, waiting for its receipt.
    async fn send<C: SolCall>(&self, what: &str, call: C) -> Result<alloy::primitives::B256> {
        let pending = self.submit(what, call).await?;
        self.confirm(what, pending).await
    }

    /// Estimates `call` to the vault and hands it to the node with the keeper's next nonce,
    /// without waiting for it to be mined.
    async fn submit<C: SolCall>(
        &self,
        what: &str,
        call: C,
    ) -> Result<alloy::providers::PendingTransactionBuilder<alloy::network::Ethereum>> {
        let tx = TransactionRequest::default()
            .with_from(self.me)
            .with_to(self.vault)
            .with_input(call.abi_encode());
        let tx = keel_deploy::deploy::with_gas_margin(&self.provider, tx)
            .await
            .map_err(|e| explain(what, e))?;
        let mut next = self.nonce.lock().await;
        let nonce = match *next {
            Some(n) => n,
            None => self
                .provider
                .get_transaction_count(self.me)
                .pending()
                .await
                .with_context(|| format!("{what}: reading the nonce"))?,
        };
        match self.provider.send_transaction(tx.with_nonce(nonce)).await {
            Ok(pending) => {
                *next = Some(nonce + 1);
                Ok(pending)
            }
            Err(e) => {
                *next = None;
                Err(explain(what, e))
            }
        }
    }

    /// Waits for a submitted transaction's receipt; an error if it reverted.
    async fn confirm(
        &self,
        what: &str,
        pending: alloy::providers::PendingTransactionBuilder<alloy::network::Ethereum>,
    ) -> Result<alloy::primitives::B256> {
        let receipt = pending
            .get_receipt()
            .await
            .with_context(|| format!("{what}: waiting for the receipt"))?;
        self.metrics.add(
            "keel_keeper_gas_used_total",
            "Gas the keeper's transactions used",
            receipt.gas_used as f64,
        );
        self.metrics.add(
            "keel_keeper_transactions_total",
            "Transactions the keeper sent",
            1.0,
        );
        if !receipt.status() {
            return Err(anyhow!(
                "{what}: transaction {} reverted",
                receipt.transaction_hash
            ));
        }
        Ok(receipt.transaction_hash)
    }

    /// Runs `f` with up to three retries, 200 ms doubling, counting failures by method.
    async fn rpc<T, F, Fut>(&self, method: &str, mut f: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        let mut wait = Duration::from_millis(200);
        let mut attempt = 0;
        loop {
            match f().await {
                Ok(v) => return Ok(v),
                Err(e) => {
                    rpc_error(&self.metrics, method);
                    attempt += 1;
                    if attempt > 3 {
                        return Err(e.context(format!("{method}: gave up after {attempt} tries")));
                    }
                    self.log(
                        "rpc_retry",
                        &[("method", method.to_string()), ("error", format!("{e:#}"))],
                    );
                    tokio::time::sleep(wait).await;
                    wait *= 2;
                }
            }
        }
    }
}

fn rpc_error(metrics: &Metrics, method: &str) {
    metrics.add(
        &format!("keel_keeper_rpc_errors_total{{method=\"{method}\"}}"),
        "RPC calls that failed, by method",
        1.0,
    );
}

/// A wad as a decimal with up to 18 places.
pub fn wad_text(x: i128) -> String {
    keel_risk::fixed::Wad::from_raw(x).to_string()
}

/// One structured log line on stderr.
pub fn log(event: &str, fields: &[(&str, String)]) {
    let mut line = serde_json::Map::new();
    line.insert("event".into(), event.into());
    for (k, v) in fields {
        line.insert((*k).into(), v.clone().into());
    }
    eprintln!("{}", serde_json::Value::Object(line));
}
