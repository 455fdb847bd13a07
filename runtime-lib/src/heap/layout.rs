//! The layout of the small-object space and the allocation fast path.
//!
//! Objects of at most `MAX_SMALL` bytes (header included) live in **blocks**: `BLOCK_SIZE`
//! bytes aligned to `BLOCK_SIZE`, so the block of any address inside it is `addr & BLOCK_MASK`.
//! A block serves one size class. It starts with a `BlockHeader` (slot size, slot count, and
//! two bitmaps with one bit per 16-byte granule: *allocated* and *marked*), followed by the
//! slots from offset `FIRST_SLOT_OFFSET`. A bit is only ever set at a granule where a slot
//! starts.
//!
//! Free slots of a class form a singly linked list through their first word; the thread's
//! `AllocState` holds the list heads. Allocating is `try_alloc_small`: pop the head, add the
//! slot size to the heap's byte count, set the slot's allocated bit. Everything here is
//! `#[repr(C)]` with fixed offsets (checked by the tests below) so compiled code can inline the
//! same sequence; docs/MEMORY_MODEL.md spells it out as compiled code will emit it.

use super::valgrind;
use std::mem::size_of;

/// Bytes per block. A power of two: blocks are aligned to their size.
pub const BLOCK_SIZE: usize = 256 * 1024;
/// `addr & BLOCK_MASK` is the `BlockHeader` of any address inside a block.
pub const BLOCK_MASK: usize = !(BLOCK_SIZE - 1);
/// Allocation granule: every slot size is a multiple, every slot starts on one.
pub const GRANULE: usize = 16;
pub const GRANULE_SHIFT: u32 = 4;
/// Granules per block, and the u64 words of one bitmap (one bit per granule).
pub const GRANULES: usize = BLOCK_SIZE / GRANULE;
pub const BITMAP_WORDS: usize = GRANULES / 64;

/// Number of size classes.
pub const NUM_CLASSES: usize = 12;
/// Slot size of each class in bytes (header included).
pub const CLASS_SIZES: [usize; NUM_CLASSES] =
    [16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224, 256];
/// Largest object (header + payload) served from blocks; bigger ones are large objects.
pub const MAX_SMALL: usize = 256;
/// `size_class` of a size that no class serves.
pub const NO_CLASS: usize = usize::MAX;

/// Class of a size, indexed by its granule count (`(size + 15) / 16`, 0..=16).
const CLASS_BY_GRANULES: [u8; 17] = [0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 8, 9, 9, 10, 10, 11, 11];

/// The size class serving objects of `size` bytes, or `NO_CLASS` when `size > MAX_SMALL`.
/// A `const fn`: for a Rust type the class is folded at compile time.
#[inline(always)]
pub const fn size_class(size: usize) -> usize {
    if size > MAX_SMALL {
        return NO_CLASS;
    }
    CLASS_BY_GRANULES[(size + GRANULE - 1) >> GRANULE_SHIFT] as usize
}

/// `BlockHeader::class` of a block that holds no slots (kept for reuse).
pub const EMPTY_BLOCK: u32 = u32::MAX;

/// The header at the start of every block.
#[repr(C)]
pub struct BlockHeader {
    /// Slot size in bytes (a `CLASS_SIZES` entry); 0 while the block is empty.
    pub slot_size: u32,
    /// Size class index, or `EMPTY_BLOCK`.
    pub class: u32,
    /// Offset of slot 0 from the block start (`FIRST_SLOT_OFFSET`).
    pub first: u32,
    /// Number of slots.
    pub nslots: u32,
    /// Slots allocated after the last sweep.
    pub live: u32,
    pub _reserved: u32,
    /// Bit `g` set: an allocated object starts at granule `g` (offset `g * 16`).
    pub alloc_bits: [u64; BITMAP_WORDS],
    /// Bit `g` set: the object at granule `g` was reached by the current marking.
    pub mark_bits: [u64; BITMAP_WORDS],
}

/// Byte offset of `BlockHeader::alloc_bits` (what compiled code adds to the block address).
pub const ALLOC_BITS_OFFSET: usize = 24;
/// Byte offset of `BlockHeader::mark_bits`.
pub const MARK_BITS_OFFSET: usize = ALLOC_BITS_OFFSET + BITMAP_WORDS * 8;
/// Offset of the first slot in a block: the header, rounded up to a granule.
pub const FIRST_SLOT_OFFSET: usize = (size_of::<BlockHeader>() + GRANULE - 1) / GRANULE * GRANULE;

/// The per-thread allocation state the fast path reads and writes. One per thread, at a fixed
/// address for the thread's life (`solvra_heap_state` returns it to compiled code).
#[repr(C)]
pub struct AllocState {
    /// Head of each class's free list (null: the slow path refills it). A free slot's first
    /// word is the next free slot.
    pub free: [*mut u8; NUM_CLASSES],
    /// Bytes accounted to allocated objects (slot or large-object size plus owned buffers).
    pub bytes: usize,
    /// The fast path may allocate only while `bytes` stays at or below this; above it the slow
    /// path runs (and collects). 0 in stress mode, so every allocation takes the slow path.
    pub trigger: usize,
}

/// Byte offset of `AllocState::bytes`.
pub const STATE_BYTES_OFFSET: usize = NUM_CLASSES * size_of::<usize>();
/// Byte offset of `AllocState::trigger`.
pub const STATE_TRIGGER_OFFSET: usize = STATE_BYTES_OFFSET + size_of::<usize>();

impl Default for AllocState {
    fn default() -> AllocState {
        AllocState::new()
    }
}

impl AllocState {
    pub const fn new() -> AllocState {
        AllocState {
            free: [std::ptr::null_mut(); NUM_CLASSES],
            bytes: 0,
            trigger: 0,
        }
    }
}

/// The block containing `addr` (meaningful only if `addr` is inside a block).
#[inline(always)]
pub fn block_of(addr: usize) -> *mut BlockHeader {
    (addr & BLOCK_MASK) as *mut BlockHeader
}

/// Word index and bit of the granule at `addr` in its block's bitmaps.
#[inline(always)]
pub fn bit_of(addr: usize) -> (usize, u64) {
    let g = (addr & !BLOCK_MASK) >> GRANULE_SHIFT;
    (g >> 6, 1u64 << (g & 63))
}

/// Sets the allocated bit of the slot at `slot`.
///
/// # Safety
/// `slot` must be a slot start inside a live block.
#[inline(always)]
pub unsafe fn set_alloc_bit(slot: *mut u8) {
    let blk = block_of(slot as usize);
    let (w, bit) = bit_of(slot as usize);
    *(*blk).alloc_bits.get_unchecked_mut(w) |= bit;
}

/// Whether the slot starting at `slot` is allocated.
///
/// # Safety
/// `slot` must be inside a live block.
#[inline(always)]
pub unsafe fn is_allocated(slot: usize) -> bool {
    let blk = block_of(slot);
    let (w, bit) = bit_of(slot);
    *(*blk).alloc_bits.get_unchecked(w) & bit != 0
}

/// The allocation fast path: takes a free slot of `class` if one is ready and the heap may
/// grow by the slot plus `extra` bytes (owned buffers) without a collection. Returns the
/// uninitialised slot, counted and marked allocated, or null: then call the slow path
/// (`heap::alloc` does; compiled code calls `solvra_alloc_slow`). The caller writes the
/// `GcHeader` and the payload before anything else can allocate or collect.
///
/// # Safety
/// `st` must be this thread's `AllocState` (`heap::alloc_state()`), `class < NUM_CLASSES`.
#[inline(always)]
pub unsafe fn try_alloc_small(st: *mut AllocState, class: usize, extra: usize) -> *mut u8 {
    let st = &mut *st;
    let slot = *st.free.get_unchecked(class);
    let size = *CLASS_SIZES.get_unchecked(class);
    let bytes = st.bytes.wrapping_add(size).wrapping_add(extra);
    if slot.is_null() || bytes > st.trigger {
        return std::ptr::null_mut();
    }
    *st.free.get_unchecked_mut(class) = *(slot as *mut *mut u8);
    st.bytes = bytes;
    debug_assert!(
        !is_allocated(slot as usize),
        "free list holds an allocated slot"
    );
    set_alloc_bit(slot);
    valgrind::make_undefined(slot, size);
    slot
}

#[cfg(test)]
mod tests {
    use super::*;

    fn offset<T, F>(base: &T, field: &F) -> usize {
        field as *const F as usize - base as *const T as usize
    }

    #[test]
    fn offsets_are_what_the_docs_and_codegen_say() {
        let st = AllocState::new();
        assert_eq!(offset(&st, &st.bytes), STATE_BYTES_OFFSET);
        assert_eq!(offset(&st, &st.trigger), STATE_TRIGGER_OFFSET);
        let layout = std::alloc::Layout::new::<BlockHeader>();
        // SAFETY: only field addresses are computed; the memory is freed right away.
        unsafe {
            let p = std::alloc::alloc_zeroed(layout) as *mut BlockHeader;
            assert_eq!(offset(&*p, &(*p).alloc_bits), ALLOC_BITS_OFFSET);
            assert_eq!(offset(&*p, &(*p).mark_bits), MARK_BITS_OFFSET);
            std::alloc::dealloc(p as *mut u8, layout);
        }
        assert_eq!(FIRST_SLOT_OFFSET % GRANULE, 0);
        assert!(FIRST_SLOT_OFFSET >= size_of::<BlockHeader>());
        assert_eq!(BITMAP_WORDS * 64 * GRANULE, BLOCK_SIZE);
    }

    #[test]
    fn size_classes_fit_and_are_tight() {
        for size in 1..=MAX_SMALL {
            let c = size_class(size);
            assert!(CLASS_SIZES[c] >= size, "{size}");
            if c > 0 {
                assert!(
                    CLASS_SIZES[c - 1] < size,
                    "{size}: class {c} is not the smallest"
                );
            }
        }
        assert_eq!(size_class(MAX_SMALL + 1), NO_CLASS);
        for w in CLASS_SIZES.windows(2) {
            assert!(w[0] < w[1] && w[1] % GRANULE == 0);
        }
    }
}
