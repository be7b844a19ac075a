// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";
import {Vm} from "./Vm.sol";

/// @title The base of a Solidity test `keel forge-test` runs
/// @notice forge-std's shape: `setUp()` runs first, then each `test*()` function in its own
/// snapshot of the chain after `setUp`; a test passes when it returns and fails when it reverts.
/// `vm` is the cheatcode interface; the assertions revert with forge's messages
/// ("assertion failed: 1 != 2", or "<message>: 1 != 2").
abstract contract Test {
    /// @notice Foundry's cheatcode address.
    Vm internal constant vm = Vm(address(uint160(uint256(keccak256("hevm cheat code")))));

    /// @notice Marks a test contract (what the runner looks for, as forge-std's `IS_TEST`).
    bool public constant IS_TEST = true;

    // ---- names and keys ---------------------------------------------------------------------

    /// @notice A labelled address derived from `name`.
    function makeAddr(string memory name) internal returns (address account) {
        (account,) = makeAddrAndKey(name);
    }

    /// @notice A labelled address derived from `name`, and its private key.
    function makeAddrAndKey(string memory name) internal returns (address account, uint256 key) {
        key = uint256(keccak256(abi.encodePacked(name)));
        account = vm.addr(key);
        vm.label(account, name);
    }

    // ---- assertions -------------------------------------------------------------------------

    function fail(string memory message) internal pure {
        revert(message);
    }

    function assertTrue(bool condition) internal pure {
        assertTrue(condition, "assertion failed");
    }

    function assertTrue(bool condition, string memory message) internal pure {
        if (!condition) revert(message);
    }

    function assertFalse(bool condition) internal pure {
        assertTrue(!condition, "assertion failed");
    }

    function assertFalse(bool condition, string memory message) internal pure {
        assertTrue(!condition, message);
    }

    function assertEq(uint256 left, uint256 right) internal pure {
        assertEq(left, right, "assertion failed");
    }

    function assertEq(uint256 left, uint256 right, string memory message) internal pure {
        if (left != right) _fail(message, Strings.toString(left), "!=", Strings.toString(right));
    }

    function assertEq(int256 left, int256 right) internal pure {
        assertEq(left, right, "assertion failed");
    }

    function assertEq(int256 left, int256 right, string memory message) internal pure {
        if (left != right) _fail(message, Strings.toStringSigned(left), "!=", Strings.toStringSigned(right));
    }

    function assertEq(address left, address right) internal pure {
        assertEq(left, right, "assertion failed");
    }

    function assertEq(address left, address right, string memory message) internal pure {
        if (left != right) _fail(message, Strings.toHexString(left), "!=", Strings.toHexString(right));
    }

    function assertEq(bool left, bool right) internal pure {
        assertEq(left, right, "assertion failed");
    }

    function assertEq(bool left, bool right, string memory message) internal pure {
        if (left != right) _fail(message, left ? "true" : "false", "!=", right ? "true" : "false");
    }

    function assertEq(bytes32 left, bytes32 right) internal pure {
        assertEq(left, right, "assertion failed");
    }

    function assertEq(bytes32 left, bytes32 right, string memory message) internal pure {
        if (left != right) {
            _fail(message, Strings.toHexString(uint256(left), 32), "!=", Strings.toHexString(uint256(right), 32));
        }
    }

    function assertEq(string memory left, string memory right) internal pure {
        assertEq(left, right, "assertion failed");
    }

    function assertEq(string memory left, string memory right, string memory message) internal pure {
        if (!Strings.equal(left, right)) _fail(message, left, "!=", right);
    }

    function assertEq(bytes memory left, bytes memory right) internal pure {
        assertEq(left, right, "assertion failed");
    }

    function assertEq(bytes memory left, bytes memory right, string memory message) internal pure {
        if (keccak256(left) != keccak256(right)) {
            _fail(message, Strings.toHexString(left), "!=", Strings.toHexString(right));
        }
    }

    function assertNotEq(uint256 left, uint256 right) internal pure {
        if (left == right) _fail("assertion failed", Strings.toString(left), "==", Strings.toString(right));
    }

    function assertNotEq(address left, address right) internal pure {
        if (left == right) _fail("assertion failed", Strings.toHexString(left), "==", Strings.toHexString(right));
    }

    function assertGt(uint256 left, uint256 right) internal pure {
        if (left <= right) _fail("assertion failed", Strings.toString(left), "<=", Strings.toString(right));
    }

    function assertGt(int256 left, int256 right) internal pure {
        if (left <= right) {
            _fail("assertion failed", Strings.toStringSigned(left), "<=", Strings.toStringSigned(right));
        }
    }

    function assertGe(uint256 left, uint256 right) internal pure {
        if (left < right) _fail("assertion failed", Strings.toString(left), "<", Strings.toString(right));
    }

    function assertGe(int256 left, int256 right) internal pure {
        if (left < right) {
            _fail("assertion failed", Strings.toStringSigned(left), "<", Strings.toStringSigned(right));
        }
    }

    function assertLt(uint256 left, uint256 right) internal pure {
        if (left >= right) _fail("assertion failed", Strings.toString(left), ">=", Strings.toString(right));
    }

    function assertLt(int256 left, int256 right) internal pure {
        if (left >= right) {
            _fail("assertion failed", Strings.toStringSigned(left), ">=", Strings.toStringSigned(right));
        }
    }

    function assertLe(uint256 left, uint256 right) internal pure {
        if (left > right) _fail("assertion failed", Strings.toString(left), ">", Strings.toString(right));
    }

    function assertLe(int256 left, int256 right) internal pure {
        if (left > right) {
            _fail("assertion failed", Strings.toStringSigned(left), ">", Strings.toStringSigned(right));
        }
    }

    /// @notice `left` and `right` differ by at most `maxDelta`.
    function assertApproxEqAbs(uint256 left, uint256 right, uint256 maxDelta) internal pure {
        uint256 delta = left > right ? left - right : right - left;
        if (delta > maxDelta) {
            _fail(
                "assertion failed",
                Strings.toString(left),
                string.concat("!~ (max delta ", Strings.toString(maxDelta), ", real delta ", Strings.toString(delta), ")"),
                Strings.toString(right)
            );
        }
    }

    function _fail(string memory message, string memory left, string memory relation, string memory right)
        private
        pure
    {
        revert(string.concat(message, ": ", left, " ", relation, " ", right));
    }
}
