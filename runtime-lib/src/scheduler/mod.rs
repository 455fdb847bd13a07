//! The task scheduler shared by every tier (LANGUAGE.md §3.15): the FIFO ready queue, waiter
//! lists, `delay` timers, `await` with cycle detection, and the native contexts tasks run in.
//!
//! Every task runs on a native stack, so `await` can suspend from anywhere — compiled code,
//! the interpreter's run loop, a callback inside a builtin — and a task suspended in one tier is
//! resumed by whichever tier's code picks it next. The main task runs on the thread's own
//! stack. All other tasks take turns on one shared *run stack*: the task that last ran there
//! leaves its frames in place, and only when another task needs the run stack are they copied
//! out into a buffer the size of the frames actually in use (and copied back, at the same
//! address, when that task continues). A sleeping task therefore costs its task object and a
//! few hundred bytes of saved frames instead of a whole stack, and switching between the main
//! task and one other task copies nothing. docs/SCHEDULER.md has the design and the figures.
//!
//! Copying frames out and in cannot happen on the run stack itself, so a switch from one run
//! stack task to another passes through a small third context, the *switcher*, on its own stack.
//!
//! The collector sees everything: the running context's stack through the ordinary stack
//! scan, and through `scan_inactive_stacks` the main task's stack while another task runs, the
//! frames left on the run stack, and every saved buffer, all conservatively.
//!
//! Scheduler state is per thread, like the heap. No `&mut` to it is held across a switch.

pub(crate) mod context;
mod event_loop;
#[cfg(test)]
mod tests;

pub use event_loop::{Interest, IoOp, IoStep};

use crate::error::{RtError, RtResult};
use crate::heap::{self, RootSource};
use crate::task::{self, TaskRef, TaskState};
use crate::value::{Tag, Value};
use crate::{aot, callback, stdout};
use context::Stack;
use event_loop::EventLoop;
use std::cell::Cell;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};
use std::os::unix::io::RawFd;
use std::time::{Duration, Instant};

/// Address space reserved for the run stack (committed only as touched): room for deep
/// recursion inside a task, as on the main thread.
const RUN_STACK: usize = if cfg!(target_pointer_width = "32") {
    128 << 20
} else {
    1 << 30
};

/// The switcher only copies frames.
const SWITCHER_STACK: usize = 64 << 10;

/// Default for `SOLVRA_MAX_TASKS`: tasks that exist and are not done.
const DEFAULT_MAX_TASKS: usize = 1_000_000;

/// The record of a task that runs on a native context, from its start until it finishes; it
/// lives in `Sched::slots` at the index its task object holds (`TaskObj::slot`), so a switch
/// finds it without a map lookup. Slot 0 is the main task's.
///
/// 100 000 sleeping tasks keep 100 000 slots, so the fields are kept small.
struct Slot {
    /// The task, or none while the slot is free.
    task: TaskRef,
    /// Its context (stack pointer at the last switch away from it).
    sp: usize,
    /// Its frames `[sp, run stack top)`, when they are not on the run stack (`in_image`).
    /// The buffer stays when the frames go back, and is reused when they are saved again with
    /// the same length, so two tasks taking turns do not allocate.
    image: Box<[u8]>,
    in_image: bool,
    /// Compiled-code call depth at the switch.
    depth: u32,
    /// The task it waits for in `await`, for cycle detection.
    awaiting: TaskRef,
    /// The deadline of the timer that woke it, until it runs (see `Sched::base`).
    woken_at: Option<Instant>,
}

impl Slot {
    fn new(task: TaskRef) -> Slot {
        Slot {
            task,
            sp: 0,
            image: Box::default(),
            in_image: false,
            depth: 0,
            awaiting: TaskRef::NONE,
            woken_at: None,
        }
    }
}

/// Index of the main task's slot.
const MAIN: usize = 0;

struct Timer {
    deadline: Instant,
    seq: u64,
    task: TaskRef,
}

impl PartialEq for Timer {
    fn eq(&self, other: &Timer) -> bool {
        (self.deadline, self.seq) == (other.deadline, other.seq)
    }
}
impl Eq for Timer {}
impl PartialOrd for Timer {
    fn partial_cmp(&self, other: &Timer) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Timer {
    /// Reversed, so `BinaryHeap` pops the earliest deadline (then the earliest `delay` call).
    fn cmp(&self, other: &Timer) -> Ordering {
        (other.deadline, other.seq).cmp(&(self.deadline, self.seq))
    }
}

struct Sched {
    ready: VecDeque<Value>,
    timers: BinaryHeap<Timer>,
    timer_seq: u64,
    main: Value,
    current: Value,
    /// The base of the main task's stack (the thread's).
    main_base: usize,
    /// Where a finished task's last switch stores its context, never to be continued.
    finished_sp: usize,
    /// Every task on a native context (`Slot`), and the free slots.
    slots: Vec<Slot>,
    free_slots: Vec<u32>,
    run_stack: Option<Stack>,
    /// The task whose frames are on the run stack.
    owner: Option<Value>,
    switcher: Option<Stack>,
    switcher_sp: usize,
    /// The task the switcher is to continue.
    request: Value,
    /// Tasks waiting for file descriptors.
    io: EventLoop,
    /// The deadline the running task was woken for: its `delay`s count from it rather than
    /// from the clock, so a late wake-up does not reorder timers (one output per program).
    base: Option<Instant>,
    /// Error for the main task when nothing else can ever run.
    deadlock: Option<RtError>,
    live: usize,
    max_tasks: usize,
}

thread_local! {
    static SCHED: Cell<*mut Sched> = const { Cell::new(std::ptr::null_mut()) };
    static SWITCH_HOOK: Cell<Option<SwitchHook>> = const { Cell::new(None) };
}

/// Told of every switch, before it happens, with the task that stops and the task that
/// continues (which may not have started yet, or stop for good).
pub type SwitchHook = fn(from: Value, to: Value);

/// Installs the hook of a tier that keeps per-task state outside the native stack: the
/// interpreter's value and frame stacks belong to the running task, and a switch from
/// anywhere — its own `await`, compiled code, a builtin — must set them aside and put back
/// those of the task that continues.
pub fn set_switch_hook(hook: Option<SwitchHook>) {
    SWITCH_HOOK.with(|h| h.set(hook));
}

struct Roots;

impl RootSource for Roots {
    fn trace_roots(&self, visit: &mut dyn FnMut(Value)) {
        let p = SCHED.with(|s| s.get());
        if p.is_null() {
            return;
        }
        // SAFETY: the collector runs on this thread between scheduler steps.
        let s = unsafe { &*p };
        s.ready.iter().for_each(|v| visit(*v));
        s.timers.iter().for_each(|t| visit(t.task.value()));
        s.io.trace(visit);
        for slot in &s.slots {
            visit(slot.task.value());
            visit(slot.awaiting.value());
        }
        visit(s.main);
        visit(s.current);
        visit(s.request);
        if let Some(o) = s.owner {
            visit(o);
        }
    }
}

/// This thread's scheduler, created on first use by the main task. Every switch asks for it
/// several times, so this part is inlined and the creation is not (its frame would otherwise
/// be set up on every call).
#[inline]
fn sched() -> RtResult<&'static mut Sched> {
    let p = SCHED.with(|s| s.get());
    if !p.is_null() {
        // SAFETY: thread-local; callers never keep the reference across a switch.
        return Ok(unsafe { &mut *p });
    }
    create_sched()
}

#[cold]
#[inline(never)]
fn create_sched() -> RtResult<&'static mut Sched> {
    let fresh = Box::new(Sched {
        ready: VecDeque::new(),
        timers: BinaryHeap::new(),
        timer_seq: 0,
        main: Value::NULL,
        current: Value::NULL,
        main_base: heap::stack_base(),
        finished_sp: 0,
        slots: Vec::new(),
        free_slots: Vec::new(),
        run_stack: None,
        owner: None,
        switcher: None,
        switcher_sp: 0,
        request: Value::NULL,
        io: EventLoop::default(),
        base: None,
        deadlock: None,
        live: 0,
        max_tasks: std::env::var("SOLVRA_MAX_TASKS")
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or(DEFAULT_MAX_TASKS),
    });
    let p = Box::into_raw(fresh);
    SCHED.with(|s| s.set(p));
    heap::leak_root(Roots);
    // SAFETY: just created.
    let s = unsafe { &mut *p };
    start_main(s)?;
    Ok(s)
}

/// A fresh main task in slot 0 of empty slots.
fn start_main(s: &mut Sched) -> RtResult<()> {
    let main = task::new_started()?;
    task::obj(main).slot = MAIN as u32;
    s.slots.push(Slot::new(TaskRef::new(main)));
    s.main = main;
    s.current = main;
    Ok(())
}

/// Forgets every task (for running another program on this thread). Only the main task may
/// call it, with no other task running.
pub fn reset() {
    let p = SCHED.with(|s| s.get());
    if p.is_null() {
        return;
    }
    // SAFETY: see `sched`; the main task is running, so no other context uses the state.
    let s = unsafe { &mut *p };
    debug_assert!(s.current == s.main);
    s.ready.clear();
    s.timers.clear();
    for slot in s.slots.drain(..) {
        if !slot.task.is_none() {
            task::obj(slot.task.value()).slot = task::NO_SLOT;
        }
    }
    s.free_slots.clear();
    s.owner = None;
    s.io = EventLoop::default();
    s.base = None;
    s.deadlock = None;
    s.live = 0;
    s.request = Value::NULL;
    s.main_base = heap::stack_base();
    s.main = Value::NULL;
    s.current = Value::NULL;
    // Out of memory here leaves no main task; the next `sched()` user fails the same way.
    let _ = start_main(s);
}

/// The running task (the main task if no other task has run).
pub fn current() -> RtResult<Value> {
    Ok(sched()?.current)
}

fn count_new_task(s: &mut Sched) -> RtResult<()> {
    if s.live >= s.max_tasks {
        return Err(RtError::new(format!(
            "too many tasks: the limit is {} (SOLVRA_MAX_TASKS)",
            s.max_tasks
        )));
    }
    s.live += 1;
    Ok(())
}

/// `async CALL`: a pending task for `callee(args)`, appended to the ready queue (§3.15).
pub fn spawn(callee: Value, args: Vec<Value>) -> RtResult<Value> {
    let s = sched()?;
    count_new_task(s)?;
    let t = task::new_pending(callee, args)?;
    s.ready.push_back(t);
    Ok(t)
}

/// Lets the tasks that are ready run first: the running task goes to the back of the ready
/// queue and continues when its turn comes (after due timers and I/O, as at every pick).
pub fn yield_now() -> RtResult<()> {
    let s = sched()?;
    let me = s.current;
    s.ready.push_back(me);
    let next = pick_next(s).expect("the running task is ready");
    if next == me {
        enter(s, me);
    } else {
        transfer(me, next, false);
    }
    Ok(())
}

/// `delay(ms)`: a task that a timer completes `ms` milliseconds from now (or from the deadline
/// the running task was woken for).
pub fn delay(ms: f64) -> RtResult<Value> {
    let s = sched()?;
    count_new_task(s)?;
    let t = task::new_started()?;
    let start = s.base.unwrap_or_else(Instant::now);
    let deadline = start + Duration::from_secs_f64(ms.min(1e12) / 1000.0);
    s.timer_seq += 1;
    s.timers.push(Timer {
        deadline,
        seq: s.timer_seq,
        task: TaskRef::new(t),
    });
    Ok(t)
}

/// An I/O task (§3.15): done when `op`, run each time `fd` is ready for `interest`, finishes.
/// `op` must not hold values (see `event_loop`).
pub fn io_task(fd: RawFd, interest: Interest, op: IoOp) -> RtResult<Value> {
    let s = sched()?;
    count_new_task(s)?;
    let t = task::new_started()?;
    if let Err(e) = s.io.add(fd, interest, t, op) {
        s.live -= 1;
        return Err(e);
    }
    Ok(t)
}

/// Before closing `fd`: the tasks waiting on it fail with `error` (e.g. `recv: socket closed`).
pub fn io_close(fd: RawFd, error: &str) {
    let s = match sched() {
        Ok(s) => s,
        Err(_) => return,
    };
    for t in s.io.remove_fd(fd) {
        complete(s, t, Err(RtError::new(error)));
    }
}

/// `await t` (§3.15): the task's outcome, suspending the running task until it is done.
///
/// The work before and after the switch is in separate functions, so a suspended task's saved
/// frames hold little more than this function's own.
pub fn await_task(t: Value) -> RtResult<Value> {
    if t.tag != Tag::Task {
        return Err(RtError::new(format!(
            "await expects a task, got {}",
            t.type_name()
        )));
    }
    if let TaskState::Done(outcome) = &task::obj(t).state {
        return outcome.clone();
    }
    if let Some(sw) = plan_await(t)? {
        // SAFETY: `plan_await` prepared both contexts.
        unsafe { context::switch(sw.save, sw.to) };
        resumed();
    }
    await_outcome(t)
}

/// Where a switch saves the running context, and the context it continues.
struct Switch {
    save: *mut usize,
    to: usize,
}

/// Registers the running task as a waiter of `t` (after the cycle check) and picks the next
/// task; `None` if that is the running task itself (`t` completed meanwhile, e.g. a timer).
#[inline(never)]
fn plan_await(t: Value) -> RtResult<Option<Switch>> {
    let s = sched()?;
    let me = s.current;
    let mut cur = t;
    loop {
        if cur == me {
            return Err(RtError::new("await cycle detected"));
        }
        match slot(s, cur) {
            Some(waiting) if !waiting.awaiting.is_none() => cur = waiting.awaiting.value(),
            _ => break,
        }
    }
    task::obj(t).waiters.push(me);
    running_slot(s, me).awaiting = TaskRef::new(t);
    let next = match pick_next(s) {
        Some(next) => next,
        None if me == s.main => {
            stop_waiting(s, me, t);
            return Err(RtError::new("await cycle detected"));
        }
        None => {
            // The main task waits for something that can never happen: it gets the error.
            s.deadlock = Some(RtError::new("await cycle detected"));
            s.main
        }
    };
    if next == me {
        enter(s, me);
        return Ok(None);
    }
    Ok(Some(prepare_switch(me, next, false)))
}

/// The awaited task's outcome once the running task continues.
#[inline(never)]
fn await_outcome(t: Value) -> RtResult<Value> {
    let s = sched()?;
    if s.current == s.main {
        if let Some(e) = s.deadlock.take() {
            // Nothing can ever complete `t`: stop waiting for it.
            let me = s.current;
            stop_waiting(s, me, t);
            return Err(e);
        }
    }
    match &task::obj(t).state {
        TaskState::Done(outcome) => outcome.clone(),
        _ => Err(RtError::new(
            "internal error: resumed before the awaited task finished",
        )),
    }
}

fn stop_waiting(s: &mut Sched, me: Value, t: Value) {
    running_slot(s, me).awaiting = TaskRef::NONE;
    task::obj(t).waiters.remove(me);
}

/// The slot of `t`, if it runs on a native context.
fn slot(s: &mut Sched, t: Value) -> Option<&mut Slot> {
    match task::obj(t).slot {
        task::NO_SLOT => None,
        i => Some(&mut s.slots[i as usize]),
    }
}

/// The slot of a task that has started (the running task, a waiter).
fn running_slot(s: &mut Sched, t: Value) -> &mut Slot {
    &mut s.slots[task::obj(t).slot as usize]
}

/// Marks `t` done and appends its waiters to the ready queue.
#[inline(never)]
fn complete(s: &mut Sched, t: Value, outcome: RtResult<Value>) {
    let obj = task::obj(t);
    obj.state = TaskState::Done(outcome);
    s.live = s.live.saturating_sub(1);
    for &w in std::mem::take(&mut obj.waiters).as_slice() {
        running_slot(s, w).awaiting = TaskRef::NONE;
        s.ready.push_back(w);
    }
}

/// Completes every timer whose deadline has passed, earliest first (C7).
fn fire_timers(s: &mut Sched, now: Instant) {
    while s.timers.peek().map_or(false, |t| t.deadline <= now) {
        let timer = s.timers.pop().expect("peeked");
        let t = timer.task.value();
        for &w in task::obj(t).waiters.as_slice() {
            running_slot(s, w).woken_at = Some(timer.deadline);
        }
        complete(s, t, Ok(Value::NULL));
    }
}

/// The next task to run: due timers first, then I/O tasks whose descriptors are ready (C7),
/// then the oldest ready task. When nothing is ready it waits, without spinning, for the
/// earliest timer or I/O event. `None` when nothing can ever become ready.
#[inline(never)]
fn pick_next(s: &mut Sched) -> Option<Value> {
    loop {
        if !s.timers.is_empty() {
            fire_timers(s, Instant::now());
        }
        if !s.io.is_idle() {
            poll_io(s, 0);
        }
        if let Some(t) = s.ready.pop_front() {
            return Some(t);
        }
        let wait = match s.timers.peek() {
            Some(timer) => Some(timer.deadline.saturating_duration_since(Instant::now())),
            None if s.io.is_idle() => return None,
            None => None,
        };
        stdout::flush();
        if s.io.is_idle() {
            std::thread::sleep(wait.unwrap_or_default());
        } else {
            // Round up: waking before the deadline would only poll again.
            let ms = wait.map_or(-1, |w| {
                ((w.as_nanos() + 999_999) / 1_000_000).min(i32::MAX as u128) as i32
            });
            poll_io(s, ms);
        }
    }
}

fn poll_io(s: &mut Sched, timeout_ms: i32) {
    for (t, outcome) in s.io.poll(timeout_ms) {
        complete(s, t, outcome);
    }
}

/// Bookkeeping when `t` becomes the running task.
fn enter(s: &mut Sched, t: Value) {
    if crate::debug::tracing::enabled() {
        // A task that is starting has no slot yet: its object's address names it.
        crate::debug::tracing::task_switch(if t == s.main { 0 } else { t.bits });
    }
    s.current = t;
    s.base = slot(s, t).and_then(|slot| slot.woken_at.take());
}

/// Switches from the running task `from` to `to`; returns when `from` runs again (never if it
/// is `finished`).
fn transfer(from: Value, to: Value, finished: bool) {
    let sw = prepare_switch(from, to, finished);
    // SAFETY: `prepare_switch` prepared both contexts.
    unsafe { context::switch(sw.save, sw.to) };
    resumed();
}

/// Everything before a switch from `from` to `to`: the bookkeeping, the call depth, and, from
/// the main task, making `to`'s frames resident (from a run-stack task the switcher does that).
#[inline(never)]
fn prepare_switch(from: Value, to: Value, finished: bool) -> Switch {
    if let Some(hook) = SWITCH_HOOK.with(|h| h.get()) {
        hook(from, to);
    }
    let s = sched().expect("scheduler exists while tasks run");
    enter(s, to);
    let depth = aot::swap_call_depth(0);
    if from == s.main {
        // `make_resident` may add a slot, so the main slot is looked up after it.
        let to_sp = make_resident(s, to);
        heap::set_stack_base_exact(run_top(s));
        let main = &mut s.slots[MAIN];
        main.depth = depth;
        main.sp = 0;
        return Switch {
            save: &mut main.sp,
            to: to_sp,
        };
    }
    let save: *mut usize = if finished {
        s.owner = None;
        free_slot(s, from);
        &mut s.finished_sp
    } else {
        let saved = running_slot(s, from);
        saved.in_image = false;
        saved.depth = depth;
        &mut saved.sp
    };
    if to == s.main {
        heap::set_stack_base_exact(s.main_base);
        return Switch {
            save,
            to: s.slots[MAIN].sp,
        };
    }
    // The switcher may add `to`'s slot, moving the slots; `save` is written before that, by
    // the switch into the switcher.
    s.request = to;
    Switch {
        save,
        to: switcher(s),
    }
}

/// After a switch, in the task that continues: its stack base and call depth.
#[inline(never)]
fn resumed() {
    let s = sched().expect("scheduler");
    let base = if s.current == s.main {
        s.main_base
    } else {
        run_top(s)
    };
    heap::set_stack_base_exact(base);
    let me = s.current;
    aot::swap_call_depth(running_slot(s, me).depth);
}

fn run_top(s: &Sched) -> usize {
    s.run_stack.as_ref().map_or(0, |st| st.top())
}

/// The switcher's saved context, creating the switcher on first use.
fn switcher(s: &mut Sched) -> usize {
    if s.switcher.is_none() {
        let stack = Stack::new(SWITCHER_STACK).expect("cannot map the scheduler's stack");
        // SAFETY: a fresh stack nothing else uses.
        s.switcher_sp = unsafe { context::prepare(stack.top(), switcher_main, 0) };
        s.switcher = Some(stack);
    }
    s.switcher_sp
}

/// The switcher's loop: make the requested task's frames resident, continue it, repeat.
extern "C" fn switcher_main(_: usize) -> ! {
    loop {
        let s = sched().expect("scheduler");
        let to = std::mem::replace(&mut s.request, Value::NULL);
        let to_sp = make_resident(s, to);
        heap::set_stack_base_exact(run_top(s));
        // SAFETY: `to_sp` is resident on the run stack.
        unsafe { context::switch(&mut s.switcher_sp, to_sp) };
    }
}

/// Puts `t`'s frames on the run stack (saving the frames of the task that was there) and
/// returns its context. Runs on the main stack or the switcher's, never on the run stack.
#[inline(never)]
fn make_resident(s: &mut Sched, t: Value) -> usize {
    if s.run_stack.is_none() {
        s.run_stack = Some(Stack::new(RUN_STACK).expect("cannot map the task stack"));
    }
    let top = run_top(s);
    if s.owner == Some(t) {
        return running_slot(s, t).sp;
    }
    if let Some(owner) = s.owner.take() {
        let saved = running_slot(s, owner);
        if !saved.in_image {
            // SAFETY: `[sp, top)` holds the owner's frames, which nothing runs on now.
            let frames =
                unsafe { std::slice::from_raw_parts(saved.sp as *const u8, top - saved.sp) };
            if saved.image.len() == frames.len() {
                saved.image.copy_from_slice(frames);
            } else {
                saved.image = frames.into();
            }
            saved.in_image = true;
        }
    }
    s.owner = Some(t);
    if let Some(saved) = slot(s, t) {
        debug_assert!(saved.in_image);
        // SAFETY: copying the task's frames back to the addresses they were taken from.
        unsafe {
            std::ptr::copy_nonoverlapping(
                saved.image.as_ptr(),
                saved.sp as *mut u8,
                saved.image.len(),
            )
        };
        saved.in_image = false;
        return saved.sp;
    }
    // SAFETY: the run stack is free: its previous owner's frames were just saved.
    let sp = unsafe { context::prepare(top, task_main, 0) };
    new_slot(s, t).sp = sp;
    sp
}

/// Gives `t`, which starts on a native context now, a slot.
fn new_slot(s: &mut Sched, t: Value) -> &mut Slot {
    let i = match s.free_slots.pop() {
        Some(i) => {
            s.slots[i as usize].task = TaskRef::new(t);
            i as usize
        }
        None => {
            s.slots.push(Slot::new(TaskRef::new(t)));
            s.slots.len() - 1
        }
    };
    task::obj(t).slot = i as u32;
    &mut s.slots[i]
}

/// Frees the slot of `t`, which finished.
fn free_slot(s: &mut Sched, t: Value) {
    let i = std::mem::replace(&mut task::obj(t).slot, task::NO_SLOT);
    s.slots[i as usize] = Slot::new(TaskRef::NONE);
    s.free_slots.push(i);
}

/// The first frame of every task other than the main task: runs the task's call and finishes
/// the task with its outcome.
extern "C" fn task_main(_: usize) -> ! {
    let s = sched().expect("scheduler");
    heap::set_stack_base_exact(run_top(s));
    let t = s.current;
    let (callee, args) = task::start(t);
    let body = std::panic::AssertUnwindSafe(|| callback::call_task_body(callee, args));
    let outcome = match std::panic::catch_unwind(body) {
        Ok(outcome) => outcome,
        Err(_) => Err(RtError::new("internal error: panic in a task")),
    };
    finish(t, outcome)
}

/// Ends the running task `t` with its outcome and continues the next task. Kept out of
/// `task_main` so the frames a suspended task leaves on the run stack stay small.
#[inline(never)]
fn finish(t: Value, outcome: RtResult<Value>) -> ! {
    let s = sched().expect("scheduler");
    complete(s, t, outcome);
    let next = match pick_next(s) {
        Some(next) => next,
        None => {
            s.deadlock = Some(RtError::new("await cycle detected"));
            s.main
        }
    };
    transfer(t, next, true);
    unreachable!("a finished task was resumed");
}

/// Conservative scan of the stacks of tasks that are not running (for the collector): the main
/// task's stack while another task runs, frames left on the run stack by a task that is not
/// running, and saved frames.
pub(crate) fn scan_inactive_stacks(found: &mut dyn FnMut(usize)) {
    let p = SCHED.with(|s| s.get());
    if p.is_null() {
        return;
    }
    // SAFETY: the collector runs between scheduler steps on this thread.
    let s = unsafe { &*p };
    let word = std::mem::size_of::<usize>();
    let mut scan_range = |from: usize, to: usize| {
        heap::mark_defined(from, to - from);
        let mut a = from;
        while a + word <= to {
            // SAFETY: the range is mapped stack memory of a suspended context.
            found(unsafe { std::ptr::read_volatile(a as *const usize) });
            a += word;
        }
    };
    let main_sp = s.slots.get(MAIN).map_or(0, |main| main.sp);
    if s.current != s.main && main_sp != 0 && main_sp < s.main_base {
        scan_range(main_sp, s.main_base);
    }
    for saved in s.slots.iter().skip(MAIN + 1) {
        if saved.task.is_none() {
            continue;
        }
        if saved.in_image {
            let start = saved.image.as_ptr() as usize;
            scan_range(start, start + saved.image.len());
        } else if saved.task.value() != s.current {
            scan_range(saved.sp, run_top(s));
        }
    }
}

/// Figures for tests and benchmarks: bytes of saved frames over all suspended tasks.
pub fn saved_frame_bytes() -> usize {
    let p = SCHED.with(|s| s.get());
    if p.is_null() {
        return 0;
    }
    // SAFETY: read-only look at this thread's state.
    let s = unsafe { &*p };
    s.slots.iter().map(|saved| saved.image.len()).sum()
}
