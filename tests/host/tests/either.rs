// SPDX-License-Identifier: GPL-2.0

//! `EitherView` over two backends, one of them a test backend defined here the way an
//! out-of-tree bus would define its own: it logs every access, so the tests can check which side
//! performed an access and with what width.

mod common;

use core::marker::PhantomData;
use std::cell::RefCell;

use kernel::io::{
    io_project, io_read, io_write, EitherView, Io, IoBackend, IoBase, IoCapable, IoCopyable,
    Region, SysMem, SysMemBackend,
};
use kernel::prelude::*;
use kernel::ptr::KnownSize;

thread_local! {
    static LOG: RefCell<Vec<(&'static str, usize, usize)>> = const { RefCell::new(Vec::new()) };
}

fn take_log() -> Vec<(&'static str, usize, usize)> {
    LOG.with(|l| l.take())
}

/// A view of the logging backend: a pointer into ordinary memory.
struct Logged<'a, T: ?Sized>(*mut T, PhantomData<&'a ()>);

impl<T: ?Sized> Clone for Logged<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T: ?Sized> Copy for Logged<'_, T> {}

impl<'a, T: ?Sized + KnownSize> IoBase<'a> for Logged<'a, T> {
    type Backend = LogBackend;
    type Target = T;

    fn as_view(self) -> Self {
        self
    }
}

/// A backend with 8-, 16- and 32-bit accesses only, and no copies.
struct LogBackend;

impl IoBackend for LogBackend {
    type View<'a, T: ?Sized + KnownSize> = Logged<'a, T>;

    fn as_ptr<'a, T: ?Sized + KnownSize>(view: Self::View<'a, T>) -> *mut T {
        view.0
    }

    unsafe fn project_view<'a, T: ?Sized + KnownSize, U: ?Sized + KnownSize>(
        _view: Self::View<'a, T>,
        ptr: *mut U,
    ) -> Self::View<'a, U> {
        Logged(ptr, PhantomData)
    }
}

macro_rules! logged {
    ($($ty:ty)*) => {$(
        impl IoCapable<$ty> for LogBackend {
            fn io_read(view: Logged<'_, $ty>) -> $ty {
                LOG.with(|l| l.borrow_mut().push(("read", view.0.addr(), size_of::<$ty>())));
                // SAFETY: Test views are made from unique borrows of live memory.
                unsafe { view.0.read_volatile() }
            }

            fn io_write(view: Logged<'_, $ty>, value: $ty) {
                LOG.with(|l| l.borrow_mut().push(("write", view.0.addr(), size_of::<$ty>())));
                // SAFETY: As above.
                unsafe { view.0.write_volatile(value) }
            }
        }
    )*};
}

logged!(u8 u16 u32);

fn logged<T: ?Sized>(value: &mut T) -> Logged<'_, T> {
    Logged(value, PhantomData)
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
    let io: Either<'_, Region<16>> = EitherView::Left(Logged(region, PhantomData));
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
