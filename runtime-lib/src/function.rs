//! Function values (§3.12.1): user functions and lambdas with their captured cells, and
//! builtins as first-class values.
//!
//! User code is registered once per loaded function in the function table (`FnTable`) by the
//! tier that loaded it; a function value names its table entry and carries the cells it
//! captured (§3.3.3: captured variables are shared by reference, so each is a heap `Cell`).
//! Because every call goes through the table, a tier can replace an entry (interpreter → JIT)
//! without changing any function value.

use crate::builtins::table::BuiltinId;
use crate::cvec::CVec;
use crate::error::RtResult;
use crate::heap::{self, GcHeader, HeapObject, ObjKind};
use crate::value::{Tag, Value};
use std::cell::RefCell;

/// Index of a user function in the function table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FnId(pub u32);

/// What the runtime knows about a user function.
#[derive(Clone, Debug)]
pub struct FnInfo {
    /// `None` for lambdas and anonymous function expressions (displayed `<function>`).
    pub name: Option<String>,
    /// Number of declared parameters.
    pub params: u32,
    /// Parameters without a default (a prefix of the list).
    pub required: u32,
    /// The first parameter is named `self` (method receiver rule, §3.12.5).
    pub self_first: bool,
    pub is_async: bool,
    /// Opaque data of the tier that runs the function (e.g. its bytecode).
    pub code: usize,
}

/// What a call of a user function needs, copied out of the table in one lookup: every call
/// from compiled code reads it (`aot::call`).
#[derive(Clone, Copy, Debug)]
pub struct CallInfo {
    /// The native entry (`aot::NativeFn`), 0 while there is none: set when compiled code
    /// registers itself, and when the JIT compiles a function the interpreter loaded (the
    /// tier swap).
    pub native: usize,
    pub params: u32,
    pub required: u32,
    pub self_first: bool,
    pub is_async: bool,
}

impl CallInfo {
    /// Whether `argc` arguments fit the parameters (`check_arity` says how they do not).
    #[inline]
    pub fn accepts(&self, argc: u32) -> bool {
        argc <= self.params && argc >= self.required
    }
}

thread_local! {
    static TABLE: RefCell<Vec<FnInfo>> = const { RefCell::new(Vec::new()) };
    /// `CallInfo` of each entry of `TABLE`, kept beside it so `FnInfo` stays the tier's
    /// description.
    static CALLS: RefCell<Vec<CallInfo>> = const { RefCell::new(Vec::new()) };
}

/// Adds a function to the table.
pub fn register(info: FnInfo) -> FnId {
    TABLE.with(|t| {
        let mut t = t.borrow_mut();
        CALLS.with(|c| {
            c.borrow_mut().push(CallInfo {
                native: 0,
                params: info.params,
                required: info.required,
                self_first: info.self_first,
                is_async: info.is_async,
            })
        });
        t.push(info);
        FnId(t.len() as u32 - 1)
    })
}

/// Gives function `id` a native entry: from now on calls through the table run it.
pub fn set_native(id: FnId, entry: usize) {
    CALLS.with(|c| c.borrow_mut()[id.0 as usize].native = entry);
}

/// What calling function `id` needs.
#[inline]
pub fn call_info(id: FnId) -> CallInfo {
    CALLS.with(|c| c.borrow()[id.0 as usize])
}

/// The native entry of function `id`, or 0 if it runs in the interpreter.
#[inline]
pub fn native(id: FnId) -> usize {
    call_info(id).native
}

/// The tier's code handle of a function (`FnInfo::code`), without copying its entry.
#[inline]
pub fn code(id: FnId) -> usize {
    TABLE.with(|t| t.borrow()[id.0 as usize].code)
}

/// Checks a user function's argument count (§3.12.2): too many, or a missing argument without
/// a default, is `function 'NAME' expects N argument(s), got M` (C4). One wording for every tier.
pub fn check_arity(
    name: Option<&str>,
    params: u32,
    required: u32,
    argc: u32,
) -> crate::error::RtResult<()> {
    if argc > params || argc < required {
        return Err(crate::error::RtError::new(format!(
            "function '{}' expects {params} argument{}, got {argc}",
            name.unwrap_or("<lambda>"),
            if params == 1 { "" } else { "s" }
        )));
    }
    Ok(())
}

/// Checks a call of function `id` with `argc` arguments (`check_arity`) without copying its
/// entry; returns whether it is an `async fn`.
pub fn check_call(id: FnId, argc: u32) -> crate::error::RtResult<bool> {
    TABLE.with(|t| {
        let t = t.borrow();
        let info = &t[id.0 as usize];
        check_arity(info.name.as_deref(), info.params, info.required, argc)?;
        Ok(info.is_async)
    })
}

/// Whether a function's first parameter is `self` (§3.12.5).
#[inline]
pub fn self_first(id: FnId) -> bool {
    call_info(id).self_first
}

pub enum Callee {
    User(FnId),
    Builtin(BuiltinId),
}

/// `#[repr(C)]` with the cells first, then `fast`: compiled code reads a closure's captured
/// cells and calls the function directly (docs/MEMORY_MODEL.md, "Layouts compiled code reads").
#[repr(C)]
pub struct FunctionObj {
    pub cells: CVec<Value>,
    pub fast: FastCall,
    pub callee: Callee,
}

/// What compiled code needs to call a function value without the runtime, doing on its way
/// what `aot::call` would: `entry` is the native entry (`aot::NativeFn`) of a user function
/// that is neither `async` nor the entry module's `main` (whose call the runtime notes), or 0
/// when calls must go through the runtime — builtins, those functions, functions the
/// interpreter runs (made before the JIT compiled them), and arities beyond `FAST_ARITY_MAX`.
/// `arity` packs `params | required << 15 | self_first << 30`, so it fits a 32-bit word.
#[repr(C)]
pub struct FastCall {
    pub entry: usize,
    pub arity: usize,
}

/// The largest parameter count `FastCall::arity` holds.
pub const FAST_ARITY_MAX: u32 = (1 << 15) - 1;

impl FastCall {
    const NONE: FastCall = FastCall { entry: 0, arity: 0 };

    fn of(id: FnId) -> FastCall {
        let info = call_info(id);
        if info.native == 0
            || info.is_async
            || info.params > FAST_ARITY_MAX
            || crate::aot::is_main(id)
        {
            return FastCall::NONE;
        }
        let arity = info.params | info.required << 15 | (info.self_first as u32) << 30;
        FastCall {
            entry: info.native,
            arity: arity as usize,
        }
    }
}

impl HeapObject for FunctionObj {
    const KIND: ObjKind = ObjKind::Function;
}

impl FunctionObj {
    /// Where a closure's cells live: right after the payload, in the same allocation
    /// (`new_user`), since they never change after it is made.
    fn inline_cells(&self) -> *mut Value {
        // SAFETY: one past the payload is inside or at the end of the object's allocation.
        unsafe { (self as *const FunctionObj).add(1) as *mut Value }
    }
}

impl Drop for FunctionObj {
    fn drop(&mut self) {
        let inline = self.inline_cells();
        self.cells.release_borrowed(inline);
    }
}

/// A captured variable; compiled code reads and writes `value` directly.
#[repr(C)]
pub struct CellObj {
    pub value: Value,
}

impl HeapObject for CellObj {
    const KIND: ObjKind = ObjKind::Cell;
}

/// Allocates the cell of a captured variable.
pub fn new_cell(value: Value) -> RtResult<Value> {
    let ptr = heap::alloc(CellObj { value })?;
    Ok(Value::heap(Tag::Cell, ptr as *mut GcHeader))
}

fn cell<'a>(cell: Value) -> &'a mut CellObj {
    debug_assert_eq!(cell.tag, Tag::Cell);
    // SAFETY: a `Cell` value points at a live `CellObj`.
    unsafe { heap::payload::<CellObj>(cell.ptr()) }
}

pub fn cell_get(c: Value) -> Value {
    cell(c).value
}

pub fn cell_set(c: Value, value: Value) {
    crate::array::share(value);
    cell(c).value = value;
}

/// A user function value with its captured cells, copied into the function object itself: a
/// closure is one allocation.
pub fn new_user(id: FnId, cells: &[Value]) -> RtResult<Value> {
    let f = FunctionObj {
        cells: CVec::new(),
        fast: FastCall::of(id),
        callee: Callee::User(id),
    };
    let bytes = std::mem::size_of_val(cells);
    let ptr = heap::alloc_with_tail(f, bytes, |f, at| {
        // SAFETY: the tail has room for the cells, which are values copied bit for bit, and
        // holds them for as long as the function lives.
        unsafe {
            std::ptr::copy_nonoverlapping(cells.as_ptr(), at as *mut Value, cells.len());
            f.cells = CVec::borrowed(at as *mut Value, cells.len());
            f.cells.set_len(cells.len());
        }
    })?;
    Ok(Value::heap(Tag::Function, ptr as *mut GcHeader))
}

pub fn new_builtin(id: BuiltinId) -> RtResult<Value> {
    let ptr = heap::alloc(FunctionObj {
        cells: CVec::new(),
        fast: FastCall::NONE,
        callee: Callee::Builtin(id),
    })?;
    Ok(Value::heap(Tag::Function, ptr as *mut GcHeader))
}

pub fn obj<'a>(v: Value) -> &'a mut FunctionObj {
    debug_assert_eq!(v.tag, Tag::Function);
    // SAFETY: a `Function` value points at a live `FunctionObj`.
    unsafe { heap::payload::<FunctionObj>(v.ptr()) }
}

/// The display name: `<function NAME>` or `<function>` (§3.16).
pub fn display_name(v: Value) -> Option<String> {
    match obj(v).callee {
        Callee::User(id) => TABLE.with(|t| t.borrow()[id.0 as usize].name.clone()),
        Callee::Builtin(b) => Some(b.get().name.to_string()),
    }
}

/// GC: captured cells.
///
/// # Safety
/// `obj` must be a live function.
pub unsafe fn trace(obj: *mut GcHeader, visit: &mut dyn FnMut(Value)) {
    for v in &heap::payload::<FunctionObj>(obj).cells {
        visit(*v);
    }
}

/// GC: a cell's value.
///
/// # Safety
/// `obj` must be a live cell.
pub unsafe fn trace_cell(obj: *mut GcHeader, visit: &mut dyn FnMut(Value)) {
    visit(heap::payload::<CellObj>(obj).value);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::collect;
    use crate::testutil::{d, keep, rooted, s, user_fn};

    #[test]
    fn closures_keep_their_cells_inside_and_alive() {
        rooted(|| {
            // The cells are made in a Rust vector, which the collector does not scan.
            crate::heap::set_stress(false);
            let id = match obj(user_fn("f", 0)).callee {
                Callee::User(id) => id,
                Callee::Builtin(_) => unreachable!(),
            };
            // Only the closure refers to the cells and their strings.
            let cells: Vec<Value> = (0..3)
                .map(|i| new_cell(s(&format!("cell {i}"))).unwrap())
                .collect();
            let f = new_user(id, &cells).unwrap();
            drop(cells);
            collect();
            let kept: Vec<String> = obj(f).cells.iter().map(|c| d(cell_get(*c))).collect();
            assert_eq!(kept, ["cell 0", "cell 1", "cell 2"]);
            let plain = new_user(id, &[]).unwrap();
            assert!(obj(plain).cells.is_empty());
            keep(f);
            keep(plain);
        })
    }
}
