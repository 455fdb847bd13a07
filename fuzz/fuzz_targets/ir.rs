//! Fuzz target: the native backend's input contract. Text that the frontend accepts (through
//! `load_source`, as `program` does) is compiled to bytecode, verified, lowered function by
//! function to Solvra IR (`backend::lowering::lower_function`) and checked by the IR verifier
//! (`backend::ir::verify_function`). Every tier compiles from that IR, so for a program with no
//! diagnostics a bytecode verifier error, a lowering error or an IR verifier error is a compiler
//! bug, and this target turns each into a crash with the offending function's IR in the message.
//! Text with diagnostics is fine (the frontend's own targets cover it) and stops here.
#![no_main]

use libfuzzer_sys::fuzz_target;
use solvrac::backend::{ir, lowering};
use solvrac::bytecode;
use solvrac::frontend::{self, LoadOptions};

fn lower_and_verify(text: &str) {
    let (program, diags) = frontend::load_source("fuzz.svs", text, LoadOptions::default());
    if !diags.is_empty() {
        return;
    }
    let code = bytecode::compile::compile(&program);
    if let Err(e) = bytecode::verify::verify(&code) {
        panic!("compiled bytecode fails verification: {e}\nsource:\n{text}");
    }
    for i in 0..code.functions.len() as u32 {
        let func = match lowering::lower_function(&code, i) {
            Ok(f) => f,
            Err(e) => panic!("cannot lower fn{i}: {}\nsource:\n{text}", e.0),
        };
        if let Err(e) = ir::verify_function(&func) {
            panic!(
                "IR of fn{i} fails verification: {e}\n{}\nsource:\n{text}",
                ir::print_function(&func)
            );
        }
    }
}

fuzz_target!(|data: &[u8]| {
    solvrac_fuzz::run_on_big_stack(data, lower_and_verify);
});
