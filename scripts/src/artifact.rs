//! `keel artifact`: checks that a built contract `.wasm` would be accepted on-chain by Arbitrum
//! Stylus, and measures what it would cost to deploy.
//!
//! Every check runs on the module **as cargo-stylus deploys it** (see below), because that is
//! what Nitro activates. For each module it checks, in this order:
//!
//! 1. **validation** with `wasmparser` under the exact feature set Nitro's activation uses for
//!    ArbOS ≥ 60 ([`nitro_features`]): no reference-types, SIMD, threads, multi-memory, tail
//!    calls, exceptions, or multi-value;
//! 2. **no floating point**: Nitro prices every f32/f64 opcode as unsupported, so any float
//!    instruction, float local, global, parameter or result is reported with its function index;
//! 3. **no other opcode Stylus refuses** (passive-segment and table bulk-memory ops, typed
//!    `select`) and no start function;
//! 4. **host interface**: imports only from module `vm_hooks`; exports include the function
//!    `user_entrypoint` of type `(i32) -> i32` and the memory `memory`;
//! 5. **sizes**: the module as deployed is ≤ 128 KiB, and the deployable code
//!    (`0xEFF000` + dictionary byte `0x00` + Brotli quality 11, window 2²² — cargo-stylus's
//!    `brotli2` defaults) is ≤ 24,576 bytes.
//!
//! The module checked and measured is the one cargo-stylus would deploy: re-encoded through
//! the text format, stripped of custom sections, plus a 32-byte `project_hash` custom section.
//! The re-encoding matters: Rust's prebuilt `core` is compiled with reference-types on, so the
//! linker writes `call_indirect`'s table index as a padded LEB, which Nitro's validator
//! (reference-types off) refuses; re-encoding writes the MVP zero byte. When the file itself
//! would fail validation but its re-encoding passes, the line says so, without failing.

use std::fmt;
use std::io::Cursor;
use std::path::Path;

use anyhow::Context;
use wasmparser::{
    ExternalKind, FuncType, Operator, Parser, Payload, TypeRef, ValType, Validator, WasmFeatures,
};

/// Largest deployable contract code, in bytes (the EVM code-size limit Stylus keeps).
pub const MAX_DEPLOYABLE_BYTES: usize = 24_576;
/// Largest uncompressed WASM module Nitro accepts, in bytes.
pub const MAX_WASM_BYTES: usize = 128 * 1024;
/// Brotli quality cargo-stylus compresses with.
pub const BROTLI_QUALITY: i32 = 11;
/// Brotli window (log₂ bytes): `BROTLI_DEFAULT_WINDOW`, which cargo-stylus's encoder keeps.
pub const BROTLI_WINDOW_BITS: i32 = 22;
/// The EOF-style prefix that marks contract code as Stylus WASM.
pub const STYLUS_PREFIX: [u8; 3] = [0xEF, 0xF0, 0x00];
/// Dictionary byte after the prefix: `0x00`, no dictionary.
pub const DICTIONARY_NONE: u8 = 0x00;
/// Name of the custom section cargo-stylus appends (a 32-byte hash of the sources).
pub const PROJECT_HASH_SECTION: &str = "project_hash";

/// The wasmparser features Nitro validates user programs with at activation, for ArbOS ≥ 60
/// (`parse_with_version` in Nitro's `crates/prover/src/binary.rs`): everything off except
/// mutable globals, saturating float-to-int, sign extension, bulk memory, and wasmparser's two
/// built-in MVP gates, floats (refused later, by pricing) and GC *types* (which only gate
/// reference types that need their own proposal, here off).
pub fn nitro_features() -> WasmFeatures {
    let mut f = WasmFeatures::empty();
    for on in [
        WasmFeatures::MUTABLE_GLOBAL,
        WasmFeatures::SATURATING_FLOAT_TO_INT,
        WasmFeatures::SIGN_EXTENSION,
        WasmFeatures::BULK_MEMORY,
        WasmFeatures::FLOATS,
        WasmFeatures::GC_TYPES,
    ] {
        f.set(on, true);
    }
    f
}

/// One reason a module would not deploy or activate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// wasmparser rejected the module under [`nitro_features`].
    Invalid(String),
    /// A float instruction (or a block typed with a float) in a function body.
    FloatInstruction {
        /// Function index (imports first, as in the WASM function index space).
        func: u32,
        /// The instruction's name.
        op: String,
    },
    /// A float value type outside function bodies' instructions.
    FloatType {
        /// Where it appears (a type, a local, a global).
        place: String,
    },
    /// An instruction Stylus metering refuses even though validation accepts it.
    UnsupportedInstruction {
        /// Function index.
        func: u32,
        /// The instruction's name.
        op: String,
    },
    /// Stylus programs may not have a start function.
    StartFunction,
    /// An import from a module other than `vm_hooks`.
    ForeignImport {
        /// Module of the import.
        module: String,
        /// Name of the import.
        name: String,
    },
    /// A required export is absent or of the wrong kind or type.
    BadExport(String),
    /// The deployed module exceeds [`MAX_WASM_BYTES`].
    WasmTooLarge(usize),
    /// The deployable code exceeds [`MAX_DEPLOYABLE_BYTES`].
    DeployableTooLarge(usize),
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Problem::Invalid(e) => write!(f, "invalid under Nitro's features: {e}"),
            Problem::FloatInstruction { func, op } => {
                write!(f, "float instruction {op} in function {func}")
            }
            Problem::FloatType { place } => write!(f, "float type in {place}"),
            Problem::UnsupportedInstruction { func, op } => {
                write!(f, "instruction {op} (refused by Stylus) in function {func}")
            }
            Problem::StartFunction => f.write_str("has a start function"),
            Problem::ForeignImport { module, name } => {
                write!(f, "import {module}.{name} is not from vm_hooks")
            }
            Problem::BadExport(e) => f.write_str(e),
            Problem::WasmTooLarge(n) => write!(f, "wasm {n} bytes > {MAX_WASM_BYTES}"),
            Problem::DeployableTooLarge(n) => {
                write!(f, "deployable {n} bytes > {MAX_DEPLOYABLE_BYTES}")
            }
        }
    }
}

/// The outcome of checking one module.
#[derive(Clone, Debug)]
pub struct Report {
    /// The module's display name (its file name).
    pub name: String,
    /// Bytes of the input file.
    pub file_bytes: usize,
    /// Bytes of the module as cargo-stylus would deploy it, before compression.
    pub wasm_bytes: usize,
    /// Bytes of the deployable code (prefix + dictionary byte + Brotli).
    pub deployable_bytes: usize,
    /// Everything wrong with it; empty when it would deploy.
    pub problems: Vec<Problem>,
    /// Remarks that do not fail the check.
    pub notes: Vec<String>,
}

impl Report {
    /// True when no check failed.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// The one-line summary `keel artifact` prints.
    pub fn line(&self) -> String {
        let verdict = if self.ok() {
            if self.notes.is_empty() {
                "OK".to_string()
            } else {
                format!("OK; note: {}", self.notes.join("; "))
            }
        } else {
            let reasons: Vec<String> = self.problems.iter().map(|p| p.to_string()).collect();
            format!("FAIL: {}", reasons.join("; "))
        };
        format!(
            "{}: wasm {} bytes (file {}), deployable {} bytes, limit {}: {}",
            self.name,
            self.wasm_bytes,
            self.file_bytes,
            self.deployable_bytes,
            MAX_DEPLOYABLE_BYTES,
            verdict
        )
    }
}

/// Reads and checks one `.wasm` file.
pub fn check_file(path: &Path) -> anyhow::Result<Report> {
    let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    Ok(check(&name, &bytes))
}

/// Checks one module given as bytes (see the module docs for the list of checks).
pub fn check(name: &str, wasm: &[u8]) -> Report {
    let mut problems = Vec::new();
    let mut notes = Vec::new();
    let deployed = deployed_module(wasm);
    match Validator::new_with_features(nitro_features()).validate_all(&deployed) {
        Ok(_) => {
            if let Err(e) = inspect(&deployed, &mut problems) {
                problems.push(Problem::Invalid(e.to_string()));
            }
            if let Err(e) = Validator::new_with_features(nitro_features()).validate_all(wasm) {
                notes.push(format!(
                    "the file as built is valid only after cargo-stylus re-encodes it ({e})"
                ));
            }
        }
        Err(e) => problems.push(Problem::Invalid(e.to_string())),
    }
    let code = deployable_code(&deployed);
    if deployed.len() > MAX_WASM_BYTES {
        problems.push(Problem::WasmTooLarge(deployed.len()));
    }
    if code.len() > MAX_DEPLOYABLE_BYTES {
        problems.push(Problem::DeployableTooLarge(code.len()));
    }
    Report {
        name: name.to_string(),
        file_bytes: wasm.len(),
        wasm_bytes: deployed.len(),
        deployable_bytes: code.len(),
        problems,
        notes,
    }
}

/// The structural checks that need a parsed, already validated module.
fn inspect(wasm: &[u8], problems: &mut Vec<Problem>) -> wasmparser::Result<()> {
    let mut types: Vec<FuncType> = Vec::new();
    // Type index of every function, imports first.
    let mut func_types: Vec<u32> = Vec::new();
    let mut imported_funcs = 0u32;
    let mut next_body = 0u32;
    let mut exports: Vec<(String, ExternalKind, u32)> = Vec::new();

    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::TypeSection(reader) => {
                for (i, ty) in reader.into_iter_err_on_gc_types().enumerate() {
                    let ty = ty?;
                    if has_float(ty.params()) || has_float(ty.results()) {
                        problems.push(Problem::FloatType {
                            place: format!("type {i} {ty}"),
                        });
                    }
                    types.push(ty);
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import?;
                    if import.module != "vm_hooks" {
                        problems.push(Problem::ForeignImport {
                            module: import.module.to_string(),
                            name: import.name.to_string(),
                        });
                    }
                    match import.ty {
                        TypeRef::Func(t) | TypeRef::FuncExact(t) => {
                            func_types.push(t);
                            imported_funcs += 1;
                        }
                        TypeRef::Global(g) if is_float(g.content_type) => {
                            problems.push(Problem::FloatType {
                                place: format!("imported global {}.{}", import.module, import.name),
                            });
                        }
                        _ => {}
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for t in reader {
                    func_types.push(t?);
                }
            }
            Payload::GlobalSection(reader) => {
                for (i, g) in reader.into_iter().enumerate() {
                    if is_float(g?.ty.content_type) {
                        problems.push(Problem::FloatType {
                            place: format!("global {i}"),
                        });
                    }
                }
            }
            Payload::ExportSection(reader) => {
                for e in reader {
                    let e = e?;
                    exports.push((e.name.to_string(), e.kind, e.index));
                }
            }
            Payload::StartSection { .. } => problems.push(Problem::StartFunction),
            Payload::CodeSectionEntry(body) => {
                let func = imported_funcs + next_body;
                next_body += 1;
                let mut locals = body.get_locals_reader()?;
                for _ in 0..locals.get_count() {
                    let (_, ty) = locals.read()?;
                    if is_float(ty) {
                        problems.push(Problem::FloatType {
                            place: format!("a local of function {func}"),
                        });
                    }
                }
                let mut ops = body.get_operators_reader()?;
                while !ops.eof() {
                    let op = ops.read()?;
                    if let Some(p) = classify(func, &op) {
                        problems.push(p);
                    }
                }
            }
            _ => {}
        }
    }

    let entry = exports.iter().find(|(n, _, _)| n == "user_entrypoint");
    match entry {
        None => problems.push(Problem::BadExport("missing export user_entrypoint".into())),
        Some((_, kind, index)) => {
            let ty = func_types
                .get(*index as usize)
                .and_then(|t| types.get(*t as usize));
            let right = *kind == ExternalKind::Func
                && ty
                    .is_some_and(|t| t.params() == [ValType::I32] && t.results() == [ValType::I32]);
            if !right {
                problems.push(Problem::BadExport(
                    "user_entrypoint is not a function (i32) -> i32".into(),
                ));
            }
        }
    }
    match exports.iter().find(|(n, _, _)| n == "memory") {
        None => problems.push(Problem::BadExport("missing export memory".into())),
        Some((_, kind, _)) if *kind != ExternalKind::Memory => {
            problems.push(Problem::BadExport("export memory is not a memory".into()))
        }
        Some(_) => {}
    }
    Ok(())
}

fn is_float(t: ValType) -> bool {
    matches!(t, ValType::F32 | ValType::F64)
}

fn has_float(ts: &[ValType]) -> bool {
    ts.iter().any(|t| is_float(*t))
}

/// Flags an instruction Stylus would refuse. Float opcodes are recognised by name: every
/// wasmparser operator that touches a float has `F32` or `F64` in its name or, for typed
/// blocks and `select`, in its immediate.
fn classify(func: u32, op: &Operator<'_>) -> Option<Problem> {
    let text = format!("{op:?}");
    let name = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .next()
        .unwrap_or_default()
        .to_string();
    if text.contains("F32") || text.contains("F64") {
        return Some(Problem::FloatInstruction { func, op: name });
    }
    let refused = matches!(
        op,
        Operator::MemoryInit { .. }
            | Operator::DataDrop { .. }
            | Operator::TableInit { .. }
            | Operator::ElemDrop { .. }
            | Operator::TableCopy { .. }
            | Operator::TableFill { .. }
            | Operator::TableGet { .. }
            | Operator::TableSet { .. }
            | Operator::TableGrow { .. }
            | Operator::TableSize { .. }
            | Operator::TypedSelect { .. }
    );
    refused.then_some(Problem::UnsupportedInstruction { func, op: name })
}

/// The module as cargo-stylus deploys it: re-encoded through the text format, custom
/// sections dropped, a 32-byte `project_hash` section appended. If the module cannot be
/// printed (it is invalid anyway), its own bytes stand in, minus custom sections.
pub fn deployed_module(wasm: &[u8]) -> Vec<u8> {
    let reencoded = wasmprinter::print_bytes(wasm)
        .ok()
        .and_then(|text| wat::parse_str(text).ok());
    let base = reencoded.as_deref().unwrap_or(wasm);
    let mut out = strip_custom_sections(base).unwrap_or_else(|| base.to_vec());
    // The real section holds a hash of the sources; stand in with 32 bytes that, like a hash,
    // do not compress.
    let mut hash = [0u8; 32];
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    for b in hash.iter_mut() {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        *b = (state >> 56) as u8;
    }
    let mut content = Vec::new();
    push_leb(&mut content, PROJECT_HASH_SECTION.len() as u32);
    content.extend_from_slice(PROJECT_HASH_SECTION.as_bytes());
    content.extend_from_slice(&hash);
    out.push(0);
    push_leb(&mut out, content.len() as u32);
    out.extend_from_slice(&content);
    out
}

/// EVM init code that deploys `code` as it is (e.g. Stylus deployable code): `PUSH2 len,
/// DUP1, PUSH1 10, PUSH0, CODECOPY, PUSH0, RETURN`, then the code. `None` beyond 65,535 bytes.
pub fn init_code(code: &[u8]) -> Option<Vec<u8>> {
    let [hi, lo] = u16::try_from(code.len()).ok()?.to_be_bytes();
    let mut init = vec![0x61, hi, lo, 0x80, 0x60, 0x0a, 0x5f, 0x39, 0x5f, 0xf3];
    init.extend_from_slice(code);
    Some(init)
}

/// Deployable contract code for a module: [`STYLUS_PREFIX`], [`DICTIONARY_NONE`], then
/// Brotli at [`BROTLI_QUALITY`] with a 2^[`BROTLI_WINDOW_BITS`] window.
pub fn deployable_code(module: &[u8]) -> Vec<u8> {
    let params = brotli::enc::BrotliEncoderParams {
        quality: BROTLI_QUALITY,
        lgwin: BROTLI_WINDOW_BITS,
        ..Default::default()
    };
    let mut out = Vec::with_capacity(module.len() / 2 + 8);
    out.extend_from_slice(&STYLUS_PREFIX);
    out.push(DICTIONARY_NONE);
    // Writing into a Vec cannot fail; an error here would be a bug in the encoder.
    brotli::BrotliCompress(&mut Cursor::new(module), &mut out, &params)
        .expect("brotli compression into memory");
    out
}

/// Copies a module's header and non-custom sections, or `None` if it is malformed.
fn strip_custom_sections(wasm: &[u8]) -> Option<Vec<u8>> {
    let header = wasm.get(..8)?;
    let mut out = header.to_vec();
    let mut pos = 8;
    while pos < wasm.len() {
        let start = pos;
        let id = *wasm.get(pos)?;
        pos += 1;
        let size = read_leb(wasm, &mut pos)? as usize;
        let end = pos.checked_add(size)?;
        if end > wasm.len() {
            return None;
        }
        if id != 0 {
            out.extend_from_slice(&wasm[start..end]);
        }
        pos = end;
    }
    Some(out)
}

fn read_leb(bytes: &[u8], pos: &mut usize) -> Option<u32> {
    let mut value: u32 = 0;
    for shift in (0..35).step_by(7) {
        let b = *bytes.get(*pos)?;
        *pos += 1;
        value |= u32::from(b & 0x7f).checked_shl(shift)?;
        if b & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

fn push_leb(out: &mut Vec<u8>, mut v: u32) {
    loop {
        let byte = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Checks every file, printing one line each; returns true when all passed.
pub fn run(paths: &[&str], mut print: impl FnMut(&str)) -> anyhow::Result<bool> {
    anyhow::ensure!(!paths.is_empty(), "no .wasm file given");
    let mut all_ok = true;
    for p in paths {
        let report = check_file(Path::new(p))?;
        all_ok &= report.ok();
        print(&report.line());
    }
    Ok(all_ok)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module with the Stylus host interface and nothing wrong with it; `extra` is spliced in.
    fn module(extra: &str) -> Vec<u8> {
        let text = format!(
            r#"(module
                 (import "vm_hooks" "read_args" (func $read_args (param i32)))
                 (memory (export "memory") 1)
                 (func (export "user_entrypoint") (param i32) (result i32)
                   local.get 0
                   call $read_args
                   i32.const 0)
                 {extra})"#
        );
        wat::parse_str(text).expect("test module parses")
    }

    fn problems(wasm: &[u8]) -> Vec<Problem> {
        check("t.wasm", wasm).problems
    }

    #[test]
    fn a_clean_module_passes_and_reports_sizes() {
        let r = check("t.wasm", &module(""));
        assert!(r.ok(), "{}", r.line());
        assert!(r.line().ends_with(": OK"), "{}", r.line());
        // prefix + dictionary byte + a non-empty Brotli stream
        assert!(r.deployable_bytes > 4);
        let code = deployable_code(&deployed_module(&module("")));
        assert_eq!(&code[..4], &[0xEF, 0xF0, 0x00, 0x00]);
    }

    #[test]
    fn deployable_code_decompresses_to_the_deployed_module() {
        let wasm = module("(func $f (result i32) i32.const 7)");
        let deployed = deployed_module(&wasm);
        let code = deployable_code(&deployed);
        let mut back = Vec::new();
        brotli::BrotliDecompress(&mut Cursor::new(&code[4..]), &mut back).unwrap();
        assert_eq!(back, deployed);
        // The deployed module is valid and carries the project-hash section.
        Validator::new_with_features(nitro_features())
            .validate_all(&deployed)
            .unwrap();
        let names: Vec<String> = Parser::new(0)
            .parse_all(&deployed)
            .filter_map(|p| match p.unwrap() {
                Payload::CustomSection(c) => Some(c.name().to_string()),
                _ => None,
            })
            .collect();
        assert_eq!(names, vec![PROJECT_HASH_SECTION.to_string()]);
    }

    #[test]
    fn custom_sections_are_not_deployed() {
        let plain = module("");
        let mut with_custom = plain.clone();
        // id 0, size 9, name "junk" (len 4) + 4 bytes
        with_custom.extend_from_slice(&[0, 9, 4, b'j', b'u', b'n', b'k', 1, 2, 3, 4]);
        assert_eq!(deployed_module(&with_custom), deployed_module(&plain));
        assert_eq!(check("t", &with_custom).file_bytes, plain.len() + 11);
    }

    #[test]
    fn float_instruction_is_caught_with_its_function_index() {
        // function 0 is the import, 1 the entrypoint, 2 this one
        let p = problems(&module(
            "(func $g (param i64) (result i64) local.get 0 f64.convert_i64_s i64.trunc_f64_s)",
        ));
        assert!(
            p.contains(&Problem::FloatInstruction {
                func: 2,
                op: "F64ConvertI64S".into()
            }),
            "{p:?}"
        );
        assert!(p.contains(&Problem::FloatInstruction {
            func: 2,
            op: "I64TruncF64S".into()
        }));
    }

    #[test]
    fn float_value_types_are_caught() {
        let p = problems(&module("(func $h (param f32))"));
        assert!(
            p.iter().any(|x| matches!(x, Problem::FloatType { .. })),
            "{p:?}"
        );
        let p = problems(&module("(global $g f64 (f64.const 0))"));
        assert!(p.iter().any(|x| matches!(x, Problem::FloatType { .. })));
        let p = problems(&module("(func $l (local f64))"));
        assert!(p
            .iter()
            .any(|x| matches!(x, Problem::FloatType { place } if place.contains("function 2"))));
    }

    #[test]
    fn reference_types_are_refused() {
        let p = problems(&module("(func $r (result funcref) ref.null func)"));
        assert!(matches!(p.first(), Some(Problem::Invalid(_))), "{p:?}");
        let p = problems(&module("(table 1 externref)"));
        assert!(matches!(p.first(), Some(Problem::Invalid(_))), "{p:?}");
    }

    #[test]
    fn multi_value_is_refused() {
        let p = problems(&module(
            "(func $m (result i32 i32) i32.const 1 i32.const 2)",
        ));
        assert!(matches!(p.first(), Some(Problem::Invalid(_))), "{p:?}");
        // The same shape with one result is fine, so it is the second value that is refused.
        assert!(problems(&module("(func $m (result i32) i32.const 1)")).is_empty());
    }

    #[test]
    fn simd_and_tail_calls_are_refused() {
        let p = problems(&module("(func $s (result v128) v128.const i64x2 0 0)"));
        assert!(matches!(p.first(), Some(Problem::Invalid(_))), "{p:?}");
        let p = problems(&module("(func $t (result i32) return_call $t)"));
        assert!(matches!(p.first(), Some(Problem::Invalid(_))), "{p:?}");
    }

    #[test]
    fn bulk_memory_copy_passes_but_passive_segments_are_refused() {
        let copy = "(func $c i32.const 0 i32.const 1 i32.const 1 memory.copy)";
        assert!(problems(&module(copy)).is_empty());
        let init = r#"(data $d "ab") (func $i i32.const 0 i32.const 0 i32.const 1 memory.init $d)"#;
        let p = problems(&module(init));
        assert!(
            p.contains(&Problem::UnsupportedInstruction {
                func: 2,
                op: "MemoryInit".into()
            }),
            "{p:?}"
        );
    }

    #[test]
    fn foreign_import_is_caught() {
        let wasm = wat::parse_str(
            r#"(module
                 (import "vm_hooks" "read_args" (func (param i32)))
                 (import "env" "abort" (func))
                 (memory (export "memory") 1)
                 (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#,
        )
        .unwrap();
        let p = problems(&wasm);
        assert!(
            p.contains(&Problem::ForeignImport {
                module: "env".into(),
                name: "abort".into()
            }),
            "{p:?}"
        );
        assert_eq!(p.len(), 1, "only the env import is wrong: {p:?}");
    }

    #[test]
    fn missing_or_wrong_exports_are_caught() {
        let no_entry = wat::parse_str(
            r#"(module (memory (export "memory") 1) (func (export "main") (param i32) (result i32) i32.const 0))"#,
        )
        .unwrap();
        let p = problems(&no_entry);
        assert_eq!(
            p,
            vec![Problem::BadExport("missing export user_entrypoint".into())]
        );
        let no_memory = wat::parse_str(
            r#"(module (memory 1) (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#,
        )
        .unwrap();
        assert_eq!(
            problems(&no_memory),
            vec![Problem::BadExport("missing export memory".into())]
        );
        let wrong_type = wat::parse_str(
            r#"(module (memory (export "memory") 1) (func (export "user_entrypoint") (result i32) i32.const 0))"#,
        )
        .unwrap();
        assert_eq!(
            problems(&wrong_type),
            vec![Problem::BadExport(
                "user_entrypoint is not a function (i32) -> i32".into()
            )]
        );
    }

    /// A Stylus-shaped module whose entrypoint does a `call_indirect`, with the table index
    /// written as `table_index` (the MVP zero byte, or a padded LEB as wasm-ld writes it).
    fn call_indirect_module(table_index: &[u8]) -> Vec<u8> {
        fn section(out: &mut Vec<u8>, id: u8, content: &[u8]) {
            out.push(id);
            push_leb(out, content.len() as u32);
            out.extend_from_slice(content);
        }
        let mut body0 = vec![0x00, 0x41, 0x00, 0x11, 0x01];
        body0.extend_from_slice(table_index);
        body0.extend_from_slice(&[0x41, 0x00, 0x0b]);
        let body1 = [0x00, 0x0b];
        let mut code = vec![2, body0.len() as u8];
        code.extend_from_slice(&body0);
        code.push(body1.len() as u8);
        code.extend_from_slice(&body1);
        let mut exports = vec![2, 6];
        exports.extend_from_slice(b"memory");
        exports.extend_from_slice(&[0x02, 0x00, 15]);
        exports.extend_from_slice(b"user_entrypoint");
        exports.extend_from_slice(&[0x00, 0x00]);

        let mut m = b"\0asm\x01\0\0\0".to_vec();
        section(&mut m, 1, &[2, 0x60, 1, 0x7f, 1, 0x7f, 0x60, 0, 0]);
        section(&mut m, 3, &[2, 0, 1]);
        section(&mut m, 4, &[1, 0x70, 0x00, 1]);
        section(&mut m, 5, &[1, 0x00, 1]);
        section(&mut m, 7, &exports);
        section(&mut m, 10, &code);
        m
    }

    #[test]
    fn padded_call_indirect_passes_after_reencoding_with_a_note() {
        let canonical = call_indirect_module(&[0x00]);
        let r = check("t", &canonical);
        assert!(r.ok() && r.notes.is_empty(), "{}", r.line());

        let padded = call_indirect_module(&[0x80, 0x80, 0x80, 0x80, 0x00]);
        // Nitro's validator refuses the file as written...
        assert!(Validator::new_with_features(nitro_features())
            .validate_all(&padded)
            .is_err());
        // ...but cargo-stylus deploys the re-encoded module, which is the canonical one.
        let r = check("t", &padded);
        assert!(r.ok(), "{}", r.line());
        assert_eq!(r.notes.len(), 1, "{}", r.line());
        assert!(r.line().contains("re-encodes"), "{}", r.line());
        assert_eq!(r.wasm_bytes, check("t", &canonical).wasm_bytes);
    }

    #[test]
    fn start_function_is_caught() {
        let p = problems(&module("(func $s) (start $s)"));
        assert_eq!(p, vec![Problem::StartFunction]);
    }

    /// A data segment of `n` incompressible bytes, written as a WAT string.
    fn noise(n: usize) -> String {
        let mut state: u32 = 12345;
        let mut s = String::from("(data (i32.const 0) \"");
        for _ in 0..n {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            s.push_str(&format!("\\{:02x}", (state >> 16) as u8));
        }
        s.push_str("\")");
        s
    }

    #[test]
    fn too_big_to_deploy_is_caught() {
        // 30 kB of noise stays under 128 KiB but cannot compress under 24,576 bytes.
        let wasm = module(&noise(30_000));
        let r = check("t", &wasm);
        assert!(r.wasm_bytes < MAX_WASM_BYTES);
        assert_eq!(
            r.problems,
            vec![Problem::DeployableTooLarge(r.deployable_bytes)]
        );
        assert!(r.line().contains("FAIL: deployable"), "{}", r.line());
        // 20 kB of the same noise fits.
        assert!(check("t", &module(&noise(20_000))).ok());
    }

    #[test]
    fn too_big_uncompressed_is_caught() {
        let wasm = wat::parse_str(format!(
            r#"(module (memory (export "memory") 3)
                 (func (export "user_entrypoint") (param i32) (result i32) i32.const 0)
                 {})"#,
            noise(140_000)
        ))
        .unwrap();
        let p = problems(&wasm);
        assert!(
            p.iter()
                .any(|x| matches!(x, Problem::WasmTooLarge(n) if *n > 140_000)),
            "{p:?}"
        );
    }

    #[test]
    fn nitro_feature_set_is_exactly_the_documented_one() {
        let f = nitro_features();
        for off in [
            WasmFeatures::REFERENCE_TYPES,
            WasmFeatures::MULTI_VALUE,
            WasmFeatures::SIMD,
            WasmFeatures::RELAXED_SIMD,
            WasmFeatures::THREADS,
            WasmFeatures::MULTI_MEMORY,
            WasmFeatures::TAIL_CALL,
            WasmFeatures::EXCEPTIONS,
            WasmFeatures::MEMORY64,
            WasmFeatures::EXTENDED_CONST,
            WasmFeatures::FUNCTION_REFERENCES,
            WasmFeatures::GC,
        ] {
            assert!(!f.contains(off), "{off:?} should be off");
        }
        assert!(f.contains(WasmFeatures::BULK_MEMORY | WasmFeatures::SIGN_EXTENSION));
    }
}
