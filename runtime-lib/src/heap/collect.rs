//! The mark-sweep collector.
//!
//! Marking starts from the registered root sources and the conservatively scanned native stack,
//! and follows children with an explicit mark stack (no recursion, so deep structures cannot
//! overflow the native stack). Sweeping frees every unmarked object.

use super::{stack, with_heap, GcHeader, ObjKind};
use crate::value::Value;
use std::time::{Duration, Instant};

/// Collection statistics, printed at exit with `SOLVRA_GC_STATS=1`.
#[derive(Clone, Debug, Default)]
pub struct GcStats {
    pub collections: u64,
    pub total_pause: Duration,
    pub max_pause: Duration,
    pub freed_objects: u64,
    pub peak_bytes: usize,
}

impl GcStats {
    pub fn report(&self, live_bytes: usize) -> String {
        let mean = if self.collections == 0 {
            Duration::ZERO
        } else {
            self.total_pause / self.collections as u32
        };
        format!(
            "gc: {} collections, pause total {:.3} ms, mean {:.3} ms, max {:.3} ms; freed {} objects; heap {} bytes live, {} bytes peak",
            self.collections,
            self.total_pause.as_secs_f64() * 1e3,
            mean.as_secs_f64() * 1e3,
            self.max_pause.as_secs_f64() * 1e3,
            self.freed_objects,
            live_bytes,
            self.peak_bytes
        )
    }
}

/// Runs a full collection now.
#[inline(never)]
pub fn collect() {
    let start = Instant::now();
    let mut gray: Vec<*mut GcHeader> = Vec::new();
    let roots = with_heap(|h| h.roots.clone());
    let mut visit = |v: Value| {
        if v.tag.is_heap() {
            gray.push(v.ptr());
        }
    };
    for source in roots {
        // SAFETY: registered sources stay alive and in place until their guard is dropped.
        unsafe { (*source).trace_roots(&mut visit) };
    }
    stack::scan(&mut |word| gray.push(word as *mut GcHeader));

    with_heap(|h| {
        let peak = h.bytes;
        // Mark. Candidate pointers from the stack may point anywhere: resolve each to the
        // object containing it, or drop it.
        while let Some(candidate) = gray.pop() {
            let addr = candidate as usize;
            let obj = match h.objects.range(..=addr).next_back() {
                Some((&start, &len)) if addr < start + len.max(1) => start as *mut GcHeader,
                _ => continue,
            };
            // SAFETY: `obj` is a registered live object.
            let header = unsafe { &mut *obj };
            if header.marked != 0 {
                continue;
            }
            header.marked = 1;
            trace_children(obj, &mut |v| {
                if v.tag.is_heap() {
                    gray.push(v.ptr());
                }
            });
        }
        // Sweep.
        let mut dead = Vec::new();
        for &start in h.objects.keys() {
            let header = unsafe { &mut *(start as *mut GcHeader) };
            if header.marked != 0 {
                header.marked = 0;
            } else {
                dead.push(start);
            }
        }
        for start in &dead {
            h.objects.remove(start);
            let obj = *start as *mut GcHeader;
            // SAFETY: unreachable objects are freed exactly once, with their own type's drop.
            unsafe {
                h.bytes = h.bytes.saturating_sub((*obj).size as usize);
                if let Some(finalize) = h.finalizers[(*obj).kind as usize] {
                    finalize(obj);
                }
            }
        }
        let pause = start.elapsed();
        let stats = &mut h.stats;
        stats.collections += 1;
        stats.total_pause += pause;
        stats.max_pause = stats.max_pause.max(pause);
        stats.freed_objects += dead.len() as u64;
        stats.peak_bytes = stats.peak_bytes.max(peak);
        h.threshold = (h.bytes * 2).max(h.config.initial_threshold);
    });
}

/// Calls `visit` with every value an object refers to.
fn trace_children(obj: *mut GcHeader, visit: &mut dyn FnMut(Value)) {
    // SAFETY: `obj` is live and its kind tells its payload type.
    unsafe {
        match (*obj).kind {
            ObjKind::Str | ObjKind::Handle => {}
            ObjKind::Array => crate::array::trace(obj, visit),
            ObjKind::Object => crate::object::trace(obj, visit),
            ObjKind::Function => crate::function::trace(obj, visit),
            ObjKind::Cell => crate::function::trace_cell(obj, visit),
            ObjKind::Task => crate::task::trace(obj, visit),
        }
    }
}
