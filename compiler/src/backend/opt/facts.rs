//! Whole-program facts for type inference: the types stored under each object key and in each
//! global, over every store that can run.
//!
//! `nbody`'s `b.x - c.x` is only unboxed if the compiler knows that field `x` holds a float
//! wherever it exists. Objects never store `null` (§3.11.2), so when every store of a key in the
//! program stores a float, a read of that key gives a float, `null` (absent) or an error
//! (not an object) — and `null` makes any arithmetic or ordering operator raise (§3.6, §3.7).
//! So an operator on such reads can produce an unboxed result; its operands stay `dyn` values
//! and it is checked as before. Likewise a global whose every store is a float reads as a float
//! (an uninitialised read raises first).
//!
//! The facts hold only when every store is visible, so they are gathered only for a native
//! build of a single-module program, where every function runs as compiled code: the REPL
//! rebinds globals between inputs, the tiered `run` interprets what it has not compiled (the
//! generic body of every function may run there), and other modules' namespaces are objects
//! the runtime fills. Builtins that make objects (`json_parse`, `pop`, `now`, the device and
//! network calls, …) hand the program fields the compiler never saw: a program that names any
//! builtin outside `PLAIN_BUILTINS` gets no field facts.
//!
//! Stores count from the bodies that can run: every specialised clone, and the generic body of
//! a function only if something can call it generically — it is the module's top level or
//! `main`, its value is used as a value (passed, stored, returned, a method), or one of its
//! direct calls is not specialised. A module-level `fn` called only with scalar arguments thus
//! contributes only its clones' stores, whose parameters are typed.

use super::types::Ty;
use crate::backend::ir::{Const, Function, InstKind, Value, ValueDef};
use crate::bytecode::Program;
use solvra_rt::builtins::table::BUILTINS;
use std::collections::{HashMap, HashSet};

/// Builtins that neither create objects with fields nor store into them.
const PLAIN_BUILTINS: &[&str] = &[
    "prt",
    "print",
    "println",
    "endl",
    "input",
    "inp",
    "io_stdout_writeln",
    "io_stderr_writeln",
    "len",
    "type",
    "typeof",
    "to_string",
    "str",
    "bool",
    "boolean",
    "parse_int",
    "parse_float",
    "int",
    "float",
    "div",
    "division",
    "sbt",
    "subtract",
    "abs",
    "min",
    "max",
    "pow",
    "sqrt",
    "sin",
    "cos",
    "tan",
    "log",
    "push",
    "insert",
    "keys",
    "values",
    "has_key",
    "time",
    "now_ms",
    "sleep",
    "delay",
    "random",
    "exit",
    "env_get",
    "env_set",
    "json_stringify",
    "read_file",
    "write_file",
    "fs_exists",
    "fs_ls",
    "path_join",
    "path_home_dir",
];

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Facts {
    /// Whether facts are gathered at all (see the module comment).
    enabled: bool,
    /// The join of the types stored under each key, by the key's text.
    fields: HashMap<String, Ty>,
    /// Some store may put anything under any key.
    any_field: bool,
    /// The join of the types stored in each global `(module, index)`.
    globals: HashMap<(u32, u32), Ty>,
    /// Set once the optimistic fixpoint is reached: what is still unknown is then `dyn` (a
    /// key nothing stores reads as `null`), and calls whose arguments are unknown count as
    /// generic calls.
    strict: bool,
}

/// A body whose stores count, with the types inference gave its values.
pub(super) struct Body<'a> {
    pub func: &'a Function,
    pub ty: &'a [Ty],
}

impl Facts {
    /// No facts yet; `enabled` says whether any will be gathered.
    pub(super) fn new(program: &Program, whole_native: bool) -> Facts {
        Facts {
            enabled: whole_native && program.modules.len() == 1,
            ..Facts::default()
        }
    }

    pub(super) fn enabled(&self) -> bool {
        self.enabled
    }

    pub(super) fn strict(&self) -> bool {
        self.strict
    }

    /// Ends the optimistic phase (see `strict`); returns whether it was still on.
    pub(super) fn tighten(&mut self) -> bool {
        let was = !self.strict;
        self.strict = true;
        was
    }

    /// What a read of field `key` gives, as far as it matters for arithmetic: `MaybeInt` or
    /// `MaybeFloat` (that type, or `null`), `None` while nothing is known, else `Dyn`.
    pub(super) fn field(&self, program: &Program, key: u32) -> Ty {
        if !self.enabled || self.any_field {
            return Ty::Dyn;
        }
        let Some(text) = key_text(program, key) else {
            return Ty::Dyn;
        };
        match self.fields.get(text).copied().unwrap_or(Ty::None) {
            Ty::Int => Ty::MaybeInt,
            Ty::Float => Ty::MaybeFloat,
            Ty::None if !self.strict => Ty::None,
            _ => Ty::Dyn,
        }
    }

    /// What a read of global `(module, index)` gives when it does not raise.
    pub(super) fn global(&self, module: u32, index: u32) -> Ty {
        if !self.enabled {
            return Ty::Dyn;
        }
        match self
            .globals
            .get(&(module, index))
            .copied()
            .unwrap_or(Ty::None)
        {
            t @ (Ty::Int | Ty::Float | Ty::Bool) => t,
            Ty::None if !self.strict => Ty::None,
            _ => Ty::Dyn,
        }
    }

    /// Adds the stores of `bodies` (the generic bodies that can run and every clone).
    pub(super) fn gather(&mut self, program: &Program, bodies: &[Body]) {
        if !self.enabled {
            return;
        }
        for body in bodies {
            let t = |v: Value| body.ty[v.index()].proven();
            for inst in &body.func.insts {
                match &inst.kind {
                    InstKind::InitField { key, value, .. }
                    | InstKind::MemberSet { key, value, .. } => {
                        self.store_field(program, *key, t(*value));
                    }
                    InstKind::IndexSet { index, value, .. } => match const_str(body.func, *index) {
                        Some(key) => self.store_field(program, key, t(*value)),
                        // An int index never names a field (`cannot index object with int`).
                        None if t(*index) == Ty::Int => {}
                        None => self.any_field = true,
                    },
                    InstKind::Builtin(id) => {
                        let plain = BUILTINS
                            .get(*id as usize)
                            .is_some_and(|b| PLAIN_BUILTINS.contains(&b.name));
                        if !plain {
                            self.any_field = true;
                        }
                    }
                    InstKind::ModuleNamespace(_) => self.any_field = true,
                    InstKind::InitGlobal {
                        module,
                        index,
                        value,
                    }
                    | InstKind::StoreGlobal {
                        module,
                        index,
                        value,
                    } => {
                        // Unlike a field, a global keeps a `null`: no `proven` here.
                        let g = self.globals.entry((*module, *index)).or_insert(Ty::None);
                        *g = g.join(body.ty[value.index()]);
                    }
                    _ => {}
                }
            }
        }
    }

    fn store_field(&mut self, program: &Program, key: u32, t: Ty) {
        match key_text(program, key) {
            Some(text) => {
                let f = self.fields.entry(text.to_string()).or_insert(Ty::None);
                *f = f.join(t);
            }
            None => self.any_field = true,
        }
    }
}

fn key_text(program: &Program, key: u32) -> Option<&str> {
    match program.constants.get(key as usize) {
        Some(crate::bytecode::Constant::Str(s)) => Some(s),
        _ => None,
    }
}

fn const_str(f: &Function, v: Value) -> Option<u32> {
    let ValueDef::Inst(i) = f.value_def(v) else {
        return None;
    };
    match f.inst(i).kind {
        InstKind::Const(Const::Str(k)) => Some(k),
        _ => None,
    }
}

/// The functions whose generic body can run in a native single-module program.
/// `dynamic_calls(f)` lists the known functions that body `f` calls without a clone;
/// `clones` are the specialised bodies, which run whenever their call sites do.
pub(super) fn generic_reachable(
    program: &Program,
    bases: &[Function],
    dynamic_calls: &[Vec<u32>],
    clones: &[(&Function, Vec<u32>)],
) -> HashSet<u32> {
    let read: HashSet<(u32, u32)> = bases
        .iter()
        .chain(clones.iter().map(|(c, _)| *c))
        .flat_map(|f| &f.insts)
        .filter_map(|i| match i.kind {
            InstKind::LoadGlobal { module, index } => Some((module, index)),
            _ => None,
        })
        .collect();
    let mut work: Vec<u32> = Vec::new();
    for m in &program.modules {
        work.push(m.init);
        if let Some((_, f)) = m.main {
            work.push(f);
        }
    }
    for (body, calls) in clones {
        escaping(body, &read, &mut work);
        work.extend(calls);
    }
    let mut reach: HashSet<u32> = HashSet::new();
    while let Some(f) = work.pop() {
        if !reach.insert(f) {
            continue;
        }
        escaping(&bases[f as usize], &read, &mut work);
        work.extend(&dynamic_calls[f as usize]);
    }
    reach
}

/// Adds to `found` the functions whose values `f` uses other than to call them directly;
/// `read` holds the globals some code reads as globals (not as `load_fn`).
fn escaping(f: &Function, read: &HashSet<(u32, u32)>, found: &mut Vec<u32>) {
    for inst in &f.insts {
        match &inst.kind {
            InstKind::Closure { function, .. }
                if inst.result.is_some_and(|r| !only_fn_decl(f, r, read)) =>
            {
                found.push(*function)
            }
            InstKind::LoadFn { function, .. }
                if inst.result.is_some_and(|r| !only_called(f, r)) =>
            {
                found.push(*function)
            }
            _ => {}
        }
    }
}

/// Whether `v` (a closure) is only stored by `init_global` into globals nothing reads as
/// globals: a `fn` declaration, whose reads the globals pass made `load_fn` (judged where
/// they are used).
fn only_fn_decl(f: &Function, v: Value, read: &HashSet<(u32, u32)>) -> bool {
    uses(f, v).all(|k| match k {
        InstKind::InitGlobal { module, index, .. } => !read.contains(&(*module, *index)),
        _ => false,
    })
}

/// Whether `v` (a `load_fn`) is only ever the callee of calls.
fn only_called(f: &Function, v: Value) -> bool {
    uses(f, v).all(|k| match k {
        InstKind::Call { callee, args } => *callee == v && !args.contains(&v),
        _ => false,
    }) && !f
        .blocks
        .iter()
        .filter_map(|b| b.terminator.as_ref())
        .any(|t| t.args().contains(&v))
}

fn uses(f: &Function, v: Value) -> impl Iterator<Item = &InstKind> {
    f.insts
        .iter()
        .map(|i| &i.kind)
        .filter(move |k| k.args().contains(&v))
}
