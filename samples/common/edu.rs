// SPDX-License-Identifier: GPL-2.0

//! QEMU's `edu` device (PCI 1234:11e8), as the drivers that bind it see it: its registers in
//! BAR0, the bits of its DMA command, and accessors of its 64-bit DMA registers that work on
//! 32-bit kernels too. The guide's cookbook shows the code between the markers.

use kernel::{
    io::{
        Io,
        Mmio, //
    },
    prelude::*,
};

// [recipe:edu-registers]
/// The registers of edu at the start of its BAR0, as QEMU's `docs/specs/edu.rst` lists them,
/// with explicit padding where the device has holes. The device answers only 32-bit accesses
/// below 0x80 and 32- or 64-bit ones from 0x80 on, which is what the field types give.
#[repr(C)]
#[derive(FromBytes, IntoBytes)]
pub(crate) struct EduRegs {
    /// Identification: `0xRRrr00ed` for version RR.rr.
    pub(crate) id: u32,
    /// Reads back the bitwise inverse of the last value written.
    pub(crate) liveness: u32,
    /// Write n to start a computation, read n! once it is done.
    pub(crate) factorial: u32,
    _reserved0: [u32; 5],
    /// Bit 0: a factorial is being computed (read-only); bit 7: interrupt when done.
    pub(crate) status: u32,
    /// Pending interrupt causes.
    pub(crate) irq_status: u32,
    _reserved1: [u32; 14],
    /// Writing raises the given interrupt causes.
    pub(crate) irq_raise: u32,
    /// Writing acknowledges the given interrupt causes.
    pub(crate) irq_ack: u32,
    _reserved2: [u32; 6],
    /// DMA source address.
    pub(crate) dma_src: u64,
    /// DMA destination address.
    pub(crate) dma_dst: u64,
    /// DMA transfer length in bytes.
    pub(crate) dma_count: u64,
    /// DMA command: start, direction, interrupt on completion.
    pub(crate) dma_cmd: u64,
}

// The layout is the device's: checked when the driver is built.
const _: () = {
    use core::mem::{
        offset_of,
        size_of, //
    };
    assert!(offset_of!(EduRegs, liveness) == 0x04);
    assert!(offset_of!(EduRegs, factorial) == 0x08);
    assert!(offset_of!(EduRegs, status) == 0x20);
    assert!(offset_of!(EduRegs, irq_status) == 0x24);
    assert!(offset_of!(EduRegs, irq_raise) == 0x60);
    assert!(offset_of!(EduRegs, irq_ack) == 0x64);
    assert!(offset_of!(EduRegs, dma_src) == 0x80);
    assert!(offset_of!(EduRegs, dma_dst) == 0x88);
    assert!(offset_of!(EduRegs, dma_count) == 0x90);
    assert!(offset_of!(EduRegs, dma_cmd) == 0x98);
    assert!(size_of::<EduRegs>() == 0xa0);
};
// [end recipe:edu-registers]

// Its views take `register!` locations, as a region does.
impl kernel::io::RegisterBlock for EduRegs {}

/// The identification register of edu version 1.0.
pub(crate) const EDU_ID: u32 = 0x0100_00ed;
/// `dma_cmd`: start a transfer; the device clears it when the transfer is done.
pub(crate) const DMA_START: u64 = 1 << 0;
/// `dma_cmd`: transfer from the device's buffer to RAM (clear: from RAM to the device).
pub(crate) const DMA_TO_RAM: u64 = 1 << 1;
/// Where the device's 4 KiB DMA buffer sits in the addresses its DMA engine takes.
pub(crate) const DEVICE_BUFFER: u64 = 0x4_0000;

// [recipe:dma-register]
/// Reads one of edu's 64-bit DMA registers: one access on a 64-bit kernel. A 32-bit kernel has
/// no 64-bit access; it reads the low half, at the register's address, which is all edu answers
/// there (the address of the high half reads as all ones): enough for the values a driver writes,
/// which fit in 32 bits under a 32-bit DMA mask.
pub(crate) fn read_dma_reg(reg: Mmio<'_, u64>) -> u64 {
    #[cfg(CONFIG_64BIT)]
    let value = reg.read_val();
    #[cfg(not(CONFIG_64BIT))]
    let value = u64::from(kernel::io::io_read!(reg.cast::<[u32; 2]>(), [build: 0]));
    value
}

/// Writes one of edu's 64-bit DMA registers: one access on a 64-bit kernel; on a 32-bit kernel,
/// two 32-bit ones by name, the low half first (C's `lo_hi_writeq()`). edu takes the low half as
/// the whole register (zero-extended) and ignores the high one, so a value that does not fit in
/// 32 bits reads back different.
pub(crate) fn write_dma_reg(reg: Mmio<'_, u64>, value: u64) {
    #[cfg(CONFIG_64BIT)]
    reg.write_val(value);
    #[cfg(not(CONFIG_64BIT))]
    reg.write_lo_hi(value);
}
// [end recipe:dma-register]
