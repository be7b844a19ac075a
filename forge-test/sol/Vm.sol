// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @title The cheatcodes `keel forge-test` answers
/// @notice Called at Foundry's cheatcode address, 0x7109709ECfa91a80626fF3989D68f67F5b1DD12D, with
/// Foundry's signatures (so the selectors are Foundry's): a test written against this interface
/// reads as a forge-std test. `keel forge-test` runs it on Keel's chain, where the vault is the
/// real WASM; forge's own EVM cannot run Stylus programs.
interface Vm {
    // ---- block and state ----------------------------------------------------------------------

    /// @notice Sets `block.timestamp` (also what Stylus programs read) for the rest of the test.
    function warp(uint256 newTimestamp) external;
    /// @notice Sets `block.number` for the rest of the test.
    function roll(uint256 newHeight) external;
    /// @notice Sets `account`'s ETH balance.
    function deal(address account, uint256 newBalance) external;
    /// @notice Writes `value` into `target`'s storage `slot`.
    function store(address target, bytes32 slot, bytes32 value) external;
    /// @notice Reads `target`'s storage `slot`.
    function load(address target, bytes32 slot) external view returns (bytes32 data);
    /// @notice The current `block.timestamp`.
    function getBlockTimestamp() external view returns (uint256 timestamp);
    /// @notice The current `block.number`.
    function getBlockNumber() external view returns (uint256 height);

    // ---- callers --------------------------------------------------------------------------------

    /// @notice The next call this contract makes has `msg.sender` `msgSender`.
    function prank(address msgSender) external;
    /// @notice The next call this contract makes has `msg.sender` `msgSender` and `tx.origin`
    /// `txOrigin`.
    function prank(address msgSender, address txOrigin) external;
    /// @notice Every call this contract makes has `msg.sender` `msgSender`, until `stopPrank`.
    function startPrank(address msgSender) external;
    /// @notice `startPrank`, with `tx.origin` `txOrigin` too.
    function startPrank(address msgSender, address txOrigin) external;
    /// @notice Ends `startPrank`.
    function stopPrank() external;

    // ---- expectations ---------------------------------------------------------------------------

    /// @notice The next call this contract makes must revert (any reason); it then returns normally.
    function expectRevert() external;
    /// @notice The next call must revert with exactly this 4-byte error (an error without arguments).
    function expectRevert(bytes4 revertData) external;
    /// @notice The next call must revert with exactly this data (or with `Error(string)` of it).
    function expectRevert(bytes calldata revertData) external;
    /// @notice The next call must revert with an error of this selector, whatever its arguments.
    function expectPartialRevert(bytes4 revertData) external;
    /// @notice The next event this contract emits is one the next call must emit: topic 0, the
    /// other topics and the data all checked.
    function expectEmit() external;
    /// @notice `expectEmit()`, and the event must come from `emitter`.
    function expectEmit(address emitter) external;
    /// @notice `expectEmit()`, checking only the topics and data flagged (topic 0 always).
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData) external;
    /// @notice `expectEmit(bool,bool,bool,bool)`, and the event must come from `emitter`.
    function expectEmit(bool checkTopic1, bool checkTopic2, bool checkTopic3, bool checkData, address emitter)
        external;

    // ---- keys and names -------------------------------------------------------------------------

    /// @notice The address of private key `privateKey`.
    function addr(uint256 privateKey) external pure returns (address keyAddr);
    /// @notice Signs `digest` with `privateKey` (secp256k1; `v` is 27 or 28).
    function sign(uint256 privateKey, bytes32 digest) external pure returns (uint8 v, bytes32 r, bytes32 s);
    /// @notice Names `account` in failure reasons.
    function label(address account, string calldata newLabel) external;
    /// @notice `account`'s label (empty when it has none).
    function getLabel(address account) external view returns (string memory currentLabel);
}
