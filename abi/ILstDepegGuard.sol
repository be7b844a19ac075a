// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

/// @title ILstDepegGuard
/// @notice What a liquid-staking or yield-bearing token (wstETH-style, rETH-style, ERC-4626
/// shares) is worth in its underlying, and how far its market has left that value. Every rate
/// is an 18-decimal "wad" (1.0 = 1e18) of whole underlying per whole token.
/// @dev The reference implementation is the Stylus contract `keel-lst-depeg-guard`, whose
/// constructor is `constructor(address owner)`; the rules are keel-risk's `lst` module.
///
/// Per asset:
/// - fundamental rate: a Chainlink-style rate feed (answer > 0, `updatedAt` not in the future,
///   at most `maxAge` old) or an ERC-4626 vault (`convertToAssets(10**shareDecimals)` in whole
///   units of `asset()`); invalid fundamental data reverts with a named error;
/// - CAPO cap: `cap = ratio * (1 + maxYearlyGrowth * (now - snapshotTimestamp) / 365 days)`
///   (linear, rounded down); `cappedFundamental = min(fundamental, cap)`, flagged when the
///   reported rate was above the cap;
/// - market rate (optional feed): `price` in `MarketQuote.Asset` mode (the feed prices the
///   token in underlying, e.g. rETH/ETH), `price * cappedFundamental` in
///   `MarketQuote.UnderlyingToken` mode (the feed prices the token the fundamental rate is
///   denominated in, e.g. stETH/ETH for wstETH). A missing, failing, non-positive, future or
///   stale market reading never reverts: the assessment degrades to the capped fundamental
///   and says why in `marketState`, so liquidations never freeze;
/// - `rate = min(marketRate, cappedFundamental)` (the capped fundamental without a live market);
///   `depegBps = ceil(max(0, 1 - marketRate / cappedFundamental) * 10000)` (rounded up, 0
///   without a live market); status Depegged from `depeggedBps`, Warning from `warningBps`
///   (both inclusive), else Normal; `haircutAddOn = 0` below `warningBps`, else
///   `min(1, ceil(addOnSlope * depegBps / 10000))`.
///
/// Bounds: ratio in [1e-6, 1e6]; maxYearlyGrowth in [0, 0.5]; snapshot timestamp not in the
/// future and at most 90 days old when set; feed staleness limits in (0, 7 days]; feed and
/// token decimals <= 36; 0 < warningBps < depeggedBps <= 10000; addOnSlope in [0, 100].
/// Defaults until `setDepegParams`: warning 100 bps, depegged 300 bps, slope 1.
interface ILstDepegGuard {
    // ------------------------------------------------------------------------------------
    // Types
    // ------------------------------------------------------------------------------------

    /// @notice Where an asset's fundamental rate comes from (None: the asset is not listed).
    enum FundamentalSource {
        None,
        RateFeed,
        Erc4626
    }

    /// @notice What the market feed prices: the token itself, or the token the fundamental
    /// rate is denominated in.
    enum MarketQuote {
        Asset,
        UnderlyingToken
    }

    /// @notice Whether the market reading was used, and if not why.
    /// @dev NotConfigured: no market feed. Stale: older than its limit. Invalid: the call
    /// failed or returned malformed data, a non-positive answer or a future timestamp.
    enum MarketState {
        Live,
        NotConfigured,
        Stale,
        Invalid
    }

    /// @notice The depeg status (thresholds inclusive).
    enum DepegStatus {
        Normal,
        Warning,
        Depegged
    }

    /// @notice What the guard says about one asset now.
    /// @param rate The rate to value the token at (wad): min(marketRate, cappedFundamental).
    /// @param fundamental The fundamental rate as reported by its source (wad).
    /// @param cap The CAPO cap now (wad).
    /// @param cappedFundamental min(fundamental, cap) (wad).
    /// @param marketRate The market rate in underlying per token (wad), 0 unless marketState is Live.
    /// @param depegBps The depeg in basis points, in [0, 10000], rounded up.
    /// @param status The status for depegBps.
    /// @param haircutAddOn The extra haircut for depegBps (wad in [0, 1]).
    /// @param fundamentalCapped True when the reported fundamental was above the cap.
    /// @param marketState Whether the market reading was used, and if not why.
    struct Assessment {
        uint256 rate;
        uint256 fundamental;
        uint256 cap;
        uint256 cappedFundamental;
        uint256 marketRate;
        uint256 depegBps;
        DepegStatus status;
        uint256 haircutAddOn;
        bool fundamentalCapped;
        MarketState marketState;
    }

    /// @notice One asset's stored configuration (all zero for an unknown asset).
    /// @param sourceKind The fundamental source.
    /// @param source The rate feed or the ERC-4626 vault.
    /// @param sourceMaxAge The rate feed's staleness limit (0 for a vault).
    /// @param sourceDecimals The rate feed's decimals, or the vault asset's decimals.
    /// @param shareDecimals The vault share's decimals (0 for a rate feed).
    /// @param snapshotRatio The CAPO snapshot ratio (wad; 0: not set).
    /// @param snapshotTimestamp When the snapshot ratio was observed.
    /// @param maxYearlyGrowth The CAPO maximum yearly growth (wad).
    /// @param marketFeed The market feed (address(0): none).
    /// @param marketMaxAge The market feed's staleness limit.
    /// @param marketQuote What the market feed prices.
    /// @param marketDecimals The market feed's decimals.
    /// @param warningBps The warning threshold (0: defaults for the three parameters).
    /// @param depeggedBps The depegged threshold.
    /// @param addOnSlope The add-on slope (wad).
    struct AssetConfig {
        FundamentalSource sourceKind;
        address source;
        uint64 sourceMaxAge;
        uint8 sourceDecimals;
        uint8 shareDecimals;
        uint256 snapshotRatio;
        uint64 snapshotTimestamp;
        uint256 maxYearlyGrowth;
        address marketFeed;
        uint64 marketMaxAge;
        MarketQuote marketQuote;
        uint8 marketDecimals;
        uint16 warningBps;
        uint16 depeggedBps;
        uint256 addOnSlope;
    }

    // ------------------------------------------------------------------------------------
    // Events
    // ------------------------------------------------------------------------------------

    /// @notice The owner named `newOwner` as its successor; `newOwner` must accept.
    event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);
    /// @notice Ownership moved (from address(0) at deployment).
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);
    /// @notice `asset`'s fundamental rate now comes from the rate feed `feed`.
    event RateFeedSet(address indexed asset, address indexed feed, uint64 maxAge, uint8 decimals);
    /// @notice `asset`'s fundamental rate now comes from the ERC-4626 vault `vault`.
    event Erc4626VaultSet(address indexed asset, address indexed vault, uint8 shareDecimals, uint8 assetDecimals);
    /// @notice `asset`'s CAPO snapshot was set.
    event CapoSnapshotSet(address indexed asset, uint256 ratio, uint64 timestamp, uint256 maxYearlyGrowth);
    /// @notice `asset`'s market feed was set (address(0): removed, with zero maxAge, quote and decimals).
    event MarketFeedSet(address indexed asset, address indexed feed, uint64 maxAge, MarketQuote quote, uint8 decimals);
    /// @notice `asset`'s thresholds and add-on slope were set.
    event DepegParamsSet(address indexed asset, uint16 warningBps, uint16 depeggedBps, uint256 addOnSlope);
    /// @notice Everything about `asset` was forgotten.
    event AssetRemoved(address indexed asset);

    // ------------------------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------------------------

    /// @notice `caller` is not the owner.
    error Unauthorized(address caller);
    /// @notice `caller` is not the pending owner.
    error NotPendingOwner(address caller);
    /// @notice The zero address was given for an asset, feed, vault or owner.
    error ZeroAddress();
    /// @notice The owner was already set.
    error AlreadyInitialized();
    /// @notice A call to the rate feed `feed` (or, when configuring, to a feed's `decimals()`) reverted.
    error FeedCallFailed(address feed);
    /// @notice `feed` answered data that is not a well-formed round (or `decimals()`).
    error FeedMalformedReturn(address feed);
    /// @notice The rate feed `feed` now reports `reported` decimals, not the `configured` ones it
    /// was set with: refused until it is set again.
    error FeedDecimalsChanged(address feed, uint8 configured, uint8 reported);
    /// @notice A feed or token with more than 36 decimals.
    error UnsupportedDecimals(uint8 decimals);
    /// @notice `asset` has no fundamental source.
    error AssetNotListed(address asset);
    /// @notice `asset` has no CAPO snapshot.
    error SnapshotNotSet(address asset);
    /// @notice `asset`'s fundamental answer is zero or negative (or rounds to zero at 18 decimals).
    error FundamentalNotPositive(address asset, int256 answer);
    /// @notice `asset`'s rate feed reports an `updatedAt` after the current block.
    error FundamentalFromFuture(address asset, uint256 updatedAt);
    /// @notice `asset`'s rate feed is older than its staleness limit.
    error FundamentalStale(address asset, uint256 updatedAt);
    /// @notice A call to the ERC-4626 vault (or its asset token) `target` reverted.
    error VaultCallFailed(address target);
    /// @notice `target` answered data that is not the expected word.
    error VaultMalformedReturn(address target);
    /// @notice The snapshot ratio is outside [1e-6, 1e6].
    error InvalidRatio(uint256 ratio);
    /// @notice The snapshot timestamp is in the future or more than 90 days old.
    error InvalidSnapshotTimestamp(uint64 timestamp);
    /// @notice The max yearly growth is above 0.5.
    error InvalidGrowth(uint256 maxYearlyGrowth);
    /// @notice The thresholds break 0 < warningBps < depeggedBps <= 10000.
    error InvalidThresholds(uint16 warningBps, uint16 depeggedBps);
    /// @notice The add-on slope is above 100.
    error InvalidAddOnSlope(uint256 addOnSlope);
    /// @notice A feed staleness limit is 0 or above 7 days.
    error InvalidMaxAge(uint64 maxAge);
    /// @notice The quote is not a MarketQuote (only reachable by a caller encoding by hand).
    error InvalidMarketQuote(uint8 quote);
    /// @notice Fixed-point arithmetic failed (unreachable within the bounds).
    error MathOverflow();

    // ------------------------------------------------------------------------------------
    // Ownership (two-step)
    // ------------------------------------------------------------------------------------

    /// @notice The owner, who configures every asset.
    function owner() external view returns (address);

    /// @notice The account that may accept ownership (address(0): none).
    function pendingOwner() external view returns (address);

    /// @notice Owner only: names `newOwner` as pending owner (address(0) cancels).
    function transferOwnership(address newOwner) external;

    /// @notice Pending owner only: takes ownership.
    function acceptOwnership() external;

    // ------------------------------------------------------------------------------------
    // Configuration (owner only; each emits its event)
    // ------------------------------------------------------------------------------------

    /// @notice `asset`'s fundamental rate is `feed`'s answer, valid for `maxAge` seconds after
    /// its `updatedAt`. Reads and stores `feed.decimals()`. Replaces an ERC-4626 source.
    function setRateFeed(address asset, address feed, uint64 maxAge) external;

    /// @notice `asset`'s fundamental rate is `vault.convertToAssets(10**vault.decimals())` in
    /// whole units of `vault.asset()`. Reads and stores both decimals. Replaces a rate feed.
    function setErc4626Vault(address asset, address vault) external;

    /// @notice Sets `asset`'s CAPO snapshot: `ratio` (wad) observed at `timestamp`, growing
    /// at most `maxYearlyGrowth` (wad) a year.
    function setCapoSnapshot(address asset, uint256 ratio, uint64 timestamp, uint256 maxYearlyGrowth) external;

    /// @notice Sets `asset`'s market feed, its staleness limit and what it prices; `feed` =
    /// address(0) removes it (`maxAge` and `quote` are then ignored). Reads and stores
    /// `feed.decimals()`.
    function setMarketFeed(address asset, address feed, uint64 maxAge, MarketQuote quote) external;

    /// @notice Sets `asset`'s thresholds (bps) and add-on slope (wad).
    function setDepegParams(address asset, uint16 warningBps, uint16 depeggedBps, uint256 addOnSlope) external;

    /// @notice Forgets everything about `asset`; it then reads as not listed.
    function removeAsset(address asset) external;

    // ------------------------------------------------------------------------------------
    // Views
    // ------------------------------------------------------------------------------------

    /// @notice `asset`'s stored configuration.
    function assetConfig(address asset) external view returns (AssetConfig memory);

    /// @notice `asset`'s assessment now. Reverts only for an unlisted asset, a missing
    /// snapshot or invalid fundamental data, never because of the market feed.
    function assess(address asset) external view returns (Assessment memory);

    /// @notice The assessments of `assets` now, in order (reverts if any one reverts).
    function assessMany(address[] calldata assets) external view returns (Assessment[] memory);
}
