//! The risk admin's settings this module serves: collateral listings, the risk parameters
//! (stored in a data contract), the haircut add-ons and the per-account limits. Each has hard
//! bounds; reads are open to anyone.
//!
//! ## Risk parameters
//!
//! `setRiskParams(bytes)` takes the **parameters section** of keel-risk's snapshot wire
//! format (`keel_risk::model::snapshot::encode_params`). It must pass
//! `keel_risk::model::snapshot::validate_params` — decode (`InvalidRiskParams(1)`) and stay
//! within every hard bound (`InvalidRiskParams(code)`, the `ParamsError` codes) — and hold
//! at least one SRM set per listed underlying (`InvalidRiskParams(12)`). The bytes are then deployed as the code of a new data contract,
//! `0x00 ‖ params` (init code [`crate::DATA_INIT_PREFIX`] ‖ runtime, `create1`), whose address
//! is stored in `params_data`; every snapshot appends them read back with `EXTCODECOPY`
//! (about 2.6k gas for a 1 kB set, where 34 storage reads would cost about 70k). The SRM set
//! count is recorded (`VaultState::set_srm_sets`) for the trading module's underlying bound.
//! `riskParams()` answers empty bytes until a set is stored.

use alloc::vec::Vec;

use alloy_primitives::{Address, U256};
use alloy_sol_types::{SolError, SolEvent};
use keel_risk::model::snapshot::{validate_params, ParamsError};
use keel_vault_state::abi::*;
use keel_vault_state::pack::{address_word, asset_word, pair, DEPEG_GUARDED, LISTED};
use keel_vault_state::MAX_POSITIONS_BOUND;
use keel_vault_state::{token, Collateral, Revert, MAX_CAP, MAX_EXPIRIES_BOUND, MAX_HAIRCUT};
use stylus_sdk::deploy::RawDeploy;
use stylus_sdk::prelude::*;

use crate::{
    uword, MarginModule, Result, BAD_CONFIDENCE_SLOPE, BAD_MAX_EXPIRIES, BAD_MAX_POSITIONS,
    BAD_VOL_FLOOR, BAD_VOL_SLOPE, DATA_INIT_PREFIX, GUARDED_WITHOUT_UNDERLYING, MAX_SLOPE,
    MAX_VOL_FLOOR,
};

/// `InvalidParameter(which)`.
pub fn invalid_parameter(which: u8) -> Revert {
    Revert::with(InvalidParameter::SELECTOR, &[uword(u128::from(which))])
}

fn invalid_params(e: ParamsError) -> Revert {
    Revert::with(InvalidRiskParams::SELECTOR, &[uword(e as u128)])
}

/// The haircut add-ons as stored (wads).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AddOns {
    /// `volFloor`.
    pub vol_floor: u128,
    /// `volSlope`.
    pub vol_slope: u128,
    /// `confidenceSlope`.
    pub confidence_slope: u128,
}

impl MarginModule {
    /// `Ok` when `a` is non-zero and has code.
    fn contract_at(&self, a: Address) -> Result<()> {
        if a.is_zero() {
            return Err(Revert::zero_address());
        }
        if self.vm().code_size(a) == 0 {
            return Err(Revert::at(NotAContract::SELECTOR, a));
        }
        Ok(())
    }

    /// Risk admin only: lists `asset` or changes its parameters (decimals are read at the
    /// first listing only). A cap lowered below current balances only blocks new deposits.
    pub fn list_collateral(&mut self, asset: Address, c: Collateral) -> Result<u8> {
        self.only_risk_admin()?;
        self.contract_at(asset)?;
        if c.mm_haircut > c.im_haircut || c.im_haircut > MAX_HAIRCUT {
            return Err(Revert::with(
                InvalidHaircuts::SELECTOR,
                &[uword(c.im_haircut), uword(c.mm_haircut)],
            ));
        }
        if c.account_cap == 0 || c.account_cap > c.asset_cap || c.asset_cap > MAX_CAP {
            return Err(Revert::with(
                InvalidCaps::SELECTOR,
                &[uword(c.asset_cap), uword(c.account_cap)],
            ));
        }
        // The guard's rate is in units of the risk-cancelling underlying.
        if c.depeg_guarded && c.underlying.is_zero() {
            return Err(invalid_parameter(GUARDED_WITHOUT_UNDERLYING));
        }
        // Decimals are read once, at the first listing: balances are stored in 18 decimals
        // and converted with them, so they never change afterwards.
        let current = self.collateral(asset);
        let decimals = if current.listed {
            current.decimals
        } else {
            token::decimals(self.vm(), asset)?
        };
        if decimals > keel_risk::oracle::MAX_FEED_DECIMALS {
            return Err(Revert::unsupported_decimals(decimals));
        }
        let flags = LISTED | if c.depeg_guarded { DEPEG_GUARDED } else { 0 };
        let mut slot = self.assets.setter(asset);
        slot.w0.set(asset_word(c.underlying, decimals, flags));
        slot.w1.set(pair(c.im_haircut, c.mm_haircut));
        slot.w2.set(pair(c.asset_cap, c.account_cap));
        self.emit(
            &[CollateralListed::SIGNATURE_HASH, address_word(asset).into()],
            &[
                uword(u128::from(decimals)),
                uword(c.im_haircut),
                uword(c.mm_haircut),
                uword(c.asset_cap),
                uword(c.account_cap),
                address_word(c.underlying),
                uword(u128::from(c.depeg_guarded)),
            ],
        );
        Ok(decimals)
    }

    /// Risk admin only: validates and stores an encoded parameter set (see the module docs);
    /// returns the data contract's address.
    pub fn set_risk_params(&mut self, params: &[u8]) -> Result<Address> {
        self.only_risk_admin()?;
        let sets = validate_params(params).map_err(invalid_params)?;
        if sets < self.underlying_count() {
            return Err(invalid_params(ParamsError::TooFewSrmSets));
        }
        let mut init = Vec::with_capacity(DATA_INIT_PREFIX.len() + 1 + params.len());
        init.extend_from_slice(DATA_INIT_PREFIX);
        init.push(0x00);
        init.extend_from_slice(params);
        // SAFETY: the init code only copies and returns its tail; it calls nothing, so no
        // storage reference held here can be aliased.
        #[allow(unsafe_code)]
        let data =
            unsafe { RawDeploy::new().deploy(self.vm(), &init, U256::ZERO) }.map_err(Revert)?;
        self.params_data.set(data);
        // `validate_params` bounds the count by MAX_UNDERLYINGS (16).
        self.set_srm_sets(sets as u8);
        self.emit(
            &[RiskParamsSet::SIGNATURE_HASH, address_word(data).into()],
            &[uword(params.len() as u128)],
        );
        Ok(data)
    }

    /// The stored parameter bytes (empty when none are set).
    pub fn risk_params(&self) -> Vec<u8> {
        let data = self.params_data.get();
        if data.is_zero() {
            return Vec::new();
        }
        let code = self.vm().code(data);
        code.get(1..).map(<[u8]>::to_vec).unwrap_or_default()
    }

    /// Risk admin only: sets the haircut add-ons (`volFloor ≤ 10`, slopes ≤ 1, wads). They
    /// are stored in one word (`add_ons.w0`), 64 bits each: volFloor, volSlope,
    /// confidenceSlope from the low end.
    pub fn set_haircut_add_ons(&mut self, a: AddOns) -> Result<()> {
        self.only_risk_admin()?;
        let code = if a.vol_floor > MAX_VOL_FLOOR {
            BAD_VOL_FLOOR
        } else if a.vol_slope > MAX_SLOPE {
            BAD_VOL_SLOPE
        } else if a.confidence_slope > MAX_SLOPE {
            BAD_CONFIDENCE_SLOPE
        } else {
            0
        };
        if code != 0 {
            return Err(invalid_parameter(code));
        }
        let (f, v, c) = (
            a.vol_floor as u64,
            a.vol_slope as u64,
            a.confidence_slope as u64,
        );
        self.add_ons.w0.set(U256::from_limbs([f, v, c, 0]));
        self.emit(
            &[HaircutAddOnsSet::SIGNATURE_HASH],
            &[f, v, c].map(|x| uword(u128::from(x))),
        );
        Ok(())
    }

    /// The haircut add-ons (zero until set).
    pub fn haircut_add_ons(&self) -> AddOns {
        let [f, v, c, _] = *self.add_ons.w0.get().as_limbs();
        AddOns {
            vol_floor: u128::from(f),
            vol_slope: u128::from(v),
            confidence_slope: u128::from(c),
        }
    }

    /// Risk admin only: sets the per-account limits (`1..=160` positions, `1..=30` expiries).
    pub fn set_limits(&mut self, max_positions: u8, max_expiries: u8) -> Result<()> {
        self.only_risk_admin()?;
        if max_positions == 0 || max_positions > MAX_POSITIONS_BOUND {
            return Err(invalid_parameter(BAD_MAX_POSITIONS));
        }
        if max_expiries == 0 || max_expiries > MAX_EXPIRIES_BOUND {
            return Err(invalid_parameter(BAD_MAX_EXPIRIES));
        }
        self.set_limits_word(max_positions, max_expiries);
        self.emit(
            &[LimitsSet::SIGNATURE_HASH],
            &[
                uword(u128::from(max_positions)),
                uword(u128::from(max_expiries)),
            ],
        );
        Ok(())
    }
}
