//! # keel-test-token
//!
//! A **test-only** ERC-20 as a Stylus program, never deployed on a chain: the end-to-end tests
//! (`scripts/tests/e2e.rs`) run it on the embedded host at the USDC and WETH addresses and as
//! the collateral tokens of the special flows. It owns nothing but its own balances.
//!
//! * ERC-20 core, no name or symbol: `decimals` (set by the constructor), `totalSupply`,
//!   `balanceOf`, `allowance`, `approve`, `transfer`, `transferFrom` (an allowance of
//!   `type(uint256).max` is infinite and never decreases) and the `Transfer` / `Approval`
//!   events. Failures revert with `InsufficientBalance` / `InsufficientAllowance`.
//! * **`mint(to, amount)` may be called by anyone**: this token exists to fund test accounts.
//! * **Fee on transfer** (`setFee(bps)`, anyone, at most 10,000): every `transfer` and
//!   `transferFrom` of `amount` debits the sender `amount`, credits the recipient
//!   `amount − fee` with `fee = ⌊amount · bps / 10,000⌋`, and burns the fee (a second
//!   `Transfer` to the zero address; `totalSupply` falls).
//! * **Reentrant hook** (`setHook(target, data)`, anyone; a zero `target` removes it): after
//!   every `transfer` / `transferFrom` has moved the balances (and emitted its events), the
//!   token calls `target` with `data`, forwarding all gas, and records whether the call
//!   succeeded and what it returned or reverted with (`lastHookResult()`) and how many hook
//!   calls were made (`hookCalls()`). A failing hook **does not** revert the transfer, so a
//!   test can read the refusal afterwards. The hook fires **once per outermost transfer**:
//!   while it runs, transfers made from inside it (directly or through the target) move
//!   balances without calling it again, so a hook that reaches the token cannot recurse.

#![cfg_attr(not(test), no_main)]
#![cfg_attr(target_arch = "wasm32", no_std)]
#![warn(missing_docs)]

extern crate alloc;

use alloc::vec::Vec;

use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_sol_types::{sol, SolEvent};
use stylus_sdk::call::call;
use stylus_sdk::prelude::*;
use stylus_sdk::storage::{
    StorageAddress, StorageBool, StorageBytes, StorageMap, StorageU16, StorageU256, StorageU8,
};
use stylus_sdk::stylus_core::calls::errors::Error as CallError;
use stylus_sdk::stylus_core::calls::Call;

/// The largest fee: 100 %.
pub const MAX_FEE_BPS: u16 = 10_000;

sol! {
    /// `value` tokens moved from `from` to `to` (`to` zero: burned; `from` zero: minted).
    #[derive(Debug, PartialEq, Eq)]
    event Transfer(address indexed from, address indexed to, uint256 value);
    /// `owner` allowed `spender` to move `value` of its tokens.
    #[derive(Debug, PartialEq, Eq)]
    event Approval(address indexed owner, address indexed spender, uint256 value);

    /// `account` holds `balance`, less than the `needed` amount.
    #[derive(Debug, PartialEq, Eq)]
    error InsufficientBalance(address account, uint256 balance, uint256 needed);
    /// `spender` may move `allowance`, less than the `needed` amount.
    #[derive(Debug, PartialEq, Eq)]
    error InsufficientAllowance(address spender, uint256 allowance, uint256 needed);
    /// A fee above 10,000 bps.
    #[derive(Debug, PartialEq, Eq)]
    error FeeTooHigh(uint16 bps);
    /// Minting would take the total supply beyond `type(uint256).max`.
    #[derive(Debug, PartialEq, Eq)]
    error SupplyOverflow();
}

/// Every way a call can fail; each variant reverts with the Solidity error of its name.
#[derive(SolidityError, Debug, PartialEq, Eq)]
pub enum TokenError {
    /// `InsufficientBalance(account, balance, needed)`.
    InsufficientBalance(InsufficientBalance),
    /// `InsufficientAllowance(spender, allowance, needed)`.
    InsufficientAllowance(InsufficientAllowance),
    /// `FeeTooHigh(bps)`.
    FeeTooHigh(FeeTooHigh),
    /// `SupplyOverflow()`.
    SupplyOverflow(SupplyOverflow),
}

pub use contract::TestToken;

// `#[entrypoint]` and `#[storage]` generate undocumented items.
#[allow(missing_docs)]
mod contract {
    use super::*;
    // `vec!` is used by the code `#[storage]` generates.
    #[allow(unused_imports)]
    use alloc::vec;

    /// The token's storage.
    #[storage]
    #[entrypoint]
    pub struct TestToken {
        decimals: StorageU8,
        total_supply: StorageU256,
        balances: StorageMap<Address, StorageU256>,
        allowances: StorageMap<Address, StorageMap<Address, StorageU256>>,
        fee_bps: StorageU16,
        hook_target: StorageAddress,
        hook_data: StorageBytes,
        /// Set while the hook runs: nested transfers do not call it again.
        hook_running: StorageBool,
        hook_calls: StorageU256,
        last_hook_ok: StorageBool,
        last_hook_data: StorageBytes,
    }

    #[public]
    impl TestToken {
        /// Sets the decimals (run once, with the deployment).
        #[constructor]
        pub fn constructor(&mut self, decimals: u8) {
            self.decimals.set(alloy_primitives::U8::from(decimals));
        }

        /// The decimals set at construction.
        pub fn decimals(&self) -> u8 {
            self.decimals.get().to::<u8>()
        }

        /// Tokens in existence (minted less burned fees).
        pub fn total_supply(&self) -> U256 {
            self.total_supply.get()
        }

        /// `account`'s balance.
        pub fn balance_of(&self, account: Address) -> U256 {
            self.balances.get(account)
        }

        /// What `spender` may move of `owner`'s tokens.
        pub fn allowance(&self, owner: Address, spender: Address) -> U256 {
            self.allowances.getter(owner).get(spender)
        }

        /// Anyone (test-only): creates `amount` tokens for `to`.
        pub fn mint(&mut self, to: Address, amount: U256) -> Result<(), TokenError> {
            let supply = self
                .total_supply
                .get()
                .checked_add(amount)
                .ok_or(TokenError::SupplyOverflow(SupplyOverflow {}))?;
            self.total_supply.set(supply);
            // A balance is at most the supply, which did not overflow.
            let balance = self.balances.get(to).wrapping_add(amount);
            self.balances.setter(to).set(balance);
            self.emit_transfer(Address::ZERO, to, amount);
            Ok(())
        }

        /// Allows `spender` to move `amount` of the caller's tokens.
        pub fn approve(&mut self, spender: Address, amount: U256) -> bool {
            let owner = self.vm().msg_sender();
            self.allowances.setter(owner).setter(spender).set(amount);
            emit3(self.vm(), Approval::SIGNATURE_HASH, owner, spender, amount);
            true
        }

        /// Moves `amount` of the caller's tokens to `to` (less the fee), then runs the hook.
        pub fn transfer(&mut self, to: Address, amount: U256) -> Result<bool, TokenError> {
            let from = self.vm().msg_sender();
            self.move_tokens(from, to, amount)?;
            self.run_hook();
            Ok(true)
        }

        /// Moves `amount` of `from`'s tokens to `to` (less the fee) on the caller's
        /// allowance, then runs the hook.
        pub fn transfer_from(
            &mut self,
            from: Address,
            to: Address,
            amount: U256,
        ) -> Result<bool, TokenError> {
            let spender = self.vm().msg_sender();
            let allowed = self.allowance(from, spender);
            if allowed != U256::MAX {
                let left = allowed
                    .checked_sub(amount)
                    .ok_or(TokenError::InsufficientAllowance(InsufficientAllowance {
                        spender,
                        allowance: allowed,
                        needed: amount,
                    }))?;
                self.allowances.setter(from).setter(spender).set(left);
            }
            self.move_tokens(from, to, amount)?;
            self.run_hook();
            Ok(true)
        }

        /// Anyone (test-only): the fee on every transfer, in bps of the amount (≤ 10,000).
        pub fn set_fee(&mut self, bps: u16) -> Result<(), TokenError> {
            if bps > MAX_FEE_BPS {
                return Err(TokenError::FeeTooHigh(FeeTooHigh { bps }));
            }
            self.fee_bps.set(alloy_primitives::U16::from(bps));
            Ok(())
        }

        /// The fee in bps.
        pub fn fee(&self) -> u16 {
            self.fee_bps.get().to::<u16>()
        }

        /// Anyone (test-only): after every transfer, call `target` with `data` (zero
        /// `target`: no hook). Clears the last recorded result.
        pub fn set_hook(&mut self, target: Address, data: Bytes) {
            self.hook_target.set(target);
            self.hook_data.set_bytes(&data);
            self.last_hook_ok.set(false);
            self.last_hook_data.set_bytes([]);
        }

        /// The hook's target and calldata.
        pub fn hook(&self) -> (Address, Bytes) {
            (
                self.hook_target.get(),
                Bytes::from(self.hook_data.get_bytes()),
            )
        }

        /// Whether the last hook call succeeded, and its return data (success) or revert
        /// data (failure).
        pub fn last_hook_result(&self) -> (bool, Bytes) {
            (
                self.last_hook_ok.get(),
                Bytes::from(self.last_hook_data.get_bytes()),
            )
        }

        /// How many hook calls were made.
        pub fn hook_calls(&self) -> U256 {
            self.hook_calls.get()
        }
    }

    impl TestToken {
        /// Debits `from` `amount`, credits `to` `amount − fee`, burns the fee.
        fn move_tokens(
            &mut self,
            from: Address,
            to: Address,
            amount: U256,
        ) -> Result<(), TokenError> {
            let balance = self.balances.get(from);
            let remaining = balance
                .checked_sub(amount)
                .ok_or(TokenError::InsufficientBalance(InsufficientBalance {
                    account: from,
                    balance,
                    needed: amount,
                }))?;
            self.balances.setter(from).set(remaining);
            let fee = fee_of(amount, self.fee());
            // `fee ≤ amount`, and the recipient's balance plus the net is at most the supply.
            let net = amount.wrapping_sub(fee);
            let credited = self.balances.get(to).wrapping_add(net);
            self.balances.setter(to).set(credited);
            self.emit_transfer(from, to, net);
            if !fee.is_zero() {
                // `fee ≤ amount ≤ balance ≤ supply`.
                self.total_supply
                    .set(self.total_supply.get().wrapping_sub(fee));
                self.emit_transfer(from, Address::ZERO, fee);
            }
            Ok(())
        }

        fn emit_transfer(&self, from: Address, to: Address, value: U256) {
            emit3(self.vm(), Transfer::SIGNATURE_HASH, from, to, value);
        }

        /// Calls the hook when one is set and none is running; records its result.
        fn run_hook(&mut self) {
            let target = self.hook_target.get();
            if target.is_zero() || self.hook_running.get() {
                return;
            }
            let data: Vec<u8> = self.hook_data.get_bytes();
            self.hook_running.set(true);
            self.hook_calls
                .set(self.hook_calls.get().saturating_add(U256::from(1u8)));
            let context = Call::new_mutating(self);
            let outcome = call(self.vm(), context, target, &data);
            self.hook_running.set(false);
            let (ok, returned) = match outcome {
                Ok(returned) => (true, returned),
                Err(CallError::Revert(reason)) => (false, reason),
                Err(_) => (false, Vec::new()),
            };
            self.last_hook_ok.set(ok);
            self.last_hook_data.set_bytes(returned);
        }
    }
}

/// Logs an event with two indexed addresses and one `uint256` of data, its words written by
/// hand (alloy's generic event encoder costs kilobytes of the deployable budget).
fn emit3(host: &dyn Host, topic0: B256, a: Address, b: Address, value: U256) {
    let topics = [topic0, a.into_word(), b.into_word()];
    // `raw_log` fails only for more than four topics.
    let _ = host.raw_log(&topics, &value.to_be_bytes::<32>());
}

/// The fee on `amount` at `bps`: `⌊amount · bps / 10,000⌋`, at most `amount`.
///
/// `amount · bps` is computed as a 320-bit product and divided limb by limb by 10,000, without
/// 256-bit division (whose generic code alone would take the program past the deployable
/// budget).
pub fn fee_of(amount: U256, bps: u16) -> U256 {
    let bps = u128::from(bps.min(MAX_FEE_BPS));
    let divisor = u128::from(MAX_FEE_BPS);
    // The product, five 64-bit limbs, least significant first.
    let mut product = [0u64; 5];
    let mut carry: u128 = 0;
    for (i, limb) in amount.as_limbs().iter().enumerate() {
        let x = u128::from(*limb) * bps + carry;
        product[i] = x as u64;
        carry = x >> 64;
    }
    product[4] = carry as u64;
    let mut quotient = [0u64; 5];
    let mut rem: u128 = 0;
    for i in (0..5).rev() {
        let current = rem << 64 | u128::from(product[i]);
        quotient[i] = (current / divisor) as u64;
        rem = current % divisor;
    }
    // `bps ≤ 10,000`, so the quotient is at most `amount` and its fifth limb is zero.
    U256::from_limbs([quotient[0], quotient[1], quotient[2], quotient[3]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fee_is_floored_and_never_exceeds_the_amount() {
        assert_eq!(fee_of(U256::from(1_000_000u64), 100), U256::from(10_000u64));
        assert_eq!(fee_of(U256::from(99u64), 100), U256::ZERO);
        assert_eq!(fee_of(U256::from(12_345u64), 10_000), U256::from(12_345u64));
        assert_eq!(fee_of(U256::MAX, 10_000), U256::MAX);
        assert_eq!(fee_of(U256::MAX, 0), U256::ZERO);
        assert_eq!(fee_of(U256::from(30_001u64), 1), U256::from(3u64));
    }
}
