//! Square root. (STUB — being implemented.)
use crate::{RiskError, Wad};

/// `√x` for `x ≥ 0`, rounded down to the wad below.
pub fn sqrt(x: Wad) -> Result<Wad, RiskError> {
    let _ = x;
    unimplemented!("sqrt")
}
