// SPDX-License-Identifier: GPL-2.0

//! A build-checked window must fit in the location's known size.

use kernel::io::{Io, Region, SysMem};
use kernel::prelude::*;

fn main() {
    let mut words = [0u32; 8];
    let io = SysMem::<Region<32>>::try_from_bytes(words.as_mut_bytes()).unwrap();
    let _ = io.window::<Region<16>, 24>();
}
