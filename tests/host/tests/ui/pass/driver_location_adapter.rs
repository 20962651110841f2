// SPDX-License-Identifier: GPL-2.0

//! A generic adapter of a driver's, over any location on any base: `Plus<L>` is `L` moved by a
//! fixed stride, as a driver might write for a second instance of a register bank. 7.3 allows it,
//! so no impl of the layer's may overlap it (E0119). It is used here with the layer's own
//! locations (offsets) on every base a driver can name, and with a location of its own.

use kernel::io::{Align8, Io, IoLoc, Region, RegisterBlock, SysMem};
use kernel::prelude::*;

/// `L`, one bank of eight bytes further on.
struct Plus<L>(L);

impl<Base: ?Sized, T, L: IoLoc<Base, T>> IoLoc<Base, T> for Plus<L> {
    type IoType = L::IoType;
    fn offset(self) -> usize {
        self.0.offset() + 8
    }
}

/// A driver's own location: the control word of a bank.
struct Ctrl;

impl<Base: ?Sized> IoLoc<Base, u32> for Ctrl {
    type IoType = u32;
    fn offset(self) -> usize {
        0
    }
}

#[repr(C)]
#[derive(FromBytes, IntoBytes)]
struct Banks {
    bank: [[u32; 2]; 2],
}

impl RegisterBlock for Banks {}

fn main() {
    let mut words = [0u64; 2];
    {
        let bytes = zerocopy::IntoBytes::as_mut_bytes(&mut words);
        let io = SysMem::from_mut(&mut bytes[..]);
        // A byte view's size is only known at runtime: its accesses are checked then.
        io.try_write(Plus(4usize), 0x11u32).unwrap();
        io.try_write(Plus(Ctrl), 0x22).unwrap();
        assert_eq!(io.try_read::<u32, _>(Plus(4usize)), Ok(0x11));
        assert_eq!(
            io.try_read::<u32, _>(Plus(Plus(4usize))).err(),
            Some(ERANGE)
        );
    }
    assert_eq!(words[1], 0x11_0000_0022);

    let bytes = zerocopy::IntoBytes::as_mut_bytes(&mut words);
    let io = SysMem::<Region<16>>::try_from_bytes(bytes).unwrap();
    io.write(Plus(0usize), 0x33u32);
    assert_eq!(io.read32(8), 0x33);
    assert_eq!(io.read(Plus(Ctrl)), 0x33);

    let bytes = zerocopy::IntoBytes::as_mut_bytes(&mut words);
    let io = SysMem::<Region<16, Align8>>::try_from_bytes(bytes).unwrap();
    io.write(Plus(Ctrl), 0x44);
    assert_eq!(io.read::<u64, _>(Plus(0usize)), 0x11_0000_0044);

    let mut banks = Banks { bank: [[0; 2]; 2] };
    let io = SysMem::from_mut(&mut banks);
    io.write(Plus(4usize), 0x55u32);
    io.write(Plus(Ctrl), 0x66);
    io.write(Ctrl, 0x77);
    assert_eq!(banks.bank, [[0x77, 0], [0x66, 0x55]]);
}
