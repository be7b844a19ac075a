//! The risk-engine contract run natively on stylus-sdk's `TestVM`: the view gives keel-risk's
//! numbers through the ABI, and bad input reverts with the named Solidity error.

use alloy_primitives::{keccak256, I256, U256};
use alloy_sol_types::{SolCall, SolError, SolValue};
use keel_risk::math::SviParams;
use keel_risk::model::portfolio::{
    portfolio_margin, CollateralHolding, ExpiryBook, OptionHolding, PerpHolding, Pm2Params,
    PortfolioAccount, PortfolioMargin, UnderlyingBook, WorstCase,
};
use keel_risk::{RiskError, Wad};
use keel_risk_engine::{
    decode_portfolio, portfolioMarginCall, BadEncoding, Collateral, DivisionByZero, Expiry,
    Failure, OptionLeg, Overflow, ParameterOutOfBounds, Portfolio, RiskEngine,
    PORTFOLIO_MARGIN_SELECTOR,
};
use stylus_sdk::abi::router_entrypoint;
use stylus_sdk::host::VM;
use stylus_sdk::testing::TestVM;

/// The function's Solidity signature, as documented in the crate docs.
const SIGNATURE: &str = "portfolioMargin((uint64,int256,uint256,uint256,uint256,int256,int256,\
uint256,uint256,(uint64,uint256,uint256,uint256,int256,uint256,int256,int256,int256,int256,\
int256,uint256,uint256,uint256,(uint256,bool,int256)[])[],\
(uint256,uint256,uint256,uint256,uint256,bool)[]))";

#[test]
fn selector_is_the_documented_signature() {
    assert_eq!(
        PORTFOLIO_MARGIN_SELECTOR[..],
        keccak256(SIGNATURE.as_bytes())[..4]
    );
}

const NOW: u64 = 1_700_000_000;
const DAY: u64 = 86_400;

/// A decimal as a wad (test inputs are written as decimals).
fn w(text: &str) -> Wad {
    Wad::parse_decimal(text).unwrap()
}
fn u(text: &str) -> U256 {
    U256::from(u128::try_from(w(text).raw()).unwrap())
}
fn i(text: &str) -> I256 {
    I256::try_from(w(text).raw()).unwrap()
}

/// One expiry's market data in both forms: (ABI struct without options, keel-risk book).
struct ExpiryCase {
    days: u64,
    forward: &'static str,
    rate: &'static str,
    svi: [&'static str; 5],
    options: Vec<(&'static str, bool, &'static str)>,
}

fn abi_expiry(e: &ExpiryCase) -> Expiry {
    let tau = Wad::from_int(e.days as i64)
        .div(Wad::from_int(365))
        .unwrap();
    Expiry {
        expiry: NOW + e.days * DAY,
        forwardFixed: U256::ZERO,
        forwardVariable: u(e.forward),
        forwardConfidence: u("1"),
        rate: i(e.rate),
        rateConfidence: u("1"),
        sviA: i(e.svi[0]),
        sviB: i(e.svi[1]),
        sviRho: i(e.svi[2]),
        sviM: i(e.svi[3]),
        sviSigma: i(e.svi[4]),
        sviForward: u(e.forward),
        sviTau: U256::from(u128::try_from(tau.raw()).unwrap()),
        volConfidence: u("0.95"),
        options: e
            .options
            .iter()
            .map(|(k, call, n)| OptionLeg {
                strike: u(k),
                isCall: *call,
                amount: i(n),
            })
            .collect(),
    }
}

fn book_expiry(e: &ExpiryCase) -> ExpiryBook {
    ExpiryBook {
        expiry: NOW + e.days * DAY,
        forward_fixed: Wad::ZERO,
        forward_variable: w(e.forward),
        forward_confidence: Wad::ONE,
        rate: w(e.rate),
        rate_confidence: Wad::ONE,
        svi: SviParams {
            a: w(e.svi[0]),
            b: w(e.svi[1]),
            rho: w(e.svi[2]),
            m: w(e.svi[3]),
            sigma: w(e.svi[4]),
            forward: w(e.forward),
            tau: Wad::from_int(e.days as i64)
                .div(Wad::from_int(365))
                .unwrap(),
        },
        vol_confidence: w("0.95"),
        options: e
            .options
            .iter()
            .map(|(k, call, n)| OptionHolding {
                strike: w(k),
                is_call: *call,
                amount: w(n),
            })
            .collect(),
    }
}

/// A short ETH strangle and a call spread over two expiries, a short perp, wstETH-like
/// risk-cancelling collateral and a plain stable collateral: every part of the ABI is used.
fn expiries() -> Vec<ExpiryCase> {
    vec![
        ExpiryCase {
            days: 9,
            forward: "3004.5",
            rate: "0.04",
            svi: ["0.0012", "0.011", "-0.35", "0.01", "0.07"],
            options: vec![("2800", false, "-3"), ("3200", true, "-3")],
        },
        ExpiryCase {
            days: 37,
            forward: "3016",
            rate: "0.045",
            svi: ["0.004", "0.03", "-0.3", "0.02", "0.15"],
            options: vec![("3000", true, "2"), ("3400", true, "-2.5")],
        },
    ]
}

fn abi_portfolio(with_options: bool) -> Portfolio {
    Portfolio {
        timestamp: NOW,
        cash: i("-1500.25"),
        stablePrice: u("0.9995"),
        spot: u("3000"),
        spotConfidence: u("0.99"),
        perpAmount: i("-1.5"),
        perpUnrealised: i("-12.5"),
        perpPrice: u("3001.2"),
        perpConfidence: u("0.98"),
        expiries: if with_options {
            expiries().iter().map(abi_expiry).collect()
        } else {
            vec![]
        },
        collaterals: vec![
            Collateral {
                amount: u("4.2"),
                price: u("3520"),
                confidence: u("0.97"),
                mmHaircut: u("0.02"),
                imHaircut: u("0.03"),
                riskCancelling: true,
            },
            Collateral {
                amount: u("2500"),
                price: u("1.0001"),
                confidence: u("1"),
                mmHaircut: u("0.01"),
                imHaircut: u("0"),
                riskCancelling: false,
            },
        ],
    }
}

/// The same portfolio written directly in keel-risk's input types.
fn direct_account(with_options: bool) -> PortfolioAccount {
    PortfolioAccount {
        now: NOW,
        cash: w("-1500.25"),
        stable_price: w("0.9995"),
        underlyings: vec![UnderlyingBook {
            spot: w("3000"),
            spot_confidence: w("0.99"),
            perp: PerpHolding {
                amount: w("-1.5"),
                unrealised: w("-12.5"),
                price: w("3001.2"),
                confidence: w("0.98"),
            },
            expiries: if with_options {
                expiries().iter().map(book_expiry).collect()
            } else {
                vec![]
            },
        }],
        collaterals: vec![
            CollateralHolding {
                amount: w("4.2"),
                price: w("3520"),
                confidence: w("0.97"),
                mm_haircut: w("0.02"),
                im_haircut: w("0.03"),
                risk_cancelling: Some(0),
            },
            CollateralHolding {
                amount: w("2500"),
                price: w("1.0001"),
                confidence: Wad::ONE,
                mm_haircut: w("0.01"),
                im_haircut: Wad::ZERO,
                risk_cancelling: None,
            },
        ],
    }
}

/// Sends `calldata` to the contract through stylus-sdk's entrypoint router, as a
/// transaction or `eth_call` would.
fn send(calldata: Vec<u8>) -> Result<Vec<u8>, Vec<u8>> {
    let vm = TestVM::default();
    router_entrypoint::<RiskEngine, RiskEngine>(calldata, VM { host: Box::new(vm) })
}

/// Calls `portfolioMargin(p)`.
fn call(p: &Portfolio) -> Result<Vec<u8>, Vec<u8>> {
    send(portfolioMarginCall { p: p.clone() }.abi_encode())
}

fn decode(out: &[u8]) -> (I256, I256, I256, U256) {
    let r = portfolioMarginCall::abi_decode_returns(out).unwrap();
    (r.im, r.mm, r.mtm, r.worstScenario)
}

fn expected(direct: &PortfolioMargin) -> (I256, I256, I256, U256) {
    let worst = match direct.breakdown.underlyings[0].worst {
        WorstCase::Scenario(s) => U256::from(s),
        WorstCase::Basis => U256::MAX,
    };
    (
        I256::try_from(direct.im.raw()).unwrap(),
        I256::try_from(direct.mm.raw()).unwrap(),
        I256::try_from(direct.mtm.raw()).unwrap(),
        worst,
    )
}

/// The revert data of the Solidity error `name()` (no arguments).
fn named_error(name: &str) -> Vec<u8> {
    keccak256(format!("{name}()").as_bytes())[..4].to_vec()
}

#[test]
fn perp_and_collateral_portfolio_matches_keel_risk() {
    let direct = portfolio_margin(&direct_account(false), &Pm2Params::keel_default()).unwrap();
    let out = call(&abi_portfolio(false)).unwrap();
    assert_eq!(decode(&out), expected(&direct));
    // The figures are not trivially zero.
    assert!(
        direct.mm < direct.mtm && direct.im < direct.mm,
        "{direct:?}"
    );
}

#[test]
fn option_portfolio_matches_keel_risk() {
    let direct = portfolio_margin(&direct_account(true), &Pm2Params::keel_default()).unwrap();
    let out = call(&abi_portfolio(true)).unwrap();
    assert_eq!(decode(&out), expected(&direct));
    assert!(direct.breakdown.option_mtm != Wad::ZERO, "{direct:?}");
    assert!(
        direct.im < direct.mm && direct.mm < direct.mtm,
        "{direct:?}"
    );
}

#[test]
fn the_decoder_reads_what_alloy_encodes() {
    for with_options in [false, true] {
        let args = (abi_portfolio(with_options),).abi_encode_params();
        assert_eq!(
            decode_portfolio(&args).unwrap(),
            direct_account(with_options)
        );
    }
    // An empty portfolio too.
    let mut empty = abi_portfolio(false);
    empty.collaterals.clear();
    let account = decode_portfolio(&(empty,).abi_encode_params()).unwrap();
    assert!(account.collaterals.is_empty() && account.underlyings[0].expiries.is_empty());
}

#[test]
fn truncated_or_corrupt_calldata_reverts_with_bad_encoding_and_never_panics() {
    let args = (abi_portfolio(true),).abi_encode_params();
    // Every strict prefix is rejected.
    for len in 0..args.len() {
        assert_eq!(
            decode_portfolio(&args[..len]),
            Err(Failure::Malformed),
            "prefix {len}"
        );
    }
    // Offsets and lengths pointing anywhere, including far outside, are rejected or decoded,
    // never a panic or a huge allocation.
    for word in 0..args.len() / 32 {
        for value in [u64::MAX, 1 << 40, args.len() as u64, 0x20, 1] {
            let mut bad = args.clone();
            bad[word * 32..word * 32 + 32].fill(0);
            bad[word * 32 + 24..word * 32 + 32].copy_from_slice(&value.to_be_bytes());
            let _ = decode_portfolio(&bad);
        }
    }
    let mut bad = args.clone();
    // The first offset points just past the end.
    let end = bad.len() as u64;
    bad[24..32].copy_from_slice(&end.to_be_bytes());
    let mut calldata = PORTFOLIO_MARGIN_SELECTOR.to_vec();
    calldata.extend_from_slice(&bad);
    assert_eq!(send(calldata).unwrap_err(), BadEncoding {}.abi_encode());
}

#[test]
fn an_unknown_selector_reverts_with_empty_data() {
    let mut calldata = portfolioMarginCall {
        p: abi_portfolio(false),
    }
    .abi_encode();
    calldata[0] ^= 1;
    assert_eq!(send(calldata).unwrap_err(), Vec::<u8>::new());
    assert_eq!(send(vec![1, 2, 3]).unwrap_err(), Vec::<u8>::new());
}

#[test]
fn zero_stable_price_reverts_with_the_named_error() {
    let mut bad = direct_account(false);
    bad.stable_price = Wad::ZERO;
    let err = portfolio_margin(&bad, &Pm2Params::keel_default()).unwrap_err();
    assert_eq!(err, RiskError::DivisionByZero);

    let mut p = abi_portfolio(false);
    p.stablePrice = U256::ZERO;
    let revert = call(&p).unwrap_err();
    assert_eq!(revert, named_error(err.name()));
    assert_eq!(revert, DivisionByZero {}.abi_encode());
}

#[test]
fn haircuts_above_one_revert_with_the_named_error() {
    let mut bad = direct_account(false);
    bad.collaterals[0].mm_haircut = w("0.7");
    bad.collaterals[0].im_haircut = w("0.5");
    let err = portfolio_margin(&bad, &Pm2Params::keel_default()).unwrap_err();

    let mut p = abi_portfolio(false);
    p.collaterals[0].mmHaircut = u("0.7");
    p.collaterals[0].imHaircut = u("0.5");
    let revert = call(&p).unwrap_err();
    assert_eq!(revert, named_error(err.name()));
    assert_eq!(revert, ParameterOutOfBounds {}.abi_encode());
}

#[test]
fn a_number_beyond_int128_reverts_with_overflow() {
    let mut p = abi_portfolio(false);
    p.spot = U256::from(u128::MAX);
    assert_eq!(call(&p).unwrap_err(), Overflow {}.abi_encode());
    let mut p = abi_portfolio(false);
    p.cash = I256::MIN;
    assert_eq!(call(&p).unwrap_err(), Overflow {}.abi_encode());
}

#[test]
fn every_known_risk_error_maps_to_the_solidity_error_of_its_name() {
    use keel_risk_engine::revert_data;
    let all = [
        RiskError::Overflow,
        RiskError::DivisionByZero,
        RiskError::ExpOverflow,
        RiskError::LogOfNonPositive,
        RiskError::SqrtOfNegative,
        RiskError::NegativeInput,
        RiskError::InvalidSvi,
        RiskError::InvalidScenarios,
        RiskError::TooManyExpiries,
        RiskError::MissingExpiryData,
        RiskError::MissingMarketData,
        RiskError::MissingVol,
        RiskError::ParameterOutOfBounds,
        RiskError::InvalidOptionMarginParams,
        RiskError::InvalidPerpMarginParams,
        RiskError::InvalidBaseMarginParams,
        RiskError::InvalidOracleContingencyParams,
        RiskError::InvalidDepegParams,
        RiskError::InvalidCollateralParams,
    ];
    for e in all {
        assert_eq!(
            revert_data(Failure::Risk(e)),
            named_error(e.name()),
            "{e:?}"
        );
    }

    // The list above is every variant: compare with the names `RiskError::name` spells out
    // in keel-risk's source, so a new variant fails here until the contract declares it.
    let source =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../risk/src/error.rs"))
            .unwrap();
    let body = source.split("pub const fn name").nth(1).unwrap();
    let body = &body[..body.find("\n    }\n").unwrap()];
    let declared: Vec<&str> = body
        .lines()
        .filter_map(|l| l.split("=> \"").nth(1))
        .map(|rest| rest.trim_end_matches("\","))
        .collect();
    let listed: Vec<&str> = all.iter().map(|e| e.name()).collect();
    assert_eq!(declared, listed);
}
