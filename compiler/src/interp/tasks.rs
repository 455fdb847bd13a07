//! The interpreter's side of tasks (LANGUAGE.md §3.15). The scheduler itself — ready queue,
//! timers, waiters, cycle detection, native task contexts — is the runtime's, shared by every
//! tier; the interpreter creates tasks through it and awaits them through it.
//!
//! A task runs the interpreter in its own run loop on its own native stack (the scheduler
//! starts a task's call through the call hook). The interpreter's value and frame stacks hold
//! the running task's state only: when a task suspends in `await`, its stacks are set aside
//! here, where the collector still sees them, and put back when the task continues.

use super::{Frame, Interp};
use solvra_rt::function::{self, Callee};
use solvra_rt::task::{self, TaskState};
use solvra_rt::{scheduler, RtError, Tag, Value};
use std::collections::HashMap;

/// The interpreter state of the tasks suspended in `await`, by task.
#[derive(Default)]
pub(crate) struct Suspended(HashMap<u64, (Vec<Value>, Vec<Frame>)>);

impl Suspended {
    pub(crate) fn trace(&self, visit: &mut dyn FnMut(Value)) {
        for (stack, frames) in self.0.values() {
            stack.iter().for_each(|v| visit(*v));
            frames.iter().for_each(|f| visit(f.closure));
        }
    }
}

impl Interp {
    /// `async CALL` (and calls of `async fn`): a task for the callee and the `argc` arguments on
    /// top of the stack, which are popped.
    pub(crate) fn spawn_call(&mut self, argc: u16) -> Result<Value, RtError> {
        let at = self.stack.len() - argc as usize - 1;
        let callee = self.stack[at];
        if callee.tag == Tag::Function {
            if let Callee::User(id) = function::obj(callee).callee {
                let code = function::code(id) as u32;
                let entry = &self.prog.modules[self.prog.entry as usize];
                if entry.main.map(|m| m.1) == Some(code) {
                    self.main_started = true;
                }
            }
        }
        let args = self.stack[at + 1..].to_vec();
        let t = scheduler::spawn(callee, args)?;
        self.stack.truncate(at);
        Ok(t)
    }

    /// `await t`: the task's result, after running other tasks while it is not done.
    pub(crate) fn await_value(&mut self, t: Value) -> Result<Value, RtError> {
        let done = t.tag != Tag::Task || matches!(task::obj(t).state, TaskState::Done(_));
        if done {
            return scheduler::await_task(t);
        }
        let me = scheduler::current()?.bits;
        let state = (
            std::mem::take(&mut self.stack),
            std::mem::take(&mut self.frames),
        );
        self.suspended.0.insert(me, state);
        let result = scheduler::await_task(t);
        let (stack, frames) = self.suspended.0.remove(&me).expect("own state");
        self.stack = stack;
        self.frames = frames;
        result
    }
}
