//! Raw block-device access (`/dev/sdX`, `/dev/mmcblkN`): positioned reads and writes. The policy
//! check that makes this an explicit opt-in is in `Hal::raw_storage`; listing and sizes come
//! from sysfs (`registry.rs`).

use std::fs::OpenOptions;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// The longest single raw read (16 MiB).
pub const MAX_READ: usize = 16 << 20;

pub(crate) fn read(path: &Path, offset: u64, len: usize) -> io::Result<Vec<u8>> {
    if len > MAX_READ {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "read longer than 16 MiB",
        ));
    }
    let f = OpenOptions::new().read(true).open(path)?;
    let mut buf = vec![0; len];
    let mut done = 0;
    while done < len {
        match f.read_at(&mut buf[done..], offset + done as u64)? {
            0 => break,
            n => done += n,
        }
    }
    buf.truncate(done);
    Ok(buf)
}

pub(crate) fn write(path: &Path, offset: u64, data: &[u8]) -> io::Result<()> {
    let f = OpenOptions::new().write(true).open(path)?;
    f.write_all_at(data, offset)?;
    f.sync_data()
}
