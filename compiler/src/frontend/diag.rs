//! Compile-time diagnostics: the error-code table, the `Diagnostic` value, and its rendering.
//!
//! Every compile-time error has a stable code (`E0301`) listed once in `CODES`, with the
//! explanation `solvrac explain` prints. Diagnostics are rendered with codespan-reporting,
//! after a first line in the `FILE:LINE:COL: error[CODE]: MESSAGE` form that editors and
//! scripts can parse.

use super::source::{SourceMap, Span};
use codespan_reporting::diagnostic::{Diagnostic as CsDiagnostic, Label};
use codespan_reporting::term::{self, termcolor, Config};
use std::fmt::Write as _;
use std::io::Write as _;

/// A compile-time error class. `code` and `explanation` come from `CODES`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Code {
    UnexpectedChar,
    SingleQuote,
    UnterminatedString,
    UnterminatedComment,
    UnterminatedInterpolation,
    IntTooLarge,
    TrailingBackslash,
    Expected,
    ExpectedTerminator,
    InvalidAssignTarget,
    AsyncNotCall,
    ReservedWord,
    NotTopLevel,
    PlainStringRequired,
    TryWithoutHandler,
    DefaultOrder,
    TooDeep,
    InvalidConst,
    UndefinedName,
    DuplicateDecl,
    ImmutableAssign,
    LoopControlOutsideLoop,
    DuplicateParam,
    DuplicatePatternBinding,
    ModuleNotFound,
    CyclicImport,
    NotExported,
    ExportUndefined,
    UnreadableFile,
}

/// One row of the code table: the code, a one-line title, and the long explanation.
pub struct CodeInfo {
    pub code: Code,
    pub id: &'static str,
    pub title: &'static str,
    pub explanation: &'static str,
}

/// The table `solvrac explain` reads; one row per `Code`, in code order.
pub const CODES: &[CodeInfo] = &[
    CodeInfo { code: Code::UnexpectedChar, id: "E0101", title: "unexpected character",
        explanation: "The lexer met a character that cannot start any token. Identifiers are ASCII-only\n(letters, digits, `_`); non-ASCII text may appear only in comments and strings.\nThere are no `#`, `@`, `?`, `^`, `~` or single `&` operators.\n\n    let café = 1      // error: identifiers are ASCII-only\n    let cafe = 1      // ok" },
    CodeInfo { code: Code::SingleQuote, id: "E0102", title: "single-quoted strings are not supported",
        explanation: "Strings are written with double quotes or backticks; `'` is not a delimiter.\n\n    let s = 'hi'      // error\n    let s = \"hi\"      // ok\n    let t = `hi`      // ok (same meaning)" },
    CodeInfo { code: Code::UnterminatedString, id: "E0103", title: "unterminated string literal",
        explanation: "A string literal reached the end of the file before its closing quote.\nStrings may span several lines, so the missing quote can be far from the opening one." },
    CodeInfo { code: Code::UnterminatedComment, id: "E0104", title: "unterminated block comment",
        explanation: "A `/*` comment reached the end of the file without `*/`. Block comments do not nest." },
    CodeInfo { code: Code::UnterminatedInterpolation, id: "E0105", title: "unterminated interpolation",
        explanation: "`${` inside a string starts an interpolation that must end with a matching `}`.\nTo write a literal `${`, escape the dollar sign: `\"\\${n}\"`." },
    CodeInfo { code: Code::IntTooLarge, id: "E0106", title: "integer literal too large",
        explanation: "Integer literals must fit in a signed 64-bit integer (at most 9223372036854775807).\nUse a float literal (`1.0`) or `parse_float` for larger magnitudes." },
    CodeInfo { code: Code::TrailingBackslash, id: "E0107", title: "backslash at end of file",
        explanation: "A backslash inside a string was the last character of the file." },
    CodeInfo { code: Code::Expected, id: "E0201", title: "syntax error",
        explanation: "The parser expected a different token here. The label says what it expected.\nBodies of `if`, `while`, `for`, `fn` and `try` must be blocks in braces." },
    CodeInfo { code: Code::ExpectedTerminator, id: "E0202", title: "expected ';' or line break",
        explanation: "A simple statement (`let`, an expression, `return`, ...) must end with `;`, a line break,\nor the `}` closing its block. Two statements on one line need a `;` between them.\n\n    let x = 1 let y = 2     // error\n    let x = 1; let y = 2    // ok" },
    CodeInfo { code: Code::InvalidAssignTarget, id: "E0203", title: "invalid assignment target",
        explanation: "The left side of `=`, `+=`, `-=`, `*=` or `/=` must be a variable, a member access `a.f`,\nor an index `a[i]`. Calls, slices, literals and operator expressions cannot be assigned." },
    CodeInfo { code: Code::AsyncNotCall, id: "E0204", title: "`async` must be applied to a call",
        explanation: "`async` starts a task running a call: `async f(x)` or `async obj.m()`.\nTo make a function that always runs as a task, declare it `async fn`." },
    CodeInfo { code: Code::ReservedWord, id: "E0205", title: "reserved word",
        explanation: "`use` and `namespace` are reserved keywords with no meaning in SolvraScript.\nTo load a module, use `import`." },
    CodeInfo { code: Code::NotTopLevel, id: "E0206", title: "statement only allowed at the top level",
        explanation: "`import` and `export` may appear only at the top level of a file, not inside a function,\nblock, loop or branch." },
    CodeInfo { code: Code::PlainStringRequired, id: "E0207", title: "expected a plain string",
        explanation: "Object-literal keys, `match` patterns and import paths must be plain string literals:\nthey cannot contain `${...}` interpolations." },
    CodeInfo { code: Code::TryWithoutHandler, id: "E0208", title: "`try` without `catch` or `finally`",
        explanation: "A `try` block needs at least one `catch` clause or a `finally` clause." },
    CodeInfo { code: Code::DefaultOrder, id: "E0209", title: "parameter without default after a default",
        explanation: "Once a parameter has a default value, every later parameter needs one too,\nbecause arguments bind positionally.\n\n    fn f(a = 1, b) {}       // error\n    fn f(b, a = 1) {}       // ok" },
    CodeInfo { code: Code::TooDeep, id: "E0210", title: "nesting too deep",
        explanation: "The program nests expressions, blocks or patterns deeper than the compiler supports.\nSplit the expression with intermediate variables." },
    CodeInfo { code: Code::InvalidConst, id: "E0211", title: "invalid `const` declaration",
        explanation: "`const` needs an initializer and cannot be `mut`: `const LIMIT = 3`." },
    CodeInfo { code: Code::UndefinedName, id: "E0301", title: "undefined name",
        explanation: "The name is not declared in any enclosing scope, the module, or the builtins.\nCheck the spelling, declare it with `let`, `const` or `fn`, or import it.\nA namespace path `a::b` must start with a declared name or be a builtin alias such as\n`std::io::println`." },
    CodeInfo { code: Code::DuplicateDecl, id: "E0302", title: "duplicate declaration",
        explanation: "The same name is declared twice in one scope (two `let`s, a `let` and a `fn`,\na parameter and a top-level `let` of the body, or two imports).\nShadowing in an inner block is allowed; reassigning needs no second `let`." },
    CodeInfo { code: Code::ImmutableAssign, id: "E0303", title: "cannot assign to immutable binding",
        explanation: "`const` bindings, names declared by `fn`, imported names and builtins cannot be reassigned.\nArrays are values, so changing an element of an array literal held by a `const` also counts.\nDeclare the variable with `let` if it must change." },
    CodeInfo { code: Code::LoopControlOutsideLoop, id: "E0304", title: "`break` or `continue` outside of a loop",
        explanation: "`break` and `continue` must be inside a `while` or `for` body of the same function;\na loop does not extend into a function or lambda defined inside it." },
    CodeInfo { code: Code::DuplicateParam, id: "E0305", title: "duplicate parameter",
        explanation: "Two parameters of one function have the same name." },
    CodeInfo { code: Code::DuplicatePatternBinding, id: "E0306", title: "name bound twice in one pattern",
        explanation: "A `match` pattern binds each name at most once: `[x, x]` is an error; use a guard\n(`[x, y] if x == y`) to compare elements." },
    CodeInfo { code: Code::ModuleNotFound, id: "E0401", title: "cannot find module",
        explanation: "An import names a file or standard module that does not exist.\nScript paths are searched relative to the importing file, then the current directory,\nthen each `--module-path` directory; `.svs` is added when there is no extension, and a\ndirectory means its `mod.svs`. Standard modules: vector, string, io, math, time, json." },
    CodeInfo { code: Code::CyclicImport, id: "E0402", title: "cyclic import",
        explanation: "Modules import each other in a cycle. Each module runs its top level when first\nimported, so a cycle has no valid order; move the shared code into a third module." },
    CodeInfo { code: Code::NotExported, id: "E0403", title: "name not exported",
        explanation: "A named import `import { a } from \"m.svs\"` names something module `m` does not export.\nA module with any `export` exports exactly those names." },
    CodeInfo { code: Code::ExportUndefined, id: "E0404", title: "export of an undefined name",
        explanation: "`export name` re-exports a top-level binding of the module, which must exist." },
    CodeInfo { code: Code::UnreadableFile, id: "E0405", title: "cannot read source file",
        explanation: "A source file could not be read (missing, a directory, no permission, or not UTF-8)." },
];

impl Code {
    pub fn info(self) -> &'static CodeInfo {
        CODES
            .iter()
            .find(|c| c.code == self)
            .expect("every Code has a row in CODES")
    }

    pub fn lookup(id: &str) -> Option<&'static CodeInfo> {
        let id = id.trim().to_ascii_uppercase();
        CODES.iter().find(|c| c.id == id)
    }
}

/// A compile-time error with its primary location, optional secondary labels and help.
#[derive(Clone, Debug, PartialEq)]
pub struct Diagnostic {
    pub code: Code,
    pub message: String,
    pub span: Span,
    /// The text under the caret; empty when the message says it all.
    pub label: String,
    pub secondary: Vec<(Span, String)>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn new(code: Code, span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            message: message.into(),
            span,
            label: String::new(),
            secondary: Vec::new(),
            help: None,
        }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = label.into();
        self
    }

    pub fn with_secondary(mut self, span: Span, label: impl Into<String>) -> Diagnostic {
        self.secondary.push((span, label.into()));
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// `FILE:LINE:COL: error[CODE]: MESSAGE`, the first line of the rendering.
    pub fn headline(&self, sources: &SourceMap) -> String {
        let (line, col) = sources.line_col(self.span.file, self.span.start as usize);
        format!(
            "{}:{}:{}: error[{}]: {}",
            sources.file(self.span.file).name,
            line,
            col,
            self.code.info().id,
            self.message
        )
    }

    fn to_codespan(&self) -> CsDiagnostic<super::source::FileId> {
        let mut labels =
            vec![Label::primary(self.span.file, self.span.range()).with_message(&self.label)];
        for (span, msg) in &self.secondary {
            labels.push(Label::secondary(span.file, span.range()).with_message(msg));
        }
        let mut d = CsDiagnostic::error()
            .with_message(&self.message)
            .with_code(self.code.info().id)
            .with_labels(labels);
        if let Some(help) = &self.help {
            d = d.with_notes(vec![format!("help: {help}")]);
        }
        d
    }
}

/// Writes diagnostics to stderr, in color when stderr is a terminal.
pub fn emit(sources: &SourceMap, diags: &[Diagnostic]) {
    let color = if std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        termcolor::ColorChoice::Auto
    } else {
        termcolor::ColorChoice::Never
    };
    let writer = termcolor::StandardStream::stderr(color);
    let mut lock = writer.lock();
    for d in diags {
        let ansi = color != termcolor::ColorChoice::Never;
        let mut buf = Vec::new();
        render_into(sources, d, ansi, &mut buf);
        let _ = lock.write_all(&buf);
    }
}

/// Renders diagnostics without color, as they appear in a log or a snapshot.
pub fn render_plain(sources: &SourceMap, diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let mut buf = Vec::new();
        render_into(sources, d, false, &mut buf);
        out.push_str(&String::from_utf8_lossy(&buf));
    }
    out
}

fn render_into(sources: &SourceMap, d: &Diagnostic, ansi: bool, buf: &mut Vec<u8>) {
    let mut body = if ansi {
        termcolor::Buffer::ansi()
    } else {
        termcolor::Buffer::no_color()
    };
    let config = Config::default();
    if term::emit_to_write_style(&mut body, &config, sources, &d.to_codespan()).is_err() {
        let _ = writeln!(buf, "{}", d.headline(sources));
        return;
    }
    // codespan's own first line is `error[CODE]: MESSAGE`; replace it with the headline that
    // carries the location, so the first line alone is a complete, grep-able report.
    let body = body.into_inner();
    let rest = match body.iter().position(|&b| b == b'\n') {
        Some(i) => &body[i + 1..],
        None => &[][..],
    };
    let mut head = String::new();
    let _ = write!(head, "{}", d.headline(sources));
    if ansi {
        let _ = writeln!(buf, "\x1b[1;31m{head}\x1b[0m");
    } else {
        let _ = writeln!(buf, "{head}");
    }
    let _ = buf.write_all(rest);
}
