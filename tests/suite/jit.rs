//! `solvrac run --tier=jit` and `--tier=auto` beyond the conformance suite: error reports equal
//! to the AOT binary's and the interpreter's, hot-function detection, and the object cache of
//! both tiers.
//! (The conformance suite runs every program in both tiers.)

#![cfg(feature = "llvm")]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("solvrac-jit-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Runs solvrac in `dir`, with an object cache of the test's own (`env` may name another), so
/// earlier runs on the machine never turn a compilation into a cache hit.
fn solvrac(args: &[&str], dir: &Path, env: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_solvrac"))
        .args(args)
        .current_dir(dir)
        .env("SOLVRAC_CACHE_DIR", dir.join("cache"))
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("solvrac runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Errors raised in nested calls, in a method, in a closure, and an uncaught error after a
/// caught one.
const FAILING: &str = r#"fn leaf(x) { return x / 0 }
fn middle(x) { return leaf(x) + 1 }
let o = {v: 3, m: fn(self) { return middle(self.v) }}
fn run(f) { return f() }
try { middle(1) } catch e { println("caught " + e) }
println(run(fn() { return 5 }))
println(o.m())
"#;

#[test]
fn jit_errors_match_the_aot_binary_and_the_interpreter() {
    let dir = scratch("errors");
    std::fs::write(dir.join("fail.svs"), FAILING).unwrap();
    let build = solvrac(&["build", "fail.svs", "-o", "fail"], &dir, &[]);
    assert!(build.status.success(), "{}", text(&build.stderr));
    let aot = Command::new(dir.join("fail"))
        .stdin(Stdio::null())
        .output()
        .expect("run the executable");
    let jit = solvrac(&["run", "--tier=jit", "--no-cache", "fail.svs"], &dir, &[]);
    let interp = solvrac(&["run", "--tier=interp", "fail.svs"], &dir, &[]);
    let auto = solvrac(
        &[
            "run",
            "--tier=auto",
            "--jit-threshold=1",
            "--no-cache",
            "fail.svs",
        ],
        &dir,
        &[],
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(text(&aot.stdout), "caught division by zero\n5\n");
    assert_eq!(
        text(&aot.stderr),
        "runtime error: division by zero\n  at leaf (fail.svs:1)\n  at middle (fail.svs:2)\n  \
         at <lambda> (fail.svs:3)\n  at <top level> (fail.svs:7)\n"
    );
    for (tier, out) in [("jit", &jit), ("interp", &interp), ("auto", &auto)] {
        assert_eq!(out.stdout, aot.stdout, "{tier} stdout");
        assert_eq!(text(&out.stderr), text(&aot.stderr), "{tier} stderr");
        assert_eq!(out.status.code(), Some(1), "{tier} status");
    }
}

#[test]
fn auto_compiles_only_what_gets_hot() {
    let dir = scratch("hot");
    std::fs::write(
        dir.join("hot.svs"),
        r#"fn once(x) { return x + 1 }
fn small(x) { return x * 2 }
fn loops(n) {
    let mut s = 0
    let mut i = 0
    while i < n { s += small(i); i += 1 }
    return s
}
async fn later(x) { await delay(1); return x }
fn waits() { return await later(7) }
println(once(1))
println(loops(200))
println(waits())
println(waits())
"#,
    )
    .unwrap();
    let out = solvrac(
        &["run", "-v", "--no-cache", "--jit-threshold=50", "hot.svs"],
        &dir,
        &[],
    );
    let interp = solvrac(&["run", "--tier=interp", "hot.svs"], &dir, &[]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(text(&out.stdout), "2\n39800\n7\n7\n");
    assert_eq!(out.stdout, interp.stdout);
    let log = text(&out.stderr);
    // `small` is called 200 times; `loops` runs its loop 200 times (back edges).
    assert!(log.contains("fn1 (small) compiled in"), "{log}");
    assert!(log.contains("fn2 (loops) compiled in"), "{log}");
    for name in ["once", "later", "waits"] {
        assert!(
            !log.contains(&format!("({name})")),
            "{name} compiled:\n{log}"
        );
    }
    assert!(out.status.success());
}

/// Tasks whose bodies run interpreted (started before `worker` got hot) and compiled (started
/// after) suspend and continue side by side, each continued by whichever code picks it next:
/// the interpreted top level, or another task's compiled code.
#[test]
fn tasks_suspended_in_compiled_and_interpreted_code_interleave() {
    // The delay outlasts compiling `worker` (while the fourth task starts) even on a loaded
    // machine, so every first line comes before any second one in both runs.
    let dir = scratch("mixed");
    std::fs::write(
        dir.join("mixed.svs"),
        r#"async fn worker(name, n) {
    let mut i = 0
    while i < n { await delay(250); println(name + str(i)); i += 1 }
    return name + "done"
}
let mut ts = []
let mut k = 0
while k < 6 { ts = push(ts, async worker("w" + str(k) + ":", 3)); k += 1 }
for t in ts { println(await t) }
"#,
    )
    .unwrap();
    let out = solvrac(&["run", "-v", "--jit-threshold=4", "mixed.svs"], &dir, &[]);
    let interp = solvrac(&["run", "--tier=interp", "mixed.svs"], &dir, &[]);
    let _ = std::fs::remove_dir_all(&dir);
    let log = text(&out.stderr);
    assert!(log.contains("(worker) compiled"), "{log}");
    assert!(out.status.success(), "{log}");
    // Every first line comes before any second one in both runs; after the last round, when
    // main's `await` of a finished task runs relative to the other tasks' last timers depends
    // on the machine's load, so the two runs are compared as sets of lines.
    let (tiered, interp) = (text(&out.stdout), text(&interp.stdout));
    let lines = |s: &str| {
        let mut v: Vec<String> = s.lines().map(str::to_string).collect();
        v.sort();
        v
    };
    assert_eq!(lines(&tiered), lines(&interp));
    for run in [&tiered, &interp] {
        assert!(
            run.starts_with("w0:0\nw1:0\nw2:0\nw3:0\nw4:0\nw5:0\nw0:1\n"),
            "{run}"
        );
    }
}

#[test]
fn the_second_jit_run_of_an_unchanged_program_skips_code_generation() {
    let dir = scratch("cache");
    let cache = dir.join("cache");
    let cache_s = cache.to_string_lossy().to_string();
    let env = [("SOLVRAC_CACHE_DIR", cache_s.as_str())];
    std::fs::write(
        dir.join("p.svs"),
        "fn f(x) { return x * 3 }\nprintln(f(14))\n",
    )
    .unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "--tier=jit", "-v"];
        args.extend_from_slice(extra);
        args.push("p.svs");
        let out = solvrac(&args, &dir, &env);
        let stderr = text(&out.stderr);
        assert_eq!(text(&out.stdout), "42\n", "{args:?}: {stderr}");
        assert!(out.status.success());
        stderr
    };
    let entries = || {
        std::fs::read_dir(cache.join("jit"))
            .map(|d| d.count())
            .unwrap_or(0)
    };
    let first = run(&["--no-cache"]);
    assert!(first.contains("compiled 2 functions"), "{first}");
    assert_eq!(entries(), 0, "--no-cache wrote the cache");
    let first = run(&[]);
    assert!(first.contains("cached as"), "{first}");
    assert_eq!(entries(), 1);
    let second = run(&[]);
    assert!(second.starts_with("solvrac: jit: cache hit"), "{second}");
    assert!(!second.contains("compiled"), "{second}");
    // Another optimisation level is another entry.
    let o2 = run(&["-O2"]);
    assert!(o2.contains("cached as"), "{o2}");
    assert_eq!(entries(), 2);
    // A damaged entry is a miss and is rewritten.
    for e in std::fs::read_dir(cache.join("jit")).unwrap() {
        let path = e.unwrap().path();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::write(&path, &bytes[..bytes.len() / 2]).unwrap();
    }
    let damaged = run(&[]);
    assert!(damaged.contains("compiled 2 functions"), "{damaged}");
    assert!(run(&[]).contains("cache hit"));
    // A changed program is another entry.
    std::fs::write(
        dir.join("p.svs"),
        "fn f(x) { return x * 3 }\nprintln(f(14) + 0)\n",
    )
    .unwrap();
    assert!(run(&[]).contains("cached as"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_second_tiered_run_takes_hot_functions_from_the_cache() {
    let dir = scratch("hot-cache");
    let cache = dir.join("cache").to_string_lossy().to_string();
    std::fs::write(
        dir.join("p.svs"),
        "let mut seen = 0\nfn f(x) { seen += 1; return x * 3 }\nfn g(x) { return f(x) + seen }\nprintln(g(1) + g(2))\n",
    )
    .unwrap();
    let run = || {
        let out = solvrac(
            &["run", "-v", "--jit-threshold=1", "p.svs"],
            &dir,
            &[("SOLVRAC_CACHE_DIR", cache.as_str())],
        );
        assert_eq!(text(&out.stdout), "12\n");
        text(&out.stderr)
    };
    let first = run();
    assert!(first.contains("fn0 (f) compiled in"), "{first}");
    assert!(first.contains("fn1 (g) compiled in"), "{first}");
    let second = run();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        second,
        "solvrac: jit: fn1 (g) from the cache\nsolvrac: jit: fn0 (f) from the cache\n"
    );
}

/// A program in bytecode.
fn bytecode(text: &str) -> solvrac::bytecode::Program {
    let (program, diags) = solvrac::frontend::load_source("main.svs", text, Default::default());
    assert!(diags.is_empty(), "{diags:?}");
    solvrac::bytecode::compile::compile(&program)
}

/// Allocates and keeps values; fails if it loses any.
const GARBAGE: &str = r#"let mut keep = []
let mut i = 0
while i < 300 { keep = push(keep, [i, str(i)]); i += 1 }
if len(keep) != 300 or keep[299][1] != "299" { let lost = 1 / 0 }
"#;

/// Runs `program` in the interpreter with a collection at every allocation.
fn run_in_gc_stress(program: solvrac::bytecode::Program) -> solvrac::interp::Outcome {
    let mut interp = solvrac::interp::Interp::new(program).expect("starts");
    solvra_rt::heap::set_stress(true);
    let outcome = interp.run();
    solvra_rt::heap::set_stress(false);
    outcome
}

/// A JIT run leaves the thread's collector as it found it: its program ran on a stack of its
/// own, unmapped when the run returns, and registered its constants and globals, freed with
/// the JIT, as roots. The interpreter that runs next on the thread then collects (at every
/// allocation) without scanning either.
#[test]
fn the_interpreter_collects_after_a_jit_run_on_the_same_thread() {
    let jitted = bytecode("let a = [1, 2, 3]\nlet b = {x: a, y: \"text\"}\n");
    let interpreted = bytecode(GARBAGE);
    let thread = std::thread::spawn(move || {
        let object = solvrac::backend::jit::compile_program(&jitted, 0).expect("compiles");
        let base = solvra_rt::heap::stack_base();
        let code = solvrac::backend::jit::run_object(&object).expect("loads");
        assert_eq!(code, 0);
        assert_eq!(
            solvra_rt::heap::stack_base(),
            base,
            "the JIT's stack base stayed"
        );
        run_in_gc_stress(interpreted)
    });
    assert_eq!(
        thread.join().expect("the thread panicked"),
        solvrac::interp::Outcome::Done
    );
}

/// The same after a tiered run: the hot functions' objects registered their constants as
/// roots, and the JIT that held them is dropped with the interpreter.
#[test]
fn the_interpreter_collects_after_a_tiered_run_on_the_same_thread() {
    use solvrac::backend::jit::tier::HotCompiler;
    use solvrac::interp::{Interp, Outcome};
    let tiered = bytecode("fn f(x) { return x + \"s\" }\nlet a = f(\"t\")\nlet b = f(\"u\")\n");
    let interpreted = bytecode(GARBAGE);
    let thread = std::thread::spawn(move || {
        let mut interp = Interp::new(tiered).expect("starts");
        interp.set_tier_up(Box::new(HotCompiler::new(0, None, false)), 1);
        assert_eq!(interp.run(), Outcome::Done);
        assert_eq!(interp.compiled_functions(), 1);
        drop(interp);
        run_in_gc_stress(interpreted)
    });
    assert_eq!(thread.join().expect("the thread panicked"), Outcome::Done);
}
