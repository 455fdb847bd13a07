//! Conversion and introspection builtins (§4.3): `len`, `type`, `to_string`, `bool`,
//! `parse_int`, `parse_float`, `int`, `float`.
//!
//! The number parsers validate the exact grammar of §4.3 themselves (C16, C17) and only then
//! let Rust convert, because Rust's own parsers accept and reject different spellings; Rust's
//! float parser is correctly rounded, so the conversion itself is left to it.

use super::type_error;
use crate::array;
use crate::display::display;
use crate::error::{RtError, RtResult};
use crate::object;
use crate::ops;
use crate::string;
use crate::value::{Tag, Value};

pub(super) fn len(args: &[Value]) -> RtResult<Value> {
    let v = args[0];
    let n = match v.tag {
        Tag::Str => string::char_len(v),
        Tag::Array => array::len(v),
        Tag::Object => object::obj(v).len(),
        _ => return Err(type_error("len", "a string, array or object", v)),
    };
    Ok(Value::int(n as i64))
}

pub(super) fn type_(args: &[Value]) -> RtResult<Value> {
    string::new(args[0].type_name())
}

pub(super) fn to_string(args: &[Value]) -> RtResult<Value> {
    match args[0].tag {
        Tag::Str => Ok(args[0]),
        _ => string::from_string(display(args[0])),
    }
}

pub(super) fn bool_(args: &[Value]) -> RtResult<Value> {
    Ok(Value::bool(ops::truthy(args[0])))
}

/// The text a parser sees: strings as they are, anything else through `D`; then trimmed.
fn parse_input(v: Value) -> String {
    match v.tag {
        Tag::Str => string::as_str(v).trim().to_string(),
        _ => display(v).trim().to_string(),
    }
}

/// §4.3 integer grammar: optional sign, then one or more digits of `base`; must fit in i64.
pub fn parse_int_text(text: &str, base: u32) -> Option<i64> {
    let (negative, digits) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() {
        return None;
    }
    let mut magnitude: u64 = 0;
    for ch in digits.chars() {
        let d = ch.to_digit(base)?;
        magnitude = magnitude.checked_mul(base as u64)?.checked_add(d as u64)?;
    }
    if negative {
        if magnitude > 1u64 << 63 {
            return None;
        }
        Some((magnitude as i64).wrapping_neg())
    } else {
        i64::try_from(magnitude).ok()
    }
}

pub(super) fn parse_int(args: &[Value]) -> RtResult<Value> {
    let base = match super::optional(args, 1) {
        None => 10,
        Some(b) if b.tag == Tag::Int && (2..=36).contains(&b.as_int()) => b.as_int() as u32,
        Some(b) if b.tag == Tag::Int => {
            return Err(RtError::new(format!(
                "parse_int: base must be between 2 and 36, got {}",
                b.as_int()
            )))
        }
        Some(b) => return Err(type_error("parse_int", "an int base", b)),
    };
    parse_int_value(args[0], base)
}

fn parse_int_value(v: Value, base: u32) -> RtResult<Value> {
    let t = parse_input(v);
    match parse_int_text(&t, base) {
        Some(i) => Ok(Value::int(i)),
        None => Err(RtError::new(format!(
            "parse_int: cannot parse '{t}' in base {base}"
        ))),
    }
}

/// §4.3 float grammar: optional sign, then decimal digits with an optional fraction and
/// exponent (`2`, `2.5`, `.5`, `5.`, `1e-3`), or `inf`/`infinity`/`nan` in any case.
pub fn parse_float_text(text: &str) -> Option<f64> {
    let (negative, body) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let sign = |x: f64| if negative { -x } else { x };
    let lower = body.to_ascii_lowercase();
    match lower.as_str() {
        "inf" | "infinity" => return Some(sign(f64::INFINITY)),
        "nan" => return Some(f64::NAN),
        _ => {}
    }
    let b = body.as_bytes();
    let digits_from = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let int_end = digits_from(0);
    let mut i = int_end;
    let mut mantissa_digits = int_end;
    if i < b.len() && b[i] == b'.' {
        let frac_end = digits_from(i + 1);
        mantissa_digits += frac_end - (i + 1);
        i = frac_end;
    }
    if mantissa_digits == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            i += 1;
        }
        let exp_end = digits_from(i);
        if exp_end == i {
            return None;
        }
        i = exp_end;
    }
    if i != b.len() {
        return None;
    }
    body.parse::<f64>().ok().map(sign)
}

pub(super) fn parse_float(args: &[Value]) -> RtResult<Value> {
    parse_float_value(args[0])
}

fn parse_float_value(v: Value) -> RtResult<Value> {
    let t = parse_input(v);
    match parse_float_text(&t) {
        Some(f) => Ok(Value::float(f)),
        None => Err(RtError::new(format!("parse_float: cannot parse '{t}'"))),
    }
}

const TWO_POW_63: f64 = 9_223_372_036_854_775_808.0;

pub(super) fn int(args: &[Value]) -> RtResult<Value> {
    let v = args[0];
    match v.tag {
        Tag::Int => Ok(v),
        Tag::Bool => Ok(Value::int(v.as_bool() as i64)),
        Tag::Str => parse_int_value(v, 10),
        Tag::Float => {
            let f = v.as_float();
            if !f.is_finite() {
                let what = if f.is_nan() {
                    "NaN"
                } else {
                    "an infinite float"
                };
                return Err(RtError::new(format!("int: cannot convert {what} to int")));
            }
            let t = f.trunc();
            if !(-TWO_POW_63..TWO_POW_63).contains(&t) {
                return Err(RtError::new(format!(
                    "int: {} is out of the int range",
                    display(v)
                )));
            }
            Ok(Value::int(t as i64))
        }
        _ => Err(RtError::new(format!(
            "int: cannot convert {} to int",
            v.type_name()
        ))),
    }
}

pub(super) fn float(args: &[Value]) -> RtResult<Value> {
    let v = args[0];
    match v.tag {
        Tag::Float => Ok(v),
        Tag::Int => Ok(Value::float(v.as_int() as f64)),
        Tag::Bool => Ok(Value::float(if v.as_bool() { 1.0 } else { 0.0 })),
        Tag::Str => parse_float_value(v),
        _ => Err(RtError::new(format!(
            "float: cannot convert {} to float",
            v.type_name()
        ))),
    }
}

#[cfg(test)]
mod tests {
    use crate::builtins::{call, table};
    use crate::error::RtResult;
    use crate::testutil::*;
    use crate::value::{Tag, Value};

    fn run(name: &str, args: &[Value]) -> RtResult<Value> {
        call(table::lookup(name).unwrap(), args)
    }

    #[test]
    fn len_type_to_string_bool() {
        rooted(|| {
            let h = s("héllo");
            let a = arr(&[int(1), int(2)]);
            let o = obj(&[("a", int(1))]);
            assert_eq!(r(run("len", &[h])), "5");
            assert_eq!(r(run("len", &[a])), "2");
            assert_eq!(r(run("len", &[o])), "1");
            assert_eq!(
                err(run("len", &[int(1)])),
                "len: expects a string, array or object, got int"
            );
            assert_eq!(r(run("type", &[float(1.0)])), "float");
            assert_eq!(r(run("type", &[a])), "array");
            assert_eq!(r(run("type", &[Value::NULL])), "null");
            assert_eq!(run("to_string", &[h]).unwrap().bits, h.bits);
            assert_eq!(r(run("to_string", &[a])), "[1, 2]");
            assert_eq!(run("to_string", &[float(3.0)]).unwrap().tag, Tag::Str);
            assert_eq!(r(run("to_string", &[float(3.0)])), "3");
            assert_eq!(r(run("bool", &[int(0)])), "false");
            assert_eq!(r(run("bool", &[a])), "true");
            let e = s("");
            assert_eq!(r(run("bool", &[e])), "false");
        })
    }

    #[test]
    fn parse_int_grammar_and_messages() {
        rooted(|| {
            let p = |t: &str| r(run("parse_int", &[s(t)]));
            let pb = |t: &str, b: i64| r(run("parse_int", &[s(t), int(b)]));
            assert_eq!(p("42"), "42");
            assert_eq!(p("  -17\n"), "-17");
            assert_eq!(p("+5"), "5");
            assert_eq!(p("007"), "7");
            assert_eq!(p("9223372036854775807"), "9223372036854775807");
            assert_eq!(p("-9223372036854775808"), "-9223372036854775808");
            assert_eq!(pb("ff", 16), "255");
            assert_eq!(pb("-FF", 16), "-255");
            assert_eq!(pb("z", 36), "35");
            assert_eq!(pb("101", 2), "5");
            assert_eq!(r(run("parse_int", &[s("12"), Value::NULL])), "12");
            assert_eq!(r(run("parse_int", &[int(12)])), "12");
            assert_eq!(
                p("9223372036854775808"),
                "ERR: parse_int: cannot parse '9223372036854775808' in base 10"
            );
            assert_eq!(
                p("-9223372036854775809"),
                "ERR: parse_int: cannot parse '-9223372036854775809' in base 10"
            );
            assert_eq!(p("  12a "), "ERR: parse_int: cannot parse '12a' in base 10");
            assert_eq!(p(""), "ERR: parse_int: cannot parse '' in base 10");
            assert_eq!(p("-"), "ERR: parse_int: cannot parse '-' in base 10");
            assert_eq!(
                p("1_000"),
                "ERR: parse_int: cannot parse '1_000' in base 10"
            );
            assert_eq!(p("0x10"), "ERR: parse_int: cannot parse '0x10' in base 10");
            assert_eq!(p("٣"), "ERR: parse_int: cannot parse '٣' in base 10");
            assert_eq!(pb("2", 2), "ERR: parse_int: cannot parse '2' in base 2");
            assert_eq!(
                r(run("parse_int", &[float(3.5)])),
                "ERR: parse_int: cannot parse '3.5' in base 10"
            );
            assert_eq!(
                err(run("parse_int", &[s("1"), int(1)])),
                "parse_int: base must be between 2 and 36, got 1"
            );
            assert_eq!(
                err(run("parse_int", &[s("1"), int(37)])),
                "parse_int: base must be between 2 and 36, got 37"
            );
            assert_eq!(
                err(run("parse_int", &[s("1"), float(10.0)])),
                "parse_int: expects an int base, got float"
            );
        })
    }

    #[test]
    fn parse_float_grammar_and_messages() {
        rooted(|| {
            let p = |t: &str| r(run("parse_float", &[s(t)]));
            assert_eq!(p("2"), "2");
            assert_eq!(run("parse_float", &[s("2")]).unwrap().tag, Tag::Float);
            assert_eq!(p("2.5"), "2.5");
            assert_eq!(p(".5"), "0.5");
            assert_eq!(p("5."), "5");
            assert_eq!(p("1e-3"), "0.001");
            assert_eq!(p("1E+3"), "1000");
            assert_eq!(p(" -2.5e2 "), "-250");
            assert_eq!(p("inf"), "inf");
            assert_eq!(p("-Infinity"), "-inf");
            assert_eq!(p("+INF"), "inf");
            assert_eq!(p("NaN"), "NaN");
            assert_eq!(p("1e400"), "inf");
            assert_eq!(p("-1e400"), "-inf");
            assert_eq!(p("1e-400"), "0");
            assert_eq!(p("-1e-400"), "-0");
            assert_eq!(p("-0"), "-0");
            assert_eq!(r(run("parse_float", &[int(3)])), "3");
            for bad in [
                "", ".", "e5", "1e", "1e+", "1.2.3", "0x1p3", "infinit", "1 2", "- 1", "+-1",
                "nan1", "1_0",
            ] {
                assert_eq!(
                    p(bad),
                    format!("ERR: parse_float: cannot parse '{}'", bad.trim())
                );
            }
            assert_eq!(
                r(run("parse_float", &[Value::TRUE])),
                "ERR: parse_float: cannot parse 'true'"
            );
        })
    }

    #[test]
    fn int_and_float_conversions() {
        rooted(|| {
            assert_eq!(r(run("int", &[int(5)])), "5");
            assert_eq!(r(run("int", &[float(-2.9)])), "-2");
            assert_eq!(r(run("int", &[float(2.9)])), "2");
            assert_eq!(r(run("int", &[float(-0.5)])), "0");
            assert_eq!(r(run("int", &[Value::TRUE])), "1");
            assert_eq!(r(run("int", &[Value::FALSE])), "0");
            assert_eq!(r(run("int", &[s(" 12 ")])), "12");
            assert_eq!(
                err(run("int", &[s("1.5")])),
                "parse_int: cannot parse '1.5' in base 10"
            );
            assert_eq!(
                r(run("int", &[float(-9223372036854775808.0)])),
                "-9223372036854775808"
            );
            assert_eq!(
                err(run("int", &[float(9223372036854775808.0)])),
                "int: 9223372036854776000 is out of the int range"
            );
            assert_eq!(
                err(run("int", &[float(f64::NAN)])),
                "int: cannot convert NaN to int"
            );
            assert_eq!(
                err(run("int", &[float(f64::INFINITY)])),
                "int: cannot convert an infinite float to int"
            );
            assert_eq!(
                err(run("int", &[Value::NULL])),
                "int: cannot convert null to int"
            );
            let a = arr(&[]);
            assert_eq!(err(run("int", &[a])), "int: cannot convert array to int");
            assert_eq!(r(run("float", &[int(3)])), "3");
            assert_eq!(run("float", &[int(3)]).unwrap().tag, Tag::Float);
            assert_eq!(r(run("float", &[float(0.25)])), "0.25");
            assert_eq!(r(run("float", &[Value::TRUE])), "1");
            assert_eq!(r(run("float", &[s("2.5")])), "2.5");
            assert_eq!(
                err(run("float", &[s("x")])),
                "parse_float: cannot parse 'x'"
            );
            assert_eq!(
                err(run("float", &[Value::NULL])),
                "float: cannot convert null to float"
            );
        })
    }
}
