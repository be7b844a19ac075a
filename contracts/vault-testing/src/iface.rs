//! The functions of the oracle adapter and depeg guard the simulations answer, as in
//! `abi/IOracleAdapter.sol` and `abi/ILstDepegGuard.sol`.
#![allow(missing_docs)]

use alloy_sol_types::sol;

sol! {
    #[derive(Debug, Default, PartialEq, Eq)]
    struct ExpiryData {
        uint256 forward;
        int256 rate;
        int256 sviA;
        int256 sviB;
        int256 sviRho;
        int256 sviM;
        int256 sviSigma;
        uint256 sviForward;
        uint256 sviTau;
        uint256 confidence;
        uint64 timestamp;
    }

    #[derive(Debug, Default, PartialEq, Eq)]
    struct Assessment {
        uint256 rate;
        uint256 fundamental;
        uint256 cap;
        uint256 cappedFundamental;
        uint256 marketRate;
        uint256 depegBps;
        uint8 status;
        uint256 haircutAddOn;
        bool fundamentalCapped;
        uint8 marketState;
    }

    function getPrice(address asset) external view returns (uint256 price, uint256 confidence, uint64 updatedAt, uint8 sequencer);
    function sequencerStatus() external view returns (uint8 status, uint64 since);
    function getExpiryData(address underlying, uint64 expiry) external view returns (ExpiryData data, uint256 confidence);
    function settlementPrice(address asset, uint64 expiry) external view returns (uint256 price, bool isSettled);
    function assess(address asset) external view returns (Assessment assessment);

    error UnknownAsset(address asset);
    error NoExpiryData(address underlying, uint64 expiry);
    error StaleData(address asset);
    error FundamentalStale(address asset, uint256 updatedAt);
    error FeedCallFailed(address feed);
}
