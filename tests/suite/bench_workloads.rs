//! The workloads of `benches/run.sh` that live in this repository (benches/workloads): each
//! SolvraScript program, with its size constant replaced by the small `test` size of
//! benches/workloads/sizes.tsv, must print exactly benches/workloads/expected/NAME.test.out in
//! the interpreter. The outputs were produced by the C peers, so a change in the language or the
//! interpreter that alters a workload's meaning is caught here and not only in a manual
//! benchmark run. Also checks that every workload has its sizes and all three expected outputs.

use crate::conformance::run_solvrac;
use crate::frontend::repo_root;
use std::path::PathBuf;

/// One row of sizes.tsv for a workload of benches/workloads.
struct Workload {
    name: String,
    full: String,
    test: String,
}

fn workloads_dir() -> PathBuf {
    repo_root().join("benches/workloads")
}

/// The rows of sizes.tsv that have a test size (the others are ../shared/bench's workloads).
fn workloads() -> Vec<Workload> {
    let text = std::fs::read_to_string(workloads_dir().join("sizes.tsv")).expect("sizes.tsv");
    text.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            assert_eq!(
                cols.len(),
                4,
                "sizes.tsv row {l:?} needs 4 tab-separated columns"
            );
            (cols[3] != "-").then(|| Workload {
                name: cols[0].to_string(),
                full: cols[1].to_string(),
                test: cols[3].to_string(),
            })
        })
        .collect()
}

/// `text` with the standalone number `from` (not part of a longer number, name or float)
/// replaced by `to`; None unless it occurs exactly once, the rule `run.sh` applies.
fn replace_size(text: &str, from: &str, to: &str) -> Option<String> {
    let standalone =
        |c: Option<char>| !c.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.');
    let hits: Vec<usize> = text
        .match_indices(from)
        .map(|(i, _)| i)
        .filter(|&i| standalone(text[..i].chars().next_back()))
        .filter(|&i| standalone(text[i + from.len()..].chars().next()))
        .collect();
    match hits[..] {
        [i] => Some(format!("{}{to}{}", &text[..i], &text[i + from.len()..])),
        _ => None,
    }
}

#[test]
fn replace_size_takes_only_the_standalone_number() {
    assert_eq!(
        replace_size("let n = 200\nx(1200, 200.5)", "200", "7"),
        Some("let n = 7\nx(1200, 200.5)".into())
    );
    assert_eq!(replace_size("a = 5 + 5", "5", "1"), None);
    assert_eq!(replace_size("n_5 = 15", "5", "1"), None);
}

#[test]
fn every_workload_has_its_peers_sizes_and_expected_outputs() {
    let dir = workloads_dir();
    let listed: Vec<String> = workloads().into_iter().map(|w| w.name).collect();
    let mut programs: Vec<String> = std::fs::read_dir(dir.join("svs"))
        .expect("benches/workloads/svs")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "svs"))
        .map(|p| {
            p.file_stem()
                .expect("a name")
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    programs.sort();
    let mut sorted = listed.clone();
    sorted.sort();
    assert_eq!(
        programs, sorted,
        "svs/*.svs and the sizes.tsv rows with a test size differ"
    );
    for w in workloads() {
        for ext in ["svs", "c", "lua", "py", "js"] {
            let sub = if ext == "svs" { "svs" } else { "peers" };
            let path = dir.join(sub).join(format!("{}.{ext}", w.name));
            let text =
                std::fs::read_to_string(&path).unwrap_or_else(|_| panic!("no {}", path.display()));
            assert!(
                replace_size(&text, &w.full, &w.test).is_some(),
                "{} must contain the size {} exactly once",
                path.display(),
                w.full
            );
        }
        for mode in ["full", "quick", "test"] {
            let path = dir.join("expected").join(format!("{}.{mode}.out", w.name));
            assert!(path.is_file(), "no {}", path.display());
        }
    }
}

#[test]
fn workloads_print_their_expected_output_in_the_interpreter() {
    let scratch =
        std::env::temp_dir().join(format!("solvrac-bench-workloads-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    let mut failures = Vec::new();
    for w in workloads() {
        let src = workloads_dir().join("svs").join(format!("{}.svs", w.name));
        let text = std::fs::read_to_string(&src).expect("workload source");
        let program = replace_size(&text, &w.full, &w.test).expect("the size occurs once");
        let path = scratch.join(format!("{}.svs", w.name));
        std::fs::write(&path, program).expect("write the scaled program");
        let expected = std::fs::read_to_string(
            workloads_dir()
                .join("expected")
                .join(format!("{}.test.out", w.name)),
        )
        .expect("expected output");
        match run_solvrac(
            &["run", "--tier=interp", path.to_str().expect("utf-8 path")],
            &scratch,
        ) {
            Ok((0, stdout, _)) if stdout == expected => {}
            Ok((status, stdout, stderr)) => failures.push(format!(
                "{}: status {status}, stdout {stdout:?} (expected {expected:?}), stderr {stderr:?}",
                w.name
            )),
            Err(e) => failures.push(format!("{}: {e}", w.name)),
        }
    }
    let _ = std::fs::remove_dir_all(&scratch);
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
