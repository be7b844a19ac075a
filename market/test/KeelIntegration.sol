// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {IMarginVault} from "@keel/IMarginVault.sol";
import {Test} from "keel-test/Test.sol";
import {RfqMarket} from "../src/RfqMarket.sol";
import {KeelDeployment as Keel} from "./KeelDeployment.sol";

/// @notice The local test tokens' open mint (solidity/TestToken.sol).
interface IMintable {
    function mint(address to, uint256 amount) external;
}

/// @notice The local Chainlink-style feeds' open update (solidity/TestFeed.sol).
interface IWritableFeed {
    function setRound(int256 answer, uint256 startedAt, uint256 updatedAt) external returns (uint80);
}

/// @title What an integrator's tests share: accounts funded and opened on Keel, the RFQ market
/// operating them, and quotes signed by a maker's key.
abstract contract KeelIntegration is Test {
    uint8 internal constant ISOLATED = 0;
    uint8 internal constant CROSS = 1;
    uint8 internal constant PORTFOLIO = 2;
    uint8 internal constant PERP = 0;

    IMarginVault internal vault = IMarginVault(Keel.VAULT);
    RfqMarket internal market = RfqMarket(Keel.RFQ_MARKET);
    uint256 internal ethPerp;

    address internal maker;
    uint256 internal makerKey;
    uint256 internal makerAccount;
    uint256 internal nextNonce = 1;

    function setUp() public virtual {
        vm.label(Keel.VAULT, "vault");
        vm.label(Keel.RFQ_MARKET, "market");
        vm.label(Keel.USDC, "USDC");
        vm.label(Keel.WETH, "WETH");
        ethPerp = vault.instrumentId(Keel.WETH, PERP, 0, 0);
        (maker, makerKey) = makeAddrAndKey("maker");
        makerAccount = openFunded(maker, PORTFOLIO, 1_000_000e6);
    }

    /// @notice Mints `usdc` (6 decimals) to `owner`, who opens a `mode` account, deposits it
    /// and lets the market trade the account.
    function openFunded(address owner, uint8 mode, uint256 usdc) internal returns (uint256 id) {
        IMintable(Keel.USDC).mint(owner, usdc);
        vm.startPrank(owner);
        id = vault.openAccount(mode);
        IERC20(Keel.USDC).approve(address(vault), usdc);
        vault.deposit(id, Keel.USDC, usdc);
        vault.setOperator(id, address(market), true);
        vm.stopPrank();
    }

    /// @notice The maker's quote to sell `size` (wad) of the ETH perp at `price` (wad USD) to
    /// whoever fills it in the next ten minutes, and its signature.
    function signedQuote(int256 size, uint256 price)
        internal
        returns (RfqMarket.Quote memory quote, bytes memory signature)
    {
        quote = RfqMarket.Quote({
            instrument: ethPerp,
            maker: makerAccount,
            size: size,
            price: price,
            makerFee: 0,
            takerFee: 0,
            deadline: block.timestamp + 600,
            nonce: nextNonce++
        });
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(makerKey, market.quoteDigest(quote));
        signature = abi.encodePacked(r, s, v);
    }

    /// @notice `taker` fills a fresh quote of `size` ETH perps at `price` into `account`.
    function buyPerp(address taker, uint256 account, int256 size, uint256 price) internal {
        (RfqMarket.Quote memory quote, bytes memory signature) = signedQuote(size, price);
        vm.prank(taker);
        market.fill(quote, signature, account);
    }

    /// @notice Sets the ETH/USD feed (8 decimals) to `usd` as of now.
    function setEthPrice(int256 usd) internal {
        IWritableFeed(Keel.WETH_FEED).setRound(usd * 1e8, block.timestamp, block.timestamp);
    }

    /// @notice Account `id`'s position in `instrument` (0 when it has none).
    function positionSize(uint256 id, uint256 instrument) internal view returns (int256) {
        IMarginVault.Position[] memory held = vault.positions(id);
        for (uint256 i = 0; i < held.length; i++) {
            if (held[i].instrument == instrument) return held[i].size;
        }
        return 0;
    }
}
