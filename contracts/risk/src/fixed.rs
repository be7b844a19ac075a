//! Signed 18-decimal fixed point ("wad"): the number type of every risk computation.
//!
//! A [`Wad`] holds the real value `x` as the integer `x · 10¹⁸` in an `i128`, which spans
//! about ±1.7·10²⁰ in real terms. Products and quotients are computed exactly with a
//! 256-bit intermediate and then **truncated toward zero** (the EVM's signed division),
//! so `a ⊗ b = trunc(a·b / 10¹⁸)` and `a ⊘ b = trunc(a·10¹⁸ / b)`. Every operation that
//! can overflow is checked and returns [`RiskError`] instead of wrapping.

use core::fmt;

use crate::error::RiskError;

/// 10¹⁸, the scale of a [`Wad`].
pub const WAD: i128 = 1_000_000_000_000_000_000;
const WAD_U: u128 = WAD as u128;

/// A signed 18-decimal fixed-point number.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
#[repr(transparent)]
pub struct Wad(i128);

// The arithmetic methods are checked and return `Result`, which `core::ops` traits cannot;
// the shared names keep call sites readable (`a.mul(b)?.add(c)?`).
#[allow(clippy::should_implement_trait)]
impl Wad {
    /// 0.
    pub const ZERO: Wad = Wad(0);
    /// 1.
    pub const ONE: Wad = Wad(WAD);
    /// The largest representable value.
    pub const MAX: Wad = Wad(i128::MAX);
    /// The smallest representable value.
    pub const MIN: Wad = Wad(i128::MIN);

    /// Wraps a raw integer of 10⁻¹⁸ units.
    #[inline]
    pub const fn from_raw(raw: i128) -> Wad {
        Wad(raw)
    }

    /// The raw integer of 10⁻¹⁸ units.
    #[inline]
    pub const fn raw(self) -> i128 {
        self.0
    }

    /// A whole number.
    #[inline]
    pub const fn from_int(n: i64) -> Wad {
        Wad(n as i128 * WAD)
    }

    /// `num / den` as a wad, computed at compile time where used in constants.
    /// Panics (at compile time for constants) if `den == 0` or on overflow.
    pub const fn ratio(num: i64, den: i64) -> Wad {
        Wad(num as i128 * WAD / den as i128)
    }

    /// True when the value is strictly below zero.
    #[inline]
    pub const fn is_negative(self) -> bool {
        self.0 < 0
    }

    /// True when the value is strictly above zero.
    #[inline]
    pub const fn is_positive(self) -> bool {
        self.0 > 0
    }

    /// True when the value is exactly zero.
    #[inline]
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// `self + rhs`, or [`RiskError::Overflow`].
    #[inline]
    pub fn add(self, rhs: Wad) -> Result<Wad, RiskError> {
        self.0
            .checked_add(rhs.0)
            .map(Wad)
            .ok_or(RiskError::Overflow)
    }

    /// `self − rhs`, or [`RiskError::Overflow`].
    #[inline]
    pub fn sub(self, rhs: Wad) -> Result<Wad, RiskError> {
        self.0
            .checked_sub(rhs.0)
            .map(Wad)
            .ok_or(RiskError::Overflow)
    }

    /// `−self`, or [`RiskError::Overflow`] for [`Wad::MIN`].
    #[inline]
    pub fn neg(self) -> Result<Wad, RiskError> {
        self.0.checked_neg().map(Wad).ok_or(RiskError::Overflow)
    }

    /// `|self|`, or [`RiskError::Overflow`] for [`Wad::MIN`].
    #[inline]
    pub fn abs(self) -> Result<Wad, RiskError> {
        self.0.checked_abs().map(Wad).ok_or(RiskError::Overflow)
    }

    /// `a ⊗ b = trunc(a·b / 10¹⁸)`. (Hot loops that already link the binary kernel use its
    /// division-free product, `math::wad_product`, with the same result.)
    #[inline]
    pub fn mul(self, rhs: Wad) -> Result<Wad, RiskError> {
        mul_div_trunc(self.0, rhs.0, WAD).map(Wad)
    }

    /// `a ⊘ b = trunc(a·10¹⁸ / b)`; [`RiskError::DivisionByZero`] when `b = 0`.
    #[inline]
    pub fn div(self, rhs: Wad) -> Result<Wad, RiskError> {
        mul_div_trunc(self.0, WAD, rhs.0).map(Wad)
    }

    /// `trunc(self · num / den)` with a single rounding: use it for ratios such as
    /// `x · seconds / YEAR` where two roundings would lose precision.
    #[inline]
    pub fn mul_div(self, num: Wad, den: Wad) -> Result<Wad, RiskError> {
        mul_div_trunc(self.0, num.0, den.0).map(Wad)
    }

    /// `self · n` for an integer `n`.
    #[inline]
    pub fn mul_int(self, n: i128) -> Result<Wad, RiskError> {
        self.0.checked_mul(n).map(Wad).ok_or(RiskError::Overflow)
    }

    /// `trunc(self / n)` for an integer `n`.
    #[inline]
    pub fn div_int(self, n: i128) -> Result<Wad, RiskError> {
        if n == 0 {
            return Err(RiskError::DivisionByZero);
        }
        self.0.checked_div(n).map(Wad).ok_or(RiskError::Overflow)
    }

    /// The smaller of two values.
    #[inline]
    pub fn min(self, rhs: Wad) -> Wad {
        if rhs.0 < self.0 {
            rhs
        } else {
            self
        }
    }

    /// The larger of two values.
    #[inline]
    pub fn max(self, rhs: Wad) -> Wad {
        if rhs.0 > self.0 {
            rhs
        } else {
            self
        }
    }

    /// `min(self, 0)`.
    #[inline]
    pub fn min_zero(self) -> Wad {
        self.min(Wad::ZERO)
    }

    /// `max(self, 0)`.
    #[inline]
    pub fn max_zero(self) -> Wad {
        self.max(Wad::ZERO)
    }

    /// The integer part, truncated toward zero (e.g. whole dollars).
    #[inline]
    pub const fn trunc_int(self) -> i128 {
        self.0 / WAD
    }

    /// Parses a decimal string such as `"-12.5"` or `"3"`. Digits beyond the 18th decimal
    /// are truncated (toward zero), as Derive's harness converts its inputs. Exponents,
    /// `+` signs, spaces and empty parts are refused.
    pub fn parse_decimal(text: &str) -> Result<Wad, ParseWadError> {
        let (negative, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (int_part, frac_part) = match body.split_once('.') {
            Some((i, f)) => (i, Some(f)),
            None => (body, None),
        };
        if int_part.is_empty() || frac_part.is_some_and(str::is_empty) {
            return Err(ParseWadError::Malformed);
        }
        let mut raw: i128 = 0;
        for b in int_part.bytes() {
            let digit = decimal_digit(b)?;
            raw = raw
                .checked_mul(10)
                .and_then(|r| r.checked_add(digit))
                .ok_or(ParseWadError::OutOfRange)?;
        }
        raw = raw.checked_mul(WAD).ok_or(ParseWadError::OutOfRange)?;
        if let Some(frac) = frac_part {
            let mut place = WAD;
            for b in frac.bytes() {
                let digit = decimal_digit(b)?;
                place /= 10;
                raw = raw
                    .checked_add(digit * place)
                    .ok_or(ParseWadError::OutOfRange)?;
            }
        }
        Ok(Wad(if negative { -raw } else { raw }))
    }

    /// Parses a raw integer of 10⁻¹⁸ units, as in the `keel-srm-case v1` format:
    /// an optional `-` then digits, no leading zeros, and never `-0`.
    pub fn parse_raw(text: &str) -> Result<Wad, ParseWadError> {
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let leading_zero = digits.len() > 1 && digits.starts_with('0');
        if digits.is_empty() || leading_zero || (negative && digits == "0") {
            return Err(ParseWadError::Malformed);
        }
        let mut raw: i128 = 0;
        for b in digits.bytes() {
            let digit = decimal_digit(b)?;
            raw = raw
                .checked_mul(10)
                .and_then(|r| r.checked_sub(digit))
                .ok_or(ParseWadError::OutOfRange)?;
        }
        if negative {
            Ok(Wad(raw))
        } else {
            raw.checked_neg().map(Wad).ok_or(ParseWadError::OutOfRange)
        }
    }
}

fn decimal_digit(b: u8) -> Result<i128, ParseWadError> {
    if b.is_ascii_digit() {
        Ok((b - b'0') as i128)
    } else {
        Err(ParseWadError::Malformed)
    }
}

/// Why a decimal string is not a [`Wad`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParseWadError {
    /// Not of the form `-?digits(.digits)?`.
    Malformed,
    /// Outside the range of a wad (about ±1.7·10²⁰).
    OutOfRange,
}

impl fmt::Display for ParseWadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseWadError::Malformed => f.write_str("not a decimal number"),
            ParseWadError::OutOfRange => f.write_str("number out of the 18-decimal range"),
        }
    }
}

impl core::error::Error for ParseWadError {}

/// Prints the exact decimal value, without trailing zeros (`1.5`, `-0.000000000000000001`, `3`).
impl fmt::Display for Wad {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let magnitude = self.0.unsigned_abs();
        let int_part = magnitude / WAD_U;
        let mut frac = magnitude % WAD_U;
        if self.0 < 0 {
            f.write_str("-")?;
        }
        write!(f, "{int_part}")?;
        if frac != 0 {
            let mut digits = 18;
            while frac.is_multiple_of(10) {
                frac /= 10;
                digits -= 1;
            }
            write!(f, ".{frac:0digits$}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Wad {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Wad({self})")
    }
}

/// `trunc(a·b / d)` over signed integers with an exact 256-bit intermediate.
pub fn mul_div_trunc(a: i128, b: i128, d: i128) -> Result<i128, RiskError> {
    if d == 0 {
        return Err(RiskError::DivisionByZero);
    }
    let negative = (a < 0) ^ (b < 0) ^ (d < 0);
    let magnitude = mul_div_floor_u128(a.unsigned_abs(), b.unsigned_abs(), d.unsigned_abs())?;
    if negative {
        // −2¹²⁷ is representable, so a magnitude of exactly 2¹²⁷ is allowed here.
        if magnitude > i128::MIN.unsigned_abs() {
            return Err(RiskError::Overflow);
        }
        Ok((magnitude as i128).wrapping_neg())
    } else {
        i128::try_from(magnitude).map_err(|_| RiskError::Overflow)
    }
}

/// `floor(a·b / d)` over unsigned integers with an exact 256-bit intermediate.
pub fn mul_div_floor_u128(a: u128, b: u128, d: u128) -> Result<u128, RiskError> {
    if d == 0 {
        return Err(RiskError::DivisionByZero);
    }
    if let Some(product) = a.checked_mul(b) {
        return Ok(product / d);
    }
    let (hi, lo) = widening_mul(a, b);
    if hi >= d {
        return Err(RiskError::Overflow);
    }
    if d <= u64::MAX as u128 {
        return Ok(div_256_by_u64(hi, lo, d));
    }
    Ok(div_256_by_128(hi, lo, d))
}

/// `floor((hi·2¹²⁸ + lo) / d)` for `hi < d < 2⁶⁴` (the common case `d = 10¹⁸`): two
/// 128-by-64-bit long-division steps instead of 128 shift-subtract ones.
#[inline]
fn div_256_by_u64(hi: u128, lo: u128, d: u128) -> u128 {
    let upper = (hi << 64) | (lo >> 64);
    let (q_hi, rem) = (upper / d, upper % d);
    let lower = (rem << 64) | (lo & u64::MAX as u128);
    (q_hi << 64) | (lower / d)
}

/// Full 256-bit product of two `u128`s as `(high, low)` halves.
#[inline]
fn widening_mul(a: u128, b: u128) -> (u128, u128) {
    const MASK: u128 = u64::MAX as u128;
    let (a_hi, a_lo) = (a >> 64, a & MASK);
    let (b_hi, b_lo) = (b >> 64, b & MASK);
    let lo_lo = a_lo * b_lo;
    let hi_lo = a_hi * b_lo;
    let lo_hi = a_lo * b_hi;
    let hi_hi = a_hi * b_hi;
    let middle = (lo_lo >> 64) + (hi_lo & MASK) + (lo_hi & MASK);
    let low = (lo_lo & MASK) | (middle << 64);
    let high = hi_hi + (hi_lo >> 64) + (lo_hi >> 64) + (middle >> 64);
    (high, low)
}

/// `floor((hi·2¹²⁸ + lo) / d)` for `hi < d`, so the quotient fits in 128 bits.
/// Restoring shift-subtract division: one bit of quotient per step.
fn div_256_by_128(mut hi: u128, lo: u128, d: u128) -> u128 {
    let mut quotient: u128 = 0;
    for i in (0..128).rev() {
        let carry = hi >> 127;
        hi = (hi << 1) | ((lo >> i) & 1);
        quotient <<= 1;
        if carry == 1 || hi >= d {
            hi = hi.wrapping_sub(d);
            quotient |= 1;
        }
    }
    quotient
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str) -> Wad {
        Wad::parse_decimal(s).unwrap()
    }

    #[test]
    fn parse_and_display_round_trip() {
        for s in [
            "0",
            "1",
            "-1",
            "1.5",
            "-0.000000000000000001",
            "170141183460.5",
        ] {
            assert_eq!(w(s).to_string(), s);
        }
        assert_eq!(
            w("1.0000000000000000019").raw(),
            WAD + 1,
            "digits past 18 truncate"
        );
        assert_eq!(w("-1.0000000000000000019").raw(), -(WAD + 1));
        for bad in ["", "-", "1.", ".5", "1e5", "+1", " 1", "1.2.3"] {
            assert_eq!(
                Wad::parse_decimal(bad),
                Err(ParseWadError::Malformed),
                "{bad:?}"
            );
        }
        assert_eq!(
            Wad::parse_decimal("999999999999999999999"),
            Err(ParseWadError::OutOfRange)
        );
    }

    #[test]
    fn parse_raw_follows_the_case_format() {
        assert_eq!(Wad::parse_raw("-1010000000000000000").unwrap(), w("-1.01"));
        assert_eq!(Wad::parse_raw("0").unwrap(), Wad::ZERO);
        for bad in ["-0", "01", "", "1.0", "+1", "1e18"] {
            assert!(Wad::parse_raw(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            Wad::parse_raw("-170141183460469231731687303715884105728").unwrap(),
            Wad::MIN
        );
        assert!(Wad::parse_raw("170141183460469231731687303715884105728").is_err());
    }

    #[test]
    fn mul_and_div_truncate_toward_zero() {
        let third = Wad::ONE.div(Wad::from_int(3)).unwrap();
        assert_eq!(third.raw(), 333_333_333_333_333_333);
        assert_eq!(third.neg().unwrap().raw(), -333_333_333_333_333_333);
        assert_eq!(
            Wad::from_int(-1).div(Wad::from_int(3)).unwrap().raw(),
            -333_333_333_333_333_333
        );
        // 1e-18 · 0.5 = 0.5e-18 → 0 toward zero for either sign.
        assert_eq!(Wad::from_raw(-1).mul(w("0.5")).unwrap(), Wad::ZERO);
        assert_eq!(Wad::from_raw(1).mul(w("0.5")).unwrap(), Wad::ZERO);
    }

    #[test]
    fn products_beyond_i128_use_the_wide_path() {
        // 10⁶ USD · 10⁶ = 10¹²: the raw product 10⁴⁸ needs 256 bits.
        let a = Wad::from_int(1_000_000);
        assert_eq!(a.mul(a).unwrap(), Wad::from_int(1_000_000_000_000));
        let big = Wad::from_raw(i128::MAX);
        assert_eq!(big.mul(Wad::ONE).unwrap(), big);
        assert_eq!(big.div(Wad::ONE).unwrap(), big);
        assert_eq!(big.mul(Wad::from_int(2)), Err(RiskError::Overflow));
        assert_eq!(Wad::MIN.mul(Wad::ONE).unwrap(), Wad::MIN);
        assert_eq!(
            Wad::MIN.mul(Wad::ONE.neg().unwrap()),
            Err(RiskError::Overflow)
        );
        assert_eq!(Wad::ONE.div(Wad::ZERO), Err(RiskError::DivisionByZero));
    }

    #[test]
    fn wide_division_matches_a_reference_on_many_values() {
        // Reference: exact arithmetic on u128 split into decimal halves is awkward, so check
        // the identity q·d + r = a·b with r < d using the 256-bit product directly.
        let mut x: u128 = 0x9E37_79B9_7F4A_7C15_F39C_C060_5CED_C834;
        for _ in 0..2000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let a = x >> (x % 60);
            let b = x.rotate_left(31) >> (x % 70);
            let d = (x.rotate_left(77) >> (x % 100)) | 1;
            let (hi, lo) = widening_mul(a, b);
            match mul_div_floor_u128(a, b, d) {
                Ok(q) => {
                    let (qh, ql) = widening_mul(q, d);
                    // a·b − q·d must be in [0, d).
                    let (rl, borrow) = lo.overflowing_sub(ql);
                    let rh = hi - qh - borrow as u128;
                    assert_eq!(rh, 0);
                    assert!(rl < d);
                }
                Err(e) => {
                    assert_eq!(e, RiskError::Overflow);
                    assert!(hi >= d);
                }
            }
        }
    }
}
