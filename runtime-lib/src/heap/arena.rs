//! Bump arenas: memory for data that is created piecemeal and dies all at once.
//!
//! The garbage-collected heap is for SolvraScript values, whose lifetimes nobody knows in
//! advance. Much other data has a lifetime everyone knows: everything a compilation builds (IR
//! nodes, instruction lists, interned names, bytecode while it is assembled) lives until the
//! compilation ends, and scratch data of one runtime operation lives until the operation ends.
//! Such data goes into an arena: allocating is a pointer bump, there is no per-object header
//! or free, and the whole arena is released in one step when it is dropped (or `reset`).
//!
//! * `Arena<T>`: a typed arena. `alloc` moves a value in and returns `&mut T` that lives as long
//!   as the arena; values are dropped when the arena is. Chunks double in size and never move,
//!   so references stay valid while more values are added.
//! * `BumpArena`: an untyped arena for `Copy` data (byte strings, slices of plain values):
//!   `alloc_str`, `alloc_slice_copy`, `alloc_copy`. Nothing is dropped; `reset` reuses the
//!   memory.
//!
//! Arenas are not traced by the collector: a `Value` stored in an arena does not keep its
//! object alive (root it separately, or keep only non-heap data here).

use std::alloc::Layout;
use std::cell::{Cell, RefCell};
use std::ptr::NonNull;

/// A typed arena (see the module documentation).
pub struct Arena<T> {
    chunks: RefCell<Chunks<T>>,
}

struct Chunks<T> {
    /// The chunk being filled; never pushed beyond its capacity, so it never reallocates.
    current: Vec<T>,
    /// Full chunks.
    rest: Vec<Vec<T>>,
}

impl<T> Default for Arena<T> {
    fn default() -> Self {
        Arena::new()
    }
}

impl<T> Arena<T> {
    /// An arena whose first chunk holds a few values.
    pub fn new() -> Arena<T> {
        let per_chunk = (1024 / std::mem::size_of::<T>().max(1)).max(8);
        Arena::with_capacity(per_chunk)
    }

    /// An arena whose first chunk holds `n` values.
    pub fn with_capacity(n: usize) -> Arena<T> {
        Arena {
            chunks: RefCell::new(Chunks {
                current: Vec::with_capacity(n.max(1)),
                rest: Vec::new(),
            }),
        }
    }

    /// Moves `value` into the arena.
    #[allow(clippy::mut_from_ref)]
    pub fn alloc(&self, value: T) -> &mut T {
        let mut chunks = self.chunks.borrow_mut();
        if chunks.current.len() == chunks.current.capacity() {
            chunks.grow(1);
        }
        let i = chunks.current.len();
        chunks.current.push(value);
        // SAFETY: the element is never moved (the chunk never reallocates, a full chunk is moved
        // into `rest` as a Vec whose buffer stays put) and never handed out twice.
        unsafe { &mut *chunks.current.as_mut_ptr().add(i) }
    }

    /// Moves all values of `iter` into the arena as one contiguous slice.
    #[allow(clippy::mut_from_ref)]
    pub fn alloc_extend<I: IntoIterator<Item = T>>(&self, iter: I) -> &mut [T] {
        // Collect first: the iterator may itself allocate in this arena.
        let items: Vec<T> = iter.into_iter().collect();
        let n = items.len();
        if n == 0 {
            return &mut [];
        }
        let mut chunks = self.chunks.borrow_mut();
        if chunks.current.capacity() - chunks.current.len() < n {
            chunks.grow(n);
        }
        let start = chunks.current.len();
        chunks.current.extend(items);
        // SAFETY: as in `alloc`; the `n` values are contiguous in the current chunk.
        unsafe { std::slice::from_raw_parts_mut(chunks.current.as_mut_ptr().add(start), n) }
    }

    /// Number of values allocated.
    pub fn len(&self) -> usize {
        let chunks = self.chunks.borrow();
        chunks.current.len() + chunks.rest.iter().map(Vec::len).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// All values, in allocation order.
    pub fn into_vec(self) -> Vec<T> {
        let chunks = self.chunks.into_inner();
        let mut out = Vec::with_capacity(
            chunks.current.len() + chunks.rest.iter().map(Vec::len).sum::<usize>(),
        );
        for chunk in chunks.rest {
            out.extend(chunk);
        }
        out.extend(chunks.current);
        out
    }
}

impl<T> Chunks<T> {
    /// Starts a new chunk with room for at least `need` values.
    fn grow(&mut self, need: usize) {
        let cap = (self.current.capacity().max(1) * 2).max(need);
        let full = std::mem::replace(&mut self.current, Vec::with_capacity(cap));
        if !full.is_empty() {
            self.rest.push(full);
        }
    }
}

/// An untyped bump arena for `Copy` data (see the module documentation).
pub struct BumpArena {
    /// Chunks obtained so far (start, layout); the last one is being filled.
    chunks: RefCell<Vec<(NonNull<u8>, Layout)>>,
    /// Next free byte and end of the current chunk.
    ptr: Cell<usize>,
    end: Cell<usize>,
    /// Bytes handed out since creation or the last `reset`.
    used: Cell<usize>,
    chunk_size: usize,
}

const CHUNK_ALIGN: usize = 16;

impl Default for BumpArena {
    fn default() -> Self {
        BumpArena::new()
    }
}

impl BumpArena {
    /// An arena with 64 KiB chunks.
    pub fn new() -> BumpArena {
        BumpArena::with_chunk_size(64 * 1024)
    }

    /// An arena whose chunks are at least `size` bytes (bigger requests get bigger chunks).
    pub fn with_chunk_size(size: usize) -> BumpArena {
        BumpArena {
            chunks: RefCell::new(Vec::new()),
            ptr: Cell::new(0),
            end: Cell::new(0),
            used: Cell::new(0),
            chunk_size: size.max(64),
        }
    }

    /// `size` bytes aligned to `align` (a power of two), uninitialised.
    pub fn alloc_bytes(&self, size: usize, align: usize) -> NonNull<u8> {
        assert!(align.is_power_of_two(), "alignment must be a power of two");
        let start = (self.ptr.get() + align - 1) & !(align - 1);
        let p = if self.ptr.get() != 0 && start >= self.ptr.get() && start + size <= self.end.get()
        {
            self.ptr.set(start + size);
            start
        } else {
            self.alloc_in_new_chunk(size, align)
        };
        self.used.set(self.used.get() + size);
        // SAFETY: chunk memory is never null.
        unsafe { NonNull::new_unchecked(p as *mut u8) }
    }

    #[cold]
    fn alloc_in_new_chunk(&self, size: usize, align: usize) -> usize {
        let align = align.max(CHUNK_ALIGN);
        let mut bytes = self.chunk_size;
        while bytes < size + align {
            bytes *= 2;
        }
        let layout = Layout::from_size_align(bytes, align).expect("arena chunk layout");
        // SAFETY: non-zero size.
        let p = unsafe { std::alloc::alloc(layout) };
        let p = match NonNull::new(p) {
            Some(p) => p,
            None => std::alloc::handle_alloc_error(layout),
        };
        self.chunks.borrow_mut().push((p, layout));
        let start = p.as_ptr() as usize;
        self.ptr.set(start + size);
        self.end.set(start + bytes);
        start
    }

    /// Copies `value` into the arena.
    #[allow(clippy::mut_from_ref)]
    pub fn alloc_copy<T: Copy>(&self, value: T) -> &mut T {
        let p = self
            .alloc_bytes(std::mem::size_of::<T>(), std::mem::align_of::<T>())
            .as_ptr() as *mut T;
        // SAFETY: fresh, aligned, large enough, exclusively ours for the arena's lifetime.
        unsafe {
            p.write(value);
            &mut *p
        }
    }

    /// Copies a slice into the arena.
    #[allow(clippy::mut_from_ref)]
    pub fn alloc_slice_copy<T: Copy>(&self, src: &[T]) -> &mut [T] {
        if src.is_empty() {
            return &mut [];
        }
        let p = self
            .alloc_bytes(std::mem::size_of_val(src), std::mem::align_of::<T>())
            .as_ptr() as *mut T;
        // SAFETY: as in `alloc_copy`.
        unsafe {
            std::ptr::copy_nonoverlapping(src.as_ptr(), p, src.len());
            std::slice::from_raw_parts_mut(p, src.len())
        }
    }

    /// Copies a string into the arena.
    pub fn alloc_str(&self, s: &str) -> &str {
        let bytes = self.alloc_slice_copy(s.as_bytes());
        // SAFETY: a copy of valid UTF-8.
        unsafe { std::str::from_utf8_unchecked(bytes) }
    }

    /// Bytes handed out since creation or the last `reset`.
    pub fn allocated_bytes(&self) -> usize {
        self.used.get()
    }

    /// Bytes obtained from the system.
    pub fn reserved_bytes(&self) -> usize {
        self.chunks.borrow().iter().map(|(_, l)| l.size()).sum()
    }

    /// Forgets everything allocated (no outstanding references: `&mut self`) and keeps only
    /// the last chunk for reuse.
    pub fn reset(&mut self) {
        let chunks = self.chunks.get_mut();
        let last = chunks.pop();
        for (p, layout) in chunks.drain(..) {
            // SAFETY: allocated by `alloc_in_new_chunk` with this layout.
            unsafe { std::alloc::dealloc(p.as_ptr(), layout) };
        }
        match last {
            Some((p, layout)) => {
                chunks.push((p, layout));
                self.ptr.set(p.as_ptr() as usize);
                self.end.set(p.as_ptr() as usize + layout.size());
            }
            None => {
                self.ptr.set(0);
                self.end.set(0);
            }
        }
        self.used.set(0);
    }
}

impl Drop for BumpArena {
    fn drop(&mut self) {
        for (p, layout) in self.chunks.get_mut().drain(..) {
            // SAFETY: allocated by `alloc_in_new_chunk` with this layout.
            unsafe { std::alloc::dealloc(p.as_ptr(), layout) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    #[test]
    fn typed_arena_keeps_references_valid_while_growing() {
        let arena = Arena::with_capacity(2);
        let mut refs = Vec::new();
        for i in 0..1000u64 {
            refs.push(arena.alloc(i * 3));
        }
        for (i, r) in refs.iter().enumerate() {
            assert_eq!(**r, i as u64 * 3);
        }
        *refs[7] = 1;
        assert_eq!(arena.len(), 1000);
        let v = arena.into_vec();
        assert_eq!(v[7], 1);
        assert_eq!(v[999], 2997);
    }

    #[test]
    fn typed_arena_drops_its_values_once() {
        let token = Rc::new(());
        {
            let arena = Arena::new();
            for _ in 0..100 {
                arena.alloc(token.clone());
            }
            let slice = arena.alloc_extend((0..50).map(|_| token.clone()));
            assert_eq!(slice.len(), 50);
            assert_eq!(Rc::strong_count(&token), 151);
        }
        assert_eq!(Rc::strong_count(&token), 1);
    }

    #[test]
    fn typed_arena_links_between_values() {
        struct Node<'a> {
            value: i32,
            next: Option<&'a Node<'a>>,
        }
        let arena = Arena::new();
        let mut head: Option<&Node> = None;
        for i in 0..100 {
            head = Some(arena.alloc(Node {
                value: i,
                next: head,
            }));
        }
        let mut sum = 0;
        let mut cur = head;
        while let Some(n) = cur {
            sum += n.value;
            cur = n.next;
        }
        assert_eq!(sum, 4950);
    }

    #[test]
    fn bump_arena_strings_slices_and_alignment() {
        let mut arena = BumpArena::with_chunk_size(128);
        let mut strs = Vec::new();
        for i in 0..500 {
            strs.push(arena.alloc_str(&format!("name{i}")));
        }
        let big: Vec<u64> = (0..1000).collect();
        let copied = arena.alloc_slice_copy(&big);
        assert_eq!(copied.as_ptr() as usize % std::mem::align_of::<u64>(), 0);
        assert_eq!(copied[999], 999);
        let x = arena.alloc_copy(7u128);
        assert_eq!(*x, 7);
        assert_eq!(x as *mut u128 as usize % std::mem::align_of::<u128>(), 0);
        for (i, s) in strs.iter().enumerate() {
            assert_eq!(*s, format!("name{i}"));
        }
        assert!(arena.allocated_bytes() >= 8000);
        assert_eq!(arena.alloc_str(""), "");
        let before = arena.reserved_bytes();
        arena.reset();
        assert_eq!(arena.allocated_bytes(), 0);
        assert!(arena.reserved_bytes() <= before);
        assert_eq!(arena.alloc_str("again"), "again");
    }
}
