//! Contract code as the chain stores it, and program activation.
//!
//! Stylus code is `0xEFF000` ‖ one dictionary byte ‖ Brotli of the WASM module. Activation
//! ([`activate`]) decompresses it (at most [`MAX_WASM_BYTES`]), validates the module with
//! Nitro's wasmparser feature set and structural limits, computes the entry costs Nitro
//! records for it (`init_cost`, `cached_init_cost`, `footprint`), and compiles it with
//! wasmer singlepass through the [`crate::meter`] instrumentation.

use std::fmt;
use std::io::Read;

use wasmparser::{
    ExternalKind, FuncType, Parser, Payload, TypeRef, ValType, Validator, WasmFeatures,
};

/// The EOF-style prefix that marks contract code as Stylus WASM.
pub const STYLUS_PREFIX: [u8; 3] = [0xEF, 0xF0, 0x00];
/// Dictionary byte for plain Brotli (the only one supported here).
pub const DICTIONARY_NONE: u8 = 0x00;
/// Largest decompressed module Nitro accepts.
pub const MAX_WASM_BYTES: usize = 128 * 1024;
/// Most pages a program's memory may start with (8 MiB).
pub const MAX_INITIAL_PAGES: u64 = 128;

/// Whether `code` is Stylus code (starts with [`STYLUS_PREFIX`]).
pub fn is_stylus(code: &[u8]) -> bool {
    code.starts_with(&STYLUS_PREFIX)
}

/// Why code could not be activated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodeError {
    /// The code does not start with `0xEFF000`.
    NotStylus,
    /// The code is only the prefix, with no dictionary byte.
    Truncated,
    /// A dictionary other than `0x00` (Nitro's built-in dictionary is not supported here).
    UnsupportedDictionary(u8),
    /// Brotli could not decode the payload.
    Decompress(String),
    /// The decompressed module exceeds [`MAX_WASM_BYTES`].
    TooLarge,
    /// wasmparser (under Nitro's features) rejected the module.
    Invalid(String),
    /// The module breaks a Stylus rule that validation does not cover.
    Stylus(String),
    /// wasmer failed to compile or link it.
    Compile(String),
}

impl fmt::Display for CodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodeError::NotStylus => {
                f.write_str("code does not start with the Stylus prefix 0xEFF000")
            }
            CodeError::Truncated => {
                f.write_str("code ends after the Stylus prefix (no dictionary byte)")
            }
            CodeError::UnsupportedDictionary(d) => {
                write!(
                    f,
                    "unsupported Brotli dictionary byte 0x{d:02x} (only 0x00 is supported)"
                )
            }
            CodeError::Decompress(e) => write!(f, "Brotli decompression failed: {e}"),
            CodeError::TooLarge => write!(f, "decompressed WASM exceeds {MAX_WASM_BYTES} bytes"),
            CodeError::Invalid(e) => write!(f, "invalid WASM under Nitro's features: {e}"),
            CodeError::Stylus(e) => write!(f, "not a valid Stylus program: {e}"),
            CodeError::Compile(e) => write!(f, "wasmer could not compile the program: {e}"),
        }
    }
}

impl std::error::Error for CodeError {}

/// Decompresses deployable Stylus code into its WASM module.
pub fn decompress(code: &[u8]) -> Result<Vec<u8>, CodeError> {
    let rest = code
        .strip_prefix(&STYLUS_PREFIX)
        .ok_or(CodeError::NotStylus)?;
    let (&dictionary, payload) = rest.split_first().ok_or(CodeError::Truncated)?;
    if dictionary != DICTIONARY_NONE {
        return Err(CodeError::UnsupportedDictionary(dictionary));
    }
    let mut wasm = Vec::new();
    let reader = brotli::Decompressor::new(payload, 4096);
    reader
        .take(MAX_WASM_BYTES as u64 + 1)
        .read_to_end(&mut wasm)
        .map_err(|e| CodeError::Decompress(e.to_string()))?;
    if wasm.len() > MAX_WASM_BYTES {
        return Err(CodeError::TooLarge);
    }
    if wasm.is_empty() {
        return Err(CodeError::Decompress("empty output".into()));
    }
    Ok(wasm)
}

/// The wasmparser features Nitro validates user programs with (ArbOS ≥ 60): MVP plus mutable
/// globals, saturating float-to-int, sign extension and bulk memory (floats and GC types are
/// wasmparser's MVP gates; floats are refused later, by pricing).
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

/// What activation records about a program (Nitro's `StylusData`, less the global indices).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgramCosts {
    /// Gas (at 100 % scalar) to enter the program when it is not in the init cache.
    pub init_cost: u16,
    /// Gas (at 100 % scalar) to enter the program in any case (v2).
    pub cached_init_cost: u16,
    /// Initial memory size in pages.
    pub footprint: u16,
}

impl ProgramCosts {
    /// Gas to enter the program when it is not cached (v2 charges it on top of the cached gas).
    pub fn init_gas(&self) -> u64 {
        crate::pricing::MIN_INIT_GAS + u64::from(self.init_cost)
    }

    /// Gas charged on every entry.
    pub fn cached_gas(&self) -> u64 {
        crate::pricing::MIN_CACHED_GAS + u64::from(self.cached_init_cost)
    }
}

/// Globals Nitro's instrumentation adds (ink, ink status, scratch, stack depth), which its
/// cost prediction counts.
const INSTRUMENTATION_GLOBALS: u64 = 4;

/// Validates a WASM module as Nitro's activation does and predicts its entry costs.
pub fn validate(wasm: &[u8]) -> Result<ProgramCosts, CodeError> {
    if wasm.len() > MAX_WASM_BYTES {
        return Err(CodeError::TooLarge);
    }
    Validator::new_with_features(nitro_features())
        .validate_all(wasm)
        .map_err(|e| CodeError::Invalid(e.to_string()))?;
    inspect(wasm).map_err(|e| match e {
        Inspect::Parse(e) => CodeError::Invalid(e.to_string()),
        Inspect::Rule(r) => CodeError::Stylus(r),
    })
}

enum Inspect {
    Parse(wasmparser::BinaryReaderError),
    Rule(String),
}

impl From<wasmparser::BinaryReaderError> for Inspect {
    fn from(e: wasmparser::BinaryReaderError) -> Self {
        Inspect::Parse(e)
    }
}

fn rule<T>(text: impl Into<String>) -> Result<T, Inspect> {
    Err(Inspect::Rule(text.into()))
}

fn inspect(wasm: &[u8]) -> Result<ProgramCosts, Inspect> {
    let mut types: Vec<FuncType> = Vec::new();
    let mut func_types: Vec<u32> = Vec::new();
    let mut local_funcs: Vec<u32> = Vec::new();
    let mut globals = 0u64;
    let mut memories: Vec<wasmparser::MemoryType> = Vec::new();
    // Encoded bytes of every data segment, and of every element segment.
    let mut data_len = 0u64;
    let mut elem_len = 0u64;
    let mut datas = 0usize;
    let mut elements = 0usize;
    let mut imports = 0usize;
    let mut exports: Vec<(String, ExternalKind, u32)> = Vec::new();
    let mut table_entries = 0u64;

    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::TypeSection(reader) => {
                for ty in reader.into_iter_err_on_gc_types() {
                    types.push(ty?);
                }
            }
            Payload::ImportSection(reader) => {
                for import in reader.into_imports() {
                    let import = import?;
                    imports += 1;
                    if import.module != "vm_hooks" && import.module != "console" {
                        return rule(format!(
                            "import {}.{} is not from vm_hooks",
                            import.module, import.name
                        ));
                    }
                    match import.ty {
                        TypeRef::Func(t) | TypeRef::FuncExact(t) => func_types.push(t),
                        _ => {
                            return rule(format!(
                                "import {}.{} is not a function",
                                import.module, import.name
                            ))
                        }
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                for t in reader {
                    let t = t?;
                    func_types.push(t);
                    local_funcs.push(t);
                }
            }
            Payload::TableSection(reader) => {
                for t in reader {
                    table_entries += t?.ty.initial;
                }
            }
            Payload::MemorySection(reader) => {
                for m in reader {
                    memories.push(m?);
                }
            }
            Payload::GlobalSection(reader) => {
                for g in reader {
                    g?;
                    globals += 1;
                }
            }
            Payload::ExportSection(reader) => {
                for e in reader {
                    let e = e?;
                    if e.name.len() > 512 {
                        return rule("an export name is longer than 512 bytes");
                    }
                    exports.push((e.name.to_string(), e.kind, e.index));
                }
            }
            Payload::StartSection { .. } => return rule("start functions are not allowed"),
            // Nitro measures both kinds of segment by their whole encoding (wasmparser's
            // `range`: flags, index, offset expression, length or count prefix and contents),
            // both in the entry cost and in the element-entries limit.
            Payload::ElementSection(reader) => {
                for e in reader {
                    elements += 1;
                    elem_len += e?.range.len() as u64;
                }
            }
            Payload::DataSection(reader) => {
                for d in reader {
                    datas += 1;
                    data_len += d?.range.len() as u64;
                }
            }
            Payload::CodeSectionEntry(body) => {
                let mut locals = body.get_locals_reader()?;
                let mut count = 0u64;
                for _ in 0..locals.get_count() {
                    count += u64::from(locals.read()?.0);
                }
                if count > 348 {
                    return rule(format!("too many locals in a function: {count} > 348"));
                }
                let mut ops = body.get_operators_reader()?;
                let mut n = 0usize;
                while !ops.eof() {
                    ops.read()?;
                    n += 1;
                }
                if n > 65_536 {
                    return rule(format!("too many opcodes in a function: {n} > 65536"));
                }
            }
            _ => {}
        }
    }

    let limit = |name: &str, count: usize, max: usize| {
        if count > max {
            rule(format!("too many wasm {name}: {count} > {max}"))
        } else {
            Ok(())
        }
    };
    limit("memories", memories.len(), 1)?;
    limit("datas", datas, 128)?;
    limit("elements", elements, 128)?;
    limit("exports", exports.len(), 1024)?;
    limit("functions", local_funcs.len(), 4096)?;
    limit("globals", globals as usize, 32_768)?;
    limit("imports", imports, 513)?;
    limit("table entries", table_entries as usize, 4096)?;
    limit("element entries", elem_len as usize, 4096)?;

    let Some(memory) = memories.first() else {
        return rule("missing memory with export name \"memory\"");
    };
    if memory.initial > MAX_INITIAL_PAGES {
        return rule(format!(
            "memory exceeds limit: {} > {MAX_INITIAL_PAGES} pages",
            memory.initial
        ));
    }
    match exports.iter().find(|(n, _, _)| n == "memory") {
        Some((_, ExternalKind::Memory, _)) => {}
        Some(_) => return rule("export memory is not a memory"),
        None => return rule("missing export with name memory"),
    }
    let entry = exports.iter().find(|(n, _, _)| n == "user_entrypoint");
    let Some((_, kind, index)) = entry else {
        return rule("missing export with name user_entrypoint");
    };
    let ty = func_types
        .get(*index as usize)
        .and_then(|t| types.get(*t as usize));
    let right = *kind == ExternalKind::Func
        && ty.is_some_and(|t| t.params() == [ValType::I32] && t.results() == [ValType::I32]);
    if !right {
        return rule("user_entrypoint must be a function (i32) -> i32");
    }

    // Nitro's cost prediction (prover `binary.rs`, after instrumentation).
    let funcs = local_funcs.len() as u64;
    let globals = globals + INSTRUMENTATION_GLOBALS;
    let wasm_len = wasm.len() as u64;
    let data_len = data_len + elem_len;
    let type_len: u64 = local_funcs
        .iter()
        .filter_map(|t| types.get(*t as usize))
        .map(|t| (t.params().len() + t.results().len()) as u64)
        .sum();
    let footprint = memory.initial as u16;
    let cached = funcs * 13420 / 100_000
        + type_len * 89 / 100_000
        + wasm_len * 122 / 100_000
        + globals * 1628 / 1000
        + data_len * 75244 / 100_000
        + u64::from(footprint) * 5;
    let init = funcs * 8252 / 1000 + type_len * 1059 / 1000 + wasm_len * 1286 / 10_000;
    let too_high = |what: &str| Inspect::Rule(format!("{what} cost too high"));
    Ok(ProgramCosts {
        init_cost: u16::try_from(init).map_err(|_| too_high("init"))?,
        cached_init_cost: u16::try_from(cached).map_err(|_| too_high("cached init"))?,
        footprint,
    })
}

/// An activated program: the compiled module and the entry costs activation recorded.
pub struct Program {
    /// The keccak of the deployable code.
    pub hash: alloy_primitives::B256,
    /// The module, instrumented by the engine's meter.
    pub module: wasmer::Module,
    /// The entry costs Nitro records at activation.
    pub costs: ProgramCosts,
    /// The engine that compiled it (each frame's store runs on it).
    pub engine: wasmer::Engine,
}

impl Program {
    /// Activates deployable code as `ArbWasm.activateProgram` does: decompresses, validates
    /// with Nitro's rules, compiles with `engine` and checks every import is a host I/O.
    pub fn activate(engine: &wasmer::Engine, deployable: &[u8]) -> Result<Program, CodeError> {
        let wasm = decompress(deployable)?;
        let costs = validate(&wasm)?;
        let module = wasmer::Module::from_binary(engine, &wasm)
            .map_err(|e| CodeError::Compile(e.to_string()))?;
        if let Some(import) = module
            .imports()
            .find(|i| !crate::IMPORTS.contains(&(i.module(), i.name())))
        {
            return Err(CodeError::Stylus(format!(
                "unknown import {}.{}",
                import.module(),
                import.name()
            )));
        }
        Ok(Program {
            hash: alloy_primitives::keccak256(deployable),
            module,
            costs,
            engine: engine.clone(),
        })
    }
}

/// A wasmer singlepass engine whose compiler instruments every module with `meter`.
pub fn engine(meter: crate::meter::StylusMeter) -> wasmer::Engine {
    use wasmer::sys::{CompilerConfig, EngineBuilder, Singlepass};
    let mut compiler = Singlepass::new();
    compiler.push_middleware(std::sync::Arc::new(meter));
    EngineBuilder::new(compiler).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A module with one 200-byte data segment and one 4-entry element segment.
    fn segments_module() -> Vec<u8> {
        let payload = "k".repeat(200);
        let text = format!(
            r#"(module
                 (table 4 funcref)
                 (memory (export "memory") 1 1)
                 (func $f)
                 (elem (i32.const 0) $f $f $f $f)
                 (data (i32.const 1024) "{payload}")
                 (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#
        );
        wat::parse_str(text).expect("test WAT parses")
    }

    #[test]
    fn segments_are_measured_by_their_encoding() {
        let wasm = segments_module();
        // The encodings the arithmetic below relies on, read back with wasmparser.
        let mut ranges = Vec::new();
        for payload in Parser::new(0).parse_all(&wasm) {
            match payload.expect("parses") {
                Payload::DataSection(r) => ranges.extend(
                    r.into_iter()
                        .map(|d| ("data", d.expect("data").range.len())),
                ),
                Payload::ElementSection(r) => ranges.extend(
                    r.into_iter()
                        .map(|e| ("elem", e.expect("elem").range.len())),
                ),
                _ => {}
            }
        }
        // Data: flags 0x00 (1) + offset `i32.const 1024; end` = 41 80 08 0b (4) + length 200
        // as LEB128 c8 01 (2) + the 200 bytes = 207. Element: flags 0x00 (1) + offset
        // `i32.const 0; end` = 41 00 0b (3) + count 04 (1) + four function indices 01 (4) = 9.
        ranges.sort();
        assert_eq!(ranges, [("data", 207), ("elem", 9)]);
        assert!(
            wasm.len() < 820,
            "the wasm_len term stays 0: {}",
            wasm.len()
        );

        // Nitro's cached init cost (prover binary.rs, integer division term by term):
        //   funcs 2            × 13,420 / 100,000 = 0
        //   type_len 0 + 2     ×     89 / 100,000 = 0   (`$f` is () → (), the entry (i32) → i32)
        //   wasm_len < 820     ×    122 / 100,000 = 0
        //   globals 0 + 4      ×  1,628 / 1,000   = 6   (ink, ink status, scratch, stack left)
        //   data 207 + 9 = 216 × 75,244 / 100,000 = 162 (162.527…)
        //   footprint 1 page   × 5                = 5
        // = 173. Counting the payload and the item count instead (200 + 4 = 204 → 153) gave 164.
        let costs = validate(&wasm).expect("valid");
        assert_eq!(costs.cached_init_cost, 173);
        assert_eq!(costs.footprint, 1);
        // The init cost does not see segments: 2 × 8,252 / 1,000 = 16, 2 × 1,059 / 1,000 = 2,
        // wasm_len × 1,286 / 10,000.
        let len = wasm.len() as u64;
        assert_eq!(u64::from(costs.init_cost), 16 + 2 + len * 1286 / 10_000);
    }

    #[test]
    fn the_element_entries_limit_counts_encoded_bytes() {
        // 2,100 references to function 129 (two LEB128 bytes each): 2,100 items, under the
        // 4,096 limit, but 1 + 3 + 2 (count) + 4,200 = 4,206 encoded bytes, over it.
        let funcs = "(func)".repeat(130);
        let refs = " 129".repeat(2100);
        let text = format!(
            r#"(module
                 (table 2100 funcref)
                 (memory (export "memory") 1 1)
                 {funcs}
                 (elem (i32.const 0) func {refs})
                 (func (export "user_entrypoint") (param i32) (result i32) i32.const 0))"#
        );
        let wasm = wat::parse_str(text).expect("test WAT parses");
        assert_eq!(
            validate(&wasm),
            Err(CodeError::Stylus(
                "too many wasm element entries: 4206 > 4096".into()
            ))
        );
    }
}
