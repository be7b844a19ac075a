//! # keel-stylus-common
//!
//! The building blocks every Keel Stylus contract links (a plain library, not a contract):
//!
//! * [`ownable`] — [`Ownable2Step`], two-step ownership as a storage component, with its
//!   events and errors (`Unauthorized`, `NotPendingOwner`, `ZeroAddress`, `AlreadyInitialized`);
//! * [`feed`] — Chainlink `AggregatorV3Interface` binding and a checked reader
//!   ([`feed::latest_round`], [`feed::round_data`], [`feed::decimals`]) with the errors
//!   `FeedCallFailed(address)` and `FeedMalformedReturn(address)`;
//! * [`convert`] — `uint256`/`int256` ↔ [`keel_risk::Wad`] and feed answers of any decimals
//!   (≤ 36) to 18 decimals, with the errors `WadOverflow`, `NegativeValue`,
//!   `UnsupportedDecimals(uint8)`;
//! * [`abi`] — hand-written ABI plumbing: static words ([`abi::Word`]), revert data
//!   ([`abi::revert_data`]), logs ([`abi::emit`]), return data ([`abi::Encoder`]) and a
//!   checked calldata reader ([`abi::Calldata`]) that never panics on hostile input;
//! * `testing` (feature `testing`) — `TestHost`, a `TestVM` whose outgoing calls a pluggable
//!   `CallHandler` answers per call (token, engine or feed simulations, reentrancy), and
//!   `FeedHost`, that host with per-call Chainlink feed mocks, for TestVM tests.
//!
//! Each error type derives `SolidityError`, so a contract method returning it (or an enum
//! that includes its variants) reverts with the named Solidity error. Everything here is kept
//! small: it is linked into contracts that must each stay ≤ 24,576 deployable bytes.
#![cfg_attr(not(any(test, feature = "testing")), no_std)]
#![warn(missing_docs)]

extern crate alloc;

pub mod abi;
pub mod convert;
pub mod feed;
pub mod ownable;
#[cfg(feature = "testing")]
pub mod testing;

pub use convert::ConvertError;
pub use feed::{FeedError, Round};
pub use ownable::{Ownable2Step, OwnableError};
