//! Every compile-time error class of LANGUAGE.md §3.14.5 gets the right diagnostic.
//!
//! Each program in `tests/data/errors` starts with `// ERROR: <text>` and `// AT: LINE:COL` pairs
//! naming the diagnostics it must produce; the rendered diagnostics are also snapshotted.

use super::{check, repo_root, svs_files};
use solvrac::frontend::{diag, LoadOptions};

struct Expected {
    message: String,
    at: String,
}

fn expectations(text: &str) -> Vec<Expected> {
    let mut out: Vec<Expected> = Vec::new();
    for line in text.lines() {
        if let Some(m) = line.strip_prefix("// ERROR:") {
            out.push(Expected {
                message: m.trim().to_string(),
                at: String::new(),
            });
        } else if let Some(at) = line.strip_prefix("// AT:") {
            if let Some(last) = out.last_mut() {
                last.at = at.trim().to_string();
            }
        }
    }
    out
}

#[test]
fn each_error_program_reports_its_errors() {
    let dir = repo_root().join("tests/data/errors");
    let files = svs_files(&dir);
    assert!(
        files.len() >= 30,
        "expected error programs in {}",
        dir.display()
    );
    let mut failures = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).expect("read");
        let expected = expectations(&text);
        assert!(
            !expected.is_empty(),
            "{} has no // ERROR: line",
            file.display()
        );
        let (program, diags) = solvrac::frontend::load_file(file, LoadOptions::default());
        let headlines: Vec<String> = diags.iter().map(|d| d.headline(&program.sources)).collect();
        for e in &expected {
            let found = headlines.iter().any(|h| {
                let located = e.at.is_empty() || h.contains(&format!(".svs:{}: error", e.at));
                located && h.contains(&e.message)
            });
            if !found {
                failures.push(format!(
                    "{}: expected `{}` at {}, got:\n  {}",
                    file.display(),
                    e.message,
                    e.at,
                    headlines.join("\n  ")
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn diagnostic_snapshots() {
    for file in svs_files(&repo_root().join("tests/data/errors")) {
        let (_, rendered, _) = check(&file);
        let name = file.file_stem().unwrap().to_string_lossy().to_string();
        insta::assert_snapshot!(format!("diag_{name}"), rendered);
    }
}

#[test]
fn every_code_has_an_explanation() {
    for info in diag::CODES {
        assert!(
            info.id.starts_with('E') && info.id.len() == 5,
            "{}",
            info.id
        );
        assert!(
            !info.explanation.is_empty(),
            "{} has no explanation",
            info.id
        );
        assert_eq!(diag::Code::lookup(info.id).map(|i| i.code), Some(info.code));
    }
}
