//! The on-chain ABI layer: the module's `#[fallback]` matches the selector of each function
//! it serves, reads its arguments from the standard ABI encoding (checked as Solidity's
//! decoder checks them: a `uint64` word with higher bits, or calldata too short, reverts with
//! empty data, as does an unknown selector), calls the Rust method of [`LiquidationModule`]
//! and writes the standard ABI encoding of the result.

use alloc::vec::Vec;

use alloy_primitives::{I256, U256};
use alloy_sol_types::SolCall;
use stylus_sdk::ArbResult;

use crate::contract::LiquidationModule;
use keel_stylus_common::abi::{Calldata, Encoder as Out};
use keel_vault_state::abi::*;
use keel_vault_state::Revert;

type Result<T> = core::result::Result<T, Revert>;

type Args<'a> = Calldata<'a, Revert>;

/// A raw `uint256`.
fn u256(a: &Args, i: usize) -> Result<U256> {
    Ok(U256::from_be_bytes(*a.word(i)?))
}

fn unit(r: Result<()>) -> Result<Out> {
    r.map(|()| Out::new(0))
}

/// Serves one call: the calldata including the selector; the ABI-encoded return or the
/// revert data.
pub fn dispatch(c: &mut LiquidationModule, calldata: &[u8]) -> ArbResult {
    let Some((selector, args)) = calldata.split_first_chunk::<4>() else {
        return Err(Vec::new());
    };
    route(c, *selector, &Args::new(args))
        .map(Out::into_vec)
        .map_err(Into::into)
}

fn route(c: &mut LiquidationModule, selector: [u8; 4], a: &Args) -> Result<Out> {
    match selector {
        bidCall::SELECTOR => {
            let max = I256::from_raw(u256(a, 3)?);
            let (filled, payment) = c.bid(u256(a, 0)?, u256(a, 1)?, u256(a, 2)?, max)?;
            Ok(Out::new(2).word(filled).word(payment))
        }
        startAuctionCall::SELECTOR => unit(c.start_auction(u256(a, 0)?)),
        endAuctionCall::SELECTOR => unit(c.end_auction(u256(a, 0)?)),
        auctionCall::SELECTOR => {
            let (active, started, discount) = c.auction(u256(a, 0)?);
            Ok(Out::new(3).word(active).word(started).word(discount))
        }
        fundInsuranceCall::SELECTOR => unit(c.fund_insurance(u256(a, 0)?).map(|_| ())),
        insuranceFundCall::SELECTOR => Ok(Out::new(1).word(c.insurance_fund())),
        socialisedLossCall::SELECTOR => {
            let (total, index) = c.socialised_loss();
            Ok(Out::new(2).word(total).word(index))
        }
        setLiquidationParamsCall::SELECTOR => {
            unit(c.set_liquidation_params(u256(a, 0)?, u256(a, 1)?, a.u64(2)?, u256(a, 3)?))
        }
        liquidationParamsCall::SELECTOR => {
            let p = c.params();
            Ok(Out::new(4)
                .word(p.start)
                .word(p.end)
                .word(p.duration)
                .word(p.buffer))
        }
        _ => Err(Revert::empty()),
    }
}

// `#[public]` generates undocumented items.
#[allow(missing_docs)]
#[cfg(not(feature = "export-abi"))]
mod entry {
    use super::{dispatch, LiquidationModule};
    use stylus_sdk::prelude::*;
    use stylus_sdk::ArbResult;
    // `vec!`/`Vec` are used by the code `#[public]` generates.
    #[allow(unused_imports)]
    use alloc::{vec, vec::Vec};

    #[public]
    impl LiquidationModule {
        /// Serves every function of the module (see the module docs).
        #[fallback]
        pub fn fallback(&mut self, calldata: &[u8]) -> ArbResult {
            dispatch(self, calldata)
        }
    }
}
