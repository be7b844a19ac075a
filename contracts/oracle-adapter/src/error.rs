//! The adapter's revert data: a named Solidity custom error (selector + static words, built
//! with [`keel_stylus_common::abi::revert_data`] rather than alloy's generic encoder), and the
//! mapping of every library error, and of undecodable calldata, onto it.

use alloc::vec::Vec;

use alloy_primitives::{Address, B256};
use alloy_sol_types::SolError;
use keel_risk::oracle::OracleError;
use keel_stylus_common::abi::{revert_data, DecodeError, Word};
use keel_stylus_common::convert::{UnsupportedDecimals, WadOverflow};
use keel_stylus_common::feed::{FeedCallFailed, FeedDecimalsChanged, FeedMalformedReturn};
use keel_stylus_common::ownable::{AlreadyInitialized, NotPendingOwner, Unauthorized, ZeroAddress};
use keel_stylus_common::{ConvertError, FeedError, OwnableError};

use crate::abi::*;

/// Revert data: the ABI encoding of one of the interface's custom errors (or empty, for
/// calldata that does not decode, as Solidity does).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Revert(pub Vec<u8>);

impl From<Revert> for Vec<u8> {
    fn from(r: Revert) -> Vec<u8> {
        r.0
    }
}

impl Revert {
    /// Empty revert data (undecodable calldata).
    pub fn empty() -> Revert {
        Revert(Vec::new())
    }

    /// `selector` followed by `words`.
    pub fn with(selector: [u8; 4], words: &[B256]) -> Revert {
        Revert(revert_data(selector, words))
    }

    /// An error without arguments.
    pub fn named(selector: [u8; 4]) -> Revert {
        Revert::with(selector, &[])
    }

    /// An error with one `address` argument.
    pub fn at(selector: [u8; 4], account: Address) -> Revert {
        Revert::with(selector, &[account.word()])
    }

    /// An error `(address, uint64)`.
    pub fn at_expiry(selector: [u8; 4], account: Address, expiry: u64) -> Revert {
        Revert::with(selector, &[account.word(), expiry.word()])
    }

    /// `WadOverflow()`.
    pub fn overflow() -> Revert {
        Revert::named(WadOverflow::SELECTOR)
    }

    /// A keel-risk oracle error; `asset` is the argument of the errors that carry one
    /// (`NonPositiveAnswer`, `FutureTimestamp`, `StaleData`).
    pub fn oracle(e: OracleError, asset: Address) -> Revert {
        use OracleError as O;
        let named = Revert::named;
        match e {
            O::NonPositiveAnswer => Revert::at(NonPositiveAnswer::SELECTOR, asset),
            O::FutureTimestamp => Revert::at(FutureTimestamp::SELECTOR, asset),
            O::StaleData => Revert::at(StaleData::SELECTOR, asset),
            O::OutdatedData => named(OutdatedData::SELECTOR),
            O::ExpiryNotInFuture => named(ExpiryNotInFuture::SELECTOR),
            O::ConfidenceOutOfRange => named(ConfidenceOutOfRange::SELECTOR),
            O::ForwardOutOfBand => named(ForwardOutOfBand::SELECTOR),
            O::RateOutOfBounds => named(RateOutOfBounds::SELECTOR),
            O::InvalidSviParameters => named(InvalidSviParameters::SELECTOR),
            O::VolOutOfBounds => named(VolOutOfBounds::SELECTOR),
            O::SettlementBeforeExpiry => named(SettlementBeforeExpiry::SELECTOR),
            O::RoundBeforeExpiry => named(RoundBeforeExpiry::SELECTOR),
            O::NotFirstRoundAfterExpiry => named(NotFirstRoundAfterExpiry::SELECTOR),
            O::RoundOpensPhase => named(RoundOpensPhase::SELECTOR),
            O::InvalidOracleParameter => named(InvalidOracleParameter::SELECTOR),
            // `WadOverflow`, `UnsupportedDecimals` (decimals are checked before any scaling,
            // so it cannot arise here) and any variant a later keel-risk adds.
            _ => Revert::overflow(),
        }
    }
}

/// Calldata that does not decode: empty revert data (as Solidity's decoder), or
/// `WadOverflow()` for a `uint256`/`int256` argument outside the wad range.
impl From<DecodeError> for Revert {
    fn from(e: DecodeError) -> Revert {
        match e {
            DecodeError::Malformed => Revert::empty(),
            DecodeError::WadOverflow => Revert::overflow(),
        }
    }
}

impl From<OwnableError> for Revert {
    fn from(e: OwnableError) -> Revert {
        match e {
            OwnableError::Unauthorized(e) => Revert::at(Unauthorized::SELECTOR, e.caller),
            OwnableError::NotPendingOwner(e) => Revert::at(NotPendingOwner::SELECTOR, e.caller),
            OwnableError::ZeroAddress(_) => Revert::named(ZeroAddress::SELECTOR),
            OwnableError::AlreadyInitialized(_) => Revert::named(AlreadyInitialized::SELECTOR),
        }
    }
}

impl From<FeedError> for Revert {
    fn from(e: FeedError) -> Revert {
        match e {
            FeedError::FeedCallFailed(e) => Revert::at(FeedCallFailed::SELECTOR, e.feed),
            FeedError::FeedMalformedReturn(e) => Revert::at(FeedMalformedReturn::SELECTOR, e.feed),
            FeedError::FeedDecimalsChanged(e) => Revert::with(
                FeedDecimalsChanged::SELECTOR,
                &[e.feed.word(), e.configured.word(), e.reported.word()],
            ),
        }
    }
}

impl From<ConvertError> for Revert {
    fn from(e: ConvertError) -> Revert {
        match e {
            ConvertError::UnsupportedDecimals(e) => {
                Revert::with(UnsupportedDecimals::SELECTOR, &[e.decimals.word()])
            }
            // Only non-negative values are converted to `uint256`, so `NegativeValue` cannot
            // arise; it is reported as an overflow rather than as an error outside the
            // interface.
            ConvertError::WadOverflow(_) | ConvertError::NegativeValue(_) => Revert::overflow(),
        }
    }
}

/// Lists every error the adapter reverts with, once: the export-abi description of
/// [`Revert`] and [`ERROR_SIGNATURES`] are generated from it.
macro_rules! adapter_errors {
    ($($e:ty),* $(,)?) => {
        /// The Solidity signature of every custom error the adapter can revert with.
        pub const ERROR_SIGNATURES: &[&str] = &[$(<$e as SolError>::SIGNATURE),*];

        #[cfg(feature = "export-abi")]
        impl stylus_sdk::abi::export::internal::InnerTypes for Revert {
            fn inner_types() -> Vec<stylus_sdk::abi::export::internal::InnerType> {
                use alloc::format;
                use core::any::TypeId;
                use stylus_sdk::abi::export::internal::InnerType;
                alloc::vec![$(
                    InnerType {
                        name: format!("error {};", <$e as SolError>::SIGNATURE.replace(',', ", ")),
                        id: TypeId::of::<$e>(),
                    }
                ),*]
            }
        }
    };
}

adapter_errors!(
    Unauthorized,
    NotPendingOwner,
    ZeroAddress,
    AlreadyInitialized,
    FeedCallFailed,
    FeedMalformedReturn,
    FeedDecimalsChanged,
    UnsupportedDecimals,
    WadOverflow,
    UnknownAsset,
    NotFeeder,
    NoExpiryBounds,
    NoExpiryData,
    AlreadySettled,
    NonPositiveAnswer,
    FutureTimestamp,
    StaleData,
    OutdatedData,
    ExpiryNotInFuture,
    ConfidenceOutOfRange,
    ForwardOutOfBand,
    RateOutOfBounds,
    InvalidSviParameters,
    VolOutOfBounds,
    SettlementBeforeExpiry,
    RoundBeforeExpiry,
    NotFirstRoundAfterExpiry,
    RoundOpensPhase,
    InvalidOracleParameter,
);
