#!/usr/bin/env python3
"""Writes the high-precision reference data the `tests/math_*.rs` suites check against.

    python3 contracts/risk/tests/data/gen_reference.py      # from the repo root

Every input is drawn from a seeded `random.Random`, so the files are reproducible; every
expected value is computed with mpmath at 50 significant digits from the *exact* wad inputs
written to the file (the tests feed those same wads to the library).

Number formats (whitespace-separated columns, `#` lines are comments):
* inputs are raw wads (integers of 10⁻¹⁸) unless a column says otherwise;
* decimal inputs (`1234.5`) are parsed with `Wad::parse_decimal` (they are exact);
* `secs` columns are times in seconds, turned into `sqrt_tau = sqrt(annualise(secs))`
  by the test exactly as callers do (the reference uses the same floored values);
* expected values are written in **wei** (value · 10¹⁸) as `integer.fraction` (2 to 4
  fractional digits), so a test takes the exact integer part and the small fraction.
"""
import math
import os
import random

import mpmath as mp

mp.mp.dps = 50
WAD = 10**18
Y = 31_536_000
HERE = os.path.dirname(os.path.abspath(__file__))


def wei(x, digits=4):
    """Exact real `x` (mpf) as a wei string with `digits` fractional digits, rounded to nearest."""
    scaled = int(mp.nint(x * mp.mpf(10) ** (18 + digits)))
    sign = "-" if scaled < 0 else ""
    scaled = abs(scaled)
    return f"{sign}{scaled // 10**digits}.{scaled % 10**digits:0{digits}d}"


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
    for _ in range(2000):
        xs.add(rng.randint(EXP_MIN + 1, EXP_LIMIT))
    for _ in range(300):  # near zero, all scales
        xs.add(int(rng.choice([-1, 1]) * 10 ** rng.uniform(0, 18)))
    for k in range(-42, 47):
        xs.update({k * WAD, k * WAD + 1, k * WAD - 1})
    xs.update({0, 1, -1, EXP_MIN + 1, to_raw(mp.log(2)), to_raw(-mp.log(2)), 46_583_000_000_000_000_000})
    xs = sorted(x for x in xs if EXP_MIN < x <= EXP_LIMIT)
    rows = [(x, wei(mp.e ** w(x))) for x in xs]
    write("exp.txt", "# x_raw exp(x)_wei", rows)


def gen_ln(rng):
    xs = set()
    for _ in range(2000):
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
    for _ in range(1000):
        xs.add(to_raw(mp.mpf(rng.uniform(-38, 38))))
    for _ in range(2000):
        xs.add(to_raw(mp.mpf(rng.uniform(-10.5, 10.5))))
    for k in range(-38 * 4, 38 * 4 + 1):
        xs.add(k * WAD // 4)
    xs.update({1, -1, 10 * WAD - 1, -10 * WAD + 1})
    rows = [(x, wei(mp.ncdf(w(x)))) for x in sorted(xs)]
    write("norm_cdf.txt", "# x_raw N(x)_wei", rows)


def gen_sqrt(rng):
    xs = set()
    for _ in range(1000):
        xs.add(int(10 ** rng.uniform(0, 38.2)))
    for _ in range(400):
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
    d = mp.nstr(mp.e ** (-mp.mpf(rate) * secs / Y), 12, strip_zeros=False)
    return f"{f:.6f}", f"{k:.6f}", secs, f"{vol:.8f}", d


def b76_exact(f, k, secs, vol, d):
    """Exact Black-76 on decimal inputs, with sqrt_tau floored as `sqrt(annualise(secs))`."""
    F, K, vol, D = mp.mpf(f), mp.mpf(k), mp.mpf(vol), mp.mpf(d)
    st = w(isqrt_wad(secs * WAD // Y))
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
        rows.append((*inp, wei(call, 2), wei(put, 2)))
        if i % 10 == 0:
            grows.append((*inp, wei(cd), wei(pd), wei(vega)))
    write("black76_prices.txt", "# F K secs vol D (decimal) call_wei put_wei", rows)
    write("black76_greeks.txt", "# F K secs vol D (decimal) call_delta_wei put_delta_wei vega_wei", grows)


def gen_hull(rng):
    """Hull, Options Futures and Other Derivatives, example 15.6 mapped to Black-76."""
    S, r, T = mp.mpf(42), mp.mpf("0.1"), Y // 2
    f = mp.nstr(S * mp.e ** (r / 2), 19, strip_zeros=False)
    d = mp.nstr(mp.e ** (-r / 2), 18, strip_zeros=False)
    call, put, cd, pd, vega = b76_exact(f, "40", T, "0.2", d)
    rows = [(f, "40", T, "0.2", d, wei(call), wei(put), wei(cd), wei(pd), wei(vega))]
    write("black76_hull.txt", "# F K secs vol D (decimal) call put call_delta put_delta vega (wei)", rows)


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
    while len(rows) < 2000:
        a = round(rng.uniform(-0.05, 0.3), 10)
        b = round(rng.uniform(0, 1.5), 10)
        rho = round(rng.uniform(-0.99, 0.99), 10)
        m = round(rng.uniform(-0.5, 0.5), 10)
        sig = round(rng.uniform(0.005, 1), 10)
        F = round(10 ** rng.uniform(1, 5), 6)
        tau = round(10 ** rng.uniform(-3, 0.5), 10)
        K = round(F * 10 ** rng.uniform(-1.5, 1.5), 6)
        decs = [f"{x:.10f}" for x in (a, b, rho, m, sig)] + [f"{F:.6f}", f"{tau:.10f}", f"{K:.6f}"]
        cap = "144" if rng.random() < 0.8 else f"{rng.uniform(0.01, 0.5):.4f}"
        res = svi_exact(*[mp.mpf(x) for x in decs], mp.mpf(cap))
        if res is None:
            rows.append((*decs, cap, "revert", "revert"))
        else:
            rows.append((*decs, cap, wei(res[0], 3), wei(res[1], 3)))
    write("svi.txt", "# a b rho m sigma F tau K cap (decimal) w_wei vol_wei (or revert)", rows)


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
