//! Building IR: create blocks, append instructions to the current block, terminate it.

use super::{
    Block, BlockData, Function, Inst, InstData, InstKind, Terminator, Type, Value, ValueDef,
};

pub struct Builder<'f> {
    pub func: &'f mut Function,
    current: Block,
    line: u32,
}

impl<'f> Builder<'f> {
    pub fn new(func: &'f mut Function) -> Builder<'f> {
        if func.blocks.is_empty() {
            func.blocks.push(BlockData::default());
        }
        Builder {
            func,
            current: Block(0),
            line: 0,
        }
    }

    pub fn create_block(&mut self) -> Block {
        self.func.blocks.push(BlockData::default());
        Block(self.func.blocks.len() as u32 - 1)
    }

    pub fn switch_to(&mut self, b: Block) {
        self.current = b;
    }

    pub fn current(&self) -> Block {
        self.current
    }

    /// Source line recorded on the instructions built from now on.
    pub fn set_line(&mut self, line: u32) {
        self.line = line;
    }

    pub fn set_handler(&mut self, b: Block, handler: Option<Block>) {
        self.func.blocks[b.index()].handler = handler;
    }

    pub fn set_origin(&mut self, b: Block, pc: u32) {
        self.func.blocks[b.index()].origin = Some(pc);
    }

    /// Appends an instruction to the current block; returns its result, if it has one.
    pub fn ins(&mut self, kind: InstKind) -> Option<Value> {
        let inst = Inst(self.func.insts.len() as u32);
        let result = kind
            .result_type()
            .map(|t| self.new_value(ValueDef::Inst(inst), t));
        self.func.insts.push(InstData {
            kind,
            result,
            block: self.current,
            line: self.line,
        });
        self.func.blocks[self.current.index()].insts.push(inst);
        result
    }

    /// Appends an instruction that has a result.
    pub fn value(&mut self, kind: InstKind) -> Value {
        self.ins(kind).expect("instruction with a result")
    }

    /// Adds a phi at the start of block `b` (before its other instructions).
    pub fn phi(&mut self, b: Block) -> Value {
        let inst = Inst(self.func.insts.len() as u32);
        let v = self.new_value(ValueDef::Inst(inst), Type::Dyn);
        self.func.insts.push(InstData {
            kind: InstKind::Phi(Vec::new()),
            result: Some(v),
            block: b,
            line: self.line,
        });
        let insts = &mut self.func.blocks[b.index()].insts;
        let at = insts
            .iter()
            .take_while(|&&i| matches!(self.func.insts[i.index()].kind, InstKind::Phi(_)))
            .count();
        insts.insert(at, inst);
        v
    }

    /// Adds an incoming edge to the phi defining `phi`.
    pub fn add_incoming(&mut self, phi: Value, from: Block, v: Value) {
        if let ValueDef::Inst(i) = self.func.value_def(phi) {
            if let InstKind::Phi(incoming) = &mut self.func.insts[i.index()].kind {
                incoming.push((from, v));
            }
        }
    }

    pub fn terminate(&mut self, t: Terminator) {
        self.func.blocks[self.current.index()].terminator = Some(t);
    }

    pub fn is_terminated(&self) -> bool {
        self.func.blocks[self.current.index()].terminator.is_some()
    }

    fn new_value(&mut self, def: ValueDef, t: Type) -> Value {
        self.func.values.push((def, t));
        Value(self.func.values.len() as u32 - 1)
    }
}
