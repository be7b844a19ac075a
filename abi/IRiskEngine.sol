// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

/// @title IRiskEngine
/// @notice A stateless margin engine: margins one account snapshot. Keel's vault cannot link
/// the risk models and stay under Arbitrum's 24,576-byte code limit, so it encodes the
/// account, the market data and its governed risk parameters as a keel-risk snapshot and
/// static-calls an engine.
/// @dev Two Stylus contracts serve this interface: `keel-risk-engine` (portfolio mode, Derive
/// PM2 semantics over several underlyings) and `keel-cross-engine` (isolated and cross mode,
/// Derive SRM semantics; `ICrossEngine`). The snapshot is the binary format of keel-risk's
/// `model::snapshot` module (version 1): magic `0x4B`, version `0x01`, mode (0 isolated,
/// 1 cross, 2 portfolio), market data, account, parameters, as LEB128 varints. Parameters are
/// not re-validated by the engines: the vault validates them when they are set. For every
/// parameter set the vault accepts, the portfolio engine does not fail on arithmetic where PM2
/// reverts (a vol-shock argument of 135.306 or more, an underflowing static-discount exp, k* = 0,
/// a moneyness that rounds to 0): it takes the limit of the formula there (keel-risk
/// `model::portfolio`, "saturation"), and computes exactly as before everywhere else.
interface IRiskEngine {
    // ------------------------------------------------------------------------------------
    // Risk-library errors (keel-risk `RiskError`, same names)
    // ------------------------------------------------------------------------------------

    /// @notice An intermediate or result left the 18-decimal range.
    error Overflow();
    /// @notice A division by zero (for example a zero forward).
    error DivisionByZero();
    /// @notice `exp` of an argument above its limit.
    error ExpOverflow();
    /// @notice `ln` of zero or of a negative number.
    error LogOfNonPositive();
    /// @notice `sqrt` of a negative number.
    error SqrtOfNegative();
    /// @notice An input that must not be negative is.
    error NegativeInput();
    /// @notice SVI parameters that give no real vol.
    error InvalidSvi();
    /// @notice A scenario set that breaks the admission rules.
    error InvalidScenarios();
    /// @notice More distinct expiries than the model admits.
    error TooManyExpiries();
    /// @notice A position refers to an expiry that has no market data.
    error MissingExpiryData();
    /// @notice A position refers to an underlying that has no market data.
    error MissingMarketData();
    /// @notice A position refers to a strike that has no vol.
    error MissingVol();
    /// @notice A parameter is outside its documented bounds.
    error ParameterOutOfBounds();
    /// @notice Cross-margin option parameters out of range.
    error InvalidOptionMarginParams();
    /// @notice Cross-margin perp requirements out of range.
    error InvalidPerpMarginParams();
    /// @notice Cross-margin base-asset factors out of range.
    error InvalidBaseMarginParams();
    /// @notice Oracle-contingency thresholds or factor out of range.
    error InvalidOracleContingencyParams();
    /// @notice Stable de-peg threshold or factor out of range.
    error InvalidDepegParams();
    /// @notice Collateral haircuts negative or summing above 1.
    error InvalidCollateralParams();
    /// @notice A risk error this build of the engine does not know by name.
    error RiskFailure(string name);

    // ------------------------------------------------------------------------------------
    // Snapshot errors (keel-risk `SnapshotError`)
    // ------------------------------------------------------------------------------------

    /// @notice The snapshot ends inside a field.
    error SnapshotTruncated();
    /// @notice Bytes remain after the parameters.
    error SnapshotTrailingBytes();
    /// @notice The first byte is not 0x4B.
    error SnapshotBadMagic();
    /// @notice The version byte is not one this engine reads.
    error SnapshotUnsupportedVersion();
    /// @notice A mode, instrument kind or vol-shock byte outside its list.
    error SnapshotBadTag();
    /// @notice A varint that is not canonical or does not fit its field.
    error SnapshotBadVarint();
    /// @notice More than 16 underlyings (or SRM parameter sets).
    error SnapshotTooManyUnderlyings();
    /// @notice More than 30 expiries on one underlying.
    error SnapshotTooManyExpiries();
    /// @notice More than 16 assets (market data, balances, or one position's assignment).
    error SnapshotTooManyAssets();
    /// @notice More than 160 positions.
    error SnapshotTooManyPositions();
    /// @notice More than 40 scenarios.
    error SnapshotTooManyScenarios();
    /// @notice An isolated-mode snapshot with more than one position.
    error SnapshotIsolatedNeedsOnePosition();

    // ------------------------------------------------------------------------------------
    // Call errors
    // ------------------------------------------------------------------------------------

    /// @notice The snapshot's mode is not served by this engine (0 isolated, 1 cross,
    /// 2 portfolio).
    error WrongMode(uint8 mode);
    /// @notice The calldata is not `abi.encode(bytes)` with the standard offset 32.
    error BadEncoding();

    // ------------------------------------------------------------------------------------
    // Function
    // ------------------------------------------------------------------------------------

    /// @notice Margins the account of `snapshot` in the snapshot's mode.
    /// @param snapshot A keel-risk snapshot (version 1).
    /// @return im Initial-margin surplus, 18-decimal wad in the stable settlement unit
    /// (>= 0 may take new risk).
    /// @return mm Maintenance-margin surplus (< 0 is liquidatable).
    /// @return mtm Mark-to-market value of the account.
    /// @return worstScenario Portfolio mode: index in the snapshot's scenario list of the worst
    /// scenario of the underlying with the largest worst loss; `type(uint256).max` when that is
    /// the basis contingency, when the account has no underlying exposure, and in the other
    /// modes.
    function margin(bytes calldata snapshot)
        external
        view
        returns (int256 im, int256 mm, int256 mtm, uint256 worstScenario);
}
