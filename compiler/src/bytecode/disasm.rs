//! Human-readable listing of a bytecode program (`solvrac disasm`, and snapshot tests).

use super::{Constant, Op, Program};
use std::fmt::Write;

pub fn disassemble(p: &Program) -> String {
    let mut out = String::new();
    for (i, m) in p.modules.iter().enumerate() {
        let entry = if i as u32 == p.entry { " (entry)" } else { "" };
        let _ = writeln!(
            out,
            "module {i} {:?}{entry}: init fn{}, {} globals",
            m.name,
            m.init,
            m.globals.len()
        );
        if !m.exports.is_empty() {
            let exports: Vec<String> = m.exports.iter().map(|(n, g)| format!("{n}=g{g}")).collect();
            let _ = writeln!(out, "  exports {}", exports.join(", "));
        }
    }
    for (i, f) in p.functions.iter().enumerate() {
        let _ = writeln!(
            out,
            "\nfn{i} {} (module {}, params {}/{}{}{}, locals {}, captures {:?})",
            f.display_name(),
            f.module,
            f.required,
            f.params,
            if f.self_first { ", self" } else { "" },
            if f.is_async { ", async" } else { "" },
            f.locals,
            f.captures
        );
        for h in &f.handlers {
            let _ = writeln!(out, "  handler {}..{} -> {}", h.start, h.end, h.target);
        }
        let mut last_line = 0;
        for (pc, op) in f.code.iter().enumerate() {
            let line = f.line_at(pc);
            let line_col = if line != last_line {
                last_line = line;
                format!("{line:>4}")
            } else {
                "    ".to_string()
            };
            let _ = writeln!(out, "{line_col} {pc:>5}  {}", render(op, pc, p));
        }
    }
    out
}

fn render(op: &Op, pc: usize, p: &Program) -> String {
    let mut s = op.name().to_string();
    let operands = op.operands();
    if !operands.is_empty() {
        s.push(' ');
        s.push_str(&operands.join(" "));
    }
    match *op {
        Op::Jump { offset }
        | Op::JumpIfFalse { offset }
        | Op::JumpIfTrue { offset }
        | Op::JumpIfArgGiven { offset, .. }
        | Op::IterNext { offset, .. } => {
            let _ = write!(s, "  -> {}", pc as i64 + 1 + offset as i64);
        }
        Op::Const { index } => {
            if let Some(c) = p.constants.get(index as usize) {
                let _ = write!(s, "  ; {}", constant(c));
            }
        }
        Op::InitField { key }
        | Op::MemberGet { key }
        | Op::MemberSet { key }
        | Op::HasField { key }
        | Op::GetMethod { key } => {
            if let Some(c) = p.constants.get(key as usize) {
                let _ = write!(s, "  ; {}", constant(c));
            }
        }
        Op::LoadBuiltin { id } => {
            if let Some(b) = solvra_rt::builtins::table::BUILTINS.get(id as usize) {
                let _ = write!(s, "  ; {}", b.name);
            }
        }
        _ => {}
    }
    s
}

fn constant(c: &Constant) -> String {
    match c {
        Constant::Int(v) => v.to_string(),
        Constant::Float(v) => format!("{v:?}"),
        Constant::Str(s) => format!("{s:?}"),
    }
}
