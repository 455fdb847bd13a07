//! The SolvraScript runtime library, shared by every execution tier.
//!
//! The interpreter calls it in-process, JIT code calls it through absolute symbols, and AOT
//! binaries link `libsolvra_rt.a`. It must build with rustc 1.63 (Debian's cross toolchain), so
//! keep to edition 2021 and to std APIs available there.
//!
//! Layout: `value` (the tagged value), `heap` (headers, allocation, the collector), one module
//! per heap type (`string`, `array`, `object`, `function`, `task`, `handle`), `error`, the
//! operators (`ops`), the display format (`display`), buffered output (`stdout`), calls back
//! into the executing tier (`callback`), `json`, `builtins`, `ipc` (JSON-RPC message classification), the task `scheduler`, `cost_meter` (the instruction budget), `debug` (support for debuggers), and `abi`, the one table of C
//! functions that compiled code calls.
//! docs/MEMORY_MODEL.md describes the layouts and the collector.

pub mod abi;
pub mod aot;
pub mod array;
pub mod builtins;
pub mod callback;
pub mod cost_meter;
pub mod cvec;
pub mod debug;
pub mod display;
pub mod error;
pub mod function;
pub mod handle;
pub mod heap;
pub mod ipc;
pub mod json;
pub mod object;
pub mod ops;
pub mod scheduler;
pub mod stdout;
pub mod string;
mod syscalls;
pub mod task;
#[cfg(test)]
mod testutil;
pub mod value;

pub use error::{RtError, RtResult};
pub use solvra_hal as hal;
pub use value::{Tag, Value};

/// The runtime's version, exported so a linked binary can be matched with its compiler.
#[no_mangle]
pub extern "C" fn solvra_rt_version() -> u32 {
    1
}
