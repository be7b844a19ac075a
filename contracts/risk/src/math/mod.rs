//! Fixed-point transcendental functions and option pricing.
//!
//! Everything here works on [`Wad`](crate::Wad) inputs and outputs, uses integer arithmetic
//! only, and documents its rounding and its measured accuracy. The public functions share
//! one private binary fixed-point kernel (`kernel.rs`, tables in `consts.rs`): see its docs
//! for the design (Q64 evaluation, table + polynomial reductions, no division in hot paths).

pub mod black76;
mod consts;
pub mod exp_ln;
mod kernel;
pub mod normal;
pub mod sqrt;
pub mod svi;

pub use black76::{
    black76, black76_greeks, black76_prepared, black76_with_greeks, Black76Greeks, OptionPrices,
    PreparedForward, PreparedStrike, PreparedVol,
};
pub use exp_ln::{exp, ln};
pub use normal::{norm_cdf, norm_pdf};
pub use sqrt::sqrt;

pub(crate) use kernel::wad_mul as wad_product;
pub use svi::{svi_vol, SviParams, SVI_MAX_TOTAL_VARIANCE};

/// Seconds in the 365-day year used to annualise times.
pub const SECONDS_PER_YEAR: u64 = 31_536_000;

/// `τ = ⌊T·10¹⁸ / Y⌋`: seconds to a year fraction, floored as on-chain.
pub fn annualise(seconds: u64) -> crate::Wad {
    crate::Wad::from_raw(seconds as i128 * crate::WAD / SECONDS_PER_YEAR as i128)
}
