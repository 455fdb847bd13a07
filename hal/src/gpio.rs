//! GPIO through the character device's uAPI v2 (`/dev/gpiochipN`, `linux/gpio.h`): chip and line
//! information, line requests with direction, bias, drive, active-low and edge detection, values
//! of many lines read and written in one call, and edge events with the kernel's timestamps.
//!
//! A request's values are *logical*: with `active_low` a line at 0 V reads 1. The kernel applies
//! that for real chips; the simulator applies it itself.

use crate::uapi::*;
use crate::{Error, Fd, Log, Result};
use std::os::unix::io::RawFd;
use std::path::Path;
use std::rc::Rc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Leave the line as it is (only line info reports this for unrequested lines).
    AsIs,
    Input,
    Output,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bias {
    AsIs,
    PullUp,
    PullDown,
    Disabled,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Drive {
    PushPull,
    OpenDrain,
    OpenSource,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edge {
    None,
    Rising,
    Falling,
    Both,
}

impl Direction {
    pub fn name(self) -> &'static str {
        match self {
            Direction::AsIs => "as-is",
            Direction::Input => "input",
            Direction::Output => "output",
        }
    }
    pub fn parse(s: &str) -> Option<Direction> {
        [Direction::AsIs, Direction::Input, Direction::Output]
            .into_iter()
            .find(|d| d.name() == s)
    }
}

impl Bias {
    pub fn name(self) -> &'static str {
        match self {
            Bias::AsIs => "as-is",
            Bias::PullUp => "pull-up",
            Bias::PullDown => "pull-down",
            Bias::Disabled => "disabled",
        }
    }
    pub fn parse(s: &str) -> Option<Bias> {
        [Bias::AsIs, Bias::PullUp, Bias::PullDown, Bias::Disabled]
            .into_iter()
            .find(|b| b.name() == s)
    }
}

impl Drive {
    pub fn name(self) -> &'static str {
        match self {
            Drive::PushPull => "push-pull",
            Drive::OpenDrain => "open-drain",
            Drive::OpenSource => "open-source",
        }
    }
    pub fn parse(s: &str) -> Option<Drive> {
        [Drive::PushPull, Drive::OpenDrain, Drive::OpenSource]
            .into_iter()
            .find(|d| d.name() == s)
    }
}

impl Edge {
    pub fn name(self) -> &'static str {
        match self {
            Edge::None => "none",
            Edge::Rising => "rising",
            Edge::Falling => "falling",
            Edge::Both => "both",
        }
    }
    pub fn parse(s: &str) -> Option<Edge> {
        [Edge::None, Edge::Rising, Edge::Falling, Edge::Both]
            .into_iter()
            .find(|e| e.name() == s)
    }
    pub fn sees(self, rising: bool) -> bool {
        matches!(
            (self, rising),
            (Edge::Both, _) | (Edge::Rising, true) | (Edge::Falling, false)
        )
    }
}

/// What a line request asks for; every line of the request gets the same settings.
#[derive(Clone, Debug)]
pub struct LineConfig {
    pub offsets: Vec<u32>,
    pub direction: Direction,
    pub bias: Bias,
    pub drive: Drive,
    pub active_low: bool,
    pub edge: Edge,
    /// Debounce period for inputs, microseconds (0: none).
    pub debounce_us: u32,
    /// Initial logical values of outputs, one per offset (missing ones are 0).
    pub values: Vec<bool>,
    pub consumer: String,
}

impl LineConfig {
    pub fn new(offsets: Vec<u32>, direction: Direction) -> LineConfig {
        LineConfig {
            offsets,
            direction,
            bias: Bias::AsIs,
            drive: Drive::PushPull,
            active_low: false,
            edge: Edge::None,
            debounce_us: 0,
            values: Vec::new(),
            consumer: "solvra".to_string(),
        }
    }

    /// The combinations the kernel rejects, rejected here with a message that says why.
    pub fn validate(&self) -> Result<()> {
        let bad = |why: &str| Err(Error::invalid(format!("gpio_request: {why}")));
        if self.offsets.is_empty() || self.offsets.len() > GPIO_V2_LINES_MAX {
            return bad(&format!("request 1 to {GPIO_V2_LINES_MAX} lines"));
        }
        for (i, o) in self.offsets.iter().enumerate() {
            if self.offsets[..i].contains(o) {
                return bad(&format!("line {o} is requested twice"));
            }
        }
        if self.direction == Direction::AsIs {
            return bad("direction must be \"input\" or \"output\"");
        }
        if self.edge != Edge::None && self.direction != Direction::Input {
            return bad("edge detection needs direction \"input\"");
        }
        if self.drive != Drive::PushPull && self.direction != Direction::Output {
            return bad("open-drain and open-source need direction \"output\"");
        }
        if self.debounce_us > 0 && self.direction != Direction::Input {
            return bad("debounce needs direction \"input\"");
        }
        if self.values.len() > self.offsets.len() {
            return bad("more initial values than lines");
        }
        Ok(())
    }

    /// The uAPI flags of the request (`GPIO_V2_LINE_FLAG_*`).
    pub fn flags(&self) -> u64 {
        let mut f = match self.direction {
            Direction::Input => GPIO_V2_LINE_FLAG_INPUT,
            Direction::Output => GPIO_V2_LINE_FLAG_OUTPUT,
            Direction::AsIs => 0,
        };
        if self.active_low {
            f |= GPIO_V2_LINE_FLAG_ACTIVE_LOW;
        }
        f |= match self.bias {
            Bias::AsIs => 0,
            Bias::PullUp => GPIO_V2_LINE_FLAG_BIAS_PULL_UP,
            Bias::PullDown => GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN,
            Bias::Disabled => GPIO_V2_LINE_FLAG_BIAS_DISABLED,
        };
        f |= match self.drive {
            Drive::PushPull => 0,
            Drive::OpenDrain => GPIO_V2_LINE_FLAG_OPEN_DRAIN,
            Drive::OpenSource => GPIO_V2_LINE_FLAG_OPEN_SOURCE,
        };
        f | match self.edge {
            Edge::None => 0,
            Edge::Rising => GPIO_V2_LINE_FLAG_EDGE_RISING,
            Edge::Falling => GPIO_V2_LINE_FLAG_EDGE_FALLING,
            Edge::Both => GPIO_V2_LINE_FLAG_EDGE_RISING | GPIO_V2_LINE_FLAG_EDGE_FALLING,
        }
    }

    /// The kernel's request structure for this configuration.
    pub fn to_request(&self) -> GpioV2LineRequest {
        let mut req = GpioV2LineRequest::default();
        req.offsets[..self.offsets.len()].copy_from_slice(&self.offsets);
        set_name(&mut req.consumer, &self.consumer);
        req.num_lines = self.offsets.len() as u32;
        req.config.flags = self.flags();
        let all = mask(self.offsets.len());
        let mut n = 0;
        if self.direction == Direction::Output {
            let bits = self
                .values
                .iter()
                .enumerate()
                .filter(|(_, v)| **v)
                .fold(0u64, |b, (i, _)| b | 1 << i);
            req.config.attrs[n] = GpioV2LineConfigAttribute {
                attr: GpioV2LineAttribute {
                    id: GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES,
                    padding: 0,
                    value: GpioV2AttrValue { values: bits },
                },
                mask: all,
            };
            n += 1;
        }
        if self.debounce_us > 0 {
            req.config.attrs[n] = GpioV2LineConfigAttribute {
                attr: GpioV2LineAttribute {
                    id: GPIO_V2_LINE_ATTR_ID_DEBOUNCE,
                    padding: 0,
                    value: GpioV2AttrValue {
                        debounce_period_us: self.debounce_us,
                    },
                },
                mask: all,
            };
            n += 1;
        }
        req.config.num_attrs = n as u32;
        req
    }
}

/// The low `n` bits set.
fn mask(n: usize) -> u64 {
    if n >= 64 {
        u64::MAX
    } else {
        (1u64 << n) - 1
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChipInfo {
    pub name: String,
    pub label: String,
    pub lines: u32,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LineInfo {
    pub offset: u32,
    pub name: String,
    pub consumer: String,
    pub used: bool,
    pub direction: Direction,
    pub active_low: bool,
    pub bias: Bias,
    pub drive: Drive,
    pub edge: Edge,
    pub debounce_us: u32,
}

impl LineInfo {
    /// Decodes the kernel's flags (shared by the simulator, which keeps the same flags).
    pub fn from_flags(offset: u32, name: String, consumer: String, flags: u64) -> LineInfo {
        let has = |f: u64| flags & f != 0;
        LineInfo {
            offset,
            name,
            consumer,
            used: has(GPIO_V2_LINE_FLAG_USED),
            direction: if has(GPIO_V2_LINE_FLAG_OUTPUT) {
                Direction::Output
            } else if has(GPIO_V2_LINE_FLAG_INPUT) {
                Direction::Input
            } else {
                Direction::AsIs
            },
            active_low: has(GPIO_V2_LINE_FLAG_ACTIVE_LOW),
            bias: if has(GPIO_V2_LINE_FLAG_BIAS_PULL_UP) {
                Bias::PullUp
            } else if has(GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN) {
                Bias::PullDown
            } else if has(GPIO_V2_LINE_FLAG_BIAS_DISABLED) {
                Bias::Disabled
            } else {
                Bias::AsIs
            },
            drive: if has(GPIO_V2_LINE_FLAG_OPEN_DRAIN) {
                Drive::OpenDrain
            } else if has(GPIO_V2_LINE_FLAG_OPEN_SOURCE) {
                Drive::OpenSource
            } else {
                Drive::PushPull
            },
            edge: match (
                has(GPIO_V2_LINE_FLAG_EDGE_RISING),
                has(GPIO_V2_LINE_FLAG_EDGE_FALLING),
            ) {
                (true, true) => Edge::Both,
                (true, false) => Edge::Rising,
                (false, true) => Edge::Falling,
                (false, false) => Edge::None,
            },
            debounce_us: 0,
        }
    }
}

/// One edge on a requested line, as the kernel reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EdgeEvent {
    pub line: u32,
    pub rising: bool,
    /// CLOCK_MONOTONIC nanoseconds, stamped by the kernel (or the simulator) when the edge
    /// happened, not when the program read it.
    pub timestamp_ns: u64,
    /// Sequence number among all lines of the request, and among this line's events.
    pub seqno: u32,
    pub line_seqno: u32,
}

impl EdgeEvent {
    pub fn from_kernel(e: &GpioV2LineEvent) -> EdgeEvent {
        EdgeEvent {
            line: e.offset,
            rising: e.id == GPIO_V2_LINE_EVENT_RISING_EDGE,
            timestamp_ns: e.timestamp_ns,
            seqno: e.seqno,
            line_seqno: e.line_seqno,
        }
    }

    pub fn to_kernel(&self) -> GpioV2LineEvent {
        GpioV2LineEvent {
            timestamp_ns: self.timestamp_ns,
            id: if self.rising {
                GPIO_V2_LINE_EVENT_RISING_EDGE
            } else {
                GPIO_V2_LINE_EVENT_FALLING_EDGE
            },
            offset: self.line,
            seqno: self.seqno,
            line_seqno: self.line_seqno,
            padding: [0; 6],
        }
    }
}

/// The simulator's side of a request (see `sim.rs`).
pub(crate) trait SimLines {
    fn get(&self, offsets: &[u32]) -> Vec<bool>;
    fn set(&self, values: &[(u32, bool)]);
    /// Records that an event was read from `source`: the line now has the level the edge left
    /// it at, and the script's next edge is timed from now.
    fn saw(&self, event: &EdgeEvent, source: &Fd);
    fn release(&self, offsets: &[u32]);
}

pub(crate) enum Lines {
    /// The request's descriptor from `GPIO_V2_GET_LINE_IOCTL`; it also carries the events.
    Linux(Fd),
    Sim {
        chip: Rc<dyn SimLines>,
        /// Where the simulator's scripted events arrive, in the kernel's record format.
        events: Option<Fd>,
    },
}

/// Lines of one chip, requested together.
pub struct LineRequest {
    chip: String,
    offsets: Vec<u32>,
    direction: Direction,
    lines: Lines,
    log: Log,
}

impl LineRequest {
    pub(crate) fn new(
        chip: &str,
        config: &LineConfig,
        lines: Lines,
        log: Log,
    ) -> Result<LineRequest> {
        if let Lines::Linux(fd)
        | Lines::Sim {
            events: Some(fd), ..
        } = &lines
        {
            fd.set_nonblocking()
                .map_err(|e| Error::os("gpio_request", e, log.subject()))?;
        }
        Ok(LineRequest {
            chip: chip.to_string(),
            offsets: config.offsets.clone(),
            direction: config.direction,
            lines,
            log,
        })
    }

    pub fn chip(&self) -> &str {
        &self.chip
    }

    pub fn offsets(&self) -> &[u32] {
        &self.offsets
    }

    /// The logical values of every requested line, in request order.
    pub fn get(&self) -> Result<Vec<bool>> {
        let outcome = match &self.lines {
            Lines::Linux(fd) => {
                let mut v = GpioV2LineValues {
                    bits: 0,
                    mask: mask(self.offsets.len()),
                };
                // SAFETY: `v` is the structure GET_VALUES reads and writes.
                unsafe { fd.ioctl(GPIO_V2_LINE_GET_VALUES_IOCTL, &mut v) }
                    .map(|_| {
                        (0..self.offsets.len())
                            .map(|i| v.bits >> i & 1 == 1)
                            .collect()
                    })
                    .map_err(|e| Error::os("gpio_get", e, self.log.subject()))
            }
            Lines::Sim { chip, .. } => Ok(chip.get(&self.offsets)),
        };
        self.log.note("gpio_get", outcome)
    }

    /// Sets the logical values of some requested lines at once: `(offset, value)` pairs.
    pub fn set(&self, values: &[(u32, bool)]) -> Result<()> {
        let outcome = self.set_values(values);
        self.log.note("gpio_set", outcome)
    }

    fn set_values(&self, values: &[(u32, bool)]) -> Result<()> {
        if self.direction != Direction::Output {
            return Err(Error::invalid(format!(
                "gpio_set: the lines of {} are inputs",
                self.log.subject()
            )));
        }
        let mut v = GpioV2LineValues::default();
        for &(line, value) in values {
            let i = self
                .offsets
                .iter()
                .position(|&o| o == line)
                .ok_or_else(|| {
                    Error::invalid(format!(
                        "gpio_set: line {line} is not part of the request {}",
                        self.log.subject()
                    ))
                })?;
            v.mask |= 1 << i;
            if value {
                v.bits |= 1 << i;
            }
        }
        match &self.lines {
            Lines::Linux(fd) => {
                // SAFETY: `v` is the structure SET_VALUES reads.
                unsafe { fd.ioctl(GPIO_V2_LINE_SET_VALUES_IOCTL, &mut v) }
                    .map(|_| ())
                    .map_err(|e| Error::os("gpio_set", e, self.log.subject()))
            }
            Lines::Sim { chip, .. } => {
                chip.set(values);
                Ok(())
            }
        }
    }

    /// The descriptor that becomes readable when an edge event is waiting (for epoll); `None`
    /// if the request detects no edges.
    pub fn event_fd(&self) -> Option<RawFd> {
        self.event_source().map(Fd::raw)
    }

    fn event_source(&self) -> Option<&Fd> {
        match &self.lines {
            Lines::Linux(fd) => Some(fd),
            Lines::Sim { events, .. } => events.as_ref(),
        }
    }

    /// The next edge event, `Ok(None)` if none is waiting (never blocks).
    pub fn read_event(&self) -> Result<Option<EdgeEvent>> {
        let outcome = self.next_event();
        if let Ok(Some(e)) = &outcome {
            if let Lines::Sim {
                chip,
                events: Some(source),
            } = &self.lines
            {
                chip.saw(e, source);
            }
        }
        match outcome {
            Ok(None) => Ok(None),
            other => self.log.note("gpio_event", other),
        }
    }

    /// Reads one event: a buffer of exactly one record makes the kernel return one, so the
    /// descriptor stays readable while more wait (the event loop relies on that).
    fn next_event(&self) -> Result<Option<EdgeEvent>> {
        let fd = self.event_source().ok_or_else(|| {
            Error::invalid(format!(
                "gpio_event: {} was requested without edge detection",
                self.log.subject()
            ))
        })?;
        const SIZE: usize = std::mem::size_of::<GpioV2LineEvent>();
        let mut buf = [0u8; SIZE];
        match fd.read(&mut buf) {
            Ok(Some(SIZE)) => {}
            Ok(None) => return Ok(None),
            Ok(Some(n)) => {
                return Err(Error::invalid(format!(
                    "gpio_event: read {n} bytes, not an event: {}",
                    self.log.subject()
                )))
            }
            Err(e) => return Err(Error::os("gpio_event", e, self.log.subject())),
        }
        // SAFETY: `buf` holds one kernel event record; any bits are a valid value.
        let raw: GpioV2LineEvent = unsafe { std::ptr::read_unaligned(buf.as_ptr().cast()) };
        Ok(Some(EdgeEvent::from_kernel(&raw)))
    }
}

impl Drop for LineRequest {
    fn drop(&mut self) {
        if let Lines::Sim { chip, .. } = &self.lines {
            chip.release(&self.offsets);
        }
    }
}

fn open_chip(path: &Path, op: &str, subject: &str) -> Result<Fd> {
    Fd::open(path, libc::O_RDWR).map_err(|e| Error::os(op, e, subject))
}

pub(crate) fn chip_info(path: &Path, chip: &str) -> Result<ChipInfo> {
    let fd = open_chip(path, "gpio_chip_info", chip)?;
    let mut info = GpioChipInfo::default();
    // SAFETY: `info` is the structure CHIPINFO writes.
    unsafe { fd.ioctl(GPIO_GET_CHIPINFO_IOCTL, &mut info) }
        .map_err(|e| Error::os("gpio_chip_info", e, chip))?;
    Ok(ChipInfo {
        name: name_text(&info.name),
        label: name_text(&info.label),
        lines: info.lines,
    })
}

pub(crate) fn line_info(path: &Path, chip: &str, line: u32) -> Result<LineInfo> {
    let subject = format!("{chip}/{line}");
    let fd = open_chip(path, "gpio_line_info", &subject)?;
    let mut info = GpioV2LineInfo {
        offset: line,
        ..GpioV2LineInfo::default()
    };
    // SAFETY: `info` is the structure LINEINFO reads (offset) and writes.
    unsafe { fd.ioctl(GPIO_V2_GET_LINEINFO_IOCTL, &mut info) }
        .map_err(|e| Error::os("gpio_line_info", e, &subject))?;
    let mut out = LineInfo::from_flags(
        info.offset,
        name_text(&info.name),
        name_text(&info.consumer),
        info.flags,
    );
    for attr in &info.attrs[..(info.num_attrs as usize).min(GPIO_V2_LINE_NUM_ATTRS_MAX)] {
        if attr.id == GPIO_V2_LINE_ATTR_ID_DEBOUNCE {
            // SAFETY: the kernel filled the debounce member for this attribute id.
            out.debounce_us = unsafe { attr.value.debounce_period_us };
        }
    }
    Ok(out)
}

pub(crate) fn request_lines(
    path: &Path,
    chip: &str,
    config: &LineConfig,
    log: Log,
) -> Result<LineRequest> {
    let fd = open_chip(path, "gpio_request", log.subject())?;
    let mut req = config.to_request();
    // SAFETY: `req` is the structure GET_LINE reads and writes (the kernel sets `fd`).
    unsafe { fd.ioctl(GPIO_V2_GET_LINE_IOCTL, &mut req) }
        .map_err(|e| Error::os("gpio_request", e, log.subject()))?;
    LineRequest::new(chip, config, Lines::Linux(Fd(req.fd)), log)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_encode_flags_values_and_debounce() {
        let mut c = LineConfig::new(vec![3, 5, 7], Direction::Output);
        c.values = vec![true, false, true];
        c.drive = Drive::OpenDrain;
        c.active_low = true;
        c.consumer = "blink".into();
        c.validate().unwrap();
        let req = c.to_request();
        assert_eq!(&req.offsets[..4], &[3, 5, 7, 0]);
        assert_eq!(req.num_lines, 3);
        assert_eq!(name_text(&req.consumer), "blink");
        assert_eq!(
            req.config.flags,
            GPIO_V2_LINE_FLAG_OUTPUT | GPIO_V2_LINE_FLAG_ACTIVE_LOW | GPIO_V2_LINE_FLAG_OPEN_DRAIN
        );
        assert_eq!(req.config.num_attrs, 1);
        let a = req.config.attrs[0];
        assert_eq!(a.attr.id, GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES);
        assert_eq!(unsafe { a.attr.value.values }, 0b101);
        assert_eq!(a.mask, 0b111);

        let mut i = LineConfig::new(vec![4], Direction::Input);
        i.edge = Edge::Both;
        i.bias = Bias::PullUp;
        i.debounce_us = 1000;
        let req = i.to_request();
        assert_eq!(
            req.config.flags,
            GPIO_V2_LINE_FLAG_INPUT
                | GPIO_V2_LINE_FLAG_BIAS_PULL_UP
                | GPIO_V2_LINE_FLAG_EDGE_RISING
                | GPIO_V2_LINE_FLAG_EDGE_FALLING
        );
        assert_eq!(req.config.attrs[0].attr.id, GPIO_V2_LINE_ATTR_ID_DEBOUNCE);
        assert_eq!(
            unsafe { req.config.attrs[0].attr.value.debounce_period_us },
            1000
        );
    }

    #[test]
    fn invalid_requests_say_why() {
        let msg = |c: LineConfig| c.validate().unwrap_err().to_string();
        let mut c = LineConfig::new(vec![1], Direction::Output);
        c.edge = Edge::Rising;
        assert_eq!(
            msg(c),
            "gpio_request: edge detection needs direction \"input\""
        );
        assert_eq!(
            msg(LineConfig::new(vec![1, 1], Direction::Input)),
            "gpio_request: line 1 is requested twice"
        );
        assert_eq!(
            msg(LineConfig::new(vec![], Direction::Input)),
            "gpio_request: request 1 to 64 lines"
        );
        let mut d = LineConfig::new(vec![1], Direction::Input);
        d.drive = Drive::OpenSource;
        assert!(msg(d).contains("open-drain"));
    }

    #[test]
    fn line_info_decodes_flags() {
        let i = LineInfo::from_flags(
            2,
            "BTN".into(),
            "me".into(),
            GPIO_V2_LINE_FLAG_USED
                | GPIO_V2_LINE_FLAG_INPUT
                | GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN
                | GPIO_V2_LINE_FLAG_EDGE_FALLING,
        );
        assert!(i.used);
        assert_eq!(i.direction, Direction::Input);
        assert_eq!(i.bias, Bias::PullDown);
        assert_eq!(i.edge, Edge::Falling);
        assert_eq!(i.drive, Drive::PushPull);
    }

    #[test]
    fn events_round_trip_through_the_kernel_record() {
        let e = EdgeEvent {
            line: 4,
            rising: false,
            timestamp_ns: 123,
            seqno: 2,
            line_seqno: 1,
        };
        assert_eq!(EdgeEvent::from_kernel(&e.to_kernel()), e);
    }

    #[test]
    fn a_file_that_is_not_a_gpio_chip_fails_cleanly() {
        let t = crate::testutil::TempTree::new();
        t.file("dev/gpiochip0", "");
        let err = chip_info(&t.path().join("dev/gpiochip0"), "gpiochip0").unwrap_err();
        // The kernel says ENOTTY; qemu-user, which does not forward ioctls it does not know
        // (the GPIO ones among them), says ENOSYS.
        let text = err.to_string();
        assert!(
            text == "gpio_chip_info: Inappropriate ioctl for device (os error 25): gpiochip0"
                || text == "gpio_chip_info: Function not implemented (os error 38): gpiochip0",
            "{text}"
        );
        let err = line_info(&t.path().join("dev/gpiochip9"), "gpiochip9", 1).unwrap_err();
        assert!(err.to_string().starts_with("gpio_line_info: No such file"));
    }
}
