//! The parser: tokens to an AST (LANGUAGE.md §1.7 and §2), with error recovery.
//!
//! Recursive descent for statements, precedence climbing for binary operators. Two flags carry
//! the line-break rules: `newline_sensitive` is true where the innermost bracket is a block or the
//! file's top level (Rules T and C apply there: a line-initial `(` or `[` never continues an
//! expression), false inside `( )`, `[ ]`, object/match/import braces and `${ }` (§6.3 C3).
//! `index_top` is true at the top level of an index bracket, where `::` separates slice parts.
//!
//! On a syntax error the parser records a diagnostic and skips to the next statement boundary, so
//! one run reports every independent mistake. It never panics; nesting deeper than `MAX_DEPTH`
//! is reported instead of exhausting the stack.

mod expr;
mod pattern;
mod stmt;

use super::ast::{Module, NodeId};
use super::diag::{Code, Diagnostic};
use super::source::{FileId, Span};
use super::token::{Keyword, Punct, Token, TokenKind};

/// Deepest nesting of expressions, blocks and patterns the parser accepts.
pub const MAX_DEPTH: u32 = 20_000;

/// Longest chain of binary operators or postfix suffixes in one statement. A chain is flat in
/// the source but as deep as it is long in the tree (`a + b + c` nests to the left), and trees
/// are dropped recursively; the limit keeps that within the worker thread's stack.
pub const MAX_CHAIN: u32 = 1_000_000;

/// Parses a token stream from `lexer::lex` into a module.
pub fn parse(file: FileId, tokens: Vec<Token>) -> (Module, Vec<Diagnostic>) {
    let mut p = Parser {
        file,
        tokens,
        pos: 0,
        diags: Vec::new(),
        next_id: 0,
        newline_sensitive: true,
        index_top: false,
        depth: 0,
        chain: 0,
        loop_depth: 0,
        block_depth: 0,
    };
    let stmts = p.stmts_until_eof();
    let module = Module {
        file,
        stmts,
        node_count: p.next_id,
    };
    (module, p.diags)
}

/// Parse functions return `Err(Failed)` after recording a diagnostic (or when an already reported
/// lexical error is in the way); callers recover by skipping to a statement boundary.
#[derive(Debug)]
pub(crate) struct Failed;

pub(crate) type PResult<T> = Result<T, Failed>;

pub(crate) struct Parser {
    file: FileId,
    tokens: Vec<Token>,
    pos: usize,
    diags: Vec<Diagnostic>,
    next_id: u32,
    newline_sensitive: bool,
    index_top: bool,
    depth: u32,
    /// Binary operators and postfix suffixes parsed in the current statement.
    chain: u32,
    /// Loops enclosing the current statement within the current function.
    loop_depth: u32,
    /// Blocks enclosing the current statement; 0 at the top level of the file.
    block_depth: u32,
}

impl Parser {
    fn id(&mut self) -> NodeId {
        self.next_id += 1;
        NodeId(self.next_id - 1)
    }

    fn peek(&self) -> &Token {
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn peek_kind(&self) -> &TokenKind {
        &self.peek().kind
    }

    fn peek_at(&self, ahead: usize) -> &TokenKind {
        &self.tokens[(self.pos + ahead).min(self.tokens.len() - 1)].kind
    }

    fn span(&self) -> Span {
        self.peek().span
    }

    /// The span of the most recently consumed token.
    fn prev_span(&self) -> Span {
        if self.pos == 0 {
            Span::new(self.file, 0, 0)
        } else {
            self.tokens[self.pos - 1].span
        }
    }

    fn bump(&mut self) -> Token {
        let tok = self.peek().clone();
        if self.pos < self.tokens.len() - 1 {
            self.pos += 1;
        }
        tok
    }

    fn at_punct(&self, p: Punct) -> bool {
        matches!(self.peek_kind(), TokenKind::Punct(q) if *q == p)
    }

    fn at_kw(&self, k: Keyword) -> bool {
        matches!(self.peek_kind(), TokenKind::Kw(q) if *q == k)
    }

    /// True at an identifier spelled `word` (contextual words such as `from`, `as`, `finally`).
    fn at_word(&self, word: &str) -> bool {
        matches!(self.peek_kind(), TokenKind::Ident(w) if &**w == word)
    }

    fn at_eof(&self) -> bool {
        matches!(self.peek_kind(), TokenKind::Eof)
    }

    fn eat_punct(&mut self, p: Punct) -> bool {
        if self.at_punct(p) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn eat_kw(&mut self, k: Keyword) -> bool {
        if self.at_kw(k) {
            self.bump();
            true
        } else {
            false
        }
    }

    fn expect_punct(&mut self, p: Punct, context: &str) -> PResult<Span> {
        if self.at_punct(p) {
            Ok(self.bump().span)
        } else {
            Err(self.unexpected(&format!("`{}` {context}", p.as_str())))
        }
    }

    /// Reports "expected WHAT, found TOKEN" at the current token. An `Error` token was already
    /// reported by the lexer, so nothing new is said about it.
    fn unexpected(&mut self, what: &str) -> Failed {
        let tok = self.peek().clone();
        if tok.kind != TokenKind::Error {
            let found = tok.kind.to_string();
            let d = Diagnostic::new(
                Code::Expected,
                tok.span,
                format!("expected {what}, found {found}"),
            )
            .with_label(format!("expected {what}"));
            self.diags.push(d);
        }
        Failed
    }

    fn error(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// An identifier (type keywords included, since they lex as identifiers).
    fn expect_ident(&mut self, what: &str) -> PResult<(String, Span)> {
        match self.peek_kind().clone() {
            TokenKind::Ident(name) => {
                let span = self.bump().span;
                Ok((name.to_string(), span))
            }
            TokenKind::Kw(k @ (Keyword::Use | Keyword::Namespace)) => {
                Err(self.reserved(k, self.span()))
            }
            _ => Err(self.unexpected(what)),
        }
    }

    fn reserved(&mut self, k: Keyword, span: Span) -> Failed {
        let d = Diagnostic::new(
            Code::ReservedWord,
            span,
            format!("'{}' is reserved and has no meaning", k.as_str()),
        )
        .with_label("reserved keyword")
        .with_help("modules are loaded with `import`");
        self.error(d);
        Failed
    }

    /// Runs `f` one nesting level deeper, growing the stack on demand and refusing pathological
    /// depth with a diagnostic.
    fn nested<T>(&mut self, f: impl FnOnce(&mut Parser) -> PResult<T>) -> PResult<T> {
        if self.depth >= MAX_DEPTH {
            let d = Diagnostic::new(
                Code::TooDeep,
                self.span(),
                format!("nesting too deep (more than {MAX_DEPTH} levels)"),
            );
            self.error(d);
            // Skip everything: the rest of the file is almost certainly the same construct.
            self.pos = self.tokens.len() - 1;
            return Err(Failed);
        }
        self.depth += 1;
        let r = stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || f(self));
        self.depth -= 1;
        r
    }

    /// Counts one more link of an operator or suffix chain; refuses absurdly long ones.
    fn chain_link(&mut self) -> PResult<()> {
        self.chain += 1;
        if self.chain > MAX_CHAIN {
            let d = Diagnostic::new(
                Code::TooDeep,
                self.span(),
                format!("expression too long (more than {MAX_CHAIN} operators or suffixes in one statement)"),
            );
            self.error(d);
            self.pos = self.tokens.len() - 1;
            return Err(Failed);
        }
        Ok(())
    }

    /// Runs `f` with the line-break context of a bracket (`sensitive == false`) or of a block.
    fn in_context<T>(&mut self, sensitive: bool, f: impl FnOnce(&mut Parser) -> T) -> T {
        let saved = (self.newline_sensitive, self.index_top);
        self.newline_sensitive = sensitive;
        self.index_top = false;
        let r = f(self);
        (self.newline_sensitive, self.index_top) = saved;
        r
    }

    /// After a failed statement: skip to the next plausible statement start, staying inside the
    /// current block. Brackets opened by skipped tokens are skipped as a whole.
    ///
    /// Brackets opened between `stmt_start` and the error are still open, so skipping first
    /// closes them; a `}` ending an object literal is not mistaken for the end of the block.
    fn synchronize(&mut self, stmt_start: usize) {
        let mut nesting = 0u32;
        for tok in &self.tokens[stmt_start..self.pos] {
            match tok.kind {
                TokenKind::Punct(Punct::LParen | Punct::LBracket | Punct::LBrace)
                | TokenKind::StrHead(_) => nesting += 1,
                TokenKind::Punct(Punct::RParen | Punct::RBracket | Punct::RBrace)
                | TokenKind::StrTail(_) => nesting = nesting.saturating_sub(1),
                _ => {}
            }
        }
        let start = self.pos;
        loop {
            let tok = self.peek();
            match &tok.kind {
                TokenKind::Eof => return,
                _ if nesting == 0 && self.pos > start && tok.line_initial => return,
                TokenKind::Punct(Punct::Semi) if nesting == 0 => {
                    self.bump();
                    return;
                }
                TokenKind::Punct(Punct::RBrace) if nesting == 0 => return,
                TokenKind::Punct(Punct::LParen | Punct::LBracket | Punct::LBrace)
                | TokenKind::StrHead(_) => nesting += 1,
                TokenKind::Punct(Punct::RParen | Punct::RBracket | Punct::RBrace)
                | TokenKind::StrTail(_) => nesting = nesting.saturating_sub(1),
                _ => {}
            }
            self.bump();
        }
    }
}
