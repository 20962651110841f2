// SPDX-License-Identifier: GPL-2.0

//! A constant index past the end of an array is a build error, not a runtime one.

use kernel::io::{io_write, SysMem};

fn main() {
    let mut regs = [0u32; 4];
    let io = SysMem::from_mut(&mut regs);
    io_write!(io, [build: 4], 1);
}
