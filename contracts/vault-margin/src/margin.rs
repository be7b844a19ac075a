//! Margin: the engine call on a built snapshot, the views, the checks, the mode switch and
//! margin calls.
//!
//! * **Engine**: `engines[mode]` (`EngineNotSet(mode)` when unset), static-called with
//!   `margin(bytes)` through `keel_vault_state::engine::margin`; an engine revert is passed
//!   through unchanged (its named errors, e.g. `SnapshotTooManyPositions()`, `InvalidSvi()`),
//!   a malformed answer is `EngineFailed(mode)`. No parameters stored: `RiskParamsNotSet()`.
//! * **`snapshot(id, mode)`**: the exact bytes the engine of `mode` receives (for off-chain
//!   reproduction: `keel_risk::model::snapshot::decode` + `evaluate`).
//! * **`margin(id)`**: the account in its own mode. `initialRequirement = mtm − im`,
//!   `maintenanceRequirement = mtm − mm`, `cash` the stored cash, `unrealisedPnl` the
//!   perpetuals' unsettled PnL plus expired-option values, `positionCount` the stored
//!   positions (expired options included).
//! * **`marginAllModes(id)` is not served here** (the module must fit 24,576 bytes): the
//!   trading module serves it (`keel_vault_trading::all_modes`) from this module's
//!   `margin(id)` and `snapshot(id, 1 | 2)` and the engines' `margin` / `isolatedWhatIf`.
//! * **Free accounts**: an account with no position and non-negative cash has requirement 0
//!   — `requireMargin` passes and `updateMarginCall` reports it outside the band without
//!   calling the engine (as the core's withdrawal check, which does not call this module
//!   then). The views still evaluate it.
//! * **`requireMargin(id, initial)`**: initial → the sequencer must be Up
//!   (`SequencerUnavailable(status)`) and IM ≥ 0 (`BelowInitialMargin(id, im)`); maintenance
//!   → MM ≥ 0 (`BelowMaintenanceMargin(id, mm)`), whatever the sequencer.
//! * **`setMode(id, mode)`**: the account's owner only; unless free, the sequencer must be
//!   Up and the account must meet IM in the new mode (isolated: at most one position,
//!   `IsolatedNeedsOnePosition(id)`). The margin-call flag is `updateMarginCall`'s.
//! * **`updateMarginCall(id)`**: anyone; below IM but at or above MM and not flagged → flag,
//!   `MarginCall(id, im, mm)`; at or above IM and flagged → clear, `MarginCallCleared(id)`.
//!   Returns whether the account is in the band.

use alloc::vec::Vec;

use alloy_primitives::U256;
use alloy_sol_types::{SolError, SolEvent};
use keel_risk::model::snapshot::{MarginMode, Writer, MAGIC, VERSION};
use keel_risk::Wad;
use keel_stylus_common::abi::Word;
use keel_vault_state::abi::*;
use keel_vault_state::engine::{margin, EngineFailure, Margin};
use keel_vault_state::oracle::SEQUENCER_UP;
use keel_vault_state::pack::{account_word, u256_word};
use keel_vault_state::Revert;
use stylus_sdk::prelude::*;

use crate::build::Built;
use crate::{int_word, uint, uword, MarginModule, Result};

/// One mode's margin of an account (the `MarginState` of the interface).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarginView {
    /// The mode.
    pub mode: u8,
    /// IM surplus.
    pub im: Wad,
    /// MM surplus.
    pub mm: Wad,
    /// Mark-to-market.
    pub mtm: Wad,
    /// `mtm − im`.
    pub im_requirement: Wad,
    /// `mtm − mm`.
    pub mm_requirement: Wad,
    /// The engine's worst scenario (`U256::MAX`: none).
    pub worst: U256,
    /// Stored cash.
    pub cash: Wad,
    /// Unrealised perpetual PnL plus expired-option values.
    pub unrealised: Wad,
    /// Stored positions.
    pub positions: u64,
}

impl MarginView {
    fn new(mode: u8, m: &Margin, b: &Built) -> Result<MarginView> {
        let req = |x: Wad| m.mtm.sub(x).map_err(|_| Revert::overflow());
        Ok(MarginView {
            mode,
            im: m.im,
            mm: m.mm,
            mtm: m.mtm,
            im_requirement: req(m.im)?,
            mm_requirement: req(m.mm)?,
            worst: m.worst_scenario,
            cash: b.cash,
            unrealised: b.unrealised,
            positions: b.count as u64,
        })
    }

    /// The ten ABI words of `MarginState`.
    pub fn words(&self) -> [alloy_primitives::B256; 10] {
        [
            uint(self.mode.into()),
            int_word(self.im),
            int_word(self.mm),
            int_word(self.mtm),
            int_word(self.im_requirement),
            int_word(self.mm_requirement),
            self.worst.word(),
            int_word(self.cash),
            int_word(self.unrealised),
            uint(self.positions.into()),
        ]
    }
}

fn check_mode(mode: u8) -> Result<MarginMode> {
    MarginMode::from_u8(mode).ok_or_else(|| Revert::invalid_mode(mode))
}

impl MarginModule {
    /// The stored parameter bytes, or `RiskParamsNotSet()`.
    fn params_bytes(&self) -> Result<Vec<u8>> {
        let p = self.risk_params();
        if p.is_empty() {
            return Err(Revert::named(RiskParamsNotSet::SELECTOR));
        }
        Ok(p)
    }

    /// The snapshot in `mode`: header, `b`'s market and account, the parameter bytes.
    fn encode(mode: MarginMode, b: &Built, params: &[u8]) -> Vec<u8> {
        let mut w = Writer(Vec::with_capacity(
            b.market.len() + b.positions.len() + params.len() + 64,
        ));
        w.0.extend_from_slice(&[MAGIC, VERSION, mode as u8]);
        w.0.extend_from_slice(&b.market);
        w.wad(b.snapshot_cash);
        w.len(b.collateral.len());
        w.wads(&b.collateral);
        w.len(b.open);
        w.0.extend_from_slice(&b.positions);
        w.0.extend_from_slice(params);
        w.0
    }

    /// The engine of `mode`'s answer for `snapshot`.
    fn engine_margin(&self, mode: u8, snapshot: &[u8]) -> Result<Margin> {
        let engine = self.engines.get(mode);
        if engine.is_zero() {
            return Err(Revert::with(
                EngineNotSet::SELECTOR,
                &[uword(u128::from(mode))],
            ));
        }
        margin(self.vm(), engine, snapshot).map_err(|e| match e {
            EngineFailure::Reverted(data) => Revert(data),
            EngineFailure::BadReturn => {
                Revert::with(EngineFailed::SELECTOR, &[uword(u128::from(mode))])
            }
        })
    }

    /// Account `id`'s snapshot in `mode` (existence and the isolated position count checked)
    /// and its parts.
    #[inline(never)]
    fn snapshot_of(&self, id: U256, mode: u8) -> Result<(Vec<u8>, Built)> {
        let params = self.params_bytes()?;
        self.existing(id)?;
        let m = check_mode(mode)?;
        if m == MarginMode::Isolated && self.position_count(id) > 1 {
            return Err(Revert::with(
                IsolatedNeedsOnePosition::SELECTOR,
                &[u256_word(id)],
            ));
        }
        let built = self.build(id)?;
        Ok((Self::encode(m, &built, &params), built))
    }

    /// The snapshot bytes of account `id` in `mode`, exactly as its engine receives them.
    pub fn snapshot_bytes(&self, id: U256, mode: u8) -> Result<Vec<u8>> {
        Ok(self.snapshot_of(id, mode)?.0)
    }

    /// Account `id` margined in `mode`.
    pub fn margin_in(&self, id: U256, mode: u8) -> Result<MarginView> {
        let (bytes, built) = self.snapshot_of(id, mode)?;
        let answer = self.engine_margin(mode, &bytes)?;
        MarginView::new(mode, &answer, &built)
    }

    /// Account `id` margined in its own mode.
    pub fn margin_view(&self, id: U256) -> Result<MarginView> {
        let (_, mode) = self.existing(id)?;
        self.margin_in(id, mode)
    }

    /// No position and no debt: requirement 0, no engine call.
    fn free(&self, id: U256) -> Result<bool> {
        Ok(self.position_count(id) == 0 && !self.cash_of(id)?.is_negative())
    }

    /// IM (`initial`, with the sequencer Up) or MM of account `id` in `mode` must be met;
    /// a free account always passes. The sequencer status is the one the oracle reports
    /// with the snapshot's prices.
    fn check(&self, id: U256, mode: u8, initial: bool) -> Result<()> {
        if self.free(id)? {
            return Ok(());
        }
        let (bytes, built) = self.snapshot_of(id, mode)?;
        if initial && built.sequencer != SEQUENCER_UP {
            return Err(Revert::with(
                SequencerUnavailable::SELECTOR,
                &[uword(u128::from(built.sequencer))],
            ));
        }
        let m = self.engine_margin(mode, &bytes)?;
        let (selector, surplus) = if initial {
            (BelowInitialMargin::SELECTOR, m.im)
        } else {
            (BelowMaintenanceMargin::SELECTOR, m.mm)
        };
        if surplus.is_negative() {
            return Err(Revert::with(
                selector,
                &[u256_word(id), int_word(surplus).0],
            ));
        }
        Ok(())
    }

    /// IM (`initial`) or MM of account `id` in its mode must be met (see the module docs).
    pub fn require_margin(&self, id: U256, initial: bool) -> Result<()> {
        let (_, mode) = self.existing(id)?;
        self.check(id, mode, initial)
    }

    /// Account owner only: moves account `id` to `mode` (see the module docs).
    pub fn set_mode(&mut self, id: U256, mode: u8) -> Result<()> {
        let (owner, _) = self.existing(id)?;
        let caller = self.vm().msg_sender();
        if caller != owner {
            return Err(Revert::id_at(NotAccountOwner::SELECTOR, id, caller));
        }
        check_mode(mode)?;
        // Not free: the margin in `mode` also checks the isolated position count.
        self.check(id, mode, true)?;
        self.accounts.setter(id).set(account_word(owner, mode));
        self.emit(
            &[ModeChanged::SIGNATURE_HASH, u256_word(id).into()],
            &[uword(u128::from(mode))],
        );
        Ok(())
    }

    /// Sets (`MarginCall(id, words…)`) or clears (`MarginCallCleared(id)`) account `id`'s
    /// margin-call flag.
    fn set_flag(&mut self, id: U256, on: bool, words: &[[u8; 32]]) {
        self.margin_call.setter(id).set(on);
        let signature = if on {
            MarginCall::SIGNATURE_HASH
        } else {
            MarginCallCleared::SIGNATURE_HASH
        };
        self.emit(&[signature, u256_word(id).into()], words);
    }

    /// Anyone: records whether account `id` is in the margin-call band (see the module docs).
    pub fn update_margin_call(&mut self, id: U256) -> Result<bool> {
        let (_, mode) = self.existing(id)?;
        let (im, mm) = if self.free(id)? {
            (Wad::ZERO, Wad::ZERO)
        } else {
            let m = self.margin_in(id, mode)?;
            (m.im, m.mm)
        };
        let flagged = self.margin_call.get(id);
        let below_im = im.is_negative();
        let in_band = below_im && !mm.is_negative();
        if (in_band && !flagged) || (!below_im && flagged) {
            let words = [int_word(im).0, int_word(mm).0];
            self.set_flag(id, in_band, if in_band { &words } else { &[] });
        }
        Ok(in_band)
    }
}
