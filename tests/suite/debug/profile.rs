//! `build --profile` and `solvrac profile`: a profiled executable writes its block counts when
//! it ends, `profile report` ranks functions and lines by the instructions they executed,
//! `profile flamegraph` draws them, and `build --profile-use` turns them into branch weights.

use super::{scratch, solvrac, text};
use std::process::{Command, Stdio};

const HOT: &str = r#"fn fib(n) {
    if n < 2 {
        return n
    }
    return fib(n - 1) + fib(n - 2)
}
fn cold(x) {
    return x + 1
}
println(fib(15), " ", cold(1))
"#;

#[test]
fn a_profiled_program_reports_its_hottest_code() {
    let dir = scratch("profile");
    std::fs::write(dir.join("hot.svs"), HOT).unwrap();
    let cache = dir.join("cache");
    let build = solvrac(
        &["build", "--profile", "hot.svs", "-o", "hot"],
        &dir,
        &cache,
    );
    assert!(build.status.success(), "{}", text(&build.stderr));
    let run = Command::new(dir.join("hot"))
        .current_dir(&dir)
        .env_remove("SOLVRA_PROFILE")
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    assert_eq!(text(&run.stdout), "610 2\n");
    let profile = std::fs::read_to_string(dir.join("hot.svprof")).expect("hot.svprof written");
    let blocks = solvrac::profile::parse(&profile).expect("a valid profile");
    // fib(15) makes 1973 calls: its entry block ran that often, its recursive block 986 times.
    let fib_entry = blocks
        .iter()
        .find(|b| b.function == "fib" && b.pc == 0)
        .expect("fib's entry block");
    assert_eq!(fib_entry.count, 1973);
    let counts: Vec<u64> = blocks
        .iter()
        .filter(|b| b.function == "fib")
        .map(|b| b.count)
        .collect();
    assert!(counts.contains(&987) && counts.contains(&986), "{counts:?}");
    assert!(blocks
        .iter()
        .any(|b| b.function == "cold" && b.count == 1 && b.file == "hot.svs" && b.line == 8));

    let report = solvrac(
        &["profile", "report", "hot.svprof", "--top", "2"],
        &dir,
        &cache,
    );
    assert_eq!(report.status.code(), Some(0), "{}", text(&report.stderr));
    let report = text(&report.stdout);
    let lines: Vec<&str> = report.lines().collect();
    assert!(
        lines[0].ends_with(" bytecode instructions executed"),
        "{report}"
    );
    assert_eq!(lines[2], "hottest functions:");
    assert!(lines[3].ends_with("  fib (hot.svs)"), "{report}");
    assert!(lines[6].starts_with("hottest lines:"), "{report}");
    assert!(lines[7].contains("  hot.svs:"), "{report}");

    let svg = solvrac(
        &["profile", "flamegraph", "hot.svprof", "-o", "hot.svg"],
        &dir,
        &cache,
    );
    assert_eq!(svg.status.code(), Some(0), "{}", text(&svg.stderr));
    let svg = std::fs::read_to_string(dir.join("hot.svg")).expect("hot.svg written");
    assert!(
        svg.starts_with("<?xml") && svg.contains("<svg"),
        "{}",
        &svg[..200.min(svg.len())]
    );
    assert!(svg.contains("fib") && svg.contains("instructions"));

    // The counts come back as branch weights: fib's `if` was false 986 times of 1973.
    let ir = solvrac(
        &[
            "build",
            "--profile-use",
            "hot.svprof",
            "--emit",
            "llvm-ir",
            "hot.svs",
            "-o",
            "hot.ll",
        ],
        &dir,
        &cache,
    );
    assert!(ir.status.success(), "{}", text(&ir.stderr));
    let ir = std::fs::read_to_string(dir.join("hot.ll")).unwrap();
    assert!(
        ir.contains(r#"!{!"branch_weights", i32 987, i32 986}"#),
        "no branch weights from the profile:\n{ir}"
    );
    let used = solvrac(
        &[
            "build",
            "-O2",
            "--profile-use",
            "hot.svprof",
            "hot.svs",
            "-o",
            "hot2",
        ],
        &dir,
        &cache,
    );
    assert!(used.status.success(), "{}", text(&used.stderr));
    let again = Command::new(dir.join("hot2")).output().expect("runs");
    assert_eq!(text(&again.stdout), "610 2\n");

    let bad = solvrac(&["profile", "report", "hot.svs"], &dir, &cache);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad.stderr).contains("not a solvra profile"),
        "{}",
        text(&bad.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_profile_goes_where_solvra_profile_says_and_exit_writes_it() {
    let dir = scratch("profile-env");
    std::fs::write(dir.join("p.svs"), "println(1)\nexit(3)\n").unwrap();
    let build = solvrac(
        &["build", "--profile", "p.svs", "-o", "p"],
        &dir,
        &dir.join("cache"),
    );
    assert!(build.status.success(), "{}", text(&build.stderr));
    let run = Command::new(dir.join("p"))
        .current_dir(&dir)
        .env("SOLVRA_PROFILE", dir.join("elsewhere.svprof"))
        .output()
        .expect("runs");
    assert_eq!(run.status.code(), Some(3));
    let profile = std::fs::read_to_string(dir.join("elsewhere.svprof")).expect("written at exit");
    let blocks = solvrac::profile::parse(&profile).unwrap();
    assert!(blocks
        .iter()
        .any(|b| b.function == "<top level>" && b.count == 1));
    assert!(!dir.join("p.svprof").exists());
    let _ = std::fs::remove_dir_all(&dir);
}
