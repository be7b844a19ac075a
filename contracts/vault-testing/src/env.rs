//! The plumbing every vault crate's test harness shares: the `IMarginVault` interface typed by
//! `sol!` **from `abi/IMarginVault.sol` itself** (so every test also checks the interface
//! file), the actors and assets the harnesses name alike, and [`VaultHarness`] — deploying the
//! vault core (`keel_vault::MarginVault`) on a [`ChainHost`], installing modules, and driving
//! the core through its real entry path (`router_entrypoint` → `#[fallback]` → dispatcher)
//! with raw or typed calls, typed failures and decoded events.
//!
//! What each harness builds on top — which modules are real and which are stubs, listings,
//! prices, accounts — stays in that crate's `tests/common`.

use std::borrow::BorrowMut;
use std::rc::Rc;

use alloy_primitives::{Address, I256, U256};
use alloy_sol_types::{sol, SolCall, SolError, SolEvent};
use keel_risk::model::portfolio::WorstCase;
use keel_risk::model::snapshot::MarginOutcome;
use keel_stylus_common::testing::CallResult;
use keel_vault::MarginVault;
use keel_vault_state::VaultState;
use stylus_sdk::abi::{router_entrypoint, Router, CONSTRUCTOR_SELECTOR};
use stylus_sdk::host::VM;
use stylus_sdk::storage::StorageType;
use stylus_sdk::stylus_core::host::AccountAccess;
use stylus_sdk::stylus_core::storage::TopLevelStorage;
use stylus_sdk::stylus_core::ValueDenier;

use crate::{ChainHost, ModuleFn, CROSS_ENGINE, GUARD, ORACLE, PORTFOLIO_ENGINE};

sol!(
    #[sol(all_derives)]
    "../../abi/IMarginVault.sol"
);

/// Deploys the vault and holds its roles.
pub const OWNER: Address = Address::repeat_byte(0x01);
/// The risk admin.
pub const ADMIN: Address = Address::repeat_byte(0x02);
/// The guardian (pauses).
pub const GUARDIAN: Address = Address::repeat_byte(0x03);
pub const ALICE: Address = Address::repeat_byte(0x0a);
pub const BOB: Address = Address::repeat_byte(0x0b);
pub const CAROL: Address = Address::repeat_byte(0x0c);
/// A 6-decimal stablecoin, the settlement asset where one is set.
pub const USDC: Address = Address::repeat_byte(0xc6);
/// An 18-decimal collateral token.
pub const WETH: Address = Address::repeat_byte(0xe1);
/// The start time of the tests that set a clock.
pub const T0: u64 = 1_700_000_000;
/// One, as a raw wad.
pub const ONE: i128 = 1_000_000_000_000_000_000;

/// Revert data of error `e`.
pub fn err<E: SolError>(e: E) -> Vec<u8> {
    e.abi_encode()
}

/// The `MarginState` the vault reports for keel-risk's outcome `o` in `mode`, with `own`'s
/// account fields (cash, unrealised P&L, position count).
pub fn margin_state(
    mode: u8,
    o: &MarginOutcome,
    own: &IMarginVault::MarginState,
) -> IMarginVault::MarginState {
    let int = |raw: i128| I256::try_from(raw).unwrap();
    let (im, mm, mtm) = (o.im.raw(), o.mm.raw(), o.mtm.raw());
    IMarginVault::MarginState {
        mode,
        initialMargin: int(im),
        maintenanceMargin: int(mm),
        markToMarket: int(mtm),
        initialRequirement: int(mtm - im),
        maintenanceRequirement: int(mtm - mm),
        worstScenario: match o.worst {
            Some(WorstCase::Scenario(k)) => U256::from(k),
            _ => U256::MAX,
        },
        cash: own.cash,
        unrealisedPnl: own.unrealisedPnl,
        positionCount: own.positionCount,
    }
}

/// The dispatcher of module contract `M`, run on the host it is delegatecalled on.
pub fn module<M>() -> ModuleFn
where
    M: Router<M> + StorageType + TopLevelStorage + BorrowMut<M::Storage> + ValueDenier,
{
    Rc::new(|host: &ChainHost, calldata: &[u8]| -> CallResult {
        router_entrypoint::<M, M>(
            calldata.to_vec(),
            VM {
                host: Box::new(host.clone()),
            },
        )
    })
}

/// A test environment holding the vault core on [`VaultHarness::host`]: everything below is
/// provided once an environment says where its host is.
pub trait VaultHarness {
    /// The chain the vault is deployed on.
    fn host(&self) -> &ChainHost;

    /// Runs the core's constructor with `owner`, sent by `owner`.
    fn deploy(&self, owner: Address) -> Result<Vec<u8>, Vec<u8>> {
        let mut calldata = CONSTRUCTOR_SELECTOR.to_be_bytes().to_vec();
        calldata.extend_from_slice(owner.into_word().as_slice());
        self.raw(owner, calldata)
    }

    /// Deploys the core by [`OWNER`], with risk admin [`ADMIN`] and guardian [`GUARDIAN`].
    fn deploy_with_roles(&self) {
        self.deploy(OWNER).unwrap();
        self.call(OWNER, IMarginVault::setRiskAdminCall { riskAdmin: ADMIN })
            .unwrap();
        self.call(OWNER, IMarginVault::setGuardianCall { guardian: GUARDIAN })
            .unwrap();
    }

    /// Points the core (as [`OWNER`]) at the simulated oracle adapter and depeg guard, and at
    /// the simulated engines: cross for modes 0 and 1, portfolio for mode 2.
    fn use_simulated_oracle_guard_and_engines(&self) {
        self.call(
            OWNER,
            IMarginVault::setOracleAdapterCall {
                oracleAdapter: ORACLE,
            },
        )
        .unwrap();
        self.call(OWNER, IMarginVault::setDepegGuardCall { depegGuard: GUARD })
            .unwrap();
        for (mode, engine) in [(0, CROSS_ENGINE), (1, CROSS_ENGINE), (2, PORTFOLIO_ENGINE)] {
            self.call(OWNER, IMarginVault::setEngineCall { mode, engine })
                .unwrap();
        }
    }

    /// Installs `dispatcher` at `address` and makes it the core's module of `kind` (as
    /// [`OWNER`]).
    fn install_module(&self, kind: u8, address: Address, dispatcher: ModuleFn) {
        self.host().handler().install(address, dispatcher);
        self.call(
            OWNER,
            IMarginVault::setModuleCall {
                kind,
                module: address,
            },
        )
        .unwrap();
    }

    /// Gives `market` code and authorises it (as [`OWNER`]).
    fn authorise_market(&self, market: Address) {
        self.host().vm().set_code(market, vec![0xfe]);
        self.call(
            OWNER,
            IMarginVault::setMarketCall {
                market,
                authorised: true,
            },
        )
        .unwrap();
    }

    /// Sends `calldata` from `from` to the core.
    fn raw(&self, from: Address, calldata: Vec<u8>) -> Result<Vec<u8>, Vec<u8>> {
        let host = self.host();
        host.set_sender(from);
        // A reverted call leaves no storage write, log or token movement behind, as on a
        // chain (the host journals each frame).
        host.journaled(|| {
            router_entrypoint::<MarginVault, MarginVault>(
                calldata,
                VM {
                    host: Box::new(host.clone()),
                },
            )
        })
    }

    /// A typed call: its decoded return, or the revert data.
    fn call<C: SolCall>(&self, from: Address, call: C) -> Result<C::Return, Vec<u8>> {
        self.raw(from, call.abi_encode())
            .map(|out| C::abi_decode_returns_validate(&out).expect("the return decodes"))
    }

    /// A call whose return is not needed.
    fn exec<C: SolCall>(&self, from: Address, call: C) -> Result<(), Vec<u8>> {
        self.raw(from, call.abi_encode()).map(|_| ())
    }

    /// The revert data of a call that must fail.
    fn fail<C: SolCall>(&self, from: Address, call: C) -> Vec<u8> {
        match self.raw(from, call.abi_encode()) {
            Ok(_) => panic!("{} succeeded", C::SIGNATURE),
            Err(data) => data,
        }
    }

    /// The events emitted so far, decoded as `E` (others skipped).
    fn events<E: SolEvent>(&self) -> Vec<E> {
        self.host()
            .get_emitted_logs()
            .into_iter()
            .filter(|(topics, _)| topics.first() == Some(&E::SIGNATURE_HASH))
            .map(|(topics, data)| {
                E::decode_raw_log_validate(topics, &data).expect("the event decodes")
            })
            .collect()
    }

    /// Forgets the events emitted so far.
    fn clear_logs(&self) {
        self.host().clear_logs();
    }

    /// The vault's storage, read and written directly.
    fn state(&self) -> VaultState {
        VaultState::from(self.host())
    }

    /// The core's address.
    fn vault(&self) -> Address {
        self.host().vm().contract_address()
    }

    /// Sets the block timestamp.
    fn warp(&self, to: u64) {
        self.host().set_block_timestamp(to);
    }
}
