//! Assignment through places (§3.10.4, §6.3 C11).
//!
//! A target is a root (a variable, or any other expression evaluated once into a temporary)
//! followed by steps: `.field` or `[index]`. Index expressions are evaluated first, left to
//! right, into temporaries; then the value; then the write walks the path again from the root
//! as it is at that moment, replaces the last step, and stores each updated container back
//! (arrays are values, so a changed element means a changed array, all the way up).

use super::{Emitter, VarLoc};
use crate::bytecode::Op;
use crate::frontend::ast::*;
use crate::frontend::resolve::{BindingKind, Ref};
use solvra_rt::builtins::table;

enum Root {
    /// A variable, and the name string constant if it is a `const`.
    Var(VarLoc, Option<u32>),
    Temp(u16),
}

/// The instruction of a compound assignment's operator.
fn arith(op: BinaryOp) -> Op {
    match op {
        BinaryOp::Add => Op::Add,
        BinaryOp::Sub => Op::Sub,
        BinaryOp::Mul => Op::Mul,
        _ => Op::Div,
    }
}

enum Step {
    Field(u32),
    Index(u16),
}

impl<'a, 'c> Emitter<'a, 'c> {
    /// An assignment; with `want`, its value (the value stored) is left on the stack.
    pub(super) fn assign(&mut self, op: AssignOp, target: &'a Expr, value: &'a Expr, want: bool) {
        if op == AssignOp::Assign && self.push_in_place(target, value, want) {
            return;
        }
        let (root, steps) = self.place(target);
        if let (Root::Var(loc, _), true) = (&root, steps.is_empty()) {
            // A plain variable: no temporaries needed.
            let loc = *loc;
            match op.binary() {
                None => self.expr_retained(value),
                Some(bin) => {
                    self.load(loc);
                    self.expr(value);
                    self.emit(arith(bin));
                }
            }
            if want {
                self.emit(Op::Dup);
            }
            self.store(loc);
            return;
        }
        let result = self.temp();
        match op.binary() {
            None => self.expr_retained(value),
            Some(bin) => {
                self.read_place(&root, &steps);
                self.expr(value);
                self.emit(arith(bin));
            }
        }
        self.emit(Op::StoreLocal { slot: result });
        self.write_place(&root, &steps, result);
        if want {
            self.emit(Op::LoadLocal { slot: result });
        }
    }

    /// `x = push(x, v)` with `push` the builtin: append in place when `x`'s array is unshared,
    /// so building an array in a loop is O(n) (DESIGN.md, "Arrays are values").
    fn push_in_place(&mut self, target: &'a Expr, value: &'a Expr, want: bool) -> bool {
        let (ExprKind::Name(_), ExprKind::Call(callee, args)) = (&target.kind, &value.kind) else {
            return false;
        };
        let refs = &self.res().refs;
        let is_push = matches!(refs.get(&callee.id), Some(Ref::Builtin(id)) if Some(*id) == table::lookup("push"));
        let same_var = args.len() == 2
            && matches!(args[0].kind, ExprKind::Name(_))
            && refs.get(&args[0].id) == refs.get(&target.id);
        // The builtin would read `x` before evaluating `v`; appending after `v` is only the
        // same when `v` cannot change `x`.
        if !is_push || !same_var || super::expr::has_effects(&args[1]) {
            return false;
        }
        let Some(Ref::Binding(b)) = refs.get(&target.id).copied() else {
            return false;
        };
        let loc = self.loc(b);
        self.mark(value.span);
        self.load(loc);
        self.expr_retained(&args[1]);
        self.emit(Op::Append);
        if want {
            self.emit(Op::Dup);
        }
        self.store(loc);
        true
    }

    /// Evaluates the parts of a target that are evaluated once: a non-variable root and the
    /// index expressions, left to right.
    fn place(&mut self, target: &'a Expr) -> (Root, Vec<Step>) {
        let mut chain = Vec::new();
        let mut cur = target;
        loop {
            match &cur.kind {
                ExprKind::Member(obj, name, _) if !self.is_builtin_path(cur) => {
                    chain.push(cur);
                    cur = obj;
                }
                ExprKind::Index(obj, _) => {
                    chain.push(cur);
                    cur = obj;
                }
                _ => break,
            }
        }
        let root = match (&cur.kind, self.res().refs.get(&cur.id)) {
            (ExprKind::Name(name), Some(Ref::Binding(b))) => {
                let is_const = self.res().binding(*b).kind == BindingKind::Const;
                let name = if is_const {
                    Some(self.str_const(name))
                } else {
                    None
                };
                Root::Var(self.loc(*b), name)
            }
            _ => {
                self.expr(cur);
                let t = self.temp();
                self.emit(Op::StoreLocal { slot: t });
                Root::Temp(t)
            }
        };
        let mut steps = Vec::new();
        for node in chain.iter().rev() {
            match &node.kind {
                ExprKind::Member(_, name, _) => steps.push(Step::Field(self.str_const(&name.name))),
                ExprKind::Index(_, idx) => {
                    self.expr(idx);
                    let t = self.temp();
                    self.emit(Op::StoreLocal { slot: t });
                    steps.push(Step::Index(t));
                }
                _ => unreachable!("chain holds members and indexes"),
            }
        }
        (root, steps)
    }

    fn is_builtin_path(&self, e: &Expr) -> bool {
        matches!(self.res().refs.get(&e.id), Some(Ref::Builtin(_)))
    }

    fn load_root(&mut self, root: &Root) {
        match root {
            Root::Var(loc, _) => self.load(*loc),
            Root::Temp(t) => {
                self.emit(Op::LoadLocal { slot: *t });
            }
        }
    }

    fn get_step(&mut self, step: &Step) {
        match step {
            Step::Field(key) => {
                self.emit(Op::MemberGet { key: *key });
            }
            Step::Index(t) => {
                self.emit(Op::LoadLocal { slot: *t });
                self.emit(Op::IndexGet);
            }
        }
    }

    /// Pushes the current value of the place.
    fn read_place(&mut self, root: &Root, steps: &[Step]) {
        self.load_root(root);
        for step in steps {
            self.get_step(step);
        }
    }

    /// Stores local `value` into the place, walking it from the root as it is now.
    fn write_place(&mut self, root: &Root, steps: &[Step], value: u16) {
        if steps.is_empty() {
            self.emit(Op::LoadLocal { slot: value });
            match root {
                Root::Var(loc, _) => self.store(*loc),
                Root::Temp(t) => {
                    self.emit(Op::StoreLocal { slot: *t });
                }
            }
            return;
        }
        // Push the containers along the path: root, root.s0, …, up to the last container.
        self.load_root(root);
        if let (Root::Var(_, Some(name)), Some(Step::Index(_))) = (root, steps.first()) {
            self.emit(Op::CheckNotArray { name: *name });
        }
        for step in &steps[..steps.len() - 1] {
            self.emit(Op::Dup);
            self.get_step(step);
        }
        // Replace the last step, then write each updated container into its parent.
        self.emit(Op::LoadLocal { slot: value });
        for step in steps.iter().rev() {
            match step {
                Step::Field(key) => {
                    self.emit(Op::MemberSet { key: *key });
                }
                Step::Index(t) => {
                    self.emit(Op::LoadLocal { slot: *t });
                    self.emit(Op::Swap);
                    self.emit(Op::IndexSet);
                }
            }
        }
        match root {
            // Objects are references: writing one back into a `const` changes nothing, and
            // arrays in a `const` were refused above.
            Root::Var(_, Some(_)) | Root::Temp(_) => {
                self.emit(Op::Pop);
            }
            Root::Var(loc, None) => self.store(*loc),
        }
    }
}
