//! REPL latency: the time from an input's text to its printed value in a `solvrac jit`
//! session (frontend, bytecode, IR, LLVM at -O0, object, LLJIT link, run), measured in process
//! with the session `solvrac jit` uses. The target is a median under 5 ms per simple input.
//!
//! JIT steady-state speed next to the AOT executable is measured on whole programs by
//! `benches/run.sh` (the `solvrac jit` and `solvrac auto` columns; see benches/README.md).

use criterion::{criterion_group, criterion_main, Criterion};
use solvrac::backend::jit::session::{Mode, Session};
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

criterion_group!(benches, bench_repl);
criterion_main!(benches);
