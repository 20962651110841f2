// SPDX-License-Identifier: GPL-2.0

//! A driver's own dynamically sized type gets a view from a borrow once the driver vouches for
//! its `KnownSize` (`unsafe impl ExactSize`), and the view is checked against its real size.

use kernel::io::{io_project, ExactSize, Io, SysMem};
use kernel::prelude::*;
use kernel::ptr::{Alignment, KnownSize};
use zerocopy::{FromBytes, IntoBytes, KnownLayout};

/// A header and a payload of runtime length.
#[repr(C)]
#[derive(FromBytes, IntoBytes, KnownLayout)]
struct Frame {
    len: u32,
    data: [u32],
}

impl KnownSize for Frame {
    const MIN_SIZE: usize = 4;
    const MIN_ALIGN: Alignment = Alignment::new::<4>();

    fn size(p: *const Self) -> usize {
        4 + 4 * (p as *const [u32]).len()
    }
}

// SAFETY: `size` is the header plus the payload, which is `size_of_val` (every field is 4-byte
// aligned, so there is no padding); the type is at least 4 bytes long and 4-byte aligned.
unsafe impl ExactSize for Frame {}

fn run(frame: &mut Frame) -> Result<u32> {
    let io = SysMem::from_mut(frame);
    assert_eq!(io.size(), 12);
    let bytes = io.as_bytes();
    assert_eq!(
        io_project!(bytes, [try: 8..12])
            .try_cast::<u32>()?
            .read_val(),
        20
    );
    let past_end = || -> Result<usize> { Ok(io_project!(bytes, [try: 12..16]).len()) };
    assert_eq!(past_end(), Err(ERANGE));
    Ok(io.try_cast::<u32>()?.read_val())
}

fn main() {
    let mut words = [2u32, 10, 20];
    let frame = Frame::mut_from_bytes(words.as_mut_bytes()).unwrap();
    assert_eq!(run(frame), Ok(2));
}
