//! The shared conformance cases through the WASM build of the risk code: every PM2 case as a
//! portfolio-mode snapshot on `keel-risk-engine`, every SRM case as a cross-mode snapshot on
//! `keel-cross-engine`, both deployed once on one embedded Stylus host, must give
//! bit-identical IM, MM, MtM and worst scenario to keel-risk run natively on the same
//! snapshot — and that native result must equal the case's direct model evaluation (the
//! reader's `portfolio_margin` / `cross_margin`), so the snapshot is known to carry the case.
//!
//! A snapshot cannot carry every SRM case (one has per-strike vols no SVI surface passes
//! through), so every SRM case also goes, as keel-risk's own `CrossAccount`, through the
//! test-only risk probe (`tests/stylus/risk-probe`: `cross_margin` in WASM, inputs and the
//! whole result with its breakdown in the probe's wire format), whose answer must equal the
//! native build's byte for byte.
//!
//! Ignored, saying why, when the case folders are missing outside CI (the build script's
//! `keel_no_conformance_data`); the programs are built when missing
//! (`keel_cli::contracts::artifact_dir`; under `CI=true` CI's own build made them) with:
//!
//! ```text
//! cargo build --profile contract --target wasm32-unknown-unknown \
//!     -p keel-risk-engine -p keel-cross-engine -p keel-risk-probe
//! ```

use std::path::{Path, PathBuf};

use alloy_sol_types::{sol, SolCall};
use keel_chain::TestChain;
use keel_cli::artifact::{deployable_code, deployed_module};
use keel_cli::conformance::snapshot::{pm2_snapshot, srm_snapshot};
use keel_cli::conformance::{case_files, pm2, srm};
use keel_risk::model::account::Instrument;
use keel_risk::model::cross::cross_margin;
use keel_risk::model::portfolio::{portfolio_margin, WorstCase};
use keel_risk::model::snapshot::{decode, encode, evaluate, MarginOutcome, MarginSnapshot};
use keel_risk::{RiskError, Wad};
use keel_risk_probe::wire::{answer, Wire};
use keel_stylus_host::alloy_primitives::{keccak256, Address, I256, U256};

sol!(
    #[sol(all_derives)]
    "../abi/IRiskEngine.sol"
);

use IRiskEngine::marginCall;

const ENGINES_BUILD: &str = "cargo build --profile contract --target wasm32-unknown-unknown \
     -p keel-risk-engine -p keel-cross-engine -p keel-risk-probe";

const CALLER: Address = Address::repeat_byte(0xca);

/// The one case the snapshot cannot carry (52 of 53 SRM cases and all 104 PM2 cases must be):
/// `test-cases__Test28` quotes up to nine strikes with different vols in one expiry, where a
/// snapshot expiry has one SVI surface and the conformance mapping fits it exactly through at
/// most three strikes (a five-parameter smile cannot pass through nine arbitrary vols to the
/// wei). Every other case, including the two- and three-strike smiles, is carried.
const SRM_NOT_CARRIED: &[&str] = &["test-cases__Test28"];

/// A case folder of `../shared/conformance` (the build script marks these tests ignored
/// when the folder is absent outside CI).
fn case_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/conformance")
        .join(name);
    assert!(
        dir.is_dir(),
        "conformance cases not found at {}",
        dir.display()
    );
    dir
}

/// The deployable code of a built program (built if needed:
/// `keel_cli::contracts::artifact_dir`).
fn engine_code(name: &str) -> Vec<u8> {
    let dir = keel_cli::contracts::artifact_dir().expect("the contract artifacts");
    let path = dir.join(format!("{name}.wasm"));
    let wasm = std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; build the engines with `{ENGINES_BUILD}`",
            path.display()
        )
    });
    deployable_code(&deployed_module(&wasm))
}

/// Gas and agreement figures of one suite.
#[derive(Default)]
struct Tally {
    cases: usize,
    carried: usize,
    identical: usize,
    refused: usize,
    total_gas: u64,
    max_gas: u64,
    max_gas_case: String,
    /// `(case, reason)`.
    not_carried: Vec<(String, String)>,
}

impl Tally {
    fn line(&self, suite: &str) -> String {
        format!(
            "{suite}: {} cases, {} carried by a snapshot, {} bit-identical in WASM ({} refused \
             alike), engine gas total {} max {} ({})",
            self.cases,
            self.carried,
            self.identical,
            self.refused,
            self.total_gas,
            self.max_gas,
            self.max_gas_case
        )
    }
}

/// What the model gives, as the engine reports it.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    Margin {
        im: I256,
        mm: I256,
        mtm: I256,
        worst: U256,
    },
    /// The 4-byte revert data of a custom error without arguments.
    Reverted(Vec<u8>),
}

fn word(x: Wad) -> I256 {
    I256::try_from(x.raw()).expect("an i128 fits an int256")
}

/// The engine's answer the native result stands for.
fn native_answer(native: &Result<MarginOutcome, RiskError>) -> Answer {
    match native {
        Ok(m) => Answer::Margin {
            im: word(m.im),
            mm: word(m.mm),
            mtm: word(m.mtm),
            worst: match m.worst {
                Some(WorstCase::Scenario(i)) => U256::from(i),
                _ => U256::MAX,
            },
        },
        Err(e) => Answer::Reverted(keccak256(format!("{}()", e.name()).as_bytes())[..4].to_vec()),
    }
}

/// Runs one snapshot natively and on `engine` and asserts the two agree bit for bit (a
/// native [`RiskError`] must be the engine's custom error of the same name); for a case,
/// also that the native result equals `direct`, the case's own model evaluation (IM, MM,
/// MtM, or the same refusal).
fn check(
    host: &mut TestChain,
    engine: Address,
    name: &str,
    snapshot: &MarginSnapshot,
    direct: Option<Result<(Wad, Wad, Wad), RiskError>>,
    tally: &mut Tally,
) {
    let bytes = encode(snapshot);
    assert_eq!(
        decode(&bytes).as_ref(),
        Ok(snapshot),
        "{name}: the encoding does not round-trip"
    );
    let native = evaluate(snapshot);
    match (&native, &direct) {
        (_, None) => {}
        (Ok(m), Some(Ok((im, mm, mtm)))) => assert_eq!(
            (m.im, m.mm, m.mtm),
            (*im, *mm, *mtm),
            "{name}: the snapshot margins differently from the case (IM, MM, MtM)"
        ),
        (Err(a), Some(Err(b))) => assert_eq!(a, b, "{name}: refused for different reasons"),
        _ => panic!("{name}: snapshot {native:?} but the case directly {direct:?}"),
    }

    let calldata = marginCall {
        snapshot: bytes.into(),
    }
    .abi_encode();
    let out = host.static_call(CALLER, engine, &calldata, TestChain::GAS_LIMIT);
    let wasm = if out.success {
        let r = marginCall::abi_decode_returns(&out.return_data)
            .unwrap_or_else(|e| panic!("{name}: margin returned undecodable data: {e}"));
        Answer::Margin {
            im: r.im,
            mm: r.mm,
            mtm: r.mtm,
            worst: r.worstScenario,
        }
    } else {
        Answer::Reverted(out.return_data.clone())
    };
    assert_eq!(
        wasm,
        native_answer(&native),
        "{name}: the WASM engine ({:?}) disagrees with native keel-risk",
        out.status
    );
    tally.identical += 1;
    tally.refused += usize::from(native.is_err());
    tally.total_gas += out.execution_gas;
    if out.execution_gas > tally.max_gas {
        tally.max_gas = out.execution_gas;
        tally.max_gas_case = name.to_owned();
    }
}

/// Deploys an engine as the chain would (an engine over the 24,576-byte limit fails here).
fn deploy(host: &mut TestChain, name: &str, code: &[u8]) -> Address {
    host.deploy(code)
        .unwrap_or_else(|e| panic!("{name} activates: {e}"))
}

fn case_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

#[test]
#[cfg_attr(
    keel_no_conformance_data,
    ignore = "Derive's conformance cases are not at ../shared/conformance"
)]
fn conformance_cases_are_bit_identical_in_wasm() {
    let (pm2_dir, srm_dir) = (case_dir("derive-pm2"), case_dir("derive-srm"));
    let portfolio_code = engine_code("keel_risk_engine");
    let cross_code = engine_code("keel_cross_engine");
    let mut host = TestChain::new();
    let portfolio_engine = deploy(&mut host, "keel_risk_engine", &portfolio_code);
    let cross_engine = deploy(&mut host, "keel_cross_engine", &cross_code);

    let (mut first_portfolio, mut first_cross) = (None, None);
    let mut pm2_tally = Tally::default();
    for path in case_files(&pm2_dir).expect("PM2 case folder") {
        let name = case_name(&path);
        let case = pm2::load_case(&path).expect("every PM2 case reads");
        pm2_tally.cases += 1;
        let snapshot = match pm2_snapshot(&case) {
            Ok(s) => s,
            Err(e) => {
                pm2_tally.not_carried.push((name, format!("{e:#}")));
                continue;
            }
        };
        pm2_tally.carried += 1;
        let direct = portfolio_margin(&case.account, &case.params).map(|m| (m.im, m.mm, m.mtm));
        if first_portfolio.is_none() {
            first_portfolio = Some(snapshot.clone());
        }
        check(
            &mut host,
            portfolio_engine,
            &name,
            &snapshot,
            Some(direct),
            &mut pm2_tally,
        );
    }

    let mut srm_tally = Tally::default();
    for path in case_files(&srm_dir).expect("SRM case folder") {
        let name = case_name(&path);
        let case = srm::read_case(&path).expect("every SRM case reads");
        srm_tally.cases += 1;
        let snapshot = match srm_snapshot(&case) {
            Ok(s) => s,
            Err(e) => {
                srm_tally.not_carried.push((name, format!("{e:#}")));
                continue;
            }
        };
        srm_tally.carried += 1;
        let direct = cross_margin(&case.account).map(|m| (m.im, m.mm, m.mtm));
        if first_cross.is_none() {
            first_cross = Some(snapshot.clone());
        }
        check(
            &mut host,
            cross_engine,
            &name,
            &snapshot,
            Some(direct),
            &mut srm_tally,
        );
    }

    // No case is refused, so refusals are probed on altered snapshots: an option on an
    // unlisted expiry (portfolio) and a negative stable price (cross).
    let mut probes = Tally::default();
    let mut portfolio_probe = first_portfolio.expect("a PM2 case was carried");
    let option = portfolio_probe
        .account
        .positions
        .iter_mut()
        .find(|p| matches!(p.instrument, Instrument::Option { .. }))
        .expect("the first PM2 case holds an option");
    if let Instrument::Option { expiry, .. } = &mut option.instrument {
        *expiry += 1;
    }
    let mut cross_probe = first_cross.expect("an SRM case was carried");
    cross_probe.market.stable_price = Wad::from_raw(-1);
    for (engine, name, probe, error) in [
        (
            portfolio_engine,
            "unlisted expiry",
            &portfolio_probe,
            RiskError::MissingExpiryData,
        ),
        (
            cross_engine,
            "negative stable price",
            &cross_probe,
            RiskError::NegativeInput,
        ),
    ] {
        assert_eq!(evaluate(probe).err(), Some(error), "{name}");
        check(&mut host, engine, name, probe, None, &mut probes);
    }
    assert_eq!(probes.refused, 2);

    for (name, why) in pm2_tally.not_carried.iter().chain(&srm_tally.not_carried) {
        println!("not carried: {name}: {why}");
    }
    println!("{}", pm2_tally.line("PM2"));
    println!("{}", srm_tally.line("SRM"));
    assert!(
        pm2_tally.cases > 0 && srm_tally.cases > 0,
        "empty case folders"
    );
    assert!(
        pm2_tally.not_carried.is_empty(),
        "PM2 cases the snapshot cannot carry: {:?}",
        pm2_tally.not_carried
    );
    let unexpected: Vec<_> = srm_tally
        .not_carried
        .iter()
        .filter(|(name, _)| !SRM_NOT_CARRIED.contains(&name.as_str()))
        .collect();
    assert!(
        unexpected.is_empty(),
        "SRM cases the snapshot cannot carry: {unexpected:?}"
    );
    assert_eq!(pm2_tally.identical, pm2_tally.carried);
    assert_eq!(srm_tally.identical, srm_tally.carried);
}

#[test]
#[cfg_attr(
    keel_no_conformance_data,
    ignore = "Derive's conformance cases are not at ../shared/conformance"
)]
fn every_srm_case_is_bit_identical_through_the_wasm_risk_probe() {
    let srm_dir = case_dir("derive-srm");
    let probe_code = engine_code("keel_risk_probe");
    let mut host = TestChain::new();
    let probe = deploy(&mut host, "keel_risk_probe", &probe_code);
    let (mut cases, mut refused, mut total_gas) = (0usize, 0usize, 0u64);
    for path in case_files(&srm_dir).expect("SRM case folder") {
        let name = case_name(&path);
        let case = srm::read_case(&path).expect("every SRM case reads");
        let input = case.account.encode();
        let native = cross_margin(&case.account);
        refused += usize::from(native.is_err());
        let expected = answer(&native);
        let out = host.call(CALLER, probe, &input, U256::ZERO, TestChain::GAS_LIMIT);
        assert!(out.success, "{name}: the probe failed ({:?})", out.status);
        assert_eq!(
            out.return_data, expected,
            "{name}: cross_margin in WASM disagrees with the native build"
        );
        cases += 1;
        total_gas += out.execution_gas;
    }
    // The answer is the whole result: a changed input must change it.
    let case = srm::read_case(&case_files(&srm_dir).expect("SRM case folder")[0]).expect("reads");
    let mut altered = case.account.clone();
    altered.cash = altered.cash.add(Wad::ONE).expect("in range");
    let out = host.call(
        CALLER,
        probe,
        &altered.encode(),
        U256::ZERO,
        TestChain::GAS_LIMIT,
    );
    let original = answer(&cross_margin(&case.account));
    assert!(out.success && out.return_data != original);
    assert_eq!(out.return_data, answer(&cross_margin(&altered)));
    // Undecodable input is refused, not margined.
    let bad = host.call(CALLER, probe, &[0xff; 3], U256::ZERO, TestChain::GAS_LIMIT);
    assert!(!bad.success);
    assert!(cases >= 53, "the 53 published SRM cases, found {cases}");
    println!(
        "SRM through the risk probe: {cases} cases bit-identical (whole result and breakdown), \
         {refused} refused alike, probe gas total {total_gas}"
    );
}
