//! `keel bench`: gas figures of Keel's real contracts, measured on the execution `keel node`
//! runs (`keel_chain::TestChain`: revm's state and journal, the Stylus host's ink pricing,
//! EVM storage and call costs).
//!
//! Every built artifact is deployed as cargo-stylus would deploy it into one [`TestChain`]: the
//! vault core and its three modules (margin, trading, liquidation) over one storage, the
//! portfolio engine (`keel_risk_engine`), the cross engine and, when its artifact is there,
//! the real oracle adapter (`keel_oracle_adapter`, over Chainlink-style feeds, expiry data
//! pushed by a feeder). Stand-ins written natively answer for what is not a Keel contract:
//! ERC-20 tokens (balances and allowances in storage), Chainlink feeds (the answer one
//! storage read), and the market that forwards `settleTrade` to the vault. Without the
//! adapter's artifact a native stand-in answers `getPrice`, `sequencerStatus`,
//! `getExpiryData` and `settlementPrice` as `abi/IOracleAdapter.sol` does (each word one
//! storage read); the output says which (`oracle_adapter_real`).
//!
//! Each figure is the execution gas of one transaction (after the intrinsic 21,000 and
//! calldata gas, before refunds). Every transaction starts with a cold access list, as on
//! chain; "warm vault" means the storage the call touches already holds non-zero values
//! (e.g. a second deposit of an asset the account already holds). Programs are not in
//! ArbOS's init cache unless a figure says so (`*_cached`): an entry pays the program's init
//! cost (under ArbOS 60 only its first in the transaction; see below). Margin checks are
//! split into storage reads, call access, program entries and the rest (WASM execution and
//! host I/O ink, all programs).
//!
//! Everything is measured twice, under two ArbOS versions ([`arbos_versions`]): the host's
//! default (51, what Arbitrum One runs), where every entry of a program not in ArbOS's init
//! cache pays its init cost, and 60, from which a program already entered in the block pays
//! only its cached cost. The table shows both columns; the JSON has every figure under its
//! name for the default version and, but for sizes, again as `<name>_arbos60`. The deepest
//! stack any program frame reached (Nitro's words, against the 22,000-word budget per frame)
//! is reported per flow and overall (`stack_depth_max`).
//!
//! The set-up ([`load`], [`set_up`], [`Vault`] and the actors and constants) is public so
//! the end-to-end tests (`scripts/tests/e2e.rs`) drive the same wired vault — there with the
//! Solidity test tokens and feeds of `solidity/` instead of the native stand-ins
//! ([`set_up_with`], [`Counterparts::Solidity`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use alloy_sol_types::{sol, SolCall, SolValue};
use anyhow::{anyhow, bail, Context};
use keel_chain::{Outcome, TestChain};
use keel_stylus_host::alloy_primitives::{keccak256, Address, I256, U256};
use keel_stylus_host::pricing::{
    max_stack_depth, ARBOS_VERSION_RECENT_PROGRAMS, DEFAULT_ARBOS_VERSION,
};
use keel_stylus_host::{NativeCall, NativeHandler};

use crate::artifact::{deployable_code, deployed_module};
use crate::solidity::SolArtifact;

sol!(
    #[sol(all_derives)]
    "../abi/IMarginVault.sol"
);
use IMarginVault as I;

sol!("../abi/IOracleAdapter.sol");
use IOracleAdapter as adapter;

mod erc20 {
    alloy_sol_types::sol! {
        function transfer(address to, uint256 amount) external returns (bool);
        function transferFrom(address from, address to, uint256 amount) external returns (bool);
        function approve(address spender, uint256 amount) external returns (bool);
        function balanceOf(address account) external view returns (uint256);
        function allowance(address owner, address spender) external view returns (uint256);
        function decimals() external view returns (uint8);
    }
}

mod feed {
    alloy_sol_types::sol! {
        function decimals() external view returns (uint8);
        function latestRoundData() external view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
        function getRoundData(uint80 roundId) external view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
    }
}

/// The default artifact directory, relative to the working directory.
pub const DEFAULT_WASM_DIR: &str = "target/wasm32-unknown-unknown/contract";

/// The command that builds every artifact the bench needs.
pub const BUILD_COMMAND: &str = "cargo build --profile contract --target wasm32-unknown-unknown \
     -p keel-vault -p keel-vault-margin -p keel-vault-trading -p keel-vault-liquidation \
     -p keel-oracle-adapter -p keel-lst-depeg-guard -p keel-risk-engine -p keel-cross-engine";

/// Every contract whose deployable size is reported (`size_<name>`).
pub const CONTRACTS: &[&str] = &[
    "keel_vault",
    "keel_vault_margin",
    "keel_vault_trading",
    "keel_vault_liquidation",
    "keel_oracle_adapter",
    "keel_lst_depeg_guard",
    "keel_risk_engine",
    "keel_cross_engine",
];

/// The contracts the vault set-up deploys (the others are only sized).
const REQUIRED: &[&str] = &[
    "keel_vault",
    "keel_vault_margin",
    "keel_vault_trading",
    "keel_vault_liquidation",
    "keel_risk_engine",
    "keel_cross_engine",
];

/// Options of the large portfolio (`portfolio_margin_128`): with its perpetual, 129 of the
/// 160 positions one account may hold (the snapshot bound).
pub const LARGE_OPTIONS: usize = 128;
/// Expiries of the large portfolio.
pub const LARGE_EXPIRIES: usize = 8;

/// The test-only Black-76 program (`tests/stylus/black76`), measured when built.
pub const BLACK76: &str = "keel_black76_bench";
/// The command that builds it into the default artifact directory (from the repository
/// root, so `.cargo/config.toml`'s wasm32 flags apply).
pub const BLACK76_BUILD: &str =
    "cargo build --profile contract --target wasm32-unknown-unknown -p keel-black76-bench";

/// The oracle note when the real adapter ran.
pub const ORACLE_REAL: &str = "oracle: the real keel_oracle_adapter, over native Chainlink-feed \
     stand-ins (8 decimals, one SLOAD per answer), expiry data pushed by a feeder";
/// The oracle note when the adapter's artifact was missing.
pub const ORACLE_STAND_IN: &str = "oracle: native stand-in for keel_oracle_adapter (getPrice, \
     getExpiryData, settlementPrice as abi/IOracleAdapter.sol; one SLOAD per word read)";

/// The ArbOS versions `keel bench` measures under: the host's default and the first with the
/// recent-program entry discount.
pub fn arbos_versions() -> [u64; 2] {
    [DEFAULT_ARBOS_VERSION, ARBOS_VERSION_RECENT_PROGRAMS]
}

/// One measured figure.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Figure {
    /// Its key, e.g. `deposit` or `size_keel_vault`.
    pub name: String,
    /// Gas, bytes or words, under the first of [`arbos_versions`].
    pub value: u64,
    /// The same under the second of [`arbos_versions`] (`None` for what no version changes:
    /// sizes, which oracle answered).
    pub later: Option<u64>,
    /// What was measured, for the table.
    pub note: String,
}

/// Everything `keel bench` measured, in report order.
#[derive(Clone, Debug)]
pub struct Bench {
    /// The figures.
    pub figures: Vec<Figure>,
    /// The ArbOS versions of [`Figure::value`] and [`Figure::later`].
    pub versions: [u64; 2],
    /// Which oracle adapter answered (see [`ORACLE_REAL`], [`ORACLE_STAND_IN`]).
    pub oracle: &'static str,
    /// Figures left out, and why.
    pub skipped: Vec<String>,
}

impl Bench {
    fn push(&mut self, name: impl Into<String>, value: u64, note: impl Into<String>) {
        self.figures.push(Figure {
            name: name.into(),
            value,
            later: None,
            note: note.into(),
        });
    }

    /// Puts the figures of `later` (the same flows under the second ArbOS version) beside
    /// these, but for those no version changes.
    fn merge_later(&mut self, later: &Bench) {
        for figure in &mut self.figures {
            let constant = figure.name.starts_with("size_") || figure.name == "oracle_adapter_real";
            if !constant {
                figure.later = later.get(&figure.name);
            }
        }
    }

    /// The figure named `name`.
    pub fn get(&self, name: &str) -> Option<u64> {
        self.figures
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.value)
    }

    /// The figure named `name` under the second ArbOS version.
    pub fn get_later(&self, name: &str) -> Option<u64> {
        self.figures
            .iter()
            .find(|f| f.name == name)
            .and_then(|f| f.later)
    }

    /// One JSON object mapping every name to its number under the first ArbOS version and,
    /// suffixed `_arbos<V>`, under the second (`arbos_version` and `arbos_version_later` say
    /// which).
    pub fn json(&self) -> String {
        let [first, second] = self.versions;
        let mut map: BTreeMap<String, u64> = BTreeMap::new();
        map.insert("arbos_version".into(), first);
        map.insert("arbos_version_later".into(), second);
        for f in &self.figures {
            map.insert(f.name.clone(), f.value);
            if let Some(later) = f.later {
                map.insert(format!("{}_arbos{second}", f.name), later);
            }
        }
        serde_json::to_string_pretty(&map).unwrap_or_default()
    }

    /// The table `keel bench` prints: each figure under both ArbOS versions.
    pub fn table(&self) -> String {
        let width = self.figures.iter().map(|f| f.name.len()).max().unwrap_or(0);
        let [first, second] = self.versions.map(|v| format!("ArbOS {v}"));
        let mut out = format!("{:<width$}  {first:>10}  {second:>10}  what\n", "figure");
        for f in &self.figures {
            let later = f.later.map_or_else(|| "-".to_string(), |v| v.to_string());
            out.push_str(&format!(
                "{:<width$}  {:>10}  {later:>10}  {}\n",
                f.name, f.value, f.note
            ));
        }
        out.push_str(&format!("{}\n", self.oracle));
        for line in &self.skipped {
            out.push_str(&format!("skipped {line}\n"));
        }
        out
    }
}

/// How `keel bench` is called.
pub const USAGE: &str = "usage: keel bench [--json] [--wasm-dir DIR] | keel bench --profile \
     [--wasm-dir DIR] [--names DIR]";

/// `keel bench [--json] [--wasm-dir DIR]`, or `keel bench --profile [--wasm-dir DIR]
/// [--names DIR]` ([`engine_profile`]): the output to print.
pub fn run(args: &[&str]) -> anyhow::Result<String> {
    let (mut json, mut profile, mut names) = (false, false, None::<PathBuf>);
    let mut dir = PathBuf::from(DEFAULT_WASM_DIR);
    let mut rest = args.iter();
    while let Some(arg) = rest.next() {
        match *arg {
            "--json" => json = true,
            "--profile" => profile = true,
            "--wasm-dir" => {
                dir = PathBuf::from(rest.next().ok_or_else(|| anyhow!("--wasm-dir needs DIR"))?)
            }
            "--names" => {
                names = Some(PathBuf::from(
                    rest.next().ok_or_else(|| anyhow!("--names needs DIR"))?,
                ))
            }
            other => bail!("unknown argument `{other}` ({USAGE})"),
        }
    }
    if profile {
        return engine_profile(&dir, names.as_deref().unwrap_or(&dir));
    }
    let bench = measure(&dir)?;
    Ok(if json {
        format!("{}\n", bench.json())
    } else {
        bench.table()
    })
}

/// The deployable code of every artifact found in `dir`, by crate file name; an error naming
/// the build command when one the vault needs is missing.
pub fn load(dir: &Path) -> anyhow::Result<BTreeMap<&'static str, Vec<u8>>> {
    let mut codes = BTreeMap::new();
    for name in CONTRACTS {
        let path = dir.join(format!("{name}.wasm"));
        match std::fs::read(&path) {
            Ok(wasm) => {
                codes.insert(*name, deployable_code(&deployed_module(&wasm)));
            }
            Err(_) if REQUIRED.contains(name) => bail!(
                "{} not found: build the contracts first with `{BUILD_COMMAND}` \
                 (or pass --wasm-dir DIR)",
                path.display()
            ),
            Err(_) => {}
        }
    }
    Ok(codes)
}

// ---- actors and constants -------------------------------------------------------------------
// Addresses of the set-up's actors, tokens and stand-ins; its clock, spot and WAD one.

pub const OWNER: Address = Address::repeat_byte(0x01);
pub const ADMIN: Address = Address::repeat_byte(0x02);
pub const ALICE: Address = Address::repeat_byte(0x0a);
pub const BOB: Address = Address::repeat_byte(0x0b);
pub const CAROL: Address = Address::repeat_byte(0x0c);
pub const DAVE: Address = Address::repeat_byte(0x0d);
pub const USDC: Address = Address::repeat_byte(0xc6);
pub const WETH: Address = Address::repeat_byte(0xe1);
pub const ETH: Address = Address::repeat_byte(0xee);
pub const ORACLE: Address = Address::repeat_byte(0x0e);
pub const MARKET: Address = Address::repeat_byte(0x4f);
pub const ENGINE_PROBE: Address = Address::repeat_byte(0x7f);
pub const FEEDER: Address = Address::repeat_byte(0xfe);
pub const T0: u64 = 1_700_000_000;
pub const DAY: u64 = 86_400;
pub const SPOT: u128 = 2_000;
pub const ONE: u128 = 1_000_000_000_000_000_000;

/// `units` whole units in WAD (18 decimals).
pub fn wad(units: u128) -> U256 {
    U256::from(units) * U256::from(ONE)
}

/// `x` whole tokens in a `decimals`-decimal token's base units.
pub fn units(x: u128, decimals: u32) -> U256 {
    U256::from(x) * U256::from(10u128.pow(decimals))
}

fn word(a: Address) -> [u8; 32] {
    a.into_word().0
}

// ---- native stand-ins -----------------------------------------------------------------------

fn ok_word(v: U256) -> Result<Vec<u8>, Vec<u8>> {
    Ok(v.to_be_bytes::<32>().to_vec())
}

/// The storage slot of `account`'s balance in an ERC-20 stand-in.
pub fn balance_slot(account: Address) -> U256 {
    let mut k = word(account).to_vec();
    k.extend_from_slice(&[0u8; 32]);
    keccak256(&k).into()
}

fn allowance_slot(owner: Address, spender: Address) -> U256 {
    let mut k = word(owner).to_vec();
    k.extend_from_slice(&word(spender));
    k.extend_from_slice(&U256::from(1).to_be_bytes::<32>());
    keccak256(&k).into()
}

/// An ERC-20 token with `decimals`: balances and allowances in its storage.
fn token(decimals: u8) -> NativeHandler {
    Arc::new(move |c: &mut NativeCall<'_>| {
        let data = c.calldata().to_vec();
        let fail = || Vec::new();
        let move_balance = |c: &mut NativeCall<'_>, from: Address, to: Address, amount: U256| {
            let from_bal = c.sload(balance_slot(from));
            if from_bal < amount {
                return false;
            }
            c.sstore(balance_slot(from), from_bal - amount);
            let to_bal = c.sload(balance_slot(to));
            c.sstore(balance_slot(to), to_bal.saturating_add(amount));
            true
        };
        match c.selector() {
            Some(erc20::decimalsCall::SELECTOR) => ok_word(U256::from(decimals)),
            Some(erc20::balanceOfCall::SELECTOR) => {
                let a = erc20::balanceOfCall::abi_decode(&data).map_err(|_| fail())?;
                let v = c.sload(balance_slot(a.account));
                ok_word(v)
            }
            Some(erc20::allowanceCall::SELECTOR) => {
                let a = erc20::allowanceCall::abi_decode(&data).map_err(|_| fail())?;
                let v = c.sload(allowance_slot(a.owner, a.spender));
                ok_word(v)
            }
            Some(erc20::approveCall::SELECTOR) => {
                let a = erc20::approveCall::abi_decode(&data).map_err(|_| fail())?;
                let owner = c.caller();
                c.sstore(allowance_slot(owner, a.spender), a.amount);
                ok_word(U256::from(1))
            }
            Some(erc20::transferCall::SELECTOR) => {
                let a = erc20::transferCall::abi_decode(&data).map_err(|_| fail())?;
                let from = c.caller();
                if !move_balance(c, from, a.to, a.amount) {
                    return Err(fail());
                }
                ok_word(U256::from(1))
            }
            Some(erc20::transferFromCall::SELECTOR) => {
                let a = erc20::transferFromCall::abi_decode(&data).map_err(|_| fail())?;
                let spender = c.caller();
                let slot = allowance_slot(a.from, spender);
                let allowed = c.sload(slot);
                if allowed < a.amount {
                    return Err(fail());
                }
                if allowed != U256::MAX {
                    c.sstore(slot, allowed - a.amount);
                }
                if !move_balance(c, a.from, a.to, a.amount) {
                    return Err(fail());
                }
                ok_word(U256::from(1))
            }
            _ => Err(fail()),
        }
    })
}

fn price_slot(asset: Address) -> U256 {
    let mut k = word(asset).to_vec();
    k.extend_from_slice(&[0u8; 32]);
    keccak256(&k).into()
}

fn expiry_slot(underlying: Address, expiry: u64) -> U256 {
    let mut k = word(underlying).to_vec();
    k.extend_from_slice(&U256::from(expiry).to_be_bytes::<32>());
    k.extend_from_slice(&U256::from(1).to_be_bytes::<32>());
    keccak256(&k).into()
}

/// The oracle adapter stand-in: spot prices (confidence 1, updated now, sequencer up) and
/// expiry data (11 words, confidence 1) from its storage; nothing is ever settled.
fn oracle_adapter() -> NativeHandler {
    Arc::new(|c: &mut NativeCall<'_>| {
        let data = c.calldata().to_vec();
        match c.selector() {
            Some(adapter::getPriceCall::SELECTOR) => {
                let a = adapter::getPriceCall::abi_decode(&data).map_err(|_| Vec::new())?;
                let price = c.sload(price_slot(a.asset));
                if price.is_zero() {
                    return Err(Vec::new());
                }
                let out = adapter::getPriceCall::abi_encode_returns(&adapter::getPriceReturn {
                    price,
                    confidence: U256::from(ONE),
                    updatedAt: c.timestamp(),
                    sequencer: 0,
                });
                Ok(out)
            }
            Some(adapter::sequencerStatusCall::SELECTOR) => Ok(
                adapter::sequencerStatusCall::abi_encode_returns(&adapter::sequencerStatusReturn {
                    status: 0,
                    since: 0,
                }),
            ),
            Some(adapter::getExpiryDataCall::SELECTOR) => {
                let a = adapter::getExpiryDataCall::abi_decode(&data).map_err(|_| Vec::new())?;
                let base = expiry_slot(a.underlying, a.expiry);
                let mut out = Vec::with_capacity(12 * 32);
                for i in 0..11u64 {
                    let v = c.sload(base + U256::from(i));
                    out.extend_from_slice(&v.to_be_bytes::<32>());
                }
                if out[..32].iter().all(|b| *b == 0) {
                    return Err(Vec::new());
                }
                out.extend_from_slice(&U256::from(ONE).to_be_bytes::<32>());
                Ok(out)
            }
            Some(adapter::settlementPriceCall::SELECTOR) => Ok(
                adapter::settlementPriceCall::abi_encode_returns(&adapter::settlementPriceReturn {
                    price: U256::ZERO,
                    isSettled: false,
                }),
            ),
            _ => Err(Vec::new()),
        }
    })
}

/// A Chainlink-style feed: 8 decimals, its answer in storage slot 0, updated now, round 1.
fn chainlink_feed() -> NativeHandler {
    Arc::new(|c: &mut NativeCall<'_>| match c.selector() {
        Some(feed::decimalsCall::SELECTOR) => ok_word(U256::from(8)),
        Some(feed::latestRoundDataCall::SELECTOR) | Some(feed::getRoundDataCall::SELECTOR) => {
            let answer = c.sload(U256::ZERO);
            let now = U256::from(c.timestamp());
            let mut out = Vec::with_capacity(5 * 32);
            for w in [U256::from(1), answer, now, now, U256::from(1)] {
                out.extend_from_slice(&w.to_be_bytes::<32>());
            }
            Ok(out)
        }
        _ => Err(Vec::new()),
    })
}

/// The market: forwards its calldata (`settleTrade`) to the vault.
fn market(vault: Address) -> NativeHandler {
    Arc::new(move |c: &mut NativeCall<'_>| {
        let data = c.calldata().to_vec();
        let r = c.call(vault, &data, U256::ZERO);
        if r.success {
            Ok(r.data)
        } else {
            Err(r.data)
        }
    })
}

/// What the engine probe saw: the snapshot bytes and the gas of the engine's call.
#[derive(Clone, Debug, Default)]
struct Probe {
    snapshot_calldata: Vec<u8>,
    engine_gas: u64,
}

/// Stands in front of the real portfolio engine and records what one call cost it.
fn engine_probe(engine: Address, seen: Arc<Mutex<Probe>>) -> NativeHandler {
    Arc::new(move |c: &mut NativeCall<'_>| {
        let data = c.calldata().to_vec();
        let before = c.gas_left();
        let r = c.static_call(engine, &data);
        let used = before.saturating_sub(c.gas_left());
        if let Ok(mut p) = seen.lock() {
            p.snapshot_calldata = data;
            p.engine_gas = used;
        }
        if r.success {
            Ok(r.data)
        } else {
            Err(r.data)
        }
    })
}

// ---- the vault ------------------------------------------------------------------------------

/// A deployed, wired vault on one host (see [`set_up`]).
pub struct Vault {
    /// The host everything runs in.
    pub host: TestChain,
    /// The vault core.
    pub vault: Address,
    /// The portfolio engine.
    pub engine: Address,
    /// Every Stylus program deployed, by crate file name.
    pub programs: Vec<(&'static str, Address)>,
    /// The oracle adapter (real or the stand-in at [`ORACLE`]).
    pub oracle: Address,
    /// With the real adapter: each asset's feed.
    pub feeds: Vec<(Address, Address)>,
    /// The id of the last account opened.
    pub next_account: u64,
    /// What answers for the tokens and feeds.
    pub counterparts: Counterparts,
    /// With [`Counterparts::Solidity`]: the adapter's sequencer uptime feed.
    pub sequencer_feed: Option<Address>,
}

/// The status and revert data of a failed call, for messages.
pub fn revert_text(out: &Outcome) -> String {
    format!("{:?}, revert data 0x{}", out.status, hex(&out.return_data))
}

/// `note` with where the transaction's gas went.
fn tallied(note: &str, out: &Outcome) -> String {
    let t = out.tally;
    format!(
        "{note} [{} SLOAD {} gas, {} SSTORE {} gas, {} calls {} gas, {} entries {} gas; \
         refund {}; stack {} words]",
        t.sloads,
        t.sload_gas,
        t.sstores,
        t.sstore_gas,
        t.calls,
        t.access_gas,
        t.entries,
        t.entry_gas,
        out.refund,
        out.deepest_stack
    )
}

/// Lower-case hex without `0x`.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

impl Vault {
    /// `call` to the vault from `from`; an error when it reverts.
    pub fn send<C: SolCall>(&mut self, from: Address, call: C) -> anyhow::Result<Outcome> {
        self.send_to(from, self.vault, call)
    }

    /// `call` to `to` from `from`; an error when it reverts.
    pub fn send_to<C: SolCall>(
        &mut self,
        from: Address,
        to: Address,
        call: C,
    ) -> anyhow::Result<Outcome> {
        let out = self.host.call(
            from,
            to,
            &call.abi_encode(),
            U256::ZERO,
            TestChain::GAS_LIMIT,
        );
        if !out.success {
            bail!("{} failed: {}", C::SIGNATURE, revert_text(&out));
        }
        Ok(out)
    }

    /// A static call of the vault and its decoded return.
    pub fn view<C: SolCall>(&mut self, call: C) -> anyhow::Result<(C::Return, Outcome)> {
        let out = self
            .host
            .static_call(DAVE, self.vault, &call.abi_encode(), TestChain::GAS_LIMIT);
        if !out.success {
            bail!("{} failed: {}", C::SIGNATURE, revert_text(&out));
        }
        let r = C::abi_decode_returns(&out.return_data)
            .map_err(|e| anyhow!("{} returned undecodable data: {e}", C::SIGNATURE))?;
        Ok((r, out))
    }

    /// Sets `asset`'s price (WAD) on its feed or the stand-in: with
    /// [`Counterparts::Solidity`] a new round of the feed program, updated now.
    pub fn set_price(&mut self, asset: Address, price: U256) {
        match self.feeds.iter().find(|(a, _)| *a == asset) {
            // 8-decimal feed answer.
            Some((_, f)) => {
                let answer = price / U256::from(10_000_000_000u64);
                match self.counterparts {
                    Counterparts::Native => self.host.set_storage(*f, U256::ZERO, answer),
                    Counterparts::Solidity => {
                        let feed = *f;
                        let now = U256::from(self.host.timestamp());
                        let round = test_feed::setRoundCall {
                            answer: I256::from_raw(answer),
                            startedAt: now,
                            updatedAt: now,
                        };
                        // A feed program always accepts a round; a failure is a broken build.
                        if let Err(e) = self.send_to(OWNER, feed, round) {
                            panic!("pushing a round to the feed of {asset}: {e}");
                        }
                    }
                }
            }
            None => self.host.set_storage(ORACLE, price_slot(asset), price),
        }
    }

    /// Moves the clock to `timestamp`; with [`Counterparts::Solidity`] every price feed then
    /// repeats its latest answer in a round updated at the new time (the native feeds are
    /// always fresh), so only the sequencer feed keeps its history.
    pub fn warp(&mut self, timestamp: u64) -> anyhow::Result<()> {
        self.host.set_timestamp(timestamp);
        if self.counterparts == Counterparts::Native {
            return Ok(());
        }
        let now = U256::from(timestamp);
        for (_, feed) in self.feeds.clone() {
            let latest = self.view_of(feed, test_feed::latestRoundDataCall {})?;
            self.send_to(
                OWNER,
                feed,
                test_feed::setRoundCall {
                    answer: latest.answer,
                    startedAt: now,
                    updatedAt: now,
                },
            )?;
        }
        Ok(())
    }

    /// A static call of `to` and its decoded return.
    pub fn view_of<C: SolCall>(&mut self, to: Address, call: C) -> anyhow::Result<C::Return> {
        let out = self
            .host
            .static_call(DAVE, to, &call.abi_encode(), TestChain::GAS_LIMIT);
        if !out.success {
            bail!("{} failed: {}", C::SIGNATURE, revert_text(&out));
        }
        C::abi_decode_returns(&out.return_data)
            .map_err(|e| anyhow!("{} returned undecodable data: {e}", C::SIGNATURE))
    }

    /// With [`Counterparts::Solidity`]: the sequencer uptime feed reports `status` (0 up,
    /// 1 down) since now.
    pub fn set_sequencer(&mut self, status: u8) -> anyhow::Result<()> {
        let feed = self
            .sequencer_feed
            .ok_or_else(|| anyhow!("no sequencer feed: set up with Counterparts::Solidity"))?;
        let now = U256::from(self.host.timestamp());
        self.send_to(
            OWNER,
            feed,
            test_feed::setRoundCall {
                answer: I256::from_raw(U256::from(status)),
                startedAt: now,
                updatedAt: now,
            },
        )?;
        Ok(())
    }

    /// Lowers ETH and WETH from spot in steps of 10 until `id` is below maintenance margin;
    /// the price reached.
    pub fn shock_below_maintenance(&mut self, id: u64) -> anyhow::Result<u128> {
        let mut price = SPOT;
        loop {
            price -= 10;
            self.set_price(ETH, wad(price));
            self.set_price(WETH, wad(price));
            if self.margin(id)?.maintenanceMargin < I256::ZERO {
                return Ok(price);
            }
            if price <= 100 {
                bail!("account {id} never fell below maintenance margin");
            }
        }
    }

    /// Pushes expiry data for (ETH, `expiry`): flat-ish SVI at the spot forward.
    pub fn set_expiry(&mut self, expiry: u64) -> anyhow::Result<()> {
        let now = self.host.timestamp();
        let tau = U256::from(expiry.saturating_sub(now)) * U256::from(ONE) / U256::from(365 * DAY);
        let signed = |x: i128| {
            U256::from_be_bytes(I256::try_from(x).unwrap_or_default().to_be_bytes::<32>())
        };
        let milli = |m: i128| signed(m * (ONE as i128) / 1000);
        let words = [
            wad(SPOT),       // forward
            U256::ZERO,      // rate
            milli(5),        // svi a
            milli(20),       // svi b
            milli(-300),     // svi rho
            U256::ZERO,      // svi m
            milli(100),      // svi sigma
            wad(SPOT),       // svi forward
            tau,             // svi tau
            U256::from(ONE), // confidence
            U256::from(now), // timestamp
        ];
        if self.feeds.is_empty() {
            let base = expiry_slot(ETH, expiry);
            for (i, w) in words.iter().enumerate() {
                self.host.set_storage(ORACLE, base + U256::from(i), *w);
            }
            return Ok(());
        }
        let int = |w: U256| I256::from_raw(w);
        let push = adapter::pushExpiryDataCall {
            underlying: ETH,
            expiry,
            data: adapter::ExpiryData {
                forward: words[0],
                rate: int(words[1]),
                sviA: int(words[2]),
                sviB: int(words[3]),
                sviRho: int(words[4]),
                sviM: int(words[5]),
                sviSigma: int(words[6]),
                sviForward: words[7],
                sviTau: words[8],
                confidence: words[9],
                timestamp: now,
            },
        };
        let oracle = self.oracle;
        self.send_to(FEEDER, oracle, push)?;
        Ok(())
    }

    /// Opens an account in `mode` for `owner`; its id.
    pub fn open(&mut self, owner: Address, mode: u8) -> anyhow::Result<u64> {
        self.send(owner, I::openAccountCall { mode })?;
        self.next_account += 1;
        Ok(self.next_account)
    }

    /// Deposits `amount` (token units) of `asset` into `id`.
    pub fn deposit(
        &mut self,
        from: Address,
        id: u64,
        asset: Address,
        amount: U256,
    ) -> anyhow::Result<Outcome> {
        self.send(
            from,
            I::depositCall {
                id: U256::from(id),
                asset,
                amount,
            },
        )
    }

    /// A trade through the authorised market (the transaction's target).
    pub fn trade(
        &mut self,
        instrument: U256,
        taker: u64,
        maker: u64,
        size: i128,
        price: u128,
    ) -> anyhow::Result<Outcome> {
        let call = I::settleTradeCall {
            trade: I::Trade {
                instrument,
                taker: U256::from(taker),
                maker: U256::from(maker),
                size: I256::try_from(size).map_err(|_| anyhow!("size"))?,
                price: U256::from(price),
                takerFee: U256::ZERO,
                makerFee: U256::ZERO,
            },
        };
        // The market is the transaction's target: it forwards to the vault.
        self.send_to(DAVE, MARKET, call)
    }

    /// The id of ETH's instrument of `kind`, `expiry`, `strike`.
    pub fn instrument(&mut self, kind: u8, expiry: u64, strike: u128) -> anyhow::Result<U256> {
        let (id, _) = self.view(I::instrumentIdCall {
            underlying: ETH,
            kind,
            expiry,
            strike: U256::from(strike),
        })?;
        Ok(id)
    }

    /// `margin(id)`.
    pub fn margin(&mut self, id: u64) -> anyhow::Result<I::MarginState> {
        Ok(self.view(I::marginCall { id: U256::from(id) })?.0)
    }

    /// Opens a portfolio account for `owner`, approves the market, funds it with `usdc` USDC
    /// and `weth` WETH.
    pub fn funded_account(
        &mut self,
        owner: Address,
        usdc: u128,
        weth: u128,
    ) -> anyhow::Result<u64> {
        let id = self.open(owner, 2)?;
        self.send(
            owner,
            I::setOperatorCall {
                id: U256::from(id),
                operator: MARKET,
                approved: true,
            },
        )?;
        if usdc > 0 {
            self.deposit(owner, id, USDC, units(usdc, 6))?;
        }
        if weth > 0 {
            self.deposit(owner, id, WETH, units(weth, 18))?;
        }
        Ok(id)
    }
}

// ---- Solidity counterparts -------------------------------------------------------------------
// The test tokens and feeds in `solidity/` (OpenZeppelin's ERC-20 with a mint, a fee on transfer
// and a reentrant hook; a Chainlink-style aggregator), compiled by the pinned solc-js: on
// Arbitrum, tokens and feeds are Solidity contracts, so the end-to-end tests use Solidity. The
// bench keeps the native stand-ins, whose cost is fixed and small (one SLOAD per answer).

/// What answers for the ERC-20 tokens and Chainlink feeds around the vault.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counterparts {
    /// Native handlers (the bench): storage-backed ERC-20s and feeds whose answer is always
    /// updated now.
    Native,
    /// The Solidity `TestToken` and `TestFeed` of `solidity/` (the end-to-end tests), funded by
    /// `mint` and moved by rounds, plus a sequencer uptime feed.
    Solidity,
}

/// The sequencer uptime feed's address under [`Counterparts::Solidity`].
pub const SEQUENCER_FEED: Address = Address::repeat_byte(0x5e);

/// The test token's interface beyond ERC-20 (`solidity/TestToken.sol`).
pub mod test_token {
    alloy_sol_types::sol! {
        function mint(address to, uint256 amount) external;
        function setFee(uint16 bps) external;
        function fee() external view returns (uint16);
        function setHook(address target, bytes data) external;
        function lastHookResult() external view returns (bool ok, bytes data);
        function hookCalls() external view returns (uint256);
        function totalSupply() external view returns (uint256);
        function balanceOf(address account) external view returns (uint256);
        function approve(address spender, uint256 amount) external returns (bool);
        function transfer(address to, uint256 amount) external returns (bool);
    }
}

/// The test feed's interface (`solidity/TestFeed.sol`).
pub mod test_feed {
    alloy_sol_types::sol! {
        function setRound(int256 answer, uint256 startedAt, uint256 updatedAt) external returns (uint80);
        function startPhase(uint16 phaseId) external;
        function decimals() external view returns (uint8);
        function latestRoundData() external view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
        function getRoundData(uint80 roundId) external view returns (uint80 roundId, int256 answer, uint256 startedAt, uint256 updatedAt, uint80 answeredInRound);
    }
}

/// `solidity/`'s contracts compiled once per process (solc-js takes seconds).
pub fn local_solidity() -> anyhow::Result<&'static BTreeMap<String, SolArtifact>> {
    static COMPILED: OnceLock<Result<BTreeMap<String, SolArtifact>, String>> = OnceLock::new();
    COMPILED
        .get_or_init(|| {
            crate::solidity::compile(
                &crate::solidity::repo_root(),
                crate::solidity::LOCAL_SOURCES,
            )
            .map_err(|e| format!("{e:#}"))
        })
        .as_ref()
        .map_err(|e| anyhow!("compiling solidity/: {e}"))
}

/// Creates `contract` of `solidity/` with ABI-encoded constructor `args` and places it at `at`.
fn place_solidity(
    host: &mut TestChain,
    contract: &str,
    args: &[u8],
    at: Address,
) -> anyhow::Result<()> {
    let compiled = local_solidity()?;
    let artifact = compiled
        .get(contract)
        .ok_or_else(|| anyhow!("solidity/ defines no contract {contract}"))?;
    let init = [artifact.bytecode.as_slice(), args].concat();
    let out = host.create_at(at, &init);
    if !out.success {
        bail!("{contract} does not deploy at {at}: {}", revert_text(&out));
    }
    Ok(())
}

/// Deploys `solidity/TestToken.sol` named `symbol` with `decimals` at `at`.
pub fn deploy_test_token(
    host: &mut TestChain,
    at: Address,
    symbol: &str,
    decimals: u8,
) -> anyhow::Result<()> {
    let args = (symbol.to_string(), symbol.to_string(), U256::from(decimals)).abi_encode_params();
    place_solidity(host, "TestToken", &args, at)
}

/// Deploys `solidity/TestFeed.sol` with `decimals` at `at` (no round yet).
pub fn deploy_test_feed(host: &mut TestChain, at: Address, decimals: u8) -> anyhow::Result<()> {
    place_solidity(
        host,
        "TestFeed",
        &U256::from(decimals).to_be_bytes::<32>(),
        at,
    )
}

fn deploy(
    host: &mut TestChain,
    codes: &BTreeMap<&str, Vec<u8>>,
    name: &str,
) -> anyhow::Result<Address> {
    let code = codes
        .get(name)
        .ok_or_else(|| anyhow!("{name}.wasm missing: build with `{BUILD_COMMAND}`"))?;
    host.deploy(code)
        .map_err(|e| anyhow!("{name} does not deploy: {e}"))
}

/// The whole vault in one host: real core, modules and engines; USDC (settlement) and WETH
/// (risk-cancelling for ETH) listed; ETH listed as an underlying at 2000; the market
/// authorised; Keel's default risk parameters. Time T0. Tokens and feeds are native
/// stand-ins (see [`set_up_with`]).
pub fn set_up(codes: &BTreeMap<&str, Vec<u8>>) -> anyhow::Result<Vault> {
    set_up_with(codes, Counterparts::Native)
}

/// [`set_up`] with the tokens and feeds of `counterparts`. With [`Counterparts::Solidity`]
/// (`codes` must then hold the real oracle adapter; solc-js compiles `solidity/`): the
/// Solidity test token at USDC (6 decimals) and WETH (18), ALICE, BOB and CAROL each minted
/// 10⁹ of both and approving the vault without limit; an 8-decimal Solidity test feed per
/// asset; a sequencer uptime feed at [`SEQUENCER_FEED`] up since a day before T0, set on the
/// adapter.
pub fn set_up_with(
    codes: &BTreeMap<&str, Vec<u8>>,
    counterparts: Counterparts,
) -> anyhow::Result<Vault> {
    let solidity = counterparts == Counterparts::Solidity;
    if solidity && !codes.contains_key("keel_oracle_adapter") {
        bail!("Solidity counterparts need the real oracle adapter: build with `{BUILD_COMMAND}`");
    }
    let mut host = TestChain::new();
    host.set_timestamp(T0);
    let core = codes
        .get("keel_vault")
        .ok_or_else(|| anyhow!("keel_vault.wasm missing"))?;
    let (vault, out) = host
        .deploy_and_construct(core, OWNER, &word(OWNER), U256::ZERO)
        .map_err(|e| anyhow!("keel_vault does not deploy: {e}"))?;
    if !out.success {
        bail!("the vault constructor failed: {}", revert_text(&out));
    }
    let margin = deploy(&mut host, codes, "keel_vault_margin")?;
    let trading = deploy(&mut host, codes, "keel_vault_trading")?;
    let liquidation = deploy(&mut host, codes, "keel_vault_liquidation")?;
    let engine = deploy(&mut host, codes, "keel_risk_engine")?;
    let cross = deploy(&mut host, codes, "keel_cross_engine")?;
    if solidity {
        deploy_test_token(&mut host, USDC, "USDC", 6)?;
        deploy_test_token(&mut host, WETH, "WETH", 18)?;
    } else {
        host.install_native(USDC, token(6));
        host.install_native(WETH, token(18));
    }
    let real_oracle = codes.contains_key("keel_oracle_adapter");
    let (oracle, feeds) = if real_oracle {
        let code = &codes["keel_oracle_adapter"];
        let (adapter, out) = host
            .deploy_and_construct(code, OWNER, &word(OWNER), U256::ZERO)
            .map_err(|e| anyhow!("keel_oracle_adapter does not deploy: {e}"))?;
        if !out.success {
            bail!("the adapter constructor failed: {}", revert_text(&out));
        }
        let feeds: Vec<(Address, Address)> = [USDC, WETH, ETH]
            .iter()
            .enumerate()
            .map(|(i, a)| (*a, Address::with_last_byte(0xf0 + i as u8)))
            .collect();
        for (_, f) in &feeds {
            if solidity {
                deploy_test_feed(&mut host, *f, 8)?;
            } else {
                host.install_native(*f, chainlink_feed());
                host.set_code(*f, vec![0xfe]);
            }
        }
        (adapter, feeds)
    } else {
        host.install_native(ORACLE, oracle_adapter());
        host.set_code(ORACLE, vec![0xfe]);
        (ORACLE, Vec::new())
    };
    host.install_native(MARKET, market(vault));
    // The vault requires code at an oracle, market or engine address (the handler answers).
    for a in [MARKET, ENGINE_PROBE] {
        host.set_code(a, vec![0xfe]);
    }
    if !solidity {
        for a in [USDC, WETH] {
            host.set_code(a, vec![0xfe]);
        }
    }
    let mut v = Vault {
        host,
        vault,
        engine,
        programs: vec![
            ("keel_vault", vault),
            ("keel_vault_margin", margin),
            ("keel_vault_trading", trading),
            ("keel_vault_liquidation", liquidation),
            ("keel_risk_engine", engine),
            ("keel_cross_engine", cross),
        ],
        oracle,
        feeds,
        next_account: 0,
        counterparts,
        sequencer_feed: None,
    };
    if real_oracle {
        v.programs.push(("keel_oracle_adapter", oracle));
        configure_adapter(&mut v)?;
    }
    if solidity {
        deploy_test_feed(&mut v.host, SEQUENCER_FEED, 0)?;
        v.sequencer_feed = Some(SEQUENCER_FEED);
        let since = U256::from(T0 - DAY);
        v.send_to(
            OWNER,
            SEQUENCER_FEED,
            test_feed::setRoundCall {
                answer: I256::ZERO,
                startedAt: since,
                updatedAt: since,
            },
        )?;
        v.send_to(
            OWNER,
            oracle,
            adapter::setSequencerFeedCall {
                feed: SEQUENCER_FEED,
            },
        )?;
    }
    // Balances and approvals.
    for user in [ALICE, BOB, CAROL] {
        for (t, d) in [(USDC, 6u32), (WETH, 18)] {
            if solidity {
                let amount = units(1_000_000_000, d);
                v.send_to(user, t, test_token::mintCall { to: user, amount })?;
                v.send_to(
                    user,
                    t,
                    test_token::approveCall {
                        spender: vault,
                        amount: U256::MAX,
                    },
                )?;
            } else {
                v.host
                    .set_storage(t, balance_slot(user), units(1_000_000_000, d));
                v.host
                    .set_storage(t, allowance_slot(user, vault), U256::MAX);
            }
        }
    }
    v.send(OWNER, I::setRiskAdminCall { riskAdmin: ADMIN })?;
    for (kind, module) in [(0u8, margin), (1, trading), (2, liquidation)] {
        v.send(OWNER, I::setModuleCall { kind, module })?;
    }
    v.send(
        OWNER,
        I::setOracleAdapterCall {
            oracleAdapter: oracle,
        },
    )?;
    for (mode, e) in [(0u8, cross), (1, cross), (2, engine)] {
        v.send(OWNER, I::setEngineCall { mode, engine: e })?;
    }
    v.set_price(USDC, wad(1));
    v.set_price(WETH, wad(SPOT));
    v.set_price(ETH, wad(SPOT));
    let params = keel_risk::model::snapshot::encode_params(
        &keel_risk::model::account::RiskParams::keel_default(),
    );
    v.send(
        ADMIN,
        I::setRiskParamsCall {
            params: params.into(),
        },
    )?;
    v.send(
        ADMIN,
        I::listUnderlyingCall {
            asset: ETH,
            stressVol: U256::from(8 * ONE / 10),
        },
    )?;
    for (asset, cancelling) in [(USDC, Address::ZERO), (WETH, ETH)] {
        v.send(
            ADMIN,
            I::listCollateralCall {
                asset,
                params: I::CollateralParams {
                    imHaircut: U256::from(ONE / 10),
                    mmHaircut: U256::from(ONE / 20),
                    assetCap: wad(1_000_000_000),
                    accountCap: wad(100_000_000),
                    riskCancellingUnderlying: cancelling,
                    depegGuarded: false,
                },
            },
        )?;
    }
    v.send(OWNER, I::setSettlementAssetCall { asset: USDC })?;
    v.send(
        OWNER,
        I::setMarketCall {
            market: MARKET,
            authorised: true,
        },
    )?;
    v.send(
        ADMIN,
        I::setLimitsCall {
            maxPositions: keel_risk::model::snapshot::MAX_POSITIONS as u8,
            maxExpiries: LARGE_EXPIRIES as u8,
        },
    )?;
    Ok(v)
}

/// The real adapter: every asset on its feed (staleness 1 h, no secondary), `FEEDER`
/// allowed, ETH's expiry bounds (vol 1 %–500 %, forward within 50 % of spot, rate ≤ 50 %,
/// heartbeat 1 day).
fn configure_adapter(v: &mut Vault) -> anyhow::Result<()> {
    let oracle = v.oracle;
    for (asset, f) in v.feeds.clone() {
        v.send_to(
            OWNER,
            oracle,
            adapter::setAssetCall {
                asset,
                config: adapter::FeedConfig {
                    primary: f,
                    secondary: Address::ZERO,
                    stalenessLimit: 3_600,
                    secondaryStalenessLimit: 0,
                    maxDeviation: U256::from(ONE / 20),
                    confidenceFloor: U256::from(ONE / 2),
                },
            },
        )?;
    }
    v.send_to(
        OWNER,
        oracle,
        adapter::setFeederCall {
            feeder: FEEDER,
            allowed: true,
        },
    )?;
    v.send_to(
        OWNER,
        oracle,
        adapter::setExpiryBoundsCall {
            underlying: ETH,
            bounds: adapter::ExpiryBounds {
                minVol: U256::from(ONE / 100),
                maxVol: wad(5),
                forwardBand: U256::from(ONE / 2),
                maxRate: U256::from(ONE / 2),
                heartbeat: DAY,
                confidenceFloor: U256::from(ONE / 2),
            },
        },
    )?;
    Ok(())
}

/// Gives account `holder` a portfolio of `options` options spread over `expiries` weekly
/// expiries (calls and puts alternating, every other one long, strikes spread evenly over
/// 0.5–1.5× spot within each expiry) and a long perpetual, all against `counterparty`.
fn build_portfolio(
    v: &mut Vault,
    holder: u64,
    counterparty: u64,
    options: usize,
    expiries: usize,
) -> anyhow::Result<()> {
    let perp = v.instrument(0, 0, 0)?;
    v.trade(perp, holder, counterparty, (ONE / 2) as i128, SPOT * ONE)?;
    let expiry_times: Vec<u64> = (1..=expiries as u64).map(|k| T0 + 7 * DAY * k).collect();
    for e in &expiry_times {
        v.set_expiry(*e)?;
    }
    for i in 0..options {
        let e = expiry_times[i % expiries];
        let in_expiry = i / expiries;
        let per_expiry = options.div_ceil(expiries).max(2) as u128;
        // 0.5× … 1.5× spot in `per_expiry` steps.
        let strike = SPOT * ONE / 2 + (SPOT * ONE) * in_expiry as u128 / (per_expiry - 1);
        let kind = if i % 2 == 0 { 1 } else { 2 };
        let id = v.instrument(kind, e, strike)?;
        let size = if (i / 2) % 2 == 0 {
            ONE as i128
        } else {
            -(ONE as i128)
        };
        v.trade(id, holder, counterparty, size, 10 * ONE)
            .with_context(|| format!("option {i} (kind {kind}, expiry {e}, strike {strike})"))?;
    }
    Ok(())
}

/// The margin check of `id` measured four ways.
struct MarginCheck {
    /// `requireMargin(id, true)` as a transaction.
    out: Outcome,
    /// The same with every program in ArbOS's init cache.
    cached: Outcome,
    /// What the probe in front of the engine saw.
    probe: Probe,
    /// The engine's `margin(bytes)` alone, called directly with the same snapshot.
    alone: Outcome,
}

/// A funded portfolio account holding [`build_portfolio`]'s shape (`options` over `expiries`
/// and a perp, against another funded account) and its margin check: (holder, check).
fn portfolio_check(
    v: &mut Vault,
    options: usize,
    expiries: usize,
) -> anyhow::Result<(u64, MarginCheck)> {
    let holder = v.funded_account(BOB, 1_000_000, 100)?;
    let counter = v.funded_account(CAROL, 1_000_000, 100)?;
    build_portfolio(v, holder, counter, options, expiries)?;
    Ok((holder, margin_check(v, holder)?))
}

/// One initial-margin check of `id` (`requireMargin(id, true)`), with the engine's share
/// measured through a probe on a fork.
fn margin_check(v: &mut Vault, id: u64) -> anyhow::Result<MarginCheck> {
    let calldata = I::requireMarginCall {
        id: U256::from(id),
        initial: true,
    }
    .abi_encode();
    let (_, out) = v.view(I::requireMarginCall {
        id: U256::from(id),
        initial: true,
    })?;
    let mut cached_host = v.host.fork();
    for (_, p) in &v.programs {
        cached_host.set_program_cached(*p, true);
    }
    let cached = cached_host.static_call(DAVE, v.vault, &calldata, TestChain::GAS_LIMIT);
    if !cached.success {
        bail!("cached margin check failed: {}", revert_text(&cached));
    }
    // The engine's share: a probe in front of the engine on a fork.
    let seen = Arc::new(Mutex::new(Probe::default()));
    let mut fork = v.host.fork();
    fork.install_native(ENGINE_PROBE, engine_probe(v.engine, seen.clone()));
    let set = fork.call(
        OWNER,
        v.vault,
        &I::setEngineCall {
            mode: 2,
            engine: ENGINE_PROBE,
        }
        .abi_encode(),
        U256::ZERO,
        TestChain::GAS_LIMIT,
    );
    if !set.success {
        bail!("setEngine(probe) failed: {}", revert_text(&set));
    }
    let probed = fork.static_call(
        DAVE,
        v.vault,
        &I::requireMarginCall {
            id: U256::from(id),
            initial: true,
        }
        .abi_encode(),
        TestChain::GAS_LIMIT,
    );
    if !probed.success {
        bail!("probed margin check failed: {}", revert_text(&probed));
    }
    let probe = seen.lock().map(|p| p.clone()).unwrap_or_default();
    // The engine alone, called directly with the same snapshot.
    let alone = fork.static_call(
        DAVE,
        v.engine,
        &probe.snapshot_calldata,
        TestChain::GAS_LIMIT,
    );
    if !alone.success {
        bail!("engine margin(bytes) failed: {}", revert_text(&alone));
    }
    Ok(MarginCheck {
        out,
        cached,
        probe,
        alone,
    })
}

/// `keel bench --profile`: where the portfolio engine's ink goes in the `portfolio_margin_16`
/// check — the same snapshot the vault streams to it, run on a profiling host
/// ([`TestChain::profiling`]), each function's own ink (its basic blocks, callees excluded; host
/// I/O is the rest of the call's ink), largest first. The contract profile strips function
/// names, so for names build once more with `CARGO_PROFILE_CONTRACT_STRIP=false` into another
/// target directory and pass its artifact directory as `names`: that build of the engine is
/// the one profiled (its code differs from the stripped one by a function or two; both gas
/// figures are printed).
pub fn engine_profile(dir: &Path, names: &Path) -> anyhow::Result<String> {
    let codes = load(dir)?;
    let mut v = set_up(&codes)?;
    let (_, check) = portfolio_check(&mut v, 16, 1)?;
    let named = std::fs::read(names.join("keel_risk_engine.wasm")).unwrap_or_default();
    let names = function_names(&named);
    let has_names = names.iter().any(Option::is_some);
    let code = if has_names {
        deployable_code(&deployed_module(&named))
    } else {
        codes["keel_risk_engine"].clone()
    };
    let mut host = TestChain::profiling();
    let engine = host
        .deploy(&code)
        .map_err(|e| anyhow!("keel_risk_engine does not deploy: {e}"))?;
    let out = host.static_call(
        DAVE,
        engine,
        &check.probe.snapshot_calldata,
        TestChain::GAS_LIMIT,
    );
    if !out.success {
        bail!("the engine refused the snapshot: {}", revert_text(&out));
    }
    let profile = host
        .profile(engine)
        .ok_or_else(|| anyhow!("the profiling host recorded nothing"))?;
    let in_blocks: u64 = profile.iter().sum();
    let mut rows: Vec<(usize, u64)> = profile
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, ink)| *ink > 0)
        .collect();
    rows.sort_by_key(|row| std::cmp::Reverse(row.1));
    let build = if has_names {
        "the unstripped build"
    } else {
        "the deployed build"
    };
    let mut text = format!(
        "portfolio engine, margin(bytes) of the portfolio_margin_16 check ({build}): {} gas, \
         {} ink, of which {in_blocks} ink in WASM blocks ({} functions ran); the deployed \
         build: {} gas\n",
        out.execution_gas,
        out.ink_used,
        rows.len(),
        check.alone.execution_gas
    );
    text.push_str("      ink   share  gas  function\n");
    for (index, ink) in rows.iter().take(25) {
        let name = names
            .get(*index)
            .cloned()
            .flatten()
            .unwrap_or_else(|| format!("function {index}"));
        text.push_str(&format!(
            "{ink:>10} {:>6.2}% {:>5}  {name}\n",
            *ink as f64 * 100.0 / in_blocks.max(1) as f64,
            ink / keel_stylus_host::pricing::INK_PRICE
        ));
    }
    if !has_names {
        text.push_str(
            "(no function names: build with CARGO_PROFILE_CONTRACT_STRIP=false into another \
             --target-dir and pass --names DIR)\n",
        );
    }
    Ok(text)
}

/// Demangled function names by function index from `wasm`'s name section (empty without
/// one).
fn function_names(wasm: &[u8]) -> Vec<Option<String>> {
    use wasmparser::{KnownCustom, Name, Parser, Payload};
    let mut names: Vec<Option<String>> = Vec::new();
    for payload in Parser::new(0).parse_all(wasm).flatten() {
        let Payload::CustomSection(section) = payload else {
            continue;
        };
        let KnownCustom::Name(reader) = section.as_known() else {
            continue;
        };
        for name in reader.flatten() {
            let Name::Function(map) = name else {
                continue;
            };
            for naming in map.into_iter().flatten() {
                let index = naming.index as usize;
                if names.len() <= index {
                    names.resize(index + 1, None);
                }
                names[index] = Some(format!("{:#}", rustc_demangle::demangle(naming.name)));
            }
        }
    }
    names
}

/// `black76`: the ink of one `black76_with_greeks` (price and delta) in the test-only
/// program, less the same call doing everything but the pricing, in gas. Skipped with a note
/// when the program is not built; the program's answer is checked against keel-risk natively.
fn measure_black76(bench: &mut Bench, dir: &Path, arbos_version: u64) -> anyhow::Result<()> {
    use keel_risk::math::black76_with_greeks;
    use keel_risk::Wad;
    let path = dir.join(format!("{BLACK76}.wasm"));
    let Ok(wasm) = std::fs::read(&path) else {
        bench.skipped.push(format!(
            "black76: {} not built (`{BLACK76_BUILD}`)",
            path.display()
        ));
        return Ok(());
    };
    let mut host = TestChain::new();
    host.set_arbos_version(arbos_version);
    let program = host
        .deploy(&deployable_code(&deployed_module(&wasm)))
        .map_err(|e| anyhow!("{BLACK76} does not deploy: {e}"))?;
    // F 2000, K 2200, 30 days (√τ ≈ 0.2867), vol 80 %, discount 0.999.
    let inputs = [
        2_000 * ONE as i128,
        2_200 * ONE as i128,
        286_691_623_629_426_000,
        800_000_000_000_000_000,
        999_000_000_000_000_000,
    ];
    let run = |host: &mut TestChain, mode: u8| -> anyhow::Result<Outcome> {
        let mut data = vec![mode];
        for x in inputs {
            data.extend_from_slice(&x.to_be_bytes());
        }
        let out = host.call(DAVE, program, &data, U256::ZERO, TestChain::GAS_LIMIT);
        if !out.success {
            bail!("{BLACK76} mode {mode} failed: {}", revert_text(&out));
        }
        Ok(out)
    };
    let base = run(&mut host, 0)?;
    let priced = run(&mut host, 1)?;
    let [f, k, t, v, d] = inputs.map(Wad::from_raw);
    let (p, g) =
        black76_with_greeks(f, k, t, v, d).map_err(|e| anyhow!("keel-risk black76: {e:?}"))?;
    let mut expected = Vec::new();
    for x in [p.call, p.put, g.call_delta, g.put_delta] {
        expected.extend_from_slice(&x.raw().to_be_bytes());
    }
    if priced.return_data != expected {
        bail!("{BLACK76} disagrees with keel-risk natively");
    }
    let ink = priced.ink_used.saturating_sub(base.ink_used);
    let gas = |ink: u64| ink.div_ceil(keel_stylus_host::pricing::INK_PRICE);
    bench.push(
        "black76",
        gas(ink),
        format!(
            "one Black-76 price + delta (keel-risk black76_with_greeks) in WASM: {ink} ink, \
             checked against the native result"
        ),
    );
    // The engine's inner loop: one prepared price (strike, vol and forward prepared once).
    let once = run(&mut host, 8)?;
    let twice = run(&mut host, 9)?;
    if once.return_data[..32] != expected[..32] || twice.return_data != once.return_data {
        bail!("{BLACK76}: the prepared price disagrees with keel-risk natively");
    }
    let ink = twice.ink_used.saturating_sub(once.ink_used);
    bench.push(
        "black76_prepared",
        gas(ink),
        format!(
            "one Black-76 price from prepared inputs (black76_prepared, the portfolio engine's \
             per-option, per-scenario work): {ink} ink"
        ),
    );
    // Its parts, for the profile.
    for (mode, key, part) in [
        (2u8, "ln", "ln(F/K), the division included"),
        (3, "exp", "exp(vol)"),
        (4, "norm_cdf", "norm_cdf(vol)"),
        (5, "sqrt", "sqrt(F)"),
        (6, "wad_mul", "one checked wad multiplication"),
        (7, "wad_div", "one checked wad division"),
    ] {
        let out = run(&mut host, mode)?;
        let ink = out.ink_used.saturating_sub(base.ink_used);
        bench.push(
            format!("black76_profile_{key}"),
            gas(ink),
            format!("profile: {part}, {ink} ink"),
        );
    }
    Ok(())
}

/// Deploys the artifacts in `dir`, sets up a vault and measures every figure under each of
/// [`arbos_versions`].
pub fn measure(dir: &Path) -> anyhow::Result<Bench> {
    let [first, second] = arbos_versions();
    let mut bench = measure_at(dir, first)?;
    let later = measure_at(dir, second)?;
    bench.versions = [first, second];
    bench.merge_later(&later);
    Ok(bench)
}

/// Every figure with the host following ArbOS `arbos_version` (the vault's set-up runs
/// under the host's default; every measured flow under `arbos_version`).
pub fn measure_at(dir: &Path, arbos_version: u64) -> anyhow::Result<Bench> {
    let codes = load(dir)?;
    let mut bench = Bench {
        figures: Vec::new(),
        versions: [arbos_version; 2],
        oracle: ORACLE_STAND_IN,
        skipped: Vec::new(),
    };
    for (name, code) in &codes {
        bench.push(
            format!("size_{name}"),
            code.len() as u64,
            "deployable bytes",
        );
    }
    let mut v = set_up(&codes)?;
    v.host.set_arbos_version(arbos_version);
    for (name, at) in v.programs.clone() {
        if let Some(costs) = v.host.program_costs(at) {
            bench.push(
                format!("entry_{name}"),
                costs.init_gas() + costs.cached_gas(),
                format!(
                    "gas of an entry when not in ArbOS's init cache ({} when in it, or from \
                     ArbOS 60 when entered earlier in the block), memory not included",
                    costs.cached_gas()
                ),
            );
        }
    }
    bench.oracle = if v.feeds.is_empty() {
        ORACLE_STAND_IN
    } else {
        ORACLE_REAL
    };
    bench.push(
        "oracle_adapter_real",
        u64::from(!v.feeds.is_empty()),
        "1: the real keel_oracle_adapter answered; 0: the native stand-in",
    );

    measure_black76(&mut bench, dir, arbos_version)?;

    // deposit / withdraw on a warm account: ALICE's portfolio account already holds USDC.
    let a = v.funded_account(ALICE, 10_000, 0)?;
    let dep = v.deposit(ALICE, a, USDC, units(1_000, 6))?;
    bench.push(
        "deposit",
        dep.execution_gas,
        tallied(
            "1,000 USDC into an account already holding USDC (token: native stand-in)",
            &dep,
        ),
    );
    let wd = v.send(
        ALICE,
        I::withdrawCall {
            id: U256::from(a),
            asset: USDC,
            amount: units(500, 6),
            to: ALICE,
        },
    )?;
    bench.push(
        "withdraw",
        wd.execution_gas,
        tallied(
            "500 USDC out of that account (no positions: no margin check)",
            &wd,
        ),
    );

    // settle_trade: a perp between two funded portfolio accounts that already trade.
    let b = v.funded_account(BOB, 1_000_000, 100)?;
    let c = v.funded_account(CAROL, 1_000_000, 100)?;
    let perp = v.instrument(0, 0, 0)?;
    v.trade(perp, b, c, (ONE) as i128, SPOT * ONE)?;
    let st = v.trade(perp, b, c, (ONE) as i128, SPOT * ONE)?;
    bench.push(
        "settle_trade",
        st.execution_gas,
        tallied(
            "1 ETH perp between two portfolio accounts holding it, via the market stand-in \
             (both IM checks)",
            &st,
        ),
    );
    let rd = v.trade(perp, c, b, ONE as i128, SPOT * ONE)?;
    bench.push(
        "settle_trade_reduce",
        rd.execution_gas,
        tallied(
            "1 ETH of that perp back at the mark: both sides reduce and still meet IM (settled \
             under the strict rule in a nested frame of the trading module)",
            &rd,
        ),
    );

    // start_auction / bid: a leveraged long perp, then a price fall below maintenance.
    let l = v.funded_account(ALICE, 10_000, 0)?;
    v.trade(perp, l, c, 20 * ONE as i128, SPOT * ONE)?;
    v.shock_below_maintenance(l)?;
    let sa = v.send(CAROL, I::startAuctionCall { id: U256::from(l) })?;
    bench.push(
        "start_auction",
        sa.execution_gas,
        tallied(
            "an account with a 20 ETH perp just below maintenance margin",
            &sa,
        ),
    );
    v.host.advance(60);
    let bid = v.send(
        CAROL,
        I::bidCall {
            id: U256::from(l),
            bidder: U256::from(c),
            fraction: U256::from(ONE / 4),
            maxPayment: I256::MAX,
        },
    )?;
    bench.push(
        "bid",
        bid.execution_gas,
        tallied(
            "a quarter of that account into a portfolio bidder, 60 s into the auction",
            &bid,
        ),
    );
    v.set_price(ETH, wad(SPOT));
    v.set_price(WETH, wad(SPOT));

    // Margin checks of option portfolios.
    for (key, options, expiries) in [
        ("portfolio_margin_16".to_string(), 16, 1),
        (
            format!("portfolio_margin_{LARGE_OPTIONS}"),
            LARGE_OPTIONS,
            LARGE_EXPIRIES,
        ),
    ] {
        let (
            holder,
            MarginCheck {
                out,
                cached,
                probe,
                alone,
            },
        ) = portfolio_check(&mut v, options, expiries)?;
        let positions = v.margin(holder)?.positionCount;
        bench.push(
            key.clone(),
            out.execution_gas,
            format!(
                "requireMargin(id, true): {options} options over {expiries} expiries + perp \
                 ({positions} positions), USDC + WETH (risk-cancelling), 31 scenarios"
            ),
        );
        bench.push(
            format!("{key}_cached"),
            cached.execution_gas,
            "the same with every program in ArbOS's init cache (cached entry cost)",
        );
        let t = out.tally;
        let evm = t.sload_gas + t.sstore_gas + t.access_gas + t.entry_gas;
        bench.push(
            format!("{key}_sload_gas"),
            t.sload_gas,
            format!("of which {} storage reads (vault, oracle, feeds)", t.sloads),
        );
        bench.push(
            format!("{key}_call_gas"),
            t.access_gas,
            format!("of which account access of {} calls", t.calls),
        );
        bench.push(
            format!("{key}_entry_gas"),
            t.entry_gas,
            format!(
                "of which {} program entries (init/cached cost + memory)",
                t.entries
            ),
        );
        bench.push(
            format!("{key}_compute_gas"),
            out.execution_gas.saturating_sub(evm),
            "of which WASM execution and host I/O ink (all programs), / 10,000",
        );
        bench.push(
            format!("{key}_engine"),
            alone.execution_gas,
            format!(
                "of which the portfolio engine's margin(bytes) alone ({} ink, snapshot {} bytes)",
                alone.ink_used,
                probe.snapshot_calldata.len().saturating_sub(68)
            ),
        );
        bench.push(
            format!("{key}_engine_call"),
            probe.engine_gas,
            "the engine call as made from the vault (call cost + entry + execution)",
        );
        bench.push(
            format!("{key}_stack_depth"),
            u64::from(out.deepest_stack),
            "deepest stack any program frame of the check reached, in Nitro's words",
        );
    }
    bench.push(
        "stack_depth_max",
        u64::from(v.host.deepest_stack()),
        format!(
            "deepest stack any program frame reached in the vault's set-up and every flow \
             above, in Nitro's words (each frame may use up to {} words: stack_depth_budget)",
            max_stack_depth(arbos_version)
        ),
    );
    bench.push(
        "stack_depth_budget",
        u64::from(max_stack_depth(arbos_version)),
        "Nitro's MaxStackDepth: the words each program frame starts with (ArbOS 50 on)",
    );
    Ok(bench)
}
