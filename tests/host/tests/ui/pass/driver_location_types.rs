// SPDX-License-Identifier: GPL-2.0

//! A driver's own location types, on every base a driver can name: 7.3 leaves the location side
//! open, so a driver may implement `IoLoc` for a type of its own, per base or for every base at
//! once, and for a struct of its own as the base. None of these impls may overlap one of the
//! layer's (E0119), whether or not the struct opted in with `RegisterBlock`.

use kernel::io::{Align8, Io, IoLoc, Region, RegisterBlock, SysMem};
use kernel::prelude::*;

/// The doorbell at offset 4: one base at a time.
struct Doorbell;

impl IoLoc<[u8], u32> for Doorbell {
    type IoType = u32;
    fn offset(self) -> usize {
        4
    }
}

impl<const SIZE: usize> IoLoc<Region<SIZE>, u32> for Doorbell {
    type IoType = u32;
    fn offset(self) -> usize {
        4
    }
}

impl<const SIZE: usize> IoLoc<Region<SIZE, Align8>, u32> for Doorbell {
    type IoType = u32;
    fn offset(self) -> usize {
        4
    }
}

/// The status byte at offset 1: every base at once.
struct Status;

impl<Base: ?Sized> IoLoc<Base, u8> for Status {
    type IoType = u8;
    fn offset(self) -> usize {
        1
    }
}

/// A register block that opted in, and one that did not.
#[repr(C)]
#[derive(FromBytes, IntoBytes)]
struct Opted {
    ctrl: u32,
    doorbell: u32,
}

impl RegisterBlock for Opted {}

#[repr(C)]
#[derive(FromBytes, IntoBytes)]
struct Plain {
    ctrl: u32,
    doorbell: u32,
}

impl IoLoc<Opted, u32> for Doorbell {
    type IoType = u32;
    fn offset(self) -> usize {
        4
    }
}

impl IoLoc<Plain, u32> for Doorbell {
    type IoType = u32;
    fn offset(self) -> usize {
        4
    }
}

/// A driver's offsets into its own struct, as 7.3 allows.
impl IoLoc<Plain, u16> for usize {
    type IoType = u16;
    fn offset(self) -> usize {
        self
    }
}

fn main() {
    let mut words = [0u64; 2];
    {
        let bytes = zerocopy::IntoBytes::as_mut_bytes(&mut words);
        let io = SysMem::from_mut(&mut bytes[..]);
        // A byte view's size is only known at runtime: its accesses are checked then.
        io.try_write(Doorbell, 0x11).unwrap();
        io.try_write(Status, 0x22u8).unwrap();
        assert_eq!(io.try_read(Doorbell), Ok(0x11));
        assert_eq!(io.try_read::<u8, _>(Status), Ok(0x22));
    }
    assert_eq!(words[0].to_le_bytes()[1], 0x22);

    let bytes = zerocopy::IntoBytes::as_mut_bytes(&mut words);
    let io = SysMem::<Region<16>>::try_from_bytes(bytes).unwrap();
    io.write(Doorbell, 0x33);
    assert_eq!(io.read32(4), 0x33);
    assert_eq!(io.read::<u8, _>(Status), 0x22);

    let bytes = zerocopy::IntoBytes::as_mut_bytes(&mut words);
    let io = SysMem::<Region<16, Align8>>::try_from_bytes(bytes).unwrap();
    io.write(Doorbell, 0x44);
    assert_eq!(io.try_read32(4), Ok(0x44));

    let mut opted = Opted {
        ctrl: 0,
        doorbell: 0,
    };
    let io = SysMem::from_mut(&mut opted);
    io.write(Doorbell, 0x55);
    io.write(0usize, 0x66u32);
    assert_eq!(io.read::<u8, _>(Status), 0);
    assert_eq!((opted.ctrl, opted.doorbell), (0x66, 0x55));

    let mut plain = Plain {
        ctrl: 0,
        doorbell: 0,
    };
    let io = SysMem::from_mut(&mut plain);
    io.write(Doorbell, 0x77);
    io.write(2usize, 0x88u16);
    io.write(Status, 0x99u8);
    assert_eq!(plain.doorbell, 0x77);
    assert_eq!(plain.ctrl.to_ne_bytes()[1], 0x99);
}
