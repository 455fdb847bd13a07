//! Event builtins (§4.7): `on_event` registers handlers, `trigger_event` calls them.
//!
//! Handlers live in a per-thread registry that is a registered GC root for the thread's life
//! (`heap::leak_root`): it is the only reference to a handler closure the program may have
//! dropped. Handlers are never removed, so `trigger_event` can snapshot the list (later
//! registrations do not run in this trigger) and call each one through `callback::call_value`
//! while the registry keeps them alive.

use super::{text, type_error};
use crate::callback;
use crate::error::RtResult;
use crate::heap::{self, RootSource};
use crate::value::{Tag, Value};
use std::cell::RefCell;

struct Registry {
    /// (event name, handlers in registration order), events in first-registration order.
    events: RefCell<Vec<(String, Vec<Value>)>>,
}

impl RootSource for Registry {
    fn trace_roots(&self, visit: &mut dyn FnMut(Value)) {
        for (_, handlers) in self.events.borrow().iter() {
            for h in handlers {
                visit(*h);
            }
        }
    }
}

thread_local! {
    static REGISTRY: &'static Registry = heap::leak_root(Registry {
        events: RefCell::new(Vec::new()),
    });
}

/// Forgets every handler on this thread (embedders running several programs on one thread).
pub fn clear_events() {
    REGISTRY.with(|r| r.events.borrow_mut().clear());
}

pub(super) fn on_event(args: &[Value]) -> RtResult<Value> {
    let name = text("on_event", args[0])?;
    let handler = args[1];
    if handler.tag != Tag::Function {
        return Err(type_error("on_event", "a function handler", handler));
    }
    REGISTRY.with(|r| {
        let mut events = r.events.borrow_mut();
        match events.iter_mut().find(|(n, _)| n == name) {
            Some((_, handlers)) => handlers.push(handler),
            None => events.push((name.to_string(), vec![handler])),
        }
    });
    Ok(Value::NULL)
}

pub(super) fn trigger_event(args: &[Value]) -> RtResult<Value> {
    let name = text("trigger_event", args[0])?;
    let payload = args.get(1).copied().unwrap_or(Value::NULL);
    let handlers: Vec<Value> = REGISTRY.with(|r| {
        r.events
            .borrow()
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, h)| h.clone())
            .unwrap_or_default()
    });
    for &h in &handlers {
        callback::call_value(h, &[payload])?;
    }
    Ok(Value::int(handlers.len() as i64))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtins::{call, table, value_of};
    use crate::error::RtError;
    use crate::function;
    use crate::stdout;
    use crate::testutil::*;

    fn run(name: &str, args: &[Value]) -> RtResult<Value> {
        call(table::lookup(name).unwrap(), args)
    }

    /// A tier's call hook for the tests: user function `code` 1 fails, others print their
    /// argument and register a new handler for "e" (which must not run in the same trigger).
    fn hook(f: Value, args: &[Value], _mode: callback::CallMode) -> RtResult<Value> {
        let code = match function::obj(f).callee {
            function::Callee::User(id) => function::code(id),
            function::Callee::Builtin(_) => unreachable!(),
        };
        if code == 1 {
            return Err(RtError::new("handler failed"));
        }
        stdout::write_str(&format!("user({});", d(args[0])));
        let e = s("e");
        let println = value_of(table::lookup("println").unwrap())?;
        run("on_event", &[e, println])?;
        Ok(Value::NULL)
    }

    #[test]
    fn handlers_run_in_order_with_the_payload() {
        rooted(|| {
            clear_events();
            callback::set_call_hook(hook);
            stdout::start_capture();
            let e = s("e");
            let other = s("other");
            let payload = arr(&[int(1), int(2)]);
            assert_eq!(r(run("trigger_event", &[e])), "0");
            let println = value_of(table::lookup("println").unwrap()).unwrap();
            let prt = value_of(table::lookup("prt").unwrap()).unwrap();
            run("on_event", &[e, prt]).unwrap();
            run("on_event", &[e, user_fn("h", 0)]).unwrap();
            run("on_event", &[other, println]).unwrap();
            heap::collect(); // the registry keeps the user function alive
            assert_eq!(r(run("trigger_event", &[e, payload])), "2");
            assert_eq!(stdout::take_capture(), "[1, 2]user([1, 2]);");
            stdout::start_capture();
            // The hook registered another println handler during the first trigger.
            assert_eq!(r(run("trigger_event", &[e])), "3");
            assert_eq!(stdout::take_capture(), "nulluser(null);null\n");
            stdout::start_capture();
            assert_eq!(r(run("trigger_event", &[other, int(5)])), "1");
            assert_eq!(stdout::take_capture(), "5\n");
            clear_events();
            callback::clear_call_hook();
        })
    }

    #[test]
    fn handler_errors_propagate_and_arguments_are_checked() {
        rooted(|| {
            clear_events();
            callback::set_call_hook(hook);
            let e = s("boom");
            run("on_event", &[e, user_fn("h", 1)]).unwrap();
            assert_eq!(err(run("trigger_event", &[e])), "handler failed");
            assert_eq!(
                err(run("on_event", &[e, int(1)])),
                "on_event: expects a function handler, got int"
            );
            let f = user_fn("h", 0);
            assert_eq!(
                err(run("on_event", &[int(1), f])),
                "on_event: expects a string, got int"
            );
            assert_eq!(
                err(run("trigger_event", &[Value::NULL])),
                "trigger_event: expects a string, got null"
            );
            clear_events();
            callback::clear_call_hook();
        })
    }
}
