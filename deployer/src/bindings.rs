//! The contracts `keel deploy` talks to: Keel's interfaces from `abi/*.sol`, Arbitrum's
//! predeploys and precompiles (their public ABI), and the local test tokens and feeds.

#![allow(missing_docs)]

use alloy::primitives::Address;
use alloy::sol;

sol!(
    #[sol(rpc, all_derives)]
    "../abi/IMarginVault.sol"
);
sol!(
    #[sol(rpc, all_derives)]
    "../abi/IOracleAdapter.sol"
);
sol!(
    #[sol(rpc, all_derives)]
    "../abi/ILstDepegGuard.sol"
);

sol! {
    /// Arbitrum's StylusDeployer (deploy, activate and construct in one transaction).
    #[sol(rpc)]
    #[derive(Debug)]
    interface StylusDeployer {
        event ContractDeployed(address deployedContract);
        error ContractDeploymentError(bytes bytecode);
        error ContractInitializationError(address newContract, bytes data);
        error RefundExcessValueError(uint256 excessValue);
        error EmptyBytecode();
        error InitValueButNotInitData();
        function deploy(bytes bytecode, bytes initData, uint256 initValue, bytes32 salt) external payable returns (address);
    }

    /// Arbitrum's `ArbWasm` precompile.
    #[sol(rpc)]
    #[derive(Debug)]
    interface ArbWasm {
        function activateProgram(address program) external payable returns (uint16 version, uint256 dataFee);
        function stylusVersion() external view returns (uint16 version);
        function codehashVersion(bytes32 codehash) external view returns (uint16 version);
        function programTimeLeft(address program) external view returns (uint64 _secs);
        error ProgramNotWasm();
        error ProgramNotActivated();
        error ProgramNeedsUpgrade(uint16 version, uint16 stylusVersion);
        error ProgramExpired(uint64 ageInSeconds);
        error ProgramUpToDate();
        error ProgramKeepaliveTooSoon(uint64 ageInSeconds);
        error ProgramInsufficientValue(uint256 have, uint256 want);
    }

    /// Multicall3 (the same address on every chain): batched reads.
    #[sol(rpc)]
    interface Multicall3 {
        struct Call3 {
            address target;
            bool allowFailure;
            bytes callData;
        }
        struct Result {
            bool success;
            bytes returnData;
        }
        function aggregate3(Call3[] calldata calls) external payable returns (Result[] memory returnData);
    }

    /// Arbitrum's CacheManager.
    #[sol(rpc)]
    interface CacheManager {
        error AlreadyCached(bytes32 codehash);
        error BidTooSmall(uint192 bid, uint192 min);
        function placeBid(address program) external payable;
        function getMinBid(address program) external view returns (uint192 min);
    }

    /// `ArbWasmCache`: ArbOS's program cache and its managers.
    #[sol(rpc)]
    interface ArbWasmCache {
        function codehashIsCached(bytes32 codehash) external view returns (bool);
        function allCacheManagers() external view returns (address[] memory managers);
    }

    /// `solidity/TestToken.sol` (local chains).
    #[sol(rpc)]
    interface TestToken {
        function mint(address to, uint256 amount) external;
        function approve(address spender, uint256 amount) external returns (bool);
        function decimals() external view returns (uint8);
        function balanceOf(address account) external view returns (uint256);
    }

    /// `solidity/TestFeed.sol` (local chains), and any Chainlink aggregator's reads.
    #[sol(rpc)]
    interface TestFeed {
        function setRound(int256 answer, uint256 startedAt, uint256 updatedAt) external returns (uint80);
        function decimals() external view returns (uint8);
        function latestRoundData() external view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
        function getRoundData(uint80 roundId) external view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
    }
}

sol! {
    /// `market/src/RfqMarket.sol`.
    #[sol(rpc)]
    #[derive(Debug)]
    contract RfqMarket {
        struct Quote {
            uint256 instrument;
            uint256 maker;
            int256 size;
            uint256 price;
            uint256 makerFee;
            uint256 takerFee;
            uint256 deadline;
            uint256 nonce;
        }
        function fill(Quote calldata quote, bytes calldata signature, uint256 takerAccount) external;
        function quoteDigest(Quote calldata quote) external view returns (bytes32);
        error QuoteExpired(uint256 deadline);
        error NonceUsed(address signer, uint256 nonce);
        error NotMakerAccount(address signer, uint256 account);
        error NotTakerAccount(address caller, uint256 account);
    }
}

/// The StylusDeployer's address on every Arbitrum chain.
pub const STYLUS_DEPLOYER: Address =
    alloy::primitives::address!("cEcba2F1DC234f70Dd89F2041029807F8D03A990");
/// `ArbWasm`.
pub const ARB_WASM: Address =
    alloy::primitives::address!("0000000000000000000000000000000000000071");
/// `ArbWasmCache`.
pub const ARB_WASM_CACHE: Address =
    alloy::primitives::address!("0000000000000000000000000000000000000072");

/// Multicall3's address on every chain.
pub const MULTICALL3: Address =
    alloy::primitives::address!("cA11bde05977b3631167028862bE2a173976CA11");
