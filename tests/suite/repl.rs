//! The `solvrac jit` REPL, driven through stdin (script mode: no prompts, values on stdout,
//! errors on stderr) and through a pseudo-terminal (`script`), with exact expected output.

#![cfg(feature = "llvm")]

use solvrac::repl::needs_more;
use std::io::Write;
use std::process::{Command, Stdio};

/// Runs `solvrac jit` with `input` on stdin; returns (status, stdout, stderr).
fn repl(input: &str, env: &[(&str, &str)]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_solvrac"))
        .arg("jit")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start solvrac jit");
    let mut stdin = child.stdin.take().expect("stdin");
    let text = input.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(text.as_bytes()));
    let out = child.wait_with_output().expect("solvrac jit runs");
    writer.join().expect("writer").expect("write stdin");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn definitions_persist_and_redefinitions_replace() {
    let (status, stdout, stderr) = repl(
        "fn sq(x) { return x * x }\n\
         sq(7)\n\
         fn twice_sq(x) { return 2 * sq(x) }\n\
         twice_sq(3)\n\
         fn sq(x) { return x + 100 }\n\
         sq(1)\n\
         twice_sq(3)\n\
         let mut n = 40\n\
         n += 2\n\
         n\n\
         let n = \"now a string\"\n\
         n\n\
         const k = [1, 2]\n\
         k\n\
         println(\"printed\")\n",
        &[],
    );
    assert_eq!(stderr, "");
    assert_eq!(
        stdout,
        "49\n18\n101\n206\n42\nnow a string\n[1, 2]\nprinted\n"
    );
    assert_eq!(status, 0);
}

#[test]
fn a_compile_error_is_reported_like_check_and_changes_nothing() {
    let (status, stdout, stderr) = repl(
        "let x = 1\nlet x = missing + 1\nx\nconst c = 3\nc = 4\nc\n",
        &[],
    );
    assert_eq!(stdout, "1\n3\n");
    assert!(
        stderr.starts_with(
            "<input 2>:1:9: error[E0301]: undefined name 'missing'\n  ┌─ <input 2>:1:9\n"
        ),
        "{stderr}"
    );
    // The earlier definition of `c` is shown where the session lists it.
    assert!(
        stderr.contains("<input 5>:1:1: error[E0303]: cannot assign to immutable binding 'c'"),
        "{stderr}"
    );
    assert!(stderr.contains("declared as `const` here"), "{stderr}");
    // In script mode a failed input makes the exit status 1.
    assert_eq!(status, 1);
}

#[test]
fn a_runtime_error_is_reported_and_the_session_continues() {
    let (status, stdout, stderr) = repl(
        "let mut count = 0\n\
         fn bump() { count += 1\n return count }\n\
         bump()\n\
         fn fail(x) {\n  bump()\n  return x / 0\n}\n\
         fail(1)\n\
         count\n\
         try { fail(2) } catch e { println(\"caught \" + e) }\n\
         bump()\n",
        &[],
    );
    assert_eq!(stdout, "1\n2\ncaught division by zero\n4\n");
    assert_eq!(
        stderr,
        "runtime error: division by zero\n  at fail (<input 4>:3)\n  at <top level> (<input 5>:1)\n"
    );
    assert_eq!(status, 1);
}

#[test]
fn multi_line_inputs_continue_while_brackets_are_open_or_an_operator_ends_the_line() {
    let (status, stdout, stderr) = repl(
        "let o = {\n  a: [1,\n      2],\n  b: \"x\"\n}\no.a[1] +\n  o.a[0]\nfn f(a,\n     b) {\n  return a -\n    b\n}\nf(10, 3)\n",
        &[],
    );
    assert_eq!(stderr, "");
    assert_eq!(stdout, "3\n7\n");
    assert_eq!(status, 0);
}

#[test]
fn continuation_rule() {
    for (text, more) in [
        ("1 + 2", false),
        ("1 +", true),
        ("foo(1,", true),
        ("let a = [", true),
        ("fn f() {", true),
        ("fn f() {\n}", false),
        ("x.", true),
        ("a and", true),
        ("\"unbalanced ( in a string\"", false),
        ("/* open comment", true),
        ("// comment (", false),
    ] {
        assert_eq!(needs_more(text), more, "{text:?}");
    }
}

#[test]
fn commands_type_load_sir_llvm_reset() {
    let dir = std::env::temp_dir().join(format!("solvrac-repl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("defs.svs");
    std::fs::write(
        &file,
        "fn greet(name) { return \"hello \" + name }\nlet answer = 42\nprintln(\"loaded\")\n",
    )
    .expect("write defs");
    let input = format!(
        ":type 1 + 2\n:type \"s\"\n:type [1]\n:load {}\ngreet(\"jit\")\n:type answer\n\
         :sir 1 + 2\n:llvm 1 + 2\n:reset\nanswer\n:help\n:quit\n\"not reached\"\n",
        file.display()
    );
    let (status, stdout, stderr) = repl(&input, &[]);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        stdout.starts_with("int\nstring\narray\nloaded\nhello jit\nint\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("v2 = add v0, v1"),
        "no Solvra IR:\n{stdout}"
    );
    assert!(
        stdout.contains("define i32 @svs_repl_listing()"),
        "no LLVM IR:\n{stdout}"
    );
    assert!(stdout.contains(":load FILE"), "no help:\n{stdout}");
    assert!(!stdout.contains("not reached"));
    assert!(
        stderr.starts_with("<input 9>:1:1: error[E0301]: undefined name 'answer'"),
        "after :reset:\n{stderr}"
    );
    assert_eq!(status, 1);
}

#[test]
fn session_values_survive_collections() {
    let (status, stdout, stderr) = repl(
        "fn mk(n) {\n let mut r = []\n let mut i = 0\n while i < n { r = push(r, {i: i, s: str(i)})\n i += 1 }\n return r\n}\n\
         let keep = mk(500)\n\
         let other = mk(500)\n\
         len(keep) + len(other)\n\
         keep[499].s + other[0].s\n\
         async fn slow(x) {\n await delay(5)\n return x * 2\n}\n\
         await slow(21)\n",
        &[("SOLVRA_GC_STRESS", "1")],
    );
    assert_eq!(stderr, "");
    assert_eq!(stdout, "1000\n4990\n42\n");
    assert_eq!(status, 0);
}

/// The same REPL on a terminal: prompts, continuation prompts, and the banner.
#[test]
fn on_a_pseudo_terminal() {
    if Command::new("script").arg("--version").output().is_err() {
        eprintln!("pty test skipped: util-linux `script` is not installed");
        return;
    }
    let cmd = format!("{} jit", env!("CARGO_BIN_EXE_solvrac"));
    let mut child = Command::new("script")
        .args(["-qefc", &cmd, "/dev/null"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start script");
    let mut stdin = child.stdin.take().expect("stdin");
    // One line at a time, as a user types, so line editing sees each line on its own.
    let writer = std::thread::spawn(move || {
        for line in ["fn add(a,", " b) { return a + b }", "add(2, 3)", ":quit"] {
            std::thread::sleep(std::time::Duration::from_millis(300));
            let _ = stdin.write_all(format!("{line}\r").as_bytes());
        }
    });
    let out = child.wait_with_output().expect("script runs");
    writer.join().expect("writer");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("JIT REPL"), "{text}");
    assert!(text.contains(".. "), "no continuation prompt:\n{text}");
    assert!(
        text.contains("\n5\r\n") || text.contains("\r\n5\r\n"),
        "{text}"
    );
}
