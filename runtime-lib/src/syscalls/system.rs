//! (being written)

use crate::builtins::BuiltinFn;

pub(crate) fn implementation(name: &str) -> Option<BuiltinFn> {
    let _ = name;
    None
}
