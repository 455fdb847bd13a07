//! SPI through spidev (`/dev/spidevB.C`): mode, clock and word size set when the device is
//! opened, and full-duplex transfers (`SPI_IOC_MESSAGE`): every byte sent clocks one in. The
//! simulator's devices are loopbacks (MOSI wired to MISO): what is sent comes back.

use crate::dma::DmaBuffer;
use crate::uapi::*;
use crate::{Error, Fd, Log, Result};
use std::path::Path;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpiConfig {
    /// SPI mode 0–3 (clock polarity and phase).
    pub mode: u8,
    pub speed_hz: u32,
    pub bits_per_word: u8,
}

impl Default for SpiConfig {
    fn default() -> SpiConfig {
        SpiConfig {
            mode: 0,
            speed_hz: 1_000_000,
            bits_per_word: 8,
        }
    }
}

impl SpiConfig {
    fn validate(&self) -> Result<()> {
        if self.mode > 3 {
            return Err(Error::invalid(format!(
                "spi_open: mode {} is not 0 to 3",
                self.mode
            )));
        }
        if self.speed_hz == 0 || !(1..=32).contains(&self.bits_per_word) {
            return Err(Error::invalid(
                "spi_open: speed must be positive and bits per word 1 to 32",
            ));
        }
        Ok(())
    }
}

enum Port {
    Linux(Fd),
    Loopback,
}

pub struct SpiDevice {
    config: SpiConfig,
    port: Port,
    log: Log,
}

/// spidev's default buffer size (module parameter `bufsiz`): the longest single transfer.
pub const MAX_TRANSFER: usize = 4096;

impl SpiDevice {
    pub(crate) fn open(path: &Path, config: SpiConfig, log: Log) -> Result<SpiDevice> {
        config.validate()?;
        let err = |e| Error::os("spi_open", e, log.subject());
        let fd = Fd::open(path, libc::O_RDWR).map_err(err)?;
        let mut mode = config.mode;
        let mut bits = config.bits_per_word;
        let mut speed = config.speed_hz;
        // SAFETY: each request reads the integer of the size it encodes.
        unsafe {
            fd.ioctl(SPI_IOC_WR_MODE, &mut mode).map_err(err)?;
            fd.ioctl(SPI_IOC_WR_BITS_PER_WORD, &mut bits).map_err(err)?;
            fd.ioctl(SPI_IOC_WR_MAX_SPEED_HZ, &mut speed).map_err(err)?;
        }
        Ok(SpiDevice {
            config,
            port: Port::Linux(fd),
            log,
        })
    }

    pub(crate) fn loopback(config: SpiConfig, log: Log) -> Result<SpiDevice> {
        config.validate()?;
        Ok(SpiDevice {
            config,
            port: Port::Loopback,
            log,
        })
    }

    pub fn config(&self) -> SpiConfig {
        self.config
    }

    /// Sends `tx` and gives the bytes clocked in meanwhile (as many).
    pub fn transfer(&self, tx: &[u8]) -> Result<Vec<u8>> {
        let mut rx = vec![0; tx.len()];
        let outcome = self.exchange(tx, &mut rx).map(|()| rx);
        self.log.note("spi_transfer", outcome)
    }

    /// A transfer between DMA buffers: the whole of `tx` out, as many bytes into `rx`. The
    /// caller has lent both buffers to the transfer (`DmaBuffer::lend`).
    pub fn transfer_buffers(&self, tx: &DmaBuffer, rx: &DmaBuffer) -> Result<()> {
        let outcome = if rx.len() < tx.len() {
            Err(Error::invalid(format!(
                "spi_transfer: the receive buffer ({} bytes) is shorter than the send buffer ({} bytes)",
                rx.len(),
                tx.len()
            )))
        } else {
            // SAFETY: both buffers are lent to this transfer, so nothing else touches them.
            let (t, r) = unsafe { (tx.transfer_slice(), rx.transfer_slice_mut()) };
            let n = t.len();
            self.exchange(t, &mut r[..n])
        };
        self.log.note("spi_transfer", outcome)
    }

    fn exchange(&self, tx: &[u8], rx: &mut [u8]) -> Result<()> {
        if tx.is_empty() || tx.len() > MAX_TRANSFER {
            return Err(Error::invalid(format!(
                "spi_transfer: a transfer is 1 to {MAX_TRANSFER} bytes, not {}",
                tx.len()
            )));
        }
        match &self.port {
            Port::Loopback => {
                rx.copy_from_slice(tx);
                Ok(())
            }
            Port::Linux(fd) => {
                let mut t = SpiIocTransfer {
                    tx_buf: tx.as_ptr() as usize as u64,
                    rx_buf: rx.as_mut_ptr() as usize as u64,
                    len: tx.len() as u32,
                    speed_hz: self.config.speed_hz,
                    bits_per_word: self.config.bits_per_word,
                    ..SpiIocTransfer::default()
                };
                // SAFETY: tx and rx are valid for `len` bytes for the duration of the call.
                unsafe { fd.ioctl(spi_ioc_message(1), &mut t) }
                    .map(|_| ())
                    .map_err(|e| Error::os("spi_transfer", e, self.log.subject()))
            }
        }
    }
}
