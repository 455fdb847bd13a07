//! Fuzz target: one file through the lexer, the parser and, when it parsed cleanly, the
//! resolver. The frontend's invariant (compiler/src/frontend/mod.rs) is that it never panics
//! on any input; any panic, abort, stack overflow or sanitizer report is a bug.
#![no_main]

use libfuzzer_sys::fuzz_target;
use solvrac::frontend::{self, resolve, FileId};

fn frontend(text: &str) {
    let (module, diags) = frontend::parse_file(FileId(0), text);
    if diags.is_empty() {
        let (_resolution, _diags) = resolve::resolve(&module, resolve::ResolveOptions::default());
    }
}

fuzz_target!(|data: &[u8]| {
    solvrac_fuzz::run_on_big_stack(data, frontend);
});
