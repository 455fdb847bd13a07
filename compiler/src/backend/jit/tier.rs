//! The JIT side of the tiered `run`: compiles one hot function at a time for the interpreter
//! (`interp::TierUp`). Each function becomes an object of its own, loaded under its own
//! resource tracker; its code reads the interpreter's module globals in place, through symbols
//! this JIT defines at their addresses (`Globals::Symbols`), and uses the interpreter's function
//! ids (`Embedding::hosted`). Holding no address of the run, the objects go to the on-disk
//! cache like whole programs, so a second run of an unchanged program skips LLVM's code
//! generation for them too. LLJIT is created on the first compile, so a program that never
//! gets hot never starts LLVM.
//!
//! The program's IR is lowered and put through the passes that do not depend on the function
//! (`opt::prepare_program`) on the first compile that misses the cache, and kept: each hot
//! function then pays for its own specialisation and code generation only.

use super::cache::Cache;
use super::engine::Jit;
use crate::backend::codegen::{
    self, global_symbol, hosted_name, CodegenOptions, Embedding, Emit, Globals, Hosted, Target,
};
use crate::backend::opt::{self, Prepared};
use crate::bytecode::Program;
use crate::interp::TierUp;
use solvra_rt::function::FnId;
use solvra_rt::heap::RootRangesGuard;
use solvra_rt::Value;
use std::time::Instant;

/// The scope of the IR passes for hot functions: code generation's for their embedding (globals
/// as symbols of the whole program, no debug information).
const IR_SCOPE: opt::Scope = opt::Scope {
    whole_program: true,
    keep_locals: false,
};

pub struct HotCompiler {
    /// Unregisters the constants of every object loaded when the compiler (and its JIT) goes.
    roots: Option<RootRangesGuard>,
    jit: Option<Jit>,
    opt_level: u8,
    cache: Option<Cache>,
    /// The cache key of the whole program (made on the first compile).
    program_key: Option<Vec<u8>>,
    /// The program's IR (made on the first compile that misses the cache).
    ir: Option<Prepared>,
    /// Log each compile on stderr.
    verbose: bool,
}

impl HotCompiler {
    pub fn new(opt_level: u8, cache: Option<Cache>, verbose: bool) -> HotCompiler {
        HotCompiler {
            roots: None,
            jit: None,
            opt_level,
            cache,
            program_key: None,
            ir: None,
            verbose,
        }
    }

    /// The object of function `func`: from the cache, or compiled (and then cached).
    fn object(
        &mut self,
        prog: &Program,
        func: u32,
        ids: &[u32],
        start: &str,
    ) -> Result<Vec<u8>, String> {
        let key = self.cache.as_ref().map(|_| {
            let mut key = self
                .program_key
                .get_or_insert_with(|| Cache::key(prog, self.opt_level))
                .clone();
            key.extend_from_slice(format!("\nhot fn{func} ids {ids:?}").as_bytes());
            key
        });
        let cache = self.cache.as_ref().zip(key.as_ref());
        if let Some(object) = cache.and_then(|(c, k)| c.get(k)) {
            self.log(prog, func, "from the cache");
            return Ok(object);
        }
        let started = Instant::now();
        let ir = match &mut self.ir {
            Some(ir) => ir,
            none => none.insert(opt::prepare_program(prog, IR_SCOPE).map_err(|e| e.0)?),
        };
        let embedding = Embedding {
            start: Some(start),
            globals: Globals::Symbols,
            hosted: Some(Hosted {
                fn_ids: ids,
                only: &[func],
            }),
            ir: Some(ir),
        };
        let opts = CodegenOptions {
            target: Target::host(),
            opt_level: self.opt_level,
            debug: None,
            fuel: super::metered(),
            profile: false,
            profile_use: None,
            trace_calls: solvra_rt::debug::tracing::call_events(),
        };
        let object =
            codegen::compile_embedded(prog, &opts, Emit::Object, &embedding).map_err(|e| e.0)?;
        let ms = started.elapsed().as_secs_f64() * 1e3;
        self.log(prog, func, &format!("compiled in {ms:.1} ms"));
        if let Some((c, k)) = cache {
            // A cache that cannot be written costs the next run a compile, nothing more.
            let _ = c.put(k, &object);
        }
        Ok(object)
    }

    fn log(&self, prog: &Program, func: u32, what: &str) {
        if self.verbose {
            let name = prog.functions[func as usize].display_name();
            eprintln!("solvrac: jit: fn{func} ({name}) {what}");
        }
    }

    fn try_compile(
        &mut self,
        prog: &Program,
        func: u32,
        fn_ids: &[FnId],
        globals: &[Vec<Value>],
    ) -> Result<usize, String> {
        if self.jit.is_none() {
            let jit = Jit::new().map_err(|e| e.0)?;
            // The interpreter's global arrays stay where they are for the whole run.
            let names: Vec<String> = (0..globals.len() as u32).map(global_symbol).collect();
            let arrays: Vec<(&str, u64)> = names
                .iter()
                .zip(globals)
                .map(|(n, g)| (n.as_str(), g.as_ptr() as u64))
                .collect();
            jit.define(&arrays).map_err(|e| e.0)?;
            self.roots = Some(RootRangesGuard::save());
            self.jit = Some(jit);
        }
        // Each function is compiled at most once per run, so its index names its object.
        let start = format!("svs_hot_{func}");
        let ids: Vec<u32> = fn_ids.iter().map(|id| id.0).collect();
        let object = self.object(prog, func, &ids, &start)?;
        let jit = self.jit.as_ref().expect("created above");
        let tracker = jit.add_object(&object).map_err(|e| e.0)?;
        let linked = jit.start_fn(&start).and_then(|prepare| {
            let entry = jit.lookup(&hosted_name(&start, func))?;
            Ok((prepare, entry))
        });
        let (prepare, entry) = match linked {
            Ok(x) => x,
            Err(e) => {
                jit.remove(tracker);
                return Err(e.0);
            }
        };
        // The start function of hosted code only makes the string constants.
        if let Err(report) = solvra_rt::aot::run_start(prepare) {
            jit.remove(tracker);
            return Err(report.trim_end().to_string());
        }
        jit.keep(tracker);
        Ok(entry as usize)
    }
}

impl TierUp for HotCompiler {
    fn compile(
        &mut self,
        prog: &Program,
        func: u32,
        fn_ids: &[FnId],
        globals: &[Vec<Value>],
    ) -> Option<usize> {
        let result = self.try_compile(prog, func, fn_ids, globals);
        if let Err(e) = &result {
            self.log(prog, func, &format!("stays interpreted: {e}"));
        }
        result.ok()
    }
}
