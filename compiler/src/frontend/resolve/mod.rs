//! Name resolution (LANGUAGE.md §3.3): which binding every name refers to, which bindings are
//! reassignable, and which variables closures capture.
//!
//! Scopes nest builtin ⊃ module ⊃ function ⊃ block. Each scope's declarations are collected
//! before its statements are walked, so `fn` declarations are hoisted and duplicates are found
//! in one place. Visibility follows two rules: inside the function that owns a scope, a
//! `let`/`const` is visible only after its declaration; from a nested function, every binding of
//! an enclosing scope is visible (module globals, §6.3 C9), and reading it too early is a
//! runtime error instead. The results are side tables keyed by `NodeId`.

mod scope;

use super::ast::*;
use super::diag::{Code, Diagnostic};
use super::source::Span;
use rustc_hash::FxHashMap as HashMap;
use scope::{Scope, ScopeOwner};
use solvra_rt::builtins::table::{self, BuiltinId, Visibility};

/// Index of a binding in `Resolution::bindings`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BindingId(pub u32);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BindingKind {
    Let,
    Const,
    Fn,
    Param,
    ForVar,
    CatchVar,
    PatternVar,
    Import,
    /// A named function expression's own name, visible in its body (§6.3 C8).
    FnExprName,
}

impl BindingKind {
    /// §3.3.2: which bindings may be reassigned.
    pub fn is_reassignable(self) -> bool {
        matches!(
            self,
            BindingKind::Let
                | BindingKind::Param
                | BindingKind::ForVar
                | BindingKind::CatchVar
                | BindingKind::PatternVar
        )
    }
}

#[derive(Clone, Debug)]
pub struct Binding {
    pub name: String,
    pub span: Span,
    pub kind: BindingKind,
    /// The function whose frame holds the binding; `None` for the module body.
    pub owner: Option<NodeId>,
    /// Declared directly in the module scope: a global of the module.
    pub module_level: bool,
    /// Read or written by a function other than its owner, so it needs a heap cell (§3.3.3).
    pub captured: bool,
    /// A `const` initialised with an array literal: element writes are compile-time errors (C29).
    pub const_array_literal: bool,
    /// Declared by an earlier input of a REPL session (`SessionName`), not by this module; a
    /// declaration of the same name in this module replaces it.
    pub from_session: bool,
}

/// A module-level name a REPL session already defines: the module sees it as one of its own
/// globals, declared before its first statement. `span` points at the name in the session's
/// listing file, for diagnostics that show where a binding was declared.
#[derive(Clone, Debug)]
pub struct SessionName {
    pub name: String,
    pub kind: BindingKind,
    pub span: Span,
}

/// What a name expression (or a whole `a::b::c` path) refers to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ref {
    Binding(BindingId),
    Builtin(BuiltinId),
}

/// Captured variables of one function: bindings owned by enclosing functions (or by the module
/// body's blocks) that it or its nested functions use.
#[derive(Clone, Debug, Default)]
pub struct FunctionInfo {
    pub captures: Vec<BindingId>,
}

/// The resolver's results for one module.
#[derive(Debug, Default)]
pub struct Resolution {
    pub bindings: Vec<Binding>,
    /// Binder node → binding it declares.
    pub decls: HashMap<NodeId, BindingId>,
    /// `Name` expressions and outermost builtin `::` paths → what they refer to.
    pub refs: HashMap<NodeId, Ref>,
    pub functions: HashMap<NodeId, FunctionInfo>,
    /// Module-level bindings by name, in declaration order.
    pub globals: Vec<BindingId>,
}

impl Resolution {
    pub fn binding(&self, id: BindingId) -> &Binding {
        &self.bindings[id.0 as usize]
    }

    pub fn global(&self, name: &str) -> Option<BindingId> {
        self.globals
            .iter()
            .copied()
            .find(|&id| self.binding(id).name == name)
    }
}

/// Options that differ between user files and the embedded standard modules.
#[derive(Clone, Copy, Debug, Default)]
pub struct ResolveOptions {
    /// Internal builtins (`__svs_floor`, …) are visible.
    pub internal_builtins: bool,
}

/// Resolves one module. Diagnostics are returned alongside a complete (best-effort) result.
pub fn resolve(module: &Module, options: ResolveOptions) -> (Resolution, Vec<Diagnostic>) {
    resolve_in_session(module, options, &[])
}

/// `resolve` for a REPL input: the `session` names are globals of the module from the start.
pub fn resolve_in_session(
    module: &Module,
    options: ResolveOptions,
    session: &[SessionName],
) -> (Resolution, Vec<Diagnostic>) {
    let mut r = Resolver {
        res: Resolution::default(),
        diags: Vec::new(),
        scopes: Vec::new(),
        fn_stack: Vec::new(),
        options,
    };
    r.scopes.push(Scope::new(ScopeOwner::Module));
    for s in session {
        let id = BindingId(r.res.bindings.len() as u32);
        r.res.bindings.push(Binding {
            name: s.name.clone(),
            span: s.span,
            kind: s.kind,
            owner: None,
            module_level: true,
            captured: false,
            const_array_literal: false,
            from_session: true,
        });
        r.res.globals.push(id);
        r.scopes[0].insert(&s.name, id, true);
    }
    r.predeclare(&module.stmts, true);
    for stmt in &module.stmts {
        r.stmt(stmt);
    }
    (r.res, r.diags)
}

struct Resolver {
    res: Resolution,
    diags: Vec<Diagnostic>,
    scopes: Vec<Scope>,
    /// Functions being walked, innermost last.
    fn_stack: Vec<NodeId>,
    options: ResolveOptions,
}

impl Resolver {
    fn current_owner(&self) -> Option<NodeId> {
        self.fn_stack.last().copied()
    }

    fn push_scope(&mut self) {
        let owner = ScopeOwner::Function(self.current_owner());
        self.scopes.push(Scope::new(owner));
    }

    fn pop_scope(&mut self) {
        self.scopes.pop();
    }

    /// Declares `binder` in the innermost scope, reporting a duplicate in the same scope.
    fn declare(&mut self, binder: &Binder, kind: BindingKind, visible: bool) -> BindingId {
        let scope_index = self.scopes.len() - 1;
        let module_level = matches!(self.scopes[scope_index].owner, ScopeOwner::Module);
        let id = BindingId(self.res.bindings.len() as u32);
        self.res.bindings.push(Binding {
            name: binder.name.clone(),
            span: binder.span,
            kind,
            owner: self.current_owner(),
            module_level,
            captured: false,
            const_array_literal: false,
            from_session: false,
        });
        self.res.decls.insert(binder.id, id);
        if module_level {
            self.res.globals.push(id);
        }
        let previous = self.scopes[scope_index]
            .lookup(&binder.name)
            .filter(|&p| !self.res.binding(p).from_session);
        if let Some(previous) = previous {
            let prev = self.res.binding(previous);
            let (code, message) = match (kind, prev.kind) {
                (BindingKind::Param, BindingKind::Param) => (
                    Code::DuplicateParam,
                    format!("duplicate parameter '{}'", binder.name),
                ),
                (BindingKind::PatternVar, BindingKind::PatternVar) => (
                    Code::DuplicatePatternBinding,
                    format!("'{}' is bound more than once in this pattern", binder.name),
                ),
                _ => (
                    Code::DuplicateDecl,
                    format!("duplicate declaration of '{}'", binder.name),
                ),
            };
            let d = Diagnostic::new(code, binder.span, message)
                .with_label("declared again here")
                .with_secondary(prev.span, "first declared here")
                .with_help("use a different name, or assign without declaring again");
            self.diags.push(d);
            return id;
        }
        self.scopes[scope_index].insert(&binder.name, id, visible);
        id
    }

    /// Declares the `let`/`const`/`fn`/`import` statements of a block before it is walked, so
    /// functions are hoisted and duplicates are caught whatever their order.
    fn predeclare(&mut self, stmts: &[Stmt], top_level: bool) {
        for stmt in stmts {
            match &stmt.kind {
                StmtKind::Let(decl) | StmtKind::Export(ExportDecl::Let(decl)) => {
                    self.predeclare_let(decl);
                }
                StmtKind::Fn(decl) | StmtKind::Export(ExportDecl::Fn(decl)) => {
                    self.declare(&decl.name, BindingKind::Fn, true);
                }
                StmtKind::Import(import) if top_level => {
                    for name in import.names.iter().chain(import.namespace.as_ref()) {
                        self.declare(name, BindingKind::Import, false);
                    }
                }
                _ => {}
            }
        }
    }

    fn predeclare_let(&mut self, decl: &LetDecl) {
        let kind = if decl.kind == LetKind::Const {
            BindingKind::Const
        } else {
            BindingKind::Let
        };
        let id = self.declare(&decl.name, kind, false);
        if kind == BindingKind::Const
            && matches!(
                decl.init.as_ref().map(|e| &e.kind),
                Some(ExprKind::Array(_))
            )
        {
            self.res.bindings[id.0 as usize].const_array_literal = true;
        }
    }

    /// Makes an already declared binder visible to the code that follows it.
    fn make_visible(&mut self, binder: &Binder) {
        if let Some(&id) = self.res.decls.get(&binder.id) {
            let scope = self.scopes.last_mut().expect("a scope is open");
            scope.set_visible(&binder.name, id);
        }
    }

    /// Finds the binding `name` refers to from the current position.
    fn lookup_binding(&mut self, name: &str) -> Option<BindingId> {
        let here = ScopeOwner::Function(self.current_owner());
        let mut found = None;
        for scope in self.scopes.iter().rev() {
            let same_function = scope.owner == here
                || (scope.owner == ScopeOwner::Module && self.fn_stack.is_empty());
            let hit = if same_function {
                scope.lookup_visible(name)
            } else {
                scope.lookup(name)
            };
            if hit.is_some() {
                found = hit;
                break;
            }
        }
        let id = found?;
        self.note_capture(id);
        Some(id)
    }

    /// Records that the current function uses `id`; if it belongs to an enclosing function's
    /// frame, every function between the two captures it.
    fn note_capture(&mut self, id: BindingId) {
        let binding = &self.res.bindings[id.0 as usize];
        if binding.module_level || binding.owner == self.current_owner() {
            return;
        }
        let owner = binding.owner;
        self.res.bindings[id.0 as usize].captured = true;
        for &func in self.fn_stack.iter().rev() {
            if Some(func) == owner {
                break;
            }
            let info = self.res.functions.entry(func).or_default();
            if !info.captures.contains(&id) {
                info.captures.push(id);
            }
        }
    }

    fn lookup_builtin(&self, name: &str) -> Option<BuiltinId> {
        let id = table::lookup(name).or_else(|| table::lookup_alias(name))?;
        match id.get().visibility {
            Visibility::Internal if !self.options.internal_builtins => None,
            _ => Some(id),
        }
    }

    fn undefined(&mut self, name: &str, span: Span) {
        let d = Diagnostic::new(
            Code::UndefinedName,
            span,
            format!("undefined name '{name}'"),
        )
        .with_label("not found in this scope");
        self.diags.push(d);
    }

    fn name_ref(&mut self, e: &Expr, name: &str) {
        if let Some(id) = self.lookup_binding(name) {
            self.res.refs.insert(e.id, Ref::Binding(id));
        } else if let Some(b) = self.lookup_builtin(name) {
            self.res.refs.insert(e.id, Ref::Builtin(b));
        } else {
            self.undefined(name, e.span);
        }
    }

    fn block(&mut self, block: &Block) {
        self.push_scope();
        self.block_stmts(&block.stmts);
        self.pop_scope();
    }

    fn block_stmts(&mut self, stmts: &[Stmt]) {
        self.predeclare(stmts, false);
        for s in stmts {
            self.stmt(s);
        }
    }

    fn stmt(&mut self, stmt: &Stmt) {
        match &stmt.kind {
            StmtKind::Let(decl) | StmtKind::Export(ExportDecl::Let(decl)) => {
                if let Some(init) = &decl.init {
                    self.expr(init);
                }
                self.make_visible(&decl.name);
            }
            StmtKind::Fn(decl) | StmtKind::Export(ExportDecl::Fn(decl)) => {
                self.function(&decl.func, None);
            }
            StmtKind::Import(import) => {
                for name in import.names.iter().chain(import.namespace.as_ref()) {
                    self.make_visible(name);
                }
            }
            StmtKind::Export(ExportDecl::Name { name, .. }) => {
                let exists = self.scopes[0].lookup(&name.name).is_some();
                if !exists {
                    let d = Diagnostic::new(
                        Code::ExportUndefined,
                        name.span,
                        format!("cannot export undefined name '{}'", name.name),
                    )
                    .with_label("no top-level binding with this name");
                    self.diags.push(d);
                }
            }
            StmtKind::If(s) => {
                for (cond, body) in &s.branches {
                    self.expr(cond);
                    self.block(body);
                }
                if let Some(b) = &s.else_block {
                    self.block(b);
                }
            }
            StmtKind::While { cond, body } => {
                self.expr(cond);
                self.block(body);
            }
            StmtKind::For { var, iter, body } => {
                self.expr(iter);
                self.push_scope();
                self.declare(var, BindingKind::ForVar, true);
                self.block(body);
                self.pop_scope();
            }
            StmtKind::Try(t) => {
                self.block(&t.body);
                for c in &t.catches {
                    self.push_scope();
                    if let Some(v) = &c.var {
                        self.declare(v, BindingKind::CatchVar, true);
                    }
                    self.block(&c.body);
                    self.pop_scope();
                }
                if let Some(f) = &t.finally {
                    self.block(f);
                }
            }
            StmtKind::Block(b) => self.block(b),
            StmtKind::Return(e) | StmtKind::Panic(e) => {
                if let Some(e) = e {
                    self.expr(e);
                }
            }
            StmtKind::Break | StmtKind::Continue => {}
            StmtKind::Expr(e) => self.expr(e),
        }
    }

    fn function(&mut self, func: &Function, own_name: Option<&Binder>) {
        stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || {
            if let Some(name) = own_name {
                self.push_scope();
                self.declare(name, BindingKind::FnExprName, true);
            }
            self.fn_stack.push(func.id);
            self.res.functions.entry(func.id).or_default();
            self.push_scope();
            for p in &func.params {
                if let Some(d) = &p.default {
                    self.expr(d);
                }
                self.declare(&p.name, BindingKind::Param, true);
            }
            match &func.body {
                FnBody::Block(b) => self.block_stmts(&b.stmts),
                FnBody::Expr(e) => self.expr(e),
            }
            self.pop_scope();
            self.fn_stack.pop();
            if own_name.is_some() {
                self.pop_scope();
            }
        })
    }

    fn expr(&mut self, e: &Expr) {
        stacker::maybe_grow(64 * 1024, 4 * 1024 * 1024, || self.expr_inner(e))
    }

    fn expr_inner(&mut self, e: &Expr) {
        match &e.kind {
            ExprKind::Int(_)
            | ExprKind::Float(_)
            | ExprKind::Str(_)
            | ExprKind::Bool(_)
            | ExprKind::Null => {}
            ExprKind::Template(parts) => {
                for p in parts {
                    if let TemplatePart::Expr(e) = p {
                        self.expr(e);
                    }
                }
            }
            ExprKind::Name(name) => self.name_ref(e, name),
            ExprKind::Paren(inner)
            | ExprKind::Unary(_, inner)
            | ExprKind::Await(inner)
            | ExprKind::Async(inner) => self.expr(inner),
            ExprKind::Array(items) => items.iter().for_each(|i| self.expr(i)),
            ExprKind::Object(fields) => fields.iter().for_each(|f| self.expr(&f.value)),
            ExprKind::Binary(_, l, r) | ExprKind::Logical(_, l, r) => {
                self.expr(l);
                self.expr(r);
            }
            ExprKind::Assign(_, target, value) => {
                self.assign_target(target);
                self.expr(value);
            }
            ExprKind::Call(callee, args) => {
                self.expr(callee);
                args.iter().for_each(|a| self.expr(a));
            }
            ExprKind::Member(obj, _, MemberKind::Path) => {
                if !self.builtin_path(e) {
                    self.expr(obj);
                }
            }
            ExprKind::Member(obj, _, MemberKind::Dot) => self.expr(obj),
            ExprKind::Index(obj, idx) => {
                self.expr(obj);
                self.expr(idx);
            }
            ExprKind::Slice(obj, parts) => {
                self.expr(obj);
                parts.iter().flatten().for_each(|p| self.expr(p));
            }
            ExprKind::If(c, t, f) => {
                self.expr(c);
                self.expr(t);
                self.expr(f);
            }
            ExprKind::Match(scrutinee, arms) => {
                self.expr(scrutinee);
                for arm in arms {
                    self.push_scope();
                    self.pattern(&arm.pattern);
                    if let Some(g) = &arm.guard {
                        self.expr(g);
                    }
                    self.expr(&arm.body);
                    self.pop_scope();
                }
            }
            ExprKind::Function(name, func) => self.function(func, name.as_ref()),
        }
    }

    /// An `a::b::c` path whose root is not a user binding names a builtin alias (§3.12.6, C1).
    /// Returns false when the root is a user binding, so the path is ordinary member access.
    fn builtin_path(&mut self, e: &Expr) -> bool {
        let mut segments = Vec::new();
        let mut cur = e;
        while let ExprKind::Member(obj, name, MemberKind::Path) = &cur.kind {
            segments.push(name.name.as_str());
            cur = obj;
        }
        let ExprKind::Name(root) = &cur.kind else {
            return false;
        };
        if self.lookup_binding(root).is_some() {
            return false;
        }
        segments.push(root);
        segments.reverse();
        let path = segments.join("::");
        match self.lookup_builtin(&path) {
            Some(b) => {
                self.res.refs.insert(e.id, Ref::Builtin(b));
            }
            None => self.undefined(&path, e.span),
        }
        true
    }

    fn assign_target(&mut self, target: &Expr) {
        // Walk down to the root variable of a place such as `a[i][j]` or `o.f[i]`.
        let mut root = target;
        let mut only_indexes = true;
        loop {
            match &root.kind {
                ExprKind::Index(obj, _) => root = obj,
                ExprKind::Member(obj, _, MemberKind::Dot) => {
                    only_indexes = false;
                    root = obj;
                }
                _ => break,
            }
        }
        self.expr(target);
        let ExprKind::Name(name) = &root.kind else {
            return;
        };
        let whole_variable = std::ptr::eq(root, target);
        let immutable = match self.res.refs.get(&root.id) {
            Some(Ref::Builtin(_)) => whole_variable.then(|| name.clone()),
            Some(Ref::Binding(id)) => {
                let b = self.res.binding(*id);
                let blocked = if whole_variable {
                    !b.kind.is_reassignable()
                } else {
                    only_indexes && b.const_array_literal
                };
                blocked.then(|| b.name.clone())
            }
            None => None,
        };
        if let Some(name) = immutable {
            let mut d = Diagnostic::new(
                Code::ImmutableAssign,
                root.span,
                format!("cannot assign to immutable binding '{name}'"),
            )
            .with_label("cannot assign");
            if let Some(Ref::Binding(id)) = self.res.refs.get(&root.id) {
                let b = self.res.binding(*id);
                let (what, help) = match b.kind {
                    BindingKind::Const if !whole_variable => ("declared as `const` with an array literal here", "arrays are values, so changing an element changes the constant; declare it with `let`"),
                    BindingKind::Const => ("declared as `const` here", "declare it with `let` to make it reassignable"),
                    BindingKind::Fn | BindingKind::FnExprName => ("declared as a function here", "functions cannot be reassigned; store the function in a `let` variable instead"),
                    _ => ("imported here", "imported names cannot be reassigned; copy the value into a `let` variable"),
                };
                d = d.with_secondary(b.span, what).with_help(help);
            } else {
                d = d.with_help(
                    "builtins cannot be reassigned; declare a variable with `let` to shadow it",
                );
            }
            self.diags.push(d);
        }
    }

    fn pattern(&mut self, p: &Pattern) {
        match &p.kind {
            PatternKind::Bind(b) => {
                self.declare(b, BindingKind::PatternVar, true);
            }
            PatternKind::List(items) => items.iter().for_each(|i| self.pattern(i)),
            PatternKind::Object(fields) => fields.iter().for_each(|(_, p)| self.pattern(p)),
            _ => {}
        }
    }
}
