//! Cooperative tasks for the interpreter (LANGUAGE.md §3.15): a FIFO ready queue, `delay`
//! timers, `await` that suspends the running task, and cycle detection.
//!
//! A task's execution state is its own value stack and frame stack; suspending swaps them
//! out, resuming swaps them back in, so no native stack is involved. A suspended task's pc
//! stays on its `Await`, which runs again when the task resumes and then finds the awaited
//! task done. The runtime-wide scheduler shared by every tier arrives with the `[scheduler]`
//! issue; this one follows the same rules for bytecode.

use super::{Frame, Interp};
use solvra_rt::function::{self, Callee};
use solvra_rt::task::{self, TaskState};
use solvra_rt::{builtins, RtError, Tag, Value};
use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

pub(crate) struct Scheduler {
    ready: VecDeque<Value>,
    /// `delay` tasks: deadline, creation order, task.
    timers: Vec<(Instant, u64, Value)>,
    timer_seq: u64,
    /// Saved execution state of suspended tasks, by task address.
    saved: HashMap<u64, (Vec<Value>, Vec<Frame>)>,
    /// What each suspended task awaits, for cycle detection.
    waiting_on: HashMap<u64, Value>,
    /// The running task; `null` until the main task first needs a task object.
    current: Value,
    /// Tasks woken by a timer, and that timer's deadline.
    woken_at: HashMap<u64, Instant>,
    /// The time the running task resumed at, if a timer woke it: its `delay`s count from the
    /// timer's deadline rather than from the clock, so a late wake-up does not reorder timers
    /// (§3.15: without outside events a program has one possible output).
    base: Option<Instant>,
}

impl Default for Scheduler {
    fn default() -> Scheduler {
        Scheduler {
            ready: VecDeque::new(),
            timers: Vec::new(),
            timer_seq: 0,
            saved: HashMap::new(),
            waiting_on: HashMap::new(),
            current: Value::NULL,
            woken_at: HashMap::new(),
            base: None,
        }
    }
}

impl Scheduler {
    pub(crate) fn trace(&self, visit: &mut dyn FnMut(Value)) {
        self.ready.iter().for_each(|v| visit(*v));
        self.timers.iter().for_each(|(_, _, v)| visit(*v));
        for (stack, frames) in self.saved.values() {
            stack.iter().for_each(|v| visit(*v));
            frames.iter().for_each(|f| visit(f.closure));
        }
        self.waiting_on.values().for_each(|v| visit(*v));
        visit(self.current);
    }
}

impl Interp {
    /// The running task's value (the main task gets one when it first needs it).
    fn current_task(&mut self) -> Result<Value, RtError> {
        if self.sched.current.is_null() {
            self.sched.current = task::new_pending(Value::NULL, Vec::new())?;
            task::obj(self.sched.current).state = TaskState::Suspended;
        }
        Ok(self.sched.current)
    }

    /// `async CALL` (and calls of `async fn`): a pending task for the callee and arguments on
    /// the stack, appended to the ready queue.
    pub(crate) fn spawn_call(&mut self, argc: u16) -> Result<Value, RtError> {
        let at = self.stack.len() - argc as usize - 1;
        let callee = self.stack[at];
        if callee.tag == Tag::Function {
            if let Callee::User(id) = function::obj(callee).callee {
                let code = function::code(id) as u32;
                if self.prog.modules[self.prog.entry as usize]
                    .main
                    .map(|m| m.1)
                    == Some(code)
                {
                    self.main_started = true;
                }
            }
        }
        let args = self.stack[at + 1..].to_vec();
        let t = task::new_pending(callee, args)?;
        self.stack.truncate(at);
        self.sched.ready.push_back(t);
        Ok(t)
    }

    /// A direct call of an `async fn`: the same as `async f(args)`.
    pub(crate) fn spawn_from_stack(&mut self, argc: u16) -> Result<Value, RtError> {
        self.spawn_call(argc)
    }

    /// `delay(ms)`: a task that becomes done after `ms` milliseconds.
    pub(crate) fn delay(&mut self, args: &[Value]) -> Result<Value, RtError> {
        if args.len() != 1 {
            return Err(RtError::new(format!(
                "delay: expects 1 argument, got {}",
                args.len()
            )));
        }
        let ms = match args[0].tag {
            Tag::Int => args[0].as_int() as f64,
            Tag::Float => args[0].as_float(),
            _ => {
                return Err(RtError::new(format!(
                    "delay: expects a number, got {}",
                    args[0].type_name()
                )))
            }
        };
        if ms.is_nan() || ms < 0.0 {
            return Err(RtError::new("delay: ms must not be negative"));
        }
        let t = task::new_pending(Value::NULL, Vec::new())?;
        task::obj(t).state = TaskState::Suspended;
        let start = self.sched.base.unwrap_or_else(Instant::now);
        let deadline = start + Duration::from_secs_f64(ms.min(1e12) / 1000.0);
        self.sched.timer_seq += 1;
        self.sched.timers.push((deadline, self.sched.timer_seq, t));
        Ok(t)
    }

    /// `await` with the task on top of the stack. Returns `Ok(true)` if the current task was
    /// suspended (the frames are now another task's).
    pub(crate) fn await_task(&mut self, t: Value) -> Result<bool, RtError> {
        if t.tag != Tag::Task {
            return Err(RtError::new(format!(
                "await expects a task, got {}",
                t.type_name()
            )));
        }
        if let TaskState::Done(outcome) = &task::obj(t).state {
            let outcome = outcome.clone();
            self.stack.pop();
            self.stack.push(outcome?);
            return Ok(false);
        }
        let me = self.current_task()?;
        let mut cur = t;
        loop {
            if cur == me {
                return Err(RtError::new("await cycle detected"));
            }
            match self.sched.waiting_on.get(&cur.bits) {
                Some(&next) => cur = next,
                None => break,
            }
        }
        if self.nested > 0 {
            return Err(RtError::new(
                "await: cannot suspend inside a function called by a builtin (e.g. an event handler)",
            ));
        }
        task::obj(t).waiters.push(me);
        self.sched.waiting_on.insert(me.bits, t);
        let exec = (
            std::mem::take(&mut self.stack),
            std::mem::take(&mut self.frames),
        );
        self.sched.saved.insert(me.bits, exec);
        self.switch()?;
        Ok(true)
    }

    /// The current task's first frame returned or raised: record the outcome, wake its waiters
    /// and run the next task.
    pub(crate) fn finish_task(&mut self, outcome: Result<Value, RtError>) -> Result<(), RtError> {
        let me = self.sched.current;
        self.complete(me, outcome);
        self.stack.clear();
        self.frames.clear();
        self.switch()
    }

    fn complete(&mut self, t: Value, outcome: Result<Value, RtError>) {
        let obj = task::obj(t);
        obj.state = TaskState::Done(outcome);
        let waiters = std::mem::take(&mut obj.waiters);
        for w in waiters {
            self.sched.waiting_on.remove(&w.bits);
            self.sched.ready.push_back(w);
        }
    }

    /// Makes the next runnable task current: due timers first (C7), then the oldest ready task.
    fn switch(&mut self) -> Result<(), RtError> {
        loop {
            self.fire_timers(Instant::now());
            if let Some(t) = self.sched.ready.pop_front() {
                self.sched.current = t;
                self.sched.base = self.sched.woken_at.remove(&t.bits);
                if let Some((stack, frames)) = self.sched.saved.remove(&t.bits) {
                    self.stack = stack;
                    self.frames = frames;
                    return Ok(());
                }
                if self.start(t)? {
                    return Ok(());
                }
                continue;
            }
            let Some(next) = self.sched.timers.iter().map(|(d, _, _)| *d).min() else {
                return Err(RtError::new("await cycle detected"));
            };
            let now = Instant::now();
            if next > now {
                solvra_rt::stdout::flush();
                std::thread::sleep(next - now);
            }
        }
    }

    fn fire_timers(&mut self, now: Instant) {
        let mut due: Vec<(Instant, u64, Value)> = Vec::new();
        self.sched.timers.retain(|&(d, seq, t)| {
            if d <= now {
                due.push((d, seq, t));
                false
            } else {
                true
            }
        });
        due.sort_by_key(|&(d, seq, _)| (d, seq));
        for (deadline, _, t) in due {
            for w in &task::obj(t).waiters {
                self.sched.woken_at.insert(w.bits, deadline);
            }
            self.complete(t, Ok(Value::NULL));
        }
    }

    /// Starts a pending task on fresh stacks. Returns false if it finished at once (a builtin
    /// callee, or an arity error).
    fn start(&mut self, t: Value) -> Result<bool, RtError> {
        let (callee, args) = match std::mem::replace(&mut task::obj(t).state, TaskState::Suspended)
        {
            TaskState::Pending { callee, args } => (callee, args),
            other => {
                task::obj(t).state = other;
                return Ok(false);
            }
        };
        self.stack.clear();
        self.frames.clear();
        self.stack.push(callee);
        self.stack.extend_from_slice(&args);
        let argc = args.len() as u16;
        let started = match (callee.tag == Tag::Function).then(|| function::obj(callee)) {
            Some(f) => match f.callee {
                Callee::Builtin(id) => builtins::call(id, &args).map(Some),
                Callee::User(id) => {
                    let code = function::code(id) as u32;
                    self.start_user(code, callee, argc).map(|()| None)
                }
            },
            None => Err(RtError::new(format!(
                "value of type '{}' is not callable",
                callee.type_name()
            ))),
        };
        match started {
            Ok(None) => Ok(true),
            Ok(Some(v)) => {
                self.complete(t, Ok(v));
                Ok(false)
            }
            Err(e) => {
                self.complete(t, Err(e));
                Ok(false)
            }
        }
    }

    fn start_user(&mut self, code: u32, callee: Value, argc: u16) -> Result<(), RtError> {
        self.check_arity(code, argc)?;
        self.push_frame(code, callee, argc, false)?;
        self.frames.last_mut().expect("pushed").task_root = true;
        Ok(())
    }
}
