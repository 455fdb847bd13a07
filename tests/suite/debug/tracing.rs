//! `SOLVRA_TRACE`: an async program that reads files, drives a simulated GPIO line and makes
//! garbage writes, in every tier, a trace that is valid trace-event JSON (checked by Python's
//! `json` module against the format's rules) with task switches and spans, collections, system
//! calls and HAL operations; `build --trace` and `run --trace` add every call and return.

use super::{scratch, text};
use crate::frontend::repo_root;
use std::path::Path;
use std::process::{Command, Stdio};

/// Checks a trace file and prints `CATEGORY PHASE` for every kind of event in it.
const CHECK: &str = r#"
import json, sys
doc = json.load(open(sys.argv[1]))
events = doc["traceEvents"]
kinds = set()
open_calls = {}
called = set()
for e in events:
    assert e["ph"] in ("X", "i", "M", "B", "E"), e
    if e["ph"] == "B":
        open_calls.setdefault(e["tid"], []).append(e["name"])
        called.add(e["name"])
    if e["ph"] == "E":
        assert open_calls.get(e["tid"]), "a return without a call: %s" % e
        open_calls[e["tid"]].pop()
    assert isinstance(e["pid"], int) and isinstance(e["tid"], int), e
    assert e["ph"] == "E" or (isinstance(e["name"], str) and e["name"]), e
    if e["ph"] != "M":
        assert isinstance(e["ts"], (int, float)) and e["ts"] >= 0, e
        assert isinstance(e["args"], dict), e
    if e["ph"] == "X":
        assert isinstance(e["dur"], (int, float)) and e["dur"] >= 0, e
    kinds.add("%s %s" % (e.get("cat", "meta"), e["ph"]))
    if e.get("cat") == "gc":
        assert e["args"]["before"] >= e["args"]["after"], e
assert not any(open_calls.values()), "calls that never returned: %s" % open_calls
for k in sorted(kinds):
    print(k)
if called:
    print("called: " + " ".join(sorted(called)))
names = sorted(set(e["name"] for e in events if e.get("cat") in ("syscall", "hal")))
print(" ".join(names))
"#;

fn run_traced(cmd: &mut Command, trace: &Path) -> String {
    let out = cmd
        .env("SOLVRA_TRACE", trace)
        .env(
            "SOLVRA_HAL_SIM",
            repo_root().join("examples/hal_devices.json"),
        )
        // A small first collection threshold, so the garbage is collected while tasks run.
        .env("SOLVRA_GC_INITIAL_HEAP", "65536")
        .current_dir(repo_root().join("tests/data/tracing"))
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    assert_eq!(
        text(&out.stdout),
        "384 blinked 6000\n",
        "{}",
        text(&out.stderr)
    );
    let check = Command::new("python3")
        .args(["-c", CHECK])
        .arg(trace)
        .output()
        .expect("python3 runs (scripts/setup.sh installs it)");
    assert!(
        check.status.success(),
        "invalid trace: {}",
        text(&check.stderr)
    );
    text(&check.stdout)
}

#[test]
fn an_async_program_writes_a_trace_in_every_tier() {
    let dir = scratch("tracing");
    let solvrac = env!("CARGO_BIN_EXE_solvrac");
    let exe = dir.join("async_io");
    let build = Command::new(solvrac)
        .args(["build", "async_io.svs", "-o"])
        .arg(&exe)
        .current_dir(repo_root().join("tests/data/tracing"))
        .output()
        .expect("solvrac runs");
    assert!(build.status.success(), "{}", text(&build.stderr));
    let mut kinds = Vec::new();
    for tier in ["interp", "jit", "auto", "native"] {
        let trace = dir.join(format!("{tier}.json"));
        let mut cmd = if tier == "native" {
            Command::new(&exe)
        } else {
            let mut c = Command::new(solvrac);
            c.args(["run", &format!("--tier={tier}"), "--jit-threshold=1"])
                .args(["async_io.svs"])
                .env("SOLVRAC_CACHE_DIR", dir.join("cache"));
            c
        };
        kinds.push((tier, run_traced(&mut cmd, &trace)));
    }
    let _ = std::fs::remove_dir_all(&dir);
    let want = "gc X\nhal X\nmeta M\nsyscall X\ntask X\ntask i\n\
                __fs_open __fs_read __hal_close __hal_gpio_request __hal_gpio_set __sys_close\n";
    for (tier, got) in kinds {
        assert_eq!(got, want, "{tier}");
    }
}

/// `build --trace` executables and `run --trace` in every tier add a begin and an end event
/// for every call, balanced on each task's track, naming the same functions.
#[test]
fn traced_calls_and_returns_in_every_tier() {
    let dir = scratch("trace-calls");
    let solvrac = env!("CARGO_BIN_EXE_solvrac");
    let exe = dir.join("async_io");
    let build = Command::new(solvrac)
        .args(["build", "--trace", "async_io.svs", "-o"])
        .arg(&exe)
        .current_dir(repo_root().join("tests/data/tracing"))
        .output()
        .expect("solvrac runs");
    assert!(build.status.success(), "{}", text(&build.stderr));
    let mut calls = Vec::new();
    for tier in ["native", "interp", "jit", "auto"] {
        let mut cmd = if tier == "native" {
            Command::new(&exe)
        } else {
            let mut c = Command::new(solvrac);
            c.args([
                "run",
                "--trace",
                &format!("--tier={tier}"),
                "--jit-threshold=1",
            ])
            .arg("async_io.svs")
            .env("SOLVRAC_CACHE_DIR", dir.join("cache"));
            c
        };
        let got = run_traced(&mut cmd, &dir.join(format!("{tier}.json")));
        assert!(got.contains("call B\ncall E\n"), "{tier}: {got}");
        let called = got
            .lines()
            .find_map(|l| l.strip_prefix("called: "))
            .expect("calls")
            .to_string();
        // The program's functions and the standard modules' (`fs.open`, `hal.gpio_set`, …).
        for f in [
            "<top level>",
            "blinker",
            "garbage",
            "reader",
            "open",
            "gpio_set",
        ] {
            assert!(called.contains(f), "{tier}: {f} not in {called}");
        }
        calls.push((tier, called));
    }
    let _ = std::fs::remove_dir_all(&dir);
    for (tier, called) in &calls[1..] {
        assert_eq!(
            called, &calls[0].1,
            "{tier} calls other functions than native code"
        );
    }
}

#[test]
fn without_the_variable_nothing_is_written() {
    let dir = scratch("no-trace");
    std::fs::write(dir.join("p.svs"), "println(1)\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_solvrac"))
        .args(["run", "--tier=interp", "p.svs"])
        .env_remove("SOLVRA_TRACE")
        .current_dir(&dir)
        .output()
        .expect("solvrac runs");
    assert_eq!(text(&out.stdout), "1\n");
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert_eq!(files.len(), 1, "only p.svs");
    let bad = Command::new(env!("CARGO_BIN_EXE_solvrac"))
        .args(["run", "--tier=interp", "p.svs"])
        .env("SOLVRA_TRACE", dir.join("missing/dir/t.json"))
        .current_dir(&dir)
        .output()
        .expect("solvrac runs");
    assert_eq!(bad.status.code(), Some(0), "the program's outcome stands");
    assert!(
        text(&bad.stderr).starts_with("solvra: cannot write the trace "),
        "{}",
        text(&bad.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
