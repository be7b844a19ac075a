//! `marginAllModes(id)` through the real core, margin module and trading module, on accounts
//! whose positions come from real trades of an authorised market: each of the three states is
//! keel-risk's number for the snapshot the margin module builds (`isolated_what_if` and
//! `evaluate_cross` of `snapshot(id, 1)`, `evaluate_portfolio` of `snapshot(id, 2)`), the
//! account's own mode's state is its `margin(id)`, a hedged book needs least in portfolio
//! mode and most in the isolated what-if, and engine failures surface as the interface says.
//!
//! The simulated cross engine of `keel-vault-testing` answers `margin(bytes)` only, so after
//! the trades `engines[1]` is pointed at [`CROSS`], an address whose static calls are mocked
//! per account: `margin(snapshot)` with the simulated engine's own answer (keel-engine's answer
//! path over keel-risk), `isolatedWhatIf(snapshot)` with keel-risk's `isolated_what_if` (what
//! `keel-cross-engine` answers; its own tests check that). A call the module makes with any
//! other bytes finds no mock and is answered with nothing.
mod common;

use alloy_primitives::{keccak256, Address, I256, U256};
use common::*;
use keel_risk::model::snapshot::{
    decode, evaluate_cross, evaluate_portfolio, isolated_what_if, MarginOutcome, MarginSnapshot,
};
use keel_vault_state::VaultState;
use keel_vault_testing::{CROSS_ENGINE, PORTFOLIO_ENGINE};
use keel_vault_trading::TradingModule;

const TRADING: Address = Address::repeat_byte(0x71);
const MARKET: Address = Address::repeat_byte(0x4f);
/// The cross engine whose answers are mocked per call (see the module docs).
const CROSS: Address = Address::repeat_byte(0x7c);
const DAVE: Address = Address::repeat_byte(0x0d);
const T0: u64 = 1_700_000_000;
const EXPIRY: u64 = T0 + 30 * 86_400;
const ONE: i128 = 1_000_000_000_000_000_000;

/// Account ids.
const PORTFOLIO: u64 = 1; // ALICE, portfolio: the hedged book
const CROSS_ACCOUNT: u64 = 2; // BOB, cross: the same hedged book
const MAKER: u64 = 3; // CAROL, portfolio: the other side of every trade
const ISOLATED: u64 = 4; // ALICE, isolated: one short call

fn uid(n: u64) -> U256 {
    U256::from(n)
}

fn int(x: I256) -> i128 {
    i128::try_from(x).unwrap()
}

fn instrument(env: &Env, kind: u8, expiry: u64, strike: u128) -> U256 {
    env.call(
        DAVE,
        I::instrumentIdCall {
            underlying: ETH_UNDERLYING,
            kind,
            expiry,
            strike: wad(strike),
        },
    )
    .unwrap()
}

/// The market settles `size` (raw wad) of `instrument` from `maker` to `taker` at `price`.
fn trade(env: &Env, instrument: U256, taker: u64, maker: u64, size: i128, price: i128) {
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
    .unwrap();
}

/// The whole vault with ETH listed (spot 2000, one expiry 30 days out), the trading module
/// installed and `MARKET` authorised and approved by every account. Accounts: ALICE's 1
/// (portfolio) and BOB's 2 (cross) each hold the hedged book — long 5 ETH perpetuals and 5
/// puts at 2000, and a call spread: long 5 calls at 2100, short 5 at 2200 — ALICE's 4
/// (isolated) is short 2 calls at 2200, and CAROL's 3 (portfolio) is the other side. BOB also
/// holds 2 WETH. Then ETH falls to 1950 (the perpetuals owe 5 · 50 = 250 unrealised) and
/// `engines[1]` becomes [`CROSS`], mocked for every account.
fn vault() -> Env {
    let env = Env::with_margin();
    env.host.set_block_timestamp(T0);
    env.install_module(1, TRADING, module::<TradingModule>());
    env.set_price(ETH_UNDERLYING, wad(2_000));
    env.set_eth_expiry(EXPIRY, 2_000);
    env.call(
        ADMIN,
        I::listUnderlyingCall {
            asset: ETH_UNDERLYING,
            stressVol: U256::from(8u128 * 10u128.pow(17)),
        },
    )
    .unwrap();
    env.host.vm().set_code(CROSS, vec![0xfe]);
    env.authorise_market(MARKET);
    assert_eq!(env.open(BOB, 1), uid(CROSS_ACCOUNT));
    assert_eq!(env.open(CAROL, 2), uid(MAKER));
    assert_eq!(env.open(ALICE, 0), uid(ISOLATED));
    for (owner, id, usdc) in [
        (ALICE, PORTFOLIO, 20_000),
        (BOB, CROSS_ACCOUNT, 20_000),
        (CAROL, MAKER, 100_000),
        (ALICE, ISOLATED, 10_000),
    ] {
        env.call(
            owner,
            I::setOperatorCall {
                id: uid(id),
                operator: MARKET,
                approved: true,
            },
        )
        .unwrap();
        env.deposit(owner, id, USDC, e(usdc, 6)).unwrap();
    }
    env.deposit(BOB, CROSS_ACCOUNT, WETH, wad(2)).unwrap();

    let perp = instrument(&env, 0, 0, 0);
    let put_2000 = instrument(&env, 2, EXPIRY, 2_000);
    let call_2100 = instrument(&env, 1, EXPIRY, 2_100);
    let call_2200 = instrument(&env, 1, EXPIRY, 2_200);
    for id in [PORTFOLIO, CROSS_ACCOUNT] {
        trade(&env, perp, id, MAKER, 5 * ONE, 2_000 * ONE);
        trade(&env, put_2000, id, MAKER, 5 * ONE, 90 * ONE);
        trade(&env, call_2100, id, MAKER, 5 * ONE, 30 * ONE);
        trade(&env, call_2200, id, MAKER, -5 * ONE, 12 * ONE);
    }
    trade(&env, call_2200, ISOLATED, MAKER, -2 * ONE, 20 * ONE);

    env.set_price(ETH_UNDERLYING, wad(1_950));
    env.call(
        OWNER,
        I::setEngineCall {
            mode: 1,
            engine: CROSS,
        },
    )
    .unwrap();
    for id in [PORTFOLIO, CROSS_ACCOUNT, MAKER, ISOLATED] {
        mock_cross(&env, id);
    }
    env.host.clear_logs();
    env
}

/// `snapshot(id, mode)`.
fn snapshot(env: &Env, id: u64, mode: u8) -> Vec<u8> {
    env.call(DAVE, I::snapshotCall { id: uid(id), mode })
        .unwrap()
        .to_vec()
}

/// `margin(bytes)`'s calldata, and the same with `isolatedWhatIf(bytes)`'s selector (the
/// argument encoding is the same).
fn engine_calldata(selector: &str, bytes: &[u8]) -> Vec<u8> {
    let mut data = keccak256(selector)[..4].to_vec();
    data.extend_from_slice(&U256::from(32).to_be_bytes::<32>());
    data.extend_from_slice(&U256::from(bytes.len()).to_be_bytes::<32>());
    data.extend_from_slice(bytes);
    data.resize(4 + 64 + bytes.len().div_ceil(32) * 32, 0);
    data
}

fn answer_words(o: &MarginOutcome) -> Vec<u8> {
    let mut out = Vec::new();
    for x in [o.im.raw(), o.mm.raw(), o.mtm.raw()] {
        out.extend_from_slice(&I256::try_from(x).unwrap().to_be_bytes::<32>());
    }
    out.extend_from_slice(&U256::MAX.to_be_bytes::<32>());
    out
}

/// Mocks [`CROSS`] for account `id`'s current cross snapshot (see the module docs).
fn mock_cross(env: &Env, id: u64) {
    let bytes = snapshot(env, id, 1);
    let margin = engine_calldata("margin(bytes)", &bytes);
    let simulated = keel_vault_testing::engine::answer(CROSS_ENGINE, &margin).unwrap();
    env.host.mock_static_call(CROSS, margin, simulated);
    let what_if = isolated_what_if(&decode(&bytes).unwrap()).unwrap();
    env.host.mock_static_call(
        CROSS,
        engine_calldata("isolatedWhatIf(bytes)", &bytes),
        Ok(answer_words(&what_if)),
    );
}

fn all_modes(env: &Env, id: u64) -> Result<[I::MarginState; 3], Vec<u8>> {
    env.call(DAVE, I::marginAllModesCall { id: uid(id) })
        .map(|r| [r.isolated, r.cross, r.portfolio])
}

fn margin(env: &Env, id: u64) -> I::MarginState {
    env.call(DAVE, I::marginCall { id: uid(id) }).unwrap()
}

fn decoded(env: &Env, id: u64, mode: u8) -> MarginSnapshot {
    decode(&snapshot(env, id, mode)).unwrap()
}

#[test]
fn each_state_is_keel_risk_of_the_snapshots_and_the_own_mode_is_margin() {
    let env = vault();
    for (id, own_mode, positions) in [
        (PORTFOLIO, 2u8, 4u64),
        (CROSS_ACCOUNT, 1, 4),
        (MAKER, 2, 4),
        (ISOLATED, 0, 1),
    ] {
        let states = all_modes(&env, id).unwrap();
        let own = margin(&env, id);
        assert_eq!(own.mode, own_mode);
        let cross = decoded(&env, id, 1);
        let portfolio = decoded(&env, id, 2);
        let outcomes = [
            isolated_what_if(&cross).unwrap(),
            evaluate_cross(&cross).unwrap(),
            evaluate_portfolio(&portfolio).unwrap(),
        ];
        for (mode, (state, o)) in states.iter().zip(&outcomes).enumerate() {
            assert_eq!(
                *state,
                margin_state(mode as u8, o, &own),
                "account {id} mode {mode}"
            );
        }
        assert_eq!(states[usize::from(own_mode)], own, "account {id}");
        // The shared fields are the account's: stored cash, stored positions.
        let cash = env.call(DAVE, I::cashCall { id: uid(id) }).unwrap();
        let held = env.call(DAVE, I::positionsCall { id: uid(id) }).unwrap();
        for s in &states {
            assert_eq!(s.cash, cash);
            assert_eq!(s.positionCount, U256::from(positions));
            assert_eq!(s.positionCount, U256::from(held.len()));
        }
    }
    // The hedged books hold 5 perpetuals opened at the 2000 mark, now 1950: 5 · (1950 − 2000).
    for id in [PORTFOLIO, CROSS_ACCOUNT] {
        for s in all_modes(&env, id).unwrap() {
            assert_eq!(int(s.unrealisedPnl), -250 * ONE);
        }
    }
    // The maker is short those 10 perpetuals.
    assert_eq!(
        int(all_modes(&env, MAKER).unwrap()[0].unrealisedPnl),
        500 * ONE
    );
}

/// Long perpetuals protected by at-the-money puts, with a call spread. The cross model (SRM)
/// margins each position on its own except option spreads inside one expiry, which it nets by
/// their maximum loss: the isolated what-if (every position alone, the short call margined as
/// naked) needs strictly more than cross. The portfolio model (PM2) shocks the whole book,
/// where the puts cover the perpetuals' loss below 2000 and the spread's loss is bounded, so
/// it needs strictly less than cross, which charges the perpetuals their notional requirement
/// whatever the puts. Cross and the what-if use one model, hence one mark-to-market.
#[test]
fn a_hedged_book_needs_least_in_portfolio_and_most_isolated() {
    let env = vault();
    for id in [PORTFOLIO, CROSS_ACCOUNT] {
        let [isolated, cross, portfolio] = all_modes(&env, id).unwrap();
        let req = |s: &I::MarginState| (int(s.initialRequirement), int(s.maintenanceRequirement));
        let (iso_im, iso_mm) = req(&isolated);
        let (cross_im, cross_mm) = req(&cross);
        let (port_im, port_mm) = req(&portfolio);
        assert!(
            port_im < cross_im,
            "IM: portfolio {port_im} vs cross {cross_im}"
        );
        assert!(
            cross_im < iso_im,
            "IM: cross {cross_im} vs isolated {iso_im}"
        );
        assert!(
            port_mm < cross_mm,
            "MM: portfolio {port_mm} vs cross {cross_mm}"
        );
        assert!(
            cross_mm < iso_mm,
            "MM: cross {cross_mm} vs isolated {iso_mm}"
        );
        assert_eq!(isolated.markToMarket, cross.markToMarket);
    }
}

/// One position: the isolated what-if is the cross margin of the account, which is what the
/// vault's isolated mode computes (with `engines[0]`, the simulated cross engine).
#[test]
fn one_position_what_if_is_the_isolated_margin() {
    let env = vault();
    let [isolated, cross, _] = all_modes(&env, ISOLATED).unwrap();
    let own = margin(&env, ISOLATED);
    assert_eq!(isolated, own);
    assert_eq!(
        (isolated.initialMargin, isolated.maintenanceMargin),
        (cross.initialMargin, cross.maintenanceMargin)
    );
    assert_eq!(cross.mode, 1);
}

fn error(signature: &str, words: &[U256]) -> Vec<u8> {
    let mut out = keccak256(signature)[..4].to_vec();
    for w in words {
        out.extend_from_slice(&w.to_be_bytes::<32>());
    }
    out
}

#[test]
fn engine_failures() {
    let env = vault();
    let state = || VaultState::from(&env.host);
    // An unknown account: the margin module's error.
    assert_eq!(
        all_modes(&env, 99).unwrap_err(),
        err(I::UnknownAccount { id: uid(99) })
    );
    // Unset engines (written directly: `setEngine` wants code): the cross account's own margin
    // uses `engines[1]`, then the portfolio engine is missing.
    state().engines.setter(2).set(Address::ZERO);
    assert_eq!(
        all_modes(&env, CROSS_ACCOUNT).unwrap_err(),
        err(I::EngineNotSet { mode: 2 })
    );
    state().engines.setter(2).set(PORTFOLIO_ENGINE);
    // The portfolio account's own margin uses `engines[2]`; the what-if needs `engines[1]`.
    state().engines.setter(1).set(Address::ZERO);
    assert_eq!(
        all_modes(&env, PORTFOLIO).unwrap_err(),
        err(I::EngineNotSet { mode: 1 })
    );
    state().engines.setter(1).set(CROSS);
    all_modes(&env, PORTFOLIO).unwrap();
    // An engine's revert passes through: the simulated cross engine refuses the portfolio
    // snapshot with `WrongMode(2)`.
    env.call(
        OWNER,
        I::setEngineCall {
            mode: 2,
            engine: CROSS_ENGINE,
        },
    )
    .unwrap();
    assert_eq!(
        all_modes(&env, CROSS_ACCOUNT).unwrap_err(),
        error("WrongMode(uint8)", &[U256::from(2)])
    );
    env.call(
        OWNER,
        I::setEngineCall {
            mode: 2,
            engine: PORTFOLIO_ENGINE,
        },
    )
    .unwrap();
    // An answer that is not four words: no mock for a snapshot that changed (the spot moved).
    env.set_price(ETH_UNDERLYING, wad(1_940));
    assert_eq!(
        all_modes(&env, PORTFOLIO).unwrap_err(),
        err(I::EngineFailed { mode: 1 })
    );
    mock_cross(&env, PORTFOLIO);
    all_modes(&env, PORTFOLIO).unwrap();
}
