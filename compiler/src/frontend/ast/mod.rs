//! The abstract syntax tree of one SolvraScript file (LANGUAGE.md §2).
//!
//! Every node has a `Span`; expressions, binders and functions also have a `NodeId`, unique
//! within their module, which the resolver uses as the key of its side tables. The tree keeps
//! parentheses (`Paren`) because they change meaning: `(o.f)(x)` is a plain call, not a method
//! call (§6.3 C27). `print.rs` renders a tree as compact S-expressions for snapshots and
//! `solvrac check --dump-ast`.

mod print;

pub use print::print_module;

use super::source::{FileId, Span};

/// Identity of an expression, binder or function within its module.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

/// A parsed file.
#[derive(Debug)]
pub struct Module {
    pub file: FileId,
    pub stmts: Vec<Stmt>,
    /// One more than the largest `NodeId` in the tree.
    pub node_count: u32,
}

/// A name at a use site that is not a variable reference (member names, object keys, types).
#[derive(Clone, Debug, PartialEq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A declaring occurrence of a name: `let x`, a parameter, a pattern variable, an import.
#[derive(Clone, Debug, PartialEq)]
pub struct Binder {
    pub id: NodeId,
    pub name: String,
    pub span: Span,
}

#[derive(Debug)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

#[derive(Debug)]
pub enum StmtKind {
    Let(LetDecl),
    Fn(FnDecl),
    Import(ImportDecl),
    Export(ExportDecl),
    If(IfStmt),
    While {
        cond: Expr,
        body: Block,
    },
    For {
        var: Binder,
        iter: Expr,
        body: Block,
    },
    Try(TryStmt),
    Block(Block),
    Return(Option<Expr>),
    Break,
    Continue,
    Panic(Option<Expr>),
    Expr(Expr),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LetKind {
    Let,
    LetMut,
    Const,
}

#[derive(Debug)]
pub struct LetDecl {
    pub kind: LetKind,
    pub name: Binder,
    pub ty: Option<Type>,
    pub init: Option<Expr>,
}

#[derive(Debug)]
pub struct FnDecl {
    pub name: Binder,
    pub func: Function,
}

/// Parameters and body shared by declarations, function expressions and lambdas.
#[derive(Debug)]
pub struct Function {
    pub id: NodeId,
    pub is_async: bool,
    pub params: Vec<Param>,
    pub ret: Option<Type>,
    pub body: FnBody,
    pub span: Span,
}

#[derive(Debug)]
pub enum FnBody {
    Block(Block),
    /// A lambda's single expression, which is also its return value.
    Expr(Box<Expr>),
}

#[derive(Debug)]
pub struct Param {
    pub name: Binder,
    pub ty: Option<Type>,
    pub default: Option<Expr>,
}

#[derive(Debug)]
pub struct Block {
    pub stmts: Vec<Stmt>,
    pub span: Span,
}

#[derive(Debug)]
pub struct IfStmt {
    /// `if` and every `elif`/`else if`, in order.
    pub branches: Vec<(Expr, Block)>,
    pub else_block: Option<Block>,
}

#[derive(Debug)]
pub struct TryStmt {
    pub body: Block,
    /// All catch clauses; only the first is ever used (§3.14.3).
    pub catches: Vec<CatchClause>,
    pub finally: Option<Block>,
}

#[derive(Debug)]
pub struct CatchClause {
    pub ty: Option<Type>,
    pub var: Option<Binder>,
    pub body: Block,
    pub span: Span,
}

#[derive(Debug)]
pub struct ImportDecl {
    /// Key of the import in the module loader's table of resolved targets.
    pub id: NodeId,
    pub source: ImportSource,
    /// Names of `import { a, b } from …`; empty for namespace imports.
    pub names: Vec<Binder>,
    /// The namespace binding: the alias after `as`, or the implied name of a namespace import.
    pub namespace: Option<Binder>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum ImportSource {
    /// `"lib/util.svs"`
    Path(String, Span),
    /// `<vector>`
    Std(Ident),
    /// `std.core.vector` or `tools.fmt`
    Dotted(Vec<Ident>),
}

impl ImportSource {
    pub fn span(&self) -> Span {
        match self {
            ImportSource::Path(_, span) => *span,
            ImportSource::Std(id) => id.span,
            ImportSource::Dotted(parts) => parts[0].span.to(parts[parts.len() - 1].span),
        }
    }
}

#[derive(Debug)]
pub enum ExportDecl {
    Fn(FnDecl),
    Let(LetDecl),
    Name { name: Ident, alias: Option<Ident> },
}

#[derive(Debug)]
pub struct Expr {
    pub id: NodeId,
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug)]
pub enum ExprKind {
    Int(i64),
    Float(f64),
    Str(String),
    /// An interpolated string: literal pieces and expressions, in order.
    Template(Vec<TemplatePart>),
    Bool(bool),
    Null,
    Name(String),
    Paren(Box<Expr>),
    Array(Vec<Expr>),
    Object(Vec<Field>),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    Logical(LogicalOp, Box<Expr>, Box<Expr>),
    Assign(AssignOp, Box<Expr>, Box<Expr>),
    Call(Box<Expr>, Vec<Expr>),
    Member(Box<Expr>, Ident, MemberKind),
    Index(Box<Expr>, Box<Expr>),
    Slice(Box<Expr>, [Option<Box<Expr>>; 3]),
    If(Box<Expr>, Box<Expr>, Box<Expr>),
    Match(Box<Expr>, Vec<Arm>),
    /// A lambda or a function expression; the binder is a function expression's own name,
    /// visible only inside its body (§6.3 C8).
    Function(Option<Binder>, Box<Function>),
    Await(Box<Expr>),
    Async(Box<Expr>),
}

#[derive(Debug)]
pub enum TemplatePart {
    Text(String),
    Expr(Expr),
}

#[derive(Debug)]
pub struct Field {
    pub key: Ident,
    pub value: Expr,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemberKind {
    /// `a.b`
    Dot,
    /// `a::b`
    Path,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnaryOp {
    Neg,
    Not,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl BinaryOp {
    /// The operator as written, as runtime error messages quote it (§3.6).
    pub fn as_str(self) -> &'static str {
        match self {
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Rem => "%",
            BinaryOp::Eq => "==",
            BinaryOp::Ne => "!=",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogicalOp {
    And,
    Or,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AssignOp {
    Assign,
    Add,
    Sub,
    Mul,
    Div,
}

impl AssignOp {
    /// The arithmetic operator of a compound assignment.
    pub fn binary(self) -> Option<BinaryOp> {
        match self {
            AssignOp::Assign => None,
            AssignOp::Add => Some(BinaryOp::Add),
            AssignOp::Sub => Some(BinaryOp::Sub),
            AssignOp::Mul => Some(BinaryOp::Mul),
            AssignOp::Div => Some(BinaryOp::Div),
        }
    }
}

#[derive(Debug)]
pub struct Arm {
    pub pattern: Pattern,
    pub guard: Option<Expr>,
    pub body: Expr,
    pub span: Span,
}

#[derive(Debug)]
pub struct Pattern {
    pub kind: PatternKind,
    pub span: Span,
}

#[derive(Debug)]
pub enum PatternKind {
    Wildcard,
    Bind(Binder),
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    Null,
    List(Vec<Pattern>),
    /// `{k: p}`; the shorthand `{k}` is stored as `{k: k}` with a `Bind` pattern.
    Object(Vec<(Ident, Pattern)>),
}

/// A type annotation: parsed, kept for tools, never checked (§2.7).
#[derive(Clone, Debug, PartialEq)]
pub enum Type {
    Named(Ident),
    List(Box<Type>, Span),
    Tuple(Vec<Type>, Span),
}
