//! `CVec<T>`: a growable buffer with a fixed C layout, for the heap payloads compiled code reads.
//!
//! `Vec`'s field order is unspecified and differs between compilers (the runtime is built by
//! the current rustc for the host and by Debian's rustc 1.63 for ARM), so arrays' and objects'
//! element buffers are `CVec`s: `{ptr, len, cap}` in that order, each a pointer-sized word.
//! Compiled code indexes `ptr` below `len` and appends while `len < cap` without a runtime
//! call (docs/MEMORY_MODEL.md, "Layouts compiled code reads"). The buffer is a `Vec`'s own
//! allocation: every operation beyond indexing borrows it back as a `Vec` (`with_vec`).

use std::ops::{Deref, DerefMut};

#[repr(C)]
pub struct CVec<T> {
    ptr: *mut T,
    len: usize,
    cap: usize,
}

impl<T> CVec<T> {
    pub fn new() -> CVec<T> {
        CVec::from(Vec::new())
    }

    pub fn capacity(&self) -> usize {
        self.cap
    }

    /// An empty buffer of `cap` items at `ptr` that no `Vec` owns (an object's inline slots):
    /// it never grows in place, and its owner must `mem::forget` it instead of dropping it.
    ///
    /// # Safety
    /// `ptr` must be valid for `cap` items, aligned, for as long as the `CVec` is used.
    pub unsafe fn borrowed(ptr: *mut T, cap: usize) -> CVec<T> {
        CVec { ptr, len: 0, cap }
    }

    /// # Safety
    /// The first `len` items must be initialised, and `len <= cap`.
    pub unsafe fn set_len(&mut self, len: usize) {
        debug_assert!(len <= self.cap);
        self.len = len;
    }

    /// Whether the buffer is the borrowed one at `at` (`borrowed`).
    pub fn is_borrowed_at(&self, at: *const T) -> bool {
        self.cap > 0 && std::ptr::eq(self.ptr, at)
    }

    /// Empties `self`, leaving the buffer alone when it is the borrowed one at `at`; the owner
    /// calls this when it is dropped, before the buffer would be freed.
    pub fn release_borrowed(&mut self, at: *const T) {
        if self.is_borrowed_at(at) {
            std::mem::forget(std::mem::take(self));
        }
    }

    /// Runs `f` on the buffer as a `Vec` and takes back whatever it leaves (a reallocation
    /// included). If `f` panics, the `Vec` is dropped once while unwinding and `self` is left
    /// empty, never pointing at freed memory.
    pub fn with_vec<R>(&mut self, f: impl FnOnce(&mut Vec<T>) -> R) -> R {
        let mut v = std::mem::take(self).into_vec();
        let r = f(&mut v);
        *self = CVec::from(v);
        r
    }

    pub fn push(&mut self, item: T) {
        if self.len < self.cap {
            // SAFETY: `len < cap`, so the slot is inside the allocation and uninitialised.
            unsafe { self.ptr.add(self.len).write(item) };
            self.len += 1;
        } else {
            self.with_vec(|v| v.push(item));
        }
    }

    pub fn pop(&mut self) -> Option<T> {
        if self.len == 0 {
            return None;
        }
        self.len -= 1;
        // SAFETY: the slot at the old `len - 1` is initialised and is now outside the vector.
        Some(unsafe { self.ptr.add(self.len).read() })
    }

    pub fn remove(&mut self, i: usize) -> T {
        self.with_vec(|v| v.remove(i))
    }

    pub fn into_vec(self) -> Vec<T> {
        let me = std::mem::ManuallyDrop::new(self);
        // SAFETY: the parts came from a `Vec<T>` (`From<Vec<T>>`) and are given back once.
        unsafe { Vec::from_raw_parts(me.ptr, me.len, me.cap) }
    }
}

impl<T> From<Vec<T>> for CVec<T> {
    fn from(v: Vec<T>) -> CVec<T> {
        let mut v = std::mem::ManuallyDrop::new(v);
        CVec {
            ptr: v.as_mut_ptr(),
            len: v.len(),
            cap: v.capacity(),
        }
    }
}

impl<T> Default for CVec<T> {
    fn default() -> CVec<T> {
        CVec::new()
    }
}

impl<T> FromIterator<T> for CVec<T> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> CVec<T> {
        CVec::from(iter.into_iter().collect::<Vec<T>>())
    }
}

impl<T: Clone> Clone for CVec<T> {
    fn clone(&self) -> CVec<T> {
        CVec::from(self.to_vec())
    }
}

impl<T> Drop for CVec<T> {
    fn drop(&mut self) {
        // SAFETY: as in `into_vec`; `self` is not used again.
        drop(unsafe { Vec::from_raw_parts(self.ptr, self.len, self.cap) });
    }
}

impl<T> Deref for CVec<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        // SAFETY: `ptr` is non-null and aligned (a `Vec`'s pointer) with `len` initialised items.
        unsafe { std::slice::from_raw_parts(self.ptr, self.len) }
    }
}

impl<T> DerefMut for CVec<T> {
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`, and `&mut self` is exclusive.
        unsafe { std::slice::from_raw_parts_mut(self.ptr, self.len) }
    }
}

impl<'a, T> IntoIterator for &'a CVec<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::CVec;

    #[test]
    fn behaves_like_a_vec() {
        let mut v: CVec<String> = CVec::new();
        for i in 0..100 {
            v.push(i.to_string());
        }
        assert_eq!(v.len(), 100);
        assert!(v.capacity() >= 100);
        assert_eq!(v.remove(0), "0");
        assert_eq!(v[0], "1");
        let w = v.clone();
        v.with_vec(|v| v.truncate(3));
        assert_eq!(&v[..], ["1", "2", "3"]);
        assert_eq!(w.len(), 99);
        assert_eq!(w.into_vec().last().map(String::as_str), Some("99"));
        let c: CVec<i64> = (0..5).collect();
        assert_eq!(c.iter().sum::<i64>(), 10);
    }

    #[test]
    fn fields_are_ptr_len_cap_in_words() {
        let v: CVec<u8> = Vec::with_capacity(7).into();
        let words: [usize; 3] = unsafe { std::mem::transmute_copy(&v) };
        assert_eq!(words[0], v.as_ptr() as usize);
        assert_eq!(words[1], 0);
        assert_eq!(words[2], 7);
    }
}
