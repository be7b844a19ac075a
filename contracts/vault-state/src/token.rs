//! ERC20 calls with safe handling of non-standard tokens: a call that reverts is
//! `TokenCallFailed(token)`; a `transfer`/`transferFrom` that returns `false` (or a first
//! word other than 0 or 1) is `TokenBadReturn(token)`; one that returns **nothing** counts as
//! success (USDT-style tokens), which is safe because the vault lists only addresses with
//! code. `balanceOf` and `decimals` must return at least one well-formed word.

use alloc::vec::Vec;

use alloy_primitives::{Address, U256};
use alloy_sol_types::SolError;
use stylus_sdk::call::{call, static_call};
use stylus_sdk::prelude::*;
use stylus_sdk::stylus_core::calls::Call;

use crate::abi::{TokenBadReturn, TokenCallFailed};
use crate::error::Revert;
use crate::pack::{address_word, u256_word};

/// `balanceOf(address)`.
pub const BALANCE_OF: [u8; 4] = [0x70, 0xa0, 0x82, 0x31];
/// `decimals()`.
pub const DECIMALS: [u8; 4] = [0x31, 0x3c, 0xe5, 0x67];
/// `transfer(address,uint256)`.
pub const TRANSFER: [u8; 4] = [0xa9, 0x05, 0x9c, 0xbb];
/// `transferFrom(address,address,uint256)`.
pub const TRANSFER_FROM: [u8; 4] = [0x23, 0xb8, 0x72, 0xdd];

fn calldata(selector: [u8; 4], words: &[[u8; 32]]) -> Vec<u8> {
    Revert::with(selector, words).0
}

fn failed(token: Address) -> Revert {
    Revert::at(TokenCallFailed::SELECTOR, token)
}

fn bad(token: Address) -> Revert {
    Revert::at(TokenBadReturn::SELECTOR, token)
}

/// The first return word, or `TokenBadReturn`.
fn first_word(token: Address, out: &[u8]) -> Result<U256, Revert> {
    out.get(..32)
        .map(U256::from_be_slice)
        .ok_or_else(|| bad(token))
}

/// `token.decimals()` (any `uint8`; the caller bounds it).
pub fn decimals(host: &dyn Host, token: Address) -> Result<u8, Revert> {
    let out = static_call(host, Call::new(), token, &DECIMALS).map_err(|_| failed(token))?;
    u8::try_from(first_word(token, &out)?).map_err(|_| bad(token))
}

/// `token.balanceOf(account)`.
pub fn balance_of(host: &dyn Host, token: Address, account: Address) -> Result<U256, Revert> {
    let data = calldata(BALANCE_OF, &[address_word(account)]);
    let out = static_call(host, Call::new(), token, &data).map_err(|_| failed(token))?;
    first_word(token, &out)
}

/// Checks a `transfer`/`transferFrom` return: nothing, or a first word equal to 1.
fn check_transfer(token: Address, out: &[u8]) -> Result<(), Revert> {
    if out.is_empty() || first_word(token, out)? == U256::from(1u8) {
        Ok(())
    } else {
        Err(bad(token))
    }
}

/// `token.transfer(to, amount)`, checked. `storage` is the calling contract (a mutating call
/// needs it; it is not otherwise touched).
pub fn transfer<S: TopLevelStorage + HostAccess>(
    storage: &mut S,
    token: Address,
    to: Address,
    amount: U256,
) -> Result<(), Revert> {
    let data = calldata(TRANSFER, &[address_word(to), u256_word(amount)]);
    let ctx = Call::new_mutating(storage);
    let out = call(storage.vm(), ctx, token, &data).map_err(|_| failed(token))?;
    check_transfer(token, &out)
}

/// `token.transferFrom(from, to, amount)`, checked.
pub fn transfer_from<S: TopLevelStorage + HostAccess>(
    storage: &mut S,
    token: Address,
    from: Address,
    to: Address,
    amount: U256,
) -> Result<(), Revert> {
    let data = calldata(
        TRANSFER_FROM,
        &[address_word(from), address_word(to), u256_word(amount)],
    );
    let ctx = Call::new_mutating(storage);
    let out = call(storage.vm(), ctx, token, &data).map_err(|_| failed(token))?;
    check_transfer(token, &out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selectors_are_the_erc20_ones() {
        let sel = |s: &str| {
            let h = alloy_primitives::keccak256(s.as_bytes());
            [h[0], h[1], h[2], h[3]]
        };
        assert_eq!(BALANCE_OF, sel("balanceOf(address)"));
        assert_eq!(DECIMALS, sel("decimals()"));
        assert_eq!(TRANSFER, sel("transfer(address,uint256)"));
        assert_eq!(TRANSFER_FROM, sel("transferFrom(address,address,uint256)"));
    }

    #[test]
    fn transfer_returns() {
        let t = Address::repeat_byte(1);
        assert_eq!(check_transfer(t, &[]), Ok(()));
        assert_eq!(check_transfer(t, &u256_word(U256::from(1u8))), Ok(()));
        assert_eq!(check_transfer(t, &u256_word(U256::ZERO)), Err(bad(t)));
        assert_eq!(check_transfer(t, &u256_word(U256::from(2u8))), Err(bad(t)));
        assert_eq!(check_transfer(t, &[1u8; 5]), Err(bad(t)));
    }
}
