//! The interpreter's side of tasks (LANGUAGE.md §3.15). The scheduler itself — ready queue,
//! timers, waiters, cycle detection, native task contexts — is the runtime's, shared by every
//! tier; the interpreter creates tasks through it and awaits them through it.
//!
//! A task runs the interpreter in its own run loop on its own native stack (the scheduler
//! starts a task's call through the call hook). The interpreter's value and frame stacks hold
//! the running task's state only: at every switch (the scheduler's switch hook, `on_switch`)
//! the stacks of the task that stops are set aside here, where the collector still sees them,
//! and those of the task that continues are put back. Because the hook sees every switch, a
//! task may suspend anywhere: in the interpreter's `await`, in compiled code the interpreter
//! called, in a builtin.

use super::{Frame, Interp};
use solvra_rt::function::{self, Callee};
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

    /// The switch hook's work: sets aside the running task's stacks and puts back `to`'s.
    fn switch_stacks(&mut self, from: Value, to: Value) {
        if !self.stack.is_empty() || !self.frames.is_empty() {
            let state = (
                std::mem::take(&mut self.stack),
                std::mem::take(&mut self.frames),
            );
            self.suspended.0.insert(from.bits, state);
        }
        let (stack, frames) = self.suspended.0.remove(&to.bits).unwrap_or_default();
        self.stack = stack;
        self.frames = frames;
    }
}

/// The scheduler's switch hook while an interpreter runs on this thread.
pub(crate) fn on_switch(from: Value, to: Value) {
    let interp = super::CURRENT.with(|c| c.get());
    if interp.is_null() {
        return;
    }
    // SAFETY: `CURRENT` is the interpreter running on this thread (set for `Interp::run`), and
    // no reference into it is live across the scheduler's call of its hook.
    unsafe { (*interp).switch_stacks(from, to) };
}
