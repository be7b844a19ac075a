// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IOracleAdapter} from "@keel/IOracleAdapter.sol";
import {Test} from "keel-test/Test.sol";
import {KeelDeployment as Keel} from "./KeelDeployment.sol";

/// @notice A small EVM contract for checking the cheatcodes from both sides of a call.
contract Probe {
    uint256 public stored;

    event Poked(address indexed by, uint256 value);

    error Refused(address caller, uint256 value);

    function whoCalls() external view returns (address sender, address origin) {
        return (msg.sender, tx.origin);
    }

    function poke(uint256 value) external {
        if (value == 0) revert Refused(msg.sender, value);
        stored = value;
        emit Poked(msg.sender, value);
    }

    function now_() external view returns (uint256 timestamp, uint256 number) {
        return (block.timestamp, block.number);
    }
}

/// @notice ArbWasm's error for a call into an expired program.
error ProgramExpired(uint64 ageInSeconds);

/// @title The cheatcodes keel forge-test answers, on EVM and Stylus callees
contract CheatcodesTest is Test {
    Probe internal probe;

    function setUp() public {
        probe = new Probe();
    }

    function test_WarpAndRollReachEvmAndStylus() public {
        uint256 later = block.timestamp + 2 hours;
        vm.warp(later);
        vm.roll(123_456);
        (uint256 timestamp, uint256 number) = probe.now_();
        assertEq(timestamp, later);
        assertEq(number, 123_456);
        assertEq(vm.getBlockTimestamp(), later);
        assertEq(vm.getBlockNumber(), 123_456);
        // The oracle adapter (a Stylus program) sees the warped clock: ETH/USD, with its one-hour
        // heartbeat, is stale.
        vm.expectRevert(abi.encodeWithSelector(IOracleAdapter.StaleData.selector, Keel.WETH));
        IOracleAdapter(Keel.ORACLE_ADAPTER).getPrice(Keel.WETH);
    }

    function test_PrankSetsSenderAndOrigin() public {
        address alice = makeAddr("alice");
        vm.prank(alice, alice);
        (address sender, address origin) = probe.whoCalls();
        assertEq(sender, alice);
        assertEq(origin, alice);
        (sender,) = probe.whoCalls();
        assertEq(sender, address(this));
    }

    function test_StartPrankLastsUntilStopPrank() public {
        address bob = makeAddr("bob");
        vm.startPrank(bob);
        (address first,) = probe.whoCalls();
        (address second,) = probe.whoCalls();
        vm.stopPrank();
        (address third,) = probe.whoCalls();
        assertEq(first, bob);
        assertEq(second, bob);
        assertEq(third, address(this));
    }

    function test_ExpectRevertMatchesDataAndSelector() public {
        vm.expectRevert(abi.encodeWithSelector(Probe.Refused.selector, address(this), 0));
        probe.poke(0);
        vm.expectPartialRevert(Probe.Refused.selector);
        probe.poke(0);
        vm.expectRevert();
        probe.poke(0);
        assertEq(probe.stored(), 0);
    }

    function test_ExpectEmitChecksTheNextCall() public {
        vm.expectEmit(true, false, false, true, address(probe));
        emit Probe.Poked(address(this), 7);
        probe.poke(7);
        assertEq(probe.stored(), 7);
    }

    function test_DealStoreLoadAndLabels() public {
        address carol = makeAddr("carol");
        vm.deal(carol, 3 ether);
        assertEq(carol.balance, 3 ether);
        vm.store(address(probe), bytes32(0), bytes32(uint256(42)));
        assertEq(probe.stored(), 42);
        assertEq(vm.load(address(probe), bytes32(0)), bytes32(uint256(42)));
        assertEq(vm.getLabel(carol), "carol");
    }

    function test_ProgramsExpireAfterAYear() public {
        // ArbOS's rule, kept by Keel's chain: a program not kept alive expires 365 days after
        // activation.
        vm.warp(block.timestamp + 366 days);
        vm.expectPartialRevert(ProgramExpired.selector);
        IOracleAdapter(Keel.ORACLE_ADAPTER).getPrice(Keel.WETH);
    }

    function test_SignRecoversToAddr() public pure {
        uint256 key = 0xA11CE;
        bytes32 digest = keccak256("keel");
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(key, digest);
        assertEq(ecrecover(digest, v, r, s), vm.addr(key));
    }
}
