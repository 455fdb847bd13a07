//! The JIT side of the tiered `run`: compiles one hot function at a time for the interpreter
//! (`interp::TierUp`). Each function becomes an object of its own, loaded under its own
//! resource tracker; its code reads the interpreter's module globals in place and uses the
//! interpreter's function ids (`Embedding::hosted`). LLJIT is created on the first compile,
//! so a program that never gets hot never starts LLVM.

use super::engine::Jit;
use crate::backend::codegen::{self, hosted_name, CodegenOptions, Embedding, Emit, Hosted, Target};
use crate::bytecode::Program;
use crate::interp::TierUp;
use solvra_rt::function::FnId;
use solvra_rt::Value;
use std::time::Instant;

pub struct HotCompiler {
    jit: Option<Jit>,
    opt_level: u8,
    /// Compiles so far (names each object's start function).
    count: u32,
    /// Log each compile on stderr.
    verbose: bool,
}

impl HotCompiler {
    pub fn new(opt_level: u8, verbose: bool) -> HotCompiler {
        HotCompiler {
            jit: None,
            opt_level,
            count: 0,
            verbose,
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
            self.jit = Some(Jit::new().map_err(|e| e.0)?);
        }
        let jit = self.jit.as_ref().expect("created above");
        self.count += 1;
        let start = format!("svs_hot_{}", self.count);
        let ids: Vec<u32> = fn_ids.iter().map(|id| id.0).collect();
        let at = |m: u32, i: u32| {
            let slots = &globals[m as usize];
            Some(slots.as_ptr() as u64 + i as u64 * std::mem::size_of::<Value>() as u64)
        };
        let embedding = Embedding {
            start: Some(&start),
            globals: Some(&at),
            hosted: Some(Hosted {
                fn_ids: &ids,
                only: &[func],
            }),
        };
        let opts = CodegenOptions {
            target: Target::host(),
            opt_level: self.opt_level,
        };
        let object =
            codegen::compile_embedded(prog, &opts, Emit::Object, &embedding).map_err(|e| e.0)?;
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
        let started = Instant::now();
        let result = self.try_compile(prog, func, fn_ids, globals);
        if self.verbose {
            let name = prog.functions[func as usize].display_name();
            match &result {
                Ok(_) => eprintln!(
                    "solvrac: jit: compiled fn{func} ({name}) in {:.1} ms",
                    started.elapsed().as_secs_f64() * 1e3
                ),
                Err(e) => eprintln!("solvrac: jit: fn{func} ({name}) stays interpreted: {e}"),
            }
        }
        result.ok()
    }
}
