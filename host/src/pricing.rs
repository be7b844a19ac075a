//! Nitro's run-time prices: ink per host I/O, the EVM gas the host charges for state access,
//! calls and logs, the Stylus memory model, and the per-call program entry cost.
//!
//! Figures are those of Stylus v2 under ArbOS ≥ 32 (the charging fixes) with the chain's
//! initial parameters: ink price 10,000, 2 free pages, 1,000 gas per page, minimum init gas
//! 69 × 128, minimum cached gas 11 × 32, both cost scalars 100 %. What later ArbOS versions
//! changed is keyed on the host's ArbOS version ([`DEFAULT_ARBOS_VERSION`] unless set): the
//! stack-depth budget ([`max_stack_depth`]) and the recent-program entry discount
//! ([`ARBOS_VERSION_RECENT_PROGRAMS`]).

/// Ink per unit of EVM gas.
pub const INK_PRICE: u64 = 10_000;

/// Base ink of a host I/O that may return something.
pub const HOSTIO_INK: u64 = 8400;
/// Extra ink per pointer argument.
pub const PTR_INK: u64 = 13440 - HOSTIO_INK;
/// Extra ink of a host I/O that goes through the EVM API.
pub const EVM_API_INK: u64 = 59673;
/// Extra ink of a 256-bit division or modulo.
pub const DIV_INK: u64 = 20000;
/// Extra ink of a 256-bit mulmod.
pub const MUL_MOD_INK: u64 = 24100;
/// Extra ink of a 256-bit addmod.
pub const ADD_MOD_INK: u64 = 21000;

/// Base ink of each host I/O, by name (Nitro's `pricing::hostio`).
pub mod hostio {
    use super::*;
    pub const READ_ARGS: u64 = HOSTIO_INK;
    pub const WRITE_RESULT: u64 = HOSTIO_INK;
    pub const STORAGE_LOAD: u64 = HOSTIO_INK + 2 * PTR_INK;
    pub const STORAGE_CACHE: u64 = HOSTIO_INK + 2 * PTR_INK;
    pub const STORAGE_FLUSH: u64 = HOSTIO_INK + EVM_API_INK;
    pub const TRANSIENT_LOAD: u64 = HOSTIO_INK + 2 * PTR_INK + EVM_API_INK;
    pub const TRANSIENT_STORE: u64 = HOSTIO_INK + 2 * PTR_INK + EVM_API_INK;
    pub const CALL_CONTRACT: u64 = HOSTIO_INK + 3 * PTR_INK + EVM_API_INK;
    pub const CREATE1: u64 = HOSTIO_INK + 3 * PTR_INK + EVM_API_INK;
    pub const CREATE2: u64 = HOSTIO_INK + 4 * PTR_INK + EVM_API_INK;
    pub const READ_RETURN_DATA: u64 = HOSTIO_INK + EVM_API_INK;
    pub const RETURN_DATA_SIZE: u64 = HOSTIO_INK;
    pub const EMIT_LOG: u64 = HOSTIO_INK + EVM_API_INK;
    pub const ACCOUNT_BALANCE: u64 = HOSTIO_INK + 2 * PTR_INK + EVM_API_INK;
    pub const ACCOUNT_CODE: u64 = HOSTIO_INK + EVM_API_INK;
    pub const ACCOUNT_CODE_SIZE: u64 = HOSTIO_INK + EVM_API_INK;
    pub const ACCOUNT_CODE_HASH: u64 = HOSTIO_INK + 2 * PTR_INK + EVM_API_INK;
    pub const BLOCK_BASEFEE: u64 = HOSTIO_INK + PTR_INK;
    pub const BLOCK_COINBASE: u64 = HOSTIO_INK + PTR_INK;
    pub const BLOCK_GAS_LIMIT: u64 = HOSTIO_INK;
    pub const BLOCK_NUMBER: u64 = HOSTIO_INK;
    pub const BLOCK_TIMESTAMP: u64 = HOSTIO_INK;
    pub const CHAIN_ID: u64 = HOSTIO_INK;
    pub const ADDRESS: u64 = HOSTIO_INK + PTR_INK;
    pub const EVM_GAS_LEFT: u64 = HOSTIO_INK;
    pub const EVM_INK_LEFT: u64 = HOSTIO_INK;
    pub const MATH_DIV: u64 = HOSTIO_INK + 3 * PTR_INK + DIV_INK;
    pub const MATH_MOD: u64 = HOSTIO_INK + 3 * PTR_INK + DIV_INK;
    pub const MATH_POW: u64 = HOSTIO_INK + 3 * PTR_INK;
    pub const MATH_ADD_MOD: u64 = HOSTIO_INK + 4 * PTR_INK + ADD_MOD_INK;
    pub const MATH_MUL_MOD: u64 = HOSTIO_INK + 4 * PTR_INK + MUL_MOD_INK;
    pub const MSG_REENTRANT: u64 = HOSTIO_INK;
    pub const MSG_SENDER: u64 = HOSTIO_INK + PTR_INK;
    pub const MSG_VALUE: u64 = HOSTIO_INK + PTR_INK;
    pub const TX_GAS_PRICE: u64 = HOSTIO_INK + PTR_INK;
    pub const TX_INK_PRICE: u64 = HOSTIO_INK;
    pub const TX_ORIGIN: u64 = HOSTIO_INK + PTR_INK;
    pub const PAY_FOR_MEMORY_GROW: u64 = HOSTIO_INK;
}

fn sat_add_mul(base: u64, per: u64, count: u32) -> u64 {
    base.saturating_add(per.saturating_mul(u64::from(count)))
}

/// Ink to copy `bytes` from the host into the program (`read_args`, `read_return_data`…).
pub fn write_price(bytes: u32) -> u64 {
    sat_add_mul(5040, 30, bytes.saturating_sub(32))
}

/// Ink to copy `bytes` from the program into the host (`write_result`, call data…).
pub fn read_price(bytes: u32) -> u64 {
    sat_add_mul(16381, 55, bytes.saturating_sub(32))
}

/// Number of 32-byte words needed for `bytes`.
pub fn evm_words(bytes: u64) -> u64 {
    bytes.div_ceil(32)
}

/// Ink of `native_keccak256` over `bytes`.
pub fn keccak_price(bytes: u32) -> u64 {
    let words = evm_words(u64::from(bytes)).saturating_sub(2);
    121_800u64.saturating_add(21_000u64.saturating_mul(words))
}

/// Ink of `math_pow` beyond its base: less for each leading zero byte of the exponent.
pub fn pow_price(exponent: &[u8; 32]) -> u64 {
    let zeros = exponent.iter().take_while(|b| **b == 0).count() as u64;
    3000 + (33 - zeros) * 17500
}

/// EVM gas constants (EIP-2929, EIP-2200, EIP-3529 and geth's `params`).
pub mod gas {
    pub const COLD_ACCOUNT: u64 = 2600;
    pub const COLD_SLOAD: u64 = 2100;
    pub const WARM_READ: u64 = 100;
    pub const SSTORE_SENTRY: u64 = 2300;
    pub const SSTORE_SET: u64 = 20_000;
    pub const SSTORE_RESET: u64 = 5000;
    pub const SSTORE_CLEARS_REFUND: u64 = SSTORE_RESET - COLD_SLOAD + 1900;
    /// Gas the Stylus storage cache requires to be available before an access.
    pub const CACHE_ACCESS: u64 = 10;
    pub const LOG_TOPIC: u64 = 375;
    pub const LOG_DATA: u64 = 8;
    pub const CALL_VALUE_TRANSFER: u64 = 9000;
    pub const CALL_NEW_ACCOUNT: u64 = 25_000;
    pub const CALL_STIPEND: u64 = 2300;
    pub const CREATE: u64 = 32_000;
    pub const CREATE_DATA: u64 = 200;
    pub const KECCAK_WORD: u64 = 6;
    pub const EXTCODE_SIZE: u64 = 700;
    pub const TX: u64 = 21_000;
    pub const TX_DATA_ZERO: u64 = 4;
    pub const TX_DATA_NONZERO: u64 = 16;
    pub const MEMORY: u64 = 3;
    pub const QUAD_COEFF_DIV: u64 = 512;
    /// Deepest call stack the EVM allows.
    pub const CALL_DEPTH: usize = 1024;
    /// Largest contract code (EIP-170, Arbitrum's default).
    pub const MAX_CODE_SIZE: usize = 24_576;
}

/// EVM memory cost of `bytes` (linear plus quadratic), used for the return-data floor.
pub fn evm_memory_cost(bytes: u64) -> u64 {
    let words = evm_words(bytes);
    words * gas::MEMORY + words * words / gas::QUAD_COEFF_DIV
}

/// Gas of the transaction's intrinsic cost for `calldata` (no access list, no creation).
pub fn intrinsic_gas(calldata: &[u8]) -> u64 {
    calldata.iter().fold(gas::TX, |acc, b| {
        acc + if *b == 0 {
            gas::TX_DATA_ZERO
        } else {
            gas::TX_DATA_NONZERO
        }
    })
}

/// Pages every transaction gets for free.
pub const FREE_PAGES: u16 = 2;
/// Linear gas per page beyond the free ones.
pub const PAGE_GAS: u64 = 1000;

const MEMORY_EXPONENTS: [u32; 129] = [
    1, 1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 5, 6, 7, 8, 9, 11, 12, 14, 17, 19, 22, 25, 29, 33, 38,
    43, 50, 57, 65, 75, 85, 98, 112, 128, 147, 168, 193, 221, 253, 289, 331, 379, 434, 497, 569,
    651, 745, 853, 976, 1117, 1279, 1463, 1675, 1917, 2194, 2511, 2874, 3290, 3765, 4309, 4932,
    5645, 6461, 7395, 8464, 9687, 11087, 12689, 14523, 16621, 19024, 21773, 24919, 28521, 32642,
    37359, 42758, 48938, 56010, 64104, 73368, 83971, 96106, 109994, 125890, 144082, 164904, 188735,
    216010, 247226, 282953, 323844, 370643, 424206, 485509, 555672, 635973, 727880, 833067, 953456,
    1091243, 1248941, 1429429, 1636000, 1872423, 2143012, 2452704, 2807151, 3212820, 3677113,
    4208502, 4816684, 5512756, 6309419, 7221210, 8264766, 9459129, 10826093, 12390601, 14181199,
    16230562, 18576084, 21260563, 24332984, 27849408, 31873999,
];

fn memory_exp(pages: u16) -> u64 {
    MEMORY_EXPONENTS
        .get(usize::from(pages))
        .map_or(u64::MAX, |e| u64::from(*e))
}

/// Nitro's memory model: gas to open `new` pages when `open` are open in this transaction and
/// at most `ever` have been.
pub fn memory_gas(new: u16, open: u16, ever: u16) -> u64 {
    let new_open = open.saturating_add(new);
    let new_ever = ever.max(new_open);
    if new_ever <= FREE_PAGES {
        return 0;
    }
    let sub_free = |p: u16| p.saturating_sub(FREE_PAGES);
    let adding = sub_free(new_open).saturating_sub(sub_free(open));
    let linear = u64::from(adding).saturating_mul(PAGE_GAS);
    let expand = memory_exp(new_ever).saturating_sub(memory_exp(ever));
    linear.saturating_add(expand)
}

/// Minimum gas to enter a program not in the init cache (v2: 69 × 128).
pub const MIN_INIT_GAS: u64 = 69 * 128;
/// Minimum gas to enter any program (11 × 32).
pub const MIN_CACHED_GAS: u64 = 11 * 32;
/// Programs a block's recent-program cache holds (from ArbOS 60: see
/// [`ARBOS_VERSION_RECENT_PROGRAMS`]).
pub const RECENT_PROGRAMS: usize = 32;

/// The ArbOS version a host follows unless told otherwise: 51 ("Dia"), the version Arbitrum
/// One and Nova run. Nitro v3.10 (April 2026) supports at most ArbOS 51 on production chains
/// (geth's `MaxArbosVersionSupported`); 60 is enabled only on debug chains so far. Versions
/// below 32 (before Stylus's charging fixes) are not modelled.
pub const DEFAULT_ARBOS_VERSION: u64 = 51;

/// From this ArbOS version a program entered earlier in the same block (Nitro's
/// `RecentWasms`, [`RECENT_PROGRAMS`] programs) pays only its cached entry cost. Before it the
/// cache was never filled (geth's `RecentWasms.Insert` had a value receiver, so every insert
/// went to a copy): every entry of a program not in ArbOS's init cache paid its init cost,
/// re-entries within one transaction included. Nitro fixed the cache and gated it on
/// ArbOS 60 together (`CallProgram`, nitro PR #4035).
pub const ARBOS_VERSION_RECENT_PROGRAMS: u64 = 60;

/// From this ArbOS version (50, "Dia") the Stylus stack-depth budget `MaxStackDepth` is at
/// most [`DIA_MAX_STACK_DEPTH`] words (`StylusParams.UpgradeToArbosVersion`).
pub const ARBOS_VERSION_STACK_DEPTH_CAP: u64 = 50;

/// `MaxStackDepth` as Stylus started: 4 × 65,536 words.
pub const INITIAL_MAX_STACK_DEPTH: u32 = 4 * 65_536;

/// `MaxStackDepth` from ArbOS 50: 22,000 words.
pub const DIA_MAX_STACK_DEPTH: u32 = 22_000;

/// The stack-depth budget, in Nitro's words, each program frame starts with under
/// `arbos_version` (the chain's initial parameter, capped at ArbOS 50).
pub fn max_stack_depth(arbos_version: u64) -> u32 {
    if arbos_version >= ARBOS_VERSION_STACK_DEPTH_CAP {
        DIA_MAX_STACK_DEPTH
    } else {
        INITIAL_MAX_STACK_DEPTH
    }
}

/// Whether a program entered earlier in the block skips its init cost under `arbos_version`.
pub fn recent_programs_discounted(arbos_version: u64) -> bool {
    arbos_version >= ARBOS_VERSION_RECENT_PROGRAMS
}
