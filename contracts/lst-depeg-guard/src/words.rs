//! ABI words written by hand: the revert data of the contract's custom errors and the logs of
//! its events. Every field of both is a static 32-byte word, so an error is its selector
//! followed by its words, and an event is its topics (signature hash, then indexed fields)
//! plus its data words.
//!
//! stylus-sdk's typed paths (a `SolidityError` derive, `vm().log(event)`) produce the same
//! bytes but monomorphise alloy's generic encoder once per error and per event, and `log`
//! unwraps a `Result`, which links `Debug` formatting of alloy's error type; together that
//! is several kilobytes of the 24,576-byte deployable budget. The TestVM tests decode every
//! error and event written here with alloy's `SolError`/`SolEvent` of the `sol!`
//! declarations, so the two cannot drift apart.

use alloc::vec::Vec;

use alloy_primitives::{Address, B256, I256, U256};
use stylus_sdk::stylus_core::host::Host;

/// A value that is one static ABI word.
pub trait Word {
    /// The value as its 32-byte ABI encoding.
    fn word(&self) -> B256;
}

impl Word for Address {
    fn word(&self) -> B256 {
        self.into_word()
    }
}

impl Word for U256 {
    fn word(&self) -> B256 {
        B256::from(self.to_be_bytes::<32>())
    }
}

impl Word for I256 {
    fn word(&self) -> B256 {
        self.into_raw().word()
    }
}

impl Word for u64 {
    fn word(&self) -> B256 {
        U256::from(*self).word()
    }
}

impl Word for u16 {
    fn word(&self) -> B256 {
        U256::from(*self).word()
    }
}

impl Word for u8 {
    fn word(&self) -> B256 {
        U256::from(*self).word()
    }
}

/// The revert data of a custom error: `selector ‖ words`.
pub fn revert_data(selector: [u8; 4], words: &[B256]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + 32 * words.len());
    out.extend_from_slice(&selector);
    for w in words {
        out.extend_from_slice(w.as_slice());
    }
    out
}

/// Emits a log with `topics` (at most 4; the first is the event's signature hash) and the
/// data `words`.
pub fn emit<H: Host + ?Sized>(host: &H, topics: &[B256], words: &[B256]) {
    let mut bytes = Vec::with_capacity(32 * (topics.len() + words.len()));
    for w in topics.iter().chain(words) {
        bytes.extend_from_slice(w.as_slice());
    }
    host.emit_log(&bytes, topics.len());
}
