// SPDX-License-Identifier: GPL-2.0

//! What a 32-bit kernel has of 64-bit locations builds there: each is two 32-bit halves, through
//! the split forms on a `u64` view (`read_lo_hi()` and the others), a `u64` cast of an 8-byte
//! window at a constant offset, and the `Le32` halves of a `Le64`. The neighbours of the cases
//! of `compile-fail-32bit`.

use kernel::io::{io_project, io_read, io_write, Align8, Io, Le32, Le64, Mmio, Region, SysMem};

#[repr(C)]
struct Regs {
    ctrl: u32,
    status: u32,
    counter: u64,
}

fn on_mmio(regs: Mmio<'_, Regs>) -> u64 {
    io_project!(regs, .counter).read_lo_hi()
}

fn main() {
    let mut words = [0u64; 2];
    let bytes = zerocopy::IntoBytes::as_mut_bytes(&mut words);
    let io = SysMem::<Region<16, Align8>>::try_from_bytes(bytes).unwrap();
    io.window::<Region<8, Align8>, 8>()
        .cast::<u64>()
        .write_hi_lo(1);
    assert_eq!(words[1], 1);

    let mut regs = Regs {
        ctrl: 0,
        status: 0,
        counter: 0,
    };
    let io = SysMem::from_mut(&mut regs);
    io_project!(io, .counter).write_lo_hi(2);
    assert_eq!(io_project!(io, .counter).read_hi_lo(), 2);
    let _ = on_mmio;

    let mut value = Le64::new(0);
    let halves = SysMem::from_mut(&mut value).cast::<[Le32; 2]>();
    io_write!(halves, [build: 0], Le32::new(0x0506_0708));
    io_write!(halves, [build: 1], Le32::new(0x0102_0304));
    assert_eq!(io_read!(halves, [build: 1]).get(), 0x0102_0304);
    assert_eq!(value.get(), 0x0102_0304_0506_0708);
}
