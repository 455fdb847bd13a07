//! Handle values (§3.1 `handle`): opaque host resources, today an open file from `open_file`
//! (§4.9).
//!
//! A handle carries a per-thread serial number, shown by the display format as `<handle N>`
//! (§3.16), and the open `std::fs::File`. `close_file` drops the file and leaves the handle in
//! place as "closed", so using it afterwards is a clean runtime error; a handle the program
//! forgets is closed when the collector frees it (the payload's drop closes the descriptor).
//! Handles hold no values, so the collector has no children to trace.

use crate::error::RtResult;
use crate::heap::{self, GcHeader, HeapObject, ObjKind};
use crate::value::{Tag, Value};
use std::cell::Cell;
use std::fs::File;

pub struct HandleObj {
    /// The number shown as `<handle N>`; unique per thread, counting from 1.
    pub id: u64,
    /// `None` once closed.
    pub file: Option<File>,
}

impl HeapObject for HandleObj {
    const KIND: ObjKind = ObjKind::Handle;
}

thread_local! {
    static NEXT_ID: Cell<u64> = const { Cell::new(1) };
}

/// Allocates a handle for an open file.
pub fn new_file(file: File) -> RtResult<Value> {
    let id = NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id + 1);
        id
    });
    let ptr = heap::alloc(HandleObj {
        id,
        file: Some(file),
    })?;
    Ok(Value::heap(Tag::Handle, ptr as *mut GcHeader))
}

/// The payload of a handle value.
pub fn obj<'a>(v: Value) -> &'a mut HandleObj {
    debug_assert_eq!(v.tag, Tag::Handle);
    // SAFETY: a `Handle` value points at a live `HandleObj`.
    unsafe { heap::payload::<HandleObj>(v.ptr()) }
}

/// The number shown as `<handle N>`.
pub fn id(v: Value) -> u64 {
    obj(v).id
}
