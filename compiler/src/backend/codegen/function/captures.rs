//! Captured variables inline: a closure's cells (`function::FunctionObj`, cells first) and a
//! cell's value (`function::CellObj`) have layouts compiled code reads (docs/MEMORY_MODEL.md).
//! Reading a cell checks that its variable was initialised; the error, and a store of an
//! array (which the runtime marks shared), take the runtime's path.

use super::{FnEmitter, R};
use inkwell::values::{IntValue, PointerValue};
use inkwell::IntPredicate;
use solvra_rt::aot::UNINIT;
use solvra_rt::Tag;

impl<'ctx> FnEmitter<'_, 'ctx> {
    /// `out = upval n`: cell `n` of the running closure (the function's first parameter).
    pub(super) fn upval(&self, out: PointerValue<'ctx>, n: u32) -> R<()> {
        let cx = self.cx;
        let env = self.param(0).into_pointer_value();
        let (_, closure) = self.tag_bits(env)?;
        let cells = self.load_ptr(self.payload(closure)?, 0, "cells")?;
        let at = self.gep(cx.value_ty, cells, cx.usize_ty.const_int(n as u64, false))?;
        cx.copy(out, at)
    }

    /// `out = load_cell cell`, or `variable 'NAME' used before initialization`.
    pub(super) fn load_cell(
        &self,
        out: PointerValue<'ctx>,
        cell: PointerValue<'ctx>,
        name: (PointerValue<'ctx>, IntValue<'ctx>),
    ) -> R<()> {
        let paths = self.paths("cell")?;
        let at = self.cell_value(cell)?;
        self.guard_initialised(at, &paths)?;
        self.cx.copy(out, at)?;
        self.finish(
            &paths,
            "solvra_cell_load",
            &[out.into(), cell.into(), name.0.into(), name.1.into()],
        )
    }

    /// `store_cell cell, value`: the variable must be initialised.
    pub(super) fn store_cell(
        &self,
        cell: PointerValue<'ctx>,
        value: PointerValue<'ctx>,
        name: (PointerValue<'ctx>, IntValue<'ctx>),
    ) -> R<()> {
        let paths = self.paths("cell.store")?;
        let (tv, _) = self.tag_bits(value)?;
        self.guard(self.tag_is_not(tv, Tag::Array)?, &paths, "plain.value")?;
        let at = self.cell_value(cell)?;
        self.guard_initialised(at, &paths)?;
        self.cx.copy(at, value)?;
        self.finish(
            &paths,
            "solvra_cell_store",
            &[cell.into(), value.into(), name.0.into(), name.1.into()],
        )
    }

    /// Where the value of the cell in slot `cell` is.
    fn cell_value(&self, cell: PointerValue<'ctx>) -> R<PointerValue<'ctx>> {
        let (_, bits) = self.tag_bits(cell)?;
        self.payload(bits)
    }

    /// Goes to the slow path if the value at `at` is `aot::UNINIT`.
    fn guard_initialised(
        &self,
        at: PointerValue<'ctx>,
        paths: &super::heap_access::Paths<'ctx>,
    ) -> R<()> {
        let cx = self.cx;
        let bl = &cx.builder;
        let (tag, bits) = self.tag_bits(at)?;
        let null = self.tag_is(tag, UNINIT.tag, "null")?;
        let marker = bl
            .build_int_compare(
                IntPredicate::EQ,
                bits,
                cx.context.i64_type().const_int(UNINIT.bits, false),
                "uninit.bits",
            )
            .map_err(super::llvm)?;
        let uninit = bl.build_and(null, marker, "uninit").map_err(super::llvm)?;
        let set = bl.build_not(uninit, "initialised").map_err(super::llvm)?;
        self.guard(set, paths, "initialised")
    }
}
