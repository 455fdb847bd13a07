//! Unit tests of the system calls, for what the conformance programs cannot reach: UTF-8
//! boundaries of byte-limited reads, pipe reads that carry a cut character over to the next
//! read, closing a pipe under a waiting task, and the waiting-thread fallback for process exits
//! (the test machines have pidfds, so the conformance programs never take it).

use super::*;
use crate::builtins::{call, table};
use crate::scheduler;
use crate::scheduler::await_task;
use crate::testutil::*;
use std::os::unix::io::{FromRawFd, OwnedFd};

fn run(name: &str, args: &[Value]) -> RtResult<Value> {
    call(table::lookup(name).unwrap(), args)
}

fn write_all(fd: RawFd, bytes: &[u8]) {
    // SAFETY: writing from a slice we own.
    let n = unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) };
    assert_eq!(n, bytes.len() as isize);
}

#[test]
fn file_reads_never_split_a_character() {
    rooted(|| {
        let path = std::env::temp_dir().join(format!("solvra_rt_sys_{}", std::process::id()));
        std::fs::write(&path, "a€b").unwrap();
        let p = s(&path.to_string_lossy());
        let h = run("__fs_open", &[p]).unwrap();
        // Two bytes would cut the euro sign: it is left for the next read.
        assert_eq!(r(run("__fs_read", &[h, int(2)])), "a");
        // One byte is less than the first character: the read completes it.
        assert_eq!(r(run("__fs_read", &[h, int(1)])), "€");
        assert_eq!(r(run("__fs_seek", &[h, int(0), s("current")])), "4");
        assert_eq!(r(run("__fs_read", &[h, int(10)])), "b");
        assert_eq!(r(run("__fs_read", &[h, int(10)])), "");
        run("__sys_close", &[h]).unwrap();
        std::fs::remove_file(&path).unwrap();
    })
}

#[test]
fn pipe_reads_carry_a_cut_character_to_the_next_read() {
    rooted(|| {
        scheduler::reset();
        let (read_fd, write_fd) = pipe(0);
        // SAFETY: a new descriptor the pipe resource takes over.
        let read_end = unsafe { OwnedFd::from_raw_fd(read_fd) };
        let h = handle::new(Box::new(pipe::Pipe::new(read_end, false).unwrap())).unwrap();
        let euro = "€".as_bytes();
        write_all(write_fd, &[b'a', euro[0], euro[1]]);
        let t = run("__proc_read", &[h, int(10)]).unwrap();
        assert_eq!(r(await_task(t)), "a");
        write_all(write_fd, &[euro[2], b'b']);
        let t = run("__proc_read", &[h, int(1)]).unwrap();
        assert_eq!(r(await_task(t)), "€");
        write_all(write_fd, b"cd");
        // SAFETY: closing our write end: the reader sees the end of the input.
        unsafe { libc::close(write_fd) };
        let all = run("__proc_read", &[h]).unwrap();
        assert_eq!(r(await_task(all)), "bcd");
        let end = run("__proc_read", &[h, int(4)]).unwrap();
        assert_eq!(r(await_task(end)), "");
        assert_eq!(
            err(run("__proc_write", &[h, s("x")])),
            format!(
                "write: <handle {}> is the reading end of a pipe",
                handle::id(h)
            )
        );
    })
}

#[test]
fn closing_a_pipe_fails_the_tasks_reading_it() {
    rooted(|| {
        scheduler::reset();
        let (read_fd, write_fd) = pipe(0);
        // SAFETY: a new descriptor the pipe resource takes over.
        let read_end = unsafe { OwnedFd::from_raw_fd(read_fd) };
        let h = handle::new(Box::new(pipe::Pipe::new(read_end, false).unwrap())).unwrap();
        let t = run("__proc_read", &[h]).unwrap();
        run("__sys_close", &[h]).unwrap();
        let id = handle::id(h);
        assert_eq!(err(await_task(t)), format!("read: <handle {id}> is closed"));
        assert_eq!(
            err(run("__proc_read", &[h])),
            format!("read: <handle {id}> is closed")
        );
        // SAFETY: closing the test's write end.
        unsafe { libc::close(write_fd) };
    })
}

#[test]
fn the_waiting_thread_reports_exit_statuses() {
    rooted(|| {
        scheduler::reset();
        // The waiting thread reaps the children, not `Child`.
        let pid = std::process::Command::new("/bin/sh")
            .args(["-c", "exit 5"])
            .spawn()
            .unwrap()
            .id();
        let h = process::handle_watched_by_thread(pid as libc::pid_t);
        let t = run("__proc_wait", &[h]).unwrap();
        assert_eq!(r(await_task(t)), "5");
        let again = run("__proc_wait", &[h]).unwrap();
        assert_eq!(r(await_task(again)), "5");
        assert_eq!(r(run("__proc_kill", &[h])), "false");

        let pid = std::process::Command::new("/bin/sleep")
            .arg("10")
            .spawn()
            .unwrap()
            .id();
        let h = process::handle_watched_by_thread(pid as libc::pid_t);
        let t = run("__proc_wait", &[h]).unwrap();
        assert_eq!(r(run("__proc_kill", &[h, s("KILL")])), "true");
        assert_eq!(r(await_task(t)), "137");
    })
}
