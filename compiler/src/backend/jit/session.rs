//! A REPL session: inputs compiled one by one into the JIT, sharing their top-level names.
//!
//! Each input goes through the whole pipeline as a program of its own (frontend, bytecode,
//! Solvra IR, LLVM, an object file loaded under its own resource tracker). What persists
//! between inputs is the *session store*: one fixed array of runtime values, registered with
//! the collector as a root range, with one slot per top-level name ever defined. Every input's
//! entry-module globals are compiled as references to the store's slots (`Embedding::
//! globals`), chosen by name, so
//! * a function defined in one input and called from a later one is read from the same slot,
//!   and redefining it (a new `fn f` or `let f`) rewrites that slot: callers compiled earlier
//!   see the new definition, as in any REPL;
//! * the frontend sees the names of earlier inputs as globals declared before the input's first
//!   statement (`LoadOptions::session`), with their kinds (a `const` stays unassignable), and
//!   reports errors exactly as `solvrac check` does for a file;
//! * the collector sees every value the session keeps, because the store is a root range; the
//!   slots never move (the array is allocated once), so compiled code can hold their addresses.
//!
//! An input that fails to compile changes nothing (its new names are not published and its
//! code is unloaded). An input that fails at run time keeps the effects it had before the error,
//! like a script would. Code of an input that ran is never unloaded: closures it created may be
//! referenced from the store or the heap.

use super::engine::Jit;
use crate::backend::codegen::{self, CodegenOptions, Embedding, Emit, Globals, Target};
use crate::backend::{ir, lowering};
use crate::bytecode::{self, Program};
use crate::frontend::ast::{ExprKind, StmtKind};
use crate::frontend::resolve::BindingKind;
use crate::frontend::{self, Diagnostic, LoadOptions, SourceMap};
use solvra_rt::heap::RootRangesGuard;
use solvra_rt::{Tag, Value};
use std::collections::HashMap;
use std::path::PathBuf;

/// Slots in the session store (16 bytes each).
const STORE_SLOTS: usize = 1 << 16;
/// The hidden global an expression input's value is stored in.
const RESULT: &str = "__repl_value";

/// Why an input did not run to completion.
pub enum InputError {
    /// Compile-time diagnostics, to be rendered as `check` renders them.
    Diagnostics(SourceMap, Vec<Diagnostic>),
    /// A runtime error report: `runtime error: MESSAGE` and the stack trace.
    Runtime(String),
    /// Anything else (a command used wrongly, an internal or LLVM failure).
    Other(String),
}

/// How an input's text is turned into the program that runs.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Statements as written; a lone expression's value is also returned.
    Run,
    /// A lone expression, whose type name (`type(EXPR)`) is returned.
    Type,
}

pub struct Session {
    /// Unregisters the store and the inputs' constants and globals when the session ends.
    _roots: RootRangesGuard,
    jit: Jit,
    store: Box<[Value]>,
    /// Slot of every name that ever had one (slots are never reused, so compiled code that
    /// holds a slot's address stays correct).
    slots: HashMap<String, usize>,
    /// Published names and their kinds, in definition order.
    names: Vec<(String, BindingKind)>,
    inputs: u32,
    module_paths: Vec<PathBuf>,
    opt_level: u8,
}

impl Session {
    /// A new session. Must be created, used and dropped on one thread, which must have called
    /// `solvra_rt::aot::enter` (the runtime's state is per thread).
    pub fn new(module_paths: Vec<PathBuf>, opt_level: u8) -> Result<Session, String> {
        let roots = RootRangesGuard::save();
        let store = vec![solvra_rt::aot::UNINIT; STORE_SLOTS].into_boxed_slice();
        solvra_rt::heap::add_root_range(store.as_ptr(), store.len());
        Ok(Session {
            _roots: roots,
            jit: Jit::new().map_err(|e| e.0)?,
            store,
            slots: HashMap::new(),
            names: Vec::new(),
            inputs: 0,
            module_paths,
            opt_level,
        })
    }

    /// The names defined so far, in definition order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(|(n, _)| n.as_str())
    }

    /// Forgets every name (loaded code stays, see the module docs).
    pub fn reset(&mut self) {
        self.store.fill(solvra_rt::aot::UNINIT);
        self.names.clear();
    }

    /// Compiles and runs one input. Returns the display text of its value if it is a lone
    /// expression whose value is not `null` (in `Mode::Type`, its type name).
    pub fn eval(&mut self, text: &str, mode: Mode) -> Result<Option<String>, InputError> {
        let (program, is_expr, declared) = self.compile(text, mode)?;
        let addrs = self.slots_for(&program)?;
        let start_name = format!("svs_repl_{}", self.inputs);
        let entry = program.entry;
        let at = |m: u32, i: u32| (m == entry).then(|| addrs[i as usize]);
        let embedding = Embedding {
            start: Some(&start_name),
            globals: Globals::At(&at),
            ..Embedding::default()
        };
        let object = codegen::compile_embedded(&program, &self.codegen(), Emit::Object, &embedding)
            .map_err(|e| InputError::Other(format!("cannot compile the input: {}", e.0)))?;
        let tracker = self
            .jit
            .add_object(&object)
            .map_err(|e| InputError::Other(e.0))?;
        let start = match self.jit.start_fn(&start_name) {
            Ok(f) => f,
            Err(e) => {
                self.jit.remove(tracker);
                return Err(InputError::Other(e.0));
            }
        };
        self.jit.keep(tracker);
        let run = solvra_rt::aot::run_start(start);
        solvra_rt::stdout::flush();
        for (name, kind) in declared {
            let initialised = self.store[self.slots[&name]] != solvra_rt::aot::UNINIT;
            if name == RESULT || (run.is_err() && !initialised) {
                continue;
            }
            self.names.retain(|(n, _)| *n != name);
            self.names.push((name, kind));
        }
        run.map_err(InputError::Runtime)?;
        if !is_expr {
            return Ok(None);
        }
        let v = std::mem::replace(&mut self.store[self.slots[RESULT]], solvra_rt::aot::UNINIT);
        Ok((v.tag != Tag::Null).then(|| solvra_rt::display::display(v)))
    }

    /// The Solvra IR of an input's functions (its top level first).
    pub fn sir(&mut self, text: &str) -> Result<String, InputError> {
        let (program, _, _) = self.compile(text, Mode::Run)?;
        let mut out = String::new();
        for f in 0..program.functions.len() as u32 {
            let func = lowering::lower_function(&program, f)
                .map_err(|e| InputError::Other(format!("cannot lower fn{f}: {}", e.0)))?;
            out.push_str(&ir::print_function(&func));
        }
        Ok(out)
    }

    /// The LLVM IR of an input, as it would be loaded into the JIT (without running it).
    pub fn llvm(&mut self, text: &str) -> Result<String, InputError> {
        let (program, _, _) = self.compile(text, Mode::Run)?;
        let addrs = self.slots_for(&program)?;
        let entry = program.entry;
        let at = |m: u32, i: u32| (m == entry).then(|| addrs[i as usize]);
        let embedding = Embedding {
            start: Some("svs_repl_listing"),
            globals: Globals::At(&at),
            ..Embedding::default()
        };
        let text = codegen::compile_embedded(&program, &self.codegen(), Emit::LlvmIr, &embedding)
            .map_err(|e| InputError::Other(e.0))?;
        Ok(String::from_utf8_lossy(&text).into_owned())
    }

    fn codegen(&self) -> CodegenOptions {
        CodegenOptions {
            target: Target::host(),
            opt_level: self.opt_level,
            debug: None,
            fuel: None,
            profile: false,
            profile_use: None,
            trace_calls: false,
        }
    }

    /// Runs the frontend and the bytecode compiler over an input; a lone expression is
    /// rewritten to store its value (or type) in `RESULT`. Returns the program, whether the
    /// input was a lone expression, and the names it declares with their kinds.
    #[allow(clippy::type_complexity)]
    fn compile(
        &mut self,
        text: &str,
        mode: Mode,
    ) -> Result<(Program, bool, Vec<(String, BindingKind)>), InputError> {
        self.inputs += 1;
        let name = format!("<input {}>", self.inputs);
        let options = LoadOptions {
            module_paths: self.module_paths.clone(),
            session: self.names.clone(),
        };
        let (checked, diags) = frontend::load_source(&name, text, options.clone());
        if !diags.is_empty() {
            return Err(InputError::Diagnostics(checked.sources, diags));
        }
        let entry = checked.module(checked.entry.expect("a source has an entry"));
        // A lone expression, other than an assignment, is echoed.
        let is_expr = matches!(&entry.ast.stmts[..],
            [s] if matches!(&s.kind, StmtKind::Expr(e) if !matches!(e.kind, ExprKind::Assign(..))));
        let program = if is_expr {
            // On the input's first line, so runtime errors name the lines the user typed.
            let wrapped = match mode {
                Mode::Run => format!("let {RESULT} = ({text}\n)"),
                Mode::Type => format!("let {RESULT} = type(({text}\n))"),
            };
            let (program, diags) = frontend::load_source(&name, &wrapped, options);
            if !diags.is_empty() {
                return Err(InputError::Diagnostics(program.sources, diags));
            }
            program
        } else if mode == Mode::Type {
            return Err(InputError::Other("`:type` takes an expression".into()));
        } else {
            checked
        };
        let res = &program.module(program.entry.expect("an entry")).resolution;
        let declared = res
            .globals
            .iter()
            .map(|&b| res.binding(b))
            .filter(|b| !b.from_session)
            .map(|b| (b.name.clone(), b.kind))
            .collect();
        let code = bytecode::compile::compile(&program);
        bytecode::verify::verify(&code).map_err(|e| {
            InputError::Other(format!(
                "internal error: compiled bytecode fails verification: {e}"
            ))
        })?;
        Ok((code, is_expr, declared))
    }

    /// The store address of each global of a program's entry module, by name, allocating
    /// slots for new names.
    fn slots_for(&mut self, program: &Program) -> Result<Vec<u64>, InputError> {
        let globals = &program.modules[program.entry as usize].globals;
        let mut addrs = Vec::with_capacity(globals.len());
        for name in globals {
            let next = self.slots.len();
            let slot = *self.slots.entry(name.clone()).or_insert(next);
            if slot >= STORE_SLOTS {
                self.slots.remove(name);
                return Err(InputError::Other(format!(
                    "the session has no room for another name ({STORE_SLOTS} at most)"
                )));
            }
            addrs.push(&self.store[slot] as *const Value as u64);
        }
        Ok(addrs)
    }
}
