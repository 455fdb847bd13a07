//! Device tests under a real Linux kernel: the programs in `tests/data/kernel` are cross-built for
//! AArch64, packed into one initramfs whose busybox `/init` runs each in turn, and Debian's arm64
//! kernel boots it once under qemu-system-aarch64's `virt` machine (PL061 GPIO as
//! `/dev/gpiochip0`, a virtio disk as `/dev/vda`). Each program's stdout, stderr and exit status
//! come back over the serial console and must match its `.out`/`.status`/`.stderr` files exactly,
//! as in the conformance suite. docs/HAL_KERNEL.md explains the layout and how to add a program.
//!
//! `scripts/setup.sh` puts the kernel, its virtio modules and busybox in `/opt/solvrac/kernel`
//! (`SOLVRAC_KERNEL_DIR` overrides it) and installs qemu-system-arm and cpio.

use crate::conformance::{
    arm_targets, expected, mismatches, on_two_workers, run_limited, run_solvrac,
};
use crate::frontend::{repo_root, svs_files};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The whole boot: kernel start-up (~1.5 s unloaded) plus every program.
const BOOT_LIMIT: Duration = Duration::from_secs(120);
/// One program inside the VM; busybox `timeout` kills it after this, so one hang leaves time
/// for the rest and is reported as that program's failure.
const PROGRAM_LIMIT_SECS: u32 = 30;
/// Starts every line the init script writes; program output is framed by these lines.
const MARK: &str = "@@solvrac-kernel@@";
/// The first bytes of the virtio disk (`/dev/vda`), which a program can read back.
const DISK_SIGNATURE: &str = "SOLVRAC-KERNEL-DISK v1\n";
/// 1 MiB: 2048 sectors of 512 bytes.
const DISK_BYTES: u64 = 1 << 20;

/// Where the kernel, modules and busybox are, and which qemu runs them.
struct Kernel {
    dir: PathBuf,
    qemu: String,
}

impl Kernel {
    /// The installed kernel, or what is missing and how to get it.
    fn find() -> Result<Kernel, String> {
        let dir = std::env::var_os("SOLVRAC_KERNEL_DIR")
            .map_or_else(|| PathBuf::from("/opt/solvrac/kernel"), PathBuf::from);
        let mut missing: Vec<String> = ["vmlinuz", "busybox", "modules"]
            .iter()
            .map(|f| dir.join(f))
            .filter(|p| !p.exists())
            .map(|p| p.display().to_string())
            .collect();
        let qemu = "qemu-system-aarch64".to_string();
        let qemu_runs = Command::new(&qemu)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !qemu_runs {
            missing.push(qemu.clone());
        }
        if missing.is_empty() {
            Ok(Kernel { dir, qemu })
        } else {
            Err(format!(
                "the device-test kernel is not installed (missing: {}); run `bash scripts/setup.sh` \
                 (step 5 fetches Debian's arm64 kernel and busybox into $SOLVRAC_KERNEL_DIR, default \
                 /opt/solvrac/kernel; step 2 installs qemu-system-arm and cpio)",
                missing.join(", ")
            ))
        }
    }
}

/// A static AArch64 executable to run inside the VM, as `/progs/NAME`.
struct Guest {
    name: String,
    exe: PathBuf,
    /// `NAME=value` settings for its environment.
    env: Vec<String>,
}

/// What one program did inside the VM.
#[derive(Debug)]
struct Run {
    stdout: String,
    stderr: String,
    status: i32,
}

/// One boot: per program what it did, the whole console, and how long qemu ran.
struct Boot {
    runs: BTreeMap<String, Run>,
    console: String,
    elapsed: Duration,
}

/// Quotes `s` for the init script's shell.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

/// The busybox `/init`: mounts the kernel's file systems, loads the modules, runs each guest with
/// its output captured to files, then writes the output between marker lines and powers off.
/// Captured output (rather than a program writing straight to the console) keeps kernel messages
/// from landing inside it; `stty -onlcr` keeps the console from turning `\n` into `\r\n`.
fn init_script(guests: &[Guest]) -> String {
    let mut s = format!(
        r#"#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
mount -t devtmpfs dev /dev
mount -t proc proc /proc
mount -t sysfs sys /sys
mkdir -p /tmp /run
stty -onlcr
for m in /lib/modules/*.ko; do insmod "$m" || echo "{MARK} insmod failed: $m"; done
cd /
run() {{
  name=$1; shift
  env "$@" timeout -s KILL {PROGRAM_LIMIT_SECS} "/progs/$name" </dev/null >"/run/$name.out" 2>"/run/$name.err"
  status=$?
  echo "{MARK} begin $name"; cat "/run/$name.out"; echo
  echo "{MARK} stderr $name"; cat "/run/$name.err"; echo
  echo "{MARK} end $name $status"
}}
echo "{MARK} ready"
"#
    );
    for g in guests {
        let env: Vec<String> = g.env.iter().map(|e| sh_quote(e)).collect();
        s.push_str(&format!("run {} {}\n", g.name, env.join(" ")));
    }
    // `poweroff -f` does not sync: flush what the programs wrote to the disk first.
    s.push_str(&format!("echo \"{MARK} done\"\nsync\npoweroff -f\n"));
    s
}

/// Whether a console line is the kernel's (`[    1.234567] …`) rather than the init script's.
fn is_kernel_line(line: &str) -> bool {
    let Some(rest) = line.strip_prefix('[') else {
        return false;
    };
    let Some((stamp, _)) = rest.split_once(']') else {
        return false;
    };
    let stamp = stamp.trim_start();
    !stamp.is_empty() && stamp.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// The text after the line `MARK from` up to the line `MARK to…`, without the newline the init
/// script writes before that line, and the rest of `text` from that line on.
fn section<'a>(text: &'a str, from: &str, to: &str) -> Option<(String, &'a str)> {
    let open = format!("{MARK} {from}\n");
    let start = text.find(&open)? + open.len();
    let len = text[start..].find(&format!("\n{MARK} {to}"))?;
    Some((
        text[start..start + len].to_string(),
        &text[start + len + 1..],
    ))
}

/// Splits the console into each program's stdout, stderr and status; kernel lines are dropped
/// first, wherever they fall.
fn parse_console(console: &str, names: &[&str]) -> Result<BTreeMap<String, Run>, String> {
    let text: String = console
        .split_inclusive('\n')
        .filter(|l| !is_kernel_line(l))
        .collect();
    let mut runs = BTreeMap::new();
    for name in names {
        let missing = || format!("no complete output of {name} on the console");
        let (stdout, _) = section(&text, &format!("begin {name}"), &format!("stderr {name}\n"))
            .ok_or_else(missing)?;
        let (stderr, rest) = section(&text, &format!("stderr {name}"), &format!("end {name} "))
            .ok_or_else(missing)?;
        let status = rest
            .strip_prefix(&format!("{MARK} end {name} "))
            .and_then(|r| r.lines().next())
            .and_then(|s| s.trim().parse().ok())
            .ok_or_else(missing)?;
        runs.insert(
            name.to_string(),
            Run {
                stdout,
                stderr,
                status,
            },
        );
    }
    Ok(runs)
}

/// The last `n` lines of the console, for failure messages.
fn tail(console: &str, n: usize) -> String {
    let lines: Vec<&str> = console.lines().collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

impl Kernel {
    /// Packs `guests` into one initramfs, attaches `disk` as a virtio disk, boots once and
    /// returns what each guest did. A boot that fails, times out or loses a program's output is
    /// an error showing the end of the console.
    fn boot(&self, guests: &[Guest], disk: &Path, work: &Path) -> Result<Boot, String> {
        let root = work.join("initramfs");
        let _ = std::fs::remove_dir_all(&root);
        for d in ["bin", "dev", "proc", "sys", "progs", "lib/modules"] {
            std::fs::create_dir_all(root.join(d)).map_err(|e| format!("initramfs: {e}"))?;
        }
        let copy = |from: &Path, to: PathBuf| {
            std::fs::copy(from, &to)
                .map(|_| ())
                .map_err(|e| format!("copy {} to {}: {e}", from.display(), to.display()))
        };
        copy(&self.dir.join("busybox"), root.join("bin/busybox"))?;
        for m in std::fs::read_dir(self.dir.join("modules")).map_err(|e| e.to_string())? {
            let m = m.map_err(|e| e.to_string())?.path();
            copy(&m, root.join("lib/modules").join(m.file_name().unwrap()))?;
        }
        for g in guests {
            copy(&g.exe, root.join("progs").join(&g.name))?;
        }
        let init = root.join("init");
        std::fs::write(&init, init_script(guests)).map_err(|e| e.to_string())?;
        let chmod = Command::new("chmod")
            .args(["-R", "a+rx"])
            .arg(root.join("init"))
            .arg(root.join("bin"))
            .arg(root.join("progs"))
            .status()
            .map_err(|e| format!("chmod: {e}"))?;
        if !chmod.success() {
            return Err("chmod of the initramfs files failed".into());
        }
        // An uncompressed newc archive: the kernel unpacks it faster than a gzipped one, and it is
        // only a few MB.
        let cpio = work.join("initramfs.cpio");
        let packed = Command::new("sh")
            .arg("-c")
            .arg("find . | LC_ALL=C sort | cpio -o -H newc --quiet > \"$0\"")
            .arg(&cpio)
            .current_dir(&root)
            .status()
            .map_err(|e| format!("cpio: {e}"))?;
        if !packed.success() {
            return Err("packing the initramfs with cpio failed".into());
        }

        let mut qemu = Command::new(&self.qemu);
        // 256 MiB, a small board: a compiled program reserves a 1 GiB stack, mapped with
        // MAP_NORESERVE so that the kernel's overcommit heuristic never refuses it on a machine
        // with less memory (it once ran on a thread whose 1 GiB stack could not be reserved in
        // under 1.25 GiB of RAM, and the program exited with status 101).
        qemu.args(["-M", "virt", "-cpu", "cortex-a57", "-m", "256", "-smp", "1"])
            .args(["-display", "none", "-monitor", "none", "-serial", "stdio"])
            // No network card: the default one needs an option ROM that qemu-system-arm installed
            // without recommends lacks, and no test needs one.
            .args(["-nic", "none", "-no-reboot"])
            .arg("-kernel")
            .arg(self.dir.join("vmlinuz"))
            .arg("-initrd")
            .arg(&cpio)
            .args(["-append", "console=ttyAMA0 quiet panic=-1"])
            .arg("-drive")
            .arg(format!(
                "if=none,id=disk0,format=raw,file={}",
                disk.display()
            ))
            .args(["-device", "virtio-blk-device,drive=disk0"]);
        let start = Instant::now();
        let (out, timed_out) = run_limited(&mut qemu, BOOT_LIMIT)?;
        let elapsed = start.elapsed();
        let console = String::from_utf8_lossy(&out.stdout).into_owned();
        let failed = |why: String| {
            let lines = if console.trim().is_empty() {
                // `quiet` hides the kernel's boot messages, so an image that cannot boot at all
                // leaves nothing.
                format!(
                    "(nothing: the kernel wrote nothing to the serial console; check that {} is \
                     Debian's arm64 kernel image, or delete its directory and re-run \
                     scripts/setup.sh)",
                    self.dir.join("vmlinuz").display()
                )
            } else {
                tail(&console, 40)
            };
            format!(
                "{why}\nqemu stderr:\n{}\nlast console lines:\n{lines}",
                String::from_utf8_lossy(&out.stderr)
            )
        };
        if timed_out {
            return Err(failed(format!(
                "the VM did not power off within {} s",
                BOOT_LIMIT.as_secs()
            )));
        }
        if !out.status.success() {
            return Err(failed(format!("qemu exited with {}", out.status)));
        }
        if !console.contains(&format!("{MARK} done")) {
            return Err(failed("the init script did not finish".into()));
        }
        let names: Vec<&str> = guests.iter().map(|g| g.name.as_str()).collect();
        let runs = parse_console(&console, &names).map_err(failed)?;
        Ok(Boot {
            runs,
            console,
            elapsed,
        })
    }
}

/// A fresh disk image: the signature, then zeros.
fn make_disk(path: &Path) -> std::io::Result<()> {
    let mut f = std::fs::File::create(path)?;
    f.write_all(DISK_SIGNATURE.as_bytes())?;
    f.set_len(DISK_BYTES)
}

/// Lines of `program`'s `.EXT` file, without blank ones (none when there is no such file).
fn settings(program: &Path, ext: &str) -> Vec<String> {
    std::fs::read_to_string(program.with_extension(ext))
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(String::from)
        .collect()
}

/// Cross-builds `program` for AArch64 (static, stripped, -O2, plus the words of its `.build`
/// file) into `out_dir`.
fn build_guest(program: &Path, out_dir: &Path) -> Result<Guest, String> {
    let name = program.file_stem().unwrap().to_string_lossy().to_string();
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        return Err(format!(
            "{name}: kernel test names are letters, digits, _ and -"
        ));
    }
    let exe = out_dir.join(&name);
    let exe_s = exe.to_string_lossy().to_string();
    let file = format!("{name}.svs");
    let extra = settings(program, "build");
    let mut args = vec![
        "build",
        "-O2",
        "--target",
        "aarch64-linux-gnu",
        "--static",
        "--strip",
    ];
    args.extend(extra.iter().flat_map(|l| l.split_whitespace()));
    args.extend([file.as_str(), "-o", &exe_s]);
    let (status, _, stderr) =
        run_solvrac(&args, program.parent().unwrap()).map_err(|e| format!("{name}: build: {e}"))?;
    if status != 0 {
        return Err(format!("{name}: build failed:\n{stderr}"));
    }
    let env = settings(program, "env");
    if let Some(bad) = env.iter().find(|l| !l.contains('=')) {
        return Err(format!("{name}.env: {bad:?} is not NAME=value"));
    }
    Ok(Guest { name, exe, env })
}

/// Every program in `tests/data/kernel` runs under the real arm64 kernel, in one boot, and prints
/// exactly its `.out`, exits with its `.status` (default 0) and writes to stderr exactly when a
/// `.stderr` file gives the start. Needs the kernel and qemu from scripts/setup.sh and the AArch64
/// runtime from scripts/build-cross-runtime.sh; outside CI, missing ones skip the test with a
/// message. Runs only when AArch64 is one of the cross targets (`conformance::arm_targets`).
#[test]
fn device_programs_run_under_a_real_kernel() {
    let root = repo_root();
    if !arm_targets().iter().any(|t| t.name == "aarch64-linux-gnu") {
        eprintln!("kernel test skipped: AArch64 is not among SOLVRAC_CROSS_TARGETS");
        return;
    }
    let kernel = Kernel::find();
    let kernel = match kernel {
        Ok(k) => k,
        Err(why) => {
            assert!(std::env::var_os("CI").is_none(), "{why}");
            eprintln!("kernel test skipped: {why}");
            return;
        }
    };
    let programs = svs_files(&root.join("tests/data/kernel"));
    assert!(!programs.is_empty(), "no programs in tests/data/kernel");
    let work = std::env::temp_dir().join(format!("solvrac-kernel-{}", std::process::id()));
    std::fs::create_dir_all(&work).expect("temp dir");

    let start = Instant::now();
    let mut guests = Vec::new();
    let mut build_errors = Vec::new();
    for built in on_two_workers(&programs, |p| build_guest(p, &work)) {
        match built {
            Ok(g) => guests.push(g),
            Err(e) => build_errors.push(e),
        }
    }
    assert!(
        build_errors.is_empty(),
        "{} kernel programs did not build:\n\n{}",
        build_errors.len(),
        build_errors.join("\n\n")
    );
    let built = start.elapsed();

    let disk = work.join("disk.img");
    make_disk(&disk).expect("disk image");
    let boot = kernel
        .boot(&guests, &disk, &work)
        .unwrap_or_else(|e| panic!("booting the kernel failed: {e}"));
    eprintln!(
        "kernel test: {} programs built in {:.1} s, one boot ran them in {:.1} s",
        guests.len(),
        built.as_secs_f64(),
        boot.elapsed.as_secs_f64()
    );

    let failures: Vec<String> = programs
        .iter()
        .zip(&guests)
        .filter_map(|(program, guest)| {
            let run = &boot.runs[&guest.name];
            let problems = mismatches(&expected(program), &run.stdout, run.status, &run.stderr);
            (!problems.is_empty())
                .then(|| format!("{} [kernel]: {}", guest.name, problems.join("\n")))
        })
        .collect();
    let disk_after = std::fs::read(&disk).expect("read the disk image back");
    let _ = std::fs::remove_dir_all(&work);
    assert!(
        failures.is_empty(),
        "{} of {} kernel programs failed:\n\n{}\n\nlast console lines:\n{}",
        failures.len(),
        guests.len(),
        failures.join("\n\n"),
        tail(&boot.console, 40)
    );
    // virtio_disk.svs writes this line at byte 4096: the write reached the host's image.
    let written = b"written by the guest\n";
    assert_eq!(
        &disk_after[4096..4096 + written.len()],
        written,
        "the guest's write to /dev/vda is not in the disk image"
    );
}

/// The console parser keeps program output byte-exact (no trailing newline, empty output, a
/// line that looks like a marker's prefix) and drops the kernel's lines around and inside it.
#[test]
fn console_output_is_split_per_program() {
    let console = format!(
        "[    0.000000] Booting Linux\r\n{MARK} ready\n\
         {MARK} begin a\none\n[    1.5] virtio_blk: noise\r\ntwo\n\n{MARK} stderr a\n\n{MARK} end a 0\n\
         {MARK} begin b\nno newline\n{MARK} stderr b\nruntime error: x\n\n{MARK} end b 1\n\
         {MARK} done\n[    2.0] reboot: Power down\r\n"
    );
    let runs = parse_console(&console, &["a", "b"]).expect("parses");
    assert_eq!(runs["a"].stdout, "one\ntwo\n");
    assert_eq!(runs["a"].stderr, "");
    assert_eq!(runs["a"].status, 0);
    assert_eq!(runs["b"].stdout, "no newline");
    assert_eq!(runs["b"].stderr, "runtime error: x\n");
    assert_eq!(runs["b"].status, 1);
    let err = parse_console(&console, &["a", "c"]).unwrap_err();
    assert!(err.contains("no complete output of c"), "{err}");
    assert!(is_kernel_line("[   12.345678] gpio: x\r\n"));
    assert!(!is_kernel_line("[1, 2]\n"));
    assert!(!is_kernel_line("[] \n"));
}
