//! One IR function to one LLVM function.
//!
//! Signature: `i32 (ptr env, ptr args, iN argc, ptr out)`, returning 0 or 1 (a pending runtime
//! error). A specialised clone (`backend/opt`) is instead `{ T, i1 } (i32 depth, params…)`: its
//! unboxed parameters, and its result with a flag for a pending error; it is called directly,
//! with the call depth as an argument (see `call_direct`).
//!
//! Each `dyn` IR value and each local slot gets an `alloca` of the 16-byte value type; every
//! `alloca` is in the entry block, so the frame has a fixed size (see `array_of`). `int`,
//! `float` and `bool` IR values are LLVM `i64`, `double` and `i1` values; a phi of one of
//! those types gets an `alloca` too. Phis are resolved by copies on the incoming edges. A
//! raising runtime call is followed by a status check that goes to the block's `try` handler,
//! or to the function's propagation block, which records a stack-trace frame and returns 1.

mod builtins;
mod calls;
mod captures;
mod direct;
mod dynamic;
mod fuel;
mod heap_access;
mod unboxed;
mod weights;

use super::debuginfo::FnDebug;
use super::module::{Ctx, Staging, FAST_CC};
use super::CodegenError;
use crate::backend::ir::{self, Block, Const, InstKind, Terminator, Type, Value};
use crate::bytecode::Program;
use inkwell::basic_block::BasicBlock;
use inkwell::values::{
    BasicMetadataValueEnum, BasicValue, BasicValueEnum, FunctionValue, IntValue, PointerValue,
};
use inkwell::{FloatPredicate, IntPredicate};
use solvra_rt::Tag;
use std::collections::{HashMap, HashSet};
use unboxed::may_call_back;

type R<T> = Result<T, CodegenError>;

/// Scratch value slots for runtime calls (`module::Staging`): the most value pointers any
/// runtime function takes (`solvra_slice` takes five).
const SCRATCH_SLOTS: usize = 6;

fn llvm(e: inkwell::builder::BuilderError) -> CodegenError {
    CodegenError(format!("LLVM builder: {e}"))
}

pub(super) struct FnEmitter<'a, 'ctx> {
    cx: &'a Ctx<'ctx>,
    program: &'a Program,
    /// The bytecode function's index in `program`.
    index: u32,
    func: &'a ir::Function,
    llfn: FunctionValue<'ctx>,
    blocks: Vec<BasicBlock<'ctx>>,
    vals: HashMap<Value, PointerValue<'ctx>>,
    /// `int`, `float` and `bool` values.
    scalars: HashMap<Value, BasicValueEnum<'ctx>>,
    /// Where the phis of those types are stored on the incoming edges.
    scalar_phis: HashMap<Value, PointerValue<'ctx>>,
    /// The clone number, when this is a specialised clone.
    clone: Option<u32>,
    slots: Vec<PointerValue<'ctx>>,
    line_slot: PointerValue<'ctx>,
    propagate: BasicBlock<'ctx>,
    /// The IR block being emitted (its handler decides where errors go).
    current: Block,
    line: u32,
    /// Name and file of the function, as string globals, for stack traces.
    name: (PointerValue<'ctx>, u64),
    file: (PointerValue<'ctx>, u64),
    /// Debug information (`-g`): where instructions are attributed.
    dbg: Option<FnDebug<'ctx>>,
    /// Builtin function values that are only called (`builtins::only_called`).
    only_called: HashSet<Value>,
    /// How many fields each object literal initialises (`heap_access::literal_sizes`).
    literal_sizes: HashMap<Value, usize>,
}

impl<'a, 'ctx> FnEmitter<'a, 'ctx> {
    pub(super) fn emit(
        cx: &'a Ctx<'ctx>,
        program: &'a Program,
        index: u32,
        func: &'a ir::Function,
        clone: Option<u32>,
    ) -> R<()> {
        let llfn = match clone {
            Some(k) => cx.clones[k as usize],
            None => cx.functions[index as usize],
        };
        let entry = cx.context.append_basic_block(llfn, "entry");
        let blocks: Vec<BasicBlock> = (0..func.blocks.len())
            .map(|i| cx.context.append_basic_block(llfn, &format!("block{i}")))
            .collect();
        let propagate = cx.context.append_basic_block(llfn, "propagate");
        cx.builder.position_at_end(entry);
        let dbg = cx
            .debug
            .as_ref()
            .map(|d| d.function(cx, program, index, llfn));
        let b = &cx.builder;
        let mut vals = HashMap::new();
        let mut scalar_phis = HashMap::new();
        for (i, (def, ty)) in func.values.iter().enumerate() {
            if *ty == Type::Dyn {
                vals.insert(
                    Value(i as u32),
                    b.build_alloca(cx.value_ty, &format!("v{i}"))
                        .map_err(llvm)?,
                );
            } else if let ir::ValueDef::Inst(inst) = def {
                if matches!(func.inst(*inst).kind, InstKind::Phi(_)) {
                    scalar_phis.insert(
                        Value(i as u32),
                        b.build_alloca(cx.scalar_ty(*ty), &format!("v{i}"))
                            .map_err(llvm)?,
                    );
                }
            }
        }
        let mut slots = Vec::new();
        for s in 0..func.slots {
            let p = b
                .build_alloca(cx.value_ty, &format!("slot{s}"))
                .map_err(llvm)?;
            cx.store_const(p, Const::Null)?;
            slots.push(p);
        }
        let mut scratch = Vec::new();
        for i in 0..SCRATCH_SLOTS {
            scratch.push(
                b.build_alloca(cx.value_ty, &format!("scratch{i}"))
                    .map_err(llvm)?,
            );
        }
        *cx.staging.borrow_mut() = Staging {
            slots: vals.values().chain(&slots).copied().collect(),
            scratch,
        };
        let line_slot = b
            .build_alloca(cx.context.i32_type(), "line")
            .map_err(llvm)?;
        if let (Some(d), Some(f)) = (&cx.debug, &dbg) {
            d.declare_locals(cx, program, index, f, &slots, entry);
        }
        let code = &program.functions[index as usize];
        // A module's top level is named as the interpreter names it in traces.
        let name = if program.modules[code.module as usize].init == index {
            cx.text("<top level>")?
        } else {
            cx.text(code.display_name())?
        };
        let file = cx.text(&program.modules[code.module as usize].name)?;
        let mut e = FnEmitter {
            cx,
            program,
            index,
            func,
            llfn,
            blocks,
            vals,
            scalars: HashMap::new(),
            scalar_phis,
            clone,
            slots,
            line_slot,
            propagate,
            current: Block(0),
            line: 0,
            name,
            file,
            dbg,
            only_called: builtins::only_called(func),
            literal_sizes: heap_access::literal_sizes(func),
        };
        if clone.is_some() {
            for (i, ty) in func.params.iter().enumerate() {
                let v = Value(i as u32);
                let arg = e.param(i as u32 + 1);
                if *ty == Type::Dyn {
                    cx.builder.build_store(e.v(v)?, arg).map_err(llvm)?;
                } else {
                    e.scalars.insert(v, arg);
                }
            }
        } else {
            e.params()?;
        }
        e.trace_call()?;
        cx.builder
            .build_unconditional_branch(e.blocks[0])
            .map_err(llvm)?;
        // Dominators first: an unboxed value is an LLVM value, which must exist before the
        // blocks it dominates use it. Unreachable blocks use nothing from others.
        let doms = ir::dominators(func, &func.predecessors());
        for &b in &doms.rpo {
            e.block(b)?;
        }
        for bi in 0..func.blocks.len() as u32 {
            if !doms.reachable(Block(bi)) {
                e.block(Block(bi))?;
            }
        }
        e.propagation()?;
        *cx.staging.borrow_mut() = Staging::default();
        cx.builder.unset_current_debug_location();
        Ok(())
    }

    fn param(&self, n: u32) -> inkwell::values::BasicValueEnum<'ctx> {
        self.llfn
            .get_nth_param(n)
            .expect("native functions have four parameters")
    }

    /// Parameter values: argument `i` if the caller passed one, else `null`.
    fn params(&mut self) -> R<()> {
        let cx = self.cx;
        let args = self.param(1).into_pointer_value();
        let argc = self.param(2).into_int_value();
        for i in 0..self.func.params.len() as u32 {
            let dst = self.vals[&Value(i)];
            cx.store_const(dst, Const::Null)?;
            let given = cx
                .builder
                .build_int_compare(
                    IntPredicate::ULT,
                    cx.usize_ty.const_int(i as u64, false),
                    argc,
                    "given",
                )
                .map_err(llvm)?;
            let yes = cx.context.append_basic_block(self.llfn, "arg");
            let next = cx.context.append_basic_block(self.llfn, "args");
            cx.builder
                .build_conditional_branch(given, yes, next)
                .map_err(llvm)?;
            cx.builder.position_at_end(yes);
            let src = cx.value_at(args, i as u64)?;
            cx.copy(dst, src)?;
            cx.builder.build_unconditional_branch(next).map_err(llvm)?;
            cx.builder.position_at_end(next);
        }
        Ok(())
    }

    fn v(&self, v: Value) -> R<PointerValue<'ctx>> {
        self.vals
            .get(&v)
            .copied()
            .ok_or_else(|| CodegenError(format!("{v} is not a dyn value")))
    }

    fn b(&self, v: Value) -> R<IntValue<'ctx>> {
        Ok(self.s(v)?.into_int_value())
    }

    fn s(&self, v: Value) -> R<BasicValueEnum<'ctx>> {
        self.scalars
            .get(&v)
            .copied()
            .ok_or_else(|| CodegenError(format!("{v} is not an unboxed value")))
    }

    /// Branches on a runtime status: nonzero goes to the handler or the propagation block.
    fn check(&self, status: IntValue<'ctx>) -> R<()> {
        let cx = self.cx;
        let failed = cx
            .builder
            .build_int_compare(
                IntPredicate::NE,
                status,
                cx.context.i32_type().const_zero(),
                "failed",
            )
            .map_err(llvm)?;
        let ok = cx.context.append_basic_block(self.llfn, "ok");
        let target = match self.func.block(self.current).handler {
            Some(h) => self.blocks[h.index()],
            None => {
                cx.builder
                    .build_store(
                        self.line_slot,
                        cx.context.i32_type().const_int(self.line as u64, false),
                    )
                    .map_err(llvm)?;
                self.propagate
            }
        };
        cx.builder
            .build_conditional_branch(failed, target, ok)
            .map_err(llvm)?;
        cx.builder.position_at_end(ok);
        Ok(())
    }

    /// Calls runtime function `name` and checks its status.
    fn call_checked(&self, name: &str, args: &[BasicMetadataValueEnum<'ctx>]) -> R<()> {
        let st = self
            .cx
            .call(name, args)?
            .expect("status-returning runtime function");
        self.check(st)
    }

    fn propagation(&self) -> R<()> {
        let cx = self.cx;
        cx.builder.position_at_end(self.propagate);
        let line = cx
            .builder
            .build_load(cx.context.i32_type(), self.line_slot, "line")
            .map_err(llvm)?
            .into_int_value();
        cx.call(
            "solvra_trace_push",
            &[
                self.name.0.into(),
                cx.usize_ty.const_int(self.name.1, false).into(),
                self.file.0.into(),
                cx.usize_ty.const_int(self.file.1, false).into(),
                line.into(),
            ],
        )?;
        self.trace_return()?;
        match self.clone {
            Some(_) => {
                let ty = cx.clone_ret_ty(self.func.ret);
                let failed = ty.const_named_struct(&[
                    cx.scalar_ty(self.func.ret).const_zero(),
                    cx.context.bool_type().const_int(1, false).into(),
                ]);
                cx.builder.build_return(Some(&failed)).map_err(llvm)?;
            }
            None => {
                cx.builder
                    .build_return(Some(&cx.context.i32_type().const_int(1, false)))
                    .map_err(llvm)?;
            }
        }
        Ok(())
    }

    /// An array of values on the stack, for calls and literals.
    ///
    /// The `alloca` goes into the entry block, not the current one: an `alloca` elsewhere is
    /// dynamic, it moves the stack pointer each time it runs and is only released on return,
    /// so in a loop the frame grew every iteration, and the conservative stack scan
    /// (runtime-lib `heap/stack.rs`) found every array ever passed there and kept all of it
    /// alive: compiled programs never freed anything.
    fn array_of(&self, items: &[Value]) -> R<PointerValue<'ctx>> {
        let cx = self.cx;
        let n = items.len().max(1) as u32;
        let at_entry = cx.context.create_builder();
        // Just before the `line` alloca, so these stay in the order they are made.
        let line = self.line_slot.as_instruction().expect("an alloca");
        at_entry.position_before(&line);
        let arr = at_entry
            .build_array_alloca(
                cx.value_ty,
                cx.context.i32_type().const_int(n as u64, false),
                "items",
            )
            .map_err(llvm)?;
        for (i, v) in items.iter().enumerate() {
            let dst = cx.value_at(arr, i as u64)?;
            cx.copy(dst, self.v(*v)?)?;
        }
        Ok(arr)
    }

    /// Pointers to the tag and the payload of a value in a slot.
    fn tag_bits_at(&self, v: PointerValue<'ctx>) -> R<(PointerValue<'ctx>, PointerValue<'ctx>)> {
        let cx = self.cx;
        let b = &cx.builder;
        let tag_at = b
            .build_struct_gep(cx.value_ty, v, 0, "tag.at")
            .map_err(llvm)?;
        let bits_at = b
            .build_struct_gep(cx.value_ty, v, 1, "bits.at")
            .map_err(llvm)?;
        Ok((tag_at, bits_at))
    }

    /// The tag and payload of a value in a slot.
    fn tag_bits(&self, v: PointerValue<'ctx>) -> R<(IntValue<'ctx>, IntValue<'ctx>)> {
        let cx = self.cx;
        let (tag_at, bits_at) = self.tag_bits_at(v)?;
        let tag = cx
            .builder
            .build_load(cx.context.i8_type(), tag_at, "tag")
            .map_err(llvm)?;
        let bits = cx
            .builder
            .build_load(cx.context.i64_type(), bits_at, "bits")
            .map_err(llvm)?;
        Ok((tag.into_int_value(), bits.into_int_value()))
    }

    fn store_tag_bits(&self, out: PointerValue<'ctx>, tag: Tag, bits: IntValue<'ctx>) -> R<()> {
        let cx = self.cx;
        let (tag_at, bits_at) = self.tag_bits_at(out)?;
        cx.builder
            .build_store(tag_at, cx.context.i8_type().const_int(tag as u64, false))
            .map_err(llvm)?;
        cx.builder.build_store(bits_at, bits).map_err(llvm)?;
        Ok(())
    }

    /// Whether a loaded tag is `want`.
    fn tag_is(&self, tag: IntValue<'ctx>, want: Tag, name: &str) -> R<IntValue<'ctx>> {
        let cx = self.cx;
        let want = cx.context.i8_type().const_int(want as u64, false);
        cx.builder
            .build_int_compare(IntPredicate::EQ, tag, want, name)
            .map_err(llvm)
    }

    fn key(&self, k: u32) -> R<(PointerValue<'ctx>, IntValue<'ctx>)> {
        let (ptr, len) = self.cx.const_text(k)?;
        Ok((ptr, self.cx.usize_ty.const_int(len, false)))
    }

    fn block(&mut self, b: Block) -> R<()> {
        let cx = self.cx;
        self.current = b;
        cx.builder.position_at_end(self.blocks[b.index()]);
        if let (Some(p), Some(pc)) = (&cx.profile, self.func.block(b).origin) {
            p.count(cx, self.index, pc)?;
        }
        if cx.fuel.is_some() {
            self.charge_fuel(b)?;
        }
        let data = self.func.block(b);
        for &i in &data.insts {
            let inst = self.func.inst(i);
            self.line = inst.line;
            if let Some(d) = &self.dbg {
                d.at(cx, self.line);
            }
            self.inst(&inst.kind, inst.result)?;
        }
        match data.terminator.as_ref().expect("verified IR") {
            Terminator::Jump(to) => {
                self.phi_copies(b, *to)?;
                cx.builder
                    .build_unconditional_branch(self.blocks[to.index()])
                    .map_err(llvm)?;
            }
            Terminator::Branch {
                cond,
                then,
                otherwise,
            } => {
                let c = self.b(*cond)?;
                let t = self.edge(b, *then)?;
                let o = self.edge(b, *otherwise)?;
                let br = cx.builder.build_conditional_branch(c, t, o).map_err(llvm)?;
                if cx.profile_use.is_some() {
                    self.weigh_branch(br, *then, *otherwise)?;
                }
            }
            Terminator::Return(v) if self.clone.is_some() => {
                let value = match self.func.ret {
                    Type::Dyn => cx
                        .builder
                        .build_load(cx.value_ty, self.v(*v)?, "ret")
                        .map_err(llvm)?,
                    _ => self.s(*v)?,
                };
                let ty = cx.clone_ret_ty(self.func.ret);
                let ok = cx
                    .builder
                    .build_insert_value(ty.get_undef(), value, 0, "ret")
                    .map_err(llvm)?;
                let ok = cx
                    .builder
                    .build_insert_value(ok, cx.context.bool_type().const_zero(), 1, "ret")
                    .map_err(llvm)?;
                self.trace_return()?;
                cx.builder
                    .build_return(Some(&ok.as_basic_value_enum()))
                    .map_err(llvm)?;
            }
            Terminator::Return(v) => {
                let out = self.param(3).into_pointer_value();
                cx.copy(out, self.v(*v)?)?;
                self.trace_return()?;
                cx.builder
                    .build_return(Some(&cx.context.i32_type().const_zero()))
                    .map_err(llvm)?;
            }
            Terminator::Throw(v) => {
                let st = cx
                    .call("solvra_panic", &[self.v(*v)?.into()])?
                    .expect("status");
                self.check(st)?;
                cx.builder.build_unreachable().map_err(llvm)?;
            }
            Terminator::NoMatch => {
                let st = cx.call("solvra_no_match", &[])?.expect("status");
                self.check(st)?;
                cx.builder.build_unreachable().map_err(llvm)?;
            }
        }
        Ok(())
    }

    /// The LLVM block a branch from `from` to `to` goes to: `to` itself, or an edge block that
    /// first copies the incoming values into `to`'s phis.
    fn edge(&self, from: Block, to: Block) -> R<BasicBlock<'ctx>> {
        if !self.has_phis(to) {
            return Ok(self.blocks[to.index()]);
        }
        let cx = self.cx;
        let here = cx.builder.get_insert_block().expect("positioned");
        let edge = cx.context.append_basic_block(self.llfn, "edge");
        cx.builder.position_at_end(edge);
        self.phi_copies(from, to)?;
        cx.builder
            .build_unconditional_branch(self.blocks[to.index()])
            .map_err(llvm)?;
        cx.builder.position_at_end(here);
        Ok(edge)
    }

    fn has_phis(&self, b: Block) -> bool {
        self.func
            .block(b)
            .insts
            .first()
            .is_some_and(|&i| matches!(self.func.inst(i).kind, InstKind::Phi(_)))
    }

    /// Copies the values flowing along `from → to` into `to`'s phis (all loaded first, so phis
    /// that read each other see the old values).
    fn phi_copies(&self, from: Block, to: Block) -> R<()> {
        let cx = self.cx;
        let mut moves = Vec::new();
        for &i in &self.func.block(to).insts {
            let inst = self.func.inst(i);
            let InstKind::Phi(incoming) = &inst.kind else {
                break;
            };
            if let Some((_, v)) = incoming.iter().find(|(b, _)| *b == from) {
                let phi = inst.result.expect("phi result");
                if let Some(&slot) = self.scalar_phis.get(&phi) {
                    moves.push((slot, self.s(*v)?));
                    continue;
                }
                let loaded = cx
                    .builder
                    .build_load(cx.value_ty, self.v(*v)?, "phi.in")
                    .map_err(llvm)?;
                moves.push((self.v(phi)?, loaded));
            }
        }
        for (dst, v) in moves {
            cx.builder.build_store(dst, v).map_err(llvm)?;
        }
        Ok(())
    }

    fn out(&self, result: Option<Value>) -> R<PointerValue<'ctx>> {
        self.v(result.ok_or_else(|| CodegenError("instruction without a result".into()))?)
    }

    fn inst(&mut self, kind: &InstKind, result: Option<Value>) -> R<()> {
        use InstKind::*;
        let cx = self.cx;
        let usize_ = |n: u64| cx.usize_ty.const_int(n, false);
        let u32_ = |n: u64| cx.context.i32_type().const_int(n, false);
        if self.clone.is_some() && may_call_back(kind) {
            // What runs there counts depth from the runtime's counter (see `call_direct`).
            self.set_depth(self.param(0).into_int_value())?;
        }
        match kind {
            Phi(_) => {
                let r = result.expect("phi result");
                if let Some(&slot) = self.scalar_phis.get(&r) {
                    let ty = cx.scalar_ty(self.func.value_type(r));
                    let v = cx.builder.build_load(ty, slot, "phi").map_err(llvm)?;
                    self.scalars.insert(r, v);
                }
            }
            LoadFn { module, index, .. } => {
                cx.copy(self.out(result)?, cx.global(*module, *index)?)?;
            }
            Scalar(c) => {
                let v: BasicValueEnum = match *c {
                    ir::Const::Int(i) => cx.context.i64_type().const_int(i as u64, true).into(),
                    ir::Const::Float(x) => cx.context.f64_type().const_float(x).into(),
                    ir::Const::Bool(b) => cx.context.bool_type().const_int(b as u64, false).into(),
                    ir::Const::Null | ir::Const::Str(_) => {
                        return Err(CodegenError(
                            "internal error: unboxed null or string".into(),
                        ))
                    }
                };
                self.scalars.insert(result.expect("scalar result"), v);
            }
            Typed { op, ty, a, b } => {
                let v = self.typed(*op, *ty, self.s(*a)?, self.s(*b)?)?;
                self.scalars.insert(result.expect("typed result"), v);
            }
            TypedNeg(t, v) => {
                let v = match t {
                    Type::Float => cx
                        .builder
                        .build_float_neg(self.s(*v)?.into_float_value(), "neg")
                        .map_err(llvm)?
                        .into(),
                    _ => cx
                        .builder
                        .build_int_neg(self.s(*v)?.into_int_value(), "neg")
                        .map_err(llvm)?
                        .into(),
                };
                self.scalars.insert(result.expect("neg result"), v);
            }
            TypedTruthy(t, v) => {
                let v = match t {
                    Type::Float => cx
                        .builder
                        .build_float_compare(
                            FloatPredicate::UNE,
                            self.s(*v)?.into_float_value(),
                            cx.context.f64_type().const_zero(),
                            "truthy",
                        )
                        .map_err(llvm)?,
                    _ => cx
                        .builder
                        .build_int_compare(
                            IntPredicate::NE,
                            self.s(*v)?.into_int_value(),
                            cx.context.i64_type().const_zero(),
                            "truthy",
                        )
                        .map_err(llvm)?,
                };
                self.scalars
                    .insert(result.expect("truthy result"), v.into());
            }
            BoolNot(v) => {
                let v = cx.builder.build_not(self.b(*v)?, "not").map_err(llvm)?;
                self.scalars.insert(result.expect("not result"), v.into());
            }
            IntToFloat(v) => {
                let v = cx
                    .builder
                    .build_signed_int_to_float(
                        self.s(*v)?.into_int_value(),
                        cx.context.f64_type(),
                        "float",
                    )
                    .map_err(llvm)?;
                self.scalars.insert(result.expect("float result"), v.into());
            }
            Box(t, v) => {
                let i64t = cx.context.i64_type();
                let x = self.s(*v)?;
                let (tag, bits) = match t {
                    Type::Int => (Tag::Int, x.into_int_value()),
                    Type::Float => (
                        Tag::Float,
                        cx.builder
                            .build_bit_cast(x, i64t, "bits")
                            .map_err(llvm)?
                            .into_int_value(),
                    ),
                    _ => (
                        Tag::Bool,
                        cx.builder
                            .build_int_z_extend(x.into_int_value(), i64t, "bits")
                            .map_err(llvm)?,
                    ),
                };
                self.store_tag_bits(self.out(result)?, tag, bits)?;
            }
            Unbox(t, v) => self.unbox(*t, *v, result.expect("unbox result"))?,
            CallDirect {
                clone, args, ret, ..
            } => self.call_direct(*clone, args, *ret, result)?,
            Const(c) => cx.store_const(self.out(result)?, *c)?,
            CatchMessage => {
                let out = self.out(result)?;
                cx.call("solvra_catch_message", &[out.into()])?;
            }
            GetLocal(s) => cx.copy(self.out(result)?, self.slots[*s as usize])?,
            SetLocal(s, v) => cx.copy(self.slots[*s as usize], self.v(*v)?)?,
            ArgGiven(p) => {
                let argc = self.param(2).into_int_value();
                let given = cx
                    .builder
                    .build_int_compare(IntPredicate::ULT, usize_(*p as u64), argc, "given")
                    .map_err(llvm)?;
                self.scalars
                    .insert(result.expect("bool result"), given.into());
            }
            Binary(op, a, b) => self.binary(*op, self.out(result)?, self.v(*a)?, self.v(*b)?)?,
            Neg(v) => self.call_checked(
                "solvra_neg",
                &[self.out(result)?.into(), self.v(*v)?.into()],
            )?,
            // `!v` is `!truthy(v)` (`ops::not`), and truthiness is inline for bools and ints.
            Not(v) => {
                let t = self.truthy(self.v(*v)?)?;
                let not = cx.builder.build_not(t, "not").map_err(llvm)?;
                let bits = cx
                    .builder
                    .build_int_z_extend(not, cx.context.i64_type(), "bits")
                    .map_err(llvm)?;
                self.store_tag_bits(self.out(result)?, Tag::Bool, bits)?;
            }
            ToBool(v) => {
                cx.call(
                    "solvra_to_bool",
                    &[self.out(result)?.into(), self.v(*v)?.into()],
                )?;
            }
            Truthy(v) => {
                let b = self.truthy(self.v(*v)?)?;
                self.scalars.insert(result.expect("bool result"), b.into());
            }
            LoadGlobal { module, index } => {
                let g = cx.global(*module, *index)?;
                self.check_init(
                    g,
                    &self.program.modules[*module as usize].globals[*index as usize],
                )?;
                cx.copy(self.out(result)?, g)?;
            }
            StoreGlobal {
                module,
                index,
                value,
            } => {
                let g = cx.global(*module, *index)?;
                self.check_init(
                    g,
                    &self.program.modules[*module as usize].globals[*index as usize],
                )?;
                cx.copy(g, self.v(*value)?)?;
            }
            InitGlobal {
                module,
                index,
                value,
            } => cx.copy(cx.global(*module, *index)?, self.v(*value)?)?,
            NewCell(v) => self.call_checked(
                "solvra_cell_new",
                &[self.out(result)?.into(), self.v(*v)?.into()],
            )?,
            NewUninitCell => {
                self.call_checked("solvra_new_uninit_cell", &[self.out(result)?.into()])?
            }
            LoadCell { cell, name } => {
                self.load_cell(self.out(result)?, self.v(*cell)?, self.key(*name)?)?
            }
            StoreCell { cell, name, value } => {
                self.store_cell(self.v(*cell)?, self.v(*value)?, self.key(*name)?)?
            }
            InitCell { cell, value } => {
                cx.call(
                    "solvra_cell_set",
                    &[self.v(*cell)?.into(), self.v(*value)?.into()],
                )?;
            }
            Upval(n) => self.upval(self.out(result)?, *n)?,
            Builtin(_) if result.is_some_and(|r| self.only_called.contains(&r)) => {}
            Builtin(id) => self.call_checked(
                "solvra_builtin",
                &[self.out(result)?.into(), u32_(*id as u64).into()],
            )?,
            Share(v) => {
                self.share(self.v(*v)?)?;
                cx.copy(self.out(result)?, self.v(*v)?)?;
            }
            CheckNotArray { value, name } => {
                let (p, n) = self.key(*name)?;
                self.call_checked(
                    "solvra_check_not_array",
                    &[self.v(*value)?.into(), p.into(), n.into()],
                )?;
                cx.copy(self.out(result)?, self.v(*value)?)?;
            }
            NewArray(items) => {
                let arr = self.array_of(items)?;
                self.call_checked(
                    "solvra_array_new",
                    &[
                        self.out(result)?.into(),
                        arr.into(),
                        usize_(items.len() as u64).into(),
                    ],
                )?;
            }
            NewObject => {
                let fields = result.and_then(|r| self.literal_sizes.get(&r)).copied();
                let fields = usize_(fields.unwrap_or(0) as u64);
                self.call_checked(
                    "solvra_object_new",
                    &[self.out(result)?.into(), fields.into()],
                )?
            }
            InitField { object, key, value } => {
                let (p, n) = self.key(*key)?;
                self.call_checked(
                    "solvra_init_field_ic",
                    &[
                        self.v(*object)?.into(),
                        p.into(),
                        n.into(),
                        self.v(*value)?.into(),
                        cx.site_cache().into(),
                    ],
                )?;
            }
            MemberSet { object, key, value } => {
                let object = self.v(*object)?;
                self.member_set(object, self.key(*key)?, self.v(*value)?, cx.site_cache())?;
                cx.copy(self.out(result)?, object)?;
            }
            MemberGet { object, key } => self.member_get(
                self.out(result)?,
                self.v(*object)?,
                self.key(*key)?,
                cx.site_cache(),
            )?,
            IndexGet { container, index } => {
                self.index_get(self.out(result)?, self.v(*container)?, self.v(*index)?)?
            }
            IndexSet {
                container,
                index,
                value,
            } => {
                // The runtime updates a place in memory: the result starts as the container.
                let out = self.out(result)?;
                self.share(self.v(*value)?)?;
                cx.copy(out, self.v(*container)?)?;
                self.index_set(out, self.v(*index)?, self.v(*value)?)?;
            }
            Slice {
                target,
                start,
                end,
                step,
            } => self.call_checked(
                "solvra_slice",
                &[
                    self.out(result)?.into(),
                    self.v(*target)?.into(),
                    self.v(*start)?.into(),
                    self.v(*end)?.into(),
                    self.v(*step)?.into(),
                ],
            )?,
            Append { array, value } => {
                self.append(self.out(result)?, self.v(*array)?, self.v(*value)?)?
            }
            Call { callee, args } => self.call(*callee, self.out(result)?, args)?,
            AsyncCall { callee, args } => {
                let arr = self.array_of(args)?;
                self.call_checked(
                    "solvra_spawn",
                    &[
                        self.out(result)?.into(),
                        self.v(*callee)?.into(),
                        arr.into(),
                        usize_(args.len() as u64).into(),
                    ],
                )?;
            }
            GetMethod { receiver, key } => self.get_method(
                self.out(result)?,
                self.v(*receiver)?,
                self.key(*key)?,
                cx.site_cache(),
            )?,
            CallMethod {
                callee,
                receiver,
                args,
            } => self.call_method(self.v(*callee)?, *receiver, self.out(result)?, args)?,
            AsyncMethod {
                callee,
                receiver,
                args,
            } => {
                let arr = self.array_of(args)?;
                self.call_checked(
                    "solvra_spawn_method",
                    &[
                        self.out(result)?.into(),
                        self.v(*callee)?.into(),
                        self.v(*receiver)?.into(),
                        arr.into(),
                        usize_(args.len() as u64).into(),
                    ],
                )?;
            }
            Await(v) => self.call_checked(
                "solvra_await",
                &[self.out(result)?.into(), self.v(*v)?.into()],
            )?,
            AwaitIfTask(v) => self.call_checked(
                "solvra_await_if_task",
                &[self.out(result)?.into(), self.v(*v)?.into()],
            )?,
            Closure { function, captures } => {
                let arr = self.array_of(captures)?;
                let id = cx.fn_id(*function)?;
                self.call_checked(
                    "solvra_closure",
                    &[
                        self.out(result)?.into(),
                        id.into(),
                        arr.into(),
                        usize_(captures.len() as u64).into(),
                    ],
                )?;
            }
            IterPrep(v) => self.call_checked(
                "solvra_iter_prep",
                &[self.out(result)?.into(), self.v(*v)?.into()],
            )?,
            IterHasNext { items, index } => {
                let t = cx
                    .call(
                        "solvra_iter_has_next",
                        &[self.v(*items)?.into(), self.v(*index)?.into()],
                    )?
                    .expect("i32");
                let b = cx
                    .builder
                    .build_int_compare(IntPredicate::NE, t, u32_(0), "has_next")
                    .map_err(llvm)?;
                self.scalars.insert(result.expect("bool result"), b.into());
            }
            IterGet { items, index } => {
                cx.call(
                    "solvra_iter_get",
                    &[
                        self.out(result)?.into(),
                        self.v(*items)?.into(),
                        self.v(*index)?.into(),
                    ],
                )?;
            }
            IsArrayLen { value, len } => {
                cx.call(
                    "solvra_is_array_len",
                    &[
                        self.out(result)?.into(),
                        self.v(*value)?.into(),
                        u32_(*len as u64).into(),
                    ],
                )?;
            }
            IsObject(v) => {
                cx.call(
                    "solvra_is_object",
                    &[self.out(result)?.into(), self.v(*v)?.into()],
                )?;
            }
            HasField { value, key } => {
                let (p, n) = self.key(*key)?;
                cx.call(
                    "solvra_has_field",
                    &[
                        self.out(result)?.into(),
                        self.v(*value)?.into(),
                        p.into(),
                        n.into(),
                    ],
                )?;
            }
            Import(m) => {
                cx.store_const(self.out(result)?, crate::backend::ir::Const::Null)?;
                let init = self.program.modules[*m as usize].init;
                let done = cx.module_done(*m)?;
                let flag = cx
                    .builder
                    .build_load(cx.context.i8_type(), done, "done")
                    .map_err(llvm)?
                    .into_int_value();
                let first = cx
                    .builder
                    .build_int_compare(
                        IntPredicate::EQ,
                        flag,
                        cx.context.i8_type().const_zero(),
                        "first",
                    )
                    .map_err(llvm)?;
                let run = cx.context.append_basic_block(self.llfn, "import");
                let after = cx.context.append_basic_block(self.llfn, "imported");
                cx.builder
                    .build_conditional_branch(first, run, after)
                    .map_err(llvm)?;
                cx.builder.position_at_end(run);
                cx.builder
                    .build_store(done, cx.context.i8_type().const_int(1, false))
                    .map_err(llvm)?;
                let null = cx.ptr_ty.const_null();
                let st = cx
                    .builder
                    .build_call(
                        cx.functions[init as usize],
                        &[
                            null.into(),
                            null.into(),
                            usize_(0).into(),
                            self.out(result)?.into(),
                        ],
                        "init",
                    )
                    .map_err(llvm)?
                    .try_as_basic_value()
                    .basic()
                    .expect("status")
                    .into_int_value();
                self.check(st)?;
                cx.builder.build_unconditional_branch(after).map_err(llvm)?;
                cx.builder.position_at_end(after);
            }
            ModuleNamespace(m) => {
                let out = self.out(result)?;
                let exports = &self.program.modules[*m as usize].exports;
                let fields = usize_(exports.len() as u64);
                self.call_checked("solvra_object_new", &[out.into(), fields.into()])?;
                for (name, slot) in exports {
                    let (p, n) = cx.text(name)?;
                    let g = cx.global(*m, *slot)?;
                    self.call_checked(
                        "solvra_namespace_add",
                        &[out.into(), p.into(), usize_(n).into(), g.into()],
                    )?;
                }
            }
            ModuleExport { module, export } => {
                let slot = self.program.modules[*module as usize].exports[*export as usize].1;
                let g = cx.global(*module, slot)?;
                cx.call("solvra_export_value", &[self.out(result)?.into(), g.into()])?;
            }
            CallMain => {
                let out = self.out(result)?;
                cx.store_const(out, crate::backend::ir::Const::Null)?;
                let entry = &self.program.modules[self.program.entry as usize];
                if let Some((slot, _)) = entry.main {
                    let started = cx.call("solvra_main_started", &[])?.expect("i32");
                    let not_yet = cx
                        .builder
                        .build_int_compare(IntPredicate::EQ, started, u32_(0), "not_started")
                        .map_err(llvm)?;
                    let run = cx.context.append_basic_block(self.llfn, "main");
                    let after = cx.context.append_basic_block(self.llfn, "main.done");
                    cx.builder
                        .build_conditional_branch(not_yet, run, after)
                        .map_err(llvm)?;
                    cx.builder.position_at_end(run);
                    let g = cx.global(self.program.entry, slot)?;
                    let none = cx.ptr_ty.const_null();
                    self.call_checked(
                        "solvra_call_value",
                        &[out.into(), g.into(), none.into(), usize_(0).into()],
                    )?;
                    cx.builder.build_unconditional_branch(after).map_err(llvm)?;
                    cx.builder.position_at_end(after);
                }
            }
        }
        Ok(())
    }

    /// Raises `variable 'NAME' used before initialization` if `slot` holds the uninitialised marker.
    fn check_init(&self, slot: PointerValue<'ctx>, name: &str) -> R<()> {
        let cx = self.cx;
        let (p, n) = cx.text(name)?;
        let st = cx
            .call(
                "solvra_check_init",
                &[
                    slot.into(),
                    p.into(),
                    cx.usize_ty.const_int(n, false).into(),
                ],
            )?
            .expect("status");
        self.check(st)
    }
}
