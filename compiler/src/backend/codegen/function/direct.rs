//! Calls (`call v(…)`, `o.m(…)`). Of module-level functions the IR names (`v = load_fn …`):
//! when the callee is compiled into the same module, takes the arguments it is called with
//! and is an ordinary function (not `async`, not the entry's `main`, whose call the runtime
//! notes), the call goes straight to its LLVM function, doing what the runtime's `aot::call`
//! would do on the way: the depth limit, sharing the arguments, the status check. Builtins
//! called by name have their own path (`builtins.rs`). Any other function value is called
//! through the native entry its object carries (`function::FastCall`) when it has one and
//! takes the arguments, else through the runtime (`solvra_call_value`, `solvra_call_method`).

use super::heap_access::Paths;
use super::{llvm, FnEmitter, R};
use crate::backend::ir::{self, InstKind, Value};
use inkwell::values::{BasicMetadataValueEnum, IntValue, PointerValue};
use inkwell::IntPredicate;
use solvra_rt::Tag;

/// Where a call goes once it is known to do what the runtime's call would.
#[derive(Clone, Copy)]
enum Target<'ctx> {
    Function(u32),
    Entry(PointerValue<'ctx>),
}

impl<'ctx> FnEmitter<'_, 'ctx> {
    /// `out = callee(args…)`: directly when the callee is known (a module-level function
    /// here, or a builtin), else through the runtime.
    pub(super) fn call(&self, callee: Value, out: PointerValue<'ctx>, args: &[Value]) -> R<()> {
        if let Some(function) = self.direct_callee(callee, args.len()) {
            return self.call_known(Target::Function(function), self.v(callee)?, out, args);
        }
        if let Some(id) = self.known_builtin(callee) {
            return self.call_builtin(id, out, args);
        }
        let f = self.v(callee)?;
        let paths = self.paths("call")?;
        let (entry, arity) = self.fast_call(f, &paths)?;
        self.guard(self.takes(arity, args.len())?, &paths, "arity")?;
        self.call_known(Target::Entry(entry), f, out, args)?;
        self.finish_with(&paths, || {
            let items = self.array_of(args)?;
            let argc = self.cx.usize_ty.const_int(args.len() as u64, false);
            self.call_checked(
                "solvra_call_value",
                &[out.into(), f.into(), items.into(), argc.into()],
            )
        })
    }

    /// `out = receiver.f(args…)` where `f` is the member's value (§3.12.5): the receiver goes
    /// first when the function's first parameter is `self`.
    pub(super) fn call_method(
        &self,
        f: PointerValue<'ctx>,
        receiver: Value,
        out: PointerValue<'ctx>,
        args: &[Value],
    ) -> R<()> {
        let cx = self.cx;
        let bl = &cx.builder;
        let paths = self.paths("method.call")?;
        let (entry, arity) = self.fast_call(f, &paths)?;
        let self_first = self.arity_field(arity, 30, 1, "self.first")?;
        let with_self = cx.context.append_basic_block(self.llfn, "with.self");
        let without = cx.context.append_basic_block(self.llfn, "without.self");
        bl.build_conditional_branch(self.nonzero(self_first, "is.set")?, with_self, without)
            .map_err(llvm)?;
        bl.position_at_end(with_self);
        let all: Vec<Value> = std::iter::once(receiver)
            .chain(args.iter().copied())
            .collect();
        self.guard(self.takes(arity, all.len())?, &paths, "arity")?;
        self.call_known(Target::Entry(entry), f, out, &all)?;
        bl.build_unconditional_branch(paths.done).map_err(llvm)?;
        bl.position_at_end(without);
        self.guard(self.takes(arity, args.len())?, &paths, "arity")?;
        self.call_known(Target::Entry(entry), f, out, args)?;
        self.finish_with(&paths, || {
            let items = self.array_of(args)?;
            self.call_checked(
                "solvra_call_method",
                &[
                    out.into(),
                    f.into(),
                    self.v(receiver)?.into(),
                    items.into(),
                    cx.usize_ty.const_int(args.len() as u64, false).into(),
                ],
            )
        })
    }

    /// The native entry (as a pointer) and packed arity of function value `f`
    /// (`function::FastCall`); anything else, or a function without an entry, goes to the
    /// slow path.
    fn fast_call(
        &self,
        f: PointerValue<'ctx>,
        paths: &Paths<'ctx>,
    ) -> R<(PointerValue<'ctx>, IntValue<'ctx>)> {
        let cx = self.cx;
        let bl = &cx.builder;
        let (tag, bits) = self.tag_bits(f)?;
        self.guard(
            self.tag_is(tag, Tag::Function, "is.function")?,
            paths,
            "function",
        )?;
        let payload = self.payload(bits)?;
        let entry = self.load_int(cx.usize_ty, payload, 3, "entry")?;
        self.guard(self.nonzero(entry, "has.entry")?, paths, "native")?;
        let arity = self.load_int(cx.usize_ty, payload, 4, "arity")?;
        let entry = bl
            .build_int_to_ptr(entry, cx.ptr_ty, "entry.fn")
            .map_err(llvm)?;
        Ok((entry, arity))
    }

    fn nonzero(&self, v: IntValue<'ctx>, name: &str) -> R<IntValue<'ctx>> {
        let zero = v.get_type().const_zero();
        self.cx
            .builder
            .build_int_compare(IntPredicate::NE, v, zero, name)
            .map_err(llvm)
    }

    /// Whether a function of packed `arity` takes `argc` arguments (`required <= argc <=
    /// params`).
    fn takes(&self, arity: IntValue<'ctx>, argc: usize) -> R<IntValue<'ctx>> {
        let bl = &self.cx.builder;
        let params = self.arity_field(arity, 0, 0x7fff, "params")?;
        let required = self.arity_field(arity, 15, 0x7fff, "required")?;
        let argc = arity.get_type().const_int(argc as u64, false);
        let not_too_many = bl
            .build_int_compare(IntPredicate::ULE, argc, params, "not.too.many")
            .map_err(llvm)?;
        let enough = bl
            .build_int_compare(IntPredicate::UGE, argc, required, "enough")
            .map_err(llvm)?;
        bl.build_and(not_too_many, enough, "takes").map_err(llvm)
    }

    fn arity_field(
        &self,
        arity: IntValue<'ctx>,
        shift: u64,
        mask: u64,
        name: &str,
    ) -> R<IntValue<'ctx>> {
        let bl = &self.cx.builder;
        let ty = arity.get_type();
        let shifted = bl
            .build_right_shift(arity, ty.const_int(shift, false), false, name)
            .map_err(llvm)?;
        bl.build_and(shifted, ty.const_int(mask, false), name)
            .map_err(llvm)
    }

    /// The function `callee` is known to be, if a direct call of it with `argc` arguments
    /// does what the runtime's call would.
    fn direct_callee(&self, callee: Value, argc: usize) -> Option<u32> {
        let function = match self.func.values[callee.0 as usize].0 {
            ir::ValueDef::Inst(inst) => match self.func.inst(inst).kind {
                InstKind::LoadFn { function, .. } => function,
                _ => return None,
            },
            _ => return None,
        };
        let code = self.program.functions.get(function as usize)?;
        let is_main = self
            .program
            .modules
            .iter()
            .any(|m| m.main.is_some_and(|(_, f)| f == function));
        let fits = argc >= code.required as usize && argc <= code.params as usize;
        (fits && !code.is_async && !is_main && self.cx.defines(function)).then_some(function)
    }

    /// `out = target(args…)` where `f` holds the function's value (its closure, which the
    /// callee reads its captures from).
    fn call_known(
        &self,
        target: Target<'ctx>,
        f: PointerValue<'ctx>,
        out: PointerValue<'ctx>,
        args: &[Value],
    ) -> R<()> {
        let cx = self.cx;
        let depth = self.depth()?;
        let next = self.deeper(depth)?;
        for a in args {
            self.share(self.v(*a)?)?;
        }
        self.set_depth(next)?;
        let items = self.array_of(args)?;
        let call_args: [BasicMetadataValueEnum; 4] = [
            f.into(),
            items.into(),
            cx.usize_ty.const_int(args.len() as u64, false).into(),
            out.into(),
        ];
        let status = match target {
            Target::Function(function) => {
                cx.call_function(cx.functions[function as usize], &call_args)?
            }
            Target::Entry(entry) => cx.call_entry(entry, &call_args)?,
        };
        self.set_depth(depth)?;
        self.check(status)
    }
}
