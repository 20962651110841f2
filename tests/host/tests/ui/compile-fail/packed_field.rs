// SPDX-License-Identifier: GPL-2.0

//! A field of a packed struct may be misaligned, so it cannot be projected to.

use kernel::io::{io_read, SysMem};

#[repr(C, packed)]
struct Packed {
    tag: u8,
    value: u32,
}

fn main() {
    let mut p = Packed { tag: 0, value: 0 };
    let io = SysMem::from_mut(&mut p);
    let _ = io_read!(io, .value);
}
