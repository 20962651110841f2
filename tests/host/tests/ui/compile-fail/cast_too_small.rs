// SPDX-License-Identifier: GPL-2.0

//! A build-checked cast needs a location known to be large enough.

use kernel::io::{Io, Region, SysMem};
use kernel::prelude::*;

#[repr(C)]
#[derive(FromBytes, IntoBytes)]
struct Regs {
    id: u32,
    ctrl: u32,
    status: u32,
}

fn main() {
    let mut words = [0u32; 4];
    // Only 8 bytes are known at build time, though the buffer has 16.
    let io = SysMem::<Region<8>>::try_from_bytes(words.as_mut_bytes()).unwrap();
    let _ = io.cast::<Regs>();
}
