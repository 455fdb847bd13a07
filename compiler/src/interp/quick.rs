//! Quickening: an interpreter-private, pre-decoded view of each function's bytecode in which
//! common short sequences (operand loads, an arithmetic or comparison operator, then a store or
//! a conditional jump) are fused into one superinstruction.
//!
//! The view is index-aligned with the bytecode: `quick[pc]` describes the sequence that starts
//! at `pc`, and every other pc keeps its own entry, so a jump into the middle of a fused
//! sequence runs the remaining instructions one by one. A superinstruction only runs its fast
//! path when it cannot fail (int and float operands, initialised globals); otherwise the run
//! loop executes the single instruction at `pc` the ordinary way, so errors, handlers and stack
//! traces see exactly the instruction that raised them. With a cost-meter budget nothing is
//! fused: the meter charges by original instruction (`bytecode::blocks::costs`).

use super::handlers::{self, Handler};
use crate::bytecode::{FunctionCode, Op};
use solvra_rt::array::{self, Storage};
use solvra_rt::{ops, Tag, Value};

/// Where a fused operand comes from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Src {
    /// Already on the operand stack (pushed before the fused sequence).
    Stack,
    Local(u16),
    Global(u32),
    Const(u32),
    Int(i32),
    True,
    False,
    Null,
}

/// A fused binary operator.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Bin {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
}

/// Where a fused sequence stores its result.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Dst {
    Local(u16),
    Global(u32),
}

/// What a fused operator does with its result.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Then {
    Push,
    Store(Dst),
    /// A store, then `Jump` to the target (a loop's step and back edge).
    StoreJump(Dst, u32),
    /// `Return` of the result.
    Return,
    /// `JumpIfFalse`: continue after the sequence if the result is true, else at the target.
    Branch(u32),
}

/// One entry of the pre-decoded view. `len` is the number of bytecode instructions covered.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(u8)]
pub(crate) enum Ins {
    /// Run the bytecode instruction at this pc.
    Plain,
    /// `a; b; op`, then (with `op2`) `op2` applied to the value below on the stack and that
    /// result, then `then`.
    Arith {
        a: Src,
        b: Src,
        op: Bin,
        op2: Option<Bin>,
        then: Then,
        len: u8,
    },
    /// `load; [Share;] store`.
    Move { src: Src, dst: Dst, share: bool },
    /// `load; store; load; store`: two `Move`s in one entry.
    Move2 {
        src: Src,
        dst: Dst,
        src2: Src,
        dst2: Dst,
    },
    /// `load`, then (`share`) `Share`.
    Load { src: Src, share: bool },
    /// `Jump`; `back` for a loop's back edge.
    Jump { target: u32, back: bool },
    /// `[Not;] JumpIfFalse` or `[Not;] JumpIfTrue`: jumps if the value's truthiness is `when`.
    JumpIf { target: u32, when: bool, len: u8 },
    /// `[Share;] store`.
    Store { dst: Dst, share: bool },
    /// `Share`.
    Share,
    /// `Not`.
    Not,
    /// `IterNext slot` over the array `IterPrep` left in the slot.
    IterNext { slot: u16, target: u32 },
    /// `Pop`.
    Pop,
    /// `Call`.
    Call { argc: u16 },
    /// `[load; [Share;]] Return`.
    Return { src: Src, share: bool, len: u8 },
    /// `[load;] MemberGet key` on an object, through the site's inline cache.
    Member { src: Src, key: u32, len: u8 },
    /// `[o; [v;]] MemberSet key`, then a store of the object or (`dst` none) nothing more: a
    /// field write to an object through the site's inline cache.
    MemberSet {
        o: Src,
        v: Src,
        key: u32,
        dst: Option<Dst>,
        len: u8,
    },
    /// `InitField key` that the site's transition cache completes (`ObjectObj::add_by_cache`).
    InitField,
    /// `LoadBuiltin id` of a builtin loaded before.
    Builtin { id: u16 },
    /// `[c;] i; IndexGet` on an array with an index in range.
    Index { c: Src, i: Src, len: u8 },
    /// `c; i; v; IndexSet` (or `c; v; i; Swap; IndexSet`), then a store of the container
    /// or (`dst` none) its push: an element write that changes neither the array's sharing nor
    /// its storage.
    IndexSet {
        c: Src,
        i: Src,
        v: Src,
        dst: Option<Dst>,
        len: u8,
    },
}

/// An entry of the pre-decoded view with the handler that runs it (`handlers.rs`).
#[derive(Clone, Copy)]
pub(crate) struct Entry {
    pub run: Handler,
    pub ins: Ins,
}

/// The pre-decoded view of `f` (all `Plain` when `fuse` is false).
pub(crate) fn quicken(f: &FunctionCode, fuse: bool) -> Vec<Entry> {
    let code = &f.code;
    (0..code.len())
        .map(|pc| {
            let ins = if fuse {
                fused(&code[pc..], pc)
            } else {
                Ins::Plain
            };
            Entry {
                run: handlers::pick(&ins),
                ins,
            }
        })
        .collect()
}

fn src(op: Op) -> Option<Src> {
    Some(match op {
        Op::LoadLocal { slot } => Src::Local(slot),
        Op::LoadGlobal { index } => Src::Global(index),
        Op::Const { index } => Src::Const(index),
        Op::Int { value } => Src::Int(value),
        Op::True => Src::True,
        Op::False => Src::False,
        Op::Null => Src::Null,
        _ => return None,
    })
}

fn bin(op: Op) -> Option<Bin> {
    Some(match op {
        Op::Add => Bin::Add,
        Op::Sub => Bin::Sub,
        Op::Mul => Bin::Mul,
        Op::Div => Bin::Div,
        Op::Rem => Bin::Rem,
        Op::Lt => Bin::Lt,
        Op::Le => Bin::Le,
        Op::Gt => Bin::Gt,
        Op::Ge => Bin::Ge,
        Op::Eq => Bin::Eq,
        Op::Ne => Bin::Ne,
        _ => return None,
    })
}

fn dst(op: Op) -> Option<Dst> {
    match op {
        Op::StoreLocal { slot } => Some(Dst::Local(slot)),
        Op::StoreGlobal { index } => Some(Dst::Global(index)),
        _ => None,
    }
}

/// The superinstruction starting at `code[0]` (bytecode index `pc`), if any.
fn fused(code: &[Op], pc: usize) -> Ins {
    let at = |i: usize| code.get(i).copied();
    let s0 = at(0).and_then(src);
    let s1 = at(1).and_then(src);
    if let Some(ins) = indexing(code, s0, s1).or_else(|| fields(code, s0, s1)) {
        return ins;
    }
    match (at(0), at(1), at(2)) {
        (Some(Op::Jump { offset }), _, _) => {
            return Ins::Jump {
                target: (pc as i64 + 1 + offset as i64) as u32,
                back: offset < 0,
            }
        }
        (Some(Op::Call { argc }), _, _) => return Ins::Call { argc },
        (Some(Op::JumpIfFalse { offset }), _, _) | (Some(Op::JumpIfTrue { offset }), _, _) => {
            return Ins::JumpIf {
                target: (pc as i64 + 1 + offset as i64) as u32,
                when: matches!(at(0), Some(Op::JumpIfTrue { .. })),
                len: 1,
            }
        }
        (Some(Op::Not), Some(Op::JumpIfFalse { offset }), _)
        | (Some(Op::Not), Some(Op::JumpIfTrue { offset }), _) => {
            return Ins::JumpIf {
                target: (pc as i64 + 2 + offset as i64) as u32,
                when: matches!(at(1), Some(Op::JumpIfFalse { .. })),
                len: 2,
            }
        }
        (Some(Op::Not), _, _) => return Ins::Not,
        (Some(Op::Share), Some(o), _) if dst(o).is_some() => {
            return Ins::Store {
                dst: dst(o).expect("matched"),
                share: true,
            }
        }
        (Some(Op::Share), _, _) => return Ins::Share,
        (Some(o), _, _) if dst(o).is_some() => {
            return Ins::Store {
                dst: dst(o).expect("matched"),
                share: false,
            }
        }
        (Some(Op::IterNext { slot, offset }), _, _) => {
            return Ins::IterNext {
                slot,
                target: (pc as i64 + 1 + offset as i64) as u32,
            }
        }
        (Some(Op::Pop), _, _) => return Ins::Pop,
        (Some(Op::Return), _, _) => {
            return Ins::Return {
                src: Src::Stack,
                share: false,
                len: 1,
            }
        }
        (_, Some(Op::Return), _) if s0.is_some() => {
            return Ins::Return {
                src: s0.expect("matched"),
                share: false,
                len: 2,
            }
        }
        (_, Some(Op::Share), Some(Op::Return)) if s0.is_some() => {
            return Ins::Return {
                src: s0.expect("matched"),
                share: true,
                len: 3,
            }
        }
        _ => {}
    }
    let (a, b, mut k) = match (s0, s1) {
        (Some(a), Some(b)) if at(2).and_then(bin).is_some() => (a, b, 2),
        (Some(b), _) if at(1).and_then(bin).is_some() => (Src::Stack, b, 1),
        (None, _) if at(0).and_then(bin).is_some() => (Src::Stack, Src::Stack, 0),
        (Some(s), _) => {
            return match (at(1).and_then(dst), at(1), at(2).and_then(dst)) {
                // Two moves in a row: a compound assignment's temporaries (`c[j] = v`).
                (Some(d), _, _)
                    if at(2).and_then(src).is_some() && at(3).and_then(dst).is_some() =>
                {
                    Ins::Move2 {
                        src: s,
                        dst: d,
                        src2: at(2).and_then(src).expect("matched"),
                        dst2: at(3).and_then(dst).expect("matched"),
                    }
                }
                (Some(d), _, _) => Ins::Move {
                    src: s,
                    dst: d,
                    share: false,
                },
                (_, Some(Op::Share), Some(d)) => Ins::Move {
                    src: s,
                    dst: d,
                    share: true,
                },
                (_, Some(Op::MemberGet { key }), _) => Ins::Member {
                    src: s,
                    key,
                    len: 2,
                },
                (_, Some(Op::Share), _) => Ins::Load {
                    src: s,
                    share: true,
                },
                _ => Ins::Load {
                    src: s,
                    share: false,
                },
            };
        }
        (None, _) => {
            return match at(0) {
                Some(Op::MemberGet { key }) => Ins::Member {
                    src: Src::Stack,
                    key,
                    len: 1,
                },
                _ => Ins::Plain,
            };
        }
    };
    let op = at(k).and_then(bin).expect("matched above");
    let op2 = at(k + 1).and_then(bin);
    if op2.is_some() {
        k += 1;
    }
    let last = op2.unwrap_or(op);
    let (then, len) = match at(k + 1) {
        Some(o) if dst(o).is_some() => match at(k + 2) {
            Some(Op::Jump { offset }) => (
                Then::StoreJump(
                    dst(o).expect("matched"),
                    (pc as i64 + k as i64 + 3 + offset as i64) as u32,
                ),
                k + 3,
            ),
            _ => (Then::Store(dst(o).expect("matched")), k + 2),
        },
        Some(Op::Return) => (Then::Return, k + 2),
        Some(Op::JumpIfFalse { offset }) if is_compare(last) => (
            Then::Branch((pc as i64 + k as i64 + 2 + offset as i64) as u32),
            k + 2,
        ),
        // The right operand of `&&` in a condition: `ToBool; Jump 1; False; JumpIfFalse`
        // branches on the comparison.
        Some(Op::ToBool) if is_compare(last) => match (at(k + 2), at(k + 3), at(k + 4)) {
            (Some(Op::Jump { offset: 1 }), Some(Op::False), Some(Op::JumpIfFalse { offset })) => (
                Then::Branch((pc as i64 + k as i64 + 5 + offset as i64) as u32),
                k + 5,
            ),
            _ => (Then::Push, k + 1),
        },
        _ => (Then::Push, k + 1),
    };
    Ins::Arith {
        a,
        b,
        op,
        op2,
        then,
        len: len as u8,
    }
}

/// The element read and write superinstructions, if `code` starts with one.
fn indexing(code: &[Op], s0: Option<Src>, s1: Option<Src>) -> Option<Ins> {
    let at = |i: usize| code.get(i).copied();
    match (s0, s1, at(1), at(2)) {
        (Some(c), Some(i), _, Some(Op::IndexGet)) => return Some(Ins::Index { c, i, len: 3 }),
        (Some(i), _, Some(Op::IndexGet), _) => {
            return Some(Ins::Index {
                c: Src::Stack,
                i,
                len: 2,
            })
        }
        _ => {}
    }
    let (c, s1, s2) = (s0?, s1?, at(2).and_then(src)?);
    let (i, v, k) = match (at(3)?, at(4)) {
        (Op::IndexSet, _) => (s1, s2, 4),
        (Op::Swap, Some(Op::IndexSet)) => (s2, s1, 5),
        _ => return None,
    };
    let dst = at(k).and_then(dst);
    Some(Ins::IndexSet {
        c,
        i,
        v,
        dst,
        len: (k + dst.is_some() as usize) as u8,
    })
}

/// The field write superinstructions, if `code` starts with one.
fn fields(code: &[Op], s0: Option<Src>, s1: Option<Src>) -> Option<Ins> {
    let at = |i: usize| code.get(i).copied();
    let (o, v, k) = match (s0, s1, at(0), at(1), at(2)) {
        (Some(o), Some(v), _, _, Some(Op::MemberSet { .. })) => (o, v, 2),
        (Some(v), _, _, Some(Op::MemberSet { .. }), _) => (Src::Stack, v, 1),
        (_, _, Some(Op::MemberSet { .. }), _, _) => (Src::Stack, Src::Stack, 0),
        (_, _, Some(Op::InitField { .. }), _, _) => return Some(Ins::InitField),
        (_, _, Some(Op::LoadBuiltin { id }), _, _) => return Some(Ins::Builtin { id }),
        _ => return None,
    };
    let Some(Op::MemberSet { key }) = at(k) else {
        unreachable!("matched above")
    };
    let dst = at(k + 1).and_then(dst);
    Some(Ins::MemberSet {
        o,
        v,
        key,
        dst,
        len: (k + 1 + dst.is_some() as usize) as u8,
    })
}

/// `c[i]` for an array and an index in range (negative from the end). The typed storage is
/// read here rather than through `ArrayObj::get`, which is not inlined across crates.
#[inline(always)]
pub(crate) fn fast_index_get(c: Value, i: Value) -> Option<Value> {
    if c.tag != Tag::Array || i.tag != Tag::Int {
        return None;
    }
    let arr = array::obj(c);
    let k = i.as_int();
    let at = |n: usize| {
        let k = if k < 0 { k.wrapping_add(n as i64) } else { k };
        (0..n as i64).contains(&k).then_some(k as usize)
    };
    let item = match &arr.storage {
        Storage::Ints(v) => Value::int(v[at(v.len())?]),
        Storage::Floats(v) => Value::float(v[at(v.len())?]),
        Storage::Bools(v) => Value::bool(v[at(v.len())?]),
        Storage::Values(v) => {
            let item = v[at(v.len())?];
            // An element of a shared array is reachable through every copy.
            if array::is_shared(c) {
                array::share(item);
            }
            item
        }
    };
    Some(item)
}

/// `c[i] = v` in place when that is all `ops::index_set` would do: an unshared array, an
/// index in range, and a value of the element's type (so typed storage stays as it is) that
/// is not an array (so nothing needs sharing). False, with nothing changed, otherwise.
#[inline(always)]
pub(crate) fn fast_index_set(c: Value, i: Value, v: Value) -> bool {
    if c.tag != Tag::Array || i.tag != Tag::Int || v.tag == Tag::Array || array::is_shared(c) {
        return false;
    }
    let k = i.as_int();
    let at = |n: usize| (0..n as i64).contains(&k).then_some(k as usize);
    match (&mut array::obj(c).storage, v.tag) {
        (Storage::Ints(s), Tag::Int) => match at(s.len()) {
            Some(k) => s[k] = v.as_int(),
            None => return false,
        },
        (Storage::Floats(s), Tag::Float) => match at(s.len()) {
            Some(k) => s[k] = v.as_float(),
            None => return false,
        },
        (Storage::Bools(s), Tag::Bool) => match at(s.len()) {
            Some(k) => s[k] = v.as_bool(),
            None => return false,
        },
        (Storage::Values(s), _) => match at(s.len()) {
            Some(k) if s[k].tag == v.tag => s[k] = v,
            _ => return false,
        },
        _ => return false,
    }
    true
}

fn is_compare(op: Bin) -> bool {
    matches!(
        op,
        Bin::Lt | Bin::Le | Bin::Gt | Bin::Ge | Bin::Eq | Bin::Ne
    )
}

/// `a op b` when it cannot fail and needs no runtime call: int and float arithmetic (a zero
/// divisor excepted) and comparisons, and equality of ints and bools. `None` leaves the
/// operation to `solvra_rt::ops` through the ordinary path.
#[inline(always)]
pub(crate) fn fast_bin(op: Bin, a: Value, b: Value) -> Option<Value> {
    if a.tag == Tag::Int && b.tag == Tag::Int {
        let (x, y) = (a.as_int(), b.as_int());
        return Some(match op {
            Bin::Add => Value::int(x.wrapping_add(y)),
            Bin::Sub => Value::int(x.wrapping_sub(y)),
            Bin::Mul => Value::int(x.wrapping_mul(y)),
            Bin::Div if y != 0 => Value::int(x.wrapping_div(y)),
            Bin::Rem if y != 0 => Value::int(x.wrapping_rem(y)),
            Bin::Div | Bin::Rem => return None,
            Bin::Lt => Value::bool(x < y),
            Bin::Le => Value::bool(x <= y),
            Bin::Gt => Value::bool(x > y),
            Bin::Ge => Value::bool(x >= y),
            Bin::Eq => Value::bool(x == y),
            Bin::Ne => Value::bool(x != y),
        });
    }
    let (x, y) = match (a.tag, b.tag) {
        (Tag::Float, Tag::Float) => (a.as_float(), b.as_float()),
        // Mixed operands: arithmetic widens the int (`ops::add`), comparison does not.
        (Tag::Int, Tag::Float) if is_arith(op) => (a.as_int() as f64, b.as_float()),
        (Tag::Float, Tag::Int) if is_arith(op) => (a.as_float(), b.as_int() as f64),
        // Equality of these is by tag and bits (`ops::equals`).
        (Tag::Bool, Tag::Bool) | (Tag::Null, _) | (_, Tag::Null)
            if matches!(op, Bin::Eq | Bin::Ne) =>
        {
            let eq = a.tag == b.tag && (a.tag == Tag::Null || a.bits == b.bits);
            return Some(Value::bool(eq == (op == Bin::Eq)));
        }
        _ => return None,
    };
    Some(match op {
        Bin::Add => Value::float(x + y),
        Bin::Sub => Value::float(x - y),
        Bin::Mul => Value::float(x * y),
        Bin::Div if y != 0.0 => Value::float(x / y),
        Bin::Rem if y != 0.0 => Value::float(x % y),
        Bin::Div | Bin::Rem => return None,
        Bin::Lt => Value::bool(x < y),
        Bin::Le => Value::bool(x <= y),
        Bin::Gt => Value::bool(x > y),
        Bin::Ge => Value::bool(x >= y),
        // Only two floats get here for a comparison: IEEE equality, as `ops::equals`.
        Bin::Eq => Value::bool(x == y),
        Bin::Ne => Value::bool(x != y),
    })
}

fn is_arith(op: Bin) -> bool {
    matches!(op, Bin::Add | Bin::Sub | Bin::Mul | Bin::Div | Bin::Rem)
}

/// Truthiness with the common cases inline (§3.4).
#[inline(always)]
pub(crate) fn truthy(v: Value) -> bool {
    match v.tag {
        Tag::Bool | Tag::Int => v.bits != 0,
        Tag::Null => false,
        _ => ops::truthy(v),
    }
}
