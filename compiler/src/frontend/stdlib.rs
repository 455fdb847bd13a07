//! The standard modules, embedded into solvrac from `stdlib/`: the required ones of LANGUAGE.md
//! §5.3 and the system and network modules (docs/STDLIB.md).
//!
//! They are ordinary SolvraScript; the only privilege they have is access to internal builtins
//! such as `__svs_floor` and `__fs_open` (see `stdlib/README.md`).

/// (module name, source text) for every standard module.
pub const MODULES: &[(&str, &str)] = &[
    ("vector", include_str!("../../../stdlib/vector.svs")),
    ("string", include_str!("../../../stdlib/string.svs")),
    ("io", include_str!("../../../stdlib/io.svs")),
    ("math", include_str!("../../../stdlib/math.svs")),
    ("time", include_str!("../../../stdlib/time.svs")),
    ("json", include_str!("../../../stdlib/json.svs")),
    ("sys", include_str!("../../../stdlib/sys.svs")),
    ("fs", include_str!("../../../stdlib/fs.svs")),
    ("process", include_str!("../../../stdlib/process.svs")),
    ("net", include_str!("../../../stdlib/net.svs")),
    ("hal", include_str!("../../../stdlib/hal.svs")),
    ("ipc", include_str!("../../../stdlib/ipc.svs")),
];

/// Source of the standard module `name`, if there is one.
pub fn source(name: &str) -> Option<&'static str> {
    MODULES.iter().find(|(n, _)| *n == name).map(|(_, s)| *s)
}

/// The standard module a dotted import names: `std.math`, `stdx.json`, `std.core.vector`.
pub fn dotted(parts: &[&str]) -> Option<&'static str> {
    let name = match parts {
        ["std" | "stdx", name] => *name,
        ["std" | "stdx", "core", name @ ("vector" | "string")] => *name,
        _ => return None,
    };
    MODULES.iter().find(|(n, _)| *n == name).map(|(n, _)| *n)
}
