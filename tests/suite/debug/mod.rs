//! Debugging and observability (docs/DEBUGGING.md): stack traces of uncaught errors in every
//! tier, DWARF of `solvrac build -g` read back by gdb and gimli, `solvrac symbolize`, and the
//! cost meter, and `SOLVRA_TRACE`.

#![cfg(feature = "llvm")]

mod dwarf;
mod fuel;
mod profile;
mod traces;
mod tracing;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("solvrac-debug-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Runs solvrac in `dir` with an object cache of the test's own, so no run is a cache hit of an
/// earlier one.
fn solvrac(args: &[&str], dir: &Path, cache: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_solvrac"))
        .args(args)
        .current_dir(dir)
        .env("SOLVRAC_CACHE_DIR", cache)
        .stdin(Stdio::null())
        .output()
        .expect("solvrac runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
