//! The bytecode compiler: a resolved frontend `Program` to a bytecode `Program`.
//!
//! One `FnState` per function being compiled (module top levels included). Variables live in
//! one of five places, decided from the resolver's tables (`VarLoc`): a local slot, a local slot
//! holding a cell (captured variables, §3.3.3), a captured cell of the running closure, a module
//! global, or a builtin. The operand stack is empty at every statement boundary; `match`
//! scrutinees, iteration state, assignment temporaries and pending `return` values live in
//! hidden local slots, so every jump target has one stack depth (the verifier checks it).
//!
//! `finally` blocks are compiled inline on every path that leaves their `try` (normal end,
//! `return`, `break`, `continue`, and a re-raising handler), with the leaving `try`s' regions
//! suspended so an error inside the `finally` code goes to the enclosing handlers only.
//!
//! Array value semantics (§3.10.1) are the compiler's job too: a value read from a place and
//! stored into another place is marked shared (`Share`); see `expr.rs`.

mod expr;
mod pattern;
mod place;
mod stmt;

use super::{Constant, FunctionCode, Handler, ModuleCode, Op, Program};
use crate::frontend::ast::{self, Block, NodeId, Stmt, StmtKind};
use crate::frontend::modules::{LoadedModule, ModuleId};
use crate::frontend::resolve::{BindingId, Resolution};
use crate::frontend::source::Span;
use crate::frontend::{self, SourceMap};
use std::collections::HashMap;

/// Compiles every module of a checked program (its diagnostics must be empty).
pub fn compile(program: &frontend::Program) -> Program {
    let mut c = Compiler {
        sources: &program.sources,
        out: Program {
            modules: Vec::new(),
            functions: Vec::new(),
            constants: Vec::new(),
            entry: program.entry.map_or(0, |m| m.0),
        },
        consts: HashMap::new(),
    };
    for (i, module) in program.modules.iter().enumerate() {
        c.module(ModuleId(i as u32), module, program);
    }
    c.out
}

#[derive(Clone, PartialEq, Eq, Hash)]
enum ConstKey {
    Int(i64),
    Float(u64),
    Str(String),
}

struct Compiler<'a> {
    sources: &'a SourceMap,
    out: Program,
    consts: HashMap<ConstKey, u32>,
}

/// Where a variable lives, seen from the function being compiled.
#[derive(Clone, Copy, Debug)]
pub(super) enum VarLoc {
    Local(u16),
    /// A local slot holding a cell, and the variable's name (a string constant).
    Cell(u16, u32),
    /// A captured cell of the running closure, and the variable's name.
    Upval(u16, u32),
    Global(u32),
}

/// The module being compiled and its resolver tables.
struct ModuleCtx<'a> {
    index: u32,
    loaded: &'a LoadedModule,
    res: &'a Resolution,
    globals: HashMap<BindingId, u32>,
    program: &'a frontend::Program,
    is_entry: bool,
}

struct LoopCtx {
    breaks: Vec<usize>,
    continues: Vec<usize>,
    /// Number of enclosing `try`s when the loop started: `break` leaves the ones above.
    tries: usize,
}

struct TryCtx<'a> {
    finally: Option<&'a Block>,
    /// Start of the currently open protected segment, if any.
    open: Option<u32>,
    segments: Vec<(u32, u32)>,
}

struct FnState<'a> {
    /// The resolver's owner id: `None` for the module's top level.
    owner: Option<NodeId>,
    code: Vec<Op>,
    lines: Vec<(u32, u32)>,
    handlers: Vec<(usize, Handler)>,
    next_slot: u16,
    max_slots: u16,
    slots: HashMap<BindingId, u16>,
    /// `(slot, name)` of each named local, for debug information.
    local_names: Vec<(u16, String)>,
    upvals: HashMap<BindingId, u16>,
    captures: Vec<super::Capture>,
    loops: Vec<LoopCtx>,
    tries: Vec<TryCtx<'a>>,
    /// Jumps of top-level `return`s, patched to the module epilogue.
    top_returns: Vec<usize>,
}

impl<'a> FnState<'a> {
    fn new(owner: Option<NodeId>) -> FnState<'a> {
        FnState {
            owner,
            code: Vec::new(),
            lines: Vec::new(),
            handlers: Vec::new(),
            next_slot: 0,
            max_slots: 0,
            slots: HashMap::new(),
            local_names: Vec::new(),
            upvals: HashMap::new(),
            captures: Vec::new(),
            loops: Vec::new(),
            tries: Vec::new(),
            top_returns: Vec::new(),
        }
    }
}

/// Compiles one module: globals, hoisted functions, top-level code.
pub(super) struct Emitter<'a, 'c> {
    c: &'c mut Compiler<'a>,
    m: ModuleCtx<'a>,
    f: FnState<'a>,
}

impl<'a> Compiler<'a> {
    fn module(&mut self, id: ModuleId, loaded: &'a LoadedModule, program: &'a frontend::Program) {
        let res = &loaded.resolution;
        let globals: HashMap<BindingId, u32> = res
            .globals
            .iter()
            .enumerate()
            .map(|(i, &b)| (b, i as u32))
            .collect();
        let names = res
            .globals
            .iter()
            .map(|&b| res.binding(b).name.clone())
            .collect();
        let exports = loaded
            .exports
            .iter()
            .map(|e| (e.name.clone(), globals[&e.binding]))
            .collect();
        let module_index = self.out.modules.len() as u32;
        debug_assert_eq!(module_index, id.0);
        self.out.modules.push(ModuleCode {
            name: program.sources.file(loaded.file).name.clone(),
            globals: names,
            init: 0,
            exports,
            main: None,
        });
        let m = ModuleCtx {
            index: module_index,
            loaded,
            res,
            globals,
            program,
            is_entry: program.entry == Some(id),
        };
        let mut e = Emitter {
            c: self,
            m,
            f: FnState::new(None),
        };
        e.module_body(&loaded.ast.stmts);
        let init = e.finish_function(None, 0, 0, false, false);
        self.out.modules[module_index as usize].init = init;
    }

    fn constant(&mut self, key: ConstKey) -> u32 {
        if let Some(&i) = self.consts.get(&key) {
            return i;
        }
        let i = self.out.constants.len() as u32;
        self.out.constants.push(match &key {
            ConstKey::Int(v) => Constant::Int(*v),
            ConstKey::Float(bits) => Constant::Float(f64::from_bits(*bits)),
            ConstKey::Str(s) => Constant::Str(s.clone()),
        });
        self.consts.insert(key, i);
        i
    }
}

impl<'a, 'c> Emitter<'a, 'c> {
    pub(super) fn emit(&mut self, op: Op) -> usize {
        self.f.code.push(op);
        self.f.code.len() - 1
    }

    pub(super) fn pc(&self) -> usize {
        self.f.code.len()
    }

    /// Records the source line of the code emitted from now on.
    pub(super) fn mark(&mut self, span: Span) {
        let (line, _) = self.c.sources.line_col(span.file, span.start as usize);
        let line = line as u32;
        let pc = self.pc() as u32;
        match self.f.lines.last_mut() {
            Some(last) if last.1 == line => {}
            Some(last) if last.0 == pc => last.1 = line,
            _ => self.f.lines.push((pc, line)),
        }
    }

    /// Patches the jump at `at` to land on the current pc.
    pub(super) fn patch(&mut self, at: usize) {
        let offset = self.pc() as i32 - at as i32 - 1;
        match &mut self.f.code[at] {
            Op::Jump { offset: o }
            | Op::JumpIfFalse { offset: o }
            | Op::JumpIfTrue { offset: o }
            | Op::JumpIfArgGiven { offset: o, .. }
            | Op::IterNext { offset: o, .. } => *o = offset,
            other => unreachable!("patching a non-jump {other:?}"),
        }
    }

    /// Emits a backward jump to `target`.
    pub(super) fn jump_back(&mut self, target: usize) {
        let offset = target as i32 - self.pc() as i32 - 1;
        self.emit(Op::Jump { offset });
    }

    pub(super) fn str_const(&mut self, s: &str) -> u32 {
        self.c.constant(ConstKey::Str(s.to_string()))
    }

    pub(super) fn push_int(&mut self, v: i64) {
        match i32::try_from(v) {
            Ok(small) => {
                self.emit(Op::Int { value: small });
            }
            Err(_) => {
                let index = self.c.constant(ConstKey::Int(v));
                self.emit(Op::Const { index });
            }
        }
    }

    pub(super) fn push_float(&mut self, v: f64) {
        let index = self.c.constant(ConstKey::Float(v.to_bits()));
        self.emit(Op::Const { index });
    }

    pub(super) fn push_str(&mut self, s: &str) {
        let index = self.str_const(s);
        self.emit(Op::Const { index });
    }

    /// A hidden local slot for compiler temporaries.
    pub(super) fn temp(&mut self) -> u16 {
        let slot = self.f.next_slot;
        self.f.next_slot += 1;
        self.f.max_slots = self.f.max_slots.max(self.f.next_slot);
        slot
    }

    pub(super) fn res(&self) -> &'a Resolution {
        self.m.res
    }

    pub(super) fn binding_of(&self, binder: NodeId) -> BindingId {
        self.m.res.decls[&binder]
    }

    /// Where binding `b` lives from the current function.
    pub(super) fn loc(&mut self, b: BindingId) -> VarLoc {
        let binding = self.m.res.binding(b);
        if binding.module_level {
            return VarLoc::Global(self.m.globals[&b]);
        }
        if binding.owner == self.f.owner {
            let slot = self.f.slots[&b];
            if !binding.captured {
                return VarLoc::Local(slot);
            }
            let name = self.str_const(&binding.name.clone());
            return VarLoc::Cell(slot, name);
        }
        let name = self.str_const(&binding.name.clone());
        VarLoc::Upval(self.f.upvals[&b], name)
    }

    pub(super) fn load(&mut self, loc: VarLoc) {
        self.emit(match loc {
            VarLoc::Local(slot) => Op::LoadLocal { slot },
            VarLoc::Cell(slot, name) => Op::LoadCell { slot, name },
            VarLoc::Upval(index, name) => Op::LoadUpval { index, name },
            VarLoc::Global(index) => Op::LoadGlobal { index },
        });
    }

    /// Assignment to an existing variable.
    pub(super) fn store(&mut self, loc: VarLoc) {
        self.emit(match loc {
            VarLoc::Local(slot) => Op::StoreLocal { slot },
            VarLoc::Cell(slot, name) => Op::StoreCell { slot, name },
            VarLoc::Upval(index, name) => Op::StoreUpval { index, name },
            VarLoc::Global(index) => Op::StoreGlobal { index },
        });
    }

    /// The store of a declaration, which initialises the variable.
    pub(super) fn init(&mut self, loc: VarLoc) {
        self.emit(match loc {
            VarLoc::Local(slot) => Op::StoreLocal { slot },
            VarLoc::Cell(slot, _) => Op::InitCell { slot },
            VarLoc::Upval(index, name) => Op::StoreUpval { index, name },
            VarLoc::Global(index) => Op::InitGlobal { index },
        });
    }

    /// Gives a local binding of the current function a slot (and a fresh cell if captured).
    pub(super) fn declare_local(&mut self, b: BindingId) {
        if self.m.res.binding(b).module_level {
            return;
        }
        let slot = self.temp();
        self.name_slot(b, slot);
        if self.m.res.binding(b).captured {
            self.emit(Op::NewCell { slot });
        }
    }

    /// Gives binding `b` slot `slot` and records its name there.
    fn name_slot(&mut self, b: BindingId, slot: u16) {
        self.f.slots.insert(b, slot);
        let name = self.m.res.binding(b).name.clone();
        self.f.local_names.push((slot, name));
    }

    /// Block entry: slots and cells for the block's declarations, then its hoisted functions.
    pub(super) fn enter_block(&mut self, stmts: &'a [Stmt]) {
        let mut fns = Vec::new();
        for stmt in stmts {
            match &stmt.kind {
                StmtKind::Let(decl) | StmtKind::Export(ast::ExportDecl::Let(decl)) => {
                    let b = self.binding_of(decl.name.id);
                    self.declare_local(b);
                }
                StmtKind::Fn(decl) | StmtKind::Export(ast::ExportDecl::Fn(decl)) => {
                    let b = self.binding_of(decl.name.id);
                    self.declare_local(b);
                    fns.push(decl);
                }
                _ => {}
            }
        }
        for decl in fns {
            let b = self.binding_of(decl.name.id);
            let function = self.function(&decl.func, Some(&decl.name.name));
            self.emit(Op::Closure { function });
            let loc = self.loc(b);
            self.init(loc);
            if self.m.is_entry
                && self.f.owner.is_none()
                && decl.name.name == "main"
                && self.m.res.binding(b).module_level
            {
                let slot = self.m.globals[&b];
                self.c.out.modules[self.m.index as usize].main = Some((slot, function));
            }
        }
    }

    /// Compiles a nested function and returns its index. A named function expression's own
    /// binding is declared by the caller, which stores the closure into it.
    pub(super) fn function(&mut self, func: &'a ast::Function, name: Option<&str>) -> u32 {
        let outer = std::mem::replace(&mut self.f, FnState::new(Some(func.id)));
        // Captured cells, in the order the resolver listed them, and where the creator finds them.
        let captures: Vec<BindingId> = self
            .m
            .res
            .functions
            .get(&func.id)
            .map(|i| i.captures.clone())
            .unwrap_or_default();
        let mut sources = Vec::new();
        for (i, &b) in captures.iter().enumerate() {
            self.f.upvals.insert(b, i as u16);
            let binding = self.m.res.binding(b);
            sources.push(if binding.owner == outer.owner {
                super::Capture::Local(outer.slots[&b])
            } else {
                super::Capture::Upval(outer.upvals[&b])
            });
        }
        self.f.captures = sources;
        for p in &func.params {
            let b = self.binding_of(p.name.id);
            let slot = self.temp();
            self.name_slot(b, slot);
        }
        // Parameter by parameter: a default may capture the parameters before it, so each is
        // boxed (if captured) before the next default runs.
        for (i, p) in func.params.iter().enumerate() {
            if let Some(default) = &p.default {
                let skip = self.emit(Op::JumpIfArgGiven {
                    param: i as u16,
                    offset: 0,
                });
                self.expr_retained(default);
                self.emit(Op::StoreLocal { slot: i as u16 });
                self.patch(skip);
            }
            let b = self.binding_of(p.name.id);
            if self.m.res.binding(b).captured {
                self.emit(Op::BoxLocal { slot: i as u16 });
            }
        }
        match &func.body {
            ast::FnBody::Block(block) => {
                self.mark(block.span);
                self.enter_block(&block.stmts);
                for s in &block.stmts {
                    self.stmt(s);
                }
                self.emit(Op::Null);
                self.emit(Op::Return);
            }
            ast::FnBody::Expr(e) => {
                self.mark(e.span);
                self.expr_retained(e);
                self.emit(Op::Return);
            }
        }
        let required = func
            .params
            .iter()
            .take_while(|p| p.default.is_none())
            .count() as u16;
        let self_first = func.params.first().is_some_and(|p| p.name.name == "self");
        let index = self.finish_function(
            name.map(str::to_string),
            func.params.len() as u16,
            required,
            self_first,
            func.is_async,
        );
        self.f = outer;
        index
    }

    /// Closes the current function and appends it to the program.
    fn finish_function(
        &mut self,
        name: Option<String>,
        params: u16,
        required: u16,
        self_first: bool,
        is_async: bool,
    ) -> u32 {
        let mut handlers = std::mem::take(&mut self.f.handlers);
        handlers.sort_by_key(|(level, h)| (std::cmp::Reverse(*level), h.start));
        let code = FunctionCode {
            name,
            module: self.m.index,
            params,
            required,
            self_first,
            is_async,
            locals: self.f.max_slots.max(params),
            captures: std::mem::take(&mut self.f.captures),
            code: std::mem::take(&mut self.f.code),
            lines: std::mem::take(&mut self.f.lines),
            local_names: std::mem::take(&mut self.f.local_names),
            handlers: handlers.into_iter().map(|(_, h)| h).collect(),
        };
        self.c.out.functions.push(code);
        self.c.out.functions.len() as u32 - 1
    }

    fn module_body(&mut self, stmts: &'a [Stmt]) {
        if let Some(first) = stmts.first() {
            self.mark(first.span);
        }
        self.enter_block(stmts);
        for s in stmts {
            self.stmt(s);
        }
        for at in std::mem::take(&mut self.f.top_returns) {
            self.patch(at);
        }
        if self.m.is_entry {
            self.emit(Op::CallMain);
            self.emit(Op::AwaitIfTask);
            self.emit(Op::Pop);
        }
        self.emit(Op::Null);
        self.emit(Op::Return);
    }

    /// The module a resolved import statement loads.
    pub(super) fn import_target(&self, import: &ast::ImportDecl) -> u32 {
        self.m.loaded.imports[&import.id].0
    }

    pub(super) fn exports_of(&self, module: u32) -> Vec<String> {
        self.m.program.modules[module as usize]
            .exports
            .iter()
            .map(|e| e.name.clone())
            .collect()
    }
}
