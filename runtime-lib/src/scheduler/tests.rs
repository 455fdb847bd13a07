//! Scheduler tests at the runtime level: task bodies are Rust functions behind the call hook,
//! so they can suspend anywhere, as compiled code and the interpreter do.

use super::*;
use crate::builtins::{self, table};
use crate::callback::{self, CallMode};
use crate::function;
use crate::testutil::*;
use crate::{display, heap, stdout, string};

/// Task bodies by `code`: 0 prints its argument; 1 awaits its argument (a task) and returns
/// its result plus one; 2 keeps a fresh string in a local across `await delay(1)` and returns
/// it; 3 awaits `delay(arg)` and prints the argument.
fn hook(f: Value, args: &[Value], _mode: CallMode) -> RtResult<Value> {
    let code = function::code(match function::obj(f).callee {
        function::Callee::User(id) => id,
        function::Callee::Builtin(_) => unreachable!(),
    });
    match code {
        0 => {
            stdout::write_str(&format!("{};", display::display(args[0])));
            Ok(Value::NULL)
        }
        1 => {
            let v = await_task(args[0])?;
            Ok(Value::int(v.as_int() + 1))
        }
        2 => {
            let text = string::new(&format!("kept {}", args[0].as_int()))?;
            await_task(delay(1.0)?)?;
            Ok(text)
        }
        3 => {
            await_task(delay(args[0].as_int() as f64)?)?;
            stdout::write_str(&format!("{};", args[0].as_int()));
            Ok(args[0])
        }
        _ => unreachable!(),
    }
}

fn setup() {
    callback::set_call_hook(hook);
    reset();
}

#[test]
fn tasks_start_in_fifo_order_when_main_awaits() {
    rooted(|| {
        setup();
        stdout::start_capture();
        let print = user_fn("body0", 0);
        let a = spawn(print, vec![int(1)]).unwrap();
        let _b = spawn(print, vec![int(2)]).unwrap();
        let c = spawn(print, vec![int(3)]).unwrap();
        stdout::write_str("spawned;");
        assert_eq!(r(await_task(c)), "null");
        // Done tasks give their outcome again without suspending.
        assert_eq!(r(await_task(a)), "null");
        assert_eq!(stdout::take_capture(), "spawned;1;2;3;");
    })
}

#[test]
fn builtin_callees_and_errors_are_outcomes() {
    rooted(|| {
        setup();
        let len = builtins::value_of(table::lookup("len").unwrap()).unwrap();
        let t = spawn(len, vec![s("héllo")]).unwrap();
        assert_eq!(r(await_task(t)), "5");
        let bad = spawn(len, vec![int(1)]).unwrap();
        let first = err(await_task(bad));
        assert!(first.starts_with("len: "), "{first}");
        assert_eq!(err(await_task(bad)), first, "the same error again");
        let not_fn = spawn(int(3), vec![]).unwrap();
        assert_eq!(
            err(await_task(not_fn)),
            "value of type 'int' is not callable"
        );
        assert_eq!(err(await_task(int(3))), "await expects a task, got int");
    })
}

#[test]
fn tasks_suspend_inside_their_bodies_and_chain() {
    rooted(|| {
        setup();
        let waiter = user_fn("body1", 1);
        let timer = delay(2.0).unwrap();
        let t1 = spawn(waiter, vec![timer]).unwrap();
        let t2 = spawn(waiter, vec![t1]).unwrap();
        let t3 = spawn(waiter, vec![t2]).unwrap();
        // The timer gives null, which is not an int: t1 fails, and the chain with it.
        let e = err(await_task(t3));
        assert!(e.contains("null") || e.contains("int"), "{e}");
        let done = spawn(
            builtins::value_of(table::lookup("len").unwrap()).unwrap(),
            vec![s("abc")],
        )
        .unwrap();
        let t4 = spawn(waiter, vec![done]).unwrap();
        let t5 = spawn(waiter, vec![t4]).unwrap();
        assert_eq!(r(await_task(t5)), "5");
    })
}

#[test]
fn timers_fire_in_deadline_order_then_call_order() {
    rooted(|| {
        setup();
        stdout::start_capture();
        let sleeper = user_fn("body3", 3);
        let tasks: Vec<Value> = [30, 10, 20, 10, 0]
            .iter()
            .map(|&ms| spawn(sleeper, vec![int(ms)]).unwrap())
            .collect();
        for t in &tasks {
            await_task(*t).unwrap();
        }
        assert_eq!(stdout::take_capture(), "0;10;10;20;30;");
    })
}

#[test]
fn values_on_suspended_task_stacks_survive_collection() {
    rooted(|| {
        setup();
        let keeper = user_fn("body2", 2);
        let tasks: Vec<Value> = (0..50)
            .map(|i| spawn(keeper, vec![int(i)]).unwrap())
            .collect();
        // Let every task start and suspend, then collect while they sleep.
        await_task(delay(0.0).unwrap()).unwrap();
        for _ in 0..3 {
            heap::collect();
        }
        for (i, t) in tasks.iter().enumerate() {
            assert_eq!(r(await_task(*t)), format!("kept {i}"));
        }
    })
}

#[test]
fn awaiting_the_current_task_or_a_waiter_is_a_cycle() {
    rooted(|| {
        setup();
        let me = current().unwrap();
        assert_eq!(err(await_task(me)), "await cycle detected");
        // A task that waits for the main task, which then waits for it.
        let waiter = user_fn("body1", 1);
        let t = spawn(waiter, vec![me]).unwrap();
        await_task(delay(0.0).unwrap()).unwrap(); // t starts and waits for main
        assert_eq!(err(await_task(t)), "await cycle detected");
    })
}

#[test]
fn the_task_limit_is_a_runtime_error() {
    rooted(|| {
        setup();
        let print = user_fn("body0", 0);
        let limit = {
            let s = sched().unwrap();
            let old = s.max_tasks;
            s.max_tasks = s.live + 2;
            old
        };
        spawn(print, vec![int(1)]).unwrap();
        delay(1.0).unwrap();
        let e = err(spawn(print, vec![int(2)]));
        assert!(e.starts_with("too many tasks: the limit is"), "{e}");
        sched().unwrap().max_tasks = limit;
    })
}

#[test]
fn sleeping_tasks_cost_little_memory() {
    rooted(|| {
        setup();
        let keeper = user_fn("body2", 2);
        let n = 2_000;
        let tasks: Vec<Value> = (0..n)
            .map(|i| spawn(keeper, vec![int(i)]).unwrap())
            .collect();
        await_task(delay(0.0).unwrap()).unwrap();
        let per_task = saved_frame_bytes() / n as usize;
        // Unoptimised test builds have big frames; optimised ones save a few hundred bytes.
        assert!(per_task < 16 << 10, "{per_task} bytes of frames per task");
        for t in &tasks {
            await_task(*t).unwrap();
        }
    })
}

/// An I/O task reading what is in the pipe (at least one byte) as a string.
fn read_task(fd: RawFd) -> Value {
    io_task(
        fd,
        Interest::Read,
        Box::new(move || {
            let mut buf = [0u8; 64];
            // SAFETY: reading into a local buffer.
            let n = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
            if n < 0 {
                return IoStep::Again;
            }
            IoStep::Done(string::new(&String::from_utf8_lossy(&buf[..n as usize])))
        }),
    )
    .unwrap()
}

fn write_all(fd: RawFd, text: &str) {
    // SAFETY: writing from a string's bytes.
    let n = unsafe { libc::write(fd, text.as_ptr().cast(), text.len()) };
    assert_eq!(n, text.len() as isize);
}

#[test]
fn io_tasks_complete_when_their_descriptor_is_ready() {
    rooted(|| {
        setup();
        let (r, w) = pipe(libc::O_NONBLOCK);
        let t = read_task(r);
        // Nothing written yet: a timer runs first, then the write makes the reader ready.
        let sleeper = user_fn("body3", 3);
        let s2 = spawn(sleeper, vec![int(5)]).unwrap();
        stdout::start_capture();
        await_task(s2).unwrap();
        write_all(w, "ping");
        assert_eq!(r_(await_task(t)), "ping");
        assert_eq!(stdout::take_capture(), "5;");
        // Data already there: the task is done at the next scheduling point.
        write_all(w, "pong");
        let t2 = read_task(r);
        assert_eq!(r_(await_task(t2)), "pong");
        // Closing fails the waiters; the main task waiting on nothing else gets the error.
        let t3 = read_task(r);
        io_close(r, "read: pipe closed");
        assert_eq!(err(await_task(t3)), "read: pipe closed");
        // SAFETY: closing the test's own descriptors.
        unsafe {
            libc::close(r);
            libc::close(w);
        }
    })
}

#[test]
fn waiting_for_a_timer_and_io_together_sleeps_in_epoll() {
    rooted(|| {
        setup();
        let (r, w) = pipe(libc::O_NONBLOCK);
        let t = read_task(r);
        // A task writes after 20 ms: main sleeps in epoll until then.
        let start = std::time::Instant::now();
        let sleeper = user_fn("body3", 3);
        let _s = spawn(sleeper, vec![int(20)]).unwrap();
        let writer = delay(20.0).unwrap();
        await_task(writer).unwrap();
        write_all(w, "late");
        assert_eq!(r_(await_task(t)), "late");
        assert!(start.elapsed() >= std::time::Duration::from_millis(20));
        // SAFETY: closing the test's own descriptors.
        unsafe {
            libc::close(r);
            libc::close(w);
        }
    })
}

/// The string result of a task as plain text.
fn r_(v: RtResult<Value>) -> String {
    string::as_str(v.unwrap()).to_string()
}

#[test]
fn yield_lets_ready_tasks_run_first() {
    rooted(|| {
        setup();
        stdout::start_capture();
        let print = user_fn("body0", 0);
        let t = spawn(print, vec![int(1)]).unwrap();
        stdout::write_str("before;");
        yield_now().unwrap();
        stdout::write_str("after;");
        // Nothing else ready: yielding continues at once.
        yield_now().unwrap();
        assert_eq!(r(await_task(t)), "null");
        assert_eq!(stdout::take_capture(), "before;1;after;");
    })
}
