//! Stream sockets, TCP and Unix domain: listeners (`listen`, `unix_listen`, `accept`) and
//! connections (`connect`, `unix_connect`, `send`, `recv`, `recv_line`, `shutdown`, `peer`).
//!
//! A connection's state lives in an `Rc<Conn>` shared by its handle and by the operations
//! waiting on it, so the descriptor stays open while any operation may still use it, even if
//! the collector frees the handle. Received bytes go through a per-connection buffer: `recv_line`
//! reads ahead past the end of a line, and `recv` returns what is buffered before reading
//! again. Operations of one direction are served in the order they were started: an operation
//! is tried at once only when no other of its direction is waiting.

use super::sys::{self, Addr, Fd};
use super::text::{take_line, take_text};
use super::wait;
use super::{
    addr_value, data_arg, inet_args, os_error, positive_arg, ready, text_arg, with_scratch, Queue,
    READ_CHUNK,
};
use crate::error::{RtError, RtResult};
use crate::handle::{self, Resource};
use crate::scheduler::Interest;
use crate::string;
use crate::value::Value;
use std::any::Any;
use std::cell::{Cell, RefCell};
use std::io::{self, ErrorKind};
use std::os::unix::io::RawFd;
use std::path::PathBuf;
use std::rc::Rc;

/// The longest line `recv_line` buffers while looking for its end.
const MAX_LINE: usize = 1 << 20;

/// A listening socket (`<handle N>`, kind `listener`).
pub(super) struct Listener {
    fd: Rc<Fd>,
    /// `accept`s waiting, so that a new one does not take a connection before them.
    accepts: Queue,
    /// A Unix listener's socket file, removed when the listener closes.
    path: Option<PathBuf>,
}

impl Listener {
    pub(super) fn fd(&self) -> RawFd {
        self.fd.0
    }
}

impl Resource for Listener {
    fn kind(&self) -> &'static str {
        "listener"
    }
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
    fn waited_fd(&self) -> Option<RawFd> {
        Some(self.fd())
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Some(path) = &self.path {
            sys::unlink(path);
        }
    }
}

/// A connection (`<handle N>`, kind `socket`).
pub(super) struct Socket {
    conn: Rc<Conn>,
}

impl Socket {
    pub(super) fn fd(&self) -> RawFd {
        self.conn.fd.0
    }
}

impl Resource for Socket {
    fn kind(&self) -> &'static str {
        "socket"
    }
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
    fn waited_fd(&self) -> Option<RawFd> {
        Some(self.fd())
    }
}

struct Conn {
    fd: Fd,
    /// Received bytes not yet returned.
    input: RefCell<Vec<u8>>,
    /// The peer ended its direction: reads return what is buffered, then end of stream.
    eof: Cell<bool>,
    readers: Queue,
    writers: Queue,
}

fn new_socket(fd: Fd) -> RtResult<Value> {
    handle::new(Box::new(Socket {
        conn: Rc::new(Conn {
            fd,
            input: RefCell::new(Vec::new()),
            eof: Cell::new(false),
            readers: Queue::default(),
            writers: Queue::default(),
        }),
    }))
}

fn socket_arg(name: &str, v: Value) -> RtResult<Rc<Conn>> {
    Ok(handle::resource::<Socket>(name, "a socket", v)?
        .conn
        .clone())
}

fn would_block(e: &io::Error) -> bool {
    e.kind() == ErrorKind::WouldBlock
}

// --- listening and accepting ----------------------------------------------------------------

fn listen_on(addr: &Addr, backlog: i32) -> io::Result<Fd> {
    let fd = sys::socket(addr, libc::SOCK_STREAM)?;
    if let Addr::Inet(_) = addr {
        sys::reuse_address(&fd)?;
    }
    sys::bind(&fd, addr)?;
    sys::listen(&fd, backlog)?;
    Ok(fd)
}

fn backlog_arg(name: &str, v: Value) -> RtResult<i32> {
    positive_arg(name, "a backlog", v).map(|n| n.min(i32::MAX as usize) as i32)
}

/// `listen(host, port, backlog)`: a TCP listener (port 0: the system picks a free port).
pub(super) fn listen(args: &[Value]) -> RtResult<Value> {
    let addrs = inet_args("listen", args[0], args[1])?;
    let backlog = backlog_arg("listen", args[2])?;
    let addr = &addrs[0];
    let fd = listen_on(addr, backlog).map_err(|e| os_error("listen", e, &addr.to_text()))?;
    handle::new(Box::new(Listener {
        fd: Rc::new(fd),
        accepts: Queue::default(),
        path: None,
    }))
}

/// `unix_listen(path, backlog)`: a Unix domain listener whose socket file is `path` (which
/// must not exist; it is removed when the listener closes).
pub(super) fn unix_listen(args: &[Value]) -> RtResult<Value> {
    let path = PathBuf::from(text_arg("unix_listen", args[0])?);
    let backlog = backlog_arg("unix_listen", args[1])?;
    let addr = Addr::Unix(path.clone());
    let fd = listen_on(&addr, backlog).map_err(|e| os_error("unix_listen", e, &addr.to_text()))?;
    handle::new(Box::new(Listener {
        fd: Rc::new(fd),
        accepts: Queue::default(),
        path: Some(path),
    }))
}

/// One accept attempt: `None` while no connection is waiting.
fn accept_step(fd: RawFd) -> Option<RtResult<Value>> {
    loop {
        return match sys::accept(fd) {
            Ok((conn, addr)) => {
                if let Addr::Inet(_) = addr {
                    if let Err(e) = sys::no_delay(&conn) {
                        return Some(Err(os_error("accept", e, "")));
                    }
                }
                Some(new_socket(conn))
            }
            Err(e) if would_block(&e) => None,
            // The connection was reset before we took it, or a signal came: try the next.
            Err(e)
                if e.kind() == ErrorKind::Interrupted
                    || e.raw_os_error() == Some(libc::ECONNABORTED) =>
            {
                continue
            }
            Err(e) => Some(Err(os_error("accept", e, ""))),
        };
    }
}

/// `accept(listener)` → task → the next connection's socket.
pub(super) fn accept(args: &[Value]) -> RtResult<Value> {
    let listener = handle::resource::<Listener>("accept", "a listener", args[0])?;
    let fd = listener.fd.clone();
    if listener.accepts.is_empty() {
        if let Some(outcome) = accept_step(fd.0) {
            return ready(outcome);
        }
    }
    let queued = listener.accepts.join();
    wait(fd.0, Interest::Read, move || {
        let _in_line = &queued; // counted for as long as this operation exists
        accept_step(fd.0)
    })
}

// --- connecting -----------------------------------------------------------------------------

/// Starts connecting to `addr`: a task that gives the socket once connected.
fn connect_to(name: &'static str, addr: Addr) -> RtResult<Value> {
    let subject = addr.to_text();
    let fd = match sys::socket(&addr, libc::SOCK_STREAM).and_then(|fd| {
        if let Addr::Inet(_) = addr {
            sys::no_delay(&fd)?;
        }
        sys::connect(&fd, &addr).map(|connected| (fd, connected))
    }) {
        Ok((fd, true)) => return ready(new_socket(fd)),
        Ok((fd, false)) => fd,
        Err(e) => return ready(Err(os_error(name, e, &subject))),
    };
    let raw = fd.0;
    let mut fd = Some(fd);
    // Writable means the connection attempt is over; SO_ERROR tells how it ended.
    wait(raw, Interest::Write, move || {
        let outcome = match sys::take_error(raw) {
            Ok(()) => new_socket(fd.take().expect("connected once")),
            Err(e) => Err(os_error(name, e, &subject)),
        };
        Some(outcome)
    })
}

/// `connect(host, port)` → task → a TCP socket connected to the first address of `host`.
pub(super) fn connect(args: &[Value]) -> RtResult<Value> {
    let addrs = inet_args("connect", args[0], args[1])?;
    connect_to("connect", addrs[0].clone())
}

/// `unix_connect(path)` → task → a socket connected to the Unix listener at `path`.
pub(super) fn unix_connect(args: &[Value]) -> RtResult<Value> {
    let path = text_arg("unix_connect", args[0])?;
    connect_to("unix_connect", Addr::Unix(PathBuf::from(path)))
}

// --- sending --------------------------------------------------------------------------------

/// Sends `data[*sent..]` until done (`Some(total)`) or the socket is full (`None`).
fn send_step(fd: RawFd, data: &[u8], sent: &mut usize) -> Option<RtResult<Value>> {
    while *sent < data.len() {
        match sys::send(fd, &data[*sent..]) {
            Ok(n) => *sent += n,
            Err(e) if would_block(&e) => return None,
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => return Some(Err(os_error("send", e, ""))),
        }
    }
    Some(Ok(Value::int(data.len() as i64)))
}

/// `send(sock, data)` → task → the number of bytes sent, once all of `data` (its display form
/// as UTF-8) is handed to the system.
pub(super) fn send(args: &[Value]) -> RtResult<Value> {
    let conn = socket_arg("send", args[0])?;
    let data = data_arg(args[1]);
    let mut sent = 0;
    if conn.writers.is_empty() {
        if let Some(outcome) = send_step(conn.fd.0, &data, &mut sent) {
            return ready(outcome);
        }
    }
    let queued = conn.writers.join();
    wait(conn.fd.0, Interest::Write, move || {
        let _in_line = &queued; // counted for as long as this operation exists
        send_step(conn.fd.0, &data, &mut sent)
    })
}

/// `shutdown(sock)`: ends the sending direction; the peer reads end of stream and may still
/// send to us.
pub(super) fn shutdown(args: &[Value]) -> RtResult<Value> {
    let conn = socket_arg("shutdown", args[0])?;
    sys::shutdown_write(conn.fd.0).map_err(|e| os_error("shutdown", e, ""))?;
    Ok(Value::NULL)
}

// --- receiving ------------------------------------------------------------------------------

/// Reads up to `max` more bytes into the connection's buffer. `Ok(false)` if nothing is there
/// yet; `Ok(true)` if bytes came or the stream ended (`conn.eof`).
fn fill(conn: &Conn, max: usize) -> io::Result<bool> {
    with_scratch(|scratch| {
        let want = max.min(scratch.len());
        loop {
            return match sys::recv(conn.fd.0, &mut scratch[..want]) {
                Ok(0) => {
                    conn.eof.set(true);
                    Ok(true)
                }
                Ok(n) => {
                    conn.input.borrow_mut().extend_from_slice(&scratch[..n]);
                    Ok(true)
                }
                Err(e) if would_block(&e) => Ok(false),
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => Err(e),
            };
        }
    })
}

/// One attempt of `recv`: text when some is buffered or arrives, `""` at end of stream.
fn recv_step(conn: &Conn, max: usize) -> Option<RtResult<Value>> {
    loop {
        {
            let mut input = conn.input.borrow_mut();
            if !input.is_empty() || conn.eof.get() {
                let text = take_text(&mut input, max, conn.eof.get());
                if !text.is_empty() || conn.eof.get() {
                    return Some(string::from_string(text));
                }
                // Only the first bytes of a character are buffered: read on.
            }
        }
        match fill(conn, max) {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => return Some(Err(os_error("recv", e, ""))),
        }
    }
}

/// `recv(sock, max)` → task → what has arrived, at most `max` bytes of whole characters (see
/// `take_text`); `""` at end of stream.
pub(super) fn recv(args: &[Value]) -> RtResult<Value> {
    let conn = socket_arg("recv", args[0])?;
    let max = positive_arg("recv", "a maximum byte count", args[1])?;
    read_op(conn, move |conn| recv_step(conn, max))
}

/// One attempt of `recv_line`: the next line, or null at end of stream.
fn recv_line_step(conn: &Conn) -> Option<RtResult<Value>> {
    loop {
        {
            let mut input = conn.input.borrow_mut();
            if let Some(line) = take_line(&mut input, conn.eof.get()) {
                return Some(string::from_string(line));
            }
            if conn.eof.get() {
                return Some(Ok(Value::NULL));
            }
            if input.len() > MAX_LINE {
                return Some(Err(RtError::new(format!(
                    "recv_line: no end of line in the first {MAX_LINE} bytes"
                ))));
            }
        }
        match fill(conn, READ_CHUNK) {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => return Some(Err(os_error("recv_line", e, ""))),
        }
    }
}

/// `recv_line(sock)` → task → the next line without its `\n` (or `\r\n`); at end of stream
/// the unterminated rest, if any, then null.
pub(super) fn recv_line(args: &[Value]) -> RtResult<Value> {
    let conn = socket_arg("recv_line", args[0])?;
    read_op(conn, recv_line_step)
}

/// A read operation: tried at once unless other reads are waiting, else waits its turn.
fn read_op(
    conn: Rc<Conn>,
    mut step: impl FnMut(&Conn) -> Option<RtResult<Value>> + 'static,
) -> RtResult<Value> {
    if conn.readers.is_empty() {
        if let Some(outcome) = step(&conn) {
            return ready(outcome);
        }
    }
    let queued = conn.readers.join();
    wait(conn.fd.0, Interest::Read, move || {
        let _in_line = &queued; // counted for as long as this operation exists
        step(&conn)
    })
}

/// `peer(sock)`: the address at the other end, `{host, port}` or `{path}` (Unix; the path is
/// `""` for a client that did not bind one).
pub(super) fn peer(args: &[Value]) -> RtResult<Value> {
    let conn = socket_arg("peer", args[0])?;
    let addr = sys::peer_addr(conn.fd.0).map_err(|e| os_error("peer", e, ""))?;
    addr_value(&addr)
}
