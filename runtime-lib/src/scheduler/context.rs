//! Native execution contexts: the per-architecture context switch and the memory tasks run on.
//!
//! A context is a stack pointer. `switch(from, to)` pushes the callee-saved registers (the
//! return address among them) onto the current stack, stores the stack pointer in `*from`,
//! loads `to` and pops the same registers from there, so the call returns into whatever the
//! target context was doing. A fresh context is a stack whose top is laid out as if `switch`
//! had saved it inside `start`, with the entry function and its argument in two callee-saved
//! registers; `start` calls the entry, which must never return.
//!
//! Stacks are anonymous mappings with an inaccessible guard page below them, so an overflow
//! faults instead of overwriting other memory. Only touched pages cost memory.

use std::arch::global_asm;

/// The entry of a fresh context. It must switch away for good rather than return.
pub type Entry = extern "C" fn(usize) -> !;

extern "C" {
    fn solvra_rt_ctx_switch(from: *mut usize, to: usize);
    fn solvra_rt_ctx_start();
}

/// Saves the current context in `*from` and continues the context saved in `to`.
///
/// # Safety
/// `to` must be a context saved by `switch` (and not resumed since) or made by `prepare`, on a
/// stack that is still mapped and holds that context's frames.
#[inline(always)]
pub unsafe fn switch(from: *mut usize, to: usize) {
    solvra_rt_ctx_switch(from, to)
}

#[cfg(target_arch = "x86_64")]
global_asm!(
    ".text",
    ".global solvra_rt_ctx_switch",
    ".type solvra_rt_ctx_switch, %function",
    "solvra_rt_ctx_switch:",
    "push rbp",
    "push rbx",
    "push r12",
    "push r13",
    "push r14",
    "push r15",
    "mov [rdi], rsp",
    "mov rsp, rsi",
    "pop r15",
    "pop r14",
    "pop r13",
    "pop r12",
    "pop rbx",
    "pop rbp",
    "ret",
    ".size solvra_rt_ctx_switch, . - solvra_rt_ctx_switch",
    ".global solvra_rt_ctx_start",
    ".type solvra_rt_ctx_start, %function",
    "solvra_rt_ctx_start:",
    "mov rdi, r13",
    "call r12",
    "ud2",
    ".size solvra_rt_ctx_start, . - solvra_rt_ctx_start",
);

/// Words `switch` saves (x86_64: r15-r12, rbx, rbp, then the return address), and where
/// `prepare` puts the entry, its argument and the return address. With `top` 16-byte aligned,
/// `start` then makes its `call` with the stack pointer aligned as the ABI requires.
#[cfg(target_arch = "x86_64")]
mod layout {
    pub const WORDS: usize = 7;
    pub const ENTRY: usize = 3; // r12
    pub const ARG: usize = 2; // r13
    pub const RET: usize = 6;
}

#[cfg(target_arch = "aarch64")]
global_asm!(
    ".text",
    ".global solvra_rt_ctx_switch",
    ".type solvra_rt_ctx_switch, %function",
    "solvra_rt_ctx_switch:",
    "sub sp, sp, #160",
    "stp x19, x20, [sp, #0]",
    "stp x21, x22, [sp, #16]",
    "stp x23, x24, [sp, #32]",
    "stp x25, x26, [sp, #48]",
    "stp x27, x28, [sp, #64]",
    "stp x29, x30, [sp, #80]",
    "stp d8, d9, [sp, #96]",
    "stp d10, d11, [sp, #112]",
    "stp d12, d13, [sp, #128]",
    "stp d14, d15, [sp, #144]",
    "mov x2, sp",
    "str x2, [x0]",
    "mov sp, x1",
    "ldp x19, x20, [sp, #0]",
    "ldp x21, x22, [sp, #16]",
    "ldp x23, x24, [sp, #32]",
    "ldp x25, x26, [sp, #48]",
    "ldp x27, x28, [sp, #64]",
    "ldp x29, x30, [sp, #80]",
    "ldp d8, d9, [sp, #96]",
    "ldp d10, d11, [sp, #112]",
    "ldp d12, d13, [sp, #128]",
    "ldp d14, d15, [sp, #144]",
    "add sp, sp, #160",
    "ret",
    ".size solvra_rt_ctx_switch, . - solvra_rt_ctx_switch",
    ".global solvra_rt_ctx_start",
    ".type solvra_rt_ctx_start, %function",
    "solvra_rt_ctx_start:",
    "mov x0, x20",
    "blr x19",
    "brk #0",
    ".size solvra_rt_ctx_start, . - solvra_rt_ctx_start",
);

/// AArch64: x19-x28, x29 (frame pointer), x30 (return address), then d8-d15.
#[cfg(target_arch = "aarch64")]
mod layout {
    pub const WORDS: usize = 20;
    pub const ENTRY: usize = 0; // x19
    pub const ARG: usize = 1; // x20
    pub const RET: usize = 11; // x30
}

#[cfg(target_arch = "arm")]
global_asm!(
    ".text",
    ".syntax unified",
    ".arm",
    ".fpu vfpv3-d16",
    ".global solvra_rt_ctx_switch",
    ".type solvra_rt_ctx_switch, %function",
    "solvra_rt_ctx_switch:",
    // r12 is pushed only to keep the stack 8-byte aligned.
    "push {{r4-r12, lr}}",
    "vpush {{d8-d15}}",
    "str sp, [r0]",
    "mov sp, r1",
    "vpop {{d8-d15}}",
    "pop {{r4-r12, lr}}",
    "bx lr",
    ".size solvra_rt_ctx_switch, . - solvra_rt_ctx_switch",
    ".global solvra_rt_ctx_start",
    ".type solvra_rt_ctx_start, %function",
    "solvra_rt_ctx_start:",
    "mov r0, r5",
    "blx r4",
    "udf #0",
    ".size solvra_rt_ctx_start, . - solvra_rt_ctx_start",
);

/// ARMv7 (hard-float): d8-d15 (16 words), then r4-r12 and lr.
#[cfg(target_arch = "arm")]
mod layout {
    pub const WORDS: usize = 26;
    pub const ENTRY: usize = 16; // r4
    pub const ARG: usize = 17; // r5
    pub const RET: usize = 25; // lr
}

#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64", target_arch = "arm")))]
compile_error!("no context switch for this architecture: add one to scheduler/context.rs");

/// Lays out a fresh context below `top` (16-byte aligned) that runs `entry(arg)` when switched
/// to; returns its saved stack pointer.
///
/// # Safety
/// The words below `top` must be writable stack memory that nothing else uses.
pub unsafe fn prepare(top: usize, entry: Entry, arg: usize) -> usize {
    let word = std::mem::size_of::<usize>();
    let sp = top - layout::WORDS * word;
    let frame = sp as *mut usize;
    for i in 0..layout::WORDS {
        frame.add(i).write(0);
    }
    frame.add(layout::ENTRY).write(entry as usize);
    frame.add(layout::ARG).write(arg);
    frame
        .add(layout::RET)
        .write(solvra_rt_ctx_start as *const () as usize);
    sp
}

/// A stack: a private anonymous mapping, its lowest page left inaccessible as a guard.
pub struct Stack {
    base: usize,
    len: usize,
}

impl Stack {
    /// Reserves `len` bytes of address space (rounded to pages); memory is committed only when
    /// touched. `None` if the system refuses the mapping.
    pub fn new(len: usize) -> Option<Stack> {
        // SAFETY: plain system calls on a mapping this function owns.
        unsafe {
            let page = libc::sysconf(libc::_SC_PAGESIZE).max(4096) as usize;
            let len = (len + page - 1) / page * page + page;
            let base = libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_STACK,
                -1,
                0,
            );
            if base == libc::MAP_FAILED {
                return None;
            }
            if libc::mprotect(base, page, libc::PROT_NONE) != 0 {
                libc::munmap(base, len);
                return None;
            }
            crate::heap::register_stack(base as usize + page, base as usize + len);
            Some(Stack {
                base: base as usize,
                len,
            })
        }
    }

    /// The address just above the stack (stacks grow down), 16-byte aligned.
    pub fn top(&self) -> usize {
        (self.base + self.len) & !15
    }
}

impl Drop for Stack {
    fn drop(&mut self) {
        // SAFETY: unmapping the mapping this value owns; no context runs on it any more.
        unsafe {
            libc::munmap(self.base as *mut libc::c_void, self.len);
        }
    }
}
