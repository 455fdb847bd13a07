//! Pipes to and from child processes, and the tasks that read and write them
//! (`process.read`, `process.write`).
//!
//! Our end of each pipe is non-blocking, and every read or write is an I/O task: its operation
//! runs whenever the pipe is ready and stops at `EAGAIN`, so a child that is slow to write (or
//! to read its input) holds up only the tasks awaiting it. The operations share the descriptor
//! through an `Rc`: a pipe handle the program drops while a task still reads it stays open
//! until that task is done, and its number cannot be reused under the task's feet.
//!
//! Reads return text. A character whose bytes arrive in two reads is kept back (`carry`) and
//! returned whole by the next read; invalid UTF-8 becomes U+FFFD.

use super::{count, handle_in};
use crate::builtins::optional;
use crate::display::display;
use crate::error::{RtError, RtResult};
use crate::handle::{self, Resource};
use crate::scheduler::{self, Interest, IoStep};
use crate::string;
use crate::syscalls::os_error;
use crate::syscalls::utf8_complete_len;
use crate::value::Value;
use std::any::Any;
use std::cell::RefCell;
use std::io;
use std::os::unix::io::{AsRawFd, OwnedFd, RawFd};
use std::rc::Rc;

/// Bytes a read asks the OS for at a time.
const CHUNK: usize = 64 << 10;

/// Our end of a pipe to a child process: a handle resource of kind `pipe`.
pub(crate) struct Pipe {
    fd: Rc<OwnedFd>,
    /// The child's stdin (we write) rather than its stdout or stderr (we read).
    writer: bool,
    /// The bytes of a character cut off at the end of the last read.
    carry: Rc<RefCell<Vec<u8>>>,
}

impl Resource for Pipe {
    fn kind(&self) -> &'static str {
        "pipe"
    }
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
    fn waited_fd(&self) -> Option<RawFd> {
        Some(self.fd())
    }
    fn closed_while_waiting(&self, id: u64) -> String {
        let call = if self.is_writer() { "write" } else { "read" };
        format!("{call}: <handle {id}> is closed")
    }
}

impl Pipe {
    /// Takes over `fd` (made non-blocking).
    pub(super) fn new(fd: OwnedFd, writer: bool) -> io::Result<Pipe> {
        super::set_nonblocking(fd.as_raw_fd())?;
        Ok(Pipe {
            fd: Rc::new(fd),
            writer,
            carry: Rc::default(),
        })
    }

    pub(super) fn fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    pub(super) fn is_writer(&self) -> bool {
        self.writer
    }
}

/// The pipe an argument names: a pipe handle, or the `field` pipe of a process object.
fn pipe_arg(call: &str, v: Value, field: &str) -> RtResult<&'static mut Pipe> {
    let h = handle_in(v, field).ok_or_else(|| {
        RtError::new(format!(
            "{call}: the process has no {field} pipe (spawn it with {field}: \"pipe\")"
        ))
    })?;
    handle::resource::<Pipe>(call, "a pipe or a process", h)
}

/// `read(p, n)`: a task whose result is the text the pipe (or a process's stdout) gives next:
/// everything up to the end when `n` is null, else what is there, up to `n` bytes (at least one
/// character). "" at the end.
pub(super) fn read(args: &[Value]) -> RtResult<Value> {
    let limit = match optional(args, 1) {
        None => None,
        Some(n) => Some(count("read", n)?.max(1)),
    };
    let pipe = pipe_arg("read", args[0], "stdout")?;
    if pipe.writer {
        return Err(RtError::new(format!(
            "read: <handle {}> is the writing end of a pipe",
            handle::id(args[0])
        )));
    }
    let (fd, carry) = (pipe.fd.clone(), pipe.carry.clone());
    let mut got = Vec::new();
    let mut buf = vec![0u8; limit.unwrap_or(CHUNK).min(CHUNK)];
    scheduler::io_task(
        fd.as_raw_fd(),
        Interest::Read,
        Box::new(move || read_step(fd.as_raw_fd(), &carry, limit, &mut buf, &mut got)),
    )
}

/// One run of a read task's operation: reads what the pipe has; done at the end of the input,
/// or with a limit as soon as a whole character is there.
fn read_step(
    fd: RawFd,
    carry: &RefCell<Vec<u8>>,
    limit: Option<usize>,
    buf: &mut [u8],
    got: &mut Vec<u8>,
) -> IoStep {
    loop {
        // SAFETY: reading into a buffer we own.
        let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
        if n < 0 {
            let e = io::Error::last_os_error();
            return match e.kind() {
                io::ErrorKind::Interrupted => continue,
                io::ErrorKind::WouldBlock => IoStep::Again,
                _ => IoStep::Done(Err(os_error("read", e, ""))),
            };
        }
        // Bytes carried over from the last read of this pipe come first. There are some only
        // when this task starts (a task ahead of it may have left them), so `got` moves once.
        let carried = std::mem::take(&mut *carry.borrow_mut());
        if !carried.is_empty() {
            got.splice(0..0, carried);
        }
        if n == 0 {
            return done_text(&std::mem::take(got));
        }
        got.extend_from_slice(&buf[..n as usize]);
        if limit.is_some() {
            let keep = utf8_complete_len(got);
            *carry.borrow_mut() = got.split_off(keep);
            if keep > 0 {
                return done_text(&std::mem::take(got));
            }
        }
    }
}

fn done_text(bytes: &[u8]) -> IoStep {
    IoStep::Done(string::from_string(
        String::from_utf8_lossy(bytes).into_owned(),
    ))
}

/// `write(p, data)`: a task that writes `D(data)` to the pipe (or a process's stdin) and whose
/// result is the number of bytes written, once all are.
pub(super) fn write(args: &[Value]) -> RtResult<Value> {
    let pipe = pipe_arg("write", args[0], "stdin")?;
    if !pipe.writer {
        return Err(RtError::new(format!(
            "write: <handle {}> is the reading end of a pipe",
            handle::id(args[0])
        )));
    }
    let data = display(args[1]).into_bytes();
    let fd = pipe.fd.clone();
    let mut done = 0;
    scheduler::io_task(
        fd.as_raw_fd(),
        Interest::Write,
        Box::new(move || loop {
            if done == data.len() {
                return IoStep::Done(Ok(Value::int(done as i64)));
            }
            let rest = &data[done..];
            // SAFETY: writing from a buffer we own.
            let n = unsafe { libc::write(fd.as_raw_fd(), rest.as_ptr().cast(), rest.len()) };
            if n < 0 {
                let e = io::Error::last_os_error();
                match e.kind() {
                    io::ErrorKind::Interrupted => continue,
                    io::ErrorKind::WouldBlock => return IoStep::Again,
                    _ => return IoStep::Done(Err(os_error("write", e, ""))),
                }
            }
            done += n as usize;
        }),
    )
}

/// Makes writing to a pipe whose reader has gone an `EPIPE` error (`write: Broken pipe (os
/// error 32)`) instead of a `SIGPIPE` that ends the program. Rust's own start-up does this for
/// `solvrac run`; native executables start in generated code, so the first pipe to a child's
/// stdin does it there. A program that set its own disposition is left alone.
pub(super) fn ignore_sigpipe() {
    // SAFETY: reading and, if still the default, setting a signal disposition.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        if libc::sigaction(libc::SIGPIPE, std::ptr::null(), &mut old) == 0
            && old.sa_sigaction == libc::SIG_DFL
        {
            libc::signal(libc::SIGPIPE, libc::SIG_IGN);
        }
    }
}
