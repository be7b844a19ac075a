//! The account snapshot: a compact, versioned binary encoding of everything one margin
//! computation needs, shared by the vault (which encodes it from storage) and the stateless
//! margin-engine contracts (which decode and margin it).
//!
//! # API
//!
//! ```text
//! pub struct MarginSnapshot { mode: MarginMode, account: Account, market: MarketSnapshot,
//!                             params: RiskParams }
//! pub enum MarginMode { Isolated = 0, Cross = 1, Portfolio = 2 }
//! pub fn encode(snapshot: &MarginSnapshot) -> Vec<u8>            // infallible
//! pub fn decode(bytes: &[u8]) -> Result<MarginSnapshot, SnapshotError>   // never panics
//! pub fn evaluate(snapshot: &MarginSnapshot) -> Result<MarginOutcome, RiskError>
//! pub fn evaluate_cross(..) / evaluate_portfolio(..)  // one model each (engine code size)
//! pub struct MarginOutcome { im: Wad, mm: Wad, mtm: Wad, worst: Option<WorstCase> }
//! ```
//!
//! # Modes
//!
//! * **Portfolio** — PM2 over every underlying the account is exposed to:
//!   [`Account::to_portfolio_with_map`] then
//!   [`portfolio_margin`], exactly as
//!   [`compare_modes`](super::account::compare_modes) does.
//! * **Cross** — SRM: [`Account::to_cross`] then [`cross_margin`], as `compare_modes` does.
//! * **Isolated** — the vault keeps one position per isolated account, secured by all of that
//!   account's collateral, so an isolated snapshot is the cross margin of its (at most one)
//!   position with the account's cash and collateral. This equals `compare_modes`' isolated
//!   summary of the same account when the position's `isolated_collateral` is the whole
//!   account. (With no position at all, cross margin still applies the collateral IM
//!   haircuts, where `compare_modes` counts unassigned collateral at face value.) A snapshot in isolated mode with more than one position is refused by
//!   [`decode`] ([`SnapshotError::IsolatedNeedsOnePosition`]); `isolated_collateral` is still
//!   carried (so the encoding round-trips every [`Account`]) but not used.
//!
//! # Parameters
//!
//! The full [`RiskParams`] are carried inline (no parameter-set id): the engines are
//! stateless, the vault's risk admin stores the governed set in the vault, and a static call
//! between contracts pays no L1 calldata. Keel's default parameters (one SRM set, 31 scenarios) encode in about 1 kB; wads are
//! varints, so a typical 3-position account with two underlyings' market data adds ~0.6 kB.
//! Parameters are **not** re-validated by decoding or evaluation (as in keel-risk generally:
//! setters validate once); the vault must validate them when the admin sets them.
//!
//! # Wire format, version 1
//!
//! Integers are LEB128 varints: `uint` (unsigned, 7 bits per byte, low group first) and `int`
//! (zigzag `(x << 1) ^ (x >> 127)` then `uint`). A varint must be canonical (no redundant
//! trailing `0x00` group, at most 19 bytes, no bits beyond 128) and fit its field's type
//! (`u32`, `u64`, `i128`); a [`Wad`] is its raw `i128` as an `int`. Counts are `uint`s checked
//! against the bounds below **before** anything is allocated.
//!
//! ```text
//! snapshot   = 0x4B 'K' | version 0x01 | mode u8 | market | account | params   (no trailing bytes)
//! market     = now uint | stable_price | n ≤ MAX_UNDERLYINGS × underlying | n ≤ MAX_ASSETS × asset
//! underlying = spot | spot_conf | perp_price | perp_conf | n ≤ MAX_EXPIRIES × expiry
//! expiry     = expiry uint | forward | forward_fixed | forward_conf | rate | rate_conf
//!              | svi a b rho m sigma forward tau | vol_conf
//! asset      = price | conf | mm_haircut | im_haircut | rc uint (0 = none, u + 1 = underlying u)
//! account    = cash | n ≤ MAX_ASSETS × balance | n ≤ MAX_POSITIONS × position
//! position   = underlying uint | kind u8 (0 perp, 1 call, 2 put)
//!              | perp: unsettled | option: expiry uint, strike | size
//!              | isolated cash | n ≤ MAX_ASSETS × (asset index uint, amount)
//! params     = n ≤ MAX_UNDERLYINGS × srm (16 wads, field order of SrmParams)
//!              | depeg_threshold | depeg_factor | pm2
//! pm2        = vol_shock: range_up range_down short_power long_power dte_floor uint min_up
//!              | margin: 8 wads | basis: 4 wads | other: 8 wads | skew: 8 wads (field order)
//!              | n ≤ MAX_SCENARIOS × (spot_shock, vol u8 0 None 1 Up 2 Down 3 Linear 4 Abs,
//!              dampening) | max_expiries uint | svi_max_total_variance
//! ```
//!
//! (every unnamed field is a wad `int`). Decoding accepts exactly the byte strings [`encode`]
//! produces: `decode(b) == Ok(s)` implies `encode(&s) == b`. There is no checksum: the bytes
//! are built by the vault in the same transaction, and anyone calling an engine directly can
//! compute any checksum; what decoding guarantees is that hostile bytes are refused with a
//! [`SnapshotError`] (or margined as the unique snapshot they encode), never a panic or an
//! unbounded allocation. The error is the first one met reading front to back (a cut
//! anywhere is [`SnapshotError::Truncated`]).

use alloc::vec::Vec;

use crate::math::SviParams;
use crate::model::account::{
    Account, AssignedCollateral, CollateralAsset, ExpiryMarket, Instrument, MarketSnapshot,
    Position, RiskParams, UnderlyingMarket,
};
use crate::model::cross::{cross_margin, SrmParams};
use crate::model::portfolio::{
    portfolio_margin, BasisParams, MarginParams, OtherContingencyParams, Pm2Params, Scenario,
    SkewShockParams, VolShock, VolShockParams, WorstCase,
};
use crate::{RiskError, Wad};

/// First byte of every snapshot (`'K'`).
pub const MAGIC: u8 = 0x4B;
/// The encoding version this build writes and reads.
pub const VERSION: u8 = 1;
/// Most underlyings in the market data, and most per-underlying SRM parameter sets.
pub const MAX_UNDERLYINGS: usize = 16;
/// Most listed expiries per underlying (PM2's `maxExpiries` bound).
pub const MAX_EXPIRIES: usize = crate::model::portfolio::MAX_EXPIRIES_BOUND as usize;
/// Most collateral assets (market data, balances, and assets assigned to one position).
pub const MAX_ASSETS: usize = 16;
/// Most positions in one account.
pub const MAX_POSITIONS: usize = 64;
/// Most PM2 scenarios (§3.4).
pub const MAX_SCENARIOS: usize = crate::model::portfolio::MAX_SCENARIOS;

/// The margin mode a snapshot asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarginMode {
    /// One position secured by the account's collateral (cross model of that account).
    Isolated = 0,
    /// SRM cross margin.
    Cross = 1,
    /// PM2 portfolio margin.
    Portfolio = 2,
}

impl MarginMode {
    /// The mode of a wire byte.
    pub const fn from_u8(byte: u8) -> Option<MarginMode> {
        match byte {
            0 => Some(MarginMode::Isolated),
            1 => Some(MarginMode::Cross),
            2 => Some(MarginMode::Portfolio),
            _ => None,
        }
    }
}

/// Everything one margin computation needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MarginSnapshot {
    /// The requested mode.
    pub mode: MarginMode,
    /// Cash, collateral balances, positions.
    pub account: Account,
    /// Prices, forwards, rates, vol surfaces, collateral assets.
    pub market: MarketSnapshot,
    /// SRM, depeg and PM2 parameters.
    pub params: RiskParams,
}

/// Why bytes are not a snapshot.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SnapshotError {
    /// The bytes end inside a field.
    Truncated,
    /// Bytes remain after the parameters.
    TrailingBytes,
    /// The first byte is not [`MAGIC`].
    BadMagic,
    /// The version byte is not [`VERSION`].
    UnsupportedVersion,
    /// A mode, instrument kind or vol-shock byte outside its list.
    BadTag,
    /// A varint that is not canonical or does not fit its field's type.
    BadVarint,
    /// More underlyings (or SRM parameter sets) than [`MAX_UNDERLYINGS`].
    TooManyUnderlyings,
    /// More expiries on one underlying than [`MAX_EXPIRIES`].
    TooManyExpiries,
    /// More assets than [`MAX_ASSETS`] (market data, balances or one position's assignment).
    TooManyAssets,
    /// More positions than [`MAX_POSITIONS`].
    TooManyPositions,
    /// More scenarios than [`MAX_SCENARIOS`].
    TooManyScenarios,
    /// An isolated-mode snapshot with more than one position.
    IsolatedNeedsOnePosition,
}

impl SnapshotError {
    /// The variant's name, identical to the Solidity custom error the engines revert with.
    pub const fn name(self) -> &'static str {
        match self {
            SnapshotError::Truncated => "SnapshotTruncated",
            SnapshotError::TrailingBytes => "SnapshotTrailingBytes",
            SnapshotError::BadMagic => "SnapshotBadMagic",
            SnapshotError::UnsupportedVersion => "SnapshotUnsupportedVersion",
            SnapshotError::BadTag => "SnapshotBadTag",
            SnapshotError::BadVarint => "SnapshotBadVarint",
            SnapshotError::TooManyUnderlyings => "SnapshotTooManyUnderlyings",
            SnapshotError::TooManyExpiries => "SnapshotTooManyExpiries",
            SnapshotError::TooManyAssets => "SnapshotTooManyAssets",
            SnapshotError::TooManyPositions => "SnapshotTooManyPositions",
            SnapshotError::TooManyScenarios => "SnapshotTooManyScenarios",
            SnapshotError::IsolatedNeedsOnePosition => "SnapshotIsolatedNeedsOnePosition",
        }
    }
}

impl core::fmt::Display for SnapshotError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(self.name())
    }
}

impl core::error::Error for SnapshotError {}

/// The headline numbers of one mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MarginOutcome {
    /// Initial-margin surplus (≥ 0 may take new risk).
    pub im: Wad,
    /// Maintenance-margin surplus (< 0 is liquidatable).
    pub mm: Wad,
    /// Mark-to-market value of the account.
    pub mtm: Wad,
    /// Portfolio mode: the worst case of the underlying with the largest worst loss (the
    /// first such book, in order of first reference); `None` in the other modes and for an
    /// account exposed to no underlying.
    pub worst: Option<WorstCase>,
}

/// Margins the snapshot in its mode (links both models; the engines call
/// [`evaluate_cross`] or [`evaluate_portfolio`] to link one).
pub fn evaluate(snapshot: &MarginSnapshot) -> Result<MarginOutcome, RiskError> {
    match snapshot.mode {
        MarginMode::Isolated | MarginMode::Cross => evaluate_cross(snapshot),
        MarginMode::Portfolio => evaluate_portfolio(snapshot),
    }
}

/// Cross margin of the snapshot's account, whatever its mode says (isolated and cross
/// snapshots are both margined this way; see the module docs).
pub fn evaluate_cross(snapshot: &MarginSnapshot) -> Result<MarginOutcome, RiskError> {
    let account = snapshot
        .account
        .to_cross(&snapshot.market, &snapshot.params)?;
    let m = cross_margin(&account)?;
    Ok(MarginOutcome {
        im: m.im,
        mm: m.mm,
        mtm: m.mtm,
        worst: None,
    })
}

/// Portfolio margin of the snapshot's account, whatever its mode says.
pub fn evaluate_portfolio(snapshot: &MarginSnapshot) -> Result<MarginOutcome, RiskError> {
    let (account, _) = snapshot.account.to_portfolio_with_map(&snapshot.market)?;
    let m = portfolio_margin(&account, &snapshot.params.portfolio)?;
    let mut worst: Option<(Wad, WorstCase)> = None;
    for u in &m.breakdown.underlyings {
        if worst.is_none_or(|(loss, _)| u.worst_loss > loss) {
            worst = Some((u.worst_loss, u.worst));
        }
    }
    Ok(MarginOutcome {
        im: m.im,
        mm: m.mm,
        mtm: m.mtm,
        worst: worst.map(|(_, w)| w),
    })
}

// ---------------------------------------------------------------------------------------------
// Encoding

struct Writer(Vec<u8>);

impl Writer {
    fn uint(&mut self, mut x: u128) {
        loop {
            let low = (x & 0x7f) as u8;
            x >>= 7;
            if x == 0 {
                self.0.push(low);
                return;
            }
            self.0.push(low | 0x80);
        }
    }
    fn int(&mut self, x: i128) {
        self.uint(((x << 1) ^ (x >> 127)) as u128);
    }
    fn wad(&mut self, x: Wad) {
        self.int(x.raw());
    }
    fn wads(&mut self, xs: &[Wad]) {
        for &x in xs {
            self.wad(x);
        }
    }
    fn len(&mut self, n: usize) {
        self.uint(n as u128);
    }
}

fn srm_fields(p: &SrmParams) -> [Wad; 16] {
    [
        p.max_spot_req,
        p.min_spot_req,
        p.mm_call_spot_req,
        p.mm_put_spot_req,
        p.mm_put_mtm_req,
        p.unpaired_im_scale,
        p.unpaired_mm_scale,
        p.mm_offset_scale,
        p.perp_im_req,
        p.perp_mm_req,
        p.base_margin_factor,
        p.base_im_scale,
        p.oc_perp_threshold,
        p.oc_option_threshold,
        p.oc_base_threshold,
        p.oc_factor,
    ]
}

fn margin_fields(m: &MarginParams) -> [Wad; 8] {
    [
        m.im_factor,
        m.mm_factor,
        m.long_rate_mult_scale,
        m.long_rate_add_scale,
        m.long_base_static_discount,
        m.short_rate_mult_scale,
        m.short_rate_add_scale,
        m.short_base_static_discount,
    ]
}

fn other_fields(o: &OtherContingencyParams) -> [Wad; 8] {
    [
        o.peg_loss_threshold,
        o.peg_loss_factor,
        o.conf_threshold,
        o.conf_margin,
        o.mm_perp_percent,
        o.im_perp_percent,
        o.mm_option_percent,
        o.im_option_percent,
    ]
}

fn skew_fields(s: &SkewShockParams) -> [Wad; 8] {
    [
        s.linear_base_cap,
        s.linear_c_base,
        s.abs_base_cap,
        s.abs_c_base,
        s.min_k_star,
        s.width_scale,
        s.vol_param_static,
        s.vol_param_scale,
    ]
}

fn svi_fields(s: &SviParams) -> [Wad; 7] {
    [s.a, s.b, s.rho, s.m, s.sigma, s.forward, s.tau]
}

const fn vol_tag(v: VolShock) -> u8 {
    match v {
        VolShock::None => 0,
        VolShock::Up => 1,
        VolShock::Down => 2,
        VolShock::Linear => 3,
        VolShock::Abs => 4,
    }
}

/// The snapshot's bytes (format in the module docs). Infallible; a snapshot beyond the bounds
/// encodes to bytes [`decode`] refuses.
pub fn encode(snapshot: &MarginSnapshot) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(512));
    w.0.extend_from_slice(&[MAGIC, VERSION, snapshot.mode as u8]);

    let market = &snapshot.market;
    w.uint(market.now.into());
    w.wad(market.stable_price);
    w.len(market.underlyings.len());
    for u in &market.underlyings {
        w.wads(&[u.spot, u.spot_confidence, u.perp_price, u.perp_confidence]);
        w.len(u.expiries.len());
        for e in &u.expiries {
            w.uint(e.expiry.into());
            w.wads(&[
                e.forward,
                e.forward_fixed,
                e.forward_confidence,
                e.rate,
                e.rate_confidence,
            ]);
            w.wads(&svi_fields(&e.svi));
            w.wad(e.vol_confidence);
        }
    }
    w.len(market.assets.len());
    for a in &market.assets {
        w.wads(&[a.price, a.confidence, a.mm_haircut, a.im_haircut]);
        w.uint(
            a.risk_cancelling_underlying
                .map_or(0, |u| u128::from(u) + 1),
        );
    }

    let account = &snapshot.account;
    w.wad(account.cash);
    w.len(account.collateral.len());
    w.wads(&account.collateral);
    w.len(account.positions.len());
    for p in &account.positions {
        w.uint(p.underlying.into());
        match p.instrument {
            Instrument::Perp { unsettled } => {
                w.0.push(0);
                w.wad(unsettled);
            }
            Instrument::Option {
                expiry,
                strike,
                is_call,
            } => {
                w.0.push(if is_call { 1 } else { 2 });
                w.uint(expiry.into());
                w.wad(strike);
            }
        }
        w.wad(p.size);
        w.wad(p.isolated_collateral.cash);
        w.len(p.isolated_collateral.assets.len());
        for &(index, amount) in &p.isolated_collateral.assets {
            w.uint(index.into());
            w.wad(amount);
        }
    }

    let params = &snapshot.params;
    w.len(params.cross_markets.len());
    for p in &params.cross_markets {
        w.wads(&srm_fields(p));
    }
    w.wads(&[params.cross_depeg_threshold, params.cross_depeg_factor]);
    let pm = &params.portfolio;
    let v = &pm.vol_shock;
    w.wads(&[
        v.vol_range_up,
        v.vol_range_down,
        v.short_term_power,
        v.long_term_power,
    ]);
    w.uint(v.dte_floor.into());
    w.wad(v.min_vol_up_shock);
    w.wads(&margin_fields(&pm.margin));
    let b = &pm.basis;
    w.wads(&[
        b.scenario_spot_up,
        b.scenario_spot_down,
        b.add_factor,
        b.mult_factor,
    ]);
    w.wads(&other_fields(&pm.other));
    w.wads(&skew_fields(&pm.skew));
    w.len(pm.scenarios.len());
    for s in &pm.scenarios {
        w.wad(s.spot_shock);
        w.0.push(vol_tag(s.vol_shock));
        w.wad(s.dampening);
    }
    w.uint(pm.max_expiries.into());
    w.wad(pm.svi_max_total_variance);
    w.0
}

// ---------------------------------------------------------------------------------------------
// Decoding

/// A reader with a sticky error: after the first failure every read returns zero without
/// consuming, and the first error is reported once at the end. This keeps one error exit
/// instead of one per field, which is most of the decoder's size in the engines.
struct Reader<'a> {
    bytes: &'a [u8],
    error: Option<SnapshotError>,
}

impl Reader<'_> {
    fn fail(&mut self, e: SnapshotError) {
        if self.error.is_none() {
            self.error = Some(e);
        }
    }

    fn byte(&mut self) -> u8 {
        if self.error.is_some() {
            return 0;
        }
        match self.bytes.split_first() {
            Some((&first, rest)) => {
                self.bytes = rest;
                first
            }
            None => {
                self.fail(SnapshotError::Truncated);
                0
            }
        }
    }

    /// A canonical LEB128 `u128`.
    fn uint(&mut self) -> u128 {
        let mut x: u128 = 0;
        let mut shift: u32 = 0;
        loop {
            let b = self.byte();
            let group = u128::from(b & 0x7f);
            // The 19th group (shift 126) may only hold two bits; a last group of 0 after the
            // first is a redundant (non-canonical) byte.
            if (shift == 126 && group > 0x03) || (b == 0 && shift > 0) {
                self.fail(SnapshotError::BadVarint);
                return 0;
            }
            x |= group << shift;
            if b & 0x80 == 0 || self.error.is_some() {
                return x;
            }
            shift += 7;
            if shift > 126 {
                self.fail(SnapshotError::BadVarint);
                return 0;
            }
        }
    }

    fn u64(&mut self) -> u64 {
        let x = self.uint();
        u64::try_from(x).unwrap_or_else(|_| {
            self.fail(SnapshotError::BadVarint);
            0
        })
    }

    fn u32(&mut self) -> u32 {
        let x = self.uint();
        u32::try_from(x).unwrap_or_else(|_| {
            self.fail(SnapshotError::BadVarint);
            0
        })
    }

    #[inline(never)]
    fn wad(&mut self) -> Wad {
        let z = self.uint();
        Wad::from_raw(((z >> 1) as i128) ^ -((z & 1) as i128))
    }

    /// Reads `out.len()` wads (one non-generic loop: the engines' code size).
    #[inline(never)]
    fn fill(&mut self, out: &mut [Wad]) {
        for slot in out {
            *slot = self.wad();
        }
    }

    /// A list length, 0 once an error is recorded (so nothing more is read or allocated).
    fn count(&mut self, max: usize, error: SnapshotError) -> usize {
        match self.uint() {
            n if n <= max as u128 => n as usize,
            _ => {
                self.fail(error);
                0
            }
        }
    }
}

/// The snapshot the bytes encode (format and guarantees in the module docs).
pub fn decode(bytes: &[u8]) -> Result<MarginSnapshot, SnapshotError> {
    let mut r = Reader { bytes, error: None };
    if r.byte() != MAGIC {
        r.fail(SnapshotError::BadMagic);
    }
    if r.byte() != VERSION {
        r.fail(SnapshotError::UnsupportedVersion);
    }
    let mode = MarginMode::from_u8(r.byte()).unwrap_or_else(|| {
        r.fail(SnapshotError::BadTag);
        MarginMode::Cross
    });
    let market = read_market(&mut r);
    let account = read_account(&mut r);
    if mode == MarginMode::Isolated && account.positions.len() > 1 {
        r.fail(SnapshotError::IsolatedNeedsOnePosition);
    }
    let params = read_params(&mut r);
    if !r.bytes.is_empty() {
        r.fail(SnapshotError::TrailingBytes);
    }
    match r.error {
        Some(e) => Err(e),
        None => Ok(MarginSnapshot {
            mode,
            account,
            market,
            params,
        }),
    }
}

// The readers below fill each struct with one `r.wad()` call per field, written in the wire
// order (a struct expression evaluates its fields in the order they are written): with
// `wad` not inlined, each field costs a call writing straight into the struct, which keeps
// the engines' decoder small.

fn read_market(r: &mut Reader) -> MarketSnapshot {
    let now = r.u64();
    let stable_price = r.wad();
    let n = r.count(MAX_UNDERLYINGS, SnapshotError::TooManyUnderlyings);
    let mut underlyings = Vec::with_capacity(n);
    for _ in 0..n {
        underlyings.push(UnderlyingMarket {
            spot: r.wad(),
            spot_confidence: r.wad(),
            perp_price: r.wad(),
            perp_confidence: r.wad(),
            expiries: {
                let n = r.count(MAX_EXPIRIES, SnapshotError::TooManyExpiries);
                let mut expiries = Vec::with_capacity(n);
                for _ in 0..n {
                    expiries.push(ExpiryMarket {
                        expiry: r.u64(),
                        forward: r.wad(),
                        forward_fixed: r.wad(),
                        forward_confidence: r.wad(),
                        rate: r.wad(),
                        rate_confidence: r.wad(),
                        svi: SviParams {
                            a: r.wad(),
                            b: r.wad(),
                            rho: r.wad(),
                            m: r.wad(),
                            sigma: r.wad(),
                            forward: r.wad(),
                            tau: r.wad(),
                        },
                        vol_confidence: r.wad(),
                    });
                }
                expiries
            },
        });
    }
    let n = r.count(MAX_ASSETS, SnapshotError::TooManyAssets);
    let mut assets = Vec::with_capacity(n);
    for _ in 0..n {
        assets.push(CollateralAsset {
            price: r.wad(),
            confidence: r.wad(),
            mm_haircut: r.wad(),
            im_haircut: r.wad(),
            risk_cancelling_underlying: match r.u64() {
                0 => None,
                // `u + 1` fits a u64 and `u` must fit a u32.
                u => Some(u32::try_from(u - 1).unwrap_or_else(|_| {
                    r.fail(SnapshotError::BadVarint);
                    0
                })),
            },
        });
    }
    MarketSnapshot {
        now,
        stable_price,
        underlyings,
        assets,
    }
}

fn read_account(r: &mut Reader) -> Account {
    let cash = r.wad();
    let n = r.count(MAX_ASSETS, SnapshotError::TooManyAssets);
    let mut collateral = alloc::vec![Wad::ZERO; n];
    r.fill(&mut collateral);
    let n = r.count(MAX_POSITIONS, SnapshotError::TooManyPositions);
    let mut positions = Vec::with_capacity(n);
    for _ in 0..n {
        positions.push(Position {
            underlying: r.u32(),
            instrument: match r.byte() {
                0 => Instrument::Perp { unsettled: r.wad() },
                kind @ (1 | 2) => Instrument::Option {
                    expiry: r.u64(),
                    strike: r.wad(),
                    is_call: kind == 1,
                },
                _ => {
                    r.fail(SnapshotError::BadTag);
                    Instrument::Perp {
                        unsettled: Wad::ZERO,
                    }
                }
            },
            size: r.wad(),
            isolated_collateral: AssignedCollateral {
                cash: r.wad(),
                assets: {
                    let n = r.count(MAX_ASSETS, SnapshotError::TooManyAssets);
                    let mut assets = Vec::with_capacity(n);
                    for _ in 0..n {
                        assets.push((r.u32(), r.wad()));
                    }
                    assets
                },
            },
        });
    }
    Account {
        cash,
        collateral,
        positions,
    }
}

fn read_params(r: &mut Reader) -> RiskParams {
    RiskParams {
        cross_markets: {
            let n = r.count(MAX_UNDERLYINGS, SnapshotError::TooManyUnderlyings);
            let mut cross_markets = Vec::with_capacity(n);
            for _ in 0..n {
                cross_markets.push(SrmParams {
                    max_spot_req: r.wad(),
                    min_spot_req: r.wad(),
                    mm_call_spot_req: r.wad(),
                    mm_put_spot_req: r.wad(),
                    mm_put_mtm_req: r.wad(),
                    unpaired_im_scale: r.wad(),
                    unpaired_mm_scale: r.wad(),
                    mm_offset_scale: r.wad(),
                    perp_im_req: r.wad(),
                    perp_mm_req: r.wad(),
                    base_margin_factor: r.wad(),
                    base_im_scale: r.wad(),
                    oc_perp_threshold: r.wad(),
                    oc_option_threshold: r.wad(),
                    oc_base_threshold: r.wad(),
                    oc_factor: r.wad(),
                });
            }
            cross_markets
        },
        cross_depeg_threshold: r.wad(),
        cross_depeg_factor: r.wad(),
        portfolio: Pm2Params {
            vol_shock: VolShockParams {
                vol_range_up: r.wad(),
                vol_range_down: r.wad(),
                short_term_power: r.wad(),
                long_term_power: r.wad(),
                dte_floor: r.u64(),
                min_vol_up_shock: r.wad(),
            },
            margin: MarginParams {
                im_factor: r.wad(),
                mm_factor: r.wad(),
                long_rate_mult_scale: r.wad(),
                long_rate_add_scale: r.wad(),
                long_base_static_discount: r.wad(),
                short_rate_mult_scale: r.wad(),
                short_rate_add_scale: r.wad(),
                short_base_static_discount: r.wad(),
            },
            basis: BasisParams {
                scenario_spot_up: r.wad(),
                scenario_spot_down: r.wad(),
                add_factor: r.wad(),
                mult_factor: r.wad(),
            },
            other: OtherContingencyParams {
                peg_loss_threshold: r.wad(),
                peg_loss_factor: r.wad(),
                conf_threshold: r.wad(),
                conf_margin: r.wad(),
                mm_perp_percent: r.wad(),
                im_perp_percent: r.wad(),
                mm_option_percent: r.wad(),
                im_option_percent: r.wad(),
            },
            skew: SkewShockParams {
                linear_base_cap: r.wad(),
                linear_c_base: r.wad(),
                abs_base_cap: r.wad(),
                abs_c_base: r.wad(),
                min_k_star: r.wad(),
                width_scale: r.wad(),
                vol_param_static: r.wad(),
                vol_param_scale: r.wad(),
            },
            scenarios: {
                let n = r.count(MAX_SCENARIOS, SnapshotError::TooManyScenarios);
                let mut scenarios = Vec::with_capacity(n);
                for _ in 0..n {
                    scenarios.push(Scenario {
                        spot_shock: r.wad(),
                        vol_shock: match r.byte() {
                            0 => VolShock::None,
                            1 => VolShock::Up,
                            2 => VolShock::Down,
                            3 => VolShock::Linear,
                            4 => VolShock::Abs,
                            _ => {
                                r.fail(SnapshotError::BadTag);
                                VolShock::None
                            }
                        },
                        dampening: r.wad(),
                    });
                }
                scenarios
            },
            max_expiries: r.u32(),
            svi_max_total_variance: r.wad(),
        },
    }
}

#[cfg(test)]
mod tests;
