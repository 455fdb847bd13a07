//! Expressions. Each leaves exactly one value on the operand stack.
//!
//! Array value semantics: a value read from a place (variable, member, element) that is about
//! to be stored somewhere that keeps it — a variable, a field, an element, a return value — is
//! marked shared, so a later mutation through either place copies it first (`expr_retained`).
//! An operand read early and kept on the stack while later operands may still assign or call
//! is marked shared too, so it keeps the value it had when it was read (§6.3 C32).

use super::Emitter;
use crate::bytecode::Op;
use crate::frontend::ast::*;
use crate::frontend::resolve::Ref;

/// True when evaluating `e` may run code that assigns (an assignment, a call, an await).
pub(super) fn has_effects(e: &Expr) -> bool {
    stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || match &e.kind {
        ExprKind::Assign(..) | ExprKind::Call(..) | ExprKind::Await(_) => true,
        // `async CALL` evaluates the callee and arguments and queues the task; none of the
        // callee runs until the creator awaits or finishes (§3.15).
        ExprKind::Async(call) => match &call.kind {
            ExprKind::Call(callee, args) => has_effects(callee) || args.iter().any(has_effects),
            _ => true,
        },
        ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Str(_)
        | ExprKind::Bool(_)
        | ExprKind::Null
        | ExprKind::Name(_)
        | ExprKind::Function(..) => false,
        ExprKind::Template(parts) => parts
            .iter()
            .any(|p| matches!(p, TemplatePart::Expr(e) if has_effects(e))),
        ExprKind::Paren(x) | ExprKind::Unary(_, x) | ExprKind::Member(x, _, _) => has_effects(x),
        ExprKind::Array(items) => items.iter().any(has_effects),
        ExprKind::Object(fields) => fields.iter().any(|f| has_effects(&f.value)),
        ExprKind::Binary(_, a, b) | ExprKind::Logical(_, a, b) | ExprKind::Index(a, b) => {
            has_effects(a) || has_effects(b)
        }
        ExprKind::Slice(t, parts) => {
            has_effects(t) || parts.iter().flatten().any(|p| has_effects(p))
        }
        ExprKind::If(c, t, f) => has_effects(c) || has_effects(t) || has_effects(f),
        ExprKind::Match(s, arms) => {
            has_effects(s)
                || arms
                    .iter()
                    .any(|a| has_effects(&a.body) || a.guard.as_ref().is_some_and(has_effects))
        }
    })
}

/// False for expressions that always produce a fresh value nobody else holds. (A task's result
/// is not fresh: every `await` of the task yields it.)
fn may_alias(e: &Expr) -> bool {
    !matches!(
        e.kind,
        ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Template(_)
            | ExprKind::Bool(_)
            | ExprKind::Null
            | ExprKind::Array(_)
            | ExprKind::Object(_)
            | ExprKind::Unary(..)
            | ExprKind::Binary(..)
            | ExprKind::Logical(..)
            | ExprKind::Slice(..)
            | ExprKind::Function(..)
            | ExprKind::Call(..)
            | ExprKind::Async(_)
    )
}

impl<'a, 'c> Emitter<'a, 'c> {
    /// An expression whose value is about to be stored in a place.
    pub(super) fn expr_retained(&mut self, e: &'a Expr) {
        self.expr(e);
        if may_alias(e) {
            self.emit(Op::Share);
        }
    }

    /// Operands evaluated left to right and kept on the stack (arguments, elements, fields).
    fn operands(&mut self, items: &[&'a Expr], retained: bool) {
        for (i, item) in items.iter().enumerate() {
            self.expr(item);
            let later_effects = items[i + 1..].iter().any(|e| has_effects(e));
            if may_alias(item) && (retained || later_effects) {
                self.emit(Op::Share);
            }
        }
    }

    pub(super) fn expr(&mut self, e: &'a Expr) {
        stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || self.expr_inner(e))
    }

    fn expr_inner(&mut self, e: &'a Expr) {
        match &e.kind {
            ExprKind::Int(v) => self.push_int(*v),
            ExprKind::Float(v) => self.push_float(*v),
            ExprKind::Str(s) => self.push_str(s),
            ExprKind::Bool(true) => {
                self.emit(Op::True);
            }
            ExprKind::Bool(false) => {
                self.emit(Op::False);
            }
            ExprKind::Null => {
                self.emit(Op::Null);
            }
            ExprKind::Template(parts) => {
                // The first text piece is the base string; otherwise start from "" so `Add`
                // converts the first interpolated value with the display rules.
                let text_first = matches!(parts.first(), Some(TemplatePart::Text(_)));
                if !text_first {
                    self.push_str("");
                }
                for (i, part) in parts.iter().enumerate() {
                    match part {
                        TemplatePart::Text(t) => self.push_str(t),
                        TemplatePart::Expr(x) => self.expr(x),
                    }
                    if i > 0 || !text_first {
                        self.emit(Op::Add);
                    }
                }
            }
            ExprKind::Name(_) => self.name(e),
            ExprKind::Paren(inner) => self.expr(inner),
            ExprKind::Array(items) => {
                let items: Vec<&Expr> = items.iter().collect();
                self.operands(&items, true);
                self.emit(Op::NewArray {
                    count: items.len() as u32,
                });
            }
            ExprKind::Object(fields) => {
                self.emit(Op::NewObject);
                for f in fields {
                    self.expr_retained(&f.value);
                    let key = self.str_const(&f.key.name);
                    self.emit(Op::InitField { key });
                }
            }
            ExprKind::Unary(op, x) => {
                self.expr(x);
                self.emit(match op {
                    UnaryOp::Neg => Op::Neg,
                    UnaryOp::Not => Op::Not,
                });
            }
            ExprKind::Binary(op, a, b) => {
                self.operands(&[a, b], false);
                self.emit(match op {
                    BinaryOp::Add => Op::Add,
                    BinaryOp::Sub => Op::Sub,
                    BinaryOp::Mul => Op::Mul,
                    BinaryOp::Div => Op::Div,
                    BinaryOp::Rem => Op::Rem,
                    BinaryOp::Eq => Op::Eq,
                    BinaryOp::Ne => Op::Ne,
                    BinaryOp::Lt => Op::Lt,
                    BinaryOp::Le => Op::Le,
                    BinaryOp::Gt => Op::Gt,
                    BinaryOp::Ge => Op::Ge,
                });
            }
            ExprKind::Logical(op, a, b) => {
                self.expr(a);
                let short = self.emit(match op {
                    LogicalOp::And => Op::JumpIfFalse { offset: 0 },
                    LogicalOp::Or => Op::JumpIfTrue { offset: 0 },
                });
                self.expr(b);
                self.emit(Op::ToBool);
                let end = self.emit(Op::Jump { offset: 0 });
                self.patch(short);
                self.emit(match op {
                    LogicalOp::And => Op::False,
                    LogicalOp::Or => Op::True,
                });
                self.patch(end);
            }
            ExprKind::Assign(op, target, value) => self.assign(*op, target, value, true),
            ExprKind::Call(callee, args) => {
                self.mark(e.span);
                self.call(callee, args, false);
            }
            ExprKind::Member(obj, name, _) => {
                if let Some(Ref::Builtin(id)) = self.res().refs.get(&e.id) {
                    self.emit(Op::LoadBuiltin { id: id.0 });
                    return;
                }
                self.expr(obj);
                let key = self.str_const(&name.name);
                self.emit(Op::MemberGet { key });
            }
            ExprKind::Index(obj, idx) => {
                self.operands(&[obj, idx], false);
                self.emit(Op::IndexGet);
            }
            ExprKind::Slice(obj, parts) => {
                self.expr(obj);
                for p in parts {
                    match p {
                        Some(p) => self.expr(p),
                        None => {
                            self.emit(Op::Null);
                        }
                    }
                }
                self.emit(Op::Slice);
            }
            ExprKind::If(c, t, f) => {
                self.expr(c);
                let other = self.emit(Op::JumpIfFalse { offset: 0 });
                self.expr(t);
                let end = self.emit(Op::Jump { offset: 0 });
                self.patch(other);
                self.expr(f);
                self.patch(end);
            }
            ExprKind::Match(scrutinee, arms) => self.match_expr(scrutinee, arms),
            ExprKind::Function(name, func) => self.function_value(name.as_ref(), func),
            ExprKind::Await(x) => {
                self.expr(x);
                self.mark(e.span);
                self.emit(Op::Await);
            }
            ExprKind::Async(x) => {
                let mut call = &**x;
                while let ExprKind::Paren(inner) = &call.kind {
                    call = inner;
                }
                if let ExprKind::Call(callee, args) = &call.kind {
                    self.mark(e.span);
                    self.call(callee, args, true);
                } else {
                    unreachable!("the parser rejects `async` on a non-call");
                }
            }
        }
    }

    fn name(&mut self, e: &'a Expr) {
        match self.res().refs.get(&e.id) {
            Some(Ref::Binding(b)) => {
                let loc = self.loc(*b);
                self.load(loc);
            }
            Some(Ref::Builtin(id)) => {
                self.emit(Op::LoadBuiltin { id: id.0 });
            }
            None => unreachable!("a checked program has every name resolved"),
        }
    }

    /// A call; a callee written `recv.name` (not parenthesised) is a method call (§3.12.5).
    fn call(&mut self, callee: &'a Expr, args: &'a [Expr], is_async: bool) {
        let argv: Vec<&Expr> = args.iter().collect();
        let argc = args.len() as u16;
        if let ExprKind::Member(recv, name, MemberKind::Dot) = &callee.kind {
            self.expr(recv);
            if may_alias(recv) && (is_async || argv.iter().any(|a| has_effects(a))) {
                self.emit(Op::Share);
            }
            let key = self.str_const(&name.name);
            self.emit(Op::GetMethod { key });
            self.operands(&argv, is_async);
            self.emit(if is_async {
                Op::AsyncMethod { argc }
            } else {
                Op::CallMethod { argc }
            });
            return;
        }
        let mut all = vec![callee];
        all.extend(argv.iter().copied());
        self.operands(&all, is_async);
        self.emit(if is_async {
            Op::AsyncCall { argc }
        } else {
            Op::Call { argc }
        });
    }

    fn function_value(&mut self, name: Option<&'a Binder>, func: &'a Function) {
        match name {
            Some(binder) => {
                let b = self.binding_of(binder.id);
                let saved = self.f.next_slot;
                self.declare_local(b);
                let function = self.function(func, Some(&binder.name));
                self.emit(Op::Closure { function });
                let loc = self.loc(b);
                self.init(loc);
                self.load(loc);
                self.f.next_slot = saved;
            }
            None => {
                let function = self.function(func, None);
                self.emit(Op::Closure { function });
            }
        }
    }
}
