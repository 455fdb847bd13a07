//! The kernel's userspace ABI the Linux drivers speak: structures and ioctl request numbers of
//! the GPIO character device (uAPI v2, `linux/gpio.h`), i2c-dev (`linux/i2c.h`,
//! `linux/i2c-dev.h`), spidev (`linux/spi/spidev.h`) and dma-heap (`linux/dma-heap.h`).
//!
//! Every structure is `#[repr(C)]` and its size is checked at compile time for the target being
//! built (x86_64, AArch64 and ARMv7 differ in pointer size, so the i2c structures differ too);
//! field offsets are checked by unit tests, and the request numbers are compared with the values
//! the kernel headers give. Request numbers are computed the way the kernel's `_IOC` macro does,
//! from the structure size, so a wrong layout changes the number the kernel sees and the call
//! fails with `ENOTTY` rather than corrupting memory.

use std::mem::size_of;

// --- _IOC (asm-generic/ioctl.h; x86, ARM and AArch64 all use the generic encoding) ------------

const IOC_WRITE: u32 = 1;
const IOC_READ: u32 = 2;

const fn ioc(dir: u32, ty: u8, nr: u8, size: usize) -> u64 {
    ((dir << 30) | ((size as u32) << 16) | ((ty as u32) << 8) | nr as u32) as u64
}

const fn ior(ty: u8, nr: u8, size: usize) -> u64 {
    ioc(IOC_READ, ty, nr, size)
}

const fn iow(ty: u8, nr: u8, size: usize) -> u64 {
    ioc(IOC_WRITE, ty, nr, size)
}

const fn iowr(ty: u8, nr: u8, size: usize) -> u64 {
    ioc(IOC_READ | IOC_WRITE, ty, nr, size)
}

// --- GPIO character device, uAPI v2 ---------------------------------------------------------

pub const GPIO_MAX_NAME_SIZE: usize = 32;
pub const GPIO_V2_LINES_MAX: usize = 64;
pub const GPIO_V2_LINE_NUM_ATTRS_MAX: usize = 10;

pub const GPIO_V2_LINE_FLAG_USED: u64 = 1 << 0;
pub const GPIO_V2_LINE_FLAG_ACTIVE_LOW: u64 = 1 << 1;
pub const GPIO_V2_LINE_FLAG_INPUT: u64 = 1 << 2;
pub const GPIO_V2_LINE_FLAG_OUTPUT: u64 = 1 << 3;
pub const GPIO_V2_LINE_FLAG_EDGE_RISING: u64 = 1 << 4;
pub const GPIO_V2_LINE_FLAG_EDGE_FALLING: u64 = 1 << 5;
pub const GPIO_V2_LINE_FLAG_OPEN_DRAIN: u64 = 1 << 6;
pub const GPIO_V2_LINE_FLAG_OPEN_SOURCE: u64 = 1 << 7;
pub const GPIO_V2_LINE_FLAG_BIAS_PULL_UP: u64 = 1 << 8;
pub const GPIO_V2_LINE_FLAG_BIAS_PULL_DOWN: u64 = 1 << 9;
pub const GPIO_V2_LINE_FLAG_BIAS_DISABLED: u64 = 1 << 10;

pub const GPIO_V2_LINE_ATTR_ID_FLAGS: u32 = 1;
pub const GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES: u32 = 2;
pub const GPIO_V2_LINE_ATTR_ID_DEBOUNCE: u32 = 3;

pub const GPIO_V2_LINE_EVENT_RISING_EDGE: u32 = 1;
pub const GPIO_V2_LINE_EVENT_FALLING_EDGE: u32 = 2;

#[repr(C)]
#[derive(Clone, Copy)]
pub struct GpioChipInfo {
    pub name: [u8; GPIO_MAX_NAME_SIZE],
    pub label: [u8; GPIO_MAX_NAME_SIZE],
    pub lines: u32,
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct GpioV2LineValues {
    pub bits: u64,
    pub mask: u64,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub union GpioV2AttrValue {
    pub flags: u64,
    pub values: u64,
    pub debounce_period_us: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct GpioV2LineAttribute {
    pub id: u32,
    pub padding: u32,
    pub value: GpioV2AttrValue,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct GpioV2LineConfigAttribute {
    pub attr: GpioV2LineAttribute,
    pub mask: u64,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct GpioV2LineConfig {
    pub flags: u64,
    pub num_attrs: u32,
    pub padding: [u32; 5],
    pub attrs: [GpioV2LineConfigAttribute; GPIO_V2_LINE_NUM_ATTRS_MAX],
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct GpioV2LineRequest {
    pub offsets: [u32; GPIO_V2_LINES_MAX],
    pub consumer: [u8; GPIO_MAX_NAME_SIZE],
    pub config: GpioV2LineConfig,
    pub num_lines: u32,
    pub event_buffer_size: u32,
    pub padding: [u32; 5],
    pub fd: i32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub struct GpioV2LineInfo {
    pub name: [u8; GPIO_MAX_NAME_SIZE],
    pub consumer: [u8; GPIO_MAX_NAME_SIZE],
    pub offset: u32,
    pub num_attrs: u32,
    pub flags: u64,
    pub attrs: [GpioV2LineAttribute; GPIO_V2_LINE_NUM_ATTRS_MAX],
    pub padding: [u32; 4],
}

#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct GpioV2LineEvent {
    pub timestamp_ns: u64,
    pub id: u32,
    pub offset: u32,
    pub seqno: u32,
    pub line_seqno: u32,
    pub padding: [u32; 6],
}

macro_rules! zeroed_default {
    ($($t:ty),*) => {$(
        impl Default for $t {
            fn default() -> Self {
                // SAFETY: a kernel ABI structure of integers and byte arrays; all zeroes is
                // its "nothing set" value.
                unsafe { std::mem::zeroed() }
            }
        }
    )*};
}
zeroed_default!(
    GpioChipInfo,
    GpioV2LineAttribute,
    GpioV2LineConfig,
    GpioV2LineRequest,
    GpioV2LineInfo
);

pub const GPIO_GET_CHIPINFO_IOCTL: u64 = ior(0xB4, 0x01, size_of::<GpioChipInfo>());
pub const GPIO_V2_GET_LINEINFO_IOCTL: u64 = iowr(0xB4, 0x05, size_of::<GpioV2LineInfo>());
pub const GPIO_V2_GET_LINE_IOCTL: u64 = iowr(0xB4, 0x07, size_of::<GpioV2LineRequest>());
pub const GPIO_V2_LINE_SET_CONFIG_IOCTL: u64 = iowr(0xB4, 0x0D, size_of::<GpioV2LineConfig>());
pub const GPIO_V2_LINE_GET_VALUES_IOCTL: u64 = iowr(0xB4, 0x0E, size_of::<GpioV2LineValues>());
pub const GPIO_V2_LINE_SET_VALUES_IOCTL: u64 = iowr(0xB4, 0x0F, size_of::<GpioV2LineValues>());

// --- i2c-dev (plain numbers in linux/i2c-dev.h, not _IOC-encoded) ----------------------------

pub const I2C_SLAVE: u64 = 0x0703;
pub const I2C_FUNCS: u64 = 0x0705;
pub const I2C_RDWR: u64 = 0x0707;
pub const I2C_SMBUS: u64 = 0x0720;

pub const I2C_M_RD: u16 = 0x0001;
pub const I2C_SMBUS_READ: u8 = 1;
pub const I2C_SMBUS_WRITE: u8 = 0;
pub const I2C_SMBUS_BYTE_DATA: u32 = 2;
pub const I2C_SMBUS_WORD_DATA: u32 = 3;
pub const I2C_SMBUS_BLOCK_MAX: usize = 32;

#[repr(C)]
pub struct I2cMsg {
    pub addr: u16,
    pub flags: u16,
    pub len: u16,
    pub buf: *mut u8,
}

#[repr(C)]
pub struct I2cRdwrIoctlData {
    pub msgs: *mut I2cMsg,
    pub nmsgs: u32,
}

#[repr(C)]
#[derive(Clone, Copy)]
pub union I2cSmbusData {
    pub byte: u8,
    pub word: u16,
    pub block: [u8; I2C_SMBUS_BLOCK_MAX + 2],
}

#[repr(C)]
pub struct I2cSmbusIoctlData {
    pub read_write: u8,
    pub command: u8,
    pub size: u32,
    pub data: *mut I2cSmbusData,
}

// --- spidev -----------------------------------------------------------------------------------

const SPI_IOC_MAGIC: u8 = b'k';

#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct SpiIocTransfer {
    pub tx_buf: u64,
    pub rx_buf: u64,
    pub len: u32,
    pub speed_hz: u32,
    pub delay_usecs: u16,
    pub bits_per_word: u8,
    pub cs_change: u8,
    pub tx_nbits: u8,
    pub rx_nbits: u8,
    pub word_delay_usecs: u8,
    pub pad: u8,
}

/// `SPI_IOC_MESSAGE(n)`: `n` transfers in one call.
pub const fn spi_ioc_message(n: usize) -> u64 {
    iow(SPI_IOC_MAGIC, 0, n * size_of::<SpiIocTransfer>())
}
pub const SPI_IOC_WR_MODE: u64 = iow(SPI_IOC_MAGIC, 1, 1);
pub const SPI_IOC_WR_BITS_PER_WORD: u64 = iow(SPI_IOC_MAGIC, 3, 1);
pub const SPI_IOC_WR_MAX_SPEED_HZ: u64 = iow(SPI_IOC_MAGIC, 4, 4);

// --- dma-heap ---------------------------------------------------------------------------------

#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct DmaHeapAllocationData {
    pub len: u64,
    pub fd: u32,
    pub fd_flags: u32,
    pub heap_flags: u64,
}

pub const DMA_HEAP_IOCTL_ALLOC: u64 = iowr(b'H', 0, size_of::<DmaHeapAllocationData>());

// --- compile-time layout checks, per target -----------------------------------------------------

const _: () = assert!(size_of::<GpioChipInfo>() == 68);
const _: () = assert!(size_of::<GpioV2LineValues>() == 16);
const _: () = assert!(size_of::<GpioV2LineAttribute>() == 16);
const _: () = assert!(size_of::<GpioV2LineConfigAttribute>() == 24);
const _: () = assert!(size_of::<GpioV2LineConfig>() == 272);
const _: () = assert!(size_of::<GpioV2LineRequest>() == 592);
const _: () = assert!(size_of::<GpioV2LineInfo>() == 256);
const _: () = assert!(size_of::<GpioV2LineEvent>() == 48);
const _: () = assert!(size_of::<SpiIocTransfer>() == 32);
const _: () = assert!(size_of::<DmaHeapAllocationData>() == 24);
const _: () = assert!(size_of::<I2cSmbusData>() == 34);
// i2c_msg: three u16 then a pointer, aligned to the pointer: 16 bytes on 64-bit, 12 on 32-bit.
const _: () = assert!(size_of::<I2cMsg>() == if size_of::<usize>() == 8 { 16 } else { 12 });
const _: () = assert!(size_of::<I2cRdwrIoctlData>() == 2 * size_of::<usize>());
const _: () = assert!(size_of::<I2cSmbusIoctlData>() == 8 + size_of::<usize>());
// __aligned_u64 is 8-aligned on every target, ARMv7 included (AAPCS).
const _: () = assert!(std::mem::align_of::<GpioV2LineRequest>() == 8);

/// The bytes of a NUL-padded kernel name field as text.
pub fn name_text(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// Copies `text` into a NUL-padded kernel name field, cut to leave room for the NUL.
pub fn set_name(field: &mut [u8], text: &str) {
    let n = text.len().min(field.len() - 1);
    field[..n].copy_from_slice(&text.as_bytes()[..n]);
    field[n..].iter_mut().for_each(|b| *b = 0);
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::ptr::addr_of;

    /// The offset of a field, measured on a value (rustc 1.63 has no `offset_of!`).
    macro_rules! offset {
        ($t:ty, $($f:tt)+) => {{
            let v = <$t>::default();
            (addr_of!(v.$($f)+) as usize) - (addr_of!(v) as usize)
        }};
    }

    /// The values of the kernel headers' macros, as `gcc -E` computes them (they do not depend
    /// on the architecture for these structures, whose sizes are the same everywhere).
    #[test]
    fn request_numbers_match_the_kernel_headers() {
        assert_eq!(GPIO_GET_CHIPINFO_IOCTL, 0x8044_B401);
        assert_eq!(GPIO_V2_GET_LINEINFO_IOCTL, 0xC100_B405);
        assert_eq!(GPIO_V2_GET_LINE_IOCTL, 0xC250_B407);
        assert_eq!(GPIO_V2_LINE_SET_CONFIG_IOCTL, 0xC110_B40D);
        assert_eq!(GPIO_V2_LINE_GET_VALUES_IOCTL, 0xC010_B40E);
        assert_eq!(GPIO_V2_LINE_SET_VALUES_IOCTL, 0xC010_B40F);
        assert_eq!(spi_ioc_message(1), 0x4020_6B00);
        assert_eq!(spi_ioc_message(2), 0x4040_6B00);
        assert_eq!(SPI_IOC_WR_MODE, 0x4001_6B01);
        assert_eq!(SPI_IOC_WR_BITS_PER_WORD, 0x4001_6B03);
        assert_eq!(SPI_IOC_WR_MAX_SPEED_HZ, 0x4004_6B04);
        assert_eq!(DMA_HEAP_IOCTL_ALLOC, 0xC018_4800);
    }

    #[test]
    fn gpio_field_offsets_match_the_kernel() {
        assert_eq!(offset!(GpioChipInfo, label), 32);
        assert_eq!(offset!(GpioChipInfo, lines), 64);
        assert_eq!(offset!(GpioV2LineAttribute, value), 8);
        assert_eq!(offset!(GpioV2LineConfig, num_attrs), 8);
        assert_eq!(offset!(GpioV2LineConfig, attrs), 32);
        assert_eq!(offset!(GpioV2LineRequest, consumer), 256);
        assert_eq!(offset!(GpioV2LineRequest, config), 288);
        assert_eq!(offset!(GpioV2LineRequest, num_lines), 560);
        assert_eq!(offset!(GpioV2LineRequest, event_buffer_size), 564);
        assert_eq!(offset!(GpioV2LineRequest, fd), 588);
        assert_eq!(offset!(GpioV2LineInfo, offset), 64);
        assert_eq!(offset!(GpioV2LineInfo, flags), 72);
        assert_eq!(offset!(GpioV2LineInfo, attrs), 80);
        assert_eq!(offset!(GpioV2LineInfo, padding), 240);
        assert_eq!(offset!(GpioV2LineEvent, id), 8);
        assert_eq!(offset!(GpioV2LineEvent, offset), 12);
        assert_eq!(offset!(GpioV2LineEvent, seqno), 16);
    }

    #[test]
    fn spi_and_dma_heap_field_offsets_match_the_kernel() {
        assert_eq!(offset!(SpiIocTransfer, len), 16);
        assert_eq!(offset!(SpiIocTransfer, speed_hz), 20);
        assert_eq!(offset!(SpiIocTransfer, delay_usecs), 24);
        assert_eq!(offset!(SpiIocTransfer, bits_per_word), 26);
        assert_eq!(offset!(SpiIocTransfer, word_delay_usecs), 30);
        assert_eq!(offset!(DmaHeapAllocationData, fd), 8);
        assert_eq!(offset!(DmaHeapAllocationData, heap_flags), 16);
    }

    #[test]
    fn names_are_nul_padded_and_cut() {
        let mut field = [0xFFu8; 8];
        set_name(&mut field, "consumer-name");
        assert_eq!(&field, b"consume\0");
        assert_eq!(name_text(&field), "consume");
        set_name(&mut field, "ab");
        assert_eq!(name_text(&field), "ab");
        assert_eq!(field[3..], [0; 5]);
    }
}
