//! I2C through i2c-dev (`/dev/i2c-N`): plain reads and writes to one address, combined
//! write-then-read transfers with a repeated start (`I2C_RDWR`), and the SMBus register helpers
//! (`I2C_SMBUS`). The simulator implements the same operations on register maps (`sim.rs`).

use crate::uapi::*;
use crate::{Error, Fd, Log, Result};
use std::path::Path;
use std::rc::Rc;

/// The simulator's side of an I2C device: a register map with an auto-incrementing pointer.
pub(crate) trait SimI2c {
    fn write(&self, data: &[u8]) -> std::io::Result<()>;
    fn read(&self, buf: &mut [u8]) -> std::io::Result<()>;
}

enum Bus {
    Linux(Fd),
    Sim(Rc<dyn SimI2c>),
}

/// One device (7-bit address) on one bus.
pub struct I2cDevice {
    address: u16,
    bus: Bus,
    log: Log,
}

/// The longest message i2c-dev accepts (`I2C_RDWR` lengths are 16-bit; the kernel caps at 8 KiB).
const MAX_MESSAGE: usize = 8192;

impl I2cDevice {
    pub(crate) fn open(path: &Path, address: u16, log: Log) -> Result<I2cDevice> {
        let fd =
            Fd::open(path, libc::O_RDWR).map_err(|e| Error::os("i2c_open", e, log.subject()))?;
        fd.ioctl_value(I2C_SLAVE, address as std::os::raw::c_ulong)
            .map_err(|e| Error::os("i2c_open", e, log.subject()))?;
        Ok(I2cDevice {
            address,
            bus: Bus::Linux(fd),
            log,
        })
    }

    pub(crate) fn simulated(address: u16, device: Rc<dyn SimI2c>, log: Log) -> I2cDevice {
        I2cDevice {
            address,
            bus: Bus::Sim(device),
            log,
        }
    }

    pub fn address(&self) -> u16 {
        self.address
    }

    fn check_len(&self, op: &str, n: usize) -> Result<()> {
        if n == 0 || n > MAX_MESSAGE {
            return Err(Error::invalid(format!(
                "{op}: a message is 1 to {MAX_MESSAGE} bytes, not {n}"
            )));
        }
        Ok(())
    }

    /// Reads `n` bytes (one message with a start and a stop).
    pub fn read(&self, n: usize) -> Result<Vec<u8>> {
        let outcome = self.check_len("i2c_read", n).and_then(|()| {
            let mut buf = vec![0; n];
            match &self.bus {
                Bus::Linux(fd) => self.transfer_linux(fd, None, Some(&mut buf)),
                Bus::Sim(dev) => dev.read(&mut buf),
            }
            .map(|()| buf)
            .map_err(|e| Error::os("i2c_read", e, self.log.subject()))
        });
        self.log.note("i2c_read", outcome)
    }

    /// Writes `data` (one message).
    pub fn write(&self, data: &[u8]) -> Result<()> {
        let outcome = self.check_len("i2c_write", data.len()).and_then(|()| {
            match &self.bus {
                Bus::Linux(fd) => self.transfer_linux(fd, Some(data), None),
                Bus::Sim(dev) => dev.write(data),
            }
            .map_err(|e| Error::os("i2c_write", e, self.log.subject()))
        });
        self.log.note("i2c_write", outcome)
    }

    /// Writes `data`, then reads `n` bytes after a repeated start, with no stop between: how
    /// most sensors are read (write the register number, read its contents).
    pub fn transfer(&self, data: &[u8], n: usize) -> Result<Vec<u8>> {
        let outcome = self
            .check_len("i2c_transfer", data.len())
            .and_then(|()| self.check_len("i2c_transfer", n))
            .and_then(|()| {
                let mut buf = vec![0; n];
                match &self.bus {
                    Bus::Linux(fd) => self.transfer_linux(fd, Some(data), Some(&mut buf)),
                    Bus::Sim(dev) => dev.write(data).and_then(|()| dev.read(&mut buf)),
                }
                .map(|()| buf)
                .map_err(|e| Error::os("i2c_transfer", e, self.log.subject()))
            });
        self.log.note("i2c_transfer", outcome)
    }

    /// One `I2C_RDWR` call with a write message, a read message or both.
    fn transfer_linux(
        &self,
        fd: &Fd,
        write: Option<&[u8]>,
        read: Option<&mut [u8]>,
    ) -> std::io::Result<()> {
        let mut msgs = Vec::with_capacity(2);
        if let Some(w) = write {
            msgs.push(I2cMsg {
                addr: self.address,
                flags: 0,
                len: w.len() as u16,
                // The kernel only reads a write message's buffer.
                buf: w.as_ptr() as *mut u8,
            });
        }
        if let Some(r) = read {
            msgs.push(I2cMsg {
                addr: self.address,
                flags: I2C_M_RD,
                len: r.len() as u16,
                buf: r.as_mut_ptr(),
            });
        }
        let mut data = I2cRdwrIoctlData {
            msgs: msgs.as_mut_ptr(),
            nmsgs: msgs.len() as u32,
        };
        // SAFETY: the messages point at buffers of their stated lengths, alive for the call.
        unsafe { fd.ioctl(I2C_RDWR, &mut data) }.map(|_| ())
    }

    /// One SMBus register access: `I2C_SMBUS` on a bus, the equivalent register-map
    /// transfers on the simulator. Words travel low byte first, as SMBus sends them.
    fn smbus(&self, op: &str, reg: u8, access: Smbus) -> Result<u16> {
        let outcome = match &self.bus {
            Bus::Linux(fd) => {
                let (read_write, size) = match access {
                    Smbus::ReadByte => (I2C_SMBUS_READ, I2C_SMBUS_BYTE_DATA),
                    Smbus::WriteByte(_) => (I2C_SMBUS_WRITE, I2C_SMBUS_BYTE_DATA),
                    Smbus::ReadWord => (I2C_SMBUS_READ, I2C_SMBUS_WORD_DATA),
                    Smbus::WriteWord(_) => (I2C_SMBUS_WRITE, I2C_SMBUS_WORD_DATA),
                };
                let mut data = I2cSmbusData { block: [0; 34] };
                match access {
                    Smbus::WriteByte(v) => data.byte = v,
                    Smbus::WriteWord(v) => data.word = v,
                    Smbus::ReadByte | Smbus::ReadWord => {}
                }
                let mut args = I2cSmbusIoctlData {
                    read_write,
                    command: reg,
                    size,
                    data: &mut data,
                };
                // SAFETY: `args.data` points at a live `i2c_smbus_data`; the kernel wrote the
                // member that `size` names before we read it.
                unsafe { fd.ioctl(I2C_SMBUS, &mut args) }.map(|_| unsafe {
                    match access {
                        Smbus::ReadByte => data.byte as u16,
                        Smbus::ReadWord => data.word,
                        Smbus::WriteByte(_) | Smbus::WriteWord(_) => 0,
                    }
                })
            }
            Bus::Sim(dev) => match access {
                Smbus::ReadByte => {
                    let mut b = [0];
                    dev.write(&[reg])
                        .and_then(|()| dev.read(&mut b))
                        .map(|()| b[0] as u16)
                }
                Smbus::ReadWord => {
                    let mut b = [0; 2];
                    dev.write(&[reg])
                        .and_then(|()| dev.read(&mut b))
                        .map(|()| u16::from_le_bytes(b))
                }
                Smbus::WriteByte(v) => dev.write(&[reg, v]).map(|()| 0),
                Smbus::WriteWord(v) => {
                    let [lo, hi] = v.to_le_bytes();
                    dev.write(&[reg, lo, hi]).map(|()| 0)
                }
            },
        };
        self.log.note(
            op,
            outcome.map_err(|e| Error::os(op, e, self.log.subject())),
        )
    }

    /// SMBus "read byte data": register `reg`'s byte.
    pub fn read_byte_data(&self, reg: u8) -> Result<u8> {
        self.smbus("i2c_read_byte_data", reg, Smbus::ReadByte)
            .map(|v| v as u8)
    }

    /// SMBus "write byte data".
    pub fn write_byte_data(&self, reg: u8, value: u8) -> Result<()> {
        self.smbus("i2c_write_byte_data", reg, Smbus::WriteByte(value))
            .map(drop)
    }

    /// SMBus "read word data": two bytes from `reg`, low byte first.
    pub fn read_word_data(&self, reg: u8) -> Result<u16> {
        self.smbus("i2c_read_word_data", reg, Smbus::ReadWord)
    }

    /// SMBus "write word data", low byte first.
    pub fn write_word_data(&self, reg: u8, value: u16) -> Result<()> {
        self.smbus("i2c_write_word_data", reg, Smbus::WriteWord(value))
            .map(drop)
    }
}

#[derive(Clone, Copy)]
enum Smbus {
    ReadByte,
    WriteByte(u8),
    ReadWord,
    WriteWord(u16),
}
