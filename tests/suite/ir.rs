//! Solvra IR: every bytecode function of every conformance program lowers to IR that passes
//! the verifier, before and after the IR passes; IR listings of small programs are snapshotted
//! as lowered and as optimised; the verifier rejects broken IR.

use crate::frontend::{repo_root, svs_files};
use solvrac::backend::ir::{
    self, Block, Builder, Const, Function, InstKind, Terminator, Type, Value,
};
use solvrac::backend::lowering::lower_function;
use solvrac::backend::opt;
use solvrac::bytecode::{compile, Program};
use solvrac::frontend::{load_file, LoadOptions};
use std::path::Path;

fn bytecode(file: &Path) -> Program {
    let (program, diags) = load_file(file, LoadOptions::default());
    assert!(diags.is_empty(), "{}: {diags:?}", file.display());
    compile::compile(&program)
}

#[test]
fn every_conformance_function_lowers_and_verifies() {
    let root = repo_root();
    let mut count = 0;
    for file in svs_files(&root.join("tests/data/conformance")) {
        let code = bytecode(&file);
        for i in 0..code.functions.len() as u32 {
            let f = lower_function(&code, i)
                .unwrap_or_else(|e| panic!("{}: fn{i}: {}", file.display(), e.0));
            if let Err(e) = ir::verify_function(&f) {
                panic!("{}: {e}\n{}", file.display(), ir::print_function(&f));
            }
            count += 1;
        }
    }
    assert!(count > 100, "lowered only {count} functions");
}

/// Every function of a program, lowered, then through the IR passes.
fn optimized(code: &Program) -> Result<opt::Optimized, ir::IrError> {
    let lowered: Vec<Function> = (0..code.functions.len() as u32)
        .map(|i| lower_function(code, i).expect("lowers"))
        .collect();
    let all: Vec<u32> = (0..lowered.len() as u32).collect();
    let scope = opt::Scope {
        whole_program: true,
        keep_locals: false,
    };
    opt::optimize(code, lowered, &all, scope)
}

#[test]
fn every_conformance_program_passes_the_ir_passes() {
    let root = repo_root();
    let mut clones = 0;
    for file in svs_files(&root.join("tests/data/conformance")) {
        let code = bytecode(&file);
        // `optimize` verifies each function after the passes in test builds.
        let o = optimized(&code).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for f in o.functions.iter().chain(o.clones.iter().map(|c| &c.func)) {
            if let Err(e) = ir::verify_function(f) {
                panic!("{}: {e}\n{}", file.display(), ir::print_function(f));
            }
        }
        clones += o.clones.len();
    }
    assert!(
        clones > 20,
        "only {clones} specialised clones in the conformance suite"
    );
}

#[test]
fn optimized_ir_snapshots() {
    for name in ["fib", "loop_sum", "typed", "facts"] {
        let code = bytecode(&repo_root().join(format!("tests/data/ir/{name}.svs")));
        let o = optimized(&code).expect("passes");
        let mut listing = String::new();
        for (i, f) in o.functions.iter().enumerate() {
            if code.functions[i].module == code.entry {
                listing.push_str(&ir::print_function(f));
            }
        }
        for (k, c) in o.clones.iter().enumerate() {
            if code.functions[c.base as usize].module == code.entry {
                listing.push_str(&format!("; clone{k} of fn{}\n", c.base));
                listing.push_str(&ir::print_function(&c.func));
            }
        }
        insta::assert_snapshot!(format!("opt_{name}"), listing);
    }
}

#[test]
fn ir_snapshots() {
    for file in svs_files(&repo_root().join("tests/data/ir")) {
        let code = bytecode(&file);
        let entry = code.modules[code.entry as usize].init;
        let mut listing = String::new();
        for (i, f) in code.functions.iter().enumerate() {
            // The program's own functions: those of the entry module (not the standard modules).
            if f.module != code.entry {
                continue;
            }
            let lowered = lower_function(&code, i as u32).expect("lowers");
            ir::verify_function(&lowered).expect("verifies");
            if i as u32 == entry {
                listing.push_str("; module top level\n");
            }
            listing.push_str(&ir::print_function(&lowered));
        }
        let name = file.file_stem().unwrap().to_string_lossy().to_string();
        insta::assert_snapshot!(format!("ir_{name}"), listing);
    }
}

/// A one-block function `f(v0)` whose body `build` fills in.
fn build(build: impl FnOnce(&mut Builder)) -> Function {
    let mut f = Function::new("t", vec![Type::Dyn], 1);
    let mut b = Builder::new(&mut f);
    build(&mut b);
    f
}

fn rejects(f: &Function, needle: &str) {
    match ir::verify_function(f) {
        Ok(()) => panic!("verifier accepted:\n{}", ir::print_function(f)),
        Err(e) => assert!(e.0.contains(needle), "expected `{needle}` in `{e}`"),
    }
}

/// The code generator calls the runtime function `BinOp::runtime_fn` names for a `dyn`
/// operator: the runtime must have it, taking the result slot and both operands.
#[test]
fn every_operator_has_its_runtime_function() {
    use solvra_rt::abi::{self, AbiType};
    for &op in ir::BinOp::ALL {
        let f = abi::find(op.runtime_fn())
            .unwrap_or_else(|| panic!("{op:?}: no runtime function {}", op.runtime_fn()));
        assert_eq!(f.params, [AbiType::Ptr; 3], "{}", f.name);
        assert_eq!(f.ret, AbiType::I32, "{}", f.name);
    }
}

#[test]
fn verifier_rejects_broken_ir() {
    // A block without a terminator.
    rejects(
        &build(|b| {
            b.ins(InstKind::Const(Const::Null));
        }),
        "no terminator",
    );
    // A use before its definition in the same block.
    let f = build(|b| {
        let later = Value(3);
        let x = b.value(InstKind::Neg(later));
        let y = b.value(InstKind::Const(Const::Int(1)));
        let _ = (x, y);
        let z = b.value(InstKind::Const(Const::Null));
        b.terminate(Terminator::Return(z));
    });
    rejects(&f, "not dominated");
    // A branch on a dyn value.
    rejects(
        &build(|b| {
            let then = b.create_block();
            b.terminate(Terminator::Branch {
                cond: Value(0),
                then,
                otherwise: then,
            });
            b.switch_to(then);
            b.terminate(Terminator::Return(Value(0)));
        }),
        "expected bool",
    );
    // A phi missing a predecessor.
    rejects(
        &build(|b| {
            let left = b.create_block();
            let right = b.create_block();
            let join = b.create_block();
            let c = b.value(InstKind::Truthy(Value(0)));
            b.terminate(Terminator::Branch {
                cond: c,
                then: left,
                otherwise: right,
            });
            b.switch_to(left);
            b.terminate(Terminator::Jump(join));
            b.switch_to(right);
            b.terminate(Terminator::Jump(join));
            let phi = b.phi(join);
            b.add_incoming(phi, left, Value(0));
            b.switch_to(join);
            b.terminate(Terminator::Return(phi));
        }),
        "incoming",
    );
    // A value used in another branch that does not dominate it.
    rejects(
        &build(|b| {
            let left = b.create_block();
            let right = b.create_block();
            let c = b.value(InstKind::Truthy(Value(0)));
            b.terminate(Terminator::Branch {
                cond: c,
                then: left,
                otherwise: right,
            });
            b.switch_to(left);
            let only_left = b.value(InstKind::Const(Const::Int(1)));
            b.terminate(Terminator::Return(only_left));
            b.switch_to(right);
            b.terminate(Terminator::Return(only_left));
        }),
        "not dominated",
    );
    let _ = Block(0);
}

/// LLVM IR of the same programs at -O0, as the native backend emits it.
#[cfg(feature = "llvm")]
#[test]
fn llvm_ir_snapshots() {
    use solvrac::backend::codegen::{self, CodegenOptions, Emit, Target};
    let opts = CodegenOptions {
        target: Target::host(),
        opt_level: 0,
        debug: None,
        fuel: None,
        profile: false,
        profile_use: None,
        trace_calls: false,
    };
    for file in svs_files(&repo_root().join("tests/data/ir")) {
        let name = file.file_stem().unwrap().to_string_lossy().to_string();
        let mut code = bytecode(&file);
        // Module names end up in stack-trace strings: make them independent of the checkout.
        let root = format!("{}/", repo_root().display());
        for m in &mut code.modules {
            m.name = m.name.replace(&root, "");
        }
        let bytes = codegen::compile(&code, &opts, Emit::LlvmIr)
            .unwrap_or_else(|e| panic!("{name}: {}", e.0));
        let text = String::from_utf8(bytes).expect("LLVM IR is text");
        // Only the program's own functions: the start function and the standard
        // modules' code would make every snapshot churn together.
        let own: Vec<&str> = text
            .split("\ndefine ")
            .skip(1)
            .filter(|f| {
                let index = f
                    .split("@svs.fn")
                    .nth(1)
                    .and_then(|rest| rest.split('(').next())
                    .and_then(|n| n.parse::<usize>().ok());
                index.is_some_and(|i| code.functions[i].module == code.entry)
            })
            .collect();
        let listing: String = own.iter().map(|f| format!("define {f}\n")).collect();
        insta::assert_snapshot!(format!("llvm_{name}"), listing);
    }
}
