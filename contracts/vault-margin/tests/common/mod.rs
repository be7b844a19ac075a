//! Test harness: the vault core (`keel_vault::MarginVault`) deployed on a `ChainHost`, the
//! real margin module installed at [`MARGIN`] (core `setModule(0, …)`, reached by
//! delegatecall through the core's entry path), the simulated oracle adapter, depeg guard
//! and engines of `keel-vault-testing` configured in the core. What the trading module would
//! write (underlyings, positions) is written straight into the shared storage. Calls,
//! returns, errors and events are typed by `sol!` from `abi/IMarginVault.sol` (the plumbing
//! is `keel_vault_testing::env`'s [`VaultHarness`]).
//!
//! Expected margins are computed in the tests with keel-risk natively, from a
//! `MarginSnapshot` the test builds by hand from the same prices.
#![allow(dead_code)]

use alloy_primitives::{Address, I256, U256};
pub use alloy_sol_types::{SolCall, SolError, SolEvent};
use keel_risk::math::SviParams;
use keel_risk::model::account::{ExpiryMarket, RiskParams};
use keel_risk::model::snapshot::encode_params;
use keel_risk::Wad;
use keel_vault_margin::MarginModule;
#[allow(unused_imports)]
pub use keel_vault_state::instrument::{Instrument, CALL, PERP, PUT};
use keel_vault_state::positions::PositionRecord;
use keel_vault_state::UnderlyingInfo;
#[allow(unused_imports)]
pub use keel_vault_testing::iface::{Assessment, ExpiryData};
// Each test binary uses its own subset.
#[allow(unused_imports)]
pub use keel_vault_testing::env::{
    err, module, IMarginVault as I, VaultHarness, ADMIN, ALICE, BOB, GUARDIAN, ONE, OWNER, T0,
    USDC, WETH,
};
#[allow(unused_imports)]
pub use keel_vault_testing::{
    ChainHost, ExpirySim, Kind, TokenHost, CROSS_ENGINE, GUARD, ORACLE, PORTFOLIO_ENGINE,
};

/// Where the margin module is installed.
pub const MARGIN: Address = Address::repeat_byte(0x4d);
/// 18-decimal wrapped staked ether, linked to ETH and valued through the depeg guard.
pub const WSTETH: Address = Address::repeat_byte(0x57);
/// Underlyings (oracle-adapter keys).
pub const ETH: Address = Address::repeat_byte(0xee);
pub const BTC: Address = Address::repeat_byte(0xbb);

/// Option expiries 30 and 90 days after [`T0`].
pub const NEAR: u64 = T0 + 30 * 86_400;
pub const FAR: u64 = T0 + 90 * 86_400;

/// `x / 100` as a wad.
pub fn pct(x: i64) -> Wad {
    Wad::ratio(x, 100)
}

/// `units` as a wad.
pub fn w(units: i64) -> Wad {
    Wad::from_int(units)
}

/// A non-negative wad as `uint256`.
pub fn u(x: Wad) -> U256 {
    U256::from(x.raw() as u128)
}

/// A wad as `int256`.
pub fn i(x: Wad) -> I256 {
    I256::try_from(x.raw()).unwrap()
}

/// `int256` as a wad.
pub fn wad_of(x: I256) -> Wad {
    Wad::from_raw(i128::try_from(x).unwrap())
}

/// The listing parameters of the tests: haircuts `im`/`mm` (percent), generous caps.
pub fn listing(im: i64, mm: i64, underlying: Address, guarded: bool) -> I::CollateralParams {
    I::CollateralParams {
        imHaircut: u(pct(im)),
        mmHaircut: u(pct(mm)),
        assetCap: u(w(1_000_000_000)),
        accountCap: u(w(100_000_000)),
        riskCancellingUnderlying: underlying,
        depegGuarded: guarded,
    }
}

/// An SVI slice with a flat smile at `vol` (percent) over `tau` years: `a = vol²·τ`.
pub fn flat(vol: i64, forward: Wad, tau: Wad) -> SviParams {
    let v = pct(vol);
    SviParams {
        a: v.mul(v).unwrap().mul(tau).unwrap(),
        b: Wad::ZERO,
        rho: Wad::ZERO,
        m: Wad::ZERO,
        sigma: pct(10),
        forward,
        tau,
    }
}

/// The expiry market the module must build from `data` with `confidence`.
pub fn expiry_market(expiry: u64, forward: Wad, rate: Wad, svi: SviParams, c: Wad) -> ExpiryMarket {
    ExpiryMarket {
        expiry,
        forward,
        forward_fixed: Wad::ZERO,
        forward_confidence: c,
        rate,
        rate_confidence: c,
        svi,
        vol_confidence: c,
    }
}

#[derive(Clone)]
pub struct Env {
    pub host: ChainHost,
}

impl Env {
    /// The core deployed by `OWNER` (risk admin `ADMIN`, guardian `GUARDIAN`), the margin
    /// module installed, the simulated oracle, guard and engines configured; USDC (6
    /// decimals, price 1) listed at 0 %/0 % and made the settlement asset; WETH (price 2000,
    /// 10 %/5 %, linked to ETH) and WSTETH (guarded, rate 1.2, 20 %/10 %, linked to ETH)
    /// listed; ETH spot 2000, BTC spot 60000; time [`T0`]. No underlyings, no risk
    /// parameters, no accounts. Logs cleared.
    pub fn bare() -> Env {
        let host = ChainHost::new();
        host.set_block_timestamp(T0);
        let env = Env { host };
        env.deploy_with_roles();
        env.use_simulated_oracle_guard_and_engines();
        env.host
            .handler()
            .set_create_prefix(keel_vault_margin::DATA_INIT_PREFIX.to_vec());
        env.install_module(0, MARGIN, module::<MarginModule>());
        for (token, decimals) in [(USDC, 6u8), (WETH, 18), (WSTETH, 18)] {
            env.host.add_token(token, decimals, Kind::Standard);
            for user in [ALICE, BOB] {
                env.host.mint(token, user, U256::from(10u128.pow(40)));
            }
        }
        env.list(USDC, listing(0, 0, Address::ZERO, false));
        env.list(WETH, listing(10, 5, ETH, false));
        env.list(WSTETH, listing(20, 10, ETH, true));
        env.call(OWNER, I::setSettlementAssetCall { asset: USDC })
            .unwrap();
        env.set_spot(USDC, Wad::ONE);
        env.set_spot(WETH, w(2_000));
        env.set_spot(ETH, w(2_000));
        env.set_spot(BTC, w(60_000));
        env.host
            .handler()
            .guard
            .borrow_mut()
            .set_rate(WSTETH, u(pct(120)));
        env.clear_logs();
        env
    }

    /// [`Env::bare`] with Keel's default risk parameters widened to two SRM sets, ETH
    /// (index 0, stress vol 0.9) and BTC (index 1, stress vol 0.7) listed as underlyings,
    /// ALICE's account 1 in `mode`. Logs cleared.
    pub fn new(mode: u8) -> Env {
        let env = Env::bare();
        env.set_params(&params(2)).unwrap();
        env.list_underlying(ETH, pct(90));
        env.list_underlying(BTC, pct(70));
        assert_eq!(env.open(ALICE, mode), U256::from(1));
        env.clear_logs();
        env
    }

    pub fn list(&self, asset: Address, params: I::CollateralParams) {
        self.call(ADMIN, I::listCollateralCall { asset, params })
            .unwrap();
    }

    /// Stores `params` as the risk parameters (as the risk admin).
    pub fn set_params(&self, params: &RiskParams) -> Result<(), Vec<u8>> {
        self.call(
            ADMIN,
            I::setRiskParamsCall {
                params: encode_params(params).into(),
            },
        )
        .map(|_| ())
    }

    /// Lists `asset` as the next underlying, as the trading module would.
    pub fn list_underlying(&self, asset: Address, stress_vol: Wad) -> u8 {
        let mut s = self.state();
        let index = s.underlying_count() as u8;
        s.underlyings.push(asset);
        s.set_underlying_info(
            asset,
            &UnderlyingInfo {
                index,
                stress_vol,
                funding_updated: T0,
                ..UnderlyingInfo::default()
            },
        );
        index
    }

    /// Sets `asset`'s funding state.
    pub fn set_funding(&self, asset: Address, index: Wad, rate: Wad, updated: u64) {
        let mut s = self.state();
        let mut info = s.underlying_info(asset).unwrap();
        info.funding_index = index;
        info.funding_rate = rate;
        info.funding_updated = updated;
        s.set_underlying_info(asset, &info);
    }

    pub fn open(&self, owner: Address, mode: u8) -> U256 {
        self.call(owner, I::openAccountCall { mode }).unwrap()
    }

    /// Deposits `amount` token units of `asset` into account `id`, from its owner.
    pub fn deposit(&self, from: Address, id: u64, asset: Address, amount: U256) {
        self.call(
            from,
            I::depositCall {
                id: U256::from(id),
                asset,
                amount,
            },
        )
        .unwrap();
    }

    /// Writes a position of `size` (and `basis`) in `instrument` into account `id`.
    pub fn put_position(&self, id: u64, instrument: U256, size: Wad, basis: Wad) {
        self.state().write_position(
            U256::from(id),
            PositionRecord {
                instrument,
                size,
                basis,
            },
        );
    }

    /// Sets account `id`'s cash directly.
    pub fn set_cash(&self, id: u64, cash: Wad) {
        self.state().set_cash(U256::from(id), cash).unwrap();
    }

    pub fn set_spot(&self, asset: Address, price: Wad) {
        self.set_spot_confidence(asset, price, Wad::ONE);
    }

    pub fn set_spot_confidence(&self, asset: Address, price: Wad, confidence: Wad) {
        self.host
            .handler()
            .oracle
            .borrow_mut()
            .prices
            .insert(asset, (u(price), u(confidence), T0));
    }

    /// Pushes `(underlying, expiry)`'s data to the simulated adapter.
    pub fn set_expiry(&self, underlying: Address, e: &ExpiryMarket) {
        let data = ExpiryData {
            forward: u(e.forward),
            rate: i(e.rate),
            sviA: i(e.svi.a),
            sviB: i(e.svi.b),
            sviRho: i(e.svi.rho),
            sviM: i(e.svi.m),
            sviSigma: i(e.svi.sigma),
            sviForward: u(e.svi.forward),
            sviTau: u(e.svi.tau),
            confidence: u(e.vol_confidence),
            timestamp: T0,
        };
        self.host.handler().oracle.borrow_mut().expiries.insert(
            (underlying, e.expiry),
            ExpirySim {
                data,
                confidence: u(e.vol_confidence),
            },
        );
    }

    /// Fixes `asset`'s settlement price at `expiry`.
    pub fn fix(&self, asset: Address, expiry: u64, price: Wad) {
        self.host
            .handler()
            .oracle
            .borrow_mut()
            .settlements
            .insert((asset, expiry), u(price));
    }

    pub fn set_sequencer(&self, status: u8) {
        self.host.handler().oracle.borrow_mut().sequencer = status;
    }

    /// The guard's assessment of `asset`: `rate`, `status`, add-on.
    pub fn assess(&self, asset: Address, rate: Wad, status: u8, add_on: Wad) {
        let mut g = self.host.handler().guard.borrow_mut();
        g.set_rate(asset, u(rate));
        let a = g.assessments.get_mut(&asset).unwrap();
        a.status = status;
        a.haircutAddOn = u(add_on);
    }

    pub fn margin(&self, id: u64) -> Result<I::MarginState, Vec<u8>> {
        self.call(ALICE, I::marginCall { id: U256::from(id) })
    }

    pub fn snapshot(&self, id: u64, mode: u8) -> Result<Vec<u8>, Vec<u8>> {
        self.call(
            ALICE,
            I::snapshotCall {
                id: U256::from(id),
                mode,
            },
        )
        .map(|b| b.to_vec())
    }

    pub fn require(&self, id: u64, initial: bool) -> Result<(), Vec<u8>> {
        self.call(
            ALICE,
            I::requireMarginCall {
                id: U256::from(id),
                initial,
            },
        )
        .map(|_| ())
    }
}

impl VaultHarness for Env {
    fn host(&self) -> &ChainHost {
        &self.host
    }
}

/// Keel's default risk parameters with `sets` copies of its SRM set.
pub fn params(sets: usize) -> RiskParams {
    let mut p = RiskParams::keel_default();
    p.cross_markets = vec![p.cross_markets[0]; sets];
    p
}

/// The id of a perpetual on underlying `index`.
pub fn perp(index: u8) -> U256 {
    Instrument {
        underlying: index,
        kind: PERP,
        expiry: 0,
        strike: 0,
    }
    .id()
}

/// The id of an option on underlying `index`.
pub fn option(index: u8, kind: u8, expiry: u64, strike: Wad) -> U256 {
    Instrument {
        underlying: index,
        kind,
        expiry,
        strike: strike.raw() as u128,
    }
    .id()
}
