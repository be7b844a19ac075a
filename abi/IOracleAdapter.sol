// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

/// @title IOracleAdapter
/// @notice Keel's source of market data, every number normalised to 18 decimals ("wad",
/// 1.0 = 1e18): Chainlink spot prices with a confidence, the Arbitrum L2 sequencer status,
/// forward / rate / SVI data per (underlying, expiry) pushed by authorised feeders, and
/// settlement prices fixed once per (asset, expiry).
/// @dev Times are unix seconds. The reference implementation is the Stylus contract
/// `keel-oracle-adapter`; its constructor is `constructor(address owner)` (grace period 3600 s).
/// Sequencer status values: 0 = Up, 1 = Down, 2 = GracePeriod.
///
/// Confidence (wad in [0, 1]) is the product of two factors, each in [confidenceFloor, 1]:
/// an age factor, linear from 1 for a fresh answer down to `confidenceFloor` at the staleness
/// limit; and a deviation factor, 1 while |primary - secondary| / primary <= maxDeviation, then
/// linear down to 0 at twice maxDeviation, never below `confidenceFloor` (`confidenceFloor`
/// when a configured secondary is unreadable, stale or non-positive; 1 without a secondary).
///
/// Reads never revert because of the sequencer or of the secondary feed: the caller decides
/// what to block (Keel's vault blocks risk-increasing actions while the sequencer is Down or
/// in its GracePeriod and keeps liquidating). They revert for invalid primary data.
interface IOracleAdapter {
    // ------------------------------------------------------------------------------------
    // Types
    // ------------------------------------------------------------------------------------

    /// @notice Feeds and limits of one asset.
    /// @param primary Chainlink AggregatorV3Interface feed (required).
    /// @param secondary Optional cross-check feed (address(0): none).
    /// @param stalenessLimit Largest accepted age of the primary's answer, in (0, 7 days];
    /// set it from the feed's heartbeat.
    /// @param secondaryStalenessLimit The same for the secondary (ignored without one).
    /// @param maxDeviation Relative primary/secondary deviation with full confidence, wad in (0, 1].
    /// @param confidenceFloor Lowest value of each confidence factor, wad in [0, 1].
    struct FeedConfig {
        address primary;
        address secondary;
        uint64 stalenessLimit;
        uint64 secondaryStalenessLimit;
        uint256 maxDeviation;
        uint256 confidenceFloor;
    }

    /// @notice Bounds on the expiry data pushed for one underlying (all wads except heartbeat).
    /// @param minVol Lowest at-the-money SVI vol, >= 0.
    /// @param maxVol Highest at-the-money SVI vol, > minVol and <= 10.
    /// @param forwardBand The forward must satisfy |forward - spot| <= forwardBand * spot; in (0, 1].
    /// @param maxRate Largest |rate|, in [0, 1].
    /// @param heartbeat Largest age of pushed data, at push and at read, in (0, 7 days].
    /// @param confidenceFloor Lowest value of the age factor applied to the pushed confidence.
    struct ExpiryBounds {
        uint256 minVol;
        uint256 maxVol;
        uint256 forwardBand;
        uint256 maxRate;
        uint64 heartbeat;
        uint256 confidenceFloor;
    }

    /// @notice Market data of one (underlying, expiry), all wads except the timestamp.
    /// @param forward Forward price of the underlying to the expiry, > 0.
    /// @param rate Continuously compounded annual rate to the expiry.
    /// @param sviA Raw-SVI a.
    /// @param sviB Raw-SVI b, >= 0.
    /// @param sviRho Raw-SVI rho, in (-1, 1).
    /// @param sviM Raw-SVI m.
    /// @param sviSigma Raw-SVI sigma, > 0.
    /// @param sviForward The slice's reference forward, > 0 (log-moneyness k = ln(K / sviForward)).
    /// @param sviTau The slice's time to expiry in years, > 0.
    /// @param confidence The feeder's confidence, in [0, 1].
    /// @param timestamp Observation time: not in the future, not older than the heartbeat nor
    /// than the data already stored.
    struct ExpiryData {
        uint256 forward;
        int256 rate;
        int256 sviA;
        int256 sviB;
        int256 sviRho;
        int256 sviM;
        int256 sviSigma;
        uint256 sviForward;
        uint256 sviTau;
        uint256 confidence;
        uint64 timestamp;
    }

    /// @notice One asset's reading in a batch.
    struct PriceData {
        uint256 price;
        uint256 confidence;
        uint64 updatedAt;
    }

    // ------------------------------------------------------------------------------------
    // Events
    // ------------------------------------------------------------------------------------

    /// @notice The owner named `newOwner` as its successor; `newOwner` must accept.
    event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);
    /// @notice Ownership moved (from address(0) at deployment).
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);
    /// @notice `asset` was (re)configured; the feeds' decimals were read from them.
    event AssetConfigured(address indexed asset, FeedConfig config, uint8 primaryDecimals, uint8 secondaryDecimals);
    /// @notice `asset` was removed; its settled prices remain.
    event AssetRemoved(address indexed asset);
    /// @notice The L2 sequencer uptime feed was set (address(0): none).
    event SequencerFeedSet(address indexed feed);
    /// @notice The grace period after a sequencer restart was set.
    event GracePeriodSet(uint64 gracePeriod);
    /// @notice `feeder` was allowed or disallowed to push expiry data.
    event FeederSet(address indexed feeder, bool allowed);
    /// @notice The bounds on `underlying`'s expiry data were set.
    event ExpiryBoundsSet(address indexed underlying, ExpiryBounds bounds);
    /// @notice `feeder` pushed `underlying`'s data for `expiry`.
    event ExpiryDataPushed(address indexed underlying, uint64 indexed expiry, address indexed feeder, ExpiryData data);
    /// @notice `asset`'s settlement price for `expiry` was fixed from feed round `roundId`.
    event SettlementPriceSet(address indexed asset, uint64 indexed expiry, uint256 price, uint80 roundId, uint64 updatedAt);

    // ------------------------------------------------------------------------------------
    // Errors
    // ------------------------------------------------------------------------------------

    /// @notice `caller` is not the owner.
    error Unauthorized(address caller);
    /// @notice `caller` is not the pending owner.
    error NotPendingOwner(address caller);
    /// @notice The zero address where an account or feed is required.
    error ZeroAddress();
    /// @notice The contract was already initialised.
    error AlreadyInitialized();
    /// @notice The static call to `feed` reverted.
    error FeedCallFailed(address feed);
    /// @notice `feed` returned data that is not a well-formed AggregatorV3Interface answer.
    error FeedMalformedReturn(address feed);
    /// @notice `feed` now reports `reported` decimals, not the `configured` ones its answers are
    /// read with: refused until the asset is configured again (`setAsset`).
    error FeedDecimalsChanged(address feed, uint8 configured, uint8 reported);
    /// @notice A feed with more than 36 decimals.
    error UnsupportedDecimals(uint8 decimals);
    /// @notice A number does not fit an 18-decimal fixed-point value (|x| >= 2^127 wei).
    error WadOverflow();
    /// @notice `asset` has no configured feed.
    error UnknownAsset(address asset);
    /// @notice `caller` is not an authorised feeder.
    error NotFeeder(address caller);
    /// @notice No expiry-data bounds are set for `underlying`.
    error NoExpiryBounds(address underlying);
    /// @notice No data was pushed for (`underlying`, `expiry`).
    error NoExpiryData(address underlying, uint64 expiry);
    /// @notice The settlement price of (`asset`, `expiry`) is already fixed.
    error AlreadySettled(address asset, uint64 expiry);
    /// @notice The feed of `asset` answered zero or a negative price.
    error NonPositiveAnswer(address asset);
    /// @notice Data of `asset` (or underlying) carries a timestamp after the current block's.
    error FutureTimestamp(address asset);
    /// @notice Data of `asset` (or underlying) is older than its staleness limit or heartbeat.
    error StaleData(address asset);
    /// @notice Pushed data is older than the data already stored.
    error OutdatedData();
    /// @notice Expiry data pushed for an expiry that is not in the future.
    error ExpiryNotInFuture();
    /// @notice A confidence outside [0, 1].
    error ConfidenceOutOfRange();
    /// @notice A forward that is not positive or lies outside the band around spot.
    error ForwardOutOfBand();
    /// @notice A rate whose magnitude exceeds the bound.
    error RateOutOfBounds();
    /// @notice Not a valid raw-SVI slice: b < 0, |rho| >= 1, sigma <= 0, reference forward or
    /// time <= 0, or a + b * sigma * sqrt(1 - rho^2) < 0.
    error InvalidSviParameters();
    /// @notice The at-the-money vol sqrt(w(0) / sviTau) lies outside [minVol, maxVol].
    error VolOutOfBounds();
    /// @notice Settlement asked for before the expiry.
    error SettlementBeforeExpiry();
    /// @notice The round was updated before the expiry.
    error RoundBeforeExpiry();
    /// @notice The round's predecessor was already at or after the expiry.
    error NotFirstRoundAfterExpiry();
    /// @notice The round opens its feed phase, so its predecessor cannot be identified; name
    /// the first round after the expiry in the previous phase instead.
    error RoundOpensPhase();
    /// @notice A configuration parameter outside its documented bounds.
    error InvalidOracleParameter();

    // ------------------------------------------------------------------------------------
    // Ownership (two-step)
    // ------------------------------------------------------------------------------------

    /// @notice The owner.
    function owner() external view returns (address);

    /// @notice The account that may accept ownership (address(0) when none).
    function pendingOwner() external view returns (address);

    /// @notice Owner only: names `newOwner` as pending owner; address(0) cancels.
    function transferOwnership(address newOwner) external;

    /// @notice Pending owner only: takes ownership.
    function acceptOwnership() external;

    // ------------------------------------------------------------------------------------
    // Configuration (owner only)
    // ------------------------------------------------------------------------------------

    /// @notice Configures `asset`'s feeds and limits, reading each feed's decimals (<= 36).
    function setAsset(address asset, FeedConfig calldata config) external;

    /// @notice Removes `asset`: its reads revert with UnknownAsset; settled prices remain.
    function removeAsset(address asset) external;

    /// @notice Sets the L2 sequencer uptime feed (address(0): none, the status is always Up).
    /// An uptime feed that cannot be read counts as Down.
    function setSequencerFeed(address feed) external;

    /// @notice Sets the grace period after a sequencer restart, in [300, 86400] seconds.
    function setGracePeriod(uint64 gracePeriod) external;

    /// @notice Allows or disallows `feeder` to push expiry data.
    function setFeeder(address feeder, bool allowed) external;

    /// @notice Sets the bounds on `underlying`'s expiry data.
    function setExpiryBounds(address underlying, ExpiryBounds calldata bounds) external;

    // ------------------------------------------------------------------------------------
    // Configuration views
    // ------------------------------------------------------------------------------------

    /// @notice `asset`'s configuration and its feeds' decimals (all zero when unknown).
    function assetConfig(address asset)
        external
        view
        returns (FeedConfig memory config, uint8 primaryDecimals, uint8 secondaryDecimals);

    /// @notice `underlying`'s expiry-data bounds (all zero when unset).
    function expiryBounds(address underlying) external view returns (ExpiryBounds memory bounds);

    /// @notice Whether `account` may push expiry data.
    function isFeeder(address account) external view returns (bool);

    /// @notice The L2 sequencer uptime feed (address(0) when none).
    function sequencerFeed() external view returns (address);

    /// @notice The grace period after a sequencer restart, seconds.
    function gracePeriod() external view returns (uint64);

    // ------------------------------------------------------------------------------------
    // Reads
    // ------------------------------------------------------------------------------------

    /// @notice `asset`'s spot price with its confidence and the sequencer status.
    /// @return price Wad, from the primary feed.
    /// @return confidence Wad in [0, 1].
    /// @return updatedAt The primary answer's updatedAt.
    /// @return sequencer 0 = Up, 1 = Down, 2 = GracePeriod.
    function getPrice(address asset)
        external
        view
        returns (uint256 price, uint256 confidence, uint64 updatedAt, uint8 sequencer);

    /// @notice getPrice for several assets; the sequencer is read once. Reverts if any asset does.
    function getPrices(address[] calldata assets)
        external
        view
        returns (PriceData[] memory prices, uint8 sequencer);

    /// @notice The sequencer status and the time of its last change (the uptime feed's
    /// startedAt; 0 without a feed or when it cannot be read).
    function sequencerStatus() external view returns (uint8 status, uint64 since);

    /// @notice Authorised feeders only: pushes `underlying`'s data for `expiry`, checked against
    /// the underlying's bounds and its current spot (the underlying must be a configured asset).
    function pushExpiryData(address underlying, uint64 expiry, ExpiryData calldata data) external;

    /// @notice (`underlying`, `expiry`)'s data as pushed, and its confidence now: the pushed
    /// confidence times an age factor over the heartbeat. Reverts with NoExpiryData when none was
    /// pushed and StaleData beyond the heartbeat.
    function getExpiryData(address underlying, uint64 expiry)
        external
        view
        returns (ExpiryData memory data, uint256 confidence);

    // ------------------------------------------------------------------------------------
    // Settlement
    // ------------------------------------------------------------------------------------

    /// @notice Fixes `asset`'s settlement price for `expiry` from its primary feed's round
    /// `roundId` (0: the latest round). The round must be updated at or after the expiry and its
    /// predecessor in the same phase (roundId - 1) before it. Anyone may call; once fixed, the
    /// price never changes.
    /// @return price Wad.
    function settle(address asset, uint64 expiry, uint80 roundId) external returns (uint256 price);

    /// @notice `asset`'s settlement price for `expiry` (wad; 0 when not fixed) and whether it is fixed.
    function settlementPrice(address asset, uint64 expiry) external view returns (uint256 price, bool isSettled);
}
