//! Task values (§3.15): the handle of an asynchronous call.
//!
//! The scheduler that runs tasks lands with the `[scheduler]` issue; this is the object a task
//! value points to, with its state and outcome.

use crate::error::{RtError, RtResult};
use crate::heap::{self, GcHeader, HeapObject, ObjKind};
use crate::value::{Tag, Value};

pub enum TaskState {
    /// Created and queued; holds the callee and arguments of the call to start.
    Pending {
        callee: Value,
        args: Vec<Value>,
    },
    /// Started and waiting in an `await`; the tier's suspended state is opaque here.
    Suspended,
    Done(Result<Value, RtError>),
}

pub struct TaskObj {
    pub state: TaskState,
    /// Tasks waiting for this one, in the order they started waiting.
    pub waiters: Vec<Value>,
    /// The tier's saved execution state while suspended (e.g. an interpreter frame stack).
    pub resume: usize,
}

impl HeapObject for TaskObj {
    const KIND: ObjKind = ObjKind::Task;
}

pub fn new_pending(callee: Value, args: Vec<Value>) -> RtResult<Value> {
    let ptr = heap::alloc(TaskObj {
        state: TaskState::Pending { callee, args },
        waiters: Vec::new(),
        resume: 0,
    })?;
    Ok(Value::heap(Tag::Task, ptr as *mut GcHeader))
}

pub fn obj<'a>(v: Value) -> &'a mut TaskObj {
    debug_assert_eq!(v.tag, Tag::Task);
    // SAFETY: a `Task` value points at a live `TaskObj`.
    unsafe { heap::payload::<TaskObj>(v.ptr()) }
}

/// GC: the call to start, the outcome, and the waiters.
///
/// # Safety
/// `obj` must be a live task.
pub unsafe fn trace(obj: *mut GcHeader, visit: &mut dyn FnMut(Value)) {
    let t = heap::payload::<TaskObj>(obj);
    match &t.state {
        TaskState::Pending { callee, args } => {
            visit(*callee);
            args.iter().for_each(|a| visit(*a));
        }
        TaskState::Suspended => {}
        TaskState::Done(Ok(v)) => visit(*v),
        TaskState::Done(Err(_)) => {}
    }
    t.waiters.iter().for_each(|w| visit(*w));
}
