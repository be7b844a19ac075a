//! Which accounts need margining again: every price, depeg assessment and option-expiry data
//! an account's margin reads is a [`Source`]; each round the keeper fingerprints the sources
//! its accounts use (one Multicall3 round trip of the oracle adapter's and the depeg guard's
//! own views, so proxies, secondary feeds and pushes all count) and re-reads only the
//! accounts whose sources moved, beside those the vault's logs touched.

use std::collections::{BTreeSet, HashMap};

use alloy::primitives::{keccak256, Address, B256, U256};
use alloy::providers::DynProvider;
use alloy::sol_types::{SolCall, SolValue};
use anyhow::Result;
use keel_deploy::bindings::{ILstDepegGuard, IMarginVault, IOracleAdapter, Multicall3, MULTICALL3};

use crate::evaluate::Reading;

/// One input of margin that can move without an event of the vault.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Source {
    /// `getPrice(asset)` of the oracle adapter.
    Price(Address),
    /// `assess(asset)` of the depeg guard.
    Depeg(Address),
    /// `getExpiryData(underlying, expiry)` of the oracle adapter: forward, rate, vol surface.
    Expiry(Address, u64),
}

/// An instrument id's fields, as the vault reads them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct InstrumentInfo {
    /// The underlying asset.
    pub underlying: Address,
    /// 0 perpetual, 1 call, 2 put.
    pub kind: u8,
    /// Expiry (0 for a perpetual).
    pub expiry: u64,
}

#[derive(Clone, Copy, Debug)]
struct CollateralInfo {
    linked_underlying: Address,
    depeg_guarded: bool,
}

/// What [`Market::lookup`] found.
#[derive(Debug, Default)]
pub struct Learnt {
    settlement: Option<Address>,
    instruments: Vec<(U256, InstrumentInfo)>,
    collateral: Vec<(Address, CollateralInfo)>,
}

/// What the keeper knows about the market its accounts read.
pub struct Market {
    vault: Address,
    settlement: Option<Address>,
    oracle: Address,
    guard: Option<Address>,
    instruments: HashMap<U256, InstrumentInfo>,
    collateral: HashMap<Address, CollateralInfo>,
    fingerprints: HashMap<Source, B256>,
}

impl Market {
    /// Nothing known yet.
    pub fn new(vault: Address, oracle: Address, guard: Option<Address>) -> Self {
        Market {
            vault,
            settlement: None,
            oracle,
            guard,
            instruments: HashMap::new(),
            collateral: HashMap::new(),
            fingerprints: HashMap::new(),
        }
    }

    /// An instrument seen in a reading.
    pub fn instrument(&self, id: U256) -> Option<InstrumentInfo> {
        self.instruments.get(&id).copied()
    }

    /// Reads the instruments and collateral assets of `readings` not seen before, and the
    /// settlement asset the first time (one Multicall3 round trip; none of them changes once
    /// listed); [`Market::learn`] keeps the answer.
    pub async fn lookup(&self, provider: &DynProvider, readings: &[Reading]) -> Result<Learnt> {
        let mut instruments = BTreeSet::new();
        let mut assets = BTreeSet::new();
        for r in readings {
            instruments.extend(
                r.positions
                    .iter()
                    .map(|p| p.instrument)
                    .filter(|i| !self.instruments.contains_key(i)),
            );
            assets.extend(
                r.assets
                    .iter()
                    .filter(|a| !self.collateral.contains_key(*a))
                    .copied(),
            );
        }
        let mut learnt = Learnt::default();
        if instruments.is_empty() && assets.is_empty() && self.settlement.is_some() {
            return Ok(learnt);
        }
        let mut calls = vec![call3(
            self.vault,
            IMarginVault::settlementAssetCall {}.abi_encode(),
        )];
        for &id in &instruments {
            calls.push(call3(
                self.vault,
                IMarginVault::instrumentCall { id }.abi_encode(),
            ));
        }
        for &asset in &assets {
            calls.push(call3(
                self.vault,
                IMarginVault::collateralCall { asset }.abi_encode(),
            ));
        }
        let answers = Multicall3::new(MULTICALL3, provider.clone())
            .aggregate3(calls)
            .call()
            .await?;
        let Some((settlement, rest)) = answers.split_first() else {
            return Ok(learnt);
        };
        learnt.settlement = settlement
            .success
            .then(|| {
                IMarginVault::settlementAssetCall::abi_decode_returns(&settlement.returnData).ok()
            })
            .flatten();
        let (first, second) = rest.split_at(instruments.len().min(rest.len()));
        for (&id, r) in instruments.iter().zip(first) {
            if let Some(i) = r
                .success
                .then(|| IMarginVault::instrumentCall::abi_decode_returns(&r.returnData).ok())
                .flatten()
            {
                let info = InstrumentInfo {
                    underlying: i.underlying,
                    kind: i.kind,
                    expiry: i.expiry,
                };
                learnt.instruments.push((id, info));
            }
        }
        for (&asset, r) in assets.iter().zip(second) {
            if let Some(c) = r
                .success
                .then(|| IMarginVault::collateralCall::abi_decode_returns(&r.returnData).ok())
                .flatten()
            {
                let info = CollateralInfo {
                    linked_underlying: c.params.riskCancellingUnderlying,
                    depeg_guarded: c.params.depegGuarded,
                };
                learnt.collateral.push((asset, info));
            }
        }
        Ok(learnt)
    }

    /// Keeps what [`Market::lookup`] read.
    pub fn learn(&mut self, learnt: Learnt) {
        if learnt.settlement.is_some() {
            self.settlement = learnt.settlement;
        }
        self.instruments.extend(learnt.instruments);
        self.collateral.extend(learnt.collateral);
    }

    /// The sources `reading`'s margin reads at time `now`: the settlement asset's price (it
    /// values cash), its underlyings' prices and the expiry data of its live options, its
    /// collateral's prices, the price of the underlying a collateral asset is linked to, and
    /// the depeg assessment of a guarded one. `None` while an instrument or asset is not
    /// learnt: margin it every round.
    pub fn sources(&self, reading: &Reading, now: u64) -> Option<BTreeSet<Source>> {
        let mut sources = BTreeSet::new();
        sources.insert(Source::Price(self.settlement?));
        for p in &reading.positions {
            let i = self.instruments.get(&p.instrument)?;
            sources.insert(Source::Price(i.underlying));
            if i.kind != 0 && i.expiry > now {
                sources.insert(Source::Expiry(i.underlying, i.expiry));
            }
        }
        for asset in &reading.assets {
            let c = self.collateral.get(asset)?;
            sources.insert(Source::Price(*asset));
            if c.linked_underlying != Address::ZERO {
                sources.insert(Source::Price(c.linked_underlying));
            }
            if c.depeg_guarded && self.guard.is_some() {
                sources.insert(Source::Depeg(*asset));
            }
        }
        Some(sources)
    }

    /// Whether `source` has been fingerprinted.
    pub fn watches(&self, source: &Source) -> bool {
        self.fingerprints.contains_key(source)
    }

    /// The fingerprint of each of `sources` now: the hash of its view's answer (or failure),
    /// read in one Multicall3 round trip; [`Market::record`] compares and keeps them.
    pub async fn fingerprint(
        &self,
        provider: &DynProvider,
        sources: &BTreeSet<Source>,
    ) -> Result<Vec<(Source, B256)>> {
        let sources: Vec<Source> = sources
            .iter()
            .copied()
            .filter(|s| !matches!(s, Source::Depeg(_)) || self.guard.is_some())
            .collect();
        if sources.is_empty() {
            return Ok(Vec::new());
        }
        let calls: Vec<_> = sources.iter().map(|s| self.query(*s)).collect();
        let answers = Multicall3::new(MULTICALL3, provider.clone())
            .aggregate3(calls)
            .call()
            .await?;
        Ok(sources
            .into_iter()
            .zip(answers)
            .map(|(source, r)| (source, print(source, r.success, &r.returnData)))
            .collect())
    }

    /// Keeps `prints`; the sources whose fingerprint differs from the last one kept (a source
    /// never fingerprinted counts as moved).
    pub fn record(&mut self, prints: Vec<(Source, B256)>) -> BTreeSet<Source> {
        prints
            .into_iter()
            .filter(|&(source, print)| self.fingerprints.insert(source, print) != Some(print))
            .map(|(source, _)| source)
            .collect()
    }

    fn query(&self, source: Source) -> Multicall3::Call3 {
        match source {
            Source::Price(asset) => call3(
                self.oracle,
                IOracleAdapter::getPriceCall { asset }.abi_encode(),
            ),
            Source::Expiry(underlying, expiry) => call3(
                self.oracle,
                IOracleAdapter::getExpiryDataCall { underlying, expiry }.abi_encode(),
            ),
            Source::Depeg(asset) => call3(
                self.guard.unwrap_or_default(),
                ILstDepegGuard::assessCall { asset }.abi_encode(),
            ),
        }
    }
}

/// The fingerprint of one answer: the data as published, not what time does to it. A price's
/// value and update time (its confidence decays every second with its age), expiry data as
/// pushed (likewise), a depeg assessment's rates and status (its CAPO cap grows with time); a
/// failure by its revert data. What time alone moves is caught by the periodic full round.
fn print(source: Source, success: bool, answer: &[u8]) -> B256 {
    let published: Option<Vec<u8>> = success
        .then(|| match source {
            Source::Price(_) => IOracleAdapter::getPriceCall::abi_decode_returns(answer)
                .ok()
                .map(|p| {
                    [
                        p.price.to_be_bytes::<32>(),
                        U256::from(p.updatedAt).to_be_bytes(),
                    ]
                    .concat()
                }),
            Source::Expiry(..) => IOracleAdapter::getExpiryDataCall::abi_decode_returns(answer)
                .ok()
                .map(|e| IOracleAdapter::ExpiryData::abi_encode(&e.data)),
            Source::Depeg(_) => ILstDepegGuard::assessCall::abi_decode_returns(answer)
                .ok()
                .map(|a| {
                    [
                        a.fundamental.to_be_bytes::<32>(),
                        a.marketRate.to_be_bytes(),
                        U256::from(a.status as u8).to_be_bytes(),
                    ]
                    .concat()
                }),
        })
        .flatten();
    let mut bytes = vec![u8::from(published.is_some())];
    bytes.extend_from_slice(published.as_deref().unwrap_or(answer));
    keccak256(bytes)
}

pub(crate) fn call3(target: Address, data: Vec<u8>) -> Multicall3::Call3 {
    Multicall3::Call3 {
        target,
        allowFailure: true,
        callData: data.into(),
    }
}
