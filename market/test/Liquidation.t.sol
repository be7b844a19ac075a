// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IMarginVault} from "@keel/IMarginVault.sol";
import {KeelIntegration} from "./KeelIntegration.sol";

/// @title A levered account crashed below maintenance margin, auctioned and bought by a keeper
contract LiquidationTest is KeelIntegration {
    address internal trader;
    uint256 internal traderAccount;
    address internal keeper;
    uint256 internal keeperAccount;

    function setUp() public override {
        super.setUp();
        trader = makeAddr("trader");
        traderAccount = openFunded(trader, PORTFOLIO, 3_000e6);
        keeper = makeAddr("keeper");
        keeperAccount = openFunded(keeper, PORTFOLIO, 200_000e6);
        // 5 ETH long (10,000 USD) on 3,000 USD.
        buyPerp(trader, traderAccount, 5e18, 2_000e18);
    }

    function test_RevertWhen_AuctioningAHealthyAccount() public {
        vm.expectPartialRevert(IMarginVault.AboveMaintenanceMargin.selector);
        vault.startAuction(traderAccount);
    }

    function test_CrashPutsTheAccountBelowMaintenance() public {
        setEthPrice(1_500);
        IMarginVault.MarginState memory state = vault.margin(traderAccount);
        assertLt(state.maintenanceMargin, 0);
    }

    function test_KeeperBuysTheCrashedAccount() public {
        setEthPrice(1_500);
        vm.expectEmit(true, false, false, false, address(vault));
        emit IMarginVault.AuctionStarted(traderAccount, 0, 0);
        vault.startAuction(traderAccount);
        (bool active,,) = vault.auction(traderAccount);
        assertTrue(active);

        vm.warp(block.timestamp + 10 minutes);
        setEthPrice(1_500);
        vm.prank(keeper);
        (uint256 filled,) = vault.bid(traderAccount, keeperAccount, 1e18, type(int256).max);
        assertGt(filled, 0);
        // The keeper took part of the perp and stays above initial margin.
        assertGt(positionSize(keeperAccount, ethPerp), 0);
        assertLt(positionSize(traderAccount, ethPerp), 5e18);
        assertGe(vault.margin(keeperAccount).initialMargin, 0);
    }

    function test_RevertWhen_OwnerBidsOnItsOwnAccount() public {
        setEthPrice(1_500);
        vault.startAuction(traderAccount);
        uint256 second = openFunded(trader, PORTFOLIO, 100_000e6);
        vm.prank(trader);
        vm.expectPartialRevert(IMarginVault.SelfLiquidation.selector);
        vault.bid(traderAccount, second, 1e18, type(int256).max);
    }
}
