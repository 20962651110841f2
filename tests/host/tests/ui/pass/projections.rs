// SPDX-License-Identifier: GPL-2.0

//! The valid neighbours of the compile-fail cases build.

use kernel::io::{io_project, io_write, Align8, Io, Region, SysMem};

#[repr(C)]
struct Regs {
    ctrl: u32,
    data: [u32; 4],
}

fn main() {
    let mut regs = Regs {
        ctrl: 0,
        data: [0; 4],
    };
    let io = SysMem::from_mut(&mut regs);
    io_write!(io, .data[build: 3], 1);
    let _ = io_project!(io, .data[build: 1..4]);

    let mut words = [0u64; 2];
    let bytes = zerocopy::IntoBytes::as_mut_bytes(&mut words);
    let io = SysMem::<Region<16, Align8>>::try_from_bytes(bytes).unwrap();
    io.write64(1, 8);
}
