//! Calls, returns and error unwinding.
//!
//! A call with `argc` arguments finds the callee `argc + 1` slots below the top of the stack.
//! Builtins run at once; user functions get a frame whose locals start right above the
//! callee. Errors unwind frame by frame to the innermost handler covering the failing
//! instruction (§3.14.1), collecting the stack trace on the way.

use super::{Frame, Interp, MAX_FRAMES};
use solvra_rt::callback::CallMode;
use solvra_rt::debug::tracing;
use solvra_rt::function::{self, Callee};
use solvra_rt::{array, builtins, object, RtError, Tag, Value};

impl Interp {
    /// Pushes a frame for bytecode function `func`; its callee and `argc` arguments are
    /// already on the stack.
    pub(crate) fn push_frame(
        &mut self,
        func: u32,
        closure: Value,
        argc: u16,
        stop: bool,
    ) -> Result<(), RtError> {
        if self.frames.len() >= MAX_FRAMES {
            return Err(RtError::new("stack overflow"));
        }
        let f = &self.prog.functions[func as usize];
        let base = self.stack.len() - argc as usize;
        self.stack.resize(base + f.locals as usize, Value::NULL);
        if !self.main_started {
            self.note_main(func);
        }
        if self.trace_calls && tracing::enabled() {
            let f = &self.prog.functions[func as usize];
            let module = &self.prog.modules[f.module as usize];
            let name = if module.init == func {
                "<top level>"
            } else {
                f.display_name()
            };
            tracing::call_event(true, name);
        }
        self.frames.push(Frame {
            func,
            pc: 0,
            base,
            closure,
            argc,
            stop,
        });
        Ok(())
    }

    /// A call of the entry module's `main` counts as its start (§3.2).
    fn note_main(&mut self, func: u32) {
        if let Some((_, main_fn)) = self.prog.modules[self.prog.entry as usize].main {
            if main_fn == func {
                self.main_started = true;
            }
        }
    }

    /// Calls a function the JIT compiled: its arguments stay on the stack (rooted) while the
    /// native code runs, and its result replaces the callee. A failure continues the stack
    /// trace compiled code recorded.
    fn call_compiled(
        &mut self,
        callee_at: usize,
        callee: Value,
        func: u32,
    ) -> Result<bool, RtError> {
        self.note_main(func);
        let args = self.stack[callee_at + 1..].to_vec();
        match solvra_rt::aot::call_native(callee, &args, CallMode::Nested) {
            Ok(v) => {
                self.stack.truncate(callee_at);
                self.stack.push(v);
                Ok(false)
            }
            Err(e) => {
                self.trace.extend(solvra_rt::aot::take_trace());
                Err(e)
            }
        }
    }

    /// Calls the callee found below `argc` arguments on the stack. Builtins leave their result
    /// in the callee's slot; user functions get a frame (`Ok(true)`), unless they are `async fn`,
    /// which become tasks.
    pub(crate) fn call(&mut self, argc: u16, stop: bool) -> Result<bool, RtError> {
        let callee_at = self.stack.len() - argc as usize - 1;
        let callee = self.stack[callee_at];
        if callee.tag != Tag::Function {
            return Err(RtError::new(format!(
                "value of type '{}' is not callable",
                callee.type_name()
            )));
        }
        let func = match function::obj(callee).callee {
            Callee::Builtin(id) => {
                // The arguments stay on the stack (rooted) during the call, but the builtin gets
                // a copy: a callback into user code may grow the stack and move its buffer.
                let args = &self.stack[callee_at + 1..];
                let mut small = [Value::NULL; 8];
                let heap_args;
                let args: &[Value] = if args.len() <= small.len() {
                    small[..args.len()].copy_from_slice(args);
                    &small[..args.len()]
                } else {
                    heap_args = args.to_vec();
                    &heap_args
                };
                // A callback that failed in compiled code (or in a nested run of this
                // interpreter) left its frames with the runtime.
                let result = builtins::call(id, args)
                    .inspect_err(|_| self.trace.extend(solvra_rt::aot::take_trace()))?;
                self.stack.truncate(callee_at);
                self.stack.push(result);
                return Ok(false);
            }
            Callee::User(id) => self.code_of(id),
        };
        if self.tier.is_some() {
            if let Callee::User(id) = function::obj(callee).callee {
                if function::native(id) == 0 {
                    self.heat(func);
                }
                // Compiled before, or just now: this call already runs the native code.
                if function::native(id) != 0 {
                    return self.call_compiled(callee_at, callee, func);
                }
            }
        }
        let f = &self.prog.functions[func as usize];
        // The usual case, every parameter passed, needs no runtime call.
        if argc != f.params || f.required > argc {
            self.check_arity(func, argc)?;
        }
        for v in &self.stack[callee_at + 1..] {
            array::share(*v);
        }
        if self.prog.functions[func as usize].is_async {
            let task = self.spawn_call(argc)?;
            self.stack.push(task);
            return Ok(false);
        }
        self.push_frame(func, callee, argc, stop)?;
        Ok(true)
    }

    /// The usual call made without the general checks: a user function of this program that
    /// is not `async`, called with every parameter, with no tier compiler, call tracing or
    /// start of `main` to note. False, with nothing changed, for every other call (`call`).
    #[inline(always)]
    pub(crate) fn enter(&mut self, argc: u16) -> bool {
        let callee_at = self.stack.len() - argc as usize - 1;
        let callee = self.stack[callee_at];
        if callee.tag != Tag::Function
            || self.tier.is_some()
            || self.trace_calls
            || !self.main_started
            || self.frames.len() >= MAX_FRAMES
        {
            return false;
        }
        let Callee::User(id) = function::obj(callee).callee else {
            return false;
        };
        let func = self.code_of(id);
        let f = &self.prog.functions[func as usize];
        if f.params != argc || f.is_async {
            return false;
        }
        let base = callee_at + 1;
        for v in &self.stack[base..] {
            array::share(*v);
        }
        // Most functions have no locals beyond their parameters: no call to `resize`.
        if f.locals != argc {
            self.stack.resize(base + f.locals as usize, Value::NULL);
        }
        self.frames.push(Frame {
            func,
            pc: 0,
            base,
            closure: callee,
            argc,
            stop: false,
        });
        true
    }

    /// The bytecode function of user function `id`: this program's functions were registered
    /// one after another (`Interp::new`), so most ids map without asking the runtime's table.
    #[inline]
    fn code_of(&self, id: function::FnId) -> u32 {
        let first = self.fn_ids.first().map_or(0, |f| f.0);
        let i = id.0.wrapping_sub(first) as usize;
        match self.fn_ids.get(i) {
            Some(&f) if f == id => i as u32,
            _ => function::code(id) as u32,
        }
    }

    pub(crate) fn check_arity(&self, func: u32, argc: u16) -> Result<(), RtError> {
        let f = &self.prog.functions[func as usize];
        function::check_arity(
            f.name.as_deref(),
            f.params as u32,
            f.required as u32,
            argc as u32,
        )
    }

    /// `GetMethod`: replaces the receiver on top of the stack with `function, receiver`, after
    /// checking that the receiver is an object and the member a function (§3.12.5).
    pub(crate) fn get_method(&mut self, key: u32) -> Result<(), RtError> {
        let recv = *self.stack.last().expect("verified stack depth");
        let name = solvra_rt::string::as_str(self.consts[key as usize]);
        if recv.tag != Tag::Object {
            return Err(RtError::new(format!(
                "cannot access member '{name}' on {}",
                recv.type_name()
            )));
        }
        let member = object::obj(recv).get(name);
        if member.tag != Tag::Function {
            return Err(RtError::new(format!("member '{name}' is not callable")));
        }
        let at = self.stack.len() - 1;
        self.stack.insert(at, member);
        Ok(())
    }

    /// Turns `function, receiver, args…` into an ordinary call: the receiver stays as the first
    /// argument when the function's first parameter is `self`, and is dropped otherwise.
    /// Returns the argument count of that call.
    pub(crate) fn method_args(&mut self, argc: u16) -> u16 {
        let recv_at = self.stack.len() - argc as usize - 1;
        let f = self.stack[recv_at - 1];
        let takes_self = match function::obj(f).callee {
            Callee::User(id) => function::self_first(id),
            Callee::Builtin(_) => false,
        };
        if takes_self {
            argc + 1
        } else {
            self.stack.remove(recv_at);
            argc
        }
    }

    /// Pops the current frame, leaving `value` in its callee's slot. Returns true if the run
    /// loop must return (the frame was a stop frame).
    #[inline]
    pub(crate) fn ret(&mut self, value: Value) -> bool {
        let frame = self.frames.pop().expect("a frame is running");
        self.trace_return();
        // The result takes the callee's place: a store, where a push would check capacity.
        self.stack[frame.base - 1] = value;
        self.stack.truncate(frame.base);
        frame.stop
    }

    /// A frame was popped: its call ends in the `SOLVRA_TRACE` file (`run --trace`).
    #[inline(always)]
    fn trace_return(&self) {
        if self.trace_calls && tracing::enabled() {
            tracing::call_event(false, "");
        }
    }

    /// Finds a handler for `err` raised by the instruction at the current frame's pc. On
    /// success the stack is cut back and the message pushed; otherwise frames are popped up to
    /// and including the nearest stop frame and the error is returned.
    pub(crate) fn unwind(&mut self, err: RtError) -> Result<(), RtError> {
        loop {
            let Some(frame) = self.frames.last().copied() else {
                return Err(err);
            };
            let f = &self.prog.functions[frame.func as usize];
            let pc = frame.pc as u32;
            if let Some(h) = f.handlers.iter().find(|h| h.start <= pc && pc < h.end) {
                let target = h.target as usize;
                let keep = frame.base + f.locals as usize + h.depth as usize;
                self.stack.truncate(keep);
                // Caught: the frames it unwound are not part of any report.
                self.trace.clear();
                let msg = solvra_rt::string::new(&err.message)?;
                self.stack.push(msg);
                self.frames.last_mut().expect("frame").pc = target;
                return Ok(());
            }
            let module = &self.prog.modules[f.module as usize];
            self.trace.push(format!(
                "{} ({}:{})",
                if frame.closure.is_null() {
                    "<top level>"
                } else {
                    f.display_name()
                },
                module.name,
                f.line_at(frame.pc)
            ));
            self.frames.pop();
            self.trace_return();
            self.stack.truncate(frame.base.saturating_sub(1));
            if frame.stop {
                return Err(err);
            }
        }
    }

    /// Calls a function value from the runtime (call hook) in a nested run loop. A task's body
    /// runs the function itself even if it is an `async fn`, and its error ends only the task,
    /// so its stack trace is dropped.
    pub(crate) fn call_nested(
        &mut self,
        f: Value,
        args: &[Value],
        mode: CallMode,
    ) -> Result<Value, RtError> {
        let depth = self.stack.len();
        self.stack.push(f);
        self.stack.extend_from_slice(args);
        let argc = args.len() as u16;
        let started = match (mode, &function::obj(f).callee) {
            (CallMode::TaskBody, &Callee::User(id)) => {
                let code = function::code(id) as u32;
                self.check_arity(code, argc).and_then(|()| {
                    for a in args {
                        array::share(*a);
                    }
                    self.push_frame(code, f, argc, true).map(|()| true)
                })
            }
            _ => self.call(argc, true),
        };
        let result = match started {
            Ok(true) => self.execute(),
            Ok(false) => Ok(self.stack.pop().expect("builtin result")),
            Err(e) => Err(e),
        };
        self.stack.truncate(depth);
        if result.is_ok() || mode == CallMode::TaskBody {
            self.trace.clear();
        } else {
            // The caller is runtime code, maybe called by compiled code: the frames go where
            // that code records its own.
            solvra_rt::aot::continue_trace(std::mem::take(&mut self.trace));
        }
        result
    }
}
