//! `solvrac build -g`: gdb stops at a `file:line` breakpoint and reads the SolvraScript frames
//! and variables; gimli reads the line tables and functions back from objects of every target;
//! `solvrac symbolize` maps addresses to `function (file:line)`.

use super::{scratch, solvrac, text};
use crate::frontend::repo_root;
use solvrac::backend::codegen::{self, CodegenOptions, DebugInfo, Emit, Target};
use solvrac::bytecode::compile;
use solvrac::frontend::{load_file, LoadOptions};
use solvrac::symbolize::DebugData;
use std::collections::BTreeSet;
use std::path::Path;
use std::process::{Command, Stdio};

/// The program every test debugs: a function with an int and a string local, called from
/// `main`, and a function of an imported module (a second compile unit).
const APP: &str = r#"import { twice } from "./lib/util.svs"
fn greet(name, times) {
    let count = twice(times)
    let label = "hi " + name
    println(label, " ", count)
    return count
}
fn main() {
    let total = greet("world", 21)
    println(total)
}
"#;

const UTIL: &str = r#"export fn twice(n) {
    let doubled = n * 2
    return doubled
}
"#;

/// Writes the program into a fresh directory.
fn program(name: &str) -> std::path::PathBuf {
    let dir = scratch(name);
    std::fs::create_dir_all(dir.join("lib")).expect("lib dir");
    std::fs::write(dir.join("app.svs"), APP).expect("write app.svs");
    std::fs::write(dir.join("lib/util.svs"), UTIL).expect("write util.svs");
    dir
}

/// Builds `app` with `-g` (and `extra` options) in `dir`.
fn build(dir: &Path, extra: &[&str]) {
    let mut args = vec!["build", "-g", "app.svs", "-o", "app"];
    args.extend_from_slice(extra);
    let out = solvrac(&args, dir, &dir.join("cache"));
    assert!(
        out.status.success(),
        "build -g failed: {}",
        text(&out.stderr)
    );
}

/// gdb comes from `scripts/setup.sh`; outside CI a machine without it skips the test with a
/// message.
#[test]
fn gdb_breaks_at_a_line_and_shows_frames_and_variables() {
    if Command::new("gdb").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "gdb missing: run scripts/setup.sh"
        );
        eprintln!("gdb test skipped: gdb is not installed (scripts/setup.sh installs it)");
        return;
    }
    let dir = program("gdb");
    build(&dir, &[]);
    let script = repo_root().join("runtime-lib/gdb/solvra.py");
    let out = Command::new("gdb")
        .arg("-batch")
        .arg("-nx")
        .arg("-x")
        .arg(&script)
        .args([
            "-ex",
            "break app.svs:5",
            "-ex",
            "run",
            "-ex",
            "bt",
            "-ex",
            "svs-bt",
            "-ex",
            "info locals",
            "-ex",
            "info args",
            "-ex",
            "print label",
            "-ex",
            "print/r count",
            "-ex",
            "print ((const char *(*)(const void *))solvra_dump)(&label)",
            "-ex",
            "continue",
        ])
        .arg("./app")
        .current_dir(&dir)
        .stdin(Stdio::null())
        .output()
        .expect("gdb runs (scripts/setup.sh installs it)");
    let _ = std::fs::remove_dir_all(&dir);
    let log = text(&out.stdout);
    let expect = [
        // The breakpoint by file:line is hit, in the SolvraScript function.
        "Breakpoint 1 at ",
        ": file app.svs, line 5.",
        "Breakpoint 1, greet (name=\"world\", times=21) at app.svs:5",
        // `bt`: SolvraScript frames with their names, arguments and lines.
        "#0  greet (name=\"world\", times=21) at app.svs:5",
        " in main () at app.svs:9",
        " in <top level> () at app.svs:8",
        // `svs-bt`: only them, innermost first.
        "#0 greet at app.svs:5\n",
        " main at app.svs:9\n",
        " <top level> at app.svs:8\n",
        // `info locals` / `info args`: the int and the string, as the program shows them.
        "count = 42\nlabel = \"hi world\"\n",
        "name = \"world\"\ntimes = 21\n",
        "$1 = \"hi world\"\n",
        "$2 = {tag = int, payload = {int = 42, ",
        "$3 = 0x",
        " \"\\\"hi world\\\"\"\n",
        // The program runs on to its end.
        "hi world 42\n42\n",
        "exited normally",
    ];
    let missing: Vec<&str> = expect
        .iter()
        .copied()
        .filter(|e| !log.contains(e))
        .collect();
    assert!(
        missing.is_empty(),
        "gdb output lacks {missing:?}:\n{log}\nstderr:\n{}",
        text(&out.stderr)
    );
    // Frames are in order: the svs-bt lines follow one another.
    let svs_bt: Vec<&str> = log
        .lines()
        .filter(|l| l.starts_with('#') && l.contains(" at app.svs:") && !l.contains('('))
        .collect();
    assert_eq!(svs_bt.len(), 3, "{log}");
}

/// The `-g` object of `APP` for `target`, compiled in process (no linker or runtime needed).
fn object_for(target: &str, opt_level: u8) -> Vec<u8> {
    let dir = program(&format!("obj-{target}-{opt_level}"));
    let (program, diags) = load_file(&dir.join("app.svs"), LoadOptions::default());
    assert!(diags.is_empty(), "{diags:?}");
    let bytecode = compile::compile(&program);
    let opts = CodegenOptions {
        target: Target::lookup(target).expect("a known target"),
        opt_level,
        debug: Some(DebugInfo {
            dir: dir.to_string_lossy().into_owned(),
        }),
        fuel: None,
        profile: false,
        profile_use: None,
        trace_calls: false,
    };
    let object = codegen::compile(&bytecode, &opts, Emit::Object).expect("compiles");
    let _ = std::fs::remove_dir_all(&dir);
    object
}

#[test]
fn gimli_reads_the_line_tables_of_every_target() {
    for target in [
        "x86_64-linux-gnu",
        "aarch64-linux-gnu",
        "armv7-linux-gnueabihf",
    ] {
        let data = DebugData::read(&object_for(target, 0)).expect("DWARF reads back");
        let lines = |file: &str| -> BTreeSet<u32> {
            data.sequences
                .iter()
                .flatten()
                .filter(|r| r.file.ends_with(file) && r.line > 0)
                .map(|r| r.line)
                .collect()
        };
        // Every line with code, in the unit of its own file. (Module names are paths from the
        // working directory, here from `/`, since the entry is given by its absolute path.)
        assert_eq!(
            lines("app.svs"),
            BTreeSet::from([1, 3, 4, 5, 6, 8, 9, 10]),
            "{target}"
        );
        assert_eq!(lines("lib/util.svs"), BTreeSet::from([1, 2, 3]), "{target}");
        let mut names: Vec<&str> = data.functions.iter().map(|f| f.name.as_str()).collect();
        names.sort();
        assert_eq!(
            names,
            ["<top level>", "<top level>", "greet", "main", "twice"],
            "{target}"
        );
        assert!(
            data.functions.iter().all(|f| f.high > f.low),
            "{target}: empty function ranges: {:?}",
            data.functions
        );
        // Each function's rows fall inside it and name its lines.
        let greet = data.functions.iter().find(|f| f.name == "greet").unwrap();
        let at = data
            .lookup(greet.low)
            .expect("greet's first address is covered");
        assert_eq!(
            (at.function.as_deref(), at.line),
            (Some("greet"), 3),
            "{target}"
        );
    }
    // Optimised code keeps a line table too.
    let data = DebugData::read(&object_for("x86_64-linux-gnu", 2)).expect("DWARF reads back");
    assert!(data
        .sequences
        .iter()
        .flatten()
        .any(|r| r.file.ends_with("app.svs") && r.line == 5));
}

#[test]
fn symbolize_maps_addresses_to_functions_and_lines() {
    let dir = program("symbolize");
    build(&dir, &[]);
    let data = DebugData::read(&std::fs::read(dir.join("app")).unwrap()).expect("DWARF");
    let row = data
        .sequences
        .iter()
        .flatten()
        .find(|r| r.file == "lib/util.svs" && r.line == 2)
        .expect("a row for util.svs:2")
        .clone();
    let addr = format!("{:#x}", row.address);
    let cache = dir.join("cache");
    let out = solvrac(&["symbolize", "app", &addr, "1"], &dir, &cache);
    assert_eq!(
        text(&out.stdout),
        format!("{addr}: twice (lib/util.svs:2)\n0x1: ??\n"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0));
    let bad = solvrac(&["symbolize", "app", "0xzz"], &dir, &cache);
    assert_eq!(bad.status.code(), Some(2));
    assert_eq!(
        text(&bad.stderr),
        "solvrac: '0xzz' is not a hexadecimal address\n"
    );
    // An object built without -g has nothing to read.
    let plain = solvrac(
        &["build", "--emit", "obj", "app.svs", "-o", "plain.o"],
        &dir,
        &cache,
    );
    assert!(plain.status.success(), "{}", text(&plain.stderr));
    let none = solvrac(&["symbolize", "plain.o", "0x10"], &dir, &cache);
    assert_eq!(none.status.code(), Some(1));
    assert!(
        text(&none.stderr).contains("has no line tables; build it with `solvrac build -g`"),
        "{}",
        text(&none.stderr)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
