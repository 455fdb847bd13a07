//! Two JIT benchmarks, in process:
//!
//! * `repl`: the time from an input's text to its printed value in a `solvrac jit` session
//!   (frontend, bytecode, IR, LLVM at -O0, object, LLJIT link, run). The target is a median
//!   under 5 ms per simple input.
//! * `tiers`: the same programs run by the bytecode interpreter and as JIT-compiled native code
//!   (-O2, the code `solvrac run --tier=jit -O2` runs), so the two are compared on exactly the
//!   same functions: fib(24) and the four workloads of benches/workloads at their `test` size
//!   (benches/workloads/sizes.tsv). Compilation happens once, outside the timing loop; one JIT
//!   iteration loads the object into a fresh LLJIT and runs it on a new thread (that fixed
//!   cost, a few milliseconds at most, is part of the figure), one interpreter iteration is
//!   `Interp::new` plus `run`. Both check their captured stdout against the expected output
//!   first.
//!
//! JIT steady-state speed next to the AOT executable is measured on whole programs by
//! `benches/run.sh` (the `solvrac jit` and `solvrac auto` columns; see benches/README.md).

use criterion::{criterion_group, criterion_main, Criterion};
use solvrac::backend::jit::session::{Mode, Session};
use solvrac::backend::jit::{compile_program, run_object};
use solvrac::bytecode::{compile, verify, Program};
use solvrac::frontend::{load_source, LoadOptions};
use solvrac::interp::{Interp, Outcome};
use std::time::Duration;

fn bench_repl(c: &mut Criterion) {
    // The collector scans the native stack from here down; every input runs below this frame.
    let base = 0u8;
    solvra_rt::aot::enter(&base as *const u8);
    let mut session = Session::new(Vec::new(), 0).expect("a JIT session");
    let mut eval = |text: &str| -> Option<String> {
        match session.eval(text, Mode::Run) {
            Ok(v) => v,
            Err(_) => panic!("{text:?} failed"),
        }
    };
    eval("fn sq(x) { return x * x }");
    eval("let mut total = 0");
    assert_eq!(eval("sq(7)").as_deref(), Some("49"));
    let mut group = c.benchmark_group("repl");
    group.sample_size(30);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(5));
    group.bench_function("expression 1 + 2", |b| b.iter(|| eval("1 + 2")));
    group.bench_function("call sq(7)", |b| b.iter(|| eval("sq(7)")));
    group.bench_function("assignment total += 1", |b| b.iter(|| eval("total += 1")));
    group.bench_function("fn definition", |b| {
        b.iter(|| eval("fn cube(x) { return x * x * x }"))
    });
    group.finish();
}

const FIB: &str = "fn fib(n) {
    if n < 2 { return n }
    return fib(n - 1) + fib(n - 2)
}
fn main() { println(fib(24)) }
";

const SIZES: &str = include_str!("workloads/sizes.tsv");

/// (name, source at its full size, expected output at the test size).
const WORKLOADS: &[(&str, &str, &str)] = &[
    (
        "strings",
        include_str!("workloads/svs/strings.svs"),
        include_str!("workloads/expected/strings.test.out"),
    ),
    (
        "methods",
        include_str!("workloads/svs/methods.svs"),
        include_str!("workloads/expected/methods.test.out"),
    ),
    (
        "closures",
        include_str!("workloads/svs/closures.svs"),
        include_str!("workloads/expected/closures.test.out"),
    ),
    (
        "json",
        include_str!("workloads/svs/json.svs"),
        include_str!("workloads/expected/json.test.out"),
    ),
];

/// A workload's source with its full size (sizes.tsv) replaced by its test size. The full
/// size is a number of several digits written once in `let rounds = N` or `let rows = N`.
fn at_test_size(name: &str, src: &str) -> String {
    let row = SIZES
        .lines()
        .map(|l| l.split('\t').collect::<Vec<_>>())
        .find(|cols| cols[0] == name)
        .unwrap_or_else(|| panic!("{name} has no row in sizes.tsv"));
    let (full, test) = (row[1], row[3]);
    let decl = |n: &str| format!(" = {n}\n");
    assert_eq!(src.matches(&decl(full)).count(), 1, "{name}: size {full}");
    src.replace(&decl(full), &decl(test))
}

fn bytecode(name: &str, src: &str) -> Program {
    let (program, diags) = load_source(&format!("{name}.svs"), src, LoadOptions::default());
    assert!(diags.is_empty(), "{name}: {diags:?}");
    let code = compile::compile(&program);
    verify::verify(&code).unwrap_or_else(|e| panic!("{name}: {e}"));
    code
}

/// Runs `f` with stdout captured and returns what it printed.
fn captured(f: impl FnOnce()) -> String {
    solvra_rt::stdout::start_capture();
    f();
    let out = solvra_rt::stdout::take_capture();
    let _ = solvra_rt::stdout::take_stderr_capture();
    out
}

fn interpret(program: &Program) -> String {
    captured(|| {
        let mut interp = Interp::new(program.clone()).expect("Interp::new");
        assert_eq!(interp.run(), Outcome::Done);
    })
}

/// Runs the object on a thread of its own: a compiled program's run leaves this thread's
/// collector stack base (thread-local) pointing into the stack it ran on, which is gone
/// afterwards, so interpreter runs on the same thread must never follow one.
fn run_native(object: &[u8]) -> String {
    std::thread::scope(|s| {
        s.spawn(|| captured(|| assert_eq!(run_object(object).expect("the JIT runs the object"), 0)))
            .join()
            .expect("the JIT thread")
    })
}

fn bench_tiers(c: &mut Criterion) {
    let mut programs = vec![("fib_24".to_string(), FIB.to_string(), "46368\n")];
    for &(name, src, expected) in WORKLOADS {
        programs.push((name.to_string(), at_test_size(name, src), expected));
    }
    let mut group = c.benchmark_group("tiers");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(4));
    for (name, src, expected) in &programs {
        let program = bytecode(name, src);
        let object = compile_program(&program, 2).expect("JIT compilation");
        assert_eq!(interpret(&program), *expected, "{name}: interpreter output");
        assert_eq!(run_native(&object), *expected, "{name}: JIT output");
        group.bench_function(format!("{name}/interp"), |b| b.iter(|| interpret(&program)));
        group.bench_function(format!("{name}/jit"), |b| b.iter(|| run_native(&object)));
    }
    group.finish();
}

criterion_group!(benches, bench_repl, bench_tiers);
criterion_main!(benches);
