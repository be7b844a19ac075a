//! Contracts every Arbitrum chain already has at canonical addresses, answered in Rust with
//! their public ABI and behaviour: the StylusDeployer (deploy, activate and construct a Stylus
//! program in one transaction), the CacheManager (bids for ArbOS's program cache) and
//! Multicall3 (batched calls).
//!
//! Their addresses hold a one-byte marker code (`INVALID`) so `eth_getCode` shows a contract;
//! calls never reach it. Gas is what the native implementation charges for its own storage,
//! logs and calls, not the Solidity bytecode's.

use alloy_primitives::{address, keccak256, Address, Bytes, B256, U256};
use alloy_sol_types::{sol, SolCall, SolError, SolEvent, SolInterface};
use keel_stylus_host::native::NativeCall;

use crate::arbos::{ArbWasm, ARB_WASM};

/// The StylusDeployer's address on every Arbitrum chain.
pub const STYLUS_DEPLOYER: Address = address!("cEcba2F1DC234f70Dd89F2041029807F8D03A990");
/// Multicall3's address on every chain.
pub const MULTICALL3: Address = address!("cA11bde05977b3631167028862bE2a173976CA11");
/// The CacheManager, at the address the Nitro dev node (nitro-testnode) gives it.
pub const CACHE_MANAGER: Address = address!("0f1f89aaf1c6fdb7ff9d361e4388f5f3997f12a8");
/// What the predeploys' addresses hold: `INVALID`, so only the native code answers.
pub const MARKER_CODE: [u8; 1] = [0xfe];

sol! {
    /// Arbitrum's StylusDeployer.
    interface StylusDeployer {
        event ContractDeployed(address deployedContract);
        error ContractDeploymentError(bytes bytecode);
        error ContractInitializationError(address newContract, bytes data);
        error RefundExcessValueError(uint256 excessValue);
        error EmptyBytecode();
        error InitValueButNotInitData();
        function deploy(bytes bytecode, bytes initData, uint256 initValue, bytes32 salt) external payable returns (address);
        function requiresActivation(address addr) external view returns (bool);
        function initSalt(bytes32 salt, bytes initData) external pure returns (bytes32);
    }

    /// Arbitrum's CacheManager: bids for a place in ArbOS's program cache.
    interface CacheManager {
        event InsertBid(bytes32 indexed codehash, address program, uint192 bid, uint64 size);
        error AlreadyCached(bytes32 codehash);
        error BidTooSmall(uint192 bid, uint192 min);
        function placeBid(address program) external payable;
        function getMinBid(address program) external view returns (uint192 min);
        function cacheSize() external view returns (uint64);
        function queueSize() external view returns (uint64);
    }

    /// Multicall3.
    interface Multicall3 {
        struct Call { address target; bytes callData; }
        struct Call3 { address target; bool allowFailure; bytes callData; }
        struct Call3Value { address target; bool allowFailure; uint256 value; bytes callData; }
        struct Result { bool success; bytes returnData; }
        function aggregate(Call[] calldata calls) external payable returns (uint256 blockNumber, bytes[] memory returnData);
        function aggregate3(Call3[] calldata calls) external payable returns (Result[] memory returnData);
        function aggregate3Value(Call3Value[] calldata calls) external payable returns (Result[] memory returnData);
        function tryAggregate(bool requireSuccess, Call[] calldata calls) external payable returns (Result[] memory returnData);
        function getBlockNumber() external view returns (uint256 blockNumber);
        function getCurrentBlockTimestamp() external view returns (uint256 timestamp);
        function getCurrentBlockCoinbase() external view returns (address coinbase);
        function getEthBalance(address addr) external view returns (uint256 balance);
        function getChainId() external view returns (uint256 chainid);
        function getBasefee() external view returns (uint256 basefee);
    }
}

type Answer = Result<Vec<u8>, Vec<u8>>;

fn revert_string(text: &str) -> Vec<u8> {
    alloy_sol_types::Revert::from(text).abi_encode()
}

/// The CREATE2 salt the deployer uses: the caller's salt bound to the constructor data, so a
/// front-runner cannot take the address with other arguments.
pub fn init_salt(salt: B256, init_data: &[u8]) -> B256 {
    let mut preimage = salt.to_vec();
    preimage.extend_from_slice(init_data);
    keccak256(preimage)
}

fn requires_activation(call: &mut NativeCall<'_>, program: Address) -> bool {
    let query = ArbWasm::programVersionCall { program }.abi_encode();
    !call.static_call(ARB_WASM, &query).success
}

/// The StylusDeployer: CREATE or CREATE2 of `bytecode`, activation through `ArbWasm` if the
/// code is not active yet (paying the data fee from the value sent), the constructor call with
/// `initValue`, and the refund of what is left — atomically: any failure reverts it all.
pub fn stylus_deployer(call: &mut NativeCall<'_>) -> Answer {
    use StylusDeployer::StylusDeployerCalls as C;
    let Ok(decoded) = C::abi_decode(call.calldata()) else {
        return Err(revert_string(
            "StylusDeployer: unknown selector or malformed arguments",
        ));
    };
    let d = match decoded {
        C::deploy(d) => d,
        C::requiresActivation(r) => {
            let needed = requires_activation(call, r.addr);
            return Ok(StylusDeployer::requiresActivationCall::abi_encode_returns(
                &needed,
            ));
        }
        C::initSalt(s) => {
            let salt = init_salt(s.salt, &s.initData);
            return Ok(StylusDeployer::initSaltCall::abi_encode_returns(&salt));
        }
    };
    if d.bytecode.is_empty() {
        return Err(StylusDeployer::EmptyBytecode {}.abi_encode());
    }
    if d.initData.is_empty() && !d.initValue.is_zero() {
        return Err(StylusDeployer::InitValueButNotInitData {}.abi_encode());
    }
    let paid = call.value();
    let Some(for_activation) = paid.checked_sub(d.initValue) else {
        return Err(revert_string(
            "StylusDeployer: initValue exceeds the value sent",
        ));
    };
    let salt = (!d.salt.is_zero()).then(|| init_salt(d.salt, &d.initData));
    let program = call.create(&d.bytecode, U256::ZERO, salt).map_err(|_| {
        StylusDeployer::ContractDeploymentError {
            bytecode: d.bytecode.clone(),
        }
        .abi_encode()
    })?;
    let mut data_fee = U256::ZERO;
    if requires_activation(call, program) {
        let activate = ArbWasm::activateProgramCall { program }.abi_encode();
        let activated = call.call(ARB_WASM, &activate, for_activation);
        if !activated.success {
            return Err(activated.data);
        }
        data_fee = ArbWasm::activateProgramCall::abi_decode_returns(&activated.data)
            .map(|r| r.dataFee)
            .unwrap_or_default();
    }
    if !d.initData.is_empty() {
        let constructed = call.call(program, &d.initData, d.initValue);
        if !constructed.success {
            return Err(StylusDeployer::ContractInitializationError {
                newContract: program,
                data: d.initData.clone(),
            }
            .abi_encode());
        }
    }
    let excess = paid - d.initValue - data_fee;
    if !excess.is_zero() {
        let caller = call.caller();
        if !call.call(caller, &[], excess).success {
            return Err(StylusDeployer::RefundExcessValueError {
                excessValue: excess,
            }
            .abi_encode());
        }
    }
    let log = StylusDeployer::ContractDeployed {
        deployedContract: program,
    }
    .encode_log_data();
    if !call.log(log.topics(), &log.data) {
        return Err(Vec::new());
    }
    Ok(StylusDeployer::deployCall::abi_encode_returns(&program))
}

fn result(success: bool, data: Vec<u8>) -> Multicall3::Result {
    Multicall3::Result {
        success,
        returnData: Bytes::from(data),
    }
}

/// Multicall3: each call made from this contract in order; a failure reverts the batch unless
/// the call allows it.
pub fn multicall3(call: &mut NativeCall<'_>) -> Answer {
    use Multicall3::Multicall3Calls as C;
    let Ok(decoded) = C::abi_decode(call.calldata()) else {
        return Err(revert_string(
            "Multicall3: unknown selector or malformed arguments",
        ));
    };
    let failed = || revert_string("Multicall3: call failed");
    Ok(match decoded {
        C::aggregate(a) => {
            let mut returned = Vec::with_capacity(a.calls.len());
            for c in &a.calls {
                let out = call.call(c.target, &c.callData, U256::ZERO);
                if !out.success {
                    return Err(failed());
                }
                returned.push(Bytes::from(out.data));
            }
            Multicall3::aggregateCall::abi_encode_returns(&Multicall3::aggregateReturn {
                blockNumber: U256::from(call.block_number()),
                returnData: returned,
            })
        }
        C::aggregate3(a) => {
            let mut results = Vec::with_capacity(a.calls.len());
            for c in &a.calls {
                let out = call.call(c.target, &c.callData, U256::ZERO);
                if !out.success && !c.allowFailure {
                    return Err(failed());
                }
                results.push(result(out.success, out.data));
            }
            Multicall3::aggregate3Call::abi_encode_returns(&results)
        }
        C::aggregate3Value(a) => {
            let mut total = U256::ZERO;
            let mut results = Vec::with_capacity(a.calls.len());
            for c in &a.calls {
                total = total.saturating_add(c.value);
                let out = call.call(c.target, &c.callData, c.value);
                if !out.success && !c.allowFailure {
                    return Err(failed());
                }
                results.push(result(out.success, out.data));
            }
            if total != call.value() {
                return Err(revert_string("Multicall3: value mismatch"));
            }
            Multicall3::aggregate3ValueCall::abi_encode_returns(&results)
        }
        C::tryAggregate(t) => {
            let mut results = Vec::with_capacity(t.calls.len());
            for c in &t.calls {
                let out = call.call(c.target, &c.callData, U256::ZERO);
                if !out.success && t.requireSuccess {
                    return Err(revert_string("Multicall3: call failed"));
                }
                results.push(result(out.success, out.data));
            }
            Multicall3::tryAggregateCall::abi_encode_returns(&results)
        }
        C::getBlockNumber(_) => {
            Multicall3::getBlockNumberCall::abi_encode_returns(&U256::from(call.block_number()))
        }
        C::getCurrentBlockTimestamp(_) => {
            Multicall3::getCurrentBlockTimestampCall::abi_encode_returns(&U256::from(
                call.timestamp(),
            ))
        }
        C::getCurrentBlockCoinbase(_) => {
            Multicall3::getCurrentBlockCoinbaseCall::abi_encode_returns(&call.coinbase())
        }
        C::getEthBalance(b) => {
            let balance = call.balance(b.addr);
            Multicall3::getEthBalanceCall::abi_encode_returns(&balance)
        }
        C::getChainId(_) => {
            Multicall3::getChainIdCall::abi_encode_returns(&U256::from(call.chain_id()))
        }
        C::getBasefee(_) => Multicall3::getBasefeeCall::abi_encode_returns(&call.basefee()),
    })
}

/// The CacheManager: a bid of at least the minimum (zero while the cache has room, which a
/// local chain's always has) puts an active program in ArbOS's init cache through
/// `ArbWasmCache`; the bid stays with the manager.
pub fn cache_manager(call: &mut NativeCall<'_>) -> Answer {
    use CacheManager::CacheManagerCalls as C;
    let Ok(decoded) = C::abi_decode(call.calldata()) else {
        return Err(revert_string(
            "CacheManager: unknown selector or malformed arguments",
        ));
    };
    let min_bid = alloy_primitives::aliases::U192::ZERO;
    match decoded {
        C::getMinBid(_) => Ok(CacheManager::getMinBidCall::abi_encode_returns(&min_bid)),
        C::cacheSize(_) => Ok(CacheManager::cacheSizeCall::abi_encode_returns(
            &(512u64 << 20),
        )),
        C::queueSize(_) => Ok(CacheManager::queueSizeCall::abi_encode_returns(&0u64)),
        C::placeBid(p) => {
            let code = call.code(p.program);
            let hash = keccak256(&code);
            let cached_query = crate::arbos::ArbWasmCache::codehashIsCachedCall { codehash: hash };
            let cached = call.static_call(crate::arbos::ARB_WASM_CACHE, &cached_query.abi_encode());
            if !cached.success {
                return Err(cached.data);
            }
            if crate::arbos::ArbWasmCache::codehashIsCachedCall::abi_decode_returns(&cached.data)
                .unwrap_or(false)
            {
                return Err(CacheManager::AlreadyCached { codehash: hash }.abi_encode());
            }
            let bid = alloy_primitives::aliases::U192::saturating_from(call.value());
            let insert = crate::arbos::ArbWasmCache::cacheProgramCall { addr: p.program };
            let done = call.call(
                crate::arbos::ARB_WASM_CACHE,
                &insert.abi_encode(),
                U256::ZERO,
            );
            if !done.success {
                return Err(done.data);
            }
            let log = CacheManager::InsertBid {
                codehash: hash,
                program: p.program,
                bid,
                size: code.len() as u64,
            }
            .encode_log_data();
            if !call.log(log.topics(), &log.data) {
                return Err(Vec::new());
            }
            Ok(Vec::new())
        }
    }
}
