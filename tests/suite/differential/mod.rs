//! Differential testing: random well-typed programs (`gen.rs`) run in every tier — the
//! interpreter, the whole-program JIT, the tiered interpreter with every function compiled on
//! its first call, a native executable from `solvrac build`, and the same cross-built for each
//! ARM target of `conformance::arm_targets` and run under qemu-user — and every tier must print
//! the same bytes and exit with the same status.
//!
//! Each program comes from one seed and is the body of a function `case_SEED`. To amortise the
//! cost of starting the JIT and of linking an executable, programs are run in batches: one file
//! defines a batch's cases and calls each inside `try`/`catch` after printing `#case SEED`, so a
//! runtime error ends only its own case. The outputs are compared case by case; a divergence
//! reports the seed, the program and each tier's output of that case, and the case is saved as a
//! stand-alone program under `target/differential/` for reproduction (docs/TESTING.md).
//!
//! CI runs a fixed, bounded set. Outside CI:
//!   SOLVRA_DIFF_COUNT=10000 cargo test -p solvrac --test suite -- differential --nocapture
//! runs more (`SOLVRA_DIFF_SEED` is the first seed, default 1; `SOLVRA_DIFF_BATCH` the programs
//! per batch, default 100; `SOLVRA_DIFF_OPT=0` compiles at -O0 everywhere, three times faster).
//! `SOLVRA_DIFF_COUNT=1 SOLVRA_DIFF_SEED=S` reruns the program of seed S.

mod gen;

use crate::conformance::{arm_targets, diff, on_two_workers, run_limited};
use crate::frontend::repo_root;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// Programs CI runs: two batches, so every optimisation level of every tier runs.
const CI_COUNT: u64 = 200;
const DEFAULT_BATCH: u64 = 100;
/// Per tier and batch: only a hang should reach it. A batch takes 1–20 s per tier on an idle
/// machine, but ten times that under `nice` on a loaded one.
const TIME_LIMIT: Duration = Duration::from_secs(600);

/// A complete program: the case functions, then a driver that runs each in a `try`.
fn batch_source(seeds: &[u64]) -> String {
    let mut src = String::new();
    for &seed in seeds {
        src.push_str(&format!(
            "fn case_{seed}() {{\n{}}}\n\n",
            gen::program(seed)
        ));
    }
    for &seed in seeds {
        src.push_str(&format!(
            "println(\"#case {seed}\")\ntry {{ case_{seed}() }} catch e {{ println(\"error: \" + e) }}\n"
        ));
    }
    src
}

/// What one tier did with one batch.
struct Run {
    tier: String,
    status: i32,
    stdout: String,
    stderr: String,
    took: Duration,
    timed_out: bool,
}

fn env_u64(name: &str) -> Option<u64> {
    let v = std::env::var(name).ok()?;
    Some(
        v.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number")),
    )
}

/// Runs `cmd` with the time limit, as a `Run` of `tier`.
fn run(tier: &str, cmd: &mut Command) -> Run {
    let started = Instant::now();
    let (out, timed_out) = run_limited(cmd, TIME_LIMIT).unwrap_or_else(|e| panic!("{tier}: {e}"));
    Run {
        tier: tier.to_string(),
        status: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        took: started.elapsed(),
        timed_out,
    }
}

/// Optimisation levels of one batch: LLVM's optimiser costs about five times what its code
/// generation does, so each batch optimises in only some tiers and the next batch in the others.
struct Levels {
    jit: &'static str,
    auto: &'static str,
    aot: &'static str,
}

const LEVELS_A: Levels = Levels {
    jit: "-O1",
    auto: "-O0",
    aot: "-O0",
};
const LEVELS_B: Levels = Levels {
    jit: "-O0",
    auto: "-O1",
    aot: "-O2",
};
/// `SOLVRA_DIFF_OPT=0`: no optimisation anywhere, for long runs (a third of the time).
const LEVELS_O0: Levels = Levels {
    jit: "-O0",
    auto: "-O0",
    aot: "-O0",
};

/// `file` in every tier at the levels `o`.
fn run_tiers(file: &Path, o: &Levels) -> Vec<Run> {
    let solvrac = env!("CARGO_BIN_EXE_solvrac");
    let dir = file.parent().expect("in a directory");
    let mut runs = Vec::new();
    let solvrac_run = |args: &[&str]| {
        let mut c = Command::new(solvrac);
        c.arg("run").args(args).arg(file).current_dir(dir);
        c
    };
    runs.push(run("interp", &mut solvrac_run(&["--tier=interp"])));
    if cfg!(feature = "llvm") {
        runs.push(run(
            &format!("jit {}", o.jit),
            &mut solvrac_run(&["--tier=jit", "--no-cache", o.jit]),
        ));
        runs.push(run(
            &format!("auto {}", o.auto),
            &mut solvrac_run(&["--tier=auto", "--no-cache", "--jit-threshold=1", o.auto]),
        ));
        let targets = std::iter::once(None).chain(arm_targets().into_iter().map(Some));
        for target in targets {
            let opt = o.aot;
            let (label, emulator) = match target {
                Some(t) => (format!("aot {opt} {}", t.name), Some(t.emulator)),
                None => (format!("aot {opt}"), None),
            };
            let exe = file.with_extension(label.replace([' ', '-'], ""));
            let mut build = Command::new(solvrac);
            build.args(["build", opt]);
            if let Some(t) = target {
                build.args(["--target", t.name]);
            }
            let build = run(
                &format!("build {label}"),
                build.arg(file).arg("-o").arg(&exe).current_dir(dir),
            );
            if build.status != 0 {
                runs.push(build);
                continue;
            }
            let mut cmd = match emulator {
                Some(qemu) => {
                    let mut c = Command::new(qemu);
                    c.arg(&exe);
                    c
                }
                None => Command::new(&exe),
            };
            let mut aot = run(&label, cmd.current_dir(dir));
            aot.took += build.took;
            runs.push(aot);
            let _ = std::fs::remove_file(&exe);
        }
    }
    runs
}

/// A batch's stdout cut at its `#case SEED` lines: seed → that case's output.
fn cases(stdout: &str) -> BTreeMap<u64, String> {
    let mut out = BTreeMap::new();
    let mut current: Option<(u64, String)> = None;
    for line in stdout.split_inclusive('\n') {
        if let Some(seed) = line
            .strip_prefix("#case ")
            .and_then(|s| s.trim_end().parse().ok())
        {
            if let Some((s, text)) = current.take() {
                out.insert(s, text);
            }
            current = Some((seed, String::new()));
        } else if let Some((_, text)) = current.as_mut() {
            text.push_str(line);
        }
    }
    if let Some((s, text)) = current {
        out.insert(s, text);
    }
    out
}

/// Where divergent programs are saved.
fn save_dir() -> PathBuf {
    repo_root().join("target/differential")
}

/// Compares the tiers' runs of one batch; returns a report per divergent case (or of the whole
/// batch when the status or stderr differ without any case's output differing).
fn compare(seeds: &[u64], runs: &[Run]) -> Vec<String> {
    let base = &runs[0];
    let base_cases = cases(&base.stdout);
    let mut reports = Vec::new();
    // A tier that ran out of time is one failure of the batch, not one per case.
    for r in runs.iter().filter(|r| r.timed_out) {
        reports.push(format!(
            "batch of seeds {}..={}: {} killed after {} s (a hang, or a badly overloaded machine)",
            seeds[0],
            seeds[seeds.len() - 1],
            r.tier,
            TIME_LIMIT.as_secs()
        ));
    }
    let mut seen_case = false;
    for &seed in seeds {
        let want = base_cases.get(&seed);
        let differ: Vec<&Run> = runs[1..]
            .iter()
            .filter(|r| !r.timed_out && cases(&r.stdout).get(&seed) != want)
            .collect();
        if differ.is_empty() {
            continue;
        }
        seen_case = true;
        let src = format!(
            "fn case_{seed}() {{\n{}}}\n\nprintln(\"#case {seed}\")\ntry {{ case_{seed}() }} catch e {{ println(\"error: \" + e) }}\n",
            gen::program(seed)
        );
        let saved = save_dir().join(format!("seed-{seed}.svs"));
        let _ = std::fs::create_dir_all(save_dir());
        let _ = std::fs::write(&saved, &src);
        let mut report = format!(
            "seed {seed} diverges (saved as {}; rerun with SOLVRA_DIFF_COUNT=1 SOLVRA_DIFF_SEED={seed}):\n{src}\n",
            saved.display()
        );
        let empty = String::new();
        let want = want.unwrap_or(&empty);
        for r in differ {
            let got = cases(&r.stdout).get(&seed).cloned().unwrap_or_default();
            report.push_str(&format!(
                "--- {} vs {} (status {} vs {}):\n{}{}\n",
                base.tier,
                r.tier,
                base.status,
                r.status,
                diff(want, &got),
                r.stderr
            ));
        }
        reports.push(report);
        // The rest of the batch usually diverges for the same reason.
        if reports.len() >= 3 {
            break;
        }
    }
    if !seen_case {
        for r in runs[1..].iter().filter(|r| !r.timed_out) {
            if r.status != base.status || r.stdout != base.stdout || r.stderr != base.stderr {
                reports.push(format!(
                    "batch of seeds {}..={}: {} exits {} vs {} {}:\nstderr {:?} vs {:?}",
                    seeds[0],
                    seeds[seeds.len() - 1],
                    base.tier,
                    base.status,
                    r.tier,
                    r.status,
                    base.stderr,
                    r.stderr
                ));
            }
        }
    }
    reports
}

/// Runs one batch in every tier and compares; returns the divergence reports and the time
/// each tier took.
fn check_batch(index: usize, seeds: &[u64], dir: &Path) -> (Vec<String>, Vec<(String, Duration)>) {
    let file = dir.join(format!("batch{index}.svs"));
    std::fs::write(&file, batch_source(seeds)).expect("write the batch");
    // Batches 0 A, 1 B, 2 B, 3 A, …: each of the two workers (which take the even and the odd
    // batches) gets both, so neither gets all the expensive ones; two batches cover both.
    let levels = if std::env::var("SOLVRA_DIFF_OPT").is_ok_and(|v| v == "0") {
        &LEVELS_O0
    } else if matches!(index % 4, 0 | 3) {
        &LEVELS_A
    } else {
        &LEVELS_B
    };
    let started = Instant::now();
    let runs = run_tiers(&file, levels);
    let mut reports = compare(seeds, &runs);
    if runs[0].status != 0 || !runs[0].stderr.is_empty() {
        reports.push(format!(
            "batch of seeds {}..={} ({}): the interpreter exits {}:\n{}",
            seeds[0],
            seeds[seeds.len() - 1],
            file.display(),
            runs[0].status,
            runs[0].stderr
        ));
    }
    if reports.is_empty() {
        let _ = std::fs::remove_file(&file);
    }
    // Progress, so a long run can be followed (and a stopped one counted) with --nocapture.
    eprintln!(
        "differential: batch {index} (seeds {}..={}): {} in {:.1} s",
        seeds[0],
        seeds[seeds.len() - 1],
        if reports.is_empty() {
            "same in every tier"
        } else {
            "DIVERGES"
        },
        started.elapsed().as_secs_f64()
    );
    let took = runs.into_iter().map(|r| (r.tier, r.took)).collect();
    (reports, took)
}

/// Every generated program parses and resolves: a generator bug shows here as a compile error
/// with its seed, not as a failing batch.
#[test]
fn generated_programs_compile() {
    use solvrac::frontend::{load_source, LoadOptions};
    for seed in 1..=200u64 {
        let src = batch_source(&[seed]);
        let (_, diags) = load_source("gen.svs", &src, LoadOptions::default());
        assert!(
            diags.is_empty(),
            "seed {seed}: {:?}\n{src}",
            diags.iter().map(|d| &d.message).collect::<Vec<_>>()
        );
    }
}

/// The same seed gives the same program (reproducibility of a reported seed).
#[test]
fn a_seed_always_gives_the_same_program() {
    assert_eq!(gen::program(42), gen::program(42));
    assert_ne!(gen::program(42), gen::program(43));
}

/// A case whose output differs in one tier is reported with its seed and program and saved;
/// the cases around it are not. A tier that timed out is one report for the batch.
#[test]
fn a_divergence_is_reported_with_its_seed() {
    let run = |tier: &str, stdout: &str| Run {
        tier: tier.into(),
        status: 0,
        stdout: stdout.into(),
        stderr: String::new(),
        took: Duration::ZERO,
        timed_out: false,
    };
    let seeds = [900_001, 900_002, 900_003];
    let same = "#case 900001\n1\n#case 900002\n2\n#case 900003\n3\n";
    let other = "#case 900001\n1\n#case 900002\n2.0\n#case 900003\n3\n";
    assert!(compare(&seeds, &[run("interp", same), run("jit", same)]).is_empty());
    let reports = compare(&seeds, &[run("interp", same), run("jit", other)]);
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(
        reports[0].starts_with("seed 900002 diverges"),
        "{}",
        reports[0]
    );
    assert!(reports[0].contains(&gen::program(900_002)));
    assert!(
        reports[0].contains(" - \"2\\n\"\n + \"2.0\\n\""),
        "{}",
        reports[0]
    );
    let mut hung = run("jit", "#case 900001\n1\n");
    hung.timed_out = true;
    let reports = compare(&seeds, &[run("interp", same), hung]);
    assert_eq!(reports.len(), 1, "{reports:?}");
    assert!(reports[0].contains("jit killed after"), "{}", reports[0]);
    let saved = save_dir().join("seed-900002.svs");
    assert!(std::fs::read_to_string(&saved)
        .expect("saved")
        .contains("case_900002()"));
    let _ = std::fs::remove_file(saved);
}

#[test]
fn every_tier_prints_the_same_for_random_programs() {
    let count = env_u64("SOLVRA_DIFF_COUNT").unwrap_or(CI_COUNT);
    let first = env_u64("SOLVRA_DIFF_SEED").unwrap_or(1);
    let batch = env_u64("SOLVRA_DIFF_BATCH").unwrap_or(DEFAULT_BATCH).max(1);
    let seeds: Vec<u64> = (first..first + count).collect();
    let batches: Vec<(usize, &[u64])> = seeds.chunks(batch as usize).enumerate().collect();
    let dir = std::env::temp_dir().join(format!("solvrac-diff-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let started = Instant::now();
    let results = on_two_workers(&batches, |(i, s)| check_batch(*i, s, &dir));
    let mut per_tier: BTreeMap<String, Duration> = BTreeMap::new();
    let mut reports = Vec::new();
    for (r, took) in results {
        reports.extend(r);
        for (tier, t) in took {
            *per_tier.entry(tier).or_default() += t;
        }
    }
    let tiers: Vec<String> = per_tier
        .iter()
        .map(|(tier, t)| format!("{tier} {:.1} s", t.as_secs_f64()))
        .collect();
    eprintln!(
        "differential: {count} programs (seeds {first}..={}), {} batches, {:.1} s ({})",
        first + count - 1,
        batches.len(),
        started.elapsed().as_secs_f64(),
        tiers.join(", ")
    );
    if reports.is_empty() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(
        reports.is_empty(),
        "{} divergences:\n\n{}",
        reports.len(),
        reports.join("\n\n")
    );
}
