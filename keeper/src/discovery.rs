//! What the vault's logs say: accounts opened, accounts touched, and changes that move every
//! account's margin. Read from the deployment block on, in `eth_getLogs` ranges that halve
//! when a provider refuses a range and double back after each success.

use std::collections::BTreeSet;

use alloy::primitives::{Address, B256, U256};
use alloy::providers::{DynProvider, Provider};
use alloy::rpc::types::{Filter, Log};
use alloy::sol_types::SolEvent;
use anyhow::{Context, Result};
use keel_deploy::bindings::IMarginVault as V;

/// What blocks `from..=to` of the vault's logs changed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scan {
    /// Accounts opened.
    pub opened: Vec<U256>,
    /// Accounts whose balances, positions, mode or auction changed.
    pub touched: BTreeSet<U256>,
    /// Whether a change reaches every account: risk or liquidation parameters, haircuts,
    /// limits, listings, funding, or a socialised loss (it moves every positive cash balance).
    pub everything: bool,
}

impl Scan {
    /// Reads one log; a log of a block scanned before (`fresh` false: re-scanned against
    /// reorgs) only adds opened accounts, since what it touched was margined then.
    fn read(&mut self, log: &Log, fresh: bool) {
        let topics = log.topics();
        let Some(&signature) = topics.first() else {
            return;
        };
        let id = |i: usize| topics.get(i).map(|t| U256::from_be_bytes(t.0));
        if signature == V::AccountOpened::SIGNATURE_HASH {
            self.opened.extend(id(1));
            if fresh {
                self.touched.extend(id(1));
            }
        } else if !fresh {
        } else if signature == V::TradeSettled::SIGNATURE_HASH {
            self.touched.extend(id(2));
            self.touched.extend(id(3));
        } else if signature == V::Bid::SIGNATURE_HASH {
            self.touched.extend(id(1));
            self.touched.extend(id(2));
        } else if ACCOUNT_EVENTS.contains(&signature) {
            self.touched.extend(id(1));
        } else if EVERYONE_EVENTS.contains(&signature) {
            self.everything = true;
        }
    }
}

/// Events whose first indexed topic is the account they change.
const ACCOUNT_EVENTS: [B256; 11] = [
    V::Deposited::SIGNATURE_HASH,
    V::Withdrawn::SIGNATURE_HASH,
    V::ModeChanged::SIGNATURE_HASH,
    V::MarginCall::SIGNATURE_HASH,
    V::MarginCallCleared::SIGNATURE_HASH,
    V::Realised::SIGNATURE_HASH,
    V::OptionSettled::SIGNATURE_HASH,
    V::AuctionStarted::SIGNATURE_HASH,
    V::AuctionEnded::SIGNATURE_HASH,
    V::InsurancePaid::SIGNATURE_HASH,
    V::OperatorSet::SIGNATURE_HASH,
];

/// Events that change how every account is margined.
const EVERYONE_EVENTS: [B256; 12] = [
    V::RiskParamsSet::SIGNATURE_HASH,
    V::HaircutAddOnsSet::SIGNATURE_HASH,
    V::LimitsSet::SIGNATURE_HASH,
    V::CollateralListed::SIGNATURE_HASH,
    V::UnderlyingListed::SIGNATURE_HASH,
    V::FundingRateSet::SIGNATURE_HASH,
    V::LiquidationParamsSet::SIGNATURE_HASH,
    V::LossSocialised::SIGNATURE_HASH,
    V::OracleAdapterSet::SIGNATURE_HASH,
    V::DepegGuardSet::SIGNATURE_HASH,
    V::EngineSet::SIGNATURE_HASH,
    V::ModuleSet::SIGNATURE_HASH,
];

/// Scans blocks `from..=to` of `vault`'s logs, those from `fresh_from` on never scanned
/// before; `chunk` (the range per request) adapts between 1 and `max_chunk`.
#[allow(clippy::too_many_arguments)]
pub async fn scan(
    provider: &DynProvider,
    vault: Address,
    from: u64,
    fresh_from: u64,
    to: u64,
    chunk: &mut u64,
    max_chunk: u64,
    mut on_error: impl FnMut(),
) -> Result<Scan> {
    let mut scan = Scan::default();
    let mut start = from;
    while start <= to {
        let end = start.saturating_add(*chunk - 1).min(to);
        let filter = Filter::new().address(vault).from_block(start).to_block(end);
        match provider.get_logs(&filter).await {
            Ok(logs) => {
                for log in &logs {
                    scan.read(log, log.block_number.is_none_or(|b| b >= fresh_from));
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
    Ok(scan)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::LogData;

    fn log(topics: Vec<B256>) -> Log {
        Log {
            inner: alloy::primitives::Log {
                address: Address::ZERO,
                data: LogData::new_unchecked(topics, Default::default()),
            },
            ..Log::default()
        }
    }

    fn word(n: u64) -> B256 {
        B256::from(U256::from(n))
    }

    #[test]
    fn logs_name_the_accounts_they_touch() {
        let mut scan = Scan::default();
        scan.read(&log(vec![V::AccountOpened::SIGNATURE_HASH, word(7)]), true);
        scan.read(
            &log(vec![
                V::TradeSettled::SIGNATURE_HASH,
                word(99),
                word(3),
                word(4),
            ]),
            true,
        );
        scan.read(&log(vec![V::Bid::SIGNATURE_HASH, word(5), word(6)]), true);
        scan.read(
            &log(vec![V::Deposited::SIGNATURE_HASH, word(8), word(1)]),
            true,
        );
        // Re-scanned blocks add accounts opened, nothing else.
        scan.read(
            &log(vec![V::Deposited::SIGNATURE_HASH, word(9), word(1)]),
            false,
        );
        scan.read(
            &log(vec![V::AccountOpened::SIGNATURE_HASH, word(10)]),
            false,
        );
        scan.read(
            &log(vec![V::LossSocialised::SIGNATURE_HASH, word(2)]),
            false,
        );
        assert_eq!(scan.opened, vec![U256::from(7), U256::from(10)]);
        assert_eq!(
            scan.touched,
            [3u64, 4, 5, 6, 7, 8].into_iter().map(U256::from).collect()
        );
        assert!(!scan.everything);
        scan.read(&log(vec![V::FundingRateSet::SIGNATURE_HASH, word(1)]), true);
        assert!(scan.everything);
    }
}
