// SPDX-License-Identifier: GPL-2.0

//! `KnownSize` is a safe trait, so a driver's own dynamically sized type can claim any size. A
//! view built from a borrow of it would be checked against that claim: `SysMem::from_mut` only
//! takes types whose sizes are vouched for (`ExactSize`).

use kernel::io::{Io, SysMem};
use kernel::ptr::{Alignment, KnownSize};

/// A header and a payload of runtime length.
#[repr(C)]
struct Frame<D: ?Sized> {
    len: u32,
    data: D,
}

impl KnownSize for Frame<[u8]> {
    const MIN_SIZE: usize = 4;
    const MIN_ALIGN: Alignment = Alignment::new::<4>();

    fn size(p: *const Self) -> usize {
        // 64 bytes more than the value has.
        4 + (p as *const [u8]).len() + 64
    }
}

fn main() {
    let mut frame = Frame {
        len: 4,
        data: [0u8; 4],
    };
    let frame: &mut Frame<[u8]> = &mut frame;
    let io = SysMem::from_mut(frame);
    let _ = io.size();
}
