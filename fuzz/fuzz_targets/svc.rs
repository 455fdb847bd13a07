//! Fuzz target: bytes as a `.svc` bytecode file through `bytecode::format::read` and, when it
//! parses, `bytecode::verify::verify`. Both must reject any malformed input with an error and
//! never panic (docs/BYTECODE.md: every `.svc` file is read and verified before it runs).
//!
//! A verified program is not run: the interpreter has no instruction budget yet, and a verified
//! program can loop forever. (tests/suite/svc_mutation.rs runs verified mutants through the
//! real binary with a time limit instead.)
//!
//! The `.svc` checksum would make almost every mutation fail at the checksum check, so each
//! input is tried twice: once exactly as given (the header, length and checksum checks), and
//! once "repaired": bytes 12..len-4 taken as the payload and wrapped in a fresh header with the
//! right length and FNV-1a checksum, so mutations reach the payload parser and the verifier.
#![no_main]

use libfuzzer_sys::fuzz_target;
use solvrac::bytecode::{format, verify};

/// FNV-1a, as `format.rs` computes the payload checksum (it is private there).
fn fnv1a(bytes: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for &b in bytes {
        h ^= b as u32;
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// `payload` wrapped in a valid header and checksum.
fn repaired(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 16);
    out.extend_from_slice(format::MAGIC);
    out.extend_from_slice(&format::VERSION.to_le_bytes());
    out.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    out.extend_from_slice(payload);
    out.extend_from_slice(&fnv1a(payload).to_le_bytes());
    out
}

fn read_and_verify(bytes: &[u8]) {
    if let Ok(program) = format::read(bytes) {
        let _ = verify::verify(&program);
    }
}

fuzz_target!(|data: &[u8]| {
    if data.len() > solvrac_fuzz::max_input() {
        return;
    }
    read_and_verify(data);
    // The payload of a .svc-shaped input (seeds are whole files), or the whole input otherwise.
    let payload = if data.len() >= 16 {
        &data[12..data.len() - 4]
    } else {
        data
    };
    read_and_verify(&repaired(payload));
});
