//! Calls of module-level functions the IR names (`call v(…)` where `v = load_fn …`): when the
//! callee is compiled into the same module, takes the arguments it is called with and is an
//! ordinary function (not `async`, not the entry's `main`, whose call the runtime notes), the
//! call goes straight to its LLVM function, doing what the runtime's `aot::call` would do on
//! the way: the depth limit, sharing the arguments, the status check. Anything else takes
//! the generic path through `solvra_call_value`.

use super::{llvm, FnEmitter, R};
use crate::backend::ir::{self, InstKind, Value};
use inkwell::values::{BasicMetadataValueEnum, PointerValue};
use inkwell::IntPredicate;
use solvra_rt::aot::MAX_CALL_DEPTH;

impl<'ctx> FnEmitter<'_, 'ctx> {
    /// The function `callee` is known to be, if a direct call of it with `argc` arguments
    /// does what the runtime's call would.
    pub(super) fn direct_callee(&self, callee: Value, argc: usize) -> Option<u32> {
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

    /// `out = function(args…)` where `f` holds the function's value (its closure, which the
    /// callee reads its captures from).
    pub(super) fn call_known(
        &self,
        function: u32,
        f: PointerValue<'ctx>,
        out: PointerValue<'ctx>,
        args: &[Value],
    ) -> R<()> {
        let cx = self.cx;
        let bl = &cx.builder;
        let i32t = cx.context.i32_type();
        let depth = cx.call("solvra_call_depth", &[])?.expect("i32");
        let over = bl
            .build_int_compare(
                IntPredicate::UGE,
                depth,
                i32t.const_int(MAX_CALL_DEPTH as u64, false),
                "too.deep",
            )
            .map_err(llvm)?;
        self.raise_if(over, "stack overflow")?;
        for a in args {
            self.share(self.v(*a)?)?;
        }
        let next = bl
            .build_int_add(depth, i32t.const_int(1, false), "depth")
            .map_err(llvm)?;
        cx.call("solvra_set_call_depth", &[next.into()])?;
        let items = self.array_of(args)?;
        let call_args: [BasicMetadataValueEnum; 4] = [
            f.into(),
            items.into(),
            cx.usize_ty.const_int(args.len() as u64, false).into(),
            out.into(),
        ];
        let status = cx.call_function(cx.functions[function as usize], &call_args)?;
        cx.call("solvra_set_call_depth", &[depth.into()])?;
        self.check(status)
    }
}
