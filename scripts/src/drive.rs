//! Driving a deployed Keel: `keel account …` and `keel status`, through bindings generated
//! from `abi/*.sol`, addresses from the deployment record, amounts in whole token units and
//! USD, and every revert decoded into its Solidity error.

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, I256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use anyhow::{anyhow, bail, Context, Result};
use keel_deploy::bindings::{IMarginVault, IOracleAdapter, RfqMarket, TestFeed};
use keel_deploy::errors::{explain, usd};
use keel_deploy::Record;
use serde::Serialize;

/// A connection to a deployment.
pub struct Session {
    provider: DynProvider,
    record: Record,
    me: Address,
}

/// What a transaction cost.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Sent {
    /// What it did.
    pub what: String,
    /// Its hash.
    pub transaction_hash: alloy::primitives::B256,
    /// Gas used.
    pub gas_used: u64,
}

/// An account's margin in one mode, in USD.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ModeMargin {
    /// `isolated`, `cross` or `portfolio`.
    pub mode: &'static str,
    /// The account's value.
    pub mark_to_market: String,
    /// Value minus the initial requirement.
    pub initial_surplus: String,
    /// Value minus the maintenance requirement.
    pub maintenance_surplus: String,
}

/// The margin modes by number.
pub const MODES: [&str; 3] = ["isolated", "cross", "portfolio"];

/// A mode's number from its name.
pub fn mode_number(name: &str) -> Result<u8> {
    MODES
        .iter()
        .position(|m| *m == name)
        .map(|i| i as u8)
        .ok_or_else(|| anyhow!("MODE: `{name}` is not isolated, cross or portfolio"))
}

impl Session {
    /// Connects as `signer` to the deployment recorded for the chain at `rpc_url`.
    pub async fn connect(
        rpc_url: &str,
        deployments: &std::path::Path,
        signer: &PrivateKeySigner,
    ) -> Result<Self> {
        let probe = alloy::providers::ProviderBuilder::new().connect_http(
            rpc_url
                .parse()
                .map_err(|_| anyhow!("--rpc-url: `{rpc_url}` is not a URL"))?,
        );
        let chain_id = probe
            .get_chain_id()
            .await
            .with_context(|| format!("connecting to {rpc_url}"))?;
        let record = Record::load(&Record::path(deployments, chain_id))?;
        let provider = keel_deploy::deploy::connect(rpc_url, signer, chain_id).await?;
        Ok(Session {
            provider,
            record,
            me: signer.address(),
        })
    }

    /// The provider, with the session's wallet.
    pub fn provider(&self) -> &DynProvider {
        &self.provider
    }

    /// The deployment record.
    pub fn record(&self) -> &Record {
        &self.record
    }

    /// The session's account.
    pub fn address(&self) -> Address {
        self.me
    }

    /// Sends `call` to `to`, decoding a revert ([`Sent`] with its gas).
    pub async fn call<C: SolCall>(&self, what: String, to: Address, call: C) -> Result<Sent> {
        self.send(what, to, call).await
    }

    fn vault(&self) -> Result<IMarginVault::IMarginVaultInstance<DynProvider>> {
        Ok(IMarginVault::new(
            self.record.address("vault")?,
            self.provider.clone(),
        ))
    }

    /// The token of `symbol`.
    pub fn token(&self, symbol: &str) -> Result<Address> {
        self.record
            .assets
            .get(symbol)
            .and_then(|a| a.token)
            .ok_or_else(|| {
                let known: Vec<&String> = self.record.assets.keys().collect();
                anyhow!("SYMBOL: `{symbol}` is not an asset of this deployment (known: {known:?})")
            })
    }

    async fn units(&self, token: Address, amount: &str) -> Result<U256> {
        let decimals = keel_deploy::bindings::TestToken::new(token, self.provider.clone())
            .decimals()
            .call()
            .await?;
        let wad = keel_deploy::config::wad("AMOUNT", amount)?;
        Ok(if decimals <= 18 {
            wad / U256::from(10u64).pow(U256::from(18 - decimals))
        } else {
            wad * U256::from(10u64).pow(U256::from(decimals - 18))
        })
    }

    async fn send<C: SolCall>(&self, what: String, to: Address, call: C) -> Result<Sent> {
        let gas_price = self.provider.get_gas_price().await?;
        let tx = TransactionRequest::default()
            .with_from(self.me)
            .with_to(to)
            .with_input(call.abi_encode())
            .with_max_priority_fee_per_gas(0)
            .with_max_fee_per_gas(gas_price.saturating_mul(2));
        let tx = keel_deploy::deploy::with_gas_margin(&self.provider, tx)
            .await
            .map_err(|e| explain(&what, e))?;
        let limit = tx.gas.unwrap_or_default();
        let receipt = self
            .provider
            .send_transaction(tx.clone())
            .await
            .map_err(|e| explain(&what, e))?
            .get_receipt()
            .await?;
        if !receipt.status() {
            // The estimate succeeded, so the block it was mined in differed: name the error
            // the call now reverts with, or say it ran out of gas.
            let why = match self.provider.call(tx).await {
                Err(e) => format!("{:#}", explain(&what, e)),
                Ok(_) if receipt.gas_used >= limit.saturating_mul(63) / 64 => {
                    format!("out of gas ({} of its {limit} limit)", receipt.gas_used)
                }
                Ok(_) => format!("{} gas used of {limit}; it succeeds now", receipt.gas_used),
            };
            bail!(
                "{what}: transaction {} reverted: {why}",
                receipt.transaction_hash
            );
        }
        Ok(Sent {
            what,
            transaction_hash: receipt.transaction_hash,
            gas_used: receipt.gas_used,
        })
    }

    /// `keel account open`: the new account's id.
    pub async fn open(&self, mode: u8) -> Result<(U256, Sent)> {
        let vault = self.vault()?;
        let sent = self
            .send(
                format!("open a {} account", MODES[mode as usize]),
                *vault.address(),
                IMarginVault::openAccountCall { mode },
            )
            .await?;
        let receipt = self
            .provider
            .get_transaction_receipt(sent.transaction_hash)
            .await?
            .ok_or_else(|| anyhow!("no receipt"))?;
        let opened = receipt
            .decoded_log::<IMarginVault::AccountOpened>()
            .ok_or_else(|| anyhow!("no AccountOpened event"))?;
        Ok((opened.id, sent))
    }

    /// `keel account deposit`: approves the vault when needed, then deposits.
    pub async fn deposit(&self, id: U256, symbol: &str, amount: &str) -> Result<Vec<Sent>> {
        let vault = self.vault()?;
        let token = self.token(symbol)?;
        let units = self.units(token, amount).await?;
        let mut sent = Vec::new();
        let erc20 = IErc20::new(token, self.provider.clone());
        if erc20.allowance(self.me, *vault.address()).call().await? < units {
            sent.push(
                self.send(
                    format!("approve the vault for {symbol}"),
                    token,
                    IErc20::approveCall {
                        spender: *vault.address(),
                        amount: U256::MAX,
                    },
                )
                .await?,
            );
        }
        let call = IMarginVault::depositCall {
            id,
            asset: token,
            amount: units,
        };
        sent.push(
            self.send(
                format!("deposit {amount} {symbol} into account {id}"),
                *vault.address(),
                call,
            )
            .await?,
        );
        Ok(sent)
    }

    /// `keel account withdraw`.
    pub async fn withdraw(
        &self,
        id: U256,
        symbol: &str,
        amount: &str,
        to: Option<Address>,
    ) -> Result<Sent> {
        let vault = self.vault()?;
        let token = self.token(symbol)?;
        let units = self.units(token, amount).await?;
        let call = IMarginVault::withdrawCall {
            id,
            asset: token,
            amount: units,
            to: to.unwrap_or(self.me),
        };
        self.send(
            format!("withdraw {amount} {symbol} from account {id}"),
            *vault.address(),
            call,
        )
        .await
    }

    /// `keel account mode`.
    pub async fn set_mode(&self, id: U256, mode: u8) -> Result<Sent> {
        let vault = self.vault()?;
        self.send(
            format!("account {id} to {} mode", MODES[mode as usize]),
            *vault.address(),
            IMarginVault::setModeCall { id, mode },
        )
        .await
    }

    /// `keel account operator`.
    pub async fn set_operator(&self, id: U256, operator: Address, approved: bool) -> Result<Sent> {
        let vault = self.vault()?;
        let verb = if approved { "approve" } else { "revoke" };
        self.send(
            format!("{verb} operator {operator} on account {id}"),
            *vault.address(),
            IMarginVault::setOperatorCall {
                id,
                operator,
                approved,
            },
        )
        .await
    }

    /// `keel account margin`: the account in all three modes.
    pub async fn margin(&self, id: U256) -> Result<Vec<ModeMargin>> {
        let vault = self.vault()?;
        let all = vault
            .marginAllModes(id)
            .call()
            .await
            .map_err(|e| contract_error(&format!("marginAllModes({id})"), e))?;
        let row = |mode, m: &IMarginVault::MarginState| ModeMargin {
            mode,
            mark_to_market: usd(m.markToMarket),
            initial_surplus: usd(m.initialMargin),
            maintenance_surplus: usd(m.maintenanceMargin),
        };
        Ok(vec![
            row("isolated", &all.isolated),
            row("cross", &all.cross),
            row("portfolio", &all.portfolio),
        ])
    }

    /// `keel account positions`: (instrument, size, basis) in wad.
    pub async fn positions(&self, id: U256) -> Result<Vec<(U256, I256, I256)>> {
        let vault = self.vault()?;
        let positions = vault
            .positions(id)
            .call()
            .await
            .map_err(|e| contract_error(&format!("positions({id})"), e))?;
        Ok(positions
            .into_iter()
            .map(|p| (p.instrument, p.size, p.basis))
            .collect())
    }

    /// `keel status`.
    pub async fn status(&self) -> Result<Status> {
        let vault = self.vault()?;
        let adapter =
            IOracleAdapter::new(self.record.address("oracleAdapter")?, self.provider.clone());
        let now = self
            .provider
            .get_block(alloy::eips::BlockNumberOrTag::Latest.into())
            .await?
            .map_or(0, |b| b.header.timestamp);
        let sequencer = adapter
            .sequencerStatus()
            .call()
            .await
            .ok()
            .map(|s| (s.status, s.since));
        let mut feeds = Vec::new();
        for (symbol, asset) in &self.record.assets {
            let Some(feed) = asset.feed else { continue };
            let round = TestFeed::new(feed, self.provider.clone())
                .latestRoundData()
                .call()
                .await
                .ok();
            feeds.push(FeedAge {
                symbol: symbol.clone(),
                feed,
                age_seconds: round.map(|r| now.saturating_sub(r.updatedAt.saturating_to())),
            });
        }
        let accounts = vault.accountCount().call().await?;
        let mut auctions = Vec::new();
        for id in 1..=accounts.saturating_to::<u64>() {
            if vault
                .auction(U256::from(id))
                .call()
                .await
                .is_ok_and(|a| a.active)
            {
                auctions.push(id);
            }
        }
        let loss = vault.socialisedLoss().call().await?;
        Ok(Status {
            paused: vault.paused().call().await?,
            sequencer_up: sequencer.map(|(s, _)| s == 0),
            sequencer_since: sequencer.map(|(_, since)| since),
            feeds,
            insurance_fund: usd(I256::from_raw(vault.insuranceFund().call().await?)),
            socialised_loss: usd(I256::from_raw(loss.total)),
            accounts: accounts.saturating_to(),
            open_auctions: auctions,
        })
    }
}

/// What `keel trade` trades.
#[derive(Clone, Debug)]
pub struct TradeRequest {
    /// `perp`, `call` or `put`.
    pub kind: String,
    /// The underlying's asset symbol (e.g. WETH for ETH).
    pub underlying: String,
    /// Options: expiry (Unix seconds) and strike (USD).
    pub expiry: u64,
    /// See [`TradeRequest::expiry`].
    pub strike: String,
    /// What the taker receives, in units of the underlying (negative: sells).
    pub size: String,
    /// USD per unit.
    pub price: String,
    /// The maker's account (signed for by the maker's key).
    pub maker_account: U256,
    /// The taker's account (the sender's).
    pub taker_account: U256,
}

impl Session {
    /// `keel trade`: the maker signs an EIP-712 quote, the sender fills it through the RFQ
    /// market; the vault settles it.
    pub async fn trade(
        &self,
        maker: &PrivateKeySigner,
        request: &TradeRequest,
    ) -> Result<Vec<Sent>> {
        use alloy::signers::SignerSync;
        let kind = match request.kind.as_str() {
            "perp" => 0u8,
            "call" => 1,
            "put" => 2,
            other => bail!("KIND: `{other}` is not perp, call or put"),
        };
        let vault = self.vault()?;
        let underlying = self.token(&request.underlying)?;
        let strike = if kind == 0 {
            U256::ZERO
        } else {
            keel_deploy::config::wad("STRIKE", &request.strike)?
        };
        let instrument = vault
            .instrumentId(
                underlying,
                kind,
                if kind == 0 { 0 } else { request.expiry },
                strike,
            )
            .call()
            .await
            .map_err(|e| contract_error("instrumentId", e))?;
        let size = signed_wad("SIZE", &request.size)?;
        let price = keel_deploy::config::wad("PRICE", &request.price)?;
        let market = RfqMarket::new(self.record.address("rfqMarket")?, self.provider.clone());
        let now = self
            .provider
            .get_block(alloy::eips::BlockNumberOrTag::Latest.into())
            .await?
            .map_or(0, |b| b.header.timestamp);
        let quote = RfqMarket::Quote {
            instrument,
            maker: request.maker_account,
            size,
            price,
            makerFee: U256::ZERO,
            takerFee: U256::ZERO,
            deadline: U256::from(now + 600),
            // Unique per quote: the clock to the nanosecond and what the quote is.
            nonce: U256::from_be_bytes(
                alloy::primitives::keccak256(format!(
                    "{}-{instrument}-{}-{}-{}",
                    std::time::SystemTime::now()
                        .duration_since(std::time::UNIX_EPOCH)
                        .map_or(0, |d| d.as_nanos()),
                    request.size,
                    request.taker_account,
                    request.maker_account
                ))
                .0,
            ),
        };
        // The vault lets a market trade an account only as its operator.
        let market_address = *market.address();
        if !vault
            .isOperator(request.maker_account, market_address)
            .call()
            .await?
        {
            bail!(
                "account {} has not approved the RFQ market {market_address}: its owner runs `keel account operator {} {market_address}`",
                request.maker_account,
                request.maker_account
            );
        }
        let mut sent = Vec::new();
        if !vault
            .isOperator(request.taker_account, market_address)
            .call()
            .await?
        {
            sent.push(
                self.set_operator(request.taker_account, market_address, true)
                    .await?,
            );
        }
        let digest = market
            .quoteDigest(quote.clone())
            .call()
            .await
            .map_err(|e| contract_error("quoteDigest", e))?;
        let signature = maker.sign_hash_sync(&digest)?;
        let call = RfqMarket::fillCall {
            quote,
            signature: signature.as_bytes().to_vec().into(),
            takerAccount: request.taker_account,
        };
        let what = format!(
            "{} {} {} at {} USD: account {} takes, account {} makes",
            request.size,
            request.kind,
            request.underlying,
            request.price,
            request.taker_account,
            request.maker_account
        );
        sent.push(self.send(what, market_address, call).await?);
        Ok(sent)
    }
}

/// What `keel oracle push` pushes (decimal strings, as a person writes them).
#[derive(Clone, Debug)]
pub struct ExpiryPush {
    /// The underlying's asset symbol.
    pub underlying: String,
    /// Expiry, Unix seconds.
    pub expiry: u64,
    /// Forward price, USD.
    pub forward: String,
    /// Annual rate.
    pub rate: String,
    /// Raw-SVI a, b, rho, m, sigma.
    pub svi: [String; 5],
    /// The feeder's confidence in [0, 1].
    pub confidence: String,
}

impl Session {
    /// `keel oracle push`: expiry data as a feeder, observed now, the SVI slice referenced to
    /// the forward and the time left to the expiry.
    pub async fn push_expiry(&self, push: &ExpiryPush) -> Result<Sent> {
        let adapter =
            IOracleAdapter::new(self.record.address("oracleAdapter")?, self.provider.clone());
        let underlying = self.token(&push.underlying)?;
        let now = self
            .provider
            .get_block(alloy::eips::BlockNumberOrTag::Latest.into())
            .await?
            .map_or(0, |b| b.header.timestamp);
        if push.expiry <= now {
            bail!(
                "EXPIRY: {} is not after the chain's time {now}",
                push.expiry
            );
        }
        let year = 365 * 86_400u64;
        let tau = U256::from(push.expiry - now) * U256::from(10u64.pow(18)) / U256::from(year);
        let forward = keel_deploy::config::wad("--forward", &push.forward)?;
        let names = ["--svi-a", "--svi-b", "--svi-rho", "--svi-m", "--svi-sigma"];
        let mut svi = [I256::ZERO; 5];
        for (i, (name, text)) in names.iter().zip(&push.svi).enumerate() {
            svi[i] = signed_wad(name, text)?;
        }
        let data = IOracleAdapter::ExpiryData {
            forward,
            rate: signed_wad("--rate", &push.rate)?,
            sviA: svi[0],
            sviB: svi[1],
            sviRho: svi[2],
            sviM: svi[3],
            sviSigma: svi[4],
            sviForward: forward,
            sviTau: tau,
            confidence: keel_deploy::config::wad("--confidence", &push.confidence)?,
            timestamp: now,
        };
        let call = IOracleAdapter::pushExpiryDataCall {
            underlying,
            expiry: push.expiry,
            data,
        };
        self.send(
            format!("push {} expiry {} data", push.underlying, push.expiry),
            *adapter.address(),
            call,
        )
        .await
    }
}

/// A signed decimal as a wad.
fn signed_wad(field: &str, text: &str) -> Result<I256> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let magnitude = I256::from_raw(keel_deploy::config::wad(field, body)?);
    Ok(if negative { -magnitude } else { magnitude })
}

/// `keel status`.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Status {
    /// Whether the vault is paused.
    pub paused: bool,
    /// Whether the sequencer is up (none: the adapter has no sequencer feed).
    pub sequencer_up: Option<bool>,
    /// Since when it is in that state.
    pub sequencer_since: Option<u64>,
    /// Each asset's feed and the age of its latest answer.
    pub feeds: Vec<FeedAge>,
    /// The insurance fund, USD.
    pub insurance_fund: String,
    /// Losses socialised so far, USD.
    pub socialised_loss: String,
    /// Accounts opened.
    pub accounts: u64,
    /// Accounts in auction.
    pub open_auctions: Vec<u64>,
}

/// A feed's freshness.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FeedAge {
    /// The asset.
    pub symbol: String,
    /// Its feed.
    pub feed: Address,
    /// Seconds since its latest answer (none: the feed did not answer).
    pub age_seconds: Option<u64>,
}

alloy::sol! {
    #[sol(rpc)]
    interface IErc20 {
        function approve(address spender, uint256 amount) external returns (bool);
        function allowance(address owner, address spender) external view returns (uint256);
    }
}

/// A failed view call, its revert decoded.
fn contract_error(what: &str, e: alloy::contract::Error) -> anyhow::Error {
    match e {
        alloy::contract::Error::TransportError(t) => explain(what, t),
        other => anyhow!("{what}: {other}"),
    }
}
