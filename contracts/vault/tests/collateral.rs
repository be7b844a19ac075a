//! Collateral: listing by the risk admin, deposits (balance difference, caps, odd tokens,
//! pause), withdrawals (authorisation, pause, rounding) and the reentrancy lock.
mod common;

use std::cell::RefCell;
use std::rc::Rc;

use alloy_primitives::{Address, U256};
use common::*;

const ID: u64 = 1;
fn id() -> U256 {
    U256::from(ID)
}

// ---- listing -----------------------------------------------------------------------------

#[test]
fn the_risk_admin_lists_collateral_with_decimals_read_from_the_token() {
    let env = Env::new();
    env.host.add_token(USDC, 6, Kind::Standard);
    let mut p = params();
    p.riskCancellingUnderlying = ETH_UNDERLYING;
    p.depegGuarded = true;
    for caller in [OWNER, ALICE] {
        assert_eq!(
            env.fail(
                caller,
                I::listCollateralCall {
                    asset: USDC,
                    params: p.clone()
                }
            ),
            err(I::Unauthorized { caller })
        );
    }
    let before = env.call(ALICE, I::collateralCall { asset: USDC }).unwrap();
    assert!(!before.listed);
    env.call(
        ADMIN,
        I::listCollateralCall {
            asset: USDC,
            params: p.clone(),
        },
    )
    .unwrap();
    let c = env.call(ALICE, I::collateralCall { asset: USDC }).unwrap();
    assert!(c.listed);
    assert_eq!(c.decimals, 6);
    assert_eq!(c.params, p);
    assert_eq!(c.totalDeposits, U256::ZERO);
    assert_eq!(
        env.events::<I::CollateralListed>(),
        vec![I::CollateralListed {
            asset: USDC,
            decimals: 6,
            params: p.clone()
        }]
    );
    // Relisting changes the parameters and keeps the decimals read at the first listing,
    // even if the token's `decimals()` no longer answers sanely.
    env.host.set_kind(USDC, Kind::BadDecimals);
    let mut q = params();
    q.accountCap = wad(5);
    env.call(
        ADMIN,
        I::listCollateralCall {
            asset: USDC,
            params: q.clone(),
        },
    )
    .unwrap();
    let c = env.call(ALICE, I::collateralCall { asset: USDC }).unwrap();
    assert_eq!((c.params, c.decimals), (q, 6));
}

#[test]
fn listing_parameters_are_bounded() {
    let env = Env::new();
    env.host.add_token(WETH, 18, Kind::Standard);
    let list = |p: I::CollateralParams| {
        env.fail(
            ADMIN,
            I::listCollateralCall {
                asset: WETH,
                params: p,
            },
        )
    };
    let haircuts = |im: u128, mm: u128| {
        let mut p = params();
        p.imHaircut = U256::from(im);
        p.mmHaircut = U256::from(mm);
        p
    };
    let bad = |im: u128, mm: u128| {
        err(I::InvalidHaircuts {
            imHaircut: U256::from(im),
            mmHaircut: U256::from(mm),
        })
    };
    // MM above IM, IM above 0.95.
    assert_eq!(list(haircuts(1, 2)), bad(1, 2));
    let max = 950_000_000_000_000_000u128;
    assert_eq!(list(haircuts(max + 1, 0)), bad(max + 1, 0));
    // A haircut beyond 128 bits is refused with the same error (saturated in the report).
    let mut huge = params();
    huge.imHaircut = U256::MAX;
    assert_eq!(list(huge), bad(u128::MAX, 50_000_000_000_000_000));
    let caps = |asset: U256, account: U256| {
        let mut p = params();
        p.assetCap = asset;
        p.accountCap = account;
        p
    };
    let bad_caps = |asset: U256, account: U256| {
        err(I::InvalidCaps {
            assetCap: asset,
            accountCap: account,
        })
    };
    assert_eq!(list(caps(wad(1), U256::ZERO)), bad_caps(wad(1), U256::ZERO));
    assert_eq!(list(caps(wad(1), wad(2))), bad_caps(wad(1), wad(2)));
    let max_cap = e(1, 38);
    assert_eq!(
        list(caps(max_cap + U256::from(1), wad(1))),
        bad_caps(max_cap + U256::from(1), wad(1))
    );
    // The bounds themselves are accepted.
    env.call(
        ADMIN,
        I::listCollateralCall {
            asset: WETH,
            params: haircuts(max, max),
        },
    )
    .unwrap();
    env.call(
        ADMIN,
        I::listCollateralCall {
            asset: WETH,
            params: caps(max_cap, max_cap),
        },
    )
    .unwrap();
    env.call(
        ADMIN,
        I::listCollateralCall {
            asset: WETH,
            params: haircuts(0, 0),
        },
    )
    .unwrap();
}

#[test]
fn only_tokens_with_code_and_sane_decimals_are_listed() {
    let env = Env::new();
    let list = |asset| {
        env.fail(
            ADMIN,
            I::listCollateralCall {
                asset,
                params: params(),
            },
        )
    };
    assert_eq!(list(Address::ZERO), err(I::ZeroAddress {}));
    assert_eq!(list(EOA), err(I::NotAContract { account: EOA }));
    let t37 = Address::repeat_byte(0x37);
    env.host.add_token(t37, 37, Kind::Standard);
    assert_eq!(list(t37), err(I::UnsupportedDecimals { decimals: 37 }));
    let odd = Address::repeat_byte(0x38);
    env.host.add_token(odd, 18, Kind::BadDecimals);
    assert_eq!(list(odd), err(I::TokenBadReturn { token: odd }));
    // Code that does not answer decimals() (empty return).
    env.host.set_code(ENGINE, vec![0xfe]);
    assert_eq!(list(ENGINE), err(I::TokenBadReturn { token: ENGINE }));
    let t36 = Address::repeat_byte(0x36);
    env.host.add_token(t36, 36, Kind::Standard);
    env.call(
        ADMIN,
        I::listCollateralCall {
            asset: t36,
            params: params(),
        },
    )
    .unwrap();
}

// ---- deposits -----------------------------------------------------------------------------

#[test]
fn a_deposit_credits_18_decimals_and_moves_the_tokens() {
    let env = Env::funded();
    env.deposit(ALICE, ID, USDC, e(1_500, 6)).unwrap();
    assert_eq!(env.balance(ID, USDC), wad(1_500));
    assert_eq!(env.total(USDC), wad(1_500));
    assert_eq!(env.host.balance(USDC, env.vault()), e(1_500, 6));
    assert_eq!(env.host.balance(USDC, ALICE), e(1_000_000 - 1_500, 6));
    assert_eq!(env.assets(ID), vec![USDC]);
    assert_eq!(
        env.events::<I::Deposited>(),
        vec![I::Deposited {
            id: id(),
            asset: USDC,
            from: ALICE,
            received: e(1_500, 6),
            credited: wad(1_500)
        }]
    );
    // Anyone may deposit into any account; a second asset joins the list once.
    env.deposit(BOB, ID, WETH, wad(2)).unwrap();
    env.deposit(CAROL, ID, WETH, wad(3)).unwrap();
    assert_eq!(env.balance(ID, WETH), wad(5));
    assert_eq!(env.assets(ID), vec![USDC, WETH]);
    assert_eq!(env.host.balance(WETH, BOB), e(1_000_000, 18) - wad(2));
}

#[test]
fn deposits_are_refused_for_unknown_accounts_assets_and_zero() {
    let env = Env::funded();
    let dai = Address::repeat_byte(0xda);
    env.host.add_token(dai, 18, Kind::Standard);
    assert_eq!(
        env.deposit(ALICE, 2, USDC, e(1, 6)).unwrap_err(),
        err(I::UnknownAccount { id: U256::from(2) })
    );
    assert_eq!(
        env.deposit(ALICE, ID, dai, wad(1)).unwrap_err(),
        err(I::AssetNotListed { asset: dai })
    );
    assert_eq!(
        env.deposit(ALICE, ID, USDC, U256::ZERO).unwrap_err(),
        err(I::ZeroAmount {})
    );
    // More than the depositor holds: the token reverts.
    assert_eq!(
        env.deposit(ALICE, ID, USDC, e(2_000_000, 6)).unwrap_err(),
        err(I::TokenCallFailed { token: USDC })
    );
    assert!(env.events::<I::Deposited>().is_empty());
}

#[test]
fn deposits_stay_open_while_paused() {
    let env = Env::funded();
    env.call(GUARDIAN, I::pauseCall {}).unwrap();
    env.deposit(ALICE, ID, USDC, e(10, 6)).unwrap();
    assert_eq!(env.balance(ID, USDC), wad(10));
}

#[test]
fn fee_on_transfer_tokens_are_credited_what_arrived() {
    let env = Env::funded();
    env.host.set_kind(WETH, Kind::Fee(100)); // 1 %
    env.deposit(ALICE, ID, WETH, wad(10)).unwrap();
    let arrived = wad(10) - wad(10) / U256::from(100);
    assert_eq!(env.host.balance(WETH, env.vault()), arrived);
    assert_eq!(env.balance(ID, WETH), arrived);
    assert_eq!(env.total(WETH), arrived);
    let ev = &env.events::<I::Deposited>()[0];
    assert_eq!((ev.received, ev.credited), (arrived, arrived));
    // A 100 % fee credits nothing: refused.
    env.host.set_kind(WETH, Kind::Fee(10_000));
    assert_eq!(
        env.deposit(ALICE, ID, WETH, wad(1)).unwrap_err(),
        err(I::ZeroAmount {})
    );
}

#[test]
fn tokens_returning_nothing_work_and_false_or_reverts_are_refused() {
    let env = Env::funded();
    env.host.set_kind(USDC, Kind::NoReturn);
    env.deposit(ALICE, ID, USDC, e(100, 6)).unwrap();
    env.withdraw(ALICE, ID, USDC, e(40, 6), BOB).unwrap();
    assert_eq!(env.host.balance(USDC, BOB), e(1_000_040, 6));
    assert_eq!(env.balance(ID, USDC), wad(60));
    env.host.set_kind(USDC, Kind::ReturnsFalse);
    assert_eq!(
        env.deposit(ALICE, ID, USDC, e(1, 6)).unwrap_err(),
        err(I::TokenBadReturn { token: USDC })
    );
    assert_eq!(
        env.withdraw(ALICE, ID, USDC, e(1, 6), ALICE).unwrap_err(),
        err(I::TokenBadReturn { token: USDC })
    );
    let env = Env::funded();
    env.host.set_kind(WETH, Kind::Reverts);
    assert_eq!(
        env.deposit(ALICE, ID, WETH, wad(1)).unwrap_err(),
        err(I::TokenCallFailed { token: WETH })
    );
    // The lock was released on the failure paths: a working token deposits again.
    env.host.set_kind(WETH, Kind::Standard);
    env.deposit(ALICE, ID, WETH, wad(1)).unwrap();
    assert_eq!(env.balance(ID, WETH), wad(1));
    env.host.set_kind(WETH, Kind::Reverts);
    assert_eq!(
        env.withdraw(ALICE, ID, WETH, wad(1), ALICE).unwrap_err(),
        err(I::TokenCallFailed { token: WETH })
    );
}

#[test]
fn caps_per_asset_and_per_account_are_enforced() {
    let env = Env::funded();
    let mut p = params();
    p.assetCap = wad(150);
    p.accountCap = wad(100);
    env.call(
        ADMIN,
        I::listCollateralCall {
            asset: USDC,
            params: p,
        },
    )
    .unwrap();
    env.deposit(ALICE, ID, USDC, e(100, 6)).unwrap();
    assert_eq!(
        env.deposit(ALICE, ID, USDC, e(1, 6) / U256::from(1_000_000))
            .unwrap_err(),
        err(I::AccountCapExceeded {
            id: id(),
            asset: USDC,
            balance: wad(100) + U256::from(10u64.pow(12)),
            cap: wad(100)
        })
    );
    let bob = env.open(BOB, 1);
    env.deposit(BOB, 2, USDC, e(50, 6)).unwrap();
    assert_eq!(
        env.deposit(BOB, 2, USDC, U256::from(1)).unwrap_err(),
        err(I::AssetCapExceeded {
            asset: USDC,
            total: wad(150) + U256::from(10u64.pow(12)),
            cap: wad(150)
        })
    );
    // Withdrawing frees cap for everyone.
    env.withdraw(ALICE, ID, USDC, e(10, 6), ALICE).unwrap();
    env.deposit(BOB, 2, USDC, e(10, 6)).unwrap();
    assert_eq!(env.balance(2, USDC), wad(60));
    assert_eq!(env.total(USDC), wad(150));
    assert_eq!(bob, U256::from(2));
}

#[test]
fn an_account_holds_at_most_16_assets() {
    let env = Env::funded();
    let tokens: Vec<Address> = (0..17u8).map(|i| Address::repeat_byte(0x80 + i)).collect();
    for &t in &tokens {
        env.host.add_token(t, 18, Kind::Standard);
        env.host.mint(t, ALICE, wad(10));
        env.call(
            ADMIN,
            I::listCollateralCall {
                asset: t,
                params: params(),
            },
        )
        .unwrap();
    }
    for &t in &tokens[..16] {
        env.deposit(ALICE, ID, t, wad(1)).unwrap();
    }
    assert_eq!(env.assets(ID).len(), 16);
    let calls = env.host.token_calls().len();
    assert_eq!(
        env.deposit(ALICE, ID, tokens[16], wad(1)).unwrap_err(),
        err(I::TooManyAssets { id: id() })
    );
    // Refused before any token call.
    assert_eq!(env.host.token_calls().len(), calls);
    // More of a held asset is fine; emptying one makes room (swap-remove keeps the rest).
    env.deposit(ALICE, ID, tokens[3], wad(1)).unwrap();
    env.withdraw(ALICE, ID, tokens[3], wad(2), ALICE).unwrap();
    let held = env.assets(ID);
    assert_eq!(held.len(), 15);
    assert!(!held.contains(&tokens[3]));
    assert_eq!(held[3], tokens[15]);
    env.deposit(ALICE, ID, tokens[16], wad(1)).unwrap();
    assert_eq!(env.assets(ID).len(), 16);
}

// ---- withdrawals --------------------------------------------------------------------------

#[test]
fn the_owner_or_an_operator_withdraws_to_any_address() {
    let env = Env::funded();
    env.deposit(ALICE, ID, WETH, wad(10)).unwrap();
    assert_eq!(
        env.withdraw(BOB, ID, WETH, wad(1), BOB).unwrap_err(),
        err(I::NotAccountOperator {
            id: id(),
            caller: BOB
        })
    );
    env.call(
        ALICE,
        I::setOperatorCall {
            id: id(),
            operator: BOB,
            approved: true,
        },
    )
    .unwrap();
    env.withdraw(BOB, ID, WETH, wad(1), CAROL).unwrap();
    env.withdraw(ALICE, ID, WETH, wad(2), ALICE).unwrap();
    assert_eq!(env.host.balance(WETH, CAROL), e(1_000_000, 18) + wad(1));
    assert_eq!(env.balance(ID, WETH), wad(7));
    assert_eq!(env.total(WETH), wad(7));
    assert_eq!(env.host.balance(WETH, env.vault()), wad(7));
    assert_eq!(
        env.events::<I::Withdrawn>(),
        vec![
            I::Withdrawn {
                id: id(),
                asset: WETH,
                to: CAROL,
                amount: wad(1),
                debited: wad(1)
            },
            I::Withdrawn {
                id: id(),
                asset: WETH,
                to: ALICE,
                amount: wad(2),
                debited: wad(2)
            },
        ]
    );
    // Revoked: refused again.
    env.call(
        ALICE,
        I::setOperatorCall {
            id: id(),
            operator: BOB,
            approved: false,
        },
    )
    .unwrap();
    assert_eq!(
        env.withdraw(BOB, ID, WETH, wad(1), BOB).unwrap_err(),
        err(I::NotAccountOperator {
            id: id(),
            caller: BOB
        })
    );
}

#[test]
fn withdrawals_are_checked() {
    let env = Env::funded();
    env.deposit(ALICE, ID, USDC, e(5, 6)).unwrap();
    assert_eq!(
        env.withdraw(ALICE, ID, USDC, e(1, 6), Address::ZERO)
            .unwrap_err(),
        err(I::ZeroAddress {})
    );
    assert_eq!(
        env.withdraw(ALICE, ID, USDC, U256::ZERO, ALICE)
            .unwrap_err(),
        err(I::ZeroAmount {})
    );
    assert_eq!(
        env.withdraw(ALICE, 9, USDC, e(1, 6), ALICE).unwrap_err(),
        err(I::UnknownAccount { id: U256::from(9) })
    );
    assert_eq!(
        env.withdraw(ALICE, ID, USDC, e(5, 6) + U256::from(1), ALICE)
            .unwrap_err(),
        err(I::InsufficientBalance {
            id: id(),
            asset: USDC,
            balance: wad(5),
            requested: wad(5) + U256::from(10u64.pow(12))
        })
    );
    // An amount whose 18-decimal debit overflows.
    assert_eq!(
        env.withdraw(ALICE, ID, USDC, U256::MAX, ALICE).unwrap_err(),
        err(I::WadOverflow {})
    );
    // The whole balance leaves, and the asset leaves the list.
    env.withdraw(ALICE, ID, USDC, e(5, 6), ALICE).unwrap();
    assert_eq!(env.balance(ID, USDC), U256::ZERO);
    assert!(env.assets(ID).is_empty());
    assert_eq!(env.host.balance(USDC, ALICE), e(1_000_000, 6));
}

#[test]
fn pause_blocks_withdrawals_until_unpaused() {
    let env = Env::funded();
    env.deposit(ALICE, ID, WETH, wad(3)).unwrap();
    env.call(GUARDIAN, I::pauseCall {}).unwrap();
    assert_eq!(
        env.withdraw(ALICE, ID, WETH, wad(1), ALICE).unwrap_err(),
        err(I::EnforcedPause {})
    );
    env.call(OWNER, I::unpauseCall {}).unwrap();
    env.withdraw(ALICE, ID, WETH, wad(1), ALICE).unwrap();
    assert_eq!(env.balance(ID, WETH), wad(2));
}

#[test]
fn tokens_above_18_decimals_round_against_the_user() {
    let env = Env::funded();
    // FINE has 24 decimals: one internal unit is 10^6 token units.
    env.deposit(ALICE, ID, FINE, U256::from(2_999_999)).unwrap();
    assert_eq!(env.balance(ID, FINE), U256::from(2));
    assert_eq!(env.host.balance(FINE, env.vault()), U256::from(2_999_999));
    // 2,000,001 units would need a debit of 3: more than the balance.
    assert_eq!(
        env.withdraw(ALICE, ID, FINE, U256::from(2_000_001), ALICE)
            .unwrap_err(),
        err(I::InsufficientBalance {
            id: id(),
            asset: FINE,
            balance: U256::from(2),
            requested: U256::from(3)
        })
    );
    env.withdraw(ALICE, ID, FINE, U256::from(1_500_000), ALICE)
        .unwrap();
    assert_eq!(env.balance(ID, FINE), U256::ZERO);
    assert_eq!(env.events::<I::Withdrawn>()[0].debited, U256::from(2));
    // The vault still holds what it never credited or paid out: nothing was created.
    assert_eq!(env.host.balance(FINE, env.vault()), U256::from(1_499_999));
    // A deposit below one internal unit credits nothing and is refused.
    assert_eq!(
        env.deposit(ALICE, ID, FINE, U256::from(999_999))
            .unwrap_err(),
        err(I::ZeroAmount {})
    );
}

// ---- reentrancy ---------------------------------------------------------------------------

/// The results of the calls a reentrant token made.
type Seen = Rc<RefCell<Vec<Result<(), Vec<u8>>>>>;

#[test]
fn a_reentrant_token_cannot_reenter_deposit_or_withdraw() {
    let env = Env::funded();
    env.deposit(ALICE, ID, WETH, wad(10)).unwrap();
    let seen: Seen = Rc::default();
    // During the deposit's transferFrom, the token calls withdraw and deposit as ALICE.
    {
        let (inner, seen) = (env.clone(), seen.clone());
        env.host.on_next_transfer(WETH, move || {
            seen.borrow_mut()
                .push(inner.withdraw(ALICE, ID, WETH, wad(10), ALICE));
            seen.borrow_mut()
                .push(inner.deposit(ALICE, ID, WETH, wad(1)));
            inner.host.set_sender(ALICE);
        });
    }
    env.deposit(ALICE, ID, WETH, wad(1)).unwrap();
    assert_eq!(
        *seen.borrow(),
        vec![Err(err(I::Reentrant {})), Err(err(I::Reentrant {}))]
    );
    assert_eq!(env.balance(ID, WETH), wad(11));
    // During the withdrawal's transfer, the same.
    seen.borrow_mut().clear();
    {
        let (inner, seen) = (env.clone(), seen.clone());
        env.host.on_next_transfer(WETH, move || {
            seen.borrow_mut()
                .push(inner.withdraw(ALICE, ID, WETH, wad(5), ALICE));
            inner.host.set_sender(ALICE);
        });
    }
    env.withdraw(ALICE, ID, WETH, wad(5), ALICE).unwrap();
    assert_eq!(*seen.borrow(), vec![Err(err(I::Reentrant {}))]);
    assert_eq!(env.balance(ID, WETH), wad(6));
    assert_eq!(env.host.balance(WETH, env.vault()), wad(6));
    // The lock is free again afterwards.
    env.withdraw(ALICE, ID, WETH, wad(6), ALICE).unwrap();
    assert_eq!(env.balance(ID, WETH), U256::ZERO);
}
