//! The world the sequences run in: Keel as `deploy/local.toml` deploys it (the real WASM
//! programs, Solidity tokens and feeds, the RFQ market) on a [`TestChain`], with five funded
//! accounts of different owners and modes, one option expiry with its data pushed, and every
//! account trading through the RFQ market. Prepared once; each sequence runs on a fork.

use std::collections::BTreeMap;

use alloy::primitives::{Address, B256, I256, U256};
use alloy::signers::local::PrivateKeySigner;
use alloy::signers::SignerSync;
use alloy::sol_types::SolCall;
use anyhow::{anyhow, bail, Context, Result};
use keel_chain::TestChain;
use keel_deploy::bindings::{IMarginVault, IOracleAdapter, RfqMarket, TestFeed, TestToken};
use keel_deploy::Record;

/// Gas per call: well above what any vault call needs.
pub const GAS: u64 = 60_000_000;
/// One wad.
pub const WAD: u128 = 1_000_000_000_000_000_000;

/// An instrument id's fields, as the vault reads them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstrumentInfo {
    pub underlying: Address,
    pub kind: u8,
    pub expiry: u64,
    pub strike: U256,
}

/// An account and the key that owns it.
#[derive(Clone, Debug)]
pub struct Actor {
    /// Its owner.
    pub key: PrivateKeySigner,
    /// Its vault account.
    pub account: U256,
    /// Its margin mode (0 isolated, 1 cross, 2 portfolio).
    pub mode: u8,
}

impl Actor {
    /// The owner's address.
    pub fn owner(&self) -> Address {
        self.key.address()
    }
}

/// Keel on a chain, and who acts on it.
pub struct World {
    /// The chain.
    pub chain: TestChain,
    /// The deployment.
    pub vault: Address,
    pub oracle: Address,
    pub rfq: Address,
    pub usdc: Address,
    pub weth: Address,
    pub wsteth: Address,
    pub eth_feed: Address,
    pub usdc_feed: Address,
    pub wsteth_feed: Address,
    pub wsteth_market_feed: Address,
    pub sequencer_feed: Address,
    pub guard: Address,
    /// Owner, risk admin, guardian and feeder of the deployment.
    pub admin: Address,
    /// The accounts: traders, the maker (index [`World::MAKER`]) and the keeper's
    /// ([`World::KEEPER`]).
    pub actors: Vec<Actor>,
    /// An operator of the first actor's account.
    pub operator: Address,
    /// Someone with no role.
    pub stranger: Address,
    /// The option expiry the sequences trade.
    pub expiry: u64,
    /// Instruments traded: the ETH perpetual, a call and a put on `expiry`.
    pub instruments: Vec<U256>,
    /// ETH's price now (whole USD).
    pub eth_usd: i64,
    /// The vol multiplier of the pushed slice (percent).
    pub vol_percent: u32,
    /// Tokens given to the vault outside its accounting (by symbol of token address).
    pub donated: BTreeMap<Address, U256>,
    /// Instruments read so far (an id's fields never change).
    pub instrument_info: BTreeMap<U256, InstrumentInfo>,
    /// Settlement-asset dust the vault may keep by now (wad; see the books check).
    pub cash_allowance: i128,
    nonce: u64,
}

fn key(n: u64) -> PrivateKeySigner {
    PrivateKeySigner::from_bytes(&B256::from(U256::from(0x6b65_656c_0000u64 + n)))
        .expect("a small scalar is a key")
}

impl World {
    /// The maker's index in [`World::actors`].
    pub const MAKER: usize = 3;
    /// The keeper's index in [`World::actors`].
    pub const KEEPER: usize = 4;

    /// Prepares the world on `chain`, where `record` is deployed.
    pub fn prepare(chain: TestChain, record: &Record) -> Result<World> {
        let asset = |symbol: &str| -> Result<&keel_deploy::record::LocalAsset> {
            record
                .assets
                .get(symbol)
                .ok_or_else(|| anyhow!("the deployment has no {symbol}"))
        };
        let token = |symbol: &str| -> Result<Address> {
            asset(symbol)?
                .token
                .ok_or_else(|| anyhow!("{symbol} has no local token"))
        };
        let feed = |symbol: &str| -> Result<Address> {
            asset(symbol)?
                .feed
                .ok_or_else(|| anyhow!("{symbol} has no local feed"))
        };
        let mut world = World {
            chain,
            vault: record.address("vault")?,
            oracle: record.address("oracleAdapter")?,
            rfq: record.address("rfqMarket")?,
            usdc: token("USDC")?,
            weth: token("WETH")?,
            wsteth: token("wstETH")?,
            eth_feed: feed("WETH")?,
            usdc_feed: feed("USDC")?,
            wsteth_feed: feed("wstETH")?,
            wsteth_market_feed: asset("wstETH")?
                .market_feed
                .ok_or_else(|| anyhow!("wstETH has no local market feed"))?,
            sequencer_feed: record
                .sequencer_feed
                .ok_or_else(|| anyhow!("the deployment has no local sequencer feed"))?,
            guard: record.address("depegGuard")?,
            admin: record.deployer,
            actors: Vec::new(),
            operator: key(100).address(),
            stranger: key(101).address(),
            expiry: 0,
            instruments: Vec::new(),
            eth_usd: 2_000,
            vol_percent: 100,
            donated: BTreeMap::new(),
            instrument_info: BTreeMap::new(),
            cash_allowance: 0,
            nonce: 0,
        };
        for who in [world.admin, world.operator, world.stranger] {
            world
                .chain
                .set_balance(who, U256::from(WAD) * U256::from(1_000u64));
        }
        world.refresh_feeds()?;
        // Traders of each mode, the maker and the keeper.
        let accounts: [(u8, u64); 5] = [
            (2, 20_000),
            (1, 10_000),
            (2, 5_000),
            (2, 50_000_000),
            (2, 5_000_000),
        ];
        for (n, (mode, usd)) in accounts.into_iter().enumerate() {
            let key = key(n as u64 + 1);
            world
                .chain
                .set_balance(key.address(), U256::from(WAD) * U256::from(1_000u64));
            let id = world.view(world.vault, IMarginVault::accountCountCall {})? + U256::from(1);
            world.must(
                key.address(),
                world.vault,
                IMarginVault::openAccountCall { mode },
            )?;
            world.must(
                key.address(),
                world.vault,
                IMarginVault::setOperatorCall {
                    id,
                    operator: world.rfq,
                    approved: true,
                },
            )?;
            world.actors.push(Actor {
                key,
                account: id,
                mode,
            });
            world.fund(n, world.usdc, U256::from(usd) * U256::from(1_000_000u64))?;
        }
        let first = world.actors[0].clone();
        world.must(
            first.owner(),
            world.vault,
            IMarginVault::setOperatorCall {
                id: first.account,
                operator: world.operator,
                approved: true,
            },
        )?;
        // One week out, on the hour.
        let now = world.now();
        world.expiry = (now + 7 * 86_400) / 3_600 * 3_600;
        world.push_expiry()?;
        let strike = U256::from(2_000u64) * U256::from(WAD);
        for (kind, expiry, strike) in [
            (0u8, 0u64, U256::ZERO),
            (1, world.expiry, strike),
            (2, world.expiry, strike),
        ] {
            let id = world.view(
                world.vault,
                IMarginVault::instrumentIdCall {
                    underlying: world.weth,
                    kind,
                    expiry,
                    strike,
                },
            )?;
            world.instruments.push(id);
        }
        Ok(world)
    }

    /// An independent copy (the compiled programs shared).
    pub fn fork(&self) -> World {
        World {
            chain: self.chain.fork(),
            actors: self.actors.clone(),
            instruments: self.instruments.clone(),
            donated: self.donated.clone(),
            instrument_info: self.instrument_info.clone(),
            ..*self
        }
    }

    /// The LST depeg guard.
    pub fn depeg_guard(&self) -> Address {
        self.guard
    }

    /// The chain's clock.
    pub fn now(&self) -> u64 {
        self.chain.block().timestamp
    }

    /// Moves the clock (and the block number) forward.
    pub fn warp(&mut self, seconds: u64) {
        let mut block = self.chain.block();
        block.timestamp += seconds;
        block.number += 1 + seconds / 12;
        self.chain.set_block(block);
    }

    /// Sends `call` from `from` to `to`: its output, or its revert data.
    pub fn send<C: SolCall>(
        &mut self,
        from: Address,
        to: Address,
        call: C,
    ) -> Result<Vec<u8>, Vec<u8>> {
        let outcome = self
            .chain
            .call(from, to, &call.abi_encode(), U256::ZERO, GAS);
        match outcome.result() {
            Ok(out) => Ok(out.to_vec()),
            Err(data) => Err(data.to_vec()),
        }
    }

    /// [`World::send`] that must succeed (set-up).
    pub fn must<C: SolCall>(&mut self, from: Address, to: Address, call: C) -> Result<()> {
        let name = C::SIGNATURE;
        self.send(from, to, call)
            .map(drop)
            .map_err(|data| anyhow!("{name}: {}", describe(&data)))
    }

    /// A view's answer.
    pub fn view<C: SolCall>(&mut self, to: Address, call: C) -> Result<C::Return> {
        let outcome = self
            .chain
            .static_call(Address::ZERO, to, &call.abi_encode(), GAS);
        match outcome.result() {
            Ok(out) => C::abi_decode_returns(out).with_context(|| C::SIGNATURE),
            Err(data) => bail!("{}: {}", C::SIGNATURE, describe(data)),
        }
    }

    /// Instrument `id`'s fields (read once).
    pub fn instrument(&mut self, id: U256) -> Result<InstrumentInfo, String> {
        if let Some(known) = self.instrument_info.get(&id) {
            return Ok(*known);
        }
        let i = self
            .view(self.vault, IMarginVault::instrumentCall { id })
            .map_err(|e| e.to_string())?;
        let info = InstrumentInfo {
            underlying: i.underlying,
            kind: i.kind,
            expiry: i.expiry,
            strike: i.strike,
        };
        self.instrument_info.insert(id, info);
        Ok(info)
    }

    /// A view's raw outcome: its output or its revert data.
    pub fn try_view<C: SolCall>(&mut self, to: Address, call: C) -> Result<C::Return, Vec<u8>> {
        let outcome = self
            .chain
            .static_call(Address::ZERO, to, &call.abi_encode(), GAS);
        match outcome.result() {
            Ok(out) => C::abi_decode_returns(out).map_err(|_| out.to_vec()),
            Err(data) => Err(data.to_vec()),
        }
    }

    /// Mints `amount` of `token` to actor `n`'s owner and deposits it into its account.
    pub fn fund(&mut self, n: usize, token: Address, amount: U256) -> Result<()> {
        let actor = self.actors[n].clone();
        self.must(
            actor.owner(),
            token,
            TestToken::mintCall {
                to: actor.owner(),
                amount,
            },
        )?;
        self.must(
            actor.owner(),
            token,
            TestToken::approveCall {
                spender: self.vault,
                amount: U256::MAX,
            },
        )?;
        self.must(
            actor.owner(),
            self.vault,
            IMarginVault::depositCall {
                id: actor.account,
                asset: token,
                amount,
            },
        )
    }

    /// A new round on `feed` at the chain's time.
    pub fn set_round(&mut self, feed: Address, answer: I256) -> Result<()> {
        let now = U256::from(self.now());
        self.must(
            self.admin,
            feed,
            TestFeed::setRoundCall {
                answer,
                startedAt: now,
                updatedAt: now,
            },
        )
    }

    /// Republishes every price at the current values (8-decimal USD feeds; the depeg guard's
    /// 18-decimal rate and market feeds keep their last answers unless set).
    pub fn refresh_feeds(&mut self) -> Result<()> {
        let e8 = |usd: i64| {
            I256::try_from(usd).unwrap_or_default()
                * I256::try_from(100_000_000i64).unwrap_or_default()
        };
        self.set_round(self.eth_feed, e8(self.eth_usd))?;
        self.set_round(self.usdc_feed, e8(1))?;
        // wstETH at 1.15 ETH.
        let wsteth = I256::try_from(self.eth_usd * 115).unwrap_or_default()
            * I256::try_from(1_000_000i64).unwrap_or_default();
        self.set_round(self.wsteth_feed, wsteth)
    }

    /// Pushes the expiry's data: forward at the spot, SVI at the vol multiplier.
    pub fn push_expiry(&mut self) -> Result<()> {
        let now = self.now();
        if self.expiry <= now {
            return Ok(());
        }
        let wad = U256::from(WAD);
        let forward = U256::from(self.eth_usd as u64) * wad;
        let tau = U256::from(self.expiry - now) * wad / U256::from(365 * 86_400u64);
        // Total variance a + b·σ at the money: (0.7 · vol%)² · τ.
        let vol = 7 * u128::from(self.vol_percent); // thousandths
        let variance = U256::from(vol * vol) * tau / U256::from(1_000_000u64);
        let sigma = wad / U256::from(10u64);
        let half = variance / U256::from(2u64);
        let b = (variance - half) * wad / sigma;
        let data = IOracleAdapter::ExpiryData {
            forward,
            rate: I256::ZERO,
            sviA: I256::from_raw(half),
            sviB: I256::from_raw(b),
            sviRho: I256::ZERO,
            sviM: I256::ZERO,
            sviSigma: I256::from_raw(sigma),
            sviForward: forward,
            sviTau: tau,
            confidence: wad,
            timestamp: now,
        };
        self.must(
            self.admin,
            self.oracle,
            IOracleAdapter::pushExpiryDataCall {
                underlying: self.weth,
                expiry: self.expiry,
                data,
            },
        )
    }

    /// `taker` takes `size` (wad, signed) of instrument `instrument` from `maker` at `price`
    /// (wad USD) through the RFQ market, the maker signing the quote.
    pub fn trade(
        &mut self,
        taker: usize,
        maker: usize,
        instrument: U256,
        size: I256,
        price: U256,
    ) -> Result<Vec<u8>, Vec<u8>> {
        self.nonce += 1;
        let quote = RfqMarket::Quote {
            instrument,
            maker: self.actors[maker].account,
            size,
            price,
            makerFee: U256::ZERO,
            takerFee: U256::from(WAD),
            deadline: U256::from(self.now() + 600),
            nonce: U256::from(self.nonce),
        };
        let digest = self
            .try_view(
                self.rfq,
                RfqMarket::quoteDigestCall {
                    quote: quote.clone(),
                },
            )
            .map_err(|e| e.clone())?;
        let signature = self.actors[maker]
            .key
            .sign_hash_sync(&digest)
            .map_err(|e| e.to_string().into_bytes())?;
        let taker_actor = self.actors[taker].clone();
        self.send(
            taker_actor.owner(),
            self.rfq,
            RfqMarket::fillCall {
                quote,
                signature: signature.as_bytes().to_vec().into(),
                takerAccount: taker_actor.account,
            },
        )
    }
}

/// Revert data as a person reads it: the named error, or the bytes.
pub fn describe(data: &[u8]) -> String {
    keel_deploy::errors::decode_revert(data).unwrap_or_else(|| {
        if data.is_empty() {
            "empty revert".to_string()
        } else {
            format!("0x{}", alloy::primitives::hex::encode(data))
        }
    })
}
