// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title IMarginVault — Keel's margin vault (Stylus contract `contracts/vault`)
/// @notice Accounts (uint256 ids) owned by an address, each in one margin mode, with per-account
/// operators, and multi-asset ERC20 collateral held in 18 decimals internally.
/// @dev Roles: the owner (two-step transfer) configures roles and external contracts; the risk
/// admin lists collateral; the guardian (or the owner) pauses, the owner unpauses. Pause blocks
/// withdrawals (and, once they exist, trades), never deposits. Margin modes travel as uint8:
/// 0 isolated, 1 cross, 2 portfolio. Fractions (haircuts) and internal amounts are 18-decimal
/// fixed point ("wad"). Positions and margin checks are not part of this version: no account
/// can hold a position yet, so a withdrawal needs no margin check.
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

    /// @notice The owner.
    function owner() external view returns (address);
    /// @notice The pending owner (zero when none).
    function pendingOwner() external view returns (address);
    /// @notice Owner only: names `newOwner` as pending owner (zero cancels a pending transfer).
    function transferOwnership(address newOwner) external;
    /// @notice Pending owner only: takes ownership.
    function acceptOwnership() external;

    /// @notice The risk admin (lists collateral).
    function riskAdmin() external view returns (address);
    /// @notice The guardian (may pause).
    function guardian() external view returns (address);
    /// @notice Owner only: sets the risk admin (zero revokes the role).
    function setRiskAdmin(address riskAdmin) external;
    /// @notice Owner only: sets the guardian (zero revokes the role).
    function setGuardian(address guardian) external;
    /// @notice Whether the vault is paused.
    function paused() external view returns (bool);
    /// @notice Guardian or owner: pauses withdrawals (deposits stay open); reverts with
    /// EnforcedPause when already paused.
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
    /// (balance difference), scaled to 18 decimals (rounded down for tokens above 18 decimals).
    function deposit(uint256 id, address asset, uint256 amount) external;
    /// @notice Owner or operator of account `id`: sends `amount` token units of `asset` to `to`.
    /// The debit is rounded up to the next 18-decimal unit for tokens above 18 decimals.
    function withdraw(uint256 id, address asset, uint256 amount, address to) external;
    /// @notice Account `id`'s balance of `asset` (18 decimals).
    function collateralBalance(uint256 id, address asset) external view returns (uint256);
    /// @notice The assets account `id` holds a non-zero balance of (at most 16).
    function accountAssets(uint256 id) external view returns (address[] memory);
}
