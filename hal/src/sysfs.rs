//! The devices driven through sysfs attribute files: IIO sensors (`bus/iio/devices`), LEDs
//! (`class/leds`) and PWM channels (`class/pwm`). Paths are under the configured sysfs root, so
//! the same code runs against a prepared directory tree in tests.

use crate::{Error, Result};
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A name that becomes one path component: never empty, `.`, `..` or containing `/`.
pub(crate) fn component<'a>(op: &str, what: &str, name: &'a str) -> Result<&'a str> {
    if name.is_empty() || name == "." || name == ".." || name.contains('/') || name.contains('\0') {
        return Err(Error::invalid(format!(
            "{op}: '{name}' is not a {what} name"
        )));
    }
    Ok(name)
}

pub(crate) fn read_attr(path: &Path) -> io::Result<String> {
    fs::read_to_string(path).map(|s| s.trim().to_string())
}

fn number<T: std::str::FromStr>(path: &Path) -> io::Result<T> {
    read_attr(path)?
        .parse()
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "not a number"))
}

fn write_attr(path: &Path, value: &str) -> io::Result<()> {
    fs::write(path, value)
}

/// An IIO channel's value: `(raw + offset) * scale`, or the driver's processed `_input` when the
/// channel has no raw value. `scale` and `offset` are looked up for the channel (`in_voltage0_scale`)
/// and then for its type (`in_voltage_scale`); missing, they are 1 and 0.
pub(crate) fn iio_read(sys: &Path, device: &str, channel: &str) -> Result<f64> {
    let device = component("iio_read", "device", device)?;
    let channel = component("iio_read", "channel", channel)?;
    let dir = sys.join("bus/iio/devices").join(device);
    let subject = format!("{device}/{channel}");
    let err = |e| Error::os("iio_read", e, &subject);
    let attr = |suffix: &str| dir.join(format!("in_{channel}_{suffix}"));
    if !attr("raw").exists() && attr("input").exists() {
        return number(&attr("input")).map_err(err);
    }
    let raw: f64 = number(&attr("raw")).map_err(err)?;
    let kind = channel.trim_end_matches(|c: char| c.is_ascii_digit());
    let shared = |suffix: &str, default: f64| -> Result<f64> {
        for path in [attr(suffix), dir.join(format!("in_{kind}_{suffix}"))] {
            if path.exists() {
                return number(&path).map_err(err);
            }
        }
        Ok(default)
    };
    Ok((raw + shared("offset", 0.0)?) * shared("scale", 1.0)?)
}

/// The channels of an IIO device: every `in_NAME_raw` or `in_NAME_input`, sorted.
pub(crate) fn iio_channels(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = entries(dir)
        .into_iter()
        .filter_map(|f| {
            let rest = f.strip_prefix("in_")?;
            rest.strip_suffix("_raw")
                .or_else(|| rest.strip_suffix("_input"))
                .map(str::to_string)
        })
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The names in a directory, sorted; none if it cannot be read.
pub(crate) fn entries(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort_by_key(|n| natural(n));
    names
}

/// A sort key that puts `gpiochip2` before `gpiochip10`.
fn natural(name: &str) -> (String, u64) {
    let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
    let (stem, num) = name.split_at(name.len() - digits);
    (stem.to_string(), num.parse().unwrap_or(0))
}

fn led_dir(sys: &Path, op: &str, name: &str) -> Result<PathBuf> {
    Ok(sys.join("class/leds").join(component(op, "LED", name)?))
}

pub(crate) fn led_set(sys: &Path, name: &str, brightness: u32) -> Result<()> {
    let dir = led_dir(sys, "led_set", name)?;
    let subject = format!("leds/{name}");
    let max: u32 =
        number(&dir.join("max_brightness")).map_err(|e| Error::os("led_set", e, &subject))?;
    check_brightness(name, brightness, max)?;
    write_attr(&dir.join("brightness"), &brightness.to_string())
        .map_err(|e| Error::os("led_set", e, &subject))
}

/// A brightness above the LED's maximum is an error (the kernel would clamp it silently).
pub(crate) fn check_brightness(name: &str, brightness: u32, max: u32) -> Result<()> {
    if brightness > max {
        return Err(Error::invalid(format!(
            "led_set: brightness {brightness} is above the maximum {max}: leds/{name}"
        )));
    }
    Ok(())
}

pub(crate) fn led_get(sys: &Path, name: &str) -> Result<u32> {
    let dir = led_dir(sys, "led_get", name)?;
    number(&dir.join("brightness")).map_err(|e| Error::os("led_get", e, &format!("leds/{name}")))
}

/// A PWM channel's setting, in nanoseconds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pwm {
    pub period_ns: u64,
    pub duty_ns: u64,
    pub enabled: bool,
}

impl Pwm {
    pub(crate) fn validate(&self) -> Result<()> {
        if self.period_ns == 0 || self.duty_ns > self.period_ns {
            return Err(Error::invalid(format!(
                "pwm_set: the duty cycle ({} ns) must fit a positive period ({} ns)",
                self.duty_ns, self.period_ns
            )));
        }
        Ok(())
    }
}

pub(crate) fn pwm_set(sys: &Path, chip: u32, channel: u32, s: Pwm) -> Result<()> {
    let chip_dir = sys.join(format!("class/pwm/pwmchip{chip}"));
    let subject = format!("pwmchip{chip}/{channel}");
    let err = |e| Error::os("pwm_set", e, &subject);
    let dir = chip_dir.join(format!("pwm{channel}"));
    if !dir.is_dir() {
        write_attr(&chip_dir.join("export"), &channel.to_string()).map_err(err)?;
        if !dir.is_dir() {
            return Err(err(io::Error::from_raw_os_error(libc::ENOENT)));
        }
    }
    // The kernel refuses a duty cycle longer than the period at every step, so a shorter
    // period goes after the duty cycle and a longer one before it.
    let current: u64 = number(&dir.join("period")).unwrap_or(0);
    let period = || write_attr(&dir.join("period"), &s.period_ns.to_string());
    let duty = || write_attr(&dir.join("duty_cycle"), &s.duty_ns.to_string());
    if s.period_ns >= current {
        period().and_then(|()| duty()).map_err(err)?;
    } else {
        duty().and_then(|()| period()).map_err(err)?;
    }
    write_attr(&dir.join("enable"), if s.enabled { "1" } else { "0" }).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::TempTree;

    #[test]
    fn iio_values_apply_offset_and_scale() {
        let t = TempTree::new();
        let d = "sys/bus/iio/devices/iio:device0";
        t.file(&format!("{d}/in_temp_raw"), "250\n");
        t.file(&format!("{d}/in_temp_offset"), "-10\n");
        t.file(&format!("{d}/in_temp_scale"), "0.5\n");
        t.file(&format!("{d}/in_voltage0_raw"), "1000\n");
        t.file(&format!("{d}/in_voltage_scale"), "0.25\n");
        t.file(&format!("{d}/in_humidityrelative_input"), "41500\n");
        let sys = t.path().join("sys");
        assert_eq!(iio_read(&sys, "iio:device0", "temp").unwrap(), 120.0);
        assert_eq!(iio_read(&sys, "iio:device0", "voltage0").unwrap(), 250.0);
        assert_eq!(
            iio_read(&sys, "iio:device0", "humidityrelative").unwrap(),
            41500.0
        );
        assert_eq!(
            iio_channels(&t.path().join(d)),
            ["humidityrelative", "temp", "voltage0"]
        );
        let e = iio_read(&sys, "iio:device0", "pressure").unwrap_err();
        assert_eq!(
            e.to_string(),
            "iio_read: No such file or directory (os error 2): iio:device0/pressure"
        );
        assert!(iio_read(&sys, "..", "temp")
            .unwrap_err()
            .to_string()
            .contains("not a device name"));
    }

    #[test]
    fn leds_respect_their_maximum() {
        let t = TempTree::new();
        t.file("sys/class/leds/led0/brightness", "0\n");
        t.file("sys/class/leds/led0/max_brightness", "1\n");
        let sys = t.path().join("sys");
        led_set(&sys, "led0", 1).unwrap();
        assert_eq!(led_get(&sys, "led0").unwrap(), 1);
        assert_eq!(
            led_set(&sys, "led0", 2).unwrap_err().to_string(),
            "led_set: brightness 2 is above the maximum 1: leds/led0"
        );
    }

    #[test]
    fn pwm_writes_period_duty_and_enable_in_a_valid_order() {
        let t = TempTree::new();
        t.file("sys/class/pwm/pwmchip0/pwm1/period", "1000\n");
        t.file("sys/class/pwm/pwmchip0/pwm1/duty_cycle", "500\n");
        t.file("sys/class/pwm/pwmchip0/pwm1/enable", "0\n");
        t.file("sys/class/pwm/pwmchip0/export", "");
        let sys = t.path().join("sys");
        let s = Pwm {
            period_ns: 20_000_000,
            duty_ns: 1_500_000,
            enabled: true,
        };
        pwm_set(&sys, 0, 1, s).unwrap();
        let read = |f: &str| t.read(&format!("sys/class/pwm/pwmchip0/pwm1/{f}"));
        assert_eq!(
            (read("period"), read("duty_cycle"), read("enable")),
            ("20000000".into(), "1500000".into(), "1".into())
        );
        // Channel 2 does not exist and exporting it (into a plain file) does not create it.
        let e = pwm_set(&sys, 0, 2, s).unwrap_err();
        assert_eq!(
            e.to_string(),
            "pwm_set: No such file or directory (os error 2): pwmchip0/2"
        );
        assert_eq!(t.read("sys/class/pwm/pwmchip0/export"), "2");
    }
}
