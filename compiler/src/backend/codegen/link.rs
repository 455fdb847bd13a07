//! The linker driver: links an object file with the runtime library into an executable.

use super::Target;
use std::path::{Path, PathBuf};
use std::process::Command;

/// System libraries the Rust runtime library needs (`rustc --print native-static-libs`).
const SYSTEM_LIBS: &[&str] = &[
    "-lgcc_s",
    "-lutil",
    "-lrt",
    "-lpthread",
    "-lm",
    "-ldl",
    "-lc",
];
/// The same for a static executable (`libgcc_s` exists only as a shared library).
const STATIC_LIBS: &[&str] = &["-lutil", "-lrt", "-lpthread", "-lm", "-ldl", "-lc"];

/// Finds `libsolvra_rt.a` for `target`: `$SOLVRA_RUNTIME_LIB`; for the host, beside the solvrac
/// executable (where cargo builds it); for a cross target, `target/cross-runtime/<triple>/`
/// next to that (where `scripts/build-cross-runtime.sh` puts it); or under `../lib/solvrac/`
/// of an installed solvrac.
pub fn find_runtime(target: &Target) -> Result<PathBuf, String> {
    if let Ok(p) = std::env::var("SOLVRA_RUNTIME_LIB") {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(format!(
                "SOLVRA_RUNTIME_LIB names {}, which does not exist",
                p.display()
            ))
        };
    }
    let exe = std::env::current_exe().map_err(|e| format!("cannot locate solvrac itself: {e}"))?;
    let dir = exe.parent().unwrap_or(Path::new("."));
    let candidates: Vec<PathBuf> = if target.native {
        vec![
            dir.join("libsolvra_rt.a"),
            dir.join("../lib/solvrac/libsolvra_rt.a"),
        ]
    } else {
        let sub = format!("cross-runtime/{}/libsolvra_rt.a", target.rust_triple);
        vec![
            dir.join("..").join(&sub),
            dir.join(format!(
                "../lib/solvrac/{}/libsolvra_rt.a",
                target.rust_triple
            )),
        ]
    };
    candidates.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
        if target.native {
            "cannot find the runtime library libsolvra_rt.a; build it with `cargo build -p solvra_rt` \
             (it lands beside solvrac) or point SOLVRA_RUNTIME_LIB at it"
                .to_string()
        } else {
            format!(
                "cannot find the runtime library for {}; build it with `bash scripts/build-cross-runtime.sh {}` \
                 or point SOLVRA_RUNTIME_LIB at it",
                target.name, target.rust_triple
            )
        }
    })
}

/// Links `object` and the runtime into `output` with `linker` (a C compiler driver).
pub fn link(
    linker: &str,
    object: &Path,
    runtime: &Path,
    output: &Path,
    static_link: bool,
    strip: bool,
) -> Result<(), String> {
    let mut cmd = Command::new(linker);
    cmd.arg(object).arg(runtime);
    if static_link {
        cmd.arg("-static").args(STATIC_LIBS);
    } else {
        cmd.args(SYSTEM_LIBS);
    }
    cmd.arg("-Wl,--gc-sections");
    if strip {
        cmd.arg("-s");
    }
    let result = cmd.arg("-o").arg(output).output();
    match result {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            // glibc's static-linking warnings about getpwuid_r/getaddrinfo are harmless.
            Err(format!("the linker `{linker}` failed:\n{stderr}"))
        }
        Err(e) => Err(format!(
            "cannot run the linker `{linker}`: {e}; install it (scripts/setup.sh installs the cross linkers) or pass --linker"
        )),
    }
}
