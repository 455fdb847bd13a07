//! The JIT tier: programs compiled by the AOT code generator and loaded into LLVM's ORC LLJIT
//! in this process (`engine.rs`), for `solvrac run --tier=jit` and the `solvrac jit` REPL.
//!
//! The runtime is linked into solvrac, so compiled code calls the very functions the
//! interpreter uses; they are resolved as absolute symbols from the ABI table. A program run
//! goes through `solvra_aot_main` like an executable's `main`, so exit status, standard output
//! and error reports are those of the AOT binary. docs/JIT_OVERVIEW.md has the whole picture.

pub mod cache;
mod engine;
pub mod session;
pub mod tier;

pub use engine::{Jit, Tracker};

use crate::backend::codegen::{self, CodegenError, CodegenOptions, Embedding, Emit, Target};
use crate::bytecode::Program;

/// The exported name of a whole program's start function.
const START: &str = "svs_start";

/// Whether JIT code charges the cost meter: when this process runs with a budget
/// (`run --fuel`), which is set before anything is compiled. (The budget itself is the
/// host's: hosted code does not start the meter.)
pub fn metered() -> Option<u64> {
    solvra_rt::cost_meter::enabled().then_some(0)
}

/// Compiles a program to an object for this process's JIT at `opt_level`.
pub fn compile_program(program: &Program, opt_level: u8) -> Result<Vec<u8>, CodegenError> {
    let opts = CodegenOptions {
        target: Target::host(),
        opt_level,
        debug: None,
        fuel: metered(),
        profile: false,
        profile_use: None,
        trace_calls: solvra_rt::debug::tracing::call_events(),
    };
    let embedding = Embedding {
        start: Some(START),
        ..Embedding::default()
    };
    codegen::compile_embedded(program, &opts, Emit::Object, &embedding)
}

/// Runs a program compiled by `compile_program`: loads it and hands its start function to the
/// runtime's `solvra_aot_main`, which runs it on a fresh thread and reports an uncaught error.
/// Returns the exit status.
pub fn run_object(object: &[u8]) -> Result<u8, CodegenError> {
    let jit = Jit::new()?;
    let tracker = jit.add_object(object)?;
    let start = jit.start_fn(START)?;
    let code = solvra_rt::aot::solvra_aot_main(start);
    jit.keep(tracker);
    Ok(code as u8)
}
