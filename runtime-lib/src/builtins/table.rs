//! The builtin table: every builtin's name and accepted argument counts, plus the namespaced and
//! legacy alias names of LANGUAGE.md §4.11.
//!
//! This is the single source of truth for builtin names. The compiler's resolver reads it to
//! decide what a bare name or an `a::b` path refers to; the runtime dispatches on the same
//! entries. Keep the order of `BUILTINS` stable: an entry's index is its `BuiltinId`.

/// How many arguments a builtin accepts; `max == None` means variadic.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Arity {
    pub min: u8,
    pub max: Option<u8>,
}

/// Who may see a builtin.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Visibility {
    /// Every program (LANGUAGE.md §4).
    Public,
    /// An optional host builtin of §4.10: the name is defined, and calling it raises
    /// `builtin 'NAME' is not supported` until it is implemented.
    Optional,
    /// Only the embedded standard modules (`stdlib/`), e.g. `__svs_floor`.
    Internal,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Builtin {
    pub name: &'static str,
    pub arity: Arity,
    pub visibility: Visibility,
}

const fn b(name: &'static str, min: u8, max: u8) -> Builtin {
    Builtin {
        name,
        arity: Arity {
            min,
            max: Some(max),
        },
        visibility: Visibility::Public,
    }
}

const fn variadic(name: &'static str) -> Builtin {
    Builtin {
        name,
        arity: Arity { min: 0, max: None },
        visibility: Visibility::Public,
    }
}

const fn optional(name: &'static str) -> Builtin {
    Builtin {
        name,
        arity: Arity { min: 0, max: None },
        visibility: Visibility::Optional,
    }
}

const fn internal(name: &'static str, min: u8, max: u8) -> Builtin {
    Builtin {
        name,
        arity: Arity {
            min,
            max: Some(max),
        },
        visibility: Visibility::Internal,
    }
}

/// Every builtin, canonical names only (aliases are in `ALIASES`).
pub const BUILTINS: &[Builtin] = &[
    // §4.2 output and input
    variadic("prt"),
    variadic("println"),
    b("endl", 0, 0),
    b("input", 0, 1),
    b("io_stdout_writeln", 1, 1),
    b("io_stderr_writeln", 1, 1),
    // §4.3 conversion and introspection
    b("len", 1, 1),
    b("type", 1, 1),
    b("to_string", 1, 1),
    b("bool", 1, 1),
    b("parse_int", 1, 2),
    b("parse_float", 1, 1),
    b("int", 1, 1),
    b("float", 1, 1),
    // §4.4 numeric helpers
    b("div", 2, 2),
    b("sbt", 2, 2),
    b("abs", 1, 1),
    b("min", 2, 2),
    b("max", 2, 2),
    b("pow", 2, 2),
    b("sqrt", 1, 1),
    b("sin", 1, 1),
    b("cos", 1, 1),
    b("tan", 1, 1),
    b("log", 1, 2),
    // §4.5 arrays and objects
    b("push", 2, 2),
    b("pop", 1, 1),
    b("insert", 3, 3),
    b("remove", 2, 2),
    b("keys", 1, 1),
    b("values", 1, 1),
    b("has_key", 2, 2),
    // §4.6 time and randomness
    b("time", 0, 0),
    b("now", 0, 0),
    b("now_ms", 0, 0),
    b("sleep", 1, 1),
    b("delay", 1, 1),
    b("random", 0, 2),
    // §4.7 process, environment and events
    b("exit", 0, 1),
    b("env_get", 1, 1),
    b("env_set", 2, 2),
    b("on_event", 2, 2),
    b("trigger_event", 1, 2),
    // §4.8 JSON
    b("json_stringify", 1, 1),
    b("json_parse", 1, 1),
    // §4.9 files
    b("read_file", 1, 1),
    b("write_file", 2, 3),
    b("open_file", 1, 2),
    b("close_file", 1, 1),
    b("fs_exists", 1, 1),
    b("fs_ls", 1, 1),
    b("path_join", 2, 2),
    b("path_home_dir", 0, 0),
    // §4.10 optional host builtins
    optional("http_get"),
    optional("http_post"),
    optional("process_run"),
    optional("process_spawn"),
    optional("hal_devices"),
    optional("hal_read"),
    optional("hal_write"),
    optional("hal_interrupt"),
    optional("core_module_execute"),
    optional("core_module_release"),
    optional("core_value_release"),
    optional("core_memory_stats"),
    optional("core_memory_events"),
    optional("core_timeout_stats"),
    optional("core_cancel_task"),
    optional("core_with_deadline"),
    optional("core_vm_execute"),
    optional("core_vm_spawn"),
    optional("core_task_info"),
    optional("core_index"),
    optional("toml::load_file"),
    // helpers for the standard modules of §5.3 (stdlib/math.svs)
    internal("__svs_floor", 1, 1),
    internal("__svs_ceil", 1, 1),
    internal("__svs_trunc", 1, 1),
    internal("__svs_round", 1, 1),
    // system modules (runtime syscalls/system, stdlib sys.svs, fs.svs, process.svs)
    internal("__fs_open", 1, 2),
    internal("__fs_read", 1, 2),
    internal("__fs_write", 2, 2),
    internal("__fs_seek", 2, 3),
    internal("__fs_stat", 1, 1),
    internal("__fs_mkdir", 1, 2),
    internal("__fs_list", 1, 1),
    internal("__fs_remove", 1, 2),
    internal("__fs_rename", 2, 2),
    internal("__fs_read_text", 1, 1),
    internal("__fs_write_text", 2, 3),
    internal("__proc_spawn", 1, 3),
    internal("__proc_wait", 1, 1),
    internal("__proc_pid", 1, 1),
    internal("__proc_kill", 1, 2),
    internal("__proc_read", 1, 2),
    internal("__proc_write", 2, 2),
    internal("__sys_close", 1, 1),
    internal("__sys_env_remove", 1, 1),
    internal("__sys_env_vars", 0, 0),
    internal("__sys_cwd", 0, 0),
    internal("__sys_pid", 0, 0),
    internal("__sys_monotonic_ms", 0, 0),
    internal("__sys_signal_wait", 1, 1),
    // end of system modules
    // network module (runtime syscalls/net, stdlib net.svs)
    internal("__net_connect", 2, 2),
    internal("__net_listen", 3, 3),
    internal("__net_accept", 1, 1),
    internal("__net_send", 2, 2),
    internal("__net_recv", 2, 2),
    internal("__net_recv_line", 1, 1),
    internal("__net_shutdown", 1, 1),
    internal("__net_close", 1, 1),
    internal("__net_peer", 1, 1),
    internal("__net_local_port", 1, 1),
    internal("__net_udp_bind", 2, 2),
    internal("__net_send_to", 4, 4),
    internal("__net_recv_from", 2, 2),
    internal("__net_unix_listen", 2, 2),
    internal("__net_unix_connect", 1, 1),
    internal("__net_done", 1, 2),
    // end of network module
    // JSON-RPC classification for the ipc module (runtime ipc, stdlib ipc.svs)
    internal("__ipc_parse", 1, 1),
    // hardware abstraction layer (runtime syscalls/hal.rs, stdlib hal.svs, docs/HAL.md)
    internal("__hal_devices", 0, 1),
    internal("__hal_rescan", 0, 0),
    internal("__hal_simulated", 0, 0),
    internal("__hal_gpio_chip", 1, 1),
    internal("__hal_gpio_line_info", 2, 2),
    internal("__hal_gpio_request", 2, 3),
    internal("__hal_gpio_get", 1, 1),
    internal("__hal_gpio_set", 2, 2),
    internal("__hal_gpio_event", 1, 1),
    internal("__hal_i2c_open", 2, 2),
    internal("__hal_i2c_read", 2, 2),
    internal("__hal_i2c_write", 2, 2),
    internal("__hal_i2c_transfer", 3, 3),
    internal("__hal_i2c_read_byte", 2, 2),
    internal("__hal_i2c_write_byte", 3, 3),
    internal("__hal_i2c_read_word", 2, 2),
    internal("__hal_i2c_write_word", 3, 3),
    internal("__hal_spi_open", 2, 3),
    internal("__hal_spi_transfer", 2, 2),
    internal("__hal_spi_transfer_dma", 3, 3),
    internal("__hal_iio_read", 2, 2),
    internal("__hal_led_set", 2, 2),
    internal("__hal_led_get", 1, 1),
    internal("__hal_pwm_set", 4, 5),
    internal("__hal_pcm_play", 2, 2),
    internal("__hal_pcm_capture", 2, 2),
    internal("__hal_storage_read", 3, 3),
    internal("__hal_storage_write", 3, 3),
    internal("__hal_dma_alloc", 1, 2),
    internal("__hal_dma_read", 3, 3),
    internal("__hal_dma_write", 3, 3),
    internal("__hal_dma_info", 1, 1),
    internal("__hal_close", 1, 1),
    internal("__hal_complete", 1, 1),
    // end of hardware abstraction layer
];

/// Alias families of §4.11: each prefix combined with each builtin name (`std::math::sqrt`), or a
/// spelled-out alias name for the irregular ones.
const ALIAS_FAMILIES: &[(&[&str], &[&str], &str)] = &[
    // (prefixes, builtins, legacy_ prefix or "")
    (&["std::time::", "time::"], &["time", "now"], "legacy_time_"),
    (
        &["std::string::", "string::"],
        &["to_string", "parse_int", "parse_float", "len"],
        "legacy_string_",
    ),
    (
        &["std::object::", "object::"],
        &["keys", "values", "has_key"],
        "",
    ),
    (
        &["std::sys::", "sys::"],
        &[
            "bool",
            "type",
            "exit",
            "env_get",
            "env_set",
            "process_run",
            "process_spawn",
        ],
        "legacy_sys_",
    ),
    (
        &["std::math::", "math::"],
        &["sin", "cos", "sqrt", "pow", "abs", "min", "max"],
        "legacy_math_",
    ),
    (
        &["std::fs::", "fs::"],
        &[
            "read_file",
            "write_file",
            "open_file",
            "close_file",
            "fs_ls",
            "path_join",
            "path_home_dir",
        ],
        "legacy_fs_",
    ),
];

/// Plain-name synonyms of §4.2–§4.4 and the irregular aliases of §4.11, as (alias, builtin).
/// An alias is the same function value as its builtin and displays with the builtin's name.
const ALIASES: &[(&str, &str)] = &[
    ("print", "prt"),
    ("inp", "input"),
    ("typeof", "type"),
    ("str", "to_string"),
    ("boolean", "bool"),
    ("division", "div"),
    ("subtract", "sbt"),
    ("std::io::print", "prt"),
    ("io::print", "prt"),
    ("std::io::prt", "prt"),
    ("io::prt", "prt"),
    ("legacy_io_print", "prt"),
    ("legacy_io_prt", "prt"),
    ("core::print", "prt"),
    ("std::io::println", "println"),
    ("io::println", "println"),
    ("legacy_io_println", "println"),
    ("core::println", "println"),
    ("std::io::input", "input"),
    ("io::input", "input"),
    ("legacy_io_input", "input"),
    ("std::io::inp", "input"),
    ("io::inp", "input"),
    ("legacy_io_inp", "input"),
    ("std::io::sleep", "sleep"),
    ("io::sleep", "sleep"),
    ("std::time::sleep", "sleep"),
    ("time::sleep", "sleep"),
    ("legacy_io_sleep", "sleep"),
    ("legacy_time_sleep", "sleep"),
    ("std::fs::fs_exists", "fs_exists"),
    ("fs::fs_exists", "fs_exists"),
    ("legacy_fs_exists", "fs_exists"),
    ("std::json::stringify", "json_stringify"),
    ("json::stringify", "json_stringify"),
    ("legacy_json_stringify", "json_stringify"),
    ("std::json::parse", "json_parse"),
    ("json::parse", "json_parse"),
    ("legacy_json_parse", "json_parse"),
];

/// Index of a builtin in `BUILTINS`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct BuiltinId(pub u16);

impl BuiltinId {
    pub fn get(self) -> &'static Builtin {
        &BUILTINS[self.0 as usize]
    }
}

/// Finds a builtin by its canonical name.
pub fn lookup(name: &str) -> Option<BuiltinId> {
    BUILTINS
        .iter()
        .position(|b| b.name == name)
        .map(|i| BuiltinId(i as u16))
}

/// Finds the builtin an alias names: a `::` path such as `std::io::println` or a `legacy_` name.
/// An alias is the same function value as its builtin (§6.3 C13).
pub fn lookup_alias(alias: &str) -> Option<BuiltinId> {
    if let Some(&(_, target)) = ALIASES.iter().find(|(a, _)| *a == alias) {
        return lookup(target);
    }
    for (prefixes, names, legacy) in ALIAS_FAMILIES {
        for prefix in prefixes.iter().chain(std::iter::once(legacy)) {
            if prefix.is_empty() {
                continue;
            }
            if let Some(rest) = alias.strip_prefix(prefix) {
                if names.contains(&rest) {
                    return lookup(rest);
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn aliases_resolve_to_their_builtins() {
        assert_eq!(lookup_alias("std::io::println"), lookup("println"));
        assert_eq!(lookup_alias("math::sqrt"), lookup("sqrt"));
        assert_eq!(lookup_alias("legacy_math_sqrt"), lookup("sqrt"));
        assert_eq!(lookup_alias("std::object::keys"), lookup("keys"));
        assert_eq!(lookup_alias("time::sleep"), lookup("sleep"));
        assert_eq!(lookup_alias("legacy_fs_exists"), lookup("fs_exists"));
        assert_eq!(lookup_alias("math::floor"), None);
        assert_eq!(lookup_alias("legacy_object_keys"), None);
        assert_eq!(lookup_alias("str"), lookup("to_string"));
        assert_eq!(lookup_alias("print"), lookup("prt"));
    }

    #[test]
    fn names_are_unique() {
        for (i, a) in BUILTINS.iter().enumerate() {
            assert!(
                BUILTINS[i + 1..].iter().all(|b| b.name != a.name),
                "{}",
                a.name
            );
        }
    }
}
