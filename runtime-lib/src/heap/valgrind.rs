//! Memcheck client requests, so valgrind checks the heap's slots like malloc'd blocks.
//!
//! Blocks come from the system allocator in one piece, so without help memcheck would accept
//! any access inside a block, including one to a slot the collector freed. In debug builds on
//! x86_64 the heap therefore tells memcheck the state of every slot: a free slot is
//! *no-access* (except the free-list link in its first word), a freshly allocated slot
//! *undefined*. The conservative stack scan marks the words it reads as *defined*, because it
//! deliberately reads uninitialised stack slots and padding.
//!
//! A client request is a special no-op instruction sequence: natively it does nothing (a few
//! register rotations that cancel out), under valgrind it is the request. Release builds and
//! other architectures compile these functions to nothing.

#[cfg(all(debug_assertions, target_arch = "x86_64"))]
mod imp {
    const MC_BASE: usize = ((b'M' as usize) << 24) | ((b'C' as usize) << 16);
    const MAKE_MEM_NOACCESS: usize = MC_BASE;
    const MAKE_MEM_UNDEFINED: usize = MC_BASE + 1;
    const MAKE_MEM_DEFINED: usize = MC_BASE + 2;
    /// A core request: `VG_USERREQ__STACK_REGISTER`.
    const STACK_REGISTER: usize = 0x1501;

    /// `VALGRIND_DO_CLIENT_REQUEST_EXPR` of valgrind.h for amd64.
    #[inline(always)]
    fn request(req: usize, addr: usize, len: usize) -> usize {
        let args: [usize; 6] = [req, addr, len, 0, 0, 0];
        let mut result: usize = 0;
        // SAFETY: the rotations of rdi cancel out (3 + 13 + 61 + 51 = 128) and `xchg rbx, rbx`
        // is a no-op; valgrind reads `args` through rax and writes the result to rdx.
        unsafe {
            std::arch::asm!(
                "rol rdi, 3",
                "rol rdi, 13",
                "rol rdi, 61",
                "rol rdi, 51",
                "xchg rbx, rbx",
                inout("rdx") result,
                in("rax") args.as_ptr(),
            );
        }
        result
    }

    #[inline(always)]
    pub fn make_noaccess(p: *const u8, len: usize) {
        request(MAKE_MEM_NOACCESS, p as usize, len);
    }

    #[inline(always)]
    pub fn make_undefined(p: *const u8, len: usize) {
        request(MAKE_MEM_UNDEFINED, p as usize, len);
    }

    #[inline(always)]
    pub fn make_defined(p: *const u8, len: usize) {
        request(MAKE_MEM_DEFINED, p as usize, len);
    }

    /// Tells valgrind that `[start, end)` is a stack the program switches to, so a switch is
    /// not mistaken for a huge stack-pointer move.
    #[inline(always)]
    pub fn stack_register(start: usize, end: usize) {
        request(STACK_REGISTER, start, end);
    }
}

#[cfg(not(all(debug_assertions, target_arch = "x86_64")))]
mod imp {
    #[inline(always)]
    pub fn make_noaccess(_p: *const u8, _len: usize) {}
    #[inline(always)]
    pub fn make_undefined(_p: *const u8, _len: usize) {}
    #[inline(always)]
    pub fn make_defined(_p: *const u8, _len: usize) {}
    #[inline(always)]
    pub fn stack_register(_start: usize, _end: usize) {}
}

pub use imp::{make_defined, make_noaccess, make_undefined, stack_register};
