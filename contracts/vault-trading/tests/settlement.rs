//! Option settlement at the oracle adapter's fixed prices, `realise`, and both during a pause.
mod common;

use alloy_primitives::U256;
use common::*;

const fn u(x: i128) -> i128 {
    x * ONE
}

fn settle_options(env: &Env, id: u64) -> Result<(), Vec<u8>> {
    env.exec(EOA, I::settleOptionsCall { id: U256::from(id) })
}

fn realise(env: &Env, id: u64) -> Result<(), Vec<u8>> {
    env.exec(EOA, I::realiseCall { id: U256::from(id) })
}

#[test]
fn calls_and_puts_pay_their_intrinsic_value() {
    let env = Env::new();
    let call_itm = env.id(ETH, CALL, EXPIRY, wad(2_000));
    let call_otm = env.id(ETH, CALL, EXPIRY, wad(2_500));
    let put_itm = env.id(ETH, PUT, EXPIRY, wad(2_400));
    let put_otm = env.id(ETH, PUT, EXPIRY, wad(2_100));
    // Account 1: long 2 ITM calls, long 1 OTM call, long 1.5 ITM puts, short 3 OTM puts;
    // account 2 the other side. Premium 0 keeps cash at zero until settlement.
    env.settle(env.trade(call_itm, 1, 2, u(2), 0)).unwrap();
    env.settle(env.trade(call_otm, 1, 2, u(1), 0)).unwrap();
    env.settle(env.trade(put_itm, 1, 2, u(15) / 10, 0)).unwrap();
    env.settle(env.trade(put_otm, 2, 1, u(3), 0)).unwrap();
    assert_eq!((env.cash(1), env.cash(2)), (0, 0));

    env.warp(EXPIRY);
    env.fix(ETH, EXPIRY, 2_300);
    env.clear_logs();
    settle_options(&env, 1).unwrap();
    settle_options(&env, 2).unwrap();
    // Calls: 2 · (2300 − 2000) = 600, the OTM one 0. Puts: 1.5 · (2400 − 2300) = 150, the
    // OTM one 0.
    assert_eq!(env.cash(1), u(750));
    assert_eq!(env.cash(2), -u(750));
    assert!(env.positions(1).is_empty());
    assert!(env.positions(2).is_empty());
    let settled = env.events::<I::OptionSettled>();
    let expect = |id: u64, instrument, size: i128, payoff: i128| I::OptionSettled {
        id: U256::from(id),
        instrument,
        size: iw(size),
        settlementPrice: wad(2_300),
        payoff: iw(payoff),
    };
    for e in [
        expect(1, call_itm, u(2), u(600)),
        expect(1, call_otm, u(1), 0),
        expect(1, put_itm, u(15) / 10, u(150)),
        expect(1, put_otm, -u(3), 0),
        expect(2, call_itm, -u(2), -u(600)),
        expect(2, call_otm, -u(1), 0),
        expect(2, put_itm, -u(15) / 10, -u(150)),
        expect(2, put_otm, u(3), 0),
    ] {
        assert!(settled.contains(&e), "{e:?}");
    }
    assert_eq!(settled.len(), 8);
}

#[test]
fn a_short_put_pays_when_the_price_falls() {
    let env = Env::new();
    let put = env.id(BTC, PUT, EXPIRY, wad(55_000));
    // Account 2 sells 0.5 puts to account 1 at premium 800.
    env.settle(env.trade(put, 1, 2, u(1) / 2, u(800))).unwrap();
    assert_eq!((env.cash(1), env.cash(2)), (-u(400), u(400)));
    env.warp(EXPIRY + 3_600);
    env.fix(BTC, EXPIRY, 51_000);
    settle_options(&env, 2).unwrap();
    settle_options(&env, 1).unwrap();
    // 0.5 · (55000 − 51000) = 2000.
    assert_eq!(env.cash(1), -u(400) + u(2_000));
    assert_eq!(env.cash(2), u(400) - u(2_000));
}

#[test]
fn unfixed_settlement_prices() {
    let env = Env::new();
    let btc_call = env.id(BTC, CALL, EXPIRY, wad(60_000));
    let eth_call = env.id(ETH, CALL, EXPIRY, wad(2_000));
    let later = env.id(ETH, PUT, EXPIRY + 86_400, wad(2_000));
    env.settle(env.trade(btc_call, 1, 2, u(1), 0)).unwrap();
    env.settle(env.trade(eth_call, 1, 2, u(1), 0)).unwrap();
    env.settle(env.trade(later, 1, 2, u(1), 0)).unwrap();
    // Nothing expired: nothing to do.
    settle_options(&env, 1).unwrap();
    assert_eq!(env.positions(1).len(), 3);
    // Expired, no price fixed: the first expired option names the missing price.
    env.warp(EXPIRY);
    assert_eq!(
        settle_options(&env, 1),
        Err(err(I::SettlementPriceNotFixed {
            underlying: BTC,
            expiry: EXPIRY
        }))
    );
    // `realise` does not insist.
    realise(&env, 1).unwrap();
    assert_eq!(env.positions(1).len(), 3);
    // ETH fixed, BTC not: ETH settles, BTC stays, no revert.
    env.fix(ETH, EXPIRY, 2_100);
    settle_options(&env, 1).unwrap();
    assert_eq!(env.cash(1), u(100));
    assert_eq!(env.position(1, eth_call), None);
    assert_eq!(env.position(1, btc_call), Some((u(1), 0)));
    assert_eq!(env.position(1, later), Some((u(1), 0)));
    // Only BTC left expired: refused again.
    assert_eq!(
        settle_options(&env, 1),
        Err(err(I::SettlementPriceNotFixed {
            underlying: BTC,
            expiry: EXPIRY
        }))
    );
    assert_eq!(
        settle_options(&env, 9),
        Err(err(I::UnknownAccount { id: U256::from(9) }))
    );
    assert_eq!(
        realise(&env, 9),
        Err(err(I::UnknownAccount { id: U256::from(9) }))
    );
}

#[test]
fn realise_settles_fixed_options_and_perps_together() {
    let env = Env::new();
    let perp = env.perp(ETH);
    let call = env.id(ETH, CALL, EXPIRY, wad(1_900));
    env.settle(env.trade(perp, 1, 2, u(1), u(2_000))).unwrap();
    env.settle(env.trade(call, 1, 2, u(2), u(150))).unwrap();
    assert_eq!(env.cash(1), -u(300));
    env.warp(EXPIRY);
    env.set_spot(ETH, 2_050);
    env.fix(ETH, EXPIRY, 2_040);
    realise(&env, 1).unwrap();
    // Perp: 1 · (2050 − 2000) = 50; call: 2 · (2040 − 1900) = 280.
    assert_eq!(env.cash(1), -u(300) + u(50) + u(280));
    assert_eq!(env.positions(1).len(), 1);
    assert_eq!(env.position(1, perp), Some((u(1), u(2_050))));
}

#[test]
fn pause_does_not_block_realisation_or_settlement() {
    let env = Env::new();
    let perp = env.perp(BTC);
    let call = env.id(BTC, CALL, EXPIRY, wad(60_000));
    env.settle(env.trade(perp, 1, 2, u(1) / 10, u(60_000)))
        .unwrap();
    env.settle(env.trade(call, 2, 1, u(1), u(1_000))).unwrap();
    env.exec(GUARDIAN, I::pauseCall {}).unwrap();
    env.warp(EXPIRY);
    env.set_spot(BTC, 61_000);
    env.fix(BTC, EXPIRY, 63_000);
    assert_eq!(
        env.settle(env.trade(perp, 1, 2, u(1) / 10, u(61_000))),
        Err(err(I::EnforcedPause {}))
    );
    realise(&env, 1).unwrap();
    settle_options(&env, 2).unwrap();
    // Account 1: +1000 premium, +0.1 · 1000 perp, −1 · 3000 short call.
    assert_eq!(env.cash(1), u(1_000) + u(100) - u(3_000));
    // Account 2: −1000 premium, +3000 call; its perp is still unrealised.
    assert_eq!(env.cash(2), -u(1_000) + u(3_000));
    realise(&env, 2).unwrap();
    assert_eq!(env.cash(2), -u(1_000) + u(3_000) - u(100));
    // No margin check on realisation or settlement.
    env.margin_requests();
    realise(&env, 1).unwrap();
    assert!(env.margin_requests().is_empty());
}
