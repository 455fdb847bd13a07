//! System calls for SolvraScript programs: the internal builtins behind the `sys`, `fs`,
//! `process`, `net` and `hal` standard modules (stdlib/*.svs, documented in docs/STDLIB.md and
//! docs/HAL.md).
//!
//! `system` holds files, processes, the environment, clocks and signals; `net` holds sockets;
//! `hal` reaches devices through the `solvra_hal` crate.
//! Operations that would block return tasks on the scheduler's event loop
//! (`scheduler::io_task`), so a program waits for them with `await` while other tasks run.
//! Every failure is a runtime error naming the call, the operating system's error and, where
//! there is one, the path or address: `open: No such file or directory (os error 2): /x`.

mod hal;
mod net;
mod system;

use crate::builtins::BuiltinFn;
use crate::error::RtError;

/// The implementation of the internal builtin `name`, if it is a system call.
pub(crate) fn implementation(name: &str) -> Option<(&'static str, &'static BuiltinFn)> {
    system::implementation(name)
        .or_else(|| net::implementation(name))
        .or_else(|| hal::implementation(name))
}

/// The runtime error for a failed system call: `CALL: OS ERROR: SUBJECT` (the subject, a path
/// or an address, is left out when empty).
pub(crate) fn os_error(call: &str, err: std::io::Error, subject: &str) -> RtError {
    if subject.is_empty() {
        RtError::new(format!("{call}: {err}"))
    } else {
        RtError::new(format!("{call}: {err}: {subject}"))
    }
}

/// The length of `bytes` without a UTF-8 sequence cut off at its end, which more bytes could
/// complete. Invalid bytes elsewhere count as complete: lossy decoding replaces them.
pub(crate) fn utf8_complete_len(bytes: &[u8]) -> usize {
    let mut start = 0;
    loop {
        match std::str::from_utf8(&bytes[start..]) {
            Ok(_) => return bytes.len(),
            Err(e) => match e.error_len() {
                Some(bad) => start += e.valid_up_to() + bad,
                None => return start + e.valid_up_to(),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::utf8_complete_len;

    #[test]
    fn complete_len_stops_before_a_cut_character() {
        let euro = "€".as_bytes(); // E2 82 AC
        assert_eq!(utf8_complete_len(b"abc"), 3);
        assert_eq!(utf8_complete_len(b""), 0);
        assert_eq!(utf8_complete_len(&[b'a', euro[0], euro[1]]), 1);
        assert_eq!(utf8_complete_len(&euro[..1]), 0);
        assert_eq!(utf8_complete_len(euro), 3);
        // Invalid bytes count as complete: lossy decoding replaces them.
        assert_eq!(utf8_complete_len(&[0xFF, b'a']), 2);
        assert_eq!(utf8_complete_len(&[0xFF, euro[0], euro[1]]), 1);
    }

    #[test]
    fn incomplete_characters_wait_for_their_last_byte() {
        let e = "é".as_bytes(); // C3 A9
        let euro = "€".as_bytes(); // E2 82 AC
        assert_eq!(utf8_complete_len(b"abc"), 3);
        assert_eq!(utf8_complete_len(&[b'a', e[0]]), 1);
        assert_eq!(utf8_complete_len(&[b'a', euro[0], euro[1]]), 1);
        assert_eq!(utf8_complete_len(&[b'a', e[0], e[1]]), 3);
        // Invalid bytes never complete: they are decoded (as U+FFFD) at once.
        assert_eq!(utf8_complete_len(&[b'a', 0xFF]), 2);
        assert_eq!(utf8_complete_len(&[b'a', 0xE2, b'x']), 3);
        assert_eq!(utf8_complete_len(&[0x80, 0x80]), 2);
    }
}
