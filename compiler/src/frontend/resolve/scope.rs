//! One lexical scope: the names declared in it and whether each is visible yet.

use super::BindingId;
use crate::frontend::ast::NodeId;
use rustc_hash::FxHashMap as HashMap;

/// Which frame a scope's bindings live in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeOwner {
    /// The module scope: its bindings are the module's globals.
    Module,
    /// A function's frame (`None`: the module body's own blocks).
    Function(Option<NodeId>),
}

pub struct Scope {
    pub owner: ScopeOwner,
    names: HashMap<String, (BindingId, bool)>,
}

impl Scope {
    pub fn new(owner: ScopeOwner) -> Scope {
        Scope {
            owner,
            names: HashMap::default(),
        }
    }

    pub fn insert(&mut self, name: &str, id: BindingId, visible: bool) {
        self.names.insert(name.to_string(), (id, visible));
    }

    /// Any binding of this name, visible yet or not.
    pub fn lookup(&self, name: &str) -> Option<BindingId> {
        self.names.get(name).map(|&(id, _)| id)
    }

    /// A binding whose declaration has already been passed (or a hoisted function).
    pub fn lookup_visible(&self, name: &str) -> Option<BindingId> {
        match self.names.get(name) {
            Some(&(id, true)) => Some(id),
            _ => None,
        }
    }

    pub fn set_visible(&mut self, name: &str, id: BindingId) {
        if let Some(entry) = self.names.get_mut(name) {
            if entry.0 == id {
                entry.1 = true;
            }
        }
    }
}
