//! Frontend throughput: lexing + parsing + resolving a generated 50 000-line program.
//!
//! The target from the foundation issue is over one million lines per second on one core;
//! criterion reports the time per iteration, and lines/second is 50 000 divided by it.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use solvrac::frontend::{parse_file, resolve, FileId};
use std::fmt::Write;

/// A realistic mix of declarations, control flow, closures, objects and strings: 25 lines per
/// function, repeated until the program has `lines` lines.
fn generate(lines: usize) -> String {
    let mut src = String::new();
    let mut i = 0;
    while src.lines().count() < lines {
        let _ = write!(
            src,
            r#"fn work_{i}(n, scale = 2) {{
    let total = 0
    let items = []
    for x in [1, 2, 3, n] {{
        items = push(items, x * scale)
    }}
    while total < n {{
        total += 1
        if total % 3 == 0 {{ continue }} elif total > 100 {{ break }}
    }}
    let point = {{x: n, y: total, label: "p${{n}}"}}
    let f = lambda |a, b| -> a + b * point.x
    let kind = match items {{
        [a, b] -> "pair",
        {{x}} if x > 0 -> "object",
        _ -> "other",
    }}
    try {{
        total = f(total, 1) / (n - 1)
    }} catch e {{
        println("error: " + e)
    }}
    return if total > 10 then kind else items[0:2]
}}
let result_{i} = work_{i}({i})
println(`result ${{result_{i}}}`)
"#
        );
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
