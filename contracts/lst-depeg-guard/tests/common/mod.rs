//! Test harness: the guard on a per-call-mock host, driven through its ABI router with calldata
//! built from `abi/ILstDepegGuard.sol` itself (so every call, return, error and event in these
//! tests also checks the interface file against the contract).

#![allow(dead_code)]

use alloy_primitives::{Address, B256, I256, U256};
use alloy_sol_types::{sol, SolCall, SolEventInterface, SolInterface};
use keel_lst_depeg_guard::vault::{convert_to_assets_calldata, ASSET_SELECTOR, DECIMALS_SELECTOR};
use keel_lst_depeg_guard::LstDepegGuard;
use keel_risk::Wad;
use keel_stylus_common::testing::FeedHost;
use stylus_sdk::abi::router_entrypoint;
use stylus_sdk::host::VM;

sol!(
    #[sol(all_derives)]
    "../../abi/ILstDepegGuard.sol"
);

pub use ILstDepegGuard as I;
pub use ILstDepegGuard::{ILstDepegGuardErrors as Error, ILstDepegGuardEvents as Event};

/// 23 June 2022, the week stETH traded near 0.935 ETH.
pub const NOW: u64 = 1_656_000_000;
pub const DAY: u64 = 86_400;
pub const YEAR: u64 = 365 * DAY;

pub const OWNER: Address = Address::repeat_byte(0x11);
pub const NEXT: Address = Address::repeat_byte(0x22);
pub const STRANGER: Address = Address::repeat_byte(0x33);

pub const STETH: Address = Address::repeat_byte(0xa1);
pub const WSTETH: Address = Address::repeat_byte(0xa2);
pub const RETH: Address = Address::repeat_byte(0xa3);
pub const SHARE: Address = Address::repeat_byte(0xa4);

pub const RATE_FEED: Address = Address::repeat_byte(0xf1);
pub const MARKET_FEED: Address = Address::repeat_byte(0xf2);
pub const VAULT: Address = Address::repeat_byte(0xf3);
pub const VAULT_ASSET: Address = Address::repeat_byte(0xf4);

/// A decimal as a wad `uint256`.
pub fn wad(text: &str) -> U256 {
    U256::from(u128::try_from(w(text).raw()).unwrap())
}

/// A decimal as a keel-risk wad.
pub fn w(text: &str) -> Wad {
    Wad::parse_decimal(text).unwrap()
}

/// A decimal scaled to `decimals` decimals, as a feed answer.
pub fn answer(text: &str, decimals: u32) -> i128 {
    let raw = w(text).raw();
    if decimals >= 18 {
        raw * 10i128.pow(decimals - 18)
    } else {
        raw / 10i128.pow(18 - decimals)
    }
}

pub struct Env {
    pub host: FeedHost,
}

impl Env {
    /// A guard deployed by `OWNER` at `NOW`, with the deployment's logs cleared.
    pub fn new() -> Env {
        let host = FeedHost::new();
        host.set_block_timestamp(NOW);
        host.set_sender(OWNER);
        let mut guard = LstDepegGuard::from(&host);
        guard.constructor(OWNER).unwrap();
        let env = Env { host };
        env.events();
        env
    }

    /// The contract as a Rust value on the same host (for direct calls).
    pub fn guard(&self) -> LstDepegGuard {
        LstDepegGuard::from(&self.host)
    }

    /// Sends `call` from `from` through the contract's ABI router; decodes the return with
    /// the interface, or the revert data as one of the interface's errors.
    pub fn send<C: SolCall>(&self, from: Address, call: C) -> Result<C::Return, Error> {
        self.send_raw(from, call.abi_encode())
            .map(|out| C::abi_decode_returns_validate(&out).expect("return matches the interface"))
    }

    /// Sends a call that returns nothing (a setter); `Ok(())` or the interface error.
    pub fn exec<C: SolCall>(&self, from: Address, call: C) -> Result<(), Error> {
        let out = self.send_raw(from, call.abi_encode())?;
        assert!(out.is_empty(), "a setter returns nothing");
        Ok(())
    }

    /// Sends raw calldata; decodes a revert as one of the interface's errors.
    pub fn send_raw(&self, from: Address, calldata: Vec<u8>) -> Result<Vec<u8>, Error> {
        self.send_bytes(from, calldata)
            .map_err(|data| Error::abi_decode(&data).expect("revert is an interface error"))
    }

    /// Sends raw calldata: the output, or the revert data as it is.
    pub fn send_bytes(&self, from: Address, calldata: Vec<u8>) -> Result<Vec<u8>, Vec<u8>> {
        self.host.set_sender(from);
        let vm = VM {
            host: Box::new(self.host.clone()),
        };
        // A reverted call leaves no storage write or log behind, as on a chain.
        self.host
            .journaled(|| router_entrypoint::<LstDepegGuard, LstDepegGuard>(calldata, vm))
    }

    /// `assess(asset)`.
    pub fn assess(&self, asset: Address) -> Result<I::Assessment, Error> {
        self.send(STRANGER, I::assessCall { asset })
    }

    /// The events emitted since the last call, decoded with the interface (then cleared).
    pub fn events(&self) -> Vec<Event> {
        let logs = self.host.get_emitted_logs();
        self.host.clear_logs();
        logs.into_iter()
            .map(|(topics, data)| {
                Event::decode_raw_log(&topics, &data).expect("log is an interface event")
            })
            .collect()
    }

    // ---- owner actions (unwrapped) -------------------------------------------------------

    pub fn set_rate_feed(&self, asset: Address, feed: Address, decimals: u8, max_age: u64) {
        self.host.mock_decimals(feed, decimals);
        self.exec(
            OWNER,
            I::setRateFeedCall {
                asset,
                feed,
                maxAge: max_age,
            },
        )
        .unwrap();
    }

    pub fn set_snapshot(&self, asset: Address, ratio: &str, age: u64, growth: &str) {
        self.exec(
            OWNER,
            I::setCapoSnapshotCall {
                asset,
                ratio: wad(ratio),
                timestamp: NOW - age,
                maxYearlyGrowth: wad(growth),
            },
        )
        .unwrap();
    }

    pub fn set_market(
        &self,
        asset: Address,
        feed: Address,
        decimals: u8,
        max_age: u64,
        quote: I::MarketQuote,
    ) {
        self.host.mock_decimals(feed, decimals);
        self.exec(
            OWNER,
            I::setMarketFeedCall {
                asset,
                feed,
                maxAge: max_age,
                quote,
            },
        )
        .unwrap();
    }

    /// Mocks `feed.latestRoundData()` answering `value` (a decimal) at `decimals`,
    /// updated at `updated_at`.
    pub fn price(&self, feed: Address, value: &str, decimals: u32, updated_at: u64) {
        self.host
            .mock_answer(feed, answer(value, decimals), updated_at);
    }

    /// Mocks an ERC-4626 vault: `decimals()`, `asset()`, the asset's `decimals()` and
    /// `convertToAssets(10**share_decimals)` answering `assets` (raw asset units).
    pub fn mock_vault(&self, share_decimals: u8, asset_decimals: u8, assets: U256) {
        self.host.mock_static_call(
            VAULT,
            DECIMALS_SELECTOR.to_vec(),
            Ok(word(U256::from(share_decimals))),
        );
        self.host.mock_static_call(
            VAULT,
            ASSET_SELECTOR.to_vec(),
            Ok(VAULT_ASSET.into_word().to_vec()),
        );
        self.host.mock_static_call(
            VAULT_ASSET,
            DECIMALS_SELECTOR.to_vec(),
            Ok(word(U256::from(asset_decimals))),
        );
        self.mock_convert(share_decimals, Ok(word(assets)));
    }

    /// Mocks `convertToAssets(10**share_decimals)`.
    pub fn mock_convert(&self, share_decimals: u8, result: Result<Vec<u8>, Vec<u8>>) {
        let one_share = U256::from(10u8).pow(U256::from(share_decimals));
        self.host
            .mock_static_call(VAULT, convert_to_assets_calldata(one_share), result);
    }
}

pub fn word(x: U256) -> Vec<u8> {
    x.to_be_bytes::<32>().to_vec()
}

pub fn int(x: i128) -> I256 {
    I256::try_from(x).unwrap()
}

pub fn topic(a: Address) -> B256 {
    a.into_word()
}

/// The interface's errors, for `assert_eq!` on results.
pub fn unauthorized(caller: Address) -> Error {
    Error::Unauthorized(I::Unauthorized { caller })
}
