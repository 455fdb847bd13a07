//! Process and environment builtins (§4.7): `exit`, `env_get`, `env_set`.
//!
//! `exit` is not an error and cannot be caught (§3.14.3): it flushes the runtime's stdout and
//! ends the process on the spot, so `finally` blocks and pending tasks never run. `env_set`
//! validates names and values itself because `std::env::set_var` panics on the ones the
//! operating system cannot store.

use super::{text, type_error};
use crate::display::display;
use crate::error::{RtError, RtResult};
use crate::string;
use crate::value::{Tag, Value};

/// Flushes stdout and terminates with `code` (the OS keeps its low 8 bits).
pub(super) fn exit(args: &[Value]) -> RtResult<Value> {
    let code = match super::optional(args, 0) {
        None => 0,
        Some(v) if v.tag == Tag::Int => v.as_int(),
        Some(v) => return Err(type_error("exit", "an int status", v)),
    };
    crate::stdout::finish();
    crate::heap::report_stats_if_enabled();
    crate::debug::tracing::finish();
    crate::debug::profile::finish();
    std::process::exit(code as i32)
}

pub(super) fn env_get(args: &[Value]) -> RtResult<Value> {
    let name = text("env_get", args[0])?;
    if !valid_env_name(name) {
        return Ok(Value::NULL);
    }
    match std::env::var_os(name) {
        Some(v) => string::from_string(v.to_string_lossy().into_owned()),
        None => Ok(Value::NULL),
    }
}

/// Whether the operating system can store a variable named `name` (`std::env` panics on the
/// others). Shared by `env_set`, `sys.env_remove` and `process.spawn`'s `env` option.
pub(crate) fn valid_env_name(name: &str) -> bool {
    !(name.is_empty() || name.contains('=') || name.contains('\0'))
}

pub(super) fn env_set(args: &[Value]) -> RtResult<Value> {
    let name = text("env_set", args[0])?;
    if !valid_env_name(name) {
        return Err(RtError::new(format!(
            "env_set: invalid variable name '{name}'"
        )));
    }
    let value = display(args[1]);
    if value.contains('\0') {
        return Err(RtError::new("env_set: value contains a NUL character"));
    }
    std::env::set_var(name, value);
    Ok(Value::NULL)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtins::{call, table};
    use crate::testutil::*;

    fn run(name: &str, args: &[Value]) -> RtResult<Value> {
        call(table::lookup(name).unwrap(), args)
    }

    #[test]
    fn environment() {
        rooted(|| {
            let name = s("SOLVRA_RT_TEST_ENV_VAR");
            assert!(run("env_get", &[name]).unwrap().is_null());
            let list = arr(&[int(1), float(2.5)]);
            assert!(run("env_set", &[name, list]).unwrap().is_null());
            assert_eq!(r(run("env_get", &[name])), "[1, 2.5]");
            run("env_set", &[name, int(7)]).unwrap();
            assert_eq!(r(run("env_get", &[name])), "7");
            assert_eq!(
                err(run("env_get", &[int(1)])),
                "env_get: expects a string, got int"
            );
            let bad = s("A=B");
            assert_eq!(
                err(run("env_set", &[bad, int(1)])),
                "env_set: invalid variable name 'A=B'"
            );
            assert!(run("env_get", &[bad]).unwrap().is_null());
            let empty = s("");
            assert!(
                err(run("env_set", &[empty, int(1)])).starts_with("env_set: invalid variable name")
            );
            let nul = s("a\0b");
            assert_eq!(
                err(run("env_set", &[name, nul])),
                "env_set: value contains a NUL character"
            );
        })
    }

    #[test]
    fn exit_rejects_non_int_status_before_exiting() {
        rooted(|| {
            let x = s("1");
            assert_eq!(
                err(run("exit", &[x])),
                "exit: expects an int status, got string"
            );
            assert_eq!(
                err(run("exit", &[float(1.0)])),
                "exit: expects an int status, got float"
            );
        })
    }
}
