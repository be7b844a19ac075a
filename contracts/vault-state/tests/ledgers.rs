//! The shared ledgers of `VaultState` on a TestVM: signed cash with the socialisation index,
//! and the positions list with its instrument index.

use alloy_primitives::U256;
use keel_risk::Wad;
use keel_vault_state::cash::MIN_CASH_INDEX;
use keel_vault_state::positions::PositionRecord;
use keel_vault_state::VaultState;
use stylus_sdk::testing::TestVM;

fn w(x: &str) -> Wad {
    Wad::parse_decimal(x).unwrap()
}

fn id(n: u64) -> U256 {
    U256::from(n)
}

#[test]
fn cash_is_signed_and_totals_only_positive_balances() {
    let vm = TestVM::default();
    let mut s = VaultState::from(&vm);
    assert_eq!(s.cash_of(id(1)).unwrap(), Wad::ZERO);
    s.set_cash(id(1), w("100")).unwrap();
    s.set_cash(id(2), w("-40")).unwrap();
    s.set_cash(id(3), w("60.5")).unwrap();
    assert_eq!(s.cash_of(id(1)).unwrap(), w("100"));
    assert_eq!(s.cash_of(id(2)).unwrap(), w("-40"));
    assert_eq!(s.total_positive_cash().unwrap(), w("160.5"));
    // A balance crossing zero leaves the positive total.
    assert_eq!(s.add_cash(id(1), w("-150")).unwrap(), w("-50"));
    assert_eq!(s.total_positive_cash().unwrap(), w("60.5"));
    assert_eq!(s.add_cash(id(2), w("41")).unwrap(), w("1"));
    assert_eq!(s.total_positive_cash().unwrap(), w("61.5"));
}

#[test]
fn a_socialised_loss_scales_every_positive_balance_and_spares_debts() {
    let vm = TestVM::default();
    let mut s = VaultState::from(&vm);
    s.set_cash(id(1), w("300")).unwrap();
    s.set_cash(id(2), w("100")).unwrap();
    s.set_cash(id(3), w("-25")).unwrap();
    // 40 over 400 of positive cash: every positive balance keeps 90 %.
    let (taken, index) = s.socialise(w("40")).unwrap();
    assert_eq!(index, w("0.9"));
    assert_eq!(taken, w("40"));
    assert_eq!(s.cash_of(id(1)).unwrap(), w("270"));
    assert_eq!(s.cash_of(id(2)).unwrap(), w("90"));
    assert_eq!(s.cash_of(id(3)).unwrap(), w("-25"));
    assert_eq!(s.total_positive_cash().unwrap(), w("360"));
    assert_eq!(s.socialised.get(), U256::from(40u128 * 10u128.pow(18)));
    // New cash after the loss is worth its face value, less at most one wei of rounding.
    s.set_cash(id(4), w("50")).unwrap();
    let fresh = s.cash_of(id(4)).unwrap().raw();
    assert!(
        (w("50").raw() - 1..=w("50").raw()).contains(&fresh),
        "{fresh}"
    );
    // A second loss compounds: 41 over (just under) 410 keeps (just under) 90 % again.
    let index = s.socialise(w("41")).unwrap().1.raw();
    assert!(
        (w("0.81").raw() - 2..=w("0.81").raw()).contains(&index),
        "{index}"
    );
    let close_below = |got: Wad, exact: &str| {
        let (got, exact) = (got.raw(), w(exact).raw());
        assert!(got <= exact && exact - got < 1_000, "{got} vs {exact}");
    };
    close_below(s.cash_of(id(1)).unwrap(), "243");
    close_below(s.cash_of(id(4)).unwrap(), "45");
    assert_eq!(s.cash_of(id(3)).unwrap(), w("-25"));
}

#[test]
fn rounding_never_creates_cash() {
    let vm = TestVM::default();
    let mut s = VaultState::from(&vm);
    s.set_cash(id(1), Wad::from_raw(1_000_000_000_000_000_007))
        .unwrap();
    s.set_cash(id(2), Wad::from_raw(3)).unwrap();
    let (taken, _) = s.socialise(Wad::from_raw(333_333_333_333_333_337)).unwrap();
    assert!(taken.raw() <= 333_333_333_333_333_337);
    let total_before = 1_000_000_000_000_000_010i128;
    let after = s.cash_of(id(1)).unwrap().raw() + s.cash_of(id(2)).unwrap().raw();
    assert!(after <= total_before - taken.raw() + 2, "{after}");
    // Writing a read balance back never increases it.
    for n in [1u64, 2] {
        let a = s.cash_of(id(n)).unwrap();
        s.set_cash(id(n), a).unwrap();
        assert!(s.cash_of(id(n)).unwrap() <= a);
    }
}

#[test]
fn a_loss_beyond_all_positive_cash_stops_at_the_index_floor_and_records_only_what_was_taken() {
    let vm = TestVM::default();
    let mut s = VaultState::from(&vm);
    s.set_cash(id(1), w("10")).unwrap();
    let (taken, index) = s.socialise(w("25")).unwrap();
    assert_eq!(index, Wad::from_raw(MIN_CASH_INDEX));
    let left = s.cash_of(id(1)).unwrap();
    assert!(left <= w("0.00000001"));
    // Positive cash gave up 10 less what the floor left it, not 25.
    assert_eq!(taken, w("10").sub(left).unwrap());
    assert_eq!(s.socialised.get(), U256::from(taken.raw() as u128));
    // Without positive cash nothing is socialised, nor recorded.
    let vm = TestVM::default();
    let mut s = VaultState::from(&vm);
    s.set_cash(id(1), w("-10")).unwrap();
    assert_eq!(s.socialise(w("5")).unwrap(), (Wad::ZERO, Wad::ONE));
    assert_eq!(s.cash_of(id(1)).unwrap(), w("-10"));
    assert_eq!(s.socialised.get(), U256::ZERO);
}

fn rec(instrument: u64, size: &str, basis: &str) -> PositionRecord {
    PositionRecord {
        instrument: U256::from(instrument),
        size: w(size),
        basis: w(basis),
    }
}

#[test]
fn positions_append_update_and_remove_by_swapping_the_last() {
    let vm = TestVM::default();
    let mut s = VaultState::from(&vm);
    let a = id(7);
    assert!(s.write_position(a, rec(1, "2", "-5")));
    assert!(s.write_position(a, rec(2, "-3", "0")));
    assert!(s.write_position(a, rec(3, "0.5", "1")));
    assert!(
        !s.write_position(a, rec(2, "-4", "0")),
        "an update is not new"
    );
    assert_eq!(s.position_count(a), 3);
    assert_eq!(s.position_of(a, U256::from(2u8)), Some(rec(2, "-4", "0")));
    // Removing the first moves the last into its place.
    assert!(!s.write_position(a, rec(1, "0", "0")));
    assert_eq!(
        s.positions_of(a),
        vec![rec(3, "0.5", "1"), rec(2, "-4", "0")]
    );
    assert_eq!(s.position_of(a, U256::from(1u8)), None);
    assert_eq!(s.position_of(a, U256::from(3u8)), Some(rec(3, "0.5", "1")));
    // Removing the last, then re-adding, appends.
    assert!(!s.write_position(a, rec(2, "0", "0")));
    assert!(s.write_position(a, rec(2, "1", "0")));
    assert_eq!(
        s.positions_of(a),
        vec![rec(3, "0.5", "1"), rec(2, "1", "0")]
    );
    // Writing zero for an instrument not held changes nothing.
    assert!(!s.write_position(a, rec(9, "0", "0")));
    assert_eq!(s.position_count(a), 2);
    // Other accounts are separate.
    assert_eq!(s.position_count(id(8)), 0);
}

#[test]
fn random_position_writes_match_a_model() {
    use std::collections::BTreeMap;
    let vm = TestVM::default();
    let mut s = VaultState::from(&vm);
    let a = id(1);
    let mut model: BTreeMap<u64, i128> = BTreeMap::new();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..600 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let instrument = seed % 12;
        let size = if seed.is_multiple_of(3) {
            0
        } else {
            (seed % 1000) as i128 - 500
        };
        let new = s.write_position(
            a,
            PositionRecord {
                instrument: U256::from(instrument),
                size: Wad::from_raw(size),
                basis: Wad::from_raw(-size),
            },
        );
        let was = model.contains_key(&instrument);
        if size == 0 {
            model.remove(&instrument);
        } else {
            model.insert(instrument, size);
        }
        assert_eq!(new, !was && size != 0);
        let mut stored: Vec<(u64, i128)> = s
            .positions_of(a)
            .iter()
            .map(|p| (p.instrument.to::<u64>(), p.size.raw()))
            .collect();
        stored.sort();
        assert_eq!(
            stored,
            model.iter().map(|(k, v)| (*k, *v)).collect::<Vec<_>>()
        );
        for (k, v) in &model {
            let p = s.position_of(a, U256::from(*k)).unwrap();
            assert_eq!((p.size.raw(), p.basis.raw()), (*v, -*v));
        }
    }
}
