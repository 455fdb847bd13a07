//! Dominators of a function's blocks, for the verifier and the passes that place values.

use super::{Block, Function};

/// Immediate dominators by the iterative algorithm of Cooper, Harvey and Kennedy ("A Simple,
/// Fast Dominance Algorithm", 2001).
pub struct Dominators {
    /// `None` for unreachable blocks; the entry is its own.
    idom: Vec<Option<Block>>,
    /// Reachable blocks in reverse postorder (the entry first).
    pub rpo: Vec<Block>,
}

impl Dominators {
    pub fn reachable(&self, b: Block) -> bool {
        self.idom[b.index()].is_some()
    }

    pub fn idom(&self, b: Block) -> Option<Block> {
        self.idom[b.index()].filter(|&p| p != b)
    }

    /// Whether `a` dominates `b` (every block dominates itself).
    pub fn dominates(&self, a: Block, mut b: Block) -> bool {
        loop {
            if a == b {
                return true;
            }
            match self.idom[b.index()] {
                Some(p) if p != b => b = p,
                _ => return false,
            }
        }
    }
}

/// The dominators of `f`'s blocks; `preds` is `f.predecessors()`.
pub fn dominators(f: &Function, preds: &[Vec<Block>]) -> Dominators {
    let n = f.blocks.len();
    // Reverse postorder.
    let mut order = Vec::new();
    let mut visited = vec![false; n];
    let mut stack = vec![(Block(0), 0usize)];
    visited[0] = true;
    while let Some((b, i)) = stack.pop() {
        let succs = f.successors(b);
        if i < succs.len() {
            stack.push((b, i + 1));
            let s = succs[i];
            if !visited[s.index()] {
                visited[s.index()] = true;
                stack.push((s, 0));
            }
        } else {
            order.push(b);
        }
    }
    order.reverse();
    let mut rpo_index = vec![usize::MAX; n];
    for (k, b) in order.iter().enumerate() {
        rpo_index[b.index()] = k;
    }
    let mut idom: Vec<Option<Block>> = vec![None; n];
    idom[0] = Some(Block(0));
    let intersect = |idom: &[Option<Block>], mut a: Block, mut b: Block| -> Block {
        while a != b {
            while rpo_index[a.index()] > rpo_index[b.index()] {
                a = idom[a.index()].expect("processed");
            }
            while rpo_index[b.index()] > rpo_index[a.index()] {
                b = idom[b.index()].expect("processed");
            }
        }
        a
    };
    let mut changed = true;
    while changed {
        changed = false;
        for &b in order.iter().skip(1) {
            let mut new: Option<Block> = None;
            for &p in &preds[b.index()] {
                if idom[p.index()].is_some() {
                    new = Some(match new {
                        None => p,
                        Some(cur) => intersect(&idom, p, cur),
                    });
                }
            }
            if new.is_some() && idom[b.index()] != new {
                idom[b.index()] = new;
                changed = true;
            }
        }
    }
    Dominators { idom, rpo: order }
}
