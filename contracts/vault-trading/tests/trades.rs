//! `settleTrade`: cash flows, perpetual realisation, fees, margin levels, limits and every
//! refusal, with expectations computed by hand in each test.
mod common;

use alloy_primitives::{Address, I256, U256};
use common::*;

/// Instrument, taker, maker, size, price, taker fee and maker fee (10⁻³ units), a spot
/// (units) to set first.
type Step = (
    U256,
    u64,
    u64,
    i128,
    i128,
    u128,
    u128,
    Option<(Address, i128)>,
);

/// Instrument, size, the margin requests expected.
/// `x` units as a raw wad.
const fn u(x: i128) -> i128 {
    x * ONE
}

#[test]
fn an_option_trade_moves_premium_and_fees_zero_sum() {
    let env = Env::new();
    let call = env.id(ETH, CALL, EXPIRY, wad(2_100));
    // Account 1 buys 3 calls at 50.5 from account 2; fees 1.25 and 0.75.
    let mut t = env.trade(call, 1, 2, u(3), u(505) / 10);
    t.takerFee = U256::from((u(125) / 100) as u128);
    t.makerFee = U256::from((u(75) / 100) as u128);
    env.settle(t.clone()).unwrap();
    // Taker: −3 · 50.5 − 1.25 = −152.75; maker: +151.5 − 0.75 = 150.75.
    assert_eq!(env.cash(1), -u(15_275) / 100);
    assert_eq!(env.cash(2), u(15_075) / 100);
    assert_eq!(env.insurance(), U256::from(u(2) as u128));
    assert_eq!(env.cash(1) + env.cash(2) + u(2), 0);
    assert_eq!(env.position(1, call), Some((u(3), 0)));
    assert_eq!(env.position(2, call), Some((-u(3), 0)));
    assert_eq!(
        env.events::<I::TradeSettled>(),
        vec![I::TradeSettled {
            instrument: call,
            taker: U256::from(1),
            maker: U256::from(2),
            size: swad(3),
            price: t.price,
            takerFee: t.takerFee,
            makerFee: t.makerFee,
        }]
    );
    // New positions: both sides at initial margin, taker first.
    assert_eq!(env.margin_requests(), vec![(1, true), (2, true)]);
    // Options are not realised.
    assert!(env.events::<I::Realised>().is_empty());
}

#[test]
fn a_perp_trade_realises_against_the_mark() {
    let env = Env::new();
    let perp = env.perp(ETH);
    // Spot 2000: account 1 buys 2 at 1990.
    env.settle(env.trade(perp, 1, 2, u(2), u(1_990))).unwrap();
    // Cash: ±2 · (2000 − 1990); basis: ±2 · 2000 (index 0).
    assert_eq!((env.cash(1), env.cash(2)), (u(20), -u(20)));
    assert_eq!(env.position(1, perp), Some((u(2), u(4_000))));
    assert_eq!(env.position(2, perp), Some((-u(2), -u(4_000))));
    assert!(env.events::<I::Realised>().is_empty());

    // Spot moves to 2100; account 1 sells 0.5 at 2110.
    env.set_spot(ETH, 2_100);
    env.clear_logs();
    env.settle(env.trade(perp, 1, 2, -u(1) / 2, u(2_110)))
        .unwrap();
    // Account 1: realises 2 · 2100 − 4000 = 200, then −0.5 · (2100 − 2110) = +5.
    // Account 2: realises −200, then +0.5 · (2100 − 2110) = −5.
    assert_eq!(env.cash(1), u(20) + u(200) + u(5));
    assert_eq!(env.cash(2), -u(20) - u(200) - u(5));
    // New basis: ±1.5 · 2100.
    assert_eq!(env.position(1, perp), Some((u(15) / 10, u(3_150))));
    assert_eq!(env.position(2, perp), Some((-u(15) / 10, -u(3_150))));
    assert_eq!(
        env.events::<I::Realised>(),
        vec![
            I::Realised {
                id: U256::from(1),
                amount: swad(200)
            },
            I::Realised {
                id: U256::from(2),
                amount: swad(-200)
            },
        ]
    );
    // Unrealised PnL is zero right after: realising now moves nothing.
    env.clear_logs();
    env.exec(EOA, I::realiseCall { id: U256::from(1) }).unwrap();
    assert_eq!(env.cash(1), u(225));
    assert!(env.events::<I::Realised>().is_empty());
}

#[test]
fn realise_pays_a_price_move() {
    let env = Env::new();
    let perp = env.perp(BTC);
    env.settle(env.trade(perp, 2, 1, u(1) / 4, u(60_000)))
        .unwrap();
    env.set_spot(BTC, 58_000);
    env.exec(EOA, I::realiseCall { id: U256::from(2) }).unwrap();
    env.exec(EOA, I::realiseCall { id: U256::from(1) }).unwrap();
    // 0.25 · (58000 − 60000) = −500 for the long, +500 for the short.
    assert_eq!((env.cash(2), env.cash(1)), (-u(500), u(500)));
    assert_eq!(env.position(2, perp), Some((u(1) / 4, u(14_500))));
    assert_eq!(env.position(1, perp), Some((-u(1) / 4, -u(14_500))));
    // Sizes unchanged, sums still zero.
    assert_eq!(
        env.events::<I::Realised>(),
        vec![
            I::Realised {
                id: U256::from(2),
                amount: swad(-500)
            },
            I::Realised {
                id: U256::from(1),
                amount: swad(500)
            },
        ]
    );
}

#[test]
fn many_trades_stay_zero_sum_with_fees_in_insurance() {
    let env = Env::new();
    let eth = env.perp(ETH);
    let btc = env.perp(BTC);
    let put = env.id(BTC, PUT, EXPIRY, wad(55_000));
    let steps: [Step; 6] = [
        (eth, 1, 2, u(3), u(2_001), 3, 5, None),
        (btc, 2, 1, u(1) / 3, u(59_999), 7, 0, Some((ETH, 1_950))),
        (put, 1, 2, -u(7), u(1_234) / 10, 11, 13, Some((BTC, 61_000))),
        (eth, 2, 1, u(5), u(1_949), 0, 17, Some((BTC, 59_500))),
        (btc, 1, 2, u(1) / 3, u(62_000), 19, 23, Some((ETH, 2_222))),
        (eth, 1, 2, u(2), u(2_300), 29, 31, None),
    ];
    let mut fees = 0u128;
    for (instrument, taker, maker, size, price, tf, mf, spot) in steps {
        if let Some((asset, units)) = spot {
            env.set_spot(asset, units);
        }
        let mut t = env.trade(instrument, taker, maker, size, price);
        t.takerFee = U256::from(tf * 10u128.pow(15));
        t.makerFee = U256::from(mf * 10u128.pow(15));
        fees += (tf + mf) * 10u128.pow(15);
        env.settle(t).unwrap();
        let p1 = env.positions(1);
        let p2 = env.positions(2);
        for p in &p1 {
            let other = p2.iter().find(|q| q.instrument == p.instrument).unwrap();
            assert_eq!(p.size + other.size, I256::ZERO);
        }
        assert_eq!(p1.len(), p2.len());
        // Every cash movement is between the two accounts, except fees.
        assert_eq!(env.cash(1) + env.cash(2) + fees as i128, 0);
        assert_eq!(env.insurance(), U256::from(fees));
    }
    // The last trade closed account 2's long ETH (5 − 3 − 2): the position is gone.
    assert_eq!(env.position(1, eth), None);
    assert_eq!(env.position(2, eth), None);
}

#[test]
fn every_side_is_checked_at_initial_margin_first() {
    let env = Env::new();
    let perp = env.perp(ETH);
    let call = env.id(ETH, CALL, EXPIRY, wad(2_500));
    // (instrument, size): opening, increasing, reducing, flipping and closing changes.
    let cases = [
        (perp, u(2)),
        (perp, u(1)),
        // Reduce both (3 → 1).
        (perp, -u(2)),
        // Flip both to a larger size (1 → −2), then to a smaller one (−2 → 1).
        (perp, -u(3)),
        (perp, u(3)),
        // Close both.
        (perp, -u(1)),
        (call, u(4)),
        (call, -u(1)),
        (call, -u(3)),
    ];
    for (k, (instrument, size)) in cases.into_iter().enumerate() {
        env.settle(env.trade(instrument, 1, 2, size, u(2_000)))
            .unwrap();
        // Both sides meet initial margin: a reduction is settled like any trade (tried
        // strictly in a nested frame), no margin is read.
        assert_eq!(env.margin_requests(), [(1, true), (2, true)], "step {k}");
        assert!(env.margin_reads().is_empty(), "step {k}");
    }
    assert!(env.positions(1).is_empty());
    assert!(env.positions(2).is_empty());
}

#[test]
fn the_margin_modules_refusal_passes_through() {
    let env = Env::new();
    let perp = env.perp(ETH);
    let below_im = err(I::BelowInitialMargin {
        id: U256::from(2),
        initialMargin: swad(-5),
    });
    env.refuse_margin(2, true, below_im.clone());
    assert_eq!(
        env.settle(env.trade(perp, 1, 2, u(1), u(2_000))),
        Err(below_im)
    );
    assert_eq!(env.margin_requests(), vec![(1, true), (2, true)]);
    // Refused: nothing of the trade is left.
    assert!(env.positions(1).is_empty() && env.positions(2).is_empty());
    assert_eq!((env.cash(1), env.cash(2)), (0, 0));
}

#[test]
fn a_reducing_side_below_initial_margin_must_not_lose_surplus_or_value() {
    let env = Env::new();
    let perp = env.perp(ETH);
    env.settle(env.trade(perp, 1, 2, u(2), u(2_000))).unwrap();
    let below = |id: u64| {
        err(I::BelowInitialMargin {
            id: U256::from(id),
            initialMargin: swad(-5),
        })
    };
    env.refuse_margin(2, true, below(2));
    env.margin_reads();
    env.margin_requests();
    // Account 2 reduces (−2 → −1) below initial margin. Before: IM surplus −5, value 100.
    // After, as read: (IM, value) — accepted only when neither fell (its fee 0 here).
    let cases = [
        ((-5, 100), true),
        ((-4, 150), true),
        ((-6, 100), false),
        ((-5, 99), false),
        ((10, 0), false),
    ];
    for ((im, value), accepted) in cases {
        env.readings(2, &[(-5 * ONE, 100 * ONE), (im * ONE, value * ONE)]);
        let result = env.settle(env.trade(perp, 2, 1, u(1) / 4, u(2_000)));
        assert_eq!(result.is_ok(), accepted, "after ({im}, {value})");
        if !accepted {
            // The refusal is the margin module's own.
            assert_eq!(result, Err(below(2)));
        }
        // Refused under the strict rule, the trade is settled again with both reducing
        // sides read before it, and account 2, refused initial margin, after it.
        assert_eq!(env.margin_reads(), [2, 1, 2]);
        // The strict try stops at account 2; then each side is checked in turn.
        let checked: &[(u64, bool)] = if accepted {
            &[(2, true), (2, true), (1, true)]
        } else {
            &[(2, true), (2, true)]
        };
        assert_eq!(env.margin_requests(), checked);
    }
    // The side's own fee may lower its value: it goes to the insurance fund.
    env.readings(2, &[(-5 * ONE, 100 * ONE), (-5 * ONE, 97 * ONE)]);
    let mut t = env.trade(perp, 2, 1, u(1) / 4, u(2_000));
    t.takerFee = U256::from(3 * ONE as u128);
    env.settle(t.clone()).unwrap();
    env.readings(2, &[(-5 * ONE, 100 * ONE), (-5 * ONE, 96 * ONE)]);
    assert_eq!(env.settle(t), Err(below(2)));
    // An increasing side has no such way out.
    assert_eq!(
        env.settle(env.trade(perp, 1, 2, u(1), u(2_000))),
        Err(below(2))
    );
}

#[test]
fn pause_blocks_trades() {
    let env = Env::new();
    let perp = env.perp(ETH);
    env.exec(GUARDIAN, I::pauseCall {}).unwrap();
    assert_eq!(
        env.settle(env.trade(perp, 1, 2, u(1), u(2_000))),
        Err(err(I::EnforcedPause {}))
    );
    env.exec(OWNER, I::unpauseCall {}).unwrap();
    // Inside a token call of the core (its lock held) no trade settles.
    env.state().locked.set(true);
    assert_eq!(
        env.settle(env.trade(perp, 1, 2, u(1), u(2_000))),
        Err(err(I::Reentrant {}))
    );
    env.state().locked.set(false);
    env.settle(env.trade(perp, 1, 2, u(1), u(2_000))).unwrap();
    assert_eq!(env.position(1, perp), Some((u(1), u(2_000))));
}

#[test]
fn only_authorised_markets_settle() {
    let env = Env::new();
    let perp = env.perp(ETH);
    let t = env.trade(perp, 1, 2, u(1), u(2_000));
    for caller in [OTHER_MARKET, EOA, ALICE, OWNER] {
        assert_eq!(
            env.exec(caller, I::settleTradeCall { trade: t.clone() }),
            Err(err(I::NotAuthorisedMarket { market: caller }))
        );
    }
    env.exec(
        OWNER,
        I::setMarketCall {
            market: MARKET,
            authorised: false,
        },
    )
    .unwrap();
    assert_eq!(
        env.settle(t),
        Err(err(I::NotAuthorisedMarket { market: MARKET }))
    );
    assert!(env.positions(1).is_empty());
}

#[test]
fn the_market_must_operate_both_accounts() {
    let env = Env::new();
    let perp = env.perp(ETH);
    // CAROL's account 3 never approved MARKET.
    let id = env.call(CAROL, I::openAccountCall { mode: 1 }).unwrap();
    assert_eq!(id, U256::from(3));
    let refused = err(I::NotAccountOperator {
        id: U256::from(3),
        caller: MARKET,
    });
    assert_eq!(
        env.settle(env.trade(perp, 3, 1, u(1), u(2_000))),
        Err(refused.clone())
    );
    assert_eq!(
        env.settle(env.trade(perp, 1, 3, u(1), u(2_000))),
        Err(refused)
    );
    // An operator approval revoked.
    env.exec(
        ALICE,
        I::setOperatorCall {
            id: U256::from(1),
            operator: MARKET,
            approved: false,
        },
    )
    .unwrap();
    assert_eq!(
        env.settle(env.trade(perp, 2, 1, u(1), u(2_000))),
        Err(err(I::NotAccountOperator {
            id: U256::from(1),
            caller: MARKET,
        }))
    );
    assert_eq!(
        env.settle(env.trade(perp, 2, 9, u(1), u(2_000))),
        Err(err(I::UnknownAccount { id: U256::from(9) }))
    );
    assert!(env.positions(2).is_empty());
}

#[test]
fn malformed_trades_are_refused() {
    let env = Env::new();
    let perp = env.perp(ETH);
    let invalid = err(I::InvalidTrade {});
    assert_eq!(
        env.settle(env.trade(perp, 1, 1, u(1), u(2_000))),
        Err(invalid.clone())
    );
    assert_eq!(
        env.settle(env.trade(perp, 1, 2, 0, u(2_000))),
        Err(invalid.clone())
    );
    // A perpetual needs a price.
    assert_eq!(env.settle(env.trade(perp, 1, 2, u(1), 0)), Err(invalid));
    let bad = (U256::from(3u8) << 192) | U256::from(1);
    assert_eq!(
        env.settle(env.trade(bad, 1, 2, u(1), u(1))),
        Err(err(I::InvalidInstrument { instrument: bad }))
    );
    let unlisted = U256::from(7u8) << 200;
    assert_eq!(
        env.settle(env.trade(unlisted, 1, 2, u(1), u(1))),
        Err(err(I::UnderlyingNotListed {
            asset: Address::ZERO
        }))
    );
    // A size beyond int128, a price beyond 2¹²⁷.
    let mut t = env.trade(perp, 1, 2, u(1), u(2_000));
    t.size = I256::MIN;
    assert_eq!(env.settle(t.clone()), Err(err(I::WadOverflow {})));
    t.size = swad(1);
    t.price = U256::from(1) << 127;
    assert_eq!(env.settle(t), Err(err(I::WadOverflow {})));
    assert!(env.positions(1).is_empty());
}

#[test]
fn expired_options_do_not_trade() {
    let env = Env::new();
    let call = env.id(ETH, CALL, EXPIRY, wad(2_000));
    env.warp(EXPIRY - 1);
    env.settle(env.trade(call, 1, 2, u(1), u(10))).unwrap();
    env.warp(EXPIRY);
    assert_eq!(
        env.settle(env.trade(call, 1, 2, u(1), u(10))),
        Err(err(I::OptionExpired { instrument: call }))
    );
    assert_eq!(env.position(1, call), Some((u(1), 0)));
}

#[test]
fn isolated_accounts_hold_one_position() {
    let env = Env::new();
    let eth = env.perp(ETH);
    let btc = env.perp(BTC);
    let iso = env.open(CAROL, 0);
    assert_eq!(iso, U256::from(3));
    env.settle(env.trade(eth, 3, 1, u(1), u(2_000))).unwrap();
    // More of the same instrument is fine.
    env.settle(env.trade(eth, 1, 3, u(1) / 2, u(2_000)))
        .unwrap();
    let refused = err(I::IsolatedNeedsOnePosition { id: iso });
    assert_eq!(
        env.settle(env.trade(btc, 3, 2, u(1), u(60_000))),
        Err(refused.clone())
    );
    assert_eq!(
        env.settle(env.trade(btc, 2, 3, u(1), u(60_000))),
        Err(refused)
    );
    // Closed, the account may hold another one.
    let env = Env::new();
    let iso = env.open(CAROL, 0);
    env.settle(env.trade(eth, iso.to(), 1, u(1), u(2_000)))
        .unwrap();
    env.settle(env.trade(eth, 1, iso.to(), u(1), u(2_000)))
        .unwrap();
    env.settle(env.trade(btc, iso.to(), 2, u(1), u(60_000)))
        .unwrap();
    assert_eq!(env.position(3, btc), Some((u(1), u(60_000))));
    assert_eq!(env.positions(3).len(), 1);
}

#[test]
fn position_limit() {
    let env = Env::new();
    env.set_limits(2, 8);
    let eth = env.perp(ETH);
    let btc = env.perp(BTC);
    let call = env.id(ETH, CALL, EXPIRY, wad(2_000));
    env.settle(env.trade(eth, 1, 2, u(1), u(2_000))).unwrap();
    env.settle(env.trade(btc, 1, 2, u(1), u(60_000))).unwrap();
    // Existing instruments still trade at the limit.
    env.settle(env.trade(eth, 2, 1, u(3), u(2_000))).unwrap();
    assert_eq!(
        env.settle(env.trade(call, 1, 2, u(1), u(5))),
        Err(err(I::TooManyPositions { id: U256::from(1) }))
    );
    // The maker side is checked as well (CAROL's fresh account takes).
    let env = Env::new();
    env.set_limits(2, 8);
    let carol = env.open(CAROL, 1);
    env.settle(env.trade(eth, 1, 2, u(1), u(2_000))).unwrap();
    env.settle(env.trade(btc, 1, 2, u(1), u(60_000))).unwrap();
    assert_eq!(
        env.settle(env.trade(call, carol.to(), 2, u(1), u(5))),
        Err(err(I::TooManyPositions { id: U256::from(2) }))
    );
}

#[test]
fn expiry_limit() {
    let env = Env::new();
    env.set_limits(32, 2);
    let day = 86_400;
    let c1 = env.id(ETH, CALL, EXPIRY, wad(2_000));
    let p1 = env.id(BTC, PUT, EXPIRY, wad(50_000));
    let c2 = env.id(ETH, CALL, EXPIRY + day, wad(2_000));
    let c2b = env.id(BTC, CALL, EXPIRY + day, wad(70_000));
    let c3 = env.id(ETH, PUT, EXPIRY + 2 * day, wad(1_800));
    for id in [c1, p1, c2, c2b] {
        env.settle(env.trade(id, 1, 2, u(1), u(5))).unwrap();
    }
    // Perpetuals hold no expiry.
    env.settle(env.trade(env.perp(ETH), 1, 2, u(1), u(2_000)))
        .unwrap();
    assert_eq!(
        env.settle(env.trade(c3, 1, 2, u(1), u(5))),
        Err(err(I::TooManyExpiries { id: U256::from(1) }))
    );
    // Once an expiry is gone from the account, another fits.
    let env = Env::new();
    env.set_limits(32, 2);
    for id in [c1, c2] {
        env.settle(env.trade(id, 1, 2, u(1), u(5))).unwrap();
    }
    env.settle(env.trade(c1, 2, 1, u(1), u(5))).unwrap();
    env.settle(env.trade(c3, 1, 2, u(1), u(5))).unwrap();
    assert_eq!(env.positions(1).len(), 2);
}

#[test]
fn positions_are_an_abi_array_of_structs() {
    let env = Env::new();
    let perp = env.perp(BTC);
    let put = env.id(ETH, PUT, EXPIRY, wad(1_900));
    env.settle(env.trade(perp, 1, 2, -u(1) / 10, u(60_000)))
        .unwrap();
    env.settle(env.trade(put, 1, 2, u(4), u(12))).unwrap();
    let out = env
        .raw(ALICE, I::positionsCall { id: U256::from(1) }.abi_encode())
        .unwrap();
    // Offset, length, then (instrument, size, basis) per position in list order.
    let word = |x: U256| x.to_be_bytes::<32>().to_vec();
    let int = |x: i128| I256::try_from(x).unwrap().to_be_bytes::<32>().to_vec();
    let expected = [
        word(U256::from(32)),
        word(U256::from(2)),
        word(perp),
        int(-u(1) / 10),
        int(-u(6_000)),
        word(put),
        int(u(4)),
        int(0),
    ]
    .concat();
    assert_eq!(out, expected);
    let empty = env
        .raw(ALICE, I::positionsCall { id: U256::from(9) }.abi_encode())
        .unwrap();
    assert_eq!(empty, [word(U256::from(32)), word(U256::ZERO)].concat());
}
