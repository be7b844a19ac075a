//! Faults and hostile counterparts: each a scenario on a fork of the [`World`] with its
//! defined outcome, run against the real programs with Solidity feeds and tokens that
//! misbehave on demand (`fuzz/sol/`).
//!
//! * **Oracle** — the ETH feed stale, zero, negative, from the future, with a jump beyond the
//!   deviation limit, changing its decimals, reverting, burning all its gas or returning
//!   short data; the sequencer down and in its grace period.
//! * **Tokens** — fee on transfer, rebasing up and down, re-entrant `transferFrom` and
//!   `transfer`, returning `false` or nothing, blacklisting the vault, paused, 0 and 24
//!   decimals, a huge revert reason.
//! * **Depeg guard** — its fundamental rate feed stale or reverting, a rate above the CAPO
//!   cap, an ERC-4626 share price inflated by a donation in the same transaction as the read.
//! * **Gas** — the largest account the limits allow (every position, expiry and collateral
//!   slot filled): its margin check, an expiry's settlement, its auction and a bid for half of
//!   it, each within Arbitrum's block gas limit and Nitro's stack budget, with the gas used.
//!
//! Every scenario checks what its documentation promises: the named error, the lowered
//! confidence, the capped rate, exact accounting or a named refusal that leaves every
//! balance as it was; and that deposits and liquidation stay possible where the contracts
//! say so (the sequencer never blocks them; invalid prices do, as there is no safe value).
//! Each check is one [`Row`] of the outcome table.

use alloy::primitives::{Address, I256, U256};
use alloy::sol;
use alloy::sol_types::SolCall;
use anyhow::{anyhow, Context, Result};
use keel_deploy::bindings::{ILstDepegGuard, IMarginVault, IOracleAdapter, TestFeed, TestToken};
use serde::Serialize;

use crate::world::{describe, World, GAS, WAD};

sol! {
    /// `fuzz/sol/HostileToken.sol`.
    interface HostileToken {
        function mint(address to, uint256 amount) external;
        function setBehaviour(uint8 behaviour, uint256 revertSize) external;
        function setBlacklisted(address account, bool listed) external;
        function rebase(uint256 index) external;
        function approve(address spender, uint256 amount) external returns (bool);
        function balanceOf(address account) external view returns (uint256);
    }

    /// `fuzz/sol/HostileFeed.sol`.
    interface HostileFeed {
        function setRound(int256 answer, uint256 updatedAt) external;
        function setDecimals(uint8 decimals) external;
        function setBehaviour(uint8 behaviour) external;
    }

    /// `fuzz/sol/DonatableVault.sol`.
    interface DonatableVault {
        function donateAndAssess(uint256 amount, address guard, address guarded) external returns (bytes memory);
    }

    /// `solidity/TestToken.sol`'s fee and hook.
    interface TestTokenFaults {
        function setFee(uint16 bps) external;
        function setHook(address target, bytes calldata data) external;
        function lastHookResult() external view returns (bool ok, bytes memory data);
    }
}

/// Creation code of the hostile contracts (`fuzz/sol/`), compiled by the caller.
#[derive(Clone, Debug)]
pub struct HostileCode {
    /// `HostileToken` (constructor `(uint8 decimals)` appended by [`run`]).
    pub token: Vec<u8>,
    /// `HostileFeed` (constructor `(uint8 decimals)`).
    pub feed: Vec<u8>,
    /// `DonatableVault` (constructor `(address asset, uint8 decimals, uint256 assets, uint256
    /// shares)`).
    pub share_vault: Vec<u8>,
}

/// The Solidity sources of [`HostileCode`], relative to the repository root.
pub const SOURCES: &[&str] = &[
    "fuzz/sol/HostileToken.sol",
    "fuzz/sol/HostileFeed.sol",
    "fuzz/sol/DonatableVault.sol",
];

/// One checked outcome.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Row {
    /// Oracle, token or guard.
    pub group: &'static str,
    /// The fault.
    pub fault: &'static str,
    /// What was tried under it.
    pub action: &'static str,
    /// The defined outcome.
    pub expected: String,
    /// What happened.
    pub observed: String,
    /// Whether it matched.
    pub held: bool,
    /// Gas of the call (when one was sent).
    pub gas: Option<u64>,
}

/// The token behaviours of `HostileToken.sol`.
mod behaviour {
    pub const RETURNS_FALSE: u8 = 1;
    pub const RETURNS_NOTHING: u8 = 2;
    pub const PAUSED: u8 = 3;
    pub const HUGE_REVERT: u8 = 4;
}

/// The feed behaviours of `HostileFeed.sol`.
mod feed_behaviour {
    pub const REVERTS: u8 = 1;
    pub const BURNS_GAS: u8 = 2;
    pub const SHORT_DATA: u8 = 3;
}

/// A call's outcome: its output or its revert, and its gas.
struct Sent {
    result: Result<Vec<u8>, Vec<u8>>,
    gas: u64,
}

impl Sent {
    fn text(&self) -> String {
        match &self.result {
            Ok(_) => "ok".into(),
            Err(data) => describe(data),
        }
    }

    /// Whether it reverted with the error `name`.
    fn reverted_with(&self, name: &str) -> bool {
        matches!(&self.result, Err(data) if describe(data).starts_with(&format!("{name}(")))
    }
}

/// Where the scenarios start: the world with an account holding ETH risk (trader 0, long one
/// ETH perpetual) and one below maintenance margin (trader 2, levered long, then ETH fell).
struct Stage {
    world: World,
    holder: usize,
    underwater: usize,
}

impl World {
    fn sent<C: SolCall>(&mut self, from: Address, to: Address, call: C) -> Sent {
        let outcome = self
            .chain
            .call(from, to, &call.abi_encode(), U256::ZERO, GAS);
        Sent {
            result: outcome.result().map(<[u8]>::to_vec).map_err(<[u8]>::to_vec),
            gas: outcome.gas_used,
        }
    }

    fn create(&mut self, init: &[u8], args: &[u8]) -> Result<Address> {
        let mut code = init.to_vec();
        code.extend_from_slice(args);
        let (address, outcome) = self.chain.create(self.admin, &code, U256::ZERO, GAS);
        address.ok_or_else(|| anyhow!("creation failed: {}", describe(&outcome.return_data)))
    }

    fn usdc_deposit(&mut self, n: usize, amount: u64) -> Sent {
        let id = self.actors[n].account;
        let owner = self.actors[n].owner();
        let usdc = self.usdc;
        let units = U256::from(amount) * U256::from(1_000_000u64);
        self.sent(
            owner,
            usdc,
            TestToken::mintCall {
                to: owner,
                amount: units,
            },
        );
        self.sent(
            owner,
            self.vault,
            IMarginVault::depositCall {
                id,
                asset: usdc,
                amount: units,
            },
        )
    }

    fn start_auction(&mut self, n: usize) -> Sent {
        let id = self.actors[n].account;
        self.sent(
            self.stranger,
            self.vault,
            IMarginVault::startAuctionCall { id },
        )
    }

    fn perp_trade(&mut self, n: usize, size: i64) -> Sent {
        let instrument = self.instruments[0];
        let price = U256::from(self.eth_usd as u64) * U256::from(WAD);
        let size =
            I256::try_from(size).unwrap_or_default() * I256::try_from(WAD).unwrap_or_default();
        let result = self.trade(n, World::MAKER, instrument, size, price);
        Sent { result, gas: 0 }
    }
}

fn row(
    group: &'static str,
    fault: &'static str,
    action: &'static str,
    expected: impl Into<String>,
    observed: impl Into<String>,
    held: bool,
    gas: Option<u64>,
) -> Row {
    Row {
        group,
        fault,
        action,
        expected: expected.into(),
        observed: observed.into(),
        held,
        gas,
    }
}

/// `sent` must revert with `name`.
fn named(
    group: &'static str,
    fault: &'static str,
    action: &'static str,
    name: &str,
    sent: &Sent,
) -> Row {
    row(
        group,
        fault,
        action,
        format!("{name}(…)"),
        sent.text(),
        sent.reverted_with(name),
        Some(sent.gas),
    )
}

/// `sent` must succeed.
fn succeeds(group: &'static str, fault: &'static str, action: &'static str, sent: &Sent) -> Row {
    row(
        group,
        fault,
        action,
        "succeeds",
        sent.text(),
        sent.result.is_ok(),
        Some(sent.gas),
    )
}

fn e8(usd: i64) -> I256 {
    I256::try_from(usd).unwrap_or_default() * I256::try_from(100_000_000i64).unwrap_or_default()
}

fn wad(x: u128) -> U256 {
    U256::from(x) * U256::from(WAD)
}

/// Runs every scenario on forks of `base`: the outcome table's rows, in order (an error only
/// when a scenario could not be set up).
pub fn run(base: &World, code: &HostileCode) -> Result<Vec<Row>> {
    let stage = stage(base).context("setting the stage")?;
    let mut rows = Vec::new();
    oracle(&stage, code, &mut rows).context("oracle faults")?;
    tokens(&stage, code, &mut rows).context("token faults")?;
    guard(&stage, code, &mut rows).context("depeg guard faults")?;
    largest_account(&stage, code, &mut rows).context("the largest account")?;
    Ok(rows)
}

/// Trader 0 long one ETH perpetual; trader 2 levered long until ETH's fall puts it below
/// maintenance margin (no auction yet).
fn stage(base: &World) -> Result<Stage> {
    let mut world = base.fork();
    world
        .perp_trade(0, 1)
        .result
        .map_err(|e| anyhow!("trader 0's trade: {}", describe(&e)))?;
    world
        .perp_trade(2, 10)
        .result
        .map_err(|e| anyhow!("trader 2's trade: {}", describe(&e)))?;
    let id = world.actors[2].account;
    while world
        .view(world.vault, IMarginVault::marginCall { id })?
        .maintenanceMargin
        >= I256::ZERO
    {
        world.eth_usd -= 50;
        if world.eth_usd < 500 {
            return Err(anyhow!("trader 2 never fell below maintenance margin"));
        }
        world.refresh_feeds()?;
    }
    Ok(Stage {
        world,
        holder: 0,
        underwater: 2,
    })
}

/// What every invalid-price fault is checked for: the adapter's named error, a trade refused
/// by the vault, deposits still taken, and liquidation waiting for a valid price.
fn invalid_price(
    stage: &Stage,
    fault: &'static str,
    adapter_error: &str,
    rows: &mut Vec<Row>,
    break_feed: impl FnOnce(&mut World) -> Result<()>,
) -> Result<()> {
    let mut w = stage.world.fork();
    break_feed(&mut w)?;
    let weth = w.weth;
    let read = w.sent(
        w.admin,
        w.oracle,
        IOracleAdapter::getPriceCall { asset: weth },
    );
    rows.push(named(
        "oracle",
        fault,
        "getPrice(WETH)",
        adapter_error,
        &read,
    ));
    under_fault(
        &mut w,
        stage,
        fault,
        Some("OracleCallFailed"),
        Some("OracleCallFailed"),
        rows,
    );
    Ok(())
}

/// Under `fault`: a trade by the ETH holder refused with `trade_error` (not tried without
/// one), a USDC deposit (always taken) and `startAuction` on the account below maintenance
/// margin (refused with `auction_error`, or succeeding).
fn under_fault(
    w: &mut World,
    stage: &Stage,
    fault: &'static str,
    trade_error: Option<&str>,
    auction_error: Option<&str>,
    rows: &mut Vec<Row>,
) {
    let expect = |action: &'static str, error: Option<&str>, sent: &Sent| match error {
        Some(name) => named("oracle", fault, action, name, sent),
        None => succeeds("oracle", fault, action, sent),
    };
    if let Some(error) = trade_error {
        let trade = w.perp_trade(stage.holder, 1);
        rows.push(expect("trade ETH perpetual", Some(error), &trade));
    }
    let deposit = w.usdc_deposit(stage.holder, 100);
    rows.push(expect("deposit USDC", None, &deposit));
    let auction = w.start_auction(stage.underwater);
    rows.push(expect(
        "startAuction (below maintenance)",
        auction_error,
        &auction,
    ));
}

fn oracle(stage: &Stage, code: &HostileCode, rows: &mut Vec<Row>) -> Result<()> {
    let base = &stage.world;
    let limit = {
        let mut w = base.fork();
        let weth = w.weth;
        w.view(w.oracle, IOracleAdapter::assetConfigCall { asset: weth })?
            .config
            .stalenessLimit
    };
    let eth = e8(base.eth_usd);
    let round = |w: &mut World, answer: I256, updated: u64| -> Result<()> {
        let feed = w.eth_feed;
        w.must(
            w.admin,
            feed,
            TestFeed::setRoundCall {
                answer,
                startedAt: U256::from(updated),
                updatedAt: U256::from(updated),
            },
        )
    };
    invalid_price(stage, "stale price", "StaleData", rows, |w| {
        let old = w.now() - limit - 1;
        round(w, eth, old)
    })?;
    invalid_price(stage, "zero price", "NonPositiveAnswer", rows, |w| {
        let now = w.now();
        round(w, I256::ZERO, now)
    })?;
    invalid_price(stage, "negative price", "NonPositiveAnswer", rows, |w| {
        let now = w.now();
        round(w, I256::MINUS_ONE, now)
    })?;
    invalid_price(stage, "future timestamp", "FutureTimestamp", rows, |w| {
        let later = w.now() + 600;
        round(w, eth, later)
    })?;

    // A hostile primary in place of the ETH feed, configured while it behaved.
    let hostile = |w: &mut World, secondary: Address| -> Result<Address> {
        let feed = w.create(&code.feed, &U256::from(8u8).to_be_bytes::<32>())?;
        let now = w.now();
        w.must(
            w.admin,
            feed,
            HostileFeed::setRoundCall {
                answer: eth,
                updatedAt: U256::from(now),
            },
        )?;
        let weth = w.weth;
        let mut config = w
            .view(w.oracle, IOracleAdapter::assetConfigCall { asset: weth })?
            .config;
        config.primary = feed;
        config.secondary = secondary;
        config.secondaryStalenessLimit = config.stalenessLimit;
        w.must(
            w.admin,
            w.oracle,
            IOracleAdapter::setAssetCall {
                asset: weth,
                config,
            },
        )?;
        Ok(feed)
    };
    for (fault, behaviour, error) in [
        ("feed reverts", feed_behaviour::REVERTS, "FeedCallFailed"),
        (
            "feed burns all its gas",
            feed_behaviour::BURNS_GAS,
            "FeedCallFailed",
        ),
        (
            "feed returns short data",
            feed_behaviour::SHORT_DATA,
            "FeedMalformedReturn",
        ),
    ] {
        invalid_price(stage, fault, error, rows, |w| {
            let feed = hostile(w, Address::ZERO)?;
            w.must(w.admin, feed, HostileFeed::setBehaviourCall { behaviour })
        })?;
    }
    invalid_price(
        stage,
        "feed changes its decimals",
        "FeedDecimalsChanged",
        rows,
        |w| {
            let feed = hostile(w, Address::ZERO)?;
            let now = w.now();
            w.must(w.admin, feed, HostileFeed::setDecimalsCall { decimals: 18 })?;
            w.must(
                w.admin,
                feed,
                HostileFeed::setRoundCall {
                    answer: eth * I256::try_from(10_000_000_000i64).unwrap_or_default(),
                    updatedAt: U256::from(now),
                },
            )
        },
    )?;

    // A 30 % fall of the primary away from a secondary, beyond the 5 % deviation limit: the
    // primary's price at a lowered confidence, never a revert, so liquidation goes on.
    {
        let fault = "primary falls 30 % from the secondary (limit 5 %)";
        let mut w = base.fork();
        let secondary = w.create(&code.feed, &U256::from(8u8).to_be_bytes::<32>())?;
        let now = w.now();
        w.must(
            w.admin,
            secondary,
            HostileFeed::setRoundCall {
                answer: eth,
                updatedAt: U256::from(now),
            },
        )?;
        let primary = hostile(&mut w, secondary)?;
        let fallen = eth * I256::try_from(7i64).unwrap_or_default()
            / I256::try_from(10i64).unwrap_or_default();
        w.must(
            w.admin,
            primary,
            HostileFeed::setRoundCall {
                answer: fallen,
                updatedAt: U256::from(now),
            },
        )?;
        let weth = w.weth;
        let read = w.try_view(w.oracle, IOracleAdapter::getPriceCall { asset: weth });
        let primary_wad = U256::from(fallen.into_raw()) * U256::from(10_000_000_000u64);
        let (observed, held) = match &read {
            Ok(r) => (
                format!(
                    "price {}, confidence {}",
                    fmt_wad(r.price),
                    fmt_wad(r.confidence)
                ),
                r.confidence < U256::from(WAD) && r.price == primary_wad,
            ),
            Err(e) => (describe(e), false),
        };
        rows.push(row(
            "oracle",
            fault,
            "getPrice(WETH)",
            "the primary's price, confidence below 1",
            observed,
            held,
            None,
        ));
        under_fault(&mut w, stage, fault, None, None, rows);
    }

    // The sequencer: down, then back up within its grace period. New risk waits; deposits and
    // liquidation do not.
    for (fault, answer, since) in [
        ("sequencer down", 1i64, 60u64),
        ("sequencer in grace", 0, 60),
    ] {
        let mut w = base.fork();
        let started = w.now() - since;
        let sequencer = w.sequencer_feed;
        w.must(
            w.admin,
            sequencer,
            TestFeed::setRoundCall {
                answer: I256::try_from(answer).unwrap_or_default(),
                startedAt: U256::from(started),
                updatedAt: U256::from(started),
            },
        )?;
        under_fault(
            &mut w,
            stage,
            fault,
            Some("SequencerUnavailable"),
            None,
            rows,
        );
    }
    Ok(())
}

/// A hostile token listed as collateral at $1 (priced by a behaving `HostileFeed`), its
/// owner trader 0 holding `minted` and having approved the vault.
fn listed_token(w: &mut World, code: &HostileCode, decimals: u8, minted: U256) -> Result<Address> {
    listed_token_of(w, code, decimals, minted, 0)
}

fn listed_token_of(
    w: &mut World,
    code: &HostileCode,
    decimals: u8,
    minted: U256,
    holder: usize,
) -> Result<Address> {
    let token = w.create(&code.token, &U256::from(decimals).to_be_bytes::<32>())?;
    let feed = w.create(&code.feed, &U256::from(8u8).to_be_bytes::<32>())?;
    let now = w.now();
    w.must(
        w.admin,
        feed,
        HostileFeed::setRoundCall {
            answer: e8(1),
            updatedAt: U256::from(now),
        },
    )?;
    let usdc = w.usdc;
    let mut config = w
        .view(w.oracle, IOracleAdapter::assetConfigCall { asset: usdc })?
        .config;
    config.primary = feed;
    w.must(
        w.admin,
        w.oracle,
        IOracleAdapter::setAssetCall {
            asset: token,
            config,
        },
    )?;
    w.must(
        w.admin,
        w.vault,
        IMarginVault::listCollateralCall {
            asset: token,
            params: IMarginVault::CollateralParams {
                imHaircut: U256::from(WAD / 10),
                mmHaircut: U256::from(WAD / 20),
                assetCap: wad(1_000_000_000),
                accountCap: wad(1_000_000_000),
                riskCancellingUnderlying: Address::ZERO,
                depegGuarded: false,
            },
        },
    )?;
    let owner = w.actors[holder].owner();
    w.must(
        owner,
        token,
        HostileToken::mintCall {
            to: owner,
            amount: minted,
        },
    )?;
    w.must(
        owner,
        token,
        HostileToken::approveCall {
            spender: w.vault,
            amount: U256::MAX,
        },
    )?;
    Ok(token)
}

/// What the vault, the owner and the books hold of `token`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Holdings {
    vault: U256,
    owner: U256,
    credited: U256,
}

impl World {
    fn holdings(&mut self, token: Address) -> Result<Holdings> {
        let owner = self.actors[0].owner();
        let id = self.actors[0].account;
        let vault = self.vault;
        Ok(Holdings {
            vault: self.view(token, HostileToken::balanceOfCall { account: vault })?,
            owner: self.view(token, HostileToken::balanceOfCall { account: owner })?,
            credited: self.view(
                vault,
                IMarginVault::collateralBalanceCall { id, asset: token },
            )?,
        })
    }

    fn deposit_token(&mut self, token: Address, amount: U256) -> Sent {
        let id = self.actors[0].account;
        let owner = self.actors[0].owner();
        self.sent(
            owner,
            self.vault,
            IMarginVault::depositCall {
                id,
                asset: token,
                amount,
            },
        )
    }

    fn withdraw_token(&mut self, token: Address, amount: U256) -> Sent {
        let id = self.actors[0].account;
        let owner = self.actors[0].owner();
        self.sent(
            owner,
            self.vault,
            IMarginVault::withdrawCall {
                id,
                asset: token,
                amount,
                to: owner,
            },
        )
    }
}

/// Token amounts: `whole` tokens of `decimals`.
fn units(whole: u64, decimals: u8) -> U256 {
    U256::from(whole) * U256::from(10u8).pow(U256::from(decimals))
}

fn tokens(stage: &Stage, code: &HostileCode, rows: &mut Vec<Row>) -> Result<()> {
    let base = &stage.world;
    let thousand = units(1_000, 18);

    // Refusals: the deposit refused by name and nothing moved or credited.
    for (fault, behaviour, size, error) in [
        (
            "returns false",
            behaviour::RETURNS_FALSE,
            0u64,
            "TokenBadReturn",
        ),
        ("paused", behaviour::PAUSED, 0, "TokenCallFailed"),
        (
            "reverts with a 100 kB reason",
            behaviour::HUGE_REVERT,
            100_000,
            "TokenCallFailed",
        ),
    ] {
        let mut w = base.fork();
        let token = listed_token(&mut w, code, 18, thousand)?;
        let before = w.holdings(token)?;
        w.must(
            w.admin,
            token,
            HostileToken::setBehaviourCall {
                behaviour,
                revertSize: U256::from(size),
            },
        )?;
        let deposit = w.deposit_token(token, thousand);
        let mut r = named("token", fault, "deposit", error, &deposit);
        let after = w.holdings(token)?;
        if after != before {
            r.held = false;
            r.observed += &format!("; holdings moved: {before:?} → {after:?}");
        }
        rows.push(r);
    }

    // Returns nothing (USDT-style): taken as success, exact both ways.
    {
        let mut w = base.fork();
        let token = listed_token(&mut w, code, 18, thousand)?;
        w.must(
            w.admin,
            token,
            HostileToken::setBehaviourCall {
                behaviour: behaviour::RETURNS_NOTHING,
                revertSize: U256::ZERO,
            },
        )?;
        let deposit = w.deposit_token(token, thousand);
        let mid = w.holdings(token)?;
        let withdraw = w.withdraw_token(token, thousand);
        let end = w.holdings(token)?;
        let held = deposit.result.is_ok()
            && mid.credited == thousand
            && mid.vault == thousand
            && withdraw.result.is_ok()
            && end.owner == thousand
            && end.credited.is_zero();
        rows.push(row(
            "token",
            "returns nothing",
            "deposit 1,000 then withdraw 1,000",
            "both succeed; credited 1,000, then everything back",
            format!(
                "deposit {}, withdraw {}; {mid:?} → {end:?}",
                deposit.text(),
                withdraw.text()
            ),
            held,
            Some(deposit.gas),
        ));
    }

    // Blacklisting the vault after a deposit: the withdrawal is refused by name, the balance
    // stays credited, and it is paid once the blacklist is lifted.
    {
        let mut w = base.fork();
        let token = listed_token(&mut w, code, 18, thousand)?;
        let _ = w.deposit_token(token, thousand);
        let vault = w.vault;
        w.must(
            w.admin,
            token,
            HostileToken::setBlacklistedCall {
                account: vault,
                listed: true,
            },
        )?;
        let refused = w.withdraw_token(token, thousand);
        let during = w.holdings(token)?;
        let deposit = w.deposit_token(token, U256::from(1u8));
        w.must(
            w.admin,
            token,
            HostileToken::setBlacklistedCall {
                account: vault,
                listed: false,
            },
        )?;
        let paid = w.withdraw_token(token, thousand);
        let end = w.holdings(token)?;
        let mut r = named(
            "token",
            "blacklists the vault",
            "withdraw while blacklisted",
            "TokenCallFailed",
            &refused,
        );
        if during.credited != thousand {
            r.held = false;
            r.observed += "; the refused withdrawal changed the balance";
        }
        rows.push(r);
        rows.push(named(
            "token",
            "blacklists the vault",
            "deposit while blacklisted",
            "TokenCallFailed",
            &deposit,
        ));
        rows.push(row(
            "token",
            "blacklists the vault",
            "withdraw after the blacklist is lifted",
            "succeeds; everything back",
            format!("{}; {end:?}", paid.text()),
            paid.result.is_ok() && end.owner == thousand && end.credited.is_zero(),
            Some(paid.gas),
        ));
    }

    // Rebasing: the vault credits what arrived; a rebase up stays in the vault (the owner is
    // owed what was credited), a rebase down leaves the vault short, and a withdrawal beyond
    // what it holds is refused by name with the credit intact.
    for (fault, index) in [("rebases up 10 %", 11u128), ("rebases down 10 %", 9)] {
        let mut w = base.fork();
        let token = listed_token(&mut w, code, 18, thousand)?;
        let _ = w.deposit_token(token, thousand);
        w.must(
            w.admin,
            token,
            HostileToken::rebaseCall {
                index: U256::from(WAD / 10 * index),
            },
        )?;
        let all = w.withdraw_token(token, thousand);
        let after = w.holdings(token)?;
        if index > 10 {
            rows.push(row(
                "token",
                fault,
                "withdraw everything credited",
                "succeeds; the rebase's 100 stays in the vault",
                format!("{}; {after:?}", all.text()),
                all.result.is_ok() && after.credited.is_zero() && after.vault == units(100, 18),
                Some(all.gas),
            ));
        } else {
            let mut r = named(
                "token",
                fault,
                "withdraw everything credited",
                "TokenCallFailed",
                &all,
            );
            if after.credited != thousand {
                r.held = false;
                r.observed += "; the refused withdrawal changed the balance";
            }
            rows.push(r);
            let part = w.withdraw_token(token, units(900, 18));
            let end = w.holdings(token)?;
            rows.push(row(
                "token",
                fault,
                "withdraw what the vault holds (900)",
                "succeeds; 100 stays credited and unpaid",
                format!("{}; {end:?}", part.text()),
                part.result.is_ok() && end.credited == units(100, 18) && end.vault.is_zero(),
                Some(part.gas),
            ));
        }
    }

    // Decimals 0 and 24: 18-decimal books, rounding toward the vault.
    for (fault, decimals, deposit_units, withdraw_units) in [
        ("0 decimals", 0u8, U256::from(5u8), U256::from(5u8)),
        (
            "24 decimals",
            24,
            units(1, 24) + U256::from(7u8),
            units(1, 24),
        ),
    ] {
        let mut w = base.fork();
        let token = listed_token(&mut w, code, decimals, deposit_units)?;
        let deposit = w.deposit_token(token, deposit_units);
        let mid = w.holdings(token)?;
        let withdraw = w.withdraw_token(token, withdraw_units);
        let end = w.holdings(token)?;
        let expected_credit = if decimals == 0 {
            wad(5)
        } else {
            U256::from(WAD)
        };
        let dust = deposit_units - withdraw_units;
        rows.push(row(
            "token",
            fault,
            "deposit, then withdraw",
            format!("credited {expected_credit} (18 decimals); back out in full but {dust} unit(s) of dust the vault keeps"),
            format!("deposit {}, withdraw {}; {mid:?} → {end:?}", deposit.text(), withdraw.text()),
            deposit.result.is_ok()
                && mid.credited == expected_credit
                && withdraw.result.is_ok()
                && end.credited.is_zero()
                && end.owner == withdraw_units
                && end.vault == dust,
            Some(deposit.gas),
        ));
    }

    // Fee on transfer (the settlement asset, `TestToken`'s fee): the net is credited, a
    // withdrawal debits the gross and the recipient gets it less the fee.
    {
        let mut w = base.fork();
        let usdc = w.usdc;
        let id = w.actors[0].account;
        let cash = |w: &mut World| w.view(w.vault, IMarginVault::cashCall { id });
        let before = cash(&mut w)?;
        w.must(w.admin, usdc, TestTokenFaults::setFeeCall { bps: 100 })?;
        let deposit = w.usdc_deposit(0, 1_000);
        let credited = cash(&mut w)? - before;
        let net =
            I256::try_from(990u64).unwrap_or_default() * I256::try_from(WAD).unwrap_or_default();
        rows.push(row(
            "token",
            "fee on transfer (1 %)",
            "deposit 1,000 USDC",
            "credited the 990 that arrived",
            format!("{}; credited {}", deposit.text(), fmt_signed_wad(credited)),
            deposit.result.is_ok() && credited == net,
            Some(deposit.gas),
        ));
    }

    // Re-entrant token: its hook calls back into the vault during the transfer; the vault's
    // lock refuses the inner call by name and only the outer operation happens.
    for (fault, inner) in [
        ("re-enters deposit from transferFrom", true),
        ("re-enters withdraw from transfer", false),
    ] {
        let mut w = base.fork();
        let usdc = w.usdc;
        let id = w.actors[0].account;
        let vault = w.vault;
        let data = if inner {
            IMarginVault::depositCall {
                id,
                asset: usdc,
                amount: U256::from(1u8),
            }
            .abi_encode()
        } else {
            IMarginVault::withdrawCall {
                id,
                asset: usdc,
                amount: U256::from(1u8),
                to: w.stranger,
            }
            .abi_encode()
        };
        w.must(
            w.admin,
            usdc,
            TestTokenFaults::setHookCall {
                target: vault,
                data: data.into(),
            },
        )?;
        // The token may act for the account, so only the lock can refuse its inner call.
        let owner = w.actors[0].owner();
        w.must(
            owner,
            vault,
            IMarginVault::setOperatorCall {
                id,
                operator: usdc,
                approved: true,
            },
        )?;
        let before = w.view(vault, IMarginVault::cashCall { id })?;
        let outer = if inner {
            w.usdc_deposit(0, 10)
        } else {
            let owner = w.actors[0].owner();
            w.sent(
                owner,
                vault,
                IMarginVault::withdrawCall {
                    id,
                    asset: usdc,
                    amount: U256::from(10_000_000u64),
                    to: owner,
                },
            )
        };
        let after = w.view(vault, IMarginVault::cashCall { id })?;
        let hook = w.view(usdc, TestTokenFaults::lastHookResultCall {})?;
        let ten =
            I256::try_from(10u64).unwrap_or_default() * I256::try_from(WAD).unwrap_or_default();
        let moved = if inner {
            after - before
        } else {
            before - after
        };
        rows.push(row(
            "token",
            fault,
            "the outer call",
            "succeeds; the inner call is refused with Reentrant(); only the outer moves cash (10)",
            format!(
                "outer {}, inner {}; cash moved {}",
                outer.text(),
                if hook.ok {
                    "succeeded".to_string()
                } else {
                    describe(&hook.data)
                },
                fmt_signed_wad(moved)
            ),
            outer.result.is_ok()
                && !hook.ok
                && describe(&hook.data).starts_with("Reentrant(")
                && moved == ten,
            Some(outer.gas),
        ));
    }
    Ok(())
}

fn guard(stage: &Stage, code: &HostileCode, rows: &mut Vec<Row>) -> Result<()> {
    let base = &stage.world;
    let wsteth = base.wsteth;
    let source = {
        let mut w = base.fork();
        w.view(w.guard, ILstDepegGuard::assetConfigCall { asset: wsteth })?
    };
    let assess = |w: &mut World| w.try_view(w.guard, ILstDepegGuard::assessCall { asset: wsteth });
    let rate_round = |w: &mut World, answer: U256, updated: u64| -> Result<()> {
        w.must(
            w.admin,
            source.source,
            TestFeed::setRoundCall {
                answer: I256::from_raw(answer),
                startedAt: U256::from(updated),
                updatedAt: U256::from(updated),
            },
        )
    };

    // Stale fundamental: no safe value, a named error.
    {
        let mut w = base.fork();
        let old = w.now() - source.sourceMaxAge - 1;
        rate_round(&mut w, U256::from(WAD / 100 * 115), old)?;
        let read = assess(&mut w);
        rows.push(view_row(
            "guard",
            "fundamental rate stale",
            "assess(wstETH)",
            "FundamentalStale",
            &read,
        ));
    }
    // Reverting fundamental: a hostile rate feed set while it behaved, then reverting.
    {
        let mut w = base.fork();
        let feed = w.create(&code.feed, &U256::from(18u8).to_be_bytes::<32>())?;
        let now = w.now();
        w.must(
            w.admin,
            feed,
            HostileFeed::setRoundCall {
                answer: I256::from_raw(U256::from(WAD / 100 * 115)),
                updatedAt: U256::from(now),
            },
        )?;
        w.must(
            w.admin,
            w.guard,
            ILstDepegGuard::setRateFeedCall {
                asset: wsteth,
                feed,
                maxAge: source.sourceMaxAge,
            },
        )?;
        w.must(
            w.admin,
            feed,
            HostileFeed::setBehaviourCall {
                behaviour: feed_behaviour::REVERTS,
            },
        )?;
        let read = assess(&mut w);
        rows.push(view_row(
            "guard",
            "fundamental rate feed reverts",
            "assess(wstETH)",
            "FeedCallFailed",
            &read,
        ));
    }
    // A rate far above the CAPO cap: the cap is used.
    {
        let mut w = base.fork();
        let now = w.now();
        rate_round(&mut w, wad(2), now)?;
        let read = assess(&mut w);
        rows.push(capped_row("rate feed reports 2.0 (cap ≈ 1.15)", &read));
    }
    // An ERC-4626 share price inflated by a donation in the same transaction as the read.
    {
        let mut w = base.fork();
        let weth = w.weth;
        let mut args = Vec::new();
        args.extend_from_slice(&weth.into_word().0);
        args.extend_from_slice(&U256::from(18u8).to_be_bytes::<32>());
        args.extend_from_slice(&wad(1_150_000).to_be_bytes::<32>());
        args.extend_from_slice(&wad(1_000_000).to_be_bytes::<32>());
        let shares = w.create(&code.share_vault, &args)?;
        w.must(
            w.admin,
            w.guard,
            ILstDepegGuard::setErc4626VaultCall {
                asset: wsteth,
                vault: shares,
            },
        )?;
        let honest = assess(&mut w);
        let guard = w.guard;
        let inflated = w.sent(
            w.stranger,
            shares,
            DonatableVault::donateAndAssessCall {
                amount: wad(10_000_000),
                guard,
                guarded: wsteth,
            },
        );
        let read = match inflated.result {
            Ok(out) => DonatableVault::donateAndAssessCall::abi_decode_returns(&out)
                .ok()
                .and_then(|bytes| ILstDepegGuard::assessCall::abi_decode_returns(&bytes).ok())
                .ok_or_else(|| b"malformed".to_vec()),
            Err(e) => Err(e),
        };
        let honest_rate = honest.as_ref().map(|a| a.rate).unwrap_or_default();
        let mut r = capped_row(
            "ERC-4626 share price ×9.7 by a donation in the reading transaction",
            &read,
        );
        r.observed += &format!(" (before the donation: rate {})", fmt_wad(honest_rate));
        rows.push(r);
    }
    Ok(())
}

fn view_row<T>(
    group: &'static str,
    fault: &'static str,
    action: &'static str,
    name: &str,
    read: &Result<T, Vec<u8>>,
) -> Row {
    let (observed, held) = match read {
        Ok(_) => ("answered".to_string(), false),
        Err(e) => (describe(e), describe(e).starts_with(&format!("{name}("))),
    };
    row(
        group,
        fault,
        action,
        format!("{name}(…)"),
        observed,
        held,
        None,
    )
}

fn capped_row(fault: &'static str, read: &Result<ILstDepegGuard::Assessment, Vec<u8>>) -> Row {
    let (observed, held) = match read {
        Ok(a) => (
            format!(
                "reported {}, cap {}, rate {}, capped {}",
                fmt_wad(a.fundamental),
                fmt_wad(a.cap),
                fmt_wad(a.rate),
                a.fundamentalCapped
            ),
            a.fundamentalCapped
                && a.rate <= a.cap
                && a.cappedFundamental == a.cap
                && a.fundamental > a.cap,
        ),
        Err(e) => (describe(e), false),
    };
    row(
        "guard",
        fault,
        "assess(wstETH)",
        "the capped rate; flagged capped",
        observed,
        held,
        None,
    )
}

/// A wad as a decimal with six places.
fn fmt_wad(x: U256) -> String {
    let micro = x / U256::from(WAD / 1_000_000);
    let micro: u128 = micro.try_into().unwrap_or(u128::MAX);
    format!("{}.{:06}", micro / 1_000_000, micro % 1_000_000)
}

fn fmt_signed_wad(x: I256) -> String {
    if x.is_negative() {
        format!("-{}", fmt_wad(x.unsigned_abs()))
    } else {
        fmt_wad(x.into_raw())
    }
}

/// Arbitrum's block gas limit: every call on the largest account must fit one block.
pub const BLOCK_GAS_LIMIT: u64 = 32_000_000;

/// The largest account the limits allow — every position slot filled (the ETH perpetual and
/// options over every expiry slot) and every collateral slot (WETH, wstETH and listed $1
/// tokens) — levered to initial margin; then its margin check, its auction and a bid on it
/// after a crash, and the settlement of an expiry's options, each measured against the block
/// gas limit and Nitro's stack budget.
fn largest_account(stage: &Stage, code: &HostileCode, rows: &mut Vec<Row>) -> Result<()> {
    const FAULT: &str = "the largest account the limits allow";
    let mut w = stage.world.fork();
    let (vault, stranger) = (w.vault, w.stranger);
    let n = 1; // the cross trader, empty so far
    let id = w.actors[n].account;
    let (max_positions, max_expiries) = {
        let l = w.view(vault, IMarginVault::limitsCall {})?;
        (usize::from(l.maxPositions), usize::from(l.maxExpiries))
    };
    w.must(
        w.actors[n].owner(),
        vault,
        IMarginVault::setModeCall { id, mode: 2 },
    )?;
    // Collateral: WETH, wstETH, then $1 tokens until the account's asset slots are full.
    w.fund(n, w.weth, wad(1))?;
    w.fund(n, w.wsteth, wad(1))?;
    let mut assets = 2;
    loop {
        let token = listed_token_of(&mut w, code, 18, wad(10), n)?;
        let sent = w.sent(
            w.actors[n].owner(),
            vault,
            IMarginVault::depositCall {
                id,
                asset: token,
                amount: wad(10),
            },
        );
        match sent.result {
            Ok(_) => assets += 1,
            Err(e) if describe(&e).starts_with("TooManyAssets(") => break,
            Err(e) => return Err(anyhow!("deposit of a listed token: {}", describe(&e))),
        }
    }
    // Options over `max_expiries` daily expiries, four strikes each side, until the position
    // slots but one are full; the last is the perpetual.
    let first = (w.now() + 2 * 3_600) / 3_600 * 3_600;
    let expiries: Vec<u64> = (0..max_expiries as u64)
        .map(|k| first + k * 86_400)
        .collect();
    let keep = w.expiry;
    for &e in &expiries {
        w.expiry = e;
        w.push_expiry()?;
    }
    w.expiry = keep;
    let mut options = Vec::new();
    'fill: for &expiry in &expiries {
        for strike in [1_600u64, 1_800, 2_200, 2_400] {
            for kind in [1u8, 2] {
                if options.len() + 1 >= max_positions {
                    break 'fill;
                }
                let instrument = w.view(
                    vault,
                    IMarginVault::instrumentIdCall {
                        underlying: w.weth,
                        kind,
                        expiry,
                        strike: wad(u128::from(strike)),
                    },
                )?;
                options.push(instrument);
            }
        }
    }
    for (k, &instrument) in options.iter().enumerate() {
        let size = I256::try_from(WAD / 10).unwrap_or_default();
        let size = if k % 2 == 0 { size } else { -size };
        w.trade(n, World::MAKER, instrument, size, wad(40))
            .map_err(|e| anyhow!("option trade {k}: {}", describe(&e)))?;
    }
    // The perpetual, as large as initial margin allows (to the nearest 2 ETH).
    let mut size = 100i64;
    while w.perp_trade(n, size).result.is_err() {
        size -= 2;
        if size <= 0 {
            return Err(anyhow!("no perpetual fits initial margin"));
        }
    }
    let positions = w.view(vault, IMarginVault::positionsCall { id })?.len();
    let held = w.view(vault, IMarginVault::accountAssetsCall { id })?.len();
    let stack_limit = keel_stylus_host::pricing::max_stack_depth(w.chain.arbos_version());
    let shape = format!(
        "{positions} positions over {} expiries, {held} collateral assets + cash",
        expiries.len()
    );
    let fits =
        |what: &'static str, w: &mut World, from: Address, data: Vec<u8>, rows: &mut Vec<Row>| {
            let outcome = w.chain.call(from, vault, &data, U256::ZERO, GAS);
            let ok = outcome.success
                && outcome.gas_used <= BLOCK_GAS_LIMIT
                && outcome.deepest_stack < stack_limit;
            rows.push(row(
                "gas",
                FAULT,
                what,
                format!("succeeds within {BLOCK_GAS_LIMIT} gas and the {stack_limit}-word stack"),
                format!(
                    "{}; gas {}, deepest stack {} words ({shape})",
                    if outcome.success {
                        "ok".to_string()
                    } else {
                        describe(&outcome.return_data)
                    },
                    outcome.gas_used,
                    outcome.deepest_stack
                ),
                ok,
                Some(outcome.gas_used),
            ));
        };
    rows.push(row(
        "gas",
        FAULT,
        "fill every slot",
        format!("{max_positions} positions, {max_expiries} expiries, 16 collateral assets"),
        shape.clone(),
        positions == max_positions && held == 16 && assets == 16,
        None,
    ));
    fits(
        "margin check (updateMarginCall)",
        &mut w,
        stranger,
        IMarginVault::updateMarginCallCall { id }.abi_encode(),
        rows,
    );

    // Settlement of the first expiry's options.
    {
        let mut s = w.fork();
        let now = s.now();
        s.warp(expiries[0] + 60 - now);
        s.refresh_feeds()?;
        let weth = s.weth;
        let from = s.stranger;
        s.must(
            from,
            s.oracle,
            IOracleAdapter::settleCall {
                asset: weth,
                expiry: expiries[0],
                roundId: Default::default(),
            },
        )?;
        fits(
            "settleOptions (an expiry's options)",
            &mut s,
            stranger,
            IMarginVault::settleOptionsCall { id }.abi_encode(),
            rows,
        );
    }

    // A crash: the auction and a bid for half of it.
    while w
        .view(vault, IMarginVault::marginCall { id })?
        .maintenanceMargin
        >= I256::ZERO
    {
        w.eth_usd -= 25;
        if w.eth_usd < 500 {
            return Err(anyhow!(
                "the largest account never fell below maintenance margin"
            ));
        }
        w.refresh_feeds()?;
        let keep = w.expiry;
        for &e in &expiries {
            w.expiry = e;
            w.push_expiry()?;
        }
        w.expiry = keep;
    }
    fits(
        "startAuction",
        &mut w,
        stranger,
        IMarginVault::startAuctionCall { id }.abi_encode(),
        rows,
    );
    let keeper = w.actors[World::KEEPER].clone();
    let bid = IMarginVault::bidCall {
        id,
        bidder: keeper.account,
        fraction: U256::from(WAD / 2),
        maxPayment: I256::MAX,
    };
    fits(
        "bid for half of it (the bidder takes 64 positions and 16 assets)",
        &mut w,
        keeper.owner(),
        bid.abi_encode(),
        rows,
    );
    Ok(())
}
