//! Compile-time ink metering, as Nitro instruments a Stylus program at activation.
//!
//! One wasmer [`ModuleMiddleware`] applies, per function and in Nitro's order, the three
//! instrumentations that change what a program pays or may do:
//!
//! * **ink meter** — Nitro's `pricing_v1` per-opcode table ([`opcode_ink`]). Operators are
//!   grouped into basic blocks (a block ends at `end`, `else`, `return`, `loop`, `br`, `br_if`,
//!   `br_table`, `if`, `call`, `call_indirect`); each block is preceded by a header that checks
//!   the `stylus_ink_left` global against the block's whole cost plus [`INK_HEADER_COST`],
//!   traps with `stylus_ink_status = 1` when short, and subtracts the cost otherwise;
//! * **dynamic meter** — `memory.fill` and `memory.copy` additionally pay
//!   [`MEMORY_BYTE_INK`] per byte before running;
//! * **heap bound** — when the memory can grow, every `memory.grow` first calls the
//!   `vm_hooks.pay_for_memory_grow` import with the page count, which charges the memory model.
//!
//! Nitro's stack-depth instrumentation is not reproduced (wasmer's own stack guard stands in).

use std::sync::{Arc, Mutex};

use wasmer::sys::wasmparser::{BlockType, Operator};
use wasmer::sys::{FunctionMiddleware, MiddlewareError, MiddlewareReaderState, ModuleMiddleware};
use wasmer::{
    ExportIndex, GlobalInit, GlobalType, LocalFunctionIndex, ModuleInfo, Mutability, Type,
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

/// What the function middlewares need to know about the module being compiled.
#[derive(Clone, Debug, Default)]
struct ModuleFacts {
    ink: u32,
    status: u32,
    scratch: u32,
    /// Parameter count of every type, by type index.
    param_counts: Arc<Vec<usize>>,
    /// Function index of `vm_hooks.pay_for_memory_grow`, when memory can grow.
    pay_for_grow: Option<u32>,
    /// Profiling: the global of local function 0 (local function `i` has `first + i`).
    profile_first: Option<u32>,
}

/// The module middleware: add it to a singlepass compiler (see `Host`).
#[derive(Debug, Default)]
pub struct StylusMeter {
    facts: Mutex<Option<ModuleFacts>>,
    profile: bool,
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
        let ink = add_global(Type::I64, GlobalInit::I64Const(0));
        let status = add_global(Type::I32, GlobalInit::I32Const(0));
        let scratch = add_global(Type::I32, GlobalInit::I32Const(0));
        info.exports
            .insert(INK_LEFT_GLOBAL.to_string(), ExportIndex::Global(ink));
        info.exports
            .insert(INK_STATUS_GLOBAL.to_string(), ExportIndex::Global(status));

        let param_counts: Vec<usize> = info
            .signatures
            .values()
            .map(|sig| sig.params().len())
            .collect();

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
        let facts = ModuleFacts {
            ink: ink.as_u32(),
            status: status.as_u32(),
            scratch: scratch.as_u32(),
            param_counts: Arc::new(param_counts),
            pay_for_grow,
            profile_first,
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
        Box::new(FunctionMeter {
            facts,
            profile,
            block: Vec::new(),
            block_cost: 0,
        })
    }
}

#[derive(Debug)]
struct FunctionMeter<'a> {
    facts: ModuleFacts,
    /// Profiling: this function's ink global.
    profile: Option<u32>,
    block: Vec<Operator<'a>>,
    block_cost: u64,
}

impl<'a> FunctionMeter<'a> {
    /// Emits one operator with the dynamic meter's and heap bound's additions in front.
    fn emit(&self, op: Operator<'a>, out: &mut MiddlewareReaderState<'a>) {
        use Operator::*;
        let f = &self.facts;
        match op {
            MemoryFill { .. } | MemoryCopy { .. } => {
                // Stack: [.., size]. Charge size × MEMORY_BYTE_INK, trapping on underflow.
                out.extend([
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
                ]);
            }
            MemoryGrow { .. } => {
                if let Some(pay) = f.pay_for_grow {
                    out.extend([
                        GlobalSet {
                            global_index: f.scratch,
                        },
                        GlobalGet {
                            global_index: f.scratch,
                        },
                        GlobalGet {
                            global_index: f.scratch,
                        },
                        Call {
                            function_index: pay,
                        },
                    ]);
                }
            }
            _ => {}
        }
        out.push_operator(op);
    }
}

impl<'a> FunctionMiddleware<'a> for FunctionMeter<'a> {
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
        let end = ends_basic_block(&op);
        self.block_cost = self
            .block_cost
            .saturating_add(opcode_ink(&op, &self.facts.param_counts));
        self.block.push(op);
        if end {
            let cost = self.block_cost.saturating_add(INK_HEADER_COST) as i64;
            let (ink, status) = (self.facts.ink, self.facts.status);
            out.extend([
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
            ]);
            if let Some(global_index) = self.profile {
                out.extend([
                    GlobalGet { global_index },
                    I64Const { value: cost },
                    I64Add,
                    GlobalSet { global_index },
                ]);
            }
            for op in std::mem::take(&mut self.block) {
                self.emit(op, out);
            }
            self.block_cost = 0;
        }
        Ok(())
    }
}
