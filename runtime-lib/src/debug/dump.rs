//! `solvra_dump`: a value as readable text, for a debugger to call in a stopped program.
//!
//! In a `-g` build every SolvraScript variable is a 16-byte `SolvraValue` (a tag and a payload),
//! which gdb alone can only show as two numbers. `runtime-lib/gdb/solvra.py` registers a
//! pretty-printer that calls this function in the inferior (`print x`, `info locals`), and
//! without Python `print (char *)solvra_dump(&x)` does the same. The value may be anything a
//! stopped program holds, including a slot the function has not initialised yet, so the tag is
//! checked before the payload is trusted.

use crate::display;
use crate::function;
use crate::value::{Tag, Value};
use std::cell::RefCell;
use std::ffi::CString;
use std::os::raw::c_char;

thread_local! {
    /// The text of the last dump, alive until the next one on this thread.
    static LAST: RefCell<CString> = RefCell::new(CString::default());
}

/// The text of a value: strings quoted with escapes, a captured variable's cell as its
/// content, everything else as the display function `D` shows it (§3.16).
pub fn describe(v: Value) -> String {
    match v.tag {
        Tag::Str => format!("{:?}", display::display(v)),
        Tag::Cell => describe(function::cell_get(v)),
        _ => display::display(v),
    }
}

/// `*v` as NUL-terminated text owned by the runtime (valid until the next call on this
/// thread); `<invalid value>` for a tag no value has, `<null pointer>` for a null `v`.
///
/// # Safety
/// `v` is null or points to 16 readable bytes; if they hold a valid tag, they are a value of
/// this thread's heap.
#[no_mangle]
pub unsafe extern "C" fn solvra_dump(v: *const Value) -> *const c_char {
    let text = if v.is_null() {
        "<null pointer>".to_string()
    } else {
        // Read the tag as a byte first: a slot the program has not written yet holds anything.
        let raw = std::ptr::read(v as *const u8);
        match Tag::from_u8(raw) {
            Some(_) => describe(*v),
            None => format!("<invalid value (tag {raw})>"),
        }
    };
    let c = CString::new(text.replace('\0', "\\0")).unwrap_or_default();
    LAST.with(|last| {
        *last.borrow_mut() = c;
        last.borrow().as_ptr()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::*;
    use std::ffi::CStr;

    fn dump(v: &Value) -> String {
        // SAFETY: `v` is a valid value; the text is copied before the next call.
        unsafe { CStr::from_ptr(solvra_dump(v)) }
            .to_string_lossy()
            .into_owned()
    }

    #[test]
    fn values_read_as_the_program_shows_them() {
        rooted(|| {
            assert_eq!(dump(&int(42)), "42");
            assert_eq!(dump(&Value::NULL), "null");
            let text = s("a \"b\"\n");
            assert_eq!(dump(&text), r#""a \"b\"\n""#);
            let items = arr(&[int(1), int(2)]);
            assert_eq!(dump(&items), "[1, 2]");
            let cell = function::new_cell(int(7)).unwrap();
            assert_eq!(dump(&cell), "7");
        })
    }

    #[test]
    fn garbage_is_not_trusted() {
        let raw = [0xffu8; 16];
        // SAFETY: 16 readable bytes.
        let text = unsafe { CStr::from_ptr(solvra_dump(raw.as_ptr() as *const Value)) };
        assert_eq!(text.to_str().unwrap(), "<invalid value (tag 255)>");
        // SAFETY: null is allowed.
        let null = unsafe { CStr::from_ptr(solvra_dump(std::ptr::null())) };
        assert_eq!(null.to_str().unwrap(), "<null pointer>");
    }
}
