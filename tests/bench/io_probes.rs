// SPDX-License-Identifier: GPL-2.0

//! Code generation probes of the I/O layer: one access per function.
//!
//! Each probe is a `#[no_mangle]`, `#[inline(never)]` function that takes a view or an owner and
//! makes exactly one access through the layer, so that its disassembly is the cost of that one
//! access. `io_probes_c.c` makes the same accesses in C with the kernel's accessors.
//!
//! Only the API of Linux 7.3 is used, so the same file builds against this project's kernel and
//! against an unmodified 7.3 one: `tests/harness/codegen.sh` (part of `make test`) compares ours
//! with C, `tests/harness/bench.sh` (`make bench`) adds upstream. Nothing here is ever called;
//! loading the module does nothing.

use core::cell::Cell;

use kernel::{
    device::Bound,
    dma::Coherent,
    io::{
        io_read,
        io_write,
        Io,
        Mmio,
        Region,
        SysMem, //
    },
    pci,
    prelude::*, //
};

/// A register block: every probe of a typed view accesses one of its fields.
#[repr(C)]
pub struct Regs {
    /// At offset 0, where no displacement is needed to reach it.
    pub ctrl: u32,
    /// At offset 4.
    pub status: u32,
    /// At offset 8.
    pub doorbell: u32,
    /// The rest of a 64-byte block.
    pub data: [u32; 13],
}

/// A projected field read on MMIO (`readl()`), at a non-zero offset.
#[no_mangle]
#[inline(never)]
pub extern "Rust" fn probe_mmio_read(regs: Mmio<'_, Regs>) -> u32 {
    io_read!(regs, .status)
}

/// A projected field read on MMIO (`readl()`), at offset 0.
#[no_mangle]
#[inline(never)]
pub extern "Rust" fn probe_mmio_read0(regs: Mmio<'_, Regs>) -> u32 {
    io_read!(regs, .ctrl)
}

/// A byte read at offset 0 (`readb()`).
#[no_mangle]
#[inline(never)]
pub extern "Rust" fn probe_mmio_read8(reg: Mmio<'_, u8>) -> u8 {
    reg.read_val()
}

/// A 16-bit read at offset 0 (`readw()`).
#[no_mangle]
#[inline(never)]
pub extern "Rust" fn probe_mmio_read16(reg: Mmio<'_, u16>) -> u16 {
    reg.read_val()
}

/// A 64-bit read at offset 0 (`readq()`). A 32-bit kernel has no 64-bit access, and no probe of
/// one on either side.
#[cfg(CONFIG_64BIT)]
#[no_mangle]
#[inline(never)]
pub extern "Rust" fn probe_mmio_read64(reg: Mmio<'_, u64>) -> u64 {
    reg.read_val()
}

/// A byte write at offset 0 (`writeb()`).
#[no_mangle]
#[inline(never)]
pub extern "Rust" fn probe_mmio_write8(reg: Mmio<'_, u8>, value: u8) {
    reg.write_val(value)
}

/// A 16-bit write at offset 0 (`writew()`).
#[no_mangle]
#[inline(never)]
pub extern "Rust" fn probe_mmio_write16(reg: Mmio<'_, u16>, value: u16) {
    reg.write_val(value)
}

/// A 64-bit write at offset 0 (`writeq()`), on 64-bit kernels only.
#[cfg(CONFIG_64BIT)]
#[no_mangle]
#[inline(never)]
pub extern "Rust" fn probe_mmio_write64(reg: Mmio<'_, u64>, value: u64) {
    reg.write_val(value)
}

/// A projected field write on MMIO (`writel()`).
#[no_mangle]
#[inline(never)]
pub extern "Rust" fn probe_mmio_write(regs: Mmio<'_, Regs>, value: u32) {
    io_write!(regs, .doorbell, value)
}

/// A projected field read through a relaxed view (`readl_relaxed()`).
#[no_mangle]
#[inline(never)]
pub extern "Rust" fn probe_relaxed_read(regs: Mmio<'_, Regs>) -> u32 {
    io_read!(regs.relaxed(), .status)
}

/// A projected field write through a relaxed view (`writel_relaxed()`).
#[no_mangle]
#[inline(never)]
pub extern "Rust" fn probe_relaxed_write(regs: Mmio<'_, Regs>, value: u32) {
    io_write!(regs.relaxed(), .doorbell, value)
}

/// Stores to normal memory on both sides of an ordered MMIO write.
///
/// `writel()` is a compiler barrier: the store of 1 must stay, before the write.
#[no_mangle]
#[inline(never)]
pub extern "Rust" fn probe_ordered_fence(regs: Mmio<'_, Regs>, flag: &Cell<u32>) {
    flag.set(1);
    io_write!(regs, .ctrl, 0);
    flag.set(2);
}

/// Stores to normal memory on both sides of a relaxed MMIO write.
///
/// `writel_relaxed()` is no compiler barrier for normal memory: the store of 1 is dead, and the
/// compiler may drop it.
#[no_mangle]
#[inline(never)]
pub extern "Rust" fn probe_relaxed_fence(regs: Mmio<'_, Regs>, flag: &Cell<u32>) {
    flag.set(1);
    io_write!(regs.relaxed(), .ctrl, 0);
    flag.set(2);
}

/// A constant-offset read from a PCI BAR owner, as drivers write it.
#[no_mangle]
#[inline(never)]
pub extern "Rust" fn probe_bar_read(bar: &pci::Bar<'_, 0x100>) -> u32 {
    bar.read32(0x10)
}

/// A runtime-checked read at a runtime offset (`try_read32`).
#[no_mangle]
#[inline(never)]
pub extern "Rust" fn probe_try_read32(bar: Mmio<'_, Region<0x100>>, offset: usize) -> Result<u32> {
    bar.try_read32(offset)
}

/// A projected field read on system memory (`READ_ONCE()`).
#[no_mangle]
#[inline(never)]
pub extern "Rust" fn probe_sysmem_read(mem: SysMem<'_, Regs>) -> u32 {
    io_read!(mem, .status)
}

/// A projected field write on system memory (`WRITE_ONCE()`).
#[no_mangle]
#[inline(never)]
pub extern "Rust" fn probe_sysmem_write(mem: SysMem<'_, Regs>, value: u32) {
    io_write!(mem, .doorbell, value)
}

/// A projected field read from a coherent DMA allocation, through its owner.
#[no_mangle]
#[inline(never)]
pub extern "Rust" fn probe_coherent_read(ring: &Coherent<Regs>) -> u32 {
    io_read!(ring, .status)
}

/// A projected field write to a coherent DMA allocation, through its owner.
#[no_mangle]
#[inline(never)]
pub extern "Rust" fn probe_coherent_write(ring: &Coherent<Regs>, value: u32) {
    io_write!(ring, .doorbell, value)
}

/// A constant-offset read of PCI configuration space (`pci_read_config_dword()`).
#[no_mangle]
#[inline(never)]
pub extern "Rust" fn probe_config_read(pdev: &pci::Device<Bound>) -> u32 {
    pdev.config_space().read32(0x10)
}

struct IoProbes;

impl kernel::Module for IoProbes {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        Ok(IoProbes)
    }
}

module! {
    type: IoProbes,
    name: "io_probes",
    authors: ["Typed I/O project"],
    description: "Code generation probes of the typed I/O layer (never called)",
    license: "GPL",
}
