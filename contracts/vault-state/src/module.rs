//! The vault's modules: which contract serves each function of the interface, the
//! `delegatecall` that forwards a call to it, and the margin module's `margin(id)` as the
//! trading and liquidation modules read it ([`margin_of`]).

use alloc::vec::Vec;

use alloy_primitives::{Address, U256};

use alloy_sol_types::{SolCall, SolError};
use stylus_sdk::call::delegate_call;
use stylus_sdk::prelude::*;
use stylus_sdk::stylus_core::calls::Call;

use keel_risk::Wad;
use keel_stylus_common::abi::Calldata;

use crate::abi::*;
use crate::layout::VaultState;
use crate::{Result, Revert};

/// The contracts the vault core forwards to (the `uint8 kind` of `setModule`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Module {
    /// Risk parameters, snapshots, margin views and checks, mode switch (`keel-vault-margin`).
    Margin = 0,
    /// Underlyings, markets, trades, funding, option settlement, `marginAllModes`
    /// (`keel-vault-trading`).
    Trading = 1,
    /// Auctions, bids, insurance fund, socialised losses (`keel-vault-liquidation`).
    Liquidation = 2,
}

/// Number of module kinds.
pub const MODULES: u8 = 3;

impl Module {
    /// The module of a `uint8 kind`.
    pub const fn from_u8(kind: u8) -> Option<Module> {
        match kind {
            0 => Some(Module::Margin),
            1 => Some(Module::Trading),
            2 => Some(Module::Liquidation),
            _ => None,
        }
    }

    /// The module serving `selector`, or `None` for the core's own functions and unknown
    /// selectors.
    pub fn of(selector: [u8; 4]) -> Option<Module> {
        Some(match selector {
            listCollateralCall::SELECTOR
            | collateralCall::SELECTOR
            | setRiskParamsCall::SELECTOR
            | riskParamsCall::SELECTOR
            | setHaircutAddOnsCall::SELECTOR
            | haircutAddOnsCall::SELECTOR
            | setLimitsCall::SELECTOR
            | limitsCall::SELECTOR
            | marginCall::SELECTOR
            | snapshotCall::SELECTOR
            | requireMarginCall::SELECTOR
            | setModeCall::SELECTOR
            | updateMarginCallCall::SELECTOR => Module::Margin,
            listUnderlyingCall::SELECTOR
            | marginAllModesCall::SELECTOR
            | underlyingsCall::SELECTOR
            | setMarketCall::SELECTOR
            | isMarketCall::SELECTOR
            | instrumentIdCall::SELECTOR
            | instrumentCall::SELECTOR
            | settleTradeCall::SELECTOR
            | positionsCall::SELECTOR
            | setFundingRateCall::SELECTOR
            | fundingCall::SELECTOR
            | realiseCall::SELECTOR
            | settleOptionsCall::SELECTOR => Module::Trading,
            setLiquidationParamsCall::SELECTOR
            | liquidationParamsCall::SELECTOR
            | startAuctionCall::SELECTOR
            | bidCall::SELECTOR
            | endAuctionCall::SELECTOR
            | auctionCall::SELECTOR
            | fundInsuranceCall::SELECTOR
            | insuranceFundCall::SELECTOR
            | socialisedLossCall::SELECTOR => Module::Liquidation,
            _ => return None,
        })
    }
}

impl VaultState {
    /// The address of `module` (`ModuleNotSet(kind)` when none).
    pub fn module_address(&self, module: Module) -> Result<Address> {
        let a = self.modules.get(module as u8);
        if a.is_zero() {
            return Err(Revert::with(
                ModuleNotSet::SELECTOR,
                &[crate::pack::uint_word(module as u128)],
            ));
        }
        Ok(a)
    }
}

/// Runs `calldata` in the module at `to` on the storage of `top` (`delegatecall`): its return
/// data, or its revert data unchanged. `top` is the entry type of the running contract.
pub fn delegate<S: TopLevelStorage + HostAccess>(
    top: &mut S,
    to: Address,
    calldata: &[u8],
) -> Result<Vec<u8>> {
    let ctx = Call::new_mutating(top);
    // SAFETY: `to` is a module the owner installed for this storage layout (`VaultState`);
    // the SDK flushes and invalidates the storage cache before the call, so nothing cached
    // here goes stale when the module writes.
    #[allow(unsafe_code)]
    let result = unsafe { delegate_call(top.vm(), ctx, to, calldata) };
    result.map_err(|e| {
        Revert(match e {
            stylus_sdk::stylus_core::calls::errors::Error::Revert(data) => data,
            _ => Vec::new(),
        })
    })
}

/// The parts of an account's `MarginState` the trading and liquidation modules use.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AccountMargin {
    /// Initial-margin surplus.
    pub im: Wad,
    /// Maintenance-margin surplus.
    pub mm: Wad,
    /// Mark-to-market value `V`.
    pub mtm: Wad,
}

/// Account `id`'s margin in its own mode: the margin module's `margin(id)`, by
/// `delegatecall` from `top` (a module running on the vault's storage), its ten static
/// `MarginState` words checked (`WadOverflow()` for a value beyond a wad, empty revert data
/// for a short or malformed answer). The margin module's errors pass through.
pub fn margin_of<S>(top: &mut S, id: U256) -> Result<AccountMargin>
where
    S: TopLevelStorage + HostAccess + core::ops::Deref<Target = VaultState>,
{
    let to = top.module_address(Module::Margin)?;
    let call = Revert::with(marginCall::SELECTOR, &[crate::pack::u256_word(id)]).0;
    let out = delegate(top, to, &call)?;
    let words = Calldata::<Revert>::new(&out);
    // mode (uint8), IM, MM, V, IM and MM requirements, worst scenario, cash, unrealised
    // P&L, position count.
    words.uint(0, 1)?;
    words.word(9)?;
    Ok(AccountMargin {
        im: words.swad(1)?,
        mm: words.swad(2)?,
        mtm: words.swad(3)?,
    })
}

/// Ends account `id`'s auction if one runs and the account is now at or above maintenance
/// margin (the liquidation module's `endAuction(id)`, by `delegatecall` from `top`); a
/// refusal — the account still below, or no liquidation module — changes nothing. Called
/// after the account's own deposits and trades, so a cure ends the auction at once.
pub fn end_auction_if_cured<S>(top: &mut S, id: U256)
where
    S: TopLevelStorage + HostAccess + core::ops::Deref<Target = VaultState>,
{
    if top.auctions.get(id).is_zero() {
        return;
    }
    let Ok(to) = top.module_address(Module::Liquidation) else {
        return;
    };
    let call = Revert::with(endAuctionCall::SELECTOR, &[crate::pack::u256_word(id)]).0;
    // A refusal is the answer "not cured yet": its revert undid whatever it did.
    let _ = delegate(top, to, &call);
}
