//! The `Hal` as a program uses it: every driver against the simulator (tests/data/hal/devices.json)
//! and against prepared `/dev` and `/sys` trees, with the policy and the audit log.

use crate::testutil::TempTree;
use crate::*;
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn sim_file() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data/hal/devices.json")
}

fn sim_with(policy: Option<&str>, audit: Option<&str>) -> Hal {
    let mut config = Config::system();
    config.sim = Some(sim_file());
    if let Some(p) = policy {
        config.policy.narrow(p);
    }
    if let Some(a) = audit {
        config.audit = Audit::to(a).unwrap();
    }
    Hal::new(config).unwrap()
}

fn sim() -> Hal {
    sim_with(None, None)
}

fn msg<T>(r: Result<T>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_simulator_lists_its_devices() {
    let hal = sim();
    assert!(hal.is_simulated());
    let names: Vec<String> = hal
        .devices()
        .iter()
        .map(|d| format!("{}:{}", d.kind.name(), d.name))
        .collect();
    assert_eq!(
        names,
        [
            "gpio:gpiochip0",
            "i2c:i2c-1",
            "spi:spidev0.0",
            "iio:iio:device0",
            "pwm:pwmchip0",
            "led:led0",
            "sound:card0"
        ]
    );
    assert_eq!(
        hal.devices()[1].attr("addresses"),
        Some(&Attr::List(vec!["0x48".into()]))
    );
}

#[test]
fn gpio_outputs_inputs_and_line_info() {
    let hal = sim();
    assert_eq!(
        hal.gpio_chip_info("gpiochip0").unwrap(),
        ChipInfo {
            name: "gpiochip0".into(),
            label: "sim-gpio".into(),
            lines: 8
        }
    );
    let mut c = LineConfig::new(vec![5, 6], Direction::Output);
    c.values = vec![true];
    c.consumer = "test".into();
    let out = hal.gpio_request("gpiochip0", &c).unwrap();
    assert_eq!(out.get().unwrap(), [true, false]);
    out.set(&[(6, true), (5, false)]).unwrap();
    assert_eq!(out.get().unwrap(), [false, true]);
    let info = hal.gpio_line_info("gpiochip0", 5).unwrap();
    assert_eq!(
        (
            info.name.as_str(),
            info.consumer.as_str(),
            info.used,
            info.direction
        ),
        ("LED", "test", true, Direction::Output)
    );
    assert_eq!(
        msg(hal.gpio_request("gpiochip0", &LineConfig::new(vec![5], Direction::Input))),
        "gpio_request: Device or resource busy (os error 16): gpiochip0/5"
    );
    assert_eq!(
        msg(out.set(&[(7, true)])),
        "gpio_set: line 7 is not part of the request gpiochip0/5,6"
    );
    drop(out);
    assert!(!hal.gpio_line_info("gpiochip0", 5).unwrap().used);
    // Active-low inverts what the program sees.
    let mut low = LineConfig::new(vec![5], Direction::Input);
    low.active_low = true;
    let inp = hal.gpio_request("gpiochip0", &low).unwrap();
    assert_eq!(inp.get().unwrap(), [true]);
    assert_eq!(
        msg(inp.set(&[(5, true)])),
        "gpio_set: the lines of gpiochip0/5 are inputs"
    );
    assert_eq!(
        msg(hal.gpio_line_info("gpiochip0", 8)),
        "gpio_line_info: Invalid argument (os error 22): gpiochip0/8"
    );
    assert_eq!(
        msg(hal.gpio_chip_info("gpiochip7")),
        "gpio_chip_info: No such file or directory (os error 2): gpiochip7"
    );
}

/// Waits (polling, as the event loop would with epoll) for the next event.
fn next_event(req: &LineRequest) -> EdgeEvent {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(e) = req.read_event().unwrap() {
            return e;
        }
        assert!(Instant::now() < deadline, "no event");
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn scripted_edges_arrive_in_order_with_monotonic_timestamps() {
    let hal = sim();
    let mut c = LineConfig::new(vec![4], Direction::Input);
    c.edge = Edge::Both;
    let req = hal.gpio_request("gpiochip0", &c).unwrap();
    assert!(req.event_fd().is_some());
    let events: Vec<EdgeEvent> = (0..3).map(|_| next_event(&req)).collect();
    assert_eq!(
        events.iter().map(|e| e.rising).collect::<Vec<_>>(),
        [true, false, true]
    );
    assert_eq!(
        events.iter().map(|e| e.seqno).collect::<Vec<_>>(),
        [1, 2, 3]
    );
    assert!(events[0].timestamp_ns < events[1].timestamp_ns);
    assert!(events[1].timestamp_ns - events[0].timestamp_ns >= 15_000_000);
    assert_eq!(req.get().unwrap(), [true]);
    assert_eq!(req.read_event().unwrap(), None);
    drop(req);

    // Only the edges asked for.
    let mut rising = LineConfig::new(vec![4], Direction::Input);
    rising.edge = Edge::Falling;
    let req = hal.gpio_request("gpiochip0", &rising).unwrap();
    let e = next_event(&req);
    assert!(!e.rising);
    assert_eq!(e.seqno, 1);
    let plain = hal
        .gpio_request("gpiochip0", &LineConfig::new(vec![3], Direction::Input))
        .unwrap();
    assert_eq!(
        msg(plain.read_event()),
        "gpio_event: gpiochip0/3 was requested without edge detection"
    );
}

#[test]
fn i2c_register_maps_and_smbus_helpers() {
    let hal = sim();
    let dev = hal.i2c_open(1, 0x48).unwrap();
    assert_eq!(dev.transfer(&[0], 2).unwrap(), [0x19, 0x80]);
    assert_eq!(dev.read_byte_data(0x0f).unwrap(), 0x75);
    dev.write_word_data(0x20, 0xBEEF).unwrap();
    assert_eq!(dev.read_word_data(0x20).unwrap(), 0xBEEF);
    dev.write_byte_data(0x22, 7).unwrap();
    dev.write(&[0x20]).unwrap();
    assert_eq!(dev.read(3).unwrap(), [0xEF, 0xBE, 7]);
    assert_eq!(
        msg(dev.read(0)),
        "i2c_read: a message is 1 to 8192 bytes, not 0"
    );
    let absent = hal.i2c_open(1, 0x49).unwrap();
    assert_eq!(
        msg(absent.read(1)),
        "i2c_read: No such device or address (os error 6): i2c-1/0x49"
    );
    assert_eq!(
        msg(hal.i2c_open(2, 0x48)),
        "i2c_open: No such file or directory (os error 2): i2c-2/0x48"
    );
    assert_eq!(
        msg(hal.i2c_open(1, 0x80)),
        "i2c_open: address 0x80 is not a 7-bit address"
    );
}

#[test]
fn spi_loopback_and_dma_buffers() {
    let hal = sim();
    let spi = hal
        .spi_open(
            0,
            0,
            SpiConfig {
                mode: 3,
                ..SpiConfig::default()
            },
        )
        .unwrap();
    assert_eq!(spi.transfer(&[1, 2, 3]).unwrap(), [1, 2, 3]);
    let tx = hal.dma_alloc(4, 64).unwrap();
    let rx = hal.dma_alloc(8, 64).unwrap();
    tx.write(0, &[9, 8, 7, 6]).unwrap();
    {
        let _t = tx.lend("spi_transfer").unwrap();
        let _r = rx.lend("spi_transfer").unwrap();
        assert!(rx.read(0, 1).is_err());
        spi.transfer_buffers(&tx, &rx).unwrap();
    }
    assert_eq!(rx.read(0, 8).unwrap(), [9, 8, 7, 6, 0, 0, 0, 0]);
    assert_eq!(
        msg(spi.transfer_buffers(&rx, &tx)),
        "spi_transfer: the receive buffer (4 bytes) is shorter than the send buffer (8 bytes)"
    );
    assert_eq!(
        msg(hal.spi_open(
            0,
            0,
            SpiConfig {
                mode: 4,
                ..SpiConfig::default()
            }
        )),
        "spi_open: mode 4 is not 0 to 3"
    );
    assert_eq!(
        msg(hal.spi_open(1, 0, SpiConfig::default())),
        "spi_open: No such file or directory (os error 2): spidev1.0"
    );
}

#[test]
fn iio_sequences_leds_and_pwm() {
    let hal = sim();
    let temps: Vec<f64> = (0..4)
        .map(|_| hal.iio_read("iio:device0", "temp").unwrap())
        .collect();
    assert_eq!(temps, [21.5, 21.700000000000003, 22.0, 22.0]);
    assert_eq!(
        msg(hal.iio_read("iio:device0", "humidity")),
        "iio_read: No such file or directory (os error 2): iio:device0/humidity"
    );
    hal.led_set("led0", 1).unwrap();
    assert_eq!(hal.led_get("led0").unwrap(), 1);
    assert_eq!(
        msg(hal.led_set("led0", 2)),
        "led_set: brightness 2 is above the maximum 1: leds/led0"
    );
    let p = Pwm {
        period_ns: 1000,
        duty_ns: 250,
        enabled: true,
    };
    hal.pwm_set(0, 1, p).unwrap();
    assert_eq!(
        msg(hal.pwm_set(0, 2, p)),
        "pwm_set: No such file or directory (os error 2): pwmchip0/2"
    );
    assert!(
        msg(hal.pwm_set(0, 1, Pwm { duty_ns: 2000, ..p })).starts_with("pwm_set: the duty cycle")
    );
}

#[test]
fn audio_is_simulated_and_refused_on_real_cards() {
    let hal = sim();
    assert_eq!(hal.pcm_play(0, &[1, 2, 3, 4]).unwrap(), (2, 2));
    assert_eq!(hal.pcm_play(0, &[5, 6]).unwrap(), (1, 3));
    assert_eq!(
        msg(hal.pcm_play(0, &[1, 2, 3])),
        "pcm_play: 3 samples are not whole frames of 2 channels: sound/card0"
    );
    assert_eq!(hal.pcm_capture(0, 3).unwrap(), [1, -1, 2, -2, 3, 1]);
    assert_eq!(hal.pcm_capture(0, 1).unwrap(), [-1, 2]);
    assert_eq!(
        msg(hal.pcm_capture(1, 1)),
        "pcm_capture: No such file or directory (os error 2): sound/card1"
    );
    let (_t, real) = tree_hal(None);
    assert_eq!(
        msg(real.pcm_play(0, &[0])),
        "pcm_play: PCM audio is only simulated (SOLVRA_HAL_SIM); ALSA's PCM interface is not implemented: sound/card0"
    );
}

#[test]
fn the_policy_denies_and_the_audit_log_says_so() {
    let t = TempTree::new();
    let log = t.path().join("audit.jsonl");
    let hal = sim_with(Some("gpiochip0/5,i2c-1/0x48"), Some(log.to_str().unwrap()));
    let req = hal
        .gpio_request("gpiochip0", &LineConfig::new(vec![5], Direction::Output))
        .unwrap();
    req.set(&[(5, true)]).unwrap();
    assert_eq!(
        msg(hal.gpio_request("gpiochip0", &LineConfig::new(vec![5, 6], Direction::Output))),
        "permission denied by device policy: gpiochip0/6"
    );
    assert_eq!(
        msg(hal.i2c_open(1, 0x49)),
        "permission denied by device policy: i2c-1/0x49"
    );
    assert_eq!(
        msg(hal.led_set("led0", 1)),
        "permission denied by device policy: leds/led0"
    );
    hal.i2c_open(1, 0x48).unwrap();
    let text = std::fs::read_to_string(&log).unwrap();
    let lines: Vec<(String, String, String)> = text
        .lines()
        .map(|l| {
            let j = json::parse(l).unwrap();
            assert!(j
                .get("time")
                .and_then(json::Json::as_str)
                .unwrap()
                .ends_with('Z'));
            let f = |k| j.get(k).and_then(json::Json::as_str).unwrap().to_string();
            (f("device"), f("operation"), f("result"))
        })
        .collect();
    let want = [
        ("gpiochip0/5", "gpio_request", "ok"),
        ("gpiochip0/5", "gpio_set", "ok"),
        ("gpiochip0/5,6", "gpio_request", "denied"),
        ("i2c-1/0x49", "i2c_open", "denied"),
        ("leds/led0", "led_set", "denied"),
        ("i2c-1/0x48", "i2c_open", "ok"),
    ];
    assert_eq!(
        lines,
        want.map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    );
}

/// A prepared tree with a regular file standing in for a block device.
fn tree_hal(policy: Option<&str>) -> (TempTree, Hal) {
    let t = TempTree::new();
    t.file("dev/sdb", "0123456789abcdef");
    t.file("sys/class/block/sdb/size", "1\n");
    t.file("sys/class/leds/led0/brightness", "0\n");
    t.file("sys/class/leds/led0/max_brightness", "255\n");
    let mut config = Config::system();
    config.dev_root = t.path().join("dev");
    config.sys_root = t.path().join("sys");
    if let Some(p) = policy {
        config.policy.narrow(p);
    }
    let hal = Hal::new(config).unwrap();
    (t, hal)
}

#[test]
fn raw_storage_needs_an_explicit_opt_in() {
    let (_t, hal) = tree_hal(None);
    assert_eq!(
        msg(hal.storage_read("sdb", 0, 4)),
        "permission denied by device policy: block/sdb"
    );
    let (_t, hal) = tree_hal(Some("*"));
    assert_eq!(
        msg(hal.storage_read("sdb", 0, 4)),
        "permission denied by device policy: block/sdb"
    );
    let (t, hal) = tree_hal(Some("block/sdb"));
    assert_eq!(hal.storage_read("sdb", 4, 4).unwrap(), b"4567");
    assert_eq!(hal.storage_read("sdb", 14, 10).unwrap(), b"ef");
    hal.storage_write("sdb", 0, b"AB").unwrap();
    assert_eq!(t.read("dev/sdb"), "AB23456789abcdef");
    assert_eq!(
        msg(hal.storage_read("sdc", 0, 1)),
        "permission denied by device policy: block/sdc"
    );
}

#[test]
fn prepared_trees_drive_sysfs_devices_and_rescan_sees_new_ones() {
    let (t, mut hal) = tree_hal(None);
    assert_eq!(
        hal.devices()
            .iter()
            .map(|d| d.name.as_str())
            .collect::<Vec<_>>(),
        ["led0", "sdb"]
    );
    hal.led_set("led0", 128).unwrap();
    assert_eq!(t.read("sys/class/leds/led0/brightness"), "128");
    t.file("sys/bus/usb/devices/1-2/idVendor", "1d6b\n");
    assert_eq!(hal.devices().len(), 2);
    hal.rescan();
    assert_eq!(
        hal.devices()
            .iter()
            .map(|d| d.name.as_str())
            .collect::<Vec<_>>(),
        ["led0", "1-2", "sdb"]
    );
    // The Linux drivers report the kernel's error for a node that is not their device.
    t.file("dev/i2c-1", "");
    t.file("dev/spidev0.0", "");
    assert_eq!(
        msg(hal.i2c_open(1, 0x48)),
        "i2c_open: Inappropriate ioctl for device (os error 25): i2c-1/0x48"
    );
    assert_eq!(
        msg(hal.spi_open(0, 0, SpiConfig::default())),
        "spi_open: Inappropriate ioctl for device (os error 25): spidev0.0"
    );
    t.file("dev/gpiochip0", "");
    assert_eq!(
        msg(hal.gpio_request("gpiochip0", &LineConfig::new(vec![1], Direction::Input))),
        "gpio_request: Inappropriate ioctl for device (os error 25): gpiochip0/1"
    );
}

#[test]
fn a_bad_simulator_file_is_an_error_naming_the_problem() {
    let t = TempTree::new();
    for (text, want) in [
        ("{\"gpio\": [{\"lines\": 0}]}", "gpio[0]: \"lines\" must be 1 to 512"),
        ("{\"gpoi\": []}", "unknown section \"gpoi\""),
        ("{\"gpio\": [{\"lines\": 2, \"events\": [{\"line\": 5, \"edge\": \"rising\", \"after_ms\": 1}]}]}", "gpio[0].events[0]: no line 5"),
        ("{\"i2c\": [{\"bus\": 1, \"devices\": [{\"address\": 200}]}]}", "is not a 7-bit address"),
        ("[", "unexpected end at byte 1"),
    ] {
        t.file("bad.json", text);
        let mut config = Config::system();
        config.sim = Some(t.path().join("bad.json"));
        let e = match Hal::new(config) {
            Ok(_) => panic!("{text} loaded"),
            Err(e) => e.to_string(),
        };
        assert!(e.starts_with("SOLVRA_HAL_SIM: ") && e.contains(want), "{e}");
    }
}
