//! Renders a `Module` as indented S-expressions: one statement per line, expressions inline.
//!
//! The format is for humans and snapshot tests: it shows structure (what the parser decided)
//! and leaves out spans and node ids, so snapshots do not churn when unrelated text moves.

use super::*;
use std::fmt::Write;

pub fn print_module(module: &Module) -> String {
    let mut p = Printer {
        out: String::new(),
        indent: 0,
    };
    for stmt in &module.stmts {
        p.stmt(stmt);
    }
    p.out
}

struct Printer {
    out: String,
    indent: usize,
}

impl Printer {
    fn line(&mut self, text: &str) {
        for _ in 0..self.indent {
            self.out.push_str("  ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn block(&mut self, head: &str, block: &Block) {
        self.line(&format!("{head} {{"));
        self.indent += 1;
        for s in &block.stmts {
            self.stmt(s);
        }
        self.indent -= 1;
        self.line("}");
    }

    fn stmt(&mut self, stmt: &Stmt) {
        match &stmt.kind {
            StmtKind::Let(decl) => {
                let text = let_text(decl);
                self.line(&text);
            }
            StmtKind::Fn(decl) => self.function(&format!("fn {}", decl.name.name), &decl.func),
            StmtKind::Import(import) => {
                let mut s = String::from("(import ");
                s.push_str(&source_text(&import.source));
                if !import.names.is_empty() {
                    let names: Vec<&str> = import.names.iter().map(|b| b.name.as_str()).collect();
                    let _ = write!(s, " {{{}}}", names.join(", "));
                }
                if let Some(ns) = &import.namespace {
                    let _ = write!(s, " as {}", ns.name);
                }
                s.push(')');
                self.line(&s);
            }
            StmtKind::Export(export) => match export {
                ExportDecl::Fn(decl) => {
                    self.function(&format!("export fn {}", decl.name.name), &decl.func)
                }
                ExportDecl::Let(decl) => {
                    let text = format!("(export {})", let_text(decl));
                    self.line(&text);
                }
                ExportDecl::Name { name, alias } => {
                    let alias = alias
                        .as_ref()
                        .map(|a| format!(" as {}", a.name))
                        .unwrap_or_default();
                    self.line(&format!("(export {}{alias})", name.name));
                }
            },
            StmtKind::If(stmt) => {
                for (i, (cond, body)) in stmt.branches.iter().enumerate() {
                    let kw = if i == 0 { "if" } else { "elif" };
                    self.block(&format!("{kw} {}", expr(cond)), body);
                }
                if let Some(body) = &stmt.else_block {
                    self.block("else", body);
                }
            }
            StmtKind::While { cond, body } => self.block(&format!("while {}", expr(cond)), body),
            StmtKind::For { var, iter, body } => {
                self.block(&format!("for {} in {}", var.name, expr(iter)), body)
            }
            StmtKind::Try(t) => {
                self.block("try", &t.body);
                for c in &t.catches {
                    let mut head = String::from("catch");
                    if let Some(ty) = &c.ty {
                        let _ = write!(head, " ({})", type_text(ty));
                    }
                    if let Some(v) = &c.var {
                        let _ = write!(head, " {}", v.name);
                    }
                    self.block(&head, &c.body);
                }
                if let Some(f) = &t.finally {
                    self.block("finally", f);
                }
            }
            StmtKind::Block(b) => self.block("block", b),
            StmtKind::Return(e) => self.line(&opt_stmt("return", e.as_ref())),
            StmtKind::Break => self.line("(break)"),
            StmtKind::Continue => self.line("(continue)"),
            StmtKind::Panic(e) => self.line(&opt_stmt("panic", e.as_ref())),
            StmtKind::Expr(e) => self.line(&expr(e)),
        }
    }

    fn function(&mut self, head: &str, func: &Function) {
        let head = format!(
            "{}{head}({}){}",
            if func.is_async { "async " } else { "" },
            params_text(&func.params),
            func.ret
                .as_ref()
                .map(|t| format!(" -> {}", type_text(t)))
                .unwrap_or_default()
        );
        match &func.body {
            FnBody::Block(b) => self.block(&head, b),
            FnBody::Expr(e) => self.line(&format!("{head} -> {}", expr(e))),
        }
    }
}

fn let_text(decl: &LetDecl) -> String {
    let kw = match decl.kind {
        LetKind::Let => "let",
        LetKind::LetMut => "let mut",
        LetKind::Const => "const",
    };
    let mut s = format!("({kw} {}", decl.name.name);
    if let Some(ty) = &decl.ty {
        let _ = write!(s, ": {}", type_text(ty));
    }
    if let Some(init) = &decl.init {
        let _ = write!(s, " {}", expr(init));
    }
    s.push(')');
    s
}

fn opt_stmt(kw: &str, e: Option<&Expr>) -> String {
    match e {
        Some(e) => format!("({kw} {})", expr(e)),
        None => format!("({kw})"),
    }
}

fn source_text(source: &ImportSource) -> String {
    match source {
        ImportSource::Path(p, _) => format!("{p:?}"),
        ImportSource::Std(id) => format!("<{}>", id.name),
        ImportSource::Dotted(parts) => parts
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>()
            .join("."),
    }
}

fn params_text(params: &[Param]) -> String {
    params
        .iter()
        .map(|p| {
            let mut s = p.name.name.clone();
            if let Some(ty) = &p.ty {
                let _ = write!(s, ": {}", type_text(ty));
            }
            if let Some(d) = &p.default {
                let _ = write!(s, " = {}", expr(d));
            }
            s
        })
        .collect::<Vec<_>>()
        .join(", ")
}

fn type_text(ty: &Type) -> String {
    match ty {
        Type::Named(id) => id.name.clone(),
        Type::List(inner, _) => format!("[{}]", type_text(inner)),
        Type::Tuple(items, _) => format!(
            "({})",
            items.iter().map(type_text).collect::<Vec<_>>().join(", ")
        ),
    }
}

fn list(items: &[Expr]) -> String {
    items.iter().map(expr).collect::<Vec<_>>().join(" ")
}

/// One expression as an S-expression on a single line.
pub fn expr(e: &Expr) -> String {
    stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || expr_inner(e))
}

fn expr_inner(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Int(v) => v.to_string(),
        ExprKind::Float(v) => format!("{v:?}"),
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::Template(parts) => {
            let parts: Vec<String> = parts
                .iter()
                .map(|p| match p {
                    TemplatePart::Text(t) => format!("{t:?}"),
                    TemplatePart::Expr(e) => expr(e),
                })
                .collect();
            format!("(template {})", parts.join(" "))
        }
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Null => "null".into(),
        ExprKind::Name(n) => n.clone(),
        ExprKind::Paren(inner) => format!("(paren {})", expr(inner)),
        ExprKind::Array(items) => format!("[{}]", list(items)),
        ExprKind::Object(fields) => {
            let fields: Vec<String> = fields
                .iter()
                .map(|f| format!("{}: {}", f.key.name, expr(&f.value)))
                .collect();
            format!("{{{}}}", fields.join(", "))
        }
        ExprKind::Unary(op, operand) => {
            let op = match op {
                UnaryOp::Neg => "neg",
                UnaryOp::Not => "not",
            };
            format!("({op} {})", expr(operand))
        }
        ExprKind::Binary(op, l, r) => format!("({} {} {})", op.as_str(), expr(l), expr(r)),
        ExprKind::Logical(op, l, r) => {
            let op = match op {
                LogicalOp::And => "&&",
                LogicalOp::Or => "||",
            };
            format!("({op} {} {})", expr(l), expr(r))
        }
        ExprKind::Assign(op, t, v) => {
            let op = match op {
                AssignOp::Assign => "=",
                AssignOp::Add => "+=",
                AssignOp::Sub => "-=",
                AssignOp::Mul => "*=",
                AssignOp::Div => "/=",
            };
            format!("({op} {} {})", expr(t), expr(v))
        }
        ExprKind::Call(callee, args) => {
            if args.is_empty() {
                format!("(call {})", expr(callee))
            } else {
                format!("(call {} {})", expr(callee), list(args))
            }
        }
        ExprKind::Member(obj, name, kind) => {
            let sep = match kind {
                MemberKind::Dot => ".",
                MemberKind::Path => "::",
            };
            format!("({sep} {} {})", expr(obj), name.name)
        }
        ExprKind::Index(obj, idx) => format!("(index {} {})", expr(obj), expr(idx)),
        ExprKind::Slice(obj, parts) => {
            let parts: Vec<String> = parts
                .iter()
                .map(|p| p.as_ref().map(|e| expr(e)).unwrap_or_else(|| "_".into()))
                .collect();
            format!("(slice {} {})", expr(obj), parts.join(" "))
        }
        ExprKind::If(c, t, f) => format!("(if {} {} {})", expr(c), expr(t), expr(f)),
        ExprKind::Match(scrutinee, arms) => {
            let arms: Vec<String> = arms
                .iter()
                .map(|a| {
                    let guard = a
                        .guard
                        .as_ref()
                        .map(|g| format!(" if {}", expr(g)))
                        .unwrap_or_default();
                    format!("({}{guard} -> {})", pattern(&a.pattern), expr(&a.body))
                })
                .collect();
            format!("(match {} {})", expr(scrutinee), arms.join(" "))
        }
        ExprKind::Function(name, func) => {
            let kw = match (&func.body, name) {
                (FnBody::Expr(_), _) => "lambda".to_string(),
                (FnBody::Block(_), Some(n)) => format!("fn {}", n.name),
                (FnBody::Block(_), None) => "fn".to_string(),
            };
            let body = match &func.body {
                FnBody::Expr(e) => expr(e),
                FnBody::Block(b) => {
                    let mut inner = Printer {
                        out: String::new(),
                        indent: 0,
                    };
                    b.stmts.iter().for_each(|s| inner.stmt(s));
                    let lines: Vec<&str> = inner.out.lines().map(str::trim).collect();
                    format!("{{{}}}", lines.join(" "))
                }
            };
            format!(
                "({}{kw} ({}) {body})",
                if func.is_async { "async " } else { "" },
                params_text(&func.params)
            )
        }
        ExprKind::Await(e) => format!("(await {})", expr(e)),
        ExprKind::Async(e) => format!("(async {})", expr(e)),
    }
}

fn pattern(p: &Pattern) -> String {
    match &p.kind {
        PatternKind::Wildcard => "_".into(),
        PatternKind::Bind(b) => format!("${}", b.name),
        PatternKind::Int(v) => v.to_string(),
        PatternKind::Float(v) => format!("{v:?}"),
        PatternKind::Str(s) => format!("{s:?}"),
        PatternKind::Bool(b) => b.to_string(),
        PatternKind::Null => "null".into(),
        PatternKind::List(items) => format!(
            "[{}]",
            items.iter().map(pattern).collect::<Vec<_>>().join(" ")
        ),
        PatternKind::Object(fields) => format!(
            "{{{}}}",
            fields
                .iter()
                .map(|(k, p)| format!("{}: {}", k.name, pattern(p)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}
