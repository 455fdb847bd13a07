//! The IR verifier. Checklist:
//! 1. every block has exactly one terminator, and its targets and handler exist;
//! 2. phis come first in their block and have one incoming value per predecessor, no more;
//! 3. every operand is defined (a parameter or an instruction result) and has the type the
//!    instruction expects; branch conditions are `bool`, returned values have the function's
//!    result type and thrown values are `dyn`; a phi's incoming values have the phi's type;
//! 4. every use is dominated by its definition (for phis: the definition dominates the end of
//!    the incoming block), and a handler block uses no value defined in a block it handles
//!    (an error may leave that block before the definition);
//! 5. `SetLocal`/`GetLocal` slots are below the function's slot count.
//!
//! It runs after lowering and after every pass in debug builds and tests.

use super::{dominators, Block, Function, InstKind, Terminator, Type, Value, ValueDef};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IrError(pub String);

impl fmt::Display for IrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

pub fn verify_function(f: &Function) -> Result<(), IrError> {
    let err = |m: String| Err(IrError(format!("function {:?}: {m}", f.name)));
    let nblocks = f.blocks.len();
    if nblocks == 0 {
        return err("no blocks".into());
    }
    for (b, data) in f.blocks.iter().enumerate() {
        let Some(term) = &data.terminator else {
            return err(format!("block{b} has no terminator"));
        };
        for t in term.targets().into_iter().chain(data.handler) {
            if t.index() >= nblocks {
                return err(format!("block{b} jumps to missing {t}"));
            }
        }
    }
    let preds = f.predecessors();
    let doms = dominators(f, &preds);
    let dominates = |a: Block, b: Block| doms.dominates(a, b);
    // Position of each instruction in its block, for same-block dominance.
    let mut pos = vec![usize::MAX; f.insts.len()];
    for data in &f.blocks {
        for (k, i) in data.insts.iter().enumerate() {
            pos[i.index()] = k;
        }
    }
    let def_block = |v: Value| -> Option<(Block, usize)> {
        match f.values.get(v.index()).map(|d| d.0) {
            Some(ValueDef::Param(_)) => Some((Block(0), 0)),
            Some(ValueDef::Inst(i)) => Some((f.inst(i).block, pos[i.index()])),
            None => None,
        }
    };
    let reachable = |b: Block| doms.reachable(b);
    for (bi, data) in f.blocks.iter().enumerate() {
        let b = Block(bi as u32);
        if !reachable(b) {
            continue;
        }
        let mut seen_non_phi = false;
        for (k, &i) in data.insts.iter().enumerate() {
            let inst = f.inst(i);
            if inst.block != b {
                return err(format!(
                    "{i} is listed in block{bi} but belongs to {}",
                    inst.block
                ));
            }
            match &inst.kind {
                InstKind::Phi(incoming) => {
                    if seen_non_phi {
                        return err(format!("phi {i} after other instructions in block{bi}"));
                    }
                    let reachable_preds: Vec<Block> = preds[bi]
                        .iter()
                        .copied()
                        .filter(|p| reachable(*p))
                        .collect();
                    if incoming.len() != reachable_preds.len()
                        || reachable_preds
                            .iter()
                            .any(|p| !incoming.iter().any(|(q, _)| q == p))
                    {
                        return err(format!(
                            "phi {i} in block{bi} has {} incoming values for {} predecessors",
                            incoming.len(),
                            reachable_preds.len()
                        ));
                    }
                    let phi_type = inst.result.map(|r| f.value_type(r));
                    for (from, v) in incoming {
                        let Some((db, _)) = def_block(*v) else {
                            return err(format!("phi {i} uses undefined {v}"));
                        };
                        if phi_type != Some(f.value_type(*v)) {
                            return err(format!(
                                "phi {i}: {v} has type {}, the phi {}",
                                f.value_type(*v),
                                phi_type.map_or("none".into(), |t| t.to_string())
                            ));
                        }
                        if !dominates(db, *from) {
                            return err(format!(
                                "phi {i}: {v} does not dominate the end of {from}"
                            ));
                        }
                    }
                    continue;
                }
                InstKind::GetLocal(s) | InstKind::SetLocal(s, _) if *s >= f.slots => {
                    return err(format!("{i} uses slot {s} of {}", f.slots));
                }
                _ => seen_non_phi = true,
            }
            for (v, want) in inst.kind.args().into_iter().zip(inst.kind.arg_types()) {
                check_use(f, v, want, b, k, &def_block, &dominates).map_err(|m| {
                    IrError(format!("function {:?}: {i} in block{bi}: {m}", f.name))
                })?;
            }
        }
        let term = data.terminator.as_ref().expect("checked above");
        let end = data.insts.len();
        let wants = match term {
            Terminator::Branch { .. } => Type::Bool,
            Terminator::Return(_) => f.ret,
            _ => Type::Dyn,
        };
        for v in term.args() {
            check_use(f, v, wants, b, end, &def_block, &dominates).map_err(|m| {
                IrError(format!(
                    "function {:?}: terminator of block{bi}: {m}",
                    f.name
                ))
            })?;
        }
    }
    Ok(())
}

fn check_use(
    f: &Function,
    v: Value,
    want: Type,
    b: Block,
    at: usize,
    def_block: &dyn Fn(Value) -> Option<(Block, usize)>,
    dominates: &dyn Fn(Block, Block) -> bool,
) -> Result<(), String> {
    let Some((db, dpos)) = def_block(v) else {
        return Err(format!("uses undefined {v}"));
    };
    if db != b && f.block(db).handler == Some(b) {
        return Err(format!(
            "{v} is defined in {db}, which this handler block handles"
        ));
    }
    let ok = if db == b {
        matches!(f.value_def(v), ValueDef::Param(_)) || dpos < at
    } else {
        dominates(db, b)
    };
    if !ok {
        return Err(format!("use of {v} is not dominated by its definition"));
    }
    let have = f.value_type(v);
    if have != want {
        return Err(format!("{v} has type {have}, expected {want}"));
    }
    Ok(())
}
