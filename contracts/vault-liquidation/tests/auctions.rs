//! Starting and ending auctions, and the discount over time.
mod common;

use alloy_primitives::U256;
use common::*;

#[test]
fn an_auction_starts_only_below_maintenance_margin_and_once() {
    let env = underwater();
    assert_eq!(env.start(9), Err(err(I::UnknownAccount { id: id(9) })));
    // BOB's account: 10,000 of cash, nothing else: MM = 10,000.
    assert_eq!(
        env.start(2),
        Err(err(I::AboveMaintenanceMargin {
            id: id(2),
            maintenanceMargin: i(w(10_000))
        }))
    );
    // Exactly at maintenance (cash −23,000: V = 2,000 = R) is not below it.
    env.set_cash(1, w(-23_000));
    assert_eq!(
        env.start(1),
        Err(err(I::AboveMaintenanceMargin {
            id: id(1),
            maintenanceMargin: i(0)
        }))
    );
    env.set_cash(1, w(-23_500));
    assert!(!env.auction(1).active);
    env.start(1).unwrap();
    let a = env.auction(1);
    assert_eq!(
        (a.active, a.startedAt, a.discount),
        (true, T0, U256::from(w(2) / 100))
    );
    assert_eq!(
        env.events::<I::AuctionStarted>(),
        vec![I::AuctionStarted {
            id: id(1),
            maintenanceMargin: i(w(-500)),
            markToMarket: i(w(1_500)),
        }]
    );
    assert_eq!(
        env.start(1),
        Err(err(I::AuctionAlreadyActive { id: id(1) }))
    );
}

#[test]
fn the_discount_grows_linearly_to_the_end_discount() {
    let env = underwater();
    env.start(1).unwrap();
    // Defaults: 0.02 → 0.15 over 1,800 s.
    for (elapsed, expected) in [
        (0u64, 20_000u128), // per million
        (450, 52_500),      // 0.02 + 0.13 / 4
        (900, 85_000),      // 0.02 + 0.13 / 2
        (1_800, 150_000),
        (50_000, 150_000),
    ] {
        env.host.set_block_timestamp(T0 + elapsed);
        assert_eq!(
            env.auction(1).discount,
            U256::from(expected * 1_000_000_000_000),
            "{elapsed}"
        );
        assert_eq!(env.auction(1).startedAt, T0);
    }
    // New parameters apply to the running auction: 0.01 → 0.21 over 100 s.
    env.call(
        ADMIN,
        I::setLiquidationParamsCall {
            params: I::LiquidationParams {
                startDiscount: U256::from(w(1) / 100),
                endDiscount: U256::from(w(21) / 100),
                duration: 100,
                buffer: U256::from(w(1) / 10),
            },
        },
    )
    .unwrap();
    env.host.set_block_timestamp(T0 + 50);
    assert_eq!(env.auction(1).discount, U256::from(w(11) / 100));
    // A bid pays at the discount of its time: 0.25 · 1,500 · (1 − 0.11) = 333.75.
    let (filled, payment) = env.bid(BOB, 1, 2, w(1) / 4).unwrap();
    assert_eq!(filled, U256::from(w(1) / 4));
    assert_eq!(payment, i(w(33_375) / 100));
    assert_eq!(
        env.events::<I::Bid>(),
        vec![I::Bid {
            id: id(1),
            bidder: id(2),
            fraction: U256::from(w(1) / 4),
            payment: i(w(33_375) / 100),
            discount: U256::from(w(11) / 100),
        }]
    );
}

#[test]
fn an_auction_ends_once_maintenance_margin_is_met() {
    let env = underwater();
    assert_eq!(
        env.fail(KEEPER, I::endAuctionCall { id: id(1) }),
        err(I::AuctionNotActive { id: id(1) })
    );
    env.start(1).unwrap();
    assert_eq!(
        env.fail(KEEPER, I::endAuctionCall { id: id(1) }),
        err(I::BelowMaintenanceMargin {
            id: id(1),
            maintenanceMargin: i(w(-500))
        })
    );
    // Mark 2,060: P&L 5,600, V = 2,100, R = 2,060, MM = 40 ≥ 0, below the buffer (0.1 ·
    // 2,060 = 206) — but cured: no bid buys it at a discount, and anyone ends the auction.
    env.set_mark(perp(), 2_060);
    assert_eq!(
        env.bid(BOB, 1, 2, w(1) / 10),
        Err(err(I::AboveMaintenanceMargin {
            id: id(1),
            maintenanceMargin: i(w(40))
        }))
    );
    env.clear_logs();
    env.call(KEEPER, I::endAuctionCall { id: id(1) }).unwrap();
    assert!(!env.auction(1).active);
    assert_eq!(
        env.events::<I::AuctionEnded>(),
        vec![I::AuctionEnded {
            id: id(1),
            maintenanceMargin: i(w(40))
        }]
    );
    assert_eq!(
        env.fail(KEEPER, I::endAuctionCall { id: id(1) }),
        err(I::AuctionNotActive { id: id(1) })
    );
    // Exactly at maintenance margin is cured too: at mark 2,000, cash −23,000 gives V =
    // 2,000 = R, MM = 0.
    env.set_mark(perp(), 2_000);
    env.set_cash(1, w(-23_500));
    env.start(1).unwrap();
    env.set_cash(1, w(-23_000));
    assert_eq!(env.numbers(1).mm, 0);
    assert_eq!(
        env.bid(BOB, 1, 2, w(1) / 10),
        Err(err(I::AboveMaintenanceMargin {
            id: id(1),
            maintenanceMargin: i(0)
        }))
    );
    env.call(KEEPER, I::endAuctionCall { id: id(1) }).unwrap();
    assert!(!env.auction(1).active);
}

#[test]
fn a_paused_vault_still_liquidates() {
    let env = underwater();
    env.call(GUARDIAN, I::pauseCall {}).unwrap();
    assert!(env.call(ALICE, I::pausedCall {}).unwrap());
    // Pause is in force: BOB cannot withdraw.
    assert_eq!(
        env.fail(
            BOB,
            I::withdrawCall {
                id: id(2),
                asset: USDC,
                amount: U256::from(1u64),
                to: BOB
            }
        ),
        err(I::EnforcedPause {})
    );
    env.call(
        CAROL,
        I::fundInsuranceCall {
            amount: U256::from(5_000_000u64),
        },
    )
    .unwrap();
    env.start(1).unwrap();
    let (filled, payment) = env.bid(BOB, 1, 2, w(1) / 4).unwrap();
    assert_eq!((filled, payment), (U256::from(w(1) / 4), i(w(3675) / 10)));
    env.host.set_block_timestamp(T0 + 1_800);
    env.bid(BOB, 1, 2, w(1)).unwrap();
    assert!(!env.auction(1).active);
}
