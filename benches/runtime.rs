//! Runtime library benchmarks (solvra_rt): allocation throughput, GC pauses for live heaps of
//! 16 MiB and 256 MiB, property get/set through shapes, string concatenation, and building a
//! 10 000 000-element array with `array::push_in_place`.
//!
//! The runtime crate itself builds with rustc 1.63, which criterion no longer supports, so its
//! benchmarks live here in the compiler crate (which depends on it).
//!
//! Targets from the runtime issue: p99 pause under 10 ms at 16 MiB live; push-building a 10^7
//! element array in well under a second. The pause groups also print mean / p99 / max of every
//! collection they ran (from `heap::stats`), since criterion reports means only.
//!
//! `cargo bench -p solvrac --bench runtime [-- FILTER]`

use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use solvra_rt::heap::{self, ObjKind, RootSource};
use solvra_rt::object::{self, Shape};
use solvra_rt::value::Value;
use solvra_rt::{array, ops, string};
use std::cell::RefCell;
use std::time::{Duration, Instant};

/// Values kept alive for a benchmark (a registered root source).
struct Live(RefCell<Vec<Value>>);

impl RootSource for Live {
    fn trace_roots(&self, visit: &mut dyn FnMut(Value)) {
        self.0.borrow().iter().for_each(|v| visit(*v));
    }
}

/// Keeps a value observable so the optimiser cannot drop its computation.
fn sink(v: Value) {
    // SAFETY: reads a local.
    unsafe { std::ptr::read_volatile(&v) };
}

fn allocation(c: &mut Criterion) {
    const N: u64 = 10_000;
    let mut g = c.benchmark_group("alloc");
    g.throughput(Throughput::Elements(N));
    g.bench_function("small_string", |b| {
        b.iter(|| {
            for _ in 0..N {
                sink(string::new("hello world").unwrap());
            }
        })
    });
    g.bench_function("array_4_ints", |b| {
        b.iter(|| {
            for i in 0..N as i64 {
                let items = vec![Value::int(i), Value::int(1), Value::int(2), Value::int(3)];
                sink(array::from_values(items).unwrap());
            }
        })
    });
    g.bench_function("empty_array", |b| {
        b.iter(|| {
            for _ in 0..N {
                sink(array::from_values(Vec::new()).unwrap());
            }
        })
    });
    g.bench_function("object_2_fields", |b| {
        b.iter(|| {
            for i in 0..N as i64 {
                let o = object::new_empty().unwrap();
                let fields = object::obj(o);
                fields.set("x", Value::int(i));
                fields.set("y", Value::int(-i));
                sink(o);
            }
        })
    });
    g.bench_function("raw_cell_fast_path", |b| {
        b.iter(|| {
            for _ in 0..N {
                let c = heap::alloc_raw(ObjKind::Cell, 24).unwrap();
                sink(Value::int(c as usize as i64));
            }
        })
    });
    g.finish();
}

/// Builds a live heap of about `bytes` accounted bytes: records of an object with three
/// fields (an int, a short string, a 4-int array), 1000 records per rooted array.
fn build_live_heap(live: &Live, bytes: usize) -> usize {
    heap::collect();
    let start = heap::heap_bytes();
    let mut records = 0;
    // Everything allocated from here on stays live, so the heap only grows.
    while heap::heap_bytes() < start + bytes {
        let chunk = array::from_values(Vec::new()).unwrap();
        live.0.borrow_mut().push(chunk);
        for _ in 0..1000 {
            let o = object::new_empty().unwrap();
            array::push_in_place(chunk, o);
            let name = string::new(&format!("record {records}")).unwrap();
            let nums = array::from_values(vec![Value::int(records as i64); 4]).unwrap();
            let f = object::obj(o);
            f.set("id", Value::int(records as i64));
            f.set("name", name);
            f.set("nums", nums);
            records += 1;
        }
    }
    records
}

fn gc_pause(c: &mut Criterion) {
    for (label, mib, samples) in [("16MiB", 16usize, 30usize), ("256MiB", 256, 10)] {
        let live = Box::new(Live(RefCell::new(Vec::new())));
        let guard = heap::add_root(&*live as &dyn RootSource as *const dyn RootSource);
        let t = Instant::now();
        let records = build_live_heap(&live, mib << 20);
        heap::collect();
        let info = heap::info();
        println!(
            "gc_pause/{label}: live heap {} bytes accounted ({} objects, {} records, {} bytes reserved), built in {:.2?}",
            info.bytes,
            info.objects,
            records,
            info.reserved_bytes,
            t.elapsed()
        );
        heap::reset_stats();
        let mut g = c.benchmark_group("gc_pause");
        g.sampling_mode(SamplingMode::Flat);
        g.sample_size(samples);
        g.warm_up_time(Duration::from_millis(500));
        g.measurement_time(Duration::from_secs(if mib > 100 { 20 } else { 5 }));
        g.bench_function(BenchmarkId::new("full_collection", label), |b| {
            b.iter_custom(|iters| {
                let t = Instant::now();
                for _ in 0..iters {
                    heap::collect();
                }
                t.elapsed()
            })
        });
        g.finish();
        let s = heap::stats();
        println!(
            "gc_pause/{label}: {} collections: mean {:.3} ms, p99 {:.3} ms, max {:.3} ms",
            s.collections,
            s.mean_pause().as_secs_f64() * 1e3,
            s.pause_quantile(0.99).as_secs_f64() * 1e3,
            s.max_pause.as_secs_f64() * 1e3
        );
        drop(guard);
        live.0.borrow_mut().clear();
        heap::collect();
    }
}

fn shapes(c: &mut Criterion) {
    const N: u64 = 10_000;
    let live = Box::new(Live(RefCell::new(Vec::new())));
    let _guard = heap::add_root(&*live as &dyn RootSource as *const dyn RootSource);
    let o = object::new_empty().unwrap();
    live.0.borrow_mut().push(o);
    for (i, k) in ["a", "b", "c", "d", "e", "f", "g", "h"].iter().enumerate() {
        object::obj(o).set(k, Value::int(i as i64));
    }
    let mut g = c.benchmark_group("shapes");
    g.throughput(Throughput::Elements(N));
    g.bench_function("get_by_name", |b| {
        b.iter(|| {
            let mut sum = 0;
            for _ in 0..N {
                sum += object::obj(o).get("f").as_int();
            }
            sink(Value::int(sum));
        })
    });
    g.bench_function("member_get_op", |b| {
        b.iter(|| {
            for _ in 0..N {
                sink(ops::member_get(o, "f").unwrap());
            }
        })
    });
    g.bench_function("set_existing", |b| {
        b.iter(|| {
            for i in 0..N as i64 {
                object::obj(o).set("g", Value::int(i));
            }
        })
    });
    // What an inline cache in compiled code does: compare the shape, index the slot.
    let cached_shape: *const Shape = object::obj(o).shape;
    let cached_slot = object::obj(o).shape.slot("f").unwrap();
    g.bench_function("get_inline_cached", |b| {
        b.iter(|| {
            let mut sum = 0;
            for _ in 0..N {
                let obj = object::obj(o);
                let v = if std::ptr::eq(obj.shape, cached_shape) {
                    obj.slots[cached_slot]
                } else {
                    obj.get("f")
                };
                sum += v.as_int();
            }
            sink(Value::int(sum));
        })
    });
    g.bench_function("build_object_8_fields", |b| {
        b.iter(|| {
            for _ in 0..N {
                let o = object::new_empty().unwrap();
                for (i, k) in ["a", "b", "c", "d", "e", "f", "g", "h"].iter().enumerate() {
                    object::obj(o).set(k, Value::int(i as i64));
                }
                sink(o);
            }
        })
    });
    g.finish();
}

fn strings(c: &mut Criterion) {
    const N: u64 = 10_000;
    let live = Box::new(Live(RefCell::new(Vec::new())));
    let _guard = heap::add_root(&*live as &dyn RootSource as *const dyn RootSource);
    let a = string::new("the quick brown ").unwrap();
    let b2 = string::new("fox jumps").unwrap();
    let long = string::new(&"x".repeat(1024)).unwrap();
    live.0.borrow_mut().extend([a, b2, long]);
    let mut g = c.benchmark_group("string_concat");
    g.throughput(Throughput::Elements(N));
    g.bench_function("16+9_bytes", |b| {
        b.iter(|| {
            for _ in 0..N {
                sink(ops::add(a, b2).unwrap());
            }
        })
    });
    g.bench_function("string+int", |b| {
        b.iter(|| {
            for i in 0..N as i64 {
                sink(ops::add(a, Value::int(i)).unwrap());
            }
        })
    });
    g.bench_function("1KiB+9_bytes", |b| {
        b.iter(|| {
            for _ in 0..N {
                sink(ops::add(long, b2).unwrap());
            }
        })
    });
    g.finish();
}

fn array_push(c: &mut Criterion) {
    const N: usize = 10_000_000;
    let mut g = c.benchmark_group("array_push");
    g.sample_size(10);
    g.throughput(Throughput::Elements(N as u64));
    g.bench_function("push_in_place_10M_ints", |b| {
        b.iter(|| {
            let arr = array::from_values(Vec::new()).unwrap();
            for i in 0..N as i64 {
                array::push_in_place(arr, Value::int(i));
            }
            assert_eq!(array::len(arr), N);
            sink(arr);
        })
    });
    g.bench_function("push_in_place_10M_mixed", |b| {
        b.iter(|| {
            let arr = array::from_values(Vec::new()).unwrap();
            array::push_in_place(arr, Value::NULL);
            for i in 1..N as i64 {
                array::push_in_place(arr, Value::int(i));
            }
            assert_eq!(array::len(arr), N);
            sink(arr);
        })
    });
    g.finish();
}

fn main() {
    // Every value the benchmarks keep in locals is below this frame.
    let base = 0u8;
    heap::set_stack_base(&base as *const u8);
    let mut c = Criterion::default().configure_from_args();
    allocation(&mut c);
    shapes(&mut c);
    strings(&mut c);
    array_push(&mut c);
    gc_pause(&mut c);
    c.final_summary();
    // SAFETY: keeps `base` (and so this frame) in place until here.
    unsafe { std::ptr::read_volatile(&base) };
}
