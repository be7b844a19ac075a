// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IMarginVault} from "@keel/IMarginVault.sol";
import {RfqMarket} from "../src/RfqMarket.sol";
import {KeelIntegration} from "./KeelIntegration.sol";
import {KeelDeployment as Keel} from "./KeelDeployment.sol";

/// @title Trading through the reference RFQ market: signed quotes settled by the vault
contract RfqMarketTest is KeelIntegration {
    address internal taker;
    uint256 internal takerAccount;

    function setUp() public override {
        super.setUp();
        taker = makeAddr("taker");
        takerAccount = openFunded(taker, PORTFOLIO, 5_000e6);
    }

    function test_FillMovesThePerpFromMakerToTaker() public {
        (RfqMarket.Quote memory quote, bytes memory signature) = signedQuote(2e18, 2_000e18);
        vm.expectEmit(false, true, true, true, address(market));
        emit RfqMarket.QuoteFilled(bytes32(0), maker, taker, makerAccount, takerAccount);
        vm.prank(taker);
        market.fill(quote, signature, takerAccount);
        assertEq(positionSize(takerAccount, ethPerp), 2e18);
        assertEq(positionSize(makerAccount, ethPerp), -2e18);
        assertTrue(market.nonceUsed(maker, quote.nonce));
        IMarginVault.MarginState memory state = vault.margin(takerAccount);
        assertGt(state.initialRequirement, 0);
        assertGe(state.initialMargin, 0);
    }

    function test_RevertWhen_QuoteIsReplayed() public {
        (RfqMarket.Quote memory quote, bytes memory signature) = signedQuote(1e18, 2_000e18);
        vm.prank(taker);
        market.fill(quote, signature, takerAccount);
        vm.prank(taker);
        vm.expectRevert(abi.encodeWithSelector(RfqMarket.NonceUsed.selector, maker, quote.nonce));
        market.fill(quote, signature, takerAccount);
    }

    function test_RevertWhen_QuoteHasExpired() public {
        (RfqMarket.Quote memory quote, bytes memory signature) = signedQuote(1e18, 2_000e18);
        vm.warp(quote.deadline + 1);
        vm.prank(taker);
        vm.expectRevert(abi.encodeWithSelector(RfqMarket.QuoteExpired.selector, quote.deadline));
        market.fill(quote, signature, takerAccount);
    }

    function test_RevertWhen_SignerIsNotTheMaker() public {
        (RfqMarket.Quote memory quote,) = signedQuote(1e18, 2_000e18);
        (address forger, uint256 forgerKey) = makeAddrAndKey("forger");
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(forgerKey, market.quoteDigest(quote));
        vm.prank(taker);
        vm.expectRevert(abi.encodeWithSelector(RfqMarket.NotMakerAccount.selector, forger, makerAccount));
        market.fill(quote, abi.encodePacked(r, s, v), takerAccount);
    }

    function test_RevertWhen_TakerDoesNotControlTheAccount() public {
        (RfqMarket.Quote memory quote, bytes memory signature) = signedQuote(1e18, 2_000e18);
        address stranger = makeAddr("stranger");
        vm.prank(stranger);
        vm.expectRevert(abi.encodeWithSelector(RfqMarket.NotTakerAccount.selector, stranger, takerAccount));
        market.fill(quote, signature, takerAccount);
    }

    function test_RevertWhen_TradeBreachesInitialMargin() public {
        // 100 ETH of perp (200,000 USD) on 5,000 USD of collateral.
        (RfqMarket.Quote memory quote, bytes memory signature) = signedQuote(100e18, 2_000e18);
        vm.prank(taker);
        vm.expectPartialRevert(IMarginVault.BelowInitialMargin.selector);
        market.fill(quote, signature, takerAccount);
        assertEq(positionSize(takerAccount, ethPerp), 0);
        assertTrue(!market.nonceUsed(maker, quote.nonce));
    }

    function test_RevertWhen_WithdrawalLeavesThePerpUnmargined() public {
        buyPerp(taker, takerAccount, 5e18, 2_000e18);
        vm.prank(taker);
        vm.expectPartialRevert(IMarginVault.BelowInitialMargin.selector);
        vault.withdraw(takerAccount, Keel.USDC, 4_900e6, taker);
    }

    function test_RevertWhen_PricesAreStale() public {
        // The ETH feed's heartbeat is an hour: two hours on, the vault refuses to price a trade.
        vm.warp(block.timestamp + 2 hours);
        (RfqMarket.Quote memory quote, bytes memory signature) = signedQuote(1e18, 2_000e18);
        vm.prank(taker);
        vm.expectRevert();
        market.fill(quote, signature, takerAccount);
        setEthPrice(2_000);
        buyPerp(taker, takerAccount, 1e18, 2_000e18);
        assertEq(positionSize(takerAccount, ethPerp), 1e18);
    }
}
