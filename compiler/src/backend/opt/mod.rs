//! The IR passes (docs/IR_SPEC.md, "Passes"): what the native backend runs between lowering
//! and LLVM code generation, in this order:
//!
//! 1. unreachable blocks are emptied (lowering leaves some after `return`);
//! 2. `globals`: reads of `fn`-declared globals become `load_fn`, and globals only the top
//!    level uses become its local slots (whole programs only);
//! 3. `ssa`: local slots become SSA values;
//! 4. `types`: type inference, unboxed arithmetic and comparisons, and clones of known
//!    functions specialised for the argument types of their calls.
//!
//! Each function is verified after the passes in debug builds and tests.

mod globals;
mod ssa;
mod types;

pub use types::Clone;

use crate::backend::ir::{dominators, verify_function, Function, IrError, Terminator};
use crate::bytecode::Program;

/// The functions to compile, after the passes, and the clones they call.
pub struct Optimized {
    /// Specialised and rewritten: the functions `optimize` was asked to compile, by index into
    /// the program's function table; the others are as lowered.
    pub functions: Vec<Function>,
    pub clones: Vec<Clone>,
}

/// What the passes may assume and must keep.
#[derive(Clone, Copy, Debug)]
pub struct Scope {
    /// No code outside the program reads or writes its globals (not true of a REPL session).
    pub whole_program: bool,
    /// Local variables stay in their slots, where `build -g` describes them to a debugger.
    pub keep_locals: bool,
}

/// Runs the passes over `functions` (every function of `program`, as lowered), rewriting
/// those that `compile` names.
pub fn optimize(
    program: &Program,
    mut functions: Vec<Function>,
    compile: &[u32],
    scope: Scope,
) -> Result<Optimized, IrError> {
    for f in &mut functions {
        empty_unreachable(f);
    }
    if scope.whole_program && !scope.keep_locals {
        globals::rewrite(program, &mut functions);
    }
    if !scope.keep_locals {
        for f in &mut functions {
            ssa::promote_slots(f);
        }
    }
    let clones = types::specialize(program, &mut functions, compile)?;
    if cfg!(debug_assertions) {
        for &f in compile {
            verify_function(&functions[f as usize])?;
        }
        for c in &clones {
            verify_function(&c.func)?;
        }
    }
    Ok(Optimized { functions, clones })
}

/// Blocks no path reaches keep no instructions and no successors: the passes then never see
/// values that are defined nowhere a path goes.
fn empty_unreachable(f: &mut Function) {
    let doms = dominators(f, &f.predecessors());
    for b in 0..f.blocks.len() {
        if !doms.reachable(crate::backend::ir::Block(b as u32)) {
            let data = &mut f.blocks[b];
            data.insts.clear();
            data.handler = None;
            data.terminator = Some(Terminator::NoMatch);
        }
    }
}
