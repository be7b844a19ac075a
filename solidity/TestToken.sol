// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title TestToken
/// @notice A test-only ERC-20 (OpenZeppelin's) that stands for USDC, WETH, wstETH and WBTC on a
/// local chain and in Keel's end-to-end tests. Never deploy it where real value is held:
/// anyone may mint.
/// @dev Beyond OpenZeppelin's ERC-20 (an allowance of `type(uint256).max` is infinite):
/// * `mint(to, amount)`, by anyone, funds test accounts.
/// * A fee on transfer (`setFee(bps)`, anyone, at most 10,000): every `transfer` and
///   `transferFrom` of `amount` debits the sender `amount`, credits the recipient
///   `amount - fee` with `fee = amount * bps / 10,000` rounded down, and burns the fee (a second
///   `Transfer` to the zero address; `totalSupply` falls).
/// * A reentrant hook (`setHook(target, data)`, anyone; a zero `target` removes it): after each
///   `transfer` / `transferFrom` has moved the balances, the token calls `target` with `data`,
///   forwarding all gas, and records whether the call succeeded and what it returned or
///   reverted with (`lastHookResult`) and how many hook calls were made (`hookCalls`). A failing
///   hook does not revert the transfer. The hook fires once per outermost transfer: transfers
///   made while it runs do not call it again.
contract TestToken is ERC20 {
    /// @notice The largest fee: 100 %.
    uint16 public constant MAX_FEE_BPS = 10_000;

    uint8 private immutable _decimals;

    /// @notice The fee on every transfer, in bps of the amount.
    uint16 public fee;
    /// @notice How many hook calls were made.
    uint256 public hookCalls;

    address private _hookTarget;
    bytes private _hookData;
    bool private _hookRunning;
    bool private _lastHookOk;
    bytes private _lastHookData;

    /// @notice A fee above `MAX_FEE_BPS`.
    error FeeTooHigh(uint16 bps);

    constructor(string memory name_, string memory symbol_, uint8 decimals_) ERC20(name_, symbol_) {
        _decimals = decimals_;
    }

    /// @inheritdoc ERC20
    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @notice Anyone (test-only): creates `amount` tokens for `to`.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Anyone (test-only): the fee on every transfer, in bps (at most 10,000).
    function setFee(uint16 bps) external {
        if (bps > MAX_FEE_BPS) revert FeeTooHigh(bps);
        fee = bps;
    }

    /// @notice Anyone (test-only): the call made after every outermost transfer (a zero
    /// `target`: none). Clears the last recorded result.
    function setHook(address target, bytes calldata data) external {
        _hookTarget = target;
        _hookData = data;
        _lastHookOk = false;
        delete _lastHookData;
    }

    /// @notice The hook's target and calldata.
    function hook() external view returns (address target, bytes memory data) {
        return (_hookTarget, _hookData);
    }

    /// @notice Whether the last hook call succeeded, and what it returned or reverted with.
    function lastHookResult() external view returns (bool ok, bytes memory data) {
        return (_lastHookOk, _lastHookData);
    }

    /// @inheritdoc ERC20
    function transfer(address to, uint256 amount) public override returns (bool) {
        super.transfer(to, amount);
        _runHook();
        return true;
    }

    /// @inheritdoc ERC20
    function transferFrom(address from, address to, uint256 amount) public override returns (bool) {
        super.transferFrom(from, to, amount);
        _runHook();
        return true;
    }

    /// @dev Transfers between accounts pay the fee, which is burned; mints and burns do not.
    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0) || fee == 0) {
            super._update(from, to, value);
            return;
        }
        uint256 cut = value * fee / MAX_FEE_BPS;
        super._update(from, to, value - cut);
        if (cut != 0) super._update(from, address(0), cut);
    }

    function _runHook() private {
        address target = _hookTarget;
        if (target == address(0) || _hookRunning) return;
        _hookRunning = true;
        hookCalls += 1;
        (bool ok, bytes memory returned) = target.call(_hookData);
        _hookRunning = false;
        _lastHookOk = ok;
        _lastHookData = returned;
    }
}
