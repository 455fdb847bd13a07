//! `match` patterns (LANGUAGE.md §2.6).

use super::{PResult, Parser};
use crate::frontend::ast::*;
use crate::frontend::token::{Keyword, Punct, TokenKind};

impl Parser {
    pub(super) fn pattern(&mut self) -> PResult<Pattern> {
        self.nested(|p| p.pattern_inner())
    }

    fn pattern_inner(&mut self) -> PResult<Pattern> {
        let start = self.span();
        let kind = match self.peek_kind().clone() {
            TokenKind::Int(v) => {
                self.bump();
                PatternKind::Int(v)
            }
            TokenKind::Float(v) => {
                self.bump();
                PatternKind::Float(v)
            }
            TokenKind::Punct(Punct::Minus) => {
                self.bump();
                match self.peek_kind().clone() {
                    TokenKind::Int(v) => {
                        self.bump();
                        PatternKind::Int(v.wrapping_neg())
                    }
                    TokenKind::Float(v) => {
                        self.bump();
                        PatternKind::Float(-v)
                    }
                    _ => return Err(self.unexpected("a number after `-` in a pattern")),
                }
            }
            TokenKind::Str { value, .. } => {
                self.bump();
                PatternKind::Str(value.to_string())
            }
            TokenKind::StrHead(_) => return Err(self.plain_string_required("a match pattern")),
            TokenKind::Kw(Keyword::True) => {
                self.bump();
                PatternKind::Bool(true)
            }
            TokenKind::Kw(Keyword::False) => {
                self.bump();
                PatternKind::Bool(false)
            }
            TokenKind::Kw(Keyword::Null) => {
                self.bump();
                PatternKind::Null
            }
            TokenKind::Ident(name) if &*name == "_" => {
                self.bump();
                PatternKind::Wildcard
            }
            TokenKind::Ident(name) => {
                let span = self.bump().span;
                PatternKind::Bind(Binder {
                    id: self.id(),
                    name: name.to_string(),
                    span,
                })
            }
            TokenKind::Punct(Punct::LBracket) => {
                self.bump();
                let items = self.in_context(false, |p| {
                    p.list(Punct::RBracket, "a list pattern", |p| p.pattern())
                })?;
                PatternKind::List(items)
            }
            TokenKind::Punct(Punct::LBrace) => {
                self.bump();
                let fields = self.in_context(false, |p| {
                    p.list(Punct::RBrace, "an object pattern", |p| p.field_pattern())
                })?;
                PatternKind::Object(fields)
            }
            _ => return Err(self.unexpected("a pattern")),
        };
        Ok(Pattern {
            kind,
            span: start.to(self.prev_span()),
        })
    }

    fn field_pattern(&mut self) -> PResult<(Ident, Pattern)> {
        let (name, span) = self.expect_ident("a field name")?;
        let key = Ident {
            name: name.clone(),
            span,
        };
        if self.eat_punct(Punct::Colon) {
            let pat = self.pattern()?;
            return Ok((key, pat));
        }
        let bind = Pattern {
            kind: PatternKind::Bind(Binder {
                id: self.id(),
                name,
                span,
            }),
            span,
        };
        Ok((key, bind))
    }
}
