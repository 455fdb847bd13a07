//! Fuzz target: the runtime's JSON parser, `solvra_rt::json::parse`, which the builtin
//! `json_parse` (and `json::parse` of the `json` module) calls on the program's string. Invalid
//! UTF-8 is decoded lossily, as a SolvraScript string would hold it. The parser must answer any
//! text with a value or an error and never panic; a value must survive the round trip:
//! `stringify(parse(x))` is JSON that `parse` accepts again, and stringifying that second value
//! gives the same text (numbers, escapes and key order are kept exactly).
#![no_main]

use libfuzzer_sys::fuzz_target;
use solvra_rt::json;

fn round_trip(text: &str) {
    let Ok(value) = json::parse(text) else {
        return;
    };
    let first = match json::stringify(value) {
        Ok(s) => s,
        Err(e) => panic!("json::stringify fails on the value parsed from {text:?}: {e:?}"),
    };
    let again = match json::parse(&first) {
        Ok(v) => v,
        Err(e) => panic!("json::parse rejects {first:?}, the stringified {text:?}: {e:?}"),
    };
    let second = match json::stringify(again) {
        Ok(s) => s,
        Err(e) => panic!("json::stringify fails on the value parsed from {first:?}: {e:?}"),
    };
    assert_eq!(first, second, "the round trip of {text:?} is not stable");
}

fuzz_target!(|data: &[u8]| {
    if data.len() > solvrac_fuzz::max_input() {
        return;
    }
    let text = String::from_utf8_lossy(data);
    solvrac_fuzz::with_runtime_heap(|| round_trip(&text));
});
