//! The steps a sequence is made of: every state-changing vault call, made by the actor whose
//! role it is (or by someone else, to prove it is refused), interleaved with moves of the
//! market, the clock and the sequencer. [`step`] generates them; [`World::apply`] runs one and
//! says what happened.

use alloy::primitives::{Address, I256, U256};
use alloy::sol_types::SolCall;
use proptest::prelude::*;

use crate::world::{World, WAD};
use keel_deploy::bindings::{ILstDepegGuard, IMarginVault, IOracleAdapter, TestToken};

/// One step.
#[derive(Clone, Debug)]
pub enum Step {
    /// The owner deposits USDC (whole dollars), WETH or wstETH (hundredths).
    Deposit {
        actor: usize,
        asset: u8,
        amount: u32,
    },
    /// The owner (or the first account's operator) withdraws.
    Withdraw {
        actor: usize,
        asset: u8,
        amount: u32,
        by_operator: bool,
    },
    /// `taker` takes `halves`/2 of an instrument from `maker` at the fair price moved by
    /// `off` per mille.
    Trade {
        taker: usize,
        maker: usize,
        instrument: usize,
        halves: i8,
        off: i16,
    },
    /// `actor` takes as large an ETH perpetual (long or short) from the maker as its
    /// initial-margin surplus allows (about): leverage for the market to test.
    Lever { actor: usize, long: bool },
    /// ETH moves by `percent`.
    Price { percent: i8 },
    /// The vol of the expiry's slice becomes `percent` of its base.
    Vol { percent: u16 },
    /// Time passes (every price republished at its value unless `stale`).
    Warp { minutes: u16, stale: bool },
    /// wstETH's market rate (thousandths of its fundamental rate).
    Depeg { per_mille: u16 },
    /// The sequencer goes down, or comes back up.
    Sequencer { down: bool },
    /// The guardian pauses, or the owner unpauses.
    Pause { on: bool },
    /// The keeper starts an auction.
    StartAuction { target: usize },
    /// The keeper's account (or the target's own owner) bids `percent` of the account.
    Bid {
        target: usize,
        percent: u8,
        by_owner: bool,
    },
    /// Anyone ends an auction.
    EndAuction { target: usize },
    /// Anyone realises an account's perpetual PnL.
    Realise { target: usize },
    /// The settlement price of the expiry is fixed, then an account's options settled.
    Settle { target: usize },
    /// A token sent to the vault outside its accounting.
    Donate { asset: u8, amount: u32 },
    /// Someone without the role makes a privileged call.
    Privileged { call: u8 },
}

/// What a step touched and how it ended.
#[derive(Clone, Debug, Default)]
pub struct Applied {
    /// The step's kind (for the tallies).
    pub kind: &'static str,
    /// Whether its call succeeded (market moves always do).
    pub succeeded: bool,
    /// The revert, decoded.
    pub revert: Option<Vec<u8>>,
    /// Accounts whose margin a user (not the market) changed: checked against maintenance.
    pub users: Vec<usize>,
    /// Trade sides, checked against the initial-margin rule.
    pub traders: Vec<usize>,
    /// A bid: target and bidder.
    pub bid: Option<(usize, usize)>,
    /// A successful bid's outcome: the fraction filled (wad) and the payment to the account.
    pub bid_filled: Option<(U256, I256)>,
    /// A privileged call by someone without the role.
    pub privileged: bool,
    /// Whether the vault was paused before the step.
    pub paused: bool,
}

const ACTORS: usize = 5;

/// A generated step.
pub fn step() -> impl Strategy<Value = Step> {
    let actor = 0..ACTORS;
    prop_oneof![
        4 => (actor.clone(), 0u8..3, 1u32..50_000).prop_map(|(actor, asset, amount)| Step::Deposit { actor, asset, amount }),
        3 => (actor.clone(), 0u8..3, 1u32..100_000, any::<bool>()).prop_map(|(actor, asset, amount, by_operator)| Step::Withdraw { actor, asset, amount, by_operator }),
        8 => (actor.clone(), maker(), 0usize..3, -80i8..=80, -200i16..=200).prop_map(|(taker, maker, instrument, halves, off)| Step::Trade { taker, maker, instrument, halves, off }),
        3 => (0..World::MAKER, any::<bool>()).prop_map(|(actor, long)| Step::Lever { actor, long }),
        4 => (-40i8..=40).prop_map(|percent| Step::Price { percent }),
        1 => (50u16..300).prop_map(|percent| Step::Vol { percent }),
        2 => (1u16..3_000, prop::bool::weighted(0.1)).prop_map(|(minutes, stale)| Step::Warp { minutes, stale }),
        1 => (850u16..=1_010).prop_map(|per_mille| Step::Depeg { per_mille }),
        1 => prop::bool::weighted(0.3).prop_map(|down| Step::Sequencer { down }),
        1 => prop::bool::weighted(0.3).prop_map(|on| Step::Pause { on }),
        4 => actor.clone().prop_map(|target| Step::StartAuction { target }),
        4 => (actor.clone(), 1u8..=100, prop::bool::weighted(0.1)).prop_map(|(target, percent, by_owner)| Step::Bid { target, percent, by_owner }),
        1 => actor.clone().prop_map(|target| Step::EndAuction { target }),
        1 => actor.clone().prop_map(|target| Step::Realise { target }),
        1 => actor.clone().prop_map(|target| Step::Settle { target }),
        1 => (0u8..3, 1u32..1_000).prop_map(|(asset, amount)| Step::Donate { asset, amount }),
        2 => (0u8..PRIVILEGED).prop_map(|call| Step::Privileged { call }),
    ]
}

/// Steps that move the market, the clock or the sequencer rather than call Keel.
const MARKET_MOVES: [&str; 6] = ["price", "vol", "warp", "depeg", "sequencer", "donate"];

/// A trade's maker: mostly the market maker, sometimes anyone.
fn maker() -> impl Strategy<Value = usize> {
    prop_oneof![3 => Just(World::MAKER), 1 => 0..ACTORS]
}

/// How many privileged calls [`World::privileged`] knows.
pub const PRIVILEGED: u8 = 12;

impl World {
    fn asset(&self, asset: u8) -> (Address, U256) {
        // Token and units of one whole (USDC) or one hundredth (WETH, wstETH).
        match asset {
            0 => (self.usdc, U256::from(1_000_000u64)),
            1 => (self.weth, U256::from(WAD / 100)),
            _ => (self.wsteth, U256::from(WAD / 100)),
        }
    }

    /// Runs `step`.
    pub fn apply(&mut self, step: &Step) -> Applied {
        let paused = self
            .view(self.vault, IMarginVault::pausedCall {})
            .unwrap_or(false);
        let mut applied = Applied {
            paused,
            succeeded: true,
            ..Applied::default()
        };
        let result: Result<(), Vec<u8>> = match *step {
            Step::Deposit {
                actor,
                asset,
                amount,
            } => {
                applied.kind = "deposit";
                let (token, unit) = self.asset(asset);
                let a = self.actors[actor].clone();
                let amount = unit * U256::from(amount);
                let _ = self.send(
                    a.owner(),
                    token,
                    TestToken::mintCall {
                        to: a.owner(),
                        amount,
                    },
                );
                let _ = self.send(
                    a.owner(),
                    token,
                    TestToken::approveCall {
                        spender: self.vault,
                        amount: U256::MAX,
                    },
                );
                self.send(
                    a.owner(),
                    self.vault,
                    IMarginVault::depositCall {
                        id: a.account,
                        asset: token,
                        amount,
                    },
                )
                .map(drop)
            }
            Step::Withdraw {
                actor,
                asset,
                amount,
                by_operator,
            } => {
                applied.kind = "withdraw";
                applied.users.push(actor);
                let (token, unit) = self.asset(asset);
                let a = self.actors[actor].clone();
                let from = if by_operator {
                    self.operator
                } else {
                    a.owner()
                };
                self.send(
                    from,
                    self.vault,
                    IMarginVault::withdrawCall {
                        id: a.account,
                        asset: token,
                        amount: unit * U256::from(amount),
                        to: a.owner(),
                    },
                )
                .map(drop)
            }
            Step::Trade {
                taker,
                maker,
                instrument,
                halves,
                off,
            } => {
                applied.kind = "trade";
                applied.users.extend([taker, maker]);
                applied.traders.extend([taker, maker]);
                let size =
                    I256::try_from(i128::from(halves) * (WAD as i128 / 2)).unwrap_or_default();
                let fair: u128 = match instrument {
                    0 => self.eth_usd.max(1) as u128,
                    _ => (self.eth_usd.max(1) as u128) * u128::from(self.vol_percent) / 3_000 + 1,
                };
                let per_mille = (1_000 + i128::from(off)).max(1) as u128;
                let price = U256::from(fair * WAD / 1_000 * per_mille);
                let id = self.instruments[instrument];
                self.trade(taker, maker, id, size, price).map(drop)
            }
            Step::Lever { actor, long } => {
                applied.kind = "lever";
                applied.users.extend([actor, World::MAKER]);
                applied.traders.extend([actor, World::MAKER]);
                let id = self.actors[actor].account;
                let surplus = self
                    .try_view(self.vault, IMarginVault::marginCall { id })
                    .map(|m| m.initialMargin)
                    .unwrap_or_default();
                // A notional of four times the surplus.
                let spot = I256::try_from(self.eth_usd.max(1)).unwrap_or(I256::ONE);
                let mut size = surplus * I256::try_from(4i64).unwrap_or_default() / spot;
                if !long {
                    size = -size;
                }
                let price = U256::from(self.eth_usd.max(1) as u128 * WAD);
                let perp = self.instruments[0];
                self.trade(actor, World::MAKER, perp, size, price).map(drop)
            }
            Step::Price { percent } => {
                applied.kind = "price";
                self.eth_usd = (self.eth_usd * (100 + i64::from(percent)) / 100).max(1);
                self.refresh_feeds().map_err(|e| e.to_string().into_bytes())
            }
            Step::Vol { percent } => {
                applied.kind = "vol";
                let was = self.vol_percent;
                self.vol_percent = u32::from(percent);
                let pushed = self.push_expiry().map_err(|e| e.to_string().into_bytes());
                if pushed.is_err() {
                    self.vol_percent = was;
                }
                pushed
            }
            Step::Warp { minutes, stale } => {
                applied.kind = "warp";
                self.warp(u64::from(minutes) * 60);
                if stale {
                    Ok(())
                } else {
                    self.refresh_feeds()
                        .and_then(|()| self.push_expiry())
                        .map_err(|e| e.to_string().into_bytes())
                }
            }
            Step::Depeg { per_mille } => {
                applied.kind = "depeg";
                // The market feed quotes wstETH in ETH: 1.15 × per mille.
                let rate = I256::try_from(u128::from(per_mille) * 1_150_000_000_000_000)
                    .unwrap_or_default();
                self.set_round(self.wsteth_market_feed, rate)
                    .map_err(|e| e.to_string().into_bytes())
            }
            Step::Sequencer { down } => {
                applied.kind = "sequencer";
                let answer = I256::try_from(i64::from(down)).unwrap_or_default();
                self.set_round(self.sequencer_feed, answer)
                    .map_err(|e| e.to_string().into_bytes())
            }
            Step::Pause { on } => {
                applied.kind = "pause";
                if on {
                    self.send(self.admin, self.vault, IMarginVault::pauseCall {})
                        .map(drop)
                } else {
                    self.send(self.admin, self.vault, IMarginVault::unpauseCall {})
                        .map(drop)
                }
            }
            Step::StartAuction { target } => {
                applied.kind = "startAuction";
                let target = self.pick(target, |w, id| {
                    w.try_view(w.vault, IMarginVault::marginCall { id })
                        .is_ok_and(|m| m.maintenanceMargin < I256::ZERO)
                });
                let keeper = self.actors[World::KEEPER].owner();
                let id = self.actors[target].account;
                self.send(keeper, self.vault, IMarginVault::startAuctionCall { id })
                    .map(drop)
            }
            Step::Bid {
                target,
                percent,
                by_owner,
            } => {
                applied.kind = "bid";
                let target = self.pick(target, World::in_auction);
                let bidder = if by_owner { target } else { World::KEEPER };
                applied.bid = Some((target, bidder));
                let from = if by_owner {
                    self.actors[target].owner()
                } else {
                    self.actors[World::KEEPER].owner()
                };
                let call = IMarginVault::bidCall {
                    id: self.actors[target].account,
                    bidder: self.actors[bidder].account,
                    fraction: U256::from(WAD / 100) * U256::from(percent),
                    maxPayment: I256::MAX,
                };
                self.send(from, self.vault, call).map(|out| {
                    applied.bid_filled = IMarginVault::bidCall::abi_decode_returns(&out)
                        .ok()
                        .map(|r| (r.filled, r.payment));
                })
            }
            Step::EndAuction { target } => {
                applied.kind = "endAuction";
                let target = self.pick(target, World::in_auction);
                let id = self.actors[target].account;
                self.send(
                    self.stranger,
                    self.vault,
                    IMarginVault::endAuctionCall { id },
                )
                .map(drop)
            }
            Step::Realise { target } => {
                applied.kind = "realise";
                let id = self.actors[target].account;
                self.send(self.stranger, self.vault, IMarginVault::realiseCall { id })
                    .map(drop)
            }
            Step::Settle { target } => {
                applied.kind = "settle";
                let _ = self.send(
                    self.stranger,
                    self.oracle,
                    IOracleAdapter::settleCall {
                        asset: self.weth,
                        expiry: self.expiry,
                        roundId: Default::default(),
                    },
                );
                let id = self.actors[target].account;
                self.send(
                    self.stranger,
                    self.vault,
                    IMarginVault::settleOptionsCall { id },
                )
                .map(drop)
            }
            Step::Donate { asset, amount } => {
                applied.kind = "donate";
                let (token, unit) = self.asset(asset);
                let amount = unit * U256::from(amount);
                let result = self
                    .send(
                        self.stranger,
                        token,
                        TestToken::mintCall {
                            to: self.vault,
                            amount,
                        },
                    )
                    .map(drop);
                if result.is_ok() {
                    *self.donated.entry(token).or_default() += amount;
                }
                result
            }
            Step::Privileged { call } => {
                applied.kind = "privileged";
                applied.privileged = true;
                let (to, data) = self.privileged(call);
                let stranger = self.stranger;
                let outcome = self
                    .chain
                    .call(stranger, to, &data, U256::ZERO, crate::world::GAS);
                match outcome.result() {
                    Ok(_) => Ok(()),
                    Err(e) => Err(e.to_vec()),
                }
            }
        };
        if let Err(revert) = result {
            applied.succeeded = false;
            // A market move the oracle refuses (stale spot under a vol push, say) is the
            // market's business, not a call to check.
            if !MARKET_MOVES.contains(&applied.kind) {
                applied.revert = Some(revert);
            }
        }
        applied
    }

    /// The `n`-th (cyclically) actor whose account satisfies `wanted`, or actor `n` when none
    /// does: steps aimed where they can act (an auction where one runs) without the
    /// generator knowing the state.
    fn pick(&mut self, n: usize, wanted: impl Fn(&mut World, U256) -> bool) -> usize {
        let candidates: Vec<usize> = (0..self.actors.len())
            .filter(|&i| {
                let id = self.actors[i].account;
                wanted(self, id)
            })
            .collect();
        if candidates.is_empty() {
            n
        } else {
            candidates[n % candidates.len()]
        }
    }

    fn in_auction(&mut self, id: U256) -> bool {
        self.try_view(self.vault, IMarginVault::auctionCall { id })
            .is_ok_and(|a| a.active)
    }

    /// Privileged call number `n`: its target and calldata.
    pub fn privileged(&self, n: u8) -> (Address, Vec<u8>) {
        let s = self.stranger;
        let v = self.vault;
        let o = self.oracle;
        match n % PRIVILEGED {
            0 => (v, IMarginVault::pauseCall {}.abi_encode()),
            1 => (v, IMarginVault::unpauseCall {}.abi_encode()),
            2 => (
                v,
                IMarginVault::setRiskAdminCall { riskAdmin: s }.abi_encode(),
            ),
            3 => (
                v,
                IMarginVault::setGuardianCall { guardian: s }.abi_encode(),
            ),
            4 => (
                v,
                IMarginVault::setMarketCall {
                    market: s,
                    authorised: true,
                }
                .abi_encode(),
            ),
            5 => (
                v,
                IMarginVault::setLimitsCall {
                    maxPositions: 1,
                    maxExpiries: 1,
                }
                .abi_encode(),
            ),
            6 => (
                v,
                IMarginVault::transferOwnershipCall { newOwner: s }.abi_encode(),
            ),
            7 => (
                v,
                IMarginVault::setOracleAdapterCall { oracleAdapter: s }.abi_encode(),
            ),
            8 => (
                v,
                IMarginVault::setFundingRateCall {
                    underlying: self.weth,
                    ratePerSecond: I256::ONE,
                }
                .abi_encode(),
            ),
            9 => (
                o,
                IOracleAdapter::setFeederCall {
                    feeder: s,
                    allowed: true,
                }
                .abi_encode(),
            ),
            10 => (
                o,
                IOracleAdapter::setGracePeriodCall { gracePeriod: 0 }.abi_encode(),
            ),
            _ => (
                self.depeg_guard(),
                ILstDepegGuard::removeAssetCall { asset: self.wsteth }.abi_encode(),
            ),
        }
    }
}
