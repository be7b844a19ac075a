// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IMarginVault} from "@keel/IMarginVault.sol";
import {IMintable, KeelIntegration} from "./KeelIntegration.sol";
import {KeelDeployment as Keel} from "./KeelDeployment.sol";

/// @title Accounts, deposits and withdrawals through IMarginVault, as an integrator calls them
contract VaultAccountsTest is KeelIntegration {
    address internal alice;
    uint256 internal aliceAccount;

    function setUp() public override {
        super.setUp();
        alice = makeAddr("alice");
        aliceAccount = openFunded(alice, PORTFOLIO, 5_000e6);
    }

    function test_OpenAccountRecordsOwnerAndMode() public {
        address bob = makeAddr("bob");
        vm.prank(bob);
        uint256 id = vault.openAccount(CROSS);
        (address owner, uint8 mode) = vault.account(id);
        assertEq(owner, bob);
        assertEq(uint256(mode), uint256(CROSS));
        assertEq(vault.accountCount(), id);
    }

    function test_DepositCreditsCollateralAndEmits() public {
        IMintable(Keel.USDC).mint(alice, 1_000e6);
        vm.startPrank(alice);
        IERC20(Keel.USDC).approve(address(vault), 1_000e6);
        vm.expectEmit(true, true, true, false, address(vault));
        emit IMarginVault.Deposited(aliceAccount, Keel.USDC, alice, 0, 0);
        vault.deposit(aliceAccount, Keel.USDC, 1_000e6);
        vm.stopPrank();
        // The settlement asset is the account's cash, in wad.
        assertEq(vault.cash(aliceAccount), 6_000e18);
        assertEq(vault.collateralBalance(aliceAccount, Keel.USDC), 0);
        assertGe(IERC20(Keel.USDC).balanceOf(address(vault)), 6_000e6);
    }

    function test_MarginInAllModesValuesTheCollateral() public view {
        IMarginVault.MarginState memory state = vault.margin(aliceAccount);
        assertEq(uint256(state.mode), uint256(PORTFOLIO));
        // 5,000 USDC at 1 USD.
        assertEq(state.markToMarket, 5_000e18);
        assertEq(state.positionCount, 0);
    }

    function test_WithdrawPaysTheOwner() public {
        vm.prank(alice);
        vault.withdraw(aliceAccount, Keel.USDC, 1_500e6, alice);
        assertEq(IERC20(Keel.USDC).balanceOf(alice), 1_500e6);
        assertEq(vault.cash(aliceAccount), 3_500e18);
    }

    function test_RevertWhen_StrangerWithdraws() public {
        address mallory = makeAddr("mallory");
        vm.prank(mallory);
        vm.expectRevert(abi.encodeWithSelector(IMarginVault.NotAccountOperator.selector, aliceAccount, mallory));
        vault.withdraw(aliceAccount, Keel.USDC, 1, mallory);
    }

    function test_RevertWhen_WithdrawingMoreThanHeld() public {
        vm.prank(alice);
        vm.expectRevert(
            abi.encodeWithSelector(IMarginVault.InsufficientCash.selector, aliceAccount, int256(5_000e18), 5_001e18)
        );
        vault.withdraw(aliceAccount, Keel.USDC, 5_001e6, alice);
    }

    function test_WethIsCollateralWithAHaircut() public {
        IMintable(Keel.WETH).mint(alice, 2e18);
        vm.startPrank(alice);
        IERC20(Keel.WETH).approve(address(vault), 2e18);
        vault.deposit(aliceAccount, Keel.WETH, 2e18);
        vm.stopPrank();
        assertEq(vault.collateralBalance(aliceAccount, Keel.WETH), 2e18);
        IMarginVault.MarginState memory state = vault.margin(aliceAccount);
        // 5,000 USDC and 2 WETH at 2,000 USD.
        assertEq(state.markToMarket, 9_000e18);
        assertLt(state.initialMargin, state.markToMarket);
    }

    function test_RevertWhen_DepositingAnUnlistedAsset() public {
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(IMarginVault.AssetNotListed.selector, address(0xBEEF)));
        vault.deposit(aliceAccount, address(0xBEEF), 1);
    }

    function test_OperatorMayWithdrawToTheOwner() public {
        address operator = makeAddr("operator");
        vm.prank(alice);
        vault.setOperator(aliceAccount, operator, true);
        assertTrue(vault.isOperator(aliceAccount, operator));
        vm.prank(operator);
        vault.withdraw(aliceAccount, Keel.USDC, 100e6, alice);
        assertEq(IERC20(Keel.USDC).balanceOf(alice), 100e6);
    }
}
