//! The deployment file (`deploy/*.toml`): what `keel deploy` wires and configures, read and
//! checked before any transaction is sent. Every field is documented in `deploy/local.toml`;
//! an unknown key, a value out of its bounds or a name that refers to nothing is an error
//! naming the field.

use std::collections::BTreeMap;
use std::path::Path;

use alloy::primitives::{Address, U256};
use anyhow::{anyhow, bail, Context, Result};
use keel_risk::fixed::Wad;
use serde::Deserialize;

/// The whole file.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeployConfig {
    /// The chain the file is for; `keel deploy` refuses an RPC on another.
    pub chain_id: u64,
    /// Namespace of the CREATE2 salts: another value deploys a second, independent Keel.
    #[serde(default = "default_salt")]
    pub salt: String,
    /// Role holders.
    pub roles: Roles,
    /// Oracle adapter settings.
    pub oracle: OracleConfig,
    /// Risk parameters and limits.
    pub risk: RiskConfig,
    /// Dutch-auction parameters.
    pub liquidation: LiquidationConfig,
    /// Haircut add-ons on top of every listed haircut; absent: the vault's are left as they are.
    #[serde(default)]
    pub haircut_add_ons: Option<HaircutAddOnsConfig>,
    /// The symbol (a key of `assets`) of the settlement asset.
    pub settlement_asset: String,
    /// Assets by symbol: token, price feed, collateral listing.
    pub assets: BTreeMap<String, AssetConfig>,
    /// Underlyings by name: which asset's price they follow, stress vol, expiry bounds.
    #[serde(default)]
    pub underlyings: BTreeMap<String, UnderlyingConfig>,
    /// Markets authorised to call `settleTrade` (addresses).
    #[serde(default)]
    pub markets: Vec<Address>,
    /// Deploy Keel's reference RFQ market (`market/src/RfqMarket.sol`) and authorise it.
    #[serde(default)]
    pub rfq_market: bool,
}

fn default_salt() -> String {
    "keel".to_string()
}

/// Who holds a role: the deploying account, or an address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    /// The account `keel deploy` sends from.
    Deployer,
    /// A fixed address.
    At(Address),
}

impl<'de> Deserialize<'de> for Who {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if text == "deployer" {
            return Ok(Who::Deployer);
        }
        text.parse().map(Who::At).map_err(|_| {
            serde::de::Error::custom(format!("`{text}` is neither \"deployer\" nor an address"))
        })
    }
}

impl Who {
    /// The address, given the deployer's.
    pub fn resolve(self, deployer: Address) -> Address {
        match self {
            Who::Deployer => deployer,
            Who::At(a) => a,
        }
    }
}

/// Where a token or feed comes from: deployed here from `solidity/` (local chains only), or an
/// existing contract.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    /// `"local"`: `keel deploy` deploys `solidity/TestToken.sol` / `TestFeed.sol`.
    Local,
    /// An existing contract.
    At(Address),
}

impl<'de> Deserialize<'de> for Source {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        if text == "local" {
            return Ok(Source::Local);
        }
        text.parse().map(Source::At).map_err(|_| {
            serde::de::Error::custom(format!("`{text}` is neither \"local\" nor an address"))
        })
    }
}

/// Role holders (the deployer owns everything while it configures).
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Roles {
    /// The vault's risk admin.
    pub risk_admin: Who,
    /// The vault's guardian (pause).
    pub guardian: Who,
    /// Offered ownership of the vault, the oracle adapter and the depeg guard last (two-step:
    /// it must call `acceptOwnership`).
    #[serde(default)]
    pub final_owner: Option<Who>,
}

/// Oracle adapter settings.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OracleConfig {
    /// Arbitrum's sequencer uptime feed (`"local"`: a TestFeed answering 0 = up). Absent on
    /// chains without one (Arbitrum Sepolia): the adapter then does not check the sequencer.
    #[serde(default)]
    pub sequencer_feed: Option<Source>,
    /// Seconds after the sequencer comes back during which prices are not trusted.
    pub grace_period: u64,
    /// Accounts allowed to push expiry data (forward, rate, SVI).
    #[serde(default)]
    pub feeders: Vec<Who>,
}

/// Risk parameters and limits.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RiskConfig {
    /// The margin models' parameters: `"keel-default"` (keel-risk's `RiskParams::keel_default`,
    /// its cross-margin set repeated for every listed underlying).
    pub params: String,
    /// Positions per account (at most keel-risk's `MAX_POSITIONS`).
    pub max_positions: u8,
    /// Expiries per account.
    pub max_expiries: u8,
    /// The portfolio grid's deepest full-weight spot down-shock (ξ in (0, 1), e.g. "0.75")
    /// in place of keel-default's 0.82: portfolios are then margined for a larger fall between
    /// two keeper rounds (see `keel stress`). Unset: keel-default.
    #[serde(default)]
    pub portfolio_down_shock: Option<String>,
}

/// Dutch-auction parameters.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LiquidationConfig {
    /// Discount at the auction's start (fraction, e.g. "0.02").
    pub start_discount: String,
    /// Discount at its end.
    pub end_discount: String,
    /// Seconds from start to end discount.
    pub duration: u64,
    /// Margin buffer a bid must restore (fraction).
    pub buffer: String,
}

/// The vault's haircut add-ons: `vol_slope * max(0, vol - vol_floor) + confidence_slope *
/// (1 - oracle confidence)`, plus the depeg guard's.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HaircutAddOnsConfig {
    /// Vol below which no add-on applies (at most 10).
    pub vol_floor: String,
    /// Haircut per unit of vol above the floor (at most 1).
    pub vol_slope: String,
    /// Haircut per unit of missing oracle confidence (at most 1).
    pub confidence_slope: String,
}

/// One asset.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssetConfig {
    /// The ERC-20 (`"local"`: deploy `solidity/TestToken.sol`).
    pub token: Source,
    /// Its decimals (checked against the token's on a non-local token).
    pub decimals: u8,
    /// Its Chainlink USD price feed (`"local"`: deploy `solidity/TestFeed.sol`, 8 decimals).
    pub feed: Source,
    /// A local feed's first answer, in USD (e.g. "2000").
    #[serde(default)]
    pub price: Option<String>,
    /// The feed's heartbeat in seconds: older answers are stale.
    pub heartbeat: u64,
    /// Largest deviation between primary and secondary feed (fraction).
    pub max_deviation: String,
    /// Confidence below which prices are refused (fraction).
    pub confidence_floor: String,
    /// Its collateral listing; absent: priced, not accepted as collateral.
    #[serde(default)]
    pub collateral: Option<CollateralConfig>,
    /// The LST depeg guard's sources for it (a liquid-staking token).
    #[serde(default)]
    pub depeg: Option<DepegConfig>,
}

/// What the LST depeg guard reads for one asset: its fundamental rate, a CAPO cap on it, a
/// market rate, and the depeg thresholds.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepegConfig {
    /// The fundamental rate feed (underlying token per token; `"local"`: a TestFeed, 18
    /// decimals, answering `rate`).
    pub rate_feed: Source,
    /// A local rate feed's first answer (e.g. "1.15").
    #[serde(default)]
    pub rate: Option<String>,
    /// Seconds a rate answer stays valid.
    pub rate_max_age: u64,
    /// The CAPO snapshot ratio (observed when first set).
    pub capo_ratio: String,
    /// The CAPO cap's largest yearly growth (fraction).
    pub capo_max_yearly_growth: String,
    /// The market feed (`"local"`: a TestFeed, 18 decimals, answering `market_price`); absent:
    /// none.
    #[serde(default)]
    pub market_feed: Option<Source>,
    /// A local market feed's first answer.
    #[serde(default)]
    pub market_price: Option<String>,
    /// Seconds a market answer stays valid.
    #[serde(default)]
    pub market_max_age: u64,
    /// What the market feed prices: "asset" (the token, in the underlying) or
    /// "underlying-token" (the token the fundamental rate is in).
    #[serde(default = "default_quote")]
    pub market_quote: String,
    /// Warning threshold in bps (0 with the next two: the guard's defaults).
    #[serde(default)]
    pub warning_bps: u16,
    /// Depegged threshold in bps.
    #[serde(default)]
    pub depegged_bps: u16,
    /// Haircut add-on slope (fraction).
    #[serde(default = "zero")]
    pub add_on_slope: String,
}

fn default_quote() -> String {
    "asset".into()
}

fn zero() -> String {
    "0".into()
}

/// A collateral listing.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CollateralConfig {
    /// Initial-margin haircut (fraction, below 1).
    pub im_haircut: String,
    /// Maintenance-margin haircut (fraction, at most the IM haircut).
    pub mm_haircut: String,
    /// Most of the asset the vault accepts in all (whole units).
    pub asset_cap: String,
    /// Most one account may hold (whole units).
    pub account_cap: String,
    /// The underlying (a key of `underlyings`) whose risk this asset cancels.
    #[serde(default)]
    pub risk_cancelling: Option<String>,
    /// Whether the LST depeg guard prices it.
    #[serde(default)]
    pub depeg_guarded: bool,
}

/// An underlying.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnderlyingConfig {
    /// The asset (a key of `assets`) whose address and price feed identify it.
    pub asset: String,
    /// Stress volatility (fraction, e.g. "0.8").
    pub stress_vol: String,
    /// Bounds on pushed expiry data.
    pub expiry: ExpiryConfig,
}

/// Bounds on pushed expiry data.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpiryConfig {
    /// Lowest accepted vol (fraction).
    pub min_vol: String,
    /// Highest accepted vol.
    pub max_vol: String,
    /// Largest distance of a forward from spot (fraction).
    pub forward_band: String,
    /// Largest rate.
    pub max_rate: String,
    /// Seconds after which pushed data is stale.
    pub heartbeat: u64,
    /// Confidence floor (fraction).
    pub confidence_floor: String,
}

/// A fraction or amount in 18 decimals, parsed from the field named `field`.
pub fn wad(field: &str, text: &str) -> Result<U256> {
    let value = Wad::parse_decimal(text)
        .map_err(|e| anyhow!("{field}: `{text}` is not a decimal number ({e:?})"))?;
    let raw = value.raw();
    if raw < 0 {
        bail!("{field}: `{text}` is negative");
    }
    Ok(U256::from(raw as u128))
}

/// [`wad`], at most `max`.
fn bounded(field: &str, text: &str, max: u128) -> Result<U256> {
    let value = wad(field, text)?;
    if value > U256::from(max) {
        bail!("{field}: `{text}` is above its bound {}", max as f64 / 1e18);
    }
    Ok(value)
}

const ONE: u128 = 1_000_000_000_000_000_000;

impl DeployConfig {
    /// The risk parameters the vault is given: keel-risk's defaults, with one cross-margin
    /// (SRM) set per listed underlying — the vault lists an underlying only when the
    /// parameters hold a set for its index.
    pub fn risk_params(&self) -> keel_risk::model::account::RiskParams {
        let mut params = keel_risk::model::account::RiskParams::keel_default();
        if let Some(first) = params.cross_markets.first().cloned() {
            let n = self.underlyings.len().max(1);
            params.cross_markets.resize(n, first);
        }
        if let Some(xi) = self
            .risk
            .portfolio_down_shock
            .as_deref()
            .and_then(|text| Wad::parse_decimal(text).ok())
        {
            let deepest = params
                .portfolio
                .scenarios
                .iter_mut()
                .filter(|s| s.dampening == Wad::ONE && s.spot_shock < Wad::ONE)
                .min_by_key(|s| s.spot_shock);
            if let Some(scenario) = deepest {
                scenario.spot_shock = xi;
            }
        }
        params
    }

    /// Reads and checks `path`.
    pub fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let config: DeployConfig =
            toml::from_str(&text).map_err(|e| anyhow!("{}: {e}", path.display()))?;
        config
            .check()
            .with_context(|| format!("{}", path.display()))?;
        Ok(config)
    }

    /// Every bound and cross-reference, naming the field at fault.
    pub fn check(&self) -> Result<()> {
        if self.risk.params != "keel-default" {
            bail!(
                "risk.params: `{}` is unknown (known: \"keel-default\")",
                self.risk.params
            );
        }
        if let Some(text) = &self.risk.portfolio_down_shock {
            let field = "risk.portfolio_down_shock";
            let xi = wad(field, text)?;
            if xi.is_zero() || xi >= U256::from(ONE) {
                bail!("{field}: `{text}` is not a spot multiplier in (0, 1)");
            }
            self.risk_params()
                .portfolio
                .validate()
                .map_err(|e| anyhow!("{field}: `{text}` makes a grid keel-risk refuses ({e:?})"))?;
        }
        let max_positions = keel_risk::model::snapshot::MAX_POSITIONS;
        if usize::from(self.risk.max_positions) > max_positions || self.risk.max_positions == 0 {
            bail!(
                "risk.max_positions: {} is outside 1..={max_positions}",
                self.risk.max_positions
            );
        }
        if self.risk.max_expiries == 0 {
            bail!("risk.max_expiries: must be at least 1");
        }
        let l = &self.liquidation;
        let start = bounded("liquidation.start_discount", &l.start_discount, ONE)?;
        let end = bounded("liquidation.end_discount", &l.end_discount, ONE / 2)?;
        if !(60..=7 * 86_400).contains(&l.duration) {
            bail!(
                "liquidation.duration: {} s is outside 60 s ..= 7 days",
                l.duration
            );
        }
        if end < start {
            bail!("liquidation.end_discount: below start_discount");
        }
        bounded("liquidation.buffer", &l.buffer, ONE)?;
        if let Some(h) = &self.haircut_add_ons {
            bounded("haircut_add_ons.vol_floor", &h.vol_floor, 10 * ONE)?;
            bounded("haircut_add_ons.vol_slope", &h.vol_slope, ONE)?;
            bounded("haircut_add_ons.confidence_slope", &h.confidence_slope, ONE)?;
        }
        if !self.assets.contains_key(&self.settlement_asset) {
            bail!(
                "settlement_asset: `{}` is not a key of [assets]",
                self.settlement_asset
            );
        }
        for (symbol, asset) in &self.assets {
            let field = |f: &str| format!("assets.{symbol}.{f}");
            if asset.decimals > 36 {
                bail!("{}: {} is above 36", field("decimals"), asset.decimals);
            }
            if asset.feed == Source::Local {
                let price = asset.price.as_deref().ok_or_else(|| {
                    anyhow!("{}: a local feed needs a first price", field("price"))
                })?;
                if wad(&field("price"), price)?.is_zero() {
                    bail!("{}: must be positive", field("price"));
                }
            }
            if asset.heartbeat == 0 {
                bail!("{}: must be positive", field("heartbeat"));
            }
            bounded(&field("max_deviation"), &asset.max_deviation, ONE)?;
            bounded(&field("confidence_floor"), &asset.confidence_floor, ONE)?;
            if let Some(c) = &asset.collateral {
                let im = bounded(&field("collateral.im_haircut"), &c.im_haircut, ONE - 1)?;
                let mm = bounded(&field("collateral.mm_haircut"), &c.mm_haircut, ONE - 1)?;
                if mm > im {
                    bail!("{}: above im_haircut", field("collateral.mm_haircut"));
                }
                wad(&field("collateral.asset_cap"), &c.asset_cap)?;
                wad(&field("collateral.account_cap"), &c.account_cap)?;
                if let Some(u) = &c.risk_cancelling {
                    if !self.underlyings.contains_key(u) {
                        bail!(
                            "{}: `{u}` is not a key of [underlyings]",
                            field("collateral.risk_cancelling")
                        );
                    }
                }
            }
        }
        for (symbol, asset) in &self.assets {
            let Some(d) = &asset.depeg else { continue };
            let field = |f: &str| format!("assets.{symbol}.depeg.{f}");
            if d.rate_feed == Source::Local {
                let rate = d.rate.as_deref().ok_or_else(|| {
                    anyhow!("{}: a local rate feed needs a first rate", field("rate"))
                })?;
                wad(&field("rate"), rate)?;
            }
            if wad(&field("capo_ratio"), &d.capo_ratio)?.is_zero() {
                bail!("{}: must be positive", field("capo_ratio"));
            }
            bounded(
                &field("capo_max_yearly_growth"),
                &d.capo_max_yearly_growth,
                ONE,
            )?;
            if d.market_feed == Some(Source::Local) {
                let price = d.market_price.as_deref().ok_or_else(|| {
                    anyhow!(
                        "{}: a local market feed needs a first price",
                        field("market_price")
                    )
                })?;
                wad(&field("market_price"), price)?;
            }
            if !matches!(d.market_quote.as_str(), "asset" | "underlying-token") {
                bail!(
                    "{}: `{}` is neither \"asset\" nor \"underlying-token\"",
                    field("market_quote"),
                    d.market_quote
                );
            }
            if d.warning_bps > d.depegged_bps || d.depegged_bps > 10_000 {
                bail!(
                    "{}: thresholds must satisfy warning_bps <= depegged_bps <= 10000",
                    field("depegged_bps")
                );
            }
            bounded(&field("add_on_slope"), &d.add_on_slope, 100 * ONE)?;
        }
        for (name, u) in &self.underlyings {
            let field = |f: &str| format!("underlyings.{name}.{f}");
            if !self.assets.contains_key(&u.asset) {
                bail!("{}: `{}` is not a key of [assets]", field("asset"), u.asset);
            }
            bounded(&field("stress_vol"), &u.stress_vol, 10 * ONE)?;
            let e = &u.expiry;
            let min = wad(&field("expiry.min_vol"), &e.min_vol)?;
            let max = bounded(&field("expiry.max_vol"), &e.max_vol, 10 * ONE)?;
            if min > max {
                bail!("{}: above max_vol", field("expiry.min_vol"));
            }
            bounded(&field("expiry.forward_band"), &e.forward_band, ONE)?;
            bounded(&field("expiry.max_rate"), &e.max_rate, ONE)?;
            bounded(&field("expiry.confidence_floor"), &e.confidence_floor, ONE)?;
            if e.heartbeat == 0 {
                bail!("{}: must be positive", field("expiry.heartbeat"));
            }
        }
        Ok(())
    }

    /// Whether the file deploys test tokens or feeds (allowed on local chains only).
    pub fn has_local_sources(&self) -> bool {
        self.oracle.sequencer_feed == Some(Source::Local)
            || self.assets.values().any(|a| {
                a.token == Source::Local
                    || a.feed == Source::Local
                    || a.depeg.as_ref().is_some_and(|d| {
                        d.rate_feed == Source::Local || d.market_feed == Some(Source::Local)
                    })
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn local() -> DeployConfig {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/local.toml"))
                .unwrap();
        toml::from_str(&text).unwrap()
    }

    #[test]
    fn the_local_file_is_valid() {
        local().check().unwrap();
    }

    #[test]
    fn the_arbitrum_sepolia_example_is_valid_and_deploys_nothing_local() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../deploy/arbitrum-sepolia.toml"
        );
        let config = DeployConfig::load(std::path::Path::new(path)).unwrap();
        assert_eq!(config.chain_id, 421_614);
        assert!(!config.has_local_sources());
        assert!(config.oracle.sequencer_feed.is_none());
    }

    #[test]
    fn an_unknown_key_is_named() {
        let text =
            std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/local.toml"))
                .unwrap();
        let bad = text.replace("[roles]\n", "[roles]\nrisk_admn = \"deployer\"\n");
        let err = toml::from_str::<DeployConfig>(&bad)
            .unwrap_err()
            .to_string();
        assert!(err.contains("risk_admn"), "{err}");
    }

    #[test]
    fn a_haircut_beyond_its_bound_is_named() {
        let mut config = local();
        let usdc = config.assets.get_mut("USDC").unwrap();
        usdc.collateral.as_mut().unwrap().im_haircut = "1.5".into();
        let err = config.check().unwrap_err().to_string();
        assert!(err.contains("assets.USDC.collateral.im_haircut"), "{err}");
    }

    #[test]
    fn a_dangling_reference_is_named() {
        let mut config = local();
        config.settlement_asset = "EUR".into();
        let err = config.check().unwrap_err().to_string();
        assert!(err.contains("settlement_asset"), "{err}");
    }

    #[test]
    fn a_deeper_portfolio_down_shock_replaces_the_deepest_full_weight_one() {
        let default = local().risk_params().portfolio.scenarios;
        let mut config = local();
        config.risk.portfolio_down_shock = Some("0.75".into());
        config.check().unwrap();
        let deeper = config.risk_params().portfolio.scenarios;
        assert_eq!(deeper.len(), default.len());
        let changed: Vec<_> = default
            .iter()
            .zip(&deeper)
            .filter(|(a, b)| a != b)
            .collect();
        assert_eq!(changed.len(), 1, "one scenario moves");
        let (before, after) = changed[0];
        assert_eq!(before.spot_shock, Wad::parse_decimal("0.82").unwrap());
        assert_eq!(after.spot_shock, Wad::parse_decimal("0.75").unwrap());
        assert_eq!(
            (before.vol_shock, before.dampening),
            (after.vol_shock, after.dampening)
        );
        for bad in ["1", "1.2", "0", "-0.5", "deep"] {
            config.risk.portfolio_down_shock = Some(bad.into());
            let err = config.check().unwrap_err().to_string();
            assert!(err.contains("risk.portfolio_down_shock"), "{bad}: {err}");
        }
    }
}
