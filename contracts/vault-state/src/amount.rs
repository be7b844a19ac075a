//! Token amounts ↔ the vault's 18-decimal internal units, exactly.
//!
//! A token of `d ≤ 18` decimals converts exactly both ways: one token unit is `10^(18−d)`
//! internal units, deposits credit and withdrawals debit `amount · 10^(18−d)`, nothing is
//! rounded. A token of `18 < d ≤ 36` decimals has more precision than the vault keeps:
//!
//! * a deposit credits `⌊received / 10^(d−18)⌋` — the remainder (less than one internal
//!   unit, i.e. below 10⁻¹⁸ token) stays in the vault uncredited;
//! * a withdrawal of `amount` token units debits `⌈amount / 10^(d−18)⌉` — rounded against
//!   the withdrawer.
//!
//! So the vault's token balance always covers the sum of what it credited, and no sequence of
//! deposits and withdrawals extracts more than it put in.

use alloy_primitives::U256;

/// `10^(18−d)` for `d ≤ 18` (multiply) or `10^(d−18)` for `18 < d ≤ 36` (divide); `None` above 36.
fn scale(decimals: u8) -> Option<(bool, u64)> {
    match decimals {
        0..=18 => Some((true, 10u64.pow(u32::from(18 - decimals)))),
        19..=36 => Some((false, 10u64.pow(u32::from(decimals - 18)))),
        _ => None,
    }
}

/// `x / d` and `x % d` for `d < 2⁶⁴`, by long division over 64-bit limbs (no general 256-bit
/// division is linked into the contract).
fn div_rem_small(x: U256, d: u64) -> (U256, u64) {
    let mut limbs = *x.as_limbs();
    let mut rem: u128 = 0;
    for limb in limbs.iter_mut().rev() {
        let cur = (rem << 64) | u128::from(*limb);
        *limb = (cur / u128::from(d)) as u64;
        rem = cur % u128::from(d);
    }
    (U256::from_limbs(limbs), rem as u64)
}

/// Internal units credited for `amount` token units (rounded down); `None` on overflow or
/// more than 36 decimals.
pub fn credit(amount: U256, decimals: u8) -> Option<U256> {
    match scale(decimals)? {
        (true, s) => amount.checked_mul(U256::from(s)),
        (false, s) => Some(div_rem_small(amount, s).0),
    }
}

/// Internal units debited for `amount` token units (rounded up); `None` on overflow or more
/// than 36 decimals.
pub fn debit(amount: U256, decimals: u8) -> Option<U256> {
    match scale(decimals)? {
        (true, s) => amount.checked_mul(U256::from(s)),
        (false, s) => {
            let (q, r) = div_rem_small(amount, s);
            if r == 0 {
                Some(q)
            } else {
                q.checked_add(U256::from(1u8))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn u(x: u128) -> U256 {
        U256::from(x)
    }

    #[test]
    fn up_to_18_decimals_is_exact_both_ways() {
        assert_eq!(credit(u(1_500_000), 6), Some(u(1_500_000_000_000_000_000)));
        assert_eq!(debit(u(1_500_000), 6), Some(u(1_500_000_000_000_000_000)));
        assert_eq!(credit(u(7), 0), Some(u(7_000_000_000_000_000_000)));
        assert_eq!(credit(u(123), 18), Some(u(123)));
        assert_eq!(debit(u(123), 18), Some(u(123)));
        assert_eq!(credit(U256::MAX, 6), None);
    }

    #[test]
    fn above_18_decimals_credits_down_and_debits_up() {
        // 24 decimals: one internal unit is 10^6 token units.
        assert_eq!(credit(u(2_999_999), 24), Some(u(2)));
        assert_eq!(debit(u(2_000_001), 24), Some(u(3)));
        assert_eq!(debit(u(2_000_000), 24), Some(u(2)));
        assert_eq!(credit(u(999_999), 24), Some(u(0)));
        assert_eq!(debit(u(1), 36), Some(u(1)));
        assert_eq!(debit(U256::MAX, 19), Some(U256::MAX / u(10) + u(1)));
        assert_eq!(credit(u(5), 37), None);
        // Large values: the limb division agrees with U256 division.
        let x = U256::MAX - u(12345);
        assert_eq!(credit(x, 30), Some(x / u(1_000_000_000_000)));
    }

    #[test]
    fn a_round_trip_never_gains() {
        for d in [0u8, 6, 8, 18, 19, 24, 36] {
            for a in [1u128, 7, 999_999, 10u128.pow(20) + 3] {
                let c = credit(u(a), d).unwrap();
                // Withdrawing what was credited: the debit for `a` units is ≥ the credit.
                assert!(debit(u(a), d).unwrap() >= c, "d={d} a={a}");
            }
        }
    }
}
