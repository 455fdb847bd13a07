//! Strings: immutable UTF-8 text on the heap, indexed by Unicode scalar values (§3.9).
//!
//! The character count is stored, and ASCII strings (count == byte length) index in O(1).

use crate::error::{RtError, RtResult};
use crate::heap::{self, GcHeader, HeapObject, ObjKind};
use crate::value::{Tag, Value};

/// A string's payload; its UTF-8 text follows it inside the same heap object
/// (`heap::alloc_with_tail`), so a string is one allocation in the collector's blocks and
/// never a call into the system allocator (docs/MEMORY_MODEL.md).
#[repr(C)]
pub struct StrObj {
    pub chars: usize,
    len: usize,
}

impl HeapObject for StrObj {
    const KIND: ObjKind = ObjKind::Str;
}

/// Allocates a string value.
pub fn new(text: &str) -> RtResult<Value> {
    from_pieces(&[text], text.chars().count())
}

/// Allocates a string value of `text`, which is copied into the heap object.
pub fn from_string(text: String) -> RtResult<Value> {
    new(&text)
}

/// A string value of the pieces' text, whose character count the caller already knows.
/// The pieces may be text of other strings: they are copied before anything can collect.
fn from_pieces(pieces: &[&str], chars: usize) -> RtResult<Value> {
    let len = pieces.iter().map(|p| p.len()).sum();
    debug_assert_eq!(
        pieces.iter().map(|p| p.chars().count()).sum::<usize>(),
        chars
    );
    let ptr = heap::alloc_with_tail(StrObj { chars, len }, len, |_, mut at| {
        for p in pieces {
            // SAFETY: the tail has room for every piece's bytes.
            unsafe {
                std::ptr::copy_nonoverlapping(p.as_ptr(), at, p.len());
                at = at.add(p.len());
            }
        }
    })?;
    Ok(Value::heap(Tag::Str, ptr as *mut GcHeader))
}

/// `a + b` where either operand is a string (§3.8.1): the text is copied once, into the new
/// string, and the character count of string operands is added rather than
/// recounted — concatenation in a loop is what string-building programs spend their time on.
pub fn concat(a: Value, b: Value) -> RtResult<Value> {
    let (mut digits_a, mut digits_b) = ([0; 20], [0; 20]);
    let (mut owned_a, mut owned_b) = (String::new(), String::new());
    let pa = piece(a, &mut digits_a, &mut owned_a);
    let pb = piece(b, &mut digits_b, &mut owned_b);
    let chars = piece_chars(a, pa) + piece_chars(b, pb);
    from_pieces(&[pa, pb], chars)
}

/// The text one operand of `+` contributes: a string's own text, an int's digits formatted
/// on the stack, anything else displayed into `owned`.
fn piece<'a>(v: Value, digits: &'a mut [u8; 20], owned: &'a mut String) -> &'a str {
    match v.tag {
        Tag::Str => as_str(v),
        Tag::Int => {
            use std::io::Write;
            let len = {
                let mut rest: &mut [u8] = &mut digits[..];
                // 20 bytes hold every i64, so the write cannot run out of room.
                let _ = write!(rest, "{}", v.as_int());
                20 - rest.len()
            };
            let digits: &'a [u8; 20] = digits;
            std::str::from_utf8(&digits[..len]).unwrap_or_default()
        }
        _ => {
            crate::display::display_into(v, owned);
            owned
        }
    }
}

fn piece_chars(v: Value, text: &str) -> usize {
    match v.tag {
        Tag::Str => char_len(v),
        Tag::Int => text.len(),
        _ => text.chars().count(),
    }
}

fn obj<'a>(v: Value) -> &'a StrObj {
    debug_assert_eq!(v.tag, Tag::Str);
    // SAFETY: a `Str` value points at a live `StrObj`.
    unsafe { heap::payload::<StrObj>(v.ptr()) }
}

/// The text of a string value. The reference is valid while the value is reachable.
pub fn as_str<'a>(v: Value) -> &'a str {
    let s = obj(v);
    // SAFETY: `from_pieces` wrote `len` bytes of UTF-8 text right after the payload.
    unsafe {
        let text = (s as *const StrObj).add(1) as *const u8;
        std::str::from_utf8_unchecked(std::slice::from_raw_parts(text, s.len))
    }
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
    let (text, chars) = (as_str(v), char_len(v));
    let j = normalize_index(i, chars)?;
    if chars == text.len() {
        return from_pieces(&[&text[j..j + 1]], 1);
    }
    let ch = text.chars().nth(j).unwrap_or('\u{fffd}');
    let mut buf = [0u8; 4];
    new(ch.encode_utf8(&mut buf))
}

/// The characters at the given positions (already normalised), as a new string.
pub fn pick(v: Value, positions: impl Iterator<Item = usize>) -> RtResult<Value> {
    let text = as_str(v);
    let out: String = if char_len(v) == text.len() {
        positions.map(|p| text.as_bytes()[p] as char).collect()
    } else {
        let chars: Vec<char> = text.chars().collect();
        positions.map(|p| chars[p]).collect()
    };
    from_string(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::heap::collect;
    use crate::testutil::*;

    #[test]
    fn text_lives_inside_the_string_and_concatenation_counts_characters() {
        rooted(|| {
            let accented = s("héllo");
            let joined = concat(accented, int(i64::MIN)).unwrap();
            assert_eq!(as_str(joined), "héllo-9223372036854775808");
            assert_eq!(char_len(joined), 25);
            // Longer than the largest block slot: a large object.
            let long = s(&"ü".repeat(300));
            let mixed = concat(float(1.5), long).unwrap();
            assert_eq!(char_len(mixed), 303);
            assert!(as_str(mixed).starts_with("1.5üü"));
            let listed = concat(arr(&[s("ä"), Value::NULL]), s("!")).unwrap();
            assert_eq!(as_str(listed), "[ä, null]!");
            assert_eq!(char_len(listed), 10);
            let empty = concat(s(""), s("")).unwrap();
            assert_eq!((as_str(empty), char_len(empty)), ("", 0));
            assert_eq!(as_str(index(accented, 1).unwrap()), "é");
            collect();
            assert_eq!(as_str(joined), "héllo-9223372036854775808");
            assert_eq!(char_len(mixed), 303);
            for v in [accented, joined, long, mixed, listed, empty] {
                keep(v);
            }
        })
    }
}
