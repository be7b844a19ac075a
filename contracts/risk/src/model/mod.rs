//! Margin models: isolated, cross, portfolio.

pub mod account;
pub mod cross;
pub mod haircut;
pub mod isolated;
pub mod portfolio;
pub mod snapshot;
