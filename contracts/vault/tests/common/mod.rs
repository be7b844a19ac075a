//! Test harness: the vault deployed on a `ChainHost` (a TestVM with simulated ERC20 tokens),
//! driven through the real on-chain path — `router_entrypoint` → `#[fallback]` → dispatcher —
//! with calldata, returns, errors and events typed by `sol!` **from `abi/IMarginVault.sol`
//! itself**, so every test also checks the interface file (that plumbing is
//! `keel_vault_testing::env`'s [`VaultHarness`]). The real margin module
//! (`keel-vault-margin`, which lists collateral and checks margin) is installed at
//! [`MARGIN`]; [`Env::with_margin`] also configures the simulated oracle adapter, depeg guard
//! and engines of `keel-vault-testing`.
#![allow(dead_code)]

pub mod whole;

use alloy_primitives::{Address, I256, U256};
pub use alloy_sol_types::{SolCall, SolError, SolEvent};
use keel_vault_margin::MarginModule;
// Each test binary uses its own subset.
use keel_vault_testing::env::T0;
#[allow(unused_imports)]
pub use keel_vault_testing::env::{
    err, margin_state, module, IMarginVault as I, VaultHarness, ADMIN, ALICE, BOB, CAROL, GUARDIAN,
    OWNER, USDC, WETH,
};
use keel_vault_testing::iface::ExpiryData;
pub use keel_vault_testing::{ChainHost, ExpirySim, Kind, TokenHost};

/// 24-decimal token.
pub const FINE: Address = Address::repeat_byte(0xf2);
pub const ETH_UNDERLYING: Address = Address::repeat_byte(0xee);
pub const ORACLE: Address = Address::repeat_byte(0x0e);
pub const GUARD: Address = Address::repeat_byte(0x6d);
pub const ENGINE: Address = Address::repeat_byte(0x7e);
pub const EOA: Address = Address::repeat_byte(0x55);
/// Where the margin module is installed.
pub const MARGIN: Address = Address::repeat_byte(0x4d);

pub fn wad(units: u128) -> U256 {
    U256::from(units) * U256::from(10u128.pow(18))
}

pub fn e(x: u128, decimals: u32) -> U256 {
    U256::from(x) * U256::from(10u128).pow(U256::from(decimals))
}

/// Generous default parameters: haircuts 10 % / 5 %, caps 1e6 / 1e5 units.
pub fn params() -> I::CollateralParams {
    I::CollateralParams {
        imHaircut: U256::from(100_000_000_000_000_000u128),
        mmHaircut: U256::from(50_000_000_000_000_000u128),
        assetCap: wad(1_000_000),
        accountCap: wad(100_000),
        riskCancellingUnderlying: Address::ZERO,
        depegGuarded: false,
    }
}

#[derive(Clone)]
pub struct Env {
    pub host: ChainHost,
}

impl Env {
    /// Nothing deployed.
    pub fn bare() -> Env {
        Env {
            host: ChainHost::new(),
        }
    }

    /// Deployed by `OWNER`, risk admin `ADMIN`, guardian `GUARDIAN`, the margin module
    /// installed; logs cleared.
    pub fn new() -> Env {
        let env = Env::bare();
        env.deploy_with_roles();
        env.host
            .handler()
            .set_create_prefix(keel_vault_margin::DATA_INIT_PREFIX.to_vec());
        env.install_module(0, MARGIN, module::<MarginModule>());
        env.clear_logs();
        env
    }

    /// [`Env::funded`] with margin: the simulated oracle adapter, depeg guard and engines of
    /// `keel-vault-testing` set in the vault (engines: cross for modes 0 and 1, portfolio for
    /// 2), USDC the settlement asset (price 1), WETH at 2000 and FINE at 1, Keel's default
    /// risk parameters. No underlyings. Logs cleared.
    pub fn with_margin() -> Env {
        let env = Env::funded();
        env.use_simulated_oracle_guard_and_engines();
        env.call(OWNER, I::setSettlementAssetCall { asset: USDC })
            .unwrap();
        for (asset, price) in [(USDC, 1), (WETH, 2_000), (FINE, 1)] {
            env.set_price(asset, wad(price));
        }
        let params = keel_risk::model::snapshot::encode_params(
            &keel_risk::model::account::RiskParams::keel_default(),
        );
        env.call(
            ADMIN,
            I::setRiskParamsCall {
                params: params.into(),
            },
        )
        .unwrap();
        env.clear_logs();
        env
    }

    /// Sets `asset`'s price (wad) in the simulated oracle adapter, confidence 1.
    pub fn set_price(&self, asset: Address, price: U256) {
        self.host
            .handler()
            .oracle
            .borrow_mut()
            .set_price(asset, price);
    }

    /// Pushes [`ETH_UNDERLYING`]'s data for `expiry` to the simulated adapter: forward `spot`,
    /// rate 0, SVI `a` 0.005, `b` 0.02, `ρ` −0.3, `m` 0, `σ` 0.1 over `expiry − T0`,
    /// confidence 1, stamped [`T0`].
    pub fn set_eth_expiry(&self, expiry: u64, spot: u128) {
        let w = |x: f64| I256::try_from((x * 1e18) as i128).unwrap();
        let tau = (expiry - T0) as f64 / (365.0 * 86_400.0);
        self.host.handler().oracle.borrow_mut().expiries.insert(
            (ETH_UNDERLYING, expiry),
            ExpirySim {
                data: ExpiryData {
                    forward: wad(spot),
                    rate: I256::ZERO,
                    sviA: w(0.005),
                    sviB: w(0.02),
                    sviRho: w(-0.3),
                    sviM: I256::ZERO,
                    sviSigma: w(0.1),
                    sviForward: wad(spot),
                    sviTau: U256::from((tau * 1e18) as u128),
                    confidence: wad(1),
                    timestamp: T0,
                },
                confidence: wad(1),
            },
        );
    }

    /// [`Env::new`] with USDC (6), WETH (18) and FINE (24 decimals) listed with [`params`],
    /// ALICE's account 1 (portfolio) open, and every user funded with 10⁶ of each token.
    pub fn funded() -> Env {
        let env = Env::new();
        for (token, decimals) in [(USDC, 6u8), (WETH, 18), (FINE, 24)] {
            env.host.add_token(token, decimals, Kind::Standard);
            for user in [ALICE, BOB, CAROL] {
                env.host.mint(token, user, e(1_000_000, decimals.into()));
            }
            env.call(
                ADMIN,
                I::listCollateralCall {
                    asset: token,
                    params: params(),
                },
            )
            .unwrap();
        }
        assert_eq!(env.open(ALICE, 2), U256::from(1));
        env.clear_logs();
        env
    }

    pub fn open(&self, owner: Address, mode: u8) -> U256 {
        self.call(owner, I::openAccountCall { mode }).unwrap()
    }

    pub fn deposit(
        &self,
        from: Address,
        id: u64,
        asset: Address,
        amount: U256,
    ) -> Result<(), Vec<u8>> {
        self.call(
            from,
            I::depositCall {
                id: U256::from(id),
                asset,
                amount,
            },
        )
        .map(|_| ())
    }

    pub fn withdraw(
        &self,
        from: Address,
        id: u64,
        asset: Address,
        amount: U256,
        to: Address,
    ) -> Result<(), Vec<u8>> {
        self.call(
            from,
            I::withdrawCall {
                id: U256::from(id),
                asset,
                amount,
                to,
            },
        )
        .map(|_| ())
    }

    pub fn balance(&self, id: u64, asset: Address) -> U256 {
        self.call(
            ALICE,
            I::collateralBalanceCall {
                id: U256::from(id),
                asset,
            },
        )
        .unwrap()
    }

    pub fn total(&self, asset: Address) -> U256 {
        self.call(ALICE, I::collateralCall { asset })
            .unwrap()
            .totalDeposits
    }

    pub fn assets(&self, id: u64) -> Vec<Address> {
        self.call(ALICE, I::accountAssetsCall { id: U256::from(id) })
            .unwrap()
    }
}

impl VaultHarness for Env {
    fn host(&self) -> &ChainHost {
        &self.host
    }
}
