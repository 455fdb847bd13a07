//! Builtin functions of LANGUAGE.md §4.
//!
//! `table` is the one list of builtin names, arities and alias paths; the frontend resolves
//! names against it and every tier dispatches through it. Implementations land with the
//! `[runtime]` issue.

pub mod table;
