//! Frontend throughput: lexing + parsing + resolving a generated 50 000-line program.
//!
//! The target from the foundation issue is over one million lines per second on one core;
//! criterion reports the time per iteration, and lines/second is 50 000 divided by it.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use solvrac::frontend::{parse_file, resolve, FileId};

/// The unit the generated programs repeat (shared with benches/compile_time.sh): 25 lines of
/// declarations, control flow, closures, objects and strings, with `@I@` as the unit's number.
const UNIT: &str = include_str!("data/generated_unit.svs");

/// A program of at least `lines` lines: `UNIT` repeated with fresh names.
fn generate(lines: usize) -> String {
    let mut src = String::new();
    let mut i = 0;
    while src.lines().count() < lines {
        src.push_str(&UNIT.replace("@I@", &i.to_string()));
        i += 1;
    }
    src
}

fn bench_frontend(c: &mut Criterion) {
    let src = generate(50_000);
    let lines = src.lines().count() as u64;
    let mut group = c.benchmark_group("frontend");
    group.throughput(Throughput::Elements(lines));
    group.sample_size(20);
    group.bench_function("lex_parse_resolve_50k_lines", |b| {
        b.iter(|| {
            let (module, diags) = parse_file(FileId(0), &src);
            assert!(diags.is_empty());
            let (res, diags) = resolve::resolve(&module, resolve::ResolveOptions::default());
            assert!(diags.is_empty());
            (module, res)
        })
    });
    group.finish();
}

criterion_group!(benches, bench_frontend);
criterion_main!(benches);
