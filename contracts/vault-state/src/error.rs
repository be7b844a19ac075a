//! The vault's revert data: a named Solidity custom error (selector + static words), built
//! without alloy's generic encoder.

use alloc::vec::Vec;

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolError;
use keel_stylus_common::abi::DecodeError;
use keel_stylus_common::convert::{UnsupportedDecimals, WadOverflow};
use keel_stylus_common::ownable::{AlreadyInitialized, NotPendingOwner, Unauthorized, ZeroAddress};
use keel_stylus_common::OwnableError;

use crate::abi::*;
use crate::pack::{address_word, u256_word, uint_word};

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
    /// Empty revert data (undecodable calldata, unknown selector).
    pub fn empty() -> Revert {
        Revert(Vec::new())
    }

    /// `selector` followed by `words`.
    pub fn with(selector: [u8; 4], words: &[[u8; 32]]) -> Revert {
        let mut out = Vec::with_capacity(4 + 32 * words.len());
        out.extend_from_slice(&selector);
        for w in words {
            out.extend_from_slice(w);
        }
        Revert(out)
    }

    /// An error without arguments.
    pub fn named(selector: [u8; 4]) -> Revert {
        Revert::with(selector, &[])
    }

    /// An error with one `address` argument.
    pub fn at(selector: [u8; 4], account: Address) -> Revert {
        Revert::with(selector, &[address_word(account)])
    }

    /// An error `(uint256 id, address)`.
    pub fn id_at(selector: [u8; 4], id: U256, account: Address) -> Revert {
        Revert::with(selector, &[u256_word(id), address_word(account)])
    }

    /// `Unauthorized(caller)`.
    pub fn unauthorized(caller: Address) -> Revert {
        Revert::at(Unauthorized::SELECTOR, caller)
    }

    /// `ZeroAddress()`.
    pub fn zero_address() -> Revert {
        Revert::named(ZeroAddress::SELECTOR)
    }

    /// `WadOverflow()`.
    pub fn overflow() -> Revert {
        Revert::named(WadOverflow::SELECTOR)
    }

    /// `ZeroAmount()`.
    pub fn zero_amount() -> Revert {
        Revert::named(ZeroAmount::SELECTOR)
    }

    /// `InvalidMode(mode)`.
    pub fn invalid_mode(mode: u8) -> Revert {
        Revert::with(InvalidMode::SELECTOR, &[uint_word(u128::from(mode))])
    }

    /// `UnsupportedDecimals(decimals)`.
    pub fn unsupported_decimals(decimals: u8) -> Revert {
        Revert::with(
            UnsupportedDecimals::SELECTOR,
            &[uint_word(u128::from(decimals))],
        )
    }
}

impl From<DecodeError> for Revert {
    /// Undecodable calldata reverts with empty data, as Solidity's decoder does. (The vault
    /// reads no argument as a wad, so `WadOverflow` does not arise from decoding.)
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
            OwnableError::Unauthorized(e) => Revert::unauthorized(e.caller),
            OwnableError::NotPendingOwner(e) => Revert::at(NotPendingOwner::SELECTOR, e.caller),
            OwnableError::ZeroAddress(_) => Revert::zero_address(),
            OwnableError::AlreadyInitialized(_) => Revert::named(AlreadyInitialized::SELECTOR),
        }
    }
}

/// Lists every error the vault reverts with, once: the export-abi description of [`Revert`]
/// and [`ERROR_SIGNATURES`] are generated from it.
macro_rules! vault_errors {
    ($($e:ty),* $(,)?) => {
        /// The Solidity signature of every custom error the vault can revert with.
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

vault_errors!(
    Unauthorized,
    NotPendingOwner,
    ZeroAddress,
    AlreadyInitialized,
    EnforcedPause,
    ExpectedPause,
    NotAContract,
    InvalidMode,
    UnknownAccount,
    NotAccountOwner,
    NotAccountOperator,
    AssetNotListed,
    InvalidHaircuts,
    InvalidCaps,
    UnsupportedDecimals,
    TokenCallFailed,
    TokenBadReturn,
    ZeroAmount,
    WadOverflow,
    AssetCapExceeded,
    AccountCapExceeded,
    InsufficientBalance,
    TooManyAssets,
    Reentrant,
    ModuleNotSet,
    SettlementAssetAlreadySet,
    SettlementAssetNotSet,
    InsufficientCash,
    RiskParamsNotSet,
    InvalidRiskParams,
    InvalidParameter,
    OracleNotSet,
    EngineNotSet,
    EngineFailed,
    OracleCallFailed,
    SequencerUnavailable,
    BelowInitialMargin,
    BelowMaintenanceMargin,
    IsolatedNeedsOnePosition,
    UnderlyingNotListed,
    UnderlyingAlreadyListed,
    TooManyUnderlyings,
    NotAuthorisedMarket,
    InvalidInstrument,
    InvalidTrade,
    TooManyPositions,
    TooManyExpiries,
    OptionExpired,
    SettlementPriceNotFixed,
    AuctionNotActive,
    AuctionAlreadyActive,
    AboveMaintenanceMargin,
    InvalidFraction,
    PaymentAboveLimit,
    SelfLiquidation,
);
