//! Test harness: the vault deployed on a `ChainHost` (a TestVM with simulated ERC20 tokens),
//! driven through the real on-chain path — `router_entrypoint` → `#[fallback]` → dispatcher —
//! with calldata, returns, errors and events typed by `sol!` **from `abi/IMarginVault.sol`
//! itself**, so every test also checks the interface file. The real margin module
//! (`keel-vault-margin`, which lists collateral and checks margin) is installed at
//! [`MARGIN`]; [`Env::with_margin`] also configures the simulated oracle adapter, depeg guard
//! and engines of `keel-vault-testing`.
#![allow(dead_code)]

use std::rc::Rc;

use alloy_primitives::{Address, U256};
pub use alloy_sol_types::{sol, SolCall, SolError, SolEvent};
use keel_vault::MarginVault;
use keel_vault_margin::MarginModule;
pub use keel_vault_testing::{ChainHost, Kind, TokenHost};
use stylus_sdk::abi::{router_entrypoint, CONSTRUCTOR_SELECTOR};
use stylus_sdk::host::VM;
use stylus_sdk::stylus_core::host::AccountAccess;

sol!(
    #[sol(all_derives)]
    "../../abi/IMarginVault.sol"
);
pub use IMarginVault as I;

pub const OWNER: Address = Address::repeat_byte(0x01);
pub const ADMIN: Address = Address::repeat_byte(0x02);
pub const GUARDIAN: Address = Address::repeat_byte(0x03);
pub const ALICE: Address = Address::repeat_byte(0x0a);
pub const BOB: Address = Address::repeat_byte(0x0b);
pub const CAROL: Address = Address::repeat_byte(0x0c);
/// 6-decimal stablecoin.
pub const USDC: Address = Address::repeat_byte(0xc6);
/// 18-decimal token.
pub const WETH: Address = Address::repeat_byte(0xe1);
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
        env.deploy(OWNER).unwrap();
        env.call(OWNER, I::setRiskAdminCall { riskAdmin: ADMIN })
            .unwrap();
        env.call(OWNER, I::setGuardianCall { guardian: GUARDIAN })
            .unwrap();
        env.host.handler().install(
            MARGIN,
            Rc::new(|host: &ChainHost, calldata: &[u8]| {
                router_entrypoint::<MarginModule, MarginModule>(
                    calldata.to_vec(),
                    VM {
                        host: Box::new(host.clone()),
                    },
                )
            }),
        );
        env.host
            .handler()
            .set_create_prefix(keel_vault_margin::DATA_INIT_PREFIX.to_vec());
        env.call(
            OWNER,
            I::setModuleCall {
                kind: 0,
                module: MARGIN,
            },
        )
        .unwrap();
        env.host.vm().clear_mocks();
        env
    }

    /// [`Env::funded`] with margin: the simulated oracle adapter, depeg guard and engines of
    /// `keel-vault-testing` set in the vault (engines: cross for modes 0 and 1, portfolio for
    /// 2), USDC the settlement asset (price 1), WETH at 2000 and FINE at 1, Keel's default
    /// risk parameters. No underlyings. Logs cleared.
    pub fn with_margin() -> Env {
        use keel_vault_testing::{CROSS_ENGINE, GUARD, ORACLE, PORTFOLIO_ENGINE};
        let env = Env::funded();
        env.call(
            OWNER,
            I::setOracleAdapterCall {
                oracleAdapter: ORACLE,
            },
        )
        .unwrap();
        env.call(OWNER, I::setDepegGuardCall { depegGuard: GUARD })
            .unwrap();
        for (mode, engine) in [(0, CROSS_ENGINE), (1, CROSS_ENGINE), (2, PORTFOLIO_ENGINE)] {
            env.call(OWNER, I::setEngineCall { mode, engine }).unwrap();
        }
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
        env.host.vm().clear_mocks();
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
        env.host.vm().clear_mocks();
        env
    }

    pub fn deploy(&self, owner: Address) -> Result<Vec<u8>, Vec<u8>> {
        let mut calldata = CONSTRUCTOR_SELECTOR.to_be_bytes().to_vec();
        calldata.extend_from_slice(owner.into_word().as_slice());
        self.raw(owner, calldata)
    }

    pub fn raw(&self, from: Address, calldata: Vec<u8>) -> Result<Vec<u8>, Vec<u8>> {
        self.host.set_sender(from);
        router_entrypoint::<MarginVault, MarginVault>(
            calldata,
            VM {
                host: Box::new(self.host.clone()),
            },
        )
    }

    pub fn call<C: SolCall>(&self, from: Address, call: C) -> Result<C::Return, Vec<u8>> {
        self.raw(from, call.abi_encode())
            .map(|out| C::abi_decode_returns_validate(&out).expect("the return decodes"))
    }

    /// The revert data of a call that must fail.
    pub fn fail<C: SolCall>(&self, from: Address, call: C) -> Vec<u8> {
        match self.raw(from, call.abi_encode()) {
            Ok(_) => panic!("{} succeeded", C::SIGNATURE),
            Err(data) => data,
        }
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

    pub fn vault(&self) -> Address {
        self.host.vm().contract_address()
    }

    /// The events emitted so far, decoded as `E` (others skipped).
    pub fn events<E: SolEvent>(&self) -> Vec<E> {
        self.host
            .get_emitted_logs()
            .into_iter()
            .filter(|(topics, _)| topics.first() == Some(&E::SIGNATURE_HASH))
            .map(|(topics, data)| {
                E::decode_raw_log_validate(topics, &data).expect("the event decodes")
            })
            .collect()
    }
}

/// Revert data of error `e`.
pub fn err<E: SolError>(e: E) -> Vec<u8> {
    e.abi_encode()
}
