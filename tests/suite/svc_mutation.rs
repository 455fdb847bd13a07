//! Mutation robustness of `.svc` loading: the reader, the verifier and the interpreter.
//!
//! A handful of conformance programs are compiled and written as `.svc` bytes, then mutated
//! one byte at a time (every position of small files, a fixed sample of `MAX_POSITIONS` for
//! larger ones): one bit flipped (each of the 8 bits), the byte set to `0x00` and to `0xff`,
//! the four bytes from there set to `0xff` (a u32 count, index or depth of `u32::MAX`), and the
//! file truncated there. Each mutant must either be rejected with an error by
//! `format::read` or `verify::verify`, or, if it still verifies, run in the real `solvrac`
//! binary without crashing: any exit status, a runtime error or a timeout is fine; a Rust panic
//! (exit status 101) or a signal (segfault, abort) is a bug.
//!
//! Two modes:
//! * **raw**: the file's checksum is left stale, so every mutant must be rejected by `read`
//!   (FNV-1a detects every single-byte change, and the header fields are all checked);
//! * **re-encoded**: the mutation is applied to the payload and the header's length and the
//!   FNV-1a checksum are recomputed, so the mutant reaches the payload parser and the verifier
//!   (and, if verified, the interpreter).
//!
//! Verified mutants that differ from the original program are run through the binary, at most
//! `MAX_RUNS_PER_PROGRAM` per program, chosen evenly from three classes in this order:
//! 1. changes to what the interpreter takes on trust without a check of its own: module `init`
//!    and `main` functions, captures, parameter and local counts, flags, and the operands of
//!    local-slot, cell, upvalue, iteration and closure instructions (the verifier checks their
//!    ranges, not what the slots hold);
//! 2. other changes to code, handlers, module tables or constant kinds;
//! 3. changes to constant values, names or line tables only.
//!
//! Failing mutants are saved under `$CARGO_TARGET_TMPDIR/svc_mutation/failures/` and named in
//! the failure message, grouped by cause. `SVC_MUTATION_RUNS=N` changes the number of runs per
//! program for one run of the test (`SVC_MUTATION_RUNS=all`: every distinct verified mutant,
//! which takes minutes). Known failures: docs/FUZZING.md, "Known bugs".

use crate::frontend::repo_root;
use solvrac::bytecode::{compile, format, verify, Constant, Op, Program};
use solvrac::frontend::{load_file, LoadOptions};
use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::os::unix::process::ExitStatusExt;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, Once};
use std::time::{Duration, Instant};

/// Conformance programs to mutate (`tests/data/conformance/NAME.svs`): loops, closures,
/// objects, match, try/catch/finally, async tasks, and a program with imported modules.
const PROGRAMS: &[&str] = &[
    "07_04_branches_loops",
    "07_07_closures_higher_order",
    "07_10_objects",
    "07_12_match",
    "07_14_try_catch_finally_panic",
    "07_15_async_await",
    "imports",
];

/// Files with more bytes than this are mutated at a deterministic sample of positions.
const MAX_POSITIONS: usize = 2000;
/// Verified mutants run through the binary, per program (`SVC_MUTATION_RUNS` overrides it).
const MAX_RUNS_PER_PROGRAM: usize = 200;

fn runs_per_program() -> usize {
    match std::env::var("SVC_MUTATION_RUNS") {
        Ok(v) if v == "all" => usize::MAX,
        Ok(v) => v.trim().parse().unwrap_or(MAX_RUNS_PER_PROGRAM),
        Err(_) => MAX_RUNS_PER_PROGRAM,
    }
}
/// Time limit for one run of a mutant; a mutant that loops is killed, which is not a failure.
const RUN_TIMEOUT: Duration = Duration::from_secs(5);
/// Parallel runs of mutants (the suite runs on a 2-core machine).
const RUN_WORKERS: usize = 2;

#[derive(Clone, Copy, Debug)]
enum Mutation {
    Flip(u8),
    Set(u8),
    /// Up to four bytes set to `0xff`.
    SetWordMax,
    Truncate,
}

impl Mutation {
    const ALL: [Mutation; 12] = [
        Mutation::Flip(0),
        Mutation::Flip(1),
        Mutation::Flip(2),
        Mutation::Flip(3),
        Mutation::Flip(4),
        Mutation::Flip(5),
        Mutation::Flip(6),
        Mutation::Flip(7),
        Mutation::Set(0x00),
        Mutation::Set(0xff),
        Mutation::SetWordMax,
        Mutation::Truncate,
    ];

    fn apply(self, bytes: &[u8], pos: usize) -> Vec<u8> {
        let mut out = bytes.to_vec();
        match self {
            Mutation::Flip(bit) => out[pos] ^= 1 << bit,
            Mutation::Set(v) => out[pos] = v,
            Mutation::SetWordMax => {
                let end = (pos + 4).min(out.len());
                out[pos..end].fill(0xff);
            }
            Mutation::Truncate => out.truncate(pos),
        }
        out
    }

    fn describe(self) -> String {
        match self {
            Mutation::Flip(bit) => format!("flip-bit{bit}"),
            Mutation::Set(v) => format!("set-{v:02x}"),
            Mutation::SetWordMax => "set-ffffffff".into(),
            Mutation::Truncate => "truncate".into(),
        }
    }
}

fn fnv1a(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in bytes {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// A `.svc` file around `payload`, with the right length and checksum.
fn encode(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 16);
    out.extend_from_slice(format::MAGIC);
    out.extend_from_slice(&format::VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&fnv1a(payload).to_le_bytes());
    out
}

/// Every position of a small file, else `MAX_POSITIONS` distinct positions chosen with a fixed
/// seed (always including the first and last bytes), in increasing order.
fn positions(len: usize, seed: u64) -> Vec<usize> {
    if len <= MAX_POSITIONS {
        return (0..len).collect();
    }
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut set: HashSet<usize> = [0, len - 1].into_iter().collect();
    while set.len() < MAX_POSITIONS {
        set.insert(rng.usize(..len));
    }
    let mut v: Vec<usize> = set.into_iter().collect();
    v.sort_unstable();
    v
}

enum Checked {
    /// `read` returned an error.
    Unreadable,
    /// `verify` returned an error.
    Rejected,
    Verified(Program),
    /// `read` or `verify` panicked.
    Panicked(String),
}

thread_local! {
    /// Set while this thread runs `read_and_verify`: its panics are expected and recorded.
    static CHECKING: Cell<bool> = const { Cell::new(false) };
    /// `FILE:LINE:COL: MESSAGE` of the last panic caught on this thread.
    static LAST_PANIC: RefCell<String> = const { RefCell::new(String::new()) };
}

/// Installs (once) a panic hook that records where a panic inside `read_and_verify` happened,
/// without printing it, and hands every other panic to the previous hook.
fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if CHECKING.with(|c| c.get()) {
                let msg = info
                    .payload()
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| info.payload().downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_else(|| "non-string panic payload".into());
                let at = info
                    .location()
                    .map(|l| format!("{}:{}:{}", l.file(), l.line(), l.column()))
                    .unwrap_or_else(|| "unknown location".into());
                LAST_PANIC.with(|p| *p.borrow_mut() = format!("{at}: {msg}"));
            } else {
                previous(info);
            }
        }));
    });
}

fn read_and_verify(bytes: &[u8]) -> Checked {
    CHECKING.with(|c| c.set(true));
    let r = catch_unwind(AssertUnwindSafe(|| match format::read(bytes) {
        Err(_) => Checked::Unreadable,
        Ok(p) => match verify::verify(&p) {
            Err(_) => Checked::Rejected,
            Ok(()) => Checked::Verified(p),
        },
    }));
    CHECKING.with(|c| c.set(false));
    r.unwrap_or_else(|_| Checked::Panicked(LAST_PANIC.with(|p| p.borrow().clone())))
}

/// Class 1 of the module comment: does `m` change a module's `init`/`main`, a function's
/// captures, counts or flags, or an instruction that addresses local slots, cells, upvalues,
/// iteration state or closures?
fn trusted_change(orig: &Program, m: &Program) -> bool {
    let slot_op = |op: &Op| {
        matches!(
            op,
            Op::LoadLocal { .. }
                | Op::StoreLocal { .. }
                | Op::LoadCell { .. }
                | Op::StoreCell { .. }
                | Op::InitCell { .. }
                | Op::NewCell { .. }
                | Op::BoxLocal { .. }
                | Op::LoadUpval { .. }
                | Op::StoreUpval { .. }
                | Op::IterPrep { .. }
                | Op::IterNext { .. }
                | Op::Closure { .. }
        )
    };
    orig.modules.len() == m.modules.len()
        && orig.functions.len() == m.functions.len()
        && (orig
            .modules
            .iter()
            .zip(&m.modules)
            .any(|(a, b)| a.init != b.init || a.main != b.main)
            || orig.functions.iter().zip(&m.functions).any(|(a, b)| {
                a.params != b.params
                    || a.required != b.required
                    || a.self_first != b.self_first
                    || a.is_async != b.is_async
                    || a.locals != b.locals
                    || a.captures != b.captures
                    || a.code
                        .iter()
                        .zip(&b.code)
                        .any(|(x, y)| x != y && (slot_op(x) || slot_op(y)))
            }))
}

/// Classes 1 and 2 of the module comment: does `m` differ from `orig` in more than constant
/// values, names and line tables?
fn structural_change(orig: &Program, m: &Program) -> bool {
    let kind = |c: &Constant| std::mem::discriminant(c);
    orig.entry != m.entry
        || orig.constants.len() != m.constants.len()
        || orig
            .constants
            .iter()
            .zip(&m.constants)
            .any(|(a, b)| kind(a) != kind(b))
        || orig.modules.len() != m.modules.len()
        || orig.modules.iter().zip(&m.modules).any(|(a, b)| {
            a.init != b.init
                || a.main != b.main
                || a.globals.len() != b.globals.len()
                || a.exports
                    .iter()
                    .map(|e| e.1)
                    .ne(b.exports.iter().map(|e| e.1))
        })
        || orig.functions.len() != m.functions.len()
        || orig.functions.iter().zip(&m.functions).any(|(a, b)| {
            a.module != b.module
                || a.params != b.params
                || a.required != b.required
                || a.self_first != b.self_first
                || a.is_async != b.is_async
                || a.locals != b.locals
                || a.captures != b.captures
                || a.code != b.code
                || a.handlers != b.handlers
        })
}

/// A verified mutant to run through the binary.
struct Candidate {
    label: String,
    bytes: Vec<u8>,
}

/// `n` items spread evenly over `items` (all of them if there are at most `n`).
fn spread<T>(items: Vec<T>, n: usize) -> Vec<T> {
    if items.len() <= n {
        return items;
    }
    let step = items.len() as f64 / n as f64;
    let wanted: HashSet<usize> = (0..n).map(|i| (i as f64 * step) as usize).collect();
    items
        .into_iter()
        .enumerate()
        .filter(|(i, _)| wanted.contains(i))
        .map(|(_, c)| c)
        .collect()
}

#[derive(Default)]
struct Tally {
    mutants: usize,
    unreadable: usize,
    rejected: usize,
    verified: usize,
    unchanged: usize,
}

enum RunResult {
    Exited(i32),
    TimedOut,
    Crashed(String),
}

/// Runs `solvrac run FILE` in `dir` with a time limit; stdout is discarded, stderr kept. A
/// mutant may call any builtin with whatever values it finds (a mutated `LoadBuiltin`), so it
/// runs in its own directory with an empty environment (`HOME` and `PATH` are that directory).
fn run_mutant(file: &Path, dir: &Path) -> RunResult {
    let err_path = file.with_extension("stderr");
    let err_file = std::fs::File::create(&err_path).expect("create stderr file");
    let mut child = Command::new(env!("CARGO_BIN_EXE_solvrac"))
        .arg("run")
        .arg(file.file_name().expect("file name"))
        .current_dir(dir)
        .env_clear()
        .env("HOME", dir)
        .env("PATH", dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(err_file)
        .spawn()
        .expect("cannot start solvrac");
    let start = Instant::now();
    let status = loop {
        match child.try_wait().expect("wait for solvrac") {
            Some(status) => break status,
            None if start.elapsed() > RUN_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                return RunResult::TimedOut;
            }
            None => std::thread::sleep(Duration::from_millis(2)),
        }
    };
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    // "panicked at FILE:LINE:COL:" and the message line, else the first line of stderr.
    let mut lines = stderr.lines().skip_while(|l| !l.contains("panicked at"));
    let what = match lines.next() {
        Some(first) => {
            let at = &first[first.find("panicked at").unwrap_or(0)..];
            format!("{at} {}", lines.next().unwrap_or(""))
        }
        None => stderr.lines().next().unwrap_or("").to_string(),
    };
    match status.code() {
        Some(101) => RunResult::Crashed(format!("exit status 101: {what}")),
        Some(code) => RunResult::Exited(code),
        None => RunResult::Crashed(format!(
            "killed by signal {}: {what}",
            status.signal().unwrap_or(0)
        )),
    }
}

fn save_failure(dir: &Path, label: &str, bytes: &[u8]) -> PathBuf {
    std::fs::create_dir_all(dir).expect("create failures dir");
    let path = dir.join(format!("{label}.svc"));
    std::fs::write(&path, bytes).expect("write failing mutant");
    path
}

#[test]
fn mutated_svc_files_are_rejected_or_run_without_crashing() {
    let started = Instant::now();
    install_panic_hook();
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("svc_mutation");
    let failures_dir = work.join("failures");
    let _ = std::fs::remove_dir_all(&work);
    std::fs::create_dir_all(&work).expect("create work dir");

    // (cause, saved mutant) of every failure.
    let mut failures: Vec<(String, PathBuf)> = Vec::new();
    let mut candidates: Vec<Candidate> = Vec::new();
    let mut total = Tally::default();
    let mut report = Vec::new();

    for (pi, name) in PROGRAMS.iter().enumerate() {
        let src = repo_root().join(format!("tests/data/conformance/{name}.svs"));
        let (program, diags) = load_file(&src, LoadOptions::default());
        assert!(diags.is_empty(), "{}: {diags:?}", src.display());
        let original = compile::compile(&program);
        verify::verify(&original).unwrap_or_else(|e| panic!("{name}: {e}"));
        let bytes = format::write(&original);
        let payload = &bytes[12..bytes.len() - 4];
        let mut tally = Tally::default();

        // Raw: the stale checksum (or a damaged header) must make `read` fail.
        for pos in positions(bytes.len(), pi as u64) {
            for m in Mutation::ALL {
                let mutant = m.apply(&bytes, pos);
                if mutant == bytes {
                    continue;
                }
                tally.mutants += 1;
                let label = format!("{name}-raw-{pos}-{}", m.describe());
                match read_and_verify(&mutant) {
                    Checked::Unreadable => tally.unreadable += 1,
                    Checked::Panicked(msg) => {
                        let path = save_failure(&failures_dir, &label, &mutant);
                        failures.push((format!("read/verify panicked at {msg}"), path));
                    }
                    Checked::Rejected | Checked::Verified(_) => {
                        let path = save_failure(&failures_dir, &label, &mutant);
                        failures.push((
                            "read accepted a file with a stale checksum or a damaged header".into(),
                            path,
                        ));
                    }
                }
            }
        }

        // Re-encoded: mutate the payload, then fix the length and the checksum.
        let mut seen: HashSet<Vec<u8>> = HashSet::new();
        let mut trusted = Vec::new();
        let mut structural = Vec::new();
        let mut data_only = Vec::new();
        for pos in positions(payload.len(), 1000 + pi as u64) {
            for m in Mutation::ALL {
                let mutated = m.apply(payload, pos);
                if mutated == payload {
                    continue;
                }
                let mutant = encode(&mutated);
                tally.mutants += 1;
                let label = format!("{name}-payload-{pos}-{}", m.describe());
                match read_and_verify(&mutant) {
                    Checked::Unreadable => tally.unreadable += 1,
                    Checked::Rejected => tally.rejected += 1,
                    Checked::Panicked(msg) => {
                        let path = save_failure(&failures_dir, &label, &mutant);
                        failures.push((format!("read/verify panicked at {msg}"), path));
                    }
                    Checked::Verified(p) => {
                        tally.verified += 1;
                        if p == original {
                            tally.unchanged += 1;
                            continue;
                        }
                        // Mutants that decode to the same program are run once.
                        if !seen.insert(format::write(&p)) {
                            continue;
                        }
                        let c = Candidate {
                            label,
                            bytes: mutant,
                        };
                        if trusted_change(&original, &p) {
                            trusted.push(c);
                        } else if structural_change(&original, &p) {
                            structural.push(c);
                        } else {
                            data_only.push(c);
                        }
                    }
                }
            }
        }
        let (n_trusted, n_struct, n_data) = (trusted.len(), structural.len(), data_only.len());
        // Half the runs for class 1, then class 2 up to 5/6, then class 3; a class with fewer
        // mutants leaves its room to the next.
        let max_runs = runs_per_program();
        let mut chosen = spread(trusted, max_runs / 2);
        let room = (max_runs - max_runs / 6).saturating_sub(chosen.len());
        chosen.extend(spread(structural, room));
        let room = max_runs.saturating_sub(chosen.len());
        chosen.extend(spread(data_only, room));
        report.push(format!(
            "{name}: {} bytes, {} mutants: {} unreadable, {} rejected by the verifier, {} \
             verified ({} unchanged; distinct changes: {n_trusted} class 1, {n_struct} class 2, \
             {n_data} class 3); {} to run",
            bytes.len(),
            tally.mutants,
            tally.unreadable,
            tally.rejected,
            tally.verified,
            tally.unchanged,
            chosen.len()
        ));
        candidates.extend(chosen);
        total.mutants += tally.mutants;
        total.unreadable += tally.unreadable;
        total.rejected += tally.rejected;
        total.verified += tally.verified;
    }
    let checked_at = started.elapsed();

    // Run the chosen verified mutants through the binary, RUN_WORKERS at a time.
    let next = AtomicUsize::new(0);
    let outcomes = Mutex::new((0usize, 0usize, 0usize, Vec::<(String, PathBuf)>::new()));
    std::thread::scope(|s| {
        for w in 0..RUN_WORKERS {
            let (candidates, next, outcomes, work, failures_dir) =
                (&candidates, &next, &outcomes, &work, &failures_dir);
            s.spawn(move || {
                let dir = work.join(format!("run{w}"));
                std::fs::create_dir_all(&dir).expect("create run dir");
                loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(c) = candidates.get(i) else { break };
                    let file = dir.join("mutant.svc");
                    std::fs::write(&file, &c.bytes).expect("write mutant");
                    let result = run_mutant(&file, &dir);
                    let mut o = outcomes.lock().unwrap();
                    match result {
                        RunResult::Exited(0) => o.0 += 1,
                        RunResult::Exited(_) => o.1 += 1,
                        RunResult::TimedOut => o.2 += 1,
                        RunResult::Crashed(why) => {
                            let path = save_failure(failures_dir, &c.label, &c.bytes);
                            o.3.push((format!("`solvrac run` crashed: {why}"), path));
                        }
                    }
                }
            });
        }
    });
    let (ok, errored, timed_out, crashed) = outcomes.into_inner().unwrap();
    failures.extend(crashed);

    report.push(format!(
        "total: {} mutants, {} unreadable, {} rejected, {} verified; {} runs: {ok} exit 0, \
         {errored} other exit status, {timed_out} timed out, {} crashed; read+verify {:.1} s, \
         all {:.1} s",
        total.mutants,
        total.unreadable,
        total.rejected,
        total.verified,
        candidates.len(),
        candidates.len() - ok - errored - timed_out,
        checked_at.as_secs_f64(),
        started.elapsed().as_secs_f64()
    ));
    eprintln!("svc mutation:\n  {}", report.join("\n  "));
    if failures.is_empty() {
        return;
    }
    // One paragraph per cause, with a few of the mutants that show it.
    let mut causes: Vec<(String, Vec<PathBuf>)> = Vec::new();
    for (cause, path) in failures.iter().cloned() {
        match causes.iter_mut().find(|(c, _)| *c == cause) {
            Some((_, paths)) => paths.push(path),
            None => causes.push((cause, vec![path])),
        }
    }
    let text: Vec<String> = causes
        .iter()
        .map(|(cause, paths)| {
            let shown: Vec<String> = paths
                .iter()
                .take(3)
                .map(|p| p.display().to_string())
                .collect();
            format!(
                "{cause}\n  {} mutant(s), e.g.\n    {}\n  reproduce: cargo run -q --bin solvrac -- \
                 disasm FILE (or run FILE)",
                paths.len(),
                shown.join("\n    ")
            )
        })
        .collect();
    panic!(
        "{} mutant(s) crashed the reader, the verifier or the interpreter ({} cause(s)); all are \
         saved in {}:\n\n{}",
        failures.len(),
        causes.len(),
        failures_dir.display(),
        text.join("\n\n")
    );
}
