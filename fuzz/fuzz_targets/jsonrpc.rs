//! Fuzz target: bytes as one JSON-RPC 2.0 message (a line read by the `ipc` module) through
//! `solvra_rt::ipc::jsonrpc::classify` and `describe` (docs/IPC.md). Invalid UTF-8 is decoded
//! lossily, as the `net` module does. Neither may panic, and what they hand on must hold up:
//! a single message has exactly one entry, ids, method names and params are JSON of the right
//! shape, every error response is JSON, and the description `__ipc_parse` gives the runtime is
//! accepted by the runtime's own JSON parser (`json::parse`) — so the scanner accepts nothing
//! that the parser rejects (`__ipc_parse` falls back to a parse error if it ever did).
#![no_main]

use libfuzzer_sys::fuzz_target;
use solvra_rt::ipc::jsonrpc::{self, Item};

fuzz_target!(|data: &[u8]| {
    if data.len() > solvrac_fuzz::max_input() {
        return;
    }
    let line = String::from_utf8_lossy(data);
    let message = jsonrpc::classify(&line);
    assert!(!message.items.is_empty());
    assert!(message.batch || message.items.len() == 1);
    for item in &message.items {
        match item {
            Item::Call { id, method, params } => {
                assert!(jsonrpc::is_json(id));
                assert!(method.starts_with('"') && jsonrpc::is_json(method));
                if let Some(p) = params {
                    assert!(p.starts_with('[') || p.starts_with('{'));
                }
            }
            Item::Notify { method, params } => {
                assert!(method.starts_with('"') && jsonrpc::is_json(method));
                assert!(params.map_or(true, |p| p.starts_with('[') || p.starts_with('{')));
            }
            Item::Error { id, code, detail } => {
                assert!(jsonrpc::is_json(&jsonrpc::error_reply(*id, *code, detail)));
            }
        }
    }
    let description = jsonrpc::describe(&line);
    assert!(jsonrpc::is_json(&description));
    // The runtime heap costs milliseconds per input, so only descriptions that hand on parts of
    // the input go through it: a parse error's description is the classifier's own text.
    let parse_error = matches!(
        message.items[..],
        [Item::Error {
            code: jsonrpc::PARSE_ERROR,
            ..
        }]
    );
    if parse_error {
        return;
    }
    solvrac_fuzz::with_runtime_heap(|| {
        if let Err(e) = solvra_rt::json::parse(&description) {
            panic!("json::parse rejects the description of {line:?}: {e:?}");
        }
    });
});
