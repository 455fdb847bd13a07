//! Statements: declarations, control flow, loops, `try`/`catch`/`finally`, imports.

use super::{Emitter, LoopCtx, TryCtx};
use crate::bytecode::{Handler, Op};
use crate::frontend::ast::*;

impl<'a, 'c> Emitter<'a, 'c> {
    pub(super) fn block(&mut self, block: &'a Block) {
        let saved = self.f.next_slot;
        self.enter_block(&block.stmts);
        for s in &block.stmts {
            self.stmt(s);
        }
        self.f.next_slot = saved;
    }

    pub(super) fn stmt(&mut self, stmt: &'a Stmt) {
        self.mark(stmt.span);
        match &stmt.kind {
            StmtKind::Let(decl) | StmtKind::Export(ExportDecl::Let(decl)) => {
                match &decl.init {
                    Some(init) => self.expr_retained(init),
                    None => {
                        self.emit(Op::Null);
                    }
                }
                let b = self.binding_of(decl.name.id);
                let loc = self.loc(b);
                self.init(loc);
            }
            StmtKind::Fn(_) | StmtKind::Export(ExportDecl::Fn(_)) => {}
            StmtKind::Export(ExportDecl::Name { .. }) => {}
            StmtKind::Import(import) => self.import(import),
            StmtKind::If(s) => {
                let mut ends = Vec::new();
                for (cond, body) in &s.branches {
                    self.expr(cond);
                    let next = self.emit(Op::JumpIfFalse { offset: 0 });
                    self.block(body);
                    ends.push(self.emit(Op::Jump { offset: 0 }));
                    self.patch(next);
                }
                if let Some(body) = &s.else_block {
                    self.block(body);
                }
                for at in ends {
                    self.patch(at);
                }
            }
            StmtKind::While { cond, body } => {
                let top = self.pc();
                self.expr(cond);
                let exit = self.emit(Op::JumpIfFalse { offset: 0 });
                self.loop_body(body, top, None);
                self.patch(exit);
                self.end_loop(top);
            }
            StmtKind::For { var, iter, body } => {
                self.expr(iter);
                let state = self.temp();
                self.temp();
                self.emit(Op::IterPrep { slot: state });
                let top = self.pc();
                let exit = self.emit(Op::IterNext {
                    slot: state,
                    offset: 0,
                });
                self.loop_body(body, top, Some(var));
                self.patch(exit);
                self.end_loop(top);
            }
            StmtKind::Try(t) => self.try_stmt(t),
            StmtKind::Block(b) => self.block(b),
            StmtKind::Return(value) => self.return_stmt(value.as_ref()),
            StmtKind::Break | StmtKind::Continue => {
                let is_break = matches!(stmt.kind, StmtKind::Break);
                let depth = self.f.loops.last().map_or(0, |l| l.tries);
                self.leave_tries(depth);
                let at = self.emit(Op::Jump { offset: 0 });
                if let Some(l) = self.f.loops.last_mut() {
                    if is_break {
                        l.breaks.push(at);
                    } else {
                        l.continues.push(at);
                    }
                }
            }
            StmtKind::Panic(value) => {
                match value {
                    Some(v) => self.expr(v),
                    None => self.push_str("panic"),
                }
                self.emit(Op::Throw);
            }
            StmtKind::Expr(Expr {
                kind: ExprKind::Assign(op, target, value),
                ..
            }) => self.assign(*op, target, value, false),
            StmtKind::Expr(e) => {
                self.expr(e);
                self.emit(Op::Pop);
            }
        }
    }

    /// The body of a loop: a fresh scope per iteration (with the loop variable, if any).
    fn loop_body(&mut self, body: &'a Block, top: usize, var: Option<&'a Binder>) {
        self.f.loops.push(LoopCtx {
            breaks: Vec::new(),
            continues: Vec::new(),
            tries: self.f.tries.len(),
        });
        let saved = self.f.next_slot;
        if let Some(var) = var {
            let b = self.binding_of(var.id);
            self.declare_local(b);
            let loc = self.loc(b);
            self.init(loc);
        }
        self.block(body);
        self.f.next_slot = saved;
        let ctx = self.f.loops.last_mut().expect("loop pushed above");
        let continues = std::mem::take(&mut ctx.continues);
        for at in continues {
            let offset = top as i32 - at as i32 - 1;
            self.f.code[at] = Op::Jump { offset };
        }
        self.jump_back(top);
    }

    fn end_loop(&mut self, _top: usize) {
        let ctx = self.f.loops.pop().expect("loop pushed by loop_body");
        for at in ctx.breaks {
            self.patch(at);
        }
    }

    fn return_stmt(&mut self, value: Option<&'a Expr>) {
        let top_level = self.f.owner.is_none();
        match value {
            Some(v) if !top_level => self.expr_retained(v),
            Some(v) => {
                // A top-level `return` only stops the module's statements; its value is ignored.
                self.expr(v);
                self.emit(Op::Pop);
            }
            None if !top_level => {
                self.emit(Op::Null);
            }
            None => {}
        }
        if top_level {
            self.leave_tries(0);
            let at = self.emit(Op::Jump { offset: 0 });
            self.f.top_returns.push(at);
            return;
        }
        if self.f.tries.iter().any(|t| t.finally.is_some()) {
            let slot = self.temp();
            self.emit(Op::StoreLocal { slot });
            self.leave_tries(0);
            self.emit(Op::LoadLocal { slot });
        }
        self.emit(Op::Return);
    }

    /// Runs the `finally` blocks of every `try` above `depth`, innermost first, each with the
    /// regions of the `try`s being left suspended.
    fn leave_tries(&mut self, depth: usize) {
        let mut level = self.f.tries.len();
        while level > depth {
            level -= 1;
            if let Some(finally) = self.f.tries[level].finally {
                let leaving = self.suspend_tries(level);
                self.block(finally);
                self.resume_tries(leaving);
            }
        }
    }

    /// Removes the `try`s at and above `level`, closing their open segments.
    fn suspend_tries(&mut self, level: usize) -> Vec<TryCtx<'a>> {
        let pc = self.pc() as u32;
        let mut leaving = self.f.tries.split_off(level);
        for t in &mut leaving {
            if let Some(start) = t.open.take() {
                t.segments.push((start, pc));
            }
        }
        leaving
    }

    fn resume_tries(&mut self, mut leaving: Vec<TryCtx<'a>>) {
        let pc = self.pc() as u32;
        for t in &mut leaving {
            t.open = Some(pc);
        }
        self.f.tries.extend(leaving);
    }

    /// Ends the innermost protected region and returns its segments.
    fn close_region(&mut self) -> Vec<(u32, u32)> {
        let pc = self.pc() as u32;
        let mut t = self.f.tries.pop().expect("region open");
        if let Some(start) = t.open.take() {
            t.segments.push((start, pc));
        }
        t.segments
    }

    fn open_region(&mut self, finally: Option<&'a Block>) {
        let pc = self.pc() as u32;
        self.f.tries.push(TryCtx {
            finally,
            open: Some(pc),
            segments: Vec::new(),
        });
    }

    fn register(&mut self, level: usize, segments: &[(u32, u32)], target: usize) {
        for &(start, end) in segments {
            if start < end {
                self.f.handlers.push((
                    level,
                    Handler {
                        start,
                        end,
                        target: target as u32,
                        depth: 0,
                    },
                ));
            }
        }
    }

    /// §3.14.3. Layout: body, its `finally` copy, jump to end; catch handler (message on the
    /// stack), catch body, `finally` copy, jump to end; re-raising handler: save the message,
    /// `finally` copy, raise it again.
    fn try_stmt(&mut self, t: &'a TryStmt) {
        let level = self.f.tries.len() + 1;
        let finally = t.finally.as_ref();
        self.open_region(finally);
        self.block(&t.body);
        let body_segments = self.close_region();
        if let Some(f) = finally {
            self.block(f);
        }
        let mut ends = vec![self.emit(Op::Jump { offset: 0 })];
        let mut reraise_segments = body_segments.clone();
        if let Some(catch) = t.catches.first() {
            let catch_target = self.pc();
            self.register(level, &body_segments, catch_target);
            self.open_region(finally);
            let saved = self.f.next_slot;
            match &catch.var {
                Some(var) => {
                    let b = self.binding_of(var.id);
                    self.declare_local(b);
                    let loc = self.loc(b);
                    self.init(loc);
                }
                None => {
                    self.emit(Op::Pop);
                }
            }
            self.block(&catch.body);
            self.f.next_slot = saved;
            reraise_segments = self.close_region();
            if let Some(f) = finally {
                self.block(f);
            }
            ends.push(self.emit(Op::Jump { offset: 0 }));
        }
        if let Some(f) = finally {
            let target = self.pc();
            self.register(level, &reraise_segments, target);
            let slot = self.temp();
            self.emit(Op::StoreLocal { slot });
            self.block(f);
            self.emit(Op::LoadLocal { slot });
            self.emit(Op::Throw);
        }
        for at in ends {
            self.patch(at);
        }
    }

    fn import(&mut self, import: &'a ImportDecl) {
        let module = self.import_target(import);
        self.emit(Op::ImportModule { module });
        self.emit(Op::Pop);
        let exports = self.exports_of(module);
        if let Some(ns) = &import.namespace {
            self.emit(Op::ModuleNamespace { module });
            let b = self.binding_of(ns.id);
            let loc = self.loc(b);
            self.init(loc);
        }
        for name in &import.names {
            let export = exports
                .iter()
                .position(|e| *e == name.name)
                .expect("the loader checked named imports") as u32;
            self.emit(Op::ModuleExport { module, export });
            self.emit(Op::Share);
            let b = self.binding_of(name.id);
            let loc = self.loc(b);
            self.init(loc);
        }
    }
}
