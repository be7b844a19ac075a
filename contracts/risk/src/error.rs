//! The one error type of the risk library.
//!
//! Every variant names a condition a caller can act on; the Stylus contracts map each one to
//! a Solidity custom error of the same name, and the CLI prints its [`core::fmt::Display`].

use core::fmt;

/// Why a risk computation could not produce a number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RiskError {
    /// An intermediate or result left the 18-decimal range.
    Overflow,
    /// A division by zero (for example a zero forward, or `dteFloor = 0` at expiry).
    DivisionByZero,
    /// `exp` of an argument above its limit (≈ 135.306): the result would not fit.
    ExpOverflow,
    /// `ln` of zero or of a negative number.
    LogOfNonPositive,
    /// `sqrt` of a negative number.
    SqrtOfNegative,
    /// An input that must not be negative is (a balance, a price, a vol, a strike…).
    NegativeInput,
    /// SVI parameters that give no real vol: reference forward 0, `a + b·σ < 0`, or `w < 0`.
    InvalidSvi,
    /// A scenario set that breaks the admission rules (empty, > 40, or bad skew scenarios).
    InvalidScenarios,
    /// More distinct expiries than the model admits.
    TooManyExpiries,
    /// A position refers to an expiry that has no market data.
    MissingExpiryData,
    /// A position refers to an underlying that has no market data.
    MissingMarketData,
    /// A position refers to a strike that has no vol.
    MissingVol,
    /// A parameter is outside its documented bounds.
    ParameterOutOfBounds,
    /// Cross-margin option parameters outside their ranges (SRM §3.3).
    InvalidOptionMarginParams,
    /// Cross-margin perp requirements outside their ranges (`0 < r_MM ≤ r_IM < 1`).
    InvalidPerpMarginParams,
    /// Cross-margin base-asset factors outside [0, 1].
    InvalidBaseMarginParams,
    /// Oracle-contingency thresholds or factor outside [0, 1].
    InvalidOracleContingencyParams,
    /// Stable de-peg threshold outside [0, 1] or factor outside [0, 3].
    InvalidDepegParams,
    /// Collateral haircuts negative or summing above 1.
    InvalidCollateralParams,
}

impl RiskError {
    /// The variant's name, identical to the Solidity custom error it maps to.
    pub const fn name(self) -> &'static str {
        match self {
            RiskError::Overflow => "Overflow",
            RiskError::DivisionByZero => "DivisionByZero",
            RiskError::ExpOverflow => "ExpOverflow",
            RiskError::LogOfNonPositive => "LogOfNonPositive",
            RiskError::SqrtOfNegative => "SqrtOfNegative",
            RiskError::NegativeInput => "NegativeInput",
            RiskError::InvalidSvi => "InvalidSvi",
            RiskError::InvalidScenarios => "InvalidScenarios",
            RiskError::TooManyExpiries => "TooManyExpiries",
            RiskError::MissingExpiryData => "MissingExpiryData",
            RiskError::MissingMarketData => "MissingMarketData",
            RiskError::MissingVol => "MissingVol",
            RiskError::ParameterOutOfBounds => "ParameterOutOfBounds",
            RiskError::InvalidOptionMarginParams => "InvalidOptionMarginParams",
            RiskError::InvalidPerpMarginParams => "InvalidPerpMarginParams",
            RiskError::InvalidBaseMarginParams => "InvalidBaseMarginParams",
            RiskError::InvalidOracleContingencyParams => "InvalidOracleContingencyParams",
            RiskError::InvalidDepegParams => "InvalidDepegParams",
            RiskError::InvalidCollateralParams => "InvalidCollateralParams",
        }
    }
}

impl fmt::Display for RiskError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self {
            RiskError::Overflow => "arithmetic overflow in fixed point",
            RiskError::DivisionByZero => "division by zero",
            RiskError::ExpOverflow => "exp argument above 135.305999",
            RiskError::LogOfNonPositive => "ln of a non-positive number",
            RiskError::SqrtOfNegative => "sqrt of a negative number",
            RiskError::NegativeInput => "an input that must be non-negative is negative",
            RiskError::InvalidSvi => "SVI parameters give no real implied vol",
            RiskError::InvalidScenarios => "scenario set breaks the admission rules",
            RiskError::TooManyExpiries => "more distinct expiries than allowed",
            RiskError::MissingExpiryData => "no market data for an expiry in the portfolio",
            RiskError::MissingMarketData => "no market data for an underlying in the portfolio",
            RiskError::MissingVol => "no vol for an option in the portfolio",
            RiskError::ParameterOutOfBounds => "a parameter is outside its bounds",
            RiskError::InvalidOptionMarginParams => "option margin parameters out of range",
            RiskError::InvalidPerpMarginParams => "perp margin requirements out of range",
            RiskError::InvalidBaseMarginParams => "base asset margin factors out of range",
            RiskError::InvalidOracleContingencyParams => {
                "oracle contingency parameters out of range"
            }
            RiskError::InvalidDepegParams => "stable de-peg parameters out of range",
            RiskError::InvalidCollateralParams => "collateral haircuts out of range",
        };
        f.write_str(text)
    }
}

impl core::error::Error for RiskError {}
