//! Time and randomness builtins (§4.6): `time`, `now`, `now_ms`, `sleep`, `random`.
//! (`delay` needs the scheduler and is not here yet; see builtins/mod.rs.)
//!
//! `now` computes the UTC civil date by hand (Howard Hinnant's `civil_from_days`), since std
//! has no calendar and the runtime takes no dependencies. `now_ms` counts from a process-wide
//! start instant that the runtime's entry sets with `start_clock` (or the first `now_ms`).
//! `random` is xorshift64* seeded once per thread from the clock: the language has no seeding
//! builtin, so only the distribution matters; integer ranges use rejection sampling so they
//! are exactly uniform.

use super::{number, type_error};
use crate::error::{RtError, RtResult};
use crate::object;
use crate::string;
use crate::value::{Tag, Value};
use std::cell::Cell;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

static START: Mutex<Option<Instant>> = Mutex::new(None);

/// Marks the program's start for `now_ms` (first call wins).
pub fn start_clock() -> Instant {
    let mut start = START.lock().unwrap_or_else(|e| e.into_inner());
    *start.get_or_insert_with(Instant::now)
}

/// Seconds and nanoseconds since the Unix epoch (floor division for times before it).
fn unix_now() -> (i64, u32) {
    match SystemTime::now().duration_since(UNIX_EPOCH) {
        Ok(d) => (d.as_secs() as i64, d.subsec_nanos()),
        Err(e) => {
            let d = e.duration();
            let (s, n) = (d.as_secs() as i64, d.subsec_nanos());
            if n == 0 {
                (-s, 0)
            } else {
                (-s - 1, 1_000_000_000 - n)
            }
        }
    }
}

fn timestamp(secs: i64, nanos: u32) -> f64 {
    secs as f64 + nanos as f64 / 1e9
}

pub(super) fn time(_args: &[Value]) -> RtResult<Value> {
    let (s, n) = unix_now();
    Ok(Value::float(timestamp(s, n)))
}

/// Year, month (1–12) and day (1–31) of a day count since 1970-01-01 in the proleptic
/// Gregorian calendar (http://howardhinnant.github.io/date_algorithms.html#civil_from_days).
pub fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = (z - era * 146_097) as u64; // [0, 146096]
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365; // [0, 399]
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100); // [0, 365]
    let mp = (5 * doy + 2) / 153; // [0, 11]
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe as i64 + era * 400 + (month <= 2) as i64;
    (year, month, day)
}

/// The fields of `now()` for an instant.
pub(super) fn now_object(secs: i64, nanos: u32) -> RtResult<Value> {
    let days = secs.div_euclid(86_400);
    let rest = secs.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let (hour, minute, second) = (rest / 3600, rest % 3600 / 60, rest % 60);
    let iso =
        format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.{nanos:09}Z");
    let o = object::new_empty()?;
    let iso = string::from_string(iso)?;
    let fields = object::obj(o);
    fields.set("year", Value::int(year));
    fields.set("month", Value::int(month as i64));
    fields.set("day", Value::int(day as i64));
    fields.set("hour", Value::int(hour));
    fields.set("minute", Value::int(minute));
    fields.set("second", Value::int(second));
    fields.set("nanosecond", Value::int(nanos as i64));
    fields.set("iso", iso);
    fields.set("timestamp", Value::float(timestamp(secs, nanos)));
    Ok(o)
}

pub(super) fn now(_args: &[Value]) -> RtResult<Value> {
    let (s, n) = unix_now();
    now_object(s, n)
}

pub(super) fn now_ms(_args: &[Value]) -> RtResult<Value> {
    Ok(Value::int(start_clock().elapsed().as_millis() as i64))
}

/// `sleep(ms)`: blocks the whole program. Flushes stdout first so output written before a
/// pause is visible during it.
pub(super) fn sleep(args: &[Value]) -> RtResult<Value> {
    let ms = number("sleep", args[0])?;
    if ms.is_nan() || ms < 0.0 || ms.is_infinite() {
        return Err(RtError::new(format!(
            "sleep: duration must be a non-negative number of milliseconds, got {}",
            crate::display::display(args[0])
        )));
    }
    crate::stdout::flush();
    // Cap absurd values instead of overflowing Duration (about 31 million years).
    std::thread::sleep(Duration::from_secs_f64((ms / 1000.0).min(1e15)));
    Ok(Value::NULL)
}

/// `delay(ms)`: a task the scheduler completes, with `null`, after `ms` milliseconds (§3.15).
pub(super) fn delay(args: &[Value]) -> RtResult<Value> {
    let ms = number("delay", args[0])?;
    if ms.is_nan() || ms < 0.0 {
        return Err(RtError::new("delay: ms must not be negative"));
    }
    crate::scheduler::delay(ms)
}

thread_local! {
    static RNG: Cell<u64> = const { Cell::new(0) };
}

/// SplitMix64, to turn a clock reading into a well-mixed nonzero seed.
fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The next 64 random bits (xorshift64*).
fn next_u64() -> u64 {
    RNG.with(|state| {
        let mut x = state.get();
        if x == 0 {
            let (s, n) = unix_now();
            let local = &x as *const u64 as u64; // differs per thread
            x = splitmix64((s as u64).wrapping_mul(1_000_000_007) ^ n as u64 ^ local) | 1;
        }
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        state.set(x);
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    })
}

/// Uniform in [0, 1).
fn next_f64() -> f64 {
    (next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// Uniform in [0, n) for n > 0, by rejection.
fn below(n: u64) -> u64 {
    let zone = u64::MAX - (u64::MAX % n + 1) % n;
    loop {
        let r = next_u64();
        if r <= zone {
            return r % n;
        }
    }
}

pub(super) fn random(args: &[Value]) -> RtResult<Value> {
    match args.len() {
        0 => Ok(Value::float(next_f64())),
        1 => random_below(args[0]),
        _ => random_between(args[0], args[1]),
    }
}

fn random_below(n: Value) -> RtResult<Value> {
    match n.tag {
        Tag::Int if n.as_int() > 0 => Ok(Value::int(below(n.as_int() as u64) as i64)),
        Tag::Float if n.as_float() > 0.0 && n.as_float().is_finite() => {
            let limit = n.as_float();
            loop {
                let x = next_f64() * limit;
                if x < limit {
                    return Ok(Value::float(x));
                }
            }
        }
        Tag::Int | Tag::Float => Err(RtError::new(format!(
            "random: n must be positive, got {}",
            crate::display::display(n)
        ))),
        _ => Err(type_error("random", "a number", n)),
    }
}

fn random_between(a: Value, b: Value) -> RtResult<Value> {
    if a.tag == Tag::Int && b.tag == Tag::Int {
        let (lo, hi) = (a.as_int(), b.as_int());
        if hi < lo {
            return Err(RtError::new(format!(
                "random: upper bound {hi} is less than lower bound {lo}"
            )));
        }
        let span = (hi as i128 - lo as i128 + 1) as u128;
        let offset = if span > u64::MAX as u128 {
            next_u64()
        } else {
            below(span as u64)
        };
        return Ok(Value::int(lo.wrapping_add(offset as i64)));
    }
    let (lo, hi) = (number("random", a)?, number("random", b)?);
    if !lo.is_finite() || !hi.is_finite() || hi < lo {
        return Err(RtError::new(format!(
            "random: invalid range [{}, {}]",
            crate::display::display(a),
            crate::display::display(b)
        )));
    }
    let x = lo + next_f64() * (hi - lo);
    Ok(Value::float(x.max(lo).min(hi)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtins::{call, table};
    use crate::testutil::*;

    fn run(name: &str, args: &[Value]) -> RtResult<Value> {
        call(table::lookup(name).unwrap(), args)
    }

    #[test]
    fn civil_dates() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
        assert_eq!(civil_from_days(19_723), (2024, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(-719_468), (0, 3, 1));
        assert_eq!(civil_from_days(2_932_896), (9999, 12, 31));
    }

    #[test]
    fn now_fields_and_iso() {
        rooted(|| {
            let o = now_object(951_827_696, 5).unwrap();
            assert_eq!(
                d(o),
                "{year: 2000, month: 2, day: 29, hour: 12, minute: 34, second: 56, nanosecond: 5, iso: 2000-02-29T12:34:56.000000005Z, timestamp: 951827696.000000005}"
                    .replace("951827696.000000005", &d(float(951_827_696.000000005)))
            );
            let early = now_object(-1, 999_999_999).unwrap();
            assert_eq!(
                r(crate::ops::member_get(early, "iso")),
                "1969-12-31T23:59:59.999999999Z"
            );
            let live = run("now", &[]).unwrap();
            let ts = crate::ops::member_get(live, "timestamp")
                .unwrap()
                .as_float();
            let year = crate::ops::member_get(live, "year").unwrap().as_int();
            assert!(ts > 1.6e9 && year >= 2023);
            let iso = crate::ops::member_get(live, "iso").unwrap();
            assert_eq!(crate::string::char_len(iso), 30);
        })
    }

    #[test]
    fn clocks() {
        rooted(|| {
            let t = run("time", &[]).unwrap();
            assert_eq!(t.tag, Tag::Float);
            assert!(t.as_float() > 1.6e9);
            let a = run("now_ms", &[]).unwrap().as_int();
            assert_eq!(r(run("sleep", &[int(5)])), "null");
            run("sleep", &[float(0.5)]).unwrap();
            let b = run("now_ms", &[]).unwrap().as_int();
            assert!(b - a >= 5, "{a} {b}");
            assert!(err(run("sleep", &[int(-1)])).starts_with("sleep: duration must be"));
            assert!(err(run("sleep", &[float(f64::NAN)])).starts_with("sleep: "));
            assert!(err(run("sleep", &[float(f64::INFINITY)])).starts_with("sleep: "));
            let x = s("1");
            assert_eq!(
                err(run("sleep", &[x])),
                "sleep: expects a number, got string"
            );
        })
    }

    #[test]
    fn random_ranges() {
        rooted(|| {
            for _ in 0..2000 {
                let f = run("random", &[]).unwrap().as_float();
                assert!((0.0..1.0).contains(&f));
                let i = run("random", &[int(3)]).unwrap().as_int();
                assert!((0..3).contains(&i));
                let g = run("random", &[float(2.5)]).unwrap().as_float();
                assert!((0.0..2.5).contains(&g));
                let j = run("random", &[int(-2), int(2)]).unwrap().as_int();
                assert!((-2..=2).contains(&j));
                let h = run("random", &[int(1), float(1.5)]).unwrap();
                assert!(h.tag == Tag::Float && (1.0..=1.5).contains(&h.as_float()));
            }
            assert_eq!(r(run("random", &[int(1)])), "0");
            assert_eq!(r(run("random", &[int(7), int(7)])), "7");
            let full = run("random", &[int(i64::MIN), int(i64::MAX)]).unwrap();
            assert_eq!(full.tag, Tag::Int);
            let mut seen = [false; 5];
            for _ in 0..500 {
                seen[run("random", &[int(5)]).unwrap().as_int() as usize] = true;
            }
            assert!(
                seen.iter().all(|&b| b),
                "every value of a small range shows up"
            );
            assert_eq!(
                err(run("random", &[int(0)])),
                "random: n must be positive, got 0"
            );
            assert_eq!(
                err(run("random", &[float(-1.0)])),
                "random: n must be positive, got -1"
            );
            assert!(
                err(run("random", &[float(f64::NAN)])).starts_with("random: n must be positive")
            );
            let x = s("x");
            assert_eq!(
                err(run("random", &[x])),
                "random: expects a number, got string"
            );
            assert_eq!(
                err(run("random", &[int(3), int(2)])),
                "random: upper bound 2 is less than lower bound 3"
            );
            assert_eq!(
                err(run("random", &[float(3.0), int(2)])),
                "random: invalid range [3, 2]"
            );
            assert_eq!(
                err(run("random", &[Value::NULL, int(2)])),
                "random: expects a number, got null"
            );
        })
    }
}
