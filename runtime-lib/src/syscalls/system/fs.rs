//! The `fs` module's calls: open files (`open`, `read`, `write`, `seek`; `close` is shared, see
//! mod.rs) and paths (`stat`, `mkdir`, `list`, `remove`, `rename`, `read_text`, `write_text`).
//!
//! Regular files never make a program wait for the outside world, so these calls are
//! synchronous. Open files are the same `file` handles as `open_file`'s (§4.9), so `read_file`
//! and `close_file` work on them too. Text is UTF-8; invalid bytes read from a file become
//! U+FFFD, and a byte-limited `read` never splits a character (see `read_chars`).

use super::{count, flag};
use crate::builtins::{open_options, optional, sorted_entries, string_array, text, type_error};
use crate::display::display;
use crate::error::{RtError, RtResult};
use crate::syscalls::{os_error, utf8_complete_len};
use crate::value::{Tag, Value};
use crate::{handle, object, string};
use std::fs::{self, File};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::unix::fs::MetadataExt;

/// The open file of a handle argument, and `<handle N>` for error messages.
fn file_arg(name: &str, v: Value) -> RtResult<(&'static mut File, String)> {
    let file = handle::resource::<File>(name, "a file handle", v)?;
    Ok((file, format!("<handle {}>", handle::id(v))))
}

/// `open(path, mode)`: a file handle.
pub(super) fn open(args: &[Value]) -> RtResult<Value> {
    let path = text("open", args[0])?;
    let mode = match optional(args, 1) {
        None => "r",
        Some(m) => text("open", m)?,
    };
    let file = open_options("open", mode)?
        .open(path)
        .map_err(|e| os_error("open", e, path))?;
    handle::new_file(file)
}

/// `read(h, n)`: the rest of the file, or up to `n` bytes of it, as a string ("" at the end).
pub(super) fn read(args: &[Value]) -> RtResult<Value> {
    let limit = match optional(args, 1) {
        None => None,
        Some(n) => Some(count("read", n)?),
    };
    let (file, subject) = file_arg("read", args[0])?;
    let text = match limit {
        None => {
            let mut bytes = Vec::new();
            file.read_to_end(&mut bytes)
                .map(|_| String::from_utf8_lossy(&bytes).into_owned())
        }
        Some(n) => read_chars(file, n),
    };
    string::from_string(text.map_err(|e| os_error("read", e, &subject))?)
}

/// Reads up to `n` bytes at the file position as text. A character cut by the limit is left for
/// the next read (the position moves back to its first byte) — unless it is the first one, when
/// the read takes the few bytes more that complete it, so a read with `n > 0` before the end
/// always makes progress.
fn read_chars(file: &mut File, n: usize) -> io::Result<String> {
    let mut bytes = Vec::new();
    let got = Read::by_ref(file).take(n as u64).read_to_end(&mut bytes)?;
    let mut keep = if got < n {
        bytes.len() // the end of the file: nothing can complete a cut character
    } else {
        utf8_complete_len(&bytes)
    };
    // At most three more bytes complete a character.
    while keep == 0 && !bytes.is_empty() && bytes.len() < n + 3 {
        let mut one = [0u8; 1];
        if file.read(&mut one)? == 0 {
            keep = bytes.len();
            break;
        }
        bytes.push(one[0]);
        keep = utf8_complete_len(&bytes);
    }
    if keep < bytes.len() {
        file.seek(SeekFrom::Current(keep as i64 - bytes.len() as i64))?;
    }
    Ok(String::from_utf8_lossy(&bytes[..keep]).into_owned())
}

/// `write(h, data)`: writes `D(data)` at the file position; the number of bytes written.
pub(super) fn write(args: &[Value]) -> RtResult<Value> {
    let (file, subject) = file_arg("write", args[0])?;
    let data = display(args[1]);
    file.write_all(data.as_bytes())
        .map_err(|e| os_error("write", e, &subject))?;
    Ok(Value::int(data.len() as i64))
}

/// `seek(h, offset, whence)`: moves the file position; the new position from the start.
pub(super) fn seek(args: &[Value]) -> RtResult<Value> {
    let (file, subject) = file_arg("seek", args[0])?;
    let offset = args[1];
    if offset.tag != Tag::Int {
        return Err(type_error("seek", "an int offset", offset));
    }
    let offset = offset.as_int();
    let whence = match optional(args, 2) {
        None => "start",
        Some(w) => text("seek", w)?,
    };
    let to = match whence {
        // A negative position is the OS's EINVAL, as for the other two.
        "start" => u64::try_from(offset)
            .map(SeekFrom::Start)
            .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL)),
        "current" => Ok(SeekFrom::Current(offset)),
        "end" => Ok(SeekFrom::End(offset)),
        _ => {
            return Err(RtError::new(format!(
                "seek: invalid whence '{whence}' (expected \"start\", \"current\" or \"end\")"
            )))
        }
    };
    let pos = to
        .and_then(|to| file.seek(to))
        .map_err(|e| os_error("seek", e, &subject))?;
    Ok(Value::int(pos as i64))
}

/// `stat(path)`: `{size, is_file, is_dir, mode, modified}` of the file or directory `path`
/// names (symbolic links followed); `mode` is the permission bits, `modified` seconds since
/// the Unix epoch.
pub(super) fn stat(args: &[Value]) -> RtResult<Value> {
    let path = text("stat", args[0])?;
    let meta = fs::metadata(path).map_err(|e| os_error("stat", e, path))?;
    let o = object::new_empty()?;
    let fields = object::obj(o);
    fields.set("size", Value::int(meta.len() as i64));
    fields.set("is_file", Value::bool(meta.is_file()));
    fields.set("is_dir", Value::bool(meta.is_dir()));
    fields.set("mode", Value::int((meta.mode() & 0o7777) as i64));
    let modified = meta.mtime() as f64 + meta.mtime_nsec() as f64 / 1e9;
    fields.set("modified", Value::float(modified));
    Ok(o)
}

/// `mkdir(path, recursive)`: creates a directory (and its missing parents when `recursive`,
/// which also accepts an existing directory).
pub(super) fn mkdir(args: &[Value]) -> RtResult<Value> {
    let path = text("mkdir", args[0])?;
    let made = if flag("mkdir", "a bool for recursive", args, 1)? {
        fs::create_dir_all(path)
    } else {
        fs::create_dir(path)
    };
    made.map_err(|e| os_error("mkdir", e, path))?;
    Ok(Value::NULL)
}

/// `list(path)`: the entry names of a directory, sorted.
pub(super) fn list(args: &[Value]) -> RtResult<Value> {
    let path = text("list", args[0])?;
    string_array(sorted_entries(path).map_err(|e| os_error("list", e, path))?)
}

/// `remove(path, recursive)`: removes a file, a symbolic link or an empty directory; with
/// `recursive`, a directory and everything in it.
pub(super) fn remove(args: &[Value]) -> RtResult<Value> {
    let path = text("remove", args[0])?;
    let recursive = flag("remove", "a bool for recursive", args, 1)?;
    let removed = fs::symlink_metadata(path).and_then(|meta| {
        if !meta.is_dir() {
            fs::remove_file(path)
        } else if recursive {
            fs::remove_dir_all(path)
        } else {
            fs::remove_dir(path)
        }
    });
    removed.map_err(|e| os_error("remove", e, path))?;
    Ok(Value::NULL)
}

/// `rename(from, to)`: moves a file or directory, replacing a file at `to`.
pub(super) fn rename(args: &[Value]) -> RtResult<Value> {
    let from = text("rename", args[0])?;
    let to = text("rename", args[1])?;
    fs::rename(from, to).map_err(|e| os_error("rename", e, &format!("{from} -> {to}")))?;
    Ok(Value::NULL)
}

/// `read_text(path)`: the whole file as a string.
pub(super) fn read_text(args: &[Value]) -> RtResult<Value> {
    let path = text("read_text", args[0])?;
    let bytes = fs::read(path).map_err(|e| os_error("read_text", e, path))?;
    string::from_string(String::from_utf8_lossy(&bytes).into_owned())
}

/// `write_text(path, data, append)`: writes `D(data)` to the file, replacing it (created if
/// missing) or appending to it.
pub(super) fn write_text(args: &[Value]) -> RtResult<Value> {
    let path = text("write_text", args[0])?;
    let data = display(args[1]);
    let mode = if flag("write_text", "a bool for append", args, 2)? {
        "a"
    } else {
        "w"
    };
    open_options("write_text", mode)?
        .open(path)
        .and_then(|mut f| f.write_all(data.as_bytes()))
        .map_err(|e| os_error("write_text", e, path))?;
    Ok(Value::NULL)
}
