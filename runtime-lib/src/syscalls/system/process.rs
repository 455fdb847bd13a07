//! Child processes: `process.spawn`, `wait`, `pid` and `kill`.
//!
//! `spawn` starts the child with `std::process::Command` (which reports a failed exec as the
//! spawn's error) and returns a process object `{pid, handle, stdin, stdout, stderr}`: `handle`
//! is the process (a handle of kind `process`), the other three are pipe handles (pipe.rs),
//! present for the streams spawned as `"pipe"`.
//!
//! `wait` is an I/O task on a *pidfd* (pidfd_open, Linux 5.3), which becomes readable when the
//! child exits; the task then reaps it with a non-blocking `waitpid`. Where pidfds are missing
//! (older kernels, some emulators and sandboxes) a small thread blocks in `waitpid` instead and
//! reports the status through a pipe, which the task reads. Either way the status is kept, so
//! every later wait gives it at once and `kill` of a reaped child does nothing. With a pidfd,
//! `kill` signals through it and so can never reach another process that reused the pid (the
//! fallback has a short window between the thread's reap and the task's read). Exit status: the
//! child's exit code, or 128 + the signal number when a signal ended it (as shells report it).

use super::pipe::{self, Pipe};
use super::signal;
use super::{handle_in, last_error};
use crate::builtins::{optional, text, type_error, valid_env_name};
use crate::display::display;
use crate::error::{RtError, RtResult};
use crate::handle::{self, Resource};
use crate::scheduler::{self, Interest, IoStep};
use crate::syscalls::os_error;
use crate::value::{Tag, Value};
use crate::{array, object, stdout};
use std::any::Any;
use std::cell::Cell;
use std::io;
use std::os::unix::io::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::rc::Rc;

/// How `wait` learns that the child exited.
enum ExitWatch {
    /// A pidfd: readable once the child has exited.
    Pidfd(OwnedFd),
    /// The read end of a pipe a waiting thread writes `(waitpid result, status or errno)` to.
    Thread(OwnedFd),
}

impl ExitWatch {
    /// The descriptor wait tasks wait on.
    fn fd(&self) -> RawFd {
        match self {
            ExitWatch::Pidfd(fd) | ExitWatch::Thread(fd) => fd.as_raw_fd(),
        }
    }
}

struct ProcState {
    pid: libc::pid_t,
    watch: ExitWatch,
    /// The exit status, once reaped.
    status: Cell<Option<i64>>,
}

/// A child process: a handle resource of kind `process`. Wait tasks share its state.
pub(crate) struct Process {
    state: Rc<ProcState>,
}

impl Resource for Process {
    fn kind(&self) -> &'static str {
        "process"
    }
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
    fn waited_fd(&self) -> Option<RawFd> {
        Some(self.watch_fd())
    }
    fn closed_while_waiting(&self, id: u64) -> String {
        format!("wait: <handle {id}> is closed")
    }
}

impl Process {
    /// The descriptor wait tasks wait on.
    pub(super) fn watch_fd(&self) -> RawFd {
        self.state.watch.fd()
    }
}

/// The shell convention for a `waitpid` status: the exit code, or 128 + the signal number.
fn exit_code(status: i32) -> i64 {
    if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status) as i64
    } else {
        libc::WEXITSTATUS(status) as i64
    }
}

/// Watches `pid` with a pidfd, or else with a waiting thread.
fn watch(pid: libc::pid_t) -> io::Result<ExitWatch> {
    // SAFETY: plain system call; a non-negative result is a new descriptor we own.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, 0) };
    if fd >= 0 {
        // SAFETY: as above.
        return Ok(ExitWatch::Pidfd(unsafe {
            OwnedFd::from_raw_fd(fd as RawFd)
        }));
    }
    watch_with_thread(pid)
}

/// The fallback of `watch`: a thread that blocks in `waitpid` and writes the outcome, eight
/// bytes (one atomic pipe write), to a pipe.
fn watch_with_thread(pid: libc::pid_t) -> io::Result<ExitWatch> {
    let mut fds = [0; 2];
    // SAFETY: plain system call into a two-element array.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(last_error());
    }
    // SAFETY: both descriptors are new and ours.
    let (read_end, write_end) =
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    super::set_nonblocking(read_end.as_raw_fd())?;
    std::thread::Builder::new()
        .name("solvra-wait".into())
        .stack_size(64 << 10)
        .spawn(move || {
            let mut status = 0;
            let report = loop {
                // SAFETY: blocking wait for our own child.
                let r = unsafe { libc::waitpid(pid, &mut status, 0) };
                if r >= 0 {
                    break [r, status];
                }
                let e = io::Error::last_os_error();
                if e.kind() != io::ErrorKind::Interrupted {
                    break [r, e.raw_os_error().unwrap_or(0)];
                }
            };
            let bytes: Vec<u8> = report.iter().flat_map(|x| x.to_ne_bytes()).collect();
            // SAFETY: writing eight bytes we own; the pipe has room for them.
            unsafe { libc::write(write_end.as_raw_fd(), bytes.as_ptr().cast(), bytes.len()) };
        })?;
    Ok(ExitWatch::Thread(read_end))
}

/// The process state behind a process object or handle argument.
fn process_arg(call: &str, v: Value) -> RtResult<Rc<ProcState>> {
    let h = handle_in(v, "handle").ok_or_else(|| type_error(call, "a process", v))?;
    Ok(handle::resource::<Process>(call, "a process", h)?
        .state
        .clone())
}

/// What a child's stdin, stdout or stderr is connected to.
fn stdio(value: Option<Value>, stream: &str) -> RtResult<(Stdio, bool)> {
    let mode = match value {
        None => "inherit",
        Some(v) => text("spawn", v)?,
    };
    Ok(match mode {
        "pipe" => (Stdio::piped(), true),
        "inherit" => (Stdio::inherit(), false),
        "null" => (Stdio::null(), false),
        _ => {
            return Err(RtError::new(format!(
                "spawn: invalid {stream} '{mode}' (expected \"pipe\", \"inherit\" or \"null\")"
            )))
        }
    })
}

/// Applies `spawn`'s options object to `command`; whether the child's stdin is a pipe.
fn apply_options(command: &mut Command, options: Value) -> RtResult<bool> {
    if options.tag != Tag::Object {
        return Err(type_error("spawn", "an options object", options));
    }
    let o = object::obj(options);
    for key in o.keys() {
        if !["env", "clear_env", "cwd", "stdin", "stdout", "stderr"].contains(&&**key) {
            return Err(RtError::new(format!("spawn: unknown option '{key}'")));
        }
    }
    let clear = o.get("clear_env");
    if !clear.is_null() {
        if clear.tag != Tag::Bool {
            return Err(type_error("spawn", "a bool for clear_env", clear));
        }
        if clear.as_bool() {
            command.env_clear();
        }
    }
    let env = o.get("env");
    if !env.is_null() {
        if env.tag != Tag::Object {
            return Err(type_error("spawn", "an object for env", env));
        }
        let vars = object::obj(env);
        for key in vars.keys() {
            let value = display(vars.get(key));
            if !valid_env_name(key) || value.contains('\0') {
                return Err(RtError::new(format!(
                    "spawn: invalid environment variable '{key}'"
                )));
            }
            command.env(&**key, value);
        }
    }
    let cwd = o.get("cwd");
    if !cwd.is_null() {
        command.current_dir(text("spawn", cwd)?);
    }
    let get = |k: &str| Some(o.get(k)).filter(|v| !v.is_null());
    let (stdin, piped_stdin) = stdio(get("stdin"), "stdin")?;
    command.stdin(stdin);
    command.stdout(stdio(get("stdout"), "stdout")?.0);
    command.stderr(stdio(get("stderr"), "stderr")?.0);
    Ok(piped_stdin)
}

/// `spawn(cmd, args, options)`: starts a child process; the process object.
pub(super) fn spawn(args: &[Value]) -> RtResult<Value> {
    let cmd = text("spawn", args[0])?;
    let mut command = Command::new(cmd);
    if let Some(list) = optional(args, 1) {
        if list.tag != Tag::Array {
            return Err(type_error("spawn", "an array of arguments", list));
        }
        command.args(array::obj(list).to_vec().into_iter().map(display));
    }
    let mut piped_stdin = false;
    if let Some(options) = optional(args, 2) {
        piped_stdin = apply_options(&mut command, options)?;
    }
    if piped_stdin {
        pipe::ignore_sigpipe();
    }
    // fork + exec rather than posix_spawn: std's fork path reports a failed exec through a
    // pipe, which works everywhere; glibc's posix_spawn reports it through memory shared with
    // a vfork child, which qemu-user (running ARM builds on the test machines) turns into a
    // fork, so a missing program seemed to start and exit 127 there.
    // SAFETY: the closure does nothing, so it is safe to run between fork and exec.
    unsafe { command.pre_exec(|| Ok(())) };
    // Output the program printed before must come before the child's, on a shared stdout.
    stdout::flush();
    let subject = match command.get_current_dir() {
        Some(dir) => format!("{cmd} (in {})", dir.display()),
        None => cmd.to_string(),
    };
    let mut child = command
        .spawn()
        .map_err(|e| os_error("spawn", e, &subject))?;
    let pid = child.id() as libc::pid_t;
    let watch = match watch(pid) {
        Ok(w) => w,
        Err(e) => {
            let _ = child.kill();
            let _ = child.wait();
            return Err(os_error("spawn", e, &subject));
        }
    };
    // From here on the runtime reaps the child; `Child` is dropped without waiting.
    let pipes = [
        child.stdin.take().map(|p| (OwnedFd::from(p), true)),
        child.stdout.take().map(|p| (OwnedFd::from(p), false)),
        child.stderr.take().map(|p| (OwnedFd::from(p), false)),
    ];
    let o = object::new_empty()?;
    object::obj(o).set("pid", Value::int(pid as i64));
    let h = process_handle(pid, watch)?;
    object::obj(o).set("handle", h);
    for (field, end) in ["stdin", "stdout", "stderr"].iter().zip(pipes) {
        if let Some((fd, writer)) = end {
            let pipe = Pipe::new(fd, writer).map_err(|e| os_error("spawn", e, &subject))?;
            let ph = handle::new(Box::new(pipe))?;
            object::obj(o).set(field, ph);
        }
    }
    Ok(o)
}

/// `wait(p)`: a task whose result is the child's exit status.
pub(super) fn wait(args: &[Value]) -> RtResult<Value> {
    let state = process_arg("wait", args[0])?;
    let fd = state.watch.fd();
    scheduler::io_task(fd, Interest::Read, Box::new(move || wait_step(&state)))
}

/// One run of a wait task's operation, when the watch descriptor is readable.
fn wait_step(state: &ProcState) -> IoStep {
    if let Some(code) = state.status.get() {
        return IoStep::Done(Ok(Value::int(code)));
    }
    let (r, detail) = match &state.watch {
        ExitWatch::Pidfd(_) => {
            let mut status = 0;
            // SAFETY: non-blocking reap of our own child.
            let r = unsafe { libc::waitpid(state.pid, &mut status, libc::WNOHANG) };
            if r == 0 {
                return IoStep::Again;
            }
            let e = last_error();
            (
                r,
                if r < 0 {
                    e.raw_os_error().unwrap_or(0)
                } else {
                    status
                },
            )
        }
        ExitWatch::Thread(fd) => {
            let mut report = [0u8; 8];
            // SAFETY: reading into a local buffer.
            let n = unsafe { libc::read(fd.as_raw_fd(), report.as_mut_ptr().cast(), 8) };
            if n < 0 {
                return IoStep::Again;
            }
            if n != 8 {
                return IoStep::Done(Err(RtError::new("wait: the waiting thread failed")));
            }
            let word = |i: usize| {
                let mut b = [0u8; 4];
                b.copy_from_slice(&report[i..i + 4]);
                i32::from_ne_bytes(b)
            };
            (word(0), word(4))
        }
    };
    if r < 0 {
        let e = io::Error::from_raw_os_error(detail);
        return IoStep::Done(Err(os_error("wait", e, &state.pid.to_string())));
    }
    let code = exit_code(detail);
    state.status.set(Some(code));
    IoStep::Done(Ok(Value::int(code)))
}

/// `pid(p)`: the child's process id.
pub(super) fn pid(args: &[Value]) -> RtResult<Value> {
    Ok(Value::int(process_arg("pid", args[0])?.pid as i64))
}

/// `kill(p, signal)`: sends a signal to a child (or to any process, given its pid as an int);
/// `true` if it was sent, `false` if the process had already ended.
pub(super) fn kill(args: &[Value]) -> RtResult<Value> {
    let signo = match optional(args, 1) {
        None => libc::SIGTERM,
        Some(s) => signal::number("kill", s)?,
    };
    let target = args[0];
    let (pid, r) = if target.tag == Tag::Int {
        let pid = libc::pid_t::try_from(target.as_int())
            .ok()
            .filter(|p| *p > 0)
            .ok_or_else(|| RtError::new(format!("kill: invalid pid {}", target.as_int())))?;
        // SAFETY: plain system call.
        (pid, unsafe { libc::kill(pid, signo) })
    } else {
        let state = process_arg("kill", target)?;
        if state.status.get().is_some() {
            return Ok(Value::FALSE);
        }
        let r = match &state.watch {
            // SAFETY: plain system call on our pidfd (which cannot name a reused pid).
            ExitWatch::Pidfd(fd) => unsafe {
                libc::syscall(
                    libc::SYS_pidfd_send_signal,
                    fd.as_raw_fd(),
                    signo,
                    std::ptr::null::<libc::siginfo_t>(),
                    0,
                ) as i32
            },
            // SAFETY: plain system call; the child is not reaped yet (no status).
            ExitWatch::Thread(_) => unsafe { libc::kill(state.pid, signo) },
        };
        (state.pid, r)
    };
    if r == 0 {
        return Ok(Value::TRUE);
    }
    let e = last_error();
    if e.raw_os_error() == Some(libc::ESRCH) {
        return Ok(Value::FALSE);
    }
    Err(os_error("kill", e, &pid.to_string()))
}

/// A process handle for child `pid`.
fn process_handle(pid: libc::pid_t, watch: ExitWatch) -> RtResult<Value> {
    let state = Rc::new(ProcState {
        pid,
        watch,
        status: Cell::new(None),
    });
    handle::new(Box::new(Process { state }))
}

/// A process handle for child `pid` watched by a waiting thread, as where pidfds are missing.
#[cfg(test)]
pub(super) fn handle_watched_by_thread(pid: libc::pid_t) -> Value {
    process_handle(pid, watch_with_thread(pid).expect("waiting thread")).expect("handle")
}
