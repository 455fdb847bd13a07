//! The `hal` module's internal builtins (`__hal_*`, stdlib/hal.svs, docs/HAL.md): the program's
//! side of the hardware abstraction layer (the `solvra_hal` crate).
//!
//! One `Hal` per thread, made at the first call from the environment (`SOLVRA_HAL_SIM`,
//! `SOLVRA_HAL_ALLOW`, `SOLVRA_HAL_AUDIT`, the root overrides) and the build-time policy that
//! `solvrac build --allow-device` appended to the executable. Opened devices are handles of
//! kinds `gpio lines`, `i2c device`, `spi device` and `dma buffer`.
//!
//! Waiting is done on the event loop: `gpio_event` is an I/O task on the line request's
//! descriptor (the kernel's, or the simulator's socket), so other tasks run until an edge
//! comes. A DMA transfer is a task too: the buffers are lent to it when it is started and
//! given back when it has run, and in between the program cannot read or write them.
//! HAL errors become runtime errors with the HAL's message (`permission denied by device
//! policy: gpiochip0/6`, `i2c_read: No such device or address (os error 6): i2c-1/0x49`).

use crate::array;
use crate::builtins::table::{self, BuiltinId};
use crate::builtins::{self, builtin_fns, string_array, text, type_error};
use crate::error::{RtError, RtResult};
use crate::handle::{self, Resource};
use crate::object;
use crate::scheduler;
use crate::string;
use crate::value::{Tag, Value};
use solvra_hal as hal;
use std::any::Any;
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::os::unix::io::RawFd;
use std::rc::Rc;

builtin_fns! {
    pub(crate) fn implementation;
    "__hal_devices" => devices = solvra_builtin___hal_devices,
    "__hal_rescan" => rescan = solvra_builtin___hal_rescan,
    "__hal_simulated" => simulated = solvra_builtin___hal_simulated,
    "__hal_gpio_chip" => gpio_chip = solvra_builtin___hal_gpio_chip,
    "__hal_gpio_line_info" => gpio_line_info = solvra_builtin___hal_gpio_line_info,
    "__hal_gpio_request" => gpio_request = solvra_builtin___hal_gpio_request,
    "__hal_gpio_get" => gpio_get = solvra_builtin___hal_gpio_get,
    "__hal_gpio_set" => gpio_set = solvra_builtin___hal_gpio_set,
    "__hal_gpio_event" => gpio_event = solvra_builtin___hal_gpio_event,
    "__hal_i2c_open" => i2c_open = solvra_builtin___hal_i2c_open,
    "__hal_i2c_read" => i2c_read = solvra_builtin___hal_i2c_read,
    "__hal_i2c_write" => i2c_write = solvra_builtin___hal_i2c_write,
    "__hal_i2c_transfer" => i2c_transfer = solvra_builtin___hal_i2c_transfer,
    "__hal_i2c_read_byte" => i2c_read_byte = solvra_builtin___hal_i2c_read_byte,
    "__hal_i2c_write_byte" => i2c_write_byte = solvra_builtin___hal_i2c_write_byte,
    "__hal_i2c_read_word" => i2c_read_word = solvra_builtin___hal_i2c_read_word,
    "__hal_i2c_write_word" => i2c_write_word = solvra_builtin___hal_i2c_write_word,
    "__hal_spi_open" => spi_open = solvra_builtin___hal_spi_open,
    "__hal_spi_transfer" => spi_transfer = solvra_builtin___hal_spi_transfer,
    "__hal_spi_transfer_dma" => spi_transfer_dma = solvra_builtin___hal_spi_transfer_dma,
    "__hal_iio_read" => iio_read = solvra_builtin___hal_iio_read,
    "__hal_led_set" => led_set = solvra_builtin___hal_led_set,
    "__hal_led_get" => led_get = solvra_builtin___hal_led_get,
    "__hal_pwm_set" => pwm_set = solvra_builtin___hal_pwm_set,
    "__hal_pcm_play" => pcm_play = solvra_builtin___hal_pcm_play,
    "__hal_pcm_capture" => pcm_capture = solvra_builtin___hal_pcm_capture,
    "__hal_storage_read" => storage_read = solvra_builtin___hal_storage_read,
    "__hal_storage_write" => storage_write = solvra_builtin___hal_storage_write,
    "__hal_dma_alloc" => dma_alloc = solvra_builtin___hal_dma_alloc,
    "__hal_dma_read" => dma_read = solvra_builtin___hal_dma_read,
    "__hal_dma_write" => dma_write = solvra_builtin___hal_dma_write,
    "__hal_dma_info" => dma_info = solvra_builtin___hal_dma_info,
    "__hal_close" => close = solvra_builtin___hal_close,
    "__hal_complete" => complete = solvra_builtin___hal_complete,
}

thread_local! {
    static HAL: RefCell<Option<hal::Hal>> = const { RefCell::new(None) };
}

fn hal_error(e: hal::Error) -> RtError {
    RtError::new(e.message())
}

/// Runs `f` with this thread's `Hal`, making it first if needed.
fn with_hal<T>(f: impl FnOnce(&mut hal::Hal) -> hal::Result<T>) -> RtResult<T> {
    HAL.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let made = hal::own_policy()
                .and_then(|built| hal::Config::from_env(built.as_deref()))
                .and_then(hal::Hal::new);
            *slot = Some(made.map_err(hal_error)?);
        }
        f(slot.as_mut().expect("made above")).map_err(hal_error)
    })
}

// --- arguments and results ------------------------------------------------------------------

/// An int argument within `range`.
fn int_in(name: &str, what: &str, v: Value, range: std::ops::RangeInclusive<i64>) -> RtResult<i64> {
    if v.tag == Tag::Int && range.contains(&v.as_int()) {
        return Ok(v.as_int());
    }
    Err(RtError::new(if v.tag == Tag::Int {
        format!(
            "{name}: {what} must be {} to {}, got {}",
            range.start(),
            range.end(),
            v.as_int()
        )
    } else {
        format!("{name}: expects {what} (an int), got {}", v.type_name())
    }))
}

fn u32_arg(name: &str, what: &str, v: Value) -> RtResult<u32> {
    int_in(name, what, v, 0..=u32::MAX as i64).map(|n| n as u32)
}

fn byte(name: &str, what: &str, v: Value) -> RtResult<u8> {
    int_in(name, what, v, 0..=255).map(|n| n as u8)
}

/// An array of ints 0–255.
fn bytes_arg(name: &str, v: Value) -> RtResult<Vec<u8>> {
    if v.tag != Tag::Array {
        return Err(type_error(name, "an array of bytes", v));
    }
    array::obj(v)
        .to_vec()
        .into_iter()
        .map(|b| byte(name, "every byte", b))
        .collect()
}

fn bytes_value(bytes: &[u8]) -> RtResult<Value> {
    array::from_values(bytes.iter().map(|&b| Value::int(b as i64)).collect())
}

fn str_value(s: &str) -> RtResult<Value> {
    string::new(s)
}

/// Sets `key` of object `o` to a new string (allocated after `o`, which the caller keeps).
fn set_str(o: Value, key: &str, s: &str) -> RtResult<()> {
    let v = str_value(s)?;
    object::obj(o).set(key, v);
    Ok(())
}

/// Field `key` of an options object (`null` when absent, or when there are no options).
fn option(options: Value, key: &str) -> Value {
    if options.tag == Tag::Object {
        object::obj(options).get(key)
    } else {
        Value::NULL
    }
}

fn options_arg(name: &str, args: &[Value], i: usize) -> RtResult<Value> {
    match builtins::optional(args, i) {
        None => Ok(Value::NULL),
        Some(v) if v.tag == Tag::Object => Ok(v),
        Some(v) => Err(type_error(name, "an options object", v)),
    }
}

/// A string option parsed by `parse`, or `default` when absent.
fn choice<T>(
    name: &str,
    options: Value,
    key: &str,
    default: T,
    parse: impl Fn(&str) -> Option<T>,
    allowed: &str,
) -> RtResult<T> {
    let v = option(options, key);
    if v.is_null() {
        return Ok(default);
    }
    if v.tag == Tag::Str {
        if let Some(t) = parse(string::as_str(v)) {
            return Ok(t);
        }
    }
    Err(RtError::new(format!(
        "{name}: option {key} must be one of {allowed}, got {}",
        crate::display::display(v)
    )))
}

fn bool_option(name: &str, options: Value, key: &str) -> RtResult<bool> {
    match option(options, key) {
        v if v.is_null() => Ok(false),
        v if v.tag == Tag::Bool => Ok(v.as_bool()),
        v => Err(type_error(name, &format!("a bool for option {key}"), v)),
    }
}

/// A logical line value: 0/1 or false/true.
fn level(name: &str, v: Value) -> RtResult<bool> {
    match v.tag {
        Tag::Bool => Ok(v.as_bool()),
        Tag::Int if (0..=1).contains(&v.as_int()) => Ok(v.as_int() == 1),
        _ => Err(RtError::new(format!(
            "{name}: a line value is 0, 1, false or true, got {}",
            crate::display::display(v)
        ))),
    }
}

// --- handles --------------------------------------------------------------------------------

struct GpioLines(Rc<hal::LineRequest>);

impl Resource for GpioLines {
    fn kind(&self) -> &'static str {
        "gpio lines"
    }
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
    fn waited_fd(&self) -> Option<RawFd> {
        self.0.event_fd()
    }
}

struct I2c(hal::I2cDevice);

impl Resource for I2c {
    fn kind(&self) -> &'static str {
        "i2c device"
    }
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
}

struct Spi(Rc<hal::SpiDevice>);

impl Resource for Spi {
    fn kind(&self) -> &'static str {
        "spi device"
    }
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
}

struct Dma(hal::DmaBuffer);

impl Resource for Dma {
    fn kind(&self) -> &'static str {
        "dma buffer"
    }
    fn as_any(&mut self) -> &mut dyn Any {
        self
    }
}

fn lines<'a>(name: &str, v: Value) -> RtResult<&'a mut GpioLines> {
    handle::resource::<GpioLines>(name, "gpio lines", v)
}

fn i2c<'a>(name: &str, v: Value) -> RtResult<&'a mut hal::I2cDevice> {
    handle::resource::<I2c>(name, "an i2c device", v).map(|d| &mut d.0)
}

fn spi(name: &str, v: Value) -> RtResult<Rc<hal::SpiDevice>> {
    handle::resource::<Spi>(name, "an spi device", v).map(|d| d.0.clone())
}

fn dma(name: &str, v: Value) -> RtResult<hal::DmaBuffer> {
    handle::resource::<Dma>(name, "a dma buffer", v).map(|d| d.0.clone())
}

/// `close(h)`: releases lines, closes a device, frees a DMA buffer (once no transfer holds it).
fn close(args: &[Value]) -> RtResult<Value> {
    let h = args[0];
    if h.tag != Tag::Handle {
        return Err(type_error("close", "a hal handle", h));
    }
    if handle::obj(h).resource.is_none() {
        return Err(RtError::new(format!(
            "close: <handle {}> is already closed",
            handle::id(h)
        )));
    }
    let ours = match handle::obj(h).resource.as_mut() {
        Some(r) => {
            let any = r.as_any();
            any.is::<GpioLines>() || any.is::<I2c>() || any.is::<Spi>() || any.is::<Dma>()
        }
        None => false,
    };
    if !ours {
        return Err(RtError::new(format!(
            "close: expects a hal handle, got <handle {}> ({})",
            handle::id(h),
            handle::obj(h).resource.as_ref().map_or("?", |r| r.kind())
        )));
    }
    handle::close(h);
    Ok(Value::NULL)
}

// --- registry -------------------------------------------------------------------------------

fn attr_value(a: &hal::Attr) -> RtResult<Value> {
    Ok(match a {
        hal::Attr::Int(n) => Value::int(*n),
        hal::Attr::Float(f) => Value::float(*f),
        hal::Attr::Bool(b) => Value::bool(*b),
        hal::Attr::Str(s) => str_value(s)?,
        hal::Attr::List(items) => string_array(items.clone())?,
    })
}

/// `devices(kind = null)`: the devices of the last scan as objects `{kind, name, path, …}`.
fn devices(args: &[Value]) -> RtResult<Value> {
    let kind = match builtins::optional(args, 0) {
        None => None,
        Some(v) => {
            let k = text("devices", v)?;
            Some(hal::Kind::parse(k).ok_or_else(|| {
                let all: Vec<&str> = hal::Kind::ALL.iter().map(|k| k.name()).collect();
                RtError::new(format!(
                    "devices: unknown kind '{k}' (kinds: {})",
                    all.join(", ")
                ))
            })?)
        }
    };
    let found: Vec<hal::Device> = with_hal(|h| {
        Ok(h.devices()
            .iter()
            .filter(|d| kind.map_or(true, |k| d.kind == k))
            .cloned()
            .collect())
    })?;
    let out = array::from_values(Vec::new())?;
    for d in found {
        let o = object::new_empty()?;
        array::push_in_place(out, o);
        set_str(o, "kind", d.kind.name())?;
        set_str(o, "name", &d.name)?;
        set_str(o, "path", &d.path)?;
        for (k, a) in &d.attrs {
            let v = attr_value(a)?;
            object::obj(o).set(k, v);
        }
    }
    Ok(out)
}

fn rescan(_: &[Value]) -> RtResult<Value> {
    with_hal(|h| {
        h.rescan();
        Ok(())
    })?;
    Ok(Value::NULL)
}

fn simulated(_: &[Value]) -> RtResult<Value> {
    with_hal(|h| Ok(h.is_simulated())).map(Value::bool)
}

// --- GPIO -----------------------------------------------------------------------------------

fn gpio_chip(args: &[Value]) -> RtResult<Value> {
    let chip = text("gpio_chip", args[0])?;
    let info = with_hal(|h| h.gpio_chip_info(chip))?;
    let o = object::new_empty()?;
    set_str(o, "name", &info.name)?;
    set_str(o, "label", &info.label)?;
    object::obj(o).set("lines", Value::int(info.lines as i64));
    Ok(o)
}

fn gpio_line_info(args: &[Value]) -> RtResult<Value> {
    let chip = text("gpio_line_info", args[0])?;
    let line = u32_arg("gpio_line_info", "a line", args[1])?;
    let i = with_hal(|h| h.gpio_line_info(chip, line))?;
    let o = object::new_empty()?;
    object::obj(o).set("line", Value::int(i.offset as i64));
    set_str(o, "name", &i.name)?;
    set_str(o, "consumer", &i.consumer)?;
    object::obj(o).set("used", Value::bool(i.used));
    set_str(o, "direction", i.direction.name())?;
    object::obj(o).set("active_low", Value::bool(i.active_low));
    set_str(o, "bias", i.bias.name())?;
    set_str(o, "drive", i.drive.name())?;
    set_str(o, "edge", i.edge.name())?;
    object::obj(o).set("debounce_us", Value::int(i.debounce_us as i64));
    Ok(o)
}

/// `gpio_request(chip, lines, options)`: `lines` is one line number or an array of them.
fn gpio_request(args: &[Value]) -> RtResult<Value> {
    const NAME: &str = "gpio_request";
    let chip = text(NAME, args[0])?;
    let offsets: Vec<u32> = match args[1].tag {
        Tag::Int => vec![u32_arg(NAME, "a line", args[1])?],
        Tag::Array => array::obj(args[1])
            .to_vec()
            .into_iter()
            .map(|v| u32_arg(NAME, "a line", v))
            .collect::<RtResult<_>>()?,
        _ => return Err(type_error(NAME, "a line or an array of lines", args[1])),
    };
    let o = options_arg(NAME, args, 2)?;
    let direction = choice(
        NAME,
        o,
        "direction",
        hal::Direction::Input,
        hal::Direction::parse,
        "\"input\", \"output\"",
    )?;
    let mut config = hal::LineConfig::new(offsets, direction);
    config.bias = choice(
        NAME,
        o,
        "bias",
        hal::Bias::AsIs,
        hal::Bias::parse,
        "\"as-is\", \"pull-up\", \"pull-down\", \"disabled\"",
    )?;
    config.drive = choice(
        NAME,
        o,
        "drive",
        hal::Drive::PushPull,
        hal::Drive::parse,
        "\"push-pull\", \"open-drain\", \"open-source\"",
    )?;
    config.edge = choice(
        NAME,
        o,
        "edge",
        hal::Edge::None,
        hal::Edge::parse,
        "\"none\", \"rising\", \"falling\", \"both\"",
    )?;
    config.active_low = bool_option(NAME, o, "active_low")?;
    let debounce = option(o, "debounce_us");
    if !debounce.is_null() {
        config.debounce_us = u32_arg(NAME, "option debounce_us", debounce)?;
    }
    let consumer = option(o, "consumer");
    if !consumer.is_null() {
        config.consumer = text(NAME, consumer)?.to_string();
    }
    let values = option(o, "values");
    if values.tag == Tag::Array {
        config.values = array::obj(values)
            .to_vec()
            .into_iter()
            .map(|v| level(NAME, v))
            .collect::<RtResult<_>>()?;
    } else if !values.is_null() {
        return Err(type_error(NAME, "an array for option values", values));
    }
    let req = with_hal(|h| h.gpio_request(chip, &config))?;
    handle::new(Box::new(GpioLines(Rc::new(req))))
}

fn gpio_get(args: &[Value]) -> RtResult<Value> {
    let values = lines("gpio_get", args[0])?.0.get().map_err(hal_error)?;
    array::from_values(values.into_iter().map(|v| Value::int(v as i64)).collect())
}

/// `gpio_set(req, values)`: an array with one value per requested line, in request order; an
/// object `{"LINE": value}` for some of them; or one value for a one-line request.
fn gpio_set(args: &[Value]) -> RtResult<Value> {
    const NAME: &str = "gpio_set";
    let req = lines(NAME, args[0])?.0.clone();
    let offsets = req.offsets();
    let v = args[1];
    let pairs: Vec<(u32, bool)> = match v.tag {
        Tag::Array => {
            let items = array::obj(v).to_vec();
            if items.len() != offsets.len() {
                return Err(RtError::new(format!(
                    "{NAME}: {} values for {} lines",
                    items.len(),
                    offsets.len()
                )));
            }
            offsets
                .iter()
                .zip(items)
                .map(|(&o, v)| level(NAME, v).map(|b| (o, b)))
                .collect::<RtResult<_>>()?
        }
        Tag::Object => {
            let fields = object::obj(v);
            let keys: Vec<String> = fields.keys().iter().map(|k| k.to_string()).collect();
            keys.iter()
                .map(|k| {
                    let line = k
                        .parse::<u32>()
                        .map_err(|_| RtError::new(format!("{NAME}: '{k}' is not a line number")))?;
                    level(NAME, fields.get(k)).map(|b| (line, b))
                })
                .collect::<RtResult<_>>()?
        }
        _ if offsets.len() == 1 => vec![(offsets[0], level(NAME, v)?)],
        _ => return Err(type_error(NAME, "an array or object of values", v)),
    };
    req.set(&pairs).map_err(hal_error)?;
    Ok(Value::NULL)
}

/// `gpio_event(req)` → task → `{line, edge, timestamp_ns, seqno, line_seqno}`.
fn gpio_event(args: &[Value]) -> RtResult<Value> {
    let req = lines("gpio_event", args[0])?.0.clone();
    let fd = match req.event_fd() {
        Some(fd) => fd,
        // Let the HAL say why (the request has no edge detection).
        None => return req.read_event().map_err(hal_error).map(|_| Value::NULL),
    };
    scheduler::io_task(
        fd,
        scheduler::Interest::Read,
        Box::new(move || match req.read_event() {
            Ok(None) => scheduler::IoStep::Again,
            Ok(Some(e)) => scheduler::IoStep::Done(event_value(&e)),
            Err(e) => scheduler::IoStep::Done(Err(hal_error(e))),
        }),
    )
}

fn event_value(e: &hal::EdgeEvent) -> RtResult<Value> {
    let o = object::new_empty()?;
    object::obj(o).set("line", Value::int(e.line as i64));
    set_str(o, "edge", if e.rising { "rising" } else { "falling" })?;
    object::obj(o).set("timestamp_ns", Value::int(e.timestamp_ns as i64));
    object::obj(o).set("seqno", Value::int(e.seqno as i64));
    object::obj(o).set("line_seqno", Value::int(e.line_seqno as i64));
    Ok(o)
}

// --- I2C and SPI ----------------------------------------------------------------------------

fn i2c_open(args: &[Value]) -> RtResult<Value> {
    let bus = u32_arg("i2c_open", "a bus number", args[0])?;
    let addr = int_in("i2c_open", "an address", args[1], 0..=0x3FF)? as u16;
    let dev = with_hal(|h| h.i2c_open(bus, addr))?;
    handle::new(Box::new(I2c(dev)))
}

fn count(name: &str, v: Value) -> RtResult<usize> {
    int_in(name, "a byte count", v, 0..=1 << 20).map(|n| n as usize)
}

fn i2c_read(args: &[Value]) -> RtResult<Value> {
    let n = count("i2c_read", args[1])?;
    let bytes = i2c("i2c_read", args[0])?.read(n).map_err(hal_error)?;
    bytes_value(&bytes)
}

fn i2c_write(args: &[Value]) -> RtResult<Value> {
    let data = bytes_arg("i2c_write", args[1])?;
    i2c("i2c_write", args[0])?.write(&data).map_err(hal_error)?;
    Ok(Value::NULL)
}

fn i2c_transfer(args: &[Value]) -> RtResult<Value> {
    let data = bytes_arg("i2c_transfer", args[1])?;
    let n = count("i2c_transfer", args[2])?;
    let bytes = i2c("i2c_transfer", args[0])?
        .transfer(&data, n)
        .map_err(hal_error)?;
    bytes_value(&bytes)
}

fn i2c_read_byte(args: &[Value]) -> RtResult<Value> {
    let reg = byte("i2c_read_byte", "a register", args[1])?;
    let v = i2c("i2c_read_byte", args[0])?
        .read_byte_data(reg)
        .map_err(hal_error)?;
    Ok(Value::int(v as i64))
}

fn i2c_write_byte(args: &[Value]) -> RtResult<Value> {
    let reg = byte("i2c_write_byte", "a register", args[1])?;
    let v = byte("i2c_write_byte", "a value", args[2])?;
    i2c("i2c_write_byte", args[0])?
        .write_byte_data(reg, v)
        .map_err(hal_error)?;
    Ok(Value::NULL)
}

fn i2c_read_word(args: &[Value]) -> RtResult<Value> {
    let reg = byte("i2c_read_word", "a register", args[1])?;
    let v = i2c("i2c_read_word", args[0])?
        .read_word_data(reg)
        .map_err(hal_error)?;
    Ok(Value::int(v as i64))
}

fn i2c_write_word(args: &[Value]) -> RtResult<Value> {
    let reg = byte("i2c_write_word", "a register", args[1])?;
    let v = int_in("i2c_write_word", "a value", args[2], 0..=0xFFFF)? as u16;
    i2c("i2c_write_word", args[0])?
        .write_word_data(reg, v)
        .map_err(hal_error)?;
    Ok(Value::NULL)
}

fn spi_open(args: &[Value]) -> RtResult<Value> {
    const NAME: &str = "spi_open";
    let bus = u32_arg(NAME, "a bus number", args[0])?;
    let cs = u32_arg(NAME, "a chip select", args[1])?;
    let o = options_arg(NAME, args, 2)?;
    let mut config = hal::SpiConfig::default();
    let get = |key: &str, range| -> RtResult<Option<i64>> {
        let v = option(o, key);
        if v.is_null() {
            Ok(None)
        } else {
            int_in(NAME, &format!("option {key}"), v, range).map(Some)
        }
    };
    if let Some(m) = get("mode", 0..=255)? {
        config.mode = m as u8;
    }
    if let Some(s) = get("speed_hz", 0..=u32::MAX as i64)? {
        config.speed_hz = s as u32;
    }
    if let Some(b) = get("bits_per_word", 0..=255)? {
        config.bits_per_word = b as u8;
    }
    let dev = with_hal(|h| h.spi_open(bus, cs, config))?;
    handle::new(Box::new(Spi(Rc::new(dev))))
}

fn spi_transfer(args: &[Value]) -> RtResult<Value> {
    let data = bytes_arg("spi_transfer", args[1])?;
    let rx = spi("spi_transfer", args[0])?
        .transfer(&data)
        .map_err(hal_error)?;
    bytes_value(&rx)
}

// --- deferred transfers ---------------------------------------------------------------------

type Pending = Box<dyn FnOnce() -> RtResult<Value>>;

thread_local! {
    static COMPLETE: BuiltinId = table::lookup("__hal_complete").expect("__hal_complete is in the table");
    static PENDING: RefCell<HashMap<i64, Pending>> = RefCell::new(HashMap::new());
    static NEXT: Cell<i64> = const { Cell::new(1) };
}

/// A task that runs `work` when the scheduler gets to it (a queued call of `__hal_complete`).
fn deferred(work: Pending) -> RtResult<Value> {
    let id = NEXT.with(|n| {
        let id = n.get();
        n.set(id + 1);
        id
    });
    PENDING.with(|p| p.borrow_mut().insert(id, work));
    let complete_id = COMPLETE.with(|c| *c);
    // Programs never name `__hal_complete`; it is linked in (and registered) through here.
    builtins::register(complete_id, complete);
    let f = builtins::value_of(complete_id)?;
    scheduler::spawn(f, vec![Value::int(id)])
}

/// `__hal_complete(id)`: runs deferred work `id` (see `deferred`).
fn complete(args: &[Value]) -> RtResult<Value> {
    let work = PENDING.with(|p| p.borrow_mut().remove(&args[0].as_int()));
    match work {
        Some(work) => work(),
        None => Err(RtError::new("hal: no such transfer")),
    }
}

/// `spi_transfer_dma(spi, tx, rx)` → task → null: sends all of `tx`, receiving into `rx`. Both
/// buffers belong to the transfer from this call until the task has run.
fn spi_transfer_dma(args: &[Value]) -> RtResult<Value> {
    const NAME: &str = "spi_transfer";
    let dev = spi(NAME, args[0])?;
    let tx = dma(NAME, args[1])?;
    let rx = dma(NAME, args[2])?;
    if tx.address() == rx.address() {
        return Err(RtError::new(format!(
            "{NAME}: send and receive buffers must be different buffers"
        )));
    }
    let tx_loan = tx.lend(NAME).map_err(hal_error)?;
    let rx_loan = rx.lend(NAME).map_err(hal_error)?;
    deferred(Box::new(move || {
        let outcome = dev.transfer_buffers(&tx, &rx);
        drop((tx_loan, rx_loan));
        outcome.map(|()| Value::NULL).map_err(hal_error)
    }))
}

// --- sysfs devices and storage ----------------------------------------------------------------

fn iio_read(args: &[Value]) -> RtResult<Value> {
    let device = text("iio_read", args[0])?;
    let channel = text("iio_read", args[1])?;
    with_hal(|h| h.iio_read(device, channel)).map(Value::float)
}

fn led_set(args: &[Value]) -> RtResult<Value> {
    let name = text("led_set", args[0])?;
    let b = match args[1].tag {
        Tag::Bool => args[1].as_bool() as u32,
        _ => u32_arg("led_set", "a brightness", args[1])?,
    };
    with_hal(|h| h.led_set(name, b))?;
    Ok(Value::NULL)
}

fn led_get(args: &[Value]) -> RtResult<Value> {
    let name = text("led_get", args[0])?;
    with_hal(|h| h.led_get(name)).map(|b| Value::int(b as i64))
}

fn pwm_set(args: &[Value]) -> RtResult<Value> {
    const NAME: &str = "pwm_set";
    let chip = u32_arg(NAME, "a chip number", args[0])?;
    let channel = u32_arg(NAME, "a channel", args[1])?;
    let period = int_in(NAME, "a period in ns", args[2], 0..=i64::MAX)? as u64;
    let duty = int_in(NAME, "a duty cycle in ns", args[3], 0..=i64::MAX)? as u64;
    let enabled = match builtins::optional(args, 4) {
        None => true,
        Some(v) if v.tag == Tag::Bool => v.as_bool(),
        Some(v) => return Err(type_error(NAME, "a bool for enabled", v)),
    };
    let setting = hal::Pwm {
        period_ns: period,
        duty_ns: duty,
        enabled,
    };
    with_hal(|h| h.pwm_set(chip, channel, setting))?;
    Ok(Value::NULL)
}

/// `pcm_play(card, samples)` → `{frames, total}`: interleaved 16-bit samples (simulator only).
fn pcm_play(args: &[Value]) -> RtResult<Value> {
    const NAME: &str = "pcm_play";
    let card = u32_arg(NAME, "a card number", args[0])?;
    if args[1].tag != Tag::Array {
        return Err(type_error(NAME, "an array of samples", args[1]));
    }
    let samples = array::obj(args[1])
        .to_vec()
        .into_iter()
        .map(|v| int_in(NAME, "every sample", v, -32768..=32767).map(|n| n as i16))
        .collect::<RtResult<Vec<i16>>>()?;
    let (frames, total) = with_hal(|h| h.pcm_play(card, &samples))?;
    let o = object::new_empty()?;
    object::obj(o).set("frames", Value::int(frames as i64));
    object::obj(o).set("total", Value::int(total as i64));
    Ok(o)
}

/// `pcm_capture(card, frames)` → interleaved 16-bit samples (simulator only).
fn pcm_capture(args: &[Value]) -> RtResult<Value> {
    let card = u32_arg("pcm_capture", "a card number", args[0])?;
    let frames = int_in("pcm_capture", "a frame count", args[1], 0..=1 << 20)? as usize;
    let samples = with_hal(|h| h.pcm_capture(card, frames))?;
    array::from_values(samples.into_iter().map(|v| Value::int(v as i64)).collect())
}

fn offset_arg(name: &str, v: Value) -> RtResult<u64> {
    int_in(name, "an offset", v, 0..=i64::MAX).map(|n| n as u64)
}

fn storage_read(args: &[Value]) -> RtResult<Value> {
    let name = text("storage_read", args[0])?;
    let offset = offset_arg("storage_read", args[1])?;
    let n = int_in("storage_read", "a byte count", args[2], 0..=16 << 20)? as usize;
    let bytes = with_hal(|h| h.storage_read(name, offset, n))?;
    bytes_value(&bytes)
}

fn storage_write(args: &[Value]) -> RtResult<Value> {
    let name = text("storage_write", args[0])?;
    let offset = offset_arg("storage_write", args[1])?;
    let data = bytes_arg("storage_write", args[2])?;
    with_hal(|h| h.storage_write(name, offset, &data))?;
    Ok(Value::NULL)
}

// --- DMA buffers ------------------------------------------------------------------------------

fn dma_alloc(args: &[Value]) -> RtResult<Value> {
    let len = int_in("dma_alloc", "a length", args[0], 0..=i64::MAX)? as usize;
    let align = match builtins::optional(args, 1) {
        None => 64,
        Some(v) => int_in("dma_alloc", "an alignment", v, 1..=1 << 20)? as usize,
    };
    let buf = with_hal(|h| h.dma_alloc(len, align))?;
    handle::new(Box::new(Dma(buf)))
}

fn dma_read(args: &[Value]) -> RtResult<Value> {
    let buf = dma("dma_read", args[0])?;
    let offset = int_in("dma_read", "an offset", args[1], 0..=i64::MAX)? as usize;
    let n = int_in("dma_read", "a byte count", args[2], 0..=i64::MAX)? as usize;
    bytes_value(&buf.read(offset, n).map_err(hal_error)?)
}

fn dma_write(args: &[Value]) -> RtResult<Value> {
    let buf = dma("dma_write", args[0])?;
    let offset = int_in("dma_write", "an offset", args[1], 0..=i64::MAX)? as usize;
    let data = bytes_arg("dma_write", args[2])?;
    buf.write(offset, &data).map_err(hal_error)?;
    Ok(Value::NULL)
}

/// `dma_info(buf)`: `{len, align, source, owner}` (`owner` is absent while the program owns it).
fn dma_info(args: &[Value]) -> RtResult<Value> {
    let buf = dma("dma_info", args[0])?;
    let o = object::new_empty()?;
    object::obj(o).set("len", Value::int(buf.len() as i64));
    object::obj(o).set("align", Value::int(buf.align() as i64));
    set_str(o, "source", buf.source())?;
    if let Some(owner) = buf.owner() {
        set_str(o, "owner", owner)?;
    }
    Ok(o)
}
