//! Fixed-point transcendental functions and option pricing.
//!
//! Everything here works on [`Wad`](crate::Wad) inputs and outputs, uses integer arithmetic
//! only, and documents its rounding and its measured accuracy.

pub mod black76;
pub mod exp_ln;
pub mod normal;
pub mod sqrt;
pub mod svi;

pub use black76::{black76, Black76Greeks, OptionPrices};
pub use exp_ln::{exp, ln};
pub use normal::norm_cdf;
pub use sqrt::sqrt;
pub use svi::{svi_vol, SviParams};

/// Seconds in the 365-day year used to annualise times.
pub const SECONDS_PER_YEAR: u64 = 31_536_000;

/// `τ = ⌊T·10¹⁸ / Y⌋`: seconds to a year fraction, floored as on-chain.
pub fn annualise(seconds: u64) -> crate::Wad {
    crate::Wad::from_raw(seconds as i128 * crate::WAD / SECONDS_PER_YEAR as i128)
}
