// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title IMarginVault — Keel's margin vault
/// @notice Accounts (uint256 ids) owned by an address, each in one margin mode, with per-account
/// operators; multi-asset ERC20 collateral held in 18 decimals internally; cash in the settlement
/// asset; perpetual and European option positions traded by authorised markets; margin in three
/// modes through stateless engines; keeper liquidation by Dutch auction with an insurance fund and
/// socialised losses.
/// @dev One address, four Stylus contracts over one storage: the core (`contracts/vault`) serves
/// roles, pause, modules, accounts, collateral and cash, and forwards the other functions with
/// delegatecall to the margin (`contracts/vault-margin`), trading (`contracts/vault-trading`) and
/// liquidation (`contracts/vault-liquidation`) modules.
/// Roles: the owner (two-step transfer) configures roles, external contracts, modules, markets and
/// the settlement asset; the risk admin sets parameters (each with hard bounds) and lists collateral
/// and underlyings; the guardian (or the owner) pauses, the owner unpauses. Pause blocks trades and
/// withdrawals, never deposits, liquidations, realisation or option settlement.
/// Margin modes travel as uint8: 0 isolated (one position per account), 1 cross (standard risk
/// model, sum of per-position requirements), 2 portfolio (worst loss over a scenario grid).
/// Fractions, prices and internal amounts are 18-decimal fixed point ("wad"). Margin figures are
/// surpluses: initialMargin = value − initial requirement, >= 0 when met.
/// Instrument ids pack (underlying index, kind 0 perp / 1 call / 2 put, expiry, strike): see
/// instrumentId.
interface IMarginVault {
    /// @notice Risk parameters of one collateral asset.
    /// @param imHaircut Initial-margin haircut, a fraction of value (wad), mmHaircut <= imHaircut <= 0.95.
    /// @param mmHaircut Maintenance-margin haircut, a fraction of value (wad).
    /// @param assetCap Maximum total deposits of the asset over all accounts (18 decimals, > 0, <= 1e38).
    /// @param accountCap Maximum balance of one account (18 decimals, > 0, <= assetCap).
    /// @param riskCancellingUnderlying The underlying whose spot moves the asset (wETH -> ETH), zero for none.
    /// @param depegGuarded Whether the asset is valued through the LST depeg guard.
    struct CollateralParams {
        uint256 imHaircut;
        uint256 mmHaircut;
        uint256 assetCap;
        uint256 accountCap;
        address riskCancellingUnderlying;
        bool depegGuarded;
    }

    /// @notice Haircut add-ons on top of each asset's listed haircuts:
    /// volSlope * max(0, vol - volFloor) + confidenceSlope * (1 - oracle confidence), plus the depeg
    /// guard's add-on; totals capped at 1. vol is the ATM vol of the asset's underlying (nearest
    /// expiry the account's snapshot carries) or that underlying's stress vol.
    /// @param volFloor Vol below which no add-on applies (wad, <= 10).
    /// @param volSlope Haircut per unit of vol above the floor (wad, <= 1).
    /// @param confidenceSlope Haircut per unit of missing confidence (wad, <= 1).
    struct HaircutAddOns {
        uint256 volFloor;
        uint256 volSlope;
        uint256 confidenceSlope;
    }

    /// @notice Dutch-auction parameters.
    /// @param startDiscount Discount at the auction's start (wad, <= endDiscount).
    /// @param endDiscount Discount reached after `duration` (wad, <= 0.5).
    /// @param duration Seconds from start to end discount, in [60, 7 days].
    /// @param buffer A bid may take at most what brings maintenance surplus to buffer * maintenance
    /// requirement (wad, <= 1); the auction ends once the account is back at maintenance margin.
    struct LiquidationParams {
        uint256 startDiscount;
        uint256 endDiscount;
        uint64 duration;
        uint256 buffer;
    }

    /// @notice One trade between two accounts.
    /// @param instrument The instrument id.
    /// @param taker Receives `size` (signed: negative sells).
    /// @param maker Receives `-size`.
    /// @param size Signed size in units of the underlying (wad, non-zero).
    /// @param price Price per unit in the settlement asset (wad): the perp trade price or the option premium.
    /// @param takerFee Fee the taker pays into the insurance fund (wad).
    /// @param makerFee Fee the maker pays into the insurance fund (wad).
    struct Trade {
        uint256 instrument;
        uint256 taker;
        uint256 maker;
        int256 size;
        uint256 price;
        uint256 takerFee;
        uint256 makerFee;
    }

    /// @notice One open position.
    /// @param instrument The instrument id.
    /// @param size Signed size (wad).
    /// @param basis Perpetuals: the value already realised against (size * mark - size * fundingIndex at
    /// the last realisation), so unrealised PnL = size * mark - size * fundingIndex - basis; 0 for options.
    struct Position {
        uint256 instrument;
        int256 size;
        int256 basis;
    }

    /// @notice An account's margin in one mode (wads of the settlement asset's value).
    /// @param mode The mode evaluated.
    /// @param initialMargin Value minus initial requirement (>= 0: met).
    /// @param maintenanceMargin Value minus maintenance requirement (< 0: liquidatable).
    /// @param markToMarket The account's value: cash, collateral, positions.
    /// @param initialRequirement markToMarket - initialMargin.
    /// @param maintenanceRequirement markToMarket - maintenanceMargin.
    /// @param worstScenario Portfolio mode: index of the worst scenario; type(uint256).max otherwise.
    /// @param cash The account's cash.
    /// @param unrealisedPnl Unrealised perp PnL and funding plus expired, unsettled option payoffs.
    /// @param positionCount Open positions.
    struct MarginState {
        uint8 mode;
        int256 initialMargin;
        int256 maintenanceMargin;
        int256 markToMarket;
        int256 initialRequirement;
        int256 maintenanceRequirement;
        uint256 worstScenario;
        int256 cash;
        int256 unrealisedPnl;
        uint256 positionCount;
    }

    /// @notice Ownership transfer started: `newOwner` must call acceptOwnership.
    event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);
    /// @notice Ownership moved (previousOwner is zero at deployment).
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);
    /// @notice The risk admin changed (zero: none).
    event RiskAdminSet(address indexed riskAdmin);
    /// @notice The guardian changed (zero: none).
    event GuardianSet(address indexed guardian);
    /// @notice The vault was paused by `account`.
    event Paused(address account);
    /// @notice The vault was unpaused by `account`.
    event Unpaused(address account);
    /// @notice The oracle adapter changed.
    event OracleAdapterSet(address indexed oracleAdapter);
    /// @notice The LST depeg guard changed.
    event DepegGuardSet(address indexed depegGuard);
    /// @notice The margin engine of `mode` changed.
    event EngineSet(uint8 indexed mode, address indexed engine);
    /// @notice The module of `kind` (0 margin, 1 trading, 2 liquidation) changed.
    event ModuleSet(uint8 indexed kind, address indexed module);
    /// @notice The settlement asset (cash) was set, once.
    event SettlementAssetSet(address indexed asset);
    /// @notice Account `id` was opened by `owner` in `mode`.
    event AccountOpened(uint256 indexed id, address indexed owner, uint8 mode);
    /// @notice The account owner approved or revoked `operator`.
    event OperatorSet(uint256 indexed id, address indexed operator, bool approved);
    /// @notice The risk admin listed `asset` or changed its parameters.
    event CollateralListed(address indexed asset, uint8 decimals, CollateralParams params);
    /// @notice `from` deposited into account `id`: `received` token units arrived (balance difference),
    /// `credited` 18-decimal units were credited.
    event Deposited(uint256 indexed id, address indexed asset, address indexed from, uint256 received, uint256 credited);
    /// @notice `amount` token units of `asset` left account `id` for `to`; `debited` 18-decimal units were debited.
    event Withdrawn(uint256 indexed id, address indexed asset, address indexed to, uint256 amount, uint256 debited);

    /// @notice The risk parameters were replaced; `data` is the contract holding their encoding.
    event RiskParamsSet(address indexed data, uint256 length);
    /// @notice The haircut add-ons changed.
    event HaircutAddOnsSet(HaircutAddOns addOns);
    /// @notice The per-account limits changed.
    event LimitsSet(uint8 maxPositions, uint8 maxExpiries);
    /// @notice Account `id` switched to `mode`.
    event ModeChanged(uint256 indexed id, uint8 mode);
    /// @notice Account `id` entered the margin-call band (below initial, at or above maintenance margin).
    event MarginCall(uint256 indexed id, int256 initialMargin, int256 maintenanceMargin);
    /// @notice Account `id` is back at or above initial margin.
    event MarginCallCleared(uint256 indexed id);
    /// @notice The risk admin listed underlying `asset` at `index`.
    event UnderlyingListed(address indexed asset, uint8 index, uint256 stressVol);
    /// @notice The owner authorised or revoked a market.
    event MarketSet(address indexed market, bool authorised);
    /// @notice A trade settled.
    event TradeSettled(uint256 indexed instrument, uint256 indexed taker, uint256 indexed maker, int256 size, uint256 price, uint256 takerFee, uint256 makerFee);
    /// @notice `underlying`'s funding rate changed; `index` is its funding index at that moment.
    event FundingRateSet(address indexed underlying, int256 ratePerSecond, int256 index);
    /// @notice Perp PnL and funding of account `id` were realised into its cash.
    event Realised(uint256 indexed id, int256 amount);
    /// @notice An expired option of account `id` settled into cash.
    event OptionSettled(uint256 indexed id, uint256 indexed instrument, int256 size, uint256 settlementPrice, int256 payoff);
    /// @notice The liquidation parameters changed.
    event LiquidationParamsSet(LiquidationParams params);
    /// @notice A liquidation auction of account `id` started.
    event AuctionStarted(uint256 indexed id, int256 maintenanceMargin, int256 markToMarket);
    /// @notice `bidder` took `fraction` of account `id`; `payment` > 0 the bidder paid, < 0 it was paid.
    event Bid(uint256 indexed id, uint256 indexed bidder, uint256 fraction, int256 payment, uint256 discount);
    /// @notice The auction of account `id` ended.
    event AuctionEnded(uint256 indexed id, int256 maintenanceMargin);
    /// @notice `from` added `amount` (wad) to the insurance fund.
    event InsuranceFunded(address indexed from, uint256 amount);
    /// @notice The insurance fund paid `amount` for account `id`'s bad debt.
    event InsurancePaid(uint256 indexed id, uint256 amount);
    /// @notice `amount` of account `id`'s bad debt was socialised; positive cash is scaled by `cashIndex`.
    event LossSocialised(uint256 indexed id, uint256 amount, uint256 cashIndex);

    /// @notice `caller` does not hold the role the function requires.
    error Unauthorized(address caller);
    /// @notice `caller` is not the pending owner.
    error NotPendingOwner(address caller);
    /// @notice The zero address was given where an account or contract is required.
    error ZeroAddress();
    /// @notice The contract was already initialised.
    error AlreadyInitialized();
    /// @notice The function is blocked while the vault is paused.
    error EnforcedPause();
    /// @notice unpause was called while the vault is not paused.
    error ExpectedPause();
    /// @notice `account` has no code where a contract is required.
    error NotAContract(address account);
    /// @notice `mode` is not 0 (isolated), 1 (cross) or 2 (portfolio).
    error InvalidMode(uint8 mode);
    /// @notice No account has id `id`.
    error UnknownAccount(uint256 id);
    /// @notice `caller` is not the owner of account `id`.
    error NotAccountOwner(uint256 id, address caller);
    /// @notice `caller` is neither the owner nor an operator of account `id`.
    error NotAccountOperator(uint256 id, address caller);
    /// @notice `asset` is not listed as collateral.
    error AssetNotListed(address asset);
    /// @notice Haircuts outside 0 <= mmHaircut <= imHaircut <= 0.95.
    error InvalidHaircuts(uint256 imHaircut, uint256 mmHaircut);
    /// @notice Caps outside 0 < accountCap <= assetCap <= 1e38.
    error InvalidCaps(uint256 assetCap, uint256 accountCap);
    /// @notice A token reports more than 36 decimals.
    error UnsupportedDecimals(uint8 decimals);
    /// @notice A call to `token` reverted.
    error TokenCallFailed(address token);
    /// @notice `token` returned false, or data that does not decode.
    error TokenBadReturn(address token);
    /// @notice An amount of zero (or a transfer that credited nothing).
    error ZeroAmount();
    /// @notice An amount that does not fit the vault's 18-decimal accounting.
    error WadOverflow();
    /// @notice The deposit would take the asset's total deposits to `total`, above `cap`.
    error AssetCapExceeded(address asset, uint256 total, uint256 cap);
    /// @notice The deposit would take account `id`'s balance to `balance`, above `cap`.
    error AccountCapExceeded(uint256 id, address asset, uint256 balance, uint256 cap);
    /// @notice Account `id` holds `balance` of `asset`, less than the `requested` debit (18 decimals).
    error InsufficientBalance(uint256 id, address asset, uint256 balance, uint256 requested);
    /// @notice Account `id` already holds the maximum number of different assets.
    error TooManyAssets(uint256 id);
    /// @notice A deposit or withdrawal was entered again before it finished (a reentrant token).
    error Reentrant();

    /// @notice No module of `kind` is installed.
    error ModuleNotSet(uint8 kind);
    /// @notice The settlement asset is already `asset`; it is set once.
    error SettlementAssetAlreadySet(address asset);
    /// @notice No settlement asset is set.
    error SettlementAssetNotSet();
    /// @notice Account `id` has `cash`, less than the `requested` debit.
    error InsufficientCash(uint256 id, int256 cash, uint256 requested);
    /// @notice No risk parameters are set.
    error RiskParamsNotSet();
    /// @notice The risk parameters do not decode or break bound `code`.
    error InvalidRiskParams(uint8 code);
    /// @notice A parameter outside its bounds; `which` names it (see each setter).
    error InvalidParameter(uint8 which);
    /// @notice No oracle adapter is set.
    error OracleNotSet();
    /// @notice No engine is set for `mode`.
    error EngineNotSet(uint8 mode);
    /// @notice The engine of `mode` answered something that is not a margin result.
    error EngineFailed(uint8 mode);
    /// @notice A read from the oracle adapter (or depeg guard) about `asset` failed.
    error OracleCallFailed(address asset);
    /// @notice New risk needs the sequencer up; `status` 1 down, 2 grace period.
    error SequencerUnavailable(uint8 status);
    /// @notice Account `id` would be below initial margin (`initialMargin` < 0).
    error BelowInitialMargin(uint256 id, int256 initialMargin);
    /// @notice Account `id` would be below maintenance margin.
    error BelowMaintenanceMargin(uint256 id, int256 maintenanceMargin);
    /// @notice An isolated account holds at most one position.
    error IsolatedNeedsOnePosition(uint256 id);
    /// @notice `asset` is not a listed underlying.
    error UnderlyingNotListed(address asset);
    /// @notice `asset` is already a listed underlying.
    error UnderlyingAlreadyListed(address asset);
    /// @notice No room for another underlying (16, and one SRM parameter set each).
    error TooManyUnderlyings();
    /// @notice `market` is not an authorised market.
    error NotAuthorisedMarket(address market);
    /// @notice `instrument` is not a well-formed id on a listed underlying.
    error InvalidInstrument(uint256 instrument);
    /// @notice A trade between an account and itself, or of size zero.
    error InvalidTrade();
    /// @notice Account `id` holds the maximum number of positions.
    error TooManyPositions(uint256 id);
    /// @notice Account `id` holds options on the maximum number of expiries.
    error TooManyExpiries(uint256 id);
    /// @notice `instrument` has expired: it settles, it no longer trades.
    error OptionExpired(uint256 instrument);
    /// @notice The oracle adapter has not fixed `underlying`'s settlement price for `expiry` yet.
    error SettlementPriceNotFixed(address underlying, uint64 expiry);
    /// @notice Account `id` has no active auction.
    error AuctionNotActive(uint256 id);
    /// @notice Account `id` is already being auctioned.
    error AuctionAlreadyActive(uint256 id);
    /// @notice Account `id` is at or above maintenance margin: no auction starts, no bid buys it.
    error AboveMaintenanceMargin(uint256 id, int256 maintenanceMargin);
    /// @notice A fraction outside (0, 1].
    error InvalidFraction(uint256 fraction);
    /// @notice The bid would cost `payment`, more than the bidder's `limit`.
    error PaymentAboveLimit(int256 payment, int256 limit);
    /// @notice Account `id` cannot be bid on by itself, by another account of its owner, or by its
    /// owner acting as another account's operator.
    error SelfLiquidation(uint256 id);

    /// @notice The owner.
    function owner() external view returns (address);
    /// @notice The pending owner (zero when none).
    function pendingOwner() external view returns (address);
    /// @notice Owner only: names `newOwner` as pending owner (zero cancels a pending transfer).
    function transferOwnership(address newOwner) external;
    /// @notice Pending owner only: takes ownership.
    function acceptOwnership() external;

    /// @notice The risk admin (parameters, collateral and underlying listings).
    function riskAdmin() external view returns (address);
    /// @notice The guardian (may pause).
    function guardian() external view returns (address);
    /// @notice Owner only: sets the risk admin (zero revokes the role).
    function setRiskAdmin(address riskAdmin) external;
    /// @notice Owner only: sets the guardian (zero revokes the role).
    function setGuardian(address guardian) external;
    /// @notice Whether the vault is paused.
    function paused() external view returns (bool);
    /// @notice Guardian or owner: pauses trades and withdrawals (deposits, liquidations, realisation
    /// and option settlement stay open); reverts with EnforcedPause when already paused.
    function pause() external;
    /// @notice Owner only: unpauses; reverts with ExpectedPause when not paused.
    function unpause() external;

    /// @notice The oracle adapter (IOracleAdapter).
    function oracleAdapter() external view returns (address);
    /// @notice The LST depeg guard (ILstDepegGuard).
    function depegGuard() external view returns (address);
    /// @notice The margin engine of `mode` (reverts InvalidMode above 2; zero when unset).
    function engine(uint8 mode) external view returns (address);
    /// @notice Owner only: sets the oracle adapter (a contract).
    function setOracleAdapter(address oracleAdapter) external;
    /// @notice Owner only: sets the LST depeg guard (a contract).
    function setDepegGuard(address depegGuard) external;
    /// @notice Owner only: sets the margin engine of `mode` (a contract).
    function setEngine(uint8 mode, address engine) external;

    /// @notice The module of `kind` (0 margin, 1 trading, 2 liquidation; zero when unset).
    function module(uint8 kind) external view returns (address);
    /// @notice Owner only: installs the module of `kind` (a contract built for the vault's storage layout).
    function setModule(uint8 kind, address module) external;
    /// @notice The settlement asset (cash).
    function settlementAsset() external view returns (address);
    /// @notice Owner only, once: makes listed `asset`, with no deposits yet, the settlement asset.
    /// Its deposits and withdrawals then move the account's cash.
    function setSettlementAsset(address asset) external;

    /// @notice Opens an account owned by the caller in `mode`; ids start at 1 and increase by 1.
    function openAccount(uint8 mode) external returns (uint256 id);
    /// @notice The number of accounts opened (the last id).
    function accountCount() external view returns (uint256);
    /// @notice Account `id`'s owner and mode (zero owner: no such account).
    function account(uint256 id) external view returns (address accountOwner, uint8 mode);
    /// @notice Account owner only: approves or revokes `operator` on account `id`.
    function setOperator(uint256 id, address operator, bool approved) external;
    /// @notice Whether `operator` is approved on account `id`.
    function isOperator(uint256 id, address operator) external view returns (bool);

    /// @notice Risk admin only: lists `asset` (a contract; its decimals, at most 36, are read at the
    /// first listing and kept) or changes its parameters. A cap lowered below current balances
    /// only blocks new deposits.
    function listCollateral(address asset, CollateralParams calldata params) external;
    /// @notice `asset`'s listing: whether listed, its decimals, parameters and total deposits (18 decimals).
    function collateral(address asset)
        external
        view
        returns (bool listed, uint8 decimals, CollateralParams memory params, uint256 totalDeposits);

    /// @notice Pulls `amount` token units of `asset` from the caller into account `id` (anyone may
    /// deposit into any account; allowed while paused). The account is credited what arrived
    /// (balance difference), scaled to 18 decimals (rounded down for tokens above 18 decimals);
    /// the settlement asset is credited to cash. A deposit that brings an account in auction back to
    /// maintenance margin ends its auction (AuctionEnded).
    function deposit(uint256 id, address asset, uint256 amount) external;
    /// @notice Owner or operator of account `id`, not while paused: sends `amount` token units of
    /// `asset` to `to`. The debit is rounded up to the next 18-decimal unit for tokens above 18
    /// decimals. The account must stay at or above initial margin (unless it holds no position and
    /// no debt). The settlement asset is withdrawn from cash.
    function withdraw(uint256 id, address asset, uint256 amount, address to) external;
    /// @notice Account `id`'s balance of `asset` (18 decimals).
    function collateralBalance(uint256 id, address asset) external view returns (uint256);
    /// @notice The assets account `id` holds a non-zero balance of (at most 16).
    function accountAssets(uint256 id) external view returns (address[] memory);
    /// @notice Account `id`'s cash: its signed balance of the settlement asset (wad).
    function cash(uint256 id) external view returns (int256);

    // ---- Margin module ------------------------------------------------------------------------

    /// @notice Risk admin only: sets the risk parameters (the params section of Keel's snapshot
    /// encoding: per-underlying cross-margin sets, depeg factors, portfolio scenarios), validated
    /// against hard bounds and stored as the code of a data contract (cheap to read). Needs at least
    /// one set per listed underlying.
    function setRiskParams(bytes calldata params) external;
    /// @notice The current risk parameters' encoding (empty when unset).
    function riskParams() external view returns (bytes memory);
    /// @notice Risk admin only: sets the haircut add-ons (bounds in HaircutAddOns).
    function setHaircutAddOns(HaircutAddOns calldata addOns) external;
    /// @notice The haircut add-ons.
    function haircutAddOns() external view returns (HaircutAddOns memory);
    /// @notice Risk admin only: positions (1..160) and option expiries (1..30) one account may hold.
    function setLimits(uint8 maxPositions, uint8 maxExpiries) external;
    /// @notice The per-account limits (defaults 32 and 8).
    function limits() external view returns (uint8 maxPositions, uint8 maxExpiries);
    /// @notice Account `id`'s margin in its mode. In portfolio mode no stored parameter set makes the
    /// evaluation fail on arithmetic (so neither do startAuction and bid, which read it): where the
    /// PM2 specification itself reverts — a vol-shock argument pow * ln(30 days / T) of 135.306 or
    /// more, a static-discount exponent whose exp underflows, k* = 0, a moneyness K / F that rounds
    /// to 0 — Keel takes the limit the formula tends to (shocked vols beyond the 18-decimal range
    /// price options at the Black-76 limit F·D / K·D, exactly as the true vols would; δ⁻ = 1/D; the
    /// k* → 0 slope ±cap); positions must stay within the 18-decimal range of their values (about
    /// 1e15 USD of notional per position on a one-year book).
    function margin(uint256 id) external view returns (MarginState memory);
    /// @notice The capital-efficiency report: account `id` as if in each mode, whatever its own
    /// (served by the trading module). `cross` and `portfolio` are the cross and portfolio
    /// engines' margin of `snapshot(id, 1)` and `snapshot(id, 2)`. `isolated` is the isolated
    /// what-if, the cross engine's `isolatedWhatIf` of `snapshot(id, 1)`: the account's cash and
    /// collateral margined with no position, plus each position margined alone (no cash, no
    /// collateral), all in the cross model, summed: every position in an isolated account of its
    /// own, with no netting between positions. For an account with at most one position it is the
    /// account's margin in isolated mode. Requirements are `markToMarket` minus the surpluses;
    /// `cash`, `unrealisedPnl` and `positionCount` are `margin(id)`'s, the account's own mode's
    /// state equals `margin(id)`. Reverts with `margin(id)`'s errors, `EngineNotSet(mode)`
    /// (mode 1 for the what-if) or the engines' revert data.
    function marginAllModes(uint256 id)
        external
        view
        returns (MarginState memory isolated, MarginState memory cross, MarginState memory portfolio);
    /// @notice The exact snapshot bytes the vault sends the engine for account `id` in `mode`.
    function snapshot(uint256 id, uint8 mode) external view returns (bytes memory);
    /// @notice Reverts unless account `id` meets initial (`initial`, which also needs the sequencer
    /// up) or maintenance margin.
    function requireMargin(uint256 id, bool initial) external view;
    /// @notice Account owner only: switches account `id` to `mode`; it must meet initial margin there
    /// (an isolated account holds at most one position).
    function setMode(uint256 id, uint8 mode) external;
    /// @notice Anyone: re-evaluates account `id`, emitting MarginCall when it enters the band below
    /// initial and at or above maintenance margin, MarginCallCleared when it leaves it upwards.
    function updateMarginCall(uint256 id) external returns (bool inMarginCall);

    // ---- Trading module -----------------------------------------------------------------------

    /// @notice Risk admin only: lists underlying `asset` (its oracle-adapter key) at the next index
    /// (at most 16, each covered by an SRM set of the risk parameters). `stressVol` in (0, 10] is the
    /// vol haircut add-ons use when no live vol is at hand.
    function listUnderlying(address asset, uint256 stressVol) external returns (uint8 index);
    /// @notice The listed underlyings, by index.
    function underlyings() external view returns (address[] memory);
    /// @notice Owner only: authorises or revokes a market contract (authorising needs code).
    function setMarket(address market, bool authorised) external;
    /// @notice Whether `market` is authorised.
    function isMarket(address market) external view returns (bool);
    /// @notice The id of an instrument: kind 0 perpetual (expiry and strike 0), 1 call, 2 put.
    function instrumentId(address underlying, uint8 kind, uint64 expiry, uint256 strike) external view returns (uint256);
    /// @notice The fields of instrument id `id`.
    function instrument(uint256 id) external view returns (address underlying, uint8 kind, uint64 expiry, uint256 strike);
    /// @notice Authorised markets only, not while paused; the market must be an operator of both
    /// accounts. Moves `size` from maker to taker at `price` (zero-sum), realises perps at the oracle
    /// mark, charges fees into the insurance fund, then checks each account: it must meet initial
    /// margin (with the sequencer up; the margin module's error otherwise), except a side whose
    /// change reduces risk (|size| shrinks without changing sign, closing included), which may also
    /// settle below initial margin — or while the sequencer is down — if, against its margin just
    /// before the trade, its initial-margin surplus did not fall and its mark-to-market did not fall
    /// by more than its own fee. So a reduction lowers risk but never carries value out of an
    /// account short of margin: at a price worse than the vault's mark (oracle spot for perps, the
    /// engine's model value for options) it must be paid from initial-margin surplus, exactly as a
    /// withdrawal would. No price band around the mark is imposed: any value a trade moves beyond
    /// the rule is value the account could have withdrawn, and a band would block honest trades at
    /// market prices away from the mark. A trade that brings an account in auction back to
    /// maintenance margin ends its auction.
    function settleTrade(Trade calldata trade) external;
    /// @notice Account `id`'s open positions.
    function positions(uint256 id) external view returns (Position[] memory);
    /// @notice An authorised market or the risk admin: sets `underlying`'s funding rate per second
    /// (a fraction of spot; longs pay a positive rate), accruing the index first.
    function setFundingRate(address underlying, int256 ratePerSecond) external;
    /// @notice `underlying`'s stored funding index, rate and last accrual time.
    function funding(address underlying) external view returns (int256 index, int256 ratePerSecond, uint64 updatedAt);
    /// @notice Anyone, also while paused: realises account `id`'s perp PnL and funding into cash and
    /// settles its expired options whose settlement price is fixed.
    function realise(uint256 id) external;
    /// @notice Anyone, also while paused: settles account `id`'s expired options at the oracle
    /// adapter's settlement prices.
    function settleOptions(uint256 id) external;

    // ---- Liquidation module -------------------------------------------------------------------

    /// @notice Risk admin only: sets the auction parameters (bounds in LiquidationParams).
    function setLiquidationParams(LiquidationParams calldata params) external;
    /// @notice The auction parameters (defaults until set).
    function liquidationParams() external view returns (LiquidationParams memory);
    /// @notice Anyone, also while paused: starts the auction of account `id`, which must be below
    /// maintenance margin.
    function startAuction(uint256 id) external;
    /// @notice Owner or operator of account `bidder`, also while paused: takes `fraction` (wad, capped
    /// at what brings the account back to the buffer) of account `id`'s positions, collateral and
    /// cash into `bidder` at the current discount. Only an account below maintenance margin is
    /// bought at a discount (AboveMaintenanceMargin otherwise, also while an uncured auction is
    /// still recorded). The bidder account may not have the liquidated account's owner, nor may
    /// that owner send the bid (SelfLiquidation); operators the two accounts share may bid, the
    /// bonus going to the bidder account's owner. `payment` > 0 is paid by the bidder to the
    /// account; < 0 (an account worth less than nothing) is paid to the bidder by the insurance
    /// fund and then by socialisation over positive cash — only as far as those cover it: the
    /// bidder is credited exactly what the fund paid and positive cash gave up (nothing when no
    /// cash is positive, less once the socialisation index reaches its floor of 1e-9), and
    /// `payment` and `maxPayment` are that credit. Depeg-guarded collateral the guard cannot
    /// assess is valued at zero by the margin the bid is priced on, so it is not taken: it stays
    /// with the account. The bidder's collateral balances must stay within their per-account caps
    /// (AccountCapExceeded; bid a smaller fraction), and the bidder must end at or above initial
    /// margin. A bid that leaves the account at or above maintenance margin, or empty, ends the
    /// auction.
    function bid(uint256 id, uint256 bidder, uint256 fraction, int256 maxPayment)
        external
        returns (uint256 filled, int256 payment);
    /// @notice Anyone: ends the auction of account `id` once it is at or above maintenance margin
    /// (cured: by a deposit, a trade, a price move, a mode switch) or empty; BelowMaintenanceMargin
    /// otherwise. A cure ends an auction rather than resetting it; deposits and trades of the account
    /// end it themselves, any other cure is recorded by whoever calls this (keepers do). An auction
    /// nobody ended keeps its start time, so its discount would run from there if the account fell
    /// below maintenance margin again.
    function endAuction(uint256 id) external;
    /// @notice Account `id`'s auction: whether active, its start and its current discount.
    function auction(uint256 id) external view returns (bool active, uint64 startedAt, uint256 discount);
    /// @notice Anyone: adds settlement-asset tokens to the insurance fund (credited what arrived).
    function fundInsurance(uint256 amount) external;
    /// @notice The insurance fund (wad of the settlement asset).
    function insuranceFund() external view returns (uint256);
    /// @notice Total loss socialised — what positive cash actually gave up (wad) — and the current
    /// index positive cash is scaled by (never below 1e-9).
    function socialisedLoss() external view returns (uint256 total, uint256 cashIndex);
}
