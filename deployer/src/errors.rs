//! Reverts read as a person would: the revert data of a failed call or estimate decoded into
//! the Solidity error of whichever contract declared it, with its arguments.

use alloy::primitives::Bytes;
use alloy::sol_types::{Revert, SolError, SolInterface};
use alloy::transports::TransportError;

use crate::bindings::{
    ArbWasm, ILstDepegGuard, IMarginVault, IOracleAdapter, RfqMarket, StylusDeployer,
};

/// The named error `data` encodes, if a Keel interface, ArbWasm or the StylusDeployer declares
/// it (or a plain `Error(string)`).
pub fn decode_revert(data: &[u8]) -> Option<String> {
    if let Ok(e) = IMarginVault::IMarginVaultErrors::abi_decode(data) {
        return Some(vault_error(&e));
    }
    if let Ok(e) = IOracleAdapter::IOracleAdapterErrors::abi_decode(data) {
        return Some(format!("{e:?}"));
    }
    if let Ok(e) = ILstDepegGuard::ILstDepegGuardErrors::abi_decode(data) {
        return Some(format!("{e:?}"));
    }
    if let Ok(e) = RfqMarket::RfqMarketErrors::abi_decode(data) {
        return Some(format!("RfqMarket {e:?}"));
    }
    if let Ok(e) = ArbWasm::ArbWasmErrors::abi_decode(data) {
        return Some(format!("ArbWasm {e:?}"));
    }
    if let Ok(e) = StylusDeployer::StylusDeployerErrors::abi_decode(data) {
        return Some(format!("StylusDeployer {e:?}"));
    }
    Revert::abi_decode(data)
        .ok()
        .map(|r| format!("Error({:?})", r.reason))
}

/// `what` failed with `err`; the revert decoded when there is one.
pub fn explain(what: &str, err: TransportError) -> anyhow::Error {
    let data: Option<Bytes> = err.as_error_resp().and_then(|e| e.as_revert_data());
    match data {
        Some(data) => match decode_revert(&data) {
            Some(named) => anyhow::anyhow!("{what}: reverted with {named}"),
            None => anyhow::anyhow!("{what}: reverted with data {data}"),
        },
        None => anyhow::anyhow!("{what}: {err}"),
    }
}

/// A vault error in words, amounts in USD.
fn vault_error(e: &IMarginVault::IMarginVaultErrors) -> String {
    use IMarginVault::IMarginVaultErrors as E;
    match e {
        E::BelowInitialMargin(b) => format!(
            "BelowInitialMargin: account {} would be {} USD short of initial margin",
            b.id,
            usd(-b.initialMargin)
        ),
        E::BelowMaintenanceMargin(b) => format!(
            "BelowMaintenanceMargin: account {} would be {} USD short of maintenance margin",
            b.id,
            usd(-b.maintenanceMargin)
        ),
        other => format!("{other:?}"),
    }
}

/// A signed wad as a USD amount with thousands separators and cents, e.g. `1,204.55`.
pub fn usd(value: alloy::primitives::I256) -> String {
    let negative = value.is_negative();
    let cents = value.unsigned_abs() / alloy::primitives::U256::from(10u64.pow(16));
    let whole = (cents / alloy::primitives::U256::from(100u8)).to_string();
    let fraction = (cents % alloy::primitives::U256::from(100u8)).to::<u64>();
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{}{grouped}.{fraction:02}", if negative { "-" } else { "" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::{I256, U256};
    use alloy::sol_types::SolError;

    #[test]
    fn a_margin_shortfall_reads_in_dollars() {
        let shortfall = I256::try_from(-1_204_550_000_000_000_000_000i128).unwrap();
        let data = IMarginVault::BelowInitialMargin {
            id: U256::from(7),
            initialMargin: shortfall,
        }
        .abi_encode();
        assert_eq!(
            decode_revert(&data).unwrap(),
            "BelowInitialMargin: account 7 would be 1,204.55 USD short of initial margin"
        );
        assert_eq!(
            usd(I256::try_from(12_000_000_000_000_000i128).unwrap()),
            "0.01"
        );
    }
}
