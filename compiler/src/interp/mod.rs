//! The tier-0 interpreter: runs verified bytecode with the runtime library for every value,
//! builtin, error and allocation, so its behaviour is the runtime's behaviour.
//!
//! Execution is a loop over an explicit frame stack (`exec.rs`), never Rust recursion, so deep
//! SolvraScript recursion cannot overflow the native stack and a task can be suspended by
//! saving its frames (`tasks.rs`). Values live on one value stack per task: a frame's callee,
//! then its local slots, then its operands. The interpreter registers itself as a GC root
//! source, so everything on those stacks, the module globals and the constants stay alive.
//!
//! A builtin that calls back into user code (`trigger_event`) enters a nested run loop through
//! the runtime's call hook.

#[macro_use]
mod kinds;
mod arith;
mod call;
mod exec;
mod handlers;
mod plain;
mod quick;
mod tasks;
mod tier;

pub use tier::TierUp;

use crate::bytecode::{blocks, Constant, Program};
use solvra_rt::function::{self, FnId, FnInfo};
use solvra_rt::heap::{self, RootSource};
use solvra_rt::object::{SiteCache, TransitionCache};
use solvra_rt::{callback, stdout, RtError, Value};
use std::cell::Cell;
use std::rc::Rc;

/// Deepest SolvraScript call nesting before `stack overflow` (§3.12.4 asks for 10 000).
pub const MAX_FRAMES: usize = 100_000;

/// The value of a global or cell whose declaration has not run yet.
pub(crate) const UNINIT: Value = Value {
    tag: solvra_rt::Tag::Null,
    bits: 1,
};

/// How a program run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Finished normally.
    Done,
    /// An uncaught runtime error: the message and the SolvraScript stack trace, innermost first.
    Error { message: String, trace: Vec<String> },
}

#[derive(Clone, Copy, Debug)]
pub(crate) struct Frame {
    pub func: u32,
    pub pc: usize,
    /// Stack index of local slot 0 (the callee sits just below).
    pub base: usize,
    /// The running closure (`null` for a module's top level).
    pub closure: Value,
    pub argc: u16,
    /// Returning from this frame returns from the current run loop (the main task's first
    /// frame, or a nested call from the runtime).
    pub stop: bool,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ModuleState {
    NotRun,
    Running,
    Done,
}

pub struct Interp {
    pub(crate) prog: Rc<Program>,
    pub(crate) consts: Vec<Value>,
    pub(crate) globals: Vec<Vec<Value>>,
    pub(crate) modules: Vec<ModuleState>,
    /// Runtime function-table entry of each bytecode function.
    pub(crate) fn_ids: Vec<FnId>,
    pub(crate) stack: Vec<Value>,
    pub(crate) frames: Vec<Frame>,
    pub(crate) main_started: bool,
    /// Interpreter state of tasks suspended in `await`.
    pub(crate) suspended: tasks::Suspended,
    /// Trace of the error being propagated, innermost frame first.
    pub(crate) trace: Vec<String>,
    /// The pre-decoded view of each function's code (`quick.rs`).
    pub(crate) quick: Rc<Vec<Vec<quick::Entry>>>,
    /// Inline caches of member accesses, by function and pc (only member instructions use
    /// theirs).
    pub(crate) caches: Vec<Vec<SiteCache>>,
    /// Transition caches of object-literal fields (`InitField`), by function and pc.
    pub(crate) transitions: Vec<Vec<TransitionCache>>,
    /// Builtin function values loaded so far, by builtin id (`null` until the first load), so
    /// that `LoadBuiltin` in a loop does not ask the runtime each time.
    pub(crate) builtins: Vec<Value>,
    /// The compiler of hot functions, if the run is tiered (`tier.rs`).
    pub(crate) tier: Option<tier::Tier>,
    /// With a cost-meter budget: what entering each pc of each function costs
    /// (`bytecode::blocks::costs`).
    pub(crate) fuel: Option<Rc<Vec<Vec<u32>>>>,
    /// Calls and returns go to the `SOLVRA_TRACE` recorder (`run --trace`).
    pub(crate) trace_calls: bool,
}

thread_local! {
    /// The interpreter running on this thread, for the runtime's call hook.
    static CURRENT: Cell<*mut Interp> = const { Cell::new(std::ptr::null_mut()) };
}

impl RootSource for Interp {
    fn trace_roots(&self, visit: &mut dyn FnMut(Value)) {
        self.consts.iter().for_each(|v| visit(*v));
        self.globals.iter().flatten().for_each(|v| visit(*v));
        self.builtins.iter().for_each(|v| visit(*v));
        self.stack.iter().for_each(|v| visit(*v));
        self.frames.iter().for_each(|f| visit(f.closure));
        self.suspended.trace(visit);
    }
}

impl Interp {
    /// Prepares a verified program: registers its functions with the runtime and materialises
    /// its constants.
    pub fn new(prog: Program) -> Result<Box<Interp>, RtError> {
        let prog = Rc::new(prog);
        let fn_ids = prog
            .functions
            .iter()
            .enumerate()
            .map(|(i, f)| {
                function::register(FnInfo {
                    name: f.name.clone(),
                    params: f.params as u32,
                    required: f.required as u32,
                    self_first: f.self_first,
                    is_async: f.is_async,
                    code: i,
                })
            })
            .collect();
        // The budget is set before the program is loaded (`run --fuel`, SOLVRA_FUEL).
        let metered = solvra_rt::cost_meter::enabled();
        let quick = prog
            .functions
            .iter()
            .map(|f| quick::quicken(f, !metered))
            .collect();
        let mut interp = Box::new(Interp {
            consts: Vec::with_capacity(prog.constants.len()),
            globals: prog
                .modules
                .iter()
                .map(|m| vec![UNINIT; m.globals.len()])
                .collect(),
            modules: vec![ModuleState::NotRun; prog.modules.len()],
            fn_ids,
            stack: Vec::with_capacity(1024),
            frames: Vec::with_capacity(64),
            // Without a `main` there is nothing to note, and calls need not check.
            main_started: prog.modules[prog.entry as usize].main.is_none(),
            suspended: tasks::Suspended::default(),
            trace: Vec::new(),
            quick: Rc::new(quick),
            caches: prog
                .functions
                .iter()
                .map(|f| {
                    f.code
                        .iter()
                        .map(|_| SiteCache {
                            shape: std::ptr::null(),
                            slot: 0,
                        })
                        .collect()
                })
                .collect(),
            transitions: prog
                .functions
                .iter()
                .map(|f| {
                    f.code
                        .iter()
                        .map(|_| TransitionCache {
                            from: std::ptr::null(),
                            to: std::ptr::null(),
                        })
                        .collect()
                })
                .collect(),
            builtins: vec![Value::NULL; solvra_rt::builtins::table::BUILTINS.len()],
            tier: None,
            fuel: metered.then(|| Rc::new(prog.functions.iter().map(blocks::costs).collect())),
            trace_calls: solvra_rt::debug::tracing::call_events(),
            prog,
        });
        let _guard = heap::add_root(&*interp as &dyn RootSource as *const dyn RootSource);
        let prog = interp.prog.clone();
        for c in &prog.constants {
            let v = match c {
                Constant::Int(i) => Value::int(*i),
                Constant::Float(f) => Value::float(*f),
                Constant::Str(s) => solvra_rt::string::new(s)?,
            };
            interp.consts.push(v);
        }
        Ok(interp)
    }

    /// Runs the entry module to completion (including the automatic `main` and the tasks it
    /// awaits). Standard output is flushed before returning.
    pub fn run(&mut self) -> Outcome {
        let base_marker = 0u8;
        heap::set_stack_base(&base_marker as *const u8);
        let _guard = heap::add_root(self as &dyn RootSource as *const dyn RootSource);
        let previous = CURRENT.with(|c| c.replace(self as *mut Interp));
        callback::set_call_hook(call_hook);
        solvra_rt::scheduler::set_switch_hook(Some(tasks::on_switch));
        solvra_rt::builtins::register_all();
        solvra_rt::scheduler::reset();
        solvra_rt::builtins::start_clock();
        let entry = self.prog.entry;
        let result = self.run_module(entry);
        CURRENT.with(|c| c.set(previous));
        stdout::flush();
        match result {
            Ok(_) => Outcome::Done,
            Err(e) => Outcome::Error {
                message: e.message,
                trace: std::mem::take(&mut self.trace),
            },
        }
    }

    /// Runs a module's top level as the main task.
    fn run_module(&mut self, module: u32) -> Result<Value, RtError> {
        self.modules[module as usize] = ModuleState::Running;
        let init = self.prog.modules[module as usize].init;
        self.stack.push(Value::NULL);
        self.push_frame(init, Value::NULL, 0, true)?;
        let r = self.execute();
        self.modules[module as usize] = ModuleState::Done;
        r
    }
}

/// The runtime's call hook: runs a user function in a nested loop of the current interpreter.
fn call_hook(f: Value, args: &[Value], mode: callback::CallMode) -> Result<Value, RtError> {
    let interp = CURRENT.with(|c| c.get());
    if interp.is_null() {
        return Err(RtError::new("no interpreter is running"));
    }
    // SAFETY: `CURRENT` is set for the duration of `Interp::run` on this thread, and the hook is
    // only invoked from builtins called by that run loop, which do not hold a borrow of it.
    let interp = unsafe { &mut *interp };
    interp.call_nested(f, args, mode)
}

/// Formats an uncaught error as LANGUAGE.md §3.14.1 prescribes (the runtime's one format,
/// shared with compiled code).
pub use solvra_rt::error::report;
