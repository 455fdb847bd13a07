//! Fuzz target: a whole program through the module loader (`load_source`): parse, resolve,
//! follow `import <std>` into the embedded standard modules, check named imports against
//! exports. Script imports (`import "x.svs"`) are looked up relative to the current directory
//! (the `fuzz/` directory under `cargo fuzz`), so most of them end in a "not found" diagnostic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use solvrac::frontend::{self, LoadOptions};

fn program(text: &str) {
    let (_program, _diags) = frontend::load_source("fuzz.svs", text, LoadOptions::default());
}

fuzz_target!(|data: &[u8]| {
    solvrac_fuzz::run_on_big_stack(data, program);
});
