//! File builtins (§4.9): `read_file`, `write_file`, `open_file`, `close_file`, `fs_exists`,
//! `fs_ls`, `path_join`, `path_home_dir`.
//!
//! Open files are `handle` values (`crate::handle`). Every I/O failure becomes a runtime error
//! whose message starts with the builtin's name (§4.9), followed by the path and the operating
//! system's description.

use super::{optional, text, type_error};
use crate::display::display;
use crate::error::{RtError, RtResult};
use crate::handle;
use crate::string;
use crate::value::{Tag, Value};
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};

fn io_error(name: &str, what: &str, e: std::io::Error) -> RtError {
    RtError::new(format!("{name}: {what}: {e}"))
}

/// The open file of a handle argument.
fn open_handle(name: &str, v: Value) -> RtResult<&'static mut File> {
    handle::resource::<File>(name, "a file handle", v)
}

pub(super) fn read_file(args: &[Value]) -> RtResult<Value> {
    let x = args[0];
    let mut content = String::new();
    match x.tag {
        Tag::Str => {
            let path = string::as_str(x);
            content = fs::read_to_string(path).map_err(|e| io_error("read_file", path, e))?;
        }
        Tag::Handle => {
            let what = format!("<handle {}>", handle::id(x));
            let file = open_handle("read_file", x)?;
            file.seek(SeekFrom::Start(0))
                .and_then(|_| file.read_to_string(&mut content))
                .map_err(|e| io_error("read_file", &what, e))?;
        }
        _ => return Err(type_error("read_file", "a path or a handle", x)),
    }
    string::from_string(content)
}

pub(super) fn write_file(args: &[Value]) -> RtResult<Value> {
    let x = args[0];
    let content = display(args[1]);
    let append = match optional(args, 2) {
        None => false,
        Some(v) if v.tag == Tag::Bool => v.as_bool(),
        Some(v) => return Err(type_error("write_file", "a bool for append", v)),
    };
    match x.tag {
        Tag::Str => {
            let path = string::as_str(x);
            let mut options = OpenOptions::new();
            if append {
                options.append(true).create(true);
            } else {
                options.write(true).create(true).truncate(true);
            }
            options
                .open(path)
                .and_then(|mut f| f.write_all(content.as_bytes()))
                .map_err(|e| io_error("write_file", path, e))?;
        }
        Tag::Handle => {
            let what = format!("<handle {}>", handle::id(x));
            open_handle("write_file", x)?
                .write_all(content.as_bytes())
                .map_err(|e| io_error("write_file", &what, e))?;
        }
        _ => return Err(type_error("write_file", "a path or a handle", x)),
    }
    Ok(Value::NULL)
}

pub(super) fn open_file(args: &[Value]) -> RtResult<Value> {
    let path = text("open_file", args[0])?;
    let mode = match optional(args, 1) {
        None => "r",
        Some(m) => text("open_file", m)?,
    };
    let file = open_options("open_file", mode)?
        .open(path)
        .map_err(|e| io_error("open_file", path, e))?;
    handle::new_file(file)
}

/// How a file is opened in `mode`: `"r"`, `"w"` (create/truncate), `"a"` (create/append) or
/// `"rw"` (read/write, create). Shared by `open_file` and `fs.open`; `name` is the caller.
pub(crate) fn open_options(name: &str, mode: &str) -> RtResult<OpenOptions> {
    let mut options = OpenOptions::new();
    match mode {
        "r" => options.read(true),
        "w" => options.write(true).create(true).truncate(true),
        "a" => options.append(true).create(true),
        "rw" => options.read(true).write(true).create(true),
        _ => {
            return Err(RtError::new(format!(
                "{name}: invalid mode '{mode}' (expected \"r\", \"w\", \"a\" or \"rw\")"
            )))
        }
    };
    Ok(options)
}

pub(super) fn close_file(args: &[Value]) -> RtResult<Value> {
    let h = args[0];
    if h.tag != Tag::Handle {
        return Err(type_error("close_file", "a handle", h));
    }
    if handle::close(h) {
        Ok(Value::NULL)
    } else {
        Err(RtError::new(format!(
            "close_file: <handle {}> is already closed",
            handle::id(h)
        )))
    }
}

pub(super) fn fs_exists(args: &[Value]) -> RtResult<Value> {
    let path = text("fs_exists", args[0])?;
    Ok(Value::bool(fs::metadata(path).is_ok()))
}

pub(super) fn fs_ls(args: &[Value]) -> RtResult<Value> {
    let path = text("fs_ls", args[0])?;
    let names = sorted_entries(path).map_err(|e| io_error("fs_ls", path, e))?;
    string_array(names)
}

/// The entry names of directory `path`, sorted ascending (`fs_ls`, `fs.list`).
pub(crate) fn sorted_entries(path: &str) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(path)? {
        names.push(entry?.file_name().to_string_lossy().into_owned());
    }
    names.sort();
    Ok(names)
}

/// An array of strings.
pub(crate) fn string_array(items: Vec<String>) -> RtResult<Value> {
    let out = crate::array::from_values(Vec::new())?;
    for item in items {
        let item = string::from_string(item)?;
        crate::array::push_in_place(out, item);
    }
    Ok(out)
}

/// `b` if absolute, else `a/b` without doubling the separator.
pub fn join_paths(a: &str, b: &str) -> String {
    if b.starts_with('/') || a.is_empty() {
        b.to_string()
    } else if a.ends_with('/') {
        format!("{a}{b}")
    } else {
        format!("{a}/{b}")
    }
}

pub(super) fn path_join(args: &[Value]) -> RtResult<Value> {
    let a = text("path_join", args[0])?;
    let b = text("path_join", args[1])?;
    string::from_string(join_paths(a, b))
}

pub(super) fn path_home_dir(_args: &[Value]) -> RtResult<Value> {
    match std::env::var_os("HOME") {
        Some(h) if !h.is_empty() => string::from_string(h.to_string_lossy().into_owned()),
        _ => Ok(Value::NULL),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtins::{call, table};
    use crate::testutil::*;

    fn run(name: &str, args: &[Value]) -> RtResult<Value> {
        call(table::lookup(name).unwrap(), args)
    }

    /// A fresh empty directory for one test.
    fn scratch(tag: &str) -> String {
        let dir =
            std::env::temp_dir().join(format!("solvra_rt_files_{}_{tag}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir.to_string_lossy().into_owned()
    }

    #[test]
    fn paths_read_write_append() {
        rooted(|| {
            let dir = scratch("rw");
            let p = s(&join_paths(&dir, "a.txt"));
            let list = arr(&[int(1), s("é")]);
            assert_eq!(r(run("write_file", &[p, list])), "null");
            assert_eq!(r(run("read_file", &[p])), "[1, é]");
            run("write_file", &[p, s("\nmore"), Value::TRUE]).unwrap();
            assert_eq!(r(run("read_file", &[p])), "[1, é]\nmore");
            run("write_file", &[p, int(5), Value::FALSE]).unwrap();
            assert_eq!(r(run("read_file", &[p])), "5");
            assert_eq!(r(run("fs_exists", &[p])), "true");
            let missing = s(&join_paths(&dir, "missing.txt"));
            assert_eq!(r(run("fs_exists", &[missing])), "false");
            let e = err(run("read_file", &[missing]));
            assert!(
                e.starts_with("read_file: ") && e.contains("missing.txt"),
                "{e}"
            );
            let nodir = s(&join_paths(&dir, "no/such/dir/x"));
            assert!(err(run("write_file", &[nodir, int(1)])).starts_with("write_file: "));
            assert_eq!(
                err(run("write_file", &[p, int(1), int(1)])),
                "write_file: expects a bool for append, got int"
            );
            assert_eq!(
                err(run("read_file", &[int(1)])),
                "read_file: expects a path or a handle, got int"
            );
            let _ = fs::remove_dir_all(&dir);
        })
    }

    #[test]
    fn handles() {
        rooted(|| {
            let dir = scratch("handles");
            let path = s(&join_paths(&dir, "h.txt"));
            let w = s("w");
            let h = run("open_file", &[path, w]).unwrap();
            assert_eq!(h.tag, Tag::Handle);
            assert_eq!(r(run("type", &[h])), "handle");
            run("write_file", &[h, s("one ")]).unwrap();
            run("write_file", &[h, s("two")]).unwrap();
            assert_eq!(r(run("close_file", &[h])), "null");
            let closed = err(run("close_file", &[h]));
            assert!(
                closed.starts_with("close_file: <handle ") && closed.ends_with("is already closed")
            );
            assert!(err(run("write_file", &[h, int(1)])).starts_with("write_file: <handle "));
            assert!(err(run("read_file", &[h])).ends_with("is closed"));
            let rd = run("open_file", &[path]).unwrap();
            assert_ne!(handle::id(rd), handle::id(h));
            assert_eq!(r(run("read_file", &[rd])), "one two");
            assert_eq!(
                r(run("read_file", &[rd])),
                "one two",
                "always from the start"
            );
            assert!(err(run("write_file", &[rd, int(1)])).starts_with("write_file: "));
            run("close_file", &[rd]).unwrap();
            let a = run("open_file", &[path, s("a")]).unwrap();
            run("write_file", &[a, s("!")]).unwrap();
            run("close_file", &[a]).unwrap();
            let rw = run("open_file", &[path, s("rw")]).unwrap();
            assert_eq!(r(run("read_file", &[rw])), "one two!");
            run("write_file", &[rw, s("?")]).unwrap();
            assert_eq!(r(run("read_file", &[rw])), "one two!?");
            run("close_file", &[rw]).unwrap();
            let fresh = s(&join_paths(&dir, "created.txt"));
            let c = run("open_file", &[fresh, s("rw")]).unwrap();
            assert_eq!(r(run("read_file", &[c])), "");
            let bad = s("x");
            assert!(err(run("open_file", &[path, bad])).starts_with("open_file: invalid mode 'x'"));
            let missing = s(&join_paths(&dir, "nope"));
            assert!(err(run("open_file", &[missing])).starts_with("open_file: "));
            assert_eq!(
                err(run("close_file", &[path])),
                "close_file: expects a handle, got string"
            );
            let _ = fs::remove_dir_all(&dir);
        })
    }

    #[test]
    fn listing_and_paths() {
        rooted(|| {
            let dir = scratch("ls");
            for name in ["b.txt", "a.txt", "C", "é"] {
                fs::write(std::path::Path::new(&dir).join(name), "").unwrap();
            }
            let d_ = s(&dir);
            assert_eq!(r(run("fs_ls", &[d_])), "[C, a.txt, b.txt, é]");
            let missing = s(&join_paths(&dir, "none"));
            assert!(err(run("fs_ls", &[missing])).starts_with("fs_ls: "));
            let _ = fs::remove_dir_all(&dir);
            let j = |a: &str, b: &str| r(run("path_join", &[s(a), s(b)]));
            assert_eq!(j("a", "b"), "a/b");
            assert_eq!(j("a/", "b"), "a/b");
            assert_eq!(j("a", "/b"), "/b");
            assert_eq!(j("", "b"), "b");
            assert_eq!(j("/", "b"), "/b");
            assert_eq!(
                err(run("path_join", &[int(1), int(2)])),
                "path_join: expects a string, got int"
            );
            let home = run("path_home_dir", &[]).unwrap();
            match std::env::var("HOME") {
                Ok(h) if !h.is_empty() => assert_eq!(d(home), h),
                _ => assert!(home.is_null()),
            }
        })
    }
}
