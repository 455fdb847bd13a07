//! IR instructions, terminators and types.
//!
//! Most instructions work on `dyn` values (the runtime's 16-byte tagged value) and may raise
//! a runtime error; the type passes (`backend/opt`) rewrite them to unboxed `int`, `float` and
//! `bool` forms where types are proven. `InstKind::may_raise` tells which ones
//! need an exception edge inside a `try`.

use super::{Block, Value};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Type {
    /// A boxed SolvraScript value (tag + payload).
    Dyn,
    /// An unboxed `i1` (branch conditions).
    Bool,
    /// An unboxed `i64`.
    Int,
    /// An unboxed `f64`.
    Float,
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Type::Dyn => "dyn",
            Type::Bool => "bool",
            Type::Int => "int",
            Type::Float => "float",
        })
    }
}

/// A constant (always `dyn`; strings are indexes into the program's constant pool).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Const {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(u32),
}

/// Defines `BinOp` with each operator's name spelled once: the IR listing's (`add`), its typed
/// form's (`typed_add`) and that of the runtime function for `dyn` operands (`solvra_add`) are
/// all made from it.
macro_rules! bin_ops {
    ($($op:ident $name:literal,)*) => {
        /// The binary operators of the language on `dyn` values.
        #[derive(Clone, Copy, Debug, PartialEq, Eq)]
        pub enum BinOp {
            $($op,)*
        }

        impl BinOp {
            /// Every operator, in declaration order.
            pub const ALL: &'static [BinOp] = &[$(BinOp::$op,)*];

            /// The name of the `dyn` instruction in IR listings.
            pub fn name(self) -> &'static str {
                match self {
                    $(BinOp::$op => $name,)*
                }
            }

            /// The name of the typed instruction (`InstKind::Typed`) in IR listings.
            pub fn typed_name(self) -> &'static str {
                match self {
                    $(BinOp::$op => concat!("typed_", $name),)*
                }
            }

            /// The runtime's C ABI function for the operator on two `dyn` values.
            pub fn runtime_fn(self) -> &'static str {
                match self {
                    $(BinOp::$op => concat!("solvra_", $name),)*
                }
            }
        }
    };
}

bin_ops! {
    Add "add",
    Sub "sub",
    Mul "mul",
    Div "div",
    Rem "rem",
    Eq "eq",
    Ne "ne",
    Lt "lt",
    Le "le",
    Gt "gt",
    Ge "ge",
}

impl BinOp {
    pub fn is_comparison(self) -> bool {
        !matches!(
            self,
            BinOp::Add | BinOp::Sub | BinOp::Mul | BinOp::Div | BinOp::Rem
        )
    }
}

/// Runs `$body` with `$v` bound to each operand of the instruction `$kind`, in order: the one
/// list of every instruction's operands. Through a `&InstKind` the bindings are `&Value`,
/// through a `&mut InstKind` they are `&mut Value` (the patterns bind by reference either way),
/// so `args`, `args_mut` and the visitors all expand it.
macro_rules! for_each_operand {
    ($kind:expr, |$v:ident| $body:expr) => {{
        use InstKind::*;
        match $kind {
            Const(_)
            | CatchMessage
            | GetLocal(_)
            | ArgGiven(_)
            | LoadGlobal { .. }
            | NewUninitCell
            | Upval(_)
            | Builtin(_)
            | NewObject
            | Import(_)
            | ModuleNamespace(_)
            | ModuleExport { .. }
            | CallMain
            | LoadFn { .. }
            | Scalar(_) => {}
            Phi(incoming) => {
                for (_, $v) in incoming {
                    $body;
                }
            }
            SetLocal(_, $v)
            | Neg($v)
            | Not($v)
            | ToBool($v)
            | Truthy($v)
            | NewCell($v)
            | Share($v)
            | Await($v)
            | AwaitIfTask($v)
            | IterPrep($v)
            | IsObject($v)
            | TypedNeg(_, $v)
            | TypedTruthy(_, $v)
            | BoolNot($v)
            | IntToFloat($v)
            | Box(_, $v)
            | Unbox(_, $v)
            | StoreGlobal { value: $v, .. }
            | InitGlobal { value: $v, .. }
            | LoadCell { cell: $v, .. }
            | CheckNotArray { value: $v, .. }
            | IsArrayLen { value: $v, .. }
            | HasField { value: $v, .. }
            | MemberGet { object: $v, .. }
            | GetMethod { receiver: $v, .. } => {
                $body;
            }
            Binary(_, a, b)
            | Typed { a, b, .. }
            | StoreCell {
                cell: a, value: b, ..
            }
            | InitCell { cell: a, value: b }
            | InitField {
                object: a,
                value: b,
                ..
            }
            | MemberSet {
                object: a,
                value: b,
                ..
            }
            | IndexGet {
                container: a,
                index: b,
            }
            | Append { array: a, value: b }
            | IterHasNext { items: a, index: b }
            | IterGet { items: a, index: b } => {
                for $v in [a, b] {
                    $body;
                }
            }
            IndexSet {
                container,
                index,
                value,
            } => {
                for $v in [container, index, value] {
                    $body;
                }
            }
            Slice {
                target,
                start,
                end,
                step,
            } => {
                for $v in [target, start, end, step] {
                    $body;
                }
            }
            NewArray(items)
            | CallDirect { args: items, .. }
            | Closure {
                captures: items, ..
            } => {
                for $v in items {
                    $body;
                }
            }
            Call { callee, args } | AsyncCall { callee, args } => {
                let $v = callee;
                $body;
                for $v in args {
                    $body;
                }
            }
            CallMethod {
                callee,
                receiver,
                args,
            }
            | AsyncMethod {
                callee,
                receiver,
                args,
            } => {
                for $v in [callee, receiver] {
                    $body;
                }
                for $v in args {
                    $body;
                }
            }
        }
    }};
}

#[derive(Clone, Debug, PartialEq)]
pub enum InstKind {
    Const(Const),
    /// Incoming values, one per predecessor.
    Phi(Vec<(Block, Value)>),
    /// The error message, first in a handler block.
    CatchMessage,
    GetLocal(u32),
    SetLocal(u32, Value),
    /// Whether the caller passed an argument for parameter `n` (`bool`).
    ArgGiven(u32),
    Binary(BinOp, Value, Value),
    Neg(Value),
    /// Logical not, as a `dyn` bool.
    Not(Value),
    /// Truthiness as a `dyn` bool.
    ToBool(Value),
    /// Truthiness as an unboxed `bool`, for branches.
    Truthy(Value),
    LoadGlobal {
        module: u32,
        index: u32,
    },
    StoreGlobal {
        module: u32,
        index: u32,
        value: Value,
    },
    InitGlobal {
        module: u32,
        index: u32,
        value: Value,
    },
    NewCell(Value),
    /// A fresh cell whose variable is not initialised yet.
    NewUninitCell,
    LoadCell {
        cell: Value,
        name: u32,
    },
    StoreCell {
        cell: Value,
        name: u32,
        value: Value,
    },
    InitCell {
        cell: Value,
        value: Value,
    },
    /// Captured cell `n` of the running closure.
    Upval(u32),
    Builtin(u16),
    Share(Value),
    CheckNotArray {
        value: Value,
        name: u32,
    },
    NewArray(Vec<Value>),
    NewObject,
    InitField {
        object: Value,
        key: u32,
        value: Value,
    },
    MemberGet {
        object: Value,
        key: u32,
    },
    MemberSet {
        object: Value,
        key: u32,
        value: Value,
    },
    IndexGet {
        container: Value,
        index: Value,
    },
    IndexSet {
        container: Value,
        index: Value,
        value: Value,
    },
    Slice {
        target: Value,
        start: Value,
        end: Value,
        step: Value,
    },
    Append {
        array: Value,
        value: Value,
    },
    Call {
        callee: Value,
        args: Vec<Value>,
    },
    /// The method `key` of `receiver` (raises unless an object with a function there).
    GetMethod {
        receiver: Value,
        key: u32,
    },
    CallMethod {
        callee: Value,
        receiver: Value,
        args: Vec<Value>,
    },
    AsyncCall {
        callee: Value,
        args: Vec<Value>,
    },
    AsyncMethod {
        callee: Value,
        receiver: Value,
        args: Vec<Value>,
    },
    Await(Value),
    AwaitIfTask(Value),
    Closure {
        function: u32,
        captures: Vec<Value>,
    },
    /// The items `for` iterates (an array value).
    IterPrep(Value),
    /// Whether `index` is below the length of `items` (`bool`).
    IterHasNext {
        items: Value,
        index: Value,
    },
    IterGet {
        items: Value,
        index: Value,
    },
    IsArrayLen {
        value: Value,
        len: u32,
    },
    IsObject(Value),
    HasField {
        value: Value,
        key: u32,
    },
    Import(u32),
    ModuleNamespace(u32),
    ModuleExport {
        module: u32,
        export: u32,
    },
    CallMain,
    /// The function value of a `fn` declared at module level (a global that is set once,
    /// before any code can read it, so the read needs no initialisation check).
    LoadFn {
        module: u32,
        index: u32,
        function: u32,
    },
    // The forms below come from the type passes (`backend/opt`); lowering never makes them.
    /// An unboxed constant: an int, a float or a bool.
    Scalar(Const),
    /// `op` on two unboxed operands of type `ty` (int, float, or bool for `==`/`!=`): int
    /// arithmetic wraps, `/` and `%` raise `division by zero`; comparisons give a `bool`.
    Typed {
        op: BinOp,
        ty: Type,
        a: Value,
        b: Value,
    },
    /// Unary minus of an unboxed int (wrapping) or float.
    TypedNeg(Type, Value),
    /// Truthiness of an unboxed int or float (`bool`): nonzero.
    TypedTruthy(Type, Value),
    BoolNot(Value),
    IntToFloat(Value),
    /// An unboxed value of type `ty` as a `dyn` value.
    Box(Type, Value),
    /// The payload of a `dyn` value that the type pass proved has type `ty` whenever the
    /// instruction that made it did not raise (`opt/types.rs`: builtins with known results,
    /// numeric fields and globals). Checked: another tag raises an internal error.
    Unbox(Type, Value),
    /// A direct call of specialisation `clone` of a function (`opt::Clone`), whose parameters
    /// have the types `params` and whose result has the type `ret`.
    CallDirect {
        clone: u32,
        args: Vec<Value>,
        params: Vec<Type>,
        ret: Type,
    },
}

impl InstKind {
    /// The type of the result, or `None` for instructions without one.
    pub fn result_type(&self) -> Option<Type> {
        use InstKind::*;
        match self {
            SetLocal(..)
            | StoreGlobal { .. }
            | InitGlobal { .. }
            | StoreCell { .. }
            | InitCell { .. } => None,
            ArgGiven(_) | Truthy(_) | IterHasNext { .. } | TypedTruthy(..) | BoolNot(_) => {
                Some(Type::Bool)
            }
            Scalar(c) => Some(match c {
                self::Const::Int(_) => Type::Int,
                self::Const::Float(_) => Type::Float,
                _ => Type::Bool,
            }),
            Typed { op, ty, .. } => Some(if op.is_comparison() { Type::Bool } else { *ty }),
            TypedNeg(t, _) => Some(*t),
            IntToFloat(_) => Some(Type::Float),
            Unbox(t, _) => Some(*t),
            CallDirect { ret, .. } => Some(*ret),
            _ => Some(Type::Dyn),
        }
    }

    /// Operands, in order.
    pub fn args(&self) -> Vec<Value> {
        let mut out = Vec::new();
        for_each_operand!(self, |v| out.push(*v));
        out
    }

    /// Operands, in the order of `args`, for rewriting them in place.
    pub fn args_mut(&mut self) -> Vec<&mut Value> {
        let mut out = Vec::new();
        for_each_operand!(self, |v| out.push(v));
        out
    }

    /// Calls `f` with each operand, in the order of `args`, without collecting them.
    #[inline]
    pub fn for_each_arg(&self, mut f: impl FnMut(Value)) {
        for_each_operand!(self, |v| f(*v));
    }

    /// Calls `f` with each operand, in the order of `args`, to rewrite it in place.
    #[inline]
    pub fn for_each_arg_mut(&mut self, mut f: impl FnMut(&mut Value)) {
        for_each_operand!(self, |v| f(v));
    }

    /// How many operands there are.
    pub fn arg_count(&self) -> usize {
        let mut n = 0;
        for_each_operand!(self, |_v| n += 1);
        n
    }

    /// The type each operand must have.
    pub fn arg_types(&self) -> Vec<Type> {
        use InstKind::*;
        match self {
            Typed { ty, .. } => vec![*ty, *ty],
            TypedNeg(t, _) | TypedTruthy(t, _) | Box(t, _) => vec![*t],
            BoolNot(_) => vec![Type::Bool],
            IntToFloat(_) => vec![Type::Int],
            CallDirect { params, .. } => params.clone(),
            _ => vec![Type::Dyn; self.arg_count()],
        }
    }

    /// Whether the instruction can raise a runtime error.
    pub fn may_raise(&self) -> bool {
        use InstKind::*;
        !matches!(
            self,
            Const(_)
                | Phi(_)
                | CatchMessage
                | GetLocal(_)
                | SetLocal(..)
                | ArgGiven(_)
                | Not(_)
                | ToBool(_)
                | Truthy(_)
                | InitGlobal { .. }
                | InitCell { .. }
                | Upval(_)
                | Share(_)
                | IsArrayLen { .. }
                | IsObject(_)
                | HasField { .. }
                | IterHasNext { .. }
                | LoadFn { .. }
                | Scalar(_)
                | TypedNeg(..)
                | TypedTruthy(..)
                | BoolNot(_)
                | IntToFloat(_)
                | Box(..)
        ) && !matches!(self, Typed { op, .. } if !matches!(op, BinOp::Div | BinOp::Rem))
    }

    pub fn name(&self) -> &'static str {
        use InstKind::*;
        match self {
            Const(_) => "const",
            Phi(_) => "phi",
            CatchMessage => "catch_message",
            GetLocal(_) => "get_local",
            SetLocal(..) => "set_local",
            ArgGiven(_) => "arg_given",
            Binary(op, ..) => op.name(),
            Neg(_) => "neg",
            Not(_) => "not",
            ToBool(_) => "to_bool",
            Truthy(_) => "truthy",
            LoadGlobal { .. } => "load_global",
            StoreGlobal { .. } => "store_global",
            InitGlobal { .. } => "init_global",
            NewCell(_) => "new_cell",
            NewUninitCell => "new_uninit_cell",
            LoadCell { .. } => "load_cell",
            StoreCell { .. } => "store_cell",
            InitCell { .. } => "init_cell",
            Upval(_) => "upval",
            Builtin(_) => "builtin",
            Share(_) => "share",
            CheckNotArray { .. } => "check_not_array",
            NewArray(_) => "new_array",
            NewObject => "new_object",
            InitField { .. } => "init_field",
            MemberGet { .. } => "member_get",
            MemberSet { .. } => "member_set",
            IndexGet { .. } => "index_get",
            IndexSet { .. } => "index_set",
            Slice { .. } => "slice",
            Append { .. } => "append",
            Call { .. } => "call",
            GetMethod { .. } => "get_method",
            CallMethod { .. } => "call_method",
            AsyncCall { .. } => "async_call",
            AsyncMethod { .. } => "async_method",
            Await(_) => "await",
            AwaitIfTask(_) => "await_if_task",
            Closure { .. } => "closure",
            IterPrep(_) => "iter_prep",
            IterHasNext { .. } => "iter_has_next",
            IterGet { .. } => "iter_get",
            IsArrayLen { .. } => "is_array_len",
            IsObject(_) => "is_object",
            HasField { .. } => "has_field",
            Import(_) => "import",
            ModuleNamespace(_) => "module_namespace",
            ModuleExport { .. } => "module_export",
            CallMain => "call_main",
            LoadFn { .. } => "load_fn",
            Scalar(_) => "scalar",
            Typed { op, .. } => op.typed_name(),
            TypedNeg(..) => "typed_neg",
            TypedTruthy(..) => "typed_truthy",
            BoolNot(_) => "bool_not",
            IntToFloat(_) => "int_to_float",
            Box(..) => "box",
            Unbox(..) => "unbox",
            CallDirect { .. } => "call_direct",
        }
    }
}

/// How a block ends.
#[derive(Clone, Debug, PartialEq)]
pub enum Terminator {
    Jump(Block),
    /// `cond` is a `bool`.
    Branch {
        cond: Value,
        then: Block,
        otherwise: Block,
    },
    Return(Value),
    /// Raise a runtime error whose message is the display form of the value.
    Throw(Value),
    /// Raise `no match arm matched`.
    NoMatch,
}

impl Terminator {
    pub fn targets(&self) -> Vec<Block> {
        match self {
            Terminator::Jump(b) => vec![*b],
            Terminator::Branch {
                then, otherwise, ..
            } => vec![*then, *otherwise],
            _ => Vec::new(),
        }
    }

    pub fn args_mut(&mut self) -> Vec<&mut Value> {
        match self {
            Terminator::Branch { cond, .. } => vec![cond],
            Terminator::Return(v) | Terminator::Throw(v) => vec![v],
            _ => Vec::new(),
        }
    }

    pub fn args(&self) -> Vec<Value> {
        match self {
            Terminator::Branch { cond, .. } => vec![*cond],
            Terminator::Return(v) | Terminator::Throw(v) => vec![*v],
            _ => Vec::new(),
        }
    }
}
