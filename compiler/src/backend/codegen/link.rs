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

/// C source linked into static executables ahead of libc.a: a small `__isoc99_sscanf`.
///
/// std calls glibc's `pthread_getattr_np` for every thread it starts; for the process's initial
/// thread that function parses `/proc/self/maps` with `sscanf("%lx-%lx")`, and that one
/// reference drags glibc's whole scanf engine with strtod, strtof and strtold into every static
/// executable: 40 KiB on armv7, 70 KiB on aarch64, 90 KiB on x86_64. Nothing else in an
/// executable calls sscanf (Rust code has no scanf), so a definition here keeps libc.a's out.
/// It handles literal characters, white space, `%%` and the integer conversions `d u x X n`
/// with `*`, a field width and the length modifiers `hh h l ll j z t`, saturating like glibc
/// (checked against glibc on all three targets); any other conversion aborts with a message
/// rather than guess. Compiled by the linker driver itself (so for the right target);
/// if that fails the executable is linked without it, only bigger. Dynamic executables use
/// libc.so's sscanf.
const STATIC_SHIMS_C: &str = r#"#include <stdarg.h>
#include <stddef.h>

extern void abort(void);
extern long write(int, const void *, unsigned long);

static int solvra_space(int c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

static int solvra_digit(int c, int base) {
  int d = c >= '0' && c <= '9' ? c - '0'
          : (c | 32) >= 'a' && (c | 32) <= 'z' ? (c | 32) - 'a' + 10
          : 99;
  return d < base ? d : -1;
}

int __isoc99_sscanf(const char *s, const char *f, ...) {
  const char *start = s;
  int n = 0;
  va_list ap;
  va_start(ap, f);
  for (; *f; f++) {
    if (solvra_space((unsigned char)*f)) {
      while (solvra_space((unsigned char)*s)) s++;
      continue;
    }
    if (*f != '%') {
      if (*s != *f) {
        if (!*s && n == 0) n = -1; /* EOF: input failure before the first conversion */
        break;
      }
      s++;
      continue;
    }
    f++;
    if (*f == '%') {
      while (solvra_space((unsigned char)*s)) s++;
      if (*s != '%') {
        if (!*s && n == 0) n = -1;
        break;
      }
      s++;
      continue;
    }
    int suppress = *f == '*';
    if (suppress) f++;
    size_t width = 0;
    while (*f >= '0' && *f <= '9') width = width * 10 + (size_t)(*f++ - '0');
    if (width == 0) width = (size_t)-1;
    int size = 0; /* -2 hh, -1 h, 0 int, 1 long, 2 long long, 3 size_t, 4 intmax_t, 5 ptrdiff_t */
    if (*f == 'h') { size = -1; if (*++f == 'h') { size = -2; f++; } }
    else if (*f == 'l') { size = 1; if (*++f == 'l') { size = 2; f++; } }
    else if (*f == 'j') { size = 4; f++; }
    else if (*f == 'z') { size = 3; f++; }
    else if (*f == 't') { size = 5; f++; }
    unsigned long long v;
    if (*f == 'n') {
      v = (unsigned long long)(s - start);
    } else {
      int base = *f == 'd' || *f == 'u' ? 10 : *f == 'x' || *f == 'X' ? 16 : 0;
      if (!base) {
        static const char msg[] = "solvrac: unsupported sscanf conversion in a static executable\n";
        write(2, msg, sizeof msg - 1);
        abort();
      }
      while (solvra_space((unsigned char)*s)) s++;
      if (!*s) {
        if (n == 0) n = -1; /* EOF: input failure before the first conversion */
        break;
      }
      const char *p = s;
      int neg = 0;
      if ((*p == '-' || *p == '+') && width > 0) { neg = *p++ == '-'; width--; }
      const char *digits = p;
      if (base == 16 && width >= 2 && p[0] == '0' && (p[1] | 32) == 'x') {
        p += 2; /* "0x" alone reads as 0, as in glibc */
        width -= 2;
      }
      /* Saturate like strtol/strtoul (long long for ll and j), which glibc's scanf uses. */
      unsigned long long max = size == 2 || size == 4 ? ~0ULL : (unsigned long long)~0UL;
      int over = 0;
      v = 0;
      for (int d; width > 0 && (d = solvra_digit((unsigned char)*p, base)) >= 0; p++, width--) {
        if (v > (max - (unsigned)d) / (unsigned)base) over = 1;
        else v = v * (unsigned)base + (unsigned)d;
      }
      if (p == digits) break; /* matching failure */
      s = p;
      if (*f == 'd') {
        if (neg) v = over || v > max / 2 + 1 ? -(max / 2 + 1) : -v;
        else if (over || v > max / 2) v = max / 2;
      } else if (over) {
        v = max;
      } else if (neg) {
        v = -v & max;
      }
    }
    if (suppress) continue;
    void *out = va_arg(ap, void *);
    switch (size) {
    case -2: *(unsigned char *)out = (unsigned char)v; break;
    case -1: *(unsigned short *)out = (unsigned short)v; break;
    case 0: *(unsigned *)out = (unsigned)v; break;
    case 1: *(unsigned long *)out = (unsigned long)v; break;
    case 2: *(unsigned long long *)out = v; break;
    case 3: *(size_t *)out = (size_t)v; break;
    case 4: *(unsigned long long *)out = v; break; /* uintmax_t is unsigned long long or long here */
    default: *(ptrdiff_t *)out = (ptrdiff_t)v; break;
    }
    if (*f != 'n') n++;
  }
  va_end(ap);
  return n;
}
"#;

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
    cmd.arg(object);
    if static_link {
        if let Some(shims) = object
            .parent()
            .and_then(|dir| compile_static_shims(linker, dir))
        {
            cmd.arg(shims);
        }
    }
    cmd.arg(runtime);
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

/// Compiles [`STATIC_SHIMS_C`] with `linker` into `dir`; `None` if that fails.
fn compile_static_shims(linker: &str, dir: &Path) -> Option<PathBuf> {
    let source = dir.join("solvra_static_shims.c");
    let object = dir.join("solvra_static_shims.o");
    std::fs::write(&source, STATIC_SHIMS_C).ok()?;
    let out = Command::new(linker)
        .args(["-c", "-O2", "-w"])
        .arg(&source)
        .arg("-o")
        .arg(&object)
        .output()
        .ok()?;
    (out.status.success() && object.is_file()).then_some(object)
}
