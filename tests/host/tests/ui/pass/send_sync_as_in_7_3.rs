// SPDX-License-Identifier: GPL-2.0

//! 7.3's `Send`/`Sync`: every view type that 7.3 has (and the ones this layer adds) may cross
//! threads when its target is `Sync`, so a driver can keep one in its device data or hand it to a
//! work item. Two threads then write through copies of one view, each its own half of a buffer.

use kernel::io::{
    io_write, IoSysMap, Mmio, MmioRaw, PortIo, Region, RelaxedMmio, SysMem, SysMemBackend,
};

fn send_sync<T: Send + Sync>() {}

/// Every view type, generic over its target: the bound is `T: Sync`, as in 7.3.
fn views_of<T: ?Sized + Sync + kernel::ptr::KnownSize>() {
    send_sync::<MmioRaw<T>>();
    send_sync::<Mmio<'static, T>>();
    send_sync::<RelaxedMmio<'static, T>>();
    send_sync::<SysMem<'static, T>>();
    send_sync::<IoSysMap<'static, T>>();
    send_sync::<PortIo<'static, T>>();
    send_sync::<kernel::io::EitherView<'static, SysMemBackend, SysMemBackend, T>>();
}

/// A driver's device data holding views, as 7.3 allows.
struct DeviceData<'a> {
    regs: Mmio<'a, Region<64>>,
    shared: IoSysMap<'a, [u32]>,
}

fn main() {
    views_of::<u32>();
    views_of::<[u8]>();
    views_of::<Region<16>>();
    send_sync::<DeviceData<'static>>();

    let mut words = [0u32; 8];
    let io = SysMem::from_mut(&mut words);
    std::thread::scope(|s| {
        s.spawn(move || (0..4).for_each(|i| io_write!(io, [panic: i], i as u32 + 1)));
        s.spawn(move || (4..8).for_each(|i| io_write!(io, [panic: i], i as u32 + 1)));
    });
    assert_eq!(words, [1, 2, 3, 4, 5, 6, 7, 8]);
}
