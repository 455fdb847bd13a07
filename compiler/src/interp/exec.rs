//! The run loop: fetch, dispatch, repeat, until a stop frame returns.
//!
//! The current frame's function, code and base are cached in locals and reloaded whenever the
//! frame stack changes (call, return). Each step calls the handler of the pre-decoded entry at
//! `pc` (`quick.rs`, `handlers.rs`): it either completes its fast path, which cannot fail, and
//! returns the next pc, or leaves the instruction at `pc` to the ordinary path (`plain.rs`). The
//! ordinary path stores the frame's pc before it executes anything, so an error finds the
//! handler covering the instruction that raised it; a call stores it before calling too.

use super::handlers::{FRAMES, STOP};
use super::plain::Flow;
use super::quick::{Dst, Src};
use super::{Interp, UNINIT};
use solvra_rt::{string, RtError, Value};

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
            let module = prog.functions[frame.func as usize].module as usize;
            let (base, func) = (frame.base, frame.func);
            let mut pc = frame.pc;
            let quick = &quick[func as usize][..];
            loop {
                let e = &quick[pc];
                let next = (e.run)(self, &e.ins, pc, base, module, func);
                if next < STOP {
                    pc = next;
                    continue;
                }
                match next {
                    FRAMES => continue 'frames,
                    STOP => return Ok(self.pop()),
                    _ => match self.plain(fi, pc)? {
                        Flow::Next(next) => pc = next,
                        Flow::Frames => continue 'frames,
                        Flow::Return(v) => return Ok(v),
                    },
                }
            }
        }
    }

    /// The two operands of a fused operator and how many of them are on the stack; `None` if
    /// one is an uninitialised global (the ordinary path raises the error).
    #[inline(always)]
    pub(super) fn operands(
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
    pub(super) fn load(&self, s: Src, base: usize, module: usize) -> Option<Value> {
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
    pub(super) fn store(
        &mut self,
        d: Dst,
        v: Value,
        popped: usize,
        base: usize,
        module: usize,
    ) -> bool {
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
