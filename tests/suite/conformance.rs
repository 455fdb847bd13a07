//! The conformance suite: every program in `tests/data/conformance` runs in every tier of
//! `solvrac run` (the bytecode interpreter, the JIT, and the tiered interpreter with every
//! function compiled on its first call) and natively built, and must print
//! exactly its `.out` file, exit with its `.status` (default 0), and write to stderr exactly
//! when a `.stderr` file exists, starting with its line (a program ended by `exit(n)` is not a failure and writes nothing there).
//!
//! Programs run through the real `solvrac` binary, as a user would run them, in parallel, each
//! with a time limit. Every mismatch is reported with a diff. They run with `SOLVRA_HAL_SIM`
//! naming examples/hal_devices.json, so programs that use the `hal` module see the simulator's
//! devices (docs/HAL.md); the others never look at it.

use crate::frontend::{repo_root, svs_files};
use solvrac::bytecode::{compile, format, verify};
use solvrac::frontend::{load_file, LoadOptions};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

const TIME_LIMIT: Duration = Duration::from_secs(30);

pub(crate) struct Expected {
    pub(crate) stdout: String,
    pub(crate) status: i32,
    pub(crate) stderr_prefix: Option<String>,
}

/// What `program`'s `.out`, `.status` and `.stderr` files expect of it.
pub(crate) fn expected(program: &Path) -> Expected {
    let read = |ext: &str| std::fs::read_to_string(program.with_extension(ext)).ok();
    Expected {
        stdout: read("out").unwrap_or_else(|| panic!("{} has no .out file", program.display())),
        status: read("status").map_or(0, |s| s.trim().parse().expect("numeric .status")),
        stderr_prefix: read("stderr").map(|s| s.trim_end().to_string()),
    }
}

/// The simulator's device file every conformance program runs with.
fn hal_devices() -> PathBuf {
    repo_root().join("examples/hal_devices.json")
}

/// Runs `solvrac ARGS` with a time limit; returns (status, stdout, stderr).
pub(crate) fn run_solvrac(args: &[&str], cwd: &Path) -> Result<(i32, String, String), String> {
    run_solvrac_env(args, cwd, &[])
}

/// `run_solvrac` with extra environment variables.
fn run_solvrac_env(
    args: &[&str],
    cwd: &Path,
    env: &[(&str, String)],
) -> Result<(i32, String, String), String> {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_solvrac"));
    cmd.args(args)
        .env("SOLVRA_HAL_SIM", hal_devices())
        .envs(env.iter().map(|(k, v)| (k, v)))
        .current_dir(cwd);
    let (out, timed_out) =
        run_limited(&mut cmd, TIME_LIMIT).map_err(|e| format!("solvrac: {e}"))?;
    if timed_out {
        return Err(format!("timed out after {} s", TIME_LIMIT.as_secs()));
    }
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// Runs `cmd` with stdin from /dev/null and its output captured, killing it after `limit`.
/// Returns the output and whether the limit killed it (the output is then what it wrote until
/// the kill).
pub(crate) fn run_limited(cmd: &mut Command, limit: Duration) -> Result<(Output, bool), String> {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {:?}: {e}", cmd.get_program()))?;
    let pid = child.id();
    // Collect the output on another thread (so a full pipe never blocks the child) and kill
    // the child if it runs out of time.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let (out, timed_out) = match rx.recv_timeout(limit) {
        Ok(out) => (out, false),
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            (rx.recv().map_err(|e| e.to_string())?, true)
        }
    };
    Ok((out.map_err(|e| e.to_string())?, timed_out))
}

/// `f` of every item, computed on two threads (the machine's cores), in the items' order.
pub(crate) fn on_two_workers<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let workers = 2;
    let f = &f;
    let mut results: Vec<(usize, R)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                s.spawn(move || {
                    items
                        .iter()
                        .enumerate()
                        .skip(w)
                        .step_by(workers)
                        .map(|(i, item)| (i, f(item)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker"))
            .collect()
    });
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// A line diff of expected and actual output, marking the first difference.
pub(crate) fn diff(expected: &str, actual: &str) -> String {
    let mut out = String::new();
    let e: Vec<&str> = expected.split_inclusive('\n').collect();
    let a: Vec<&str> = actual.split_inclusive('\n').collect();
    for i in 0..e.len().max(a.len()) {
        match (e.get(i), a.get(i)) {
            (Some(x), Some(y)) if x == y => out.push_str(&format!("   {x:?}\n")),
            (x, y) => {
                if let Some(x) = x {
                    out.push_str(&format!(" - {x:?}\n"));
                }
                if let Some(y) = y {
                    out.push_str(&format!(" + {y:?}\n"));
                }
            }
        }
    }
    out
}

fn check_program(program: &Path, tier: &str, env: &[(&str, String)]) -> Option<String> {
    let want = expected(program);
    let dir = program.parent().expect("in a directory");
    let name = program.file_name().unwrap().to_string_lossy().to_string();
    let tier_arg = format!("--tier={tier}");
    let (status, stdout, stderr) = match run_solvrac_env(&["run", &tier_arg, &name], dir, env) {
        Ok(r) => r,
        Err(e) => return Some(format!("{name} [{tier}]: {e}")),
    };
    let problems = mismatches(&want, &stdout, status, &stderr);
    (!problems.is_empty()).then(|| format!("{name} [{tier}]: {}", problems.join("\n")))
}

/// How a run's stdout, exit status and stderr differ from what `want` expects (empty: they match).
pub(crate) fn mismatches(want: &Expected, stdout: &str, status: i32, stderr: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if stdout != want.stdout {
        problems.push(format!("stdout differs:\n{}", diff(&want.stdout, stdout)));
    }
    if status != want.status {
        problems.push(format!("exit status {status}, expected {}", want.status));
    }
    if let Some(prefix) = &want.stderr_prefix {
        if !stderr.starts_with(prefix.as_str()) {
            problems.push(format!("stderr does not start with {prefix:?}:\n{stderr}"));
        }
    } else if !stderr.is_empty() {
        problems.push(format!("unexpected stderr:\n{stderr}"));
    }
    problems
}

/// A target a native build test covers: its name for `--target` and how its executables run.
#[cfg(feature = "llvm")]
struct NativeTarget {
    name: &'static str,
    /// `None` for the host; the qemu-user emulator otherwise.
    emulator: Option<&'static str>,
}

/// Builds a program with `solvrac build` and runs the executable.
#[cfg(feature = "llvm")]
fn check_native(
    program: &Path,
    opt: &str,
    out_dir: &Path,
    target: &NativeTarget,
) -> Result<(), String> {
    let want = expected(program);
    let dir = program.parent().expect("in a directory");
    let name = program.file_name().unwrap().to_string_lossy().to_string();
    let label = format!("{name} [{} {opt}]", target.name);
    let exe = out_dir.join(format!(
        "{}-{}{opt}",
        program.file_stem().unwrap().to_string_lossy(),
        target.name
    ));
    let exe_s = exe.to_string_lossy().to_string();
    let args = ["build", "--target", target.name, opt, &name, "-o", &exe_s];
    let (status, _, stderr) = run_solvrac(&args, dir).map_err(|e| format!("{label}: {e}"))?;
    if status != 0 {
        return Err(format!("{label}: build failed:\n{stderr}"));
    }
    let mut cmd = match target.emulator {
        Some(qemu) => {
            let mut c = Command::new(qemu);
            c.arg(&exe);
            c
        }
        None => Command::new(&exe),
    };
    let out = cmd
        .current_dir(dir)
        .env("SOLVRA_HAL_SIM", hal_devices())
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{label}: cannot run: {e}"))?;
    let _ = std::fs::remove_file(&exe);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let mut problems = Vec::new();
    if stdout != want.stdout {
        problems.push(format!("stdout differs:\n{}", diff(&want.stdout, &stdout)));
    }
    let status = out.status.code().unwrap_or(-1);
    if status != want.status {
        problems.push(format!(
            "exit status {status}, expected {}\n{stderr}",
            want.status
        ));
    }
    if let Some(prefix) = &want.stderr_prefix {
        if !stderr.starts_with(prefix.as_str()) {
            problems.push(format!("stderr does not start with {prefix:?}:\n{stderr}"));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(format!("{label}: {}", problems.join("\n")))
    }
}

/// Runs `check_native` over `jobs` on two workers; fails listing every mismatch.
#[cfg(feature = "llvm")]
fn run_native(jobs: Vec<(PathBuf, &'static str, NativeTarget)>, what: &str) {
    let out_dir =
        std::env::temp_dir().join(format!("solvrac-native-{}-{what}", std::process::id()));
    std::fs::create_dir_all(&out_dir).expect("temp dir");
    let results: Vec<(PathBuf, Result<(), String>)> = on_two_workers(&jobs, |(f, opt, t)| {
        (f.clone(), check_native(f, opt, &out_dir, t))
    });
    let _ = std::fs::remove_dir_all(&out_dir);
    let failures: Vec<&String> = results
        .iter()
        .filter_map(|(_, r)| r.as_ref().err())
        .collect();
    eprintln!("{what}: {} builds ran", results.len());
    assert!(
        failures.is_empty(),
        "{} native builds failed:\n\n{}",
        failures.len(),
        failures
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>()
            .join("\n\n")
    );
}

/// The AOT tier: every conformance program, built at -O0 and -O2, prints exactly its expected
/// output and exits with its expected status.
#[cfg(feature = "llvm")]
#[test]
fn every_program_built_natively() {
    let jobs = conformance_programs()
        .into_iter()
        .flat_map(|f| {
            ["-O0", "-O2"].map(|opt| {
                (
                    f.clone(),
                    opt,
                    NativeTarget {
                        name: "x86_64-linux-gnu",
                        emulator: None,
                    },
                )
            })
        })
        .collect();
    run_native(jobs, "aot");
}

/// An ARM target of the cross tests: its `solvrac build --target` name, the qemu-user emulator
/// that runs its executables, and the Rust triple its runtime library is built for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ArmTarget {
    pub(crate) name: &'static str,
    pub(crate) emulator: &'static str,
    pub(crate) triple: &'static str,
}

const ARM_TARGETS: [ArmTarget; 2] = [
    ArmTarget {
        name: "aarch64-linux-gnu",
        emulator: "qemu-aarch64",
        triple: "aarch64-unknown-linux-gnu",
    },
    ArmTarget {
        name: "armv7-linux-gnueabihf",
        emulator: "qemu-arm",
        triple: "armv7-unknown-linux-gnueabihf",
    },
];

/// The ARM targets the cross tests cover: those named in `SOLVRAC_CROSS_TARGETS` (`build
/// --target` names, Rust triples or just `aarch64`/`armv7`, separated by spaces or commas;
/// empty: none), else both. The
/// CI matrix gives each ARM job its own target and the x86_64 job none (docs/CI_PLAN.md).
/// Outside CI, a target whose runtime library `scripts/build-cross-runtime.sh` has not built is
/// skipped with a message; in CI that is a failure.
pub(crate) fn arm_targets() -> Vec<ArmTarget> {
    let wanted: Vec<ArmTarget> = match std::env::var("SOLVRAC_CROSS_TARGETS") {
        Ok(list) => list
            .split([' ', ','])
            .filter(|w| !w.is_empty())
            .map(|w| {
                *ARM_TARGETS
                    .iter()
                    .find(|t| t.name == w || t.triple == w || t.name.split('-').next() == Some(w))
                    .unwrap_or_else(|| panic!("SOLVRAC_CROSS_TARGETS: unknown target {w:?}"))
            })
            .collect(),
        Err(_) => ARM_TARGETS.to_vec(),
    };
    wanted
        .into_iter()
        .filter(|t| {
            let lib = repo_root().join(format!("target/cross-runtime/{}/libsolvra_rt.a", t.triple));
            if lib.is_file() {
                return true;
            }
            assert!(
                std::env::var_os("CI").is_none(),
                "{} missing: run `bash scripts/build-cross-runtime.sh` first",
                lib.display()
            );
            eprintln!(
                "{} skipped: run `bash scripts/build-cross-runtime.sh` to build its runtime",
                t.name
            );
            false
        })
        .collect()
}

/// Cross builds for ARMv7 and AArch64 (those of `arm_targets`) run under qemu-user and print
/// exactly the expected output: every program at -O2 (the host test covers -O0 as well).
#[cfg(feature = "llvm")]
#[test]
fn programs_cross_built_for_arm_run_under_qemu() {
    let targets = arm_targets();
    let jobs = conformance_programs()
        .into_iter()
        .flat_map(|f| {
            targets.iter().map(move |t| {
                (
                    f.clone(),
                    "-O2",
                    NativeTarget {
                        name: t.name,
                        emulator: Some(t.emulator),
                    },
                )
            })
        })
        .collect();
    run_native(jobs, "cross");
}

/// A garbage-heavy program: loops that stay in one frame while they pass fresh arrays and
/// objects to calls, and a `push` loop whose array is copied at every step (the call shares it).
/// `{N}` and `{M}` set the sizes.
#[cfg(feature = "llvm")]
const GARBAGE_PROGRAM: &str = r#"fn pair(i) { return [i, str(i)] }
fn size(x) { return len(x) }
fn churn(n) {
    let mut kept = []
    let mut sum = 0
    let mut i = 0
    while i < n {
        let o = {p: pair(i), s: "t" + str(i)}
        sum += len(o.p) + len(o.s)
        if i % 100 == 0 { kept = push(kept, o) }
        i += 1
    }
    return [sum, kept]
}
fn grow(n) {
    let mut a = []
    let mut sum = 0
    let mut i = 0
    while i < n { a = push(a, i); sum += size(a); i += 1 }
    return sum
}
let mut total = 0
let mut last = null
let mut k = 0
while k < 4 {
    let r = churn({N})
    total += r[0]
    last = r[1]
    k += 1
}
total += grow({M})
println(str(total) + " " + str(len(last)) + " " + last[2].s + " " + last[2].p[1])
"#;

/// The number before the last `suffix` in a `SOLVRA_GC_STATS=1` report.
#[cfg(feature = "llvm")]
fn gc_stat(report: &str, suffix: &str) -> usize {
    let at = report
        .rfind(suffix)
        .unwrap_or_else(|| panic!("no {suffix:?} in the GC report:\n{report}"));
    let digits: String = report[..at]
        .trim_end()
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.chars().rev().collect::<String>().parse().unwrap()
}

/// Natively compiled programs free their garbage: the collector frees the dead objects and what
/// survives the last collection is the small live set, at -O0 and -O2 (the code generator once
/// put call-argument arrays in `alloca`s inside loops, so the frame grew every iteration and the
/// conservative stack scan kept every value ever passed alive). Under `SOLVRA_GC_STRESS=1` the
/// output stays right, so nothing live is freed.
#[cfg(feature = "llvm")]
#[test]
fn native_programs_free_their_garbage() {
    let dir = std::env::temp_dir().join(format!("solvrac-gc-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let build = |n: u32, m: u32, opt: &str| -> PathBuf {
        let name = format!("garbage_{n}_{m}.svs");
        let src = GARBAGE_PROGRAM
            .replace("{N}", &n.to_string())
            .replace("{M}", &m.to_string());
        std::fs::write(dir.join(&name), src).expect("write program");
        let exe = dir.join(format!("garbage_{n}_{m}{opt}"));
        let exe_s = exe.to_string_lossy().to_string();
        let (status, _, stderr) =
            run_solvrac(&["build", opt, &name, "-o", &exe_s], &dir).expect("solvrac runs");
        assert_eq!(status, 0, "build {opt} failed:\n{stderr}");
        exe
    };
    let run = |exe: &Path, env: &[(&str, &str)]| -> (String, String) {
        let out = Command::new(exe)
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .output()
            .expect("run the program");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "{}: {stderr}", exe.display());
        (String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
    };
    for opt in ["-O0", "-O2"] {
        let exe = build(3000, 1000, opt);
        let (stdout, report) = run(
            &exe,
            &[("SOLVRA_GC_STATS", "1"), ("SOLVRA_GC_INITIAL_HEAP", "64K")],
        );
        assert_eq!(stdout, "580060 30 t200 200\n", "{opt}");
        let freed = gc_stat(&report, "objects,");
        let freed_bytes = gc_stat(&report, " bytes");
        let live = gc_stat(&report, "bytes live after the last collection");
        // About 5 objects per `churn` step die, and 1000 copies of `a` (8 MB together); the
        // survivors are the 30 kept objects, the last `a` and the runtime's own values: ~31 KB
        // after the last collection (7.9 MB when every copy stayed alive).
        assert!(
            freed >= 55_000,
            "{opt}: only {freed} objects freed:\n{report}"
        );
        assert!(
            freed_bytes >= 6 << 20,
            "{opt}: {freed_bytes} bytes freed:\n{report}"
        );
        assert!(live < 256 << 10, "{opt}: {live} bytes live:\n{report}");
    }
    let exe = build(300, 100, "-O2");
    let (stdout, _) = run(&exe, &[("SOLVRA_GC_STRESS", "1")]);
    assert_eq!(stdout, "11810 3 t200 200\n", "under SOLVRA_GC_STRESS=1");
    let _ = std::fs::remove_dir_all(&dir);
}

fn conformance_programs() -> Vec<PathBuf> {
    let mut files = svs_files(&repo_root().join("tests/data/conformance"));
    files.extend(
        svs_files(&repo_root().join("examples"))
            .into_iter()
            .filter(|f| f.with_extension("out").exists()),
    );
    files
}

/// Environment variables a run gets.
type Env = Vec<(&'static str, String)>;

/// The object cache directory of this test run's JIT runs.
fn cache_dir() -> PathBuf {
    std::env::temp_dir().join(format!("solvrac-cache-{}", std::process::id()))
}

/// The tiers of `solvrac run`, each with the environment it runs with. The JIT's object
/// cache goes to a directory of the test run's own, which starts empty.
fn run_tiers() -> Vec<(&'static str, Env)> {
    let mut tiers: Vec<(&str, Env)> = vec![("interp", Vec::new())];
    if cfg!(feature = "llvm") {
        let _ = std::fs::remove_dir_all(cache_dir());
        let cache = cache_dir().to_string_lossy().into_owned();
        tiers.push(("jit", vec![("SOLVRAC_CACHE_DIR", cache.clone())]));
        // Threshold 1: every function that can be compiled is, on its first call.
        tiers.push((
            "auto",
            vec![
                ("SOLVRA_JIT_THRESHOLD", "1".into()),
                ("SOLVRAC_CACHE_DIR", cache),
            ],
        ));
    }
    tiers
}

#[test]
fn every_program_in_every_tier() {
    let files = conformance_programs();
    assert!(files.len() >= 24);
    let tiers = run_tiers();
    let jobs: Vec<(&PathBuf, &str, &Env)> = tiers
        .iter()
        .flat_map(|(tier, env)| files.iter().map(move |f| (f, *tier, env)))
        .collect();
    let failures: Vec<String> = on_two_workers(&jobs, |(f, tier, env)| check_program(f, tier, env))
        .into_iter()
        .flatten()
        .collect();
    let _ = std::fs::remove_dir_all(cache_dir());
    assert!(
        failures.is_empty(),
        "{} of {} conformance runs failed:\n\n{}",
        failures.len(),
        jobs.len(),
        failures.join("\n\n")
    );
}

#[test]
fn compiled_programs_pass_the_verifier_and_round_trip() {
    for file in conformance_programs() {
        let (program, diags) = load_file(&file, LoadOptions::default());
        assert!(diags.is_empty(), "{}: {diags:?}", file.display());
        let code = compile::compile(&program);
        if let Err(e) = verify::verify(&code) {
            panic!("{}: {e}", file.display());
        }
        let bytes = format::write(&code);
        let back = format::read(&bytes).unwrap_or_else(|e| panic!("{}: {}", file.display(), e.0));
        assert_eq!(
            back,
            code,
            "{}: .svc round trip changed the program",
            file.display()
        );
    }
}

#[test]
fn bytecode_doc_lists_every_opcode() {
    let doc =
        std::fs::read_to_string(repo_root().join("docs/BYTECODE.md")).expect("docs/BYTECODE.md");
    for (name, _) in solvrac::bytecode::op::OPS {
        assert!(
            doc.contains(&format!("| `{name}` |")),
            "docs/BYTECODE.md does not list opcode {name}"
        );
    }
}
