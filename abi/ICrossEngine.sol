// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

import {IRiskEngine} from "./IRiskEngine.sol";

/// @title ICrossEngine
/// @notice The isolated and cross margin engine (`keel-cross-engine`): `IRiskEngine` for
/// snapshots in isolated (at most one position, margined as the cross margin of the account)
/// or cross mode (Derive SRM semantics); a portfolio snapshot reverts with `WrongMode(2)`.
/// It also answers the isolated what-if the vault's `marginAllModes` reports.
/// `worstScenario` is always `type(uint256).max`.
interface ICrossEngine is IRiskEngine {
    /// @notice The isolated what-if of the account of `snapshot`, in any mode: its cash and
    /// collateral margined with no position, plus each position margined alone (no cash, no
    /// collateral), all in the cross model, summed — every position carries its own
    /// one-position requirement, with no netting between positions. For an account with at
    /// most one position it equals `margin` of its cross snapshot. Reads the calldata and
    /// refuses hostile bytes as `margin` does, with the same errors (never `WrongMode`).
    /// @param snapshot A keel-risk snapshot (version 1), any mode.
    /// @return im Sum of the initial-margin surpluses (18-decimal wad, stable settlement unit).
    /// @return mm Sum of the maintenance-margin surpluses.
    /// @return mtm Sum of the marks-to-market: the account's mark-to-market.
    /// @return worstScenario Always `type(uint256).max`.
    function isolatedWhatIf(bytes calldata snapshot)
        external
        view
        returns (int256 im, int256 mm, int256 mtm, uint256 worstScenario);
}
