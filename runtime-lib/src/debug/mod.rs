//! Debugging support for programs under a debugger (docs/DEBUGGING.md): `dump` renders a value
//! for gdb.

pub mod dump;
