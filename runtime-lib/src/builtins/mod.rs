//! Builtin functions of LANGUAGE.md §4: dispatch, arity checks and the canonical function
//! value of each builtin.
//!
//! `table` is the one list of builtin names, arities and alias paths; the frontend resolves
//! names against it and every tier dispatches through `call`. Implementations live in one file
//! per group of §4 (`io`, `convert`, `numeric`, `collections`, `time`, `process`, `events`,
//! `files`; JSON is `crate::json`); `implementation` maps each table name to its function once
//! per thread, so a call is an index, not a string match. The optional host builtins of §4.10
//! raise `builtin 'NAME' is not supported`.
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
use table::{Builtin, BuiltinId, Visibility, BUILTINS};

/// The native implementation of a builtin; arity is already checked.
pub type BuiltinFn = fn(&[Value]) -> RtResult<Value>;

/// The implementation of the builtin named `name`, or `None` if this runtime does not provide
/// it (the optional builtins).
fn implementation(name: &str) -> Option<BuiltinFn> {
    Some(match name {
        "prt" => io::prt,
        "println" => io::println,
        "endl" => io::endl,
        "input" => io::input,
        "io_stdout_writeln" => io::stdout_writeln,
        "io_stderr_writeln" => io::stderr_writeln,
        "len" => convert::len,
        "type" => convert::type_,
        "to_string" => convert::to_string,
        "bool" => convert::bool_,
        "parse_int" => convert::parse_int,
        "parse_float" => convert::parse_float,
        "int" => convert::int,
        "float" => convert::float,
        "div" => numeric::div,
        "sbt" => numeric::sbt,
        "abs" => numeric::abs,
        "min" => numeric::min,
        "max" => numeric::max,
        "pow" => numeric::pow,
        "sqrt" => numeric::sqrt,
        "sin" => numeric::sin,
        "cos" => numeric::cos,
        "tan" => numeric::tan,
        "log" => numeric::log,
        "__svs_floor" => numeric::floor,
        "__svs_ceil" => numeric::ceil,
        "__svs_trunc" => numeric::trunc,
        "__svs_round" => numeric::round,
        "push" => collections::push,
        "pop" => collections::pop,
        "insert" => collections::insert,
        "remove" => collections::remove,
        "keys" => collections::keys,
        "values" => collections::values,
        "has_key" => collections::has_key,
        "time" => time::time,
        "now" => time::now,
        "now_ms" => time::now_ms,
        "sleep" => time::sleep,
        "delay" => time::delay,
        "random" => time::random,
        "exit" => process::exit,
        "env_get" => process::env_get,
        "env_set" => process::env_set,
        "on_event" => events::on_event,
        "trigger_event" => events::trigger_event,
        "json_stringify" => json_stringify,
        "json_parse" => json_parse,
        "read_file" => files::read_file,
        "write_file" => files::write_file,
        "open_file" => files::open_file,
        "close_file" => files::close_file,
        "fs_exists" => files::fs_exists,
        "fs_ls" => files::fs_ls,
        "path_join" => files::path_join,
        "path_home_dir" => files::path_home_dir,
        _ => {
            return crate::syscalls::implementation(name)
                .or_else(|| crate::ipc::implementation(name))
        }
    })
}

thread_local! {
    static IMPLS: Vec<Option<BuiltinFn>> = BUILTINS
        .iter()
        .map(|b| match b.visibility {
            Visibility::Optional => None,
            _ => implementation(b.name),
        })
        .collect();
}

/// Calls builtin `id` with `args`.
pub fn call(id: BuiltinId, args: &[Value]) -> RtResult<Value> {
    let b = id.get();
    if b.visibility == Visibility::Optional {
        return Err(not_supported(b.name));
    }
    check_arity(b, args.len())?;
    match IMPLS.with(|t| t[id.0 as usize]) {
        Some(f) => f(args),
        None => Err(not_supported(b.name)),
    }
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
    fn every_required_builtin_is_implemented() {
        for b in BUILTINS {
            let has = implementation(b.name).is_some();
            match b.visibility {
                Visibility::Optional => assert!(!has, "{}", b.name),
                _ => assert!(has, "{} has no implementation", b.name),
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
