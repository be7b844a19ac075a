//! A small, allocation-bounded decoder for `abi.encode(Portfolio)`.
//!
//! The generic `alloy-sol-types` decoder for nested dynamic struct arrays costs about 20 kB of
//! WASM, which the 24,576-byte deployable limit cannot afford next to the PM2 model. This
//! decoder reads the same standard ABI encoding directly into keel-risk's input types:
//!
//! ```text
//! [offset → Portfolio]
//! Portfolio:  9 static words | offset → Expiry[] | offset → Collateral[]
//! Expiry[]:   length | one offset per Expiry (relative to the word after the length)
//! Expiry:     14 static words | offset → OptionLeg[] (relative to the Expiry)
//! OptionLeg[]: length | 3 words per leg          Collateral[]: length | 6 words per entry
//! ```
//!
//! Offsets are followed wherever they point inside the buffer (every ABI encoder's output is
//! accepted, canonical or not); an offset or length that points outside it, or a `uint64` or
//! `bool` field out of its range, is [`Failure::Malformed`]. Every static word is first read
//! as a wad, so a number outside `int128` (a `uint64` or `bool` included) is
//! [`RiskError::Overflow`], like any other value the fixed-point type cannot hold. Nothing
//! here panics: every index is bounds-checked and no sum can wrap (all stay below the
//! buffer's length plus a few words).

use alloc::vec::Vec;

use keel_risk::math::SviParams;
use keel_risk::model::portfolio::{
    CollateralHolding, ExpiryBook, OptionHolding, PerpHolding, PortfolioAccount, UnderlyingBook,
};
use keel_risk::{RiskError, Wad};

/// Why a call could not be answered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Failure {
    /// The bytes are not an ABI encoding of `Portfolio`.
    Malformed,
    /// The risk library refused the portfolio (or a number does not fit a wad).
    Risk(RiskError),
}

impl From<RiskError> for Failure {
    fn from(e: RiskError) -> Self {
        Failure::Risk(e)
    }
}

const WORD: usize = 32;
/// Static words at the head of a `Portfolio`, before its two array offsets.
const PORTFOLIO_STATIC: usize = 9;
/// Static words at the head of an `Expiry`, before its options offset.
const EXPIRY_STATIC: usize = 14;
const OPTION_WORDS: usize = 3;
const COLLATERAL_WORDS: usize = 6;

/// Signed (`int256`) fields of `Portfolio`'s head, one bit per word: cash, perp amount and
/// unrealised PnL.
const PORTFOLIO_SIGNED: u32 = 1 << 1 | 1 << 5 | 1 << 6;
/// Signed fields of `Expiry`: rate and the five raw-SVI shape parameters.
const EXPIRY_SIGNED: u32 = 1 << 4 | 0b11111 << 6;
/// Signed field of `OptionLeg`: amount.
const OPTION_SIGNED: u32 = 1 << 2;

/// Decodes `abi.encode(Portfolio)` into the PM2 account of one underlying (index 0).
pub fn decode_portfolio(bytes: &[u8]) -> Result<PortfolioAccount, Failure> {
    let r = Reader { b: bytes };
    let p = r.offset(0, 0)?;
    let mut h = [0i128; PORTFOLIO_STATIC];
    r.words(p, PORTFOLIO_SIGNED, &mut h)?;

    let expiries_at = r.offset(p, p + PORTFOLIO_STATIC * WORD)?;
    let (n, first) = r.array(expiries_at, WORD)?;
    let mut expiries = Vec::with_capacity(n);
    for k in 0..n {
        let e = r.offset(first, first + k * WORD)?;
        expiries.push(r.expiry(e)?);
    }

    let collaterals_at = r.offset(p, p + (PORTFOLIO_STATIC + 1) * WORD)?;
    let (n, first) = r.array(collaterals_at, COLLATERAL_WORDS * WORD)?;
    let mut collaterals = Vec::with_capacity(n);
    for k in 0..n {
        let mut c = [0i128; COLLATERAL_WORDS];
        r.words(first + k * COLLATERAL_WORDS * WORD, 0, &mut c)?;
        collaterals.push(CollateralHolding {
            amount: Wad::from_raw(c[0]),
            price: Wad::from_raw(c[1]),
            confidence: Wad::from_raw(c[2]),
            mm_haircut: Wad::from_raw(c[3]),
            im_haircut: Wad::from_raw(c[4]),
            risk_cancelling: boolean(c[5])?.then_some(0),
        });
    }

    let w = |i: usize| Wad::from_raw(h[i]);
    Ok(PortfolioAccount {
        now: small(h[0])?,
        cash: w(1),
        stable_price: w(2),
        underlyings: alloc::vec![UnderlyingBook {
            spot: w(3),
            spot_confidence: w(4),
            perp: PerpHolding {
                amount: w(5),
                unrealised: w(6),
                price: w(7),
                confidence: w(8),
            },
            expiries,
        }],
        collaterals,
    })
}

/// A word read as a wad that must be a `uint64`.
fn small(raw: i128) -> Result<u64, Failure> {
    u64::try_from(raw).map_err(|_| Failure::Malformed)
}

/// A word read as a wad that must be a `bool`.
fn boolean(raw: i128) -> Result<bool, Failure> {
    match raw {
        0 => Ok(false),
        1 => Ok(true),
        _ => Err(Failure::Malformed),
    }
}

struct Reader<'a> {
    b: &'a [u8],
}

impl Reader<'_> {
    /// The word at `at` as an `int256` (`signed`) or `uint256` that must fit in `int128`.
    #[inline(never)]
    fn word(&self, at: usize, signed: bool) -> Result<i128, Failure> {
        let end = at.checked_add(WORD).ok_or(Failure::Malformed)?;
        let w: &[u8; WORD] = self
            .b
            .get(at..end)
            .and_then(|s| s.try_into().ok())
            .ok_or(Failure::Malformed)?;
        let (hi, lo) = w.split_at(16);
        let mut value: i128 = 0;
        for &b in lo {
            value = value << 8 | i128::from(b);
        }
        let extension = if signed && value < 0 { 0xff } else { 0 };
        if (!signed && value < 0) || hi.iter().any(|&x| x != extension) {
            return Err(RiskError::Overflow.into());
        }
        Ok(value)
    }

    /// `out.len()` consecutive words from `at`; bit `i` of `signed_mask` marks word `i` signed.
    fn words(&self, at: usize, signed_mask: u32, out: &mut [i128]) -> Result<(), Failure> {
        for (i, slot) in out.iter_mut().enumerate() {
            *slot = self.word(at + i * WORD, signed_mask >> i & 1 == 1)?;
        }
        Ok(())
    }

    /// An offset or length word.
    fn index(&self, at: usize) -> Result<usize, Failure> {
        let raw = self.word(at, false).map_err(|_| Failure::Malformed)?;
        usize::try_from(raw).map_err(|_| Failure::Malformed)
    }

    /// `base` + the offset stored at `at`, which must point inside the buffer.
    fn offset(&self, base: usize, at: usize) -> Result<usize, Failure> {
        let target = base
            .checked_add(self.index(at)?)
            .ok_or(Failure::Malformed)?;
        if target >= self.b.len() {
            return Err(Failure::Malformed);
        }
        Ok(target)
    }

    /// The length of the array at `at` and where its elements start, checking that `len`
    /// elements of `stride` bytes fit in the buffer (so no allocation exceeds the input).
    fn array(&self, at: usize, stride: usize) -> Result<(usize, usize), Failure> {
        let len = self.index(at)?;
        let first = at + WORD;
        let room = self.b.len().saturating_sub(first);
        if len > room / stride {
            return Err(Failure::Malformed);
        }
        Ok((len, first))
    }

    fn expiry(&self, e: usize) -> Result<ExpiryBook, Failure> {
        let mut h = [0i128; EXPIRY_STATIC];
        self.words(e, EXPIRY_SIGNED, &mut h)?;
        let options_at = self.offset(e, e + EXPIRY_STATIC * WORD)?;
        let (n, first) = self.array(options_at, OPTION_WORDS * WORD)?;
        let mut options = Vec::with_capacity(n);
        for k in 0..n {
            let mut o = [0i128; OPTION_WORDS];
            self.words(first + k * OPTION_WORDS * WORD, OPTION_SIGNED, &mut o)?;
            options.push(OptionHolding {
                strike: Wad::from_raw(o[0]),
                is_call: boolean(o[1])?,
                amount: Wad::from_raw(o[2]),
            });
        }
        let w = |i: usize| Wad::from_raw(h[i]);
        Ok(ExpiryBook {
            expiry: small(h[0])?,
            forward_fixed: w(1),
            forward_variable: w(2),
            forward_confidence: w(3),
            rate: w(4),
            rate_confidence: w(5),
            svi: SviParams {
                a: w(6),
                b: w(7),
                rho: w(8),
                m: w(9),
                sigma: w(10),
                forward: w(11),
                tau: w(12),
            },
            vol_confidence: w(13),
            options,
        })
    }
}
