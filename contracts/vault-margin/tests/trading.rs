//! End to end: trades settled by the real trading module are margin-checked by the real margin
//! module (a delegatecall from one module into the other, both on the vault's storage).
mod common;

use alloy_primitives::{Address, I256, U256};
use common::*;
use keel_risk::model::snapshot::{decode, evaluate};
use keel_risk::Wad;
use keel_vault_trading::TradingModule;

const TRADING: Address = Address::repeat_byte(0x71);
const MARKET: Address = Address::repeat_byte(0x4e);

/// [`Env::bare`] with two SRM sets, the trading module, ETH listed through it, `MARKET`
/// authorised; ALICE's account 1 and BOB's account 2 (cross) with 1,000 and 100,000 USDC.
fn env() -> Env {
    let env = Env::bare();
    env.set_params(&params(2)).unwrap();
    env.install_module(1, TRADING, module::<TradingModule>());
    env.call(
        ADMIN,
        I::listUnderlyingCall {
            asset: ETH,
            stressVol: u(Wad::ONE),
        },
    )
    .unwrap();
    env.authorise_market(MARKET);
    for (owner, usdc) in [(ALICE, 1_000u128), (BOB, 100_000)] {
        let id = env.open(owner, 1);
        env.call(
            owner,
            I::setOperatorCall {
                id,
                operator: MARKET,
                approved: true,
            },
        )
        .unwrap();
        env.deposit(
            owner,
            id.to::<u64>(),
            USDC,
            U256::from(usdc * 10u128.pow(6)),
        );
    }
    env.clear_logs();
    env
}

fn perp_trade(size: Wad) -> I::settleTradeCall {
    I::settleTradeCall {
        trade: I::Trade {
            instrument: perp(0),
            taker: U256::from(1),
            maker: U256::from(2),
            size: i(size),
            price: u(w(2_000)),
            takerFee: U256::ZERO,
            makerFee: U256::ZERO,
        },
    }
}

#[test]
fn trades_pass_through_the_margin_module() {
    let env = env();
    // One ETH long on 1,000 USDC: within initial margin.
    env.call(MARKET, perp_trade(Wad::ONE)).unwrap();
    let positions = env
        .call(ALICE, I::positionsCall { id: U256::from(1) })
        .unwrap();
    assert_eq!(positions.len(), 1);
    assert_eq!(positions[0].size, i(Wad::ONE));
    let s = decode(&env.snapshot(1, 1).unwrap()).unwrap();
    let o = evaluate(&s).unwrap();
    assert!(o.im.is_positive());
    assert_eq!(wad_of(env.margin(1).unwrap().initialMargin), o.im);
    // Ten more would need far more than 1,000 USDC: the margin module refuses the trade
    // with the taker's initial margin after it.
    let refused = env.fail(MARKET, perp_trade(w(10)));
    let e = I::BelowInitialMargin::abi_decode(&refused).unwrap();
    assert_eq!(e.id, U256::from(1));
    assert!(e.initialMargin < I256::ZERO);
}
