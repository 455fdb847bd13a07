//! `solvrac jit`: the interactive REPL over a JIT session (`backend::jit::session`).
//!
//! This module is the user interface only: reading inputs (with rustyline on a terminal, plain
//! lines otherwise), deciding when an input is complete, the `:` commands, completion, and
//! printing. Compiling and running inputs is the session's job.
//!
//! An input continues onto the next line while a bracket is open, a block comment or an
//! interpolation is unterminated, or its last token is an operator, `,`, `.` or `::` (the
//! continuation rule of LANGUAGE.md §1.7, Rule C). When stdin is not a terminal the REPL reads
//! it as a script: no prompts, results on stdout, errors on stderr, exit status 1 if any input
//! failed.

use crate::backend::jit::session::{InputError, Mode, Session};
use crate::frontend::diag::{self, Code};
use crate::frontend::lexer;
use crate::frontend::token::{Keyword, Punct, TokenKind};
use crate::frontend::FileId;
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use std::cell::RefCell;
use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;
use std::rc::Rc;

const HELP: &str = "\
Enter SolvraScript statements or expressions; definitions persist across inputs, and an
expression's value is printed. An input continues on the next line while a bracket is open
or a line ends in an operator.

Commands:
  :help          this text
  :type EXPR     the type of EXPR's value
  :sir EXPR      the Solvra IR of an input (EXPR may be any statements)
  :llvm EXPR     the LLVM IR of an input
  :load FILE     run a file's statements in this session
  :reset         forget every definition
  :quit          leave (so does end of input, Ctrl-D)
";

/// The commands, for completion.
const COMMANDS: &[&str] = &[
    ":help", ":type", ":sir", ":llvm", ":load", ":reset", ":quit",
];

/// Whether `text` is an unfinished input (see the module docs).
pub fn needs_more(text: &str) -> bool {
    let (tokens, diags) = lexer::lex(FileId(0), text);
    if diags.iter().any(|d| {
        matches!(
            d.code,
            Code::UnterminatedComment | Code::UnterminatedInterpolation
        )
    }) {
        return true;
    }
    let mut depth = 0i32;
    let mut last = None;
    for t in &tokens {
        match &t.kind {
            TokenKind::Punct(Punct::LParen | Punct::LBracket | Punct::LBrace)
            | TokenKind::StrHead(_) => depth += 1,
            TokenKind::Punct(Punct::RParen | Punct::RBracket | Punct::RBrace)
            | TokenKind::StrTail(_) => depth -= 1,
            TokenKind::Eof => continue,
            _ => {}
        }
        last = Some(&t.kind);
    }
    if depth > 0 {
        return true;
    }
    match last {
        Some(TokenKind::Punct(p)) => !matches!(
            p,
            Punct::RParen | Punct::RBracket | Punct::RBrace | Punct::Semi
        ),
        Some(TokenKind::Kw(k)) => matches!(
            k,
            Keyword::And
                | Keyword::Or
                | Keyword::Not
                | Keyword::Then
                | Keyword::In
                | Keyword::Is
                | Keyword::Else
        ),
        _ => false,
    }
}

/// Line editing helper: completes commands, the session's names, builtins and keywords.
struct Helper {
    names: Rc<RefCell<Vec<String>>>,
}

impl Completer for Helper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let start = line[..pos]
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .map_or(0, |i| i + 1);
        let word = &line[start..pos];
        let pair = |s: &str| Pair {
            display: s.to_string(),
            replacement: s.to_string(),
        };
        let mut out: Vec<Pair> = Vec::new();
        if word.starts_with(':') {
            out.extend(
                COMMANDS
                    .iter()
                    .filter(|c| c.starts_with(word))
                    .map(|c| pair(c)),
            );
            return Ok((start, out));
        }
        let names = self.names.borrow();
        let builtins = solvra_rt::builtins::table::BUILTINS
            .iter()
            .filter(|b| b.visibility != solvra_rt::builtins::table::Visibility::Internal)
            .map(|b| b.name);
        let keywords = [
            "let", "const", "mut", "fn", "if", "else", "while", "for", "in", "match", "try",
            "catch", "return", "break", "continue", "import", "async", "await", "true", "false",
            "null",
        ];
        let mut all: Vec<&str> = names
            .iter()
            .map(String::as_str)
            .chain(builtins)
            .chain(keywords)
            .filter(|n| n.starts_with(word))
            .collect();
        all.sort_unstable();
        all.dedup();
        out.extend(all.into_iter().map(pair));
        Ok((start, out))
    }
}

impl Hinter for Helper {
    type Hint = String;
}
impl Highlighter for Helper {}
impl Validator for Helper {}
impl rustyline::Helper for Helper {}

/// Where inputs come from.
enum Input {
    Terminal(Box<rustyline::Editor<Helper, rustyline::history::DefaultHistory>>),
    Script(Box<dyn BufRead>),
}

impl Input {
    /// The next line, or `None` at the end of input.
    fn line(&mut self, prompt: &str) -> Option<String> {
        match self {
            Input::Terminal(ed) => loop {
                match ed.readline(prompt) {
                    Ok(line) => return Some(line),
                    // Ctrl-C drops the line being typed, as in a shell.
                    Err(ReadlineError::Interrupted) => continue,
                    Err(_) => return None,
                }
            },
            Input::Script(r) => {
                let mut line = String::new();
                match r.read_line(&mut line) {
                    Ok(0) | Err(_) => None,
                    Ok(_) => {
                        if line.ends_with('\n') {
                            line.pop();
                        }
                        Some(line)
                    }
                }
            }
        }
    }
}

/// Runs the REPL on the current thread until `:quit` or the end of input; returns the exit
/// status. The thread needs a large stack (compiled code recurses natively).
pub fn run(module_paths: Vec<PathBuf>, opt_level: u8) -> u8 {
    let base = 0u8;
    solvra_rt::aot::enter(&base as *const u8);
    let mut session = match Session::new(module_paths, opt_level) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("solvrac: cannot start the JIT: {e}");
            return 1;
        }
    };
    let interactive = std::io::stdin().is_terminal();
    let names = Rc::new(RefCell::new(Vec::new()));
    let mut input = if interactive {
        let config = rustyline::Config::builder().auto_add_history(true).build();
        match rustyline::Editor::with_config(config) {
            Ok(mut ed) => {
                ed.set_helper(Some(Helper {
                    names: names.clone(),
                }));
                println!(
                    "solvrac {} JIT REPL; :help for help, :quit to leave",
                    env!("CARGO_PKG_VERSION")
                );
                Input::Terminal(Box::new(ed))
            }
            Err(e) => {
                eprintln!("solvrac: cannot set up line editing: {e}");
                return 1;
            }
        }
    } else {
        Input::Script(Box::new(std::io::stdin().lock()))
    };
    let (prompt, more) = if interactive { ("> ", ".. ") } else { ("", "") };
    let mut failed = false;
    while let Some(first) = input.line(prompt) {
        let mut text = first;
        if text.trim().is_empty() {
            continue;
        }
        let trimmed = text.trim_start();
        if trimmed.starts_with(':') {
            let (cmd, arg) = trimmed
                .split_once(char::is_whitespace)
                .map_or((trimmed, ""), |(c, a)| (c, a.trim()));
            let ok = match cmd {
                ":quit" | ":q" => break,
                ":help" => {
                    print!("{HELP}");
                    true
                }
                ":reset" => {
                    session.reset();
                    true
                }
                ":load" => match std::fs::read_to_string(arg) {
                    Ok(source) => eval(&mut session, &source, Mode::Run),
                    Err(e) => {
                        eprintln!("solvrac: cannot read {arg}: {e}");
                        false
                    }
                },
                ":type" => eval(&mut session, arg, Mode::Type),
                ":sir" => show(session.sir(arg)),
                ":llvm" => show(session.llvm(arg)),
                _ => {
                    eprintln!("solvrac: unknown command {cmd}; :help lists the commands");
                    false
                }
            };
            failed |= !ok;
        } else {
            while needs_more(&text) {
                let Some(line) = input.line(more) else {
                    break;
                };
                text.push('\n');
                text.push_str(&line);
            }
            failed |= !eval(&mut session, &text, Mode::Run);
        }
        *names.borrow_mut() = session.names().map(str::to_string).collect();
    }
    solvra_rt::stdout::finish();
    u8::from(failed && !interactive)
}

/// Runs one input and prints its value or its error; returns whether it succeeded.
fn eval(session: &mut Session, text: &str, mode: Mode) -> bool {
    match session.eval(text, mode) {
        Ok(value) => {
            if let Some(v) = value {
                solvra_rt::stdout::write_str(&v);
                solvra_rt::stdout::write_str("\n");
                solvra_rt::stdout::flush();
            }
            true
        }
        Err(e) => report(e),
    }
}

/// Prints a listing (`:sir`, `:llvm`) or its error; returns whether there was a listing.
fn show(listing: Result<String, InputError>) -> bool {
    match listing {
        Ok(text) => {
            print!("{text}");
            true
        }
        Err(e) => report(e),
    }
}

fn report(e: InputError) -> bool {
    match e {
        InputError::Diagnostics(sources, diags) => diag::emit(&sources, &diags),
        InputError::Runtime(report) => eprint!("{report}"),
        InputError::Other(message) => eprintln!("solvrac: {message}"),
    }
    false
}
