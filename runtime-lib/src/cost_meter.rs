//! The cost meter: a budget of bytecode instructions (`--fuel N`, `SOLVRA_FUEL`), the sandbox
//! for untrusted scripts together with the heap and task limits (docs/DEBUGGING.md).
//!
//! Every tier charges a bytecode basic block's instruction count when the block is entered
//! (the interpreter before its first instruction, compiled code at the start of the block
//! lowered from it), so a program runs out at the same block, after the same output, in every
//! tier, with the runtime error `instruction budget exhausted`. Once exhausted the budget stays
//! at zero: a `try` handler is a block too, so the error cannot be caught and ignored.
//! Compiled code charges only if it was compiled with the meter (`build --fuel`); without it
//! there is no check at all.
//!
//! One program runs per process (its tasks on one thread), so the budget is process-wide.

use crate::error::{self, RtError, RtResult};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

/// The environment variable that sets the budget (and overrides a `build --fuel` default).
pub const ENV: &str = "SOLVRA_FUEL";

/// The error of a program that used up its budget.
pub const EXHAUSTED: &str = "instruction budget exhausted";

static ON: AtomicBool = AtomicBool::new(false);
static REMAINING: AtomicU64 = AtomicU64::new(0);

/// Starts metering with `budget` instructions, or stops metering (`None`).
pub fn set_budget(budget: Option<u64>) {
    REMAINING.store(budget.unwrap_or(0), Ordering::Relaxed);
    ON.store(budget.is_some(), Ordering::Relaxed);
}

/// Whether a budget is set.
pub fn enabled() -> bool {
    ON.load(Ordering::Relaxed)
}

/// Instructions left of the budget.
pub fn remaining() -> u64 {
    REMAINING.load(Ordering::Relaxed)
}

/// `SOLVRA_FUEL` as a budget: `Ok(None)` if unset, an error message if it is not a number.
pub fn budget_from_env() -> Result<Option<u64>, String> {
    match std::env::var(ENV) {
        Ok(v) => v
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| format!("{ENV} must be a number of instructions, not '{v}'")),
        Err(_) => Ok(None),
    }
}

/// Charges `n` instructions: the error once they are more than what is left (which is then
/// nothing).
pub fn charge(n: u32) -> RtResult<()> {
    if !enabled() {
        return Ok(());
    }
    let left = REMAINING.load(Ordering::Relaxed);
    if left < n as u64 {
        REMAINING.store(0, Ordering::Relaxed);
        return Err(RtError::new(EXHAUSTED));
    }
    REMAINING.store(left - n as u64, Ordering::Relaxed);
    Ok(())
}

/// `charge` for compiled code: status 0, or 1 with the error pending.
#[no_mangle]
pub extern "C" fn solvra_fuel_charge(n: u32) -> i32 {
    match charge(n) {
        Ok(()) => 0,
        Err(e) => {
            error::set_pending(e);
            1
        }
    }
}

/// Starts the meter of a program built with `build --fuel`: `SOLVRA_FUEL` if it is set,
/// otherwise `budget`. A malformed `SOLVRA_FUEL` is reported and gives no fuel at all.
#[no_mangle]
pub extern "C" fn solvra_fuel_start(budget: i64) {
    let budget = match budget_from_env() {
        Ok(b) => b.unwrap_or(budget.max(0) as u64),
        Err(msg) => {
            crate::stdout::write_stderr(&format!("runtime error: {msg}\n"));
            0
        }
    };
    set_budget(Some(budget));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_until_the_budget_is_spent_then_fails_for_good() {
        set_budget(Some(10));
        assert!(charge(4).is_ok());
        assert!(charge(6).is_ok());
        assert_eq!(remaining(), 0);
        assert_eq!(charge(1).unwrap_err().message, EXHAUSTED);
        set_budget(Some(5));
        assert_eq!(charge(6).unwrap_err().message, EXHAUSTED);
        assert_eq!(remaining(), 0, "a failed charge leaves nothing");
        assert!(charge(1).is_err());
        set_budget(None);
        assert!(charge(1_000).is_ok(), "no budget, no limit");
        assert_eq!(solvra_fuel_charge(3), 0);
    }
}
