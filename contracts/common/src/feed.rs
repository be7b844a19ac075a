//! Chainlink `AggregatorV3Interface` reads: the interface binding and a small reader that
//! static-calls a feed and decodes its round, with a named error for a failed call and for a
//! return that is not a well-formed round.
//!
//! The reader decodes the five return words itself (length, `uint80` ranges) instead of going
//! through the generic ABI decoder: it is linked into every contract that reads a feed, and a
//! hand-written decoder of five static words is the smallest correct one. The `sol_interface!`
//! binding [`AggregatorV3Interface`] is there for callers that prefer typed calls.

use alloc::vec::Vec;

use alloy_primitives::{Address, I256, U256};
use alloy_sol_types::sol;
use stylus_sdk::call::static_call;
use stylus_sdk::prelude::*;
use stylus_sdk::stylus_core::calls::Call;
use stylus_sdk::stylus_core::host::Host;

pub use binding::AggregatorV3Interface;

/// The `sol_interface!` binding (its generated methods carry no docs of their own).
#[allow(missing_docs)]
mod binding {
    // `vec!` is used by the code `sol_interface!` generates.
    #[allow(unused_imports)]
    use alloc::vec;
    use stylus_sdk::prelude::*;

    sol_interface! {
        /// Chainlink's price-feed interface (the subset Keel reads): typed static calls
        /// `feed.latest_round_data(host, Call::new())` etc.
        interface AggregatorV3Interface {
            function decimals() external view returns (uint8);
            function getRoundData(uint80 round_id) external view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
            function latestRoundData() external view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
        }
    }
}

/// Selector of `decimals()`.
pub const DECIMALS_SELECTOR: [u8; 4] = stylus_sdk::function_selector!("decimals");
/// Selector of `latestRoundData()`.
pub const LATEST_ROUND_DATA_SELECTOR: [u8; 4] = stylus_sdk::function_selector!("latestRoundData");
/// Selector of `getRoundData(uint80)`.
pub const GET_ROUND_DATA_SELECTOR: [u8; 4] = stylus_sdk::abi::internal::digest_to_selector(
    stylus_sdk::keccak_const::Keccak256::new()
        .update(b"getRoundData(uint80)")
        .finalize(),
);

sol! {
    /// The static call to `feed` reverted (or the feed ran out of gas).
    #[derive(Debug, PartialEq, Eq)]
    error FeedCallFailed(address feed);
    /// `feed` answered with data that is not a well-formed `AggregatorV3Interface` return
    /// (too short, or a `uint80`/`uint8` out of range — e.g. an account without code).
    #[derive(Debug, PartialEq, Eq)]
    error FeedMalformedReturn(address feed);
    /// `feed` now reports `reported` decimals, not the `configured` ones its answers are read
    /// with: its answers are refused until the feed is configured again.
    #[derive(Debug, PartialEq, Eq)]
    error FeedDecimalsChanged(address feed, uint8 configured, uint8 reported);
}

/// Why a feed read failed; each variant is the Solidity error of its name.
#[derive(SolidityError, Debug, PartialEq, Eq)]
pub enum FeedError {
    /// `FeedCallFailed(address feed)`.
    FeedCallFailed(FeedCallFailed),
    /// `FeedMalformedReturn(address feed)`.
    FeedMalformedReturn(FeedMalformedReturn),
    /// `FeedDecimalsChanged(address feed, uint8 configured, uint8 reported)`.
    FeedDecimalsChanged(FeedDecimalsChanged),
}

/// One round of a feed, as `latestRoundData` / `getRoundData` return it.
///
/// Timestamps are unix seconds; a value beyond `u64` is kept as `u64::MAX` (so it reads as
/// "in the future", never as a small time).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Round {
    /// The round id (`uint80`).
    pub round_id: u128,
    /// The answer, in the feed's decimals.
    pub answer: I256,
    /// When the round started (for an L2 sequencer uptime feed: when the status last changed).
    pub started_at: u64,
    /// When the answer was last updated.
    pub updated_at: u64,
    /// The round in which the answer was computed (`uint80`, deprecated by Chainlink).
    pub answered_in_round: u128,
}

/// `latestRoundData()` of `feed`.
pub fn latest_round<H: Host + ?Sized>(host: &H, feed: Address) -> Result<Round, FeedError> {
    let out = call(host, feed, &LATEST_ROUND_DATA_SELECTOR)?;
    decode_round(&out).ok_or_else(|| malformed(feed))
}

/// `latestRoundData()` of `feed`, refused with `FeedDecimalsChanged` unless the feed still
/// reports the `configured` decimals its answer is to be read with. A proxy whose aggregator
/// is replaced can change its decimals; reading an answer with stale decimals would misprice
/// it by powers of ten, so readers that store decimals at configuration check them here.
pub fn latest_round_in<H: Host + ?Sized>(
    host: &H,
    feed: Address,
    configured: u8,
) -> Result<Round, FeedError> {
    let round = latest_round(host, feed)?;
    check_decimals(host, feed, configured)?;
    Ok(round)
}

/// `FeedDecimalsChanged` unless `feed.decimals()` is still `configured`.
pub fn check_decimals<H: Host + ?Sized>(
    host: &H,
    feed: Address,
    configured: u8,
) -> Result<(), FeedError> {
    let reported = decimals(host, feed)?;
    if reported == configured {
        Ok(())
    } else {
        Err(FeedDecimalsChanged {
            feed,
            configured,
            reported,
        }
        .into())
    }
}

/// `getRoundData(round_id)` of `feed`. A `round_id` beyond `uint80` is refused as malformed
/// without calling.
pub fn round_data<H: Host + ?Sized>(
    host: &H,
    feed: Address,
    round_id: u128,
) -> Result<Round, FeedError> {
    if round_id >> 80 != 0 {
        return Err(malformed(feed));
    }
    let mut calldata = [0u8; 36];
    calldata[..4].copy_from_slice(&GET_ROUND_DATA_SELECTOR);
    calldata[20..].copy_from_slice(&round_id.to_be_bytes());
    let out = call(host, feed, &calldata)?;
    decode_round(&out).ok_or_else(|| malformed(feed))
}

/// `decimals()` of `feed`.
pub fn decimals<H: Host + ?Sized>(host: &H, feed: Address) -> Result<u8, FeedError> {
    let out = call(host, feed, &DECIMALS_SELECTOR)?;
    let value = word(&out, 0).ok_or_else(|| malformed(feed))?;
    match value.split_last() {
        Some((&d, high)) if high.iter().all(|&b| b == 0) => Ok(d),
        _ => Err(malformed(feed)),
    }
}

fn call<H: Host + ?Sized>(host: &H, feed: Address, calldata: &[u8]) -> Result<Vec<u8>, FeedError> {
    static_call(host, Call::new(), feed, calldata).map_err(|_| FeedCallFailed { feed }.into())
}

fn malformed(feed: Address) -> FeedError {
    FeedMalformedReturn { feed }.into()
}

/// Word `i` of an ABI return.
fn word(data: &[u8], i: usize) -> Option<&[u8; 32]> {
    data.get(i * 32..i * 32 + 32)?.try_into().ok()
}

/// A word that must hold a `uint80`.
fn uint80(w: &[u8; 32]) -> Option<u128> {
    if w[..22].iter().any(|&b| b != 0) {
        return None;
    }
    let mut low = [0u8; 16];
    low.copy_from_slice(&w[16..]);
    Some(u128::from_be_bytes(low))
}

/// A `uint256` timestamp word as seconds, saturating at `u64::MAX`.
fn seconds(w: &[u8; 32]) -> u64 {
    if w[..24].iter().any(|&b| b != 0) {
        return u64::MAX;
    }
    let mut low = [0u8; 8];
    low.copy_from_slice(&w[24..]);
    u64::from_be_bytes(low)
}

/// Decodes the five words `(uint80, int256, uint256, uint256, uint80)` of a round.
/// Longer data is accepted (as Solidity's decoder does); shorter is not.
pub fn decode_round(data: &[u8]) -> Option<Round> {
    Some(Round {
        round_id: uint80(word(data, 0)?)?,
        answer: I256::from_raw(U256::from_be_bytes(*word(data, 1)?)),
        started_at: seconds(word(data, 2)?),
        updated_at: seconds(word(data, 3)?),
        answered_in_round: uint80(word(data, 4)?)?,
    })
}

/// The ABI return of `latestRoundData` / `getRoundData` for `round` (for mocks, tests and
/// off-chain tools).
pub fn encode_round(round: &Round) -> Vec<u8> {
    let mut out = Vec::with_capacity(5 * 32);
    out.extend_from_slice(&U256::from(round.round_id).to_be_bytes::<32>());
    out.extend_from_slice(&round.answer.into_raw().to_be_bytes::<32>());
    out.extend_from_slice(&U256::from(round.started_at).to_be_bytes::<32>());
    out.extend_from_slice(&U256::from(round.updated_at).to_be_bytes::<32>());
    out.extend_from_slice(&U256::from(round.answered_in_round).to_be_bytes::<32>());
    out
}

/// The calldata of `getRoundData(round_id)` (`round_id` truncated to its low 80 bits).
pub fn get_round_data_calldata(round_id: u128) -> Vec<u8> {
    let mut calldata = Vec::with_capacity(36);
    calldata.extend_from_slice(&GET_ROUND_DATA_SELECTOR);
    calldata.extend_from_slice(&[0u8; 16]);
    calldata.extend_from_slice(&(round_id & ((1 << 80) - 1)).to_be_bytes());
    calldata
}
