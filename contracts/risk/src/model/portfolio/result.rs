//! What a PM2 evaluation returns: IM, MM, mark-to-market and the breakdown that explains them.
//!
//! Sign conventions follow the spec: losses are ≤ 0, every contingency is reported as the
//! non-negative amount that is **subtracted** from the margin.

use alloc::vec::Vec;

use crate::Wad;

/// Which candidate set an underlying's worst loss (§8.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WorstCase {
    /// Scenario `i` of the parameter set's list (the earliest one on ties).
    Scenario(usize),
    /// The basis contingency `B` (it wins ties with scenarios).
    Basis,
}

/// Per-expiry figures of one underlying, in input order (empty expiries are skipped).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ExpiryBreakdown {
    /// Expiry timestamp.
    pub expiry: u64,
    /// `T_e`, whole seconds to expiry (0 once expired).
    pub seconds_to_expiry: u64,
    /// `D_e = exp(−max(r,0)·τ)`.
    pub discount: Wad,
    /// `MtM_e`, the expiry's options at mark (§5.7).
    pub mtm: Wad,
    /// `Δ_e·(add + mult·τ_e)`, this expiry's part of the basis contingency (≤ 0).
    pub basis_contingency: Wad,
    /// `up_e` of §5.5; `Wad::MAX` when `g_e` or `up_e` is beyond the wad range (the Up vols
    /// are then still exact or saturated, see the [`crate::model::portfolio`] docs).
    pub vol_up_multiplier: Wad,
    /// `down_e` of §5.5.
    pub vol_down_multiplier: Wad,
    /// `δ⁺_e` of §5.6 (applied to non-negative shocked values).
    pub static_discount_long: Wad,
    /// `δ⁻_e` of §5.6 (applied to negative shocked values); `Wad::MAX` when `D_e = 0`.
    pub static_discount_short: Wad,
    /// Naked-short amount after netting per strike (§7.3).
    pub naked_shorts: Wad,
}

/// Everything one underlying contributes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnderlyingBreakdown {
    /// `L_u = min(B_u, min_i PnL_{u,i})`, ≤ 0.
    pub worst_loss: Wad,
    /// Where `L_u` comes from.
    pub worst: WorstCase,
    /// `B_u` (§7.1), ≤ 0.
    pub basis_contingency: Wad,
    /// `PnL_{u,i}` of every scenario, in the parameter set's order.
    pub scenario_pnl: Vec<Wad>,
    /// `Σ_e MtM_e` of this underlying.
    pub option_mtm: Wad,
    /// `U` (0 without a perp).
    pub perp_mtm: Wad,
    /// §7.2 MM charge: `|N|·S·MMPerpPercent`.
    pub perp_mm: Wad,
    /// §7.2 extra IM charge: `|N|·S·IMPerpPercent`.
    pub perp_im: Wad,
    /// §7.3 MM charge on naked shorts.
    pub option_mm: Wad,
    /// §7.3 extra IM charge on naked shorts.
    pub option_im: Wad,
    /// §7.5 oracle contingency of the perp and the expiries (collateral excluded).
    pub oracle_im: Wad,
    /// Per-expiry figures.
    pub expiries: Vec<ExpiryBreakdown>,
}

/// The whole explanation of one result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortfolioBreakdown {
    /// `f_MM` (§7.6).
    pub mm_loss_factor: Wad,
    /// `f_IM` (§7.6), raised when the stable trades below `pegLossThreshold`.
    pub im_loss_factor: Wad,
    /// `L = Σ_u L_u`, ≤ 0.
    pub worst_loss: Wad,
    /// One entry per underlying, in input order.
    pub underlyings: Vec<UnderlyingBreakdown>,
    /// Σ of the perp MM charges.
    pub perp_mm: Wad,
    /// Σ of the perp extra IM charges.
    pub perp_im: Wad,
    /// Σ of the naked-option MM charges.
    pub option_mm: Wad,
    /// Σ of the naked-option extra IM charges.
    pub option_im: Wad,
    /// §7.4 collateral MM haircuts.
    pub collateral_mm: Wad,
    /// §7.4 collateral extra IM haircuts.
    pub collateral_im: Wad,
    /// §7.5 total oracle contingency (perps, expiries and collateral).
    pub oracle_im: Wad,
    /// `MMcont = perp_mm + option_mm + collateral_mm`, subtracted from MM and IM.
    pub mm_contingency: Wad,
    /// `IMcont = perp_im + option_im + collateral_im + oracle_im`, subtracted from IM only.
    pub im_contingency: Wad,
    /// `C`.
    pub cash_mtm: Wad,
    /// `Σ_u U_u`.
    pub perp_mtm: Wad,
    /// `Σ_u Σ_e MtM_e`.
    pub option_mtm: Wad,
    /// `Σ_c v_c` in stable units.
    pub collateral_mtm: Wad,
}

/// IM, MM and mark-to-market of a portfolio-margin account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PortfolioMargin {
    /// Initial margin `f_IM·L − MMcont − IMcont + MtM` (≥ 0 is healthy).
    pub im: Wad,
    /// Maintenance margin `f_MM·L − MMcont + MtM` (< 0 is liquidatable).
    pub mm: Wad,
    /// `MtM = C + Σ U + Σ MtM_e + Σ v_c`.
    pub mtm: Wad,
    /// How the numbers were made.
    pub breakdown: PortfolioBreakdown,
}
