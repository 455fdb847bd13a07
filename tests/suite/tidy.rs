//! Tidy checks that keep the code base livable (docs/STYLE habits): every Rust file opens with
//! a `//!` comment saying what it is for, no file grows past the size one reads in a sitting
//! (generated tables and test data excepted), and no placeholder macros are left behind.

use crate::frontend::repo_root;
use std::path::{Path, PathBuf};

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        let name = p
            .file_name()
            .unwrap_or_default()
            .to_string_lossy()
            .to_string();
        if p.is_dir() {
            if name != "target" && !name.starts_with('.') && name != "corpus" {
                rust_files(&p, out);
            }
        } else if name.ends_with(".rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_rust_file_says_what_it_is_for() {
    let root = repo_root();
    let mut files = Vec::new();
    for dir in ["compiler", "runtime-lib", "hal", "tests", "benches", "fuzz"] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 50);
    let mut problems = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read");
        let rel = f.strip_prefix(&root).unwrap_or(f).display().to_string();
        if !text.starts_with("//!") {
            problems.push(format!("{rel}: does not start with a `//!` comment"));
        }
        let lines = text.lines().count();
        if lines > 1200 {
            problems.push(format!("{rel}: {lines} lines; split it by concept"));
        }
        for bad in ["todo!(", "unimplemented!(", "dbg!("] {
            if text.contains(bad) && !rel.ends_with("tidy.rs") {
                problems.push(format!("{rel}: contains `{bad}`"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
