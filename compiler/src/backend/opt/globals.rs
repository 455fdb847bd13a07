//! What the whole program says about module globals.
//!
//! * A global set by a `fn` declaration holds that function for as long as any code can read
//!   it: declarations are hoisted (§3.3.1), so the module's top level stores the closure before
//!   it runs anything else, and the binding is immutable (§3.3.2). Its reads become `load_fn`,
//!   which needs no initialisation check and tells the type passes which function a call
//!   reaches.
//! * A global that only its module's top level touches, that no other module imports, and whose
//!   every read and write is dominated by its declaration's store, is a local variable in all but
//!   name: it becomes a slot of the top-level function (and then an SSA value).
//!
//! Neither holds where code outside the program can reach the globals: a REPL session rebinds
//! names between inputs, so `optimize` runs this only for whole programs.

use crate::backend::ir::{dominators, Block, Function, Inst, InstKind};
use crate::bytecode::Program;
use std::collections::{HashMap, HashSet};

type Global = (u32, u32);

#[derive(Default)]
struct Access {
    loads: Vec<(u32, Inst)>,
    stores: Vec<(u32, Inst)>,
    inits: Vec<(u32, Inst)>,
}

pub fn rewrite(program: &Program, functions: &mut [Function]) {
    let mut access: HashMap<Global, Access> = HashMap::new();
    // Exports other modules read (every top-level binding of a module without `export` is
    // exported, but an entry module is rarely imported).
    let mut imported: HashSet<Global> = HashSet::new();
    for (fi, f) in functions.iter().enumerate() {
        for data in &f.blocks {
            for &i in &data.insts {
                match f.inst(i).kind {
                    InstKind::ModuleNamespace(m) => imported.extend(
                        program.modules[m as usize]
                            .exports
                            .iter()
                            .map(|&(_, slot)| (m, slot)),
                    ),
                    InstKind::ModuleExport { module, export } => {
                        let slot = program.modules[module as usize].exports[export as usize].1;
                        imported.insert((module, slot));
                    }
                    _ => {}
                }
                let (g, list) = match f.inst(i).kind {
                    InstKind::LoadGlobal { module, index } => ((module, index), 0),
                    InstKind::StoreGlobal { module, index, .. } => ((module, index), 1),
                    InstKind::InitGlobal { module, index, .. } => ((module, index), 2),
                    _ => continue,
                };
                let a = access.entry(g).or_default();
                let at = (fi as u32, i);
                match list {
                    0 => a.loads.push(at),
                    1 => a.stores.push(at),
                    _ => a.inits.push(at),
                }
            }
        }
    }
    let mut known: HashMap<Global, u32> = HashMap::new();
    let mut promote: HashMap<u32, Vec<Global>> = HashMap::new();
    let mut sorted: Vec<(&Global, &Access)> = access.iter().collect();
    sorted.sort_by_key(|(g, _)| **g);
    for (&g, a) in sorted {
        let init_fn = program.modules[g.0 as usize].init;
        if let Some(function) = declared_function(program, functions, g, a) {
            known.insert(g, function);
        } else if !imported.contains(&g) && is_local(program, functions, g, a, init_fn) {
            promote.entry(init_fn).or_default().push(g);
        }
    }
    for f in functions.iter_mut() {
        for inst in &mut f.insts {
            if let InstKind::LoadGlobal { module, index } = inst.kind {
                if let Some(&function) = known.get(&(module, index)) {
                    inst.kind = InstKind::LoadFn {
                        module,
                        index,
                        function,
                    };
                }
            }
        }
    }
    for (init_fn, globals) in promote {
        let f = &mut functions[init_fn as usize];
        let first = f.slots;
        f.slots += globals.len() as u32;
        let slot = |g: Global| first + globals.iter().position(|&x| x == g).expect("listed") as u32;
        for inst in &mut f.insts {
            let new = match inst.kind {
                InstKind::LoadGlobal { module, index } if globals.contains(&(module, index)) => {
                    InstKind::GetLocal(slot((module, index)))
                }
                InstKind::StoreGlobal {
                    module,
                    index,
                    value,
                }
                | InstKind::InitGlobal {
                    module,
                    index,
                    value,
                } if globals.contains(&(module, index)) => {
                    InstKind::SetLocal(slot((module, index)), value)
                }
                _ => continue,
            };
            inst.kind = new;
        }
    }
}

/// The function a `fn` declaration's global holds: one store, in the first block of the module's
/// top level, of a closure without captured cells, after nothing that could run other code.
fn declared_function(
    program: &Program,
    functions: &[Function],
    g: Global,
    a: &Access,
) -> Option<u32> {
    let init_fn = program.modules[g.0 as usize].init;
    if !a.stores.is_empty() || a.inits.len() != 1 || a.inits[0].0 != init_fn {
        return None;
    }
    let f = &functions[init_fn as usize];
    let init = a.inits[0].1;
    if f.inst(init).block != Block(0) {
        return None;
    }
    let InstKind::InitGlobal { value, .. } = f.inst(init).kind else {
        return None;
    };
    let mut function = None;
    for &i in &f.block(Block(0)).insts {
        if i == init {
            break;
        }
        match &f.inst(i).kind {
            InstKind::Closure {
                function: fnn,
                captures,
            } => {
                if f.inst(i).result == Some(value) && captures.is_empty() {
                    function = Some(*fnn);
                }
            }
            InstKind::InitGlobal { .. }
            | InstKind::Import(_)
            | InstKind::Builtin(_)
            | InstKind::Const(_)
            | InstKind::NewCell(_)
            | InstKind::NewUninitCell
            | InstKind::InitCell { .. }
            | InstKind::GetLocal(_)
            | InstKind::SetLocal(..) => {}
            _ => return None,
        }
    }
    function.filter(|&fnn| program.functions[fnn as usize].captures.is_empty())
}

fn is_local(
    program: &Program,
    functions: &[Function],
    g: Global,
    a: &Access,
    init_fn: u32,
) -> bool {
    let module = &program.modules[g.0 as usize];
    let only_top_level = a
        .loads
        .iter()
        .chain(&a.stores)
        .chain(&a.inits)
        .all(|&(fi, _)| fi == init_fn);
    if !only_top_level || a.inits.is_empty() || module.main.is_some_and(|(slot, _)| slot == g.1) {
        return false;
    }
    let f = &functions[init_fn as usize];
    let doms = dominators(f, &f.predecessors());
    let position = |i: Inst| {
        let b = f.inst(i).block;
        let k = f.block(b).insts.iter().position(|&x| x == i);
        (b, k.unwrap_or(usize::MAX))
    };
    let inits: Vec<(Block, usize)> = a.inits.iter().map(|&(_, i)| position(i)).collect();
    let declared_before = |i: Inst| {
        let (b, k) = position(i);
        !doms.reachable(b)
            || inits.iter().any(|&(ib, ik)| {
                if ib == b {
                    ik < k
                } else {
                    doms.dominates(ib, b)
                }
            })
    };
    let seen: HashSet<Inst> = a.loads.iter().chain(&a.stores).map(|&(_, i)| i).collect();
    seen.into_iter().all(declared_before)
}
