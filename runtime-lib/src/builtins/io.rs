//! Output and input builtins (§4.2): `prt`, `println`, `endl`, `input`,
//! `io_stdout_writeln`, `io_stderr_writeln`.
//!
//! Output goes through the runtime's one stdout buffer (`crate::stdout`), which `endl` and
//! `input` flush (§3.18). `input` reads stdin line by line; tests (here and in other crates)
//! can substitute the input text per thread with `set_stdin_override`.

use crate::display::{display, display_into};
use crate::error::RtResult;
use crate::stdout;
use crate::string;
use crate::value::Value;
use std::cell::RefCell;
use std::io::BufRead;

thread_local! {
    /// Test input: the remaining text, read instead of the process's stdin when set.
    static STDIN_OVERRIDE: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Makes `input` on this thread read from `text` instead of stdin (`None` restores stdin).
pub fn set_stdin_override(text: Option<&str>) {
    STDIN_OVERRIDE.with(|s| *s.borrow_mut() = text.map(str::to_string));
}

fn write_all(args: &[Value], newline: bool) {
    let mut out = String::new();
    for &v in args {
        display_into(v, &mut out);
    }
    if newline {
        out.push('\n');
    }
    stdout::write_str(&out);
}

pub(super) fn prt(args: &[Value]) -> RtResult<Value> {
    write_all(args, false);
    Ok(Value::NULL)
}

pub(super) fn println(args: &[Value]) -> RtResult<Value> {
    write_all(args, true);
    Ok(Value::NULL)
}

pub(super) fn endl(_args: &[Value]) -> RtResult<Value> {
    stdout::write_str("\n");
    stdout::flush();
    Ok(Value::NULL)
}

pub(super) fn stdout_writeln(args: &[Value]) -> RtResult<Value> {
    write_all(args, true);
    Ok(Value::NULL)
}

pub(super) fn stderr_writeln(args: &[Value]) -> RtResult<Value> {
    let mut text = display(args[0]);
    text.push('\n');
    stdout::write_stderr(&text);
    Ok(Value::NULL)
}

/// One line of input without its line ending, or `None` at end of input.
fn read_line() -> std::io::Result<Option<String>> {
    let overridden = STDIN_OVERRIDE.with(|s| {
        s.borrow_mut().as_mut().map(|rest| {
            if rest.is_empty() {
                return None;
            }
            let end = rest.find('\n').map_or(rest.len(), |i| i + 1);
            Some(rest.drain(..end).collect::<String>())
        })
    });
    let mut line = match overridden {
        Some(line) => match line {
            Some(line) => line.into_bytes(),
            None => return Ok(None),
        },
        None => {
            let mut buf = Vec::new();
            if std::io::stdin().lock().read_until(b'\n', &mut buf)? == 0 {
                return Ok(None);
            }
            buf
        }
    };
    if line.last() == Some(&b'\n') {
        line.pop();
        if line.last() == Some(&b'\r') {
            line.pop();
        }
    }
    Ok(Some(String::from_utf8_lossy(&line).into_owned()))
}

/// `input(prompt?)`: writes the prompt, flushes stdout, reads one line (`null` at EOF).
pub(super) fn input(args: &[Value]) -> RtResult<Value> {
    if let Some(&prompt) = args.first() {
        stdout::write_str(&display(prompt));
    }
    stdout::flush();
    match read_line() {
        Ok(Some(line)) => string::from_string(line),
        Ok(None) => Ok(Value::NULL),
        Err(e) => Err(crate::error::RtError::new(format!("input: {e}"))),
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

    #[test]
    fn printing() {
        rooted(|| {
            stdout::start_capture();
            let x = s("x");
            let list = arr(&[int(1), x]);
            run("prt", &[x, int(1), float(2.0)]).unwrap();
            run("prt", &[]).unwrap();
            run("println", &[list, Value::NULL]).unwrap();
            run("println", &[]).unwrap();
            run("io_stdout_writeln", &[float(0.5)]).unwrap();
            let r = run("endl", &[]).unwrap();
            assert!(r.is_null());
            run("io_stderr_writeln", &[list]).unwrap();
            assert_eq!(stdout::take_capture(), "x12[1, x]null\n\n0.5\n\n");
            assert_eq!(stdout::take_stderr_capture(), "[1, x]\n");
        })
    }

    #[test]
    fn input_reads_lines_and_returns_null_at_eof() {
        rooted(|| {
            stdout::start_capture();
            set_stdin_override(Some("first\r\nsecond\n\nlast"));
            let p = s("name? ");
            assert_eq!(r(run("input", &[p])), "first");
            assert_eq!(r(run("input", &[])), "second");
            assert_eq!(r(run("input", &[])), "");
            assert_eq!(r(run("input", &[int(7)])), "last");
            assert!(run("input", &[]).unwrap().is_null());
            let inp = table::lookup_alias("inp").unwrap();
            assert!(call(inp, &[]).unwrap().is_null());
            set_stdin_override(None);
            assert_eq!(stdout::take_capture(), "name? 7");
        })
    }
}
