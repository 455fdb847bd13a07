//! The native backend: Solvra IR (SSA), lowering from bytecode, the IR passes (`opt`), LLVM
//! code generation, linking and the JIT (`jit`, in process through ORC LLJIT).
//!
//! Bytecode stays the one artifact every tier starts from: `lowering` turns a verified bytecode
//! function into IR, and everything native works on IR from there.

#[cfg(feature = "llvm")]
pub mod codegen;
pub mod ir;
#[cfg(feature = "llvm")]
pub mod jit;
pub mod lowering;
pub mod opt;
