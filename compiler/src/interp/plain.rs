//! The ordinary path: one bytecode instruction executed the way the bytecode says, with int
//! fast paths for operators and element reads and the runtime library for everything else.
//!
//! The run loop (`exec.rs`) comes here for every instruction its pre-decoded view does not
//! fuse and for every fused sequence whose fast path does not apply. This path stores the
//! frame's pc before it executes anything, so an error finds the handler covering the
//! instruction that raised it, and it charges the cost meter when there is a budget.

use super::quick::{fast_index_get, truthy};
use super::{Interp, UNINIT};
use crate::bytecode::Op;
use solvra_rt::function;
use solvra_rt::ops::{self, CmpOp};
use solvra_rt::{array, builtins, object, scheduler, string, RtError, Tag, Value};

/// Where the run loop goes after an instruction of the ordinary path.
pub(super) enum Flow {
    /// On in the same frame, at this pc.
    Next(usize),
    /// The frame stack changed (a call or a return): reload the current frame.
    Frames,
    /// A stop frame returned this value.
    Return(Value),
}

impl Interp {
    /// The ordinary path: executes the bytecode instruction at `pc` of frame `fi` (after the
    /// frame's pc is stored and the meter charged), calling the runtime for everything but the
    /// int fast paths. Kept out of `run_frames` so the fused fast paths keep their state in
    /// registers.
    #[inline(never)]
    pub(super) fn plain(&mut self, fi: usize, mut pc: usize) -> Result<Flow, RtError> {
        let frame = self.frames[fi];
        let func = &self.prog.functions[frame.func as usize];
        let (module, op) = (func.module as usize, func.code[pc]);
        let base = frame.base;
        self.frames[fi].pc = pc;
        if let Some(costs) = &self.fuel {
            let cost = costs[frame.func as usize][pc];
            if cost != 0 {
                solvra_rt::cost_meter::charge(cost)?;
            }
        }
        pc += 1;
        match op {
            Op::Pop => {
                self.stack.pop();
            }
            Op::Dup => self.stack.push(self.top()),
            Op::Swap => {
                let n = self.stack.len();
                self.stack.swap(n - 1, n - 2);
            }
            Op::Null => self.stack.push(Value::NULL),
            Op::True => self.stack.push(Value::TRUE),
            Op::False => self.stack.push(Value::FALSE),
            Op::Int { value } => self.stack.push(Value::int(value as i64)),
            Op::Const { index } => self.stack.push(self.consts[index as usize]),
            Op::LoadLocal { slot } => self.stack.push(self.stack[base + slot as usize]),
            Op::StoreLocal { slot } => {
                let v = self.pop();
                self.stack[base + slot as usize] = v;
            }
            Op::LoadCell { slot, name } => {
                let v = function::cell_get(cell(self.stack[base + slot as usize])?);
                self.check_init(v, name)?;
                self.stack.push(v);
            }
            Op::StoreCell { slot, name } => {
                let c = cell(self.stack[base + slot as usize])?;
                self.check_init(function::cell_get(c), name)?;
                let v = self.pop();
                function::cell_set(c, v);
            }
            Op::InitCell { slot } => {
                let v = self.pop();
                function::cell_set(cell(self.stack[base + slot as usize])?, v);
            }
            Op::NewCell { slot } => {
                let cell = function::new_cell(UNINIT)?;
                self.stack[base + slot as usize] = cell;
            }
            Op::BoxLocal { slot } => {
                let cell = function::new_cell(self.stack[base + slot as usize])?;
                self.stack[base + slot as usize] = cell;
            }
            Op::LoadUpval { index, name } => {
                let v = function::cell_get(upval(frame.closure, index)?);
                self.check_init(v, name)?;
                self.stack.push(v);
            }
            Op::StoreUpval { index, name } => {
                let c = upval(frame.closure, index)?;
                self.check_init(function::cell_get(c), name)?;
                let v = self.pop();
                function::cell_set(c, v);
            }
            Op::LoadGlobal { index } => {
                let v = self.globals[module][index as usize];
                if v == UNINIT {
                    return Err(self.uninit_global(module, index));
                }
                self.stack.push(v);
            }
            Op::StoreGlobal { index } => {
                if self.globals[module][index as usize] == UNINIT {
                    return Err(self.uninit_global(module, index));
                }
                let v = self.pop();
                self.globals[module][index as usize] = v;
            }
            Op::InitGlobal { index } => {
                let v = self.pop();
                self.globals[module][index as usize] = v;
            }
            Op::LoadBuiltin { id } => {
                let v = builtins::value_of(builtins::table::BuiltinId(id))?;
                self.builtins[id as usize] = v;
                self.stack.push(v);
            }
            Op::Share => array::share(self.top()),
            Op::CheckNotArray { name } => {
                if self.top().tag == Tag::Array {
                    let name = self.name_const(name);
                    return Err(RtError::new(format!(
                        "cannot assign to immutable binding '{name}'"
                    )));
                }
            }
            Op::Add | Op::Sub | Op::Mul | Op::Div | Op::Rem => {
                let b = self.pop();
                let a = self.pop();
                let r = match op {
                    Op::Add => {
                        fast_int(a, b, i64::wrapping_add).map_or_else(|| ops::add(a, b), Ok)?
                    }
                    Op::Sub => {
                        fast_int(a, b, i64::wrapping_sub).map_or_else(|| ops::sub(a, b), Ok)?
                    }
                    Op::Mul => {
                        fast_int(a, b, i64::wrapping_mul).map_or_else(|| ops::mul(a, b), Ok)?
                    }
                    Op::Div => match int_pair(a, b) {
                        Some((x, y)) if y != 0 => Value::int(x.wrapping_div(y)),
                        _ => ops::div(a, b)?,
                    },
                    _ => match int_pair(a, b) {
                        Some((x, y)) if y != 0 => Value::int(x.wrapping_rem(y)),
                        _ => ops::rem(a, b)?,
                    },
                };
                self.stack.push(r);
            }
            Op::Eq | Op::Ne => {
                let b = self.pop();
                let a = self.pop();
                let eq = ops::equals(a, b);
                self.stack.push(Value::bool(eq == matches!(op, Op::Eq)));
            }
            Op::Lt | Op::Le | Op::Gt | Op::Ge => {
                let b = self.pop();
                let a = self.pop();
                let r = if a.tag == Tag::Int && b.tag == Tag::Int {
                    let (x, y) = (a.as_int(), b.as_int());
                    match op {
                        Op::Lt => x < y,
                        Op::Le => x <= y,
                        Op::Gt => x > y,
                        _ => x >= y,
                    }
                } else {
                    let cmp = match op {
                        Op::Lt => CmpOp::Lt,
                        Op::Le => CmpOp::Le,
                        Op::Gt => CmpOp::Gt,
                        _ => CmpOp::Ge,
                    };
                    ops::compare(cmp, a, b)?
                };
                self.stack.push(Value::bool(r));
            }
            Op::Neg => {
                let a = self.pop();
                self.stack.push(ops::neg(a)?);
            }
            Op::Not => {
                let a = self.pop();
                self.stack.push(ops::not(a));
            }
            Op::ToBool => {
                let a = self.pop();
                self.stack.push(Value::bool(ops::truthy(a)));
            }
            Op::Jump { offset } => {
                if offset < 0 && self.tier.is_some() {
                    self.heat(frame.func); // a loop's back edge
                }
                pc = jump(pc, offset)
            }
            Op::JumpIfFalse { offset } => {
                if !truthy(self.pop()) {
                    pc = jump(pc, offset);
                }
            }
            Op::JumpIfTrue { offset } => {
                if truthy(self.pop()) {
                    pc = jump(pc, offset);
                }
            }
            Op::JumpIfArgGiven { param, offset } => {
                if frame.argc > param {
                    pc = jump(pc, offset);
                }
            }
            Op::NewArray { count } => {
                let at = self.stack.len() - count as usize;
                let items = self.stack[at..].to_vec();
                let arr = array::from_values(items)?;
                self.stack.truncate(at);
                self.stack.push(arr);
            }
            Op::NewObject => {
                let o = object::new_empty()?;
                self.stack.push(o);
            }
            Op::InitField { key } => {
                let v = self.pop();
                let o = self.top();
                if o.tag == Tag::Object {
                    let name = string::as_str(self.consts[key as usize]);
                    let cache = &mut self.transitions[frame.func as usize][pc - 1];
                    object::obj(o).add_cached(name, v, cache);
                } else {
                    ops::member_set(o, self.name_const(key), v)?;
                }
            }
            Op::MemberSet { key } => {
                let v = self.pop();
                let o = self.top();
                if o.tag == Tag::Object {
                    let name = string::as_str(self.consts[key as usize]);
                    object::obj(o).set_cached(
                        name,
                        v,
                        &mut self.caches[frame.func as usize][pc - 1],
                    );
                } else {
                    ops::member_set(o, self.name_const(key), v)?;
                }
            }
            Op::MemberGet { key } => {
                let o = self.pop();
                let v = if o.tag == Tag::Object {
                    let name = string::as_str(self.consts[key as usize]);
                    object::obj(o).get_cached(name, &mut self.caches[frame.func as usize][pc - 1])
                } else {
                    ops::member_get(o, self.name_const(key))?
                };
                self.stack.push(v);
            }
            Op::Append => {
                let v = self.pop();
                let a = self.pop();
                self.stack.push(builtins::push_owned(a, v)?);
            }
            Op::IndexGet => {
                let i = self.pop();
                let c = self.pop();
                let v = match fast_index_get(c, i) {
                    Some(v) => v,
                    None => ops::index_get(c, i)?,
                };
                self.stack.push(v);
            }
            Op::IndexSet => {
                let v = self.pop();
                let i = self.pop();
                let c = self.pop();
                array::share(v);
                let r = ops::index_set(c, i, v)?;
                self.stack.push(r);
            }
            Op::Slice => {
                let step = self.pop();
                let end = self.pop();
                let start = self.pop();
                let t = self.pop();
                self.stack.push(ops::slice(t, start, end, step)?);
            }
            Op::Call { argc } => {
                if self.call(argc, false)? {
                    self.frames[fi].pc = pc;
                    return Ok(Flow::Frames);
                }
            }
            Op::GetMethod { key } => self.get_method(key)?,
            Op::CallMethod { argc } => {
                let argc = self.method_args(argc);
                if self.call(argc, false)? {
                    self.frames[fi].pc = pc;
                    return Ok(Flow::Frames);
                }
            }
            Op::AsyncCall { argc } => {
                let task = self.spawn_call(argc)?;
                self.stack.push(task);
            }
            Op::AsyncMethod { argc } => {
                let argc = self.method_args(argc);
                let task = self.spawn_call(argc)?;
                self.stack.push(task);
            }
            Op::Await | Op::AwaitIfTask => {
                let t = self.top();
                if op == Op::AwaitIfTask && t.tag != Tag::Task {
                    return Ok(Flow::Next(pc));
                }
                let v = scheduler::await_task(t)?;
                *self.stack.last_mut().expect("verified stack depth") = v;
            }
            Op::Closure { function } => {
                let prog = self.prog.clone();
                let proto = &prog.functions[function as usize];
                let mut cells = Vec::with_capacity(proto.captures.len());
                for c in &proto.captures {
                    cells.push(match *c {
                        crate::bytecode::Capture::Local(slot) => {
                            cell(self.stack[base + slot as usize])?
                        }
                        crate::bytecode::Capture::Upval(i) => upval(frame.closure, i)?,
                    });
                }
                let f = function::new_user(self.fn_ids[function as usize], &cells)?;
                self.stack.push(f);
            }
            Op::Return => {
                let v = self.pop();
                if self.ret(v) {
                    return Ok(Flow::Return(self.pop()));
                }
                return Ok(Flow::Frames);
            }
            Op::IterPrep { slot } => {
                let v = self.pop();
                let items = ops::iter_source(v)?;
                self.stack[base + slot as usize] = items;
                self.stack[base + slot as usize + 1] = Value::int(0);
            }
            Op::IterNext { slot, offset } => {
                let items = self.stack[base + slot as usize];
                let index = self.stack[base + slot as usize + 1];
                if items.tag != Tag::Array || index.tag != Tag::Int || index.as_int() < 0 {
                    return Err(malformed("IterNext without IterPrep state"));
                }
                let i = index.as_int();
                let arr = array::obj(items);
                if (i as usize) < arr.len() {
                    let item = arr.get(i as usize);
                    array::share(item);
                    self.stack[base + slot as usize + 1] = Value::int(i + 1);
                    self.stack.push(item);
                } else {
                    pc = jump(pc, offset);
                }
            }
            Op::Throw => {
                let v = self.pop();
                return Err(RtError::new(solvra_rt::display::display(v)));
            }
            Op::NoMatch => return Err(RtError::new("no match arm matched")),
            Op::IsArrayLen { len } => {
                let v = self.pop();
                let ok = v.tag == Tag::Array && array::len(v) == len as usize;
                self.stack.push(Value::bool(ok));
            }
            Op::IsObject => {
                let v = self.pop();
                self.stack.push(Value::bool(v.tag == Tag::Object));
            }
            Op::HasField { key } => {
                let v = self.pop();
                let has =
                    v.tag == Tag::Object && !object::obj(v).get(self.name_const(key)).is_null();
                self.stack.push(Value::bool(has));
            }
            Op::ImportModule { module: m } => {
                let prog = self.prog.clone();
                if self.modules[m as usize] == super::ModuleState::NotRun {
                    self.modules[m as usize] = super::ModuleState::Done;
                    let init = prog.modules[m as usize].init;
                    self.stack.push(Value::NULL);
                    self.push_frame(init, Value::NULL, 0, false)?;
                    self.frames[fi].pc = pc;
                    return Ok(Flow::Frames);
                }
                self.stack.push(Value::NULL);
            }
            Op::ModuleNamespace { module: m } => {
                let prog = self.prog.clone();
                let ns = object::new_empty()?;
                self.stack.push(ns);
                for (name, slot) in &prog.modules[m as usize].exports {
                    let v = self.globals[m as usize][*slot as usize];
                    if v != UNINIT {
                        object::obj(ns).set(name, v);
                    }
                }
            }
            Op::ModuleExport { module: m, export } => {
                let prog = self.prog.clone();
                let (_, slot) = &prog.modules[m as usize].exports[export as usize];
                let v = self.globals[m as usize][*slot as usize];
                self.stack.push(if v == UNINIT { Value::NULL } else { v });
            }
            Op::CallMain => {
                let prog = self.prog.clone();
                let main = prog.modules[prog.entry as usize].main;
                match main {
                    Some((slot, _)) if !self.main_started => {
                        let f = self.globals[prog.entry as usize][slot as usize];
                        self.stack.push(f);
                        if self.call(0, false)? {
                            self.frames[fi].pc = pc;
                            return Ok(Flow::Frames);
                        }
                    }
                    _ => self.stack.push(Value::NULL),
                }
            }
        }
        Ok(Flow::Next(pc))
    }

    fn check_init(&self, v: Value, name: u32) -> Result<(), RtError> {
        if v == UNINIT {
            return Err(RtError::new(format!(
                "variable '{}' used before initialization",
                self.name_const(name)
            )));
        }
        Ok(())
    }

    fn uninit_global(&self, module: usize, index: u32) -> RtError {
        let name = &self.prog.modules[module].globals[index as usize];
        RtError::new(format!("variable '{name}' used before initialization"))
    }
}

/// The verifier proves indexes and stack depths, not what a local slot holds; these checks
/// turn a malformed `.svc` file that passed it into a runtime error instead of a crash.
fn malformed(what: &str) -> RtError {
    RtError::new(format!("malformed bytecode: {what}"))
}

/// A value that must be a captured variable's cell.
fn cell(v: Value) -> Result<Value, RtError> {
    if v.tag == Tag::Cell {
        Ok(v)
    } else {
        Err(malformed("a cell was expected in a local slot"))
    }
}

/// Captured cell `index` of the running closure.
fn upval(closure: Value, index: u16) -> Result<Value, RtError> {
    if closure.tag != Tag::Function {
        return Err(malformed("a captured variable outside a closure"));
    }
    match function::obj(closure).cells.get(index as usize) {
        Some(&c) => cell(c),
        None => Err(malformed("captured cell out of range")),
    }
}

fn jump(pc: usize, offset: i32) -> usize {
    (pc as i64 + offset as i64) as usize
}

#[inline(always)]
fn int_pair(a: Value, b: Value) -> Option<(i64, i64)> {
    if a.tag == Tag::Int && b.tag == Tag::Int {
        Some((a.as_int(), b.as_int()))
    } else {
        None
    }
}

/// Int-int arithmetic without a runtime call; `None` for every other operand pair.
#[inline(always)]
fn fast_int(a: Value, b: Value, f: fn(i64, i64) -> i64) -> Option<Value> {
    if a.tag == Tag::Int && b.tag == Tag::Int {
        Some(Value::int(f(a.as_int(), b.as_int())))
    } else {
        None
    }
}
