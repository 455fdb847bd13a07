//! Numeric helper builtins (§4.4) and the rounding helpers behind `math.floor/ceil/trunc/round`
//! of the standard library (§5.3, internal `__svs_*` builtins).
//!
//! They accept only ints and floats (§4.1). Edge cases follow the clarifications: `min`/`max`
//! order signed zeros and skip a single NaN (C22), `pow` is IEEE/C `pow` (C30), `log(x, b)`
//! is `ln(x) / ln(b)` (C14), and rounding keeps IEEE signed zeros (C12). Rust 1.63 has no
//! `round_ties_even`, so `round` implements half-to-even itself.

use super::{number, optional, type_error};
use crate::error::{RtError, RtResult};
use crate::value::{Tag, Value};

pub(super) fn div(args: &[Value]) -> RtResult<Value> {
    let x = number("div", args[0])?;
    let y = number("div", args[1])?;
    if y == 0.0 {
        return Err(RtError::new("division by zero"));
    }
    Ok(Value::float(x / y))
}

pub(super) fn sbt(args: &[Value]) -> RtResult<Value> {
    let (a, b) = (args[0], args[1]);
    if a.tag == Tag::Int && b.tag == Tag::Int {
        return Ok(Value::int(a.as_int().wrapping_sub(b.as_int())));
    }
    Ok(Value::float(number("sbt", a)? - number("sbt", b)?))
}

pub(super) fn abs(args: &[Value]) -> RtResult<Value> {
    let v = args[0];
    match v.tag {
        Tag::Int => Ok(Value::int(v.as_int().wrapping_abs())),
        Tag::Float => Ok(Value::float(v.as_float().abs())),
        _ => Err(type_error("abs", "a number", v)),
    }
}

/// The smaller float: a single NaN is skipped, `-0.0 < 0.0` (C22).
fn fmin(x: f64, y: f64) -> f64 {
    if x.is_nan() {
        y
    } else if y.is_nan() || x < y || (x == y && x.is_sign_negative()) {
        x
    } else {
        y
    }
}

fn fmax(x: f64, y: f64) -> f64 {
    if x.is_nan() {
        y
    } else if y.is_nan() || x > y || (x == y && x.is_sign_positive()) {
        x
    } else {
        y
    }
}

fn min_max(name: &str, args: &[Value], want_min: bool) -> RtResult<Value> {
    let (a, b) = (args[0], args[1]);
    if a.tag == Tag::Int && b.tag == Tag::Int {
        let (x, y) = (a.as_int(), b.as_int());
        return Ok(Value::int(if want_min { x.min(y) } else { x.max(y) }));
    }
    let (x, y) = (number(name, a)?, number(name, b)?);
    Ok(Value::float(if want_min { fmin(x, y) } else { fmax(x, y) }))
}

pub(super) fn min(args: &[Value]) -> RtResult<Value> {
    min_max("min", args, true)
}

pub(super) fn max(args: &[Value]) -> RtResult<Value> {
    min_max("max", args, false)
}

pub(super) fn pow(args: &[Value]) -> RtResult<Value> {
    Ok(Value::float(
        number("pow", args[0])?.powf(number("pow", args[1])?),
    ))
}

pub(super) fn sqrt(args: &[Value]) -> RtResult<Value> {
    let x = number("sqrt", args[0])?;
    if x < 0.0 {
        return Err(RtError::new("sqrt: negative input"));
    }
    Ok(Value::float(x.sqrt()))
}

pub(super) fn sin(args: &[Value]) -> RtResult<Value> {
    Ok(Value::float(number("sin", args[0])?.sin()))
}

pub(super) fn cos(args: &[Value]) -> RtResult<Value> {
    Ok(Value::float(number("cos", args[0])?.cos()))
}

pub(super) fn tan(args: &[Value]) -> RtResult<Value> {
    Ok(Value::float(number("tan", args[0])?.tan()))
}

/// `log(x, base?)`: natural log, or `ln(x) / ln(base)` (C14).
pub(super) fn log(args: &[Value]) -> RtResult<Value> {
    let x = number("log", args[0])?;
    if x <= 0.0 {
        return Err(RtError::new("log: input must be positive"));
    }
    match optional(args, 1) {
        None => Ok(Value::float(x.ln())),
        Some(b) => {
            let base = number("log", b)?;
            if base <= 0.0 || base == 1.0 {
                return Err(RtError::new(
                    "log: base must be positive and different from 1",
                ));
            }
            Ok(Value::float(x.ln() / base.ln()))
        }
    }
}

/// Round half to even, keeping the sign of zero (`round(-0.5)` is `-0.0`, C12).
pub fn round_half_even(x: f64) -> f64 {
    let r = x.round();
    if (r - x).abs() == 0.5 {
        // A tie: `x / 2` is exact here, and rounding it picks the even neighbour.
        2.0 * (x / 2.0).round()
    } else {
        r
    }
}

fn rounding(name: &str, args: &[Value], f: fn(f64) -> f64) -> RtResult<Value> {
    let v = args[0];
    match v.tag {
        Tag::Int => Ok(v),
        Tag::Float => Ok(Value::float(f(v.as_float()))),
        _ => Err(type_error(name, "a number", v)),
    }
}

pub(super) fn floor(args: &[Value]) -> RtResult<Value> {
    rounding("floor", args, f64::floor)
}

pub(super) fn ceil(args: &[Value]) -> RtResult<Value> {
    rounding("ceil", args, f64::ceil)
}

pub(super) fn trunc(args: &[Value]) -> RtResult<Value> {
    rounding("trunc", args, f64::trunc)
}

pub(super) fn round(args: &[Value]) -> RtResult<Value> {
    rounding("round", args, round_half_even)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtins::{call, table};
    use crate::testutil::*;

    fn run(name: &str, args: &[Value]) -> RtResult<Value> {
        call(table::lookup(name).unwrap(), args)
    }

    /// Result with its type: `3.0` shows as `float 3`.
    fn typed(v: RtResult<Value>) -> String {
        match v {
            Ok(v) => format!("{} {}", v.type_name(), d(v)),
            Err(e) => format!("ERR: {}", e.message),
        }
    }

    #[test]
    fn div_and_sbt() {
        rooted(|| {
            assert_eq!(typed(run("div", &[int(9), int(3)])), "float 3");
            assert_eq!(typed(run("div", &[int(1), int(4)])), "float 0.25");
            assert_eq!(
                typed(run("div", &[int(1), int(0)])),
                "ERR: division by zero"
            );
            assert_eq!(
                typed(run("div", &[int(1), float(-0.0)])),
                "ERR: division by zero"
            );
            let x = s("9");
            assert_eq!(
                typed(run("div", &[x, int(3)])),
                "ERR: div: expects a number, got string"
            );
            assert_eq!(typed(run("sbt", &[int(5), int(7)])), "int -2");
            assert_eq!(
                typed(run("sbt", &[int(i64::MIN), int(1)])),
                "int 9223372036854775807"
            );
            assert_eq!(typed(run("sbt", &[float(0.5), int(1)])), "float -0.5");
            assert_eq!(
                typed(run("sbt", &[int(1), Value::TRUE])),
                "ERR: sbt: expects a number, got bool"
            );
            let alias = table::lookup_alias("subtract").unwrap();
            assert_eq!(typed(call(alias, &[int(3), int(1)])), "int 2");
        })
    }

    #[test]
    fn abs_min_max() {
        assert_eq!(typed(run("abs", &[int(-5)])), "int 5");
        assert_eq!(
            typed(run("abs", &[int(i64::MIN)])),
            "int -9223372036854775808"
        );
        assert_eq!(typed(run("abs", &[float(-0.0)])), "float 0");
        assert_eq!(
            typed(run("abs", &[Value::NULL])),
            "ERR: abs: expects a number, got null"
        );
        assert_eq!(typed(run("min", &[int(3), int(2)])), "int 2");
        assert_eq!(typed(run("max", &[int(3), int(2)])), "int 3");
        assert_eq!(typed(run("min", &[int(1), float(2.5)])), "float 1");
        assert_eq!(typed(run("max", &[int(1), float(2.5)])), "float 2.5");
        let nan = float(f64::NAN);
        assert_eq!(typed(run("min", &[nan, int(1)])), "float 1");
        assert_eq!(typed(run("min", &[int(1), nan])), "float 1");
        assert_eq!(typed(run("max", &[nan, float(-2.0)])), "float -2");
        assert_eq!(typed(run("max", &[nan, nan])), "float NaN");
        assert_eq!(typed(run("min", &[nan, nan])), "float NaN");
        let (pz, nz) = (float(0.0), float(-0.0));
        assert_eq!(typed(run("min", &[pz, nz])), "float -0");
        assert_eq!(typed(run("min", &[nz, pz])), "float -0");
        assert_eq!(typed(run("max", &[pz, nz])), "float 0");
        assert_eq!(typed(run("max", &[nz, pz])), "float 0");
        assert_eq!(typed(run("max", &[int(0), nz])), "float 0");
        assert_eq!(
            typed(run("min", &[Value::NULL, int(1)])),
            "ERR: min: expects a number, got null"
        );
    }

    #[test]
    fn pow_sqrt_trig_log() {
        assert_eq!(typed(run("pow", &[int(2), int(10)])), "float 1024");
        assert_eq!(typed(run("pow", &[int(0), int(-1)])), "float inf");
        assert_eq!(typed(run("pow", &[int(-10), int(401)])), "float -inf");
        assert_eq!(typed(run("pow", &[int(-8), float(1.0 / 3.0)])), "float NaN");
        assert_eq!(
            typed(run("pow", &[int(2), float(0.5)])),
            "float 1.4142135623730951"
        );
        assert_eq!(typed(run("sqrt", &[int(16)])), "float 4");
        assert_eq!(typed(run("sqrt", &[float(-0.0)])), "float -0");
        assert_eq!(typed(run("sqrt", &[int(-1)])), "ERR: sqrt: negative input");
        assert_eq!(typed(run("sin", &[int(0)])), "float 0");
        assert_eq!(typed(run("cos", &[int(0)])), "float 1");
        assert_eq!(typed(run("tan", &[int(0)])), "float 0");
        assert_eq!(
            typed(run("log", &[int(1000), int(10)])),
            "float 2.9999999999999996"
        );
        assert_eq!(typed(run("log", &[int(1)])), "float 0");
        assert_eq!(typed(run("log", &[float(std::f64::consts::E)])), "float 1");
        assert_eq!(
            typed(run("log", &[int(8), Value::NULL])),
            typed(run("log", &[int(8)]))
        );
        assert_eq!(
            typed(run("log", &[int(0)])),
            "ERR: log: input must be positive"
        );
        assert_eq!(
            typed(run("log", &[int(-1), int(10)])),
            "ERR: log: input must be positive"
        );
        for b in [int(1), int(0), float(-2.0)] {
            assert_eq!(
                typed(run("log", &[int(8), b])),
                "ERR: log: base must be positive and different from 1"
            );
        }
        assert_eq!(
            typed(run("sin", &[Value::TRUE])),
            "ERR: sin: expects a number, got bool"
        );
    }

    #[test]
    fn rounding_helpers() {
        let cases: &[(&str, f64, &str)] = &[
            ("__svs_floor", 3.7, "float 3"),
            ("__svs_floor", -3.2, "float -4"),
            ("__svs_ceil", 3.2, "float 4"),
            ("__svs_ceil", -0.5, "float -0"),
            ("__svs_trunc", -0.3, "float -0"),
            ("__svs_trunc", 2.9, "float 2"),
            ("__svs_round", 2.5, "float 2"),
            ("__svs_round", 3.5, "float 4"),
            ("__svs_round", -2.5, "float -2"),
            ("__svs_round", -0.5, "float -0"),
            ("__svs_round", 0.5, "float 0"),
            ("__svs_round", 1.5, "float 2"),
            ("__svs_round", 2.4999999999999996, "float 2"),
            ("__svs_round", -0.3, "float -0"),
            ("__svs_round", 4503599627370497.0, "float 4503599627370497"),
            ("__svs_round", 1e300, "float 1e300"),
        ];
        for &(name, x, want) in cases {
            let want = if x == 1e300 {
                format!("float {}", d(float(1e300)))
            } else {
                want.to_string()
            };
            assert_eq!(typed(run(name, &[float(x)])), want, "{name}({x})");
        }
        assert_eq!(typed(run("__svs_round", &[float(f64::NAN)])), "float NaN");
        assert_eq!(
            typed(run("__svs_floor", &[float(f64::NEG_INFINITY)])),
            "float -inf"
        );
        for name in ["__svs_floor", "__svs_ceil", "__svs_trunc", "__svs_round"] {
            assert_eq!(typed(run(name, &[int(-7)])), "int -7");
        }
        assert_eq!(
            typed(run("__svs_round", &[Value::NULL])),
            "ERR: round: expects a number, got null"
        );
    }
}
