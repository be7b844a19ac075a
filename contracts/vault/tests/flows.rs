//! Whole-vault flows: the real core and all three real modules (margin, trading, liquidation)
//! on one storage, with the simulated oracle adapter, depeg guard and engines of
//! `keel-vault-testing`: trades through an authorised market, a price shock, margin calls, a
//! Dutch auction with partial bids ending in bad debt paid by the insurance fund and
//! socialised, a paused vault that still liquidates and settles, operators, mode switches.
mod common;

use alloy_primitives::{I256, U256};
use common::whole::*;
use common::*;

#[test]
fn a_price_shock_liquidates_through_partial_bids_into_bad_debt_and_socialisation() {
    let env = vault();
    let p = perp(&env);
    // ALICE goes long 20 ETH against BOB's short: positions are zero-sum.
    trade(&env, p, A, B, 20 * ONE, 2_000 * ONE).unwrap();
    assert_eq!(size_of(&env, A, p), 20 * ONE);
    assert_eq!(size_of(&env, B, p), -20 * ONE);
    let m = margin(&env, A);
    assert!(int(m.initialMargin) >= 0, "the trade needed initial margin");
    assert_eq!(m.positionCount, U256::from(1));

    // The price falls: first into the margin-call band (below IM, at or above MM).
    let band = lower_until(&env, A, 2_000, |m| int(m.initialMargin) < 0);
    let m = margin(&env, A);
    assert!(int(m.maintenanceMargin) >= 0, "the band exists at {band}");
    assert!(env
        .call(DAVE, I::updateMarginCallCall { id: uid(A) })
        .unwrap());
    let calls = env.events::<I::MarginCall>();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].id, uid(A));
    // Not yet liquidatable.
    assert_eq!(
        env.fail(DAVE, I::startAuctionCall { id: uid(A) }),
        err(I::AboveMaintenanceMargin {
            id: uid(A),
            maintenanceMargin: m.maintenanceMargin,
        })
    );

    // Below maintenance margin, still worth something: anyone starts the auction.
    let shock = lower_until(&env, A, band, |m| int(m.maintenanceMargin) < 0);
    let before = margin(&env, A);
    assert!(int(before.markToMarket) > 0, "solvent at {shock}");
    env.call(DAVE, I::startAuctionCall { id: uid(A) }).unwrap();
    let (active, started, discount) = {
        let r = env.call(DAVE, I::auctionCall { id: uid(A) }).unwrap();
        (r.active, r.startedAt, r.discount)
    };
    assert!(active);
    assert_eq!(started, T0);
    // The discount grows with time.
    env.host.set_block_timestamp(T0 + 600);
    let later = env
        .call(DAVE, I::auctionCall { id: uid(A) })
        .unwrap()
        .discount;
    assert!(later > discount, "{later} > {discount}");

    // CAROL bids for a tenth; she takes exactly that share and pays for it.
    let carol_cash = cash(&env, K);
    let alice_cash = cash(&env, A);
    let out = env
        .call(
            CAROL,
            I::bidCall {
                id: uid(A),
                bidder: uid(K),
                fraction: U256::from((ONE / 10) as u128),
                maxPayment: I256::MAX,
            },
        )
        .unwrap();
    let filled = i128::try_from(out.filled).unwrap();
    let payment = int(out.payment);
    assert!(filled > 0 && filled <= ONE / 10);
    assert!(payment > 0, "a solvent account is bought, not paid for");
    let moved = size_of(&env, K, p);
    assert_eq!(
        moved + size_of(&env, A, p),
        20 * ONE,
        "nothing created or lost"
    );
    assert_eq!(moved, 20 * filled, "the filled fraction of the position");
    // Cash only moves between the two: the keeper takes its share of ALICE's cash and pays.
    assert_eq!(cash(&env, A) + cash(&env, K), alice_cash + carol_cash);
    let share = alice_cash / ONE * filled; // ALICE's cash is a whole number of USDC
    let taken = cash(&env, K) - carol_cash + payment;
    assert!((share - 1..=share).contains(&taken), "{taken} vs {share}");
    assert_eq!(
        size_of(&env, A, p) + size_of(&env, B, p) + size_of(&env, K, p),
        0
    );

    // A crash: the account is now worth less than nothing.
    env.set_price(ETH_UNDERLYING, wad(800));
    assert!(int(margin(&env, A).markToMarket) < 0);
    let active = env
        .call(DAVE, I::auctionCall { id: uid(A) })
        .unwrap()
        .active;
    if !active {
        env.call(DAVE, I::startAuctionCall { id: uid(A) }).unwrap();
    }
    let bob_cash = cash(&env, B);
    assert!(bob_cash > 0);
    let out = env
        .call(
            CAROL,
            I::bidCall {
                id: uid(A),
                bidder: uid(K),
                fraction: U256::from(ONE as u128),
                maxPayment: I256::MAX,
            },
        )
        .unwrap();
    assert_eq!(
        out.filled,
        U256::from(ONE as u128),
        "an insolvent account is taken whole"
    );
    assert!(int(out.payment) < 0, "the keeper is paid to take bad debt");
    // The fund paid what it had, the rest was socialised over positive cash.
    assert_eq!(env.call(DAVE, I::insuranceFundCall {}).unwrap(), U256::ZERO);
    let paid = env.events::<I::InsurancePaid>();
    assert_eq!(paid.last().unwrap().amount, wad(500));
    let social = env.events::<I::LossSocialised>();
    assert_eq!(social.len(), 1);
    let loss = env.call(DAVE, I::socialisedLossCall {}).unwrap();
    assert_eq!(loss.total, social[0].amount);
    assert!(loss.cashIndex < wad(1));
    assert!(
        cash(&env, B) < bob_cash,
        "BOB's positive cash bore its share"
    );
    // ALICE's account is empty and out of auction; positions still net to zero.
    assert_eq!(size_of(&env, A, p), 0);
    assert!(
        !env.call(DAVE, I::auctionCall { id: uid(A) })
            .unwrap()
            .active
    );
    assert_eq!(size_of(&env, B, p) + size_of(&env, K, p), 0);
    assert!(!env.events::<I::AuctionEnded>().is_empty());
}

#[test]
fn a_paused_vault_still_liquidates_and_settles() {
    let env = vault();
    env.set_eth_expiry(EXPIRY, 2_000);
    let p = perp(&env);
    let call = option(&env, 1, 2_000);
    trade(&env, p, A, B, 20 * ONE, 2_000 * ONE).unwrap();
    // BOB buys 5 calls from CAROL at 40 each.
    env.call(
        CAROL,
        I::setOperatorCall {
            id: uid(K),
            operator: MARKET,
            approved: true,
        },
    )
    .unwrap();
    trade(&env, call, B, K, 5 * ONE, 40 * ONE).unwrap();
    assert_eq!(size_of(&env, B, call), 5 * ONE);

    env.call(GUARDIAN, I::pauseCall {}).unwrap();
    // Trades and withdrawals stop...
    assert_eq!(
        trade(&env, p, A, B, ONE, 2_000 * ONE).unwrap_err(),
        err(I::EnforcedPause {})
    );
    assert_eq!(
        env.withdraw(BOB, B, USDC, e(1, 6), BOB).unwrap_err(),
        err(I::EnforcedPause {})
    );
    // ...deposits do not.
    env.deposit(BOB, B, USDC, e(1_000, 6)).unwrap();

    // Liquidation goes on while paused.
    lower_until(&env, A, 2_000, |m| int(m.maintenanceMargin) < 0);
    env.call(DAVE, I::startAuctionCall { id: uid(A) }).unwrap();
    let out = env
        .call(
            CAROL,
            I::bidCall {
                id: uid(A),
                bidder: uid(K),
                fraction: U256::from((ONE / 4) as u128),
                maxPayment: I256::MAX,
            },
        )
        .unwrap();
    assert!(out.filled > U256::ZERO);

    // So does option settlement, at the oracle's settlement price: 5 × (2100 − 2000).
    env.host.set_block_timestamp(EXPIRY + 1);
    env.host
        .handler()
        .oracle
        .borrow_mut()
        .settlements
        .insert((ETH_UNDERLYING, EXPIRY), wad(2_100));
    let (bob, carol) = (cash(&env, B), cash(&env, K));
    env.call(DAVE, I::settleOptionsCall { id: uid(B) }).unwrap();
    env.call(DAVE, I::settleOptionsCall { id: uid(K) }).unwrap();
    assert_eq!(cash(&env, B) - bob, 500 * ONE);
    assert_eq!(cash(&env, K) - carol, -500 * ONE);
    assert_eq!(size_of(&env, B, call), 0);
    assert_eq!(size_of(&env, K, call), 0);
    // Realisation too.
    env.call(DAVE, I::realiseCall { id: uid(B) }).unwrap();
}

#[test]
fn markets_trade_only_for_accounts_that_approved_them() {
    let env = vault();
    let p = perp(&env);
    env.call(
        BOB,
        I::setOperatorCall {
            id: uid(B),
            operator: MARKET,
            approved: false,
        },
    )
    .unwrap();
    assert_eq!(
        trade(&env, p, A, B, ONE, 2_000 * ONE).unwrap_err(),
        err(I::NotAccountOperator {
            id: uid(B),
            caller: MARKET,
        })
    );
    // An unauthorised market is refused even where approved.
    env.call(
        OWNER,
        I::setMarketCall {
            market: MARKET,
            authorised: false,
        },
    )
    .unwrap();
    assert_eq!(
        trade(&env, p, A, B, ONE, 2_000 * ONE).unwrap_err(),
        err(I::NotAuthorisedMarket { market: MARKET })
    );
    // An operator withdraws for the owner, within initial margin.
    env.call(
        ALICE,
        I::setOperatorCall {
            id: uid(A),
            operator: DAVE,
            approved: true,
        },
    )
    .unwrap();
    env.withdraw(DAVE, A, USDC, e(100, 6), DAVE).unwrap();
    assert_eq!(cash(&env, A), 9_900 * ONE);
}

#[test]
fn withdrawals_need_initial_margin() {
    let env = vault();
    trade(&env, perp(&env), A, B, 20 * ONE, 2_000 * ONE).unwrap();
    let im = int(margin(&env, A).initialMargin);
    assert!(im > 100 * ONE, "{im}");
    // Within the IM surplus is fine...
    env.withdraw(ALICE, A, USDC, e(100, 6), ALICE).unwrap();
    assert_eq!(int(margin(&env, A).initialMargin), im - 100 * ONE);
    // ...one USDC past it is refused with the account's would-be surplus. (Last: the test
    // chain does not roll back a reverted call's writes.)
    let past = U256::from(((im - 100 * ONE) / 10i128.pow(12) + 1_000_000) as u128);
    let refused = env.withdraw(ALICE, A, USDC, past, ALICE).unwrap_err();
    assert_eq!(&refused[..4], &I::BelowInitialMargin::SELECTOR);
}

#[test]
fn mode_switches_need_initial_margin_and_isolated_holds_one_position() {
    let env = vault();
    let p = perp(&env);
    trade(&env, p, A, B, 5 * ONE, 2_000 * ONE).unwrap();
    // A lone perp: the cross model decides isolated and cross alike.
    env.call(
        ALICE,
        I::setModeCall {
            id: uid(A),
            mode: 1,
        },
    )
    .unwrap();
    let m = margin(&env, A);
    assert_eq!(m.mode, 1);
    assert!(int(m.initialMargin) >= 0);
    env.call(
        ALICE,
        I::setModeCall {
            id: uid(A),
            mode: 0,
        },
    )
    .unwrap();
    let isolated = margin(&env, A);
    assert_eq!(isolated.mode, 0);
    assert_eq!(isolated.initialMargin, m.initialMargin);
    assert_eq!(env.events::<I::ModeChanged>().len(), 2);
    // An isolated account takes no second position; back in portfolio mode it may.
    env.call(
        CAROL,
        I::setOperatorCall {
            id: uid(K),
            operator: MARKET,
            approved: true,
        },
    )
    .unwrap();
    env.set_eth_expiry(EXPIRY, 2_000);
    let put = option(&env, 2, 1_800);
    assert_eq!(
        trade(&env, put, A, K, ONE, 10 * ONE).unwrap_err(),
        err(I::IsolatedNeedsOnePosition { id: uid(A) })
    );
    env.call(
        ALICE,
        I::setModeCall {
            id: uid(A),
            mode: 2,
        },
    )
    .unwrap();
    trade(&env, put, A, K, ONE, 10 * ONE).unwrap();
    assert_eq!(
        env.fail(
            ALICE,
            I::setModeCall {
                id: uid(A),
                mode: 0
            }
        ),
        err(I::IsolatedNeedsOnePosition { id: uid(A) })
    );
    // Only the owner switches; a mode must exist.
    assert_eq!(
        env.fail(
            BOB,
            I::setModeCall {
                id: uid(A),
                mode: 1
            }
        ),
        err(I::NotAccountOwner {
            id: uid(A),
            caller: BOB,
        })
    );
    assert_eq!(
        env.fail(
            ALICE,
            I::setModeCall {
                id: uid(A),
                mode: 3
            }
        ),
        err(I::InvalidMode { mode: 3 })
    );
}

#[test]
fn an_lst_depeg_during_an_open_portfolio_makes_the_collateral_reduce_only() {
    let env = vault();
    list_wsteth(&env);
    // 1.15 ETH per token, Normal.
    assess(&env, 115 * 10u128.pow(16), 0, 0);
    env.deposit(ALICE, A, WSTETH, wad(10)).unwrap();
    let p = perp(&env);
    trade(&env, p, A, B, 10 * ONE, 2_000 * ONE).unwrap();
    let healthy = margin(&env, A);

    // The stETH market slips to 0.935: the guard values the token at 0.935 × 1.15 ETH and
    // marks it Depegged with a 6.5 % add-on.
    assess(&env, 1_075_250_000_000_000_000, 2, 65 * 10u128.pow(15));
    let depegged = margin(&env, A);
    assert!(depegged.markToMarket < healthy.markToMarket);
    assert!(depegged.maintenanceMargin < healthy.maintenanceMargin);
    // It no longer backs new risk: its IM value is zero (10 tokens × 1.15 × 2000 = 23,000
    // at the old rate; at least the 85 % the listing's IM haircut left of it is gone).
    let lost = int(healthy.initialMargin) - int(depegged.initialMargin);
    assert!(lost >= 23_000 * ONE * 85 / 100, "{lost}");
    // Reducing risk at the mark needs no new initial margin (its IM surplus grows).
    trade(&env, p, B, A, 5 * ONE, 2_000 * ONE).unwrap();
    assert_eq!(size_of(&env, A, p), 5 * ONE);

    // A guard that cannot read the fundamental rate values the token at zero and never
    // blocks the margin view (liquidations stay possible).
    env.host.handler().guard.borrow_mut().failing.push(WSTETH);
    let blind = margin(&env, A);
    assert!(blind.markToMarket < depegged.markToMarket);
    env.host.handler().guard.borrow_mut().failing.clear();

    // ...while adding to the position needs initial margin the account no longer has.
    let more = trade(&env, p, A, B, 20 * ONE, 2_000 * ONE).unwrap_err();
    assert_eq!(&more[..4], &I::BelowInitialMargin::SELECTOR);
}
