//! Debugging and observability support (docs/DEBUGGING.md): `dump` renders a value for gdb,
//! `tracing` records `SOLVRA_TRACE` trace files, `profile` writes the counts of
//! `build --profile` executables.

pub mod dump;
pub mod profile;
pub mod tracing;
