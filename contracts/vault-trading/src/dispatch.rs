//! The on-chain ABI layer: the module's `#[fallback]` matches the selector of each function it
//! serves, reads the arguments from the standard ABI encoding, calls the Rust method of
//! [`TradingModule`] and writes the standard ABI encoding of the result.
//!
//! Arguments are checked as Solidity's decoder checks them (bits beyond an `address`, `uint8`,
//! `uint64` or `bool`, or calldata too short: empty revert data, as for an unknown selector).
//! A trade's `size` beyond `int128` or `price`/fees beyond `2¹²⁷` revert `WadOverflow()`; a
//! `stressVol` or `ratePerSecond` beyond them is out of its bound (`InvalidParameter`), a
//! strike beyond 128 bits is `InvalidInstrument(0)`. Trailing calldata is ignored.

use alloc::vec::Vec;

use alloy_primitives::{I256, U256};
use alloy_sol_types::SolCall;
use keel_risk::Wad;
use keel_stylus_common::abi::{Calldata, Encoder as Out};
use keel_stylus_common::convert::i256_to_i128;
use keel_vault_state::abi::*;
use keel_vault_state::Revert;
use stylus_sdk::ArbResult;

use crate::contract::{TradeArgs, TradingModule};

type Result<T> = core::result::Result<T, Revert>;

type Args<'a> = Calldata<'a, Revert>;

/// A raw `uint256`.
fn u256(a: &Args, i: usize) -> Result<U256> {
    Ok(U256::from_be_bytes(*a.word(i)?))
}

/// An `int256` as a wad, or [`Wad::MAX`] when it does not fit (so a bound refuses it).
fn swad_or_max(a: &Args, i: usize) -> Result<Wad> {
    let raw = i256_to_i128(I256::from_raw(u256(a, i)?));
    Ok(raw.map_or(Wad::MAX, Wad::from_raw))
}

fn unit(r: Result<()>) -> Result<Out> {
    r.map(|()| Out::new(0))
}

/// Serves one call: the calldata including the selector; the ABI-encoded return or the
/// revert data.
pub fn dispatch(c: &mut TradingModule, calldata: &[u8]) -> ArbResult {
    let Some((selector, args)) = calldata.split_first_chunk::<4>() else {
        return Err(Vec::new());
    };
    route(c, *selector, &Args::new(args), calldata)
        .map(Out::into_vec)
        .map_err(Into::into)
}

fn route(c: &mut TradingModule, selector: [u8; 4], a: &Args, calldata: &[u8]) -> Result<Out> {
    match selector {
        settleTradeCall::SELECTOR => {
            let t = TradeArgs {
                instrument: u256(a, 0)?,
                taker: u256(a, 1)?,
                maker: u256(a, 2)?,
                size: a.swad(3)?,
                price: a.uwad(4)?,
                taker_fee: a.uwad(5)?,
                maker_fee: a.uwad(6)?,
            };
            unit(c.settle_trade(&t, calldata))
        }
        positionsCall::SELECTOR => {
            let list = c.positions(u256(a, 0)?);
            let mut out = Out::new(2 + 3 * list.len())
                .word(32u128)
                .word(list.len() as u128);
            for p in list {
                out = out.word(p.instrument).word(p.size).word(p.basis);
            }
            Ok(out)
        }
        realiseCall::SELECTOR => unit(c.realise(u256(a, 0)?)),
        settleOptionsCall::SELECTOR => unit(c.settle_options(u256(a, 0)?)),
        setFundingRateCall::SELECTOR => unit(c.set_funding_rate(a.address(0)?, swad_or_max(a, 1)?)),
        fundingCall::SELECTOR => {
            let (index, rate, updated) = c.funding(a.address(0)?)?;
            Ok(Out::new(3).word(index).word(rate).word(updated))
        }
        instrumentIdCall::SELECTOR => Ok(Out::new(1).word(c.instrument_id(
            a.address(0)?,
            a.uint(1, 1)? as u8,
            a.u64(2)?,
            u256(a, 3)?,
        )?)),
        instrumentCall::SELECTOR => {
            let (underlying, i) = c.instrument(u256(a, 0)?)?;
            Ok(Out::new(4)
                .word(underlying)
                .word(i.kind)
                .word(i.expiry)
                .word(i.strike))
        }
        listUnderlyingCall::SELECTOR => {
            Ok(Out::new(1).word(c.list_underlying(a.address(0)?, u256(a, 1)?)?))
        }
        underlyingsCall::SELECTOR => {
            let list = c.underlyings();
            let mut out = Out::new(2 + list.len())
                .word(32u128)
                .word(list.len() as u128);
            for asset in list {
                out = out.word(asset);
            }
            Ok(out)
        }
        setMarketCall::SELECTOR => unit(c.set_market(a.address(0)?, a.boolean(1)?)),
        marginAllModesCall::SELECTOR => {
            let all = c.margin_all_modes(u256(a, 0)?)?;
            let mut out = Out::new(30);
            for m in all.modes {
                out = out
                    .word(m.mode)
                    .word(m.margin.im)
                    .word(m.margin.mm)
                    .word(m.margin.mtm)
                    .word(m.initial_requirement)
                    .word(m.maintenance_requirement)
                    .word(m.margin.worst_scenario)
                    .word(all.cash)
                    .word(all.unrealised)
                    .word(all.position_count);
            }
            Ok(out)
        }
        isMarketCall::SELECTOR => Ok(Out::new(1).word(c.is_market(a.address(0)?))),
        _ => Err(Revert::empty()),
    }
}

// `#[public]` generates undocumented items.
#[allow(missing_docs)]
#[cfg(not(feature = "export-abi"))]
mod entry {
    use super::{dispatch, TradingModule};
    use stylus_sdk::prelude::*;
    use stylus_sdk::ArbResult;
    // `vec!`/`Vec` are used by the code `#[public]` generates.
    #[allow(unused_imports)]
    use alloc::{vec, vec::Vec};

    #[public]
    impl TradingModule {
        /// Serves every function of the module (see the module docs).
        #[fallback]
        pub fn fallback(&mut self, calldata: &[u8]) -> ArbResult {
            dispatch(self, calldata)
        }
    }
}
