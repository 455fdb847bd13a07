//! The `ipc` module (JSON-RPC 2.0 over Unix sockets, docs/IPC.md) against the outside world,
//! through examples/device_daemon.svs run by the real `solvrac`: a load test (the daemon built
//! natively, 100 concurrent Rust clients × 1 000 pipelined requests, every answer matched to its
//! id, requests/s and p99 latency printed), malformed input of every kind (each answered with
//! the prescribed error, or its connection closed, while the daemon keeps serving), a graceful
//! stop on SIGTERM, and a client in Python's standard library (tests/data/ipc/client.py).
//! tests/data/conformance/ipc_rpc.svs covers the module itself in every tier.

use crate::frontend::repo_root;
use crate::net::{build_example, have_python, run_svs, solvrac, Proc, TempDir, LIMIT};
use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::process::Command;
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Starts the device daemon (`cmd`, with $DEVICE_SOCKET set to `sock`) and waits until it
/// listens.
fn start_daemon(mut cmd: Command, sock: &Path) -> Proc {
    cmd.env("DEVICE_SOCKET", sock);
    let daemon = Proc::start(cmd, "device_daemon");
    assert_eq!(daemon.line(), format!("listening {}", sock.display()));
    daemon
}

fn daemon_in_interpreter(dir: &TempDir) -> (Proc, std::path::PathBuf) {
    let sock = dir.0.join("device.sock");
    let src = repo_root().join("examples/device_daemon.svs");
    let cmd = solvrac(&["run", &src.to_string_lossy()]);
    (start_daemon(cmd, &sock), sock)
}

fn connect(sock: &Path) -> (UnixStream, BufReader<UnixStream>) {
    let stream = UnixStream::connect(sock).expect("connect to the daemon");
    stream.set_read_timeout(Some(LIMIT)).expect("timeout");
    stream.set_write_timeout(Some(LIMIT)).expect("timeout");
    let reader = BufReader::new(stream.try_clone().expect("clone"));
    (stream, reader)
}

/// Sends `msg` and a newline; the answer line, or `None` when the daemon closed the connection.
fn exchange(
    stream: &mut UnixStream,
    reader: &mut BufReader<UnixStream>,
    msg: &[u8],
) -> Option<String> {
    let sent = stream.write_all(msg).and_then(|_| stream.write_all(b"\n"));
    let mut line = Vec::new();
    match reader.read_until(b'\n', &mut line) {
        Ok(0) | Err(_) => None,
        Ok(_) => {
            sent.expect("the daemon read the whole message but the write failed");
            Some(String::from_utf8(line).expect("answers are UTF-8"))
        }
    }
}

/// The daemon still answers a new connection.
fn assert_serving(sock: &Path) {
    let (mut s, mut r) = connect(sock);
    let answer = exchange(
        &mut s,
        &mut r,
        br#"{"jsonrpc":"2.0","method":"echo","params":["alive"],"id":0}"#,
    );
    assert_eq!(
        answer.as_deref(),
        Some("{\"jsonrpc\":\"2.0\",\"result\":[\"alive\"],\"id\":0}\n")
    );
}

fn error_reply(code: i64, id: &str) -> String {
    format!("\"error\":{{\"code\":{code},") + &format!("\"id\":{id}}}\n")
}

/// Asserts that `answer` is an error response with `code` and `id`.
fn assert_error(answer: &str, code: i64, id: &str, what: &str) {
    let want = error_reply(code, id);
    let (head, tail) = want.split_once(",\"id\"").expect("split");
    assert!(
        answer.starts_with("{\"jsonrpc\":\"2.0\",")
            && answer.contains(head)
            && answer.ends_with(&format!(",\"id\"{tail}")),
        "{what}: expected error {code} with id {id}, got {answer:?}"
    );
}

/// Garbage, invalid UTF-8, truncated JSON, deep nesting, wrong types for every field, batches
/// and handler failures each get their error response on one connection that stays open; huge
/// and never-ending messages close only their own connection.
#[test]
fn malformed_input_gets_the_prescribed_errors_and_the_daemon_survives() {
    let dir = TempDir::new("ipc-malformed");
    let (mut daemon, sock) = daemon_in_interpreter(&dir);
    let (mut s, mut r) = connect(&sock);
    let deep = "[".repeat(100_000) + &"]".repeat(100_000);
    let cases: Vec<(Vec<u8>, i64, &str)> = vec![
        (b"\x00\x01\x02garbage\x7f".to_vec(), -32700, "null"),
        (
            b"{\"jsonrpc\":\"2.0\",\"method\":\"echo\xff\xfe\",\"id\":1}".to_vec(),
            -32700,
            "null",
        ),
        (b"\xc3(".to_vec(), -32700, "null"),
        (
            br#"{"jsonrpc":"2.0","method":"echo","params":[1,"#.to_vec(),
            -32700,
            "null",
        ),
        (
            br#"{"jsonrpc":"2.0","method":"echo"}}"#.to_vec(),
            -32700,
            "null",
        ),
        (deep.into_bytes(), -32700, "null"),
        (
            br#"{"jsonrpc":"2.0","method":"echo","params":["\ud800"],"id":1}"#.to_vec(),
            -32700,
            "null",
        ),
        (b"[]".to_vec(), -32600, "null"),
        (b"42".to_vec(), -32600, "null"),
        (b"\"text\"".to_vec(), -32600, "null"),
        (br#"{"method":"echo","id":1}"#.to_vec(), -32600, "1"),
        (
            br#"{"jsonrpc":2,"method":"echo","id":1}"#.to_vec(),
            -32600,
            "1",
        ),
        (
            br#"{"jsonrpc":"1.0","method":"echo","id":1}"#.to_vec(),
            -32600,
            "1",
        ),
        (
            br#"{"jsonrpc":null,"method":"echo","id":1}"#.to_vec(),
            -32600,
            "1",
        ),
        (br#"{"jsonrpc":"2.0","id":"m"}"#.to_vec(), -32600, "\"m\""),
        (
            br#"{"jsonrpc":"2.0","method":7,"id":2}"#.to_vec(),
            -32600,
            "2",
        ),
        (
            br#"{"jsonrpc":"2.0","method":null,"id":2}"#.to_vec(),
            -32600,
            "2",
        ),
        (
            br#"{"jsonrpc":"2.0","method":["echo"],"id":2}"#.to_vec(),
            -32600,
            "2",
        ),
        (
            br#"{"jsonrpc":"2.0","method":{},"id":2}"#.to_vec(),
            -32600,
            "2",
        ),
        (
            br#"{"jsonrpc":"2.0","method":"echo","params":1,"id":3}"#.to_vec(),
            -32600,
            "3",
        ),
        (
            br#"{"jsonrpc":"2.0","method":"echo","params":"x","id":3}"#.to_vec(),
            -32600,
            "3",
        ),
        (
            br#"{"jsonrpc":"2.0","method":"echo","params":true,"id":3}"#.to_vec(),
            -32600,
            "3",
        ),
        (
            br#"{"jsonrpc":"2.0","method":"echo","params":null,"id":3}"#.to_vec(),
            -32600,
            "3",
        ),
        (
            br#"{"jsonrpc":"2.0","method":"echo","id":[4]}"#.to_vec(),
            -32600,
            "null",
        ),
        (
            br#"{"jsonrpc":"2.0","method":"echo","id":{"a":4}}"#.to_vec(),
            -32600,
            "null",
        ),
        (
            br#"{"jsonrpc":"2.0","method":"echo","id":false}"#.to_vec(),
            -32600,
            "null",
        ),
        (
            br#"{"jsonrpc":"2.0","method":"no.such","id":5}"#.to_vec(),
            -32601,
            "5",
        ),
        (
            br#"{"jsonrpc":"2.0","method":"power.set","params":{"state":7},"id":6}"#.to_vec(),
            -32602,
            "6",
        ),
        (
            br#"{"jsonrpc":"2.0","method":"window.move","params":[1],"id":6}"#.to_vec(),
            -32602,
            "6",
        ),
        (
            br#"{"jsonrpc":"2.0","method":"power.set","params":{"state":"off"}}"#.to_vec(),
            0,
            "",
        ),
        (
            br#"{"jsonrpc":"2.0","method":"display.set_theme","params":{"theme":"dark"},"id":7}"#
                .to_vec(),
            -32000,
            "7",
        ),
    ];
    for (msg, code, id) in &cases {
        let what = String::from_utf8_lossy(&msg[..msg.len().min(60)]).into_owned();
        if *code == 0 {
            s.write_all(msg)
                .and_then(|_| s.write_all(b"\n"))
                .expect("notification");
            continue;
        }
        let answer =
            exchange(&mut s, &mut r, msg).unwrap_or_else(|| panic!("{what}: connection closed"));
        assert_error(&answer, *code, id, &what);
    }
    let batch = exchange(&mut s, &mut r, br#"[1,{"jsonrpc":"2.0","method":"echo","params":[2],"id":9},{"jsonrpc":"2.0","method":"echo"}]"#)
        .expect("batch answer");
    assert!(
        batch.starts_with("[{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32600,")
            && batch.ends_with(",{\"jsonrpc\":\"2.0\",\"result\":[2],\"id\":9}]\n"),
        "batch: {batch:?}"
    );
    assert_serving(&sock);

    // A line over the 1 MiB limit, and one that never ends: each closes its own connection.
    let (mut big, mut big_r) = connect(&sock);
    let huge = format!(
        "{{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[\"{}\"],\"id\":1}}",
        "x".repeat(2 << 20)
    );
    assert_eq!(
        exchange(&mut big, &mut big_r, huge.as_bytes()),
        None,
        "huge message"
    );
    let (mut endless, mut endless_r) = connect(&sock);
    let _ = endless.write_all(&vec![b'['; 3 << 20]);
    let mut rest = Vec::new();
    let _ = endless_r.read_to_end(&mut rest);
    assert!(rest.is_empty(), "never-ending message got an answer");
    // The first connection is still open and answers.
    let answer = exchange(
        &mut s,
        &mut r,
        br#"{"jsonrpc":"2.0","method":"power.get","id":"p"}"#,
    );
    assert_eq!(
        answer.as_deref(),
        Some("{\"jsonrpc\":\"2.0\",\"result\":\"off\",\"id\":\"p\"}\n")
    );
    assert_serving(&sock);
    drop((s, r));

    // SIGTERM: a graceful stop that removes the socket file.
    let killed = Command::new("kill")
        .args(["-TERM", &daemon.pid().to_string()])
        .status()
        .expect("kill");
    assert!(killed.success());
    let (status, rest, stderr) = daemon.finish();
    assert!(status.success(), "device_daemon: {status}\n{stderr}");
    assert_eq!(rest.len(), 1, "{rest:?}");
    assert!(rest[0].starts_with("stopped after "), "{rest:?}");
    assert!(!sock.exists(), "the socket file is left behind");
}

/// A client in Python's standard library: pipelined calls on four connections, a batch,
/// notifications and every error code.
#[test]
fn python_client_drives_the_device_daemon() {
    if !have_python() {
        return;
    }
    let dir = TempDir::new("ipc-python");
    let (mut daemon, sock) = daemon_in_interpreter(&dir);
    let script = repo_root().join("tests/data/ipc/client.py");
    let mut cmd = Command::new("python3");
    cmd.arg(&script).arg(&sock);
    let mut client = Proc::start(cmd, "client.py");
    let (status, out, stderr) = client.finish();
    assert!(status.success(), "client.py: {status}\n{out:?}\n{stderr}");
    assert_eq!(out, ["ok 800"]);
    let (mut s, mut r) = connect(&sock);
    exchange(
        &mut s,
        &mut r,
        br#"{"jsonrpc":"2.0","method":"daemon.shutdown","id":1}"#,
    )
    .expect("shutdown answer");
    let (status, _, stderr) = daemon.finish();
    assert!(status.success(), "device_daemon: {status}\n{stderr}");
}

/// examples/device_client.svs drives the daemon (both in the interpreter) and shuts it down.
#[test]
fn solvrascript_client_drives_the_device_daemon() {
    let dir = TempDir::new("ipc-client");
    let (mut daemon, sock) = daemon_in_interpreter(&dir);
    let sock_text = sock.to_string_lossy().into_owned();
    let mut client = run_svs(
        &repo_root().join("examples/device_client.svs"),
        &[("DEVICE_SOCKET", &sock_text), ("DEVICE_SHUTDOWN", "1")],
        "device_client",
    );
    let (status, out, stderr) = client.finish();
    assert!(status.success(), "device_client: {status}\n{stderr}");
    assert!(
        out.contains(&"opened windows [1, 2], theme now dark".to_string()),
        "{out:?}"
    );
    assert!(
        out.contains(&"error: reboot: Method not found (code -32601)".to_string()),
        "{out:?}"
    );
    assert_eq!(out.last().map(String::as_str), Some("daemon: stopping"));
    let (status, rest, stderr) = daemon.finish();
    assert!(status.success(), "device_daemon: {status}\n{stderr}");
    assert_eq!(rest, ["stopped after 16 requests"]);
}

const CLIENTS: usize = 100;
const REQUESTS: usize = 1000;
/// Requests each load-test client keeps in flight.
const WINDOW: usize = 8;

/// One load-test connection: `REQUESTS` echo calls, `WINDOW` at a time, each answer matched to
/// its id and checked; the latency of every request.
fn load_client(sock: &Path, c: usize) -> Result<Vec<Duration>, String> {
    let (mut s, mut r) = connect(sock);
    let mut in_flight: HashMap<u64, (String, Instant)> = HashMap::new();
    let mut latencies = Vec::with_capacity(REQUESTS);
    let mut next = 0;
    let mut line = String::new();
    while latencies.len() < REQUESTS {
        let mut batch = String::new();
        while next < REQUESTS && in_flight.len() < WINDOW {
            let id = (c * REQUESTS + next) as u64;
            batch.push_str(&format!(
                "{{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":[{c},{next},\"żółw\"],\"id\":{id}}}\n"
            ));
            let want =
                format!("{{\"jsonrpc\":\"2.0\",\"result\":[{c},{next},\"żółw\"],\"id\":{id}}}\n");
            in_flight.insert(id, (want, Instant::now()));
            next += 1;
        }
        if !batch.is_empty() {
            s.write_all(batch.as_bytes())
                .map_err(|e| format!("client {c}: write: {e}"))?;
        }
        line.clear();
        match r.read_line(&mut line) {
            Ok(0) => return Err(format!("client {c}: connection closed")),
            Err(e) => return Err(format!("client {c}: read: {e}")),
            Ok(_) => {}
        }
        let id: u64 = line
            .rsplit_once("\"id\":")
            .and_then(|(_, rest)| rest.trim_end().strip_suffix('}'))
            .and_then(|id| id.parse().ok())
            .ok_or_else(|| format!("client {c}: answer without id: {line:?}"))?;
        let (want, sent) = in_flight
            .remove(&id)
            .ok_or_else(|| format!("client {c}: answer to unknown id {id}"))?;
        if line != want {
            return Err(format!("client {c}: expected {want:?}, got {line:?}"));
        }
        latencies.push(sent.elapsed());
    }
    Ok(latencies)
}

/// examples/device_daemon.svs, built natively: 100 concurrent clients × 1 000 requests.
#[cfg(feature = "llvm")]
#[test]
fn native_daemon_serves_100_clients_times_1000_requests() {
    let dir = TempDir::new("ipc-load");
    let exe = build_example(&dir, "device_daemon");
    let sock = dir.0.join("device.sock");
    let mut daemon = start_daemon(Command::new(&exe), &sock);

    let start = Instant::now();
    let clients: Vec<JoinHandle<Result<Vec<Duration>, String>>> = (0..CLIENTS)
        .map(|c| {
            let sock = sock.clone();
            thread::spawn(move || load_client(&sock, c))
        })
        .collect();
    let mut latencies = Vec::with_capacity(CLIENTS * REQUESTS);
    let mut failures = Vec::new();
    for c in clients {
        match c.join().expect("client thread") {
            Ok(l) => latencies.extend(l),
            Err(e) => failures.push(e),
        }
    }
    let elapsed = start.elapsed();
    assert!(
        failures.is_empty(),
        "{} clients failed; first: {}",
        failures.len(),
        failures[0]
    );
    assert_eq!(latencies.len(), CLIENTS * REQUESTS);
    latencies.sort();
    let p = |q: f64| latencies[((latencies.len() as f64 * q) as usize).min(latencies.len() - 1)];
    eprintln!(
        "ipc load: {CLIENTS} clients x {REQUESTS} requests ({WINDOW} in flight each) in {:.3} s: \
         {:.0} requests/s; latency p50 {:?}, p99 {:?}, max {:?}",
        elapsed.as_secs_f64(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        p(0.5),
        p(0.99),
        latencies[latencies.len() - 1]
    );

    let (mut s, mut r) = connect(&sock);
    exchange(
        &mut s,
        &mut r,
        br#"{"jsonrpc":"2.0","method":"daemon.shutdown","id":1}"#,
    )
    .expect("shutdown answer");
    let (status, rest, stderr) = daemon.finish();
    assert!(status.success(), "device_daemon: {status}\n{stderr}");
    assert_eq!(stderr, "");
    assert_eq!(
        rest,
        [format!("stopped after {} requests", CLIENTS * REQUESTS + 1)]
    );
    assert!(!sock.exists());
}
