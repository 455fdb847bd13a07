//! The run loop: fetch, dispatch, repeat, until a stop frame returns.
//!
//! The current frame's function, code and base are cached in locals and reloaded whenever the
//! frame stack changes (call, return). Each step dispatches on the pre-decoded view
//! (`quick.rs`): a superinstruction either completes on its fast path, which cannot fail, or
//! leaves the instruction at `pc` to the ordinary path (`plain.rs`). The ordinary path stores
//! the frame's pc before it executes anything, so an error finds the handler covering the
//! instruction that raised it; a call stores it before calling too.

use super::plain::Flow;
use super::quick::{fast_bin, fast_index_get, fast_index_set, truthy, Bin, Dst, Ins, Src, Then};
use super::{Interp, UNINIT};
use solvra_rt::{array, object, string, RtError, Tag, Value};

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
    pub(super) fn pop(&mut self) -> Value {
        self.stack.pop().expect("verified stack depth")
    }

    #[inline(always)]
    pub(super) fn top(&self) -> Value {
        *self.stack.last().expect("verified stack depth")
    }

    pub(super) fn name_const(&self, index: u32) -> &str {
        string::as_str(self.consts[index as usize])
    }

    fn run_frames(&mut self) -> Result<Value, RtError> {
        let prog = self.prog.clone();
        let quick = self.quick.clone();
        'frames: loop {
            let fi = self.frames.len() - 1;
            let frame = self.frames[fi];
            let func = &prog.functions[frame.func as usize];
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
                            match then {
                                Then::Return => {
                                    let v = self.pop();
                                    if self.ret(v) {
                                        return Ok(self.pop());
                                    }
                                    continue 'frames;
                                }
                                // A loop's back edge.
                                Then::StoreJump(_, target)
                                    if self.tier.is_some() && (target as usize) < pc =>
                                {
                                    self.heat(frame.func)
                                }
                                _ => {}
                            }
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
                    Ins::MemberSet {
                        o,
                        v,
                        key,
                        dst,
                        len,
                    } => {
                        let at = pc + len as usize - 1 - dst.is_some() as usize;
                        let site = (frame.func as usize, at);
                        if self.member_set(o, v, key, dst, site, base, module) {
                            pc += len as usize;
                            continue;
                        }
                    }
                    Ins::InitField => {
                        let n = self.stack.len();
                        let (o, v) = (self.stack[n - 2], self.stack[n - 1]);
                        let cache = &self.transitions[frame.func as usize][pc];
                        if o.tag == Tag::Object && object::obj(o).add_by_cache(v, cache) {
                            self.stack.pop();
                            pc += 1;
                            continue;
                        }
                    }
                    Ins::Builtin { id } => {
                        let v = self.builtins[id as usize];
                        if !v.is_null() {
                            self.stack.push(v);
                            pc += 1;
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
                    Ins::JumpIf { target, when, len } => {
                        pc = if truthy(self.pop()) == when {
                            target as usize
                        } else {
                            pc + len as usize
                        };
                        continue;
                    }
                    Ins::Store { dst, share } => {
                        let v = self.top();
                        if self.store(dst, v, 1, base, module) {
                            if share {
                                array::share(v);
                            }
                            pc += 1 + share as usize;
                            continue;
                        }
                    }
                    Ins::Share => {
                        array::share(self.top());
                        pc += 1;
                        continue;
                    }
                    Ins::Not => {
                        let v = self.pop();
                        self.stack.push(Value::bool(!truthy(v)));
                        pc += 1;
                        continue;
                    }
                    Ins::IterNext { slot, target } => {
                        let at = base + slot as usize;
                        let (items, index) = (self.stack[at], self.stack[at + 1]);
                        if items.tag == Tag::Array && index.tag == Tag::Int && index.as_int() >= 0 {
                            let i = index.as_int() as usize;
                            let arr = array::obj(items);
                            if i < arr.len() {
                                let item = arr.get(i);
                                array::share(item);
                                self.stack[at + 1] = Value::int(i as i64 + 1);
                                self.stack.push(item);
                                pc += 1;
                            } else {
                                pc = target as usize;
                            }
                            continue;
                        }
                    }
                    Ins::Pop => {
                        self.stack.pop();
                        pc += 1;
                        continue;
                    }
                    Ins::Call { argc } => {
                        if self.enter(argc) {
                            self.frames[fi].pc = pc + 1;
                            continue 'frames;
                        }
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
                match self.plain(fi, pc)? {
                    Flow::Next(next) => pc = next,
                    Flow::Frames => continue 'frames,
                    Flow::Return(v) => return Ok(v),
                }
            }
        }
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
            Then::Push | Then::Return => {
                let n = self.stack.len() - popped;
                self.stack.truncate(n);
                self.stack.push(v);
                Some(None)
            }
            Then::Store(dst) => self.store(dst, v, popped, base, module).then_some(None),
            Then::StoreJump(dst, target) => self
                .store(dst, v, popped, base, module)
                .then_some(Some(target as usize)),
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

    /// The fast path of `Ins::MemberSet` (the `MemberSet` at `site`); false, with nothing
    /// changed, if it does not apply.
    #[allow(clippy::too_many_arguments)]
    #[inline(always)]
    fn member_set(
        &mut self,
        o: Src,
        v: Src,
        key: u32,
        dst: Option<Dst>,
        site: (usize, usize),
        base: usize,
        module: usize,
    ) -> bool {
        let Some((ov, vv, popped)) = self.operands(o, v, base, module) else {
            return false;
        };
        if ov.tag != Tag::Object {
            return false;
        }
        if let Some(Dst::Global(index)) = dst {
            if self.globals[module][index as usize] == UNINIT {
                return false;
            }
        }
        let name = string::as_str(self.consts[key as usize]);
        object::obj(ov).set_cached(name, vv, &mut self.caches[site.0][site.1]);
        let n = self.stack.len() - popped;
        self.stack.truncate(n);
        match dst {
            Some(d) => {
                self.store(d, ov, 0, base, module);
            }
            None => self.stack.push(ov),
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
}
