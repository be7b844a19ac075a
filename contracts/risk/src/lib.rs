//! # keel-risk
//!
//! Keel's risk library: integer fixed-point pricing and the three margin models the vault
//! offers — **isolated**, **cross** (Derive SRM semantics) and **portfolio** (Derive PMRM_2
//! semantics, generalised to several underlyings).
//!
//! The library is `no_std`, allocation-light, deterministic and free of floating point, so the
//! very same code runs inside Stylus contracts (where f32/f64 opcodes are refused at
//! activation), in the keeper and in the `keel` CLI, and gives bit-identical answers in all.
//!
//! Layout:
//! * [`fixed`] — the [`Wad`] 18-decimal fixed-point type and exact 256-bit mul-div;
//! * [`liquidation`] — the Dutch auction's discount, fill cap and payment;
//! * [`lst`] — the LST depeg guard's rules (CAPO cap, market rate, depeg status, add-on);
//! * [`math`] — exp, ln, sqrt, the normal CDF, Black-76 (price, delta, vega) and SVI;
//! * [`model`] — the margin models and the account description they share;
//! * [`oracle`] — the oracle adapter's rules (feed validation, confidence, sequencer status,
//!   expiry-data bounds, settlement rounds).
#![cfg_attr(not(any(feature = "std", test)), no_std)]
#![cfg_attr(not(test), deny(clippy::float_arithmetic))]
#![warn(missing_docs)]

extern crate alloc;

pub mod error;
pub mod fixed;
pub mod liquidation;
pub mod lst;
pub mod math;
pub mod model;
pub mod oracle;

pub use error::RiskError;
pub use fixed::{Wad, WAD};
