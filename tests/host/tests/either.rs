// SPDX-License-Identifier: GPL-2.0

//! `EitherView` over two backends, one of them the logging test backend of `common::log`, so the
//! tests can check which side performed an access and with what width.

mod common;

use common::log::{self, logged, logged_raw, LogBackend};
use kernel::io::{
    io_project, io_read, io_write, EitherView, Io, IoCapable, IoCopyable, Region, SysMem,
    SysMemBackend,
};
use kernel::prelude::*;

/// The log as (operation, address, width).
fn take_log() -> Vec<(&'static str, usize, usize)> {
    log::take_log()
        .into_iter()
        .map(|a| (a.op, a.addr, a.width))
        .collect()
}

type Either<'a, T> = EitherView<'a, LogBackend, SysMemBackend, T>;

#[repr(C)]
struct Regs {
    id: u32,
    ctrl: u16,
    flags: [u8; 2],
}

#[test]
fn each_access_is_one_access_of_its_width() {
    let mut regs = Regs {
        id: 0x11e8,
        ctrl: 0,
        flags: [0; 2],
    };
    let base = core::ptr::from_mut(&mut regs).addr();
    let io: Either<'_, Regs> = EitherView::Left(logged(&mut regs));
    take_log();
    assert_eq!(io_read!(io, .id), 0x11e8);
    io_write!(io, .ctrl, 3);
    io_project!(io, .flags[build: 1]).write_val(9);
    assert_eq!(
        take_log(),
        [
            ("read", base, 4),
            ("write", base + 4, 2),
            ("write", base + 7, 1)
        ]
    );
}

#[test]
fn update_is_one_read_and_one_write() {
    let mut words = [0u32; 4];
    let bytes = zerocopy::IntoBytes::as_mut_bytes(&mut words);
    let base = bytes.as_ptr().addr();
    let region = Region::<16>::ptr_try_from_raw_parts_mut(bytes.as_mut_ptr(), 16).unwrap();
    let io: Either<'_, Region<16>> = EitherView::Left(logged_raw(region));
    take_log();
    io.update(8usize, |v: u16| v | 1);
    io.try_update(12usize, |v: u32| v + 1).unwrap();
    assert_eq!(
        take_log(),
        [
            ("read", base + 8, 2),
            ("write", base + 8, 2),
            ("read", base + 12, 4),
            ("write", base + 12, 4)
        ]
    );
    // A rejected access performs none.
    assert_eq!(io.try_read16(15), Err(ERANGE));
    assert_eq!(io.try_write32(0, 2), Err(EINVAL));
    assert!(take_log().is_empty());
}

#[test]
fn the_right_side_performs_its_own_accesses() {
    let mut regs = Regs {
        id: 1,
        ctrl: 2,
        flags: [3, 4],
    };
    let io: Either<'_, Regs> = EitherView::Right(SysMem::from_mut(&mut regs));
    take_log();
    io_write!(io, .id, io_read!(io, .id) + 41);
    assert!(take_log().is_empty(), "the logging side was used");
    assert_eq!(regs.id, 42);
}

#[test]
fn either_views_project_on_whichever_side_they_hold() {
    let mut a = [0u16; 4];
    let mut b = [0u16; 4];
    let left: Either<'_, [u16; 4]> = EitherView::Left(logged(&mut a));
    let right: Either<'_, [u16; 4]> = EitherView::Right(SysMem::from_mut(&mut b));
    for (n, io) in [left, right].into_iter().enumerate() {
        let tail = io_project!(io, [build: 2..]);
        assert_eq!(tail.len(), 2);
        io_write!(tail, [build: 1], n as u16 + 10);
    }
    assert_eq!(a, [0, 0, 0, 10]);
    assert_eq!(b, [0, 0, 0, 11]);
}

/// An either-view gets each capability only if both sides have it: the logging backend has no
/// copies, so neither has the either-view; a backend pair that both copy does.
#[test]
fn either_capabilities_are_the_intersection_of_both_sides() {
    fn copies<B: IoCopyable>() {}
    fn reads_u32<B: IoCapable<u32>>() {}
    copies::<kernel::io::EitherBackend<SysMemBackend, kernel::io::MmioBackend>>();
    reads_u32::<kernel::io::EitherBackend<LogBackend, SysMemBackend>>();
    // `copies::<EitherBackend<LogBackend, SysMemBackend>>()` and a `u64` read on it do not
    // compile; tests/ui covers that.
}
