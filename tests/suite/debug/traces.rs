//! Uncaught-error stack traces: every program of `tests/data/traces` ends with an uncaught
//! runtime error, and the interpreter, the JIT, the tiered interpreter (every function compiled
//! on its first call) and native builds at -O0, -O2 and with debug information (`-g`) report it
//! with the same frames; the report is snapshotted once.

use super::{scratch, solvrac, text};
use crate::conformance::on_two_workers;
use crate::frontend::{repo_root, svs_files};
use std::path::Path;
use std::process::{Command, Stdio};

/// What a run printed: stdout, then stderr, then the exit status, as one snapshot text.
fn outcome(stdout: &[u8], stderr: &[u8], status: Option<i32>) -> String {
    format!(
        "--- stdout\n{}--- stderr\n{}--- status {status:?}\n",
        text(stdout),
        text(stderr)
    )
}

/// `program` in one tier (`run --tier=…` arguments) or, for `-O…` (`build` arguments), built
/// natively.
fn run_in(program: &Path, how: &str, work: &Path) -> String {
    let dir = program.parent().expect("in a directory");
    let name = program.file_name().unwrap().to_string_lossy().to_string();
    let stem = program.file_stem().unwrap().to_string_lossy().to_string();
    let cache = work.join(format!("cache-{stem}"));
    if how.starts_with("-O") {
        let exe = work.join(format!("{stem}{}", how.replace(' ', "")));
        let exe_s = exe.to_string_lossy().to_string();
        let mut args = vec!["build"];
        args.extend(how.split(' '));
        args.extend([name.as_str(), "-o", &exe_s]);
        let build = solvrac(&args, dir, &cache);
        assert!(
            build.status.success(),
            "{name} {how}: {}",
            text(&build.stderr)
        );
        let out = Command::new(&exe)
            .current_dir(dir)
            .stdin(Stdio::null())
            .output()
            .expect("run the executable");
        return outcome(&out.stdout, &out.stderr, out.status.code());
    }
    let mut args = vec!["run", "--no-cache"];
    args.extend(how.split(' '));
    args.push(&name);
    let out = solvrac(&args, dir, &cache);
    outcome(&out.stdout, &out.stderr, out.status.code())
}

#[test]
fn uncaught_error_traces_are_the_same_in_every_tier() {
    const TIERS: [&str; 6] = [
        "--tier=interp",
        "--tier=jit",
        "--tier=auto --jit-threshold=1",
        "-O0",
        "-O2",
        "-O0 -g",
    ];
    let work = scratch("traces");
    let programs = svs_files(&repo_root().join("tests/data/traces"));
    assert!(programs.len() >= 6, "trace programs missing");
    let jobs: Vec<(&Path, &str)> = programs
        .iter()
        .flat_map(|p| TIERS.map(|t| (p.as_path(), t)))
        .collect();
    let results = on_two_workers(&jobs, |(p, how)| run_in(p, how, &work));
    let _ = std::fs::remove_dir_all(&work);
    for (program, runs) in programs.iter().zip(results.chunks(TIERS.len())) {
        let stem = program.file_stem().unwrap().to_string_lossy().to_string();
        for (tier, run) in TIERS.iter().zip(runs).skip(1) {
            assert_eq!(run, &runs[0], "{stem}: {tier} differs from the interpreter");
        }
        assert!(
            runs[0].ends_with("--- status Some(1)\n"),
            "{stem}: {}",
            runs[0]
        );
        insta::assert_snapshot!(format!("trace_{stem}"), runs[0]);
    }
}
