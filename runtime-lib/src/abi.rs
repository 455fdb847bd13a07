//! The one ABI table: every C function the runtime exports to compiled code (DESIGN.md, "One
//! ABI table"), with its parameter and return kinds.
//!
//! `ABI` is the only list. The code generator derives its LLVM declarations from it, the JIT
//! registers `AbiFn::addr` under `AbiFn::name`, and a test checks that every name is a
//! defined symbol of `libsolvra_rt.a`. Adding a function means adding it here and to `ABI`.
//!
//! Conventions (docs/MEMORY_MODEL.md, "The C ABI"):
//! * No struct is passed or returned by value. A `Value` (16 bytes, `#[repr(C)]`, tag at
//!   offset 0, payload at offset 8) is passed as `*const Value` and returned through a
//!   `*mut Value` out-parameter, which may alias an input.
//! * Pointer-sized integers are `usize` (`AbiType::Usize`), 32-bit on ARMv7. A `u32` or `bool`
//!   travels as `AbiType::I32`.
//! * Fallible functions return an `i32` status: 0 (`STATUS_OK`) on success, 1
//!   (`STATUS_ERROR`) after storing the runtime error with `error::set_pending`. The caller
//!   checks the status and unwinds to its handler; `solvra_take_error` gives the message
//!   (what `catch e` binds). `out` is written only on success.
//! * Values passed in must be kept alive by the caller (locals of compiled code are on the
//!   conservatively scanned native stack; static data must be registered with
//!   `solvra_root_range_add`). A Rust panic never unwinds into the caller: it becomes the
//!   pending error `internal error: …`.
//!
//! # Safety
//! Every pointer argument must be valid for the access its documentation describes: a
//! `*const Value` points to an initialised `Value` of this thread's heap, a `*mut Value` to
//! writable storage for one, a (ptr, len) pair to `len` readable bytes, and (args, argc) to
//! `argc` values. This holds for all functions below, so they carry no separate section.
#![allow(clippy::missing_safety_doc)]

use crate::builtins::{self, table};
use crate::error::{self, RtError, RtResult};
use crate::heap::{self, layout, GcHeader, ObjKind};
use crate::ops::{self, CmpOp};
use crate::value::{Tag, Value};
use crate::{array, display, function, object, stdout, string};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// The kind of a parameter or return value at the C level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AbiType {
    /// `int64_t`.
    I64,
    /// `double`.
    F64,
    /// `uintptr_t` / `size_t`: 64 or 32 bits with the target.
    Usize,
    /// Any pointer (`*const Value`, `*mut Value`, `*const u8`, a heap object).
    Ptr,
    /// `int32_t` (also `uint32_t` and booleans).
    I32,
    /// No return value.
    Void,
}

/// One exported function.
#[derive(Clone, Copy, Debug)]
pub struct AbiFn {
    pub name: &'static str,
    pub params: &'static [AbiType],
    pub ret: AbiType,
    /// The function's address in this process (for the JIT's symbol table).
    pub addr: *const (),
}

/// Status of a fallible ABI function: success.
pub const STATUS_OK: i32 = 0;
/// Status of a fallible ABI function: a runtime error is pending (`solvra_take_error`).
pub const STATUS_ERROR: i32 = 1;

use AbiType::{Ptr, Usize, Void, F64, I32, I64};

macro_rules! abi_table {
    ($($name:ident ( $($p:ident),* ) -> $ret:ident;)*) => {
        /// Every exported function, in one list.
        pub const ABI: &[AbiFn] = &[
            $(AbiFn {
                name: stringify!($name),
                params: &[$($p),*],
                ret: $ret,
                addr: $name as *const (),
            },)*
        ];
    };
}

use crate::aot::*;
use crate::cost_meter::{solvra_fuel_charge, solvra_fuel_start};
use crate::debug::dump::solvra_dump;
use crate::debug::profile::solvra_profile_start;
use crate::debug::tracing::{solvra_trace_call, solvra_trace_return};
use crate::solvra_rt_version;

abi_table! {
    solvra_rt_version() -> I32;
    solvra_rt_init(Ptr) -> Void;
    solvra_rt_finish() -> I32;
    solvra_heap_state() -> Ptr;
    solvra_alloc_fast(I32, Usize) -> Ptr;
    solvra_alloc_slow(I32, Usize) -> Ptr;
    solvra_collect() -> Void;
    solvra_set_max_heap(Usize) -> Void;
    solvra_root_range_add(Ptr, Usize) -> Void;
    solvra_root_range_remove(Ptr) -> Void;
    solvra_null(Ptr) -> Void;
    solvra_bool(Ptr, I32) -> Void;
    solvra_int(Ptr, I64) -> Void;
    solvra_float(Ptr, F64) -> Void;
    solvra_string_new(Ptr, Ptr, Usize) -> I32;
    solvra_add(Ptr, Ptr, Ptr) -> I32;
    solvra_sub(Ptr, Ptr, Ptr) -> I32;
    solvra_mul(Ptr, Ptr, Ptr) -> I32;
    solvra_div(Ptr, Ptr, Ptr) -> I32;
    solvra_rem(Ptr, Ptr, Ptr) -> I32;
    solvra_eq(Ptr, Ptr, Ptr) -> I32;
    solvra_ne(Ptr, Ptr, Ptr) -> I32;
    solvra_lt(Ptr, Ptr, Ptr) -> I32;
    solvra_le(Ptr, Ptr, Ptr) -> I32;
    solvra_gt(Ptr, Ptr, Ptr) -> I32;
    solvra_ge(Ptr, Ptr, Ptr) -> I32;
    solvra_neg(Ptr, Ptr) -> I32;
    solvra_truthy(Ptr) -> I32;
    solvra_display(Ptr, Ptr) -> I32;
    solvra_print_value(Ptr, I32) -> Void;
    solvra_array_new(Ptr, Ptr, Usize) -> I32;
    solvra_array_push(Ptr, Ptr) -> I32;
    solvra_share(Ptr) -> Void;
    solvra_object_new(Ptr, Usize) -> I32;
    solvra_member_get(Ptr, Ptr, Ptr, Usize) -> I32;
    solvra_member_set(Ptr, Ptr, Usize, Ptr) -> I32;
    solvra_member_get_ic(Ptr, Ptr, Ptr, Usize, Ptr) -> I32;
    solvra_member_set_ic(Ptr, Ptr, Usize, Ptr, Ptr) -> I32;
    solvra_init_field_ic(Ptr, Ptr, Usize, Ptr, Ptr) -> I32;
    solvra_index_get(Ptr, Ptr, Ptr) -> I32;
    solvra_index_set(Ptr, Ptr, Ptr) -> I32;
    solvra_slice(Ptr, Ptr, Ptr, Ptr, Ptr) -> I32;
    solvra_cell_new(Ptr, Ptr) -> I32;
    solvra_cell_get(Ptr, Ptr) -> Void;
    solvra_cell_set(Ptr, Ptr) -> Void;
    solvra_call_builtin(Ptr, I32, Ptr, Usize) -> I32;
    solvra_call_value(Ptr, Ptr, Ptr, Usize) -> I32;
    solvra_panic(Ptr) -> I32;
    solvra_error_raise(Ptr, Usize) -> I32;
    solvra_error_pending() -> I32;
    solvra_take_error(Ptr) -> I32;
    solvra_take_error_message(Ptr, Usize) -> Usize;
    // Natively compiled programs (`aot.rs`).
    solvra_aot_main(Ptr) -> I32;
    solvra_register_function(Ptr, Usize, I32, I32, I32, Usize) -> I32;
    solvra_set_main(I32) -> Void;
    solvra_register_builtin(I32, Ptr) -> Void;
    solvra_main_started() -> I32;
    solvra_call_depth_cell() -> Ptr;
    solvra_trace_push(Ptr, Usize, Ptr, Usize, I32) -> Void;
    // For debuggers: `-g` code keeps it linked (debug/dump.rs).
    solvra_dump(Ptr) -> Ptr;
    // The cost meter (`cost_meter.rs`), in code built with it.
    solvra_fuel_charge(I32) -> I32;
    solvra_fuel_start(I64) -> Void;
    // `build --profile` executables (`debug/profile.rs`).
    solvra_profile_start(Ptr, Usize, Ptr, Usize) -> Void;
    // `build --trace` code (`debug/tracing.rs`).
    solvra_trace_call(Ptr, Usize) -> Void;
    solvra_trace_return() -> Void;
    solvra_catch_message(Ptr) -> I32;
    solvra_no_match() -> I32;
    solvra_check_init(Ptr, Ptr, Usize) -> I32;
    solvra_export_value(Ptr, Ptr) -> Void;
    solvra_to_bool(Ptr, Ptr) -> Void;
    solvra_builtin(Ptr, I32) -> I32;
    solvra_new_uninit_cell(Ptr) -> I32;
    solvra_cell_load(Ptr, Ptr, Ptr, Usize) -> I32;
    solvra_cell_store(Ptr, Ptr, Ptr, Usize) -> I32;
    solvra_check_not_array(Ptr, Ptr, Usize) -> I32;
    solvra_namespace_add(Ptr, Ptr, Usize, Ptr) -> I32;
    solvra_append(Ptr, Ptr, Ptr) -> I32;
    solvra_get_method(Ptr, Ptr, Ptr, Usize, Ptr) -> I32;
    solvra_call_method(Ptr, Ptr, Ptr, Ptr, Usize) -> I32;
    solvra_spawn(Ptr, Ptr, Ptr, Usize) -> I32;
    solvra_spawn_method(Ptr, Ptr, Ptr, Ptr, Usize) -> I32;
    solvra_await(Ptr, Ptr) -> I32;
    solvra_await_if_task(Ptr, Ptr) -> I32;
    solvra_closure(Ptr, I32, Ptr, Usize) -> I32;
    solvra_iter_prep(Ptr, Ptr) -> I32;
    solvra_iter_has_next(Ptr, Ptr) -> I32;
    solvra_iter_get(Ptr, Ptr, Ptr) -> Void;
    solvra_is_array_len(Ptr, Ptr, I32) -> Void;
    solvra_is_object(Ptr, Ptr) -> Void;
    solvra_has_field(Ptr, Ptr, Ptr, Usize) -> Void;
}

/// The entry of `name`, if exported.
pub fn find(name: &str) -> Option<&'static AbiFn> {
    ABI.iter().find(|f| f.name == name)
}

/// C declarations of every entry (`int32_t solvra_add(void *, void *, void *);`), e.g. for a
/// header that C test programs include.
pub fn c_declarations() -> String {
    fn c(t: AbiType) -> &'static str {
        match t {
            I64 => "int64_t",
            F64 => "double",
            Usize => "uintptr_t",
            Ptr => "void *",
            I32 => "int32_t",
            Void => "void",
        }
    }
    let mut out = String::new();
    for f in ABI {
        let params: Vec<&str> = f.params.iter().map(|&p| c(p)).collect();
        let params = if params.is_empty() {
            "void".to_string()
        } else {
            params.join(", ")
        };
        out.push_str(&format!("{} {}({});\n", c(f.ret), f.name, params));
    }
    out
}

// --- helpers ------------------------------------------------------------------------------

fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "panic in the runtime".to_string()
    }
}

/// Runs a fallible body and turns its outcome into a status; a panic becomes a pending error.
#[inline(always)]
fn guard(f: impl FnOnce() -> RtResult<()>) -> i32 {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => STATUS_OK,
        Ok(Err(e)) => {
            error::set_pending(e);
            STATUS_ERROR
        }
        Err(p) => {
            error::set_pending(RtError::new(format!(
                "internal error: {}",
                panic_message(&*p)
            )));
            STATUS_ERROR
        }
    }
}

/// Runs an infallible body; a panic becomes a pending error and `fallback` is returned.
#[inline(always)]
fn guard_value<R>(fallback: R, f: impl FnOnce() -> R) -> R {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(p) => {
            error::set_pending(RtError::new(format!(
                "internal error: {}",
                panic_message(&*p)
            )));
            fallback
        }
    }
}

/// The bytes of a (ptr, len) pair as text.
unsafe fn text<'a>(ptr: *const u8, len: usize) -> RtResult<&'a str> {
    if len == 0 {
        return Ok("");
    }
    std::str::from_utf8(std::slice::from_raw_parts(ptr, len))
        .map_err(|_| RtError::new("internal error: invalid UTF-8 passed to the runtime"))
}

/// A (ptr, count) array of values as a slice.
/// The `argc` values at `ptr` (which may be dangling when `argc` is 0).
pub(crate) unsafe fn values<'a>(ptr: *const Value, n: usize) -> &'a [Value] {
    if n == 0 {
        &[]
    } else {
        std::slice::from_raw_parts(ptr, n)
    }
}

// --- program lifetime ---------------------------------------------------------------------

/// Starts the runtime on this thread: records the outermost native frame for the conservative
/// stack scan (pass the address of a local of `main`, or null to keep the current one), creates
/// the heap from the environment (`SOLVRA_GC_*`, `SOLVRA_MAX_HEAP`) and starts the clock.
#[no_mangle]
pub extern "C" fn solvra_rt_init(stack_base: *const u8) {
    guard_value((), || {
        if !stack_base.is_null() {
            heap::set_stack_base(stack_base);
        }
        let _ = heap::config();
        builtins::start_clock();
    })
}

/// Ends a program: flushes stdout; if an error is still pending, writes `runtime error: MESSAGE`
/// to stderr; prints GC statistics if enabled. Returns the exit status: 0, or 1 after an
/// uncaught error. (A tier that prints a stack trace takes the error itself first.)
#[no_mangle]
pub extern "C" fn solvra_rt_finish() -> i32 {
    guard_value(STATUS_ERROR, || {
        stdout::finish();
        let status = match error::take_pending() {
            Some(e) => {
                stdout::write_stderr(&format!("runtime error: {}\n", e.message));
                1
            }
            None => 0,
        };
        heap::report_stats_if_enabled();
        status
    })
}

// --- allocation -------------------------------------------------------------------------

/// This thread's `heap::layout::AllocState` for the inline allocation fast path.
#[no_mangle]
pub extern "C" fn solvra_heap_state() -> *mut layout::AllocState {
    guard_value(std::ptr::null_mut(), || {
        let _ = heap::config(); // make sure the heap exists, so `trigger` is meaningful
        heap::alloc_state()
    })
}

fn raw_kind(kind: u32) -> RtResult<ObjKind> {
    match ObjKind::from_u8(kind as u8) {
        Some(k) if kind <= u8::MAX as u32 => Ok(k),
        _ => Err(RtError::new(format!(
            "internal error: no heap object kind {kind}"
        ))),
    }
}

/// An object of a plain kind (`ObjKind::is_plain`, today `Cell` = 5) with `size` bytes
/// including the header: header written, payload zeroed. The fast path first (what compiled
/// code inlines), then the slow path. Null with a pending error on failure.
#[no_mangle]
pub extern "C" fn solvra_alloc_fast(kind: u32, size: usize) -> *mut GcHeader {
    let class = layout::size_class(size.max(8));
    if class != layout::NO_CLASS && kind == ObjKind::Cell as u32 {
        // SAFETY: this thread's state, a valid class; header and payload written at once.
        unsafe {
            let slot = layout::try_alloc_small(heap::alloc_state(), class, 0);
            if !slot.is_null() {
                let slot_size = layout::CLASS_SIZES[class];
                std::ptr::write_bytes(slot, 0, slot_size);
                std::ptr::write(
                    slot as *mut GcHeader,
                    GcHeader::new(ObjKind::Cell, slot_size, 0),
                );
                return slot as *mut GcHeader;
            }
        }
    }
    solvra_alloc_slow(kind, size)
}

/// The allocation slow path (may collect; the heap limit applies): as `solvra_alloc_fast`.
#[no_mangle]
pub extern "C" fn solvra_alloc_slow(kind: u32, size: usize) -> *mut GcHeader {
    let mut out = std::ptr::null_mut();
    guard(|| {
        out = heap::alloc_raw(raw_kind(kind)?, size)?;
        Ok(())
    });
    out
}

/// Runs a full collection.
#[no_mangle]
pub extern "C" fn solvra_collect() {
    guard_value((), heap::collect)
}

/// Sets the heap limit in bytes; 0 removes it.
#[no_mangle]
pub extern "C" fn solvra_set_max_heap(bytes: usize) {
    guard_value((), || {
        heap::set_max_heap(if bytes == 0 { None } else { Some(bytes) })
    })
}

/// Registers `n` values at `start` (static data such as a module's globals) as roots.
#[no_mangle]
pub extern "C" fn solvra_root_range_add(start: *const Value, n: usize) {
    guard_value((), || heap::add_root_range(start, n))
}

/// Unregisters a range registered with `solvra_root_range_add`.
#[no_mangle]
pub extern "C" fn solvra_root_range_remove(start: *const Value) {
    guard_value((), || heap::remove_root_range(start))
}

// --- value constructors -----------------------------------------------------------------

#[no_mangle]
pub unsafe extern "C" fn solvra_null(out: *mut Value) {
    *out = Value::NULL;
}

#[no_mangle]
pub unsafe extern "C" fn solvra_bool(out: *mut Value, b: i32) {
    *out = Value::bool(b != 0);
}

#[no_mangle]
pub unsafe extern "C" fn solvra_int(out: *mut Value, i: i64) {
    *out = Value::int(i);
}

#[no_mangle]
pub unsafe extern "C" fn solvra_float(out: *mut Value, f: f64) {
    *out = Value::float(f);
}

/// A string from `len` bytes of UTF-8 at `ptr` (e.g. a constant in compiled code's rodata).
#[no_mangle]
pub unsafe extern "C" fn solvra_string_new(out: *mut Value, ptr: *const u8, len: usize) -> i32 {
    guard(|| {
        *out = string::new(text(ptr, len)?)?;
        Ok(())
    })
}

// --- operators --------------------------------------------------------------------------

macro_rules! binary {
    ($($name:ident => $f:expr;)*) => {$(
        #[no_mangle]
        pub unsafe extern "C" fn $name(out: *mut Value, a: *const Value, b: *const Value) -> i32 {
            let (a, b) = (*a, *b);
            guard(|| {
                let f: fn(Value, Value) -> RtResult<Value> = $f;
                *out = f(a, b)?;
                Ok(())
            })
        }
    )*};
}

binary! {
    solvra_add => ops::add;
    solvra_sub => ops::sub;
    solvra_mul => ops::mul;
    solvra_div => ops::div;
    solvra_rem => ops::rem;
    solvra_eq => |a, b| Ok(Value::bool(ops::equals(a, b)));
    solvra_ne => |a, b| Ok(Value::bool(!ops::equals(a, b)));
    solvra_lt => |a, b| ops::compare(CmpOp::Lt, a, b).map(Value::bool);
    solvra_le => |a, b| ops::compare(CmpOp::Le, a, b).map(Value::bool);
    solvra_gt => |a, b| ops::compare(CmpOp::Gt, a, b).map(Value::bool);
    solvra_ge => |a, b| ops::compare(CmpOp::Ge, a, b).map(Value::bool);
    solvra_index_get => ops::index_get;
}

/// Unary `-`.
#[no_mangle]
pub unsafe extern "C" fn solvra_neg(out: *mut Value, a: *const Value) -> i32 {
    let a = *a;
    guard(|| {
        *out = ops::neg(a)?;
        Ok(())
    })
}

/// Truthiness (§3.4): 1 or 0.
#[no_mangle]
pub unsafe extern "C" fn solvra_truthy(v: *const Value) -> i32 {
    let v = *v;
    guard_value(0, || ops::truthy(v) as i32)
}

/// The display form `D(v)` (§3.16) as a new string.
#[no_mangle]
pub unsafe extern "C" fn solvra_display(out: *mut Value, v: *const Value) -> i32 {
    let v = *v;
    guard(|| {
        *out = string::from_string(display::display(v))?;
        Ok(())
    })
}

/// Writes `D(v)` to the program's stdout, plus a newline if `newline` is nonzero.
#[no_mangle]
pub unsafe extern "C" fn solvra_print_value(v: *const Value, newline: i32) {
    let v = *v;
    guard_value((), || {
        let mut text = display::display(v);
        if newline != 0 {
            text.push('\n');
        }
        stdout::write_str(&text);
    })
}

// --- arrays, objects, cells ---------------------------------------------------------------

/// An array of the `n` values at `items` (an array literal). Each element is now stored in a
/// second place, so nested arrays become shared (§3.10.1).
#[no_mangle]
pub unsafe extern "C" fn solvra_array_new(out: *mut Value, items: *const Value, n: usize) -> i32 {
    guard(|| {
        let items = values(items, n);
        for v in items {
            array::share(*v);
        }
        *out = array::from_values(items.to_vec())?;
        Ok(())
    })
}

/// `place = push(place, item)` in place when the array in `place` is unshared (amortised
/// O(1)), else on a copy stored back into `place`.
#[no_mangle]
pub unsafe extern "C" fn solvra_array_push(place: *mut Value, item: *const Value) -> i32 {
    let (a, item) = (*place, *item);
    guard(|| {
        *place = builtins::push_owned(a, item)?;
        Ok(())
    })
}

/// Marks an array value as stored in a second place (no-op for other values).
#[no_mangle]
pub unsafe extern "C" fn solvra_share(v: *const Value) {
    let v = *v;
    guard_value((), || array::share(v))
}

/// `{}` with room for `fields` fields (the literal's size).
#[no_mangle]
pub unsafe extern "C" fn solvra_object_new(out: *mut Value, fields: usize) -> i32 {
    guard(|| {
        *out = object::with_capacity(fields)?;
        Ok(())
    })
}

/// `obj.name` with the name as (ptr, len) UTF-8.
#[no_mangle]
pub unsafe extern "C" fn solvra_member_get(
    out: *mut Value,
    obj: *const Value,
    name: *const u8,
    len: usize,
) -> i32 {
    let obj = *obj;
    guard(|| {
        *out = ops::member_get(obj, text(name, len)?)?;
        Ok(())
    })
}

/// `solvra_member_get` at a site with an inline cache (`object::SiteCache`, owned by the
/// compiled code, one per site): while objects there keep their shape, a read is a pointer
/// compare and a load.
#[no_mangle]
pub unsafe extern "C" fn solvra_member_get_ic(
    out: *mut Value,
    obj: *const Value,
    name: *const u8,
    len: usize,
    cache: *mut object::SiteCache,
) -> i32 {
    let obj = *obj;
    if obj.tag == Tag::Object {
        let o = object::obj(obj);
        if std::ptr::eq(o.shape, (*cache).shape) {
            *out = o.slots[(*cache).slot];
            return STATUS_OK;
        }
    }
    guard(|| {
        let name = text(name, len)?;
        *out = if obj.tag == Tag::Object {
            object::obj(obj).get_cached(name, &mut *cache)
        } else {
            ops::member_get(obj, name)?
        };
        Ok(())
    })
}

/// `solvra_member_set` at a site with an inline cache (see `solvra_member_get_ic`).
#[no_mangle]
pub unsafe extern "C" fn solvra_member_set_ic(
    obj: *const Value,
    name: *const u8,
    len: usize,
    v: *const Value,
    cache: *mut object::SiteCache,
) -> i32 {
    let (obj, v) = (*obj, *v);
    guard(|| {
        let name = text(name, len)?;
        if obj.tag == Tag::Object {
            object::obj(obj).set_cached(name, v, &mut *cache);
            Ok(())
        } else {
            ops::member_set(obj, name, v)
        }
    })
}

/// A field of an object literal (`solvra_member_set` on the object being built), through the
/// site's `object::TransitionCache`.
#[no_mangle]
pub unsafe extern "C" fn solvra_init_field_ic(
    obj: *const Value,
    name: *const u8,
    len: usize,
    v: *const Value,
    cache: *mut object::TransitionCache,
) -> i32 {
    let (obj, v) = (*obj, *v);
    if obj.tag == Tag::Object && object::obj(obj).add_by_cache(v, &*cache) {
        return STATUS_OK;
    }
    guard(|| {
        let name = text(name, len)?;
        if obj.tag == Tag::Object {
            object::obj(obj).add_cached(name, v, &mut *cache);
            Ok(())
        } else {
            ops::member_set(obj, name, v)
        }
    })
}

/// `obj.name = v`; `null` removes the field.
#[no_mangle]
pub unsafe extern "C" fn solvra_member_set(
    obj: *const Value,
    name: *const u8,
    len: usize,
    v: *const Value,
) -> i32 {
    let (obj, v) = (*obj, *v);
    guard(|| ops::member_set(obj, text(name, len)?, v))
}

/// `place[index] = v`: `place` receives the container to keep (a copy if the array was
/// shared).
#[no_mangle]
pub unsafe extern "C" fn solvra_index_set(
    place: *mut Value,
    index: *const Value,
    v: *const Value,
) -> i32 {
    let (c, i, v) = (*place, *index, *v);
    guard(|| {
        *place = ops::index_set(c, i, v)?;
        Ok(())
    })
}

/// `target[start:end:step]`; `null` parts are omitted.
#[no_mangle]
pub unsafe extern "C" fn solvra_slice(
    out: *mut Value,
    target: *const Value,
    start: *const Value,
    end: *const Value,
    step: *const Value,
) -> i32 {
    let (t, s, e, st) = (*target, *start, *end, *step);
    guard(|| {
        *out = ops::slice(t, s, e, st)?;
        Ok(())
    })
}

/// A new cell for a captured variable, holding `v`.
#[no_mangle]
pub unsafe extern "C" fn solvra_cell_new(out: *mut Value, v: *const Value) -> i32 {
    let v = *v;
    guard(|| {
        *out = function::new_cell(v)?;
        Ok(())
    })
}

/// The value in a cell.
#[no_mangle]
pub unsafe extern "C" fn solvra_cell_get(out: *mut Value, cell: *const Value) {
    let cell = *cell;
    guard_value((), || *out = function::cell_get(cell))
}

/// Stores into a cell.
#[no_mangle]
pub unsafe extern "C" fn solvra_cell_set(cell: *const Value, v: *const Value) {
    let (cell, v) = (*cell, *v);
    guard_value((), || function::cell_set(cell, v))
}

// --- calls --------------------------------------------------------------------------------

/// Calls builtin number `id` (its index in `builtins::table::BUILTINS`) with `argc` values at
/// `args`; arity and argument errors are runtime errors.
#[no_mangle]
pub unsafe extern "C" fn solvra_call_builtin(
    out: *mut Value,
    id: u32,
    args: *const Value,
    argc: usize,
) -> i32 {
    guard(|| {
        if id as usize >= table::BUILTINS.len() {
            return Err(RtError::new(format!(
                "internal error: no builtin number {id}"
            )));
        }
        *out = builtins::call(table::BuiltinId(id as u16), values(args, argc))?;
        Ok(())
    })
}

/// Calls any function value (builtins directly, user functions through the executing tier's
/// call hook).
#[no_mangle]
pub unsafe extern "C" fn solvra_call_value(
    out: *mut Value,
    f: *const Value,
    args: *const Value,
    argc: usize,
) -> i32 {
    let f = *f;
    guard(|| {
        // `aot::call_value`, not `callback::call_value`: the caller is compiled code, so one
        // lookup finds the native entry (it falls back to the tier's hook when there is none).
        *out = crate::aot::call_value(f, values(args, argc))?;
        Ok(())
    })
}

// --- errors ---------------------------------------------------------------------------------

/// `panic e` (§3.14.2): raises an error whose message is `D(e)`, or `panic` when `e` is null.
/// Always returns `STATUS_ERROR`.
#[no_mangle]
pub unsafe extern "C" fn solvra_panic(v: *const Value) -> i32 {
    let message = if v.is_null() {
        Ok("panic".to_string())
    } else {
        let v = *v;
        catch_unwind(AssertUnwindSafe(|| display::display(v)))
    };
    let message = message.unwrap_or_else(|_| "panic".to_string());
    error::set_pending(RtError::new(message));
    STATUS_ERROR
}

/// Raises a runtime error with a (ptr, len) UTF-8 message (e.g. `stack overflow` detected by
/// compiled code). Always returns `STATUS_ERROR`.
#[no_mangle]
pub unsafe extern "C" fn solvra_error_raise(msg: *const u8, len: usize) -> i32 {
    let message = match text(msg, len) {
        Ok(t) => t.to_string(),
        Err(e) => e.message,
    };
    error::set_pending(RtError::new(message));
    STATUS_ERROR
}

/// 1 if a runtime error is pending, else 0 (the error stays pending).
#[no_mangle]
pub extern "C" fn solvra_error_pending() -> i32 {
    match error::take_pending() {
        Some(e) => {
            error::set_pending(e);
            1
        }
        None => 0,
    }
}

/// Takes the pending error as the string `catch e` binds. Returns 1 and writes `out` if an
/// error was pending, 0 (and leaves `out` alone) if none was. If the string cannot be
/// allocated (heap limit), that new error becomes the pending one and 1 is returned with
/// `out` = null.
#[no_mangle]
pub unsafe extern "C" fn solvra_take_error(out: *mut Value) -> i32 {
    let e = match error::take_pending() {
        Some(e) => e,
        None => return 0,
    };
    match catch_unwind(AssertUnwindSafe(|| string::new(&e.message))) {
        Ok(Ok(v)) => *out = v,
        Ok(Err(oom)) => {
            error::set_pending(oom);
            *out = Value::NULL;
        }
        Err(_) => *out = Value::NULL,
    }
    1
}

/// Takes the pending error's message into `buf` (at most `cap` bytes, cut at a character
/// boundary, not NUL-terminated). Returns the number of bytes written, 0 when no error was
/// pending. The error is cleared either way.
#[no_mangle]
pub unsafe extern "C" fn solvra_take_error_message(buf: *mut u8, cap: usize) -> usize {
    let e = match error::take_pending() {
        Some(e) => e,
        None => return 0,
    };
    let msg = e.message.as_str();
    let mut n = msg.len().min(cap);
    while n > 0 && !msg.is_char_boundary(n) {
        n -= 1;
    }
    if n > 0 {
        std::ptr::copy_nonoverlapping(msg.as_ptr(), buf, n);
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use crate::value::Tag;

    #[test]
    fn names_are_unique_and_prefixed() {
        for (i, f) in ABI.iter().enumerate() {
            assert!(f.name.starts_with("solvra_"), "{}", f.name);
            assert!(!f.addr.is_null());
            assert!(
                ABI[i + 1..].iter().all(|g| g.name != f.name),
                "{} is listed twice",
                f.name
            );
            assert!(!f.params.contains(&Void), "{}: void parameter", f.name);
        }
        assert!(find("solvra_add").is_some());
        let decls = c_declarations();
        assert!(
            decls.contains("int32_t solvra_add(void *, void *, void *);"),
            "{decls}"
        );
        assert!(
            decls.contains("void solvra_int(void *, int64_t);"),
            "{decls}"
        );
        assert!(decls.contains("int32_t solvra_rt_finish(void);"), "{decls}");
    }

    #[test]
    fn operators_through_the_abi() {
        rooted(|| unsafe {
            let mut out = Value::NULL;
            let (a, b) = (Value::int(40), Value::int(2));
            assert_eq!(solvra_add(&mut out, &a, &b), STATUS_OK);
            assert_eq!(d(out), "42");
            let s = s("x=");
            assert_eq!(solvra_add(&mut out, &s, &a), STATUS_OK);
            assert_eq!(d(out), "x=40");
            // `out` may alias an operand.
            let mut acc = Value::int(1);
            let acc_ptr: *mut Value = &mut acc;
            assert_eq!(solvra_mul(acc_ptr, acc_ptr, &b), STATUS_OK);
            assert_eq!(acc.as_int(), 2);
            let zero = Value::int(0);
            assert_eq!(solvra_div(&mut out, &a, &zero), STATUS_ERROR);
            assert_eq!(solvra_error_pending(), 1);
            let mut msg = Value::NULL;
            assert_eq!(solvra_take_error(&mut msg), 1);
            assert_eq!(d(msg), "division by zero");
            assert_eq!(solvra_error_pending(), 0);
            assert_eq!(solvra_take_error(&mut msg), 0);
            assert_eq!(solvra_lt(&mut out, &a, &b), STATUS_OK);
            assert_eq!(d(out), "false");
            assert_eq!(solvra_lt(&mut out, &a, &s), STATUS_ERROR);
            let mut buf = [0u8; 64];
            let n = solvra_take_error_message(buf.as_mut_ptr(), buf.len());
            assert_eq!(
                std::str::from_utf8(&buf[..n]).unwrap(),
                "unsupported operand types for <: int and string"
            );
            assert_eq!(solvra_eq(&mut out, &s, &s), STATUS_OK);
            assert!(out.as_bool());
            assert_eq!(solvra_truthy(&zero), 0);
            assert_eq!(solvra_truthy(&s), 1);
            assert_eq!(solvra_neg(&mut out, &s), STATUS_ERROR);
            let n = solvra_take_error_message(buf.as_mut_ptr(), 8);
            assert_eq!(&buf[..n], b"unsuppor");
        })
    }

    #[test]
    fn containers_strings_and_calls_through_the_abi() {
        rooted(|| unsafe {
            let mut out = Value::NULL;
            let text = "héllo";
            assert_eq!(
                solvra_string_new(&mut out, text.as_ptr(), text.len()),
                STATUS_OK
            );
            assert_eq!(d(out), "héllo");
            let bad = [0xffu8, 0xfe];
            assert_eq!(solvra_string_new(&mut out, bad.as_ptr(), 2), STATUS_ERROR);
            assert_eq!(solvra_take_error_message(std::ptr::null_mut(), 0), 0);

            let items = [Value::int(1), Value::int(2)];
            let mut arr = Value::NULL;
            assert_eq!(solvra_array_new(&mut arr, items.as_ptr(), 2), STATUS_OK);
            let three = Value::int(3);
            assert_eq!(solvra_array_push(&mut arr, &three), STATUS_OK);
            assert_eq!(d(arr), "[1, 2, 3]");
            let idx = Value::int(-1);
            assert_eq!(solvra_index_get(&mut out, &arr, &idx), STATUS_OK);
            assert_eq!(d(out), "3");
            let nine = Value::int(9);
            let alias = arr;
            solvra_share(&alias);
            assert_eq!(solvra_index_set(&mut arr, &idx, &nine), STATUS_OK);
            assert_eq!(d(arr), "[1, 2, 9]");
            assert_eq!(d(alias), "[1, 2, 3]", "a shared array is copied");
            let (lo, null) = (Value::int(1), Value::NULL);
            assert_eq!(solvra_slice(&mut out, &arr, &lo, &null, &null), STATUS_OK);
            assert_eq!(d(out), "[2, 9]");

            let mut obj = Value::NULL;
            assert_eq!(solvra_object_new(&mut obj, 2), STATUS_OK);
            let key = "name";
            assert_eq!(
                solvra_member_set(&obj, key.as_ptr(), key.len(), &arr),
                STATUS_OK
            );
            assert_eq!(
                solvra_member_get(&mut out, &obj, key.as_ptr(), key.len()),
                STATUS_OK
            );
            assert_eq!(d(out), "[1, 2, 9]");
            assert_eq!(
                solvra_member_get(&mut out, &arr, key.as_ptr(), key.len()),
                STATUS_ERROR
            );
            assert_eq!(solvra_take_error(&mut out), 1);
            assert_eq!(d(out), "cannot access member 'name' on array");

            let mut cell = Value::NULL;
            assert_eq!(solvra_cell_new(&mut cell, &three), STATUS_OK);
            solvra_cell_set(&cell, &nine);
            solvra_cell_get(&mut out, &cell);
            assert_eq!(d(out), "9");

            let len = table::lookup("len").unwrap().0 as u32;
            assert_eq!(solvra_call_builtin(&mut out, len, &arr, 1), STATUS_OK);
            assert_eq!(d(out), "3");
            assert_eq!(
                solvra_call_builtin(&mut out, len, std::ptr::null(), 0),
                STATUS_ERROR
            );
            assert_eq!(solvra_take_error(&mut out), 1);
            assert_eq!(d(out), "len: expects 1 argument, got 0");
            assert_eq!(
                solvra_call_builtin(&mut out, 60_000, std::ptr::null(), 0),
                STATUS_ERROR
            );
            let _ = error::take_pending();
            let f = builtins::value_of(table::lookup("len").unwrap()).unwrap();
            assert_eq!(solvra_call_value(&mut out, &f, &obj, 1), STATUS_OK);
            assert_eq!(d(out), "1");

            assert_eq!(solvra_display(&mut out, &obj), STATUS_OK);
            assert_eq!(d(out), "{name: [1, 2, 9]}");
            let printed = stdout::capture(|| {
                solvra_print_value(&obj, 1);
                solvra_print_value(&three, 0);
            });
            assert_eq!(printed, "{name: [1, 2, 9]}\n3");

            assert_eq!(solvra_panic(&three), STATUS_ERROR);
            assert_eq!(error::take_pending().unwrap().message, "3");
            assert_eq!(solvra_panic(std::ptr::null()), STATUS_ERROR);
            assert_eq!(error::take_pending().unwrap().message, "panic");
            let m = "stack overflow";
            assert_eq!(solvra_error_raise(m.as_ptr(), m.len()), STATUS_ERROR);
            assert_eq!(error::take_pending().unwrap().message, m);
            keep(obj);
            keep(alias);
        })
    }

    #[test]
    fn raw_allocation_through_the_abi() {
        rooted(|| unsafe {
            let st = solvra_heap_state();
            assert_eq!(st, heap::alloc_state());
            let c = solvra_alloc_fast(ObjKind::Cell as u32, 24);
            assert!(!c.is_null());
            assert_eq!((*c).kind, ObjKind::Cell);
            let v = Value::heap(Tag::Cell, c);
            assert!(function::cell_get(v).is_null());
            let s = s("in a raw cell");
            function::cell_set(v, s);
            solvra_collect();
            assert_eq!(d(function::cell_get(v)), "in a raw cell");
            let big = solvra_alloc_slow(ObjKind::Cell as u32, 1000);
            assert!((*big).is_large());
            assert!(solvra_alloc_fast(ObjKind::Str as u32, 32).is_null());
            assert!(error::take_pending()
                .unwrap()
                .message
                .starts_with("internal error"));
            assert!(solvra_alloc_slow(99, 32).is_null());
            assert_eq!(
                error::take_pending().unwrap().message,
                "internal error: no heap object kind 99"
            );
            let keep_me = s;
            solvra_set_max_heap(16);
            assert!(solvra_alloc_slow(ObjKind::Cell as u32, 32).is_null());
            assert_eq!(
                error::take_pending().unwrap().message,
                "out of memory: heap limit 16 bytes exceeded"
            );
            solvra_set_max_heap(0);
            let mut globals = [Value::NULL; 2];
            solvra_root_range_add(globals.as_ptr(), 2);
            assert_eq!(
                solvra_string_new(&mut globals[1], "g".as_ptr(), 1),
                STATUS_OK
            );
            solvra_collect();
            assert_eq!(d(globals[1]), "g");
            solvra_root_range_remove(globals.as_ptr());
            keep(v);
            keep(keep_me);
            keep(Value::heap(Tag::Cell, big));
        })
    }
}
