//! With `export-abi`: stylus-sdk's export of the typed `#[public]` twin lists the module's
//! functions with their Solidity types, and every error of the vault.
#![cfg(feature = "export-abi")]

use std::fmt;

use keel_vault_liquidation::LiquidationModule;
use keel_vault_state::ERROR_SIGNATURES;
use stylus_sdk::abi::export::GenerateAbi;

struct Abi;
impl fmt::Display for Abi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        <LiquidationModule as GenerateAbi>::fmt_abi(f)
    }
}

#[test]
fn the_export_lists_the_module() {
    let abi = Abi.to_string();
    println!("{abi}");
    for f in [
        "function setLiquidationParams(LiquidationParams params) external;",
        "function liquidationParams() external view returns (LiquidationParams memory);",
        "function startAuction(uint256 id) external;",
        "function bid(uint256 id, uint256 bidder, uint256 fraction, int256 max_payment) external returns (uint256, int256);",
        "function endAuction(uint256 id) external;",
        "function auction(uint256 id) external view returns (bool, uint64, uint256);",
        "function fundInsurance(uint256 amount) external;",
        "function insuranceFund() external view returns (uint256);",
        "function socialisedLoss() external view returns (uint256, uint256);",
    ] {
        assert!(abi.contains(f), "missing {f}");
    }
    assert_eq!(abi.matches("    function ").count(), 9);
    for sig in ERROR_SIGNATURES {
        assert!(
            abi.contains(&format!("error {};", sig.replace(',', ", "))),
            "{sig}"
        );
    }
}
