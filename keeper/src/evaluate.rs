//! Margin, computed here: the vault's own snapshot of an account (`snapshot(id, mode)`, the
//! bytes its engines margin) evaluated with keel-risk natively — the engines' code, so the
//! figures are bit for bit the vault's — fetched for many accounts at once through Multicall3.

use alloy::primitives::{Bytes, U256};
use alloy::providers::DynProvider;
use alloy::sol_types::SolCall;
use anyhow::{anyhow, Result};
use keel_deploy::bindings::{IMarginVault, Multicall3, MULTICALL3};
use keel_risk::model::account::Instrument;

use crate::watch::call3;
use keel_risk::model::snapshot::{self, MarginMode};

/// An account's margin (raw wads of USD).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Health {
    /// The account.
    pub id: U256,
    /// Its margin mode (0 isolated, 1 cross, 2 portfolio).
    pub mode: u8,
    /// Initial-margin surplus (≥ 0: may take risk).
    pub im: i128,
    /// Maintenance-margin surplus (< 0: liquidatable).
    pub mm: i128,
    /// Mark-to-market value.
    pub mtm: i128,
    /// Unrealised PnL and unsettled funding of its perpetuals (what `realise` would move
    /// into cash).
    pub unrealised: i128,
}

impl Health {
    /// The maintenance requirement: value minus surplus.
    pub fn requirement(&self) -> i128 {
        self.mtm.saturating_sub(self.mm)
    }
}

/// Margins snapshot bytes as the account's engine would: portfolio mode with PM2, isolated
/// and cross with the cross model.
pub fn evaluate(id: U256, bytes: &[u8]) -> Result<Health> {
    let snapshot = snapshot::decode(bytes).map_err(|e| anyhow!("account {id}: snapshot: {e:?}"))?;
    let outcome = match snapshot.mode {
        MarginMode::Portfolio => snapshot::evaluate_portfolio(&snapshot),
        MarginMode::Isolated | MarginMode::Cross => snapshot::evaluate_cross(&snapshot),
    }
    .map_err(|e| anyhow!("account {id}: margin: {e:?}"))?;
    let unrealised = snapshot
        .account
        .positions
        .iter()
        .filter_map(|p| match p.instrument {
            Instrument::Perp { unsettled } => Some(unsettled.raw()),
            Instrument::Option { .. } => None,
        })
        .fold(0i128, i128::saturating_add);
    Ok(Health {
        id,
        mode: snapshot.mode as u8,
        im: outcome.im.raw(),
        mm: outcome.mm.raw(),
        mtm: outcome.mtm.raw(),
        unrealised,
    })
}

/// Where an account's auction stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AuctionState {
    pub active: bool,
    pub started_at: u64,
}

/// One account read: its margin (or why it could not be had), its auction, its stored
/// positions (expired options included) and the collateral assets it holds.
#[derive(Clone, Debug)]
pub struct Reading {
    pub id: U256,
    pub health: Result<Health, String>,
    pub auction: AuctionState,
    pub positions: Vec<IMarginVault::Position>,
    pub assets: Vec<alloy::primitives::Address>,
}

/// Reads `ids` in batches of `batch`: modes, auctions, positions and assets in one Multicall3
/// round trip, then the snapshots in a second, each evaluated natively.
pub async fn read_accounts(
    provider: &DynProvider,
    vault: alloy::primitives::Address,
    ids: &[U256],
    batch: usize,
) -> Result<Vec<Reading>> {
    let multicall = Multicall3::new(MULTICALL3, provider.clone());
    let mut readings = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(batch.max(1)) {
        let mut calls = Vec::with_capacity(chunk.len() * 4);
        for &id in chunk {
            calls.push(call3(vault, IMarginVault::accountCall { id }.abi_encode()));
            calls.push(call3(vault, IMarginVault::auctionCall { id }.abi_encode()));
            calls.push(call3(
                vault,
                IMarginVault::positionsCall { id }.abi_encode(),
            ));
            calls.push(call3(
                vault,
                IMarginVault::accountAssetsCall { id }.abi_encode(),
            ));
        }
        let first = multicall.aggregate3(calls).call().await?;
        let mut modes = Vec::with_capacity(chunk.len());
        let mut auctions = Vec::with_capacity(chunk.len());
        let mut holdings = Vec::with_capacity(chunk.len());
        for pair in first.chunks(4) {
            let mode = pair[0]
                .success
                .then(|| IMarginVault::accountCall::abi_decode_returns(&pair[0].returnData).ok())
                .flatten()
                .map(|a| a.mode);
            let auction = pair
                .get(1)
                .filter(|r| r.success)
                .and_then(|r| IMarginVault::auctionCall::abi_decode_returns(&r.returnData).ok())
                .map(|a| AuctionState {
                    active: a.active,
                    started_at: a.startedAt,
                })
                .unwrap_or_default();
            let positions = pair
                .get(2)
                .filter(|r| r.success)
                .and_then(|r| IMarginVault::positionsCall::abi_decode_returns(&r.returnData).ok())
                .unwrap_or_default();
            let assets = pair
                .get(3)
                .filter(|r| r.success)
                .and_then(|r| {
                    IMarginVault::accountAssetsCall::abi_decode_returns(&r.returnData).ok()
                })
                .unwrap_or_default();
            modes.push(mode);
            auctions.push(auction);
            holdings.push((positions, assets));
        }
        let snapshots: Vec<_> = chunk
            .iter()
            .zip(&modes)
            .map(|(&id, mode)| {
                call3(
                    vault,
                    IMarginVault::snapshotCall {
                        id,
                        mode: mode.unwrap_or(0),
                    }
                    .abi_encode(),
                )
            })
            .collect();
        let second = multicall.aggregate3(snapshots).call().await?;
        for (i, &id) in chunk.iter().enumerate() {
            let health = match (modes[i], second.get(i)) {
                (None, _) => Err(format!("account {id}: no such account")),
                (Some(_), Some(r)) if r.success => {
                    IMarginVault::snapshotCall::abi_decode_returns(&r.returnData)
                        .map_err(|e| format!("account {id}: snapshot: {e}"))
                        .and_then(|bytes: Bytes| evaluate(id, &bytes).map_err(|e| e.to_string()))
                }
                (Some(_), Some(r)) => Err(format!(
                    "account {id}: snapshot reverted: {}",
                    keel_deploy::errors::decode_revert(&r.returnData)
                        .unwrap_or_else(|| format!("{}", r.returnData))
                )),
                (Some(_), None) => Err(format!("account {id}: no snapshot answer")),
            };
            let (positions, assets) = std::mem::take(&mut holdings[i]);
            readings.push(Reading {
                id,
                health,
                auction: auctions[i],
                positions,
                assets,
            });
        }
    }
    Ok(readings)
}
