//! The SolvraScript runtime library, shared by every execution tier.
//!
//! The interpreter calls it in-process, JIT code calls it through absolute symbols, and AOT
//! binaries link `libsolvra_rt.a`. It must build with rustc 1.63 (Debian's cross toolchain), so
//! keep to edition 2021 and to std APIs available there.
//!
//! The runtime proper (values, heap, builtins, scheduler) lands with the `[runtime]` issue; for
//! now this crate only fixes the crate shape that the cross-build scripts rely on.

/// The runtime's version, exported so a linked binary can be matched with its compiler.
#[no_mangle]
pub extern "C" fn solvra_rt_version() -> u32 {
    1
}

pub mod builtins;

pub use solvra_hal as hal;
