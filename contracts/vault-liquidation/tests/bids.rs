//! Bids: what moves (positions, collateral, cash, payment), the fill cap at the buffer, the
//! bidder's initial margin, the payment limit, authorisation and arguments.
mod common;

use alloy_primitives::{I256, U256};
use common::*;

const QUARTER: i128 = ONE / 4;

#[test]
fn a_partial_bid_moves_exactly_the_fraction_of_everything() {
    let env = underwater();
    // Account 1 also holds 4 calls marked at 100 (value 400, requirement 40), and less cash:
    // V = −23,900 + 20,000 + 5,000 + 400 = 1,500, R = 2,040, MM = −540.
    let option = call_option(T0 + 86_400, 2_000);
    env.set_mark(option, 100);
    env.position(1, option, w(4), 0);
    env.set_cash(1, w(-23_900));
    // BOB is short 1 perp at 1,800 (basis −1,800): V = 10,000 − 2,000 + 1,800 = 9,800.
    env.position(2, perp(), w(-1), w(-1_800));
    assert_eq!(env.numbers(1).mm, w(-540));
    assert_eq!(env.numbers(2).value, w(9_800));
    env.start(1).unwrap();
    env.clear_logs();

    // At 2 % off, a quarter is worth 375 and costs 367.5. The cap here is
    // (2,244 − 1,500) / (2,244 − 30) ≈ 0.336, above the quarter asked for.
    let (filled, payment) = env.bid(BOB, 1, 2, QUARTER).unwrap();
    assert_eq!(filled, U256::from(QUARTER));
    assert_eq!(payment, i(w(3_675) / 10));

    // Positions: a quarter of each, BOB's perp merged (−1 + 2.5, −1,800 + 3,750).
    let mut one = vec![(perp(), w(75) / 10, w(11_250)), (option, w(3), 0)];
    one.sort();
    assert_eq!(env.positions(1), one);
    let mut two = vec![(perp(), w(15) / 10, w(1_950)), (option, w(1), 0)];
    two.sort();
    assert_eq!(env.positions(2), two);
    // Collateral: 7.5 / 2.5 WETH, both listed as held; the asset's total is unchanged.
    assert_eq!(env.balance(1, WETH), U256::from(w(75) / 10));
    assert_eq!(env.balance(2, WETH), U256::from(w(25) / 10));
    assert_eq!(env.assets(1), vec![WETH]);
    assert_eq!(env.assets(2), vec![WETH]);
    assert_eq!(env.state().collateral(WETH).total, uw(10));
    // Cash: a quarter of −23,900 (−5,975) moves to BOB, and the payment back.
    assert_eq!(env.cash(1), w(-17_925) + w(3_675) / 10);
    assert_eq!(env.cash(2), w(10_000) - w(5_975) - w(3_675) / 10);
    // Values: the account lost the discount on what it sold (0.02 · 375 = 7.5), BOB gained it.
    assert_eq!(env.numbers(1).value, w(1_500) - w(75) / 10);
    assert_eq!(env.numbers(2).value, w(9_800) + w(75) / 10);
    // Still below the buffer (MM = 1,492.5 − 1,530 = −37.5): the auction goes on.
    assert_eq!(env.numbers(1).mm, w(-375) / 10);
    assert!(env.auction(1).active);
    assert_eq!(
        env.events::<I::Bid>(),
        vec![I::Bid {
            id: id(1),
            bidder: id(2),
            fraction: U256::from(QUARTER),
            payment: i(w(3_675) / 10),
            discount: U256::from(w(2) / 100),
        }]
    );
    assert!(env.events::<I::AuctionEnded>().is_empty());
    assert!(env.events::<I::InsurancePaid>().is_empty());
}

#[test]
fn the_fill_is_capped_where_the_account_reaches_the_buffer() {
    let env = underwater();
    env.start(1).unwrap();
    env.host.set_block_timestamp(T0 + 900);
    env.clear_logs();
    // d = 0.085: f_max = (2,000 · 1.1 − 1,500) / (2,200 − 1,500 · 0.085) = 700 / 2,072.5
    // = 7,000 / 20,725, rounded up.
    let cap = (7_000 * ONE as u128).div_ceil(20_725);
    let (filled, payment) = env.bid(BOB, 1, 2, ONE / 2).unwrap();
    assert_eq!(filled, U256::from(cap));
    // payment = filled · 1,500 · 0.915 = filled · 1,372.5, rounded up.
    let expected = (cap * 1_372_500).div_ceil(1_000) as i128;
    assert_eq!(payment, i(expected));
    let f = cap as i128;
    // What moved: filled · (10 perp, basis 15,000; 10 WETH; −23,500 cash), all exact here.
    assert_eq!(env.positions(2), vec![(perp(), 10 * f, 15_000 * f)]);
    assert_eq!(
        env.positions(1),
        vec![(perp(), w(10) - 10 * f, w(15_000) - 15_000 * f)]
    );
    assert_eq!(env.balance(2, WETH), U256::from(10 * cap));
    assert_eq!(env.cash(2), w(10_000) - 23_500 * f - expected);
    assert_eq!(env.cash(1), w(-23_500) + 23_500 * f + expected);
    // The account is at the buffer, by no more than the cap's rounding (one wei of fraction
    // is worth about 2,000 wei of surplus here): the auction ended.
    let n = env.numbers(1);
    let over = n.mm - n.requirement / 10;
    assert!((0..10_000).contains(&over), "{n:?}");
    let expected_f = 7_000.0 / 20_725.0;
    assert!((n.requirement as f64 / ONE as f64 - 2_000.0 * (1.0 - expected_f)).abs() < 1e-9);
    assert!(!env.auction(1).active);
    assert_eq!(
        env.events::<I::AuctionEnded>(),
        vec![I::AuctionEnded {
            id: id(1),
            maintenanceMargin: i(n.mm)
        }]
    );
    assert_eq!(
        env.bid(BOB, 1, 2, QUARTER),
        Err(err(I::AuctionNotActive { id: id(1) }))
    );
}

#[test]
fn a_position_merged_to_zero_realises_its_basis() {
    let env = underwater();
    // BOB is short 2.5 at 1,600 (basis −4,000; value −5,000 + 4,000 = −1,000).
    env.position(2, perp(), w(-25) / 10, w(-4_000));
    env.start(1).unwrap();
    env.bid(BOB, 1, 2, QUARTER).unwrap();
    // +2.5 with basis 3,750 nets BOB to zero size and basis −250: P&L 250 into cash.
    assert_eq!(env.positions(2), vec![]);
    assert_eq!(env.cash(2), w(10_000) - w(5_875) - w(3_675) / 10 + w(250));
    // BOB's value rose by exactly the discount (9,000 → 9,007.5).
    assert_eq!(env.numbers(2).value, w(9_000) + w(75) / 10);
}

#[test]
fn the_bidder_must_meet_initial_margin() {
    let env = underwater();
    assert_eq!(env.open(CAROL, 1), 3);
    env.deposit(CAROL, 3, USDC, 100);
    env.start(1).unwrap();
    // CAROL after a quarter: cash 100 − 5,875 − 367.5, WETH 5,000, perp 5,000 − 3,750:
    // V = 107.5, R = 500, IM = 107.5 − 750 = −642.5.
    assert_eq!(
        env.bid(CAROL, 1, 3, QUARTER),
        Err(err(I::BelowInitialMargin {
            id: id(3),
            initialMargin: i(w(-6_425) / 10)
        }))
    );
}

#[test]
fn the_payment_limit_is_enforced() {
    let env = underwater();
    env.start(1).unwrap();
    let price = w(3_675) / 10;
    for limit in [i(price - 1), I256::ZERO, I256::MIN] {
        assert_eq!(
            env.bid_max(BOB, 1, 2, QUARTER, limit),
            Err(err(I::PaymentAboveLimit {
                payment: i(price),
                limit
            }))
        );
    }
    let (_, payment) = env.bid_max(BOB, 1, 2, QUARTER, i(price)).unwrap();
    assert_eq!(payment, i(price));
}

#[test]
fn bids_are_authorised_and_checked() {
    let env = underwater();
    assert_eq!(
        env.bid(BOB, 1, 2, QUARTER),
        Err(err(I::AuctionNotActive { id: id(1) }))
    );
    env.start(1).unwrap();
    assert_eq!(
        env.bid(CAROL, 1, 2, QUARTER),
        Err(err(I::NotAccountOperator {
            id: id(2),
            caller: CAROL
        }))
    );
    assert_eq!(
        env.bid(BOB, 1, 9, QUARTER),
        Err(err(I::UnknownAccount { id: id(9) }))
    );
    assert_eq!(
        env.bid(ALICE, 1, 1, QUARTER),
        Err(err(I::SelfLiquidation { id: id(1) }))
    );
    for fraction in [U256::ZERO, U256::from(ONE + 1), U256::MAX] {
        assert_eq!(
            env.fail(
                BOB,
                I::bidCall {
                    id: id(1),
                    bidder: id(2),
                    fraction,
                    maxPayment: I256::MAX
                }
            ),
            err(I::InvalidFraction { fraction })
        );
    }
    // An operator of the bidding account may bid for it.
    env.call(
        BOB,
        I::setOperatorCall {
            id: id(2),
            operator: CAROL,
            approved: true,
        },
    )
    .unwrap();
    let (filled, _) = env.bid(CAROL, 1, 2, QUARTER).unwrap();
    assert_eq!(filled, U256::from(QUARTER));
    assert_eq!(env.balance(2, WETH), U256::from(w(25) / 10));
}
