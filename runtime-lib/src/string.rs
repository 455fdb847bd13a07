//! Strings: immutable UTF-8 text on the heap, indexed by Unicode scalar values (§3.9).
//!
//! The character count is stored, and ASCII strings (count == byte length) index in O(1).

use crate::error::{RtError, RtResult};
use crate::heap::{self, GcHeader, HeapObject, ObjKind};
use crate::value::{Tag, Value};

pub struct StrObj {
    pub chars: usize,
    pub text: Box<str>,
}

impl HeapObject for StrObj {
    const KIND: ObjKind = ObjKind::Str;
    fn extra_bytes(&self) -> usize {
        self.text.len()
    }
}

/// Allocates a string value.
pub fn new(text: &str) -> RtResult<Value> {
    from_string(text.to_string())
}

pub fn from_string(text: String) -> RtResult<Value> {
    let chars = text.chars().count();
    let ptr = heap::alloc(StrObj {
        chars,
        text: text.into_boxed_str(),
    })?;
    Ok(Value::heap(Tag::Str, ptr as *mut GcHeader))
}

fn obj<'a>(v: Value) -> &'a StrObj {
    debug_assert_eq!(v.tag, Tag::Str);
    // SAFETY: a `Str` value points at a live `StrObj`.
    unsafe { heap::payload::<StrObj>(v.ptr()) }
}

/// The text of a string value. The reference is valid while the value is reachable.
pub fn as_str<'a>(v: Value) -> &'a str {
    &obj(v).text
}

/// Length in characters.
pub fn char_len(v: Value) -> usize {
    obj(v).chars
}

/// Normalises an index per §3.10.2 (negative counts from the end).
pub fn normalize_index(i: i64, len: usize) -> RtResult<usize> {
    let len_i = len as i64;
    let j = if i < 0 { i.wrapping_add(len_i) } else { i };
    if j < 0 || j >= len_i {
        return Err(RtError::new(format!(
            "index {i} out of bounds for length {len}"
        )));
    }
    Ok(j as usize)
}

/// `s[i]`: a one-character string.
pub fn index(v: Value, i: i64) -> RtResult<Value> {
    let s = obj(v);
    let j = normalize_index(i, s.chars)?;
    if s.chars == s.text.len() {
        return new(&s.text[j..j + 1]);
    }
    let ch = s.text.chars().nth(j).unwrap_or('\u{fffd}');
    let mut buf = [0u8; 4];
    new(ch.encode_utf8(&mut buf))
}

/// The characters at the given positions (already normalised), as a new string.
pub fn pick(v: Value, positions: impl Iterator<Item = usize>) -> RtResult<Value> {
    let s = obj(v);
    let out: String = if s.chars == s.text.len() {
        positions.map(|p| s.text.as_bytes()[p] as char).collect()
    } else {
        let chars: Vec<char> = s.text.chars().collect();
        positions.map(|p| chars[p]).collect()
    };
    from_string(out)
}
