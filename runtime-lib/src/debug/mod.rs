//! Debugging and observability support (docs/DEBUGGING.md): `dump` renders a value for gdb,
//! `tracing` records `SOLVRA_TRACE` trace files.

pub mod dump;
pub mod tracing;
