//! End to end on the embedded Stylus host: Keel's real deployable bytes (core, margin,
//! trading and liquidation modules, both engines, the oracle adapter over Chainlink-feed
//! stand-ins) wired by `keel_cli::bench::set_up`, driven through calldata encoded with alloy's
//! `sol!` from `abi/IMarginVault.sol` and `abi/IOracleAdapter.sol`, and, when Foundry's `cast`
//! is installed in `abi/node_modules`, through `cast calldata` / `cast abi-decode`.
//!
//! * a full liquidation flow: deposit, a perp trade through the authorised market, margin in
//!   each account's mode and `marginAllModes`, a reverted trade that leaves every storage slot
//!   as it was (the host journals), a price shock, `startAuction`, a partial `bid`, a crash,
//!   bad debt paid by the insurance fund and socialised;
//! * pause: trades and withdrawals refused with `EnforcedPause`; deposits, realisation,
//!   liquidation and option settlement (the real adapter's `settle` from a feed round after
//!   the expiry, on a feed stand-in with a round history) go on;
//! * `cast calldata` for `deposit` and `margin`, run on the host, `cast abi-decode` of the
//!   margin state compared with alloy's decoding.
//!
//! Skipped (printing `SKIPPED`) when the artifacts or `cast` are missing, except under
//! `CI=true`, where that fails. Gas of each step is printed (`--nocapture`), never asserted.

use std::path::PathBuf;
use std::process::Command;

use alloy_sol_types::{SolCall, SolInterface};
use keel_cli::bench::{
    self, units, wad, Vault, ALICE, BOB, CAROL, CONTRACTS, DAVE, ETH, MARKET, ONE, OWNER, SPOT,
    USDC, WETH,
};
use keel_stylus_host::alloy_primitives::{Address, I256, U256};
use keel_stylus_host::{Host, NativeCall, NativeHandler, Outcome};
use std::sync::Arc;

use bench::IMarginVault as I;

alloy_sol_types::sol!(
    #[sol(all_derives)]
    "../abi/IOracleAdapter.sol"
);

mod feed {
    alloy_sol_types::sol! {
        function decimals() external view returns (uint8);
        function latestRoundData() external view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
        function getRoundData(uint80 roundId) external view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
    }
}

const GUARDIAN: Address = Address::repeat_byte(0x9a);

/// Storage of [`feed_with_rounds`]: slot 0 the latest answer (as `bench`'s feed, so
/// `Vault::set_price` still moves it), slot 1 the latest round id (0 reads as 1), and past
/// rounds' answers at `ROUND_ANSWER + r`, their update times at `ROUND_TIME + r`.
const LATEST_ROUND: u64 = 1;
const ROUND_ANSWER: u64 = 1_000;
const ROUND_TIME: u64 = 2_000;

/// A Chainlink-style feed (8 decimals) with a round history, so the adapter can fix a
/// settlement price from a round updated after an expiry whose predecessor is before it.
fn feed_with_rounds() -> NativeHandler {
    Arc::new(|c: &mut NativeCall<'_>| {
        let words = |round: U256, answer: U256, at: U256| {
            let mut out = Vec::with_capacity(5 * 32);
            for w in [round, answer, at, at, round] {
                out.extend_from_slice(&w.to_be_bytes::<32>());
            }
            out
        };
        let latest = c.sload(U256::from(LATEST_ROUND)).max(U256::from(1));
        let now = U256::from(c.timestamp());
        match c.selector() {
            Some(feed::decimalsCall::SELECTOR) => Ok(U256::from(8).to_be_bytes::<32>().to_vec()),
            Some(feed::latestRoundDataCall::SELECTOR) => {
                let answer = c.sload(U256::ZERO);
                Ok(words(latest, answer, now))
            }
            Some(feed::getRoundDataCall::SELECTOR) => {
                let r = feed::getRoundDataCall::abi_decode(c.calldata())
                    .map_err(|_| Vec::new())?
                    .roundId;
                let r = U256::from(r);
                if r == latest {
                    let answer = c.sload(U256::ZERO);
                    return Ok(words(latest, answer, now));
                }
                let answer = c.sload(U256::from(ROUND_ANSWER) + r);
                let at = c.sload(U256::from(ROUND_TIME) + r);
                if at.is_zero() || r > latest {
                    return Err(Vec::new());
                }
                Ok(words(r, answer, at))
            }
            _ => Err(Vec::new()),
        }
    })
}

/// The artifact directory: `$KEEL_WASM_DIR`, else `$CARGO_TARGET_DIR/…/contract`, else the
/// workspace `target/…/contract`.
fn wasm_dir() -> PathBuf {
    std::env::var_os("KEEL_WASM_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            std::env::var_os("CARGO_TARGET_DIR")
                .map(|t| PathBuf::from(t).join("wasm32-unknown-unknown/contract"))
        })
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../target/wasm32-unknown-unknown/contract")
        })
}

fn ci() -> bool {
    std::env::var("CI").as_deref() == Ok("true")
}

/// A skip: a failure under `CI=true`, else a printed `SKIPPED`.
fn skip(why: &str) {
    assert!(!ci(), "{why}");
    eprintln!("SKIPPED: {why}");
}

/// The wired vault when every artifact is built; else `None` after [`skip`].
fn vault() -> Option<Vault> {
    let dir = wasm_dir();
    let missing: Vec<&str> = CONTRACTS
        .iter()
        .copied()
        .filter(|c| !dir.join(format!("{c}.wasm")).is_file())
        .collect();
    if !missing.is_empty() {
        skip(&format!(
            "{} lacks {missing:?}; build them first with `{}`",
            dir.display(),
            bench::BUILD_COMMAND
        ));
        return None;
    }
    let codes = bench::load(&dir).expect("artifacts load");
    let v = bench::set_up(&codes).expect("the vault deploys and wires");
    assert!(!v.feeds.is_empty(), "the real oracle adapter answers");
    Some(v)
}

fn gas(step: &str, out: &Outcome) {
    println!("gas {step:<40} {:>10}", out.execution_gas);
}

/// A transaction to the vault that may revert.
fn call<C: SolCall>(v: &mut Vault, from: Address, c: C) -> Outcome {
    let to = v.vault;
    v.host
        .call(from, to, &c.abi_encode(), U256::ZERO, Host::GAS_LIMIT)
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
        Host::GAS_LIMIT,
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
    let mut price = SPOT;
    loop {
        price -= 10;
        set_eth(v, price);
        if v.margin(id).expect("margin").maintenanceMargin < I256::ZERO {
            return price;
        }
        assert!(price > 100, "account {id} never fell below maintenance");
    }
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

#[test]
fn deposit_trade_margin_shock_auction_bad_debt_and_rollback() {
    let Some(mut v) = vault() else {
        return;
    };
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
        Host::GAS_LIMIT,
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
fn pause_blocks_trades_and_withdrawals_only() {
    let Some(mut v) = vault() else {
        return;
    };
    let (a, c, perp) = leveraged(&mut v);
    let eth_feed = v
        .feeds
        .iter()
        .find(|(asset, _)| *asset == ETH)
        .map(|(_, f)| *f)
        .expect("ETH feed");
    v.host.install_native(eth_feed, feed_with_rounds());
    // Bob buys one 1,900 call expiring in a week from Carol for 10 USDC.
    let expiry = bench::T0 + 7 * bench::DAY;
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
        Host::GAS_LIMIT,
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
    ok(
        &mut v,
        "startAuction while paused",
        CAROL,
        I::startAuctionCall { id: U256::from(a) },
    );
    v.host.advance(60);
    ok(
        &mut v,
        "bid while paused",
        CAROL,
        I::bidCall {
            id: U256::from(a),
            bidder: U256::from(c),
            fraction: U256::from(ONE / 4),
            maxPayment: I256::MAX,
        },
    );
    assert!(position_size(&mut v, a, perp) < signed(20 * ONE as i128));

    // Option settlement: a week later ETH is 2,100; the adapter fixes the price from the
    // first feed round after the expiry, and the call settles while paused.
    v.host.set_timestamp(expiry + 60);
    set_eth(&mut v, 2_100);
    v.host.set_storage(
        eth_feed,
        U256::from(ROUND_ANSWER + 1),
        U256::from(2_000u64 * 100_000_000),
    );
    v.host.set_storage(
        eth_feed,
        U256::from(ROUND_TIME + 1),
        U256::from(expiry - 60),
    );
    v.host
        .set_storage(eth_feed, U256::from(LATEST_ROUND), U256::from(2));
    let oracle = v.oracle;
    let out = v.host.call(
        DAVE,
        oracle,
        &IOracleAdapter::settleCall {
            asset: ETH,
            expiry,
            roundId: keel_stylus_host::alloy_primitives::Uint::from(2u64),
        }
        .abi_encode(),
        U256::ZERO,
        Host::GAS_LIMIT,
    );
    assert!(out.success, "adapter settle: {}", bench::revert_text(&out));
    gas("adapter settle(ETH, expiry, round 2)", &out);
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

/// The `cast` binary of `@foundry-rs/cast`'s platform package in `abi/node_modules`.
fn cast() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../abi/node_modules/@foundry-rs");
    let found = std::fs::read_dir(&dir).ok().and_then(|entries| {
        entries
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().starts_with("cast-"))
            .map(|e| e.path().join("bin/cast"))
            .find(|p| p.is_file())
    });
    if found.is_none() {
        skip(&format!(
            "no cast under {}: run `npm install --no-save --ignore-scripts` in abi/",
            dir.display()
        ));
    }
    found
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
fn cast_calldata_runs_and_cast_abi_decode_agrees_with_alloy() {
    let Some(cast) = cast() else {
        return;
    };
    let Some(mut v) = vault() else {
        return;
    };
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
        .call(ALICE, v.vault, &data, U256::ZERO, Host::GAS_LIMIT);
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
    let out = v.host.static_call(DAVE, v.vault, &data, Host::GAS_LIMIT);
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
