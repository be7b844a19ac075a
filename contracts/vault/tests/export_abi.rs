//! With `export-abi`: stylus-sdk's export of the typed `#[public]` twin lists every function
//! of `abi/IMarginVault.sol` with its Solidity types, every error, and the constructor.
#![cfg(feature = "export-abi")]

use std::fmt;

use keel_vault::{MarginVault, ERROR_SIGNATURES};
use stylus_sdk::abi::export::GenerateAbi;

struct Abi;
impl fmt::Display for Abi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        <MarginVault as GenerateAbi>::fmt_abi(f)
    }
}
struct Ctor;
impl fmt::Display for Ctor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        <MarginVault as GenerateAbi>::fmt_constructor_signature(f)
    }
}

#[test]
fn the_export_lists_the_interface() {
    let abi = Abi.to_string();
    println!("{abi}");
    for f in [
        "function openAccount(uint8 mode) external returns (uint256);",
        "function deposit(uint256 id, address asset, uint256 amount) external;",
        "function withdraw(uint256 id, address asset, uint256 amount, address to) external;",
        "function accountAssets(uint256 id) external view returns (address[] memory);",
    ] {
        assert!(abi.contains(f), "missing {f}");
    }
    assert_eq!(abi.matches("    function ").count(), 28);
    for sig in ERROR_SIGNATURES {
        assert!(
            abi.contains(&format!("error {};", sig.replace(',', ", "))),
            "{sig}"
        );
    }
    assert_eq!(Ctor.to_string().trim(), "constructor(address owner)");
}
