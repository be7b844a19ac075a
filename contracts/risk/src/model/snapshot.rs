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
//! pub fn encode_prefix(mode, &MarketSnapshot, &Account) -> Vec<u8>  // header, market, account
//! pub fn encode_params(&RiskParams) -> Vec<u8>   // encode(s) == encode_prefix(..) ‖ encode_params(&s.params)
//! pub fn decode_params(bytes: &[u8]) -> Result<RiskParams, SnapshotError>
//! impl RiskParams { pub fn validate(&self) -> Result<(), ParamsError> }  // hard bounds
//! pub fn validate_params(bytes: &[u8]) -> Result<usize, ParamsError>  // decode + validate, table-driven
//! pub struct Writer(pub Vec<u8>)   // the varint primitives, for encoders that stream
//! pub fn evaluate(snapshot: &MarginSnapshot) -> Result<MarginOutcome, RiskError>
//! pub fn evaluate_cross(..) / evaluate_portfolio(..)  // one model each (engine code size)
//! pub fn isolated_what_if(..) / all_modes(..)  // the three modes side by side (off-chain)
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
//! setters validate once): the vault stores the [`encode_params`] bytes its risk admin sets,
//! after [`decode_params`] and [`RiskParams::validate`] accept them, and appends them verbatim
//! to every snapshot it builds ([`encode_prefix`]).
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
use crate::{RiskError, Wad, WAD};

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
pub const MAX_POSITIONS: usize = 160;
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

/// Why [`RiskParams::validate`] refuses a parameter set. The discriminant is the `code` of the
/// vault's `InvalidRiskParams(uint8 code)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum ParamsError {
    /// 1: the bytes are not a parameters section ([`decode_params`] refuses them).
    Malformed = 1,
    /// 2: no SRM parameter set (cross margin needs at least one).
    NoSrmSets = 2,
    /// 3: an SRM set's option parameters outside SRM §3.3 ([`SrmParams::validate`]).
    SrmOption = 3,
    /// 4: an SRM set's perp requirements outside `0 < r_MM ≤ r_IM < 1`.
    SrmPerp = 4,
    /// 5: an SRM set's base-asset factors outside [0, 1].
    SrmBase = 5,
    /// 6: an SRM set's oracle-contingency thresholds or factor outside [0, 1].
    SrmOracle = 6,
    /// 7: stable de-peg threshold outside [0, 1] or factor outside [0, 3].
    Depeg = 7,
    /// 8: a PM2 parameter outside its §3.3 bounds ([`Pm2Params::validate_bounds`]:
    /// including `maxExpiries` outside [1, 30] and a non-positive SVI cap), or a vol-shock
    /// power below −10.
    Pm2Bounds = 8,
    /// 9: a scenario list PM2 §3.4 refuses (1 to 40 scenarios, one Linear and one Abs at
    /// most, both at `ξ = 1`), or a scenario with `ξ` outside [0, 10] or `λ` outside [0, 1].
    Scenarios = 9,
    /// 10: `dteFloor` of 0 seconds (an option at its expiry would divide by zero).
    DteFloor = 10,
    /// 11: SVI total-variance cap above 144 (`W_MAX`).
    SviCap = 11,
    /// 12: fewer SRM sets than the vault has underlyings (checked by the vault, which knows
    /// how many it lists).
    TooFewSrmSets = 12,
}

impl RiskParams {
    /// Hard bounds on every parameter ([`validate_params`] on the set's encoding): checked
    /// once when the vault's risk admin stores a set (evaluation never re-validates). A set
    /// that cannot be encoded within the wire bounds (more than 16 SRM sets or 40 scenarios)
    /// is [`ParamsError::Malformed`]. [`RiskParams::keel_default`] passes.
    pub fn validate(&self) -> Result<(), ParamsError> {
        validate_params(&encode_params(self)).map(|_| ())
    }
}

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

/// The isolated **what-if** of a snapshot's account (whatever its mode): its cash and
/// collateral margined with no position, plus each position margined alone with no cash and
/// no collateral, all in the cross model; IM, MM and mark-to-market are the sums, so every
/// position carries its own one-position requirement with no netting between positions.
/// For an account with at most one position it is [`evaluate_cross`] of the account. (The
/// vault's `marginAllModes` view; computed off-chain from the vault's `snapshot` bytes.)
pub fn isolated_what_if(snapshot: &MarginSnapshot) -> Result<MarginOutcome, RiskError> {
    let mut alone = snapshot.clone();
    alone.account.positions.clear();
    let mut total = evaluate_cross(&alone)?;
    for p in &snapshot.account.positions {
        alone.account = Account {
            cash: Wad::ZERO,
            collateral: Vec::new(),
            positions: alloc::vec![p.clone()],
        };
        let m = evaluate_cross(&alone)?;
        total.im = total.im.add(m.im)?;
        total.mm = total.mm.add(m.mm)?;
        total.mtm = total.mtm.add(m.mtm)?;
    }
    Ok(total)
}

/// The snapshot's account in all three modes: `[isolated what-if, cross, portfolio]`.
pub fn all_modes(snapshot: &MarginSnapshot) -> Result<[MarginOutcome; 3], RiskError> {
    Ok([
        isolated_what_if(snapshot)?,
        evaluate_cross(snapshot)?,
        evaluate_portfolio(snapshot)?,
    ])
}

// ---------------------------------------------------------------------------------------------
// Encoding

/// The wire format's primitives, for an encoder that writes a snapshot without building a
/// [`MarginSnapshot`] (the vault streams one from storage): `uint` and zigzag `int` varints
/// (module docs). The bytes written must follow the grammar above; [`decode`] is the check.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Writer(pub Vec<u8>);

impl Writer {
    /// An unsigned varint.
    pub fn uint(&mut self, mut x: u128) {
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
    /// A signed (zigzag) varint.
    pub fn int(&mut self, x: i128) {
        self.uint(((x << 1) ^ (x >> 127)) as u128);
    }
    /// A wad (its raw `i128` as an `int`).
    pub fn wad(&mut self, x: Wad) {
        self.int(x.raw());
    }
    /// Several wads.
    pub fn wads(&mut self, xs: &[Wad]) {
        for &x in xs {
            self.wad(x);
        }
    }
    /// A count.
    pub fn len(&mut self, n: usize) {
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
/// encodes to bytes [`decode`] refuses. Always `encode_prefix(mode, market, account) ‖
/// encode_params(params)`.
pub fn encode(snapshot: &MarginSnapshot) -> Vec<u8> {
    let mut w = Writer(encode_prefix(
        snapshot.mode,
        &snapshot.market,
        &snapshot.account,
    ));
    write_params(&mut w, &snapshot.params);
    w.0
}

/// Everything of a snapshot before its parameters: header, market, account. The vault appends
/// the stored [`encode_params`] bytes verbatim to this.
pub fn encode_prefix(mode: MarginMode, market: &MarketSnapshot, account: &Account) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(512));
    w.0.extend_from_slice(&[MAGIC, VERSION, mode as u8]);

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
    w.0
}

/// The parameters section of the wire format (`params` in the module docs): exactly the bytes
/// that end [`encode`]'s output. The vault's risk admin stores these bytes.
pub fn encode_params(params: &RiskParams) -> Vec<u8> {
    let mut w = Writer(Vec::with_capacity(1024));
    write_params(&mut w, params);
    w.0
}

fn write_params(w: &mut Writer, params: &RiskParams) {
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

    /// A canonical LEB128 `u128`, gathered in two `u64` halves (a variable shift of a `u128`
    /// is a compiler-rt call on wasm32).
    fn uint(&mut self) -> u128 {
        let (mut low, mut high) = (0u64, 0u64);
        let mut shift: u32 = 0;
        loop {
            let b = self.byte();
            let group = u64::from(b & 0x7f);
            // The 19th group (shift 126) may only hold two bits; a last group of 0 after the
            // first is a redundant (non-canonical) byte.
            if (shift == 126 && group > 0x03) || (b == 0 && shift > 0) {
                self.fail(SnapshotError::BadVarint);
                return 0;
            }
            if shift < 64 {
                low |= group << shift;
                if shift > 57 {
                    // The group at bit 63 straddles the halves.
                    high |= group >> (64 - shift);
                }
            } else {
                high |= group << (shift - 64);
            }
            if b & 0x80 == 0 || self.error.is_some() {
                return (u128::from(high) << 64) | u128::from(low);
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

/// The parameters a [`encode_params`] output encodes: the same checks as [`decode`] applies
/// to a snapshot's parameters section, and no trailing bytes. Never panics. Does **not**
/// check the parameters' bounds ([`RiskParams::validate`] does).
pub fn decode_params(bytes: &[u8]) -> Result<RiskParams, SnapshotError> {
    let mut r = Reader { bytes, error: None };
    let params = read_params(&mut r);
    if !r.bytes.is_empty() {
        r.fail(SnapshotError::TrailingBytes);
    }
    match r.error {
        Some(e) => Err(e),
        None => Ok(params),
    }
}

// ---------------------------------------------------------------------------------------------
// Validating encoded parameters

/// A bound in tenths: `(low, high, open, error)`; `open` bit 1 excludes `low`, bit 2 excludes
/// `high`; [`UNBOUNDED`] as `low` means no lower bound.
type Bound = (i16, i16, u8, ParamsError);

/// Short for the tables.
type P = ParamsError;

/// No lower bound.
const UNBOUNDED: i16 = i16::MIN;

/// [`SrmParams::validate`]'s ranges, in wire order (which is also its group order). The perp
/// pair's `r_MM ≤ r_IM` is checked after the set.
const SRM_BOUNDS: [Bound; 16] = [
    (0, 12, 0, P::SrmOption),
    (0, 12, 0, P::SrmOption),
    (0, 10, 0, P::SrmOption),
    (0, 10, 0, P::SrmOption),
    (0, 10, 0, P::SrmOption),
    (10, 30, 0, P::SrmOption),
    (10, 30, 0, P::SrmOption),
    (10, 30, 0, P::SrmOption),
    (UNBOUNDED, 10, 2, P::SrmPerp),
    (0, 10, 3, P::SrmPerp),
    (0, 10, 0, P::SrmBase),
    (0, 10, 0, P::SrmBase),
    (0, 10, 0, P::SrmOracle),
    (0, 10, 0, P::SrmOracle),
    (0, 10, 0, P::SrmOracle),
    (0, 10, 0, P::SrmOracle),
];

/// The de-peg pair and the PM2 wads before `dteFloor` (vol ranges and powers).
const HEAD_BOUNDS: [Bound; 6] = [
    (0, 10, 0, P::Depeg),
    (0, 30, 0, P::Depeg),
    (0, 100, 0, P::Pm2Bounds),
    (0, 100, 0, P::Pm2Bounds),
    (-100, 100, 0, P::Pm2Bounds),
    (-100, 100, 0, P::Pm2Bounds),
];

/// The PM2 wads after `dteFloor`: min vol-up shock, margin, basis, other, skew
/// ([`Pm2Params::validate_bounds`]).
const TAIL_BOUNDS: [Bound; 29] = [
    (0, 200, 0, P::Pm2Bounds),
    (5, 100, 0, P::Pm2Bounds),
    (1, 100, 0, P::Pm2Bounds),
    (0, 100, 0, P::Pm2Bounds),
    (0, 100, 0, P::Pm2Bounds),
    (0, 40, 0, P::Pm2Bounds),
    (0, 100, 0, P::Pm2Bounds),
    (0, 100, 0, P::Pm2Bounds),
    (0, 40, 0, P::Pm2Bounds),
    (10, 30, 3, P::Pm2Bounds),
    (0, 10, 2, P::Pm2Bounds),
    (0, 200, 0, P::Pm2Bounds),
    (0, 200, 0, P::Pm2Bounds),
    (0, 1000, 0, P::Pm2Bounds),
    (0, 100, 0, P::Pm2Bounds),
    (0, 10, 0, P::Pm2Bounds),
    (0, 200, 0, P::Pm2Bounds),
    (0, 30, 0, P::Pm2Bounds),
    (0, 30, 0, P::Pm2Bounds),
    (0, 20, 0, P::Pm2Bounds),
    (0, 20, 0, P::Pm2Bounds),
    (0, 100, 0, P::Pm2Bounds),
    (-100, 100, 0, P::Pm2Bounds),
    (0, 100, 0, P::Pm2Bounds),
    (-100, 100, 0, P::Pm2Bounds),
    (0, 100, 0, P::Pm2Bounds),
    (0, 100, 0, P::Pm2Bounds),
    (0, 100, 0, P::Pm2Bounds),
    (-200, 200, 0, P::Pm2Bounds),
];

/// The first failing check, front to back.
struct Verdict(Option<ParamsError>);

impl Verdict {
    fn fail(&mut self, e: ParamsError) {
        if self.0.is_none() {
            self.0 = Some(e);
        }
    }

    #[inline(never)]
    fn check(&mut self, values: &[Wad], bounds: &[Bound]) {
        const TENTH: i128 = WAD / 10;
        for (x, &(low, high, open, e)) in values.iter().zip(bounds) {
            let x = x.raw();
            let low = i128::from(low) * TENTH;
            let high = i128::from(high) * TENTH;
            let below =
                low != i128::from(UNBOUNDED) * TENTH && (x < low || (open & 1 != 0 && x == low));
            let above = x > high || (open & 2 != 0 && x == high);
            if below || above {
                self.fail(e);
            }
        }
    }
}

/// Validates an [`encode_params`] section without building [`RiskParams`], in one
/// table-driven pass (the vault's code size): `Ok(SRM set count)`, or
/// [`ParamsError::Malformed`] when [`decode_params`] refuses the bytes, else the first bound
/// broken, front to back. The bounds: every SRM set within [`SrmParams::validate`]'s ranges;
/// the de-peg pair within the SRM globals' (threshold in [0, 1], factor in [0, 3]); PM2
/// within [`Pm2Params::validate_bounds`] plus vol-shock powers ≥ −10, `dteFloor` ≥ 1 s and
/// an SVI cap ≤ 144; the scenarios within PM2's admission rules plus `ξ ∈ [0, 10]`,
/// `λ ∈ [0, 1]`. (The tests hold these against the struct validators.)
pub fn validate_params(bytes: &[u8]) -> Result<usize, ParamsError> {
    let mut r = Reader { bytes, error: None };
    let mut v = Verdict(None);
    let sets = r.count(MAX_UNDERLYINGS, SnapshotError::TooManyUnderlyings);
    if sets == 0 {
        v.fail(ParamsError::NoSrmSets);
    }
    let mut srm = [Wad::ZERO; 16];
    for _ in 0..sets {
        r.fill(&mut srm);
        v.check(&srm[..10], &SRM_BOUNDS[..10]);
        if srm[8] < srm[9] {
            v.fail(ParamsError::SrmPerp);
        }
        v.check(&srm[10..], &SRM_BOUNDS[10..]);
    }
    let mut head = [Wad::ZERO; 6];
    r.fill(&mut head);
    v.check(&head, &HEAD_BOUNDS);
    let dte_floor = r.u64();
    if dte_floor > crate::model::portfolio::MAX_DTE_FLOOR {
        v.fail(ParamsError::Pm2Bounds);
    }
    if dte_floor == 0 {
        v.fail(ParamsError::DteFloor);
    }
    let mut tail = [Wad::ZERO; 29];
    r.fill(&mut tail);
    v.check(&tail, &TAIL_BOUNDS);
    let n = r.count(MAX_SCENARIOS, SnapshotError::TooManyScenarios);
    if n == 0 {
        v.fail(ParamsError::Scenarios);
    }
    let (mut linear, mut abs) = (0u32, 0u32);
    for _ in 0..n {
        let shock = r.wad();
        let tag = r.byte();
        let dampening = r.wad();
        if tag > 4 {
            r.fail(SnapshotError::BadTag);
        }
        linear += u32::from(tag == 3);
        abs += u32::from(tag == 4);
        let bad = shock.is_negative()
            || shock > Wad::from_int(10)
            || dampening.is_negative()
            || dampening > Wad::ONE
            || (tag >= 3 && shock != Wad::ONE);
        if bad {
            v.fail(ParamsError::Scenarios);
        }
    }
    if linear > 1 || abs > 1 {
        v.fail(ParamsError::Scenarios);
    }
    let max_expiries = r.u32();
    if max_expiries == 0 || max_expiries > crate::model::portfolio::MAX_EXPIRIES_BOUND {
        v.fail(ParamsError::Pm2Bounds);
    }
    let cap = r.wad();
    if !cap.is_positive() {
        v.fail(ParamsError::Pm2Bounds);
    }
    if cap > crate::math::SVI_MAX_TOTAL_VARIANCE {
        v.fail(ParamsError::SviCap);
    }
    if r.error.is_some() || !r.bytes.is_empty() {
        return Err(ParamsError::Malformed);
    }
    match v.0 {
        Some(e) => Err(e),
        None => Ok(sets),
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
