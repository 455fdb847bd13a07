//! Inter-process communication support for the `ipc` standard module (stdlib/ipc.svs,
//! docs/IPC.md). The transport (Unix sockets, line framing) is the `net` module's; what lives
//! here is the part that must be exact and fast: classifying one JSON-RPC 2.0 message
//! (`jsonrpc`), behind the internal builtin `__ipc_parse`.

pub mod jsonrpc;

use crate::builtins::builtin_fns;
use crate::error::{RtError, RtResult};
use crate::value::{Tag, Value};
use crate::{json, string};

builtin_fns! {
    pub(crate) fn implementation;
    "__ipc_parse" => parse = solvra_builtin___ipc_parse,
}

/// `__ipc_parse(line)`: the message's description (`jsonrpc::describe`) as a value; a parse
/// error should the runtime's JSON parser disagree with the classifier's scanner.
fn parse(args: &[Value]) -> RtResult<Value> {
    if args[0].tag != Tag::Str {
        return Err(RtError::new("__ipc_parse: the message must be a string"));
    }
    let text = jsonrpc::describe(string::as_str(args[0]));
    json::parse(&text).or_else(|_| json::parse(&jsonrpc::describe_unparsable()))
}
