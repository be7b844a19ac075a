//! Black-76 prices and greeks with the on-chain limit rules of PM2 §4.1. (STUB.)
use crate::{RiskError, Wad};

/// Discounted call and put prices.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionPrices {
    /// Call price.
    pub call: Wad,
    /// Put price.
    pub put: Wad,
}

/// Delta and vega of one option pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Black76Greeks {
    /// ∂call/∂F (discounted).
    pub call_delta: Wad,
    /// ∂put/∂F (discounted).
    pub put_delta: Wad,
    /// ∂price/∂σ (same for call and put).
    pub vega: Wad,
}

/// Black-76 `(call, put)` for forward `forward`, strike `strike`, `sqrt_tau = √(T/Y)`,
/// vol `vol` and discount factor `discount`, with the limit rules of PM2 §4.1.
pub fn black76(
    forward: Wad,
    strike: Wad,
    sqrt_tau: Wad,
    vol: Wad,
    discount: Wad,
) -> Result<OptionPrices, RiskError> {
    let _ = (forward, strike, sqrt_tau, vol, discount);
    unimplemented!("black76")
}
