//! `solvrac build --profile`: block execution counts written when the program ends
//! (docs/DEBUGGING.md).
//!
//! A profiled executable counts, in an array of its own, how often each block lowered from a
//! bytecode block runs, and registers that array at start with a table describing every
//! counter. When the program ends (normally, by an uncaught error or by `exit`) the runtime
//! writes the profile to `$SOLVRA_PROFILE`, or to `NAME.svprof` in the working directory for
//! an executable called NAME:
//!
//! ```text
//! solvra-profile 1
//! COUNT<TAB>COST<TAB>FUNCTION<TAB>FILE<TAB>LINE<TAB>FN<TAB>PC
//! ```
//!
//! one line per block after the header: how often it ran, its bytecode instructions, where it
//! starts, and which block it is (function index and pc in the bytecode, for
//! `build --profile-use`). `solvrac profile report|flamegraph` read it.

use std::fmt::Write as _;
use std::sync::Mutex;

/// The environment variable naming the profile file.
pub const ENV: &str = "SOLVRA_PROFILE";

/// The first line of a profile.
pub const HEADER: &str = "solvra-profile 1";

struct Registered {
    /// The counters (a `*const u64`, kept as an address so the state can be static).
    counts: usize,
    /// `COST\tFUNCTION\tFILE\tLINE\tFN\tPC` per counter.
    table: Vec<String>,
}

static PROFILE: Mutex<Option<Registered>> = Mutex::new(None);

fn lock() -> std::sync::MutexGuard<'static, Option<Registered>> {
    PROFILE.lock().unwrap_or_else(|e| e.into_inner())
}

/// Registers a profiled program's `n` counters and their table (one line per counter).
///
/// # Safety
/// `counts` points to `n` counters that live until the program ends; `table` to `len` bytes
/// of UTF-8.
#[no_mangle]
pub unsafe extern "C" fn solvra_profile_start(
    counts: *const u64,
    n: usize,
    table: *const u8,
    len: usize,
) {
    let text = String::from_utf8_lossy(std::slice::from_raw_parts(table, len));
    let table: Vec<String> = text.lines().map(str::to_string).collect();
    if table.len() != n {
        crate::stdout::write_stderr("solvra: the profile table does not match its counters\n");
        return;
    }
    *lock() = Some(Registered {
        counts: counts as usize,
        table,
    });
}

/// Writes the profile, if the program is profiled.
pub fn finish() {
    let reg = match lock().take() {
        Some(r) => r,
        None => return,
    };
    let mut out = String::from(HEADER);
    out.push('\n');
    for (i, line) in reg.table.iter().enumerate() {
        // SAFETY: `solvra_profile_start`'s caller keeps `table.len()` counters alive.
        let count = unsafe { std::ptr::read_volatile((reg.counts as *const u64).add(i)) };
        let _ = writeln!(out, "{count}\t{line}");
    }
    let path = std::env::var(ENV).unwrap_or_else(|_| {
        let exe = std::env::args().next().unwrap_or_default();
        let name = std::path::Path::new(&exe)
            .file_name()
            .map_or_else(|| "program".into(), |n| n.to_string_lossy().into_owned());
        format!("{name}.svprof")
    });
    if let Err(e) = std::fs::write(&path, out) {
        crate::stdout::write_stderr(&format!("solvra: cannot write the profile {path}: {e}\n"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_written_beside_their_table() {
        let path =
            std::env::temp_dir().join(format!("solvra-profile-{}.svprof", std::process::id()));
        std::env::set_var(ENV, &path);
        let counts = [3u64, 0, 7];
        let table = "2\tf\ta.svs\t1\n5\tf\ta.svs\t2\n1\t<top level>\ta.svs\t4\n";
        // SAFETY: three counters and the table's bytes, alive until `finish`.
        unsafe { solvra_profile_start(counts.as_ptr(), 3, table.as_ptr(), table.len()) };
        finish();
        std::env::remove_var(ENV);
        let text = std::fs::read_to_string(&path).unwrap();
        let _ = std::fs::remove_file(&path);
        assert_eq!(
            text,
            "solvra-profile 1\n3\t2\tf\ta.svs\t1\n0\t5\tf\ta.svs\t2\n7\t1\t<top level>\ta.svs\t4\n"
        );
        finish(); // nothing registered: nothing written
    }
}
