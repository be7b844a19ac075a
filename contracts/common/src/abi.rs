//! Hand-written ABI plumbing for contracts that must fit the 24,576-byte deployable budget:
//! static 32-byte words, revert data, event logs, return data and a checked calldata reader.
//!
//! stylus-sdk's typed paths (a `SolidityError` derive, `vm().log(event)`, a typed `#[public]`
//! router) produce the same bytes but monomorphise alloy's generic encoder and decoder once
//! per error, event and function, and `log` unwraps a `Result`, which links `Debug`
//! formatting; together that is several kilobytes of the budget. Every error, event and
//! argument these contracts handle is made of static words, so each is written or read here
//! word by word:
//!
//! * [`Word`] — a value as its ABI word (`address`, `uintN`, `intN`, `bool`, a wad as
//!   `int256`/`uint256`), with the raw-word helpers [`address_word`], [`uint_word`] and
//!   [`int_word`];
//! * [`revert_data`] — a custom error: `selector ‖ words`;
//! * [`emit`] — a log: topics (signature hash, then indexed fields) plus data words;
//! * [`Encoder`] — return data, word by word;
//! * [`Calldata`] — the arguments of a call, read word by word and checked as Solidity's
//!   decoder checks them; it never panics, whatever the calldata. A word that is missing, an
//!   `address`/`uintN`/`bool` with bits beyond its type, or a dynamic array whose offset or
//!   length points outside the calldata is [`DecodeError::Malformed`] (Solidity reverts with
//!   empty data); a `uint256`/`int256` outside the wad range (`int128`) is
//!   [`DecodeError::WadOverflow`]. The reader returns the contract's own error type `E`
//!   through `E: From<DecodeError>`, so each contract chooses the revert of both.
//!
//! Contracts test every error and event they write this way by decoding it with alloy's
//! `SolError`/`SolEvent` of their `sol!` declarations, so the two cannot drift apart.

use alloc::vec::Vec;
use core::marker::PhantomData;

use alloy_primitives::{Address, B256, I256, U256};
use keel_risk::Wad;
use stylus_sdk::stylus_core::host::Host;

use crate::convert::sign_extend;

/// An address as a raw ABI word (left-padded with zeros).
#[inline]
pub fn address_word(a: Address) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(a.as_slice());
    w
}

/// An unsigned integer as a raw ABI word.
#[inline]
pub fn uint_word(x: u128) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[16..].copy_from_slice(&x.to_be_bytes());
    w
}

/// A signed integer as a raw ABI word (sign-extended to 256 bits).
#[inline]
pub fn int_word(x: i128) -> [u8; 32] {
    sign_extend(x)
}

/// A value that is one static ABI word.
pub trait Word {
    /// The value as its 32-byte ABI encoding.
    fn word(&self) -> B256;
}

impl Word for B256 {
    #[inline]
    fn word(&self) -> B256 {
        *self
    }
}

impl Word for Address {
    #[inline]
    fn word(&self) -> B256 {
        self.into_word()
    }
}

impl Word for U256 {
    #[inline]
    fn word(&self) -> B256 {
        B256::from(self.to_be_bytes::<32>())
    }
}

impl Word for I256 {
    #[inline]
    fn word(&self) -> B256 {
        self.into_raw().word()
    }
}

/// A wad as `int256` (sign-extended); for a non-negative wad this is also its `uint256`.
impl Word for Wad {
    #[inline]
    fn word(&self) -> B256 {
        B256::from(int_word(self.raw()))
    }
}

impl Word for i128 {
    #[inline]
    fn word(&self) -> B256 {
        B256::from(int_word(*self))
    }
}

impl Word for u128 {
    #[inline]
    fn word(&self) -> B256 {
        B256::from(uint_word(*self))
    }
}

impl Word for u64 {
    #[inline]
    fn word(&self) -> B256 {
        u128::from(*self).word()
    }
}

impl Word for u16 {
    #[inline]
    fn word(&self) -> B256 {
        u128::from(*self).word()
    }
}

impl Word for u8 {
    #[inline]
    fn word(&self) -> B256 {
        u128::from(*self).word()
    }
}

impl Word for bool {
    #[inline]
    fn word(&self) -> B256 {
        u128::from(*self).word()
    }
}

/// The revert data of a custom error: `selector ‖ words` (no words: an error without
/// arguments). Empty revert data is `Vec::new()`.
#[inline]
pub fn revert_data(selector: [u8; 4], words: &[B256]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + 32 * words.len());
    out.extend_from_slice(&selector);
    for w in words {
        out.extend_from_slice(w.as_slice());
    }
    out
}

/// Emits a log with `topics` (at most 4: the event's signature hash, then its indexed
/// fields) and the data `words` (its other fields, in order).
pub fn emit<H: Host + ?Sized>(host: &H, topics: &[B256], words: &[B256]) {
    let mut bytes = Vec::with_capacity(32 * (topics.len() + words.len()));
    for w in topics.iter().chain(words) {
        bytes.extend_from_slice(w.as_slice());
    }
    host.emit_log(&bytes, topics.len());
}

/// ABI return data under construction, one static word at a time.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Encoder(Vec<u8>);

impl Encoder {
    /// An empty encoding with room for `words` words.
    pub fn new(words: usize) -> Encoder {
        Encoder(Vec::with_capacity(32 * words))
    }

    /// Appends `value` as one word.
    pub fn word<W: Word>(mut self, value: W) -> Encoder {
        self.0.extend_from_slice(value.word().as_slice());
        self
    }

    /// Appends `words`.
    pub fn words(mut self, words: &[B256]) -> Encoder {
        for w in words {
            self.0.extend_from_slice(w.as_slice());
        }
        self
    }

    /// The encoded bytes.
    pub fn into_vec(self) -> Vec<u8> {
        self.0
    }
}

/// Why calldata does not decode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DecodeError {
    /// Too short, bits beyond an argument's type, or a dynamic array's offset or length
    /// outside the calldata: Solidity reverts with empty data.
    Malformed,
    /// A `uint256`/`int256` argument outside the wad range (`int128`).
    WadOverflow,
}

/// The arguments of a call (the calldata after the selector), read word by word. Every
/// reader returns `Err(E::from(DecodeError))` instead of panicking; trailing calldata is
/// ignored.
pub struct Calldata<'a, E> {
    data: &'a [u8],
    error: PhantomData<fn() -> E>,
}

impl<'a, E: From<DecodeError>> Calldata<'a, E> {
    /// The arguments `data` (without the selector).
    pub fn new(data: &'a [u8]) -> Self {
        Calldata {
            data,
            error: PhantomData,
        }
    }

    /// Word `i`.
    pub fn word(&self, i: usize) -> Result<&'a [u8; 32], E> {
        i.checked_mul(32)
            .and_then(|at| self.data.get(at..at.checked_add(32)?))
            .and_then(|s| s.try_into().ok())
            .ok_or_else(malformed)
    }

    /// Word `i`, which must hold a value of `bytes` bytes (≤ 32; the bytes above are zero).
    pub fn narrow(&self, i: usize, bytes: usize) -> Result<&'a [u8; 32], E> {
        let w = self.word(i)?;
        if w[..32usize.saturating_sub(bytes)].iter().any(|&b| b != 0) {
            return Err(malformed());
        }
        Ok(w)
    }

    /// The unsigned integer of `bytes` bytes at word `i` (`uint8` = 1 … `uint128` = 16; a
    /// wider `bytes` is read as 16, so a value beyond `u128` is refused, never truncated).
    pub fn uint(&self, i: usize, bytes: usize) -> Result<u128, E> {
        let w = self.narrow(i, bytes.min(16))?;
        let mut low = [0u8; 16];
        low.copy_from_slice(&w[16..]);
        Ok(u128::from_be_bytes(low))
    }

    /// The `address` at word `i`.
    pub fn address(&self, i: usize) -> Result<Address, E> {
        Ok(Address::from_slice(&self.narrow(i, 20)?[12..]))
    }

    /// The `uint64` at word `i`.
    pub fn u64(&self, i: usize) -> Result<u64, E> {
        Ok(self.uint(i, 8)? as u64)
    }

    /// The `bool` at word `i` (0 or 1).
    pub fn boolean(&self, i: usize) -> Result<bool, E> {
        match self.uint(i, 1)? {
            0 => Ok(false),
            1 => Ok(true),
            _ => Err(malformed()),
        }
    }

    /// The `uint256` at word `i`, which must fit a non-negative wad (`< 2¹²⁷`).
    pub fn uwad(&self, i: usize) -> Result<Wad, E> {
        let w = self.word(i)?;
        let v = low_i128(w);
        if w[..16].iter().any(|&b| b != 0) || v < 0 {
            return Err(E::from(DecodeError::WadOverflow));
        }
        Ok(Wad::from_raw(v))
    }

    /// The `int256` at word `i`, which must fit a wad (`int128`).
    pub fn swad(&self, i: usize) -> Result<Wad, E> {
        let w = self.word(i)?;
        let v = low_i128(w);
        let extension = if v < 0 { 0xff } else { 0 };
        if w[..16].iter().any(|&b| b != extension) {
            return Err(E::from(DecodeError::WadOverflow));
        }
        Ok(Wad::from_raw(v))
    }

    /// The `address[]` whose offset (in bytes from the start of the arguments, a multiple
    /// of 32) is word `i`. Its length word and every element must lie inside the calldata,
    /// so nothing is allocated beyond the calldata's size.
    pub fn addresses(&self, i: usize) -> Result<Vec<Address>, E> {
        let offset = usize::try_from(self.uint(i, 8)?).map_err(|_| malformed())?;
        if offset % 32 != 0 {
            return Err(malformed());
        }
        let head = offset / 32;
        let len = usize::try_from(self.uint(head, 8)?).map_err(|_| malformed())?;
        if len > self.data.len() / 32 {
            return Err(malformed());
        }
        let mut out = Vec::with_capacity(len);
        for k in 0..len {
            out.push(self.address(head + 1 + k)?);
        }
        Ok(out)
    }
}

fn malformed<E: From<DecodeError>>() -> E {
    E::from(DecodeError::Malformed)
}

fn low_i128(w: &[u8; 32]) -> i128 {
    let mut low = [0u8; 16];
    low.copy_from_slice(&w[16..]);
    i128::from_be_bytes(low)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_sol_types::{sol, SolCall, SolError, SolEvent, SolValue};
    use stylus_sdk::testing::TestVM;

    type Args<'a> = Calldata<'a, DecodeError>;
    use DecodeError::{Malformed, WadOverflow};

    sol! {
        #[derive(Debug, PartialEq, Eq)]
        error Sample(address who, uint64 when, int256 delta, bool flag);
        #[derive(Debug, PartialEq, Eq)]
        event Moved(address indexed from, uint64 indexed at, uint256 amount, int256 delta);
        function take(address a, uint8 b, uint64 c, bool d, uint256 e, int256 f, address[] g);
    }

    fn calldata(words: &[[u8; 32]]) -> Vec<u8> {
        words.concat()
    }

    #[test]
    fn raw_words() {
        assert_eq!(U256::from_be_bytes(uint_word(77)), U256::from(77));
        assert_eq!(int_word(-1), [0xff; 32]);
        assert_eq!(
            I256::from_raw(U256::from_be_bytes(int_word(-5))),
            I256::unchecked_from(-5)
        );
        let a = Address::repeat_byte(3);
        assert_eq!(Address::from_word(address_word(a).into()), a);
    }

    #[test]
    fn words_match_alloy() {
        let a = Address::repeat_byte(0x11);
        assert_eq!(a.word().as_slice(), a.abi_encode().as_slice());
        let u = U256::MAX - U256::from(3);
        assert_eq!(u.word().as_slice(), u.abi_encode().as_slice());
        let i = I256::MINUS_ONE;
        assert_eq!(i.word().as_slice(), i.abi_encode().as_slice());
        assert_eq!(7u8.word(), U256::from(7).word());
        assert_eq!(700u16.word().as_slice(), 700u16.abi_encode().as_slice());
        assert_eq!(u64::MAX.word().as_slice(), u64::MAX.abi_encode().as_slice());
        assert_eq!(
            u128::MAX.word().as_slice(),
            u128::MAX.abi_encode().as_slice()
        );
        assert_eq!(
            i128::MIN.word().as_slice(),
            i128::MIN.abi_encode().as_slice()
        );
        assert_eq!(true.word().as_slice(), true.abi_encode().as_slice());
        assert_eq!(false.word(), B256::ZERO);
        let w = Wad::from_raw(-3);
        assert_eq!(
            w.word().as_slice(),
            I256::unchecked_from(-3).abi_encode().as_slice()
        );
        assert_eq!(Wad::ONE.word(), U256::from(10u64.pow(18)).word());
        let b = B256::repeat_byte(9);
        assert_eq!(b.word(), b);
    }

    #[test]
    fn revert_data_decodes_as_the_error() {
        let e = Sample {
            who: Address::repeat_byte(0xaa),
            when: 1_700_000_000,
            delta: I256::unchecked_from(-42),
            flag: true,
        };
        let data = revert_data(
            Sample::SELECTOR,
            &[e.who.word(), e.when.word(), e.delta.word(), e.flag.word()],
        );
        assert_eq!(data, e.abi_encode());
        assert_eq!(Sample::abi_decode(&data).unwrap(), e);
        assert_eq!(revert_data([1, 2, 3, 4], &[]), [1, 2, 3, 4]);
    }

    #[test]
    fn emit_writes_topics_then_data() {
        let vm = TestVM::default();
        let from = Address::repeat_byte(0x22);
        emit(
            &vm,
            &[Moved::SIGNATURE_HASH, from.word(), 9u64.word()],
            &[U256::from(5).word(), I256::MINUS_ONE.word()],
        );
        let logs = vm.get_emitted_logs();
        assert_eq!(logs.len(), 1);
        let (topics, data) = &logs[0];
        let decoded = Moved::decode_raw_log(topics.iter().copied(), data).unwrap();
        assert_eq!(
            decoded,
            Moved {
                from,
                at: 9,
                amount: U256::from(5),
                delta: I256::MINUS_ONE
            }
        );
    }

    #[test]
    fn encoder_appends_words() {
        let out = Encoder::new(3)
            .word(Address::repeat_byte(1))
            .word(5u64)
            .words(&[Wad::from_raw(-1).word()])
            .into_vec();
        assert_eq!(
            out,
            (Address::repeat_byte(1), 5u64, I256::MINUS_ONE).abi_encode_params()
        );
        assert!(Encoder::new(4).into_vec().is_empty());
    }

    #[test]
    fn reads_what_alloy_encodes() {
        let g = vec![Address::repeat_byte(7), Address::repeat_byte(8)];
        let call = takeCall {
            a: Address::repeat_byte(1),
            b: 200,
            c: u64::MAX,
            d: true,
            e: U256::from(i128::MAX),
            f: I256::unchecked_from(i128::MIN),
            g: g.clone(),
        };
        let data = call.abi_encode();
        let a = Args::new(&data[4..]);
        assert_eq!(a.address(0), Ok(call.a));
        assert_eq!(a.uint(1, 1), Ok(200));
        assert_eq!(a.u64(2), Ok(u64::MAX));
        assert_eq!(a.boolean(3), Ok(true));
        assert_eq!(a.uwad(4), Ok(Wad::MAX));
        assert_eq!(a.swad(5), Ok(Wad::from_raw(i128::MIN)));
        assert_eq!(a.addresses(6), Ok(g));
        assert_eq!(a.word(0), Ok(&address_word(call.a)));
    }

    #[test]
    fn truncated_calldata_is_malformed() {
        let data = calldata(&[uint_word(1)]);
        let a = Args::new(&data);
        assert_eq!(a.u64(0), Ok(1));
        assert_eq!(a.u64(1), Err(Malformed));
        let short = Args::new(&data[..31]);
        assert_eq!(short.word(0), Err(Malformed));
        assert_eq!(short.address(0), Err(Malformed));
        assert_eq!(short.boolean(0), Err(Malformed));
        assert_eq!(short.uwad(0), Err(Malformed));
        assert_eq!(short.swad(0), Err(Malformed));
        assert_eq!(short.addresses(0), Err(Malformed));
        // Indices whose byte offset overflows `usize`.
        assert_eq!(a.word(usize::MAX), Err(Malformed));
        assert_eq!(a.word(usize::MAX / 32), Err(Malformed));
        assert_eq!(Args::new(&[]).word(0), Err(Malformed));
    }

    #[test]
    fn dirty_high_bytes_are_malformed() {
        let mut w = address_word(Address::repeat_byte(0xff));
        w[11] = 1;
        let data = calldata(&[w, uint_word(1 << 64), uint_word(256), uint_word(u128::MAX)]);
        let a = Args::new(&data);
        assert_eq!(a.address(0), Err(Malformed));
        assert_eq!(a.u64(1), Err(Malformed));
        assert_eq!(a.uint(1, 9), Ok(1 << 64));
        assert_eq!(a.uint(2, 1), Err(Malformed));
        assert_eq!(a.uint(2, 2), Ok(256));
        assert_eq!(a.narrow(3, 15), Err(Malformed));
        assert_eq!(a.uint(3, 16), Ok(u128::MAX));
        // Wider than 16 bytes is read as 16: a value beyond `u128` is refused.
        let big = calldata(&[U256::MAX.word().0]);
        assert_eq!(Args::new(&big).uint(0, 32), Err(Malformed));
        assert_eq!(Args::new(&big).narrow(0, 32), Ok(&[0xff; 32]));
        assert_eq!(Args::new(&big).narrow(0, 99), Ok(&[0xff; 32]));
    }

    #[test]
    fn bools_are_zero_or_one() {
        let data = calldata(&[uint_word(0), uint_word(1), uint_word(2), uint_word(256)]);
        let a = Args::new(&data);
        assert_eq!(a.boolean(0), Ok(false));
        assert_eq!(a.boolean(1), Ok(true));
        assert_eq!(a.boolean(2), Err(Malformed));
        assert_eq!(a.boolean(3), Err(Malformed));
    }

    #[test]
    fn wads_overflow_both_signs() {
        let i = |x: I256| x.word().0;
        let u = |x: U256| x.word().0;
        let data = calldata(&[
            u(U256::from(i128::MAX as u128 + 1)),
            u(U256::from(u128::MAX)),
            u(U256::from(1) << 200),
            i(I256::unchecked_from(i128::MAX) + I256::ONE),
            i(I256::unchecked_from(i128::MIN) - I256::ONE),
            i(I256::MIN),
            i(I256::MINUS_ONE),
            uint_word(0),
        ]);
        let a = Args::new(&data);
        assert_eq!(a.uwad(0), Err(WadOverflow));
        assert_eq!(a.uwad(1), Err(WadOverflow));
        assert_eq!(a.uwad(2), Err(WadOverflow));
        assert_eq!(a.swad(3), Err(WadOverflow));
        assert_eq!(a.swad(4), Err(WadOverflow));
        assert_eq!(a.swad(5), Err(WadOverflow));
        // A negative `uint256` does not exist; as `int256` −1 is a wad.
        assert_eq!(a.uwad(6), Err(WadOverflow));
        assert_eq!(a.swad(6), Ok(Wad::from_raw(-1)));
        assert_eq!(a.uwad(7), Ok(Wad::ZERO));
        assert_eq!(a.swad(7), Ok(Wad::ZERO));
        // A positive low half under a 0xff extension is not a wad either.
        let mut mixed = [0xff; 32];
        mixed[16] = 0x7f;
        assert_eq!(Args::new(&mixed).swad(0), Err(WadOverflow));
    }

    #[test]
    fn arrays_check_offsets_and_lengths() {
        let x = address_word(Address::repeat_byte(5));
        let ok = calldata(&[uint_word(32), uint_word(1), x]);
        assert_eq!(
            Args::new(&ok).addresses(0),
            Ok(vec![Address::repeat_byte(5)])
        );
        let empty = calldata(&[uint_word(32), uint_word(0)]);
        assert_eq!(Args::new(&empty).addresses(0), Ok(vec![]));
        let cases: [&[[u8; 32]]; 7] = [
            // Offset not a multiple of 32.
            &[uint_word(33), uint_word(1), x],
            // Offset beyond the calldata.
            &[uint_word(96), uint_word(1), x],
            // Offset wider than 64 bits.
            &[uint_word(1 << 64), uint_word(1), x],
            // Length beyond the calldata (no allocation of that size).
            &[uint_word(32), uint_word(u64::MAX.into()), x],
            // Length wider than 64 bits.
            &[uint_word(32), uint_word(1 << 64), x],
            // One element fewer than the length.
            &[uint_word(32), uint_word(2), x],
            // An element with dirty high bytes.
            &[uint_word(32), uint_word(1), [0xff; 32]],
        ];
        for (k, words) in cases.iter().enumerate() {
            let data = calldata(words);
            assert_eq!(Args::new(&data).addresses(0), Err(Malformed), "case {k}");
        }
    }

    #[test]
    fn errors_convert_into_the_callers_type() {
        #[derive(Debug, PartialEq)]
        struct Revert(Vec<u8>);
        impl From<DecodeError> for Revert {
            fn from(e: DecodeError) -> Revert {
                match e {
                    Malformed => Revert(Vec::new()),
                    WadOverflow => Revert(revert_data([9, 9, 9, 9], &[])),
                }
            }
        }
        let data = calldata(&[[0xff; 32]]);
        let a = Calldata::<Revert>::new(&data);
        assert_eq!(a.address(0), Err(Revert(Vec::new())));
        assert_eq!(a.uwad(0), Err(Revert(vec![9, 9, 9, 9])));
        assert_eq!(a.swad(0), Ok(Wad::from_raw(-1)));
    }
}
