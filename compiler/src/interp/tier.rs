//! Hot-function detection for the tiered `run` (`--tier=auto`): the interpreter counts calls
//! and loop back edges per function, and when a function's count reaches the threshold it asks
//! a `TierUp` (the JIT) to compile it. A compiled function gets its native entry in the
//! runtime's function table, so every later call — from the interpreter, from compiled code,
//! from the runtime — runs the native code. Activations already running stay in the
//! interpreter (there is no on-stack replacement): a hot loop pays off from the next call on.
//!
//! Compiled code shares the interpreter's state: it reads and writes the interpreter's module
//! globals in place and creates closures with the interpreter's function ids (the `TierUp`
//! gets both). Compiled code may suspend (`async fn`s, `await`): the scheduler's switch hook
//! sets the interpreter's stacks aside at every switch (tasks.rs), so a task suspended in
//! compiled code is continued by whichever tier picks it next. Module top levels (which run
//! once and own module initialisation) and the entry module's `main` (whose call the
//! interpreter itself notes for the implicit-`main` rule, §3.2) are never compiled.

use super::Interp;
use crate::bytecode::Program;
use solvra_rt::function::{self, FnId};
use solvra_rt::Value;

/// Compiles a function for the interpreter.
pub trait TierUp {
    /// Compiles function `func` of `prog`, whose function ids are `fn_ids` and whose module
    /// globals live in `globals`; returns its native entry (`aot::NativeFn`), or `None` if it
    /// stays interpreted.
    fn compile(
        &mut self,
        prog: &Program,
        func: u32,
        fn_ids: &[FnId],
        globals: &[Vec<Value>],
    ) -> Option<usize>;
}

pub(crate) struct Tier {
    compiler: Box<dyn TierUp>,
    threshold: u32,
    /// Calls plus back edges of each function so far (stops at the threshold).
    heat: Vec<u32>,
    /// Functions compiled.
    pub compiled: usize,
}

/// Whether compiled code may run function `func` in place of the interpreter (see the module
/// docs).
pub fn can_compile(prog: &Program, func: u32) -> bool {
    let entry_main = prog.modules[prog.entry as usize].main.map(|(_, m)| m);
    !prog.modules.iter().any(|m| m.init == func) && entry_main != Some(func)
}

impl Interp {
    /// Makes the run tiered: a function whose calls and loop iterations reach `threshold`
    /// (at least 1) is compiled by `compiler`.
    pub fn set_tier_up(&mut self, compiler: Box<dyn TierUp>, threshold: u32) {
        self.tier = Some(Tier {
            compiler,
            threshold: threshold.max(1),
            heat: vec![0; self.prog.functions.len()],
            compiled: 0,
        });
    }

    /// How many functions the JIT compiled so far.
    pub fn compiled_functions(&self) -> usize {
        self.tier.as_ref().map_or(0, |t| t.compiled)
    }

    /// Counts a call or a back edge of `func`; compiles it when it gets hot.
    #[inline]
    pub(crate) fn heat(&mut self, func: u32) {
        let Some(tier) = &mut self.tier else {
            return;
        };
        let h = &mut tier.heat[func as usize];
        if *h >= tier.threshold {
            return;
        }
        *h += 1;
        if *h == tier.threshold && can_compile(&self.prog, func) {
            let entry = tier
                .compiler
                .compile(&self.prog, func, &self.fn_ids, &self.globals);
            if let Some(entry) = entry {
                function::set_native(self.fn_ids[func as usize], entry);
                tier.compiled += 1;
            }
        }
    }
}
