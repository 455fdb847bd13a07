//! JSON-RPC 2.0 message classification (https://www.jsonrpc.org/specification, docs/IPC.md).
//!
//! `classify` takes one framed message (a line, without its newline) and says what it is: a
//! single request or notification, a batch of them, or the error response the specification
//! prescribes for it (-32700 parse error, -32600 invalid request). It validates the whole text
//! with its own scanner, which enforces a nesting limit (`MAX_DEPTH`), and keeps the pieces it
//! does not interpret (ids, method names, params) as slices of the original JSON text: an id is
//! echoed back byte for byte, and `"id": null` stays distinguishable from a missing id, which
//! `json_parse` (which drops null members, §3.11.2) could not do.
//!
//! The scanner recurses once per nesting level; `MAX_DEPTH` bounds that recursion. It accepts
//! exactly the JSON that `json::parse` accepts (RFC 8259; unpaired surrogate escapes rejected),
//! so the slices it hands on always parse. Text arrives from the `net` module, which decodes
//! invalid UTF-8 as U+FFFD; a raw U+FFFD in a message therefore counts as invalid UTF-8.
//!
//! `describe` renders the classification as JSON text for the `ipc` module (`__ipc_parse`);
//! the fuzz target `jsonrpc` runs both on arbitrary bytes.

use crate::json::quote_into;

/// Deepest nesting of arrays and objects a message may have.
pub const MAX_DEPTH: usize = 64;

/// Invalid JSON was received.
pub const PARSE_ERROR: i64 = -32700;
/// The JSON sent is not a valid request object.
pub const INVALID_REQUEST: i64 = -32600;

/// The JSON type of a scanned value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Object,
    Array,
    String,
    Number,
    Literal,
    Null,
}

/// A scanned value: its type and its byte range in the message.
#[derive(Debug, Clone, Copy)]
struct Span {
    kind: Kind,
    start: usize,
    end: usize,
}

/// One entry of a message. `id`, `method` and `params` are raw JSON text from the message
/// (`method` with its quotes).
#[derive(Debug, PartialEq, Eq)]
pub enum Item<'a> {
    Call {
        id: &'a str,
        method: &'a str,
        params: Option<&'a str>,
    },
    Notify {
        method: &'a str,
        params: Option<&'a str>,
    },
    /// The message (or batch entry) is answered with this error and not run.
    Error {
        id: Option<&'a str>,
        code: i64,
        detail: &'static str,
    },
}

/// A classified message: its entries, and whether it was a batch (answered with an array).
#[derive(Debug, PartialEq, Eq)]
pub struct Message<'a> {
    pub batch: bool,
    pub items: Vec<Item<'a>>,
}

/// Classifies one framed message.
pub fn classify(line: &str) -> Message<'_> {
    let single = |item| Message {
        batch: false,
        items: vec![item],
    };
    if line.contains('\u{FFFD}') {
        return single(parse_error("invalid UTF-8"));
    }
    let mut s = Scanner::new(line, 0);
    s.ws();
    let mut kids = Vec::new();
    let top = match s.value(0, Some(&mut kids)) {
        Ok(top) => top,
        Err(detail) => return single(parse_error(detail)),
    };
    s.ws();
    if s.pos < line.len() {
        return single(parse_error("text after the message"));
    }
    if top.kind != Kind::Array {
        return single(request(line, top, kids));
    }
    if kids.is_empty() {
        return single(invalid(None, "empty batch"));
    }
    let items = kids
        .into_iter()
        .map(|(_, element)| {
            let mut members = Vec::new();
            if element.kind == Kind::Object {
                Scanner::new(line, element.start)
                    .value(0, Some(&mut members))
                    .expect("a scanned value scans again");
            }
            request(line, element, members)
        })
        .collect();
    Message { batch: true, items }
}

/// The classification of `line` as JSON text: `{"batch": BOOL, "items": [...]}` with items
/// `{"kind": "call", "id": ID-TEXT, "method": NAME, "params": PARAMS}` (params left out when
/// absent; the id as a string holding its JSON text), `{"kind": "notify", "method", "params"}`,
/// or `{"kind": "error", "reply": RESPONSE-TEXT}`.
pub fn describe(line: &str) -> String {
    let message = classify(line);
    let mut out = String::from("{\"batch\":");
    out.push_str(if message.batch { "true" } else { "false" });
    out.push_str(",\"items\":[");
    for (i, item) in message.items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match item {
            Item::Call { id, method, params } => {
                out.push_str("{\"kind\":\"call\",\"id\":");
                quote_into(id, &mut out);
                push_request(method, *params, &mut out);
            }
            Item::Notify { method, params } => {
                out.push_str("{\"kind\":\"notify\"");
                push_request(method, *params, &mut out);
            }
            Item::Error { id, code, detail } => {
                out.push_str("{\"kind\":\"error\",\"reply\":");
                quote_into(&error_reply(*id, *code, detail), &mut out);
                out.push('}');
            }
        }
    }
    out.push_str("]}");
    out
}

/// The description of a single parse error: what `__ipc_parse` answers should `json::parse`
/// ever reject a description, which the fuzz target `jsonrpc` checks it never does.
pub fn describe_unparsable() -> String {
    let mut out = String::from("{\"batch\":false,\"items\":[{\"kind\":\"error\",\"reply\":");
    quote_into(&error_reply(None, PARSE_ERROR, "not JSON"), &mut out);
    out.push_str("}]}");
    out
}

fn push_request(method: &str, params: Option<&str>, out: &mut String) {
    out.push_str(",\"method\":");
    out.push_str(method);
    if let Some(params) = params {
        out.push_str(",\"params\":");
        out.push_str(params);
    }
    out.push('}');
}

/// The error response for `code` (the specification's message for it, `detail` as `data`),
/// `id` being the request's raw id text (`null` when unknown).
pub fn error_reply(id: Option<&str>, code: i64, detail: &str) -> String {
    let message = match code {
        PARSE_ERROR => "Parse error",
        _ => "Invalid Request",
    };
    let mut out = format!(
        "{{\"jsonrpc\":\"2.0\",\"error\":{{\"code\":{code},\"message\":\"{message}\",\"data\":"
    );
    quote_into(detail, &mut out);
    out.push_str("},\"id\":");
    out.push_str(id.unwrap_or("null"));
    out.push('}');
    out
}

fn parse_error(detail: &'static str) -> Item<'static> {
    Item::Error {
        id: None,
        code: PARSE_ERROR,
        detail,
    }
}

fn invalid<'a>(id: Option<&'a str>, detail: &'static str) -> Item<'a> {
    Item::Error {
        id,
        code: INVALID_REQUEST,
        detail,
    }
}

/// One request object (or what stands where one should), given its members.
fn request(line: &str, span: Span, members: Vec<(Option<Span>, Span)>) -> Item<'_> {
    if span.kind != Kind::Object {
        return invalid(None, "a request must be an object");
    }
    let (mut version, mut method, mut params, mut id) = (None, None, None, None);
    for (key, value) in members {
        let key = key.expect("object members have keys");
        match &line[key.start..key.end] {
            "\"jsonrpc\"" => version = Some(value),
            "\"method\"" => method = Some(value),
            "\"params\"" => params = Some(value),
            "\"id\"" => id = Some(value),
            _ => {}
        }
    }
    let text = |s: Span| &line[s.start..s.end];
    let id_text = match id {
        Some(s) if matches!(s.kind, Kind::String | Kind::Number | Kind::Null) => Some(text(s)),
        Some(_) => return invalid(None, "\"id\" must be a string, a number or null"),
        None => None,
    };
    if version.map(text) != Some("\"2.0\"") {
        return invalid(id_text, "\"jsonrpc\" must be \"2.0\"");
    }
    let method = match method {
        Some(s) if s.kind == Kind::String => text(s),
        _ => return invalid(id_text, "\"method\" must be a string"),
    };
    let params = match params {
        Some(s) if matches!(s.kind, Kind::Array | Kind::Object) => Some(text(s)),
        Some(_) => return invalid(id_text, "\"params\" must be an array or an object"),
        None => None,
    };
    match id_text {
        Some(id) => Item::Call { id, method, params },
        None => Item::Notify { method, params },
    }
}

/// A validating JSON scanner over the message's bytes.
struct Scanner<'a> {
    b: &'a [u8],
    pos: usize,
}

type Scan<T> = Result<T, &'static str>;

impl<'a> Scanner<'a> {
    fn new(text: &'a str, pos: usize) -> Scanner<'a> {
        Scanner {
            b: text.as_bytes(),
            pos,
        }
    }

    fn ws(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.b.get(self.pos) {
            self.pos += 1;
        }
    }

    fn next(&mut self) -> Scan<u8> {
        let c = *self.b.get(self.pos).ok_or("truncated JSON")?;
        self.pos += 1;
        Ok(c)
    }

    fn eat(&mut self, c: u8) -> bool {
        let hit = self.b.get(self.pos) == Some(&c);
        if hit {
            self.pos += 1;
        }
        hit
    }

    /// One value at nesting `depth`; `kids` collects a container's direct members (with their
    /// keys for an object).
    fn value(&mut self, depth: usize, kids: Option<&mut Vec<(Option<Span>, Span)>>) -> Scan<Span> {
        let start = self.pos;
        let kind = match self.next()? {
            c @ (b'{' | b'[') => {
                if depth >= MAX_DEPTH {
                    return Err("nesting too deep");
                }
                self.container(c == b'{', depth, kids)?;
                if c == b'{' {
                    Kind::Object
                } else {
                    Kind::Array
                }
            }
            b'"' => {
                self.string()?;
                Kind::String
            }
            b'-' | b'0'..=b'9' => {
                self.pos = start;
                self.number()?;
                Kind::Number
            }
            b't' => self.word(start, "true", Kind::Literal)?,
            b'f' => self.word(start, "false", Kind::Literal)?,
            b'n' => self.word(start, "null", Kind::Null)?,
            _ => return Err("not JSON"),
        };
        Ok(Span {
            kind,
            start,
            end: self.pos,
        })
    }

    /// The rest of an object or array after its opening bracket.
    fn container(
        &mut self,
        object: bool,
        depth: usize,
        mut kids: Option<&mut Vec<(Option<Span>, Span)>>,
    ) -> Scan<()> {
        let close = if object { b'}' } else { b']' };
        self.ws();
        if self.eat(close) {
            return Ok(());
        }
        loop {
            self.ws();
            let key = if object {
                let at = self.pos;
                if self.next()? != b'"' {
                    return Err("object key is not a string");
                }
                self.string()?;
                let key = Span {
                    kind: Kind::String,
                    start: at,
                    end: self.pos,
                };
                self.ws();
                if self.next()? != b':' {
                    return Err("missing ':' in object");
                }
                self.ws();
                Some(key)
            } else {
                None
            };
            let member = self.value(depth + 1, None)?;
            if let Some(kids) = kids.as_deref_mut() {
                kids.push((key, member));
            }
            self.ws();
            match self.next()? {
                b',' => {}
                c if c == close => return Ok(()),
                _ => return Err("missing ',' or closing bracket"),
            }
        }
    }

    fn word(&mut self, start: usize, word: &str, kind: Kind) -> Scan<Kind> {
        if self.b[start..].starts_with(word.as_bytes()) {
            self.pos = start + word.len();
            Ok(kind)
        } else {
            Err("not JSON")
        }
    }

    fn digits(&mut self) -> usize {
        let from = self.pos;
        while self.b.get(self.pos).map_or(false, u8::is_ascii_digit) {
            self.pos += 1;
        }
        self.pos - from
    }

    fn number(&mut self) -> Scan<()> {
        self.eat(b'-');
        let int_at = self.pos;
        let n = self.digits();
        if n == 0 || (n > 1 && self.b[int_at] == b'0') {
            return Err("invalid number");
        }
        if self.eat(b'.') && self.digits() == 0 {
            return Err("invalid number");
        }
        if self.eat(b'e') || self.eat(b'E') {
            if !self.eat(b'+') {
                self.eat(b'-');
            }
            if self.digits() == 0 {
                return Err("invalid number");
            }
        }
        Ok(())
    }

    fn hex4(&mut self) -> Scan<u32> {
        let mut v = 0;
        for _ in 0..4 {
            let d = (self.next()? as char)
                .to_digit(16)
                .ok_or("invalid \\u escape")?;
            v = v * 16 + d;
        }
        Ok(v)
    }

    /// The rest of a string after its opening quote.
    fn string(&mut self) -> Scan<()> {
        loop {
            match self.next()? {
                b'"' => return Ok(()),
                b'\\' => match self.next()? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => {}
                    b'u' => {
                        let unit = self.hex4()?;
                        if (0xDC00..0xE000).contains(&unit) {
                            return Err("unpaired surrogate in \\u escape");
                        }
                        if (0xD800..0xDC00).contains(&unit) {
                            if !(self.eat(b'\\') && self.eat(b'u')) {
                                return Err("unpaired surrogate in \\u escape");
                            }
                            if !(0xDC00..0xE000).contains(&self.hex4()?) {
                                return Err("unpaired surrogate in \\u escape");
                            }
                        }
                    }
                    _ => return Err("invalid escape"),
                },
                c if c < 0x20 => return Err("control character in string"),
                _ => {}
            }
        }
    }
}

/// Whether `text` is one complete JSON value (for tests and the fuzz target).
pub fn is_json(text: &str) -> bool {
    let mut s = Scanner::new(text, 0);
    s.ws();
    let ok = s.value(0, None).is_ok();
    s.ws();
    ok && s.pos == text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(line: &str) -> Vec<i64> {
        classify(line)
            .items
            .iter()
            .map(|i| match i {
                Item::Error { code, .. } => *code,
                _ => 0,
            })
            .collect()
    }

    #[test]
    fn requests_notifications_and_batches() {
        let m = classify(r#"{"jsonrpc":"2.0","method":"sum","params":[1,2],"id":"a"}"#);
        assert_eq!(
            m.items,
            vec![Item::Call {
                id: "\"a\"",
                method: "\"sum\"",
                params: Some("[1,2]")
            }]
        );
        assert!(!m.batch);
        let m = classify(
            r#" [ {"jsonrpc":"2.0","method":"x"}, {"jsonrpc":"2.0","method":"y","id":null} ] "#,
        );
        assert!(m.batch);
        assert_eq!(
            m.items,
            vec![
                Item::Notify {
                    method: "\"x\"",
                    params: None
                },
                Item::Call {
                    id: "null",
                    method: "\"y\"",
                    params: None
                }
            ]
        );
    }

    #[test]
    fn malformed_messages_get_the_prescribed_codes() {
        for bad in [
            "",
            "garbage",
            "{\"jsonrpc\":\"2.0\",\"method\":\"x\"",
            "{\"a\":1} x",
            "[1,]",
            "\"\\ud800\"",
            "\u{FFFD}",
            "01",
            "{\"a\":\"\u{1}\"}",
        ] {
            assert_eq!(codes(bad), vec![PARSE_ERROR], "{bad:?}");
        }
        let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
        assert_eq!(codes(&deep), vec![PARSE_ERROR]);
        let ok_depth = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
        assert_eq!(codes(&ok_depth), vec![INVALID_REQUEST; 1]);
        assert_eq!(codes("[]"), vec![INVALID_REQUEST]);
        assert_eq!(codes("[1,2]"), vec![INVALID_REQUEST, INVALID_REQUEST]);
        for bad in [
            r#"{"method":"x","id":1}"#,
            r#"{"jsonrpc":"1.0","method":"x","id":1}"#,
            r#"{"jsonrpc":2.0,"method":"x","id":1}"#,
            r#"{"jsonrpc":"2.0","method":1,"id":1}"#,
            r#"{"jsonrpc":"2.0","method":"x","params":3,"id":1}"#,
            r#"{"jsonrpc":"2.0","method":"x","params":null,"id":1}"#,
            r#"{"jsonrpc":"2.0","method":"x","id":[1]}"#,
            r#"{"jsonrpc":"2.0","method":"x","id":{}}"#,
            r#"{"jsonrpc":"2.0","method":"x","id":true}"#,
        ] {
            assert_eq!(codes(bad), vec![INVALID_REQUEST], "{bad}");
        }
    }

    #[test]
    fn error_replies_echo_a_valid_id() {
        let m = classify(r#"{"jsonrpc":"2.0","method":5,"id":7}"#);
        assert_eq!(
            m.items,
            vec![Item::Error {
                id: Some("7"),
                code: INVALID_REQUEST,
                detail: "\"method\" must be a string"
            }]
        );
        let reply = error_reply(Some("7"), INVALID_REQUEST, "d");
        assert_eq!(
            reply,
            r#"{"jsonrpc":"2.0","error":{"code":-32600,"message":"Invalid Request","data":"d"},"id":7}"#
        );
    }

    #[test]
    fn descriptions_are_json() {
        for line in [
            r#"{"jsonrpc":"2.0","method":"a\"b","params":{"k":[null]},"id":"q\""}"#,
            r#"[{"jsonrpc":"2.0","method":"n"},3]"#,
            "nonsense",
        ] {
            assert!(is_json(&describe(line)), "{line}");
        }
        assert!(is_json(&describe_unparsable()));
    }
}
