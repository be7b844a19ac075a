//! One keeper round: scan the vault's logs, margin natively the accounts that need it (those
//! the logs touched, those whose prices or vol data moved, those in or near trouble, and every
//! account every `full_scan_secs`), start the auction of each one below maintenance margin,
//! bid where the discount pays for the gas and the configured profit, end the auctions of
//! accounts that recovered, flag margin calls, fix settlement prices and settle expired
//! options, and realise large perpetual PnL. Nothing is sent in a dry run or while the
//! kill-switch file exists; every action is logged as a JSON line.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::sync::Arc;

use alloy::network::TransactionBuilder;
use alloy::primitives::{aliases::U80, Address, B256, I256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::sol_types::SolCall;
use anyhow::{anyhow, Context, Result};
use keel_deploy::bindings::{IMarginVault, IOracleAdapter, TestFeed};
use keel_deploy::errors::explain;
use keel_deploy::Record;
use keel_risk::liquidation::{Params, WAD};
use serde::Serialize;

use crate::bidding::{plan, BidPlan};
use crate::config::{KeeperConfig, Limits};
use crate::discovery::Scan;
use crate::evaluate::{read_accounts, Reading};
use crate::metrics::Metrics;
use crate::store::{KeeperState, Store};
use crate::watch::{Market, Source};

/// How long the keeper waits for one of its transactions to be mined before reporting it.
const RECEIPT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(60);

/// What a round did.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RoundReport {
    /// The block the round read.
    pub block: u64,
    /// Accounts tracked.
    pub accounts: usize,
    /// Accounts margined this round.
    pub evaluated: usize,
    /// Whether every account was margined (the first round, every `full_scan_secs`, or a
    /// change that reaches every account).
    pub full: bool,
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
    /// Settlement prices fixed (`asset@expiry`).
    pub settlement_prices: Vec<String>,
    /// Accounts whose expired options were settled.
    pub options_settled: Vec<U256>,
    /// Accounts whose perpetual PnL was realised.
    pub realised: Vec<U256>,
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
    /// Gas cost (wad USD): `eth_estimateGas` (on Arbitrum it includes the L1 data cost, in
    /// L2 gas) times the block's base fee (what Arbitrum charges; no tip is paid).
    pub gas_usd: I256,
    /// The transaction (none in a dry run).
    pub transaction: Option<B256>,
}

/// The keeper.
pub struct Keeper {
    provider: DynProvider,
    me: Address,
    vault: Address,
    oracle: Address,
    gas_asset: Address,
    market: Market,
    /// What the last reading of each account implies for the next rounds.
    known: HashMap<U256, Known>,
    /// When (chain time) every account was last margined.
    last_full: Option<u64>,
    /// The base fee of the block the round read.
    base_fee: Option<u64>,
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
        let guard = record.address("depegGuard").ok();
        let store = Store::new(&config.state_file);
        let state = store.load(&vault.to_string(), record.deploy_block)?;
        Ok(Keeper {
            provider,
            me,
            vault,
            oracle,
            gas_asset,
            market: Market::new(vault, oracle, guard),
            known: HashMap::new(),
            last_full: None,
            base_fee: None,
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
        self.base_fee = block.header.base_fee_per_gas;
        let scan = self.discover(number).await?;
        let full = scan.everything
            || self
                .last_full
                .is_none_or(|t| now.saturating_sub(t) >= self.config.full_scan_secs);
        let ids = if full {
            self.accounts()
        } else {
            self.due(&scan, now).await?
        };
        let mut report = RoundReport {
            block: number,
            accounts: self.state.accounts.len(),
            evaluated: ids.len(),
            full,
            ..RoundReport::default()
        };
        let vault = self.vault;
        let batch = self.config.batch;
        let provider = self.provider.clone();
        let mut readings = self
            .rpc("eth_call (Multicall3)", || {
                read_accounts(&provider, vault, &ids, batch)
            })
            .await?;
        self.remember(&readings, now).await?;
        if full {
            self.last_full = Some(now);
        }
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
        let mut calls_due = Vec::new();
        for reading in &readings {
            let Ok(health) = reading.health.clone() else {
                continue;
            };
            if health.mm >= 0 {
                // Margin calls: recorded by the vault (`updateMarginCall`, MarginCall /
                // MarginCallCleared events) when an account enters or leaves the band below
                // initial margin; the keeper remembers what it flagged, so it flags once. Sent
                // after the auctions: they wait on nothing urgent.
                let flagged = self.state.margin_called.contains(&health.id);
                if (health.im < 0) != flagged {
                    calls_due.push((health, flagged));
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
        self.margin_calls(calls_due, send, &mut report).await;
        self.settle_expired(&readings, now, send, &mut report).await;
        self.realise(&readings, send, &mut report).await;
        self.store.save(&self.state)?;
        Ok(report)
    }

    /// The accounts to margin in a round that does not margin all: those the logs touched,
    /// new ones, those whose sources moved, those at an option expiry, and those in or near
    /// trouble (below initial margin, in an auction, with expired options or PnL to settle).
    async fn due(&mut self, scan: &Scan, now: u64) -> Result<Vec<U256>> {
        let watched: BTreeSet<Source> = self
            .known
            .values()
            .filter_map(|k| k.sources.as_ref())
            .flatten()
            .copied()
            .collect();
        let moved = self.refingerprint(&watched).await?;
        Ok(self
            .state
            .accounts
            .iter()
            .copied()
            .filter(|id| match self.known.get(id) {
                None => true,
                Some(k) => {
                    k.hot
                        || scan.touched.contains(id)
                        || k.next_expiry.is_some_and(|e| e <= now)
                        || k.sources
                            .as_ref()
                            .is_none_or(|s| s.iter().any(|x| moved.contains(x)))
                }
            })
            .collect())
    }

    /// Fingerprints `sources` now and keeps the prints; those that moved since the last.
    async fn refingerprint(&mut self, sources: &BTreeSet<Source>) -> Result<BTreeSet<Source>> {
        let provider = self.provider.clone();
        let market = &self.market;
        let prints = retry_rpc(
            &self.metrics,
            self.logging,
            "eth_call (fingerprints)",
            || market.fingerprint(&provider, sources),
        )
        .await?;
        Ok(self.market.record(prints))
    }

    /// Keeps what `readings` imply for the next rounds: each account's sources (learning its
    /// instruments and collateral, fingerprinting sources not watched yet), its next option
    /// expiry, and whether it is in or near trouble.
    async fn remember(&mut self, readings: &[Reading], now: u64) -> Result<()> {
        let provider = self.provider.clone();
        let market = &self.market;
        let learnt = retry_rpc(
            &self.metrics,
            self.logging,
            "eth_call (instruments)",
            || market.lookup(&provider, readings),
        )
        .await?;
        self.market.learn(learnt);
        let mut unwatched = BTreeSet::new();
        for r in readings {
            let sources = self.market.sources(r, now);
            if let Some(sources) = &sources {
                unwatched.extend(sources.iter().filter(|s| !self.market.watches(s)));
            }
            let options = r
                .positions
                .iter()
                .filter_map(|p| self.market.instrument(p.instrument))
                .filter(|i| i.kind != 0);
            let next_expiry = options.clone().map(|i| i.expiry).filter(|&e| e > now).min();
            let expired = options.clone().any(|i| i.expiry <= now);
            let realisable = match (&r.health, self.limits.realise_above) {
                (Ok(h), Some(above)) => h.unrealised.unsigned_abs() > above.unsigned_abs(),
                _ => false,
            };
            let hot = match &r.health {
                Err(_) => true,
                Ok(h) => {
                    h.im < 0
                        || r.auction.active
                        || self.state.margin_called.contains(&r.id)
                        || expired
                        || realisable
                }
            };
            self.known.insert(
                r.id,
                Known {
                    sources,
                    next_expiry,
                    hot,
                },
            );
        }
        if !unwatched.is_empty() {
            self.refingerprint(&unwatched).await?;
        }
        Ok(())
    }

    /// Sends `updateMarginCall` for each account of `due` (with whether it was flagged):
    /// submitted back to back, then confirmed together.
    async fn margin_calls(
        &mut self,
        due: Vec<(crate::evaluate::Health, bool)>,
        send: bool,
        report: &mut RoundReport,
    ) {
        let mut pending = Vec::new();
        for (health, flagged) in due {
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
            if !send {
                continue;
            }
            let call = IMarginVault::updateMarginCallCall { id: health.id };
            match self.submit("updateMarginCall", call).await {
                Ok(tx) => pending.push((health.id, flagged, tx)),
                Err(why) => report
                    .skipped
                    .push(format!("account {}: {why:#}", health.id)),
            }
        }
        for (id, flagged, tx) in pending {
            if let Err(why) = self.confirm("updateMarginCall", tx).await {
                report.skipped.push(format!("account {id}: {why:#}"));
                continue;
            }
            report.sent += 1;
            if flagged {
                self.state.margin_called.remove(&id);
                report.margin_calls_cleared.push(id);
            } else {
                self.state.margin_called.insert(id);
                report.margin_calls.push(id);
            }
        }
    }

    /// Settles the expired options of `readings`: for each (underlying, expiry) held, the
    /// oracle adapter's settlement price is fixed first when it is not (`settle` with the
    /// primary feed's first round at or after the expiry), then `settleOptions` is sent for
    /// each account. Every call is simulated with `eth_call` first; what cannot be done yet
    /// is reported as skipped.
    async fn settle_expired(
        &mut self,
        readings: &[Reading],
        now: u64,
        send: bool,
        report: &mut RoundReport,
    ) {
        let mut groups: BTreeMap<(Address, u64), Vec<U256>> = BTreeMap::new();
        for r in readings {
            for p in &r.positions {
                if let Some(i) = self.market.instrument(p.instrument) {
                    if i.kind != 0 && i.expiry <= now && !p.size.is_zero() {
                        groups
                            .entry((i.underlying, i.expiry))
                            .or_default()
                            .push(r.id);
                    }
                }
            }
        }
        let mut settled = BTreeSet::new();
        for ((asset, expiry), ids) in groups {
            match self.fix_settlement(asset, expiry, send).await {
                Ok(true) => report.settlement_prices.push(format!("{asset}@{expiry}")),
                Ok(false) => {}
                Err(why) => {
                    report
                        .skipped
                        .push(format!("settlement of {asset} at {expiry}: {why:#}"));
                    continue;
                }
            }
            for id in ids {
                if !settled.insert(id) {
                    continue;
                }
                let call = IMarginVault::settleOptionsCall { id };
                if !send {
                    self.log("would_settle_options", &[("account", id.to_string())]);
                    report.options_settled.push(id);
                    continue;
                }
                match self
                    .simulate_then_send(self.vault, "settleOptions", call)
                    .await
                {
                    Ok(_) => {
                        report.sent += 1;
                        self.log("options_settled", &[("account", id.to_string())]);
                        report.options_settled.push(id);
                    }
                    Err(why) => report.skipped.push(format!("account {id}: {why:#}")),
                }
            }
        }
    }

    /// Fixes `asset`'s settlement price for `expiry` unless it is; whether this call fixed it
    /// (in a dry run: would have).
    async fn fix_settlement(&self, asset: Address, expiry: u64, send: bool) -> Result<bool> {
        let oracle = IOracleAdapter::new(self.oracle, self.provider.clone());
        if oracle
            .settlementPrice(asset, expiry)
            .call()
            .await?
            .isSettled
        {
            return Ok(false);
        }
        let feed = oracle.assetConfig(asset).call().await?.config.primary;
        let round = first_round_from(&self.provider, feed, expiry).await?;
        let call = IOracleAdapter::settleCall {
            asset,
            expiry,
            roundId: U80::from(round),
        };
        if send {
            self.simulate_then_send(self.oracle, "settle", call).await?;
        } else {
            simulate(&self.provider, self.me, self.oracle, "settle", &call).await?;
        }
        self.log(
            if send {
                "settlement_price_set"
            } else {
                "would_set_settlement_price"
            },
            &[
                ("asset", asset.to_string()),
                ("expiry", expiry.to_string()),
                ("round", round.to_string()),
            ],
        );
        Ok(true)
    }

    /// Realises the perpetual PnL of accounts above `realise_above_usd` (simulated first).
    async fn realise(&mut self, readings: &[Reading], send: bool, report: &mut RoundReport) {
        let Some(above) = self.limits.realise_above else {
            return;
        };
        for r in readings {
            let Ok(h) = &r.health else { continue };
            if h.unrealised.unsigned_abs() <= above.unsigned_abs() {
                continue;
            }
            let fields = [
                ("account", r.id.to_string()),
                ("unrealised", wad_text(h.unrealised)),
            ];
            if !send {
                self.log("would_realise", &fields);
                report.realised.push(r.id);
                continue;
            }
            let call = IMarginVault::realiseCall { id: r.id };
            match self.simulate_then_send(self.vault, "realise", call).await {
                Ok(_) => {
                    report.sent += 1;
                    self.log("realised", &fields);
                    report.realised.push(r.id);
                }
                Err(why) => report.skipped.push(format!("account {}: {why:#}", r.id)),
            }
        }
    }

    /// Simulates `call` to `to` with `eth_call` (a revert comes back decoded, nothing sent),
    /// then sends it and waits for its receipt.
    async fn simulate_then_send<C: SolCall>(
        &self,
        to: Address,
        what: &str,
        call: C,
    ) -> Result<B256> {
        simulate(&self.provider, self.me, to, what, &call).await?;
        let pending = self.submit_to(to, what, call).await?;
        self.confirm(what, pending).await
    }

    /// Scans new blocks (and the last `reorg_depth` again) of the vault's logs: accounts
    /// opened are followed from now on; what else they touched is returned.
    async fn discover(&mut self, head: u64) -> Result<Scan> {
        let from = self
            .state
            .scanned_to
            .saturating_add(1)
            .saturating_sub(self.config.reorg_depth)
            .max(self.deploy_block);
        if from > head {
            return Ok(Scan::default());
        }
        let metrics = self.metrics.clone();
        let scan = crate::discovery::scan(
            &self.provider,
            self.vault,
            from,
            self.state.scanned_to.saturating_add(1),
            head,
            &mut self.chunk,
            self.config.log_chunk,
            || rpc_error(&metrics, "eth_getLogs"),
        )
        .await?;
        for &id in &scan.opened {
            if self.state.accounts.insert(id) {
                self.log("account_found", &[("account", id.to_string())]);
            }
        }
        self.state.scanned_to = head;
        Ok(scan)
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
        let gas_price = match self.base_fee {
            Some(fee) => u128::from(fee),
            None => self.provider.get_gas_price().await?,
        };
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
        self.metrics
            .add("keel_keeper_bids_sent_total", "Bids the keeper sent", 1.0);
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
                self.metrics.add(
                    "keel_keeper_bids_failed_total",
                    "Bids that failed or reverted",
                    1.0,
                );
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
    async fn send<C: SolCall>(&self, what: &str, call: C) -> Result<B256> {
        let pending = self.submit(what, call).await?;
        self.confirm(what, pending).await
    }

    /// [`Keeper::submit_to`] the vault.
    async fn submit<C: SolCall>(&self, what: &str, call: C) -> Result<B256> {
        self.submit_to(self.vault, what, call).await
    }

    /// Estimates `call` to `to` and hands it to the node with the keeper's next nonce,
    /// without waiting for it to be mined.
    async fn submit_to<C: SolCall>(&self, to: Address, what: &str, call: C) -> Result<B256> {
        let tx = TransactionRequest::default()
            .with_from(self.me)
            .with_to(to)
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
                Ok(*pending.tx_hash())
            }
            Err(e) => {
                *next = None;
                Err(explain(what, e))
            }
        }
    }

    /// Waits for a submitted transaction's receipt, polling `eth_getTransactionReceipt` (each
    /// poll retried like every read, so a dropped response does not lose track of a
    /// transaction that is on chain); an error if it reverted or is not mined within
    /// [`RECEIPT_TIMEOUT`].
    async fn confirm(&self, what: &str, hash: B256) -> Result<B256> {
        let deadline = tokio::time::Instant::now() + RECEIPT_TIMEOUT;
        let poll = std::time::Duration::from_millis(self.config.poll_ms.clamp(10, 1_000));
        let receipt = loop {
            let receipt = self
                .rpc("eth_getTransactionReceipt", || async {
                    Ok(self.provider.get_transaction_receipt(hash).await?)
                })
                .await
                .with_context(|| format!("{what}: waiting for the receipt of {hash}"))?;
            if let Some(receipt) = receipt {
                break receipt;
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(anyhow!(
                    "{what}: transaction {hash} not mined within {} s",
                    RECEIPT_TIMEOUT.as_secs()
                ));
            }
            tokio::time::sleep(poll).await;
        };
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

    /// Runs `f` with up to three retries ([`retry_rpc`]).
    async fn rpc<T, F, Fut>(&self, method: &str, f: F) -> Result<T>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T>>,
    {
        retry_rpc(&self.metrics, self.logging, method, f).await
    }
}

/// What the last reading of an account implies for the next rounds.
#[derive(Clone, Debug)]
struct Known {
    /// The prices and data its margin reads (`None` until its instruments are known).
    sources: Option<BTreeSet<Source>>,
    /// Its nearest option expiry still ahead: its margin changes then.
    next_expiry: Option<u64>,
    /// Margined every round: below initial margin, in an auction or a margin call, holding
    /// expired options, with PnL to realise, or unreadable.
    hot: bool,
}

/// `f` with up to three retries (200 ms doubling), counting failures by method and logging
/// each retry.
async fn retry_rpc<T, F, Fut>(metrics: &Metrics, logging: bool, method: &str, f: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T>>,
{
    let on_failure = |e: &anyhow::Error, _| {
        rpc_error(metrics, method);
        if logging {
            log(
                "rpc_retry",
                &[("method", method.to_string()), ("error", format!("{e:#}"))],
            );
        }
    };
    crate::retry::retry(method, 4, on_failure, f).await
}

/// `call` to `to` from `from` with `eth_call`: an error names the revert.
async fn simulate<C: SolCall>(
    provider: &DynProvider,
    from: Address,
    to: Address,
    what: &str,
    call: &C,
) -> Result<alloy::primitives::Bytes> {
    let tx = TransactionRequest::default()
        .with_from(from)
        .with_to(to)
        .with_input(call.abi_encode());
    provider
        .call(tx)
        .await
        .map_err(|e| explain(&format!("simulating {what}"), e))
}

/// The id of `feed`'s first round updated at or after `expiry` (the round a settlement price
/// is fixed from): the latest round, then a binary search back through its phase (updates are
/// in round order). An error when no round is that late yet.
async fn first_round_from(provider: &DynProvider, feed: Address, expiry: u64) -> Result<u128> {
    let feed = TestFeed::new(feed, provider.clone());
    let latest = feed.latestRoundData().call().await?;
    let latest_id: u128 = latest.roundId.to();
    if latest.updatedAt < U256::from(expiry) {
        return Err(anyhow!(
            "the feed has no round at or after the expiry yet (latest updated at {})",
            latest.updatedAt
        ));
    }
    let phase = latest_id & !u128::from(u64::MAX);
    // Invariant: round `high` is at or after the expiry; every round below `low` is before it.
    let (mut low, mut high) = (phase | 1, latest_id);
    while low < high {
        let middle = low + (high - low) / 2;
        let at = feed.getRoundData(U80::from(middle)).call().await?.updatedAt;
        if at >= U256::from(expiry) {
            high = middle;
        } else {
            low = middle + 1;
        }
    }
    Ok(high)
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
