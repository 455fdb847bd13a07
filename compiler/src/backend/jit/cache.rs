//! The on-disk object cache of `solvrac run --tier=jit`: the object a program compiles to,
//! keyed by everything it depends on, so the second run of an unchanged program skips LLVM's
//! code generation (only the JIT's linking remains).
//!
//! The key is the program's bytecode (the `.svc` encoding, which covers every imported
//! module), the optimisation level, the host target, and the identity of the solvrac
//! executable (its version, size and modification time: a rebuilt solvrac may generate
//! different code and links a possibly different runtime). Entries are files named by a hash
//! of the key; each file holds the whole key and the object's length and hash, and is used
//! only if the key matches byte for byte and the object is intact, so a hash collision or a
//! damaged file is a miss, never wrong code.
//! Files are written under a temporary name and renamed into place, so concurrent runs never
//! read a half-written entry.
//!
//! The directory is `$SOLVRAC_CACHE_DIR`, else `$XDG_CACHE_HOME/solvrac`, else
//! `~/.cache/solvrac`; `--no-cache` turns the cache off.

use crate::backend::codegen::Target;
use crate::bytecode::{format, Program};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

const MAGIC: &[u8] = b"solvrac-jit-object 2\n";

pub struct Cache {
    dir: PathBuf,
}

impl Cache {
    /// The cache in its usual directory, or `None` if no directory can be named.
    pub fn open() -> Option<Cache> {
        let var = |name: &str| std::env::var_os(name).filter(|v| !v.is_empty());
        let dir = var("SOLVRAC_CACHE_DIR")
            .map(PathBuf::from)
            .or_else(|| var("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("solvrac")))
            .or_else(|| var("HOME").map(|h| PathBuf::from(h).join(".cache/solvrac")))?;
        Some(Cache { dir })
    }

    /// The key of a program compiled at `opt_level` for the JIT (with or without the cost
    /// meter and call events).
    pub fn key(program: &Program, opt_level: u8) -> Vec<u8> {
        let target = Target::host();
        let exe = std::env::current_exe()
            .and_then(std::fs::metadata)
            .map(|m| format!("{} {:?}", m.len(), m.modified().ok()))
            .unwrap_or_default();
        let mut key = format!(
            "solvrac {} ({exe})\n{} {} {}\n-O{opt_level}{}\n",
            env!("CARGO_PKG_VERSION"),
            target.triple,
            target.cpu,
            target.features,
            match (
                super::metered().is_some(),
                solvra_rt::debug::tracing::call_events()
            ) {
                (false, false) => "",
                (true, false) => " fuel",
                (false, true) => " trace",
                (true, true) => " fuel trace",
            }
        )
        .into_bytes();
        key.extend_from_slice(&format::write(program));
        key
    }

    /// Where the entry of `key` lives.
    pub fn path(&self, key: &[u8]) -> PathBuf {
        self.dir.join(format!("jit/{:016x}.o", hash(key)))
    }

    /// The cached object of `key`, if there is one.
    pub fn get(&self, key: &[u8]) -> Option<Vec<u8>> {
        let bytes = std::fs::read(self.path(key)).ok()?;
        let mut rest = bytes.strip_prefix(MAGIC)?;
        let mut word = || -> Option<u64> {
            let (w, r) = rest.split_at_checked(8)?;
            rest = r;
            Some(u64::from_le_bytes(w.try_into().ok()?))
        };
        let (key_len, object_len, object_hash) = (word()?, word()?, word()?);
        let (stored, object) = rest.split_at_checked(key_len as usize)?;
        let intact = object.len() as u64 == object_len && hash(object) == object_hash;
        (stored == key && intact).then(|| object.to_vec())
    }

    /// Stores the object of `key`; returns the entry's path.
    pub fn put(&self, key: &[u8], object: &[u8]) -> std::io::Result<PathBuf> {
        let path = self.path(key);
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir)?;
        let mut bytes = Vec::with_capacity(MAGIC.len() + 24 + key.len() + object.len());
        bytes.extend_from_slice(MAGIC);
        for word in [key.len() as u64, object.len() as u64, hash(object)] {
            bytes.extend_from_slice(&word.to_le_bytes());
        }
        bytes.extend_from_slice(key);
        bytes.extend_from_slice(object);
        let tmp = dir.join(format!(".{}.tmp", std::process::id()));
        std::fs::write(&tmp, bytes)?;
        std::fs::rename(&tmp, &path)?;
        Ok(path)
    }
}

/// A 64-bit hash (names entries and checks that an object is intact).
fn hash(bytes: &[u8]) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    bytes.hash(&mut h);
    h.finish()
}
