//! What a bid on an auction is worth, with the vault's own auction arithmetic
//! ([`keel_risk::liquidation`]): the discount now, the largest fraction the vault lets a bid
//! take, what it pays and what the bidder gains.

use keel_risk::liquidation::{self, Params, WAD};

use crate::evaluate::Health;

/// A sized bid.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BidPlan {
    /// The fraction to take (wad, at most the vault's cap).
    pub fraction: u128,
    /// The discount now (wad).
    pub discount: u128,
    /// What the bidder pays (wad USD; negative: it is paid).
    pub payment: i128,
    /// The value taken, `fraction · markToMarket` (wad USD).
    pub value: i128,
}

impl BidPlan {
    /// What the bidder gains before gas: the value taken minus the payment.
    pub fn gain(&self) -> i128 {
        self.value.saturating_sub(self.payment)
    }
}

/// The bid the vault would fill on an account in `health`, `elapsed` seconds into its auction
/// under `params`; `None` when it is not liquidatable or the arithmetic overflows.
pub fn plan(health: &Health, params: &Params, elapsed: u64) -> Option<BidPlan> {
    if health.mm >= 0 {
        return None;
    }
    let discount = params.discount(elapsed);
    let r = health.requirement();
    let fraction = liquidation::fill_cap(health.mtm, r, params.buffer, discount)?.min(WAD);
    let payment = liquidation::payment(fraction, health.mtm, discount)?;
    let value = liquidation::scale_trunc(health.mtm, fraction)?;
    Some(BidPlan {
        fraction,
        discount,
        payment,
        value,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::primitives::U256;

    const fn usd(x: i128) -> i128 {
        x * WAD as i128
    }

    fn account(mtm: i128, mm: i128) -> Health {
        Health {
            id: U256::from(1),
            mode: 2,
            im: mm - usd(100),
            mm,
            mtm,
            unrealised: 0,
        }
    }

    #[test]
    fn a_healthy_account_gets_no_bid() {
        assert_eq!(plan(&account(usd(1000), 0), &Params::DEFAULT, 0), None);
        assert_eq!(plan(&account(usd(1000), usd(5)), &Params::DEFAULT, 0), None);
    }

    #[test]
    fn a_solvent_account_is_bought_at_its_discount_up_to_the_buffer() {
        // Worth 1,000 with a requirement of 1,100: 100 short of maintenance.
        let h = account(usd(1000), usd(-100));
        let p = Params::DEFAULT;
        let early = plan(&h, &p, 0).unwrap();
        let late = plan(&h, &p, p.duration).unwrap();
        assert_eq!(early.discount, p.start);
        assert_eq!(late.discount, p.end);
        assert!(early.fraction < WAD && early.fraction > 0);
        // The bidder gains exactly the discount on what it takes, rounded against it.
        for b in [early, late] {
            let exact = b.value * b.discount as i128 / WAD as i128;
            assert!(b.gain() <= exact && exact - b.gain() <= 2, "{b:?}");
        }
        // A later bid is cheaper per unit of value.
        let per_unit = |b: BidPlan| b.payment as f64 / b.value as f64;
        assert!(per_unit(late) < per_unit(early), "{early:?} {late:?}");
    }

    #[test]
    fn an_insolvent_account_is_taken_whole_and_the_bidder_is_paid() {
        let b = plan(&account(usd(-50), usd(-400)), &Params::DEFAULT, 0).unwrap();
        assert_eq!(b.fraction, WAD);
        assert!(b.payment < 0, "{b:?}");
        assert!(b.gain() > 0);
    }
}
