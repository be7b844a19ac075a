//! The bidder's limits: positions, expiries, one position for an isolated account, and the
//! number of assets held.
mod common;

use alloy_primitives::{Address, U256};
use common::*;

const QUARTER: i128 = ONE / 4;

#[test]
fn an_isolated_bidder_may_hold_one_position() {
    // Without a position, an isolated account can take the perp.
    let env = underwater();
    assert_eq!(env.open(CAROL, 0), 3);
    env.deposit(CAROL, 3, USDC, 10_000);
    env.start(1).unwrap();
    env.bid(CAROL, 1, 3, QUARTER).unwrap();
    assert_eq!(env.positions(3).len(), 1);

    // With another position it cannot.
    let env = underwater();
    assert_eq!(env.open(CAROL, 0), 3);
    env.deposit(CAROL, 3, USDC, 10_000);
    let option = call_option(T0 + 86_400, 2_000);
    env.set_mark(option, 100);
    env.position(3, option, w(1), 0);
    env.start(1).unwrap();
    assert_eq!(
        env.bid(CAROL, 1, 3, QUARTER),
        Err(err(I::IsolatedNeedsOnePosition { id: id(3) }))
    );
}

#[test]
fn the_bidders_position_limit_applies_to_new_instruments() {
    let env = underwater();
    let option = call_option(T0 + 86_400, 2_000);
    env.set_mark(option, 100);
    env.position(2, option, w(1), 0);
    env.state().set_limits_word(1, 8);
    env.start(1).unwrap();
    assert_eq!(
        env.bid(BOB, 1, 2, QUARTER),
        Err(err(I::TooManyPositions { id: id(2) }))
    );

    // Merging into an instrument the bidder holds adds no position.
    let env = underwater();
    env.position(2, perp(), w(1), w(2_000));
    env.state().set_limits_word(1, 8);
    env.start(1).unwrap();
    env.bid(BOB, 1, 2, QUARTER).unwrap();
    assert_eq!(env.positions(2), vec![(perp(), w(35) / 10, w(5_750))]);
}

#[test]
fn the_bidders_expiry_limit_applies() {
    let (first, second) = (T0 + 86_400, T0 + 2 * 86_400);
    let setup = |bidder_expiry: u64| {
        let env = underwater();
        let theirs = call_option(bidder_expiry, 2_100);
        let ours = call_option(first, 2_000);
        env.set_mark(theirs, 50);
        env.set_mark(ours, 100);
        env.position(2, theirs, w(1), 0);
        // Account 1 also holds 2 calls expiring at `first` (+200 value, +20 requirement).
        env.position(1, ours, w(2), 0);
        env.state().set_limits_word(32, 1);
        env.start(1).unwrap();
        env
    };
    let env = setup(second);
    assert_eq!(
        env.bid(BOB, 1, 2, QUARTER),
        Err(err(I::TooManyExpiries { id: id(2) }))
    );
    // The same expiry at another strike is a new position but no new expiry.
    let env = setup(first);
    env.bid(BOB, 1, 2, QUARTER).unwrap();
    assert_eq!(env.positions(2).len(), 3);
}

#[test]
fn the_bidder_holds_at_most_sixteen_assets() {
    let fill = |env: &Env, with_weth: bool| {
        let mut s = env.state();
        for k in 0..16u8 {
            let asset = if with_weth && k == 0 {
                WETH
            } else {
                Address::repeat_byte(0x80 + k)
            };
            env.set_price(asset, 0);
            s.balances.setter(id(2)).setter(asset).set(U256::from(1u8));
            s.held.setter(id(2)).push(asset);
        }
    };
    let env = underwater();
    fill(&env, false);
    env.start(1).unwrap();
    assert_eq!(
        env.bid(BOB, 1, 2, QUARTER),
        Err(err(I::TooManyAssets { id: id(2) }))
    );

    // Holding WETH already, the bidder's list does not grow.
    let env = underwater();
    fill(&env, true);
    env.set_price(WETH, 2_000);
    env.start(1).unwrap();
    env.bid(BOB, 1, 2, QUARTER).unwrap();
    assert_eq!(env.assets(2).len(), 16);
    assert_eq!(env.balance(2, WETH), U256::from(w(25) / 10 + 1));
}

#[test]
fn the_held_lists_follow_a_full_take() {
    let env = underwater();
    assert_eq!(env.open(ALICE, 1), 3);
    // Account 3: 1 WETH (2,000) and cash −2,100: V = MM = −100, so a bid may take it all.
    env.deposit(ALICE, 3, WETH, 1);
    env.set_cash(3, w(-2_100));
    assert_eq!(env.numbers(3).mm, w(-100));
    env.start(3).unwrap();
    env.bid(BOB, 3, 2, ONE).unwrap();
    assert_eq!(env.assets(3), Vec::<Address>::new());
    assert_eq!(env.assets(2), vec![WETH]);
    assert_eq!(env.balance(2, WETH), uw(1));
    assert!(!env.auction(3).active);
}
