//! One asset's configuration and its packing into four storage words.
//!
//! Four `bytes32` words per asset, little-endian integers at fixed byte offsets (plain WASM
//! loads and stores, no byte swapping), addresses as their 20 bytes; each word written
//! whole by exactly one setter (so no setter needs a read-modify-write):
//!
//! ```text
//! source   [0..20) source address  [20..28) maxAge   [28] kind  [29] decimals  [30] share decimals
//! snapshot [0..16) ratio (wad)     [16..24) timestamp            [24..32) max yearly growth (wad)
//! market   [0..20) feed address    [20..28) maxAge   [28] quote [29] decimals
//! params   [0..2) warning bps      [2..4) depegged bps           [4..20) add-on slope (wad)
//! ```
//!
//! Within their bounds a ratio fits 128 bits (≤ 10²⁴), a growth 64 bits (≤ 5·10¹⁷) and a
//! slope 128 bits (≤ 10²⁰). An all-zero word means "not set": kind 0 is `FundamentalSource.None`,
//! ratio 0 is "no snapshot", feed 0 is "no market feed", warning 0 is "default parameters".

use alloy_primitives::{Address, B256};

/// One asset's configuration, decoded.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// `FundamentalSource`: 0 none, 1 rate feed, 2 ERC-4626 vault.
    pub source_kind: u8,
    /// The rate feed or the ERC-4626 vault.
    pub source: Address,
    /// The rate feed's staleness limit (0 for a vault).
    pub source_max_age: u64,
    /// The rate feed's decimals, or the vault asset's decimals.
    pub source_decimals: u8,
    /// The vault share's decimals (0 for a rate feed).
    pub share_decimals: u8,
    /// The CAPO snapshot ratio (wad; 0 = not set).
    pub snapshot_ratio: u128,
    /// The CAPO snapshot timestamp.
    pub snapshot_timestamp: u64,
    /// The CAPO maximum yearly growth (wad).
    pub max_yearly_growth: u64,
    /// The market feed (zero = none).
    pub market_feed: Address,
    /// The market feed's staleness limit.
    pub market_max_age: u64,
    /// `MarketQuote`: 0 asset, 1 underlying token.
    pub market_quote: u8,
    /// The market feed's decimals.
    pub market_decimals: u8,
    /// Warning threshold in bps (0 = defaults for all three parameters).
    pub warning_bps: u16,
    /// Depegged threshold in bps.
    pub depegged_bps: u16,
    /// Add-on slope (wad).
    pub add_on_slope: u128,
}

fn take<const N: usize>(w: &B256, at: usize) -> [u8; N] {
    let mut out = [0u8; N];
    out.copy_from_slice(&w[at..at + N]);
    out
}

impl Config {
    /// Decodes the four words `[source, snapshot, market, params]`.
    pub fn decode(words: [B256; 4]) -> Config {
        let [s, n, m, p] = words;
        Config {
            source: Address::from(take::<20>(&s, 0)),
            source_max_age: u64::from_le_bytes(take(&s, 20)),
            source_kind: s[28],
            source_decimals: s[29],
            share_decimals: s[30],
            snapshot_ratio: u128::from_le_bytes(take(&n, 0)),
            snapshot_timestamp: u64::from_le_bytes(take(&n, 16)),
            max_yearly_growth: u64::from_le_bytes(take(&n, 24)),
            market_feed: Address::from(take::<20>(&m, 0)),
            market_max_age: u64::from_le_bytes(take(&m, 20)),
            market_quote: m[28],
            market_decimals: m[29],
            warning_bps: u16::from_le_bytes(take(&p, 0)),
            depegged_bps: u16::from_le_bytes(take(&p, 2)),
            add_on_slope: u128::from_le_bytes(take(&p, 4)),
        }
    }

    /// The source word.
    pub fn source_word(&self) -> B256 {
        let mut w = B256::ZERO;
        w[..20].copy_from_slice(self.source.as_slice());
        w[20..28].copy_from_slice(&self.source_max_age.to_le_bytes());
        w[28] = self.source_kind;
        w[29] = self.source_decimals;
        w[30] = self.share_decimals;
        w
    }

    /// The snapshot word.
    pub fn snapshot_word(&self) -> B256 {
        let mut w = B256::ZERO;
        w[..16].copy_from_slice(&self.snapshot_ratio.to_le_bytes());
        w[16..24].copy_from_slice(&self.snapshot_timestamp.to_le_bytes());
        w[24..].copy_from_slice(&self.max_yearly_growth.to_le_bytes());
        w
    }

    /// The market word.
    pub fn market_word(&self) -> B256 {
        let mut w = B256::ZERO;
        w[..20].copy_from_slice(self.market_feed.as_slice());
        w[20..28].copy_from_slice(&self.market_max_age.to_le_bytes());
        w[28] = self.market_quote;
        w[29] = self.market_decimals;
        w
    }

    /// The params word.
    pub fn params_word(&self) -> B256 {
        let mut w = B256::ZERO;
        w[..2].copy_from_slice(&self.warning_bps.to_le_bytes());
        w[2..4].copy_from_slice(&self.depegged_bps.to_le_bytes());
        w[4..20].copy_from_slice(&self.add_on_slope.to_le_bytes());
        w
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_round_trip_every_field() {
        let c = Config {
            source_kind: 2,
            source: Address::repeat_byte(0xa1),
            source_max_age: 0x0102_0304_0506_0708,
            source_decimals: 6,
            share_decimals: 18,
            snapshot_ratio: u128::MAX - 5,
            snapshot_timestamp: u64::MAX - 1,
            max_yearly_growth: 500_000_000_000_000_000,
            market_feed: Address::repeat_byte(0xb2),
            market_max_age: 86_400,
            market_quote: 1,
            market_decimals: 8,
            warning_bps: 0xfffe,
            depegged_bps: 10_000,
            add_on_slope: 100_000_000_000_000_000_000,
        };
        let words = [
            c.source_word(),
            c.snapshot_word(),
            c.market_word(),
            c.params_word(),
        ];
        assert_eq!(Config::decode(words), c);
        assert_eq!(Config::decode([B256::ZERO; 4]), Config::default());
        // Each setter's word carries only its own fields.
        let only_source = Config::decode([c.source_word(), B256::ZERO, B256::ZERO, B256::ZERO]);
        assert_eq!(only_source.source, c.source);
        assert_eq!(only_source.snapshot_ratio, 0);
        assert_eq!(only_source.market_feed, Address::ZERO);
    }
}
