//! Handle values (§3.1 `handle`): opaque host resources — open files (`open_file`, §4.9) and
//! the descriptors, processes and sockets of the system modules (`syscalls/`).
//!
//! A handle carries a per-thread serial number, shown by the display format as `<handle N>`
//! (§3.16), and its resource. Closing drops the resource and leaves the handle in place as
//! "closed", so using it afterwards is a clean runtime error; a handle the program forgets is
//! closed when the collector frees it (the resource's drop closes the descriptor). Handles hold
//! no values, so the collector has no children to trace.

use crate::error::{RtError, RtResult};
use crate::heap::{self, GcHeader, HeapObject, ObjKind};
use crate::value::{Tag, Value};
use std::any::Any;
use std::cell::Cell;
use std::fs::File;
use std::os::unix::io::RawFd;

/// What a handle holds. Each kind is a Rust type; code that uses a handle asks for its type
/// with `resource::<T>`, so a socket passed where a file is expected is a clean error.
pub trait Resource: Any {
    /// The kind's name in error messages (`file`, `socket`, …).
    fn kind(&self) -> &'static str;
    fn as_any(&mut self) -> &mut dyn Any;
    /// The descriptor tasks may be waiting on (a socket, a pipe, a process's exit): closing
    /// the handle fails those tasks instead of leaving them waiting forever.
    fn waited_fd(&self) -> Option<RawFd> {
        None
    }
    /// What the tasks waiting on the handle fail with when it is closed.
    fn closed_while_waiting(&self, id: u64) -> String {
        format!("close: <handle {id}> was closed while a task waited for it")
    }
}

impl Resource for File {
    fn kind(&self) -> &'static str {
        "file"
    }
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
}

pub struct HandleObj {
    /// The number shown as `<handle N>`; unique per thread, counting from 1.
    pub id: u64,
    /// `None` once closed.
    pub resource: Option<Box<dyn Resource>>,
}

impl HeapObject for HandleObj {
    const KIND: ObjKind = ObjKind::Handle;
}

thread_local! {
    static NEXT_ID: Cell<u64> = const { Cell::new(1) };
}

/// Allocates a handle for a resource.
pub fn new(resource: Box<dyn Resource>) -> RtResult<Value> {
    let id = NEXT_ID.with(|n| {
        let id = n.get();
        n.set(id + 1);
        id
    });
    let ptr = heap::alloc(HandleObj {
        id,
        resource: Some(resource),
    })?;
    Ok(Value::heap(Tag::Handle, ptr as *mut GcHeader))
}

/// Allocates a handle for an open file.
pub fn new_file(file: File) -> RtResult<Value> {
    new(Box::new(file))
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

/// The open resource of type `T` behind argument `v` of builtin `name`; a runtime error if `v`
/// is not a handle, is closed, or holds another kind of resource.
pub fn resource<'a, T: Resource>(name: &str, what: &str, v: Value) -> RtResult<&'a mut T> {
    if v.tag != Tag::Handle {
        return Err(RtError::new(format!(
            "{name}: expects {what}, got {}",
            v.type_name()
        )));
    }
    let id = id(v);
    match obj(v).resource.as_mut() {
        None => Err(RtError::new(format!("{name}: <handle {id}> is closed"))),
        Some(r) => {
            let kind = r.kind();
            r.as_any().downcast_mut::<T>().ok_or_else(|| {
                RtError::new(format!(
                    "{name}: expects {what}, got <handle {id}> ({kind})"
                ))
            })
        }
    }
}

/// Closes a handle: fails the tasks waiting on its descriptor, then drops its resource (which
/// closes the descriptor). `false` if it was already closed.
pub fn close(v: Value) -> bool {
    let id = id(v);
    match obj(v).resource.take() {
        Some(resource) => {
            if let Some(fd) = resource.waited_fd() {
                crate::scheduler::io_close(fd, &resource.closed_while_waiting(id));
            }
            true
        }
        None => false,
    }
}
