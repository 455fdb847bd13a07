//! `SOLVRA_TRACE=trace.json`: what the runtime does over time, as Chrome trace-event JSON
//! (opens in Perfetto or chrome://tracing; docs/DEBUGGING.md).
//!
//! Events: each task's running spans on a track of its own (the main program is track 1, the
//! tasks 2, 3, … in the order they first run), an instant `switch` event at every task switch, collections
//! (`gc`, with the bytes before and after), and each system call (`syscall`) and HAL
//! operation (`hal`) with its duration, on the track of the task that made it, and in code built
//! with `solvrac build --trace` every SolvraScript call (`call`, `B`/`E` pairs). Timestamps are
//! microseconds since the program started. The events are kept in memory and written when the
//! program ends (normally, by an uncaught error or by `exit`).
//!
//! Off (no `SOLVRA_TRACE`), every hook is one relaxed load of a flag.

use std::fmt::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// The environment variable naming the trace file.
pub const ENV: &str = "SOLVRA_TRACE";

/// The track of the main program.
pub const MAIN_TRACK: u32 = 1;

static ON: AtomicBool = AtomicBool::new(false);
/// Whether the interpreter and the JIT record calls (`solvrac run --trace`).
static CALLS: AtomicBool = AtomicBool::new(false);
static TRACE: Mutex<Option<Trace>> = Mutex::new(None);

struct Trace {
    path: String,
    start: Instant,
    /// Event objects, as JSON text.
    events: Vec<String>,
    /// The running track and since when.
    running: (u32, Instant),
    /// The key (`task_switch`) of each task track, in track order from track 2.
    tasks: Vec<u64>,
}

impl Trace {
    fn us(&self, at: Instant) -> f64 {
        at.saturating_duration_since(self.start).as_secs_f64() * 1e6
    }

    /// The track of the task with `key` (0: the main program), named when it is new.
    fn track(&mut self, key: u64) -> u32 {
        if key == 0 {
            return MAIN_TRACK;
        }
        if let Some(i) = self.tasks.iter().position(|&k| k == key) {
            return i as u32 + 2;
        }
        self.tasks.push(key);
        let track = self.tasks.len() as u32 + 1;
        self.name_track(track, &format!("task {}", track - 1));
        track
    }

    fn name_track(&mut self, track: u32, name: &str) {
        self.events.push(format!(
            r#"{{"ph":"M","name":"thread_name","pid":1,"tid":{track},"args":{{"name":"{name}"}}}}"#
        ));
    }

    fn complete(&mut self, cat: &str, name: &str, track: u32, start: Instant, args: &str) {
        let (ts, dur) = (self.us(start), self.us(Instant::now()) - self.us(start));
        self.events.push(format!(
            r#"{{"ph":"X","cat":"{cat}","name":"{name}","pid":1,"tid":{track},"ts":{ts:.3},"dur":{dur:.3},"args":{args}}}"#
        ));
    }
}

/// Whether a trace is being recorded.
#[inline]
pub fn enabled() -> bool {
    ON.load(Ordering::Relaxed)
}

/// Makes the interpreter and the JIT record every call and return (`solvrac run --trace`);
/// set before the program is loaded. Native code records them if it was built with `--trace`.
pub fn set_call_events(on: bool) {
    CALLS.store(on, Ordering::Relaxed);
}

/// Whether `set_call_events` asked for call events.
pub fn call_events() -> bool {
    CALLS.load(Ordering::Relaxed)
}

/// Starts recording if `SOLVRA_TRACE` names a file (the tiers call this as a program starts).
pub fn start_from_env() {
    let path = match std::env::var(ENV) {
        Ok(p) if !p.is_empty() => p,
        _ => return,
    };
    let now = Instant::now();
    let mut t = Trace {
        path,
        start: now,
        events: Vec::new(),
        running: (MAIN_TRACK, now),
        tasks: Vec::new(),
    };
    t.name_track(MAIN_TRACK, "main");
    *lock() = Some(t);
    ON.store(true, Ordering::Relaxed);
}

fn lock() -> std::sync::MutexGuard<'static, Option<Trace>> {
    TRACE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Records a span of category `cat` from `start` to now on the running task's track;
/// `args` is a JSON object.
pub fn complete(cat: &str, name: &str, start: Instant, args: &str) {
    if let Some(t) = lock().as_mut() {
        let track = t.running.0;
        t.complete(cat, name, track, start, args);
    }
}

/// A SolvraScript function starts (`B`) or returns (`E`, `name` unused) on the running task's
/// track: the events of code built with `solvrac build --trace`.
pub fn call_event(begin: bool, name: &str) {
    if let Some(t) = lock().as_mut() {
        let ts = t.us(Instant::now());
        let track = t.running.0;
        let event = if begin {
            format!(
                r#"{{"ph":"B","cat":"call","name":"{}","pid":1,"tid":{track},"ts":{ts:.3},"args":{{}}}}"#,
                json_escape(name)
            )
        } else {
            format!(r#"{{"ph":"E","cat":"call","pid":1,"tid":{track},"ts":{ts:.3},"args":{{}}}}"#)
        };
        t.events.push(event);
    }
}

fn json_escape(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// `call_event(true, NAME)` for compiled code.
///
/// # Safety
/// `name` points to `len` bytes of UTF-8.
#[no_mangle]
pub unsafe extern "C" fn solvra_trace_call(name: *const u8, len: usize) {
    if enabled() {
        let name = String::from_utf8_lossy(std::slice::from_raw_parts(name, len));
        call_event(true, &name);
    }
}

/// `call_event(false, …)` for compiled code: the function that called `solvra_trace_call`
/// last returns (normally or with an error).
#[no_mangle]
pub extern "C" fn solvra_trace_return() {
    if enabled() {
        call_event(false, "");
    }
}

/// The task with `key` (an identity of the task's, 0 for the main program) runs from now on:
/// ends the span of the one that ran.
pub fn task_switch(key: u64) {
    if let Some(t) = lock().as_mut() {
        let (from, since) = t.running;
        let track = t.track(key);
        if from == track {
            return;
        }
        t.complete("task", "run", from, since, "{}");
        let ts = t.us(Instant::now());
        t.events.push(format!(
            r#"{{"ph":"i","s":"p","cat":"task","name":"switch","pid":1,"tid":{track},"ts":{ts:.3},"args":{{"from":{from},"to":{track}}}}}"#
        ));
        t.running = (track, Instant::now());
    }
}

/// Writes the trace file and stops recording; a file that cannot be written is reported on
/// stderr (the program's outcome stands).
pub fn finish() {
    let trace = lock().take();
    ON.store(false, Ordering::Relaxed);
    let mut t = match trace {
        Some(t) => t,
        None => return,
    };
    let (track, since) = t.running;
    t.complete("task", "run", track, since, "{}");
    let mut out = String::from("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
    for (i, e) in t.events.iter().enumerate() {
        let _ = write!(out, "{}{e}", if i == 0 { "" } else { ",\n" });
    }
    out.push_str("\n]}\n");
    if let Err(e) = std::fs::write(&t.path, out) {
        crate::stdout::write_stderr(&format!("solvra: cannot write the trace {}: {e}\n", t.path));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trace_is_json_with_every_kind_of_event() {
        let path = std::env::temp_dir().join(format!("solvra-trace-{}.json", std::process::id()));
        std::env::set_var(ENV, &path);
        start_from_env();
        std::env::remove_var(ENV);
        assert!(enabled());
        let t0 = Instant::now();
        complete("syscall", "__fs_read", t0, "{}");
        task_switch(0x1000);
        complete("gc", "collect", t0, r#"{"before":10,"after":4}"#);
        call_event(true, "say \"hi\"");
        call_event(false, "");
        task_switch(0);
        finish();
        assert!(!enabled());
        let text = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        let parsed = crate::testutil::rooted(|| crate::json::parse(&text).is_ok());
        assert!(parsed, "not JSON: {text}");
        for needle in [
            r#""name":"thread_name","pid":1,"tid":1,"args":{"name":"main"}"#,
            r#""name":"thread_name","pid":1,"tid":2,"args":{"name":"task 1"}"#,
            r#""cat":"syscall","name":"__fs_read","pid":1,"tid":1"#,
            r#""cat":"gc","name":"collect","pid":1,"tid":2"#,
            r#""name":"switch","pid":1,"tid":2"#,
            r#""args":{"from":2,"to":1}"#,
            r#""ph":"B","cat":"call","name":"say \"hi\"","pid":1,"tid":2"#,
            r#""ph":"E","cat":"call","pid":1,"tid":2"#,
        ] {
            assert!(text.contains(needle), "{needle} missing from {text}");
        }
    }
}
