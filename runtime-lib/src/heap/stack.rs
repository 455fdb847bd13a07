//! Conservative scanning of the native stack.
//!
//! Every aligned word between the current stack pointer and the base recorded by
//! `set_stack_base` is treated as a possible pointer. Callee-saved registers are first spilled
//! into a local array so values that live only in registers are seen too. One implementation
//! per architecture, selected here and nowhere else.
//!
//! Only the thread that owns the heap is scanned: each thread has its own heap, and a value
//! must not be handed to another thread. The base is that of the running task's stack; the
//! scheduler moves it at every switch and scans the stacks of tasks that are not running
//! (`scheduler::scan_inactive_stacks`).

use std::cell::Cell;

thread_local! {
    static STACK_BASE: Cell<usize> = const { Cell::new(0) };
}

/// Records the outermost frame of this thread's SolvraScript execution; words above it are not
/// scanned. Call it from the frame that runs the program (the runtime's entry does).
#[inline(never)]
pub fn set_stack_base(base: *const u8) {
    STACK_BASE.with(|b| {
        let cur = b.get();
        let base = base as usize;
        if cur == 0 || base > cur {
            b.set(base);
        }
    });
}

/// The recorded base of the running context's stack (0 if none).
pub fn base() -> usize {
    STACK_BASE.with(|b| b.get())
}

/// Sets the base exactly: the scheduler, when another task's stack becomes the running one.
pub(crate) fn set_base_exact(base: usize) {
    STACK_BASE.with(|b| b.set(base));
}

/// Runs `f` with this thread's stack base set in a frame above it, so every value `f` (and what
/// it calls) keeps in locals is a root. For tests and embedders that do not enter through the
/// runtime's entry point; values created *outside* `f` are not covered.
#[inline(never)]
pub fn with_stack_base<R>(f: impl FnOnce() -> R) -> R {
    let marker = 0usize;
    set_stack_base(&marker as *const usize as *const u8);
    let result = run_below(f);
    // SAFETY: reading our own local; keeps `marker` (and so this frame) in place until here.
    unsafe { std::ptr::read_volatile(&marker) };
    result
}

#[inline(never)]
fn run_below<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// Calls `found` with every word of the native stack (and spilled registers).
#[inline(never)]
pub(super) fn scan(found: &mut dyn FnMut(usize)) {
    let mut regs = [0usize; 16];
    spill_registers(&mut regs);
    for &r in &regs {
        found(r);
    }
    crate::scheduler::scan_inactive_stacks(found);
    let base = STACK_BASE.with(|b| b.get());
    if base == 0 {
        return;
    }
    let here = regs.as_ptr() as usize;
    let mut addr = here & !(std::mem::size_of::<usize>() - 1);
    if addr >= base {
        return;
    }
    // The scan reads uninitialised slots and padding on purpose; tell valgrind.
    super::valgrind::make_defined(addr as *const u8, base - addr);
    while addr < base {
        // SAFETY: [here, base) is this thread's live stack.
        let word = unsafe { std::ptr::read_volatile(addr as *const usize) };
        found(word);
        addr += std::mem::size_of::<usize>();
    }
}

#[cfg(target_arch = "x86_64")]
#[inline(never)]
fn spill_registers(out: &mut [usize; 16]) {
    // SAFETY: only stores registers into `out`.
    unsafe {
        std::arch::asm!(
            "mov [{0}], rbx", "mov [{0} + 8], rbp", "mov [{0} + 16], r12",
            "mov [{0} + 24], r13", "mov [{0} + 32], r14", "mov [{0} + 40], r15",
            in(reg) out.as_mut_ptr(), options(nostack, preserves_flags)
        );
    }
}

#[cfg(target_arch = "aarch64")]
#[inline(never)]
fn spill_registers(out: &mut [usize; 16]) {
    // SAFETY: only stores registers into `out`.
    unsafe {
        std::arch::asm!(
            "stp x19, x20, [{0}]", "stp x21, x22, [{0}, #16]", "stp x23, x24, [{0}, #32]",
            "stp x25, x26, [{0}, #48]", "stp x27, x28, [{0}, #64]", "str x29, [{0}, #80]",
            in(reg) out.as_mut_ptr(), options(nostack, preserves_flags)
        );
    }
}

#[cfg(target_arch = "arm")]
#[inline(never)]
fn spill_registers(out: &mut [usize; 16]) {
    // SAFETY: only stores registers into `out`.
    unsafe {
        std::arch::asm!(
            "stm {0}, {{r4, r5, r6, r8, r9, r10, r11}}",
            in(reg) out.as_mut_ptr(), options(nostack, preserves_flags)
        );
    }
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "arm")))]
compile_error!("no register spilling for this architecture: add one to heap/stack.rs");
