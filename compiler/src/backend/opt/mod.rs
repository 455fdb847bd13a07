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
//! 1–3 do not depend on which functions get compiled: `prepare` runs them once per program,
//! and `Prepared::specialize` runs 4 for the functions to compile (the tiered run's hot
//! functions, one at a time, from one `Prepared`). Each function is verified after the passes
//! in debug builds and tests.

mod facts;
mod globals;
mod ssa;
mod types;

pub use types::Clone;

use crate::backend::ir::{dominators, verify_function, Block, Function, IrError, Terminator};
use crate::backend::lowering::lower_function;
use crate::bytecode::Program;

/// The functions to compile, after the passes, and the clones they call.
pub struct Optimized {
    /// The functions `optimize` (or `Prepared::specialize`) was asked to compile, in that
    /// order, specialised and rewritten.
    pub functions: Vec<Function>,
    pub clones: Vec<Clone>,
}

/// What the passes may assume and must keep.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Scope {
    /// No code outside the program reads or writes its globals (not true of a REPL session).
    pub whole_program: bool,
    /// Local variables stay in their slots, where `build -g` describes them to a debugger.
    pub keep_locals: bool,
}

/// Every function of a program after the passes that do not depend on which functions get
/// compiled (1–3: unreachable blocks, `globals`, `ssa`), ready for `specialize`. The tiered
/// run's hot-function compiler makes one per run and specialises each hot function from it.
pub struct Prepared {
    scope: Scope,
    functions: Vec<Function>,
    /// The reachable blocks of each function in reverse postorder (the order of inference).
    orders: Vec<Vec<Block>>,
}

/// Lowers every function of `program` to IR, verifies it, and runs the passes that do not
/// depend on what gets compiled. The error is the message for the user.
pub fn prepare_program(program: &Program, scope: Scope) -> Result<Prepared, IrError> {
    let mut lowered = Vec::with_capacity(program.functions.len());
    for i in 0..program.functions.len() as u32 {
        let func = lower_function(program, i).map_err(|e| IrError(e.0))?;
        verify_function(&func).map_err(|e| IrError(format!("internal error: {e}")))?;
        lowered.push(func);
    }
    Ok(prepare(program, lowered, scope))
}

/// Runs the passes that do not depend on what gets compiled over `functions` (every function
/// of `program`, as lowered).
pub fn prepare(program: &Program, mut functions: Vec<Function>, scope: Scope) -> Prepared {
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
    let orders = functions
        .iter()
        .map(|f| dominators(f, &f.predecessors()).rpo)
        .collect();
    Prepared {
        scope,
        functions,
        orders,
    }
}

impl Prepared {
    /// The scope the passes ran with.
    pub fn scope(&self) -> Scope {
        self.scope
    }

    /// Type inference and specialisation (pass 4) of the functions `compile` names.
    pub fn specialize(&self, program: &Program, compile: &[u32]) -> Result<Optimized, IrError> {
        let (functions, clones) = types::specialize(
            program,
            &self.functions,
            &self.orders,
            compile,
            self.scope.whole_program && !self.scope.keep_locals,
        )?;
        if cfg!(debug_assertions) {
            for f in functions.iter().chain(clones.iter().map(|c| &c.func)) {
                verify_function(f)?;
            }
        }
        Ok(Optimized { functions, clones })
    }
}

/// Runs the passes over `functions` (every function of `program`, as lowered) and returns
/// those that `compile` names, rewritten.
pub fn optimize(
    program: &Program,
    functions: Vec<Function>,
    compile: &[u32],
    scope: Scope,
) -> Result<Optimized, IrError> {
    prepare(program, functions, scope).specialize(program, compile)
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
