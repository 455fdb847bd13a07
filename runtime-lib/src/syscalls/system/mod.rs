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

use crate::builtins::{optional, type_error, BuiltinFn};
use crate::error::{RtError, RtResult};
use crate::handle;
use crate::object;
use crate::value::{Tag, Value};
use std::io;
use std::os::unix::io::RawFd;

pub(crate) fn implementation(name: &str) -> Option<BuiltinFn> {
    Some(match name {
        "__fs_open" => fs::open,
        "__fs_read" => fs::read,
        "__fs_write" => fs::write,
        "__fs_seek" => fs::seek,
        "__fs_stat" => fs::stat,
        "__fs_mkdir" => fs::mkdir,
        "__fs_list" => fs::list,
        "__fs_remove" => fs::remove,
        "__fs_rename" => fs::rename,
        "__fs_read_text" => fs::read_text,
        "__fs_write_text" => fs::write_text,
        "__proc_spawn" => process::spawn,
        "__proc_wait" => process::wait,
        "__proc_pid" => process::pid,
        "__proc_kill" => process::kill,
        "__proc_read" => pipe::read,
        "__proc_write" => pipe::write,
        "__sys_close" => close,
        "__sys_env_remove" => env::env_remove,
        "__sys_env_vars" => env::env_vars,
        "__sys_cwd" => env::cwd,
        "__sys_pid" => env::pid,
        "__sys_monotonic_ms" => env::monotonic_ms,
        "__sys_signal_wait" => signal::signal_wait,
        _ => return None,
    })
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
