//! Builtin functions of LANGUAGE.md §4: dispatch, arity checks and the canonical function
//! value of each builtin.
//!
//! `table` is the one list of builtin names, arities and alias paths; the frontend resolves
//! names against it and every tier dispatches through `call`. Implementations live in one file
//! per group of §4 (`io`, `convert`, `numeric`, `collections`, `time`, `process`, `events`,
//! `files`; JSON is `crate::json`; the system, network and IPC builtins are in `syscalls` and
//! `ipc`). The optional host builtins of §4.10 raise `builtin 'NAME' is not supported`.
//!
//! **Linking.** A call is an index into `IMPLS`, which starts empty. Each implementation is also
//! exported as a static `solvra_builtin_NAME` (declared with `builtin_fns!`); a native program's
//! start function registers exactly the builtins the program uses from those statics, so the
//! linker keeps only their code (a hello world does not carry sockets and processes). Hosts that
//! can run any program — the interpreter, the JIT, tests — call `register_all` first.
//!
//! Rooting contract (see heap/mod.rs): callers keep `args` rooted during a call; builtins keep
//! every fresh value in a local or inside a heap object across their own allocations.

pub mod table;

mod collections;
mod convert;
mod events;
mod files;
mod io;
mod numeric;
mod process;
mod time;

pub use collections::push_owned;
pub use events::clear_events;
pub(crate) use files::{open_options, sorted_entries, string_array};
pub use io::set_stdin_override;
pub(crate) use process::valid_env_name;
pub use time::start_clock;

use crate::error::{RtError, RtResult};
use crate::heap::{self, RootSource};
use crate::value::{Tag, Value};
use crate::{function, json, string};
use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use table::{Builtin, BuiltinId, Visibility, BUILTINS};

/// The native implementation of a builtin; arity is already checked.
pub type BuiltinFn = fn(&[Value]) -> RtResult<Value>;

/// Declares builtin implementations: `fn NAME` maps a table name to its function, and each
/// function is exported as the static named after `=`, always `solvra_builtin_` and the table
/// name (the code generator derives the symbol from the name; a test checks every one).
macro_rules! builtin_fns {
    ($vis:vis fn $lookup:ident; $($name:literal => $f:path = $sym:ident,)*) => {
        $(
            #[no_mangle]
            #[allow(non_upper_case_globals)]
            pub static $sym: $crate::builtins::BuiltinFn = $f;
        )*
        /// The exported implementation of the builtin named `name` and its symbol, if it is
        /// declared here.
        $vis fn $lookup(name: &str) -> Option<(&'static str, &'static $crate::builtins::BuiltinFn)> {
            match name {
                $($name => Some((stringify!($sym), &$sym)),)*
                _ => None,
            }
        }
    };
}
pub(crate) use builtin_fns;

/// The exported implementation of the builtin named `name` and its symbol, or `None` if this
/// runtime does not provide it (the optional builtins).
fn implementation(name: &str) -> Option<(&'static str, &'static BuiltinFn)> {
    own_implementation(name)
        .or_else(|| crate::syscalls::implementation(name))
        .or_else(|| crate::ipc::implementation(name))
}

builtin_fns! {
    fn own_implementation;
    "prt" => io::prt = solvra_builtin_prt,
    "println" => io::println = solvra_builtin_println,
    "endl" => io::endl = solvra_builtin_endl,
    "input" => io::input = solvra_builtin_input,
    "io_stdout_writeln" => io::stdout_writeln = solvra_builtin_io_stdout_writeln,
    "io_stderr_writeln" => io::stderr_writeln = solvra_builtin_io_stderr_writeln,
    "len" => convert::len = solvra_builtin_len,
    "type" => convert::type_ = solvra_builtin_type,
    "to_string" => convert::to_string = solvra_builtin_to_string,
    "bool" => convert::bool_ = solvra_builtin_bool,
    "parse_int" => convert::parse_int = solvra_builtin_parse_int,
    "parse_float" => convert::parse_float = solvra_builtin_parse_float,
    "int" => convert::int = solvra_builtin_int,
    "float" => convert::float = solvra_builtin_float,
    "div" => numeric::div = solvra_builtin_div,
    "sbt" => numeric::sbt = solvra_builtin_sbt,
    "abs" => numeric::abs = solvra_builtin_abs,
    "min" => numeric::min = solvra_builtin_min,
    "max" => numeric::max = solvra_builtin_max,
    "pow" => numeric::pow = solvra_builtin_pow,
    "sqrt" => numeric::sqrt = solvra_builtin_sqrt,
    "sin" => numeric::sin = solvra_builtin_sin,
    "cos" => numeric::cos = solvra_builtin_cos,
    "tan" => numeric::tan = solvra_builtin_tan,
    "log" => numeric::log = solvra_builtin_log,
    "__svs_floor" => numeric::floor = solvra_builtin___svs_floor,
    "__svs_ceil" => numeric::ceil = solvra_builtin___svs_ceil,
    "__svs_trunc" => numeric::trunc = solvra_builtin___svs_trunc,
    "__svs_round" => numeric::round = solvra_builtin___svs_round,
    "push" => collections::push = solvra_builtin_push,
    "pop" => collections::pop = solvra_builtin_pop,
    "insert" => collections::insert = solvra_builtin_insert,
    "remove" => collections::remove = solvra_builtin_remove,
    "keys" => collections::keys = solvra_builtin_keys,
    "values" => collections::values = solvra_builtin_values,
    "has_key" => collections::has_key = solvra_builtin_has_key,
    "time" => time::time = solvra_builtin_time,
    "now" => time::now = solvra_builtin_now,
    "now_ms" => time::now_ms = solvra_builtin_now_ms,
    "sleep" => time::sleep = solvra_builtin_sleep,
    "delay" => time::delay = solvra_builtin_delay,
    "random" => time::random = solvra_builtin_random,
    "exit" => process::exit = solvra_builtin_exit,
    "env_get" => process::env_get = solvra_builtin_env_get,
    "env_set" => process::env_set = solvra_builtin_env_set,
    "on_event" => events::on_event = solvra_builtin_on_event,
    "trigger_event" => events::trigger_event = solvra_builtin_trigger_event,
    "json_stringify" => json_stringify = solvra_builtin_json_stringify,
    "json_parse" => json_parse = solvra_builtin_json_parse,
    "read_file" => files::read_file = solvra_builtin_read_file,
    "write_file" => files::write_file = solvra_builtin_write_file,
    "open_file" => files::open_file = solvra_builtin_open_file,
    "close_file" => files::close_file = solvra_builtin_close_file,
    "fs_exists" => files::fs_exists = solvra_builtin_fs_exists,
    "fs_ls" => files::fs_ls = solvra_builtin_fs_ls,
    "path_join" => files::path_join = solvra_builtin_path_join,
    "path_home_dir" => files::path_home_dir = solvra_builtin_path_home_dir,
}

/// The registered implementation of each builtin, as a function address (0: not registered).
/// Process-wide: registration happens once, before any program code runs.
static IMPLS: [AtomicUsize; BUILTINS.len()] = {
    #[allow(clippy::declare_interior_mutable_const)]
    const NONE: AtomicUsize = AtomicUsize::new(0);
    [NONE; BUILTINS.len()]
};

/// Makes builtin `id` callable.
pub fn register(id: BuiltinId, f: BuiltinFn) {
    IMPLS[id.0 as usize].store(f as usize, Ordering::Relaxed);
}

/// Registers every builtin this runtime implements (for hosts that run any program).
pub fn register_all() {
    for (i, b) in BUILTINS.iter().enumerate() {
        if b.visibility != Visibility::Optional {
            if let Some((_, f)) = implementation(b.name) {
                register(BuiltinId(i as u16), *f);
            }
        }
    }
}

/// Every exported implementation symbol and its address, for a JIT that links compiled code
/// against this process's runtime.
pub fn native_symbols() -> Vec<(String, usize)> {
    BUILTINS
        .iter()
        .filter(|b| b.visibility != Visibility::Optional)
        .filter_map(|b| implementation(b.name))
        .map(|(symbol, f)| (symbol.to_string(), f as *const BuiltinFn as usize))
        .collect()
}

/// Calls builtin `id` with `args`.
pub fn call(id: BuiltinId, args: &[Value]) -> RtResult<Value> {
    let b = id.get();
    if b.visibility == Visibility::Optional {
        return Err(not_supported(b.name));
    }
    check_arity(b, args.len())?;
    match IMPLS[id.0 as usize].load(Ordering::Relaxed) {
        0 => Err(RtError::new(format!(
            "internal error: builtin '{}' is not linked into this program",
            b.name
        ))),
        f => {
            // SAFETY: only `register` stores, and it stores a `BuiltinFn`.
            let f = unsafe { std::mem::transmute::<usize, BuiltinFn>(f) };
            if crate::debug::tracing::enabled() {
                return traced(b.name, f, args);
            }
            f(args)
        }
    }
}

/// A builtin call while `SOLVRA_TRACE` records: system calls (the internal builtins of the
/// system modules) and HAL operations become events.
#[cold]
fn traced(name: &str, f: BuiltinFn, args: &[Value]) -> RtResult<Value> {
    let cat = if name.starts_with("__hal_") {
        "hal"
    } else if name.starts_with("__") && !name.starts_with("__svs_") {
        "syscall"
    } else {
        return f(args);
    };
    let start = std::time::Instant::now();
    let result = f(args);
    crate::debug::tracing::complete(cat, name, start, "{}");
    result
}

/// `builtin 'NAME' is not supported` (§4.10).
pub fn not_supported(name: &str) -> RtError {
    RtError::new(format!("builtin '{name}' is not supported"))
}

fn check_arity(b: &Builtin, got: usize) -> RtResult<()> {
    let (min, max) = (b.arity.min as usize, b.arity.max.map(|m| m as usize));
    if got >= min && max.map_or(true, |m| got <= m) {
        return Ok(());
    }
    let count = |n: usize| format!("{n} argument{}", if n == 1 { "" } else { "s" });
    let expected = match max {
        Some(m) if m == min => count(m),
        Some(m) if min == 0 => format!("at most {}", count(m)),
        Some(m) => format!("{min} to {m} arguments"),
        None => format!("at least {}", count(min)),
    };
    Err(RtError::new(format!(
        "{}: expects {expected}, got {got}",
        b.name
    )))
}

/// The canonical function values, one per builtin and thread, created on first use and kept
/// alive for the thread's life (a registered root).
struct BuiltinValues {
    values: RefCell<Vec<Value>>,
}

impl RootSource for BuiltinValues {
    fn trace_roots(&self, visit: &mut dyn FnMut(Value)) {
        for v in self.values.borrow().iter() {
            visit(*v);
        }
    }
}

thread_local! {
    static VALUES: &'static BuiltinValues = heap::leak_root(BuiltinValues {
        values: RefCell::new(vec![Value::NULL; BUILTINS.len()]),
    });
}

/// The function value of builtin `id`. Every call returns the same value, so an alias is the
/// same function as its builtin (`str == to_string`, C13).
pub fn value_of(id: BuiltinId) -> RtResult<Value> {
    let i = id.0 as usize;
    let cached = VALUES.with(|v| v.values.borrow()[i]);
    if !cached.is_null() {
        return Ok(cached);
    }
    let f = function::new_builtin(id)?;
    VALUES.with(|v| v.values.borrow_mut()[i] = f);
    Ok(f)
}

// --- argument helpers shared by the builtin files -------------------------------------------

/// `NAME: expects WHAT, got T`.
pub(crate) fn type_error(name: &str, what: &str, got: Value) -> RtError {
    RtError::new(format!("{name}: expects {what}, got {}", got.type_name()))
}

/// An int or float argument as f64 (§4.1: numeric builtins accept only int and float).
pub(crate) fn number(name: &str, v: Value) -> RtResult<f64> {
    crate::ops::as_number(v).ok_or_else(|| type_error(name, "a number", v))
}

/// A string argument's text.
pub(crate) fn text<'a>(name: &str, v: Value) -> RtResult<&'a str> {
    if v.tag != Tag::Str {
        return Err(type_error(name, "a string", v));
    }
    Ok(string::as_str(v))
}

/// An optional trailing argument: absent or `null` is `None`.
pub(crate) fn optional(args: &[Value], i: usize) -> Option<Value> {
    args.get(i).copied().filter(|v| !v.is_null())
}

fn json_stringify(args: &[Value]) -> RtResult<Value> {
    string::from_string(json::stringify(args[0])?)
}

fn json_parse(args: &[Value]) -> RtResult<Value> {
    json::parse(text("json_parse", args[0])?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;

    fn id(name: &str) -> BuiltinId {
        table::lookup(name).unwrap_or_else(|| panic!("no builtin {name}"))
    }

    #[test]
    fn every_required_builtin_is_implemented_and_exported_by_name() {
        for b in BUILTINS {
            let found = implementation(b.name);
            match b.visibility {
                Visibility::Optional => assert!(found.is_none(), "{}", b.name),
                _ => {
                    let (symbol, _) =
                        found.unwrap_or_else(|| panic!("{} has no implementation", b.name));
                    // The code generator links a builtin by this name.
                    assert_eq!(symbol, format!("solvra_builtin_{}", b.name));
                }
            }
        }
    }

    #[test]
    fn arity_messages() {
        rooted(|| {
            let one = s("x");
            assert_eq!(err(call(id("len"), &[])), "len: expects 1 argument, got 0");
            assert_eq!(
                err(call(id("len"), &[one, one])),
                "len: expects 1 argument, got 2"
            );
            assert_eq!(
                err(call(id("pow"), &[one])),
                "pow: expects 2 arguments, got 1"
            );
            assert_eq!(
                err(call(id("endl"), &[one])),
                "endl: expects 0 arguments, got 1"
            );
            assert_eq!(
                err(call(id("parse_int"), &[one, one, one])),
                "parse_int: expects 1 to 2 arguments, got 3"
            );
            assert_eq!(
                err(call(id("input"), &[one, one])),
                "input: expects at most 1 argument, got 2"
            );
            assert_eq!(
                err(call(id("random"), &[one, one, one])),
                "random: expects at most 2 arguments, got 3"
            );
        })
    }

    #[test]
    fn optional_builtins_are_not_supported() {
        rooted(|| {
            let x = int(1);
            assert_eq!(
                err(call(id("http_get"), &[x])),
                "builtin 'http_get' is not supported"
            );
            assert_eq!(
                err(call(id("toml::load_file"), &[])),
                "builtin 'toml::load_file' is not supported"
            );
            assert_eq!(
                err(call(id("core_index"), &[x, x, x, x])),
                "builtin 'core_index' is not supported"
            );
        })
    }

    #[test]
    fn value_of_is_canonical_per_builtin() {
        rooted(|| {
            let a = value_of(id("to_string")).unwrap();
            let b = value_of(table::lookup_alias("str").unwrap()).unwrap();
            assert_eq!(a.bits, b.bits);
            assert!(crate::ops::equals(a, b));
            assert_eq!(d(b), "<function to_string>");
            let p = value_of(table::lookup_alias("std::io::print").unwrap()).unwrap();
            assert_eq!(d(p), "<function prt>");
            let l = value_of(id("len")).unwrap();
            assert!(!crate::ops::equals(a, l));
            heap::collect();
            // Still alive and the same after a collection.
            assert_eq!(value_of(id("to_string")).unwrap().bits, a.bits);
            assert_eq!(d(a), "<function to_string>");
        })
    }

    #[test]
    fn json_builtins_check_their_argument() {
        rooted(|| {
            assert_eq!(
                err(call(id("json_parse"), &[int(1)])),
                "json_parse: expects a string, got int"
            );
            let t = s("[1, {\"a\": null}]");
            let v = call(id("json_parse"), &[t]).unwrap();
            assert_eq!(d(v), "[1, {}]");
            assert_eq!(r(call(id("json_stringify"), &[v])), "[1,{}]");
        })
    }
}
