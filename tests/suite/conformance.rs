//! The conformance suite: every program in `tests/data/conformance` runs in every tier that
//! exists (today the bytecode interpreter) and must print exactly its `.out` file, exit with its
//! `.status` (default 0), and write to stderr exactly when a `.stderr` file exists, starting with
//! its line (a program ended by `exit(n)` is not a failure and writes nothing there).
//!
//! Programs run through the real `solvrac` binary, as a user would run them, in parallel, each
//! with a time limit. Every mismatch is reported with a diff.

use crate::frontend::{repo_root, svs_files};
use solvrac::bytecode::{compile, format, verify};
use solvrac::frontend::{load_file, LoadOptions};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const TIME_LIMIT: Duration = Duration::from_secs(30);

struct Expected {
    stdout: String,
    status: i32,
    stderr_prefix: Option<String>,
}

fn expected(program: &Path) -> Expected {
    let read = |ext: &str| std::fs::read_to_string(program.with_extension(ext)).ok();
    Expected {
        stdout: read("out").unwrap_or_else(|| panic!("{} has no .out file", program.display())),
        status: read("status").map_or(0, |s| s.trim().parse().expect("numeric .status")),
        stderr_prefix: read("stderr").map(|s| s.trim_end().to_string()),
    }
}

/// Runs `solvrac ARGS` with a time limit; returns (status, stdout, stderr).
fn run_solvrac(args: &[&str], cwd: &Path) -> Result<(i32, String, String), String> {
    let child = Command::new(env!("CARGO_BIN_EXE_solvrac"))
        .args(args)
        .current_dir(cwd)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start solvrac: {e}"))?;
    let pid = child.id();
    // Collect the output on another thread (so a full pipe never blocks the child) and kill
    // the child if it runs out of time.
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let start = Instant::now();
    let out = match rx.recv_timeout(TIME_LIMIT) {
        Ok(out) => out.map_err(|e| e.to_string())?,
        Err(_) => {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
            return Err(format!("timed out after {} s", start.elapsed().as_secs()));
        }
    };
    Ok((
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    ))
}

/// A line diff of expected and actual output, marking the first difference.
fn diff(expected: &str, actual: &str) -> String {
    let mut out = String::new();
    let e: Vec<&str> = expected.split_inclusive('\n').collect();
    let a: Vec<&str> = actual.split_inclusive('\n').collect();
    for i in 0..e.len().max(a.len()) {
        match (e.get(i), a.get(i)) {
            (Some(x), Some(y)) if x == y => out.push_str(&format!("   {x:?}\n")),
            (x, y) => {
                if let Some(x) = x {
                    out.push_str(&format!(" - {x:?}\n"));
                }
                if let Some(y) = y {
                    out.push_str(&format!(" + {y:?}\n"));
                }
            }
        }
    }
    out
}

fn check_program(program: &Path, tier: &str) -> Option<String> {
    let want = expected(program);
    let dir = program.parent().expect("in a directory");
    let name = program.file_name().unwrap().to_string_lossy().to_string();
    let tier_arg = format!("--tier={tier}");
    let (status, stdout, stderr) = match run_solvrac(&["run", &tier_arg, &name], dir) {
        Ok(r) => r,
        Err(e) => return Some(format!("{name} [{tier}]: {e}")),
    };
    let mut problems = Vec::new();
    if stdout != want.stdout {
        problems.push(format!("stdout differs:\n{}", diff(&want.stdout, &stdout)));
    }
    if status != want.status {
        problems.push(format!("exit status {status}, expected {}", want.status));
    }
    if let Some(prefix) = &want.stderr_prefix {
        if !stderr.starts_with(prefix.as_str()) {
            problems.push(format!("stderr does not start with {prefix:?}:\n{stderr}"));
        }
    } else if !stderr.is_empty() {
        problems.push(format!("unexpected stderr:\n{stderr}"));
    }
    (!problems.is_empty()).then(|| format!("{name} [{tier}]: {}", problems.join("\n")))
}

fn conformance_programs() -> Vec<PathBuf> {
    let mut files = svs_files(&repo_root().join("tests/data/conformance"));
    files.extend(
        svs_files(&repo_root().join("examples"))
            .into_iter()
            .filter(|f| f.with_extension("out").exists()),
    );
    files
}

#[test]
fn every_program_in_every_tier() {
    let files = conformance_programs();
    assert!(files.len() >= 24);
    let workers = 2;
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|w| {
                let files = &files;
                s.spawn(move || {
                    files
                        .iter()
                        .skip(w)
                        .step_by(workers)
                        .filter_map(|f| check_program(f, "interp"))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("worker"))
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} of {} conformance programs failed:\n\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}

#[test]
fn compiled_programs_pass_the_verifier_and_round_trip() {
    for file in conformance_programs() {
        let (program, diags) = load_file(&file, LoadOptions::default());
        assert!(diags.is_empty(), "{}: {diags:?}", file.display());
        let code = compile::compile(&program);
        if let Err(e) = verify::verify(&code) {
            panic!("{}: {e}", file.display());
        }
        let bytes = format::write(&code);
        let back = format::read(&bytes).unwrap_or_else(|e| panic!("{}: {}", file.display(), e.0));
        assert_eq!(
            back,
            code,
            "{}: .svc round trip changed the program",
            file.display()
        );
    }
}

#[test]
fn bytecode_doc_lists_every_opcode() {
    let doc =
        std::fs::read_to_string(repo_root().join("docs/BYTECODE.md")).expect("docs/BYTECODE.md");
    for (name, _) in solvrac::bytecode::op::OPS {
        assert!(
            doc.contains(&format!("| `{name}` |")),
            "docs/BYTECODE.md does not list opcode {name}"
        );
    }
}
