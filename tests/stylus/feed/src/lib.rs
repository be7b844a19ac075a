//! # keel-test-feed
//!
//! A **test-only** Chainlink `AggregatorV3Interface` feed as a Stylus program, never deployed
//! on a chain: the end-to-end tests (`scripts/tests/e2e.rs`) run it on the embedded host as
//! the oracle adapter's price feeds, the depeg guard's rate and market feeds, and the
//! Arbitrum **sequencer uptime feed** (answer 0 = up, 1 = down, `startedAt` = since when).
//! It owns nothing but its own rounds.
//!
//! * `decimals` is set by the constructor; `description()` and `version()` answer constants.
//! * **`setRound(answer, startedAt, updatedAt)` may be called by anyone** (test-only) and
//!   appends a round: its id is the previous one plus 1, starting at 1, and its
//!   `answeredInRound` is its own id. It returns the id.
//! * Round ids follow Chainlink's proxies: `phaseId << 64 | aggregatorRoundId`. The phase is 0
//!   until `startPhase(phaseId)` (anyone, a larger phase than the current one) opens a new
//!   one, whose first round has aggregator round 1 — what the oracle adapter's settlement
//!   proof relies on (the predecessor of a round is `roundId − 1` in the same phase, and the
//!   first round of a phase has none).
//! * `latestRoundData()` returns the last round; `getRoundData(roundId)` any appended one.
//!   Both revert with `NoDataPresent()` when there is no such round (as Chainlink's
//!   aggregators do), so a reader's "call failed" path can be exercised too.

#![cfg_attr(not(test), no_main)]
#![cfg_attr(target_arch = "wasm32", no_std)]
#![warn(missing_docs)]

extern crate alloc;

use alloc::string::String;

use alloy_primitives::{aliases::U80, I256, U256};
use alloy_sol_types::sol;
use stylus_sdk::prelude::*;
use stylus_sdk::storage::{
    StorageBool, StorageI256, StorageMap, StorageU256, StorageU64, StorageU8,
};

/// What `version()` answers (Chainlink's current aggregators answer 4).
pub const VERSION: u64 = 4;
/// What `description()` answers.
pub const DESCRIPTION: &str = "keel test feed";

sol! {
    /// Chainlink's event for a new answer.
    #[derive(Debug, PartialEq, Eq)]
    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);

    /// No round with that id (or no round at all).
    #[derive(Debug, PartialEq, Eq)]
    error NoDataPresent();
    /// `startPhase` with a phase id not above the current one.
    #[derive(Debug, PartialEq, Eq)]
    error PhaseNotIncreasing(uint16 current, uint16 requested);
}

/// Every way a call can fail; each variant reverts with the Solidity error of its name.
#[derive(SolidityError, Debug, PartialEq, Eq)]
pub enum FeedError {
    /// `NoDataPresent()`.
    NoDataPresent(NoDataPresent),
    /// `PhaseNotIncreasing(current, requested)`.
    PhaseNotIncreasing(PhaseNotIncreasing),
}

/// A round as `latestRoundData` / `getRoundData` return it.
pub type RoundData = (U80, I256, U256, U256, U80);

/// The proxy round id of aggregator round `round` in `phase`.
pub fn round_id(phase: u16, round: u64) -> u128 {
    u128::from(phase) << 64 | u128::from(round)
}

pub use contract::TestFeed;

// `#[entrypoint]` and `#[storage]` generate undocumented items.
#[allow(missing_docs)]
mod contract {
    use super::*;
    // `vec!`/`Vec` are used by the code `#[storage]` and `#[public]` generate.
    #[allow(unused_imports)]
    use alloc::{vec, vec::Vec};

    /// One appended round.
    #[storage]
    pub struct Round {
        exists: StorageBool,
        answer: StorageI256,
        started_at: StorageU256,
        updated_at: StorageU256,
    }

    /// The feed's storage: its decimals, the current phase, the phase's last aggregator
    /// round (0: none yet) and every round by its proxy id.
    #[storage]
    #[entrypoint]
    pub struct TestFeed {
        decimals: StorageU8,
        phase: StorageU64,
        last_round: StorageU64,
        rounds: StorageMap<U256, Round>,
    }

    #[public]
    impl TestFeed {
        /// Sets the decimals (run once, with the deployment).
        #[constructor]
        pub fn constructor(&mut self, decimals: u8) {
            self.decimals.set(alloy_primitives::U8::from(decimals));
        }

        /// The answers' decimals.
        pub fn decimals(&self) -> u8 {
            self.decimals.get().to::<u8>()
        }

        /// A constant description.
        pub fn description(&self) -> String {
            String::from(DESCRIPTION)
        }

        /// The aggregator version ([`VERSION`]).
        pub fn version(&self) -> U256 {
            U256::from(VERSION)
        }

        /// Anyone (test-only): appends a round; its id.
        pub fn set_round(&mut self, answer: I256, started_at: U256, updated_at: U256) -> U80 {
            let round = self.last_round.get().to::<u64>().saturating_add(1);
            self.last_round.set(alloy_primitives::U64::from(round));
            let id = round_id(self.phase(), round);
            let mut slot = self.rounds.setter(U256::from(id));
            slot.exists.set(true);
            slot.answer.set(answer);
            slot.started_at.set(started_at);
            slot.updated_at.set(updated_at);
            self.vm().log(AnswerUpdated {
                current: answer,
                roundId: U256::from(id),
                updatedAt: updated_at,
            });
            U80::from(id)
        }

        /// Anyone (test-only): opens phase `phase_id` (above the current one); its first
        /// round will be aggregator round 1.
        pub fn start_phase(&mut self, phase_id: u16) -> Result<(), FeedError> {
            let current = self.phase();
            if phase_id <= current {
                return Err(FeedError::PhaseNotIncreasing(PhaseNotIncreasing {
                    current,
                    requested: phase_id,
                }));
            }
            self.phase.set(alloy_primitives::U64::from(phase_id));
            self.last_round.set(alloy_primitives::U64::ZERO);
            Ok(())
        }

        /// The current phase id.
        pub fn phase_id(&self) -> u16 {
            self.phase()
        }

        /// The last round (`NoDataPresent()` before the first).
        pub fn latest_round_data(&self) -> Result<RoundData, FeedError> {
            let round = self.last_round.get().to::<u64>();
            if round == 0 {
                return Err(FeedError::NoDataPresent(NoDataPresent {}));
            }
            self.round(round_id(self.phase(), round))
        }

        /// Round `round_id` (`NoDataPresent()` when it was never appended).
        pub fn get_round_data(&self, round_id: U80) -> Result<RoundData, FeedError> {
            self.round(round_id.to::<u128>())
        }
    }

    impl TestFeed {
        fn phase(&self) -> u16 {
            self.phase.get().to::<u16>()
        }

        fn round(&self, id: u128) -> Result<RoundData, FeedError> {
            let slot = self.rounds.getter(U256::from(id));
            if !slot.exists.get() {
                return Err(FeedError::NoDataPresent(NoDataPresent {}));
            }
            Ok((
                U80::from(id),
                slot.answer.get(),
                slot.started_at.get(),
                slot.updated_at.get(),
                U80::from(id),
            ))
        }
    }
}
