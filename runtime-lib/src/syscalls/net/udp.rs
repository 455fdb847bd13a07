//! UDP sockets: `udp_bind`, `send_to` and `recv_from`. Each datagram is one string; like
//! stream data it is decoded as UTF-8 (invalid bytes become U+FFFD, see `text`), and since a
//! datagram is whole there is nothing to hold back between reads.

use super::sys::{self, Addr, Fd};
use super::wait;
use super::{addr_value, data_arg, inet_args, os_error, positive_arg, ready, with_scratch, Queue};
use crate::error::RtResult;
use crate::handle::{self, Resource};
use crate::object;
use crate::scheduler::Interest;
use crate::string;
use crate::value::Value;
use std::any::Any;
use std::io::ErrorKind;
use std::os::unix::io::RawFd;
use std::rc::Rc;

/// The largest datagram `recv_from` reads at once (the largest UDP payload over IPv4).
const MAX_DATAGRAM: usize = 65_507;

/// A UDP socket (`<handle N>`, kind `udp socket`).
pub(super) struct UdpSocket {
    state: Rc<Udp>,
}

struct Udp {
    fd: Fd,
    readers: Queue,
    writers: Queue,
}

impl UdpSocket {
    pub(super) fn fd(&self) -> RawFd {
        self.state.fd.0
    }
}

impl Resource for UdpSocket {
    fn kind(&self) -> &'static str {
        "udp socket"
    }
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
    fn waited_fd(&self) -> Option<RawFd> {
        Some(self.fd())
    }
}

fn udp_arg(name: &str, v: Value) -> RtResult<Rc<Udp>> {
    Ok(handle::resource::<UdpSocket>(name, "a UDP socket", v)?
        .state
        .clone())
}

/// `udp_bind(host, port)`: a UDP socket bound to `host` and `port` (port 0: any free port;
/// host `0.0.0.0` to receive on every interface).
pub(super) fn udp_bind(args: &[Value]) -> RtResult<Value> {
    let addrs = inet_args("udp_bind", args[0], args[1])?;
    let addr = &addrs[0];
    let fd = sys::socket(addr, libc::SOCK_DGRAM)
        .and_then(|fd| sys::bind(&fd, addr).map(|()| fd))
        .map_err(|e| os_error("udp_bind", e, &addr.to_text()))?;
    handle::new(Box::new(UdpSocket {
        state: Rc::new(Udp {
            fd,
            readers: Queue::default(),
            writers: Queue::default(),
        }),
    }))
}

fn send_to_step(fd: RawFd, data: &[u8], addr: &Addr) -> Option<RtResult<Value>> {
    loop {
        return match sys::send_to(fd, data, addr) {
            Ok(n) => Some(Ok(Value::int(n as i64))),
            Err(e) if e.kind() == ErrorKind::WouldBlock => None,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(e) => Some(Err(os_error("send_to", e, &addr.to_text()))),
        };
    }
}

/// `send_to(sock, data, host, port)` → task → the number of bytes sent, as one datagram.
pub(super) fn send_to(args: &[Value]) -> RtResult<Value> {
    let udp = udp_arg("send_to", args[0])?;
    let data = data_arg(args[1]);
    let addr = inet_args("send_to", args[2], args[3])?.swap_remove(0);
    if udp.writers.is_empty() {
        if let Some(outcome) = send_to_step(udp.fd.0, &data, &addr) {
            return ready(outcome);
        }
    }
    let queued = udp.writers.join();
    wait(udp.fd.0, Interest::Write, move || {
        let _in_line = &queued; // counted for as long as this operation exists
        send_to_step(udp.fd.0, &data, &addr)
    })
}

fn recv_from_step(fd: RawFd, max: usize) -> Option<RtResult<Value>> {
    with_scratch(|buf| {
        let buf = &mut buf[..max.min(MAX_DATAGRAM)];
        loop {
            return match sys::recv_from(fd, buf) {
                Ok((n, from)) => Some(datagram_value(&buf[..n], &from)),
                Err(e) if e.kind() == ErrorKind::WouldBlock => None,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => Some(Err(os_error("recv_from", e, ""))),
            };
        }
    })
}

/// `{data, host, port}` for a received datagram.
fn datagram_value(data: &[u8], from: &Addr) -> RtResult<Value> {
    let o = addr_value(from)?;
    let data = string::from_string(String::from_utf8_lossy(data).into_owned())?;
    let result = object::new_empty()?;
    object::obj(result).set("data", data);
    for key in ["host", "port"] {
        object::obj(result).set(key, object::obj(o).get(key));
    }
    Ok(result)
}

/// `recv_from(sock, max)` → task → the next datagram as `{data, host, port}` (a datagram
/// longer than `max` bytes is cut to `max`).
pub(super) fn recv_from(args: &[Value]) -> RtResult<Value> {
    let udp = udp_arg("recv_from", args[0])?;
    let max = positive_arg("recv_from", "a maximum byte count", args[1])?;
    if udp.readers.is_empty() {
        if let Some(outcome) = recv_from_step(udp.fd.0, max) {
            return ready(outcome);
        }
    }
    let queued = udp.readers.join();
    wait(udp.fd.0, Interest::Read, move || {
        let _in_line = &queued; // counted for as long as this operation exists
        recv_from_step(udp.fd.0, max)
    })
}
