//! Native time per call of the fixed-point math: exp, ln, sqrt, norm_cdf, Black-76 price,
//! Black-76 greeks (and both in one pass), SVI vol. Prints the median over batches; asserts
//! nothing. Run with `cargo bench -p keel-risk --bench pricing`.

use std::hint::black_box;
use std::time::Instant;

use keel_risk::math::{
    black76, black76_greeks, black76_with_greeks, exp, ln, norm_cdf, sqrt, svi_vol, SviParams,
    SVI_MAX_TOTAL_VARIANCE,
};
use keel_risk::Wad;

const BATCHES: usize = 31;
const INPUTS: usize = 1024;

/// Deterministic inputs in `[lo, hi)` (xorshift), as wads.
fn inputs(lo: f64, hi: f64, seed: u64) -> Vec<Wad> {
    let mut s = seed | 1;
    (0..INPUTS)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let u = (s >> 11) as f64 / (1u64 << 53) as f64;
            Wad::from_raw(((lo + (hi - lo) * u) * 1e18) as i128)
        })
        .collect()
}

/// Median ns per call of `f` over `BATCHES` batches of `INPUTS` calls.
fn bench(name: &str, mut f: impl FnMut(usize)) {
    for i in 0..INPUTS {
        f(i); // warm-up
    }
    let mut per_call: Vec<f64> = (0..BATCHES)
        .map(|_| {
            let start = Instant::now();
            for i in 0..INPUTS {
                f(i);
            }
            start.elapsed().as_nanos() as f64 / INPUTS as f64
        })
        .collect();
    per_call.sort_by(f64::total_cmp);
    println!(
        "{name:<28} {:>8.1} ns/call (median of {BATCHES} batches of {INPUTS})",
        per_call[BATCHES / 2]
    );
}

fn main() {
    let xs = inputs(-40.0, 40.0, 1);
    let pos = inputs(1e-6, 1e6, 2);
    let zs = inputs(-9.0, 9.0, 3);
    let fwd = inputs(1000.0, 4000.0, 4);
    let strikes = inputs(500.0, 6000.0, 5);
    let sqrt_tau = inputs(0.01, 1.2, 6);
    let vols = inputs(0.05, 2.0, 7);
    let disc = inputs(0.9, 1.0, 8);

    bench("exp", |i| {
        black_box(exp(black_box(xs[i])).ok());
    });
    bench("ln", |i| {
        black_box(ln(black_box(pos[i])).ok());
    });
    bench("sqrt", |i| {
        black_box(sqrt(black_box(pos[i])).ok());
    });
    bench("norm_cdf", |i| {
        black_box(norm_cdf(black_box(zs[i])));
    });
    bench("black76 (price)", |i| {
        black_box(black76(black_box(fwd[i]), strikes[i], sqrt_tau[i], vols[i], disc[i]).ok());
    });
    bench("black76_greeks", |i| {
        black_box(
            black76_greeks(black_box(fwd[i]), strikes[i], sqrt_tau[i], vols[i], disc[i]).ok(),
        );
    });
    bench("black76_with_greeks", |i| {
        black_box(
            black76_with_greeks(black_box(fwd[i]), strikes[i], sqrt_tau[i], vols[i], disc[i]).ok(),
        );
    });
    let params = SviParams {
        a: Wad::from_raw(40_000_000_000_000_000),
        b: Wad::from_raw(200_000_000_000_000_000),
        rho: Wad::from_raw(-300_000_000_000_000_000),
        m: Wad::from_raw(50_000_000_000_000_000),
        sigma: Wad::from_raw(300_000_000_000_000_000),
        forward: Wad::from_int(2500),
        tau: Wad::from_raw(250_000_000_000_000_000),
    };
    bench("svi_vol", |i| {
        black_box(svi_vol(black_box(&params), strikes[i], SVI_MAX_TOTAL_VARIANCE).ok());
    });
}
