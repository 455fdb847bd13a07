//! Statements, blocks, declarations, imports and exports (LANGUAGE.md §2.2–§2.4, §2.8).

use super::{Failed, PResult, Parser};
use crate::frontend::ast::*;
use crate::frontend::diag::{Code, Diagnostic};
use crate::frontend::token::{Keyword, Punct, TokenKind};

impl Parser {
    pub(super) fn stmts_until_eof(&mut self) -> Vec<Stmt> {
        let mut stmts = Vec::new();
        while !self.at_eof() {
            if self.at_punct(Punct::RBrace) {
                let d = Diagnostic::new(Code::Expected, self.span(), "unmatched `}`")
                    .with_label("no block is open here");
                self.error(d);
                self.bump();
                continue;
            }
            self.stmt_into(&mut stmts);
        }
        stmts
    }

    /// Parses one statement (recovering on error) and appends it unless it was empty or broken.
    fn stmt_into(&mut self, out: &mut Vec<Stmt>) {
        let before = self.pos;
        match self.stmt() {
            Ok(Some(stmt)) => out.push(stmt),
            Ok(None) => {}
            Err(Failed) => {
                self.synchronize(before);
                if self.pos == before && !self.at_eof() && !self.at_punct(Punct::RBrace) {
                    self.bump();
                }
            }
        }
    }

    pub(super) fn block(&mut self) -> PResult<Block> {
        self.nested(|p| {
            let open = p.expect_punct(Punct::LBrace, "to open a block")?;
            p.block_depth += 1;
            let stmts = p.in_context(true, |p| {
                let mut stmts = Vec::new();
                while !p.at_punct(Punct::RBrace) && !p.at_eof() {
                    p.stmt_into(&mut stmts);
                }
                stmts
            });
            p.block_depth -= 1;
            if !p.at_punct(Punct::RBrace) {
                let d =
                    Diagnostic::new(Code::Expected, p.span(), "expected `}`, found end of file")
                        .with_label("expected `}`")
                        .with_secondary(open, "this block is never closed");
                p.error(d);
                return Err(Failed);
            }
            let close = p.bump().span;
            Ok(Block {
                stmts,
                span: open.to(close),
            })
        })
    }

    /// A block that is the body of an `if`/`while`/`for`/… (§2.4: bodies must be blocks).
    fn body_block(&mut self, owner: &str) -> PResult<Block> {
        if self.at_punct(Punct::LBrace) {
            return self.block();
        }
        let d = Diagnostic::new(
            Code::Expected,
            self.span(),
            format!(
                "expected `{{` to start the body of `{owner}`, found {}",
                self.peek_kind()
            ),
        )
        .with_label("expected a block")
        .with_help(format!(
            "bodies of `{owner}` must be blocks in braces: `{{ … }}`"
        ));
        if self.peek_kind() != &TokenKind::Error {
            self.error(d);
        }
        Err(Failed)
    }

    /// Rule T: a simple statement ends at `;`, a line break, a closing `}` or end of file.
    pub(super) fn terminator(&mut self) -> PResult<()> {
        if self.eat_punct(Punct::Semi) {
            return Ok(());
        }
        let tok = self.peek();
        if tok.line_initial || matches!(tok.kind, TokenKind::Eof | TokenKind::Punct(Punct::RBrace))
        {
            return Ok(());
        }
        if tok.kind != TokenKind::Error {
            let d = Diagnostic::new(
                Code::ExpectedTerminator,
                tok.span,
                format!("expected ';' or line break, found {}", tok.kind),
            )
            .with_label("expected ';' or line break before this")
            .with_help("put each statement on its own line or separate them with `;`");
            self.error(d);
        }
        Err(Failed)
    }

    /// True when a `return`/`break`/`panic` operand is absent (§1.7).
    fn operand_absent(&self) -> bool {
        let tok = self.peek();
        tok.line_initial
            || matches!(
                tok.kind,
                TokenKind::Eof | TokenKind::Punct(Punct::Semi) | TokenKind::Punct(Punct::RBrace)
            )
    }

    fn stmt(&mut self) -> PResult<Option<Stmt>> {
        let start = self.span();
        self.chain = 0;
        let kind = match self.peek_kind().clone() {
            TokenKind::Punct(Punct::Semi) => {
                self.bump();
                return Ok(None);
            }
            TokenKind::Punct(Punct::LBrace) => StmtKind::Block(self.block()?),
            TokenKind::Kw(Keyword::Let | Keyword::Const) => {
                let decl = self.let_decl()?;
                self.terminator()?;
                StmtKind::Let(decl)
            }
            TokenKind::Kw(Keyword::Fn) if matches!(self.peek_at(1), TokenKind::Ident(_)) => {
                StmtKind::Fn(self.fn_decl()?)
            }
            TokenKind::Kw(Keyword::Async)
                if matches!(self.peek_at(1), TokenKind::Kw(Keyword::Fn))
                    && matches!(self.peek_at(2), TokenKind::Ident(_)) =>
            {
                StmtKind::Fn(self.fn_decl()?)
            }
            TokenKind::Kw(Keyword::Import) => {
                self.check_top_level("import")?;
                let import = self.import_decl()?;
                self.terminator()?;
                StmtKind::Import(import)
            }
            TokenKind::Kw(Keyword::Export) => {
                self.check_top_level("export")?;
                StmtKind::Export(self.export_decl()?)
            }
            TokenKind::Kw(Keyword::If) => return self.if_stmt().map(Some),
            TokenKind::Kw(Keyword::While) => {
                self.bump();
                let cond = self.expr()?;
                self.loop_depth += 1;
                let body = self.body_block("while");
                self.loop_depth -= 1;
                StmtKind::While { cond, body: body? }
            }
            TokenKind::Kw(Keyword::For) => {
                self.bump();
                let (name, span) = self.expect_ident("a loop variable name after `for`")?;
                let var = Binder {
                    id: self.id(),
                    name,
                    span,
                };
                if !self.eat_kw(Keyword::In) {
                    return Err(self.unexpected("`in` after the loop variable"));
                }
                let iter = self.expr()?;
                self.loop_depth += 1;
                let body = self.body_block("for");
                self.loop_depth -= 1;
                StmtKind::For {
                    var,
                    iter,
                    body: body?,
                }
            }
            TokenKind::Kw(Keyword::Try) => StmtKind::Try(self.try_stmt()?),
            TokenKind::Kw(Keyword::Return) => {
                self.bump();
                let value = if self.operand_absent() {
                    None
                } else {
                    Some(self.expr()?)
                };
                self.terminator()?;
                StmtKind::Return(value)
            }
            TokenKind::Kw(k @ (Keyword::Break | Keyword::Continue)) => {
                let span = self.bump().span;
                if self.loop_depth == 0 {
                    let d = Diagnostic::new(
                        Code::LoopControlOutsideLoop,
                        span,
                        format!("'{}' outside of a loop", k.as_str()),
                    )
                    .with_label(format!(
                        "`{}` must be inside a `while` or `for` body",
                        k.as_str()
                    ))
                    .with_help(
                        "a loop does not extend into functions or lambdas defined inside it",
                    );
                    self.error(d);
                }
                self.terminator()?;
                if k == Keyword::Break {
                    StmtKind::Break
                } else {
                    StmtKind::Continue
                }
            }
            TokenKind::Kw(Keyword::Panic) => {
                self.bump();
                let value = if self.operand_absent() {
                    None
                } else {
                    Some(self.expr()?)
                };
                self.terminator()?;
                StmtKind::Panic(value)
            }
            _ => {
                let e = self.expr()?;
                self.terminator()?;
                StmtKind::Expr(e)
            }
        };
        Ok(Some(Stmt {
            kind,
            span: start.to(self.prev_span()),
        }))
    }

    fn check_top_level(&mut self, what: &str) -> PResult<()> {
        if self.block_depth == 0 {
            return Ok(());
        }
        let d = Diagnostic::new(
            Code::NotTopLevel,
            self.span(),
            format!("'{what}' is only allowed at the top level of a file"),
        )
        .with_label(format!("`{what}` inside a block"));
        self.error(d);
        Err(Failed)
    }

    pub(super) fn let_decl(&mut self) -> PResult<LetDecl> {
        let kw = self.bump();
        let is_const = kw.kind == TokenKind::Kw(Keyword::Const);
        let mutable = self.at_kw(Keyword::Mut);
        if mutable {
            let mut_span = self.bump().span;
            if is_const {
                let d = Diagnostic::new(Code::InvalidConst, mut_span, "a `const` cannot be `mut`")
                    .with_label("remove `mut`")
                    .with_help("use `let` for a variable that changes");
                self.error(d);
                return Err(Failed);
            }
        }
        let (name, span) = self.expect_ident("a variable name")?;
        let name = Binder {
            id: self.id(),
            name,
            span,
        };
        let ty = if self.eat_punct(Punct::Colon) {
            Some(self.type_annotation()?)
        } else {
            None
        };
        let init = if self.eat_punct(Punct::Eq) {
            Some(self.expr()?)
        } else {
            None
        };
        if is_const && init.is_none() {
            let d = Diagnostic::new(
                Code::InvalidConst,
                name.span,
                format!("const '{}' requires an initializer", name.name),
            )
            .with_label("missing `= value`");
            self.error(d);
            return Err(Failed);
        }
        let kind = match (is_const, mutable) {
            (true, _) => LetKind::Const,
            (false, true) => LetKind::LetMut,
            (false, false) => LetKind::Let,
        };
        Ok(LetDecl {
            kind,
            name,
            ty,
            init,
        })
    }

    fn fn_decl(&mut self) -> PResult<FnDecl> {
        let start = self.span();
        let is_async = self.eat_kw(Keyword::Async);
        self.bump();
        let (name, span) = self.expect_ident("a function name")?;
        let name = Binder {
            id: self.id(),
            name,
            span,
        };
        let func = self.function_rest(is_async, start)?;
        Ok(FnDecl { name, func })
    }

    /// Parameters, optional return type and body, after `fn [name]`.
    pub(super) fn function_rest(
        &mut self,
        is_async: bool,
        start: crate::frontend::source::Span,
    ) -> PResult<Function> {
        let id = self.id();
        self.expect_punct(Punct::LParen, "to open the parameter list")?;
        let params = self.in_context(false, |p| p.params())?;
        let ret = if self.eat_punct(Punct::Arrow) {
            Some(self.type_annotation()?)
        } else {
            None
        };
        // A function body starts a fresh loop context: `break` cannot reach an outer loop.
        let saved_loops = std::mem::replace(&mut self.loop_depth, 0);
        let body = self.body_block("fn");
        self.loop_depth = saved_loops;
        let body = body?;
        Ok(Function {
            id,
            is_async,
            params,
            ret,
            span: start.to(body.span),
            body: FnBody::Block(body),
        })
    }

    fn params(&mut self) -> PResult<Vec<Param>> {
        let mut params: Vec<Param> = Vec::new();
        let mut first_default = None;
        while !self.at_punct(Punct::RParen) {
            let (name, span) = self.expect_ident("a parameter name")?;
            let name = Binder {
                id: self.id(),
                name,
                span,
            };
            let ty = if self.eat_punct(Punct::Colon) {
                Some(self.type_annotation()?)
            } else {
                None
            };
            let default = if self.eat_punct(Punct::Eq) {
                first_default.get_or_insert(span);
                Some(self.expr()?)
            } else {
                if let Some(first) = first_default {
                    let d = Diagnostic::new(
                        Code::DefaultOrder,
                        span,
                        format!("parameter '{}' needs a default value", name.name),
                    )
                    .with_label("follows a parameter with a default")
                    .with_secondary(first, "first parameter with a default")
                    .with_help("move parameters with defaults to the end of the list");
                    self.error(d);
                }
                None
            };
            params.push(Param { name, ty, default });
            if !self.eat_punct(Punct::Comma) {
                break;
            }
        }
        self.expect_punct(Punct::RParen, "to close the parameter list")?;
        Ok(params)
    }

    pub(super) fn type_annotation(&mut self) -> PResult<Type> {
        self.nested(|p| {
            let start = p.span();
            if p.eat_punct(Punct::LBracket) {
                let inner = p.type_annotation()?;
                let end = p.expect_punct(Punct::RBracket, "to close the list type")?;
                return Ok(Type::List(Box::new(inner), start.to(end)));
            }
            if p.eat_punct(Punct::LParen) {
                let mut items = Vec::new();
                while !p.at_punct(Punct::RParen) {
                    items.push(p.type_annotation()?);
                    if !p.eat_punct(Punct::Comma) {
                        break;
                    }
                }
                let end = p.expect_punct(Punct::RParen, "to close the tuple type")?;
                return Ok(Type::Tuple(items, start.to(end)));
            }
            let (name, span) = p.expect_ident("a type")?;
            Ok(Type::Named(Ident { name, span }))
        })
    }

    fn if_stmt(&mut self) -> PResult<Stmt> {
        let start = self.bump().span;
        let cond = self.expr()?;
        if self.at_kw(Keyword::Then) {
            // `if c then a else b` at statement start is an expression statement (§2.2).
            let e = self.if_then_rest(start, cond)?;
            self.terminator()?;
            return Ok(Stmt {
                span: start.to(self.prev_span()),
                kind: StmtKind::Expr(e),
            });
        }
        let mut branches = vec![(cond, self.body_block("if")?)];
        let mut else_block = None;
        loop {
            if self.eat_kw(Keyword::Elif) {
                let cond = self.expr()?;
                branches.push((cond, self.body_block("elif")?));
            } else if self.at_kw(Keyword::Else) {
                self.bump();
                if self.eat_kw(Keyword::If) {
                    let cond = self.expr()?;
                    branches.push((cond, self.body_block("else if")?));
                } else {
                    else_block = Some(self.body_block("else")?);
                    break;
                }
            } else {
                break;
            }
        }
        Ok(Stmt {
            span: start.to(self.prev_span()),
            kind: StmtKind::If(IfStmt {
                branches,
                else_block,
            }),
        })
    }

    fn try_stmt(&mut self) -> PResult<TryStmt> {
        let try_span = self.bump().span;
        let body = self.body_block("try")?;
        let mut catches = Vec::new();
        while self.at_kw(Keyword::Catch) {
            let start = self.bump().span;
            let ty = if self.eat_punct(Punct::LParen) {
                let ty = self.in_context(false, |p| p.type_annotation())?;
                self.expect_punct(Punct::RParen, "after the catch type")?;
                Some(ty)
            } else {
                None
            };
            let var = match self.peek_kind().clone() {
                TokenKind::Ident(name) => {
                    let span = self.bump().span;
                    Some(Binder {
                        id: self.id(),
                        name: name.to_string(),
                        span,
                    })
                }
                _ => None,
            };
            let body = self.body_block("catch")?;
            catches.push(CatchClause {
                ty,
                var,
                span: start.to(body.span),
                body,
            });
        }
        let finally = if self.at_word("finally") {
            self.bump();
            Some(self.body_block("finally")?)
        } else {
            None
        };
        if catches.is_empty() && finally.is_none() {
            let d = Diagnostic::new(
                Code::TryWithoutHandler,
                try_span,
                "'try' requires a 'catch' or 'finally' clause",
            )
            .with_label("this `try` handles nothing")
            .with_help("add `catch e { … }` or `finally { … }` after the block");
            self.error(d);
            return Err(Failed);
        }
        Ok(TryStmt {
            body,
            catches,
            finally,
        })
    }

    fn import_decl(&mut self) -> PResult<ImportDecl> {
        self.bump();
        let id = self.id();
        let mut names = Vec::new();
        if self.eat_punct(Punct::LBrace) {
            self.in_context(false, |p| -> PResult<()> {
                while !p.at_punct(Punct::RBrace) {
                    let (name, span) = p.expect_ident("a name to import")?;
                    let id = p.id();
                    names.push(Binder { id, name, span });
                    if !p.eat_punct(Punct::Comma) {
                        break;
                    }
                }
                p.expect_punct(Punct::RBrace, "to close the import list")?;
                Ok(())
            })?;
            if !self.at_word("from") {
                return Err(self.unexpected("`from` after the import list"));
            }
            self.bump();
        }
        let source = self.import_source()?;
        let alias = if self.at_word("as") {
            self.bump();
            let (name, span) = self.expect_ident("a name after `as`")?;
            Some(Binder {
                id: self.id(),
                name,
                span,
            })
        } else {
            None
        };
        let namespace = match alias {
            Some(b) => Some(b),
            None if names.is_empty() => Some(Binder {
                id: self.id(),
                name: implied_namespace_name(&source),
                span: source.span(),
            }),
            None => None,
        };
        Ok(ImportDecl {
            id,
            source,
            names,
            namespace,
        })
    }

    fn import_source(&mut self) -> PResult<ImportSource> {
        match self.peek_kind().clone() {
            TokenKind::Str { value, .. } => {
                let span = self.bump().span;
                Ok(ImportSource::Path(value.to_string(), span))
            }
            TokenKind::StrHead(_) => Err(self.plain_string_required("an import path")),
            TokenKind::Punct(Punct::Lt) => {
                self.bump();
                let (name, span) = self.expect_ident("a standard module name")?;
                self.expect_punct(Punct::Gt, "to close the module name")?;
                Ok(ImportSource::Std(Ident { name, span }))
            }
            TokenKind::Ident(_) => {
                let mut parts = Vec::new();
                loop {
                    let (name, span) = self.expect_ident("a module name")?;
                    parts.push(Ident { name, span });
                    if !self.eat_punct(Punct::Dot) {
                        break;
                    }
                }
                Ok(ImportSource::Dotted(parts))
            }
            _ => Err(self.unexpected("a module path (\"file.svs\", <name> or a.b)")),
        }
    }

    /// Reports an interpolated string where a plain one is needed, skipping the whole literal.
    pub(super) fn plain_string_required(&mut self, what: &str) -> Failed {
        let start = self.span();
        let mut depth = 0;
        loop {
            match self.bump().kind {
                TokenKind::StrHead(_) => depth += 1,
                TokenKind::StrTail(_) => {
                    depth -= 1;
                    if depth == 0 {
                        break;
                    }
                }
                TokenKind::Eof => break,
                _ => {}
            }
        }
        let d = Diagnostic::new(
            Code::PlainStringRequired,
            start.to(self.prev_span()),
            format!("expected a plain string for {what}"),
        )
        .with_label("interpolation `${…}` is not allowed here")
        .with_help("escape the dollar sign (`\\${`) if it is meant literally");
        self.error(d);
        Failed
    }

    fn export_decl(&mut self) -> PResult<ExportDecl> {
        self.bump();
        match self.peek_kind().clone() {
            TokenKind::Kw(Keyword::Fn | Keyword::Async) => Ok(ExportDecl::Fn(self.fn_decl()?)),
            TokenKind::Kw(Keyword::Let | Keyword::Const) => {
                let decl = self.let_decl()?;
                self.terminator()?;
                Ok(ExportDecl::Let(decl))
            }
            TokenKind::Ident(name) => {
                let span = self.bump().span;
                let alias = if self.at_word("as") {
                    self.bump();
                    let (name, span) = self.expect_ident("a name after `as`")?;
                    Some(Ident { name, span })
                } else {
                    None
                };
                self.terminator()?;
                Ok(ExportDecl::Name {
                    name: Ident {
                        name: name.to_string(),
                        span,
                    },
                    alias,
                })
            }
            _ => Err(self.unexpected("`fn`, `let`, `const` or a name after `export`")),
        }
    }
}

/// The name a namespace import binds without `as` (§5.1): the file stem, the standard module's
/// name, or the last segment of a dotted path.
fn implied_namespace_name(source: &ImportSource) -> String {
    match source {
        ImportSource::Path(path, _) => {
            let trimmed = path.trim_end_matches('/');
            let last = trimmed.rsplit('/').next().unwrap_or(trimmed);
            last.strip_suffix(".svs").unwrap_or(last).to_string()
        }
        ImportSource::Std(id) => id.name.clone(),
        ImportSource::Dotted(parts) => parts[parts.len() - 1].name.clone(),
    }
}
