//! Arrays: ordered values with value semantics (§3.10.1) through a sticky shared bit.
//!
//! Storing an array in a second place (a variable, a field, an element, an argument that
//! outlives the call) marks it `FLAG_SHARED`; a mutation through any place first copies a shared
//! array (`make_unique`). An unshared array is mutated in place, so `a = push(a, x)` in a loop
//! is amortised O(1). All-int, all-float and all-bool arrays keep typed storage (8, 8 and 1
//! bytes an element), which compiled code can index without boxing; the first element of
//! another type converts them to general storage.

use crate::cvec::CVec;
use crate::error::RtResult;
use crate::heap::{self, GcHeader, HeapObject, ObjKind, FLAG_SHARED};
use crate::value::{Tag, Value};

/// The element buffer, in a layout compiled code reads (docs/MEMORY_MODEL.md): a `u8`
/// discriminant (`STORAGE_INTS`…) at offset 0, the `CVec` one pointer-size later.
#[repr(C, u8)]
pub enum Storage {
    Ints(CVec<i64>),
    Floats(CVec<f64>),
    Values(CVec<Value>),
    Bools(CVec<bool>),
}

/// `Storage`'s discriminants, as compiled code compares them.
pub const STORAGE_INTS: u8 = 0;
pub const STORAGE_FLOATS: u8 = 1;
pub const STORAGE_VALUES: u8 = 2;
pub const STORAGE_BOOLS: u8 = 3;

#[repr(C)]
pub struct ArrayObj {
    pub storage: Storage,
}

impl HeapObject for ArrayObj {
    const KIND: ObjKind = ObjKind::Array;
    fn extra_bytes(&self) -> usize {
        match &self.storage {
            Storage::Ints(v) => v.capacity() * 8,
            Storage::Floats(v) => v.capacity() * 8,
            Storage::Values(v) => v.capacity() * std::mem::size_of::<Value>(),
            Storage::Bools(v) => v.capacity(),
        }
    }
}

impl ArrayObj {
    pub fn len(&self) -> usize {
        match &self.storage {
            Storage::Ints(v) => v.len(),
            Storage::Floats(v) => v.len(),
            Storage::Values(v) => v.len(),
            Storage::Bools(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn get(&self, i: usize) -> Value {
        match &self.storage {
            Storage::Ints(v) => Value::int(v[i]),
            Storage::Floats(v) => Value::float(v[i]),
            Storage::Values(v) => v[i],
            Storage::Bools(v) => Value::bool(v[i]),
        }
    }

    pub fn set(&mut self, i: usize, value: Value) {
        match (&mut self.storage, value.tag) {
            (Storage::Ints(v), Tag::Int) => v[i] = value.as_int(),
            (Storage::Floats(v), Tag::Float) => v[i] = value.as_float(),
            (Storage::Values(v), _) => v[i] = value,
            (Storage::Bools(v), Tag::Bool) => v[i] = value.as_bool(),
            _ => {
                self.generalize();
                if let Storage::Values(v) = &mut self.storage {
                    v[i] = value;
                }
            }
        }
    }

    pub fn push(&mut self, value: Value) {
        match (&mut self.storage, value.tag) {
            (Storage::Ints(v), Tag::Int) => v.push(value.as_int()),
            (Storage::Floats(v), Tag::Float) => v.push(value.as_float()),
            (Storage::Values(v), _) => v.push(value),
            (Storage::Bools(v), Tag::Bool) => v.push(value.as_bool()),
            (Storage::Ints(v), Tag::Float) if v.is_empty() => {
                self.storage = Storage::Floats(CVec::from(vec![value.as_float()]));
            }
            (Storage::Ints(v), Tag::Bool) if v.is_empty() => {
                self.storage = Storage::Bools(CVec::from(vec![value.as_bool()]));
            }
            _ => {
                self.generalize();
                if let Storage::Values(v) = &mut self.storage {
                    v.push(value);
                }
            }
        }
    }

    /// Switches typed storage to general values.
    fn generalize(&mut self) {
        let values: CVec<Value> = (0..self.len()).map(|i| self.get(i)).collect();
        self.storage = Storage::Values(values);
    }

    pub fn to_vec(&self) -> Vec<Value> {
        (0..self.len()).map(|i| self.get(i)).collect()
    }
}

/// Allocates an array holding `items`, choosing typed storage when every item allows it.
pub fn from_values(items: Vec<Value>) -> RtResult<Value> {
    let storage = if !items.is_empty() && items.iter().all(|v| v.tag == Tag::Int) {
        Storage::Ints(items.iter().map(|v| v.as_int()).collect())
    } else if !items.is_empty() && items.iter().all(|v| v.tag == Tag::Float) {
        Storage::Floats(items.iter().map(|v| v.as_float()).collect())
    } else if !items.is_empty() && items.iter().all(|v| v.tag == Tag::Bool) {
        Storage::Bools(items.iter().map(|v| v.as_bool()).collect())
    } else if items.is_empty() {
        Storage::Ints(CVec::new())
    } else {
        Storage::Values(CVec::from(items))
    };
    let ptr = heap::alloc(ArrayObj { storage })?;
    Ok(Value::heap(Tag::Array, ptr as *mut GcHeader))
}

/// The payload of an array value.
pub fn obj<'a>(v: Value) -> &'a mut ArrayObj {
    debug_assert_eq!(v.tag, Tag::Array);
    // SAFETY: an `Array` value points at a live `ArrayObj`.
    unsafe { heap::payload::<ArrayObj>(v.ptr()) }
}

pub fn len(v: Value) -> usize {
    obj(v).len()
}

pub fn is_shared(v: Value) -> bool {
    // SAFETY: heap value.
    unsafe { (*v.ptr()).flags & FLAG_SHARED != 0 }
}

/// Marks an array as stored in more than one place.
pub fn share(v: Value) {
    if v.tag == Tag::Array {
        // SAFETY: heap value.
        unsafe { (*v.ptr()).flags |= FLAG_SHARED };
    }
}

/// Returns an array that may be mutated through the place holding `v`: `v` itself if
/// unshared, otherwise a fresh unshared copy (which the caller stores back into the place).
pub fn make_unique(v: Value) -> RtResult<Value> {
    if !is_shared(v) {
        return Ok(v);
    }
    copy(v)
}

/// A fresh, unshared copy. Nested arrays are shared with the copy, not copied: they are copied
/// lazily when mutated through it.
pub fn copy(v: Value) -> RtResult<Value> {
    let src = obj(v);
    let storage = match &src.storage {
        Storage::Ints(x) => Storage::Ints(x.clone()),
        Storage::Floats(x) => Storage::Floats(x.clone()),
        Storage::Bools(x) => Storage::Bools(x.clone()),
        Storage::Values(x) => {
            for item in x {
                share(*item);
            }
            Storage::Values(x.clone())
        }
    };
    let ptr = heap::alloc(ArrayObj { storage })?;
    Ok(Value::heap(Tag::Array, ptr as *mut GcHeader))
}

/// Appends in place (the array must be unique) and updates heap accounting.
pub fn push_in_place(arr: Value, item: Value) {
    share(item);
    let a = obj(arr);
    let before = a.extra_bytes();
    a.push(item);
    let after = a.extra_bytes();
    if after != before {
        // SAFETY: `arr` is a live array.
        unsafe {
            let size = ((*arr.ptr()).size as usize + after).saturating_sub(before);
            heap::account(arr.ptr(), size);
        }
    }
}

/// GC: the values an array holds.
///
/// # Safety
/// `obj` must be a live array.
pub unsafe fn trace(obj: *mut GcHeader, visit: &mut dyn FnMut(Value)) {
    if let Storage::Values(items) = &heap::payload::<ArrayObj>(obj).storage {
        for v in items {
            visit(*v);
        }
    }
}
