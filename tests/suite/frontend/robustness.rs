//! No input makes the frontend panic, hang or overflow its stack: random bytes, truncated and
//! mutated versions of real programs, and pathological nesting all end in a diagnostic or a
//! clean result.

use super::{on_worker_stack, repo_root, svs_files};
use solvrac::frontend::{load_source, LoadOptions};

/// Runs the whole frontend on `text`; panics (failing the test) only if the frontend does.
fn survive(text: String) -> usize {
    let (_, diags) = load_source("fuzz.svs", &text, LoadOptions::default());
    diags.len()
}

fn corpus() -> Vec<String> {
    let root = repo_root();
    [
        "tests/data/conformance",
        "tests/data/parse",
        "tests/data/errors",
        "examples",
    ]
    .iter()
    .flat_map(|d| svs_files(&root.join(d)))
    .map(|f| std::fs::read_to_string(f).expect("read"))
    .collect()
}

#[test]
fn random_bytes() {
    on_worker_stack(|| {
        let mut rng = fastrand::Rng::with_seed(0x5eed);
        for _ in 0..2_000 {
            let len = rng.usize(0..400);
            let bytes: Vec<u8> = (0..len).map(|_| rng.u8(..)).collect();
            survive(String::from_utf8_lossy(&bytes).into_owned());
            // Random text over the language's own alphabet reaches deeper into the parser.
            let alphabet = b"let fn if else while for in match try catch finally return { } ( ) [ ] , ; : :: . -> => = == + - * / % < > ! && || lambda | async await \" ` ${ } x y 1 2.5 \n";
            let text: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.usize(..alphabet.len())])
                .collect();
            survive(String::from_utf8_lossy(&text).into_owned());
        }
    });
}

#[test]
fn truncated_and_mutated_programs() {
    on_worker_stack(|| {
        let mut rng = fastrand::Rng::with_seed(7);
        for text in corpus() {
            let bytes = text.as_bytes();
            for cut in (0..bytes.len()).step_by(7) {
                survive(String::from_utf8_lossy(&bytes[..cut]).into_owned());
            }
            for _ in 0..50 {
                let mut m = bytes.to_vec();
                for _ in 0..rng.usize(1..4) {
                    if m.is_empty() {
                        break;
                    }
                    let i = rng.usize(..m.len());
                    match rng.u8(0..3) {
                        0 => m[i] = rng.u8(..),
                        1 => {
                            m.remove(i);
                        }
                        _ => m.insert(i, b"{}()[]\"`$;\n"[rng.usize(..11)]),
                    }
                }
                survive(String::from_utf8_lossy(&m).into_owned());
            }
        }
    });
}

#[test]
fn deep_nesting_is_accepted_or_reported() {
    on_worker_stack(|| {
        let n = 10_000;
        let parens = format!("let x = {}1{}\nprintln(x)", "(".repeat(n), ")".repeat(n));
        assert_eq!(survive(parens), 0, "10 000 nested parentheses are valid");
        let arrays = format!("let a = {}{}", "[".repeat(n), "]".repeat(n));
        assert_eq!(survive(arrays), 0);
        let unary = format!("let b = {}1", "-".repeat(n));
        assert_eq!(survive(unary), 0);
        let blocks = format!("{}{}", "{".repeat(n), "}".repeat(n));
        assert_eq!(survive(blocks), 0);
        let lambdas = format!("let f = {}1", "lambda || -> ".repeat(n));
        assert_eq!(survive(lambdas), 0);
        let sum = format!("let s = 1{}", " + 1".repeat(100_000));
        assert_eq!(survive(sum), 0, "long flat chains are not nesting");
        // Beyond the limits: a diagnostic, not a crash.
        let chain = format!("let t = 1{}", "+1".repeat(1_100_000));
        assert!(survive(chain) > 0, "over-long operator chains are refused");
        let calls = format!("f{}", "()".repeat(1_100_000));
        assert!(survive(calls) > 0, "over-long suffix chains are refused");
        let deep = "(".repeat(1_000_000);
        assert!(survive(deep) > 0);
        let unclosed = "{".repeat(200_000);
        assert!(survive(unclosed) > 0);
    });
}
