// SPDX-License-Identifier: GPL-2.0

//! A build-checked 64-bit access needs a region that guarantees 8-byte alignment.

use kernel::io::{Io, Region, SysMem};

fn main() {
    let mut words = [0u64; 2];
    let bytes = zerocopy::IntoBytes::as_mut_bytes(&mut words);
    let io = SysMem::<Region<16>>::try_from_bytes(bytes).unwrap();
    let _ = io.read64(8);
}
