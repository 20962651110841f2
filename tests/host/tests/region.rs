// SPDX-License-Identifier: GPL-2.0

//! Typed pointers and regions: `MmioRaw`, `Region` and its alignments.

mod common;

use common::Aligned;
use kernel::io::{Align4, Align8, MmioRaw, Region, RegionAlign};
use kernel::prelude::*;
use kernel::ptr::KnownSize;

fn addr(a: usize) -> *mut u8 {
    core::ptr::without_provenance_mut(a)
}

#[test]
fn region_checked_constructor_accepts_valid_regions() {
    let p = Region::<16>::ptr_try_from_raw_parts_mut(addr(0x1000), 16).unwrap();
    assert_eq!(p.addr(), 0x1000);
    assert_eq!(<Region<16> as KnownSize>::size(p), 16);
    let p = Region::<0, Align8>::ptr_try_from_raw_parts_mut(addr(0x2008), 24).unwrap();
    assert_eq!(<Region<0, Align8> as KnownSize>::size(p), 24);
    // An empty region is valid when nothing is required.
    assert!(Region::<0>::ptr_try_from_raw_parts_mut(addr(0x1000), 0).is_ok());
}

#[test]
fn region_checked_constructor_rejects_each_broken_invariant() {
    // Smaller than the build-time size.
    assert_eq!(
        Region::<32>::ptr_try_from_raw_parts_mut(addr(0x1000), 28),
        Err(EINVAL)
    );
    // Base not aligned.
    assert_eq!(
        Region::<0>::ptr_try_from_raw_parts_mut(addr(0x1002), 16),
        Err(EINVAL)
    );
    assert_eq!(
        Region::<0, Align8>::ptr_try_from_raw_parts_mut(addr(0x1004), 16),
        Err(EINVAL)
    );
    // Size not a multiple of the alignment.
    assert_eq!(
        Region::<0>::ptr_try_from_raw_parts_mut(addr(0x1000), 18),
        Err(EINVAL)
    );
    assert_eq!(
        Region::<0, Align8>::ptr_try_from_raw_parts_mut(addr(0x1000), 20),
        Err(EINVAL)
    );
}

#[test]
fn region_unchecked_constructor_keeps_address_and_size() {
    let p = Region::<8>::ptr_from_raw_parts_mut(addr(0x1234), 6);
    assert_eq!(p.addr(), 0x1234);
    assert_eq!(<Region<8> as KnownSize>::size(p), 6);
}

#[test]
fn region_known_size_bounds_follow_the_parameters() {
    assert_eq!(<Region<0x40> as KnownSize>::MIN_SIZE, 0x40);
    assert_eq!(<Region<0x40> as KnownSize>::MIN_ALIGN.as_usize(), 4);
    assert_eq!(<Region<0x40, Align8> as KnownSize>::MIN_ALIGN.as_usize(), 8);
    assert_eq!(Align4::ALIGN.as_usize(), 4);
    assert_eq!(Align8::ALIGN.as_usize(), 8);
    assert_eq!(core::mem::align_of::<Align8>(), 8);
}

#[test]
fn mmio_raw_describes_typed_locations() {
    let raw = MmioRaw::<u32>::new(0xfee0_0000);
    assert_eq!(raw.addr(), 0xfee0_0000);
    assert_eq!(raw.size(), 4);
    assert_eq!(raw.as_ptr().addr(), 0xfee0_0000);

    let region = MmioRaw::<Region<0x100>>::new_region(0xfe00_0000, 0x1000).unwrap();
    assert_eq!(region.addr(), 0xfe00_0000);
    assert_eq!(region.size(), 0x1000);
    assert_eq!(
        MmioRaw::<Region<0x100>>::new_region(0xfe00_0000, 0x80).err(),
        Some(EINVAL)
    );
    assert_eq!(
        MmioRaw::<Region<0, Align8>>::new_region(0xfe00_0004, 8).err(),
        Some(EINVAL)
    );

    let mut buf = Aligned::<8>::new();
    let raw = MmioRaw::from_ptr(&raw mut buf.0[..]);
    assert_eq!(raw.size(), 8);
    assert_eq!(raw.addr(), buf.0.as_ptr().addr());
}

// Pointers may cross threads whatever they point to; views of every backend may when their target
// is `Sync`, as in 7.3 (`tests/threads.rs` and the `send_sync_as_in_7_3` pass case use them so).
#[test]
fn pointers_and_views_are_thread_safe_handles() {
    fn send_sync<T: Send + Sync>() {}
    send_sync::<MmioRaw<core::cell::Cell<u32>>>();
    send_sync::<MmioRaw<Region>>();
    send_sync::<kernel::io::Mmio<'static, Region>>();
    send_sync::<kernel::io::RelaxedMmio<'static, [u32]>>();
    send_sync::<kernel::io::PortIo<'static, [u8]>>();
    send_sync::<kernel::io::SysMem<'static, [u8]>>();
    send_sync::<kernel::io::IoSysMap<'static, Region>>();
}
