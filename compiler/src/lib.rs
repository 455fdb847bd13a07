//! solvrac: the SolvraScript compiler toolchain as a library.
//!
//! The `solvrac` binary is a thin command-line layer over this crate (see `driver`). Phases
//! live in their own modules: `frontend` (lexing, parsing, name resolution, modules); the
//! bytecode, interpreter and native backends join as they land.

pub mod backend;
pub mod bytecode;
pub mod driver;
pub mod frontend;
pub mod interp;
pub mod profile;
#[cfg(feature = "llvm")]
pub mod repl;
pub mod symbolize;
