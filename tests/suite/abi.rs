//! The runtime's C ABI on every target: a C program (tests/data/abi/abi_check.c) calls runtime
//! functions with 64-bit integers, doubles, pointers and pointer-sized counts, linked with each
//! target's runtime library, and runs natively or under qemu-user. On ARMv7 this is where a
//! register-pair or VFP mismatch between Rust and C/LLVM would show.

use crate::frontend::repo_root;
use std::process::Command;

/// (C compiler, runtime library relative to the repository, emulator, static)
const TARGETS: &[(&str, &str, Option<&str>, bool)] = &[
    ("cc", "target/debug/libsolvra_rt.a", None, false),
    (
        "aarch64-linux-gnu-gcc",
        "target/cross-runtime/aarch64-unknown-linux-gnu/libsolvra_rt.a",
        Some("qemu-aarch64"),
        true,
    ),
    (
        "arm-linux-gnueabihf-gcc",
        "target/cross-runtime/armv7-unknown-linux-gnueabihf/libsolvra_rt.a",
        Some("qemu-arm"),
        true,
    ),
];

#[test]
fn c_abi_round_trips_on_every_target() {
    let root = repo_root();
    let src = root.join("tests/data/abi/abi_check.c");
    let want = std::fs::read_to_string(root.join("tests/data/abi/abi_check.out"))
        .expect("expected output");
    let dir = std::env::temp_dir().join(format!("solvrac-abi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (cc, lib, emulator, static_link) in TARGETS {
        let lib = root.join(lib);
        if !lib.is_file() {
            assert!(
                std::env::var_os("CI").is_none(),
                "{} missing (test.sh builds it)",
                lib.display()
            );
            eprintln!("abi: skipping {cc}: {} not built", lib.display());
            continue;
        }
        let exe = dir.join(cc.replace('-', "_"));
        let mut build = Command::new(cc);
        build.arg("-O1").arg(&src).arg(&lib);
        if *static_link {
            build.arg("-static");
        } else {
            build.arg("-lgcc_s");
        }
        let out = build
            .args(["-lutil", "-lrt", "-lpthread", "-lm", "-ldl", "-o"])
            .arg(&exe)
            .output()
            .expect("run the C compiler");
        assert!(
            out.status.success(),
            "{cc} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let run = match emulator {
            Some(qemu) => Command::new(qemu).arg(&exe).output(),
            None => Command::new(&exe).output(),
        }
        .expect("run the ABI check");
        assert!(
            run.status.success(),
            "{cc}: exit {:?}\n{}",
            run.status,
            String::from_utf8_lossy(&run.stderr)
        );
        assert_eq!(
            String::from_utf8_lossy(&run.stdout),
            want,
            "{cc}: output differs"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
