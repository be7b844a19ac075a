//! Reverts read as a person would: the revert data of a failed call or estimate decoded into
//! the Solidity error of whichever contract declared it, with its arguments.

use alloy::primitives::Bytes;
use alloy::sol_types::{Revert, SolError, SolInterface};
use alloy::transports::TransportError;

use crate::bindings::{ArbWasm, ILstDepegGuard, IMarginVault, IOracleAdapter, StylusDeployer};

/// The named error `data` encodes, if a Keel interface, ArbWasm or the StylusDeployer declares
/// it (or a plain `Error(string)`).
pub fn decode_revert(data: &[u8]) -> Option<String> {
    if let Ok(e) = IMarginVault::IMarginVaultErrors::abi_decode(data) {
        return Some(format!("{e:?}"));
    }
    if let Ok(e) = IOracleAdapter::IOracleAdapterErrors::abi_decode(data) {
        return Some(format!("{e:?}"));
    }
    if let Ok(e) = ILstDepegGuard::ILstDepegGuardErrors::abi_decode(data) {
        return Some(format!("{e:?}"));
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
