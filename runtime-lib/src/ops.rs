//! The operators of SolvraScript on runtime values: arithmetic (§3.6), string concatenation
//! (§3.9), truthiness (§3.4), equality (§3.5), ordering (§3.7), indexing, slicing and
//! assignment through places (§3.10, §3.11), and `for-in` iteration (§3.13).
//!
//! Every tier calls these, so each operator's semantics and error messages live in exactly one
//! place. Rooting contract: the caller keeps the operands rooted for the duration of a call;
//! results are fresh values the caller must store (or root) before its next allocation.
//! Equality walks containers with an explicit work list and a set of pairs already compared,
//! so deeply nested and self-containing values neither overflow the stack nor loop.

use crate::array::{self, Storage};
use crate::error::{bad_operands, RtError, RtResult};
use crate::heap::{self, HeapObject};
use crate::value::{Tag, Value};
use crate::{function, object, string};
use std::cmp::Ordering;
use std::collections::HashSet;

/// Ordering operators (§3.7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CmpOp {
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    /// The operator as written, for error messages.
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

/// `type()` name of a value (§3.1).
pub fn type_of(v: Value) -> &'static str {
    v.type_name()
}

/// Both operands as floats when both are numbers (int or float).
fn floats(a: Value, b: Value) -> Option<(f64, f64)> {
    Some((as_number(a)?, as_number(b)?))
}

/// An int or float as f64.
pub(crate) fn as_number(v: Value) -> Option<f64> {
    match v.tag {
        Tag::Int => Some(v.as_int() as f64),
        Tag::Float => Some(v.as_float()),
        _ => None,
    }
}

fn division_by_zero() -> RtError {
    RtError::new("division by zero")
}

/// `a + b`: wrapping int sum, float sum, or string concatenation with `D` of the other side.
pub fn add(a: Value, b: Value) -> RtResult<Value> {
    match (a.tag, b.tag) {
        (Tag::Int, Tag::Int) => Ok(Value::int(a.as_int().wrapping_add(b.as_int()))),
        (Tag::Str, _) | (_, Tag::Str) => string::concat(a, b),
        _ => match floats(a, b) {
            Some((x, y)) => Ok(Value::float(x + y)),
            None => Err(bad_operands("+", a.type_name(), b.type_name())),
        },
    }
}

/// `a - b`.
pub fn sub(a: Value, b: Value) -> RtResult<Value> {
    match (a.tag, b.tag, floats(a, b)) {
        (Tag::Int, Tag::Int, _) => Ok(Value::int(a.as_int().wrapping_sub(b.as_int()))),
        (_, _, Some((x, y))) => Ok(Value::float(x - y)),
        _ => Err(bad_operands("-", a.type_name(), b.type_name())),
    }
}

/// `a * b`.
pub fn mul(a: Value, b: Value) -> RtResult<Value> {
    match (a.tag, b.tag, floats(a, b)) {
        (Tag::Int, Tag::Int, _) => Ok(Value::int(a.as_int().wrapping_mul(b.as_int()))),
        (_, _, Some((x, y))) => Ok(Value::float(x * y)),
        _ => Err(bad_operands("*", a.type_name(), b.type_name())),
    }
}

/// `a / b`: ints truncate toward zero (wrapping for `MIN / -1`); a zero divisor of either
/// type is `division by zero`.
pub fn div(a: Value, b: Value) -> RtResult<Value> {
    match (a.tag, b.tag, floats(a, b)) {
        (Tag::Int, Tag::Int, _) => match b.as_int() {
            0 => Err(division_by_zero()),
            y => Ok(Value::int(a.as_int().wrapping_div(y))),
        },
        (_, _, Some((x, y))) => {
            if y == 0.0 {
                return Err(division_by_zero());
            }
            Ok(Value::float(x / y))
        }
        _ => Err(bad_operands("/", a.type_name(), b.type_name())),
    }
}

/// `a % b`: ints take the dividend's sign (`x % -1` is 0); floats are C `fmod` (C31).
pub fn rem(a: Value, b: Value) -> RtResult<Value> {
    match (a.tag, b.tag, floats(a, b)) {
        (Tag::Int, Tag::Int, _) => match b.as_int() {
            0 => Err(division_by_zero()),
            y => Ok(Value::int(a.as_int().wrapping_rem(y))),
        },
        (_, _, Some((x, y))) => {
            if y == 0.0 {
                return Err(division_by_zero());
            }
            Ok(Value::float(x % y))
        }
        _ => Err(bad_operands("%", a.type_name(), b.type_name())),
    }
}

/// Unary `-`.
pub fn neg(a: Value) -> RtResult<Value> {
    match a.tag {
        Tag::Int => Ok(Value::int(a.as_int().wrapping_neg())),
        Tag::Float => Ok(Value::float(-a.as_float())),
        _ => Err(RtError::new(format!(
            "unsupported operand type for -: {}",
            a.type_name()
        ))),
    }
}

/// Truthiness (§3.4).
pub fn truthy(a: Value) -> bool {
    match a.tag {
        Tag::Null => false,
        Tag::Bool => a.as_bool(),
        Tag::Int => a.as_int() != 0,
        Tag::Float => a.as_float() != 0.0,
        Tag::Str => string::char_len(a) != 0,
        Tag::Array => array::len(a) != 0,
        Tag::Object => !object::obj(a).is_empty(),
        Tag::Function | Tag::Task | Tag::Handle | Tag::Cell => true,
    }
}

/// `!a`.
pub fn not(a: Value) -> Value {
    Value::bool(!truthy(a))
}

const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

/// Compares an int with a float by exact mathematical value; `None` when `f` is NaN.
fn cmp_int_float(i: i64, f: f64) -> Option<Ordering> {
    if f.is_nan() {
        return None;
    }
    if f >= TWO_POW_63 {
        return Some(Ordering::Less);
    }
    if f < -TWO_POW_63 {
        return Some(Ordering::Greater);
    }
    // |f| < 2^63 here, so its integral part is exactly representable as an i64.
    let whole = f.trunc();
    Some(match i.cmp(&(whole as i64)) {
        Ordering::Equal => {
            let frac = f - whole;
            if frac > 0.0 {
                Ordering::Less
            } else if frac < 0.0 {
                Ordering::Greater
            } else {
                Ordering::Equal
            }
        }
        other => other,
    })
}

/// Equality of two values that needs no container walk; `None` for two arrays or two objects.
fn shallow_equals(a: Value, b: Value) -> Option<bool> {
    Some(match (a.tag, b.tag) {
        (Tag::Int, Tag::Int) => a.as_int() == b.as_int(),
        (Tag::Float, Tag::Float) => a.as_float() == b.as_float(),
        (Tag::Int, Tag::Float) => cmp_int_float(a.as_int(), b.as_float()) == Some(Ordering::Equal),
        (Tag::Float, Tag::Int) => cmp_int_float(b.as_int(), a.as_float()) == Some(Ordering::Equal),
        (Tag::Null, Tag::Null) => true,
        (Tag::Bool, Tag::Bool) => a.as_bool() == b.as_bool(),
        (Tag::Str, Tag::Str) => a.bits == b.bits || string::as_str(a) == string::as_str(b),
        (Tag::Function, Tag::Function) => a.bits == b.bits || same_builtin(a, b),
        (Tag::Array, Tag::Array) | (Tag::Object, Tag::Object) => return None,
        (x, y) if x == y => a.bits == b.bits,
        _ => false,
    })
}

/// Two function objects for the same builtin are the same function value (C13), even if a
/// tier created them separately.
fn same_builtin(a: Value, b: Value) -> bool {
    match (&function::obj(a).callee, &function::obj(b).callee) {
        (function::Callee::Builtin(x), function::Callee::Builtin(y)) => x == y,
        _ => false,
    }
}

/// `a == b` (§3.5). Never fails.
///
/// Containers are compared with a work list of element pairs; a pair already met is assumed
/// equal (the coinductive reading), so self-containing values terminate: they are equal when
/// no finite difference exists.
pub fn equals(a: Value, b: Value) -> bool {
    if let Some(eq) = shallow_equals(a, b) {
        return eq;
    }
    let mut work = vec![(a, b)];
    let mut seen: HashSet<(u64, u64)> = HashSet::new();
    while let Some((x, y)) = work.pop() {
        if !seen.insert((x.bits, y.bits)) {
            continue;
        }
        if x.tag == Tag::Array {
            let (ax, ay) = (array::obj(x), array::obj(y));
            if ax.len() != ay.len() {
                return false;
            }
            match (&ax.storage, &ay.storage) {
                (Storage::Ints(p), Storage::Ints(q)) => {
                    if p[..] != q[..] {
                        return false;
                    }
                    continue;
                }
                (Storage::Floats(p), Storage::Floats(q)) => {
                    if p[..] != q[..] {
                        return false;
                    }
                    continue;
                }
                (Storage::Bools(p), Storage::Bools(q)) => {
                    if p[..] != q[..] {
                        return false;
                    }
                    continue;
                }
                _ => {}
            }
            for i in 0..ax.len() {
                let (p, q) = (ax.get(i), ay.get(i));
                match shallow_equals(p, q) {
                    Some(false) => return false,
                    Some(true) => {}
                    None => work.push((p, q)),
                }
            }
        } else {
            if x.bits == y.bits {
                continue;
            }
            let (ox, oy) = (object::obj(x), object::obj(y));
            if ox.len() != oy.len() {
                return false;
            }
            for (key, &p) in ox.keys().iter().zip(ox.slots.iter()) {
                let q = oy.get(key);
                if q.is_null() {
                    return false;
                }
                match shallow_equals(p, q) {
                    Some(false) => return false,
                    Some(true) => {}
                    None => work.push((p, q)),
                }
            }
        }
    }
    true
}

/// `a OP b` for the ordering operators (§3.7): numbers by exact value (NaN compares false),
/// strings by Unicode scalar values (UTF-8 byte order is the same order).
pub fn compare(op: CmpOp, a: Value, b: Value) -> RtResult<bool> {
    let ord = match (a.tag, b.tag) {
        (Tag::Int, Tag::Int) => Some(a.as_int().cmp(&b.as_int())),
        (Tag::Float, Tag::Float) => a.as_float().partial_cmp(&b.as_float()),
        (Tag::Int, Tag::Float) => cmp_int_float(a.as_int(), b.as_float()),
        (Tag::Float, Tag::Int) => cmp_int_float(b.as_int(), a.as_float()).map(Ordering::reverse),
        (Tag::Str, Tag::Str) => Some(string::as_str(a).cmp(string::as_str(b))),
        _ => return Err(bad_operands(op.symbol(), a.type_name(), b.type_name())),
    };
    Ok(match ord {
        None => false,
        Some(o) => match op {
            CmpOp::Lt => o == Ordering::Less,
            CmpOp::Le => o != Ordering::Greater,
            CmpOp::Gt => o == Ordering::Greater,
            CmpOp::Ge => o != Ordering::Less,
        },
    })
}

fn cannot_index(container: Value, index: Value) -> RtError {
    RtError::new(format!(
        "cannot index {} with {}",
        container.type_name(),
        index.type_name()
    ))
}

/// `container[index]` (§3.10.2, §3.11.3, C21).
///
/// For a nested write `P[i][j] = v` a tier reads the inner array with `index_get`, updates it
/// with `index_set`, and stores the result back with `index_set` on `P`: because an element of
/// a shared array comes back marked shared, the inner update copies instead of changing a
/// value another place still holds.
pub fn index_get(container: Value, index: Value) -> RtResult<Value> {
    match (container.tag, index.tag) {
        (Tag::Array, Tag::Int) => {
            let a = array::obj(container);
            let i = string::normalize_index(index.as_int(), a.len())?;
            let item = a.get(i);
            // An element of an array reachable from several places is itself reachable from
            // several places: a nested write `P[i][j] = v` through it must copy it, even
            // though its own shared bit was never set (copies share nested arrays lazily).
            if array::is_shared(container) {
                array::share(item);
            }
            Ok(item)
        }
        (Tag::Str, Tag::Int) => string::index(container, index.as_int()),
        (Tag::Object, Tag::Str) => Ok(object::obj(container).get(string::as_str(index))),
        (Tag::Object, _) => Err(RtError::new(format!(
            "cannot index object with {}",
            index.type_name()
        ))),
        _ => Err(cannot_index(container, index)),
    }
}

/// `obj.name` (§3.11.3): the field or `null`; non-objects fail.
pub fn member_get(obj: Value, name: &str) -> RtResult<Value> {
    if obj.tag != Tag::Object {
        return Err(RtError::new(format!(
            "cannot access member '{name}' on {}",
            obj.type_name()
        )));
    }
    Ok(object::obj(obj).get(name))
}

/// `obj.name = v` (§3.10.4 step 3); `null` removes the field (§3.11.2).
pub fn member_set(obj: Value, name: &str, v: Value) -> RtResult<()> {
    if obj.tag != Tag::Object {
        return Err(RtError::new(format!(
            "cannot assign member '{name}' on {}",
            obj.type_name()
        )));
    }
    object::obj(obj).set(name, v);
    Ok(())
}

/// `container[index] = v` (§3.10.4 step 4). Returns the container to store back into the
/// place that held it: for arrays a possibly new array (a shared array is copied first,
/// `array::make_unique`), for objects the same object.
pub fn index_set(container: Value, index: Value, v: Value) -> RtResult<Value> {
    match container.tag {
        Tag::Object => {
            if index.tag != Tag::Str {
                return Err(RtError::new("object keys must be strings"));
            }
            object::obj(container).set(string::as_str(index), v);
            Ok(container)
        }
        Tag::Array => {
            if index.tag != Tag::Int {
                return Err(cannot_index(container, index));
            }
            let i = string::normalize_index(index.as_int(), array::len(container))?;
            let unique = array::make_unique(container)?;
            set_element(unique, i, v);
            Ok(unique)
        }
        Tag::Str => Err(RtError::new("cannot assign into a string")),
        _ => Err(cannot_index(container, index)),
    }
}

/// Replaces element `i` of an unshared array, keeping heap accounting right when the storage
/// changes representation.
fn set_element(arr: Value, i: usize, v: Value) {
    array::share(v);
    let a = array::obj(arr);
    let before = a.extra_bytes();
    a.set(i, v);
    let after = a.extra_bytes();
    if after != before {
        // SAFETY: `arr` is a live array.
        unsafe {
            let size = ((*arr.ptr()).size as usize + after).saturating_sub(before);
            heap::account(arr.ptr(), size);
        }
    }
}

/// A slice bound or step: an int, or `null` for "omitted".
fn slice_part(v: Value) -> RtResult<Option<i64>> {
    match v.tag {
        Tag::Null => Ok(None),
        Tag::Int => Ok(Some(v.as_int())),
        _ => Err(RtError::new("slice indices must be integers")),
    }
}

/// The positions `target[start:end:step]` selects in a sequence of `len` items (Python's
/// `slice.indices` followed by the range walk).
fn slice_positions(len: usize, start: Option<i64>, end: Option<i64>, step: i64) -> Vec<usize> {
    let len = len as i128;
    let clamp = |v: i64, lo: i128, hi: i128| {
        let v = v as i128;
        let v = if v < 0 { v + len } else { v };
        v.max(lo).min(hi)
    };
    let step = step as i128;
    let mut out = Vec::new();
    if step > 0 {
        let s = start.map_or(0, |v| clamp(v, 0, len));
        let e = end.map_or(len, |v| clamp(v, 0, len));
        let mut i = s;
        while i < e {
            out.push(i as usize);
            i += step;
        }
    } else {
        let s = start.map_or(len - 1, |v| clamp(v, -1, len - 1));
        let e = end.map_or(-1, |v| clamp(v, -1, len));
        let mut i = s;
        while i > e {
            out.push(i as usize);
            i += step;
        }
    }
    out
}

/// `target[start:end:step]` (§3.10.3); `null` parts are omitted. Errors are checked in the
/// order of C25: target type, then the bounds, then the step.
pub fn slice(target: Value, start: Value, end: Value, step: Value) -> RtResult<Value> {
    let len = match target.tag {
        Tag::Array => array::len(target),
        Tag::Str => string::char_len(target),
        _ => return Err(RtError::new("slice target must be array or string")),
    };
    let start = slice_part(start)?;
    let end = slice_part(end)?;
    let step = slice_part(step)?.unwrap_or(1);
    if step == 0 {
        return Err(RtError::new("slice step cannot be zero"));
    }
    let positions = slice_positions(len, start, end, step);
    if target.tag == Tag::Str {
        return string::pick(target, positions.into_iter());
    }
    let a = array::obj(target);
    let items: Vec<Value> = positions.into_iter().map(|i| a.get(i)).collect();
    new_array(items)
}

/// A new array of values that are already reachable elsewhere (elements of a rooted
/// container); nested arrays become shared with their other place (§3.10.1).
pub(crate) fn new_array(items: Vec<Value>) -> RtResult<Value> {
    for v in &items {
        array::share(*v);
    }
    array::from_values(items)
}

/// What `for x in v` iterates, as one array value (§3.13): the array itself (marked shared, so
/// the loop keeps seeing its value as of now), the one-character strings of a string, or a
/// snapshot of an object's keys. Tiers that iterate by index should hold this value in a
/// rooted place for the whole loop.
pub fn iter_source(v: Value) -> RtResult<Value> {
    match v.tag {
        Tag::Array => {
            array::share(v);
            Ok(v)
        }
        Tag::Str => {
            let out = array::from_values(Vec::new())?;
            let text = string::as_str(v);
            let mut buf = [0u8; 4];
            for ch in text.chars() {
                let item = string::new(ch.encode_utf8(&mut buf))?;
                array::push_in_place(out, item);
            }
            Ok(out)
        }
        Tag::Object => {
            let out = array::from_values(Vec::new())?;
            for key in object::obj(v).keys() {
                let item = string::new(key)?;
                array::push_in_place(out, item);
            }
            Ok(out)
        }
        _ => Err(RtError::new(format!(
            "value of type '{}' is not iterable",
            v.type_name()
        ))),
    }
}

/// The items `for x in v` binds, in order (§3.13). The returned values are rooted only while
/// the caller keeps `v` (arrays) alive; for strings and objects they are fresh strings, which
/// the caller must root before allocating (or use `iter_source`).
pub fn iter_items(v: Value) -> RtResult<Vec<Value>> {
    let src = iter_source(v)?;
    let items = array::obj(src).to_vec();
    // The loop variable is another place holding each element (§3.10.1).
    for item in &items {
        array::share(*item);
    }
    Ok(items)
}

#[cfg(test)]
#[path = "ops_tests.rs"]
mod tests;
