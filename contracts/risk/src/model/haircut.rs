//! Effective collateral haircuts: the haircuts the vault's risk admin lists for an asset,
//! raised by add-ons for volatility, oracle confidence and the LST depeg guard, as the vault
//! puts them into a margin snapshot.
//!
//! ```text
//! addOn  = volSlope · max(0, vol − volFloor) + confidenceSlope · (1 − confidence) + guardAddOn
//! mm     = min(1, listedMm + addOn)
//! imTot  = min(1, max(listedIm, listedMm) + addOn)        (1 when reduce-only)
//! ```
//!
//! The listing stores the **total** IM haircut (`listedMm ≤ listedIm`); the model's
//! [`CollateralAsset::im_haircut`](super::account::CollateralAsset::im_haircut) is the IM
//! haircut **on top of** the MM one (IM keeps `1 − mm − im`), so [`effective_haircuts`]
//! returns `im = imTot − mm ≥ 0`, and `mm + im = imTot ≤ 1` as the models require.
//!
//! `vol` is [`reference_vol`]: the at-the-money vol `√(w(0)/τ)` ([`atm_vol`]) of the nearest
//! expiry ([`nearest_slice`]) of the asset's risk-cancelling underlying in the snapshot, else
//! that underlying's stress vol, else 0. `confidence` is clamped to [0, 1], negative inputs count as 0.
//! Reduce-only (an asset the depeg guard marks Depegged, in a check for new risk): the IM
//! haircut is 1, so the asset backs no new risk; its MM value is unchanged.

use crate::math::{SviParams, SVI_MAX_TOTAL_VARIANCE};
use crate::model::account::UnderlyingMarket;
use crate::{RiskError, Wad, WAD};

/// The risk admin's add-on parameters (wads).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HaircutAddOns {
    /// Vol above which the vol add-on starts.
    pub vol_floor: Wad,
    /// Haircut per unit of vol above the floor.
    pub vol_slope: Wad,
    /// Haircut per unit of missing confidence.
    pub confidence_slope: Wad,
}

/// Haircuts in the model's convention.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Haircuts {
    /// Maintenance haircut, in [0, 1].
    pub mm: Wad,
    /// Initial haircut on top of `mm`, in [0, 1 − mm].
    pub im: Wad,
}

/// `max(0, a) · max(0, b)` (wad product, truncated), saturating at `i128::MAX`: a product
/// that does not fit is far above 1, where every haircut is capped.
fn product(a: Wad, b: Wad) -> i128 {
    a.max_zero().mul(b.max_zero()).unwrap_or(Wad::MAX).raw()
}

/// The add-on `volSlope · max(0, vol − volFloor) + confidenceSlope · (1 − confidence) +
/// guardAddOn` (each term ≥ 0; `confidence` clamped to [0, 1]). Infallible: it saturates
/// where it would leave the wad range (the haircuts cap it at 1 anyway).
pub fn add_on(add_ons: &HaircutAddOns, vol: Wad, confidence: Wad, guard_add_on: Wad) -> Wad {
    let excess_vol = Wad::from_raw(vol.raw().saturating_sub(add_ons.vol_floor.raw()));
    let missing = Wad::from_raw(WAD - confidence.max_zero().min(Wad::ONE).raw());
    Wad::from_raw(
        product(add_ons.vol_slope, excess_vol)
            .saturating_add(product(add_ons.confidence_slope, missing))
            .saturating_add(guard_add_on.max_zero().raw()),
    )
}

/// The effective haircuts of an asset listed with `listed_im` (total) and `listed_mm` (see the
/// module docs). Infallible (saturating, then capped at 1).
pub fn effective_haircuts(
    listed_im: Wad,
    listed_mm: Wad,
    add_on: Wad,
    reduce_only: bool,
) -> Haircuts {
    let add_on = add_on.max_zero().raw();
    let listed_mm = listed_mm.max_zero();
    let capped = |x: Wad| Wad::from_raw(x.raw().saturating_add(add_on).min(WAD));
    let mm = capped(listed_mm);
    let total = if reduce_only {
        Wad::ONE
    } else {
        capped(listed_im.max(listed_mm))
    };
    Haircuts {
        mm,
        im: Wad::from_raw(total.raw() - mm.raw()),
    }
}

/// At-the-money vol of a raw-SVI slice: `√(w(0)/τ)` with `w(0) = a + b·(√(m² + σ²) − ρ·m)`
/// (log-moneyness 0, total variance capped at 144 as on-chain). The square roots are integer
/// floors (`√(m² + σ²)` exact; `√(w/τ)` exact below a vol of 18, else to 10⁻⁹), so this
/// agrees with the model's SVI evaluation at the reference forward to a few wei while linking
/// only a 128-bit square root (the vault's code size). [`RiskError::InvalidSvi`] for
/// `w(0) < 0`, [`RiskError::DivisionByZero`] for `τ = 0`, [`RiskError::NegativeInput`] for
/// `τ < 0`, [`RiskError::Overflow`] for `|m|` or `σ` beyond about 13.
pub fn atm_vol(svi: &SviParams) -> Result<Wad, RiskError> {
    let square = |x: Wad| x.raw().unsigned_abs().checked_mul(x.raw().unsigned_abs());
    let radius = square(svi.m)
        .zip(square(svi.sigma))
        .and_then(|(m2, s2)| m2.checked_add(s2))
        .ok_or(RiskError::Overflow)?;
    let root = Wad::from_raw(isqrt(radius) as i128);
    let w = svi.a.add(svi.b.mul(root.sub(svi.rho.mul(svi.m)?)?)?)?;
    if w.is_negative() {
        return Err(RiskError::InvalidSvi);
    }
    if svi.tau.is_negative() {
        return Err(RiskError::NegativeInput);
    }
    let x = w.min(SVI_MAX_TOTAL_VARIANCE).div(svi.tau)?.raw() as u128;
    let vol = match x.checked_mul(WAD as u128) {
        Some(scaled) => isqrt(scaled),
        None => isqrt(x) * 1_000_000_000,
    };
    Ok(Wad::from_raw(vol as i128))
}

/// `⌊√n⌋` (Newton's iteration from above).
fn isqrt(n: u128) -> u128 {
    if n < 2 {
        return n;
    }
    let mut x = 1u128 << (128 - n.leading_zeros()).div_ceil(2);
    loop {
        // x ≥ 1 throughout (Newton from above stays ≥ ⌊√n⌋ ≥ 1).
        let Some(q) = n.checked_div(x) else {
            return x;
        };
        let y = (x + q) / 2;
        if y >= x {
            return x;
        }
        x = y;
    }
}

/// The vol of the add-on for an asset linked to an underlying whose nearest expiry in the
/// snapshot has the SVI slice `nearest` ([`nearest_slice`]) and whose stress vol is
/// `stress_vol`: the [`atm_vol`] of that slice, else `stress_vol` (≥ 0). An unlinked asset
/// passes `None` and 0.
pub fn reference_vol(nearest: Option<&SviParams>, stress_vol: Wad) -> Result<Wad, RiskError> {
    match nearest {
        Some(svi) => atm_vol(svi),
        None => Ok(stress_vol.max_zero()),
    }
}

/// The SVI slice of the nearest expiry (smallest timestamp) of an underlying's market data.
pub fn nearest_slice(underlying: &UnderlyingMarket) -> Option<&SviParams> {
    underlying
        .expiries
        .iter()
        .min_by_key(|e| e.expiry)
        .map(|e| &e.svi)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::math::svi_vol;
    use crate::model::account::ExpiryMarket;
    use alloc::vec;

    fn pct(x: i64) -> Wad {
        Wad::ratio(x, 100)
    }

    fn add_ons() -> HaircutAddOns {
        HaircutAddOns {
            vol_floor: pct(60),
            vol_slope: pct(20),
            confidence_slope: pct(50),
        }
    }

    #[test]
    fn the_add_on_sums_its_three_terms() {
        // vol 1.1 → 0.2 · 0.5 = 0.1; confidence 0.9 → 0.5 · 0.1 = 0.05; guard 0.02.
        let a = add_on(&add_ons(), pct(110), pct(90), pct(2));
        assert_eq!(a, pct(17));
        // Below the floor and at full confidence only the guard counts.
        assert_eq!(add_on(&add_ons(), pct(40), Wad::ONE, pct(3)), pct(3));
        // Confidence above 1 or below 0 is clamped; a negative guard add-on counts as 0.
        assert_eq!(add_on(&add_ons(), Wad::ZERO, pct(150), pct(-5)), Wad::ZERO);
        assert_eq!(add_on(&add_ons(), Wad::ZERO, pct(-20), Wad::ZERO), pct(50));
        // No add-on parameters: nothing but the guard.
        assert_eq!(
            add_on(&HaircutAddOns::default(), pct(300), Wad::ZERO, pct(1)),
            pct(1)
        );
    }

    #[test]
    fn effective_haircuts_follow_the_model_convention_and_cap_at_one() {
        // Listed IM 10 % total, MM 5 %, add-on 3 %: MM 8 %, IM total 13 % = 8 % + 5 %.
        let h = effective_haircuts(pct(10), pct(5), pct(3), false);
        assert_eq!(
            h,
            Haircuts {
                mm: pct(8),
                im: pct(5)
            }
        );
        // Capped: MM 90 % + 20 % → 100 %, IM total → 100 %, nothing on top.
        let h = effective_haircuts(pct(95), pct(90), pct(20), false);
        assert_eq!(
            h,
            Haircuts {
                mm: Wad::ONE,
                im: Wad::ZERO
            }
        );
        // Only the IM total reaches the cap.
        let h = effective_haircuts(pct(95), pct(50), pct(10), false);
        assert_eq!(
            h,
            Haircuts {
                mm: pct(60),
                im: pct(40)
            }
        );
        // Reduce-only: IM keeps nothing, MM unchanged.
        let h = effective_haircuts(pct(10), pct(5), pct(3), true);
        assert_eq!(
            h,
            Haircuts {
                mm: pct(8),
                im: pct(92)
            }
        );
        // Saturation: an add-on beyond the wad range still caps at 1.
        let huge = HaircutAddOns {
            vol_floor: Wad::ZERO,
            vol_slope: Wad::ONE,
            confidence_slope: Wad::ONE,
        };
        let a = add_on(&huge, Wad::MAX, Wad::ZERO, Wad::MAX);
        assert_eq!(a, Wad::MAX);
        let h = effective_haircuts(pct(10), pct(5), a, false);
        assert_eq!(
            h,
            Haircuts {
                mm: Wad::ONE,
                im: Wad::ZERO
            }
        );
        assert_eq!(
            add_on(&huge, Wad::from_int(-5), Wad::ONE, Wad::ZERO),
            Wad::ZERO
        );
        // A listing with MM above IM (never stored by the vault) still gives im ≥ 0.
        let h = effective_haircuts(pct(2), pct(5), Wad::ZERO, false);
        assert_eq!(
            h,
            Haircuts {
                mm: pct(5),
                im: Wad::ZERO
            }
        );
        // Every result keeps mm + im ≤ 1 with both non-negative.
        for (im, mm, a, r) in [(0, 0, 0, false), (95, 95, 100, false), (50, 0, 300, true)] {
            let h = effective_haircuts(pct(im), pct(mm), pct(a), r);
            assert!(!h.mm.is_negative() && !h.im.is_negative());
            assert!(h.mm.add(h.im).unwrap() <= Wad::ONE);
        }
    }

    fn slice(a: Wad, b: Wad, rho: Wad, m: Wad, sigma: Wad, tau: Wad) -> SviParams {
        SviParams {
            a,
            b,
            rho,
            m,
            sigma,
            forward: Wad::from_int(3000),
            tau,
        }
    }

    #[test]
    fn atm_vol_is_the_smile_at_the_reference_forward() {
        // A flat smile: w = a = σ²τ with σ = 0.8, τ = 0.25 → a = 0.16.
        let flat = slice(pct(16), Wad::ZERO, Wad::ZERO, Wad::ZERO, pct(10), pct(25));
        assert_eq!(atm_vol(&flat).unwrap(), pct(80));
        // The same number as the model's SVI evaluation at K = F (up to rounding), for
        // skewed, shifted slices.
        for (a, b, rho, m, sigma, tau) in [
            (42, 2_400, -3_500, 200, 1_800, 849),
            (100, 5_000, 4_000, -3_000, 500, 5_000),
            (-50, 9_000, -9_000, 1_000, 2_000, 30),
        ] {
            let s = slice(
                Wad::ratio(a, 10_000),
                Wad::ratio(b, 10_000),
                Wad::ratio(rho, 10_000),
                Wad::ratio(m, 10_000),
                Wad::ratio(sigma, 10_000),
                Wad::ratio(tau, 10_000),
            );
            let ours = atm_vol(&s).unwrap();
            let model = svi_vol(&s, s.forward, SVI_MAX_TOTAL_VARIANCE).unwrap();
            assert!(
                (ours.raw() - model.raw()).abs() <= 2,
                "{ours:?} vs {model:?}"
            );
            // And the float reference.
            let f = |x: i64| x as f64 / 10_000.0;
            let (af, bf, rf, mf, sf, tf) = (f(a), f(b), f(rho), f(m), f(sigma), f(tau));
            let w = af + bf * ((mf * mf + sf * sf).sqrt() - rf * mf);
            let expected = (w / tf).sqrt();
            let got = ours.raw() as f64 / 1e18;
            assert!((got - expected).abs() < 1e-12, "{got} vs {expected}");
        }
        // Invalid slices.
        let negative = slice(pct(-10), pct(1), Wad::ZERO, Wad::ZERO, pct(10), pct(25));
        assert_eq!(atm_vol(&negative), Err(RiskError::InvalidSvi));
        let no_time = slice(pct(16), Wad::ZERO, Wad::ZERO, Wad::ZERO, pct(10), Wad::ZERO);
        assert_eq!(atm_vol(&no_time), Err(RiskError::DivisionByZero));
        let back = slice(pct(16), Wad::ZERO, Wad::ZERO, Wad::ZERO, pct(10), pct(-1));
        assert_eq!(atm_vol(&back), Err(RiskError::NegativeInput));
        // Total variance is capped at 144 (σ = √(144/τ)).
        let huge = slice(
            Wad::from_int(400),
            Wad::ZERO,
            Wad::ZERO,
            Wad::ZERO,
            pct(10),
            Wad::from_int(4),
        );
        assert_eq!(atm_vol(&huge).unwrap(), Wad::from_int(6));
        // A vol above 18 (w/τ ≥ 340): the root is taken to 10⁻⁹.
        let short = slice(
            Wad::ONE,
            Wad::ZERO,
            Wad::ZERO,
            Wad::ZERO,
            pct(10),
            Wad::ratio(1, 1000),
        );
        let v = atm_vol(&short).unwrap().raw() as f64 / 1e18;
        assert!((v - 1000f64.sqrt()).abs() < 2e-9, "{v}");
    }

    #[test]
    fn the_integer_square_root_is_the_floor() {
        for n in [
            0u128,
            1,
            2,
            3,
            4,
            15,
            16,
            17,
            99,
            100,
            101,
            u64::MAX as u128,
            u128::MAX,
        ] {
            let r = isqrt(n);
            assert!(r * r <= n, "{n}");
            assert!((r + 1).checked_mul(r + 1).is_none_or(|s| s > n), "{n}");
        }
        assert_eq!(isqrt(u128::MAX), u64::MAX as u128);
    }

    #[test]
    fn the_reference_vol_is_the_nearest_expirys_else_the_stress_vol() {
        let at = |expiry: u64, a: i64| ExpiryMarket {
            expiry,
            svi: slice(pct(a), Wad::ZERO, Wad::ZERO, Wad::ZERO, pct(10), Wad::ONE),
            ..ExpiryMarket::default()
        };
        // w = 0.25 at the later expiry, 0.09 at the nearer one (listed second).
        let u = UnderlyingMarket {
            expiries: vec![at(2_000, 25), at(1_000, 9)],
            ..UnderlyingMarket::default()
        };
        assert_eq!(reference_vol(nearest_slice(&u), pct(99)).unwrap(), pct(30));
        let bare = UnderlyingMarket::default();
        assert_eq!(nearest_slice(&bare), None);
        assert_eq!(
            reference_vol(nearest_slice(&bare), pct(99)).unwrap(),
            pct(99)
        );
        assert_eq!(reference_vol(None, pct(70)).unwrap(), pct(70));
        assert_eq!(reference_vol(None, pct(-5)).unwrap(), Wad::ZERO);
    }
}
