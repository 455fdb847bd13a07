//! Calls (`call v(…)`). Of module-level functions the IR names (`v = load_fn …`): when the
//! callee is compiled into the same module, takes the arguments it is called with and is an
//! ordinary function (not `async`, not the entry's `main`, whose call the runtime notes), the
//! call goes straight to its LLVM function, doing what the runtime's `aot::call` would do on
//! the way: the depth limit, sharing the arguments, the status check. Builtins called by
//! name have their own path (`builtins.rs`); every other call goes through
//! `solvra_call_value`.

use super::{FnEmitter, R};
use crate::backend::ir::{self, InstKind, Value};
use inkwell::values::{BasicMetadataValueEnum, PointerValue};

impl<'ctx> FnEmitter<'_, 'ctx> {
    /// `out = callee(args…)`: directly when the callee is known (a module-level function
    /// here, or a builtin), else through the runtime.
    pub(super) fn call(&self, callee: Value, out: PointerValue<'ctx>, args: &[Value]) -> R<()> {
        if let Some(function) = self.direct_callee(callee, args.len()) {
            return self.call_known(function, self.v(callee)?, out, args);
        }
        if let Some(id) = self.known_builtin(callee) {
            return self.call_builtin(id, out, args);
        }
        let cx = self.cx;
        let items = self.array_of(args)?;
        self.call_checked(
            "solvra_call_value",
            &[
                out.into(),
                self.v(callee)?.into(),
                items.into(),
                cx.usize_ty.const_int(args.len() as u64, false).into(),
            ],
        )
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

    /// `out = function(args…)` where `f` holds the function's value (its closure, which the
    /// callee reads its captures from).
    fn call_known(
        &self,
        function: u32,
        f: PointerValue<'ctx>,
        out: PointerValue<'ctx>,
        args: &[Value],
    ) -> R<()> {
        let cx = self.cx;
        let depth = cx.call("solvra_call_depth", &[])?.expect("i32");
        let next = self.deeper(depth)?;
        for a in args {
            self.share(self.v(*a)?)?;
        }
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
