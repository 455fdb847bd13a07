//! System calls for SolvraScript programs: the internal builtins behind the `sys`, `fs`,
//! `process` and `net` standard modules (stdlib/*.svs, documented in docs/STDLIB.md).
//!
//! `system` holds files, processes, the environment, clocks and signals; `net` holds sockets.
//! Operations that would block return tasks on the scheduler's event loop
//! (`scheduler::io_task`), so a program waits for them with `await` while other tasks run.
//! Every failure is a runtime error naming the call, the operating system's error and, where
//! there is one, the path or address: `open: No such file or directory (os error 2): /x`.

mod net;
mod system;

use crate::builtins::BuiltinFn;
use crate::error::RtError;

/// The implementation of the internal builtin `name`, if it is a system call.
pub(crate) fn implementation(name: &str) -> Option<BuiltinFn> {
    system::implementation(name).or_else(|| net::implementation(name))
}

/// The runtime error for a failed system call: `CALL: OS ERROR: SUBJECT` (the subject, a path
/// or an address, is left out when empty).
pub(crate) fn os_error(call: &str, err: std::io::Error, subject: &str) -> RtError {
    if subject.is_empty() {
        RtError::new(format!("{call}: {err}"))
    } else {
        RtError::new(format!("{call}: {err}: {subject}"))
    }
}
