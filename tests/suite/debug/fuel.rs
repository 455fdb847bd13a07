//! The cost meter: for every program of `tests/data/fuel` and a range of budgets, the
//! interpreter, the JIT, the tiered interpreter (every function compiled on its first call)
//! and a native build with `--fuel` print the same output and stop with the same error
//! (`instruction budget exhausted` and its stack trace) or finish alike.

use super::{scratch, text};
use crate::conformance::on_two_workers;
use crate::frontend::{repo_root, svs_files};
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// Budgets from one block's worth to more than any program needs.
const BUDGETS: [u64; 10] = [1, 4, 13, 40, 121, 364, 1093, 3280, 9841, 1_000_000_000];

const TIERS: [&str; 4] = ["interp", "jit", "auto", "native"];

fn outcome(out: &Output) -> String {
    format!(
        "--- stdout\n{}--- stderr\n{}--- status {:?}\n",
        text(&out.stdout),
        text(&out.stderr),
        out.status.code()
    )
}

/// Runs `program` in `tier` with `budget`; the native executable was built beforehand.
fn run(program: &Path, tier: &str, budget: u64, work: &Path) -> String {
    let dir = program.parent().expect("in a directory");
    let stem = program.file_stem().unwrap().to_string_lossy().to_string();
    let name = program.file_name().unwrap().to_string_lossy().to_string();
    let mut cmd = if tier == "native" {
        let mut c = Command::new(work.join(&stem));
        c.env("SOLVRA_FUEL", budget.to_string());
        c
    } else {
        let mut c = Command::new(env!("CARGO_BIN_EXE_solvrac"));
        c.args(["run", &format!("--tier={tier}"), "--jit-threshold=1"])
            .arg(format!("--fuel={budget}"))
            .arg(&name)
            // One cache per program: the JIT compiles each program once for all budgets.
            .env(
                "SOLVRAC_CACHE_DIR",
                work.join(format!("cache-{stem}-{tier}")),
            );
        c
    };
    let out = cmd
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    outcome(&out)
}

#[test]
fn every_tier_stops_at_the_same_point() {
    let work = scratch("fuel");
    let programs = svs_files(&repo_root().join("tests/data/fuel"));
    assert!(programs.len() >= 4, "fuel programs missing");
    for p in &programs {
        let exe = work.join(p.file_stem().unwrap());
        // Built where it runs, so module names (and traces) are the same as in `run`.
        let out = Command::new(env!("CARGO_BIN_EXE_solvrac"))
            .args(["build", "--fuel", "5"])
            .arg(p.file_name().unwrap())
            .arg("-o")
            .arg(&exe)
            .current_dir(p.parent().unwrap())
            .output()
            .expect("solvrac runs");
        assert!(out.status.success(), "{}", text(&out.stderr));
    }
    let jobs: Vec<(&Path, u64, &str)> = programs
        .iter()
        .flat_map(|p| {
            BUDGETS
                .iter()
                .flat_map(move |&b| TIERS.map(|t| (p.as_path(), b, t)))
        })
        .collect();
    let results = on_two_workers(&jobs, |(p, b, t)| run(p, t, *b, &work));
    let _ = std::fs::remove_dir_all(&work);
    let mut exhausted = 0;
    let mut finished = 0;
    for (job, runs) in jobs.chunks(TIERS.len()).zip(results.chunks(TIERS.len())) {
        let (program, budget, _) = job[0];
        let stem = program.file_stem().unwrap().to_string_lossy();
        for (tier, run) in TIERS.iter().zip(runs).skip(1) {
            assert_eq!(
                run, &runs[0],
                "{stem} with {budget} instructions: {tier} differs from the interpreter"
            );
        }
        if runs[0].contains("runtime error: instruction budget exhausted\n") {
            assert!(runs[0].ends_with("--- status Some(1)\n"), "{}", runs[0]);
            exhausted += 1;
        } else {
            assert!(
                runs[0].ends_with("--- status Some(0)\n"),
                "{stem} {budget}: {}",
                runs[0]
            );
            finished += 1;
        }
    }
    // The range covers both outcomes, and each program's largest budget lets it finish.
    assert!(exhausted > programs.len() * 5, "{exhausted} runs ran out");
    assert!(finished >= programs.len(), "{finished} runs finished");
}

#[test]
fn budgets_come_from_the_option_or_the_environment() {
    let dir = scratch("fuel-env");
    std::fs::write(dir.join("p.svs"), "println(1)\nprintln(2)\n").unwrap();
    let solvrac = |args: &[&str], env: Option<&str>| {
        let mut c = Command::new(env!("CARGO_BIN_EXE_solvrac"));
        c.args(args).current_dir(&dir).stdin(Stdio::null());
        c.env_remove("SOLVRA_FUEL");
        if let Some(v) = env {
            c.env("SOLVRA_FUEL", v);
        }
        c.output().expect("solvrac runs")
    };
    let tiny = solvrac(&["run", "--tier=interp", "p.svs"], Some("2"));
    assert_eq!(
        text(&tiny.stderr),
        "runtime error: instruction budget exhausted\n  at <top level> (p.svs:1)\n"
    );
    // The option wins over the environment.
    let ok = solvrac(&["run", "--tier=interp", "--fuel=100", "p.svs"], Some("2"));
    assert_eq!(
        (text(&ok.stdout).as_str(), ok.status.code()),
        ("1\n2\n", Some(0))
    );
    let bad = solvrac(&["run", "p.svs"], Some("lots"));
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(
        text(&bad.stderr),
        "solvrac: SOLVRA_FUEL must be a number of instructions, not 'lots'\n"
    );
    // A metered executable: its built-in budget, or SOLVRA_FUEL's.
    let build = solvrac(&["build", "--fuel", "3", "p.svs", "-o", "p"], None);
    assert!(build.status.success(), "{}", text(&build.stderr));
    let exe = |env: Option<&str>| {
        let mut c = Command::new(dir.join("p"));
        c.env_remove("SOLVRA_FUEL").stdin(Stdio::null());
        if let Some(v) = env {
            c.env("SOLVRA_FUEL", v);
        }
        c.output().expect("runs")
    };
    let built_in = exe(None);
    assert_eq!(built_in.status.code(), Some(1));
    assert!(text(&built_in.stderr).starts_with("runtime error: instruction budget exhausted\n"));
    let more = exe(Some("1000"));
    assert_eq!(
        (text(&more.stdout).as_str(), more.status.code()),
        ("1\n2\n", Some(0))
    );
    // An executable built without the meter has no budget to run out of.
    let plain = solvrac(&["build", "p.svs", "-o", "plain"], None);
    assert!(plain.status.success());
    let free = Command::new(dir.join("plain"))
        .env("SOLVRA_FUEL", "1")
        .output()
        .expect("runs");
    assert_eq!(text(&free.stdout), "1\n2\n");
    let _ = std::fs::remove_dir_all(&dir);
}
