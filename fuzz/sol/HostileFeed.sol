// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// @title HostileFeed
/// @notice A test-only Chainlink `AggregatorV3Interface` that misbehaves on demand, for Keel's
/// fault tests. Anyone may set it. Never deploy it where real value is held.
/// @dev `latestRoundData` and `getRoundData` answer the one round set by `setRound`, unless
/// the behaviour says otherwise: `Reverts` reverts with `FeedDown()`, `BurnsGas` loops until
/// the call runs out of gas, `ShortData` returns two words instead of five. `decimals()`
/// answers whatever `setDecimals` set last, so a feed can change its decimals under a reader
/// that configured it earlier.
contract HostileFeed {
    enum Behaviour {
        Normal,
        Reverts,
        BurnsGas,
        ShortData
    }

    /// @notice What `decimals()` answers now.
    uint8 public decimals;
    /// @notice How reads behave.
    Behaviour public behaviour;

    int256 private _answer;
    uint256 private _updatedAt;
    uint80 private _round;

    /// @notice The feed is down.
    error FeedDown();

    constructor(uint8 decimals_) {
        decimals = decimals_;
    }

    /// @notice Anyone (test-only): the answer and its time (the round id advances).
    function setRound(int256 answer, uint256 updatedAt) external {
        _answer = answer;
        _updatedAt = updatedAt;
        _round += 1;
    }

    /// @notice Anyone (test-only): what `decimals()` answers from now on.
    function setDecimals(uint8 decimals_) external {
        decimals = decimals_;
    }

    /// @notice Anyone (test-only): how reads behave.
    function setBehaviour(Behaviour behaviour_) external {
        behaviour = behaviour_;
    }

    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        return _read();
    }

    function getRoundData(uint80) external view returns (uint80, int256, uint256, uint256, uint80) {
        return _read();
    }

    function _read() private view returns (uint80, int256, uint256, uint256, uint80) {
        Behaviour b = behaviour;
        if (b == Behaviour.Reverts) revert FeedDown();
        if (b == Behaviour.BurnsGas) {
            uint256 spin;
            while (gasleft() > 0) {
                spin += 1;
            }
        }
        if (b == Behaviour.ShortData) {
            uint80 round = _round;
            int256 answer = _answer;
            assembly {
                mstore(0, round)
                mstore(32, answer)
                return(0, 64)
            }
        }
        return (_round, _answer, _updatedAt, _updatedAt, _round);
    }
}
