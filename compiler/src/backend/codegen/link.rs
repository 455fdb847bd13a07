//! The linker driver: links an object file with the runtime library into an executable.

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

/// Finds `libsolvra_rt.a`: `$SOLVRA_RUNTIME_LIB`, else beside the solvrac executable (as
/// cargo builds them), else under `../lib/solvrac` of an installed solvrac.
pub fn find_runtime() -> Result<PathBuf, String> {
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
    let candidates = [
        dir.join("libsolvra_rt.a"),
        dir.join("../libsolvra_rt.a"),
        dir.join("../lib/solvrac/libsolvra_rt.a"),
    ];
    candidates.iter().find(|p| p.is_file()).cloned().ok_or_else(|| {
        "cannot find the runtime library libsolvra_rt.a; build it with `cargo build -p solvra_rt` \
         (it lands beside solvrac) or point SOLVRA_RUNTIME_LIB at it"
            .to_string()
    })
}

/// Links `object` and the runtime into `output` with `linker` (a C compiler driver).
pub fn link(linker: &str, object: &Path, runtime: &Path, output: &Path) -> Result<(), String> {
    let result = Command::new(linker)
        .arg(object)
        .arg(runtime)
        .args(SYSTEM_LIBS)
        .arg("-o")
        .arg(output)
        .output();
    match result {
        Ok(out) if out.status.success() => Ok(()),
        Ok(out) => Err(format!(
            "the linker `{linker}` failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )),
        Err(e) => Err(format!(
            "cannot run the linker `{linker}`: {e}; install a C compiler (apt-get install build-essential) or pass --linker"
        )),
    }
}
