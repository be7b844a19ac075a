//! PM2-native inputs: one book per underlying, pre-grouped by expiry, plus the account's
//! collateral, cash and the stable price (spec §3.1–§3.2).
//!
//! The grouping is the caller's job (the contract keeps holdings grouped in storage), so the
//! evaluation never sorts. Zero amounts are allowed and ignored; an expiry whose options are
//! all zero does not count as held.

use alloc::vec::Vec;

use crate::math::SviParams;
use crate::Wad;

/// One option holding of an expiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OptionHolding {
    /// Strike in USD (≥ 0).
    pub strike: Wad,
    /// Call (true) or put (false).
    pub is_call: bool,
    /// Signed amount, long > 0.
    pub amount: Wad,
}

/// One expiry of an underlying: its market data and the options held at it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpiryBook {
    /// Expiry timestamp (unix seconds); `T = max(expiry − now, 0)`.
    pub expiry: u64,
    /// `F^fix`: the part of the forward already averaged into settlement (≥ 0).
    pub forward_fixed: Wad,
    /// `F^var`: the part of the forward that still moves with spot (≥ 0).
    pub forward_variable: Wad,
    /// `c^F`, confidence of the forward.
    pub forward_confidence: Wad,
    /// `r^raw`, continuously compounded annual rate (negative values are floored at 0).
    pub rate: Wad,
    /// `c^r`, confidence of the rate.
    pub rate_confidence: Wad,
    /// Raw-SVI surface with its own reference forward and time.
    pub svi: SviParams,
    /// `c^σ`, confidence of the vol surface.
    pub vol_confidence: Wad,
    /// The options held at this expiry (any order; at most one call and one put per strike
    /// on-chain, but any grouping is margined correctly).
    pub options: Vec<OptionHolding>,
}

/// A perpetual position on an underlying. `amount = 0` means no perp: then neither
/// `unrealised`, `price` nor `confidence` is read (§5.4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PerpHolding {
    /// `N`, signed position in units of the underlying.
    pub amount: Wad,
    /// `U`, unrealised PnL plus unsettled funding (signed USD).
    pub unrealised: Wad,
    /// `P`, perp mark price.
    pub price: Wad,
    /// `c_P`, confidence of the perp mark.
    pub confidence: Wad,
}

/// Everything one underlying contributes: spot, perp and expiries.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnderlyingBook {
    /// `S`, spot price in USD (≥ 0).
    pub spot: Wad,
    /// `c_S`, confidence of the spot price.
    pub spot_confidence: Wad,
    /// The perp position (amount 0 for none).
    pub perp: PerpHolding,
    /// The expiries held, each with its options. At most `maxExpiries` non-empty ones.
    pub expiries: Vec<ExpiryBook>,
}

/// A collateral token balance with its price and risk parameters.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CollateralHolding {
    /// `q`, token amount; a negative balance is refused.
    pub amount: Wad,
    /// `p`, USD price of one token.
    pub price: Wad,
    /// `c`, confidence of that price.
    pub confidence: Wad,
    /// `MMHaircut`, in [0, 1].
    pub mm_haircut: Wad,
    /// `IMHaircut`, extra IM haircut, with `MM + IM ≤ 1`.
    pub im_haircut: Wad,
    /// `Some(u)`: the token is risk-cancelling against underlying `u` (its value moves with
    /// that underlying's spot shock, and it uses that underlying's spot confidence).
    pub risk_cancelling: Option<u32>,
}

/// A whole PM2 account at one instant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortfolioAccount {
    /// Evaluation time (unix seconds).
    pub now: u64,
    /// `C`, cash in stable units (negative = borrowed).
    pub cash: Wad,
    /// `s`, USD price of the stable asset (collateral values are divided by it).
    pub stable_price: Wad,
    /// One book per underlying.
    pub underlyings: Vec<UnderlyingBook>,
    /// Collateral tokens, each counted once.
    pub collaterals: Vec<CollateralHolding>,
}
