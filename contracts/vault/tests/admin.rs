//! Roles, pause and the configuration of external contracts, through the real dispatcher.
mod common;

use alloy_primitives::{Address, U256};
use common::*;

#[test]
fn constructor_sets_the_owner_once() {
    let env = Env::bare();
    env.deploy(OWNER).unwrap();
    assert_eq!(env.call(ALICE, I::ownerCall {}).unwrap(), OWNER);
    let logs = env.events::<I::OwnershipTransferred>();
    assert_eq!(logs.len(), 1);
    assert_eq!(
        (logs[0].previousOwner, logs[0].newOwner),
        (Address::ZERO, OWNER)
    );
    // The constructor slot refuses a second run.
    assert!(env.deploy(ALICE).is_err());
    assert_eq!(env.call(ALICE, I::ownerCall {}).unwrap(), OWNER);
    let env = Env::bare();
    assert_eq!(
        env.deploy(Address::ZERO).unwrap_err(),
        err(I::ZeroAddress {})
    );
}

#[test]
fn ownership_moves_in_two_steps() {
    let env = Env::new();
    assert_eq!(
        env.fail(ALICE, I::transferOwnershipCall { newOwner: ALICE }),
        err(I::Unauthorized { caller: ALICE })
    );
    env.call(OWNER, I::transferOwnershipCall { newOwner: ALICE })
        .unwrap();
    assert_eq!(env.call(BOB, I::pendingOwnerCall {}).unwrap(), ALICE);
    assert_eq!(
        env.fail(BOB, I::acceptOwnershipCall {}),
        err(I::NotPendingOwner { caller: BOB })
    );
    env.call(ALICE, I::acceptOwnershipCall {}).unwrap();
    assert_eq!(env.call(BOB, I::ownerCall {}).unwrap(), ALICE);
    assert_eq!(env.events::<I::OwnershipTransferStarted>().len(), 1);
    // The old owner lost its powers.
    assert_eq!(
        env.fail(OWNER, I::setGuardianCall { guardian: BOB }),
        err(I::Unauthorized { caller: OWNER })
    );
}

#[test]
fn owner_sets_roles_with_events() {
    let env = Env::bare();
    env.deploy(OWNER).unwrap();
    for caller in [ALICE, ADMIN] {
        assert_eq!(
            env.fail(caller, I::setRiskAdminCall { riskAdmin: ADMIN }),
            err(I::Unauthorized { caller })
        );
        assert_eq!(
            env.fail(caller, I::setGuardianCall { guardian: GUARDIAN }),
            err(I::Unauthorized { caller })
        );
    }
    env.call(OWNER, I::setRiskAdminCall { riskAdmin: ADMIN })
        .unwrap();
    env.call(OWNER, I::setGuardianCall { guardian: GUARDIAN })
        .unwrap();
    assert_eq!(env.call(ALICE, I::riskAdminCall {}).unwrap(), ADMIN);
    assert_eq!(env.call(ALICE, I::guardianCall {}).unwrap(), GUARDIAN);
    assert_eq!(env.events::<I::RiskAdminSet>()[0].riskAdmin, ADMIN);
    assert_eq!(env.events::<I::GuardianSet>()[0].guardian, GUARDIAN);
    // Zero revokes a role.
    env.call(
        OWNER,
        I::setRiskAdminCall {
            riskAdmin: Address::ZERO,
        },
    )
    .unwrap();
    assert_eq!(env.call(ALICE, I::riskAdminCall {}).unwrap(), Address::ZERO);
}

#[test]
fn guardian_or_owner_pauses_only_owner_unpauses() {
    let env = Env::new();
    assert!(!env.call(ALICE, I::pausedCall {}).unwrap());
    for caller in [ALICE, ADMIN] {
        assert_eq!(
            env.fail(caller, I::pauseCall {}),
            err(I::Unauthorized { caller })
        );
    }
    assert_eq!(env.fail(OWNER, I::unpauseCall {}), err(I::ExpectedPause {}));
    env.call(GUARDIAN, I::pauseCall {}).unwrap();
    assert!(env.call(ALICE, I::pausedCall {}).unwrap());
    assert_eq!(env.fail(OWNER, I::pauseCall {}), err(I::EnforcedPause {}));
    assert_eq!(
        env.fail(GUARDIAN, I::unpauseCall {}),
        err(I::Unauthorized { caller: GUARDIAN })
    );
    env.call(OWNER, I::unpauseCall {}).unwrap();
    assert!(!env.call(ALICE, I::pausedCall {}).unwrap());
    env.call(OWNER, I::pauseCall {}).unwrap();
    assert_eq!(
        env.events::<I::Paused>(),
        vec![
            I::Paused { account: GUARDIAN },
            I::Paused { account: OWNER }
        ]
    );
    assert_eq!(
        env.events::<I::Unpaused>(),
        vec![I::Unpaused { account: OWNER }]
    );
    // A revoked guardian can no longer pause.
    env.call(OWNER, I::unpauseCall {}).unwrap();
    env.call(
        OWNER,
        I::setGuardianCall {
            guardian: Address::ZERO,
        },
    )
    .unwrap();
    assert_eq!(
        env.fail(GUARDIAN, I::pauseCall {}),
        err(I::Unauthorized { caller: GUARDIAN })
    );
}

#[test]
fn external_contracts_are_configured_by_the_owner_within_bounds() {
    let env = Env::new();
    for a in [ORACLE, GUARD, ENGINE] {
        env.host.set_code(a, vec![0xfe]);
    }
    assert_eq!(
        env.fail(
            ALICE,
            I::setOracleAdapterCall {
                oracleAdapter: ORACLE
            }
        ),
        err(I::Unauthorized { caller: ALICE })
    );
    assert_eq!(
        env.fail(
            OWNER,
            I::setOracleAdapterCall {
                oracleAdapter: Address::ZERO
            }
        ),
        err(I::ZeroAddress {})
    );
    assert_eq!(
        env.fail(OWNER, I::setDepegGuardCall { depegGuard: EOA }),
        err(I::NotAContract { account: EOA })
    );
    assert_eq!(
        env.fail(
            OWNER,
            I::setEngineCall {
                mode: 3,
                engine: ENGINE
            }
        ),
        err(I::InvalidMode { mode: 3 })
    );
    assert_eq!(
        env.fail(
            ADMIN,
            I::setEngineCall {
                mode: 0,
                engine: ENGINE
            }
        ),
        err(I::Unauthorized { caller: ADMIN })
    );
    env.call(
        OWNER,
        I::setOracleAdapterCall {
            oracleAdapter: ORACLE,
        },
    )
    .unwrap();
    env.call(OWNER, I::setDepegGuardCall { depegGuard: GUARD })
        .unwrap();
    env.call(
        OWNER,
        I::setEngineCall {
            mode: 2,
            engine: ENGINE,
        },
    )
    .unwrap();
    assert_eq!(env.call(ALICE, I::oracleAdapterCall {}).unwrap(), ORACLE);
    assert_eq!(env.call(ALICE, I::depegGuardCall {}).unwrap(), GUARD);
    assert_eq!(env.call(ALICE, I::engineCall { mode: 2 }).unwrap(), ENGINE);
    assert_eq!(
        env.call(ALICE, I::engineCall { mode: 0 }).unwrap(),
        Address::ZERO
    );
    assert_eq!(
        env.fail(ALICE, I::engineCall { mode: 9 }),
        err(I::InvalidMode { mode: 9 })
    );
    assert_eq!(
        env.events::<I::OracleAdapterSet>(),
        vec![I::OracleAdapterSet {
            oracleAdapter: ORACLE
        }]
    );
    assert_eq!(
        env.events::<I::DepegGuardSet>(),
        vec![I::DepegGuardSet { depegGuard: GUARD }]
    );
    assert_eq!(
        env.events::<I::EngineSet>(),
        vec![I::EngineSet {
            mode: 2,
            engine: ENGINE
        }]
    );
}

#[test]
fn undecodable_calls_revert_without_data() {
    let env = Env::new();
    // Unknown selector, short calldata, a mode word beyond uint8, a bool beyond 0/1.
    assert_eq!(
        env.raw(ALICE, vec![1, 2, 3, 4]).unwrap_err(),
        Vec::<u8>::new()
    );
    assert_eq!(env.raw(ALICE, vec![1, 2]).unwrap_err(), Vec::<u8>::new());
    let mut bad_mode = I::openAccountCall { mode: 0 }.abi_encode();
    bad_mode[4 + 30] = 1;
    assert_eq!(env.raw(ALICE, bad_mode).unwrap_err(), Vec::<u8>::new());
    let mut bad_bool = I::setOperatorCall {
        id: U256::from(1),
        operator: BOB,
        approved: true,
    }
    .abi_encode();
    bad_bool[4 + 64 + 31] = 2;
    assert_eq!(env.raw(ALICE, bad_bool).unwrap_err(), Vec::<u8>::new());
    let short = I::accountCall { id: U256::from(1) }.abi_encode();
    assert_eq!(
        env.raw(ALICE, short[..20].to_vec()).unwrap_err(),
        Vec::<u8>::new()
    );
}
