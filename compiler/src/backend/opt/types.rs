//! Type inference over SSA values and specialisation to unboxed ints, floats and bools.
//!
//! Inference is an optimistic fixpoint over a small lattice (`Ty`): a value starts as `None`
//! (no information yet) and rises to `Int`, `Float` or `Bool` when every way it can be computed
//! gives that type, or to `Dyn`. Constants, the arithmetic and comparison operators on proven
//! operands (§3.6, §3.7; mixed int/float comparisons stay with the runtime, which compares them
//! exactly), `!`, truthiness and phis have rules; everything else is `Dyn`.
//!
//! A call of a known function (`load_fn`) with at least one argument a proven scalar calls a
//! *clone* of the function specialised for those argument types (the others stay `dyn`); the
//! clone's result type is inferred too, so recursion such as `fib(n - 1) + fib(n - 2)` stays
//! unboxed. Clones are found
//! while inferring, and inference repeats over all bodies until no clone and no result type
//! changes.
//!
//! In a native single-module build, whole-program facts (`facts.rs`) type field reads
//! (`MaybeInt`/`MaybeFloat`: the number or `null`), globals and the results of some builtins;
//! they join the same fixpoint.
//!
//! The rewrite turns proven operations into their typed forms (`typed_add`, `scalar`, …),
//! converts ints to floats where a float operation needs one, and boxes a scalar wherever a
//! `dyn` operand is expected. A typed result of `dyn` operands is the `dyn` operation followed
//! by a checked `unbox`. No other guard is needed: a type is only assumed where it is proven.

use super::facts::{self, Body, Facts};
use super::ssa::resolve;
use crate::backend::ir::{
    BinOp, Block, Const, Function, Inst, InstData, InstKind, IrError, Terminator, Type, Value,
    ValueDef,
};
use crate::bytecode::Program;
use std::collections::HashMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(super) enum Ty {
    None,
    Int,
    Float,
    Bool,
    /// An int or `null` (a field read, `facts.rs`): a `dyn` value that any arithmetic or
    /// ordering operator either raises on or sees as an int.
    MaybeInt,
    /// A float or `null`, likewise.
    MaybeFloat,
    Dyn,
}

impl Ty {
    pub(super) fn join(self, o: Ty) -> Ty {
        match (self, o) {
            (Ty::None, x) | (x, Ty::None) => x,
            (a, b) if a == b => a,
            (Ty::MaybeInt, Ty::Int) | (Ty::Int, Ty::MaybeInt) => Ty::MaybeInt,
            (Ty::MaybeFloat, Ty::Float) | (Ty::Float, Ty::MaybeFloat) => Ty::MaybeFloat,
            _ => Ty::Dyn,
        }
    }

    /// The type of a value of this type that an operator did not raise on.
    pub(super) fn proven(self) -> Ty {
        match self {
            Ty::MaybeInt => Ty::Int,
            Ty::MaybeFloat => Ty::Float,
            t => t,
        }
    }

    fn is_maybe(self) -> bool {
        matches!(self, Ty::MaybeInt | Ty::MaybeFloat)
    }

    fn is_scalar(self) -> bool {
        matches!(self, Ty::Int | Ty::Float | Ty::Bool)
    }

    fn is_number(self) -> bool {
        matches!(self, Ty::Int | Ty::Float)
    }

    fn ir(self) -> Type {
        match self {
            Ty::Int => Type::Int,
            Ty::Float => Type::Float,
            Ty::Bool => Type::Bool,
            Ty::None | Ty::MaybeInt | Ty::MaybeFloat | Ty::Dyn => Type::Dyn,
        }
    }

    fn of(t: Type) -> Ty {
        match t {
            Type::Int => Ty::Int,
            Type::Float => Ty::Float,
            Type::Bool => Ty::Bool,
            Type::Dyn => Ty::Dyn,
        }
    }
}

/// A function specialised for the types of its arguments.
pub struct Clone {
    /// The bytecode function it specialises.
    pub base: u32,
    pub func: Function,
}

/// At most this many clones per program, and only of functions up to this size: cloning is
/// for small hot functions, and each clone costs compile time.
const MAX_CLONES: usize = 256;
const MAX_CLONE_INSTS: usize = 4000;

struct Registry<'a> {
    program: &'a Program,
    facts: Facts,
    bases: &'a [Function],
    sigs: Vec<(u32, Vec<Ty>)>,
    index: HashMap<(u32, Vec<Ty>), u32>,
    rets: Vec<Ty>,
    /// With facts: the join of what each function's generic body returns.
    generic_rets: HashMap<u32, Ty>,
}

impl Registry<'_> {
    /// Whether a call with `argc` arguments may go straight to a clone of `f`: not `async`
    /// (the call makes a task), not the entry module's `main` (calling it counts as its
    /// start, §3.2), no captured cells, every parameter passed (no defaults to evaluate), and
    /// no `try` (its slots stay in memory, see `ssa`).
    fn clonable(&self, f: u32, argc: usize) -> bool {
        let code = &self.program.functions[f as usize];
        let body = &self.bases[f as usize];
        !code.is_async
            && code.captures.is_empty()
            && code.params as usize == argc
            && !self.is_entry_main(f)
            && body.slots == 0
            && body.insts.len() <= MAX_CLONE_INSTS
    }

    /// What a generic call of `callee` gives when it returns: with facts, the result type of
    /// the function's generic body if `callee` is a known function that returns its body's
    /// result (not `async`, which gives a task, nor the entry's `main`).
    fn generic_result(&self, f: &Function, callee: Value) -> Ty {
        let Some(function) = known_function(f, callee) else {
            return Ty::Dyn;
        };
        if self.program.functions[function as usize].is_async || self.is_entry_main(function) {
            return Ty::Dyn;
        }
        match self.generic_rets.get(&function).copied() {
            Some(t @ (Ty::Int | Ty::Float | Ty::Bool)) => t,
            Some(Ty::None) if !self.facts.strict() => Ty::None,
            _ => Ty::Dyn,
        }
    }

    fn is_entry_main(&self, f: u32) -> bool {
        self.program.modules[self.program.entry as usize]
            .main
            .is_some_and(|(_, main)| main == f)
    }

    /// The clone of `f` for `args` (made on first request) and its result type so far.
    fn request(&mut self, f: u32, args: Vec<Ty>) -> Option<(u32, Ty)> {
        if let Some(&id) = self.index.get(&(f, args.clone())) {
            return Some((id, self.rets[id as usize]));
        }
        if self.sigs.len() >= MAX_CLONES {
            return None;
        }
        let id = self.sigs.len() as u32;
        self.sigs.push((f, args.clone()));
        self.index.insert((f, args), id);
        self.rets.push(Ty::None);
        Some((id, Ty::None))
    }

    /// The clone a call reaches, if it is one: `callee` is a known function and at least one
    /// argument a proven scalar (the others are `dyn` parameters of the clone). `None` inside
    /// means an argument type is not known yet.
    fn target(&mut self, f: &Function, callee: Value, tys: Vec<Ty>) -> Target {
        let Some(function) = known_function(f, callee) else {
            return Target::Dynamic;
        };
        if !self.clonable(function, tys.len()) {
            return Target::Dynamic;
        }
        if tys.contains(&Ty::None) {
            return Target::Unknown;
        }
        // A clone's parameters are unboxed scalars or `dyn` values.
        let tys: Vec<Ty> = tys
            .into_iter()
            .map(|t| if t.is_scalar() { t } else { Ty::Dyn })
            .collect();
        if !tys.iter().any(|t| t.is_scalar()) {
            return Target::Dynamic;
        }
        match self.request(function, tys) {
            Some((id, ret)) => Target::Clone(id, ret),
            None => Target::Dynamic,
        }
    }
}

pub(super) enum Target {
    Dynamic,
    Unknown,
    Clone(u32, Ty),
}

/// Infers and specialises the functions `compile` names and returns them (in that order) with
/// the clones their calls reach. `bases` holds every function of the program, after `ssa`, and
/// `orders` the reachable blocks of each in reverse postorder (inference visits a body every
/// round and once per clone of it, always in this order).
pub fn specialize(
    program: &Program,
    bases: &[Function],
    orders: &[Vec<Block>],
    compile: &[u32],
    whole_native: bool,
) -> Result<(Vec<Function>, Vec<Clone>), IrError> {
    let mut reg = Registry {
        program,
        facts: Facts::new(program, whole_native && compile.len() == bases.len()),
        bases,
        sigs: Vec::new(),
        index: HashMap::new(),
        rets: Vec::new(),
        generic_rets: HashMap::new(),
    };
    let mut generic: HashMap<u32, Vec<Ty>> = HashMap::new();
    let mut clone_tys: Vec<Vec<Ty>> = Vec::new();
    // With facts, every function's generic body is inferred: its stores may count.
    let inferred: Vec<u32> = if reg.facts.enabled() {
        (0..bases.len() as u32).collect()
    } else {
        compile.to_vec()
    };
    loop {
        let before = (
            reg.sigs.len(),
            reg.rets.clone(),
            reg.facts.clone(),
            reg.generic_rets.clone(),
        );
        for &f in &inferred {
            let body = &bases[f as usize];
            let params = vec![Ty::Dyn; body.params.len()];
            let tys = infer(body, &orders[f as usize], &params, &mut reg);
            if reg.facts.enabled() {
                let r = reg.generic_rets.entry(f).or_insert(Ty::None);
                *r = r.join(returned(body, &tys));
            }
            generic.insert(f, tys);
        }
        clone_tys.clear();
        let mut k = 0;
        while k < reg.sigs.len() {
            let (base, params) = reg.sigs[k].clone();
            let body = &bases[base as usize];
            let tys = infer(body, &orders[base as usize], &params, &mut reg);
            let ret = returned(&bases[base as usize], &tys);
            reg.rets[k] = reg.rets[k].join(ret);
            clone_tys.push(tys);
            k += 1;
        }
        if reg.facts.enabled() {
            gather_facts(&mut reg, &generic, &clone_tys);
        }
        let now = (&reg.rets, &reg.facts, &reg.generic_rets);
        if reg.sigs.len() == before.0 && now == (&before.1, &before.2, &before.3) {
            if reg.facts.enabled() && reg.facts.tighten() {
                continue;
            }
            // A clone that never returns normally still needs a result type.
            if !reg.rets.contains(&Ty::None) {
                break;
            }
            for r in &mut reg.rets {
                if *r == Ty::None {
                    *r = Ty::Dyn;
                }
            }
        }
    }
    let mut functions = Vec::with_capacity(compile.len());
    for &f in compile {
        let mut func = bases[f as usize].clone();
        rewrite(&mut func, &generic[&f], None, &mut reg)?;
        functions.push(func);
    }
    let mut clones = Vec::new();
    for (k, (base, params)) in reg.sigs.clone().into_iter().enumerate() {
        let mut func = bases[base as usize].clone();
        func.name = format!("{}${}", func.name, signature(&params));
        for (i, t) in params.iter().enumerate() {
            func.params[i] = t.ir();
            func.values[i].1 = t.ir();
        }
        func.ret = reg.rets[k].ir();
        rewrite(&mut func, &clone_tys[k], Some(reg.rets[k]), &mut reg)?;
        clones.push(Clone { base, func });
    }
    Ok((functions, clones))
}

/// Adds the stores of every body that can run to the registry's facts (`facts.rs`).
fn gather_facts(reg: &mut Registry, generic: &HashMap<u32, Vec<Ty>>, clone_tys: &[Vec<Ty>]) {
    let bases = reg.bases;
    let dynamic: Vec<Vec<u32>> = (0..bases.len())
        .map(|f| dynamic_calls(&bases[f], &generic[&(f as u32)], reg))
        .collect();
    let clone_calls: Vec<Vec<u32>> = (0..clone_tys.len())
        .map(|k| dynamic_calls(&bases[reg.sigs[k].0 as usize], &clone_tys[k], reg))
        .collect();
    let clones: Vec<(&Function, Vec<u32>)> = clone_calls
        .into_iter()
        .enumerate()
        .map(|(k, calls)| (&bases[reg.sigs[k].0 as usize], calls))
        .collect();
    let reach = facts::generic_reachable(reg.program, bases, &dynamic, &clones);
    let mut bodies: Vec<Body> = reach
        .iter()
        .map(|&f| Body {
            func: &bases[f as usize],
            ty: &generic[&f],
        })
        .collect();
    bodies.extend(
        clones
            .iter()
            .zip(clone_tys)
            .map(|((func, _), ty)| Body { func, ty }),
    );
    let program = reg.program;
    reg.facts.gather(program, &bodies);
}

/// The function `callee` is when it is a `load_fn` (a known module-level function).
fn known_function(f: &Function, callee: Value) -> Option<u32> {
    let ValueDef::Inst(ci) = f.value_def(callee) else {
        return None;
    };
    match f.inst(ci).kind {
        InstKind::LoadFn { function, .. } => Some(function),
        _ => None,
    }
}

/// The known functions `f` (with value types `ty`) calls without a clone.
fn dynamic_calls(f: &Function, ty: &[Ty], reg: &mut Registry) -> Vec<u32> {
    let mut out = Vec::new();
    for b in &f.blocks {
        for &i in &b.insts {
            let InstKind::Call { callee, args } = &f.inst(i).kind else {
                continue;
            };
            let Some(function) = known_function(f, *callee) else {
                continue;
            };
            let tys = args.iter().map(|a| ty[a.index()]).collect();
            match reg.target(f, *callee, tys) {
                Target::Dynamic => out.push(function),
                Target::Unknown if reg.facts.strict() => out.push(function),
                _ => {}
            }
        }
    }
    out
}

fn signature(params: &[Ty]) -> String {
    params
        .iter()
        .map(|t| match t {
            Ty::Int => 'i',
            Ty::Float => 'f',
            Ty::Bool => 'b',
            _ => 'd',
        })
        .collect()
}

/// The join of the types a function's `return`s give.
fn returned(f: &Function, ty: &[Ty]) -> Ty {
    f.blocks
        .iter()
        .filter_map(|b| match b.terminator {
            Some(Terminator::Return(v)) => Some(ty[v.index()]),
            _ => None,
        })
        .fold(Ty::None, Ty::join)
}

/// The types of `f`'s values when its parameters have the types `params`; `order` is `f`'s
/// reachable blocks in reverse postorder, so most operands are typed before their uses.
fn infer(f: &Function, order: &[Block], params: &[Ty], reg: &mut Registry) -> Vec<Ty> {
    let mut ty = vec![Ty::None; f.values.len()];
    ty[..params.len()].copy_from_slice(params);
    loop {
        let mut changed = false;
        for &b in order {
            for &i in &f.block(b).insts {
                let Some(r) = f.inst(i).result else {
                    continue;
                };
                let t = ty[r.index()].join(rule(f, &f.inst(i).kind, &ty, reg));
                if t != ty[r.index()] {
                    ty[r.index()] = t;
                    changed = true;
                }
            }
        }
        if !changed {
            return ty;
        }
    }
}

fn rule(f: &Function, kind: &InstKind, ty: &[Ty], reg: &mut Registry) -> Ty {
    use InstKind::*;
    let t = |v: &Value| ty[v.index()];
    match kind {
        Const(crate::backend::ir::Const::Int(_)) => Ty::Int,
        Const(crate::backend::ir::Const::Float(_)) => Ty::Float,
        Const(crate::backend::ir::Const::Bool(_)) => Ty::Bool,
        Phi(incoming) => incoming.iter().map(|(_, v)| t(v)).fold(Ty::None, Ty::join),
        Binary(op, a, b) => binary(*op, t(a), t(b)),
        Neg(v) => match t(v).proven() {
            Ty::None => Ty::None,
            x if x.is_number() => x,
            _ => Ty::Dyn,
        },
        Not(v) | ToBool(v) => match t(v) {
            Ty::None => Ty::None,
            x if x.is_scalar() => Ty::Bool,
            _ => Ty::Dyn,
        },
        Share(v) => match t(v) {
            x if x == Ty::None || x.is_scalar() || x.is_maybe() => x,
            _ => Ty::Dyn,
        },
        MemberGet { key, .. } => reg.facts.field(reg.program, *key),
        LoadGlobal { module, index } => reg.facts.global(*module, *index),
        Call { callee, .. } if builtin_result(f, *callee).is_some() => {
            builtin_result(f, *callee).expect("checked")
        }
        Call { callee, args } => match reg.target(f, *callee, args.iter().map(t).collect()) {
            Target::Dynamic => reg.generic_result(f, *callee),
            Target::Unknown => Ty::None,
            Target::Clone(_, ret) => ret,
        },
        _ => match kind.result_type() {
            Some(Type::Bool) => Ty::Bool,
            _ => Ty::Dyn,
        },
    }
}

/// The result type of `a op b`. A `MaybeInt`/`MaybeFloat` operand counts as its number type:
/// `null` makes these operators raise (§3.6, §3.7; `+` concatenates only with a string, and
/// the other operand is a number here). Not so `==`, which compares `null` without raising.
fn binary(op: BinOp, a: Ty, b: Ty) -> Ty {
    if a == Ty::None || b == Ty::None {
        return Ty::None;
    }
    let (pa, pb) = (a.proven(), b.proven());
    match op {
        BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem => match (pa, pb) {
            (Ty::Int, Ty::Int) => Ty::Int,
            _ if pa.is_number() && pb.is_number() => Ty::Float,
            _ => Ty::Dyn,
        },
        BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge if pa == pb && pa.is_number() => Ty::Bool,
        BinOp::Eq | BinOp::Ne if a == b && a.is_scalar() => Ty::Bool,
        _ => Ty::Dyn,
    }
}

/// The result type of calling `callee` when it is a builtin whose result, when it does not
/// raise, always has one scalar type (LANGUAGE.md §4).
fn builtin_result(f: &Function, callee: Value) -> Option<Ty> {
    let ValueDef::Inst(ci) = f.value_def(callee) else {
        return None;
    };
    let InstKind::Builtin(id) = f.inst(ci).kind else {
        return None;
    };
    let name = solvra_rt::builtins::table::BUILTINS.get(id as usize)?.name;
    match name {
        "len" | "now_ms" => Some(Ty::Int),
        "sqrt" | "pow" | "sin" | "cos" | "tan" | "log" | "time" | "div" | "division" => {
            Some(Ty::Float)
        }
        "float" => Some(Ty::Float),
        "int" => Some(Ty::Int),
        _ => None,
    }
}

/// Rewrites `f` with its inferred types `ty`; `ret` is a clone's result type.
fn rewrite(
    f: &mut Function,
    ty: &[Ty],
    ret: Option<Ty>,
    reg: &mut Registry,
) -> Result<(), IrError> {
    let scalar = |v: Value| {
        let t = ty[v.index()];
        if t.is_scalar() {
            t
        } else {
            Ty::Dyn
        }
    };
    // Conversions that do nothing on a proven operand disappear.
    let mut alias: HashMap<Value, Value> = HashMap::new();
    for inst in &f.insts {
        let (Some(r), kind) = (inst.result, &inst.kind) else {
            continue;
        };
        match *kind {
            InstKind::Share(v) if scalar(v).is_scalar() => {
                alias.insert(r, v);
            }
            InstKind::ToBool(v) | InstKind::Truthy(v) if scalar(v) == Ty::Bool => {
                alias.insert(r, v);
            }
            _ => {}
        }
    }
    for (v, (def, t)) in f.values.iter_mut().enumerate() {
        if let ValueDef::Inst(_) = def {
            if *t == Type::Dyn {
                *t = scalar(Value(v as u32)).ir();
            }
        }
    }
    let mut r = Rewriter {
        f,
        alias,
        is_clone: ret.is_some(),
    };
    let mut phi_boxes: Vec<(Block, Value)> = Vec::new();
    for b in 0..r.f.blocks.len() {
        let b = Block(b as u32);
        let old = std::mem::take(&mut r.f.blocks[b.index()].insts);
        let mut new = Vec::with_capacity(old.len());
        for i in old {
            if r.f.inst(i).result.is_some_and(|v| r.alias.contains_key(&v)) {
                continue;
            }
            r.inst(b, i, &mut new, &mut phi_boxes, reg)?;
            new.push(i);
        }
        let mut term = r.f.blocks[b.index()].terminator.take();
        if let Some(t) = &mut term {
            for v in t.args_mut() {
                *v = resolve(&r.alias, *v);
            }
            match t {
                Terminator::Return(v) => {
                    let want = ret.map_or(Type::Dyn, Ty::ir);
                    *v = r.coerce(b, *v, want, &mut new)?;
                }
                Terminator::Throw(v) => *v = r.coerce(b, *v, Type::Dyn, &mut new)?,
                _ => {}
            }
        }
        r.f.blocks[b.index()].insts = new;
        r.f.blocks[b.index()].terminator = term;
    }
    // A scalar flowing into a `dyn` phi is boxed at the end of its predecessor.
    let mut boxed: HashMap<(Block, Value), Value> = HashMap::new();
    for (pred, v) in phi_boxes {
        if boxed.contains_key(&(pred, v)) {
            continue;
        }
        let t = r.f.value_type(v);
        let mut tail = Vec::new();
        let bx = r.emit(pred, InstKind::Box(t, v), &mut tail);
        r.f.blocks[pred.index()].insts.extend(tail);
        boxed.insert((pred, v), bx);
    }
    for data in 0..r.f.blocks.len() {
        for k in 0..r.f.blocks[data].insts.len() {
            let i = r.f.blocks[data].insts[k];
            if let InstKind::Phi(incoming) = &mut r.f.insts[i.index()].kind {
                for (pred, v) in incoming.iter_mut() {
                    if let Some(&bx) = boxed.get(&(*pred, *v)) {
                        *v = bx;
                    }
                }
            }
        }
    }
    Ok(())
}

struct Rewriter<'f> {
    f: &'f mut Function,
    alias: HashMap<Value, Value>,
    is_clone: bool,
}

impl Rewriter<'_> {
    /// Adds a new instruction to `out` (the block's new list); returns its result.
    fn emit(&mut self, b: Block, kind: InstKind, out: &mut Vec<Inst>) -> Value {
        let inst = Inst(self.f.insts.len() as u32);
        let t = kind.result_type().expect("conversions have results");
        self.f.values.push((ValueDef::Inst(inst), t));
        let v = Value(self.f.values.len() as u32 - 1);
        self.f.insts.push(InstData {
            kind,
            result: Some(v),
            block: b,
            line: 0,
        });
        out.push(inst);
        v
    }

    /// Whether `kind`, whose result inference typed as a scalar, computes it as a `dyn` value
    /// to unbox (rather than as a typed operation or a clone's call).
    fn unboxes(&self, kind: &InstKind) -> bool {
        match kind {
            InstKind::LoadGlobal { .. } => true,
            InstKind::Call { callee, .. } => builtin_result(self.f, *callee).is_some(),
            _ => kind
                .args()
                .iter()
                .any(|&v| self.f.value_type(v) == Type::Dyn),
        }
    }

    /// `v` as a value of type `want`: itself, an int converted to a float, or a boxed scalar.
    fn coerce(
        &mut self,
        b: Block,
        v: Value,
        want: Type,
        out: &mut Vec<Inst>,
    ) -> Result<Value, IrError> {
        let have = self.f.value_type(v);
        match (have, want) {
            _ if have == want => Ok(v),
            (Type::Int, Type::Float) => Ok(self.emit(b, InstKind::IntToFloat(v), out)),
            (_, Type::Dyn) => Ok(self.emit(b, InstKind::Box(have, v), out)),
            _ => Err(IrError(format!(
                "function {:?}: internal error: {v} is {have} where {want} is needed",
                self.f.name
            ))),
        }
    }

    fn inst(
        &mut self,
        b: Block,
        i: Inst,
        out: &mut Vec<Inst>,
        phi_boxes: &mut Vec<(Block, Value)>,
        reg: &mut Registry,
    ) -> Result<(), IrError> {
        let mut kind = self.f.inst(i).kind.clone();
        kind.for_each_arg_mut(|v| *v = resolve(&self.alias, *v));
        let result = self.f.inst(i).result;
        let rt = result.map(|r| self.f.value_type(r));
        let line = self.f.inst(i).line;
        let first = out.len();
        let ty_of = |f: &Function, v: Value| f.value_type(v);
        kind = match kind {
            InstKind::Phi(incoming) => {
                if rt == Some(Type::Dyn) {
                    for (pred, v) in &incoming {
                        if ty_of(self.f, *v) != Type::Dyn {
                            phi_boxes.push((*pred, *v));
                        }
                    }
                }
                InstKind::Phi(incoming)
            }
            InstKind::Const(c) if rt != Some(Type::Dyn) => InstKind::Scalar(c),
            // A typed result of `dyn` operands (a `MaybeInt`/`MaybeFloat` field, a global, a
            // builtin's result): the operation as before, then its checked payload.
            kind @ (InstKind::Binary(..)
            | InstKind::Neg(_)
            | InstKind::LoadGlobal { .. }
            | InstKind::Call { .. })
                if rt.is_some_and(|t| t != Type::Dyn) && self.unboxes(&kind) =>
            {
                let t = rt.expect("typed result");
                let dynamic = self.boxed(b, kind, out)?;
                let v = self.emit(b, dynamic, out);
                InstKind::Unbox(t, v)
            }
            InstKind::Binary(op, a, bb) if rt != Some(Type::Dyn) => {
                let want = if op.is_comparison() {
                    ty_of(self.f, a)
                } else {
                    rt.expect("binary result")
                };
                let a = self.coerce(b, a, want, out)?;
                let bb = self.coerce(b, bb, want, out)?;
                InstKind::Typed {
                    op,
                    ty: want,
                    a,
                    b: bb,
                }
            }
            InstKind::Neg(v) if rt != Some(Type::Dyn) => {
                InstKind::TypedNeg(rt.expect("neg result"), v)
            }
            InstKind::Not(v) if rt == Some(Type::Bool) => match ty_of(self.f, v) {
                Type::Bool => InstKind::BoolNot(v),
                t => {
                    let truth = self.emit(b, InstKind::TypedTruthy(t, v), out);
                    InstKind::BoolNot(truth)
                }
            },
            InstKind::ToBool(v) | InstKind::Truthy(v)
                if matches!(ty_of(self.f, v), Type::Int | Type::Float) =>
            {
                InstKind::TypedTruthy(ty_of(self.f, v), v)
            }
            InstKind::ArgGiven(_) if self.is_clone => InstKind::Scalar(Const::Bool(true)),
            InstKind::Call { callee, args } => {
                let tys = args.iter().map(|a| Ty::of(ty_of(self.f, *a))).collect();
                match reg.target(self.f, callee, tys) {
                    Target::Clone(clone, ret) => InstKind::CallDirect {
                        clone,
                        params: args.iter().map(|a| ty_of(self.f, *a)).collect(),
                        args,
                        ret: ret.ir(),
                    },
                    // A generic body with a proven result (`Registry::generic_result`).
                    _ if rt.is_some_and(|t| t != Type::Dyn) => {
                        let call = self.boxed(b, InstKind::Call { callee, args }, out)?;
                        let v = self.emit(b, call, out);
                        InstKind::Unbox(rt.expect("typed result"), v)
                    }
                    _ => self.boxed(b, InstKind::Call { callee, args }, out)?,
                }
            }
            other => self.boxed(b, other, out)?,
        };
        for &k in &out[first..] {
            self.f.insts[k.index()].line = line;
        }
        self.f.insts[i.index()].kind = kind;
        Ok(())
    }

    /// `kind` with each scalar operand boxed where it expects a `dyn` value.
    fn boxed(
        &mut self,
        b: Block,
        mut kind: InstKind,
        out: &mut Vec<Inst>,
    ) -> Result<InstKind, IrError> {
        let wants = kind.arg_types();
        let args: Vec<Value> = kind.args();
        let mut fixed = Vec::with_capacity(args.len());
        for (v, want) in args.into_iter().zip(wants) {
            fixed.push(self.coerce(b, v, want, out)?);
        }
        for (slot, v) in kind.args_mut().into_iter().zip(fixed) {
            *slot = v;
        }
        Ok(kind)
    }
}
