//! ArbOS as the local chain models it: its settings, the Stylus program table and the
//! precompiles Keel's users call — `ArbSys` (`0x…64`), `ArbGasInfo` (`0x…6c`), `ArbWasm`
//! (`0x…71`), each Keel's own implementation of the public ABI.
//!
//! Program activations are ArbOS state: one word per code hash in `ArbWasm`'s storage, so they
//! are journaled with everything else (an activation in a reverted frame never happened) and
//! saved with the chain. Compiled modules are a cache beside the state, keyed by code hash.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use alloy_primitives::{address, keccak256, Address, B256, U256};
use alloy_sol_types::{sol, SolCall, SolError, SolEvent, SolInterface};
use keel_stylus_host::code::{is_stylus, CodeError, Program};
use keel_stylus_host::meter::StylusMeter;
use keel_stylus_host::native::{NativeCall, NativeHandler};
use keel_stylus_host::pricing::{self, INK_PRICE};
use revm::context::Journal;
use revm::context_interface::JournalTr;

use crate::executor::{ChainDb, StateAccess};

/// `ArbSys`: block number, chain id, ArbOS version.
pub const ARB_SYS: Address = address!("0000000000000000000000000000000000000064");
/// `ArbGasInfo`: L2 and L1 gas prices.
pub const ARB_GAS_INFO: Address = address!("000000000000000000000000000000000000006c");
/// `ArbWasm`: Stylus activation and program queries.
pub const ARB_WASM: Address = address!("0000000000000000000000000000000000000071");
/// `ArbWasmCache`: ArbOS's init cache of programs, managed by cache managers.
pub const ARB_WASM_CACHE: Address = address!("0000000000000000000000000000000000000072");
/// Every ArbOS precompile the chain answers (warm from the start, as precompiles are).
pub const PRECOMPILES: [Address; 4] = [ARB_SYS, ARB_GAS_INFO, ARB_WASM, ARB_WASM_CACHE];

/// The Stylus version programs are activated at (Nitro's current `stylusVersion`).
pub const STYLUS_VERSION: u16 = 2;
/// Days after activation when a program expires unless kept alive (Nitro's default).
pub const EXPIRY_DAYS: u64 = 365;
/// Days a program must have been active before a keepalive (Nitro's default).
pub const KEEPALIVE_DAYS: u64 = 31;
/// The gas `activateProgram` charges before compiling (Nitro's fixed activation cost).
pub const ACTIVATION_GAS: u64 = 1_659_168;
/// The local chain's data price: wei per byte of decompressed WASM charged as the activation
/// data fee. (Nitro prices the compiled module with a demand-driven data pricer; a local chain
/// has no demand, so a fixed price stands in, large enough that a missing fee is noticed.)
pub const DATA_FEE_PER_BYTE: u64 = 10_000_000_000;
/// The most WASM pages a program may allocate.
pub const PAGE_LIMIT: u16 = 128;

const DAY: u64 = 24 * 60 * 60;

sol! {
    /// Arbitrum's `ArbWasm` precompile, as Keel's node implements it.
    interface ArbWasm {
        function activateProgram(address program) external payable returns (uint16 version, uint256 dataFee);
        function stylusVersion() external view returns (uint16 version);
        function codehashVersion(bytes32 codehash) external view returns (uint16 version);
        function codehashKeepalive(bytes32 codehash) external payable;
        function codehashAsmSize(bytes32 codehash) external view returns (uint32 size);
        function programVersion(address program) external view returns (uint16 version);
        function programInitGas(address program) external view returns (uint64 gas, uint64 gasWhenCached);
        function programMemoryFootprint(address program) external view returns (uint16 footprint);
        function programTimeLeft(address program) external view returns (uint64 _secs);
        function inkPrice() external view returns (uint32 price);
        function maxStackDepth() external view returns (uint32 depth);
        function freePages() external view returns (uint16 pages);
        function pageGas() external view returns (uint16 gas);
        function pageLimit() external view returns (uint16 limit);
        function minInitGas() external view returns (uint64 gas, uint64 cached);
        function expiryDays() external view returns (uint16 _days);
        function keepaliveDays() external view returns (uint16 _days);

        event ProgramActivated(bytes32 indexed codehash, bytes32 moduleHash, address program, uint256 dataFee, uint16 version);
        event ProgramLifetimeExtended(bytes32 indexed codehash, uint256 dataFee);

        error ProgramNotWasm();
        error ProgramNotActivated();
        error ProgramNeedsUpgrade(uint16 version, uint16 stylusVersion);
        error ProgramExpired(uint64 ageInSeconds);
        error ProgramUpToDate();
        error ProgramKeepaliveTooSoon(uint64 ageInSeconds);
        error ProgramInsufficientValue(uint256 have, uint256 want);
    }

    /// ArbOS-internal calls between Keel's precompiles (ArbOS keeps the program table in one
    /// state; here `ArbWasm` owns it and `ArbWasmCache` asks it): not part of Nitro's ABI.
    interface ArbOsInternal {
        function setProgramCached(bytes32 codehash, bool cached) external;
        function programCached(bytes32 codehash) external view returns (bool);
    }

    /// Arbitrum's `ArbWasmCache` precompile.
    interface ArbWasmCache {
        function isCacheManager(address manager) external view returns (bool);
        function allCacheManagers() external view returns (address[] memory managers);
        function cacheProgram(address addr) external;
        function evictCodehash(bytes32 codehash) external;
        function codehashIsCached(bytes32 codehash) external view returns (bool);
        event UpdateProgramCache(address indexed manager, bytes32 indexed codehash, bool cached);
    }

    /// Arbitrum's `ArbSys` precompile (the parts a local chain can answer).
    interface ArbSys {
        function arbBlockNumber() external view returns (uint256);
        function arbChainID() external view returns (uint256);
        function arbOSVersion() external view returns (uint256);
        function isTopLevelCall() external view returns (bool);
        function wasMyCallersAddressAliased() external view returns (bool);
    }

    /// Arbitrum's `ArbGasInfo` precompile (basics: no L1 pricing on a local chain).
    interface ArbGasInfo {
        function getPricesInWei() external view returns (uint256, uint256, uint256, uint256, uint256, uint256);
        function getMinimumGasPrice() external view returns (uint256);
        function getL1BaseFeeEstimate() external view returns (uint256);
        function getL1GasPriceEstimate() external view returns (uint256);
        function getCurrentTxL1GasFees() external view returns (uint256);
        function getGasBacklog() external view returns (uint64);
    }
}

/// What ArbOS records of an activated program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgramRecord {
    /// The Stylus version it was activated at.
    pub version: u16,
    /// Its entry costs (Nitro's `initCost`, `cachedCost`, `footprint`).
    pub costs: keel_stylus_host::code::ProgramCosts,
    /// Activation (or last keepalive) time, Unix seconds.
    pub activated_at: u64,
    /// Whether it is in ArbOS's init cache.
    pub cached: bool,
    /// Its decompressed WASM size in bytes.
    pub wasm_size: u32,
}

impl ProgramRecord {
    fn encode(&self) -> U256 {
        let mut word = [0u8; 32];
        word[0..2].copy_from_slice(&self.version.to_be_bytes());
        word[2..4].copy_from_slice(&self.costs.init_cost.to_be_bytes());
        word[4..6].copy_from_slice(&self.costs.cached_init_cost.to_be_bytes());
        word[6..8].copy_from_slice(&self.costs.footprint.to_be_bytes());
        word[8..16].copy_from_slice(&self.activated_at.to_be_bytes());
        word[16] = u8::from(self.cached);
        word[17..21].copy_from_slice(&self.wasm_size.to_be_bytes());
        U256::from_be_bytes(word)
    }

    fn decode(value: U256) -> Option<Self> {
        if value.is_zero() {
            return None;
        }
        let w = value.to_be_bytes::<32>();
        let u16_at = |i: usize| u16::from_be_bytes([w[i], w[i + 1]]);
        let mut at = [0u8; 8];
        at.copy_from_slice(&w[8..16]);
        let mut size = [0u8; 4];
        size.copy_from_slice(&w[17..21]);
        Some(ProgramRecord {
            version: u16_at(0),
            costs: keel_stylus_host::code::ProgramCosts {
                init_cost: u16_at(2),
                cached_init_cost: u16_at(4),
                footprint: u16_at(6),
            },
            activated_at: u64::from_be_bytes(at),
            cached: w[16] != 0,
            wasm_size: u32::from_be_bytes(size),
        })
    }

    /// Seconds since activation (or the last keepalive) at `now`.
    pub fn age(&self, now: u64) -> u64 {
        now.saturating_sub(self.activated_at)
    }
}

/// The record of `code_hash` in a state, outside any transaction.
pub fn program_record(db: &ChainDb, code_hash: B256) -> Option<ProgramRecord> {
    ProgramRecord::decode(db.storage(ARB_WASM, program_slot(code_hash)))
}

/// Writes `code_hash`'s record into a state directly, outside any transaction (a test chain's
/// activation and cache settings).
pub fn set_program_record(db: &mut ChainDb, code_hash: B256, record: &ProgramRecord) {
    db.set_storage(ARB_WASM, program_slot(code_hash), record.encode());
}

/// The storage slot of `code_hash`'s record in `ArbWasm`'s account.
fn program_slot(code_hash: B256) -> U256 {
    let mut preimage = [0u8; 64];
    preimage[..32].copy_from_slice(code_hash.as_slice());
    preimage[32..].copy_from_slice(&keccak256(b"keel.arbos.programs")[..]);
    U256::from_be_bytes(keccak256(preimage).0)
}

/// Ink per function index, by program code hash, summed over every entry (see
/// [`ArbOs::profiling`]).
pub type Profile = Arc<Mutex<HashMap<B256, Vec<u64>>>>;

/// The basic blocks programs ran (see [`ArbOs::covering`]): the layout of each program's
/// bitmap and the bits set, by code hash.
#[derive(Clone, Debug, Default)]
pub struct CoverageLog {
    /// Basic blocks of each local function, by program (the bitmap's layout: see
    /// [`keel_stylus_host::meter::COVERAGE_GLOBAL_PREFIX`]).
    pub blocks: HashMap<B256, Vec<u32>>,
    /// The bitmap of the blocks run since the log was last cleared, by program.
    pub hit: HashMap<B256, Vec<u64>>,
}

/// A chain's shared [`CoverageLog`].
pub type Coverage = Arc<Mutex<CoverageLog>>;

/// ArbOS settings and the compiled-module cache of one chain.
#[derive(Clone)]
pub struct ArbOs {
    /// The chain id.
    pub chain_id: u64,
    /// The ArbOS version the chain runs (decides the recent-program discount and the stack
    /// budget).
    pub arbos_version: u64,
    engine: wasmer::Engine,
    /// Compiled modules by code hash, shared by every copy of these settings.
    modules: Arc<Mutex<HashMap<B256, Arc<Program>>>>,
    /// Native stand-ins answering calls to addresses besides ArbOS's own (test doubles).
    pub(crate) natives: HashMap<Address, NativeHandler>,
    /// With a profiling chain: ink per function of every program.
    pub(crate) profile: Option<Profile>,
    /// With a coverage chain: the basic blocks every program ran.
    pub(crate) coverage: Option<Coverage>,
}

impl ArbOs {
    /// A chain with id `chain_id` at `arbos_version`.
    pub fn new(chain_id: u64, arbos_version: u64) -> Self {
        Self::with_meter(chain_id, arbos_version, StylusMeter::new(), None)
    }

    /// [`ArbOs::new`], but every program also records the ink each of its functions spends
    /// (its own blocks, callees excluded) in the returned profile. Gas is unchanged.
    pub fn profiling(chain_id: u64, arbos_version: u64) -> Self {
        let profile = Profile::default();
        Self::with_meter(
            chain_id,
            arbos_version,
            StylusMeter::profiling(),
            Some(profile),
        )
    }

    fn with_meter(
        chain_id: u64,
        arbos_version: u64,
        meter: StylusMeter,
        profile: Option<Profile>,
    ) -> Self {
        ArbOs {
            chain_id,
            arbos_version,
            engine: keel_stylus_host::code::engine(meter),
            modules: Default::default(),
            natives: HashMap::new(),
            profile,
            coverage: None,
        }
    }

    /// These settings, but every program is recompiled to also record the basic blocks it
    /// runs (one bit each, unmetered: gas is unchanged) in the returned log.
    pub fn covering(&self) -> Self {
        ArbOs {
            modules: Default::default(),
            profile: None,
            coverage: Some(Coverage::default()),
            ..self.clone()
        }
    }

    /// The coverage log of a coverage chain.
    pub fn coverage(&self) -> Option<&Coverage> {
        self.coverage.as_ref()
    }

    /// The ink profile of a profiling chain.
    pub fn profile(&self) -> Option<&Profile> {
        self.profile.as_ref()
    }

    /// Whether re-entering a program in the same transaction skips its init cost.
    pub fn recent_discount(&self) -> bool {
        pricing::recent_programs_discounted(self.arbos_version)
    }

    fn modules(&self) -> std::sync::MutexGuard<'_, HashMap<B256, Arc<Program>>> {
        self.modules.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Validates and compiles `code` (the module is kept for every later call).
    pub fn compile(&self, code: &[u8]) -> Result<Arc<Program>, CodeError> {
        let hash = keccak256(code);
        if let Some(program) = self.modules().get(&hash) {
            return Ok(program.clone());
        }
        let program = match &self.coverage {
            None => Program::activate(&self.engine, code)?,
            Some(coverage) => {
                // Each program's meter is laid out for its own blocks: one engine per program.
                let wasm = keel_stylus_host::code::decompress(code)?;
                let blocks =
                    keel_stylus_host::meter::basic_blocks(&wasm).map_err(CodeError::Compile)?;
                let engine = keel_stylus_host::code::engine(StylusMeter::coverage(blocks.clone()));
                let program = Program::activate(&engine, code)?;
                let mut log = coverage.lock().unwrap_or_else(|p| p.into_inner());
                log.blocks.insert(hash, blocks);
                program
            }
        };
        let program = Arc::new(program);
        self.modules().insert(hash, program.clone());
        Ok(program)
    }

    /// The compiled module of an active program, compiling `code()` if this process has not
    /// yet (a chain loaded from a state file).
    pub fn compiled(
        &self,
        code_hash: B256,
        code: impl FnOnce() -> alloy_primitives::Bytes,
    ) -> Option<Arc<Program>> {
        if let Some(program) = self.modules().get(&code_hash) {
            return Some(program.clone());
        }
        self.compile(&code()).ok()
    }

    /// The record of the program with `code_hash` if it may run at `now`, else the revert
    /// data of Nitro's refusal (`ProgramNotActivated`, `ProgramNeedsUpgrade`,
    /// `ProgramExpired`).
    pub fn active_program(
        &self,
        journal: &mut Journal<ChainDb>,
        code_hash: B256,
        now: u64,
    ) -> Result<ProgramRecord, Vec<u8>> {
        let _ = journal.load_account(ARB_WASM);
        let word = journal
            .sload(ARB_WASM, program_slot(code_hash))
            .map(|l| l.data)
            .unwrap_or_default();
        check_active(ProgramRecord::decode(word), now)
    }

    /// The precompile (or natively answered predeploy) answering calls to `address`, if any.
    pub fn precompile(self: &Arc<Self>, address: Address) -> Option<NativeHandler> {
        let arbos = self.clone();
        let handler: NativeHandler = match address {
            ARB_WASM => Arc::new(move |call| arb_wasm(&arbos, call)),
            ARB_SYS => Arc::new(move |call| arb_sys(&arbos, call)),
            ARB_GAS_INFO => Arc::new(arb_gas_info),
            ARB_WASM_CACHE => Arc::new(arb_wasm_cache),
            crate::predeploys::CACHE_MANAGER => Arc::new(crate::predeploys::cache_manager),
            crate::predeploys::STYLUS_DEPLOYER => Arc::new(crate::predeploys::stylus_deployer),
            crate::predeploys::MULTICALL3 => Arc::new(crate::predeploys::multicall3),
            other => return self.natives.get(&other).cloned(),
        };
        Some(handler)
    }
}

fn check_active(record: Option<ProgramRecord>, now: u64) -> Result<ProgramRecord, Vec<u8>> {
    let Some(record) = record else {
        return Err(ArbWasm::ProgramNotActivated {}.abi_encode());
    };
    if record.version != STYLUS_VERSION {
        return Err(ArbWasm::ProgramNeedsUpgrade {
            version: record.version,
            stylusVersion: STYLUS_VERSION,
        }
        .abi_encode());
    }
    if record.age(now) > EXPIRY_DAYS * DAY {
        return Err(ArbWasm::ProgramExpired {
            ageInSeconds: record.age(now),
        }
        .abi_encode());
    }
    Ok(record)
}

type Answer = Result<Vec<u8>, Vec<u8>>;

fn revert_string(text: &str) -> Vec<u8> {
    alloy_sol_types::Revert::from(text).abi_encode()
}

fn record_of(call: &mut NativeCall<'_>, code_hash: B256) -> Option<ProgramRecord> {
    ProgramRecord::decode(call.sload(program_slot(code_hash)))
}

fn code_hash_of(call: &mut NativeCall<'_>, program: Address) -> B256 {
    let code = call.code(program);
    if code.is_empty() {
        B256::ZERO
    } else {
        keccak256(&code)
    }
}

/// `ArbWasm`: activation and program queries.
fn arb_wasm(arbos: &ArbOs, call: &mut NativeCall<'_>) -> Answer {
    use ArbWasm::ArbWasmCalls as C;
    if let Ok(internal) = ArbOsInternal::ArbOsInternalCalls::abi_decode(call.calldata()) {
        return arbos_internal(call, internal);
    }
    let Ok(decoded) = ArbWasm::ArbWasmCalls::abi_decode(call.calldata()) else {
        return Err(revert_string(
            "ArbWasm: unknown selector or malformed arguments",
        ));
    };
    let now = call.timestamp();
    let not_payable = |call: &NativeCall<'_>| {
        if call.value().is_zero() {
            Ok(())
        } else {
            Err(revert_string("ArbWasm: method is not payable"))
        }
    };
    match decoded {
        C::activateProgram(a) => activate(arbos, call, a.program, now),
        C::codehashKeepalive(k) => keepalive(call, k.codehash, now),
        other => {
            not_payable(call)?;
            let active = |call: &mut NativeCall<'_>, hash: B256| {
                let record = record_of(call, hash);
                check_active(record, now)
            };
            Ok(match other {
                C::stylusVersion(_) => {
                    ArbWasm::stylusVersionCall::abi_encode_returns(&STYLUS_VERSION)
                }
                C::codehashVersion(c) => {
                    let r = active(call, c.codehash)?;
                    ArbWasm::codehashVersionCall::abi_encode_returns(&r.version)
                }
                C::codehashAsmSize(c) => {
                    let r = active(call, c.codehash)?;
                    ArbWasm::codehashAsmSizeCall::abi_encode_returns(&r.wasm_size)
                }
                C::programVersion(p) => {
                    let hash = code_hash_of(call, p.program);
                    let r = active(call, hash)?;
                    ArbWasm::programVersionCall::abi_encode_returns(&r.version)
                }
                C::programInitGas(p) => {
                    let hash = code_hash_of(call, p.program);
                    let r = active(call, hash)?;
                    ArbWasm::programInitGasCall::abi_encode_returns(
                        &ArbWasm::programInitGasReturn {
                            gas: r.costs.init_gas() + r.costs.cached_gas(),
                            gasWhenCached: r.costs.cached_gas(),
                        },
                    )
                }
                C::programMemoryFootprint(p) => {
                    let hash = code_hash_of(call, p.program);
                    let r = active(call, hash)?;
                    ArbWasm::programMemoryFootprintCall::abi_encode_returns(&r.costs.footprint)
                }
                C::programTimeLeft(p) => {
                    let hash = code_hash_of(call, p.program);
                    let r = active(call, hash)?;
                    let left = (EXPIRY_DAYS * DAY).saturating_sub(r.age(now));
                    ArbWasm::programTimeLeftCall::abi_encode_returns(&left)
                }
                C::inkPrice(_) => ArbWasm::inkPriceCall::abi_encode_returns(&(INK_PRICE as u32)),
                C::maxStackDepth(_) => ArbWasm::maxStackDepthCall::abi_encode_returns(
                    &pricing::max_stack_depth(arbos.arbos_version),
                ),
                C::freePages(_) => ArbWasm::freePagesCall::abi_encode_returns(&pricing::FREE_PAGES),
                C::pageGas(_) => {
                    ArbWasm::pageGasCall::abi_encode_returns(&(pricing::PAGE_GAS as u16))
                }
                C::pageLimit(_) => ArbWasm::pageLimitCall::abi_encode_returns(&PAGE_LIMIT),
                C::minInitGas(_) => {
                    ArbWasm::minInitGasCall::abi_encode_returns(&ArbWasm::minInitGasReturn {
                        gas: pricing::MIN_INIT_GAS,
                        cached: pricing::MIN_CACHED_GAS,
                    })
                }
                C::expiryDays(_) => {
                    ArbWasm::expiryDaysCall::abi_encode_returns(&(EXPIRY_DAYS as u16))
                }
                C::keepaliveDays(_) => {
                    ArbWasm::keepaliveDaysCall::abi_encode_returns(&(KEEPALIVE_DAYS as u16))
                }
                C::activateProgram(_) | C::codehashKeepalive(_) => unreachable!("handled above"),
            })
        }
    }
}

/// `activateProgram`: validates and compiles the code at `program`, charges the data fee
/// (refunding any excess) and records the activation.
fn activate(arbos: &ArbOs, call: &mut NativeCall<'_>, program: Address, now: u64) -> Answer {
    if !call.charge(ACTIVATION_GAS) {
        return Err(Vec::new());
    }
    let code = call.code(program);
    if !is_stylus(&code) {
        return Err(ArbWasm::ProgramNotWasm {}.abi_encode());
    }
    let code_hash = keccak256(&code);
    if let Some(existing) = record_of(call, code_hash) {
        if check_active(Some(existing), now).is_ok() {
            return Err(ArbWasm::ProgramUpToDate {}.abi_encode());
        }
    }
    let compiled = arbos
        .compile(&code)
        .map_err(|why| revert_string(&format!("ArbWasm: activation failed: {why}")))?;
    let wasm_size = keel_stylus_host::code::decompress(&code)
        .map(|w| w.len() as u32)
        .unwrap_or_default();
    let (data_fee, paid) = data_fee(call, wasm_size)?;
    let record = ProgramRecord {
        version: STYLUS_VERSION,
        costs: compiled.costs,
        activated_at: now,
        cached: false,
        wasm_size,
    };
    if !call.sstore(program_slot(code_hash), record.encode()) {
        return Err(Vec::new());
    }
    let event = ArbWasm::ProgramActivated {
        codehash: code_hash,
        moduleHash: code_hash,
        program,
        dataFee: data_fee,
        version: STYLUS_VERSION,
    };
    let log = event.encode_log_data();
    if !call.log(log.topics(), &log.data) {
        return Err(Vec::new());
    }
    pay_fee_and_refund(call, data_fee, paid)?;
    Ok(ArbWasm::activateProgramCall::abi_encode_returns(
        &ArbWasm::activateProgramReturn {
            version: STYLUS_VERSION,
            dataFee: data_fee,
        },
    ))
}

/// The data fee of a program of `wasm_size` bytes and the value the call brought, or
/// `ProgramInsufficientValue` when it brought less.
fn data_fee(call: &NativeCall<'_>, wasm_size: u32) -> Result<(U256, U256), Vec<u8>> {
    let fee = U256::from(DATA_FEE_PER_BYTE) * U256::from(wasm_size);
    let paid = call.value();
    if paid < fee {
        return Err(ArbWasm::ProgramInsufficientValue {
            have: paid,
            want: fee,
        }
        .abi_encode());
    }
    Ok((fee, paid))
}

/// Sends `fee` to the network fee account (the coinbase locally) and the rest of `paid` back
/// to the caller.
fn pay_fee_and_refund(call: &mut NativeCall<'_>, fee: U256, paid: U256) -> Result<(), Vec<u8>> {
    let coinbase = call.coinbase();
    if !fee.is_zero() && !call.transfer(coinbase, fee) {
        return Err(revert_string("ArbWasm: could not pay the data fee"));
    }
    let excess = paid - fee;
    let caller = call.caller();
    if !excess.is_zero() && !call.transfer(caller, excess) {
        return Err(revert_string("ArbWasm: could not refund the excess value"));
    }
    Ok(())
}

/// `codehashKeepalive`: restarts an active program's lifetime for a data fee.
fn keepalive(call: &mut NativeCall<'_>, code_hash: B256, now: u64) -> Answer {
    let record = check_active(record_of(call, code_hash), now)?;
    if record.age(now) < KEEPALIVE_DAYS * DAY {
        return Err(ArbWasm::ProgramKeepaliveTooSoon {
            ageInSeconds: record.age(now),
        }
        .abi_encode());
    }
    let (data_fee, paid) = data_fee(call, record.wasm_size)?;
    let renewed = ProgramRecord {
        activated_at: now,
        ..record
    };
    if !call.sstore(program_slot(code_hash), renewed.encode()) {
        return Err(Vec::new());
    }
    let log = ArbWasm::ProgramLifetimeExtended {
        codehash: code_hash,
        dataFee: data_fee,
    }
    .encode_log_data();
    if !call.log(log.topics(), &log.data) {
        return Err(Vec::new());
    }
    pay_fee_and_refund(call, data_fee, paid)?;
    Ok(Vec::new())
}

/// `ArbSys`.
fn arb_sys(arbos: &ArbOs, call: &mut NativeCall<'_>) -> Answer {
    use ArbSys::ArbSysCalls as C;
    let Ok(decoded) = C::abi_decode(call.calldata()) else {
        return Err(revert_string(
            "ArbSys: unknown selector or malformed arguments",
        ));
    };
    Ok(match decoded {
        C::arbBlockNumber(_) => {
            ArbSys::arbBlockNumberCall::abi_encode_returns(&U256::from(call.block_number()))
        }
        C::arbChainID(_) => ArbSys::arbChainIDCall::abi_encode_returns(&U256::from(arbos.chain_id)),
        // Nitro reports 55 + the ArbOS version.
        C::arbOSVersion(_) => {
            ArbSys::arbOSVersionCall::abi_encode_returns(&U256::from(55 + arbos.arbos_version))
        }
        C::isTopLevelCall(_) => {
            ArbSys::isTopLevelCallCall::abi_encode_returns(&(call.caller() == call.origin()))
        }
        C::wasMyCallersAddressAliased(_) => {
            ArbSys::wasMyCallersAddressAliasedCall::abi_encode_returns(&false)
        }
    })
}

/// `ArbGasInfo`: the L2 base fee as every price; no L1 component locally.
fn arb_gas_info(call: &mut NativeCall<'_>) -> Answer {
    use ArbGasInfo::ArbGasInfoCalls as C;
    let Ok(decoded) = C::abi_decode(call.calldata()) else {
        return Err(revert_string(
            "ArbGasInfo: unknown selector or malformed arguments",
        ));
    };
    let basefee = call.basefee();
    Ok(match decoded {
        C::getPricesInWei(_) => {
            ArbGasInfo::getPricesInWeiCall::abi_encode_returns(&ArbGasInfo::getPricesInWeiReturn {
                _0: U256::ZERO,
                _1: U256::ZERO,
                _2: U256::ZERO,
                _3: basefee,
                _4: U256::ZERO,
                _5: basefee,
            })
        }
        C::getMinimumGasPrice(_) => {
            ArbGasInfo::getMinimumGasPriceCall::abi_encode_returns(&basefee)
        }
        C::getL1BaseFeeEstimate(_) => {
            ArbGasInfo::getL1BaseFeeEstimateCall::abi_encode_returns(&U256::ZERO)
        }
        C::getL1GasPriceEstimate(_) => {
            ArbGasInfo::getL1GasPriceEstimateCall::abi_encode_returns(&U256::ZERO)
        }
        C::getCurrentTxL1GasFees(_) => {
            ArbGasInfo::getCurrentTxL1GasFeesCall::abi_encode_returns(&U256::ZERO)
        }
        C::getGasBacklog(_) => ArbGasInfo::getGasBacklogCall::abi_encode_returns(&0u64),
    })
}

/// `ArbWasm`'s side of the program cache: only `ArbWasmCache` may set it.
fn arbos_internal(
    call: &mut NativeCall<'_>,
    internal: ArbOsInternal::ArbOsInternalCalls,
) -> Answer {
    use ArbOsInternal::ArbOsInternalCalls as C;
    match internal {
        C::programCached(p) => {
            let cached = record_of(call, p.codehash).is_some_and(|r| r.cached);
            Ok(ArbOsInternal::programCachedCall::abi_encode_returns(
                &cached,
            ))
        }
        C::setProgramCached(s) => {
            if call.caller() != ARB_WASM_CACHE {
                return Err(revert_string(
                    "ArbWasm: only ArbWasmCache sets the program cache",
                ));
            }
            let Some(record) = record_of(call, s.codehash) else {
                return Err(ArbWasm::ProgramNotActivated {}.abi_encode());
            };
            let updated = ProgramRecord {
                cached: s.cached,
                ..record
            };
            if !call.sstore(program_slot(s.codehash), updated.encode()) {
                return Err(Vec::new());
            }
            Ok(Vec::new())
        }
    }
}

/// `ArbWasmCache`: the chain's cache managers (its CacheManager contract) put active programs in
/// ArbOS's init cache and take them out; a cached program pays only its cached entry cost.
fn arb_wasm_cache(call: &mut NativeCall<'_>) -> Answer {
    use ArbWasmCache::ArbWasmCacheCalls as C;
    let Ok(decoded) = C::abi_decode(call.calldata()) else {
        return Err(revert_string(
            "ArbWasmCache: unknown selector or malformed arguments",
        ));
    };
    let managers = [crate::predeploys::CACHE_MANAGER];
    let set = |call: &mut NativeCall<'_>, hash: B256, cached: bool| -> Answer {
        let manager = call.caller();
        if !managers.contains(&manager) {
            return Err(revert_string("ArbWasmCache: caller is not a cache manager"));
        }
        let update = ArbOsInternal::setProgramCachedCall {
            codehash: hash,
            cached,
        }
        .abi_encode();
        let done = call.call(ARB_WASM, &update, U256::ZERO);
        if !done.success {
            return Err(done.data);
        }
        let log = ArbWasmCache::UpdateProgramCache {
            manager,
            codehash: hash,
            cached,
        }
        .encode_log_data();
        if !call.log(log.topics(), &log.data) {
            return Err(Vec::new());
        }
        Ok(Vec::new())
    };
    match decoded {
        C::isCacheManager(m) => Ok(ArbWasmCache::isCacheManagerCall::abi_encode_returns(
            &managers.contains(&m.manager),
        )),
        C::allCacheManagers(_) => Ok(ArbWasmCache::allCacheManagersCall::abi_encode_returns(
            &managers.to_vec(),
        )),
        C::cacheProgram(p) => {
            let hash = code_hash_of(call, p.addr);
            set(call, hash, true)
        }
        C::evictCodehash(e) => set(call, e.codehash, false),
        C::codehashIsCached(c) => {
            let query = ArbOsInternal::programCachedCall {
                codehash: c.codehash,
            }
            .abi_encode();
            let answer = call.static_call(ARB_WASM, &query);
            if !answer.success {
                return Err(answer.data);
            }
            Ok(answer.data)
        }
    }
}
