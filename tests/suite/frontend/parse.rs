//! Parser behaviour pinned by small inline cases (line-break rules, precedence, slices) and by
//! AST snapshots of the representative programs in `tests/data/parse`.

use super::{repo_root, svs_files};
use solvrac::frontend::{ast, parse_file, FileId};

/// Parses `src` and returns the printed AST; panics with the diagnostics if there are any.
fn ast_of(src: &str) -> String {
    let (module, diags) = parse_file(FileId(0), src);
    assert!(
        diags.is_empty(),
        "unexpected diagnostics for {src:?}: {diags:?}"
    );
    ast::print_module(&module)
}

fn check(src: &str, expected: &str) {
    assert_eq!(
        ast_of(src).trim_end(),
        expected.trim_end(),
        "source: {src:?}"
    );
}

#[test]
fn rule_c_continues_on_leading_operators() {
    check(
        "let total = price\n    * quantity\n    + shipping",
        "(let total (+ (* price quantity) shipping))",
    );
    check(
        "let ok = ready\n    && total > 0",
        "(let ok (&& ready (> total 0)))",
    );
    check(
        "let v = obj\n    .method()",
        "(let v (call (. obj method)))",
    );
    check("x = 5\n-y", "(= x (- 5 y))");
}

#[test]
fn line_initial_paren_and_bracket_start_a_new_statement() {
    check("foo()\n(bar)()", "(call foo)\n(call (paren bar))");
    check("let a = b\n[1, 2]", "(let a b)\n[1 2]");
    // Inside brackets line breaks are whitespace (§6.3 C3).
    check("f(a\n(1))", "(call f (call a 1))");
}

#[test]
fn operands_of_return_and_panic_stop_at_line_breaks() {
    check("fn f() {\n  return\n  1\n}", "fn f() {\n  (return)\n  1\n}");
    check("panic\nx", "(panic)\nx");
    check("fn f() { return }", "fn f() {\n  (return)\n}");
}

#[test]
fn else_catch_finally_may_start_a_line() {
    check("if a {\n} \nelse {\n}", "if a {\n}\nelse {\n}");
    check(
        "try {\n}\ncatch e {\n}\nfinally {\n}",
        "try {\n}\ncatch e {\n}\nfinally {\n}",
    );
}

#[test]
fn precedence_follows_the_table() {
    check("not a == b", "(== (not a) b)");
    check("-x.y", "(neg (. x y))");
    check("await t + 1", "(+ (await t) 1)");
    check("a = b || c", "(= a (|| b c))");
    check("a = b = 0", "(= a (= b 0))");
    check("2 + 3 * 4 % 5", "(+ 2 (% (* 3 4) 5))");
    check("a is not b and c is d", "(&& (!= a b) (== c d))");
    check("if c then 1 else 2 + 3", "(if c 1 (+ 2 3))");
}

#[test]
fn slices_use_double_colon_as_separator() {
    check("a[::2]", "(slice a _ _ 2)");
    check("a[1::2]", "(slice a 1 _ 2)");
    check("a[i::n]", "(slice a i _ n)");
    check("a[(m::k)]", "(index a (paren (:: m k)))");
    check("a[1:4:2]", "(slice a 1 4 2)");
    check("a[:]", "(slice a _ _ _)");
    check("a[::-1]", "(slice a _ _ (neg 1))");
}

#[test]
fn strings_interpolate_in_both_forms() {
    check(r#""a${x}b""#, r#"(template "a" x "b")"#);
    check(r#"`${n * 2}`"#, "(template (* n 2))");
    check(r#""cost: \${n}""#, r#""cost: ${n}""#);
    check(
        r#""nested: ${"[" + `${n}` + "]"}""#,
        r#"(template "nested: " (+ (+ "[" (template n)) "]"))"#,
    );
    check(r#""\d\q""#, r#""\\d\\q""#);
}

#[test]
fn lambdas_and_function_expressions() {
    check("lambda || -> 42", "(lambda () 42)");
    check(
        "let f = lambda |a, b,| -> a + b",
        "(let f (lambda (a, b) (+ a b)))",
    );
    check(
        "apply(fn (x) { return x }, 1)",
        "(call apply (fn (x) {(return x)}) 1)",
    );
    check("async fn f() {}", "async fn f() {\n}");
}

#[test]
fn statement_level_if_then_is_an_expression() {
    check("if a then b else c", "(if a b c)");
    check(
        "let v = if 3 > 1 { 7 } else { 0 };",
        "(let v (if (> 3 1) 7 0))",
    );
}

#[test]
fn ast_snapshots() {
    let dir = repo_root().join("tests/data/parse");
    let files = svs_files(&dir);
    assert!(!files.is_empty(), "no parse programs in {}", dir.display());
    for file in files {
        let text = std::fs::read_to_string(&file).expect("read");
        let name = file.file_stem().unwrap().to_string_lossy().to_string();
        insta::assert_snapshot!(format!("ast_{name}"), ast_of(&text));
    }
}
