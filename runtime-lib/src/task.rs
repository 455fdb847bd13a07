//! Task values (§3.15): the handle of an asynchronous call.
//!
//! The object a task value points to, with its state and outcome; `scheduler` runs tasks.

use crate::error::{RtError, RtResult};
use crate::heap::{self, GcHeader, HeapObject, ObjKind};
use crate::value::{Tag, Value};

pub enum TaskState {
    /// Created and queued; holds the callee and arguments of the call to start.
    Pending {
        callee: Value,
        args: Vec<Value>,
    },
    /// Started (running, or suspended in an `await`), keeping its call alive for the
    /// collector. The main task and `delay` tasks have no call: a null callee.
    Started {
        callee: Value,
        args: Vec<Value>,
    },
    Done(Result<Value, RtError>),
}

pub struct TaskObj {
    pub state: TaskState,
    /// Tasks waiting for this one, in the order they started waiting.
    pub waiters: Vec<Value>,
}

impl HeapObject for TaskObj {
    const KIND: ObjKind = ObjKind::Task;
}

pub fn new_pending(callee: Value, args: Vec<Value>) -> RtResult<Value> {
    let ptr = heap::alloc(TaskObj {
        state: TaskState::Pending { callee, args },
        waiters: Vec::new(),
    })?;
    Ok(Value::heap(Tag::Task, ptr as *mut GcHeader))
}

/// A task without a call, started from the beginning (the main task, `delay` tasks).
pub fn new_started() -> RtResult<Value> {
    let t = new_pending(Value::NULL, Vec::new())?;
    start(t);
    Ok(t)
}

/// Moves a pending task to `Started` and returns its call: the callee and the arguments, which
/// stay in the task object (where the collector sees them) until the task is done, and are
/// borrowed from there. Nothing for a task in any other state.
pub fn start<'a>(t: Value) -> (Value, &'a [Value]) {
    let obj = obj(t);
    let pending = std::mem::replace(
        &mut obj.state,
        TaskState::Started {
            callee: Value::NULL,
            args: Vec::new(),
        },
    );
    match pending {
        TaskState::Pending { callee, args } => {
            obj.state = TaskState::Started { callee, args };
            match &obj.state {
                // SAFETY: the task object does not move (the heap is non-moving) and its
                // arguments are not touched again until the task is done.
                TaskState::Started { args, .. } => (callee, unsafe {
                    std::slice::from_raw_parts(args.as_ptr(), args.len())
                }),
                _ => unreachable!(),
            }
        }
        other => {
            obj.state = other;
            (Value::NULL, &[])
        }
    }
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
        TaskState::Pending { callee, args } | TaskState::Started { callee, args } => {
            visit(*callee);
            args.iter().for_each(|a| visit(*a));
        }
        TaskState::Done(Ok(v)) => visit(*v),
        TaskState::Done(Err(_)) => {}
    }
    t.waiters.iter().for_each(|w| visit(*w));
}
