// SPDX-License-Identifier: GPL-2.0

//! A union field projects inside the driver's `unsafe` block, where the driver vouches that the
//! bytes it reads were written.

use kernel::io::{io_read, io_write, SysMem};

#[repr(C)]
union Reg {
    narrow: u8,
    wide: u32,
}

fn main() {
    let mut reg = Reg { wide: 0 };
    let io = SysMem::from_mut(&mut reg);
    // SAFETY: All four bytes of `reg` were written by its initializer.
    let wide = unsafe { io_read!(io, .wide) };
    assert_eq!(wide, 0);
    // SAFETY: Writing a field never exposes uninitialized bytes.
    unsafe { io_write!(io, .narrow, 0xff) };
    // SAFETY: As above: all four bytes stay initialized.
    assert_eq!(
        unsafe { io_read!(io, .wide) },
        u32::from_ne_bytes([0xff, 0, 0, 0])
    );
}
