//! The run loop: fetch, dispatch, repeat, until a stop frame returns.
//!
//! The current frame's function, code and base are cached in locals and reloaded whenever the
//! frame stack changes (call, return). Each step dispatches on the pre-decoded view
//! (`quick.rs`): a superinstruction either completes on its fast path, which cannot fail, or
//! leaves the instruction at `pc` to the ordinary path below it. The ordinary path stores the
//! frame's pc before it executes anything, so an error finds the handler covering the
//! instruction that raised it; a call stores it before calling too.

use super::quick::{fast_bin, fast_index_get, fast_index_set, truthy, Bin, Dst, Ins, Src, Then};
use super::{Interp, UNINIT};
use crate::bytecode::Op;
use solvra_rt::function;
use solvra_rt::ops::{self, CmpOp};
use solvra_rt::{array, builtins, object, scheduler, string, RtError, Tag, Value};

impl Interp {
    /// Runs until the stop frame that is currently innermost returns; errors that no handler
    /// catches propagate out.
    pub(crate) fn execute(&mut self) -> Result<Value, RtError> {
        loop {
            match self.run_frames() {
                Ok(v) => return Ok(v),
                Err(err) => self.unwind(err)?,
            }
        }
    }

    #[inline(always)]
    fn pop(&mut self) -> Value {
        self.stack.pop().expect("verified stack depth")
    }

    #[inline(always)]
    fn top(&self) -> Value {
        *self.stack.last().expect("verified stack depth")
    }

    fn name_const(&self, index: u32) -> &str {
        string::as_str(self.consts[index as usize])
    }

    fn run_frames(&mut self) -> Result<Value, RtError> {
        let prog = self.prog.clone();
        let fuel = self.fuel.clone();
        let quick = self.quick.clone();
        'frames: loop {
            let fi = self.frames.len() - 1;
            let frame = self.frames[fi];
            let func = &prog.functions[frame.func as usize];
            let code = &func.code[..];
            let module = func.module as usize;
            let base = frame.base;
            let mut pc = frame.pc;
            let quick = &quick[frame.func as usize][..];
            loop {
                match quick[pc] {
                    Ins::Plain => {}
                    Ins::Arith {
                        a,
                        b,
                        op,
                        op2,
                        then,
                        len,
                    } => {
                        if let Some(next) = self.arith(a, b, op, op2, then, base, module) {
                            pc = next.unwrap_or(pc + len as usize);
                            continue;
                        }
                    }
                    Ins::Member { src, key, len } => {
                        let o = match src {
                            Src::Stack => self.top(),
                            src => self.load(src, base, module).unwrap_or(Value::NULL),
                        };
                        if o.tag == Tag::Object {
                            let name = string::as_str(self.consts[key as usize]);
                            let at = pc + len as usize - 1;
                            let cache = &mut self.caches[frame.func as usize][at];
                            let v = object::obj(o).get_cached(name, cache);
                            match src {
                                Src::Stack => *self.stack.last_mut().expect("verified") = v,
                                _ => self.stack.push(v),
                            }
                            pc += len as usize;
                            continue;
                        }
                    }
                    Ins::Index { c, i, len } => {
                        if let Some((c, i, popped)) = self.operands(c, i, base, module) {
                            if let Some(v) = fast_index_get(c, i) {
                                let n = self.stack.len() - popped;
                                self.stack.truncate(n);
                                self.stack.push(v);
                                pc += len as usize;
                                continue;
                            }
                        }
                    }
                    Ins::IndexSet { c, i, v, dst, len } => {
                        if self.index_set(c, i, v, dst, base, module) {
                            pc += len as usize;
                            continue;
                        }
                    }
                    Ins::Load { src, share } => {
                        if let Some(v) = self.load(src, base, module) {
                            if share {
                                array::share(v);
                            }
                            self.stack.push(v);
                            pc += 1 + share as usize;
                            continue;
                        }
                    }
                    Ins::Jump { target, back } => {
                        if back && self.tier.is_some() {
                            self.heat(frame.func); // a loop's back edge
                        }
                        pc = target as usize;
                        continue;
                    }
                    Ins::JumpIf { target, when } => {
                        pc = if truthy(self.pop()) == when {
                            target as usize
                        } else {
                            pc + 1
                        };
                        continue;
                    }
                    Ins::Pop => {
                        self.stack.pop();
                        pc += 1;
                        continue;
                    }
                    Ins::Call { argc } => {
                        self.frames[fi].pc = pc;
                        if self.call(argc, false)? {
                            self.frames[fi].pc = pc + 1;
                            continue 'frames;
                        }
                        pc += 1;
                        continue;
                    }
                    Ins::Return { src, share, len } => {
                        let v = match src {
                            Src::Stack => Some(self.pop()),
                            src => self.load(src, base, module),
                        };
                        if let Some(v) = v {
                            if share {
                                array::share(v);
                            }
                            if self.ret(v) {
                                return Ok(self.pop());
                            }
                            continue 'frames;
                        }
                        debug_assert!(len > 1, "a plain Return cannot fail");
                    }
                    Ins::Move { src, dst, share } => {
                        if let Some(v) = self.load(src, base, module) {
                            if self.store(dst, v, 0, base, module) {
                                if share {
                                    array::share(v);
                                }
                                pc += 2 + share as usize;
                                continue;
                            }
                        }
                    }
                }
                let op = code[pc];
                self.frames[fi].pc = pc;
                if let Some(costs) = &fuel {
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
                            Op::Add => fast_int(a, b, i64::wrapping_add)
                                .map_or_else(|| ops::add(a, b), Ok)?,
                            Op::Sub => fast_int(a, b, i64::wrapping_sub)
                                .map_or_else(|| ops::sub(a, b), Ok)?,
                            Op::Mul => fast_int(a, b, i64::wrapping_mul)
                                .map_or_else(|| ops::mul(a, b), Ok)?,
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
                        ops::member_set(o, self.name_const(key), v)?;
                    }
                    Op::MemberSet { key } => {
                        let v = self.pop();
                        let o = self.top();
                        if o.tag == Tag::Object {
                            let name = string::as_str(self.consts[key as usize]);
                            let cache = &mut self.caches[frame.func as usize][pc - 1];
                            object::obj(o).set_cached(name, v, cache);
                        } else {
                            ops::member_set(o, self.name_const(key), v)?;
                        }
                    }
                    Op::MemberGet { key } => {
                        let o = self.pop();
                        let v = if o.tag == Tag::Object {
                            let name = string::as_str(self.consts[key as usize]);
                            let cache = &mut self.caches[frame.func as usize][pc - 1];
                            object::obj(o).get_cached(name, cache)
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
                            continue 'frames;
                        }
                    }
                    Op::GetMethod { key } => self.get_method(key)?,
                    Op::CallMethod { argc } => {
                        let argc = self.method_args(argc);
                        if self.call(argc, false)? {
                            self.frames[fi].pc = pc;
                            continue 'frames;
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
                            continue;
                        }
                        let v = scheduler::await_task(t)?;
                        *self.stack.last_mut().expect("verified stack depth") = v;
                    }
                    Op::Closure { function } => {
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
                            return Ok(self.pop());
                        }
                        continue 'frames;
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
                        let has = v.tag == Tag::Object
                            && !object::obj(v).get(self.name_const(key)).is_null();
                        self.stack.push(Value::bool(has));
                    }
                    Op::ImportModule { module: m } => {
                        if self.modules[m as usize] == super::ModuleState::NotRun {
                            self.modules[m as usize] = super::ModuleState::Done;
                            let init = prog.modules[m as usize].init;
                            self.stack.push(Value::NULL);
                            self.push_frame(init, Value::NULL, 0, false)?;
                            self.frames[fi].pc = pc;
                            continue 'frames;
                        }
                        self.stack.push(Value::NULL);
                    }
                    Op::ModuleNamespace { module: m } => {
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
                        let (_, slot) = &prog.modules[m as usize].exports[export as usize];
                        let v = self.globals[m as usize][*slot as usize];
                        self.stack.push(if v == UNINIT { Value::NULL } else { v });
                    }
                    Op::CallMain => {
                        let main = prog.modules[prog.entry as usize].main;
                        match main {
                            Some((slot, _)) if !self.main_started => {
                                let f = self.globals[prog.entry as usize][slot as usize];
                                self.stack.push(f);
                                if self.call(0, false)? {
                                    self.frames[fi].pc = pc;
                                    continue 'frames;
                                }
                            }
                            _ => self.stack.push(Value::NULL),
                        }
                    }
                }
            }
        }
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

    /// The fast path of `Ins::Arith`: `None` if it does not apply (nothing changed), else
    /// the branch target taken, if any.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn arith(
        &mut self,
        a: Src,
        b: Src,
        op: Bin,
        op2: Option<Bin>,
        then: Then,
        base: usize,
        module: usize,
    ) -> Option<Option<usize>> {
        let (x, y, mut popped) = self.operands(a, b, base, module)?;
        let mut v = fast_bin(op, x, y)?;
        if let Some(op2) = op2 {
            let w = self.stack[self.stack.len() - 1 - popped];
            v = fast_bin(op2, w, v)?;
            popped += 1;
        }
        match then {
            Then::Push => {
                let n = self.stack.len() - popped;
                self.stack.truncate(n);
                self.stack.push(v);
                Some(None)
            }
            Then::Store(dst) => self.store(dst, v, popped, base, module).then_some(None),
            Then::Branch(target) => {
                let n = self.stack.len() - popped;
                self.stack.truncate(n);
                Some((v.bits == 0).then_some(target as usize))
            }
        }
    }

    /// The fast path of `Ins::IndexSet`; false, with nothing changed, if it does not apply.
    #[inline(always)]
    fn index_set(
        &mut self,
        c: Src,
        i: Src,
        v: Src,
        dst: Option<Dst>,
        base: usize,
        module: usize,
    ) -> bool {
        let (Some(cv), Some(iv), Some(vv)) = (
            self.load(c, base, module),
            self.load(i, base, module),
            self.load(v, base, module),
        ) else {
            return false;
        };
        if let Some(Dst::Global(index)) = dst {
            if self.globals[module][index as usize] == UNINIT {
                return false;
            }
        }
        if !fast_index_set(cv, iv, vv) {
            return false;
        }
        match dst {
            Some(d) => {
                self.store(d, cv, 0, base, module);
            }
            None => self.stack.push(cv),
        }
        true
    }

    /// The two operands of a fused operator and how many of them are on the stack; `None` if
    /// one is an uninitialised global (the ordinary path raises the error).
    #[inline(always)]
    fn operands(
        &self,
        a: Src,
        b: Src,
        base: usize,
        module: usize,
    ) -> Option<(Value, Value, usize)> {
        let n = self.stack.len();
        Some(match (a, b) {
            (Src::Stack, Src::Stack) => (self.stack[n - 2], self.stack[n - 1], 2),
            (Src::Stack, b) => (self.stack[n - 1], self.load(b, base, module)?, 1),
            (a, b) => (self.load(a, base, module)?, self.load(b, base, module)?, 0),
        })
    }

    /// A fused operand load (never `Src::Stack`). Tested one kind after another, most common
    /// first: conditional branches predict better here than a jump table.
    #[inline(always)]
    fn load(&self, s: Src, base: usize, module: usize) -> Option<Value> {
        if let Src::Local(slot) = s {
            return Some(self.stack[base + slot as usize]);
        }
        if let Src::Int(value) = s {
            return Some(Value::int(value as i64));
        }
        if let Src::Global(index) = s {
            let v = self.globals[module][index as usize];
            return (v != UNINIT).then_some(v);
        }
        if let Src::Const(index) = s {
            return Some(self.consts[index as usize]);
        }
        Some(match s {
            Src::True => Value::TRUE,
            Src::False => Value::FALSE,
            Src::Null => Value::NULL,
            _ => return None,
        })
    }

    /// A fused store: pops `popped` stack operands, then stores `v`. False, with nothing
    /// changed, if the destination is an uninitialised global.
    #[inline(always)]
    fn store(&mut self, d: Dst, v: Value, popped: usize, base: usize, module: usize) -> bool {
        match d {
            Dst::Local(slot) => {
                let n = self.stack.len() - popped;
                self.stack.truncate(n);
                self.stack[base + slot as usize] = v;
            }
            Dst::Global(index) => {
                let g = &mut self.globals[module][index as usize];
                if *g == UNINIT {
                    return false;
                }
                *g = v;
                let n = self.stack.len() - popped;
                self.stack.truncate(n);
            }
        }
        true
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
