//! Generated sequences of vault calls — deposits, withdrawals, trades at any price (far off
//! the mark included) with fees, price and time moves, sequencer outages, depeg-guard
//! failures, auctions, bids (by keepers and by the liquidated account's owner), ends and
//! realisations — on the whole vault (real core and modules, simulated oracle, guard and
//! engines), checking issue 10's rules after every step:
//!
//! * after a trade, each side meets initial margin, or its initial-margin surplus did not
//!   fall and neither did its mark-to-market beyond its own fee;
//! * a bid succeeds only on an account below maintenance margin, never with a bidder
//!   account of the same owner, never sent by that owner;
//! * no cash is created: the books — every account's cash and unrealised P&L plus the
//!   insurance fund — never exceed the settlement asset the vault holds (rounding dust
//!   aside);
//! * a bid never takes collateral the depeg guard cannot assess, and never leaves the
//!   bidder above a per-account cap;
//! * positions are zero-sum per instrument;
//! * a call that reverts changes no storage (the journaled harness).
//!
//! proptest shrinks a failing sequence to a minimal one and prints it. The sequences are
//! deterministic: `KEEL_SEED=S` picks another set, `KEEL_SEQUENCES=N` runs N of them (CI
//! runs 64; the closing note's long run is larger).
mod common;

use std::collections::HashMap;

use alloy_primitives::{Address, I256, U256};
use common::whole::*;
use common::*;
use keel_vault_state::pack::pair;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// Accounts: 1 ALICE (portfolio), 2 BOB (cross), 3 CAROL (portfolio, the keeper), 4 ALICE's
/// second account (cross, holds wstETH).
const OWNERS: [Address; 4] = [ALICE, BOB, CAROL, ALICE];
const ACCOUNTS: [u64; 4] = [1, 2, 3, 4];
/// WETH's per-account cap in the sequences (wad units).
const WETH_CAP: u128 = 40;
/// Rounding dust the books may show per step (wei): products truncated toward zero.
const DUST: i128 = 1_000_000;

#[derive(Clone, Debug)]
enum Step {
    Deposit {
        account: usize,
        usdc: u32,
        weth: u8,
    },
    Withdraw {
        account: usize,
        usdc: u32,
    },
    Trade {
        taker: usize,
        maker: usize,
        instrument: usize,
        tenths: i8,
        off: i16,
        fee: u8,
    },
    Price {
        eth: u16,
    },
    Warp {
        minutes: u16,
    },
    Sequencer {
        down: bool,
    },
    Guard {
        failing: bool,
    },
    Start {
        account: usize,
    },
    Bid {
        target: usize,
        bidder: usize,
        percent: u8,
        by_target_owner: bool,
    },
    End {
        account: usize,
    },
    Realise {
        account: usize,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let account = 0..4usize;
    prop_oneof![
        1 => (account.clone(), 0..20_000u32, prop_oneof![Just(0u8), 1..12u8]).prop_map(|(account, usdc, weth)| Step::Deposit { account, usdc, weth }),
        1 => (account.clone(), 0..30_000u32).prop_map(|(account, usdc)| Step::Withdraw { account, usdc }),
        4 => (account.clone(), account.clone(), 0..3usize, -120..120i8, -4_000..4_000i16, 0..4u8).prop_map(
            |(taker, maker, instrument, tenths, off, fee)| Step::Trade { taker, maker, instrument, tenths, off, fee }
        ),
        3 => (600..3_600u16).prop_map(|eth| Step::Price { eth }),
        1 => (0..240u16).prop_map(|minutes| Step::Warp { minutes }),
        1 => any::<bool>().prop_map(|down| Step::Sequencer { down }),
        1 => any::<bool>().prop_map(|failing| Step::Guard { failing }),
        3 => account.clone().prop_map(|account| Step::Start { account }),
        3 => (account.clone(), account.clone(), 1..=100u8, any::<bool>()).prop_map(
            |(target, bidder, percent, by_target_owner)| Step::Bid { target, bidder, percent, by_target_owner }
        ),
        1 => account.clone().prop_map(|account| Step::End { account }),
        1 => account.prop_map(|account| Step::Realise { account }),
    ]
}

/// The whole vault of [`vault`] plus ALICE's second account (5,000 USDC, 10 wstETH behind
/// the depeg guard), an ETH call and put of [`EXPIRY`], WETH capped per account.
fn world() -> (Env, [U256; 3]) {
    let env = vault();
    list_wsteth(&env);
    assess(&env, 115 * 10u128.pow(16), 0, 0);
    env.state()
        .assets
        .setter(WETH)
        .w2
        .set(pair(10u128.pow(26), WETH_CAP * 10u128.pow(18)));
    env.set_eth_expiry(EXPIRY, 2_000);
    assert_eq!(market_account(&env, ALICE, 1), 4);
    env.deposit(ALICE, 4, USDC, e(5_000, 6)).unwrap();
    env.deposit(ALICE, 4, WSTETH, wad(10)).unwrap();
    approve_market(&env, CAROL, 3);
    let instruments = [perp(&env), option(&env, 1, 2_000), option(&env, 2, 1_800)];
    env.host.clear_logs();
    (env, instruments)
}

fn im_mtm(env: &Env, id: u64) -> (i128, i128) {
    let m = margin(env, id);
    (int(m.initialMargin), int(m.markToMarket))
}

/// Every account's cash and unrealised P&L plus the insurance fund, less the settlement
/// asset the vault holds (wad): never above rounding dust.
fn excess_books(env: &Env) -> i128 {
    let fund = i128::try_from(env.call(DAVE, I::insuranceFundCall {}).unwrap()).unwrap();
    let books: i128 = ACCOUNTS
        .iter()
        .map(|&id| {
            let m = margin(env, id);
            int(m.cash) + int(m.unrealisedPnl)
        })
        .sum();
    let held = env.host.balance(USDC, env.vault()) * U256::from(10u64.pow(12));
    books + fund - i128::try_from(held).unwrap()
}

fn storage(env: &Env) -> HashMap<U256, alloy_primitives::B256> {
    env.host.snapshot().storage
}

struct Counts {
    trades: usize,
    auctions: usize,
    bids: usize,
    refused_bids: usize,
}

/// Runs `steps` on a fresh world, asserting the rules after each.
fn run(steps: &[Step], counts: &mut Counts) -> Result<(), TestCaseError> {
    let (env, instruments) = world();
    let mut spot: u128 = 2_000;
    let mut excess = excess_books(&env);
    prop_assert!(excess <= 0);
    for (k, step) in steps.iter().enumerate() {
        let before = storage(&env);
        let result: Result<(), Vec<u8>> = match *step {
            Step::Deposit {
                account,
                usdc,
                weth,
            } => {
                let (owner, id) = (OWNERS[account], ACCOUNTS[account]);
                if weth > 0 {
                    env.deposit(owner, id, WETH, wad(u128::from(weth)))
                } else {
                    env.deposit(owner, id, USDC, e(u128::from(usdc) + 1, 6))
                }
            }
            Step::Withdraw { account, usdc } => env.withdraw(
                OWNERS[account],
                ACCOUNTS[account],
                USDC,
                e(u128::from(usdc) + 1, 6),
                OWNERS[account],
            ),
            Step::Trade {
                taker,
                maker,
                instrument,
                tenths,
                off,
                fee,
            } => {
                let (t, m) = (ACCOUNTS[taker], ACCOUNTS[maker]);
                let size = i128::from(tenths) * ONE / 10;
                // Perpetuals around the mark (up to ±40 %), option premiums up to 400.
                let price = if instrument == 0 {
                    (spot as i128 * ONE) * (10_000 + i128::from(off)) / 10_000
                } else {
                    i128::from(off).abs() * ONE / 10
                };
                let fee = i128::from(fee) * ONE;
                let pre = (t != m).then(|| (im_mtm(&env, t), im_mtm(&env, m)));
                let r = env
                    .call(
                        MARKET,
                        I::settleTradeCall {
                            trade: I::Trade {
                                instrument: instruments[instrument],
                                taker: uid(t),
                                maker: uid(m),
                                size: I256::try_from(size).unwrap(),
                                price: U256::from(price.max(0) as u128),
                                takerFee: U256::from(fee as u128),
                                makerFee: U256::ZERO,
                            },
                        },
                    )
                    .map(|_| ());
                if r.is_ok() {
                    counts.trades += 1;
                    let (pt, pm) = pre.unwrap();
                    for (id, (im0, mtm0), own_fee) in [(t, pt, fee), (m, pm, 0)] {
                        let (im1, mtm1) = im_mtm(&env, id);
                        prop_assert!(
                            im1 >= 0 || (im1 >= im0 && mtm1 + own_fee >= mtm0),
                            "step {k}: account {id} traded from IM {im0} / value {mtm0} to {im1} / {mtm1}"
                        );
                    }
                }
                r
            }
            Step::Price { eth } => {
                spot = u128::from(eth);
                env.set_price(ETH_UNDERLYING, wad(spot));
                env.set_eth_expiry(EXPIRY, spot);
                Ok(())
            }
            Step::Warp { minutes } => {
                let now = env.host.snapshot().block_timestamp + u64::from(minutes) * 60;
                if now + 86_400 < EXPIRY {
                    env.warp(now);
                }
                Ok(())
            }
            Step::Sequencer { down } => {
                env.host.handler().oracle.borrow_mut().sequencer = u8::from(down);
                Ok(())
            }
            Step::Guard { failing } => {
                let mut g = env.host.handler().guard.borrow_mut();
                g.failing.clear();
                if failing {
                    g.failing.push(WSTETH);
                }
                Ok(())
            }
            Step::Start { account } => {
                let id = uid(ACCOUNTS[account]);
                let r = env.call(DAVE, I::startAuctionCall { id }).map(|_| ());
                counts.auctions += usize::from(r.is_ok());
                r
            }
            Step::Bid {
                target,
                bidder,
                percent,
                by_target_owner,
            } => {
                let (id, b) = (ACCOUNTS[target], ACCOUNTS[bidder]);
                let from = if by_target_owner {
                    OWNERS[target]
                } else {
                    OWNERS[bidder]
                };
                let mm = int(margin(&env, id).maintenanceMargin);
                let guard_failing = !env.host.handler().guard.borrow().failing.is_empty();
                let lst = (env.balance(id, WSTETH), env.balance(b, WSTETH));
                let books = excess_books(&env);
                let r = env
                    .call(
                        from,
                        I::bidCall {
                            id: uid(id),
                            bidder: uid(b),
                            fraction: U256::from(u128::from(percent) * 10u128.pow(16)),
                            maxPayment: I256::MAX,
                        },
                    )
                    .map(|_| ());
                if r.is_ok() {
                    counts.bids += 1;
                    prop_assert!(mm < 0, "step {k}: bid on account {id} at MM {mm}");
                    prop_assert!(OWNERS[target] != OWNERS[bidder] && from != OWNERS[target]);
                    if guard_failing {
                        prop_assert_eq!((env.balance(id, WSTETH), env.balance(b, WSTETH)), lst);
                    }
                    let after = excess_books(&env);
                    prop_assert!(
                        after <= books + DUST,
                        "step {k}: a bid created {} wei",
                        after - books
                    );
                } else {
                    counts.refused_bids += 1;
                }
                r
            }
            Step::End { account } => env
                .call(
                    DAVE,
                    I::endAuctionCall {
                        id: uid(ACCOUNTS[account]),
                    },
                )
                .map(|_| ()),
            Step::Realise { account } => env
                .call(
                    DAVE,
                    I::realiseCall {
                        id: uid(ACCOUNTS[account]),
                    },
                )
                .map(|_| ()),
        };
        if result.is_err() {
            prop_assert!(
                storage(&env) == before,
                "step {k}: a reverted call left writes"
            );
        }
        for id in ACCOUNTS {
            prop_assert!(
                env.balance(id, WETH) <= wad(WETH_CAP),
                "step {k}: WETH cap of {id}"
            );
        }
        for instrument in instruments {
            let net: i128 = ACCOUNTS
                .iter()
                .map(|&id| size_of(&env, id, instrument))
                .sum();
            prop_assert_eq!(net, 0, "step {}: positions not zero-sum", k);
        }
        let now = excess_books(&env);
        prop_assert!(
            now <= excess.max(0) + DUST,
            "step {k}: books exceed holdings by {now} wei"
        );
        excess = now;
    }
    Ok(())
}

#[test]
fn generated_sequences_keep_the_trade_and_liquidation_rules() {
    let var = |name: &str| std::env::var(name).ok().and_then(|n| n.parse().ok());
    let cases = var("KEEL_SEQUENCES").unwrap_or(64) as u32;
    let seed: u64 = var("KEEL_SEED").unwrap_or(10);
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
    let mut runner = TestRunner::new_with_rng(config, rng);
    let counts = std::cell::RefCell::new(Counts {
        trades: 0,
        auctions: 0,
        bids: 0,
        refused_bids: 0,
    });
    runner
        .run(&proptest::collection::vec(step(), 150..300), |steps| {
            run(&steps, &mut counts.borrow_mut())
        })
        .unwrap();
    let c = counts.borrow();
    println!(
        "{cases} sequences (seed {seed}): {} trades settled, {} auctions started, {} bids filled, {} bids refused",
        c.trades, c.auctions, c.bids, c.refused_bids
    );
    // The sequences reach the paths the rules guard.
    assert!(
        c.trades > 10 * cases as usize && c.bids > 0,
        "{} trades, {} bids",
        c.trades,
        c.bids
    );
}
