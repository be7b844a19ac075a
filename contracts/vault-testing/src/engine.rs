//! The simulated margin engines: `margin(bytes)` (and the cross engine's `isolatedWhatIf`) answered by keel-risk natively through
//! keel-engine's answer path, exactly as the engine contracts serve it (the cross engine
//! serves isolated and cross snapshots, the portfolio engine portfolio ones).

use alloy_primitives::Address;
use keel_engine::{
    answer as engine_answer, require_mode, Failure, ISOLATED_WHAT_IF_SELECTOR, MARGIN_SELECTOR,
};
use keel_risk::model::snapshot::{
    evaluate_cross, evaluate_portfolio, isolated_what_if, MarginMode, MarginSnapshot,
};
use keel_stylus_common::testing::CallResult;

use crate::{CROSS_ENGINE, PORTFOLIO_ENGINE};

/// The answer of the engine at `to`, or `None` when `to` is not an engine.
pub fn answer(to: Address, calldata: &[u8]) -> Option<CallResult> {
    let portfolio = match to {
        CROSS_ENGINE => false,
        PORTFOLIO_ENGINE => true,
        _ => return None,
    };
    let Some((selector, args)) = calldata.split_first_chunk::<4>() else {
        return Some(Err(Vec::new()));
    };
    if !portfolio && *selector == ISOLATED_WHAT_IF_SELECTOR {
        return Some(engine_answer(args, |s: &MarginSnapshot| {
            isolated_what_if(s).map_err(Failure::from)
        }));
    }
    if *selector != MARGIN_SELECTOR {
        return Some(Err(Vec::new()));
    }
    Some(if portfolio {
        engine_answer(args, |s: &MarginSnapshot| {
            require_mode(s, &[MarginMode::Portfolio])?;
            evaluate_portfolio(s).map_err(Failure::from)
        })
    } else {
        engine_answer(args, |s: &MarginSnapshot| {
            require_mode(s, &[MarginMode::Isolated, MarginMode::Cross])?;
            evaluate_cross(s).map_err(Failure::from)
        })
    })
}
