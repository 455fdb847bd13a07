//! Local slots to SSA values ("mem2reg"): phis at the iterated dominance frontier of each
//! slot's stores, then renaming along the dominator tree (Cytron et al.). Phis nobody reads
//! are removed again, and so are phis whose inputs are all one value.
//!
//! Functions with a `try` handler keep their slots: an error may leave a block between two
//! stores, so the handler would need a phi input per instruction, not per block.

use crate::backend::ir::{dominators, Block, Builder, Const, Function, InstKind, Value, ValueDef};
use std::collections::{HashMap, HashSet};

pub fn promote_slots(f: &mut Function) {
    if f.slots == 0 || f.blocks.iter().any(|b| b.handler.is_some()) {
        return;
    }
    let preds = f.predecessors();
    // A phi in the entry block would need an input for the function's start.
    if !preds[0].is_empty() {
        return;
    }
    let doms = dominators(f, &preds);
    let nblocks = f.blocks.len();
    let mut children = vec![Vec::new(); nblocks];
    for &b in &doms.rpo {
        if let Some(p) = doms.idom(b) {
            children[p.index()].push(b);
        }
    }
    let frontier = dominance_frontiers(f, &preds, &doms);

    // Where phis go: for each slot, the iterated frontier of the blocks that store it.
    let slots = f.slots as usize;
    let mut stores: Vec<Vec<Block>> = vec![Vec::new(); slots];
    for &b in &doms.rpo {
        for &i in &f.block(b).insts {
            if let InstKind::SetLocal(s, _) = f.inst(i).kind {
                stores[s as usize].push(b);
            }
        }
    }
    // The phis this pass placed: only they may be simplified or removed afterwards.
    let mut placed_phis: HashSet<Value> = HashSet::new();
    let mut phis_in: Vec<Vec<(u32, Value)>> = vec![Vec::new(); nblocks];
    {
        let mut builder = Builder::new(f);
        for (s, blocks) in stores.iter().enumerate() {
            let mut work: Vec<Block> = blocks.clone();
            let mut placed: HashSet<Block> = HashSet::new();
            while let Some(b) = work.pop() {
                for &d in &frontier[b.index()] {
                    if placed.insert(d) {
                        let v = builder.phi(d);
                        placed_phis.insert(v);
                        phis_in[d.index()].push((s as u32, v));
                        work.push(d);
                    }
                }
            }
        }
    }

    // A slot that was never stored reads as `null` (slots start out null).
    let null = {
        let mut builder = Builder::new(f);
        builder.switch_to(Block(0));
        builder.value(InstKind::Const(Const::Null))
    };
    // `Builder::value` appended it; reads at the top of the entry block need it first.
    let entry = &mut f.blocks[0].insts;
    let last = entry.pop().expect("just added");
    entry.insert(0, last);

    let mut replace: HashMap<Value, Value> = HashMap::new();
    let mut removed: HashSet<usize> = HashSet::new();
    let mut stacks: Vec<Vec<Value>> = vec![vec![null]; slots];
    // Depth-first over the dominator tree; `Exit` pops what the block pushed.
    enum Step {
        Enter(Block),
        Exit(Vec<u32>),
    }
    let mut work = vec![Step::Enter(Block(0))];
    while let Some(step) = work.pop() {
        let b = match step {
            Step::Enter(b) => b,
            Step::Exit(pushed) => {
                for s in pushed {
                    stacks[s as usize].pop();
                }
                continue;
            }
        };
        let mut pushed = Vec::new();
        for &(s, v) in &phis_in[b.index()] {
            stacks[s as usize].push(v);
            pushed.push(s);
        }
        for &i in &f.block(b).insts {
            match f.inst(i).kind {
                InstKind::GetLocal(s) => {
                    let top = *stacks[s as usize].last().expect("never empty");
                    replace.insert(f.inst(i).result.expect("get_local result"), top);
                    removed.insert(i.index());
                }
                InstKind::SetLocal(s, v) => {
                    let v = resolve(&replace, v);
                    stacks[s as usize].push(v);
                    pushed.push(s);
                    removed.insert(i.index());
                }
                _ => {}
            }
        }
        for succ in f.successors(b) {
            for &(s, phi) in &phis_in[succ.index()] {
                let top = *stacks[s as usize].last().expect("never empty");
                add_incoming(f, phi, b, top);
            }
        }
        work.push(Step::Exit(pushed));
        for &c in children[b.index()].iter().rev() {
            work.push(Step::Enter(c));
        }
    }

    for data in &mut f.blocks {
        data.insts.retain(|i| !removed.contains(&i.index()));
    }
    simplify_phis(f, &placed_phis, &mut replace);
    apply(f, &replace);
    remove_dead_phis(f, &placed_phis);
    f.slots = 0;
}

fn add_incoming(f: &mut Function, phi: Value, from: Block, v: Value) {
    if let ValueDef::Inst(i) = f.value_def(phi) {
        if let InstKind::Phi(incoming) = &mut f.insts[i.index()].kind {
            incoming.push((from, v));
        }
    }
}

pub(super) fn resolve(replace: &HashMap<Value, Value>, mut v: Value) -> Value {
    while let Some(&w) = replace.get(&v) {
        v = w;
    }
    v
}

/// Rewrites every operand through `replace`.
pub(super) fn apply(f: &mut Function, replace: &HashMap<Value, Value>) {
    if replace.is_empty() {
        return;
    }
    for b in 0..f.blocks.len() {
        for k in 0..f.blocks[b].insts.len() {
            let i = f.blocks[b].insts[k];
            f.insts[i.index()]
                .kind
                .for_each_arg_mut(|v| *v = resolve(replace, *v));
        }
        if let Some(t) = &mut f.blocks[b].terminator {
            for v in t.args_mut() {
                *v = resolve(replace, *v);
            }
        }
    }
}

/// Phis whose inputs are one value (or the phi itself) become that value, until none is left.
fn simplify_phis(f: &mut Function, phis: &HashSet<Value>, replace: &mut HashMap<Value, Value>) {
    let mut order: Vec<Value> = phis.iter().copied().collect();
    order.sort();
    let mut changed = true;
    while changed {
        changed = false;
        for &phi in &order {
            if replace.contains_key(&phi) {
                continue;
            }
            let ValueDef::Inst(i) = f.value_def(phi) else {
                continue;
            };
            let InstKind::Phi(incoming) = &f.inst(i).kind else {
                continue;
            };
            let mut only = None;
            let mut trivial = true;
            for &(_, v) in incoming {
                let v = resolve(replace, v);
                if v == phi || Some(v) == only {
                    continue;
                }
                if only.is_some() {
                    trivial = false;
                    break;
                }
                only = Some(v);
            }
            if let (true, Some(v)) = (trivial, only) {
                replace.insert(phi, v);
                let b = f.inst(i).block;
                f.blocks[b.index()].insts.retain(|&x| x != i);
                changed = true;
            }
        }
    }
}

/// Removes the phis this pass placed that no instruction or terminator reads (directly or
/// through other live phis): a variable declared inside a loop gets a phi at the loop header
/// that merges the `null` it held before the loop with its last value, and nothing reads it.
fn remove_dead_phis(f: &mut Function, phis: &HashSet<Value>) {
    let mut live: HashSet<Value> = HashSet::new();
    let mut work = Vec::new();
    for data in &f.blocks {
        for &i in &data.insts {
            if matches!(f.inst(i).kind, InstKind::Phi(_))
                && f.inst(i).result.is_some_and(|r| phis.contains(&r))
            {
                continue;
            }
            f.inst(i).kind.for_each_arg(|v| work.push(v));
        }
        if let Some(t) = &data.terminator {
            work.extend(t.args());
        }
    }
    while let Some(v) = work.pop() {
        if !phis.contains(&v) || !live.insert(v) {
            continue;
        }
        if let ValueDef::Inst(i) = f.value_def(v) {
            f.inst(i).kind.for_each_arg(|v| work.push(v));
        }
    }
    for b in 0..f.blocks.len() {
        let insts = std::mem::take(&mut f.blocks[b].insts);
        f.blocks[b].insts = insts
            .into_iter()
            .filter(|&i| match f.inst(i).result {
                Some(r) if phis.contains(&r) => live.contains(&r),
                _ => true,
            })
            .collect();
    }
}

/// The dominance frontier of every block (Cooper, Harvey and Kennedy's formulation).
fn dominance_frontiers(
    f: &Function,
    preds: &[Vec<Block>],
    doms: &crate::backend::ir::Dominators,
) -> Vec<Vec<Block>> {
    let mut df: Vec<Vec<Block>> = vec![Vec::new(); f.blocks.len()];
    for &b in &doms.rpo {
        let reachable_preds: Vec<Block> = preds[b.index()]
            .iter()
            .copied()
            .filter(|&p| doms.reachable(p))
            .collect();
        if reachable_preds.len() < 2 {
            continue;
        }
        let idom = doms.idom(b);
        for p in reachable_preds {
            let mut runner = Some(p);
            while let Some(r) = runner {
                if Some(r) == idom {
                    break;
                }
                if !df[r.index()].contains(&b) {
                    df[r.index()].push(b);
                }
                runner = doms.idom(r);
            }
        }
    }
    df
}
