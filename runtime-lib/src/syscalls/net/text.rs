//! Bytes from the network as SolvraScript strings, which are Unicode text (§3.1 has no byte
//! type): UTF-8 is decoded, invalid bytes become U+FFFD, and a character split between two
//! reads is held back until its last byte arrives rather than being mangled into two U+FFFDs.

/// Takes up to `max` bytes from the front of `buf` as text, leaving an incomplete final
/// character in place. A character that `max` would cut is left for the next call, unless it
/// is the first one, which is taken whole: the result is never empty while `buf` holds a
/// complete character. At end of stream (`eof`) everything may go, a cut character as U+FFFD.
pub(super) fn take_text(buf: &mut Vec<u8>, max: usize, eof: bool) -> String {
    let end = if eof {
        buf.len()
    } else {
        crate::syscalls::utf8_complete_len(buf)
    };
    let mut cut = end.min(max.max(1));
    if cut < end && is_continuation(buf[cut]) {
        let mut start = cut;
        while start > 0 && is_continuation(buf[start]) {
            start -= 1;
        }
        cut = start;
        if cut == 0 {
            // The first character is longer than `max`: take it whole (at most 3 bytes more).
            cut = 1;
            while cut < end && is_continuation(buf[cut]) {
                cut += 1;
            }
        }
    }
    let text = String::from_utf8_lossy(&buf[..cut]).into_owned();
    buf.drain(..cut);
    text
}

fn is_continuation(b: u8) -> bool {
    b & 0xC0 == 0x80
}

/// Takes the first line from `buf`, without its `\n` or `\r\n`; `None` while `buf` has no
/// complete line. At end of stream (`eof`) the remaining bytes are the last line, if any.
pub(super) fn take_line(buf: &mut Vec<u8>, eof: bool) -> Option<String> {
    let (line_end, consumed) = match buf.iter().position(|&b| b == b'\n') {
        Some(nl) => (nl, nl + 1),
        None if eof && !buf.is_empty() => (buf.len(), buf.len()),
        None => return None,
    };
    let mut line = &buf[..line_end];
    if line.last() == Some(&b'\r') {
        line = &line[..line.len() - 1];
    }
    let text = String::from_utf8_lossy(line).into_owned();
    buf.drain(..consumed);
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn take_text_holds_back_a_split_character() {
        let mut buf = b"ab\xE2\x82".to_vec();
        assert_eq!(take_text(&mut buf, 100, false), "ab");
        assert_eq!(buf, b"\xE2\x82");
        buf.push(0xAC);
        assert_eq!(take_text(&mut buf, 100, false), "€");
        assert!(buf.is_empty());
        let mut cut = b"x\xE2".to_vec();
        assert_eq!(take_text(&mut cut, 100, true), "x\u{FFFD}");
        let mut bad = b"a\xFFb".to_vec();
        assert_eq!(take_text(&mut bad, 100, false), "a\u{FFFD}b");
    }

    #[test]
    fn take_text_respects_max_but_never_splits_a_character() {
        let mut buf = "héllo".as_bytes().to_vec();
        assert_eq!(take_text(&mut buf, 2, false), "h");
        assert_eq!(take_text(&mut buf, 2, false), "é");
        assert_eq!(take_text(&mut buf, 2, false), "ll");
        assert_eq!(take_text(&mut buf, 100, false), "o");
        let mut one = "€x".as_bytes().to_vec();
        assert_eq!(take_text(&mut one, 1, false), "€");
        assert_eq!(take_text(&mut one, 1, false), "x");
        let mut stray = b"\x80\x80\x80a".to_vec();
        assert_eq!(take_text(&mut stray, 2, false), "\u{FFFD}\u{FFFD}\u{FFFD}");
    }

    #[test]
    fn lines_end_at_newlines() {
        let mut buf = b"one\r\ntwo\nthr".to_vec();
        assert_eq!(take_line(&mut buf, false).as_deref(), Some("one"));
        assert_eq!(take_line(&mut buf, false).as_deref(), Some("two"));
        assert_eq!(take_line(&mut buf, false), None);
        assert_eq!(take_line(&mut buf, true).as_deref(), Some("thr"));
        assert_eq!(take_line(&mut buf, true), None);
        let mut empty = b"\n".to_vec();
        assert_eq!(take_line(&mut empty, false).as_deref(), Some(""));
    }
}
