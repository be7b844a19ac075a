//! Test harness: the adapter deployed on a `FeedHost` (a TestVM whose feed mocks answer per
//! call), driven through the real on-chain path — `router_entrypoint` → `#[fallback]` →
//! dispatcher — with calldata, returns, errors and events typed by `sol!` **from
//! `abi/IOracleAdapter.sol` itself**, so every test also checks the interface file.
#![allow(dead_code)]

use alloy_primitives::{Address, B256, I256, U256};
pub use alloy_sol_types::{sol, SolCall, SolError, SolEvent};
use keel_oracle_adapter::OracleAdapter;
use keel_stylus_common::feed::Round;
pub use keel_stylus_common::testing::{round, FeedHost};
use stylus_sdk::abi::{router_entrypoint, CONSTRUCTOR_SELECTOR};
use stylus_sdk::host::VM;

sol!(
    #[sol(all_derives)]
    "../../abi/IOracleAdapter.sol"
);
pub use IOracleAdapter as I;

pub const NOW: u64 = 1_750_000_000;
pub const OWNER: Address = Address::repeat_byte(0x01);
pub const FEEDER: Address = Address::repeat_byte(0x02);
pub const ALICE: Address = Address::repeat_byte(0x03);
pub const WETH: Address = Address::repeat_byte(0xe1);
pub const WBTC: Address = Address::repeat_byte(0xb1);
/// ETH/USD primary, 8 decimals.
pub const PRIMARY: Address = Address::repeat_byte(0xa1);
/// ETH/USD secondary, 18 decimals.
pub const SECONDARY: Address = Address::repeat_byte(0xa2);
/// BTC/USD, 18 decimals.
pub const BTC_FEED: Address = Address::repeat_byte(0xa3);
pub const SEQUENCER: Address = Address::repeat_byte(0x5e);

/// `x` wads (1e18 units) from a decimal string.
pub fn wad(text: &str) -> U256 {
    let w = keel_risk::Wad::parse_decimal(text).unwrap();
    U256::from(u128::try_from(w.raw()).unwrap())
}
pub fn swad(text: &str) -> I256 {
    I256::try_from(keel_risk::Wad::parse_decimal(text).unwrap().raw()).unwrap()
}
/// A price with `decimals` decimals, as a feed answer.
pub fn answer(text: &str, decimals: u32) -> i128 {
    let w = keel_risk::Wad::parse_decimal(text).unwrap().raw();
    if decimals <= 18 {
        w / 10i128.pow(18 - decimals)
    } else {
        w * 10i128.pow(decimals - 18)
    }
}

pub struct Env {
    pub host: FeedHost,
}

impl Env {
    /// A host at `NOW`, nothing deployed.
    pub fn bare() -> Env {
        let host = FeedHost::new();
        host.set_block_timestamp(NOW);
        Env { host }
    }

    /// Deployed by `OWNER`.
    pub fn new() -> Env {
        let env = Env::bare();
        env.deploy(OWNER).unwrap();
        env
    }

    /// Deployed, with WETH configured (primary 8 decimals at 3000, secondary 18 decimals at
    /// 3000, both fresh), FEEDER allowed and the sequencer up for a day.
    pub fn configured() -> Env {
        let env = Env::new();
        env.host.mock_decimals(PRIMARY, 8);
        env.host.mock_decimals(SECONDARY, 18);
        env.host.mock_decimals(BTC_FEED, 18);
        env.primary("3000", NOW);
        env.secondary("3000", NOW);
        env.call(
            OWNER,
            I::setAssetCall {
                asset: WETH,
                config: weth_config(),
            },
        )
        .unwrap();
        env.call(
            OWNER,
            I::setFeederCall {
                feeder: FEEDER,
                allowed: true,
            },
        )
        .unwrap();
        env.sequencer(0, NOW - 86_400);
        env.call(OWNER, I::setSequencerFeedCall { feed: SEQUENCER })
            .unwrap();
        env.host.clear_logs();
        env
    }

    pub fn deploy(&self, owner: Address) -> Result<Vec<u8>, Vec<u8>> {
        let mut calldata = CONSTRUCTOR_SELECTOR.to_be_bytes().to_vec();
        calldata.extend_from_slice(owner.into_word().as_slice());
        self.raw(OWNER, calldata)
    }

    pub fn raw(&self, from: Address, calldata: Vec<u8>) -> Result<Vec<u8>, Vec<u8>> {
        self.host.set_sender(from);
        // A reverted call leaves no storage write or log behind, as on a chain.
        self.host.journaled(|| {
            router_entrypoint::<OracleAdapter, OracleAdapter>(
                calldata,
                VM {
                    host: Box::new(self.host.clone()),
                },
            )
        })
    }

    pub fn call<C: SolCall>(&self, from: Address, call: C) -> Result<C::Return, Vec<u8>> {
        self.raw(from, call.abi_encode())
            .map(|out| C::abi_decode_returns_validate(&out).expect("the return decodes"))
    }

    /// The revert data of a call that must fail.
    pub fn fail<C: SolCall>(&self, from: Address, call: C) -> Vec<u8> {
        match self.raw(from, call.abi_encode()) {
            Ok(_) => panic!("{} succeeded", C::SIGNATURE),
            Err(data) => data,
        }
    }

    pub fn at(&self, t: u64) {
        self.host.set_block_timestamp(t);
    }

    pub fn feed(&self, feed: Address, answer: i128, updated_at: u64) {
        self.host.mock_answer(feed, answer, updated_at);
    }
    pub fn primary(&self, price: &str, updated_at: u64) {
        self.feed(PRIMARY, answer(price, 8), updated_at);
    }
    pub fn secondary(&self, price: &str, updated_at: u64) {
        self.feed(SECONDARY, answer(price, 18), updated_at);
    }
    /// The uptime feed: `status` 0 up / 1 down, changed at `since`.
    pub fn sequencer(&self, status: i128, since: u64) {
        self.host
            .mock_latest_round(SEQUENCER, &round(9, status, since, since));
    }
    pub fn mock_round(&self, feed: Address, r: &Round) {
        self.host.mock_round(feed, r);
    }

    pub fn logs(&self) -> Vec<(Vec<B256>, Vec<u8>)> {
        self.host.get_emitted_logs()
    }
    pub fn clear_logs(&self) {
        self.host.clear_logs();
    }
    /// The only log emitted since the last clear, decoded as `E`.
    pub fn event<E: SolEvent>(&self) -> E {
        let logs = self.logs();
        assert_eq!(logs.len(), 1, "one event expected, got {logs:?}");
        let (topics, data) = &logs[0];
        E::decode_raw_log_validate(topics.iter().copied(), data).expect("the event decodes")
    }

    pub fn price(&self, asset: Address) -> Result<I::getPriceReturn, Vec<u8>> {
        self.call(ALICE, I::getPriceCall { asset })
    }
}

pub fn weth_config() -> I::FeedConfig {
    I::FeedConfig {
        primary: PRIMARY,
        secondary: SECONDARY,
        stalenessLimit: 3600,
        secondaryStalenessLimit: 86_400,
        maxDeviation: wad("0.02"),
        confidenceFloor: wad("0.5"),
    }
}

pub fn err<E: SolError>(e: E) -> Vec<u8> {
    e.abi_encode()
}
