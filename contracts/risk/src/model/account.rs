//! Keel's account description, shared by the three margin modes.
//!
//! One [`Account`] (cash, collateral balances, positions) valued against one
//! [`MarketSnapshot`] (prices, forwards, rates, vol surfaces, confidences) can be margined
//! as **isolated**, **cross** or **portfolio**. This module owns the translation from that
//! common description into each model's native inputs, so the vault contract, the keeper
//! and the CLI obtain identical numbers from identical state.
//!
//! Indices, not names: underlyings and collateral assets are referred to by their position in
//! the snapshot's lists, which keeps the type `no_std`-friendly and cheap to build from storage.

use alloc::vec::Vec;

use crate::math::{svi_vol, SviParams};
use crate::model::cross::{cross_margin, CrossMargin};
use crate::model::cross::{
    CollateralHolding as CrossCollateral, CrossAccount, ExpiryData, ExpiryHoldings, MarketData,
    MarketHoldings, OptionHolding as CrossOption, SrmGlobals, SrmParams,
};
use crate::model::isolated::{
    isolated_margin, IsolatedAccount, IsolatedCollateral, IsolatedInstrument, IsolatedMargin,
    IsolatedPosition,
};
use crate::model::portfolio::{
    portfolio_margin, CollateralHolding, ExpiryBook, OptionHolding, PerpHolding, Pm2Params,
    PortfolioAccount, PortfolioMargin, UnderlyingBook,
};
use crate::{RiskError, Wad};

/// Market data for one evaluation, as the oracle adapter reports it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MarketSnapshot {
    /// Evaluation time (unix seconds).
    pub now: u64,
    /// USD price of the stable settlement asset in which cash is held.
    pub stable_price: Wad,
    /// Underlyings that positions may reference, by index.
    pub underlyings: Vec<UnderlyingMarket>,
    /// Collateral assets that balances may reference, by index.
    pub assets: Vec<CollateralAsset>,
}

/// Market data of one underlying (ETH, BTC…).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct UnderlyingMarket {
    /// Spot (index) price in USD.
    pub spot: Wad,
    /// Confidence of the spot price in [0, 1].
    pub spot_confidence: Wad,
    /// Perpetual mark price in USD.
    pub perp_price: Wad,
    /// Confidence of the perp mark in [0, 1].
    pub perp_confidence: Wad,
    /// Listed expiries, in any order, at most one entry per timestamp.
    pub expiries: Vec<ExpiryMarket>,
}

/// Market data of one expiry of an underlying.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ExpiryMarket {
    /// Expiry timestamp (unix seconds).
    pub expiry: u64,
    /// Forward price `F = F^fix + F^var`.
    pub forward: Wad,
    /// The part of the forward already fixed into the settlement average (0 until the last
    /// 30 minutes before expiry); spot shocks move only `forward − forward_fixed`.
    pub forward_fixed: Wad,
    /// Confidence of the forward.
    pub forward_confidence: Wad,
    /// Continuously compounded annual rate (negative values are floored at 0 by the models).
    pub rate: Wad,
    /// Confidence of the rate.
    pub rate_confidence: Wad,
    /// Raw-SVI implied-vol surface of the expiry.
    pub svi: SviParams,
    /// Confidence of the vol surface.
    pub vol_confidence: Wad,
}

/// A collateral asset and its risk parameters.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CollateralAsset {
    /// USD price of one unit (already through the LST depeg guard where it applies).
    pub price: Wad,
    /// Confidence of the price.
    pub confidence: Wad,
    /// Maintenance haircut as a fraction of value.
    pub mm_haircut: Wad,
    /// Extra initial haircut on top of the maintenance one.
    pub im_haircut: Wad,
    /// The underlying whose spot moves this asset (wETH, wstETH → ETH): the asset then
    /// cancels risk in portfolio scenarios and shares that underlying's confidence.
    pub risk_cancelling_underlying: Option<u32>,
}

/// What a position is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Instrument {
    /// A perpetual future; `unsettled` is its unrealised PnL plus unsettled funding in USD.
    Perp {
        /// Unrealised PnL plus unsettled funding (signed USD).
        unsettled: Wad,
    },
    /// A European option.
    Option {
        /// Expiry timestamp (unix seconds); must be listed for the underlying.
        expiry: u64,
        /// Strike in USD.
        strike: Wad,
        /// Call (true) or put (false).
        is_call: bool,
    },
}

/// Collateral set aside for one position in isolated mode.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssignedCollateral {
    /// Cash assigned (stable units, ≥ 0).
    pub cash: Wad,
    /// `(asset index, amount)` pairs assigned.
    pub assets: Vec<(u32, Wad)>,
}

/// One position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Position {
    /// Index of the underlying in [`MarketSnapshot::underlyings`].
    pub underlying: u32,
    /// Perp or option.
    pub instrument: Instrument,
    /// Signed size in units of the underlying (long > 0).
    pub size: Wad,
    /// The collateral that secures this position alone in isolated mode.
    pub isolated_collateral: AssignedCollateral,
}

/// An account: one pool of collateral and its positions.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Account {
    /// Cash in stable units (negative = borrowed).
    pub cash: Wad,
    /// Balance of each collateral asset, indexed like [`MarketSnapshot::assets`]
    /// (shorter lists mean zero for the rest).
    pub collateral: Vec<Wad>,
    /// Open positions.
    pub positions: Vec<Position>,
}

impl Account {
    /// The account as the portfolio model sees it: one book per underlying the account is
    /// exposed to (in order of first reference), options grouped by expiry, perps of one
    /// underlying merged, every collateral asset once.
    pub fn to_portfolio(&self, market: &MarketSnapshot) -> Result<PortfolioAccount, RiskError> {
        self.to_portfolio_with_map(market)
            .map(|(account, _)| account)
    }

    /// [`Account::to_portfolio`] plus, for each book, the snapshot index of its underlying.
    pub fn to_portfolio_with_map(
        &self,
        market: &MarketSnapshot,
    ) -> Result<(PortfolioAccount, Vec<u32>), RiskError> {
        // Only underlyings the account is exposed to take part: a position on them, or held
        // collateral that cancels their risk. Others would only add their confidence to the
        // collateral rule. `slots[u]` is the book index of snapshot underlying `u`.
        let mut slots: Vec<Option<u32>> = alloc::vec![None; market.underlyings.len()];
        let mut books: Vec<UnderlyingBook> = Vec::new();
        let mut book_of = |u: u32, slots: &mut Vec<Option<u32>>| -> Result<usize, RiskError> {
            let slot = slots
                .get_mut(u as usize)
                .ok_or(RiskError::MissingMarketData)?;
            if let Some(index) = *slot {
                return Ok(index as usize);
            }
            let data = &market.underlyings[u as usize];
            books.push(UnderlyingBook {
                spot: data.spot,
                spot_confidence: data.spot_confidence,
                perp: PerpHolding {
                    amount: Wad::ZERO,
                    unrealised: Wad::ZERO,
                    price: data.perp_price,
                    confidence: data.perp_confidence,
                },
                expiries: Vec::new(),
            });
            *slot = Some(books.len() as u32 - 1);
            Ok(books.len() - 1)
        };
        let mut placements = Vec::with_capacity(self.positions.len());
        for position in &self.positions {
            placements.push(book_of(position.underlying, &mut slots)?);
        }
        for (asset, amount) in market.assets.iter().zip(&self.collateral) {
            if let (Some(u), true) = (asset.risk_cancelling_underlying, amount.is_positive()) {
                book_of(u, &mut slots)?;
            }
        }
        for (position, &index) in self.positions.iter().zip(&placements) {
            let underlying = &market.underlyings[position.underlying as usize];
            let book = &mut books[index];
            match position.instrument {
                Instrument::Perp { unsettled } => {
                    book.perp.amount = book.perp.amount.add(position.size)?;
                    book.perp.unrealised = book.perp.unrealised.add(unsettled)?;
                }
                Instrument::Option {
                    expiry,
                    strike,
                    is_call,
                } => {
                    let slot = slot_of(
                        &mut book.expiries,
                        |e| e.expiry == expiry,
                        || {
                            let data = expiry_market(underlying, expiry)?;
                            Ok(ExpiryBook {
                                expiry,
                                forward_fixed: data.forward_fixed,
                                forward_variable: data.forward.sub(data.forward_fixed)?,
                                forward_confidence: data.forward_confidence,
                                rate: data.rate,
                                rate_confidence: data.rate_confidence,
                                svi: data.svi,
                                vol_confidence: data.vol_confidence,
                                options: Vec::new(),
                            })
                        },
                    )?;
                    book.expiries[slot].options.push(OptionHolding {
                        strike,
                        is_call,
                        amount: position.size,
                    });
                }
            }
        }
        let collaterals = market
            .assets
            .iter()
            .zip(self.collateral.iter().chain(core::iter::repeat(&Wad::ZERO)))
            .map(|(asset, amount)| CollateralHolding {
                amount: *amount,
                price: asset.price,
                confidence: asset.confidence,
                mm_haircut: asset.mm_haircut,
                im_haircut: asset.im_haircut,
                risk_cancelling: asset
                    .risk_cancelling_underlying
                    .and_then(|u| slots.get(u as usize).copied().flatten()),
            })
            .collect();
        let mut book_underlyings = alloc::vec![0u32; books.len()];
        for (u, slot) in slots.iter().enumerate() {
            if let Some(book) = slot {
                book_underlyings[*book as usize] = u as u32;
            }
        }
        let account = PortfolioAccount {
            now: market.now,
            cash: self.cash,
            stable_price: market.stable_price,
            underlyings: books,
            collaterals,
        };
        Ok((account, book_underlyings))
    }
}

/// Parameters of every mode, as the vault's risk admin sets them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RiskParams {
    /// Cross-margin (SRM) parameters per underlying, indexed like the snapshot's underlyings;
    /// the last entry applies to any underlying beyond the list.
    pub cross_markets: Vec<SrmParams>,
    /// Stable de-peg threshold and factor of cross margin (SRM §7.3).
    pub cross_depeg_threshold: Wad,
    /// See [`RiskParams::cross_depeg_threshold`].
    pub cross_depeg_factor: Wad,
    /// Portfolio-margin (PM2) parameters and scenario grid.
    pub portfolio: Pm2Params,
}

impl RiskParams {
    /// Keel's defaults: the parameter values of Derive's published SRM and PM2 test
    /// environments (SRM §3.3 golden column with base factor 0.8; PM2 §14), which Keel's
    /// conformance suites reproduce.
    pub fn keel_default() -> RiskParams {
        let cross = SrmParams {
            max_spot_req: Wad::ratio(15, 100),
            min_spot_req: Wad::ratio(10, 100),
            mm_call_spot_req: Wad::ratio(75, 1000),
            mm_put_spot_req: Wad::ratio(75, 1000),
            mm_put_mtm_req: Wad::ratio(75, 1000),
            unpaired_im_scale: Wad::ratio(12, 10),
            unpaired_mm_scale: Wad::ratio(11, 10),
            mm_offset_scale: Wad::ratio(105, 100),
            perp_im_req: Wad::ratio(65, 1000),
            perp_mm_req: Wad::ratio(5, 100),
            base_margin_factor: Wad::ratio(8, 10),
            base_im_scale: Wad::ONE,
            oc_perp_threshold: Wad::ratio(4, 10),
            oc_option_threshold: Wad::ratio(4, 10),
            oc_base_threshold: Wad::ratio(4, 10),
            oc_factor: Wad::ratio(4, 10),
        };
        RiskParams {
            cross_markets: alloc::vec![cross],
            cross_depeg_threshold: Wad::ratio(98, 100),
            cross_depeg_factor: Wad::ratio(12, 10),
            portfolio: Pm2Params::keel_default(),
        }
    }

    fn cross_market(&self, underlying: usize) -> Result<SrmParams, RiskError> {
        self.cross_markets
            .get(underlying)
            .or(self.cross_markets.last())
            .copied()
            .ok_or(RiskError::ParameterOutOfBounds)
    }
}

/// The market data of `expiry`, which every option position must have.
fn expiry_market(underlying: &UnderlyingMarket, expiry: u64) -> Result<&ExpiryMarket, RiskError> {
    underlying
        .expiries
        .iter()
        .find(|e| e.expiry == expiry)
        .ok_or(RiskError::MissingExpiryData)
}

/// The cross model's view of an expiry's market data.
fn cross_expiry(data: &ExpiryMarket) -> ExpiryData {
    ExpiryData {
        expiry: data.expiry,
        forward: data.forward,
        forward_confidence: data.forward_confidence,
        vol_confidence: data.vol_confidence,
    }
}

/// Index of the first item `matches` accepts, appending `make()` when there is none.
fn slot_of<T>(
    items: &mut Vec<T>,
    matches: impl Fn(&T) -> bool,
    make: impl FnOnce() -> Result<T, RiskError>,
) -> Result<usize, RiskError> {
    if let Some(slot) = items.iter().position(matches) {
        return Ok(slot);
    }
    items.push(make()?);
    Ok(items.len() - 1)
}

/// Implied vol of an option from its expiry's SVI surface, capped as on-chain.
fn option_vol(data: &ExpiryMarket, strike: Wad, params: &Pm2Params) -> Result<Wad, RiskError> {
    svi_vol(&data.svi, strike, params.svi_max_total_variance)
}

impl Account {
    /// The account as the cross model sees it: every underlying of the snapshot as a market
    /// (an untouched one contributes exactly 0), options grouped by expiry with the vol of
    /// their strike, perps merged, collateral assets as generic collateral linked to the
    /// underlying they track. Cash stays cash; nothing is treated as SRM's base asset.
    pub fn to_cross(
        &self,
        market: &MarketSnapshot,
        params: &RiskParams,
    ) -> Result<CrossAccount, RiskError> {
        let oc = params.cross_market(0)?;
        let mut markets = Vec::with_capacity(market.underlyings.len());
        for (index, u) in market.underlyings.iter().enumerate() {
            markets.push(MarketHoldings {
                data: MarketData {
                    spot: u.spot,
                    spot_confidence: u.spot_confidence,
                    perp_price: u.perp_price,
                    perp_confidence: u.perp_confidence,
                    params: params.cross_market(index)?,
                },
                perp_size: Wad::ZERO,
                perp_unsettled_cash: Wad::ZERO,
                base_balance: Wad::ZERO,
                expiries: Vec::new(),
            });
        }
        for position in &self.positions {
            let index = position.underlying as usize;
            let underlying = market
                .underlyings
                .get(index)
                .ok_or(RiskError::MissingMarketData)?;
            let holdings = &mut markets[index];
            match position.instrument {
                Instrument::Perp { unsettled } => {
                    holdings.perp_size = holdings.perp_size.add(position.size)?;
                    holdings.perp_unsettled_cash = holdings.perp_unsettled_cash.add(unsettled)?;
                }
                Instrument::Option {
                    expiry,
                    strike,
                    is_call,
                } => {
                    let data = expiry_market(underlying, expiry)?;
                    let vol = option_vol(data, strike, &params.portfolio)?;
                    let slot = slot_of(
                        &mut holdings.expiries,
                        |e| e.data.expiry == expiry,
                        || {
                            Ok(ExpiryHoldings {
                                data: cross_expiry(data),
                                options: Vec::new(),
                            })
                        },
                    )?;
                    holdings.expiries[slot].options.push(CrossOption {
                        strike,
                        is_call,
                        amount: position.size,
                        vol,
                    });
                }
            }
        }
        let collaterals = market
            .assets
            .iter()
            .zip(self.collateral.iter().chain(core::iter::repeat(&Wad::ZERO)))
            .map(|(asset, amount)| CrossCollateral {
                amount: *amount,
                price: asset.price,
                confidence: asset.confidence,
                mm_haircut: asset.mm_haircut,
                im_haircut: asset.im_haircut,
                market: asset.risk_cancelling_underlying,
            })
            .collect();
        Ok(CrossAccount {
            time: market.now,
            cash: self.cash,
            globals: SrmGlobals {
                stable_price: market.stable_price,
                depeg_threshold: params.cross_depeg_threshold,
                depeg_factor: params.cross_depeg_factor,
                collateral_oc_threshold: oc.oc_base_threshold,
                collateral_oc_factor: oc.oc_factor,
            },
            markets,
            collaterals,
        })
    }
}

impl Account {
    /// The account as the isolated model sees it: each position with the collateral assigned
    /// to it, valued against the same markets and parameters as cross margin.
    pub fn to_isolated(
        &self,
        market: &MarketSnapshot,
        params: &RiskParams,
    ) -> Result<IsolatedAccount, RiskError> {
        let cross = self.to_cross(market, params)?;
        let mut positions = Vec::with_capacity(self.positions.len());
        for position in &self.positions {
            let underlying = market
                .underlyings
                .get(position.underlying as usize)
                .ok_or(RiskError::MissingMarketData)?;
            let instrument = match position.instrument {
                Instrument::Perp { unsettled } => IsolatedInstrument::Perp {
                    size: position.size,
                    unsettled_cash: unsettled,
                },
                Instrument::Option {
                    expiry,
                    strike,
                    is_call,
                } => {
                    let data = expiry_market(underlying, expiry)?;
                    IsolatedInstrument::Option {
                        expiry: cross_expiry(data),
                        option: CrossOption {
                            strike,
                            is_call,
                            amount: position.size,
                            vol: option_vol(data, strike, &params.portfolio)?,
                        },
                    }
                }
            };
            let assigned = &position.isolated_collateral;
            let mut assets = Vec::with_capacity(assigned.assets.len());
            for &(index, amount) in &assigned.assets {
                let template = cross
                    .collaterals
                    .get(index as usize)
                    .ok_or(RiskError::MissingMarketData)?;
                assets.push(CrossCollateral {
                    amount,
                    ..*template
                });
            }
            positions.push(IsolatedPosition {
                market: position.underlying,
                instrument,
                collateral: IsolatedCollateral {
                    cash: assigned.cash,
                    base: Vec::new(),
                    assets,
                },
            });
        }
        Ok(IsolatedAccount {
            time: cross.time,
            globals: cross.globals,
            markets: cross.markets.iter().map(|m| m.data).collect(),
            positions,
        })
    }

    /// Mark-to-market of the cash and collateral no position is assigned in isolated mode.
    fn unassigned_value(&self, market: &MarketSnapshot) -> Result<Wad, RiskError> {
        let mut cash = self.cash;
        let mut amounts: Vec<Wad> = self.collateral.clone();
        amounts.resize(market.assets.len(), Wad::ZERO);
        for position in &self.positions {
            cash = cash.sub(position.isolated_collateral.cash)?;
            for &(index, amount) in &position.isolated_collateral.assets {
                let slot = amounts
                    .get_mut(index as usize)
                    .ok_or(RiskError::MissingMarketData)?;
                *slot = slot.sub(amount)?;
            }
        }
        let mut value = cash;
        for (asset, amount) in market.assets.iter().zip(&amounts) {
            value = value.add(amount.mul(asset.price)?.div(market.stable_price)?)?;
        }
        Ok(value)
    }
}

/// One mode's headline numbers. Margins are surpluses (≥ 0 healthy); requirements are the part
/// of the account's value the mode locks: `requirement = MtM − margin`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ModeSummary {
    /// Initial-margin surplus: what could still be withdrawn or put at risk.
    pub im: Wad,
    /// Maintenance-margin surplus: liquidation starts below zero.
    pub mm: Wad,
    /// Mark-to-market value of the account (cash, collateral, positions).
    pub mtm: Wad,
    /// `MtM − IM`.
    pub im_requirement: Wad,
    /// `MtM − MM`.
    pub mm_requirement: Wad,
    /// Positions (isolated) or accounts (cross, portfolio: 0 or 1) below maintenance.
    pub liquidatable: u32,
}

impl ModeSummary {
    fn new(im: Wad, mm: Wad, mtm: Wad) -> Result<ModeSummary, RiskError> {
        Ok(ModeSummary {
            im,
            mm,
            mtm,
            im_requirement: mtm.sub(im)?,
            mm_requirement: mtm.sub(mm)?,
            liquidatable: u32::from(mm.is_negative()),
        })
    }
}

/// The same account margined in all three modes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ModeComparison {
    /// Isolated headline (unassigned cash and collateral count as free surplus).
    pub isolated: ModeSummary,
    /// Cross headline.
    pub cross: ModeSummary,
    /// Portfolio headline.
    pub portfolio: ModeSummary,
    /// Per-position isolated detail.
    pub isolated_detail: IsolatedMargin,
    /// Cross breakdown.
    pub cross_detail: CrossMargin,
    /// Portfolio breakdown.
    pub portfolio_detail: PortfolioMargin,
    /// Snapshot index of the underlying behind each portfolio breakdown entry.
    pub portfolio_underlyings: Vec<u32>,
}

impl ModeComparison {
    /// Initial requirement portfolio mode releases compared with cross (positive = frees).
    pub fn portfolio_frees_vs_cross(&self) -> Result<Wad, RiskError> {
        self.cross.im_requirement.sub(self.portfolio.im_requirement)
    }

    /// Initial requirement portfolio mode releases compared with isolated.
    pub fn portfolio_frees_vs_isolated(&self) -> Result<Wad, RiskError> {
        self.isolated
            .im_requirement
            .sub(self.portfolio.im_requirement)
    }
}

/// Margins `account` in isolated, cross and portfolio mode against one market snapshot.
pub fn compare_modes(
    account: &Account,
    market: &MarketSnapshot,
    params: &RiskParams,
) -> Result<ModeComparison, RiskError> {
    let isolated_detail = isolated_margin(&account.to_isolated(market, params)?)?;
    let cross_detail = cross_margin(&account.to_cross(market, params)?)?;
    let (portfolio_account, portfolio_underlyings) = account.to_portfolio_with_map(market)?;
    let portfolio_detail = portfolio_margin(&portfolio_account, &params.portfolio)?;

    let totals = &isolated_detail.totals;
    let free = account.unassigned_value(market)?;
    let isolated_mtm = totals.mtm.add(free)?;
    let mut isolated = ModeSummary::new(
        totals.surplus_im.add(free)?,
        totals.surplus_mm.add(free)?,
        isolated_mtm,
    )?;
    isolated.im_requirement = totals.mtm.sub(totals.surplus_im)?;
    isolated.mm_requirement = totals.mtm.sub(totals.surplus_mm)?;
    isolated.liquidatable = totals.liquidatable_positions;

    Ok(ModeComparison {
        isolated,
        cross: ModeSummary::new(cross_detail.im, cross_detail.mm, cross_detail.mtm)?,
        portfolio: ModeSummary::new(
            portfolio_detail.im,
            portfolio_detail.mm,
            portfolio_detail.mtm,
        )?,
        isolated_detail,
        cross_detail,
        portfolio_detail,
        portfolio_underlyings,
    })
}
