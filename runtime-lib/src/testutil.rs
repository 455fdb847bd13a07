//! Helpers for the runtime's unit tests: building values tersely and running a test body with
//! the collector able to see its locals.
//!
//! Every test that allocates runs its body inside `rooted`, which sets the thread's stack base
//! above the body (heap::with_stack_base), so `SOLVRA_GC_STRESS=1 cargo test` exercises the
//! real rooting rules. Builders take values that the caller holds in locals.

use crate::error::RtResult;
use crate::value::Value;
use crate::{array, display, object, string};

pub fn rooted<R>(f: impl FnOnce() -> R) -> R {
    crate::builtins::register_all();
    crate::heap::with_stack_base(f)
}

pub fn s(text: &str) -> Value {
    string::new(text).unwrap()
}

pub fn int(i: i64) -> Value {
    Value::int(i)
}

pub fn float(f: f64) -> Value {
    Value::float(f)
}

pub fn arr(items: &[Value]) -> Value {
    for v in items {
        array::share(*v);
    }
    array::from_values(items.to_vec()).unwrap()
}

pub fn obj(fields: &[(&str, Value)]) -> Value {
    let o = object::new_empty().unwrap();
    for (k, v) in fields {
        object::obj(o).set(k, *v);
    }
    o
}

/// Display form of a value.
pub fn d(v: Value) -> String {
    display::display(v)
}

/// Display form of a successful result, or `ERR: message`.
pub fn r(v: RtResult<Value>) -> String {
    match v {
        Ok(v) => d(v),
        Err(e) => format!("ERR: {}", e.message),
    }
}

/// The error message of a result that must fail.
pub fn err<T: std::fmt::Debug>(v: RtResult<T>) -> String {
    v.expect_err("expected an error").message
}

/// Whether the tests run with `SOLVRA_GC_STRESS=1` (a collection before every allocation):
/// tests that allocate a lot shrink their sizes then.
pub fn stress() -> bool {
    std::env::var("SOLVRA_GC_STRESS").map_or(false, |v| v == "1")
}

/// Keeps `v` alive (in a register or stack slot the collector scans) up to this point.
pub fn keep(v: Value) {
    // SAFETY: reads a local.
    let _ = unsafe { std::ptr::read_volatile(&v) };
}

/// A user function value named `name` with one parameter whose `code` field is `code`: tests
/// install a call hook that runs Rust code chosen by `code`.
pub fn user_fn(name: &str, code: usize) -> Value {
    let id = crate::function::register(crate::function::FnInfo {
        name: Some(name.into()),
        params: 1,
        required: 1,
        self_first: false,
        is_async: false,
        code,
    });
    crate::function::new_user(id, &[]).unwrap()
}

/// A pipe, close-on-exec plus `flags` (e.g. `libc::O_NONBLOCK`): (read end, write end).
pub fn pipe(flags: i32) -> (std::os::unix::io::RawFd, std::os::unix::io::RawFd) {
    let mut fds = [0; 2];
    // SAFETY: plain system call into a two-element array.
    assert_eq!(
        unsafe { libc::pipe2(fds.as_mut_ptr(), flags | libc::O_CLOEXEC) },
        0
    );
    (fds[0], fds[1])
}
