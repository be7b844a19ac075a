//! The risk probe's wire format: every field in declaration order, wads and integers as
//! fixed-width big-endian, `bool` one byte, `Option` a tag byte, `Vec` a `u32` length.
//! Each struct lists its fields once ([`wire!`]); decoding builds it with a struct literal,
//! so a field added to keel-risk fails to compile here instead of being skipped.

use alloc::vec::Vec;

use keel_risk::model::cross::{
    CollateralBreakdown, CollateralHolding, CrossAccount, CrossMargin, ExpiryBreakdown, ExpiryData,
    ExpiryHoldings, ExpiryMargin, MarketBreakdown, MarketData, MarketHoldings, MarketMargin,
    OptionBreakdown, OptionHolding, SrmGlobals, SrmParams,
};
use keel_risk::{RiskError, Wad};

/// A value with a wire encoding.
pub trait Wire: Sized {
    /// Appends the encoding.
    fn put(&self, out: &mut Vec<u8>);
    /// Reads one value from the front of `input`.
    fn take(input: &mut &[u8]) -> Option<Self>;

    /// The encoding.
    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.put(&mut out);
        out
    }

    /// The value `bytes` encode, with nothing left over.
    fn decode(mut bytes: &[u8]) -> Option<Self> {
        let value = Self::take(&mut bytes)?;
        bytes.is_empty().then_some(value)
    }
}

fn take_array<const N: usize>(input: &mut &[u8]) -> Option<[u8; N]> {
    let (head, rest) = input.split_first_chunk::<N>()?;
    *input = rest;
    Some(*head)
}

impl Wire for Wad {
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.raw().to_be_bytes());
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        take_array(input).map(|b| Wad::from_raw(i128::from_be_bytes(b)))
    }
}

impl Wire for u64 {
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        take_array(input).map(u64::from_be_bytes)
    }
}

impl Wire for u32 {
    fn put(&self, out: &mut Vec<u8>) {
        out.extend_from_slice(&self.to_be_bytes());
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        take_array(input).map(u32::from_be_bytes)
    }
}

impl Wire for bool {
    fn put(&self, out: &mut Vec<u8>) {
        out.push(u8::from(*self));
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        match take_array::<1>(input)? {
            [0] => Some(false),
            [1] => Some(true),
            _ => None,
        }
    }
}

impl<T: Wire> Wire for Option<T> {
    fn put(&self, out: &mut Vec<u8>) {
        match self {
            None => out.push(0),
            Some(v) => {
                out.push(1);
                v.put(out);
            }
        }
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        match bool::take(input)? {
            false => Some(None),
            true => T::take(input).map(Some),
        }
    }
}

impl<T: Wire> Wire for Vec<T> {
    fn put(&self, out: &mut Vec<u8>) {
        (self.len() as u32).put(out);
        for v in self {
            v.put(out);
        }
    }
    fn take(input: &mut &[u8]) -> Option<Self> {
        let n = u32::take(input)? as usize;
        // Every element takes at least one byte: a longer count is refused before allocating.
        if n > input.len() {
            return None;
        }
        (0..n).map(|_| T::take(input)).collect()
    }
}

/// Implements [`Wire`] for a struct from its field list.
macro_rules! wire {
    ($($ty:ident { $($field:ident),* $(,)? })*) => {$(
        impl Wire for $ty {
            fn put(&self, out: &mut Vec<u8>) {
                $(self.$field.put(out);)*
            }
            fn take(input: &mut &[u8]) -> Option<Self> {
                Some($ty { $($field: Wire::take(input)?),* })
            }
        }
    )*};
}

wire! {
    SrmParams {
        max_spot_req, min_spot_req, mm_call_spot_req, mm_put_spot_req, mm_put_mtm_req,
        unpaired_im_scale, unpaired_mm_scale, mm_offset_scale, perp_im_req, perp_mm_req,
        base_margin_factor, base_im_scale, oc_perp_threshold, oc_option_threshold,
        oc_base_threshold, oc_factor,
    }
    SrmGlobals {
        stable_price, depeg_threshold, depeg_factor, collateral_oc_threshold,
        collateral_oc_factor,
    }
    MarketData { spot, spot_confidence, perp_price, perp_confidence, params }
    ExpiryData { expiry, forward, forward_confidence, vol_confidence }
    OptionHolding { strike, is_call, amount, vol }
    ExpiryHoldings { data, options }
    MarketHoldings { data, perp_size, perp_unsettled_cash, base_balance, expiries }
    CollateralHolding { amount, price, confidence, mm_haircut, im_haircut, market }
    CrossAccount { time, cash, globals, markets, collaterals }
    OptionBreakdown { price, mtm, im, mm }
    ExpiryMargin { isolated, unpaired_charge, max_loss, chosen, oracle_contingency, total }
    ExpiryBreakdown { expiry, net_calls, total_shorts, mtm, options, im, mm }
    MarketMargin {
        perp, perp_oracle_contingency, options, base, base_oracle_contingency, depeg,
        unsettled, total,
    }
    MarketBreakdown { depeg_exposure, base_notional, mtm, expiries, im, mm }
    CollateralBreakdown { value, mm, im_before_contingency, oracle_contingency, im, mtm }
    CrossMargin { im, mm, mtm, cash, markets, collaterals }
}

/// The probe's answer: `0x00 ‖ result` or `0x01 ‖ the error's name`.
pub fn answer(result: &Result<CrossMargin, RiskError>) -> Vec<u8> {
    match result {
        Ok(margin) => {
            let mut out = alloc::vec![0];
            margin.put(&mut out);
            out
        }
        Err(e) => {
            let mut out = alloc::vec![1];
            out.extend_from_slice(e.name().as_bytes());
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_round_trip_and_trailing_or_short_input_is_refused() {
        let option = OptionHolding {
            strike: Wad::from_int(2_000),
            is_call: true,
            amount: Wad::from_raw(-5),
            vol: Wad::ratio(3, 5),
        };
        let account = CrossAccount {
            time: 1_630_000_000,
            cash: Wad::from_int(-7),
            markets: alloc::vec![MarketHoldings {
                expiries: alloc::vec![ExpiryHoldings {
                    options: alloc::vec![option, option],
                    ..Default::default()
                }],
                ..Default::default()
            }],
            collaterals: alloc::vec![CollateralHolding {
                market: Some(0),
                ..Default::default()
            }],
            ..Default::default()
        };
        let bytes = account.encode();
        assert_eq!(CrossAccount::decode(&bytes), Some(account));
        assert_eq!(CrossAccount::decode(&bytes[..bytes.len() - 1]), None);
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(CrossAccount::decode(&longer), None);
        // A boolean is 0 or 1, and a count longer than the input is refused.
        assert_eq!(bool::decode(&[2]), None);
        assert_eq!(Vec::<Wad>::decode(&[0, 0, 0, 9]), None);
    }
}
