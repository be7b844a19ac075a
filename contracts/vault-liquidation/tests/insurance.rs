//! Bad debt: paid by the insurance fund, the shortfall socialised over positive cash; and
//! funding the insurance fund.
mod common;

use std::cell::RefCell;
use std::rc::Rc;

use alloy_primitives::{Address, I256, U256};
use common::*;

type CallResult = Result<Vec<u8>, Vec<u8>>;

/// `units` whole USDC in token units (6 decimals).
fn usdc(units: u64) -> U256 {
    U256::from(units) * U256::from(1_000_000u64)
}

/// ALICE's account 1 (cross) worth less than nothing: 2 WETH (4,000), cash −10,000, perp long
/// 2 with basis 4,400 (P&L −400): V = −6,400, R = 400, MM = −6,800. CAROL puts `fund` USDC
/// into the insurance fund; BOB's account 2 holds `bob` of cash.
fn bad_debt(fund: u64, bob: u64) -> Env {
    let env = Env::new();
    assert_eq!(env.open(ALICE, 1), 1);
    assert_eq!(env.open(BOB, 1), 2);
    env.deposit(ALICE, 1, WETH, 2);
    env.set_cash(1, w(-10_000));
    env.position(1, perp(), w(2), w(4_400));
    env.deposit(BOB, 2, USDC, bob);
    env.call(CAROL, I::fundInsuranceCall { amount: usdc(fund) })
        .unwrap();
    assert_eq!(env.insurance(), uw(fund.into()));
    let n = env.numbers(1);
    assert_eq!((n.value, n.mm), (w(-6_400), w(-6_800)));
    env
}

#[test]
fn bad_debt_is_paid_by_the_insurance_fund() {
    let env = bad_debt(10_000, 10_000);
    env.start(1).unwrap();
    env.clear_logs();
    // V ≤ 0: no cap; taking the whole account, the bidder is paid 6,400 · 1.02 = 6,528. A
    // bidder may insist on being paid at least that much (a negative limit).
    assert_eq!(
        env.bid_max(BOB, 1, 2, ONE, i(-w(6_529))),
        Err(err(I::PaymentAboveLimit {
            payment: i(-w(6_528)),
            limit: i(-w(6_529))
        }))
    );
    let (filled, payment) = env.bid_max(BOB, 1, 2, ONE, i(-w(6_528))).unwrap();
    assert_eq!((filled, payment), (uw(1), i(-w(6_528))));
    assert_eq!(env.insurance(), uw(10_000 - 6_528));
    // The account is empty and its auction over.
    assert_eq!(env.positions(1), vec![]);
    assert_eq!(env.assets(1), Vec::<Address>::new());
    assert_eq!(env.balance(1, WETH), U256::ZERO);
    assert_eq!(env.cash(1), 0);
    assert!(!env.auction(1).active);
    // BOB holds it all, plus 6,528: cash 10,000 − 10,000 + 6,528.
    assert_eq!(env.positions(2), vec![(perp(), w(2), w(4_400))]);
    assert_eq!(env.balance(2, WETH), uw(2));
    assert_eq!(env.assets(2), vec![WETH]);
    assert_eq!(env.cash(2), w(6_528));
    assert_eq!(env.numbers(2).value, w(10_000) + w(128));
    // Nothing socialised.
    let s = env.call(ALICE, I::socialisedLossCall {}).unwrap();
    assert_eq!((s.total, s.cashIndex), (U256::ZERO, uw(1)));
    assert_eq!(
        env.events::<I::InsurancePaid>(),
        vec![I::InsurancePaid {
            id: id(1),
            amount: uw(6_528)
        }]
    );
    assert!(env.events::<I::LossSocialised>().is_empty());
    assert_eq!(
        env.events::<I::Bid>(),
        vec![I::Bid {
            id: id(1),
            bidder: id(2),
            fraction: uw(1),
            payment: i(-w(6_528)),
            discount: U256::from(w(2) / 100),
        }]
    );
    assert_eq!(
        env.events::<I::AuctionEnded>(),
        vec![I::AuctionEnded {
            id: id(1),
            maintenanceMargin: I256::ZERO
        }]
    );
}

#[test]
fn a_shortfall_is_socialised_over_every_positive_cash_balance() {
    // The fund holds 1,528 of the 6,528 owed: 5,000 is socialised.
    let env = bad_debt(1_528, 30_000);
    assert_eq!(env.open(CAROL, 1), 3);
    assert_eq!(env.open(DAVE, 1), 4);
    assert_eq!(env.open(DAVE, 1), 5);
    env.deposit(CAROL, 3, USDC, 20_000);
    env.deposit(DAVE, 4, USDC, 10_000);
    // Account 5 owes 500 (against 1 WETH): debts are not touched.
    env.deposit(DAVE, 5, WETH, 1);
    env.set_cash(5, w(-500));
    env.start(1).unwrap();
    env.clear_logs();

    let (filled, payment) = env.bid(BOB, 1, 2, ONE).unwrap();
    assert_eq!((filled, payment), (uw(1), i(-w(6_528))));
    // Positive cash when the loss is spread: BOB 30,000 − 10,000 taken over = 20,000,
    // CAROL 20,000, DAVE 10,000: 50,000. Losing 5,000 keeps 90 % of every balance.
    assert_eq!(env.cash(3), w(18_000));
    assert_eq!(env.cash(4), w(9_000));
    assert_eq!(env.cash(5), w(-500));
    // BOB is credited the 6,528 in full after the loss (scaled storage: ≤ 1 wei lost).
    let bob = env.cash(2);
    assert!(
        (w(18_000) + w(6_528) - 1..=w(18_000) + w(6_528)).contains(&bob),
        "{bob}"
    );
    assert_eq!(env.insurance(), U256::ZERO);
    let s = env.call(ALICE, I::socialisedLossCall {}).unwrap();
    assert_eq!((s.total, s.cashIndex), (uw(5_000), U256::from(w(9) / 10)));
    assert_eq!(
        env.events::<I::InsurancePaid>(),
        vec![I::InsurancePaid {
            id: id(1),
            amount: uw(1_528)
        }]
    );
    assert_eq!(
        env.events::<I::LossSocialised>(),
        vec![I::LossSocialised {
            id: id(1),
            amount: uw(5_000),
            cashIndex: U256::from(w(9) / 10),
        }]
    );
    assert!(!env.auction(1).active);
}

#[test]
fn without_a_fund_the_whole_payment_is_socialised() {
    let env = Env::new();
    assert_eq!(env.open(ALICE, 1), 1);
    assert_eq!(env.open(BOB, 1), 2);
    assert_eq!(env.open(CAROL, 1), 3);
    env.set_cash(1, w(-1_000));
    env.deposit(BOB, 2, USDC, 5_000);
    env.deposit(CAROL, 3, USDC, 5_000);
    env.start(1).unwrap();
    // Two bids for halves: each takes −500 of cash and is paid 510, all socialised.
    let (filled, payment) = env.bid(BOB, 1, 2, ONE / 2).unwrap();
    assert_eq!((filled, payment), (U256::from(ONE / 2), i(-w(510))));
    // 9,500 of positive cash (BOB 4,500, CAROL 5,000) loses 510.
    let index = 1.0 - 510.0 / 9_500.0;
    let carol = env.cash(3) as f64 / ONE as f64;
    assert!((carol - 5_000.0 * index).abs() < 1e-9, "{carol}");
    assert!(env.auction(1).active);
    let s = env.call(ALICE, I::socialisedLossCall {}).unwrap();
    assert_eq!(s.total, uw(510));
    assert!((f64::from(s.cashIndex) / ONE as f64 - index).abs() < 1e-15);
    assert_eq!(env.insurance(), U256::ZERO);
    assert!(env.events::<I::InsurancePaid>().is_empty());
}

#[test]
fn funding_the_insurance_fund_credits_what_arrived() {
    let env = Env::new();
    let vault = {
        use stylus_sdk::stylus_core::host::AccountAccess;
        env.host.vm().contract_address()
    };
    assert_eq!(
        env.fail(CAROL, I::fundInsuranceCall { amount: U256::ZERO }),
        err(I::ZeroAmount {})
    );
    env.call(
        CAROL,
        I::fundInsuranceCall {
            amount: usdc(1_000),
        },
    )
    .unwrap();
    assert_eq!(env.insurance(), uw(1_000));
    assert_eq!(env.host.balance(USDC, vault), usdc(1_000));
    // A fee-on-transfer token (1 %): 1,000 sent, 990 arrive and are credited.
    env.host.set_kind(USDC, Kind::Fee(100));
    env.call(
        DAVE,
        I::fundInsuranceCall {
            amount: usdc(1_000),
        },
    )
    .unwrap();
    assert_eq!(env.insurance(), uw(1_990));
    assert_eq!(env.host.balance(USDC, vault), usdc(1_990));
    assert_eq!(
        env.events::<I::InsuranceFunded>(),
        vec![
            I::InsuranceFunded {
                from: CAROL,
                amount: uw(1_000)
            },
            I::InsuranceFunded {
                from: DAVE,
                amount: uw(990)
            },
        ]
    );
    // Not a deposit: no account's cash, not the asset's total.
    assert_eq!(env.state().collateral(USDC).total, U256::ZERO);
    assert_eq!(env.state().total_positive_cash().unwrap().raw(), 0);
    // A token that sends nothing credits nothing.
    env.host.set_kind(USDC, Kind::ReturnsFalse);
    assert_eq!(
        env.fail(DAVE, I::fundInsuranceCall { amount: usdc(1) }),
        err(I::TokenBadReturn { token: USDC })
    );
}

#[test]
fn funding_holds_the_reentrancy_lock() {
    let env = Env::new();
    let inner: Rc<RefCell<Option<CallResult>>> = Rc::default();
    let (e, out) = (env.clone(), inner.clone());
    env.host.on_next_transfer(USDC, move || {
        let data = I::fundInsuranceCall { amount: usdc(1) }.abi_encode();
        *out.borrow_mut() = Some(e.raw(CAROL, data));
    });
    env.call(CAROL, I::fundInsuranceCall { amount: usdc(10) })
        .unwrap();
    assert_eq!(inner.borrow().clone(), Some(Err(err(I::Reentrant {}))));
    assert_eq!(env.insurance(), uw(10));
    // The lock is released afterwards.
    env.call(CAROL, I::fundInsuranceCall { amount: usdc(5) })
        .unwrap();
    assert_eq!(env.insurance(), uw(15));
}

#[test]
fn funding_needs_the_settlement_asset() {
    let env = Env::new();
    env.state().settlement_asset.set(Address::ZERO);
    assert_eq!(
        env.fail(CAROL, I::fundInsuranceCall { amount: usdc(1) }),
        err(I::SettlementAssetNotSet {})
    );
}
