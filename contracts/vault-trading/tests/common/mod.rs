//! Test harness: the vault core deployed on a `ChainHost`, the trading module installed at
//! [`TRADING`] (core `setModule(1, …)`, reached by delegatecall through the core's real entry
//! path), and at [`MARGIN`] a stub margin module that answers `requireMargin(id, initial)`
//! from a table and `margin(id)` from a queue of (IM surplus, mark-to-market) readings, and
//! records every request. Calldata, returns, errors and events are typed by
//! `sol!` from `abi/IMarginVault.sol` itself (the plumbing is `keel_vault_testing::env`'s
//! [`VaultHarness`]).
#![allow(dead_code)]

use std::cell::RefCell;
use std::collections::{HashMap, VecDeque};
use std::rc::Rc;

use alloy_primitives::{Address, I256, U256};
pub use alloy_sol_types::{SolCall, SolError, SolEvent};
#[allow(unused_imports)]
pub use keel_vault_state::instrument::{CALL, PERP, PUT};
use keel_vault_state::pack::{asset_word, pair, LISTED};
// Each test binary uses its own subset.
#[allow(unused_imports)]
pub use keel_vault_testing::env::{
    err, margin_state, module, IMarginVault as I, VaultHarness, ADMIN, ALICE, BOB, CAROL, GUARDIAN,
    ONE, OWNER, T0, USDC,
};
use keel_vault_testing::ORACLE;
pub use keel_vault_testing::{ChainHost, Kind, ModuleFn, TokenHost};
use keel_vault_trading::TradingModule;

/// An authorised market (has code).
pub const MARKET: Address = Address::repeat_byte(0x4d);
/// A contract that is not an authorised market.
pub const OTHER_MARKET: Address = Address::repeat_byte(0x4e);
pub const EOA: Address = Address::repeat_byte(0x55);
/// Where the trading module is installed.
pub const TRADING: Address = Address::repeat_byte(0x71);
/// Where the stub margin module is installed.
pub const MARGIN: Address = Address::repeat_byte(0x70);
/// Underlyings (oracle-adapter keys).
pub const ETH: Address = Address::repeat_byte(0xee);
pub const BTC: Address = Address::repeat_byte(0xbb);
pub const SOL: Address = Address::repeat_byte(0x5a);

/// An option expiry one week after [`T0`].
pub const EXPIRY: u64 = T0 + 7 * 86_400;

pub fn wad(units: i128) -> U256 {
    U256::from(units as u128) * U256::from(ONE as u128)
}

/// A signed wad as `int256`.
pub fn iw(raw: i128) -> I256 {
    I256::try_from(raw).unwrap()
}

/// `units` as a signed wad (`int256`).
pub fn swad(units: i128) -> I256 {
    iw(units * ONE)
}

/// What the stub margin module saw and answers.
#[derive(Default)]
pub struct MarginStub {
    /// Every `requireMargin(id, initial)` received, in order.
    pub requests: Vec<(U256, bool)>,
    /// `(id, initial)` → revert data (absent: the check passes).
    pub fails: HashMap<(U256, bool), Vec<u8>>,
    /// Every `margin(id)` received, in order.
    pub reads: Vec<U256>,
    /// `id` → the (IM surplus, mark-to-market) of its next `margin(id)` answers, in order
    /// (none left: both 0).
    pub readings: HashMap<U256, VecDeque<(i128, i128)>>,
}

impl MarginStub {
    fn answer(&mut self, calldata: &[u8]) -> Result<Vec<u8>, Vec<u8>> {
        if let Ok(c) = I::marginCall::abi_decode(calldata) {
            self.reads.push(c.id);
            let (im, mtm) = self
                .readings
                .get_mut(&c.id)
                .and_then(|q| q.pop_front())
                .unwrap_or_default();
            let state = I::MarginState {
                mode: 1,
                initialMargin: iw(im),
                maintenanceMargin: iw(im),
                markToMarket: iw(mtm),
                initialRequirement: I256::ZERO,
                maintenanceRequirement: I256::ZERO,
                worstScenario: U256::MAX,
                cash: I256::ZERO,
                unrealisedPnl: I256::ZERO,
                positionCount: U256::ZERO,
            };
            return Ok(I::marginCall::abi_encode_returns(&state));
        }
        let c = I::requireMarginCall::abi_decode(calldata).map_err(|_| Vec::new())?;
        self.requests.push((c.id, c.initial));
        match self.fails.get(&(c.id, c.initial)) {
            Some(data) => Err(data.clone()),
            None => Ok(Vec::new()),
        }
    }
}

#[derive(Clone)]
pub struct Env {
    pub host: ChainHost,
    pub margin: Rc<RefCell<MarginStub>>,
}

impl Env {
    /// The core deployed by `OWNER` with risk admin `ADMIN`, guardian `GUARDIAN`, the oracle
    /// adapter, the trading module and the stub margin module installed, USDC listed (storage
    /// written directly) and made the settlement asset, `MARKET` with code; time [`T0`]; no
    /// SRM sets, no underlyings, no accounts. Logs cleared.
    pub fn bare() -> Env {
        let host = ChainHost::new();
        host.set_block_timestamp(T0);
        let env = Env {
            host,
            margin: Rc::default(),
        };
        env.deploy_with_roles();
        env.call(
            OWNER,
            I::setOracleAdapterCall {
                oracleAdapter: ORACLE,
            },
        )
        .unwrap();
        let stub = Rc::clone(&env.margin);
        let margin_stub: ModuleFn =
            Rc::new(move |_: &ChainHost, calldata: &[u8]| stub.borrow_mut().answer(calldata));
        env.install_module(1, TRADING, module::<TradingModule>());
        env.install_module(0, MARGIN, margin_stub);
        env.host.add_token(USDC, 6, Kind::Standard);
        {
            let mut s = env.state();
            let mut slot = s.assets.setter(USDC);
            slot.w0.set(asset_word(Address::ZERO, 6, LISTED));
            slot.w2.set(pair(10u128.pow(30), 10u128.pow(29)));
        }
        env.call(OWNER, I::setSettlementAssetCall { asset: USDC })
            .unwrap();
        env.host.vm().set_code(MARKET, vec![0xfe]);
        env.host.vm().set_code(OTHER_MARKET, vec![0xfe]);
        env.clear_logs();
        env
    }

    /// [`Env::bare`] with 16 SRM sets, ETH (index 0, spot 2000) and BTC (index 1, spot
    /// 60000) listed with stress vol 1, `MARKET` authorised, ALICE's account 1 (cross) and
    /// BOB's account 2 (portfolio) with `MARKET` as operator. Logs cleared.
    pub fn new() -> Env {
        let env = Env::bare();
        env.state().set_srm_sets(16);
        env.set_spot(ETH, 2_000);
        env.set_spot(BTC, 60_000);
        for asset in [ETH, BTC] {
            env.call(
                ADMIN,
                I::listUnderlyingCall {
                    asset,
                    stressVol: wad(1),
                },
            )
            .unwrap();
        }
        env.authorise_market(MARKET);
        assert_eq!(env.open(ALICE, 1), U256::from(1));
        assert_eq!(env.open(BOB, 2), U256::from(2));
        env.clear_logs();
        env
    }

    /// Opens an account for `owner` in `mode` and approves `MARKET` as its operator.
    pub fn open(&self, owner: Address, mode: u8) -> U256 {
        let id = self.call(owner, I::openAccountCall { mode }).unwrap();
        self.call(
            owner,
            I::setOperatorCall {
                id,
                operator: MARKET,
                approved: true,
            },
        )
        .unwrap();
        id
    }

    pub fn set_spot(&self, asset: Address, units: i128) {
        self.set_spot_raw(asset, units * ONE);
    }

    pub fn set_spot_raw(&self, asset: Address, raw: i128) {
        self.host
            .handler()
            .oracle
            .borrow_mut()
            .set_price(asset, U256::from(raw as u128));
    }

    /// Fixes `asset`'s settlement price at `expiry` (units).
    pub fn fix(&self, asset: Address, expiry: u64, units: i128) {
        self.host
            .handler()
            .oracle
            .borrow_mut()
            .settlements
            .insert((asset, expiry), wad(units));
    }

    pub fn id(&self, underlying: Address, kind: u8, expiry: u64, strike: U256) -> U256 {
        self.call(
            ALICE,
            I::instrumentIdCall {
                underlying,
                kind,
                expiry,
                strike,
            },
        )
        .unwrap()
    }

    pub fn perp(&self, underlying: Address) -> U256 {
        self.id(underlying, PERP, 0, U256::ZERO)
    }

    /// A trade of `size` (signed wad raw) of `instrument` at `price` (wad raw), no fees.
    pub fn trade(
        &self,
        instrument: U256,
        taker: u64,
        maker: u64,
        size: i128,
        price: i128,
    ) -> I::Trade {
        I::Trade {
            instrument,
            taker: U256::from(taker),
            maker: U256::from(maker),
            size: iw(size),
            price: U256::from(price as u128),
            takerFee: U256::ZERO,
            makerFee: U256::ZERO,
        }
    }

    pub fn settle(&self, trade: I::Trade) -> Result<(), Vec<u8>> {
        self.exec(MARKET, I::settleTradeCall { trade })
    }

    pub fn cash(&self, id: u64) -> i128 {
        let c = self
            .call(ALICE, I::cashCall { id: U256::from(id) })
            .unwrap();
        i128::try_from(c).unwrap()
    }

    pub fn positions(&self, id: u64) -> Vec<I::Position> {
        self.call(ALICE, I::positionsCall { id: U256::from(id) })
            .unwrap()
    }

    /// Account `id`'s (size, basis) in `instrument`, raw wads (None: no position).
    pub fn position(&self, id: u64, instrument: U256) -> Option<(i128, i128)> {
        self.positions(id)
            .into_iter()
            .find(|p| p.instrument == instrument)
            .map(|p| {
                (
                    i128::try_from(p.size).unwrap(),
                    i128::try_from(p.basis).unwrap(),
                )
            })
    }

    pub fn insurance(&self) -> U256 {
        self.state().insurance.get()
    }

    /// The `requireMargin` requests since the last call, emptied.
    pub fn margin_requests(&self) -> Vec<(u64, bool)> {
        std::mem::take(&mut self.margin.borrow_mut().requests)
            .into_iter()
            .map(|(id, initial)| (id.to::<u64>(), initial))
            .collect()
    }

    /// Makes the stub margin module refuse `requireMargin(id, initial)` with `data`.
    pub fn refuse_margin(&self, id: u64, initial: bool, data: Vec<u8>) {
        self.margin
            .borrow_mut()
            .fails
            .insert((U256::from(id), initial), data);
    }

    /// The `margin(id)` reads since the last call, emptied.
    pub fn margin_reads(&self) -> Vec<u64> {
        std::mem::take(&mut self.margin.borrow_mut().reads)
            .into_iter()
            .map(|id| id.to::<u64>())
            .collect()
    }

    /// Queues the (IM surplus, mark-to-market) readings, raw wads, of account `id`'s next
    /// `margin(id)` answers.
    pub fn readings(&self, id: u64, readings: &[(i128, i128)]) {
        self.margin
            .borrow_mut()
            .readings
            .entry(U256::from(id))
            .or_default()
            .extend(readings.iter().copied());
    }

    pub fn allow_margin(&self) {
        self.margin.borrow_mut().fails.clear();
    }

    pub fn set_limits(&self, max_positions: u8, max_expiries: u8) {
        self.state().set_limits_word(max_positions, max_expiries);
    }
}

impl VaultHarness for Env {
    fn host(&self) -> &ChainHost {
        &self.host
    }
}

/// `a ⊗ b` as the contract rounds it (toward zero), computed independently in i256.
pub fn mul(a: i128, b: i128) -> i128 {
    let p = I256::try_from(a).unwrap() * I256::try_from(b).unwrap();
    i128::try_from(p / I256::try_from(ONE).unwrap()).unwrap()
}
