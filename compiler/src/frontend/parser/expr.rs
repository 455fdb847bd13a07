//! Expressions (LANGUAGE.md §2.5): precedence climbing over the table of §2.5.1, then prefix,
//! postfix and primary forms.

use super::{Failed, PResult, Parser};
use crate::frontend::ast::*;
use crate::frontend::diag::{Code, Diagnostic};
use crate::frontend::source::Span;
use crate::frontend::token::{Keyword, Punct, TokenKind};

/// Binding power of a binary operator (§2.5.1 levels 2–7); `None` if the token is not one.
fn binary_op(kind: &TokenKind) -> Option<(u8, BinOp)> {
    Some(match kind {
        TokenKind::Punct(Punct::OrOr) | TokenKind::Kw(Keyword::Or) => (2, BinOp::Or),
        TokenKind::Punct(Punct::AndAnd) | TokenKind::Kw(Keyword::And) => (3, BinOp::And),
        TokenKind::Punct(Punct::EqEq) => (4, BinOp::Bin(BinaryOp::Eq)),
        TokenKind::Punct(Punct::NotEq) => (4, BinOp::Bin(BinaryOp::Ne)),
        TokenKind::Punct(Punct::Lt) => (5, BinOp::Bin(BinaryOp::Lt)),
        TokenKind::Punct(Punct::Gt) => (5, BinOp::Bin(BinaryOp::Gt)),
        TokenKind::Punct(Punct::LtEq) => (5, BinOp::Bin(BinaryOp::Le)),
        TokenKind::Punct(Punct::GtEq) => (5, BinOp::Bin(BinaryOp::Ge)),
        TokenKind::Kw(Keyword::Is) => (5, BinOp::Is),
        TokenKind::Punct(Punct::Plus) => (6, BinOp::Bin(BinaryOp::Add)),
        TokenKind::Punct(Punct::Minus) => (6, BinOp::Bin(BinaryOp::Sub)),
        TokenKind::Punct(Punct::Star) => (7, BinOp::Bin(BinaryOp::Mul)),
        TokenKind::Punct(Punct::Slash) => (7, BinOp::Bin(BinaryOp::Div)),
        TokenKind::Punct(Punct::Percent) => (7, BinOp::Bin(BinaryOp::Rem)),
        _ => return None,
    })
}

#[derive(Clone, Copy)]
enum BinOp {
    Bin(BinaryOp),
    And,
    Or,
    /// `is` or `is not`, decided after looking at the next token.
    Is,
}

fn assign_op(kind: &TokenKind) -> Option<AssignOp> {
    Some(match kind {
        TokenKind::Punct(Punct::Eq) => AssignOp::Assign,
        TokenKind::Punct(Punct::PlusEq) => AssignOp::Add,
        TokenKind::Punct(Punct::MinusEq) => AssignOp::Sub,
        TokenKind::Punct(Punct::StarEq) => AssignOp::Mul,
        TokenKind::Punct(Punct::SlashEq) => AssignOp::Div,
        _ => return None,
    })
}

impl Parser {
    fn mk(&mut self, kind: ExprKind, span: Span) -> Expr {
        Expr {
            id: self.id(),
            kind,
            span,
        }
    }

    /// A full expression, assignment included.
    pub(super) fn expr(&mut self) -> PResult<Expr> {
        self.nested(|p| p.assignment())
    }

    fn assignment(&mut self) -> PResult<Expr> {
        let target = self.binary(2)?;
        let Some(op) = assign_op(self.peek_kind()) else {
            return Ok(target);
        };
        self.bump();
        if !is_assign_target(&target) {
            let d = Diagnostic::new(
                Code::InvalidAssignTarget,
                target.span,
                "invalid assignment target",
            )
            .with_label("cannot assign to this")
            .with_help("assign to a variable, a member `a.f` or an element `a[i]`");
            self.error(d);
        }
        let value = self.expr()?;
        let span = target.span.to(value.span);
        Ok(self.mk(
            ExprKind::Assign(op, Box::new(target), Box::new(value)),
            span,
        ))
    }

    fn binary(&mut self, min_prec: u8) -> PResult<Expr> {
        let mut lhs = self.prefix()?;
        while let Some((prec, op)) = binary_op(self.peek_kind()) {
            if prec < min_prec {
                break;
            }
            self.chain_link()?;
            self.bump();
            let op = match op {
                BinOp::Is if self.eat_kw(Keyword::Not) => BinOp::Bin(BinaryOp::Ne),
                BinOp::Is => BinOp::Bin(BinaryOp::Eq),
                other => other,
            };
            let rhs = self.nested(|p| p.binary(prec + 1))?;
            let span = lhs.span.to(rhs.span);
            let kind = match op {
                BinOp::Bin(b) => ExprKind::Binary(b, Box::new(lhs), Box::new(rhs)),
                BinOp::And => ExprKind::Logical(LogicalOp::And, Box::new(lhs), Box::new(rhs)),
                BinOp::Or => ExprKind::Logical(LogicalOp::Or, Box::new(lhs), Box::new(rhs)),
                BinOp::Is => unreachable!("resolved above"),
            };
            lhs = self.mk(kind, span);
        }
        Ok(lhs)
    }

    fn prefix(&mut self) -> PResult<Expr> {
        let start = self.span();
        let make_unary = |p: &mut Parser, op: Option<UnaryOp>| -> PResult<Expr> {
            p.bump();
            let operand = p.nested(|p| p.prefix())?;
            let span = start.to(operand.span);
            let kind = match op {
                Some(op) => ExprKind::Unary(op, Box::new(operand)),
                None => ExprKind::Await(Box::new(operand)),
            };
            Ok(p.mk(kind, span))
        };
        match self.peek_kind() {
            TokenKind::Punct(Punct::Bang) | TokenKind::Kw(Keyword::Not) => {
                make_unary(self, Some(UnaryOp::Not))
            }
            TokenKind::Punct(Punct::Minus) => make_unary(self, Some(UnaryOp::Neg)),
            TokenKind::Kw(Keyword::Await) => make_unary(self, None),
            TokenKind::Kw(Keyword::Async)
                if matches!(self.peek_at(1), TokenKind::Kw(Keyword::Fn)) =>
            {
                self.postfix()
            }
            TokenKind::Kw(Keyword::Async) => {
                self.bump();
                let operand = self.nested(|p| p.prefix())?;
                let mut call = &operand;
                while let ExprKind::Paren(inner) = &call.kind {
                    call = inner;
                }
                if !matches!(call.kind, ExprKind::Call(..)) {
                    let d = Diagnostic::new(
                        Code::AsyncNotCall,
                        start.to(operand.span),
                        "'async' must be applied to a call",
                    )
                    .with_label("not a call")
                    .with_help("write `async f(args)`, or declare the function `async fn`");
                    self.error(d);
                }
                let span = start.to(operand.span);
                Ok(self.mk(ExprKind::Async(Box::new(operand)), span))
            }
            _ => self.postfix(),
        }
    }

    /// True when a `(` or `[` here may continue the expression as a call or index (Rule C).
    fn postfix_bracket_allowed(&self) -> bool {
        !self.newline_sensitive || !self.peek().line_initial
    }

    fn postfix(&mut self) -> PResult<Expr> {
        let mut e = self.primary()?;
        loop {
            if matches!(
                self.peek_kind(),
                TokenKind::Punct(Punct::LParen | Punct::LBracket | Punct::Dot | Punct::ColonColon)
            ) {
                self.chain_link()?;
            }
            match self.peek_kind() {
                TokenKind::Punct(Punct::LParen) if self.postfix_bracket_allowed() => {
                    self.bump();
                    let args = self
                        .in_context(false, |p| p.list(Punct::RParen, "arguments", |p| p.expr()))?;
                    let span = e.span.to(self.prev_span());
                    e = self.mk(ExprKind::Call(Box::new(e), args), span);
                }
                TokenKind::Punct(Punct::LBracket) if self.postfix_bracket_allowed() => {
                    self.bump();
                    e = self.in_context(false, |p| p.index_suffix(e))?;
                }
                TokenKind::Punct(Punct::Dot) => {
                    self.bump();
                    let (name, span) = self.expect_ident("a member name after `.`")?;
                    let full = e.span.to(span);
                    e = self.mk(
                        ExprKind::Member(Box::new(e), Ident { name, span }, MemberKind::Dot),
                        full,
                    );
                }
                TokenKind::Punct(Punct::ColonColon) if !self.index_top => {
                    self.bump();
                    let (name, span) = self.expect_ident("a name after `::`")?;
                    let full = e.span.to(span);
                    e = self.mk(
                        ExprKind::Member(Box::new(e), Ident { name, span }, MemberKind::Path),
                        full,
                    );
                }
                _ => return Ok(e),
            }
        }
    }

    /// After `[`: an index `a[i]` or a slice `a[s:e:st]` / `a[s::st]` (§2.5, §3.10.3).
    fn index_suffix(&mut self, target: Expr) -> PResult<Expr> {
        self.index_top = true;
        let first = if self.at_punct(Punct::Colon) || self.at_punct(Punct::ColonColon) {
            None
        } else {
            Some(Box::new(self.expr()?))
        };
        let mut parts: [Option<Box<Expr>>; 3] = [first, None, None];
        let is_slice = if self.eat_punct(Punct::ColonColon) {
            parts[2] = self.slice_part()?;
            true
        } else if self.eat_punct(Punct::Colon) {
            parts[1] = self.slice_part()?;
            if self.eat_punct(Punct::Colon) {
                parts[2] = self.slice_part()?;
            }
            true
        } else {
            false
        };
        self.expect_punct(Punct::RBracket, "to close the index")?;
        let span = target.span.to(self.prev_span());
        let kind = if is_slice {
            ExprKind::Slice(Box::new(target), parts)
        } else {
            let [index, _, _] = parts;
            let Some(index) = index else {
                return Err(self.unexpected("an index expression"));
            };
            ExprKind::Index(Box::new(target), index)
        };
        Ok(self.mk(kind, span))
    }

    fn slice_part(&mut self) -> PResult<Option<Box<Expr>>> {
        if self.at_punct(Punct::RBracket) || self.at_punct(Punct::Colon) {
            Ok(None)
        } else {
            Ok(Some(Box::new(self.expr()?)))
        }
    }

    /// A comma-separated list up to `close` (consumed), trailing comma allowed (§2.1).
    pub(super) fn list<T>(
        &mut self,
        close: Punct,
        what: &str,
        mut item: impl FnMut(&mut Parser) -> PResult<T>,
    ) -> PResult<Vec<T>> {
        let mut items = Vec::new();
        while !self.at_punct(close) {
            items.push(item(self)?);
            if !self.eat_punct(Punct::Comma) {
                break;
            }
        }
        if !self.at_punct(close) {
            return Err(self.unexpected(&format!("`,` or `{}` in {what}", close.as_str())));
        }
        self.bump();
        Ok(items)
    }

    fn primary(&mut self) -> PResult<Expr> {
        let tok = self.peek().clone();
        let span = tok.span;
        let simple = match &tok.kind {
            TokenKind::Int(v) => Some(ExprKind::Int(*v)),
            TokenKind::Float(v) => Some(ExprKind::Float(*v)),
            TokenKind::Str { value, .. } => Some(ExprKind::Str(value.to_string())),
            TokenKind::Kw(Keyword::True) => Some(ExprKind::Bool(true)),
            TokenKind::Kw(Keyword::False) => Some(ExprKind::Bool(false)),
            TokenKind::Kw(Keyword::Null) => Some(ExprKind::Null),
            TokenKind::Ident(name) => Some(ExprKind::Name(name.to_string())),
            _ => None,
        };
        if let Some(kind) = simple {
            self.bump();
            return Ok(self.mk(kind, span));
        }
        match tok.kind {
            TokenKind::StrHead(_) => self.template(),
            TokenKind::Punct(Punct::LParen) => {
                self.bump();
                let inner = self.in_context(false, |p| p.expr())?;
                self.expect_punct(Punct::RParen, "to close the parenthesis")?;
                let span = span.to(self.prev_span());
                Ok(self.mk(ExprKind::Paren(Box::new(inner)), span))
            }
            TokenKind::Punct(Punct::LBracket) => {
                self.bump();
                let items =
                    self.in_context(false, |p| p.list(Punct::RBracket, "an array", |p| p.expr()))?;
                let span = span.to(self.prev_span());
                Ok(self.mk(ExprKind::Array(items), span))
            }
            TokenKind::Punct(Punct::LBrace) => {
                self.bump();
                let fields =
                    self.in_context(false, |p| p.list(Punct::RBrace, "an object", |p| p.field()))?;
                let span = span.to(self.prev_span());
                Ok(self.mk(ExprKind::Object(fields), span))
            }
            TokenKind::Kw(Keyword::If) => {
                self.bump();
                let cond = self.expr()?;
                if self.at_kw(Keyword::Then) {
                    self.if_then_rest(span, cond)
                } else {
                    self.if_brace_rest(span, cond)
                }
            }
            TokenKind::Kw(Keyword::Match) => self.match_expr(),
            TokenKind::Kw(Keyword::Lambda) => self.lambda(),
            TokenKind::Kw(Keyword::Fn) | TokenKind::Kw(Keyword::Async) => {
                let is_async = self.eat_kw(Keyword::Async);
                self.bump();
                let name = match self.peek_kind().clone() {
                    TokenKind::Ident(name) => {
                        let nspan = self.bump().span;
                        Some(Binder {
                            id: self.id(),
                            name: name.to_string(),
                            span: nspan,
                        })
                    }
                    _ => None,
                };
                let func = self.function_rest(is_async, span)?;
                let full = func.span;
                Ok(self.mk(ExprKind::Function(name, Box::new(func)), full))
            }
            TokenKind::Kw(k @ (Keyword::Use | Keyword::Namespace)) => Err(self.reserved(k, span)),
            TokenKind::StrMid(_) | TokenKind::StrTail(_) => {
                let d = Diagnostic::new(Code::Expected, span, "empty interpolation `${}`")
                    .with_label("expected an expression inside `${}`")
                    .with_help("write `\\${` for a literal `${`");
                self.error(d);
                Err(Failed)
            }
            _ => Err(self.unexpected("an expression")),
        }
    }

    fn field(&mut self) -> PResult<Field> {
        let key = match self.peek_kind().clone() {
            TokenKind::Ident(name) | TokenKind::Str { value: name, .. } => {
                let span = self.bump().span;
                Ident {
                    name: name.to_string(),
                    span,
                }
            }
            TokenKind::StrHead(_) => return Err(self.plain_string_required("an object key")),
            TokenKind::Kw(k) => {
                let d = Diagnostic::new(
                    Code::Expected,
                    self.span(),
                    format!("keyword `{}` cannot be an object key", k.as_str()),
                )
                .with_label("reserved keyword")
                .with_help(format!("quote it: `\"{}\": …`", k.as_str()));
                self.error(d);
                return Err(Failed);
            }
            _ => return Err(self.unexpected("a field name")),
        };
        self.expect_punct(Punct::Colon, "after the field name")?;
        let value = self.expr()?;
        Ok(Field { key, value })
    }

    fn template(&mut self) -> PResult<Expr> {
        let start = self.span();
        let TokenKind::StrHead(head) = self.bump().kind else {
            unreachable!("called at StrHead")
        };
        let mut parts = vec![TemplatePart::Text(head.to_string())];
        self.in_context(false, |p| loop {
            let e = p.expr()?;
            parts.push(TemplatePart::Expr(e));
            match p.peek_kind().clone() {
                TokenKind::StrMid(text) => {
                    p.bump();
                    parts.push(TemplatePart::Text(text.to_string()));
                }
                TokenKind::StrTail(text) => {
                    p.bump();
                    parts.push(TemplatePart::Text(text.to_string()));
                    return Ok(());
                }
                _ => return Err(p.unexpected("`}` to close the interpolation")),
            }
        })?;
        parts.retain(|p| !matches!(p, TemplatePart::Text(t) if t.is_empty()));
        let span = start.to(self.prev_span());
        Ok(self.mk(ExprKind::Template(parts), span))
    }

    /// `then A else B` after `if COND`.
    pub(super) fn if_then_rest(&mut self, start: Span, cond: Expr) -> PResult<Expr> {
        self.bump();
        let then = self.expr()?;
        if !self.eat_kw(Keyword::Else) {
            return Err(self.missing_else());
        }
        let otherwise = self.expr()?;
        let span = start.to(otherwise.span);
        Ok(self.mk(
            ExprKind::If(Box::new(cond), Box::new(then), Box::new(otherwise)),
            span,
        ))
    }

    /// `{ A } else { B }` or `{ A } else if …` after `if COND` in expression position.
    fn if_brace_rest(&mut self, start: Span, cond: Expr) -> PResult<Expr> {
        let then = self.braced_expr()?;
        if !self.eat_kw(Keyword::Else) {
            return Err(self.missing_else());
        }
        let otherwise = if self.at_kw(Keyword::If) {
            let if_span = self.bump().span;
            let cond = self.expr()?;
            if self.at_kw(Keyword::Then) {
                self.if_then_rest(if_span, cond)?
            } else {
                self.nested(|p| p.if_brace_rest(if_span, cond))?
            }
        } else {
            self.braced_expr()?
        };
        let span = start.to(otherwise.span);
        Ok(self.mk(
            ExprKind::If(Box::new(cond), Box::new(then), Box::new(otherwise)),
            span,
        ))
    }

    fn braced_expr(&mut self) -> PResult<Expr> {
        if !self.at_punct(Punct::LBrace) {
            return Err(self.unexpected("`then` or `{` after the condition of an if-expression"));
        }
        self.bump();
        let e = self.in_context(false, |p| p.expr())?;
        self.expect_punct(
            Punct::RBrace,
            "after the branch of an if-expression (it holds one expression)",
        )?;
        Ok(e)
    }

    fn missing_else(&mut self) -> Failed {
        let d = Diagnostic::new(
            Code::Expected,
            self.span(),
            "if-expression requires an 'else' branch",
        )
        .with_label("expected `else`")
        .with_help("an if-expression must produce a value on both paths: add `else …`");
        if self.peek_kind() != &TokenKind::Error {
            self.error(d);
        }
        Failed
    }

    fn match_expr(&mut self) -> PResult<Expr> {
        let start = self.bump().span;
        let scrutinee = self.expr()?;
        self.expect_punct(Punct::LBrace, "to open the match arms")?;
        let arms = self.in_context(false, |p| p.list(Punct::RBrace, "match arms", |p| p.arm()))?;
        let span = start.to(self.prev_span());
        Ok(self.mk(ExprKind::Match(Box::new(scrutinee), arms), span))
    }

    fn arm(&mut self) -> PResult<Arm> {
        let pattern = self.pattern()?;
        let guard = if self.eat_kw(Keyword::If) {
            Some(self.expr()?)
        } else {
            None
        };
        if !self.eat_punct(Punct::Arrow) && !self.eat_punct(Punct::FatArrow) {
            return Err(self.unexpected("`->` or `=>` after the pattern"));
        }
        let body = self.expr()?;
        Ok(Arm {
            span: pattern.span.to(body.span),
            pattern,
            guard,
            body,
        })
    }

    fn lambda(&mut self) -> PResult<Expr> {
        let start = self.bump().span;
        let id = self.id();
        let mut params = Vec::new();
        if !self.eat_punct(Punct::OrOr) {
            self.expect_punct(Punct::Pipe, "to open the lambda parameters")?;
            params = self.in_context(false, |p| {
                p.list(Punct::Pipe, "lambda parameters", |p| {
                    let (name, span) = p.expect_ident("a parameter name")?;
                    Ok(Param {
                        name: Binder {
                            id: p.id(),
                            name,
                            span,
                        },
                        ty: None,
                        default: None,
                    })
                })
            })?;
        }
        if !self.eat_punct(Punct::Arrow) {
            return Err(self.unexpected("`->` before the lambda body"));
        }
        let saved_loops = std::mem::replace(&mut self.loop_depth, 0);
        let body = self.expr();
        self.loop_depth = saved_loops;
        let body = body?;
        let span = start.to(body.span);
        let func = Function {
            id,
            is_async: false,
            params,
            ret: None,
            body: FnBody::Expr(Box::new(body)),
            span,
        };
        Ok(self.mk(ExprKind::Function(None, Box::new(func)), span))
    }
}

/// §2.5: a name, a member access, or a non-slice index.
fn is_assign_target(e: &Expr) -> bool {
    matches!(
        e.kind,
        ExprKind::Name(_) | ExprKind::Member(..) | ExprKind::Index(..)
    )
}
