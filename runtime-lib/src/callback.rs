//! Calling SolvraScript functions from inside the runtime (e.g. `trigger_event` handlers).
//!
//! The runtime cannot run user code itself: user functions belong to whichever tier loaded
//! them (interpreter, JIT, AOT code). That tier installs a call hook with `set_call_hook`, and
//! runtime code calls any function value through `call_value`, which handles builtins directly
//! and hands user functions to the hook. The hook is per thread, like the heap.

use crate::builtins;
use crate::error::{RtError, RtResult};
use crate::function::{self, Callee};
use crate::value::{Tag, Value};
use std::cell::Cell;

/// Why the runtime calls a user function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CallMode {
    /// An ordinary call from runtime code: calling an `async fn` creates its task (§3.15).
    Nested,
    /// The scheduler starts a task's call: the function's body runs, `async fn` or not, and
    /// an error ends the task rather than the program, so the tier drops its stack trace.
    TaskBody,
}

/// Calls a user function value with arguments, in the executing tier. It must apply the normal
/// call rules (arity, defaults; §3.12.2) and return the result or the runtime error.
pub type CallHook = fn(Value, &[Value], CallMode) -> RtResult<Value>;

thread_local! {
    static HOOK: Cell<Option<CallHook>> = const { Cell::new(None) };
}

/// Installs the hook that runs user functions on this thread (replacing any earlier one).
pub fn set_call_hook(hook: CallHook) {
    HOOK.with(|h| h.set(Some(hook)));
}

/// Removes this thread's call hook.
pub fn clear_call_hook() {
    HOOK.with(|h| h.set(None));
}

/// Calls `f` with `args`: builtins directly, user functions through the installed hook.
/// A non-function is the runtime error `value of type 'T' is not callable` (§3.12.2).
///
/// The caller keeps `f` and `args` rooted for the duration of the call.
pub fn call_value(f: Value, args: &[Value]) -> RtResult<Value> {
    call(f, args, CallMode::Nested)
}

/// Runs the call of a task that starts (the scheduler's side of `call_value`).
pub fn call_task_body(f: Value, args: &[Value]) -> RtResult<Value> {
    call(f, args, CallMode::TaskBody)
}

fn call(f: Value, args: &[Value], mode: CallMode) -> RtResult<Value> {
    if f.tag != Tag::Function {
        return Err(RtError::new(format!(
            "value of type '{}' is not callable",
            f.type_name()
        )));
    }
    match function::obj(f).callee {
        Callee::Builtin(id) => builtins::call(id, args),
        // Compiled (by the AOT compiler or the JIT): runs natively whichever tier is running.
        Callee::User(id) if function::native(id) != 0 => crate::aot::call_native(f, args, mode),
        Callee::User(_) => match HOOK.with(|h| h.get()) {
            Some(hook) => hook(f, args, mode),
            None => Err(RtError::new(
                "cannot call a user function: no execution tier installed a call hook",
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtins::table;
    use crate::testutil::*;

    fn echo_hook(_f: Value, args: &[Value], _mode: CallMode) -> RtResult<Value> {
        Ok(Value::int(args.len() as i64 * 10))
    }

    #[test]
    fn builtins_are_called_directly() {
        rooted(|| {
            let len = builtins::value_of(table::lookup("len").unwrap()).unwrap();
            let text = s("héllo");
            assert_eq!(r(call_value(len, &[text])), "5");
            assert_eq!(err(call_value(len, &[])), "len: expects 1 argument, got 0");
        })
    }

    #[test]
    fn user_functions_go_through_the_hook() {
        rooted(|| {
            let id = function::register(function::FnInfo {
                name: Some("f".into()),
                params: 1,
                required: 1,
                self_first: false,
                is_async: false,
                code: 0,
            });
            let f = function::new_user(id, &[]).unwrap();
            clear_call_hook();
            assert!(err(call_value(f, &[])).starts_with("cannot call a user function"));
            set_call_hook(echo_hook);
            assert_eq!(r(call_value(f, &[Value::NULL, Value::NULL])), "20");
            clear_call_hook();
        })
    }

    #[test]
    fn non_functions_are_not_callable() {
        rooted(|| {
            assert_eq!(
                err(call_value(Value::int(3), &[])),
                "value of type 'int' is not callable"
            );
            assert_eq!(
                err(call_value(s("f"), &[])),
                "value of type 'string' is not callable"
            );
        })
    }
}
