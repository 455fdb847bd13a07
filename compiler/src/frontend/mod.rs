//! The SolvraScript frontend, shared by `check`, `build`, `run` and `jit`: source text to a
//! resolved AST for every module of a program, plus diagnostics.
//!
//! Data flow: `lexer` → `parser` → `resolve`, driven per file by `modules`, which follows
//! imports. **Architecture Invariant:** the frontend never fails and never panics on any input:
//! it returns its best result together with a list of `Diagnostic`s, and a program may run
//! only when that list is empty.

pub mod ast;
pub mod diag;
pub mod lexer;
pub mod modules;
pub mod parser;
pub mod resolve;
pub mod source;
pub mod stdlib;
pub mod token;

pub use diag::Diagnostic;
pub use modules::{load_file, load_source, LoadOptions, Program};
pub use source::{FileId, SourceMap, Span};

/// Lexes and parses one file without following imports or resolving names.
pub fn parse_file(file: FileId, text: &str) -> (ast::Module, Vec<Diagnostic>) {
    let (tokens, mut diags) = lexer::lex(file, text);
    let (module, parse_diags) = parser::parse(file, tokens);
    diags.extend(parse_diags);
    diags.sort_by_key(|d| d.span.start);
    (module, diags)
}
