// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;
library KeelDeployment {
    address internal constant VAULT = address(1);
    address internal constant RFQ_MARKET = address(2);
    address internal constant ORACLE_ADAPTER = address(3);
    address internal constant USDC = address(4);
    address internal constant WETH = address(5);
    address internal constant WETH_FEED = address(6);
}
