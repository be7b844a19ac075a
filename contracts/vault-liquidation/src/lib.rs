//! # keel-vault-liquidation
//!
//! The liquidation module of Keel's margin vault: Dutch auctions of accounts below
//! maintenance margin, keeper bids for fractions of them, the insurance fund and the
//! socialisation of losses it cannot cover. The vault core forwards the module's selectors
//! to it with `delegatecall` (`keel_vault_state::Module::Liquidation`), so it runs on the
//! vault's storage ([`keel_vault_state::VaultState`]) with the caller's `msg.sender`. It owns
//! the `liquidation` (parameters), `auctions`, `insurance` and `socialised` fields, and moves
//! holdings between accounts (positions, collateral balances, cash).
//!
//! **Liquidation is never blocked by pause**, nor by the sequencer's grace period or by
//! ageing-but-valid oracle data: nothing here checks pause, and margins are read with the
//! margin module's `margin(id)` view, never with `requireMargin` (which refuses during grace).
//!
//! ## Parameters
//!
//! `setLiquidationParams` (risk admin) stores `startDiscount`, `endDiscount`, `duration`,
//! `buffer` in the four words of `liquidation`; `InvalidParameter(code)` when
//! `endDiscount > 0.5` (code 26), `startDiscount > endDiscount` (27), `duration` outside
//! [60 s, 7 days] (28) or `buffer > 1` (29) — the first failing in that order (codes unique
//! across the vault's modules). Until set
//! (`duration` word 0) the defaults [`Params::DEFAULT`] apply: 2 % rising to 15 % over
//! 1,800 s, buffer 10 %. `liquidationParams()` returns the parameters in force.
//!
//! ## Margin numbers
//!
//! From the margin module's `margin(id)` (a `delegatecall`; its ten static `MarginState`
//! words decoded and checked here): `V = markToMarket`, `MM = maintenanceMargin` (surplus),
//! and the maintenance requirement taken as `R = V − MM`, so that whatever the margin model
//! counts against the account (haircuts included) is requirement, and the fill cap below
//! uses the same numbers. An account is **at the buffer** when `MM ≥ b·R`.
//!
//! ## Auctions
//!
//! * `startAuction(id)` — anyone, for an existing account with `MM < 0`
//!   (`AboveMaintenanceMargin(id, mm)` otherwise; `AuctionAlreadyActive(id)` when one runs).
//!   Records the start time in `auctions[id]`.
//! * The discount grows linearly: `d(t) = start + (end − start) · min(1, elapsed / duration)`
//!   (`auction(id)`: active, start time, discount now).
//! * An auction lives only while its account is below maintenance margin. **A cure ends it**:
//!   `endAuction(id)` — anyone — ends a running auction of an account at or above
//!   maintenance margin (`MM ≥ 0`) or holding nothing (no position, no collateral, zero cash);
//!   `BelowMaintenanceMargin(id, mm)` otherwise. A bid that leaves the account so ends the
//!   auction itself, and so do the account's own deposits (core) and trades (trading module),
//!   through `keel_vault_state::module::end_auction_if_cured`. Any other cure (a price move, a
//!   mode switch) is recorded by whoever calls `endAuction` — meanwhile no bid is accepted.
//!
//! ## Bids
//!
//! `bid(id, bidder, fraction, maxPayment)`: the caller is the owner or an operator of account
//! `bidder ≠ id`, `0 < fraction ≤ 1`. **No self-liquidation**: the bidder account's owner
//! must differ from the liquidated account's, and the caller must not be that owner (acting
//! as another account's operator) — `SelfLiquidation(id)`; an operator shared by both
//! accounts may bid (the bonus is the bidder account owner's). **Only below maintenance
//! margin**: an account at or above it is refused (`AboveMaintenanceMargin`; anyone may end
//! the auction). The bidder takes `filled` of every holding of the account — each position's
//! size and basis (merged into its own position in the instrument; the bidder's position
//! limits apply, an isolated bidder may hold one position), each collateral balance (within
//! the bidder's per-account cap: `AccountCapExceeded`), the cash — and pays. Depeg-guarded
//! collateral the guard cannot assess at the time of the bid is **not taken**: the margin the
//! bid is priced on values it at zero, so selling it would give it away; it stays with the
//! account (valued again once the guard answers).
//!
//! * `V > 0`: `payment = filled · V · (1 − d)`, from the bidder's cash to the account's;
//! * `V ≤ 0`: `owed = filled · V · (1 + d) ≤ 0`: the bidder is **paid** from the insurance
//!   fund as far as it goes (`InsurancePaid`), the rest socialised over every positive cash
//!   balance as far as the socialisation index allows (`VaultState::socialise`,
//!   `LossSocialised(id, amount, index)`, run before the credit), and credited **only what
//!   those two covered** — never cash the vault does not hold; `payment` is minus that
//!   credit (0 with an empty fund and no positive cash).
//!
//! `payment > maxPayment` is `PaymentAboveLimit` (checked on the payment as made). Afterwards
//! the bidder must meet initial margin (`margin(bidder).initialMargin ≥ 0`, else
//! `BelowInitialMargin`), and the auction ends when the account, re-read, is at or above
//! maintenance margin or empty.
//!
//! ### The fill cap
//!
//! A bid may not take more than brings the account back to the buffer. Requirements are
//! homogeneous of degree 1 in a uniform scaling of the account (taking the same fraction of
//! every holding scales the requirement by the fraction left), so after selling `f` at
//! `f · V · (1 − d)` the account holds value `V − f·V + f·V·(1 − d) = V − f·V·d` against the
//! requirement `(1 − f)·R`. It is at the buffer when value − requirement = `b` × requirement:
//!
//! ```text
//! V − f·V·d = (1 + b)(1 − f)·R
//! f·(R(1 + b) − V·d) = R(1 + b) − V
//! f_max = (R(1 + b) − V) / (R(1 + b) − V·d)
//! ```
//!
//! Below the buffer `V − R < b·R`, i.e. `R(1 + b) > V`, so the numerator is positive, and for
//! `V > 0` the denominator exceeds it by `V·(1 − d) > 0`: `f_max ∈ (0, 1)`. For `V ≤ 0` no
//! partial sale helps (the rest keeps a non-positive value against a positive requirement),
//! so `f_max = 1`. `filled = min(fraction, f_max)`.
//!
//! ### Rounding
//!
//! Every rounding goes against the bidder, so value never leaves the account beyond the
//! discount: the discount is rounded down; `f_max` up (a fill of it reaches the buffer, and
//! each part of the fill is paid for at the same discounted price); the payment toward +∞
//! (a bidder pays at least, or is paid at most, the exact amount); collateral balances move
//! rounded down and cash rounded toward −∞ (the bidder takes at most the exact positive cash
//! and at least the exact debt). Position sizes and bases are truncated toward zero; what a
//! truncation leaves stays with the account (less than one wei of size and of basis per
//! position). When a merged position's size reaches zero with a basis left, that basis is
//! realised into the holder's cash (`−basis` is the unrealised P&L of a zero size, by the
//! `Position` convention), so no value is dropped. Every operation is checked:
//! `WadOverflow()` on overflow.
//!
//! ## Insurance fund
//!
//! `fundInsurance(amount)` — anyone, also while paused: the settlement asset moves from the
//! caller into the vault under the reentrancy lock; what arrived (balance difference, so a
//! fee-on-transfer token is credited the net amount, in 18 decimals as
//! `keel_vault_state::amount` converts) is added to `insurance` — not to an account, not to
//! the asset's deposit total. `insuranceFund()` reads it; `socialisedLoss()` returns the total
//! socialised and the cash index. Payments out of the fund credit the bidder's cash (the
//! asset's deposit total is not changed: it counts deposits, for the cap).
//!
//! ## Size
//! Calls arrive through `#[fallback]` and a hand-written dispatcher ([`dispatch`]); events go
//! through `raw_log`, errors are selector + words. With `export-abi` the functions are typed
//! `#[public]` methods (module `export`).

#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(target_arch = "wasm32", no_std)]
#![warn(missing_docs)]

extern crate alloc;

pub mod contract;
pub mod dispatch;
#[cfg(feature = "export-abi")]
pub mod export;

pub use contract::{requirement, LiquidationModule};
pub use dispatch::dispatch;
pub use keel_risk::liquidation::Params;
