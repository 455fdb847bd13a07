//! DMA buffers: memory a driver transfers from or to, aligned and length-checked, allocated from
//! the Linux dma-heap (`/dev/dma_heap/system`, memory a device can reach, shared as a dma-buf)
//! when there is one, else from ordinary memory locked into RAM (`mlock`) so it is not paged
//! out mid-transfer.
//!
//! Ownership: a buffer lent to a transfer (`lend`) belongs to it until the transfer is over (the
//! `Loan` is dropped). Meanwhile every read or write by the program is refused, so a program can
//! never observe or disturb a half-done transfer; lending a lent buffer is refused too. Reads
//! and writes are bounds-checked: an offset and length past the end is an error, not a clamp.

use crate::uapi::{DmaHeapAllocationData, DMA_HEAP_IOCTL_ALLOC};
use crate::{Error, Fd, Result};
use std::alloc::Layout;
use std::cell::Cell;
use std::path::Path;
use std::rc::Rc;

/// The largest buffer the HAL allocates (64 MiB).
pub const MAX_LEN: usize = 64 << 20;

enum Source {
    /// A dma-buf from the heap, mapped; the mapping is `map_len` bytes.
    Heap { _fd: Fd, map_len: usize },
    /// Ordinary memory; `locked` if `mlock` succeeded (RLIMIT_MEMLOCK may forbid it).
    Pinned { layout: Layout, locked: bool },
}

struct Inner {
    ptr: *mut u8,
    len: usize,
    align: usize,
    source: Source,
    /// The transfer that owns the buffer now, if any.
    owner: Cell<Option<&'static str>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        // SAFETY: `ptr` came from the allocation `source` describes, which nothing else frees.
        unsafe {
            match &self.source {
                Source::Heap { map_len, .. } => {
                    libc::munmap(self.ptr.cast(), *map_len);
                }
                Source::Pinned { layout, locked } => {
                    if *locked {
                        libc::munlock(self.ptr.cast(), self.len);
                    }
                    std::alloc::dealloc(self.ptr, *layout);
                }
            }
        }
    }
}

/// A DMA buffer; clones share the same memory (a transfer keeps a clone while it runs).
#[derive(Clone)]
pub struct DmaBuffer {
    inner: Rc<Inner>,
}

/// A buffer lent to a transfer; dropping it gives the buffer back to the program.
pub struct Loan {
    buffer: DmaBuffer,
}

impl Drop for Loan {
    fn drop(&mut self) {
        self.buffer.inner.owner.set(None);
    }
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let n = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    if n > 0 {
        n as usize
    } else {
        4096
    }
}

impl DmaBuffer {
    /// `len` bytes (1 to 64 MiB) aligned to `align` (a power of two; at least 64, a cache
    /// line), zeroed. `heap` is the dma-heap device to try first.
    pub fn alloc(len: usize, align: usize, heap: Option<&Path>) -> Result<DmaBuffer> {
        if len == 0 || len > MAX_LEN {
            return Err(Error::invalid(format!(
                "dma_alloc: a buffer is 1 to {MAX_LEN} bytes, not {len}"
            )));
        }
        if !align.is_power_of_two() {
            return Err(Error::invalid(format!(
                "dma_alloc: alignment {align} is not a power of two"
            )));
        }
        let align = align.max(64);
        if let Some(heap) = heap.filter(|_| align <= page_size()) {
            if let Some(buf) = Self::from_heap(heap, len, align) {
                return Ok(buf);
            }
        }
        let layout = Layout::from_size_align(len, align)
            .map_err(|e| Error::invalid(format!("dma_alloc: {e}")))?;
        // SAFETY: `layout` has a non-zero size.
        let ptr = unsafe { std::alloc::alloc_zeroed(layout) };
        if ptr.is_null() {
            return Err(Error::invalid(format!(
                "dma_alloc: out of memory ({len} bytes)"
            )));
        }
        // SAFETY: `ptr` is valid for `len` bytes.
        let locked = unsafe { libc::mlock(ptr.cast(), len) } == 0;
        Ok(DmaBuffer::new(
            ptr,
            len,
            align,
            Source::Pinned { layout, locked },
        ))
    }

    /// A buffer from the dma-heap, or `None` if the heap is missing or refuses.
    fn from_heap(heap: &Path, len: usize, align: usize) -> Option<DmaBuffer> {
        let heap_fd = Fd::open(heap, libc::O_RDWR).ok()?;
        let page = page_size();
        let map_len = (len + page - 1) / page * page;
        let mut data = DmaHeapAllocationData {
            len: map_len as u64,
            fd: 0,
            fd_flags: (libc::O_RDWR | libc::O_CLOEXEC) as u32,
            heap_flags: 0,
        };
        // SAFETY: `data` is the structure DMA_HEAP_IOCTL_ALLOC reads and writes.
        unsafe { heap_fd.ioctl(DMA_HEAP_IOCTL_ALLOC, &mut data) }.ok()?;
        let fd = Fd(data.fd as i32);
        // SAFETY: mapping a dma-buf we own, length as allocated.
        let ptr = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                map_len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_SHARED,
                fd.raw(),
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return None;
        }
        Some(DmaBuffer::new(
            ptr.cast(),
            len,
            align,
            Source::Heap { _fd: fd, map_len },
        ))
    }

    fn new(ptr: *mut u8, len: usize, align: usize, source: Source) -> DmaBuffer {
        DmaBuffer {
            inner: Rc::new(Inner {
                ptr,
                len,
                align,
                source,
                owner: Cell::new(None),
            }),
        }
    }

    pub fn len(&self) -> usize {
        self.inner.len
    }

    pub fn is_empty(&self) -> bool {
        self.inner.len == 0
    }

    pub fn align(&self) -> usize {
        self.inner.align
    }

    pub fn address(&self) -> usize {
        self.inner.ptr as usize
    }

    /// Where the memory came from: `dma-heap`, `pinned` (locked into RAM) or `unpinned`
    /// (`mlock` was refused; the buffer works, but may be paged out between transfers).
    pub fn source(&self) -> &'static str {
        match self.inner.source {
            Source::Heap { .. } => "dma-heap",
            Source::Pinned { locked: true, .. } => "pinned",
            Source::Pinned { locked: false, .. } => "unpinned",
        }
    }

    /// The transfer that owns the buffer now.
    pub fn owner(&self) -> Option<&'static str> {
        self.inner.owner.get()
    }

    fn usable(&self, op: &str, offset: usize, n: usize) -> Result<()> {
        if let Some(owner) = self.owner() {
            return Err(Error::invalid(format!(
                "{op}: the buffer is owned by an in-flight {owner}"
            )));
        }
        if offset.checked_add(n).map_or(true, |end| end > self.len()) {
            return Err(Error::invalid(format!(
                "{op}: {n} bytes at offset {offset} do not fit a buffer of {} bytes",
                self.len()
            )));
        }
        Ok(())
    }

    pub fn read(&self, offset: usize, n: usize) -> Result<Vec<u8>> {
        self.usable("dma_read", offset, n)?;
        // SAFETY: in bounds (checked) and not lent, so no transfer writes it now.
        Ok(unsafe { std::slice::from_raw_parts(self.inner.ptr.add(offset), n) }.to_vec())
    }

    pub fn write(&self, offset: usize, data: &[u8]) -> Result<()> {
        self.usable("dma_write", offset, data.len())?;
        // SAFETY: in bounds (checked) and not lent.
        unsafe {
            std::ptr::copy_nonoverlapping(data.as_ptr(), self.inner.ptr.add(offset), data.len())
        };
        Ok(())
    }

    /// Lends the buffer to transfer `to` until the loan is dropped.
    pub fn lend(&self, to: &'static str) -> Result<Loan> {
        if let Some(owner) = self.owner() {
            return Err(Error::invalid(format!(
                "{to}: the buffer is already owned by an in-flight {owner}"
            )));
        }
        self.inner.owner.set(Some(to));
        Ok(Loan {
            buffer: self.clone(),
        })
    }

    /// The whole buffer, for the transfer that holds its loan.
    ///
    /// # Safety
    /// The caller holds the buffer's `Loan` and no other slice of it is alive.
    pub(crate) unsafe fn transfer_slice(&self) -> &[u8] {
        std::slice::from_raw_parts(self.inner.ptr, self.len())
    }

    /// # Safety
    /// As `transfer_slice`.
    #[allow(clippy::mut_from_ref)]
    pub(crate) unsafe fn transfer_slice_mut(&self) -> &mut [u8] {
        std::slice::from_raw_parts_mut(self.inner.ptr, self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_aligned_zeroed_and_bounds_checked() {
        let b = DmaBuffer::alloc(100, 256, None).unwrap();
        assert_eq!(b.address() % 256, 0);
        assert_eq!(b.len(), 100);
        assert!(matches!(b.source(), "pinned" | "unpinned"));
        assert_eq!(b.read(0, 100).unwrap(), vec![0; 100]);
        b.write(98, &[1, 2]).unwrap();
        assert_eq!(b.read(97, 3).unwrap(), vec![0, 1, 2]);
        assert_eq!(
            b.write(99, &[1, 2]).unwrap_err().to_string(),
            "dma_write: 2 bytes at offset 99 do not fit a buffer of 100 bytes"
        );
        assert!(b.read(usize::MAX, 2).is_err());
        assert_eq!(
            DmaBuffer::alloc(8, 3, None).err().unwrap().to_string(),
            "dma_alloc: alignment 3 is not a power of two"
        );
        assert!(DmaBuffer::alloc(0, 8, None).is_err());
        assert_eq!(DmaBuffer::alloc(8, 1, None).unwrap().align(), 64);
    }

    #[test]
    fn a_lent_buffer_is_unusable_until_the_loan_ends() {
        let b = DmaBuffer::alloc(16, 64, None).unwrap();
        let loan = b.lend("spi_transfer").unwrap();
        assert_eq!(
            b.read(0, 1).unwrap_err().to_string(),
            "dma_read: the buffer is owned by an in-flight spi_transfer"
        );
        assert!(b.write(0, &[1]).is_err());
        assert!(b.lend("spi_transfer").is_err());
        drop(loan);
        b.write(0, &[7]).unwrap();
        assert_eq!(b.read(0, 1).unwrap(), vec![7]);
    }

    #[test]
    fn a_missing_or_fake_heap_falls_back_to_pinned_memory() {
        let t = crate::testutil::TempTree::new();
        t.file("dev/dma_heap/system", "");
        for heap in ["dev/dma_heap/system", "dev/none"] {
            let b = DmaBuffer::alloc(4096, 64, Some(&t.path().join(heap))).unwrap();
            assert_ne!(b.source(), "dma-heap");
        }
    }
}
