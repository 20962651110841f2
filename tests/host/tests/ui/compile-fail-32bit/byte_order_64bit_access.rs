// SPDX-License-Identifier: GPL-2.0

//! Nor do the 64-bit byte-order types have an access of their own on a 32-bit kernel: a `Le64`
//! or `Be64` location is two `Le32` or `Be32` halves there (`pass-32bit/split_64bit.rs`).

use kernel::io::{Io, Le64, SysMem};

fn main() {
    let mut value = Le64::new(0);
    let io = SysMem::from_mut(&mut value);
    io.write_val(Le64::new(0x0102_0304_0506_0708));
}
