// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// @title DonatableVault
/// @notice A test-only ERC-4626 share-price source whose price anyone can inflate within one
/// transaction by donating assets, as a thin real vault's can: `convertToAssets(shares)` is
/// `shares × totalAssets / totalSupply`, and `donate(amount)` adds to `totalAssets` without
/// minting shares; `donateAndAssess` donates and reads Keel's depeg guard in one transaction.
/// Only the reads Keel's depeg guard makes are implemented.
contract DonatableVault {
    /// @notice The underlying asset's token (for `asset()`).
    address public immutable asset;
    /// @notice Share decimals.
    uint8 public immutable decimals;
    /// @notice Assets held.
    uint256 public totalAssets;
    /// @notice Shares outstanding.
    uint256 public totalSupply;

    constructor(address asset_, uint8 decimals_, uint256 assets, uint256 shares) {
        asset = asset_;
        decimals = decimals_;
        totalAssets = assets;
        totalSupply = shares;
    }

    /// @notice Anyone (test-only): adds `amount` to the assets, not to the shares.
    function donate(uint256 amount) external {
        totalAssets += amount;
    }

    /// @notice Anyone (test-only): donates `amount`, then returns what `guard.assess(guarded)`
    /// answers, in the same transaction (the return data of the call, or its revert data).
    function donateAndAssess(uint256 amount, address guard, address guarded) external returns (bytes memory) {
        totalAssets += amount;
        (bool ok, bytes memory answer) = guard.staticcall(abi.encodeWithSignature("assess(address)", guarded));
        if (!ok) {
            assembly {
                revert(add(answer, 32), mload(answer))
            }
        }
        return answer;
    }

    function convertToAssets(uint256 shares) external view returns (uint256) {
        return shares * totalAssets / totalSupply;
    }
}
