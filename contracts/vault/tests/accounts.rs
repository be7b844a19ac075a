//! Accounts: opening in a mode, ownership, operators.
mod common;

use alloy_primitives::{Address, U256};
use common::*;

#[test]
fn accounts_get_sequential_ids_owners_and_modes() {
    let env = Env::new();
    assert_eq!(env.call(ALICE, I::accountCountCall {}).unwrap(), U256::ZERO);
    assert_eq!(env.open(ALICE, 0), U256::from(1));
    assert_eq!(env.open(BOB, 2), U256::from(2));
    assert_eq!(env.open(ALICE, 1), U256::from(3));
    assert_eq!(
        env.call(BOB, I::accountCountCall {}).unwrap(),
        U256::from(3)
    );
    for (id, owner, mode) in [(1u64, ALICE, 0u8), (2, BOB, 2), (3, ALICE, 1)] {
        let a = env
            .call(CAROL, I::accountCall { id: U256::from(id) })
            .unwrap();
        assert_eq!((a.accountOwner, a.mode), (owner, mode));
    }
    let none = env
        .call(CAROL, I::accountCall { id: U256::from(4) })
        .unwrap();
    assert_eq!((none.accountOwner, none.mode), (Address::ZERO, 0));
    assert_eq!(
        env.events::<I::AccountOpened>(),
        vec![
            I::AccountOpened {
                id: U256::from(1),
                owner: ALICE,
                mode: 0
            },
            I::AccountOpened {
                id: U256::from(2),
                owner: BOB,
                mode: 2
            },
            I::AccountOpened {
                id: U256::from(3),
                owner: ALICE,
                mode: 1
            },
        ]
    );
}

#[test]
fn an_invalid_mode_is_refused() {
    let env = Env::new();
    assert_eq!(
        env.fail(ALICE, I::openAccountCall { mode: 3 }),
        err(I::InvalidMode { mode: 3 })
    );
    assert_eq!(
        env.fail(ALICE, I::openAccountCall { mode: 255 }),
        err(I::InvalidMode { mode: 255 })
    );
    assert_eq!(env.call(ALICE, I::accountCountCall {}).unwrap(), U256::ZERO);
}

#[test]
fn opening_works_while_paused() {
    let env = Env::new();
    env.call(GUARDIAN, I::pauseCall {}).unwrap();
    assert_eq!(env.open(ALICE, 1), U256::from(1));
}

#[test]
fn only_the_account_owner_approves_operators() {
    let env = Env::new();
    let id = env.open(ALICE, 2);
    let set = |from, operator, approved| {
        env.call(
            from,
            I::setOperatorCall {
                id,
                operator,
                approved,
            },
        )
        .map(|_| ())
    };
    assert_eq!(
        set(BOB, BOB, true).unwrap_err(),
        err(I::NotAccountOwner { id, caller: BOB })
    );
    assert_eq!(
        set(ALICE, Address::ZERO, true).unwrap_err(),
        err(I::ZeroAddress {})
    );
    assert_eq!(
        env.fail(
            ALICE,
            I::setOperatorCall {
                id: U256::from(7),
                operator: BOB,
                approved: true
            }
        ),
        err(I::UnknownAccount { id: U256::from(7) })
    );
    assert!(!env
        .call(ALICE, I::isOperatorCall { id, operator: BOB })
        .unwrap());
    set(ALICE, BOB, true).unwrap();
    assert!(env
        .call(ALICE, I::isOperatorCall { id, operator: BOB })
        .unwrap());
    // Approval is per account: BOB is not an operator of another of ALICE's accounts.
    let other = env.open(ALICE, 2);
    assert!(!env
        .call(
            ALICE,
            I::isOperatorCall {
                id: other,
                operator: BOB
            }
        )
        .unwrap());
    // An operator cannot appoint operators.
    assert_eq!(
        set(BOB, CAROL, true).unwrap_err(),
        err(I::NotAccountOwner { id, caller: BOB })
    );
    set(ALICE, BOB, false).unwrap();
    assert!(!env
        .call(ALICE, I::isOperatorCall { id, operator: BOB })
        .unwrap());
    assert_eq!(
        env.events::<I::OperatorSet>(),
        vec![
            I::OperatorSet {
                id,
                operator: BOB,
                approved: true
            },
            I::OperatorSet {
                id,
                operator: BOB,
                approved: false
            },
        ]
    );
}
