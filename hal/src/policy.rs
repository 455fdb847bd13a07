//! The device policy — which devices, lines and bus addresses a program may open — and the audit
//! log of what it did with them.
//!
//! A device operation names its *subject*: `gpiochip0/17` (a line), `i2c-1/0x48` (an address
//! on a bus), `spidev0.0`, `iio:device0/temp`, `pwmchip0/1`, `leds/led0`, `block/sda`. A policy
//! is a list of patterns; a pattern allows a subject when it is equal to it, is a `/`-prefix of it
//! (`gpiochip0` allows every line of the chip) or ends in `*` and the subject starts with what
//! precedes the star (`i2c-*`, `*`). Policies come in layers — the one built into the executable
//! (`solvrac build --allow-device`) and the environment's (`SOLVRA_HAL_ALLOW`) — and a subject
//! must be allowed by every layer present, so the environment can narrow what the build allowed
//! but never widen it. With no layer at all everything is allowed.
//!
//! Raw access to a block device is never granted by a prefix or a star: the pattern must name the
//! device itself (`block/sdb`) in every layer, and at least one layer must exist.

use crate::json::quote;
use crate::Error;
use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Clone, Debug, Default)]
pub struct Policy {
    layers: Vec<Vec<String>>,
}

impl Policy {
    /// Adds a layer from a comma- or whitespace-separated list of patterns. An empty list is a
    /// layer that allows nothing.
    pub fn narrow(&mut self, patterns: &str) {
        self.layers.push(
            patterns
                .split(|c: char| c == ',' || c.is_whitespace())
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect(),
        );
    }

    pub fn is_restricted(&self) -> bool {
        !self.layers.is_empty()
    }

    pub fn allows(&self, subject: &str) -> bool {
        self.layers
            .iter()
            .all(|layer| layer.iter().any(|p| matches(p, subject)))
    }

    /// Whether `subject` or anything inside it is allowed: reading a chip's metadata needs no
    /// more than the right to one of its lines.
    pub fn allows_within(&self, subject: &str) -> bool {
        self.layers.iter().all(|layer| {
            layer.iter().any(|p| {
                matches(p, subject)
                    || (p.starts_with(subject) && p.as_bytes().get(subject.len()) == Some(&b'/'))
            })
        })
    }

    /// Raw storage needs the device named exactly, in every layer (see the module comment).
    pub fn allows_raw(&self, subject: &str) -> bool {
        self.is_restricted()
            && self
                .layers
                .iter()
                .all(|layer| layer.iter().any(|p| p == subject))
    }

    /// `Ok` or the policy error for `subject`.
    pub fn check(&self, subject: &str) -> Result<(), Error> {
        if self.allows(subject) {
            Ok(())
        } else {
            Err(Error::denied(subject))
        }
    }
}

fn matches(pattern: &str, subject: &str) -> bool {
    if let Some(prefix) = pattern.strip_suffix('*') {
        return subject.starts_with(prefix);
    }
    subject == pattern
        || (subject.starts_with(pattern) && subject.as_bytes().get(pattern.len()) == Some(&b'/'))
}

/// The last bytes of an executable built with `solvrac build --allow-device`: the patterns,
/// their length (u32, little-endian) and this marker. ELF loaders ignore bytes past the last
/// segment, so appending keeps the executable valid, and no code generation is involved.
const TRAILER_MAGIC: &[u8; 8] = b"SVSHALP1";

/// The trailer that embeds `patterns` as the build-time policy layer.
pub fn policy_trailer(patterns: &[String]) -> Vec<u8> {
    let text = patterns.join(",");
    let mut out = text.into_bytes();
    out.extend_from_slice(&(out.len() as u32).to_le_bytes());
    out.extend_from_slice(TRAILER_MAGIC);
    out
}

/// The build-time policy embedded in executable `exe`: `Ok(None)` if it has none, an error if
/// the file cannot be read.
pub fn embedded_policy(exe: &Path) -> std::io::Result<Option<String>> {
    use std::io::{Read, Seek, SeekFrom};
    let mut f = std::fs::File::open(exe)?;
    let end = f.seek(SeekFrom::End(0))?;
    if end < 12 {
        return Ok(None);
    }
    let mut tail = [0u8; 12];
    f.seek(SeekFrom::Start(end - 12))?;
    f.read_exact(&mut tail)?;
    if &tail[4..] != TRAILER_MAGIC {
        return Ok(None);
    }
    let len = u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]) as u64;
    if len > end - 12 || len > 1 << 20 {
        return Ok(None);
    }
    let mut text = vec![0; len as usize];
    f.seek(SeekFrom::Start(end - 12 - len))?;
    f.read_exact(&mut text)?;
    Ok(Some(String::from_utf8_lossy(&text).into_owned()))
}

/// The build-time policy of the running program. The executable is found through
/// `/proc/self/exe`, or, where /proc is not mounted (a minimal init), through the path the
/// kernel passed to exec (`AT_EXECFN`). If neither can be read the program might have a policy
/// that cannot be seen, so this is an error and the HAL refuses to start: failing open would
/// drop the policy.
pub fn own_policy() -> Result<Option<String>, Error> {
    let proc_err = match embedded_policy(Path::new("/proc/self/exe")) {
        Ok(p) => return Ok(p),
        Err(e) => e,
    };
    // SAFETY: getauxval has no preconditions; AT_EXECFN, when present, points at a
    // NUL-terminated string the kernel placed on the initial stack for the process's lifetime.
    let execfn = unsafe { libc::getauxval(libc::AT_EXECFN) } as *const std::os::raw::c_char;
    if !execfn.is_null() {
        // SAFETY: see above.
        let path = unsafe { std::ffi::CStr::from_ptr(execfn) };
        use std::os::unix::ffi::OsStrExt;
        let path = Path::new(std::ffi::OsStr::from_bytes(path.to_bytes()));
        if let Ok(p) = embedded_policy(path) {
            return Ok(p);
        }
    }
    Err(Error::os(
        "hal",
        proc_err,
        "cannot read this executable to find its device policy (/proc/self/exe)",
    ))
}

/// Where audit lines go: nowhere, standard error (`-`) or a file opened for appending.
pub struct Audit {
    sink: Option<Box<dyn Write>>,
}

impl Audit {
    pub fn off() -> Audit {
        Audit { sink: None }
    }

    /// `-` is standard error; anything else a file path, created if missing and appended to.
    pub fn to(target: &str) -> Result<Audit, Error> {
        let sink: Box<dyn Write> = if target == "-" {
            Box::new(std::io::stderr())
        } else {
            Box::new(
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(target)
                    .map_err(|e| Error::os("audit log", e, target))?,
            )
        };
        Ok(Audit { sink: Some(sink) })
    }

    pub fn is_on(&self) -> bool {
        self.sink.is_some()
    }

    /// Writes one line `{"time", "device", "operation", "result"}`; the result is `ok`,
    /// `denied` or `error: MESSAGE`. A failing audit sink is not the program's failure: the
    /// line is lost, the operation's outcome stands.
    pub fn record<T>(&mut self, device: &str, operation: &str, outcome: &Result<T, Error>) {
        let sink = match self.sink.as_mut() {
            Some(s) => s,
            None => return,
        };
        let result = match outcome {
            Ok(_) => "ok".to_string(),
            Err(e) if e.is_denial() => "denied".to_string(),
            Err(e) => format!("error: {e}"),
        };
        let line = format!(
            "{{\"time\":{},\"device\":{},\"operation\":{},\"result\":{}}}\n",
            quote(&rfc3339(SystemTime::now())),
            quote(device),
            quote(operation),
            quote(&result)
        );
        let _ = sink.write_all(line.as_bytes()).and_then(|()| sink.flush());
    }
}

/// UTC time as `2026-12-07T04:30:00.123Z`.
pub fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60,
        d.subsec_millis()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn no_layer_allows_everything_but_raw_storage() {
        let p = Policy::default();
        assert!(p.allows("gpiochip0/3"));
        assert!(!p.allows_raw("block/sda"));
    }

    #[test]
    fn patterns_match_exactly_by_prefix_or_star() {
        let mut p = Policy::default();
        p.narrow("gpiochip0/17, i2c-1 spidev*");
        assert!(p.allows("gpiochip0/17"));
        assert!(!p.allows("gpiochip0/1"));
        assert!(!p.allows("gpiochip0/170"));
        assert!(p.allows("i2c-1/0x48"));
        assert!(!p.allows("i2c-10/0x48"));
        assert!(p.allows("spidev1.0"));
        assert!(p.allows_within("gpiochip0"));
        assert!(!p.allows_within("gpiochip1"));
        assert!(!p.allows_within("gpiochip"));
        assert_eq!(
            p.check("gpiochip1/2").unwrap_err().to_string(),
            "permission denied by device policy: gpiochip1/2"
        );
    }

    #[test]
    fn layers_narrow_and_never_widen() {
        let mut p = Policy::default();
        p.narrow("gpiochip0");
        p.narrow("gpiochip0/4,i2c-1");
        assert!(p.allows("gpiochip0/4"));
        assert!(!p.allows("gpiochip0/5"));
        assert!(!p.allows("i2c-1/0x48"));
        let mut empty = Policy::default();
        empty.narrow("");
        assert!(!empty.allows("gpiochip0/4"));
    }

    #[test]
    fn raw_storage_needs_the_exact_name_in_every_layer() {
        let mut p = Policy::default();
        p.narrow("block/sdb,*");
        assert!(p.allows_raw("block/sdb"));
        assert!(!p.allows_raw("block/sda"));
        p.narrow("*");
        assert!(!p.allows_raw("block/sdb"));
    }

    #[test]
    fn executables_carry_their_policy_in_a_trailer() {
        let dir = crate::testutil::TempTree::new();
        let exe = dir.path().join("app");
        let mut bytes = b"\x7fELF not really".to_vec();
        std::fs::write(&exe, &bytes).unwrap();
        assert_eq!(embedded_policy(&exe).unwrap(), None);
        bytes.extend(policy_trailer(&["gpiochip0/4".into(), "i2c-1".into()]));
        std::fs::write(&exe, &bytes).unwrap();
        assert_eq!(
            embedded_policy(&exe).unwrap().as_deref(),
            Some("gpiochip0/4,i2c-1")
        );
        assert!(embedded_policy(&dir.path().join("none")).is_err());
        // The test binary itself has no trailer.
        assert_eq!(own_policy().unwrap(), None);
    }

    #[test]
    fn times_are_utc_rfc3339() {
        let t = UNIX_EPOCH + Duration::from_millis(1_796_617_800_123);
        assert_eq!(rfc3339(t), "2026-12-07T04:30:00.123Z");
        assert_eq!(rfc3339(UNIX_EPOCH), "1970-01-01T00:00:00.000Z");
        let leap = UNIX_EPOCH + Duration::from_secs(951_782_400); // 2000-02-29
        assert_eq!(rfc3339(leap), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn audit_lines_are_json() {
        let dir = crate::testutil::TempTree::new();
        let path = dir.path().join("audit.log");
        let mut a = Audit::to(path.to_str().unwrap()).unwrap();
        a.record("gpiochip0/4", "gpio_request", &Ok::<(), Error>(()));
        a.record::<()>(
            "gpiochip0/5",
            "gpio_request",
            &Err(Error::denied("gpiochip0/5")),
        );
        a.record::<()>(
            "i2c-1/0x48",
            "i2c_read",
            &Err(Error::invalid("i2c_read: \"x\"")),
        );
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3);
        for (line, want) in lines.iter().zip([
            r#""device":"gpiochip0/4","operation":"gpio_request","result":"ok"}"#,
            r#""device":"gpiochip0/5","operation":"gpio_request","result":"denied"}"#,
            r#""device":"i2c-1/0x48","operation":"i2c_read","result":"error: i2c_read: \"x\""}"#,
        ]) {
            assert!(line.starts_with("{\"time\":\"20"), "{line}");
            assert!(line.ends_with(want), "{line}");
            assert!(crate::json::parse(line).is_ok());
        }
    }
}
