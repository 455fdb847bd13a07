//! The interface between natively compiled SolvraScript (AOT binaries, later the JIT) and the
//! runtime: every language operation compiled code cannot do inline is one of these `extern
//! "C"` functions.
//!
//! Conventions (DESIGN.md, "One ABI table"): values travel as pointers to 16-byte `Value`s;
//! results are written through an `out` pointer; a function that can fail returns an `i32`
//! status, 0 for success and 1 for a runtime error, which it leaves pending (`error.rs`) for
//! the caller to propagate or catch (`solvra_catch_message`). Nothing unwinds. Pointer-sized
//! integers are `usize`. Names of variables and members come as (pointer, length) UTF-8 text.
//!
//! A compiled function has the signature of `NativeFn`. The runtime calls it through the
//! function table (`function.rs`), whose `code` field holds the entry address, so calls from
//! builtins (event handlers) and between compiled functions take the same path.
//!
//! # Safety
//!
//! Every `unsafe` function here has one contract, which the code generator upholds: value
//! pointers point to live, initialised values (and `out` pointers are valid for writes), text
//! pointers point to the given number of bytes of UTF-8, and array pointers to the given number
//! of values.
#![allow(clippy::missing_safety_doc)] // the contract above covers every function

use crate::abi::values;
use crate::builtins::{self, table::BuiltinId};
use crate::error::{self, RtError, RtResult};
use crate::function::{self, Callee, FnId, FnInfo};
use crate::ops;
use crate::value::{Tag, Value};
use crate::{array, callback, heap, object, scheduler, stdout, string};
use std::cell::Cell;

/// A compiled SolvraScript function: closure value, arguments, argument count, result.
pub type NativeFn = extern "C" fn(*const Value, *const Value, usize, *mut Value) -> i32;

/// Calls nested deeper than this raise `stack overflow` (§3.12.4: at least 10 000).
pub const MAX_CALL_DEPTH: u32 = 100_000;

/// The value of a global or cell whose declaration has not run yet.
pub const UNINIT: Value = Value {
    tag: Tag::Null,
    bits: 1,
};

thread_local! {
    static DEPTH: Cell<u32> = const { Cell::new(0) };
    static MAIN_FN: Cell<u32> = const { Cell::new(u32::MAX) };
    static MAIN_STARTED: Cell<bool> = const { Cell::new(false) };
    static TRACE: std::cell::RefCell<Vec<String>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Writes `r`'s value through `out`, or leaves its error pending.
///
/// # Safety
/// `out` must be valid for a write.
unsafe fn put(out: *mut Value, r: RtResult<Value>) -> i32 {
    match r {
        Ok(v) => {
            *out = v;
            0
        }
        Err(e) => {
            error::set_pending(e);
            1
        }
    }
}

unsafe fn text<'a>(ptr: *const u8, len: usize) -> &'a str {
    std::str::from_utf8_unchecked(std::slice::from_raw_parts(ptr, len))
}

/// Swaps the compiled-code call depth (the scheduler keeps one per task); returns the old one.
pub(crate) fn swap_call_depth(depth: u32) -> u32 {
    DEPTH.with(|d| d.replace(depth))
}

/// Calls any function value with the language's rules: builtins directly, user functions
/// through their native entry after the arity check (§3.12.2); calling an `async fn` creates
/// its task (§3.15).
pub fn call_value(f: Value, args: &[Value]) -> RtResult<Value> {
    call(f, args, callback::CallMode::Nested)
}

fn call(f: Value, args: &[Value], mode: callback::CallMode) -> RtResult<Value> {
    if f.tag != Tag::Function {
        return Err(not_callable(f));
    }
    let id = match function::obj(f).callee {
        Callee::Builtin(b) => return builtins::call(b, args),
        Callee::User(id) => id,
    };
    let info = function::call_info(id);
    let entry = info.native;
    if entry == 0 {
        // Loaded by the interpreter and not compiled (the tiered `run`): its tier runs it.
        return match mode {
            callback::CallMode::Nested => callback::call_value(f, args),
            callback::CallMode::TaskBody => callback::call_task_body(f, args),
        };
    }
    if !info.accepts(args.len() as u32) {
        function::check_call(id, args.len() as u32)?;
    }
    let is_async = info.is_async;
    note_main_call(f);
    if is_async && mode == callback::CallMode::Nested {
        for a in args {
            array::share(*a);
        }
        return scheduler::spawn(f, args.to_vec());
    }
    let depth = DEPTH.with(|d| d.get());
    if depth >= MAX_CALL_DEPTH {
        return Err(RtError::new("stack overflow"));
    }
    for a in args {
        array::share(*a);
    }
    DEPTH.with(|d| d.set(depth + 1));
    // SAFETY: a native entry is the address of a `NativeFn`.
    let entry: NativeFn = unsafe { std::mem::transmute::<usize, NativeFn>(entry) };
    let mut out = Value::NULL;
    let st = entry(&f, args.as_ptr(), args.len(), &mut out);
    DEPTH.with(|d| d.set(depth));
    if st == 0 {
        Ok(out)
    } else {
        Err(call_failed(mode))
    }
}

// The error paths are out of line: a task suspended inside `call` keeps its frame on the run
// stack or in its saved image, so every byte of it counts (docs/SCHEDULER.md).
#[cold]
#[inline(never)]
fn not_callable(f: Value) -> RtError {
    RtError::new(format!("value of type '{}' is not callable", f.type_name()))
}

#[cold]
#[inline(never)]
fn call_failed(mode: callback::CallMode) -> RtError {
    if mode == callback::CallMode::TaskBody {
        // The error ends the task; whoever awaits it sees the error from its own frames.
        TRACE.with(|t| t.borrow_mut().clear());
    }
    error::take_pending().unwrap_or_else(|| RtError::new("unknown error"))
}

/// A call of the entry module's `main`, direct or through `async`, counts as started (§3.2).
fn note_main_call(f: Value) {
    if let Callee::User(id) = function::obj(f).callee {
        if is_main(id) {
            MAIN_STARTED.with(|m| m.set(true));
        }
    }
}

/// Registers a compiled function in the function table; returns its id.
///
/// # Safety
/// `name` must point to `name_len` bytes of UTF-8 (or be null for an anonymous function) and
/// `entry` must be a `NativeFn`.
#[no_mangle]
pub unsafe extern "C" fn solvra_register_function(
    name: *const u8,
    name_len: usize,
    params: u32,
    required: u32,
    flags: u32,
    entry: usize,
) -> u32 {
    let name = if name.is_null() {
        None
    } else {
        Some(text(name, name_len).to_string())
    };
    let id = function::register(FnInfo {
        name,
        params,
        required,
        self_first: flags & 1 != 0,
        is_async: flags & 2 != 0,
        code: entry,
    });
    function::set_native(id, entry);
    id.0
}

/// Makes builtin `id` callable with the implementation that `f` points to (its exported
/// `solvra_builtin_NAME` static): a program's start function registers the builtins it uses,
/// so only their code is linked in (builtins/mod.rs).
///
/// # Safety
/// `f` must point to a `BuiltinFn`.
#[no_mangle]
pub unsafe extern "C" fn solvra_register_builtin(id: u32, f: *const builtins::BuiltinFn) {
    if (id as usize) < builtins::table::BUILTINS.len() {
        builtins::register(BuiltinId(id as u16), *f);
    }
}

/// Marks function `id` as the entry module's `main` (§3.2).
#[no_mangle]
pub extern "C" fn solvra_set_main(id: u32) {
    MAIN_FN.with(|m| m.set(id));
}

/// Whether function `id` is the entry module's `main`.
pub(crate) fn is_main(id: FnId) -> bool {
    MAIN_FN.with(|m| m.get()) == id.0
}

/// Whether a call of `main` has started.
#[no_mangle]
pub extern "C" fn solvra_main_started() -> i32 {
    MAIN_STARTED.with(|m| m.get()) as i32
}

/// Where the call depth of compiled code lives on this thread. Compiled functions that call
/// others read this once on entry and then load and store the depth through it: the limit
/// check and the count around each call are a load and two stores, not three calls into the
/// runtime. Specialised clones (the compiler's `backend/opt`) call each other directly and pass
/// the depth along as an argument; they read it here when entered from code that calls through
/// `call`, and store theirs here before anything that may call back. The scheduler swaps the
/// value per task (`swap_call_depth`), so the cell itself stays the thread's.
#[no_mangle]
pub extern "C" fn solvra_call_depth_cell() -> *mut u32 {
    DEPTH.with(|d| d.as_ptr())
}

fn aot_hook(f: Value, args: &[Value], mode: callback::CallMode) -> RtResult<Value> {
    call(f, args, mode)
}

/// Calls a function value whose native entry is set, from another tier (the interpreter calls
/// the functions the JIT compiled for it this way).
pub fn call_native(f: Value, args: &[Value], mode: callback::CallMode) -> RtResult<Value> {
    call(f, args, mode)
}

/// Takes the stack-trace frames compiled code recorded for the error being propagated,
/// innermost first (a tier that called the code continues the trace with its own frames).
pub fn take_trace() -> Vec<String> {
    TRACE.with(|t| std::mem::take(&mut *t.borrow_mut()))
}

/// Hands frames another tier recorded (innermost first) to the trace compiled code continues:
/// an error that leaves that tier's code for a runtime caller that compiled code called (a
/// builtin's callback) keeps its frames, and a `catch` in compiled code drops them.
pub fn continue_trace(frames: Vec<String>) {
    TRACE.with(|t| t.borrow_mut().extend(frames));
}

/// Prepares the current thread for compiled code: the collector's stack base (`base` is an
/// address in the outermost frame that runs compiled code), the call hook and the clock. The
/// JIT calls it once per thread it runs programs or REPL inputs on.
pub fn enter(base: *const u8) {
    heap::set_stack_base(base);
    callback::set_call_hook(aot_hook);
    builtins::start_clock();
}

/// Runs a start function (or any compiled entry of its shape) on a thread `enter` prepared.
/// An uncaught error is returned as its report: `runtime error: MESSAGE` and the stack trace,
/// one `  at FRAME` line each, after standard output has been flushed.
pub fn run_start(start: extern "C" fn() -> i32) -> Result<(), String> {
    if start() == 0 {
        return Ok(());
    }
    let err = error::take_pending().unwrap_or_else(|| RtError::new("unknown error"));
    stdout::flush();
    let trace = take_trace();
    DEPTH.with(|d| d.set(0));
    Err(error::report(&err.message, &trace))
}

/// Runs a compiled program: `start` registers the program's functions and runs the entry
/// module. Sets up the runtime, reports an uncaught error (`runtime error: MESSAGE` and the
/// stack trace on stderr) and returns the exit status.
///
/// The program runs on this thread, on a stack of its own with room for `MAX_CALL_DEPTH`
/// compiled frames (the main thread's is too small): the scheduler's context switch moves onto
/// it and back, so no second thread is needed. When it returns, the collector's roots are the
/// caller's again (`heap::RunGuard`).
#[no_mangle]
pub extern "C" fn solvra_aot_main(start: extern "C" fn() -> i32) -> i32 {
    // 32-bit targets have less address space.
    let size = if cfg!(target_pointer_width = "32") {
        512 << 20
    } else {
        1 << 30
    };
    let stack = match scheduler::context::Stack::new(size) {
        Some(stack) => stack,
        None => {
            stdout::write_stderr("runtime error: cannot map the program's stack\n");
            return 101;
        }
    };
    // The program's stack is unmapped when this returns, and a JIT frees its static data.
    let _collector = heap::RunGuard::save();
    let mut run = ProgramRun {
        start,
        code: 101,
        caller: 0,
    };
    // SAFETY: a fresh stack that only this context uses; `run_program` switches back to
    // `run.caller` when the program is over, and `run` outlives it.
    unsafe {
        let sp = scheduler::context::prepare(
            stack.top(),
            run_program,
            &mut run as *mut ProgramRun as usize,
        );
        scheduler::context::switch(&mut run.caller, sp);
    }
    run.code
}

struct ProgramRun {
    start: extern "C" fn() -> i32,
    code: i32,
    /// The context of `solvra_aot_main`'s caller, to return to.
    caller: usize,
}

extern "C" fn run_program(arg: usize) -> ! {
    // SAFETY: `solvra_aot_main` passes its `ProgramRun`, which lives until this switches back.
    let run = unsafe { &mut *(arg as *mut ProgramRun) };
    let start = run.start;
    run.code = std::panic::catch_unwind(move || run_program_body(start)).unwrap_or(101);
    let mut finished = 0;
    // SAFETY: `caller` was saved by the switch that started this context.
    unsafe { scheduler::context::switch(&mut finished, run.caller) };
    unreachable!("the program's context was resumed after it finished");
}

/// The whole program on its stack: sets up the thread, runs, reports, returns the exit status.
fn run_program_body(start: extern "C" fn() -> i32) -> i32 {
    let base = 0u8;
    enter(&base as *const u8);
    crate::debug::tracing::start_from_env();
    let code = match run_start(start) {
        Ok(()) => 0,
        Err(report) => {
            stdout::write_stderr(&report);
            1
        }
    };
    stdout::finish();
    heap::report_stats_if_enabled();
    crate::debug::tracing::finish();
    crate::debug::profile::finish();
    // SAFETY: keeps `base` (and so this frame, the collector's stack base) in place until here.
    unsafe { std::ptr::read_volatile(&base) };
    code
}

/// Records a frame of the stack trace while an error propagates out of a compiled function.
///
/// # Safety
/// The texts must be valid UTF-8 of the given lengths.
#[no_mangle]
pub unsafe extern "C" fn solvra_trace_push(
    name: *const u8,
    name_len: usize,
    file: *const u8,
    file_len: usize,
    line: u32,
) {
    let frame = format!(
        "{} ({}:{})",
        text(name, name_len),
        text(file, file_len),
        line
    );
    TRACE.with(|t| {
        let mut t = t.borrow_mut();
        if t.len() < 10_000 {
            t.push(frame);
        }
    });
}

/// `catch_message`: takes the pending error as a string value (the `catch` binding).
///
/// # Safety
/// `out` must be valid for a write.
#[no_mangle]
pub unsafe extern "C" fn solvra_catch_message(out: *mut Value) -> i32 {
    TRACE.with(|t| t.borrow_mut().clear());
    let err = error::take_pending().unwrap_or_else(|| RtError::new("unknown error"));
    put(out, string::new(&err.message))
}

/// Raises `no match arm matched`; always returns 1.
#[no_mangle]
pub extern "C" fn solvra_no_match() -> i32 {
    error::set_pending(RtError::new("no match arm matched"));
    1
}

/// Raises `variable 'NAME' used before initialization`; always returns 1.
unsafe fn uninit(name: *const u8, len: usize) -> i32 {
    error::set_pending(RtError::new(format!(
        "variable '{}' used before initialization",
        text(name, len)
    )));
    1
}

#[no_mangle]
pub unsafe extern "C" fn solvra_to_bool(out: *mut Value, a: *const Value) {
    *out = Value::bool(ops::truthy(*a));
}

#[no_mangle]
pub unsafe extern "C" fn solvra_builtin(out: *mut Value, id: u32) -> i32 {
    put(out, builtins::value_of(BuiltinId(id as u16)))
}

#[no_mangle]
pub unsafe extern "C" fn solvra_new_uninit_cell(out: *mut Value) -> i32 {
    put(out, function::new_cell(UNINIT))
}

/// Reads a captured variable, which must be initialised.
#[no_mangle]
pub unsafe extern "C" fn solvra_cell_load(
    out: *mut Value,
    cell: *const Value,
    name: *const u8,
    len: usize,
) -> i32 {
    let v = function::cell_get(*cell);
    if v == UNINIT {
        return uninit(name, len);
    }
    *out = v;
    0
}

/// Assigns a captured variable, which must be initialised.
#[no_mangle]
pub unsafe extern "C" fn solvra_cell_store(
    cell: *const Value,
    v: *const Value,
    name: *const u8,
    len: usize,
) -> i32 {
    if function::cell_get(*cell) == UNINIT {
        return uninit(name, len);
    }
    function::cell_set(*cell, *v);
    0
}

/// Raises `variable 'NAME' used before initialization` if the global at `slot` has not been
/// initialised (its declaration has not run).
#[no_mangle]
pub unsafe extern "C" fn solvra_check_init(slot: *const Value, name: *const u8, len: usize) -> i32 {
    if *slot == UNINIT {
        return uninit(name, len);
    }
    0
}

/// A named import's value: the export's global, or `null` if it was never initialised.
#[no_mangle]
pub unsafe extern "C" fn solvra_export_value(out: *mut Value, slot: *const Value) {
    let v = *slot;
    *out = if v == UNINIT { Value::NULL } else { v };
}

/// Raises `cannot assign to immutable binding 'NAME'` if `v` is an array (§6.3 C29).
#[no_mangle]
pub unsafe extern "C" fn solvra_check_not_array(
    v: *const Value,
    name: *const u8,
    len: usize,
) -> i32 {
    if (*v).tag == Tag::Array {
        error::set_pending(RtError::new(format!(
            "cannot assign to immutable binding '{}'",
            text(name, len)
        )));
        return 1;
    }
    0
}

/// A namespace field: like `solvra_member_set`, but an uninitialised export is left out.
#[no_mangle]
pub unsafe extern "C" fn solvra_namespace_add(
    o: *const Value,
    key: *const u8,
    len: usize,
    v: *const Value,
) -> i32 {
    if *v == UNINIT {
        return 0;
    }
    crate::abi::solvra_member_set(o, key, len, v)
}

/// `x = push(x, v)`: appends in place when the array is unshared.
#[no_mangle]
pub unsafe extern "C" fn solvra_append(out: *mut Value, a: *const Value, v: *const Value) -> i32 {
    put(out, builtins::push_owned(*a, *v))
}

/// `get_method`: the member `key` of an object receiver, which must be a function (§3.12.5).
/// `cache` is the call site's inline cache (see `abi::solvra_member_get_ic`).
#[no_mangle]
pub unsafe extern "C" fn solvra_get_method(
    out: *mut Value,
    recv: *const Value,
    key: *const u8,
    len: usize,
    cache: *mut object::SiteCache,
) -> i32 {
    let recv = *recv;
    let name = text(key, len);
    if recv.tag != Tag::Object {
        error::set_pending(RtError::new(format!(
            "cannot access member '{name}' on {}",
            recv.type_name()
        )));
        return 1;
    }
    let member = object::obj(recv).get_cached(name, &mut *cache);
    if member.tag != Tag::Function {
        error::set_pending(RtError::new(format!("member '{name}' is not callable")));
        return 1;
    }
    *out = member;
    0
}

/// `call_method`: calls `f` with the receiver prepended when its first parameter is `self`.
#[no_mangle]
pub unsafe extern "C" fn solvra_call_method(
    out: *mut Value,
    f: *const Value,
    recv: *const Value,
    args: *const Value,
    argc: usize,
) -> i32 {
    let f = *f;
    let args = values(args, argc);
    if method_takes_self(f) {
        // The receiver goes first; small argument lists stay on the stack.
        let mut small = [Value::NULL; 8];
        let mut big = Vec::new();
        let all = if argc < small.len() {
            small[0] = *recv;
            small[1..=argc].copy_from_slice(args);
            &small[..=argc]
        } else {
            big.push(*recv);
            big.extend_from_slice(args);
            &big[..]
        };
        put(out, call_value(f, all))
    } else {
        put(out, call_value(f, args))
    }
}

#[no_mangle]
pub unsafe extern "C" fn solvra_closure(
    out: *mut Value,
    id: u32,
    cells: *const Value,
    n: usize,
) -> i32 {
    let cells = if n == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(cells, n)
    };
    put(out, function::new_user(FnId(id), cells))
}

#[no_mangle]
pub unsafe extern "C" fn solvra_iter_prep(out: *mut Value, v: *const Value) -> i32 {
    put(out, ops::iter_source(*v))
}

#[no_mangle]
pub unsafe extern "C" fn solvra_iter_has_next(items: *const Value, index: *const Value) -> i32 {
    (((*index).as_int() as usize) < array::len(*items)) as i32
}

/// `async f(args)`: a pending task for the call (§3.15).
#[no_mangle]
pub unsafe extern "C" fn solvra_spawn(
    out: *mut Value,
    f: *const Value,
    args: *const Value,
    argc: usize,
) -> i32 {
    let f = *f;
    let args = values(args, argc);
    if f.tag == Tag::Function {
        note_main_call(f);
    }
    for a in args {
        array::share(*a);
    }
    put(out, scheduler::spawn(f, args.to_vec()))
}

/// `async recv.m(args)`: like `solvra_spawn`, with the receiver prepended when `f` takes `self`
/// (the method was looked up when the task was created, §3.12.5).
#[no_mangle]
pub unsafe extern "C" fn solvra_spawn_method(
    out: *mut Value,
    f: *const Value,
    recv: *const Value,
    args: *const Value,
    argc: usize,
) -> i32 {
    let mut all = Vec::with_capacity(argc + 1);
    if method_takes_self(*f) {
        all.push(*recv);
    }
    all.extend_from_slice(values(args, argc));
    solvra_spawn(out, f, all.as_ptr(), all.len())
}

/// `await t`: the task's outcome; suspends the running task until `t` is done.
#[no_mangle]
pub unsafe extern "C" fn solvra_await(out: *mut Value, t: *const Value) -> i32 {
    put(out, scheduler::await_task(*t))
}

/// The end of the entry module (§3.2): awaits the automatic `main` call's result if it is a
/// task (an `async fn main`), and passes any other value through.
#[no_mangle]
pub unsafe extern "C" fn solvra_await_if_task(out: *mut Value, v: *const Value) -> i32 {
    let v = *v;
    if v.tag != Tag::Task {
        *out = v;
        return 0;
    }
    put(out, scheduler::await_task(v))
}

fn method_takes_self(f: Value) -> bool {
    f.tag == Tag::Function
        && match function::obj(f).callee {
            Callee::User(id) => function::self_first(id),
            Callee::Builtin(_) => false,
        }
}

/// Item `index` of an iteration (marked shared: the loop variable is a second place).
#[no_mangle]
pub unsafe extern "C" fn solvra_iter_get(
    out: *mut Value,
    items: *const Value,
    index: *const Value,
) {
    let item = array::obj(*items).get((*index).as_int() as usize);
    array::share(item);
    *out = item;
}

#[no_mangle]
pub unsafe extern "C" fn solvra_is_array_len(out: *mut Value, v: *const Value, len: u32) {
    let v = *v;
    *out = Value::bool(v.tag == Tag::Array && array::len(v) == len as usize);
}

#[no_mangle]
pub unsafe extern "C" fn solvra_is_object(out: *mut Value, v: *const Value) {
    *out = Value::bool((*v).tag == Tag::Object);
}

#[no_mangle]
pub unsafe extern "C" fn solvra_has_field(
    out: *mut Value,
    v: *const Value,
    key: *const u8,
    len: usize,
) {
    let v = *v;
    *out = Value::bool(v.tag == Tag::Object && !object::obj(v).get(text(key, len)).is_null());
}
