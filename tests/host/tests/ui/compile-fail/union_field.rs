// SPDX-License-Identifier: GPL-2.0

//! A union field projects only inside the driver's own `unsafe` block: after a write to the
//! narrow field, a read of the wide one would read uninitialized bytes.

use kernel::io::{io_read, io_write, SysMem};

#[repr(C)]
union Reg {
    narrow: u8,
    wide: u32,
}

fn main() {
    let mut reg = Reg { narrow: 1 };
    let io = SysMem::from_mut(&mut reg);
    io_write!(io, .narrow, 2);
    let _ = io_read!(io, .wide);
}
