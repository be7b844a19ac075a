//! `sqrt` (and `hypot`) must be the exact floor: checked against Python's `math.isqrt`
//! (data/sqrt.txt) and, on many more inputs, against the defining inequality
//! `s² ≤ x·10¹⁸ < (s+1)²` evaluated with exact 256-bit products.
#[path = "data/refdata.rs"]
mod refdata;

use keel_risk::math::sqrt;
use keel_risk::math::sqrt::hypot;
use keel_risk::{RiskError, Wad};
use refdata::{raw, rows};

/// Exact 256-bit `a·b` as `(high, low)`.
fn mul256(a: u128, b: u128) -> (u128, u128) {
    let (a1, a0) = (a >> 64, a & u64::MAX as u128);
    let (b1, b0) = (b >> 64, b & u64::MAX as u128);
    let (p00, p01, p10, p11) = (a0 * b0, a0 * b1, a1 * b0, a1 * b1);
    let mid = (p00 >> 64) + (p01 & u64::MAX as u128) + (p10 & u64::MAX as u128);
    (
        p11 + (p01 >> 64) + (p10 >> 64) + (mid >> 64),
        (p00 & u64::MAX as u128) | (mid << 64),
    )
}

fn add256(a: (u128, u128), b: (u128, u128)) -> (u128, u128) {
    let (lo, carry) = a.1.overflowing_add(b.1);
    (a.0 + b.0 + carry as u128, lo)
}

fn is_floor_sqrt(s: u128, n: (u128, u128)) -> bool {
    mul256(s, s) <= n && mul256(s + 1, s + 1) > n
}

#[test]
fn sqrt_matches_isqrt_reference() {
    let mut count = 0;
    for r in rows(include_str!("data/sqrt.txt")) {
        let x = raw(r[0]);
        let want: i128 = r[1].parse().unwrap();
        assert_eq!(sqrt(x).unwrap().raw(), want, "sqrt({x})");
        count += 1;
    }
    println!("sqrt: {count} reference points exact");
    assert!(count > 1500);
}

#[test]
fn sqrt_is_the_exact_floor_everywhere() {
    let mut state: u128 = 0x2545_F491_4F6C_DD1D_9E37_79B9_7F4A_7C15;
    for i in 0..200_000u32 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let x = (state >> 1) >> (i % 127); // every magnitude, positive
        let s = sqrt(Wad::from_raw(x as i128)).unwrap().raw() as u128;
        assert!(
            is_floor_sqrt(s, mul256(x, 1_000_000_000_000_000_000)),
            "sqrt({x}) = {s}"
        );
    }
    // Perfect squares of wads and their neighbours: x = r²/10¹⁸ ± 1 wei.
    for r in [
        1u128,
        2,
        3,
        999_999_999,
        1 << 40,
        13_043_817_825_332_782_212,
    ] {
        let square = r * r / 1_000_000_000_000_000_000;
        for x in [square.saturating_sub(1), square, square + 1] {
            let s = sqrt(Wad::from_raw(x as i128)).unwrap().raw() as u128;
            assert!(
                is_floor_sqrt(s, mul256(x, 1_000_000_000_000_000_000)),
                "sqrt({x})"
            );
        }
    }
}

#[test]
fn sqrt_limits() {
    assert_eq!(sqrt(Wad::ZERO), Ok(Wad::ZERO));
    assert_eq!(sqrt(Wad::ONE), Ok(Wad::ONE));
    assert_eq!(sqrt(Wad::from_raw(1)).unwrap().raw(), 1_000_000_000);
    assert_eq!(sqrt(Wad::from_int(144)), Ok(Wad::from_int(12)));
    assert_eq!(sqrt(Wad::from_raw(-1)), Err(RiskError::SqrtOfNegative));
    assert_eq!(sqrt(Wad::MIN), Err(RiskError::SqrtOfNegative));
    let s = sqrt(Wad::MAX).unwrap().raw() as u128;
    assert!(is_floor_sqrt(
        s,
        mul256(i128::MAX as u128, 1_000_000_000_000_000_000)
    ));
}

#[test]
fn hypot_is_the_exact_floor() {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for i in 0..50_000u32 {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        let a = (state >> (i % 64)) as i128 * if i % 3 == 0 { -1 } else { 1 };
        let b = (state.rotate_left(29) >> (i % 61)) as i128;
        let s = hypot(Wad::from_raw(a), Wad::from_raw(b)).unwrap().raw() as u128;
        let n = add256(
            mul256(a.unsigned_abs(), a.unsigned_abs()),
            mul256(b.unsigned_abs(), b.unsigned_abs()),
        );
        assert!(is_floor_sqrt(s, n), "hypot({a}, {b}) = {s}");
    }
    assert_eq!(
        hypot(Wad::from_int(3), Wad::from_int(-4)),
        Ok(Wad::from_int(5))
    );
    assert_eq!(hypot(Wad::MAX, Wad::ZERO), Err(RiskError::Overflow));
}
