//! The textual form of IR (`solvrac build --emit=sir`, snapshot tests).
//!
//! ```text
//! function "fib"(v0: dyn) slots 1 {
//! block0:
//!     set_local 0, v0
//!     v1 = get_local 0
//!     v2 = const 2
//!     v3 = lt v1, v2
//!     v4 = truthy v3
//!     br v4, block1, block2
//! }
//! ```
//! Blocks with a `try` handler say so: `block3 (handler block7):`.

use super::{Function, InstKind, Terminator};
use std::fmt::Write;

pub fn print_function(f: &Function) -> String {
    let mut out = String::new();
    let params: Vec<String> = f
        .params
        .iter()
        .enumerate()
        .map(|(i, t)| format!("v{i}: {t}"))
        .collect();
    let ret = match f.ret {
        super::Type::Dyn => String::new(),
        t => format!(" -> {t}"),
    };
    let _ = writeln!(
        out,
        "function {:?}({}){ret} slots {} {{",
        f.name,
        params.join(", "),
        f.slots
    );
    for (b, data) in f.blocks.iter().enumerate() {
        match data.handler {
            Some(h) => {
                let _ = writeln!(out, "block{b} (handler {h}):");
            }
            None => {
                let _ = writeln!(out, "block{b}:");
            }
        }
        for &i in &data.insts {
            let inst = f.inst(i);
            let text = inst_text(&inst.kind);
            match inst.result {
                Some(v) if f.value_type(v) == super::Type::Dyn => {
                    let _ = writeln!(out, "    {v} = {text}");
                }
                Some(v) => {
                    let _ = writeln!(out, "    {v}: {} = {text}", f.value_type(v));
                }
                None => {
                    let _ = writeln!(out, "    {text}");
                }
            }
        }
        let term = match &data.terminator {
            Some(Terminator::Jump(b)) => format!("jump {b}"),
            Some(Terminator::Branch {
                cond,
                then,
                otherwise,
            }) => format!("br {cond}, {then}, {otherwise}"),
            Some(Terminator::Return(v)) => format!("return {v}"),
            Some(Terminator::Throw(v)) => format!("throw {v}"),
            Some(Terminator::NoMatch) => "no_match".to_string(),
            None => "<no terminator>".to_string(),
        };
        let _ = writeln!(out, "    {term}");
    }
    out.push_str("}\n");
    out
}

fn inst_text(kind: &InstKind) -> String {
    use InstKind::*;
    let name = kind.name();
    let list = |vs: &[super::Value]| {
        vs.iter()
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    };
    match kind {
        Const(c) => match c {
            super::Const::Null => "const null".into(),
            super::Const::Bool(b) => format!("const {b}"),
            super::Const::Int(i) => format!("const {i}"),
            super::Const::Float(x) => format!("const {x:?}"),
            super::Const::Str(s) => format!("const str#{s}"),
        },
        Phi(incoming) => {
            let parts: Vec<String> = incoming
                .iter()
                .map(|(b, v)| format!("[{b}: {v}]"))
                .collect();
            format!("phi {}", parts.join(", "))
        }
        GetLocal(s) => format!("{name} {s}"),
        SetLocal(s, v) => format!("{name} {s}, {v}"),
        ArgGiven(p) => format!("{name} {p}"),
        LoadGlobal { module, index } => format!("{name} m{module}.g{index}"),
        StoreGlobal {
            module,
            index,
            value,
        }
        | InitGlobal {
            module,
            index,
            value,
        } => {
            format!("{name} m{module}.g{index}, {value}")
        }
        Upval(n) => format!("{name} {n}"),
        Builtin(id) => match solvra_rt::builtins::table::BUILTINS.get(*id as usize) {
            Some(b) => format!("{name} {}", b.name),
            None => format!("{name} #{id}"),
        },
        LoadCell { cell, name: n } => format!("{name} {cell} (str#{n})"),
        StoreCell { cell, value, .. } | InitCell { cell, value } => {
            format!("{name} {cell}, {value}")
        }
        CheckNotArray { value, .. } => format!("{name} {value}"),
        IsArrayLen { value, len } => format!("{name} {value}, {len}"),
        HasField { value, key } => format!("{name} {value}, str#{key}"),
        InitField { object, key, value } | MemberSet { object, key, value } => {
            format!("{name} {object}, str#{key}, {value}")
        }
        MemberGet { object, key } => format!("{name} {object}, str#{key}"),
        GetMethod { receiver, key } => format!("{name} {receiver}, str#{key}"),
        CallMethod {
            callee,
            receiver,
            args,
        }
        | AsyncMethod {
            callee,
            receiver,
            args,
        } => format!("{name} {callee}({receiver}; {})", list(args)),
        Call { callee, args } | AsyncCall { callee, args } => {
            format!("{name} {callee}({})", list(args))
        }
        Closure { function, captures } => format!("{name} fn{function} [{}]", list(captures)),
        Import(m) | ModuleNamespace(m) => format!("{name} m{m}"),
        LoadFn {
            module,
            index,
            function,
        } => format!("{name} m{module}.g{index} (fn{function})"),
        Scalar(c) => match c {
            super::Const::Float(x) => format!("{name} {x:?}"),
            super::Const::Int(i) => format!("{name} {i}"),
            super::Const::Bool(b) => format!("{name} {b}"),
            _ => format!("{name} ?"),
        },
        Box(t, v) | Unbox(t, v) => format!("{name} {t} {v}"),
        CallDirect { clone, args, .. } => format!("{name} clone{clone}({})", list(args)),
        ModuleExport { module, export } => format!("{name} m{module}.e{export}"),
        _ => {
            let args = kind.args();
            if args.is_empty() {
                name.to_string()
            } else {
                format!("{name} {}", list(&args))
            }
        }
    }
}
