//! The adapter's packed storage words (a feed; two 128-bit values). ABI words are
//! [`keel_stylus_common::abi`]'s.

use alloy_primitives::{Address, U256};
use keel_stylus_common::abi::address_word;

/// Storage word of a feed: address in bytes 12..32, decimals in byte 11, staleness limit
/// (`u64`) in bytes 3..11.
pub fn feed_word(feed: Address, decimals: u8, limit: u64) -> U256 {
    let mut w = address_word(feed);
    w[11] = decimals;
    w[3..11].copy_from_slice(&limit.to_be_bytes());
    U256::from_be_bytes(w)
}

/// The parts of a [`feed_word`].
pub fn unpack_feed(word: U256) -> (Address, u8, u64) {
    let w = word.to_be_bytes::<32>();
    let mut limit = [0u8; 8];
    limit.copy_from_slice(&w[3..11]);
    (
        Address::from_slice(&w[12..]),
        w[11],
        u64::from_be_bytes(limit),
    )
}

/// Storage word of two 128-bit values: `hi` in the high half, `lo` in the low half.
pub fn pair(hi: i128, lo: i128) -> U256 {
    let (hi, lo) = (hi as u128, lo as u128);
    U256::from_limbs([lo as u64, (lo >> 64) as u64, hi as u64, (hi >> 64) as u64])
}

/// The parts of a [`pair`].
pub fn unpair(word: U256) -> (i128, i128) {
    let l = word.as_limbs();
    let join = |low: u64, high: u64| (u128::from(high) << 64 | u128::from(low)) as i128;
    (join(l[2], l[3]), join(l[0], l[1]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use keel_stylus_common::abi::{address_word, int_word, uint_word};

    #[test]
    fn feed_words_round_trip() {
        let a = Address::repeat_byte(0xab);
        for (d, l) in [(0u8, 0u64), (8, 3600), (36, u64::MAX), (255, 1)] {
            assert_eq!(unpack_feed(feed_word(a, d, l)), (a, d, l));
        }
        assert_eq!(feed_word(Address::ZERO, 0, 0), U256::ZERO);
    }

    #[test]
    fn pairs_round_trip() {
        for (h, l) in [(0, 0), (-1, 1), (i128::MIN, i128::MAX), (5, -7)] {
            assert_eq!(unpair(pair(h, l)), (h, l));
        }
    }

    #[test]
    fn abi_words() {
        assert_eq!(U256::from_be_bytes(uint_word(77)), U256::from(77));
        assert_eq!(int_word(-1), [0xff; 32]);
        assert_eq!(
            Address::from_word(address_word(Address::repeat_byte(3)).into()),
            Address::repeat_byte(3)
        );
    }
}
