//! Natural exponential and logarithm. (STUB — being implemented.)
use crate::{RiskError, Wad};

/// Arguments at or below this give exactly 0 (the result is below 10⁻¹⁸).
pub const EXP_MIN_ARG: Wad = Wad::from_raw(-42_139_678_854_452_767_551);
/// Arguments at or above this revert with [`RiskError::ExpOverflow`].
pub const EXP_MAX_ARG: Wad = Wad::from_raw(135_305_999_368_893_231_589);

/// `e^x`.
pub fn exp(x: Wad) -> Result<Wad, RiskError> {
    let _ = x;
    unimplemented!("exp")
}

/// `ln x` for `x > 0`.
pub fn ln(x: Wad) -> Result<Wad, RiskError> {
    let _ = x;
    unimplemented!("ln")
}
