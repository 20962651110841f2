// SPDX-License-Identifier: GPL-2.0

//! A 32-bit kernel has no single 64-bit access: no backend has `IoCapable<u64>` there, so neither
//! `read64()` at an offset nor a whole `u64` location read or written in one access builds, on
//! system memory as on MMIO. `pass-32bit/split_64bit.rs` is the same code with the split forms.

use kernel::io::{io_read, io_write, Align8, Io, Mmio, Region, SysMem};

#[repr(C)]
struct Regs {
    ctrl: u32,
    status: u32,
    counter: u64,
}

fn on_mmio(regs: Mmio<'_, Regs>) -> u64 {
    io_read!(regs, .counter)
}

fn main() {
    let mut words = [0u64; 2];
    let bytes = zerocopy::IntoBytes::as_mut_bytes(&mut words);
    let io = SysMem::<Region<16, Align8>>::try_from_bytes(bytes).unwrap();
    io.write64(1, 8);

    let mut regs = Regs {
        ctrl: 0,
        status: 0,
        counter: 0,
    };
    let io = SysMem::from_mut(&mut regs);
    io_write!(io, .counter, 2);
    let _ = on_mmio;
}
