//! # keel-vault-state
//!
//! What every part of Keel's margin vault shares: the Solidity interface (`sol!`, the same as
//! `abi/IMarginVault.sol`), the **storage layout**, the packed storage words, the named
//! revert data, token calls, and the accessors several parts need (accounts, cash, positions,
//! underlyings, module calls).
//!
//! ## One vault, four contracts
//!
//! The vault is larger than one Stylus contract may be (24,576 bytes deployed), so it is four
//! contracts over **one storage**: users, markets and keepers call only the vault's address.
//!
//! | contract | crate | serves |
//! | --- | --- | --- |
//! | vault (core) | `keel-vault` | roles, pause, modules, accounts, operators, collateral, deposit/withdraw, cash |
//! | margin module | `keel-vault-margin` | risk parameters, snapshots, margin views, margin checks, mode switch, margin calls |
//! | trading module | `keel-vault-trading` | underlyings, markets, `settleTrade`, funding, option settlement, the all-modes what-if (`marginAllModes`) |
//! | liquidation module | `keel-vault-liquidation` | auctions, bids, insurance fund, socialised losses |
//!
//! The core serves its own selectors and forwards every other selector of the interface with
//! `delegatecall` to the module that owns it ([`Module::of`]), so modules run on the vault's
//! storage, with the caller's `msg.sender`. Modules reach each other the same way (a trade's
//! margin check is a `delegatecall` into the margin module). Each module's entry type is
//! `#[storage] struct { state: VaultState }`, whose slots are exactly [`VaultState`]'s.
//! A module called directly (not through the vault) works on its own, empty storage: harmless.
//!
//! ## Storage layout
//!
//! [`VaultState`], stylus-sdk assigning slots in declaration order as Solidity does. The
//! first fourteen fields are the layout of the first vault version, unchanged.
//!
//! | field | type | what |
//! | --- | --- | --- |
//! | `ownable` | 2 slots | owner, pending owner |
//! | `risk_admin`, `guardian`, `paused`, `locked` | | `locked`: reentrancy lock |
//! | `oracle`, `depeg_guard` | address ×2 | |
//! | `engines` | `mode → address` | margin engine per mode |
//! | `account_count` | uint256 | last id |
//! | `accounts` | `id → word` | owner, mode ([`pack::account_word`]) |
//! | `operators` | `id → address → bool` | |
//! | `balances` | `id → asset → uint256` | 18 decimals; never the settlement asset |
//! | `held` | `id → address[]` | non-settlement assets with a non-zero balance (≤ 16) |
//! | `assets` | `asset → 4 words` | listing ([`pack::asset_word`]), haircuts, caps, total |
//! | `modules` | `kind → address` | [`Module`] implementations |
//! | `settlement_asset` | address | the cash asset (set once) |
//! | `cash` | `id → int256` | settlement-asset balance, **scaled** when positive ([`cash`]) |
//! | `cash_index` | uint256 | socialisation index (wad; 0 reads as 1) |
//! | `positive_cash` | uint256 | sum of positive scaled cash |
//! | `insurance` | uint256 | insurance fund (wad of settlement asset) |
//! | `socialised` | uint256 | total loss socialised (wad) |
//! | `params_data` | address | data contract holding the encoded risk parameters |
//! | `add_ons` | 4 words | haircut add-on parameters (margin module) |
//! | `limits` | uint256 | max positions (byte 31), max expiries (byte 30), SRM parameter sets in the risk parameters (byte 29) |
//! | `liquidation` | 4 words | auction parameters (liquidation module) |
//! | `underlyings` | `address[]` | listed underlyings, index = position in the list (≤ 16) |
//! | `underlying_info` | `asset → 4 words` | index + 1, stress vol, funding state ([`pack`]) |
//! | `markets` | `address → bool` | authorised markets |
//! | `positions` | `id → Position[]` | open positions, two words each ([`positions`]) |
//! | `position_slot` | `id → instrument → uint256` | index + 1 in `positions` |
//! | `margin_call` | `id → bool` | in the margin-call band when last evaluated |
//! | `auctions` | `id → uint256` | auction start time (0: none) |

#![cfg_attr(target_arch = "wasm32", no_std)]
#![warn(missing_docs)]

extern crate alloc;

pub mod amount;
pub mod cash;
pub mod engine;
mod error;
pub mod instrument;
pub mod module;
pub mod oracle;
pub mod pack;
pub mod positions;
pub mod state;
pub mod token;

pub use abi::*;
pub use error::{Revert, ERROR_SIGNATURES};
pub use layout::{VaultState, Words2, Words4};
pub use module::Module;
pub use state::{Collateral, UnderlyingInfo};

/// Result of the vault's methods: the error is ABI-encoded revert data.
pub type Result<T> = core::result::Result<T, Revert>;

/// Number of margin modes (0 isolated, 1 cross, 2 portfolio).
pub const MODES: u8 = 3;
/// Largest haircut a listing may set (0.95, wad).
pub const MAX_HAIRCUT: u128 = 950_000_000_000_000_000;
/// Largest cap a listing may set (10³⁸ in 18 decimals: 10²⁰ tokens, inside a wad).
pub const MAX_CAP: u128 = 100_000_000_000_000_000_000_000_000_000_000_000_000;
/// Most different assets one account may hold at once (besides cash).
pub const MAX_ASSETS_PER_ACCOUNT: usize = 16;
/// Most underlyings the vault lists (the snapshot's bound).
pub const MAX_UNDERLYINGS: usize = keel_risk::model::snapshot::MAX_UNDERLYINGS;
/// Hard bound on the positions of one account (the snapshot's bound).
pub const MAX_POSITIONS_BOUND: u8 = keel_risk::model::snapshot::MAX_POSITIONS as u8;
/// Hard bound on the option expiries of one account.
pub const MAX_EXPIRIES_BOUND: u8 = keel_risk::model::snapshot::MAX_EXPIRIES as u8;
/// Positions per account until the risk admin sets a limit.
pub const DEFAULT_MAX_POSITIONS: u8 = 32;
/// Expiries per account until the risk admin sets a limit.
pub const DEFAULT_MAX_EXPIRIES: u8 = 8;

// `#[storage]` generates undocumented items.
#[allow(missing_docs)]
mod layout {
    use alloy_primitives::{Address, U256};
    use keel_stylus_common::Ownable2Step;
    use stylus_sdk::prelude::*;
    use stylus_sdk::storage::{
        StorageAddress, StorageBool, StorageI256, StorageMap, StorageU256, StorageVec,
    };
    // `vec!`/`Vec` are used by the code `#[storage]` generates.
    #[allow(unused_imports)]
    use alloc::{vec, vec::Vec};

    /// Two storage words.
    #[storage]
    pub struct Words2 {
        pub w0: StorageU256,
        pub w1: StorageU256,
    }

    impl stylus_sdk::storage::Erase for Words2 {
        fn erase(&mut self) {
            self.w0.erase();
            self.w1.erase();
        }
    }

    /// Four storage words.
    #[storage]
    pub struct Words4 {
        pub w0: StorageU256,
        pub w1: StorageU256,
        pub w2: StorageU256,
        pub w3: StorageU256,
    }

    /// The vault's storage (layout in the crate docs). Every part of the vault embeds it as
    /// its only field, so all of them see the same slots.
    #[storage]
    pub struct VaultState {
        pub ownable: Ownable2Step,
        pub risk_admin: StorageAddress,
        pub guardian: StorageAddress,
        pub paused: StorageBool,
        pub locked: StorageBool,
        pub oracle: StorageAddress,
        pub depeg_guard: StorageAddress,
        pub engines: StorageMap<u8, StorageAddress>,
        pub account_count: StorageU256,
        pub accounts: StorageMap<U256, StorageU256>,
        pub operators: StorageMap<U256, StorageMap<Address, StorageBool>>,
        pub balances: StorageMap<U256, StorageMap<Address, StorageU256>>,
        pub held: StorageMap<U256, StorageVec<StorageAddress>>,
        pub assets: StorageMap<Address, Words4>,
        pub modules: StorageMap<u8, StorageAddress>,
        pub settlement_asset: StorageAddress,
        pub cash: StorageMap<U256, StorageI256>,
        pub cash_index: StorageU256,
        pub positive_cash: StorageU256,
        pub insurance: StorageU256,
        pub socialised: StorageU256,
        pub params_data: StorageAddress,
        pub add_ons: Words4,
        pub limits: StorageU256,
        pub liquidation: Words4,
        pub underlyings: StorageVec<StorageAddress>,
        pub underlying_info: StorageMap<Address, Words4>,
        pub markets: StorageMap<Address, StorageBool>,
        pub positions: StorageMap<U256, StorageVec<Words2>>,
        pub position_slot: StorageMap<U256, StorageMap<U256, StorageU256>>,
        pub margin_call: StorageMap<U256, StorageBool>,
        pub auctions: StorageMap<U256, StorageU256>,
    }
}

/// The Solidity structs, events, errors and functions of `IMarginVault` (generated by
/// `sol!`; the same as `abi/IMarginVault.sol`, which the tests and `keel abi check` compare).
/// Which contract serves each function: [`Module::of`].
#[allow(missing_docs)]
pub mod abi {
    use alloy_sol_types::sol;
    use stylus_sdk::prelude::*;

    sol! {
        /// Risk parameters of one collateral asset.
        #[derive(Debug, PartialEq, Eq, AbiType)]
        struct CollateralParams {
            uint256 imHaircut;
            uint256 mmHaircut;
            uint256 assetCap;
            uint256 accountCap;
            address riskCancellingUnderlying;
            bool depegGuarded;
        }

        /// Haircut add-ons: `volSlope · max(0, vol − volFloor) + confidenceSlope · (1 −
        /// confidence)`, plus the depeg guard's add-on.
        #[derive(Debug, PartialEq, Eq, AbiType)]
        struct HaircutAddOns {
            uint256 volFloor;
            uint256 volSlope;
            uint256 confidenceSlope;
        }

        /// Dutch-auction parameters (wads except the duration).
        #[derive(Debug, PartialEq, Eq, AbiType)]
        struct LiquidationParams {
            uint256 startDiscount;
            uint256 endDiscount;
            uint64 duration;
            uint256 buffer;
        }

        /// One trade between two accounts: `taker` receives `size` (signed) of `instrument`
        /// at `price`, `maker` the opposite; fees are paid into the insurance fund.
        #[derive(Debug, PartialEq, Eq, AbiType)]
        struct Trade {
            uint256 instrument;
            uint256 taker;
            uint256 maker;
            int256 size;
            uint256 price;
            uint256 takerFee;
            uint256 makerFee;
        }

        /// One open position. `basis`: for a perpetual, the cash value already realised
        /// against (`size · mark − size · fundingIndex` at the last realisation); 0 for options.
        #[derive(Debug, PartialEq, Eq, AbiType)]
        struct Position {
            uint256 instrument;
            int256 size;
            int256 basis;
        }

        /// An account's margin in one mode (surpluses: ≥ 0 when met).
        #[derive(Debug, PartialEq, Eq, AbiType)]
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

        event RiskAdminSet(address indexed riskAdmin);
        event GuardianSet(address indexed guardian);
        event Paused(address account);
        event Unpaused(address account);
        event OracleAdapterSet(address indexed oracleAdapter);
        event DepegGuardSet(address indexed depegGuard);
        event EngineSet(uint8 indexed mode, address indexed engine);
        event ModuleSet(uint8 indexed kind, address indexed module);
        event SettlementAssetSet(address indexed asset);
        event AccountOpened(uint256 indexed id, address indexed owner, uint8 mode);
        event OperatorSet(uint256 indexed id, address indexed operator, bool approved);
        event CollateralListed(address indexed asset, uint8 decimals, CollateralParams params);
        event Deposited(uint256 indexed id, address indexed asset, address indexed from, uint256 received, uint256 credited);
        event Withdrawn(uint256 indexed id, address indexed asset, address indexed to, uint256 amount, uint256 debited);

        event RiskParamsSet(address indexed data, uint256 length);
        event HaircutAddOnsSet(HaircutAddOns addOns);
        event LimitsSet(uint8 maxPositions, uint8 maxExpiries);
        event ModeChanged(uint256 indexed id, uint8 mode);
        event MarginCall(uint256 indexed id, int256 initialMargin, int256 maintenanceMargin);
        event MarginCallCleared(uint256 indexed id);

        event UnderlyingListed(address indexed asset, uint8 index, uint256 stressVol);
        event MarketSet(address indexed market, bool authorised);
        event TradeSettled(uint256 indexed instrument, uint256 indexed taker, uint256 indexed maker, int256 size, uint256 price, uint256 takerFee, uint256 makerFee);
        event FundingRateSet(address indexed underlying, int256 ratePerSecond, int256 index);
        event Realised(uint256 indexed id, int256 amount);
        event OptionSettled(uint256 indexed id, uint256 indexed instrument, int256 size, uint256 settlementPrice, int256 payoff);

        event LiquidationParamsSet(LiquidationParams params);
        event AuctionStarted(uint256 indexed id, int256 maintenanceMargin, int256 markToMarket);
        event Bid(uint256 indexed id, uint256 indexed bidder, uint256 fraction, int256 payment, uint256 discount);
        event AuctionEnded(uint256 indexed id, int256 maintenanceMargin);
        event InsuranceFunded(address indexed from, uint256 amount);
        event InsurancePaid(uint256 indexed id, uint256 amount);
        event LossSocialised(uint256 indexed id, uint256 amount, uint256 cashIndex);

        error EnforcedPause();
        error ExpectedPause();
        error NotAContract(address account);
        error InvalidMode(uint8 mode);
        error UnknownAccount(uint256 id);
        error NotAccountOwner(uint256 id, address caller);
        error NotAccountOperator(uint256 id, address caller);
        error AssetNotListed(address asset);
        error InvalidHaircuts(uint256 imHaircut, uint256 mmHaircut);
        error InvalidCaps(uint256 assetCap, uint256 accountCap);
        error TokenCallFailed(address token);
        error TokenBadReturn(address token);
        error ZeroAmount();
        error AssetCapExceeded(address asset, uint256 total, uint256 cap);
        error AccountCapExceeded(uint256 id, address asset, uint256 balance, uint256 cap);
        error InsufficientBalance(uint256 id, address asset, uint256 balance, uint256 requested);
        error TooManyAssets(uint256 id);
        error Reentrant();
        error ModuleNotSet(uint8 kind);
        error SettlementAssetAlreadySet(address asset);
        error SettlementAssetNotSet();
        error InsufficientCash(uint256 id, int256 cash, uint256 requested);

        error RiskParamsNotSet();
        error InvalidRiskParams(uint8 code);
        error InvalidParameter(uint8 which);
        error OracleNotSet();
        error EngineNotSet(uint8 mode);
        error EngineFailed(uint8 mode);
        error OracleCallFailed(address asset);
        error SequencerUnavailable(uint8 status);
        error BelowInitialMargin(uint256 id, int256 initialMargin);
        error BelowMaintenanceMargin(uint256 id, int256 maintenanceMargin);
        error IsolatedNeedsOnePosition(uint256 id);

        error UnderlyingNotListed(address asset);
        error UnderlyingAlreadyListed(address asset);
        error TooManyUnderlyings();
        error NotAuthorisedMarket(address market);
        error InvalidInstrument(uint256 instrument);
        error InvalidTrade();
        error TooManyPositions(uint256 id);
        error TooManyExpiries(uint256 id);
        error OptionExpired(uint256 instrument);
        error SettlementPriceNotFixed(address underlying, uint64 expiry);

        error AuctionNotActive(uint256 id);
        error AuctionAlreadyActive(uint256 id);
        error AboveMaintenanceMargin(uint256 id, int256 maintenanceMargin);
        error InvalidFraction(uint256 fraction);
        error PaymentAboveLimit(int256 payment, int256 limit);
        error SelfLiquidation(uint256 id);

        // Core (keel-vault).
        function owner() external view returns (address);
        function pendingOwner() external view returns (address);
        function transferOwnership(address newOwner) external;
        function acceptOwnership() external;
        function riskAdmin() external view returns (address);
        function guardian() external view returns (address);
        function setRiskAdmin(address riskAdmin) external;
        function setGuardian(address guardian) external;
        function paused() external view returns (bool);
        function pause() external;
        function unpause() external;
        function oracleAdapter() external view returns (address);
        function depegGuard() external view returns (address);
        function engine(uint8 mode) external view returns (address);
        function setOracleAdapter(address oracleAdapter) external;
        function setDepegGuard(address depegGuard) external;
        function setEngine(uint8 mode, address engine) external;
        function module(uint8 kind) external view returns (address);
        function setModule(uint8 kind, address module) external;
        function settlementAsset() external view returns (address);
        function setSettlementAsset(address asset) external;
        function openAccount(uint8 mode) external returns (uint256 id);
        function accountCount() external view returns (uint256);
        function account(uint256 id) external view returns (address accountOwner, uint8 mode);
        function setOperator(uint256 id, address operator, bool approved) external;
        function isOperator(uint256 id, address operator) external view returns (bool);
        function listCollateral(address asset, CollateralParams params) external;
        function collateral(address asset) external view returns (bool listed, uint8 decimals, CollateralParams params, uint256 totalDeposits);
        function deposit(uint256 id, address asset, uint256 amount) external;
        function withdraw(uint256 id, address asset, uint256 amount, address to) external;
        function collateralBalance(uint256 id, address asset) external view returns (uint256);
        function accountAssets(uint256 id) external view returns (address[]);
        function cash(uint256 id) external view returns (int256);

        // Margin module (keel-vault-margin).
        function setRiskParams(bytes params) external;
        function riskParams() external view returns (bytes);
        function setHaircutAddOns(HaircutAddOns addOns) external;
        function haircutAddOns() external view returns (HaircutAddOns);
        function setLimits(uint8 maxPositions, uint8 maxExpiries) external;
        function limits() external view returns (uint8 maxPositions, uint8 maxExpiries);
        function margin(uint256 id) external view returns (MarginState);
        function marginAllModes(uint256 id) external view returns (MarginState isolated, MarginState cross, MarginState portfolio);
        function snapshot(uint256 id, uint8 mode) external view returns (bytes);
        function requireMargin(uint256 id, bool initial) external view;
        function setMode(uint256 id, uint8 mode) external;
        function updateMarginCall(uint256 id) external returns (bool inMarginCall);

        // Trading module (keel-vault-trading).
        function listUnderlying(address asset, uint256 stressVol) external returns (uint8 index);
        function underlyings() external view returns (address[]);
        function setMarket(address market, bool authorised) external;
        function isMarket(address market) external view returns (bool);
        function instrumentId(address underlying, uint8 kind, uint64 expiry, uint256 strike) external view returns (uint256);
        function instrument(uint256 id) external view returns (address underlying, uint8 kind, uint64 expiry, uint256 strike);
        function settleTrade(Trade trade) external;
        function positions(uint256 id) external view returns (Position[]);
        function setFundingRate(address underlying, int256 ratePerSecond) external;
        function funding(address underlying) external view returns (int256 index, int256 ratePerSecond, uint64 updatedAt);
        function realise(uint256 id) external;
        function settleOptions(uint256 id) external;

        // Liquidation module (keel-vault-liquidation).
        function setLiquidationParams(LiquidationParams params) external;
        function liquidationParams() external view returns (LiquidationParams);
        function startAuction(uint256 id) external;
        function bid(uint256 id, uint256 bidder, uint256 fraction, int256 maxPayment) external returns (uint256 filled, int256 payment);
        function endAuction(uint256 id) external;
        function auction(uint256 id) external view returns (bool active, uint64 startedAt, uint256 discount);
        function fundInsurance(uint256 amount) external;
        function insuranceFund() external view returns (uint256);
        function socialisedLoss() external view returns (uint256 total, uint256 cashIndex);
    }
}
