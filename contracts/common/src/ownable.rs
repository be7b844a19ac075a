//! Two-step ownership: a storage component any Keel contract embeds in its `#[storage]`.
//!
//! The component owns two storage slots (`owner`, `pendingOwner`) and the rules around them;
//! the embedding contract exposes it through thin `#[public]` wrappers with these Solidity
//! signatures (so every Keel contract speaks the same ownership interface):
//!
//! ```solidity
//! function owner() external view returns (address);
//! function pendingOwner() external view returns (address);
//! function transferOwnership(address newOwner) external;   // owner only
//! function acceptOwnership() external;                      // pending owner only
//! event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);
//! event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);
//! error Unauthorized(address caller);
//! error NotPendingOwner(address caller);
//! error ZeroAddress();
//! error AlreadyInitialized();
//! ```
//!
//! * **Initialisation.** stylus-sdk 0.10 supports `#[constructor]` (run once, atomically with
//!   deployment by `cargo stylus deploy`, guarded by the SDK's constructor slot); the contract's
//!   constructor calls [`Ownable2Step::initialize`] with the first owner. `initialize` is itself
//!   usable once (`AlreadyInitialized()`), so a contract that prefers an `initialize` entry point
//!   is safe too. The owner can never become the zero address again (there is no renounce:
//!   a Keel contract without an owner could no longer rotate feeds or parameters), so
//!   "initialised" is simply "owner ≠ 0" and costs no extra slot.
//! * **Transfer.** The owner names a pending owner (`transferOwnership`, which emits
//!   `OwnershipTransferStarted`); ownership moves only when that address calls
//!   `acceptOwnership` (emits `OwnershipTransferred`). Naming `address(0)` cancels a pending
//!   transfer; naming another address replaces it.

// `Vec` and `vec!` are used by the code `#[storage]` generates under stylus-test.
#[allow(unused_imports)]
use alloc::{vec, vec::Vec};

use alloy_primitives::{Address, B256};
use alloy_sol_types::{sol, SolEvent};
use stylus_sdk::prelude::*;
use stylus_sdk::storage::StorageAddress;

sol! {
    /// The owner named `newOwner` as its successor; `newOwner` must accept.
    #[derive(Debug, PartialEq, Eq)]
    event OwnershipTransferStarted(address indexed previousOwner, address indexed newOwner);
    /// Ownership moved from `previousOwner` (zero at initialisation) to `newOwner`.
    #[derive(Debug, PartialEq, Eq)]
    event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);

    /// `caller` is not the owner.
    #[derive(Debug, PartialEq, Eq)]
    error Unauthorized(address caller);
    /// `caller` is not the pending owner.
    #[derive(Debug, PartialEq, Eq)]
    error NotPendingOwner(address caller);
    /// The zero address was given where an account is required.
    #[derive(Debug, PartialEq, Eq)]
    error ZeroAddress();
    /// The contract was already initialised.
    #[derive(Debug, PartialEq, Eq)]
    error AlreadyInitialized();
}

/// Why an ownership operation was refused; each variant is the Solidity error of its name.
#[derive(SolidityError, Debug, PartialEq, Eq)]
pub enum OwnableError {
    /// `Unauthorized(address caller)`.
    Unauthorized(Unauthorized),
    /// `NotPendingOwner(address caller)`.
    NotPendingOwner(NotPendingOwner),
    /// `ZeroAddress()`.
    ZeroAddress(ZeroAddress),
    /// `AlreadyInitialized()`.
    AlreadyInitialized(AlreadyInitialized),
}

/// The two-step ownership storage component (two slots: owner, pending owner).
#[storage]
pub struct Ownable2Step {
    owner: StorageAddress,
    pending_owner: StorageAddress,
}

impl Ownable2Step {
    /// Sets the first owner; refuses the zero address and a second call.
    /// Emits `OwnershipTransferred(0, owner)`.
    pub fn initialize(&mut self, owner: Address) -> Result<(), OwnableError> {
        if !self.owner.get().is_zero() {
            return Err(AlreadyInitialized {}.into());
        }
        if owner.is_zero() {
            return Err(ZeroAddress {}.into());
        }
        self.owner.set(owner);
        self.emit(OwnershipTransferred::SIGNATURE_HASH, Address::ZERO, owner);
        Ok(())
    }

    /// The current owner (zero before initialisation).
    pub fn owner(&self) -> Address {
        self.owner.get()
    }

    /// The account that may accept ownership (zero when none).
    pub fn pending_owner(&self) -> Address {
        self.pending_owner.get()
    }

    /// `Ok` when the caller (`msg.sender`) is the owner, `Unauthorized(caller)` otherwise.
    pub fn only_owner(&self) -> Result<(), OwnableError> {
        let caller = self.vm().msg_sender();
        if caller != self.owner.get() {
            return Err(Unauthorized { caller }.into());
        }
        Ok(())
    }

    /// Owner only: names `new_owner` as pending owner (zero cancels a pending transfer).
    /// Emits `OwnershipTransferStarted(owner, new_owner)`.
    pub fn transfer_ownership(&mut self, new_owner: Address) -> Result<(), OwnableError> {
        self.only_owner()?;
        self.pending_owner.set(new_owner);
        let owner = self.owner.get();
        self.emit(OwnershipTransferStarted::SIGNATURE_HASH, owner, new_owner);
        Ok(())
    }

    /// Pending owner only: takes ownership and clears the pending owner.
    /// Emits `OwnershipTransferred(previous, caller)`.
    pub fn accept_ownership(&mut self) -> Result<(), OwnableError> {
        let caller = self.vm().msg_sender();
        let pending = self.pending_owner.get();
        if pending.is_zero() || caller != pending {
            return Err(NotPendingOwner { caller }.into());
        }
        let previous = self.owner.get();
        self.owner.set(caller);
        self.pending_owner.set(Address::ZERO);
        self.emit(OwnershipTransferred::SIGNATURE_HASH, previous, caller);
        Ok(())
    }

    /// Emits one of the two events (both have two indexed addresses and no data). Written
    /// with `raw_log`: the SDK's typed `log` unwraps alloy's topic encoder, which links
    /// alloy's error formatting into every contract.
    fn emit(&self, signature: B256, previous: Address, new: Address) {
        let topics = [signature, previous.into_word(), new.into_word()];
        // Three topics: `raw_log` only fails above four.
        let _ = self.vm().raw_log(&topics, &[]);
    }
}
