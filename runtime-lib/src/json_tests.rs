//! Unit tests of `json`: output format and escapes, parsing of every RFC 8259 construct, error
//! messages, round trips and deep nesting.

use super::*;
use crate::testutil::*;

fn js(v: Value) -> String {
    stringify(v).unwrap()
}

/// Parses and shows the result with `D`, or the error.
fn p(text: &str) -> String {
    r(parse(text))
}

#[test]
fn stringify_scalars() {
    rooted(|| {
        assert_eq!(js(Value::NULL), "null");
        assert_eq!(js(Value::TRUE), "true");
        assert_eq!(js(int(-42)), "-42");
        assert_eq!(js(float(2.0)), "2.0");
        assert_eq!(js(float(2.5)), "2.5");
        assert_eq!(js(float(-0.0)), "-0.0");
        assert_eq!(js(float(1e21)), "1000000000000000000000.0");
        assert_eq!(js(float(1.5e-7)), "0.00000015");
        assert_eq!(js(float(0.1 + 0.2)), "0.30000000000000004");
        assert_eq!(js(float(f64::NAN)), "null");
        assert_eq!(js(float(f64::INFINITY)), "null");
        assert_eq!(js(float(f64::NEG_INFINITY)), "null");
    })
}

#[test]
fn stringify_escapes() {
    rooted(|| {
        let t = s("q\"b\\n\nr\rt\tb\u{8}f\u{c}\u{1}\u{1f}\u{7f}é😀/");
        assert_eq!(
            js(t),
            "\"q\\\"b\\\\n\\nr\\rt\\tb\\bf\\f\\u0001\\u001f\u{7f}é😀/\""
        );
        let z = s("\0");
        assert_eq!(js(z), "\"\\u0000\"");
    })
}

#[test]
fn stringify_containers() {
    rooted(|| {
        let f = crate::builtins::value_of(crate::builtins::table::lookup("len").unwrap()).unwrap();
        let inner = arr(&[int(1), float(2.0), s("x")]);
        let o = obj(&[
            ("b", inner),
            ("a", Value::TRUE),
            ("f", f),
            ("k\"", obj(&[])),
        ]);
        assert_eq!(
            js(o),
            "{\"b\":[1,2.0,\"x\"],\"a\":true,\"f\":null,\"k\\\"\":{}}"
        );
        let a = arr(&[f, Value::NULL, arr(&[])]);
        assert_eq!(js(a), "[null,null,[]]");
        let file = std::fs::File::open("/dev/null").unwrap();
        let h = crate::handle::new_file(file).unwrap();
        let t = crate::task::new_pending(f, Vec::new()).unwrap();
        let both = arr(&[h, t]);
        assert_eq!(js(both), "[null,null]");
        let shared = arr(&[int(1)]);
        let twice = arr(&[shared, shared]);
        assert_eq!(js(twice), "[[1],[1]]");
    })
}

#[test]
fn stringify_rejects_cycles() {
    rooted(|| {
        let o = obj(&[]);
        object::obj(o).set("me", o);
        assert_eq!(
            err(stringify(o)),
            "json_stringify: cannot serialize a value that contains itself"
        );
    })
}

#[test]
fn parse_values() {
    rooted(|| {
        assert_eq!(p("null"), "null");
        assert_eq!(p(" true "), "true");
        assert_eq!(p("false"), "false");
        assert_eq!(p("0"), "0");
        assert_eq!(p("-0"), "0");
        assert_eq!(parse("-0").unwrap().tag, Tag::Int);
        assert_eq!(p("-0.0"), "-0");
        assert_eq!(p("9223372036854775807"), "9223372036854775807");
        assert_eq!(p("-9223372036854775808"), "-9223372036854775808");
        let big = parse("9223372036854775808").unwrap();
        assert_eq!(big.tag, Tag::Float);
        assert_eq!(d(big), "9223372036854776000");
        assert_eq!(parse("1.0").unwrap().tag, Tag::Float);
        assert_eq!(parse("1e2").unwrap().tag, Tag::Float);
        assert_eq!(p("1E2"), "100");
        assert_eq!(p("1.5e-7"), "0.00000015");
        assert_eq!(p("2e+3"), "2000");
        assert_eq!(p("1e400"), "inf");
        assert_eq!(
            p("\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\""),
            "a\"b\\c/d\u{8}\u{c}\n\r\t"
        );
        assert_eq!(p("\"\\u00e9\\u00E9\""), "éé");
        assert_eq!(p("\"\\ud83d\\ude00\""), "😀");
        assert_eq!(p("\"é😀\""), "é😀");
        assert_eq!(p("[]"), "[]");
        assert_eq!(
            p(" [ 1 , [ ] , { } , \"x\" , null ] "),
            "[1, [], {}, x, null]"
        );
        assert_eq!(
            p("{\"a\": 1, \"b\": [true, {\"c\": null}], \"d\": {}}"),
            "{a: 1, b: [true, {}], d: {}}"
        );
        assert_eq!(p("{\"a\": 1, \"b\": 2, \"a\": 3}"), "{a: 3, b: 2}");
        assert_eq!(p("{\"a\": 1, \"b\": 2, \"a\": null}"), "{b: 2}");
        assert_eq!(p("{\"a\": null, \"b\": 2, \"a\": 5}"), "{b: 2, a: 5}");
        assert_eq!(p("[[[[1]]], 2]"), "[[[[1]]], 2]");
        assert_eq!(p("{\"\": 1}"), "{: 1}");
    })
}

#[test]
fn parse_errors() {
    rooted(|| {
        let cases = [
            ("", "json_parse: unexpected end of input"),
            ("   ", "json_parse: unexpected end of input"),
            ("[1, 2", "json_parse: unexpected end of input"),
            ("{\"a\": 1", "json_parse: unexpected end of input"),
            ("\"abc", "json_parse: unexpected end of input"),
            ("[1,]", "json_parse: unexpected character ']' at position 3"),
            (
                "[1 2]",
                "json_parse: unexpected character '2' at position 3",
            ),
            (
                "{\"a\" 1}",
                "json_parse: unexpected character '1' at position 5",
            ),
            (
                "{a: 1}",
                "json_parse: unexpected character 'a' at position 1",
            ),
            (
                "{\"a\": 1,}",
                "json_parse: unexpected character '}' at position 8",
            ),
            ("[1}", "json_parse: unexpected character '}' at position 2"),
            ("tru", "json_parse: unexpected character 't' at position 0"),
            ("nul", "json_parse: unexpected character 'n' at position 0"),
            ("NaN", "json_parse: unexpected character 'N' at position 0"),
            (
                "'a'",
                "json_parse: unexpected character '\\'' at position 0",
            ),
            ("01", "json_parse: leading zero in number at position 0"),
            ("-", "json_parse: unexpected end of input"),
            ("-a", "json_parse: unexpected character 'a' at position 1"),
            ("1.", "json_parse: unexpected end of input"),
            ("1.e3", "json_parse: unexpected character 'e' at position 2"),
            ("1e", "json_parse: unexpected end of input"),
            (".5", "json_parse: unexpected character '.' at position 0"),
            ("+1", "json_parse: unexpected character '+' at position 0"),
            (
                "1 2",
                "json_parse: unexpected text after the value at position 2",
            ),
            (
                "[] x",
                "json_parse: unexpected text after the value at position 3",
            ),
            (
                "\"a\nb\"",
                "json_parse: control character in string at position 2",
            ),
            ("\"\\x\"", "json_parse: invalid escape at position 2"),
            (
                "\"\\u12g4\"",
                "json_parse: invalid \\u escape at position 3",
            ),
            (
                "\"\\ud800\"",
                "json_parse: unpaired surrogate in \\u escape at position 2",
            ),
            (
                "\"\\udc00\"",
                "json_parse: unpaired surrogate in \\u escape at position 2",
            ),
            (
                "\"\\ud800\\u0041\"",
                "json_parse: unpaired surrogate in \\u escape at position 2",
            ),
            ("\"é\\q\"", "json_parse: invalid escape at position 3"),
            (
                "\u{feff}1",
                "json_parse: unexpected character '\\u{feff}' at position 0",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(err(parse(text)), want, "input {text:?}");
        }
    })
}

#[test]
fn round_trips() {
    rooted(|| {
        let texts = [
            "{\"name\":\"solvra\",\"tags\":[\"a\",\"b\"],\"n\":1,\"x\":2.5,\"ok\":true,\"nested\":{\"deep\":[[],{}]}}",
            "[1,-2,3.0,-0.0,1.5e-7,\"\\u0001\\n\\\"\"]",
            "\"é😀\\u007f\"",
        ];
        for t in texts {
            let v = parse(t).unwrap();
            let again = stringify(v).unwrap();
            let v2 = parse(&again).unwrap();
            assert!(crate::ops::equals(v, v2), "{t} -> {again}");
            assert_eq!(stringify(v2).unwrap(), again);
        }
        assert_eq!(
            stringify(parse("[1,-2,3.0,1.5e-7,\"\\u0001\\n\"]").unwrap()).unwrap(),
            "[1,-2,3.0,0.00000015,\"\\u0001\\n\"]"
        );
    })
}

#[test]
fn deep_nesting_is_fine_both_ways() {
    rooted(|| {
        let depth = if stress() { 2_000 } else { 200_000 };
        let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
        let v = parse(&text).unwrap();
        assert_eq!(stringify(v).unwrap(), text);
        let objs = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
        let o = parse(&objs).unwrap();
        assert_eq!(stringify(o).unwrap(), objs);
        let unclosed = "[".repeat(depth);
        assert_eq!(err(parse(&unclosed)), "json_parse: unexpected end of input");
    })
}

#[test]
fn parsed_values_survive_collections() {
    rooted(|| {
        let v = parse("{\"a\": [\"x\", \"y\", {\"b\": \"z\"}], \"c\": \"w\"}").unwrap();
        crate::heap::collect();
        let filler = s("filler");
        keep(filler);
        crate::heap::collect();
        assert_eq!(d(v), "{a: [x, y, {b: z}], c: w}");
    })
}
