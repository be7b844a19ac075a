//! The on-chain ABI layer: the module's `#[fallback]` matches the selector of each function
//! it serves, reads its arguments from the standard ABI encoding, calls the Rust method of
//! [`MarginModule`] and writes the standard ABI encoding of the result.
//!
//! Arguments are checked as Solidity's decoder checks them: an `address`, `uint8` or `bool`
//! word with bits beyond its type, a `bytes` whose offset or length points outside the
//! calldata, or calldata too short reverts with empty data, as does an unknown selector.
//! A haircut, cap or add-on beyond 128 bits is saturated, so its own bound refuses it.

use alloc::vec::Vec;
use core::cell::Cell;

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolCall;
use keel_stylus_common::abi::Word;
use keel_vault_state::abi::*;
use keel_vault_state::pack::to_u128;
use keel_vault_state::{Collateral, Revert};
use stylus_sdk::ArbResult;

use crate::admin::AddOns;
use crate::{uint, MarginModule, Result};

/// The arguments of a call, read with a sticky failure flag: a missing word or one with bits
/// beyond its type reads as zero and marks the call malformed; [`Args::done`] reports it
/// before anything runs.
struct Args<'a> {
    data: &'a [u8],
    bad: Cell<bool>,
}

impl<'a> Args<'a> {
    fn fail(&self) {
        self.bad.set(true);
    }

    /// The bytes from `at` on (empty and malformed past the end).
    fn from(&self, at: usize) -> &'a [u8] {
        self.data.get(at..).unwrap_or_else(|| {
            self.fail();
            &[]
        })
    }

    /// The word at byte `at`.
    fn word_at(&self, at: usize) -> [u8; 32] {
        let w = self
            .from(at)
            .get(..32)
            .and_then(|x| <[u8; 32]>::try_from(x).ok());
        w.unwrap_or_else(|| {
            self.fail();
            [0; 32]
        })
    }

    /// Word `i`, which must hold at most `bytes` significant bytes.
    fn narrow(&self, i: usize, bytes: usize) -> [u8; 32] {
        self.narrow_at(32 * i, bytes)
    }

    fn u256(&self, i: usize) -> U256 {
        U256::from_be_bytes(self.narrow(i, 32))
    }

    /// A `uint256` saturated to 128 bits.
    fn sat(&self, i: usize) -> u128 {
        to_u128(self.u256(i)).unwrap_or(u128::MAX)
    }

    fn address(&self, i: usize) -> Address {
        Address::from_word(B256::from(self.narrow(i, 20)))
    }

    /// A `uint8` of at most `max` (`bool`: 1).
    fn small(&self, i: usize, max: u8) -> u8 {
        let v = self.narrow(i, 1)[31];
        if v > max {
            self.fail();
        }
        v
    }

    /// The `bytes` argument whose offset is word `i`.
    fn bytes(&self, i: usize) -> &'a [u8] {
        let w = self.narrow(i, 4);
        let at = u32::from_be_bytes([w[28], w[29], w[30], w[31]]) as usize;
        let l = self.narrow_at(at, 4);
        let len = u32::from_be_bytes([l[28], l[29], l[30], l[31]]) as usize;
        self.from(at + 32).get(..len).unwrap_or_else(|| {
            self.fail();
            &[]
        })
    }

    /// The word at byte `at`, which must hold at most `bytes` significant bytes.
    fn narrow_at(&self, at: usize, bytes: usize) -> [u8; 32] {
        let w = self.word_at(at);
        if w.iter()
            .take(32usize.saturating_sub(bytes))
            .any(|&b| b != 0)
        {
            self.fail();
        }
        w
    }

    /// `Err(empty)` when any argument was malformed (as Solidity's decoder reverts).
    fn done(&self) -> Result<()> {
        if self.bad.get() {
            return Err(Revert::empty());
        }
        Ok(())
    }
}

/// Static return words.
fn words(w: &[B256]) -> Vec<u8> {
    let mut out = Vec::with_capacity(32 * w.len());
    for x in w {
        out.extend_from_slice(x.as_slice());
    }
    out
}

/// `bytes` as a return value: offset, length, the bytes padded to whole words.
fn bytes_out(bytes: &[u8]) -> Vec<u8> {
    let padded = bytes.len().div_ceil(32) * 32;
    let mut out = words(&[uint(32), uint(bytes.len() as u128)]);
    out.extend_from_slice(bytes);
    out.resize(64 + padded, 0);
    out
}

const LIST_COLLATERAL: u32 = u32::from_be_bytes(listCollateralCall::SELECTOR);
const COLLATERAL: u32 = u32::from_be_bytes(collateralCall::SELECTOR);
const SET_RISK_PARAMS: u32 = u32::from_be_bytes(setRiskParamsCall::SELECTOR);
const RISK_PARAMS: u32 = u32::from_be_bytes(riskParamsCall::SELECTOR);
const SET_HAIRCUT_ADD_ONS: u32 = u32::from_be_bytes(setHaircutAddOnsCall::SELECTOR);
const HAIRCUT_ADD_ONS: u32 = u32::from_be_bytes(haircutAddOnsCall::SELECTOR);
const SET_LIMITS: u32 = u32::from_be_bytes(setLimitsCall::SELECTOR);
const LIMITS: u32 = u32::from_be_bytes(limitsCall::SELECTOR);
const MARGIN: u32 = u32::from_be_bytes(marginCall::SELECTOR);
const SNAPSHOT: u32 = u32::from_be_bytes(snapshotCall::SELECTOR);
const REQUIRE_MARGIN: u32 = u32::from_be_bytes(requireMarginCall::SELECTOR);
const SET_MODE: u32 = u32::from_be_bytes(setModeCall::SELECTOR);
const UPDATE_MARGIN_CALL: u32 = u32::from_be_bytes(updateMarginCallCall::SELECTOR);

/// Serves one call: the calldata including the selector; the ABI-encoded return or the
/// revert data.
pub fn dispatch(m: &mut MarginModule, calldata: &[u8]) -> ArbResult {
    let Some((selector, args)) = calldata.split_first_chunk::<4>() else {
        return Err(Vec::new());
    };
    let a = Args {
        data: args,
        bad: Cell::new(false),
    };
    route(m, u32::from_be_bytes(*selector), &a).map_err(Into::into)
}

fn route(m: &mut MarginModule, selector: u32, a: &Args) -> Result<Vec<u8>> {
    let none = Vec::new();
    match selector {
        LIST_COLLATERAL => {
            let asset = a.address(0);
            let c = Collateral {
                im_haircut: a.sat(1),
                mm_haircut: a.sat(2),
                asset_cap: a.sat(3),
                account_cap: a.sat(4),
                underlying: a.address(5),
                depeg_guarded: a.small(6, 1) == 1,
                ..Collateral::default()
            };
            a.done()?;
            m.list_collateral(asset, c).map(|_| none)
        }
        COLLATERAL => {
            let asset = a.address(0);
            a.done()?;
            let c = m.state.collateral(asset);
            Ok(words(&[
                uint(c.listed.into()),
                uint(c.decimals.into()),
                uint(c.im_haircut),
                uint(c.mm_haircut),
                uint(c.asset_cap),
                uint(c.account_cap),
                c.underlying.word(),
                uint(c.depeg_guarded.into()),
                c.total.word(),
            ]))
        }
        SET_RISK_PARAMS => {
            let params = a.bytes(0);
            a.done()?;
            m.set_risk_params(params).map(|_| none)
        }
        RISK_PARAMS => Ok(bytes_out(&m.risk_params())),
        SET_HAIRCUT_ADD_ONS => {
            let x = AddOns {
                vol_floor: a.sat(0),
                vol_slope: a.sat(1),
                confidence_slope: a.sat(2),
            };
            a.done()?;
            m.set_haircut_add_ons(x).map(|_| none)
        }
        HAIRCUT_ADD_ONS => {
            let x = m.haircut_add_ons();
            Ok(words(&[
                uint(x.vol_floor),
                uint(x.vol_slope),
                uint(x.confidence_slope),
            ]))
        }
        SET_LIMITS => {
            let (p, e) = (a.small(0, u8::MAX), a.small(1, u8::MAX));
            a.done()?;
            m.set_limits(p, e).map(|_| none)
        }
        LIMITS => {
            let (p, e) = m.limits_of();
            Ok(words(&[uint(p.into()), uint(e.into())]))
        }
        _ => {
            let id = a.u256(0);
            match selector {
                MARGIN => {
                    a.done()?;
                    Ok(words(&m.margin_view(id)?.words()))
                }
                SNAPSHOT => {
                    let mode = a.small(1, u8::MAX);
                    a.done()?;
                    Ok(bytes_out(&m.snapshot_bytes(id, mode)?))
                }
                REQUIRE_MARGIN => {
                    let initial = a.small(1, 1) == 1;
                    a.done()?;
                    m.require_margin(id, initial).map(|_| none)
                }
                SET_MODE => {
                    let mode = a.small(1, u8::MAX);
                    a.done()?;
                    m.set_mode(id, mode).map(|_| none)
                }
                UPDATE_MARGIN_CALL => {
                    a.done()?;
                    Ok(words(&[uint(m.update_margin_call(id)?.into())]))
                }
                _ => Err(Revert::empty()),
            }
        }
    }
}

// `#[public]` generates undocumented items.
#[allow(missing_docs)]
#[cfg(not(feature = "export-abi"))]
mod entry {
    use super::{dispatch, MarginModule};
    use stylus_sdk::prelude::*;
    use stylus_sdk::ArbResult;
    // `vec!`/`Vec` are used by the code `#[public]` generates.
    #[allow(unused_imports)]
    use alloc::{vec, vec::Vec};

    #[public]
    impl MarginModule {
        /// Serves every function of the module (see the module docs).
        #[fallback]
        pub fn fallback(&mut self, calldata: &[u8]) -> ArbResult {
            dispatch(self, calldata)
        }
    }
}
