//! The SolvraScript hardware abstraction layer: a device registry, drivers over Linux's userspace
//! interfaces, DMA buffers, the device policy and its audit log, and a simulator behind the same
//! API (docs/HAL.md).
//!
//! `Hal` is the entry point. It discovers devices under two configurable roots (`/dev` and
//! `/sys`, so tests use prepared trees), checks every open against the `Policy`, writes an
//! `Audit` line per operation when asked to, and hands out device objects (`LineRequest`,
//! `I2cDevice`, `SpiDevice`, …) whose methods talk to the kernel — ioctls on character devices,
//! files in sysfs — or, when `SOLVRA_HAL_SIM` names a device file, to the simulator. The runtime
//! (runtime-lib/src/syscalls/hal.rs) turns these into the `hal` module's builtins.
//!
//! This crate builds with rustc 1.63 and depends only on `libc`.

mod dma;
mod gpio;
mod i2c;
pub mod json;
mod policy;
mod registry;
mod sim;
mod spi;
mod storage;
mod sysfs;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod testutil;
pub mod uapi;

pub use dma::DmaBuffer;
pub use gpio::{
    Bias, ChipInfo, Direction, Drive, Edge, EdgeEvent, LineConfig, LineInfo, LineRequest,
};
pub use i2c::I2cDevice;
pub use policy::{embedded_policy, own_policy, policy_trailer, rfc3339, Audit, Policy};
pub use registry::{Attr, Device, Kind};
pub use spi::{SpiConfig, SpiDevice};
pub use sysfs::Pwm;

use sim::Sim;
use std::cell::RefCell;
use std::fmt;
use std::io;
use std::os::raw::{c_int, c_ulong};
use std::os::unix::io::RawFd;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// The backends this build has: Linux's userspace interfaces and the simulator.
pub const BACKENDS: &[&str] = &["linux", "sim"];

/// A HAL failure, as the message a program sees. Denials read `permission denied by device
/// policy: SUBJECT`; failed system calls `OPERATION: OS ERROR: SUBJECT`, as the runtime's
/// system calls do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    message: String,
    denial: bool,
}

impl Error {
    pub fn denied(subject: &str) -> Error {
        Error {
            message: format!("permission denied by device policy: {subject}"),
            denial: true,
        }
    }

    pub fn os(op: &str, err: io::Error, subject: &str) -> Error {
        Error::invalid(format!("{op}: {err}: {subject}"))
    }

    /// Any other failure; `message` is complete (it names the operation).
    pub fn invalid(message: impl Into<String>) -> Error {
        Error {
            message: message.into(),
            denial: false,
        }
    }

    pub fn is_denial(&self) -> bool {
        self.denial
    }

    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

pub type Result<T> = std::result::Result<T, Error>;

/// How a `Hal` is set up: where devices are looked for, whether the simulator stands in for
/// them, the policy and the audit log.
pub struct Config {
    pub dev_root: PathBuf,
    pub sys_root: PathBuf,
    /// A simulator device file (docs/HAL.md, "Simulator").
    pub sim: Option<PathBuf>,
    pub policy: Policy,
    pub audit: Audit,
}

impl Config {
    /// The real machine: `/dev`, `/sys`, no policy, no audit.
    pub fn system() -> Config {
        Config {
            dev_root: PathBuf::from("/dev"),
            sys_root: PathBuf::from("/sys"),
            sim: None,
            policy: Policy::default(),
            audit: Audit::off(),
        }
    }

    /// The configuration a program runs with: `build_policy` (what `solvrac build
    /// --allow-device` embedded) narrowed by the environment — `SOLVRA_HAL_ALLOW` (patterns),
    /// `SOLVRA_HAL_AUDIT` (a file, or `-` for stderr), `SOLVRA_HAL_SIM` (a device file),
    /// `SOLVRA_HAL_DEV_ROOT` and `SOLVRA_HAL_SYS_ROOT` (prepared trees).
    pub fn from_env(build_policy: Option<&str>) -> Result<Config> {
        let var = |name: &str| std::env::var_os(name).map(|v| v.to_string_lossy().into_owned());
        let mut config = Config::system();
        if let Some(root) = var("SOLVRA_HAL_DEV_ROOT") {
            config.dev_root = PathBuf::from(root);
        }
        if let Some(root) = var("SOLVRA_HAL_SYS_ROOT") {
            config.sys_root = PathBuf::from(root);
        }
        config.sim = var("SOLVRA_HAL_SIM")
            .filter(|s| !s.is_empty())
            .map(PathBuf::from);
        if let Some(p) = build_policy {
            config.policy.narrow(p);
        }
        if let Some(p) = var("SOLVRA_HAL_ALLOW") {
            config.policy.narrow(&p);
        }
        if let Some(target) = var("SOLVRA_HAL_AUDIT").filter(|s| !s.is_empty()) {
            config.audit = Audit::to(&target)?;
        }
        Ok(config)
    }
}

/// The audit log shared by the `Hal` and the device objects it hands out, with the subject
/// each object logs under.
#[derive(Clone)]
pub(crate) struct Log {
    audit: Rc<RefCell<Audit>>,
    subject: String,
}

impl Log {
    /// Records `outcome` of `op` and passes it on.
    pub(crate) fn note<T>(&self, op: &str, outcome: Result<T>) -> Result<T> {
        self.audit.borrow_mut().record(&self.subject, op, &outcome);
        outcome
    }

    pub(crate) fn subject(&self) -> &str {
        &self.subject
    }
}

/// The hardware abstraction layer of one program.
pub struct Hal {
    dev_root: PathBuf,
    sys_root: PathBuf,
    policy: Policy,
    audit: Rc<RefCell<Audit>>,
    sim: Option<Sim>,
    devices: Vec<Device>,
}

impl Hal {
    /// Loads the simulator file if there is one and discovers the devices.
    pub fn new(config: Config) -> Result<Hal> {
        let sim = match &config.sim {
            Some(path) => Some(Sim::load(path)?),
            None => None,
        };
        let mut hal = Hal {
            dev_root: config.dev_root,
            sys_root: config.sys_root,
            policy: config.policy,
            audit: Rc::new(RefCell::new(config.audit)),
            sim,
            devices: Vec::new(),
        };
        hal.rescan();
        Ok(hal)
    }

    pub fn is_simulated(&self) -> bool {
        self.sim.is_some()
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    /// The devices found by the last scan, in kind order, then by name.
    pub fn devices(&self) -> &[Device] {
        &self.devices
    }

    /// Looks for devices again (hot-plugged USB devices, newly loaded drivers).
    pub fn rescan(&mut self) {
        self.devices = match &self.sim {
            Some(sim) => sim.devices(),
            None => registry::discover(&self.dev_root, &self.sys_root),
        };
    }

    fn log(&self, subject: String) -> Log {
        Log {
            audit: self.audit.clone(),
            subject,
        }
    }

    /// Checks `subject` against the policy, runs `open` if allowed, and audits the outcome.
    fn guarded<T>(
        &self,
        subject: String,
        op: &str,
        open: impl FnOnce(Log) -> Result<T>,
    ) -> Result<T> {
        let log = self.log(subject);
        let outcome = self
            .policy
            .check(log.subject())
            .and_then(|()| open(log.clone()));
        log.note(op, outcome)
    }

    fn dev_path(&self, name: &str) -> PathBuf {
        self.dev_root.join(name)
    }

    // --- GPIO -----------------------------------------------------------------------------

    /// Chip and line information is read-only: allowed to a program that may use any line of
    /// the chip.
    fn metadata_allowed(&self, chip: &str) -> Result<()> {
        if self.policy.allows_within(chip) {
            Ok(())
        } else {
            Err(Error::denied(chip))
        }
    }

    /// Name, label and line count of `chip` (`gpiochip0`).
    pub fn gpio_chip_info(&self, chip: &str) -> Result<ChipInfo> {
        let log = self.log(chip.to_string());
        let outcome = self.metadata_allowed(chip).and_then(|()| match &self.sim {
            Some(sim) => sim.chip_info(chip),
            None => gpio::chip_info(&self.dev_path(chip), chip),
        });
        log.note("gpio_chip_info", outcome)
    }

    pub fn gpio_line_info(&self, chip: &str, line: u32) -> Result<LineInfo> {
        let log = self.log(format!("{chip}/{line}"));
        let outcome = self.metadata_allowed(chip).and_then(|()| match &self.sim {
            Some(sim) => sim.line_info(chip, line),
            None => gpio::line_info(&self.dev_path(chip), chip, line),
        });
        log.note("gpio_line_info", outcome)
    }

    /// Requests `config.offsets` of `chip`; every line must be allowed.
    pub fn gpio_request(&self, chip: &str, config: &LineConfig) -> Result<LineRequest> {
        let subject = match config.offsets.as_slice() {
            [one] => format!("{chip}/{one}"),
            many => format!(
                "{chip}/{}",
                many.iter()
                    .map(u32::to_string)
                    .collect::<Vec<_>>()
                    .join(",")
            ),
        };
        let log = self.log(subject);
        let outcome = config
            .offsets
            .iter()
            .try_for_each(|line| self.policy.check(&format!("{chip}/{line}")))
            .and_then(|()| config.validate())
            .and_then(|()| match &self.sim {
                Some(sim) => sim.request_lines(chip, config, log.clone()),
                None => gpio::request_lines(&self.dev_path(chip), chip, config, log.clone()),
            });
        log.note("gpio_request", outcome)
    }

    // --- I2C and SPI --------------------------------------------------------------------------

    /// The device at `address` on bus `bus` (`/dev/i2c-BUS`).
    pub fn i2c_open(&self, bus: u32, address: u16) -> Result<I2cDevice> {
        let subject = format!("i2c-{bus}/0x{address:02x}");
        self.guarded(subject, "i2c_open", |log| {
            if address > 0x7F {
                return Err(Error::invalid(format!(
                    "i2c_open: address 0x{address:x} is not a 7-bit address"
                )));
            }
            match &self.sim {
                Some(sim) => sim.i2c_open(bus, address, log),
                None => I2cDevice::open(&self.dev_path(&format!("i2c-{bus}")), address, log),
            }
        })
    }

    /// `/dev/spidevBUS.CS`, configured.
    pub fn spi_open(&self, bus: u32, cs: u32, config: SpiConfig) -> Result<SpiDevice> {
        let name = format!("spidev{bus}.{cs}");
        self.guarded(name.clone(), "spi_open", |log| match &self.sim {
            Some(sim) => sim.spi_open(bus, cs, config, log),
            None => SpiDevice::open(&self.dev_path(&name), config, log),
        })
    }

    // --- sysfs devices ------------------------------------------------------------------------

    /// A channel's value in its unit: `(raw + offset) * scale` (the kernel's IIO ABI).
    pub fn iio_read(&self, device: &str, channel: &str) -> Result<f64> {
        self.guarded(format!("{device}/{channel}"), "iio_read", |_| {
            match &self.sim {
                Some(sim) => sim.iio_read(device, channel),
                None => sysfs::iio_read(&self.sys_root, device, channel),
            }
        })
    }

    pub fn led_set(&self, name: &str, brightness: u32) -> Result<()> {
        self.guarded(format!("leds/{name}"), "led_set", |_| match &self.sim {
            Some(sim) => sim.led_set(name, brightness),
            None => sysfs::led_set(&self.sys_root, name, brightness),
        })
    }

    pub fn led_get(&self, name: &str) -> Result<u32> {
        self.guarded(format!("leds/{name}"), "led_get", |_| match &self.sim {
            Some(sim) => sim.led_get(name),
            None => sysfs::led_get(&self.sys_root, name),
        })
    }

    /// Sets period and duty cycle (nanoseconds) of PWM `channel` of `chip` and enables or
    /// disables it, exporting the channel first if needed.
    pub fn pwm_set(&self, chip: u32, channel: u32, setting: sysfs::Pwm) -> Result<()> {
        self.guarded(format!("pwmchip{chip}/{channel}"), "pwm_set", |_| {
            setting.validate()?;
            match &self.sim {
                Some(sim) => sim.pwm_set(chip, channel, setting),
                None => sysfs::pwm_set(&self.sys_root, chip, channel, setting),
            }
        })
    }

    // --- audio ----------------------------------------------------------------------------------

    /// Plays interleaved 16-bit samples on `card`: (frames played, frames played in all).
    /// Simulator only: ALSA's PCM interface is not implemented for real cards.
    pub fn pcm_play(&self, card: u32, samples: &[i16]) -> Result<(usize, usize)> {
        self.guarded(format!("sound/card{card}"), "pcm_play", |log| {
            match &self.sim {
                Some(sim) => sim.pcm_play(card, samples),
                None => Err(pcm_unsupported("pcm_play", log.subject())),
            }
        })
    }

    /// Captures `frames` frames of interleaved 16-bit samples from `card`. Simulator only.
    pub fn pcm_capture(&self, card: u32, frames: usize) -> Result<Vec<i16>> {
        self.guarded(format!("sound/card{card}"), "pcm_capture", |log| {
            if frames > 1 << 20 {
                return Err(Error::invalid(format!(
                    "pcm_capture: at most 1048576 frames at once, not {frames}"
                )));
            }
            match &self.sim {
                Some(sim) => sim.pcm_capture(card, frames),
                None => Err(pcm_unsupported("pcm_capture", log.subject())),
            }
        })
    }

    // --- storage ------------------------------------------------------------------------------

    /// Reads `len` bytes at `offset` of block device `name`; needs the device named exactly in
    /// the policy (see `Policy::allows_raw`).
    pub fn storage_read(&self, name: &str, offset: u64, len: usize) -> Result<Vec<u8>> {
        self.raw_storage(name, "storage_read", |path| {
            storage::read(path, offset, len)
        })
    }

    pub fn storage_write(&self, name: &str, offset: u64, data: &[u8]) -> Result<()> {
        self.raw_storage(name, "storage_write", |path| {
            storage::write(path, offset, data)
        })
    }

    fn raw_storage<T>(
        &self,
        name: &str,
        op: &str,
        f: impl FnOnce(&Path) -> io::Result<T>,
    ) -> Result<T> {
        let log = self.log(format!("block/{name}"));
        let outcome = if !self.policy.allows_raw(log.subject()) {
            Err(Error::denied(log.subject()))
        } else if name.contains('/') || name.starts_with('.') {
            Err(Error::invalid(format!(
                "{op}: '{name}' is not a block device name"
            )))
        } else {
            f(&self.dev_path(name)).map_err(|e| Error::os(op, e, log.subject()))
        };
        log.note(op, outcome)
    }

    // --- DMA ------------------------------------------------------------------------------

    /// A DMA buffer of `len` bytes aligned to `align` (a power of two): from
    /// `DEV_ROOT/dma_heap/system` when it exists, else page-locked ordinary memory.
    pub fn dma_alloc(&self, len: usize, align: usize) -> Result<DmaBuffer> {
        let heap = if self.sim.is_some() {
            None
        } else {
            Some(self.dev_path("dma_heap/system"))
        };
        let log = self.log("dma".to_string());
        log.note("dma_alloc", DmaBuffer::alloc(len, align, heap.as_deref()))
    }
}

fn pcm_unsupported(op: &str, subject: &str) -> Error {
    Error::invalid(format!(
        "{op}: PCM audio is only simulated (SOLVRA_HAL_SIM); ALSA's PCM interface is not implemented: {subject}"
    ))
}

/// An owned file descriptor, closed when dropped.
#[derive(Debug)]
pub struct Fd(RawFd);

impl Fd {
    pub fn raw(&self) -> RawFd {
        self.0
    }

    pub(crate) fn open(path: &Path, flags: c_int) -> io::Result<Fd> {
        use std::os::unix::ffi::OsStrExt;
        let c = std::ffi::CString::new(path.as_os_str().as_bytes())
            .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
        // SAFETY: `c` is a NUL-terminated path.
        let fd = unsafe { libc::open(c.as_ptr(), flags | libc::O_CLOEXEC) };
        if fd < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(Fd(fd))
        }
    }

    /// `ioctl(fd, request, arg)`; `arg` points at the structure `request` encodes.
    ///
    /// # Safety
    /// `arg` must be valid for what the kernel reads and writes for `request`.
    pub(crate) unsafe fn ioctl<T>(&self, request: u64, arg: *mut T) -> io::Result<c_int> {
        // The request parameter is `c_ulong` on glibc and `c_int` on musl; `as _` fits both.
        let r = libc::ioctl(self.0, request as _, arg);
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(r)
        }
    }

    /// `ioctl(fd, request, value)` for requests that take an integer argument (`I2C_SLAVE`).
    pub(crate) fn ioctl_value(&self, request: u64, value: c_ulong) -> io::Result<()> {
        // SAFETY: the kernel reads no memory for integer-argument requests.
        let r = unsafe { libc::ioctl(self.0, request as _, value) };
        if r < 0 {
            Err(io::Error::last_os_error())
        } else {
            Ok(())
        }
    }

    pub(crate) fn set_nonblocking(&self) -> io::Result<()> {
        // SAFETY: plain fcntl calls on a descriptor we own.
        unsafe {
            let flags = libc::fcntl(self.0, libc::F_GETFL);
            if flags < 0 || libc::fcntl(self.0, libc::F_SETFL, flags | libc::O_NONBLOCK) < 0 {
                return Err(io::Error::last_os_error());
            }
        }
        Ok(())
    }

    /// One `read` into `buf`; `Ok(None)` when it would block.
    pub(crate) fn read(&self, buf: &mut [u8]) -> io::Result<Option<usize>> {
        loop {
            // SAFETY: `buf` is valid for `buf.len()` bytes.
            let n = unsafe { libc::read(self.0, buf.as_mut_ptr().cast(), buf.len()) };
            if n >= 0 {
                return Ok(Some(n as usize));
            }
            let e = io::Error::last_os_error();
            match e.kind() {
                io::ErrorKind::Interrupted => continue,
                io::ErrorKind::WouldBlock => return Ok(None),
                _ => return Err(e),
            }
        }
    }
}

impl Drop for Fd {
    fn drop(&mut self) {
        // SAFETY: we own the descriptor.
        unsafe {
            libc::close(self.0);
        }
    }
}
