//! JSON text to and from runtime values (§4.8, C15), behind `json_stringify`/`json_parse`.
//!
//! Both directions use explicit stacks instead of recursion, so nesting depth is limited only
//! by memory, never by the native stack. The parser keeps its open containers inside a heap
//! array (`holder`) held in a local, because the collector does not scan Rust heap memory: a
//! container referenced only from a Rust `Vec` would be freed by the next allocation.
//! Stringifying a self-containing value is an error, since its JSON text would be infinite.

use crate::array::{self, Storage};
use crate::cvec::CVec;
use crate::display::float_into;
use crate::error::{RtError, RtResult};
use crate::value::{Tag, Value};
use crate::{object, string};
use std::collections::HashSet;
use std::fmt::Write;

/// Compact JSON text of `v`.
pub fn stringify(v: Value) -> RtResult<String> {
    let mut out = String::new();
    // Open containers: the value and the index of its next element or field.
    let mut stack: Vec<(Value, usize)> = Vec::new();
    let mut path: HashSet<u64> = HashSet::new();
    open(v, &mut out, &mut stack, &mut path)?;
    while let Some(top) = stack.last_mut() {
        let (c, i) = *top;
        let item = if c.tag == Tag::Array {
            let a = array::obj(c);
            if i < a.len() {
                if i > 0 {
                    out.push(',');
                }
                Some(a.get(i))
            } else {
                None
            }
        } else {
            let o = object::obj(c);
            if i < o.len() {
                if i > 0 {
                    out.push(',');
                }
                quote_into(&o.keys()[i], &mut out);
                out.push(':');
                Some(o.slots[i])
            } else {
                None
            }
        };
        match item {
            Some(item) => {
                top.1 += 1;
                open(item, &mut out, &mut stack, &mut path)?;
            }
            None => {
                out.push(if c.tag == Tag::Array { ']' } else { '}' });
                path.remove(&c.bits);
                stack.pop();
            }
        }
    }
    Ok(out)
}

fn open(
    v: Value,
    out: &mut String,
    stack: &mut Vec<(Value, usize)>,
    path: &mut HashSet<u64>,
) -> RtResult<()> {
    match v.tag {
        Tag::Array | Tag::Object => {
            if !path.insert(v.bits) {
                return Err(RtError::new(
                    "json_stringify: cannot serialize a value that contains itself",
                ));
            }
            out.push(if v.tag == Tag::Array { '[' } else { '{' });
            stack.push((v, 0));
        }
        Tag::Null | Tag::Function | Tag::Task | Tag::Handle | Tag::Cell => out.push_str("null"),
        Tag::Bool => out.push_str(if v.as_bool() { "true" } else { "false" }),
        Tag::Int => {
            let _ = write!(out, "{}", v.as_int());
        }
        Tag::Float => {
            let f = v.as_float();
            if !f.is_finite() {
                out.push_str("null");
            } else {
                float_into(f, out);
                if f.fract() == 0.0 {
                    out.push_str(".0");
                }
            }
        }
        Tag::Str => quote_into(string::as_str(v), out),
    }
    Ok(())
}

/// A JSON string literal: `\"`, `\\`, `\n`, `\r`, `\t`, `\b`, `\f`, `\u00xx` for the other
/// characters below U+0020; everything else (U+007F and non-ASCII included) as is.
pub(crate) fn quote_into(s: &str, out: &mut String) {
    out.push('"');
    for ch in s.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Parses RFC 8259 JSON text into values (§4.8).
pub fn parse(text: &str) -> RtResult<Value> {
    let mut p = Parser {
        src: text,
        b: text.as_bytes(),
        pos: 0,
    };
    // The open containers, innermost last, rooted through this heap array.
    let holder = array::from_values(Vec::new())?;
    array::obj(holder).storage = Storage::Values(CVec::new());
    // Per open container: `Some(key)` for an object (the key of the member being parsed),
    // `None` for an array.
    let mut frames: Vec<Option<String>> = Vec::new();
    let result = 'outer: loop {
        // Expecting a value.
        p.skip_ws();
        let start = p.pos;
        let mut value = match p.next()? {
            b'{' => {
                let o = object::new_empty()?;
                p.skip_ws();
                if p.eat(b'}') {
                    o
                } else {
                    hold(holder).push(o);
                    frames.push(Some(p.key()?));
                    continue 'outer;
                }
            }
            b'[' => {
                let a = array::from_values(Vec::new())?;
                p.skip_ws();
                if p.eat(b']') {
                    a
                } else {
                    hold(holder).push(a);
                    frames.push(None);
                    continue 'outer;
                }
            }
            b'"' => string::from_string(p.string_body()?)?,
            b't' => p.literal(start, "true", Value::TRUE)?,
            b'f' => p.literal(start, "false", Value::FALSE)?,
            b'n' => p.literal(start, "null", Value::NULL)?,
            b'-' | b'0'..=b'9' => p.number(start)?,
            _ => return Err(p.unexpected(start)),
        };
        // A value is complete: store it into the innermost container, then continue with
        // that container's next member or close it (which completes another value).
        loop {
            let frame = match frames.last_mut() {
                Some(frame) => frame,
                None => break 'outer value,
            };
            let container = *hold(holder).last().expect("one holder entry per frame");
            match frame {
                Some(key) => object::obj(container).set(key, value),
                None => array::push_in_place(container, value),
            }
            p.skip_ws();
            let at = p.pos;
            match (frame.is_some(), p.next()?) {
                (true, b',') => {
                    p.skip_ws();
                    *frame = Some(p.key()?);
                    continue 'outer;
                }
                (false, b',') => continue 'outer,
                (true, b'}') | (false, b']') => {
                    frames.pop();
                    value = hold(holder).pop().expect("one holder entry per frame");
                }
                _ => return Err(p.unexpected(at)),
            }
        }
    };
    p.skip_ws();
    if p.pos < p.b.len() {
        return Err(p.error_at(p.pos, "unexpected text after the value"));
    }
    Ok(result)
}

/// The value list of the parser's holder array.
fn hold<'a>(holder: Value) -> &'a mut CVec<Value> {
    match &mut array::obj(holder).storage {
        Storage::Values(v) => v,
        _ => unreachable!("the holder always has general storage"),
    }
}

struct Parser<'a> {
    src: &'a str,
    b: &'a [u8],
    pos: usize,
}

impl Parser<'_> {
    fn error_at(&self, pos: usize, what: &str) -> RtError {
        let column = self.src[..pos.min(self.src.len())].chars().count();
        RtError::new(format!("json_parse: {what} at position {column}"))
    }

    fn end(&self) -> RtError {
        RtError::new("json_parse: unexpected end of input")
    }

    fn unexpected(&self, pos: usize) -> RtError {
        match self.src[pos..].chars().next() {
            Some(c) => self.error_at(pos, &format!("unexpected character {c:?}")),
            None => self.end(),
        }
    }

    fn skip_ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.pos) {
            self.pos += 1;
        }
    }

    fn next(&mut self) -> RtResult<u8> {
        match self.b.get(self.pos) {
            Some(&c) => {
                self.pos += 1;
                Ok(c)
            }
            None => Err(self.end()),
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        if self.b.get(self.pos) == Some(&c) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// An object member's key and the `:` after it.
    fn key(&mut self) -> RtResult<String> {
        let at = self.pos;
        if self.next()? != b'"' {
            return Err(self.unexpected(at));
        }
        let key = self.string_body()?;
        self.skip_ws();
        let at = self.pos;
        if self.next()? != b':' {
            return Err(self.unexpected(at));
        }
        Ok(key)
    }

    fn literal(&mut self, start: usize, word: &str, v: Value) -> RtResult<Value> {
        if self.b[start..].starts_with(word.as_bytes()) {
            self.pos = start + word.len();
            Ok(v)
        } else {
            Err(self.unexpected(start))
        }
    }

    fn digits(&mut self) -> usize {
        let from = self.pos;
        while self.b.get(self.pos).map_or(false, u8::is_ascii_digit) {
            self.pos += 1;
        }
        self.pos - from
    }

    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`; the sign (if any) is consumed.
    fn number(&mut self, start: usize) -> RtResult<Value> {
        self.pos = start;
        self.eat(b'-');
        let int_at = self.pos;
        let n = self.digits();
        if n == 0 {
            return Err(self.unexpected(int_at));
        }
        if n > 1 && self.b[int_at] == b'0' {
            return Err(self.error_at(int_at, "leading zero in number"));
        }
        let mut integral = true;
        if self.eat(b'.') {
            integral = false;
            if self.digits() == 0 {
                return Err(self.unexpected(self.pos));
            }
        }
        if self.eat(b'e') || self.eat(b'E') {
            integral = false;
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if self.digits() == 0 {
                return Err(self.unexpected(self.pos));
            }
        }
        let text = &self.src[start..self.pos];
        if integral {
            if let Ok(i) = text.parse::<i64>() {
                return Ok(Value::int(i));
            }
        }
        match text.parse::<f64>() {
            Ok(f) => Ok(Value::float(f)),
            Err(_) => Err(self.error_at(start, "invalid number")),
        }
    }

    fn hex4(&mut self) -> RtResult<u32> {
        let at = self.pos;
        if at + 4 > self.b.len() {
            return Err(self.end());
        }
        let digits = self
            .src
            .get(at..at + 4)
            .ok_or_else(|| self.error_at(at, "invalid \\u escape"))?;
        match u32::from_str_radix(digits, 16) {
            Ok(v) if digits.bytes().all(|c| c.is_ascii_hexdigit()) => {
                self.pos += 4;
                Ok(v)
            }
            _ => Err(self.error_at(at, "invalid \\u escape")),
        }
    }

    /// The rest of a string literal after its opening quote, unescaped.
    fn string_body(&mut self) -> RtResult<String> {
        let mut out = String::new();
        loop {
            let run_start = self.pos;
            while let Some(&c) = self.b.get(self.pos) {
                if c == b'"' || c == b'\\' || c < 0x20 {
                    break;
                }
                self.pos += 1;
            }
            out.push_str(&self.src[run_start..self.pos]);
            let at = self.pos;
            match self.next()? {
                b'"' => return Ok(out),
                b'\\' => {}
                _ => return Err(self.error_at(at, "control character in string")),
            }
            let esc_at = self.pos;
            let c = match self.next()? {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'u' => self.unicode_escape(esc_at)?,
                _ => return Err(self.error_at(esc_at, "invalid escape")),
            };
            out.push(c);
        }
    }

    /// After `\u`: one code point, combining a surrogate pair.
    fn unicode_escape(&mut self, at: usize) -> RtResult<char> {
        let hi = self.hex4()?;
        let code = if (0xD800..0xDC00).contains(&hi) {
            if !(self.eat(b'\\') && self.eat(b'u')) {
                return Err(self.error_at(at, "unpaired surrogate in \\u escape"));
            }
            let lo = self.hex4()?;
            if !(0xDC00..0xE000).contains(&lo) {
                return Err(self.error_at(at, "unpaired surrogate in \\u escape"));
            }
            0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00)
        } else {
            hi
        };
        char::from_u32(code).ok_or_else(|| self.error_at(at, "unpaired surrogate in \\u escape"))
    }
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
