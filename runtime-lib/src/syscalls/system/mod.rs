//! The system calls behind the `sys`, `fs` and `process` standard modules (stdlib/*.svs,
//! docs/STDLIB.md): files and directories (`fs`), child processes and their pipes (`process`,
//! `pipe`), the environment and clocks (`env`), and signals (`signal`).
//!
//! Regular files never wait for the outside world, so the file calls are synchronous. What does
//! wait — a child's exit, its pipes, a signal — is an I/O task on the scheduler's event loop
//! (`scheduler::io_task`): the call returns a task at once and the program `await`s it while
//! other tasks run. The operations of those tasks hold descriptors and byte buffers, never
//! values (the collector cannot see inside them); they make a value only for their result.
//!
//! The internal builtins are named `__fs_*`, `__proc_*` and `__sys_*` (builtins/table.rs); their
//! errors name the module function (`open: …`), not the internal name.

mod env;
mod fs;
mod pipe;
mod process;
mod signal;
#[cfg(test)]
mod tests;

use crate::builtins::{builtin_fns, optional, type_error};
use crate::error::{RtError, RtResult};
use crate::handle;
use crate::object;
use crate::value::{Tag, Value};
use std::io;
use std::os::unix::io::RawFd;

builtin_fns! {
    pub(crate) fn implementation;
    "__fs_open" => fs::open = solvra_builtin___fs_open,
    "__fs_read" => fs::read = solvra_builtin___fs_read,
    "__fs_write" => fs::write = solvra_builtin___fs_write,
    "__fs_seek" => fs::seek = solvra_builtin___fs_seek,
    "__fs_stat" => fs::stat = solvra_builtin___fs_stat,
    "__fs_mkdir" => fs::mkdir = solvra_builtin___fs_mkdir,
    "__fs_list" => fs::list = solvra_builtin___fs_list,
    "__fs_remove" => fs::remove = solvra_builtin___fs_remove,
    "__fs_rename" => fs::rename = solvra_builtin___fs_rename,
    "__fs_read_text" => fs::read_text = solvra_builtin___fs_read_text,
    "__fs_write_text" => fs::write_text = solvra_builtin___fs_write_text,
    "__proc_spawn" => process::spawn = solvra_builtin___proc_spawn,
    "__proc_wait" => process::wait = solvra_builtin___proc_wait,
    "__proc_pid" => process::pid = solvra_builtin___proc_pid,
    "__proc_kill" => process::kill = solvra_builtin___proc_kill,
    "__proc_read" => pipe::read = solvra_builtin___proc_read,
    "__proc_write" => pipe::write = solvra_builtin___proc_write,
    "__sys_close" => close = solvra_builtin___sys_close,
    "__sys_env_remove" => env::env_remove = solvra_builtin___sys_env_remove,
    "__sys_env_vars" => env::env_vars = solvra_builtin___sys_env_vars,
    "__sys_cwd" => env::cwd = solvra_builtin___sys_cwd,
    "__sys_pid" => env::pid = solvra_builtin___sys_pid,
    "__sys_monotonic_ms" => env::monotonic_ms = solvra_builtin___sys_monotonic_ms,
    "__sys_signal_wait" => signal::signal_wait = solvra_builtin___sys_signal_wait,
}

/// A non-negative int argument (a byte count).
fn count(name: &str, v: Value) -> RtResult<usize> {
    if v.tag != Tag::Int {
        return Err(type_error(name, "an int count", v));
    }
    usize::try_from(v.as_int())
        .map_err(|_| RtError::new(format!("{name}: count {} is negative", v.as_int())))
}

/// An optional bool argument (default `false`).
fn flag(name: &str, what: &str, args: &[Value], i: usize) -> RtResult<bool> {
    match optional(args, i) {
        None => Ok(false),
        Some(v) if v.tag == Tag::Bool => Ok(v.as_bool()),
        Some(v) => Err(type_error(name, what, v)),
    }
}

/// The error of the last failed system call.
fn last_error() -> io::Error {
    io::Error::last_os_error()
}

/// Makes reads and writes on `fd` return `EAGAIN` instead of blocking (for the event loop).
fn set_nonblocking(fd: RawFd) -> io::Result<()> {
    // SAFETY: plain fcntl calls on a descriptor the caller owns.
    unsafe {
        let flags = libc::fcntl(fd, libc::F_GETFL);
        if flags < 0 || libc::fcntl(fd, libc::F_SETFL, flags | libc::O_NONBLOCK) < 0 {
            return Err(last_error());
        }
    }
    Ok(())
}

/// The handle an argument names: the handle itself, or field `field` of a process object
/// (`process.spawn`'s result). `None` when the object has no such field.
fn handle_in(v: Value, field: &str) -> Option<Value> {
    match v.tag {
        Tag::Object => Some(object::obj(v).get(field)).filter(|h| !h.is_null()),
        _ => Some(v),
    }
}

/// `close(x)` of `fs` and `process`: closes a handle of any kind, or every handle of a process
/// object (its pipes, then the process). Tasks waiting on the handle fail first (`read: <handle
/// N> is closed`). Closing does not stop or wait for a process.
fn close(args: &[Value]) -> RtResult<Value> {
    let v = args[0];
    match v.tag {
        Tag::Handle => close_handle(v, true),
        Tag::Object => {
            for field in ["stdin", "stdout", "stderr", "handle"] {
                let h = object::obj(v).get(field);
                if h.tag == Tag::Handle {
                    close_handle(h, false)?;
                }
            }
            Ok(Value::NULL)
        }
        _ => Err(type_error("close", "a handle or a process", v)),
    }
}

fn close_handle(h: Value, strict: bool) -> RtResult<Value> {
    if !handle::close(h) && strict {
        return Err(RtError::new(format!(
            "close: <handle {}> is already closed",
            handle::id(h)
        )));
    }
    Ok(Value::NULL)
}
