//! The engine call (`keel_vault_state::engine`, used by the margin module) on a TestVM host: the
//! calldata the engine receives, its answer decoded, its revert data kept.
mod common;

use alloy_primitives::U256;
use common::*;
use keel_risk::Wad;
use keel_stylus_common::convert::sign_extend;
use keel_vault::engine::{margin, margin_calldata, EngineFailure, Margin};

#[test]
fn the_engine_is_static_called_with_the_snapshot() {
    let host = ChainHost::new();
    let snapshot = b"KEEL snapshot bytes, any length".to_vec();
    let mut answer = Vec::new();
    for v in [1_000i128, 2_000, -3, 4] {
        answer.extend_from_slice(&sign_extend(v));
    }
    host.mock_static_call(ENGINE, margin_calldata(&snapshot), Ok(answer));
    assert_eq!(
        margin(&host, ENGINE, &snapshot),
        Ok(Margin {
            im: Wad::from_raw(1_000),
            mm: Wad::from_raw(2_000),
            mtm: Wad::from_raw(-3),
            worst_scenario: U256::from(4),
        })
    );
    // Other bytes are another call: the unmocked call answers nothing.
    assert_eq!(
        margin(&host, ENGINE, b"other"),
        Err(EngineFailure::BadReturn)
    );
    // A revert keeps the engine's data.
    host.mock_static_call(ENGINE, margin_calldata(b"bad"), Err(vec![0xde, 0xad]));
    assert_eq!(
        margin(&host, ENGINE, b"bad"),
        Err(EngineFailure::Reverted(vec![0xde, 0xad]))
    );
}
