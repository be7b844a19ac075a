#!/usr/bin/env python3
"""Writes the high-precision reference data the `tests/math_*.rs` suites check against.

    python3 contracts/risk/tests/data/gen_reference.py      # from the repo root

Every input is drawn from a seeded `random.Random`, so the files are reproducible; every
expected value is computed with mpmath at 50 significant digits from the *exact* wad inputs
written to the file (the tests feed those same wads to the library).

Number formats (whitespace-separated columns, `#` lines are comments):
* inputs are raw wads (integers of 10⁻¹⁸) unless a column says otherwise;
* expected values are written in **wei** (value · 10¹⁸) as `integer.fraction` with 6
  fractional digits, so a test can take the exact integer part and the small fraction.
"""
import math
import os
import random

import mpmath as mp

mp.mp.dps = 50
WAD = 10**18
Y = 31_536_000
HERE = os.path.dirname(os.path.abspath(__file__))


def wei(x):
    """Exact real `x` (mpf) as a wei string with 6 fractional digits, rounded to nearest."""
    scaled = int(mp.nint(x * mp.mpf(10) ** 24))
    sign = "-" if scaled < 0 else ""
    scaled = abs(scaled)
    return f"{sign}{scaled // 10**6}.{scaled % 10**6:06d}"


def w(raw):
    return mp.mpf(raw) / WAD


def to_raw(x):
    """A real as a raw wad, truncated toward zero (how a decimal literal becomes a wad)."""
    return int(mp.floor(x * WAD)) if x >= 0 else -int(mp.floor(-x * WAD))


def write(name, header, rows):
    path = os.path.join(HERE, name)
    with open(path, "w") as f:
        f.write(header.rstrip() + "\n")
        for r in rows:
            f.write(" ".join(str(c) for c in r) + "\n")
    print(f"{name}: {len(rows)} rows, {os.path.getsize(path)} bytes")


EXP_MIN = -42_139_678_854_452_767_551
EXP_LIMIT = 46_583_160_000_000_000_000  # e^x·10¹⁸ stays below i128::MAX for x below ~46.5832


def gen_exp(rng):
    xs = set()
    for _ in range(3000):
        xs.add(rng.randint(EXP_MIN + 1, EXP_LIMIT))
    for _ in range(500):  # near zero, all scales
        xs.add(int(rng.choice([-1, 1]) * 10 ** rng.uniform(0, 18)))
    for k in range(-42, 47):
        xs.update({k * WAD, k * WAD + 1, k * WAD - 1})
    xs.update({0, 1, -1, EXP_MIN + 1, to_raw(mp.log(2)), to_raw(-mp.log(2)), 46_583_000_000_000_000_000})
    xs = sorted(x for x in xs if EXP_MIN < x <= EXP_LIMIT)
    rows = [(x, wei(mp.e ** w(x))) for x in xs]
    write("exp.txt", "# x_raw exp(x)_wei", rows)


def gen_ln(rng):
    xs = set()
    for _ in range(3000):
        xs.add(int(10 ** rng.uniform(0, 38.2)))
    for _ in range(300):  # near 1
        xs.add(WAD + int(rng.choice([-1, 1]) * 10 ** rng.uniform(0, 17.5)))
    for k in range(0, 39):
        xs.update({10**k, 10**k + 1, max(10**k - 1, 1)})
    xs.update({1, 2, WAD, 2**127 - 1, 2**64, 2**63, 2**63 - 1})
    xs = sorted(x for x in xs if 1 <= x < 2**127)
    rows = [(x, wei(mp.log(w(x)))) for x in xs]
    write("ln.txt", "# x_raw ln(x)_wei", rows)


def gen_norm(rng):
    xs = set()
    for _ in range(2000):
        xs.add(to_raw(mp.mpf(rng.uniform(-38, 38))))
    for _ in range(3000):
        xs.add(to_raw(mp.mpf(rng.uniform(-10.5, 10.5))))
    for k in range(-38 * 4, 38 * 4 + 1):
        xs.add(k * WAD // 4)
    xs.update({1, -1, 10 * WAD - 1, -10 * WAD + 1})
    rows = [(x, wei(mp.ncdf(w(x)))) for x in sorted(xs)]
    write("norm_cdf.txt", "# x_raw N(x)_wei", rows)


def gen_sqrt(rng):
    xs = set()
    for _ in range(1500):
        xs.add(int(10 ** rng.uniform(0, 38.2)))
    for _ in range(500):
        r = rng.randint(1, 10**19)
        xs.update({r * r // WAD, (r * r + WAD - 1) // WAD})  # around perfect squares
    xs.update({0, 1, 2, 3, 4, WAD, 2**127 - 1, 2**126, 2**64 - 1})
    xs = sorted(x for x in xs if 0 <= x < 2**127)
    rows = [(x, math.isqrt(x * WAD)) for x in xs]
    write("sqrt.txt", "# x_raw floor(sqrt(x_raw*1e18))", rows)


def isqrt_wad(x_raw):
    return math.isqrt(x_raw * WAD)


def b76_case(rng):
    """Random inputs: F log-uniform in [1, 1e5], K/F log-uniform in [0.2, 5], vol log-uniform
    in [1 %, 500 %], expiry log-uniform in [1 min, 2 years], rate in [0, 20 %]."""
    f = round(10 ** rng.uniform(0, 5), 6)
    k = round(f * math.exp(rng.uniform(math.log(0.2), math.log(5))), 6)
    vol = round(math.exp(rng.uniform(math.log(0.01), math.log(5))), 8)
    secs = int(math.exp(rng.uniform(math.log(60), math.log(2 * Y))))
    rate = rng.uniform(0, 0.2)
    f_raw, k_raw, vol_raw = to_raw(mp.mpf(str(f))), to_raw(mp.mpf(str(k))), to_raw(mp.mpf(str(vol)))
    st_raw = isqrt_wad(secs * WAD // Y)  # sqrt(annualise(T)) exactly as the library floors it
    d_raw = to_raw(mp.e ** (-mp.mpf(rate) * secs / Y))
    return f_raw, k_raw, st_raw, vol_raw, d_raw


def b76_exact(f_raw, k_raw, st_raw, vol_raw, d_raw):
    F, K, st, vol, D = w(f_raw), w(k_raw), w(st_raw), w(vol_raw), w(d_raw)
    v = vol * st
    d1 = (v * v / 2 - mp.log(K / F)) / v
    d2 = d1 - v
    call = D * (F * mp.ncdf(d1) - K * mp.ncdf(d2))
    put = D * (K * mp.ncdf(-d2) - F * mp.ncdf(-d1))
    call_delta = D * mp.ncdf(d1)
    put_delta = -D * mp.ncdf(-d1)
    vega = F * D * mp.npdf(d1) * st
    return call, put, call_delta, put_delta, vega


def gen_black76(rng):
    rows, grows = [], []
    for i in range(10_000):
        inp = b76_case(rng)
        call, put, cd, pd, vega = b76_exact(*inp)
        rows.append((*inp, wei(call), wei(put)))
        if i % 5 == 0:
            grows.append((*inp, wei(cd), wei(pd), wei(vega)))
    write("black76_prices.txt", "# F K sqrt_tau vol D (raw) call_wei put_wei", rows)
    write("black76_greeks.txt", "# F K sqrt_tau vol D (raw) call_delta_wei put_delta_wei vega_wei", grows)


def gen_hull(rng):
    """Hull, Options Futures and Other Derivatives, example 15.6 mapped to Black-76."""
    S, K, r, sigma, T = mp.mpf(42), mp.mpf(40), mp.mpf("0.1"), mp.mpf("0.2"), mp.mpf("0.5")
    f_raw = to_raw(S * mp.e ** (r * T))
    d_raw = to_raw(mp.e ** (-r * T))
    st_raw = isqrt_wad(T * WAD)
    vol_raw = to_raw(sigma)
    call, put, cd, pd, vega = b76_exact(f_raw, to_raw(K), int(st_raw), vol_raw, d_raw)
    rows = [(f_raw, to_raw(K), int(st_raw), vol_raw, d_raw, wei(call), wei(put), wei(cd), wei(pd), wei(vega))]
    write("black76_hull.txt", "# F K sqrt_tau vol D (raw) call put call_delta put_delta vega (wei)", rows)


def svi_exact(a, b, rho, m, sig, F, tau, K, cap):
    """Exact-real PM2 §4.2 (no rounding), or None for a revert."""
    q = a + b * sig
    if q < 0:
        return None
    B = 4 * mp.sqrt(q)
    k = mp.log(K / F)
    k = min(max(k, -B), B)
    km = k - m
    wv = a + b * (mp.sqrt(km * km + sig * sig) + rho * km)
    if wv < 0:
        return None
    wv = min(wv, cap)
    return wv, mp.sqrt(wv / tau)


def gen_svi(rng):
    rows = []
    while len(rows) < 3000:
        a = round(rng.uniform(-0.05, 0.3), 10)
        b = round(rng.uniform(0, 1.5), 10)
        rho = round(rng.uniform(-0.99, 0.99), 10)
        m = round(rng.uniform(-0.5, 0.5), 10)
        sig = round(rng.uniform(0.005, 1), 10)
        F = round(10 ** rng.uniform(1, 5), 6)
        tau = round(10 ** rng.uniform(-3, 0.5), 10)
        K = round(F * 10 ** rng.uniform(-1.5, 1.5), 6)
        raws = [to_raw(mp.mpf(str(x))) for x in (a, b, rho, m, sig, F, tau, K)]
        cap = 144 if rng.random() < 0.8 else round(rng.uniform(0.01, 0.5), 4)
        cap_raw = to_raw(mp.mpf(str(cap)))
        res = svi_exact(*[w(x) for x in raws], w(cap_raw))
        if res is None:
            rows.append((*raws, cap_raw, "revert", "revert"))
        else:
            rows.append((*raws, cap_raw, wei(res[0]), wei(res[1])))
    write("svi.txt", "# a b rho m sigma F tau K cap (raw) w_wei vol_wei (or revert)", rows)


def main():
    gen_exp(random.Random(1))
    gen_ln(random.Random(2))
    gen_norm(random.Random(3))
    gen_sqrt(random.Random(4))
    gen_black76(random.Random(5))
    gen_hull(random.Random(6))
    gen_svi(random.Random(7))


if __name__ == "__main__":
    main()
