//! The runtime's buffered standard output (§3.18), plus capture for tests.
//!
//! Every tier writes program output through `write_str`, into one process-wide buffer that is
//! flushed when it grows past `FLUSH_AT`, by `flush` (which `endl`, `input`, `exit` and the
//! uncaught-error path call) and by `finish` at normal termination. Keeping a single buffer
//! means output from the interpreter, compiled code and builtins can never be reordered.
//!
//! Tests redirect output per thread: `start_capture` makes this thread's writes (stdout and
//! `write_stderr`) go to in-memory strings until `take_capture`/`take_stderr_capture`. The
//! redirect is thread-local so parallel tests (each on its own thread) do not mix, and it is
//! public so the interpreter's tests can use it too.

use std::cell::RefCell;
use std::io::Write;
use std::sync::{Mutex, MutexGuard};

/// Buffer size that triggers a flush.
const FLUSH_AT: usize = 1 << 16;

static BUF: Mutex<Vec<u8>> = Mutex::new(Vec::new());

thread_local! {
    static CAPTURE: RefCell<Option<String>> = const { RefCell::new(None) };
    static CAPTURE_ERR: RefCell<Option<String>> = const { RefCell::new(None) };
}

fn lock() -> MutexGuard<'static, Vec<u8>> {
    // A panic while holding the lock cannot leave the bytes inconsistent; keep going.
    BUF.lock().unwrap_or_else(|e| e.into_inner())
}

/// Appends program output.
pub fn write_str(s: &str) {
    let captured = CAPTURE.with(|c| match &mut *c.borrow_mut() {
        Some(buf) => {
            buf.push_str(s);
            true
        }
        None => false,
    });
    if captured {
        return;
    }
    let mut buf = lock();
    buf.extend_from_slice(s.as_bytes());
    if buf.len() >= FLUSH_AT {
        flush_locked(&mut buf);
    }
}

fn flush_locked(buf: &mut Vec<u8>) {
    if buf.is_empty() {
        return;
    }
    let out = std::io::stdout();
    let mut out = out.lock();
    // A closed or broken stdout is not the program's error: drop the output, as a C runtime
    // with SIGPIPE ignored would.
    let _ = out.write_all(buf);
    let _ = out.flush();
    buf.clear();
}

/// Writes everything buffered so far to the process's stdout.
pub fn flush() {
    flush_locked(&mut lock());
}

/// Normal termination (§3.2 step 4): flushes stdout.
pub fn finish() {
    flush();
}

/// Writes diagnostics or `io_stderr_writeln` output to stderr, unbuffered. Program stdout is
/// flushed first so the two streams keep their relative order on a terminal.
pub fn write_stderr(s: &str) {
    let captured = CAPTURE_ERR.with(|c| match &mut *c.borrow_mut() {
        Some(buf) => {
            buf.push_str(s);
            true
        }
        None => false,
    });
    if captured {
        return;
    }
    flush();
    let err = std::io::stderr();
    let mut err = err.lock();
    let _ = err.write_all(s.as_bytes());
    let _ = err.flush();
}

/// Starts capturing this thread's stdout and stderr writes (tests). Restarting discards what
/// was captured so far.
pub fn start_capture() {
    CAPTURE.with(|c| *c.borrow_mut() = Some(String::new()));
    CAPTURE_ERR.with(|c| *c.borrow_mut() = Some(String::new()));
}

/// Stops capturing stdout and returns what was written since `start_capture` (empty if no
/// capture was active). Captured stderr stays available to `take_stderr_capture`.
pub fn take_capture() -> String {
    CAPTURE.with(|c| c.borrow_mut().take()).unwrap_or_default()
}

/// Stops capturing stderr and returns what was written since `start_capture`.
pub fn take_stderr_capture() -> String {
    CAPTURE_ERR
        .with(|c| c.borrow_mut().take())
        .unwrap_or_default()
}

/// Runs `f` and returns the stdout it wrote (tests).
pub fn capture<F: FnOnce()>(f: F) -> String {
    start_capture();
    f();
    take_capture()
}

/// Whether this thread's stdout is being captured.
pub fn is_capturing() -> bool {
    CAPTURE.with(|c| c.borrow().is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_collects_this_threads_output() {
        start_capture();
        write_str("a");
        write_str("b\n");
        write_stderr("oops\n");
        assert!(is_capturing());
        assert_eq!(take_capture(), "ab\n");
        assert_eq!(take_stderr_capture(), "oops\n");
        assert!(!is_capturing());
        assert_eq!(take_capture(), "");
    }

    #[test]
    fn capture_of_a_closure() {
        assert_eq!(capture(|| write_str("inside")), "inside");
        write_str(""); // not captured any more; an empty write is invisible anyway
    }

    #[test]
    fn flush_with_empty_buffer_is_harmless() {
        flush();
        finish();
    }
}
