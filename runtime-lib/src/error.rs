//! Runtime errors (LANGUAGE.md §3.14): a message that `catch` binds as a string.
//!
//! Rust code propagates them as `Result<_, RtError>`. Compiled code uses the C ABI's error
//! convention instead (`abi`): a runtime function that fails stores the error here, in the
//! thread's pending slot, and returns a failure status that the caller checks. Neither path
//! ever unwinds through Rust frames with destructors.

use std::cell::RefCell;
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RtError {
    pub message: String,
}

impl RtError {
    pub fn new(message: impl Into<String>) -> RtError {
        RtError {
            message: message.into(),
        }
    }
}

impl fmt::Display for RtError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

pub type RtResult<T> = Result<T, RtError>;

thread_local! {
    static PENDING: RefCell<Option<RtError>> = const { RefCell::new(None) };
}

/// Stores an error for a C-ABI caller to pick up with `take_pending`.
pub fn set_pending(err: RtError) {
    PENDING.with(|p| *p.borrow_mut() = Some(err));
}

/// Takes the error a failed C-ABI call left behind.
pub fn take_pending() -> Option<RtError> {
    PENDING.with(|p| p.borrow_mut().take())
}

/// Formats an uncaught error as LANGUAGE.md §3.14.1 prescribes: `runtime error: MESSAGE`, then
/// the stack trace, innermost frame first; every tier reports through this.
/// A trace deeper than `TRACE_HEAD + TRACE_TAIL` frames shows its ends and counts the middle.
pub fn report(message: &str, trace: &[String]) -> String {
    const TRACE_HEAD: usize = 20;
    const TRACE_TAIL: usize = 5;
    let mut out = format!("runtime error: {message}\n");
    let frames: Vec<&String> = if trace.len() <= TRACE_HEAD + TRACE_TAIL {
        trace.iter().collect()
    } else {
        trace[..TRACE_HEAD]
            .iter()
            .chain(&trace[trace.len() - TRACE_TAIL..])
            .collect()
    };
    for (i, frame) in frames.iter().enumerate() {
        if i == TRACE_HEAD && trace.len() > frames.len() {
            let omitted = trace.len() - frames.len();
            out.push_str(&format!("  ... {omitted} more frames ...\n"));
        }
        out.push_str("  at ");
        out.push_str(frame);
        out.push('\n');
    }
    out
}

/// `unsupported operand types for OP: T1 and T2` (§3.6).
pub fn bad_operands(op: &str, a: &str, b: &str) -> RtError {
    RtError::new(format!("unsupported operand types for {op}: {a} and {b}"))
}
