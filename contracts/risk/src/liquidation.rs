//! The liquidation auction's arithmetic on raw wads (10¹⁸ = 1), each step checked (`None`:
//! overflow) and rounded never in the bidder's favour: the discount at a time, the largest
//! fill worth taking and what a bid pays. The vault's liquidation module and the keeper both
//! compute with it, so a keeper's sizing is exactly the vault's.

use crate::fixed::mul_div_floor_u128;

/// One, as a raw wad.
pub const WAD: u128 = 1_000_000_000_000_000_000;
/// Largest end discount (0.5).
pub const MAX_DISCOUNT: u128 = WAD / 2;
/// Largest buffer (1).
pub const MAX_BUFFER: u128 = WAD;
/// Shortest auction (60 s).
pub const MIN_DURATION: u64 = 60;
/// Longest auction (7 days).
pub const MAX_DURATION: u64 = 7 * 24 * 3600;

/// `InvalidParameter` code: `endDiscount > 0.5`.
pub const BAD_END_DISCOUNT: u8 = 26;
/// `InvalidParameter` code: `startDiscount > endDiscount`.
pub const BAD_START_DISCOUNT: u8 = 27;
/// `InvalidParameter` code: `duration` outside [60 s, 7 days].
pub const BAD_DURATION: u8 = 28;
/// `InvalidParameter` code: `buffer > 1`.
pub const BAD_BUFFER: u8 = 29;

/// Dutch-auction parameters (raw wads, duration in seconds).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Params {
    /// Discount when the auction starts.
    pub start: u128,
    /// Discount once `duration` has elapsed (≥ `start`, ≤ 0.5).
    pub end: u128,
    /// Seconds from `start` to `end`.
    pub duration: u64,
    /// Surplus over the maintenance requirement, as a fraction of it, at which an auction
    /// ends (≤ 1).
    pub buffer: u128,
}

impl Params {
    /// The parameters in force until the risk admin sets some: discount 2 % rising to 15 %
    /// over 30 minutes, buffer 10 %.
    pub const DEFAULT: Params = Params {
        start: WAD / 50,
        end: WAD * 15 / 100,
        duration: 1800,
        buffer: WAD / 10,
    };

    /// The `InvalidParameter` code of the first bound these parameters break, if any.
    pub fn check(&self) -> Option<u8> {
        if self.end > MAX_DISCOUNT {
            Some(BAD_END_DISCOUNT)
        } else if self.start > self.end {
            Some(BAD_START_DISCOUNT)
        } else if !(MIN_DURATION..=MAX_DURATION).contains(&self.duration) {
            Some(BAD_DURATION)
        } else if self.buffer > MAX_BUFFER {
            Some(BAD_BUFFER)
        } else {
            None
        }
    }

    /// The discount `elapsed` seconds into an auction: `start + (end − start) ·
    /// min(1, elapsed / duration)`, rounded down. Valid parameters (`check`) never overflow.
    pub fn discount(&self, elapsed: u64) -> u128 {
        let spread = self.end.saturating_sub(self.start);
        let t = elapsed.min(self.duration);
        // spread ≤ 0.5·10¹⁸ and t ≤ 7 days: the product fits easily.
        let grown = spread.saturating_mul(u128::from(t)) / u128::from(self.duration.max(1));
        self.start.saturating_add(grown)
    }
}

/// `⌈a · b / d⌉`.
pub fn mul_div_up(a: u128, b: u128, d: u128) -> Option<u128> {
    let q = mul_div_floor_u128(a, b, d).ok()?;
    // The remainder `a·b − q·d` is below `d < 2¹²⁸`, so it is exact modulo 2¹²⁸.
    let rem = a.wrapping_mul(b).wrapping_sub(q.wrapping_mul(d));
    if rem == 0 {
        Some(q)
    } else {
        q.checked_add(1)
    }
}

/// `⌊a · b / d⌋`.
pub fn mul_div_down(a: u128, b: u128, d: u128) -> Option<u128> {
    mul_div_floor_u128(a, b, d).ok()
}

/// `x · f` (f a wad fraction) rounded toward −∞.
pub fn scale_floor(x: i128, f: u128) -> Option<i128> {
    if x >= 0 {
        i128::try_from(mul_div_down(x.unsigned_abs(), f, WAD)?).ok()
    } else {
        0i128.checked_sub_unsigned(mul_div_up(x.unsigned_abs(), f, WAD)?)
    }
}

/// `x · f` (f a wad fraction) truncated toward zero.
pub fn scale_trunc(x: i128, f: u128) -> Option<i128> {
    let m = mul_div_down(x.unsigned_abs(), f, WAD)?;
    if x >= 0 {
        i128::try_from(m).ok()
    } else {
        0i128.checked_sub_unsigned(m)
    }
}

/// `b · r` truncated toward zero: the surplus over maintenance requirement `r` a bid may
/// bring an account back to (the fill cap's target).
pub fn buffer_target(buffer: u128, r: i128) -> Option<i128> {
    scale_trunc(r, buffer)
}

/// The largest fraction worth selling from an account of value `v > 0` and requirement `r`
/// below the buffer (`v − r < b·r`): `(r(1+b) − v) / (r(1+b) − v·d)`, rounded **up** so that
/// a fill of it reaches the buffer, at most 1. `None` on overflow or when the account is not
/// below the buffer (the caller checks that first).
pub fn max_fill(v: i128, r: i128, buffer: u128, discount: u128) -> Option<u128> {
    let target = r.checked_add(buffer_target(buffer, r)?)?;
    let num = target.checked_sub(v)?;
    let den = target.checked_sub(scale_trunc(v, discount)?)?;
    if num <= 0 || den <= 0 {
        return None;
    }
    Some(mul_div_up(num.unsigned_abs(), WAD, den.unsigned_abs())?.min(WAD))
}

/// The most a bid takes from an account of value `v` and maintenance requirement `r` below
/// maintenance margin: [`max_fill`] while it is worth something, all of it otherwise.
pub fn fill_cap(v: i128, r: i128, buffer: u128, discount: u128) -> Option<u128> {
    if v > 0 {
        max_fill(v, r, buffer, discount)
    } else {
        Some(WAD)
    }
}

/// What the bidder pays for `filled` of an account of value `v` at `discount`: for `v > 0`,
/// `filled · v · (1 − d)` rounded up; for `v ≤ 0`, `filled · v · (1 + d)` (≤ 0: the bidder is
/// paid) rounded toward zero, i.e. up as well.
pub fn payment(filled: u128, v: i128, discount: u128) -> Option<i128> {
    let value = v.unsigned_abs();
    if v > 0 {
        let taken = mul_div_up(filled, value, WAD)?;
        i128::try_from(mul_div_up(taken, WAD.checked_sub(discount)?, WAD)?).ok()
    } else {
        let taken = mul_div_down(filled, value, WAD)?;
        0i128.checked_sub_unsigned(mul_div_down(taken, WAD.checked_add(discount)?, WAD)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const fn w(units: u128) -> u128 {
        units * WAD
    }

    #[test]
    fn defaults_are_valid_and_bounds_are_coded() {
        assert_eq!(Params::DEFAULT.check(), None);
        let p = Params::DEFAULT;
        assert_eq!(
            Params {
                end: MAX_DISCOUNT + 1,
                ..p
            }
            .check(),
            Some(BAD_END_DISCOUNT)
        );
        assert_eq!(
            Params {
                start: p.end + 1,
                ..p
            }
            .check(),
            Some(BAD_START_DISCOUNT)
        );
        for duration in [0, 59, MAX_DURATION + 1] {
            assert_eq!(Params { duration, ..p }.check(), Some(BAD_DURATION));
        }
        assert_eq!(
            Params {
                buffer: WAD + 1,
                ..p
            }
            .check(),
            Some(BAD_BUFFER)
        );
        let edge = Params {
            start: MAX_DISCOUNT,
            end: MAX_DISCOUNT,
            duration: MAX_DURATION,
            buffer: WAD,
        };
        assert_eq!(edge.check(), None);
        assert_eq!(
            Params {
                start: 0,
                end: 0,
                duration: MIN_DURATION,
                buffer: 0
            }
            .check(),
            None
        );
    }

    #[test]
    fn the_discount_grows_linearly_then_stays() {
        let p = Params::DEFAULT;
        assert_eq!(p.discount(0), WAD / 50);
        // Half-way: 0.02 + 0.13 / 2 = 0.085.
        assert_eq!(p.discount(900), 85 * WAD / 1000);
        assert_eq!(p.discount(1800), 15 * WAD / 100);
        assert_eq!(p.discount(u64::MAX), 15 * WAD / 100);
        // One second: 0.13 / 1800 = 72,222,222,222,222.2… rounded down.
        assert_eq!(p.discount(1), WAD / 50 + 72_222_222_222_222);
    }

    #[test]
    fn rounding_helpers() {
        assert_eq!(mul_div_up(7, 3, 2), Some(11));
        assert_eq!(mul_div_up(6, 3, 2), Some(9));
        assert_eq!(mul_div_down(7, 3, 2), Some(10));
        assert_eq!(mul_div_up(u128::MAX, u128::MAX, u128::MAX), Some(u128::MAX));
        assert_eq!(mul_div_up(u128::MAX, 2, 1), None);
        // Large operands (a 201-bit product): the remainder is still found exactly.
        let big = (1u128 << 100) + 1;
        assert_eq!(
            mul_div_up(big, 1u128 << 100, 1u128 << 90),
            Some((1u128 << 110) + (1 << 10))
        );
        // (2¹⁰⁰ + 1)² / 2⁹⁰ = 2¹¹⁰ + 2¹¹ + 2⁻⁹⁰.
        assert_eq!(
            mul_div_up(big, big, 1u128 << 90),
            Some((1u128 << 110) + (1 << 11) + 1)
        );
        assert_eq!(
            mul_div_down(big, big, 1u128 << 90),
            Some((1u128 << 110) + (1 << 11))
        );
        assert_eq!(
            mul_div_up(1u128 << 100, (1u128 << 27) + 1, 1u128 << 100),
            Some((1u128 << 27) + 1)
        );
        assert_eq!(
            mul_div_up((1u128 << 100) + 1, 1u128 << 27, 1u128 << 100),
            Some((1u128 << 27) + 1)
        );
        let third = WAD / 3;
        assert_eq!(scale_floor(10, third), Some(3));
        assert_eq!(scale_floor(-10, third), Some(-4));
        assert_eq!(scale_trunc(-10, third), Some(-3));
        assert_eq!(scale_floor(-9, WAD), Some(-9));
        assert_eq!(scale_floor(i128::MIN, WAD), Some(i128::MIN));
        assert_eq!(buffer_target(WAD / 10, -15), Some(-1));
    }

    #[test]
    fn the_max_fill_brings_the_account_back_to_the_buffer() {
        // V = 100, R = 110 (MM −10), b = 0.1, d = 0.05:
        // f = (121 − 100) / (121 − 5) = 21 / 116.
        let f = max_fill(w(100) as i128, w(110) as i128, WAD / 10, WAD / 20).unwrap();
        assert_eq!(f, mul_div_up(21, WAD, 116).unwrap());
        let exact = 21.0 / 116.0;
        assert!((f as f64 / WAD as f64 - exact).abs() < 1e-17);
        // After the fill: value V − f·V·d, requirement (1 − f)·R, surplus = b × requirement.
        let ff = exact;
        let value = 100.0 - ff * 100.0 * 0.05;
        let req = (1.0 - ff) * 110.0;
        assert!((value - req - 0.1 * req).abs() < 1e-9);
        // Not below the buffer: nothing to fill.
        assert_eq!(max_fill(w(121) as i128, w(110) as i128, WAD / 10, 0), None);
        // Always in (0, 1].
        assert!(max_fill(1, w(1000) as i128, WAD, MAX_DISCOUNT).unwrap() <= WAD);
    }

    #[test]
    fn payments_round_against_the_bidder() {
        // 1/3 of 100 at 10 % off: 30 exactly in reals; rounded up.
        let third = WAD / 3 + 1;
        let p = payment(third, w(100) as i128, WAD / 10).unwrap();
        assert!(p as f64 >= 30.0 * WAD as f64);
        assert_eq!(
            payment(WAD / 4, w(100) as i128, WAD / 10),
            Some(w(225) as i128 / 10)
        );
        // V ≤ 0: paid |V| · f · (1 + d), rounded toward zero.
        assert_eq!(
            payment(WAD / 2, -(w(40) as i128), WAD / 10),
            Some(-(w(22) as i128))
        );
        assert_eq!(payment(WAD / 3, -10, 0), Some(-3));
        assert_eq!(payment(WAD / 3, 10, 0), Some(4));
        assert_eq!(payment(WAD, 0, WAD / 2), Some(0));
    }
}
