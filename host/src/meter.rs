//! Compile-time ink metering and stack-depth checking, as Nitro instruments a Stylus program
//! at activation.
//!
//! One wasmer [`ModuleMiddleware`] applies, per function and in Nitro's order (ink meter,
//! dynamic meter, depth checker, heap bound), the four instrumentations that change what a
//! program pays or may do:
//!
//! * **ink meter** — Nitro's `pricing_v1` per-opcode table ([`opcode_ink`]). Operators are
//!   grouped into basic blocks (a block ends at `end`, `else`, `return`, `loop`, `br`, `br_if`,
//!   `br_table`, `if`, `call`, `call_indirect`); each block is preceded by a header that checks
//!   the `stylus_ink_left` global against the block's whole cost plus [`INK_HEADER_COST`],
//!   traps with `stylus_ink_status = 1` when short, and subtracts the cost otherwise;
//! * **dynamic meter** — `memory.fill` and `memory.copy` additionally pay
//!   [`MEMORY_BYTE_INK`] per byte before running;
//! * **depth checker** — each function's worst-case frame ([`frame_words`]: the deepest
//!   operand stack of its *metered* code, plus its declared locals, plus
//!   [`FRAME_OVERHEAD_WORDS`]; parameters are not counted) is taken from the
//!   `stylus_stack_left` global on entry and given back before every `return` (one is added
//!   before the closing `end`). An entry that finds no more than its frame left sets the
//!   global to 0 and traps: the call ends "out of stack" ([`OUT_OF_STACK`]) and, as in Nitro,
//!   consumes all its gas. Each frame starts with the chain's `MaxStackDepth` words
//!   ([`crate::pricing::max_stack_depth`]); see [`StackGauge`]. Activation fails for a frame
//!   over [`MAX_FRAME_WORDS`], an operand stack over [`MAX_FRAME_CONTENTION`] or more than
//!   [`MAX_INSTRUMENTED_OPCODES`] operators in a function after instrumentation;
//! * **heap bound** — when the memory can grow, every `memory.grow` first calls the
//!   `vm_hooks.pay_for_memory_grow` import with the page count, which charges the memory model.
//!
//! The host adds, unmetered and invisible to the gas, a low-water mark of `stylus_stack_left`
//! ([`STACK_LOW_GLOBAL`]) so a caller can see the deepest stack a frame reached; in a
//! profiling meter, per-function ink globals ([`PROFILE_GLOBAL_PREFIX`]); in a coverage meter,
//! one bit per basic block ([`COVERAGE_GLOBAL_PREFIX`]), for coverage-guided fuzzing. Wasmer's
//! native stack guard remains behind the depth checker, as in Nitro.

use std::sync::{Arc, Mutex};

use wasmer::sys::wasmparser::{BlockType, Operator};
use wasmer::sys::{FunctionMiddleware, MiddlewareError, MiddlewareReaderState, ModuleMiddleware};
use wasmer::{
    ExportIndex, GlobalInit, GlobalType, Instance, LocalFunctionIndex, ModuleInfo, Mutability,
    Store, Type, Value,
};
use wasmer_types::ImportIndex;

/// Export name of the ink-left global the meter adds.
pub const INK_LEFT_GLOBAL: &str = "stylus_ink_left";
/// Export name of the ink-status global (0 = ready, 1 = exhausted).
pub const INK_STATUS_GLOBAL: &str = "stylus_ink_status";
/// Export-name prefix of the profiling meter's per-function ink globals: `keel_profile_<i>`
/// holds the ink spent in the blocks of the module's function `i` (imports counted, as in the
/// name section), callees excluded.
pub const PROFILE_GLOBAL_PREFIX: &str = "keel_profile_";
/// Export-name prefix of the coverage meter's bitmap globals: `keel_cov_<w>` is the `w`-th
/// 64-bit word of the module's basic-block bitmap. Local function `f`'s blocks, numbered in
/// code order from 0 as [`basic_blocks`] counts them, own `ceil(blocks / 64)` (at least one)
/// consecutive words after those of function `f - 1`; block `k` sets bit `k % 64` of the
/// function's word `k / 64` each time it runs.
pub const COVERAGE_GLOBAL_PREFIX: &str = "keel_cov_";
/// Export name of the stack-space global the depth checker adds (Nitro's name): words left
/// in this frame's stack budget.
pub const STACK_LEFT_GLOBAL: &str = "stylus_stack_left";
/// Export name of the host's low-water mark of [`STACK_LEFT_GLOBAL`] (not part of Nitro's
/// instrumentation; updated after each entry's check, unmetered).
pub const STACK_LOW_GLOBAL: &str = "keel_stack_low";
/// Largest frame a function may need, in words (Nitro's `max_frame_size`, Stylus v1/v2).
pub const MAX_FRAME_WORDS: u32 = 10 * 1024;
/// Most values a function's operand stack may hold at once (Nitro's `max_frame_contention`).
pub const MAX_FRAME_CONTENTION: u32 = 4096;
/// Words every frame costs beyond its operand stack and declared locals (Nitro's `+ 4`).
pub const FRAME_OVERHEAD_WORDS: u32 = 4;
/// Most operators a function may have after instrumentation (Nitro checks the instrumented
/// code against its 65,536-opcode limit).
pub const MAX_INSTRUMENTED_OPCODES: usize = 65_536;
/// The failure reason of a call that ran out of stack ([`crate::Status::Failure`]).
pub const OUT_OF_STACK: &str = "out of stack";
/// Ink charged once per basic block for the metering header itself (Stylus v1/v2).
pub const INK_HEADER_COST: u64 = 2450;
/// Ink per byte of `memory.fill` / `memory.copy` (800 / 8).
pub const MEMORY_BYTE_INK: u64 = 100;
/// Marks an opcode Stylus does not support: any block containing it can never be afforded.
pub const UNSUPPORTED: u64 = u64::MAX;

/// Nitro's `pricing_v1` ink cost of one operator. `call_indirect` needs the parameter count
/// of its type, looked up in `param_counts` (by type index).
pub fn opcode_ink(op: &Operator<'_>, param_counts: &[usize]) -> u64 {
    use Operator::*;
    match op {
        Unreachable | Return | Nop | I32Const { .. } | I64Const { .. } => 1,
        Drop => 9,
        Block { .. } | Loop { .. } | Else | End => 1,
        Br { .. } | BrIf { .. } | If { .. } => 765,
        Select => 1250,
        Call { .. } => 3800,
        LocalGet { .. } | LocalTee { .. } => 75,
        LocalSet { .. } => 210,
        GlobalGet { .. } => 225,
        GlobalSet { .. } => 575,
        I32Load { .. }
        | I32Load8S { .. }
        | I32Load8U { .. }
        | I32Load16S { .. }
        | I32Load16U { .. } => 670,
        I64Load { .. }
        | I64Load8S { .. }
        | I64Load8U { .. }
        | I64Load16S { .. }
        | I64Load16U { .. }
        | I64Load32S { .. }
        | I64Load32U { .. } => 680,
        I32Store { .. } | I32Store8 { .. } | I32Store16 { .. } => 825,
        I64Store { .. } | I64Store8 { .. } | I64Store16 { .. } | I64Store32 { .. } => 950,
        MemorySize { .. } => 3000,
        MemoryGrow { .. } => 8050,
        I32Eqz | I32Eq | I32Ne | I32LtS | I32LtU | I32GtS | I32GtU | I32LeS | I32LeU | I32GeS
        | I32GeU => 170,
        I64Eqz | I64Eq | I64Ne | I64LtS | I64LtU | I64GtS | I64GtU | I64LeS | I64LeU | I64GeS
        | I64GeU => 225,
        I32Clz | I32Ctz => 210,
        I32Add | I32Sub => 70,
        I32Mul => 160,
        I32DivS | I32DivU | I32RemS | I32RemU => 1120,
        I32And | I32Or | I32Xor | I32Shl | I32ShrS | I32ShrU | I32Rotl | I32Rotr => 70,
        I64Clz | I64Ctz => 210,
        I64Add | I64Sub => 100,
        I64Mul => 160,
        I64DivS | I64DivU | I64RemS | I64RemU => 1270,
        I64And | I64Or | I64Xor | I64Shl | I64ShrS | I64ShrU | I64Rotl | I64Rotr => 100,
        I32Popcnt => 2650,
        I64Popcnt => 6000,
        I32WrapI64 | I64ExtendI32S | I64ExtendI32U => 100,
        I32Extend8S | I32Extend16S | I64Extend8S | I64Extend16S | I64Extend32S => 100,
        MemoryCopy { .. } | MemoryFill { .. } => 950,
        BrTable { targets } => 2400 + 325 * u64::from(targets.len()),
        CallIndirect { type_index, .. } => {
            let params = param_counts.get(*type_index as usize).copied().unwrap_or(0);
            13610 + 650 * params as u64
        }
        // Floats, SIMD, atomics, reference types, tables, exceptions, GC, tail calls…
        _ => UNSUPPORTED,
    }
}

/// Whether `op` closes a basic block for metering (Nitro's `ends_basic_block`).
pub fn ends_basic_block(op: &Operator<'_>) -> bool {
    use Operator::*;
    matches!(
        op,
        End | Else
            | Return
            | Loop { .. }
            | Br { .. }
            | BrTable { .. }
            | BrIf { .. }
            | If { .. }
            | Call { .. }
            | CallIndirect { .. }
    )
}

/// Parameter and result counts of a function type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Arity {
    pub params: u32,
    pub results: u32,
}

/// The types the depth checker looks calls and block types up in.
#[derive(Clone, Debug, Default)]
pub struct ModuleTypes {
    /// Every type, by type (signature) index.
    pub signatures: Vec<Arity>,
    /// Every function's type index, by function index (imports first).
    pub functions: Vec<u32>,
}

impl ModuleTypes {
    fn signature(&self, index: u32) -> Result<Arity, String> {
        self.signatures
            .get(index as usize)
            .copied()
            .ok_or_else(|| format!("missing type {index}"))
    }

    fn function(&self, index: u32) -> Result<Arity, String> {
        let signature = self
            .functions
            .get(index as usize)
            .ok_or_else(|| format!("missing function {index}"))?;
        self.signature(*signature)
    }
}

/// A function's frame as Nitro's depth checker sizes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameSize {
    /// The most values its (metered) operand stack holds at once.
    pub operand_words: u32,
    /// What an entry takes from the stack budget: operand words + declared locals +
    /// [`FRAME_OVERHEAD_WORDS`].
    pub words: u32,
}

/// Nitro's operand-stack simulation: a straight walk over the code in which results are
/// pushed before arguments are popped, pops stop at zero, `else` and `end` restore the height
/// their block started at, and nothing (not `br`, `return` or `unreachable`) ends the walk.
#[derive(Default)]
struct StackWalk {
    height: u32,
    worst: u32,
}

impl StackWalk {
    fn push(&mut self, count: u32) {
        self.height = self.height.saturating_add(count);
        self.worst = self.worst.max(self.height);
    }

    fn pop(&mut self, count: u32) {
        self.height = self.height.saturating_sub(count);
    }

    fn ins_and_outs(&mut self, arity: Arity) {
        self.push(arity.results);
        self.pop(arity.params);
    }

    fn block_type(&mut self, ty: &BlockType, types: &ModuleTypes) -> Result<(), String> {
        match ty {
            BlockType::Empty => {}
            BlockType::Type(_) => self.push(1),
            BlockType::FuncType(index) => self.ins_and_outs(types.signature(*index)?),
        }
        Ok(())
    }
}

/// The frame Nitro's depth checker charges for a function whose code — after the ink and
/// dynamic meters, as Nitro's checker sees it — is `code` (its closing `end` included), with
/// `declared_locals` locals besides its parameters. Fails, as Nitro's activation does, on an
/// operator the checker does not support or malformed block nesting; the frame and contention
/// limits are checked by the caller.
pub fn frame_words<'a: 'b, 'b>(
    code: impl IntoIterator<Item = &'b Operator<'a>>,
    declared_locals: u32,
    types: &ModuleTypes,
) -> Result<FrameSize, String> {
    use Operator::*;
    let mut walk = StackWalk::default();
    let mut scopes: Vec<u32> = vec![0];
    for op in code {
        match op {
            Block { blockty } | Loop { blockty } => {
                walk.block_type(blockty, types)?;
                scopes.push(walk.height);
            }
            If { blockty } => {
                walk.pop(1);
                walk.block_type(blockty, types)?;
                scopes.push(walk.height);
            }
            Else => {
                walk.height = *scopes.last().ok_or("malformed if-else scope")?;
            }
            End => {
                walk.height = scopes
                    .pop()
                    .ok_or("malformed scoping at the end of a block")?;
            }
            Call { function_index } => walk.ins_and_outs(types.function(*function_index)?),
            CallIndirect { type_index, .. } => {
                walk.ins_and_outs(types.signature(*type_index)?);
                walk.pop(1);
            }
            MemoryFill { .. } | MemoryCopy { .. } => walk.ins_and_outs(Arity {
                params: 3,
                results: 0,
            }),

            Nop | Unreachable | Return | Br { .. } | LocalTee { .. } | MemoryGrow { .. } => {}
            I32Eqz | I64Eqz | I32Clz | I32Ctz | I32Popcnt | I64Clz | I64Ctz | I64Popcnt => {}
            I32Load { .. }
            | I64Load { .. }
            | F32Load { .. }
            | F64Load { .. }
            | I32Load8S { .. }
            | I32Load8U { .. }
            | I32Load16S { .. }
            | I32Load16U { .. }
            | I64Load8S { .. }
            | I64Load8U { .. }
            | I64Load16S { .. }
            | I64Load16U { .. }
            | I64Load32S { .. }
            | I64Load32U { .. } => {}
            I32WrapI64 | I64ExtendI32S | I64ExtendI32U | I32Extend8S | I32Extend16S
            | I64Extend8S | I64Extend16S | I64Extend32S => {}
            F32Abs | F32Neg | F32Ceil | F32Floor | F32Trunc | F32Nearest | F32Sqrt | F64Abs
            | F64Neg | F64Ceil | F64Floor | F64Trunc | F64Nearest | F64Sqrt => {}
            I32TruncF32S | I32TruncF32U | I32TruncF64S | I32TruncF64U | I64TruncF32S
            | I64TruncF32U | I64TruncF64S | I64TruncF64U | F32ConvertI32S | F32ConvertI32U
            | F32ConvertI64S | F32ConvertI64U | F32DemoteF64 | F64ConvertI32S | F64ConvertI32U
            | F64ConvertI64S | F64ConvertI64U | F64PromoteF32 | I32ReinterpretF32
            | I64ReinterpretF64 | F32ReinterpretI32 | F64ReinterpretI64 => {}
            I32TruncSatF32S | I32TruncSatF32U | I32TruncSatF64S | I32TruncSatF64U
            | I64TruncSatF32S | I64TruncSatF32U | I64TruncSatF64S | I64TruncSatF64U => {}

            LocalGet { .. }
            | GlobalGet { .. }
            | MemorySize { .. }
            | I32Const { .. }
            | I64Const { .. }
            | F32Const { .. }
            | F64Const { .. } => walk.push(1),

            Drop | BrIf { .. } | BrTable { .. } | LocalSet { .. } | GlobalSet { .. } => walk.pop(1),
            I32Eq | I32Ne | I32LtS | I32LtU | I32GtS | I32GtU | I32LeS | I32LeU | I32GeS
            | I32GeU | I64Eq | I64Ne | I64LtS | I64LtU | I64GtS | I64GtU | I64LeS | I64LeU
            | I64GeS | I64GeU | F32Eq | F32Ne | F32Lt | F32Gt | F32Le | F32Ge | F64Eq | F64Ne
            | F64Lt | F64Gt | F64Le | F64Ge => walk.pop(1),
            I32Add | I32Sub | I32Mul | I32DivS | I32DivU | I32RemS | I32RemU | I32And | I32Or
            | I32Xor | I32Shl | I32ShrS | I32ShrU | I32Rotl | I32Rotr | I64Add | I64Sub
            | I64Mul | I64DivS | I64DivU | I64RemS | I64RemU | I64And | I64Or | I64Xor | I64Shl
            | I64ShrS | I64ShrU | I64Rotl | I64Rotr => walk.pop(1),
            F32Add | F32Sub | F32Mul | F32Div | F32Min | F32Max | F32Copysign | F64Add | F64Sub
            | F64Mul | F64Div | F64Min | F64Max | F64Copysign => walk.pop(1),

            Select
            | I32Store { .. }
            | I64Store { .. }
            | F32Store { .. }
            | F64Store { .. }
            | I32Store8 { .. }
            | I32Store16 { .. }
            | I64Store8 { .. }
            | I64Store16 { .. }
            | I64Store32 { .. } => walk.pop(2),

            other => return Err(format!("the depth checker does not support {other:?}")),
        }
    }
    Ok(FrameSize {
        operand_words: walk.worst,
        words: walk
            .worst
            .saturating_add(declared_locals)
            .saturating_add(FRAME_OVERHEAD_WORDS),
    })
}

/// What the function middlewares need to know about the module being compiled.
#[derive(Clone, Debug, Default)]
struct ModuleFacts {
    ink: u32,
    status: u32,
    scratch: u32,
    /// [`STACK_LEFT_GLOBAL`] and [`STACK_LOW_GLOBAL`].
    stack_left: u32,
    stack_low: u32,
    /// Parameter count of every type, by type index.
    param_counts: Arc<Vec<usize>>,
    /// The module's types, for the depth checker.
    types: Arc<ModuleTypes>,
    /// Function index of `vm_hooks.pay_for_memory_grow`, when memory can grow.
    pay_for_grow: Option<u32>,
    /// Profiling: the global of local function 0 (local function `i` has `first + i`).
    profile_first: Option<u32>,
    /// Coverage: per local function, its first bitmap global and its block count.
    coverage: Option<Arc<Vec<(u32, u32)>>>,
}

/// The module middleware: add it to a singlepass compiler (see [`crate::code::engine`]).
#[derive(Debug, Default)]
pub struct StylusMeter {
    facts: Mutex<Option<ModuleFacts>>,
    profile: bool,
    /// Coverage: the basic-block count of each local function of the one module this meter
    /// will instrument ([`basic_blocks`]).
    coverage: Option<Vec<u32>>,
}

impl StylusMeter {
    /// A meter with no module seen yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A meter that also adds each basic block's ink to a per-function global
    /// ([`PROFILE_GLOBAL_PREFIX`]). The additions are not metered: ink and gas are the same
    /// as with [`StylusMeter::new`].
    pub fn profiling() -> Self {
        StylusMeter {
            profile: true,
            ..Self::default()
        }
    }

    /// A meter for one module whose local functions have `blocks` basic blocks each
    /// ([`basic_blocks`] of its code), that also sets a bit per block run
    /// ([`COVERAGE_GLOBAL_PREFIX`]). The bits are not metered: ink and gas are the same as
    /// with [`StylusMeter::new`]. Compiling a module with other block counts fails.
    pub fn coverage(blocks: Vec<u32>) -> Self {
        StylusMeter {
            coverage: Some(blocks),
            ..Self::default()
        }
    }
}

/// The basic blocks of each local function of `wasm` as the meter delimits them (a block ends
/// at each operator [`ends_basic_block`] names): what [`StylusMeter::coverage`] needs.
pub fn basic_blocks(wasm: &[u8]) -> Result<Vec<u32>, String> {
    use wasmer::sys::wasmparser::{Parser, Payload};
    let mut blocks = Vec::new();
    for payload in Parser::new(0).parse_all(wasm) {
        if let Payload::CodeSectionEntry(body) = payload.map_err(|e| e.to_string())? {
            let mut count = 0u32;
            let mut ops = body.get_operators_reader().map_err(|e| e.to_string())?;
            while !ops.eof() {
                if ends_basic_block(&ops.read().map_err(|e| e.to_string())?) {
                    count += 1;
                }
            }
            blocks.push(count);
        }
    }
    Ok(blocks)
}

fn err(message: impl Into<String>) -> MiddlewareError {
    MiddlewareError::new("stylus meter", message)
}

impl ModuleMiddleware for StylusMeter {
    fn transform_module_info(&self, info: &mut ModuleInfo) -> Result<(), MiddlewareError> {
        let mut add_global = |ty: Type, init: GlobalInit| {
            let index = info.globals.push(GlobalType::new(ty, Mutability::Var));
            info.global_initializers.push(init);
            index
        };
        // Nitro's four globals, in its order, then the host's low-water mark.
        let ink = add_global(Type::I64, GlobalInit::I64Const(0));
        let status = add_global(Type::I32, GlobalInit::I32Const(0));
        let scratch = add_global(Type::I32, GlobalInit::I32Const(0));
        let stack_left = add_global(Type::I32, GlobalInit::I32Const(0));
        let stack_low = add_global(Type::I32, GlobalInit::I32Const(0));
        for (name, global) in [
            (INK_LEFT_GLOBAL, ink),
            (INK_STATUS_GLOBAL, status),
            (STACK_LEFT_GLOBAL, stack_left),
            (STACK_LOW_GLOBAL, stack_low),
        ] {
            info.exports
                .insert(name.to_string(), ExportIndex::Global(global));
        }

        let arity = |sig: &wasmer::FunctionType| Arity {
            params: sig.params().len() as u32,
            results: sig.results().len() as u32,
        };
        let types = ModuleTypes {
            signatures: info.signatures.values().map(arity).collect(),
            functions: info.functions.values().map(|sig| sig.as_u32()).collect(),
        };
        let param_counts: Vec<usize> = types.signatures.iter().map(|a| a.params as usize).collect();

        let memory = info
            .memories
            .values()
            .next()
            .ok_or_else(|| err("the module has no memory"))?;
        let fixed = memory.maximum == Some(memory.minimum);
        let pay_for_grow = if fixed {
            None
        } else {
            let found = info.imports.iter().find_map(|(key, index)| {
                (key.module == "vm_hooks" && key.field == "pay_for_memory_grow").then_some(index)
            });
            match found {
                Some(ImportIndex::Function(f)) => Some(f.as_u32()),
                Some(_) => return Err(err("pay_for_memory_grow is not a function")),
                None => {
                    return Err(err(
                        "a growable memory needs the import vm_hooks.pay_for_memory_grow",
                    ))
                }
            }
        };
        let profile_first = if self.profile {
            let imported = info.num_imported_functions;
            let mut first = None;
            for local in 0..info.functions.len().saturating_sub(imported) {
                let global = info
                    .globals
                    .push(GlobalType::new(Type::I64, Mutability::Var));
                info.global_initializers.push(GlobalInit::I64Const(0));
                info.exports.insert(
                    format!("{PROFILE_GLOBAL_PREFIX}{}", imported + local),
                    ExportIndex::Global(global),
                );
                first.get_or_insert(global.as_u32());
            }
            first
        } else {
            None
        };
        let coverage = match &self.coverage {
            None => None,
            Some(blocks) => {
                let locals = info
                    .functions
                    .len()
                    .saturating_sub(info.num_imported_functions);
                if blocks.len() != locals {
                    return Err(err(format!(
                        "coverage: {} block counts for {locals} functions",
                        blocks.len()
                    )));
                }
                let mut layout = Vec::with_capacity(locals);
                let mut word = 0usize;
                for &count in blocks {
                    let mut first = None;
                    for _ in 0..count.div_ceil(64).max(1) {
                        let global = info
                            .globals
                            .push(GlobalType::new(Type::I64, Mutability::Var));
                        info.global_initializers.push(GlobalInit::I64Const(0));
                        info.exports.insert(
                            format!("{COVERAGE_GLOBAL_PREFIX}{word}"),
                            ExportIndex::Global(global),
                        );
                        word += 1;
                        first.get_or_insert(global.as_u32());
                    }
                    layout.push((first.unwrap_or_default(), count));
                }
                Some(Arc::new(layout))
            }
        };
        let facts = ModuleFacts {
            ink: ink.as_u32(),
            status: status.as_u32(),
            scratch: scratch.as_u32(),
            stack_left: stack_left.as_u32(),
            stack_low: stack_low.as_u32(),
            param_counts: Arc::new(param_counts),
            types: Arc::new(types),
            pay_for_grow,
            profile_first,
            coverage,
        };
        *self.facts.lock().map_err(|_| err("meter state poisoned"))? = Some(facts);
        Ok(())
    }

    fn generate_function_middleware<'a>(
        &self,
        local: LocalFunctionIndex,
    ) -> Box<dyn FunctionMiddleware<'a> + 'a> {
        // `transform_module_info` always runs first; a poisoned lock or missing facts would
        // be a wasmer bug, and metering nothing would be silently wrong, so fail loudly.
        let facts = self
            .facts
            .lock()
            .ok()
            .and_then(|f| f.clone())
            .expect("transform_module_info runs before functions are instrumented");
        let profile = facts.profile_first.map(|first| first + local.as_u32());
        let coverage = facts
            .coverage
            .as_ref()
            .and_then(|layout| layout.get(local.as_u32() as usize).copied());
        Box::new(FunctionMeter {
            facts,
            profile,
            coverage,
            blocks_closed: 0,
            block: Vec::new(),
            block_cost: 0,
            staged: Vec::new(),
            open_scopes: 1,
            declared_locals: 0,
        })
    }
}

/// An item of a function as the ink and dynamic meters leave it.
#[derive(Debug)]
enum Staged<'a> {
    /// An operator: what Nitro's depth checker sees.
    Op(Operator<'a>),
    /// The profiling meter's addition of one block's ink (host-only, invisible to the depth
    /// checker and to the opcode limit).
    Profile(i64),
    /// The coverage meter's bit for one block (host-only, like [`Staged::Profile`]): global,
    /// mask.
    Cover(u32, i64),
}

#[derive(Debug)]
struct FunctionMeter<'a> {
    facts: ModuleFacts,
    /// Profiling: this function's ink global.
    profile: Option<u32>,
    /// Coverage: this function's first bitmap global and its expected block count.
    coverage: Option<(u32, u32)>,
    /// Basic blocks closed so far.
    blocks_closed: u32,
    /// The basic block being read, and its ink.
    block: Vec<Operator<'a>>,
    block_cost: u64,
    /// The function so far after the ink and dynamic meters: the depth checker needs all of
    /// it (its frame size goes in front), so nothing is emitted before the closing `end`.
    staged: Vec<Staged<'a>>,
    /// Blocks open in the original code (the function's own counts as one).
    open_scopes: usize,
    /// Locals declared in the body (parameters excluded), as wasmer reports them.
    declared_locals: u32,
}

impl<'a> FunctionMeter<'a> {
    /// Stages one operator with the dynamic meter's charge in front of `memory.fill` and
    /// `memory.copy`.
    fn stage(&mut self, op: Operator<'a>) {
        use Operator::*;
        let f = &self.facts;
        if matches!(op, MemoryFill { .. } | MemoryCopy { .. }) {
            // Stack: [.., size]. Charge size × MEMORY_BYTE_INK, trapping on underflow.
            let charge = [
                GlobalSet {
                    global_index: f.scratch,
                },
                GlobalGet {
                    global_index: f.ink,
                },
                GlobalGet {
                    global_index: f.ink,
                },
                GlobalGet {
                    global_index: f.scratch,
                },
                I64ExtendI32U,
                I64Const {
                    value: MEMORY_BYTE_INK as i64,
                },
                I64Mul,
                I64Sub,
                GlobalSet {
                    global_index: f.ink,
                },
                GlobalGet {
                    global_index: f.ink,
                },
                I64LtU,
                If {
                    blockty: BlockType::Empty,
                },
                I32Const { value: 1 },
                GlobalSet {
                    global_index: f.status,
                },
                Unreachable,
                End,
                GlobalGet {
                    global_index: f.scratch,
                },
            ];
            self.staged.extend(charge.into_iter().map(Staged::Op));
        }
        self.staged.push(Staged::Op(op));
    }

    /// Closes a basic block: its ink header (and profiling addition), then its operators.
    fn close_block(&mut self) {
        use Operator::*;
        let cost = self.block_cost.saturating_add(INK_HEADER_COST) as i64;
        let (ink, status) = (self.facts.ink, self.facts.status);
        let header = [
            GlobalGet { global_index: ink },
            I64Const { value: cost },
            I64LtU,
            If {
                blockty: BlockType::Empty,
            },
            I32Const { value: 1 },
            GlobalSet {
                global_index: status,
            },
            Unreachable,
            End,
            GlobalGet { global_index: ink },
            I64Const { value: cost },
            I64Sub,
            GlobalSet { global_index: ink },
        ];
        self.staged.extend(header.into_iter().map(Staged::Op));
        if self.profile.is_some() {
            self.staged.push(Staged::Profile(cost));
        }
        if let Some((first, _)) = self.coverage {
            let k = self.blocks_closed;
            let mask = (1u64 << (k % 64)) as i64;
            self.staged.push(Staged::Cover(first + k / 64, mask));
        }
        self.blocks_closed += 1;
        for op in std::mem::take(&mut self.block) {
            self.stage(op);
        }
        self.block_cost = 0;
    }

    /// At the function's closing `end`: sizes the frame and emits the whole function with the
    /// depth checker's entry check and returns, and the heap bound.
    fn finish(&mut self, out: &mut MiddlewareReaderState<'a>) -> Result<(), MiddlewareError> {
        use Operator::*;
        if let Some((_, expected)) = self.coverage {
            if expected != self.blocks_closed {
                return Err(err(format!(
                    "coverage: the function has {} basic blocks, not the {expected} counted",
                    self.blocks_closed
                )));
            }
        }
        let ops = self.staged.iter().filter_map(|s| match s {
            Staged::Op(op) => Some(op),
            Staged::Profile(_) | Staged::Cover(..) => None,
        });
        let frame = frame_words(ops, self.declared_locals, &self.facts.types).map_err(err)?;
        if frame.operand_words > MAX_FRAME_CONTENTION {
            return Err(err(format!(
                "too many values on the stack at once: {} > {MAX_FRAME_CONTENTION}",
                frame.operand_words
            )));
        }
        if frame.words > MAX_FRAME_WORDS {
            return Err(err(format!(
                "frame too large: {} > {MAX_FRAME_WORDS}-word limit",
                frame.words
            )));
        }
        let size = frame.words as i32;
        let left = self.facts.stack_left;
        let low = self.facts.stack_low;
        let reclaim = [
            GlobalGet { global_index: left },
            I32Const { value: size },
            I32Add,
            GlobalSet { global_index: left },
        ];

        // `nitro_ops` counts what Nitro's instrumented function holds, for its opcode limit.
        let mut body: Vec<Operator<'a>> = Vec::with_capacity(self.staged.len() + 32);
        let mut nitro_ops = 0usize;
        let mut nitro = |body: &mut Vec<Operator<'a>>, ops: &[Operator<'a>]| {
            nitro_ops += ops.len();
            body.extend_from_slice(ops);
        };
        // Entry: trap "out of stack" unless more than the frame is left, then take it.
        nitro(
            &mut body,
            &[
                GlobalGet { global_index: left },
                I32Const { value: size },
                I32LeU,
                If {
                    blockty: BlockType::Empty,
                },
                I32Const { value: 0 },
                GlobalSet { global_index: left },
                Unreachable,
                End,
                GlobalGet { global_index: left },
                I32Const { value: size },
                I32Sub,
                GlobalSet { global_index: left },
            ],
        );
        // Host only: lower the low-water mark.
        body.extend([
            GlobalGet { global_index: left },
            GlobalGet { global_index: low },
            I32LtU,
            If {
                blockty: BlockType::Empty,
            },
            GlobalGet { global_index: left },
            GlobalSet { global_index: low },
            End,
        ]);
        let mut staged = std::mem::take(&mut self.staged);
        let closing = match staged.pop() {
            Some(Staged::Op(op @ End)) => op,
            _ => return Err(err("a function must close with end")),
        };
        for item in staged {
            match item {
                Staged::Profile(cost) => {
                    if let Some(global_index) = self.profile {
                        body.extend([
                            GlobalGet { global_index },
                            I64Const { value: cost },
                            I64Add,
                            GlobalSet { global_index },
                        ]);
                    }
                }
                Staged::Cover(global_index, mask) => body.extend([
                    GlobalGet { global_index },
                    I64Const { value: mask },
                    I64Or,
                    GlobalSet { global_index },
                ]),
                Staged::Op(Return) => {
                    nitro(&mut body, &reclaim);
                    nitro(&mut body, &[Return]);
                }
                Staged::Op(op @ MemoryGrow { .. }) => {
                    if let Some(pay) = self.facts.pay_for_grow {
                        let scratch = self.facts.scratch;
                        nitro(
                            &mut body,
                            &[
                                GlobalSet {
                                    global_index: scratch,
                                },
                                GlobalGet {
                                    global_index: scratch,
                                },
                                GlobalGet {
                                    global_index: scratch,
                                },
                                Call {
                                    function_index: pay,
                                },
                            ],
                        );
                    }
                    nitro(&mut body, &[op]);
                }
                Staged::Op(op) => nitro(&mut body, &[op]),
            }
        }
        // Nitro's checker closes every function with an explicit (reclaiming) return.
        nitro(&mut body, &reclaim);
        nitro(&mut body, &[Return, closing]);
        if nitro_ops > MAX_INSTRUMENTED_OPCODES {
            return Err(err(format!(
                "too many opcodes in a function after instrumentation: {nitro_ops} > \
                 {MAX_INSTRUMENTED_OPCODES}"
            )));
        }
        out.extend(body);
        Ok(())
    }
}

impl<'a> FunctionMiddleware<'a> for FunctionMeter<'a> {
    fn locals_info(&mut self, locals: &[wasmer::sys::wasmparser::ValType]) {
        self.declared_locals = u32::try_from(locals.len()).unwrap_or(u32::MAX);
    }

    fn feed(
        &mut self,
        op: Operator<'a>,
        out: &mut MiddlewareReaderState<'a>,
    ) -> Result<(), MiddlewareError> {
        use Operator::*;
        if matches!(
            op,
            MemoryInit { .. }
                | DataDrop { .. }
                | ElemDrop { .. }
                | TableInit { .. }
                | TableCopy { .. }
                | TableFill { .. }
                | TableGet { .. }
                | TableSet { .. }
                | TableGrow { .. }
                | TableSize { .. }
        ) {
            return Err(err(format!("opcode not supported by Stylus: {op:?}")));
        }
        match op {
            Block { .. } | Loop { .. } | If { .. } => self.open_scopes += 1,
            End => {
                self.open_scopes = self
                    .open_scopes
                    .checked_sub(1)
                    .ok_or_else(|| err("an end closes no block"))?;
            }
            _ => {}
        }
        let closes_function = self.open_scopes == 0;
        let end = ends_basic_block(&op);
        self.block_cost = self
            .block_cost
            .saturating_add(opcode_ink(&op, &self.facts.param_counts));
        self.block.push(op);
        if end {
            self.close_block();
        }
        if closes_function {
            self.finish(out)?;
        }
        Ok(())
    }
}

/// One program instance's stack budget at run time: its [`STACK_LEFT_GLOBAL`] and
/// [`STACK_LOW_GLOBAL`]. Nitro gives every program frame (every entry of a program, each in
/// its own instance) the chain's `MaxStackDepth` words.
#[derive(Debug)]
pub struct StackGauge {
    left: wasmer::Global,
    low: wasmer::Global,
    budget: u32,
}

impl StackGauge {
    /// Gives `instance` a budget of `budget` words, before its entry point is called.
    pub fn arm(instance: &Instance, store: &mut Store, budget: u32) -> Result<Self, String> {
        let global = |name: &str| {
            instance
                .exports
                .get_global(name)
                .cloned()
                .map_err(|e| format!("the instance lacks {name}: {e}"))
        };
        let gauge = StackGauge {
            left: global(STACK_LEFT_GLOBAL)?,
            low: global(STACK_LOW_GLOBAL)?,
            budget,
        };
        // The globals are i32; a budget above i32::MAX keeps its bits (they compare unsigned).
        let words = Value::I32(budget as i32);
        for g in [&gauge.left, &gauge.low] {
            g.set(store, words.clone())
                .map_err(|e| format!("could not set the stack budget: {e}"))?;
        }
        Ok(gauge)
    }

    /// After a trap: whether it was the depth checker's (it empties the budget first).
    pub fn exhausted(&self, store: &mut Store) -> bool {
        matches!(self.left.get(store), Value::I32(0))
    }

    /// The most words the frame's calls held at once.
    pub fn deepest(&self, store: &mut Store) -> u32 {
        match self.low.get(store) {
            Value::I32(low) => self.budget.saturating_sub(low as u32),
            _ => 0,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmer::sys::wasmparser::ValType;
    use Operator::*;

    /// Types: 0 = (i32, i32) → (i32, i32, i32), 1 = (i32) → (); functions 0 and 1 of each.
    fn types() -> ModuleTypes {
        ModuleTypes {
            signatures: vec![
                Arity {
                    params: 2,
                    results: 3,
                },
                Arity {
                    params: 1,
                    results: 0,
                },
            ],
            functions: vec![0, 1],
        }
    }

    fn frame(code: &[Operator<'static>], locals: u32) -> Result<FrameSize, String> {
        frame_words(code, locals, &types())
    }

    #[test]
    fn a_call_pushes_its_results_before_popping_its_arguments() {
        // Three values, then a call taking two and returning three: Nitro counts 3 + 3 = 6
        // before the two arguments leave (the real stack never holds more than 4).
        let code = [
            I32Const { value: 1 },
            I32Const { value: 2 },
            I32Const { value: 3 },
            Call { function_index: 0 },
            Drop,
            Drop,
            Drop,
            Drop,
            End,
        ];
        let f = frame(&code, 1).expect("supported");
        assert_eq!(f.operand_words, 6);
        // + one declared local + the 4-word overhead.
        assert_eq!(f.words, 6 + 1 + 4);
    }

    #[test]
    fn else_and_end_restore_the_height_their_block_began_at() {
        let code = [
            I32Const { value: 1 },
            If {
                blockty: BlockType::Empty,
            },
            I32Const { value: 1 },
            I32Const { value: 2 },
            Drop,
            Drop,
            Else,
            I32Const { value: 1 },
            I32Const { value: 2 },
            I32Const { value: 3 },
            // Three drops stop at zero; the `end` puts the height back to 0 anyway.
            Drop,
            Drop,
            Drop,
            Drop,
            End,
            LocalGet { local_index: 0 },
            End,
        ];
        assert_eq!(frame(&code, 0).map(|f| f.operand_words), Ok(3));
    }

    #[test]
    fn block_results_and_indirect_calls_count_as_nitro_counts_them() {
        let code = [
            // A block with a result reserves its slot on entry: 1.
            Block {
                blockty: BlockType::Type(ValType::I32),
            },
            // An argument and the table index: 3; the call pops both (no results).
            I32Const { value: 7 },
            I32Const { value: 0 },
            CallIndirect {
                type_index: 1,
                table_index: 0,
            },
            I32Const { value: 1 },
            End,
            Drop,
            End,
        ];
        assert_eq!(frame(&code, 0).map(|f| f.words), Ok(3 + 4));
    }

    #[test]
    fn memory_fill_takes_three_operands() {
        let code = [
            I32Const { value: 0 },
            I32Const { value: 0 },
            I32Const { value: 8 },
            MemoryFill { mem: 0 },
            I32Const { value: 0 },
            End,
        ];
        assert_eq!(frame(&code, 0).map(|f| f.operand_words), Ok(3));
    }

    #[test]
    fn operators_nitros_checker_refuses_fail() {
        let code = [RefIsNull, End];
        assert!(frame(&code, 0).is_err());
        assert!(frame(&[End, End], 0).is_err(), "an end too many");
    }
}
