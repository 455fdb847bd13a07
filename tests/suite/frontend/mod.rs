//! Frontend tests: conformance programs check clean, every compile-time error class gets the
//! right diagnostic, AST and diagnostic snapshots, and robustness against arbitrary input.
//!
//! Snapshots live in `tests/suite/frontend/snapshots`; re-bless with
//! `INSTA_UPDATE=always cargo test -p solvrac --test suite` (or `cargo insta review`).

mod errors;
mod parse;
mod robustness;

use solvrac::frontend::{self, diag, LoadOptions, Program};
use std::path::{Path, PathBuf};

/// The repository root (the suite is compiled from `compiler/`).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("compiler/ has a parent")
        .to_path_buf()
}

/// `.svs` files directly inside `dir` (helper modules in subdirectories are skipped).
pub fn svs_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "svs"))
        .collect();
    files.sort();
    files
}

/// Loads a program and renders its diagnostics without color, with the repository root
/// stripped from paths so the text is the same on every machine.
pub fn check(path: &Path) -> (Program, String, usize) {
    let (program, diags) = frontend::load_file(path, LoadOptions::default());
    let rendered = diag::render_plain(&program.sources, &diags);
    let root = format!("{}/", repo_root().display());
    (program, rendered.replace(&root, ""), diags.len())
}

/// Runs `f` on a thread with the CLI's worker stack, as the `solvrac` binary does.
pub fn on_worker_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new()
        .stack_size(solvrac::driver::WORKER_STACK)
        .spawn(f)
        .expect("spawn worker")
        .join()
        .expect("worker panicked")
}

#[test]
fn conformance_programs_check_clean() {
    let dir = repo_root().join("tests/data/conformance");
    let files = svs_files(&dir);
    assert!(
        files.len() >= 24,
        "expected the §7 programs in {}",
        dir.display()
    );
    let mut failures = String::new();
    for file in files {
        let (_, rendered, count) = check(&file);
        if count > 0 {
            failures.push_str(&rendered);
        }
    }
    assert!(
        failures.is_empty(),
        "conformance programs must check clean:\n{failures}"
    );
}

#[test]
fn examples_and_stdlib_check_clean() {
    let root = repo_root();
    let mut failures = String::new();
    for file in svs_files(&root.join("examples")) {
        let (_, rendered, count) = check(&file);
        if count > 0 {
            failures.push_str(&rendered);
        }
    }
    for (name, _) in frontend::stdlib::MODULES {
        let importer = format!("import <{name}>\n");
        let (program, diags) = frontend::load_source("main.svs", &importer, LoadOptions::default());
        let rendered = diag::render_plain(&program.sources, &diags);
        assert!(
            diags.is_empty(),
            "stdlib module {name} has errors:\n{rendered}"
        );
    }
    assert!(
        failures.is_empty(),
        "examples must check clean:\n{failures}"
    );
}
