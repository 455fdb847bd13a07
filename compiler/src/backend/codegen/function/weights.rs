//! LLVM branch weights (`!prof !{"branch_weights", THEN, ELSE}`). The guards of inline fast
//! paths are weighted towards the fast path (`likely`). With `build --profile-use`, a
//! conditional branch between blocks lowered from bytecode blocks gets weights from how often
//! each target ran in the profile, so the optimiser lays out and inlines for the path the
//! program took; branches to blocks the profile does not know (another program's profile,
//! blocks lowering added) stay unweighted.

use super::{FnEmitter, R};
use crate::backend::ir::Block;
use inkwell::values::InstructionValue;

impl<'a, 'ctx> FnEmitter<'a, 'ctx> {
    /// Marks the conditional branch `br` of an inline fast path as almost always taking its
    /// first target: the runtime call it skips is the rare case, so the optimiser lays the
    /// fast paths out in a line and moves the calls aside.
    pub(super) fn likely(&self, br: InstructionValue<'ctx>) -> R<()> {
        let cx = self.cx.context;
        let node = cx.metadata_node(&[
            cx.metadata_string("branch_weights").into(),
            cx.i32_type().const_int(2000, false).into(),
            cx.i32_type().const_int(1, false).into(),
        ]);
        br.set_metadata(node, cx.get_kind_id("prof"))
            .map_err(|e| super::CodegenError(format!("LLVM metadata: {e}")))
    }

    /// Weighs the conditional branch `br` to `then` or `otherwise`.
    pub(super) fn weigh_branch(
        &self,
        br: InstructionValue<'ctx>,
        then: Block,
        otherwise: Block,
    ) -> R<()> {
        let Some(counts) = self.cx.profile_use else {
            return Ok(());
        };
        let count = |b: Block| {
            let pc = self.func.block(b).origin?;
            counts.get(&(self.index, pc)).copied()
        };
        let (Some(t), Some(o)) = (count(then), count(otherwise)) else {
            return Ok(());
        };
        let cx = self.cx.context;
        // Weights are 32-bit; scale large counts down together.
        let scale = (t.max(o) >> 31) + 1;
        let weight = |n: u64| cx.i32_type().const_int(n / scale, false).into();
        let node = cx.metadata_node(&[
            cx.metadata_string("branch_weights").into(),
            weight(t),
            weight(o),
        ]);
        br.set_metadata(node, cx.get_kind_id("prof"))
            .map_err(|e| super::CodegenError(format!("LLVM metadata: {e}")))
    }
}
