//! The integration test suite: one binary, one module per area (LLVM is linked into every test
//! binary later on, so the suite stays a single binary).

mod abi;
mod bench_workloads;
mod conformance;
mod debug;
mod differential;
mod frontend;
mod hal;
mod ipc;
mod ir;
mod jit;
// Cross-builds with the LLVM backend; all of it is about native programs.
#[cfg(feature = "llvm")]
mod kernel;
mod net;
mod repl;
mod svc_mutation;
mod tidy;
