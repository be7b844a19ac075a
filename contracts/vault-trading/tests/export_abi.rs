//! With `export-abi`: stylus-sdk's export of the typed `#[public]` twin lists exactly the
//! module's functions of `abi/IMarginVault.sol` with their Solidity types, and every error.
#![cfg(feature = "export-abi")]

use std::fmt;

use keel_vault_state::ERROR_SIGNATURES;
use keel_vault_trading::TradingModule;
use stylus_sdk::abi::export::GenerateAbi;

struct Abi;
impl fmt::Display for Abi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        <TradingModule as GenerateAbi>::fmt_abi(f)
    }
}

#[test]
fn the_export_lists_the_modules_functions() {
    let abi = Abi.to_string();
    println!("{abi}");
    for f in [
        "function listUnderlying(address asset, uint256 stress_vol) external returns (uint8);",
        "function underlyings() external view returns (address[] memory);",
        "function setMarket(address market, bool authorised) external;",
        "function isMarket(address market) external view returns (bool);",
        "function instrumentId(address underlying, uint8 kind, uint64 expiry, uint256 strike) external view returns (uint256);",
        "function instrument(uint256 id) external view returns (address, uint8, uint64, uint256);",
        // stylus-sdk prints a struct parameter without a data location.
        "function settleTrade(Trade trade) external;",
        "function positions(uint256 id) external view returns (Position[] memory);",
        "function setFundingRate(address underlying, int256 rate_per_second) external;",
        "function funding(address underlying) external view returns (int256, int256, uint64);",
        "function realise(uint256 id) external;",
        "function settleOptions(uint256 id) external;",
        // stylus-sdk declares no struct that appears only inside a returned tuple: the
        // margin module's export (`margin(id)`) and the `sol!` blocks declare `MarginState`.
        "function marginAllModes(uint256 id) external view returns (MarginState memory, MarginState memory, MarginState memory);",
    ] {
        assert!(abi.contains(f), "missing {f}");
    }
    assert_eq!(abi.matches("    function ").count(), 13);
    for sig in ERROR_SIGNATURES {
        assert!(
            abi.contains(&format!("error {};", sig.replace(',', ", "))),
            "{sig}"
        );
    }
}
