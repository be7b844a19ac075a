//! ABI integer ↔ wad conversions and feed-answer normalisation to 18 decimals.

use alloy_primitives::{I256, U256};
use keel_risk::Wad;
use keel_stylus_common::convert::{
    answer_to_wad, i256_to_wad, u256_to_wad, wad_to_i256, wad_to_u256, NegativeValue,
    UnsupportedDecimals, WadOverflow,
};
use keel_stylus_common::ConvertError;

fn i(x: i128) -> I256 {
    I256::try_from(x).unwrap()
}
fn ten(n: u32) -> i128 {
    10i128.pow(n)
}
const OVERFLOW: ConvertError = ConvertError::WadOverflow(WadOverflow {});

#[test]
fn u256_fits_up_to_i128_max() {
    assert_eq!(u256_to_wad(U256::ZERO), Ok(Wad::ZERO));
    assert_eq!(u256_to_wad(U256::from(i128::MAX as u128)), Ok(Wad::MAX));
    assert_eq!(
        u256_to_wad(U256::from(i128::MAX as u128 + 1)),
        Err(OVERFLOW)
    );
    assert_eq!(u256_to_wad(U256::MAX), Err(OVERFLOW));
}

#[test]
fn i256_fits_the_i128_range() {
    assert_eq!(i256_to_wad(i(-5)), Ok(Wad::from_raw(-5)));
    assert_eq!(i256_to_wad(i(i128::MIN)), Ok(Wad::MIN));
    assert_eq!(i256_to_wad(i(i128::MIN) - I256::ONE), Err(OVERFLOW));
    assert_eq!(i256_to_wad(i(i128::MAX) + I256::ONE), Err(OVERFLOW));
}

#[test]
fn wad_to_abi_integers() {
    assert_eq!(wad_to_u256(Wad::ONE), Ok(U256::from(10u128.pow(18))));
    assert_eq!(
        wad_to_u256(Wad::from_raw(-1)),
        Err(ConvertError::NegativeValue(NegativeValue {}))
    );
    for x in [0, 1, -1, i128::MAX, i128::MIN, -ten(18)] {
        assert_eq!(wad_to_i256(Wad::from_raw(x)), i(x));
        assert_eq!(
            i256_to_wad(wad_to_i256(Wad::from_raw(x))),
            Ok(Wad::from_raw(x))
        );
    }
}

#[test]
fn answers_of_8_and_18_decimals() {
    // ETH/USD 3,012.34567891 with 8 decimals.
    assert_eq!(
        answer_to_wad(i(301_234_567_891), 8),
        Ok(Wad::from_raw(301_234_567_891 * ten(10)))
    );
    assert_eq!(answer_to_wad(i(ten(18)), 18), Ok(Wad::ONE));
    assert_eq!(answer_to_wad(i(7), 0), Ok(Wad::from_int(7)));
    assert_eq!(answer_to_wad(i(-25), 1), Ok(Wad::from_raw(-25 * ten(17))));
}

#[test]
fn answers_above_18_decimals_truncate_toward_zero() {
    assert_eq!(
        answer_to_wad(i(1_234_567), 24),
        Ok(Wad::from_raw(1)),
        "1.234567 wei"
    );
    assert_eq!(answer_to_wad(i(-1_999_999), 24), Ok(Wad::from_raw(-1)));
    // A 36-decimal price of 1,000 is 10^39, beyond i128, while its wad is not.
    let big = I256::try_from(10u64).unwrap().pow(U256::from(39));
    assert_eq!(answer_to_wad(big, 36), Ok(Wad::from_int(1000)));
}

#[test]
fn more_than_36_decimals_is_unsupported() {
    assert_eq!(
        answer_to_wad(i(1), 37),
        Err(ConvertError::UnsupportedDecimals(UnsupportedDecimals {
            decimals: 37
        }))
    );
    assert_eq!(
        answer_to_wad(i(1), 255),
        Err(ConvertError::UnsupportedDecimals(UnsupportedDecimals {
            decimals: 255
        }))
    );
    assert!(answer_to_wad(i(1), 36).is_ok());
}

#[test]
fn a_scaled_answer_beyond_the_wad_range_overflows() {
    // 2·10^12 units with 6 decimals: the wad 2·10^30 fits, 2·10^21 units does not.
    assert_eq!(
        answer_to_wad(i(2 * ten(18)), 6),
        Ok(Wad::from_raw(2 * ten(30)))
    );
    assert_eq!(answer_to_wad(i(2 * ten(27)), 6), Err(OVERFLOW));
    assert_eq!(answer_to_wad(I256::MAX, 8), Err(OVERFLOW));
    assert_eq!(answer_to_wad(I256::MIN, 30), Err(OVERFLOW));
}

#[test]
fn long_division_above_18_decimals_is_exact() {
    // 38 significant digits with 36 decimals: 12.345678901234567890|123456789012345678.
    let answer: I256 = "12345678901234567890123456789012345678".parse().unwrap();
    assert_eq!(
        answer_to_wad(answer, 36),
        Ok(Wad::from_raw(12_345_678_901_234_567_890))
    );
    assert_eq!(
        answer_to_wad(-answer, 36),
        Ok(Wad::from_raw(-12_345_678_901_234_567_890))
    );
    // A dividend of 2^200 does not fit after dividing by 10^5.
    let big = I256::try_from(U256::from(1u8) << 200).unwrap();
    assert_eq!(answer_to_wad(big, 23), Err(OVERFLOW));
    // The extreme wads: ±(2^127 − 1) and −2^127 after dividing by 10^18.
    let scale = I256::try_from(10i128.pow(18)).unwrap();
    assert_eq!(answer_to_wad(i(i128::MAX) * scale, 36), Ok(Wad::MAX));
    // Three-limb dividend with a remainder: truncated.
    assert_eq!(
        answer_to_wad(i(i128::MAX) * scale + scale - I256::ONE, 36),
        Ok(Wad::MAX)
    );
    assert_eq!(
        answer_to_wad(i(-123_456_789) * scale - i(999), 36),
        Ok(Wad::from_raw(-123_456_789))
    );
    assert_eq!(answer_to_wad(i(i128::MIN) * scale, 36), Ok(Wad::MIN));
    assert_eq!(
        answer_to_wad((i(i128::MAX) + I256::ONE) * scale, 36),
        Err(OVERFLOW)
    );
    assert_eq!(
        answer_to_wad((i(i128::MIN) - I256::ONE) * scale, 36),
        Err(OVERFLOW)
    );
}
