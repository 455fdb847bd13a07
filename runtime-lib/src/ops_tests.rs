//! Unit tests of `ops` (kept in their own file because they outgrow the operators): every
//! operator over every combination of operand types, and every §3.14.4 message they raise.

use super::*;
use crate::builtins::{self, table};
use crate::testutil::*;

/// One value of each type (task and handle included), held in one array so they stay rooted
/// while the caller keeps (`keep`) that array; `vals` lists them.
fn samples() -> Value {
    let f = builtins::value_of(table::lookup("len").unwrap()).unwrap();
    let t = crate::task::new_pending(f, Vec::new()).unwrap();
    let h = crate::handle::new_file(std::fs::File::open("/dev/null").unwrap()).unwrap();
    let a = arr(&[int(1)]);
    let o = obj(&[("k", int(1))]);
    let st = s("s");
    arr(&[
        Value::NULL,
        Value::TRUE,
        int(2),
        float(1.5),
        st,
        a,
        o,
        f,
        t,
        h,
    ])
}

fn vals(holder: Value) -> Vec<Value> {
    array::obj(holder).to_vec()
}

fn is_num(v: Value) -> bool {
    v.tag == Tag::Int || v.tag == Tag::Float
}

type BinOp = fn(Value, Value) -> RtResult<Value>;

#[test]
fn arithmetic_on_numbers() {
    let cases: &[(BinOp, i64, i64, &str)] = &[
        (add, 7, 2, "9"),
        (sub, 7, 2, "5"),
        (mul, 7, 2, "14"),
        (div, 7, 2, "3"),
        (div, -7, 2, "-3"),
        (rem, 7, 2, "1"),
        (rem, -7, 2, "-1"),
        (rem, 7, -2, "1"),
    ];
    for &(op, x, y, want) in cases {
        assert_eq!(r(op(int(x), int(y))), want, "{x} {y}");
    }
    assert_eq!(r(add(int(1), float(0.5))), "1.5");
    assert_eq!(r(add(float(0.5), int(1))), "1.5");
    assert_eq!(r(add(float(0.1), float(0.2))), "0.30000000000000004");
    assert_eq!(r(sub(int(1), float(0.5))), "0.5");
    assert_eq!(r(mul(float(1.5), int(2))).as_str(), "3");
    assert_eq!(mul(float(1.5), int(2)).unwrap().tag, Tag::Float);
    assert_eq!(r(div(int(1), float(4.0))), "0.25");
    assert_eq!(r(div(float(1.0), int(3))), "0.3333333333333333");
    assert_eq!(r(rem(float(5.5), int(2))), "1.5");
    assert_eq!(r(rem(float(-5.5), int(2))), "-1.5");
    assert_eq!(div(int(9), int(3)).unwrap().tag, Tag::Int);
}

#[test]
fn integer_overflow_wraps() {
    assert_eq!(r(add(int(i64::MAX), int(1))), "-9223372036854775808");
    assert_eq!(r(sub(int(i64::MIN), int(1))), "9223372036854775807");
    assert_eq!(r(mul(int(i64::MIN), int(-1))), "-9223372036854775808");
    assert_eq!(r(div(int(i64::MIN), int(-1))), "-9223372036854775808");
    assert_eq!(r(rem(int(i64::MIN), int(-1))), "0");
    assert_eq!(r(rem(int(5), int(-1))), "0");
    assert_eq!(r(neg(int(i64::MIN))), "-9223372036854775808");
    assert_eq!(r(neg(int(5))), "-5");
    assert_eq!(r(neg(float(0.0))), "-0");
    assert_eq!(r(neg(float(-2.5))), "2.5");
}

#[test]
fn division_by_zero_for_ints_and_floats() {
    for op in [div as BinOp, rem] {
        for (a, b) in [
            (int(1), int(0)),
            (float(1.0), float(0.0)),
            (float(1.0), float(-0.0)),
            (int(1), float(0.0)),
            (float(1.0), int(0)),
            (int(0), int(0)),
        ] {
            assert_eq!(err(op(a, b)), "division by zero");
        }
    }
}

#[test]
fn float_remainder_is_fmod_c31() {
    let inf = f64::INFINITY;
    assert_eq!(r(rem(float(inf), int(2))), "NaN");
    assert_eq!(r(rem(int(5), float(inf))), "5");
    assert_eq!(r(rem(float(f64::NAN), int(2))), "NaN");
    assert_eq!(r(rem(int(2), float(f64::NAN))), "NaN");
    assert_eq!(r(div(int(1), float(inf))), "0");
}

#[test]
fn string_concatenation_uses_display() {
    rooted(|| {
        let three = s("3");
        let left = add(int(1), int(2)).unwrap();
        assert_eq!(r(add(left, three)), "33");
        let t = add(three, int(1)).unwrap();
        assert_eq!(r(add(t, int(2))), "312");
        let b = s("b");
        let a = arr(&[int(1), b]);
        let pre = s("a");
        assert_eq!(r(add(pre, a)), "a[1, b]");
        assert_eq!(r(add(Value::NULL, pre)), "nulla");
        assert_eq!(r(add(pre, float(2.0))), "a2");
        assert_eq!(r(add(pre, Value::TRUE)), "atrue");
        let o = obj(&[("x", b)]);
        assert_eq!(r(add(o, pre)), "{x: b}a");
        let e = s("");
        assert_eq!(r(add(e, e)), "");
        let u = s("é");
        assert_eq!(r(add(u, u)), "éé");
    })
}

#[test]
fn every_other_operand_combination_fails() {
    rooted(|| {
        let holder = samples();
        let vals = vals(holder);
        let ops: [(BinOp, &str); 5] = [(add, "+"), (sub, "-"), (mul, "*"), (div, "/"), (rem, "%")];
        for &a in &vals {
            for &b in &vals {
                for &(op, sym) in &ops {
                    let ok_types = (is_num(a) && is_num(b))
                        || (sym == "+" && (a.tag == Tag::Str || b.tag == Tag::Str));
                    let res = op(a, b);
                    if ok_types {
                        assert!(res.is_ok(), "{sym} {a:?} {b:?}");
                    } else {
                        assert_eq!(
                            err(res),
                            format!(
                                "unsupported operand types for {sym}: {} and {}",
                                a.type_name(),
                                b.type_name()
                            )
                        );
                    }
                }
            }
            if !is_num(a) {
                assert_eq!(
                    err(neg(a)),
                    format!("unsupported operand type for -: {}", a.type_name())
                );
            }
        }
        keep(holder);
    })
}

#[test]
fn truthiness() {
    rooted(|| {
        let falsy = [
            Value::FALSE,
            Value::NULL,
            int(0),
            float(0.0),
            float(-0.0),
            s(""),
            arr(&[]),
            obj(&[]),
        ];
        for v in falsy {
            assert!(!truthy(v), "{v:?}");
            assert_eq!(not(v), Value::TRUE);
        }
        let zero = int(0);
        let truthy_vals = [
            Value::TRUE,
            int(-1),
            float(f64::NAN),
            float(0.1),
            s("0"),
            s("false"),
            arr(&[zero]),
            obj(&[("a", zero)]),
        ];
        for v in truthy_vals {
            assert!(truthy(v), "{v:?}");
            assert_eq!(not(v), Value::FALSE);
        }
        let holder = samples();
        for v in vals(holder).into_iter().skip(7) {
            assert!(truthy(v), "function, task and handle are truthy");
        }
        keep(holder);
    })
}

#[test]
fn equality_of_scalars() {
    rooted(|| {
        assert!(equals(int(1), float(1.0)));
        assert!(equals(float(1.0), int(1)));
        assert!(!equals(int(9007199254740993), float(9007199254740992.0)));
        assert!(!equals(float(9007199254740992.0), int(9007199254740993)));
        assert!(equals(int(9007199254740992), float(9007199254740992.0)));
        assert!(!equals(int(i64::MAX), float(9223372036854775808.0)));
        assert!(equals(int(i64::MIN), float(-9223372036854775808.0)));
        assert!(!equals(int(1), float(1.5)));
        assert!(!equals(float(f64::NAN), float(f64::NAN)));
        assert!(!equals(int(0), float(f64::NAN)));
        assert!(equals(float(0.0), float(-0.0)));
        assert!(equals(int(0), float(-0.0)));
        assert!(equals(s("héllo"), s("héllo")));
        assert!(!equals(s("a"), s("b")));
        assert!(equals(Value::NULL, Value::NULL));
        assert!(!equals(Value::NULL, Value::FALSE));
        assert!(!equals(int(0), Value::FALSE));
        assert!(!equals(int(1), s("1")));
        assert!(!equals(Value::TRUE, int(1)));
    })
}

#[test]
fn equality_of_containers_and_references() {
    rooted(|| {
        let a1 = arr(&[int(1), s("x")]);
        let a2 = arr(&[int(1), s("x")]);
        let a3 = arr(&[float(1.0), s("x")]);
        let a4 = arr(&[int(1)]);
        assert!(equals(a1, a2) && equals(a1, a3));
        assert!(!equals(a1, a4));
        let i = arr(&[int(1), int(2)]);
        let fl = arr(&[float(1.0), float(2.0)]);
        assert!(equals(i, fl));
        let nan = arr(&[float(f64::NAN)]);
        assert!(!equals(nan, nan), "[NaN] != [NaN], even for the same array");
        let o1 = obj(&[("a", int(1)), ("b", a1)]);
        let o2 = obj(&[("b", a2), ("a", float(1.0))]);
        let o3 = obj(&[("a", int(1))]);
        let o4 = obj(&[("a", int(1)), ("c", a1)]);
        assert!(equals(o1, o2), "key order does not matter");
        assert!(!equals(o1, o3) && !equals(o3, o1));
        assert!(!equals(o1, o4));
        let on = obj(&[("n", float(f64::NAN))]);
        assert!(equals(on, on), "the same object is equal to itself");
        assert!(!equals(a1, o1));
        let e1 = arr(&[]);
        let e2 = obj(&[]);
        assert!(!equals(e1, e2));
        // Cycles terminate.
        let c1 = obj(&[("v", int(1))]);
        object::obj(c1).set("me", c1);
        let c2 = obj(&[("v", int(1))]);
        object::obj(c2).set("me", c2);
        assert!(equals(c1, c2));
        object::obj(c2).set("v", int(2));
        assert!(!equals(c1, c2));
        // Identity types.
        let holder = samples();
        let vals = vals(holder);
        let (f, t, h) = (vals[7], vals[8], vals[9]);
        assert!(equals(f, f) && equals(t, t) && equals(h, h));
        let t2 = crate::task::new_pending(f, Vec::new()).unwrap();
        assert!(!equals(t, t2));
        let len2 = function::new_builtin(table::lookup("len").unwrap()).unwrap();
        assert!(equals(f, len2), "one builtin is one function value");
        let str_fn = builtins::value_of(table::lookup_alias("str").unwrap()).unwrap();
        let to_string = builtins::value_of(table::lookup("to_string").unwrap()).unwrap();
        assert!(equals(str_fn, to_string));
        assert!(!equals(f, to_string));
        keep(holder);
    })
}

#[test]
fn deep_equality_does_not_overflow() {
    rooted(|| {
        let depth = if stress() { 1_000 } else { 100_000 };
        let (mut x, mut y) = (arr(&[]), arr(&[]));
        for _ in 0..depth {
            x = arr(&[x, int(1)]);
            y = arr(&[y, int(1)]);
        }
        assert!(equals(x, y));
    })
}

#[test]
fn ordering_comparisons() {
    rooted(|| {
        use CmpOp::*;
        let c = |op, a, b| compare(op, a, b).unwrap();
        assert!(c(Lt, int(1), int(2)) && c(Le, int(2), int(2)) && !c(Gt, int(1), int(2)));
        assert!(c(Ge, int(2), int(2)) && !c(Lt, int(2), int(2)));
        assert!(c(Lt, int(1), float(1.5)) && c(Gt, float(1.5), int(1)));
        assert!(!c(Lt, int(9007199254740992), float(9007199254740993.0)));
        assert!(c(Gt, int(9007199254740993), float(9007199254740992.0)));
        assert!(c(Lt, float(9007199254740992.0), int(9007199254740993)));
        assert!(c(Lt, int(i64::MAX), float(9223372036854775808.0)));
        assert!(c(Gt, int(i64::MIN), float(-1e300)));
        assert!(c(Lt, int(-1), float(-0.5)) && c(Gt, int(0), float(-0.5)));
        assert!(c(Lt, int(i64::MAX), float(f64::INFINITY)));
        assert!(c(Le, float(0.0), float(-0.0)) && c(Ge, float(0.0), float(-0.0)));
        for op in [Lt, Le, Gt, Ge] {
            assert!(!c(op, float(f64::NAN), int(1)));
            assert!(!c(op, int(1), float(f64::NAN)));
            assert!(!c(op, float(f64::NAN), float(f64::NAN)));
        }
        assert!(c(Lt, s("a"), s("b")) && c(Lt, s("Z"), s("a")) && c(Lt, s("ab"), s("abc")));
        assert!(c(Lt, s("z"), s("é")) && c(Lt, s("\u{FFFF}"), s("\u{10000}")));
        assert!(c(Ge, s(""), s("")));
        let holder = samples();
        let vals = vals(holder);
        for &a in &vals {
            for &b in &vals {
                let ok = (is_num(a) && is_num(b)) || (a.tag == Tag::Str && b.tag == Tag::Str);
                for op in [Lt, Le, Gt, Ge] {
                    let res = compare(op, a, b);
                    if ok {
                        assert!(res.is_ok());
                    } else {
                        assert_eq!(
                            err(res),
                            format!(
                                "unsupported operand types for {}: {} and {}",
                                op.symbol(),
                                a.type_name(),
                                b.type_name()
                            )
                        );
                    }
                }
            }
        }
        keep(holder);
    })
}

#[test]
fn indexing() {
    rooted(|| {
        let a = arr(&[int(10), int(20), int(30)]);
        assert_eq!(r(index_get(a, int(0))), "10");
        assert_eq!(r(index_get(a, int(-1))), "30");
        assert_eq!(r(index_get(a, int(-3))), "10");
        assert_eq!(
            err(index_get(a, int(3))),
            "index 3 out of bounds for length 3"
        );
        assert_eq!(
            err(index_get(a, int(-4))),
            "index -4 out of bounds for length 3"
        );
        assert_eq!(
            err(index_get(a, int(i64::MIN))),
            "index -9223372036854775808 out of bounds for length 3"
        );
        assert_eq!(
            err(index_get(a, float(0.0))),
            "cannot index array with float"
        );
        assert_eq!(err(index_get(a, s("0"))), "cannot index array with string");
        let t = s("héllo");
        assert_eq!(r(index_get(t, int(1))), "é");
        assert_eq!(r(index_get(t, int(-1))), "o");
        assert_eq!(
            err(index_get(t, int(5))),
            "index 5 out of bounds for length 5"
        );
        assert_eq!(
            err(index_get(t, Value::NULL)),
            "cannot index string with null"
        );
        let o = obj(&[("k", int(1))]);
        let k = s("k");
        let missing = s("zz");
        assert_eq!(r(index_get(o, k)), "1");
        assert_eq!(r(index_get(o, missing)), "null");
        assert_eq!(err(index_get(o, int(0))), "cannot index object with int");
        assert_eq!(err(index_get(int(5), int(0))), "cannot index int with int");
        assert_eq!(
            err(index_get(Value::NULL, int(0))),
            "cannot index null with int"
        );
        assert_eq!(
            err(index_get(Value::TRUE, k)),
            "cannot index bool with string"
        );
        let empty = arr(&[]);
        assert_eq!(
            err(index_get(empty, int(0))),
            "index 0 out of bounds for length 0"
        );
    })
}

#[test]
fn slicing_matches_the_spec_table() {
    rooted(|| {
        let v = arr(&[int(10), int(20), int(30), int(40), int(50)]);
        let n = Value::NULL;
        let sl = |a: Value, b: Value, c: Value| r(slice(v, a, b, c));
        assert_eq!(sl(int(1), int(4), n), "[20, 30, 40]");
        assert_eq!(sl(n, n, int(-1)), "[50, 40, 30, 20, 10]");
        assert_eq!(sl(int(-3), int(-1), n), "[30, 40]");
        assert_eq!(sl(int(4), int(1), int(-2)), "[50, 30]");
        assert_eq!(sl(int(10), n, n), "[]");
        assert_eq!(sl(n, n, n), "[10, 20, 30, 40, 50]");
        assert_eq!(sl(n, n, int(2)), "[10, 30, 50]");
        assert_eq!(sl(int(-100), int(100), n), "[10, 20, 30, 40, 50]");
        assert_eq!(sl(int(100), n, int(-1)), "[50, 40, 30, 20, 10]");
        assert_eq!(sl(int(-100), n, int(-1)), "[]");
        assert_eq!(sl(n, int(-100), int(-1)), "[50, 40, 30, 20, 10]");
        assert_eq!(sl(int(3), int(3), n), "[]");
        assert_eq!(sl(int(0), int(5), int(i64::MAX)), "[10]");
        assert_eq!(sl(n, n, int(i64::MIN)), "[50]");
        assert_eq!(sl(int(i64::MIN), int(i64::MAX), n), "[10, 20, 30, 40, 50]");
        let w = s("añejo");
        assert_eq!(r(slice(w, n, n, int(-1))), "ojeña");
        assert_eq!(r(slice(w, int(1), int(3), n)), "ñe");
        assert_eq!(slice(w, int(1), int(3), n).unwrap().tag, Tag::Str);
        let copy = slice(v, n, n, n).unwrap();
        assert!(copy.bits != v.bits, "a slice is a new value");
        // Errors, in C25 order.
        assert_eq!(
            err(slice(int(1), float(1.0), n, int(0))),
            "slice target must be array or string"
        );
        let o = obj(&[]);
        assert_eq!(
            err(slice(o, n, n, n)),
            "slice target must be array or string"
        );
        assert_eq!(
            err(slice(v, float(1.0), n, int(0))),
            "slice indices must be integers"
        );
        assert_eq!(
            err(slice(v, n, s("x"), int(0))),
            "slice indices must be integers"
        );
        assert_eq!(err(slice(v, n, n, int(0))), "slice step cannot be zero");
        assert_eq!(
            err(slice(v, n, n, float(1.0))),
            "slice indices must be integers"
        );
    })
}

#[test]
fn members() {
    rooted(|| {
        let o = obj(&[("a", int(1))]);
        assert_eq!(r(member_get(o, "a")), "1");
        assert_eq!(r(member_get(o, "b")), "null");
        assert_eq!(
            err(member_get(int(1), "foo")),
            "cannot access member 'foo' on int"
        );
        assert_eq!(
            err(member_get(Value::NULL, "x")),
            "cannot access member 'x' on null"
        );
        let a = arr(&[]);
        assert_eq!(
            err(member_get(a, "len")),
            "cannot access member 'len' on array"
        );
        member_set(o, "b", int(2)).unwrap();
        member_set(o, "a", int(3)).unwrap();
        assert_eq!(d(o), "{a: 3, b: 2}");
        member_set(o, "a", Value::NULL).unwrap();
        assert_eq!(d(o), "{b: 2}");
        member_set(o, "a", int(4)).unwrap();
        assert_eq!(d(o), "{b: 2, a: 4}");
        assert_eq!(
            err(member_set(s("x"), "f", int(1))),
            "cannot assign member 'f' on string"
        );
        assert_eq!(
            err(member_set(a, "f", int(1))),
            "cannot assign member 'f' on array"
        );
    })
}

#[test]
fn assignment_through_index() {
    rooted(|| {
        let a = arr(&[int(1), int(2)]);
        let b = a;
        array::share(a); // `let b = a`
        let a2 = index_set(a, int(0), int(9)).unwrap();
        assert_eq!(d(a2), "[9, 2]");
        assert_eq!(d(b), "[1, 2]", "the other place keeps its value");
        let a3 = index_set(a2, int(-1), s("x")).unwrap();
        assert_eq!(a3.bits, a2.bits, "an unshared array is updated in place");
        assert_eq!(d(a3), "[9, x]");
        assert_eq!(
            err(index_set(a3, int(2), int(0))),
            "index 2 out of bounds for length 2"
        );
        assert_eq!(
            err(index_set(a3, s("0"), int(0))),
            "cannot index array with string"
        );
        let o = obj(&[]);
        let k = s("k");
        assert_eq!(index_set(o, k, int(1)).unwrap().bits, o.bits);
        assert_eq!(d(o), "{k: 1}");
        index_set(o, k, Value::NULL).unwrap();
        assert_eq!(d(o), "{}");
        assert_eq!(
            err(index_set(o, int(1), int(1))),
            "object keys must be strings"
        );
        let t = s("abc");
        assert_eq!(err(index_set(t, int(0), k)), "cannot assign into a string");
        assert_eq!(err(index_set(t, k, k)), "cannot assign into a string");
        assert_eq!(
            err(index_set(int(5), int(0), int(1))),
            "cannot index int with int"
        );
        assert_eq!(
            err(index_set(Value::NULL, k, int(1))),
            "cannot index null with string"
        );
        // Nested arrays: storing an array element shares it, so the outer copy is independent.
        let inner = arr(&[int(0)]);
        let m = arr(&[inner]);
        let row = index_get(m, int(0)).unwrap();
        let row2 = index_set(row, int(0), int(5)).unwrap();
        let m2 = index_set(m, int(0), row2).unwrap();
        assert_eq!(d(m2), "[[5]]");
        assert_eq!(d(inner), "[0]");
    })
}

#[test]
fn nested_write_through_a_shared_array_copies_the_inner_array() {
    rooted(|| {
        // let m = [[0], [1]]; let b = m; m[0][0] = 5
        let r0 = int(0);
        let r1 = int(1);
        let row0 = array::from_values(vec![r0]).unwrap();
        let row1 = array::from_values(vec![r1]).unwrap();
        let m = array::from_values(vec![row0, row1]).unwrap();
        array::share(m); // `let b = m`
        let b = m;
        let row = index_get(m, int(0)).unwrap();
        let row2 = index_set(row, int(0), int(5)).unwrap();
        let m2 = index_set(m, int(0), row2).unwrap();
        assert_eq!(d(m2), "[[5], [1]]");
        assert_eq!(d(b), "[[0], [1]]");
        // Unshared all the way: updated in place, no copies.
        let fresh_row = array::from_values(vec![r0]).unwrap();
        let n = array::from_values(vec![fresh_row]).unwrap();
        let row = index_get(n, int(0)).unwrap();
        let row2 = index_set(row, int(0), int(7)).unwrap();
        assert_eq!(row2.bits, fresh_row.bits);
        assert_eq!(index_set(n, int(0), row2).unwrap().bits, n.bits);
        assert_eq!(d(n), "[[7]]");
        // A loop variable is another place too.
        let items = iter_items(n).unwrap();
        let x = index_set(items[0], int(0), int(8)).unwrap();
        assert_eq!(d(x), "[8]");
        assert_eq!(d(n), "[[7]]");
        keep(x);
        keep(row0);
        keep(row1);
    })
}

#[test]
fn iteration() {
    rooted(|| {
        let a = arr(&[int(1), s("two")]);
        let items = iter_items(a).unwrap();
        assert_eq!(items.len(), 2);
        assert!(array::is_shared(a), "the loop sees the array as it was");
        let t = s("añ");
        let src = iter_source(t).unwrap();
        assert_eq!(d(src), "[a, ñ]");
        let o = obj(&[("x", int(1)), ("y", int(2))]);
        let keys = iter_source(o).unwrap();
        assert_eq!(d(keys), "[x, y]");
        let e = s("");
        assert_eq!(iter_items(e).unwrap().len(), 0);
        for v in [Value::NULL, int(1), float(1.0), Value::TRUE] {
            assert_eq!(
                err(iter_items(v)),
                format!("value of type '{}' is not iterable", v.type_name())
            );
        }
        let holder = samples();
        let vals = vals(holder);
        assert_eq!(
            err(iter_items(vals[7])),
            "value of type 'function' is not iterable"
        );
        assert_eq!(type_of(vals[9]), "handle");
        assert_eq!(type_of(vals[3]), "float");
        keep(holder);
    })
}

/// The layouts the code generator's inline paths read (docs/MEMORY_MODEL.md, "Layouts compiled
/// code reads"), checked through raw memory on this target.
#[test]
fn layouts_compiled_code_reads() {
    let word = std::mem::size_of::<usize>();
    let read_word = |at: *const u8| unsafe { (at as *const usize).read_unaligned() };
    for (a, kind, first) in [
        (arr(&[int(7), int(8)]), array::STORAGE_INTS, 7u64),
        (arr(&[float(0.5)]), array::STORAGE_FLOATS, 0.5f64.to_bits()),
        (arr(&[Value::TRUE, Value::FALSE]), array::STORAGE_BOOLS, 1),
        (
            arr(&[Value::TRUE, int(1)]),
            array::STORAGE_VALUES,
            Tag::Bool as u64,
        ),
    ] {
        let payload = unsafe { (a.ptr() as *const u8).add(heap::PAYLOAD_OFFSET as usize) };
        assert_eq!(unsafe { *payload }, kind);
        let data = read_word(unsafe { payload.add(word) }) as *const u64;
        assert_eq!(read_word(unsafe { payload.add(2 * word) }), array::len(a));
        assert!(read_word(unsafe { payload.add(3 * word) }) >= array::len(a));
        // The first element: a whole word, or the first byte (a bool, a general value's tag).
        let first_item = if kind == array::STORAGE_VALUES || kind == array::STORAGE_BOOLS {
            u64::from(unsafe { *(data as *const u8) })
        } else {
            unsafe { *data }
        };
        assert_eq!(first_item, first);
    }
    let o = obj(&[("k", int(5)), ("j", int(6))]);
    let payload = unsafe { (o.ptr() as *const u8).add(heap::PAYLOAD_OFFSET as usize) };
    assert_eq!(
        read_word(payload),
        object::obj(o).shape as *const object::Shape as usize
    );
    let slots = read_word(unsafe { payload.add(word) }) as *const Value;
    assert_eq!(unsafe { *slots.add(1) }, int(6));
    assert_eq!(read_word(unsafe { payload.add(2 * word) }), 2);
    // A closure: its cells, then `FastCall` (entry, packed arity).
    let id = function::register(function::FnInfo {
        name: Some("m".into()),
        params: 3,
        required: 2,
        self_first: true,
        is_async: false,
        code: 0,
    });
    function::set_native(id, 0x1230);
    let cell = function::new_cell(int(9)).unwrap();
    let f = function::new_user(id, &[cell]).unwrap();
    let payload = unsafe { (f.ptr() as *const u8).add(heap::PAYLOAD_OFFSET as usize) };
    let cells = read_word(payload) as *const Value;
    assert_eq!(unsafe { *cells }, cell);
    assert_eq!(read_word(unsafe { payload.add(3 * word) }), 0x1230);
    assert_eq!(
        read_word(unsafe { payload.add(4 * word) }),
        3 | 2 << 15 | 1 << 30
    );
    assert_eq!(std::mem::size_of::<Value>(), 16);
    assert_eq!(std::mem::align_of::<Value>(), 8);
}
