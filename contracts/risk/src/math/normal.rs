//! Standard normal distribution. (STUB — being implemented.)
use crate::Wad;

/// `N(x)`, the standard normal CDF.
pub fn norm_cdf(x: Wad) -> Wad {
    let _ = x;
    unimplemented!("norm_cdf")
}
