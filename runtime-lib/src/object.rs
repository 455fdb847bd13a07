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

/// The inline cache of one member access site in compiled code: the shape the site last saw
/// and the key's slot in it. Zeroed (no shape) until the first access.
#[repr(C)]
pub struct SiteCache {
    pub shape: *const Shape,
    pub slot: usize,
}

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
    pub fn get_cached(&self, key: &str, cache: &mut SiteCache) -> Value {
        if std::ptr::eq(self.shape, cache.shape) {
            return self.slots[cache.slot];
        }
        match self.shape.slot(key) {
            Some(i) => {
                cache.shape = self.shape;
                cache.slot = i;
                self.slots[i]
            }
            None => Value::NULL,
        }
    }

    /// `set` through a site cache (see `get_cached`).
    pub fn set_cached(&mut self, key: &str, value: Value, cache: &mut SiteCache) {
        if !value.is_null() && std::ptr::eq(self.shape, cache.shape) {
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
        self.slots.push(value);
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
                self.slots.push(value);
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
        self.slots.remove(i);
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
