//! Sockets for SolvraScript programs: the internal builtins `__net_*` behind the standard
//! module `net` (stdlib/net.svs; docs/STDLIB.md, section `net`, documents the module).
//!
//! TCP and Unix domain stream sockets (`stream`), and UDP (`udp`), all non-blocking. An
//! operation that may wait for the network — connect, accept, send, recv, recv_line, send_to,
//! recv_from — returns a task on the scheduler's event loop (LANGUAGE.md §3.15), so other
//! tasks run while it waits. Each is first tried at once; only when the system call would block
//! does it wait for readiness (`wait`). An operation that finishes at once still returns a
//! task, one that is already queued with its outcome (`ready`), so callers always `await` and
//! failures always come from the `await`; only bad arguments fail the call itself.
//!
//! Errors name the public function, the operating system's error and the address or path when
//! there is one: `connect: Connection refused (os error 111): 127.0.0.1:9` (`os_error`).
//! Socket data is text (§3.1 has no byte type): see `text` for how bytes become strings.

mod stream;
mod sys;
#[cfg(test)]
mod tests;
mod text;
mod udp;

use super::os_error;
use crate::builtins::table::{self, BuiltinId};
use crate::builtins::{self, builtin_fns, text as text_arg, type_error};
use crate::display::display;
use crate::error::{RtError, RtResult};
use crate::handle;
use crate::object;
use crate::scheduler;
use crate::string;
use crate::value::{Tag, Value};
use std::cell::{Cell, RefCell};
use std::os::unix::io::RawFd;
use std::rc::Rc;
use sys::Addr;

/// An I/O task on `fd`: `op` runs each time `fd` is ready for `interest`, and returns `None`
/// until it is done (it must not block).
fn wait(
    fd: RawFd,
    interest: scheduler::Interest,
    mut op: impl FnMut() -> Option<RtResult<Value>> + 'static,
) -> RtResult<Value> {
    scheduler::io_task(
        fd,
        interest,
        Box::new(move || match op() {
            None => scheduler::IoStep::Again,
            Some(outcome) => scheduler::IoStep::Done(outcome),
        }),
    )
}

builtin_fns! {
    pub(crate) fn implementation;
    "__net_connect" => stream::connect = solvra_builtin___net_connect,
    "__net_listen" => stream::listen = solvra_builtin___net_listen,
    "__net_accept" => stream::accept = solvra_builtin___net_accept,
    "__net_send" => stream::send = solvra_builtin___net_send,
    "__net_recv" => stream::recv = solvra_builtin___net_recv,
    "__net_recv_line" => stream::recv_line = solvra_builtin___net_recv_line,
    "__net_shutdown" => stream::shutdown = solvra_builtin___net_shutdown,
    "__net_unix_listen" => stream::unix_listen = solvra_builtin___net_unix_listen,
    "__net_unix_connect" => stream::unix_connect = solvra_builtin___net_unix_connect,
    "__net_peer" => stream::peer = solvra_builtin___net_peer,
    "__net_udp_bind" => udp::udp_bind = solvra_builtin___net_udp_bind,
    "__net_send_to" => udp::send_to = solvra_builtin___net_send_to,
    "__net_recv_from" => udp::recv_from = solvra_builtin___net_recv_from,
    "__net_close" => close = solvra_builtin___net_close,
    "__net_local_port" => local_port = solvra_builtin___net_local_port,
    "__net_done" => done = solvra_builtin___net_done,
}

thread_local! {
    static DONE: BuiltinId = table::lookup("__net_done").expect("__net_done is in the table");
}

/// A task for an operation that finished at once with `outcome`: a queued call of
/// `__net_done`, which gives back its argument or raises its message. Awaiting it lets the
/// tasks queued before it run first, so a task whose operations always finish at once (a peer
/// that keeps sending) cannot starve the others, as an already-done task would.
fn ready(outcome: RtResult<Value>) -> RtResult<Value> {
    let id = DONE.with(|id| *id);
    // Programs never name `__net_done`; it is linked in (and registered) through here.
    builtins::register(id, done);
    let f = builtins::value_of(id)?;
    match outcome {
        Ok(v) => scheduler::spawn(f, vec![v]),
        Err(e) => {
            let message = string::from_string(e.message)?;
            scheduler::spawn(f, vec![Value::NULL, message])
        }
    }
}

/// `__net_done(value)` gives `value`; `__net_done(null, message)` raises `message` (see `ready`).
fn done(args: &[Value]) -> RtResult<Value> {
    match args.get(1) {
        Some(message) => Err(RtError::new(string::as_str(*message))),
        None => Ok(args[0]),
    }
}

/// One direction of a socket (reads, writes or accepts): how many operations wait in it. A new
/// operation is tried at once only when none waits, so each direction serves its operations in
/// the order they were started (the event loop keeps that order among waiting ones).
#[derive(Clone, Default)]
struct Queue(Rc<Cell<usize>>);

impl Queue {
    fn is_empty(&self) -> bool {
        self.0.get() == 0
    }

    /// Counts an operation in, until the guard is dropped (the operation finished, or its
    /// socket was closed and the event loop dropped it).
    fn join(&self) -> Queued {
        self.0.set(self.0.get() + 1);
        Queued(self.0.clone())
    }
}

struct Queued(Rc<Cell<usize>>);

impl Drop for Queued {
    fn drop(&mut self) {
        self.0.set(self.0.get() - 1);
    }
}

/// Bytes asked of the system per read.
const READ_CHUNK: usize = 64 << 10;

thread_local! {
    static SCRATCH: RefCell<Vec<u8>> = RefCell::new(vec![0; READ_CHUNK]);
}

/// Runs `f` with this thread's read buffer (`READ_CHUNK` bytes), so reads allocate nothing
/// but what they keep.
fn with_scratch<R>(f: impl FnOnce(&mut [u8]) -> R) -> R {
    SCRATCH.with(|s| f(&mut s.borrow_mut()))
}

/// A port argument: an int from 0 to 65535.
fn port_arg(name: &str, v: Value) -> RtResult<u16> {
    if v.tag == Tag::Int && (0..=65535).contains(&v.as_int()) {
        return Ok(v.as_int() as u16);
    }
    Err(RtError::new(format!(
        "{name}: expects a port (an int from 0 to 65535), got {}",
        int_or_type(v)
    )))
}

/// A positive int argument, such as a maximum number of bytes.
fn positive_arg(name: &str, what: &str, v: Value) -> RtResult<usize> {
    if v.tag == Tag::Int && v.as_int() > 0 {
        return Ok(v.as_int() as usize);
    }
    Err(RtError::new(format!(
        "{name}: expects {what} (a positive int), got {}",
        int_or_type(v)
    )))
}

/// An int argument's value, or another argument's type, for error messages.
fn int_or_type(v: Value) -> String {
    if v.tag == Tag::Int {
        v.as_int().to_string()
    } else {
        v.type_name().to_string()
    }
}

/// The bytes to send for a `data` argument: its display form as UTF-8, as `write_file` writes.
fn data_arg(v: Value) -> Vec<u8> {
    if v.tag == Tag::Str {
        return string::as_str(v).as_bytes().to_vec();
    }
    display(v).into_bytes()
}

/// The addresses of a `host` and `port` argument pair, IPv4 first (`sys::resolve`).
fn inet_args(name: &str, host: Value, port: Value) -> RtResult<Vec<Addr>> {
    let host = text_arg(name, host)?;
    let port = port_arg(name, port)?;
    let addrs =
        sys::resolve(host, port).map_err(|e| os_error(name, e, &format!("{host}:{port}")))?;
    Ok(addrs.into_iter().map(Addr::Inet).collect())
}

/// An address as a value: `{host, port}` for internet addresses, `{path}` for Unix ones.
fn addr_value(addr: &Addr) -> RtResult<Value> {
    let o = object::new_empty()?;
    match addr {
        Addr::Inet(a) => {
            let host = string::from_string(a.ip().to_string())?;
            object::obj(o).set("host", host);
            object::obj(o).set("port", Value::int(a.port() as i64));
        }
        Addr::Unix(path) => {
            let path = string::from_string(path.display().to_string())?;
            object::obj(o).set("path", path);
        }
    }
    Ok(o)
}

/// The descriptor of any open `net` handle (socket, listener or UDP socket).
fn net_fd(name: &str, v: Value) -> RtResult<RawFd> {
    const WHAT: &str = "a socket, listener or UDP socket";
    if v.tag != Tag::Handle {
        return Err(type_error(name, WHAT, v));
    }
    if let Ok(s) = handle::resource::<stream::Socket>(name, WHAT, v) {
        return Ok(s.fd());
    }
    if let Ok(l) = handle::resource::<stream::Listener>(name, WHAT, v) {
        return Ok(l.fd());
    }
    handle::resource::<udp::UdpSocket>(name, WHAT, v).map(|u| u.fd())
}

/// `close(h)`: closes a socket, listener or UDP socket; the tasks waiting on it fail.
fn close(args: &[Value]) -> RtResult<Value> {
    let h = args[0];
    if h.tag == Tag::Handle && handle::obj(h).resource.is_none() {
        return Err(RtError::new(format!(
            "close: <handle {}> is already closed",
            handle::id(h)
        )));
    }
    net_fd("close", h)?;
    handle::close(h);
    Ok(Value::NULL)
}

/// `local_port(h)`: the local port of a TCP socket or listener or a UDP socket (how a program
/// learns the port the system chose for port 0).
fn local_port(args: &[Value]) -> RtResult<Value> {
    let fd = net_fd("local_port", args[0])?;
    match sys::local_addr(fd).map_err(|e| os_error("local_port", e, ""))? {
        Addr::Inet(a) => Ok(Value::int(a.port() as i64)),
        Addr::Unix(_) => Err(RtError::new(format!(
            "local_port: <handle {}> is a Unix domain socket, which has no port",
            handle::id(args[0])
        ))),
    }
}
