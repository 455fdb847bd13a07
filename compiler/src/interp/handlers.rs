//! One small function per kind of pre-decoded entry (`quick::Ins`), reached through the
//! function pointer the entry carries (`quick::Entry`): the run loop (`exec.rs`) makes one
//! indirect call per entry instead of one `match` over every kind, so a specialised entry costs
//! nothing to the others and each handler gets the registers to itself.
//!
//! A handler either completes its fast path, which cannot fail, and returns the next pc, or
//! changes nothing and returns `PLAIN`: the run loop then executes the instruction at `pc` the
//! ordinary way (`plain.rs`), which raises the error if there is one. `FRAMES` and `STOP` say
//! that the frame stack changed (a call or a return).

use super::kinds::{kind, ANY, CONST, GLOBAL, INT, LOCAL, STACK};
use super::quick::{fast_index_get, fast_index_set, truthy, Dst, Ins, Src};
use super::{arith, Interp, UNINIT};
use solvra_rt::object::{self, MISSING_SLOT};
use solvra_rt::{array, string, Tag, Value};

/// What the entry at `pc` of the current frame does (`base` is its local slot 0, `module` and
/// `func` its function's module and bytecode function).
pub(crate) type Handler = fn(&mut Interp, &Ins, usize, usize, usize, u32) -> usize;

/// Run the instruction at `pc` the ordinary way.
pub(crate) const PLAIN: usize = usize::MAX;
/// The frame stack changed (a call or a return): reload the current frame.
pub(crate) const FRAMES: usize = usize::MAX - 1;
/// A stop frame returned; its result is on top of the stack.
pub(crate) const STOP: usize = usize::MAX - 2;

/// The handler of `ins`.
pub(crate) fn pick(ins: &Ins) -> Handler {
    match *ins {
        Ins::Plain => |_, _, _, _, _, _| PLAIN,
        Ins::Arith { .. } => arith::pick(ins),
        Ins::Move { src, share, .. } => match (kind(src), share) {
            (LOCAL, false) => moved::<LOCAL, false>,
            (GLOBAL, false) => moved::<GLOBAL, false>,
            (INT, false) => moved::<INT, false>,
            (CONST, false) => moved::<CONST, false>,
            (LOCAL, true) => moved::<LOCAL, true>,
            (GLOBAL, true) => moved::<GLOBAL, true>,
            (_, false) => moved::<ANY, false>,
            (_, true) => moved::<ANY, true>,
        },
        Ins::Move2 { src, .. } => match kind(src) {
            LOCAL => move2::<LOCAL>,
            GLOBAL => move2::<GLOBAL>,
            INT => move2::<INT>,
            _ => move2::<ANY>,
        },
        Ins::Load { src, share } => match (kind(src), share) {
            (LOCAL, false) => load::<LOCAL, false>,
            (GLOBAL, false) => load::<GLOBAL, false>,
            (INT, false) => load::<INT, false>,
            (CONST, false) => load::<CONST, false>,
            (LOCAL, true) => load::<LOCAL, true>,
            (GLOBAL, true) => load::<GLOBAL, true>,
            (_, false) => load::<ANY, false>,
            (_, true) => load::<ANY, true>,
        },
        Ins::Jump { .. } => jump,
        Ins::JumpIf { .. } => jump_if,
        Ins::Store { .. } => store,
        Ins::Share => share,
        Ins::Not => not,
        Ins::IterNext { .. } => iter_next,
        Ins::Pop => pop,
        Ins::Call { .. } => call,
        Ins::Return { .. } => ret,
        Ins::Member { src, .. } => match kind(src) {
            STACK => member::<STACK>,
            LOCAL => member::<LOCAL>,
            _ => member::<ANY>,
        },
        Ins::MemberSet { .. } => member_set,
        Ins::InitField => init_field,
        Ins::Builtin { .. } => builtin,
        Ins::Index { c, i, .. } => match (kind(c), kind(i)) {
            (STACK, LOCAL) => index::<STACK, LOCAL>,
            (STACK, GLOBAL) => index::<STACK, GLOBAL>,
            (STACK, INT) => index::<STACK, INT>,
            (STACK, _) => index::<STACK, ANY>,
            (LOCAL, LOCAL) => index::<LOCAL, LOCAL>,
            (LOCAL, GLOBAL) => index::<LOCAL, GLOBAL>,
            (LOCAL, INT) => index::<LOCAL, INT>,
            (GLOBAL, LOCAL) => index::<GLOBAL, LOCAL>,
            (GLOBAL, GLOBAL) => index::<GLOBAL, GLOBAL>,
            (GLOBAL, INT) => index::<GLOBAL, INT>,
            _ => index::<ANY, ANY>,
        },
        Ins::IndexSet { c, i, .. } => match (kind(c), kind(i)) {
            (LOCAL, LOCAL) => index_set::<LOCAL, LOCAL>,
            (LOCAL, GLOBAL) => index_set::<LOCAL, GLOBAL>,
            (GLOBAL, LOCAL) => index_set::<GLOBAL, LOCAL>,
            (GLOBAL, GLOBAL) => index_set::<GLOBAL, GLOBAL>,
            _ => index_set::<ANY, ANY>,
        },
    }
}

/// Returns from the current frame with `v`.
#[inline(always)]
pub(super) fn leave(it: &mut Interp, v: Value) -> usize {
    if it.ret(v) {
        STOP
    } else {
        FRAMES
    }
}

fn moved<const K: u8, const SHARE: bool>(
    it: &mut Interp,
    ins: &Ins,
    pc: usize,
    base: usize,
    module: usize,
    _: u32,
) -> usize {
    let Ins::Move { src, dst, .. } = *ins else {
        return PLAIN;
    };
    let v = operand!(K, src, it, base, module);
    if !it.store(dst, v, 0, base, module) {
        return PLAIN;
    }
    if SHARE {
        array::share(v);
    }
    pc + 2 + SHARE as usize
}

/// Two moves; if only the first can be made, the second is left to its own entry at `pc + 2`.
fn move2<const K: u8>(
    it: &mut Interp,
    ins: &Ins,
    pc: usize,
    base: usize,
    module: usize,
    _: u32,
) -> usize {
    let Ins::Move2 {
        src,
        dst,
        src2,
        dst2,
    } = *ins
    else {
        return PLAIN;
    };
    let v = operand!(K, src, it, base, module);
    if !it.store(dst, v, 0, base, module) {
        return PLAIN;
    }
    match it.load(src2, base, module) {
        Some(v) if it.store(dst2, v, 0, base, module) => pc + 4,
        _ => pc + 2,
    }
}

fn load<const K: u8, const SHARE: bool>(
    it: &mut Interp,
    ins: &Ins,
    pc: usize,
    base: usize,
    module: usize,
    _: u32,
) -> usize {
    let Ins::Load { src, .. } = *ins else {
        return PLAIN;
    };
    let v = operand!(K, src, it, base, module);
    if !it.room() {
        return PLAIN;
    }
    if SHARE {
        array::share(v);
    }
    it.stack.push(v);
    pc + 1 + SHARE as usize
}

fn jump(it: &mut Interp, ins: &Ins, _: usize, _: usize, _: usize, func: u32) -> usize {
    let Ins::Jump { target, back } = *ins else {
        return PLAIN;
    };
    if back && it.tier.is_some() {
        it.heat(func); // a loop's back edge
    }
    target as usize
}

fn jump_if(it: &mut Interp, ins: &Ins, pc: usize, _: usize, _: usize, _: u32) -> usize {
    let Ins::JumpIf { target, when, len } = *ins else {
        return PLAIN;
    };
    if truthy(it.pop()) == when {
        target as usize
    } else {
        pc + len as usize
    }
}

fn store(it: &mut Interp, ins: &Ins, pc: usize, base: usize, module: usize, _: u32) -> usize {
    let Ins::Store { dst, share } = *ins else {
        return PLAIN;
    };
    let v = it.top();
    if !it.store(dst, v, 1, base, module) {
        return PLAIN;
    }
    if share {
        array::share(v);
    }
    pc + 1 + share as usize
}

fn share(it: &mut Interp, _: &Ins, pc: usize, _: usize, _: usize, _: u32) -> usize {
    array::share(it.top());
    pc + 1
}

fn not(it: &mut Interp, _: &Ins, pc: usize, _: usize, _: usize, _: u32) -> usize {
    let top = it.stack.last_mut().expect("verified stack depth");
    *top = Value::bool(!truthy(*top));
    pc + 1
}

fn iter_next(it: &mut Interp, ins: &Ins, pc: usize, base: usize, _: usize, _: u32) -> usize {
    let Ins::IterNext { slot, target } = *ins else {
        return PLAIN;
    };
    let at = base + slot as usize;
    let (items, index) = (it.stack[at], it.stack[at + 1]);
    if !it.room() || items.tag != Tag::Array || index.tag != Tag::Int || index.as_int() < 0 {
        return PLAIN;
    }
    let i = index.as_int() as usize;
    let arr = array::obj(items);
    if i >= arr.len() {
        return target as usize;
    }
    let item = arr.get(i);
    array::share(item);
    it.stack[at + 1] = Value::int(i as i64 + 1);
    it.stack.push(item);
    pc + 1
}

fn pop(it: &mut Interp, _: &Ins, pc: usize, _: usize, _: usize, _: u32) -> usize {
    it.stack.pop();
    pc + 1
}

fn call(it: &mut Interp, ins: &Ins, pc: usize, _: usize, _: usize, _: u32) -> usize {
    let Ins::Call { argc } = *ins else {
        return PLAIN;
    };
    let fi = it.frames.len() - 1;
    if it.enter(argc) {
        it.frames[fi].pc = pc + 1;
        return FRAMES;
    }
    PLAIN
}

fn ret(it: &mut Interp, ins: &Ins, _: usize, base: usize, module: usize, _: u32) -> usize {
    let Ins::Return { src, share, .. } = *ins else {
        return PLAIN;
    };
    let v = match src {
        Src::Stack => it.pop(),
        src => match it.load(src, base, module) {
            Some(v) => v,
            None => return PLAIN,
        },
    };
    if share {
        array::share(v);
    }
    leave(it, v)
}

fn member<const K: u8>(
    it: &mut Interp,
    ins: &Ins,
    pc: usize,
    base: usize,
    module: usize,
    func: u32,
) -> usize {
    let Ins::Member { src, len, .. } = *ins else {
        return PLAIN;
    };
    let o = match K {
        STACK => it.top(),
        _ => operand!(K, src, it, base, module),
    };
    if o.tag != Tag::Object || (K != STACK && !it.room()) {
        return PLAIN;
    }
    // Only the cache hit is made here (as `ObjectObj::get_cached` makes it); a miss goes on in
    // another function (a jump, not a call), so this one calls nothing and saves no registers.
    let (obj, cache) = (
        object::obj(o),
        &it.caches[func as usize][pc + len as usize - 1],
    );
    if !std::ptr::eq(obj.shape, cache.shape) {
        return member_miss(it, ins, pc, base, module, func);
    }
    let v = match cache.slot {
        MISSING_SLOT => Value::NULL,
        slot => obj.slots[slot],
    };
    match K {
        STACK => *it.stack.last_mut().expect("verified stack depth") = v,
        _ => it.stack.push(v),
    }
    pc + len as usize
}

/// `member` when the site's cache does not hold the object's shape: the runtime's lookup, which
/// fills the cache.
#[inline(never)]
fn member_miss(
    it: &mut Interp,
    ins: &Ins,
    pc: usize,
    base: usize,
    module: usize,
    func: u32,
) -> usize {
    let Ins::Member { src, key, len } = *ins else {
        return PLAIN;
    };
    let o = match src {
        Src::Stack => it.top(),
        src => it.load(src, base, module).unwrap_or(Value::NULL),
    };
    if o.tag != Tag::Object || (src != Src::Stack && !it.room()) {
        return PLAIN;
    }
    let name = string::as_str(it.consts[key as usize]);
    let cache = &mut it.caches[func as usize][pc + len as usize - 1];
    let v = object::obj(o).get_cached(name, cache);
    match src {
        Src::Stack => *it.stack.last_mut().expect("verified stack depth") = v,
        _ => it.stack.push(v),
    }
    pc + len as usize
}

/// A field write to an object through the inline cache of its `MemberSet`.
fn member_set(
    it: &mut Interp,
    ins: &Ins,
    pc: usize,
    base: usize,
    module: usize,
    func: u32,
) -> usize {
    let Ins::MemberSet { o, v, dst, len, .. } = *ins else {
        return PLAIN;
    };
    let Some((ov, vv, popped)) = it.operands(o, v, base, module) else {
        return PLAIN;
    };
    // Only the cache hit is made here (as `ObjectObj::set_cached` makes it: a `null` value
    // removes the field); a miss is left to the ordinary path, which fills the cache. Field
    // writes to objects of changing shapes are rare, unlike reads (`t.l == null` on a leaf).
    if ov.tag != Tag::Object || vv.is_null() || !it.can_store(dst, module) {
        return PLAIN;
    }
    let at = pc + len as usize - 1 - dst.is_some() as usize;
    let (obj, cache) = (object::obj(ov), &it.caches[func as usize][at]);
    if !std::ptr::eq(obj.shape, cache.shape) || cache.slot == MISSING_SLOT {
        return PLAIN;
    }
    array::share(vv);
    obj.slots[cache.slot] = vv;
    let n = it.stack.len() - popped;
    it.stack.truncate(n);
    match dst {
        Some(d) => {
            it.store(d, ov, 0, base, module);
        }
        None => it.stack.push(ov),
    }
    pc + len as usize
}

fn init_field(it: &mut Interp, _: &Ins, pc: usize, _: usize, _: usize, func: u32) -> usize {
    let n = it.stack.len();
    let (o, v) = (it.stack[n - 2], it.stack[n - 1]);
    let cache = &it.transitions[func as usize][pc];
    if o.tag == Tag::Object && object::obj(o).add_by_cache(v, cache) {
        it.stack.pop();
        return pc + 1;
    }
    PLAIN
}

fn builtin(it: &mut Interp, ins: &Ins, pc: usize, _: usize, _: usize, _: u32) -> usize {
    let Ins::Builtin { id } = *ins else {
        return PLAIN;
    };
    let v = it.builtins[id as usize];
    if v.is_null() || !it.room() {
        return PLAIN;
    }
    it.stack.push(v);
    pc + 1
}

fn index<const C: u8, const I: u8>(
    it: &mut Interp,
    ins: &Ins,
    pc: usize,
    base: usize,
    module: usize,
    _: u32,
) -> usize {
    let Ins::Index { c, i, len } = *ins else {
        return PLAIN;
    };
    let n = it.stack.len();
    let (cv, iv) = match C {
        STACK => (it.stack[n - 1], operand!(I, i, it, base, module)),
        _ => (
            operand!(C, c, it, base, module),
            operand!(I, i, it, base, module),
        ),
    };
    let Some(v) = fast_index_get(cv, iv) else {
        return PLAIN;
    };
    if C != STACK && !it.room() {
        return PLAIN;
    }
    match C {
        STACK => it.stack[n - 1] = v,
        _ => it.stack.push(v),
    }
    pc + len as usize
}

/// An element write that changes neither the array's sharing nor its storage.
fn index_set<const C: u8, const I: u8>(
    it: &mut Interp,
    ins: &Ins,
    pc: usize,
    base: usize,
    module: usize,
    _: u32,
) -> usize {
    let Ins::IndexSet { c, i, v, dst, len } = *ins else {
        return PLAIN;
    };
    let cv = operand!(C, c, it, base, module);
    let iv = operand!(I, i, it, base, module);
    let vv = operand!(ANY, v, it, base, module);
    if !it.can_store(dst, module) || !fast_index_set(cv, iv, vv) {
        return PLAIN;
    }
    match dst {
        Some(d) => {
            it.store(d, cv, 0, base, module);
        }
        None => it.stack.push(cv),
    }
    pc + len as usize
}

impl Interp {
    /// Whether a push fits the stack's capacity. A handler that would grow the stack leaves the
    /// instruction to the ordinary path instead: with the growth out of the handler, it calls
    /// nothing and saves no registers.
    #[inline(always)]
    pub(super) fn room(&self) -> bool {
        self.stack.len() < self.stack.capacity()
    }

    /// Whether a fused store to `dst` (if any) cannot fail: not an uninitialised global.
    #[inline(always)]
    fn can_store(&self, dst: Option<Dst>, module: usize) -> bool {
        match dst {
            Some(Dst::Global(index)) => self.globals[module][index as usize] != UNINIT,
            _ => true,
        }
    }
}
