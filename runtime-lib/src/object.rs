//! Objects: mutable, by reference, fields in insertion order, never storing `null` (§3.11).
//!
//! An object holds a `Shape` (its ordered key list) and a slot vector parallel to it. Shapes
//! are interned by transition: adding key `k` to shape `S` always yields the same shape, so
//! objects built the same way share shapes and compiled code can cache `shape → slot` at each
//! access site. Shapes live for the whole run (their number is bounded by the program's
//! distinct key sequences). Removing a key rebuilds the path without it; objects with many
//! keys use the same structure, with the shape's hash index making lookups O(1).

use crate::cvec::CVec;
use crate::error::RtResult;
use crate::heap::{self, GcHeader, HeapObject, ObjKind};
use crate::value::{Tag, Value};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

pub struct Shape {
    pub keys: Vec<Rc<str>>,
    index: HashMap<Rc<str>, u32>,
    transitions: RefCell<HashMap<Rc<str>, &'static Shape>>,
}

impl Shape {
    fn new(keys: Vec<Rc<str>>) -> Shape {
        let index = keys
            .iter()
            .enumerate()
            .map(|(i, k)| (k.clone(), i as u32))
            .collect();
        Shape {
            keys,
            index,
            transitions: RefCell::new(HashMap::new()),
        }
    }

    /// Slot of `key`, if present.
    pub fn slot(&self, key: &str) -> Option<usize> {
        self.index.get(key).map(|&i| i as usize)
    }

    /// The shape with `key` appended.
    pub fn with_key(&'static self, key: &str) -> &'static Shape {
        if let Some(next) = self.transitions.borrow().get(key) {
            return next;
        }
        let key: Rc<str> = Rc::from(key);
        let mut keys = self.keys.clone();
        keys.push(key.clone());
        let next: &'static Shape = Box::leak(Box::new(Shape::new(keys)));
        self.transitions.borrow_mut().insert(key, next);
        next
    }
}

thread_local! {
    static ROOT_SHAPE: &'static Shape = Box::leak(Box::new(Shape::new(Vec::new())));
}

/// The shape of `{}`.
pub fn empty_shape() -> &'static Shape {
    ROOT_SHAPE.with(|s| *s)
}

/// `#[repr(C)]`: compiled code compares `shape` (offset 0) with a site cache and then reads
/// `slots` (one pointer-size later) directly (docs/MEMORY_MODEL.md).
#[repr(C)]
pub struct ObjectObj {
    pub shape: &'static Shape,
    pub slots: CVec<Value>,
}

impl HeapObject for ObjectObj {
    const KIND: ObjKind = ObjKind::Object;
    fn extra_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Value>()
    }
}

/// An object literal with more fields than this still starts with this many slots inline.
const MAX_INLINE_SLOTS: usize = 16;

impl Drop for ObjectObj {
    fn drop(&mut self) {
        let inline = self.inline_slots();
        self.slots.release_borrowed(inline);
    }
}

/// The inline cache of one member access site in compiled code: the shape the site last saw
/// and the key's slot in it, or `MISSING_SLOT` when that shape has no such key (a read is
/// `null`: `t.left == null` on the leaves of a tree). Zeroed (no shape) until the first access.
#[repr(C)]
pub struct SiteCache {
    pub shape: *const Shape,
    pub slot: usize,
}

/// `SiteCache::slot` of a key the cached shape does not have.
pub const MISSING_SLOT: usize = usize::MAX;

/// The inline cache of one field of an object literal in compiled code: the shape the object
/// had before the field last time and the shape adding it gave. Zeroed until the first use.
#[repr(C)]
pub struct TransitionCache {
    pub from: *const Shape,
    pub to: *const Shape,
}

impl ObjectObj {
    pub fn get(&self, key: &str) -> Value {
        match self.shape.slot(key) {
            Some(i) => self.slots[i],
            None => Value::NULL,
        }
    }

    /// `get` through a site cache: no hashing while objects have the shape the site last saw.
    /// Inlined where it is called, so the interpreter's cache hit is a compare and a load.
    #[inline]
    pub fn get_cached(&self, key: &str, cache: &mut SiteCache) -> Value {
        if std::ptr::eq(self.shape, cache.shape) {
            return match cache.slot {
                MISSING_SLOT => Value::NULL,
                slot => self.slots[slot],
            };
        }
        cache.shape = self.shape;
        match self.shape.slot(key) {
            Some(i) => {
                cache.slot = i;
                self.slots[i]
            }
            None => {
                cache.slot = MISSING_SLOT;
                Value::NULL
            }
        }
    }

    /// `set` through a site cache (see `get_cached`).
    #[inline]
    pub fn set_cached(&mut self, key: &str, value: Value, cache: &mut SiteCache) {
        if !value.is_null() && std::ptr::eq(self.shape, cache.shape) && cache.slot != MISSING_SLOT {
            crate::array::share(value);
            self.slots[cache.slot] = value;
            return;
        }
        self.set(key, value);
        if let Some(i) = self.shape.slot(key) {
            cache.shape = self.shape;
            cache.slot = i;
        }
    }

    /// `set` for a field of an object literal, through the site's transition cache: while
    /// objects there are built the same way, a new field is appended without hashing.
    pub fn add_cached(&mut self, key: &str, value: Value, cache: &mut TransitionCache) {
        if self.add_by_cache(value, cache) {
            return;
        }
        let before = self.shape;
        self.set(key, value);
        if self.shape.keys.len() == before.keys.len() + 1 {
            cache.from = before;
            cache.to = self.shape;
        }
    }

    /// The cached case of `add_cached`, which needs no key: false if the cache does not apply.
    #[inline]
    pub fn add_by_cache(&mut self, value: Value, cache: &TransitionCache) -> bool {
        if value.is_null() || !std::ptr::eq(self.shape, cache.from) {
            return false;
        }
        crate::array::share(value);
        self.push_slot(value);
        // SAFETY: `to` came from a `&'static Shape` (`add_cached`); shapes are never freed.
        self.shape = unsafe { &*cache.to };
        true
    }

    /// Sets a field; `null` removes it (§3.11.2). A new key goes to the end.
    pub fn set(&mut self, key: &str, value: Value) {
        crate::array::share(value);
        match (self.shape.slot(key), value.is_null()) {
            (Some(i), false) => self.slots[i] = value,
            (None, false) => {
                self.shape = self.shape.with_key(key);
                self.push_slot(value);
            }
            (Some(i), true) => self.remove_slot(i),
            (None, true) => {}
        }
    }

    fn remove_slot(&mut self, i: usize) {
        let mut shape = empty_shape();
        for (j, k) in self.shape.keys.iter().enumerate() {
            if j != i {
                shape = shape.with_key(k);
            }
        }
        self.shape = shape;
        self.slots[i..].rotate_left(1);
        self.slots.pop();
    }

    /// Where the slots an object was allocated with live: right after the payload
    /// (`with_capacity`).
    fn inline_slots(&self) -> *mut Value {
        // SAFETY: one past the payload is inside or at the end of the object's allocation.
        unsafe { (self as *const ObjectObj).add(1) as *mut Value }
    }

    fn slots_inline(&self) -> bool {
        self.slots.is_borrowed_at(self.inline_slots())
    }

    /// Appends a slot; full inline slots move to a buffer of their own, which grows as usual.
    fn push_slot(&mut self, value: Value) {
        if self.slots.len() == self.slots.capacity() && self.slots_inline() {
            let mut moved = Vec::with_capacity(self.slots.capacity() * 2);
            moved.extend_from_slice(&self.slots);
            std::mem::forget(std::mem::replace(&mut self.slots, CVec::from(moved)));
        }
        self.slots.push(value);
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    pub fn keys(&self) -> &[Rc<str>] {
        &self.shape.keys
    }
}

pub fn new_empty() -> RtResult<Value> {
    let ptr = heap::alloc(ObjectObj {
        shape: empty_shape(),
        slots: CVec::new(),
    })?;
    Ok(Value::heap(Tag::Object, ptr as *mut GcHeader))
}

/// `{}` with room for `fields` fields inside the object itself (an object literal's size is
/// known where it is made), so building it allocates once and the slots sit next to the
/// header compiled code reads first (docs/MEMORY_MODEL.md).
pub fn with_capacity(fields: usize) -> RtResult<Value> {
    let fields = fields.min(MAX_INLINE_SLOTS);
    if fields == 0 {
        return new_empty();
    }
    let empty = ObjectObj {
        shape: empty_shape(),
        slots: CVec::new(),
    };
    let ptr = heap::alloc_with_tail(empty, fields * std::mem::size_of::<Value>(), |o, at| {
        // SAFETY: the tail holds `fields` values, for as long as the object lives.
        o.slots = unsafe { CVec::borrowed(at as *mut Value, fields) };
    })?;
    Ok(Value::heap(Tag::Object, ptr as *mut GcHeader))
}

/// The payload of an object value.
pub fn obj<'a>(v: Value) -> &'a mut ObjectObj {
    debug_assert_eq!(v.tag, Tag::Object);
    // SAFETY: an `Object` value points at a live `ObjectObj`.
    unsafe { heap::payload::<ObjectObj>(v.ptr()) }
}

/// GC: the field values.
///
/// # Safety
/// `obj` must be a live object.
pub unsafe fn trace(obj: *mut GcHeader, visit: &mut dyn FnMut(Value)) {
    for v in &heap::payload::<ObjectObj>(obj).slots {
        visit(*v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::collect;
    use crate::testutil::{d, float, int, keep, rooted, s};

    fn fields(o: Value) -> Vec<(String, String)> {
        let o = obj(o);
        o.keys()
            .iter()
            .zip(o.slots.iter())
            .map(|(k, v)| (k.to_string(), d(*v)))
            .collect()
    }

    #[test]
    fn inline_slots_fill_spill_and_lose_fields() {
        rooted(|| {
            let two = with_capacity(2).unwrap();
            obj(two).set("a", int(1));
            obj(two).set("b", s("x"));
            assert!(obj(two).slots_inline());
            // A third field moves the slots to a buffer of their own.
            obj(two).set("c", float(2.5));
            assert!(!obj(two).slots_inline());
            obj(two).set("a", Value::NULL);
            let want = [("b", "x"), ("c", "2.5")];
            let want: Vec<_> = want
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            assert_eq!(fields(two), want);

            let three = with_capacity(3).unwrap();
            for (k, v) in [("x", int(1)), ("y", int(2)), ("z", int(3))] {
                obj(three).set(k, v);
            }
            obj(three).set("y", Value::NULL);
            assert!(obj(three).slots_inline());
            obj(three).set("w", s("late"));
            assert!(obj(three).slots_inline());
            collect();
            assert_eq!(d(three), "{x: 1, z: 3, w: late}");
            assert_eq!(d(two), "{b: x, c: 2.5}");
            // More fields than are ever kept inline.
            let big = with_capacity(1000).unwrap();
            for i in 0..40 {
                obj(big).set(&format!("k{i}"), int(i));
            }
            assert_eq!(obj(big).len(), 40);
            for v in [two, three, big] {
                keep(v);
            }
        })
    }

    #[test]
    fn site_caches_remember_missing_keys() {
        rooted(|| {
            let o = with_capacity(1).unwrap();
            obj(o).set("a", int(1));
            let mut cache = SiteCache {
                shape: std::ptr::null(),
                slot: 0,
            };
            assert!(obj(o).get_cached("b", &mut cache).is_null());
            assert_eq!(cache.slot, MISSING_SLOT);
            assert!(obj(o).get_cached("b", &mut cache).is_null());
            // A store through a cache that knows the key is missing adds it the usual way.
            obj(o).set_cached("b", int(2), &mut cache);
            assert_eq!(d(obj(o).get_cached("b", &mut cache)), "2");
            assert_eq!(d(o), "{a: 1, b: 2}");
            keep(o);
        })
    }
}
