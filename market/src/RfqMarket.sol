// SPDX-License-Identifier: MIT OR Apache-2.0
pragma solidity ^0.8.24;

import {IMarginVault} from "@keel/IMarginVault.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";

/// @title RfqMarket
/// @notice Keel's reference request-for-quote market, what a protocol integrating Keel would
/// write: a maker signs an EIP-712 quote off-chain, a taker fills it on-chain, and the market
/// settles the trade between their accounts through the vault's `settleTrade` (the vault checks
/// both accounts' margin).
/// @dev A quote is the maker's: `size` is what the taker receives (signed; the maker receives
/// `-size`), at `price` per unit in the settlement asset, with each side's fee. The signer must
/// own or operate the maker account, the caller the taker account. A quote fills once: its
/// nonce is spent (a maker can also spend one with `cancel`), and not after its deadline.
contract RfqMarket is EIP712 {
    /// @notice A maker's signed offer.
    struct Quote {
        uint256 instrument;
        uint256 maker;
        int256 size;
        uint256 price;
        uint256 makerFee;
        uint256 takerFee;
        uint256 deadline;
        uint256 nonce;
    }

    /// @notice The EIP-712 type hash of `Quote`.
    bytes32 public constant QUOTE_TYPEHASH = keccak256(
        "Quote(uint256 instrument,uint256 maker,int256 size,uint256 price,uint256 makerFee,uint256 takerFee,uint256 deadline,uint256 nonce)"
    );

    /// @notice The vault trades settle in.
    IMarginVault public immutable vault;

    /// @notice Whether `signer` has spent `nonce`.
    mapping(address signer => mapping(uint256 nonce => bool)) public nonceUsed;

    /// @notice A quote was filled.
    event QuoteFilled(
        bytes32 indexed quoteHash, address indexed maker, address indexed taker, uint256 makerAccount, uint256 takerAccount
    );
    /// @notice `signer` spent `nonce` without a fill.
    event QuoteCancelled(address indexed signer, uint256 nonce);

    /// @notice The quote's deadline has passed.
    error QuoteExpired(uint256 deadline);
    /// @notice The signer already spent this nonce.
    error NonceUsed(address signer, uint256 nonce);
    /// @notice The signer neither owns nor operates the maker account.
    error NotMakerAccount(address signer, uint256 account);
    /// @notice The caller neither owns nor operates the taker account.
    error NotTakerAccount(address caller, uint256 account);

    constructor(IMarginVault vault_) EIP712("Keel RFQ", "1") {
        vault = vault_;
    }

    /// @notice The EIP-712 digest a maker signs for `quote`.
    function quoteDigest(Quote calldata quote) public view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(QUOTE_TYPEHASH, quote)));
    }

    /// @notice Fills `quote`, signed by its maker, into the caller's account `takerAccount`.
    function fill(Quote calldata quote, bytes calldata signature, uint256 takerAccount) external {
        // A deadline is coarse by design: a sequencer may skew time by seconds, not hours.
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp > quote.deadline) revert QuoteExpired(quote.deadline);
        bytes32 digest = quoteDigest(quote);
        address signer = ECDSA.recover(digest, signature);
        if (nonceUsed[signer][quote.nonce]) revert NonceUsed(signer, quote.nonce);
        if (!_controls(signer, quote.maker)) revert NotMakerAccount(signer, quote.maker);
        if (!_controls(msg.sender, takerAccount)) revert NotTakerAccount(msg.sender, takerAccount);
        nonceUsed[signer][quote.nonce] = true;
        vault.settleTrade(
            IMarginVault.Trade({
                instrument: quote.instrument,
                taker: takerAccount,
                maker: quote.maker,
                size: quote.size,
                price: quote.price,
                takerFee: quote.takerFee,
                makerFee: quote.makerFee
            })
        );
        emit QuoteFilled(digest, signer, msg.sender, quote.maker, takerAccount);
    }

    /// @notice Spends the caller's `nonce`: no quote signed with it can fill any more.
    function cancel(uint256 nonce) external {
        nonceUsed[msg.sender][nonce] = true;
        emit QuoteCancelled(msg.sender, nonce);
    }

    function _controls(address who, uint256 id) private view returns (bool) {
        (address owner,) = vault.account(id);
        return owner == who || vault.isOperator(id, who);
    }
}
