//! The garbage-collected heap: object headers, allocation, roots and a mark-sweep collector.
//!
//! Every heap object starts with a `GcHeader` (layout below) followed by its payload; a `Value`
//! of a heap type holds the address of the header. The collector is non-moving mark-sweep:
//! precise inside the heap (each `ObjKind` knows its children, `trace.rs`), precise over
//! registered root sources (interpreter stacks, globals), and conservative over the native
//! stack (`stack.rs`), so Rust and compiled code may keep values in locals without
//! registering them. Values held in Rust collections outside the heap must be registered
//! (`RootSource`), because the collector cannot see malloc'd memory.
//!
//! | offset | field | meaning |
//! |---|---|---|
//! | 0 | `kind: ObjKind` (u8) | what follows the header |
//! | 1 | `marked: u8` | set during marking |
//! | 2 | `flags: u8` | per-kind bits, e.g. `FLAG_SHARED` on arrays |
//! | 3 | `_pad` | |
//! | 4 | `size: u32` | bytes accounted to this object (header + payload + owned buffers) |
//!
//! docs/MEMORY_MODEL.md describes the layouts, the collector and its knobs.

mod collect;
mod stack;

use crate::error::RtError;
use std::cell::UnsafeCell;
use std::collections::BTreeMap;

pub use collect::{collect, GcStats};
pub use stack::{set_stack_base, with_stack_base};

/// What kind of object follows a header.
#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ObjKind {
    Str = 1,
    Array = 2,
    Object = 3,
    Function = 4,
    Cell = 5,
    Task = 6,
    Handle = 7,
}

#[repr(C)]
#[derive(Debug)]
pub struct GcHeader {
    pub kind: ObjKind,
    pub marked: u8,
    pub flags: u8,
    _pad: u8,
    pub size: u32,
}

/// An array that is (or was) reachable from more than one place: mutate a copy (§3.10.1).
pub const FLAG_SHARED: u8 = 1;

/// A heap object: header, then payload. `#[repr(C)]` keeps the header at offset 0.
#[repr(C)]
pub struct GcBox<T> {
    pub header: GcHeader,
    pub data: T,
}

/// Payload types that live on the heap.
pub trait HeapObject: Sized + 'static {
    const KIND: ObjKind;
    /// Bytes owned outside the box (string text, array buffers), for heap accounting.
    fn extra_bytes(&self) -> usize {
        0
    }
}

/// Something outside the heap that holds values the collector must keep alive.
pub trait RootSource {
    fn trace_roots(&self, visit: &mut dyn FnMut(crate::value::Value));
}

/// Tuning and limits, read from the environment at `init` (see docs/MEMORY_MODEL.md).
#[derive(Clone, Debug)]
pub struct HeapConfig {
    /// `SOLVRA_GC_STRESS=1`: collect before every allocation.
    pub stress: bool,
    /// `SOLVRA_MAX_HEAP=N`: live bytes allowed; exceeding it raises a runtime error.
    pub max_heap: Option<usize>,
    /// `SOLVRA_GC_STATS=1`: print collection statistics to stderr at exit.
    pub stats: bool,
    /// First collection threshold in bytes.
    pub initial_threshold: usize,
}

impl HeapConfig {
    pub fn from_env() -> HeapConfig {
        let flag = |name: &str| std::env::var(name).map(|v| v == "1").unwrap_or(false);
        HeapConfig {
            stress: flag("SOLVRA_GC_STRESS"),
            max_heap: std::env::var("SOLVRA_MAX_HEAP")
                .ok()
                .and_then(|v| v.trim().parse().ok()),
            stats: flag("SOLVRA_GC_STATS"),
            initial_threshold: 8 << 20,
        }
    }
}

pub(crate) struct Heap {
    pub config: HeapConfig,
    /// Every live object, keyed by address, with its allocation size: lets the conservative
    /// stack scan tell a pointer into an object from any other word.
    pub objects: BTreeMap<usize, usize>,
    pub bytes: usize,
    pub threshold: usize,
    pub roots: Vec<*const dyn RootSource>,
    pub stats: GcStats,
    /// Collection is postponed while > 0 (e.g. while the runtime itself is tearing down).
    pub no_gc: u32,
    /// Drops the payload of an object, by kind; set once at `init`.
    pub finalizers: [Option<unsafe fn(*mut GcHeader)>; 8],
}

thread_local! {
    static HEAP: UnsafeCell<Option<Heap>> = const { UnsafeCell::new(None) };
}

/// Runs `f` with this thread's heap, creating it on first use.
pub(crate) fn with_heap<R>(f: impl FnOnce(&mut Heap) -> R) -> R {
    HEAP.with(|cell| {
        // SAFETY: the heap is thread-local and never borrowed re-entrantly: callers do not call
        // back into `with_heap` from inside `f` (the collector takes the heap out first).
        let slot = unsafe { &mut *cell.get() };
        let heap = slot.get_or_insert_with(|| Heap::new(HeapConfig::from_env()));
        f(heap)
    })
}

impl Heap {
    fn new(config: HeapConfig) -> Heap {
        Heap {
            threshold: config.initial_threshold,
            config,
            objects: BTreeMap::new(),
            bytes: 0,
            roots: Vec::new(),
            stats: GcStats::default(),
            no_gc: 0,
            finalizers: [None; 8],
        }
    }
}

/// Replaces this thread's heap configuration (tests and embedders).
pub fn configure(config: HeapConfig) {
    with_heap(|h| {
        h.threshold = config.initial_threshold;
        h.config = config;
    });
}

/// Allocates `data` on the heap, collecting first if the heap is over its threshold.
pub fn alloc<T: HeapObject>(data: T) -> Result<*mut GcBox<T>, RtError> {
    let size = std::mem::size_of::<GcBox<T>>() + data.extra_bytes();
    let (must_collect, stress) = with_heap(|h| {
        h.finalizers[T::KIND as usize].get_or_insert(drop_box::<T>);
        let over = h.bytes + size > h.threshold;
        let limited = h.config.max_heap.map_or(false, |max| h.bytes + size > max);
        (
            (over || limited || h.config.stress) && h.no_gc == 0,
            h.config.stress,
        )
    });
    if must_collect {
        collect();
    }
    let limit = with_heap(|h| h.config.max_heap.filter(|&max| h.bytes + size > max));
    if let Some(max) = limit {
        return Err(RtError::new(format!(
            "out of memory: heap limit {max} bytes exceeded"
        )));
    }
    let ptr = Box::into_raw(Box::new(GcBox {
        header: GcHeader {
            kind: T::KIND,
            marked: 0,
            flags: 0,
            _pad: 0,
            size: size.min(u32::MAX as usize) as u32,
        },
        data,
    }));
    with_heap(|h| {
        h.objects
            .insert(ptr as usize, std::mem::size_of::<GcBox<T>>());
        h.bytes += size;
        if !stress && h.bytes > h.threshold {
            h.threshold = h.bytes * 2;
        }
    });
    Ok(ptr)
}

/// Records an object's new accounted size after its out-of-line buffers grew or shrank.
///
/// # Safety
/// `obj` must be a live heap object of this thread.
pub unsafe fn account(obj: *mut GcHeader, new_size: usize) {
    let header = &mut *obj;
    let old = header.size as usize;
    header.size = new_size.min(u32::MAX as usize) as u32;
    with_heap(|h| h.bytes = (h.bytes + new_size).saturating_sub(old));
}

unsafe fn drop_box<T: HeapObject>(obj: *mut GcHeader) {
    drop(Box::from_raw(obj as *mut GcBox<T>));
}

/// The payload of a heap object of type `T`.
///
/// # Safety
/// `obj` must be a live object whose kind is `T::KIND`.
pub unsafe fn payload<'a, T: HeapObject>(obj: *mut GcHeader) -> &'a mut T {
    debug_assert_eq!((*obj).kind, T::KIND);
    &mut (*(obj as *mut GcBox<T>)).data
}

/// Registers a root source until the returned guard is dropped. The source must not move
/// while registered (keep it boxed or pinned in a frame that outlives the guard).
pub fn add_root(source: *const dyn RootSource) -> RootGuard {
    with_heap(|h| h.roots.push(source));
    RootGuard { source }
}

/// Moves `source` to a permanent place and registers it as a root for the rest of the thread's
/// life: for per-thread registries (builtin function values, event handlers). Must be called at
/// most once per registry and thread, since the allocation is never freed.
pub fn leak_root<T: RootSource + 'static>(source: T) -> &'static T {
    let leaked: &'static T = Box::leak(Box::new(source));
    std::mem::forget(add_root(leaked as &dyn RootSource as *const dyn RootSource));
    leaked
}

pub struct RootGuard {
    source: *const dyn RootSource,
}

impl Drop for RootGuard {
    fn drop(&mut self) {
        let source = self.source;
        with_heap(|h| {
            if let Some(i) = h.roots.iter().rposition(|&r| std::ptr::eq(r, source)) {
                h.roots.remove(i);
            }
        });
    }
}

/// Current heap size in bytes (live objects plus garbage not yet collected).
pub fn heap_bytes() -> usize {
    with_heap(|h| h.bytes)
}

/// Sets or clears the heap limit (the API behind `SOLVRA_MAX_HEAP`).
pub fn set_max_heap(max: Option<usize>) {
    with_heap(|h| h.config.max_heap = max);
}
