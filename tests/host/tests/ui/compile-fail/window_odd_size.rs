// SPDX-License-Identifier: GPL-2.0

//! A build-checked window is as long as its region type's build-time size, which must be a
//! multiple of the region's alignment: a 6-byte `Region` would break `Region`'s invariant.

use kernel::io::{Io, Region, SysMem};
use kernel::prelude::*;

fn main() {
    let mut words = [0u32; 4];
    let io = SysMem::<Region<16>>::try_from_bytes(words.as_mut_bytes()).unwrap();
    let _ = io.window::<Region<6>, 0>();
}
