//! The whole vault for flow tests: the real core and all three real modules (margin,
//! trading, liquidation) on one storage, with the simulated oracle adapter, depeg guard and
//! engines of `keel-vault-testing` — ETH listed, an authorised market, three funded accounts
//! and an insurance fund — and the calls the flows make.

use super::*;
use alloy_primitives::{Address, I256, U256};
use keel_vault_liquidation::LiquidationModule;
use keel_vault_trading::TradingModule;

pub const TRADING: Address = Address::repeat_byte(0x71);
pub const LIQUIDATION: Address = Address::repeat_byte(0x72);
pub const MARKET: Address = Address::repeat_byte(0x4f);
pub const DAVE: Address = Address::repeat_byte(0x0d);
pub const T0: u64 = 1_700_000_000;
pub const EXPIRY: u64 = T0 + 7 * 86_400;
pub const ONE: i128 = 1_000_000_000_000_000_000;

/// Account ids.
pub const A: u64 = 1; // ALICE, portfolio
pub const B: u64 = 2; // BOB, cross
pub const K: u64 = 3; // CAROL, the keeper, portfolio

pub fn uid(n: u64) -> U256 {
    U256::from(n)
}

pub fn int(x: I256) -> i128 {
    i128::try_from(x).unwrap()
}

pub fn install(env: &Env) {
    env.install_module(1, TRADING, module::<TradingModule>());
    env.install_module(2, LIQUIDATION, module::<LiquidationModule>());
}

/// The vault of [`Env::with_margin`] at [`T0`] with the trading and liquidation modules, ETH
/// listed as underlying at 2000 (stress vol 0.8) and `MARKET` authorised; only ALICE's account
/// 1 open, nothing deposited.
pub fn unfunded() -> Env {
    let env = Env::with_margin();
    env.host.set_block_timestamp(T0);
    install(&env);
    env.set_price(ETH_UNDERLYING, wad(2_000));
    env.call(
        ADMIN,
        I::listUnderlyingCall {
            asset: ETH_UNDERLYING,
            stressVol: U256::from(8u128 * 10u128.pow(17)),
        },
    )
    .unwrap();
    env.authorise_market(MARKET);
    env
}

/// The whole vault: ETH listed as underlying at 2000, `MARKET` authorised and approved by
/// ALICE (account 1, portfolio) and BOB (account 2, cross); CAROL keeps account 3
/// (portfolio). Deposits: ALICE 10,000 USDC, BOB 20,000, CAROL 100,000; the insurance fund
/// holds 500 USDC. Time [`T0`].
pub fn vault() -> Env {
    let env = unfunded();
    assert_eq!(env.open(BOB, 1), uid(B));
    assert_eq!(env.open(CAROL, 2), uid(K));
    for (owner, id) in [(ALICE, A), (BOB, B)] {
        approve_market(&env, owner, id);
    }
    for (owner, id, amount) in [(ALICE, A, 10_000), (BOB, B, 20_000), (CAROL, K, 100_000)] {
        env.deposit(owner, id, USDC, e(amount, 6)).unwrap();
    }
    env.call(CAROL, I::fundInsuranceCall { amount: e(500, 6) })
        .unwrap();
    env.host.clear_logs();
    env
}

/// `owner` approves `MARKET` as operator of its account `id`.
pub fn approve_market(env: &Env, owner: Address, id: u64) {
    env.call(
        owner,
        I::setOperatorCall {
            id: uid(id),
            operator: MARKET,
            approved: true,
        },
    )
    .unwrap();
}

/// Opens an account for `owner` in `mode` with `MARKET` as operator; returns its id.
pub fn market_account(env: &Env, owner: Address, mode: u8) -> u64 {
    let id = env.open(owner, mode).to();
    approve_market(env, owner, id);
    id
}

pub fn perp(env: &Env) -> U256 {
    env.call(
        ALICE,
        I::instrumentIdCall {
            underlying: ETH_UNDERLYING,
            kind: 0,
            expiry: 0,
            strike: U256::ZERO,
        },
    )
    .unwrap()
}

pub fn option(env: &Env, kind: u8, strike: u128) -> U256 {
    env.call(
        ALICE,
        I::instrumentIdCall {
            underlying: ETH_UNDERLYING,
            kind,
            expiry: EXPIRY,
            strike: wad(strike),
        },
    )
    .unwrap()
}

/// The market settles `size` (wad units) of `instrument` from `maker` to `taker` at `price`.
pub fn trade(
    env: &Env,
    instrument: U256,
    taker: u64,
    maker: u64,
    size: i128,
    price: i128,
) -> Result<(), Vec<u8>> {
    env.call(
        MARKET,
        I::settleTradeCall {
            trade: I::Trade {
                instrument,
                taker: uid(taker),
                maker: uid(maker),
                size: I256::try_from(size).unwrap(),
                price: U256::from(price as u128),
                takerFee: U256::ZERO,
                makerFee: U256::ZERO,
            },
        },
    )
    .map(|_| ())
}

pub fn margin(env: &Env, id: u64) -> I::MarginState {
    env.call(DAVE, I::marginCall { id: uid(id) }).unwrap()
}

pub fn size_of(env: &Env, id: u64, instrument: U256) -> i128 {
    env.call(DAVE, I::positionsCall { id: uid(id) })
        .unwrap()
        .iter()
        .find(|p| p.instrument == instrument)
        .map_or(0, |p| int(p.size))
}

pub fn cash(env: &Env, id: u64) -> i128 {
    int(env.call(DAVE, I::cashCall { id: uid(id) }).unwrap())
}

/// Lowers the ETH spot by 10 at a time from `from` until `stop(margin of account id)`;
/// returns the price reached.
pub fn lower_until(env: &Env, id: u64, from: u128, stop: impl Fn(&I::MarginState) -> bool) -> u128 {
    let mut price = from;
    loop {
        env.set_price(ETH_UNDERLYING, wad(price));
        if stop(&margin(env, id)) {
            return price;
        }
        assert!(price > 10, "the condition was never met");
        price -= 10;
    }
}

/// wstETH-style collateral: 18 decimals, valued through the depeg guard in ETH.
pub const WSTETH: Address = Address::repeat_byte(0x57);

pub fn assess(env: &Env, rate: u128, status: u8, add_on: u128) {
    let mut g = env.host.handler().guard.borrow_mut();
    g.set_rate(WSTETH, U256::from(rate));
    let a = g.assessments.get_mut(&WSTETH).unwrap();
    a.status = status;
    a.haircutAddOn = U256::from(add_on);
}

/// Lists [`WSTETH`] as depeg-guarded collateral on [`ETH_UNDERLYING`] (the simulated guard
/// set in the vault) and mints ALICE 100.
pub fn list_wsteth(env: &Env) {
    env.host.add_token(WSTETH, 18, Kind::Standard);
    env.host.mint(WSTETH, ALICE, wad(100));
    env.call(
        OWNER,
        I::setDepegGuardCall {
            depegGuard: keel_vault_testing::GUARD,
        },
    )
    .unwrap();
    env.call(
        ADMIN,
        I::listCollateralCall {
            asset: WSTETH,
            params: I::CollateralParams {
                riskCancellingUnderlying: ETH_UNDERLYING,
                depegGuarded: true,
                ..params()
            },
        },
    )
    .unwrap();
}
