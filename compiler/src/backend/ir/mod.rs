//! Solvra IR: functions of basic blocks in SSA form (docs/IR_SPEC.md).
//!
//! Entities are typed indexes (`Value`, `Block`, `Inst`) into per-function tables, printed as
//! `v3`, `block2`, so listings use function-local numbering and snapshots do not churn. A
//! block is a list of instructions: its phis first, then ordinary instructions, then exactly
//! one terminator. Values are defined by instructions or are the function's parameters.

mod builder;
mod dom;
mod inst;
mod print;
mod verify;

pub use builder::Builder;
pub use dom::{dominators, Dominators};
pub use inst::{BinOp, Const, InstKind, Terminator, Type};
pub use print::print_function;
pub use verify::{verify_function, IrError};

use std::fmt;

macro_rules! entity {
    ($name:ident, $prefix:literal) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub u32);

        impl $name {
            pub fn index(self) -> usize {
                self.0 as usize
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, concat!($prefix, "{}"), self.0)
            }
        }
    };
}

entity!(Value, "v");
entity!(Block, "block");
entity!(Inst, "inst");

/// What defines a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueDef {
    Param(u32),
    Inst(Inst),
}

#[derive(Clone, Debug, PartialEq)]
pub struct InstData {
    pub kind: InstKind,
    pub result: Option<Value>,
    pub block: Block,
    /// Source line of the bytecode the instruction came from (0 when unknown).
    pub line: u32,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct BlockData {
    pub insts: Vec<Inst>,
    pub terminator: Option<Terminator>,
    /// Where errors raised in this block go (a `try` handler), if anywhere in this function.
    pub handler: Option<Block>,
    /// The bytecode pc of the bytecode block this block was lowered from, if it starts one
    /// (blocks that lowering adds inside a bytecode block have none): the cost meter charges
    /// that block's instructions on entry.
    pub origin: Option<u32>,
}

/// One IR function.
#[derive(Clone, Debug, PartialEq)]
pub struct Function {
    pub name: String,
    pub params: Vec<Type>,
    /// The type of the returned value: `dyn`, except in specialisations (`backend/opt`).
    pub ret: Type,
    /// Local variable slots (bytecode locals that are not parameters live here).
    pub slots: u32,
    pub blocks: Vec<BlockData>,
    pub insts: Vec<InstData>,
    pub values: Vec<(ValueDef, Type)>,
}

impl Function {
    pub fn new(name: impl Into<String>, params: Vec<Type>, slots: u32) -> Function {
        let values = params
            .iter()
            .enumerate()
            .map(|(i, t)| (ValueDef::Param(i as u32), *t))
            .collect();
        Function {
            name: name.into(),
            params,
            ret: Type::Dyn,
            slots,
            blocks: Vec::new(),
            insts: Vec::new(),
            values,
        }
    }

    pub fn entry(&self) -> Block {
        Block(0)
    }

    pub fn block(&self, b: Block) -> &BlockData {
        &self.blocks[b.index()]
    }

    pub fn inst(&self, i: Inst) -> &InstData {
        &self.insts[i.index()]
    }

    pub fn value_type(&self, v: Value) -> Type {
        self.values[v.index()].1
    }

    pub fn value_def(&self, v: Value) -> ValueDef {
        self.values[v.index()].0
    }

    /// Successors of a block: its terminator's targets, then its handler.
    pub fn successors(&self, b: Block) -> Vec<Block> {
        let data = self.block(b);
        let mut out = match &data.terminator {
            Some(t) => t.targets(),
            None => Vec::new(),
        };
        if let Some(h) = data.handler {
            out.push(h);
        }
        out
    }

    /// Predecessors of every block, in block order.
    pub fn predecessors(&self) -> Vec<Vec<Block>> {
        let mut preds = vec![Vec::new(); self.blocks.len()];
        for b in 0..self.blocks.len() {
            for s in self.successors(Block(b as u32)) {
                if !preds[s.index()].contains(&Block(b as u32)) {
                    preds[s.index()].push(Block(b as u32));
                }
            }
        }
        preds
    }
}
