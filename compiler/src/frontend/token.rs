//! Tokens produced by the lexer and consumed by the parser.
//!
//! A string with interpolations is not one token: `"a${x}b"` lexes as `StrHead("a")`, the tokens
//! of `x`, then `StrTail("b")` (with `StrMid` between several interpolations). The parser thus
//! parses interpolated expressions with its normal machinery, and nested strings need no
//! special case.

use super::source::Span;
use std::fmt;
use std::rc::Rc;

#[derive(Clone, Debug, PartialEq)]
pub enum TokenKind {
    Int(i64),
    Float(f64),
    /// A complete string literal without interpolation; `template` is true for backticks.
    Str {
        value: Rc<str>,
        template: bool,
    },
    /// Text before the first `${` of an interpolated string.
    StrHead(Rc<str>),
    /// Text between a `}` and the next `${`.
    StrMid(Rc<str>),
    /// Text after the last `}` up to the closing quote.
    StrTail(Rc<str>),
    /// Names are reference-counted so the parser's token look-ahead copies them cheaply.
    Ident(Rc<str>),
    Kw(Keyword),
    Punct(Punct),
    /// A character or construct the lexer already reported; the parser skips it silently.
    Error,
    Eof,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Keyword {
    Let,
    Const,
    Mut,
    Fn,
    If,
    Else,
    Elif,
    While,
    For,
    In,
    Match,
    Try,
    Catch,
    Return,
    Break,
    Continue,
    Import,
    Export,
    Use,
    Namespace,
    Async,
    Await,
    Panic,
    Lambda,
    Then,
    And,
    Or,
    Not,
    Is,
    True,
    False,
    Null,
}

impl Keyword {
    /// Maps reserved words to keywords; `function` is the synonym of `fn`.
    pub fn from_word(word: &str) -> Option<Keyword> {
        use Keyword::*;
        Some(match word {
            "let" => Let,
            "const" => Const,
            "mut" => Mut,
            "fn" | "function" => Fn,
            "if" => If,
            "else" => Else,
            "elif" => Elif,
            "while" => While,
            "for" => For,
            "in" => In,
            "match" => Match,
            "try" => Try,
            "catch" => Catch,
            "return" => Return,
            "break" => Break,
            "continue" => Continue,
            "import" => Import,
            "export" => Export,
            "use" => Use,
            "namespace" => Namespace,
            "async" => Async,
            "await" => Await,
            "panic" => Panic,
            "lambda" => Lambda,
            "then" => Then,
            "and" => And,
            "or" => Or,
            "not" => Not,
            "is" => Is,
            "true" => True,
            "false" => False,
            "null" => Null,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        use Keyword::*;
        match self {
            Let => "let",
            Const => "const",
            Mut => "mut",
            Fn => "fn",
            If => "if",
            Else => "else",
            Elif => "elif",
            While => "while",
            For => "for",
            In => "in",
            Match => "match",
            Try => "try",
            Catch => "catch",
            Return => "return",
            Break => "break",
            Continue => "continue",
            Import => "import",
            Export => "export",
            Use => "use",
            Namespace => "namespace",
            Async => "async",
            Await => "await",
            Panic => "panic",
            Lambda => "lambda",
            Then => "then",
            And => "and",
            Or => "or",
            Not => "not",
            Is => "is",
            True => "true",
            False => "false",
            Null => "null",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Punct {
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    EqEq,
    NotEq,
    Lt,
    Gt,
    LtEq,
    GtEq,
    AndAnd,
    OrOr,
    Bang,
    Eq,
    PlusEq,
    MinusEq,
    StarEq,
    SlashEq,
    Arrow,
    FatArrow,
    Dot,
    ColonColon,
    Colon,
    LParen,
    RParen,
    LBracket,
    RBracket,
    LBrace,
    RBrace,
    Comma,
    Semi,
    Pipe,
}

impl Punct {
    pub fn as_str(self) -> &'static str {
        use Punct::*;
        match self {
            Plus => "+",
            Minus => "-",
            Star => "*",
            Slash => "/",
            Percent => "%",
            EqEq => "==",
            NotEq => "!=",
            Lt => "<",
            Gt => ">",
            LtEq => "<=",
            GtEq => ">=",
            AndAnd => "&&",
            OrOr => "||",
            Bang => "!",
            Eq => "=",
            PlusEq => "+=",
            MinusEq => "-=",
            StarEq => "*=",
            SlashEq => "/=",
            Arrow => "->",
            FatArrow => "=>",
            Dot => ".",
            ColonColon => "::",
            Colon => ":",
            LParen => "(",
            RParen => ")",
            LBracket => "[",
            RBracket => "]",
            LBrace => "{",
            RBrace => "}",
            Comma => ",",
            Semi => ";",
            Pipe => "|",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    pub kind: TokenKind,
    pub span: Span,
    /// At least one line break separates this token from the previous one (§1.7).
    pub line_initial: bool,
}

impl fmt::Display for TokenKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenKind::Int(v) => write!(f, "integer `{v}`"),
            TokenKind::Float(v) => write!(f, "float `{v}`"),
            TokenKind::Str { .. } | TokenKind::StrHead(_) => f.write_str("string"),
            TokenKind::StrMid(_) | TokenKind::StrTail(_) => f.write_str("end of interpolation"),
            TokenKind::Ident(name) => write!(f, "identifier `{name}`"),
            TokenKind::Kw(k) => write!(f, "keyword `{}`", k.as_str()),
            TokenKind::Punct(p) => write!(f, "`{}`", p.as_str()),
            TokenKind::Error => f.write_str("invalid token"),
            TokenKind::Eof => f.write_str("end of file"),
        }
    }
}
