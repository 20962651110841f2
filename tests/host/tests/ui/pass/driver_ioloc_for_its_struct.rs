// SPDX-License-Identifier: GPL-2.0

//! A driver written for 7.3 may make plain offsets locations in a register block of its own;
//! that impl must not collide with the layer's (E0119) when the block is plain data.

use kernel::io::{Io, IoLoc, SysMem};
use kernel::prelude::*;

#[repr(C)]
#[derive(FromBytes, IntoBytes)]
struct MyRegs {
    ctrl: u32,
    status: u32,
}

impl IoLoc<MyRegs, u32> for usize {
    type IoType = u32;

    fn offset(self) -> usize {
        self
    }
}

fn main() {
    let mut regs = MyRegs { ctrl: 0, status: 7 };
    let io = SysMem::from_mut(&mut regs);
    io.write(0usize, 5u32);
    assert_eq!(io.read::<u32, _>(4usize), 7);
    assert_eq!(regs.ctrl, 5);
}
