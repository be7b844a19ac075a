//! The on-chain ABI layer: the contract's `#[fallback]` matches the selector of each function
//! of the `sol!` block, reads its arguments from the standard ABI encoding, calls the Rust
//! method of [`MarginVault`] and writes the standard ABI encoding of the result.
//!
//! Arguments are checked as Solidity's decoder checks them: an `address`, `uint8` or `bool`
//! word with bits beyond its type, or calldata too short, reverts with empty data, as does an
//! unknown selector. A haircut or cap that does not fit 128 bits is reported by the listing's
//! own bound error (`InvalidHaircuts`, `InvalidCaps`). Trailing calldata is ignored.

use alloc::vec::Vec;

use alloy_primitives::U256;
use alloy_sol_types::SolCall;
use stylus_sdk::ArbResult;

use crate::contract::MarginVault;
use keel_stylus_common::abi::{Calldata, Encoder as Out};
use keel_vault_state::abi::*;
use keel_vault_state::module::delegate;
use keel_vault_state::{Module, Revert};

type Result<T> = core::result::Result<T, Revert>;

/// The arguments of a call: keel-stylus-common's checked reader, plus the vault's own
/// argument types.
type Args<'a> = Calldata<'a, Revert>;

/// A raw `uint256` (ids and token amounts, which need not fit a wad).
fn u256(a: &Args, i: usize) -> Result<U256> {
    Ok(U256::from_be_bytes(*a.word(i)?))
}

/// A `uint8`.
fn u8_arg(a: &Args, i: usize) -> Result<u8> {
    Ok(a.uint(i, 1)? as u8)
}

fn unit(r: Result<()>) -> Result<Out> {
    r.map(|()| Out::new(0))
}

/// Serves one call: the calldata including the selector; the ABI-encoded return or the
/// revert data.
pub fn dispatch(c: &mut MarginVault, calldata: &[u8]) -> ArbResult {
    let Some((selector, args)) = calldata.split_first_chunk::<4>() else {
        return Err(Vec::new());
    };
    if let Some(module) = Module::of(*selector) {
        let to = c.module_address(module)?;
        return Ok(delegate(c, to, calldata)?);
    }
    route(c, *selector, &Args::new(args))
        .map(Out::into_vec)
        .map_err(Into::into)
}

fn route(c: &mut MarginVault, selector: [u8; 4], a: &Args) -> Result<Out> {
    match selector {
        depositCall::SELECTOR => unit(
            c.deposit(u256(a, 0)?, a.address(1)?, u256(a, 2)?)
                .map(|_| ()),
        ),
        withdrawCall::SELECTOR => unit(
            c.withdraw(u256(a, 0)?, a.address(1)?, u256(a, 2)?, a.address(3)?)
                .map(|_| ()),
        ),
        collateralBalanceCall::SELECTOR => {
            Ok(Out::new(1).word(c.collateral_balance(u256(a, 0)?, a.address(1)?)))
        }
        accountAssetsCall::SELECTOR => {
            let list = c.account_assets(u256(a, 0)?);
            let mut out = Out::new(2 + list.len())
                .word(32u128)
                .word(list.len() as u128);
            for asset in list {
                out = out.word(asset);
            }
            Ok(out)
        }
        openAccountCall::SELECTOR => Ok(Out::new(1).word(c.open_account(u8_arg(a, 0)?)?)),
        accountCountCall::SELECTOR => Ok(Out::new(1).word(c.account_count())),
        accountCall::SELECTOR => {
            let (owner, mode) = c.account(u256(a, 0)?);
            Ok(Out::new(2).word(owner).word(mode))
        }
        setOperatorCall::SELECTOR => {
            unit(c.set_operator(u256(a, 0)?, a.address(1)?, a.boolean(2)?))
        }
        isOperatorCall::SELECTOR => Ok(Out::new(1).word(c.is_operator(u256(a, 0)?, a.address(1)?))),
        ownerCall::SELECTOR => Ok(Out::new(1).word(c.owner())),
        pendingOwnerCall::SELECTOR => Ok(Out::new(1).word(c.pending_owner())),
        transferOwnershipCall::SELECTOR => unit(c.transfer_ownership(a.address(0)?)),
        acceptOwnershipCall::SELECTOR => unit(c.accept_ownership()),
        riskAdminCall::SELECTOR => Ok(Out::new(1).word(c.risk_admin())),
        guardianCall::SELECTOR => Ok(Out::new(1).word(c.guardian())),
        setRiskAdminCall::SELECTOR => unit(c.set_risk_admin(a.address(0)?)),
        setGuardianCall::SELECTOR => unit(c.set_guardian(a.address(0)?)),
        pausedCall::SELECTOR => Ok(Out::new(1).word(c.paused())),
        pauseCall::SELECTOR => unit(c.pause()),
        unpauseCall::SELECTOR => unit(c.unpause()),
        oracleAdapterCall::SELECTOR => Ok(Out::new(1).word(c.oracle_adapter())),
        depegGuardCall::SELECTOR => Ok(Out::new(1).word(c.depeg_guard())),
        engineCall::SELECTOR => Ok(Out::new(1).word(c.engine(u8_arg(a, 0)?)?)),
        setOracleAdapterCall::SELECTOR => unit(c.set_oracle_adapter(a.address(0)?)),
        setDepegGuardCall::SELECTOR => unit(c.set_depeg_guard(a.address(0)?)),
        setEngineCall::SELECTOR => unit(c.set_engine(u8_arg(a, 0)?, a.address(1)?)),
        moduleCall::SELECTOR => Ok(Out::new(1).word(c.module(u8_arg(a, 0)?)?)),
        setModuleCall::SELECTOR => unit(c.set_module(u8_arg(a, 0)?, a.address(1)?)),
        settlementAssetCall::SELECTOR => Ok(Out::new(1).word(c.settlement_asset.get())),
        setSettlementAssetCall::SELECTOR => unit(c.set_settlement_asset(a.address(0)?)),
        cashCall::SELECTOR => Ok(Out::new(1).word(c.cash_of(u256(a, 0)?)?)),
        _ => Err(Revert::empty()),
    }
}

// `#[public]` generates undocumented items.
#[allow(missing_docs)]
#[cfg(not(feature = "export-abi"))]
mod entry {
    use super::{dispatch, MarginVault, Revert};
    use alloy_primitives::Address;
    use stylus_sdk::prelude::*;
    use stylus_sdk::ArbResult;
    // `vec!`/`Vec` are used by the code `#[public]` generates.
    #[allow(unused_imports)]
    use alloc::{vec, vec::Vec};

    #[public]
    impl MarginVault {
        /// `constructor(address owner)`: sets the owner.
        #[constructor]
        pub fn constructor(&mut self, owner: Address) -> core::result::Result<(), Revert> {
            self.init(owner)
        }

        /// Serves every function of the interface (see the module docs).
        #[fallback]
        pub fn fallback(&mut self, calldata: &[u8]) -> ArbResult {
            dispatch(self, calldata)
        }
    }
}
