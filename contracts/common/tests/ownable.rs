//! Two-step ownership on stylus-sdk's TestVM: initialisation once, owner-only transfer,
//! acceptance by the pending owner only, cancellation, events and the storage layout.

use alloy_primitives::{Address, B256, U256};
use alloy_sol_types::SolEvent;
use keel_stylus_common::ownable::{
    AlreadyInitialized, NotPendingOwner, OwnershipTransferStarted, OwnershipTransferred,
    Unauthorized, ZeroAddress,
};
use keel_stylus_common::{Ownable2Step, OwnableError};
use stylus_sdk::testing::TestVM;

const OWNER: Address = Address::repeat_byte(0x11);
const NEXT: Address = Address::repeat_byte(0x22);
const OTHER: Address = Address::repeat_byte(0x33);

fn setup() -> (TestVM, Ownable2Step) {
    let vm = TestVM::default();
    let mut own = Ownable2Step::from(&vm);
    own.initialize(OWNER).unwrap();
    (vm, own)
}

fn topics(vm: &TestVM) -> Vec<Vec<B256>> {
    vm.get_emitted_logs().into_iter().map(|(t, _)| t).collect()
}

fn event_topics(sig: B256, a: Address, b: Address) -> Vec<B256> {
    vec![sig, a.into_word(), b.into_word()]
}

#[test]
fn initialize_sets_the_owner_once_and_emits() {
    let (vm, mut own) = setup();
    assert_eq!(own.owner(), OWNER);
    assert_eq!(own.pending_owner(), Address::ZERO);
    assert_eq!(
        topics(&vm),
        vec![event_topics(
            OwnershipTransferred::SIGNATURE_HASH,
            Address::ZERO,
            OWNER
        )]
    );
    assert_eq!(
        own.initialize(OTHER),
        Err(OwnableError::AlreadyInitialized(AlreadyInitialized {}))
    );
    assert_eq!(own.owner(), OWNER);
}

#[test]
fn initialize_refuses_the_zero_address() {
    let vm = TestVM::default();
    let mut own = Ownable2Step::from(&vm);
    assert_eq!(
        own.initialize(Address::ZERO),
        Err(OwnableError::ZeroAddress(ZeroAddress {}))
    );
    assert!(vm.get_emitted_logs().is_empty());
    own.initialize(OWNER).unwrap();
}

#[test]
fn only_owner_names_the_caller() {
    let (vm, own) = setup();
    vm.set_sender(OWNER);
    assert_eq!(own.only_owner(), Ok(()));
    vm.set_sender(OTHER);
    assert_eq!(
        own.only_owner(),
        Err(OwnableError::Unauthorized(Unauthorized { caller: OTHER }))
    );
}

#[test]
fn two_step_transfer() {
    let (vm, mut own) = setup();
    // Only the owner may start a transfer.
    vm.set_sender(OTHER);
    assert_eq!(
        own.transfer_ownership(NEXT),
        Err(OwnableError::Unauthorized(Unauthorized { caller: OTHER }))
    );
    vm.set_sender(OWNER);
    own.transfer_ownership(NEXT).unwrap();
    assert_eq!(own.owner(), OWNER);
    assert_eq!(own.pending_owner(), NEXT);
    assert_eq!(
        topics(&vm).last().unwrap(),
        &event_topics(OwnershipTransferStarted::SIGNATURE_HASH, OWNER, NEXT)
    );
    // Neither a third party nor the owner may accept for the pending owner.
    for caller in [OTHER, OWNER] {
        vm.set_sender(caller);
        assert_eq!(
            own.accept_ownership(),
            Err(OwnableError::NotPendingOwner(NotPendingOwner { caller }))
        );
    }
    vm.set_sender(NEXT);
    own.accept_ownership().unwrap();
    assert_eq!(own.owner(), NEXT);
    assert_eq!(own.pending_owner(), Address::ZERO);
    assert_eq!(
        topics(&vm).last().unwrap(),
        &event_topics(OwnershipTransferred::SIGNATURE_HASH, OWNER, NEXT)
    );
    // The previous owner has lost its rights; accepting twice is refused.
    vm.set_sender(OWNER);
    assert!(own.only_owner().is_err());
    vm.set_sender(NEXT);
    assert_eq!(
        own.accept_ownership(),
        Err(OwnableError::NotPendingOwner(NotPendingOwner {
            caller: NEXT
        }))
    );
}

#[test]
fn naming_zero_cancels_and_naming_again_replaces() {
    let (vm, mut own) = setup();
    vm.set_sender(OWNER);
    own.transfer_ownership(NEXT).unwrap();
    own.transfer_ownership(OTHER).unwrap();
    vm.set_sender(NEXT);
    assert!(own.accept_ownership().is_err());
    vm.set_sender(OWNER);
    own.transfer_ownership(Address::ZERO).unwrap();
    assert_eq!(own.pending_owner(), Address::ZERO);
    vm.set_sender(OTHER);
    assert!(own.accept_ownership().is_err());
    assert_eq!(own.owner(), OWNER);
}

#[test]
fn owner_and_pending_owner_use_two_consecutive_slots() {
    let (vm, mut own) = setup();
    vm.set_sender(OWNER);
    own.transfer_ownership(NEXT).unwrap();
    assert_eq!(vm.get_storage(U256::ZERO), OWNER.into_word());
    assert_eq!(vm.get_storage(U256::from(1)), NEXT.into_word());
}

#[test]
fn errors_encode_as_their_solidity_signatures() {
    use alloy_primitives::keccak256;
    use alloy_sol_types::SolError;
    for (sig, selector) in [
        ("Unauthorized(address)", Unauthorized::SELECTOR),
        ("NotPendingOwner(address)", NotPendingOwner::SELECTOR),
        ("ZeroAddress()", ZeroAddress::SELECTOR),
        ("AlreadyInitialized()", AlreadyInitialized::SELECTOR),
    ] {
        assert_eq!(keccak256(sig)[..4], selector);
    }
    let data: Vec<u8> = OwnableError::Unauthorized(Unauthorized { caller: OTHER }).into();
    assert_eq!(
        data,
        Unauthorized { caller: OTHER }.abi_encode(),
        "the enum reverts with the error's ABI encoding"
    );
}
