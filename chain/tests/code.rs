//! Deployable-code decoding and validation errors are specific and readable.

mod common;

use common::*;
use keel_chain::{DeployError, TestChain};
use keel_stylus_host::code::{self, CodeError, MAX_WASM_BYTES};

fn deploy_err(code: &[u8]) -> CodeError {
    match TestChain::new().deploy(code) {
        Err(DeployError::Code(e)) => e,
        other => panic!("expected a code error, got {other:?}"),
    }
}

#[test]
fn the_host_validates_with_keel_artifacts_feature_set() {
    assert_eq!(code::nitro_features(), keel_cli::artifact::nitro_features());
}

#[test]
fn decompression_errors_say_what_is_wrong() {
    let good = wat(NOTHING);
    assert_eq!(deploy_err(&good[4..]), CodeError::NotStylus);
    assert_eq!(deploy_err(&[0xEF, 0xF0, 0x00]), CodeError::Truncated);
    let mut dict = good.clone();
    dict[3] = 0x01;
    let e = deploy_err(&dict);
    assert_eq!(e, CodeError::UnsupportedDictionary(1));
    assert!(e.to_string().contains("0x01"), "{e}");
    let mut garbage = good[..4].to_vec();
    garbage.extend_from_slice(&[0xff; 40]);
    assert!(matches!(deploy_err(&garbage), CodeError::Decompress(_)));
    // A module that inflates past 128 KiB (a zero-filled data segment compresses to little).
    let big = format!(
        r#"(module (memory (export "memory") 4 4)
             (data (i32.const 0) "{}")
             (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#,
        "\\00".repeat(MAX_WASM_BYTES + 10)
    );
    let code = wat(&big);
    assert!(code.len() < 24_576, "still small when compressed");
    let e = deploy_err(&code);
    assert_eq!(e, CodeError::TooLarge);
    assert!(e.to_string().contains("131072"), "{e}");
}

#[test]
fn validation_errors_name_the_rule() {
    let cases: [(&str, &str); 6] = [
        (
            r#"(module (memory (export "memory") 1 1))"#,
            "user_entrypoint",
        ),
        (
            r#"(module (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#,
            "memory",
        ),
        (
            r#"(module (import "env" "f" (func))
                 (memory (export "memory") 1 1)
                 (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#,
            "env.f",
        ),
        (
            r#"(module (memory (export "memory") 1 1)
                 (func $s)
                 (start $s)
                 (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#,
            "start",
        ),
        (
            r#"(module (memory (export "memory") 1 1)
                 (func (export "user_entrypoint") (param i32 i32) (result i32) i32.const 0))"#,
            "(i32) -> i32",
        ),
        (
            r#"(module (memory (export "memory") 200 200)
                 (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#,
            "memory exceeds limit",
        ),
    ];
    for (text, needle) in cases {
        let e = deploy_err(&wat(text));
        assert!(matches!(e, CodeError::Stylus(_)), "{e:?}");
        assert!(
            e.to_string().contains(needle),
            "{e} should mention {needle}"
        );
    }
}

#[test]
fn features_nitro_refuses_are_invalid() {
    // Multi-value results.
    let multi = r#"(module (memory (export "memory") 1 1)
        (func $two (result i32 i32) i32.const 1 i32.const 2)
        (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#;
    assert!(matches!(deploy_err(&wat(multi)), CodeError::Invalid(_)));
    // SIMD.
    let simd = r#"(module (memory (export "memory") 1 1)
        (func (export "user_entrypoint") (param i32) (result i32)
          v128.const i64x2 0 0 drop i32.const 0))"#;
    assert!(matches!(deploy_err(&wat(simd)), CodeError::Invalid(_)));
}

#[test]
fn an_unknown_host_import_is_refused_at_deployment() {
    let text = r#"(module (import "vm_hooks" "no_such_hook" (func))
        (memory (export "memory") 1 1)
        (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#;
    let e = deploy_err(&wat(text));
    assert!(e.to_string().contains("vm_hooks.no_such_hook"), "{e}");
}

#[test]
fn a_growable_memory_needs_pay_for_memory_grow() {
    let text = r#"(module (memory (export "memory") 1)
        (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#;
    let e = deploy_err(&wat(text));
    assert!(matches!(e, CodeError::Compile(_)), "{e:?}");
    assert!(e.to_string().contains("pay_for_memory_grow"), "{e}");
}

#[test]
fn memory_grow_pays_the_memory_model() {
    // Grows by the first calldata byte's pages; returns memory.grow's answer.
    let text = r#"(module
        (import "vm_hooks" "pay_for_memory_grow" (func $pay (param i32)))
        (import "vm_hooks" "read_args" (func $read_args (param i32)))
        (import "vm_hooks" "write_result" (func $write_result (param i32 i32)))
        (memory (export "memory") 1)
        (func (export "user_entrypoint") (param i32) (result i32)
          (call $read_args (i32.const 0))
          (i32.store (i32.const 8) (memory.grow (i32.load8_u (i32.const 0))))
          (call $write_result (i32.const 8) (i32.const 4))
          i32.const 0))"#;
    let mut host = TestChain::new();
    let g = host.deploy(&wat(text)).unwrap();
    let one = call(&mut host, g, &[1]);
    let four = call(&mut host, g, &[4]);
    assert!(one.success && four.success);
    assert_eq!(one.return_data, 1u32.to_le_bytes());
    // 1 + 1 = 2 pages: free. 1 + 4 = 5 pages: 3 beyond the free two (3,000 linear) and
    // exp(5) − exp(1) = 0. The memory.grow op itself costs the same either way.
    assert_eq!(four.execution_gas - one.execution_gas, 3_000);
}
