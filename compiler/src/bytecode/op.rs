//! The Solvra bytecode instruction set, defined once.
//!
//! `define_ops!` below is the single table of instructions: each row gives the opcode's name,
//! its operands and its stack effect. The in-memory `Op` enum (what the interpreter executes
//! and the backends lower), the `.svc` encoding, the disassembler's names and the verifier's
//! stack effects are all generated from it; docs/BYTECODE.md describes the same table in prose.
//!
//! Jump operands are relative to the instruction after the jump. Stack effects are
//! `(pops, pushes)`; `IterNext` pushes only on its fall-through path (the verifier knows).

use std::fmt;

/// Error decoding an instruction from `.svc` bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodeError(pub String);

trait Operand: Sized + Copy + fmt::Display {
    fn put(self, out: &mut Vec<u8>);
    fn get(bytes: &[u8], pos: &mut usize) -> Result<Self, DecodeError>;
}

macro_rules! operand {
    ($ty:ty, $n:expr) => {
        impl Operand for $ty {
            fn put(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn get(bytes: &[u8], pos: &mut usize) -> Result<Self, DecodeError> {
                let end = *pos + $n;
                let chunk = bytes
                    .get(*pos..end)
                    .ok_or_else(|| DecodeError("truncated operand".into()))?;
                *pos = end;
                let mut raw = [0u8; $n];
                raw.copy_from_slice(chunk);
                Ok(<$ty>::from_le_bytes(raw))
            }
        }
    };
}

operand!(u16, 2);
operand!(u32, 4);
operand!(i32, 4);

macro_rules! define_ops {
    ($( $(#[doc = $doc:literal])* $name:ident $({ $($field:ident : $ty:ty),* })? => ($pops:expr, $pushes:expr); )*) => {
        /// One bytecode instruction with its operands.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum Op {
            $( $(#[doc = $doc])* $name $({ $($field: $ty),* })?, )*
        }

        #[allow(non_camel_case_types, clippy::upper_case_acronyms)]
        #[repr(u8)]
        enum Code { $($name,)* }

        /// Every instruction's name and documentation, in opcode order (for docs and `--help`).
        pub const OPS: &[(&str, &str)] = &[ $( (stringify!($name), concat!($($doc),*)), )* ];

        impl Op {
            pub fn name(&self) -> &'static str {
                match self { $( Op::$name $({ $($field: _),* })? => stringify!($name), )* }
            }

            /// `(pops, pushes)` on the operand stack.
            #[allow(unused_variables)]
            pub fn stack_effect(&self) -> (u32, u32) {
                match *self { $( Op::$name $({ $($field),* })? => ($pops, $pushes), )* }
            }

            pub fn encode(&self, out: &mut Vec<u8>) {
                match *self {
                    $( Op::$name $({ $($field),* })? => {
                        out.push(Code::$name as u8);
                        $( $( $field.put(out); )* )?
                    } )*
                }
            }

            pub fn decode(bytes: &[u8], pos: &mut usize) -> Result<Op, DecodeError> {
                let code = *bytes.get(*pos).ok_or_else(|| DecodeError("truncated code".into()))?;
                *pos += 1;
                $(
                    if code == Code::$name as u8 {
                        return Ok(Op::$name $({ $($field: <$ty as Operand>::get(bytes, pos)?),* })?);
                    }
                )*
                Err(DecodeError(format!("unknown opcode {code:#04x}")))
            }

            /// Operands for the disassembler, in declaration order.
            pub fn operands(&self) -> Vec<String> {
                match *self { $( Op::$name $({ $($field),* })? => vec![$($($field.to_string()),*)?], )* }
            }
        }
    };
}

define_ops! {
    /// Discard the top of the stack.
    Pop => (1, 0);
    /// Duplicate the top of the stack.
    Dup => (1, 2);
    /// Exchange the two top values.
    Swap => (2, 2);
    /// Push `null`.
    Null => (0, 1);
    /// Push `true`.
    True => (0, 1);
    /// Push `false`.
    False => (0, 1);
    /// Push a small integer.
    Int { value: i32 } => (0, 1);
    /// Push constant `index` of the module's constant pool (int, float or string).
    Const { index: u32 } => (0, 1);
    /// Push local slot `slot`.
    LoadLocal { slot: u16 } => (0, 1);
    /// Pop into local slot `slot`; arrays stored into a place become shared.
    StoreLocal { slot: u16 } => (1, 0);
    /// Push the value of the cell in local slot `slot` (a captured variable named by string
    /// constant `name`); reading it before its declaration ran is a runtime error.
    LoadCell { slot: u16, name: u32 } => (0, 1);
    /// Pop into the cell in local slot `slot` (assignment: the variable must be initialised).
    StoreCell { slot: u16, name: u32 } => (1, 0);
    /// Pop into the cell in local slot `slot` (its declaration).
    InitCell { slot: u16 } => (1, 0);
    /// Put a fresh, uninitialised cell into local slot `slot` (a captured `let`, at block entry).
    NewCell { slot: u16 } => (0, 0);
    /// Move the value in local slot `slot` into a fresh cell in the same slot (a captured parameter).
    BoxLocal { slot: u16 } => (0, 0);
    /// Push the value of captured cell `index` of the running closure (variable `name`).
    LoadUpval { index: u16, name: u32 } => (0, 1);
    /// Pop into captured cell `index` of the running closure (assignment).
    StoreUpval { index: u16, name: u32 } => (1, 0);
    /// Push global `index` of the module; an uninitialised global is a runtime error.
    LoadGlobal { index: u32 } => (0, 1);
    /// Pop into global `index` (assignment: it must be initialised).
    StoreGlobal { index: u32 } => (1, 0);
    /// Pop into global `index` (its declaration, an import, or a hoisted function).
    InitGlobal { index: u32 } => (1, 0);
    /// Push the function value of builtin `id`.
    LoadBuiltin { id: u16 } => (0, 1);
    /// `(value) -> value`: raise `cannot assign to immutable binding 'NAME'` if the value is an
    /// array (an element write into a `const` holding an array, §6.3 C29).
    CheckNotArray { name: u32 } => (1, 1);
    /// Mark an array on top of the stack as shared (it is about to live in a second place).
    Share => (1, 1);
    /// Arithmetic and comparison: pop two operands, push the result.
    Add => (2, 1);
    /// `a - b`.
    Sub => (2, 1);
    /// `a * b`.
    Mul => (2, 1);
    /// `a / b`.
    Div => (2, 1);
    /// `a % b`.
    Rem => (2, 1);
    /// `a == b`.
    Eq => (2, 1);
    /// `a != b`.
    Ne => (2, 1);
    /// `a < b`.
    Lt => (2, 1);
    /// `a <= b`.
    Le => (2, 1);
    /// `a > b`.
    Gt => (2, 1);
    /// `a >= b`.
    Ge => (2, 1);
    /// Unary minus.
    Neg => (1, 1);
    /// Logical not (truthiness).
    Not => (1, 1);
    /// Replace the top with its truthiness as a bool.
    ToBool => (1, 1);
    /// Jump by `offset` instructions.
    Jump { offset: i32 } => (0, 0);
    /// Pop; jump if falsy.
    JumpIfFalse { offset: i32 } => (1, 0);
    /// Pop; jump if truthy.
    JumpIfTrue { offset: i32 } => (1, 0);
    /// Jump if the call passed an argument for parameter `param` (skips its default).
    JumpIfArgGiven { param: u16, offset: i32 } => (0, 0);
    /// Pop `count` values, push an array of them (first pushed is first element).
    NewArray { count: u32 } => (count, 1);
    /// Push a new empty object.
    NewObject => (0, 1);
    /// `(object, value) -> object`: add field `key` (a constant string) in a literal.
    InitField { key: u32 } => (2, 1);
    /// `(object) -> value`: read member `key`.
    MemberGet { key: u32 } => (1, 1);
    /// `(object, value) -> object`: write member `key`.
    MemberSet { key: u32 } => (2, 1);
    /// `(array, value) -> array'`: `push` for `x = push(x, v)`, appending in place when the
    /// array is not shared.
    Append => (2, 1);
    /// `(container, index) -> element`.
    IndexGet => (2, 1);
    /// `(container, index, value) -> container'`: an array is copied first if shared.
    IndexSet => (3, 1);
    /// `(target, start, end, step) -> slice`.
    Slice => (4, 1);
    /// `(callee, args...) -> result`.
    Call { argc: u16 } => (argc as u32 + 1, 1);
    /// `(receiver) -> (function, receiver)`: look method `key` up before the arguments are
    /// evaluated (§3.12.5 steps 1–2): the receiver must be an object, the member a function.
    GetMethod { key: u32 } => (1, 2);
    /// `(function, receiver, args...) -> result`: call a method found by `GetMethod`, passing
    /// the receiver first when the function's first parameter is `self`.
    CallMethod { argc: u16 } => (argc as u32 + 2, 1);
    /// Like `Call`, but creates a pending task instead (§3.15).
    AsyncCall { argc: u16 } => (argc as u32 + 1, 1);
    /// Like `CallMethod`, but creates a pending task.
    AsyncMethod { argc: u16 } => (argc as u32 + 2, 1);
    /// `(task) -> result`, suspending until the task is done.
    Await => (1, 1);
    /// Push a closure of function `function`, capturing what its prototype lists.
    Closure { function: u32 } => (0, 1);
    /// Return the top of the stack from the function.
    Return => (1, 0);
    /// Pop an iterable; keep its items and a cursor in locals `slot` and `slot + 1`.
    IterPrep { slot: u16 } => (1, 0);
    /// Push the next item of the iteration in `slot`, or jump by `offset` when exhausted.
    IterNext { slot: u16, offset: i32 } => (0, 1);
    /// Pop a value; raise a runtime error whose message is its display form.
    Throw => (1, 0);
    /// Raise `no match arm matched`.
    NoMatch => (0, 0);
    /// `(value) -> bool`: is it an array of exactly `len` elements.
    IsArrayLen { len: u32 } => (1, 1);
    /// `(value) -> bool`: is it an object.
    IsObject => (1, 1);
    /// `(object) -> bool`: does it have field `key`.
    HasField { key: u32 } => (1, 1);
    /// Run module `module`'s top level unless it has already run; push `null`.
    ImportModule { module: u32 } => (0, 1);
    /// Push a fresh namespace object of module `module`'s exports (§5.2).
    ModuleNamespace { module: u32 } => (0, 1);
    /// Push export `export` of module `module`.
    ModuleExport { module: u32, export: u32 } => (0, 1);
    /// End of the entry module: push the result of calling `main` if the module declares one
    /// and no call to it has started (§3.2), else `null`.
    CallMain => (0, 1);
    /// `(value) -> value`: await the value if it is a task (the result of an automatic `main`).
    AwaitIfTask => (1, 1);
}

/// Where a closure's captured cell comes from, in the function that creates it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Capture {
    /// The cell in local slot `n` of the creating frame.
    Local(u16),
    /// Captured cell `n` of the creating closure.
    Upval(u16),
}
