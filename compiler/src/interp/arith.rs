//! The handlers of `Ins::Arith`, one instance per operand kinds, operator and continuation.
//!
//! A generic `Arith` handler matches on the kind of each operand, on the operator and on the
//! continuation at every execution; here those are const parameters, fixed when the entry is
//! pre-decoded (`pick`), so an instance is a handful of loads, one tag check per operand, the
//! operation and the store. Rare operand kinds (`true`, `null`, a string constant) share the
//! `ANY` instance, which loads them the general way. The fast path cannot fail: if an operand is
//! not a number, a divisor is zero or a global is uninitialised, nothing is changed and the
//! instruction at `pc` runs the ordinary way (`handlers::PLAIN`).

use super::handlers::{leave, Handler, PLAIN};
use super::kinds::{kind, ANY, CONST, GLOBAL, INT, LOCAL, STACK};
use super::quick::{fast_bin, Bin, Dst, Ins, Src, Then};
use super::{Interp, UNINIT};
use solvra_rt::Value;

// Continuations (`Then`).
const PUSH: u8 = 0;
const STORE: u8 = 1;
const STORE_JUMP: u8 = 2;
const RETURN: u8 = 3;
const BRANCH: u8 = 4;

// The second operator (`op2`): none, `+`, `-`, `*` (their index in `OPS`), or another one,
// read from the entry.
const NO2: u8 = u8::MAX;
const ANY2: u8 = u8::MAX - 1;

const OPS: [Bin; 11] = [
    Bin::Add,
    Bin::Sub,
    Bin::Mul,
    Bin::Div,
    Bin::Rem,
    Bin::Lt,
    Bin::Le,
    Bin::Gt,
    Bin::Ge,
    Bin::Eq,
    Bin::Ne,
];

/// The handler of an `Ins::Arith` entry.
pub(crate) fn pick(ins: &Ins) -> Handler {
    let Ins::Arith {
        a,
        b,
        op,
        op2,
        then,
        ..
    } = *ins
    else {
        unreachable!("an Arith entry")
    };
    let t = match then {
        Then::Push => PUSH,
        Then::Store(_) => STORE,
        Then::StoreJump(..) => STORE_JUMP,
        Then::Return => RETURN,
        Then::Branch(_) => BRANCH,
    };
    let index = |op| OPS.iter().position(|&o| o == op).expect("every operator") as u8;
    let two = match op2 {
        None => NO2,
        Some(op2 @ (Bin::Add | Bin::Sub | Bin::Mul)) => index(op2),
        Some(_) => ANY2,
    };
    let op = index(op);
    match kind(a) {
        STACK => pick_b::<STACK>(kind(b), op, t, two),
        LOCAL => pick_b::<LOCAL>(kind(b), op, t, two),
        GLOBAL => pick_b::<GLOBAL>(kind(b), op, t, two),
        // Immediates on the left are rare enough to be loaded the general way.
        _ => pick_b::<ANY>(kind(b), op, t, two),
    }
}

fn pick_b<const A: u8>(b: u8, op: u8, t: u8, two: u8) -> Handler {
    match b {
        STACK => pick_op::<A, STACK>(op, t, two),
        LOCAL => pick_op::<A, LOCAL>(op, t, two),
        GLOBAL => pick_op::<A, GLOBAL>(op, t, two),
        INT => pick_op::<A, INT>(op, t, two),
        CONST => pick_op::<A, CONST>(op, t, two),
        _ => pick_op::<A, ANY>(op, t, two),
    }
}

fn pick_op<const A: u8, const B: u8>(op: u8, t: u8, two: u8) -> Handler {
    match op {
        0 => pick_then::<A, B, 0>(t, two),
        1 => pick_then::<A, B, 1>(t, two),
        2 => pick_then::<A, B, 2>(t, two),
        3 => pick_then::<A, B, 3>(t, two),
        4 => pick_then::<A, B, 4>(t, two),
        5 => pick_then::<A, B, 5>(t, two),
        6 => pick_then::<A, B, 6>(t, two),
        7 => pick_then::<A, B, 7>(t, two),
        8 => pick_then::<A, B, 8>(t, two),
        9 => pick_then::<A, B, 9>(t, two),
        _ => pick_then::<A, B, 10>(t, two),
    }
}

fn pick_then<const A: u8, const B: u8, const OP: u8>(t: u8, two: u8) -> Handler {
    match t {
        PUSH => pick_two::<A, B, OP, PUSH>(two),
        STORE => pick_two::<A, B, OP, STORE>(two),
        STORE_JUMP => pick_two::<A, B, OP, STORE_JUMP>(two),
        RETURN => pick_two::<A, B, OP, RETURN>(two),
        _ => pick_two::<A, B, OP, BRANCH>(two),
    }
}

fn pick_two<const A: u8, const B: u8, const OP: u8, const T: u8>(two: u8) -> Handler {
    match two {
        NO2 => arith::<A, B, OP, T, NO2>,
        0 => arith::<A, B, OP, T, 0>,
        1 => arith::<A, B, OP, T, 1>,
        2 => arith::<A, B, OP, T, 2>,
        _ => arith::<A, B, OP, T, ANY2>,
    }
}

/// `a; b; op [; op2]` and its continuation `T` (see `Ins::Arith`).
fn arith<const A: u8, const B: u8, const OP: u8, const T: u8, const TWO: u8>(
    it: &mut Interp,
    ins: &Ins,
    pc: usize,
    base: usize,
    module: usize,
    func: u32,
) -> usize {
    let Ins::Arith {
        a,
        b,
        op2,
        then,
        len,
        ..
    } = *ins
    else {
        return PLAIN;
    };
    let n = it.stack.len();
    let (x, y, mut popped) = match (A, B) {
        (STACK, STACK) => (it.stack[n - 2], it.stack[n - 1], 2),
        (STACK, _) => (it.stack[n - 1], operand!(B, b, it, base, module), 1),
        _ => (
            operand!(A, a, it, base, module),
            operand!(B, b, it, base, module),
            0,
        ),
    };
    let Some(mut v) = fast_bin(bin_of(OP), x, y) else {
        return PLAIN;
    };
    if TWO != NO2 {
        let op2 = match (TWO, op2) {
            (ANY2, Some(op2)) => op2,
            (ANY2, None) => return PLAIN,
            (two, _) => bin_of(two),
        };
        let w = it.stack[n - 1 - popped];
        match fast_bin(op2, w, v) {
            Some(r) => v = r,
            None => return PLAIN,
        }
        popped += 1;
    }
    let next = pc + len as usize;
    match (T, then) {
        (PUSH, _) => {
            if popped > 0 {
                it.stack[n - popped] = v;
                it.stack.truncate(n - popped + 1);
            } else if it.room() {
                it.stack.push(v);
            } else {
                return PLAIN;
            }
            next
        }
        (STORE, Then::Store(d)) => store(it, d, v, n - popped, base, module, next),
        (STORE_JUMP, Then::StoreJump(d, target)) => {
            let target = target as usize;
            if store(it, d, v, n - popped, base, module, target) == PLAIN {
                return PLAIN;
            }
            // A loop's back edge.
            if it.tier.is_some() && target < pc {
                it.heat(func);
            }
            target
        }
        (RETURN, _) => {
            it.stack.truncate(n - popped);
            leave(it, v)
        }
        (BRANCH, Then::Branch(target)) => {
            it.stack.truncate(n - popped);
            if v.bits == 0 {
                target as usize
            } else {
                next
            }
        }
        _ => PLAIN,
    }
}

/// The operator at `index` of `OPS` (a const parameter: this folds away).
#[inline(always)]
fn bin_of(index: u8) -> Bin {
    OPS[index as usize % OPS.len()]
}

/// Stores `v` to `d` and cuts the stack to `keep`, then goes on at `next`; `PLAIN`, with
/// nothing changed, for an uninitialised global.
#[inline(always)]
fn store(
    it: &mut Interp,
    d: Dst,
    v: Value,
    keep: usize,
    base: usize,
    module: usize,
    next: usize,
) -> usize {
    match d {
        Dst::Local(slot) => it.stack[base + slot as usize] = v,
        Dst::Global(index) => {
            let g = &mut it.globals[module][index as usize];
            if *g == UNINIT {
                return PLAIN;
            }
            *g = v;
        }
    }
    it.stack.truncate(keep);
    next
}
