//! A long random sequence of deposits and withdrawals (three accounts, tokens of 6, 18 and 24
//! decimals, one with a transfer fee) against a model kept in the test: after every step,
//! each balance equals the model's, the asset's total equals the sum of the balances, and the
//! vault holds at least what it owes (its token balance ≥ total credited, converted back to
//! token units) — so rounding never creates value.
mod common;

use alloy_primitives::{Address, U256};
use common::*;

/// xorshift64*: a deterministic sequence without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// Token units per internal unit for `decimals` > 18, or internal units per token unit.
fn owed_in_token_units(total: U256, decimals: u8) -> U256 {
    if decimals <= 18 {
        total / U256::from(10u64).pow(U256::from(18 - decimals))
    } else {
        total * U256::from(10u64).pow(U256::from(decimals - 18))
    }
}

#[test]
fn random_deposits_and_withdrawals_keep_the_books_exact() {
    let env = Env::funded();
    env.host.set_kind(WETH, Kind::Fee(30));
    let users = [ALICE, BOB, CAROL];
    for user in [BOB, CAROL] {
        env.open(user, 1);
    }
    let tokens = [(USDC, 6u8), (WETH, 18), (FINE, 24)];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut ok = (0, 0);
    for _ in 0..600 {
        let account = 1 + rng.below(3);
        let user = users[(account - 1) as usize];
        let (token, decimals) = tokens[rng.below(3) as usize];
        // Amounts from one token unit up to ~1,000 tokens, with odd low digits.
        let scale = U256::from(10u64).pow(U256::from(rng.below(u64::from(decimals) + 4)));
        let amount = U256::from(1 + rng.below(999)) * scale;
        let before = env.balance(account, token);
        if rng.below(2) == 0 {
            let vault_before = env.host.balance(token, env.vault());
            if env.deposit(user, account, token, amount).is_ok() {
                ok.0 += 1;
                let arrived = env.host.balance(token, env.vault()) - vault_before;
                let credited = env.events::<I::Deposited>().last().unwrap().credited;
                assert_eq!(env.balance(account, token), before + credited);
                // Credited never exceeds what arrived, in 18 decimals.
                assert!(owed_in_token_units(credited, decimals) <= arrived);
            } else {
                assert_eq!(env.balance(account, token), before);
            }
        } else {
            let to = Address::repeat_byte(0x77);
            let received_before = env.host.balance(token, to);
            if env.withdraw(user, account, token, amount, to).is_ok() {
                ok.1 += 1;
                let debited = env.events::<I::Withdrawn>().last().unwrap().debited;
                assert_eq!(env.balance(account, token), before - debited);
                // The debit, in token units, covers what left.
                assert!(owed_in_token_units(debited, decimals) >= amount);
                assert!(env.host.balance(token, to) > received_before);
            } else {
                assert_eq!(env.balance(account, token), before);
            }
        }
        for (token, decimals) in tokens {
            let sum = (1..=3).fold(U256::ZERO, |s, a| s + env.balance(a, token));
            assert_eq!(env.total(token), sum);
            assert!(env.host.balance(token, env.vault()) >= owed_in_token_units(sum, decimals));
        }
    }
    // The sequence exercised both paths.
    assert!(ok.0 > 100 && ok.1 > 50, "{ok:?}");
}
