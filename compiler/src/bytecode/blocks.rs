//! The basic blocks of a bytecode function: where each starts and how many instructions it
//! has. The native backend lowers each to an IR block, and the cost meter charges a block's
//! instructions when it is entered, in the interpreter as in compiled code, so every tier runs
//! out of fuel at the same block (docs/DEBUGGING.md).

use super::{FunctionCode, Op};
use std::collections::BTreeSet;

/// Where `pc`'s jump with `offset` goes.
pub fn target(pc: usize, offset: i32) -> usize {
    (pc as i64 + 1 + offset as i64) as usize
}

/// The pcs that start a block, sorted: the entry, jump targets and the instructions after
/// jumps and `return`/`throw`, handler targets, and both ends of every handler range (a block
/// has one handler).
pub fn starts(code: &FunctionCode) -> Vec<usize> {
    let mut starts = BTreeSet::new();
    starts.insert(0);
    for h in &code.handlers {
        starts.insert(h.start as usize);
        starts.insert(h.end as usize);
        starts.insert(h.target as usize);
    }
    for (pc, op) in code.code.iter().enumerate() {
        match *op {
            Op::Jump { offset }
            | Op::JumpIfFalse { offset }
            | Op::JumpIfTrue { offset }
            | Op::JumpIfArgGiven { offset, .. }
            | Op::IterNext { offset, .. } => {
                starts.insert(target(pc, offset));
                starts.insert(pc + 1);
            }
            Op::Return | Op::Throw | Op::NoMatch => {
                starts.insert(pc + 1);
            }
            _ => {}
        }
    }
    starts
        .into_iter()
        .filter(|&s| s < code.code.len())
        .collect()
}

/// For every pc, the number of instructions of the block starting there, or 0 where no block
/// starts: what entering the block costs.
pub fn costs(code: &FunctionCode) -> Vec<u32> {
    let starts = starts(code);
    let mut costs = vec![0; code.code.len()];
    for (i, &s) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(code.code.len());
        costs[s] = (end - s) as u32;
    }
    costs
}
