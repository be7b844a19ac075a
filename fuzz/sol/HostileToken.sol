// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

/// @title HostileToken
/// @notice A test-only ERC-20 that misbehaves on demand, for Keel's fault tests: the tokens a
/// vault meets on mainnet that are not OpenZeppelin's. Anyone may mint and switch its
/// behaviour. Never deploy it where real value is held.
/// @dev Balances are shares times an index (wad) so the token can rebase: `rebase(index)`
/// scales every balance at once (up or down), as stETH-style tokens do. Behaviours, each
/// switched by `setBehaviour`:
/// * `Normal` — a plain ERC-20 returning `true`;
/// * `ReturnsFalse` — `transfer`/`transferFrom` move nothing and return `false`;
/// * `ReturnsNothing` — they move the balances and return no data (USDT-style);
/// * `Paused` — they revert with `TokenPaused()`;
/// * `HugeRevert` — they revert with `revertSize` bytes of revert data;
/// and independently `setBlacklisted(account, true)` makes any transfer from or to `account`
/// revert with `Blacklisted(account)`.
contract HostileToken {
    enum Behaviour {
        Normal,
        ReturnsFalse,
        ReturnsNothing,
        Paused,
        HugeRevert
    }

    uint256 private constant WAD = 1e18;

    /// @notice The token's decimals (any, including 0 and 24).
    uint8 public immutable decimals;
    /// @notice How transfers behave.
    Behaviour public behaviour;
    /// @notice The revert data size of `HugeRevert`.
    uint256 public revertSize;
    /// @notice Balance per share (wad).
    uint256 public index = WAD;
    /// @notice Total shares.
    uint256 public totalShares;
    /// @notice Accounts no transfer may touch.
    mapping(address => bool) public blacklisted;

    mapping(address => uint256) private _shares;
    mapping(address => mapping(address => uint256)) private _allowances;

    /// @notice ERC-20's events.
    event Transfer(address indexed from, address indexed to, uint256 value);
    event Approval(address indexed owner, address indexed spender, uint256 value);

    /// @notice Transfers are paused.
    error TokenPaused();
    /// @notice `account` is blacklisted.
    error Blacklisted(address account);
    /// @notice Not enough balance or allowance.
    error Insufficient(uint256 available, uint256 needed);

    constructor(uint8 decimals_) {
        decimals = decimals_;
    }

    /// @notice Anyone (test-only): creates `amount` tokens for `to`.
    function mint(address to, uint256 amount) external {
        uint256 shares = amount * WAD / index;
        _shares[to] += shares;
        totalShares += shares;
        emit Transfer(address(0), to, amount);
    }

    /// @notice Anyone (test-only): how transfers behave, and `HugeRevert`'s data size.
    function setBehaviour(Behaviour behaviour_, uint256 revertSize_) external {
        behaviour = behaviour_;
        revertSize = revertSize_;
    }

    /// @notice Anyone (test-only): blacklists or clears `account`.
    function setBlacklisted(address account, bool listed) external {
        blacklisted[account] = listed;
    }

    /// @notice Anyone (test-only): every balance becomes `shares × index_ / 1e18`.
    function rebase(uint256 index_) external {
        index = index_;
    }

    function totalSupply() external view returns (uint256) {
        return totalShares * index / WAD;
    }

    function balanceOf(address account) public view returns (uint256) {
        return _shares[account] * index / WAD;
    }

    function allowance(address owner, address spender) external view returns (uint256) {
        return _allowances[owner][spender];
    }

    function approve(address spender, uint256 amount) external returns (bool) {
        _allowances[msg.sender][spender] = amount;
        emit Approval(msg.sender, spender, amount);
        return true;
    }

    function transfer(address to, uint256 amount) external returns (bool) {
        return _transfer(msg.sender, to, amount);
    }

    function transferFrom(address from, address to, uint256 amount) external returns (bool) {
        uint256 allowed = _allowances[from][msg.sender];
        if (allowed < amount) revert Insufficient(allowed, amount);
        if (allowed != type(uint256).max) _allowances[from][msg.sender] = allowed - amount;
        return _transfer(from, to, amount);
    }

    function _transfer(address from, address to, uint256 amount) private returns (bool) {
        Behaviour b = behaviour;
        if (b == Behaviour.Paused) revert TokenPaused();
        if (b == Behaviour.HugeRevert) {
            uint256 size = revertSize;
            assembly {
                revert(0, size)
            }
        }
        if (blacklisted[from]) revert Blacklisted(from);
        if (blacklisted[to]) revert Blacklisted(to);
        if (b == Behaviour.ReturnsFalse) return false;
        uint256 shares = amount * WAD / index;
        uint256 held = _shares[from];
        if (held < shares) revert Insufficient(held * index / WAD, amount);
        _shares[from] = held - shares;
        _shares[to] += shares;
        emit Transfer(from, to, amount);
        if (b == Behaviour.ReturnsNothing) {
            assembly {
                return(0, 0)
            }
        }
        return true;
    }
}
