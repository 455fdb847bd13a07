//! Every entry of the ABI table (`solvra_rt::abi::ABI`) is a defined, exported symbol of the
//! static library that compiled code links (`libsolvra_rt.a`).
//!
//! `cargo test` does not rebuild `target/debug/libsolvra_rt.a` (it links the test against the
//! rlib), so the test builds the static library itself into `target/abi-symbols` (a target
//! directory of its own: the outer cargo holds the lock of `target/`). It also checks any other
//! copy that is at least as new as the runtime's sources: the release build and the
//! cross-built ones in `target/cross-runtime/*/` (`scripts/build-cross-runtime.sh`). Without
//! `nm` the test is skipped with a message.

use solvra_rt::abi::ABI;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

/// The names of the defined global symbols of an archive, per `nm`.
fn defined_symbols(lib: &Path) -> HashSet<String> {
    let out = Command::new("nm")
        .args(["-g", "--defined-only"])
        .arg(lib)
        .output()
        .expect("nm runs");
    assert!(
        out.status.success(),
        "nm {} failed: {}",
        lib.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|line| {
            let mut parts = line.split_whitespace().rev();
            let name = parts.next()?;
            let kind = parts.next()?;
            // Text symbols (T), and weak ones (W) to be safe; never undefined (U) ones.
            (kind == "T" || kind == "W").then(|| name.to_string())
        })
        .collect()
}

fn newest_mtime(dir: &Path, newest: &mut SystemTime) {
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                newest_mtime(&path, newest);
            } else if let Ok(m) = e.metadata().and_then(|m| m.modified()) {
                if m > *newest {
                    *newest = m;
                }
            }
        }
    }
}

fn is_fresh(lib: &Path, sources: SystemTime) -> bool {
    std::fs::metadata(lib)
        .and_then(|m| m.modified())
        .map_or(false, |m| m >= sources)
}

#[test]
fn every_abi_function_is_exported_by_the_static_library() {
    if Command::new("nm").arg("--version").output().is_err() {
        eprintln!("skipped: `nm` is not installed");
        return;
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let root = manifest
        .parent()
        .expect("runtime-lib is inside the workspace");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let mut sources = SystemTime::UNIX_EPOCH;
    newest_mtime(&manifest.join("src"), &mut sources);
    newest_mtime(&root.join("hal/src"), &mut sources);

    let mut libs = Vec::new();
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let own = target.join("abi-symbols");
    let built = Command::new(&cargo)
        .args(["build", "--lib", "-p", "solvra_rt", "--target-dir"])
        .arg(&own)
        .current_dir(root)
        .status();
    match built {
        Ok(s) if s.success() => libs.push(own.join("debug/libsolvra_rt.a")),
        other => eprintln!(
            "warning: could not build the static library ({other:?}); checking existing copies"
        ),
    }
    let mut candidates = vec![
        target.join("debug/libsolvra_rt.a"),
        target.join("release/libsolvra_rt.a"),
    ];
    if let Ok(entries) = std::fs::read_dir(target.join("cross-runtime")) {
        for e in entries.flatten() {
            candidates.push(e.path().join("libsolvra_rt.a"));
        }
    }
    for lib in candidates {
        if lib.exists() {
            if is_fresh(&lib, sources) {
                libs.push(lib);
            } else {
                eprintln!("not checked (older than the sources): {}", lib.display());
            }
        }
    }
    assert!(!libs.is_empty(), "no up-to-date libsolvra_rt.a to check");

    for lib in &libs {
        let symbols = defined_symbols(lib);
        let missing: Vec<&str> = ABI
            .iter()
            .map(|f| f.name)
            .filter(|name| !symbols.contains(*name))
            .collect();
        assert!(
            missing.is_empty(),
            "{} does not define {missing:?}",
            lib.display()
        );
        eprintln!("{}: all {} ABI functions defined", lib.display(), ABI.len());
    }
}
