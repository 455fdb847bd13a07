//! The `.svc` file format: a versioned, checksummed serialisation of a bytecode `Program`.
//!
//! | field | encoding |
//! |---|---|
//! | magic | `b"SVC\0"` |
//! | format version | u32 LE (`VERSION`) |
//! | payload length | u32 LE |
//! | payload | see below |
//! | checksum | u32 LE, FNV-1a of the payload |
//!
//! The payload is: entry module (u32); constants (count, then a tag byte 0 int/1 float/2 string
//! and the value: i64, f64 bits, or length-prefixed UTF-8); modules (name, globals, init,
//! exports, main); functions (name, module, params, required, flags, locals, captures, line
//! table, handlers, code as the encoded instructions of `op.rs`, and from version 2 the names
//! of the locals: count, then slot (u16) and name each). Counts and lengths are u32 LE.
//! `read` checks everything it can about the structure; `verify` then checks the meaning.
//! Version 1 files (without local names) are still read.

use super::op::DecodeError;
use super::{Capture, Constant, FunctionCode, Handler, ModuleCode, Op, Program};

pub const MAGIC: &[u8; 4] = b"SVC\0";
pub const VERSION: u32 = 2;
/// The oldest version `read` accepts.
pub const OLDEST_VERSION: u32 = 1;

/// A malformed `.svc` file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormatError(pub String);

impl From<DecodeError> for FormatError {
    fn from(e: DecodeError) -> FormatError {
        FormatError(e.0)
    }
}

fn fnv1a(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in bytes {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

pub fn write(p: &Program) -> Vec<u8> {
    let mut w = Vec::new();
    u32_(&mut w, p.entry);
    u32_(&mut w, p.constants.len() as u32);
    for c in &p.constants {
        match c {
            Constant::Int(v) => {
                w.push(0);
                w.extend_from_slice(&v.to_le_bytes());
            }
            Constant::Float(v) => {
                w.push(1);
                w.extend_from_slice(&v.to_bits().to_le_bytes());
            }
            Constant::Str(s) => {
                w.push(2);
                str_(&mut w, s);
            }
        }
    }
    u32_(&mut w, p.modules.len() as u32);
    for m in &p.modules {
        str_(&mut w, &m.name);
        u32_(&mut w, m.globals.len() as u32);
        m.globals.iter().for_each(|g| str_(&mut w, g));
        u32_(&mut w, m.init);
        u32_(&mut w, m.exports.len() as u32);
        for (name, slot) in &m.exports {
            str_(&mut w, name);
            u32_(&mut w, *slot);
        }
        match m.main {
            Some((slot, f)) => {
                w.push(1);
                u32_(&mut w, slot);
                u32_(&mut w, f);
            }
            None => w.push(0),
        }
    }
    u32_(&mut w, p.functions.len() as u32);
    for f in &p.functions {
        match &f.name {
            Some(n) => {
                w.push(1);
                str_(&mut w, n);
            }
            None => w.push(0),
        }
        u32_(&mut w, f.module);
        w.extend_from_slice(&f.params.to_le_bytes());
        w.extend_from_slice(&f.required.to_le_bytes());
        w.push(f.self_first as u8 | (f.is_async as u8) << 1);
        w.extend_from_slice(&f.locals.to_le_bytes());
        u32_(&mut w, f.captures.len() as u32);
        for c in &f.captures {
            let (kind, index) = match c {
                Capture::Local(i) => (0u8, *i),
                Capture::Upval(i) => (1u8, *i),
            };
            w.push(kind);
            w.extend_from_slice(&index.to_le_bytes());
        }
        u32_(&mut w, f.lines.len() as u32);
        for &(pc, line) in &f.lines {
            u32_(&mut w, pc);
            u32_(&mut w, line);
        }
        u32_(&mut w, f.handlers.len() as u32);
        for h in &f.handlers {
            for v in [h.start, h.end, h.target, h.depth] {
                u32_(&mut w, v);
            }
        }
        u32_(&mut w, f.code.len() as u32);
        for op in &f.code {
            op.encode(&mut w);
        }
        u32_(&mut w, f.local_names.len() as u32);
        for (slot, name) in &f.local_names {
            w.extend_from_slice(&slot.to_le_bytes());
            str_(&mut w, name);
        }
    }
    let mut out = Vec::with_capacity(w.len() + 16);
    out.extend_from_slice(MAGIC);
    u32_(&mut out, VERSION);
    u32_(&mut out, w.len() as u32);
    out.extend_from_slice(&w);
    u32_(&mut out, fnv1a(&w));
    out
}

fn u32_(w: &mut Vec<u8>, v: u32) {
    w.extend_from_slice(&v.to_le_bytes());
}

fn str_(w: &mut Vec<u8>, s: &str) {
    u32_(w, s.len() as u32);
    w.extend_from_slice(s.as_bytes());
}

/// Parses a `.svc` file. Structural problems (truncation, bad magic, version, checksum, bad
/// UTF-8, unknown opcodes, absurd counts) are errors; semantic checks are `verify`'s.
pub fn read(bytes: &[u8]) -> Result<Program, FormatError> {
    if bytes.len() < 16 || &bytes[..4] != MAGIC {
        return Err(FormatError("not a .svc file (bad magic)".into()));
    }
    let version = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
    if !(OLDEST_VERSION..=VERSION).contains(&version) {
        return Err(FormatError(format!(
            "unsupported .svc format version {version} (this solvrac reads versions \
             {OLDEST_VERSION} to {VERSION})"
        )));
    }
    let len = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize;
    if bytes.len() != 16 + len {
        return Err(FormatError("truncated or oversized .svc file".into()));
    }
    let payload = &bytes[12..12 + len];
    let sum = u32::from_le_bytes([
        bytes[12 + len],
        bytes[13 + len],
        bytes[14 + len],
        bytes[15 + len],
    ]);
    if sum != fnv1a(payload) {
        return Err(FormatError("checksum mismatch: the file is corrupt".into()));
    }
    let mut r = Reader { b: payload, pos: 0 };
    let entry = r.u32()?;
    let mut constants = Vec::new();
    for _ in 0..r.count(9)? {
        constants.push(match r.u8()? {
            0 => Constant::Int(r.u64()? as i64),
            1 => Constant::Float(f64::from_bits(r.u64()?)),
            2 => Constant::Str(r.string()?),
            t => return Err(FormatError(format!("bad constant tag {t}"))),
        });
    }
    let mut modules = Vec::new();
    for _ in 0..r.count(13)? {
        let name = r.string()?;
        let mut globals = Vec::new();
        for _ in 0..r.count(4)? {
            globals.push(r.string()?);
        }
        let init = r.u32()?;
        let mut exports = Vec::new();
        for _ in 0..r.count(8)? {
            exports.push((r.string()?, r.u32()?));
        }
        let main = match r.u8()? {
            0 => None,
            1 => Some((r.u32()?, r.u32()?)),
            t => return Err(FormatError(format!("bad main flag {t}"))),
        };
        modules.push(ModuleCode {
            name,
            globals,
            init,
            exports,
            main,
        });
    }
    let mut functions = Vec::new();
    for _ in 0..r.count(20)? {
        let name = match r.u8()? {
            0 => None,
            1 => Some(r.string()?),
            t => return Err(FormatError(format!("bad name flag {t}"))),
        };
        let module = r.u32()?;
        let params = r.u16()?;
        let required = r.u16()?;
        let flags = r.u8()?;
        let locals = r.u16()?;
        let mut captures = Vec::new();
        for _ in 0..r.count(3)? {
            captures.push(match (r.u8()?, r.u16()?) {
                (0, i) => Capture::Local(i),
                (1, i) => Capture::Upval(i),
                (t, _) => return Err(FormatError(format!("bad capture kind {t}"))),
            });
        }
        let mut lines = Vec::new();
        for _ in 0..r.count(8)? {
            lines.push((r.u32()?, r.u32()?));
        }
        let mut handlers = Vec::new();
        for _ in 0..r.count(16)? {
            handlers.push(Handler {
                start: r.u32()?,
                end: r.u32()?,
                target: r.u32()?,
                depth: r.u32()?,
            });
        }
        let mut code = Vec::new();
        for _ in 0..r.count(1)? {
            code.push(Op::decode(r.b, &mut r.pos)?);
        }
        let mut local_names = Vec::new();
        if version >= 2 {
            for _ in 0..r.count(6)? {
                local_names.push((r.u16()?, r.string()?));
            }
        }
        functions.push(FunctionCode {
            name,
            module,
            params,
            required,
            self_first: flags & 1 != 0,
            is_async: flags & 2 != 0,
            locals,
            captures,
            code,
            lines,
            local_names,
            handlers,
        });
    }
    if r.pos != r.b.len() {
        return Err(FormatError("trailing bytes after the last function".into()));
    }
    Ok(Program {
        modules,
        functions,
        constants,
        entry,
    })
}

struct Reader<'a> {
    b: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], FormatError> {
        let end = self.pos.checked_add(n).filter(|&e| e <= self.b.len());
        let end = end.ok_or_else(|| FormatError("unexpected end of .svc data".into()))?;
        let s = &self.b[self.pos..end];
        self.pos = end;
        Ok(s)
    }

    fn u8(&mut self) -> Result<u8, FormatError> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16, FormatError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }

    fn u32(&mut self) -> Result<u32, FormatError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    fn u64(&mut self) -> Result<u64, FormatError> {
        let b = self.take(8)?;
        let mut raw = [0u8; 8];
        raw.copy_from_slice(b);
        Ok(u64::from_le_bytes(raw))
    }

    /// A count of items of at least `min_size` bytes each; refuses counts the remaining data
    /// cannot hold, so a corrupt count cannot make the reader allocate without bound.
    fn count(&mut self, min_size: usize) -> Result<usize, FormatError> {
        let n = self.u32()? as usize;
        if n.saturating_mul(min_size) > self.b.len() - self.pos {
            return Err(FormatError(format!("count {n} exceeds the remaining data")));
        }
        Ok(n)
    }

    fn string(&mut self) -> Result<String, FormatError> {
        let n = self.count(1)?;
        let bytes = self.take(n)?;
        String::from_utf8(bytes.to_vec())
            .map_err(|_| FormatError("invalid UTF-8 in a string".into()))
    }
}
