//! The `sys` module's environment and clock calls: `env_remove`, `env_vars`, `cwd`, `pid` and
//! `monotonic_ms` (`env_get`, `env_set` and `time` are the §4 builtins themselves).

use crate::builtins::{start_clock, text, valid_env_name};
use crate::error::{RtError, RtResult};
use crate::syscalls::os_error;
use crate::value::Value;
use crate::{object, string};

/// `env_remove(name)`: unsets a variable (nothing happens if it is not set).
pub(super) fn env_remove(args: &[Value]) -> RtResult<Value> {
    let name = text("env_remove", args[0])?;
    if !valid_env_name(name) {
        return Err(RtError::new(format!(
            "env_remove: invalid variable name '{name}'"
        )));
    }
    std::env::remove_var(name);
    Ok(Value::NULL)
}

/// `env_vars()`: every environment variable as an object, fields sorted by name (the order
/// the OS keeps them in says nothing).
pub(super) fn env_vars(_args: &[Value]) -> RtResult<Value> {
    let mut vars: Vec<(String, String)> = std::env::vars_os()
        .map(|(k, v)| {
            (
                k.to_string_lossy().into_owned(),
                v.to_string_lossy().into_owned(),
            )
        })
        .collect();
    vars.sort();
    let o = object::new_empty()?;
    for (k, v) in vars {
        let v = string::from_string(v)?;
        object::obj(o).set(&k, v);
    }
    Ok(o)
}

/// `cwd()`: the current working directory.
pub(super) fn cwd(_args: &[Value]) -> RtResult<Value> {
    let dir = std::env::current_dir().map_err(|e| os_error("cwd", e, ""))?;
    string::from_string(dir.to_string_lossy().into_owned())
}

/// `pid()`: this process's id.
pub(super) fn pid(_args: &[Value]) -> RtResult<Value> {
    Ok(Value::int(std::process::id() as i64))
}

/// `monotonic_ms()`: milliseconds since the program started, as a float with the clock's
/// resolution, from the monotonic clock (the one `now_ms` and `delay` use).
pub(super) fn monotonic_ms(_args: &[Value]) -> RtResult<Value> {
    Ok(Value::float(start_clock().elapsed().as_secs_f64() * 1000.0))
}
