//! The display function `D` (§3.16): how `prt`, `println`, `to_string`, string concatenation
//! and interpolation turn any value into text.
//!
//! Floats use Rust's `Display` for `f64`, which already prints the shortest round-trip digits
//! in positional notation with `-0`, `inf` and `-inf` (the reference interpreter did the same,
//! which is where the spec's format comes from); only NaN needs no sign handling, and Rust
//! prints it `NaN` too. Containers are walked with an explicit stack rather than recursion, so
//! a deeply nested value cannot overflow the native stack, and the containers on the current
//! path are tracked so a self-containing container prints `[...]`/`{...}` at the point of
//! recursion instead of looping forever.

use crate::value::{Tag, Value};
use crate::{array, function, handle, object, string};
use std::collections::HashSet;
use std::fmt::Write;

/// `D(v)` as a new Rust string.
pub fn display(v: Value) -> String {
    let mut out = String::new();
    display_into(v, &mut out);
    out
}

/// Appends `D(v)` to `out`.
pub fn display_into(v: Value, out: &mut String) {
    match v.tag {
        Tag::Array | Tag::Object => container_into(v, out),
        _ => scalar_into(v, out),
    }
}

/// Appends the display digits of a float (§3.16).
pub fn float_into(f: f64, out: &mut String) {
    if f.is_nan() {
        out.push_str("NaN");
    } else {
        let _ = write!(out, "{f}");
    }
}

/// Any value that is not an array or object.
fn scalar_into(v: Value, out: &mut String) {
    match v.tag {
        Tag::Null => out.push_str("null"),
        Tag::Bool => out.push_str(if v.as_bool() { "true" } else { "false" }),
        Tag::Int => {
            let _ = write!(out, "{}", v.as_int());
        }
        Tag::Float => float_into(v.as_float(), out),
        Tag::Str => out.push_str(string::as_str(v)),
        Tag::Function => match function::display_name(v) {
            Some(name) => {
                out.push_str("<function ");
                out.push_str(&name);
                out.push('>');
            }
            None => out.push_str("<function>"),
        },
        Tag::Task => out.push_str("<task>"),
        Tag::Handle => {
            let _ = write!(out, "<handle {}>", handle::id(v));
        }
        Tag::Cell => out.push_str("<cell>"),
        Tag::Array | Tag::Object => unreachable!("containers go through container_into"),
    }
}

/// A container being printed: the value and the index of its next element or field.
struct Frame {
    v: Value,
    next: usize,
}

fn container_into(root: Value, out: &mut String) {
    let mut path: HashSet<u64> = HashSet::new();
    let mut stack: Vec<Frame> = Vec::new();
    open(root, out, &mut stack, &mut path);
    while let Some(top) = stack.last_mut() {
        let v = top.v;
        let i = top.next;
        let item = if v.tag == Tag::Array {
            let a = array::obj(v);
            if i >= a.len() {
                None
            } else {
                if i > 0 {
                    out.push_str(", ");
                }
                Some(a.get(i))
            }
        } else {
            let o = object::obj(v);
            if i >= o.len() {
                None
            } else {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(&o.keys()[i]);
                out.push_str(": ");
                Some(o.slots[i])
            }
        };
        match item {
            Some(item) => {
                top.next += 1;
                open(item, out, &mut stack, &mut path);
            }
            None => {
                out.push(if v.tag == Tag::Array { ']' } else { '}' });
                path.remove(&v.bits);
                stack.pop();
            }
        }
    }
}

/// Starts printing `v`: scalars completely, containers by pushing a frame (or the recursion
/// marker when `v` is already being printed further up the path).
fn open(v: Value, out: &mut String, stack: &mut Vec<Frame>, path: &mut HashSet<u64>) {
    let (open, marker) = match v.tag {
        Tag::Array => ('[', "[...]"),
        Tag::Object => ('{', "{...}"),
        _ => return scalar_into(v, out),
    };
    if !path.insert(v.bits) {
        out.push_str(marker);
        return;
    }
    out.push(open);
    stack.push(Frame { v, next: 0 });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtins::{self, table};
    use crate::testutil::*;

    fn f(x: f64) -> String {
        display(Value::float(x))
    }

    #[test]
    fn scalars() {
        assert_eq!(display(Value::NULL), "null");
        assert_eq!(display(Value::TRUE), "true");
        assert_eq!(display(Value::FALSE), "false");
        assert_eq!(display(Value::int(-42)), "-42");
        assert_eq!(display(Value::int(i64::MIN)), "-9223372036854775808");
    }

    #[test]
    fn floats_follow_the_spec_examples() {
        assert_eq!(f(3.0), "3");
        assert_eq!(f(1e21), "1000000000000000000000");
        assert_eq!(f(-100.0), "-100");
        assert_eq!(f(0.5), "0.5");
        assert_eq!(f(1.5e-7), "0.00000015");
        assert_eq!(f(0.1 + 0.2), "0.30000000000000004");
        assert_eq!(f(1.0 / 3.0), "0.3333333333333333");
        assert_eq!(f(-0.0), "-0");
        assert_eq!(f(f64::NAN), "NaN");
        assert_eq!(f(-f64::NAN), "NaN");
        assert_eq!(f(f64::INFINITY), "inf");
        assert_eq!(f(f64::NEG_INFINITY), "-inf");
        assert_eq!(f(2.5), "2.5");
        assert_eq!(f(123456789012345680000.0), "123456789012345680000");
        assert_eq!(f(5e-324).len(), 326);
        assert!(!f(1e300).contains('e'));
    }

    #[test]
    fn strings_are_unquoted_everywhere() {
        rooted(|| {
            let a = s("hi");
            let b = s("x y");
            let inner = arr(&[b]);
            let o = obj(&[("k", a), ("list", inner)]);
            let outer = arr(&[a, o]);
            assert_eq!(d(a), "hi");
            assert_eq!(d(outer), "[hi, {k: hi, list: [x y]}]");
        })
    }

    #[test]
    fn containers() {
        rooted(|| {
            let empty_a = arr(&[]);
            let empty_o = obj(&[]);
            assert_eq!(d(empty_a), "[]");
            assert_eq!(d(empty_o), "{}");
            let nested = arr(&[int(1), float(2.5), Value::NULL, Value::TRUE]);
            let o = obj(&[("b", int(1)), ("a", nested), ("e", empty_a)]);
            assert_eq!(d(o), "{b: 1, a: [1, 2.5, null, true], e: []}");
            let ints = arr(&[int(1), int(2), int(3)]);
            let floats = arr(&[float(1.0), float(-0.0)]);
            let both = arr(&[ints, floats]);
            assert_eq!(d(both), "[[1, 2, 3], [1, -0]]");
        })
    }

    #[test]
    fn self_containing_containers_print_markers() {
        rooted(|| {
            let o = obj(&[("a", int(1))]);
            object::obj(o).set("me", o);
            assert_eq!(d(o), "{a: 1, me: {...}}");
            // An array holding an object that holds the same array object.
            let a = arr(&[o]);
            let p = obj(&[]);
            let a2 = arr(&[p]);
            object::obj(p).set("back", a2);
            assert_eq!(d(a2), "[{back: [...]}]");
            // The same container twice side by side is not a recursion.
            let shared = arr(&[int(7)]);
            let twice = arr(&[shared, shared]);
            assert_eq!(d(twice), "[[7], [7]]");
            let _ = a;
        })
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        rooted(|| {
            let depth = if stress() { 2_000 } else { 100_000 };
            let mut v = arr(&[]);
            for _ in 0..depth {
                v = arr(&[v]);
            }
            let text = d(v);
            assert_eq!(text.len(), 2 * (depth + 1));
            assert!(text.starts_with("[[[[") && text.ends_with("]]]]"));
        })
    }

    #[test]
    fn functions_tasks_handles() {
        rooted(|| {
            let id = table::lookup("to_string").unwrap();
            let fv = builtins::value_of(id).unwrap();
            assert_eq!(d(fv), "<function to_string>");
            let user = function::register(function::FnInfo {
                name: None,
                params: 0,
                required: 0,
                self_first: false,
                is_async: false,
                code: 0,
            });
            let lambda = function::new_user(user, &[]).unwrap();
            assert_eq!(d(lambda), "<function>");
            let named = function::register(function::FnInfo {
                name: Some("work".into()),
                params: 0,
                required: 0,
                self_first: false,
                is_async: false,
                code: 0,
            });
            let named = function::new_user(named, &[]).unwrap();
            let in_arr = arr(&[named]);
            assert_eq!(d(in_arr), "[<function work>]");
            let t = crate::task::new_pending(named, Vec::new()).unwrap();
            assert_eq!(d(t), "<task>");
            let file = std::fs::File::open("/dev/null").unwrap();
            let h = handle::new_file(file).unwrap();
            assert_eq!(d(h), format!("<handle {}>", handle::id(h)));
        })
    }
}
