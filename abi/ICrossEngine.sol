// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.20;

import {IRiskEngine} from "./IRiskEngine.sol";

/// @title ICrossEngine
/// @notice The isolated and cross margin engine (`keel-cross-engine`): `IRiskEngine` for
/// snapshots in isolated (at most one position, margined as the cross margin of the account)
/// or cross mode (Derive SRM semantics); a portfolio snapshot reverts with `WrongMode(2)`.
/// `worstScenario` is always `type(uint256).max`.
interface ICrossEngine is IRiskEngine {}
