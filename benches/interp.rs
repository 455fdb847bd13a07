//! Interpreter throughput on scaled-down versions of the whole-program workloads of
//! ../shared/bench (README there): fib(22), a 1e6-iteration `%` loop, a 60×60 mandelbrot,
//! a 100 000-element sieve, binary_trees to depth 10 and 10 000 nbody steps.
//!
//! Each program is compiled to bytecode once, outside the timing loop; one iteration is
//! `Interp::new(program.clone())` + `run()`, i.e. constant materialisation, function
//! registration and the whole run (including GC). The programs print, so the runtime's stdout
//! is captured (`solvra_rt::stdout::start_capture`) and checked once against the output the
//! C peer prints at the same size. The full-size programs, side by side with C, Lua, Python
//! and JavaScript, are `benches/run.sh` (see benches/README.md).
//!
//! The sources below are ../shared/bench/svs/*.svs with only the size constant changed.

use criterion::{criterion_group, criterion_main, Criterion};
use solvrac::bytecode::{compile, verify, Program};
use solvrac::frontend::{load_source, LoadOptions};
use solvrac::interp::{Interp, Outcome};
use std::time::Duration;

const FIB: &str = r#"fn fib(n) {
    if n < 2 { return n }
    return fib(n - 1) + fib(n - 2)
}
println(fib(22))
"#;

const LOOP: &str = r#"let mut acc = 0
let mut i = 0
while i < 1000000 {
    acc = acc + (i % 7) - (i % 5)
    i += 1
}
println(acc)
"#;

const MANDELBROT: &str = r#"let n = 60
let mut inside = 0
let mut y = 0
while y < n {
    let mut x = 0
    while x < n {
        let cr = 2.0 * x / n - 1.5
        let ci = 2.0 * y / n - 1.0
        let mut zr = 0.0
        let mut zi = 0.0
        let mut i = 0
        while i < 50 && zr * zr + zi * zi <= 4.0 {
            let t = zr * zr - zi * zi + cr
            zi = 2.0 * zr * zi + ci
            zr = t
            i += 1
        }
        if i == 50 { inside += 1 }
        x += 1
    }
    y += 1
}
println(inside)
"#;

const SIEVE: &str = r#"let n = 100000
let mut c = []
let mut k = 0
while k <= n {
    c = push(c, false)
    k += 1
}
let mut count = 0
let mut i = 2
while i <= n {
    if !c[i] {
        count += 1
        let mut j = i * i
        while j <= n {
            c[j] = true
            j += i
        }
    }
    i += 1
}
println(count)
"#;

const BINARY_TREES: &str = r#"fn make(d) {
    if d > 0 { return {l: make(d - 1), r: make(d - 1)} }
    return {}
}
fn check(t) {
    if t.l == null { return 1 }
    return 1 + check(t.l) + check(t.r)
}
let maxd = 10
let mut total = 0
let longlived = make(maxd)
let mut d = 4
while d <= maxd {
    let iters = int(pow(2, maxd - d + 4))
    let mut i = 0
    while i < iters {
        total += check(make(d))
        i += 1
    }
    d += 2
}
total += check(longlived)
println(total)
"#;

const NBODY: &str = r#"let PI = 3.141592653589793
let SOLAR_MASS = 4.0 * PI * PI
let DAYS = 365.24
fn body(x, y, z, vx, vy, vz, m) {
    return {x: x, y: y, z: z, vx: vx * DAYS, vy: vy * DAYS, vz: vz * DAYS, m: m * SOLAR_MASS}
}
let bodies = [
    body(0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0),
    body(4.84143144246472090, -1.16032004402742839, -0.103622044471123109,
         0.00166007664274403694, 0.00769901118419740425, -0.0000690460016972063023, 0.000954791938424326609),
    body(8.34336671824457987, 4.12479856412430479, -0.403523417114321381,
         -0.00276742510726862411, 0.00499852801234917238, 0.0000230417297573763929, 0.000285885980666130812),
    body(12.8943695621391310, -15.1111514016986312, -0.223307578892655734,
         0.00296460137564761618, 0.00237847173959480950, -0.0000296589568540237556, 0.0000436624404335156298),
    body(15.3796971148509165, -25.9193146099879641, 0.179258772950371181,
         0.00268067772490389322, 0.00162824170038242295, -0.0000951592254519715870, 0.0000515138902046611451),
]
fn offset_momentum(bs) {
    let mut px = 0.0
    let mut py = 0.0
    let mut pz = 0.0
    for b in bs {
        px += b.vx * b.m
        py += b.vy * b.m
        pz += b.vz * b.m
    }
    let sun = bs[0]
    sun.vx = 0.0 - px / SOLAR_MASS
    sun.vy = 0.0 - py / SOLAR_MASS
    sun.vz = 0.0 - pz / SOLAR_MASS
}
fn energy(bs) {
    let mut e = 0.0
    let n = len(bs)
    let mut i = 0
    while i < n {
        let b = bs[i]
        e += 0.5 * b.m * (b.vx * b.vx + b.vy * b.vy + b.vz * b.vz)
        let mut j = i + 1
        while j < n {
            let c = bs[j]
            let dx = b.x - c.x
            let dy = b.y - c.y
            let dz = b.z - c.z
            e -= b.m * c.m / sqrt(dx * dx + dy * dy + dz * dz)
            j += 1
        }
        i += 1
    }
    return e
}
fn advance(bs, dt) {
    let n = len(bs)
    let mut i = 0
    while i < n {
        let b = bs[i]
        let mut j = i + 1
        while j < n {
            let c = bs[j]
            let dx = b.x - c.x
            let dy = b.y - c.y
            let dz = b.z - c.z
            let d2 = dx * dx + dy * dy + dz * dz
            let mag = dt / (d2 * sqrt(d2))
            b.vx -= dx * c.m * mag
            b.vy -= dy * c.m * mag
            b.vz -= dz * c.m * mag
            c.vx += dx * b.m * mag
            c.vy += dy * b.m * mag
            c.vz += dz * b.m * mag
            j += 1
        }
        i += 1
    }
    for b in bs {
        b.x += dt * b.vx
        b.y += dt * b.vy
        b.z += dt * b.vz
    }
}
offset_momentum(bodies)
println(int(energy(bodies) * 1000000000.0))
let mut step = 0
while step < 10000 {
    advance(bodies, 0.01)
    step += 1
}
println(int(energy(bodies) * 1000000000.0))
"#;

/// (name, source, expected stdout: what the C peer prints at the same size).
const WORKLOADS: &[(&str, &str, &str)] = &[
    ("fib_22", FIB, "17711\n"),
    ("loop_1e6", LOOP, "999997\n"),
    ("mandelbrot_60", MANDELBROT, "1428\n"),
    ("sieve_100k", SIEVE, "9592\n"),
    ("binary_trees_10", BINARY_TREES, "131759\n"),
    ("nbody_10k", NBODY, "-169075163\n-169016441\n"),
];

fn compile_workload(name: &str, src: &str) -> Program {
    let (program, diags) = load_source(&format!("{name}.svs"), src, LoadOptions::default());
    assert!(diags.is_empty(), "{name}: {diags:?}");
    let code = compile::compile(&program);
    verify::verify(&code).unwrap_or_else(|e| panic!("{name}: {e}"));
    code
}

/// One run with stdout captured; panics unless it ends normally.
fn run(program: &Program) -> String {
    solvra_rt::stdout::start_capture();
    let mut interp = Interp::new(program.clone()).expect("Interp::new");
    let outcome = interp.run();
    drop(interp);
    let out = solvra_rt::stdout::take_capture();
    let _ = solvra_rt::stdout::take_stderr_capture();
    assert_eq!(outcome, Outcome::Done);
    out
}

fn bench_interp(c: &mut Criterion) {
    let mut group = c.benchmark_group("interp");
    group.sample_size(10);
    group.warm_up_time(Duration::from_secs(1));
    group.measurement_time(Duration::from_secs(6));
    for &(name, src, expected) in WORKLOADS {
        let program = compile_workload(name, src);
        assert_eq!(run(&program), expected, "{name}: wrong output");
        group.bench_function(name, |b| b.iter(|| run(&program)));
    }
    group.finish();
}

criterion_group!(benches, bench_interp);
criterion_main!(benches);
