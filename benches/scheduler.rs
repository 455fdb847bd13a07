//! Scheduler benchmarks (solvra_rt::scheduler): creating and awaiting a task, switching between
//! two tasks (through timers, and alone through `yield_now`), timer throughput, and the memory of
//! 100 000 sleeping tasks.
//!
//! Task bodies are Rust functions behind the runtime's call hook, so the figures are the
//! scheduler's own cost, without any tier's call overhead. Targets from the scheduler issue: a
//! switch under 100 ns; 100 000 sleeping tasks in under 64 MiB. The memory figure is printed,
//! not timed.
//!
//! `cargo bench -p solvrac --bench scheduler [-- FILTER]`

use criterion::{Criterion, Throughput};
use solvra_rt::callback::{self, CallMode};
use solvra_rt::function::{self, Callee, FnInfo};
use solvra_rt::value::Value;
use solvra_rt::{heap, scheduler, RtResult};

/// Task bodies by code: 0 returns at once; 1 sleeps (practically) forever; 2 awaits
/// `delay(0)` as many times as its argument says; 3 yields as many times.
fn hook(f: Value, args: &[Value], _mode: CallMode) -> RtResult<Value> {
    let Callee::User(id) = function::obj(f).callee else {
        unreachable!("user functions only")
    };
    match function::code(id) {
        0 => Ok(Value::NULL),
        1 => scheduler::await_task(scheduler::delay(1e9)?),
        3 => {
            for _ in 0..args[0].as_int() {
                scheduler::yield_now()?;
            }
            Ok(Value::NULL)
        }
        _ => {
            for _ in 0..args[0].as_int() {
                scheduler::await_task(scheduler::delay(0.0)?)?;
            }
            Ok(Value::NULL)
        }
    }
}

fn body(code: usize) -> Value {
    let id = function::register(FnInfo {
        name: None,
        params: 1,
        required: 0,
        self_first: false,
        is_async: false,
        code,
    });
    function::new_user(id, &[]).unwrap()
}

fn resident_bytes() -> usize {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: usize = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn tasks(c: &mut Criterion) {
    let (empty, looping, yielding) = (body(0), body(2), body(3));
    let mut g = c.benchmark_group("tasks");
    g.throughput(Throughput::Elements(1));
    // Create a task, switch to it, finish it, switch back to the main task.
    g.bench_function("spawn_run_await", |b| {
        b.iter(|| {
            let t = scheduler::spawn(empty, Vec::new()).unwrap();
            scheduler::await_task(t).unwrap();
        })
    });
    // Two tasks taking turns through `await delay(0)`: every turn is a switch from one task to
    // the other, saving one's frames and restoring the other's, plus a timer.
    const TURNS: i64 = 1_000;
    g.throughput(Throughput::Elements(2 * TURNS as u64));
    g.bench_function("switch_between_two_tasks", |b| {
        b.iter(|| {
            let a = scheduler::spawn(looping, vec![Value::int(TURNS)]).unwrap();
            let b2 = scheduler::spawn(looping, vec![Value::int(TURNS)]).unwrap();
            scheduler::await_task(a).unwrap();
            scheduler::await_task(b2).unwrap();
        })
    });
    // The same turns through `yield_now`: a task-to-task switch alone (frames copied out and
    // in through the switcher), with no timer.
    g.bench_function("yield_between_two_tasks", |b| {
        b.iter(|| {
            let a = scheduler::spawn(yielding, vec![Value::int(TURNS)]).unwrap();
            let b2 = scheduler::spawn(yielding, vec![Value::int(TURNS)]).unwrap();
            scheduler::await_task(a).unwrap();
            scheduler::await_task(b2).unwrap();
        })
    });
    const TIMERS: usize = 10_000;
    g.throughput(Throughput::Elements(TIMERS as u64));
    g.bench_function("timers_10k_delay0", |b| {
        b.iter(|| {
            let ts: Vec<Value> = (0..TIMERS)
                .map(|_| scheduler::delay(0.0).unwrap())
                .collect();
            for t in ts {
                scheduler::await_task(t).unwrap();
            }
        })
    });
    g.finish();
}

/// 100 000 tasks that have started and sleep in `await`: resident memory and saved frames.
fn sleeping_tasks() {
    const N: usize = 100_000;
    scheduler::reset();
    heap::collect();
    let sleeper = body(1);
    let before = resident_bytes();
    let tasks: Vec<Value> = (0..N)
        .map(|_| scheduler::spawn(sleeper, Vec::new()).unwrap())
        .collect();
    // Every task starts and goes to sleep before the main task continues.
    scheduler::await_task(scheduler::delay(0.0).unwrap()).unwrap();
    let after = resident_bytes();
    let frames = scheduler::saved_frame_bytes();
    println!(
        "sleeping_tasks/100k: {:.1} MiB more resident memory ({} bytes per task), {} bytes of saved frames per task",
        (after - before) as f64 / (1 << 20) as f64,
        (after - before) / N,
        frames / N
    );
    drop(tasks);
    scheduler::reset();
}

fn main() {
    // Every value the benchmarks keep in locals is below this frame.
    let base = 0u8;
    heap::set_stack_base(&base as *const u8);
    callback::set_call_hook(hook);
    let mut c = Criterion::default().configure_from_args();
    tasks(&mut c);
    c.final_summary();
    sleeping_tasks();
    // SAFETY: keeps `base` (and so this frame) in place until here.
    unsafe { std::ptr::read_volatile(&base) };
}
