//! LLVM's ORC LLJIT, as the JIT tier uses it: one in-process JIT whose main library resolves
//! the runtime's functions as absolute symbols from the ABI table, and which loads object files
//! (the same objects `solvrac build` links) each under its own resource tracker.
//!
//! The object-file path (rather than handing LLJIT IR modules) is deliberate: the AOT code
//! generator serves the JIT unchanged, and an object can be cached on disk (`cache.rs`).

use crate::backend::codegen::CodegenError;
use inkwell::llvm_sys::error::{LLVMDisposeErrorMessage, LLVMErrorRef, LLVMGetErrorMessage};
use inkwell::llvm_sys::orc2::lljit::{
    LLVMOrcCreateLLJIT, LLVMOrcDisposeLLJIT, LLVMOrcLLJITAddObjectFileWithRT,
    LLVMOrcLLJITGetExecutionSession, LLVMOrcLLJITGetMainJITDylib, LLVMOrcLLJITLookup,
    LLVMOrcLLJITMangleAndIntern, LLVMOrcLLJITRef,
};
use inkwell::llvm_sys::orc2::{
    LLVMJITEvaluatedSymbol, LLVMJITSymbolFlags, LLVMJITSymbolGenericFlags, LLVMOrcAbsoluteSymbols,
    LLVMOrcCSymbolMapPair, LLVMOrcExecutionSessionSetErrorReporter,
    LLVMOrcJITDylibCreateResourceTracker, LLVMOrcJITDylibDefine, LLVMOrcJITDylibRef,
    LLVMOrcReleaseResourceTracker, LLVMOrcResourceTrackerRef, LLVMOrcResourceTrackerRemove,
};
use inkwell::targets::{InitializationConfig, Target};
use std::ffi::{c_void, CStr, CString};
use std::ptr::null_mut;

type R<T> = Result<T, CodegenError>;

/// Turns an LLVM error into a `CodegenError` (and frees it).
fn check(err: LLVMErrorRef, what: &str) -> R<()> {
    if err.is_null() {
        return Ok(());
    }
    // SAFETY: a non-null LLVMErrorRef is consumed by LLVMGetErrorMessage, whose string we free.
    let msg = unsafe {
        let m = LLVMGetErrorMessage(err);
        let s = CStr::from_ptr(m).to_string_lossy().into_owned();
        LLVMDisposeErrorMessage(m);
        s
    };
    Err(CodegenError(format!("{what}: {msg}")))
}

/// LLJIT's own error reports (failed materialisations) are returned by the lookups that hit
/// them; without this hook they would also be printed to stderr.
extern "C" fn swallow_session_error(_ctx: *mut c_void, err: LLVMErrorRef) {
    let _ = check(err, "");
}

/// The code loaded by one `Jit::add_object`; `Jit::remove` unloads it.
pub struct Tracker(LLVMOrcResourceTrackerRef);

/// An in-process LLJIT with the runtime's functions defined.
pub struct Jit {
    jit: LLVMOrcLLJITRef,
    jd: LLVMOrcJITDylibRef,
}

impl Jit {
    /// Creates the JIT for the host and defines every function of the runtime's ABI table and
    /// every builtin implementation at its address in this process (the runtime is linked
    /// into solvrac).
    pub fn new() -> R<Jit> {
        Target::initialize_native(&InitializationConfig::default())
            .map_err(|e| CodegenError(format!("cannot initialise the native target: {e}")))?;
        let mut jit = null_mut();
        // SAFETY: a null builder asks for the host's defaults; the calls follow the ORC C API's
        // ownership rules (the symbol map's names are owned by the map, which the dylib takes).
        unsafe {
            check(
                LLVMOrcCreateLLJIT(&mut jit, null_mut()),
                "cannot create the JIT",
            )?;
            LLVMOrcExecutionSessionSetErrorReporter(
                LLVMOrcLLJITGetExecutionSession(jit),
                swallow_session_error,
                null_mut(),
            );
            let jit = Jit {
                jit,
                jd: LLVMOrcLLJITGetMainJITDylib(jit),
            };
            let abi: Vec<(&str, u64)> = solvra_rt::abi::ABI
                .iter()
                .map(|f| (f.name, f.addr as u64))
                .collect();
            jit.define(&abi)?;
            // Compiled code links each builtin it names through its `solvra_builtin_<name>`
            // static (runtime-lib builtins/mod.rs); the host's are all here.
            let builtins = solvra_rt::builtins::native_symbols();
            let builtins: Vec<(&str, u64)> = builtins
                .iter()
                .map(|(name, addr)| (name.as_str(), *addr as u64))
                .collect();
            jit.define(&builtins)?;
            Ok(jit)
        }
    }

    /// Defines symbols at absolute addresses (functions or data of this process).
    pub fn define(&self, symbols: &[(&str, u64)]) -> R<()> {
        let generic = LLVMJITSymbolGenericFlags::LLVMJITSymbolGenericFlagsExported as u8
            | LLVMJITSymbolGenericFlags::LLVMJITSymbolGenericFlagsCallable as u8;
        // SAFETY: the names are interned by the JIT; the symbol map (and the names' references)
        // is owned by the materialisation unit, which the dylib takes over.
        unsafe {
            let mut pairs: Vec<LLVMOrcCSymbolMapPair> = symbols
                .iter()
                .map(|&(name, addr)| {
                    let name = CString::new(name).expect("symbol names have no NUL");
                    LLVMOrcCSymbolMapPair {
                        Name: LLVMOrcLLJITMangleAndIntern(self.jit, name.as_ptr()),
                        Sym: LLVMJITEvaluatedSymbol {
                            Address: addr,
                            Flags: LLVMJITSymbolFlags {
                                GenericFlags: generic,
                                TargetFlags: 0,
                            },
                        },
                    }
                })
                .collect();
            let mu = LLVMOrcAbsoluteSymbols(pairs.as_mut_ptr(), pairs.len());
            check(LLVMOrcJITDylibDefine(self.jd, mu), "cannot define symbols")
        }
    }

    /// Loads an object file under a fresh resource tracker.
    pub fn add_object(&self, object: &[u8]) -> R<Tracker> {
        // SAFETY: the buffer is a copy that ORC takes ownership of; the tracker belongs to
        // this JIT's main dylib.
        unsafe {
            let buf = inkwell::llvm_sys::core::LLVMCreateMemoryBufferWithMemoryRangeCopy(
                object.as_ptr().cast(),
                object.len(),
                c"solvra-object".as_ptr(),
            );
            let rt = LLVMOrcJITDylibCreateResourceTracker(self.jd);
            let tracker = Tracker(rt);
            if let Err(e) = check(
                LLVMOrcLLJITAddObjectFileWithRT(self.jit, rt, buf),
                "cannot load the object",
            ) {
                self.remove(tracker);
                return Err(e);
            }
            Ok(tracker)
        }
    }

    /// The address of a loaded symbol (linking and relocating its object on first use).
    pub fn lookup(&self, name: &str) -> R<u64> {
        let c = CString::new(name).map_err(|_| CodegenError(format!("bad symbol {name:?}")))?;
        let mut addr = 0u64;
        // SAFETY: `c` is a NUL-terminated name; LLJIT writes the address on success.
        check(
            unsafe { LLVMOrcLLJITLookup(self.jit, &mut addr, c.as_ptr()) },
            "JIT link failed",
        )?;
        Ok(addr)
    }

    /// Looks up a start function (`Embedding::start`) of the shape compiled code has.
    pub fn start_fn(&self, name: &str) -> R<extern "C" fn() -> i32> {
        let addr = self.lookup(name)?;
        // SAFETY: the code generator emits start functions as `i32 ()`.
        Ok(unsafe { std::mem::transmute::<usize, extern "C" fn() -> i32>(addr as usize) })
    }

    /// Unloads the code a tracker covers (its symbols can then be defined again).
    pub fn remove(&self, tracker: Tracker) {
        // SAFETY: the tracker came from this JIT and is released exactly once here.
        unsafe {
            let _ = check(LLVMOrcResourceTrackerRemove(tracker.0), "");
            LLVMOrcReleaseResourceTracker(tracker.0);
        }
    }

    /// Forgets a tracker whose code stays loaded for the JIT's lifetime.
    pub fn keep(&self, tracker: Tracker) {
        // SAFETY: releasing the handle leaves the code loaded (TOOLCHAIN.md §3).
        unsafe { LLVMOrcReleaseResourceTracker(tracker.0) }
    }
}

impl Drop for Jit {
    fn drop(&mut self) {
        // SAFETY: the JIT is disposed once; nothing it loaded runs after this.
        unsafe {
            let _ = check(LLVMOrcDisposeLLJIT(self.jit), "");
        }
    }
}
