//! The `hal` module's device policy through the real `solvrac`, under the simulator: the
//! environment's policy and the one `build --allow-device` embeds refuse what they do not name,
//! the environment narrows the build's policy and never widens it, and the audit log records
//! every refusal. The examples (examples/hal_*.svs) and tests/data/conformance/hal_api.svs run
//! as conformance programs in every tier, natively and under qemu; the drivers themselves are
//! unit-tested in hal/ against the simulator and prepared /dev and /sys trees.

use crate::frontend::repo_root;
use crate::net::{solvrac, Proc, TempDir};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Runs `cmd` under the simulator `sim` with extra `env`: (exit code, stdout, stderr).
fn run(mut cmd: Command, sim: &Path, env: &[(&str, &str)], what: &str) -> (i32, String, String) {
    cmd.env("SOLVRA_HAL_SIM", sim)
        .env_remove("SOLVRA_HAL_ALLOW")
        .env_remove("SOLVRA_HAL_AUDIT");
    cmd.envs(env.iter().copied());
    let (status, lines, stderr) = Proc::start(cmd, what).finish();
    let stdout: String = lines.iter().map(|l| format!("{l}\n")).collect();
    (status.code().unwrap_or(-1), stdout, stderr)
}

/// Checks a run against the program's `.out` file.
#[cfg(feature = "llvm")]
fn expect_output(program: &Path, got: (i32, String, String), tier: &str) {
    let want = std::fs::read_to_string(program.with_extension("out")).expect(".out file");
    let name = program.file_name().unwrap().to_string_lossy();
    assert_eq!(got.0, 0, "{name} [{tier}] failed:\n{}", got.2);
    assert_eq!(got.1, want, "{name} [{tier}] printed something else");
}

/// Builds `program` for `target` into `dir` with extra build arguments.
#[cfg(feature = "llvm")]
fn build(dir: &TempDir, program: &Path, target: &str, extra: &[&str]) -> PathBuf {
    let stem = program.file_stem().unwrap().to_string_lossy();
    let exe = dir.0.join(format!("{stem}-{target}"));
    let mut args = vec![
        "build".to_string(),
        "-O2".into(),
        "--target".into(),
        target.into(),
        program.to_string_lossy().into_owned(),
        "-o".into(),
        exe.to_string_lossy().into_owned(),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (status, _, stderr) = Proc::start(solvrac(&args), "solvrac build").finish();
    assert!(
        status.success(),
        "building {stem} for {target} failed:\n{stderr}"
    );
    exe
}

/// Audit lines as (device, operation, result); each line must be JSON with a UTC time.
fn audit_lines(path: &Path) -> Vec<(String, String, String)> {
    let text = std::fs::read_to_string(path).expect("audit log written");
    text.lines()
        .map(|line| {
            let field = |key: &str| -> String {
                let start = line
                    .find(&format!("\"{key}\":\""))
                    .unwrap_or_else(|| panic!("no {key} in {line}"))
                    + key.len()
                    + 4;
                let end = start + line[start..].find('"').expect("closing quote");
                line[start..end].to_string()
            };
            assert!(
                line.starts_with("{\"time\":\"") && field("time").ends_with('Z'),
                "{line}"
            );
            (field("device"), field("operation"), field("result"))
        })
        .collect()
}

fn triples(items: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    items
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

#[test]
fn the_environment_policy_denies_and_the_audit_log_records_it() {
    let dir = TempDir::new("hal-policy");
    let log = dir.0.join("audit.jsonl");
    let root = repo_root();
    let program = root.join("examples/hal_blink.svs");
    let cmd = solvrac(&["run", &program.to_string_lossy()]);
    let (status, stdout, stderr) = run(
        cmd,
        &root.join("examples/hal_devices.json"),
        &[
            ("SOLVRA_HAL_ALLOW", "gpiochip0/27"),
            ("SOLVRA_HAL_AUDIT", log.to_str().unwrap()),
        ],
        "blink",
    );
    assert_eq!(status, 1);
    assert_eq!(stdout, "chip gpiochip0 (sim-gpio) has 32 lines\n");
    assert!(
        stderr.starts_with("runtime error: permission denied by device policy: gpiochip0/17\n"),
        "{stderr}"
    );
    assert_eq!(
        audit_lines(&log),
        triples(&[
            ("gpiochip0", "gpio_chip_info", "ok"),
            ("gpiochip0/17", "gpio_request", "denied"),
        ])
    );
}

/// `--allow-device` is embedded in the executable; the environment narrows it and cannot widen it.
#[cfg(feature = "llvm")]
#[test]
fn the_build_policy_is_embedded_and_only_narrowed_at_run_time() {
    let dir = TempDir::new("hal-build-policy");
    let root = repo_root();
    let program = root.join("examples/hal_blink.svs");
    let sim = root.join("examples/hal_devices.json");
    let exe = build(
        &dir,
        &program,
        "x86_64-linux-gnu",
        &[
            "--allow-device",
            "gpiochip0/17",
            "--allow-device",
            "leds/led0",
        ],
    );
    expect_output(
        &program,
        run(Command::new(&exe), &sim, &[], "blink"),
        "allowed",
    );

    let log = dir.0.join("audit.jsonl");
    let (status, _, stderr) = run(
        Command::new(&exe),
        &sim,
        &[
            ("SOLVRA_HAL_ALLOW", "gpiochip0/17"),
            ("SOLVRA_HAL_AUDIT", log.to_str().unwrap()),
        ],
        "blink",
    );
    assert_eq!(status, 1);
    assert!(
        stderr.starts_with("runtime error: permission denied by device policy: leds/led0\n"),
        "{stderr}"
    );
    assert_eq!(
        audit_lines(&log).last().unwrap(),
        &triples(&[("leds/led0", "led_set", "denied")])[0]
    );

    let (status, _, stderr) = run(
        Command::new(&exe),
        &sim,
        &[("SOLVRA_HAL_ALLOW", "gpiochip0,leds")],
        "blink",
    );
    assert_eq!(status, 0, "{stderr}");
    let (status, _, stderr) = run(
        Command::new(&exe),
        &sim,
        &[("SOLVRA_HAL_ALLOW", "*")],
        "blink",
    );
    assert_eq!(status, 0, "{stderr}");
    // Under qemu-user too: /proc/self/exe is the program, not the emulator.
    if repo_root()
        .join("target/cross-runtime/aarch64-unknown-linux-gnu/libsolvra_rt.a")
        .is_file()
    {
        let arm = build(
            &dir,
            &program,
            "aarch64-linux-gnu",
            &["--allow-device", "gpiochip0/4"],
        );
        let mut cmd = Command::new("qemu-aarch64");
        cmd.arg(&arm);
        let (status, _, stderr) = run(cmd, &sim, &[], "blink under qemu");
        assert_eq!(status, 1);
        assert!(
            stderr.contains("permission denied by device policy: gpiochip0/17"),
            "{stderr}"
        );
    }
    let narrow = build(
        &dir,
        &program,
        "x86_64-linux-gnu",
        &["--allow-device", "gpiochip0/4"],
    );
    let (status, _, stderr) = run(
        Command::new(&narrow),
        &sim,
        &[("SOLVRA_HAL_ALLOW", "*")],
        "blink",
    );
    assert_eq!(status, 1);
    assert!(
        stderr.contains("permission denied by device policy: gpiochip0/17"),
        "{stderr}"
    );
}

#[test]
fn a_bad_simulator_file_is_a_runtime_error() {
    let dir = TempDir::new("hal-bad-sim");
    let sim = dir.0.join("bad.json");
    std::fs::write(&sim, "{\"gpio\": [{\"lines\": 0}]}").unwrap();
    let program = repo_root().join("examples/hal_blink.svs");
    let cmd = solvrac(&["run", &program.to_string_lossy()]);
    let (status, _, stderr) = run(cmd, &sim, &[], "blink");
    assert_eq!(status, 1);
    assert!(
        stderr.starts_with(&format!(
            "runtime error: SOLVRA_HAL_SIM: {}: gpio[0]: \"lines\" must be 1 to 512",
            sim.display()
        )),
        "{stderr}"
    );
}
