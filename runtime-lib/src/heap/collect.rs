//! The mark-sweep collector.
//!
//! 1. The free lists are dropped (their slots are free in the bitmaps and will be re-threaded).
//! 2. Roots: every registered `RootSource`, every registered value range, the objects being
//!    allocated by the slow path (`Heap::pending`), and every word of the native stack and the
//!    callee-saved registers (`stack.rs`). Each root is resolved through the block table or
//!    the large-object map (`Space::find_object`), so a stale or interior pointer can only
//!    keep an object alive, never corrupt the heap.
//! 3. Marking sets the object's bit in its block's mark bitmap (a large object's header bit)
//!    and pushes objects that have children onto an explicit mark stack, so deep structures
//!    never recurse on the native stack. Children found inside the heap are exact pointers.
//! 4. Sweeping walks each block's bitmaps a word at a time: allocated-but-unmarked objects
//!    have their payload dropped and become free; survivors' marks are cleared. Blocks with
//!    free slots wait on their class's list until the allocator needs them.

use super::layout::{bit_of, block_of};
use super::{alloc_state, heap_ptr, stack, GcHeader, Heap, ObjKind};
use crate::value::Value;
use std::time::Instant;

/// Runs a full collection now (unless collection is disabled or already running).
#[inline(never)]
pub fn collect() {
    let h = heap_ptr();
    // SAFETY: this thread's heap; nothing holds a reference into it across this call.
    unsafe {
        if (*h).no_gc == 0 {
            collect_now(h);
        }
    }
}

/// Marks `obj` if it is not marked yet; pushes it for tracing if it can have children.
#[inline(always)]
unsafe fn mark(obj: *mut GcHeader, stack: &mut Vec<*mut GcHeader>) {
    let header = &mut *obj;
    if header.is_large() {
        if header.marked != 0 {
            return;
        }
        header.marked = 1;
    } else {
        let blk = block_of(obj as usize);
        let (w, bit) = bit_of(obj as usize);
        let word = (*blk).mark_bits.get_unchecked_mut(w);
        if *word & bit != 0 {
            return;
        }
        *word |= bit;
    }
    if header.kind.has_children() {
        stack.push(obj);
    }
}

/// Children waiting to be marked while their headers are fetched: marking reads a child's
/// header, and in a big structure that read misses the cache every time, so each child is
/// prefetched when it is found and marked `AHEAD` children later (most of the time of
/// marking a large tree was those misses).
#[derive(Default)]
struct Ahead {
    ring: [usize; AHEAD],
    next: usize,
    len: usize,
}

const AHEAD: usize = 8;

impl Ahead {
    /// Queues `obj`; returns the child whose turn has come, if the queue was full.
    #[inline(always)]
    unsafe fn push(&mut self, obj: *mut GcHeader) -> Option<*mut GcHeader> {
        prefetch(obj);
        if self.len < AHEAD {
            self.ring[(self.next + self.len) % AHEAD] = obj as usize;
            self.len += 1;
            return None;
        }
        let due = std::mem::replace(&mut self.ring[self.next], obj as usize);
        self.next = (self.next + 1) % AHEAD;
        Some(due as *mut GcHeader)
    }

    fn pop(&mut self) -> Option<*mut GcHeader> {
        if self.len == 0 {
            return None;
        }
        let due = self.ring[self.next];
        self.next = (self.next + 1) % AHEAD;
        self.len -= 1;
        Some(due as *mut GcHeader)
    }
}

#[inline(always)]
unsafe fn prefetch(obj: *mut GcHeader) {
    #[cfg(target_arch = "x86_64")]
    std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(obj as *const i8);
    // Elsewhere the stable toolchains have no prefetch; the queue only delays marking.
    #[cfg(not(target_arch = "x86_64"))]
    let _ = obj;
}

/// The collection proper.
#[inline(never)]
pub(super) unsafe fn collect_now(h: *mut Heap) {
    if (*h).collecting {
        return;
    }
    (*h).collecting = true;
    let start = Instant::now();
    let st = alloc_state();
    let before = (*st).bytes;
    let reserved_before = (*h).space.reserved_bytes();
    for head in (*st).free.iter_mut() {
        *head = std::ptr::null_mut();
    }

    let mut stack = std::mem::take(&mut (*h).mark_stack);
    let space = &(*h).space as *const super::space::Space;
    let roots = (*h).roots.clone();
    let ranges: Vec<(usize, usize)> = (*h).ranges.iter().map(|(&s, &n)| (s, n)).collect();
    {
        let mut visit_root = |v: Value| {
            if v.tag.is_heap() {
                if let Some(obj) = (*space).find_object(v.bits as usize) {
                    mark(obj, &mut stack);
                }
            }
        };
        for source in roots {
            // Registered sources stay alive and in place until their guard is dropped.
            (*source).trace_roots(&mut visit_root);
        }
        for (start, len) in ranges {
            for i in 0..len {
                visit_root(*(start as *const Value).add(i));
            }
        }
    }
    let pending = &(*h).pending;
    for &obj in pending.iter() {
        mark(obj, &mut stack);
    }
    stack::scan(&mut |word| {
        if let Some(obj) = (*space).find_object(word) {
            mark(obj, &mut stack);
        }
    });

    let mut ahead = Ahead::default();
    loop {
        while let Some(obj) = stack.pop() {
            trace_children(obj, &mut |v| {
                if v.tag.is_heap() {
                    let child = v.ptr();
                    debug_assert!(
                        (*space).find_object(child as usize) == Some(child),
                        "a heap object refers to {:?}, which is not a live object",
                        v
                    );
                    if let Some(due) = ahead.push(child) {
                        mark(due, &mut stack);
                    }
                }
            });
        }
        match ahead.pop() {
            Some(due) => mark(due, &mut stack),
            None => break,
        }
    }
    if stack.capacity() > 1 << 20 {
        stack = Vec::new();
    }
    (*h).mark_stack = stack;

    let swept = (*h).space.sweep();
    (*st).bytes = (*st).bytes.saturating_sub(swept.bytes);
    let after = (*st).bytes;
    if crate::debug::tracing::enabled() {
        let args = format!(r#"{{"before":{before},"after":{after}}}"#);
        crate::debug::tracing::complete("gc", "collect", start, &args);
    }
    (*h).threshold = after.saturating_mul(2).max((*h).config.initial_threshold);
    (*h).space
        .trim_empty((*h).collect_at().saturating_sub(after));
    let reserved = reserved_before.max((*h).space.reserved_bytes());
    (*h).stats.record(
        start.elapsed(),
        before,
        after,
        swept.objects,
        swept.bytes,
        reserved,
    );
    (*h).collecting = false;
    (*h).update_trigger();
}

/// Calls `visit` with every value an object refers to.
unsafe fn trace_children(obj: *mut GcHeader, visit: &mut dyn FnMut(Value)) {
    match (*obj).kind {
        ObjKind::Str | ObjKind::Handle => {}
        ObjKind::Array => crate::array::trace(obj, visit),
        ObjKind::Object => crate::object::trace(obj, visit),
        ObjKind::Function => crate::function::trace(obj, visit),
        ObjKind::Cell => crate::function::trace_cell(obj, visit),
        ObjKind::Task => crate::task::trace(obj, visit),
    }
}
