//! The SolvraScript hardware abstraction layer.
//!
//! Device discovery, Linux userspace drivers and the simulator land with the `[hal]` issue; this
//! crate is linked into the runtime library and must build with rustc 1.63.

/// Name of the device backend compiled in; the simulator and Linux drivers will extend this.
pub const BACKENDS: &[&str] = &[];
