//! Array and object builtins (§4.5): `push`, `pop`, `insert`, `remove`, `keys`, `values`,
//! `has_key`.
//!
//! The array builtins never modify their argument (§3.10.1): each builds a new array from the
//! argument's elements, which stay reachable through the argument while the result is built,
//! so collecting them into a Rust `Vec` first is safe. `push_owned` is the in-place variant
//! for tiers that know the argument array is about to be replaced (`a = push(a, x)`).

use super::type_error;
use crate::array;
use crate::error::{RtError, RtResult};
use crate::object;
use crate::ops::new_array;
use crate::string;
use crate::value::{Tag, Value};

fn array_arg(name: &str, v: Value) -> RtResult<Vec<Value>> {
    if v.tag != Tag::Array {
        return Err(type_error(name, "an array", v));
    }
    Ok(array::obj(v).to_vec())
}

fn object_arg(name: &str, v: Value) -> RtResult<&'static mut object::ObjectObj> {
    if v.tag != Tag::Object {
        return Err(type_error(name, "an object", v));
    }
    Ok(object::obj(v))
}

fn out_of_bounds(i: i64, len: usize) -> RtError {
    RtError::new(format!("index {i} out of bounds for length {len}"))
}

/// A position argument `i` with `0 <= i < limit`, reported against length `len`.
fn position(name: &str, v: Value, limit: usize, len: usize) -> RtResult<usize> {
    if v.tag != Tag::Int {
        return Err(type_error(name, "an int index", v));
    }
    let i = v.as_int();
    if i < 0 || i as u64 >= limit as u64 {
        return Err(out_of_bounds(i, len));
    }
    Ok(i as usize)
}

/// `{array: arr, value: value}` (fields in that order; a `null` value is absent).
fn array_and_value(arr: Value, value: Value) -> RtResult<Value> {
    let o = object::new_empty()?;
    let fields = object::obj(o);
    fields.set("array", arr);
    fields.set("value", value);
    Ok(o)
}

pub(super) fn push(args: &[Value]) -> RtResult<Value> {
    let mut items = array_arg("push", args[0])?;
    items.push(args[1]);
    new_array(items)
}

/// `push` that may reuse `a`'s storage: appends in place when `a` is unshared, otherwise to a
/// copy. Only for callers that drop their reference to `a` and keep the result instead.
pub fn push_owned(a: Value, v: Value) -> RtResult<Value> {
    if a.tag != Tag::Array {
        return Err(type_error("push", "an array", a));
    }
    let unique = array::make_unique(a)?;
    array::push_in_place(unique, v);
    Ok(unique)
}

pub(super) fn pop(args: &[Value]) -> RtResult<Value> {
    let mut items = array_arg("pop", args[0])?;
    let last = items.pop().unwrap_or(Value::NULL);
    let rest = new_array(items)?;
    array_and_value(rest, last)
}

pub(super) fn insert(args: &[Value]) -> RtResult<Value> {
    let mut items = array_arg("insert", args[0])?;
    let len = items.len();
    let i = position("insert", args[1], len + 1, len)?;
    items.insert(i, args[2]);
    new_array(items)
}

pub(super) fn remove(args: &[Value]) -> RtResult<Value> {
    let mut items = array_arg("remove", args[0])?;
    let len = items.len();
    let i = position("remove", args[1], len, len)?;
    let value = items.remove(i);
    let rest = new_array(items)?;
    array_and_value(rest, value)
}

pub(super) fn keys(args: &[Value]) -> RtResult<Value> {
    let o = object_arg("keys", args[0])?;
    let out = array::from_values(Vec::new())?;
    for key in o.keys() {
        let k = string::new(key)?;
        array::push_in_place(out, k);
    }
    Ok(out)
}

pub(super) fn values(args: &[Value]) -> RtResult<Value> {
    let o = object_arg("values", args[0])?;
    new_array(o.slots.to_vec())
}

pub(super) fn has_key(args: &[Value]) -> RtResult<Value> {
    let o = object_arg("has_key", args[0])?;
    let k = args[1];
    if k.tag != Tag::Str {
        return Err(type_error("has_key", "a string key", k));
    }
    Ok(Value::bool(!o.get(string::as_str(k)).is_null()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtins::{call, table};
    use crate::testutil::*;

    fn run(name: &str, args: &[Value]) -> RtResult<Value> {
        call(table::lookup(name).unwrap(), args)
    }

    #[test]
    fn push_and_pop_copy_their_argument() {
        rooted(|| {
            let a = arr(&[int(1), int(2)]);
            let b = run("push", &[a, s("x")]).unwrap();
            assert_eq!(d(b), "[1, 2, x]");
            assert_eq!(d(a), "[1, 2]");
            let e = arr(&[]);
            assert_eq!(r(run("push", &[e, Value::NULL])), "[null]");
            let p = run("pop", &[a]).unwrap();
            assert_eq!(d(p), "{array: [1], value: 2}");
            assert_eq!(d(a), "[1, 2]");
            let pe = run("pop", &[e]).unwrap();
            assert_eq!(d(pe), "{array: []}");
            assert!(ops_member(pe, "value").is_null());
            let n = arr(&[Value::NULL]);
            assert_eq!(r(run("pop", &[n])), "{array: []}");
            assert_eq!(
                err(run("push", &[int(1), int(2)])),
                "push: expects an array, got int"
            );
            assert_eq!(
                err(run("pop", &[Value::NULL])),
                "pop: expects an array, got null"
            );
        })
    }

    fn ops_member(o: Value, name: &str) -> Value {
        crate::ops::member_get(o, name).unwrap()
    }

    #[test]
    fn nested_arrays_stay_independent() {
        rooted(|| {
            let inner = arr(&[int(0)]);
            let a = arr(&[inner]);
            let b = run("push", &[a, int(1)]).unwrap();
            let row = crate::ops::index_get(b, int(0)).unwrap();
            let row2 = crate::ops::index_set(row, int(0), int(9)).unwrap();
            let b2 = crate::ops::index_set(b, int(0), row2).unwrap();
            assert_eq!(d(b2), "[[9], 1]");
            assert_eq!(d(a), "[[0]]");
        })
    }

    #[test]
    fn push_owned_reuses_unshared_arrays() {
        rooted(|| {
            let a = arr(&[int(1)]);
            let b = push_owned(a, int(2)).unwrap();
            assert_eq!(a.bits, b.bits);
            array::share(b);
            let c = push_owned(b, int(3)).unwrap();
            assert_ne!(b.bits, c.bits);
            assert_eq!(d(b), "[1, 2]");
            assert_eq!(d(c), "[1, 2, 3]");
            assert_eq!(
                err(push_owned(Value::NULL, int(1))),
                "push: expects an array, got null"
            );
        })
    }

    #[test]
    fn insert_and_remove() {
        rooted(|| {
            let a = arr(&[int(1), int(2), int(3)]);
            let x = s("x");
            assert_eq!(r(run("insert", &[a, int(0), x])), "[x, 1, 2, 3]");
            assert_eq!(r(run("insert", &[a, int(3), x])), "[1, 2, 3, x]");
            assert_eq!(r(run("insert", &[a, int(1), float(1.5)])), "[1, 1.5, 2, 3]");
            assert_eq!(
                err(run("insert", &[a, int(4), x])),
                "index 4 out of bounds for length 3"
            );
            assert_eq!(
                err(run("insert", &[a, int(-1), x])),
                "index -1 out of bounds for length 3"
            );
            assert_eq!(
                err(run("insert", &[a, float(0.0), x])),
                "insert: expects an int index, got float"
            );
            assert_eq!(
                err(run("insert", &[x, int(0), x])),
                "insert: expects an array, got string"
            );
            assert_eq!(r(run("remove", &[a, int(1)])), "{array: [1, 3], value: 2}");
            assert_eq!(r(run("remove", &[a, int(0)])), "{array: [2, 3], value: 1}");
            assert_eq!(
                err(run("remove", &[a, int(3)])),
                "index 3 out of bounds for length 3"
            );
            assert_eq!(
                err(run("remove", &[a, int(-1)])),
                "index -1 out of bounds for length 3"
            );
            let e = arr(&[]);
            assert_eq!(
                err(run("remove", &[e, int(0)])),
                "index 0 out of bounds for length 0"
            );
            assert_eq!(d(a), "[1, 2, 3]");
            let o = obj(&[]);
            assert_eq!(
                err(run("remove", &[o, int(0)])),
                "remove: expects an array, got object"
            );
        })
    }

    #[test]
    fn keys_values_has_key() {
        rooted(|| {
            let list = arr(&[int(1)]);
            let o = obj(&[("b", int(1)), ("a", list), ("c", s("z"))]);
            assert_eq!(r(run("keys", &[o])), "[b, a, c]");
            assert_eq!(r(run("values", &[o])), "[1, [1], z]");
            let e = obj(&[]);
            assert_eq!(r(run("keys", &[e])), "[]");
            assert_eq!(r(run("values", &[e])), "[]");
            let a = s("a");
            let zz = s("zz");
            assert_eq!(r(run("has_key", &[o, a])), "true");
            assert_eq!(r(run("has_key", &[o, zz])), "false");
            object::obj(o).set("a", Value::NULL);
            assert_eq!(r(run("has_key", &[o, a])), "false");
            assert_eq!(
                err(run("has_key", &[o, int(1)])),
                "has_key: expects a string key, got int"
            );
            assert_eq!(
                err(run("has_key", &[list, a])),
                "has_key: expects an object, got array"
            );
            assert_eq!(
                err(run("keys", &[list])),
                "keys: expects an object, got array"
            );
            assert_eq!(
                err(run("values", &[Value::NULL])),
                "values: expects an object, got null"
            );
        })
    }
}
