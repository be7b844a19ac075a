//! The vault's invariants, checked after every step against the chain (and, for the rules
//! about one step, against what the step did and the margins before it). Each check counts
//! itself in a [`Tally`], so a run reports how often each invariant was exercised.

use std::collections::BTreeMap;

use alloy::primitives::{Address, I256, U256};
use keel_deploy::bindings::{IMarginVault, TestToken};
use serde::Serialize;

use crate::steps::Applied;
use crate::world::World;

/// One account's margin as the vault reports it (`None`: the call reverted).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Margin {
    pub im: I256,
    pub mm: I256,
    pub mtm: I256,
}

/// How many times each invariant was checked and each step kind ran.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Tally {
    /// Invariant → times checked.
    pub checks: BTreeMap<&'static str, u64>,
    /// Step kind → [succeeded, reverted].
    pub steps: BTreeMap<&'static str, [u64; 2]>,
    /// Reverts by step kind and error name.
    pub reverts: BTreeMap<String, u64>,
    /// Largest difference seen between the settlement asset the vault holds and its books
    /// (wad; positive: more held than owed).
    pub largest_cash_gap: i128,
}

impl Tally {
    fn checked(&mut self, invariant: &'static str) {
        *self.checks.entry(invariant).or_default() += 1;
    }

    /// Adds `other`.
    pub fn merge(&mut self, other: &Tally) {
        for (k, v) in &other.checks {
            *self.checks.entry(k).or_default() += v;
        }
        for (k, [a, b]) in &other.steps {
            let e = self.steps.entry(k).or_default();
            e[0] += a;
            e[1] += b;
        }
        for (k, v) in &other.reverts {
            *self.reverts.entry(k.clone()).or_default() += v;
        }
        if other.largest_cash_gap.abs() > self.largest_cash_gap.abs() {
            self.largest_cash_gap = other.largest_cash_gap;
        }
    }
}

/// Books may exceed what the vault holds by at most this much (wad) per account: reading
/// scaled cash truncates.
pub const CASH_DUST: i128 = 1_000;

/// How far (wad) a bid may move the liquidated account's maintenance surplus past the discount
/// it gave: the share's rounding in every position, balance and scenario.
pub const BID_DUST: u64 = 1_000_000;

/// What the checks need from before a step.
pub struct Before {
    pub margins: Vec<Option<Margin>>,
    storage: Vec<Vec<(U256, U256)>>,
}

impl World {
    /// Every account's margin now.
    pub fn margins(&mut self) -> Vec<Option<Margin>> {
        (0..self.actors.len())
            .map(|n| {
                let id = self.actors[n].account;
                self.try_view(self.vault, IMarginVault::marginCall { id })
                    .ok()
                    .map(|m| Margin {
                        im: m.initialMargin,
                        mm: m.maintenanceMargin,
                        mtm: m.markToMarket,
                    })
            })
            .collect()
    }

    fn guarded(&self) -> [Address; 3] {
        [self.vault, self.oracle, self.depeg_guard()]
    }

    /// The state the checks compare against.
    pub fn before(&mut self) -> Before {
        Before {
            margins: self.margins(),
            storage: self
                .guarded()
                .iter()
                .map(|a| self.chain.storage_slots(*a))
                .collect(),
        }
    }

    /// Checks every invariant after `applied`; the first violation, described.
    pub fn check(
        &mut self,
        applied: &Applied,
        before: &Before,
        tally: &mut Tally,
    ) -> Result<(), String> {
        let entry = tally.steps.entry(applied.kind).or_default();
        entry[usize::from(!applied.succeeded)] += 1;
        let after = self.margins();

        // Every revert of a Keel call is a named error (or a token's / market's own).
        if let Some(revert) = &applied.revert {
            tally.checked("named-revert");
            let name = crate::world::describe(revert);
            let name = name.split(['(', ' ', '{']).next().unwrap_or_default();
            *tally
                .reverts
                .entry(format!("{}: {name}", applied.kind))
                .or_default() += 1;
            if keel_deploy::errors::decode_revert(revert).is_none() {
                return Err(format!(
                    "{} reverted without a named error: {}",
                    applied.kind,
                    crate::world::describe(revert)
                ));
            }
        }

        // Privileged calls by someone without the role are refused and change nothing.
        if applied.privileged {
            tally.checked("privileged-refused");
            if applied.succeeded {
                return Err("a stranger's privileged call succeeded".into());
            }
            let now: Vec<_> = self
                .guarded()
                .iter()
                .map(|a| self.chain.storage_slots(*a))
                .collect();
            if now != before.storage {
                return Err("a refused privileged call changed storage".into());
            }
        }

        // While paused, trades and withdrawals are refused; deposits, liquidations and
        // settlement are not refused for the pause.
        if applied.paused {
            tally.checked("pause");
            let refused_for_pause = applied.revert.as_deref().is_some_and(|r| {
                r.starts_with(
                    &<IMarginVault::EnforcedPause as alloy::sol_types::SolError>::SELECTOR,
                )
            });
            match applied.kind {
                "trade" | "lever" | "withdraw" if applied.succeeded => {
                    return Err(format!("a {} succeeded while paused", applied.kind));
                }
                "deposit" | "startAuction" | "bid" | "endAuction" | "realise" | "settle"
                    if refused_for_pause =>
                {
                    return Err(format!("a {} was refused for the pause", applied.kind));
                }
                _ => {}
            }
        }

        // After a trade each side meets initial margin, or its initial surplus did not fall.
        if matches!(applied.kind, "trade" | "lever") && applied.succeeded {
            for &n in &applied.traders {
                tally.checked("trade-initial-margin");
                let (Some(b), Some(a)) = (before.margins[n], after[n]) else {
                    return Err(format!("account {} traded without a margin", n + 1));
                };
                if a.im < I256::ZERO && a.im < b.im {
                    return Err(format!(
                        "account {}: a trade left it below initial margin ({}) and lowered its surplus (was {})",
                        n + 1, a.im, b.im
                    ));
                }
            }
        }

        // A user's own call never takes an account at maintenance margin below it.
        if applied.succeeded {
            for &n in &applied.users {
                if let (Some(b), Some(a)) = (before.margins[n], after[n]) {
                    tally.checked("user-maintenance");
                    if b.mm >= I256::ZERO && a.mm < I256::ZERO {
                        return Err(format!(
                            "account {}: a {} took it below maintenance ({} → {})",
                            n + 1,
                            applied.kind,
                            b.mm,
                            a.mm
                        ));
                    }
                }
            }
        }

        // A bid is only on an account below maintenance, and leaves the bidder at initial.
        if let (Some((target, bidder)), true) = (applied.bid, applied.succeeded) {
            tally.checked("bid");
            if before.margins[target].is_none_or(|m| m.mm >= I256::ZERO) {
                return Err(format!(
                    "a bid on account {} whose maintenance margin was met",
                    target + 1
                ));
            }
            if after[bidder].is_none_or(|m| m.im < I256::ZERO) {
                return Err(format!(
                    "a bid left the bidder (account {}) below initial margin",
                    bidder + 1
                ));
            }
            tally.checked("bid-discount");
            let (Some(b), Some(a), Some((filled, payment))) =
                (before.margins[target], after[target], applied.bid_filled)
            else {
                return Err(format!(
                    "a bid on account {} left no margin to compare",
                    target + 1
                ));
            };
            // The account hands `filled` of its mark value to the bidder and is paid `payment`
            // (only when the value is positive: an insolvent account's bidder is paid by the
            // fund and the socialisation). What it gave up beyond the payment is the discount;
            // its maintenance surplus falls by no more (the requirement shrinks with the share).
            let handed =
                b.mtm * I256::from_raw(filled) / I256::from_raw(U256::from(crate::world::WAD));
            let received = if b.mtm > I256::ZERO {
                payment
            } else {
                I256::ZERO
            };
            let discount = (handed - received).max(I256::ZERO);
            if a.mm < b.mm - discount - I256::from_raw(U256::from(BID_DUST)) {
                return Err(format!(
                    "a bid took account {}'s maintenance surplus from {} to {}, more than the \
                     discount it gave ({discount})",
                    target + 1,
                    b.mm,
                    a.mm
                ));
            }
        }

        self.check_books(tally)?;
        self.check_positions(tally)?;
        self.check_native_margin(&after, tally)
    }

    /// Conservation: each collateral token held = its deposits (plus donations) = the sum
    /// of the accounts' balances; the settlement asset held = every account's cash, plus the
    /// perpetuals' unrealised PnL (zero-sum at any mark, so `−Σ basis`), plus the insurance
    /// fund (plus donations), to the dust of the loss index.
    fn check_books(&mut self, tally: &mut Tally) -> Result<(), String> {
        let ids: Vec<U256> = self.actors.iter().map(|a| a.account).collect();
        for token in [self.weth, self.wsteth] {
            tally.checked("conservation-collateral");
            let held = self
                .view(
                    token,
                    TestToken::balanceOfCall {
                        account: self.vault,
                    },
                )
                .map_err(|e| e.to_string())?;
            let listed = self
                .view(self.vault, IMarginVault::collateralCall { asset: token })
                .map_err(|e| e.to_string())?;
            let donated = self.donated.get(&token).copied().unwrap_or_default();
            if held != listed.totalDeposits + donated {
                return Err(format!(
                    "{token}: the vault holds {held} but its deposits are {} (+{donated} donated)",
                    listed.totalDeposits
                ));
            }
            let mut sum = U256::ZERO;
            for &id in &ids {
                sum += self
                    .view(
                        self.vault,
                        IMarginVault::collateralBalanceCall { id, asset: token },
                    )
                    .map_err(|e| e.to_string())?;
            }
            if sum != listed.totalDeposits {
                return Err(format!(
                    "{token}: balances sum to {sum}, deposits are {}",
                    listed.totalDeposits
                ));
            }
        }
        tally.checked("conservation-cash");
        let held = self
            .view(
                self.usdc,
                TestToken::balanceOfCall {
                    account: self.vault,
                },
            )
            .map_err(|e| e.to_string())?;
        let donated = self.donated.get(&self.usdc).copied().unwrap_or_default();
        let scale = U256::from(1_000_000_000_000u64);
        let held = I256::from_raw((held - donated) * scale);
        let mut books = I256::from_raw(
            self.view(self.vault, IMarginVault::insuranceFundCall {})
                .map_err(|e| e.to_string())?,
        );
        let now = self.now();
        for &id in &ids {
            books += self
                .view(self.vault, IMarginVault::cashCall { id })
                .map_err(|e| e.to_string())?;
            for p in self
                .view(self.vault, IMarginVault::positionsCall { id })
                .map_err(|e| e.to_string())?
            {
                books -= p.basis;
                books += self.pending_payoff(p.instrument, p.size, now)?;
            }
        }
        let gap = i128::try_from(held - books).unwrap_or(i128::MAX);
        if gap.abs() > tally.largest_cash_gap.abs() {
            tally.largest_cash_gap = gap;
        }
        // The vault never owes more than it holds. It may keep dust: a socialised loss lowers
        // the cash index by whole 10⁻¹⁸ steps, so each step may leave up to (positive cash ÷
        // 10¹⁸) wei unowed.
        self.cash_allowance = self.cash_allowance.saturating_add(
            i128::try_from(held).unwrap_or(i128::MAX) / crate::world::WAD as i128 + CASH_DUST,
        );
        if gap < -CASH_DUST * ids.len() as i128 || gap > self.cash_allowance {
            return Err(format!(
                "the vault holds {held} wad of the settlement asset, its books say {books} (cash + unrealised PnL + insurance; rounding allowed: {} below, {} above)",
                CASH_DUST * ids.len() as i128,
                self.cash_allowance
            ));
        }
        Ok(())
    }

    /// What an expired option of `size` owes its holder once settled, at the fixed settlement
    /// price (0 while none is fixed: then no holder has settled, and the sizes, zero-sum, owe
    /// each other nothing in total). Live instruments: 0.
    fn pending_payoff(&mut self, instrument: U256, size: I256, now: u64) -> Result<I256, String> {
        let i = self.instrument(instrument)?;
        if i.kind == 0 || i.expiry > now {
            return Ok(I256::ZERO);
        }
        let settled = self
            .view(
                self.oracle,
                keel_deploy::bindings::IOracleAdapter::settlementPriceCall {
                    asset: i.underlying,
                    expiry: i.expiry,
                },
            )
            .map_err(|e| e.to_string())?;
        if !settled.isSettled {
            return Ok(I256::ZERO);
        }
        let (price, strike) = (I256::from_raw(settled.price), I256::from_raw(i.strike));
        let intrinsic = if i.kind == 1 {
            price - strike
        } else {
            strike - price
        }
        .max(I256::ZERO);
        let wad = I256::try_from(crate::world::WAD).unwrap_or(I256::ONE);
        Ok(size * intrinsic / wad)
    }

    /// Positions are zero-sum per live instrument (expired options settle one holder at a
    /// time; the books check that what is paid matches what is owed).
    fn check_positions(&mut self, tally: &mut Tally) -> Result<(), String> {
        tally.checked("zero-sum-positions");
        let now = self.now();
        let mut sums: BTreeMap<U256, I256> = BTreeMap::new();
        for n in 0..self.actors.len() {
            let id = self.actors[n].account;
            for p in self
                .view(self.vault, IMarginVault::positionsCall { id })
                .map_err(|e| e.to_string())?
            {
                let i = self.instrument(p.instrument)?;
                if i.kind != 0 && i.expiry <= now {
                    continue;
                }
                *sums.entry(p.instrument).or_default() += p.size;
            }
        }
        match sums.iter().find(|(_, s)| !s.is_zero()) {
            Some((instrument, sum)) => Err(format!("instrument {instrument}: sizes sum to {sum}")),
            None => Ok(()),
        }
    }

    /// The vault's margin equals keel-risk's, natively, on the vault's own snapshot.
    fn check_native_margin(
        &mut self,
        after: &[Option<Margin>],
        tally: &mut Tally,
    ) -> Result<(), String> {
        for (n, vault) in after.iter().enumerate() {
            let actor = self.actors[n].clone();
            let mode = self
                .view(self.vault, IMarginVault::accountCall { id: actor.account })
                .map_err(|e| e.to_string())?
                .mode;
            let snapshot = self.try_view(
                self.vault,
                IMarginVault::snapshotCall {
                    id: actor.account,
                    mode,
                },
            );
            match (snapshot, vault) {
                (Ok(bytes), Some(m)) => {
                    tally.checked("native-margin");
                    let native = keel_keeper::evaluate::evaluate(actor.account, &bytes)
                        .map_err(|e| e.to_string())?;
                    let native = Margin {
                        im: I256::try_from(native.im).unwrap_or_default(),
                        mm: I256::try_from(native.mm).unwrap_or_default(),
                        mtm: I256::try_from(native.mtm).unwrap_or_default(),
                    };
                    if native != *m {
                        return Err(format!(
                            "account {}: the vault margins {m:?}, keel-risk {native:?}",
                            n + 1
                        ));
                    }
                }
                (Err(_), None) => {}
                (Ok(_), None) => {
                    return Err(format!("account {}: a snapshot but no margin", n + 1))
                }
                (Err(_), Some(_)) => {
                    return Err(format!("account {}: a margin but no snapshot", n + 1))
                }
            }
        }
        Ok(())
    }
}
