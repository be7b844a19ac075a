//! The outside read only the margin module makes: the oracle adapter's
//! `getExpiryData(address underlying, uint64 expiry)` (`abi/IOracleAdapter.sol`),
//! static-called and its return checked word by word as Solidity's decoder would (plus the
//! wad range Keel's numbers live in). Any failure — a revert, a short or malformed answer, a
//! non-positive forward, a confidence above 1 — is `OracleCallFailed(underlying)`. (The depeg
//! guard's `assess` is `keel_vault_state::oracle`'s, shared with the liquidation module.)

use alloc::vec::Vec;

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolCall, SolError};
use keel_risk::math::SviParams;
use keel_risk::model::snapshot::Writer;
use keel_risk::Wad;
use keel_vault_state::abi::OracleCallFailed;
use keel_vault_state::pack::address_word;
use keel_vault_state::Revert;
use stylus_sdk::call::static_call;
use stylus_sdk::prelude::*;
use stylus_sdk::stylus_core::calls::Call;

use crate::{MarginModule, Result};

mod sigs {
    alloy_sol_types::sol! {
        function getExpiryData(address underlying, uint64 expiry) external view;
    }
}

/// `getExpiryData(address,uint64)`.
pub const GET_EXPIRY_DATA: [u8; 4] = sigs::getExpiryDataCall::SELECTOR;

/// Word `i` of `out`.
fn word(out: &[u8], i: usize) -> Option<&[u8; 32]> {
    out.get(32 * i..32 * (i + 1))?.try_into().ok()
}

/// Word `i` as an `int256` that fits a wad.
fn swad(out: &[u8], i: usize) -> Option<Wad> {
    let l = *U256::from_be_bytes(*word(out, i)?).as_limbs();
    let v = ((u128::from(l[1]) << 64) | u128::from(l[0])) as i128;
    let extension = if v < 0 { u64::MAX } else { 0 };
    (l[2] == extension && l[3] == extension).then_some(Wad::from_raw(v))
}

/// Writes the checked fields of a `getExpiryData` answer — `(ExpiryData data, uint256
/// confidence)`, twelve static words — as a snapshot `expiry` entry (forward, fixed part 0,
/// rate, SVI slice, every confidence the answer's) and returns the SVI slice; `None` when the
/// answer is malformed. The unsigned fields must be non-negative wads (the forward
/// positive), the timestamp a `uint64`, the answer's confidence (which includes the age
/// factor, unlike the pushed one in word 9) at most 1.
pub fn write_expiry(w: &mut Writer, expiry: u64, out: &[u8]) -> Option<SviParams> {
    let mut v = [Wad::ZERO; 12];
    for (i, x) in v.iter_mut().enumerate() {
        *x = swad(out, i)?;
    }
    let c = v[11];
    let unsigned = [v[7], v[8], v[9], v[10], c]
        .iter()
        .all(|x| !x.is_negative());
    if !unsigned || !v[0].is_positive() || v[10].raw() > i128::from(u64::MAX) || c > Wad::ONE {
        return None;
    }
    w.uint(expiry.into());
    w.wads(&[v[0], Wad::ZERO, c, v[1], c]);
    w.wads(&v[2..9]);
    w.wad(c);
    Some(SviParams {
        a: v[2],
        b: v[3],
        rho: v[4],
        m: v[5],
        sigma: v[6],
        forward: v[7],
        tau: v[8],
    })
}

impl MarginModule {
    /// Writes `(underlying, expiry)`'s market data from the oracle adapter to `w` (see
    /// [`write_expiry`]); returns its SVI slice.
    pub fn expiry_data(
        &self,
        w: &mut Writer,
        underlying: Address,
        expiry: u64,
    ) -> Result<SviParams> {
        let failed = || Revert::at(OracleCallFailed::SELECTOR, underlying);
        let oracle = self.oracle_address()?;
        let mut data = Vec::with_capacity(68);
        data.extend_from_slice(&GET_EXPIRY_DATA);
        data.extend_from_slice(&address_word(underlying));
        data.extend_from_slice(&crate::uword(u128::from(expiry)));
        let out = static_call(self.vm(), Call::new(), oracle, &data).map_err(|_| failed())?;
        write_expiry(w, expiry, &out).ok_or_else(failed)
    }
}
