//! `marginAllModes(id)`: the capital-efficiency view — account `id` margined as if in each of
//! the three modes, whatever its own. (Served here because the margin module has no room
//! left; everything but the engine calls is the margin module's, reached by `delegatecall`.)
//!
//! * `margin(id)` of the margin module: the account's existence, the mode-independent fields
//!   `cash`, `unrealisedPnl`, `positionCount`; its errors pass through (it margins the account
//!   in its own mode, so that mode's engine must answer too);
//! * `snapshot(id, 1)` and `snapshot(id, 2)` of the margin module (ABI `bytes`, checked: offset
//!   32, length inside the answer);
//! * **isolated** (mode 0): the cross engine (`engines[1]`) `isolatedWhatIf(bytes)` of the
//!   cross snapshot — cash and collateral margined with no position, plus each position
//!   margined alone, all in the cross model, summed (`keel_risk::model::snapshot::
//!   isolated_what_if`): what the account would need with every position in an isolated
//!   account of its own. For an account with at most one position it is the cross margin of
//!   the account, which is what the vault's isolated mode computes;
//! * **cross** (mode 1): `engines[1]` `margin(bytes)` of the cross snapshot;
//! * **portfolio** (mode 2): `engines[2]` `margin(bytes)` of the portfolio snapshot.
//!
//! Each state: `initialRequirement = markToMarket − initialMargin`, `maintenanceRequirement =
//! markToMarket − maintenanceMargin` (`WadOverflow()` beyond a wad), `worstScenario` the
//! engine's. An unset engine is `EngineNotSet(mode)` and an answer that is not four words of
//! wads `EngineFailed(mode)`, with the engine's mode (1 for the isolated what-if too); an
//! engine's revert data passes through unchanged. A margin-module answer that does not decode
//! reverts with empty data (a value beyond a wad: `WadOverflow()`).

use alloc::vec::Vec;

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolError};
use keel_risk::Wad;
use keel_stylus_common::abi::Calldata;
use keel_vault_state::abi::*;
use keel_vault_state::engine::{decode_margin, margin, margin_calldata, EngineFailure, Margin};
use keel_vault_state::module::delegate;
use keel_vault_state::pack::{u256_word, uint_word};
use keel_vault_state::{Module, Revert};
use stylus_sdk::call::static_call;
use stylus_sdk::prelude::*;
use stylus_sdk::stylus_core::calls::Call;

use crate::contract::{Result, TradingModule};

/// `isolatedWhatIf(bytes)` of the cross engine (`abi/ICrossEngine.sol`).
pub const ISOLATED_WHAT_IF_SELECTOR: [u8; 4] = [0xdb, 0x19, 0xb5, 0x18];

/// The calldata of `isolatedWhatIf(snapshot)`: `margin(snapshot)`'s with the other selector
/// (same argument encoding).
pub fn isolated_what_if_calldata(snapshot: &[u8]) -> Vec<u8> {
    let mut data = margin_calldata(snapshot);
    data[..4].copy_from_slice(&ISOLATED_WHAT_IF_SELECTOR);
    data
}

/// Static-calls `engine.isolatedWhatIf(snapshot)` (the sibling of
/// `keel_vault_state::engine::margin`; same answer, same failures).
pub fn isolated_what_if(
    host: &dyn Host,
    engine: Address,
    snapshot: &[u8],
) -> core::result::Result<Margin, EngineFailure> {
    let out = static_call(
        host,
        Call::new(),
        engine,
        &isolated_what_if_calldata(snapshot),
    )
    .map_err(|e| {
        EngineFailure::Reverted(match e {
            stylus_sdk::stylus_core::calls::errors::Error::Revert(data) => data,
            _ => Vec::new(),
        })
    })?;
    decode_margin(&out)
}

/// One mode's `MarginState` without the mode-independent fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ModeMargin {
    /// 0 isolated (what-if), 1 cross, 2 portfolio.
    pub mode: u8,
    /// The engine's answer.
    pub margin: Margin,
    /// `mtm − im`.
    pub initial_requirement: Wad,
    /// `mtm − mm`.
    pub maintenance_requirement: Wad,
}

/// The three states of `marginAllModes` and the fields they share.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AllModes {
    /// Isolated what-if, cross, portfolio.
    pub modes: [ModeMargin; 3],
    /// Stored cash.
    pub cash: Wad,
    /// Unrealised perpetual PnL plus expired-option values.
    pub unrealised: Wad,
    /// Stored positions.
    pub position_count: u64,
}

impl ModeMargin {
    fn new(mode: u8, margin: Margin) -> Result<ModeMargin> {
        let req = |x: Wad| margin.mtm.sub(x).map_err(|_| Revert::overflow());
        Ok(ModeMargin {
            mode,
            margin,
            initial_requirement: req(margin.im)?,
            maintenance_requirement: req(margin.mm)?,
        })
    }
}

/// An engine's answer, or its revert data, or `EngineFailed(mode)` (`mode` the engine's).
fn answered(mode: u8, m: core::result::Result<Margin, EngineFailure>) -> Result<Margin> {
    m.map_err(|e| match e {
        EngineFailure::Reverted(data) => Revert(data),
        EngineFailure::BadReturn => {
            Revert::with(EngineFailed::SELECTOR, &[uint_word(u128::from(mode))])
        }
    })
}

impl TradingModule {
    /// `engines[mode]`, or `EngineNotSet(mode)`.
    fn engine_of(&self, mode: u8) -> Result<Address> {
        let engine = self.engines.get(mode);
        if engine.is_zero() {
            return Err(Revert::with(
                EngineNotSet::SELECTOR,
                &[uint_word(u128::from(mode))],
            ));
        }
        Ok(engine)
    }

    /// The margin module's `snapshot(id, mode)`, its `bytes` return checked.
    fn snapshot_bytes(&mut self, to: Address, id: U256, mode: u8) -> Result<Vec<u8>> {
        let call = Revert::with(
            snapshotCall::SELECTOR,
            &[u256_word(id), uint_word(u128::from(mode))],
        )
        .0;
        let out = delegate(self, to, &call)?;
        let words = Calldata::<Revert>::new(&out);
        if words.uint(0, 1)? != 32 {
            return Err(Revert::empty());
        }
        let len = words.uint(1, 4)? as usize;
        64usize
            .checked_add(len)
            .and_then(|end| out.get(64..end))
            .map(<[u8]>::to_vec)
            .ok_or_else(Revert::empty)
    }

    /// Account `id` margined in all three modes (see the module docs).
    pub fn margin_all_modes(&mut self, id: U256) -> Result<AllModes> {
        let to = self.module_address(Module::Margin)?;
        let call = Revert::with(marginCall::SELECTOR, &[u256_word(id)]).0;
        let out = delegate(self, to, &call)?;
        // Ten static `MarginState` words: mode, IM, MM, mtm, the two requirements, worst
        // scenario, cash, unrealised PnL, position count.
        let words = Calldata::<Revert>::new(&out);
        let (cash, unrealised, position_count) = (words.swad(7)?, words.swad(8)?, words.u64(9)?);
        let cross = self.snapshot_bytes(to, id, 1)?;
        let portfolio = self.snapshot_bytes(to, id, 2)?;
        let cross_engine = self.engine_of(1)?;
        let portfolio_engine = self.engine_of(2)?;
        let host = self.vm();
        Ok(AllModes {
            modes: [
                ModeMargin::new(
                    0,
                    answered(1, isolated_what_if(host, cross_engine, &cross))?,
                )?,
                ModeMargin::new(1, answered(1, margin(host, cross_engine, &cross))?)?,
                ModeMargin::new(2, answered(2, margin(host, portfolio_engine, &portfolio))?)?,
            ],
            cash,
            unrealised,
            position_count,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_selector_is_isolated_what_if_bytes() {
        let h = alloy_primitives::keccak256(b"isolatedWhatIf(bytes)");
        assert_eq!(ISOLATED_WHAT_IF_SELECTOR, [h[0], h[1], h[2], h[3]]);
    }

    #[test]
    fn calldata_is_the_standard_abi_encoding() {
        use alloy_sol_types::sol;
        sol! {
            function isolatedWhatIf(bytes snapshot) external view
                returns (int256 im, int256 mm, int256 mtm, uint256 worstScenario);
        }
        for len in [0usize, 1, 31, 32, 33, 700] {
            let snapshot: Vec<u8> = (0..len).map(|i| (i * 7) as u8).collect();
            let expected = isolatedWhatIfCall {
                snapshot: snapshot.clone().into(),
            }
            .abi_encode();
            assert_eq!(isolated_what_if_calldata(&snapshot), expected, "len {len}");
        }
    }
}
