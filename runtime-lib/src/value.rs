//! The SolvraScript value: a tag plus a 64-bit payload (LANGUAGE.md §3.1).
//!
//! | tag | payload |
//! |---|---|
//! | `Null` | 0 |
//! | `Bool` | 0 or 1 |
//! | `Int` | the i64, two's complement |
//! | `Float` | the f64's bits |
//! | `Str`, `Array`, `Object`, `Function`, `Task`, `Handle`, `Cell` | pointer to a heap object (`heap::GcHeader` first) |
//!
//! `Value` is `#[repr(C)]` and 16 bytes on every target. It never crosses the C ABI by value:
//! runtime functions take `*const Value` and write results through `*mut Value` (DESIGN.md,
//! "One ABI table"), because aggregates are passed differently on x86_64, AArch64 and ARMv7.

use crate::heap::GcHeader;

#[repr(u8)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Tag {
    Null = 0,
    Bool = 1,
    Int = 2,
    Float = 3,
    Str = 4,
    Array = 5,
    Object = 6,
    Function = 7,
    Task = 8,
    Handle = 9,
    /// A captured variable's cell (`function::CellObj`): an implementation value that only
    /// compiled code and the interpreter's frames hold; programs never observe it.
    Cell = 10,
}

impl Tag {
    /// The name `type()` returns (§3.1).
    pub fn type_name(self) -> &'static str {
        match self {
            Tag::Null => "null",
            Tag::Bool => "bool",
            Tag::Int => "int",
            Tag::Float => "float",
            Tag::Str => "string",
            Tag::Array => "array",
            Tag::Object => "object",
            Tag::Function => "function",
            Tag::Task => "task",
            Tag::Handle => "handle",
            Tag::Cell => "cell",
        }
    }

    pub fn is_heap(self) -> bool {
        (self as u8) >= (Tag::Str as u8)
    }

    pub fn from_u8(v: u8) -> Option<Tag> {
        Some(match v {
            0 => Tag::Null,
            1 => Tag::Bool,
            2 => Tag::Int,
            3 => Tag::Float,
            4 => Tag::Str,
            5 => Tag::Array,
            6 => Tag::Object,
            7 => Tag::Function,
            8 => Tag::Task,
            9 => Tag::Handle,
            10 => Tag::Cell,
            _ => return None,
        })
    }
}

#[repr(C)]
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Value {
    pub tag: Tag,
    pub bits: u64,
}

impl Value {
    pub const NULL: Value = Value {
        tag: Tag::Null,
        bits: 0,
    };
    pub const TRUE: Value = Value {
        tag: Tag::Bool,
        bits: 1,
    };
    pub const FALSE: Value = Value {
        tag: Tag::Bool,
        bits: 0,
    };

    pub fn int(v: i64) -> Value {
        Value {
            tag: Tag::Int,
            bits: v as u64,
        }
    }

    pub fn float(v: f64) -> Value {
        Value {
            tag: Tag::Float,
            bits: v.to_bits(),
        }
    }

    pub fn bool(v: bool) -> Value {
        Value {
            tag: Tag::Bool,
            bits: v as u64,
        }
    }

    /// A value pointing at a heap object of the kind `tag` names.
    pub fn heap(tag: Tag, ptr: *mut GcHeader) -> Value {
        debug_assert!(tag.is_heap());
        Value {
            tag,
            bits: ptr as usize as u64,
        }
    }

    pub fn is_null(self) -> bool {
        self.tag == Tag::Null
    }

    pub fn as_int(self) -> i64 {
        debug_assert_eq!(self.tag, Tag::Int);
        self.bits as i64
    }

    pub fn as_float(self) -> f64 {
        debug_assert_eq!(self.tag, Tag::Float);
        f64::from_bits(self.bits)
    }

    pub fn as_bool(self) -> bool {
        self.bits != 0
    }

    /// The heap object of a heap value.
    pub fn ptr(self) -> *mut GcHeader {
        debug_assert!(self.tag.is_heap());
        self.bits as usize as *mut GcHeader
    }

    pub fn type_name(self) -> &'static str {
        self.tag.type_name()
    }
}

impl std::fmt::Debug for Value {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.tag {
            Tag::Null => f.write_str("null"),
            Tag::Bool => write!(f, "{}", self.as_bool()),
            Tag::Int => write!(f, "{}", self.as_int()),
            Tag::Float => write!(f, "{:?}", self.as_float()),
            _ => write!(f, "<{} {:#x}>", self.type_name(), self.bits),
        }
    }
}
