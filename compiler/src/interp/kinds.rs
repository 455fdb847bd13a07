//! Operand kinds as const parameters of specialised handlers (`arith.rs`, `handlers.rs`).
//!
//! A handler generic over the kind of its operands loads each with a single check of the
//! entry's `Src` variant instead of testing one kind after another; the kinds are fixed when the
//! entry is pre-decoded (`kind`). Rare kinds (`true`, `false`, `null`) share `ANY`, which loads
//! them the general way (`Interp::load`).

use super::quick::Src;

pub(crate) const STACK: u8 = 0;
pub(crate) const LOCAL: u8 = 1;
pub(crate) const GLOBAL: u8 = 2;
pub(crate) const INT: u8 = 3;
pub(crate) const CONST: u8 = 4;
pub(crate) const ANY: u8 = 5;

/// The kind of operand `s`.
pub(crate) fn kind(s: Src) -> u8 {
    match s {
        Src::Stack => STACK,
        Src::Local(_) => LOCAL,
        Src::Global(_) => GLOBAL,
        Src::Int(_) => INT,
        Src::Const(_) => CONST,
        Src::True | Src::False | Src::Null => ANY,
    }
}

/// Operand `$s` of kind `$k` (never `STACK`), or `return PLAIN` from the handler for an
/// uninitialised global. A macro rather than a function returning `Option`, so that the
/// handler is straight-line code with early exits.
macro_rules! operand {
    ($k:expr, $s:expr, $it:ident, $base:ident, $module:ident) => {
        match ($k, $s) {
            (LOCAL, Src::Local(slot)) => $it.stack[$base + slot as usize],
            (INT, Src::Int(value)) => Value::int(value as i64),
            (CONST, Src::Const(index)) => $it.consts[index as usize],
            (GLOBAL, Src::Global(index)) => {
                let v = $it.globals[$module][index as usize];
                if v == UNINIT {
                    return PLAIN;
                }
                v
            }
            (ANY, s) => match $it.load(s, $base, $module) {
                Some(v) => v,
                None => return PLAIN,
            },
            _ => return PLAIN,
        }
    };
}
