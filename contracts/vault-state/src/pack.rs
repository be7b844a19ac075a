//! 32-byte words: ABI words (keel-stylus-common's, plus `uint256`) and the vault's packed
//! storage words.

use alloy_primitives::{Address, U256};

pub use keel_stylus_common::abi::{address_word, uint_word};

/// A `uint256` as an ABI word.
pub fn u256_word(x: U256) -> [u8; 32] {
    x.to_be_bytes::<32>()
}

/// Storage word of an account: owner in bytes 12..32, mode in byte 11.
pub fn account_word(owner: Address, mode: u8) -> U256 {
    let mut w = address_word(owner);
    w[11] = mode;
    U256::from_be_bytes(w)
}

/// The parts of an [`account_word`]: owner, mode.
pub fn unpack_account(word: U256) -> (Address, u8) {
    let w = word.to_be_bytes::<32>();
    (Address::from_slice(&w[12..]), w[11])
}

/// Flag bit of [`asset_word`]: the asset is listed.
pub const LISTED: u8 = 1;
/// Flag bit of [`asset_word`]: the asset is valued through the depeg guard.
pub const DEPEG_GUARDED: u8 = 2;

/// Storage word of an asset: risk-cancelling underlying in bytes 12..32, decimals in byte 11,
/// flags ([`LISTED`], [`DEPEG_GUARDED`]) in byte 10.
pub fn asset_word(underlying: Address, decimals: u8, flags: u8) -> U256 {
    let mut w = address_word(underlying);
    w[11] = decimals;
    w[10] = flags;
    U256::from_be_bytes(w)
}

/// The parts of an [`asset_word`]: underlying, decimals, flags.
pub fn unpack_asset(word: U256) -> (Address, u8, u8) {
    let w = word.to_be_bytes::<32>();
    (Address::from_slice(&w[12..]), w[11], w[10])
}

/// Storage word of two `u128`: `hi` in the high half, `lo` in the low half.
pub fn pair(hi: u128, lo: u128) -> U256 {
    U256::from_limbs([lo as u64, (lo >> 64) as u64, hi as u64, (hi >> 64) as u64])
}

/// The parts of a [`pair`]: `(hi, lo)`.
pub fn unpair(word: U256) -> (u128, u128) {
    let l = word.as_limbs();
    let join = |low: u64, high: u64| (u128::from(high) << 64) | u128::from(low);
    (join(l[2], l[3]), join(l[0], l[1]))
}

/// `x` as a `u128` when it fits.
pub fn to_u128(x: U256) -> Option<u128> {
    let l = x.as_limbs();
    (l[2] == 0 && l[3] == 0).then(|| (u128::from(l[1]) << 64) | u128::from(l[0]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip() {
        let a = Address::repeat_byte(0xab);
        for mode in [0u8, 2, 255] {
            assert_eq!(unpack_account(account_word(a, mode)), (a, mode));
        }
        for (d, f) in [(0u8, 0u8), (36, 3), (255, 255)] {
            assert_eq!(unpack_asset(asset_word(a, d, f)), (a, d, f));
        }
        for (h, l) in [(0u128, 0u128), (u128::MAX, 1), (5, u128::MAX)] {
            assert_eq!(unpair(pair(h, l)), (h, l));
        }
        assert_eq!(account_word(Address::ZERO, 0), U256::ZERO);
        assert_eq!(to_u128(U256::from(u128::MAX)), Some(u128::MAX));
        assert_eq!(to_u128(U256::from(u128::MAX) + U256::from(1)), None);
    }
}
