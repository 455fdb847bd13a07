//! `build --profile`: a counter per block lowered from a bytecode block, incremented each time
//! the block runs, and the table that says which block each counter belongs to; the start
//! function registers both with the runtime (`solvra_profile_start`), which writes the profile
//! when the program ends (runtime-lib `debug/profile.rs`, docs/DEBUGGING.md).
//!
//! Counters are numbered by function, then by bytecode block, so they are known before any
//! function is emitted.

use super::module::Ctx;
use super::CodegenError;
use crate::bytecode::{blocks, Program};
use inkwell::module::{Linkage, Module};
use inkwell::values::GlobalValue;

type R<T> = Result<T, CodegenError>;

fn llvm(e: inkwell::builder::BuilderError) -> CodegenError {
    CodegenError(format!("LLVM builder: {e}"))
}

/// The counters of a profiled module.
pub(super) struct Counters<'ctx> {
    /// `[N x i64]`, zeroed.
    array: GlobalValue<'ctx>,
    /// The block starts of each function, and the number of its first counter.
    starts: Vec<(Vec<usize>, usize)>,
    /// One `COST\tFUNCTION\tFILE\tLINE\tFN\tPC` line per counter.
    table: String,
}

impl<'ctx> Counters<'ctx> {
    pub(super) fn new(module: &Module<'ctx>, program: &Program) -> Counters<'ctx> {
        let clean = |s: &str| s.replace(['\t', '\n'], " ");
        let mut starts = Vec::new();
        let mut table = String::new();
        let mut n = 0;
        for (f, code) in program.functions.iter().enumerate() {
            let module_code = &program.modules[code.module as usize];
            let name = if module_code.init == f as u32 {
                "<top level>"
            } else {
                code.display_name()
            };
            let costs = blocks::costs(code);
            let s = blocks::starts(code);
            for &pc in &s {
                table.push_str(&format!(
                    "{}\t{}\t{}\t{}\t{f}\t{pc}\n",
                    costs[pc],
                    clean(name),
                    clean(&module_code.name),
                    code.line_at(pc)
                ));
            }
            let first = n;
            n += s.len();
            starts.push((s, first));
        }
        let ty = module.get_context().i64_type().array_type(n.max(1) as u32);
        let array = module.add_global(ty, None, "svs.profile");
        array.set_initializer(&ty.const_zero());
        array.set_linkage(Linkage::Private);
        Counters {
            array,
            starts,
            table,
        }
    }

    /// Counts a run of the block of function `f` starting at bytecode `pc` (at the builder).
    pub(super) fn count(&self, cx: &Ctx<'ctx>, f: u32, pc: u32) -> R<()> {
        let (starts, first) = &self.starts[f as usize];
        let Ok(i) = starts.binary_search(&(pc as usize)) else {
            return Ok(()); // not a block start: nothing counts it
        };
        let i64t = cx.context.i64_type();
        let b = &cx.builder;
        // SAFETY (LLVM): the index is below the number of counters.
        let at = unsafe {
            b.build_in_bounds_gep(
                i64t,
                self.array.as_pointer_value(),
                &[cx.usize_ty.const_int((first + i) as u64, false)],
                "counter",
            )
            .map_err(llvm)?
        };
        let old = b.build_load(i64t, at, "count").map_err(llvm)?;
        let new = b
            .build_int_add(old.into_int_value(), i64t.const_int(1, false), "count")
            .map_err(llvm)?;
        b.build_store(at, new).map_err(llvm)?;
        Ok(())
    }

    /// Registers the counters with the runtime (in the start function).
    pub(super) fn start(&self, cx: &Ctx<'ctx>) -> R<()> {
        let (table, len) = cx.text(&self.table)?;
        let n = self.starts.last().map_or(0, |(s, first)| first + s.len());
        cx.call(
            "solvra_profile_start",
            &[
                self.array.as_pointer_value().into(),
                cx.usize_ty.const_int(n as u64, false).into(),
                table.into(),
                cx.usize_ty.const_int(len, false).into(),
            ],
        )?;
        Ok(())
    }
}
