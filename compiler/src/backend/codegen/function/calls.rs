//! `build --trace` (`CodegenOptions::trace_calls`): a function reports its start and every
//! return, normal or with an error, to the runtime's `SOLVRA_TRACE` recorder, which turns them
//! into `B`/`E` events (runtime-lib `debug/tracing.rs`, docs/DEBUGGING.md). Without a trace
//! file the calls return at once; without `--trace` they are not there.

use super::{FnEmitter, R};

impl<'a, 'ctx> FnEmitter<'a, 'ctx> {
    /// At the function's entry.
    pub(super) fn trace_call(&self) -> R<()> {
        if !self.cx.trace_calls {
            return Ok(());
        }
        let len = self.cx.usize_ty.const_int(self.name.1, false);
        self.cx
            .call("solvra_trace_call", &[self.name.0.into(), len.into()])?;
        Ok(())
    }

    /// Before each return.
    pub(super) fn trace_return(&self) -> R<()> {
        if self.cx.trace_calls {
            self.cx.call("solvra_trace_return", &[])?;
        }
        Ok(())
    }
}
