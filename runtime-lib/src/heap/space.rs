//! Where objects live: the blocks of the small-object space and the large objects.
//!
//! Blocks are obtained from the system allocator with `BLOCK_SIZE` alignment and are kept in
//! `blocks` (every block this heap owns) and in a hash set of block addresses, which is how
//! the conservative scan recognises a block in O(1). Large objects are single allocations in
//! an ordered map (start address → size), searched in O(log n) for interior pointers.
//!
//! After a sweep, a block with free slots goes on its class's `avail` list; its free list is
//! threaded only when the allocator needs it (`refill`), so a collection does not touch the
//! free memory of the whole heap. A block with no live object becomes *empty*: a few are kept
//! for reuse by any class, the rest are returned to the system.

use super::layout::*;
use super::{alloc_state, drop_payload, valgrind, GcHeader, HeapInfo, GC_LARGE};
use crate::error::RtError;
use std::alloc::Layout;
use std::collections::{BTreeMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};

/// Hashes addresses of heap blocks: they are already unique,
/// so one multiplication mixes them, and the rotation brings its well-mixed high bits down to
/// where the table picks buckets (the low bits of an aligned address are always zero).
#[derive(Default)]
struct AddrHasher(u64);

impl AddrHasher {
    fn mix(x: u64) -> u64 {
        x.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(32)
    }
}

impl Hasher for AddrHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = Self::mix(self.0.rotate_left(8) ^ b as u64);
        }
    }
    fn write_u64(&mut self, x: u64) {
        self.0 = Self::mix(x);
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = Self::mix(n as u64);
    }
}

/// A large object's allocation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LargeObj {
    pub size: usize,
    pub align: usize,
}

/// Empty blocks kept for reuse: at least this many, or an eighth of the blocks in use, or as
/// many as the next cycle may fill (`trim_empty`).
const MIN_EMPTY_KEPT: usize = 4;

pub(crate) struct Space {
    /// Every block this heap owns (serving a class or empty).
    pub blocks: Vec<*mut BlockHeader>,
    set: HashSet<usize, BuildHasherDefault<AddrHasher>>,
    /// Bounds of all block addresses ever owned: a quick reject for the conservative scan.
    lo: usize,
    hi: usize,
    /// Per class: blocks with free slots whose free list is not threaded yet.
    pub avail: [Vec<*mut BlockHeader>; NUM_CLASSES],
    /// Blocks without slots, ready for any class.
    pub empty: Vec<*mut BlockHeader>,
    pub large: BTreeMap<usize, LargeObj>,
    large_lo: usize,
    large_hi: usize,
    pub large_bytes: usize,
}

/// What a sweep freed.
#[derive(Default)]
pub(crate) struct Swept {
    pub objects: u64,
    pub bytes: usize,
}

fn block_layout() -> Layout {
    // BLOCK_SIZE is a power of two: always a valid layout.
    Layout::from_size_align(BLOCK_SIZE, BLOCK_SIZE).unwrap()
}

fn system_oom(size: usize) -> RtError {
    RtError::new(format!("out of memory: cannot allocate {size} bytes"))
}

/// Makes a dead slot unusable: poison in debug builds, no-access for valgrind.
unsafe fn kill_slot(slot: *mut u8, size: usize) {
    if cfg!(debug_assertions) {
        std::ptr::write_bytes(slot, 0xDB, size);
    }
    valgrind::make_noaccess(slot, size);
}

/// Links a free slot in front of `head`.
unsafe fn link(slot: *mut u8, head: *mut u8) {
    valgrind::make_undefined(slot, std::mem::size_of::<usize>());
    *(slot as *mut *mut u8) = head;
}

impl Space {
    pub fn new() -> Space {
        Space {
            blocks: Vec::new(),
            set: HashSet::default(),
            lo: usize::MAX,
            hi: 0,
            avail: Default::default(),
            empty: Vec::new(),
            large: BTreeMap::new(),
            large_lo: usize::MAX,
            large_hi: 0,
            large_bytes: 0,
        }
    }

    /// Memory for one object of `size` bytes and alignment `align`, counted in the heap's
    /// bytes together with `extra` owned bytes. Never collects. Returns the uninitialised
    /// object, its accounted size and the header's `gcbits`.
    pub unsafe fn place(
        &mut self,
        size: usize,
        align: usize,
        extra: usize,
    ) -> Result<(*mut u8, usize, u8), RtError> {
        let st = &mut *alloc_state();
        let class = size_class(size);
        if class != NO_CLASS && align <= GRANULE {
            if st.free[class].is_null() {
                self.refill(class)?;
            }
            let slot = st.free[class];
            st.free[class] = *(slot as *mut *mut u8);
            debug_assert!(
                !is_allocated(slot as usize),
                "free list holds an allocated slot"
            );
            set_alloc_bit(slot);
            valgrind::make_undefined(slot, CLASS_SIZES[class]);
            let accounted = CLASS_SIZES[class] + extra;
            st.bytes += accounted;
            return Ok((slot, accounted, 0));
        }
        let layout = Layout::from_size_align(size.max(GRANULE), align.max(GRANULE))
            .map_err(|_| system_oom(size))?;
        let p = std::alloc::alloc(layout);
        if p.is_null() {
            return Err(system_oom(size));
        }
        let start = p as usize;
        self.large.insert(
            start,
            LargeObj {
                size: layout.size(),
                align: layout.align(),
            },
        );
        self.large_lo = self.large_lo.min(start);
        self.large_hi = self.large_hi.max(start + layout.size());
        self.large_bytes += layout.size();
        let accounted = layout.size() + extra;
        st.bytes += accounted;
        Ok((p, accounted, GC_LARGE))
    }

    /// Gives `class` a non-empty free list: from a block with free slots, else a new block.
    unsafe fn refill(&mut self, class: usize) -> Result<(), RtError> {
        loop {
            let blk = match self.avail[class].pop() {
                Some(b) => b,
                None => self.new_block(class)?,
            };
            let head = thread_free(blk);
            if !head.is_null() {
                (*alloc_state()).free[class] = head;
                return Ok(());
            }
        }
    }

    /// An empty block formatted for `class`: a kept one, or a fresh one from the system.
    unsafe fn new_block(&mut self, class: usize) -> Result<*mut BlockHeader, RtError> {
        let blk = match self.empty.pop() {
            Some(b) => b,
            None => {
                let p = std::alloc::alloc(block_layout()) as *mut BlockHeader;
                if p.is_null() {
                    return Err(system_oom(BLOCK_SIZE));
                }
                std::ptr::write_bytes(p as *mut u8, 0, FIRST_SLOT_OFFSET);
                let addr = p as usize;
                self.set.insert(addr);
                self.blocks.push(p);
                self.lo = self.lo.min(addr);
                self.hi = self.hi.max(addr + BLOCK_SIZE);
                p
            }
        };
        let size = CLASS_SIZES[class];
        (*blk).slot_size = size as u32;
        (*blk).class = class as u32;
        (*blk).first = FIRST_SLOT_OFFSET as u32;
        (*blk).nslots = ((BLOCK_SIZE - FIRST_SLOT_OFFSET) / size) as u32;
        (*blk).live = 0;
        debug_assert!((*blk).alloc_bits.iter().all(|&w| w == 0));
        debug_assert!((*blk).mark_bits.iter().all(|&w| w == 0));
        valgrind::make_noaccess(
            (blk as *mut u8).add(FIRST_SLOT_OFFSET),
            BLOCK_SIZE - FIRST_SLOT_OFFSET,
        );
        Ok(blk)
    }

    /// The object containing `addr`: a block slot whose allocated bit is set, or a large
    /// object. Interior addresses count.
    pub unsafe fn find_object(&self, addr: usize) -> Option<*mut GcHeader> {
        if addr >= self.lo && addr < self.hi {
            let b = addr & BLOCK_MASK;
            if self.set.contains(&b) {
                let blk = b as *const BlockHeader;
                let off = addr - b;
                let first = (*blk).first as usize;
                let size = (*blk).slot_size as usize;
                if off < first || size == 0 {
                    return None;
                }
                let idx = (off - first) / size;
                if idx >= (*blk).nslots as usize {
                    return None;
                }
                let start = b + first + idx * size;
                return if is_allocated(start) {
                    Some(start as *mut GcHeader)
                } else {
                    None
                };
            }
        }
        if addr >= self.large_lo && addr < self.large_hi {
            if let Some((&start, l)) = self.large.range(..=addr).next_back() {
                if addr < start + l.size {
                    return Some(start as *mut GcHeader);
                }
            }
        }
        None
    }

    /// Frees one object immediately (an allocation refused by the heap limit).
    pub unsafe fn free_now(&mut self, obj: *mut GcHeader) {
        let st = &mut *alloc_state();
        st.bytes = st.bytes.saturating_sub((*obj).size as usize);
        let large = (*obj).is_large();
        drop_payload(obj);
        if large {
            self.free_large(obj as usize);
            return;
        }
        let blk = block_of(obj as usize);
        let (w, bit) = bit_of(obj as usize);
        (*blk).alloc_bits[w] &= !bit;
        let class = (*blk).class as usize;
        kill_slot(obj as *mut u8, (*blk).slot_size as usize);
        link(obj as *mut u8, st.free[class]);
        st.free[class] = obj as *mut u8;
    }

    unsafe fn free_large(&mut self, start: usize) {
        if let Some(l) = self.large.remove(&start) {
            self.large_bytes -= l.size;
            std::alloc::dealloc(
                start as *mut u8,
                Layout::from_size_align_unchecked(l.size, l.align),
            );
        }
    }

    /// Frees every allocated object that marking did not reach, clears the marks, and rebuilds
    /// the `avail` lists. The caller has dropped all free lists (`AllocState::free`).
    pub unsafe fn sweep(&mut self) -> Swept {
        let mut swept = Swept::default();
        for list in self.avail.iter_mut() {
            list.clear();
        }
        let first_word = FIRST_SLOT_OFFSET / GRANULE / 64;
        for i in 0..self.blocks.len() {
            let blk = self.blocks[i];
            if (*blk).class == EMPTY_BLOCK {
                continue;
            }
            let slot_size = (*blk).slot_size as usize;
            let mut live = 0u32;
            for w in first_word..BITMAP_WORDS {
                let a = (*blk).alloc_bits[w];
                let m = (*blk).mark_bits[w];
                debug_assert_eq!(m & !a, 0, "a free slot was marked");
                let mut dead = a & !m;
                while dead != 0 {
                    let bit = dead.trailing_zeros() as usize;
                    dead &= dead - 1;
                    let obj = (blk as usize + ((w * 64 + bit) << GRANULE_SHIFT)) as *mut GcHeader;
                    swept.bytes += (*obj).size as usize;
                    swept.objects += 1;
                    drop_payload(obj);
                    kill_slot(obj as *mut u8, slot_size);
                }
                (*blk).alloc_bits[w] = m;
                (*blk).mark_bits[w] = 0;
                live += m.count_ones();
            }
            (*blk).live = live;
            if live == 0 {
                (*blk).class = EMPTY_BLOCK;
                (*blk).slot_size = 0;
                (*blk).nslots = 0;
                self.empty.push(blk);
            } else if live < (*blk).nslots {
                self.avail[(*blk).class as usize].push(blk);
            }
        }
        let mut dead = Vec::new();
        for (&start, _) in self.large.iter() {
            let obj = start as *mut GcHeader;
            if (*obj).marked != 0 {
                (*obj).marked = 0;
            } else {
                dead.push(start);
            }
        }
        for start in dead {
            let obj = start as *mut GcHeader;
            swept.bytes += (*obj).size as usize;
            swept.objects += 1;
            drop_payload(obj);
            self.free_large(start);
        }
        swept
    }

    /// Returns surplus empty blocks to the system, keeping enough for `room` more bytes: the
    /// next cycle allocates that much before it collects, and a block freed now would only be
    /// asked for again (each round trip of a 256 KiB aligned block through glibc costs a
    /// consolidation of its free lists — a sixth of a string-building program's time).
    pub unsafe fn trim_empty(&mut self, room: usize) {
        let in_use = self.blocks.len() - self.empty.len();
        let keep = MIN_EMPTY_KEPT.max(in_use / 8).max(room / BLOCK_SIZE);
        if self.empty.len() <= keep {
            return;
        }
        let mut surplus: Vec<*mut BlockHeader> = self.empty.split_off(keep);
        surplus.sort_unstable();
        self.blocks.retain(|b| surplus.binary_search(b).is_err());
        for b in surplus {
            self.set.remove(&(b as usize));
            std::alloc::dealloc(b as *mut u8, block_layout());
        }
    }

    /// Drops every object's payload and returns all memory (thread exit).
    pub unsafe fn release_all(&mut self) {
        for &blk in &self.blocks {
            if (*blk).class != EMPTY_BLOCK {
                for w in 0..BITMAP_WORDS {
                    let mut a = (*blk).alloc_bits[w];
                    while a != 0 {
                        let bit = a.trailing_zeros() as usize;
                        a &= a - 1;
                        drop_payload(
                            (blk as usize + ((w * 64 + bit) << GRANULE_SHIFT)) as *mut GcHeader,
                        );
                    }
                }
            }
            std::alloc::dealloc(blk as *mut u8, block_layout());
        }
        self.blocks.clear();
        self.set.clear();
        self.empty.clear();
        for list in self.avail.iter_mut() {
            list.clear();
        }
        let starts: Vec<usize> = self.large.keys().copied().collect();
        for start in starts {
            drop_payload(start as *mut GcHeader);
            self.free_large(start);
        }
    }

    /// Memory obtained from the system: blocks plus large objects.
    pub fn reserved_bytes(&self) -> usize {
        self.blocks.len() * BLOCK_SIZE + self.large_bytes
    }

    pub fn info(&self) -> HeapInfo {
        let mut objects = self.large.len();
        for &blk in &self.blocks {
            // SAFETY: owned blocks are valid.
            unsafe {
                objects += (*blk)
                    .alloc_bits
                    .iter()
                    .map(|w| w.count_ones() as usize)
                    .sum::<usize>();
            }
        }
        HeapInfo {
            bytes: 0,
            threshold: 0,
            objects,
            blocks: self.blocks.len() - self.empty.len(),
            empty_blocks: self.empty.len(),
            large_objects: self.large.len(),
            large_bytes: self.large_bytes,
            reserved_bytes: self.reserved_bytes(),
        }
    }
}

/// Threads the free slots of `blk` (per its allocated bitmap) into a list in address order;
/// returns the head (null if the block is full).
unsafe fn thread_free(blk: *mut BlockHeader) -> *mut u8 {
    let size = (*blk).slot_size as usize;
    let base = blk as usize + (*blk).first as usize;
    let mut head = std::ptr::null_mut();
    for i in (0..(*blk).nslots as usize).rev() {
        let slot = base + i * size;
        if !is_allocated(slot) {
            link(slot as *mut u8, head);
            head = slot as *mut u8;
        }
    }
    head
}
