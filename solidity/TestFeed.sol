// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// @title TestFeed
/// @notice A test-only Chainlink `AggregatorV3Interface` feed for a local chain and Keel's
/// end-to-end tests: spot prices for the oracle adapter, rate and market feeds for the depeg
/// guard, and the Arbitrum sequencer uptime feed (answer 0 = up, 1 = down, `startedAt` = since
/// when). Never deploy it where real value is held: anyone may set a round.
/// @dev Round ids follow Chainlink's proxies: `phaseId << 64 | aggregatorRoundId`. `setRound`
/// appends round `last + 1` (from 1) of the current phase, with `answeredInRound` its own id;
/// `startPhase` opens a later phase whose first round is aggregator round 1, so the
/// predecessor of a round is `roundId - 1` in the same phase and a phase's first round has
/// none. `latestRoundData` and `getRoundData` revert with `NoDataPresent()` when there is no
/// such round, as Chainlink's aggregators do.
contract TestFeed {
    struct Round {
        bool exists;
        int256 answer;
        uint256 startedAt;
        uint256 updatedAt;
    }

    /// @notice What `version()` answers (Chainlink's current aggregators answer 4).
    uint256 public constant version = 4;
    /// @notice A constant description.
    string public constant description = "keel test feed";

    /// @notice The answers' decimals.
    uint8 public immutable decimals;
    /// @notice The current phase.
    uint16 public phaseId;

    uint64 private _lastRound;
    mapping(uint256 => Round) private _rounds;

    /// @notice Chainlink's event for a new answer.
    event AnswerUpdated(int256 indexed current, uint256 indexed roundId, uint256 updatedAt);

    /// @notice No round with that id (or no round at all).
    error NoDataPresent();
    /// @notice `startPhase` with a phase id not above the current one.
    error PhaseNotIncreasing(uint16 current, uint16 requested);

    constructor(uint8 decimals_) {
        decimals = decimals_;
    }

    /// @notice Anyone (test-only): appends a round; its id.
    function setRound(int256 answer, uint256 startedAt, uint256 updatedAt) external returns (uint80) {
        uint64 round = _lastRound + 1;
        _lastRound = round;
        uint256 id = _roundId(phaseId, round);
        _rounds[id] = Round(true, answer, startedAt, updatedAt);
        emit AnswerUpdated(answer, id, updatedAt);
        return uint80(id);
    }

    /// @notice Anyone (test-only): opens phase `phase` (above the current one); its first
    /// round will be aggregator round 1.
    function startPhase(uint16 phase) external {
        if (phase <= phaseId) revert PhaseNotIncreasing(phaseId, phase);
        phaseId = phase;
        _lastRound = 0;
    }

    /// @notice The last round (`NoDataPresent()` before the first).
    function latestRoundData() external view returns (uint80, int256, uint256, uint256, uint80) {
        if (_lastRound == 0) revert NoDataPresent();
        return _round(_roundId(phaseId, _lastRound));
    }

    /// @notice Round `roundId` (`NoDataPresent()` when it was never appended).
    function getRoundData(uint80 roundId) external view returns (uint80, int256, uint256, uint256, uint80) {
        return _round(roundId);
    }

    function _roundId(uint16 phase, uint64 round) private pure returns (uint256) {
        return uint256(phase) << 64 | uint256(round);
    }

    function _round(uint256 id) private view returns (uint80, int256, uint256, uint256, uint80) {
        Round storage r = _rounds[id];
        if (!r.exists) revert NoDataPresent();
        return (uint80(id), r.answer, r.startedAt, r.updatedAt, uint80(id));
    }
}
