//! Solvra bytecode: the one artifact every tier starts from (DESIGN.md, "One path, no forks").
//!
//! `compile` turns a resolved frontend `Program` into a bytecode `Program`; `format` reads and
//! writes it as a `.svc` file; `verify` checks any program before it runs; `disasm` prints it.
//! The instruction set is defined once in `op.rs`.

pub mod blocks;
pub mod compile;
pub mod disasm;
pub mod format;
pub mod op;
pub mod verify;

pub use op::{Capture, Op};

/// A compiled program: every module it loads and every function, in one table each.
#[derive(Clone, Debug, PartialEq)]
pub struct Program {
    pub modules: Vec<ModuleCode>,
    pub functions: Vec<FunctionCode>,
    pub constants: Vec<Constant>,
    /// Index of the entry module.
    pub entry: u32,
}

/// One source module: its globals, exports and top-level code.
#[derive(Clone, Debug, PartialEq)]
pub struct ModuleCode {
    /// The file name, as diagnostics and stack traces show it.
    pub name: String,
    /// Names of the module's globals, by slot (for `used before initialization` messages).
    pub globals: Vec<String>,
    /// The function holding the module's top-level code.
    pub init: u32,
    /// Exported names and the global slot of each, in interface order (§5.2, C6).
    pub exports: Vec<(String, u32)>,
    /// Global slot and function index of a top-level `fn main`, auto-called in the entry
    /// module (§3.2).
    pub main: Option<(u32, u32)>,
}

/// One function (or a module's top level).
#[derive(Clone, Debug, PartialEq)]
pub struct FunctionCode {
    /// `None` for lambdas and anonymous function expressions.
    pub name: Option<String>,
    pub module: u32,
    /// Declared parameters; they occupy the first local slots.
    pub params: u16,
    /// Parameters without a default value.
    pub required: u16,
    pub self_first: bool,
    pub is_async: bool,
    /// Local slots, parameters included.
    pub locals: u16,
    /// Cells the closure captures from the function that creates it.
    pub captures: Vec<Capture>,
    pub code: Vec<Op>,
    /// `(pc, line)` pairs, sorted by pc: the source line of each instruction from `pc` on.
    pub lines: Vec<(u32, u32)>,
    /// `(slot, name)` of every named local binding, parameters first, in declaration order; a
    /// slot that successive blocks reuse appears once per binding. Debug information only: no
    /// tier's behaviour depends on it.
    pub local_names: Vec<(u16, String)>,
    /// Error handlers, innermost first.
    pub handlers: Vec<Handler>,
}

impl FunctionCode {
    /// Source line of the instruction at `pc`.
    pub fn line_at(&self, pc: usize) -> u32 {
        let i = self
            .lines
            .partition_point(|&(start, _)| start as usize <= pc);
        if i == 0 {
            0
        } else {
            self.lines[i - 1].1
        }
    }

    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or("<lambda>")
    }
}

/// A `try` region: errors raised by instructions in `start..end` continue at `target`, with
/// the operand stack cut back to `depth` and the error message pushed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Handler {
    pub start: u32,
    pub end: u32,
    pub target: u32,
    pub depth: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Constant {
    Int(i64),
    Float(f64),
    Str(String),
}
