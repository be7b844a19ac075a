//! `ChainHost`: the shared programmable host of `keel_stylus_common::testing` (a stylus-sdk
//! `TestVM` whose outgoing calls a handler answers, with its own return-data buffer) with
//! [`Chain`] as handler:
//!
//! * simulated ERC20 tokens (balances, and the misbehaviours the vault must survive: no
//!   return value, `false`, a transfer fee, a revert, a callback into the vault during a
//!   transfer) — methods of [`TokenHost`];
//! * the simulated oracle adapter ([`ORACLE`], [`OracleSim`]), depeg guard ([`GUARD`],
//!   [`GuardSim`]) and margin engines ([`CROSS_ENGINE`], [`PORTFOLIO_ENGINE`], answered by
//!   keel-risk natively, exactly as the engine contracts compute);
//! * modules: `delegatecall`s to an address registered with [`Chain::install`] run that
//!   module's dispatcher on the same host (same storage, same sender);
//! * `create1` deploys a data contract: the init code must be `prefix ‖ runtime` with the
//!   prefix given to [`Chain::set_create_prefix`]; its `code` is the runtime;
//! * per-call static-call mocks for anything else.
//!
//! Storage, sender and timestamp are the wrapped `TestVM`'s, logs the host's. Every frame is
//! journaled (`TestHost::journaled`): a call that reverts leaves no storage write, log, token
//! movement or deployed data contract behind.

use std::any::Any;
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use alloy_primitives::{Address, U256};
use keel_stylus_common::testing::{CallHandler, CallResult, StaticCallMocks, TestHost};

use crate::engine;
use crate::{GuardSim, OracleSim, CROSS_ENGINE, GUARD, ORACLE, PORTFOLIO_ENGINE};
use stylus_sdk::stylus_core::host::AccountAccess;
use stylus_sdk::testing::TestVM;

/// The host (cheap to clone: clones share state).
pub type ChainHost = TestHost<Chain>;

/// How a simulated token behaves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// Returns `true` from transfers.
    Standard,
    /// Returns nothing from transfers (USDT-style).
    NoReturn,
    /// Moves nothing and returns `false`.
    ReturnsFalse,
    /// Takes `bps` of every transfer as a fee (burnt).
    Fee(u32),
    /// Reverts every transfer.
    Reverts,
    /// Answers `decimals()` with a word above 255.
    BadDecimals,
}

/// One simulated token.
#[derive(Clone)]
pub struct Token {
    pub decimals: u8,
    pub kind: Kind,
    pub balances: HashMap<Address, U256>,
}

type Hook = Rc<dyn Fn()>;

#[derive(Default)]
struct State {
    tokens: HashMap<Address, Token>,
    /// Run (once, then removed) inside the next transfer of the token.
    hooks: HashMap<Address, Hook>,
    /// Every token call made: (token, calldata).
    calls: Vec<(Address, Vec<u8>)>,
}

/// A module's dispatcher: runs `calldata` on the host, as the module contract would.
pub type ModuleFn = Rc<dyn Fn(&ChainHost, &[u8]) -> CallResult>;

/// The call handler of [`ChainHost`] (see the module docs).
#[derive(Default)]
pub struct Chain {
    state: RefCell<State>,
    static_calls: StaticCallMocks,
    /// The simulated oracle adapter at [`ORACLE`].
    pub oracle: RefCell<OracleSim>,
    /// The simulated depeg guard at [`GUARD`].
    pub guard: RefCell<GuardSim>,
    modules: RefCell<HashMap<Address, ModuleFn>>,
    code: RefCell<HashMap<Address, Vec<u8>>>,
    create_prefix: RefCell<Vec<u8>>,
    created: RefCell<u64>,
}

impl Chain {
    /// Registers `module` at `address`: delegatecalls to it run `module`.
    pub fn install(&self, address: Address, module: ModuleFn) {
        self.modules.borrow_mut().insert(address, module);
    }

    /// The init-code prefix of data contracts (see the module docs).
    pub fn set_create_prefix(&self, prefix: Vec<u8>) {
        *self.create_prefix.borrow_mut() = prefix;
    }

    /// Every address a `create1` deployed, with its code.
    pub fn deployed(&self) -> HashMap<Address, Vec<u8>> {
        self.code.borrow().clone()
    }
}

fn word(x: U256) -> Vec<u8> {
    x.to_be_bytes::<32>().to_vec()
}

fn arg_address(data: &[u8], i: usize) -> Address {
    Address::from_slice(&data[4 + 32 * i + 12..4 + 32 * (i + 1)])
}

fn arg_u256(data: &[u8], i: usize) -> U256 {
    U256::from_be_slice(&data[4 + 32 * i..4 + 32 * (i + 1)])
}

/// The token and mock methods of [`ChainHost`].
pub trait TokenHost {
    /// Creates token `address`.
    fn add_token(&self, address: Address, decimals: u8, kind: Kind);
    fn set_kind(&self, token: Address, kind: Kind);
    fn mint(&self, token: Address, to: Address, amount: U256);
    fn balance(&self, token: Address, of: Address) -> U256;
    /// Runs `hook` inside the next transfer or transferFrom of `token` (once).
    fn on_next_transfer(&self, token: Address, hook: impl Fn() + 'static);
    /// Every call made to a token, in order.
    fn token_calls(&self) -> Vec<(Address, Vec<u8>)>;
    /// Answers a static call to `to` with exactly `data` by `result`.
    fn mock_static_call(&self, to: Address, data: Vec<u8>, result: CallResult);
}

impl TokenHost for ChainHost {
    fn add_token(&self, address: Address, decimals: u8, kind: Kind) {
        self.handler().state.borrow_mut().tokens.insert(
            address,
            Token {
                decimals,
                kind,
                balances: HashMap::new(),
            },
        );
    }

    fn set_kind(&self, token: Address, kind: Kind) {
        self.handler()
            .state
            .borrow_mut()
            .tokens
            .get_mut(&token)
            .unwrap()
            .kind = kind;
    }

    fn mint(&self, token: Address, to: Address, amount: U256) {
        let mut s = self.handler().state.borrow_mut();
        let t = s.tokens.get_mut(&token).unwrap();
        *t.balances.entry(to).or_default() += amount;
    }

    fn balance(&self, token: Address, of: Address) -> U256 {
        let s = self.handler().state.borrow();
        s.tokens[&token]
            .balances
            .get(&of)
            .copied()
            .unwrap_or_default()
    }

    fn on_next_transfer(&self, token: Address, hook: impl Fn() + 'static) {
        self.handler()
            .state
            .borrow_mut()
            .hooks
            .insert(token, Rc::new(hook));
    }

    fn token_calls(&self) -> Vec<(Address, Vec<u8>)> {
        self.handler().state.borrow().calls.clone()
    }

    fn mock_static_call(&self, to: Address, data: Vec<u8>, result: CallResult) {
        self.handler().static_calls.mock(to, data, result);
    }
}

impl Chain {
    fn static_call(&self, vm: &TestVM, to: Address, data: &[u8]) -> CallResult {
        {
            let s = self.state.borrow();
            if let Some(t) = s.tokens.get(&to) {
                return match &data[..4] {
                    [0x31, 0x3c, 0xe5, 0x67] if t.kind == Kind::BadDecimals => {
                        Ok(word(U256::from(256)))
                    }
                    [0x31, 0x3c, 0xe5, 0x67] => Ok(word(U256::from(t.decimals))),
                    [0x70, 0xa0, 0x82, 0x31] => Ok(word(
                        t.balances
                            .get(&arg_address(data, 0))
                            .copied()
                            .unwrap_or_default(),
                    )),
                    _ => Err(Vec::new()),
                };
            }
        }
        self.static_calls
            .call(vm, to, data, true)
            .unwrap_or(Ok(Vec::new()))
    }

    fn transfer(&self, caller: Address, to: Address, data: &[u8]) -> CallResult {
        let (from, dest, amount) = match &data[..4] {
            [0xa9, 0x05, 0x9c, 0xbb] => (caller, arg_address(data, 0), arg_u256(data, 1)),
            [0x23, 0xb8, 0x72, 0xdd] => (
                arg_address(data, 0),
                arg_address(data, 1),
                arg_u256(data, 2),
            ),
            _ => return Err(Vec::new()),
        };
        let hook = {
            let mut s = self.state.borrow_mut();
            if !s.tokens.contains_key(&to) {
                return Ok(Vec::new());
            }
            s.calls.push((to, data.to_vec()));
            s.hooks.remove(&to)
        };
        // The callback runs while the vault is inside its call, as a reentrant token's would.
        if let Some(hook) = hook {
            hook();
        }
        let mut s = self.state.borrow_mut();
        let t = s.tokens.get_mut(&to).unwrap();
        let ok = word(U256::from(1));
        let (received, out) = match t.kind {
            Kind::Reverts => return Err(b"token: paused".to_vec()),
            Kind::ReturnsFalse => return Ok(word(U256::ZERO)),
            Kind::Standard | Kind::BadDecimals => (amount, ok),
            Kind::NoReturn => (amount, Vec::new()),
            Kind::Fee(bps) => (amount - amount * U256::from(bps) / U256::from(10_000), ok),
        };
        let balance = t.balances.get(&from).copied().unwrap_or_default();
        if balance < amount {
            return Err(b"token: insufficient balance".to_vec());
        }
        t.balances.insert(from, balance - amount);
        *t.balances.entry(dest).or_default() += received;
        Ok(out)
    }
}

/// What a reverted frame puts back: token balances and the calls made to tokens, and the
/// data contracts `create1` deployed.
struct Saved {
    tokens: HashMap<Address, Token>,
    calls: usize,
    code: HashMap<Address, Vec<u8>>,
    created: u64,
}

impl CallHandler for Chain {
    fn save(&self) -> Box<dyn Any> {
        let s = self.state.borrow();
        Box::new(Saved {
            tokens: s.tokens.clone(),
            calls: s.calls.len(),
            code: self.code.borrow().clone(),
            created: *self.created.borrow(),
        })
    }

    fn restore(&self, saved: Box<dyn Any>) {
        let Ok(saved) = saved.downcast::<Saved>() else {
            return;
        };
        let mut s = self.state.borrow_mut();
        s.tokens = saved.tokens;
        s.calls.truncate(saved.calls);
        *self.code.borrow_mut() = saved.code;
        *self.created.borrow_mut() = saved.created;
    }

    fn call(
        &self,
        vm: &TestVM,
        to: Address,
        calldata: &[u8],
        is_static: bool,
    ) -> Option<CallResult> {
        if to == ORACLE {
            return Some(self.oracle.borrow().answer(calldata));
        }
        if to == GUARD {
            return Some(self.guard.borrow().answer(calldata));
        }
        if let Some(result) = engine::answer(to, calldata) {
            return Some(result);
        }
        Some(if is_static {
            self.static_call(vm, to, calldata)
        } else {
            self.transfer(vm.contract_address(), to, calldata)
        })
    }

    fn code_size(&self, account: Address) -> Option<usize> {
        if let Some(code) = self.code.borrow().get(&account) {
            return Some(code.len());
        }
        let simulated = [ORACLE, GUARD, CROSS_ENGINE, PORTFOLIO_ENGINE].contains(&account)
            || self.modules.borrow().contains_key(&account)
            || self.state.borrow().tokens.contains_key(&account);
        simulated.then_some(1)
    }

    fn code(&self, account: Address) -> Option<Vec<u8>> {
        self.code.borrow().get(&account).cloned()
    }

    fn delegate_call(host: &ChainHost, to: Address, calldata: &[u8]) -> Option<CallResult> {
        let module = host.handler().modules.borrow().get(&to).cloned()?;
        Some(module(host, calldata))
    }

    fn create(host: &ChainHost, init_code: &[u8]) -> Option<Result<Address, Vec<u8>>> {
        let chain = host.handler();
        let prefix = chain.create_prefix.borrow().clone();
        let Some(runtime) = init_code.strip_prefix(prefix.as_slice()) else {
            return Some(Err(b"create: unknown init code".to_vec()));
        };
        let mut n = chain.created.borrow_mut();
        *n += 1;
        let address = Address::from_word(alloy_primitives::keccak256(n.to_be_bytes()));
        chain.code.borrow_mut().insert(address, runtime.to_vec());
        Some(Ok(address))
    }
}
