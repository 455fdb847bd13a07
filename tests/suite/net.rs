//! The `net` module against the outside world, through the real `solvrac` and real processes:
//! examples/echo_server.svs built natively serves 200 concurrent clients × 100 messages driven
//! by Rust threads (every byte checked, the throughput printed); SolvraScript talks to Python's
//! standard library in both directions (tests/data/net/); and failures caused by the peer reach
//! programs as runtime errors. Every child process has a deadline and is killed when a test
//! fails. The conformance programs tests/data/conformance/net_*.svs cover the module itself in
//! every tier.

use crate::frontend::repo_root;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// How long any child process or socket operation may take.
pub(crate) const LIMIT: Duration = Duration::from_secs(60);

/// A child process whose stdout lines arrive on a channel; killed when dropped.
pub(crate) struct Proc {
    what: String,
    child: Child,
    lines: Receiver<String>,
    stderr: Option<JoinHandle<String>>,
}

impl Proc {
    pub(crate) fn start(mut cmd: Command, what: &str) -> Proc {
        cmd.stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {what}: {e}"));
        let out = child.stdout.take().expect("piped stdout");
        let mut err = child.stderr.take().expect("piped stderr");
        let (tx, lines) = mpsc::channel();
        thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = thread::spawn(move || {
            let mut text = String::new();
            let _ = err.read_to_string(&mut text);
            text
        });
        Proc {
            what: what.to_string(),
            child,
            lines,
            stderr: Some(stderr),
        }
    }

    /// The next line of stdout.
    pub(crate) fn line(&self) -> String {
        self.lines
            .recv_timeout(LIMIT)
            .unwrap_or_else(|_| panic!("{}: no line on stdout within {LIMIT:?}", self.what))
    }

    /// The process id.
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the process to exit: its status, the rest of its stdout lines, its stderr.
    pub(crate) fn finish(&mut self) -> (ExitStatus, Vec<String>, String) {
        let deadline = Instant::now() + LIMIT;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            assert!(
                Instant::now() < deadline,
                "{} did not exit within {LIMIT:?}",
                self.what
            );
            thread::sleep(Duration::from_millis(10));
        };
        let rest = self.lines.iter().collect();
        let stderr = self
            .stderr
            .take()
            .map_or_else(String::new, |h| h.join().expect("stderr reader"));
        (status, rest, stderr)
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A scratch directory, removed when dropped.
pub(crate) struct TempDir(pub(crate) PathBuf);

impl TempDir {
    pub(crate) fn new(name: &str) -> TempDir {
        let dir = std::env::temp_dir().join(format!("solvrac-net-{}-{name}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

pub(crate) fn solvrac(args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_solvrac"));
    cmd.args(args);
    cmd
}

/// `solvrac run FILE` in the interpreter tier, with `env` set.
pub(crate) fn run_svs(file: &Path, env: &[(&str, &str)], what: &str) -> Proc {
    let mut cmd = solvrac(&["run", "--tier=interp", &file.to_string_lossy()]);
    cmd.envs(env.iter().copied());
    Proc::start(cmd, what)
}

/// Whether Python 3 is there; outside CI its absence skips the interop tests.
pub(crate) fn have_python() -> bool {
    let ok = Command::new("python3")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "python3 is needed for the net interop tests"
        );
        eprintln!("net interop test skipped: no python3");
    }
    ok
}

/// A port that nothing listens on: bound by the system, then released.
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("local_addr").port()
}

const CLIENTS: usize = 200;
const MESSAGES: usize = 100;

/// One connection of the echo test: sends its lines one at a time and checks each echo byte for
/// byte; the number of bytes that went both ways.
fn echo_client(port: u16, id: usize) -> Result<usize, String> {
    let fail = |what: &str, e: std::io::Error| format!("client {id}: {what}: {e}");
    let stream = TcpStream::connect(("127.0.0.1", port)).map_err(|e| fail("connect", e))?;
    stream.set_read_timeout(Some(LIMIT)).expect("timeout");
    stream.set_write_timeout(Some(LIMIT)).expect("timeout");
    let mut reader = BufReader::new(stream.try_clone().map_err(|e| fail("clone", e))?);
    let mut writer = stream;
    let mut bytes = 0;
    let mut echo = Vec::new();
    for i in 0..MESSAGES {
        // Lines of 20 to 300 bytes, non-ASCII included.
        let line = format!(
            "client {id} message {i} {}\n",
            "é€x".repeat((id * 7 + i) % 41)
        );
        writer
            .write_all(line.as_bytes())
            .map_err(|e| fail("write", e))?;
        echo.clear();
        reader
            .read_until(b'\n', &mut echo)
            .map_err(|e| fail("read", e))?;
        if echo != line.as_bytes() {
            return Err(format!(
                "client {id} message {i}: sent {line:?}, got {:?}",
                String::from_utf8_lossy(&echo)
            ));
        }
        bytes += line.len();
    }
    Ok(bytes)
}

/// Builds examples/NAME.svs natively at -O2 into `dir`; returns the executable's path.
#[cfg(feature = "llvm")]
pub(crate) fn build_example(dir: &TempDir, name: &str) -> PathBuf {
    let exe = dir.0.join(name);
    let src = repo_root().join(format!("examples/{name}.svs"));
    let mut build = Proc::start(
        solvrac(&[
            "build",
            "-O2",
            &src.to_string_lossy(),
            "-o",
            &exe.to_string_lossy(),
        ]),
        "solvrac build",
    );
    let (status, _, stderr) = build.finish();
    assert!(status.success(), "building {name}.svs failed:\n{stderr}");
    exe
}

/// examples/echo_server.svs, built natively, serves 200 connections at once, 100 lines each.
#[cfg(feature = "llvm")]
#[test]
fn native_echo_server_serves_200_concurrent_clients() {
    let dir = TempDir::new("echo");
    let exe = build_example(&dir, "echo_server");

    let mut cmd = Command::new(&exe);
    cmd.env("ECHO_PORT", "0");
    let mut server = Proc::start(cmd, "echo_server");
    let port: u16 = server.line().parse().expect("the first line is the port");

    let start = Instant::now();
    let clients: Vec<JoinHandle<Result<usize, String>>> = (0..CLIENTS)
        .map(|id| thread::spawn(move || echo_client(port, id)))
        .collect();
    let results: Vec<Result<usize, String>> = clients
        .into_iter()
        .map(|c| c.join().expect("client thread"))
        .collect();
    let elapsed = start.elapsed();
    let failures: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {CLIENTS} clients failed; first: {}",
        failures.len(),
        failures[0]
    );
    let bytes: usize = results.iter().map(|r| *r.as_ref().unwrap()).sum();
    let messages = CLIENTS * MESSAGES;
    eprintln!(
        "echo: {CLIENTS} clients x {MESSAGES} messages ({bytes} bytes each way) in {:.3} s: \
         {:.0} messages/s",
        elapsed.as_secs_f64(),
        messages as f64 / elapsed.as_secs_f64()
    );

    TcpStream::connect(("127.0.0.1", port))
        .and_then(|mut s| s.write_all(b"quit\n"))
        .expect("sending quit");
    let (status, rest, stderr) = server.finish();
    assert!(status.success(), "echo_server: {status}\n{stderr}");
    assert_eq!(stderr, "");
    assert_eq!(
        rest,
        [format!(
            "served {} connections, {messages} lines",
            CLIENTS + 1
        )]
    );
}

/// A SolvraScript client talks to a server in Python's standard library, over TCP and over a
/// Unix domain socket.
#[test]
fn solvrascript_client_talks_to_a_python_server() {
    if !have_python() {
        return;
    }
    let data = repo_root().join("tests/data/net");
    let dir = TempDir::new("pyserver");
    let path = dir.0.join("line.sock");
    let path_s = path.to_string_lossy().to_string();
    let expected = [
        "[olleh]",
        "[€ dlröw olléh]",
        "[]",
        "[ereh\tbat]",
        "bulk: 100000 characters",
        "after end: bye",
    ];
    for mode in ["tcp", "unix"] {
        let mut cmd = Command::new("python3");
        cmd.arg(data.join("line_server.py")).arg(mode);
        if mode == "unix" {
            cmd.arg(&path);
        }
        let mut server = Proc::start(cmd, "line_server.py");
        let first = server.line();
        let env: Vec<(&str, &str)> = match mode {
            "tcp" => vec![("NET_PORT", first.as_str())],
            _ => vec![("NET_PATH", path_s.as_str())],
        };
        let mut client = run_svs(&data.join("client.svs"), &env, "client.svs");
        let (status, out, stderr) = client.finish();
        assert!(
            status.success(),
            "client.svs over {mode}: {status}\n{stderr}"
        );
        assert_eq!(out, expected, "client.svs over {mode}");
        let (status, _, stderr) = server.finish();
        assert!(
            status.success(),
            "line_server.py {mode}: {status}\n{stderr}"
        );
    }
}

/// A client in Python's standard library talks to examples/echo_server.svs (interpreter tier):
/// 20 concurrent connections, every byte checked by Python.
#[test]
fn python_client_talks_to_a_solvrascript_server() {
    if !have_python() {
        return;
    }
    let mut server = run_svs(
        &repo_root().join("examples/echo_server.svs"),
        &[("ECHO_PORT", "0")],
        "echo_server.svs",
    );
    let port = server.line();
    let mut cmd = Command::new("python3");
    cmd.arg(repo_root().join("tests/data/net/echo_client.py"))
        .arg(&port);
    let mut client = Proc::start(cmd, "echo_client.py");
    let (status, out, stderr) = client.finish();
    assert!(status.success(), "echo_client.py: {out:?}\n{stderr}");
    assert_eq!(out, ["ok 1000 35820"]);
    let (status, rest, stderr) = server.finish();
    assert!(status.success(), "echo_server.svs: {status}\n{stderr}");
    assert_eq!(rest, ["served 21 connections, 1000 lines"]);
}

/// Failures caused by the other end: an uncaught refused connection ends the program with the
/// error on stderr, and a connection the peer resets is a catchable error.
#[test]
fn peer_failures_are_runtime_errors() {
    let dir = TempDir::new("errors");
    let refused = dir.0.join("refused.svs");
    let port = closed_port();
    std::fs::write(
        &refused,
        format!("import <net>\nawait net.connect(\"127.0.0.1\", {port})\nprintln(\"not here\")\n"),
    )
    .expect("write");
    let (status, out, stderr) = run_svs(&refused, &[], "refused.svs").finish();
    assert_eq!(status.code(), Some(1));
    assert!(out.is_empty(), "{out:?}");
    assert!(
        stderr.starts_with(&format!(
            "runtime error: connect: Connection refused (os error 111): 127.0.0.1:{port}\n"
        )),
        "{stderr}"
    );

    // The server reads the first line and closes with the second one unread: a reset.
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = thread::spawn(move || {
        let (mut conn, _) = listener.accept().expect("accept");
        let mut first = [0u8; 3];
        conn.read_exact(&mut first).expect("read");
        first
    });
    let reset = dir.0.join("reset.svs");
    std::fs::write(
        &reset,
        format!(
            "import <net>\nlet s = await net.connect(\"127.0.0.1\", {port})\n\
             await net.send(s, \"hi\\nunread\\n\")\n\
             try {{ println(await net.recv_line(s)) }} catch e {{ println(e) }}\n"
        ),
    )
    .expect("write");
    let (status, out, stderr) = run_svs(&reset, &[], "reset.svs").finish();
    assert_eq!(&server.join().expect("server"), b"hi\n");
    assert!(status.success(), "{stderr}");
    assert_eq!(out, ["recv_line: Connection reset by peer (os error 104)"]);
}
