//! Finding accounts: the vault's `AccountOpened` logs, from the deployment block on, in
//! `eth_getLogs` ranges that halve when a provider refuses a range and double back after each
//! success.

use alloy::primitives::{Address, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::Filter;
use alloy::sol_types::SolEvent;
use anyhow::{Context, Result};
use keel_deploy::bindings::IMarginVault;

/// Scans blocks `from..=to` for accounts opened at `vault`; `chunk` (the range per request)
/// adapts between 1 and `max_chunk`.
pub async fn opened_accounts(
    provider: &DynProvider,
    vault: Address,
    from: u64,
    to: u64,
    chunk: &mut u64,
    max_chunk: u64,
    mut on_error: impl FnMut(),
) -> Result<Vec<U256>> {
    let mut found = Vec::new();
    let mut start = from;
    while start <= to {
        let end = start.saturating_add(*chunk - 1).min(to);
        let filter = Filter::new()
            .address(vault)
            .event_signature(IMarginVault::AccountOpened::SIGNATURE_HASH)
            .from_block(start)
            .to_block(end);
        match provider.get_logs(&filter).await {
            Ok(logs) => {
                for log in logs {
                    if let Some(id) = log.topics().get(1) {
                        found.push(U256::from_be_bytes(id.0));
                    }
                }
                start = end + 1;
                *chunk = chunk.saturating_mul(2).min(max_chunk).max(1);
            }
            Err(e) => {
                on_error();
                if *chunk == 1 {
                    return Err(e).with_context(|| format!("eth_getLogs of block {start}"));
                }
                *chunk = (*chunk / 2).max(1);
            }
        }
    }
    Ok(found)
}
