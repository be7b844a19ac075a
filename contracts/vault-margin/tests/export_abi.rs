//! With `export-abi`: stylus-sdk's export of the typed `#[public]` twin lists every function
//! the module serves, with its Solidity types (the dispatcher's selectors).
#![cfg(feature = "export-abi")]

use std::fmt;

use keel_vault_margin::MarginModule;
use stylus_sdk::abi::export::GenerateAbi;

struct Abi;
impl fmt::Display for Abi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        <MarginModule as GenerateAbi>::fmt_abi(f)
    }
}

#[test]
fn the_export_lists_the_module_functions() {
    let abi = Abi.to_string();
    println!("{abi}");
    for f in [
        "function listCollateral(address asset, CollateralParams params) external;",
        "function setRiskParams(bytes calldata params) external;",
        "function riskParams() external view returns (bytes memory);",
        "function snapshot(uint256 id, uint8 mode) external view returns (bytes memory);",
        "function margin(uint256 id) external view returns (MarginState memory);",
        "function requireMargin(uint256 id, bool initial) external view;",
        "function setMode(uint256 id, uint8 mode) external;",
        "function updateMarginCall(uint256 id) external returns (bool);",
    ] {
        assert!(abi.contains(f), "missing {f}");
    }
    assert_eq!(abi.matches("    function ").count(), 13);
}
