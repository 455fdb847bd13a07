//! The lexer: source text to tokens (LANGUAGE.md §1).
//!
//! It never stops at an error: a bad character becomes an `Error` token plus a diagnostic, so the
//! parser can go on and report later, independent mistakes in the same run. Interpolated strings
//! are split into `StrHead`/`StrMid`/`StrTail` around ordinary tokens (see `token.rs`); a stack of
//! open interpolations tells which `}` resumes a string.

use super::diag::{Code, Diagnostic};
use super::source::{FileId, Span};
use super::token::{Keyword, Punct, Token, TokenKind};

/// Lexes a whole file. The result always ends with an `Eof` token.
pub fn lex(file: FileId, text: &str) -> (Vec<Token>, Vec<Diagnostic>) {
    let mut lx = Lexer {
        file,
        src: text.as_bytes(),
        text,
        pos: 0,
        tokens: Vec::new(),
        diags: Vec::new(),
        line_break: false,
        interps: Vec::new(),
    };
    if text.starts_with('\u{feff}') {
        lx.pos = 3;
    }
    lx.run();
    (lx.tokens, lx.diags)
}

/// An open `${ … }`: which quote resumes after it, and how many `{` are open inside it.
struct Interp {
    quote: u8,
    depth: u32,
    start: usize,
}

struct Lexer<'a> {
    file: FileId,
    src: &'a [u8],
    text: &'a str,
    pos: usize,
    tokens: Vec<Token>,
    diags: Vec<Diagnostic>,
    line_break: bool,
    interps: Vec<Interp>,
}

impl Lexer<'_> {
    fn span(&self, start: usize, end: usize) -> Span {
        Span::new(self.file, start, end)
    }

    fn push(&mut self, kind: TokenKind, start: usize) {
        let span = self.span(start, self.pos);
        self.tokens.push(Token {
            kind,
            span,
            line_initial: self.line_break,
        });
        self.line_break = false;
    }

    fn error(&mut self, code: Code, start: usize, end: usize, message: impl Into<String>) {
        let d = Diagnostic::new(code, self.span(start, end), message);
        self.diags.push(d);
    }

    fn peek(&self, ahead: usize) -> u8 {
        self.src.get(self.pos + ahead).copied().unwrap_or(0)
    }

    fn run(&mut self) {
        loop {
            self.skip_trivia();
            if self.pos >= self.src.len() {
                break;
            }
            self.token();
        }
        let unclosed = std::mem::take(&mut self.interps);
        for open in &unclosed {
            self.error(
                Code::UnterminatedInterpolation,
                open.start,
                open.start + 2,
                "unterminated interpolation",
            );
        }
        if !unclosed.is_empty() {
            // Stands in for the missing `}` so the parser does not report it a second time.
            self.push(TokenKind::Error, self.src.len());
        }
        let end = self.src.len();
        self.pos = end;
        self.push(TokenKind::Eof, end);
    }

    /// Skips whitespace and comments, noting line breaks for Rule T/C.
    fn skip_trivia(&mut self) {
        while self.pos < self.src.len() {
            match self.src[self.pos] {
                b'\n' => {
                    self.line_break = true;
                    self.pos += 1;
                }
                b' ' | b'\t' | b'\r' | 0x0c => self.pos += 1,
                b'/' if self.peek(1) == b'/' => {
                    while self.pos < self.src.len() && self.src[self.pos] != b'\n' {
                        self.pos += 1;
                    }
                }
                b'/' if self.peek(1) == b'*' => {
                    let start = self.pos;
                    match self.text[start + 2..].find("*/") {
                        Some(i) => {
                            let end = start + 2 + i + 2;
                            if self.text[start..end].contains('\n') {
                                self.line_break = true;
                            }
                            self.pos = end;
                        }
                        None => {
                            self.error(
                                Code::UnterminatedComment,
                                start,
                                start + 2,
                                "unterminated block comment",
                            );
                            self.pos = self.src.len();
                        }
                    }
                }
                _ => break,
            }
        }
    }

    fn token(&mut self) {
        let start = self.pos;
        let c = self.src[start];
        match c {
            b'0'..=b'9' => self.number(),
            b'a'..=b'z' | b'A'..=b'Z' | b'_' => self.word(),
            b'"' | b'`' => {
                self.pos += 1;
                self.string_body(c, start, true);
            }
            b'\'' => {
                // Swallow the whole would-be literal so it is reported once, not per quote.
                self.pos += 1;
                let line_end = self.text[self.pos..]
                    .find('\n')
                    .map_or(self.src.len(), |i| self.pos + i);
                if let Some(i) = self.text[self.pos..line_end].find('\'') {
                    self.pos += i + 1;
                }
                let d = Diagnostic::new(
                    Code::SingleQuote,
                    self.span(start, self.pos),
                    "single-quoted strings are not supported",
                )
                .with_help("write strings with double quotes `\"…\"` or backticks");
                self.diags.push(d);
                self.push(TokenKind::Error, start);
            }
            b'{' => {
                if let Some(top) = self.interps.last_mut() {
                    top.depth += 1;
                }
                self.pos += 1;
                self.push(TokenKind::Punct(Punct::LBrace), start);
            }
            b'}' => {
                if let Some(top) = self.interps.last() {
                    if top.depth == 0 {
                        let quote = top.quote;
                        self.interps.pop();
                        self.pos += 1;
                        self.string_body(quote, start, false);
                        return;
                    }
                }
                if let Some(top) = self.interps.last_mut() {
                    top.depth -= 1;
                }
                self.pos += 1;
                self.push(TokenKind::Punct(Punct::RBrace), start);
            }
            _ if c >= 0x80 => {
                let ch = self.text[start..].chars().next().unwrap_or('\u{fffd}');
                self.pos += ch.len_utf8();
                let d = Diagnostic::new(
                    Code::UnexpectedChar,
                    self.span(start, self.pos),
                    format!("unexpected character '{ch}'"),
                )
                .with_help(
                    "identifiers are ASCII-only; non-ASCII text belongs in strings or comments",
                );
                self.diags.push(d);
                self.push(TokenKind::Error, start);
            }
            _ => self.punct(),
        }
    }

    fn punct(&mut self) {
        use Punct::*;
        let start = self.pos;
        let two = [self.peek(0), self.peek(1)];
        let (p, len) = match &two {
            b"==" => (EqEq, 2),
            b"!=" => (NotEq, 2),
            b"<=" => (LtEq, 2),
            b">=" => (GtEq, 2),
            b"&&" => (AndAnd, 2),
            b"||" => (OrOr, 2),
            b"+=" => (PlusEq, 2),
            b"-=" => (MinusEq, 2),
            b"*=" => (StarEq, 2),
            b"/=" => (SlashEq, 2),
            b"->" => (Arrow, 2),
            b"=>" => (FatArrow, 2),
            b"::" => (ColonColon, 2),
            _ => {
                let p = match two[0] {
                    b'+' => Plus,
                    b'-' => Minus,
                    b'*' => Star,
                    b'/' => Slash,
                    b'%' => Percent,
                    b'<' => Lt,
                    b'>' => Gt,
                    b'!' => Bang,
                    b'=' => Eq,
                    b'.' => Dot,
                    b':' => Colon,
                    b'(' => LParen,
                    b')' => RParen,
                    b'[' => LBracket,
                    b']' => RBracket,
                    b',' => Comma,
                    b';' => Semi,
                    b'|' => Pipe,
                    other => {
                        self.pos += 1;
                        let shown = (other as char).escape_default().to_string();
                        let mut d = Diagnostic::new(
                            Code::UnexpectedChar,
                            self.span(start, self.pos),
                            format!("unexpected character '{shown}'"),
                        );
                        if other == b'&' {
                            d = d.with_help("logical and is written `&&` or `and`; there are no bitwise operators");
                        }
                        self.diags.push(d);
                        self.push(TokenKind::Error, start);
                        return;
                    }
                };
                (p, 1)
            }
        };
        self.pos += len;
        self.push(TokenKind::Punct(p), start);
    }

    fn number(&mut self) {
        let start = self.pos;
        while self.peek(0).is_ascii_digit() {
            self.pos += 1;
        }
        if self.peek(0) == b'.' && self.peek(1).is_ascii_digit() {
            self.pos += 1;
            while self.peek(0).is_ascii_digit() {
                self.pos += 1;
            }
            let text = &self.text[start..self.pos];
            let value = text.parse::<f64>().unwrap_or(f64::NAN);
            self.push(TokenKind::Float(value), start);
            return;
        }
        let text = &self.text[start..self.pos];
        match text.parse::<i64>() {
            Ok(v) => self.push(TokenKind::Int(v), start),
            Err(_) => {
                let d = Diagnostic::new(
                    Code::IntTooLarge,
                    self.span(start, self.pos),
                    "integer literal too large",
                )
                .with_label("does not fit in a signed 64-bit integer")
                .with_help("the largest integer literal is 9223372036854775807");
                self.diags.push(d);
                self.push(TokenKind::Error, start);
            }
        }
    }

    fn word(&mut self) {
        let start = self.pos;
        while matches!(self.peek(0), b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_') {
            self.pos += 1;
        }
        let word = &self.text[start..self.pos];
        let kind = match Keyword::from_word(word) {
            Some(k) => TokenKind::Kw(k),
            None => TokenKind::Ident(word.into()),
        };
        self.push(kind, start);
    }

    /// Lexes string text after an opening quote (`first`) or after the `}` closing an
    /// interpolation, up to the closing quote or the next `${`.
    fn string_body(&mut self, quote: u8, start: usize, first: bool) {
        let mut value = String::new();
        loop {
            let Some(&c) = self.src.get(self.pos) else {
                let open = if first { start } else { self.pos };
                self.error(
                    Code::UnterminatedString,
                    open,
                    open + 1,
                    "unterminated string literal",
                );
                self.push(TokenKind::Error, start);
                return;
            };
            match c {
                _ if c == quote => {
                    self.pos += 1;
                    let kind = if first {
                        TokenKind::Str {
                            value: value.into(),
                            template: quote == b'`',
                        }
                    } else {
                        TokenKind::StrTail(value.into())
                    };
                    self.push(kind, start);
                    return;
                }
                b'$' if self.peek(1) == b'{' => {
                    let interp_start = self.pos;
                    self.pos += 2;
                    let kind = if first {
                        TokenKind::StrHead(value.into())
                    } else {
                        TokenKind::StrMid(value.into())
                    };
                    self.push(kind, start);
                    self.interps.push(Interp {
                        quote,
                        depth: 0,
                        start: interp_start,
                    });
                    return;
                }
                b'\\' => {
                    let esc = self.peek(1);
                    if self.pos + 1 >= self.src.len() {
                        self.error(
                            Code::TrailingBackslash,
                            self.pos,
                            self.pos + 1,
                            "backslash at end of file",
                        );
                        self.pos += 1;
                        continue;
                    }
                    let decoded = match esc {
                        b'n' => Some('\n'),
                        b't' => Some('\t'),
                        b'r' => Some('\r'),
                        b'0' => Some('\0'),
                        b'\\' => Some('\\'),
                        b'"' => Some('"'),
                        b'`' => Some('`'),
                        b'$' => Some('$'),
                        _ => None,
                    };
                    match decoded {
                        Some(ch) => {
                            value.push(ch);
                            self.pos += 2;
                        }
                        None => {
                            // Unknown escapes keep the backslash; the next character is then read
                            // normally (it may be a quote-free newline, CRLF or a UTF-8 sequence).
                            value.push('\\');
                            self.pos += 1;
                        }
                    }
                }
                b'\r' if self.peek(1) == b'\n' => {
                    value.push('\n');
                    self.pos += 2;
                }
                _ => {
                    let ch = self.text[self.pos..].chars().next().unwrap_or('\u{fffd}');
                    value.push(ch);
                    self.pos += ch.len_utf8();
                }
            }
        }
    }
}
