//! The simulator: devices described by a JSON file (`SOLVRA_HAL_SIM=devices.json`, format in
//! docs/HAL.md) behind the same API as the Linux drivers — GPIO chips whose lines keep their
//! levels and deliver scripted edge events, I2C devices with register maps, SPI loopbacks, IIO
//! sensors that read a sequence of values, LEDs and PWM channels.
//!
//! Failures mirror the kernel's: an address with no device is `ENXIO`, a line in use `EBUSY`, a
//! line past the end `EINVAL`, so a program's error handling is exercised as on a board.
//! Scripted edge events are written, at their times, by a thread into a socket whose other end
//! is the request's event descriptor, in the kernel's `gpio_v2_line_event` format: programs wait
//! for them in epoll exactly as for a real chip.

use crate::gpio::{EdgeEvent, Lines, SimLines};
use crate::i2c::SimI2c;
use crate::json::{self, Json};
use crate::registry::{Attr, Device, Kind};
use crate::spi::{SpiConfig, SpiDevice};
use crate::sysfs::{check_brightness, Pwm};
use crate::uapi::{GpioV2LineEvent, GPIO_V2_LINE_FLAG_USED};
use crate::{ChipInfo, Error, Fd, I2cDevice, LineConfig, LineInfo, LineRequest, Log, Result};
use std::cell::RefCell;
use std::io;
use std::path::Path;
use std::rc::Rc;
use std::time::{Duration, Instant};

struct ScriptedEdge {
    line: u32,
    rising: bool,
    after_ms: u64,
}

struct Chip {
    name: String,
    label: String,
    line_names: Vec<String>,
    /// Physical levels.
    levels: Vec<bool>,
    /// uAPI flags of requested lines (0 when free) and their consumers.
    flags: Vec<u64>,
    consumers: Vec<String>,
    events: Vec<ScriptedEdge>,
}

struct I2cDev {
    bus: u32,
    address: u16,
    registers: [u8; 256],
    pointer: u8,
}

struct Channel {
    name: String,
    raw: Vec<f64>,
    next: usize,
    scale: f64,
    offset: f64,
}

struct Sensor {
    name: String,
    label: String,
    channels: Vec<Channel>,
}

struct Led {
    name: String,
    brightness: u32,
    max: u32,
}

#[derive(Default)]
struct State {
    chips: Vec<Chip>,
    i2c_buses: Vec<u32>,
    i2c: Vec<I2cDev>,
    spi: Vec<(u32, u32)>,
    sensors: Vec<Sensor>,
    leds: Vec<Led>,
    pwm: Vec<(u32, Vec<Option<Pwm>>)>,
    sound: Vec<Card>,
}

/// A sound card's PCM streams: what was played is kept, capture repeats a scripted signal.
struct Card {
    card: u32,
    id: String,
    rate: u32,
    channels: u32,
    played: usize,
    capture: Vec<i16>,
    next: usize,
}

pub(crate) struct Sim {
    state: Rc<RefCell<State>>,
}

fn os(op: &str, errno: i32, subject: &str) -> Error {
    Error::os(op, io::Error::from_raw_os_error(errno), subject)
}

/// A field that must be a non-negative integer.
fn uint(v: &Json, key: &str, what: &str) -> std::result::Result<u64, String> {
    v.get(key)
        .and_then(Json::as_int)
        .filter(|n| *n >= 0)
        .map(|n| n as u64)
        .ok_or_else(|| format!("{what}: \"{key}\" must be a non-negative integer"))
}

fn text(v: &Json, key: &str, default: &str) -> String {
    v.get(key)
        .and_then(Json::as_str)
        .unwrap_or(default)
        .to_string()
}

/// `{"LINE": value}` objects keyed by line number.
fn by_line<'a>(
    v: Option<&'a Json>,
    lines: u64,
    what: &str,
) -> std::result::Result<Vec<(usize, &'a Json)>, String> {
    let mut out = Vec::new();
    for (k, val) in v.map(Json::fields).unwrap_or(&[]) {
        match json::parse_int(k) {
            Some(n) if n >= 0 && (n as u64) < lines => out.push((n as usize, val)),
            _ => return Err(format!("{what}: no line {k}")),
        }
    }
    Ok(out)
}

fn parse_chip(c: &Json, i: usize) -> std::result::Result<Chip, String> {
    let what = format!("gpio[{i}]");
    let lines = uint(c, "lines", &what)?;
    if lines == 0 || lines > 512 {
        return Err(format!("{what}: \"lines\" must be 1 to 512"));
    }
    let n = lines as usize;
    let mut chip = Chip {
        name: text(c, "name", &format!("gpiochip{i}")),
        label: text(c, "label", "solvra-sim"),
        line_names: vec![String::new(); n],
        levels: vec![false; n],
        flags: vec![0; n],
        consumers: vec![String::new(); n],
        events: Vec::new(),
    };
    for (line, name) in by_line(c.get("line_names"), lines, &what)? {
        chip.line_names[line] = name.as_str().unwrap_or_default().to_string();
    }
    for (line, level) in by_line(c.get("values"), lines, &what)? {
        chip.levels[line] = level.as_int().map_or(false, |v| v != 0) || *level == Json::Bool(true);
    }
    for (j, e) in c
        .get("events")
        .map(Json::as_array)
        .unwrap_or(&[])
        .iter()
        .enumerate()
    {
        let what = format!("{what}.events[{j}]");
        let line = uint(e, "line", &what)?;
        if line >= lines {
            return Err(format!("{what}: no line {line}"));
        }
        let rising = match e.get("edge").and_then(Json::as_str) {
            Some("rising") => true,
            Some("falling") => false,
            _ => {
                return Err(format!(
                    "{what}: \"edge\" must be \"rising\" or \"falling\""
                ))
            }
        };
        let after_ms = uint(e, "after_ms", &what)?;
        chip.events.push(ScriptedEdge {
            line: line as u32,
            rising,
            after_ms,
        });
    }
    chip.events.sort_by_key(|e| e.after_ms);
    Ok(chip)
}

fn parse(doc: &Json) -> std::result::Result<State, String> {
    let mut s = State::default();
    for (key, _) in doc.fields() {
        if !["gpio", "i2c", "spi", "iio", "leds", "pwm", "sound"].contains(&key.as_str()) {
            return Err(format!("unknown section \"{key}\""));
        }
    }
    let list = |key: &str| doc.get(key).map(Json::as_array).unwrap_or(&[]);
    for (i, c) in list("gpio").iter().enumerate() {
        s.chips.push(parse_chip(c, i)?);
    }
    for (i, b) in list("i2c").iter().enumerate() {
        let what = format!("i2c[{i}]");
        let bus = uint(b, "bus", &what)? as u32;
        s.i2c_buses.push(bus);
        for (j, d) in b
            .get("devices")
            .map(Json::as_array)
            .unwrap_or(&[])
            .iter()
            .enumerate()
        {
            let what = format!("{what}.devices[{j}]");
            let address = uint(d, "address", &what)?;
            if address > 0x7F {
                return Err(format!(
                    "{what}: address {address:#x} is not a 7-bit address"
                ));
            }
            let mut registers = [0u8; 256];
            for (reg, value) in d.get("registers").map(Json::fields).unwrap_or(&[]) {
                let start = json::parse_int(reg)
                    .filter(|r| (0..256).contains(r))
                    .ok_or_else(|| format!("{what}: register {reg} is not 0 to 255"))?;
                let bytes = match value {
                    Json::Arr(items) => items.iter().collect::<Vec<_>>(),
                    one => vec![one],
                };
                for (k, b) in bytes.iter().enumerate() {
                    let byte = b
                        .as_int()
                        .filter(|v| (0..256).contains(v))
                        .ok_or_else(|| format!("{what}: register values are bytes"))?;
                    registers[(start as usize + k) % 256] = byte as u8;
                }
            }
            s.i2c.push(I2cDev {
                bus,
                address: address as u16,
                registers,
                pointer: 0,
            });
        }
    }
    for (i, d) in list("spi").iter().enumerate() {
        let what = format!("spi[{i}]");
        s.spi
            .push((uint(d, "bus", &what)? as u32, uint(d, "cs", &what)? as u32));
    }
    for (i, d) in list("iio").iter().enumerate() {
        let what = format!("iio[{i}]");
        let mut sensor = Sensor {
            name: text(d, "name", &format!("iio:device{i}")),
            label: text(d, "label", "solvra-sim"),
            channels: Vec::new(),
        };
        for c in d.get("channels").map(Json::as_array).unwrap_or(&[]) {
            let raw: Vec<f64> = c
                .get("raw")
                .map(Json::as_array)
                .unwrap_or(&[])
                .iter()
                .filter_map(Json::as_f64)
                .collect();
            if raw.is_empty() {
                return Err(format!(
                    "{what}: every channel needs a \"raw\" list of numbers"
                ));
            }
            sensor.channels.push(Channel {
                name: text(c, "name", "value"),
                raw,
                next: 0,
                scale: c.get("scale").and_then(Json::as_f64).unwrap_or(1.0),
                offset: c.get("offset").and_then(Json::as_f64).unwrap_or(0.0),
            });
        }
        s.sensors.push(sensor);
    }
    for (i, l) in list("leds").iter().enumerate() {
        let what = format!("leds[{i}]");
        s.leds.push(Led {
            name: text(l, "name", &format!("led{i}")),
            brightness: 0,
            max: uint(l, "max_brightness", &what).unwrap_or(1) as u32,
        });
    }
    for (i, p) in list("pwm").iter().enumerate() {
        let what = format!("pwm[{i}]");
        let n = uint(p, "channels", &what)?.min(64) as usize;
        s.pwm.push((uint(p, "chip", &what)? as u32, vec![None; n]));
    }
    for (i, c) in list("sound").iter().enumerate() {
        let what = format!("sound[{i}]");
        let capture = c
            .get("capture")
            .map(Json::as_array)
            .unwrap_or(&[])
            .iter()
            .map(|v| {
                v.as_int()
                    .filter(|n| (-32768..=32767).contains(n))
                    .map(|n| n as i16)
                    .ok_or_else(|| format!("{what}: capture samples are 16-bit integers"))
            })
            .collect::<std::result::Result<Vec<i16>, String>>()?;
        s.sound.push(Card {
            card: uint(c, "card", &what)? as u32,
            id: text(c, "id", "SimAudio"),
            rate: uint(c, "rate", &what).unwrap_or(48_000) as u32,
            channels: uint(c, "channels", &what).unwrap_or(1).clamp(1, 8) as u32,
            played: 0,
            capture,
            next: 0,
        });
    }
    Ok(s)
}

/// One request's view of a chip (the `SimLines` of `gpio.rs`).
struct RequestLines {
    state: Rc<RefCell<State>>,
    chip: usize,
    active_low: bool,
}

impl SimLines for RequestLines {
    fn get(&self, offsets: &[u32]) -> Vec<bool> {
        let s = self.state.borrow();
        offsets
            .iter()
            .map(|&o| s.chips[self.chip].levels[o as usize] ^ self.active_low)
            .collect()
    }

    fn set(&self, values: &[(u32, bool)]) {
        let mut s = self.state.borrow_mut();
        for &(o, v) in values {
            s.chips[self.chip].levels[o as usize] = v ^ self.active_low;
        }
    }

    fn saw(&self, event: &EdgeEvent, source: &Fd) {
        self.state.borrow_mut().chips[self.chip].levels[event.line as usize] =
            event.rising ^ self.active_low;
        let ack = 1u8;
        // SAFETY: sending one byte from a local. A writer that has finished is not waiting for
        // it, so a failure is of no consequence.
        unsafe {
            libc::send(
                source.raw(),
                (&ack as *const u8).cast(),
                1,
                libc::MSG_NOSIGNAL | libc::MSG_DONTWAIT,
            )
        };
    }

    fn release(&self, offsets: &[u32]) {
        let mut s = self.state.borrow_mut();
        let chip = &mut s.chips[self.chip];
        for &o in offsets {
            chip.flags[o as usize] = 0;
            chip.consumers[o as usize].clear();
        }
    }
}

/// An I2C device of the simulator, seen through the shared state.
struct I2cView {
    state: Rc<RefCell<State>>,
    index: usize,
}

impl SimI2c for I2cView {
    fn write(&self, data: &[u8]) -> io::Result<()> {
        let mut s = self.state.borrow_mut();
        let dev = &mut s.i2c[self.index];
        if let Some((&reg, rest)) = data.split_first() {
            dev.pointer = reg;
            for &b in rest {
                let p = dev.pointer;
                dev.registers[p as usize] = b;
                dev.pointer = p.wrapping_add(1);
            }
        }
        Ok(())
    }

    fn read(&self, buf: &mut [u8]) -> io::Result<()> {
        let mut s = self.state.borrow_mut();
        let dev = &mut s.i2c[self.index];
        for b in buf {
            let p = dev.pointer;
            *b = dev.registers[p as usize];
            dev.pointer = p.wrapping_add(1);
        }
        Ok(())
    }
}

/// CLOCK_MONOTONIC now, in nanoseconds: the clock the kernel stamps edge events with.
fn monotonic_ns() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// A socket pair for scripted events: (the request's end, the writer's end).
fn event_pair() -> io::Result<(Fd, Fd)> {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for two descriptors. SEQPACKET keeps each event one record.
    let r = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((Fd(fds[0]), Fd(fds[1])))
}

/// Writes `events` into `writer` from another thread, then keeps the socket open until the
/// request is released (as a chip's request stays open with no more edges). The first edge comes
/// `after_ms` after the request; each later one as long after the program read the one before as
/// the script spaces them. Timing from reads rather than from the request means time the
/// program spends elsewhere (compiling, a loaded machine) does not bunch the edges together:
/// between two edges the program always really waits. The reader acknowledges each event with
/// one byte (`saw`). The writer stops early when the request is released; `MSG_NOSIGNAL` keeps
/// that from raising SIGPIPE.
fn play(writer: Fd, events: Vec<(u32, bool, u64)>) {
    let start_ns = monotonic_ns();
    std::thread::spawn(move || {
        let start = Instant::now();
        let mut from = (start, 0);
        let mut line_seq: Vec<(u32, u32)> = Vec::new();
        for (seqno, (line, rising, after_ms)) in events.into_iter().enumerate() {
            let at = from.0 + Duration::from_millis(after_ms - from.1);
            let now = Instant::now();
            if at > now {
                std::thread::sleep(at - now);
            }
            let n = match line_seq.iter_mut().find(|(l, _)| *l == line) {
                Some((_, n)) => {
                    *n += 1;
                    *n
                }
                None => {
                    line_seq.push((line, 1));
                    1
                }
            };
            // Stamped with the time it was scripted for, as the kernel stamps an edge when it
            // happens rather than when it is read: a late writer thread does not move it.
            let record: GpioV2LineEvent = EdgeEvent {
                line,
                rising,
                timestamp_ns: start_ns + (at - start).as_nanos() as u64,
                seqno: seqno as u32 + 1,
                line_seqno: n,
            }
            .to_kernel();
            // SAFETY: sending the bytes of a plain-data record.
            let sent = unsafe {
                libc::send(
                    writer.raw(),
                    (&record as *const GpioV2LineEvent).cast(),
                    std::mem::size_of::<GpioV2LineEvent>(),
                    libc::MSG_NOSIGNAL,
                )
            };
            if sent < 0 || receive_byte(&writer) <= 0 {
                return;
            }
            from = (Instant::now(), after_ms);
        }
        while receive_byte(&writer) > 0 {}
    });
}

/// Waits for one byte on `fd`: 1 for an acknowledgement, 0 when the other end is closed.
fn receive_byte(fd: &Fd) -> isize {
    let mut byte = 0u8;
    // SAFETY: a one-byte buffer.
    unsafe { libc::recv(fd.raw(), (&mut byte as *mut u8).cast(), 1, 0) }
}

impl Sim {
    pub(crate) fn load(path: &Path) -> Result<Sim> {
        let name = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|e| Error::os("SOLVRA_HAL_SIM", e, &name))?;
        let state = json::parse(&text)
            .and_then(|doc| parse(&doc))
            .map_err(|e| Error::invalid(format!("SOLVRA_HAL_SIM: {name}: {e}")))?;
        Ok(Sim {
            state: Rc::new(RefCell::new(state)),
        })
    }

    pub(crate) fn devices(&self) -> Vec<Device> {
        let s = self.state.borrow();
        let mut out = Vec::new();
        let dev = |kind, name: String, attrs| Device {
            kind,
            path: format!("sim:{name}"),
            name,
            attrs,
        };
        for c in &s.chips {
            out.push(dev(
                Kind::Gpio,
                c.name.clone(),
                vec![
                    ("label", Attr::Str(c.label.clone())),
                    ("lines", Attr::Int(c.levels.len() as i64)),
                ],
            ));
        }
        for &bus in &s.i2c_buses {
            let addrs = s
                .i2c
                .iter()
                .filter(|d| d.bus == bus)
                .map(|d| format!("0x{:02x}", d.address))
                .collect();
            out.push(dev(
                Kind::I2c,
                format!("i2c-{bus}"),
                vec![
                    ("bus", Attr::Int(bus.into())),
                    ("addresses", Attr::List(addrs)),
                ],
            ));
        }
        for &(bus, cs) in &s.spi {
            out.push(dev(
                Kind::Spi,
                format!("spidev{bus}.{cs}"),
                vec![
                    ("bus", Attr::Int(bus.into())),
                    ("cs", Attr::Int(cs.into())),
                    ("modalias", Attr::Str("loopback".into())),
                ],
            ));
        }
        for sensor in &s.sensors {
            let channels = sensor.channels.iter().map(|c| c.name.clone()).collect();
            out.push(dev(
                Kind::Iio,
                sensor.name.clone(),
                vec![
                    ("label", Attr::Str(sensor.label.clone())),
                    ("channels", Attr::List(channels)),
                ],
            ));
        }
        for (chip, channels) in &s.pwm {
            out.push(dev(
                Kind::Pwm,
                format!("pwmchip{chip}"),
                vec![("channels", Attr::Int(channels.len() as i64))],
            ));
        }
        for led in &s.leds {
            out.push(dev(
                Kind::Led,
                led.name.clone(),
                vec![
                    ("brightness", Attr::Int(led.brightness.into())),
                    ("max_brightness", Attr::Int(led.max.into())),
                ],
            ));
        }
        for c in &s.sound {
            out.push(dev(
                Kind::Sound,
                format!("card{}", c.card),
                vec![
                    ("card", Attr::Int(c.card.into())),
                    ("id", Attr::Str(c.id.clone())),
                    ("rate", Attr::Int(c.rate.into())),
                    ("channels", Attr::Int(c.channels.into())),
                ],
            ));
        }
        out
    }

    fn chip(&self, op: &str, chip: &str) -> Result<usize> {
        self.state
            .borrow()
            .chips
            .iter()
            .position(|c| c.name == chip)
            .ok_or_else(|| os(op, libc::ENOENT, chip))
    }

    pub(crate) fn chip_info(&self, chip: &str) -> Result<ChipInfo> {
        let i = self.chip("gpio_chip_info", chip)?;
        let s = self.state.borrow();
        Ok(ChipInfo {
            name: s.chips[i].name.clone(),
            label: s.chips[i].label.clone(),
            lines: s.chips[i].levels.len() as u32,
        })
    }

    pub(crate) fn line_info(&self, chip: &str, line: u32) -> Result<LineInfo> {
        let i = self.chip("gpio_line_info", chip)?;
        let s = self.state.borrow();
        let c = &s.chips[i];
        if line as usize >= c.levels.len() {
            return Err(os(
                "gpio_line_info",
                libc::EINVAL,
                &format!("{chip}/{line}"),
            ));
        }
        let l = line as usize;
        Ok(LineInfo::from_flags(
            line,
            c.line_names[l].clone(),
            c.consumers[l].clone(),
            c.flags[l],
        ))
    }

    pub(crate) fn request_lines(
        &self,
        chip: &str,
        config: &LineConfig,
        log: Log,
    ) -> Result<LineRequest> {
        let i = self.chip("gpio_request", chip)?;
        let events = {
            let mut s = self.state.borrow_mut();
            let c = &mut s.chips[i];
            for &o in &config.offsets {
                let o = o as usize;
                if o >= c.levels.len() {
                    return Err(os("gpio_request", libc::EINVAL, log.subject()));
                }
                if c.flags[o] & GPIO_V2_LINE_FLAG_USED != 0 {
                    return Err(os("gpio_request", libc::EBUSY, log.subject()));
                }
            }
            for (k, &o) in config.offsets.iter().enumerate() {
                c.flags[o as usize] = config.flags() | GPIO_V2_LINE_FLAG_USED;
                c.consumers[o as usize] = config.consumer.clone();
                if config.direction == crate::Direction::Output {
                    let v = config.values.get(k).copied().unwrap_or(false);
                    c.levels[o as usize] = v ^ config.active_low;
                }
            }
            c.events
                .iter()
                .filter(|e| {
                    config.offsets.contains(&e.line)
                        && config.edge.sees(e.rising ^ config.active_low)
                })
                .map(|e| (e.line, e.rising ^ config.active_low, e.after_ms))
                .collect::<Vec<_>>()
        };
        let lines = RequestLines {
            state: self.state.clone(),
            chip: i,
            active_low: config.active_low,
        };
        let events = if config.edge == crate::Edge::None {
            None
        } else {
            let (reader, writer) =
                event_pair().map_err(|e| Error::os("gpio_request", e, log.subject()))?;
            play(writer, events);
            Some(reader)
        };
        LineRequest::new(
            chip,
            config,
            Lines::Sim {
                chip: Rc::new(lines),
                events,
            },
            log,
        )
    }

    pub(crate) fn i2c_open(&self, bus: u32, address: u16, log: Log) -> Result<I2cDevice> {
        let s = self.state.borrow();
        if !s.i2c_buses.contains(&bus) {
            return Err(os("i2c_open", libc::ENOENT, log.subject()));
        }
        // Like i2c-dev, opening an empty address succeeds; the first transfer is not acknowledged.
        let view: Rc<dyn SimI2c> = match s
            .i2c
            .iter()
            .position(|d| d.bus == bus && d.address == address)
        {
            Some(index) => Rc::new(I2cView {
                state: self.state.clone(),
                index,
            }),
            None => Rc::new(Absent),
        };
        Ok(I2cDevice::simulated(address, view, log))
    }

    pub(crate) fn spi_open(
        &self,
        bus: u32,
        cs: u32,
        config: SpiConfig,
        log: Log,
    ) -> Result<SpiDevice> {
        if !self.state.borrow().spi.contains(&(bus, cs)) {
            return Err(os("spi_open", libc::ENOENT, log.subject()));
        }
        SpiDevice::loopback(config, log)
    }

    pub(crate) fn iio_read(&self, device: &str, channel: &str) -> Result<f64> {
        let mut s = self.state.borrow_mut();
        let subject = format!("{device}/{channel}");
        let c = s
            .sensors
            .iter_mut()
            .find(|d| d.name == device)
            .and_then(|d| d.channels.iter_mut().find(|c| c.name == channel))
            .ok_or_else(|| os("iio_read", libc::ENOENT, &subject))?;
        let raw = c.raw[c.next.min(c.raw.len() - 1)];
        c.next += 1;
        Ok((raw + c.offset) * c.scale)
    }

    fn led<T>(&self, op: &str, name: &str, f: impl FnOnce(&mut Led) -> Result<T>) -> Result<T> {
        let mut s = self.state.borrow_mut();
        match s.leds.iter_mut().find(|l| l.name == name) {
            Some(led) => f(led),
            None => Err(os(op, libc::ENOENT, &format!("leds/{name}"))),
        }
    }

    pub(crate) fn led_set(&self, name: &str, brightness: u32) -> Result<()> {
        self.led("led_set", name, |led| {
            check_brightness(name, brightness, led.max)?;
            led.brightness = brightness;
            Ok(())
        })
    }

    pub(crate) fn led_get(&self, name: &str) -> Result<u32> {
        self.led("led_get", name, |led| Ok(led.brightness))
    }

    pub(crate) fn pwm_set(&self, chip: u32, channel: u32, setting: Pwm) -> Result<()> {
        let mut s = self.state.borrow_mut();
        let slot = s
            .pwm
            .iter_mut()
            .find(|(c, _)| *c == chip)
            .and_then(|(_, chans)| chans.get_mut(channel as usize))
            .ok_or_else(|| os("pwm_set", libc::ENOENT, &format!("pwmchip{chip}/{channel}")))?;
        *slot = Some(setting);
        Ok(())
    }
}

impl Sim {
    fn card<T>(&self, op: &str, card: u32, f: impl FnOnce(&mut Card) -> Result<T>) -> Result<T> {
        let mut s = self.state.borrow_mut();
        match s.sound.iter_mut().find(|c| c.card == card) {
            Some(c) => f(c),
            None => Err(os(op, libc::ENOENT, &format!("sound/card{card}"))),
        }
    }

    /// Plays interleaved samples; gives the frames played (all of them) and the total so far.
    pub(crate) fn pcm_play(&self, card: u32, samples: &[i16]) -> Result<(usize, usize)> {
        self.card("pcm_play", card, |c| {
            let channels = c.channels as usize;
            if samples.len() % channels != 0 {
                return Err(Error::invalid(format!(
                    "pcm_play: {} samples are not whole frames of {channels} channels: sound/card{}",
                    samples.len(),
                    c.card
                )));
            }
            c.played += samples.len() / channels;
            Ok((samples.len() / channels, c.played))
        })
    }

    /// Captures `frames` frames: the scripted signal, repeated (silence if there is none).
    pub(crate) fn pcm_capture(&self, card: u32, frames: usize) -> Result<Vec<i16>> {
        self.card("pcm_capture", card, |c| {
            let n = frames * c.channels as usize;
            if c.capture.is_empty() {
                return Ok(vec![0; n]);
            }
            let out = (0..n)
                .map(|k| c.capture[(c.next + k) % c.capture.len()])
                .collect();
            c.next = (c.next + n) % c.capture.len();
            Ok(out)
        })
    }
}

/// An address no simulated device answers: every transfer is not acknowledged.
struct Absent;

impl SimI2c for Absent {
    fn write(&self, _: &[u8]) -> io::Result<()> {
        Err(io::Error::from_raw_os_error(libc::ENXIO))
    }
    fn read(&self, _: &mut [u8]) -> io::Result<()> {
        Err(io::Error::from_raw_os_error(libc::ENXIO))
    }
}
