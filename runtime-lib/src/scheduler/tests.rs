//! Scheduler tests at the runtime level: task bodies are Rust functions behind the call hook,
//! so they can suspend anywhere, as compiled code and the interpreter do.

use super::*;
use crate::builtins::{self, table};
use crate::callback::{self, CallMode};
use crate::function::{self, FnInfo};
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

fn user_fn(code: usize) -> Value {
    let id = function::register(FnInfo {
        name: Some(format!("body{code}")),
        params: 1,
        required: 1,
        self_first: false,
        is_async: false,
        code,
    });
    function::new_user(id, Vec::new()).unwrap()
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
        let print = user_fn(0);
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
        let waiter = user_fn(1);
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
        let sleeper = user_fn(3);
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
        let keeper = user_fn(2);
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
        let waiter = user_fn(1);
        let t = spawn(waiter, vec![me]).unwrap();
        await_task(delay(0.0).unwrap()).unwrap(); // t starts and waits for main
        assert_eq!(err(await_task(t)), "await cycle detected");
    })
}

#[test]
fn the_task_limit_is_a_runtime_error() {
    rooted(|| {
        setup();
        let print = user_fn(0);
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
        let keeper = user_fn(2);
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
