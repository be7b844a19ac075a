//! With `export-abi`: stylus-sdk's export of the typed `#[public]` twin lists every function
//! of `abi/IOracleAdapter.sol` with its Solidity types, every error, and the constructor.
#![cfg(feature = "export-abi")]

use std::fmt;

use keel_oracle_adapter::{OracleAdapter, ERROR_SIGNATURES};
use stylus_sdk::abi::export::GenerateAbi;

struct Abi;
impl fmt::Display for Abi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        <OracleAdapter as GenerateAbi>::fmt_abi(f)
    }
}
struct Ctor;
impl fmt::Display for Ctor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        <OracleAdapter as GenerateAbi>::fmt_constructor_signature(f)
    }
}

#[test]
fn the_export_lists_the_interface() {
    let abi = Abi.to_string();
    println!("{abi}");
    for f in [
        "function owner() external view returns (address);",
        "function getPrice(address asset) external view returns (uint256, uint256, uint64, uint8);",
        "function getPrices(address[] memory assets) external view returns (PriceData[] memory, uint8);",
        "function settle(address asset, uint64 expiry, uint80 round_id) external returns (uint256);",
        "function pushExpiryData(address underlying, uint64 expiry, ExpiryData data) external;",
    ] {
        assert!(abi.contains(f), "missing {f}");
    }
    assert_eq!(abi.matches("    function ").count(), 22);
    for sig in ERROR_SIGNATURES {
        assert!(
            abi.contains(&format!("error {};", sig.replace(',', ", "))),
            "{sig}"
        );
    }
    assert_eq!(Ctor.to_string().trim(), "constructor(address owner)");
}
