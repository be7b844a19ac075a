//! Raw-SVI implied vol as PM2 §4.2 evaluates it. (STUB.)
use crate::{RiskError, Wad};

/// Raw-SVI parameters with their own reference forward and time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct SviParams {
    /// `a`.
    pub a: Wad,
    /// `b`.
    pub b: Wad,
    /// `ρ`.
    pub rho: Wad,
    /// `m`.
    pub m: Wad,
    /// `σ` (the SVI curvature parameter, not a vol).
    pub sigma: Wad,
    /// Reference forward `F^svi`.
    pub forward: Wad,
    /// Reference time `τ^svi` in years.
    pub tau: Wad,
}

/// Implied vol at `strike`, with total variance capped at `max_total_variance` (144 on-chain).
pub fn svi_vol(params: &SviParams, strike: Wad, max_total_variance: Wad) -> Result<Wad, RiskError> {
    let _ = (params, strike, max_total_variance);
    unimplemented!("svi_vol")
}
