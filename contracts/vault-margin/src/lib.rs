//! # keel-vault-margin
//!
//! The margin module of Keel's vault: the contract the vault core `delegatecall`s for every
//! selector `keel_vault_state::Module::of` maps to `Module::Margin`, running on the vault's
//! storage ([`VaultState`]) with the caller's `msg.sender`. It owns:
//!
//! * **Collateral listing** ([`admin`]): `listCollateral`, `collateral` (moved here from the
//!   core, same rules and errors) — plus: a depeg-guarded asset needs a risk-cancelling
//!   underlying, the guard's rate being in units of it (`InvalidParameter(16)`).
//! * **Risk parameters** ([`admin`]): `setRiskParams(bytes)` / `riskParams()` — the
//!   parameters section of keel-risk's snapshot wire format, validated
//!   (`keel_risk::model::snapshot::validate_params`) and stored SSTORE2-style in a data
//!   contract ([`DATA_INIT_PREFIX`]); haircut add-ons and per-account limits.
//! * **Snapshots** ([`build`]): the account's `MarginSnapshot` bytes, built from storage, the
//!   oracle adapter and the depeg guard, with the stored parameters appended verbatim.
//! * **Margin** ([`margin`]): the engine call, the views (`margin`, `snapshot`), the checks
//!   (`requireMargin`), the mode switch and margin calls. `marginAllModes` is served
//!   by the trading module (size) from this module's `margin` and `snapshot`.
//!
//! ## `InvalidParameter(which)` codes of this module
//!
//! | code | refused |
//! | --- | --- |
//! | 16 | `listCollateral`: `depegGuarded` with a zero `riskCancellingUnderlying` |
//! | 17 | `setHaircutAddOns`: `volFloor` above 10 |
//! | 18 | `setHaircutAddOns`: `volSlope` above 1 |
//! | 19 | `setHaircutAddOns`: `confidenceSlope` above 1 |
//! | 20 | `setLimits`: `maxPositions` outside 1..=160 |
//! | 21 | `setLimits`: `maxExpiries` outside 1..=30 |
//!
//! `InvalidRiskParams(code)`: the codes of `keel_risk::model::snapshot::ParamsError` (1 the
//! bytes do not decode, … 12 fewer SRM sets than listed underlyings).
//!
//! ## Size
//! About 24.4 kB deployable of the 24,576 allowed. Calls arrive through `#[fallback]` and a
//! hand-written dispatcher ([`dispatch`]) with a sticky argument reader; events go through
//! `raw_log`, errors are selector + words; the snapshot is streamed into the wire format
//! instead of built as keel-risk structs; parameters are validated on their bytes by one
//! table-driven pass. `marginAllModes` did not fit and is served by the trading module
//! (with the cross engine's `isolatedWhatIf`). With `export-abi` the functions are
//! typed `#[public]` methods (module `export`) so stylus-sdk's export lists the interface.

#![cfg_attr(not(any(test, feature = "export-abi")), no_main)]
#![cfg_attr(target_arch = "wasm32", no_std)]
#![warn(missing_docs)]

extern crate alloc;

pub mod admin;
pub mod build;
pub mod calls;
pub mod dispatch;
#[cfg(feature = "export-abi")]
pub mod export;
pub mod margin;

pub use keel_vault_state::abi::*;
use keel_vault_state::{Revert, VaultState};

/// Result of the module's methods: the error is ABI-encoded revert data.
pub type Result<T> = core::result::Result<T, Revert>;

// `#[storage]` generates undocumented items.
#[allow(missing_docs)]
mod layout {
    use keel_vault_state::VaultState;
    use stylus_sdk::prelude::*;
    // `vec!`/`Vec` are used by the code `#[storage]` generates.
    #[allow(unused_imports)]
    use alloc::{vec, vec::Vec};

    /// The margin module: the shared [`VaultState`] as its only field, so its slots are the
    /// vault's.
    #[storage]
    #[entrypoint]
    pub struct MarginModule {
        pub(crate) state: VaultState,
    }
}

pub use layout::MarginModule;

impl core::ops::Deref for MarginModule {
    type Target = VaultState;
    fn deref(&self) -> &VaultState {
        &self.state
    }
}

impl core::ops::DerefMut for MarginModule {
    fn deref_mut(&mut self) -> &mut VaultState {
        &mut self.state
    }
}

/// The init code of a risk-parameter data contract, before its runtime: copies everything
/// after itself (`CODESIZE − 13` bytes from offset 13) to memory and returns it as the new
/// contract's code. The runtime is `0x00 ‖ params`: the leading STOP keeps it from executing.
///
/// ```text
/// 60 0d  PUSH1 13        offset of the runtime
/// 80     DUP1
/// 38     CODESIZE
/// 03     SUB             length = CODESIZE − 13
/// 80     DUP1
/// 91     SWAP2           [13, length, length]
/// 60 00  PUSH1 0
/// 39     CODECOPY        memory[0..length] = code[13..]
/// 60 00  PUSH1 0
/// f3     RETURN          return memory[0..length]
/// ```
pub const DATA_INIT_PREFIX: &[u8] = &[
    0x60, 0x0d, 0x80, 0x38, 0x03, 0x80, 0x91, 0x60, 0x00, 0x39, 0x60, 0x00, 0xf3,
];

/// `InvalidParameter` code: depeg-guarded without a risk-cancelling underlying.
pub const GUARDED_WITHOUT_UNDERLYING: u8 = 16;
/// `InvalidParameter` code: `volFloor` above [`MAX_VOL_FLOOR`].
pub const BAD_VOL_FLOOR: u8 = 17;
/// `InvalidParameter` code: `volSlope` above [`MAX_SLOPE`].
pub const BAD_VOL_SLOPE: u8 = 18;
/// `InvalidParameter` code: `confidenceSlope` above [`MAX_SLOPE`].
pub const BAD_CONFIDENCE_SLOPE: u8 = 19;
/// `InvalidParameter` code: `maxPositions` outside `1..=MAX_POSITIONS_BOUND`.
pub const BAD_MAX_POSITIONS: u8 = 20;
/// `InvalidParameter` code: `maxExpiries` outside `1..=MAX_EXPIRIES_BOUND`.
pub const BAD_MAX_EXPIRIES: u8 = 21;

/// A wad as an `int256` ABI word (sign-extended).
pub fn int_word(x: keel_risk::Wad) -> alloy_primitives::B256 {
    let v = x.raw();
    let extension = if v < 0 { u64::MAX } else { 0 };
    let limbs = [v as u64, (v >> 64) as u64, extension, extension];
    alloy_primitives::U256::from_limbs(limbs).into()
}

/// An unsigned integer as an ABI word.
pub fn uint(x: u128) -> alloy_primitives::B256 {
    alloy_primitives::U256::from(x).into()
}

/// An unsigned integer as a raw ABI word.
pub fn uword(x: u128) -> [u8; 32] {
    uint(x).0
}

/// Largest `volFloor` (10, wad).
pub const MAX_VOL_FLOOR: u128 = 10_000_000_000_000_000_000;
/// Largest `volSlope` and `confidenceSlope` (1, wad).
pub const MAX_SLOPE: u128 = 1_000_000_000_000_000_000;
