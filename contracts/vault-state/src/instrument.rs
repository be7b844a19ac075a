//! Instrument ids: one `uint256` naming a perpetual or a European option on a listed
//! underlying.
//!
//! ```text
//! bits 248..256  zero
//! bits 200..208  underlying index (the vault's list, < 16)
//! bits 192..200  kind: 0 perpetual, 1 call, 2 put
//! bits 128..192  expiry (unix seconds; 0 for a perpetual)
//! bits   0..128  strike (wad; 0 for a perpetual)
//! ```
//!
//! An id is **well formed** when its unused bits are zero, the kind is known, a perpetual has
//! expiry and strike 0, and an option has both positive with a strike below 2¹²⁷. Whether the
//! underlying is listed and the expiry still ahead is for the vault to check.

use alloy_primitives::U256;

/// A perpetual future.
pub const PERP: u8 = 0;
/// A European call.
pub const CALL: u8 = 1;
/// A European put.
pub const PUT: u8 = 2;

/// The fields of an instrument id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Instrument {
    /// Index of the underlying in the vault's list.
    pub underlying: u8,
    /// [`PERP`], [`CALL`] or [`PUT`].
    pub kind: u8,
    /// Expiry (0 for a perpetual).
    pub expiry: u64,
    /// Strike, wad (0 for a perpetual).
    pub strike: u128,
}

impl Instrument {
    /// The id of these fields.
    pub fn id(&self) -> U256 {
        U256::from_limbs([
            self.strike as u64,
            (self.strike >> 64) as u64,
            self.expiry,
            u64::from(self.kind) | (u64::from(self.underlying) << 8),
        ])
    }

    /// The fields of a well-formed id (see the module docs), else `None`.
    pub fn parse(id: U256) -> Option<Instrument> {
        let l = id.as_limbs();
        if l[3] >> 16 != 0 {
            return None;
        }
        let i = Instrument {
            underlying: (l[3] >> 8) as u8,
            kind: l[3] as u8,
            expiry: l[2],
            strike: (u128::from(l[1]) << 64) | u128::from(l[0]),
        };
        let ok = match i.kind {
            PERP => i.expiry == 0 && i.strike == 0,
            CALL | PUT => i.expiry > 0 && i.strike > 0 && i.strike <= i128::MAX as u128,
            _ => false,
        };
        ok.then_some(i)
    }

    /// Whether this is an option.
    pub fn is_option(&self) -> bool {
        self.kind != PERP
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_refuse_malformed_ones() {
        for i in [
            Instrument {
                underlying: 0,
                kind: PERP,
                expiry: 0,
                strike: 0,
            },
            Instrument {
                underlying: 15,
                kind: CALL,
                expiry: 1_800_000_000,
                strike: 3_000 * 10u128.pow(18),
            },
            Instrument {
                underlying: 3,
                kind: PUT,
                expiry: u64::MAX,
                strike: i128::MAX as u128,
            },
        ] {
            assert_eq!(Instrument::parse(i.id()), Some(i));
        }
        let perp = Instrument {
            underlying: 1,
            kind: PERP,
            expiry: 0,
            strike: 0,
        };
        assert_eq!(
            Instrument::parse(perp.id() | (U256::from(1u8) << 255)),
            None
        );
        assert_eq!(
            Instrument::parse(perp.id() | U256::from(1u8)),
            None,
            "perp with a strike"
        );
        let bad_kind = Instrument { kind: 3, ..perp };
        assert_eq!(Instrument::parse(bad_kind.id()), None);
        let no_expiry = Instrument {
            underlying: 0,
            kind: CALL,
            expiry: 0,
            strike: 1,
        };
        assert_eq!(Instrument::parse(no_expiry.id()), None);
        let huge = Instrument {
            underlying: 0,
            kind: CALL,
            expiry: 1,
            strike: u128::MAX,
        };
        assert_eq!(Instrument::parse(huge.id()), None);
    }
}
