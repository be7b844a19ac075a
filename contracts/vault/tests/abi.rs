//! The contract against `abi/IMarginVault.sol`: the same errors and events; every function of
//! the file is routed by the dispatcher.
mod common;

use std::collections::BTreeSet;

use alloy_primitives::keccak256;
use common::*;
use keel_vault as vault;

fn set<T: Ord + Clone>(items: &[T]) -> BTreeSet<T> {
    items.iter().cloned().collect()
}

#[test]
fn errors_match_the_interface_file() {
    let ours: Vec<[u8; 4]> = vault::ERROR_SIGNATURES
        .iter()
        .map(|s| keccak256(s)[..4].try_into().unwrap())
        .collect();
    assert_eq!(set(&ours), set(I::IMarginVaultErrors::SELECTORS));
    assert_eq!(ours.len(), I::IMarginVaultErrors::SELECTORS.len());
}

#[test]
fn events_match_the_interface_file() {
    use keel_stylus_common::ownable::{OwnershipTransferStarted, OwnershipTransferred};
    let ours = [
        OwnershipTransferStarted::SIGNATURE_HASH,
        OwnershipTransferred::SIGNATURE_HASH,
        vault::RiskAdminSet::SIGNATURE_HASH,
        vault::GuardianSet::SIGNATURE_HASH,
        vault::Paused::SIGNATURE_HASH,
        vault::Unpaused::SIGNATURE_HASH,
        vault::OracleAdapterSet::SIGNATURE_HASH,
        vault::DepegGuardSet::SIGNATURE_HASH,
        vault::EngineSet::SIGNATURE_HASH,
        vault::ModuleSet::SIGNATURE_HASH,
        vault::SettlementAssetSet::SIGNATURE_HASH,
        vault::AccountOpened::SIGNATURE_HASH,
        vault::OperatorSet::SIGNATURE_HASH,
        vault::CollateralListed::SIGNATURE_HASH,
        vault::Deposited::SIGNATURE_HASH,
        vault::Withdrawn::SIGNATURE_HASH,
        vault::RiskParamsSet::SIGNATURE_HASH,
        vault::HaircutAddOnsSet::SIGNATURE_HASH,
        vault::LimitsSet::SIGNATURE_HASH,
        vault::ModeChanged::SIGNATURE_HASH,
        vault::MarginCall::SIGNATURE_HASH,
        vault::MarginCallCleared::SIGNATURE_HASH,
        vault::UnderlyingListed::SIGNATURE_HASH,
        vault::MarketSet::SIGNATURE_HASH,
        vault::TradeSettled::SIGNATURE_HASH,
        vault::FundingRateSet::SIGNATURE_HASH,
        vault::Realised::SIGNATURE_HASH,
        vault::OptionSettled::SIGNATURE_HASH,
        vault::LiquidationParamsSet::SIGNATURE_HASH,
        vault::AuctionStarted::SIGNATURE_HASH,
        vault::Bid::SIGNATURE_HASH,
        vault::AuctionEnded::SIGNATURE_HASH,
        vault::InsuranceFunded::SIGNATURE_HASH,
        vault::InsurancePaid::SIGNATURE_HASH,
        vault::LossSocialised::SIGNATURE_HASH,
    ];
    let file: Vec<_> = I::IMarginVaultEvents::SELECTORS
        .iter()
        .map(|s| alloy_primitives::B256::from(*s))
        .collect();
    assert_eq!(set(&ours), set(&file));
    assert_eq!(ours.len(), I::IMarginVaultEvents::SELECTORS.len());
}

#[test]
fn every_function_of_the_file_is_routed() {
    // With all-zero arguments every function either answers or reverts with a named error
    // (a module not installed answers `ModuleNotSet`); only an unknown selector reverts with
    // empty data.
    let env = Env::new();
    for selector in I::IMarginVaultCalls::SELECTORS {
        let mut calldata = selector.to_vec();
        calldata.extend_from_slice(&[0u8; 32 * 8]);
        // `accountAssets`' dynamic return needs no offset in the input; zero words decode.
        match env.raw(ALICE, calldata) {
            Ok(_) => {}
            Err(data) => assert!(data.len() >= 4, "{selector:?} is not routed"),
        }
    }
    assert_eq!(I::IMarginVaultCalls::SELECTORS.len(), 66);
}
