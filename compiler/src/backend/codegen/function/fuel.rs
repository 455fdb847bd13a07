//! The cost meter in compiled code (`CodegenOptions::fuel`; runtime-lib `cost_meter.rs`): each
//! block lowered from a bytecode block first charges that block's instruction count, the same
//! amount at the same point as the interpreter, and fails like any raising call (the stack
//! trace names the block's first line). Code compiled without the meter has no check.

use super::{FnEmitter, R};
use crate::backend::ir::Block;

impl<'a, 'ctx> FnEmitter<'a, 'ctx> {
    /// Charges block `b`'s bytecode instructions, if it starts a bytecode block; the builder
    /// is at the start of `b`.
    pub(super) fn charge_fuel(&mut self, b: Block) -> R<()> {
        let Some(pc) = self.func.block(b).origin else {
            return Ok(());
        };
        let cost = self.cx.fuel_costs[self.index as usize][pc as usize];
        self.line = self.program.functions[self.index as usize].line_at(pc as usize);
        if let Some(d) = &self.dbg {
            d.at(self.cx, self.line);
        }
        let n = self.cx.context.i32_type().const_int(cost as u64, false);
        self.call_checked("solvra_fuel_charge", &[n.into()])
    }
}
