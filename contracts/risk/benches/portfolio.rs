//! Native time of one portfolio-margin evaluation (IM and MM together) with Keel's default
//! 31-scenario grid, at 16 options / 1 expiry and 128 options / 8 expiries. Each book also
//! holds a perp and two collateral tokens (one risk-cancelling). Prints medians; asserts
//! nothing. Run with `cargo bench -p keel-risk --bench portfolio`.

use std::hint::black_box;
use std::time::Instant;

use keel_risk::math::SviParams;
use keel_risk::model::portfolio::{
    portfolio_margin, CollateralHolding, ExpiryBook, OptionHolding, PerpHolding, Pm2Params,
    PortfolioAccount, UnderlyingBook,
};
use keel_risk::Wad;

const NOW: u64 = 1_700_000_000;
const DAY: u64 = 86_400;
const EXPIRY_DAYS: [u64; 8] = [7, 14, 30, 60, 90, 120, 180, 270];

fn wad(x: f64) -> Wad {
    Wad::from_raw((x * 1e18) as i128)
}

/// `options_per_expiry` options at each of the first `expiries` expiries: calls and puts
/// alternating, longs and shorts alternating in pairs (half long), strikes 0.5–1.5× spot.
fn account(expiries: usize, options_per_expiry: usize) -> PortfolioAccount {
    let spot = 3000.0;
    let books = EXPIRY_DAYS[..expiries]
        .iter()
        .map(|&days| {
            let tau = days as f64 / 365.0;
            let forward = spot * (0.04 * tau).exp();
            let options = (0..options_per_expiry)
                .map(|i| {
                    let strike = spot * (0.5 + i as f64 / (options_per_expiry - 1) as f64);
                    OptionHolding {
                        strike: wad(strike.round()),
                        is_call: i % 2 == 0,
                        amount: wad(if (i / 2) % 2 == 0 { 1.5 } else { -2.0 }),
                    }
                })
                .collect();
            ExpiryBook {
                expiry: NOW + days * DAY,
                forward_fixed: Wad::ZERO,
                forward_variable: wad(forward),
                forward_confidence: Wad::ONE,
                rate: wad(0.04),
                rate_confidence: Wad::ONE,
                svi: SviParams {
                    a: wad(0.3 * tau),
                    b: wad(0.12 * tau.sqrt()),
                    rho: wad(-0.3),
                    m: wad(0.02),
                    sigma: wad(0.15),
                    forward: wad(forward),
                    tau: wad(tau),
                },
                vol_confidence: Wad::ONE,
                options,
            }
        })
        .collect();
    PortfolioAccount {
        now: NOW,
        cash: wad(-50_000.0),
        stable_price: wad(0.9998),
        underlyings: vec![UnderlyingBook {
            spot: wad(spot),
            spot_confidence: Wad::ONE,
            perp: PerpHolding {
                amount: wad(-4.0),
                unrealised: wad(1250.0),
                price: wad(3001.5),
                confidence: Wad::ONE,
            },
            expiries: books,
        }],
        collaterals: vec![
            CollateralHolding {
                amount: wad(20.0),
                price: wad(3000.0),
                confidence: Wad::ONE,
                mm_haircut: wad(0.02),
                im_haircut: wad(0.01),
                risk_cancelling: Some(0),
            },
            CollateralHolding {
                amount: wad(100_000.0),
                price: wad(1.0),
                confidence: Wad::ONE,
                mm_haircut: wad(0.01),
                im_haircut: wad(0.005),
                risk_cancelling: None,
            },
        ],
    }
}

fn median_micros(account: &PortfolioAccount, params: &Pm2Params) -> f64 {
    let result = portfolio_margin(account, params).expect("bench portfolio evaluates");
    println!(
        "  IM {}  MM {}  worst {:?}",
        result.im, result.mm, result.breakdown.underlyings[0].worst
    );
    // Batch so each sample lasts well above the timer's resolution.
    let warm = Instant::now();
    let mut per_batch = 1u32;
    while warm.elapsed().as_millis() < 20 {
        black_box(portfolio_margin(black_box(account), black_box(params)).ok());
        per_batch += 1;
    }
    let per_batch = (per_batch / 10).max(1);
    let mut samples: Vec<f64> = (0..41)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..per_batch {
                black_box(portfolio_margin(black_box(account), black_box(params)).ok());
            }
            t.elapsed().as_secs_f64() * 1e6 / per_batch as f64
        })
        .collect();
    samples.sort_by(|a, b| a.total_cmp(b));
    samples[samples.len() / 2]
}

fn main() {
    let params = Pm2Params::keel_default();
    println!(
        "portfolio margin (IM + MM), {} scenarios, native release build",
        params.scenarios.len()
    );
    for (expiries, per_expiry) in [(1usize, 16usize), (8, 16)] {
        let options = expiries * per_expiry;
        println!("{options} options / {expiries} expiries:");
        let micros = median_micros(&account(expiries, per_expiry), &params);
        // One Black-76 per option per scenario (the three cached scenarios reuse the mark and
        // basis prices, which are themselves three evaluations).
        let pricings = options * params.scenarios.len();
        println!(
            "  median {micros:.1} µs per evaluation, {:.0} ns per option-scenario ({pricings} pricings)",
            micros * 1e3 / pricings as f64
        );
    }
}
