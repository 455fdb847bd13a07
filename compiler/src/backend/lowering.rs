//! Lowering verified bytecode to Solvra IR.
//!
//! Blocks start at jump targets, after jumps and terminators, at handler targets and at the
//! boundaries of handler ranges (so each block is entirely inside or outside a `try`). The
//! operand stack is simulated per block: a value left on the stack at a block's end flows into
//! a phi at the start of each successor, one phi per stack slot. Local slots stay memory
//! (`GetLocal`/`SetLocal`); promoting them to SSA values is a pass's job, and keeping them in
//! slots is what lets a `try` handler see the locals as they were when the error happened.
//! Handler blocks begin with `CatchMessage`, the message the bytecode handler would find on
//! its stack. Source lines come from the bytecode line table.

use super::ir::{BinOp, Block, Builder, Const, Function, InstKind, Terminator, Type, Value};
use crate::bytecode::{blocks, FunctionCode, Op, Program};
use std::collections::BTreeSet;

/// Why a function could not be lowered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowerError(pub String);

/// Lowers bytecode function `index` of `program`.
pub fn lower_function(program: &Program, index: u32) -> Result<Function, LowerError> {
    let code = &program.functions[index as usize];
    let name = code.name.clone().unwrap_or_else(|| format!("fn{index}"));
    if code.handlers.iter().any(|h| h.depth != 0) {
        return Err(LowerError(format!(
            "{name}: handlers with a non-empty stack are not supported"
        )));
    }
    let mut func = Function::new(
        name,
        vec![Type::Dyn; code.params as usize],
        code.locals as u32,
    );
    Lowerer::new(code, &mut func, program).run()?;
    Ok(func)
}

struct Lowerer<'a, 'f> {
    program: &'a Program,
    code: &'a FunctionCode,
    b: Builder<'f>,
    /// Bytecode pc where each block starts, sorted.
    starts: Vec<usize>,
    blocks: Vec<Block>,
    /// Stack depth at each block start.
    depths: Vec<Option<usize>>,
    /// Phis for the stack slots of each block.
    phis: Vec<Vec<Value>>,
    handler_targets: BTreeSet<usize>,
}

impl<'a, 'f> Lowerer<'a, 'f> {
    fn new(
        code: &'a FunctionCode,
        func: &'f mut Function,
        program: &'a Program,
    ) -> Lowerer<'a, 'f> {
        Lowerer {
            program,
            code,
            b: Builder::new(func),
            starts: Vec::new(),
            blocks: Vec::new(),
            depths: Vec::new(),
            phis: Vec::new(),
            handler_targets: code.handlers.iter().map(|h| h.target as usize).collect(),
        }
    }

    fn target(pc: usize, offset: i32) -> usize {
        blocks::target(pc, offset)
    }

    fn block_at(&self, pc: usize) -> Result<usize, LowerError> {
        self.starts
            .binary_search(&pc)
            .map_err(|_| LowerError(format!("pc {pc} is not a block start")))
    }

    /// The innermost handler covering `pc`.
    fn handler_for(&self, pc: usize) -> Option<usize> {
        self.code
            .handlers
            .iter()
            .find(|h| h.start as usize <= pc && pc < h.end as usize)
            .map(|h| h.target as usize)
    }

    fn run(mut self) -> Result<(), LowerError> {
        self.starts = blocks::starts(self.code);
        let n = self.starts.len();
        self.blocks.push(Block(0));
        for _ in 1..n {
            let blk = self.b.create_block();
            self.blocks.push(blk);
        }
        self.depths = vec![None; n];
        self.phis = vec![Vec::new(); n];
        self.depths[0] = Some(0);
        for &t in &self.handler_targets.clone() {
            let i = self.block_at(t)?;
            self.depths[i] = Some(1);
        }
        // Entry: parameters into their slots.
        for p in 0..self.code.params as u32 {
            self.b.ins(InstKind::SetLocal(p, Value(p)));
        }
        for i in 0..n {
            let start = self.starts[i];
            let handler = match self.handler_for(start) {
                Some(t) => Some(self.blocks[self.block_at(t)?]),
                None => None,
            };
            self.b.set_handler(self.blocks[i], handler);
            self.b.set_origin(self.blocks[i], start as u32);
            let Some(depth) = self.depths[i] else {
                // Unreachable in the bytecode: give it a harmless body.
                self.b.switch_to(self.blocks[i]);
                let v = self.b.value(InstKind::Const(Const::Null));
                self.b.terminate(Terminator::Return(v));
                continue;
            };
            self.b.switch_to(self.blocks[i]);
            let mut stack: Vec<Value> = Vec::with_capacity(depth);
            if self.handler_targets.contains(&start) {
                stack.push(self.b.value(InstKind::CatchMessage));
            } else {
                if self.phis[i].is_empty() {
                    for _ in 0..depth {
                        let blk = self.blocks[i];
                        let phi = self.b.phi(blk);
                        self.phis[i].push(phi);
                    }
                }
                stack.extend(self.phis[i].iter().copied());
            }
            let end = self
                .starts
                .get(i + 1)
                .copied()
                .unwrap_or(self.code.code.len());
            self.lower_block(start, end, stack)?;
        }
        Ok(())
    }

    /// Records that control reaches block `to` from the current block with `stack`.
    fn edge(&mut self, to_pc: usize, stack: &[Value]) -> Result<Block, LowerError> {
        let i = self.block_at(to_pc)?;
        match self.depths[i] {
            None => self.depths[i] = Some(stack.len()),
            Some(d) if d != stack.len() => {
                return Err(LowerError(format!(
                    "inconsistent stack depth at pc {to_pc}"
                )));
            }
            Some(_) => {}
        }
        let blk = self.blocks[i];
        if self.phis[i].len() < stack.len() {
            for _ in self.phis[i].len()..stack.len() {
                let phi = self.b.phi(blk);
                self.phis[i].push(phi);
            }
        }
        let from = self.b.current();
        for (k, v) in stack.iter().enumerate() {
            let phi = self.phis[i][k];
            self.b.add_incoming(phi, from, *v);
        }
        Ok(blk)
    }

    fn lower_block(
        &mut self,
        start: usize,
        end: usize,
        mut stack: Vec<Value>,
    ) -> Result<(), LowerError> {
        let code = self.code;
        for pc in start..end {
            self.b.set_line(code.line_at(pc));
            let op = code.code[pc];
            let pop = |s: &mut Vec<Value>| {
                s.pop()
                    .ok_or_else(|| LowerError(format!("stack underflow at pc {pc}")))
            };
            macro_rules! push {
                ($kind:expr) => {{
                    let v = self.b.value($kind);
                    stack.push(v);
                }};
            }
            match op {
                Op::Pop => {
                    pop(&mut stack)?;
                }
                Op::Dup => {
                    let v = *stack
                        .last()
                        .ok_or_else(|| LowerError("dup of empty stack".into()))?;
                    stack.push(v);
                }
                Op::Swap => {
                    let n = stack.len();
                    if n < 2 {
                        return Err(LowerError("swap of a short stack".into()));
                    }
                    stack.swap(n - 1, n - 2);
                }
                Op::Null => push!(InstKind::Const(Const::Null)),
                Op::True => push!(InstKind::Const(Const::Bool(true))),
                Op::False => push!(InstKind::Const(Const::Bool(false))),
                Op::Int { value } => push!(InstKind::Const(Const::Int(value as i64))),
                Op::Const { index } => {
                    let c = match &self.program.constants[index as usize] {
                        crate::bytecode::Constant::Int(i) => Const::Int(*i),
                        crate::bytecode::Constant::Float(f) => Const::Float(*f),
                        crate::bytecode::Constant::Str(_) => Const::Str(index),
                    };
                    push!(InstKind::Const(c))
                }
                Op::LoadLocal { slot } => push!(InstKind::GetLocal(slot as u32)),
                Op::StoreLocal { slot } => {
                    let v = pop(&mut stack)?;
                    self.b.ins(InstKind::SetLocal(slot as u32, v));
                }
                Op::LoadCell { slot, name } => {
                    let cell = self.b.value(InstKind::GetLocal(slot as u32));
                    push!(InstKind::LoadCell { cell, name })
                }
                Op::StoreCell { slot, name } => {
                    let value = pop(&mut stack)?;
                    let cell = self.b.value(InstKind::GetLocal(slot as u32));
                    self.b.ins(InstKind::StoreCell { cell, name, value });
                }
                Op::InitCell { slot } => {
                    let value = pop(&mut stack)?;
                    let cell = self.b.value(InstKind::GetLocal(slot as u32));
                    self.b.ins(InstKind::InitCell { cell, value });
                }
                Op::NewCell { slot } => {
                    let cell = self.b.value(InstKind::NewUninitCell);
                    self.b.ins(InstKind::SetLocal(slot as u32, cell));
                }
                Op::BoxLocal { slot } => {
                    let v = self.b.value(InstKind::GetLocal(slot as u32));
                    let cell = self.b.value(InstKind::NewCell(v));
                    self.b.ins(InstKind::SetLocal(slot as u32, cell));
                }
                Op::LoadUpval { index, name } => {
                    let cell = self.b.value(InstKind::Upval(index as u32));
                    push!(InstKind::LoadCell { cell, name })
                }
                Op::StoreUpval { index, name } => {
                    let value = pop(&mut stack)?;
                    let cell = self.b.value(InstKind::Upval(index as u32));
                    self.b.ins(InstKind::StoreCell { cell, name, value });
                }
                Op::LoadGlobal { index } => push!(InstKind::LoadGlobal {
                    module: code.module,
                    index
                }),
                Op::StoreGlobal { index } => {
                    let value = pop(&mut stack)?;
                    self.b.ins(InstKind::StoreGlobal {
                        module: code.module,
                        index,
                        value,
                    });
                }
                Op::InitGlobal { index } => {
                    let value = pop(&mut stack)?;
                    self.b.ins(InstKind::InitGlobal {
                        module: code.module,
                        index,
                        value,
                    });
                }
                Op::LoadBuiltin { id } => push!(InstKind::Builtin(id)),
                Op::CheckNotArray { name } => {
                    let value = pop(&mut stack)?;
                    push!(InstKind::CheckNotArray { value, name })
                }
                Op::Share => {
                    let v = pop(&mut stack)?;
                    push!(InstKind::Share(v))
                }
                Op::Add
                | Op::Sub
                | Op::Mul
                | Op::Div
                | Op::Rem
                | Op::Eq
                | Op::Ne
                | Op::Lt
                | Op::Le
                | Op::Gt
                | Op::Ge => {
                    let b = pop(&mut stack)?;
                    let a = pop(&mut stack)?;
                    let bin = match op {
                        Op::Add => BinOp::Add,
                        Op::Sub => BinOp::Sub,
                        Op::Mul => BinOp::Mul,
                        Op::Div => BinOp::Div,
                        Op::Rem => BinOp::Rem,
                        Op::Eq => BinOp::Eq,
                        Op::Ne => BinOp::Ne,
                        Op::Lt => BinOp::Lt,
                        Op::Le => BinOp::Le,
                        Op::Gt => BinOp::Gt,
                        _ => BinOp::Ge,
                    };
                    push!(InstKind::Binary(bin, a, b))
                }
                Op::Neg => {
                    let v = pop(&mut stack)?;
                    push!(InstKind::Neg(v))
                }
                Op::Not => {
                    let v = pop(&mut stack)?;
                    push!(InstKind::Not(v))
                }
                Op::ToBool => {
                    let v = pop(&mut stack)?;
                    push!(InstKind::ToBool(v))
                }
                Op::Jump { offset } => {
                    let to = self.edge(Self::target(pc, offset), &stack)?;
                    self.b.terminate(Terminator::Jump(to));
                    return Ok(());
                }
                Op::JumpIfFalse { offset } | Op::JumpIfTrue { offset } => {
                    let v = pop(&mut stack)?;
                    let cond = self.b.value(InstKind::Truthy(v));
                    let jump = self.edge(Self::target(pc, offset), &stack)?;
                    let fall = self.edge(pc + 1, &stack)?;
                    let (then, otherwise) = if matches!(op, Op::JumpIfTrue { .. }) {
                        (jump, fall)
                    } else {
                        (fall, jump)
                    };
                    self.b.terminate(Terminator::Branch {
                        cond,
                        then,
                        otherwise,
                    });
                    return Ok(());
                }
                Op::JumpIfArgGiven { param, offset } => {
                    let cond = self.b.value(InstKind::ArgGiven(param as u32));
                    let then = self.edge(Self::target(pc, offset), &stack)?;
                    let otherwise = self.edge(pc + 1, &stack)?;
                    self.b.terminate(Terminator::Branch {
                        cond,
                        then,
                        otherwise,
                    });
                    return Ok(());
                }
                Op::NewArray { count } => {
                    let at = stack
                        .len()
                        .checked_sub(count as usize)
                        .ok_or_else(|| LowerError("stack underflow".into()))?;
                    let items = stack.split_off(at);
                    push!(InstKind::NewArray(items))
                }
                Op::NewObject => push!(InstKind::NewObject),
                Op::InitField { key } => {
                    let value = pop(&mut stack)?;
                    let object = pop(&mut stack)?;
                    self.b.ins(InstKind::InitField { object, key, value });
                    stack.push(object);
                }
                Op::MemberSet { key } => {
                    let value = pop(&mut stack)?;
                    let object = pop(&mut stack)?;
                    push!(InstKind::MemberSet { object, key, value })
                }
                Op::MemberGet { key } => {
                    let object = pop(&mut stack)?;
                    push!(InstKind::MemberGet { object, key })
                }
                Op::Append => {
                    let value = pop(&mut stack)?;
                    let array = pop(&mut stack)?;
                    push!(InstKind::Append { array, value })
                }
                Op::IndexGet => {
                    let index = pop(&mut stack)?;
                    let container = pop(&mut stack)?;
                    push!(InstKind::IndexGet { container, index })
                }
                Op::IndexSet => {
                    let value = pop(&mut stack)?;
                    let index = pop(&mut stack)?;
                    let container = pop(&mut stack)?;
                    push!(InstKind::IndexSet {
                        container,
                        index,
                        value
                    })
                }
                Op::Slice => {
                    let step = pop(&mut stack)?;
                    let end = pop(&mut stack)?;
                    let start = pop(&mut stack)?;
                    let target = pop(&mut stack)?;
                    push!(InstKind::Slice {
                        target,
                        start,
                        end,
                        step
                    })
                }
                Op::Call { argc } | Op::AsyncCall { argc } => {
                    let args = stack.split_off(
                        stack
                            .len()
                            .checked_sub(argc as usize)
                            .ok_or_else(|| LowerError("stack underflow".into()))?,
                    );
                    let callee = pop(&mut stack)?;
                    if matches!(op, Op::Call { .. }) {
                        push!(InstKind::Call { callee, args })
                    } else {
                        push!(InstKind::AsyncCall { callee, args })
                    }
                }
                Op::GetMethod { key } => {
                    let receiver = pop(&mut stack)?;
                    let f = self.b.value(InstKind::GetMethod { receiver, key });
                    stack.push(f);
                    stack.push(receiver);
                }
                Op::CallMethod { argc } | Op::AsyncMethod { argc } => {
                    let at = stack
                        .len()
                        .checked_sub(argc as usize)
                        .ok_or_else(|| LowerError("stack underflow".into()))?;
                    let args = stack.split_off(at);
                    let receiver = pop(&mut stack)?;
                    let callee = pop(&mut stack)?;
                    if matches!(op, Op::CallMethod { .. }) {
                        push!(InstKind::CallMethod {
                            callee,
                            receiver,
                            args
                        })
                    } else {
                        push!(InstKind::AsyncMethod {
                            callee,
                            receiver,
                            args
                        })
                    }
                }
                Op::Await => {
                    let v = pop(&mut stack)?;
                    push!(InstKind::Await(v))
                }
                Op::AwaitIfTask => {
                    let v = pop(&mut stack)?;
                    push!(InstKind::AwaitIfTask(v))
                }
                Op::Closure { function } => {
                    let proto = &self.program.functions[function as usize].captures;
                    let mut captures = Vec::new();
                    for c in proto {
                        captures.push(match *c {
                            crate::bytecode::Capture::Local(slot) => {
                                self.b.value(InstKind::GetLocal(slot as u32))
                            }
                            crate::bytecode::Capture::Upval(i) => {
                                self.b.value(InstKind::Upval(i as u32))
                            }
                        });
                    }
                    push!(InstKind::Closure { function, captures })
                }
                Op::Return => {
                    let v = pop(&mut stack)?;
                    self.b.terminate(Terminator::Return(v));
                    return Ok(());
                }
                Op::IterPrep { slot } => {
                    let v = pop(&mut stack)?;
                    let items = self.b.value(InstKind::IterPrep(v));
                    self.b.ins(InstKind::SetLocal(slot as u32, items));
                    let zero = self.b.value(InstKind::Const(Const::Int(0)));
                    self.b.ins(InstKind::SetLocal(slot as u32 + 1, zero));
                }
                Op::IterNext { slot, offset } => {
                    let items = self.b.value(InstKind::GetLocal(slot as u32));
                    let index = self.b.value(InstKind::GetLocal(slot as u32 + 1));
                    let cond = self.b.value(InstKind::IterHasNext { items, index });
                    let done = self.edge(Self::target(pc, offset), &stack)?;
                    let body = self.b.create_block();
                    let handler = self
                        .handler_for(pc)
                        .map(|t| self.block_at(t).map(|i| self.blocks[i]))
                        .transpose()?;
                    self.b.set_handler(body, handler);
                    self.b.terminate(Terminator::Branch {
                        cond,
                        then: body,
                        otherwise: done,
                    });
                    self.b.switch_to(body);
                    let item = self.b.value(InstKind::IterGet { items, index });
                    let one = self.b.value(InstKind::Const(Const::Int(1)));
                    let next = self.b.value(InstKind::Binary(BinOp::Add, index, one));
                    self.b.ins(InstKind::SetLocal(slot as u32 + 1, next));
                    stack.push(item);
                    let to = self.edge(pc + 1, &stack)?;
                    self.b.terminate(Terminator::Jump(to));
                    return Ok(());
                }
                Op::Throw => {
                    let v = pop(&mut stack)?;
                    self.b.terminate(Terminator::Throw(v));
                    return Ok(());
                }
                Op::NoMatch => {
                    self.b.terminate(Terminator::NoMatch);
                    return Ok(());
                }
                Op::IsArrayLen { len } => {
                    let value = pop(&mut stack)?;
                    push!(InstKind::IsArrayLen { value, len })
                }
                Op::IsObject => {
                    let v = pop(&mut stack)?;
                    push!(InstKind::IsObject(v))
                }
                Op::HasField { key } => {
                    let value = pop(&mut stack)?;
                    push!(InstKind::HasField { value, key })
                }
                Op::ImportModule { module } => push!(InstKind::Import(module)),
                Op::ModuleNamespace { module } => push!(InstKind::ModuleNamespace(module)),
                Op::ModuleExport { module, export } => {
                    push!(InstKind::ModuleExport { module, export })
                }
                Op::CallMain => push!(InstKind::CallMain),
            }
        }
        // Fell through into the next block.
        let to = self.edge(end, &stack)?;
        self.b.terminate(Terminator::Jump(to));
        Ok(())
    }
}
