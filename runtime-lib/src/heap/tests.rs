//! Unit tests of the allocator and the collector. Each test runs on its own thread, so on its
//! own heap; `rooted` sets the stack base above the test body.

use super::layout::*;
use super::*;
use crate::testutil::*;
use crate::value::Tag;
use crate::{array, function, object, string};

/// Allocates `n` strings nobody keeps, in a frame that is gone when this returns.
#[inline(never)]
fn garbage(n: usize) {
    for i in 0..n {
        let _ = string::new(&format!("garbage {i}")).unwrap();
    }
}

/// Overwrites the dead part of the stack below the caller, so stale copies of pointers left by
/// earlier calls do not keep objects alive conservatively.
#[inline(never)]
fn clobber_stack() {
    let mut buf = [0usize; 8192];
    for (i, w) in buf.iter_mut().enumerate() {
        *w = i;
    }
    // SAFETY: reading our own local.
    unsafe { std::ptr::read_volatile(&buf) };
}

fn collect_clean() {
    clobber_stack();
    collect();
}

struct Roots(std::cell::RefCell<Vec<Value>>);

impl RootSource for Roots {
    fn trace_roots(&self, visit: &mut dyn FnMut(Value)) {
        self.0.borrow().iter().for_each(|v| visit(*v));
    }
}

#[test]
fn objects_of_every_size_class_are_allocated_and_freed() {
    rooted(|| {
        for size in [8usize, 16, 17, 40, 100, 128, 200, 256] {
            for _ in 0..1000 {
                let o = alloc_raw(ObjKind::Cell, size).unwrap();
                // SAFETY: a live raw cell (garbage once the next allocation may collect).
                unsafe {
                    assert_eq!((*o).kind, ObjKind::Cell);
                    assert!(!(*o).is_large());
                    assert_eq!((*o).size as usize, CLASS_SIZES[size_class(size)]);
                    assert_eq!(find_object(o as usize + size - 1), Some(o));
                }
            }
        }
        if !stress() {
            assert!(info().objects >= 8000);
        }
        collect_clean();
        assert!(info().objects < 100, "{:?}", info());
    })
}

#[test]
fn rooted_values_survive_and_garbage_is_freed() {
    rooted(|| {
        let roots = Box::new(Roots(Default::default()));
        let _guard = add_root(&*roots as &dyn RootSource as *const dyn RootSource);
        for i in 0..500 {
            let v = string::new(&format!("kept {i}")).unwrap();
            roots.0.borrow_mut().push(v);
            garbage(3);
        }
        collect_clean();
        let objects = info().objects;
        assert!((500..600).contains(&objects), "{objects}");
        for (i, v) in roots.0.borrow().iter().enumerate() {
            assert_eq!(string::as_str(*v), format!("kept {i}"));
        }
        let live = heap_bytes();
        roots.0.borrow_mut().clear();
        collect_clean();
        assert!(heap_bytes() < live / 4, "{} of {live}", heap_bytes());
    })
}

/// Hides a value from the optimiser (`std::hint::black_box` needs rustc 1.66).
fn opaque<T: Copy>(v: T) -> T {
    // SAFETY: reads a local.
    unsafe { std::ptr::read_volatile(&v) }
}

#[inline(never)]
fn interior_pointer_to_fresh_string() -> usize {
    let s = string::new("interior").unwrap();
    let p = s.ptr() as usize;
    assert_eq!(find_object(p), Some(s.ptr()));
    assert_eq!(find_object(p + 13), Some(s.ptr()));
    p + 9
}

#[test]
fn interior_pointers_keep_objects_alive() {
    rooted(|| {
        assert_eq!(find_object(0), None);
        let local = 5usize;
        assert_eq!(find_object(&local as *const usize as usize), None);
        // Only an interior pointer on the stack: the object survives.
        let interior = opaque(interior_pointer_to_fresh_string());
        clobber_stack();
        garbage(100);
        collect();
        let obj = find_object(opaque(interior)).expect("kept by an interior pointer");
        assert_eq!(string::as_str(Value::heap(Tag::Str, obj)), "interior");
        keep(Value::int(interior as i64));
    })
}

#[test]
fn free_slots_are_not_objects() {
    rooted(|| {
        let addrs: Vec<usize> = (0..100)
            .map(|_| alloc_raw(ObjKind::Cell, 24).unwrap() as usize)
            .collect();
        collect_clean();
        let dead = addrs.iter().filter(|&&a| find_object(a).is_none()).count();
        assert!(dead >= 90, "{dead}");
    })
}

#[inline(never)]
fn use_a_large_object() {
    let big = alloc_raw(ObjKind::Cell, 4096).unwrap();
    // SAFETY: a live raw cell: header, then a Value at offset 8.
    unsafe {
        assert!((*big).is_large());
        assert_eq!((*big).size, 4096);
        let s = string::new("held by a large object").unwrap();
        (*(big as *mut GcBox<function::CellObj>)).data.value = s;
    }
    assert_eq!(find_object(big as usize + 4000), Some(big));
    assert_eq!(find_object(big as usize + 4096), None);
    assert_eq!(info().large_objects, 1);
    garbage(100);
    collect();
    // SAFETY: still live (`big` is on this frame).
    let v = unsafe { (*(big as *mut GcBox<function::CellObj>)).data.value };
    assert_eq!(string::as_str(v), "held by a large object");
    keep(Value::heap(Tag::Cell, big));
}

#[test]
fn large_objects_are_found_traced_and_freed() {
    rooted(|| {
        use_a_large_object();
        clobber_stack();
        collect();
        assert_eq!(info().large_objects, 0);
    })
}

#[test]
fn a_value_only_on_the_native_stack_survives() {
    rooted(|| {
        let arr = array::from_values(vec![]).unwrap();
        for i in 0..100 {
            let s = string::new(&format!("item {i}")).unwrap();
            array::push_in_place(arr, s);
        }
        let o = object::new_empty().unwrap();
        object::obj(o).set("list", arr);
        garbage(10_000);
        collect_clean();
        collect();
        let list = object::obj(o).get("list");
        assert_eq!(array::len(list), 100);
        assert_eq!(string::as_str(array::obj(list).get(42)), "item 42");
        keep(o);
    })
}

#[test]
fn the_heap_limit_raises_and_is_recoverable() {
    rooted(|| {
        let roots = Box::new(Roots(Default::default()));
        let _guard = add_root(&*roots as &dyn RootSource as *const dyn RootSource);
        let max = if stress() { 64 << 10 } else { 1 << 20 };
        set_max_heap(Some(max));
        let mut failed = None;
        for i in 0..1_000_000 {
            match string::new(&format!("{i:>40}")) {
                Ok(v) => roots.0.borrow_mut().push(v),
                Err(e) => {
                    failed = Some(e.message);
                    break;
                }
            }
        }
        assert_eq!(
            failed,
            Some(format!("out of memory: heap limit {max} bytes exceeded"))
        );
        assert!(heap_bytes() <= max);
        let n = roots.0.borrow().len();
        assert!(n > max / 200, "{n}");
        // Everything kept is intact.
        assert_eq!(string::as_str(roots.0.borrow()[77]).trim(), "77");
        // Free half and allocate again.
        roots.0.borrow_mut().truncate(n / 2);
        for i in 0..n / 4 {
            let v = string::new(&format!("again {i}")).unwrap();
            roots.0.borrow_mut().push(v);
        }
        let last = *roots.0.borrow().last().unwrap();
        assert_eq!(string::as_str(last), format!("again {}", n / 4 - 1));
        set_max_heap(None);
        for i in 0..n {
            let v = string::new(&format!("unlimited {i}")).unwrap();
            roots.0.borrow_mut().push(v);
        }
    })
}

#[test]
fn a_limit_below_the_live_heap_fails_every_allocation_until_raised() {
    rooted(|| {
        let kept = string::new("kept").unwrap();
        set_max_heap(Some(16));
        assert_eq!(
            err(string::new("x")),
            "out of memory: heap limit 16 bytes exceeded"
        );
        assert_eq!(
            err(alloc_raw(ObjKind::Cell, 4096)),
            "out of memory: heap limit 16 bytes exceeded"
        );
        set_max_heap(None);
        assert_eq!(string::as_str(string::new("y").unwrap()), "y");
        assert_eq!(string::as_str(kept), "kept");
    })
}

/// A linked list of `n` cells, head last.
fn cell_chain(n: usize) -> Value {
    let mut head = Value::NULL;
    for _ in 0..n {
        head = function::new_cell(head).unwrap();
    }
    head
}

/// Builds three `n`-deep structures (cells, nested arrays, nested objects), collects, checks
/// them.
#[inline(never)]
fn build_deep(n: usize) {
    let head = cell_chain(n);
    let mut arr = array::from_values(vec![]).unwrap();
    for _ in 0..n {
        arr = array::from_values(vec![arr]).unwrap();
    }
    let mut obj = object::new_empty().unwrap();
    for _ in 0..n {
        let outer = object::new_empty().unwrap();
        object::obj(outer).set("next", obj);
        obj = outer;
    }
    collect();
    let mut depth = 0;
    let mut cur = head;
    while cur.tag == Tag::Cell {
        cur = function::cell_get(cur);
        depth += 1;
    }
    assert_eq!(depth, n);
    let mut depth = 0;
    let mut cur = arr;
    while array::len(cur) == 1 {
        cur = array::obj(cur).get(0);
        depth += 1;
    }
    assert_eq!(depth, n);
    assert!(info().objects >= 3 * n);
    keep(head);
    keep(arr);
    keep(obj);
}

#[test]
fn deep_structures_collect_without_recursion() {
    // A small native stack: marking and freeing must not recurse per level.
    let t = std::thread::Builder::new()
        .stack_size(1024 * 1024)
        .spawn(|| {
            rooted(|| {
                let n = if stress() { 2_000 } else { 100_000 };
                build_deep(n);
                clobber_stack();
                collect();
                // Freeing is per object, not recursive either.
                assert!(info().objects < n / 10, "{:?}", info());
            })
        })
        .unwrap();
    t.join().unwrap();
}

#[test]
fn stress_mode_collects_at_every_allocation() {
    rooted(|| {
        set_stress(true);
        let before = stats().collections;
        let a = string::new("a").unwrap();
        let b = string::new("b").unwrap();
        assert_eq!(stats().collections, before + 2);
        assert_eq!(string::as_str(a), "a");
        assert_eq!(string::as_str(b), "b");
        set_stress(false);
    })
}

#[test]
fn the_new_object_is_a_root_of_the_collection_it_triggers() {
    rooted(|| {
        set_stress(true);
        // The strings are on the stack while they are created, then only in the Vec's
        // malloc'd buffer while the array is allocated (and stress-collects).
        let mut locals = [Value::NULL; 10];
        for (i, slot) in locals.iter_mut().enumerate() {
            *slot = string::new(&format!("s{i}")).unwrap();
        }
        let items: Vec<Value> = locals.to_vec();
        for slot in locals.iter_mut() {
            // SAFETY: writes a local.
            unsafe { std::ptr::write_volatile(slot, Value::NULL) };
        }
        let arr = array::from_values(items).unwrap();
        clobber_stack();
        collect();
        for i in 0..10 {
            assert_eq!(string::as_str(array::obj(arr).get(i)), format!("s{i}"));
        }
        keep(arr);
        set_stress(false);
    })
}

#[test]
fn empty_blocks_are_reused_and_returned() {
    rooted(|| {
        let roots = Box::new(Roots(Default::default()));
        let _guard = add_root(&*roots as &dyn RootSource as *const dyn RootSource);
        // Far more blocks than one cycle allocates (the initial threshold's worth are kept).
        let n = if stress() { 4_000 } else { 1_000_000 };
        for i in 0..n {
            let c = function::new_cell(Value::int(i)).unwrap();
            roots.0.borrow_mut().push(c);
        }
        let full = info();
        assert!(full.blocks as i64 >= n / 10_000, "{full:?}");
        roots.0.borrow_mut().clear();
        collect_clean();
        let after = info();
        assert!(after.blocks <= 2, "{after:?}");
        let next_cycle = after.threshold / layout::BLOCK_SIZE;
        assert!(after.empty_blocks <= next_cycle.max(4), "{after:?}");
        if !stress() {
            assert!(after.reserved_bytes < full.reserved_bytes / 3);
        }
    })
}

#[test]
fn accounting_follows_buffers() {
    rooted(|| {
        let arr = array::from_values(vec![]).unwrap();
        let start = heap_bytes();
        for i in 0..10_000 {
            array::push_in_place(arr, Value::int(i));
        }
        let grown = heap_bytes();
        assert!(grown >= start + 80_000, "{start} -> {grown}");
        // SAFETY: a live array.
        let size = unsafe { (*arr.ptr()).size } as usize;
        assert!(size >= 80_000);
        keep(arr);
    })
}

#[test]
fn stats_are_recorded_and_reported() {
    rooted(|| {
        garbage(1000);
        collect();
        collect();
        let s = stats();
        assert!(s.collections >= 2);
        assert!(s.freed_objects >= 900);
        assert!(s.max_pause >= s.mean_pause());
        let report = stats_report();
        assert!(report.starts_with("gc: "), "{report}");
        assert!(report.contains("p99"), "{report}");
    })
}

#[test]
fn root_ranges_are_traced() {
    rooted(|| {
        let mut globals = vec![Value::NULL; 4].into_boxed_slice();
        add_root_range(globals.as_ptr(), globals.len());
        globals[2] = string::new("global").unwrap();
        clobber_stack();
        garbage(100);
        collect();
        assert_eq!(string::as_str(globals[2]), "global");
        remove_root_range(globals.as_ptr());
    })
}

#[test]
fn sizes_parse_with_suffixes() {
    assert_eq!(parse_size("123"), Some(123));
    assert_eq!(parse_size(" 64K"), Some(65536));
    assert_eq!(parse_size("16m"), Some(16 << 20));
    assert_eq!(parse_size("1G"), Some(1 << 30));
    assert_eq!(parse_size("x"), None);
    assert_eq!(parse_size(""), None);
}

#[test]
fn payload_types_fit_their_kinds() {
    fn check<T: HeapObject>(kind: ObjKind) {
        assert_eq!(T::KIND, kind);
        assert!(std::mem::align_of::<GcBox<T>>() <= GRANULE);
    }
    check::<string::StrObj>(ObjKind::Str);
    check::<array::ArrayObj>(ObjKind::Array);
    check::<object::ObjectObj>(ObjKind::Object);
    check::<function::FunctionObj>(ObjKind::Function);
    check::<function::CellObj>(ObjKind::Cell);
    check::<crate::task::TaskObj>(ObjKind::Task);
    check::<crate::handle::HandleObj>(ObjKind::Handle);
    assert_eq!(std::mem::size_of::<GcHeader>(), 8);
}
