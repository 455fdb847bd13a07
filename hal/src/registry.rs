//! The device registry: what is attached, found by scanning the device and sysfs roots, with each
//! device's capabilities as attributes (a GPIO chip's label and line count, an IIO sensor's
//! channels, a block device's size, …). A scan is a snapshot; `Hal::rescan` takes a new one.

use crate::gpio;
use crate::sysfs::{entries, iio_channels, read_attr};
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Gpio,
    I2c,
    Spi,
    Iio,
    Pwm,
    Led,
    Usb,
    Sound,
    Block,
}

impl Kind {
    pub const ALL: [Kind; 9] = [
        Kind::Gpio,
        Kind::I2c,
        Kind::Spi,
        Kind::Iio,
        Kind::Pwm,
        Kind::Led,
        Kind::Usb,
        Kind::Sound,
        Kind::Block,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::Gpio => "gpio",
            Kind::I2c => "i2c",
            Kind::Spi => "spi",
            Kind::Iio => "iio",
            Kind::Pwm => "pwm",
            Kind::Led => "led",
            Kind::Usb => "usb",
            Kind::Sound => "sound",
            Kind::Block => "block",
        }
    }

    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.name() == s)
    }
}

#[derive(Clone, Debug, PartialEq)]
pub enum Attr {
    Int(i64),
    Float(f64),
    Str(String),
    Bool(bool),
    List(Vec<String>),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Device {
    pub kind: Kind,
    /// What the other HAL calls take: `gpiochip0`, `i2c-1`, `spidev0.0`, `iio:device0`, …
    pub name: String,
    /// The device node or sysfs directory.
    pub path: String,
    /// Capabilities, in a fixed order per kind (docs/HAL.md lists them).
    pub attrs: Vec<(&'static str, Attr)>,
}

impl Device {
    pub fn attr(&self, key: &str) -> Option<&Attr> {
        self.attrs.iter().find(|(k, _)| *k == key).map(|(_, v)| v)
    }
}

fn int_attr(path: &Path) -> Option<i64> {
    read_attr(path).ok()?.parse().ok()
}

fn push_str(attrs: &mut Vec<(&'static str, Attr)>, key: &'static str, path: &Path) {
    if let Ok(v) = read_attr(path) {
        attrs.push((key, Attr::Str(v)));
    }
}

fn push_int(attrs: &mut Vec<(&'static str, Attr)>, key: &'static str, path: &Path) {
    if let Some(v) = int_attr(path) {
        attrs.push((key, Attr::Int(v)));
    }
}

/// A name's numeric suffix after `prefix` (`i2c-3` → 3).
fn number_after(name: &str, prefix: &str) -> Option<i64> {
    name.strip_prefix(prefix)?.parse().ok()
}

/// Every device under the two roots, in kind order, then by name.
pub(crate) fn discover(dev: &Path, sys: &Path) -> Vec<Device> {
    let dev_names = entries(dev);
    let mut out = Vec::new();
    let node = |name: &str| dev.join(name).to_string_lossy().into_owned();

    for name in dev_names
        .iter()
        .filter(|n| number_after(n, "gpiochip").is_some())
    {
        let mut attrs = Vec::new();
        // A real chip answers CHIPINFO; a node in a prepared tree does not, and is listed bare.
        if let Ok(info) = gpio::chip_info(&dev.join(name), name) {
            attrs.push(("label", Attr::Str(info.label)));
            attrs.push(("lines", Attr::Int(info.lines as i64)));
        }
        out.push(Device {
            kind: Kind::Gpio,
            name: name.clone(),
            path: node(name),
            attrs,
        });
    }
    for name in &dev_names {
        if let Some(bus) = number_after(name, "i2c-") {
            let mut attrs = vec![("bus", Attr::Int(bus))];
            push_str(
                &mut attrs,
                "adapter",
                &sys.join("class/i2c-dev").join(name).join("name"),
            );
            out.push(Device {
                kind: Kind::I2c,
                name: name.clone(),
                path: node(name),
                attrs,
            });
        }
    }
    for name in &dev_names {
        let numbers = name.strip_prefix("spidev").and_then(|r| {
            let (b, c) = r.split_once('.')?;
            Some((b.parse::<i64>().ok()?, c.parse::<i64>().ok()?))
        });
        if let Some((bus, cs)) = numbers {
            let mut attrs = vec![("bus", Attr::Int(bus)), ("cs", Attr::Int(cs))];
            let modalias = sys.join("class/spidev").join(name).join("device/modalias");
            push_str(&mut attrs, "modalias", &modalias);
            out.push(Device {
                kind: Kind::Spi,
                name: name.clone(),
                path: node(name),
                attrs,
            });
        }
    }
    let iio = sys.join("bus/iio/devices");
    for name in entries(&iio)
        .into_iter()
        .filter(|n| n.starts_with("iio:device"))
    {
        let dir = iio.join(&name);
        let mut attrs = Vec::new();
        push_str(&mut attrs, "label", &dir.join("name"));
        attrs.push(("channels", Attr::List(iio_channels(&dir))));
        out.push(Device {
            kind: Kind::Iio,
            name,
            path: dir.to_string_lossy().into_owned(),
            attrs,
        });
    }
    let pwm = sys.join("class/pwm");
    for name in entries(&pwm)
        .into_iter()
        .filter(|n| n.starts_with("pwmchip"))
    {
        let dir = pwm.join(&name);
        let mut attrs = Vec::new();
        push_int(&mut attrs, "channels", &dir.join("npwm"));
        out.push(Device {
            kind: Kind::Pwm,
            name,
            path: dir.to_string_lossy().into_owned(),
            attrs,
        });
    }
    let leds = sys.join("class/leds");
    for name in entries(&leds) {
        let dir = leds.join(&name);
        let mut attrs = Vec::new();
        push_int(&mut attrs, "brightness", &dir.join("brightness"));
        push_int(&mut attrs, "max_brightness", &dir.join("max_brightness"));
        push_str(&mut attrs, "trigger", &dir.join("trigger"));
        out.push(Device {
            kind: Kind::Led,
            name,
            path: dir.to_string_lossy().into_owned(),
            attrs,
        });
    }
    let usb = sys.join("bus/usb/devices");
    for name in entries(&usb) {
        let dir = usb.join(&name);
        // Interfaces (`1-1:1.0`) have no descriptor of their own.
        if name.contains(':') || !dir.join("idVendor").exists() {
            continue;
        }
        let mut attrs = Vec::new();
        push_str(&mut attrs, "vendor_id", &dir.join("idVendor"));
        push_str(&mut attrs, "product_id", &dir.join("idProduct"));
        push_str(&mut attrs, "manufacturer", &dir.join("manufacturer"));
        push_str(&mut attrs, "product", &dir.join("product"));
        push_str(&mut attrs, "serial", &dir.join("serial"));
        push_int(&mut attrs, "busnum", &dir.join("busnum"));
        push_int(&mut attrs, "devnum", &dir.join("devnum"));
        push_str(&mut attrs, "speed", &dir.join("speed"));
        push_str(&mut attrs, "class", &dir.join("bDeviceClass"));
        out.push(Device {
            kind: Kind::Usb,
            name,
            path: dir.to_string_lossy().into_owned(),
            attrs,
        });
    }
    let sound = sys.join("class/sound");
    let snd_nodes = entries(&dev.join("snd"));
    for name in entries(&sound) {
        let card = match number_after(&name, "card") {
            Some(c) => c,
            None => continue,
        };
        let mut attrs = vec![("card", Attr::Int(card))];
        push_str(&mut attrs, "id", &sound.join(&name).join("id"));
        let prefix = format!("pcmC{card}D");
        let pcm = snd_nodes
            .iter()
            .filter(|n| n.starts_with(&prefix))
            .cloned()
            .collect();
        attrs.push(("pcm", Attr::List(pcm)));
        out.push(Device {
            kind: Kind::Sound,
            name,
            path: sound
                .join(format!("card{card}"))
                .to_string_lossy()
                .into_owned(),
            attrs,
        });
    }
    let block = sys.join("class/block");
    for name in entries(&block) {
        let dir = block.join(&name);
        let mut attrs = Vec::new();
        if let Some(sectors) = int_attr(&dir.join("size")) {
            // sysfs counts 512-byte sectors whatever the device's block size.
            attrs.push(("size_bytes", Attr::Int(sectors.saturating_mul(512))));
        }
        if let Some(ro) = int_attr(&dir.join("ro")) {
            attrs.push(("read_only", Attr::Bool(ro != 0)));
        }
        if let Some(r) = int_attr(&dir.join("removable")) {
            attrs.push(("removable", Attr::Bool(r != 0)));
        }
        attrs.push(("partition", Attr::Bool(dir.join("partition").exists())));
        out.push(Device {
            kind: Kind::Block,
            name: name.clone(),
            path: node(&name),
            attrs,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::TempTree;

    /// A tree shaped like a Raspberry Pi's, with one of each kind.
    pub(crate) fn board() -> TempTree {
        let t = TempTree::new();
        t.file("dev/gpiochip0", "");
        t.file("dev/gpiochip10", "");
        t.file("dev/gpiochip2", "");
        t.file("dev/i2c-1", "");
        t.file("sys/class/i2c-dev/i2c-1/name", "bcm2835 (i2c@7e804000)\n");
        t.file("dev/spidev0.1", "");
        t.file("sys/class/spidev/spidev0.1/device/modalias", "spi:spidev\n");
        t.file("dev/ttyS0", "");
        t.file("sys/bus/iio/devices/iio:device0/name", "bme280\n");
        t.file("sys/bus/iio/devices/iio:device0/in_temp_input", "21000\n");
        t.file(
            "sys/bus/iio/devices/iio:device0/in_pressure_input",
            "101.3\n",
        );
        t.file("sys/bus/iio/devices/trigger0/name", "t\n");
        t.file("sys/class/pwm/pwmchip0/npwm", "2\n");
        t.file("sys/class/leds/ACT/brightness", "0\n");
        t.file("sys/class/leds/ACT/max_brightness", "255\n");
        t.file("sys/class/leds/ACT/trigger", "none [mmc0] timer\n");
        t.file("sys/bus/usb/devices/1-1/idVendor", "0403\n");
        t.file("sys/bus/usb/devices/1-1/idProduct", "6001\n");
        t.file("sys/bus/usb/devices/1-1/product", "FT232R USB UART\n");
        t.file("sys/bus/usb/devices/1-1/busnum", "1\n");
        t.file("sys/bus/usb/devices/1-1/devnum", "3\n");
        t.file("sys/bus/usb/devices/1-1:1.0/bInterfaceClass", "ff\n");
        t.file("sys/class/sound/card0/id", "Headphones\n");
        t.file("dev/snd/pcmC0D0p", "");
        t.file("dev/snd/controlC0", "");
        t.file("sys/class/block/mmcblk0/size", "62333952\n");
        t.file("sys/class/block/mmcblk0/ro", "0\n");
        t.file("sys/class/block/mmcblk0/removable", "0\n");
        t.file("sys/class/block/mmcblk0p1/size", "524288\n");
        t.file("sys/class/block/mmcblk0p1/partition", "1\n");
        t
    }

    #[test]
    fn discovers_every_kind_in_a_prepared_tree() {
        let t = board();
        let devs = discover(&t.path().join("dev"), &t.path().join("sys"));
        let names: Vec<(String, &str)> = devs
            .iter()
            .map(|d| (d.name.clone(), d.kind.name()))
            .collect();
        let want = [
            ("gpiochip0", "gpio"),
            ("gpiochip2", "gpio"),
            ("gpiochip10", "gpio"),
            ("i2c-1", "i2c"),
            ("spidev0.1", "spi"),
            ("iio:device0", "iio"),
            ("pwmchip0", "pwm"),
            ("ACT", "led"),
            ("1-1", "usb"),
            ("card0", "sound"),
            ("mmcblk0", "block"),
            ("mmcblk0p1", "block"),
        ];
        assert_eq!(names, want.map(|(n, k)| (n.to_string(), k)));
        let get = |name: &str, key: &str| {
            devs.iter()
                .find(|d| d.name == name)
                .unwrap()
                .attr(key)
                .cloned()
        };
        assert_eq!(
            get("i2c-1", "adapter"),
            Some(Attr::Str("bcm2835 (i2c@7e804000)".into()))
        );
        assert_eq!(get("spidev0.1", "cs"), Some(Attr::Int(1)));
        assert_eq!(
            get("iio:device0", "channels"),
            Some(Attr::List(vec!["pressure".into(), "temp".into()]))
        );
        assert_eq!(
            get("iio:device0", "label"),
            Some(Attr::Str("bme280".into()))
        );
        assert_eq!(get("pwmchip0", "channels"), Some(Attr::Int(2)));
        assert_eq!(get("ACT", "max_brightness"), Some(Attr::Int(255)));
        assert_eq!(get("1-1", "vendor_id"), Some(Attr::Str("0403".into())));
        assert_eq!(get("1-1", "devnum"), Some(Attr::Int(3)));
        assert_eq!(
            get("card0", "pcm"),
            Some(Attr::List(vec!["pcmC0D0p".into()]))
        );
        assert_eq!(
            get("mmcblk0", "size_bytes"),
            Some(Attr::Int(62333952 * 512))
        );
        assert_eq!(get("mmcblk0p1", "partition"), Some(Attr::Bool(true)));
        assert_eq!(get("gpiochip0", "lines"), None);
    }

    #[test]
    fn missing_roots_mean_no_devices() {
        assert!(discover(Path::new("/nonexistent/dev"), Path::new("/nonexistent/sys")).is_empty());
    }
}
