//! The event loop behind I/O tasks: file descriptors that tasks wait on, watched with epoll.
//!
//! An I/O task is a task with no call and an operation: when its descriptor is ready, the
//! operation runs (non-blocking) and either finishes — the task becomes done with its result
//! or error — or finds nothing to do yet and waits again. Several tasks may wait on one
//! descriptor, for reading and for writing; each direction serves its waiters in the order they
//! started waiting. Level-triggered epoll makes "ready" mean "ready now", so a waiter never
//! misses an event that arrived before it registered.
//!
//! Operations must not hold values: the collector does not see inside them. They capture plain
//! data (descriptors, byte buffers) and make values only for their result.

use crate::error::{RtError, RtResult};
use crate::value::Value;
use std::collections::{HashMap, VecDeque};
use std::os::unix::io::RawFd;

/// Which readiness an I/O task waits for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Interest {
    Read,
    Write,
}

/// What an I/O operation did when its descriptor was ready.
pub enum IoStep {
    /// Finished: the task's outcome.
    Done(RtResult<Value>),
    /// Nothing to do yet (`EAGAIN`): wait for the next readiness.
    Again,
}

/// The operation of an I/O task, run each time its descriptor is ready until it is done.
pub type IoOp = Box<dyn FnMut() -> IoStep>;

struct Waiter {
    task: Value,
    op: IoOp,
}

#[derive(Default)]
struct FdWaiters {
    read: VecDeque<Waiter>,
    write: VecDeque<Waiter>,
    /// The epoll events currently registered for the descriptor.
    events: u32,
}

impl FdWaiters {
    fn wanted(&self) -> u32 {
        let mut events = 0;
        if !self.read.is_empty() {
            events |= libc::EPOLLIN as u32 | libc::EPOLLRDHUP as u32;
        }
        if !self.write.is_empty() {
            events |= libc::EPOLLOUT as u32;
        }
        events
    }
}

#[derive(Default)]
pub(super) struct EventLoop {
    epfd: Option<RawFd>,
    fds: HashMap<RawFd, FdWaiters>,
    waiting: usize,
    /// Tasks finished by the current poll, with their outcomes, until the scheduler completes
    /// them: a later operation of the same poll may allocate and collect, so they are traced.
    done: Vec<(Value, RtResult<Value>)>,
}

fn os_error(what: &str) -> RtError {
    RtError::new(format!("{what}: {}", std::io::Error::last_os_error()))
}

impl EventLoop {
    /// Whether any task waits for a descriptor.
    pub(super) fn is_idle(&self) -> bool {
        self.waiting == 0
    }

    pub(super) fn trace(&self, visit: &mut dyn FnMut(Value)) {
        for w in self.fds.values() {
            w.read
                .iter()
                .chain(w.write.iter())
                .for_each(|w| visit(w.task));
        }
        for (task, outcome) in &self.done {
            visit(*task);
            if let Ok(v) = outcome {
                visit(*v);
            }
        }
    }

    fn epfd(&mut self) -> RtResult<RawFd> {
        if let Some(fd) = self.epfd {
            return Ok(fd);
        }
        // SAFETY: plain system call.
        let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
        if fd < 0 {
            return Err(os_error("epoll_create1"));
        }
        self.epfd = Some(fd);
        Ok(fd)
    }

    /// Makes `task` wait until `op` finishes on `fd`.
    pub(super) fn add(
        &mut self,
        fd: RawFd,
        interest: Interest,
        task: Value,
        op: IoOp,
    ) -> RtResult<()> {
        let epfd = self.epfd()?;
        let entry = self.fds.entry(fd).or_default();
        let waiter = Waiter { task, op };
        match interest {
            Interest::Read => entry.read.push_back(waiter),
            Interest::Write => entry.write.push_back(waiter),
        }
        if let Err(e) = update(epfd, fd, entry) {
            match interest {
                Interest::Read => entry.read.pop_back(),
                Interest::Write => entry.write.pop_back(),
            };
            if entry.events == 0 {
                self.fds.remove(&fd);
            }
            return Err(e);
        }
        self.waiting += 1;
        Ok(())
    }

    /// Takes every waiter of `fd` (it is being closed): their tasks, in waiting order.
    pub(super) fn remove_fd(&mut self, fd: RawFd) -> Vec<Value> {
        let entry = match self.fds.remove(&fd) {
            Some(entry) => entry,
            None => return Vec::new(),
        };
        if let Some(epfd) = self.epfd {
            // SAFETY: plain system call; a descriptor that is already closed is simply absent.
            unsafe { libc::epoll_ctl(epfd, libc::EPOLL_CTL_DEL, fd, std::ptr::null_mut()) };
        }
        let tasks: Vec<Value> = entry
            .read
            .into_iter()
            .chain(entry.write)
            .map(|w| w.task)
            .collect();
        self.waiting -= tasks.len();
        tasks
    }

    /// Waits up to `timeout_ms` (-1: without limit) for readiness and runs the operations of
    /// ready descriptors; returns the tasks that finished, in the order events arrived. The
    /// caller must complete them before anything allocates.
    pub(super) fn poll(&mut self, timeout_ms: i32) -> Vec<(Value, RtResult<Value>)> {
        let epfd = match self.epfd {
            Some(fd) => fd,
            None => return Vec::new(),
        };
        const MAX_EVENTS: usize = 256;
        let mut events = [libc::epoll_event { events: 0, u64: 0 }; MAX_EVENTS];
        // SAFETY: `events` has room for MAX_EVENTS entries.
        let n =
            unsafe { libc::epoll_wait(epfd, events.as_mut_ptr(), MAX_EVENTS as i32, timeout_ms) };
        for ev in events.iter().take(n.max(0) as usize) {
            let fd = ev.u64 as RawFd;
            let flags = ev.events;
            let entry = match self.fds.get_mut(&fd) {
                Some(entry) => entry,
                None => continue,
            };
            let failed = flags & (libc::EPOLLERR as u32 | libc::EPOLLHUP as u32) != 0;
            if failed || flags & (libc::EPOLLIN as u32 | libc::EPOLLRDHUP as u32) != 0 {
                run_waiters(&mut entry.read, &mut self.done);
            }
            if failed || flags & libc::EPOLLOUT as u32 != 0 {
                run_waiters(&mut entry.write, &mut self.done);
            }
            if update(epfd, fd, entry).is_err() || entry.events == 0 {
                let entry = self.fds.remove(&fd).expect("present");
                for w in entry.read.into_iter().chain(entry.write) {
                    self.done.push((w.task, Err(os_error("epoll_ctl"))));
                }
            }
        }
        self.waiting -= self.done.len();
        std::mem::take(&mut self.done)
    }
}

/// Runs the operations of one direction's waiters in order while they finish; the first that
/// must wait again stops the others (they would find the same). A finished waiter moves to
/// `done` before the next operation runs, so its task and result stay visible to the collector.
fn run_waiters(waiters: &mut VecDeque<Waiter>, done: &mut Vec<(Value, RtResult<Value>)>) {
    while let Some(w) = waiters.front_mut() {
        match (w.op)() {
            IoStep::Done(outcome) => {
                let w = waiters.pop_front().expect("front");
                done.push((w.task, outcome));
            }
            IoStep::Again => break,
        }
    }
}

/// Registers, changes or removes `fd` in epoll to match its waiters.
fn update(epfd: RawFd, fd: RawFd, entry: &mut FdWaiters) -> RtResult<()> {
    let wanted = entry.wanted();
    if wanted == entry.events {
        return Ok(());
    }
    let op = match (entry.events, wanted) {
        (0, _) => libc::EPOLL_CTL_ADD,
        (_, 0) => libc::EPOLL_CTL_DEL,
        _ => libc::EPOLL_CTL_MOD,
    };
    let mut ev = libc::epoll_event {
        events: wanted,
        u64: fd as u64,
    };
    // SAFETY: plain system call with a valid event.
    if unsafe { libc::epoll_ctl(epfd, op, fd, &mut ev) } != 0 {
        return Err(os_error("epoll_ctl"));
    }
    entry.events = wanted;
    Ok(())
}

impl Drop for EventLoop {
    fn drop(&mut self) {
        if let Some(fd) = self.epfd {
            // SAFETY: closing the descriptor this loop owns.
            unsafe { libc::close(fd) };
        }
    }
}
