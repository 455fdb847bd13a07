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
        args: Box<[Value]>,
    },
    /// Started (running, or suspended in an `await`), keeping its call alive for the
    /// collector. The main task and `delay` tasks have no call: a null callee.
    Started {
        callee: Value,
        args: Box<[Value]>,
    },
    Done(Result<Value, RtError>),
}

pub struct TaskObj {
    pub state: TaskState,
    /// Tasks waiting for this one, in the order they started waiting.
    pub waiters: Waiters,
    /// The scheduler's record of the task once it runs on a native context (`NO_SLOT` before).
    pub slot: u32,
}

// With its 8-byte header a task object fills an 80-byte heap slot; 8 bytes more would put every
// task in the 96-byte class (docs/SCHEDULER.md counts the bytes of a sleeping task).
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<TaskObj>() <= 72);

/// `TaskObj::slot` of a task that has no native context (not started, a timer, an I/O task).
pub const NO_SLOT: u32 = u32::MAX;

/// The waiter list of a task. Almost every awaited task has one waiter, which is kept inline:
/// awaiting allocates nothing (100 000 sleeping tasks each await their own `delay` task).
/// `Many` is boxed so the enum is 24 bytes with every compiler (older ones cannot fold a
/// `Vec`'s and a `Value`'s spare bits into one tag).
#[derive(Default)]
pub enum Waiters {
    #[default]
    None,
    One(Value),
    Many(Box<Vec<Value>>),
}

impl Waiters {
    pub fn push(&mut self, w: Value) {
        *self = match std::mem::take(self) {
            Waiters::None => Waiters::One(w),
            Waiters::One(first) => Waiters::Many(Box::new(vec![first, w])),
            Waiters::Many(mut all) => {
                all.push(w);
                Waiters::Many(all)
            }
        };
    }

    pub fn as_slice(&self) -> &[Value] {
        match self {
            Waiters::None => &[],
            Waiters::One(w) => std::slice::from_ref(w),
            Waiters::Many(all) => all,
        }
    }

    /// Removes `w` (a waiter that stops waiting), keeping the others' order.
    pub fn remove(&mut self, w: Value) {
        match self {
            Waiters::One(only) if *only == w => *self = Waiters::None,
            Waiters::Many(all) => all.retain(|x| *x != w),
            _ => {}
        }
    }
}

impl HeapObject for TaskObj {
    const KIND: ObjKind = ObjKind::Task;
}

pub fn new_pending(callee: Value, args: Vec<Value>) -> RtResult<Value> {
    let ptr = heap::alloc(TaskObj {
        state: TaskState::Pending {
            callee,
            args: args.into_boxed_slice(),
        },
        waiters: Waiters::None,
        slot: NO_SLOT,
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
            args: Box::default(),
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

/// A task (or none) kept as its address alone, half the size of a `Value`: the scheduler keeps
/// one per timer and a few per started task.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct TaskRef(u64);

impl TaskRef {
    pub const NONE: TaskRef = TaskRef(0);

    pub fn new(t: Value) -> TaskRef {
        debug_assert_eq!(t.tag, Tag::Task);
        TaskRef(t.bits)
    }

    pub fn is_none(self) -> bool {
        self.0 == 0
    }

    /// The task value; `Value::NULL` for `NONE`.
    pub fn value(self) -> Value {
        if self.is_none() {
            Value::NULL
        } else {
            Value::heap(Tag::Task, self.0 as usize as *mut GcHeader)
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
    t.waiters.as_slice().iter().for_each(|w| visit(*w));
}
