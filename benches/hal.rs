//! GPIO through the HAL (solvra_rt::hal) against the raw uAPI v2 ioctl loop it wraps: one
//! iteration sets one output line and reads it back.
//!
//! * `gpio/hal_sim_set_get`: `LineRequest::set` + `get` on the simulator (tests/data/hal/
//!   devices.json), audit off: the HAL's own cost (policy is checked at request time, not per
//!   call; values are converted and the audit hook is consulted per call).
//! * `gpio/raw_ioctl_set_get_enotty`: `GPIO_V2_LINE_SET_VALUES_IOCTL` + `GET_VALUES` issued with
//!   libc on a descriptor of /dev/null, which the kernel refuses with ENOTTY: the system-call
//!   round trip that is the floor of any ioctl path (this machine has no GPIO chip and no
//!   gpio-sim kernel module).
//! * `gpio/hal_linux_set_get` and `gpio/raw_ioctl_set_get` on a real chip: only when
//!   SOLVRA_BENCH_GPIOCHIP names one (e.g. `/dev/gpiochip0`) and SOLVRA_BENCH_GPIO_LINE (default
//!   0) is a free line that may be driven. Run on a board.
//!
//! `cargo bench -p solvrac --bench hal [-- FILTER]`

use criterion::Criterion;
use solvra_rt::hal::{self, uapi};
use std::hint::black_box;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

fn sim_hal() -> hal::Hal {
    let mut config = hal::Config::system();
    config.sim =
        Some(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data/hal/devices.json"));
    hal::Hal::new(config).expect("simulator file")
}

fn request(h: &hal::Hal, chip: &str, line: u32) -> hal::LineRequest {
    let config = hal::LineConfig::new(vec![line], hal::Direction::Output);
    h.gpio_request(chip, &config).expect("line request")
}

/// Sets the request's line to `on` and reads it back.
fn hal_set_get(req: &hal::LineRequest, on: bool) {
    req.set(&[(req.offsets()[0], on)]).unwrap();
    black_box(req.get().unwrap());
}

/// SET_VALUES then GET_VALUES on `fd`; the results are ignored (ENOTTY on /dev/null).
fn raw_set_get(fd: i32, bits: u64) {
    let mut v = uapi::GpioV2LineValues { bits, mask: 1 };
    // SAFETY: `v` is the structure both requests read and write.
    unsafe {
        black_box(libc::ioctl(
            fd,
            uapi::GPIO_V2_LINE_SET_VALUES_IOCTL as _,
            &mut v,
        ));
        black_box(libc::ioctl(
            fd,
            uapi::GPIO_V2_LINE_GET_VALUES_IOCTL as _,
            &mut v,
        ));
    }
}

fn gpio(c: &mut Criterion) {
    let mut g = c.benchmark_group("gpio");
    let h = sim_hal();
    let req = request(&h, "gpiochip0", 5);
    let mut on = false;
    g.bench_function("hal_sim_set_get", |b| {
        b.iter(|| {
            on = !on;
            hal_set_get(&req, on)
        })
    });

    let null = std::fs::File::open("/dev/null").expect("/dev/null");
    let mut bits = 0;
    g.bench_function("raw_ioctl_set_get_enotty", |b| {
        b.iter(|| {
            bits ^= 1;
            raw_set_get(null.as_raw_fd(), bits)
        })
    });

    if let Some(chip) = std::env::var_os("SOLVRA_BENCH_GPIOCHIP") {
        let chip = PathBuf::from(chip);
        let line: u32 = std::env::var("SOLVRA_BENCH_GPIO_LINE")
            .ok()
            .and_then(|l| l.parse().ok())
            .unwrap_or(0);
        let mut config = hal::Config::system();
        config.dev_root = chip.parent().unwrap_or(Path::new("/dev")).to_path_buf();
        let h = hal::Hal::new(config).expect("hal");
        let name = chip.file_name().unwrap().to_string_lossy().into_owned();
        let req = request(&h, &name, line);
        let mut on = false;
        g.bench_function("hal_linux_set_get", |b| {
            b.iter(|| {
                on = !on;
                hal_set_get(&req, on)
            })
        });
        let fd = req
            .event_fd()
            .expect("a kernel line request has a descriptor");
        let mut bits = 0;
        g.bench_function("raw_ioctl_set_get", |b| {
            b.iter(|| {
                bits ^= 1;
                raw_set_get(fd, bits)
            })
        });
    }
    g.finish();
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    gpio(&mut c);
    c.final_summary();
}
