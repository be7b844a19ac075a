//! Test harness: the vault core deployed on a `ChainHost`, the liquidation module installed
//! at [`LIQUIDATION`] (kind 2) and reached by the core's `delegatecall` through its real
//! `#[fallback]`, and at [`MARGIN`] (kind 0) a **stub margin module** written here: it answers
//! `margin(uint256)` from the account's real storage with a linear model whose marks and
//! prices the test sets —
//!
//! * `V = cash + Σ balance · price + Σ (size · mark − basis)`,
//! * maintenance requirement `R = Σ |size| · mark · 10 %`, initial requirement `1.5 · R`,
//! * `MM = V − R`, `IM = V − 1.5 · R`,
//!
//! so every state after a bid is recomputed from storage. Calls, returns, errors and events
//! are typed by `sol!` from `abi/IMarginVault.sol` (the plumbing is `keel_vault_testing::env`'s
//! [`VaultHarness`]).
#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use alloy_primitives::{Address, I256, U256};
pub use alloy_sol_types::{SolCall, SolError, SolEvent};
use keel_risk::Wad;
use keel_vault_liquidation::LiquidationModule;
use keel_vault_state::instrument::{Instrument, CALL, PERP};
use keel_vault_state::pack::{asset_word, pair, LISTED};
use keel_vault_state::positions::PositionRecord;
use keel_vault_state::VaultState;
// Each test binary uses its own subset.
#[allow(unused_imports)]
pub use keel_vault_testing::env::{
    err, module, IMarginVault as I, VaultHarness, ADMIN, ALICE, BOB, CAROL, GUARDIAN, ONE, OWNER,
    T0, USDC, WETH,
};
pub use keel_vault_testing::{ChainHost, Kind, TokenHost};

pub const DAVE: Address = Address::repeat_byte(0x0d);
pub const KEEPER: Address = Address::repeat_byte(0x0e);
pub const LIQUIDATION: Address = Address::repeat_byte(0x4c);
pub const MARGIN: Address = Address::repeat_byte(0x4d);

/// `x` units as a raw wad.
pub const fn w(x: i128) -> i128 {
    x * ONE
}

/// `x` units as a `U256` wad.
pub fn uw(x: i128) -> U256 {
    U256::from(w(x))
}

pub fn i(x: i128) -> I256 {
    I256::try_from(x).unwrap()
}

pub fn u(x: u128) -> U256 {
    U256::from(x)
}

pub fn id(n: u64) -> U256 {
    U256::from(n)
}

/// The perpetual on underlying 0.
pub fn perp() -> U256 {
    Instrument {
        underlying: 0,
        kind: PERP,
        expiry: 0,
        strike: 0,
    }
    .id()
}

/// A call on underlying 0.
pub fn call_option(expiry: u64, strike: u128) -> U256 {
    Instrument {
        underlying: 0,
        kind: CALL,
        expiry,
        strike: strike * ONE as u128,
    }
    .id()
}

/// The marks and prices the stub margin module values accounts with.
#[derive(Default)]
pub struct Model {
    pub marks: HashMap<U256, i128>,
    pub prices: HashMap<Address, i128>,
}

/// The stub's numbers for one account.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Numbers {
    pub value: i128,
    pub requirement: i128,
    pub mm: i128,
    pub im: i128,
}

fn mul(a: i128, b: i128) -> i128 {
    Wad::from_raw(a).mul(Wad::from_raw(b)).unwrap().raw()
}

/// The stub model on `s` (see the module docs).
pub fn numbers(s: &VaultState, model: &Model, account: U256) -> (Numbers, i128, i128, usize) {
    let cash = s.cash_of(account).unwrap().raw();
    let mut value = cash;
    let list = s.held.getter(account);
    for k in 0..list.len() {
        let asset = list.get(k).unwrap();
        let balance = i128::try_from(s.balances.getter(account).get(asset)).unwrap();
        value += mul(balance, model.prices[&asset]);
    }
    let mut pnl = 0;
    let mut requirement = 0;
    let positions = s.positions_of(account);
    for p in &positions {
        let mark = model.marks[&p.instrument];
        pnl += mul(p.size.raw(), mark) - p.basis.raw();
        requirement += mul(p.size.raw().abs(), mark) / 10;
    }
    value += pnl;
    let n = Numbers {
        value,
        requirement,
        mm: value - requirement,
        im: value - requirement * 3 / 2,
    };
    (n, cash, pnl, positions.len())
}

fn stub_margin(
    host: &ChainHost,
    model: &RefCell<Model>,
    calldata: &[u8],
) -> Result<Vec<u8>, Vec<u8>> {
    let Ok(call) = I::marginCall::abi_decode(calldata) else {
        return Err(Vec::new());
    };
    let s = VaultState::from(host);
    let (_, mode) = s.account_of(call.id);
    let (n, cash, pnl, count) = numbers(&s, &model.borrow(), call.id);
    let state = I::MarginState {
        mode,
        initialMargin: i(n.im),
        maintenanceMargin: i(n.mm),
        markToMarket: i(n.value),
        initialRequirement: i(n.requirement * 3 / 2),
        maintenanceRequirement: i(n.requirement),
        worstScenario: U256::MAX,
        cash: i(cash),
        unrealisedPnl: i(pnl),
        positionCount: U256::from(count),
    };
    Ok(I::marginCall::abi_encode_returns(&state))
}

#[derive(Clone)]
pub struct Env {
    pub host: ChainHost,
    pub model: Rc<RefCell<Model>>,
}

impl Env {
    /// The vault deployed by `OWNER` (risk admin `ADMIN`, guardian `GUARDIAN`), the
    /// liquidation module and the stub margin module installed, USDC (settlement asset) and
    /// WETH listed, clock at [`T0`], perp mark 2,000 and WETH price 2,000; logs cleared.
    pub fn new() -> Env {
        let env = Env {
            host: ChainHost::new(),
            model: Rc::default(),
        };
        env.host.set_block_timestamp(T0);
        env.deploy_with_roles();
        let model = env.model.clone();
        env.install_module(2, LIQUIDATION, module::<LiquidationModule>());
        env.install_module(
            0,
            MARGIN,
            Rc::new(move |host: &ChainHost, calldata: &[u8]| stub_margin(host, &model, calldata)),
        );

        env.add_asset(USDC, 6);
        env.add_asset(WETH, 18);
        env.call(OWNER, I::setSettlementAssetCall { asset: USDC })
            .unwrap();
        env.set_mark(perp(), 2_000);
        env.set_price(WETH, 2_000);
        env.clear_logs();
        env
    }

    /// Creates token `asset`, lists it (in storage: listing is the margin module's) with
    /// generous caps, and funds every user with 10⁷ of it.
    pub fn add_asset(&self, asset: Address, decimals: u8) {
        self.host.add_token(asset, decimals, Kind::Standard);
        for user in [ALICE, BOB, CAROL, DAVE, KEEPER] {
            self.host.mint(
                asset,
                user,
                U256::from(10_000_000u64) * U256::from(10u64).pow(U256::from(decimals)),
            );
        }
        let mut s = self.state();
        let mut slot = s.assets.setter(asset);
        slot.w0.set(asset_word(Address::ZERO, decimals, LISTED));
        slot.w1.set(pair(ONE as u128 / 10, ONE as u128 / 20));
        slot.w2
            .set(pair(w(100_000_000) as u128, w(10_000_000) as u128));
    }

    pub fn set_mark(&self, instrument: U256, units: i128) {
        self.model.borrow_mut().marks.insert(instrument, w(units));
    }

    pub fn set_mark_raw(&self, instrument: U256, raw: i128) {
        self.model.borrow_mut().marks.insert(instrument, raw);
    }

    pub fn set_price(&self, asset: Address, units: i128) {
        self.model.borrow_mut().prices.insert(asset, w(units));
    }

    /// The stub's numbers for account `n`.
    pub fn numbers(&self, n: u64) -> Numbers {
        numbers(&self.state(), &self.model.borrow(), id(n)).0
    }

    pub fn open(&self, owner: Address, mode: u8) -> u64 {
        let n = self.call(owner, I::openAccountCall { mode }).unwrap();
        u64::try_from(n).unwrap()
    }

    /// Deposits `units` whole tokens of `asset` into account `n` (through the core).
    pub fn deposit(&self, from: Address, n: u64, asset: Address, units: u64) {
        let decimals = if asset == USDC { 6 } else { 18 };
        self.call(
            from,
            I::depositCall {
                id: id(n),
                asset,
                amount: U256::from(units) * U256::from(10u64).pow(U256::from(decimals)),
            },
        )
        .unwrap();
    }

    /// Writes account `n`'s position (sizes and bases in raw wads).
    pub fn position(&self, n: u64, instrument: U256, size: i128, basis: i128) {
        self.state().write_position(
            id(n),
            PositionRecord {
                instrument,
                size: Wad::from_raw(size),
                basis: Wad::from_raw(basis),
            },
        );
    }

    pub fn set_cash(&self, n: u64, raw: i128) {
        self.state().set_cash(id(n), Wad::from_raw(raw)).unwrap();
    }

    pub fn cash(&self, n: u64) -> i128 {
        let c = self.call(ALICE, I::cashCall { id: id(n) }).unwrap();
        i128::try_from(c).unwrap()
    }

    pub fn balance(&self, n: u64, asset: Address) -> U256 {
        self.call(ALICE, I::collateralBalanceCall { id: id(n), asset })
            .unwrap()
    }

    pub fn assets(&self, n: u64) -> Vec<Address> {
        self.call(ALICE, I::accountAssetsCall { id: id(n) })
            .unwrap()
    }

    /// Account `n`'s positions as (instrument, size, basis), sorted by instrument.
    pub fn positions(&self, n: u64) -> Vec<(U256, i128, i128)> {
        let mut out: Vec<_> = self
            .state()
            .positions_of(id(n))
            .into_iter()
            .map(|p| (p.instrument, p.size.raw(), p.basis.raw()))
            .collect();
        out.sort();
        out
    }

    pub fn start(&self, n: u64) -> Result<(), Vec<u8>> {
        self.call(KEEPER, I::startAuctionCall { id: id(n) })
            .map(|_| ())
    }

    pub fn auction(&self, n: u64) -> I::auctionReturn {
        self.call(ALICE, I::auctionCall { id: id(n) }).unwrap()
    }

    /// A bid by `from` for account `bidder` with no payment limit.
    pub fn bid(
        &self,
        from: Address,
        n: u64,
        bidder: u64,
        fraction: i128,
    ) -> Result<(U256, I256), Vec<u8>> {
        self.bid_max(from, n, bidder, fraction, I256::MAX)
    }

    pub fn bid_max(
        &self,
        from: Address,
        n: u64,
        bidder: u64,
        fraction: i128,
        max_payment: I256,
    ) -> Result<(U256, I256), Vec<u8>> {
        self.call(
            from,
            I::bidCall {
                id: id(n),
                bidder: id(bidder),
                fraction: U256::from(fraction),
                maxPayment: max_payment,
            },
        )
        .map(|r| (r.filled, r.payment))
    }

    pub fn insurance(&self) -> U256 {
        self.call(ALICE, I::insuranceFundCall {}).unwrap()
    }
}

impl VaultHarness for Env {
    fn host(&self) -> &ChainHost {
        &self.host
    }
}

/// The standard under-margined account: ALICE's account 1 (cross) holds 10 WETH (20,000),
/// cash −23,500 and a perp long of 10 with basis 15,000 (P&L 5,000): `V = 1,500`,
/// `R = 2,000`, `MM = −500`, `IM = −1,500`. BOB's account 2 (cross) holds 10,000 of cash.
pub fn underwater() -> Env {
    let env = Env::new();
    assert_eq!(env.open(ALICE, 1), 1);
    assert_eq!(env.open(BOB, 1), 2);
    env.deposit(ALICE, 1, WETH, 10);
    env.set_cash(1, w(-23_500));
    env.position(1, perp(), w(10), w(15_000));
    env.deposit(BOB, 2, USDC, 10_000);
    assert_eq!(
        env.numbers(1),
        Numbers {
            value: w(1_500),
            requirement: w(2_000),
            mm: w(-500),
            im: w(-1_500),
        }
    );
    env.clear_logs();
    env
}
