//! ERC-4626 reads for a vault-share fundamental rate: `convertToAssets`, `asset` and
//! `decimals`, each a static call decoded by hand (one or two static words), with a named
//! error for a call that reverts and for a return that is not the expected word.

use alloc::vec::Vec;

use alloy_primitives::{Address, U256};
use stylus_sdk::call::static_call;
use stylus_sdk::stylus_core::calls::Call;
use stylus_sdk::stylus_core::host::Host;

use crate::{GuardError, VaultCallFailed, VaultMalformedReturn};

/// Selector of `convertToAssets(uint256)`.
pub const CONVERT_TO_ASSETS_SELECTOR: [u8; 4] =
    stylus_sdk::function_selector!("convertToAssets", U256);
/// Selector of `asset()`.
pub const ASSET_SELECTOR: [u8; 4] = stylus_sdk::function_selector!("asset");
/// Selector of `decimals()` (ERC-20 metadata, also on ERC-4626 shares).
pub const DECIMALS_SELECTOR: [u8; 4] = stylus_sdk::function_selector!("decimals");

/// The calldata of `convertToAssets(shares)`.
pub fn convert_to_assets_calldata(shares: U256) -> Vec<u8> {
    let mut data = Vec::with_capacity(36);
    data.extend_from_slice(&CONVERT_TO_ASSETS_SELECTOR);
    data.extend_from_slice(&shares.to_be_bytes::<32>());
    data
}

/// `vault.convertToAssets(shares)`.
pub fn convert_to_assets<H: Host + ?Sized>(
    host: &H,
    vault: Address,
    shares: U256,
) -> Result<U256, GuardError> {
    let out = call(host, vault, &convert_to_assets_calldata(shares))?;
    first_word(&out)
        .map(|w| U256::from_be_bytes(*w))
        .ok_or_else(|| malformed(vault))
}

/// `vault.asset()`: the word must be an address (upper 12 bytes zero).
pub fn asset<H: Host + ?Sized>(host: &H, vault: Address) -> Result<Address, GuardError> {
    let out = call(host, vault, &ASSET_SELECTOR)?;
    match first_word(&out) {
        Some(w) if w[..12].iter().all(|&b| b == 0) => Ok(Address::from_slice(&w[12..])),
        _ => Err(malformed(vault)),
    }
}

/// `token.decimals()`: the word must be a `uint8`.
pub fn decimals<H: Host + ?Sized>(host: &H, token: Address) -> Result<u8, GuardError> {
    let out = call(host, token, &DECIMALS_SELECTOR)?;
    match first_word(&out).and_then(|w| w.split_last()) {
        Some((&d, high)) if high.iter().all(|&b| b == 0) => Ok(d),
        _ => Err(malformed(token)),
    }
}

fn call<H: Host + ?Sized>(host: &H, target: Address, data: &[u8]) -> Result<Vec<u8>, GuardError> {
    static_call(host, Call::new(), target, data).map_err(|_| VaultCallFailed { target }.into())
}

fn malformed(target: Address) -> GuardError {
    VaultMalformedReturn { target }.into()
}

fn first_word(data: &[u8]) -> Option<&[u8; 32]> {
    data.get(..32)?.try_into().ok()
}
