//! Code for the forms the type passes make (`backend/opt`): operators on unboxed ints,
//! floats and bools, and direct calls of specialised clones.

use super::{llvm, FnEmitter, R};
use crate::backend::ir::{BinOp, InstKind, Type, Value};
use inkwell::attributes::{Attribute, AttributeLoc};
use inkwell::values::{BasicMetadataValueEnum, BasicValueEnum, IntValue, PointerValue};
use inkwell::{FloatPredicate, IntPredicate};
use solvra_rt::aot::MAX_CALL_DEPTH;
use solvra_rt::Tag;

/// Whether an instruction may run SolvraScript code through the runtime, which counts call
/// depth in its own counter (`solvra_call_depth_cell`).
pub(super) fn may_call_back(kind: &InstKind) -> bool {
    matches!(
        kind,
        InstKind::Call { .. }
            | InstKind::CallMethod { .. }
            | InstKind::AsyncCall { .. }
            | InstKind::AsyncMethod { .. }
            | InstKind::Await(_)
            | InstKind::AwaitIfTask(_)
            | InstKind::CallMain
            | InstKind::Import(_)
    )
}

impl<'ctx> FnEmitter<'_, 'ctx> {
    /// Where the runtime keeps the call depth on this thread. The runtime function is declared
    /// without side effects (like C's `__errno_location`), so LLVM computes it once per
    /// function or loop rather than at each call it counts.
    fn depth_cell(&self) -> R<PointerValue<'ctx>> {
        let cx = self.cx;
        let f = cx.runtime("solvra_call_depth_cell")?;
        let speculatable = Attribute::get_named_enum_kind_id("speculatable");
        // Declared once per module; the first use adds the attributes.
        if f.get_enum_attribute(AttributeLoc::Function, speculatable)
            .is_none()
        {
            for name in ["memory", "nounwind", "willreturn", "speculatable"] {
                let kind = Attribute::get_named_enum_kind_id(name);
                f.add_attribute(
                    AttributeLoc::Function,
                    cx.context.create_enum_attribute(kind, 0),
                );
            }
        }
        let call = cx.builder.build_call(f, &[], "depth.cell").map_err(llvm)?;
        Ok(call
            .try_as_basic_value()
            .basic()
            .expect("a pointer")
            .into_pointer_value())
    }

    /// The runtime's call depth.
    pub(super) fn depth(&self) -> R<IntValue<'ctx>> {
        let cx = self.cx;
        Ok(cx
            .builder
            .build_load(cx.context.i32_type(), self.depth_cell()?, "depth")
            .map_err(llvm)?
            .into_int_value())
    }

    /// Sets the runtime's call depth.
    pub(super) fn set_depth(&self, depth: IntValue<'ctx>) -> R<()> {
        self.cx
            .builder
            .build_store(self.depth_cell()?, depth)
            .map_err(llvm)?;
        Ok(())
    }

    /// The payload of the `dyn` value `v` as an unboxed `ty` (`unbox`, IR_SPEC.md): the type
    /// pass proved the tag, so another one is a compiler bug, reported as an internal error
    /// rather than read as the wrong type.
    pub(super) fn unbox(&mut self, ty: Type, v: Value, result: Value) -> R<()> {
        let cx = self.cx;
        let bl = &cx.builder;
        let (tag, bits) = self.tag_bits(self.v(v)?)?;
        let want = match ty {
            Type::Int => Tag::Int,
            Type::Float => Tag::Float,
            _ => Tag::Bool,
        };
        let wrong = bl
            .build_int_compare(
                IntPredicate::NE,
                tag,
                cx.context.i8_type().const_int(want as u64, false),
                "wrong.tag",
            )
            .map_err(llvm)?;
        self.raise_if(
            wrong,
            "internal error: a value the compiler proved typed is not",
        )?;
        let x: BasicValueEnum = match ty {
            Type::Int => bits.into(),
            Type::Float => bl
                .build_bit_cast(bits, cx.context.f64_type(), "float")
                .map_err(llvm)?,
            _ => bl
                .build_int_compare(IntPredicate::NE, bits, bits.get_type().const_zero(), "bool")
                .map_err(llvm)?
                .into(),
        };
        self.scalars.insert(result, x);
        Ok(())
    }

    /// Raises the runtime error `message` when `cond` holds; continues where it does not.
    fn raise_if(&self, cond: IntValue<'ctx>, message: &str) -> R<()> {
        let cx = self.cx;
        let bad = cx.context.append_basic_block(self.llfn, "raise");
        let ok = cx.context.append_basic_block(self.llfn, "checked");
        cx.builder
            .build_conditional_branch(cond, bad, ok)
            .map_err(llvm)?;
        cx.builder.position_at_end(bad);
        let (p, n) = cx.text(message)?;
        let st = cx
            .call(
                "solvra_error_raise",
                &[p.into(), cx.usize_ty.const_int(n, false).into()],
            )?
            .expect("status");
        self.check(st)?;
        cx.builder.build_unreachable().map_err(llvm)?;
        cx.builder.position_at_end(ok);
        Ok(())
    }

    /// `op` on two unboxed operands of type `ty` (§3.6, §3.7).
    pub(super) fn typed(
        &self,
        op: BinOp,
        ty: Type,
        a: BasicValueEnum<'ctx>,
        b: BasicValueEnum<'ctx>,
    ) -> R<BasicValueEnum<'ctx>> {
        let bl = &self.cx.builder;
        if ty == Type::Float {
            let (a, b) = (a.into_float_value(), b.into_float_value());
            let cmp = |p: FloatPredicate| -> R<BasicValueEnum<'ctx>> {
                Ok(bl.build_float_compare(p, a, b, "cmp").map_err(llvm)?.into())
            };
            return match op {
                BinOp::Add => Ok(bl.build_float_add(a, b, "add").map_err(llvm)?.into()),
                BinOp::Sub => Ok(bl.build_float_sub(a, b, "sub").map_err(llvm)?.into()),
                BinOp::Mul => Ok(bl.build_float_mul(a, b, "mul").map_err(llvm)?.into()),
                BinOp::Div | BinOp::Rem => {
                    let zero = self.cx.context.f64_type().const_zero();
                    let is_zero = bl
                        .build_float_compare(FloatPredicate::OEQ, b, zero, "zero")
                        .map_err(llvm)?;
                    self.raise_if(is_zero, "division by zero")?;
                    Ok(if op == BinOp::Div {
                        bl.build_float_div(a, b, "div").map_err(llvm)?.into()
                    } else {
                        // `frem` is C's `fmod`: the sign of the dividend (§3.6).
                        bl.build_float_rem(a, b, "rem").map_err(llvm)?.into()
                    })
                }
                BinOp::Eq => cmp(FloatPredicate::OEQ),
                // NaN is unequal to everything, itself included.
                BinOp::Ne => cmp(FloatPredicate::UNE),
                BinOp::Lt => cmp(FloatPredicate::OLT),
                BinOp::Le => cmp(FloatPredicate::OLE),
                BinOp::Gt => cmp(FloatPredicate::OGT),
                BinOp::Ge => cmp(FloatPredicate::OGE),
            };
        }
        let (a, b) = (a.into_int_value(), b.into_int_value());
        let cmp = |p: IntPredicate| -> R<BasicValueEnum<'ctx>> {
            Ok(bl.build_int_compare(p, a, b, "cmp").map_err(llvm)?.into())
        };
        match op {
            // No `nsw`: the language's ints wrap.
            BinOp::Add => Ok(bl.build_int_add(a, b, "add").map_err(llvm)?.into()),
            BinOp::Sub => Ok(bl.build_int_sub(a, b, "sub").map_err(llvm)?.into()),
            BinOp::Mul => Ok(bl.build_int_mul(a, b, "mul").map_err(llvm)?.into()),
            BinOp::Div | BinOp::Rem => {
                let i64t = self.cx.context.i64_type();
                let is_zero = bl
                    .build_int_compare(IntPredicate::EQ, b, i64t.const_zero(), "zero")
                    .map_err(llvm)?;
                self.raise_if(is_zero, "division by zero")?;
                // `MIN / -1` wraps to `MIN` and `x % -1` is 0 (§3.6), where LLVM's `sdiv`
                // and `srem` are undefined: divide by 1 instead and fix the result.
                let minus_one = i64t.const_all_ones();
                let by_m1 = bl
                    .build_int_compare(IntPredicate::EQ, b, minus_one, "by.m1")
                    .map_err(llvm)?;
                let safe = bl
                    .build_select(by_m1, i64t.const_int(1, false), b, "divisor")
                    .map_err(llvm)?
                    .into_int_value();
                let (plain, special) = if op == BinOp::Div {
                    let q = bl.build_int_signed_div(a, safe, "div").map_err(llvm)?;
                    (q, bl.build_int_neg(a, "neg").map_err(llvm)?)
                } else {
                    let r = bl.build_int_signed_rem(a, safe, "rem").map_err(llvm)?;
                    (r, i64t.const_zero())
                };
                Ok(bl
                    .build_select(by_m1, special, plain, "result")
                    .map_err(llvm)?)
            }
            BinOp::Eq => cmp(IntPredicate::EQ),
            BinOp::Ne => cmp(IntPredicate::NE),
            BinOp::Lt => cmp(IntPredicate::SLT),
            BinOp::Le => cmp(IntPredicate::SLE),
            BinOp::Gt => cmp(IntPredicate::SGT),
            BinOp::Ge => cmp(IntPredicate::SGE),
        }
    }

    /// The call depth of a callee whose caller is at `depth`, after raising `stack overflow` at
    /// the runtime's limit (as its `aot::call` does).
    pub(super) fn deeper(&self, depth: IntValue<'ctx>) -> R<IntValue<'ctx>> {
        let cx = self.cx;
        let i32t = cx.context.i32_type();
        let over = cx
            .builder
            .build_int_compare(
                IntPredicate::UGE,
                depth,
                i32t.const_int(MAX_CALL_DEPTH as u64, false),
                "too.deep",
            )
            .map_err(llvm)?;
        self.raise_if(over, "stack overflow")?;
        cx.builder
            .build_int_add(depth, i32t.const_int(1, false), "depth")
            .map_err(llvm)
    }

    /// A direct call of clone `clone`. The call depth travels as the clone's first argument:
    /// a clone passes its own plus one; other code reads the runtime's counter and puts it
    /// back afterwards, since the clones below may have stored theirs there. Going past the
    /// limit raises `stack overflow` at the call, as the runtime's `call` does.
    pub(super) fn call_direct(
        &mut self,
        clone: u32,
        args: &[Value],
        ret: Type,
        result: Option<Value>,
    ) -> R<()> {
        let cx = self.cx;
        let bl = &cx.builder;
        let i32t = cx.context.i32_type();
        let depth = match self.clone {
            Some(_) => self.param(0).into_int_value(),
            None => self.depth()?,
        };
        let next = self.deeper(depth)?;
        let mut call_args: Vec<BasicMetadataValueEnum> = vec![next.into()];
        for a in args {
            if self.func.value_type(*a) == Type::Dyn {
                // As every call does (`aot::call`): the callee gets its own share of an array.
                let at = self.v(*a)?;
                self.share(at)?;
                call_args.push(bl.build_load(cx.value_ty, at, "arg").map_err(llvm)?.into());
            } else {
                call_args.push(self.s(*a)?.into());
            }
        }
        let call = bl
            .build_call(cx.clones[clone as usize], &call_args, "direct")
            .map_err(llvm)?;
        call.set_call_convention(super::FAST_CC);
        if self.clone.is_none() {
            self.set_depth(depth)?;
        }
        let pair = call
            .try_as_basic_value()
            .basic()
            .expect("clones return a pair")
            .into_struct_value();
        let failed = bl
            .build_extract_value(pair, 1, "failed")
            .map_err(llvm)?
            .into_int_value();
        let status = bl
            .build_int_z_extend(failed, i32t, "status")
            .map_err(llvm)?;
        self.check(status)?;
        let value = bl.build_extract_value(pair, 0, "value").map_err(llvm)?;
        let r = result.expect("calls have results");
        if ret == Type::Dyn {
            bl.build_store(self.v(r)?, value).map_err(llvm)?;
        } else {
            self.scalars.insert(r, value);
        }
        Ok(())
    }
}
