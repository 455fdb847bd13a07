//! LLVM code generation: Solvra IR to an object file through inkwell (LLVM 19).
//!
//! Every bytecode function is lowered to IR, verified, and emitted as an LLVM function of the
//! native calling convention of `solvra_rt::aot::NativeFn`. `dyn` values live in stack slots
//! (`alloca`s of the runtime's 16-byte value) and are passed to the runtime by pointer; LLVM's
//! SROA and mem2reg clean this up from -O1 on. A generated `main` hands a start function to
//! `solvra_aot_main`, which sets up the runtime, registers the program's functions, runs the
//! entry module and reports an uncaught error.
//!
//! **Architecture Invariant:** only `backend::codegen` and `backend::jit` import inkwell.

mod debuginfo;
mod function;
pub mod link;
mod module;
mod profile;
pub mod target;

use crate::bytecode::Program;
pub use debuginfo::DebugInfo;
use inkwell::context::Context;
use inkwell::passes::PassBuilderOptions;
use inkwell::targets::FileType;
pub use module::{global_symbol, hosted_name, Embedding, GlobalAddr, Globals, Hosted};
pub use target::Target;

/// What `solvrac build` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Emit {
    Object,
    LlvmIr,
    Asm,
}

#[derive(Clone, Debug)]
pub struct CodegenOptions {
    pub target: Target,
    /// 0 to 3, as `-O0` … `-O3`.
    pub opt_level: u8,
    /// DWARF (`-g`): compile units, subprograms, line tables and variables.
    pub debug: Option<DebugInfo>,
    /// The cost meter: every bytecode block charges its instructions (`build --fuel`). An
    /// executable starts with this budget unless `SOLVRA_FUEL` sets another; hosted code
    /// (the JIT) leaves the budget to its host.
    pub fuel: Option<u64>,
    /// Block execution counters, written to a profile when the program ends (`build
    /// --profile`; executables only).
    pub profile: bool,
    /// Execution counts of an earlier profiled run, by bytecode function and block start
    /// (`build --profile-use`): they become LLVM branch weights.
    pub profile_use: Option<ProfileCounts>,
    /// Every function reports its calls and returns to `SOLVRA_TRACE` (`build --trace`).
    pub trace_calls: bool,
}

/// How often each block ran: `(function index, block start pc)` to count.
pub type ProfileCounts = std::collections::HashMap<(u32, u32), u64>;

/// A program the native backend cannot compile (yet), or an LLVM failure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodegenError(pub String);

/// Compiles a verified bytecode program to an object file, LLVM IR text or assembly.
pub fn compile(
    program: &Program,
    opts: &CodegenOptions,
    emit: Emit,
) -> Result<Vec<u8>, CodegenError> {
    compile_embedded(program, opts, emit, &Embedding::default())
}

/// `compile` for code that is not an executable of its own: the JIT's programs and REPL
/// inputs (see `Embedding`).
pub fn compile_embedded(
    program: &Program,
    opts: &CodegenOptions,
    emit: Emit,
    embedding: &Embedding,
) -> Result<Vec<u8>, CodegenError> {
    let context = Context::create();
    let tm = opts.target.machine(opts.opt_level)?;
    let module = module::emit_module(&context, program, &tm, embedding, opts)?;
    if opts.opt_level > 0 {
        let passes = format!("default<O{}>", opts.opt_level.min(3));
        module
            .run_passes(&passes, &tm, PassBuilderOptions::create())
            .map_err(|e| CodegenError(format!("LLVM passes failed: {e}")))?;
    }
    match emit {
        Emit::LlvmIr => Ok(module.print_to_string().to_bytes().to_vec()),
        Emit::Object | Emit::Asm => {
            let ty = if emit == Emit::Asm {
                FileType::Assembly
            } else {
                FileType::Object
            };
            let buf = tm
                .write_to_memory_buffer(&module, ty)
                .map_err(|e| CodegenError(format!("LLVM code generation failed: {e}")))?;
            Ok(buf.as_slice().to_vec())
        }
    }
}
