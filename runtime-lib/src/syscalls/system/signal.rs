//! Signals: their names (for `process.kill`) and `sys.signal_wait`, a task that completes when
//! the process receives SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1 or SIGUSR2.
//!
//! **Why a handler and a pipe, not signalfd.** signalfd sees a signal only if *every* thread
//! blocks it; otherwise the kernel delivers it to a thread that does not, where the default
//! action ends the process. `solvrac run` runs the program on a worker thread while the main
//! thread waits in `join` (driver.rs), and the runtime cannot change the main thread's mask from
//! there; one mechanism serves every tier. A signal's *disposition*, by contrast, is
//! one per process: the first `signal_wait` for a signal installs a handler for it, whichever
//! thread the kernel picks runs it, and the handler counts the arrival and writes a byte to the
//! signal's pipe (the self-pipe trick), which wakes the event loop.
//!
//! **Which waiters an arrival completes.** Every task waiting for the signal when the event loop
//! handles the arrival; an arrival while no task waits is kept (once, as the kernel keeps a
//! pending signal) and completes the next `signal_wait`. `arrived` counts arrivals (the
//! handler's only write); `delivered` is the count the last completed wait saw; a waiter
//! completes once `arrived` differs from the `delivered` it started with.
//!
//! From its first `signal_wait` on, a signal no longer has its default effect of ending the
//! program. Children start with default dispositions again (execve resets handled signals).

use crate::builtins::text;
use crate::error::{RtError, RtResult};
use crate::scheduler::{self, Interest, IoStep};
use crate::string;
use crate::syscalls::os_error;
use crate::value::{Tag, Value};
use std::io;
use std::os::unix::io::RawFd;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering::SeqCst};
use std::sync::Mutex;

/// Signals `process.kill` knows by name (`"SIGTERM"` or `"TERM"`).
const NAMES: &[(&str, i32)] = &[
    ("SIGHUP", libc::SIGHUP),
    ("SIGINT", libc::SIGINT),
    ("SIGQUIT", libc::SIGQUIT),
    ("SIGKILL", libc::SIGKILL),
    ("SIGUSR1", libc::SIGUSR1),
    ("SIGUSR2", libc::SIGUSR2),
    ("SIGPIPE", libc::SIGPIPE),
    ("SIGALRM", libc::SIGALRM),
    ("SIGTERM", libc::SIGTERM),
    ("SIGCHLD", libc::SIGCHLD),
    ("SIGCONT", libc::SIGCONT),
    ("SIGSTOP", libc::SIGSTOP),
    ("SIGTSTP", libc::SIGTSTP),
];

/// The signals `signal_wait` accepts; the index is the slot's.
const WAITABLE: [(&str, i32); 6] = [
    ("SIGHUP", libc::SIGHUP),
    ("SIGINT", libc::SIGINT),
    ("SIGQUIT", libc::SIGQUIT),
    ("SIGTERM", libc::SIGTERM),
    ("SIGUSR1", libc::SIGUSR1),
    ("SIGUSR2", libc::SIGUSR2),
];

/// One waitable signal's state, shared with its handler (hence atomics; -1: no descriptor yet).
struct Slot {
    arrived: AtomicUsize,
    delivered: AtomicUsize,
    read_fd: AtomicI32,
    write_fd: AtomicI32,
}

#[allow(clippy::declare_interior_mutable_const)] // only the template of `SLOTS` below
const FRESH: Slot = Slot {
    arrived: AtomicUsize::new(0),
    delivered: AtomicUsize::new(0),
    read_fd: AtomicI32::new(-1),
    write_fd: AtomicI32::new(-1),
};

static SLOTS: [Slot; WAITABLE.len()] = [FRESH; WAITABLE.len()];

/// Serialises installing handlers (scheduler threads in tests may race).
static INSTALL: Mutex<()> = Mutex::new(());

/// The canonical name (`SIGTERM`) and number of a signal named `SIGTERM` or `TERM` in `table`.
fn by_name(table: &[(&'static str, i32)], name: &str) -> Option<(&'static str, i32)> {
    let full = if name.starts_with("SIG") {
        name.to_string()
    } else {
        format!("SIG{name}")
    };
    table.iter().copied().find(|(n, _)| *n == full)
}

/// A signal argument of `call`: a name as above or a number from 0 (no signal: only checks
/// that the process exists) to 64.
pub(super) fn number(call: &str, v: Value) -> RtResult<i32> {
    match v.tag {
        Tag::Int if (0..=64).contains(&v.as_int()) => Ok(v.as_int() as i32),
        Tag::Int => Err(RtError::new(format!(
            "{call}: invalid signal number {}",
            v.as_int()
        ))),
        Tag::Str => by_name(NAMES, string::as_str(v))
            .map(|(_, n)| n)
            .ok_or_else(|| RtError::new(format!("{call}: unknown signal '{}'", string::as_str(v)))),
        _ => Err(crate::builtins::type_error(
            call,
            "a signal name or number",
            v,
        )),
    }
}

extern "C" fn on_signal(signo: i32) {
    // SAFETY: only async-signal-safe work (atomics, write); errno is restored for the code the
    // signal interrupted.
    unsafe {
        let errno = *libc::__errno_location();
        if let Some(i) = WAITABLE.iter().position(|(_, n)| *n == signo) {
            let slot = &SLOTS[i];
            slot.arrived.fetch_add(1, SeqCst);
            let byte = 1u8;
            libc::write(slot.write_fd.load(SeqCst), (&byte as *const u8).cast(), 1);
        }
        *libc::__errno_location() = errno;
    }
}

/// Installs the handler of waitable signal `i` (once per process); returns its pipe's read end.
fn install(i: usize) -> io::Result<RawFd> {
    let _guard = INSTALL.lock().unwrap_or_else(|e| e.into_inner());
    let slot = &SLOTS[i];
    let fd = slot.read_fd.load(SeqCst);
    if fd >= 0 {
        return Ok(fd);
    }
    let signo = WAITABLE[i].1;
    let mut fds = [0; 2];
    // SAFETY: plain system calls on a two-element array and zero-initialised C structs.
    unsafe {
        // Non-blocking at both ends: the handler never waits on a full pipe (a full pipe already
        // means a wake-up is pending), and draining stops when it is empty.
        if libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) != 0 {
            return Err(io::Error::last_os_error());
        }
        slot.write_fd.store(fds[1], SeqCst);
        let mut action: libc::sigaction = std::mem::zeroed();
        action.sa_sigaction = on_signal as extern "C" fn(i32) as usize;
        action.sa_flags = libc::SA_RESTART;
        libc::sigemptyset(&mut action.sa_mask);
        if libc::sigaction(signo, &action, std::ptr::null_mut()) != 0 {
            let e = io::Error::last_os_error();
            slot.write_fd.store(-1, SeqCst);
            libc::close(fds[0]);
            libc::close(fds[1]);
            return Err(e);
        }
        // A mask inherited from whoever started the program could hold the signal back for
        // good; this thread, at least, takes it.
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, signo);
        libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
    }
    slot.read_fd.store(fds[0], SeqCst);
    Ok(fds[0])
}

/// Empties a signal pipe: its bytes only wake the event loop; the count is in `arrived`.
fn drain(fd: RawFd) {
    let mut buf = [0u8; 64];
    // SAFETY: reading into a local buffer until the non-blocking pipe is empty.
    while unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) } > 0 {}
}

/// `signal_wait(name)`: a task whose result is the signal's name (`"SIGUSR1"`) once it arrives.
pub(super) fn signal_wait(args: &[Value]) -> RtResult<Value> {
    let name = text("signal_wait", args[0])?;
    let i = by_name(&WAITABLE, name)
        .and_then(|(n, _)| WAITABLE.iter().position(|(w, _)| *w == n))
        .ok_or_else(|| {
            RtError::new(format!(
                "signal_wait: cannot wait for '{name}' (expected SIGHUP, SIGINT, SIGQUIT, \
                 SIGTERM, SIGUSR1 or SIGUSR2)"
            ))
        })?;
    let fd = install(i).map_err(|e| os_error("signal_wait", e, name))?;
    let slot = &SLOTS[i];
    let canonical = WAITABLE[i].0;
    let seen = slot.delivered.load(SeqCst);
    scheduler::io_task(
        fd,
        Interest::Read,
        Box::new(move || {
            drain(fd);
            let now = slot.arrived.load(SeqCst);
            if now == seen {
                return IoStep::Again;
            }
            slot.delivered.store(now, SeqCst);
            IoStep::Done(string::new(canonical))
        }),
    )
}
