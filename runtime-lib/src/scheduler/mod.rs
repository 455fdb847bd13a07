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

mod context;
mod event_loop;
#[cfg(test)]
mod tests;

pub use event_loop::{Interest, IoOp, IoStep};

use crate::error::{RtError, RtResult};
use crate::heap::{self, AddrHasher, RootSource};
use crate::task::{self, TaskState};
use crate::value::{Tag, Value};
use crate::{aot, callback, stdout};
use context::Stack;
use event_loop::EventLoop;
use std::cell::Cell;
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::hash::BuildHasherDefault;
use std::os::unix::io::RawFd;
use std::time::{Duration, Instant};

/// Maps keyed by task addresses (SipHash would cost more than the rest of a switch).
type TaskMap<V> = HashMap<u64, V, BuildHasherDefault<AddrHasher>>;

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

/// A task that has run and is not running now.
struct Saved {
    /// Its context (stack pointer at the switch).
    sp: usize,
    /// Its frames `[sp, run stack top)`, when they are not on the run stack.
    image: Vec<u8>,
    in_image: bool,
    /// Compiled-code call depth at the switch.
    depth: u32,
}

struct Timer {
    deadline: Instant,
    seq: u64,
    task: Value,
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
    /// What each waiting task awaits, for cycle detection.
    waiting_on: TaskMap<Value>,
    main: Value,
    current: Value,
    /// The main task's context while another task runs, and its stack's base.
    main_sp: usize,
    main_base: usize,
    main_depth: u32,
    /// Where a finished task's last switch stores its context, never to be continued.
    finished_sp: usize,
    /// Tasks that have started and are not running, by task.
    saved: TaskMap<(Value, Box<Saved>)>,
    run_stack: Option<Stack>,
    /// The task whose frames are on the run stack.
    owner: Option<Value>,
    switcher: Option<Stack>,
    switcher_sp: usize,
    /// The task the switcher is to continue.
    request: Value,
    /// Tasks woken by a timer, and that timer's deadline.
    woken_at: TaskMap<Instant>,
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
        s.timers.iter().for_each(|t| visit(t.task));
        s.waiting_on.values().for_each(|v| visit(*v));
        s.io.trace(visit);
        s.saved.values().for_each(|(t, _)| visit(*t));
        visit(s.main);
        visit(s.current);
        visit(s.request);
        if let Some(o) = s.owner {
            visit(o);
        }
    }
}

/// This thread's scheduler, created on first use by the main task.
fn sched() -> RtResult<&'static mut Sched> {
    let p = SCHED.with(|s| s.get());
    if !p.is_null() {
        // SAFETY: thread-local; callers never keep the reference across a switch.
        return Ok(unsafe { &mut *p });
    }
    let fresh = Box::new(Sched {
        ready: VecDeque::new(),
        timers: BinaryHeap::new(),
        timer_seq: 0,
        waiting_on: TaskMap::default(),
        main: Value::NULL,
        current: Value::NULL,
        main_sp: 0,
        main_base: heap::stack_base(),
        main_depth: 0,
        finished_sp: 0,
        saved: TaskMap::default(),
        run_stack: None,
        owner: None,
        switcher: None,
        switcher_sp: 0,
        request: Value::NULL,
        woken_at: TaskMap::default(),
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
    let main = task::new_started()?;
    s.main = main;
    s.current = main;
    Ok(s)
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
    s.waiting_on.clear();
    s.saved.clear();
    s.owner = None;
    s.woken_at.clear();
    s.io = EventLoop::default();
    s.base = None;
    s.deadlock = None;
    s.live = 0;
    s.request = Value::NULL;
    s.main_base = heap::stack_base();
    s.main = Value::NULL;
    s.current = Value::NULL;
    if let Ok(main) = task::new_started() {
        s.main = main;
        s.current = main;
    }
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
        task: t,
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
        match s.waiting_on.get(&cur.bits) {
            Some(&next) => cur = next,
            None => break,
        }
    }
    task::obj(t).waiters.push(me);
    s.waiting_on.insert(me.bits, t);
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
    s.waiting_on.remove(&me.bits);
    task::obj(t).waiters.retain(|w| *w != me);
}

/// Marks `t` done and appends its waiters to the ready queue.
#[inline(never)]
fn complete(s: &mut Sched, t: Value, outcome: RtResult<Value>) {
    let obj = task::obj(t);
    obj.state = TaskState::Done(outcome);
    s.live = s.live.saturating_sub(1);
    for w in std::mem::take(&mut obj.waiters) {
        s.waiting_on.remove(&w.bits);
        s.ready.push_back(w);
    }
}

/// Completes every timer whose deadline has passed, earliest first (C7).
fn fire_timers(s: &mut Sched, now: Instant) {
    while s.timers.peek().map_or(false, |t| t.deadline <= now) {
        let timer = s.timers.pop().expect("peeked");
        for w in &task::obj(timer.task).waiters {
            s.woken_at.insert(w.bits, timer.deadline);
        }
        complete(s, timer.task, Ok(Value::NULL));
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
    s.current = t;
    s.base = s.woken_at.remove(&t.bits);
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
    let s = sched().expect("scheduler exists while tasks run");
    enter(s, to);
    let depth = aot::swap_call_depth(0);
    if from == s.main {
        s.main_depth = depth;
        s.main_sp = 0;
        let to_sp = make_resident(s, to);
        heap::set_stack_base_exact(run_top(s));
        return Switch {
            save: &mut s.main_sp,
            to: to_sp,
        };
    }
    let save: *mut usize = if finished {
        s.owner = None;
        s.saved.remove(&from.bits);
        &mut s.finished_sp
    } else {
        let entry = s.saved.entry(from.bits).or_insert_with(|| {
            (
                from,
                Box::new(Saved {
                    sp: 0,
                    image: Vec::new(),
                    in_image: false,
                    depth: 0,
                }),
            )
        });
        entry.1.in_image = false;
        entry.1.depth = depth;
        &mut entry.1.sp
    };
    if to == s.main {
        heap::set_stack_base_exact(s.main_base);
        return Switch {
            save,
            to: s.main_sp,
        };
    }
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
    if s.current == s.main {
        heap::set_stack_base_exact(s.main_base);
        aot::swap_call_depth(s.main_depth);
    } else {
        heap::set_stack_base_exact(run_top(s));
        let depth = s
            .saved
            .get(&s.current.bits)
            .map_or(0, |(_, saved)| saved.depth);
        aot::swap_call_depth(depth);
    }
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
        if let Some((_, saved)) = s.saved.get(&t.bits) {
            return saved.sp;
        }
    }
    if let Some(owner) = s.owner.take() {
        if let Some((_, saved)) = s.saved.get_mut(&owner.bits) {
            if !saved.in_image {
                let len = top - saved.sp;
                saved.image.clear();
                // SAFETY: `[sp, top)` holds the owner's frames, which nothing runs on now.
                saved.image.extend_from_slice(unsafe {
                    std::slice::from_raw_parts(saved.sp as *const u8, len)
                });
                saved.in_image = true;
            }
        }
    }
    s.owner = Some(t);
    match s.saved.get_mut(&t.bits) {
        Some((_, saved)) => {
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
            saved.sp
        }
        // SAFETY: the run stack is free: its previous owner's frames were just saved.
        None => unsafe { context::prepare(top, task_main, 0) },
    }
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
    if s.current != s.main && s.main_sp != 0 && s.main_sp < s.main_base {
        scan_range(s.main_sp, s.main_base);
    }
    for (t, saved) in s.saved.values() {
        if saved.in_image {
            let start = saved.image.as_ptr() as usize;
            scan_range(start, start + saved.image.len());
        } else if *t != s.current {
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
    s.saved
        .values()
        .map(|(_, saved)| saved.image.capacity())
        .sum()
}
