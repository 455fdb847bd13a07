//! Code for the operations on `dyn` values that check the common cases inline: two ints or
//! two floats for the operators, bools and ints for truthiness, arrays for sharing; everything
//! else calls the runtime.

use super::{llvm, FnEmitter, R};
use crate::backend::ir::{BinOp, Type};
use inkwell::basic_block::BasicBlock;
use inkwell::values::{IntValue, PointerValue};
use inkwell::IntPredicate;
use solvra_rt::Tag;

impl<'ctx> FnEmitter<'_, 'ctx> {
    /// A binary operator on `dyn` operands (the type passes left it: its operand types are not
    /// proven). The common cases are checked at run time: two ints are added, subtracted,
    /// multiplied, divided (wrapping, as the language's ints do; division by zero raises as the
    /// typed operators do) and compared inline, and so are two floats (`float_binary`);
    /// everything else goes through the runtime.
    pub(super) fn binary(
        &self,
        op: BinOp,
        out: PointerValue<'ctx>,
        a: PointerValue<'ctx>,
        b: PointerValue<'ctx>,
    ) -> R<()> {
        let name = op.runtime_fn();
        let cx = self.cx;
        let bl = &cx.builder;
        let (ta, xa) = self.tag_bits(a)?;
        let (tb, xb) = self.tag_bits(b)?;
        let a_int = self.tag_is(ta, Tag::Int, "a.int")?;
        let b_int = self.tag_is(tb, Tag::Int, "b.int")?;
        let both = bl.build_and(a_int, b_int, "ints").map_err(llvm)?;
        let fast = cx.context.append_basic_block(self.llfn, "int.op");
        let not_ints = cx.context.append_basic_block(self.llfn, "not.ints");
        let slow = cx.context.append_basic_block(self.llfn, "dyn.op");
        let join = cx.context.append_basic_block(self.llfn, "op.done");
        bl.build_conditional_branch(both, fast, not_ints)
            .map_err(llvm)?;
        bl.position_at_end(fast);
        let cmp = |pred: IntPredicate| -> R<(Tag, IntValue<'ctx>)> {
            let c = bl.build_int_compare(pred, xa, xb, "cmp").map_err(llvm)?;
            let bits = bl
                .build_int_z_extend(c, cx.context.i64_type(), "bool")
                .map_err(llvm)?;
            Ok((Tag::Bool, bits))
        };
        let (tag, bits) = match op {
            BinOp::Add => (Tag::Int, bl.build_int_add(xa, xb, "add").map_err(llvm)?),
            BinOp::Sub => (Tag::Int, bl.build_int_sub(xa, xb, "sub").map_err(llvm)?),
            BinOp::Mul => (Tag::Int, bl.build_int_mul(xa, xb, "mul").map_err(llvm)?),
            BinOp::Eq => cmp(IntPredicate::EQ)?,
            BinOp::Ne => cmp(IntPredicate::NE)?,
            BinOp::Lt => cmp(IntPredicate::SLT)?,
            BinOp::Le => cmp(IntPredicate::SLE)?,
            BinOp::Gt => cmp(IntPredicate::SGT)?,
            BinOp::Ge => cmp(IntPredicate::SGE)?,
            BinOp::Div | BinOp::Rem => (
                Tag::Int,
                self.typed(op, Type::Int, xa.into(), xb.into())?
                    .into_int_value(),
            ),
        };
        self.store_tag_bits(out, tag, bits)?;
        bl.build_unconditional_branch(join).map_err(llvm)?;
        bl.position_at_end(not_ints);
        if matches!(op, BinOp::Eq | BinOp::Ne) {
            self.null_equality(op, out, ta, tb, join)?;
        }
        self.float_binary(op, out, (ta, xa), (tb, xb), join, slow)?;
        bl.position_at_end(slow);
        self.call_checked(name, &[out.into(), a.into(), b.into()])?;
        bl.build_unconditional_branch(join).map_err(llvm)?;
        bl.position_at_end(join);
        Ok(())
    }

    /// `==` and `!=` with a `null` operand, from the block where the operands are not both
    /// ints: `null` equals only `null` (`ops::shallow_equals`). Continues in the block for
    /// other operands.
    fn null_equality(
        &self,
        op: BinOp,
        out: PointerValue<'ctx>,
        ta: IntValue<'ctx>,
        tb: IntValue<'ctx>,
        join: BasicBlock<'ctx>,
    ) -> R<()> {
        let cx = self.cx;
        let bl = &cx.builder;
        let a_null = self.tag_is(ta, Tag::Null, "a.null")?;
        let b_null = self.tag_is(tb, Tag::Null, "b.null")?;
        let any = bl.build_or(a_null, b_null, "null").map_err(llvm)?;
        let fast = cx.context.append_basic_block(self.llfn, "null.cmp");
        let other = cx.context.append_basic_block(self.llfn, "not.null");
        bl.build_conditional_branch(any, fast, other)
            .map_err(llvm)?;
        bl.position_at_end(fast);
        let pred = if op == BinOp::Eq {
            IntPredicate::EQ
        } else {
            IntPredicate::NE
        };
        let r = bl.build_int_compare(pred, ta, tb, "same").map_err(llvm)?;
        let bits = bl
            .build_int_z_extend(r, cx.context.i64_type(), "bool")
            .map_err(llvm)?;
        self.store_tag_bits(out, Tag::Bool, bits)?;
        bl.build_unconditional_branch(join).map_err(llvm)?;
        bl.position_at_end(other);
        Ok(())
    }

    /// The two-floats case of `binary`, from the block where the operands are not both ints:
    /// done inline, then on to `join`; other operands go to `slow`.
    fn float_binary(
        &self,
        op: BinOp,
        out: PointerValue<'ctx>,
        (ta, xa): (IntValue<'ctx>, IntValue<'ctx>),
        (tb, xb): (IntValue<'ctx>, IntValue<'ctx>),
        join: BasicBlock<'ctx>,
        slow: BasicBlock<'ctx>,
    ) -> R<()> {
        let cx = self.cx;
        let bl = &cx.builder;
        let a_float = self.tag_is(ta, Tag::Float, "a.float")?;
        let b_float = self.tag_is(tb, Tag::Float, "b.float")?;
        let both = bl.build_and(a_float, b_float, "floats").map_err(llvm)?;
        let fast = cx.context.append_basic_block(self.llfn, "float.op");
        bl.build_conditional_branch(both, fast, slow)
            .map_err(llvm)?;
        bl.position_at_end(fast);
        let f64t = cx.context.f64_type();
        let fa = bl.build_bit_cast(xa, f64t, "fa").map_err(llvm)?;
        let fb = bl.build_bit_cast(xb, f64t, "fb").map_err(llvm)?;
        let r = self.typed(op, Type::Float, fa, fb)?;
        let (tag, bits) = if op.is_comparison() {
            let bits = bl
                .build_int_z_extend(r.into_int_value(), cx.context.i64_type(), "bool")
                .map_err(llvm)?;
            (Tag::Bool, bits)
        } else {
            let bits = bl
                .build_bit_cast(r, cx.context.i64_type(), "bits")
                .map_err(llvm)?;
            (Tag::Float, bits.into_int_value())
        };
        self.store_tag_bits(out, tag, bits)?;
        bl.build_unconditional_branch(join).map_err(llvm)?;
        Ok(())
    }

    /// Marks the value in a slot shared if it is an array (value semantics, §3.10.1): only
    /// arrays carry the flag, so other values skip the runtime call.
    pub(super) fn share(&self, v: PointerValue<'ctx>) -> R<()> {
        let cx = self.cx;
        let (tag_at, _) = self.tag_bits_at(v)?;
        let tag = cx
            .builder
            .build_load(cx.context.i8_type(), tag_at, "tag")
            .map_err(llvm)?
            .into_int_value();
        let is_array = self.tag_is(tag, Tag::Array, "is.array")?;
        let call = cx.context.append_basic_block(self.llfn, "share");
        let done = cx.context.append_basic_block(self.llfn, "shared");
        cx.builder
            .build_conditional_branch(is_array, call, done)
            .map_err(llvm)?;
        cx.builder.position_at_end(call);
        cx.call("solvra_share", &[v.into()])?;
        cx.builder.build_unconditional_branch(done).map_err(llvm)?;
        cx.builder.position_at_end(done);
        Ok(())
    }

    /// Truthiness as an `i1`: inline for bools and ints (nonzero payload), through the runtime
    /// for everything else (null has a nonzero payload when it marks an uninitialised slot).
    pub(super) fn truthy(&self, v: PointerValue<'ctx>) -> R<IntValue<'ctx>> {
        let cx = self.cx;
        let bl = &cx.builder;
        let i1 = cx.context.bool_type();
        let (tag, bits) = self.tag_bits(v)?;
        let is_bool = self.tag_is(tag, Tag::Bool, "is.bool")?;
        let is_int = self.tag_is(tag, Tag::Int, "is.int")?;
        let simple = bl.build_or(is_bool, is_int, "simple").map_err(llvm)?;
        let fast_result = bl
            .build_int_compare(
                IntPredicate::NE,
                bits,
                cx.context.i64_type().const_zero(),
                "nonzero",
            )
            .map_err(llvm)?;
        let start = bl.get_insert_block().expect("positioned");
        let slow = cx.context.append_basic_block(self.llfn, "dyn.truthy");
        let join = cx.context.append_basic_block(self.llfn, "truthy.done");
        bl.build_conditional_branch(simple, join, slow)
            .map_err(llvm)?;
        bl.position_at_end(slow);
        let t = cx.call("solvra_truthy", &[v.into()])?.expect("i32");
        let slow_result = bl
            .build_int_compare(
                IntPredicate::NE,
                t,
                cx.context.i32_type().const_zero(),
                "truthy",
            )
            .map_err(llvm)?;
        let slow_end = bl.get_insert_block().expect("positioned");
        bl.build_unconditional_branch(join).map_err(llvm)?;
        bl.position_at_end(join);
        let phi = bl.build_phi(i1, "truthy").map_err(llvm)?;
        phi.add_incoming(&[(&fast_result, start), (&slow_result, slow_end)]);
        Ok(phi.as_basic_value().into_int_value())
    }
}
