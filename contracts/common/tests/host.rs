//! `testing::TestHost`: calls routed to the handler (static or not) with their own return
//! data, fall-through to the `TestVM`'s mocks, `code_size` overrides, and a handler that
//! calls back through the host (a reentrant call) keeping each call's answer.
#![allow(unsafe_code)]

use std::cell::RefCell;

use alloy_primitives::{Address, U256};
use keel_stylus_common::testing::{CallHandler, CallResult, TestHost};
use stylus_sdk::call::RawCall;
use stylus_sdk::stylus_core::host::{AccountAccess, CalldataAccess, Host, RawLogAccess};
use stylus_sdk::testing::TestVM;

const A: Address = Address::repeat_byte(0xaa);
const B: Address = Address::repeat_byte(0xbb);
const ME: Address = Address::repeat_byte(0x01);

fn call<H: Host>(host: &H, to: Address, data: &[u8]) -> CallResult {
    unsafe { RawCall::new(host).call(to, data) }
}

fn static_call<H: Host>(host: &H, to: Address, data: &[u8]) -> CallResult {
    unsafe { RawCall::new_static(host).call(to, data) }
}

/// Answers calls to `A` with `[static?, caller's last byte, calldata…]`, reverts calls to
/// `B` with the calldata reversed, and reports `A` as 7 bytes of code.
#[derive(Default)]
struct Echo {
    seen: RefCell<Vec<(Address, Vec<u8>, bool)>>,
}

impl CallHandler for Echo {
    fn call(&self, vm: &TestVM, to: Address, data: &[u8], is_static: bool) -> Option<CallResult> {
        self.seen.borrow_mut().push((to, data.to_vec(), is_static));
        if to == A {
            let mut out = vec![u8::from(is_static), vm.contract_address()[19]];
            out.extend_from_slice(data);
            Some(Ok(out))
        } else if to == B {
            Some(Err(data.iter().rev().copied().collect()))
        } else {
            None
        }
    }

    fn code_size(&self, account: Address) -> Option<usize> {
        (account == A).then_some(7)
    }
}

#[test]
fn the_handler_answers_each_call_with_its_own_return_data() {
    let host = TestHost::<Echo>::new();
    host.set_contract_address(ME);
    assert_eq!(call(&host, A, &[1, 2]), Ok(vec![0, 0x01, 1, 2]));
    assert_eq!(host.return_data_size(), 4);
    assert_eq!(static_call(&host, B, &[1, 2, 3]), Err(vec![3, 2, 1]));
    assert_eq!(host.read_return_data(1, Some(5)), vec![2, 1]);
    assert_eq!(static_call(&host, A, &[9]), Ok(vec![1, 0x01, 9]));
    assert_eq!(call(&host, B, &[]), Err(vec![]));
    assert_eq!(host.return_data_size(), 0);
    assert_eq!(
        *host.handler().seen.borrow(),
        vec![
            (A, vec![1, 2], false),
            (B, vec![1, 2, 3], true),
            (A, vec![9], true),
            (B, vec![], false),
        ]
    );
}

#[test]
fn unanswered_calls_fall_through_to_the_test_vm() {
    let host = TestHost::<Echo>::new();
    host.set_contract_address(ME);
    let other = Address::repeat_byte(0xcc);
    // (The TestVM's data is its one buffer, set when a mock is registered.)
    host.mock_call(other, vec![5], U256::ZERO, Ok(vec![6, 6]));
    assert_eq!(call(&host, other, &[5]), Ok(vec![6, 6]));
    host.mock_static_call(other, vec![5], Err(vec![7]));
    assert_eq!(static_call(&host, other, &[5]), Err(vec![7]));
    // The host's buffer is the answer of the last call, not of the TestVM's last mock.
    assert_eq!(call(&host, A, &[]), Ok(vec![0, 0x01]));
    assert_eq!(host.read_return_data(0, None), vec![0, 0x01]);
    // The TestVM answers an unmocked call with success and no data.
    host.clear_mocks();
    assert_eq!(call(&host, other, &[8]), Ok(vec![]));

    let plain = TestHost::<()>::new();
    plain.mock_static_call(A, vec![1], Ok(vec![2]));
    assert_eq!(static_call(&plain, A, &[1]), Ok(vec![2]));
}

#[test]
fn the_handler_overrides_code_size_only_where_it_answers() {
    let host = TestHost::<Echo>::new();
    host.set_code(B, vec![0; 3]);
    assert_eq!(host.code_size(A), 7);
    assert_eq!(host.code_size(B), 3);
    assert_eq!(host.code_size(ME), 0);
}

/// Calls `B` through the host from inside every call to `A`, then answers `A` with `[1]`.
#[derive(Default)]
struct Reenter {
    host: RefCell<Option<TestHost<Reenter>>>,
    inner: RefCell<Vec<CallResult>>,
}

impl CallHandler for Reenter {
    fn call(&self, _: &TestVM, to: Address, _: &[u8], _: bool) -> Option<CallResult> {
        if to == B {
            return Some(Ok(vec![2, 2, 2]));
        }
        let host = self.host.borrow().clone()?;
        self.inner.borrow_mut().push(call(&host, B, &[]));
        Some(Ok(vec![1]))
    }
}

#[test]
fn a_nested_call_from_the_handler_does_not_leak_its_return_data() {
    let host = TestHost::<Reenter>::new();
    *host.handler().host.borrow_mut() = Some(host.clone());
    assert_eq!(call(&host, A, &[]), Ok(vec![1]));
    assert_eq!(host.read_return_data(0, None), vec![1]);
    assert_eq!(*host.handler().inner.borrow(), vec![Ok(vec![2, 2, 2])]);
    // Break the host ↔ handler cycle.
    host.handler().host.borrow_mut().take();
}

/// A module reached by `delegatecall`: writes storage slot 1 ← `data[0]` and logs, then
/// succeeds when `data[1]` is 0 and reverts otherwise; counts the calls it saw.
#[derive(Default)]
struct Module {
    calls: RefCell<u32>,
}

impl CallHandler for Module {
    fn call(&self, _: &TestVM, _: Address, _: &[u8], _: bool) -> Option<CallResult> {
        None
    }

    fn delegate_call(host: &TestHost<Self>, _: Address, data: &[u8]) -> Option<CallResult> {
        *host.handler().calls.borrow_mut() += 1;
        host.set_storage(U256::from(1), U256::from(data[0]).into());
        host.raw_log(&[], data).unwrap();
        Some(if data[1] == 0 {
            Ok(vec![])
        } else {
            Err(vec![9])
        })
    }

    fn save(&self) -> Box<dyn std::any::Any> {
        Box::new(*self.calls.borrow())
    }

    fn restore(&self, saved: Box<dyn std::any::Any>) {
        *self.calls.borrow_mut() = *saved.downcast::<u32>().unwrap();
    }
}

fn delegate_call<H: Host>(host: &H, to: Address, data: &[u8]) -> CallResult {
    unsafe { RawCall::new_delegate(host).call(to, data) }
}

/// Issue 10, item 7: stylus-test's `TestVM` keeps a reverted call's storage writes, so a test
/// that asserted a revert and went on saw state no chain has. Every frame is journaled now.
#[test]
fn a_reverted_frame_leaves_no_storage_write_log_or_handler_state() {
    let host = TestHost::<Module>::new();
    let slot = |h: &TestHost<Module>| U256::from_be_bytes(h.get_storage(U256::from(1)).0);
    assert_eq!(delegate_call(&host, A, &[5, 0]), Ok(vec![]));
    assert_eq!(slot(&host), U256::from(5));
    assert_eq!(host.get_emitted_logs().len(), 1);
    assert_eq!(*host.handler().calls.borrow(), 1);
    assert_eq!(delegate_call(&host, A, &[7, 1]), Err(vec![9]));
    assert_eq!(slot(&host), U256::from(5), "the reverted write is undone");
    assert_eq!(host.get_emitted_logs().len(), 1, "and its log");
    assert_eq!(*host.handler().calls.borrow(), 1, "and the handler's state");
    // A top-level call a harness runs is a frame too.
    let out = host.journaled(|| {
        host.set_storage(U256::from(1), U256::from(8).into());
        Err(vec![])
    });
    assert_eq!(out, Err(vec![]));
    assert_eq!(slot(&host), U256::from(5));
}
