//! The socket system calls behind the `net` module, over `libc`: owned descriptors, socket
//! addresses in and out of their C form, and one function per call returning `io::Result`.
//!
//! Everything here is non-blocking (sockets are created with `SOCK_NONBLOCK`, accepted ones
//! with `accept4(SOCK_NONBLOCK)`): a call that would block fails with `WouldBlock`, and the
//! callers wait for readiness on the scheduler's event loop. `std::net` is not used for the
//! sockets themselves because its `connect` blocks and its `listen` has a fixed backlog.

use std::io;
use std::mem::{size_of, zeroed};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, SocketAddrV4, SocketAddrV6};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::io::RawFd;
use std::path::{Path, PathBuf};

/// An open descriptor, closed on drop.
pub(super) struct Fd(pub(super) RawFd);

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: the descriptor is owned by this value and closed once.
        unsafe { libc::close(self.0) };
    }
}

/// A socket address: internet (IPv4 or IPv6) or Unix domain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Addr {
    Inet(SocketAddr),
    /// A filesystem path; empty for an unnamed socket (the client end of a connection).
    Unix(PathBuf),
}

impl Addr {
    fn family(&self) -> i32 {
        match self {
            Addr::Inet(SocketAddr::V4(_)) => libc::AF_INET,
            Addr::Inet(SocketAddr::V6(_)) => libc::AF_INET6,
            Addr::Unix(_) => libc::AF_UNIX,
        }
    }

    /// How the address appears in error messages: `127.0.0.1:80`, `[::1]:80`, `/tmp/s.sock`.
    pub(super) fn to_text(&self) -> String {
        match self {
            Addr::Inet(a) => a.to_string(),
            Addr::Unix(p) => p.display().to_string(),
        }
    }
}

/// An address in its C form.
struct RawAddr {
    storage: libc::sockaddr_storage,
    len: libc::socklen_t,
}

impl RawAddr {
    fn empty() -> RawAddr {
        RawAddr {
            // SAFETY: all-zero bytes are a valid (unspecified) socket address.
            storage: unsafe { zeroed() },
            len: size_of::<libc::sockaddr_storage>() as libc::socklen_t,
        }
    }

    fn ptr(&self) -> *const libc::sockaddr {
        &self.storage as *const _ as *const libc::sockaddr
    }

    fn mut_ptr(&mut self) -> *mut libc::sockaddr {
        &mut self.storage as *mut _ as *mut libc::sockaddr
    }

    fn from_addr(addr: &Addr) -> io::Result<RawAddr> {
        let mut raw = RawAddr::empty();
        match addr {
            Addr::Inet(SocketAddr::V4(a)) => {
                // SAFETY: sockaddr_storage is large enough and aligned for every address type.
                let sin = unsafe { &mut *(raw.mut_ptr() as *mut libc::sockaddr_in) };
                sin.sin_family = libc::AF_INET as libc::sa_family_t;
                sin.sin_port = a.port().to_be();
                sin.sin_addr = libc::in_addr {
                    s_addr: u32::from_ne_bytes(a.ip().octets()),
                };
                raw.len = size_of::<libc::sockaddr_in>() as libc::socklen_t;
            }
            Addr::Inet(SocketAddr::V6(a)) => {
                // SAFETY: as above.
                let sin6 = unsafe { &mut *(raw.mut_ptr() as *mut libc::sockaddr_in6) };
                sin6.sin6_family = libc::AF_INET6 as libc::sa_family_t;
                sin6.sin6_port = a.port().to_be();
                sin6.sin6_flowinfo = a.flowinfo();
                sin6.sin6_addr = libc::in6_addr {
                    s6_addr: a.ip().octets(),
                };
                sin6.sin6_scope_id = a.scope_id();
                raw.len = size_of::<libc::sockaddr_in6>() as libc::socklen_t;
            }
            Addr::Unix(path) => {
                // SAFETY: as above.
                let sun = unsafe { &mut *(raw.mut_ptr() as *mut libc::sockaddr_un) };
                sun.sun_family = libc::AF_UNIX as libc::sa_family_t;
                let bytes = path.as_os_str().as_bytes();
                // The path and its terminating NUL must fit (108 bytes on Linux).
                if bytes.is_empty() || bytes.len() >= sun.sun_path.len() || bytes.contains(&0) {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        format!(
                            "a Unix socket path must have 1 to {} bytes and no NUL",
                            sun.sun_path.len() - 1
                        ),
                    ));
                }
                for (dst, src) in sun.sun_path.iter_mut().zip(bytes) {
                    *dst = *src as _; // c_char: i8 or u8 depending on the target
                }
                let path_offset = size_of::<libc::sa_family_t>();
                raw.len = (path_offset + bytes.len() + 1) as libc::socklen_t;
            }
        }
        Ok(raw)
    }

    fn to_addr(&self) -> Addr {
        match self.storage.ss_family as i32 {
            libc::AF_INET => {
                // SAFETY: the kernel wrote an IPv4 address.
                let sin = unsafe { &*(self.ptr() as *const libc::sockaddr_in) };
                let ip = Ipv4Addr::from(sin.sin_addr.s_addr.to_ne_bytes());
                Addr::Inet(SocketAddr::V4(SocketAddrV4::new(
                    ip,
                    u16::from_be(sin.sin_port),
                )))
            }
            libc::AF_INET6 => {
                // SAFETY: the kernel wrote an IPv6 address.
                let sin6 = unsafe { &*(self.ptr() as *const libc::sockaddr_in6) };
                Addr::Inet(SocketAddr::V6(SocketAddrV6::new(
                    Ipv6Addr::from(sin6.sin6_addr.s6_addr),
                    u16::from_be(sin6.sin6_port),
                    sin6.sin6_flowinfo,
                    sin6.sin6_scope_id,
                )))
            }
            libc::AF_UNIX => {
                // SAFETY: the kernel wrote a Unix address of `len` bytes.
                let sun = unsafe { &*(self.ptr() as *const libc::sockaddr_un) };
                let path_offset = size_of::<libc::sa_family_t>();
                let n = (self.len as usize).saturating_sub(path_offset);
                let bytes: Vec<u8> = sun.sun_path[..n.min(sun.sun_path.len())]
                    .iter()
                    .map(|c| *c as u8)
                    .take_while(|b| *b != 0)
                    .collect();
                Addr::Unix(PathBuf::from(std::ffi::OsStr::from_bytes(&bytes)))
            }
            _ => Addr::Unix(PathBuf::new()),
        }
    }
}

/// `-1` from a system call as the thread's OS error.
fn check(ret: i32) -> io::Result<i32> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

fn check_len(ret: libc::ssize_t) -> io::Result<usize> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret as usize)
    }
}

/// A new non-blocking, close-on-exec socket for `addr`'s family.
pub(super) fn socket(addr: &Addr, kind: i32) -> io::Result<Fd> {
    let flags = kind | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: plain system call.
    check(unsafe { libc::socket(addr.family(), flags, 0) }).map(Fd)
}

fn set_flag(fd: &Fd, level: i32, name: i32) -> io::Result<()> {
    let one: i32 = 1;
    // SAFETY: passes a pointer to a live int and its size.
    check(unsafe {
        libc::setsockopt(
            fd.0,
            level,
            name,
            &one as *const i32 as *const libc::c_void,
            size_of::<i32>() as libc::socklen_t,
        )
    })
    .map(drop)
}

/// `SO_REUSEADDR`, so a server can listen again on its port while old connections linger in
/// TIME_WAIT (what std's `TcpListener::bind` does too).
pub(super) fn reuse_address(fd: &Fd) -> io::Result<()> {
    set_flag(fd, libc::SOL_SOCKET, libc::SO_REUSEADDR)
}

/// `TCP_NODELAY`: small messages go out at once rather than waiting on Nagle's algorithm, which
/// stalls request/response protocols (Go does the same for every TCP connection).
pub(super) fn no_delay(fd: &Fd) -> io::Result<()> {
    set_flag(fd, libc::IPPROTO_TCP, libc::TCP_NODELAY)
}

pub(super) fn bind(fd: &Fd, addr: &Addr) -> io::Result<()> {
    let raw = RawAddr::from_addr(addr)?;
    // SAFETY: a valid address of `len` bytes.
    check(unsafe { libc::bind(fd.0, raw.ptr(), raw.len) }).map(drop)
}

pub(super) fn listen(fd: &Fd, backlog: i32) -> io::Result<()> {
    // SAFETY: plain system call.
    check(unsafe { libc::listen(fd.0, backlog) }).map(drop)
}

/// Starts connecting; `Ok(false)` when the connection is in progress (`EINPROGRESS`): the
/// socket becomes writable when it is done and `take_error` tells how it went.
pub(super) fn connect(fd: &Fd, addr: &Addr) -> io::Result<bool> {
    let raw = RawAddr::from_addr(addr)?;
    // SAFETY: a valid address of `len` bytes.
    match check(unsafe { libc::connect(fd.0, raw.ptr(), raw.len) }) {
        Ok(_) => Ok(true),
        Err(e) if e.raw_os_error() == Some(libc::EINPROGRESS) => Ok(false),
        Err(e) => Err(e),
    }
}

/// The pending error of a socket (`SO_ERROR`), e.g. the outcome of a non-blocking connect.
pub(super) fn take_error(fd: RawFd) -> io::Result<()> {
    let mut err: i32 = 0;
    let mut len = size_of::<i32>() as libc::socklen_t;
    // SAFETY: passes a pointer to a live int and its size.
    check(unsafe {
        libc::getsockopt(
            fd,
            libc::SOL_SOCKET,
            libc::SO_ERROR,
            &mut err as *mut i32 as *mut libc::c_void,
            &mut len,
        )
    })?;
    if err == 0 {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(err))
    }
}

/// Accepts a connection: a non-blocking socket and the peer's address.
pub(super) fn accept(fd: RawFd) -> io::Result<(Fd, Addr)> {
    let mut raw = RawAddr::empty();
    let flags = libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC;
    // SAFETY: `raw` has room for any address and `len` says how much.
    let conn = check(unsafe { libc::accept4(fd, raw.mut_ptr(), &mut raw.len, flags) })?;
    Ok((Fd(conn), raw.to_addr()))
}

/// Sends what it can of `data`. `MSG_NOSIGNAL`: writing to a closed connection fails with
/// `EPIPE` instead of killing the process with SIGPIPE.
pub(super) fn send(fd: RawFd, data: &[u8]) -> io::Result<usize> {
    // SAFETY: reads `data.len()` bytes from a live slice.
    check_len(unsafe { libc::send(fd, data.as_ptr().cast(), data.len(), libc::MSG_NOSIGNAL) })
}

/// Receives into `buf`; 0 at end of stream.
pub(super) fn recv(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: writes at most `buf.len()` bytes into a live slice.
    check_len(unsafe { libc::recv(fd, buf.as_mut_ptr().cast(), buf.len(), 0) })
}

pub(super) fn send_to(fd: RawFd, data: &[u8], addr: &Addr) -> io::Result<usize> {
    let raw = RawAddr::from_addr(addr)?;
    // SAFETY: a live slice and a valid address of `len` bytes.
    check_len(unsafe {
        libc::sendto(
            fd,
            data.as_ptr().cast(),
            data.len(),
            libc::MSG_NOSIGNAL,
            raw.ptr(),
            raw.len,
        )
    })
}

/// Receives one datagram into `buf` (the rest of a longer one is discarded) and its sender.
pub(super) fn recv_from(fd: RawFd, buf: &mut [u8]) -> io::Result<(usize, Addr)> {
    let mut raw = RawAddr::empty();
    // SAFETY: a live buffer, and `raw` with room for any address.
    let n = check_len(unsafe {
        libc::recvfrom(
            fd,
            buf.as_mut_ptr().cast(),
            buf.len(),
            0,
            raw.mut_ptr(),
            &mut raw.len,
        )
    })?;
    Ok((n, raw.to_addr()))
}

/// Ends the sending direction: the peer reads end of stream, and can still send to us.
pub(super) fn shutdown_write(fd: RawFd) -> io::Result<()> {
    // SAFETY: plain system call.
    check(unsafe { libc::shutdown(fd, libc::SHUT_WR) }).map(drop)
}

pub(super) fn local_addr(fd: RawFd) -> io::Result<Addr> {
    let mut raw = RawAddr::empty();
    // SAFETY: `raw` has room for any address.
    check(unsafe { libc::getsockname(fd, raw.mut_ptr(), &mut raw.len) })?;
    Ok(raw.to_addr())
}

pub(super) fn peer_addr(fd: RawFd) -> io::Result<Addr> {
    let mut raw = RawAddr::empty();
    // SAFETY: `raw` has room for any address.
    check(unsafe { libc::getpeername(fd, raw.mut_ptr(), &mut raw.len) })?;
    Ok(raw.to_addr())
}

/// The addresses `host` names with `port`, IPv4 first: a numeric address as itself,
/// `localhost` as 127.0.0.1 without asking the resolver (statically linked programs may have
/// no working name service), anything else through the system resolver (`getaddrinfo`, which
/// blocks the program while it runs).
pub(super) fn resolve(host: &str, port: u16) -> io::Result<Vec<SocketAddr>> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return Ok(vec![SocketAddr::new(ip, port)]);
    }
    if host.eq_ignore_ascii_case("localhost") {
        return Ok(vec![SocketAddr::new(Ipv4Addr::LOCALHOST.into(), port)]);
    }
    let mut addrs: Vec<SocketAddr> =
        std::net::ToSocketAddrs::to_socket_addrs(&(host, port))?.collect();
    addrs.sort_by_key(|a| a.is_ipv6());
    if addrs.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "the name has no address",
        ));
    }
    Ok(addrs)
}

/// Removes a Unix socket's file (when its listener closes); a missing file is fine.
pub(super) fn unlink(path: &Path) {
    let _ = std::fs::remove_file(path);
}
