//! The bytecode verifier: every program passes it before anything runs.
//!
//! Checklist, per program:
//! 1. the entry module, every module's init function, export slots and `main` are in range;
//! 2. per function: its module exists, `required <= params <= locals`, the names of locals
//!    name existing slots, captures name slots or cells the creating function has (checked at
//!    each `Closure`);
//! 3. per instruction: constant, local, upvalue, global, builtin, function, module and export
//!    indexes are in range; member keys are string constants; jump targets are inside the code;
//! 4. stack depth: never negative, the same at every join and at each handler target (the
//!    handler's depth plus the error message), and no path falls off the end of the code;
//! 5. handler ranges lie inside the code, their targets are instructions, and depths are bounded;
//! 6. module init functions take no captures and no arguments (they run without a closure).
//!
//! A failure names the function and the instruction offset.

use super::{Capture, Constant, FunctionCode, Op, Program};
use solvra_rt::builtins::table::BUILTINS;
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyError {
    pub function: Option<String>,
    pub offset: Option<usize>,
    pub message: String,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.function, self.offset) {
            (Some(func), Some(pc)) => write!(f, "{func} at offset {pc}: {}", self.message),
            (Some(func), None) => write!(f, "{func}: {}", self.message),
            _ => f.write_str(&self.message),
        }
    }
}

/// Deepest operand stack (and handler depth) a function may use; far above anything the
/// compiler produces, and small enough that depth arithmetic cannot overflow.
const MAX_STACK_DEPTH: u32 = 1 << 20;

pub fn verify(p: &Program) -> Result<(), VerifyError> {
    let top = |message: String| VerifyError {
        function: None,
        offset: None,
        message,
    };
    if p.entry as usize >= p.modules.len() {
        return Err(top(format!("entry module {} does not exist", p.entry)));
    }
    for (i, m) in p.modules.iter().enumerate() {
        let Some(init) = p.functions.get(m.init as usize) else {
            return Err(top(format!(
                "module {i}: init function {} does not exist",
                m.init
            )));
        };
        // A module's top level runs without a closure or arguments.
        if !init.captures.is_empty() || init.required != 0 {
            return Err(top(format!(
                "module {i}: init function {} takes captures or arguments",
                m.init
            )));
        }
        if let Some((_, slot)) = m
            .exports
            .iter()
            .find(|(_, s)| *s as usize >= m.globals.len())
        {
            return Err(top(format!("module {i}: export slot {slot} out of range")));
        }
        if let Some((slot, f)) = m.main {
            if slot as usize >= m.globals.len() || f as usize >= p.functions.len() {
                return Err(top(format!("module {i}: main out of range")));
            }
        }
    }
    for (i, f) in p.functions.iter().enumerate() {
        FnVerifier { p, f, index: i }.run()?;
    }
    Ok(())
}

struct FnVerifier<'a> {
    p: &'a Program,
    f: &'a FunctionCode,
    index: usize,
}

impl FnVerifier<'_> {
    fn err(&self, offset: Option<usize>, message: impl Into<String>) -> VerifyError {
        VerifyError {
            function: Some(format!(
                "function '{}' (fn{})",
                self.f.display_name(),
                self.index
            )),
            offset,
            message: message.into(),
        }
    }

    fn run(&self) -> Result<(), VerifyError> {
        let f = self.f;
        let module = self
            .p
            .modules
            .get(f.module as usize)
            .ok_or_else(|| self.err(None, format!("module {} does not exist", f.module)))?;
        if f.required > f.params || f.params > f.locals {
            return Err(self.err(None, "inconsistent parameter and local counts"));
        }
        if f.code.is_empty() {
            return Err(self.err(None, "empty code"));
        }
        if let Some((slot, name)) = f.local_names.iter().find(|(s, _)| *s >= f.locals) {
            return Err(self.err(
                None,
                format!("local name '{name}' names slot {slot}, beyond the function's locals"),
            ));
        }
        let len = f.code.len();
        for h in &f.handlers {
            if h.depth > MAX_STACK_DEPTH {
                return Err(self.err(
                    Some(h.start as usize),
                    format!("handler depth {} is out of range", h.depth),
                ));
            }
            if h.start >= h.end || h.end as usize > len || h.target as usize >= len {
                return Err(self.err(
                    Some(h.start as usize),
                    "handler range or target out of bounds",
                ));
            }
        }
        for (pc, op) in f.code.iter().enumerate() {
            self.operands(pc, op, module.globals.len())?;
        }
        self.stack_depths()
    }

    fn operands(&self, pc: usize, op: &Op, globals: usize) -> Result<(), VerifyError> {
        let f = self.f;
        let e = |m: String| self.err(Some(pc), m);
        let slot_ok = |s: u16| (s as usize) < f.locals as usize;
        let key_ok = |k: u32| matches!(self.p.constants.get(k as usize), Some(Constant::Str(_)));
        match *op {
            Op::Const { index } if index as usize >= self.p.constants.len() => {
                Err(e(format!("constant {index} out of range")))
            }
            Op::LoadLocal { slot }
            | Op::StoreLocal { slot }
            | Op::LoadCell { slot, .. }
            | Op::StoreCell { slot, .. }
            | Op::InitCell { slot }
            | Op::NewCell { slot }
            | Op::BoxLocal { slot }
                if !slot_ok(slot) =>
            {
                Err(e(format!(
                    "local slot {slot} out of range ({} locals)",
                    f.locals
                )))
            }
            Op::IterPrep { slot } | Op::IterNext { slot, .. }
                if !slot_ok(slot.saturating_add(1)) =>
            {
                Err(e(format!(
                    "iteration slots {slot}..{} out of range",
                    slot as u32 + 1
                )))
            }
            Op::LoadUpval { index, .. } | Op::StoreUpval { index, .. }
                if index as usize >= f.captures.len() =>
            {
                Err(e(format!("captured cell {index} out of range")))
            }
            Op::LoadCell { name, .. }
            | Op::CheckNotArray { name }
            | Op::StoreCell { name, .. }
            | Op::LoadUpval { name, .. }
            | Op::StoreUpval { name, .. }
                if !key_ok(name) =>
            {
                Err(e(format!("variable name {name} is not a string constant")))
            }
            Op::LoadGlobal { index } | Op::StoreGlobal { index } | Op::InitGlobal { index }
                if index as usize >= globals =>
            {
                Err(e(format!(
                    "global {index} out of range ({globals} globals)"
                )))
            }
            Op::LoadBuiltin { id } if id as usize >= BUILTINS.len() => {
                Err(e(format!("builtin {id} does not exist")))
            }
            Op::InitField { key }
            | Op::MemberGet { key }
            | Op::MemberSet { key }
            | Op::HasField { key }
            | Op::GetMethod { key }
                if !key_ok(key) =>
            {
                Err(e(format!("member key {key} is not a string constant")))
            }
            Op::JumpIfArgGiven { param, .. } if param >= f.params => {
                Err(e(format!("parameter {param} out of range")))
            }
            Op::Closure { function } => {
                let Some(target) = self.p.functions.get(function as usize) else {
                    return Err(e(format!("function {function} does not exist")));
                };
                for c in &target.captures {
                    let ok = match *c {
                        Capture::Local(s) => slot_ok(s),
                        Capture::Upval(i) => (i as usize) < f.captures.len(),
                    };
                    if !ok {
                        return Err(e(format!(
                            "closure of fn{function} captures {c:?}, which this frame lacks"
                        )));
                    }
                }
                Ok(())
            }
            Op::ImportModule { module } | Op::ModuleNamespace { module }
                if module as usize >= self.p.modules.len() =>
            {
                Err(e(format!("module {module} does not exist")))
            }
            Op::ModuleExport { module, export } => match self.p.modules.get(module as usize) {
                Some(m) if (export as usize) < m.exports.len() => Ok(()),
                _ => Err(e(format!(
                    "export {export} of module {module} does not exist"
                ))),
            },
            _ => Ok(()),
        }
    }

    /// Abstract interpretation of stack depths over the control-flow graph.
    fn stack_depths(&self) -> Result<(), VerifyError> {
        let code = &self.f.code;
        let len = code.len();
        let mut depth: Vec<Option<u32>> = vec![None; len];
        let mut work = vec![(0usize, 0u32)];
        for h in &self.f.handlers {
            work.push((h.target as usize, h.depth + 1));
        }
        while let Some((pc, d)) = work.pop() {
            if pc >= len {
                return Err(self.err(Some(pc), "control falls off the end of the code"));
            }
            match depth[pc] {
                Some(seen) if seen == d => continue,
                Some(seen) => {
                    return Err(self.err(
                        Some(pc),
                        format!("stack depth {d} here, {seen} on another path"),
                    ));
                }
                None => depth[pc] = Some(d),
            }
            let op = &code[pc];
            let (pops, pushes) = op.stack_effect();
            if pops > d {
                return Err(self.err(
                    Some(pc),
                    format!("{} pops {pops} values from a stack of {d}", op.name()),
                ));
            }
            let after = (d - pops)
                .checked_add(pushes)
                .filter(|&a| a <= MAX_STACK_DEPTH)
                .ok_or_else(|| self.err(Some(pc), "operand stack too deep"))?;
            let target = |offset: i32| -> Result<usize, VerifyError> {
                let t = pc as i64 + 1 + offset as i64;
                if t < 0 || t as usize >= len {
                    return Err(self.err(Some(pc), format!("jump target {t} outside the code")));
                }
                Ok(t as usize)
            };
            match *op {
                Op::Return | Op::Throw | Op::NoMatch => {}
                Op::Jump { offset } => work.push((target(offset)?, after)),
                Op::JumpIfFalse { offset }
                | Op::JumpIfTrue { offset }
                | Op::JumpIfArgGiven { offset, .. } => {
                    work.push((target(offset)?, after));
                    work.push((pc + 1, after));
                }
                Op::IterNext { offset, .. } => {
                    work.push((target(offset)?, d));
                    work.push((pc + 1, after));
                }
                _ => work.push((pc + 1, after)),
            }
        }
        for h in &self.f.handlers {
            for pc in h.start..h.end {
                if let Some(d) = depth[pc as usize] {
                    if d < h.depth {
                        return Err(self.err(
                            Some(pc as usize),
                            "stack shallower than its handler's depth",
                        ));
                    }
                }
            }
        }
        Ok(())
    }
}
