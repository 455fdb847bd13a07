//! The garbage-collected heap: object headers, allocation, roots and a mark-sweep collector.
//!
//! Every heap object starts with a `GcHeader` (layout below) followed by its payload; a `Value`
//! of a heap type holds the address of the header. Objects never move.
//!
//! **Allocation.** Objects of at most 256 bytes come from size-class blocks (`layout.rs`): 256
//! KiB blocks aligned to their size, one size class per block, free slots linked through
//! their first word, an allocated bitmap and a mark bitmap per block. The fast path pops a free
//! slot and bumps the byte count; it is `#[inline]` here and is what compiled code will inline
//! (`layout::try_alloc_small`). Bigger objects are *large objects*: one system allocation each,
//! tracked in an ordered map (`space.rs`). Only the slow path collects, and it does so *after*
//! placing the new object, which it treats as a root: so the values inside a payload being
//! allocated stay alive even if nothing else refers to them yet.
//!
//! **Collection** (`collect.rs`) is non-moving mark-sweep: precise inside the heap (each
//! `ObjKind` knows its children), precise over registered root sources (interpreter stacks,
//! globals, `add_root_range`), and conservative over the native stack (`stack.rs`), so Rust and
//! compiled code may keep values in locals without registering them. Values held in Rust
//! collections outside the heap (a `Vec<Value>` on the malloc heap) must be registered, because
//! the collector cannot see malloc'd memory; a value that is also held in a local, a rooted
//! place or a heap object is fine.
//!
//! | offset | field | meaning |
//! |---|---|---|
//! | 0 | `kind: ObjKind` (u8) | what follows the header |
//! | 1 | `marked: u8` | mark bit of a large object (small objects use their block's bitmap) |
//! | 2 | `flags: u8` | per-kind bits, e.g. `FLAG_SHARED` on arrays |
//! | 3 | `gcbits: u8` | the collector's bits: `GC_LARGE` |
//! | 4 | `size: u32` | bytes accounted to this object (slot + owned buffers), saturating |
//!
//! `arena.rs` is a separate bump arena for data that is not garbage collected. docs/MEMORY_MODEL.md
//! describes the layouts, the collector and its knobs.

pub mod arena;
mod collect;
pub mod layout;
mod space;
mod stack;
mod stats;
mod valgrind;

use crate::error::RtError;
use crate::value::Value;
use layout::{AllocState, CLASS_SIZES, GRANULE, NO_CLASS};
use std::cell::UnsafeCell;
use std::collections::BTreeMap;

pub use arena::{Arena, BumpArena};
pub use collect::collect;
pub(crate) use stack::set_base_exact as set_stack_base_exact;
pub use stack::{base as stack_base, set_stack_base, with_stack_base};

/// Tells valgrind that `[addr, addr + len)` is defined: the conservative scan reads slack
/// words on purpose.
pub(crate) fn mark_defined(addr: usize, len: usize) {
    valgrind::make_defined(addr as *const u8, len);
}

/// Tells valgrind about a stack that tasks run on (`scheduler`).
pub(crate) fn register_stack(start: usize, end: usize) {
    valgrind::stack_register(start, end);
}
pub use stats::GcStats;

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

impl ObjKind {
    pub fn from_u8(v: u8) -> Option<ObjKind> {
        Some(match v {
            1 => ObjKind::Str,
            2 => ObjKind::Array,
            3 => ObjKind::Object,
            4 => ObjKind::Function,
            5 => ObjKind::Cell,
            6 => ObjKind::Task,
            7 => ObjKind::Handle,
            _ => return None,
        })
    }

    /// Whether objects of this kind can refer to other heap objects.
    #[inline]
    pub fn has_children(self) -> bool {
        !matches!(self, ObjKind::Str | ObjKind::Handle)
    }

    /// Whether an all-zero payload is a valid object of this kind that owns nothing outside
    /// the heap: only such kinds may be allocated raw (`alloc_raw`, compiled code's inline
    /// allocation). Today that is `Cell` (a zero `Value` is `null`).
    pub fn is_plain(self) -> bool {
        matches!(self, ObjKind::Cell)
    }
}

#[repr(C)]
#[derive(Debug)]
pub struct GcHeader {
    pub kind: ObjKind,
    pub marked: u8,
    pub flags: u8,
    gcbits: u8,
    pub size: u32,
}

/// `GcHeader::gcbits`: the object is a large object (its own allocation, mark in the header).
pub const GC_LARGE: u8 = 1;

impl GcHeader {
    /// A fresh header: unmarked, no flags, `size` accounted bytes (saturating at u32::MAX).
    #[inline(always)]
    pub fn new(kind: ObjKind, size: usize, gcbits: u8) -> GcHeader {
        GcHeader {
            kind,
            marked: 0,
            flags: 0,
            gcbits,
            size: if size > u32::MAX as usize {
                u32::MAX
            } else {
                size as u32
            },
        }
    }

    /// Whether this is a large object rather than a block slot.
    #[inline(always)]
    pub fn is_large(&self) -> bool {
        self.gcbits & GC_LARGE != 0
    }
}

/// An array that is (or was) reachable from more than one place: mutate a copy (§3.10.1).
pub const FLAG_SHARED: u8 = 1;

/// Where a payload starts in a heap object on every target: the header's 8 bytes, and no
/// payload is aligned to more than 8 (compiled code adds this to an object's address).
pub const PAYLOAD_OFFSET: u64 = 8;

/// A heap object: header, then payload. `#[repr(C)]` keeps the header at offset 0.
#[repr(C)]
pub struct GcBox<T> {
    pub header: GcHeader,
    pub data: T,
}

mod sealed {
    /// Only the runtime's own payload types are heap objects: the collector finds an object's
    /// children and drops its payload by `ObjKind` alone (`collect::trace_children`,
    /// `drop_payload`), so each kind must have exactly one payload type.
    pub trait Sealed {}
    impl Sealed for crate::string::StrObj {}
    impl Sealed for crate::array::ArrayObj {}
    impl Sealed for crate::object::ObjectObj {}
    impl Sealed for crate::function::FunctionObj {}
    impl Sealed for crate::function::CellObj {}
    impl Sealed for crate::task::TaskObj {}
    impl Sealed for crate::handle::HandleObj {}
}

/// Payload types that live on the heap (sealed: one type per `ObjKind`, listed above).
pub trait HeapObject: Sized + sealed::Sealed + 'static {
    const KIND: ObjKind;
    /// Bytes owned outside the box (string text, array buffers), for heap accounting.
    fn extra_bytes(&self) -> usize {
        0
    }
}

/// Drops the payload of a dead object, by kind.
///
/// # Safety
/// `obj` must be an allocated object whose payload has not been dropped yet.
pub(crate) unsafe fn drop_payload(obj: *mut GcHeader) {
    use std::ptr::drop_in_place;
    match (*obj).kind {
        ObjKind::Str => drop_in_place(obj as *mut GcBox<crate::string::StrObj>),
        ObjKind::Array => drop_in_place(obj as *mut GcBox<crate::array::ArrayObj>),
        ObjKind::Object => drop_in_place(obj as *mut GcBox<crate::object::ObjectObj>),
        ObjKind::Function => drop_in_place(obj as *mut GcBox<crate::function::FunctionObj>),
        ObjKind::Cell => drop_in_place(obj as *mut GcBox<crate::function::CellObj>),
        ObjKind::Task => drop_in_place(obj as *mut GcBox<crate::task::TaskObj>),
        ObjKind::Handle => drop_in_place(obj as *mut GcBox<crate::handle::HandleObj>),
    }
}

/// Something outside the heap that holds values the collector must keep alive.
pub trait RootSource {
    fn trace_roots(&self, visit: &mut dyn FnMut(Value));
}

/// Tuning and limits, read from the environment when the thread's heap is created (see
/// docs/MEMORY_MODEL.md).
#[derive(Clone, Debug)]
pub struct HeapConfig {
    /// `SOLVRA_GC_STRESS=1`: collect at every allocation.
    pub stress: bool,
    /// `SOLVRA_MAX_HEAP=N`: accounted bytes allowed; an allocation that would exceed it after
    /// a collection raises `out of memory: heap limit N bytes exceeded`.
    pub max_heap: Option<usize>,
    /// `SOLVRA_GC_STATS=1`: `report_stats_if_enabled` prints statistics to stderr.
    pub stats: bool,
    /// `SOLVRA_GC_INITIAL_HEAP=N`: the first collection happens when the heap reaches N bytes;
    /// later ones when it doubles its size after the previous collection (never below N).
    pub initial_threshold: usize,
}

impl Default for HeapConfig {
    fn default() -> HeapConfig {
        HeapConfig {
            stress: false,
            max_heap: None,
            stats: false,
            initial_threshold: 8 << 20,
        }
    }
}

/// A byte count with an optional binary suffix: `1048576`, `64K`, `16M`, `1G`.
pub fn parse_size(text: &str) -> Option<usize> {
    let t = text.trim();
    let (digits, shift) = match t.chars().last()? {
        'k' | 'K' => (&t[..t.len() - 1], 10),
        'm' | 'M' => (&t[..t.len() - 1], 20),
        'g' | 'G' => (&t[..t.len() - 1], 30),
        _ => (t, 0),
    };
    let n: usize = digits.trim().parse().ok()?;
    n.checked_mul(1usize.checked_shl(shift)?)
}

impl HeapConfig {
    pub fn from_env() -> HeapConfig {
        let flag = |name: &str| std::env::var(name).map(|v| v == "1").unwrap_or(false);
        let size = |name: &str| std::env::var(name).ok().and_then(|v| parse_size(&v));
        let default = HeapConfig::default();
        HeapConfig {
            stress: flag("SOLVRA_GC_STRESS"),
            max_heap: size("SOLVRA_MAX_HEAP"),
            stats: flag("SOLVRA_GC_STATS"),
            initial_threshold: size("SOLVRA_GC_INITIAL_HEAP")
                .unwrap_or(default.initial_threshold)
                .max(1),
        }
    }
}

/// The thread's heap: everything except the fast path's `AllocState`.
pub(crate) struct Heap {
    pub config: HeapConfig,
    /// Collect when the accounted bytes exceed this (or the heap limit).
    pub threshold: usize,
    /// The small-object space and the large objects (`space.rs`).
    pub space: space::Space,
    pub roots: Vec<*const dyn RootSource>,
    /// Registered arrays of values (`add_root_range`): start address → length.
    pub ranges: BTreeMap<usize, usize>,
    /// Objects being allocated while the slow path collects: roots for that collection.
    pub pending: Vec<*mut GcHeader>,
    /// The mark stack, kept between collections for its capacity.
    pub mark_stack: Vec<*mut GcHeader>,
    pub stats: GcStats,
    /// Collection is postponed while > 0.
    pub no_gc: u32,
    /// A collection is running (a nested request is ignored).
    pub collecting: bool,
}

thread_local! {
    /// The fast path's state; no destructor, so access is a plain TLS offset.
    static ALLOC: UnsafeCell<AllocState> = const { UnsafeCell::new(AllocState::new()) };
    static HEAP: UnsafeCell<Option<Heap>> = const { UnsafeCell::new(None) };
}

/// This thread's allocation state, at a fixed address for the thread's life.
#[inline(always)]
pub fn alloc_state() -> *mut AllocState {
    ALLOC.with(|s| s.get())
}

/// This thread's heap, created on first use.
///
/// Callers never keep a reference across a call that may re-enter the heap (a root source, a
/// collection): they go through this raw pointer for each step instead.
pub(crate) fn heap_ptr() -> *mut Heap {
    HEAP.with(|cell| {
        // SAFETY: thread-local; no reference into the slot outlives this closure.
        let slot = unsafe { &mut *cell.get() };
        if slot.is_none() {
            *slot = Some(Heap::new(HeapConfig::from_env()));
            let h = slot.as_mut().unwrap();
            h.update_trigger();
        }
        slot.as_mut().unwrap() as *mut Heap
    })
}

/// Runs `f` with this thread's heap. `f` must not call back into the heap.
pub(crate) fn with_heap<R>(f: impl FnOnce(&mut Heap) -> R) -> R {
    // SAFETY: see `heap_ptr`; `f` does not re-enter.
    f(unsafe { &mut *heap_ptr() })
}

impl Heap {
    fn new(config: HeapConfig) -> Heap {
        Heap {
            threshold: config.initial_threshold,
            config,
            space: space::Space::new(),
            roots: Vec::new(),
            ranges: BTreeMap::new(),
            pending: Vec::new(),
            mark_stack: Vec::new(),
            stats: GcStats::default(),
            no_gc: 0,
            collecting: false,
        }
    }

    /// The accounted size at which the slow path collects.
    pub(crate) fn collect_at(&self) -> usize {
        match self.config.max_heap {
            Some(max) => self.threshold.min(max),
            None => self.threshold,
        }
    }

    /// Recomputes the fast path's trigger after the configuration or threshold changed.
    pub(crate) fn update_trigger(&mut self) {
        let trigger = if self.config.stress {
            0
        } else {
            self.collect_at()
        };
        // SAFETY: this thread's state.
        unsafe { (*alloc_state()).trigger = trigger };
    }
}

impl Drop for Heap {
    /// Thread exit: drops every payload (closing files) and returns all memory. Nothing may
    /// allocate on this thread afterwards; the fast path is disabled first.
    fn drop(&mut self) {
        let _ = ALLOC.try_with(|s| {
            // SAFETY: this thread's state.
            unsafe { *s.get() = AllocState::new() };
        });
        // SAFETY: the thread is ending; no value of this heap is used after this.
        unsafe { self.space.release_all() };
    }
}

/// Replaces this thread's heap configuration (tests and embedders).
pub fn configure(config: HeapConfig) {
    with_heap(|h| {
        h.threshold = config.initial_threshold.max(1);
        h.config = config;
        h.update_trigger();
    });
}

/// This thread's heap configuration.
pub fn config() -> HeapConfig {
    with_heap(|h| h.config.clone())
}

/// Allocates `data` on the heap. Only the slow path collects (when the heap is over its
/// threshold, or always in stress mode), after placing the object, so `data`'s own values are
/// roots of that collection. Fails with `out of memory: heap limit N bytes exceeded` when the
/// heap limit is still exceeded after collecting; `data` is dropped then.
#[inline]
pub fn alloc<T: HeapObject>(data: T) -> Result<*mut GcBox<T>, RtError> {
    let size = std::mem::size_of::<GcBox<T>>();
    let class = layout::size_class(size);
    if class != NO_CLASS && std::mem::align_of::<GcBox<T>>() <= GRANULE {
        let extra = data.extra_bytes();
        // SAFETY: this thread's state and a valid class; the slot is written before anything
        // else can allocate or collect.
        unsafe {
            let slot = layout::try_alloc_small(alloc_state(), class, extra);
            if !slot.is_null() {
                return Ok(write_box(slot, data, CLASS_SIZES[class] + extra, 0));
            }
        }
    }
    alloc_slow(data)
}

#[inline(never)]
fn alloc_slow<T: HeapObject>(data: T) -> Result<*mut GcBox<T>, RtError> {
    let extra = data.extra_bytes();
    let size = std::mem::size_of::<GcBox<T>>();
    let align = std::mem::align_of::<GcBox<T>>();
    let h = heap_ptr();
    // SAFETY: `place` returns uninitialised, counted memory for one object, which is written
    // before the collection in `finish_slow_alloc` can look at it.
    unsafe {
        let (p, accounted, gcbits) = (*h).space.place(size, align, extra)?;
        let obj = write_box(p, data, accounted, gcbits);
        finish_slow_alloc(h, obj as *mut GcHeader)?;
        Ok(obj)
    }
}

/// Writes a fresh header and `data` at `p`.
///
/// # Safety
/// `p` must be fresh, counted memory for a `GcBox<T>`, aligned for it.
#[inline(always)]
unsafe fn write_box<T: HeapObject>(
    p: *mut u8,
    data: T,
    accounted: usize,
    gcbits: u8,
) -> *mut GcBox<T> {
    let obj = p as *mut GcBox<T>;
    std::ptr::write(
        obj,
        GcBox {
            header: GcHeader::new(T::KIND, accounted, gcbits),
            data,
        },
    );
    obj
}

/// Allocates `data` followed by `tail` bytes in the same object (a string's text, an object's
/// first slots), so the object needs no second allocation. `fill` gets the payload and the
/// tail (right after the payload) before anything can collect, so it may copy from other heap
/// objects, and whatever it points the payload at is traced by the first collection.
pub fn alloc_with_tail<T: HeapObject>(
    data: T,
    tail: usize,
    fill: impl FnOnce(&mut T, *mut u8),
) -> Result<*mut GcBox<T>, RtError> {
    let head = std::mem::size_of::<GcBox<T>>();
    debug_assert!(std::mem::align_of::<GcBox<T>>() <= GRANULE);
    let size = head
        .checked_add(tail)
        .ok_or_else(|| RtError::new(format!("out of memory: cannot allocate {tail} bytes")))?;
    // SAFETY: `place_sized` hands over fresh memory of at least `size` bytes, aligned to
    // GRANULE, which the closure writes whole before anything can collect.
    unsafe {
        let obj = place_sized(size, |p, accounted, gcbits| {
            let obj = write_box(p, data, accounted, gcbits);
            fill(&mut (*obj).data, p.add(head));
        })?;
        Ok(obj as *mut GcBox<T>)
    }
}

/// Places an object of `size` bytes (header included, GRANULE-aligned): in a block slot of
/// its class while the free list has one, else through `Space::place`. `init` writes the
/// object (given its address, accounted size and collector bits) before the slow path's
/// collection can look at it.
///
/// # Safety
/// `init` must write a whole object of `size` bytes at the address it is given.
unsafe fn place_sized(
    size: usize,
    init: impl FnOnce(*mut u8, usize, u8),
) -> Result<*mut GcHeader, RtError> {
    let class = layout::size_class(size);
    if class != NO_CLASS {
        let slot = layout::try_alloc_small(alloc_state(), class, 0);
        if !slot.is_null() {
            init(slot, CLASS_SIZES[class], 0);
            return Ok(slot as *mut GcHeader);
        }
    }
    let h = heap_ptr();
    let (p, accounted, gcbits) = (*h).space.place(size, GRANULE, 0)?;
    init(p, accounted, gcbits);
    finish_slow_alloc(h, p as *mut GcHeader)?;
    Ok(p as *mut GcHeader)
}

/// Allocates an object of a plain kind (`ObjKind::is_plain`) with `size` bytes (header
/// included) and a zeroed payload. The raw form of `alloc`, used by the C ABI for compiled
/// code.
pub fn alloc_raw(kind: ObjKind, size: usize) -> Result<*mut GcHeader, RtError> {
    if !kind.is_plain() {
        return Err(RtError::new(format!(
            "internal error: cannot allocate a {kind:?} object without its payload"
        )));
    }
    let size = size.max(std::mem::size_of::<GcHeader>());
    // SAFETY: the header and a zero payload are written at once.
    unsafe {
        place_sized(size, |p, accounted, gcbits| {
            init_raw(p, kind, accounted, gcbits)
        })
    }
}

/// Writes a header and zeroes the rest of an object of `size` bytes.
unsafe fn init_raw(p: *mut u8, kind: ObjKind, size: usize, gcbits: u8) {
    std::ptr::write_bytes(p, 0, size);
    std::ptr::write(p as *mut GcHeader, GcHeader::new(kind, size, gcbits));
}

/// The slow path's second half: collect if due (with `obj` as a root), then enforce the limit.
unsafe fn finish_slow_alloc(h: *mut Heap, obj: *mut GcHeader) -> Result<(), RtError> {
    let st = alloc_state();
    let due = (*h).config.stress || (*st).bytes > (*h).collect_at();
    if due {
        if (*h).no_gc == 0 && !(*h).collecting {
            (*h).pending.push(obj);
            collect::collect_now(h);
            (*h).pending.pop();
        } else if (*st).bytes > (*h).threshold {
            (*h).threshold = (*st).bytes.saturating_mul(2);
        }
    }
    if let Some(max) = (*h).config.max_heap {
        if (*st).bytes > max {
            (*h).space.free_now(obj);
            (*h).update_trigger();
            return Err(RtError::new(format!(
                "out of memory: heap limit {max} bytes exceeded"
            )));
        }
    }
    (*h).update_trigger();
    Ok(())
}

/// Records an object's new accounted size after its out-of-line buffers grew or shrank.
///
/// # Safety
/// `obj` must be a live heap object of this thread.
pub unsafe fn account(obj: *mut GcHeader, new_size: usize) {
    let header = &mut *obj;
    let old = header.size as usize;
    let new = new_size.min(u32::MAX as usize);
    header.size = new as u32;
    let st = &mut *alloc_state();
    st.bytes = (st.bytes + new).saturating_sub(old);
}

/// The payload of a heap object of type `T`.
///
/// # Safety
/// `obj` must be a live object whose kind is `T::KIND`.
#[inline(always)]
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
        // During thread teardown the heap may already be gone; then there is nothing to do.
        let _ = HEAP.try_with(|cell| {
            // SAFETY: thread-local, not borrowed elsewhere during this call.
            if let Some(h) = unsafe { &mut *cell.get() } {
                if let Some(i) = h.roots.iter().rposition(|&r| std::ptr::eq(r, source)) {
                    h.roots.remove(i);
                }
            }
        });
    }
}

/// Registers `len` values starting at `start` (e.g. a compiled module's globals in static
/// memory) as roots until `remove_root_range(start)`. The memory must stay valid and hold
/// initialised `Value`s while registered; registering the same start again replaces the length.
pub fn add_root_range(start: *const Value, len: usize) {
    with_heap(|h| {
        h.ranges.insert(start as usize, len);
    });
}

/// Unregisters a range registered by `add_root_range`.
pub fn remove_root_range(start: *const Value) {
    with_heap(|h| {
        h.ranges.remove(&(start as usize));
    });
}

/// Puts this thread's registered root ranges back, when dropped, to those registered when it
/// was saved. Code whose static data goes away with it holds one from before it adds its first
/// range: a JIT's objects register their constants and globals (`solvra_root_range_add`),
/// which the JIT frees when it is dropped.
pub struct RootRangesGuard {
    ranges: BTreeMap<usize, usize>,
}

impl RootRangesGuard {
    pub fn save() -> RootRangesGuard {
        RootRangesGuard {
            ranges: with_heap(|h| h.ranges.clone()),
        }
    }
}

impl Drop for RootRangesGuard {
    fn drop(&mut self) {
        let ranges = std::mem::take(&mut self.ranges);
        with_heap(|h| h.ranges = ranges);
    }
}

/// Puts back, when dropped, what running a program leaves in this thread's collector state:
/// the stack base, which the program moved onto a stack of its own, and the root ranges, to
/// which it added its constants and globals. An entry that runs a whole program and returns
/// (`aot::solvra_aot_main`) holds one: its caller may run more SolvraScript code on the thread
/// (an interpreter after a JIT run), whose collections must scan neither the program's stack,
/// unmapped by then, nor its static data, which a JIT frees with the program's code.
pub struct RunGuard {
    stack_base: usize,
    _ranges: RootRangesGuard,
}

impl RunGuard {
    pub fn save() -> RunGuard {
        RunGuard {
            stack_base: stack::base(),
            _ranges: RootRangesGuard::save(),
        }
    }
}

impl Drop for RunGuard {
    fn drop(&mut self) {
        stack::set_base_exact(self.stack_base);
    }
}

/// Current heap size in bytes (live objects plus garbage not yet collected).
pub fn heap_bytes() -> usize {
    // SAFETY: this thread's state.
    unsafe { (*alloc_state()).bytes }
}

/// Sets or clears the heap limit (the API behind `SOLVRA_MAX_HEAP`).
pub fn set_max_heap(max: Option<usize>) {
    with_heap(|h| {
        h.config.max_heap = max;
        h.update_trigger();
    });
}

/// Turns stress mode (a collection at every allocation) on or off for this thread.
pub fn set_stress(on: bool) {
    with_heap(|h| {
        h.config.stress = on;
        h.update_trigger();
    });
}

/// A snapshot of the heap's size and shape.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HeapInfo {
    /// Accounted bytes (`heap_bytes`).
    pub bytes: usize,
    /// The next collection happens above this many bytes.
    pub threshold: usize,
    /// Objects currently allocated (live or not yet swept).
    pub objects: usize,
    /// Blocks serving a size class, and empty blocks kept for reuse.
    pub blocks: usize,
    pub empty_blocks: usize,
    /// Large objects and their total size (headers and payload, not owned buffers).
    pub large_objects: usize,
    pub large_bytes: usize,
    /// Memory obtained from the system: blocks plus large objects.
    pub reserved_bytes: usize,
}

/// The current `HeapInfo` of this thread.
pub fn info() -> HeapInfo {
    let bytes = heap_bytes();
    with_heap(|h| {
        let mut info = h.space.info();
        info.bytes = bytes;
        info.threshold = h.collect_at();
        info
    })
}

/// Collection statistics of this thread so far.
pub fn stats() -> GcStats {
    with_heap(|h| h.stats.clone())
}

/// Forgets the statistics gathered so far (benchmarks).
pub fn reset_stats() {
    with_heap(|h| h.stats = GcStats::default());
}

/// The statistics report `SOLVRA_GC_STATS=1` prints.
pub fn stats_report() -> String {
    let info = info();
    with_heap(|h| h.stats.report(&info))
}

/// Prints the statistics report to stderr if `SOLVRA_GC_STATS=1` (or `HeapConfig::stats`) is
/// set. The driver calls this when a program ends; `exit` should too.
pub fn report_stats_if_enabled() {
    let enabled = HEAP
        .try_with(|cell| {
            // SAFETY: thread-local read.
            unsafe { &*cell.get() }
                .as_ref()
                .map_or(false, |h| h.config.stats)
        })
        .unwrap_or(false);
    if enabled {
        let mut text = stats_report();
        text.push('\n');
        crate::stdout::write_stderr(&text);
    }
}

/// Finds the object containing `addr`, as the conservative stack scan does: interior
/// addresses count, free slots and non-heap addresses give `None`.
pub fn find_object(addr: usize) -> Option<*mut GcHeader> {
    // SAFETY: read-only lookups in this thread's tables.
    with_heap(|h| unsafe { h.space.find_object(addr) })
}

#[cfg(test)]
mod tests;
