//! End to end on the chain `keel node` runs (`keel_chain::TestChain`: revm and the Stylus
//! host on one state): Keel's real deployable bytes (core, margin, trading and liquidation
//! modules, both engines, the oracle adapter, the LST depeg guard) wired by
//! `keel_cli::bench::set_up_with(…, Counterparts::Solidity)` to Solidity for everything else,
//! as on Arbitrum — the ERC-20 tokens (`solidity/TestToken.sol`, OpenZeppelin's ERC-20: USDC,
//! WETH, wstETH; with a fee on transfer and with a reentrant hook) and the Chainlink-style
//! feeds (`solidity/TestFeed.sol`: one per asset, the depeg guard's rate and market feeds,
//! the Arbitrum sequencer uptime feed), compiled by the pinned solc-js — driven through
//! calldata encoded with alloy's `sol!` from
//! `abi/IMarginVault.sol`, `abi/IOracleAdapter.sol` and `abi/ILstDepegGuard.sol`, and, when
//! Foundry's `cast` is installed in `abi/node_modules`, through `cast calldata` /
//! `cast abi-decode`.
//!
//! * a full liquidation flow: deposit, a perp trade through the authorised market, margin in
//!   each account's mode and `marginAllModes`, a reverted trade that leaves every storage slot
//!   as it was (the host journals), a price shock, `startAuction`, a partial `bid`, a crash,
//!   bad debt paid by the insurance fund and socialised;
//! * pause: trades and withdrawals refused with `EnforcedPause`; deposits, realisation,
//!   liquidation and option settlement (the real adapter's `settle` from the first feed round
//!   after the expiry, its predecessor before it) go on;
//! * a fee-on-transfer token: deposits credited what arrived, withdrawals paying out less the
//!   fee;
//! * a reentrant token whose transfer hook calls back into `deposit` / `withdraw`: the vault
//!   answers `Reentrant()`, the outer operation completes alone;
//! * the sequencer down: trades adding risk and withdrawals against positions refused with
//!   `SequencerUnavailable`, risk-reducing trades, deposits and liquidation going on, and the
//!   grace period after recovery;
//! * an LST depeg seen by the real depeg guard (market feed vs CAPO-capped fundamental rate
//!   feed): the vault values the asset at spot × the guard's rate with the guard's add-on, and
//!   a depegged asset backs no initial margin (reduce-only);
//! * `cast calldata` for `deposit` and `margin`, run on the chain, `cast abi-decode` of the
//!   margin state compared with alloy's decoding;
//! * a Solidity protocol (`fixtures/solidity/Depositor.sol`, importing `@keel/IMarginVault.sol`)
//!   depositing through the vault, which pulls the Solidity token back out of it: when the
//!   innermost frame (the token) reverts, every frame's writes are undone.
//!
//! The artifacts are built when missing (`keel_cli::contracts::artifact_dir`; under `CI=true`
//! CI's own build must have made them). Outside CI the tests are ignored, saying why, when
//! solc-js or OpenZeppelin (the Solidity counterparts), or `cast`, are not installed. Gas of each step is printed (`--nocapture`), never asserted.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::Command;

use alloy_sol_types::{SolCall, SolEvent, SolInterface};
use keel_chain::{Outcome, TestChain};
use keel_cli::bench::{
    self, test_feed, test_token, units, wad, Counterparts, Vault, ADMIN, ALICE, BOB, CAROL,
    CONTRACTS, DAVE, DAY, ETH, MARKET, ONE, OWNER, SPOT, T0, USDC, WETH,
};
use keel_stylus_host::alloy_primitives::{aliases::U80, Address, Bytes, I256, U256};

use bench::IMarginVault as I;

alloy_sol_types::sol!(
    #[sol(all_derives)]
    "../abi/IOracleAdapter.sol"
);

alloy_sol_types::sol!(
    #[sol(all_derives)]
    "../abi/ILstDepegGuard.sol"
);

const GUARDIAN: Address = Address::repeat_byte(0x9a);
/// The liquid-staking token of the depeg flow, its depeg guard's rate and market feeds.
const WSTETH: Address = Address::repeat_byte(0x57);
const RATE_FEED: Address = Address::repeat_byte(0x58);
const MARKET_FEED: Address = Address::repeat_byte(0x59);

/// Keel's artifacts, built if needed (`keel_cli::contracts::artifact_dir`); a missing one
/// fails the test.
fn codes() -> BTreeMap<&'static str, Vec<u8>> {
    let dir = keel_cli::contracts::artifact_dir().expect("the contract artifacts");
    let missing: Vec<&str> = CONTRACTS
        .iter()
        .copied()
        .filter(|c| !dir.join(format!("{c}.wasm")).is_file())
        .collect();
    assert!(
        missing.is_empty(),
        "{} lacks {missing:?}; build them with `{}`",
        dir.display(),
        bench::BUILD_COMMAND
    );
    bench::load(&dir).expect("artifacts load")
}

/// The wired vault over the Solidity tokens and feeds.
fn vault() -> Vault {
    let codes = codes();
    let v =
        bench::set_up_with(&codes, Counterparts::Solidity).expect("the vault deploys and wires");
    assert!(!v.feeds.is_empty(), "the real oracle adapter answers");
    for (what, at) in v.feeds.iter().map(|(_, f)| ("feed", *f)).chain([
        ("token", USDC),
        ("token", WETH),
        ("sequencer feed", bench::SEQUENCER_FEED),
    ]) {
        let code = v.host.code(at);
        assert!(
            !code.is_empty() && !keel_stylus_host::code::is_stylus(&code),
            "the {what} at {at} is EVM bytecode"
        );
    }
    v
}

fn gas(step: &str, out: &Outcome) {
    println!("gas {step:<40} {:>10}", out.execution_gas);
}

/// A transaction to the vault that may revert.
fn call<C: SolCall>(v: &mut Vault, from: Address, c: C) -> Outcome {
    let to = v.vault;
    v.host
        .call(from, to, &c.abi_encode(), U256::ZERO, TestChain::GAS_LIMIT)
}

/// A transaction to the vault that must succeed; its gas printed.
fn ok<C: SolCall>(v: &mut Vault, step: &str, from: Address, c: C) -> Outcome {
    let out = call(v, from, c);
    assert!(
        out.success,
        "{step}: {} reverted: {} ({:?})",
        C::SIGNATURE,
        bench::revert_text(&out),
        I::IMarginVaultErrors::abi_decode(&out.return_data)
    );
    gas(step, &out);
    out
}

/// The named vault error a reverted call returned.
fn error_of(out: &Outcome) -> I::IMarginVaultErrors {
    assert!(!out.success, "expected a revert");
    I::IMarginVaultErrors::abi_decode(&out.return_data).unwrap_or_else(|e| {
        panic!(
            "revert data 0x{} is not an IMarginVault error: {e}",
            bench::hex(&out.return_data)
        )
    })
}

fn view<C: SolCall>(v: &mut Vault, c: C) -> C::Return {
    v.view(c).expect("view").0
}

fn signed(x: i128) -> I256 {
    I256::try_from(x).expect("fits")
}

fn trade_call(instrument: U256, taker: u64, maker: u64, size: i128) -> I::settleTradeCall {
    I::settleTradeCall {
        trade: I::Trade {
            instrument,
            taker: U256::from(taker),
            maker: U256::from(maker),
            size: signed(size),
            price: U256::from(SPOT * ONE),
            takerFee: U256::ZERO,
            makerFee: U256::ZERO,
        },
    }
}

/// A trade through the authorised market (the market stand-in forwards to the vault).
fn trade(v: &mut Vault, instrument: U256, taker: u64, maker: u64, size: i128) -> Outcome {
    v.host.call(
        DAVE,
        MARKET,
        &trade_call(instrument, taker, maker, size).abi_encode(),
        U256::ZERO,
        TestChain::GAS_LIMIT,
    )
}

fn position_size(v: &mut Vault, id: u64, instrument: U256) -> I256 {
    view(v, I::positionsCall { id: U256::from(id) })
        .iter()
        .find(|p| p.instrument == instrument)
        .map(|p| p.size)
        .unwrap_or(I256::ZERO)
}

/// Every storage slot of the vault and the two tokens.
fn storage(v: &Vault) -> Vec<Vec<(U256, U256)>> {
    [v.vault, USDC, WETH]
        .iter()
        .map(|a| v.host.storage_slots(*a))
        .collect()
}

fn set_eth(v: &mut Vault, price: u128) {
    v.set_price(ETH, wad(price));
    v.set_price(WETH, wad(price));
}

/// Lowers ETH from spot in steps of 10 until `id` is below maintenance margin; the price.
fn shock_below_maintenance(v: &mut Vault, id: u64) -> u128 {
    v.shock_below_maintenance(id).expect("below maintenance")
}

/// CAROL starts `id`'s auction and, a minute later, bids a quarter of it into `bidder`;
/// both must succeed (`when` names the circumstance in failure messages).
fn auction_and_bid_a_quarter(v: &mut Vault, id: u64, bidder: u64, when: &str) {
    ok(
        v,
        &format!("startAuction, {when}"),
        CAROL,
        I::startAuctionCall { id: U256::from(id) },
    );
    v.host.advance(60);
    ok(
        v,
        &format!("bid, {when}"),
        CAROL,
        I::bidCall {
            id: U256::from(id),
            bidder: U256::from(bidder),
            fraction: U256::from(ONE / 4),
            maxPayment: I256::MAX,
        },
    );
}

/// A portfolio account for ALICE with 10,000 USDC, long 20 ETH of perp against CAROL's
/// well-funded portfolio account at spot; (alice, carol, perp).
fn leveraged(v: &mut Vault) -> (u64, u64, U256) {
    let a = v.funded_account(ALICE, 10_000, 0).expect("alice");
    let c = v.funded_account(CAROL, 10_000_000, 1_000).expect("carol");
    let perp = v.instrument(0, 0, 0).expect("perp id");
    let out = trade(v, perp, a, c, 20 * ONE as i128);
    assert!(out.success, "trade: {}", bench::revert_text(&out));
    gas("settleTrade 20 ETH perp", &out);
    (a, c, perp)
}

/// Issue 10's two confirmed exploits, on the real artifacts. (1) A short 20 ETH buys one
/// back from its owner's second account far above the mark: refused, the second account
/// gains nothing. (2) A deposit cures an account in auction: the auction ends, and a day
/// later no keeper buys it at the end discount.
#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js or OpenZeppelin is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn a_reduction_carries_no_value_out_and_a_cured_account_is_not_auctioned() {
    let mut v = vault();
    let short = v.funded_account(ALICE, 10_000, 0).expect("alice");
    let second = v.funded_account(ALICE, 2_000, 0).expect("second");
    let (a, c, perp) = leveraged(&mut v);
    let out = trade(&mut v, perp, c, short, 20 * ONE as i128);
    assert!(out.success, "trade: {}", bench::revert_text(&out));
    let m = v.margin(short).expect("margin");
    let (im, mm) = (m.initialMargin, m.maintenanceMargin);
    assert!(im > I256::ZERO && mm > im);
    // Half-way between the two surpluses above the mark: the old maintenance-only check let
    // it through and left the short below initial margin.
    let premium = u128::try_from(im + (mm - im) / signed(2)).expect("positive");
    let mut dear = trade_call(perp, short, second, ONE as i128);
    dear.trade.price = U256::from(SPOT * ONE + premium);
    // Through the authorised market (its stand-in forwards the vault's revert data).
    let out = v.host.call(
        DAVE,
        MARKET,
        &dear.abi_encode(),
        U256::ZERO,
        TestChain::GAS_LIMIT,
    );
    match error_of(&out) {
        I::IMarginVaultErrors::BelowInitialMargin(e) => assert_eq!(e.id, U256::from(short)),
        other => panic!("{other:?}"),
    }
    assert_eq!(position_size(&mut v, second, perp), I256::ZERO);
    assert_eq!(
        position_size(&mut v, short, perp),
        signed(-20 * ONE as i128)
    );

    shock_below_maintenance(&mut v, a);
    ok(
        &mut v,
        "startAuction",
        CAROL,
        I::startAuctionCall { id: U256::from(a) },
    );
    let cure = ok(
        &mut v,
        "deposit curing an account in auction",
        ALICE,
        I::depositCall {
            id: U256::from(a),
            asset: USDC,
            amount: units(20_000, 6),
        },
    );
    assert!(cure.success);
    assert!(!view(&mut v, I::auctionCall { id: U256::from(a) }).active);
    let later = v.host.timestamp() + 86_400;
    v.warp(later).expect("feeds refreshed");
    let out = call(
        &mut v,
        CAROL,
        I::bidCall {
            id: U256::from(a),
            bidder: U256::from(c),
            fraction: U256::from(ONE),
            maxPayment: I256::MAX,
        },
    );
    assert_eq!(
        error_of(&out),
        I::IMarginVaultErrors::AuctionNotActive(I::AuctionNotActive { id: U256::from(a) })
    );
}

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js or OpenZeppelin is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn deposit_trade_margin_shock_auction_bad_debt_and_rollback() {
    let mut v = vault();
    // A portfolio account (mode 2) and a cross account (mode 1).
    let a = v.funded_account(ALICE, 10_000, 0).expect("alice");
    ok(&mut v, "openAccount", BOB, I::openAccountCall { mode: 1 });
    v.next_account += 1;
    let b = v.next_account;
    ok(
        &mut v,
        "setOperator",
        BOB,
        I::setOperatorCall {
            id: U256::from(b),
            operator: MARKET,
            approved: true,
        },
    );
    let dep = I::depositCall {
        id: U256::from(b),
        asset: USDC,
        amount: units(1_000_000, 6),
    };
    ok(&mut v, "deposit 1,000,000 USDC (cold)", BOB, dep.clone());
    // The settlement asset is cash in wad.
    assert_eq!(
        view(&mut v, I::cashCall { id: U256::from(a) }),
        signed(10_000 * ONE as i128)
    );
    assert_eq!(
        view(&mut v, I::cashCall { id: U256::from(b) }),
        signed(1_000_000 * ONE as i128)
    );

    // Alice buys 20 ETH of perp from Bob at spot, through the market.
    let perp = v.instrument(0, 0, 0).expect("perp id");
    let out = trade(&mut v, perp, a, b, 20 * ONE as i128);
    assert!(out.success, "trade: {}", bench::revert_text(&out));
    gas("settleTrade 20 ETH perp", &out);
    assert_eq!(position_size(&mut v, a, perp), signed(20 * ONE as i128));
    assert_eq!(position_size(&mut v, b, perp), signed(-20 * ONE as i128));

    // Margin in each account's own mode, and all three modes of Alice's.
    let ma = v.margin(a).expect("margin a");
    let mb = v.margin(b).expect("margin b");
    assert_eq!((ma.mode, mb.mode), (2, 1));
    for m in [&ma, &mb] {
        assert_eq!(m.positionCount, U256::from(1));
        assert_eq!(m.unrealisedPnl, I256::ZERO, "traded at the mark");
        assert!(m.initialMargin >= I256::ZERO, "both accounts meet IM");
        assert!(m.maintenanceMargin >= m.initialMargin);
    }
    assert_eq!(ma.markToMarket, signed(10_000 * ONE as i128));
    let (all, out) = v
        .view(I::marginAllModesCall { id: U256::from(a) })
        .expect("marginAllModes");
    gas("marginAllModes (view)", &out);
    assert_eq!(
        (all.isolated.mode, all.cross.mode, all.portfolio.mode),
        (0, 1, 2)
    );
    assert_eq!(all.portfolio, ma, "the own mode's state is margin(id)'s");
    for m in [&all.isolated, &all.cross] {
        assert_eq!(m.cash, ma.cash);
        assert_eq!(m.positionCount, ma.positionCount);
        assert_eq!(m.markToMarket, ma.markToMarket);
    }

    // A revert in the middle: a trade far beyond Alice's margin writes both positions and
    // cash, then fails the IM check; the host rolls back every slot of every contract.
    let before = storage(&v);
    let out = trade(&mut v, perp, a, b, 1_000 * ONE as i128);
    assert!(!out.success, "a 1,000 ETH trade on 10,000 USDC must fail");
    gas("settleTrade beyond IM (reverted)", &out);
    assert!(matches!(
        error_of(&out),
        I::IMarginVaultErrors::BelowInitialMargin(_)
    ));
    assert_eq!(storage(&v), before, "the reverted trade left state behind");
    assert_eq!(position_size(&mut v, a, perp), signed(20 * ONE as i128));

    // Insurance: Bob adds 100 USDC.
    ok(
        &mut v,
        "fundInsurance 100 USDC",
        BOB,
        I::fundInsuranceCall {
            amount: units(100, 6),
        },
    );
    assert_eq!(view(&mut v, I::insuranceFundCall {}), wad(100));

    // Price shock below maintenance: the auction starts.
    let price = shock_below_maintenance(&mut v, a);
    let oracle = v.oracle;
    let quote = v.host.static_call(
        DAVE,
        oracle,
        &IOracleAdapter::getPriceCall { asset: ETH }.abi_encode(),
        TestChain::GAS_LIMIT,
    );
    let quote = IOracleAdapter::getPriceCall::abi_decode_returns(quote.result().expect("getPrice"))
        .expect("getPrice returns");
    assert_eq!(
        quote.price,
        wad(price),
        "the adapter reads the shocked feed"
    );
    let m = v.margin(a).expect("margin");
    // Long 20 from 2,000: PnL is 20 × (price − 2,000), by hand.
    assert_eq!(
        m.unrealisedPnl,
        signed(20 * (price as i128 - SPOT as i128) * ONE as i128)
    );
    let early = call(&mut v, CAROL, I::startAuctionCall { id: U256::from(b) });
    assert!(
        matches!(
            error_of(&early),
            I::IMarginVaultErrors::AboveMaintenanceMargin(_)
        ),
        "Bob's healthy account cannot be auctioned"
    );
    ok(
        &mut v,
        "startAuction",
        CAROL,
        I::startAuctionCall { id: U256::from(a) },
    );
    assert!(view(&mut v, I::auctionCall { id: U256::from(a) }).active);

    // A partial bid: Carol's account takes a quarter.
    let c = v.funded_account(CAROL, 10_000_000, 1_000).expect("carol");
    v.host.advance(60);
    let out = ok(
        &mut v,
        "bid 1/4",
        CAROL,
        I::bidCall {
            id: U256::from(a),
            bidder: U256::from(c),
            fraction: U256::from(ONE / 4),
            maxPayment: I256::MAX,
        },
    );
    let r = I::bidCall::abi_decode_returns(&out.return_data).expect("bid returns");
    assert!(r.filled > U256::ZERO && r.filled <= U256::from(ONE / 4));
    let left = position_size(&mut v, a, perp);
    let taken = position_size(&mut v, c, perp);
    assert!(taken > I256::ZERO);
    assert_eq!(left + taken, signed(20 * ONE as i128), "size is conserved");

    // A crash: the rest of Alice's account is worth less than nothing.
    set_eth(&mut v, 500);
    let m = v.margin(a).expect("margin");
    assert!(m.markToMarket < I256::ZERO, "crash leaves negative equity");
    let deficit = -m.markToMarket;
    // The partial bid brought the account back to the buffer, which ended its auction.
    if !view(&mut v, I::auctionCall { id: U256::from(a) }).active {
        ok(
            &mut v,
            "startAuction after crash",
            CAROL,
            I::startAuctionCall { id: U256::from(a) },
        );
    }
    v.host.advance(60);
    let out = ok(
        &mut v,
        "bid all (bad debt)",
        CAROL,
        I::bidCall {
            id: U256::from(a),
            bidder: U256::from(c),
            fraction: U256::from(ONE),
            maxPayment: I256::MAX,
        },
    );
    let r = I::bidCall::abi_decode_returns(&out.return_data).expect("bid returns");
    assert!(
        r.payment < I256::ZERO,
        "the bidder is paid to take bad debt"
    );
    assert_eq!(position_size(&mut v, a, perp), I256::ZERO);
    assert_eq!(position_size(&mut v, c, perp), signed(20 * ONE as i128));
    // The insurance fund pays first; the shortfall is socialised.
    assert_eq!(view(&mut v, I::insuranceFundCall {}), U256::ZERO);
    let loss = view(&mut v, I::socialisedLossCall {});
    let paid = U256::try_from(-r.payment).expect("positive");
    assert_eq!(loss.total + wad(100), paid, "fund + socialised = payment");
    assert!(paid >= U256::try_from(deficit).expect("positive"));
    assert!(
        loss.cashIndex < U256::from(ONE),
        "positive cash scaled down"
    );
    println!(
        "bad debt: payment {} wad, socialised {} wad, cash index {}",
        r.payment, loss.total, loss.cashIndex
    );
}

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js or OpenZeppelin is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn pause_blocks_trades_and_withdrawals_only() {
    let mut v = vault();
    let (a, c, perp) = leveraged(&mut v);
    let eth_feed = feed_of(&v, ETH);
    // Bob buys one 1,900 call expiring in a week from Carol for 10 USDC.
    let expiry = T0 + 7 * DAY;
    v.set_expiry(expiry).expect("expiry data");
    let holder = v.funded_account(BOB, 100_000, 0).expect("bob");
    let call_id = v.instrument(1, expiry, 1_900 * ONE).expect("call id");
    let out = v.host.call(
        DAVE,
        MARKET,
        &I::settleTradeCall {
            trade: I::Trade {
                instrument: call_id,
                taker: U256::from(holder),
                maker: U256::from(c),
                size: signed(ONE as i128),
                price: U256::from(10 * ONE),
                takerFee: U256::ZERO,
                makerFee: U256::ZERO,
            },
        }
        .abi_encode(),
        U256::ZERO,
        TestChain::GAS_LIMIT,
    );
    assert!(out.success, "option trade: {}", bench::revert_text(&out));
    gas("settleTrade 1 call option", &out);
    ok(
        &mut v,
        "setGuardian",
        OWNER,
        I::setGuardianCall { guardian: GUARDIAN },
    );
    ok(&mut v, "pause", GUARDIAN, I::pauseCall {});
    assert!(view(&mut v, I::pausedCall {}));

    let out = trade(&mut v, perp, a, c, ONE as i128);
    assert!(matches!(
        error_of(&out),
        I::IMarginVaultErrors::EnforcedPause(_)
    ));
    let out = call(
        &mut v,
        CAROL,
        I::withdrawCall {
            id: U256::from(c),
            asset: USDC,
            amount: units(1, 6),
            to: CAROL,
        },
    );
    assert!(matches!(
        error_of(&out),
        I::IMarginVaultErrors::EnforcedPause(_)
    ));

    // Deposits, realisation and liquidation go on.
    let cash = view(&mut v, I::cashCall { id: U256::from(a) });
    ok(
        &mut v,
        "deposit while paused",
        ALICE,
        I::depositCall {
            id: U256::from(a),
            asset: USDC,
            amount: units(1_000, 6),
        },
    );
    assert_eq!(
        view(&mut v, I::cashCall { id: U256::from(a) }),
        cash + signed(1_000 * ONE as i128)
    );
    shock_below_maintenance(&mut v, a);
    ok(
        &mut v,
        "realise while paused",
        DAVE,
        I::realiseCall { id: U256::from(a) },
    );
    auction_and_bid_a_quarter(&mut v, a, c, "while paused");
    assert!(position_size(&mut v, a, perp) < signed(20 * ONE as i128));

    // Option settlement: a week later ETH is 2,100. Every feed answers again a minute before
    // the expiry; ETH's first round after it (30 s after) is 2,100. The adapter fixes the
    // price from that round, whose predecessor is before the expiry, and the call settles
    // while paused.
    v.warp(expiry - 60).expect("feeds refreshed");
    let before_expiry = latest_round(&mut v, eth_feed);
    v.host.set_timestamp(expiry + 30);
    set_eth(&mut v, 2_100);
    let after_expiry = latest_round(&mut v, eth_feed);
    assert_eq!(after_expiry, before_expiry + U80::from(1));
    v.host.set_timestamp(expiry + 60);
    let oracle = v.oracle;
    let settle = |round: U80| IOracleAdapter::settleCall {
        asset: ETH,
        expiry,
        roundId: round,
    };
    let out = v.host.call(
        DAVE,
        oracle,
        &settle(before_expiry).abi_encode(),
        U256::ZERO,
        TestChain::GAS_LIMIT,
    );
    assert!(
        matches!(
            IOracleAdapter::IOracleAdapterErrors::abi_decode(&out.return_data),
            Ok(IOracleAdapter::IOracleAdapterErrors::RoundBeforeExpiry(_))
        ),
        "a round before the expiry cannot settle it: {}",
        bench::revert_text(&out)
    );
    let out = v.host.call(
        DAVE,
        oracle,
        &settle(after_expiry).abi_encode(),
        U256::ZERO,
        TestChain::GAS_LIMIT,
    );
    assert!(out.success, "adapter settle: {}", bench::revert_text(&out));
    gas("adapter settle(ETH, expiry, first round after)", &out);
    let fixed = IOracleAdapter::settleCall::abi_decode_returns(&out.return_data).expect("price");
    assert_eq!(fixed, wad(2_100));
    let holder_cash = view(
        &mut v,
        I::cashCall {
            id: U256::from(holder),
        },
    );
    ok(
        &mut v,
        "settleOptions while paused",
        DAVE,
        I::settleOptionsCall {
            id: U256::from(holder),
        },
    );
    // A long 1,900 call settled at 2,100 pays 200, by hand.
    assert_eq!(
        view(
            &mut v,
            I::cashCall {
                id: U256::from(holder)
            }
        ),
        holder_cash + signed(200 * ONE as i128)
    );
    assert_eq!(position_size(&mut v, holder, call_id), I256::ZERO);

    // Unpaused, trading resumes.
    ok(&mut v, "unpause (owner)", OWNER, I::unpauseCall {});
    set_eth(&mut v, SPOT);
    let b = v.funded_account(BOB, 1_000_000, 0).expect("bob");
    let out = trade(&mut v, perp, b, c, ONE as i128);
    assert!(
        out.success,
        "trade after unpause: {}",
        bench::revert_text(&out)
    );
    gas("settleTrade after unpause", &out);
}

/// The `cast` binary of `@foundry-rs/cast`'s platform package in `abi/node_modules` (the
/// build script marks the test that needs it ignored when it is not installed).
fn cast() -> PathBuf {
    keel_cli::abi::foundry_tool(&keel_cli::solidity::repo_root(), "cast")
        .unwrap_or_else(|e| panic!("{e}"))
}

fn run_cast(cast: &PathBuf, args: &[&str]) -> String {
    let out = Command::new(cast).args(args).output().expect("cast runs");
    assert!(
        out.status.success(),
        "cast {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .expect("UTF-8")
        .trim()
        .to_string()
}

fn unhex(s: &str) -> Vec<u8> {
    let s = s.trim().trim_start_matches("0x");
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

#[test]
#[cfg_attr(
    any(keel_no_cast, keel_no_solc),
    ignore = "Foundry's cast, solc-js or OpenZeppelin is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn cast_calldata_runs_and_cast_abi_decode_agrees_with_alloy() {
    let cast = cast();
    let mut v = vault();
    let (a, _, _) = leveraged(&mut v);

    // deposit(...) from cast, sent as a transaction.
    let amount = units(2_500, 6);
    let deposit = run_cast(
        &cast,
        &[
            "calldata",
            "deposit(uint256,address,uint256)",
            &a.to_string(),
            &USDC.to_string(),
            &amount.to_string(),
        ],
    );
    let data = unhex(&deposit);
    let alloy = I::depositCall {
        id: U256::from(a),
        asset: USDC,
        amount,
    }
    .abi_encode();
    assert_eq!(data, alloy, "cast and alloy encode deposit alike");
    let out = v
        .host
        .call(ALICE, v.vault, &data, U256::ZERO, TestChain::GAS_LIMIT);
    assert!(out.success, "deposit: {}", bench::revert_text(&out));
    gas("deposit (cast calldata)", &out);
    assert_eq!(
        view(&mut v, I::cashCall { id: U256::from(a) }),
        signed(12_500 * ONE as i128)
    );

    // margin(uint256) from cast, its return decoded by cast and by alloy.
    let data = unhex(&run_cast(
        &cast,
        &["calldata", "margin(uint256)", &a.to_string()],
    ));
    assert_eq!(data, I::marginCall { id: U256::from(a) }.abi_encode());
    let out = v
        .host
        .static_call(DAVE, v.vault, &data, TestChain::GAS_LIMIT);
    assert!(out.success, "margin: {}", bench::revert_text(&out));
    gas("margin (cast calldata)", &out);
    let m = I::marginCall::abi_decode_returns(&out.return_data).expect("alloy decodes");
    let decoded = run_cast(
        &cast,
        &[
            "abi-decode",
            "margin(uint256)((uint8,int256,int256,int256,int256,int256,uint256,int256,int256,uint256))",
            &format!("0x{}", bench::hex(&out.return_data)),
        ],
    );
    // `(2, 123 [1.23e2], -4, …)`: drop the parentheses and cast's `[…]` annotations.
    let fields: Vec<String> = decoded
        .trim_start_matches('(')
        .trim_end_matches(')')
        .split(", ")
        .map(|f| f.split(" [").next().unwrap_or(f).trim().to_string())
        .collect();
    let expected: Vec<String> = vec![
        m.mode.to_string(),
        m.initialMargin.to_string(),
        m.maintenanceMargin.to_string(),
        m.markToMarket.to_string(),
        m.initialRequirement.to_string(),
        m.maintenanceRequirement.to_string(),
        m.worstScenario.to_string(),
        m.cash.to_string(),
        m.unrealisedPnl.to_string(),
        m.positionCount.to_string(),
    ];
    assert_eq!(fields, expected, "cast abi-decode printed {decoded}");
    assert_eq!(m.mode, 2);
    assert_eq!(m.cash, signed(12_500 * ONE as i128));
}

// ---- the Stylus tokens and feeds ------------------------------------------------------------

/// The feed program answering for `asset`'s price.
fn feed_of(v: &Vault, asset: Address) -> Address {
    v.feeds
        .iter()
        .find(|(a, _)| *a == asset)
        .map(|(_, f)| *f)
        .expect("the asset has a feed")
}

/// The id of `feed`'s latest round.
fn latest_round(v: &mut Vault, feed: Address) -> U80 {
    v.view_of(feed, test_feed::latestRoundDataCall {})
        .expect("latestRoundData")
        .roundId
}

/// `token.balanceOf(account)`.
fn balance(v: &mut Vault, token: Address, account: Address) -> U256 {
    v.view_of(token, test_token::balanceOfCall { account })
        .expect("balanceOf")
}

/// A transaction to `to` that must succeed.
fn send<C: SolCall>(v: &mut Vault, from: Address, to: Address, c: C) -> Outcome {
    v.send_to(from, to, c).unwrap_or_else(|e| panic!("{e}"))
}

/// The `Deposited` event of a deposit: (received, credited).
fn deposited(out: &Outcome) -> (U256, U256) {
    out.logs
        .iter()
        .find(|l| l.topics.first() == Some(&I::Deposited::SIGNATURE_HASH))
        .map(|l| {
            let e = I::Deposited::decode_raw_log(l.topics.iter().copied(), &l.data)
                .expect("Deposited decodes");
            (e.received, e.credited)
        })
        .expect("Deposited logged")
}

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js or OpenZeppelin is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn fee_on_transfer_deposit_credits_the_net_and_withdraw_pays_out_less_the_fee() {
    let mut v = vault();
    let vault_address = v.vault;
    let a = v.open(ALICE, 2).expect("alice");
    // WETH (collateral) takes 1 %, USDC (the settlement asset, cash) 2 %.
    send(&mut v, OWNER, WETH, test_token::setFeeCall { bps: 100 });
    send(&mut v, OWNER, USDC, test_token::setFeeCall { bps: 200 });

    let alice_weth = balance(&mut v, WETH, ALICE);
    let out = ok(
        &mut v,
        "deposit 10 WETH (1 % fee)",
        ALICE,
        I::depositCall {
            id: U256::from(a),
            asset: WETH,
            amount: units(10, 18),
        },
    );
    let net = U256::from(99 * ONE / 10);
    assert_eq!(deposited(&out), (net, net), "received and credited 9.9");
    assert_eq!(
        view(
            &mut v,
            I::collateralBalanceCall {
                id: U256::from(a),
                asset: WETH
            }
        ),
        net
    );
    assert_eq!(balance(&mut v, WETH, vault_address), net);
    assert_eq!(balance(&mut v, WETH, ALICE), alice_weth - units(10, 18));

    ok(
        &mut v,
        "withdraw 5 WETH (1 % fee)",
        ALICE,
        I::withdrawCall {
            id: U256::from(a),
            asset: WETH,
            amount: units(5, 18),
            to: DAVE,
        },
    );
    // The account is debited the amount; the recipient receives it less the token's fee.
    assert_eq!(balance(&mut v, WETH, DAVE), U256::from(495 * ONE / 100));
    assert_eq!(
        view(
            &mut v,
            I::collateralBalanceCall {
                id: U256::from(a),
                asset: WETH
            }
        ),
        U256::from(49 * ONE / 10)
    );
    assert_eq!(
        balance(&mut v, WETH, vault_address),
        U256::from(49 * ONE / 10)
    );

    // Cash: 1,000 USDC arrive as 980, credited as 980 wad; 500 out pay 490.
    let out = ok(
        &mut v,
        "deposit 1,000 USDC (2 % fee)",
        ALICE,
        I::depositCall {
            id: U256::from(a),
            asset: USDC,
            amount: units(1_000, 6),
        },
    );
    assert_eq!(deposited(&out), (units(980, 6), wad(980)));
    assert_eq!(
        view(&mut v, I::cashCall { id: U256::from(a) }),
        signed(980 * ONE as i128)
    );
    ok(
        &mut v,
        "withdraw 500 USDC (2 % fee)",
        ALICE,
        I::withdrawCall {
            id: U256::from(a),
            asset: USDC,
            amount: units(500, 6),
            to: DAVE,
        },
    );
    assert_eq!(balance(&mut v, USDC, DAVE), units(490, 6));
    assert_eq!(
        view(&mut v, I::cashCall { id: U256::from(a) }),
        signed(480 * ONE as i128)
    );
    assert_eq!(balance(&mut v, USDC, vault_address), units(480, 6));
}

/// The hook's recorded result on `token`: (ok, data).
fn hook_result(v: &mut Vault, token: Address) -> (bool, Bytes) {
    let r = v
        .view_of(token, test_token::lastHookResultCall {})
        .expect("lastHookResult");
    (r.ok, r.data)
}

fn hook_calls(v: &mut Vault, token: Address) -> U256 {
    v.view_of(token, test_token::hookCallsCall {})
        .expect("hookCalls")
}

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js or OpenZeppelin is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn reentrant_token_gets_reentrant_and_only_the_outer_operation_happens() {
    let mut v = vault();
    let vault_address = v.vault;
    let a = v.funded_account(ALICE, 10_000, 0).expect("alice");
    let cash = |v: &mut Vault| view(v, I::cashCall { id: U256::from(a) });

    // Deposit: the token's hook calls deposit(a, USDC, 1 USDC) back into the vault.
    let reenter_deposit = I::depositCall {
        id: U256::from(a),
        asset: USDC,
        amount: units(1, 6),
    }
    .abi_encode();
    send(
        &mut v,
        OWNER,
        USDC,
        test_token::setHookCall {
            target: vault_address,
            data: reenter_deposit.into(),
        },
    );
    let held = balance(&mut v, USDC, vault_address);
    let alice = balance(&mut v, USDC, ALICE);
    ok(
        &mut v,
        "deposit 100 USDC (hook re-enters deposit)",
        ALICE,
        I::depositCall {
            id: U256::from(a),
            asset: USDC,
            amount: units(100, 6),
        },
    );
    let (hook_ok, data) = hook_result(&mut v, USDC);
    assert!(!hook_ok, "the reentrant deposit must fail");
    assert_eq!(
        I::IMarginVaultErrors::abi_decode(&data).expect("an IMarginVault error"),
        I::IMarginVaultErrors::Reentrant(I::Reentrant {})
    );
    assert_eq!(hook_calls(&mut v, USDC), U256::from(1));
    assert_eq!(
        cash(&mut v),
        signed(10_100 * ONE as i128),
        "only the outer 100"
    );
    assert_eq!(balance(&mut v, USDC, vault_address), held + units(100, 6));
    assert_eq!(balance(&mut v, USDC, ALICE), alice - units(100, 6));

    // Withdraw: the token may act for the account (an operator), and its hook calls
    // withdraw(a, USDC, 1 USDC, token) while the vault's transfer is running.
    ok(
        &mut v,
        "setOperator(token)",
        ALICE,
        I::setOperatorCall {
            id: U256::from(a),
            operator: USDC,
            approved: true,
        },
    );
    let reenter_withdraw = I::withdrawCall {
        id: U256::from(a),
        asset: USDC,
        amount: units(1, 6),
        to: USDC,
    }
    .abi_encode();
    send(
        &mut v,
        OWNER,
        USDC,
        test_token::setHookCall {
            target: vault_address,
            data: reenter_withdraw.clone().into(),
        },
    );
    // The token's call is a valid withdrawal on its own, outside a transfer (tried on a
    // copy of the chain).
    let direct = v.host.fork().call(
        USDC,
        vault_address,
        &reenter_withdraw,
        U256::ZERO,
        TestChain::GAS_LIMIT,
    );
    assert!(direct.success, "{}", bench::revert_text(&direct));
    let held = balance(&mut v, USDC, vault_address);
    ok(
        &mut v,
        "withdraw 50 USDC (hook re-enters withdraw)",
        ALICE,
        I::withdrawCall {
            id: U256::from(a),
            asset: USDC,
            amount: units(50, 6),
            to: ALICE,
        },
    );
    let (hook_ok, data) = hook_result(&mut v, USDC);
    assert!(!hook_ok, "the reentrant withdrawal must fail");
    assert_eq!(
        I::IMarginVaultErrors::abi_decode(&data).expect("an IMarginVault error"),
        I::IMarginVaultErrors::Reentrant(I::Reentrant {})
    );
    assert_eq!(
        cash(&mut v),
        signed(10_050 * ONE as i128),
        "only the outer 50"
    );
    assert_eq!(balance(&mut v, USDC, vault_address), held - units(50, 6));
    assert_eq!(
        balance(&mut v, USDC, USDC),
        U256::ZERO,
        "the token got nothing"
    );

    // The hook fires once per outermost transfer: a hook that transfers the token itself
    // (from the token's own balance) does not call itself again.
    send(
        &mut v,
        OWNER,
        USDC,
        test_token::mintCall {
            to: USDC,
            amount: units(10, 6),
        },
    );
    let to_dave = test_token::transferCall {
        to: DAVE,
        amount: units(1, 6),
    }
    .abi_encode();
    send(
        &mut v,
        OWNER,
        USDC,
        test_token::setHookCall {
            target: USDC,
            data: to_dave.into(),
        },
    );
    let calls = hook_calls(&mut v, USDC);
    send(
        &mut v,
        ALICE,
        USDC,
        test_token::transferCall {
            to: BOB,
            amount: units(2, 6),
        },
    );
    assert_eq!(hook_calls(&mut v, USDC), calls + U256::from(1));
    let (hook_ok, data) = hook_result(&mut v, USDC);
    assert!(hook_ok, "the nested transfer succeeds");
    assert_eq!(
        U256::from_be_slice(&data),
        U256::from(1),
        "it returned true"
    );
    assert_eq!(balance(&mut v, USDC, DAVE), units(1, 6));
    assert_eq!(balance(&mut v, USDC, USDC), units(9, 6));
}

/// The adapter's `sequencerStatus()`: (status, since).
fn sequencer(v: &mut Vault) -> (u8, u64) {
    let oracle = v.oracle;
    let r = v
        .view_of(oracle, IOracleAdapter::sequencerStatusCall {})
        .expect("sequencerStatus");
    (r.status, r.since)
}

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js or OpenZeppelin is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn sequencer_down_blocks_new_risk_not_liquidation_and_recovers_after_the_grace_period() {
    let mut v = vault();
    let (a, c, perp) = leveraged(&mut v);
    // BOB, USDC only, goes short 2 against CAROL (whose short perp hedges her WETH).
    let d = v.funded_account(BOB, 1_000_000, 0).expect("bob");
    let out = trade(&mut v, perp, c, d, 2 * ONE as i128);
    assert!(out.success, "trade: {}", bench::revert_text(&out));
    assert_eq!(sequencer(&mut v), (0, T0 - DAY), "up since a day");

    v.host.advance(30);
    v.set_sequencer(1).expect("sequencer down");
    let down_since = v.host.timestamp();
    assert_eq!(sequencer(&mut v), (1, down_since));
    // Trades adding risk: refused, for both sides' IM checks.
    let out = trade(&mut v, perp, a, c, ONE as i128);
    assert_eq!(
        error_of(&out),
        I::IMarginVaultErrors::SequencerUnavailable(I::SequencerUnavailable { status: 1 })
    );
    // A withdrawal against positions needs IM: refused too.
    let out = call(
        &mut v,
        ALICE,
        I::withdrawCall {
            id: U256::from(a),
            asset: USDC,
            amount: units(1, 6),
            to: ALICE,
        },
    );
    assert_eq!(
        error_of(&out),
        I::IMarginVaultErrors::SequencerUnavailable(I::SequencerUnavailable { status: 1 })
    );
    // Deposits and risk-reducing trades go on: a side that cannot show initial margin may
    // settle when neither its initial-margin surplus nor its value falls.
    ok(
        &mut v,
        "deposit, sequencer down",
        ALICE,
        I::depositCall {
            id: U256::from(a),
            asset: USDC,
            amount: units(100, 6),
        },
    );
    // Buying back CAROL's short would unhedge her WETH (her initial-margin surplus falls):
    // that is not a reduction of risk, and it needs initial margin she cannot show now.
    let out = trade(&mut v, perp, a, c, -(ONE as i128));
    assert_eq!(
        error_of(&out),
        I::IMarginVaultErrors::SequencerUnavailable(I::SequencerUnavailable { status: 1 })
    );
    // ALICE selling 1 of her long to BOB, who buys back 1 of his short, lowers both risks.
    let out = trade(&mut v, perp, d, a, ONE as i128);
    assert!(out.success, "reducing trade: {}", bench::revert_text(&out));
    gas("settleTrade reducing, sequencer down", &out);
    assert_eq!(position_size(&mut v, a, perp), signed(19 * ONE as i128));

    // Liquidation runs: the auction starts and a bid fills.
    shock_below_maintenance(&mut v, a);
    auction_and_bid_a_quarter(&mut v, a, c, "sequencer down");
    assert!(position_size(&mut v, a, perp) < signed(19 * ONE as i128));

    // Back up: the grace period (the adapter's default, 1 hour) still refuses new risk.
    set_eth(&mut v, SPOT);
    let b = v.funded_account(BOB, 1_000_000, 0).expect("bob");
    v.set_sequencer(0).expect("sequencer up");
    let up_since = v.host.timestamp();
    assert_eq!(sequencer(&mut v), (2, up_since), "grace period");
    let out = trade(&mut v, perp, b, c, ONE as i128);
    assert_eq!(
        error_of(&out),
        I::IMarginVaultErrors::SequencerUnavailable(I::SequencerUnavailable { status: 2 })
    );
    v.warp(up_since + 3_600).expect("feeds refreshed");
    assert_eq!(
        sequencer(&mut v).0,
        2,
        "the grace period includes its last second"
    );
    v.warp(up_since + 3_601).expect("feeds refreshed");
    assert_eq!(sequencer(&mut v), (0, up_since));
    let out = trade(&mut v, perp, b, c, ONE as i128);
    assert!(
        out.success,
        "trade after the grace period: {}",
        bench::revert_text(&out)
    );
    gas("settleTrade after the grace period", &out);
}

/// The decimal `text` with 18 decimals as an `int256`: a wad, or an 18-decimal feed answer.
fn dec(text: &str) -> I256 {
    let w = keel_risk::Wad::parse_decimal(text).expect("decimal");
    I256::try_from(w.raw()).expect("fits")
}

/// Pushes `answer` to the feed `feed`, updated now.
fn push(v: &mut Vault, feed: Address, answer: I256) {
    let now = U256::from(v.host.timestamp());
    send(
        v,
        OWNER,
        feed,
        test_feed::setRoundCall {
            answer,
            startedAt: now,
            updatedAt: now,
        },
    );
}

/// The guard's assessment of wstETH.
fn assess(v: &mut Vault, guard: Address) -> ILstDepegGuard::Assessment {
    v.view_of(guard, ILstDepegGuard::assessCall { asset: WSTETH })
        .expect("assess")
}

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js or OpenZeppelin is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn lst_depeg_through_the_real_guard_reprices_and_makes_the_asset_reduce_only() {
    let codes = codes();
    let mut v = bench::set_up_with(&codes, Counterparts::Solidity).expect("the vault wires");
    let vault_address = v.vault;
    // wstETH (18 decimals) and the guard's feeds: the fundamental rate (stETH per wstETH,
    // 1.15) and the market price of wstETH in ETH (quote `Asset`), both 18 decimals.
    bench::deploy_test_token(&mut v.host, WSTETH, "wstETH", 18).expect("wstETH");
    bench::deploy_test_feed(&mut v.host, RATE_FEED, 18).expect("rate feed");
    bench::deploy_test_feed(&mut v.host, MARKET_FEED, 18).expect("market feed");
    push(&mut v, RATE_FEED, dec("1.15"));
    push(&mut v, MARKET_FEED, dec("1.15"));
    let (guard, out) = v
        .host
        .deploy_and_construct(
            &codes["keel_lst_depeg_guard"],
            OWNER,
            &OWNER.into_word().0,
            U256::ZERO,
        )
        .expect("the guard deploys");
    assert!(
        out.success,
        "guard constructor: {}",
        bench::revert_text(&out)
    );
    send(
        &mut v,
        OWNER,
        guard,
        ILstDepegGuard::setRateFeedCall {
            asset: WSTETH,
            feed: RATE_FEED,
            maxAge: DAY,
        },
    );
    send(
        &mut v,
        OWNER,
        guard,
        ILstDepegGuard::setCapoSnapshotCall {
            asset: WSTETH,
            ratio: wad(115) / U256::from(100),
            timestamp: T0 - DAY,
            maxYearlyGrowth: wad(1) / U256::from(10),
        },
    );
    send(
        &mut v,
        OWNER,
        guard,
        ILstDepegGuard::setMarketFeedCall {
            asset: WSTETH,
            feed: MARKET_FEED,
            maxAge: DAY,
            quote: ILstDepegGuard::MarketQuote::Asset,
        },
    );
    ok(
        &mut v,
        "setDepegGuard",
        OWNER,
        I::setDepegGuardCall { depegGuard: guard },
    );
    ok(
        &mut v,
        "listCollateral wstETH (depeg-guarded, linked to ETH)",
        ADMIN,
        I::listCollateralCall {
            asset: WSTETH,
            params: I::CollateralParams {
                imHaircut: U256::from(ONE / 10),
                mmHaircut: U256::from(ONE / 20),
                assetCap: wad(1_000_000),
                accountCap: wad(100_000),
                riskCancellingUnderlying: ETH,
                depegGuarded: true,
            },
        },
    );
    let add_ons = view(&mut v, I::haircutAddOnsCall {});
    assert_eq!(
        (add_ons.volSlope, add_ons.confidenceSlope),
        (U256::ZERO, U256::ZERO),
        "no vault add-ons: the haircuts below are the listed ones and the guard's"
    );

    // Alice: a cross account holding 10 wstETH and nothing else.
    send(
        &mut v,
        ALICE,
        WSTETH,
        test_token::mintCall {
            to: ALICE,
            amount: units(100, 18),
        },
    );
    send(
        &mut v,
        ALICE,
        WSTETH,
        test_token::approveCall {
            spender: vault_address,
            amount: U256::MAX,
        },
    );
    let a = v.open(ALICE, 1).expect("alice");
    ok(
        &mut v,
        "setOperator(market)",
        ALICE,
        I::setOperatorCall {
            id: U256::from(a),
            operator: MARKET,
            approved: true,
        },
    );
    ok(
        &mut v,
        "deposit 10 wstETH",
        ALICE,
        I::depositCall {
            id: U256::from(a),
            asset: WSTETH,
            amount: units(10, 18),
        },
    );
    let c = v.funded_account(CAROL, 10_000_000, 1_000).expect("carol");
    let perp = v.instrument(0, 0, 0).expect("perp id");

    // At par: Normal, rate = the capped fundamental 1.15. Value 10 × 2,000 × 1.15 = 23,000;
    // IM keeps 90 %, MM 95 % (the listed haircuts).
    let g = assess(&mut v, guard);
    assert_eq!(g.status, ILstDepegGuard::DepegStatus::Normal);
    assert_eq!(g.rate, wad(115) / U256::from(100));
    let m = v.margin(a).expect("margin");
    assert_eq!(
        (m.markToMarket, m.initialMargin, m.maintenanceMargin),
        (dec("23000"), dec("20700"), dec("21850"))
    );

    // Warning: the market at 1.127 (2 % below the fundamental): the rate in use is the
    // market's, and the guard's add-on (slope 1: 0.02) joins both haircuts. Value 22,540;
    // IM keeps 88 %, MM 93 %.
    push(&mut v, MARKET_FEED, dec("1.127"));
    let g = assess(&mut v, guard);
    assert_eq!(g.status, ILstDepegGuard::DepegStatus::Warning);
    assert_eq!(g.rate, wad(1127) / U256::from(1000));
    assert_eq!(
        (g.depegBps, g.haircutAddOn),
        (U256::from(200), wad(2) / U256::from(100))
    );
    let m = v.margin(a).expect("margin");
    assert_eq!(
        (m.markToMarket, m.initialMargin, m.maintenanceMargin),
        (dec("22540"), dec("19835.2"), dec("20962.2"))
    );

    // Depegged: the market at 1.0925 (5 % below): value 21,850, MM keeps 90 % (add-on
    // 0.05), and the asset backs no initial margin at all.
    push(&mut v, MARKET_FEED, dec("1.0925"));
    let g = assess(&mut v, guard);
    assert_eq!(g.status, ILstDepegGuard::DepegStatus::Depegged);
    assert_eq!(g.depegBps, U256::from(500));
    let m = v.margin(a).expect("margin");
    assert_eq!(
        (m.markToMarket, m.initialMargin, m.maintenanceMargin),
        (dec("21850"), I256::ZERO, dec("19665"))
    );

    // Reduce-only: at par Alice buys 1 ETH of perp on her wstETH; depegged, one more is
    // refused, while selling it back (risk-reducing, a maintenance check) goes through.
    push(&mut v, MARKET_FEED, dec("1.15"));
    let out = trade(&mut v, perp, a, c, ONE as i128);
    assert!(
        out.success,
        "a trade backed by wstETH at par: {}",
        bench::revert_text(&out)
    );
    push(&mut v, MARKET_FEED, dec("1.0925"));
    let out = trade(&mut v, perp, a, c, ONE as i128);
    assert!(matches!(
        error_of(&out),
        I::IMarginVaultErrors::BelowInitialMargin(_)
    ));
    let out = trade(&mut v, perp, a, c, -(ONE as i128));
    assert!(
        out.success,
        "closing while depegged: {}",
        bench::revert_text(&out)
    );
    assert_eq!(position_size(&mut v, a, perp), I256::ZERO);

    // A fundamental feed gone stale reverts the guard's assessment: the vault then values
    // the asset at zero rather than block (liquidations must not freeze).
    v.warp(T0 + 2 * DAY).expect("feeds refreshed");
    let out = v.host.static_call(
        DAVE,
        guard,
        &ILstDepegGuard::assessCall { asset: WSTETH }.abi_encode(),
        TestChain::GAS_LIMIT,
    );
    assert!(matches!(
        ILstDepegGuard::ILstDepegGuardErrors::abi_decode(&out.return_data),
        Ok(ILstDepegGuard::ILstDepegGuardErrors::FundamentalStale(_))
    ));
    let m = v.margin(a).expect("margin");
    assert_eq!(
        (m.markToMarket, m.initialMargin, m.maintenanceMargin),
        (I256::ZERO, I256::ZERO, I256::ZERO)
    );
}

alloy_sol_types::sol! {
    /// `scripts/tests/fixtures/solidity/Depositor.sol`.
    interface Depositor {
        function depositFor(address vault, address token, uint256 id, uint256 amount, uint256 approval) external;
        function deposits() external view returns (uint256);
    }
}

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js or OpenZeppelin is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn a_solidity_protocol_deposits_through_the_vault_and_an_innermost_revert_undoes_every_frame() {
    let mut v = vault();
    let root = keel_cli::solidity::repo_root();
    let compiled =
        keel_cli::solidity::compile(&root, &["scripts/tests/fixtures/solidity/Depositor.sol"])
            .expect("Depositor.sol compiles against @keel/IMarginVault.sol");
    let (depositor, created) = v.host.create(
        ALICE,
        &compiled["Depositor"].bytecode,
        U256::ZERO,
        TestChain::GAS_LIMIT,
    );
    let depositor = depositor.unwrap_or_else(|| panic!("Depositor deploys: {:?}", created.status));
    let id = v.open(BOB, 0).expect("BOB opens an account");
    send(
        &mut v,
        ALICE,
        USDC,
        test_token::approveCall {
            spender: depositor,
            amount: U256::MAX,
        },
    );
    let amount = units(1_000, 6);
    let alice_before = balance(&mut v, USDC, ALICE);
    let vault = v.vault;
    let vault_before = balance(&mut v, USDC, vault);

    // Solidity → Stylus vault → Solidity token (transferFrom out of the depositor).
    let call = Depositor::depositForCall {
        vault,
        token: USDC,
        id: U256::from(id),
        amount,
        approval: amount,
    };
    let out = send(&mut v, ALICE, depositor, call.clone());
    gas("depositFor (Solidity → vault → Solidity token)", &out);
    assert_eq!(
        deposited(&out),
        (amount, amount * U256::from(10u64).pow(U256::from(12)))
    );
    assert_eq!(balance(&mut v, USDC, ALICE), alice_before - amount);
    assert_eq!(balance(&mut v, USDC, vault), vault_before + amount);
    assert_eq!(balance(&mut v, USDC, depositor), U256::ZERO);
    let deposits = |v: &mut Vault| {
        v.view_of(depositor, Depositor::depositsCall {})
            .expect("deposits")
    };
    assert_eq!(deposits(&mut v), U256::from(1));

    // The depositor approves the vault for less than it deposits: the token's transferFrom,
    // three frames down, reverts; the vault names it; the depositor's counter, its pull of
    // ALICE's tokens and everything the vault wrote are undone.
    let before: Vec<_> = [v.vault, USDC, depositor]
        .iter()
        .map(|a| v.host.storage_slots(*a))
        .collect();
    let short = Depositor::depositForCall {
        approval: amount - U256::from(1),
        ..call
    };
    let out = v.host.call(
        ALICE,
        depositor,
        &short.abi_encode(),
        U256::ZERO,
        TestChain::GAS_LIMIT,
    );
    assert!(!out.success, "an innermost revert fails the transaction");
    assert!(out.logs.is_empty());
    match I::IMarginVaultErrors::abi_decode(&out.return_data) {
        Ok(I::IMarginVaultErrors::TokenCallFailed(e)) => assert_eq!(e.token, USDC),
        other => panic!("expected TokenCallFailed(USDC), got {other:?}"),
    }
    let after: Vec<_> = [v.vault, USDC, depositor]
        .iter()
        .map(|a| v.host.storage_slots(*a))
        .collect();
    assert_eq!(before, after, "no frame's write survives");
    assert_eq!(deposits(&mut v), U256::from(1));
    assert_eq!(balance(&mut v, USDC, ALICE), alice_before - amount);
}
