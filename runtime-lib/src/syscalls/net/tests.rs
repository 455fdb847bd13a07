//! Runtime-level tests of the `net` builtins on loopback: the main task awaits the tasks they
//! return, as compiled code and the interpreter do. The SolvraScript-level behaviour (the `net`
//! module, every tier, other ecosystems) is tested by tests/data/conformance/net_*.svs and
//! tests/suite/net.rs.

use crate::builtins::{self, table};
use crate::scheduler::{self, await_task};
use crate::testutil::*;
use crate::value::Value;
use crate::{array, heap, object, string, RtResult};

fn call(name: &str, args: &[Value]) -> RtResult<Value> {
    let id = table::lookup(name).unwrap_or_else(|| panic!("no builtin {name}"));
    builtins::call(id, args)
}

/// Calls a builtin that returns a task and awaits it.
fn wait(name: &str, args: &[Value]) -> RtResult<Value> {
    await_task(call(name, args)?)
}

fn text(v: Value) -> String {
    string::as_str(v).to_string()
}

fn socket_fd(v: Value) -> std::os::unix::io::RawFd {
    crate::handle::resource::<super::stream::Socket>("test", "a socket", v)
        .unwrap()
        .fd()
}

/// A listener on an ephemeral loopback port and its port.
fn listener() -> (Value, Value) {
    let l = call("__net_listen", &[s("127.0.0.1"), int(0), int(16)]).unwrap();
    let port = call("__net_local_port", &[l]).unwrap();
    assert!(port.as_int() > 0);
    (l, port)
}

/// A connected pair of sockets: (client, server side).
fn pair() -> (Value, Value) {
    let (l, port) = listener();
    let accepted = call("__net_accept", &[l]).unwrap();
    let client = wait("__net_connect", &[s("127.0.0.1"), port]).unwrap();
    let server = await_task(accepted).unwrap();
    call("__net_close", &[l]).unwrap();
    (client, server)
}

#[test]
fn tcp_round_trip_with_lines_and_split_characters() {
    rooted(|| {
        scheduler::reset();
        let (client, server) = pair();
        let sent = wait("__net_send", &[client, s("one\r\ntwo\nh\u{e9}")]).unwrap();
        assert_eq!(sent.as_int(), 12);
        assert_eq!(text(wait("__net_recv_line", &[server]).unwrap()), "one");
        assert_eq!(text(wait("__net_recv_line", &[server]).unwrap()), "two");
        // "hé" is buffered after the lines; recv returns it without reading again.
        assert_eq!(
            text(wait("__net_recv", &[server, int(100)]).unwrap()),
            "h\u{e9}"
        );
        // A character split between two writes arrives whole.
        let fd = socket_fd(client);
        let euro = "\u{20ac}".as_bytes();
        assert_eq!(super::sys::send(fd, &euro[..1]).unwrap(), 1);
        let pending = call("__net_recv", &[server, int(100)]).unwrap();
        await_task(scheduler::delay(2.0).unwrap()).unwrap();
        assert_eq!(super::sys::send(fd, &euro[1..]).unwrap(), 2);
        assert_eq!(text(await_task(pending).unwrap()), "\u{20ac}");
        let peer = call("__net_peer", &[server]).unwrap();
        assert_eq!(text(object::obj(peer).get("host")), "127.0.0.1");
        // Half-close: the server reads the rest, then end of stream ("" / null).
        wait("__net_send", &[client, s("tail")]).unwrap();
        call("__net_shutdown", &[client]).unwrap();
        assert_eq!(text(wait("__net_recv_line", &[server]).unwrap()), "tail");
        assert!(wait("__net_recv_line", &[server]).unwrap().is_null());
        assert_eq!(text(wait("__net_recv", &[server, int(10)]).unwrap()), "");
        // The other direction still works.
        wait("__net_send", &[server, int(42)]).unwrap();
        assert_eq!(text(wait("__net_recv", &[client, int(10)]).unwrap()), "42");
        for h in [client, server] {
            call("__net_close", &[h]).unwrap();
        }
        assert_eq!(
            err(call("__net_close", &[client])),
            format!(
                "close: <handle {}> is already closed",
                crate::handle::id(client)
            )
        );
        assert_eq!(
            err(call("__net_recv", &[client, int(1)])),
            format!("recv: <handle {}> is closed", crate::handle::id(client))
        );
    })
}

#[test]
fn tasks_wait_for_data_while_others_run() {
    rooted(|| {
        scheduler::reset();
        let (client, server) = pair();
        // Nothing sent yet: the recv task waits; a timer lets the main task send later.
        let pending = call("__net_recv", &[server, int(100)]).unwrap();
        let pending_line = call("__net_recv_line", &[server]).unwrap();
        await_task(scheduler::delay(5.0).unwrap()).unwrap();
        wait("__net_send", &[client, s("first\nsecond\n")]).unwrap();
        // recv was first in line and takes everything that came; the line waits for more.
        assert_eq!(text(await_task(pending).unwrap()), "first\nsecond\n");
        wait("__net_send", &[client, s("third\n")]).unwrap();
        assert_eq!(text(await_task(pending_line).unwrap()), "third");
        // Closing a socket fails the tasks waiting on it.
        let orphan = call("__net_recv", &[server, int(1)]).unwrap();
        call("__net_close", &[server]).unwrap();
        assert_eq!(
            err(await_task(orphan)),
            format!(
                "close: <handle {}> was closed while a task waited for it",
                crate::handle::id(server)
            )
        );
        call("__net_close", &[client]).unwrap();
        // So does closing it through another module's close (fs.close takes any handle).
        let (client, server) = pair();
        let orphan = call("__net_recv", &[client, int(1)]).unwrap();
        call("__sys_close", &[client]).unwrap();
        assert_eq!(
            err(await_task(orphan)),
            format!(
                "close: <handle {}> was closed while a task waited for it",
                crate::handle::id(client)
            )
        );
        call("__net_close", &[server]).unwrap();
    })
}

#[test]
fn values_made_by_operations_survive_collections_in_the_same_poll() {
    rooted(|| {
        scheduler::reset();
        let (l, port) = listener();
        // Many connections whose reads finish in one poll, each making a string, while every
        // allocation collects. The arrays keep the handles and tasks alive (a Rust Vec would
        // not).
        let n = 12;
        let clients = arr(&[]);
        let servers = arr(&[]);
        let reads = arr(&[]);
        for _ in 0..n {
            let accepted = call("__net_accept", &[l]).unwrap();
            array::push_in_place(
                clients,
                wait("__net_connect", &[s("127.0.0.1"), port]).unwrap(),
            );
            array::push_in_place(servers, await_task(accepted).unwrap());
        }
        for i in 0..n {
            let read = call("__net_recv", &[array::obj(servers).get(i), int(100)]).unwrap();
            array::push_in_place(reads, read);
        }
        // Written behind the scheduler's back, so that one poll finds every read ready.
        for i in 0..n {
            let fd = socket_fd(array::obj(clients).get(i));
            let message = format!("message number {i}");
            assert_eq!(
                super::sys::send(fd, message.as_bytes()).unwrap(),
                message.len()
            );
        }
        heap::set_stress(true);
        for i in 0..n {
            let got = await_task(array::obj(reads).get(i)).unwrap();
            assert_eq!(text(got), format!("message number {i}"));
        }
        heap::set_stress(stress());
        for i in 0..n {
            call("__net_close", &[array::obj(clients).get(i)]).unwrap();
            call("__net_close", &[array::obj(servers).get(i)]).unwrap();
        }
        call("__net_close", &[l]).unwrap();
    })
}

#[test]
fn udp_round_trip() {
    rooted(|| {
        scheduler::reset();
        let a = call("__net_udp_bind", &[s("127.0.0.1"), int(0)]).unwrap();
        let b = call("__net_udp_bind", &[s("localhost"), int(0)]).unwrap();
        let b_port = call("__net_local_port", &[b]).unwrap();
        let a_port = call("__net_local_port", &[a]).unwrap();
        let pending = call("__net_recv_from", &[b, int(1000)]).unwrap();
        let sent = wait("__net_send_to", &[a, s("ping"), s("127.0.0.1"), b_port]).unwrap();
        assert_eq!(sent.as_int(), 4);
        let got = await_task(pending).unwrap();
        assert_eq!(text(object::obj(got).get("data")), "ping");
        assert_eq!(text(object::obj(got).get("host")), "127.0.0.1");
        assert_eq!(object::obj(got).get("port").as_int(), a_port.as_int());
        call("__net_close", &[a]).unwrap();
        call("__net_close", &[b]).unwrap();
    })
}

#[test]
fn errors_name_the_call_and_the_os_error() {
    rooted(|| {
        scheduler::reset();
        // A port that was just free: nothing listens there any more.
        let (l, port) = listener();
        let in_use = err(call("__net_listen", &[s("127.0.0.1"), port, int(1)]));
        assert_eq!(
            in_use,
            format!(
                "listen: Address already in use (os error 98): 127.0.0.1:{}",
                port.as_int()
            )
        );
        call("__net_close", &[l]).unwrap();
        assert_eq!(
            err(wait("__net_connect", &[s("127.0.0.1"), port])),
            format!(
                "connect: Connection refused (os error 111): 127.0.0.1:{}",
                port.as_int()
            )
        );
        assert_eq!(
            err(wait("__net_unix_connect", &[s("/nonexistent/solvra.sock")])),
            "unix_connect: No such file or directory (os error 2): /nonexistent/solvra.sock"
        );
        // Writing to a peer that closed: the first send may still be accepted; then EPIPE.
        let (client, server) = pair();
        call("__net_close", &[server]).unwrap();
        let mut last = None;
        for _ in 0..50 {
            if let Err(e) = wait("__net_send", &[client, s("x")]) {
                last = Some(e.message);
                break;
            }
            await_task(scheduler::delay(1.0).unwrap()).unwrap();
        }
        assert_eq!(last.as_deref(), Some("send: Broken pipe (os error 32)"));
        // Bad arguments fail the call itself.
        assert_eq!(
            err(call("__net_connect", &[s("127.0.0.1"), int(70000)])),
            "connect: expects a port (an int from 0 to 65535), got 70000"
        );
        assert_eq!(
            err(call("__net_recv", &[client, int(0)])),
            "recv: expects a maximum byte count (a positive int), got 0"
        );
        assert_eq!(
            err(call("__net_accept", &[client])),
            format!(
                "accept: expects a listener, got <handle {}> (socket)",
                crate::handle::id(client)
            )
        );
        call("__net_close", &[client]).unwrap();
    })
}

#[test]
fn unix_domain_sockets() {
    rooted(|| {
        scheduler::reset();
        let path = format!("/tmp/solvra-rt-test-{}.sock", std::process::id());
        let l = call("__net_unix_listen", &[s(&path), int(8)]).unwrap();
        assert!(std::path::Path::new(&path).exists());
        let accepted = call("__net_accept", &[l]).unwrap();
        let client = wait("__net_unix_connect", &[s(&path)]).unwrap();
        let server = await_task(accepted).unwrap();
        wait("__net_send", &[client, s("over unix\n")]).unwrap();
        assert_eq!(
            text(wait("__net_recv_line", &[server]).unwrap()),
            "over unix"
        );
        let peer = call("__net_peer", &[client]).unwrap();
        assert_eq!(text(object::obj(peer).get("path")), path);
        assert!(err(call("__net_local_port", &[l])).contains("Unix domain socket"));
        for h in [client, server, l] {
            call("__net_close", &[h]).unwrap();
        }
        // The listener removed its socket file.
        assert!(!std::path::Path::new(&path).exists());
    })
}
