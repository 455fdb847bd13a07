//! Calls whose callee is a builtin known at compile time (`v = builtin NAME; call v(…)`): they
//! call the builtin by number (`solvra_call_builtin`), skipping the function value and the
//! generic call path, and two are done inline in their common case — `sqrt` of a non-negative
//! float (LLVM's `sqrt`, the same IEEE operation as Rust's) and `len` of an array (its length
//! word). Anything else, errors included, is the builtin itself.

use super::{llvm, CodegenError, FnEmitter, R};
use crate::backend::ir::{self, InstKind, Value};
use inkwell::intrinsics::Intrinsic;
use inkwell::values::PointerValue;
use inkwell::FloatPredicate;
use solvra_rt::builtins::table;
use solvra_rt::Tag;
use std::collections::HashSet;

/// The `builtin NAME` values of `func` whose only uses are as the callee of calls, which
/// `call_builtin` makes without the function value: they are never materialised.
pub(super) fn only_called(func: &ir::Function) -> HashSet<Value> {
    let mut builtins = HashSet::new();
    let mut other_uses = HashSet::new();
    for inst in &func.insts {
        match &inst.kind {
            InstKind::Builtin(_) => {
                builtins.extend(inst.result);
            }
            InstKind::Call { args, .. } => other_uses.extend(args.iter().copied()),
            kind => other_uses.extend(kind.args()),
        }
    }
    for block in &func.blocks {
        if let Some(t) = &block.terminator {
            other_uses.extend(t.args());
        }
    }
    builtins.retain(|v| !other_uses.contains(v));
    builtins
}

impl<'ctx> FnEmitter<'_, 'ctx> {
    /// The builtin `callee` is, if the IR says which.
    pub(super) fn known_builtin(&self, callee: Value) -> Option<u32> {
        match self.func.values[callee.0 as usize].0 {
            ir::ValueDef::Inst(inst) => match self.func.inst(inst).kind {
                InstKind::Builtin(id) => Some(id as u32),
                _ => None,
            },
            _ => None,
        }
    }

    /// `out = builtin(args…)` for builtin number `id`.
    pub(super) fn call_builtin(&self, id: u32, out: PointerValue<'ctx>, args: &[Value]) -> R<()> {
        let cx = self.cx;
        let bl = &cx.builder;
        let name = table::BUILTINS.get(id as usize).map(|b| b.name);
        let slow = cx.context.append_basic_block(self.llfn, "builtin.call");
        let done = cx.context.append_basic_block(self.llfn, "builtin.done");
        match (name, args) {
            (Some("sqrt"), [x]) => {
                let (tag, bits) = self.tag_bits(self.v(*x)?)?;
                let float = cx.context.append_basic_block(self.llfn, "sqrt.float");
                bl.build_conditional_branch(self.tag_is(tag, Tag::Float, "is.float")?, float, slow)
                    .map_err(llvm)?;
                bl.position_at_end(float);
                let f64t = cx.context.f64_type();
                let x = bl
                    .build_bit_cast(bits, f64t, "x")
                    .map_err(llvm)?
                    .into_float_value();
                let negative = bl
                    .build_float_compare(FloatPredicate::OLT, x, f64t.const_zero(), "negative")
                    .map_err(llvm)?;
                let fast = cx.context.append_basic_block(self.llfn, "sqrt.inline");
                bl.build_conditional_branch(negative, slow, fast)
                    .map_err(llvm)?;
                bl.position_at_end(fast);
                let sqrt = Intrinsic::find("llvm.sqrt")
                    .and_then(|i| i.get_declaration(&cx.module, &[f64t.into()]))
                    .ok_or_else(|| CodegenError("LLVM has no llvm.sqrt.f64".into()))?;
                let root = bl
                    .build_call(sqrt, &[x.into()], "sqrt")
                    .map_err(llvm)?
                    .try_as_basic_value()
                    .basic()
                    .expect("sqrt returns a double");
                let root = bl
                    .build_bit_cast(root, cx.context.i64_type(), "bits")
                    .map_err(llvm)?
                    .into_int_value();
                self.store_tag_bits(out, Tag::Float, root)?;
                bl.build_unconditional_branch(done).map_err(llvm)?;
            }
            (Some("len"), [x]) => {
                let (tag, bits) = self.tag_bits(self.v(*x)?)?;
                let array = cx.context.append_basic_block(self.llfn, "len.array");
                bl.build_conditional_branch(self.tag_is(tag, Tag::Array, "is.array")?, array, slow)
                    .map_err(llvm)?;
                bl.position_at_end(array);
                // The length is word 2 of the payload (`array::Storage`).
                let len = self.load_int(cx.usize_ty, self.payload(bits)?, 2, "len")?;
                let len = bl
                    .build_int_z_extend_or_bit_cast(len, cx.context.i64_type(), "len64")
                    .map_err(llvm)?;
                self.store_tag_bits(out, Tag::Int, len)?;
                bl.build_unconditional_branch(done).map_err(llvm)?;
            }
            _ => {
                bl.build_unconditional_branch(slow).map_err(llvm)?;
            }
        }
        bl.position_at_end(slow);
        let arr = self.array_of(args)?;
        self.call_checked(
            "solvra_call_builtin",
            &[
                out.into(),
                cx.context.i32_type().const_int(id as u64, false).into(),
                arr.into(),
                cx.usize_ty.const_int(args.len() as u64, false).into(),
            ],
        )?;
        bl.build_unconditional_branch(done).map_err(llvm)?;
        bl.position_at_end(done);
        Ok(())
    }
}
