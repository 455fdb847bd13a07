//! Shared harness for the solvrac fuzz targets.
//!
//! The `solvrac` CLI runs the whole frontend on a worker thread with a 256 MiB stack
//! (`compiler/src/driver.rs`, `WORKER_STACK`): the parser accepts up to `MAX_DEPTH` (20 000)
//! nesting levels and grows its stack with `stacker` (so does the resolver), but other recursive
//! walks over the tree (the compiler-generated `Drop` of a deep AST, …) rely on that big stack. A fuzz target that ran on
//! libFuzzer's main thread (8 MiB) would report stack overflows the real tool cannot hit, so
//! every input is run on one long-lived worker thread with the same stack size as the CLI.
//! Inputs are also capped at [`MAX_INPUT`] bytes: enough to reach the nesting limit
//! (20 001 × `(` is 20 KiB) while keeping executions fast. The cap can be changed for one run
//! with the environment variable `SOLVRAC_FUZZ_MAX_INPUT` (bytes; `0` = no cap), e.g. to
//! replay a large reproducer from `fuzz/regressions/`.
//!
//! Targets that build runtime values (`json_parse`, `jsonrpc`) go through [`with_runtime_heap`]:
//! the collector's conservative stack scan cannot work under AddressSanitizer (see there).

use std::cell::Cell;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Mutex, OnceLock};

/// Same value as `WORKER_STACK` in `compiler/src/driver.rs`.
pub const WORKER_STACK: usize = 256 * 1024 * 1024;

/// Longer inputs are ignored (libFuzzer's `-max_len` is set to this by `scripts/fuzz.sh` too).
pub const MAX_INPUT: usize = 64 * 1024;

/// [`MAX_INPUT`], or `SOLVRAC_FUZZ_MAX_INPUT` when set (`0` means no cap).
pub fn max_input() -> usize {
    static CAP: OnceLock<usize> = OnceLock::new();
    *CAP.get_or_init(|| match std::env::var("SOLVRAC_FUZZ_MAX_INPUT") {
        Ok(v) => match v.trim().parse::<usize>() {
            Ok(0) => usize::MAX,
            Ok(n) => n,
            Err(_) => MAX_INPUT,
        },
        Err(_) => MAX_INPUT,
    })
}

/// Self-test hook: when `SOLVRAC_FUZZ_PANIC_ON` is set to a non-empty string, an input that
/// contains it panics (on the worker thread), which checks that a panic really ends the run as
/// a crash (see docs/FUZZING.md, "Checking the harness").
fn panic_marker() -> Option<&'static str> {
    static MARKER: OnceLock<Option<String>> = OnceLock::new();
    MARKER
        .get_or_init(|| {
            std::env::var("SOLVRAC_FUZZ_PANIC_ON")
                .ok()
                .filter(|m| !m.is_empty())
        })
        .as_deref()
}

type Job = Box<dyn FnOnce() + Send + 'static>;

struct Worker {
    jobs: Sender<Job>,
    done: Receiver<()>,
}

fn worker() -> &'static Mutex<Worker> {
    static WORKER: OnceLock<Mutex<Worker>> = OnceLock::new();
    WORKER.get_or_init(|| {
        let (jobs, job_rx) = channel::<Job>();
        let (done_tx, done) = channel::<()>();
        std::thread::Builder::new()
            .name("solvrac-fuzz-worker".into())
            .stack_size(WORKER_STACK)
            .spawn(move || {
                for job in job_rx {
                    // A panic here aborts the process (libfuzzer-sys installs an aborting panic
                    // hook), so libFuzzer records the input as a crash.
                    job();
                    if done_tx.send(()).is_err() {
                        break;
                    }
                }
            })
            .expect("cannot start the fuzz worker thread");
        Mutex::new(Worker { jobs, done })
    })
}

/// Runs `f(text)` on the big-stack worker thread and waits for it; `text` is `data` decoded
/// with `String::from_utf8_lossy`. Inputs longer than [`max_input`] are skipped.
pub fn run_on_big_stack(data: &[u8], f: fn(&str)) {
    if data.len() > max_input() {
        return;
    }
    let text = String::from_utf8_lossy(data).into_owned();
    let w = worker().lock().unwrap_or_else(|e| e.into_inner());
    w.jobs
        .send(Box::new(move || {
            if let Some(marker) = panic_marker() {
                assert!(
                    !text.contains(marker),
                    "SOLVRAC_FUZZ_PANIC_ON self-test: input contains {marker:?}"
                );
            }
            f(&text)
        }))
        .expect("fuzz worker thread is gone");
    w.done.recv().expect("fuzz worker thread is gone");
}

/// Runs `f`, which may allocate runtime values, with no collection while it runs, then frees
/// everything it allocated.
///
/// The runtime's collector finds its roots by scanning the native stack word by word, from the
/// current frame up to a base (`solvra_rt::heap::with_stack_base`). Under AddressSanitizer that
/// scan is wrong twice over: ASan moves address-taken locals (the base marker, the scanner's own
/// frame) to a "fake stack" on the heap, so the scanned range misses the real frames and live
/// values get freed (a `json_parse` run found this as a failed `ObjKind` assertion in
/// `json::hold`); and with fake stacks off, reading the redzones between locals is reported as
/// a stack-buffer-overflow. Neither happens outside ASan. So the heap's first collection is
/// put at 1 GiB (an input of at most 64 KiB allocates far less), no stack base is ever set,
/// and after `f` a collection with no stack roots frees what `f` allocated.
pub fn with_runtime_heap(f: impl FnOnce()) {
    thread_local! {
        static CONFIGURED: Cell<bool> = const { Cell::new(false) };
    }
    if !CONFIGURED.with(|c| c.replace(true)) {
        solvra_rt::heap::configure(solvra_rt::heap::HeapConfig {
            initial_threshold: 1 << 30,
            ..solvra_rt::heap::HeapConfig::default()
        });
    }
    f();
    solvra_rt::heap::collect();
}
